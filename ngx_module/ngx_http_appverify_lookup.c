
/*
 * appverify: Get Status lookups, for the status endpoint and the gate.
 *
 * Callbacks get lost (Telesign retries twice, then gives up) and may land
 * on another node behind the balancer, so a record that is pending or
 * absent here is asked about: GET /v1/mobile/verification/status/{xid}.
 * The core claims a lookup in the store (av_store_lookup_begin), so
 * concurrent requests for one xid, in any worker, cause one call to
 * Telesign; they answer from the stored state meanwhile.  A pending answer
 * is not asked about again sooner than appverify_lookup_interval.
 */


#include "ngx_http_appverify_module.h"


/* a claim whose requester vanished without ending it is forgotten then */
#define NGX_HTTP_APPVERIFY_LOOKUP_FORGET  60000


static void ngx_http_appverify_lookup_cleanup(void *data);


typedef struct {
    ngx_http_appverify_ctx_t    *ctx;
    ngx_shm_zone_t              *shm_zone;
    ngx_msec_t                   interval;
} ngx_http_appverify_lookup_cleanup_t;


/*
 * One step.  NGX_OK: ctx->rec / have_rec / lookup_err are the answer.
 * NGX_AGAIN: the subrequest is in flight; call again when it is done.
 */

ngx_int_t
ngx_http_appverify_lookup(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_shm_zone_t *shm_zone, ngx_str_t *uri,
    ngx_msec_t interval)
{
    int                                   have;
    av_err_t                              rc, stored;
    av_api_answer_t                       ans;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_appverify_zone_t            *zone;
    ngx_http_appverify_lookup_cleanup_t  *lc;

    zone = shm_zone->data;

    switch (ctx->lookup_state) {

    case NGX_HTTP_APPVERIFY_LOOKUP_DONE:
        return NGX_OK;

    case NGX_HTTP_APPVERIFY_LOOKUP_SENT:

        if (!ctx->up_done) {
            return NGX_AGAIN;
        }

        ctx->lookup_state = NGX_HTTP_APPVERIFY_LOOKUP_DONE;

        rc = ngx_http_appverify_upstream_answer(r, ctx, &ans);

        if (rc == AV_OK) {
            rc = av_api_status_for(&ans, (const char *) ctx->xid);

            if (rc != AV_OK) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "appverify: telesign answered for xid \"%s\" "
                              "when asked about \"%s\"",
                              ans.doc.xid, ctx->xid);
            }
        }

        stored = av_store_lookup_end(&zone->store, (const char *) ctx->xid,
                                     ctx->lookup_claim, interval,
                                     rc == AV_OK ? &ans.doc : NULL,
                                     ngx_http_appverify_now_ms(), &ctx->rec,
                                     &have, NULL);

        if (stored == AV_ERR_MALFORMED_BODY) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "appverify: get status for xid \"%s\" names "
                          "another phone than the one it was issued for, "
                          "ignored", ctx->xid);
        }

        ctx->have_rec = have ? 1 : 0;
        ctx->lookup_err = (rc == AV_OK) ? stored : rc;

        return NGX_OK;

    default: /* NGX_HTTP_APPVERIFY_LOOKUP_NONE */
        break;
    }

    ctx->lookup_state = NGX_HTTP_APPVERIFY_LOOKUP_DONE;
    ctx->lookup_err = AV_OK;

    rc = av_store_lookup_begin(&zone->store, (const char *) ctx->xid,
                               interval, NGX_HTTP_APPVERIFY_LOOKUP_FORGET,
                               ngx_http_appverify_now_ms(), &ctx->rec, &have,
                               &ctx->lookup_claim);
    ctx->have_rec = have ? 1 : 0;

    if (rc != AV_OK || ctx->lookup_claim == 0) {
        ctx->lookup_err = rc;
        return NGX_OK;
    }

    /*
     * We own the lookup now: whatever happens, end it, also when the
     * client goes away before Telesign answers (the request's pool
     * cleanup), or other requests would wait out the in-flight mark.
     */

    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_appverify_lookup_cleanup_t));

    if (cln == NULL
        || av_api_get_status(&ctx->api, (const char *) ctx->xid) != AV_OK
        || ngx_http_appverify_upstream(r, uri, ctx, 1) != NGX_OK)
    {
        (void) av_store_lookup_end(&zone->store, (const char *) ctx->xid,
                                   ctx->lookup_claim, interval, NULL,
                                   ngx_http_appverify_now_ms(), &ctx->rec,
                                   &have, NULL);
        ctx->have_rec = have ? 1 : 0;
        ctx->lookup_err = AV_ERR_INTERNAL;
        return NGX_OK;
    }

    lc = cln->data;
    lc->ctx = ctx;
    lc->shm_zone = shm_zone;
    lc->interval = interval;
    cln->handler = ngx_http_appverify_lookup_cleanup;

    ctx->lookup_state = NGX_HTTP_APPVERIFY_LOOKUP_SENT;

    return NGX_AGAIN;
}


/* The request ends with its lookup still out: clear the in-flight mark. */

static void
ngx_http_appverify_lookup_cleanup(void *data)
{
    ngx_http_appverify_lookup_cleanup_t  *lc = data;

    int                         have;
    av_record_t                 rec;
    ngx_http_appverify_zone_t  *zone;

    if (lc->ctx->lookup_state != NGX_HTTP_APPVERIFY_LOOKUP_SENT) {
        return;
    }

    lc->ctx->lookup_state = NGX_HTTP_APPVERIFY_LOOKUP_DONE;

    zone = lc->shm_zone->data;

    (void) av_store_lookup_end(&zone->store, (const char *) lc->ctx->xid,
                               lc->ctx->lookup_claim, lc->interval, NULL,
                               ngx_http_appverify_now_ms(), &rec, &have, NULL);
}


/*
 * What the gate and the status endpoint say after a lookup.  Fails
 * closed: when Telesign could not be asked, a record that is not terminal
 * is 503, never "verified".
 */

av_err_t
ngx_http_appverify_lookup_verdict(ngx_http_appverify_ctx_t *ctx)
{
    return av_record_verdict(ctx->have_rec ? &ctx->rec : NULL,
                             ctx->lookup_err);
}
