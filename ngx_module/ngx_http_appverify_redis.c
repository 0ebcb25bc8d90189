
/*
 * appverify: a zone's verification state in a Redis that several nodes
 * share (nginx's and httpd's alike: the layout is the core's, av_redis.h).
 *
 *     upstream appverify_redis { server 127.0.0.1:6379; keepalive 4; }
 *
 *     appverify_zone  zone=appverify:16m;
 *     appverify_redis zone=appverify pass=/_appverify_redis
 *                     password_file=/etc/nginx/redis.pass db=0;
 *
 *     location = /_appverify_redis {
 *         internal;
 *         appverify_redis_pass    appverify_redis;
 *         appverify_redis_timeout 500ms;
 *     }
 *
 * The memcached model: the Redis commands of a flow's round go out as an
 * in-memory subrequest to that location, whose handler sends them through
 * nginx's upstream (its balancing, keepalive and timeouts) and reads the
 * replies with hiredis's reader.  Nothing blocks a worker; a Redis that
 * is down or slow ends the subrequest with nginx's own error, and the
 * flow answers 503 store_unavailable (ngx_http_appverify_run.c).
 *
 * Each round carries its AUTH and SELECT in front of its command, in one
 * write: a kept-alive connection may be a new one, and a round never
 * depends on what an earlier one left on its connection.
 */


#include "ngx_http_appverify_module.h"

#include <hiredis/hiredis.h>

#include "av_conf.h"
#include "av_redis.h"
#include "av_secret.h"


typedef struct {
    ngx_array_t                  redis;        /* ngx_http_appverify_redis_t */
} ngx_http_appverify_redis_main_conf_t;


typedef struct {
    ngx_http_upstream_conf_t     upstream;
    ngx_msec_t                   timeout;
} ngx_http_appverify_redis_loc_conf_t;


/* one round on its connection: the replies read so far */

typedef struct {
    ngx_http_request_t          *request;
    redisReader                 *reader;
    size_t                       fed;           /* of u->buffer */
    ngx_uint_t                   got;
} ngx_http_appverify_redis_ctx_t;


