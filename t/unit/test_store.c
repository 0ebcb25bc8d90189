/*
 * test_store.c: the transactions on the verification state (av_store.h),
 * against a store in memory that can also play a network store: one whose
 * commit finds that another node got there first, or that cannot be read.
 */
#include "unit.h"
#include "av_store.h"

#include <string.h>

#include "mem_store.h"

static av_start_conf_t
conf_default(void)
{
    av_start_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.phone.rate = 100;                 /* 6r/m */
    c.phone.burst = 3;
    c.pending_ms = 60000;
    return c;
}

static av_err_t
start(const char *xid, const char *phone, av_flow_t flow)
{
    const char       *why;
    av_record_t       rec;
    av_start_conf_t   c = conf_default();

    av_record_init(&rec, xid, strlen(xid), phone, strlen(phone), flow,
                   mem.now_ms);
    return av_store_start(&store, &rec, &c, "192.0.2.7", &why);
}

static av_status_doc_t
status(const char *xid, const char *phone, int code, int64_t updated)
{
    av_status_doc_t  d;

    memset(&d, 0, sizeof(d));
    strcpy(d.xid, xid);
    strcpy(d.phone, phone);
    d.code = code;
    d.updated_on_ms = updated;
    return d;
}


static void
test_start_stores_the_record_and_the_phone_bucket(void)
{
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec), AV_OK);
    CHECK_EQ_STR(rec.phone, "447981897555");
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK(mem_find(&mem, "p:447981897555") != NULL);

    /* the record lives ttl from its creation */
    CHECK_EQ_INT(mem_find(&mem, "x:x1")->expires_ms, 1000000 + 3600000);

    CHECK_EQ_INT(av_store_find(&store, "x2", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);
    CHECK(!mem.locked);
}


static void
test_start_refusals_write_nothing(void)
{
    unsigned  before;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);
    before = mem_count(&mem);

    /* the phone's latest is still pending: read through its bucket */
    CHECK_EQ_INT(start("x2", "447981897555", AV_FLOW_SDK), AV_ERR_DUPLICATE);
    CHECK_EQ_INT(start("x1", "447981897556", AV_FLOW_SDK), AV_ERR_XID_IN_USE);
    CHECK_EQ_INT(mem_count(&mem), before);
    CHECK(mem_find(&mem, "x:x2") == NULL);
}


static void
test_start_rate_limit_across_verifications(void)
{
    int              i;
    const char      *why;
    av_record_t      rec;
    av_start_conf_t  c = conf_default();
    char             xid[16];

    reset();
    c.pending_ms = 0;                   /* no duplicate rule here */

    for (i = 0; i < 5; i++) {
        snprintf(xid, sizeof(xid), "r%d", i);
        av_record_init(&rec, xid, strlen(xid), "447981897555", 12,
                       AV_FLOW_SDK, mem.now_ms);
        why = NULL;

        if (i < 4) {
            CHECK_EQ_INT(av_store_start(&store, &rec, &c, NULL, &why), AV_OK);
        } else {
            CHECK_EQ_INT(av_store_start(&store, &rec, &c, NULL, &why),
                         AV_ERR_RATE_LIMITED);
            CHECK(why != NULL);
            CHECK(mem_find(&mem, "x:r4") == NULL);
        }
    }
}


static void
test_start_all_or_nothing_when_full(void)
{
    reset();
    mem.cap = 1;                        /* room for the record, not its bucket */
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_ERR_STORE_FULL);
    CHECK_EQ_INT(mem_count(&mem), 0);
}


static void
test_apply_unseen_then_repeat_then_stale(void)
{
    av_apply_t       res;
    av_record_t      rec;
    av_status_doc_t  d;

    reset();

    /* a callback for an xid another node issued makes its record */
    d = status("n1", "447981897555", 1800, 2000000);
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_OK);
    CHECK_EQ_INT(res, AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK(mem_find(&mem, "x:n1") != NULL);

    /* the same again writes nothing */
    mem.commits = 0;
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_OK);
    CHECK_EQ_INT(res, AV_APPLY_SAME);
    CHECK_EQ_INT(mem.commits, 0);

    /* an older pending one does not undo it */
    d = status("n1", "447981897555", 1803, 1500000);
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_OK);
    CHECK_EQ_INT(res, AV_APPLY_STALE);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
}


static void
test_apply_another_phone_is_refused(void)
{
    av_apply_t       res;
    av_record_t      rec;
    av_status_doc_t  d;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);

    d = status("x1", "15551234567", 1800, 0);
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec), AV_OK);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
}


