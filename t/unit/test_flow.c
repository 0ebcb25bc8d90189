/*
 * test_flow.c: the token and callback use cases (av_flow.h), on the store
 * in memory: every answer a glue sends for them, its status, body, cookie
 * and log line, decided here without a server.
 */
#include "unit.h"
#include "flow_conf.h"
#include "av_flow.h"
#include "av_tsa.h"

#include <string.h>

#include "mem_store.h"


static const unsigned  only_us[] = { 1 };

static void
setup(void)
{
    reset();

    flow_conf_reset();
}

static void
token(av_answer_t *a, const char *form, int json)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, form, strlen(form)), AV_OK);
    av_flow_token(a, &fc, &store, &p, "192.0.2.7", json, mem.now_ms);
}

static void
callback(av_answer_t *a, const char *body, int sign)
{
    av_buf_t       part;
    unsigned char  mac[AV_SHA256_LEN];
    char           sig[AV_B64_SHA256_LEN + 1];
    size_t         n;

    part.data = body;
    part.len = strlen(body);
    av_hmac_sha256(&api_key, &part, 1, mac);
    n = av_b64_encode(mac, sizeof(mac), sig);
    sig[n] = '\0';

    if (sign == 2) {
        sig[0] = sig[0] == 'A' ? 'B' : 'A';     /* a forged one */
    }

    av_flow_callback(a, &fc, &store, NULL, 0, sign ? sig : NULL,
                     sign ? n : 0, body, strlen(body), mem.now_ms);
}


/* the SDK's answer: the bare JWT, the session as the cookie */
static void
token_plain(void)
{
    av_answer_t  a;
    char         xid[AV_XID_MAX + 1];
    size_t       xid_len;
    int64_t      exp;

    setup();
    token(&a, "phone=%2B1-310-123-4567&xid=x1", 0);

    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK_EQ_STR(a.type, "text/plain");
    CHECK(strchr(a.body, '.') != NULL && strchr(a.body, '{') == NULL);
    CHECK(a.have_rec);
    CHECK_EQ_STR(a.rec.xid, "x1");
    CHECK_EQ_STR(a.rec.phone, "13101234567");
    CHECK_EQ_INT(a.level, AV_LOG_NONE);

    /* the credential names the xid and runs for the session's life */
    CHECK(a.session_len > 0);
    CHECK_EQ_INT(av_credential_check(&session_key, a.session, a.session_len,
                                     mem.now_ms / 1000, xid, &xid_len, &exp),
                 AV_OK);
    CHECK_EQ_STR(xid, "x1");
    CHECK_EQ_INT(exp, mem.now_ms / 1000 + 86400);

    /* and the verification is stored, pending */
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &a.rec), AV_OK);
}

/* Accept: application/json: both in one object; a new xid when none */
static void
token_json(void)
{
    av_answer_t  a;

    setup();
    token(&a, "country_code=1&phone_number=3101234567", 1);

    CHECK_EQ_INT(a.status, 200);
    CHECK_EQ_STR(a.type, "application/json");
    CHECK(strncmp(a.body, "{\"token\":\"", 10) == 0);
    CHECK(strstr(a.body, "\"expires_in\":300,") != NULL);
    CHECK(strstr(a.body, a.rec.xid) != NULL);
    CHECK_EQ_INT(strlen(a.rec.xid), AV_UUID_LEN);
    CHECK_EQ_INT(a.body_len, strlen(a.body));
}

/* every refusal: its status and reason, no cookie, nothing stored */
static void
token_refusals(void)
{
    av_answer_t  a;

    setup();

    token(&a, "xid=x1", 0);
    CHECK_EQ_INT(a.err, AV_ERR_MISSING_PHONE);
    CHECK_EQ_INT(a.status, 400);
    CHECK(strstr(a.body, "\"error\":\"missing_phone\"") != NULL);
    CHECK_EQ_INT(a.session_len, 0);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK_EQ_STR(a.log, "missing_phone");

    token(&a, "phone=12", 0);
    CHECK_EQ_INT(a.err, AV_ERR_INVALID_PHONE);

    fc.countries = only_us;
    fc.ncountries = 1;
    token(&a, "phone=%2B442071234567", 0);
    CHECK_EQ_INT(a.err, AV_ERR_COUNTRY_NOT_ALLOWED);
    CHECK_EQ_INT(a.status, 403);
    CHECK_EQ_INT(mem_count(&mem), 0);

    token(&a, "phone=13101234567&xid=x1", 0);
    CHECK_EQ_INT(a.err, AV_OK);

    /* the same phone while it runs, and the same xid for another */
    token(&a, "phone=13101234567&xid=x2", 0);
    CHECK_EQ_INT(a.err, AV_ERR_DUPLICATE);
    CHECK_EQ_INT(a.status, 409);
    CHECK_EQ_INT(a.session_len, 0);
    CHECK(strncmp(a.log, "duplicate_request", 17) == 0);

    token(&a, "phone=13105550000&xid=x1", 0);
    CHECK_EQ_INT(a.err, AV_ERR_XID_IN_USE);

    /* a store that keeps conflicting, and a full one */
    mem.conflicts = AV_TXN_TRIES;
    token(&a, "phone=13105550001&xid=x3", 0);
    CHECK_EQ_INT(a.err, AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_INT(a.status, 503);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);

    mem.cap = mem_count(&mem);
    token(&a, "phone=13105550002&xid=x4", 0);
    CHECK_EQ_INT(a.err, AV_ERR_STORE_FULL);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);     /* the glue's alert says it */
}

