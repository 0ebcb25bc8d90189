/*
 * test_rotation.c: key rotation (issue 15).  During a rotation the
 * configuration names a current and a previous API key and a current and
 * a previous session secret: Telesign's callbacks signed with either API
 * key verify, credentials signed with either secret pass until they
 * expire, and everything new (JWTs, outbound requests, credentials) is
 * signed with the current ones only.
 */
#include "unit.h"
#include "av_flow.h"
#include "av_tsa.h"

#include <string.h>

#include "mem_store.h"

#define CID      "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"
#define CB_BODY                                                             \
    "{\"status\":{\"code\":1800,\"description\":\"Verification successful\"," \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"                      \
    "\"mobile_verification\":{\"xid\":\"x1\","                              \
    "\"phone_number\":\"13101234567\"}}"
#define PHONE    "13101234567"

static av_key_t        api_cur, api_prev, api_other;
static av_key_t        sess_cur, sess_prev, sess_other;
static av_flow_conf_t  fc;


static void
setup(void)
{
    static const char  s1[] = "0123456789abcdef0123456789abcdef-current";
    static const char  s2[] = "0123456789abcdef0123456789abcdef-previous";
    static const char  s3[] = "0123456789abcdef0123456789abcdef-unknown";

    reset();

    CHECK(av_key_decode(&api_cur, "Q3VycmVudCBBUEkga2V5IDAx", 24) == 0);
    CHECK(av_key_decode(&api_prev, "UHJldmlvdXMgQVBJIGtleSAw", 24) == 0);
    CHECK(av_key_decode(&api_other, "VW5rbm93biBBUEkga2V5IDAw", 24) == 0);
    CHECK(av_key_from_bytes(&sess_cur, (const unsigned char *) s1,
                            sizeof(s1) - 1) == 0);
    CHECK(av_key_from_bytes(&sess_prev, (const unsigned char *) s2,
                            sizeof(s2) - 1) == 0);
    CHECK(av_key_from_bytes(&sess_other, (const unsigned char *) s3,
                            sizeof(s3) - 1) == 0);

    memset(&fc, 0, sizeof(fc));
    fc.api_key = &api_cur;
    fc.api_key_previous = &api_prev;
    fc.customer_id = CID;
    fc.session_key = &sess_cur;
    fc.session_key_previous = &sess_prev;
    fc.token_lifetime = 300;
    fc.session_lifetime = 86400;
    fc.start.phone.rate = 100;
    fc.start.phone.burst = 3;
    fc.start.pending_ms = 60000;
    fc.signature = 1;
    fc.telesign = 1;
    fc.lookup = 0;
    fc.call_timeout_ms = 5000;
    fc.attempts = 3;
}


/* base64(HMAC(key, body)): what Telesign sends for a callback */
static void
cb_sig(const av_key_t *key, const char *body, char sig[AV_B64_SHA256_LEN + 1])
{
    av_buf_t       part;
    unsigned char  mac[AV_SHA256_LEN];

    part.data = body;
    part.len = strlen(body);
    av_hmac_sha256(key, &part, 1, mac);
    sig[av_b64_encode(mac, sizeof(mac), sig)] = '\0';
}


static av_err_t
verify_xts(const av_key_t *cur, const av_key_t *prev, const av_key_t *signer)
{
    char  sig[AV_B64_SHA256_LEN + 1];

    cb_sig(signer, CB_BODY, sig);

    return av_tsa_verify_callback_rotated(cur, prev, CID, NULL, 0, sig,
                                          strlen(sig),
                                          (const unsigned char *) CB_BODY,
                                          strlen(CB_BODY));
}


