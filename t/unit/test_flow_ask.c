/*
 * test_flow_ask.c: the use cases that may ask Telesign (av_flow.h): the
 * status endpoint, the gate, the missed call and its finalize, each step
 * by step on the store in memory, with Telesign's answers played here.
 * Every answer a glue sends for them, and what each way out leaves in the
 * store (a lookup claim, a call's place, a finalize attempt).
 */
#include "unit.h"
#include "flow_conf.h"
#include "av_flow.h"

#include <stdio.h>
#include <string.h>

#include "mem_store.h"

#define REF  "0123456789ABCDEF0123456789ABCDEF"

/* a Get Status answer for xid and phone */
#define STATUS(buf, code, xid, phone)                                       \
    snprintf(buf, sizeof(buf),                                              \
             "{\"status\":{\"code\":%d,\"description\":\"x\","              \
             "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"             \
             "\"errors\":[],\"mobile_verification\":"                       \
             "{\"phone_number\":\"%s\",\"xid\":\"%s\"}}",                   \
             code, phone, xid)

#define INITIATE(code)                                                      \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_initiate\"," \
    "\"errors\":[],\"status\":{\"code\":" #code ",\"description\":\"x\","  \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},\"prefix\":\"4478730\"}"

#define INITIATE_OK  INITIATE(2400)

#define FINALIZE(code)                                                      \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_finalize\"," \
    "\"errors\":[],\"status\":{\"code\":" #code ",\"description\":\"x\","   \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"}}"

#define ALREADY_FINAL                                                       \
    "{\"errors\":[{\"code\":-30014}],\"status\":{\"code\":2401}}"

#define NO_XID                                                              \
    "{\"errors\":[{\"code\":-50059,\"description\":\"xid not found.\"}]}"

#define PHONE  "13101234567"

static const unsigned  only_uk[] = { 44 };

static void
setup(void)
{
    reset();

    flow_conf_reset();
    fc.telesign = 1;
    fc.lookup = 0;
    fc.lookup_interval_ms = 0;
    fc.call_timeout_ms = 5000;
    fc.attempts = 3;
}

static size_t
credential(const char *xid, char *cred, size_t cap)
{
    return av_credential_issue(&session_key, xid, strlen(xid),
                               mem.now_ms / 1000 + 600, cred, cap);
}

/* a pending SDK verification for xid, as a token request starts it */
static void
started(const char *xid)
{
    av_record_t  rec;
    const char  *why;

    av_record_init(&rec, xid, strlen(xid), PHONE, strlen(PHONE),
                   AV_FLOW_SDK, mem.now_ms);
    CHECK_EQ_INT(av_store_start(&store, &rec, &fc.start, "192.0.2.7", &why),
                 AV_OK);
}

static av_next_t
status(av_exchange_t *x, av_answer_t *a, av_use_t use, const char *xid)
{
    size_t  n;
    char    cred[AV_CRED_MAX];

    n = xid ? credential(xid, cred, sizeof(cred)) : 0;

    return av_flow_status(x, a, &fc, &store, use, xid ? cred : NULL, n,
                          mem.now_ms);
}

static av_next_t
answered(av_exchange_t *x, av_answer_t *a, int http, const char *body)
{
    return av_flow_answered(x, a, &fc, &store, http, body,
                            body ? strlen(body) : 0, mem.now_ms);
}

static void
form(av_params_t *p, const char *s)
{
    av_params_init(p);
    CHECK_EQ_INT(av_params_parse_form(p, s, strlen(s)), AV_OK);
}


/* --- status and gate, from the store alone ------------------------------- */

