/*
 * test_metrics.c: the counters the flows and the store bump (av_metrics.h)
 * and their Prometheus text: every event counted once where the core
 * decides it, a refused transaction or a retried one not twice, and the
 * exposition well-formed (each family once, cumulative buckets, escaped
 * zone names).
 */
#include "unit.h"
#include "flow_conf.h"
#include "av_flow.h"
#include "av_metrics.h"

#include <stdio.h>
#include <string.h>

#include "mem_store.h"

#define CID    "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"
#define PHONE  "13101234567"

static av_metrics_t    m;
static char            text[200000];

static void
setup(void)
{
    reset();
    memset(&m, 0, sizeof(m));
    store.metrics = &m;

    flow_conf_reset();
    fc.signature = 0;
    fc.telesign = 1;
    fc.lookup = 1;
    fc.lookup_interval_ms = 1000;
    fc.call_timeout_ms = 5000;
    fc.attempts = 3;
}

static void
render(void)
{
    av_metrics_zone_t  z = { "av", &m, 1, 1000, 3000, 1, { 0, 2, 1, 0, 0 } };
    size_t             n;

    n = av_metrics_render(&z, 1, text, sizeof(text));
    CHECK(n > 0 && n < sizeof(text));
}

static int
has(const char *line)
{
    char  want[512];

    snprintf(want, sizeof(want), "\n%s\n", line);
    return strstr(text, want) != NULL;
}

static void
token(const char *xid, const char *phone)
{
    av_params_t  p;
    av_answer_t  a;
    char         q[128];

    snprintf(q, sizeof(q), "phone=%s&xid=%s", phone, xid);
    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, q, strlen(q)), AV_OK);
    av_flow_token(&a, &fc, &store, &p, "192.0.2.1", 0, mem.now_ms);
}

static void
callback(const char *xid, int code)
{
    av_answer_t  a;
    char         body[512];

    snprintf(body, sizeof(body),
             "{\"status\":{\"code\":%d,\"description\":\"x\","
             "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
             "\"errors\":[],\"mobile_verification\":"
             "{\"phone_number\":\"" PHONE "\",\"xid\":\"%s\"}}", code, xid);
    av_flow_callback(&a, &fc, &store, NULL, 0, NULL, 0, body, strlen(body),
                     mem.now_ms);
}

static void
test_counted_where_decided(void)
{
    setup();

    token("m1", PHONE);
    token("m1", PHONE);                 /* the xid is in use: 409 */
    callback("m1", 1800);
    callback("m1", 1800);               /* a repeat decides nothing new */
    callback("m2", 1803);               /* an xid not seen here: failed */

    CHECK_EQ_INT((int) m.requests[AV_EP_TOKEN][AV_OK], 1);
    CHECK_EQ_INT((int) m.requests[AV_EP_CALLBACK][AV_OK], 3);
    CHECK_EQ_INT((int) m.started[AV_FLOW_SDK], 1);
    CHECK_EQ_INT((int) m.decided[AV_FLOW_SDK][0], 1);      /* verified */
    CHECK_EQ_INT((int) m.decided[AV_FLOW_SDK][1], 1);      /* failed */

    render();
    CHECK(has("appverify_requests_total{zone=\"av\",endpoint=\"token\",reason=\"ok\"} 1"));
    CHECK(has("appverify_requests_total{zone=\"av\",endpoint=\"callback\",reason=\"ok\"} 3"));
    CHECK(has("appverify_verifications_started_total{zone=\"av\",flow=\"sdk\"} 1"));
    CHECK(has("appverify_verifications_total{zone=\"av\",flow=\"sdk\",state=\"verified\"} 1"));
    CHECK(has("appverify_verifications_total{zone=\"av\",flow=\"sdk\",state=\"failed\"} 1"));
    CHECK(has("appverify_zone_bytes{zone=\"av\",kind=\"free\"} 3000"));
    CHECK(has("appverify_records{zone=\"av\",state=\"pending\"} 2"));
    CHECK(has("appverify_records{zone=\"av\",state=\"blocked\"} 0"));
}

static void
test_guards(void)
{
    static const unsigned  only_uk[] = { 44 };

    setup();
    fc.countries = only_uk;
    fc.ncountries = 1;
    token("g1", PHONE);
    CHECK_EQ_INT((int) m.refused[AV_GUARD_COUNTRY], 1);
    CHECK_EQ_INT((int) m.requests[AV_EP_TOKEN][AV_ERR_COUNTRY_NOT_ALLOWED], 1);

    setup();
    fc.start.pending_ms = 0;
    fc.start.phone.burst = 0;
    fc.start.phone.rate = 1;            /* one per 1000 s */
    token("g2", PHONE);
    token("g3", PHONE);
    CHECK_EQ_INT((int) m.refused[AV_GUARD_PHONE], 1);

    setup();
    fc.start.pending_ms = 0;
    fc.start.client.rate = 1;
    token("g4", "13101234568");
    token("g5", "13101234569");
    CHECK_EQ_INT((int) m.refused[AV_GUARD_CLIENT], 1);
    CHECK_EQ_INT((int) m.started[AV_FLOW_SDK], 1);

    setup();
    fc.start.pending_ms = 0;
    fc.start.prefix.rate = 1;
    fc.start.prefix_digits = 8;
    token("g6", "13101234568");
    token("g7", "13101234569");         /* the same first 8 digits */
    CHECK_EQ_INT((int) m.refused[AV_GUARD_PREFIX], 1);
    CHECK_EQ_INT((int) m.refused[AV_GUARD_PHONE], 0);
    CHECK_EQ_INT((int) m.refused[AV_GUARD_CLIENT], 0);
}

