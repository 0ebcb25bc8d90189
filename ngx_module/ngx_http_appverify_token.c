
/*
 * appverify: the token endpoint, the JWT service the App Verify SDK calls.
 *
 *   phone, or country_code + phone_number; optional xid
 *   as query arguments, a form body or a JSON body
 *
 * Answers the bare JWT as text/plain (what the SDK reads) and the session
 * credential as a cookie; with "Accept: application/json" a JSON object
 * with both.  A phone whose verification is still running gets 409, one
 * over its rate 429; nothing is stored in either case.
 */


#include "ngx_http_appverify_module.h"



static void ngx_http_appverify_token_body(ngx_http_request_t *r);
static av_next_t ngx_http_appverify_token_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a);
static ngx_uint_t ngx_http_appverify_wants_json(ngx_http_request_t *r);


ngx_int_t
ngx_http_appverify_token_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_accept(r, AV_EP_TOKEN,
                                     ngx_http_appverify_token_body);
}


static void
ngx_http_appverify_token_body(ngx_http_request_t *r)
{
    av_err_t                        rc;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->params = ngx_palloc(r->pool, sizeof(av_params_t));
    if (ctx->params == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_appverify_request_params(r, AV_EP_TOKEN, ctx->params);

    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    ngx_http_appverify_flow_conf(r, &ctx->fc);
    ctx->zone = alcf->zone->data;
    ctx->store = &ctx->zone->store;
    ctx->ep = AV_EP_TOKEN;
    ctx->json = ngx_http_appverify_wants_json(r);

    ngx_http_appverify_endpoint_run(r, ctx, ngx_http_appverify_token_run);
}


static av_next_t
ngx_http_appverify_token_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    u_char  addr[NGX_HTTP_APPVERIFY_ADDR_LEN];

    av_flow_token(a, &ctx->fc, store, ctx->params,
                  ngx_http_appverify_client(r, addr), (int) ctx->json,
                  ngx_http_appverify_now_ms());

    return AV_NEXT_SEND;
}


/*
 * The client's fields (token, call, finalize): query arguments first, then
 * a form or JSON body; the core parses both.
 */

av_err_t
ngx_http_appverify_request_params(ngx_http_request_t *r, av_endpoint_t ep,
    av_params_t *params)
{
    av_err_t          rc;
    ngx_str_t         body;
    ngx_table_elt_t  *type;

    rc = ngx_http_appverify_body(r, ep, &body);
    if (rc != AV_OK) {
        return rc;
    }

    type = r->headers_in.content_type;

    return av_params_read(params, ngx_http_appverify_method(r),
                          (const char *) r->args.data, r->args.len,
                          (const char *) body.data, body.len,
                          type ? (const char *) type->value.data : NULL,
                          type ? type->value.len : 0);
}


ngx_int_t
ngx_http_appverify_set_cookie(ngx_http_request_t *r,
    ngx_http_appverify_loc_conf_t *alcf, u_char *cred, size_t len)
{
    u_char           *p;
    size_t            size;
    ngx_table_elt_t  *h;

    h = ngx_http_appverify_push_header(r, "Set-Cookie");
    if (h == NULL) {
        return NGX_ERROR;
    }

    size = av_cookie_size(alcf->cookie_name.len, len,
                          (const char *) alcf->cookie_samesite.data);

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* the format is the core's, the same on both servers */

    h->value.data = p;
    h->value.len = av_cookie_format((char *) p, size,
                                    (const char *) alcf->cookie_name.data,
                                    alcf->cookie_name.len,
                                    (const char *) cred, len,
                                    alcf->session_lifetime,
                                    alcf->cookie_secure,
                                    (const char *) alcf->cookie_samesite.data);

    return h->value.len ? NGX_OK : NGX_ERROR;
}


static ngx_uint_t
ngx_http_appverify_wants_json(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_appverify_header(r, "Accept", sizeof("Accept") - 1);

    return h && av_accept_json((const char *) h->value.data, h->value.len);
}
