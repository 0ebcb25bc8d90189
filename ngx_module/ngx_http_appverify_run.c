
/*
 * appverify: one step of a flow, run against the request's store.
 *
 * A zone of its own: the step runs once, under the zone's lock, and its
 * answer is there at once.  A zone whose store is a Redis (appverify_redis):
 * the step runs in the core's rounds (av_rounds.h): what to fetch or
 * commit, what each reply means and when to give up are the core's; here
 * each round is one subrequest to the Redis location
 * (ngx_http_appverify_redis.c), whose reply goes back to the core.  The
 * worker never waits; the request waits, as it waits for Telesign.
 *
 * The zone stays in front of Redis as this node's cache: a record that
 * Redis holds as terminal (verified, failed, blocked) is kept here, and
 * the gate and status answer it without a round for the lookup interval
 * (a terminal record may still be replaced: verified, then blocked), and
 * after that whenever Redis cannot answer.
 *
 * Redis down, slow or answering nonsense: 503 store_unavailable, logged at
 * error once a second per worker.  A commit is all or nothing, so nothing
 * is half done; one whose reply was lost may have been applied, and then
 * what it took runs out as a vanished requester's does (a Get Status
 * claim) or stays counted (a finalize attempt: leaving never buys one).
 */


#include "ngx_http_appverify_module.h"


