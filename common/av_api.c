/*
 * av_api.c: requests to Telesign's REST API (telesign-protocol.md sections
 * 2, 4 and 5) and the classification of what comes back.
 *
 * Every value that goes into a path or a form body is validated here
 * against a charset that needs no escaping, so a request can never carry
 * anything but what its builder was meant to send.  Answers fail closed:
 * only a well-formed document with a status code of the API that was
 * asked is AV_OK.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "av_json_scan.h"

#include "av_api.h"
#include "av_params.h"
#include "av_phone.h"
#include "av_status.h"
#include "av_tsa.h"


#define AV_API_FORM         "application/x-www-form-urlencoded"

#define AV_API_PATH_STATUS  "/v1/mobile/verification/status/"
#define AV_API_PATH_START   "/v1/verify/auto/voice/initiate"
#define AV_API_PATH_FINAL   "/v1/verify/auto/voice/finalize"
#define AV_API_PATH_CALLER  "/v1/verify/auto/voice/finalize/callerid"
#define AV_API_PATH_TIMEOUT "/v1/verify/auto/voice/finalize/timeout"
#define AV_API_PATH_CALL    "/v1/verify/auto/voice/"
#define AV_API_ERR_FINAL    -30014

#define AV_API_TIMEOUT_MAX  300
#define AV_API_CALLER_MAX   15          /* an E.164 number at most */

/* Telesign's own error for "xid not found or not the customer's" */
#define AV_API_ERR_NO_XID   -50059


/* strlen that never reads past max + 1 bytes: arguments are untrusted */
static size_t
av_api_len(const char *s, size_t max)
{
    size_t  n;

    if (s == NULL) {
        return 0;
    }

    for (n = 0; n <= max && s[n] != '\0'; n++) {
        /* void */
    }

    return n;
}


static int
av_api_digits(const char *s, size_t len, size_t min, size_t max)
{
    size_t  i;

    if (len < min || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return 1;
}


static int
av_api_reference_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > AV_REFERENCE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= 'a' && s[i] <= 'z')))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Appends s to a NUL-terminated buffer of cap bytes, percent-encoding
 * everything but RFC 3986's unreserved characters when encode is set.
 * The validated values never need it; the encoder is here so that the
 * body stays a correct form even if a charset is ever widened.
 * Returns -1 when the result would not fit.
 */
static int
av_api_append(char *buf, size_t *len, size_t cap, const char *s, size_t n,
    int encode)
{
    size_t          i, need;
    unsigned char   c;

    static const char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (!encode || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
            || (c >= 'a' && c <= 'z') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            need = 1;

        } else {
            need = 3;
        }

        if (*len + need >= cap) {
            buf[0] = '\0';
            *len = 0;
            return -1;
        }

        if (need == 1) {
            buf[(*len)++] = (char) c;

        } else {
            buf[(*len)++] = '%';
            buf[(*len)++] = hex[c >> 4];
            buf[(*len)++] = hex[c & 0x0f];
        }
    }

    buf[*len] = '\0';

    return 0;
}


#define av_api_append_lit(buf, len, cap, lit)                               \
    av_api_append(buf, len, cap, lit, sizeof(lit) - 1, 0)


/* A form field: "[&]name=value", the value percent-encoded. */
static int
av_api_field(av_api_request_t *req, const char *name, const char *value,
    size_t value_len)
{
    if (req->body_len != 0
        && av_api_append_lit(req->body, &req->body_len, AV_API_BODY_MAX,
                             "&") != 0)
    {
        return -1;
    }

    if (av_api_append(req->body, &req->body_len, AV_API_BODY_MAX, name,
                      strlen(name), 0) != 0
        || av_api_append_lit(req->body, &req->body_len, AV_API_BODY_MAX, "=")
           != 0
        || av_api_append(req->body, &req->body_len, AV_API_BODY_MAX, value,
                         value_len, 1) != 0)
    {
        return -1;
    }

    return 0;
}


static void
av_api_start(av_api_request_t *req, av_api_call_t call)
{
    memset(req, 0, sizeof(av_api_request_t));

    req->call = call;

    if (call == AV_API_GET_STATUS || call == AV_API_CALL_STATUS) {
        req->method = "GET";
        req->content_type = "";

    } else {
        req->method = "POST";
        req->content_type = AV_API_FORM;
    }
}