static char *ngx_http_appverify_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_redis_pass(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_appverify_redis_refused(ngx_conf_t *cf,
    const char *why, ngx_str_t *arg, size_t skip);
static ngx_int_t ngx_http_appverify_redis_password(ngx_conf_t *cf,
    ngx_str_t *file, ngx_str_t *out);
static void ngx_http_appverify_redis_password_wipe(void *data);
static void *ngx_http_appverify_redis_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_appverify_redis_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_appverify_redis_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_appverify_redis_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_appverify_redis_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_redis_create_request(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_redis_reinit_request(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_redis_process_header(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_redis_filter_init(void *data);
static ngx_int_t ngx_http_appverify_redis_filter(void *data, ssize_t bytes);
static void ngx_http_appverify_redis_abort_request(ngx_http_request_t *r);
static void ngx_http_appverify_redis_finalize_request(ngx_http_request_t *r,
    ngx_int_t rc);
static void ngx_http_appverify_redis_reader_free(void *data);
static void ngx_http_appverify_redis_reply_free(void *data);
static void ngx_http_appverify_redis_round_wipe(void *data);
static ngx_int_t ngx_http_appverify_redis_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);


static ngx_command_t  ngx_http_appverify_redis_commands[] = {

    { ngx_string("appverify_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_appverify_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_redis_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_redis_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_redis_loc_conf_t, timeout),
      (void *) &av_conf_redis_timeout_rule },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_appverify_redis_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_appverify_redis_init,         /* postconfiguration */

    ngx_http_appverify_redis_create_main_conf,
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_appverify_redis_create_loc_conf,
    ngx_http_appverify_redis_merge_loc_conf
};


ngx_module_t  ngx_http_appverify_redis_module = {
    NGX_MODULE_V1,
    &ngx_http_appverify_redis_module_ctx,  /* module context */
    ngx_http_appverify_redis_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* --- configuration ------------------------------------------------------ */

static char *
ngx_http_appverify_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_redis_main_conf_t *rmcf = conf;

    int                          db;
    ngx_str_t                   *value, file;
    ngx_uint_t                   i;
    const char                  *why;
    ngx_http_appverify_redis_t  *rc, *other;

    rc = ngx_array_push(&rmcf->redis);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rc, sizeof(ngx_http_appverify_redis_t));
    rc->db = -1;
    ngx_str_set(&rc->prefix, AV_REDIS_PREFIX_DEFAULT);
    ngx_str_null(&file);

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            rc->zone.data = value[i].data + 5;
            rc->zone.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "pass=", 5) == 0) {
            rc->uri.data = value[i].data + 5;
            rc->uri.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            file.data = value[i].data + 14;
            file.len = value[i].len - 14;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            why = av_redis_db_valid((const char *) value[i].data + 3,
                                    value[i].len - 3, &db);
            if (why) {
                return ngx_http_appverify_redis_refused(cf, why, &value[i], 3);
            }

            rc->db = db;
            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rc->prefix.data = value[i].data + 7;
            rc->prefix.len = value[i].len - 7;

            why = av_redis_prefix_valid((const char *) rc->prefix.data,
                                        rc->prefix.len);
            if (why) {
                return ngx_http_appverify_redis_refused(cf, why, &value[i], 7);
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (rc->zone.len == 0 || rc->uri.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" and \"pass\" "
                           "parameters", &cmd->name);
        return NGX_CONF_ERROR;
    }

    other = rmcf->redis.elts;

    for (i = 0; i + 1 < rmcf->redis.nelts; i++) {
        if (other[i].zone.len == rc->zone.len
            && ngx_strncmp(other[i].zone.data, rc->zone.data, rc->zone.len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "zone \"%V\" has a redis already", &rc->zone);
            return NGX_CONF_ERROR;
        }
    }

    if (file.len
        && ngx_http_appverify_redis_password(cf, &file, &rc->password)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (av_redis_cas_sha1(rc->sha1) != 0) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "appverify_redis: invalid db ...": the core's words, as httpd's */

static char *
ngx_http_appverify_redis_refused(ngx_conf_t *cf, const char *why,
    ngx_str_t *arg, size_t skip)
{
    char  msg[AV_CONF_MESSAGE_MAX];

    (void) av_conf_message(msg, sizeof(msg), why,
                           (const char *) arg->data + skip, arg->len - skip);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "appverify_redis: %s", msg);

    return NGX_CONF_ERROR;
}


/*
 * The password is read once, here, like the key files: the first line,
 * without its end of line.  It goes into each round's AUTH and nowhere
 * else (no log line, no variable).
 */

static ngx_int_t
ngx_http_appverify_redis_password(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *out)
{
    u_char             buf[AV_REDIS_PASSWORD_MAX + 2];
    size_t             n, len;
    const char        *why;
    ngx_str_t          name;
    ngx_pool_cleanup_t *cln;
    av_secret_rc_t     rc;
    av_secret_info_t   info;

    name = *file;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    /* room for a CRLF, to tell a file that is too long */
    rc = av_secret_read((const char *) name.data, (char *) buf,
                        sizeof(buf), &n, &info);

    if (rc != AV_SECRET_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, info.err,
                           "cannot read redis password file \"%s\"",
                           name.data);
        return NGX_ERROR;
    }

    if (info.world_readable) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "redis password file \"%s\" is readable by "
                           "every user", name.data);
    }

    why = av_redis_password_valid((const char *) buf, n, &len);
    if (why) {
        av_secret_wipe(buf, sizeof(buf));
        (void) ngx_http_appverify_redis_refused(cf, why, &name, 0);
        return NGX_ERROR;
    }

    /* wiped with the configuration's pool, as the keys are */
    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_str_t));
    out->data = ngx_pnalloc(cf->pool, len);

    if (cln != NULL && out->data != NULL) {
        ngx_memcpy(out->data, buf, len);
        out->len = len;
        *(ngx_str_t *) cln->data = *out;
        cln->handler = ngx_http_appverify_redis_password_wipe;
    }

    av_secret_wipe(buf, sizeof(buf));

    return (cln && out->data) ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_appverify_redis_password_wipe(void *data)
{
    ngx_str_t  *pw = data;

    av_secret_wipe(pw->data, pw->len);
}


static char *
ngx_http_appverify_redis_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_redis_loc_conf_t *rlcf = conf;

    ngx_str_t                 *value;
    ngx_url_t                  u;
    ngx_http_core_loc_conf_t  *clcf;

    if (rlcf->upstream.upstream) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.no_resolve = 1;

    rlcf->upstream.upstream = ngx_http_upstream_add(cf, &u, 0);
    if (rlcf->upstream.upstream == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    clcf->handler = ngx_http_appverify_redis_handler;

    if (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/') {
        clcf->auto_redirect = 1;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_appverify_redis_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_appverify_redis_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_appverify_redis_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&rmcf->redis, cf->pool, 1,
                       sizeof(ngx_http_appverify_redis_t))
        != NGX_OK)
    {
        return NULL;
    }

    return rmcf;
}