static ngx_int_t ngx_http_appverify_rounds(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static ngx_int_t ngx_http_appverify_cached(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static av_next_t ngx_http_appverify_step(void *data,
    const av_store_t *store, av_answer_t *a);
static ngx_int_t ngx_http_appverify_ran(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static ngx_int_t ngx_http_appverify_unavailable(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a, const char *why);


/*
 * Runs the step: NGX_OK with *a its answer and ctx->next what follows,
 * NGX_AGAIN while a Redis round is out (ngx_http_appverify_run_resume
 * takes it on), NGX_ERROR without memory.
 */

ngx_int_t
ngx_http_appverify_run(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx,
    ngx_http_appverify_run_pt run, av_answer_t *a)
{
    ngx_http_appverify_zone_t    *zone;
    ngx_http_appverify_rounds_t  *rd;

    zone = ctx->zone;
    ctx->run = run;

    if (zone->redis == NULL) {
        ctx->next = run(r, ctx, &zone->store, a);
        return NGX_OK;
    }

    if (ctx->cacheable) {
        ctx->cacheable = 0;

        if (ngx_http_appverify_cached(r, ctx, a) == NGX_OK) {
            return NGX_OK;
        }
    }

    rd = ctx->rd;

    if (rd == NULL) {
        rd = ngx_palloc(r->pool, sizeof(ngx_http_appverify_rounds_t));
        if (rd == NULL) {
            return NGX_ERROR;
        }

        ctx->rd = rd;
    }

    av_rounds_start(&rd->rounds, zone->store.ttl_ms,
                    (const char *) zone->redis->prefix.data,
                    zone->redis->prefix.len, zone->redis->sha1, &ctx->x);
    rd->reply = NULL;
    rd->sr = NULL;
    rd->out = 0;
    rd->done = 0;

    return ngx_http_appverify_rounds(r, ctx, a);
}


/*
 * The gate and status on this node's copy first (the core's rule,
 * av_flow_status_copy): a fresh terminal record is the answer; a stale
 * one is kept for when Redis cannot answer; anything else is Redis's.
 */

static ngx_int_t
ngx_http_appverify_cached(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    size_t                          len;
    av_copy_t                       copy;
    const char                     *cred;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    /* none: cred NULL, the core's no_credential */
    (void) ngx_http_appverify_credential(r, alcf, &cred, &len);

    copy = av_flow_status_copy(&ctx->x, a, &ctx->fc, &ctx->zone->store,
                               ctx->zone->store.metrics, ctx->use, cred, len,
                               ngx_http_appverify_now_ms());

    if (copy == AV_COPY_STALE) {
        ctx->stale = ngx_palloc(r->pool, sizeof(av_answer_t));
        if (ctx->stale) {
            *ctx->stale = *a;
        }
    }

    if (copy != AV_COPY_ANSWER) {
        return NGX_DECLINED;
    }

    ctx->next = AV_NEXT_SEND;

    return NGX_OK;
}


/* The core's next move: a round to send, the answer, or a 503. */

static ngx_int_t
ngx_http_appverify_rounds(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    av_rounds_t  *rs;

    rs = &ctx->rd->rounds;

    switch (av_rounds_go(rs, ngx_http_appverify_step, r,
                         ngx_http_appverify_now_ms()))
    {
    case AV_ROUNDS_SEND:
        if (ngx_http_appverify_redis_round(r, ctx, ctx->zone->redis,
                                           rs->argc, rs->argv, rs->len)
            == NGX_OK)
        {
            return NGX_AGAIN;
        }

        av_rounds_fail(rs, "no round was sent");
        break;

    case AV_ROUNDS_DONE:
        return ngx_http_appverify_ran(r, ctx, a);

    default:
        break;
    }

    return ngx_http_appverify_unavailable(r, ctx, a, rs->why);
}


static av_next_t
ngx_http_appverify_step(void *data, const av_store_t *store, av_answer_t *a)
{
    ngx_http_request_t        *r = data;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    return ctx->run(r, ctx, store, a);
}


/* A round ended (or a spurious wake-up: NGX_AGAIN): its reply to the
 * core. */

ngx_int_t
ngx_http_appverify_run_resume(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    ngx_uint_t                    i;
    redisReply                   *reply;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;

    if (!rd->done) {
        return NGX_AGAIN;
    }

    rd->out = 0;
    rd->done = 0;

    reply = rd->reply;
    rd->reply = NULL;

    if (reply == NULL) {
        av_rounds_fail(&rd->rounds, "no reply (the round's upstream logged "
                                    "why)");
        return ngx_http_appverify_rounds(r, ctx, a);
    }

    av_rounds_reply(&rd->rounds, reply);
    freeReplyObject(reply);

    for (i = 0; i < rd->rounds.nforeign; i++) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "appverify: redis holds a value under \"%s\" that "
                      "is not one of ours: read as absent",
                      rd->rounds.foreign[i]);
    }

    return ngx_http_appverify_rounds(r, ctx, a);
}


/* The last run's answer stands: its counts become the zone's, and the
 * record it read or wrote is kept here if terminal (av_store_keep). */

static ngx_int_t
ngx_http_appverify_ran(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx,
    av_answer_t *a)
{
    av_store_t                    cache;
    ngx_http_appverify_zone_t    *zone;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;
    zone = ctx->zone;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "appverify: redis rounds done, the step ran again for "
                   "%ui changes of other nodes",
                   (ngx_uint_t) rd->rounds.conflicts);

    av_metrics_add(zone->store.metrics, &rd->rounds.snap.metrics);

    *a = rd->rounds.a;
    ctx->next = rd->rounds.next;

    if (a->have_rec) {
        cache = zone->store;
        cache.metrics = NULL;       /* Redis's run counted it */

        if (av_store_keep(&cache, &a->rec, zone->store.ttl_ms,
                          ngx_http_appverify_now_ms())
            != AV_OK)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "appverify: zone \"%s\" cannot keep a copy of "
                          "xid \"%s\"", zone->name, a->rec.xid);
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_unavailable(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a, const char *why)
{
    static time_t                 logged;
    u_char                        detail[AV_ANSWER_LOG_MAX];
    ngx_uint_t                    log;
    ngx_http_appverify_zone_t    *zone;

    zone = ctx->zone;

    ctx->next = AV_NEXT_SEND;

    if (ctx->stale) {

        /* the copy this node keeps, older than the lookup interval: for
         * the gate and status, better than no answer */

        av_flow_status_stale(a, ctx->stale, zone->store.metrics, ctx->use);

        if (logged != ngx_time()) {
            logged = ngx_time();
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "appverify: redis of zone \"%s\": %s: answered "
                          "from this node's copy of xid \"%s\"",
                          zone->name, why, a->rec.xid);
        }

        return NGX_OK;
    }

    /* one line a second of a worker, however many requests fail */

    log = (logged != ngx_time());
    logged = ngx_time();

    *ngx_snprintf(detail, sizeof(detail) - 1, "redis of zone \"%s\": %s",
                  zone->name, why) = '\0';

    av_answer_unavailable(a, zone->store.metrics, ctx->ep,
                          (const char *) detail, log);

    return NGX_OK;
}
