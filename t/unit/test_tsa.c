/*
 * test_tsa.c: TSA request signing, callback verification, HTTP dates
 * (telesign-protocol.md sections 2 and 3).
 */

#include "unit.h"
#include "av_tsa.h"


#define TEST_KEY    "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYld" \
                    "PJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw=="
#define TEST_CID    "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"
#define TEST_DATE   "Wed, 14 Dec 2016 18:20:12 GMT"
#define TEST_NONCE  "A1592C6F-E384-4CDB-BC42-C3AB970369E9"
#define FORM        "application/x-www-form-urlencoded"

#define CB_BODY1    "{'test': 123}"
#define CB_SIG1     "B97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744="
#define CB_BODY2                                                            \
    "{\"status\":{\"code\":1800,\"description\":\"Verification successful\"," \
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"                      \
    "\"mobile_verification\":{\"xid\":\"abc123\","                          \
    "\"phone_number\":\"15555551234\"}}"
#define CB_SIG2     "GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU="


static void
key_of(av_key_t *key, const char *text)
{
    CHECK_EQ_INT(av_key_decode(key, text, strlen(text)), 0);
}


static void
request(av_tsa_request_t *r, const char *method, const char *ct,
    const char *body, const char *path)
{
    r->method = method;
    r->content_type = ct;
    r->date = TEST_DATE;
    r->nonce = TEST_NONCE;
    r->body = body;
    r->body_len = body ? strlen(body) : 0;
    r->path = path;
    r->x_ts_date = 0;
}


static void
check_sign(const char *keytext, const av_tsa_request_t *r, const char *want)
{
    av_key_t  key;
    char      sig[AV_B64_SHA256_LEN + 1];

    key_of(&key, keytext);
    memset(sig, '#', sizeof(sig));
    av_tsa_sign(&key, r, sig);
    CHECK(sig[AV_B64_SHA256_LEN] == '\0');
    sig[AV_B64_SHA256_LEN] = '\0';
    CHECK_EQ_STR(sig, want);
}


/* section 2: all seven rows */
static void
sign_reproduces_the_seven_telesign_vectors(void)
{
    av_tsa_request_t  r;

    request(&r, "POST", FORM, "test=param", "/v1/resource");
    check_sign(TEST_KEY, &r, "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=");

    request(&r, "POST", FORM, "test=%CF%BF", "/v1/resource");
    check_sign(TEST_KEY, &r, "h8d4I0RTxErbxYXuzCOtNqb/f0w3Ck8e5SEkGNj01+8=");

    request(&r, "GET", NULL, NULL, "/v1/resource");
    check_sign(TEST_KEY, &r, "aUm7I+9GKl3ww7PNeeJntCT0iS7b+EmRKEE4LnRzChQ=");

    request(&r, "GET", NULL, NULL, "/v1/mobile/verification/status/abc123");
    check_sign(TEST_KEY, &r, "yCtnCUdyS0Y4EHO+q7MEgBvy9AsZeXfE/yY4MJm3xCY=");

    r.x_ts_date = 1;
    check_sign(TEST_KEY, &r, "/uu/RhT0HvRCxkQwrb6oEK5dkjYys0ct6i9W/qOeHaM=");

    request(&r, "POST", "application/json", "{\"key\":\"value\"}",
            "/v1/resource");
    check_sign("yourApiKey", &r,
               "q5n15bclH8MY7OmbZnuVxwb9uivpmafJAlLcFnN/U8A=");

    request(&r, "POST", FORM, "test=param", "/v1/resource");
    check_sign("VGVzdCBLZXk=", &r,
               "vXw/XzywdhgfEG2/zWLaFp7oXmjLB8iJDMndvDbZMjk=");
}


/* the body line needs both a content type and a non-empty body */
static void
sign_body_line_only_with_type_and_body(void)
{
    av_tsa_request_t  r;

    /* a body without a content type is not signed: same as the GET row */
    request(&r, "GET", NULL, "ignored=1", "/v1/resource");
    check_sign(TEST_KEY, &r, "aUm7I+9GKl3ww7PNeeJntCT0iS7b+EmRKEE4LnRzChQ=");
    request(&r, "GET", "", "ignored=1", "/v1/resource");
    check_sign(TEST_KEY, &r, "aUm7I+9GKl3ww7PNeeJntCT0iS7b+EmRKEE4LnRzChQ=");

    /* "" and NULL content types are the same empty line */
    request(&r, "GET", "", NULL, "/v1/resource");
    check_sign(TEST_KEY, &r, "aUm7I+9GKl3ww7PNeeJntCT0iS7b+EmRKEE4LnRzChQ=");
}


