/*
 * mod_appverify: the content handlers.
 *
 *   appverify-token     the JWT service the App Verify SDK calls
 *   appverify-callback  where Telesign POSTs the outcome (signed)
 *   appverify-status    the caller's own verification as JSON
 *   appverify-call      starts a missed-call verification
 *   appverify-finalize  the five digits the user read off the missed call
 *
 * The same requests, answers and error codes as nginx's
 * appverify_{token,callback,status,call,finalize}: the core parses, checks
 * and words everything; this file moves bytes.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"

#include "mod_appverify.h"

#include "av_credential.h"
#include "av_jwt.h"
#include "av_params.h"
#include "av_phone.h"
#include "av_tsa.h"


static int appverify_token(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc);
static int appverify_callback(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc);
static int appverify_status(request_rec *r, const appverify_dir_conf_t *dc);
static int appverify_call(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc);
static int appverify_finalize(request_rec *r, const appverify_dir_conf_t *dc);
static av_err_t appverify_params(request_rec *r, av_params_t *params);
static int appverify_wants_json(request_rec *r);
static av_err_t appverify_check_country(const appverify_dir_conf_t *dc,
    const char *phone, size_t len);
static av_err_t appverify_applied(request_rec *r, av_err_t rc,
    const char *xid);
static void appverify_attempt_release(request_rec *r,
    const appverify_dir_conf_t *dc, const char *xid);


typedef enum {
    APPVERIFY_TOKEN = 0,
    APPVERIFY_CALLBACK,
    APPVERIFY_STATUS,
    APPVERIFY_CALL,
    APPVERIFY_FINALIZE
} appverify_role_e;

static const char *appverify_handlers[] = {
    "appverify-token", "appverify-callback", "appverify-status",
    "appverify-call", "appverify-finalize", NULL
};


int
appverify_handler(request_rec *r)
{
    int                       role;
    appverify_dir_conf_t      dc;
    appverify_server_conf_t  *sc;

    if (r->handler == NULL || strncmp(r->handler, "appverify-", 10) != 0) {
        return DECLINED;
    }

    for (role = 0; appverify_handlers[role]; role++) {
        if (strcmp(r->handler, appverify_handlers[role]) == 0) {
            break;
        }
    }

    if (appverify_handlers[role] == NULL) {
        return DECLINED;
    }

    appverify_conf(r, &dc);
    sc = ap_get_module_config(r->server->module_config, &appverify_module);

    /* every role but an unsigned callback needs the key (nginx's rule) */
    if (sc->api_key == NULL
        && !(role == APPVERIFY_CALLBACK && !dc.signature))
    {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10740)
                      "appverify: %s needs AppVerifyCustomerId and "
                      "AppVerifyApiKeyFile", r->handler);
        return appverify_send_error(r, AV_ERR_INTERNAL, "not configured");
    }

    switch (role) {

    case APPVERIFY_TOKEN:
        return appverify_token(r, &dc, sc);

    case APPVERIFY_CALLBACK:
        return appverify_callback(r, &dc, sc);

    case APPVERIFY_STATUS:
        return appverify_status(r, &dc);

    case APPVERIFY_CALL:
        return appverify_call(r, &dc, sc);

    default: /* APPVERIFY_FINALIZE */
        return appverify_finalize(r, &dc);
    }
}


/*
 * The token endpoint: phone, or country_code + phone_number; optional xid;
 * as query arguments, a form body or a JSON body.  Answers the bare JWT as
 * text/plain (what the SDK reads) and the session credential as a cookie;
 * with "Accept: application/json" a JSON object with both.
 */

