/*
 * test_reasons.c: every reason code (av_error.h) comes out of the core,
 * each from the use case that answers it, on the store in memory.  The
 * table below has one way in per code; a code without one fails the run,
 * so a reason no path can produce (a dead entry in the error table, which
 * operators would read about in vain: unknown_xid was one, from before a
 * callback for an xid never seen here was stored) cannot stay.  Each answer carries
 * its code's HTTP status and, for an error, its JSON reason.
 */
#include "unit.h"
#include "flow_conf.h"
#include "av_flow.h"
#include "av_tsa.h"

#include <stdio.h>
#include <string.h>

#include "mem_store.h"

#define PHONE   "13101234567"
#define REF     "0123456789ABCDEF0123456789ABCDEF"

#define CB(code, xid)                                                       \
    "{\"status\":{\"code\":" #code ",\"updated_on\":"                       \
    "\"2026-12-02T10:00:00.000000Z\"},\"mobile_verification\":"             \
    "{\"xid\":\"" xid "\",\"phone_number\":\"" PHONE "\"}}"

#define INITIATE_OK                                                         \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_initiate\"," \
    "\"errors\":[],\"status\":{\"code\":2400,\"description\":\"x\","        \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},\"prefix\":\"4478730\"}"

#define FINALIZE_OK                                                         \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_finalize\"," \
    "\"errors\":[],\"status\":{\"code\":2401,\"description\":\"x\","        \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"}}"

static const unsigned  only_uk[] = { 44 };


static void
token(av_answer_t *a, const char *form)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, form, strlen(form)), AV_OK);
    av_flow_token(a, &fc, &store, &p, "192.0.2.7", 1, mem.now_ms);
}

/* a callback, signed with the API key unless sig is given */
static void
callback(av_answer_t *a, const char *body, const char *sig)
{
    av_buf_t       part;
    unsigned char  mac[AV_SHA256_LEN];
    char           b64[AV_B64_SHA256_LEN + 1];
    size_t         n;

    if (sig == NULL) {
        part.data = body;
        part.len = strlen(body);
        av_hmac_sha256(&api_key, &part, 1, mac);
        n = av_b64_encode(mac, sizeof(mac), b64);
        b64[n] = '\0';
        sig = b64;
    }

    av_flow_callback(a, &fc, &store, NULL, 0, *sig ? sig : NULL, strlen(sig),
                     body, strlen(body), mem.now_ms);
}

/* the gate's or the status endpoint's answer for a credential */
static void
gate(av_answer_t *a, av_use_t use, const char *cred, size_t len)
{
    av_exchange_t  x;

    CHECK_EQ_INT(av_flow_status(&x, a, &fc, &store, use, cred, len,
                                mem.now_ms), AV_NEXT_SEND);
}

static size_t
credential(const char *xid, int64_t exp, char *cred)
{
    return av_credential_issue(&session_key, xid, strlen(xid), exp, cred,
                               AV_CRED_MAX);
}

/* a token for xid, then Telesign's callback with code, then the gate */
static void
gated_after(av_answer_t *a, const char *xid, const char *cb)
{
    char    cred[AV_CRED_MAX];
    size_t  n;

    token(a, "phone=%2B13101234567&xid=z1");
    CHECK_EQ_INT(a->err, AV_OK);
    callback(a, cb, NULL);
    CHECK_EQ_INT(a->err, AV_OK);

    n = credential(xid, mem.now_ms / 1000 + 600, cred);
    gate(a, AV_USE_GATE, cred, n);
}

/* a missed call placed for xid z1; its credential in cred */
static size_t
placed(av_exchange_t *x, av_answer_t *a, char *cred)
{
    av_params_t  p;
    const char  *form = "phone=%2B13101234567&xid=z1";

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, form, strlen(form)), AV_OK);
    CHECK_EQ_INT(av_flow_call(x, a, &fc, &store, &p, "192.0.2.7",
                              mem.now_ms), AV_NEXT_ASK);
    CHECK_EQ_INT(av_flow_answered(x, a, &fc, &store, 200, INITIATE_OK,
                                  strlen(INITIATE_OK), mem.now_ms),
                 AV_NEXT_SEND);
    CHECK_EQ_INT(a->err, AV_OK);
    memcpy(cred, a->session, a->session_len);

    return a->session_len;
}

static av_next_t
finalize(av_exchange_t *x, av_answer_t *a, const char *cred, size_t n,
    const char *form)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, form, strlen(form)), AV_OK);

    return av_flow_finalize(x, a, &fc, &store, cred, n, &p, mem.now_ms);
}


/* --- one way to each code ------------------------------------------------ */

static void
reach_ok(av_answer_t *a)
{
    token(a, "phone=%2B13101234567");
}

