/*
 * av_metrics.c: the counters (av_metrics.h) and their Prometheus text.
 *
 * Counters are bumped with relaxed atomic adds: each is a count on its
 * own, no two need to agree at an instant, and a scrape that reads one a
 * moment before another is as good as Prometheus's own clients.
 */
#include "av_metrics.h"

#include <stdarg.h>
#include <stdio.h>

#include "av_status.h"

#define AV_ADD(m, field)  __atomic_fetch_add(&(m)->field, 1, __ATOMIC_RELAXED)
#define AV_GET(field)     __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* the histogram's upper bounds, in milliseconds; the last is +Inf */
static const int64_t  av_bucket_ms[AV_METRICS_BUCKETS - 1] = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static const char  *av_endpoint_names[AV_EP__COUNT] = {
    "token", "callback", "status", "gate", "call", "finalize"
};

static const char  *av_guard_names[AV_GUARD__COUNT] = {
    "country", "phone", "client", "prefix"
};

static const char  *av_ts_names[AV_TS__COUNT] = {
    "answered", "bad_answer", "no_answer"
};

static const char  *av_op_names[AV_API__COUNT] = {
    "get_status", "initiate", "finalize", "finalize_callerid",
    "finalize_timeout", "call_status"
};

static const char  *av_flow_names[2] = { "sdk", "call" };

static const char  *av_decided_names[AV_METRICS_DECIDED] = {
    "verified", "failed", "blocked"
};


void
av_metrics_request(av_metrics_t *m, av_endpoint_t ep, av_err_t err)
{
    if (m != NULL && ep < AV_EP__COUNT && err < AV_ERR__COUNT) {
        AV_ADD(m, requests[ep][err]);
    }
}


void
av_metrics_started(av_metrics_t *m, av_flow_t flow)
{
    if (m != NULL && flow <= AV_FLOW_CALL) {
        AV_ADD(m, started[flow]);
    }
}


void
av_metrics_decided(av_metrics_t *m, av_flow_t flow, av_state_t state)
{
    unsigned  i;

    if (m == NULL || flow > AV_FLOW_CALL) {
        return;
    }

    switch (state) {
    case AV_STATE_VERIFIED:
        i = 0;
        break;
    case AV_STATE_FAILED:
        i = 1;
        break;
    case AV_STATE_BLOCKED:
        i = 2;
        break;
    default:
        return;
    }

    AV_ADD(m, decided[flow][i]);
}


void
av_metrics_refused(av_metrics_t *m, av_guard_t guard)
{
    if (m != NULL && guard < AV_GUARD__COUNT) {
        AV_ADD(m, refused[guard]);
    }
}


void
av_metrics_telesign(av_metrics_t *m, av_api_call_t call,
    av_ts_result_t result, int64_t ms)
{
    unsigned  b;

    if (m == NULL || call >= AV_API__COUNT || result >= AV_TS__COUNT) {
        return;
    }

    AV_ADD(m, telesign[call][result]);

    if (ms < 0) {
        ms = 0;
    }

    for (b = 0; b < AV_METRICS_BUCKETS - 1 && ms > av_bucket_ms[b]; b++) {
        /* void */
    }

    AV_ADD(m, latency[call][b]);
    __atomic_fetch_add(&m->latency_us[call], (uint64_t) ms * 1000,
                       __ATOMIC_RELAXED);
}


void
av_metrics_coalesced(av_metrics_t *m)
{
    if (m != NULL) {
        AV_ADD(m, coalesced);
    }
}


/* The struct is counters only: added one by one, each atomically. */

void
av_metrics_add(av_metrics_t *m, const av_metrics_t *from)
{
    size_t           i;
    uint64_t        *dst;
    const uint64_t  *src;

    if (m == NULL) {
        return;
    }

    dst = (uint64_t *) m;
    src = (const uint64_t *) from;

    for (i = 0; i < sizeof(av_metrics_t) / sizeof(uint64_t); i++) {
        if (src[i]) {
            __atomic_fetch_add(&dst[i], src[i], __ATOMIC_RELAXED);
        }
    }
}


