/*
 * test_snap.c: a flow step run against a snapshot of a shared store
 * (av_snap.h), the way nginx drives Redis without blocking: rounds of
 * fetches until the step has read everything, one compare-and-set of all
 * it read, run again when another node changed one of them.  The shared
 * store here is a table of keys and encoded values (av_redis.h), as Redis
 * would hold them.
 */
#include "unit.h"
#include "flow_conf.h"
#include "av_flow.h"
#include "av_redis.h"
#include "av_snap.h"

#include <stdlib.h>
#include <string.h>

#define SHARED  32

typedef struct {
    char           key[AV_ITEM_KEY_MAX + 1];
    unsigned char  val[AV_ITEM_RAW_MAX];
    size_t         len;                 /* 0: no such key */
} shared_t;

static shared_t        shared[SHARED];
static unsigned        fetches, commits, conflicts;
static av_metrics_t    counted;
static int64_t         now_ms = 1700000000000LL;

/* another node's write, between a step's fetch and its commit */
static void          (*meddle)(void);

static shared_t *
shared_get(const char *key, int make)
{
    unsigned  i;

    for (i = 0; i < SHARED; i++) {
        if (shared[i].len && strcmp(shared[i].key, key) == 0) {
            return &shared[i];
        }
    }

    for (i = 0; make && i < SHARED; i++) {
        if (shared[i].len == 0) {
            strcpy(shared[i].key, key);
            return &shared[i];
        }
    }

    return NULL;
}

static void
setup(void)
{
    memset(shared, 0, sizeof(shared));
    memset(&counted, 0, sizeof(counted));
    fetches = commits = conflicts = 0;
    meddle = NULL;

    flow_conf_reset();
    fc.signature = 0;
}

/* the shared store's compare-and-set, as AV_REDIS_CAS_SCRIPT does it */
static int
shared_cas(const av_item_t *items, unsigned n)
{
    unsigned   i;
    shared_t  *s;

    for (i = 0; i < n; i++) {
        s = shared_get(items[i].key, 0);

        if ((s ? s->len : 0) != items[i].raw_len
            || (s && memcmp(s->val, items[i].raw, s->len) != 0))
        {
            return 0;
        }
    }

    for (i = 0; i < n; i++) {
        s = shared_get(items[i].key, items[i].write == AV_WRITE_PUT);

        if (items[i].write == AV_WRITE_PUT) {
            s->len = av_redis_encode(&items[i], s->val, sizeof(s->val));
            CHECK(s->len > 0);

        } else if (items[i].write == AV_WRITE_DELETE && s) {
            s->len = 0;
        }
    }

    return 1;
}

/* A step: what a glue keeps to run it again whole. */
typedef struct {
    int            kind;                /* 't' token, 'c' callback, 'g' gate */
    av_params_t    params;
    const char    *body;
    const char    *cred;
    size_t         cred_len;
    av_exchange_t  x;
    av_callback_memo_t  memo;           /* the callback's, across runs */
} step_t;

static void
step_once(step_t *st, const av_store_t *s, av_answer_t *a)
{
    av_exchange_t  x = st->x;       /* every run from the step's start */

    switch (st->kind) {
    case 't':
        av_flow_token(a, &fc, s, &st->params, "192.0.2.7", 1, now_ms);
        break;
    case 'c':
        av_flow_callback_memo(a, &fc, s, &st->memo, NULL, 0, NULL, 0,
                              st->body, strlen(st->body), now_ms);
        break;
    default:
        (void) av_flow_status(&x, a, &fc, s, AV_USE_GATE, st->cred,
                              st->cred_len, now_ms);
    }
}

