/*
 * mod_appverify: Telesign App Verify at the Apache httpd edge.
 *
 * This file: the directives, the configuration (the customer id and the
 * key files are read and checked once, at configuration time, so that
 * "apache2 -t" fails on a bad key file), and the hooks.  See
 * mod_appverify.h for where everything else lives.
 */

#define APPVERIFY_DECLARES_MODULE  1

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include "mod_appverify.h"

#include "av_conf.h"
#include "av_secret.h"


static void *appverify_create_server_conf(apr_pool_t *p, server_rec *s);
static void *appverify_merge_server_conf(apr_pool_t *p, void *base,
    void *add);
static void *appverify_create_dir_conf(apr_pool_t *p, char *dir);
static void *appverify_merge_dir_conf(apr_pool_t *p, void *base, void *add);
static void  appverify_register_hooks(apr_pool_t *p);

static const char *appverify_set_customer_id(cmd_parms *cmd, void *dconf,
    const char *arg);
static const char *appverify_set_key_file(cmd_parms *cmd, void *dconf,
    const char *arg, const char *previous);
static const char *appverify_read_key(cmd_parms *cmd, const char *arg,
    int api, av_key_t **out, const char **path);
static const char *appverify_secret_error(cmd_parms *cmd, const char *file,
    av_secret_rc_t rc, const av_secret_info_t *info);
static apr_status_t appverify_key_cleanup(void *data);
static av_key_t *appverify_key_alloc(apr_pool_t *p);
static const char *appverify_set_cache(cmd_parms *cmd, void *dconf,
    const char *arg);
static const char *appverify_set_redis(cmd_parms *cmd, void *dconf,
    int argc, char *const argv[]);
static const char *appverify_set_record_ttl(cmd_parms *cmd, void *dconf,
    const char *arg);
static const char *appverify_set_value(cmd_parms *cmd, void *dconf,
    const char *arg);
static const char *appverify_set_countries(cmd_parms *cmd, void *dconf,
    int argc, char *const argv[]);
static const char *appverify_set_limit(cmd_parms *cmd, void *dconf,
    int argc, char *const argv[]);
static const char *appverify_set_signature(cmd_parms *cmd, void *dconf,
    int on);
static const char *appverify_set_url(cmd_parms *cmd, void *dconf,
    const char *arg);
static const char *appverify_conf_words(apr_pool_t *p, const char *msg,
    const char *value);
static const char *appverify_conf_error(cmd_parms *cmd, const char *msg,
    const char *value);


/*
 * The values nginx's directives share are the core's (av_conf.h): its
 * syntax, bounds and words, so that apache2 -t and nginx -t refuse the
 * same value alike.  cmd->info says where a value goes and by which rule;
 * the rule's kind says the field's type (appverify_set_value).
 */

typedef struct {
    apr_size_t               offset;         /* in appverify_dir_conf_t */
    const av_conf_rule_t    *rule;
} appverify_value_cmd_t;

#define APPVERIFY_VALUE(field, name)                                         \
    static const appverify_value_cmd_t  appverify_##field##_cmd = {          \
        APR_OFFSETOF(appverify_dir_conf_t, field), &av_conf_##name##_rule    \
    }

APPVERIFY_VALUE(timeout, timeout);
APPVERIFY_VALUE(token_lifetime, token_lifetime);
APPVERIFY_VALUE(session_lifetime, session_lifetime);
APPVERIFY_VALUE(pending_timeout, pending_timeout);
APPVERIFY_VALUE(lookup_interval_ms, lookup_interval);
APPVERIFY_VALUE(rate, rate);
APPVERIFY_VALUE(burst, burst);
APPVERIFY_VALUE(max_attempts, attempts);
APPVERIFY_VALUE(max_calls, max_calls);
APPVERIFY_VALUE(max_body, max_body);


#define DIR_OFFSET(field)  (void *) APR_OFFSETOF(appverify_dir_conf_t, field)

