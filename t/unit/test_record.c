/*
 * test_record.c: the rules for changing a stored verification (callbacks
 * repeat and arrive out of order) and the per-phone leaky bucket.
 */

#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "av_record.h"
#include "av_credential.h"


#define T0  1700000000000LL     /* our clock when the record is issued */


static void
fresh(av_record_t *rec, av_flow_t flow)
{
    av_record_init(rec, "abc123", 6, "15555551234", 11, flow, T0);
}


static void
test_init_is_pending(void)
{
    av_record_t  rec;

    memset(&rec, 'x', sizeof(rec));
    fresh(&rec, AV_FLOW_SDK);

    CHECK_EQ_INT(rec.version, AV_RECORD_VERSION);
    CHECK_EQ_STR(rec.xid, "abc123");
    CHECK_EQ_STR(rec.phone, "15555551234");
    CHECK_EQ_STR(rec.reference_id, "");
    CHECK_EQ_STR(rec.prefix, "");
    CHECK_EQ_INT(rec.code, AV_CODE_PENDING);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(rec.flow, AV_FLOW_SDK);
    CHECK_EQ_INT(rec.attempts, 0);
    CHECK_EQ_INT(rec.created_ms, T0);
    CHECK_EQ_INT(rec.updated_ms, T0);

    /* the missed-call flow starts at the API's own pending code */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(rec.code, AV_CODE_AV_PENDING);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(rec.flow, AV_FLOW_CALL);
}


static void
test_init_bounds_its_copies(void)
{
    av_record_t  rec;
    static const char  longer[] =
        "0123456789012345678901234567890123456789012345678901234567890123"
        "456789";

    av_record_init(&rec, longer, sizeof(longer) - 1, longer,
                   sizeof(longer) - 1, AV_FLOW_SDK, T0);
    CHECK_EQ_INT(strlen(rec.xid), AV_XID_MAX);
    CHECK_EQ_INT(strlen(rec.phone), AV_PHONE_MAX);
}


static void
test_pending_to_verified_is_changed(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, T0 + 5000, T0 + 6000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.code, 1800);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 5000);     /* Telesign's time */
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
}


static void
test_verified_to_pending_is_stale(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1800, T0 + 5000, T0 + 6000);

    /* even when newer: a terminal outcome is never reopened */
    CHECK_EQ_INT(av_record_apply(&rec, 1890, T0 + 9000, T0 + 9000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(av_record_apply(&rec, 2410, T0 + 9000, T0 + 9000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(av_record_apply(&rec, 1234, T0 + 9000, T0 + 9000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(rec.code, 1800);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 5000);
}


static void
test_repeated_status_is_same_and_untouched(void)
{
    av_record_t  rec, before;

    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1800, T0 + 5000, T0 + 6000);
    memcpy(&before, &rec, sizeof(rec));

    /* Telesign's retry of the same callback, and the same status without
     * a time of Telesign's: untouched */
    CHECK_EQ_INT(av_record_apply(&rec, 1800, T0 + 5000, T0 + 36000),
                 AV_APPLY_SAME);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 0, T0 + 36000), AV_APPLY_SAME);
    CHECK(memcmp(&before, &rec, sizeof(rec)) == 0);

    /* the same outcome said later (through Get Status, say): only the
     * record's time moves, so an older outcome cannot undo it */
    CHECK_EQ_INT(av_record_apply(&rec, 1800, T0 + 7000, T0 + 36000),
                 AV_APPLY_LATER);
    CHECK_EQ_INT(rec.updated_ms, T0 + 7000);
    before.updated_ms = T0 + 7000;
    CHECK(memcmp(&before, &rec, sizeof(rec)) == 0);

    /* the first status of a fresh record may repeat its initial code */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_apply(&rec, 2400, T0 + 100, T0 + 200),
                 AV_APPLY_SAME);
}


static void
test_older_timestamp_is_stale(void)
{
    av_record_t  rec;

    /* a success at T0+9s is in; a failure stamped T0+4s arrives late */
    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1800, T0 + 9000, T0 + 9500);

    CHECK_EQ_INT(av_record_apply(&rec, 1803, T0 + 4000, T0 + 40000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(av_record_apply(&rec, 1830, T0 + 8999, T0 + 40000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(rec.code, 1800);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);

    /* and the other way round: a late success does not undo a newer
     * failure */
    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1808, T0 + 9000, T0 + 9500);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, T0 + 4000, T0 + 40000),
                 AV_APPLY_STALE);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_FAILED);
}


static void
test_failed_to_verified_with_newer_timestamp_is_changed(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1803, T0 + 31000, T0 + 31000);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_FAILED);

    CHECK_EQ_INT(av_record_apply(&rec, 1800, T0 + 32000, T0 + 33000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 32000);
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);

    /* an equal timestamp is not older */
    CHECK_EQ_INT(av_record_apply(&rec, 1830, T0 + 32000, T0 + 33000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_BLOCKED);
}


