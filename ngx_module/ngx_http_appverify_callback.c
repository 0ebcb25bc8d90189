
/*
 * appverify: the callback endpoint, where Telesign POSTs the outcome.
 *
 * The signature (HMAC of the raw body, "Authorization: TSA cid:sig" or
 * "X-TS-Authorization") is checked before anything is parsed, unless the
 * operator explicitly said signature=off.  Bad signature: 401; malformed
 * body: 400; nothing is stored in either case.  A repeated callback
 * answers the same and changes nothing; a terminal state is never
 * downgraded by a later pending one (av_record_apply decides).
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_callback_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_callback(ngx_http_request_t *r);


ngx_int_t
ngx_http_appverify_callback_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    if (!(r->method & NGX_HTTP_POST)
        || (off_t) r->headers_in.content_length_n > (off_t) alcf->max_body)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_appverify_send_error(r,
                                             (r->method & NGX_HTTP_POST)
                                             ? AV_ERR_BODY_TOO_LARGE
                                             : AV_ERR_METHOD_NOT_ALLOWED,
                                             NULL);
    }

    return ngx_http_appverify_read_body(r, ngx_http_appverify_callback_body);
}


static void
ngx_http_appverify_callback_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_appverify_callback(r));
}


static ngx_int_t
ngx_http_appverify_callback(ngx_http_request_t *r)
{
    ngx_int_t                       n;
    ngx_str_t                       body;
    av_answer_t                     a;
    av_flow_conf_t                  fc;
    ngx_table_elt_t                *auth, *xts;
    ngx_http_appverify_zone_t      *zone;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    n = ngx_http_appverify_body(r, &body);

    if (n == NGX_DECLINED || body.len > alcf->max_body) {
        return ngx_http_appverify_send_error(r, AV_ERR_BODY_TOO_LARGE, NULL);
    }

    if (n != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    auth = r->headers_in.authorization;
    xts = ngx_http_appverify_header(r, "X-TS-Authorization",
                                    sizeof("X-TS-Authorization") - 1);

    ngx_http_appverify_flow_conf(r, &fc);

    av_flow_callback(&a, &fc, &zone->store,
                     auth ? (const char *) auth->value.data : NULL,
                     auth ? auth->value.len : 0,
                     xts ? (const char *) xts->value.data : NULL,
                     xts ? xts->value.len : 0,
                     (const char *) body.data, body.len,
                     ngx_http_appverify_now_ms());

    return ngx_http_appverify_send_answer(r, &a);
}
