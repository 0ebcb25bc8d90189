/*
 * av_record.c: the rules for changing a stored verification, and the
 * per-phone rate limit.
 *
 * Callbacks carry no nonce and are retried by Telesign, so the same status
 * may arrive several times and in any order; these rules make a repeat
 * harmless and keep a late status from undoing a newer one.
 */

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "av_record.h"


/* finalize's "wrong code": Failure until the attempts are used up */
#define AV_CODE_AV_WRONG_CODE  2402


void
av_record_init(av_record_t *rec, const char *xid, size_t xid_len,
    const char *phone, size_t phone_len, av_flow_t flow, int64_t now_ms)
{
    memset(rec, 0, sizeof(av_record_t));

    rec->version = AV_RECORD_VERSION;

    /* callers pass validated values; the bounds are only a last guard */
    if (xid_len > AV_XID_MAX) {
        xid_len = AV_XID_MAX;
    }

    if (phone_len > AV_PHONE_MAX) {
        phone_len = AV_PHONE_MAX;
    }

    memcpy(rec->xid, xid, xid_len);
    memcpy(rec->phone, phone, phone_len);

    rec->flow = (uint8_t) flow;

    /* each flow starts where Telesign's first answer for it would be, so
     * that answer is an idempotent repeat */
    rec->code = flow == AV_FLOW_CALL ? AV_CODE_AV_PENDING : AV_CODE_PENDING;
    rec->state = AV_STATE_PENDING;

    rec->created_ms = now_ms;
    rec->updated_ms = now_ms;
}


void
av_record_unseen(av_record_t *rec, const char *xid, const char *phone,
    av_flow_t flow, int64_t now_ms)
{
    av_record_init(rec, xid, strlen(xid), phone, strlen(phone), flow, now_ms);

    rec->code = 0;
    rec->state = AV_STATE_UNKNOWN;
    rec->updated_ms = 0;
}


av_err_t
av_record_accept(av_record_t *rec, const av_status_doc_t *doc,
    int64_t now_ms, av_apply_t *result)
{
    if (doc->phone[0] && rec->phone[0] && strcmp(doc->phone, rec->phone) != 0)
    {
        return AV_ERR_MALFORMED_BODY;
    }

    if (rec->phone[0] == '\0' && doc->phone[0]) {
        snprintf(rec->phone, sizeof(rec->phone), "%s", doc->phone);
    }

    *result = av_record_apply(rec, doc->code, doc->updated_on_ms, now_ms);

    return AV_OK;
}


av_apply_t
av_record_apply(av_record_t *rec, int code, int64_t updated_on_ms,
    int64_t now_ms)
{
    int64_t     at;
    av_state_t  state, old;

    state = av_status_state(code);
    old = (av_state_t) rec->state;
    at = updated_on_ms != 0 ? updated_on_ms : now_ms;

    if (av_state_is_terminal(old) && !av_state_is_terminal(state)) {
        return AV_APPLY_STALE;
    }

    /*
     * The age test protects a terminal outcome from an older one.  A record
     * that is not terminal yet has seen no outcome a late status could
     * undo, and its updated_ms may still be our own clock from
     * av_record_init(): comparing Telesign's updated_on with it would drop
     * a real success whenever our clock runs a few seconds ahead.
     */
    if (av_state_is_terminal(old) && at < rec->updated_ms) {
        return AV_APPLY_STALE;
    }

    if (code == rec->code) {

        /* 1800 at :30, 1800 again at :55, then 1803 at :40: the failure
         * is older than the latest word, and must not undo it */
        if (av_state_is_terminal(old) && updated_on_ms != 0
            && at > rec->updated_ms)
        {
            rec->updated_ms = at;
            return AV_APPLY_LATER;
        }

        return AV_APPLY_SAME;
    }

    rec->code = code;
    rec->state = (uint8_t) state;
    rec->updated_ms = at;

    return AV_APPLY_CHANGED;
}


av_err_t
av_record_gate(const av_record_t *rec)
{
    switch ((av_state_t) rec->state) {
    case AV_STATE_VERIFIED:
        return AV_OK;
    case AV_STATE_FAILED:
        return AV_ERR_FAILED;
    case AV_STATE_BLOCKED:
        return AV_ERR_BLOCKED;
    case AV_STATE_PENDING:
    case AV_STATE_UNKNOWN:
    default:
        return AV_ERR_PENDING;
    }
}


int
av_record_is_running(const av_record_t *rec, int64_t now_ms,
    int64_t pending_ms)
{
    /* an unknown code may still turn into anything: treat it as running */
    if (av_state_is_terminal((av_state_t) rec->state)) {
        return 0;
    }

    /* 0 turns the rule off, also for a record stamped a little after now:
     * one whose request read the clock later but committed first, or one
     * from a node whose clock runs ahead */
    if (pending_ms <= 0) {
        return 0;
    }

    return now_ms - rec->created_ms < pending_ms;
}


/* Characters that need no JSON escaping; the record comes from shared
 * memory, so it is checked rather than trusted. */
