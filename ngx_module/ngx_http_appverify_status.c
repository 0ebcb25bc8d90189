
/*
 * appverify: the status endpoint: the caller's own verification as JSON,
 * found through the session credential (cookie or Bearer).  With
 * lookup=URI, a record that is pending or absent here is asked about
 * first (the core's av_flow_status, ngx_http_appverify_ask.c).
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_status_body(ngx_http_request_t *r);


ngx_int_t
ngx_http_appverify_status_handler(ngx_http_request_t *r)
{
    /*
     * A body, if any, is read to its end before Telesign is asked: a
     * subrequest must never run while nginx still discards the client's
     * bytes from under it.
     */

    return ngx_http_appverify_accept(r, AV_EP_STATUS,
                                     ngx_http_appverify_status_body);
}


static void
ngx_http_appverify_status_body(ngx_http_request_t *r)
{
    av_err_t                        rc;
    ngx_str_t                       body;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    rc = ngx_http_appverify_body(r, AV_EP_STATUS, &body);
    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    ctx = ngx_http_appverify_get_ctx(r);

    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_appverify_ask_init(r, ctx, alcf->zone, &alcf->upstream);

    ctx->use = AV_USE_STATUS;
    ctx->ep = AV_EP_STATUS;
    ctx->cacheable = 1;

    ngx_http_appverify_endpoint_run(r, ctx, ngx_http_appverify_status_run);
}


/* The status endpoint's step, and the gate's: the request's credential,
 * read again on each run (a Redis store runs a step more than once). */

av_next_t
ngx_http_appverify_status_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    size_t                          len;
    const char                     *cred;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    /* none: cred NULL, the core's no_credential */
    (void) ngx_http_appverify_credential(r, alcf, &cred, &len);

    return av_flow_status(&ctx->x, a, &ctx->fc, store, ctx->use, cred, len,
                          ngx_http_appverify_now_ms());
}
