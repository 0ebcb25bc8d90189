
/*
 * appverify: Telesign App Verify at the nginx edge.
 *
 * Types shared by the module's files.  The rules (JWT, signatures, phone
 * numbers, status codes, credentials, record updates) live in common/; the
 * files here only move bytes between nginx and the core and own nginx's
 * resources: configuration, the shared memory zone, pools and responses.
 */


#ifndef _NGX_HTTP_APPVERIFY_MODULE_H_INCLUDED_
#define _NGX_HTTP_APPVERIFY_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "av_api.h"
#include "av_credential.h"
#include "av_defaults.h"
#include "av_params.h"
#include "av_error.h"
#include "av_flow.h"
#include "av_hash.h"
#include "av_key.h"
#include "av_record.h"
#include "av_rounds.h"
#include "av_snap.h"
#include "av_start.h"
#include "av_store.h"


/* a zone's shared store (ngx_http_appverify_redis.c): a Redis reached
 * through an internal location with appverify_redis_pass */

typedef struct {
    ngx_str_t                    zone;         /* appverify_zone's name */
    ngx_str_t                    uri;          /* the internal location */
    ngx_str_t                    password;     /* password_file's; or empty */
    ngx_int_t                    db;           /* -1: SELECT none */
    ngx_str_t                    prefix;
    char                         sha1[41];     /* the CAS script's */
} ngx_http_appverify_redis_t;


/* one zone: the limit_req model; records in a hash table, the core's other
 * items (rate buckets, Get Status claims) in a tree */

typedef struct {
    void                       **xid_hash;     /* record nodes by xid */
    ngx_uint_t                   xid_hash_mask;
    u_char                       hash_key[AV_HASH_KEY_LEN]; /* the zone's own */
    ngx_rbtree_t                 smalls;
    ngx_rbtree_node_t            small_sentinel;
    ngx_queue_t                  record_queue; /* newest first */
    ngx_queue_t                  small_queue;  /* most recently used first */
    ngx_uint_t                   records;      /* for the log and tests */
    ngx_uint_t                   by_state[AV_STATE_BLOCKED + 1];  /* metrics */
    ngx_uint_t                   evicted;
    time_t                       full_logged;  /* rate-limits the alert */
    av_metrics_t                 metrics;      /* appverify_metrics */
} ngx_http_appverify_shctx_t;


typedef struct {
    ngx_http_appverify_shctx_t  *sh;
    ngx_slab_pool_t             *shpool;
    time_t                       ttl;
    ngx_shm_zone_t              *shm_zone;
    av_hash_t                   *hash;         /* keyed with sh->hash_key */
    av_store_t                   store;        /* the core's view of it */
    u_char                      *name;         /* NUL-terminated, for metrics */
    ngx_http_appverify_redis_t  *redis;        /* NULL: the zone is the
                                                  store; else its cache */
} ngx_http_appverify_zone_t;


typedef struct {
    ngx_str_t                    customer_id;
    av_key_t                    *api_key;
    av_key_t                    *api_key_previous;     /* or NULL */
    av_key_t                    *session_key;
    av_key_t                    *session_key_previous; /* or NULL */
    av_cred_cache_t             *cred_cache;   /* a worker's own (copy on
                                                  write after the fork) */
    ngx_str_t                    api_key_file;   /* for messages only */
    ngx_array_t                 *zones;  /* of ngx_http_appverify_zone_t * */
} ngx_http_appverify_main_conf_t;


typedef enum {
    NGX_HTTP_APPVERIFY_NONE = 0,
    NGX_HTTP_APPVERIFY_TOKEN,
    NGX_HTTP_APPVERIFY_CALLBACK,
    NGX_HTTP_APPVERIFY_STATUS,
    NGX_HTTP_APPVERIFY_CALL,
    NGX_HTTP_APPVERIFY_FINALIZE
} ngx_http_appverify_role_e;


