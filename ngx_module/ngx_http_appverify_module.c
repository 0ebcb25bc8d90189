
/*
 * appverify: Telesign App Verify at the nginx edge.
 *
 * This file: the directives, the configuration (read and checked once,
 * at config time: the customer id, the API key file, the session secret),
 * the variables and module initialisation.  The handlers live in
 * ngx_http_appverify_{token,callback,status,gate}.c, the shared memory zone
 * in ngx_http_appverify_zone.c, responses in ngx_http_appverify_reply.c.
 */


#include "ngx_http_appverify_module.h"

#include "av_conf.h"
#include "av_secret.h"
#include "av_xid.h"


static ngx_int_t ngx_http_appverify_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_appverify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void *ngx_http_appverify_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_appverify_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_appverify_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_appverify_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_appverify_init(ngx_conf_t *cf);

static void ngx_http_appverify_zone_cleanup(void *data);
static char *ngx_http_appverify_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_customer_id(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_appverify_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_handler_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_appverify_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_countries(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_appverify_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_appverify_conf_error(ngx_conf_t *cf, const char *msg,
    u_char *value, size_t len);
static ngx_shm_zone_t *ngx_http_appverify_zone_ref(ngx_conf_t *cf,
    ngx_str_t *value);
static ngx_int_t ngx_http_appverify_read_key(ngx_conf_t *cf, ngx_str_t *file,
    av_key_t *key, ngx_uint_t base64);
static av_key_t *ngx_http_appverify_secret_alloc(ngx_conf_t *cf);
static void ngx_http_appverify_secret_free(void *data);


#define NGX_HTTP_APPVERIFY_VAR_PHONE     0
#define NGX_HTTP_APPVERIFY_VAR_XID       1
#define NGX_HTTP_APPVERIFY_VAR_STATUS    2
#define NGX_HTTP_APPVERIFY_VAR_VERIFIED  3


static ngx_command_t  ngx_http_appverify_commands[] = {

    { ngx_string("appverify_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_zone,
      0,
      0,
      NULL },

    { ngx_string("appverify_customer_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_customer_id,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_api_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_appverify_main_conf_t, api_key),
      NULL },

    { ngx_string("appverify_session_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_appverify_main_conf_t, session_key),
      NULL },

    { ngx_string("appverify_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_appverify_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_APPVERIFY_TOKEN,
      NULL },

    { ngx_string("appverify_callback"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_APPVERIFY_CALLBACK,
      NULL },

    { ngx_string("appverify_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_APPVERIFY_STATUS,
      NULL },

    { ngx_string("appverify_call"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1234,
      ngx_http_appverify_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_APPVERIFY_CALL,
      NULL },

    { ngx_string("appverify_finalize"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_appverify_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_APPVERIFY_FINALIZE,
      NULL },

    { ngx_string("appverify_lookup_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, lookup_interval),
      (void *) &av_conf_lookup_interval_rule },

    { ngx_string("appverify_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_appverify_metrics,
      0,
      0,
      NULL },

    { ngx_string("appverify_countries"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_appverify_countries,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_client_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_appverify_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("appverify_prefix_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_appverify_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      1,
      NULL },

    { ngx_string("appverify_token_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, token_lifetime),
      (void *) &av_conf_token_lifetime_rule },

    { ngx_string("appverify_session_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, session_lifetime),
      (void *) &av_conf_session_lifetime_rule },

    { ngx_string("appverify_pending_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, pending_timeout),
      (void *) &av_conf_pending_timeout_rule },

    { ngx_string("appverify_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_appverify_set_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, max_body),
      (void *) &av_conf_max_body_rule },

    { ngx_string("appverify_cookie_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, cookie_name),
      NULL },

    { ngx_string("appverify_cookie_secure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, cookie_secure),
      NULL },

    { ngx_string("appverify_cookie_samesite"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_appverify_loc_conf_t, cookie_samesite),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_appverify_module_ctx = {
    ngx_http_appverify_add_variables,      /* preconfiguration */
    ngx_http_appverify_init,               /* postconfiguration */

    ngx_http_appverify_create_main_conf,   /* create main configuration */
    ngx_http_appverify_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_appverify_create_loc_conf,    /* create location configuration */
    ngx_http_appverify_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_appverify_module = {
    NGX_MODULE_V1,
    &ngx_http_appverify_module_ctx,        /* module context */
    ngx_http_appverify_commands,           /* module directives */
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


static ngx_http_variable_t  ngx_http_appverify_vars[] = {

    { ngx_string("appverify_phone"), NULL, ngx_http_appverify_variable,
      NGX_HTTP_APPVERIFY_VAR_PHONE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_xid"), NULL, ngx_http_appverify_variable,
      NGX_HTTP_APPVERIFY_VAR_XID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_status"), NULL, ngx_http_appverify_variable,
      NGX_HTTP_APPVERIFY_VAR_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_verified"), NULL, ngx_http_appverify_variable,
      NGX_HTTP_APPVERIFY_VAR_VERIFIED, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* the signed call to Telesign, for conf/appverify_params */

    { ngx_string("appverify_telesign_method"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_METHOD, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_telesign_authorization"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_AUTHORIZATION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_telesign_date"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_DATE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_telesign_nonce"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_NONCE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_telesign_content_type"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_CONTENT_TYPE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("appverify_telesign_content_length"), NULL,
      ngx_http_appverify_telesign_variable,
      NGX_HTTP_APPVERIFY_TS_CONTENT_LENGTH, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_appverify_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->have_rec) {
        if (data == NGX_HTTP_APPVERIFY_VAR_VERIFIED) {
            v->len = 1;
            v->data = (u_char *) "0";
            goto found;
        }

        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_APPVERIFY_VAR_PHONE:
        v->data = (u_char *) ctx->rec.phone;
        v->len = ngx_strlen(ctx->rec.phone);
        break;

    case NGX_HTTP_APPVERIFY_VAR_XID:
        v->data = (u_char *) ctx->rec.xid;
        v->len = ngx_strlen(ctx->rec.xid);
        break;

    case NGX_HTTP_APPVERIFY_VAR_STATUS:
        p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%D", ctx->rec.code) - p;
        break;

    default: /* NGX_HTTP_APPVERIFY_VAR_VERIFIED */
        v->len = 1;
        v->data = (u_char *) (ctx->rec.state == AV_STATE_VERIFIED ? "1" : "0");
        break;
    }

found:

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_appverify_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * appverify_zone zone=NAME:SIZE [ttl=TIME];
 * As limit_req_zone: the zone is reused across reloads when its name and
 * size stay the same, so no verified state is lost to "nginx -s reload".
 */

static char *
ngx_http_appverify_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_main_conf_t *amcf = conf;

    u_char                     *p;
    ssize_t                     size;
    int64_t                     sec;
    ngx_str_t                  *value, name, s;
    ngx_uint_t                  i;
    time_t                      ttl;
    const char                 *why;
    ngx_shm_zone_t             *shm_zone;
    ngx_pool_cleanup_t         *cln;
    ngx_http_appverify_zone_t  *ctx, **zp;

    value = cf->args->elts;

    size = 0;
    ttl = AV_DEFAULT_RECORD_TTL;
    name.len = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            name.data = value[i].data + 5;

            p = (u_char *) ngx_strchr(name.data, ':');

            if (p == NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            name.len = p - name.data;

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {

            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            /* httpd's AppVerifyRecordTTL: the core's rule for both */

            why = av_conf_ttl((const char *) s.data, s.len, &sec);
            if (why) {
                return ngx_http_appverify_conf_error(cf, why, s.data, s.len);
            }

            ttl = (time_t) sec;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_appverify_zone_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->ttl = ttl;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_appverify_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    /* the hash context init_zone makes lives as long as this cycle */
    cln->handler = ngx_http_appverify_zone_cleanup;
    cln->data = ctx;

    ctx->shm_zone = shm_zone;
    shm_zone->init = ngx_http_appverify_init_zone;
    shm_zone->data = ctx;

    /* for appverify_metrics: every zone, by its name */
    ctx->name = ngx_pnalloc(cf->pool, name.len + 1);
    if (ctx->name == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(ctx->name, name.data, name.len + 1);

    if (amcf->zones == NULL) {
        amcf->zones = ngx_array_create(cf->pool, 2, sizeof(void *));
        if (amcf->zones == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    zp = ngx_array_push(amcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = ctx;

    return NGX_CONF_OK;
}


/* appverify_metrics;  the zones' counters, for Prometheus to scrape */

static char *
ngx_http_appverify_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_appverify_metrics_handler;

    return NGX_CONF_OK;
}


static void
ngx_http_appverify_zone_cleanup(void *data)
{
    ngx_http_appverify_zone_t  *zone = data;

    av_hash_free(zone->hash);
    zone->hash = NULL;
}


static char *
ngx_http_appverify_customer_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_appverify_main_conf_t *amcf = conf;

    ngx_str_t   *value;
    const char  *why;

    if (amcf->customer_id.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    why = av_conf_customer_id((const char *) value[1].data, value[1].len);
    if (why) {
        return ngx_http_appverify_conf_error(cf, why, value[1].data,
                                             value[1].len);
    }

    amcf->customer_id = value[1];

    return NGX_CONF_OK;
}


/*
 * appverify_api_key_file FILE [previous=FILE];
 *     the base64 API key from Telesign, and the one being retired
 * appverify_session_key_file FILE [previous=FILE];
 *     raw bytes (>= 32), and the secret being retired
 *
 * Read once here, in the master, never at request time.  Messages name
 * the file, never its content.  What a previous key is still good for
 * (verifying, never signing) is the core's rule.
 */

static char *
ngx_http_appverify_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_main_conf_t *amcf = conf;

    ngx_str_t   *value, file, previous;
    av_key_t   **field, **field_previous, *key;
    ngx_uint_t   api;

    api = (cmd->offset == offsetof(ngx_http_appverify_main_conf_t, api_key));

    if (api) {
        field = &amcf->api_key;
        field_previous = &amcf->api_key_previous;

    } else {
        field = &amcf->session_key;
        field_previous = &amcf->session_key_previous;
    }

    if (*field != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];
    ngx_str_null(&previous);

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "previous=", 9) != 0
            || value[2].len == 9)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        previous.data = value[2].data + 9;
        previous.len = value[2].len - 9;
    }

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    key = ngx_http_appverify_secret_alloc(cf);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_appverify_read_key(cf, &file, key, api) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = key;

    if (api) {
        amcf->api_key_file = file;
    }

    if (previous.len == 0) {
        return NGX_CONF_OK;
    }

    if (ngx_conf_full_name(cf->cycle, &previous, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* on a page of its own, wiped with the configuration, as the current */

    key = ngx_http_appverify_secret_alloc(cf);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_appverify_read_key(cf, &previous, key, api) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field_previous = key;

    return NGX_CONF_OK;
}


/* the file is read by the core (the same reader as httpd's); nginx's words */

static ngx_int_t
ngx_http_appverify_read_key(ngx_conf_t *cf, ngx_str_t *file, av_key_t *key,
    ngx_uint_t base64)
{
    av_secret_rc_t    rc;
    av_secret_info_t  info;

    rc = av_secret_read_key(key, base64 ? AV_KEY_FILE_API
                                        : AV_KEY_FILE_SESSION,
                            (const char *) file->data, &info);

    /* set once fstat() has seen the file: also before its other errors */

    if (info.world_readable) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "key file \"%V\" is readable by every user", file);
    }

    switch (rc) {

    case AV_SECRET_OK:
        return NGX_OK;

    case AV_SECRET_OPEN:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, info.err,
                           ngx_open_file_n " \"%V\" failed", file);
        return NGX_ERROR;

    case AV_SECRET_STAT:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, info.err,
                           ngx_fd_info_n " \"%V\" failed", file);
        return NGX_ERROR;

    case AV_SECRET_READ:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, info.err,
                           ngx_read_fd_n " \"%V\" failed", file);
        return NGX_ERROR;

    case AV_SECRET_TOO_LARGE:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" is too large", file);
        return NGX_ERROR;

    default: /* AV_SECRET_CONTENT */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "key file \"%V\" %s",
                           file, info.why);
        return NGX_ERROR;
    }
}


/*
 * A key lives on a page of its own, left out of core dumps where the
 * system allows (MADV_DONTDUMP), and wiped when the configuration that
 * read it is freed (reload, exit).
 */

static av_key_t *
ngx_http_appverify_secret_alloc(ngx_conf_t *cf)
{
    void                *page;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    page = mmap(NULL, ngx_pagesize, PROT_READ|PROT_WRITE,
                MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "mmap() failed");
        return NULL;
    }

#if (NGX_LINUX && defined MADV_DONTDUMP)
    if (madvise(page, ngx_pagesize, MADV_DONTDUMP) == -1) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, ngx_errno,
                           "madvise(MADV_DONTDUMP) failed, keys may appear "
                           "in core dumps");
    }
#endif

    cln->handler = ngx_http_appverify_secret_free;
    cln->data = page;

    return page;
}


static void
ngx_http_appverify_secret_free(void *data)
{
    av_key_wipe(data);
    munmap(data, ngx_pagesize);
}


/*
 * appverify_token    zone=NAME [rate=6r/m] [burst=3];
 * appverify_callback zone=NAME [signature=on|off];
 * appverify_status   zone=NAME [lookup=URI];
 * appverify_call     zone=NAME upstream=URI [rate=6r/m] [burst=3];
 * appverify_finalize zone=NAME upstream=URI [attempts=3];
 * The values with a rule are the core's, as httpd's AppVerify* ones.
 */

static const av_conf_param_t  ngx_http_appverify_handler_params[] = {
    { "zone=", NULL },
    { "lookup=", NULL },
    { "upstream=", NULL },
    { "attempts=", &av_conf_attempts_rule },
    { "rate=", &av_conf_rate_rule },
    { "burst=", &av_conf_burst_rule },
    { "signature=", NULL },
    { NULL, NULL }
};

/* by role: which of the above it takes, and its content handler */

static const unsigned  ngx_http_appverify_handler_allowed[] = {
    0,                                           /* none */
    0x01 | 0x10 | 0x20,                          /* token */
    0x01 | 0x40,                                 /* callback */
    0x01 | 0x02,                                 /* status */
    0x01 | 0x04 | 0x10 | 0x20,                   /* call */
    0x01 | 0x04 | 0x08                           /* finalize */
};

static const ngx_http_handler_pt  ngx_http_appverify_handlers[] = {
    NULL,
    ngx_http_appverify_token_handler,
    ngx_http_appverify_callback_handler,
    ngx_http_appverify_status_handler,
    ngx_http_appverify_call_handler,
    ngx_http_appverify_finalize_handler
};

/* by role: the endpoint whose needs it has (av_conf_needs) */

static const av_endpoint_t  ngx_http_appverify_endpoints[] = {
    AV_EP__COUNT,                                /* none */
    AV_EP_TOKEN,
    AV_EP_CALLBACK,
    AV_EP_STATUS,
    AV_EP_CALL,
    AV_EP_FINALIZE
};


static char *
ngx_http_appverify_handler_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_appverify_loc_conf_t *alcf = conf;

    int                        flag;
    ngx_str_t                 *value, s;
    ngx_uint_t                 i;
    const char                *why;
    av_conf_arg_t              arg;
    ngx_http_core_loc_conf_t  *clcf;

    if (alcf->role != NGX_HTTP_APPVERIFY_NONE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        why = av_conf_param(ngx_http_appverify_handler_params,
                            ngx_http_appverify_handler_allowed[cmd->offset],
                            (const char *) value[i].data, value[i].len,
                            &arg);

        if (why == av_conf_unknown_param) {
            goto invalid;
        }

        if (why) {
            return ngx_http_appverify_conf_error(cf, why,
                                                 (u_char *) arg.value,
                                                 arg.len);
        }

        s.data = (u_char *) arg.value;
        s.len = arg.len;

        switch (arg.index) {

        case 0: /* zone= */
            alcf->zone = ngx_http_appverify_zone_ref(cf, &s);
            if (alcf->zone == NULL) {
                return NGX_CONF_ERROR;
            }

            break;

        case 1: /* lookup= */
        case 2: /* upstream= */
            if (s.len == 0 || s.data[0] != '/') {
                goto invalid;
            }

            alcf->upstream = s;
            break;

        case 3:
            alcf->attempts = (ngx_uint_t) arg.v;
            break;

        case 4:
            alcf->rate = (ngx_uint_t) arg.v;
            break;

        case 5:
            alcf->burst = (ngx_uint_t) arg.v;
            break;

        default: /* signature= */
            flag = av_conf_flag((const char *) s.data, s.len);
            if (flag == -1) {
                goto invalid;
            }

            alcf->signature = flag;

            if (!flag) {
                ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                                   AV_CONF_UNSIGNED_WARNING);
            }

            break;
        }
    }

    if (alcf->zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if ((cmd->offset == NGX_HTTP_APPVERIFY_CALL
         || cmd->offset == NGX_HTTP_APPVERIFY_FINALIZE)
        && alcf->upstream.len == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"upstream\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    alcf->role = cmd->offset;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_appverify_handlers[alcf->role];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}


/*
 * appverify_countries CODE ...;  toll-fraud guard: verifications (token,
 * call) only for numbers of these country calling codes, e.g. 1 44 49.
 */

static char *
ngx_http_appverify_countries(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_loc_conf_t *alcf = conf;

    unsigned    *code, n;
    ngx_str_t   *value;
    ngx_uint_t   i;
    const char  *why;

    if (alcf->countries != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    alcf->countries = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(unsigned));
    if (alcf->countries == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        why = av_conf_country((const char *) value[i].data, value[i].len, &n);
        if (why) {
            return ngx_http_appverify_conf_error(cf, why, value[i].data,
                                                 value[i].len);
        }

        code = ngx_array_push(alcf->countries);
        if (code == NULL) {
            return NGX_CONF_ERROR;
        }

        *code = n;
    }

    return NGX_CONF_OK;
}


/*
 * appverify_client_limit rate=R [burst=N] | off;
 * appverify_prefix_limit digits=N rate=R [burst=N] | off;
 * Toll-fraud guards on the endpoints that start (paid) verifications: per
 * client address, and per number range (the first N digits of the E.164
 * number), on top of the per-phone rate.
 */

static char *
ngx_http_appverify_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_loc_conf_t *alcf = conf;

    ngx_str_t        *value;
    ngx_uint_t        i, *rate_p, *burst_p;
    const char       *why;
    av_conf_arg_t     arg;
    av_conf_limit_t   l;

    if (cmd->offset == 0) {
        rate_p = &alcf->client_rate;
        burst_p = &alcf->client_burst;

    } else {
        rate_p = &alcf->prefix_rate;
        burst_p = &alcf->prefix_burst;
    }

    if (*rate_p != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && av_conf_flag((const char *) value[1].data, value[1].len) == 0)
    {
        *rate_p = 0;
        *burst_p = 0;
        return NGX_CONF_OK;
    }

    ngx_memzero(&l, sizeof(av_conf_limit_t));

    /* the parameters and their values are the core's, httpd's too */

    for (i = 1; i < cf->args->nelts; i++) {

        why = av_conf_limit_param(&l, cmd->offset ? AV_CONF_LIMIT_PREFIX
                                                  : AV_CONF_LIMIT_CLIENT,
                                  (const char *) value[i].data, value[i].len,
                                  &arg);

        if (why == av_conf_unknown_param) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (why) {
            return ngx_http_appverify_conf_error(cf, why,
                                                 (u_char *) arg.value,
                                                 arg.len);
        }
    }

    why = av_conf_limit_complete(cmd->offset == 1, l.rate, l.digits);
    if (why) {
        return ngx_http_appverify_conf_error(cf, why, cmd->name.data,
                                             cmd->name.len);
    }

    *rate_p = l.rate;
    *burst_p = l.burst;

    if (cmd->offset == 1) {
        alcf->prefix_digits = l.digits;
    }

    return NGX_CONF_OK;
}


/* appverify_require zone=NAME [lookup=URI] | off; */

static char *
ngx_http_appverify_require(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_appverify_loc_conf_t *alcf = conf;

    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (alcf->require_zone != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && av_conf_flag((const char *) value[1].data, value[1].len) == 0)
    {
        alcf->require_zone = NULL;
        return NGX_CONF_OK;
    }

    alcf->require_zone = NULL;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            alcf->require_zone = ngx_http_appverify_zone_ref(cf, &s);
            if (alcf->require_zone == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "lookup=", 7) == 0
            && value[i].len > 7 && value[i].data[7] == '/')
        {
            alcf->require_lookup.data = value[i].data + 7;
            alcf->require_lookup.len = value[i].len - 7;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (alcf->require_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A reference to a zone declared (or declared later) by appverify_zone;
 * size 0 lets nginx check at the end of the configuration that it exists,
 * as limit_req does.
 */

static ngx_shm_zone_t *
ngx_http_appverify_zone_ref(ngx_conf_t *cf, ngx_str_t *name)
{
    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty zone name");
        return NULL;
    }

    return ngx_shared_memory_add(cf, name, 0, &ngx_http_appverify_module);
}


/*
 * appverify_token_lifetime, _session_lifetime, _pending_timeout TIME;
 * appverify_lookup_interval TIME;  appverify_max_body SIZE;
 * As ngx_conf_set_sec_slot, _msec_slot and _size_slot, with the core's
 * rule for the value (cmd->post), so that httpd's AppVerify* twins take
 * the same values; the rule's kind says the field's type.
 */

char *
ngx_http_appverify_set_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    int64_t                v;
    ngx_str_t             *value;
    ngx_uint_t             unset;
    const char            *why;
    const av_conf_rule_t  *rule;

    rule = cmd->post;
    p += cmd->offset;

    switch (rule->kind) {
    case AV_CONF_SECONDS:
        unset = (*(time_t *) p == NGX_CONF_UNSET);
        break;
    case AV_CONF_MSEC:
        unset = (*(ngx_msec_t *) p == NGX_CONF_UNSET_MSEC);
        break;
    default: /* AV_CONF_SIZE */
        unset = (*(size_t *) p == NGX_CONF_UNSET_SIZE);
        break;
    }

    if (!unset) {
        return "is duplicate";
    }

    value = cf->args->elts;

    why = av_conf_value(rule, (const char *) value[1].data, value[1].len, &v);
    if (why) {
        return ngx_http_appverify_conf_error(cf, why, value[1].data,
                                             value[1].len);
    }

    switch (rule->kind) {
    case AV_CONF_SECONDS:
        *(time_t *) p = (time_t) v;
        break;
    case AV_CONF_MSEC:
        *(ngx_msec_t *) p = (ngx_msec_t) v;
        break;
    default: /* AV_CONF_SIZE */
        *(size_t *) p = (size_t) v;
        break;
    }

    return NGX_CONF_OK;
}


/*
 * A value the core refused: its words, with the value filled in, so that
 * httpd says the same of the same value.
 */

static char *
ngx_http_appverify_conf_error(ngx_conf_t *cf, const char *msg,
    u_char *value, size_t len)
{
    u_char  buf[AV_CONF_MESSAGE_MAX];

    (void) av_conf_message((char *) buf, sizeof(buf), msg,
                           (const char *) value, len);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "appverify: %s", buf);

    return NGX_CONF_ERROR;
}


static void *
ngx_http_appverify_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_appverify_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_appverify_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->customer_id = { 0, NULL };
     *     amcf->api_key = NULL;
     *     amcf->api_key_previous = NULL;
     *     amcf->session_key = NULL;
     *     amcf->session_key_previous = NULL;
     *     amcf->cred_cache = NULL;
     */

    return amcf;
}


static char *
ngx_http_appverify_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_appverify_main_conf_t *amcf = conf;

    if (amcf->api_key && amcf->session_key == NULL) {

        /*
         * No session secret of its own: derive one, so that the secret
         * that signs session credentials is never the API key that signs
         * the JWTs Telesign sees.
         */

        amcf->session_key = ngx_http_appverify_secret_alloc(cf);
        if (amcf->session_key == NULL) {
            return NGX_CONF_ERROR;
        }

        /* the API key in rotation: a previous session secret too */

        if (amcf->api_key_previous) {
            amcf->session_key_previous = ngx_http_appverify_secret_alloc(cf);
            if (amcf->session_key_previous == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        av_key_derive_sessions(amcf->session_key, amcf->session_key_previous,
                               amcf->api_key, amcf->api_key_previous);
    }

    /*
     * The credentials checked already, with the secrets that signed them:
     * each worker writes its own copy of these pages (no lock), and a
     * reload starts again from none.
     */

    if (amcf->session_key) {
        amcf->cred_cache = ngx_pcalloc(cf->pool, sizeof(av_cred_cache_t));
        if (amcf->cred_cache == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_appverify_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_appverify_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_appverify_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->role = NGX_HTTP_APPVERIFY_NONE;
     *     conf->zone = NULL;
     *     conf->cookie_name = { 0, NULL };
     *     conf->cookie_samesite = { 0, NULL };
     */

    conf->require_zone = NGX_CONF_UNSET_PTR;
    conf->rate = NGX_CONF_UNSET_UINT;
    conf->burst = NGX_CONF_UNSET_UINT;
    conf->signature = AV_DEFAULT_SIGNATURE;
    conf->lookup_interval = NGX_CONF_UNSET_MSEC;
    conf->countries = NGX_CONF_UNSET_PTR;
    conf->client_rate = NGX_CONF_UNSET_UINT;
    conf->prefix_rate = NGX_CONF_UNSET_UINT;
    conf->token_lifetime = NGX_CONF_UNSET;
    conf->session_lifetime = NGX_CONF_UNSET;
    conf->pending_timeout = NGX_CONF_UNSET;
    conf->max_body = NGX_CONF_UNSET_SIZE;
    conf->cookie_secure = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_appverify_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_appverify_loc_conf_t *prev = parent;
    ngx_http_appverify_loc_conf_t *conf = child;

    unsigned                         need;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_appverify_main_conf_t  *amcf;

    if (conf->require_zone == NGX_CONF_UNSET_PTR) {
        conf->require_zone = prev->require_zone;
        conf->require_lookup = prev->require_lookup;
    }

    if (conf->require_zone == NGX_CONF_UNSET_PTR) {
        conf->require_zone = NULL;
    }

    /* the defaults are the core's (av_defaults.h), the same on httpd */

    ngx_conf_merge_msec_value(conf->lookup_interval, prev->lookup_interval,
                              AV_DEFAULT_LOOKUP_INTERVAL * 1000);

    if (conf->attempts == 0) {
        conf->attempts = AV_DEFAULT_ATTEMPTS;
    }

    ngx_conf_merge_ptr_value(conf->countries, prev->countries, NULL);

    if (conf->client_rate == NGX_CONF_UNSET_UINT) {
        conf->client_rate = (prev->client_rate == NGX_CONF_UNSET_UINT)
                            ? 0 : prev->client_rate;
        conf->client_burst = prev->client_burst;
    }

    if (conf->prefix_rate == NGX_CONF_UNSET_UINT) {
        conf->prefix_rate = (prev->prefix_rate == NGX_CONF_UNSET_UINT)
                            ? 0 : prev->prefix_rate;
        conf->prefix_burst = prev->prefix_burst;
        conf->prefix_digits = prev->prefix_digits;
    }

    ngx_conf_merge_sec_value(conf->token_lifetime, prev->token_lifetime,
                             AV_DEFAULT_TOKEN_LIFETIME);
    ngx_conf_merge_sec_value(conf->session_lifetime, prev->session_lifetime,
                             AV_DEFAULT_SESSION_LIFETIME);
    ngx_conf_merge_sec_value(conf->pending_timeout, prev->pending_timeout,
                             AV_DEFAULT_PENDING_TIMEOUT);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body,
                              AV_DEFAULT_MAX_BODY);
    ngx_conf_merge_str_value(conf->cookie_name, prev->cookie_name,
                             AV_DEFAULT_COOKIE_NAME);
    ngx_conf_merge_value(conf->cookie_secure, prev->cookie_secure,
                         AV_DEFAULT_COOKIE_SECURE);
    ngx_conf_merge_str_value(conf->cookie_samesite, prev->cookie_samesite,
                             AV_DEFAULT_COOKIE_SAMESITE);

    if (conf->burst == NGX_CONF_UNSET_UINT) {
        conf->burst = AV_DEFAULT_BURST_OF(conf->rate != NGX_CONF_UNSET_UINT);
    }

    if (conf->rate == NGX_CONF_UNSET_UINT) {
        conf->rate = AV_DEFAULT_RATE;
    }

    /* what the core's rules for starting a verification read */

    conf->start.phone.rate = conf->rate;
    conf->start.phone.burst = conf->burst;
    conf->start.client.rate = conf->client_rate;
    conf->start.client.burst = conf->client_burst;
    conf->start.prefix.rate = conf->prefix_rate;
    conf->start.prefix.burst = conf->prefix_burst;
    conf->start.prefix_digits = conf->prefix_digits;
    conf->start.pending_ms = (int64_t) conf->pending_timeout * 1000;

    if (conf->role == NGX_HTTP_APPVERIFY_NONE
        && conf->require_zone == NULL)
    {
        return NGX_CONF_OK;
    }

    if (conf->role == NGX_HTTP_APPVERIFY_CALLBACK) {

        /*
         * A callback up to appverify_max_body is read into memory: a body
         * past client_body_buffer_size would go to a temporary file.  The
         * core module's conf of this location is merged already (it is
         * the first HTTP module) and cf->ctx points at this location's.
         */

        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        if (clcf->client_body_buffer_size < conf->max_body) {
            clcf->client_body_buffer_size = conf->max_body;
        }
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_appverify_module);

    /* what the location's endpoint and gate need: the core's rule */

    need = 0;

    if (conf->role != NGX_HTTP_APPVERIFY_NONE) {
        need = av_conf_needs(ngx_http_appverify_endpoints[conf->role],
                             (int) conf->signature, conf->upstream.len != 0);
    }

    if (conf->require_zone) {
        need |= av_conf_needs(AV_EP_GATE, 1, conf->require_lookup.len != 0);
    }

    if (((need & AV_NEED_SESSION_KEY) && amcf->session_key == NULL)
        || ((need & AV_NEED_API_KEY) && amcf->api_key == NULL))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "appverify needs \"appverify_api_key_file\"");
        return NGX_CONF_ERROR;
    }

    if ((need & AV_NEED_CUSTOMER_ID) && amcf->customer_id.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "appverify_token and calls to Telesign need "
                           "\"appverify_customer_id\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_appverify_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_appverify_gate_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_appverify_gate_overruled;

    return ngx_http_appverify_filter_init(cf);
}