/* the glue's first question, before a body is read */
static void
reach_method_not_allowed(av_answer_t *a)
{
    av_answer_error(a, av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_GET, -1,
                                       16384), NULL);
}

static void
reach_body_too_large(av_answer_t *a)
{
    av_answer_error(a, av_flow_accepts(AV_EP_CALLBACK, AV_METHOD_POST,
                                       16385, 16384), NULL);
}

static void
reach_malformed_body(av_answer_t *a)
{
    callback(a, "{\"status\":", NULL);
}

static void
reach_missing_phone(av_answer_t *a)
{
    token(a, "xid=z1");
}

static void
reach_invalid_phone(av_answer_t *a)
{
    token(a, "phone=12");
}

static void
reach_invalid_country(av_answer_t *a)
{
    token(a, "country_code=999&phone_number=3101234567");
}

static void
reach_invalid_xid(av_answer_t *a)
{
    callback(a, CB(1800, "no spaces"), NULL);
}

static void
reach_invalid_code(av_answer_t *a)
{
    av_exchange_t  x;
    char           cred[AV_CRED_MAX];
    size_t         n;

    fc.telesign = 1;
    n = placed(&x, a, cred);
    CHECK_EQ_INT(finalize(&x, a, cred, n, "code=12"), AV_NEXT_SEND);
}

static void
reach_duplicate(av_answer_t *a)
{
    token(a, "phone=%2B13101234567");
    token(a, "phone=%2B13101234567");
}

static void
reach_xid_in_use(av_answer_t *a)
{
    token(a, "phone=%2B13101234567&xid=z1");
    token(a, "phone=%2B13101234568&xid=z1");
}

static void
reach_rate_limited(av_answer_t *a)
{
    fc.start.pending_ms = 0;
    fc.start.phone.rate = 1;
    fc.start.phone.burst = 0;
    token(a, "phone=%2B13101234567");
    token(a, "phone=%2B13101234567");
}

static void
reach_country_not_allowed(av_answer_t *a)
{
    fc.countries = only_uk;
    fc.ncountries = 1;
    token(a, "phone=%2B13101234567");
}

static void
reach_no_credential(av_answer_t *a)
{
    gate(a, AV_USE_GATE, NULL, 0);
}

static void
reach_bad_credential(av_answer_t *a)
{
    gate(a, AV_USE_STATUS, "not.a.credential", 16);
}

static void
reach_expired_credential(av_answer_t *a)
{
    char    cred[AV_CRED_MAX];
    size_t  n;

    token(a, "phone=%2B13101234567&xid=z1");
    n = credential("z1", mem.now_ms / 1000 - 1, cred);
    gate(a, AV_USE_GATE, cred, n);
}

static void
reach_unknown_session(av_answer_t *a)
{
    char    cred[AV_CRED_MAX];
    size_t  n;

    n = credential("never-started", mem.now_ms / 1000 + 600, cred);
    gate(a, AV_USE_STATUS, cred, n);
}

static void
reach_pending(av_answer_t *a)
{
    char    cred[AV_CRED_MAX];
    size_t  n;

    token(a, "phone=%2B13101234567&xid=z1");
    n = credential("z1", mem.now_ms / 1000 + 600, cred);
    gate(a, AV_USE_GATE, cred, n);
}

static void
reach_failed(av_answer_t *a)
{
    gated_after(a, "z1", CB(1803, "z1"));
}

static void
reach_blocked(av_answer_t *a)
{
    gated_after(a, "z1", CB(1829, "z1"));
}

static void
reach_no_signature(av_answer_t *a)
{
    callback(a, CB(1800, "z1"), "");
}