static av_err_t
verify_both(const av_key_t *auth_signer, const av_key_t *xts_signer)
{
    char  a[AV_B64_SHA256_LEN + 1], x[AV_B64_SHA256_LEN + 1], hdr[128];

    cb_sig(auth_signer, CB_BODY, a);
    cb_sig(xts_signer, CB_BODY, x);
    CHECK(av_tsa_authorization(CID, a, hdr, sizeof(hdr)) > 0);

    return av_tsa_verify_callback_rotated(&api_cur, &api_prev, CID, hdr,
                                          strlen(hdr), x, strlen(x),
                                          (const unsigned char *) CB_BODY,
                                          strlen(CB_BODY));
}


/* the core's callback check: current or previous, nothing else */
static void
tsa_rotated(void)
{
    setup();

    CHECK_EQ_INT(verify_xts(&api_cur, &api_prev, &api_cur), AV_OK);
    CHECK_EQ_INT(verify_xts(&api_cur, &api_prev, &api_prev), AV_OK);
    CHECK_EQ_INT(verify_xts(&api_cur, &api_prev, &api_other),
                 AV_ERR_BAD_SIGNATURE);

    /* without a previous key, only the current one */
    CHECK_EQ_INT(verify_xts(&api_cur, NULL, &api_cur), AV_OK);
    CHECK_EQ_INT(verify_xts(&api_cur, NULL, &api_prev), AV_ERR_BAD_SIGNATURE);

    /* the single-key check is the rotated one without a previous key */
    {
        char  sig[AV_B64_SHA256_LEN + 1];

        cb_sig(&api_prev, CB_BODY, sig);
        CHECK_EQ_INT(av_tsa_verify_callback(&api_cur, CID, NULL, 0, sig,
                                            strlen(sig),
                                            (const unsigned char *) CB_BODY,
                                            strlen(CB_BODY)),
                     AV_ERR_BAD_SIGNATURE);
        CHECK_EQ_INT(av_tsa_verify_callback(&api_prev, CID, NULL, 0, sig,
                                            strlen(sig),
                                            (const unsigned char *) CB_BODY,
                                            strlen(CB_BODY)),
                     AV_OK);
    }

    /* both headers: both of one key, either key; a mix is refused */
    CHECK_EQ_INT(verify_both(&api_cur, &api_cur), AV_OK);
    CHECK_EQ_INT(verify_both(&api_prev, &api_prev), AV_OK);
    CHECK_EQ_INT(verify_both(&api_cur, &api_prev), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify_both(&api_prev, &api_other), AV_ERR_BAD_SIGNATURE);

    /* unsigned is still unsigned */
    CHECK_EQ_INT(av_tsa_verify_callback_rotated(&api_cur, &api_prev, CID,
                                                NULL, 0, NULL, 0,
                                                (const unsigned char *)
                                                CB_BODY, strlen(CB_BODY)),
                 AV_ERR_NO_SIGNATURE);
}


static size_t
issue(const av_key_t *secret, const char *xid, int64_t exp, char *out)
{
    return av_credential_issue(secret, xid, strlen(xid), exp, out,
                               AV_CRED_MAX);
}


/* the core's credential check: current or previous until it expires */
static void
credential_rotated(void)
{
    char     cred[AV_CRED_MAX], xid[AV_XID_MAX + 1];
    size_t   n, xid_len;
    int64_t  now, exp;

    setup();
    now = 1700000000;

    n = issue(&sess_cur, "x1", now + 60, cred);
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, &sess_prev, cred, n,
                                             now, xid, &xid_len, &exp),
                 AV_OK);
    CHECK_EQ_STR(xid, "x1");

    n = issue(&sess_prev, "x2", now + 60, cred);
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, &sess_prev, cred, n,
                                             now, xid, &xid_len, &exp),
                 AV_OK);
    CHECK_EQ_STR(xid, "x2");
    CHECK_EQ_INT(exp, now + 60);

    /* once previous is dropped, it is refused */
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, NULL, cred, n, now,
                                             xid, &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(av_credential_check(&sess_cur, cred, n, now, xid, &xid_len,
                                     &exp),
                 AV_ERR_BAD_CREDENTIAL);

    /* the previous secret's credential expires as any other */
    n = issue(&sess_prev, "x3", now, cred);
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, &sess_prev, cred, n,
                                             now, xid, &xid_len, &exp),
                 AV_ERR_EXPIRED_CREDENTIAL);

    /* signed with neither */
    n = issue(&sess_other, "x4", now + 60, cred);
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, &sess_prev, cred, n,
                                             now, xid, &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);

    /* tampered: the previous secret does not make a forged exp pass */
    n = issue(&sess_prev, "x5", now + 60, cred);
    cred[3] = cred[3] == '9' ? '8' : '9';
    CHECK_EQ_INT(av_credential_check_rotated(&sess_cur, &sess_prev, cred, n,
                                             now, xid, &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);
}


