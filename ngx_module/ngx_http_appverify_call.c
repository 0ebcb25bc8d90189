
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
static ngx_int_t ngx_http_appverify_post_only(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler);
static ngx_http_appverify_ctx_t *ngx_http_appverify_call_ctx(
    ngx_http_request_t *r, av_params_t *params);


ngx_int_t
ngx_http_appverify_call_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_post_only(r, ngx_http_appverify_call_body);
}


ngx_int_t
ngx_http_appverify_finalize_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_post_only(r, ngx_http_appverify_finalize_body);
}


static ngx_int_t
ngx_http_appverify_post_only(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler)
{
    ngx_int_t  rc;

    if (!(r->method & NGX_HTTP_POST)
        || r->headers_in.content_length_n > AV_PARAMS_BODY_MAX)
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

    return ngx_http_appverify_read_body(r, post_handler);
}


/* The request's parameters and its ctx, or NULL when the request is
 * finalized already (a bad body answered, or no memory). */

static ngx_http_appverify_ctx_t *
ngx_http_appverify_call_ctx(ngx_http_request_t *r, av_params_t *params)
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

    rc = ngx_http_appverify_request_params(r, params);
    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return NULL;
    }

    ngx_http_appverify_ask_init(r, ctx, alcf->zone, &alcf->upstream);

    return ctx;
}


static void
ngx_http_appverify_call_body(ngx_http_request_t *r)
{
    av_next_t                  next;
    av_params_t                params;
    av_answer_t                a;
    ngx_http_appverify_ctx_t  *ctx;
    u_char                     addr[NGX_HTTP_APPVERIFY_ADDR_LEN];

    ctx = ngx_http_appverify_call_ctx(r, &params);
    if (ctx == NULL) {
        return;
    }

    next = av_flow_call(&ctx->x, &a, &ctx->fc, ctx->store, &params,
                        ngx_http_appverify_client(r, addr),
                        ngx_http_appverify_now_ms());

    ngx_http_appverify_endpoint_step(r, ctx, next, &a);
}


static void
ngx_http_appverify_finalize_body(ngx_http_request_t *r)
{
    size_t                          len;
    av_next_t                       next;
    const char                     *cred;
    av_params_t                     params;
    av_answer_t                     a;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    ctx = ngx_http_appverify_call_ctx(r, &params);
    if (ctx == NULL) {
        return;
    }

    if (!ngx_http_appverify_credential(r, alcf, &cred, &len)) {
        cred = NULL;
    }

    next = av_flow_finalize(&ctx->x, &a, &ctx->fc, ctx->store, cred, len,
                            &params, ngx_http_appverify_now_ms());

    ngx_http_appverify_endpoint_step(r, ctx, next, &a);
}
