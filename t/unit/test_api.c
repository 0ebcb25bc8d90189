/*
 * test_api.c: the edge's own requests to Telesign (paths, form bodies,
 * TSA signing; telesign-protocol.md sections 2, 4 and 5) and how their
 * answers are classified (only a well-formed answer with a status code
 * may change state).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "av_api.h"
#include "av_tsa.h"


#define TEST_KEY    "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYld" \
                    "PJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw=="
#define TEST_CID    "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"
#define TEST_DATE   "Wed, 14 Dec 2016 18:20:12 GMT"
#define TEST_NOW    1481739612LL        /* TEST_DATE */
#define TEST_NONCE  "A1592C6F-E384-4CDB-BC42-C3AB970369E9"
#define FORM        "application/x-www-form-urlencoded"

#define REF         "0123456789ABCDEF0123456789ABCDEF"
#define XID64       "0123456789012345678901234567890123456789012345678901234567890123"

#define STATUS_VECTOR_SIG  "yCtnCUdyS0Y4EHO+q7MEgBvy9AsZeXfE/yY4MJm3xCY="


static void
key_of(av_key_t *key)
{
    CHECK_EQ_INT(av_key_decode(key, TEST_KEY, strlen(TEST_KEY)), 0);
}


/*
 * The string to sign of section 2, written out by hand here rather than
 * through av_tsa_sign(), so that these tests check the request and not
 * the signer against itself.
 */
static void
hand_sign(const av_key_t *key, const av_api_request_t *req, const char *date,
    const char *nonce, char sig[AV_B64_SHA256_LEN + 1])
{
    char           s[1024];
    size_t         n;
    av_buf_t       part;
    unsigned char  mac[AV_SHA256_LEN];

    if (req->body_len != 0) {
        n = (size_t) snprintf(s, sizeof(s),
                "%s\n%s\n%s\nx-ts-auth-method:HMAC-SHA256\nx-ts-nonce:%s\n"
                "%s\n%s", req->method, req->content_type, date, nonce,
                req->body, req->path);
    } else {
        n = (size_t) snprintf(s, sizeof(s),
                "%s\n%s\n%s\nx-ts-auth-method:HMAC-SHA256\nx-ts-nonce:%s\n"
                "%s", req->method, req->content_type, date, nonce,
                req->path);
    }

    part.data = s;
    part.len = n;
    av_hmac_sha256(key, &part, 1, mac);
    sig[av_b64_encode(mac, AV_SHA256_LEN, sig)] = '\0';
}


