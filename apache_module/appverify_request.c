/*
 * mod_appverify: what the handlers share to read requests and answer them.
 *
 * Every error answer is decided by the core (av_err_*): the status, the
 * JSON body and its reason code, so the nginx and Apache modules can never
 * disagree.  A handler's answer, error or not, is written by the handler
 * itself with r->status set (returning the status would make httpd write
 * its HTML error page instead).
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "mod_appverify.h"

#include "av_conf.h"
#include "av_credential.h"


static av_err_t appverify_read_body(request_rec *r, apr_off_t max,
    char **body, apr_size_t *len);

int
appverify_send(request_rec *r, int status, const char *type,
    const char *body, apr_size_t len)
{
    r->status = status;
    ap_set_content_type(r, type);
    ap_set_content_length(r, len);

    /* answers about one person's verification are never cacheable */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");

    if (!r->header_only && len) {
        ap_rwrite(body, (int) len, r);
    }

    return OK;
}


int
appverify_log_level(av_log_level_t level)
{
    /* the core says which; httpd's words for it */

    switch (level) {
    case AV_LOG_ERR:
        return APLOG_ERR;
    case AV_LOG_WARN:
        return APLOG_WARNING;
    case AV_LOG_INFO:
        return APLOG_INFO;
    default:
        return APLOG_DEBUG;
    }
}


/* An error answer from a handler, with its one log line. */

int
appverify_send_error(request_rec *r, av_err_t err, const char *detail)
{
    av_answer_t  a;

    av_answer_error(&a, err, detail);

    return appverify_send_answer(r, NULL, &a);
}


/*
 * What a flow of the core decided, sent as it is: its log line, the
 * record for the env, the session as the cookie (dc may be NULL when the
 * answer sets none), the body.
 */

int
appverify_send_answer(request_rec *r, const appverify_dir_conf_t *dc,
    const av_answer_t *a)
{
    const char  *cookie;

    ap_log_rerror(APLOG_MARK, appverify_log_level(a->level), 0, r,
                  "appverify: %s", a->log);

    if (a->have_rec) {
        appverify_set_env(r, &a->rec);
    }

    if (a->session_len && dc != NULL) {
        cookie = appverify_cookie(r, dc, a->session, a->session_len);
        if (cookie == NULL) {
            return appverify_send_error(r, AV_ERR_INTERNAL, "cookie");
        }

        apr_table_addn(r->headers_out, "Set-Cookie", cookie);
    }

    return appverify_send(r, a->status, a->type, a->body, a->body_len);
}


/*
 * NULL when the server has what a location of endpoint ep needs (the
 * core's rule, nginx's too: av_conf_needs), else the directives it lacks.
 * A handler is chosen per request (SetHandler), so this is asked then.
 */

const char *
appverify_missing(const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc, av_endpoint_t ep)
{
    unsigned  need;

    need = av_conf_needs(ep, dc->signature,
                         dc->telesign_url != NULL && dc->lookup);

    if (((need & AV_NEED_API_KEY) && sc->api_key == NULL)
        || ((need & AV_NEED_CUSTOMER_ID) && sc->customer_id == NULL))
    {
        return "AppVerifyCustomerId and AppVerifyApiKeyFile";
    }

    if ((need & AV_NEED_SESSION_KEY) && sc->session_key == NULL) {
        return "AppVerifyApiKeyFile or AppVerifySessionKeyFile";
    }

    return NULL;
}


/* The configuration the core's flows read, from this request's. */

void
appverify_flow_conf(const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc, av_flow_conf_t *fc)
{
    fc->copy = 0;       /* the store is the store; av_flow_status_copy says
                           when it is a copy */
    fc->api_key = sc->api_key;
    fc->api_key_previous = sc->api_key_previous;
    fc->customer_id = sc->customer_id;
    fc->session_key = sc->session_key;
    fc->session_key_previous = sc->session_key_previous;
    fc->cred_cache = NULL;      /* the server's threads share sc: no cache
                                   without a lock, and the gate is within
                                   its target without one */
    fc->token_lifetime = dc->token_lifetime;
    fc->session_lifetime = dc->session_lifetime;
    fc->countries = dc->countries ? (const unsigned *) dc->countries->elts
                                  : NULL;
    fc->ncountries = dc->countries ? (size_t) dc->countries->nelts : 0;
    fc->start = dc->start;
    fc->signature = dc->signature;
    fc->telesign = (dc->telesign_url != NULL);
    fc->lookup = fc->telesign && dc->lookup;
    fc->lookup_interval_ms = dc->lookup_interval_ms;
    fc->call_timeout_ms = (int64_t) dc->timeout * 1000;  /* libcurl's, for
                                                           the whole call */
    fc->attempts = (unsigned) dc->max_attempts;
}