/* --- rendering ------------------------------------------------------------ */

typedef struct {
    char    *buf;
    size_t   cap;
    size_t   len;                   /* what it needs, even past cap */
} av_out_t;


static void
av_out(av_out_t *o, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(o->len < o->cap ? o->buf + o->len : NULL,
                  o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);

    if (n > 0) {
        o->len += (size_t) n;
    }
}


static void
av_family(av_out_t *o, const char *name, const char *type, const char *help)
{
    av_out(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}


/* zone names are the operator's: a label value escapes \, " and newline */
static void
av_zone_label(av_out_t *o, const char *zone)
{
    av_out(o, "zone=\"");

    for ( /* void */ ; *zone; zone++) {
        if (*zone == '\\' || *zone == '"') {
            av_out(o, "\\%c", *zone);

        } else if (*zone == '\n') {
            av_out(o, "\\n");

        } else {
            av_out(o, "%c", *zone);
        }
    }

    av_out(o, "\"");
}


static void
av_sample(av_out_t *o, const char *name, const char *zone,
    const char *labels, uint64_t v)
{
    av_out(o, "%s{", name);
    av_zone_label(o, zone);
    av_out(o, "%s%s} %llu\n", labels[0] ? "," : "", labels,
           (unsigned long long) v);
}


static void
av_render_histogram(av_out_t *o, const av_metrics_zone_t *z, unsigned op)
{
    unsigned  b;
    uint64_t  cum;
    char      labels[96];

    cum = 0;

    for (b = 0; b < AV_METRICS_BUCKETS; b++) {
        cum += AV_GET(z->m->latency[op][b]);

        if (b < AV_METRICS_BUCKETS - 1) {
            snprintf(labels, sizeof(labels), "operation=\"%s\",le=\"%g\"",
                     av_op_names[op], (double) av_bucket_ms[b] / 1000);
        } else {
            snprintf(labels, sizeof(labels), "operation=\"%s\",le=\"+Inf\"",
                     av_op_names[op]);
        }

        av_sample(o, "appverify_telesign_duration_seconds_bucket", z->zone,
                  labels, cum);
    }

    snprintf(labels, sizeof(labels), "operation=\"%s\"", av_op_names[op]);

    av_out(o, "appverify_telesign_duration_seconds_sum{");
    av_zone_label(o, z->zone);
    av_out(o, ",%s} %.6f\n", labels,
           (double) AV_GET(z->m->latency_us[op]) / 1e6);

    av_sample(o, "appverify_telesign_duration_seconds_count", z->zone, labels,
              cum);
}


size_t
av_metrics_render(const av_metrics_zone_t *zones, size_t n, char *buf,
    size_t cap)
{
    size_t                    i;
    unsigned                  a, b;
    uint64_t                  v;
    av_out_t                  o;
    const av_metrics_zone_t  *z;
    char                      labels[96];

    o.buf = buf;
    o.cap = cap;
    o.len = 0;

    if (cap) {
        buf[0] = '\0';
    }

    av_family(&o, "appverify_requests_total", "counter",
              "Requests answered, by endpoint and reason code (ok: none).");

    for (i = 0; i < n; i++) {
        z = &zones[i];

        for (a = 0; a < AV_EP__COUNT; a++) {
            for (b = 0; b < AV_ERR__COUNT; b++) {
                v = AV_GET(z->m->requests[a][b]);

                /* the reasons an endpoint never gave stay out: a series
                 * appears with its first request, as in Prometheus's own
                 * clients */
                if (v == 0 && b != AV_OK) {
                    continue;
                }

                snprintf(labels, sizeof(labels),
                         "endpoint=\"%s\",reason=\"%s\"",
                         av_endpoint_names[a],
                         b == AV_OK ? "ok" : av_err_reason((av_err_t) b));
                av_sample(&o, "appverify_requests_total", z->zone, labels, v);
            }
        }
    }

    av_family(&o, "appverify_verifications_started_total", "counter",
              "Verifications started, by flow.");

    for (i = 0; i < n; i++) {
        for (a = 0; a < 2; a++) {
            snprintf(labels, sizeof(labels), "flow=\"%s\"", av_flow_names[a]);
            av_sample(&o, "appverify_verifications_started_total",
                      zones[i].zone, labels,
                      AV_GET(zones[i].m->started[a]));
        }
    }

    av_family(&o, "appverify_verifications_total", "counter",
              "Verifications decided, by flow and outcome.");

    for (i = 0; i < n; i++) {
        for (a = 0; a < 2; a++) {
            for (b = 0; b < AV_METRICS_DECIDED; b++) {
                snprintf(labels, sizeof(labels), "flow=\"%s\",state=\"%s\"",
                         av_flow_names[a], av_decided_names[b]);
                av_sample(&o, "appverify_verifications_total", zones[i].zone,
                          labels, AV_GET(zones[i].m->decided[a][b]));
            }
        }
    }

    av_family(&o, "appverify_refused_total", "counter",
              "Verifications refused by a toll-fraud guard.");

    for (i = 0; i < n; i++) {
        for (a = 0; a < AV_GUARD__COUNT; a++) {
            snprintf(labels, sizeof(labels), "guard=\"%s\"",
                     av_guard_names[a]);
            av_sample(&o, "appverify_refused_total", zones[i].zone, labels,
                      AV_GET(zones[i].m->refused[a]));
        }
    }

    av_family(&o, "appverify_telesign_requests_total", "counter",
              "Questions to Telesign, by operation and result.");

    for (i = 0; i < n; i++) {
        for (a = 0; a < AV_API__COUNT; a++) {
            for (b = 0; b < AV_TS__COUNT; b++) {
                snprintf(labels, sizeof(labels),
                         "operation=\"%s\",result=\"%s\"", av_op_names[a],
                         av_ts_names[b]);
                av_sample(&o, "appverify_telesign_requests_total",
                          zones[i].zone, labels,
                          AV_GET(zones[i].m->telesign[a][b]));
            }
        }
    }

    av_family(&o, "appverify_telesign_duration_seconds", "histogram",
              "How long Telesign took to answer, by operation.");

    for (i = 0; i < n; i++) {
        for (a = 0; a < AV_API__COUNT; a++) {
            av_render_histogram(&o, &zones[i], a);
        }
    }

    av_family(&o, "appverify_lookups_coalesced_total", "counter",
              "Get Status not asked: another request's was in flight or "
              "recent.");

    for (i = 0; i < n; i++) {
        av_sample(&o, "appverify_lookups_coalesced_total", zones[i].zone, "",
                  AV_GET(zones[i].m->coalesced));
    }

    av_family(&o, "appverify_zone_bytes", "gauge",
              "The store's memory, used and free.");

    for (i = 0; i < n; i++) {
        if (zones[i].have_bytes) {
            av_sample(&o, "appverify_zone_bytes", zones[i].zone,
                      "kind=\"used\"", zones[i].bytes_used);
            av_sample(&o, "appverify_zone_bytes", zones[i].zone,
                      "kind=\"free\"", zones[i].bytes_free);
        }
    }

    av_family(&o, "appverify_records", "gauge",
              "Verifications the store holds, by state.");

    for (i = 0; i < n; i++) {
        if (!zones[i].have_records) {
            continue;
        }

        for (a = AV_STATE_UNKNOWN; a <= AV_STATE_BLOCKED; a++) {
            snprintf(labels, sizeof(labels), "state=\"%s\"",
                     av_state_name((av_state_t) a));
            av_sample(&o, "appverify_records", zones[i].zone, labels,
                      zones[i].records[a]);
        }
    }

    return o.len;
}


size_t
av_metrics_render_max(size_t n)
{
    /* every requests series (6 x 26), the rest (about 110 lines), at
     * most 160 bytes a line with a zone name of 64 */
    return 4096 + n * (AV_EP__COUNT * AV_ERR__COUNT + 120) * 160;
}