static void
test_missing_updated_on_uses_our_clock(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    CHECK_EQ_INT(av_record_apply(&rec, 1803, 0, T0 + 40000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 40000);

    /* so a later undated status is newer */
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 0, T0 + 41000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 41000);

    /* and an undated one from a clock that went back is not */
    CHECK_EQ_INT(av_record_apply(&rec, 1803, 0, T0 + 39000),
                 AV_APPLY_STALE);
}


static void
test_first_outcome_survives_clock_skew(void)
{
    av_record_t  rec;

    /*
     * Our clock runs 3 s ahead of Telesign's: the success is stamped
     * before the record's issue time on our clock.  A pending record has
     * no outcome to protect, so the success counts.
     */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_apply(&rec, 2401, T0 - 3000, T0 + 1000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
    CHECK_EQ_INT(rec.updated_ms, T0 - 3000);
}


static void
test_pending_codes_move_between_themselves(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_apply(&rec, 2410, T0 + 1000, T0 + 1000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);

    /* an unknown code is not terminal and not verified */
    CHECK_EQ_INT(av_record_apply(&rec, 2499, T0 + 2000, T0 + 2000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_UNKNOWN);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);

    CHECK_EQ_INT(av_record_apply(&rec, 2401, T0 + 3000, T0 + 3000),
                 AV_APPLY_CHANGED);
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
}


static void
test_gate(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);

    rec.state = AV_STATE_UNKNOWN;
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);
    rec.state = AV_STATE_VERIFIED;
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
    rec.state = AV_STATE_FAILED;
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_FAILED);
    rec.state = AV_STATE_BLOCKED;
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_BLOCKED);

    /* a corrupted state byte never opens the gate */
    rec.state = 200;
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);
}


static void
test_is_running(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    CHECK_EQ_INT(av_record_is_running(&rec, T0, 60000), 1);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 59999, 60000), 1);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 60000, 60000), 0);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 - 1000, 60000), 1);

    /* 0 turns the rule off, for a record stamped after now as well (a
     * request that read the clock later committed first, another node) */
    CHECK_EQ_INT(av_record_is_running(&rec, T0, 0), 0);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 - 5, 0), 0);

    /* the age counts from issue, not from the last status */
    av_record_apply(&rec, 2410, T0 + 50000, T0 + 50000);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 60000, 60000), 0);

    rec.state = AV_STATE_UNKNOWN;
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 1000, 60000), 1);

    av_record_apply(&rec, 1800, T0 + 1000, T0 + 1000);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 1000, 60000), 0);

    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 1829, T0 + 1000, T0 + 1000);
    CHECK_EQ_INT(av_record_is_running(&rec, T0 + 1000, 60000), 0);
}


static void
test_json_exact(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    size_t       n;
    av_record_t  rec;

    fresh(&rec, AV_FLOW_SDK);
    rec.attempts = 2;

    n = av_record_json(&rec, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"xid\":\"abc123\",\"phone\":\"15555551234\",\"verified\":false,"
        "\"state\":\"pending\",\"status\":{\"code\":1890,"
        "\"description\":\"Pending\"}}\n");
    CHECK_EQ_INT(buf[n], '\0');

    av_record_apply(&rec, 1800, T0 + 1000, T0 + 1000);
    n = av_record_json(&rec, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"xid\":\"abc123\",\"phone\":\"15555551234\",\"verified\":true,"
        "\"state\":\"verified\",\"status\":{\"code\":1800,"
        "\"description\":\"Success\"}}\n");

    fresh(&rec, AV_FLOW_CALL);
    av_record_apply(&rec, 2430, T0 + 1000, T0 + 1000);
    n = av_record_json(&rec, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"xid\":\"abc123\",\"phone\":\"15555551234\",\"verified\":false,"
        "\"state\":\"blocked\",\"status\":{\"code\":2430,"
        "\"description\":\"Blocked by Telesign\"}}\n");

    CHECK_EQ_INT(av_record_apply(&rec, 7777, T0 + 2000, T0 + 2000),
                 AV_APPLY_STALE);
    fresh(&rec, AV_FLOW_SDK);
    av_record_apply(&rec, 7777, T0 + 2000, T0 + 2000);
    n = av_record_json(&rec, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"xid\":\"abc123\",\"phone\":\"15555551234\",\"verified\":false,"
        "\"state\":\"unknown\",\"status\":{\"code\":7777,"
        "\"description\":\"Unknown\"}}\n");
}