/* What a step reads, for appverify_run: who asks, for which endpoint's
 * counters; x (NULL: the flow has none) zeroed, for the core's flows to
 * fill in.  The flow's own fields are the caller's to set. */

void
appverify_step_init(appverify_step_t *st, appverify_step_e step,
    request_rec *r, const av_flow_conf_t *fc, av_endpoint_t ep,
    av_exchange_t *x)
{
    memset(st, 0, sizeof(*st));
    st->step = step;
    st->r = r;
    st->fc = fc;
    st->ep = ep;
    st->x = x;

    if (x != NULL) {
        memset(x, 0, sizeof(*x));
    }
}


/* The step's one call of the core, on s. */

static av_next_t
appverify_step(void *data, const av_store_t *s, av_answer_t *a)
{
    int64_t            now;
    appverify_step_t  *st = data;

    now = appverify_now_ms();

    switch (st->step) {

    case APPVERIFY_STEP_TOKEN:
        av_flow_token(a, st->fc, s, st->params, st->r->useragent_ip,
                      st->json, now);
        return AV_NEXT_SEND;

    case APPVERIFY_STEP_CALLBACK:
        /* the signature checked and the body parsed once, however many
         * runs */
        av_flow_callback_memo(a, st->fc, s, st->memo, st->auth,
                              st->auth_len, st->xts, st->xts_len, st->body,
                              st->body_len, now);
        return AV_NEXT_SEND;

    case APPVERIFY_STEP_STATUS:
        return av_flow_status(st->x, a, st->fc, s, st->use, st->cred,
                              st->cred_len, now);

    case APPVERIFY_STEP_CALL:
        return av_flow_call(st->x, a, st->fc, s, st->params,
                            st->r->useragent_ip, now);

    case APPVERIFY_STEP_FINALIZE:
        return av_flow_finalize(st->x, a, st->fc, s, st->cred, st->cred_len,
                                st->params, now);

    default: /* APPVERIFY_STEP_ANSWERED */
        return av_flow_answered(st->x, a, st->fc, s, st->status, st->body,
                                st->body_len, now);
    }
}


/*
 * Runs a step on r's store: at once on the socache; with AppVerifyRedis
 * in the core's rounds, which may run it more than once.
 */

av_next_t
appverify_run(appverify_step_t *st, av_answer_t *a)
{
    if (appverify_redis_enabled()) {
        return appverify_redis_run(st->r, st->ep, appverify_step, st, st->x,
                                   a);
    }

    return appverify_step(st, appverify_store(st->r), a);
}


/*
 * The gate and the status endpoint: av_flow_status, Get Status included.
 * With AppVerifyRedis, this node's copy is asked first: a terminal record
 * kept there less than the lookup interval ago is the answer, and Redis is
 * not asked; one kept earlier answers only when Redis cannot (a session
 * this node keeps verified passes while Redis is down).  Anything else is
 * Redis's to answer, and a terminal record it answers is kept here.
 */

void
appverify_flow_status(request_rec *r, const appverify_dir_conf_t *dc,
    const av_flow_conf_t *fc, av_use_t use, const char *cred, size_t len,
    av_exchange_t *x, av_answer_t *a)
{
    av_next_t          next;
    av_copy_t          copy;
    av_answer_t       *stale;
    appverify_step_t   st;
    const av_store_t  *cache;

    stale = NULL;
    cache = appverify_store_cache(r);

    if (cache) {
        copy = av_flow_status_copy(x, a, fc, cache,
                                   appverify_store(r)->metrics, use, cred,
                                   len, appverify_now_ms());
        if (copy == AV_COPY_ANSWER) {
            return;
        }

        if (copy == AV_COPY_STALE) {
            stale = apr_pmemdup(r->pool, a, sizeof(av_answer_t));
        }
    }

    /* with a stale copy to answer, a 503 of Redis is not counted */
    appverify_req(r)->stale = (stale != NULL);

    appverify_step_init(&st, APPVERIFY_STEP_STATUS, r, fc,
                        use == AV_USE_GATE ? AV_EP_GATE : AV_EP_STATUS, x);
    st.use = use;
    st.cred = cred;
    st.cred_len = len;

    next = appverify_run(&st, a);
    appverify_ask(dc, &st, a, next);

    if (a->err == AV_ERR_STORE_UNAVAILABLE && stale != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "appverify: redis unavailable: answered from this "
                      "node's copy of xid \"%s\"", stale->rec.xid);
        av_flow_status_stale(a, stale, appverify_store(r)->metrics, use);
        return;
    }

    appverify_store_keep(r, a);
}


/* The request's method in the core's terms: httpd's HEAD is M_GET with
 * header_only. */

