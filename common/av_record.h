/*
 * av_record.h: what the state store keeps per verification, and the rules
 * for changing it.  Fixed size and pointer-free, so both nginx's slab zone
 * and Apache's socache can hold it as plain bytes.
 */
#ifndef AV_RECORD_H
#define AV_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_status.h"
#include "av_xid.h"
#include "av_phone.h"
#include "av_callback.h"

#define AV_PREFIX_MAX  15

typedef enum {
    AV_FLOW_SDK = 0,    /* JWT minted for the mobile SDK */
    AV_FLOW_CALL        /* server-initiated missed call */
} av_flow_t;

typedef struct {
    uint32_t  version;                      /* AV_RECORD_VERSION */
    char      xid[AV_XID_MAX + 1];
    char      phone[AV_PHONE_MAX + 1];
    char      reference_id[AV_REFERENCE_MAX + 1];
    char      prefix[AV_PREFIX_MAX + 1];
    int32_t   code;                         /* last Telesign status code */
    uint8_t   state;                        /* av_state_t */
    uint8_t   flow;                         /* av_flow_t */
    uint8_t   attempts;                     /* wrong finalize codes so far */
    uint8_t   checking;                     /* finalize calls in flight */
    int64_t   created_ms;                   /* our clock, at issue */
    int64_t   updated_ms;                   /* Telesign's updated_on, else our clock */
} av_record_t;

#define AV_RECORD_VERSION  1

/* A fresh pending record. */
void av_record_init(av_record_t *rec, const char *xid, size_t xid_len,
    const char *phone, size_t phone_len, av_flow_t flow, int64_t now_ms);

typedef enum {
    AV_APPLY_CHANGED = 0,   /* the record now holds the new status */
    AV_APPLY_SAME,          /* same code again: an idempotent repeat */
    AV_APPLY_LATER,         /* same outcome again, with a later
                               updated_on: only the record's time moved
                               (store it), so an outcome older than this
                               repeat cannot undo it */
    AV_APPLY_STALE          /* ignored: it would downgrade or is older */
} av_apply_t;

/*
 * Applies a status from Telesign.  Rules: a terminal state is never
 * replaced by a non-terminal one; a status older (updated_on_ms) than the
 * record's is ignored; the same code again changes nothing.
 * updated_on_ms of 0 means "unknown": then now_ms is used.
 */
av_apply_t av_record_apply(av_record_t *rec, int code, int64_t updated_on_ms,
    int64_t now_ms);

/*
 * A record for an xid this node has never seen, made when Telesign's
 * status for it arrives (a callback, or a Get Status asked for a client
 * whose token another node issued: its credential proves the xid is
 * theirs).  Unknown state and no code: what Telesign says next is the
 * first word on it.  phone may be "" (a lookup's placeholder).
 */
void av_record_unseen(av_record_t *rec, const char *xid, const char *phone,
    av_flow_t flow, int64_t now_ms);

/*
 * A status from Telesign (callback or Get Status) for rec, stored or
 * av_record_unseen(): AV_ERR_MALFORMED_BODY when it names another phone
 * than the one the record was issued for (rec unchanged: the caller logs
 * it at warn); else AV_OK, a record without a phone takes the status's,
 * and *result says what av_record_apply() did.
 */
av_err_t av_record_accept(av_record_t *rec, const av_status_doc_t *doc,
    int64_t now_ms, av_apply_t *result);

/* What the gate answers for this record: AV_OK (verified),
 * AV_ERR_PENDING, AV_ERR_FAILED or AV_ERR_BLOCKED. */
av_err_t   av_record_gate(const av_record_t *rec);

/*
 * The gate's answer after a Get Status lookup, or without one.  rec is
 * NULL when no record is stored here; lookup is AV_OK (asked and
 * answered, or not asked), AV_ERR_UNKNOWN_SESSION (Telesign does not know
 * the xid either) or why no usable answer came (AV_ERR_UPSTREAM,
 * AV_ERR_INTERNAL, AV_ERR_STORE_FULL).  Fails closed: a record that is
 * not terminal and could not be asked about is AV_ERR_UPSTREAM (503),
 * never a pass.
 */
av_err_t   av_record_verdict(const av_record_t *rec, av_err_t lookup);