static void
status_without_lookup(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    size_t         n;
    char           cred[AV_CRED_MAX];

    setup();

    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, NULL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_NO_CREDENTIAL);
    CHECK_EQ_INT(a.status, 401);

    n = credential("x1", cred, sizeof(cred));
    cred[n - 1] = cred[n - 1] == 'A' ? 'B' : 'A';
    av_flow_status(&x, &a, &fc, &store, AV_USE_STATUS, cred, n, mem.now_ms);
    CHECK_EQ_INT(a.err, AV_ERR_BAD_CREDENTIAL);

    /* a valid credential for an xid this store does not hold */
    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(a.status, 401);
    CHECK(strstr(a.body, "\"error\":\"unknown_session\"") != NULL);
    CHECK(!a.have_rec);

    /* the record is the answer whatever its state: pending is 200 */
    started("x1");
    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"state\":\"pending\"") != NULL);
    CHECK(strstr(a.body, "\"verified\":false") != NULL);
    CHECK(a.have_rec);
    CHECK_EQ_STR(a.rec.xid, "x1");
    CHECK_EQ_INT(a.level, AV_LOG_NONE);
}

static void
gate_without_lookup(void)
{
    av_exchange_t    x;
    av_answer_t      a;
    av_status_doc_t  doc;
    av_record_t      rec;
    av_apply_t       applied;
    const char      *msg;
    char             body[512];

    setup();

    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, NULL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_NO_CREDENTIAL);
    CHECK_EQ_STR(a.log, "access denied: no_credential");
    CHECK_EQ_INT(a.level, AV_LOG_INFO);

    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_STR(a.log, "access denied: unknown_session: x1");

    started("x1");
    status(&x, &a, AV_USE_GATE, "x1");
    CHECK_EQ_INT(a.err, AV_ERR_PENDING);
    CHECK_EQ_INT(a.status, 401);
    CHECK(a.have_rec);                  /* the variables show who */
    CHECK_EQ_STR(a.log, "access denied: pending: x1");

    /* verified: in, with nothing to log */
    STATUS(body, 1800, "x1", PHONE);
    CHECK_EQ_INT(av_callback_parse(body, strlen(body), &doc, &msg), AV_OK);
    CHECK_EQ_INT(av_store_apply(&store, &doc, 0, mem.now_ms, &rec, &applied),
                 AV_OK);

    status(&x, &a, AV_USE_GATE, "x1");
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(x.exp, mem.now_ms / 1000 + 600);  /* a glue's cache ends there */
    CHECK(a.have_rec);
    CHECK_EQ_INT(a.rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(a.level, AV_LOG_NONE);
    CHECK_EQ_INT(mem.commits, 2);       /* the start, the callback: no claim */
}


/* a node's copy of a shared store, asked first: fresh, stale or not there */
static void
status_on_copy(void)
{
    av_exchange_t  x;
    av_answer_t    a, stale;
    av_metrics_t   m;
    av_record_t    rec;
    char           cred[AV_CRED_MAX];
    size_t         n;

    setup();
    fc.lookup = 1;                      /* the copy never asks Telesign */
    fc.lookup_interval_ms = 3000;
    memset(&m, 0, sizeof(m));
    n = credential("k1", cred, sizeof(cred));

    CHECK_EQ_INT(av_flow_status_copy(&x, &a, &fc, &store, &m, AV_USE_GATE,
                                     cred, n, mem.now_ms), AV_COPY_NONE);

    av_record_init(&rec, "k1", 2, PHONE, strlen(PHONE), AV_FLOW_SDK,
                   mem.now_ms);
    rec.state = AV_STATE_VERIFIED;
    rec.code = 1800;
    CHECK_EQ_INT(av_store_keep(&store, &rec, store.ttl_ms, mem.now_ms), AV_OK);

    /* kept just now: the answer, counted once, in the counters given */
    CHECK_EQ_INT(av_flow_status_copy(&x, &a, &fc, &store, &m, AV_USE_GATE,
                                     cred, n, mem.now_ms), AV_COPY_ANSWER);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(x.claim, 0);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_OK], 1);

    /* kept longer ago than the interval: only for when Redis cannot */
    mem.now_ms += 3001;
    CHECK_EQ_INT(av_flow_status_copy(&x, &a, &fc, &store, &m, AV_USE_GATE,
                                     cred, n, mem.now_ms), AV_COPY_STALE);
    CHECK(a.stale);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_OK], 1);
    stale = a;

    av_answer_unavailable(&a, NULL, AV_EP_GATE, "redis down", 0);
    av_flow_status_stale(&a, &stale, &m, AV_USE_GATE);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_OK], 2);
    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_ERR_STORE_UNAVAILABLE], 0);

    /* a pending record is never the copy's to answer */
    started("k2");
    n = credential("k2", cred, sizeof(cred));
    CHECK_EQ_INT(av_flow_status_copy(&x, &a, &fc, &store, &m, AV_USE_STATUS,
                                     cred, n, mem.now_ms), AV_COPY_NONE);
}