static int
appverify_token(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc)
{
    av_err_t        rc;
    av_params_t     params;
    av_answer_t     a;
    av_flow_conf_t  fc;

    /*
     * Not HEAD (httpd's M_GET with header_only): a token request starts a
     * verification, it is no probe (as nginx's token handler).
     */

    if ((r->method_number != M_GET && r->method_number != M_POST)
        || r->header_only)
    {
        ap_discard_request_body(r);
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    rc = appverify_params(r, &params);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    appverify_flow_conf(dc, sc, &fc);

    av_flow_token(&a, &fc, appverify_store(r), &params, r->useragent_ip,
                  appverify_wants_json(r), appverify_now_ms());

    return appverify_send_answer(r, dc, &a);
}


/*
 * The callback endpoint.  The signature is checked before anything is
 * parsed, unless the operator said AppVerifyCallbackSignature Off.  A
 * repeated callback answers the same and changes nothing; a terminal state
 * is never downgraded (av_record_apply decides).
 */

static int
appverify_callback(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc)
{
    char            *body;
    av_err_t         rc;
    apr_size_t       len;
    const char      *auth, *xts;
    av_answer_t      a;
    av_flow_conf_t   fc;

    if (r->method_number != M_POST) {
        ap_discard_request_body(r);
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    rc = appverify_read_body(r, dc->max_body, &body, &len);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    auth = apr_table_get(r->headers_in, "Authorization");
    xts = apr_table_get(r->headers_in, "X-TS-Authorization");

    appverify_flow_conf(dc, sc, &fc);

    av_flow_callback(&a, &fc, appverify_store(r), auth,
                     auth ? strlen(auth) : 0, xts, xts ? strlen(xts) : 0,
                     body, len, appverify_now_ms());

    return appverify_send_answer(r, dc, &a);
}


/* The status endpoint: the record behind the credential, as JSON. */

static int
appverify_status(request_rec *r, const appverify_dir_conf_t *dc)
{
    char         *json;
    size_t        len;
    av_err_t      rc;
    av_record_t   rec;
    char          xid[AV_XID_MAX + 1];

    ap_discard_request_body(r);

    if (r->method_number != M_GET) {
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    rc = appverify_credential(r, dc, xid);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    rc = appverify_record(r, dc, xid, &rec);

    /* the record is the answer, whatever its state; errors only without */
    if (rc != AV_OK && rc != AV_ERR_PENDING && rc != AV_ERR_FAILED
        && rc != AV_ERR_BLOCKED)
    {
        return appverify_send_error(r, rc, NULL);
    }

    json = apr_palloc(r->pool, AV_RECORD_JSON_MAX);

    len = av_record_json(&rec, json, AV_RECORD_JSON_MAX);
    if (len == 0) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "record json");
    }

    return appverify_send(r, HTTP_OK, "application/json", json, len);
}


/*
 * The record behind xid, as the gate and the status endpoint see it, and
 * the env for it.  When it is pending or absent here and Telesign's URL is
 * configured, Get Status is asked first: the lookup is claimed in the cache
 * before the call, so concurrent requests for the xid (any thread, any
 * process) cause one call and answer from the stored state meanwhile, and
 * a pending xid is asked at most once per lookup interval.  Missed-call
 * records are decided by finalize, not asked about.  Returns the gate's
 * verdict: AV_OK (verified, *out set), AV_ERR_PENDING / _FAILED / _BLOCKED
 * (*out set), AV_ERR_UNKNOWN_SESSION, or AV_ERR_UPSTREAM when Telesign
 * should have been asked and could not be: never "verified" then (fails
 * closed).
 */

av_err_t
appverify_record(request_rec *r, const appverify_dir_conf_t *dc,
    const char *xid, av_record_t *out)
{
    int                have;
    int64_t            claim;
    av_err_t           rc, looked;
    av_apply_t         applied;
    av_api_answer_t    ans;
    av_api_request_t   req;
    const av_store_t  *s;

    s = appverify_store(r);
    claim = 0;

    if (dc->telesign_url && dc->lookup) {

        /* the call ends within the timeout (libcurl's, for the whole
         * call): a claim outlives it by a second */

        rc = av_store_lookup_begin(s, xid, dc->lookup_interval_ms,
                                   ((int64_t) dc->timeout + 1) * 1000,
                                   appverify_now_ms(), out, &have, &claim);

    } else {
        rc = av_store_find(s, xid, strlen(xid), out);
        have = (rc == AV_OK);

        if (rc == AV_ERR_UNKNOWN_SESSION) {
            rc = AV_OK;
        }
    }

    if (rc != AV_OK) {
        return rc;
    }

    looked = AV_OK;

    if (claim) {

        /* the lookup is ours now: whatever happens, end it */

        looked = av_api_get_status(&req, xid);

        if (looked == AV_OK) {
            looked = appverify_client_call(r, dc, &req, &ans);
        }

        if (looked == AV_OK) {
            looked = av_api_status_for(&ans, xid);

            if (looked != AV_OK) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10741)
                              "appverify: telesign answered for xid \"%s\" "
                              "when asked about \"%s\"", ans.doc.xid, xid);
            }
        }

        applied = AV_APPLY_SAME;

        rc = av_store_lookup_end(s, xid, claim, dc->lookup_interval_ms,
                                 looked == AV_OK ? &ans.doc : NULL,
                                 appverify_now_ms(), out, &have, &applied);
        rc = appverify_applied(r, rc, xid);

        if (looked == AV_OK) {
            looked = rc;

            if (looked == AV_OK) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                              "appverify: get status for xid \"%s\": "
                              "code %d%s", xid, ans.doc.code,
                              applied == AV_APPLY_CHANGED ? ", stored" : "");
            }

        } else if (looked == AV_ERR_UNKNOWN_SESSION) {
            /* Telesign does not know it either: nothing to store */
            looked = AV_OK;
        }
    }

    if (have) {
        appverify_set_env(r, out);
    }

    /* fail closed, as nginx: the core decides */
    return av_record_verdict(have ? out : NULL, looked);
}


