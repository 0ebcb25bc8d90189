
/*
 * appverify: a flow of the core across its calls to Telesign.
 *
 * The core's status, gate, call and finalize flows (av_flow.h) may answer
 * "ask Telesign this" (AV_NEXT_ASK) with the request built and signed in
 * ctx->x.  It goes out as an in-memory subrequest to the operator's
 * Telesign location (ngx_http_appverify_upstream.c), the auth_request
 * model: nothing blocks the worker.  When it ends, its status and body go
 * back to the core (av_flow_answered), which decides what is stored and
 * answered, or asks again.  Each step runs through
 * ngx_http_appverify_run() (ngx_http_appverify_run.c): at once on a zone,
 * in rounds of subrequests when the zone's store is Redis.  Whatever the
 * exchange holds in a zone (a lookup claim, a call's place, a finalize
 * attempt) is handed back by the request pool's cleanup when the client
 * leaves before the answer; in Redis it runs out by itself.
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_ask_cleanup(void *data);


/* The flow's configuration, store and Telesign location, for its steps. */

void
ngx_http_appverify_ask_init(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_shm_zone_t *zone, ngx_str_t *uri)
{
    ngx_http_appverify_flow_conf(r, &ctx->fc);

    ctx->fc.telesign = (uri->len != 0);
    ctx->fc.lookup = (uri->len != 0);
    ctx->zone = zone->data;
    ctx->store = &ctx->zone->store;
    ctx->ask_uri = uri;
}


/* What Telesign answered, to the core. */

static av_next_t
ngx_http_appverify_answered_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a)
{
    return av_flow_answered(&ctx->x, a, &ctx->fc, store,
                            (int) ctx->up_status,
                            (const char *) ctx->up_body, ctx->up_len,
                            ngx_http_appverify_now_ms());
}


/*
 * After a step (rc as ngx_http_appverify_run returned it): NGX_OK when *a
 * is the answer, NGX_AGAIN while Telesign or Redis is asked, an HTTP
 * status when nothing can be sent.
 */

static ngx_int_t
ngx_http_appverify_next(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx,
    ngx_int_t rc, av_answer_t *a)
{
    ngx_pool_cleanup_t  *cln;

    for ( ;; ) {

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->next == AV_NEXT_SEND) {
            ctx->asking = 0;
            return NGX_OK;
        }

        if (!ctx->ask_cleanup) {
            cln = ngx_pool_cleanup_add(r->pool, 0);
            if (cln == NULL) {
                av_flow_abandon(&ctx->x, a, &ctx->fc, ctx->store,
                                ngx_http_appverify_now_ms());
                ngx_http_appverify_log_answer(r, a);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            cln->handler = ngx_http_appverify_ask_cleanup;
            cln->data = r;
            ctx->ask_cleanup = 1;
        }

        ctx->asking = 1;

        if (ngx_http_appverify_upstream(r, ctx->ask_uri, ctx) == NGX_OK) {
            return NGX_AGAIN;
        }

        /* no subrequest: to the core, as if Telesign had not answered */

        ctx->up_status = 0;
        ctx->up_body = NULL;
        ctx->up_len = 0;

        rc = ngx_http_appverify_run(r, ctx, ngx_http_appverify_answered_run,
                                    a);
    }
}


/* Starts a step of the flow: ngx_http_appverify_next's answers. */

ngx_int_t
ngx_http_appverify_drive(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_run_pt run,
    av_answer_t *a)
{
    return ngx_http_appverify_next(r, ctx,
                                   ngx_http_appverify_run(r, ctx, run, a), a);
}


/* A subrequest ended (or not yet: NGX_AGAIN): the flow goes on. */

ngx_int_t
ngx_http_appverify_resume(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    if (ctx->rd && ctx->rd->out) {
        return ngx_http_appverify_next(r, ctx,
                                       ngx_http_appverify_run_resume(r, ctx,
                                                                     a),
                                       a);
    }

    if (!ctx->asking || !ctx->up_done) {
        return NGX_AGAIN;
    }

    return ngx_http_appverify_drive(r, ctx, ngx_http_appverify_answered_run,
                                    a);
}


/* A content handler's step: the answer is sent, or a subrequest waited
 * for. */

void
ngx_http_appverify_endpoint_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_run_pt run)
{
    ngx_int_t    rc;
    av_answer_t  a;

    rc = ngx_http_appverify_drive(r, ctx, run, &a);

    if (rc == NGX_AGAIN) {
        r->write_event_handler = ngx_http_appverify_endpoint_answered;
        return;
    }

    ngx_http_finalize_request(r, rc == NGX_OK
                                 ? ngx_http_appverify_send_answer(r, &a) : rc);
}


/* The content handler's write event: its subrequest may have ended. */

void
ngx_http_appverify_endpoint_answered(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    av_answer_t                a;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    rc = ngx_http_appverify_resume(r, ctx, &a);

    if (rc == NGX_AGAIN) {
        return;    /* a write event before the subrequest ended */
    }

    ngx_http_finalize_request(r, rc == NGX_OK
                                 ? ngx_http_appverify_send_answer(r, &a) : rc);
}


/*
 * The request ends with a question still out: the core ends what it held.
 * A Redis store cannot be written from a pool's cleanup; there what the
 * exchange held runs out by itself: a Get Status claim a second after
 * its call could have ended (call_timeout_ms), a call's place with its
 * pending time, and a reserved finalize attempt stays counted, as leaving
 * counts it.
 */

static void
ngx_http_appverify_ask_cleanup(void *data)
{
    ngx_http_request_t  *r = data;

    av_answer_t                a;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->asking) {
        return;
    }

    ctx->asking = 0;

    if (ctx->zone->redis) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "appverify: the request for xid \"%s\" ended while "
                      "Telesign was asked: what it held in redis runs out "
                      "by itself", ctx->x.xid);
        return;
    }

    av_flow_abandon(&ctx->x, &a, &ctx->fc, ctx->store,
                    ngx_http_appverify_now_ms());

    ngx_http_appverify_log_answer(r, &a);
}
