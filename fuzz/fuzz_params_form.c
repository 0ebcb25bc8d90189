/*
 * fuzz_params_form.c: av_params_parse_form, a query string or an
 * application/x-www-form-urlencoded body.
 *
 * Invariants: only the documented errors; every field a bounded C string
 * with no NUL inside; a set xid is valid; a phone picked from the fields
 * normalizes to 8..15 digits.  The query-then-body merge (the input parsed
 * twice into one av_params_t) is refused as repeated fields only when a
 * recognised field appears, never crashes.
 */

#include "params_check.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         *in;
    av_err_t      rc;
    av_params_t   p;

    in = fuzz_dup(data, size);

    av_params_init(&p);
    rc = av_params_parse_form(&p, in, size);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_BODY_TOO_LARGE
                || rc == AV_ERR_MALFORMED_BODY || rc == AV_ERR_INVALID_PHONE
                || rc == AV_ERR_INVALID_COUNTRY || rc == AV_ERR_INVALID_XID
                || rc == AV_ERR_INVALID_CODE);
    FUZZ_ASSERT(rc != AV_ERR_BODY_TOO_LARGE || size > AV_PARAMS_BODY_MAX);

    fuzz_check_params(&p, rc);

    /* a body on top of the query, as the token handler does */
    rc = av_params_parse_form(&p, in, size);
    fuzz_check_params(&p, rc);

    free(in);

    return 0;
}