static void *
ngx_http_appverify_redis_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_appverify_redis_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_appverify_redis_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->upstream.upstream = NULL;
     *     conf->upstream.bufs.num = 0;
     */

    conf->timeout = NGX_CONF_UNSET_MSEC;

    /* what a round needs of nginx's upstream, the memcached module's */
    conf->upstream.local = NULL;
    conf->upstream.socket_keepalive = 0;
    conf->upstream.next_upstream_tries = 0;
    conf->upstream.next_upstream_timeout = 0;
    conf->upstream.buffering = 0;
    conf->upstream.ignore_client_abort = 1;
    conf->upstream.intercept_errors = 1;
    conf->upstream.pass_request_headers = 0;
    conf->upstream.pass_request_body = 0;

    /* a reply is an MGET of a few small values, or an integer */
    conf->upstream.buffer_size = 4096;

    /* a retry is the flow's, never the upstream's: a commit sent twice
     * could be applied twice */
    conf->upstream.next_upstream = NGX_CONF_BITMASK_SET
                                   |NGX_HTTP_UPSTREAM_FT_OFF;

    return conf;
}


static char *
ngx_http_appverify_redis_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_appverify_redis_loc_conf_t *prev = parent;
    ngx_http_appverify_redis_loc_conf_t *conf = child;

    ngx_conf_merge_msec_value(conf->timeout, prev->timeout,
                              AV_DEFAULT_REDIS_TIMEOUT_MS);

    conf->upstream.connect_timeout = conf->timeout;
    conf->upstream.send_timeout = conf->timeout;
    conf->upstream.read_timeout = conf->timeout;

    if (conf->upstream.upstream == NULL) {
        conf->upstream.upstream = prev->upstream.upstream;
    }

    return NGX_CONF_OK;
}


/* Each appverify_redis names a zone appverify_zone declared. */

static ngx_int_t
ngx_http_appverify_redis_init(ngx_conf_t *cf)
{
    ngx_uint_t                             i;
    ngx_shm_zone_t                        *shm;
    ngx_http_appverify_zone_t             *zone;
    ngx_http_appverify_redis_t            *rc;
    ngx_http_appverify_redis_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_appverify_redis_module);
    rc = rmcf->redis.elts;

    for (i = 0; i < rmcf->redis.nelts; i++) {
        shm = ngx_shared_memory_add(cf, &rc[i].zone, 0,
                                    &ngx_http_appverify_module);
        if (shm == NULL) {
            return NGX_ERROR;
        }

        zone = shm->data;

        if (zone == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "appverify_redis: zone \"%V\" is not "
                               "declared by appverify_zone", &rc[i].zone);
            return NGX_ERROR;
        }

        zone->redis = &rc[i];
    }

    return NGX_OK;
}


/* --- a round: the subrequest ------------------------------------------- */

/*
 * Sends [AUTH] [SELECT] and the command as one subrequest to the zone's
 * location; ctx->rd->done is set when it ends, with ctx->rd->reply the
 * command's reply, or NULL when none came.
 */