/* the phone's rate holds: one and a burst of 3, then 429 */
static void
token_rate(void)
{
    av_answer_t  a;
    char         form[64];
    int          i;

    setup();
    fc.start.pending_ms = 0;

    for (i = 0; i < 10; i++) {
        snprintf(form, sizeof(form), "phone=13101234567&xid=r%d", i);
        token(&a, form, 0);

        if (a.err != AV_OK) {
            break;
        }
    }

    CHECK_EQ_INT(i, 4);
    CHECK_EQ_INT(a.err, AV_ERR_RATE_LIMITED);
    CHECK_EQ_INT(a.status, 429);
}

#define CB(code, xid, phone)                                                \
    "{\"status\":{\"code\":" #code ",\"updated_on\":"                       \
    "\"2026-12-02T10:00:00.000000Z\"},\"mobile_verification\":"             \
    "{\"xid\":\"" xid "\",\"phone_number\":\"" phone "\"}}"

/* signed, applied, answered; a repeat answers the same */
static void
callback_applied(void)
{
    av_answer_t  a, b;

    setup();
    token(&a, "phone=13101234567&xid=x1", 0);

    callback(&a, CB(1800, "x1", "13101234567"), 1);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK_EQ_STR(a.type, "application/json");
    CHECK(a.have_rec);
    CHECK_EQ_INT(a.rec.state, AV_STATE_VERIFIED);
    CHECK_EQ_INT(a.session_len, 0);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);
    CHECK_EQ_STR(a.log, "callback for xid \"x1\": code 1800, stored");

    callback(&b, CB(1800, "x1", "13101234567"), 1);
    CHECK_EQ_MEM(b.body, b.body_len, a.body);
    CHECK_EQ_STR(b.log, "callback for xid \"x1\": code 1800, repeated");

    /* a later failure never downgrades the verified */
    callback(&b, CB(3300, "x1", "13101234567"), 1);
    CHECK_EQ_INT(b.rec.state, AV_STATE_VERIFIED);

    /* an xid never seen here is stored: its token may be another node's */
    callback(&a, CB(1800, "elsewhere", "13105550000"), 1);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(av_store_find(&store, "elsewhere", 9, &a.rec), AV_OK);
}

/* nothing unsigned is parsed or stored */
static void
callback_refusals(void)
{
    av_answer_t  a;

    setup();
    token(&a, "phone=13101234567&xid=x1", 0);

    callback(&a, CB(1800, "x1", "13101234567"), 0);
    CHECK_EQ_INT(a.err, AV_ERR_NO_SIGNATURE);
    CHECK_EQ_INT(a.status, 401);
    CHECK_EQ_STR(a.log, "no_signature: callback refused");

    callback(&a, CB(1800, "x1", "13101234567"), 2);
    CHECK_EQ_INT(a.err, AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &a.rec), AV_OK);
    CHECK_EQ_INT(a.rec.state, AV_STATE_PENDING);

    callback(&a, "{\"status\":", 1);
    CHECK_EQ_INT(a.err, AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(a.status, 400);
    CHECK_EQ_INT(a.level, AV_LOG_INFO);

    /* signed but about another phone than the xid's: a warning */
    callback(&a, CB(1800, "x1", "13105550000"), 1);
    CHECK_EQ_INT(a.err, AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(a.level, AV_LOG_WARN);
    CHECK(strstr(a.log, "names another phone") != NULL);
    CHECK(!a.have_rec);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &a.rec), AV_OK);
    CHECK_EQ_INT(a.rec.state, AV_STATE_PENDING);

    /* signature off: the operator's choice, parsed as it comes */
    fc.signature = 0;
    callback(&a, CB(1800, "x1", "13101234567"), 0);
    CHECK_EQ_INT(a.err, AV_OK);

    mem.conflicts = AV_TXN_TRIES;
    callback(&a, CB(1800, "x9", "13101234567"), 0);
    CHECK_EQ_INT(a.err, AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_STR(a.log, "store_unavailable: callback not stored");
}

