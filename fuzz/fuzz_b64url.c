/*
 * fuzz_b64url.c: av_b64url_decode, the strict base64url decoder.
 *
 * Invariants: never writes past cap (the output buffer is exactly cap
 * bytes on the heap; cap is fuzzed too); success means the input is
 * canonical, i.e. encoding the decoded bytes gives the input back byte
 * for byte (no padding, no foreign characters, no stray low bits), so
 * two encodings of one MAC cannot both be accepted.
 */

#include "fuzz.h"
#include "av_key.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long            n;
    char           *in, *enc;
    size_t          cap, elen;
    unsigned char  *out;

    if (size < 1) {
        return 0;
    }

    /* byte 0: how much room the caller gives, from none to plenty */
    cap = data[0] == 0xff ? size : data[0];
    in = fuzz_dup(data + 1, size - 1);
    out = malloc(cap ? cap : 1);
    FUZZ_ASSERT(out != NULL);

    n = av_b64url_decode(in, size - 1, out, cap);
    FUZZ_ASSERT(n >= -1 && (n < 0 || (size_t) n <= cap));

    if (n >= 0) {
        FUZZ_ASSERT((size_t) n == (size - 1) * 3 / 4);

        enc = malloc(av_b64url_len((size_t) n) + 1);
        FUZZ_ASSERT(enc != NULL);
        elen = av_b64url_encode(out, (size_t) n, enc);
        FUZZ_ASSERT(elen == size - 1 && memcmp(enc, in, elen) == 0);
        free(enc);
    }

    free(out);
    free(in);

    return 0;
}
