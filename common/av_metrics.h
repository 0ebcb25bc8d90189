/*
 * av_metrics.h: what an operator counts, kept where the store is.
 *
 * One av_metrics_t per store (nginx: in its zone's shared memory; httpd:
 * in a segment of its own), shared by every worker and thread: plain
 * 64-bit counters, each bumped with one relaxed atomic add, no lock.  The
 * core bumps them where it decides (av_flow_*, av_store_*), so both
 * servers count the same events; a glue only hands the store its
 * counters and renders them when asked (av_metrics_render: Prometheus's
 * text format 0.0.4).
 *
 * The series, with their labels (zone: the store's name):
 *
 *   appverify_requests_total{zone,endpoint,reason}      counter
 *   appverify_verifications_started_total{zone,flow}    counter
 *   appverify_verifications_total{zone,flow,state}      counter
 *       (decided: verified, failed, blocked)
 *   appverify_refused_total{zone,guard}                 counter
 *       (toll-fraud guards: country, phone, client, prefix)
 *   appverify_telesign_requests_total{zone,operation,result}  counter
 *       (result: answered, bad_answer, no_answer)
 *   appverify_telesign_duration_seconds{zone,operation} histogram
 *   appverify_lookups_coalesced_total{zone}             counter
 *   appverify_zone_bytes{zone,kind}                     gauge (used, free;
 *       where the glue can tell)
 *   appverify_records{zone,state}                       gauge (where the
 *       glue can tell)
 */
#ifndef AV_METRICS_H
#define AV_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "av_api.h"
#include "av_error.h"
#include "av_record.h"
#include "av_status.h"

typedef enum {
    AV_EP_TOKEN = 0,
    AV_EP_CALLBACK,
    AV_EP_STATUS,
    AV_EP_GATE,
    AV_EP_CALL,
    AV_EP_FINALIZE,
    AV_EP__COUNT
} av_endpoint_t;

typedef enum {
    AV_GUARD_COUNTRY = 0,
    AV_GUARD_PHONE,
    AV_GUARD_CLIENT,
    AV_GUARD_PREFIX,
    AV_GUARD__COUNT
} av_guard_t;

typedef enum {
    AV_TS_ANSWERED = 0,     /* a usable answer */
    AV_TS_BAD_ANSWER,       /* an answer the core refused (5xx, garbage) */
    AV_TS_NO_ANSWER,        /* refused, timed out, reset, too large */
    AV_TS__COUNT
} av_ts_result_t;

#define AV_API__COUNT       (AV_API_CALL_STATUS + 1)
#define AV_METRICS_BUCKETS  10          /* av_metrics.c: the bounds, +Inf */
#define AV_METRICS_DECIDED  3           /* verified, failed, blocked */

typedef struct {
    uint64_t  requests[AV_EP__COUNT][AV_ERR__COUNT];
    uint64_t  started[2];                           /* by av_flow_t */
    uint64_t  decided[2][AV_METRICS_DECIDED];
    uint64_t  refused[AV_GUARD__COUNT];
    uint64_t  telesign[AV_API__COUNT][AV_TS__COUNT];
    uint64_t  latency[AV_API__COUNT][AV_METRICS_BUCKETS];   /* per bucket */
    uint64_t  latency_us[AV_API__COUNT];                    /* their sum */
    uint64_t  coalesced;
} av_metrics_t;

/* Every counter below takes m == NULL as "not counted". */
void av_metrics_request(av_metrics_t *m, av_endpoint_t ep, av_err_t err);
void av_metrics_started(av_metrics_t *m, av_flow_t flow);

/* a record went from not terminal (or absent) to terminal */
void av_metrics_decided(av_metrics_t *m, av_flow_t flow, av_state_t state);

/* a verification refused by a toll-fraud guard */
void av_metrics_refused(av_metrics_t *m, av_guard_t guard);

/* a question to Telesign ended: its answer's HTTP status (0: none) and
 * the core's verdict on it, after ms */
void av_metrics_telesign(av_metrics_t *m, av_api_call_t call,
    av_ts_result_t result, int64_t ms);

void av_metrics_coalesced(av_metrics_t *m);

/* Adds from's counts to m's (a run counted apart, av_snap.h). */
void av_metrics_add(av_metrics_t *m, const av_metrics_t *from);

/* One store's counters, with what only its glue can tell. */
typedef struct {
    const char          *zone;          /* its name, for the label */
    const av_metrics_t  *m;
    int                  have_bytes;
    uint64_t             bytes_used;
    uint64_t             bytes_free;
    int                  have_records;
    uint64_t             records[AV_STATE_BLOCKED + 1];  /* by av_state_t */
} av_metrics_zone_t;

/*
 * Prometheus's text exposition (0.0.4) of n stores' counters, each family
 * once with its HELP and TYPE.  Returns the length written (NUL
 * terminated), or the size it needs (> cap) when buf is too small: call
 * again with that much.
 */
size_t av_metrics_render(const av_metrics_zone_t *zones, size_t n,
    char *buf, size_t cap);

/* What av_metrics_render needs at most for n stores. */
size_t av_metrics_render_max(size_t n);

#endif /* AV_METRICS_H */