static const command_rec appverify_cmds[] = {
    AP_INIT_TAKE1("AppVerifyCustomerId", appverify_set_customer_id, NULL,
        RSRC_CONF, "Your Telesign Customer ID (the JWT's iss)"),
    AP_INIT_TAKE12("AppVerifyApiKeyFile", appverify_set_key_file,
        (void *) 1, RSRC_CONF,
        "File holding the base64 Telesign API key; read once, never logged; "
        "previous=FILE: the key being retired, still good for callbacks"),
    AP_INIT_TAKE12("AppVerifySessionKeyFile", appverify_set_key_file,
        (void *) 0, RSRC_CONF,
        "File holding 32-256 bytes that sign session credentials "
        "(default: derived from the API key); previous=FILE: the secret "
        "being retired, its credentials pass until they expire"),
    AP_INIT_TAKE1("AppVerifyCache", appverify_set_cache, NULL, RSRC_CONF,
        "socache provider and its arguments, e.g. shmcb:/run/av(1048576) "
        "or redis:127.0.0.1:6379"),
    AP_INIT_TAKE_ARGV("AppVerifyRedis", appverify_set_redis, NULL, RSRC_CONF,
        "host:port [password_file=FILE] [db=N] [prefix=STR] [timeout=TIME]: "
        "the state in a Redis that nodes share, changed atomically"),
    AP_INIT_TAKE1("AppVerifyRecordTTL", appverify_set_record_ttl, NULL,
        RSRC_CONF, "How long a verification is kept (default 12h)"),

    AP_INIT_TAKE1("AppVerifyTelesignURL", appverify_set_url, NULL,
        RSRC_CONF|ACCESS_CONF,
        "Telesign's REST base URL, e.g. https://rest-ww.telesign.com"),
    AP_INIT_TAKE1("AppVerifyTelesignTimeout", appverify_set_value,
        (void *) &appverify_timeout_cmd, RSRC_CONF|ACCESS_CONF,
        "Timeout of one call to Telesign (default 5s)"),
    AP_INIT_TAKE1("AppVerifyTelesignMaxCalls", appverify_set_value,
        (void *) &appverify_max_calls_cmd, RSRC_CONF|ACCESS_CONF,
        "Threads of a child process that may wait on Telesign at once; "
        "past it, 503 at once (default 8)"),
    AP_INIT_FLAG("AppVerifyLookup", ap_set_flag_slot, DIR_OFFSET(lookup),
        RSRC_CONF|ACCESS_CONF,
        "Ask Telesign's Get Status for pending or unknown sessions "
        "(default On, when AppVerifyTelesignURL is set)"),
    AP_INIT_TAKE1("AppVerifyLookupInterval", appverify_set_value,
        (void *) &appverify_lookup_interval_ms_cmd, RSRC_CONF|ACCESS_CONF,
        "At most one Get Status per xid this often (default 3s)"),
    AP_INIT_TAKE1("AppVerifyTokenLifetime", appverify_set_value,
        (void *) &appverify_token_lifetime_cmd, RSRC_CONF|ACCESS_CONF,
        "JWT lifetime (default 30s)"),
    AP_INIT_TAKE1("AppVerifySessionLifetime", appverify_set_value,
        (void *) &appverify_session_lifetime_cmd, RSRC_CONF|ACCESS_CONF,
        "Session credential lifetime (default 12h)"),
    AP_INIT_TAKE1("AppVerifyPendingTimeout", appverify_set_value,
        (void *) &appverify_pending_timeout_cmd, RSRC_CONF|ACCESS_CONF,
        "A pending verification younger than this refuses a new one "
        "for the same phone (default 60s; 0 turns the rule off)"),
    AP_INIT_TAKE1("AppVerifyRate", appverify_set_value,
        (void *) &appverify_rate_cmd, RSRC_CONF|ACCESS_CONF,
        "Requests per phone, Nr/s or Nr/m (default 6r/m)"),
    AP_INIT_TAKE1("AppVerifyBurst", appverify_set_value,
        (void *) &appverify_burst_cmd, RSRC_CONF|ACCESS_CONF,
        "Extra requests allowed at once (default 3; 0 with an AppVerifyRate "
        "of one's own)"),
    AP_INIT_TAKE_ARGV("AppVerifyCountries", appverify_set_countries, NULL,
        RSRC_CONF|ACCESS_CONF, "Toll-fraud guard: token and call only for "
        "numbers of these country calling codes, e.g. 1 44 49 "
        "(default: all)"),
    AP_INIT_TAKE_ARGV("AppVerifyClientLimit", appverify_set_limit, NULL,
        RSRC_CONF|ACCESS_CONF, "Toll-fraud guard: rate=Nr/s|Nr/m "
        "[burst=N] new verifications per client address, or off "
        "(default off)"),
    AP_INIT_TAKE_ARGV("AppVerifyPrefixLimit", appverify_set_limit,
        (void *) 1, RSRC_CONF|ACCESS_CONF, "Toll-fraud guard: digits=N "
        "rate=Nr/s|Nr/m [burst=N] new verifications per number range (the "
        "first N digits), or off (default off)"),
    AP_INIT_TAKE1("AppVerifyMaxAttempts", appverify_set_value,
        (void *) &appverify_max_attempts_cmd, RSRC_CONF|ACCESS_CONF,
        "Wrong missed-call codes before the verification fails (default 3)"),
    AP_INIT_TAKE1("AppVerifyMaxBody", appverify_set_value,
        (void *) &appverify_max_body_cmd, RSRC_CONF|ACCESS_CONF,
        "Largest callback body (default and maximum 16384)"),
    AP_INIT_FLAG("AppVerifyCallbackSignature", appverify_set_signature, NULL,
        RSRC_CONF|ACCESS_CONF,
        "Off accepts unsigned callbacks: only for testing (default On)"),
    AP_INIT_TAKE1("AppVerifyCookieName", ap_set_string_slot,
        DIR_OFFSET(cookie_name), RSRC_CONF|ACCESS_CONF,
        "Session cookie name (default appverify)"),
    AP_INIT_FLAG("AppVerifyCookieSecure", ap_set_flag_slot,
        DIR_OFFSET(cookie_secure), RSRC_CONF|ACCESS_CONF,
        "Add Secure to the cookie (default On)"),
    AP_INIT_TAKE1("AppVerifyCookieSameSite", ap_set_string_slot,
        DIR_OFFSET(cookie_samesite), RSRC_CONF|ACCESS_CONF,
        "The cookie's SameSite attribute, or off (default Lax)"),
    { NULL }
};