static void
sign_empty_body_with_type_has_no_body_line(void)
{
    av_key_t          key;
    av_tsa_request_t  r;
    char              a[AV_B64_SHA256_LEN + 1], b[AV_B64_SHA256_LEN + 1];
    char              c[AV_B64_SHA256_LEN + 1];

    key_of(&key, TEST_KEY);

    request(&r, "POST", FORM, NULL, "/v1/resource");
    av_tsa_sign(&key, &r, a);
    request(&r, "POST", FORM, "", "/v1/resource");
    av_tsa_sign(&key, &r, b);
    CHECK_EQ_STR(a, b);

    /* and an empty body line would have changed it */
    request(&r, "POST", FORM, "x", "/v1/resource");
    av_tsa_sign(&key, &r, c);
    CHECK(strcmp(a, c) != 0);
}


static void
authorization_header(void)
{
    char    out[128];
    size_t  want;

    want = strlen("TSA " TEST_CID ":"
                  "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=");

    CHECK_EQ_INT(av_tsa_authorization(TEST_CID,
                     "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=",
                     out, sizeof(out)), want);
    CHECK_EQ_STR(out, "TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:"
                      "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=");

    /* room for the NUL is required */
    CHECK_EQ_INT(av_tsa_authorization(TEST_CID,
                     "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=",
                     out, want + 1), want);
    CHECK_EQ_INT(av_tsa_authorization(TEST_CID,
                     "2xVlmbrxLjYrrPun3G3WMNG6Jon4yKcTeOoK9DjXJ/Q=",
                     out, want), 0);
}


static av_err_t
verify(const char *cid, const char *auth, const char *xts, const char *body)
{
    av_key_t  key;

    key_of(&key, TEST_KEY);

    return av_tsa_verify_callback(&key, cid,
                                  auth, auth ? strlen(auth) : 0,
                                  xts, xts ? strlen(xts) : 0,
                                  (const unsigned char *) body, strlen(body));
}


/* section 3: the signature is base64(HMAC(key, raw body)), nothing else */
static void
callback_signature_vectors(void)
{
    av_key_t       key;
    av_buf_t       part;
    unsigned char  mac[AV_SHA256_LEN];
    char           sig[AV_B64_SHA256_LEN];

    key_of(&key, TEST_KEY);

    part.data = CB_BODY1;
    part.len = strlen(CB_BODY1);
    av_hmac_sha256(&key, &part, 1, mac);
    CHECK_EQ_MEM(sig, av_b64_encode(mac, sizeof(mac), sig), CB_SIG1);

    part.data = CB_BODY2;
    part.len = strlen(CB_BODY2);
    av_hmac_sha256(&key, &part, 1, mac);
    CHECK_EQ_MEM(sig, av_b64_encode(mac, sizeof(mac), sig), CB_SIG2);
}


/* section 3: both body vectors, through both headers */
static void
callback_vectors_verify(void)
{
    CHECK_EQ_INT(verify(TEST_CID, NULL, CB_SIG1, CB_BODY1), AV_OK);
    CHECK_EQ_INT(verify(TEST_CID, NULL, CB_SIG2, CB_BODY2), AV_OK);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_OK);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":" CB_SIG2, CB_SIG2,
                        CB_BODY2), AV_OK);

    /* no customer id configured: any cid, the signature still counts */
    CHECK_EQ_INT(verify(NULL, "TSA someone-else:" CB_SIG1, NULL, CB_BODY1),
                 AV_OK);
    CHECK_EQ_INT(verify(NULL, "TSA someone-else:" CB_SIG2, NULL, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);

    /* a UUID's hex digits in the other case are the same customer */
    CHECK_EQ_INT(verify(TEST_CID, "TSA ffffffff-eeee-dddd-1234-ab1234567890:"
                        CB_SIG1, NULL, CB_BODY1), AV_OK);

    /* the signature is the body's: another body fails */
    CHECK_EQ_INT(verify(TEST_CID, NULL, CB_SIG1, CB_BODY2),
                 AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, NULL, CB_SIG1, "{'test': 124}"),
                 AV_ERR_BAD_SIGNATURE);
}


