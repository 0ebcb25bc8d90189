/*
 * mod_appverify: "Require appverify-verified", the gate, and
 * "AuthType appverify", the gate as httpd's authentication.
 *
 * An authz provider (the mod_authz_user model), so it combines with
 * <RequireAll>, <RequireAny>, <RequireNone> and every other Require.  It
 * checks the session credential (one HMAC), reads the record (and asks
 * Telesign's Get Status when the record is pending or absent and
 * AppVerifyTelesignURL is set), and sets APPVERIFY_PHONE, _XID, _STATUS
 * and _VERIFIED in the request's env, also when it refuses, so that logs
 * show who was refused.
 *
 * The answer must be the one nginx gives: 401 for no usable credential or
 * a pending verification, 403 once it failed or is blocked, with the
 * core's JSON body.  mod_authz_core decides the status from what the
 * providers return, so the provider speaks its language:
 *
 *   403 reasons  AUTHZ_DENIED: without an AuthType, mod_authz_core
 *                answers 403;
 *   401 reasons  AUTHZ_DENIED_NO_USER, "an identity could change this":
 *                mod_authz_core then runs the authentication hooks, where
 *                appverify_authn below answers 401 with
 *                WWW-Authenticate: Bearer (unless an AuthType of the
 *                operator's own is configured there: then that module
 *                authenticates, as usual).
 *   503 reasons  (Telesign or the store could not be asked) the same way:
 *                appverify_authn answers the 503 itself, as nginx's gate
 *                does; a plain "denied" would become httpd's 403.
 *
 * Under "AuthType appverify" the authentication hook runs the gate and
 * answers its refusals (401, 403 or 503) itself; a verified session's
 * phone is r->user, so "Require valid-user", %u and REMOTE_USER see it.
 *
 * The body: httpd writes its HTML error page for both; an error filter,
 * inserted only for our own refusals and only when no ErrorDocument is
 * configured for that status, swaps it for the core's JSON (the nginx
 * module's header/body filter does the same).  An ErrorDocument 401 or
 * 403 of the operator's (e.g. a redirect to a verification page) wins.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "mod_core.h"             /* ap_response_code_string */
#include "util_filter.h"
#include "apr_strings.h"

#include <openssl/crypto.h>       /* CRYPTO_memcmp */

#include "mod_appverify.h"


#define APPVERIFY_DENY_FILTER  "APPVERIFY_DENY"


/*
 * Verified is almost final: only a later terminal status from Telesign
 * (blocked, say) replaces it.  So each worker thread remembers the last
 * few credentials it found verified for one second (never past the
 * credential's own expiry), and a busy session does not take the global
 * mutex (shmcb needs it around every read) on each of its requests: that
 * mutex was the Apache gate's whole cost (bench/RESULTS.md).  The bytes
 * are those of a credential whose MAC was checked, compared in constant
 * time; a block arriving for a verified session reaches the gate within
 * that second.  Thread-local, so the cache itself needs no lock.
 */

#define APPVERIFY_SEEN_SLOTS  8
#define APPVERIFY_SEEN_TTL    apr_time_from_sec(1)

typedef struct {
    apr_time_t   until;
    size_t       len;
    char         cred[AV_CRED_MAX];
    av_record_t  rec;
} appverify_seen_t;

static __thread appverify_seen_t  appverify_seen[APPVERIFY_SEEN_SLOTS];


static appverify_seen_t *
appverify_seen_slot(const char *cred, size_t len)
{
    size_t    i;
    unsigned  h;

    h = 5381;

    for (i = 0; i < len; i++) {
        h = h * 33 + (unsigned char) cred[i];
    }

    return &appverify_seen[h % APPVERIFY_SEEN_SLOTS];
}


static int
appverify_seen_hit(const appverify_seen_t *seen, const char *cred,
    size_t len, apr_time_t now)
{
    return seen->until > now && seen->len == len
           && CRYPTO_memcmp(seen->cred, cred, len) == 0;
}


/* 401 and 5xx refusals: mod_authz_core's status for a denial is 403 */

static int
appverify_answered_by_authn(av_err_t err)
{
    int  status;

    status = av_err_http_status(err);

    return status == HTTP_UNAUTHORIZED || status >= 500;
}


