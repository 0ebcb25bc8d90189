/*
 * fuzz_key_decode.c: av_key_decode, Telesign's lenient base64 API key
 * decoding (the key file is operator input, but a config loader must not
 * crash on any file).
 *
 * Invariants: success gives 1..AV_KEY_MAX bytes; the result depends only
 * on the input's A-Za-z0-9+/ characters (everything else is skipped, as
 * the SDKs do); encoding the result with av_b64_encode and decoding that
 * again gives the same bytes; a failure leaves a wiped key.
 */

#include "fuzz.h"
#include "av_key.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int        rc, rc2;
    char      *in, *filtered, enc[av_b64_len(AV_KEY_MAX) + 1];
    size_t     i, n, elen;
    av_key_t   key, key2, key3;

    in = fuzz_dup(data, size);
    memset(&key, 0xa5, sizeof(key));

    rc = av_key_decode(&key, in, size);
    FUZZ_ASSERT(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_ASSERT(fuzz_is_zero(&key, sizeof(key)));
        free(in);
        return 0;
    }

    FUZZ_ASSERT(key.len >= 1 && key.len <= AV_KEY_MAX);
    FUZZ_ASSERT(fuzz_is_zero(key.bytes + key.len, AV_KEY_MAX - key.len));

    /* only the alphabet counts */
    filtered = fuzz_dup(data, size);
    for (i = 0, n = 0; i < size; i++) {
        if ((in[i] >= 'A' && in[i] <= 'Z') || (in[i] >= 'a' && in[i] <= 'z')
            || (in[i] >= '0' && in[i] <= '9') || in[i] == '+' || in[i] == '/')
        {
            filtered[n++] = in[i];
        }
    }

    rc2 = av_key_decode(&key2, filtered, n);
    FUZZ_ASSERT(rc2 == 0 && key2.len == key.len
                && memcmp(key2.bytes, key.bytes, key.len) == 0);

    /* round trip through the encoder */
    elen = av_b64_encode(key.bytes, key.len, enc);
    FUZZ_ASSERT(elen == av_b64_len(key.len));
    FUZZ_ASSERT(av_key_decode(&key3, enc, elen) == 0);
    FUZZ_ASSERT(key3.len == key.len
                && memcmp(key3.bytes, key.bytes, key.len) == 0);

    free(filtered);
    free(in);

    return 0;
}
