/*
 * av_rounds.c: a flow step's rounds with a shared Redis (av_rounds.h).
 */
#include "av_rounds.h"

#include <stdio.h>
#include <string.h>

/* what the next av_rounds_go() does, or what the reply answers */
enum {
    AV_ROUNDS_RUN = 0,      /* run the step */
    AV_ROUNDS_MGET,         /* an MGET is out */
    AV_ROUNDS_CAS,          /* a commit is out */
    AV_ROUNDS_EVAL,         /* send the commit again, as EVAL */
    AV_ROUNDS_OK,           /* the answer stands */
    AV_ROUNDS_FAILED
};

/* Redis's words, shortened: enough to say what to fix */
#define AV_ROUNDS_WORDS_MAX  100


static const char *
av_rounds_words(char *buf, size_t cap, const char *what,
    const redisReply *reply)
{
    size_t  n;

    if (reply->type == REDIS_REPLY_ERROR && reply->str != NULL) {
        n = reply->len < AV_ROUNDS_WORDS_MAX ? reply->len
                                             : AV_ROUNDS_WORDS_MAX;
        snprintf(buf, cap, "redis refused %s: %.*s", what, (int) n,
                 reply->str);

    } else {
        snprintf(buf, cap, "an unexpected reply to %s", what);
    }

    return buf;
}


static void
av_rounds_unexpected(av_rounds_t *rd, const redisReply *reply,
    const char *what)
{
    av_rounds_fail(rd, av_rounds_words(rd->why_buf, sizeof(rd->why_buf),
                                       what, reply));
}


void
av_rounds_start(av_rounds_t *rd, int64_t ttl_ms, const char *prefix,
    size_t prefix_len, const char *sha1, av_exchange_t *x)
{
    /* all 0: nothing sent, nothing failed, the first round, EVALSHA */
    memset(rd, 0, sizeof(*rd));
    av_snap_init(&rd->snap, ttl_ms);

    rd->next = AV_NEXT_SEND;
    rd->state = AV_ROUNDS_RUN;
    rd->prefix = prefix;
    rd->prefix_len = prefix_len;
    rd->sha1 = sha1;
    rd->x = x;

    if (x != NULL) {
        rd->x0 = *x;
    }
}


/* One MGET of everything the run named and the snapshot has not. */

static av_rounds_rc_t
av_rounds_fetch(av_rounds_t *rd)
{
    unsigned  i;

    rd->mget[0] = "MGET";
    rd->mget_len[0] = 4;

    for (i = 0; i < rd->nmiss; i++) {
        rd->mget_len[1 + i] = av_redis_key(rd->key[i], sizeof(rd->key[i]),
                                           rd->prefix, rd->prefix_len,
                                           rd->miss[i]);
        if (rd->mget_len[1 + i] == 0) {
            av_rounds_fail(rd, "an item has no redis key");
            return AV_ROUNDS_FAIL;
        }

        rd->mget[1 + i] = rd->key[i];
    }

    rd->argc = 1 + rd->nmiss;
    rd->argv = rd->mget;
    rd->len = rd->mget_len;
    rd->read = 1;
    rd->state = AV_ROUNDS_MGET;

    return AV_ROUNDS_SEND;
}


static av_rounds_rc_t
av_rounds_commit(av_rounds_t *rd, int64_t now_ms)
{
    if (av_redis_cas_build(&rd->commit, rd->sha1, rd->script, rd->prefix,
                           rd->prefix_len, rd->cas, rd->ncas, now_ms)
        != 0)
    {
        av_rounds_fail(rd, "the commit cannot be built");
        return AV_ROUNDS_FAIL;
    }

    rd->argc = rd->commit.argc;
    rd->argv = rd->commit.argv;
    rd->len = rd->commit.len;
    rd->read = 0;
    rd->state = AV_ROUNDS_CAS;

    return AV_ROUNDS_SEND;
}


/* A run from the step's start, on what the snapshot holds: what it
 * lacks is fetched, what it wrote committed, or its answer stands. */

static av_rounds_rc_t
av_rounds_run(av_rounds_t *rd, av_rounds_step_pt step, void *data,
    int64_t now_ms)
{
    int  m;

    if (++rd->rounds > AV_SNAP_ROUNDS) {
        av_rounds_fail(rd, "other nodes kept changing what the step read");
        return AV_ROUNDS_FAIL;
    }

    if (rd->x != NULL) {
        *rd->x = rd->x0;
    }

    av_snap_rewind(&rd->snap);
    av_answer_init(&rd->a);

    rd->next = step(data, &rd->snap.store, &rd->a);

    m = av_snap_missing(&rd->snap, rd->miss, AV_SNAP_ITEMS);

    if (m < 0) {
        av_rounds_fail(rd, "a step named more items than a round holds");
        return AV_ROUNDS_FAIL;
    }

    if (m > 0) {
        rd->nmiss = (unsigned) m;
        return av_rounds_fetch(rd);
    }

    rd->ncas = av_snap_cas(&rd->snap, rd->cas, AV_SNAP_ITEMS);

    if (rd->ncas == 0) {
        rd->state = AV_ROUNDS_OK;
        return AV_ROUNDS_DONE;
    }

    return av_rounds_commit(rd, now_ms);
}


