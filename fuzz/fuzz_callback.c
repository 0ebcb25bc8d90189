/*
 * fuzz_callback.c: av_callback_parse, the body Telesign (or anyone who can
 * reach the callback URL with signature=off) POSTs.
 *
 * Invariants: only the documented errors; AV_OK means a status code and a
 * valid xid, and every field is bounded and safe to print; any error hands
 * back an all-zero document.  The same bytes always parse the same way.
 */

#include "doc_check.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char             *body;
    av_err_t          rc, rc2;
    const char       *msg;
    av_status_doc_t   doc, doc2;

    body = fuzz_dup(data, size);

    msg = NULL;
    rc = av_callback_parse(body, size, &doc, &msg);

    FUZZ_ASSERT(msg != NULL);
    FUZZ_ASSERT(rc == AV_OK || rc == AV_ERR_BODY_TOO_LARGE
                || rc == AV_ERR_MALFORMED_BODY || rc == AV_ERR_INVALID_XID);

    if (rc == AV_OK) {
        fuzz_check_doc(&doc, 1);
        FUZZ_ASSERT(doc.xid[0] != '\0');

    } else {
        FUZZ_ASSERT(fuzz_is_zero(&doc, sizeof(doc)));
    }

    /* no hidden state: a second parse agrees, msg may be NULL */
    rc2 = av_callback_parse(body, size, &doc2, NULL);
    FUZZ_ASSERT(rc2 == rc);
    FUZZ_ASSERT(memcmp(&doc, &doc2, sizeof(doc)) == 0);

    free(body);

    return 0;
}
