
/*
 * appverify: the access-phase gate, appverify_require.
 *
 * The hot path: one HMAC over a few dozen bytes to check the credential,
 * one hash lookup under the zone's lock, no JSON, no allocation but the
 * request ctx (the core's av_flow_status decides).  Verified: NGX_OK,
 * with the record in the ctx for the $appverify_* variables.  Otherwise
 * the status for nginx to finalize: 401 without a usable credential or
 * while pending, 403 once failed or blocked, 503 when Telesign had to be
 * asked and could not be (rendered as JSON unless an error_page takes
 * it).
 *
 * With lookup=URI, a record that is pending or absent here is asked about
 * (ngx_http_appverify_ask.c): the handler returns NGX_AGAIN while the
 * subrequest runs, as auth_request does, and is called again after it.
 * A zone whose store is Redis answers from this node's copy of a terminal
 * record, else the handler waits for a round with Redis the same way
 * (ngx_http_appverify_run.c).
 */


#include "ngx_http_appverify_module.h"


static ngx_int_t ngx_http_appverify_gate_verdict(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);


ngx_int_t
ngx_http_appverify_gate_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    av_answer_t                     a;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    if (alcf->require_zone == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx && ctx->gated) {
        return ctx->deny == AV_OK ? NGX_OK : av_err_http_status(ctx->deny);
    }

    if (ctx && (ctx->asking || (ctx->rd && ctx->rd->out))) {
        rc = ngx_http_appverify_resume(r, ctx, &a);

    } else {
        ctx = ngx_http_appverify_get_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_appverify_ask_init(r, ctx, alcf->require_zone,
                                    &alcf->require_lookup);

        ctx->use = AV_USE_GATE;
        ctx->ep = AV_EP_GATE;
        ctx->cacheable = 1;

        rc = ngx_http_appverify_drive(r, ctx, ngx_http_appverify_status_run,
                                      &a);
    }

    if (rc != NGX_OK) {
        return rc;      /* NGX_AGAIN while Telesign or Redis is asked */
    }

    return ngx_http_appverify_gate_verdict(r, ctx, &a);
}


static ngx_int_t
ngx_http_appverify_gate_verdict(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    ngx_http_appverify_log_answer(r, a);

    if (a->have_rec) {
        ctx->rec = a->rec;
        ctx->have_rec = 1;
    }

    ctx->gated = 1;
    ctx->deny = a->err;

    if (a->err == AV_OK) {
        return NGX_OK;
    }

    return ngx_http_appverify_deny(r, a->err);
}


/*
 * The precontent phase: the request got past the access phase although
 * the gate said no, so under "satisfy any" another module (allow, a valid
 * auth_basic user) let it in.  The gate's refusal must then change
 * nothing of what the location sends: not an upstream's own 401 body, not
 * its headers.  (nginx clears r->headers_out.www_authenticate itself, but
 * an auth_basic that ran after the gate points that at its own header.)
 */

ngx_int_t
ngx_http_appverify_gate_overruled(ngx_http_request_t *r)
{
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->deny_json) {
        return NGX_DECLINED;
    }

    ctx->deny_json = 0;

    if (ctx->deny_www) {
        ctx->deny_www->hash = 0;
    }

    return NGX_DECLINED;
}