static void
test_lookup_one_claim_at_a_time(void)
{
    int              have;
    int64_t          claim, other;
    av_apply_t       res;
    av_record_t      rec;
    av_status_doc_t  d;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);

    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &claim), AV_OK);
    CHECK(claim != 0);
    CHECK(have);

    /* in flight: nobody else asks, on any node */
    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 5000, 6000,
                                       mem.now_ms + 100, &rec, &have,
                                       &other), AV_OK);
    CHECK_EQ_INT(other, 0);

    d = status("x1", "447981897555", 1800, 0);
    CHECK_EQ_INT(av_store_lookup_end(&store, "x1", claim, 5000, &d,
                                     mem.now_ms + 200, &rec, &have, &res),
                 AV_OK);
    CHECK(have);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);

    /* terminal: the stored state is the answer from now on */
    mem.now_ms += 60000;
    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &claim), AV_OK);
    CHECK_EQ_INT(claim, 0);
}


static void
test_lookup_interval_and_vanished_requester(void)
{
    int          have;
    int64_t      claim, c2;
    av_record_t  rec;

    reset();

    /* absent here: claimed all the same (the credential proves the xid) */
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &claim), AV_OK);
    CHECK(claim != 0);
    CHECK(!have);

    /* meanwhile another request hears "pending", not "unknown" */
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000,
                                       mem.now_ms + 10, &rec, &have, &c2),
                 AV_OK);
    CHECK_EQ_INT(c2, 0);
    CHECK(have);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);

    /* no usable answer: nothing stored, the claim is answered */
    CHECK_EQ_INT(av_store_lookup_end(&store, "a1", claim, 5000, NULL,
                                     mem.now_ms, &rec, &have, NULL), AV_OK);
    CHECK(!have);
    CHECK(mem_find(&mem, "x:a1") == NULL);

    /* within the interval: not asked again */
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000,
                                       mem.now_ms + 4000, &rec, &have, &c2),
                 AV_OK);
    CHECK_EQ_INT(c2, 0);

    /* a claim whose requester vanished runs out after the timeout */
    mem.now_ms += 5000;
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &claim), AV_OK);
    CHECK(claim != 0);
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000,
                                       mem.now_ms + 5999, &rec, &have, &c2),
                 AV_OK);
    CHECK_EQ_INT(c2, 0);
    mem.now_ms += 6000;
    CHECK_EQ_INT(av_store_lookup_begin(&store, "a1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &c2), AV_OK);
    CHECK(c2 != 0);

    /* the first requester's late end is not the newer claim's to end */
    CHECK_EQ_INT(av_store_lookup_end(&store, "a1", claim, 5000, NULL,
                                     mem.now_ms, &rec, &have, NULL), AV_OK);
    CHECK(mem_find(&mem, "l:a1") != NULL);
    CHECK(mem_find(&mem, "l:a1")->val.mark.busy_until_ms != 0);
}


/* A claim stamped a little after our clock is another request's that read
 * the clock later (ours was read before the store was reached, or before
 * a conflict ran the transaction again): in flight, not a clock that went
 * back.  Two httpd children of one Redis both asked Telesign so. */
static void
test_lookup_claim_stamped_after_our_clock(void)
{
    int          have;
    int64_t      claim, c2;
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);

    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 1000, 6000,
                                       mem.now_ms + 1, &rec, &have, &claim),
                 AV_OK);
    CHECK(claim != 0);

    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 1000, 6000, mem.now_ms,
                                       &rec, &have, &c2), AV_OK);
    CHECK_EQ_INT(c2, 0);
    CHECK(have);

    /* answered: asked just now, by the clock of the one that asked */
    CHECK_EQ_INT(av_store_lookup_end(&store, "x1", claim, 1000, NULL,
                                     mem.now_ms + 2, &rec, &have, NULL),
                 AV_OK);
    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 1000, 6000, mem.now_ms,
                                       &rec, &have, &c2), AV_OK);
    CHECK_EQ_INT(c2, 0);

    /* further ahead than a claim lasts: our clock went back, and that
     * does not hold lookups off until it is back */
    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 1000, 6000,
                                       mem.now_ms + 1 - 6001, &rec, &have,
                                       &c2), AV_OK);
    CHECK(c2 != 0);
}


