/*
 * av_rounds.h: a flow step run against a shared Redis, in rounds, for
 * any server.
 *
 * A step runs against a snapshot (av_snap.h): each round either fetches
 * what the last run named (one MGET), or commits everything the run read
 * and wrote (the core's compare-and-set, av_redis.h), and another node's
 * change in between runs the step again.  This is the whole protocol:
 * what to send, what each reply means, when to give up.  The glue only
 * sends the command and hands back Redis's reply, however it talks to
 * Redis (nginx: an async subrequest; httpd: a blocking hiredis call):
 *
 *     av_rounds_start(rd, ...);
 *     while ((rc = av_rounds_go(rd, step, data, now)) == AV_ROUNDS_SEND) {
 *         reply = <send rd->argc, rd->argv, rd->len; read one reply>;
 *         av_rounds_reply(rd, reply);      (or av_rounds_fail: no reply)
 *     }
 *     DONE: rd->a and rd->next are the step's; add rd->snap.metrics to
 *           the node's counters (only the run whose answer is sent
 *           counts); log each of rd->foreign
 *     FAIL: rd->why, for the one log line of a 503 store_unavailable
 *
 * The connection (connect, AUTH, SELECT, timeouts) is the glue's; so is
 * what it keeps of the answer (av_store_keep).  No I/O, no clock (the
 * glue gives the time, for the expiries the commit sets).
 */
#ifndef AV_ROUNDS_H
#define AV_ROUNDS_H

#include <hiredis/hiredis.h>

#include "av_flow.h"
#include "av_redis.h"
#include "av_snap.h"

/* A step: one core call on store, its answer in a; what follows it. */
typedef av_next_t (*av_rounds_step_pt)(void *data, const av_store_t *store,
    av_answer_t *a);

typedef enum {
    AV_ROUNDS_SEND = 0,     /* send rd->argv, then av_rounds_reply() */
    AV_ROUNDS_DONE,         /* rd->a, rd->next: the step's answer */
    AV_ROUNDS_FAIL          /* rd->why: Redis cannot answer this step */
} av_rounds_rc_t;

#define AV_ROUNDS_WHY_MAX  160

typedef struct {
    av_snap_t        snap;
    av_answer_t      a;                     /* the last run's */
    av_next_t        next;

    /* AV_ROUNDS_SEND: the command */
    unsigned         argc;
    const char     **argv;
    const size_t    *len;
    unsigned         read:1;                /* it only reads: sending it
                                               again is harmless (a commit
                                               sent twice could be applied
                                               twice) */

    /* after a fetch: the Redis keys of values that are not ours (read as
     * absent), for a warning each */
    const char      *foreign[AV_SNAP_ITEMS];
    unsigned         nforeign;

    const char      *why;                   /* AV_ROUNDS_FAIL */
    unsigned         conflicts;             /* for the glue's debug log */

    /* the rest is av_rounds.c's */
    unsigned         state;
    unsigned         rounds;
    unsigned         script:1;              /* EVAL: after NOSCRIPT */
    const char      *prefix;
    size_t           prefix_len;
    const char      *sha1;
    av_exchange_t   *x;                     /* the glue's, NULL: none */
    av_exchange_t    x0;                    /* ... as the step started */
    av_item_t       *miss[AV_SNAP_ITEMS];
    unsigned         nmiss;
    av_item_t        cas[AV_SNAP_ITEMS];
    unsigned         ncas;
    const char      *mget[1 + AV_SNAP_ITEMS];
    size_t           mget_len[1 + AV_SNAP_ITEMS];
    char             key[AV_SNAP_ITEMS][AV_REDIS_KEY_MAX + 1];
    av_redis_cas_t   commit;
    char             why_buf[AV_ROUNDS_WHY_MAX];
} av_rounds_t;

/*
 * A step about to run: ttl_ms is the shared store's, prefix and sha1
 * (av_redis_cas_sha1) the Redis's.  x, when the step has one, is put back
 * as it is now before each run (a step runs again only whole) and when
 * the step fails (its answer is then the one it started from).  The
 * strings must outlive rd.
 */
void           av_rounds_start(av_rounds_t *rd, int64_t ttl_ms,
    const char *prefix, size_t prefix_len, const char *sha1,
    av_exchange_t *x);

/* Runs the step as often as it takes until there is something to send,
 * an answer, or a reason to give up (AV_SNAP_ROUNDS runs at most). */
av_rounds_rc_t av_rounds_go(av_rounds_t *rd, av_rounds_step_pt step,
    void *data, int64_t now_ms);

/*
 * Redis's reply to the command sent (the glue keeps and frees it): an
 * MGET's array of nil or strings fills the snapshot in; the commit's
 * integer says written or changed meanwhile (the step runs again); its
 * NOSCRIPT sends it again as EVAL.  Anything else fails the step, with
 * Redis's own words for an error (NOAUTH, READONLY, OOM: what the operator
 * must fix), never a value, which could be anything.  NULL: no reply.
 */
void           av_rounds_reply(av_rounds_t *rd, const redisReply *reply);

/* The glue could not send or read a round: the step fails with why. */
void           av_rounds_fail(av_rounds_t *rd, const char *why);

/*
 * A reply to AUTH or SELECT, which the glue sends on a connection before
 * the rounds: NULL when it is +OK, else why not, in buf (what names the
 * command), with Redis's words for an error.
 */
const char    *av_rounds_ok(const redisReply *reply, const char *what,
    char *buf, size_t cap);

#endif /* AV_ROUNDS_H */
