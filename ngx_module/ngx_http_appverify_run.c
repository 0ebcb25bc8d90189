
/*
 * appverify: one step of a flow, run against the request's store.
 *
 * A zone of its own: the step runs once, under the zone's lock, and its
 * answer is there at once.  A zone whose store is a Redis (appverify_redis):
 * the step runs against a snapshot (av_snap.h) in rounds, each round one
 * subrequest to the Redis location (ngx_http_appverify_redis.c): fetch
 * what the last run named (MGET), or commit everything it read and wrote
 * with the core's compare-and-set, and run again when another node got
 * there first.  The worker never waits; the request waits, as it waits for
 * Telesign.
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

#include <hiredis/hiredis.h>

#include "av_redis.h"


static ngx_int_t ngx_http_appverify_rounds(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static ngx_int_t ngx_http_appverify_cached(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static ngx_int_t ngx_http_appverify_fetch(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx);
static ngx_int_t ngx_http_appverify_commit(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx);
static ngx_int_t ngx_http_appverify_fetched(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_http_appverify_ran(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
static const char *ngx_http_appverify_unexpected(ngx_http_request_t *r,
    redisReply *reply, const char *what);
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

    av_snap_init(&rd->snap, zone->store.ttl_ms);
    rd->x = ctx->x;
    rd->rounds = 0;
    rd->reply = NULL;
    rd->sr = NULL;
    rd->out = 0;
    rd->done = 0;
    rd->script = 0;

    return ngx_http_appverify_rounds(r, ctx, a);
}


/*
 * The gate and status on this node's copy: a terminal record kept here
 * less than the lookup interval ago is the answer.  Kept longer ago, it
 * may have been replaced since (verified, then blocked): Redis is asked,
 * and the copy's answer is kept for when Redis cannot answer.  Anything
 * else (absent, no credential) goes to Redis.
 */