typedef struct {
    ngx_uint_t                   role;          /* the content handler */
    ngx_shm_zone_t              *zone;          /* ... and its zone */
    ngx_shm_zone_t              *require_zone;  /* the access gate's zone */
    ngx_str_t                    upstream;      /* call, finalize, status */
    ngx_str_t                    require_lookup;   /* the gate's */

    ngx_uint_t                   rate;          /* requests per 1000 s */
    ngx_uint_t                   burst;

    /* toll-fraud guards for the endpoints that start verifications */
    ngx_array_t                 *countries;     /* of unsigned; NULL: all */
    ngx_uint_t                   client_rate;
    ngx_uint_t                   client_burst;
    ngx_uint_t                   prefix_rate;
    ngx_uint_t                   prefix_burst;
    ngx_uint_t                   prefix_digits;
    av_start_conf_t              start;         /* the above, for the core */
    ngx_flag_t                   signature;     /* callbacks must be signed */
    ngx_uint_t                   attempts;      /* finalize tries */
    ngx_msec_t                   lookup_interval;

    time_t                       token_lifetime;
    time_t                       session_lifetime;
    time_t                       pending_timeout;
    size_t                       max_body;
    ngx_str_t                    cookie_name;
    ngx_flag_t                   cookie_secure;
    ngx_str_t                    cookie_samesite;
} ngx_http_appverify_loc_conf_t;


/* A step of a flow: one core call, run once on a zone, or in rounds with
 * Redis (ngx_http_appverify_run.c). */

typedef struct ngx_http_appverify_ctx_s  ngx_http_appverify_ctx_t;

typedef av_next_t (*ngx_http_appverify_run_pt)(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a);

typedef struct {
    av_rounds_t                  rounds;        /* the core's protocol */
    ngx_http_request_t          *sr;            /* the round in flight */
    void                        *reply;         /* its redisReply */
    ngx_uint_t                   expect;        /* replies it waits for */
    unsigned                     out:1;         /* a round is out */
    unsigned                     done:1;        /* ... and has ended */
} ngx_http_appverify_rounds_t;


/* per request: what the variables show, a flow's exchange with Telesign,
 * and a denial to render as JSON */

struct ngx_http_appverify_ctx_s {
    av_record_t                  rec;           /* for the variables */

    /* a core flow across its steps (ngx_http_appverify_ask.c) */
    av_exchange_t                x;
    av_flow_conf_t               fc;
    const av_store_t            *store;
    ngx_str_t                   *ask_uri;       /* Telesign's location */
    ngx_http_appverify_zone_t   *zone;
    av_endpoint_t                ep;            /* for the metrics */

    /* the step being run, what it reads, its rounds with Redis */
    ngx_http_appverify_run_pt    run;
    av_next_t                    next;
    av_params_t                 *params;
    ngx_str_t                    body;
    av_callback_memo_t          *memo;          /* checked and parsed once */
    ngx_uint_t                   json;
    av_use_t                     use;           /* status, gate */
    unsigned                     cacheable:1;   /* the copy may answer */
    av_answer_t                 *stale;         /* the copy's answer, for
                                                   when Redis cannot */
    ngx_http_appverify_rounds_t *rd;            /* NULL: not yet */

    unsigned                     asking:1;      /* a step is out */
    unsigned                     ask_cleanup:1; /* abandons it on exit */

    /* the call to Telesign through a subrequest */
    ngx_uint_t                   up_status;     /* 0: no answer */
    u_char                      *up_body;
    size_t                       up_len;
    ngx_http_request_t          *up_sr;         /* the call in flight */
    unsigned                     up_done:1;
    unsigned                     up_signed:1;   /* it sent our signature */

    unsigned                     have_rec:1;
    unsigned                     gated:1;         /* the gate decided */
    unsigned                     deny_json:1;     /* gate said no */
    unsigned                     deny_replace:1;  /* header filter took it */
    unsigned                     deny_sent:1;     /* our body is out */
    av_err_t                     deny;            /* AV_OK: let in */
    ngx_table_elt_t             *deny_www;        /* our WWW-Authenticate */
};


/* ngx_http_appverify_module.c: a value by the core's rule in cmd->post
 * (av_conf.h), of the field's type for the rule's kind */

char *ngx_http_appverify_set_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_appverify_zone.c */

ngx_int_t ngx_http_appverify_init_zone(ngx_shm_zone_t *shm_zone, void *data);

/* ngx_http_appverify_ask.c */

void ngx_http_appverify_ask_init(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_shm_zone_t *zone, ngx_str_t *uri);
ngx_int_t ngx_http_appverify_drive(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_run_pt run,
    av_answer_t *a);
