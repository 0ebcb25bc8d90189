/*
 * fuzz_api_answer.c: av_api_answer for every call kind, i.e. what
 * Telesign (or whatever answers in its place) sends back to the edge.
 *
 * Input: byte 0 picks the call (mod 5), bytes 1-2 the HTTP status (mod
 * 600, big-endian), the rest is the body.
 *
 * Invariants: only AV_OK, AV_ERR_UNKNOWN_SESSION (Get Status only) and
 * AV_ERR_UPSTREAM; AV_OK only for a 2xx with a status code, and for
 * initiate with a reference id and a 1..15 digit prefix; any other error
 * hands back an all-zero answer (fail closed, nothing half-filled).
 */

#include "doc_check.h"
#include "av_api.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               status;
    char             *body;
    size_t            n;
    av_err_t          rc;
    const char       *msg;
    av_api_call_t     call;
    av_api_answer_t   ans;

    if (size < 3) {
        return 0;
    }

    call = (av_api_call_t) (data[0] % 5);
    status = ((data[1] << 8) | data[2]) % 600;

    body = fuzz_dup(data + 3, size - 3);

    msg = NULL;
    rc = av_api_answer(call, status, body, size - 3, &ans, &msg);

    FUZZ_ASSERT(msg != NULL);

    switch (rc) {

    case AV_OK:
        FUZZ_ASSERT(status >= 200 && status <= 299);
        fuzz_check_doc(&ans.doc, 1);

        n = strnlen(ans.prefix, sizeof(ans.prefix));
        FUZZ_ASSERT(n < sizeof(ans.prefix));

        if (call == AV_API_INITIATE) {
            FUZZ_ASSERT(ans.doc.reference_id[0] != '\0');
            FUZZ_ASSERT(n >= 1 && n <= AV_PREFIX_MAX);
            FUZZ_ASSERT(fuzz_all_digits(ans.prefix, n));

        } else {
            FUZZ_ASSERT(n == 0);
        }

        break;

    case AV_ERR_UNKNOWN_SESSION:
        FUZZ_ASSERT(call == AV_API_GET_STATUS);
        FUZZ_ASSERT(status == 400 || status == 404);
        FUZZ_ASSERT(ans.doc.error_code == -50059);
        break;

    default:
        FUZZ_ASSERT(rc == AV_ERR_UPSTREAM);
        FUZZ_ASSERT(fuzz_is_zero(&ans, sizeof(ans)));
        break;
    }

    free(body);

    return 0;
}
