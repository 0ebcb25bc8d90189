/* phone_check.h: what a normalized phone number always is. */
#ifndef AV_FUZZ_PHONE_CHECK_H
#define AV_FUZZ_PHONE_CHECK_H

#include "fuzz.h"
#include "av_phone.h"

static inline void
fuzz_check_phone(const char out[AV_PHONE_MAX + 1], size_t out_len)
{
    size_t    cc, n;
    char      plus[AV_PHONE_MAX + 2], again[AV_PHONE_MAX + 1];

    FUZZ_ASSERT(out_len >= AV_PHONE_MIN && out_len <= AV_PHONE_MAX);
    FUZZ_ASSERT(strlen(out) == out_len);
    FUZZ_ASSERT(fuzz_all_digits(out, out_len));

    cc = av_phone_country_code_len(out, out_len);
    FUZZ_ASSERT(cc >= 1 && cc <= 3);

    /* "+" and the result normalize to the result.  Not where a second
     * '0' follows the country code: only one trunk '0' is dropped, by
     * design (t/unit/test_phone.c pins "+44 00 7981 89755"), so the
     * result still starts with one that a second pass would drop */
    if (out[cc] != '0') {
        plus[0] = '+';
        memcpy(plus + 1, out, out_len);
        FUZZ_ASSERT(av_phone_normalize(plus, out_len + 1, again, &n)
                    == AV_OK);
        FUZZ_ASSERT(n == out_len && memcmp(again, out, n) == 0);
    }
}

#endif /* AV_FUZZ_PHONE_CHECK_H */
