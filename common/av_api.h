/*
 * av_api.h: the edge's own calls to Telesign's REST API, and their answers.
 *
 *   Get Status           GET  /v1/mobile/verification/status/{xid}
 *   missed call start    POST /v1/verify/auto/voice/initiate
 *                             phone_number=..[&verification_timeout=..]
 *   finalize             POST /v1/verify/auto/voice/finalize
 *                             reference_id=..&verify_code=..
 *   unknown caller id    POST /v1/verify/auto/voice/finalize/callerid
 *                             reference_id=..&unknown_caller_id=..
 *   the call never came  POST /v1/verify/auto/voice/finalize/timeout
 *                             reference_id=..
 *
 * A request is built, then signed (TSA, telesign-protocol.md section 2)
 * with a fresh date and nonce; the server glue sends method, path, headers
 * and body as they are, to the base URL the operator configured.  Answers
 * are classified here so that both servers fail closed the same way:
 * nothing but a well-formed answer with a status code ever changes state.
 */
#ifndef AV_API_H
#define AV_API_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_params.h"
#include "av_key.h"
#include "av_callback.h"
#include "av_record.h"

#define AV_API_PATH_MAX   128
#define AV_API_BODY_MAX   256
#define AV_API_ANSWER_MAX 16384   /* larger answers are refused unread */

typedef enum {
    AV_API_GET_STATUS = 0,
    AV_API_INITIATE,
    AV_API_FINALIZE,
    AV_API_FINALIZE_CALLERID,
    AV_API_FINALIZE_TIMEOUT,
    AV_API_CALL_STATUS          /* GET /v1/verify/auto/voice/{reference_id} */
} av_api_call_t;

typedef struct {
    av_api_call_t  call;
    const char    *method;                  /* "GET" or "POST" */
    const char    *content_type;            /* "" for GET */
    char           path[AV_API_PATH_MAX];
    char           body[AV_API_BODY_MAX];   /* form-encoded; "" for GET */
    size_t         body_len;

    /* set by av_api_sign() */
    char           date[32];                /* RFC 1123 */
    char           nonce[AV_UUID_LEN + 1];
    char           authorization[160];      /* "TSA <cid>:<sig>" */
} av_api_request_t;

/* Builders: validate their arguments (xid charset, E.164 digits, 32-char
 * alphanumeric reference id, 5 digits, timeout 1..300) and return AV_OK,
 * or the error a client sending that value would get. */
av_err_t av_api_get_status(av_api_request_t *req, const char *xid);
av_err_t av_api_initiate(av_api_request_t *req, const char *phone,
    int verification_timeout);            /* 0: let Telesign choose */
av_err_t av_api_finalize(av_api_request_t *req, const char *reference_id,
    const char *code);
av_err_t av_api_finalize_callerid(av_api_request_t *req,
    const char *reference_id, const char *caller_id);
av_err_t av_api_finalize_timeout(av_api_request_t *req,
    const char *reference_id);

/* The missed call's current status: asked when a finalize answer was lost
 * and Telesign then says the call was decided already. */
av_err_t av_api_call_status(av_api_request_t *req, const char *reference_id);

/* Date from now (epoch seconds), a random nonce, the TSA Authorization.
 * AV_ERR_INTERNAL only if the random generator fails. */
av_err_t av_api_sign(av_api_request_t *req, const av_key_t *key,
    const char *customer_id, int64_t now);

/*
 * What a missed-call start answered: Telesign's reference id and the
 * caller-ID prefix to show.  Telesign's verify_code, when an account gets
 * one, is deliberately not kept anywhere.
 */
typedef struct {
    av_status_doc_t  doc;
    char             prefix[AV_PREFIX_MAX + 1];
} av_api_answer_t;

/*
 * Classifies an answer.  http_status is the upstream's status (0 when
 * there was none: refused, timed out, reset, too big).
 *   AV_OK                 a well-formed answer; ans->doc.code holds
 *                         Telesign's status code, one of the asked API's
 *                         (Get Status: 18xx; the missed call: 24xx)
 *   AV_ERR_UNKNOWN_SESSION Get Status: Telesign does not know the xid
 *                         (400 with error -50059), so nothing to store
 *   AV_ERR_ALREADY_FINAL  finalize: Telesign says the call was decided
 *                         already (400 with error -30014), e.g. when the
 *                         answer to an earlier finalize was lost: ask
 *                         AV_API_CALL_STATUS for the outcome
 *   AV_ERR_UPSTREAM       anything else: no answer, 5xx, 401 (our
 *                         signature), 429, Telesign errors[] without a
 *                         status, garbage, an answer over
 *                         AV_API_ANSWER_MAX, an initiate answer without
 *                         reference id or prefix, a status code of
 *                         another API (Get Status saying 2401) or of none
 * JSON null is read as an absent member, as Telesign writes it
 * ("reference_id": null in its error answers).
 * *msg gets a short static reason for the log.
 */
av_err_t av_api_answer(av_api_call_t call, int http_status, const char *body,
    size_t len, av_api_answer_t *ans, const char **msg);

/*
 * A well-formed initiate answer whose status is not "pending" means
 * Telesign would not place the call: AV_ERR_INVALID_PHONE (2404),
 * AV_ERR_BLOCKED, AV_ERR_FAILED (not supported, ...), or AV_ERR_UPSTREAM
 * for a nonsensical "verified".  AV_OK when the call is on its way.
 */
av_err_t av_api_call_verdict(const av_api_answer_t *ans);

/*
 * A Get Status answer for the xid that was asked about: one that names
 * no xid is taken as that xid's (ans->doc.xid is filled in); one that
 * names another is AV_ERR_UPSTREAM, never applied to either.
 */
av_err_t av_api_status_for(av_api_answer_t *ans, const char *xid);

/*
 * A finalize request's parameters, checked before an attempt is taken:
 * a code of exactly five ASCII digits, or caller_id, or timeout.
 * AV_ERR_INVALID_CODE otherwise (*why: "no code" when none of the three
 * came), so bad digits never cost an attempt.
 */
av_err_t av_finalize_params_check(const av_params_t *params,
    const char **why);

/* The finalize call those parameters ask for, for the missed call with
 * Telesign's reference_id: the code, the caller id (normalized) or the
 * timeout report. */
av_err_t av_api_finalize_for(av_api_request_t *req, const char *reference_id,
    const av_params_t *params);

#endif /* AV_API_H */
