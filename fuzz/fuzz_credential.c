/*
 * fuzz_credential.c: the session credential, as it arrives in a request:
 * av_credential_from_bearer (the Authorization value),
 * av_credential_from_cookie (the Cookie value, name "appverify") and
 * av_credential_check on whatever they find and on the raw input.
 *
 * Invariants: a credential found is a non-empty slice of the input;
 * check answers only AV_OK, bad or expired, and AV_OK/expired give the
 * valid xid that prefixes the credential; nothing is accepted that the
 * secret did not sign (a forger has no way to guess 128 bits, so any
 * fuzzed acceptance is a bug, except for credentials this target itself
 * issued).  Round trip: issuing for a valid xid is checked back to it; one
 * flipped character is refused; expiry is exp <= now.  During a rotation
 * (av_credential_check_rotated) a second secret that signed nothing here
 * changes no answer, in either place, and a credential of the secret is
 * accepted whether it is the current or the previous one.  Through a
 * worker's cache of checked credentials (av_credential_check_cached, one
 * cache over every input of the run, as a worker keeps it over its
 * requests), the answer, the xid and the expiry are those of the check
 * without it, the first time and the second.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "av_credential.h"


static const char  secret_text[] = "this-is-a-test-session-secret-of-48-bytes-......";
static const char  other_text[] = "this-is-the-new-session-secret-of-48-bytes-.....";
static av_key_t    other;
static av_cred_cache_t  cache;      /* filled by the inputs before */


/* HMAC-SHA256(secret, "av1" 0 xid 0 exp), first 16 bytes, base64url */
static int
true_mac_ok(const char *cred, size_t len, size_t xid_len)
{
    char           b64[40], msg[AV_CRED_MAX + 8];
    size_t         i, m, n, exp_len;
    unsigned int   mlen;
    unsigned char  mac[32];

    exp_len = len - xid_len - 2 - 22;
    memcpy(msg, "av1", 4);
    memcpy(msg + 4, cred, xid_len);
    msg[4 + xid_len] = '\0';
    memcpy(msg + 5 + xid_len, cred + xid_len + 1, exp_len);
    m = 5 + xid_len + exp_len;

    mlen = sizeof(mac);
    FUZZ_ASSERT(HMAC(EVP_sha256(), secret_text, sizeof(secret_text) - 1,
                     (unsigned char *) msg, m, mac, &mlen) != NULL);

    n = (size_t) EVP_EncodeBlock((unsigned char *) b64, mac, 16);
    FUZZ_ASSERT(n == 24);
    for (i = 0; i < 22; i++) {
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    }

    return cred[len - 23] == '.' && memcmp(cred + len - 22, b64, 22) == 0;
}


/* the cache changes no answer: what the check without it said */
static void
cached(const av_key_t *secret, const char *cred, size_t len, av_err_t rc,
    const char *xid, size_t xid_len, int64_t exp)
{
    char      cxid[AV_XID_MAX + 1];
    size_t    cxid_len;
    int64_t   cexp;

    cxid_len = 0;
    cexp = -1;

    FUZZ_ASSERT(av_credential_check_cached(&cache, secret, NULL, cred, len,
                                           1700000000, cxid, &cxid_len,
                                           &cexp)
                == rc);

    if (rc != AV_ERR_BAD_CREDENTIAL) {
        FUZZ_ASSERT(cxid_len == xid_len && memcmp(cxid, xid, xid_len) == 0
                    && cxid[xid_len] == '\0' && cexp == exp);
    }
}


