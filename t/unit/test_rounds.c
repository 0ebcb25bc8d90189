/*
 * test_rounds.c: a flow step's rounds with a shared Redis (av_rounds.h),
 * the protocol both servers follow: what is sent (MGET of what the step
 * lacks, the compare-and-set, EVAL after NOSCRIPT), what each reply means
 * (items; written; changed meanwhile: run again), and every way it gives
 * up, with Redis's own words for an error.  The replies are built by hand,
 * as hiredis would hand them over.
 */
#include "unit.h"
#include "av_rounds.h"

#include <string.h>

#define PREFIX   "t:"
#define NOW      1700000000000LL

static char      sha1[41];
static unsigned  runs;

/* what a step reads, and whether it writes x:a after */
typedef struct {
    const char  *keys[AV_SNAP_ITEMS + 2];
    int          write;
    int          found;                 /* x:a was found in the last run */
    av_exchange_t  *x;
} step_t;


static av_item_t
item(const char *key)
{
    av_item_t  it;

    memset(&it, 0, sizeof(it));
    it.kind = key[0] == 'x' ? AV_ITEM_RECORD : AV_ITEM_SLOT;
    it.key_len = strlen(key);
    memcpy(it.key, key, it.key_len + 1);
    return it;
}


/*
 * Reads its items through the store, as a transaction of av_store.c does,
 * stops before deciding while any is not fetched, then puts x:a; its
 * answer says how many runs it took.  Each run changes the exchange, so
 * that a run that did not start from the step's own shows.
 */

static av_next_t
step(void *data, const av_store_t *s, av_answer_t *a)
{
    int        conflict;
    unsigned   i;
    step_t    *st = data;
    av_item_t  it[AV_SNAP_ITEMS + 2];

    runs++;

    if (st->x) {
        st->x->step++;
    }

    for (i = 0; st->keys[i]; i++) {
        it[i] = item(st->keys[i]);

        if (s->read(s->data, &it[i]) != AV_OK) {
            a->err = AV_ERR_STORE_UNAVAILABLE;
            return AV_NEXT_SEND;
        }
    }

    st->found = it[0].found;

    if (*s->unread) {
        return AV_NEXT_SEND;
    }

    if (st->write) {
        av_record_init(&it[0].v.rec, "a", 1, "15551234567", 11,
                       AV_FLOW_SDK, NOW);
        it[0].write = AV_WRITE_PUT;
        it[0].expires_ms = NOW + 60000;

        if (s->commit(s->data, it, i, &conflict) != AV_OK || conflict) {
            a->err = AV_ERR_INTERNAL;
            return AV_NEXT_SEND;
        }
    }

    a->status = 200 + (int) runs;
    return AV_NEXT_ASK;
}


static void
start(av_rounds_t *rd, av_exchange_t *x)
{
    runs = 0;
    av_rounds_start(rd, 3600000, PREFIX, sizeof(PREFIX) - 1, sha1, x);
}


/* replies, as hiredis builds them */

static redisReply  nil = { REDIS_REPLY_NIL, 0, 0, NULL, 0, NULL };

static redisReply
string(const char *s, size_t len)
{
    redisReply  r = { REDIS_REPLY_STRING, 0, len, (char *) s, 0, NULL };

    return r;
}

static redisReply
error(const char *s)
{
    redisReply  r = { REDIS_REPLY_ERROR, 0, strlen(s), (char *) s, 0, NULL };

    return r;
}

static redisReply
integer(long long v)
{
    redisReply  r = { REDIS_REPLY_INTEGER, v, 0, NULL, 0, NULL };

    return r;
}

static redisReply
array(redisReply **e, size_t n)
{
    redisReply  r = { REDIS_REPLY_ARRAY, 0, 0, NULL, n, e };

    return r;
}


/* the MGET of one absent item, answered */

static void
fetch_nil(av_rounds_t *rd)
{
    redisReply   one, *e[1] = { &nil };

    one = array(e, 1);
    av_rounds_reply(rd, &one);
}


/* a record as Redis holds it, for x:a */

static size_t
record_value(unsigned char *buf, size_t cap)
{
    av_item_t  it = item("x:a");

    av_record_init(&it.v.rec, "a", 1, "15551234567", 11, AV_FLOW_SDK, NOW);
    return av_redis_encode(&it, buf, cap);
}


