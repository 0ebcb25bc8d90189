/*
 * fuzz_phone.c: av_phone_normalize, one phone string as a client sends it.
 *
 * Invariants: only AV_OK, invalid_phone and invalid_country_code; AV_OK
 * gives 8 to 15 ASCII digits that start with an assigned country code,
 * NUL-terminated, and normalizing "+<result>" gives the result back; an
 * error leaves an empty output.  No input byte outside ASCII digits and
 * "+ -.()/" is ever accepted (unicode digits, NUL, CR, LF, '%').
 */

#include "phone_check.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char      *in, out[AV_PHONE_MAX + 1];
    size_t     i, n;
    av_err_t   rc;

    in = fuzz_dup(data, size);
    memset(out, 'x', sizeof(out));
    n = 99;

    rc = av_phone_normalize(in, size, out, &n);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_INVALID_PHONE
                || rc == AV_ERR_INVALID_COUNTRY);

    if (rc == AV_OK) {
        fuzz_check_phone(out, n);

        FUZZ_ASSERT(size <= AV_PHONE_INPUT_MAX);
        for (i = 0; i < size; i++) {
            FUZZ_ASSERT((in[i] >= '0' && in[i] <= '9')
                        || strchr("+ -.()/", in[i]) != NULL);
            FUZZ_ASSERT(in[i] != '\0');
        }

    } else {
        FUZZ_ASSERT(out[0] == '\0' && n == 0);
    }

    /* out_len may be NULL */
    FUZZ_ASSERT(av_phone_normalize(in, size, out, NULL) == rc);

    free(in);

    return 0;
}