av_rounds_rc_t
av_rounds_go(av_rounds_t *rd, av_rounds_step_pt step, void *data,
    int64_t now_ms)
{
    switch (rd->state) {

    case AV_ROUNDS_RUN:
        return av_rounds_run(rd, step, data, now_ms);

    case AV_ROUNDS_EVAL:
        return av_rounds_commit(rd, now_ms);

    case AV_ROUNDS_OK:
        return AV_ROUNDS_DONE;

    case AV_ROUNDS_FAILED:
        return AV_ROUNDS_FAIL;

    default:
        /* a command is out: without its reply the step cannot go on */
        av_rounds_fail(rd, "a round ended without its reply");
        return AV_ROUNDS_FAIL;
    }
}


static void
av_rounds_fetched(av_rounds_t *rd, const redisReply *reply)
{
    int                foreign;
    unsigned           i;
    const redisReply  *v;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != rd->nmiss) {
        av_rounds_unexpected(rd, reply, "MGET");
        return;
    }

    for (i = 0; i < rd->nmiss; i++) {
        v = reply->element[i];

        if (v == NULL
            || (v->type != REDIS_REPLY_NIL && v->type != REDIS_REPLY_STRING))
        {
            av_rounds_unexpected(rd, reply, "MGET");
            return;
        }

        if (av_redis_item_read(rd->miss[i],
                               v->type == REDIS_REPLY_STRING
                               ? (const unsigned char *) v->str : NULL,
                               v->len, &foreign)
            != 0)
        {
            av_rounds_unexpected(rd, reply, "MGET");
            return;
        }

        if (foreign) {
            rd->foreign[rd->nforeign++] = rd->key[i];
        }

        av_snap_fetched(&rd->snap, rd->miss[i]);
    }

    rd->nmiss = 0;
    rd->state = AV_ROUNDS_RUN;
}


static void
av_rounds_committed(av_rounds_t *rd, const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR && !rd->script && reply->str
        && reply->len >= 8 && memcmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        /* a Redis that restarted or flushed its scripts: EVAL gives it
         * the text, and caches it */
        rd->script = 1;
        rd->state = AV_ROUNDS_EVAL;
        return;
    }

    if (reply->type == REDIS_REPLY_INTEGER
        && reply->integer == AV_REDIS_CAS_OK)
    {
        rd->state = AV_ROUNDS_OK;
        return;
    }

    if (reply->type == REDIS_REPLY_INTEGER
        && reply->integer == AV_REDIS_CAS_CONFLICT)
    {
        /* nothing was written: the step runs again on what is there now */
        av_snap_refetch(&rd->snap);
        rd->ncas = 0;
        rd->conflicts++;
        rd->state = AV_ROUNDS_RUN;
        return;
    }

    av_rounds_unexpected(rd, reply, "the commit");
}


void
av_rounds_reply(av_rounds_t *rd, const redisReply *reply)
{
    rd->nforeign = 0;

    if (reply == NULL) {
        av_rounds_fail(rd, "no reply");
        return;
    }

    switch (rd->state) {

    case AV_ROUNDS_MGET:
        av_rounds_fetched(rd, reply);
        return;

    case AV_ROUNDS_CAS:
        av_rounds_committed(rd, reply);
        return;

    default:
        av_rounds_fail(rd, "a reply no round asked for");
        return;
    }
}


void
av_rounds_fail(av_rounds_t *rd, const char *why)
{
    if (why != rd->why_buf) {
        snprintf(rd->why_buf, sizeof(rd->why_buf), "%s", why);
    }

    rd->why = rd->why_buf;
    rd->state = AV_ROUNDS_FAILED;

    /* the step as it started: the glue's answer is from there */
    if (rd->x != NULL) {
        *rd->x = rd->x0;
    }
}


const char *
av_rounds_ok(const redisReply *reply, const char *what, char *buf,
    size_t cap)
{
    if (reply == NULL) {
        snprintf(buf, cap, "no reply to %s", what);
        return buf;
    }

    if (reply->type == REDIS_REPLY_STATUS) {
        return NULL;
    }

    return av_rounds_words(buf, cap, what, reply);
}