static void
test_json_capacity(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    size_t       n;
    av_record_t  rec;
    static const char  longest[] =
        "0123456789012345678901234567890123456789012345678901234567890123";

    fresh(&rec, AV_FLOW_SDK);
    n = av_record_json(&rec, buf, sizeof(buf));
    CHECK(n > 0);

    /* room for the text and its NUL, not one byte less */
    CHECK_EQ_INT(av_record_json(&rec, buf, n + 1), n);
    CHECK_EQ_INT(av_record_json(&rec, buf, n), 0);
    CHECK_EQ_INT(av_record_json(&rec, buf, 0), 0);

    /* the largest record fits AV_RECORD_JSON_MAX */
    av_record_init(&rec, longest, AV_XID_MAX, "123456789012345", 15,
                   AV_FLOW_CALL, T0);
    av_record_apply(&rec, 2407, T0 + 1, T0 + 1);
    CHECK(av_record_json(&rec, buf, sizeof(buf)) > 0);
}


static void
test_json_refuses_a_corrupted_record(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    av_record_t  rec;

    /* records live in shared memory; a '"' must never reach the JSON */
    fresh(&rec, AV_FLOW_SDK);
    rec.xid[2] = '"';
    CHECK_EQ_INT(av_record_json(&rec, buf, sizeof(buf)), 0);

    fresh(&rec, AV_FLOW_SDK);
    rec.phone[0] = '+';
    CHECK_EQ_INT(av_record_json(&rec, buf, sizeof(buf)), 0);

    fresh(&rec, AV_FLOW_SDK);
    memset(rec.xid, 'a', sizeof(rec.xid));      /* no NUL */
    CHECK_EQ_INT(av_record_json(&rec, buf, sizeof(buf)), 0);
}


/* --- missed-call flow: finalize answers and the call endpoint ----------- */


#define MAX_TRIES  3


static void
test_finalize_success_verifies(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2401, MAX_TRIES, T0 + 1000), 0);
    CHECK_EQ_INT(rec.code, 2401);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(rec.attempts, 0);
    CHECK_EQ_INT(rec.updated_ms, T0 + 1000);
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
}


static void
test_finalize_wrong_codes_use_up_the_attempts(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_CALL);

    /* a wrong code with tries left keeps the record pending at its code:
     * storing 2402 (failed in the taxonomy) would make a later 2402 from
     * Get Status look like a repeat */
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 1000), 2);
    CHECK_EQ_INT(rec.attempts, 1);
    CHECK_EQ_INT(rec.code, AV_CODE_AV_PENDING);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);

    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 2000), 1);
    CHECK_EQ_INT(rec.attempts, 2);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);

    /* the third is final */
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 3000), 0);
    CHECK_EQ_INT(rec.attempts, 3);
    CHECK_EQ_INT(rec.code, 2402);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
    CHECK_EQ_INT(rec.updated_ms, T0 + 3000);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_FAILED);

    /* and stays so: a right code afterwards changes nothing */
    CHECK_EQ_INT(av_record_finalize(&rec, 2401, MAX_TRIES, T0 + 4000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
    CHECK_EQ_INT(rec.attempts, 3);
}


static void
test_finalize_wrong_then_right(void)
{
    av_record_t  rec;

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 1000), 2);
    CHECK_EQ_INT(av_record_finalize(&rec, 2401, MAX_TRIES, T0 + 2000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(rec.code, 2401);
    CHECK_EQ_INT(rec.attempts, 1);
    CHECK_EQ_INT(av_record_gate(&rec), AV_OK);
}


static void
test_finalize_leaves_a_terminal_record_alone(void)
{
    av_record_t  rec, before;

    static const int  codes[] = { 2401, 2402, 2407, 2409, 2410, 2400, 7777 };
    static const int  ends[] = { 2401, 2409, 2430, 1800 };
    size_t            i, j;

    for (j = 0; j < sizeof(ends) / sizeof(ends[0]); j++) {
        fresh(&rec, AV_FLOW_CALL);
        av_record_apply(&rec, ends[j], T0 + 1000, T0 + 1000);
        CHECK(av_state_is_terminal((av_state_t) rec.state));
        memcpy(&before, &rec, sizeof(rec));

        for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
            CHECK_EQ_INT(av_record_finalize(&rec, codes[i], MAX_TRIES,
                                            T0 + 9000), 0);
            CHECK(memcmp(&before, &rec, sizeof(rec)) == 0);
        }
    }
}