/* the flow's callback: signed with the previous key, applied */
static void
flow_callback(void)
{
    av_answer_t  a;
    av_record_t  rec;
    const char  *why;
    char         sig[AV_B64_SHA256_LEN + 1];

    setup();

    av_record_init(&rec, "x1", 2, PHONE, strlen(PHONE), AV_FLOW_SDK,
                   mem.now_ms);
    CHECK_EQ_INT(av_store_start(&store, &rec, &fc.start, "192.0.2.7", &why),
                 AV_OK);

    cb_sig(&api_other, CB_BODY, sig);
    av_flow_callback(&a, &fc, &store, NULL, 0, sig, strlen(sig), CB_BODY,
                     strlen(CB_BODY), mem.now_ms);
    CHECK_EQ_INT(a.err, AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(a.status, 401);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec), AV_OK);
    CHECK(rec.code != 1800);

    cb_sig(&api_prev, CB_BODY, sig);
    av_flow_callback(&a, &fc, &store, NULL, 0, sig, strlen(sig), CB_BODY,
                     strlen(CB_BODY), mem.now_ms);
    CHECK_EQ_INT(a.err, AV_OK);
    CHECK_EQ_INT(a.status, 200);
    CHECK_EQ_INT(av_store_find(&store, "x1", 2, &rec), AV_OK);
    CHECK_EQ_INT(rec.code, 1800);

    /* once the previous key is dropped, the same callback is refused */
    fc.api_key_previous = NULL;
    av_flow_callback(&a, &fc, &store, NULL, 0, sig, strlen(sig), CB_BODY,
                     strlen(CB_BODY), mem.now_ms);
    CHECK_EQ_INT(a.err, AV_ERR_BAD_SIGNATURE);
}


/* 1 when the JWT's HS256 signature is key's */
static int
jwt_signed_by(const av_key_t *key, const char *jwt, size_t len)
{
    const char     *dot;
    av_buf_t        part;
    unsigned char   mac[AV_SHA256_LEN];
    char            sig[av_b64url_len(AV_SHA256_LEN) + 1];
    size_t          n;

    dot = memchr(jwt, '.', len);
    dot = dot ? memchr(dot + 1, '.', len - (size_t) (dot + 1 - jwt)) : NULL;
    if (dot == NULL) {
        return 0;
    }

    part.data = jwt;
    part.len = (size_t) (dot - jwt);
    av_hmac_sha256(key, &part, 1, mac);
    n = av_b64url_encode(mac, sizeof(mac), sig);

    return n == len - (size_t) (dot + 1 - jwt)
           && memcmp(sig, dot + 1, n) == 0;
}


/* a token: the JWT and the credential with the current keys only */
static void
flow_token_current_only(void)
{
    av_answer_t  a;
    av_params_t  p;
    char         xid[AV_XID_MAX + 1];
    size_t       xid_len;
    int64_t      exp;

    static const char  form[] = "phone=%2B1-310-123-4567&xid=x1";

    setup();

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, form, strlen(form)), AV_OK);
    av_flow_token(&a, &fc, &store, &p, "192.0.2.7", 0, mem.now_ms);

    CHECK_EQ_INT(a.err, AV_OK);
    CHECK(jwt_signed_by(&api_cur, a.body, a.body_len));
    CHECK(!jwt_signed_by(&api_prev, a.body, a.body_len));

    CHECK(a.session_len > 0);
    CHECK_EQ_INT(av_credential_check(&sess_cur, a.session, a.session_len,
                                     mem.now_ms / 1000, xid, &xid_len, &exp),
                 AV_OK);
    CHECK_EQ_INT(av_credential_check(&sess_prev, a.session, a.session_len,
                                     mem.now_ms / 1000, xid, &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);
}