/* --- Get Status ---------------------------------------------------------- */

static void
lookup_verifies(void)
{
    av_exchange_t  x, y;
    av_answer_t    a;
    char           body[512];

    setup();
    fc.lookup = 1;
    fc.lookup_interval_ms = 5000;
    started("x1");

    /* pending here: ask, signed */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    CHECK_EQ_INT(x.req.call, AV_API_GET_STATUS);
    CHECK_EQ_STR(x.req.method, "GET");
    CHECK_EQ_STR(x.req.path, "/v1/mobile/verification/status/x1");
    CHECK(strncmp(x.req.authorization, "TSA " CID ":", 4 + 36 + 1) == 0);
    CHECK(x.claim != 0);

    /* meanwhile the same session elsewhere answers from the store */
    CHECK_EQ_INT(status(&y, &a, AV_USE_GATE, "x1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_PENDING);

    STATUS(body, 1800, "x1", PHONE);
    CHECK_EQ_INT(answered(&x, &a, 200, body), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK_EQ_STR(a.log, "get status for xid \"x1\": code 1800, stored");
    CHECK_EQ_INT(x.claim, 0);

    /* terminal now: never asked again */
    CHECK_EQ_INT(status(&y, &a, AV_USE_STATUS, "x1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"verified\":true") != NULL);
}

static void
lookup_interval(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    char           body[512];

    setup();
    fc.lookup = 1;
    fc.lookup_interval_ms = 5000;
    started("x1");

    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_ASK);
    STATUS(body, 1890, "x1", PHONE);             /* still pending */
    CHECK_EQ_INT(answered(&x, &a, 200, body), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"state\":\"pending\"") != NULL);

    /* within the interval: the stored state answers */
    mem.now_ms += 4999;
    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_SEND);
    mem.now_ms += 1;
    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
}