/* memmem() is a GNU extension; this is all the test needs of it */
static int
contains(const void *hay, size_t len, const char *needle)
{
    size_t  i, n;

    n = strlen(needle);

    for (i = 0; i + n <= len; i++) {
        if (memcmp((const char *) hay + i, needle, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* A request as it stands after a builder refused: nothing to send. */
static int
is_empty(const av_api_request_t *req)
{
    return req->method == NULL && req->content_type == NULL
           && req->path[0] == '\0' && req->body[0] == '\0'
           && req->body_len == 0;
}


/* --- requests ------------------------------------------------------------ */


static void
get_status_signs_the_protocol_vector(void)
{
    char              sig[AV_B64_SHA256_LEN + 1];
    av_key_t          key;
    av_tsa_request_t  tsa;
    av_api_request_t  req;

    key_of(&key);

    CHECK_EQ_INT(av_api_get_status(&req, "abc123"), AV_OK);
    CHECK_EQ_INT(req.call, AV_API_GET_STATUS);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_STR(req.content_type, "");
    CHECK_EQ_STR(req.path, "/v1/mobile/verification/status/abc123");
    CHECK_EQ_STR(req.body, "");
    CHECK_EQ_INT(req.body_len, 0);

    /* "GET /v1/mobile/verification/status/abc123" of section 2, by hand */
    hand_sign(&key, &req, TEST_DATE, TEST_NONCE, sig);
    CHECK_EQ_STR(sig, STATUS_VECTOR_SIG);

    /* and through the signer, with the request's own fields after
     * av_api_sign() and the vector's date and nonce put in */
    CHECK_EQ_INT(av_api_sign(&req, &key, TEST_CID, TEST_NOW), AV_OK);
    CHECK_EQ_STR(req.date, TEST_DATE);
    memcpy(req.nonce, TEST_NONCE, sizeof(TEST_NONCE));

    tsa.method = req.method;
    tsa.content_type = req.content_type;
    tsa.date = req.date;
    tsa.nonce = req.nonce;
    tsa.body = req.body;
    tsa.body_len = req.body_len;
    tsa.path = req.path;
    tsa.x_ts_date = 0;

    memset(sig, 0, sizeof(sig));
    av_tsa_sign(&key, &tsa, sig);
    CHECK_EQ_STR(sig, STATUS_VECTOR_SIG);
}


static void
sign_writes_a_verifiable_authorization(void)
{
    size_t            i;
    char              sig[AV_B64_SHA256_LEN + 1], want[160];
    char              first_nonce[AV_UUID_LEN + 1];
    av_key_t          key;
    av_api_request_t  req;

    key_of(&key);

    /* GET: empty content type, no body line */
    CHECK_EQ_INT(av_api_get_status(&req, "abc123"), AV_OK);
    CHECK_EQ_INT(av_api_sign(&req, &key, TEST_CID, TEST_NOW), AV_OK);
    CHECK_EQ_STR(req.date, TEST_DATE);
    CHECK_EQ_INT(strlen(req.nonce), AV_UUID_LEN);

    /* an upper-case version-4 UUID, as in Telesign's examples */
    for (i = 0; i < AV_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            CHECK_EQ_INT(req.nonce[i], '-');
        } else {
            CHECK((req.nonce[i] >= '0' && req.nonce[i] <= '9')
                  || (req.nonce[i] >= 'A' && req.nonce[i] <= 'F'));
        }
    }
    CHECK_EQ_INT(req.nonce[14], '4');

    hand_sign(&key, &req, req.date, req.nonce, sig);
    snprintf(want, sizeof(want), "TSA %s:%s", TEST_CID, sig);
    CHECK_EQ_STR(req.authorization, want);

    /* Telesign refuses a nonce it has seen: each signing draws anew */
    memcpy(first_nonce, req.nonce, sizeof(first_nonce));
    CHECK_EQ_INT(av_api_sign(&req, &key, TEST_CID, TEST_NOW), AV_OK);
    CHECK(strcmp(first_nonce, req.nonce) != 0);
    hand_sign(&key, &req, req.date, req.nonce, sig);
    snprintf(want, sizeof(want), "TSA %s:%s", TEST_CID, sig);
    CHECK_EQ_STR(req.authorization, want);

    /* POST: the form content type and the body line are signed */
    CHECK_EQ_INT(av_api_finalize(&req, REF, "12345"), AV_OK);
    CHECK_EQ_INT(av_api_sign(&req, &key, TEST_CID, TEST_NOW + 60), AV_OK);
    CHECK_EQ_STR(req.date, "Wed, 14 Dec 2016 18:21:12 GMT");
    hand_sign(&key, &req, req.date, req.nonce, sig);
    snprintf(want, sizeof(want), "TSA %s:%s", TEST_CID, sig);
    CHECK_EQ_STR(req.authorization, want);

    /* and a signature of the same request without the body differs: the
     * body really is in it */
    req.body_len = 0;
    hand_sign(&key, &req, req.date, req.nonce, sig);
    snprintf(want, sizeof(want), "TSA %s:%s", TEST_CID, sig);
    CHECK(strcmp(req.authorization, want) != 0);
}


static void
sign_refuses_what_it_cannot_write(void)
{
    char              cid[200];
    av_key_t          key;
    av_api_request_t  req;

    key_of(&key);

    /* a time RFC 1123 cannot show */
    CHECK_EQ_INT(av_api_get_status(&req, "abc123"), AV_OK);
    CHECK_EQ_INT(av_api_sign(&req, &key, TEST_CID, 253402300800LL),
                 AV_ERR_INTERNAL);
    CHECK_EQ_STR(req.authorization, "");

    /* a customer id no Authorization buffer holds */
    memset(cid, 'F', sizeof(cid) - 1);
    cid[sizeof(cid) - 1] = '\0';
    CHECK_EQ_INT(av_api_sign(&req, &key, cid, TEST_NOW), AV_ERR_INTERNAL);
    CHECK_EQ_STR(req.authorization, "");
    CHECK_EQ_INT(av_api_sign(&req, &key, NULL, TEST_NOW), AV_ERR_INTERNAL);
}


static void
post_bodies_byte_for_byte(void)
{
    av_api_request_t  req;

    CHECK_EQ_INT(av_api_initiate(&req, "15555551234", 0), AV_OK);
    CHECK_EQ_INT(req.call, AV_API_INITIATE);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.content_type, FORM);
    CHECK_EQ_STR(req.path, "/v1/verify/auto/voice/initiate");
    CHECK_EQ_MEM(req.body, req.body_len, "phone_number=15555551234");
    CHECK_EQ_INT(req.body[req.body_len], '\0');

    CHECK_EQ_INT(av_api_initiate(&req, "447981897555", 60), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len,
                 "phone_number=447981897555&verification_timeout=60");
    CHECK_EQ_INT(av_api_initiate(&req, "447981897555", 1), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len,
                 "phone_number=447981897555&verification_timeout=1");
    CHECK_EQ_INT(av_api_initiate(&req, "447981897555", 300), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len,
                 "phone_number=447981897555&verification_timeout=300");

    CHECK_EQ_INT(av_api_finalize(&req, REF, "01234"), AV_OK);
    CHECK_EQ_INT(req.call, AV_API_FINALIZE);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.content_type, FORM);
    CHECK_EQ_STR(req.path, "/v1/verify/auto/voice/finalize");
    CHECK_EQ_MEM(req.body, req.body_len,
                 "reference_id=" REF "&verify_code=01234");

    CHECK_EQ_INT(av_api_finalize_callerid(&req, REF, "447873012345"), AV_OK);
    CHECK_EQ_INT(req.call, AV_API_FINALIZE_CALLERID);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.content_type, FORM);
    CHECK_EQ_STR(req.path, "/v1/verify/auto/voice/finalize/callerid");
    CHECK_EQ_MEM(req.body, req.body_len,
                 "reference_id=" REF "&unknown_caller_id=447873012345");

    CHECK_EQ_INT(av_api_finalize_timeout(&req, REF), AV_OK);
    CHECK_EQ_INT(req.call, AV_API_FINALIZE_TIMEOUT);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.content_type, FORM);
    CHECK_EQ_STR(req.path, "/v1/verify/auto/voice/finalize/timeout");
    CHECK_EQ_MEM(req.body, req.body_len, "reference_id=" REF);

    /* a builder starts from scratch: nothing of the last request stays */
    CHECK_EQ_INT(av_api_get_status(&req, "x"), AV_OK);
    CHECK_EQ_STR(req.path, "/v1/mobile/verification/status/x");
    CHECK_EQ_INT(req.body_len, 0);
    CHECK_EQ_STR(req.body, "");
}