/*
 * The call endpoint (POST): the phone (and optionally the xid) as for the
 * token endpoint, with the same normalization, duplicate and rate rules; then Telesign's initiate.
 * Answers the caller-ID prefix to show and the session credential, never
 * Telesign's verify_code.
 */

static int
appverify_call(request_rec *r, const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc)
{
    char             *json;
    size_t            len, cred_len;
    av_err_t          rc;
    av_params_t       params;
    av_record_t       rec;
    av_api_answer_t   ans;
    av_api_request_t  req;
    const char       *why;
    char              phone[AV_PHONE_MAX + 1];
    char              xid[AV_XID_MAX + 1];
    char              cred[AV_CRED_MAX];

    if (r->method_number != M_POST) {
        ap_discard_request_body(r);
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    rc = appverify_params(r, &params);
    if (rc == AV_OK) {
        rc = av_params_phone(&params, phone, &len);
    }

    /* toll-fraud guard: no paid call to a country the operator refused */
    if (rc == AV_OK) {
        rc = appverify_check_country(dc, phone, len);
    }

    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    if (dc->telesign_url == NULL) {
        return appverify_send_error(r, AV_ERR_INTERNAL,
                                    "AppVerifyTelesignURL is not set");
    }

    if (params.has_xid) {
        memcpy(xid, params.xid, params.xid_len + 1);

    } else if (av_uuid_random(xid) != 0) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "no random");
    }

    av_record_init(&rec, xid, strlen(xid), phone, len, AV_FLOW_CALL,
                   appverify_now_ms());

    /* the duplicate and rate rules hold the place before money is spent */
    rc = av_store_start(appverify_store(r), &rec, &dc->start,
                        r->useragent_ip, &why);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, why);
    }

    rc = av_api_initiate(&req, phone, 0);
    if (rc == AV_OK) {
        rc = appverify_client_call(r, dc, &req, &ans);
    }

    /* Telesign may refuse to call: the core says what that means */
    if (rc == AV_OK) {
        rc = av_api_call_verdict(&ans);
        if (rc != AV_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "appverify: telesign did not place the call: "
                          "code %d", ans.doc.code);
        }
    }

    if (rc == AV_OK) {
        rc = av_store_call_placed(appverify_store(r), xid,
                                  ans.doc.reference_id, ans.prefix, &rec);
    }

    if (rc != AV_OK) {
        (void) av_store_forget(appverify_store(r), xid);
        return appverify_send_error(r, rc, "call not started");
    }

    cred_len = av_credential_issue(sc->session_key, xid, strlen(xid),
                                   (int64_t) apr_time_sec(apr_time_now())
                                   + dc->session_lifetime,
                                   cred, sizeof(cred));

    json = apr_palloc(r->pool, AV_RECORD_JSON_MAX);
    len = cred_len ? av_call_json(&rec, cred, cred_len, dc->session_lifetime,
                                  json, AV_RECORD_JSON_MAX)
                   : 0;
    if (len == 0) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "call json");
    }

    appverify_set_env(r, &rec);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "appverify: missed call placed for xid \"%s\"", xid);

    apr_table_addn(r->headers_out, "Set-Cookie",
                   appverify_cookie(r, dc, cred, cred_len));

    return appverify_send(r, HTTP_OK, "application/json", json, len);
}