AP_DECLARE_MODULE(appverify) = {
    STANDARD20_MODULE_STUFF,
    appverify_create_dir_conf,
    appverify_merge_dir_conf,
    appverify_create_server_conf,
    appverify_merge_server_conf,
    appverify_cmds,
    appverify_register_hooks
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    , AP_MODULE_FLAG_NONE
#endif
};


/* --- hooks ------------------------------------------------------------ */

static int
appverify_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    return appverify_store_pre_config(pconf);
}


/*
 * Runs for "apache2 -t" too (post_config does not), so a configuration
 * that could not answer is refused there.  Derives each server's session
 * secret when it has none of its own: the same derivation (and label) as
 * nginx's, so nginx and httpd nodes behind one balancer accept each
 * other's credentials.
 */

/* A key in pool p, wiped when p is cleared. */

static av_key_t *
appverify_key_alloc(apr_pool_t *p)
{
    av_key_t  *key;

    key = apr_pcalloc(p, sizeof(av_key_t));
    apr_pool_cleanup_register(p, key, appverify_key_cleanup,
                              apr_pool_cleanup_null);

    return key;
}


static int
appverify_check_config(apr_pool_t *pconf, apr_pool_t *plog,
    apr_pool_t *ptemp, server_rec *s)
{
    server_rec               *vs;
    appverify_server_conf_t  *sc;

    for (vs = s; vs; vs = vs->next) {
        sc = ap_get_module_config(vs->module_config, &appverify_module);

        if ((sc->customer_id == NULL) != (sc->api_key == NULL)) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP|APLOG_EMERG, 0, vs,
                         "mod_appverify needs both "
                         "AppVerifyCustomerId and AppVerifyApiKeyFile "
                         "(server %s)",
                         vs->server_hostname ? vs->server_hostname : "main");
            return !OK;
        }

        if (sc->api_key && sc->session_key == NULL) {
            sc->session_key = appverify_key_alloc(pconf);

            /* the API key in rotation: a previous session secret too */
            if (sc->api_key_previous) {
                sc->session_key_previous = appverify_key_alloc(pconf);
            }

            av_key_derive_sessions(sc->session_key, sc->session_key_previous,
                                   sc->api_key, sc->api_key_previous);
        }
    }

    return OK;
}


static int
appverify_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
    server_rec *s)
{
    return appverify_store_post_config(pconf, plog, ptemp, s) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}