static void
check_one(const av_key_t *secret, const char *cred, size_t len)
{
    char      xid[AV_XID_MAX + 1], *copy, again[AV_CRED_MAX];
    size_t    xid_len;
    int64_t   exp;
    av_err_t  rc;

    copy = fuzz_dup((const uint8_t *) cred, len);
    xid_len = 0;
    exp = -1;

    rc = av_credential_check(secret, copy, len, 1700000000, xid, &xid_len,
                             &exp);

    /* a rotation to or from a secret that signed nothing: the same */
    FUZZ_ASSERT(av_credential_check_rotated(secret, &other, copy, len,
                                            1700000000, NULL, NULL, NULL)
                == rc);
    FUZZ_ASSERT(av_credential_check_rotated(&other, secret, copy, len,
                                            1700000000, NULL, NULL, NULL)
                == rc);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_BAD_CREDENTIAL
                || rc == AV_ERR_EXPIRED_CREDENTIAL);

    cached(secret, copy, len, rc, xid, xid_len, exp);
    cached(secret, copy, len, rc, xid, xid_len, exp);

    /* accepted (valid or expired): the bytes are exactly what issuing
     * for that xid and exp writes, and the MAC is the true one computed
     * here with OpenSSL's one-shot HMAC, independently of common/ */
    if (rc != AV_ERR_BAD_CREDENTIAL) {
        FUZZ_ASSERT(xid_len >= 1 && xid_len <= AV_XID_MAX
                    && strlen(xid) == xid_len
                    && av_xid_valid(xid, xid_len)
                    && memcmp(xid, cred, xid_len) == 0);
        FUZZ_ASSERT(exp >= 0 && (rc == AV_OK) == (exp > 1700000000));
        FUZZ_ASSERT(av_credential_issue(secret, xid, xid_len, exp, again,
                                        sizeof(again)) == len
                    && memcmp(again, cred, len) == 0);
        FUZZ_ASSERT(true_mac_ok(cred, len, xid_len));
    }

    free(copy);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         *in, out[AV_CRED_MAX + 1], xid[AV_XID_MAX + 1];
    size_t        len, xid_len, n;
    int64_t       exp, got_exp;
    av_key_t      secret;
    const char   *cred;

    FUZZ_ASSERT(av_key_from_bytes(&secret, (const unsigned char *) secret_text,
                                  sizeof(secret_text) - 1) == 0);
    FUZZ_ASSERT(av_key_from_bytes(&other, (const unsigned char *) other_text,
                                  sizeof(other_text) - 1) == 0);

    in = fuzz_dup(data, size);

    check_one(&secret, in, size);

    cred = NULL;
    len = 0;

    if (av_credential_from_bearer(in, size, &cred, &len)) {
        FUZZ_ASSERT(cred >= in && len > 0 && cred + len <= in + size);
        FUZZ_ASSERT(cred[0] != ' ' && cred[len - 1] != ' '
                    && cred[len - 1] != '\t');
        check_one(&secret, cred, len);
    }

    cred = NULL;

    if (av_credential_from_cookie(in, size, "appverify", 9, &cred, &len)) {
        FUZZ_ASSERT(cred >= in + 10 && len > 0 && cred + len <= in + size);
        FUZZ_ASSERT(memcmp(cred - 10, "appverify=", 10) == 0);
        FUZZ_ASSERT(memchr(cred, ';', len) == NULL);
        check_one(&secret, cred, len);
    }

    /* round trip: the input as an xid, its first bytes as an expiry */
    n = size > AV_XID_MAX ? AV_XID_MAX : size;
    exp = 0;
    memcpy(&exp, data, size < sizeof(exp) ? size : sizeof(exp));
    if (exp < 0) {
        exp = -(exp + 1);
    }

    len = av_credential_issue(&secret, in, n, exp, out, sizeof(out));

    if (!av_xid_valid(in, n)) {
        FUZZ_ASSERT(len == 0);

    } else {
        FUZZ_ASSERT(len > n && len <= AV_CRED_MAX);

        got_exp = -1;
        FUZZ_ASSERT(av_credential_check(&secret, out, len, exp - 1, xid,
                                        &xid_len, &got_exp) == AV_OK);
        FUZZ_ASSERT(xid_len == n && memcmp(xid, in, n) == 0
                    && xid[n] == '\0' && got_exp == exp);

        FUZZ_ASSERT(av_credential_check(&secret, out, len, exp, xid,
                                        &xid_len, NULL)
                    == AV_ERR_EXPIRED_CREDENTIAL);

        /* the previous secret's, until it expires; not the other's alone */
        FUZZ_ASSERT(av_credential_check_rotated(&other, &secret, out, len,
                                                exp - 1, NULL, NULL, NULL)
                    == AV_OK);
        FUZZ_ASSERT(av_credential_check_rotated(&other, &secret, out, len,
                                                exp, NULL, NULL, NULL)
                    == AV_ERR_EXPIRED_CREDENTIAL);
        FUZZ_ASSERT(av_credential_check_rotated(&other, NULL, out, len,
                                                exp - 1, NULL, NULL, NULL)
                    == AV_ERR_BAD_CREDENTIAL);

        /* through the cache: kept, then found (check_one) */
        check_one(&secret, out, len);

        /* one flipped bit anywhere: refused (never a different xid), also
         * by the cache that holds the original in the same slot */
        out[size % len] ^= (char) (1 << (size % 7));
        check_one(&secret, out, len);
        FUZZ_ASSERT(av_credential_check(&secret, out, len, 0, xid,
                                        &xid_len, NULL)
                    == AV_ERR_BAD_CREDENTIAL);
        FUZZ_ASSERT(av_credential_check_rotated(&other, &secret, out, len, 0,
                                                xid, &xid_len, NULL)
                    == AV_ERR_BAD_CREDENTIAL);
    }

    free(in);

    return 0;
}