/*
 * The finalize endpoint (POST): credential + code (five digits), or
 * caller_id (the call came from another number), or timeout (it never
 * came).  2401 verifies; a wrong code uses one of AppVerifyMaxAttempts.
 * The attempt is reserved in the cache before Telesign is asked (see
 * av_store_finalize_begin), so codes sent in parallel for one
 * session never get more checked than that: the others are 409
 * attempt_in_progress.  Every way out after the reservation ends it.
 */

static int
appverify_finalize(request_rec *r, const appverify_dir_conf_t *dc)
{
    char             *json;
    size_t            len;
    unsigned          left;
    av_err_t          rc;
    av_apply_t        applied;
    av_params_t       params;
    av_record_t       rec;
    av_api_answer_t   ans;
    av_api_request_t  req;
    const char       *why;
    char              xid[AV_XID_MAX + 1];

    if (r->method_number != M_POST) {
        ap_discard_request_body(r);
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    rc = appverify_credential(r, dc, xid);
    if (rc != AV_OK) {
        ap_discard_request_body(r);
        return appverify_send_error(r, rc, NULL);
    }

    rc = appverify_params(r, &params);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    /* bad digits are refused here, without spending an attempt */
    rc = av_finalize_params_check(&params, &why);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, why);
    }

    left = 0;

    /* one of the attempts, taken before Telesign is asked */
    rc = av_store_finalize_begin(appverify_store(r), xid,
                                 (unsigned) dc->max_attempts, &rec);

    switch (rc) {

    case AV_OK:
        break;

    case AV_ERR_ALREADY_FINAL:
    case AV_ERR_FAILED:
    case AV_ERR_BLOCKED:

        /* decided already: say so again, without asking Telesign */

        appverify_set_env(r, &rec);
        goto reply;

    default:
        return appverify_send_error(r, rc,
                   rc == AV_ERR_UNKNOWN_SESSION ? "not a missed-call session"
                                                : NULL);
    }

    appverify_set_env(r, &rec);

    if (dc->telesign_url == NULL) {
        appverify_attempt_release(r, dc, xid);
        return appverify_send_error(r, AV_ERR_INTERNAL,
                                    "AppVerifyTelesignURL is not set");
    }

    rc = av_api_finalize_for(&req, rec.reference_id, &params);

    if (rc == AV_OK) {
        rc = appverify_client_call(r, dc, &req, &ans);
    }

    if (rc == AV_OK) {

        /* the answer ends the reservation, counted or not */

        rc = av_store_finalize(appverify_store(r), xid, ans.doc.code,
                               (unsigned) dc->max_attempts,
                               appverify_now_ms(), &rec, &left);

    } else if (rc == AV_ERR_ALREADY_FINAL) {

        /*
         * Telesign decided the call already: the answer to an earlier
         * finalize was lost on the way.  Ask for the outcome instead of
         * guessing; it is a status to apply, not an attempt to count (as
         * nginx's finalize does), and ends the reservation.
         */

        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "appverify: finalize for xid \"%s\": telesign "
                      "decided the call already, asking for the outcome",
                      xid);

        rc = av_api_call_status(&req, rec.reference_id);

        if (rc == AV_OK) {
            rc = appverify_client_call(r, dc, &req, &ans);
        }

        if (rc == AV_OK) {
            apr_cpystrn(ans.doc.xid, xid, sizeof(ans.doc.xid));
            ans.doc.phone[0] = '\0';

            rc = av_store_apply(appverify_store(r), &ans.doc, 1,
                                appverify_now_ms(), &rec, &applied);
            rc = appverify_applied(r, rc, xid);
            left = av_record_attempts_left(&rec,
                                           (unsigned) dc->max_attempts);

        } else {
            appverify_attempt_release(r, dc, xid);
            rc = AV_ERR_UPSTREAM;
        }

    } else {

        /* no usable answer: the code was not checked, as far as we know */

        appverify_attempt_release(r, dc, xid);
    }

    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    appverify_set_env(r, &rec);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "appverify: finalize for xid \"%s\": code %d, %s, "
                  "%u attempts left", xid, ans.doc.code,
                  av_state_name(rec.state), left);

