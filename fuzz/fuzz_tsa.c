/*
 * fuzz_tsa.c: av_tsa_verify_callback with a fuzzed Authorization header,
 * X-TS-Authorization header and body.
 *
 * Input: byte 0 flags (bit 0: an Authorization header, bit 1: an
 * X-TS-Authorization header, bit 2: check the customer id), byte 1 the
 * Authorization length, byte 2 the X-TS-Authorization length (both cut to
 * what is left), then the two header values, then the body.
 *
 * Invariants: only AV_OK, AV_ERR_NO_SIGNATURE (neither header) and
 * AV_ERR_BAD_SIGNATURE; accepted only when every present header carries
 * the body's true signature, computed here with OpenSSL's one-shot HMAC
 * and EVP_EncodeBlock (independently of common/).  And the round trip:
 * the true signature is accepted in either header, one flipped character
 * of it or another customer id is refused.  During a rotation
 * (av_tsa_verify_callback_rotated) a second key that signed nothing here
 * changes no answer, in either place; the true signature verifies with
 * the key current or previous; the two headers signed with two keys do
 * not.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "av_tsa.h"


#define CID  "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"

/* the test key of telesign-protocol.md */
static const char  key_text[] =
    "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYldPJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw==";
static const char  other_text[] =
    "bmV3LWFwaS1rZXktZm9yLXRoZS1yb3RhdGlvbi10ZXN0cy0wMQ==";


static void
true_signature(const av_key_t *key, const uint8_t *body, size_t len,
    char sig[45])
{
    unsigned int   mlen;
    unsigned char  mac[32];

    mlen = sizeof(mac);
    FUZZ_ASSERT(HMAC(EVP_sha256(), key->bytes, (int) key->len,
                     len ? body : (const uint8_t *) "", len, mac, &mlen)
                != NULL && mlen == 32);
    FUZZ_ASSERT(EVP_EncodeBlock((unsigned char *) sig, mac, 32) == 44);
}


/* the header value with spaces and tabs trimmed, as the parser sees it */
static void
trim(const char **s, size_t *len)
{
    while (*len && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*len)--;
    }

    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             flags;
    char           *auth, *xts, *body, sig[45], hdr[128];
    size_t          alen, xlen, blen, tl;
    av_err_t        rc;
    av_key_t        key, other;
    const char     *cid, *t;
    char            osig[45];

    if (size < 3) {
        return 0;
    }

    FUZZ_ASSERT(av_key_decode(&key, key_text, sizeof(key_text) - 1) == 0);
    FUZZ_ASSERT(av_key_decode(&other, other_text, sizeof(other_text) - 1)
                == 0);

    flags = data[0];
    alen = data[1];
    xlen = data[2];
    data += 3;
    size -= 3;

    if (alen > size) {
        alen = size;
    }

    if (xlen > size - alen) {
        xlen = size - alen;
    }

    blen = size - alen - xlen;

    auth = fuzz_dup(data, alen);
    xts = fuzz_dup(data + alen, xlen);
    body = fuzz_dup(data + alen + xlen, blen);
    cid = (flags & 4) ? CID : NULL;

    rc = av_tsa_verify_callback(&key, cid,
                                (flags & 1) ? auth : NULL, alen,
                                (flags & 2) ? xts : NULL, xlen,
                                (const unsigned char *) body, blen);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_NO_SIGNATURE
                || rc == AV_ERR_BAD_SIGNATURE);
    FUZZ_ASSERT((rc == AV_ERR_NO_SIGNATURE) == !(flags & 3));

    /* a rotation to or from a key that signed nothing: the same */
    FUZZ_ASSERT(av_tsa_verify_callback_rotated(&key, &other, cid,
                                               (flags & 1) ? auth : NULL,
                                               alen,
                                               (flags & 2) ? xts : NULL,
                                               xlen,
                                               (const unsigned char *) body,
                                               blen)
                == rc);
    FUZZ_ASSERT(av_tsa_verify_callback_rotated(&other, &key, cid,
                                               (flags & 1) ? auth : NULL,
                                               alen,
                                               (flags & 2) ? xts : NULL,
                                               xlen,
                                               (const unsigned char *) body,
                                               blen)
                == rc);

    true_signature(&key, (const uint8_t *) body, blen, sig);

    if (rc == AV_OK) {
        if (flags & 1) {
            t = auth;
            tl = alen;
            trim(&t, &tl);
            FUZZ_ASSERT(tl > 44 && memcmp(t, "TSA ", 4) == 0);
            FUZZ_ASSERT(memcmp(t + tl - 44, sig, 44) == 0);
        }

        if (flags & 2) {
            t = xts;
            tl = xlen;
            trim(&t, &tl);
            FUZZ_ASSERT(tl == 44 && memcmp(t, sig, 44) == 0);
        }
    }

    /* the round trip */

    tl = (size_t) snprintf(hdr, sizeof(hdr), "TSA %s:%s", CID, sig);
    FUZZ_ASSERT(av_tsa_verify_callback(&key, CID, hdr, tl, NULL, 0,
                                       (const unsigned char *) body, blen)
                == AV_OK);
    FUZZ_ASSERT(av_tsa_verify_callback(&key, CID, hdr, tl, sig, 44,
                                       (const unsigned char *) body, blen)
                == AV_OK);
    FUZZ_ASSERT(av_tsa_verify_callback(&key, CID, NULL, 0, sig, 44,
                                       (const unsigned char *) body, blen)
                == AV_OK);

    /* the previous key's signature, in either header; not mixed */
    FUZZ_ASSERT(av_tsa_verify_callback_rotated(&other, &key, CID, hdr, tl,
                                               sig, 44,
                                               (const unsigned char *) body,
                                               blen)
                == AV_OK);
    true_signature(&other, (const uint8_t *) body, blen, osig);
    FUZZ_ASSERT(av_tsa_verify_callback_rotated(&other, &key, CID, hdr, tl,
                                               osig, 44,
                                               (const unsigned char *) body,
                                               blen)
                == AV_ERR_BAD_SIGNATURE);
    FUZZ_ASSERT(av_tsa_verify_callback_rotated(&other, &key, CID, NULL, 0,
                                               osig, 44,
                                               (const unsigned char *) body,
                                               blen)
                == AV_OK);

    FUZZ_ASSERT(av_tsa_verify_callback(&key, "00000000-0000-0000-0000-000000000000",
                                       hdr, tl, NULL, 0,
                                       (const unsigned char *) body, blen)
                == AV_ERR_BAD_SIGNATURE);

    hdr[tl - 1 - (flags >> 3) % 43] ^= 0x01;
    FUZZ_ASSERT(av_tsa_verify_callback(&key, CID, hdr, tl, NULL, 0,
                                       (const unsigned char *) body, blen)
                == AV_ERR_BAD_SIGNATURE);
    FUZZ_ASSERT(av_tsa_verify_callback(&key, CID, NULL, 0,
                                       hdr + tl - 44, 44,
                                       (const unsigned char *) body, blen)
                == AV_ERR_BAD_SIGNATURE);

    free(auth);
    free(xts);
    free(body);

    return 0;
}