/* 1 when a new verification for this record's phone must be refused as a
 * duplicate: it is still pending and younger than pending_ms. */
int        av_record_is_running(const av_record_t *rec, int64_t now_ms,
    int64_t pending_ms);

/*
 * Status JSON for the status endpoint:
 * {"xid":"..","phone":"..","verified":bool,"state":"..",
 *  "status":{"code":N,"description":".."}} and a newline, as every JSON
 * answer of the module ends.  Returns length written (NUL added), 0 if
 * cap too small.
 */
#define AV_RECORD_JSON_MAX  512
size_t     av_record_json(const av_record_t *rec, char *out, size_t cap);

/* The callback endpoint's answer, the same for a repeat (the state after
 * applying): {"ok":true,"xid":"..","state":".."} and a newline; 0 if cap
 * is too small. */
size_t     av_callback_json(const av_record_t *rec, char *out, size_t cap);

/*
 * Missed-call flow, before Telesign is asked: reserves an attempt, so that
 * parallel finalize requests can never have more codes checked than
 * max_attempts.  AV_OK: one more call in flight (rec->checking), ended by
 * av_record_finalize() or av_record_attempt_release().  AV_ERR_FAILED /
 * AV_ERR_BLOCKED / AV_ERR_ALREADY_FINAL: decided already (answer from the
 * record); AV_ERR_ATTEMPT_BUSY: every attempt left is in flight;
 * AV_ERR_UNKNOWN_SESSION: not a missed call that Telesign placed.
 */
av_err_t   av_record_attempt_reserve(av_record_t *rec, unsigned max_attempts);

/* Gives a reserved attempt back: Telesign could not be asked, or its
 * answer could not be read, so the code was not checked. */
void       av_record_attempt_release(av_record_t *rec);

/*
 * Ends a reserved attempt whose outcome is unknown: the client left while
 * Telesign was asked.  It counts as a wrong code (fail closed: leaving
 * must not buy attempts); a right code is still learnt through
 * already_finalized on the next finalize.  Returns the attempts left.
 */
unsigned   av_record_attempt_lost(av_record_t *rec, unsigned max_attempts,
    int64_t now_ms);

/*
 * Missed-call flow: applies a finalize answer, ending the attempt that
 * av_record_attempt_reserve() took.  2401 verifies; a wrong code (2402)
 * counts an attempt, and once max_attempts are used the record is failed
 * (2402) for good; other codes apply through the taxonomy as
 * av_record_apply does.  Returns the attempts left (0 once terminal).
 */
unsigned   av_record_finalize(av_record_t *rec, int code,
    unsigned max_attempts, int64_t now_ms);

/* The status a finalize is answered with: 403 once the verification is
 * failed or blocked, else 200 (verified, or still pending). */
int        av_finalize_http_status(const av_record_t *rec);

/* Finalize attempts a record has left: 0 once terminal. */
unsigned   av_record_attempts_left(const av_record_t *rec,
    unsigned max_attempts);

/* {"verified":bool,"state":"..","status":{"code":N,"description":".."},
 *  "attempts_left":N} and a newline; 0 if cap is too small. */
size_t     av_finalize_json(const av_record_t *rec, unsigned attempts_left,
    char *out, size_t cap);

/* The call endpoint's answer: {"prefix":"..","xid":"..","session":"..",
 * "expires_in":N} and a newline; 0 if cap is too small.  Never Telesign's
 * verify_code: the point of the flow is that only the phone gets it. */
size_t     av_call_json(const av_record_t *rec, const char *session,
    size_t session_len, int64_t expires_in, char *out, size_t cap);

/*
 * Per-phone rate limit, limit_req's leaky bucket: rate in requests per
 * 1000 seconds (so 6r/m = 100, as av_conf_rate() reads a directive's),
 * burst in requests.  A request that would overflow the bucket is refused
 * and does not count.
 */
typedef struct {
    int64_t   last_ms;
    uint32_t  excess;       /* in 1/1000 requests */
    uint32_t  pad;
} av_rate_t;

av_err_t   av_rate_take(av_rate_t *r, int64_t now_ms, uint32_t rate_per_ks,
    uint32_t burst);

#endif /* AV_RECORD_H */
