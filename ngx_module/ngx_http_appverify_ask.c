
/*
 * appverify: a flow of the core across its calls to Telesign.
 *
 * The core's status, gate, call and finalize flows (av_flow.h) may answer
 * "ask Telesign this" (AV_NEXT_ASK) with the request built and signed in
 * ctx->x.  It goes out as an in-memory subrequest to the operator's
 * Telesign location (ngx_http_appverify_upstream.c), the auth_request
 * model: nothing blocks the worker.  When it ends, its status and body go
 * back to the core (av_flow_answered), which decides what is stored and
 * answered, or asks again.  Whatever the exchange holds in the store (a
 * lookup claim, a call's place, a finalize attempt) is handed back by the
 * request pool's cleanup when the client leaves before the answer.
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
    ctx->store = &((ngx_http_appverify_zone_t *) zone->data)->store;
    ctx->ask_uri = uri;
}


/*
 * After a step of the flow: NGX_OK when *a is the answer, NGX_AGAIN while
 * Telesign is asked, an HTTP status when nothing can be sent.
 */

ngx_int_t
ngx_http_appverify_step(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx,
    av_next_t next, av_answer_t *a)
{
    ngx_pool_cleanup_t  *cln;

    while (next == AV_NEXT_ASK) {

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

        if (ngx_http_appverify_upstream(r, ctx->ask_uri, ctx) == NGX_OK) {
            ctx->asking = 1;
            return NGX_AGAIN;
        }

        /* no subrequest: to the core, as if Telesign had not answered */

        next = av_flow_answered(&ctx->x, a, &ctx->fc, ctx->store, 0, NULL, 0,
                                ngx_http_appverify_now_ms());
    }

    ctx->asking = 0;

    return NGX_OK;
}


/* The subrequest ended (or not yet: NGX_AGAIN): the flow's next step. */

ngx_int_t
ngx_http_appverify_answered(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    av_next_t  next;

    if (!ctx->up_done) {
        return NGX_AGAIN;
    }

    next = av_flow_answered(&ctx->x, a, &ctx->fc, ctx->store,
                            (int) ctx->up_status, (const char *) ctx->up_body,
                            ctx->up_len, ngx_http_appverify_now_ms());

    return ngx_http_appverify_step(r, ctx, next, a);
}


/* A content handler's step: the answer is sent, or Telesign is asked. */

void
ngx_http_appverify_endpoint_step(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_next_t next, av_answer_t *a)
{
    ngx_int_t  rc;

    rc = ngx_http_appverify_step(r, ctx, next, a);

    if (rc == NGX_AGAIN) {
        r->write_event_handler = ngx_http_appverify_endpoint_answered;
        return;
    }

    ngx_http_finalize_request(r, rc == NGX_OK
                                 ? ngx_http_appverify_send_answer(r, a) : rc);
}


/* The content handler's write event: its subrequest may have ended. */

void
ngx_http_appverify_endpoint_answered(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    av_answer_t                a;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    rc = ngx_http_appverify_answered(r, ctx, &a);

    if (rc == NGX_AGAIN) {
        return;    /* a write event before the subrequest ended */
    }

    ngx_http_finalize_request(r, rc == NGX_OK
                                 ? ngx_http_appverify_send_answer(r, &a) : rc);
}


/* The request ends with a question still out: the core ends what it held. */

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

    av_flow_abandon(&ctx->x, &a, &ctx->fc, ctx->store,
                    ngx_http_appverify_now_ms());

    ngx_http_appverify_log_answer(r, &a);
}