static void
test_finalize_other_codes_follow_the_taxonomy(void)
{
    av_record_t  rec;

    /* the call never came; the caller id did not match: failed at once,
     * whatever attempts are left */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2409, MAX_TRIES, T0 + 1000), 0);
    CHECK_EQ_INT(rec.code, 2409);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
    CHECK_EQ_INT(rec.attempts, 0);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_FAILED);

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 1000), 2);
    CHECK_EQ_INT(av_record_finalize(&rec, 2407, MAX_TRIES, T0 + 2000), 0);
    CHECK_EQ_INT(rec.code, 2407);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2430, MAX_TRIES, T0 + 1000), 0);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_BLOCKED);

    /* "please retry" and codes never heard of stay open and use no
     * attempt */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 1000), 2);
    CHECK_EQ_INT(av_record_finalize(&rec, 2410, MAX_TRIES, T0 + 2000), 2);
    CHECK_EQ_INT(rec.code, 2410);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(av_record_finalize(&rec, 2499, MAX_TRIES, T0 + 3000), 2);
    CHECK_EQ_INT(rec.state, AV_STATE_UNKNOWN);
    CHECK_EQ_INT(av_record_gate(&rec), AV_ERR_PENDING);
    CHECK_EQ_INT(rec.attempts, 1);
}


static void
test_finalize_attempt_limits(void)
{
    unsigned     i, left;
    av_record_t  rec;

    /* a limit of 0 still allows one code, and fails the first wrong one */
    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2410, 0, T0 + 500), 1);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 0, T0 + 1000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    fresh(&rec, AV_FLOW_CALL);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 1, T0 + 1000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    /* a limit lowered below what was already used (a reload) */
    fresh(&rec, AV_FLOW_CALL);
    rec.attempts = 5;
    CHECK_EQ_INT(av_record_finalize(&rec, 2410, MAX_TRIES, T0 + 1000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_PENDING);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 2000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    /* a limit the byte counter cannot reach is the most it can count */
    fresh(&rec, AV_FLOW_CALL);
    left = 1;
    for (i = 0; i < 1000 && rec.state == AV_STATE_PENDING; i++) {
        left = av_record_finalize(&rec, 2402, 100000, T0 + i);
    }
    CHECK_EQ_INT(i, 255);
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(rec.attempts, 255);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
}


static void
test_finalize_json_exact(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    size_t       n;
    unsigned     left;
    av_record_t  rec;

    fresh(&rec, AV_FLOW_CALL);
    left = av_record_finalize(&rec, 2402, MAX_TRIES, T0 + 1000);
    n = av_finalize_json(&rec, left, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"verified\":false,\"state\":\"pending\",\"status\":{\"code\":2400,"
        "\"description\":\"Pending\"},\"attempts_left\":2}\n");
    CHECK_EQ_INT(buf[n], '\0');

    left = av_record_finalize(&rec, 2401, MAX_TRIES, T0 + 2000);
    n = av_finalize_json(&rec, left, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"verified\":true,\"state\":\"verified\",\"status\":{\"code\":2401,"
        "\"description\":\"Success\"},\"attempts_left\":0}\n");

    fresh(&rec, AV_FLOW_CALL);
    av_record_finalize(&rec, 2402, 1, T0 + 1000);
    n = av_finalize_json(&rec, 0, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"verified\":false,\"state\":\"failed\",\"status\":{\"code\":2402,"
        "\"description\":\"Failure\"},\"attempts_left\":0}\n");

    fresh(&rec, AV_FLOW_CALL);
    left = av_record_finalize(&rec, 2409, MAX_TRIES, T0 + 1000);
    n = av_finalize_json(&rec, left, buf, sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"verified\":false,\"state\":\"failed\",\"status\":{\"code\":2409,"
        "\"description\":\"Call not received\"},\"attempts_left\":0}\n");

    /* room for the text and its NUL, not one byte less */
    CHECK_EQ_INT(av_finalize_json(&rec, left, buf, n + 1), n);
    CHECK_EQ_INT(av_finalize_json(&rec, left, buf, n), 0);
    CHECK_EQ_INT(buf[0], '\0');
    CHECK_EQ_INT(av_finalize_json(&rec, left, buf, 0), 0);
    CHECK_EQ_INT(av_finalize_json(&rec, left, NULL, sizeof(buf)), 0);

    /* the widest answer fits AV_RECORD_JSON_MAX */
    rec.code = -2147483647 - 1;
    rec.state = AV_STATE_UNKNOWN;
    CHECK(av_finalize_json(&rec, 4294967295U, buf, sizeof(buf)) > 0);
}


#define SESSION  "abc123.1700000030.AAAAAAAAAAAAAAAAAAAAAA"


static void
call_fresh(av_record_t *rec)
{
    fresh(rec, AV_FLOW_CALL);
    memcpy(rec->prefix, "4478730", sizeof("4478730"));
}


static void
test_call_json_exact(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    size_t       n;
    av_record_t  rec;

    call_fresh(&rec);

    n = av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 300, buf,
                     sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"prefix\":\"4478730\",\"xid\":\"abc123\",\"session\":\"" SESSION
        "\",\"expires_in\":300}\n");
    CHECK_EQ_INT(buf[n], '\0');

    /* the session is (ptr, len), not a C string */
    n = av_call_json(&rec, SESSION "trailing", sizeof(SESSION) - 1, 30, buf,
                     sizeof(buf));
    CHECK_EQ_MEM(buf, n,
        "{\"prefix\":\"4478730\",\"xid\":\"abc123\",\"session\":\"" SESSION
        "\",\"expires_in\":30}\n");

    /* room for the text and its NUL, not one byte less */
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              n + 1), n);
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              n), 0);
    CHECK_EQ_INT(buf[0], '\0');
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              0), 0);
}


