/*
 * av_jwt.c: minting the HS256 token the App Verify SDK hands to Telesign.
 *
 * Written by hand rather than with libjwt or yajl_gen: the token is one
 * fixed header and five claims in a fixed order, and telesign-protocol.md
 * section 1 pins its exact bytes, which a JSON library is free to reorder
 * or reformat.  Minting is on the request path, so it costs one snprintf,
 * two base64url passes and one HMAC, all in the caller's buffer.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "av_jwt.h"


/* base64url of {"alg":"HS256","typ":"JWT"}, the only header the SDK takes */
#define AV_JWT_HEADER      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define AV_JWT_HEADER_LEN  (sizeof(AV_JWT_HEADER) - 1)

/* what fits: header '.' claims '.' signature in AV_JWT_MAX */
#define AV_JWT_CLAIMS_MAX                                                     \
    ((AV_JWT_MAX - AV_JWT_HEADER_LEN - 2 - av_b64url_len(AV_SHA256_LEN))     \
     / 4 * 3)

#define AV_JWT_FIELD_MAX   128


/*
 * A string claim is written without escaping, so refuse what would need
 * it.  Callers validate xid and phone already; this is the backstop that
 * keeps a forgotten check from becoming claim injection.
 */
static int
av_jwt_field_ok(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (s == NULL || len == 0 || len > AV_JWT_FIELD_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
            return 0;
        }
    }

    return 1;
}


size_t
av_jwt_mint(const av_key_t *key, const av_jwt_claims_t *claims,
    char *out, size_t cap)
{
    int             n;
    char            json[AV_JWT_CLAIMS_MAX + 1];
    char           *p;
    size_t          len, signed_len;
    av_buf_t        part;
    unsigned char   mac[AV_SHA256_LEN];

    if (!av_jwt_field_ok(claims->iss, claims->iss_len)
        || !av_jwt_field_ok(claims->phn, claims->phn_len))
    {
        return 0;
    }

    /* xid is optional: a token for "GET /v1/token/<phone>" carries none */
    if (claims->xid != NULL && claims->xid_len != 0) {
        if (!av_jwt_field_ok(claims->xid, claims->xid_len)) {
            return 0;
        }

        n = snprintf(json, sizeof(json),
                     "{\"iss\":\"%.*s\",\"iat\":%" PRId64
                     ",\"exp\":%" PRId64 ",\"xid\":\"%.*s\""
                     ",\"phn\":\"%.*s\"}",
                     (int) claims->iss_len, claims->iss,
                     claims->iat, claims->exp,
                     (int) claims->xid_len, claims->xid,
                     (int) claims->phn_len, claims->phn);

    } else {
        n = snprintf(json, sizeof(json),
                     "{\"iss\":\"%.*s\",\"iat\":%" PRId64
                     ",\"exp\":%" PRId64 ",\"phn\":\"%.*s\"}",
                     (int) claims->iss_len, claims->iss,
                     claims->iat, claims->exp,
                     (int) claims->phn_len, claims->phn);
    }

    if (n < 0 || (size_t) n >= sizeof(json)) {
        return 0;
    }

    len = AV_JWT_HEADER_LEN + 1 + av_b64url_len((size_t) n) + 1
          + av_b64url_len(AV_SHA256_LEN);

    if (len > cap) {
        return 0;
    }

    p = out;

    memcpy(p, AV_JWT_HEADER, AV_JWT_HEADER_LEN);
    p += AV_JWT_HEADER_LEN;
    *p++ = '.';
    p += av_b64url_encode((const unsigned char *) json, (size_t) n, p);

    signed_len = (size_t) (p - out);

    part.data = out;
    part.len = signed_len;
    av_hmac_sha256(key, &part, 1, mac);

    *p++ = '.';
    p += av_b64url_encode(mac, AV_SHA256_LEN, p);

    return (size_t) (p - out);
}
