/*
 * mod_appverify: Telesign App Verify at the Apache httpd edge.
 *
 * Types shared by the module's files.  Every rule (JWT, signatures, phone
 * numbers, status codes, credentials, record updates, the HTTP answer for
 * each error) lives in common/; the files here only move bytes between
 * httpd and the core and own httpd's resources: configuration, the socache
 * and its mutex, pools, responses, the outbound HTTP client.
 *
 *   mod_appverify.c       directives, configuration, hooks
 *   appverify_store.c     the core's store (av_store.h) on mod_socache;
 *                         with AppVerifyRedis, the node's copy in front
 *   appverify_redis.c     a shared Redis (hiredis): the core's rounds
 *   appverify_request.c   reading requests, writing answers, credentials
 *   appverify_handlers.c  token, callback, status, call, finalize
 *   appverify_authz.c     "Require appverify-verified" and its JSON denial
 *   appverify_client.c    the outbound calls to Telesign (libcurl)
 */

#ifndef MOD_APPVERIFY_H
#define MOD_APPVERIFY_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"

#include "av_defaults.h"
#include "av_error.h"
#include "av_key.h"
#include "av_record.h"
#include "av_start.h"
#include "av_flow.h"
#include "av_store.h"
#include "av_api.h"
#include "av_rounds.h"

#define APPVERIFY_UNSET  (-1)

/* per server: the identity and secrets, read once at configuration time */
typedef struct {
    const char  *customer_id;
    av_key_t    *api_key;
    av_key_t    *api_key_previous;   /* in rotation; NULL when none */
    av_key_t    *session_key;
    av_key_t    *session_key_previous;
    const char  *api_key_file;       /* for messages only */
    apr_time_t   record_ttl;         /* -1: unset (12h) */
} appverify_server_conf_t;

#define APPVERIFY_RECORD_TTL  apr_time_from_sec(AV_DEFAULT_RECORD_TTL)

/* per directory / location: the tunables, merged like nginx's loc conf */
typedef struct {
    int          token_lifetime;     /* seconds */
    int          session_lifetime;
    int          pending_timeout;
    int          rate;               /* requests per 1000 s */
    int          burst;

    /* toll-fraud guards on the endpoints that start verifications */
    apr_array_header_t  *countries;  /* of unsigned; NULL: all */
    int          client_rate;        /* per client address; 0: off */
    int          client_burst;
    int          prefix_rate;        /* per number range; 0: off */
    int          prefix_burst;
    int          prefix_digits;      /* the range: the first N digits */

    int          max_attempts;
    int          lookup;             /* On/Off */
    apr_int64_t  lookup_interval_ms;
    int          timeout;            /* outbound, seconds */
    int          max_calls;          /* outbound in flight, per child */
    int          signature;          /* callbacks must be signed */
    int          cookie_secure;
    apr_off_t    max_body;
    const char  *cookie_name;
    const char  *cookie_samesite;
    const char  *telesign_url;       /* NULL: no outbound calls here */

    av_start_conf_t  start;          /* appverify_conf: the above, for the
                                      * core */
} appverify_dir_conf_t;

/* per request: what the gate decided, for the env, the user and the JSON
 * denial */
typedef struct {
    av_record_t  rec;
    unsigned     have_rec:1;
    unsigned     denied:1;
    unsigned     gated:1;            /* the gate ran: deny is its verdict */
    unsigned     store_seen:1;       /* the cache answered this request */
    av_err_t     deny;
    av_store_t   store;              /* appverify_store(r) */
    av_store_t   cache;              /* appverify_store_cache(r) */
    int          stale;              /* the copy answers if Redis cannot */
} appverify_req_t;

/* a step of a flow: one call of the core's */
typedef enum {
    APPVERIFY_STEP_TOKEN = 0,
    APPVERIFY_STEP_CALLBACK,
    APPVERIFY_STEP_STATUS,           /* and the gate */
    APPVERIFY_STEP_CALL,
    APPVERIFY_STEP_FINALIZE,
    APPVERIFY_STEP_ANSWERED          /* Telesign answered the last one */
} appverify_step_e;

/* what a step reads (appverify_run), each flow its own: it may run more
 * than once (av_rounds.h) */