static void
test_call_json_fits_the_largest_record(void)
{
    char         buf[AV_RECORD_JSON_MAX], session[AV_CRED_MAX + 1];
    av_record_t  rec;
    static const char  longest[] =
        "0123456789012345678901234567890123456789012345678901234567890123";

    av_record_init(&rec, longest, AV_XID_MAX, "123456789012345", 15,
                   AV_FLOW_CALL, T0);
    memset(rec.prefix, '9', AV_PREFIX_MAX);
    rec.prefix[AV_PREFIX_MAX] = '\0';
    memset(session, 'a', sizeof(session));

    CHECK(av_call_json(&rec, session, sizeof(session), INT64_MIN, buf,
                       sizeof(buf)) > 0);
}


static void
test_call_json_refuses_what_needs_escaping(void)
{
    char         buf[AV_RECORD_JSON_MAX];
    av_record_t  rec;

    static const char  *bad[] = {
        "abc\"def", "abc\\def", "abc def", "abc\ndef", "abc<def", "abc/def",
        "abc\xc3\xa9"
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call_fresh(&rec);
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ_INT(av_call_json(&rec, bad[i], strlen(bad[i]), 30, buf,
                                  sizeof(buf)), 0);
        CHECK_EQ_INT(buf[0], '\0');
    }

    /* a NUL inside the given length, no session at all */
    call_fresh(&rec);
    CHECK_EQ_INT(av_call_json(&rec, "abc\0def", 7, 30, buf, sizeof(buf)), 0);
    CHECK_EQ_INT(av_call_json(&rec, "", 0, 30, buf, sizeof(buf)), 0);
    CHECK_EQ_INT(av_call_json(&rec, NULL, 0, 30, buf, sizeof(buf)), 0);
    CHECK_EQ_INT(av_call_json(&rec, NULL, 5, 30, buf, sizeof(buf)), 0);

    /* the record comes from shared memory: checked, not trusted */
    call_fresh(&rec);
    rec.prefix[0] = '\0';
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);

    call_fresh(&rec);
    rec.prefix[2] = 'a';
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);

    call_fresh(&rec);
    memset(rec.prefix, '1', sizeof(rec.prefix));     /* no NUL */
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);

    call_fresh(&rec);
    rec.xid[1] = '"';
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);

    call_fresh(&rec);
    rec.xid[0] = '\0';
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);

    call_fresh(&rec);
    memset(rec.xid, 'a', sizeof(rec.xid));
    CHECK_EQ_INT(av_call_json(&rec, SESSION, sizeof(SESSION) - 1, 30, buf,
                              sizeof(buf)), 0);
}


/* 6 requests a minute = 100 per 1000 s: one every 10 s */
#define RATE  100


static void
test_rate_burst_then_refusal(void)
{
    av_rate_t  r;

    memset(&r, 0, sizeof(r));

    /* an empty bucket takes burst + 1 at once */
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 0);
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 1000);
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 2000);
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 2), AV_ERR_RATE_LIMITED);

    /* a refusal does not count */
    CHECK_EQ_INT(r.excess, 2000);
    CHECK_EQ_INT(r.last_ms, T0);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 5000, RATE, 2), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(r.excess, 2000);
    CHECK_EQ_INT(r.last_ms, T0);
}


static void
test_rate_recovers_as_time_passes(void)
{
    av_rate_t  r;

    memset(&r, 0, sizeof(r));
    av_rate_take(&r, T0, RATE, 2);
    av_rate_take(&r, T0, RATE, 2);
    av_rate_take(&r, T0, RATE, 2);

    /* 9.999 s leaks 999/1000 of a request: not enough */
    CHECK_EQ_INT(av_rate_take(&r, T0 + 9999, RATE, 2), AV_ERR_RATE_LIMITED);

    /* 10 s leaks one: exactly one more */
    CHECK_EQ_INT(av_rate_take(&r, T0 + 10000, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 2000);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 10000, RATE, 2), AV_ERR_RATE_LIMITED);

    /* 25 s later two and a half have leaked */
    CHECK_EQ_INT(av_rate_take(&r, T0 + 35000, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 500);

    /* an hour later the bucket is empty again */
    CHECK_EQ_INT(av_rate_take(&r, T0 + 3600000, RATE, 2), AV_OK);
    CHECK_EQ_INT(r.excess, 0);
}