static void
get_status_validates_the_xid(void)
{
    av_api_request_t  req;

    static const char  *bad[] = {
        "", "a b", "ab\"c", "ab/c", "ab%2Fc", "ab?c", "ab#c", "ab\\c",
        "caf\xc3\xa9", XID64 "4",
        /* dot segments would be resolved by whoever forwards the path */
        ".", ".."
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_get_status(&req, bad[i]), AV_ERR_INVALID_XID);
        CHECK(is_empty(&req));
    }

    CHECK_EQ_INT(av_api_get_status(&req, NULL), AV_ERR_INVALID_XID);

    CHECK_EQ_INT(av_api_get_status(&req, XID64), AV_OK);
    CHECK_EQ_STR(req.path, "/v1/mobile/verification/status/" XID64);
    CHECK_EQ_INT(av_api_get_status(&req, "a.b:c-d_E"), AV_OK);
    CHECK_EQ_STR(req.path, "/v1/mobile/verification/status/a.b:c-d_E");
    CHECK_EQ_INT(av_api_get_status(&req, "..."), AV_OK);
    CHECK_EQ_INT(av_api_get_status(&req, ".a"), AV_OK);
}


static void
initiate_validates_phone_and_timeout(void)
{
    av_api_request_t  req;

    static const char  *bad[] = {
        "", "1234567", "1234567890123456", "+15555551234", "1555555123a",
        "1 5555551234", "1555-555-1234", "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4"
        "\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8"
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_initiate(&req, bad[i], 0), AV_ERR_INVALID_PHONE);
        CHECK(is_empty(&req));
    }

    CHECK_EQ_INT(av_api_initiate(&req, NULL, 0), AV_ERR_INVALID_PHONE);

    /* 8 and 15 digits are the E.164 bounds */
    CHECK_EQ_INT(av_api_initiate(&req, "12345678", 0), AV_OK);
    CHECK_EQ_INT(av_api_initiate(&req, "123456789012345", 0), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len, "phone_number=123456789012345");

    memset(&req, 'x', sizeof(req));
    CHECK_EQ_INT(av_api_initiate(&req, "15555551234", -1),
                 AV_ERR_MALFORMED_BODY);
    CHECK(is_empty(&req));
    CHECK_EQ_INT(av_api_initiate(&req, "15555551234", 301),
                 AV_ERR_MALFORMED_BODY);
    CHECK(is_empty(&req));
    CHECK_EQ_INT(av_api_initiate(&req, "15555551234", INT32_MIN),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(av_api_initiate(&req, "15555551234", INT32_MAX),
                 AV_ERR_MALFORMED_BODY);

    /* the phone is the client's value: its error comes first */
    CHECK_EQ_INT(av_api_initiate(&req, "12ab", 301), AV_ERR_INVALID_PHONE);
}


static void
finalize_validates_code_and_reference(void)
{
    av_api_request_t  req;

    static const char  *bad_code[] = {
        "", "1234", "123456", "12a45", "1234 ", " 1234", "+1234", "-1234"
    };
    static const char  *bad_ref[] = {
        "", REF "0", "0123456789-ABCDEF", "0123 4567", "ABC/DEF", "ABC&x=1",
        "ABC%41"
    };
    size_t  i;

    for (i = 0; i < sizeof(bad_code) / sizeof(bad_code[0]); i++) {
        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_finalize(&req, REF, bad_code[i]),
                     AV_ERR_INVALID_CODE);
        CHECK(is_empty(&req));
    }

    CHECK_EQ_INT(av_api_finalize(&req, REF, NULL), AV_ERR_INVALID_CODE);

    for (i = 0; i < sizeof(bad_ref) / sizeof(bad_ref[0]); i++) {
        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_finalize(&req, bad_ref[i], "12345"),
                     AV_ERR_MALFORMED_BODY);
        CHECK(is_empty(&req));

        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_finalize_callerid(&req, bad_ref[i], "4478"),
                     AV_ERR_MALFORMED_BODY);
        CHECK(is_empty(&req));

        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_finalize_timeout(&req, bad_ref[i]),
                     AV_ERR_MALFORMED_BODY);
        CHECK(is_empty(&req));
    }

    CHECK_EQ_INT(av_api_finalize(&req, NULL, "12345"), AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(av_api_finalize_callerid(&req, NULL, "4478"),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(av_api_finalize_timeout(&req, NULL), AV_ERR_MALFORMED_BODY);

    /* 1 to 32 alphanumerics, either case */
    CHECK_EQ_INT(av_api_finalize(&req, "a", "12345"), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len, "reference_id=a&verify_code=12345");
    CHECK_EQ_INT(av_api_finalize(&req, "b149634764bc0144c833g7280c4403b8",
                                 "99999"), AV_OK);

    /* both wrong: the code is the client's mistake to see */
    CHECK_EQ_INT(av_api_finalize(&req, "", "1"), AV_ERR_INVALID_CODE);
}


static void
finalize_callerid_validates_the_caller_id(void)
{
    av_api_request_t  req;

    static const char  *bad[] = {
        "", "1234567890123456", "+447873012345", "4478 7301", "44787a",
        "44-78"
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&req, 'x', sizeof(req));
        CHECK_EQ_INT(av_api_finalize_callerid(&req, REF, bad[i]),
                     AV_ERR_MALFORMED_BODY);
        CHECK(is_empty(&req));
    }

    CHECK_EQ_INT(av_api_finalize_callerid(&req, REF, NULL),
                 AV_ERR_MALFORMED_BODY);

    CHECK_EQ_INT(av_api_finalize_callerid(&req, REF, "1"), AV_OK);
    CHECK_EQ_MEM(req.body, req.body_len,
                 "reference_id=" REF "&unknown_caller_id=1");
    CHECK_EQ_INT(av_api_finalize_callerid(&req, REF, "123456789012345"),
                 AV_OK);
}


/* --- answers ------------------------------------------------------------- */


#define INITIATE_OK                                                         \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_initiate\"," \
    "\"errors\":[],\"status\":{\"code\":2400,\"description\":\"Pending\","  \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},\"prefix\":\"4478730\"}"