static int
av_record_safe(const char *s, size_t cap, int digits_only)
{
    size_t  i;
    char    c;

    for (i = 0; i < cap && s[i] != '\0'; i++) {
        c = s[i];

        if (c >= '0' && c <= '9') {
            continue;
        }

        if (digits_only) {
            return 0;
        }

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || c == '-' || c == '_' || c == '.' || c == ':'))
        {
            return 0;
        }
    }

    /* no NUL within the array: not a record we wrote */
    return i < cap;
}


size_t
av_record_json(const av_record_t *rec, char *out, size_t cap)
{
    int         n;
    av_state_t  state;

    if (out == NULL || cap == 0) {
        return 0;
    }

    out[0] = '\0';

    if (!av_record_safe(rec->xid, sizeof(rec->xid), 0)
        || !av_record_safe(rec->phone, sizeof(rec->phone), 1))
    {
        return 0;
    }

    state = (av_state_t) rec->state;

    n = snprintf(out, cap,
                 "{\"xid\":\"%s\",\"phone\":\"%s\",\"verified\":%s,"
                 "\"state\":\"%s\","
                 "\"status\":{\"code\":%d,\"description\":\"%s\"}}\n",
                 rec->xid, rec->phone,
                 state == AV_STATE_VERIFIED ? "true" : "false",
                 av_state_name(state),
                 (int) rec->code, av_status_description(rec->code));

    if (n < 0 || (size_t) n >= cap) {
        out[0] = '\0';
        return 0;
    }

    return (size_t) n;
}



/*
 * Telesign answers a wrong code with 2402 and lets the user try again;
 * the taxonomy calls 2402 failed because, once the attempts are used up,
 * it is.  So a 2402 only counts here until the last attempt, and every
 * other code takes the same road as a callback would.
 */
/* the bounds av_record_finalize() counts against, kept in one place */
static unsigned
av_attempts_limit(unsigned max_attempts)
{
    /* a limit of 0 would never fail anyone: it allows one code; and the
     * count is a byte, which must still be able to reach the limit */
    if (max_attempts == 0) {
        return 1;
    }

    return max_attempts > UINT8_MAX ? UINT8_MAX : max_attempts;
}


av_err_t
av_record_attempt_reserve(av_record_t *rec, unsigned max_attempts)
{
    av_err_t  rc;

    /* only a missed call that Telesign placed has codes to check */
    if (rec->flow != AV_FLOW_CALL || rec->reference_id[0] == '\0') {
        return AV_ERR_UNKNOWN_SESSION;
    }

    if (av_state_is_terminal((av_state_t) rec->state)) {
        rc = av_record_gate(rec);
        return rc == AV_OK ? AV_ERR_ALREADY_FINAL : rc;
    }

    max_attempts = av_attempts_limit(max_attempts);

    if ((unsigned) rec->attempts + rec->checking >= max_attempts) {
        return AV_ERR_ATTEMPT_BUSY;
    }

    rec->checking++;

    return AV_OK;
}


void
av_record_attempt_release(av_record_t *rec)
{
    if (rec->checking) {
        rec->checking--;
    }
}


unsigned
av_record_attempt_lost(av_record_t *rec, unsigned max_attempts,
    int64_t now_ms)
{
    return av_record_finalize(rec, AV_CODE_AV_WRONG_CODE, max_attempts,
                              now_ms);
}


unsigned
av_record_finalize(av_record_t *rec, int code, unsigned max_attempts,
    int64_t now_ms)
{
    unsigned  used;

    av_record_attempt_release(rec);

    /* an outcome is final: a late or replayed finalize answer, even a
     * success, never reopens it (the same rule as av_record_apply) */
    if (av_state_is_terminal((av_state_t) rec->state)) {
        return 0;
    }

    max_attempts = av_attempts_limit(max_attempts);

    if (code == AV_CODE_AV_WRONG_CODE) {
        if (rec->attempts < UINT8_MAX) {
            rec->attempts++;
        }

        if (rec->attempts < max_attempts) {
            /* the code and state stay what they were: still pending */
            return max_attempts - rec->attempts;
        }
    }

    av_record_apply(rec, code, 0, now_ms);

    if (av_state_is_terminal((av_state_t) rec->state)) {
        return 0;
    }

    /* a limit lowered by a reload may already be used up */
    used = rec->attempts;

    return used < max_attempts ? max_attempts - used : 0;
}


unsigned
av_record_attempts_left(const av_record_t *rec, unsigned max_attempts)
{
    if (av_state_is_terminal((av_state_t) rec->state)) {
        return 0;
    }

    return rec->attempts < max_attempts ? max_attempts - rec->attempts : 0;
}


size_t
av_finalize_json(const av_record_t *rec, unsigned attempts_left, char *out,
    size_t cap)
{
    int         n;
    av_state_t  state;

    if (out == NULL || cap == 0) {
        return 0;
    }

    out[0] = '\0';

    state = (av_state_t) rec->state;

    /* every string here comes from a static table, so none needs a check */
    n = snprintf(out, cap,
                 "{\"verified\":%s,\"state\":\"%s\","
                 "\"status\":{\"code\":%d,\"description\":\"%s\"},"
                 "\"attempts_left\":%u}\n",
                 state == AV_STATE_VERIFIED ? "true" : "false",
                 av_state_name(state),
                 (int) rec->code, av_status_description(rec->code),
                 attempts_left);

    if (n < 0 || (size_t) n >= cap) {
        out[0] = '\0';
        return 0;
    }

    return (size_t) n;
}