ngx_int_t
ngx_http_appverify_redis_round(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_http_appverify_redis_t *rc,
    ngx_uint_t argc, const char **argv, const size_t *argvlen)
{
    int                           n[3];
    char                         *cmd[3];
    u_char                        db[NGX_INT_T_LEN];
    size_t                        len, dblen[2];
    ngx_buf_t                    *b;
    ngx_uint_t                    i, k;
    const char                   *auth[2], *sel[2];
    ngx_chain_t                  *cl;
    ngx_pool_cleanup_t           *cln;
    ngx_http_request_t           *sr;
    ngx_http_request_body_t      *rb;
    ngx_http_post_subrequest_t   *ps;
    ngx_http_appverify_rounds_t  *rd;

    rd = ctx->rd;
    k = 0;

    if (rc->password.len) {
        auth[0] = "AUTH";
        auth[1] = (const char *) rc->password.data;
        dblen[0] = 4;
        dblen[1] = rc->password.len;
        n[k] = redisFormatCommandArgv(&cmd[k], 2, auth, dblen);
        k++;
    }

    if (rc->db >= 0) {
        sel[0] = "SELECT";
        sel[1] = (const char *) db;
        dblen[0] = 6;
        dblen[1] = ngx_sprintf(db, "%i", rc->db) - db;
        n[k] = redisFormatCommandArgv(&cmd[k], 2, sel, dblen);
        k++;
    }

    n[k] = redisFormatCommandArgv(&cmd[k], (int) argc, argv, argvlen);
    k++;

    len = 0;

    for (i = 0; i < k; i++) {
        if (n[i] < 0) {
            while (k--) {
                if (n[k] >= 0) {
                    redisFreeCommand(cmd[k]);
                }
            }
            return NGX_ERROR;
        }

        len += n[i];
    }

    b = ngx_create_temp_buf(r->pool, len);
    cl = ngx_alloc_chain_link(r->pool);

    if (b != NULL && cl != NULL) {
        for (i = 0; i < k; i++) {
            b->last = ngx_cpymem(b->last, cmd[i], n[i]);
        }
    }

    for (i = 0; i < k; i++) {
        /* AUTH's copy of the password goes from hiredis's memory */
        ngx_explicit_memzero(cmd[i], n[i]);
        redisFreeCommand(cmd[i]);
    }

    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    /* the round's copy of the password goes with the request */
    if (rc->password.len) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            ngx_explicit_memzero(b->pos, b->last - b->pos);
            return NGX_ERROR;
        }

        cln->handler = ngx_http_appverify_redis_round_wipe;
        cln->data = b;
    }

    cl->buf = b;
    cl->next = NULL;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (rb == NULL || ps == NULL) {
        return NGX_ERROR;
    }

    rb->bufs = cl;
    rb->buf = b;

    ps->handler = ngx_http_appverify_redis_done;
    ps->data = ctx;

    rd->expect = k;
    rd->reply = NULL;
    rd->done = 0;

    if (ngx_http_subrequest(r, &rc->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->request_body = rb;

    rd->sr = sr;
    rd->out = 1;

    return NGX_OK;
}


static void
ngx_http_appverify_redis_round_wipe(void *data)
{
    ngx_buf_t  *b = data;

    ngx_explicit_memzero(b->start, b->end - b->start);
}


static ngx_int_t
ngx_http_appverify_redis_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_appverify_ctx_t  *ctx = data;

    if (ctx->rd == NULL || ctx->rd->sr != sr || ctx->rd->done) {
        return NGX_OK;
    }

    ctx->rd->done = 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "appverify: redis round ended rc:%i reply:%p",
                   rc, ctx->rd->reply);

    return NGX_OK;
}


/* --- a round: the location's handler ----------------------------------- */

