/*
 * av_jwt.h: the JWT that the App Verify SDK fetches from the edge.
 *
 * Header is exactly {"alg":"HS256","typ":"JWT"}; claims are written in the
 * order iss, iat, exp, xid, phn as compact JSON; HS256 with the decoded
 * API key (telesign-protocol.md section 1).  The caller validates xid and
 * phone first (av_xid_valid, av_phone_*), so nothing here needs escaping;
 * iss is the customer id, validated at config time.
 */
#ifndef AV_JWT_H
#define AV_JWT_H

#include <stddef.h>
#include <stdint.h>
#include "av_key.h"

#define AV_JWT_MAX  512

typedef struct {
    const char  *iss;     size_t iss_len;
    int64_t      iat;
    int64_t      exp;
    const char  *xid;     size_t xid_len;
    const char  *phn;     size_t phn_len;
} av_jwt_claims_t;

/* Writes the compact token into out (no NUL).  Returns its length, or 0
 * when cap is too small or a field is too long. */
size_t av_jwt_mint(const av_key_t *key, const av_jwt_claims_t *claims,
    char *out, size_t cap);

#endif /* AV_JWT_H */