static int
av_api_set_path(av_api_request_t *req, const char *path)
{
    size_t  len;

    len = 0;

    return av_api_append(req->path, &len, AV_API_PATH_MAX, path, strlen(path),
                         0);
}


/* A builder that refuses leaves no half-built request behind. */
static av_err_t
av_api_fail(av_api_request_t *req, av_err_t err)
{
    memset(req, 0, sizeof(av_api_request_t));

    return err;
}


av_err_t
av_api_get_status(av_api_request_t *req, const char *xid)
{
    size_t  len, plen;

    av_api_start(req, AV_API_GET_STATUS);

    len = av_api_len(xid, AV_XID_MAX);

    /*
     * The xid becomes a path segment.  Its charset needs no escaping
     * there, but "." and ".." are dot segments that a proxy or Telesign's
     * front end would resolve, sending the request to another resource.
     */
    if (!av_xid_valid(xid, len)
        || (len == 1 && xid[0] == '.')
        || (len == 2 && xid[0] == '.' && xid[1] == '.'))
    {
        return av_api_fail(req, AV_ERR_INVALID_XID);
    }

    plen = 0;

    if (av_api_append_lit(req->path, &plen, AV_API_PATH_MAX,
                          AV_API_PATH_STATUS) != 0
        || av_api_append(req->path, &plen, AV_API_PATH_MAX, xid, len, 0) != 0)
    {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    return AV_OK;
}


av_err_t
av_api_initiate(av_api_request_t *req, const char *phone,
    int verification_timeout)
{
    int     t;
    char    num[4], *p;
    size_t  len;

    av_api_start(req, AV_API_INITIATE);

    /* the glue has normalized the number; this only keeps the body safe */
    len = av_api_len(phone, AV_PHONE_MAX);

    if (!av_api_digits(phone, len, AV_PHONE_MIN, AV_PHONE_MAX)) {
        return av_api_fail(req, AV_ERR_INVALID_PHONE);
    }

    if (verification_timeout < 0
        || verification_timeout > AV_API_TIMEOUT_MAX)
    {
        return av_api_fail(req, AV_ERR_MALFORMED_BODY);
    }

    if (av_api_set_path(req, AV_API_PATH_START) != 0
        || av_api_field(req, "phone_number", phone, len) != 0)
    {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    if (verification_timeout == 0) {
        return AV_OK;
    }

    /* at most three digits, so no snprintf */
    p = num + sizeof(num);
    t = verification_timeout;

    do {
        *--p = (char) ('0' + t % 10);
        t /= 10;
    } while (t != 0);

    if (av_api_field(req, "verification_timeout", p,
                     (size_t) (num + sizeof(num) - p)) != 0)
    {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    return AV_OK;
}


static av_err_t
av_api_reference(av_api_request_t *req, const char *path,
    const char *reference_id)
{
    size_t  len;

    len = av_api_len(reference_id, AV_REFERENCE_MAX);

    if (!av_api_reference_valid(reference_id, len)) {
        return AV_ERR_MALFORMED_BODY;
    }

    if (av_api_set_path(req, path) != 0
        || av_api_field(req, "reference_id", reference_id, len) != 0)
    {
        return AV_ERR_INTERNAL;
    }

    return AV_OK;
}


av_err_t
av_api_finalize(av_api_request_t *req, const char *reference_id,
    const char *code)
{
    size_t    len;
    av_err_t  rc;

    av_api_start(req, AV_API_FINALIZE);

    /* the code is the client's value, so its error is the one they see
     * first; the reference id comes from our own record */
    len = av_api_len(code, AV_CODE_LEN);

    if (!av_code_valid(code, len)) {
        return av_api_fail(req, AV_ERR_INVALID_CODE);
    }

    rc = av_api_reference(req, AV_API_PATH_FINAL, reference_id);
    if (rc != AV_OK) {
        return av_api_fail(req, rc);
    }

    if (av_api_field(req, "verify_code", code, len) != 0) {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    return AV_OK;
}


av_err_t
av_api_finalize_callerid(av_api_request_t *req, const char *reference_id,
    const char *caller_id)
{
    size_t    len;
    av_err_t  rc;

    av_api_start(req, AV_API_FINALIZE_CALLERID);

    len = av_api_len(caller_id, AV_API_CALLER_MAX);

    if (!av_api_digits(caller_id, len, 1, AV_API_CALLER_MAX)) {
        return av_api_fail(req, AV_ERR_MALFORMED_BODY);
    }

    rc = av_api_reference(req, AV_API_PATH_CALLER, reference_id);
    if (rc != AV_OK) {
        return av_api_fail(req, rc);
    }

    if (av_api_field(req, "unknown_caller_id", caller_id, len) != 0) {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    return AV_OK;
}


av_err_t
av_api_finalize_timeout(av_api_request_t *req, const char *reference_id)
{
    av_err_t  rc;

    av_api_start(req, AV_API_FINALIZE_TIMEOUT);

    rc = av_api_reference(req, AV_API_PATH_TIMEOUT, reference_id);
    if (rc != AV_OK) {
        return av_api_fail(req, rc);
    }

    return AV_OK;
}


av_err_t
av_api_call_status(av_api_request_t *req, const char *reference_id)
{
    size_t  len, plen;

    av_api_start(req, AV_API_CALL_STATUS);

    len = av_api_len(reference_id, AV_REFERENCE_MAX);

    if (!av_api_reference_valid(reference_id, len)) {
        return av_api_fail(req, AV_ERR_MALFORMED_BODY);
    }

    plen = 0;

    if (av_api_append_lit(req->path, &plen, AV_API_PATH_MAX,
                          AV_API_PATH_CALL) != 0
        || av_api_append(req->path, &plen, AV_API_PATH_MAX, reference_id, len,
                         0) != 0)
    {
        return av_api_fail(req, AV_ERR_INTERNAL);
    }

    return AV_OK;
}


av_err_t
av_api_sign(av_api_request_t *req, const av_key_t *key,
    const char *customer_id, int64_t now)
{
    char              *p, sig[AV_B64_SHA256_LEN + 1];
    av_tsa_request_t   tsa;

    req->date[0] = '\0';
    req->nonce[0] = '\0';
    req->authorization[0] = '\0';

    /* sizeof(date) is 32; av_http_date() needs 30 */
    if (av_http_date((long long) now, req->date) == 0) {
        return AV_ERR_INTERNAL;
    }

    if (av_uuid_random(req->nonce) != 0) {
        req->date[0] = '\0';
        return AV_ERR_INTERNAL;
    }

    /* Telesign's SDKs and examples send the nonce in upper case */
    for (p = req->nonce; *p != '\0'; p++) {
        if (*p >= 'a' && *p <= 'f') {
            *p = (char) (*p - 'a' + 'A');
        }
    }

    tsa.method = req->method;
    tsa.content_type = req->content_type;
    tsa.date = req->date;
    tsa.nonce = req->nonce;
    tsa.body = req->body;
    tsa.body_len = req->body_len;
    tsa.path = req->path;
    tsa.x_ts_date = 0;

    av_tsa_sign(key, &tsa, sig);

    /* only a customer id longer than any real one (a UUID) gets here */
    if (customer_id == NULL
        || av_tsa_authorization(customer_id, sig, req->authorization,
                                sizeof(req->authorization)) == 0)
    {
        req->authorization[0] = '\0';
        return AV_ERR_INTERNAL;
    }

    return AV_OK;
}


/*
 * The missed call's caller-ID prefix.  The document has already been
 * through av_status_doc_parse(), which checked that it is JSON within the
 * scan's bounds; this second scan looks only at "prefix": verify_code is
 * never read, let alone copied.
 */
typedef struct {
    int       object;
    int       state;            /* 0: absent or null, 1: no string, 2: set */
    size_t    len;
    char      s[AV_PREFIX_MAX + 1];   /* one byte over, to see a longer one */
} av_prefix_scan_t;


static int
av_prefix_value(void *data, int parent, const char *key, size_t key_len,
    size_t index, const av_jv_t *v, const char **msg)
{
    av_prefix_scan_t  *ps = data;

    if (parent == 0) {
        ps->object = (v->type == AV_JV_OBJECT);
        return 1;
    }

    if (parent == 1 && key_len == 6 && memcmp(key, "prefix", 6) == 0) {

        /* null is Telesign's way of writing an absent member */
        if (v->type == AV_JV_NULL) {
            ps->state = 0;

        } else if (v->type != AV_JV_STRING) {
            ps->state = 1;

        } else {
            ps->state = 2;
            ps->len = v->len;
            memcpy(ps->s, v->s,
                   v->len < sizeof(ps->s) ? v->len : sizeof(ps->s));
        }
    }

    return 2;
}


static av_err_t
av_api_prefix(const char *body, size_t len, av_api_answer_t *ans,
    const char **msg)
{
    const char        *why;
    av_prefix_scan_t   ps;

    ps.object = 0;
    ps.state = 0;
    ps.len = 0;

    if (av_json_scan(body, len, av_prefix_value, NULL, &ps, &why) != 0) {
        *msg = "initiate answer is not JSON";
        return AV_ERR_UPSTREAM;
    }

    if (!ps.object || ps.state == 0) {
        *msg = "initiate answer has no prefix";
        return AV_ERR_UPSTREAM;
    }

    if (ps.state == 1) {
        *msg = "initiate answer's prefix is not a string";
        return AV_ERR_UPSTREAM;
    }

    if (ps.len > AV_PREFIX_MAX
        || !av_api_digits(ps.s, ps.len, 1, AV_PREFIX_MAX))
    {
        *msg = "initiate answer's prefix is not 1 to 15 digits";
        return AV_ERR_UPSTREAM;
    }

    memcpy(ans->prefix, ps.s, ps.len);
    ans->prefix[ps.len] = '\0';

    return AV_OK;
}


/*
 * The API whose codes an answer to call may carry: Get Status answers
 * with the SDK's codes, the missed-call endpoints with theirs.
 */
static av_status_api_t
av_api_codes(av_api_call_t call)
{
    return call == AV_API_GET_STATUS ? AV_STATUS_API_SDK
                                     : AV_STATUS_API_CALL;
}


static av_err_t
av_api_classify(av_api_call_t call, int http_status, const char *body,
    size_t len, av_api_answer_t *ans, const char **msg)
{
    av_err_t     rc;
    const char  *why;

    if (http_status == 0) {
        *msg = "no answer from Telesign";
        return AV_ERR_UPSTREAM;
    }

    if (len > AV_API_ANSWER_MAX) {
        *msg = "Telesign's answer is too large";
        return AV_ERR_UPSTREAM;
    }

    if (http_status >= 500) {
        *msg = "Telesign answered with a server error";
        return AV_ERR_UPSTREAM;
    }

    if (http_status == 401 || http_status == 403) {
        *msg = "Telesign refused our signature";
        return AV_ERR_UPSTREAM;
    }

    if (http_status == 429) {
        *msg = "Telesign rate-limited us";
        return AV_ERR_UPSTREAM;
    }

    /* Get Status of an xid Telesign does not know (or no longer keeps):
     * nothing to store, and the session is as good as unknown */
    if (call == AV_API_GET_STATUS
        && (http_status == 400 || http_status == 404))
    {
        if (av_status_doc_parse(body, len, &ans->doc, &why) == AV_OK
            && ans->doc.error_code == AV_API_ERR_NO_XID)
        {
            *msg = "Telesign does not know the xid";
            return AV_ERR_UNKNOWN_SESSION;
        }
    }

    /* a finalize of a call Telesign decided already (an earlier answer
     * may have been lost on the way): the caller asks for the outcome */
    if ((call == AV_API_FINALIZE || call == AV_API_FINALIZE_CALLERID
         || call == AV_API_FINALIZE_TIMEOUT)
        && http_status == 400
        && av_status_doc_parse(body, len, &ans->doc, &why) == AV_OK
        && ans->doc.error_code == AV_API_ERR_FINAL)
    {
        *msg = "Telesign decided the call already";
        return AV_ERR_ALREADY_FINAL;
    }

    if (http_status < 200 || http_status > 299) {
        *msg = "Telesign refused the request";
        return AV_ERR_UPSTREAM;
    }

    rc = av_status_doc_parse(body, len, &ans->doc, &why);
    if (rc != AV_OK) {
        *msg = why;
        return AV_ERR_UPSTREAM;
    }

    /* the parser lets an answer carrying only errors[] through */
    if (ans->doc.code == 0) {
        *msg = "Telesign's answer has no status code";
        return AV_ERR_UPSTREAM;
    }

    /*
     * A code means something only in the API that documents it: a Get
     * Status answer carrying the missed call's 2401 "Success", or a
     * finalize answer carrying the SDK's 1800, is no answer to apply.
     * A code no API documents is refused alike, rather than stored as a
     * state nobody can act on.
     */
    if (!av_status_in_api(av_api_codes(call), ans->doc.code)) {
        *msg = call == AV_API_GET_STATUS
               ? "Telesign's status code is not a Get Status code"
               : "Telesign's status code is not a missed-call API code";
        return AV_ERR_UPSTREAM;
    }

    if (call != AV_API_INITIATE) {
        *msg = "ok";
        return AV_OK;
    }

    /* without them there is nothing to finalize and nothing to show */
    if (ans->doc.reference_id[0] == '\0') {
        *msg = "initiate answer has no reference_id";
        return AV_ERR_UPSTREAM;
    }

    rc = av_api_prefix(body, len, ans, msg);
    if (rc != AV_OK) {
        return rc;
    }

    *msg = "ok";

    return AV_OK;
}


av_err_t
av_api_call_verdict(const av_api_answer_t *ans)
{
    av_state_t  state;

    state = av_status_state(ans->doc.code);

    switch (state) {

    case AV_STATE_PENDING:
        return AV_OK;

    case AV_STATE_BLOCKED:
        return AV_ERR_BLOCKED;

    case AV_STATE_VERIFIED:
        /* verified before the phone even rang: not an answer to trust */
        return AV_ERR_UPSTREAM;

    default:
        return ans->doc.code == 2404 ? AV_ERR_INVALID_PHONE : AV_ERR_FAILED;
    }
}


av_err_t
av_api_answer(av_api_call_t call, int http_status, const char *body,
    size_t len, av_api_answer_t *ans, const char **msg)
{
    av_err_t     rc;
    const char  *dummy;

    if (msg == NULL) {
        msg = &dummy;
    }

    memset(ans, 0, sizeof(av_api_answer_t));

    rc = av_api_classify(call, http_status, body, len, ans, msg);

    /* never hand back half an answer; an unknown session keeps its
     * document (errors[0].code) for the log */
    if (rc != AV_OK && rc != AV_ERR_UNKNOWN_SESSION) {
        memset(ans, 0, sizeof(av_api_answer_t));
    }

    return rc;
}


av_err_t
av_api_status_for(av_api_answer_t *ans, const char *xid)
{
    if (ans->doc.xid[0] == '\0') {
        snprintf(ans->doc.xid, sizeof(ans->doc.xid), "%s", xid);
        return AV_OK;
    }

    return strcmp(ans->doc.xid, xid) == 0 ? AV_OK : AV_ERR_UPSTREAM;
}


av_err_t
av_finalize_params_check(const av_params_t *params, const char **why)
{
    *why = NULL;

    if (params->has_code && !av_code_valid(params->code, params->code_len)) {
        return AV_ERR_INVALID_CODE;
    }

    if (!params->has_code && !params->has_caller_id && !params->has_timeout) {
        *why = "no code";
        return AV_ERR_INVALID_CODE;
    }

    return AV_OK;
}


av_err_t
av_api_finalize_for(av_api_request_t *req, const char *reference_id,
    const av_params_t *params)
{
    size_t    len;
    av_err_t  rc;
    char      caller[AV_PHONE_MAX + 1];

    if (params->has_code) {
        return av_api_finalize(req, reference_id, params->code);
    }

    if (params->has_caller_id) {
        rc = av_phone_normalize(params->caller_id, params->caller_id_len,
                                caller, &len);
        if (rc != AV_OK) {
            return rc;
        }

        return av_api_finalize_callerid(req, reference_id, caller);
    }

    return av_api_finalize_timeout(req, reference_id);
}
