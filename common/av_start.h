/*
 * av_start.h: starting a verification (the token and call endpoints), the
 * rules decided once for every store.
 *
 * A new verification is refused when the phone's latest one is still
 * running (Telesign's duplicate-request rule), when a caller-chosen xid is
 * in use, and when the phone, the client address or the number range is
 * over its rate (the toll-fraud guards).  Nothing is written on refusal:
 * every bucket is taken on a copy and written back only when all said yes.
 *
 * The store's part, under its lock (or between a read and a
 * compare-and-set, for a store on the network):
 *
 *     av_start_init(&st, rec, conf, client);          names the keys
 *     read st.bucket[i] (found, state; the phone's also its xid),
 *     the record of st.bucket[0].xid into st.last, and whether rec->xid
 *     is taken;
 *     rc = av_start_decide(&st, rec, conf, now_ms);
 *     on AV_OK write rec, then each bucket's state (the phone's with
 *     rec->xid) to be kept keep_ms; on refusal write nothing.
 *
 * The key layout is the core's, so nodes of both servers that share one
 * store agree on it: "p:<phone>", "c:<client address>", "n:<prefix>".
 */
#ifndef AV_START_H
#define AV_START_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_record.h"

#define AV_BUCKET_KEY_MAX  (2 + 64)         /* "c:" and an IPv6 address */
#define AV_BUCKETS_MAX     3

typedef struct {
    uint32_t  rate;                         /* per 1000 s; 0: off */
    uint32_t  burst;
} av_limit_t;

typedef struct {
    av_limit_t  phone;                      /* the endpoint's rate= burst= */
    av_limit_t  client;                     /* client_limit, or off */
    av_limit_t  prefix;                     /* prefix_limit, or off */
    unsigned    prefix_digits;
    int64_t     pending_ms;                 /* the duplicate window */
} av_start_conf_t;

typedef struct {
    char        key[AV_BUCKET_KEY_MAX + 1];
    uint32_t    rate;
    uint32_t    burst;

    /* what the store holds, filled in by the glue */
    int         found;
    av_rate_t   state;
    char        xid[AV_XID_MAX + 1];        /* the phone's: its latest xid */

    /* decided: how long to keep the bucket once written */
    int64_t     keep_ms;
} av_bucket_t;

typedef struct {
    av_bucket_t   bucket[AV_BUCKETS_MAX];   /* [0] is the phone's */
    unsigned      n;

    /* filled in by the glue */
    int           have_last;                /* the record of bucket[0].xid */
    av_record_t   last;
    int           xid_taken;                /* a record holds rec->xid */

    const char   *why;                      /* a refusal's words for the log */
    char          limited;                  /* the rate that refused: its
                                               bucket's tag, 'p', 'c' or
                                               'n'; 0 for none */
} av_start_t;

/* Names the buckets rec concerns (client may be NULL or ""). */
void     av_start_init(av_start_t *st, const av_record_t *rec,
    const av_start_conf_t *conf, const char *client);

/*
 * AV_OK: store rec and write every bucket back (bucket[i].state,
 * keep_ms).  AV_ERR_DUPLICATE, AV_ERR_XID_IN_USE, AV_ERR_RATE_LIMITED
 * (st->why says which limit): write nothing.
 */
av_err_t av_start_decide(av_start_t *st, const av_record_t *rec,
    const av_start_conf_t *conf, int64_t now_ms);

#endif /* AV_START_H */