static void
appverify_child_init(apr_pool_t *p, server_rec *s)
{
    appverify_store_child_init(p, s);
    appverify_client_child_init(p, s);
}


static void
appverify_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(appverify_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(appverify_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(appverify_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(appverify_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(appverify_handler, NULL, NULL, APR_HOOK_MIDDLE);

    appverify_authz_register(p);
}


appverify_req_t *
appverify_req(request_rec *r)
{
    appverify_req_t  *rq;

    rq = ap_get_module_config(r->request_config, &appverify_module);

    if (rq == NULL) {
        rq = apr_pcalloc(r->pool, sizeof(appverify_req_t));
        ap_set_module_config(r->request_config, &appverify_module, rq);
    }

    return rq;
}


/* --- directives ------------------------------------------------------- */

static const char *
appverify_set_customer_id(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char               *why;
    appverify_server_conf_t  *sc;

    sc = ap_get_module_config(cmd->server->module_config, &appverify_module);

    why = av_conf_customer_id(arg, strlen(arg));
    if (why) {
        return appverify_conf_error(cmd, why, arg);
    }

    sc->customer_id = arg;

    return NULL;
}


/*
 * AppVerifyApiKeyFile FILE [previous=FILE]
 *     the base64 API key from Telesign, and the one being retired
 * AppVerifySessionKeyFile FILE [previous=FILE]
 *     raw bytes, 32 to 256, and the secret being retired
 *
 * Read here, once, in the parent.  Messages name the file, never what is
 * in it; the buffer is wiped before it goes back to the pool, the key
 * when the configuration's pool is cleared (restart, graceful, exit).
 * What a previous key is still good for (verifying, never signing) is the
 * core's rule.
 */

static const char *
appverify_set_key_file(cmd_parms *cmd, void *dconf, const char *arg,
    const char *previous)
{
    int                       api;
    const char               *err, *file;
    av_key_t                 *key, *prev;
    appverify_server_conf_t  *sc;

    sc = ap_get_module_config(cmd->server->module_config, &appverify_module);
    api = cmd->info != NULL;
    prev = NULL;

    if (previous != NULL) {
        if (strncmp(previous, "previous=", 9) != 0 || previous[9] == '\0') {
            return apr_psprintf(cmd->pool, "%s: invalid parameter \"%s\", "
                                "expected previous=FILE", cmd->cmd->name,
                                previous);
        }
    }

    err = appverify_read_key(cmd, arg, api, &key, &file);
    if (err) {
        return err;
    }

    if (previous != NULL) {
        err = appverify_read_key(cmd, previous + 9, api, &prev, NULL);
        if (err) {
            return err;
        }
    }

    if (api) {
        sc->api_key = key;
        sc->api_key_previous = prev;
        sc->api_key_file = file;

    } else {
        sc->session_key = key;
        sc->session_key_previous = prev;
    }

    return NULL;
}


/*
 * A secret's file (a key, Redis's password), read once at configuration
 * time: at most max bytes into *buf (max + 1 of cmd->temp_pool; *len is
 * max + 1 when the file holds more), its resolved path in *file for
 * messages.  The caller reads the secret out of *buf and wipes it with
 * appverify_secret_wipe(), also on its errors.  NULL, or the directive's
 * error (nothing to wipe then).  The reading is the core's, nginx's too.
 */

const char *
appverify_secret_read(cmd_parms *cmd, const char *arg, apr_size_t max,
    char **buf, apr_size_t *len, const char **file)
{
    av_secret_info_t  info;

    *file = ap_server_root_relative(cmd->pool, arg);
    if (*file == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path \"%s\"",
                            cmd->cmd->name, arg);
    }

    /* one byte more than allowed tells a file that is too long */
    *buf = apr_palloc(cmd->temp_pool, max + 1);

    return appverify_secret_error(cmd, *file,
                                  av_secret_read(*file, *buf, max + 1, len,
                                                 &info),
                                  &info);
}


/* a memset the compiler may not drop as a dead store (av_secret.h) */

void
appverify_secret_wipe(char *buf, apr_size_t max)
{
    av_secret_wipe(buf, max + 1);
}


/* What the core's reader said, in httpd's words; NULL when it read.  A
 * file every user can read is worth a warning, as on nginx. */

static const char *
appverify_secret_error(cmd_parms *cmd, const char *file, av_secret_rc_t rc,
    const av_secret_info_t *info)
{
    apr_status_t  rv;

    if (info->world_readable) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP|APLOG_WARNING, 0, cmd->server,
                     "%s: \"%s\" is readable by every user",
                     cmd->cmd->name, file);
    }

    rv = APR_FROM_OS_ERROR(info->err);

    switch (rc) {

    case AV_SECRET_OK:
        return NULL;

    case AV_SECRET_OPEN:
        return apr_psprintf(cmd->pool, "%s: cannot open \"%s\": %pm",
                            cmd->cmd->name, file, &rv);

    case AV_SECRET_STAT:
    case AV_SECRET_READ:
        return apr_psprintf(cmd->pool, "%s: cannot read \"%s\": %pm",
                            cmd->cmd->name, file, &rv);

    case AV_SECRET_TOO_LARGE:
        return apr_psprintf(cmd->pool, "%s: key file \"%s\" is too large "
                            "or unreadable", cmd->cmd->name, file);

    default: /* AV_SECRET_CONTENT */
        return apr_psprintf(cmd->pool, "%s: key file \"%s\" %s",
                            cmd->cmd->name, file, info->why);
    }
}


