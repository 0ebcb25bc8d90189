/*
 * av_error.c: the one table that turns an av_err_t into an HTTP answer.
 *
 * Both server glues read this table, so nginx and Apache can never answer
 * the same mistake differently.  Reason codes are a public contract; the
 * messages may be reworded but must stay free of '"' and '\' because
 * av_err_json() copies them into JSON unescaped.
 */

#include <stdio.h>

#include "av_error.h"


typedef struct {
    int          status;
    const char  *reason;
    const char  *message;
} av_err_entry_t;


/* indexed by av_err_t: the order must follow the enum */
static const av_err_entry_t  av_err_table[AV_ERR__COUNT] = {

    [AV_OK] = { 200, "ok", "The request succeeded." },

    [AV_ERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed",
        "This method is not allowed here." },
    [AV_ERR_BODY_TOO_LARGE] = { 413, "body_too_large",
        "The request body is too large." },
    [AV_ERR_MALFORMED_BODY] = { 400, "malformed_body",
        "The request could not be parsed." },
    [AV_ERR_MISSING_PHONE] = { 400, "missing_phone",
        "A phone number is required." },
    [AV_ERR_INVALID_PHONE] = { 400, "invalid_phone",
        "The phone number is not valid; use digits with the country code." },
    [AV_ERR_INVALID_COUNTRY] = { 400, "invalid_country_code",
        "The country calling code is not valid." },
    [AV_ERR_INVALID_XID] = { 400, "invalid_xid",
        "The transaction id is not valid." },
    [AV_ERR_INVALID_CODE] = { 400, "invalid_code",
        "The verification code must be exactly five digits." },
    [AV_ERR_DUPLICATE] = { 409, "duplicate_request",
        "A verification for this phone number is already running." },
    [AV_ERR_XID_IN_USE] = { 409, "xid_in_use",
        "This transaction id is already in use." },
    [AV_ERR_COUNTRY_NOT_ALLOWED] = { 403, "country_not_allowed",
        "Verification is not offered for phone numbers of this country." },
    [AV_ERR_RATE_LIMITED] = { 429, "rate_limited",
        "Too many requests; please wait and try again." },

    [AV_ERR_NO_CREDENTIAL] = { 401, "no_credential",
        "No verification credential was presented." },
    [AV_ERR_BAD_CREDENTIAL] = { 401, "bad_credential",
        "The verification credential is not valid." },
    [AV_ERR_EXPIRED_CREDENTIAL] = { 401, "expired_credential",
        "The verification credential has expired." },
    [AV_ERR_UNKNOWN_SESSION] = { 401, "unknown_session",
        "The verification session is not known." },

    [AV_ERR_PENDING] = { 401, "pending",
        "The phone number has not been verified yet." },
    [AV_ERR_FAILED] = { 403, "failed",
        "The phone number verification failed." },
    [AV_ERR_BLOCKED] = { 403, "blocked",
        "This phone number is blocked." },

    [AV_ERR_NO_SIGNATURE] = { 401, "no_signature",
        "The request is not signed." },
    [AV_ERR_BAD_SIGNATURE] = { 401, "bad_signature",
        "The request signature is not valid." },
    [AV_ERR_ALREADY_FINAL] = { 409, "already_finalized",
        "This verification was already completed." },
    [AV_ERR_ATTEMPT_BUSY] = { 409, "attempt_in_progress",
        "Another code for this verification is being checked; "
        "try again in a moment." },

    [AV_ERR_UPSTREAM] = { 503, "upstream_unavailable",
        "The verification service is unavailable; please try again later." },
    [AV_ERR_STORE_FULL] = { 503, "store_full",
        "The server is busy; please try again later." },
    [AV_ERR_STORE_UNAVAILABLE] = { 503, "store_unavailable",
        "The server cannot reach its state store; please try again later." },
    [AV_ERR_INTERNAL] = { 500, "internal_error",
        "An internal error occurred." },
};


/* an out-of-range value is a bug in the caller; answer it as one */
static const av_err_entry_t *
av_err_entry(av_err_t err)
{
    if ((unsigned) err >= AV_ERR__COUNT || av_err_table[err].reason == NULL) {
        return &av_err_table[AV_ERR_INTERNAL];
    }

    return &av_err_table[err];
}


int
av_err_http_status(av_err_t err)
{
    return av_err_entry(err)->status;
}


const char *
av_err_reason(av_err_t err)
{
    return av_err_entry(err)->reason;
}


const char *
av_err_message(av_err_t err)
{
    return av_err_entry(err)->message;
}


size_t
av_err_json(av_err_t err, char *buf, size_t cap)
{
    int                    n;
    const av_err_entry_t  *e;

    if (buf == NULL || cap == 0) {
        return 0;
    }

    e = av_err_entry(err);

    n = snprintf(buf, cap, "{\"error\":\"%s\",\"message\":\"%s\"}\n",
                 e->reason, e->message);

    if (n < 0 || (size_t) n >= cap) {
        buf[0] = '\0';
        return 0;
    }

    return (size_t) n;
}


const char *
av_err_challenge(av_err_t err)
{
    if (av_err_http_status(err) != 401) {
        return NULL;
    }

    return err == AV_ERR_NO_CREDENTIAL
           ? "Bearer realm=\"appverify\""
           : "Bearer realm=\"appverify\", error=\"invalid_token\"";
}