ngx_int_t ngx_http_appverify_resume(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);
void ngx_http_appverify_endpoint_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_run_pt run);
void ngx_http_appverify_endpoint_answered(ngx_http_request_t *r);

/* ngx_http_appverify_run.c */

ngx_int_t ngx_http_appverify_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_run_pt run,
    av_answer_t *a);
ngx_int_t ngx_http_appverify_run_resume(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_answer_t *a);

/* ngx_http_appverify_redis.c */

ngx_http_appverify_redis_t *ngx_http_appverify_redis_conf(
    ngx_shm_zone_t *zone);
ngx_int_t ngx_http_appverify_redis_round(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_redis_t *rc,
    ngx_uint_t argc, const char **argv, const size_t *argvlen);

/* ngx_http_appverify_upstream.c */

ngx_int_t ngx_http_appverify_upstream(ngx_http_request_t *r,
    ngx_str_t *prefix, ngx_http_appverify_ctx_t *ctx);

/* $appverify_telesign_*, by data */
#define NGX_HTTP_APPVERIFY_TS_METHOD          0
#define NGX_HTTP_APPVERIFY_TS_AUTHORIZATION   1
#define NGX_HTTP_APPVERIFY_TS_DATE            2
#define NGX_HTTP_APPVERIFY_TS_NONCE           3
#define NGX_HTTP_APPVERIFY_TS_CONTENT_TYPE    4
#define NGX_HTTP_APPVERIFY_TS_CONTENT_LENGTH  5

ngx_int_t ngx_http_appverify_telesign_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* ngx_http_appverify_reply.c */

ngx_int_t ngx_http_appverify_metrics_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len);
ngx_int_t ngx_http_appverify_send_answer(ngx_http_request_t *r,
    av_answer_t *a);
void ngx_http_appverify_flow_conf(ngx_http_request_t *r, av_flow_conf_t *fc);
ngx_int_t ngx_http_appverify_send_error(ngx_http_request_t *r, av_err_t err,
    const char *detail);
void ngx_http_appverify_log_answer(ngx_http_request_t *r, av_answer_t *a);
ngx_int_t ngx_http_appverify_deny(ngx_http_request_t *r, av_err_t err);
av_method_t ngx_http_appverify_method(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_accept(ngx_http_request_t *r, av_endpoint_t ep,
    ngx_http_client_body_handler_pt post_handler);
av_err_t ngx_http_appverify_body(ngx_http_request_t *r, av_endpoint_t ep,
    ngx_str_t *body);
ngx_table_elt_t *ngx_http_appverify_header(ngx_http_request_t *r,
    const char *name, size_t len);
ngx_table_elt_t *ngx_http_appverify_push_header(ngx_http_request_t *r,
    const char *name);
ngx_uint_t ngx_http_appverify_credential(ngx_http_request_t *r,
    ngx_http_appverify_loc_conf_t *alcf, const char **cred, size_t *len);
ngx_http_appverify_ctx_t *ngx_http_appverify_get_ctx(ngx_http_request_t *r);
int64_t ngx_http_appverify_now_ms(void);

/* the client's address as text, what the client_limit guard counts */
#define NGX_HTTP_APPVERIFY_ADDR_LEN  (NGX_SOCKADDR_STRLEN + 1)
const char *ngx_http_appverify_client(ngx_http_request_t *r, u_char *buf);
ngx_int_t ngx_http_appverify_filter_init(ngx_conf_t *cf);

/* content handlers and the gate */

ngx_int_t ngx_http_appverify_token_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_callback_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_status_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_call_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_finalize_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_set_cookie(ngx_http_request_t *r,
    ngx_http_appverify_loc_conf_t *alcf, u_char *cred, size_t len);
av_err_t ngx_http_appverify_request_params(ngx_http_request_t *r,
    av_endpoint_t ep,
    av_params_t *params);
av_next_t ngx_http_appverify_status_run(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, const av_store_t *store, av_answer_t *a);
ngx_int_t ngx_http_appverify_gate_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_appverify_gate_overruled(ngx_http_request_t *r);


extern ngx_module_t  ngx_http_appverify_module;


#endif /* _NGX_HTTP_APPVERIFY_MODULE_H_INCLUDED_ */
