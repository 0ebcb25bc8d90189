/*
 * av_hash.c: SipHash-2-4 through OpenSSL's EVP_MAC.  The context is keyed
 * once; EVP_MAC_init() with no key starts a new message under the same
 * key, which is what makes it cheap enough for every lookup (about 130 ns
 * for an xid here, against a gated request's 11 us).
 */
#include "av_hash.h"

#include <stdlib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

struct av_hash_s {
    EVP_MAC      *mac;
    EVP_MAC_CTX  *ctx;
};


av_hash_t *
av_hash_new(const unsigned char key[AV_HASH_KEY_LEN])
{
    size_t      size = 8;
    av_hash_t  *h;
    OSSL_PARAM  params[2];

    h = calloc(1, sizeof(av_hash_t));
    if (h == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[1] = OSSL_PARAM_construct_end();

    h->mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    h->ctx = h->mac ? EVP_MAC_CTX_new(h->mac) : NULL;

    if (h->ctx == NULL
        || EVP_MAC_init(h->ctx, key, AV_HASH_KEY_LEN, params) != 1)
    {
        av_hash_free(h);
        return NULL;
    }

    return h;
}


void
av_hash_free(av_hash_t *h)
{
    if (h == NULL) {
        return;
    }

    EVP_MAC_CTX_free(h->ctx);
    EVP_MAC_free(h->mac);
    free(h);
}


uint64_t
av_hash(av_hash_t *h, const void *data, size_t len)
{
    size_t         n;
    uint64_t       v;
    unsigned char  out[8];
    int            i;

    if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1
        || EVP_MAC_update(h->ctx, data, len) != 1
        || EVP_MAC_final(h->ctx, out, &n, sizeof(out)) != 1
        || n != sizeof(out))
    {
        /* cannot happen with a context av_hash_new() made; a constant
         * still finds every key, only slower */
        return 0;
    }

    v = 0;
    for (i = 7; i >= 0; i--) {
        v = (v << 8) | out[i];
    }

    return v;
}


int
av_hash_key_random(unsigned char key[AV_HASH_KEY_LEN])
{
    return RAND_bytes(key, AV_HASH_KEY_LEN) == 1 ? 0 : -1;
}