static void
test_rate_burst_zero_is_one_per_interval(void)
{
    av_rate_t  r;

    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 0), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 0), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 9999, RATE, 0), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 10000, RATE, 0), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 10001, RATE, 0), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 20000, RATE, 0), AV_OK);
}


static void
test_rate_clock_going_backwards(void)
{
    av_rate_t  r;

    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 0), AV_OK);

    /* a jump back leaks nothing (an absolute value would leak 6 here) */
    CHECK_EQ_INT(av_rate_take(&r, T0 - 60000, RATE, 0), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(r.excess, 0);

    /* and the bucket follows the new clock instead of waiting an hour for
     * the old one */
    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, T0, RATE, 0), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0 - 3600000, RATE, 0),
                 AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 - 3600000 + 9999, RATE, 0),
                 AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 - 3600000 + 10000, RATE, 0), AV_OK);
}


static void
test_rate_extremes(void)
{
    av_rate_t  r;

    /* zero rate never refills */
    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, T0, 0, 1), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0, 0, 1), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0, 0, 1), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 1000000000000LL, 0, 1),
                 AV_ERR_RATE_LIMITED);

    /* huge rates and times do not overflow into a refusal */
    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, INT64_MAX, UINT32_MAX, 0), AV_OK);
    CHECK_EQ_INT(r.excess, 0);

    memset(&r, 0, sizeof(r));
    r.last_ms = INT64_MIN;
    CHECK_EQ_INT(av_rate_take(&r, INT64_MAX, 1, 0), AV_OK);

    /* a huge burst saturates instead of wrapping */
    memset(&r, 0, sizeof(r));
    r.excess = UINT32_MAX - 500;
    r.last_ms = T0;
    CHECK_EQ_INT(av_rate_take(&r, T0, 1, UINT32_MAX), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(r.excess, UINT32_MAX - 500);

    /* one request per 1000 s at 1 per ks */
    memset(&r, 0, sizeof(r));
    CHECK_EQ_INT(av_rate_take(&r, T0, 1, 0), AV_OK);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 999999, 1, 0), AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(av_rate_take(&r, T0 + 1000000, 1, 0), AV_OK);
}


/* attempts left: what a finalize answer reports */
static void
test_attempts_left(void)
{
    av_record_t  rec;

    av_record_init(&rec, "x", 1, "447981897555", 12, AV_FLOW_CALL, 1000);
    CHECK_EQ_INT(av_record_attempts_left(&rec, 3), 3);
    rec.attempts = 2;
    CHECK_EQ_INT(av_record_attempts_left(&rec, 3), 1);
    rec.attempts = 5;                        /* a reload lowered the limit */
    CHECK_EQ_INT(av_record_attempts_left(&rec, 3), 0);
    rec.attempts = 0;
    rec.state = AV_STATE_VERIFIED;
    CHECK_EQ_INT(av_record_attempts_left(&rec, 3), 0);
}


