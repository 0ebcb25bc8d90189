/*
 * av_store.h: every change to the verification state, decided once for
 * every store.
 *
 * A store (nginx's slab zone, httpd's socache, a Redis shared by nodes)
 * holds items under the core's keys:
 *
 *     x:<xid>      the verification (av_record_t), kept for the store's ttl
 *                  from its creation
 *     l:<xid>      when its last Get Status was claimed (av_mark_t)
 *     p:<phone>    the phone's rate bucket and latest xid (av_slot_t)
 *     c:<address>  a client address's rate bucket (av_slot_t)
 *     n:<prefix>   a number range's rate bucket (av_slot_t)
 *
 * Each operation below is a transaction in four steps, the same for every
 * store: read the items it names, let the core decide, write what the
 * core marked, all or nothing.  A store on the network reads in one round
 * trip and writes with a compare-and-set in another; when another node
 * changed an item in between, its commit says so and the transaction
 * runs again (AV_TXN_TRIES times, then AV_ERR_STORE_UNAVAILABLE).  A local store takes its lock in begin and
 * gives it back in end, around memory work only.
 *
 * The store only moves bytes: no rule about states, attempts, rates or
 * lookups lives in a glue.
 */
#ifndef AV_STORE_H
#define AV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_record.h"
#include "av_metrics.h"
#include "av_start.h"

#define AV_ITEM_KEY_MAX  AV_BUCKET_KEY_MAX  /* "c:" and an IPv6 address */
#define AV_TXN_ITEMS     6
#define AV_TXN_TRIES     8                  /* conflicts before giving up */
#define AV_ITEM_RAW_MAX  256                /* a network store's copy of a
                                               value as read */

typedef enum {
    AV_ITEM_RECORD = 0,
    AV_ITEM_MARK,
    AV_ITEM_SLOT
} av_item_kind_t;

/* A rate bucket; the phone's also names its latest verification. */
typedef struct {
    av_rate_t  rate;
    char       xid[AV_XID_MAX + 1];
} av_slot_t;

/* A Get Status claim: when it was made, and until when it is in flight. */
typedef struct {
    int64_t    at_ms;
    int64_t    busy_until_ms;               /* 0: answered */
} av_mark_t;

typedef enum {
    AV_WRITE_NONE = 0,
    AV_WRITE_PUT,
    AV_WRITE_DELETE
} av_write_t;

typedef struct {
    av_item_kind_t   kind;
    char             key[AV_ITEM_KEY_MAX + 1];
    size_t           key_len;

    /* read: filled in by the store */
    int              found;
    union {
        av_record_t  rec;
        av_mark_t    mark;
        av_slot_t    slot;
    } v;
    void            *handle;                /* the store's, e.g. its node */
    uint64_t         version;               /* the store's, for its CAS */
    unsigned char    raw[AV_ITEM_RAW_MAX];  /* the store's: the value as it
                                               was read, which its
                                               compare-and-set expects */
    size_t           raw_len;               /* 0: absent when read */

    /* decided by the core */
    av_write_t       write;
    int64_t          expires_ms;            /* for AV_WRITE_PUT */
} av_item_t;

/* The bytes of an item's value as stored: the size of its kind. */
size_t   av_item_size(av_item_kind_t kind);

typedef struct {
    void      *data;
    int64_t    ttl_ms;                      /* a record's life */
    av_metrics_t  *metrics;                 /* its counters; NULL: none */
    const unsigned *unread;                 /* a snapshot's (av_snap.h):
                                               items it has not fetched
                                               yet; not 0 ends a
                                               transaction before its
                                               decision.  NULL: none */

    /* starts a transaction: a local store locks; AV_ERR_INTERNAL when it
     * cannot */
    av_err_t (*begin)(void *data);

    /* fills in item->found and item->v (and handle/version if it wants);
     * an error when the store cannot be read */
    av_err_t (*read)(void *data, av_item_t *item);

    /* writes every item whose write is not AV_WRITE_NONE, all or nothing:
     * AV_ERR_STORE_FULL when there is no room; *conflict set (and nothing
     * written) when an item changed since it was read, and the core runs
     * the transaction again */
    av_err_t (*commit)(void *data, av_item_t *items, unsigned n,
                       int *conflict);

    /* ends the transaction, committed or not: a local store unlocks */
    void     (*end)(void *data);
} av_store_t;


/* The record for xid: AV_OK, or AV_ERR_UNKNOWN_SESSION. */
av_err_t av_store_find(const av_store_t *s, const char *xid, size_t len,
    av_record_t *out);