/* The glue's loop; the number of runs, 0 when it gave up. */
static unsigned
step(step_t *st, av_answer_t *a)
{
    int        m, foreign;
    unsigned   runs, i, n;
    av_item_t *miss[AV_SNAP_ITEMS];
    av_item_t  cas[AV_SNAP_ITEMS];
    shared_t  *s;
    av_snap_t  sn;

    av_snap_init(&sn, 86400000);

    for (runs = 1; runs <= AV_SNAP_ROUNDS; runs++) {
        av_snap_rewind(&sn);
        av_answer_init(a);
        step_once(st, &sn.store, a);

        m = av_snap_missing(&sn, miss, AV_SNAP_ITEMS);
        CHECK(m >= 0);

        if (m > 0) {
            fetches++;
            for (i = 0; i < (unsigned) m; i++) {
                s = shared_get(miss[i]->key, 0);
                CHECK(av_redis_item_read(miss[i], s ? s->val : NULL,
                                         s ? s->len : 0, &foreign) == 0);
                CHECK(!foreign);
                av_snap_fetched(&sn, miss[i]);
            }
            continue;
        }

        n = av_snap_cas(&sn, cas, AV_SNAP_ITEMS);

        if (n) {
            if (meddle) {
                void  (*m2)(void) = meddle;

                meddle = NULL;
                m2();
            }

            commits++;
            if (!shared_cas(cas, n)) {
                conflicts++;
                av_snap_refetch(&sn);
                continue;
            }
        }

        av_metrics_add(&counted, &sn.metrics);
        return runs;
    }

    return 0;
}

/* No xid drawn here: the flow draws it on the first run and keeps it in
 * the params, or the runs would name other records and never complete. */
static void
token_step(step_t *st, const char *form)
{
    memset(st, 0, sizeof(*st));
    st->kind = 't';
    av_params_init(&st->params);
    CHECK_EQ_INT(av_params_parse_form(&st->params, form, strlen(form)),
                 AV_OK);
}

static unsigned
shared_count(char tag)
{
    unsigned  i, n;

    for (i = 0, n = 0; i < SHARED; i++) {
        n += shared[i].len && shared[i].key[0] == tag;
    }

    return n;
}


/* A token: the step reads what it names round by round, then commits the
 * record and its buckets at once; the second for the phone is refused by
 * what the first stored (the duplicate rule read through the snapshot). */
static void
token_commits_once(void)
{
    step_t       st;
    av_answer_t  a;
    unsigned     runs;

    setup();

    token_step(&st, "phone=15551234567");
    runs = step(&st, &a);

    /* one fetch of everything the start reads, one commit */
    CHECK_EQ_INT(runs, 2);
    CHECK_EQ_INT(fetches, 1);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(commits, 1);
    CHECK_EQ_INT(shared_count('x'), 1);
    CHECK_EQ_INT(shared_count('p'), 1);
    CHECK(shared_get(("x:"), 0) == NULL);
    CHECK_EQ_INT(counted.started[AV_FLOW_SDK], 1);
    CHECK_EQ_INT(counted.requests[AV_EP_TOKEN][AV_OK], 1);

    token_step(&st, "phone=15551234567");
    runs = step(&st, &a);

    CHECK(runs >= 2);
    CHECK_EQ_INT(a.err, AV_ERR_DUPLICATE);
    CHECK_EQ_INT(commits, 1);           /* refused: nothing written */
    CHECK_EQ_INT(shared_count('x'), 1);

    /* dropped runs counted nothing: one request each */
    CHECK_EQ_INT(counted.requests[AV_EP_TOKEN][AV_OK], 1);
    CHECK_EQ_INT(counted.requests[AV_EP_TOKEN][AV_ERR_DUPLICATE],
                 1);
    CHECK_EQ_INT(counted.started[AV_FLOW_SDK], 1);
}


/* another node starts a verification for the phone meanwhile */
static void
other_node_token(void)
{
    step_t       st;
    av_answer_t  a;

    token_step(&st, "phone=15551234567");
    CHECK(step(&st, &a) > 0);
    CHECK_EQ_INT(a.err, AV_OK);
}


/* Between this step's fetch and its commit another node took the phone:
 * the commit finds the bucket changed, the step runs on what is there now
 * and is refused as the duplicate it has become; one record, not two. */
static void
conflict_runs_again(void)
{
    step_t       st;
    av_answer_t  a;
    unsigned     before;

    setup();

    token_step(&st, "phone=15551234567");
    meddle = other_node_token;
    CHECK(step(&st, &a) > 0);

    CHECK_EQ_INT(conflicts, 1);
    CHECK_EQ_INT(a.err, AV_ERR_DUPLICATE);
    CHECK_EQ_INT(shared_count('x'), 1);

    /* the refused run counted once, the dropped one not at all */
    CHECK_EQ_INT(counted.requests[AV_EP_TOKEN][AV_ERR_DUPLICATE],
                 1);
    before = counted.requests[AV_EP_TOKEN][AV_OK];
    CHECK_EQ_INT(before, 1);            /* the other node's */
}