/* "AuthType appverify": the gate is then the authentication too. */

static int
appverify_is_auth_type(request_rec *r)
{
    const char  *type;

    type = ap_auth_type(r);

    return type != NULL && strcasecmp(type, "appverify") == 0;
}


/*
 * The gate, once a request: the core's av_flow_status decides (the
 * credential, the record, Get Status when it is pending or absent here;
 * with AppVerifyRedis, this node's copy first) and words the log line.  AV_OK: verified, the record in rq; else the
 * reason it was refused.
 */

static av_err_t
appverify_gate(request_rec *r)
{
    size_t                    len;
    apr_time_t                now, until;
    const char               *cred, *missing;
    av_answer_t               a;
    av_exchange_t             x;
    av_flow_conf_t            fc;
    appverify_req_t          *rq;
    appverify_seen_t         *seen;
    appverify_dir_conf_t      dc;
    appverify_server_conf_t  *sc;

    rq = appverify_req(r);

    if (rq->gated) {
        return rq->deny;
    }

    rq->gated = 1;
    rq->deny = AV_ERR_INTERNAL;

    appverify_conf(r, &dc);
    sc = ap_get_module_config(r->server->module_config, &appverify_module);

    missing = appverify_missing(&dc, sc, AV_EP_GATE);
    if (missing) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "appverify: Require appverify needs %s", missing);
        return AV_ERR_INTERNAL;
    }

    len = 0;
    cred = appverify_credential(r, &dc, &len);
    now = apr_time_now();
    seen = NULL;

    if (cred != NULL && len <= AV_CRED_MAX) {
        seen = appverify_seen_slot(cred, len);

        if (appverify_seen_hit(seen, cred, len, now)) {
            appverify_set_env(r, &seen->rec);
            av_metrics_request(appverify_store(r)->metrics, AV_EP_GATE,
                               AV_OK);
            rq->deny = AV_OK;
            return AV_OK;
        }
    }

    appverify_flow_conf(&dc, sc, &fc);
    appverify_flow_status(r, &dc, &fc, AV_USE_GATE, cred, len, &x, &a);

    if (a.have_rec) {
        appverify_set_env(r, &a.rec);
    }

    if (a.level != AV_LOG_NONE) {
        ap_log_rerror(APLOG_MARK, appverify_log_level(a.level), 0, r,
                      "appverify: %s", a.log);
    }

    if (a.err == AV_OK && seen) {
        until = now + APPVERIFY_SEEN_TTL;

        if (until > apr_time_from_sec(x.exp)) {
            until = apr_time_from_sec(x.exp);
        }

        seen->until = until;
        seen->len = len;
        memcpy(seen->cred, cred, len);
        seen->rec = a.rec;
    }

    rq->deny = a.err;

    return a.err;
}


/*
 * "Require appverify-verified": the gate's verdict in mod_authz_core's
 * terms.  Under "AuthType appverify" the authentication step runs the
 * gate and sets the user; the provider, asked first without a user, says
 * so (AUTHZ_DENIED_NO_USER) and is asked again after it.
 */

static authz_status
appverify_check_authorization(request_rec *r, const char *require_args,
    const void *parsed_require_args)
{
    av_err_t          err;
    appverify_req_t  *rq;

    rq = appverify_req(r);

    if (r->user == NULL && !rq->gated && appverify_is_auth_type(r)) {
        return AUTHZ_DENIED_NO_USER;
    }

    err = appverify_gate(r);

    if (err == AV_OK) {
        rq->denied = 0;
        return AUTHZ_GRANTED;
    }

    /* every refusal, ours included, gets the core's JSON (as nginx's) */
    rq->denied = 1;

    if (err == AV_ERR_INTERNAL) {
        return AUTHZ_GENERAL_ERROR;
    }

    return appverify_answered_by_authn(err) ? AUTHZ_DENIED_NO_USER
                                            : AUTHZ_DENIED;
}


static const char *
appverify_parse_config(cmd_parms *cmd, const char *args,
    const void **parsed)
{
    if (args && *args) {
        return "Require appverify-verified takes no arguments";
    }

    return NULL;
}