static void
reach_bad_signature(av_answer_t *a)
{
    callback(a, CB(1800, "z1"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

/*
 * Not an answer: the store's verdict on a finalize of a decided call.  The
 * flow then answers the decided state again, 200 or 403 with the record
 * (av_finalize_reply), and a client never reads this reason.
 */
static void
reach_already_final(av_answer_t *a)
{
    av_exchange_t  x;
    av_record_t    rec;
    char           cred[AV_CRED_MAX];
    size_t         n;

    fc.telesign = 1;
    n = placed(&x, a, cred);
    CHECK_EQ_INT(finalize(&x, a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(av_flow_answered(&x, a, &fc, &store, 200, FINALIZE_OK,
                                  strlen(FINALIZE_OK), mem.now_ms),
                 AV_NEXT_SEND);
    CHECK(strstr(a->body, "\"verified\":true") != NULL);

    av_answer_init(a);
    av_answer_error(a, av_store_finalize_begin(&store, "z1", 3, &rec),
                    NULL);
}

static void
reach_attempt_busy(av_answer_t *a)
{
    av_exchange_t  x, y;
    char           cred[AV_CRED_MAX];
    size_t         n;

    fc.telesign = 1;
    fc.attempts = 1;
    n = placed(&x, a, cred);
    CHECK_EQ_INT(finalize(&x, a, cred, n, "code=12345"), AV_NEXT_ASK);
    CHECK_EQ_INT(finalize(&y, a, cred, n, "code=54321"), AV_NEXT_SEND);
}

static void
reach_upstream(av_answer_t *a)
{
    av_exchange_t  x;
    av_params_t    p;

    fc.telesign = 1;
    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "phone=%2B13101234567", 20), AV_OK);
    CHECK_EQ_INT(av_flow_call(&x, a, &fc, &store, &p, "192.0.2.7",
                              mem.now_ms), AV_NEXT_ASK);
    CHECK_EQ_INT(av_flow_answered(&x, a, &fc, &store, 500, "oops", 4,
                                  mem.now_ms), AV_NEXT_SEND);
}

static void
reach_store_full(av_answer_t *a)
{
    mem.cap = 0;
    token(a, "phone=%2B13101234567");
}

/* another node wins every compare-and-set, AV_TXN_TRIES times */
static void
reach_store_unavailable(av_answer_t *a)
{
    mem.conflicts = AV_TXN_TRIES + 1;
    token(a, "phone=%2B13101234567");
}

static void
reach_internal(av_answer_t *a)
{
    av_exchange_t  x;
    av_params_t    p;

    fc.telesign = 0;            /* a call with no Telesign to ask */
    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "phone=%2B13101234567", 20), AV_OK);
    CHECK_EQ_INT(av_flow_call(&x, a, &fc, &store, &p, "192.0.2.7",
                              mem.now_ms), AV_NEXT_SEND);
}


static void (*const reach[AV_ERR__COUNT])(av_answer_t *a) = {
    [AV_OK]                      = reach_ok,
    [AV_ERR_METHOD_NOT_ALLOWED]  = reach_method_not_allowed,
    [AV_ERR_BODY_TOO_LARGE]      = reach_body_too_large,
    [AV_ERR_MALFORMED_BODY]      = reach_malformed_body,
    [AV_ERR_MISSING_PHONE]       = reach_missing_phone,
    [AV_ERR_INVALID_PHONE]       = reach_invalid_phone,
    [AV_ERR_INVALID_COUNTRY]     = reach_invalid_country,
    [AV_ERR_INVALID_XID]         = reach_invalid_xid,
    [AV_ERR_INVALID_CODE]        = reach_invalid_code,
    [AV_ERR_DUPLICATE]           = reach_duplicate,
    [AV_ERR_XID_IN_USE]          = reach_xid_in_use,
    [AV_ERR_RATE_LIMITED]        = reach_rate_limited,
    [AV_ERR_COUNTRY_NOT_ALLOWED] = reach_country_not_allowed,
    [AV_ERR_NO_CREDENTIAL]       = reach_no_credential,
    [AV_ERR_BAD_CREDENTIAL]      = reach_bad_credential,
    [AV_ERR_EXPIRED_CREDENTIAL]  = reach_expired_credential,
    [AV_ERR_UNKNOWN_SESSION]     = reach_unknown_session,
    [AV_ERR_PENDING]             = reach_pending,
    [AV_ERR_FAILED]              = reach_failed,
    [AV_ERR_BLOCKED]             = reach_blocked,
    [AV_ERR_NO_SIGNATURE]        = reach_no_signature,
    [AV_ERR_BAD_SIGNATURE]       = reach_bad_signature,
    [AV_ERR_ALREADY_FINAL]       = reach_already_final,
    [AV_ERR_ATTEMPT_BUSY]        = reach_attempt_busy,
    [AV_ERR_UPSTREAM]            = reach_upstream,
    [AV_ERR_STORE_FULL]          = reach_store_full,
    [AV_ERR_STORE_UNAVAILABLE]   = reach_store_unavailable,
    [AV_ERR_INTERNAL]            = reach_internal,
};


static void
every_reason_reachable(void)
{
    int          err;
    char         want[64];
    av_answer_t  a;

    for (err = 0; err < AV_ERR__COUNT; err++) {

        if (reach[err] == NULL) {
            CHECK_EQ_STR(av_err_reason((av_err_t) err), "a way to reach it");
            continue;
        }

        reset();
        flow_conf_reset();
        av_answer_init(&a);

        reach[err](&a);

        CHECK_EQ_STR(av_err_reason(a.err), av_err_reason((av_err_t) err));
        CHECK_EQ_INT(a.status, av_err_http_status((av_err_t) err));

        if (err != AV_OK) {
            snprintf(want, sizeof(want), "{\"error\":\"%s\"",
                     av_err_reason((av_err_t) err));
            CHECK(strncmp(a.body, want, strlen(want)) == 0);
        }
    }
}


int
main(void)
{
    RUN(every_reason_reachable);

    return UNIT_DONE();
}
