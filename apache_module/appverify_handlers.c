/*
 * mod_appverify: the content handlers.
 *
 *   appverify-token     the JWT service the App Verify SDK calls
 *   appverify-callback  where Telesign POSTs the outcome (signed)
 *   appverify-status    the caller's own verification as JSON
 *   appverify-call      starts a missed-call verification
 *   appverify-finalize  the five digits the user read off the missed call
 *   appverify-metrics   the counters, for Prometheus to scrape
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


static int appverify_token(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len);
static int appverify_callback(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len);
static int appverify_status(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len);
static int appverify_call(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len);
static int appverify_finalize(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len);
static int appverify_metrics(request_rec *r);
static av_err_t appverify_params(request_rec *r, const char *body,
    apr_size_t len, av_params_t *params);


typedef enum {
    APPVERIFY_TOKEN = 0,
    APPVERIFY_CALLBACK,
    APPVERIFY_STATUS,
    APPVERIFY_CALL,
    APPVERIFY_FINALIZE,
    APPVERIFY_METRICS
} appverify_role_e;

static const char *appverify_handlers[] = {
    "appverify-token", "appverify-callback", "appverify-status",
    "appverify-call", "appverify-finalize", "appverify-metrics", NULL
};

static const av_endpoint_t appverify_endpoints[] = {
    AV_EP_TOKEN, AV_EP_CALLBACK, AV_EP_STATUS, AV_EP_CALL, AV_EP_FINALIZE
};


int
appverify_handler(request_rec *r)
{
    int                       role;
    char                     *body;
    av_err_t                  rc;
    apr_size_t                body_len;
    const char               *missing;
    av_flow_conf_t            fc;
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

    if (role == APPVERIFY_METRICS) {
        return appverify_metrics(r);
    }

    appverify_conf(r, &dc);
    sc = ap_get_module_config(r->server->module_config, &appverify_module);

    missing = appverify_missing(&dc, sc, appverify_endpoints[role]);
    if (missing) {
        ap_discard_request_body(r);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "appverify: %s needs %s", r->handler, missing);
        return appverify_send_error(r, AV_ERR_INTERNAL, "not configured");
    }

    /* the method and the body are the core's rule (nginx's too) */
    rc = appverify_accept(r, appverify_endpoints[role], dc.max_body, &body,
                          &body_len);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    appverify_flow_conf(&dc, sc, &fc);

    switch (role) {

    case APPVERIFY_TOKEN:
        return appverify_token(r, &dc, &fc, body, body_len);

    case APPVERIFY_CALLBACK:
        return appverify_callback(r, &dc, &fc, body, body_len);

    case APPVERIFY_STATUS:
        return appverify_status(r, &dc, &fc, body, body_len);

    case APPVERIFY_CALL:
        return appverify_call(r, &dc, &fc, body, body_len);

    default: /* APPVERIFY_FINALIZE */
        return appverify_finalize(r, &dc, &fc, body, body_len);
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
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len)
{
    av_err_t           rc;
    av_params_t        params;
    av_answer_t        a;
    const char        *accept;
    appverify_step_t   st;

    rc = appverify_params(r, body, body_len, &params);

    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    accept = apr_table_get(r->headers_in, "Accept");

    appverify_step_init(&st, APPVERIFY_STEP_TOKEN, r, fc, AV_EP_TOKEN,
                        NULL);
    st.params = &params;
    st.json = av_accept_json(accept, accept ? strlen(accept) : 0);

    (void) appverify_run(&st, &a);

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
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len)
{
    const char        *auth, *xts;
    av_answer_t        a;
    appverify_step_t   st;

    auth = apr_table_get(r->headers_in, "Authorization");
    xts = apr_table_get(r->headers_in, "X-TS-Authorization");

    appverify_step_init(&st, APPVERIFY_STEP_CALLBACK, r, fc, AV_EP_CALLBACK,
                        NULL);
    st.auth = auth;
    st.auth_len = auth ? strlen(auth) : 0;
    st.xts = xts;
    st.xts_len = xts ? strlen(xts) : 0;
    st.body = body;
    st.body_len = body_len;
    st.memo = apr_pcalloc(r->pool, sizeof(av_callback_memo_t));

    (void) appverify_run(&st, &a);

    /* the outcome, kept on the node that took it (AppVerifyRedis) */
    appverify_store_keep(r, &a);

    return appverify_send_answer(r, dc, &a);
}


