/*
 * fuzz_params_json.c: av_params_parse_json, a JSON request body.
 *
 * Invariants: as for the form grammar; numbers only for the digit fields,
 * never negative; JSON that is not an object is malformed.
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
    rc = av_params_parse_json(&p, in, size);

    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_BODY_TOO_LARGE
                || rc == AV_ERR_MALFORMED_BODY || rc == AV_ERR_INVALID_PHONE
                || rc == AV_ERR_INVALID_COUNTRY || rc == AV_ERR_INVALID_XID
                || rc == AV_ERR_INVALID_CODE);
    FUZZ_ASSERT(rc != AV_ERR_BODY_TOO_LARGE || size > AV_PARAMS_BODY_MAX);

    if (rc == AV_OK) {
        /* an object: the first non-blank byte opens it */
        size_t  i = 0;
        while (i < size && strchr(" \t\r\n", in[i]) != NULL) {
            i++;
        }
        FUZZ_ASSERT(i < size && in[i] == '{');
    }

    fuzz_check_params(&p, rc);

    free(in);

    return 0;
}