reply:

    json = apr_palloc(r->pool, AV_RECORD_JSON_MAX);

    len = av_finalize_json(&rec, left, json, AV_RECORD_JSON_MAX);
    if (len == 0) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "finalize json");
    }

    return appverify_send(r, av_finalize_http_status(&rec),
                          "application/json", json, len);
}


/* Query arguments first, then the body (form or JSON); the core parses. */

static av_err_t
appverify_params(request_rec *r, av_params_t *params)
{
    char        *body;
    av_err_t     rc;
    apr_size_t   len;
    const char  *type;

    av_params_init(params);

    if (r->args && r->args[0]) {
        rc = av_params_parse_form(params, r->args, strlen(r->args));
        if (rc != AV_OK) {
            ap_discard_request_body(r);
            return rc;
        }
    }

    if (r->method_number != M_POST) {
        ap_discard_request_body(r);
        return AV_OK;
    }

    rc = appverify_read_body(r, AV_PARAMS_BODY_MAX, &body, &len);
    if (rc != AV_OK || len == 0) {
        return rc;
    }

    type = apr_table_get(r->headers_in, "Content-Type");

    if (type && strncasecmp(type, "application/json", 16) == 0) {
        return av_params_parse_json(params, body, len);
    }

    return av_params_parse_form(params, body, len);
}


static int
appverify_wants_json(request_rec *r)
{
    const char  *accept;

    accept = apr_table_get(r->headers_in, "Accept");

    return accept != NULL && ap_strcasestr(accept, "application/json") != NULL;
}


/* AppVerifyCountries: the core compares the number's own assigned code */

static av_err_t
appverify_check_country(const appverify_dir_conf_t *dc, const char *phone,
    size_t len)
{
    if (dc->countries == NULL) {
        return AV_OK;
    }

    return av_phone_check_country(phone, len,
                                  (const unsigned *) dc->countries->elts,
                                  (size_t) dc->countries->nelts);
}


/* A status from Telesign that the core refused to apply: said in the log. */

static av_err_t
appverify_applied(request_rec *r, av_err_t rc, const char *xid)
{
    if (rc == AV_ERR_MALFORMED_BODY) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(10720)
                      "appverify: status for xid \"%s\" names another "
                      "phone than the one it was issued for, ignored", xid);
    }

    return rc;
}


/* Gives a reserved attempt back: Telesign was not asked, or its answer
 * could not be read, so the code was not checked as far as we know. */

static void
appverify_attempt_release(request_rec *r, const appverify_dir_conf_t *dc,
    const char *xid)
{
    (void) av_store_attempt_end(appverify_store(r), xid, 0,
                                (unsigned) dc->max_attempts,
                                appverify_now_ms());
}