static void
test_read_only(void)
{
    step_t          st = { { "x:a", "p:15551234567", NULL }, 0, 0, NULL };
    redisReply      r, *e[2];
    av_rounds_t     rd;
    unsigned char   v[AV_REDIS_VALUE_MAX];
    redisReply      rec;

    start(&rd, NULL);

    /* the first run names both items, for one MGET */
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_INT(rd.argc, 3);
    CHECK_EQ_MEM(rd.argv[0], rd.len[0], "MGET");
    CHECK_EQ_MEM(rd.argv[1], rd.len[1], "t:x:{a}");
    CHECK_EQ_MEM(rd.argv[2], rd.len[2], "t:p:{15551234567}");
    CHECK(rd.read);

    rec = string((const char *) v, record_value(v, sizeof(v)));
    e[0] = &rec;
    e[1] = &nil;
    r = array(e, 2);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(rd.nforeign, 0);

    /* the second run has all it reads and writes nothing: done */
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK_EQ_INT(runs, 2);
    CHECK(st.found);
    CHECK_EQ_INT(rd.next, AV_NEXT_ASK);
    CHECK_EQ_INT(rd.a.status, 202);       /* the last run's answer */
    CHECK(rd.why == NULL);

    /* asked again, the answer stands */
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK_EQ_INT(runs, 2);
}


/* a write: one MGET, then the compare-and-set of what it read */