#define STATUS_DOC(code)                                                    \
    "{\"status\":{\"code\":" #code ",\"description\":\"x\","                \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"                      \
    "\"sub_resource\":\"standard\",\"errors\":[],"                          \
    "\"mobile_verification\":{\"phone_number\":\"15555551234\","            \
    "\"xid\":\"abc123\"}}"

#define FINALIZE_DOC(code)                                                  \
    "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_finalize\"," \
    "\"errors\":[],\"status\":{\"code\":" #code ",\"description\":\"x\","   \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"}}"

#define NO_XID                                                              \
    "{\"errors\":[{\"code\":-50059,\"description\":\"xid not found.\"}]}"


static const av_api_answer_t  zero_answer;


/* Classifies body (a C string, or NULL) and checks that a refusal leaves
 * nothing behind and always says why. */
static av_err_t
answer(av_api_call_t call, int http, const char *body, av_api_answer_t *ans)
{
    av_err_t     rc;
    const char  *msg;

    memset(ans, 'x', sizeof(av_api_answer_t));
    msg = NULL;

    rc = av_api_answer(call, http, body, body ? strlen(body) : 0, ans, &msg);

    CHECK(msg != NULL && msg[0] != '\0');

    if (rc == AV_ERR_UPSTREAM) {
        CHECK(memcmp(ans, &zero_answer, sizeof(zero_answer)) == 0);
    }

    return rc;
}


static void
no_answer_and_server_errors_are_upstream(void)
{
    int              i;
    av_api_answer_t  ans;

    static const av_api_call_t  calls[] = {
        AV_API_GET_STATUS, AV_API_INITIATE, AV_API_FINALIZE,
        AV_API_FINALIZE_CALLERID, AV_API_FINALIZE_TIMEOUT
    };

    for (i = 0; i < 5; i++) {
        /* refused, timed out, reset: even a body lying around counts
         * for nothing */
        CHECK_EQ_INT(answer(calls[i], 0, NULL, &ans), AV_ERR_UPSTREAM);
        CHECK_EQ_INT(answer(calls[i], 0, STATUS_DOC(1800), &ans),
                     AV_ERR_UPSTREAM);

        CHECK_EQ_INT(answer(calls[i], 500, "", &ans), AV_ERR_UPSTREAM);
        CHECK_EQ_INT(answer(calls[i], 502, "<html>", &ans), AV_ERR_UPSTREAM);
        CHECK_EQ_INT(answer(calls[i], 503,
                            "{\"errors\":[{\"code\":-90001}]}", &ans),
                     AV_ERR_UPSTREAM);

        /* Telesign "puts the meaning in status.code", but a 5xx is no
         * place to believe a success */
        CHECK_EQ_INT(answer(calls[i], 500, STATUS_DOC(1800), &ans),
                     AV_ERR_UPSTREAM);
        CHECK_EQ_INT(answer(calls[i], 503, FINALIZE_DOC(2401), &ans),
                     AV_ERR_UPSTREAM);

        /* neither informational nor redirects are answers */
        CHECK_EQ_INT(answer(calls[i], 100, STATUS_DOC(1800), &ans),
                     AV_ERR_UPSTREAM);
        CHECK_EQ_INT(answer(calls[i], 302, STATUS_DOC(1800), &ans),
                     AV_ERR_UPSTREAM);
    }
}


static void
refused_signature_and_rate_limit_are_upstream(void)
{
    const char       *msg;
    av_api_answer_t   ans;

    static const char  bad_sig[] =
        "{\"errors\":[{\"code\":-30006,\"description\":\"Invalid Signature.\"}]}";
    static const char  limited[] =
        "{\"errors\":[{\"code\":-40007,\"description\":\"Rate limit\"}]}";

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 401, bad_sig, &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 401, bad_sig, &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 403, "", &ans), AV_ERR_UPSTREAM);

    /* the log must say it was our signature, not the client's */
    msg = NULL;
    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 401, bad_sig,
                               sizeof(bad_sig) - 1, &ans, &msg),
                 AV_ERR_UPSTREAM);
    CHECK(msg != NULL && strstr(msg, "signature") != NULL);
    msg = NULL;
    CHECK_EQ_INT(av_api_answer(AV_API_INITIATE, 403, "", 0, &ans, &msg),
                 AV_ERR_UPSTREAM);
    CHECK(msg != NULL && strstr(msg, "signature") != NULL);

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 429, limited, &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 429, limited, &ans),
                 AV_ERR_UPSTREAM);

    /* even a 401 carrying -50059 is about us, not the xid */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 401, NO_XID, &ans),
                 AV_ERR_UPSTREAM);
}


static void
unknown_xid_is_unknown_session_only_for_get_status(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400, NO_XID, &ans),
                 AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(ans.doc.error_code, -50059);
    CHECK_EQ_INT(ans.doc.code, 0);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 404, NO_XID, &ans),
                 AV_ERR_UNKNOWN_SESSION);

    /* the same error to a finalize means nothing of the kind */
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 400, NO_XID, &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 400, NO_XID, &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE_TIMEOUT, 404, NO_XID, &ans),
                 AV_ERR_UPSTREAM);

    /* other 4xx, or -50059 anywhere but first, or unreadable */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        "{\"errors\":[{\"code\":-10001}]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        "{\"errors\":[{\"code\":-10001},{\"code\":-50059}]}",
                        &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400, "-50059", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400, "", &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 410, NO_XID, &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 405, NO_XID, &ans),
                 AV_ERR_UPSTREAM);

    /* only the 400/404 Telesign documents: a 200 without a status is
     * not an answer */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, NO_XID, &ans),
                 AV_ERR_UPSTREAM);
}