/* A session credential: the xid charset, and nothing else ('.' separates
 * its parts, base64url adds '-' and '_'). */
static int
av_session_safe(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (s == NULL || len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || c == '-' || c == '_' || c == '.' || c == ':'))
        {
            return 0;
        }
    }

    return 1;
}


size_t
av_call_json(const av_record_t *rec, const char *session, size_t session_len,
    int64_t expires_in, char *out, size_t cap)
{
    int  n;

    if (out == NULL || cap == 0) {
        return 0;
    }

    out[0] = '\0';

    /* an empty prefix would show the user nothing to compare with */
    if (rec->prefix[0] == '\0' || rec->xid[0] == '\0'
        || !av_record_safe(rec->prefix, sizeof(rec->prefix), 1)
        || !av_record_safe(rec->xid, sizeof(rec->xid), 0)
        || session_len > INT_MAX || !av_session_safe(session, session_len))
    {
        return 0;
    }

    n = snprintf(out, cap,
                 "{\"prefix\":\"%s\",\"xid\":\"%s\",\"session\":\"%.*s\","
                 "\"expires_in\":%lld}\n",
                 rec->prefix, rec->xid, (int) session_len, session,
                 (long long) expires_in);

    if (n < 0 || (size_t) n >= cap) {
        out[0] = '\0';
        return 0;
    }

    return (size_t) n;
}

/*
 * ngx_http_limit_req_module's leaky bucket (ngx_http_limit_req_lookup):
 * rate is in 1/1000 requests per second, excess in 1/1000 requests, so
 * rate * ms / 1000 is what leaked out.  The first request in an empty
 * bucket leaves excess 0, each further one adds 1000, and a request that
 * would take excess above burst * 1000 is refused and not counted:
 * burst 0 allows one request per 1/rate, burst N allows N more at once.
 */
av_err_t
av_record_verdict(const av_record_t *rec, av_err_t lookup)
{
    int  failed;

    failed = (lookup == AV_ERR_UPSTREAM || lookup == AV_ERR_INTERNAL);

    if (rec == NULL) {
        return failed ? AV_ERR_UPSTREAM
               : lookup == AV_OK ? AV_ERR_UNKNOWN_SESSION : lookup;
    }

    if (failed && !av_state_is_terminal((av_state_t) rec->state)) {
        return AV_ERR_UPSTREAM;
    }

    return av_record_gate(rec);
}


av_err_t
av_rate_take(av_rate_t *r, int64_t now_ms, uint32_t rate_per_ks,
    uint32_t burst)
{
    uint64_t  elapsed, leak, excess, limit, fill;

    /* a zeroed av_rate_t is a fresh bucket, as limit_req's new node: the
     * first request is free whatever the rate */
    if (r->last_ms == 0 && r->excess == 0) {
        r->last_ms = now_ms;
        return AV_OK;
    }

    /*
     * A clock that went backwards leaks nothing (nginx takes the absolute
     * value, which would reward the jump), and the bucket moves to the new
     * clock even if this request is refused: otherwise a full bucket would
     * stay full until the old time came round again.
     */
    if (now_ms < r->last_ms) {
        r->last_ms = now_ms;
    }

    elapsed = (uint64_t) now_ms - (uint64_t) r->last_ms;

    fill = (uint64_t) r->excess + 1000;

    /* leak = elapsed * rate / 1000 without overflow: once whole seconds
     * times rate exceed what is in the bucket, it is empty anyway */
    if (rate_per_ks == 0) {
        leak = 0;                   /* a zero rate never refills */

    } else if (elapsed / 1000 > fill / rate_per_ks) {
        leak = fill;

    } else {
        leak = elapsed * rate_per_ks / 1000;
    }

    excess = leak >= fill ? 0 : fill - leak;

    limit = (uint64_t) burst * 1000;
    if (limit > UINT32_MAX) {
        limit = UINT32_MAX;
    }

    if (excess > limit) {
        return AV_ERR_RATE_LIMITED;
    }

    r->excess = (uint32_t) excess;
    r->last_ms = now_ms;

    return AV_OK;
}


size_t
av_callback_json(const av_record_t *rec, char *out, size_t cap)
{
    int  n;

    /* an xid is of a charset that needs no escaping (av_xid.h) */
    n = snprintf(out, cap, "{\"ok\":true,\"xid\":\"%s\",\"state\":\"%s\"}\n",
                 rec->xid, av_state_name((av_state_t) rec->state));

    if (n < 0 || (size_t) n >= cap) {
        if (cap) {
            out[0] = '\0';
        }
        return 0;
    }

    return (size_t) n;
}


int
av_finalize_http_status(const av_record_t *rec)
{
    return (rec->state == AV_STATE_FAILED || rec->state == AV_STATE_BLOCKED)
           ? 403 : 200;
}
