/*
 * doc_check.h: the invariants of a parsed av_status_doc_t, shared by the
 * callback, Get Status and API answer targets.
 */
#ifndef AV_FUZZ_DOC_CHECK_H
#define AV_FUZZ_DOC_CHECK_H

#include "fuzz.h"
#include "av_callback.h"

static inline void
fuzz_check_doc(const av_status_doc_t *doc, int need_code)
{
    size_t  i, n;

    FUZZ_ASSERT(doc->code >= 0 && doc->code <= 99999);
    FUZZ_ASSERT(!need_code || doc->code > 0);
    FUZZ_ASSERT(doc->code > 0 || doc->error_code != 0);
    FUZZ_ASSERT(doc->updated_on_ms >= 0);

    /* every string is terminated inside its array and needs no escaping */
    n = strnlen(doc->description, sizeof(doc->description));
    FUZZ_ASSERT(n < sizeof(doc->description));
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT(doc->description[i] >= 0x20 && doc->description[i] < 0x7f
                    && doc->description[i] != '"'
                    && doc->description[i] != '\\');
    }

    n = strnlen(doc->xid, sizeof(doc->xid));
    FUZZ_ASSERT(n < sizeof(doc->xid));
    FUZZ_ASSERT(n == 0 || av_xid_valid(doc->xid, n));

    n = strnlen(doc->phone, sizeof(doc->phone));
    FUZZ_ASSERT(n < sizeof(doc->phone) && n <= AV_PHONE_MAX);
    FUZZ_ASSERT(fuzz_all_digits(doc->phone, n));

    n = strnlen(doc->reference_id, sizeof(doc->reference_id));
    FUZZ_ASSERT(n < sizeof(doc->reference_id));
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT((doc->reference_id[i] >= '0' && doc->reference_id[i] <= '9')
                    || (doc->reference_id[i] >= 'A'
                        && doc->reference_id[i] <= 'Z')
                    || (doc->reference_id[i] >= 'a'
                        && doc->reference_id[i] <= 'z'));
    }

    n = strnlen(doc->sub_resource, sizeof(doc->sub_resource));
    FUZZ_ASSERT(n < sizeof(doc->sub_resource));
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT(doc->sub_resource[i] > 0x20
                    && doc->sub_resource[i] < 0x7f
                    && doc->sub_resource[i] != '"'
                    && doc->sub_resource[i] != '\\');
    }
}

#endif /* AV_FUZZ_DOC_CHECK_H */
