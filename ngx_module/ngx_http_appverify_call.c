
/*
 * appverify: server-initiated missed-call verification (App Verify API).
 *
 * call:     the app sends the phone and optionally its own xid (as to the
 *           token endpoint: the same normalization, duplicate and rate
 *           rules); the core has Telesign place the call, keeps its
 *           reference id and caller-ID prefix and answers the prefix to
 *           show, with the session credential (av_flow_call).
 * finalize: the app sends the five digits the user read off the missed
 *           call (or "it came from another number", or "it never came");
 *           2401 verifies, a wrong code uses one of appverify_finalize's
 *           attempts (av_flow_finalize).
 *
 * Both are POST only: they cost money or attempts, so no <img> tag or
 * link prefetch may trigger them.  Telesign is asked through
 * ngx_http_appverify_ask.c; its failures answer 503 and leave the stored
 * state as it was.
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_call_body(ngx_http_request_t *r);
static void ngx_http_appverify_finalize_body(ngx_http_request_t *r);
static ngx_http_appverify_ctx_t *ngx_http_appverify_call_ctx(
    ngx_http_request_t *r, av_endpoint_t ep);


ngx_int_t
ngx_http_appverify_call_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_accept(r, AV_EP_CALL,
                                     ngx_http_appverify_call_body);
}


ngx_int_t
ngx_http_appverify_finalize_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_accept(r, AV_EP_FINALIZE,
                                     ngx_http_appverify_finalize_body);
}


/* The request's parameters and its ctx, or NULL when the request is
 * finalized already (a bad body answered, or no memory). */

static ngx_http_appverify_ctx_t *
ngx_http_appverify_call_ctx(ngx_http_request_t *r, av_endpoint_t ep)
{
    av_err_t                        rc;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NULL;
    }

    ctx->params = ngx_palloc(r->pool, sizeof(av_params_t));
    if (ctx->params == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NULL;
    }

    ctx->ep = ep;

    rc = ngx_http_appverify_request_params(r, ep, ctx->params);
    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return NULL;
    }

    ngx_http_appverify_ask_init(r, ctx, alcf->zone, &alcf->upstream);

    return ctx;
}


static av_next_t
ngx_http_appverify_call_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    u_char  addr[NGX_HTTP_APPVERIFY_ADDR_LEN];

    return av_flow_call(&ctx->x, a, &ctx->fc, store, ctx->params,
                        ngx_http_appverify_client(r, addr),
                        ngx_http_appverify_now_ms());
}


static av_next_t
ngx_http_appverify_finalize_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    size_t                          len;
    const char                     *cred;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    /* none: cred NULL, the core's no_credential */
    (void) ngx_http_appverify_credential(r, alcf, &cred, &len);

    return av_flow_finalize(&ctx->x, a, &ctx->fc, store, cred, len,
                            ctx->params, ngx_http_appverify_now_ms());
}


static void
ngx_http_appverify_call_body(ngx_http_request_t *r)
{
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_appverify_call_ctx(r, AV_EP_CALL);
    if (ctx == NULL) {
        return;
    }

    ngx_http_appverify_endpoint_run(r, ctx, ngx_http_appverify_call_run);
}


static void
ngx_http_appverify_finalize_body(ngx_http_request_t *r)
{
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_appverify_call_ctx(r, AV_EP_FINALIZE);
    if (ctx == NULL) {
        return;
    }

    ngx_http_appverify_endpoint_run(r, ctx, ngx_http_appverify_finalize_run);
}
