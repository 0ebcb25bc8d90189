/* params_check.h: what parsed request fields always are. */
#ifndef AV_FUZZ_PARAMS_CHECK_H
#define AV_FUZZ_PARAMS_CHECK_H

#include "phone_check.h"
#include "av_params.h"

#define FUZZ_FIELD(p, f)                                                    \
    do {                                                                    \
        FUZZ_ASSERT((p)->f##_len < sizeof((p)->f));                         \
        FUZZ_ASSERT(strlen((p)->f) == (p)->f##_len);                        \
        FUZZ_ASSERT((p)->has_##f || (p)->f##_len == 0);                     \
    } while (0)

static inline void
fuzz_check_params(const av_params_t *p, av_err_t rc)
{
    char      phone[AV_PHONE_MAX + 1];
    size_t    n;
    av_err_t  prc;

    /* whatever happened, every field is a bounded C string without a NUL
     * inside (a NUL would cut a value short for some later reader) */
    FUZZ_FIELD(p, phone);
    FUZZ_FIELD(p, country_code);
    FUZZ_FIELD(p, phone_number);
    FUZZ_FIELD(p, xid);
    FUZZ_FIELD(p, code);
    FUZZ_FIELD(p, caller_id);
    FUZZ_FIELD(p, timeout);

    if (p->has_xid) {
        FUZZ_ASSERT(av_xid_valid(p->xid, p->xid_len));
    }

    if (rc != AV_OK) {
        return;
    }

    prc = av_params_phone(p, phone, &n);
    FUZZ_ASSERT(prc == AV_OK || prc == AV_ERR_MISSING_PHONE
                || prc == AV_ERR_INVALID_PHONE
                || prc == AV_ERR_INVALID_COUNTRY);

    if (prc == AV_OK) {
        fuzz_check_phone(phone, n);
    }

    if (av_code_valid(p->code, p->code_len)) {
        FUZZ_ASSERT(p->code_len == 5 && fuzz_all_digits(p->code, 5));
    }
}

#endif /* AV_FUZZ_PARAMS_CHECK_H */