/* A callback for a verification started elsewhere, then the gate: the
 * callback commits the verified record; the gate only reads it. */
static void
callback_then_gate(void)
{
    step_t       st;
    av_answer_t  a;
    char         body[512], xid[AV_XID_MAX + 1], cred[AV_CRED_MAX];
    size_t       cred_len;

    setup();

    token_step(&st, "phone=15551234567");
    CHECK(step(&st, &a) > 0);
    CHECK_EQ_INT(a.err, AV_OK);
    strcpy(xid, a.rec.xid);
    memcpy(cred, a.session, a.session_len);
    cred_len = a.session_len;

    snprintf(body, sizeof(body),
             "{\"status\":{\"code\":1800,\"updated_on\":"
             "\"2026-12-02T10:00:00.000000Z\"},\"mobile_verification\":"
             "{\"xid\":\"%s\",\"phone_number\":\"15551234567\"}}", xid);

    memset(&st, 0, sizeof(st));
    st.kind = 'c';
    st.body = body;
    commits = 0;
    CHECK(step(&st, &a) > 0);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(commits, 1);

    /* the memo holds the parse: a run after the first uses it, not the
     * body (here spoilt, as a second parse would find it) */
    CHECK(st.memo.done && st.memo.rc == AV_OK);
    CHECK_EQ_STR(st.memo.doc.xid, xid);
    st.body = "{not json";
    commits = 0;
    CHECK(step(&st, &a) > 0);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(commits, 0);           /* a repeat: nothing changed */

    memset(&st, 0, sizeof(st));
    st.kind = 'g';
    st.cred = cred;
    st.cred_len = cred_len;
    commits = 0;
    CHECK(step(&st, &a) > 0);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(commits, 0);           /* a read: no compare-and-set */
    CHECK_EQ_INT(counted.decided[AV_FLOW_SDK][0], 1);
}


/* A step that names more items than a snapshot holds cannot run. */
static void
overflow_is_refused(void)
{
    unsigned   i;
    av_item_t  it, *miss[AV_SNAP_ITEMS];
    av_snap_t  sn;

    av_snap_init(&sn, 1000);

    for (i = 0; i <= AV_SNAP_ITEMS; i++) {
        memset(&it, 0, sizeof(it));
        it.kind = AV_ITEM_MARK;
        it.key_len = (size_t) snprintf(it.key, sizeof(it.key), "l:%u", i);
        CHECK_EQ_INT(sn.store.read(sn.store.data, &it),
                     i < AV_SNAP_ITEMS ? AV_OK : AV_ERR_STORE_UNAVAILABLE);
        CHECK(!it.found);
    }

    CHECK_EQ_INT(av_snap_missing(&sn, miss, AV_SNAP_ITEMS), -1);
}


/* What Redis hands back for an item: absent, ours, foreign, impossible. */
static void
item_read(void)
{
    int            foreign;
    size_t         len;
    av_item_t      it, got;
    unsigned char  v[AV_ITEM_RAW_MAX + 1];

    memset(&it, 0, sizeof(it));
    it.kind = AV_ITEM_MARK;
    strcpy(it.key, "l:abc");
    it.key_len = 5;
    it.v.mark.at_ms = 42;
    len = av_redis_encode(&it, v, sizeof(v));
    CHECK(len > 0);

    got = it;
    memset(&got.v, 0, sizeof(got.v));
    CHECK(av_redis_item_read(&got, NULL, 0, &foreign) == 0);
    CHECK(!got.found && got.raw_len == 0 && !foreign);

    CHECK(av_redis_item_read(&got, v, len, &foreign) == 0);
    CHECK(got.found && !foreign && got.v.mark.at_ms == 42);
    CHECK(got.raw_len == len && memcmp(got.raw, v, len) == 0);

    v[0] ^= 0xff;
    CHECK(av_redis_item_read(&got, v, len, &foreign) == 0);
    CHECK(!got.found && foreign && got.raw_len == len);

    CHECK(av_redis_item_read(&got, v, 0, &foreign) == -1);
    CHECK(av_redis_item_read(&got, v, sizeof(v), &foreign) == -1);
}


int
main(void)
{
    RUN(token_commits_once);
    RUN(conflict_runs_again);
    RUN(callback_then_gate);
    RUN(overflow_is_refused);
    RUN(item_read);
    return UNIT_DONE();
}