static void
lookup_fails_closed(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    char           body[512];

    setup();
    fc.lookup = 1;
    started("x1");

    /* no answer: 503 for the gate and the status endpoint, one line */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 0, NULL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(a.status, 503);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK(strstr(a.log, "telesign GET /v1/mobile/verification/status/x1: ")
          == a.log);
    CHECK(strstr(a.log, "; access denied: upstream_unavailable: x1") != NULL);
    CHECK_EQ_INT(x.claim, 0);

    CHECK_EQ_INT(status(&x, &a, AV_USE_STATUS, "x1"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 502, "<html>"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK(strstr(a.body, "\"error\":\"upstream_unavailable\"") != NULL);

    /* an answer about another xid is no answer, and is said at error */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    STATUS(body, 1800, "x2", PHONE);
    CHECK_EQ_INT(answered(&x, &a, 200, body), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK(strstr(a.log, "telesign answered for xid \"x2\" when asked "
                 "about \"x1\"") != NULL);

    /* a status naming another phone: a warning, nothing stored */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    STATUS(body, 1800, "x1", "447700900123");
    CHECK_EQ_INT(answered(&x, &a, 200, body), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_PENDING);
    CHECK_EQ_INT(a.level, AV_LOG_WARN);
    CHECK(strstr(a.log, "names another phone") != NULL);

    /* the store still says pending */
    fc.lookup = 0;
    status(&x, &a, AV_USE_GATE, "x1");
    CHECK_EQ_INT(a.err, AV_ERR_PENDING);
}

static void
lookup_unknown_everywhere(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    char           body[512];

    setup();
    fc.lookup = 1;

    /* absent here: asked (another node may have issued it) */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x9"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 400, NO_XID), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(a.status, 401);

    /* and one that Telesign knows is stored from its answer */
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x8"), AV_NEXT_ASK);
    STATUS(body, 1800, "x8", PHONE);
    CHECK_EQ_INT(answered(&x, &a, 200, body), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_STR(a.rec.phone, PHONE);
}

static void
lookup_abandoned(void)
{
    av_exchange_t  x, y;
    av_answer_t    a;

    setup();
    fc.lookup = 1;
    started("x1");

    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK_EQ_INT(x.claim, 0);

    /* the claim ended: the next request asks at once (interval 0) */
    CHECK_EQ_INT(status(&y, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);

    /* a claim whose requester vanished without a word holds as long as
     * its call to Telesign could, and runs out a second after */
    mem.now_ms += fc.call_timeout_ms;
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_SEND);
    mem.now_ms += 1000;
    CHECK_EQ_INT(status(&x, &a, AV_USE_GATE, "x1"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
}


/* --- the missed call ----------------------------------------------------- */

static av_next_t
call(av_exchange_t *x, av_answer_t *a, const char *s)
{
    av_params_t  p;

    form(&p, s);

    return av_flow_call(x, a, &fc, &store, &p, "192.0.2.7", mem.now_ms);
}

static void
call_placed(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    av_record_t    rec;
    char           xid[AV_XID_MAX + 1];
    size_t         xid_len;

    setup();

    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_ASK);
    CHECK_EQ_INT(x.req.call, AV_API_INITIATE);
    CHECK_EQ_STR(x.req.path, "/v1/verify/auto/voice/initiate");
    CHECK(strstr(x.req.body, "phone_number=" PHONE) != NULL);

    /* the place is held while Telesign is asked: a second is duplicate */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_DUPLICATE);

    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_DUPLICATE);

    /* the first one's answer */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234568&xid=c2"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 200, INITIATE_OK), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"prefix\":\"4478730\"") != NULL);
    CHECK(strstr(a.body, "verify_code") == NULL);
    CHECK(a.session_len > 0);
    CHECK_EQ_INT(av_credential_check(&session_key, a.session, a.session_len,
                                     mem.now_ms / 1000, xid, &xid_len, NULL),
                 AV_OK);
    CHECK_EQ_STR(xid, "c2");
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK_EQ_STR(a.log, "missed call placed for xid \"c2\"");

    CHECK_EQ_INT(av_store_find(&store, "c2", 2, &rec), AV_OK);
    CHECK_EQ_STR(rec.reference_id, REF);
    CHECK_EQ_STR(rec.prefix, "4478730");
}

static void
call_refused(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    av_record_t    rec;

    setup();

    CHECK_EQ_INT(call(&x, &a, "xid=c1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_MISSING_PHONE);

    fc.countries = only_uk;
    fc.ncountries = 1;
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_COUNTRY_NOT_ALLOWED);
    CHECK_EQ_INT(mem.commits, 0);
    fc.countries = NULL;

    fc.telesign = 0;
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INTERNAL);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK_EQ_INT(mem.commits, 0);
    fc.telesign = 1;

    /* Telesign will not call that number: the record goes, the phone is
     * free again (its rate bucket keeps the count) */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 200, INITIATE(2404)), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INVALID_PHONE);
    CHECK_EQ_INT(a.session_len, 0);
    CHECK(strstr(a.log, "telesign did not place the call: code 2404") != NULL);
    CHECK_EQ_INT(av_store_find(&store, "c1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    /* no answer: 503, forgotten as well */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 0, NULL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK_EQ_INT(av_store_find(&store, "c1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    /* the client left: forgotten, said at info */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK(strstr(a.log, "abandoned") != NULL);
    CHECK_EQ_INT(av_store_find(&store, "c1", 2, &rec),
                 AV_ERR_UNKNOWN_SESSION);

    /* and the rate rule counted them all: 1 + burst, then refused */
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK_EQ_INT(call(&x, &a, "phone=%2B13101234567&xid=c1"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_RATE_LIMITED);
}


/* --- finalize ------------------------------------------------------------ */

/* a placed missed call for xid; its credential in cred */
static size_t
placed(const char *xid, char *cred)
{
    av_exchange_t  x;
    av_answer_t    a;
    char           s[128];

    snprintf(s, sizeof(s), "phone=%%2B%s&xid=%s", PHONE, xid);
    CHECK_EQ_INT(call(&x, &a, s), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 200, INITIATE_OK), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    memcpy(cred, a.session, a.session_len);

    return a.session_len;
}

static av_next_t
finalize(av_exchange_t *x, av_answer_t *a, const char *cred, size_t n,
    const char *s)
{
    av_params_t  p;

    form(&p, s);

    return av_flow_finalize(x, a, &fc, &store, cred, n, &p, mem.now_ms);
}

static unsigned
left_of(const char *xid)
{
    av_record_t  rec;

    CHECK_EQ_INT(av_store_find(&store, xid, strlen(xid), &rec), AV_OK);

    return av_record_attempts_left(&rec, fc.attempts);
}

static void
finalize_verifies(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    size_t         n;
    char           cred[AV_CRED_MAX];

    setup();
    n = placed("c1", cred);

    CHECK_EQ_INT(finalize(&x, &a, NULL, 0, "code=12345"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_NO_CREDENTIAL);

    /* bad digits cost nothing */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=1234"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INVALID_CODE);
    CHECK_EQ_INT(finalize(&x, &a, cred, n, ""), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INVALID_CODE);
    CHECK(strstr(a.log, "no code") != NULL);
    CHECK_EQ_INT(left_of("c1"), 3);

    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(x.req.call, AV_API_FINALIZE);
    CHECK(strstr(x.req.body, "reference_id=" REF) != NULL);
    CHECK(strstr(x.req.body, "verify_code=12345") != NULL);

    CHECK_EQ_INT(answered(&x, &a, 200, FINALIZE(2401)), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"verified\":true") != NULL);
    CHECK(a.have_rec);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK_EQ_STR(a.log, "finalize for xid \"c1\": code 2401, verified, "
                 "0 attempts left");

    /* decided: said again, without asking */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 200);
    CHECK(strstr(a.body, "\"verified\":true") != NULL);

    /* an SDK session has no missed call to finalize */
    started("s1");
    n = credential("s1", cred, sizeof(cred));
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UNKNOWN_SESSION);
    CHECK(strstr(a.log, "not a missed-call session") != NULL);
}