static ngx_int_t
ngx_http_appverify_redis_handler(ngx_http_request_t *r)
{
    ngx_http_upstream_t                  *u;
    ngx_http_appverify_ctx_t             *pctx;
    ngx_http_appverify_redis_ctx_t       *ctx;
    ngx_http_appverify_redis_loc_conf_t  *rlcf;

    /* only appverify's own rounds: the commands are theirs */

    pctx = r->parent
           ? ngx_http_get_module_ctx(r->parent, ngx_http_appverify_module)
           : NULL;

    if (pctx == NULL || pctx->rd == NULL || pctx->rd->sr != r
        || r->request_body == NULL || r->request_body->bufs == NULL)
    {
        return NGX_HTTP_NOT_FOUND;
    }

    if (ngx_http_upstream_create(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u = r->upstream;

    ngx_str_set(&u->schema, "redis://");
    u->output.tag = (ngx_buf_tag_t) &ngx_http_appverify_redis_module;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_redis_module);

    u->conf = &rlcf->upstream;

    u->create_request = ngx_http_appverify_redis_create_request;
    u->reinit_request = ngx_http_appverify_redis_reinit_request;
    u->process_header = ngx_http_appverify_redis_process_header;
    u->abort_request = ngx_http_appverify_redis_abort_request;
    u->finalize_request = ngx_http_appverify_redis_finalize_request;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_appverify_redis_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    ngx_http_set_ctx(r, ctx, ngx_http_appverify_redis_module);

    u->input_filter_init = ngx_http_appverify_redis_filter_init;
    u->input_filter = ngx_http_appverify_redis_filter;
    u->input_filter_ctx = ctx;

    r->main->count++;

    ngx_http_upstream_init(r);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_appverify_redis_create_request(ngx_http_request_t *r)
{
    ngx_buf_t    *b, *body;
    ngx_chain_t  *cl;

    /* a buffer of our own over the round's bytes: the upstream moves its
     * pos as it writes, and back on a retry */

    body = r->request_body->bufs->buf;

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->start = body->pos;
    b->pos = body->pos;
    b->last = body->last;
    b->end = body->last;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;

    r->upstream->request_bufs = cl;

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_redis_reinit_request(ngx_http_request_t *r)
{
    ngx_http_appverify_redis_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_redis_module);

    if (ctx->reader) {
        redisReaderFree(ctx->reader);
        ctx->reader = NULL;
    }

    ctx->fed = 0;
    ctx->got = 0;

    return NGX_OK;
}


/*
 * The replies, as they arrive: AUTH's and SELECT's must be +OK; the
 * command's goes to the flow (the parent's ctx).  The whole reply is the
 * "header": there is no body to pass on.
 */

static ngx_int_t
ngx_http_appverify_redis_process_header(ngx_http_request_t *r)
{
    char                             buf[AV_ROUNDS_WHY_MAX];
    void                            *reply;
    redisReply                      *rr;
    const char                      *why;
    ngx_http_upstream_t             *u;
    ngx_pool_cleanup_t              *cln;
    ngx_http_appverify_ctx_t        *pctx;
    ngx_http_appverify_rounds_t     *rd;
    ngx_http_appverify_redis_ctx_t  *ctx;

    u = r->upstream;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_redis_module);
    pctx = ngx_http_get_module_ctx(r->parent, ngx_http_appverify_module);
    rd = pctx->rd;

    if (ctx->reader == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        ctx->reader = redisReaderCreate();
        if (ctx->reader == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_appverify_redis_reader_free;
        cln->data = ctx;
    }

    if (redisReaderFeed(ctx->reader, (const char *) u->buffer.pos + ctx->fed,
                        u->buffer.last - u->buffer.pos - ctx->fed)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    ctx->fed = u->buffer.last - u->buffer.pos;

    for ( ;; ) {
        reply = NULL;

        if (redisReaderGetReply(ctx->reader, &reply) != REDIS_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "redis sent an invalid reply: %s",
                          ctx->reader->errstr);
            return NGX_HTTP_UPSTREAM_INVALID_HEADER;
        }

        if (reply == NULL) {
            return NGX_AGAIN;
        }

        rr = reply;

        if (++ctx->got < rd->expect) {

            /* AUTH, SELECT */

            why = av_rounds_ok(rr, ctx->got == 1
                                   && pctx->zone->redis->password.len
                                   ? "AUTH" : "SELECT",
                               buf, sizeof(buf));
            freeReplyObject(rr);

            if (why) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", why);
                return NGX_HTTP_UPSTREAM_INVALID_HEADER;
            }

            continue;
        }

        break;
    }

    /* the command's reply: the parent frees it, or its pool does */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        freeReplyObject(reply);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_appverify_redis_reply_free;
    cln->data = rd;
    rd->reply = reply;

    /* nothing left over: the connection can serve the next round */
    u->keepalive = (ctx->reader->pos == ctx->reader->len);

    u->buffer.pos = u->buffer.last;
    u->headers_in.status_n = NGX_HTTP_OK;
    u->headers_in.content_length_n = 0;
    u->state->status = NGX_HTTP_OK;

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_redis_filter_init(void *data)
{
    ngx_http_appverify_redis_ctx_t  *ctx = data;

    ctx->request->upstream->length = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_redis_filter(void *data, ssize_t bytes)
{
    ngx_http_appverify_redis_ctx_t  *ctx = data;

    /* every byte belongs to a reply (process_header took them all) */

    ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                  "redis sent %z bytes after its reply", bytes);

    ctx->request->upstream->keepalive = 0;
    ctx->request->upstream->length = 0;

    return NGX_OK;
}


static void
ngx_http_appverify_redis_abort_request(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "abort appverify redis request");
}


static void
ngx_http_appverify_redis_finalize_request(ngx_http_request_t *r,
    ngx_int_t rc)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "finalize appverify redis request rc:%i", rc);
}


static void
ngx_http_appverify_redis_reader_free(void *data)
{
    ngx_http_appverify_redis_ctx_t  *ctx = data;

    if (ctx->reader) {
        redisReaderFree(ctx->reader);
        ctx->reader = NULL;
    }
}


static void
ngx_http_appverify_redis_reply_free(void *data)
{
    ngx_http_appverify_rounds_t  *rd = data;

    if (rd->reply) {
        freeReplyObject(rd->reply);
        rd->reply = NULL;
    }
}
