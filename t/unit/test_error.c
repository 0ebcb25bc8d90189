/*
 * test_error.c: the error table is the contract both servers answer with.
 */

#include <string.h>

#include "unit.h"
#include "av_error.h"


typedef struct {
    av_err_t     err;
    int          status;
    const char  *reason;
} expect_t;


/* the documented table (av_error.h comments, README "Reason codes") */
static const expect_t  table[] = {
    { AV_OK,                     200, "ok" },
    { AV_ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
    { AV_ERR_BODY_TOO_LARGE,     413, "body_too_large" },
    { AV_ERR_MALFORMED_BODY,     400, "malformed_body" },
    { AV_ERR_MISSING_PHONE,      400, "missing_phone" },
    { AV_ERR_INVALID_PHONE,      400, "invalid_phone" },
    { AV_ERR_INVALID_COUNTRY,    400, "invalid_country_code" },
    { AV_ERR_INVALID_XID,        400, "invalid_xid" },
    { AV_ERR_INVALID_CODE,       400, "invalid_code" },
    { AV_ERR_DUPLICATE,          409, "duplicate_request" },
    { AV_ERR_XID_IN_USE,         409, "xid_in_use" },
    { AV_ERR_RATE_LIMITED,       429, "rate_limited" },
    { AV_ERR_NO_CREDENTIAL,      401, "no_credential" },
    { AV_ERR_BAD_CREDENTIAL,     401, "bad_credential" },
    { AV_ERR_EXPIRED_CREDENTIAL, 401, "expired_credential" },
    { AV_ERR_UNKNOWN_SESSION,    401, "unknown_session" },
    { AV_ERR_PENDING,            401, "pending" },
    { AV_ERR_FAILED,             403, "failed" },
    { AV_ERR_BLOCKED,            403, "blocked" },
    { AV_ERR_NO_SIGNATURE,       401, "no_signature" },
    { AV_ERR_BAD_SIGNATURE,      401, "bad_signature" },
    { AV_ERR_COUNTRY_NOT_ALLOWED, 403, "country_not_allowed" },
    { AV_ERR_ALREADY_FINAL,      409, "already_finalized" },
    { AV_ERR_ATTEMPT_BUSY,       409, "attempt_in_progress" },
    { AV_ERR_UPSTREAM,           503, "upstream_unavailable" },
    { AV_ERR_STORE_FULL,         503, "store_full" },
    { AV_ERR_STORE_UNAVAILABLE,  503, "store_unavailable" },
    { AV_ERR_INTERNAL,           500, "internal_error" },
};


static void
test_every_error_has_its_documented_status_and_reason(void)
{
    size_t  i;

    /* a new enum value without a row here fails this test */
    CHECK_EQ_INT(sizeof(table) / sizeof(table[0]), AV_ERR__COUNT);

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        CHECK_EQ_INT(av_err_http_status(table[i].err), table[i].status);
        CHECK_EQ_STR(av_err_reason(table[i].err), table[i].reason);
    }
}


static void
test_messages_are_sentences_safe_for_json(void)
{
    int          e;
    const char  *m;

    for (e = 0; e < AV_ERR__COUNT; e++) {
        m = av_err_message((av_err_t) e);
        CHECK(m != NULL && strlen(m) > 3);
        CHECK(strchr(m, '"') == NULL);
        CHECK(strchr(m, '\\') == NULL);
        CHECK(m[strlen(m) - 1] == '.');
    }
}


static void
test_reasons_are_unique_snake_case(void)
{
    int          a, b;
    const char  *r, *p;

    for (a = 0; a < AV_ERR__COUNT; a++) {
        r = av_err_reason((av_err_t) a);

        for (p = r; *p; p++) {
            CHECK((*p >= 'a' && *p <= 'z') || *p == '_');
        }

        for (b = a + 1; b < AV_ERR__COUNT; b++) {
            CHECK(strcmp(r, av_err_reason((av_err_t) b)) != 0);
        }
    }
}


static void
test_json_body_is_exact(void)
{
    char    buf[AV_ERR_JSON_MAX];
    size_t  n;

    n = av_err_json(AV_ERR_INVALID_PHONE, buf, sizeof(buf));
    CHECK_EQ_INT(n, strlen(buf));
    CHECK_EQ_STR(buf, "{\"error\":\"invalid_phone\",\"message\":\"The phone"
                 " number is not valid; use digits with the country code.\"}"
                 "\n");
}


static void
test_json_max_suffices_for_every_error(void)
{
    int     e;
    char    buf[AV_ERR_JSON_MAX];
    size_t  n;

    for (e = 0; e < AV_ERR__COUNT; e++) {
        n = av_err_json((av_err_t) e, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK(strncmp(buf, "{\"error\":\"", 10) == 0);
        CHECK(buf[n - 1] == '\n');
    }
}


static void
test_json_too_small_buffer_gives_zero(void)
{
    char    buf[16];
    size_t  n;

    memset(buf, 'x', sizeof(buf));
    n = av_err_json(AV_ERR_RATE_LIMITED, buf, sizeof(buf));
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(buf[0], '\0');

    CHECK_EQ_INT(av_err_json(AV_ERR_RATE_LIMITED, buf, 0), 0);
}


static void
test_out_of_range_value_is_internal_error(void)
{
    CHECK_EQ_INT(av_err_http_status(AV_ERR__COUNT), 500);
    CHECK_EQ_STR(av_err_reason((av_err_t) 9999), "internal_error");
    CHECK_EQ_STR(av_err_reason((av_err_t) -1), "internal_error");
}


/* the gate's challenge: RFC 6750's, invalid_token once one was sent */
static void
test_challenge(void)
{
    CHECK_EQ_STR(av_err_challenge(AV_ERR_NO_CREDENTIAL),
                 "Bearer realm=\"appverify\"");
    CHECK_EQ_STR(av_err_challenge(AV_ERR_BAD_CREDENTIAL),
                 "Bearer realm=\"appverify\", error=\"invalid_token\"");
    CHECK_EQ_STR(av_err_challenge(AV_ERR_PENDING),
                 "Bearer realm=\"appverify\", error=\"invalid_token\"");
    CHECK(av_err_challenge(AV_ERR_FAILED) == NULL);
    CHECK(av_err_challenge(AV_ERR_UPSTREAM) == NULL);
    CHECK(av_err_challenge(AV_OK) == NULL);
}


int
main(void)
{
    RUN(test_every_error_has_its_documented_status_and_reason);
    RUN(test_messages_are_sentences_safe_for_json);
    RUN(test_reasons_are_unique_snake_case);
    RUN(test_json_body_is_exact);
    RUN(test_json_max_suffices_for_every_error);
    RUN(test_json_too_small_buffer_gives_zero);
    RUN(test_out_of_range_value_is_internal_error);
    RUN(test_challenge);

    return UNIT_DONE();
}