static void
test_lookup_not_for_a_missed_call(void)
{
    int          have;
    int64_t      claim;
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("c1", "447981897555", AV_FLOW_CALL), AV_OK);
    CHECK_EQ_INT(av_store_lookup_begin(&store, "c1", 5000, 6000, mem.now_ms,
                                       &rec, &have, &claim), AV_OK);
    CHECK_EQ_INT(claim, 0);
    CHECK(have);
}


static void
test_missed_call_attempts(void)
{
    unsigned     left;
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("c1", "447981897555", AV_FLOW_CALL), AV_OK);

    /* not placed yet: Telesign has no call to check a code against */
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    CHECK_EQ_INT(av_store_call_placed(&store, "c1", "REF1", "4479", &rec),
                 AV_OK);
    CHECK_EQ_STR(rec.prefix, "4479");

    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec), AV_OK);
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec), AV_OK);
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec),
                 AV_ERR_ATTEMPT_BUSY);

    /* one given back (no answer), one wrong code */
    CHECK_EQ_INT(av_store_attempt_end(&store, "c1", 0, 2, mem.now_ms), AV_OK);
    CHECK_EQ_INT(av_store_finalize(&store, "c1", 2402, 2, mem.now_ms, &rec,
                                   &left), AV_OK);
    CHECK_EQ_INT(left, 1);

    /* the last attempt lost with its client: counted, so failed */
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec), AV_OK);
    CHECK_EQ_INT(av_store_attempt_end(&store, "c1", 1, 2, mem.now_ms), AV_OK);
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 2, &rec),
                 AV_ERR_FAILED);

    CHECK_EQ_INT(av_store_finalize(&store, "zz", 2401, 2, mem.now_ms, &rec,
                                   &left), AV_ERR_UNKNOWN_SESSION);
}


static void
test_missed_call_outcome_releases(void)
{
    av_apply_t       res;
    av_record_t      rec;
    av_status_doc_t  d;

    reset();
    CHECK_EQ_INT(start("c1", "447981897555", AV_FLOW_CALL), AV_OK);
    CHECK_EQ_INT(av_store_call_placed(&store, "c1", "REF1", "4479", &rec),
                 AV_OK);
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 3, &rec), AV_OK);
    CHECK_EQ_INT(rec.checking, 1);

    /* Telesign decided it already: its status ends the reservation */
    d = status("c1", "447981897555", 2401, 0);
    strcpy(d.reference_id, "REF1");
    CHECK_EQ_INT(av_store_apply(&store, &d, 1, mem.now_ms, &rec, &res),
                 AV_OK);
    CHECK_EQ_INT(rec.checking, 0);
    CHECK_EQ_INT(av_store_finalize_begin(&store, "c1", 3, &rec),
                 AV_ERR_ALREADY_FINAL);
}


static void
test_forget(void)
{
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("c1", "447981897555", AV_FLOW_CALL), AV_OK);
    CHECK_EQ_INT(av_store_forget(&store, "c1"), AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "c1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    /* the phone may start again at once: no duplicate */
    CHECK_EQ_INT(start("c2", "447981897555", AV_FLOW_CALL), AV_OK);
    CHECK_EQ_INT(av_store_forget(&store, "never"), AV_OK);
}


/* A network store: another node committed in between, so run again. */
static void
test_conflict_runs_again(void)
{
    av_apply_t       res;
    av_record_t      rec;
    av_status_doc_t  d;

    reset();
    mem.conflicts = 2;
    d = status("n1", "447981897555", 1800, 0);
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_OK);
    CHECK_EQ_INT(mem.begins, 3);
    CHECK(mem_find(&mem, "x:n1") != NULL);

    mem.conflicts = AV_TXN_TRIES;
    d = status("n2", "447981897555", 1800, 0);
    CHECK_EQ_INT(av_store_apply(&store, &d, 0, mem.now_ms, &rec, &res),
                 AV_ERR_STORE_UNAVAILABLE);
    CHECK(mem_find(&mem, "x:n2") == NULL);
    CHECK(!mem.locked);
}


/* A store that cannot be read is not an empty store. */
static void
test_unreadable_store(void)
{
    int          have;
    int64_t      claim;
    av_record_t  rec;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);

    mem.read_fails = 1;
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec),
                 AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_INT(start("x2", "447981897556", AV_FLOW_SDK),
                 AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_INT(av_store_lookup_begin(&store, "x1", 1, 1, mem.now_ms, &rec,
                                       &have, &claim),
                 AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_INT(claim, 0);
    CHECK(!mem.locked);

    mem.read_fails = 0;
    mem.begin_fails = 1;
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec), AV_ERR_INTERNAL);
}


