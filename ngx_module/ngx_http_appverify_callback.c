
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
static av_next_t ngx_http_appverify_callback_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a);


ngx_int_t
ngx_http_appverify_callback_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_accept(r, AV_EP_CALLBACK,
                                     ngx_http_appverify_callback_body);
}


static void
ngx_http_appverify_callback_body(ngx_http_request_t *r)
{
    av_err_t                        rc;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_appverify_body(r, AV_EP_CALLBACK, &ctx->body);
    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    /* however often the step runs (a Redis store runs it again after a
     * fetch), the signature is checked and the body parsed once */
    ctx->memo = ngx_pcalloc(r->pool, sizeof(av_callback_memo_t));
    if (ctx->memo == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_appverify_flow_conf(r, &ctx->fc);
    ctx->zone = alcf->zone->data;
    ctx->store = &ctx->zone->store;
    ctx->ep = AV_EP_CALLBACK;

    ngx_http_appverify_endpoint_run(r, ctx, ngx_http_appverify_callback_run);
}


static av_next_t
ngx_http_appverify_callback_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    ngx_table_elt_t  *auth, *xts;

    auth = r->headers_in.authorization;
    xts = ngx_http_appverify_header(r, "X-TS-Authorization",
                                    sizeof("X-TS-Authorization") - 1);

    av_flow_callback_memo(a, &ctx->fc, store, ctx->memo,
                          auth ? (const char *) auth->value.data : NULL,
                          auth ? auth->value.len : 0,
                          xts ? (const char *) xts->value.data : NULL,
                          xts ? xts->value.len : 0,
                          (const char *) ctx->body.data, ctx->body.len,
                          ngx_http_appverify_now_ms());

    return AV_NEXT_SEND;
}