static void
garbage_and_oversize_are_upstream(void)
{
    char             *big;
    size_t            doc_len;
    av_api_answer_t   ans;
    const char       *msg;

    static const char  doc[] = STATUS_DOC(1800);

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, NULL, &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, "", &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, "<html>oops</html>", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, "[1800]", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200, "{\"status\":", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200,
                        "{\"status\":{\"code\":\"2401\"}}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":1800},"
                        "\"status\":{\"code\":1803}}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 204, NULL, &ans), AV_ERR_UPSTREAM);

    /* a good document padded to exactly the limit is read; one byte more
     * and it is refused unread, whatever it says */
    doc_len = sizeof(doc) - 1;
    big = malloc(AV_API_ANSWER_MAX + 1);
    CHECK(big != NULL);
    if (big == NULL) {
        return;
    }

    memcpy(big, doc, doc_len);
    memset(big + doc_len, ' ', AV_API_ANSWER_MAX + 1 - doc_len);

    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 200, big, AV_API_ANSWER_MAX,
                               &ans, &msg), AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1800);

    memset(&ans, 'x', sizeof(ans));
    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 200, big,
                               AV_API_ANSWER_MAX + 1, &ans, &msg),
                 AV_ERR_UPSTREAM);
    CHECK(memcmp(&ans, &zero_answer, sizeof(zero_answer)) == 0);

    /* an oversize -50059 is no more believed than an oversize success */
    memcpy(big, NO_XID, sizeof(NO_XID) - 1);
    memset(big + sizeof(NO_XID) - 1, ' ',
           AV_API_ANSWER_MAX + 1 - (sizeof(NO_XID) - 1));
    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 400, big,
                               AV_API_ANSWER_MAX + 1, &ans, &msg),
                 AV_ERR_UPSTREAM);

    free(big);

    /* msg is optional */
    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 0, NULL, 0, &ans, NULL),
                 AV_ERR_UPSTREAM);
}


static void
answer_without_status_is_upstream(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, "{}", &ans), AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"errors\":[{\"code\":-90001}]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200,
                        "{\"reference_id\":\"" REF "\",\"errors\":"
                        "[{\"code\":-30014}]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE_CALLERID, 200,
                        "{\"status\":{\"description\":\"x\"}}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE_TIMEOUT, 200,
                        "{\"status\":{}}", &ans),
                 AV_ERR_UPSTREAM);

    /* a status inside a 4xx is no answer to store: "already final"
     * (-30014) says to ask for the outcome, a bad phone carries 2404 */
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 400,
                        "{\"errors\":[{\"code\":-30014}],"
                        "\"status\":{\"code\":2401}}", &ans),
                 AV_ERR_ALREADY_FINAL);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 400,
                        "{\"errors\":[{\"code\":-10001}],"
                        "\"status\":{\"code\":2404}}", &ans),
                 AV_ERR_UPSTREAM);
}


static void
initiate_answer_needs_reference_and_prefix(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_INITIATE, 200, INITIATE_OK, &ans), AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2400);
    CHECK_EQ_STR(ans.doc.reference_id, REF);
    CHECK_EQ_STR(ans.prefix, "4478730");
    CHECK_EQ_STR(ans.doc.sub_resource, "auto_verify_initiate");
    CHECK_EQ_INT(ans.doc.updated_on_ms, 1481739612000LL);

    /* no prefix, or one that is not 1..15 digits */
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400}}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},\"prefix\":4478730}",
                        &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},\"prefix\":\"44787a\"}",
                        &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},\"prefix\":\"+4478730\"}",
                        &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},\"prefix\":\"\"}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},"
                        "\"prefix\":\"1234567890123456\"}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},\"prefix\":null}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},"
                        "\"prefix\":\"447\\u00008730\"}", &ans),
                 AV_ERR_UPSTREAM);

    /* 15 digits is the most a prefix can be */
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\","
                        "\"status\":{\"code\":2400},"
                        "\"prefix\":\"123456789012345\"}", &ans),
                 AV_OK);
    CHECK_EQ_STR(ans.prefix, "123456789012345");

    /* no reference id, or an empty one: nothing to finalize */
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"status\":{\"code\":2400},\"prefix\":\"4478730\"}",
                        &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"\",\"status\":{\"code\":2400},"
                        "\"prefix\":\"4478730\"}", &ans),
                 AV_ERR_UPSTREAM);

    /* and no status code */
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\",\"errors\":"
                        "[{\"code\":-40008}],\"prefix\":\"4478730\"}", &ans),
                 AV_ERR_UPSTREAM);
}


static void
initiate_answer_never_keeps_verify_code(void)
{
    size_t           i;
    av_api_answer_t  ans;

    /* verify_code before and after the prefix, and a second copy of it
     * in an unknown member: none of it may land in ans */
    static const char  *bodies[] = {
        "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify_initiate\","
        "\"errors\":[],\"status\":{\"code\":2400,\"description\":\"Pending\","
        "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
        "\"prefix\":\"4478730\",\"verify_code\":\"68213\"}",

        "{\"verify_code\":\"68213\",\"reference_id\":\"" REF "\","
        "\"status\":{\"code\":2400},\"prefix\":\"4478730\","
        "\"additional_info\":{\"code\":\"68213\"}}",
    };

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        CHECK_EQ_INT(answer(AV_API_INITIATE, 200, bodies[i], &ans), AV_OK);
        CHECK_EQ_STR(ans.prefix, "4478730");

        CHECK(!contains(&ans, sizeof(ans), "68213"));
        CHECK(!contains(&ans, sizeof(ans), "6821"));
    }
}


static void
finalize_answers_carry_the_status(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200, FINALIZE_DOC(2401), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2401);
    CHECK_EQ_STR(ans.doc.reference_id, REF);
    CHECK_EQ_STR(ans.prefix, "");

    /* a wrong code is an answer (HTTP 200, status 2402), not an error */
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200, FINALIZE_DOC(2402), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2402);

    CHECK_EQ_INT(answer(AV_API_FINALIZE_TIMEOUT, 200, FINALIZE_DOC(2409),
                        &ans), AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2409);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200, FINALIZE_DOC(2409), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2409);

    CHECK_EQ_INT(answer(AV_API_FINALIZE_CALLERID, 201, FINALIZE_DOC(2407),
                        &ans), AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2407);

    /* a finalize answer needs no prefix */
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200,
                        "{\"status\":{\"code\":2401}}", &ans), AV_OK);
}


