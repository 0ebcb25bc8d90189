/*
 * mod_appverify: the outbound calls to Telesign, with libcurl.
 *
 * The core's flows build each request (path, form body) and sign it
 * with a fresh date and nonce; this file sends exactly that and hands the
 * HTTP status and body back to the flow (av_flow_answered), which decides
 * what counts as an answer: anything else (no connection, a timeout, a
 * TLS failure, 5xx, an answer over AV_API_ANSWER_MAX) fails closed,
 * exactly as nginx's module does.
 *
 * httpd's threads block on the call (there is no subrequest machinery to
 * lend the thread back, as nginx does), bounded by
 * AppVerifyTelesignTimeout.  Each child keeps a few easy handles in a
 * stack: a handle keeps its connections, so TLS sessions and keep-alive
 * to Telesign are reused across requests; a thread takes one for the
 * duration of a call.  TLS certificates and host names are always
 * verified; redirects are never followed.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_atomic.h"

#include <curl/curl.h>

#include "mod_appverify.h"


#define APPVERIFY_HANDLES_MAX  16


/* the calls this child's threads wait on now (AppVerifyTelesignMaxCalls),
 * and when the cap was last said in the log */
static apr_uint32_t         appverify_calls;
static apr_uint32_t         appverify_capped_at;

static apr_thread_mutex_t  *appverify_handles_lock;
static CURL                *appverify_handles[APPVERIFY_HANDLES_MAX];
static int                  appverify_nhandles;
static int                  appverify_curl_ready;


typedef struct {
    char        *buf;
    apr_size_t   len;
    int          too_big;
} appverify_answer_buf_t;


static apr_status_t
appverify_client_cleanup(void *data)
{
    while (appverify_nhandles > 0) {
        curl_easy_cleanup(appverify_handles[--appverify_nhandles]);
    }

    if (appverify_curl_ready) {
        curl_global_cleanup();
        appverify_curl_ready = 0;
    }

    return APR_SUCCESS;
}


/* Before the child's threads exist: curl_global_init is not thread-safe. */

void
appverify_client_child_init(apr_pool_t *p, server_rec *s)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_appverify: curl_global_init failed; calls to "
                     "Telesign will fail");
        return;
    }

    appverify_curl_ready = 1;
    appverify_nhandles = 0;

    if (apr_thread_mutex_create(&appverify_handles_lock,
                                APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS)
    {
        appverify_handles_lock = NULL;
    }

    apr_pool_cleanup_register(p, NULL, appverify_client_cleanup,
                              apr_pool_cleanup_null);
}


static CURL *
appverify_handle_take(void)
{
    CURL  *h;

    h = NULL;

    if (appverify_handles_lock
        && apr_thread_mutex_lock(appverify_handles_lock) == APR_SUCCESS)
    {
        if (appverify_nhandles > 0) {
            h = appverify_handles[--appverify_nhandles];
        }

        apr_thread_mutex_unlock(appverify_handles_lock);
    }

    if (h) {
        curl_easy_reset(h);    /* options go, connections stay */
        return h;
    }

    return curl_easy_init();
}


static void
appverify_handle_give(CURL *h)
{
    if (appverify_handles_lock
        && apr_thread_mutex_lock(appverify_handles_lock) == APR_SUCCESS)
    {
        if (appverify_nhandles < APPVERIFY_HANDLES_MAX) {
            appverify_handles[appverify_nhandles++] = h;
            h = NULL;
        }

        apr_thread_mutex_unlock(appverify_handles_lock);
    }

    if (h) {
        curl_easy_cleanup(h);
    }
}


static size_t
appverify_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    appverify_answer_buf_t  *ab = userdata;

    size_t  n;

    n = size * nmemb;

    /* larger answers are refused unread (av_api.h) */
    if (ab->len + n > AV_API_ANSWER_MAX) {
        ab->too_big = 1;
        return 0;
    }

    memcpy(ab->buf + ab->len, data, n);
    ab->len += n;

    return n;
}


/* One warning a second at most, however many requests meet the cap. */

static void
appverify_capped(request_rec *r, const appverify_dir_conf_t *dc,
    const av_api_request_t *req)
{
    apr_uint32_t  now, last;

    now = (apr_uint32_t) apr_time_sec(apr_time_now());
    last = apr_atomic_read32(&appverify_capped_at);

    if (last != now
        && apr_atomic_cas32(&appverify_capped_at, now, last) == last)
    {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "appverify: %s %s not sent: %d calls to Telesign in "
                      "flight in this process, AppVerifyTelesignMaxCalls",
                      req->method, req->path, dc->max_calls);
    }
}