/* 1 when the outbound request's TSA signature is key's */
static int
request_signed_by(const av_key_t *key, const av_api_request_t *req)
{
    const char        *colon;
    av_tsa_request_t   tsa;
    char               sig[AV_B64_SHA256_LEN + 1];

    tsa.method = req->method;
    tsa.content_type = req->content_type;
    tsa.date = req->date;
    tsa.nonce = req->nonce;
    tsa.body = req->body;
    tsa.body_len = req->body_len;
    tsa.path = req->path;
    tsa.x_ts_date = 0;
    av_tsa_sign(key, &tsa, sig);

    colon = strrchr(req->authorization, ':');

    return colon != NULL && strcmp(colon + 1, sig) == 0;
}


/*
 * The gate and status with a credential of the previous secret: it
 * passes; Get Status is asked with the current API key only; one of an
 * unknown secret is 401 bad_credential.
 */
static void
flow_status_rotated(void)
{
    av_answer_t    a;
    av_exchange_t  x;
    av_record_t    rec;
    av_next_t      next;
    const char    *why;
    char           cred[AV_CRED_MAX];
    size_t         n;

    setup();

    av_record_init(&rec, "x1", 2, PHONE, strlen(PHONE), AV_FLOW_SDK,
                   mem.now_ms);
    CHECK_EQ_INT(av_store_start(&store, &rec, &fc.start, "192.0.2.7", &why),
                 AV_OK);

    /* pending, so with lookup on the core asks Telesign */
    fc.lookup = 1;
    n = issue(&sess_prev, "x1", mem.now_ms / 1000 + 600, cred);
    next = av_flow_status(&x, &a, &fc, &store, AV_USE_STATUS, cred, n,
                          mem.now_ms);
    CHECK_EQ_INT(next, AV_NEXT_ASK);
    CHECK(request_signed_by(&api_cur, &x.req));
    CHECK(!request_signed_by(&api_prev, &x.req));
    av_flow_abandon(&x, &a, &fc, &store, mem.now_ms);

    /* without lookup: the record's JSON for the previous secret's */
    fc.lookup = 0;
    next = av_flow_status(&x, &a, &fc, &store, AV_USE_STATUS, cred, n,
                          mem.now_ms);
    CHECK_EQ_INT(next, AV_NEXT_SEND);
    CHECK_EQ_INT(a.status, 200);
    CHECK_EQ_STR(x.xid, "x1");

    n = issue(&sess_other, "x1", mem.now_ms / 1000 + 600, cred);
    next = av_flow_status(&x, &a, &fc, &store, AV_USE_GATE, cred, n,
                          mem.now_ms);
    CHECK_EQ_INT(next, AV_NEXT_SEND);
    CHECK_EQ_INT(a.err, AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(a.status, 401);

    /* an expired one of the previous secret is refused too */
    n = issue(&sess_prev, "x1", mem.now_ms / 1000, cred);
    next = av_flow_status(&x, &a, &fc, &store, AV_USE_GATE, cred, n,
                          mem.now_ms);
    CHECK_EQ_INT(a.err, AV_ERR_EXPIRED_CREDENTIAL);
    CHECK_EQ_INT(a.status, 401);
}


int
main(void)
{
    RUN(tsa_rotated);
    RUN(credential_rotated);
    RUN(flow_callback);
    RUN(flow_token_current_only);
    RUN(flow_status_rotated);

    return UNIT_DONE();
}
