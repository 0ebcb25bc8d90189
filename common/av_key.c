/*
 * av_key.c: key decoding, HMAC-SHA256, base64 and constant-time compare.
 *
 * HMAC, the comparison and the wiping come from OpenSSL.  The base64
 * coders are written here because OpenSSL's cannot do what we need:
 * EVP_DecodeBlock is strict and keeps padding garbage, so it cannot decode
 * Telesign's keys the way their SDKs do; EVP_EncodeBlock always appends a
 * NUL (our callers size their buffers exactly); and OpenSSL 3.0 has no
 * base64url at all.
 */

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "av_key.h"


static const char av_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char av_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* The value of a sextet in base64 (std: '+' '/'), or -1. */
static int
av_b64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (url) {
        return c == '-' ? 62 : (c == '_' ? 63 : -1);
    }

    return c == '+' ? 62 : (c == '/' ? 63 : -1);
}


int
av_key_decode(av_key_t *key, const char *text, size_t len)
{
    size_t        i, n, sextets;
    uint32_t      acc;
    int           v;

    n = 0;
    acc = 0;
    sextets = 0;

    for (i = 0; i < len; i++) {

        /*
         * Telesign's SDKs skip everything outside the standard alphabet,
         * '=' included, so a key with '-' in it or with its padding cut
         * off by a config file still decodes to what Telesign holds.
         */
        v = av_b64_value((unsigned char) text[i], 0);
        if (v < 0) {
            continue;
        }

        acc = (acc << 6) | (uint32_t) v;
        sextets++;

        if (sextets % 4 == 0) {
            if (n + 3 > AV_KEY_MAX) {
                goto failed;
            }

            key->bytes[n++] = (unsigned char) (acc >> 16);
            key->bytes[n++] = (unsigned char) (acc >> 8);
            key->bytes[n++] = (unsigned char) acc;
            acc = 0;
        }
    }

    switch (sextets % 4) {

    case 1:
        /* 6 bits cannot make a byte: no encoder ever writes this */
        goto failed;

    case 2:
        if (n + 1 > AV_KEY_MAX) {
            goto failed;
        }

        key->bytes[n++] = (unsigned char) (acc >> 4);
        break;

    case 3:
        if (n + 2 > AV_KEY_MAX) {
            goto failed;
        }

        key->bytes[n++] = (unsigned char) (acc >> 10);
        key->bytes[n++] = (unsigned char) (acc >> 2);
        break;

    default:
        break;
    }

    if (n == 0) {
        goto failed;
    }

    key->len = n;

    /* the tail of the array must not keep an older key */
    OPENSSL_cleanse(key->bytes + n, AV_KEY_MAX - n);
    OPENSSL_cleanse(&acc, sizeof(acc));

    return 0;

failed:

    OPENSSL_cleanse(&acc, sizeof(acc));
    av_key_wipe(key);

    return -1;
}


int
av_key_from_bytes(av_key_t *key, const unsigned char *b, size_t len)
{
    if (len == 0 || len > AV_KEY_MAX) {
        av_key_wipe(key);
        return -1;
    }

    memmove(key->bytes, b, len);
    OPENSSL_cleanse(key->bytes + len, AV_KEY_MAX - len);
    key->len = len;

    return 0;
}


void
av_key_derive(av_key_t *out, const av_key_t *parent, const char *label)
{
    unsigned char  md[AV_SHA256_LEN];
    av_buf_t       part;

    part.data = label;
    part.len = strlen(label);

    /* through md, so that out may be parent */
    av_hmac_sha256(parent, &part, 1, md);

    av_key_wipe(out);
    memcpy(out->bytes, md, AV_SHA256_LEN);
    out->len = AV_SHA256_LEN;

    OPENSSL_cleanse(md, sizeof(md));
}


void
av_key_derive_session(av_key_t *out, const av_key_t *api_key)
{
    av_key_derive(out, api_key, "appverify session credential v1");
}


void
av_key_derive_sessions(av_key_t *current, av_key_t *previous,
    const av_key_t *api, const av_key_t *api_previous)
{
    av_key_derive_session(current, api);

    if (api_previous && previous) {
        av_key_derive_session(previous, api_previous);
    }
}


void
av_key_wipe(av_key_t *key)
{
    OPENSSL_cleanse(key, sizeof(av_key_t));
}


/*
 * HMAC-SHA256 (RFC 2104) over OpenSSL's SHA256_* functions: about 0.3
 * microseconds for a session credential here, where EVP_MAC took 1.8 (a
 * provider fetch, a context allocation and a digest fetch on every call),
 * and the gate computes one on every request (bench/RESULTS.md).  SHA256_*
 * are deprecated since OpenSSL 3.0 but in every 3.x; a build without the
 * deprecated API gets the EVP_MAC version below.
 */

#ifndef OPENSSL_NO_DEPRECATED_3_0

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