/*
 * A cache in front of a shared store keeps a record the shared store
 * holds (rec, alive there for ttl_ms from its creation): only a terminal
 * one, with the time it was kept.  Anything else: AV_OK, nothing kept.
 * A terminal record may still be replaced by a later terminal status
 * (verified, then blocked), so the copy answers for the shared store
 * only while av_store_find_copy() says it is fresh, and older only when the
 * shared store cannot be reached.
 */
av_err_t av_store_keep(const av_store_t *s, const av_record_t *rec,
    int64_t ttl_ms, int64_t now_ms);

/* A copy's record for xid, as av_store_find, in one read with its age:
 * *fresh is 1 when it was kept less than fresh_ms before now_ms. */
av_err_t av_store_find_copy(const av_store_t *s, const char *xid,
    size_t len, int64_t fresh_ms, int64_t now_ms, av_record_t *out,
    int *fresh);

/*
 * Starts a verification (av_start.h): stores rec and its buckets, or
 * nothing on refusal (*why says which rule refused, for the log).
 */
av_err_t av_store_start(const av_store_t *s, const av_record_t *rec,
    const av_start_conf_t *conf, const char *client, const char **why);

/*
 * Applies a status from Telesign (a callback, or a Get Status answer for
 * a missed call whose finalize Telesign decided already: release then
 * ends the attempt that finalize reserved).  An xid never seen here gets
 * a record: its token may come from another node that shares the session
 * secret, and the client's credential proves the xid is theirs.
 * AV_ERR_MALFORMED_BODY when the status names another phone than the
 * record's (nothing stored).  *out: the record after it.
 */
av_err_t av_store_apply(const av_store_t *s, const av_status_doc_t *doc,
    int release, int64_t now_ms, av_record_t *out, av_apply_t *result);

/*
 * Get Status for an xid, in two steps around the call to Telesign.
 * Begin claims the lookup: *claim is its stamp when the caller is to ask
 * Telesign now (and must then end it with that stamp), 0 when the stored
 * state is the answer: the record is terminal or a missed call's (decided
 * by finalize), a lookup is in flight (an xid absent here then reads as
 * a record in unknown state: pending, not unknown_session) or was claimed
 * less than interval_ms ago.  So of any number of concurrent requests for one xid,
 * on any node sharing the store, one asks.  A claim whose requester
 * vanished runs out after timeout_ms.  A claim stamped after now_ms, by up
 * to timeout_ms, is another's that read the clock later: it holds this one
 * off all the same.  *have and *out: the record as stored.
 */
av_err_t av_store_lookup_begin(const av_store_t *s, const char *xid,
    int64_t interval_ms, int64_t timeout_ms, int64_t now_ms,
    av_record_t *out, int *have, int64_t *claim);

/*
 * Ends the lookup claimed at claim with what Telesign answered: doc
 * (applied as av_store_apply does), or NULL when there was no usable
 * answer (nothing changes).  The claim stops being in flight, so the next
 * lookup waits for the rest of the interval only.  *have and *out: the record
 * now.  Returns what applying said (AV_OK without doc).
 */
av_err_t av_store_lookup_end(const av_store_t *s, const char *xid,
    int64_t claim, int64_t interval_ms, const av_status_doc_t *doc,
    int64_t now_ms, av_record_t *out, int *have, av_apply_t *result);

/* The missed call was placed: keeps Telesign's reference id and the
 * caller-ID prefix.  AV_ERR_UNKNOWN_SESSION when the record is gone. */
av_err_t av_store_call_placed(const av_store_t *s, const char *xid,
    const char *reference_id, const char *prefix, av_record_t *out);

/* Forgets a verification that never started (Telesign refused the call):
 * the duplicate rule must not hold the phone; its bucket keeps its count. */
av_err_t av_store_forget(const av_store_t *s, const char *xid);

/*
 * Missed-call finalize, around the call to Telesign: begin reserves an
 * attempt (av_record_attempt_reserve's answers; AV_ERR_UNKNOWN_SESSION
 * without a record); *out is the record, also when refused.  The
 * reservation ends with av_store_finalize (the answer), av_store_apply
 * with release (an outcome Telesign decided already), or
 * av_store_attempt_end (no usable answer: given back; the client left:
 * lost, counted as a wrong code).
 */
av_err_t av_store_finalize_begin(const av_store_t *s, const char *xid,
    unsigned max_attempts, av_record_t *out);

av_err_t av_store_attempt_end(const av_store_t *s, const char *xid,
    int lost, unsigned max_attempts, int64_t now_ms);

av_err_t av_store_finalize(const av_store_t *s, const char *xid, int code,
    unsigned max_attempts, int64_t now_ms, av_record_t *out,
    unsigned *left);

#endif /* AV_STORE_H */