/* -30014: the call was decided already (an earlier answer got lost) */
static void
finalize_of_a_decided_call_says_so(void)
{
    av_api_request_t  req;
    av_api_answer_t   ans;

    CHECK_EQ_INT(answer(AV_API_FINALIZE, 400,
                        "{\"errors\":[{\"code\":-30014}]}", &ans),
                 AV_ERR_ALREADY_FINAL);
    CHECK_EQ_INT(answer(AV_API_FINALIZE_TIMEOUT, 400,
                        "{\"errors\":[{\"code\":-30014}]}", &ans),
                 AV_ERR_ALREADY_FINAL);
    /* only for finalize, and only that code */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        "{\"errors\":[{\"code\":-30014}]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 400,
                        "{\"errors\":[{\"code\":-10001}]}", &ans),
                 AV_ERR_UPSTREAM);

    CHECK_EQ_INT(av_api_call_status(&req, REF), AV_OK);
    CHECK_EQ_STR(req.method, "GET");
    CHECK_EQ_STR(req.content_type, "");
    CHECK_EQ_STR(req.path, "/v1/verify/auto/voice/" REF);
    CHECK_EQ_INT(req.body_len, 0);
    CHECK_EQ_INT(av_api_call_status(&req, "not/a/ref"),
                 AV_ERR_MALFORMED_BODY);

    CHECK_EQ_INT(answer(AV_API_CALL_STATUS, 200, FINALIZE_DOC(2401), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2401);
}


static void
get_status_answers_carry_the_status(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, STATUS_DOC(1800), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1800);
    CHECK_EQ_STR(ans.doc.xid, "abc123");
    CHECK_EQ_STR(ans.doc.phone, "15555551234");
    CHECK_EQ_INT(ans.doc.updated_on_ms, 1481739612000LL);
    CHECK_EQ_INT(ans.doc.error_code, 0);

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, STATUS_DOC(1890), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1890);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200, STATUS_DOC(1803), &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1803);

    /* a status with an error beside it is still a status */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":1808},"
                        "\"errors\":[{\"code\":-60001}]}", &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1808);
    CHECK_EQ_INT(ans.doc.error_code, -60001);

    /* a bad xid in the answer is refused, not stored */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":1800},"
                        "\"mobile_verification\":{\"xid\":\"a b\"}}", &ans),
                 AV_ERR_UPSTREAM);
}


/*
 * Telesign's own error answer, byte for byte as its servers write it
 * (key order, spacing): every member is there, and the ones it has no
 * value for are null.  The SDKs hand it to their callers as it is.
 */
#define TS_ERROR(ecode, desc)                                               \
    "{\"errors\": [{\"code\": " #ecode ", \"description\": \"" desc "\"}], " \
    "\"reference_id\": null, \"status\": {\"code\": 500, \"description\": " \
    "\"Transaction not attempted\", \"updated_on\": "                       \
    "\"2016-12-14T18:20:12Z\"}, \"sub_resource\": null}"


/* JSON null is what Telesign writes for a member without a value: the
 * same as the member being absent, never a malformed answer */
static void
telesign_errors_with_null_members_are_read(void)
{
    av_api_answer_t  ans;

    /* the unknown xid: 401 unknown_session, not 503 */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        TS_ERROR(-50059, "xid not found."), &ans),
                 AV_ERR_UNKNOWN_SESSION);
    CHECK_EQ_INT(ans.doc.error_code, -50059);
    CHECK_EQ_STR(ans.doc.reference_id, "");
    CHECK_EQ_STR(ans.doc.sub_resource, "");
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 404,
                        TS_ERROR(-50059, "xid not found."), &ans),
                 AV_ERR_UNKNOWN_SESSION);

    /* the decided call: ask for its outcome, not 503 */
    CHECK_EQ_INT(answer(AV_API_FINALIZE, 400,
                        TS_ERROR(-30014, "Invalid finalize."), &ans),
                 AV_ERR_ALREADY_FINAL);
    CHECK_EQ_INT(answer(AV_API_FINALIZE_CALLERID, 400,
                        TS_ERROR(-30014, "Invalid finalize."), &ans),
                 AV_ERR_ALREADY_FINAL);

    /* the other errors stay what they were */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 401,
                        TS_ERROR(-30006, "Invalid Signature."), &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        TS_ERROR(-10001, "Invalid Request."), &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 400,
                        TS_ERROR(-10001, "Invalid Request."), &ans),
                 AV_ERR_UPSTREAM);

    /* a null stands for nothing: it never fills a member that is needed */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 400,
                        "{\"errors\":[{\"code\":null}]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":null,\"errors\":[]}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":null}}", &ans),
                 AV_ERR_UPSTREAM);
    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":null,\"sub_resource\":null,"
                        "\"status\":{\"code\":2400},\"prefix\":\"4478730\"}",
                        &ans),
                 AV_ERR_UPSTREAM);
}


