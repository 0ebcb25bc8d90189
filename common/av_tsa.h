/*
 * av_tsa.h: Telesign's "TSA" HMAC scheme, both directions.
 *
 * Outbound (our server -> Telesign): the string to sign of
 * telesign-protocol.md section 2.  Inbound (Telesign -> our callback URL):
 * base64(HMAC-SHA256(key, raw body)) from "Authorization: TSA cid:sig" or
 * "X-TS-Authorization: sig", compared in constant time (section 3).
 */
#ifndef AV_TSA_H
#define AV_TSA_H

#include <stddef.h>
#include "av_key.h"
#include "av_error.h"

typedef struct {
    const char  *method;        /* "GET", "POST" */
    const char  *content_type;  /* NULL or "" for none */
    const char  *date;          /* RFC 1123 GMT */
    const char  *nonce;         /* random UUID */
    const char  *body;          /* may be NULL */
    size_t       body_len;
    const char  *path;          /* path only: no host, no query */
    int          x_ts_date;     /* 1: date goes in x-ts-date, Date line empty */
} av_tsa_request_t;

/* Writes base64(HMAC) (44 chars + NUL) into sig. */
void av_tsa_sign(const av_key_t *key, const av_tsa_request_t *req,
    char sig[AV_B64_SHA256_LEN + 1]);

/*
 * Writes "TSA <customer_id>:<sig>" into out.  Returns its length (no NUL
 * counted; NUL written), or 0 if cap is too small.
 */
size_t av_tsa_authorization(const char *customer_id, const char *sig,
    char *out, size_t cap);

/*
 * Checks a callback.  auth is the Authorization header value ("TSA
 * cid:sig"; NULL if absent), xts the X-TS-Authorization value (NULL if
 * absent).  customer_id, when non-NULL, must match the cid in a TSA
 * header.  Returns AV_OK, AV_ERR_NO_SIGNATURE (neither header),
 * or AV_ERR_BAD_SIGNATURE (anything else, including a malformed header).
 * When both headers are present both must verify.
 */
av_err_t av_tsa_verify_callback(const av_key_t *key, const char *customer_id,
    const char *auth, size_t auth_len, const char *xts, size_t xts_len,
    const unsigned char *body, size_t body_len);

/*
 * The same during a key rotation: the signature may be of key (the
 * current API key) or of previous (the one being retired; NULL when
 * none).  Both MACs are computed and both compared in constant time,
 * whichever matches; when both headers are present, both must carry the
 * signature of one and the same key.
 */
av_err_t av_tsa_verify_callback_rotated(const av_key_t *key,
    const av_key_t *previous, const char *customer_id, const char *auth,
    size_t auth_len, const char *xts, size_t xts_len,
    const unsigned char *body, size_t body_len);

/* RFC 1123 date ("Wed, 14 Dec 2016 18:20:12 GMT") for t; out >= 30 bytes. */
size_t av_http_date(long long t, char *out);

#endif /* AV_TSA_H */