static const char *
appverify_read_key(cmd_parms *cmd, const char *arg, int api, av_key_t **out,
    const char **path)
{
    const char        *file, *err;
    av_key_t          *key;
    av_secret_info_t   info;

    file = ap_server_root_relative(cmd->pool, arg);
    if (file == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path \"%s\"",
                            cmd->cmd->name, arg);
    }

    /* wiped when the configuration is: the pool frees without clearing;
     * what the file must hold is the core's rule, the same on nginx */

    key = appverify_key_alloc(cmd->pool);

    err = appverify_secret_error(cmd, file,
                                 av_secret_read_key(key, api ? AV_KEY_FILE_API
                                                     : AV_KEY_FILE_SESSION,
                                                    file, &info),
                                 &info);
    if (err) {
        return err;
    }

    *out = key;

    if (path) {
        *path = file;
    }

    return NULL;
}


/* A pool cleanup: the key's bytes, before its memory is reused. */

static apr_status_t
appverify_key_cleanup(void *data)
{
    av_key_wipe(data);

    return APR_SUCCESS;
}


static const char *
appverify_set_cache(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char  *err;

    err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) {
        return err;
    }

    return appverify_store_set_provider(cmd, arg);
}


static const char *
appverify_set_redis(cmd_parms *cmd, void *dconf, int argc,
    char *const argv[])
{
    const char  *err;

    err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) {
        return err;
    }

    return appverify_redis_set(cmd, argc, argv);
}


/* the core's message with the value in it */

static const char *
appverify_conf_words(apr_pool_t *p, const char *msg, const char *value)
{
    char  *buf;

    buf = apr_palloc(p, AV_CONF_MESSAGE_MAX);
    (void) av_conf_message(buf, AV_CONF_MESSAGE_MAX, msg, value,
                           strlen(value));

    return buf;
}


/* "AppVerifyRate: invalid rate ...": the directive, then the core's words */

static const char *
appverify_conf_error(cmd_parms *cmd, const char *msg, const char *value)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ",
                       appverify_conf_words(cmd->temp_pool, msg, value),
                       NULL);
}


/*
 * AppVerifyTokenLifetime, AppVerifySessionLifetime, AppVerifyPendingTimeout,
 * AppVerifyTelesignTimeout (whole seconds), AppVerifyLookupInterval
 * (milliseconds, as nginx's "500ms"), AppVerifyRate (per 1000 s, as
 * limit_req), AppVerifyBurst, AppVerifyMaxAttempts,
 * AppVerifyTelesignMaxCalls, AppVerifyMaxBody: the core's rule, stored in
 * the field's type for the rule's kind.
 */

static const char *
appverify_set_value(cmd_parms *cmd, void *dconf, const char *arg)
{
    char                         *field;
    int64_t                       v;
    const char                   *why;
    const appverify_value_cmd_t  *c = cmd->info;

    why = av_conf_value(c->rule, arg, strlen(arg), &v);
    if (why) {
        return appverify_conf_error(cmd, why, arg);
    }

    field = (char *) dconf + c->offset;

    switch (c->rule->kind) {
    case AV_CONF_MSEC:
        *(apr_int64_t *) field = v;
        break;
    case AV_CONF_SIZE:
        *(apr_off_t *) field = (apr_off_t) v;
        break;
    default: /* seconds, counts and rates: int */
        *(int *) field = (int) v;
        break;
    }

    return NULL;
}