typedef struct {
    appverify_step_e       step;
    request_rec           *r;
    const av_flow_conf_t  *fc;
    av_endpoint_t          ep;               /* for the counters */
    av_exchange_t         *x;                /* NULL: the flow has none */
    av_params_t           *params;           /* token, call, finalize */
    int                    json;             /* token */
    av_use_t               use;              /* status, gate */
    const char            *cred;             /* status, gate, finalize */
    size_t                 cred_len;
    const char            *auth;             /* callback: its headers */
    size_t                 auth_len;
    const char            *xts;
    size_t                 xts_len;
    av_callback_memo_t    *memo;
    const char            *body;             /* callback; Telesign's answer */
    size_t                 body_len;
    int                    status;           /* Telesign's answer */
} appverify_step_t;

extern module AP_MODULE_DECLARE_DATA appverify_module;

/* per-module LogLevel (LogLevel appverify:debug); mod_appverify.c gets it
 * from AP_DECLARE_MODULE */
#ifndef APPVERIFY_DECLARES_MODULE
APLOG_USE_MODULE(appverify);
#endif

/* mod_appverify.c */
appverify_req_t *appverify_req(request_rec *r);
const char  *appverify_secret_read(cmd_parms *cmd, const char *arg,
    apr_size_t max, char **buf, apr_size_t *len, const char **file);
void         appverify_secret_wipe(char *buf, apr_size_t max);
void         appverify_conf(request_rec *r, appverify_dir_conf_t *out);

/* appverify_store.c */
apr_status_t appverify_store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
    apr_pool_t *ptemp, server_rec *s);
void         appverify_store_child_init(apr_pool_t *p, server_rec *s);
const char  *appverify_store_set_provider(cmd_parms *cmd, const char *arg);
int          appverify_store_pre_config(apr_pool_t *pconf);
const av_store_t *appverify_store(request_rec *r);
const av_store_t *appverify_store_cache(request_rec *r);
void         appverify_store_keep(request_rec *r, const av_answer_t *a);

/* appverify_redis.c */
void         appverify_redis_pre_config(void);
int          appverify_redis_enabled(void);
const char  *appverify_redis_set(cmd_parms *cmd, int argc,
    char *const argv[]);
av_next_t    appverify_redis_run(request_rec *r, av_endpoint_t ep,
    av_rounds_step_pt step, void *data, av_exchange_t *x, av_answer_t *a);

/* appverify_request.c */
int          appverify_send(request_rec *r, int status, const char *type,
    const char *body, apr_size_t len);
int          appverify_send_error(request_rec *r, av_err_t err,
    const char *detail);
int          appverify_send_answer(request_rec *r,
    const appverify_dir_conf_t *dc, const av_answer_t *a);
void         appverify_flow_conf(const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc, av_flow_conf_t *fc);
const char  *appverify_missing(const appverify_dir_conf_t *dc,
    const appverify_server_conf_t *sc, av_endpoint_t ep);
void         appverify_step_init(appverify_step_t *st, appverify_step_e step,
    request_rec *r, const av_flow_conf_t *fc, av_endpoint_t ep,
    av_exchange_t *x);
av_next_t    appverify_run(appverify_step_t *st, av_answer_t *a);
void         appverify_flow_status(request_rec *r,
    const appverify_dir_conf_t *dc, const av_flow_conf_t *fc, av_use_t use,
    const char *cred, size_t len, av_exchange_t *x, av_answer_t *a);
int          appverify_log_level(av_log_level_t level);
av_method_t  appverify_method(request_rec *r);
av_err_t     appverify_accept(request_rec *r, av_endpoint_t ep,
    apr_size_t max_body, char **body, apr_size_t *len);
const char  *appverify_credential(request_rec *r,
    const appverify_dir_conf_t *dc, size_t *len);
const char  *appverify_cookie(request_rec *r, const appverify_dir_conf_t *dc,
    const char *cred, apr_size_t len);
void         appverify_set_env(request_rec *r, const av_record_t *rec);
int64_t      appverify_now_ms(void);

/* appverify_handlers.c */
int          appverify_handler(request_rec *r);

/* appverify_authz.c */
void         appverify_authz_register(apr_pool_t *p);

/* appverify_client.c */
void         appverify_ask(const appverify_dir_conf_t *dc,
    appverify_step_t *st, av_answer_t *a, av_next_t next);
void         appverify_client_child_init(apr_pool_t *p, server_rec *s);

#endif /* MOD_APPVERIFY_H */