/* the gate after a lookup: fail closed, for both servers */
static void
test_verdict_fails_closed(void)
{
    av_record_t  rec;

    av_record_init(&rec, "x", 1, "15555551234", 11, AV_FLOW_SDK, 1000);

    /* pending: asked and answered, or not asked */
    CHECK_EQ_INT(av_record_verdict(&rec, AV_OK), AV_ERR_PENDING);
    /* pending and Telesign unknown: still just pending */
    CHECK_EQ_INT(av_record_verdict(&rec, AV_ERR_UNKNOWN_SESSION),
                 AV_ERR_PENDING);
    /* pending and no usable answer: 503, never a pass */
    CHECK_EQ_INT(av_record_verdict(&rec, AV_ERR_UPSTREAM), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(av_record_verdict(&rec, AV_ERR_INTERNAL), AV_ERR_UPSTREAM);

    /* terminal records need no answer */
    rec.state = AV_STATE_VERIFIED;
    CHECK_EQ_INT(av_record_verdict(&rec, AV_ERR_UPSTREAM), AV_OK);
    rec.state = AV_STATE_BLOCKED;
    CHECK_EQ_INT(av_record_verdict(&rec, AV_ERR_UPSTREAM), AV_ERR_BLOCKED);

    /* nothing stored here */
    CHECK_EQ_INT(av_record_verdict(NULL, AV_OK), AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(av_record_verdict(NULL, AV_ERR_UNKNOWN_SESSION),
                 AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(av_record_verdict(NULL, AV_ERR_INTERNAL), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(av_record_verdict(NULL, AV_ERR_STORE_FULL),
                 AV_ERR_STORE_FULL);
}


/*
 * Parallel finalize requests: an attempt is reserved before Telesign is
 * asked, so no more codes are checked than max_attempts, however many
 * arrive at once.
 */
static void
test_attempt_reservation(void)
{
    av_record_t  rec;
    int          i, ok;

    /* an SDK session, or a call Telesign never placed, has no codes */
    av_record_init(&rec, "x", 1, "15555551234", 11, AV_FLOW_SDK, 1000);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_ERR_UNKNOWN_SESSION);
    av_record_init(&rec, "x", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_ERR_UNKNOWN_SESSION);
    strcpy(rec.reference_id, "B149634764BC0144C833G7280C4403B8");

    /* 30 at once for 3 attempts: 3 go to Telesign, 27 are told to wait */
    ok = 0;
    for (i = 0; i < 30; i++) {
        if (av_record_attempt_reserve(&rec, 3) == AV_OK) {
            ok++;
        } else {
            CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3),
                         AV_ERR_ATTEMPT_BUSY);
        }
    }
    CHECK_EQ_INT(ok, 3);
    CHECK_EQ_INT(rec.checking, 3);

    /* Telesign could not be asked about one: it is given back */
    av_record_attempt_release(&rec);
    CHECK_EQ_INT(rec.checking, 2);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_OK);

    /* three wrong answers: each ends its reservation, the last fails it */
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 3, 2000), 2);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 3, 2000), 1);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 3, 2000), 0);
    CHECK_EQ_INT(rec.checking, 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    /* decided: answered from the record, nothing reserved */
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_ERR_FAILED);
    CHECK_EQ_INT(rec.checking, 0);

    /* attempts=1: two wrong codes and the right one at once: one is
     * checked; the right one must wait for it and cannot slip past */
    av_record_init(&rec, "y", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    strcpy(rec.reference_id, "B149634764BC0144C833G7280C4403B8");
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 1), AV_OK);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 1), AV_ERR_ATTEMPT_BUSY);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 1), AV_ERR_ATTEMPT_BUSY);
    CHECK_EQ_INT(av_record_finalize(&rec, 2402, 1, 2000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 1), AV_ERR_FAILED);

    /* verified: already_finalized, the record says the rest */
    av_record_init(&rec, "z", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    strcpy(rec.reference_id, "B149634764BC0144C833G7280C4403B8");
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_OK);
    CHECK_EQ_INT(av_record_finalize(&rec, 2401, 3, 2000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 3), AV_ERR_ALREADY_FINAL);

    /* a client that leaves mid-call does not get its attempt back */
    av_record_init(&rec, "w", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    strcpy(rec.reference_id, "B149634764BC0144C833G7280C4403B8");
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 2), AV_OK);
    CHECK_EQ_INT(av_record_attempt_lost(&rec, 2, 2000), 1);
    CHECK_EQ_INT(rec.checking, 0);
    CHECK_EQ_INT(rec.attempts, 1);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 2), AV_OK);
    CHECK_EQ_INT(av_record_attempt_lost(&rec, 2, 2000), 0);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);

    /* a limit of 0 allows one code, as av_record_finalize counts it */
    av_record_init(&rec, "v", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    strcpy(rec.reference_id, "B149634764BC0144C833G7280C4403B8");
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 0), AV_OK);
    CHECK_EQ_INT(av_record_attempt_reserve(&rec, 0), AV_ERR_ATTEMPT_BUSY);

    /* a release with nothing reserved changes nothing */
    av_record_attempt_release(&rec);
    av_record_attempt_release(&rec);
    CHECK_EQ_INT(rec.checking, 0);
}


/*
 * Record policy for a status from Telesign: an unseen xid gets a record
 * that takes Telesign's word, a status naming another phone than the one
 * the record was issued for changes nothing, a placeholder takes the
 * status's phone.
 */
