/*
 * fuzz_phone_pair.c: av_phone_normalize_pair, country code + national
 * number as two fields.
 *
 * Input: byte 0 is the country code's length (cut to what is left), then
 * the country code, then the national number.
 *
 * Invariants: as for one string, and the result starts with the country
 * code's digits (whatever the national part holds, it cannot move the
 * number to another country).
 */

#include "phone_check.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char      *cc, *nat, out[AV_PHONE_MAX + 1], digits[256];
    size_t     cc_len, nat_len, n, i, d;
    av_err_t   rc;

    if (size < 1) {
        return 0;
    }

    cc_len = data[0];
    if (cc_len > size - 1) {
        cc_len = size - 1;
    }

    nat_len = size - 1 - cc_len;
    cc = fuzz_dup(data + 1, cc_len);
    nat = fuzz_dup(data + 1 + cc_len, nat_len);

    n = 99;
    rc = av_phone_normalize_pair(cc, cc_len, nat, nat_len, out, &n);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_INVALID_PHONE
                || rc == AV_ERR_INVALID_COUNTRY);

    if (rc == AV_OK) {
        fuzz_check_phone(out, n);

        /* the country code field's digits, after a "00" prefix */
        d = 0;
        for (i = 0; i < cc_len; i++) {
            if (cc[i] >= '0' && cc[i] <= '9') {
                digits[d++] = cc[i];
            }
        }

        i = 0;
        if (cc_len && memchr(cc, '+', cc_len) == NULL && d >= 2
            && digits[0] == '0' && digits[1] == '0')
        {
            i = 2;
        }

        FUZZ_ASSERT(d - i >= 1 && d - i <= 3);
        FUZZ_ASSERT(av_phone_country_code_len(out, n) == d - i);
        FUZZ_ASSERT(memcmp(out, digits + i, d - i) == 0);

    } else {
        FUZZ_ASSERT(out[0] == '\0' && n == 0);
    }

    free(cc);
    free(nat);

    return 0;
}
