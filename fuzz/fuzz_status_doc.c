/*
 * fuzz_status_doc.c: av_status_doc_parse, a Get Status answer body.
 *
 * Like a callback, except that status.code may be missing when errors[]
 * explains why.  Anything a callback accepts, a Get Status answer accepts
 * the same way.
 */

#include "doc_check.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char             *body;
    av_err_t          rc, cb;
    const char       *msg;
    av_status_doc_t   doc, doc2;

    body = fuzz_dup(data, size);

    msg = NULL;
    rc = av_status_doc_parse(body, size, &doc, &msg);

    FUZZ_ASSERT(msg != NULL);
    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_BODY_TOO_LARGE
                || rc == AV_ERR_MALFORMED_BODY || rc == AV_ERR_INVALID_XID);

    if (rc == AV_OK) {
        fuzz_check_doc(&doc, 0);

    } else {
        FUZZ_ASSERT(fuzz_is_zero(&doc, sizeof(doc)));
    }

    /* the stricter parser never accepts what this one refuses, and when
     * both accept they agree on every field */
    cb = av_callback_parse(body, size, &doc2, NULL);
    if (cb == AV_OK) {
        FUZZ_ASSERT(rc == AV_OK);
        FUZZ_ASSERT(memcmp(&doc, &doc2, sizeof(doc)) == 0);
    }

    free(body);

    return 0;
}