static void
callback_headers_are_parsed_strictly(void)
{
    CHECK_EQ_INT(verify(TEST_CID, NULL, NULL, CB_BODY1), AV_ERR_NO_SIGNATURE);

    /* present but empty is not absent */
    CHECK_EQ_INT(verify(TEST_CID, "", NULL, CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, NULL, "", CB_BODY1), AV_ERR_BAD_SIGNATURE);

    /* wrong scheme, wrong case, no or two spaces */
    CHECK_EQ_INT(verify(TEST_CID, "Basic " TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "tsa " TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA" TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA  " TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(NULL, "TSA  " TEST_CID ":" CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);

    /* wrong customer id, empty one, none, extra ':' */
    CHECK_EQ_INT(verify(TEST_CID, "TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567891:"
                        CB_SIG1, NULL, CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA FFFFFFFF-EEEE-DDDD-1234-AB123456789:"
                        CB_SIG1, NULL, CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(NULL, "TSA :" CB_SIG1, NULL, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(NULL, "TSA " CB_SIG1, NULL, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(NULL, "TSA a:b:" CB_SIG1, NULL, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);

    /* short, long and altered signatures */
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":"
                        "B97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744",
                        NULL, CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":" CB_SIG1 "=", NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":"
                        "C97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744=",
                        NULL, CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, NULL,
                        "B97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744",
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, NULL, CB_SIG1 "=", CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, NULL, "TSA " TEST_CID ":" CB_SIG1,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);

    /* white space around a header value is not part of it */
    CHECK_EQ_INT(verify(TEST_CID, NULL, " \t" CB_SIG1 "\t ", CB_BODY1),
                 AV_OK);
    CHECK_EQ_INT(verify(TEST_CID, " TSA " TEST_CID ":" CB_SIG1 " ", NULL,
                        CB_BODY1), AV_OK);
    /* ... but inside it is */
    CHECK_EQ_INT(verify(TEST_CID, NULL,
                        "B97g3N9lPdVaptvifxRau7bzV AC5hhRBZ6HKXABN744=",
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ": " CB_SIG1, NULL,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
}


static void
callback_both_headers_must_verify(void)
{
    static const char  bad[] = "C97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744=";

    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":" CB_SIG1, CB_SIG1,
                        CB_BODY1), AV_OK);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":" CB_SIG1, bad,
                        CB_BODY1), AV_ERR_BAD_SIGNATURE);
    CHECK_EQ_INT(verify(TEST_CID, "TSA " TEST_CID ":C97g3N9lPdVaptvifxRau7bzV"
                        "AC5hhRBZ6HKXABN744=", CB_SIG1, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
    /* a right signature does not cover for a wrong customer */
    CHECK_EQ_INT(verify(TEST_CID, "TSA other:" CB_SIG1, CB_SIG1, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
    /* a malformed second header is not ignored */
    CHECK_EQ_INT(verify(TEST_CID, "Bearer x", CB_SIG1, CB_BODY1),
                 AV_ERR_BAD_SIGNATURE);
}


static void
callback_with_another_key_fails(void)
{
    av_key_t  key;

    key_of(&key, "VGVzdCBLZXk=");
    CHECK_EQ_INT(av_tsa_verify_callback(&key, NULL, NULL, 0,
                     CB_SIG1, strlen(CB_SIG1),
                     (const unsigned char *) CB_BODY1, strlen(CB_BODY1)),
                 AV_ERR_BAD_SIGNATURE);
}


static void
http_date_is_rfc1123(void)
{
    char  out[30];

    CHECK_EQ_INT(av_http_date(1481739612, out), 29);
    CHECK_EQ_STR(out, TEST_DATE);
    CHECK_EQ_INT(av_http_date(0, out), 29);
    CHECK_EQ_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_EQ_INT(av_http_date(1700000000, out), 29);
    CHECK_EQ_STR(out, "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK_EQ_INT(av_http_date(253402300799LL, out), 29);
    CHECK_EQ_STR(out, "Fri, 31 Dec 9999 23:59:59 GMT");

    /* past year 9999 the form no longer fits in 29 characters */
    CHECK_EQ_INT(av_http_date(253402300800LL, out), 0);
    CHECK_EQ_STR(out, "");
}


int
main(void)
{
    RUN(sign_reproduces_the_seven_telesign_vectors);
    RUN(sign_body_line_only_with_type_and_body);
    RUN(sign_empty_body_with_type_has_no_body_line);
    RUN(authorization_header);
    RUN(callback_signature_vectors);
    RUN(callback_vectors_verify);
    RUN(callback_headers_are_parsed_strictly);
    RUN(callback_both_headers_must_verify);
    RUN(callback_with_another_key_fails);
    RUN(http_date_is_rfc1123);

    return UNIT_DONE();
}
