/*
 * test_status.c: every Telesign status code maps to the state the gate
 * needs (telesign-protocol.md sections 4 and 5, the SDK seed's tables).
 */

#include "unit.h"
#include "av_status.h"


typedef struct {
    int          code;
    av_state_t   state;
    const char  *description;
} expect_t;


static const expect_t  sdk_codes[] = {
    { 1800, AV_STATE_VERIFIED, "Success" },
    { 1803, AV_STATE_FAILED,   "Failed" },
    { 1805, AV_STATE_FAILED,   "Not supported" },
    { 1806, AV_STATE_FAILED,   "Invalid phone" },
    { 1807, AV_STATE_FAILED,   "Caller ID unknown" },
    { 1808, AV_STATE_FAILED,   "Timeout" },
    { 1829, AV_STATE_BLOCKED,  "Blocked by customer" },
    { 1830, AV_STATE_BLOCKED,  "Blocked by Telesign" },
    { 1890, AV_STATE_PENDING,  "Pending" },
};


static const expect_t  api_codes[] = {
    { 2400, AV_STATE_PENDING,  "Pending" },
    { 2401, AV_STATE_VERIFIED, "Success" },
    { 2402, AV_STATE_FAILED,   "Failure" },
    { 2403, AV_STATE_FAILED,   "Not attempted" },
    { 2404, AV_STATE_FAILED,   "Invalid phone number" },
    { 2405, AV_STATE_FAILED,   "Not supported" },
    { 2407, AV_STATE_FAILED,   "Caller ID prefix did not match" },
    { 2408, AV_STATE_FAILED,   "Unsupported phone type" },
    { 2409, AV_STATE_FAILED,   "Call not received" },
    { 2410, AV_STATE_PENDING,  "Please retry" },
    { 2411, AV_STATE_FAILED,   "Call failed" },
    { 2429, AV_STATE_BLOCKED,  "Blocked by customer" },
    { 2430, AV_STATE_BLOCKED,  "Blocked by Telesign" },
};


static void
test_sdk_18xx_codes_map_to_their_state(void)
{
    size_t  i;

    for (i = 0; i < sizeof(sdk_codes) / sizeof(sdk_codes[0]); i++) {
        CHECK_EQ_INT(av_status_state(sdk_codes[i].code), sdk_codes[i].state);
        CHECK_EQ_STR(av_status_description(sdk_codes[i].code),
                     sdk_codes[i].description);
    }
}


static void
test_api_24xx_codes_map_to_their_state(void)
{
    size_t  i;

    for (i = 0; i < sizeof(api_codes) / sizeof(api_codes[0]); i++) {
        CHECK_EQ_INT(av_status_state(api_codes[i].code), api_codes[i].state);
        CHECK_EQ_STR(av_status_description(api_codes[i].code),
                     api_codes[i].description);
    }
}


static void
test_please_retry_keeps_the_transaction_open(void)
{
    /* 2410: the user may finalize again, so it must not be terminal */
    CHECK_EQ_INT(av_status_state(2410), AV_STATE_PENDING);
    CHECK(!av_state_is_terminal(av_status_state(2410)));
}


static void
test_unlisted_codes_are_unknown_never_verified(void)
{
    static const int  codes[] = {
        0, -1, 1, 300, 500, 1801, 1804, 1891, 2406, 2412, 2428, 2431, 99999
    };
    size_t  i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        CHECK_EQ_INT(av_status_state(codes[i]), AV_STATE_UNKNOWN);
        CHECK_EQ_STR(av_status_description(codes[i]), "Unknown");
    }
}


/* each code belongs to the API that documents it, and only to that one */
static void
test_codes_belong_to_their_api_only(void)
{
    size_t  i;

    static const int  neither[] = {
        0, -1, 1, 300, 500, 501, 1801, 1804, 1891, 2406, 2412, 2428, 2431,
        99999
    };

    for (i = 0; i < sizeof(sdk_codes) / sizeof(sdk_codes[0]); i++) {
        CHECK(av_status_in_api(AV_STATUS_API_SDK, sdk_codes[i].code));
        CHECK(!av_status_in_api(AV_STATUS_API_CALL, sdk_codes[i].code));
    }

    for (i = 0; i < sizeof(api_codes) / sizeof(api_codes[0]); i++) {
        CHECK(av_status_in_api(AV_STATUS_API_CALL, api_codes[i].code));
        CHECK(!av_status_in_api(AV_STATUS_API_SDK, api_codes[i].code));
    }

    for (i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
        CHECK(!av_status_in_api(AV_STATUS_API_SDK, neither[i]));
        CHECK(!av_status_in_api(AV_STATUS_API_CALL, neither[i]));
    }

    /* the two successes, each in its own API */
    CHECK(av_status_in_api(AV_STATUS_API_SDK, AV_CODE_SUCCESS));
    CHECK(!av_status_in_api(AV_STATUS_API_SDK, AV_CODE_AV_SUCCESS));
    CHECK(av_status_in_api(AV_STATUS_API_CALL, AV_CODE_AV_SUCCESS));
    CHECK(!av_status_in_api(AV_STATUS_API_CALL, AV_CODE_SUCCESS));
}


static void
test_named_constants_match_the_table(void)
{
    CHECK_EQ_INT(av_status_state(AV_CODE_PENDING), AV_STATE_PENDING);
    CHECK_EQ_INT(av_status_state(AV_CODE_SUCCESS), AV_STATE_VERIFIED);
    CHECK_EQ_INT(av_status_state(AV_CODE_AV_PENDING), AV_STATE_PENDING);
    CHECK_EQ_INT(av_status_state(AV_CODE_AV_SUCCESS), AV_STATE_VERIFIED);
}


static void
test_state_names(void)
{
    CHECK_EQ_STR(av_state_name(AV_STATE_UNKNOWN), "unknown");
    CHECK_EQ_STR(av_state_name(AV_STATE_PENDING), "pending");
    CHECK_EQ_STR(av_state_name(AV_STATE_VERIFIED), "verified");
    CHECK_EQ_STR(av_state_name(AV_STATE_FAILED), "failed");
    CHECK_EQ_STR(av_state_name(AV_STATE_BLOCKED), "blocked");
    CHECK_EQ_STR(av_state_name((av_state_t) 42), "unknown");
}


static void
test_only_outcomes_are_terminal(void)
{
    CHECK(!av_state_is_terminal(AV_STATE_UNKNOWN));
    CHECK(!av_state_is_terminal(AV_STATE_PENDING));
    CHECK(av_state_is_terminal(AV_STATE_VERIFIED));
    CHECK(av_state_is_terminal(AV_STATE_FAILED));
    CHECK(av_state_is_terminal(AV_STATE_BLOCKED));
}


int
main(void)
{
    RUN(test_sdk_18xx_codes_map_to_their_state);
    RUN(test_api_24xx_codes_map_to_their_state);
    RUN(test_please_retry_keeps_the_transaction_open);
    RUN(test_unlisted_codes_are_unknown_never_verified);
    RUN(test_codes_belong_to_their_api_only);
    RUN(test_named_constants_match_the_table);
    RUN(test_state_names);
    RUN(test_only_outcomes_are_terminal);

    return UNIT_DONE();
}