static void
commit_round(av_rounds_t *rd, step_t *st)
{
    CHECK_EQ_INT(av_rounds_go(rd, step, st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_MEM(rd->argv[0], rd->len[0], "MGET");
    fetch_nil(rd);

    CHECK_EQ_INT(av_rounds_go(rd, step, st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_MEM(rd->argv[0], rd->len[0], "EVALSHA");
    CHECK_EQ_MEM(rd->argv[1], rd->len[1], sha1);
    CHECK_EQ_MEM(rd->argv[3], rd->len[3], "t:x:{a}");
    CHECK(!rd->read);
}


/* ... and Redis's reply to the commit */

static void
committed(av_rounds_t *rd, step_t *st, av_exchange_t *x, redisReply r)
{
    start(rd, x);
    commit_round(rd, st);
    av_rounds_reply(rd, &r);
}


static void
test_commit_ok(void)
{
    step_t        st = { { "x:a", NULL }, 1, 0, NULL };
    av_rounds_t   rd;

    committed(&rd, &st, NULL, integer(AV_REDIS_CAS_OK));

    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK_EQ_INT(runs, 2);
    CHECK_EQ_INT(rd.conflicts, 0);
    CHECK_EQ_INT(rd.a.status, 202);
}


/* another node changed an item between the MGET and the commit: every
 * item is fetched again and the step runs again from its start */

static void
test_conflict_runs_again(void)
{
    step_t          st = { { "x:a", NULL }, 1, 0, NULL };
    redisReply      r;
    av_rounds_t     rd;
    av_exchange_t   x;

    memset(&x, 0, sizeof(x));
    x.step = 7;
    st.x = &x;

    start(&rd, &x);
    commit_round(&rd, &st);
    CHECK_EQ_INT(x.step, 8);

    r = integer(AV_REDIS_CAS_CONFLICT);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(rd.conflicts, 1);

    /* run again: it lacks x:a once more */
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_INT(rd.argc, 2);
    CHECK_EQ_MEM(rd.argv[0], rd.len[0], "MGET");
    CHECK_EQ_MEM(rd.argv[1], rd.len[1], "t:x:{a}");
    CHECK_EQ_INT(x.step, 8);              /* from the step's start */
    fetch_nil(&rd);

    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_MEM(rd.argv[0], rd.len[0], "EVALSHA");
    r = integer(AV_REDIS_CAS_OK);
    av_rounds_reply(&rd, &r);

    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK_EQ_INT(runs, 4);
    CHECK_EQ_INT(x.step, 8);              /* what the last run left */
}


static void
test_rounds_exhausted(void)
{
    step_t          st = { { "x:a", NULL }, 1, 0, NULL };
    unsigned        sent;
    redisReply      r;
    av_rounds_t     rd;
    av_exchange_t   x;
    av_rounds_rc_t  rc;

    memset(&x, 0, sizeof(x));
    st.x = &x;
    start(&rd, &x);
    sent = 0;

    while ((rc = av_rounds_go(&rd, step, &st, NOW)) == AV_ROUNDS_SEND
           && sent < 100)
    {
        sent++;

        if (rd.read) {
            fetch_nil(&rd);

        } else {
            r = integer(AV_REDIS_CAS_CONFLICT);
            av_rounds_reply(&rd, &r);
        }
    }

    CHECK_EQ_INT(rc, AV_ROUNDS_FAIL);
    CHECK_EQ_INT(runs, AV_SNAP_ROUNDS);
    CHECK_EQ_INT(sent, AV_SNAP_ROUNDS);
    CHECK_EQ_STR(rd.why, "other nodes kept changing what the step read");
    CHECK_EQ_INT(x.step, 0);              /* given back as it started */

    /* it stays failed */
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_INT(runs, AV_SNAP_ROUNDS);
}


/* a Redis without the script: the same commit as EVAL with its text,
 * once; the step does not run again for it */

static void
test_noscript_eval(void)
{
    step_t        st = { { "x:a", NULL }, 1, 0, NULL };
    redisReply    r, noscript;
    av_rounds_t   rd;

    noscript = error("NOSCRIPT No matching script. Please use EVAL.");
    committed(&rd, &st, NULL, noscript);

    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_MEM(rd.argv[0], rd.len[0], "EVAL");
    CHECK_EQ_MEM(rd.argv[1], rd.len[1], av_redis_cas_script);
    CHECK_EQ_MEM(rd.argv[3], rd.len[3], "t:x:{a}");
    CHECK(!rd.read);
    CHECK_EQ_INT(runs, 2);

    r = integer(AV_REDIS_CAS_OK);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK_EQ_INT(runs, 2);

    /* NOSCRIPT to EVAL itself is no reason to go round again */
    committed(&rd, &st, NULL, noscript);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    av_rounds_reply(&rd, &noscript);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "redis refused the commit: NOSCRIPT No matching "
                         "script. Please use EVAL.");
}


/* Redis's words for an error tell the operator what to fix */

static void
test_error_words(void)
{
    step_t          st = { { "x:a", NULL }, 1, 0, NULL };
    char            longer[300];
    redisReply      r;
    av_rounds_t     rd;
    av_exchange_t   x;

    memset(&x, 0, sizeof(x));
    st.x = &x;

    committed(&rd, &st, &x, error("NOAUTH Authentication required."));
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "redis refused the commit: NOAUTH Authentication "
                         "required.");
    CHECK_EQ_INT(x.step, 0);

    start(&rd, NULL);
    st.x = NULL;
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    r = error("READONLY You can't write against a read only replica.");
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "redis refused MGET: READONLY You can't write "
                         "against a read only replica.");

    /* shortened: a line of the log, not a page */
    memset(longer, 'E', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    start(&rd, NULL);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    r = error(longer);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_INT(strlen(rd.why), strlen("redis refused MGET: ") + 100);
}


/* anything but the replies named is refused, and a value never logged */

static void
expect_refused(redisReply *r, int at_commit, const char *why)
{
    step_t        st = { { "x:a", NULL }, 1, 0, NULL };
    av_rounds_t   rd;

    if (at_commit) {
        committed(&rd, &st, NULL, *r);

    } else {
        start(&rd, NULL);
        CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
        av_rounds_reply(&rd, r);
    }
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, why);
}


static void
test_wrong_replies(void)
{
    char         big[AV_ITEM_RAW_MAX + 1];
    redisReply   r, v, *e[2];

    r = integer(1);
    expect_refused(&r, 0, "an unexpected reply to MGET");
    r = string("x", 1);
    expect_refused(&r, 0, "an unexpected reply to MGET");

    /* an element neither nil nor a string */
    v = integer(3);
    e[0] = &v;
    r = array(e, 1);
    expect_refused(&r, 0, "an unexpected reply to MGET");

    /* more or fewer values than keys asked for */
    e[0] = &nil;
    e[1] = &nil;
    r = array(e, 2);
    expect_refused(&r, 0, "an unexpected reply to MGET");
    r = array(e, 0);
    expect_refused(&r, 0, "an unexpected reply to MGET");

    /* longer than any value of ours: the commit could not expect it */
    memset(big, 'v', sizeof(big));
    v = string(big, sizeof(big));
    e[0] = &v;
    r = array(e, 1);
    expect_refused(&r, 0, "an unexpected reply to MGET");

    /* the commit answers 1 or 0, as an integer */
    r = integer(2);
    expect_refused(&r, 1, "an unexpected reply to the commit");
    r = string("1", 1);
    expect_refused(&r, 1, "an unexpected reply to the commit");
    r = nil;
    expect_refused(&r, 1, "an unexpected reply to the commit");
    e[0] = &nil;
    r = array(e, 1);
    expect_refused(&r, 1, "an unexpected reply to the commit");

    /* no reply at all */
    expect_refused(NULL, 0, "no reply");
}


/* a value that is not one of ours reads as absent, named for a warning */

static void
test_foreign(void)
{
    step_t        st = { { "x:a", NULL }, 0, 1, NULL };
    redisReply    r, v, *e[1];
    av_rounds_t   rd;

    start(&rd, NULL);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);

    v = string("not one of ours", 15);
    e[0] = &v;
    r = array(e, 1);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(rd.nforeign, 1);
    CHECK_EQ_STR(rd.foreign[0], "t:x:{a}");

    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_DONE);
    CHECK(!st.found);
}