static ngx_int_t
ngx_http_appverify_cached(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    int                         lookup;
    av_next_t                   next;
    av_store_t                  cache;
    ngx_http_appverify_zone_t  *zone;

    zone = ctx->zone;

    /* counted below, once, if its answer is the one sent (a gate or status
     * on the copy counts nothing but its request) */
    cache = zone->store;
    cache.metrics = NULL;

    /* the copy holds no claims (Telesign is Redis's to ask) and is read
     * with its age */
    lookup = ctx->fc.lookup;
    ctx->fc.lookup = 0;
    ctx->fc.copy = 1;

    next = ctx->run(r, ctx, &cache, a);

    ctx->fc.lookup = lookup;
    ctx->fc.copy = 0;

    if (next != AV_NEXT_SEND || !a->have_rec
        || !av_state_is_terminal((av_state_t) a->rec.state))
    {
        ngx_memzero(&ctx->x, sizeof(av_exchange_t));
        return NGX_DECLINED;
    }

    if (a->stale) {
        ctx->stale = ngx_palloc(r->pool, sizeof(av_answer_t));
        if (ctx->stale) {
            *ctx->stale = *a;
        }

        ngx_memzero(&ctx->x, sizeof(av_exchange_t));
        return NGX_DECLINED;
    }

    av_metrics_request(zone->store.metrics, ctx->ep, a->err);
    ctx->next = next;

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_rounds(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    int                           m;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;

    for ( ;; ) {

        if (++rd->rounds > AV_SNAP_ROUNDS) {
            return ngx_http_appverify_unavailable(r, ctx, a,
                                                  "other nodes kept changing "
                                                  "what the step read");
        }

        ctx->x = rd->x;
        av_snap_rewind(&rd->snap);
        av_answer_init(&rd->a);

        rd->next = ctx->run(r, ctx, &rd->snap.store, &rd->a);

        m = av_snap_missing(&rd->snap, rd->miss, AV_SNAP_ITEMS);

        if (m < 0) {
            return ngx_http_appverify_unavailable(r, ctx, a,
                                                  "a step named more items "
                                                  "than a round holds");
        }

        if (m > 0) {
            rd->nmiss = (unsigned) m;

            if (ngx_http_appverify_fetch(r, ctx) != NGX_OK) {
                return ngx_http_appverify_unavailable(r, ctx, a,
                                                      "no round was sent");
            }

            return NGX_AGAIN;
        }

        rd->ncas = av_snap_cas(&rd->snap, rd->cas, AV_SNAP_ITEMS);

        if (rd->ncas == 0) {
            return ngx_http_appverify_ran(r, ctx, a);
        }

        if (ngx_http_appverify_commit(r, ctx) != NGX_OK) {
            return ngx_http_appverify_unavailable(r, ctx, a,
                                                  "no round was sent");
        }

        return NGX_AGAIN;
    }
}


/* A round ended (or a spurious wake-up: NGX_AGAIN). */

ngx_int_t
ngx_http_appverify_run_resume(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a)
{
    ngx_int_t                     rc;
    const char                   *why;
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
        return ngx_http_appverify_unavailable(r, ctx, a,
                                              "no reply (the round's "
                                              "upstream logged why)");
    }

    if (rd->ncas == 0 || rd->nmiss) {

        rc = ngx_http_appverify_fetched(r, ctx, reply);
        why = (rc == NGX_OK) ? NULL
              : ngx_http_appverify_unexpected(r, reply, "MGET");
        freeReplyObject(reply);

        if (rc != NGX_OK) {
            return ngx_http_appverify_unavailable(r, ctx, a, why);
        }

        return ngx_http_appverify_rounds(r, ctx, a);
    }

    /* the commit's */

    if (reply->type == REDIS_REPLY_ERROR && !rd->script
        && reply->len >= 8 && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        /* a Redis that restarted or flushed its scripts: EVAL gives it
         * the text, and caches it */
        freeReplyObject(reply);
        rd->script = 1;

        if (ngx_http_appverify_commit(r, ctx) != NGX_OK) {
            return ngx_http_appverify_unavailable(r, ctx, a,
                                                  "no round was sent");
        }

        return NGX_AGAIN;
    }

    if (reply->type != REDIS_REPLY_INTEGER
        || (reply->integer != AV_REDIS_CAS_OK
            && reply->integer != AV_REDIS_CAS_CONFLICT))
    {
        why = ngx_http_appverify_unexpected(r, reply, "the commit");
        freeReplyObject(reply);
        return ngx_http_appverify_unavailable(r, ctx, a, why);
    }

    if (reply->integer == AV_REDIS_CAS_CONFLICT) {
        freeReplyObject(reply);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "appverify: another node changed an item: the "
                       "step runs again");

        av_snap_refetch(&rd->snap);
        rd->ncas = 0;

        return ngx_http_appverify_rounds(r, ctx, a);
    }

    freeReplyObject(reply);

    return ngx_http_appverify_ran(r, ctx, a);
}


static ngx_int_t
ngx_http_appverify_fetch(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx)
{
    char                         *key;
    size_t                        len[1 + AV_SNAP_ITEMS];
    unsigned                      i;
    const char                   *argv[1 + AV_SNAP_ITEMS];
    ngx_http_appverify_redis_t   *rc;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;
    rc = ctx->zone->redis;
    rd->ncas = 0;

    argv[0] = "MGET";
    len[0] = 4;

    for (i = 0; i < rd->nmiss; i++) {
        key = ngx_pnalloc(r->pool, AV_REDIS_KEY_MAX + 1);
        if (key == NULL) {
            return NGX_ERROR;
        }

        len[1 + i] = av_redis_key(key, AV_REDIS_KEY_MAX + 1,
                                  (const char *) rc->prefix.data,
                                  rc->prefix.len, rd->miss[i]);
        if (len[1 + i] == 0) {
            return NGX_ERROR;
        }

        argv[1 + i] = key;
    }

    return ngx_http_appverify_redis_round(r, ctx, rc, 1 + rd->nmiss, argv,
                                          len);
}


static ngx_int_t
ngx_http_appverify_commit(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx)
{
    av_redis_cas_t               *cas;
    ngx_http_appverify_redis_t   *rc;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;
    rc = ctx->zone->redis;
    rd->nmiss = 0;

    cas = ngx_palloc(r->pool, sizeof(av_redis_cas_t));
    if (cas == NULL) {
        return NGX_ERROR;
    }

    if (av_redis_cas_build(cas, rc->sha1, rd->script,
                           (const char *) rc->prefix.data, rc->prefix.len,
                           rd->cas, rd->ncas, ngx_http_appverify_now_ms())
        != 0)
    {
        return NGX_ERROR;
    }

    return ngx_http_appverify_redis_round(r, ctx, rc, cas->argc, cas->argv,
                                          cas->len);
}