av_method_t
appverify_method(request_rec *r)
{
    return r->header_only ? AV_METHOD_HEAD
           : (r->method_number == M_GET) ? AV_METHOD_GET
           : (r->method_number == M_POST) ? AV_METHOD_POST
           : AV_METHOD_OTHER;
}


/*
 * What an endpoint takes is the core's rule (av_flow_accepts): a request
 * it refuses has its body discarded.  Else the body is read, whole, into
 * r->pool, NUL-terminated, up to the endpoint's limit (av_flow_body_max),
 * announced or actual.
 */

av_err_t
appverify_accept(request_rec *r, av_endpoint_t ep, apr_size_t max_body,
    char **body, apr_size_t *len)
{
    av_err_t  rc;

    rc = av_flow_accepts(ep, appverify_method(r), -1, max_body);
    if (rc != AV_OK) {
        *body = "";
        *len = 0;
        ap_discard_request_body(r);
        return rc;
    }

    return appverify_read_body(r, (apr_off_t) av_flow_body_max(ep, max_body),
                               body, len);
}


static av_err_t
appverify_read_body(request_rec *r, apr_off_t max, char **body,
    apr_size_t *len)
{
    long         n;
    char        *buf;
    apr_size_t   got;

    *body = "";
    *len = 0;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        return AV_ERR_MALFORMED_BODY;
    }

    if (!ap_should_client_block(r)) {
        return AV_OK;
    }

    if (r->remaining > max) {
        return AV_ERR_BODY_TOO_LARGE;
    }

    /* one byte more than allowed tells a chunked body that is too long */
    buf = apr_palloc(r->pool, (apr_size_t) max + 2);
    got = 0;

    for ( ;; ) {
        n = ap_get_client_block(r, buf + got, (apr_size_t) max + 1 - got);

        if (n < 0) {
            return AV_ERR_MALFORMED_BODY;
        }

        if (n == 0) {
            break;
        }

        got += (apr_size_t) n;

        if (got > (apr_size_t) max) {
            return AV_ERR_BODY_TOO_LARGE;
        }
    }

    buf[got] = '\0';
    *body = buf;
    *len = got;

    return AV_OK;
}


/*
 * Finds the session credential: "Authorization: Bearer" wins, else the
 * cookie.  Returns it (*len bytes), or NULL when the request sent none;
 * the core's flows check it.
 */

const char *
appverify_credential(request_rec *r, const appverify_dir_conf_t *dc,
    size_t *len)
{
    const char  *h, *cred;

    h = apr_table_get(r->headers_in, "Authorization");

    if (h && av_credential_from_bearer(h, strlen(h), &cred, len)) {
        return cred;
    }

    h = apr_table_get(r->headers_in, "Cookie");

    if (h && av_credential_from_cookie(h, strlen(h), dc->cookie_name,
                                       strlen(dc->cookie_name), &cred, len))
    {
        return cred;
    }

    return NULL;
}


/* The Set-Cookie value for a fresh credential. */

const char *
appverify_cookie(request_rec *r, const appverify_dir_conf_t *dc,
    const char *cred, apr_size_t len)
{
    char        *cookie;
    apr_size_t   size;

    /* the format and its room are the core's, the same on both servers */

    size = av_cookie_size(strlen(dc->cookie_name), len, dc->cookie_samesite);
    cookie = apr_palloc(r->pool, size);

    if (av_cookie_format(cookie, size, dc->cookie_name,
                         strlen(dc->cookie_name), cred, len,
                         dc->session_lifetime, dc->cookie_secure,
                         dc->cookie_samesite)
        == 0)
    {
        return NULL;
    }

    return cookie;
}


/*
 * APPVERIFY_PHONE, _XID, _STATUS and _VERIFIED for CGI, logs
 * (%{APPVERIFY_PHONE}e) and RequestHeader/Header expressions; nginx's
 * $appverify_* variables.
 */

void
appverify_set_env(request_rec *r, const av_record_t *rec)
{
    appverify_req_t  *rq;

    rq = appverify_req(r);
    rq->rec = *rec;
    rq->have_rec = 1;

    if (rec->phone[0]) {
        apr_table_setn(r->subprocess_env, "APPVERIFY_PHONE",
                       apr_pstrdup(r->pool, rec->phone));
    }

    apr_table_setn(r->subprocess_env, "APPVERIFY_XID",
                   apr_pstrdup(r->pool, rec->xid));
    apr_table_setn(r->subprocess_env, "APPVERIFY_STATUS",
                   apr_itoa(r->pool, rec->code));
    apr_table_setn(r->subprocess_env, "APPVERIFY_VERIFIED",
                   rec->state == AV_STATE_VERIFIED ? "1" : "0");
}


int64_t
appverify_now_ms(void)
{
    return (int64_t) apr_time_as_msec(apr_time_now());
}