static void
finalize_wrong_codes(void)
{
    av_exchange_t  x, y;
    av_answer_t    a;
    size_t         n;
    unsigned       i;
    char           cred[AV_CRED_MAX];

    setup();
    n = placed("c1", cred);

    for (i = 0; i < 2; i++) {
        CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=11111"), AV_NEXT_ASK);
        CHECK_EQ_INT(answered(&x, &a, 200, FINALIZE(2402)), AV_NEXT_SEND);
        CHECK_EQ_INT(a.status, 200);
        CHECK(strstr(a.body, "\"verified\":false") != NULL);
        CHECK_EQ_INT(left_of("c1"), 2 - i);
    }

    /* the last attempt is in flight: a parallel code waits its turn */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=11111"), AV_NEXT_ASK);
    CHECK_EQ_INT(finalize(&y, &a, cred, n, "code=22222"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_ATTEMPT_BUSY);
    CHECK_EQ_INT(a.status, 409);

    CHECK_EQ_INT(answered(&x, &a, 200, FINALIZE(2402)), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 403);
    CHECK(strstr(a.body, "\"state\":\"failed\"") != NULL);
    CHECK(strstr(a.body, "\"attempts_left\":0") != NULL);

    CHECK_EQ_INT(finalize(&y, &a, cred, n, "code=12345"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 403);
}

static void
finalize_no_answer(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    size_t         n;
    char           cred[AV_CRED_MAX];

    setup();
    n = placed("c1", cred);

    /* no usable answer: 503 and the attempt given back */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=11111"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 500, ""), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK(strstr(a.log, "telesign POST /v1/verify/auto/voice/finalize")
          != NULL);
    CHECK_EQ_INT(left_of("c1"), 3);

    /* no Telesign to ask: 500, given back too */
    fc.telesign = 0;
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=11111"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INTERNAL);
    CHECK_EQ_INT(left_of("c1"), 3);
    fc.telesign = 1;

    /* the client left with a code in flight: counted, leaving buys none */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=11111"), AV_NEXT_ASK);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK(strstr(a.log, "counted as a wrong code") != NULL);
    CHECK_EQ_INT(left_of("c1"), 2);

    /* ... with a timeout report: given back */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "timeout=1"), AV_NEXT_ASK);
    CHECK_EQ_INT(x.req.call, AV_API_FINALIZE_TIMEOUT);
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK_EQ_INT(left_of("c1"), 2);

    /* and an abandon with nothing held says nothing */
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);
    CHECK_EQ_INT(a.level, AV_LOG_NONE);
}