/* the step or the glue out of order */

static void
test_misuse(void)
{
    step_t          st = { { "x:a", NULL }, 0, 0, NULL };
    step_t          wide = { { "x:a", "p:1", "p:2", "p:3", "p:4", "p:5",
                               "p:6", NULL }, 0, 0, NULL };
    redisReply      r;
    av_rounds_t     rd;
    av_exchange_t   x;

    /* a second go() while the MGET is out */
    start(&rd, NULL);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "a round ended without its reply");

    /* a reply before anything was sent */
    start(&rd, NULL);
    r = integer(1);
    av_rounds_reply(&rd, &r);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "a reply no round asked for");
    CHECK_EQ_INT(runs, 0);

    /* more items than a snapshot holds */
    start(&rd, NULL);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &wide, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "a step named more items than a round holds");

    /* the glue's own failure, in its words, copied; the exchange back */
    memset(&x, 0, sizeof(x));
    st.x = &x;
    start(&rd, &x);
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_SEND);
    CHECK_EQ_INT(x.step, 1);
    {
        char  words[] = "Connection refused";

        av_rounds_fail(&rd, words);
        words[0] = '-';
    }
    CHECK_EQ_INT(av_rounds_go(&rd, step, &st, NOW), AV_ROUNDS_FAIL);
    CHECK_EQ_STR(rd.why, "Connection refused");
    CHECK_EQ_INT(x.step, 0);
}


/* AUTH's and SELECT's replies, on the glue's connection */

static void
test_ok(void)
{
    char        buf[AV_ROUNDS_WHY_MAX];
    redisReply  r = { REDIS_REPLY_STATUS, 0, 2, (char *) "OK", 0, NULL };

    CHECK(av_rounds_ok(&r, "AUTH", buf, sizeof(buf)) == NULL);

    r = error("WRONGPASS invalid username-password pair");
    CHECK_EQ_STR(av_rounds_ok(&r, "AUTH", buf, sizeof(buf)),
                 "redis refused AUTH: WRONGPASS invalid username-password "
                 "pair");

    r = integer(1);
    CHECK_EQ_STR(av_rounds_ok(&r, "SELECT", buf, sizeof(buf)),
                 "an unexpected reply to SELECT");

    CHECK_EQ_STR(av_rounds_ok(NULL, "SELECT", buf, sizeof(buf)),
                 "no reply to SELECT");
}


int
main(void)
{
    if (av_redis_cas_sha1(sha1) != 0) {
        return 1;
    }

    RUN(test_read_only);
    RUN(test_commit_ok);
    RUN(test_conflict_runs_again);
    RUN(test_rounds_exhausted);
    RUN(test_noscript_eval);
    RUN(test_error_words);
    RUN(test_wrong_replies);
    RUN(test_foreign);
    RUN(test_misuse);
    RUN(test_ok);

    return UNIT_DONE();
}