static const char *
appverify_set_record_ttl(cmd_parms *cmd, void *dconf, const char *arg)
{
    int64_t                   v;
    const char               *why;
    appverify_server_conf_t  *sc;

    sc = ap_get_module_config(cmd->server->module_config, &appverify_module);

    why = av_conf_ttl(arg, strlen(arg), &v);
    if (why) {
        return appverify_conf_error(cmd, why, arg);
    }

    sc->record_ttl = apr_time_from_sec(v);

    return NULL;
}


/*
 * AppVerifyCountries CODE ...: toll-fraud guard, the token and call
 * endpoints start verifications only for numbers of these country calling
 * codes (each one ITU assigned, as a whole: the core's rule).
 */

static const char *
appverify_set_countries(cmd_parms *cmd, void *dconf, int argc,
    char *const argv[])
{
    appverify_dir_conf_t *dc = dconf;

    int          i;
    unsigned    *code, v;
    const char  *why;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s needs at least one country "
                            "calling code", cmd->cmd->name);
    }

    if (dc->countries) {
        return apr_psprintf(cmd->pool, "%s is duplicate", cmd->cmd->name);
    }

    dc->countries = apr_array_make(cmd->pool, argc, sizeof(unsigned));

    for (i = 0; i < argc; i++) {
        why = av_conf_country(argv[i], strlen(argv[i]), &v);
        if (why) {
            dc->countries = NULL;
            return appverify_conf_error(cmd, why, argv[i]);
        }

        code = apr_array_push(dc->countries);
        *code = v;
    }

    return NULL;
}


/*
 * AppVerifyClientLimit rate=R [burst=N] | off
 * AppVerifyPrefixLimit digits=N rate=R [burst=N] | off
 *
 * Toll-fraud guards on the endpoints that start (paid) verifications: per
 * client address (r->useragent_ip: mod_remoteip's, behind a proxy), and
 * per number range (the first N digits of the E.164 number), on top of
 * the per-phone rate.  nginx's appverify_client_limit and
 * appverify_prefix_limit: the same parameters, the core's rules for them.
 */

static const char *
appverify_set_limit(cmd_parms *cmd, void *dconf, int argc,
    char *const argv[])
{
    appverify_dir_conf_t *dc = dconf;

    int               i, prefix, *rate_p, *burst_p;
    const char       *why;
    av_conf_arg_t     arg;
    av_conf_limit_t   l;

    prefix = cmd->info != NULL;

    if (prefix) {
        rate_p = &dc->prefix_rate;
        burst_p = &dc->prefix_burst;

    } else {
        rate_p = &dc->client_rate;
        burst_p = &dc->client_burst;
    }

    if (argc == 0 || argc > (prefix ? 3 : 2)) {
        return apr_psprintf(cmd->pool, "%s takes %s, or off", cmd->cmd->name,
                            prefix ? "digits=N rate=R [burst=N]"
                                   : "rate=R [burst=N]");
    }

    if (*rate_p != APPVERIFY_UNSET) {
        return apr_psprintf(cmd->pool, "%s is duplicate", cmd->cmd->name);
    }

    if (argc == 1 && av_conf_flag(argv[0], strlen(argv[0])) == 0) {
        *rate_p = 0;
        *burst_p = 0;
        return NULL;
    }

    memset(&l, 0, sizeof(av_conf_limit_t));

    /* the parameters and their values are the core's, nginx's too */

    for (i = 0; i < argc; i++) {
        why = av_conf_limit_param(&l, prefix ? AV_CONF_LIMIT_PREFIX
                                             : AV_CONF_LIMIT_CLIENT,
                                  argv[i], strlen(argv[i]), &arg);

        if (why == av_conf_unknown_param) {
            return apr_psprintf(cmd->pool, "%s: invalid parameter \"%s\"",
                                cmd->cmd->name, argv[i]);
        }

        if (why) {
            return appverify_conf_error(cmd, why, arg.value);
        }
    }

    /* the core's message names the directive itself */

    why = av_conf_limit_complete(prefix, l.rate, l.digits);
    if (why) {
        return appverify_conf_words(cmd->pool, why, cmd->cmd->name);
    }

    *rate_p = (int) l.rate;
    *burst_p = (int) l.burst;

    if (prefix) {
        dc->prefix_digits = (int) l.digits;
    }

    return NULL;
}