static void
test_accept_policy(void)
{
    av_record_t      rec, before;
    av_status_doc_t  doc;
    av_apply_t       res;

    memset(&doc, 0, sizeof(doc));
    strcpy(doc.xid, "acc-1");
    strcpy(doc.phone, "15555551234");
    doc.code = 1800;

    av_record_unseen(&rec, "acc-1", "", AV_FLOW_SDK, 5000);
    CHECK_EQ_INT(rec.state, AV_STATE_UNKNOWN);
    CHECK_EQ_INT(rec.code, 0);
    CHECK_EQ_INT(av_record_accept(&rec, &doc, 6000, &res), AV_OK);
    CHECK_EQ_INT(res, AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_STR(rec.phone, "15555551234");

    /* issued for one phone, a status for another: refused, unchanged */
    av_record_init(&rec, "acc-2", 5, "447981897555", 12, AV_FLOW_SDK, 5000);
    before = rec;
    strcpy(doc.xid, "acc-2");
    CHECK_EQ_INT(av_record_accept(&rec, &doc, 6000, &res),
                 AV_ERR_MALFORMED_BODY);
    CHECK(memcmp(&rec, &before, sizeof(rec)) == 0);

    /* a status that names no phone applies to any */
    doc.phone[0] = '\0';
    CHECK_EQ_INT(av_record_accept(&rec, &doc, 6000, &res), AV_OK);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_STR(rec.phone, "447981897555");

    /* the same again is an idempotent repeat */
    CHECK_EQ_INT(av_record_accept(&rec, &doc, 7000, &res), AV_OK);
    CHECK_EQ_INT(res, AV_APPLY_SAME);
}


/* the callback's answer, the same for a repeat */
static void
test_callback_json(void)
{
    av_record_t  rec;
    char         out[128];

    av_record_init(&rec, "cb-1", 4, "15555551234", 11, AV_FLOW_SDK, 1000);
    av_record_apply(&rec, 1800, 0, 2000);
    CHECK_EQ_INT(av_callback_json(&rec, out, sizeof(out)), strlen(out));
    CHECK_EQ_STR(out, "{\"ok\":true,\"xid\":\"cb-1\",\"state\":\"verified\"}\n");
    CHECK_EQ_INT(av_callback_json(&rec, out, 10), 0);
}

static void
test_finalize_http_status(void)
{
    av_record_t  rec;

    av_record_init(&rec, "f", 1, "15555551234", 11, AV_FLOW_CALL, 1000);
    CHECK_EQ_INT(av_finalize_http_status(&rec), 200);
    rec.state = AV_STATE_VERIFIED;
    CHECK_EQ_INT(av_finalize_http_status(&rec), 200);
    rec.state = AV_STATE_FAILED;
    CHECK_EQ_INT(av_finalize_http_status(&rec), 403);
    rec.state = AV_STATE_BLOCKED;
    CHECK_EQ_INT(av_finalize_http_status(&rec), 403);
}

/* a repeated outcome said later moves the record's time: an older
 * outcome arriving after it cannot undo it (found by the HTTP fuzzer) */
static void
test_repeat_moves_time(void)
{
    av_record_t  rec;

    av_record_init(&rec, "oo", 2, "15555551234", 11, AV_FLOW_SDK, 1000);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 30000, 99000), AV_APPLY_CHANGED);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 55000, 99000), AV_APPLY_LATER);
    CHECK_EQ_INT(rec.updated_ms, 55000);
    CHECK_EQ_INT(av_record_apply(&rec, 1803, 40000, 99000), AV_APPLY_STALE);
    CHECK_EQ_INT(rec.state, AV_STATE_VERIFIED);

    /* the same at the same time, or earlier: a plain repeat */
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 55000, 99000), AV_APPLY_SAME);
    CHECK_EQ_INT(av_record_apply(&rec, 1800, 20000, 99000), AV_APPLY_STALE);
    CHECK_EQ_INT(rec.updated_ms, 55000);

    /* a later failure still wins over an earlier success */
    CHECK_EQ_INT(av_record_apply(&rec, 1803, 60000, 99000), AV_APPLY_CHANGED);
    CHECK_EQ_INT(rec.state, AV_STATE_FAILED);
}


int
main(void)
{
    RUN(test_init_is_pending);
    RUN(test_init_bounds_its_copies);
    RUN(test_pending_to_verified_is_changed);
    RUN(test_verified_to_pending_is_stale);
    RUN(test_repeated_status_is_same_and_untouched);
    RUN(test_older_timestamp_is_stale);
    RUN(test_failed_to_verified_with_newer_timestamp_is_changed);
    RUN(test_missing_updated_on_uses_our_clock);
    RUN(test_first_outcome_survives_clock_skew);
    RUN(test_pending_codes_move_between_themselves);
    RUN(test_gate);
    RUN(test_is_running);
    RUN(test_json_exact);
    RUN(test_json_capacity);
    RUN(test_json_refuses_a_corrupted_record);
    RUN(test_finalize_success_verifies);
    RUN(test_finalize_wrong_codes_use_up_the_attempts);
    RUN(test_finalize_wrong_then_right);
    RUN(test_finalize_leaves_a_terminal_record_alone);
    RUN(test_finalize_other_codes_follow_the_taxonomy);
    RUN(test_finalize_attempt_limits);
    RUN(test_finalize_json_exact);
    RUN(test_call_json_exact);
    RUN(test_call_json_fits_the_largest_record);
    RUN(test_call_json_refuses_what_needs_escaping);
    RUN(test_rate_burst_then_refusal);
    RUN(test_rate_recovers_as_time_passes);
    RUN(test_rate_burst_zero_is_one_per_interval);
    RUN(test_rate_clock_going_backwards);
    RUN(test_rate_extremes);

    RUN(test_attempts_left);
    RUN(test_verdict_fails_closed);
    RUN(test_attempt_reservation);
    RUN(test_accept_policy);
    RUN(test_callback_json);
    RUN(test_finalize_http_status);
    RUN(test_repeat_moves_time);
    return UNIT_DONE();
}