static void
finalize_decided_before(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    size_t         n;
    char           cred[AV_CRED_MAX];

    setup();
    n = placed("c1", cred);

    /* the answer to an earlier finalize was lost: ask for the outcome */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 400, ALREADY_FINAL), AV_NEXT_ASK);
    CHECK_EQ_INT(x.req.call, AV_API_CALL_STATUS);
    CHECK_EQ_STR(x.req.method, "GET");
    CHECK(strstr(x.req.path, REF) != NULL);

    CHECK_EQ_INT(answered(&x, &a, 200, FINALIZE(2401)), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK(strstr(a.body, "\"verified\":true") != NULL);
    CHECK(strstr(a.log, "(decided before)") != NULL);
    CHECK_EQ_INT(x.held, 0);

    /* the outcome asked for is lost as well: 503, the attempt back */
    setup();
    n = placed("c2", cred);
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 400, ALREADY_FINAL), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 0, NULL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(left_of("c2"), 3);

    /* "decided already" twice is no answer either */
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 400, ALREADY_FINAL), AV_NEXT_ASK);
    CHECK_EQ_INT(answered(&x, &a, 400, ALREADY_FINAL), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_UPSTREAM);
    CHECK_EQ_INT(left_of("c2"), 3);
}

static void
store_failures(void)
{
    av_exchange_t  x;
    av_answer_t    a;
    size_t         n;
    char           cred[AV_CRED_MAX];

    setup();
    n = placed("c1", cred);

    mem.read_fails = 1;
    status(&x, &a, AV_USE_GATE, "c1");
    CHECK_EQ_INT(a.status, 503);
    CHECK_EQ_INT(finalize(&x, &a, cred, n, "code=12345"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 503);
    CHECK_EQ_INT(call(&x, &a, "phone=%2B447700900123"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 503);
    mem.read_fails = 0;

    CHECK_EQ_INT(left_of("c1"), 3);
}

static void
answered_without_question(void)
{
    av_exchange_t  x;
    av_answer_t    a;

    setup();
    memset(&x, 0, sizeof(x));
    CHECK_EQ_INT(answered(&x, &a, 200, "{}"), AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_INTERNAL);
}


int
main(void)
{
    RUN(status_without_lookup);
    RUN(gate_without_lookup);
    RUN(status_on_copy);
    RUN(lookup_verifies);
    RUN(lookup_interval);
    RUN(lookup_fails_closed);
    RUN(lookup_unknown_everywhere);
    RUN(lookup_abandoned);
    RUN(call_placed);
    RUN(call_refused);
    RUN(finalize_verifies);
    RUN(finalize_wrong_codes);
    RUN(finalize_no_answer);
    RUN(finalize_decided_before);
    RUN(store_failures);
    RUN(answered_without_question);

    return UNIT_DONE();
}