/* the same nulls in answers that carry a status */
static void
answers_with_null_members_are_read(void)
{
    av_api_answer_t  ans;

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"reference_id\": null, \"sub_resource\": null, "
                        "\"errors\": [], \"status\": {\"code\": 1800, "
                        "\"description\": \"Success\", \"updated_on\": "
                        "\"2016-12-14T18:20:12Z\"}, \"mobile_verification\": "
                        "{\"phone_number\": \"15555551234\", \"xid\": "
                        "\"abc123\"}, \"verify\": null}", &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1800);
    CHECK_EQ_STR(ans.doc.xid, "abc123");
    CHECK_EQ_STR(ans.doc.phone, "15555551234");
    CHECK_EQ_STR(ans.doc.reference_id, "");
    CHECK_EQ_STR(ans.doc.sub_resource, "");
    CHECK_EQ_INT(ans.doc.updated_on_ms, 1481739612000LL);

    /* in status, in mobile_verification, and the containers themselves */
    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":1890,\"description\":null,"
                        "\"updated_on\":null},\"errors\":null,"
                        "\"mobile_verification\":{\"phone_number\":null,"
                        "\"xid\":null},\"xid\":\"abc123\"}", &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 1890);
    CHECK_EQ_STR(ans.doc.description, "");
    CHECK_EQ_INT(ans.doc.updated_on_ms, 0);
    CHECK_EQ_STR(ans.doc.phone, "");
    CHECK_EQ_STR(ans.doc.xid, "abc123");
    CHECK_EQ_INT(ans.doc.error_code, 0);

    CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                        "{\"status\":{\"code\":1803},"
                        "\"mobile_verification\":null}", &ans),
                 AV_OK);
    CHECK_EQ_STR(ans.doc.xid, "");

    CHECK_EQ_INT(answer(AV_API_FINALIZE, 200,
                        "{\"reference_id\":\"" REF "\",\"sub_resource\":null,"
                        "\"errors\":[],\"status\":{\"code\":2401}}", &ans),
                 AV_OK);
    CHECK_EQ_INT(ans.doc.code, 2401);
    CHECK_EQ_STR(ans.doc.reference_id, REF);

    CHECK_EQ_INT(answer(AV_API_INITIATE, 200,
                        "{\"reference_id\":\"" REF "\",\"sub_resource\":null,"
                        "\"errors\":null,\"status\":{\"code\":2400,"
                        "\"description\":null},\"prefix\":\"4478730\","
                        "\"verify_code\":null}", &ans),
                 AV_OK);
    CHECK_EQ_STR(ans.prefix, "4478730");
}


/* the Get Status codes (SDK seed, "Get Status by XID Codes") */
static const int  sdk_codes[] = {
    1800, 1803, 1805, 1806, 1807, 1808, 1829, 1830, 1890
};

/* the missed-call API's codes (telesign-protocol.md section 5) */
static const int  call_codes[] = {
    2400, 2401, 2402, 2403, 2404, 2405, 2407, 2408, 2409, 2410, 2411, 2429,
    2430
};

/* codes no API of ours answers with: neighbours, other products' */
static const int  other_codes[] = {
    1, 300, 301, 500, 501, 599, 1801, 1804, 1809, 1889, 1891, 2399, 2406,
    2412, 2428, 2431, 3800, 99999
};

#define N(a)  (sizeof(a) / sizeof((a)[0]))


static const char *
status_doc(char *buf, size_t cap, int code)
{
    snprintf(buf, cap,
             "{\"status\":{\"code\":%d,\"description\":\"x\","
             "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
             "\"sub_resource\":\"standard\",\"errors\":[],"
             "\"mobile_verification\":{\"phone_number\":\"15555551234\","
             "\"xid\":\"abc123\"}}", code);

    return buf;
}


static const char *
call_doc(char *buf, size_t cap, int code)
{
    snprintf(buf, cap,
             "{\"reference_id\":\"" REF "\",\"sub_resource\":\"auto_verify\","
             "\"errors\":[],\"status\":{\"code\":%d,\"description\":\"x\","
             "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
             "\"prefix\":\"4478730\"}", code);

    return buf;
}


static const av_api_call_t  call_calls[] = {
    AV_API_INITIATE, AV_API_FINALIZE, AV_API_FINALIZE_CALLERID,
    AV_API_FINALIZE_TIMEOUT, AV_API_CALL_STATUS
};


/* Get Status answers with the SDK's codes: a missed-call "Success" (2401)
 * there is no success, and no answer to apply */
static void
get_status_answers_only_with_get_status_codes(void)
{
    char              buf[512];
    size_t            i;
    const char       *msg;
    av_api_answer_t   ans;

    for (i = 0; i < N(sdk_codes); i++) {
        CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                            status_doc(buf, sizeof(buf), sdk_codes[i]), &ans),
                     AV_OK);
        CHECK_EQ_INT(ans.doc.code, sdk_codes[i]);
    }

    for (i = 0; i < N(call_codes); i++) {
        CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                            status_doc(buf, sizeof(buf), call_codes[i]), &ans),
                     AV_ERR_UPSTREAM);
    }

    for (i = 0; i < N(other_codes); i++) {
        CHECK_EQ_INT(answer(AV_API_GET_STATUS, 200,
                            status_doc(buf, sizeof(buf), other_codes[i]),
                            &ans),
                     AV_ERR_UPSTREAM);
    }

    /* the log says why */
    msg = NULL;
    status_doc(buf, sizeof(buf), 2401);
    CHECK_EQ_INT(av_api_answer(AV_API_GET_STATUS, 200, buf, strlen(buf), &ans,
                               &msg), AV_ERR_UPSTREAM);
    CHECK(msg != NULL && strstr(msg, "status code") != NULL);
}


/* and the missed-call API answers with its own: the SDK's "Success"
 * (1800) finalizes nothing */