/*
 * The status endpoint: the record behind the credential, as JSON; asked
 * about first when it is pending or absent here (av_flow_status; with
 * AppVerifyRedis, this node's copy first: appverify_flow_status).
 */

static int
appverify_status(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len)
{
    size_t          len;
    const char     *cred;
    av_answer_t     a;
    av_exchange_t   x;

    len = 0;
    cred = appverify_credential(r, dc, &len);

    appverify_flow_status(r, dc, fc, AV_USE_STATUS, cred, len, &x, &a);

    return appverify_send_answer(r, dc, &a);
}


/*
 * The call endpoint (POST): the phone (and optionally the xid) as for the
 * token endpoint; the core has Telesign place the call and answers the
 * caller-ID prefix to show with the session credential (av_flow_call).
 */

static int
appverify_call(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len)
{
    av_err_t           rc;
    av_next_t          next;
    av_params_t        params;
    av_answer_t        a;
    av_exchange_t      x;
    appverify_step_t   st;

    rc = appverify_params(r, body, body_len, &params);

    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    appverify_step_init(&st, APPVERIFY_STEP_CALL, r, fc, AV_EP_CALL,
                        &x);
    st.params = &params;

    next = appverify_run(&st, &a);
    appverify_ask(dc, &st, &a, next);

    return appverify_send_answer(r, dc, &a);
}


/*
 * The finalize endpoint (POST): credential + code (five digits), or
 * caller_id (the call came from another number), or timeout (it never
 * came); the core reserves an attempt before Telesign is asked, so codes
 * sent in parallel never get more checked than AppVerifyMaxAttempts
 * (av_flow_finalize).
 */

static int
appverify_finalize(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, const char *body, apr_size_t body_len)
{
    size_t             len;
    av_err_t           rc;
    av_next_t          next;
    const char        *cred;
    av_params_t        params;
    av_answer_t        a;
    av_exchange_t      x;
    appverify_step_t   st;

    rc = appverify_params(r, body, body_len, &params);
    if (rc != AV_OK) {
        return appverify_send_error(r, rc, NULL);
    }

    len = 0;
    cred = appverify_credential(r, dc, &len);

    appverify_step_init(&st, APPVERIFY_STEP_FINALIZE, r, fc, AV_EP_FINALIZE,
                        &x);
    st.params = &params;
    st.cred = cred;
    st.cred_len = len;

    next = appverify_run(&st, &a);
    appverify_ask(dc, &st, &a, next);
    appverify_store_keep(r, &a);

    return appverify_send_answer(r, dc, &a);
}


/*
 * "SetHandler appverify-metrics": the counters (av_metrics.h) in
 * Prometheus's text format, the mod_status model.  One store per server,
 * so one zone, named "appverify".
 */

static int
appverify_metrics(request_rec *r)
{
    char               *buf;
    apr_size_t          size, len;
    av_metrics_zone_t   z;
    const av_store_t   *s;

    ap_discard_request_body(r);

    if (r->method_number != M_GET) {
        return appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED, NULL);
    }

    s = appverify_store(r);

    z.zone = "appverify";
    z.m = s->metrics;
    z.have_bytes = 0;
    z.bytes_used = 0;
    z.bytes_free = 0;
    z.have_records = 0;        /* a socache cannot be counted through */

    if (z.m == NULL) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "no store");
    }

    size = av_metrics_render_max(1);
    buf = apr_palloc(r->pool, size);
    len = av_metrics_render(&z, 1, buf, size);

    if (len >= size) {
        return appverify_send_error(r, AV_ERR_INTERNAL, "metrics too large");
    }

    return appverify_send(r, HTTP_OK,
                          "text/plain; version=0.0.4; charset=utf-8", buf,
                          len);
}


/* The request's fields: the query, then a form or JSON body (the core's
 * rule, av_params_read). */

static av_err_t
appverify_params(request_rec *r, const char *body, apr_size_t len,
    av_params_t *params)
{
    const char  *type;

    type = apr_table_get(r->headers_in, "Content-Type");

    return av_params_read(params, appverify_method(r), r->args,
                          r->args ? strlen(r->args) : 0, body, len, type,
                          type ? strlen(type) : 0);
}