static ngx_int_t
ngx_http_appverify_fetched(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, redisReply *reply)
{
    int                           foreign;
    unsigned                      i;
    redisReply                   *v;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != rd->nmiss) {
        return NGX_ERROR;
    }

    for (i = 0; i < rd->nmiss; i++) {
        v = reply->element[i];

        if (v->type != REDIS_REPLY_NIL && v->type != REDIS_REPLY_STRING) {
            return NGX_ERROR;
        }

        if (av_redis_item_read(rd->miss[i],
                               v->type == REDIS_REPLY_STRING
                               ? (const unsigned char *) v->str : NULL,
                               v->len, &foreign)
            != 0)
        {
            return NGX_ERROR;
        }

        if (foreign) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "appverify: redis holds a value under \"%s\" "
                          "that is not one of ours: read as absent",
                          rd->miss[i]->key);
        }

        av_snap_fetched(&rd->snap, rd->miss[i]);
    }

    rd->nmiss = 0;

    return NGX_OK;
}


/* The last run's answer stands: its counts become the zone's, and a
 * terminal record it read or wrote is kept here. */

static ngx_int_t
ngx_http_appverify_ran(ngx_http_request_t *r, ngx_http_appverify_ctx_t *ctx,
    av_answer_t *a)
{
    av_store_t                    cache;
    ngx_http_appverify_zone_t    *zone;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;
    zone = ctx->zone;

    av_metrics_add(zone->store.metrics, &rd->snap.metrics);

    *a = rd->a;
    ctx->next = rd->next;

    if (a->have_rec && av_state_is_terminal((av_state_t) a->rec.state)) {
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


/* Why a reply is refused, for the log: Redis's own words for an error
 * (NOAUTH, a read-only replica, OOM), which tell the operator what to
 * fix; never a value, which could be anything. */

static const char *
ngx_http_appverify_unexpected(ngx_http_request_t *r, redisReply *reply,
    const char *what)
{
    u_char  *p, *last;

    p = ngx_pnalloc(r->pool, 160);
    if (p == NULL) {
        return "an unexpected reply";
    }

    last = (reply->type == REDIS_REPLY_ERROR)
           ? ngx_snprintf(p, 159, "redis refused %s: %*s", what,
                          ngx_min(reply->len, (size_t) 100), reply->str)
           : ngx_snprintf(p, 159, "an unexpected reply to %s", what);
    *last = '\0';

    return (const char *) p;
}


static ngx_int_t
ngx_http_appverify_unavailable(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a, const char *why)
{
    static time_t                 logged;
    ngx_http_appverify_zone_t    *zone;

    zone = ctx->zone;

    /* the step as it started: its answer is this one */
    if (ctx->rd) {
        ctx->x = ctx->rd->x;
    }

    ctx->next = AV_NEXT_SEND;

    if (ctx->stale) {

        /* the copy this node keeps, older than the lookup interval: for
         * the gate and status, better than no answer */

        *a = *ctx->stale;
        av_metrics_request(zone->store.metrics, ctx->ep, a->err);

        if (logged != ngx_time()) {
            logged = ngx_time();
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "appverify: redis of zone \"%s\": %s: answered "
                          "from this node's copy of xid \"%s\"",
                          zone->name, why, a->rec.xid);
        }

        return NGX_OK;
    }

    av_answer_init(a);
    av_answer_error(a, AV_ERR_STORE_UNAVAILABLE, NULL);

    av_metrics_request(zone->store.metrics, ctx->ep,
                       AV_ERR_STORE_UNAVAILABLE);

    /* one line a second of a worker, however many requests fail */

    if (logged != ngx_time()) {
        logged = ngx_time();
        *ngx_snprintf((u_char *) a->log, sizeof(a->log) - 1,
                      "store_unavailable: redis of zone \"%s\": %s",
                      zone->name, why) = '\0';
        a->level = AV_LOG_ERR;

    } else {
        a->level = AV_LOG_NONE;
    }

    return NGX_OK;
}