static const authz_provider  appverify_authz_provider = {
    &appverify_check_authorization,
    &appverify_parse_config,
};


/*
 * The authentication step.  Under "AuthType appverify" it is the gate:
 * a verified session's phone becomes r->user (%u, REMOTE_USER,
 * "Require valid-user", other modules), and a refusal is answered here
 * with the gate's status.  Without an AuthType it runs only after our
 * provider said AUTHZ_DENIED_NO_USER, to answer that 401 (or 503)
 * itself; under another AuthType, that module authenticates.
 */

static int
appverify_authn(request_rec *r)
{
    int               status;
    av_err_t          err;
    const char       *challenge;
    appverify_req_t  *rq;

    rq = ap_get_module_config(r->request_config, &appverify_module);

    if (appverify_is_auth_type(r)) {
        err = appverify_gate(r);
        rq = appverify_req(r);

        if (err == AV_OK) {
            r->user = apr_pstrdup(r->pool, rq->rec.phone[0] ? rq->rec.phone
                                                             : rq->rec.xid);
            r->ap_auth_type = "appverify";
            rq->denied = 0;
            return OK;
        }

        rq->denied = 1;

        if (err == AV_ERR_INTERNAL) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (rq == NULL || !rq->denied
               || !appverify_answered_by_authn(rq->deny)
               || ap_auth_type(r) != NULL)
    {
        return DECLINED;
    }

    status = av_err_http_status(rq->deny);
    challenge = av_err_challenge(rq->deny);

    if (challenge) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", challenge);
    }

    return status;
}


/* A later error of another kind (a 404 of the handler, say) is not ours. */

static int
appverify_fixups(request_rec *r)
{
    appverify_req_t  *rq;

    rq = ap_get_module_config(r->request_config, &appverify_module);

    if (rq) {
        rq->denied = 0;
    }

    return DECLINED;
}


typedef struct {
    av_err_t  err;
    int       sent;
} appverify_deny_ctx_t;


static void
appverify_insert_error_filter(request_rec *r)
{
    appverify_req_t       *rq;
    appverify_deny_ctx_t  *ctx;

    rq = ap_get_module_config(r->request_config, &appverify_module);

    if (rq == NULL || !rq->denied
        || r->status != av_err_http_status(rq->deny)
        || ap_response_code_string(r, ap_index_of_response(r->status)))
    {
        return;
    }

    ctx = apr_pcalloc(r->pool, sizeof(appverify_deny_ctx_t));
    ctx->err = rq->deny;

    ap_add_output_filter(APPVERIFY_DENY_FILTER, ctx, r, r->connection);
}


/* Swallows httpd's HTML error page and sends the core's JSON instead. */

static apr_status_t
appverify_deny_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    char                  *json;
    apr_size_t             len;
    apr_bucket            *b, *next;
    request_rec           *r = f->r;
    appverify_deny_ctx_t  *ctx = f->ctx;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);

        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
    }

    if (!ctx->sent) {
        /* the first call: the headers have not gone out yet */
        ctx->sent = 1;

        json = apr_palloc(r->pool, AV_ERR_JSON_MAX);
        len = av_err_json(ctx->err, json, AV_ERR_JSON_MAX);

        ap_set_content_type(r, "application/json");
        ap_set_content_length(r, len);

        b = apr_bucket_pool_create(json, len, r->pool, f->c->bucket_alloc);
        APR_BRIGADE_INSERT_HEAD(bb, b);
    }

    return ap_pass_brigade(f->next, bb);
}


void
appverify_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "appverify-verified",
                              AUTHZ_PROVIDER_VERSION,
                              &appverify_authz_provider,
                              AP_AUTH_INTERNAL_PER_CONF);

    /* before mod_authn_core's "no AuthType, no user" (APR_HOOK_LAST) */
    ap_hook_check_authn(appverify_authn, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);

    ap_hook_fixups(appverify_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_insert_error_filter(appverify_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);

    ap_register_output_filter(APPVERIFY_DENY_FILTER, appverify_deny_filter,
                              NULL, AP_FTYPE_CONTENT_SET);
}