/*
 * Sends req, built and signed by the core, to AppVerifyTelesignURL as it
 * is.  Returns Telesign's HTTP status with its body in *body, *len (in
 * r->pool), or 0 when no answer came (refused, timed out, reset, too
 * large): the core decides what either means.
 */

static int
appverify_client_send(request_rec *r, const appverify_dir_conf_t *dc,
    const av_api_request_t *req, char **body, apr_size_t *len)
{
    long                     status;
    CURL                    *h;
    char                    *url;
    CURLcode                 cc;
    struct curl_slist       *hdrs;
    appverify_answer_buf_t   ab;
    char                     errbuf[CURL_ERROR_SIZE];

    *body = "";
    *len = 0;

    if (!appverify_curl_ready || dc->telesign_url == NULL) {
        return 0;
    }

    /* a slow Telesign must not take every thread: past the cap, the
     * request is not sent, and the core answers as if no answer came */
    if (apr_atomic_inc32(&appverify_calls) >= (apr_uint32_t) dc->max_calls) {
        apr_atomic_dec32(&appverify_calls);
        appverify_capped(r, dc, req);
        return 0;
    }

    h = appverify_handle_take();
    if (h == NULL) {
        apr_atomic_dec32(&appverify_calls);
        return 0;
    }

    url = apr_pstrcat(r->pool, dc->telesign_url, req->path, NULL);

    hdrs = NULL;
    hdrs = curl_slist_append(hdrs, apr_pstrcat(r->pool, "Authorization: ",
                                               req->authorization, NULL));
    hdrs = curl_slist_append(hdrs, apr_pstrcat(r->pool, "Date: ", req->date,
                                               NULL));
    hdrs = curl_slist_append(hdrs, "x-ts-auth-method: HMAC-SHA256");
    hdrs = curl_slist_append(hdrs, apr_pstrcat(r->pool, "x-ts-nonce: ",
                                               req->nonce, NULL));
    hdrs = curl_slist_append(hdrs, "Accept: application/json");

    /* curl would add "Expect: 100-continue"; Telesign needs no dialogue */
    hdrs = curl_slist_append(hdrs, "Expect:");

    ab.buf = apr_palloc(r->pool, AV_API_ANSWER_MAX + 1);
    ab.len = 0;
    ab.too_big = 0;
    errbuf[0] = '\0';

    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);          /* threads */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) dc->timeout * 1000);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) dc->timeout * 1000);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, appverify_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ab);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mod_appverify");

    if (strcmp(req->method, "POST") == 0) {
        hdrs = curl_slist_append(hdrs, apr_pstrcat(r->pool, "Content-Type: ",
                                                   req->content_type, NULL));
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) req->body_len);

    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    cc = curl_easy_perform(h);

    status = 0;

    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    } else {
        /* how it failed is libcurl's to say; what it means, the core's */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "appverify: %s %s: %s", req->method, req->path,
                      ab.too_big ? "answer too large"
                      : errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }

    /* a handle whose call failed may hold a broken connection: drop it */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);

    if (cc == CURLE_OK) {
        appverify_handle_give(h);

    } else {
        curl_easy_cleanup(h);
    }

    curl_slist_free_all(hdrs);

    apr_atomic_dec32(&appverify_calls);

    ab.buf[ab.len] = '\0';
    *body = ab.buf;
    *len = ab.len;

    return (int) status;
}


/*
 * Runs a flow of the core to its answer: each question it asks (Get
 * Status, initiate, finalize, call status) is sent, and its answer handed
 * back, until the flow says what to send.  The thread waits on each call,
 * at most AppVerifyTelesignTimeout.
 */

void
appverify_ask(const appverify_dir_conf_t *dc, appverify_step_t *st,
    av_answer_t *a, av_next_t next)
{
    char        *body;
    apr_size_t   len;

    while (next == AV_NEXT_ASK) {
        st->status = appverify_client_send(st->r, dc, &st->x->req, &body,
                                           &len);
        st->step = APPVERIFY_STEP_ANSWERED;
        st->body = body;
        st->body_len = len;

        next = appverify_run(st, a);
    }
}
