
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

#include "av_tsa.h"


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
    u_char                          *json;
    size_t                           len;
    av_err_t                         rc;
    ngx_int_t                        n;
    ngx_str_t                        body, type;
    av_apply_t                       applied;
    const char                      *msg;
    av_record_t                      rec;
    ngx_table_elt_t                 *auth, *xts;
    av_status_doc_t                  doc;
    ngx_http_appverify_ctx_t        *ctx;
    ngx_http_appverify_zone_t       *zone;
    ngx_http_appverify_loc_conf_t   *alcf;
    ngx_http_appverify_main_conf_t  *amcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    n = ngx_http_appverify_body(r, &body);

    if (n == NGX_DECLINED || body.len > alcf->max_body) {
        return ngx_http_appverify_send_error(r, AV_ERR_BODY_TOO_LARGE, NULL);
    }

    if (n != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (alcf->signature) {
        auth = r->headers_in.authorization;
        xts = ngx_http_appverify_header(r, "X-TS-Authorization",
                                        sizeof("X-TS-Authorization") - 1);

        rc = av_tsa_verify_callback(amcf->api_key,
                                    amcf->customer_id.len
                                    ? (const char *) amcf->customer_id.data
                                    : NULL,
                                    auth ? (const char *) auth->value.data
                                         : NULL,
                                    auth ? auth->value.len : 0,
                                    xts ? (const char *) xts->value.data
                                        : NULL,
                                    xts ? xts->value.len : 0,
                                    body.data, body.len);
        if (rc != AV_OK) {
            return ngx_http_appverify_send_error(r, rc, "callback refused");
        }
    }

    msg = NULL;

    rc = av_callback_parse((const char *) body.data, body.len, &doc, &msg);
    if (rc != AV_OK) {
        return ngx_http_appverify_send_error(r, rc, msg);
    }

    rc = av_store_apply(&zone->store, &doc, 0, ngx_http_appverify_now_ms(),
                        &rec, &applied);

    if (rc == AV_ERR_MALFORMED_BODY) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "appverify: callback for xid \"%s\" names another "
                      "phone than the one it was issued for, ignored",
                      doc.xid);
    }

    if (rc != AV_OK) {
        return ngx_http_appverify_send_error(r, rc, "callback not stored");
    }

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rec = rec;
    ctx->have_rec = 1;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "appverify: callback for xid \"%s\": code %d, %s",
                  rec.xid, doc.code,
                  applied == AV_APPLY_CHANGED ? "stored"
                  : applied == AV_APPLY_STALE ? "stale, ignored" : "repeated");

    json = ngx_pnalloc(r->pool, AV_RECORD_JSON_MAX);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = av_callback_json(&rec, (char *) json, AV_RECORD_JSON_MAX);
    if (len == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&type, "application/json");

    return ngx_http_appverify_send(r, NGX_HTTP_OK, &type, json, len);
}