static const char *
appverify_set_signature(cmd_parms *cmd, void *dconf, int on)
{
    appverify_dir_conf_t *dc = dconf;

    dc->signature = on;

    if (!on) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "AppVerifyCallbackSignature Off in %s: "
                     AV_CONF_UNSIGNED_WARNING,
                     cmd->path ? cmd->path : "the server");
    }

    return NULL;
}


static const char *
appverify_set_url(cmd_parms *cmd, void *dconf, const char *arg)
{
    appverify_dir_conf_t *dc = dconf;

    apr_size_t  len;

    if (strncmp(arg, "https://", 8) != 0 && strncmp(arg, "http://", 7) != 0) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not an http(s) URL",
                            cmd->cmd->name, arg);
    }

    /* the API paths begin with '/': keep the base without a trailing one */
    len = strlen(arg);
    while (len > 0 && arg[len - 1] == '/') {
        len--;
    }

    dc->telesign_url = apr_pstrmemdup(cmd->pool, arg, len);

    return NULL;
}


/* --- configuration records -------------------------------------------- */

static void *
appverify_create_server_conf(apr_pool_t *p, server_rec *s)
{
    appverify_server_conf_t  *sc;

    sc = apr_pcalloc(p, sizeof(appverify_server_conf_t));
    sc->record_ttl = APPVERIFY_UNSET;

    return sc;
}


static void *
appverify_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    appverify_server_conf_t *base = basev;
    appverify_server_conf_t *add = addv;

    appverify_server_conf_t  *sc;

    sc = apr_pcalloc(p, sizeof(appverify_server_conf_t));

    sc->customer_id = add->customer_id ? add->customer_id : base->customer_id;
    sc->api_key = add->api_key ? add->api_key : base->api_key;
    sc->api_key_previous = add->api_key ? add->api_key_previous
                                        : base->api_key_previous;
    sc->api_key_file = add->api_key ? add->api_key_file : base->api_key_file;

    /* a vhost with its own API key derives its own session secret */
    sc->session_key = add->session_key ? add->session_key
                      : add->api_key ? NULL : base->session_key;
    sc->session_key_previous = add->session_key ? add->session_key_previous
                               : add->api_key ? NULL
                               : base->session_key_previous;

    sc->record_ttl = add->record_ttl != APPVERIFY_UNSET ? add->record_ttl
                                                        : base->record_ttl;

    return sc;
}


static void *
appverify_create_dir_conf(apr_pool_t *p, char *dir)
{
    appverify_dir_conf_t  *dc;

    dc = apr_pcalloc(p, sizeof(appverify_dir_conf_t));

    dc->token_lifetime = APPVERIFY_UNSET;
    dc->session_lifetime = APPVERIFY_UNSET;
    dc->pending_timeout = APPVERIFY_UNSET;
    dc->rate = APPVERIFY_UNSET;
    dc->burst = APPVERIFY_UNSET;
    dc->max_attempts = APPVERIFY_UNSET;
    dc->max_calls = APPVERIFY_UNSET;
    dc->lookup = APPVERIFY_UNSET;
    dc->lookup_interval_ms = APPVERIFY_UNSET;
    dc->timeout = APPVERIFY_UNSET;
    dc->signature = APPVERIFY_UNSET;
    dc->cookie_secure = APPVERIFY_UNSET;
    dc->max_body = APPVERIFY_UNSET;
    dc->client_rate = APPVERIFY_UNSET;
    dc->prefix_rate = APPVERIFY_UNSET;

    return dc;
}


/*
 * Merging only inherits: a field stays unset until appverify_conf() fills
 * in the default.  (The server's own per-directory record is never merged
 * when no section names the module, so defaults cannot live here.)
 */

#define MERGE(f)                                                             \
    dc->f = add->f != APPVERIFY_UNSET ? add->f : base->f

#define MERGE_PTR(f)                                                         \
    dc->f = add->f ? add->f : base->f