void
av_hmac_sha256(const av_key_t *key, const av_buf_t *parts, size_t n,
    unsigned char out[AV_SHA256_LEN])
{
    size_t         i;
    SHA256_CTX     sha;
    unsigned char  k[SHA256_CBLOCK], pad[SHA256_CBLOCK];

    memset(k, 0, sizeof(k));

    if (key->len > sizeof(k)) {
        SHA256_Init(&sha);
        SHA256_Update(&sha, key->bytes, key->len);
        SHA256_Final(k, &sha);

    } else {
        memcpy(k, key->bytes, key->len);
    }

    for (i = 0; i < sizeof(pad); i++) {
        pad[i] = k[i] ^ 0x36;
    }

    SHA256_Init(&sha);
    SHA256_Update(&sha, pad, sizeof(pad));

    for (i = 0; i < n; i++) {
        SHA256_Update(&sha, parts[i].data, parts[i].len);
    }

    SHA256_Final(out, &sha);

    for (i = 0; i < sizeof(pad); i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    SHA256_Init(&sha);
    SHA256_Update(&sha, pad, sizeof(pad));
    SHA256_Update(&sha, out, AV_SHA256_LEN);
    SHA256_Final(out, &sha);

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(&sha, sizeof(sha));
}

#pragma GCC diagnostic pop

#else

void
av_hmac_sha256(const av_key_t *key, const av_buf_t *parts, size_t n,
    unsigned char out[AV_SHA256_LEN])
{
    size_t        i, outl;
    EVP_MAC      *mac;
    EVP_MAC_CTX  *ctx;
    OSSL_PARAM    params[2];

    /*
     * Fetched on every call because the core keeps no global state; the
     * fetch hits OpenSSL's method cache, and the whole call stays under
     * 2 microseconds, well within what token minting needs.
     */
    ctx = NULL;
    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (mac == NULL) {
        goto failed;
    }

    ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) {
        goto failed;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key->bytes, key->len, params) != 1) {
        goto failed;
    }

    for (i = 0; i < n; i++) {
        if (parts[i].len
            && EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
        {
            goto failed;
        }
    }

    if (EVP_MAC_final(ctx, out, &outl, AV_SHA256_LEN) != 1
        || outl != AV_SHA256_LEN)
    {
        goto failed;
    }

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);

    return;

failed:

    /*
     * Only an allocation failure inside OpenSSL gets here.  The signature
     * has no way to report it, so the output becomes unpredictable: a
     * verification then fails and a minted token is refused, instead of
     * both matching some constant an attacker could guess.
     */
    if (RAND_bytes(out, AV_SHA256_LEN) != 1) {
        memset(out, 0, AV_SHA256_LEN);
    }

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

#endif


int
av_ct_memcmp(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) != 0;
}


static size_t
av_b64_encode_with(const unsigned char *in, size_t len, char *out,
    const char *alphabet, int pad)
{
    char      *p;
    uint32_t   v;

    p = out;

    while (len >= 3) {
        v = ((uint32_t) in[0] << 16) | ((uint32_t) in[1] << 8) | in[2];

        *p++ = alphabet[(v >> 18) & 0x3f];
        *p++ = alphabet[(v >> 12) & 0x3f];
        *p++ = alphabet[(v >> 6) & 0x3f];
        *p++ = alphabet[v & 0x3f];

        in += 3;
        len -= 3;
    }

    if (len == 1) {
        v = (uint32_t) in[0] << 16;

        *p++ = alphabet[(v >> 18) & 0x3f];
        *p++ = alphabet[(v >> 12) & 0x3f];

        if (pad) {
            *p++ = '=';
            *p++ = '=';
        }

    } else if (len == 2) {
        v = ((uint32_t) in[0] << 16) | ((uint32_t) in[1] << 8);

        *p++ = alphabet[(v >> 18) & 0x3f];
        *p++ = alphabet[(v >> 12) & 0x3f];
        *p++ = alphabet[(v >> 6) & 0x3f];

        if (pad) {
            *p++ = '=';
        }
    }

    return (size_t) (p - out);
}


size_t
av_b64_encode(const unsigned char *in, size_t len, char *out)
{
    return av_b64_encode_with(in, len, out, av_b64_alphabet, 1);
}


size_t
av_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    return av_b64_encode_with(in, len, out, av_b64url_alphabet, 0);
}


long
av_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t    i, n, need;
    uint32_t  acc;
    int       v;

    if (len % 4 == 1) {
        return -1;
    }

    need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap || need > LONG_MAX) {
        return -1;
    }

    n = 0;
    acc = 0;

    for (i = 0; i < len; i++) {
        v = av_b64_value((unsigned char) in[i], 1);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) v;

        if (i % 4 == 3) {
            out[n++] = (unsigned char) (acc >> 16);
            out[n++] = (unsigned char) (acc >> 8);
            out[n++] = (unsigned char) acc;
            acc = 0;
        }
    }

    /*
     * The unused low bits of the last character must be zero: otherwise
     * several strings would decode to the same bytes, and a signature
     * could be altered without being invalidated.
     */
    switch (len % 4) {

    case 2:
        if (acc & 0x0f) {
            return -1;
        }

        out[n++] = (unsigned char) (acc >> 4);
        break;

    case 3:
        if (acc & 0x03) {
            return -1;
        }

        out[n++] = (unsigned char) (acc >> 10);
        out[n++] = (unsigned char) (acc >> 2);
        break;

    default:
        break;
    }

    return (long) n;
}


/* the message below says 256 */
typedef char av_key_max_is_256[(AV_KEY_MAX == 256) ? 1 : -1];


const char *
av_key_from_file_text(av_key_t *key, av_key_file_t kind, const char *text,
    size_t len)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'
                       || text[len - 1] == ' ' || text[len - 1] == '\t'))
    {
        len--;
    }

    if (kind == AV_KEY_FILE_API) {
        if (av_key_decode(key, text, len) != 0 || key->len < 16) {
            av_key_wipe(key);
            return "does not hold a base64 API key of at least 16 bytes";
        }

        return NULL;
    }

    if (len < 32 || av_key_from_bytes(key, (const unsigned char *) text, len)
                    != 0)
    {
        av_key_wipe(key);
        return "must hold 32 to 256 bytes";
    }

    return NULL;
}


int
av_customer_id_valid(const char *id, size_t len)
{
    size_t  i;

    if (len == 0 || len > 64) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')
              || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'
              || id[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}