static void
test_telesign_and_coalesced(void)
{
    av_exchange_t  x, y;
    av_answer_t    a;
    char           cred[AV_CRED_MAX];
    size_t         len;
    char           body[512];

    setup();
    token("t1", PHONE);
    len = av_credential_issue(&session_key, "t1", 2, mem.now_ms / 1000 + 60,
                              cred, sizeof(cred));

    CHECK_EQ_INT(av_flow_status(&x, &a, &fc, &store, AV_USE_GATE, cred, len,
                                mem.now_ms), AV_NEXT_ASK);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_ERR_PENDING], 0);

    /* another request meanwhile: held off, answered from the store */
    CHECK_EQ_INT(av_flow_status(&y, &a, &fc, &store, AV_USE_GATE, cred, len,
                                mem.now_ms), AV_NEXT_SEND);
    CHECK_EQ_INT((int) m.coalesced, 1);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_ERR_PENDING], 1);

    snprintf(body, sizeof(body),
             "{\"status\":{\"code\":1800,\"description\":\"x\","
             "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
             "\"errors\":[],\"mobile_verification\":"
             "{\"phone_number\":\"" PHONE "\",\"xid\":\"t1\"}}");
    mem.now_ms += 300;
    CHECK_EQ_INT(av_flow_answered(&x, &a, &fc, &store, 200, body,
                                  strlen(body), mem.now_ms), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_OK], 1);
    CHECK_EQ_INT((int) m.telesign[AV_API_GET_STATUS][AV_TS_ANSWERED], 1);
    CHECK_EQ_INT((int) m.decided[AV_FLOW_SDK][0], 1);

    /* one with no answer at all, 12 s later */
    token("t2", "13101234599");
    len = av_credential_issue(&session_key, "t2", 2, mem.now_ms / 1000 + 60,
                              cred, sizeof(cred));
    CHECK_EQ_INT(av_flow_status(&x, &a, &fc, &store, AV_USE_STATUS, cred,
                                len, mem.now_ms), AV_NEXT_ASK);
    mem.now_ms += 12000;
    av_flow_answered(&x, &a, &fc, &store, 0, NULL, 0, mem.now_ms);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT((int) m.telesign[AV_API_GET_STATUS][AV_TS_NO_ANSWER], 1);

    render();
    /* 300 ms: in the 0.5 bucket and every one above; 12 s only in +Inf */
    CHECK(has("appverify_telesign_duration_seconds_bucket{zone=\"av\",operation=\"get_status\",le=\"0.25\"} 0"));
    CHECK(has("appverify_telesign_duration_seconds_bucket{zone=\"av\",operation=\"get_status\",le=\"0.5\"} 1"));
    CHECK(has("appverify_telesign_duration_seconds_bucket{zone=\"av\",operation=\"get_status\",le=\"10\"} 1"));
    CHECK(has("appverify_telesign_duration_seconds_bucket{zone=\"av\",operation=\"get_status\",le=\"+Inf\"} 2"));
    CHECK(has("appverify_telesign_duration_seconds_sum{zone=\"av\",operation=\"get_status\"} 12.300000"));
    CHECK(has("appverify_telesign_duration_seconds_count{zone=\"av\",operation=\"get_status\"} 2"));
    CHECK(has("appverify_telesign_requests_total{zone=\"av\",operation=\"get_status\",result=\"no_answer\"} 1"));
    CHECK(has("appverify_lookups_coalesced_total{zone=\"av\"} 1"));
    CHECK(has("appverify_requests_total{zone=\"av\",endpoint=\"status\",reason=\"upstream_unavailable\"} 1"));
}

static void
test_exposition(void)
{
    av_metrics_zone_t  z[2];
    size_t             need, n;
    const char        *p;
    char               small[64];

    setup();
    z[0].zone = "a\"b\\c";
    z[0].m = &m;
    z[0].have_bytes = 0;
    z[0].have_records = 0;
    z[1].zone = "second";
    z[1].m = &m;
    z[1].have_bytes = 0;
    z[1].have_records = 0;

    n = av_metrics_render(z, 2, text, sizeof(text));
    CHECK(n < av_metrics_render_max(2));
    CHECK(strstr(text, "zone=\"a\\\"b\\\\c\"") != NULL);    /* escaped */

    /* each family once, though two zones have it */
    p = strstr(text, "# TYPE appverify_requests_total counter");
    CHECK(p != NULL && strstr(p + 1, "# TYPE appverify_requests_total") == NULL);
    CHECK(strstr(text, "# TYPE appverify_telesign_duration_seconds histogram") != NULL);

    /* too small: says how much it needs, writes within cap */
    need = av_metrics_render(z, 2, small, sizeof(small));
    CHECK_EQ_INT((int) need, (int) n);
    CHECK(strlen(small) < sizeof(small));

    /* nothing counted without counters */
    av_metrics_request(NULL, AV_EP_GATE, AV_OK);
    av_metrics_telesign(NULL, AV_API_INITIATE, AV_TS_ANSWERED, 1);
}

int
main(void)
{
    RUN(test_counted_where_decided);
    RUN(test_guards);
    RUN(test_telesign_and_coalesced);
    RUN(test_exposition);

    return UNIT_DONE();
}
