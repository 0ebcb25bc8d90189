/*
 * av_error.h: every way a request can go wrong, as values.
 *
 * Both server glues turn an av_err_t into the same HTTP answer: the status
 * from av_err_http_status(), Content-Type application/json and the body
 * that av_err_json() writes.  The reason codes are a stable, documented
 * contract (README "Reason codes"); never rename one.
 */
#ifndef AV_ERROR_H
#define AV_ERROR_H

#include <stddef.h>

typedef enum {
    AV_OK = 0,

    /* the client's request */
    AV_ERR_METHOD_NOT_ALLOWED,  /* 405 method_not_allowed */
    AV_ERR_BODY_TOO_LARGE,      /* 413 body_too_large */
    AV_ERR_MALFORMED_BODY,      /* 400 malformed_body */
    AV_ERR_MISSING_PHONE,       /* 400 missing_phone */
    AV_ERR_INVALID_PHONE,       /* 400 invalid_phone */
    AV_ERR_INVALID_COUNTRY,     /* 400 invalid_country_code */
    AV_ERR_INVALID_XID,         /* 400 invalid_xid */
    AV_ERR_INVALID_CODE,        /* 400 invalid_code */
    AV_ERR_DUPLICATE,           /* 409 duplicate_request */
    AV_ERR_XID_IN_USE,          /* 409 xid_in_use */
    AV_ERR_RATE_LIMITED,        /* 429 rate_limited */
    AV_ERR_COUNTRY_NOT_ALLOWED, /* 403 country_not_allowed */

    /* the session credential */
    AV_ERR_NO_CREDENTIAL,       /* 401 no_credential */
    AV_ERR_BAD_CREDENTIAL,      /* 401 bad_credential */
    AV_ERR_EXPIRED_CREDENTIAL,  /* 401 expired_credential */
    AV_ERR_UNKNOWN_SESSION,     /* 401 unknown_session */

    /* the verification state behind a valid credential */
    AV_ERR_PENDING,             /* 401 pending */
    AV_ERR_FAILED,              /* 403 failed */
    AV_ERR_BLOCKED,             /* 403 blocked */

    /* Telesign's callback */
    AV_ERR_NO_SIGNATURE,        /* 401 no_signature */
    AV_ERR_BAD_SIGNATURE,       /* 401 bad_signature */
    AV_ERR_ALREADY_FINAL,       /* 409 already_finalized: Telesign says
                                   the missed call was decided already */
    AV_ERR_ATTEMPT_BUSY,        /* 409 attempt_in_progress: every
                                   finalize attempt left is being checked */

    /* our side */
    AV_ERR_UPSTREAM,            /* 503 upstream_unavailable */
    AV_ERR_STORE_FULL,          /* 503 store_full */
    AV_ERR_STORE_UNAVAILABLE,   /* 503 store_unavailable: the store
                                   could not be read or written (a
                                   store is not an empty store) */
    AV_ERR_INTERNAL,            /* 500 internal_error */

    AV_ERR__COUNT
} av_err_t;


/* HTTP status for an error (200 for AV_OK). */
int av_err_http_status(av_err_t err);

/* Stable snake_case reason code, e.g. "invalid_phone". */
const char *av_err_reason(av_err_t err);

/* One-sentence human message, safe to show an end user. */
const char *av_err_message(av_err_t err);

/*
 * Writes {"error":"<reason>","message":"<message>"} plus a newline into
 * buf.  Returns the length written (excluding the NUL), or 0 if cap is too
 * small.  AV_ERR_JSON_MAX always suffices.
 */
#define AV_ERR_JSON_MAX  256

/*
 * The WWW-Authenticate value of a gate's refusal (RFC 6750): a plain
 * challenge without a credential, error="invalid_token" with a bad,
 * expired or unknown one; NULL when the refusal is not a 401.
 */
const char *av_err_challenge(av_err_t err);
size_t av_err_json(av_err_t err, char *buf, size_t cap);

#endif /* AV_ERROR_H */