/* What a store hands back is checked: a record under another xid's key
 * (a foreign or torn entry) is no record. */
static void
test_foreign_entry_is_no_record(void)
{
    av_record_t   rec;
    mem_entry_t  *e;

    reset();
    CHECK_EQ_INT(start("x1", "447981897555", AV_FLOW_SDK), AV_OK);
    e = mem_find(&mem, "x:x1");
    strcpy(e->val.rec.xid, "x9");
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    e->val.rec.xid[0] = 'x';
    e->val.rec.xid[1] = '1';
    e->val.rec.version = 99;
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);
}


/* An xid too long for a key is refused, not cut short into another's, and
 * before the store is asked. */
static void
test_oversized_key(void)
{
    char         xid[AV_ITEM_KEY_MAX + 8];
    av_record_t  rec;

    reset();
    memset(xid, 'a', sizeof(xid) - 1);
    xid[sizeof(xid) - 1] = '\0';
    CHECK_EQ_INT(av_store_find(&store, xid, strlen(xid), &rec),
                 AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(mem.begins, 0);
}


/* a cache keeps only terminal records, and says how fresh its copy is */
static void
test_keep_terminal_only_and_fresh(void)
{
    int          fresh = 1;
    av_record_t  rec, got;

    reset();

    av_record_init(&rec, "k1", 2, "15551230000", 11, AV_FLOW_SDK, mem.now_ms);
    CHECK_EQ_INT(av_store_keep(&store, &rec, 3600000, mem.now_ms), AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "k1", 2, &got), AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(av_store_find_copy(&store, "k1", 2, 3000, mem.now_ms, &got,
                                    &fresh), AV_ERR_UNKNOWN_SESSION);
    CHECK(!fresh);

    rec.state = AV_STATE_VERIFIED;
    rec.code = 1800;
    rec.updated_ms = mem.now_ms;
    CHECK_EQ_INT(av_store_keep(&store, &rec, 3600000, mem.now_ms), AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "k1", 2, &got), AV_OK);
    CHECK_EQ_INT(got.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(av_store_find_copy(&store, "k1", 2, 3000, mem.now_ms + 2999,
                                    &got, &fresh), AV_OK);
    CHECK(fresh && got.state == AV_STATE_VERIFIED);
    CHECK_EQ_INT(av_store_find_copy(&store, "k1", 2, 3000, mem.now_ms + 3000,
                                    &got, &fresh), AV_OK);
    CHECK(!fresh);
    CHECK_EQ_INT(av_store_find_copy(&store, "k1", 2, 0, mem.now_ms, &got,
                                    &fresh), AV_OK);
    CHECK(!fresh);
    CHECK_EQ_INT(av_store_find_copy(&store, "other", 5, 3000, mem.now_ms,
                                    &got, &fresh), AV_ERR_UNKNOWN_SESSION);

    /* kept again later (blocked since): the copy is replaced and fresh */
    rec.state = AV_STATE_BLOCKED;
    rec.code = 1829;
    rec.updated_ms = mem.now_ms + 5000;
    CHECK_EQ_INT(av_store_keep(&store, &rec, 3600000, mem.now_ms + 5000),
                 AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "k1", 2, &got), AV_OK);
    CHECK_EQ_INT(got.state, AV_STATE_BLOCKED);
    CHECK_EQ_INT(av_store_find_copy(&store, "k1", 2, 3000, mem.now_ms + 6000,
                                    &got, &fresh), AV_OK);
    CHECK(fresh);
}


int
main(void)
{
    RUN(test_start_stores_the_record_and_the_phone_bucket);
    RUN(test_start_refusals_write_nothing);
    RUN(test_start_rate_limit_across_verifications);
    RUN(test_start_all_or_nothing_when_full);
    RUN(test_apply_unseen_then_repeat_then_stale);
    RUN(test_apply_another_phone_is_refused);
    RUN(test_lookup_one_claim_at_a_time);
    RUN(test_lookup_interval_and_vanished_requester);
    RUN(test_lookup_claim_stamped_after_our_clock);
    RUN(test_lookup_not_for_a_missed_call);
    RUN(test_missed_call_attempts);
    RUN(test_missed_call_outcome_releases);
    RUN(test_forget);
    RUN(test_conflict_runs_again);
    RUN(test_unreadable_store);
    RUN(test_foreign_entry_is_no_record);
    RUN(test_oversized_key);
    RUN(test_keep_terminal_only_and_fresh);
    return UNIT_DONE();
}