static void
call_answers_only_with_call_codes(void)
{
    char              buf[512];
    size_t            i, c;
    const char       *msg;
    av_api_answer_t   ans;

    for (c = 0; c < N(call_calls); c++) {

        for (i = 0; i < N(call_codes); i++) {
            CHECK_EQ_INT(answer(call_calls[c], 200,
                                call_doc(buf, sizeof(buf), call_codes[i]),
                                &ans),
                         AV_OK);
            CHECK_EQ_INT(ans.doc.code, call_codes[i]);
        }

        for (i = 0; i < N(sdk_codes); i++) {
            CHECK_EQ_INT(answer(call_calls[c], 200,
                                call_doc(buf, sizeof(buf), sdk_codes[i]),
                                &ans),
                         AV_ERR_UPSTREAM);
        }

        for (i = 0; i < N(other_codes); i++) {
            CHECK_EQ_INT(answer(call_calls[c], 200,
                                call_doc(buf, sizeof(buf), other_codes[i]),
                                &ans),
                         AV_ERR_UPSTREAM);
        }
    }

    /* the case, with the log's reason */
    msg = NULL;
    CHECK_EQ_INT(av_api_answer(AV_API_FINALIZE, 200, FINALIZE_DOC(1800),
                               sizeof(FINALIZE_DOC(1800)) - 1, &ans, &msg),
                 AV_ERR_UPSTREAM);
    CHECK(msg != NULL && strstr(msg, "status code") != NULL);
    CHECK_EQ_INT(ans.doc.code, 0);
}


/* an initiate answer that is not "pending": Telesign would not call */
static void
call_verdict_says_why_telesign_would_not_call(void)
{
    av_api_answer_t  ans;

    memset(&ans, 0, sizeof(ans));

    ans.doc.code = 2400;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_OK);
    ans.doc.code = 2404;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_ERR_INVALID_PHONE);
    ans.doc.code = 2405;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_ERR_FAILED);
    ans.doc.code = 2430;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_ERR_BLOCKED);
    ans.doc.code = 2401;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_ERR_UPSTREAM);
    ans.doc.code = 9999;
    CHECK_EQ_INT(av_api_call_verdict(&ans), AV_ERR_FAILED);
}


/* a Get Status answer applies only to the xid that was asked about */
static void
test_status_for_the_xid_asked(void)
{
    av_api_answer_t  ans;

    memset(&ans, 0, sizeof(ans));
    CHECK_EQ_INT(av_api_status_for(&ans, "asked"), AV_OK);
    CHECK_EQ_STR(ans.doc.xid, "asked");
    CHECK_EQ_INT(av_api_status_for(&ans, "asked"), AV_OK);
    strcpy(ans.doc.xid, "other");
    CHECK_EQ_INT(av_api_status_for(&ans, "asked"), AV_ERR_UPSTREAM);
}

/* what a finalize request may ask, checked before an attempt is taken,
 * and the call each asks for */
static void
test_finalize_params(void)
{
    av_params_t        p;
    av_api_request_t   req;
    const char        *why;
    const char        *ref = "B149634764BC0144C833G7280C4403B8";

    memset(&p, 0, sizeof(p));
    CHECK_EQ_INT(av_finalize_params_check(&p, &why), AV_ERR_INVALID_CODE);
    CHECK_EQ_STR(why, "no code");

    p.has_code = 1;
    strcpy(p.code, "1234");
    p.code_len = 4;
    CHECK_EQ_INT(av_finalize_params_check(&p, &why), AV_ERR_INVALID_CODE);
    CHECK(why == NULL);

    strcpy(p.code, "12345");
    p.code_len = 5;
    CHECK_EQ_INT(av_finalize_params_check(&p, &why), AV_OK);
    CHECK_EQ_INT(av_api_finalize_for(&req, ref, &p), AV_OK);
    CHECK(strstr(req.path, "/v1/verify/auto/voice/finalize") != NULL);
    CHECK(strstr(req.body, "verify_code=12345") != NULL);

    memset(&p, 0, sizeof(p));
    p.has_caller_id = 1;
    strcpy(p.caller_id, "+1 555 000 1111");
    p.caller_id_len = strlen(p.caller_id);
    CHECK_EQ_INT(av_finalize_params_check(&p, &why), AV_OK);
    CHECK_EQ_INT(av_api_finalize_for(&req, ref, &p), AV_OK);
    CHECK(strstr(req.path, "/callerid") != NULL);
    CHECK(strstr(req.body, "15550001111") != NULL);

    strcpy(p.caller_id, "not a number");
    p.caller_id_len = strlen(p.caller_id);
    CHECK(av_api_finalize_for(&req, ref, &p) != AV_OK);

    memset(&p, 0, sizeof(p));
    p.has_timeout = 1;
    CHECK_EQ_INT(av_finalize_params_check(&p, &why), AV_OK);
    CHECK_EQ_INT(av_api_finalize_for(&req, ref, &p), AV_OK);
    CHECK(strstr(req.path, "/timeout") != NULL);
}

int
main(void)
{
    RUN(get_status_signs_the_protocol_vector);
    RUN(sign_writes_a_verifiable_authorization);
    RUN(sign_refuses_what_it_cannot_write);
    RUN(post_bodies_byte_for_byte);
    RUN(get_status_validates_the_xid);
    RUN(initiate_validates_phone_and_timeout);
    RUN(finalize_validates_code_and_reference);
    RUN(finalize_callerid_validates_the_caller_id);
    RUN(no_answer_and_server_errors_are_upstream);
    RUN(refused_signature_and_rate_limit_are_upstream);
    RUN(unknown_xid_is_unknown_session_only_for_get_status);
    RUN(garbage_and_oversize_are_upstream);
    RUN(answer_without_status_is_upstream);
    RUN(initiate_answer_needs_reference_and_prefix);
    RUN(initiate_answer_never_keeps_verify_code);
    RUN(finalize_answers_carry_the_status);
    RUN(finalize_of_a_decided_call_says_so);
    RUN(call_verdict_says_why_telesign_would_not_call);
    RUN(get_status_answers_carry_the_status);
    RUN(telesign_errors_with_null_members_are_read);
    RUN(answers_with_null_members_are_read);
    RUN(get_status_answers_only_with_get_status_codes);
    RUN(call_answers_only_with_call_codes);

    RUN(test_status_for_the_xid_asked);
    RUN(test_finalize_params);
    return UNIT_DONE();
}