/* the levels the glues log at: ours at error, the client's at info */
static void
log_levels(void)
{
    CHECK_EQ_INT(av_err_log_level(AV_ERR_INTERNAL), AV_LOG_ERR);
    CHECK_EQ_INT(av_err_log_level(AV_ERR_UPSTREAM), AV_LOG_ERR);
    CHECK_EQ_INT(av_err_log_level(AV_ERR_STORE_UNAVAILABLE), AV_LOG_ERR);
    CHECK_EQ_INT(av_err_log_level(AV_ERR_STORE_FULL), AV_LOG_INFO);
    CHECK_EQ_INT(av_err_log_level(AV_ERR_BAD_CREDENTIAL), AV_LOG_INFO);
}

/* a store out of reach: 503, counted; one request of a second logs why */
static void
unavailable(void)
{
    av_answer_t   a;
    av_metrics_t  m;

    memset(&m, 0, sizeof(m));

    av_answer_unavailable(&a, &m, AV_EP_GATE, "redis: connect refused", 1);
    CHECK_EQ_INT(a.err, AV_ERR_STORE_UNAVAILABLE);
    CHECK_EQ_INT(a.status, 503);
    CHECK(strncmp(a.body, "{\"error\":\"store_unavailable\"", 28) == 0);
    CHECK_EQ_INT(a.level, AV_LOG_ERR);
    CHECK_EQ_STR(a.log, "store_unavailable: redis: connect refused");

    av_answer_unavailable(&a, &m, AV_EP_GATE, "redis: connect refused", 0);
    CHECK_EQ_INT(a.status, 503);
    CHECK_EQ_INT(a.level, AV_LOG_NONE);

    CHECK_EQ_INT((int) m.requests[AV_EP_GATE][AV_ERR_STORE_UNAVAILABLE], 2);

    av_answer_unavailable(&a, NULL, AV_EP_TOKEN, NULL, 0);
    CHECK_EQ_INT(a.status, 503);
}

/* What each endpoint takes, before and after its body is read. */
static void
accepts(void)
{
    /* a token starts a paid verification: GET or POST, never a HEAD probe */
    CHECK_EQ_INT(av_flow_accepts(AV_EP_TOKEN, AV_METHOD_GET, -1, 16), AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_TOKEN, AV_METHOD_POST, 0, 16), AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_TOKEN, AV_METHOD_HEAD, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_TOKEN, AV_METHOD_OTHER, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);

    CHECK_EQ_INT(av_flow_accepts(AV_EP_STATUS, AV_METHOD_GET, -1, 16), AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_STATUS, AV_METHOD_HEAD, -1, 16),
                 AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_STATUS, AV_METHOD_POST, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);

    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_POST, 16, 16),
                 AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_GET, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALL, AV_METHOD_GET, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_FINALIZE, AV_METHOD_HEAD, -1, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);

    /* the method is refused before the length: a GET callback is 405 */
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_GET, 1 << 20, 16),
                 AV_ERR_METHOD_NOT_ALLOWED);

    /* a callback's limit is the operator's, the others' the fields' */
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_POST, 17, 16),
                 AV_ERR_BODY_TOO_LARGE);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALL, AV_METHOD_POST,
                                 AV_PARAMS_BODY_MAX, 16), AV_OK);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_CALL, AV_METHOD_POST,
                                 AV_PARAMS_BODY_MAX + 1, 1 << 20),
                 AV_ERR_BODY_TOO_LARGE);
    CHECK_EQ_INT(av_flow_accepts(AV_EP_STATUS, AV_METHOD_GET,
                                 AV_PARAMS_BODY_MAX + 1, 1 << 20),
                 AV_ERR_BODY_TOO_LARGE);
    CHECK_EQ_INT((int) av_flow_body_max(AV_EP_CALLBACK, 512), 512);
    CHECK_EQ_INT((int) av_flow_body_max(AV_EP_TOKEN, 512), AV_PARAMS_BODY_MAX);

    /* the gate takes what its location's handler takes */
    CHECK_EQ_INT(av_flow_accepts(AV_EP_GATE, AV_METHOD_OTHER, 1 << 20, 16),
                 AV_OK);
}


int
main(void)
{
    RUN(token_plain);
    RUN(token_json);
    RUN(token_refusals);
    RUN(token_rate);
    RUN(callback_applied);
    RUN(callback_refusals);
    RUN(log_levels);
    RUN(accepts);
    RUN(unavailable);
    return UNIT_DONE();
}