static void *
appverify_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    appverify_dir_conf_t *base = basev;
    appverify_dir_conf_t *add = addv;

    appverify_dir_conf_t  *dc;

    dc = apr_pcalloc(p, sizeof(appverify_dir_conf_t));

    MERGE(token_lifetime);
    MERGE(session_lifetime);
    MERGE(pending_timeout);
    MERGE(rate);
    MERGE(burst);
    MERGE(max_attempts);
    MERGE(max_calls);
    MERGE(lookup);
    MERGE(lookup_interval_ms);
    MERGE(timeout);
    MERGE(signature);
    MERGE(cookie_secure);
    MERGE(max_body);

    /* a limit's parameters go together: "off" or its own, or the outer */

    if (add->client_rate != APPVERIFY_UNSET) {
        dc->client_rate = add->client_rate;
        dc->client_burst = add->client_burst;

    } else {
        dc->client_rate = base->client_rate;
        dc->client_burst = base->client_burst;
    }

    if (add->prefix_rate != APPVERIFY_UNSET) {
        dc->prefix_rate = add->prefix_rate;
        dc->prefix_burst = add->prefix_burst;
        dc->prefix_digits = add->prefix_digits;

    } else {
        dc->prefix_rate = base->prefix_rate;
        dc->prefix_burst = base->prefix_burst;
        dc->prefix_digits = base->prefix_digits;
    }

    MERGE_PTR(countries);
    MERGE_PTR(cookie_name);
    MERGE_PTR(cookie_samesite);
    MERGE_PTR(telesign_url);

    return dc;
}


#define DEFAULT(f, v)                                                        \
    if (dc->f == APPVERIFY_UNSET) { dc->f = (v); }

/* The request's configuration with the defaults filled in, in out. */

void
appverify_conf(request_rec *r, appverify_dir_conf_t *out)
{
    appverify_dir_conf_t  *dc = out;

    *dc = *(appverify_dir_conf_t *) ap_get_module_config(r->per_dir_config,
                                                         &appverify_module);

    /* the defaults are the core's (av_defaults.h), the same on nginx; a
     * rate of one's own, here or in an enclosing section, has no burst */

    DEFAULT(token_lifetime, AV_DEFAULT_TOKEN_LIFETIME);
    DEFAULT(session_lifetime, AV_DEFAULT_SESSION_LIFETIME);
    DEFAULT(pending_timeout, AV_DEFAULT_PENDING_TIMEOUT);
    DEFAULT(burst, AV_DEFAULT_BURST_OF(dc->rate != APPVERIFY_UNSET));
    DEFAULT(rate, AV_DEFAULT_RATE);
    DEFAULT(max_attempts, AV_DEFAULT_ATTEMPTS);
    DEFAULT(lookup, AV_DEFAULT_LOOKUP);
    DEFAULT(lookup_interval_ms, AV_DEFAULT_LOOKUP_INTERVAL * 1000);
    DEFAULT(timeout, AV_DEFAULT_TIMEOUT);
    DEFAULT(max_calls, AV_DEFAULT_MAX_CALLS);
    DEFAULT(signature, AV_DEFAULT_SIGNATURE);
    DEFAULT(cookie_secure, AV_DEFAULT_COOKIE_SECURE);
    DEFAULT(max_body, AV_DEFAULT_MAX_BODY);
    DEFAULT(client_rate, 0);            /* the toll-fraud limits: off */
    DEFAULT(prefix_rate, 0);

    if (dc->cookie_name == NULL) {
        dc->cookie_name = AV_DEFAULT_COOKIE_NAME;
    }

    if (dc->cookie_samesite == NULL) {
        dc->cookie_samesite = AV_DEFAULT_COOKIE_SAMESITE;
    }

    /* the above, for the core's start rules */

    dc->start.phone.rate = (uint32_t) dc->rate;
    dc->start.phone.burst = (uint32_t) dc->burst;
    dc->start.client.rate = dc->client_rate > 0 ? (uint32_t) dc->client_rate
                                                : 0;
    dc->start.client.burst = (uint32_t) dc->client_burst;
    dc->start.prefix.rate = dc->prefix_rate > 0 ? (uint32_t) dc->prefix_rate
                                                : 0;
    dc->start.prefix.burst = (uint32_t) dc->prefix_burst;
    dc->start.prefix_digits = (unsigned) dc->prefix_digits;
    dc->start.pending_ms = (int64_t) dc->pending_timeout * 1000;
}
