/*
 * mod_appverify: the store the core's transactions (av_store.h) run on,
 * in mod_socache.
 *
 * The mod_authn_socache model: one socache instance for the whole server
 * (shmcb unless AppVerifyCache names another provider), one global mutex
 * re-attached in child_init.  Unlike mod_authn_socache's, both outlive a
 * graceful restart: they live in a pool under the process pool, not in
 * pconf, and a new generation whose AppVerifyCache says the same takes
 * them over, so verified sessions survive "apache2ctl -k graceful" (and
 * Debian's daily logrotate) as nginx's zone survives "nginx -s reload".
 * The old generation's children keep using the same cache and the same
 * mutex until they finish.  The provider's module stays loaded where it
 * is from then on: a new build of it on disk takes effect at a full
 * restart, not a graceful one.  Each of the
 * core's items is an entry "appverify:1:<key>" (x:<xid>, l:<xid>, p:, c:,
 * n:, as av_store.h names them) whose value is the item's fixed-size,
 * pointer-free struct, stored as bytes.
 *
 * What to read and write is the core's business (av_store_*); this file
 * only retrieves, stores and removes entries, with the mutex held from
 * the transaction's begin to its end, so the processes of one httpd never
 * lose an update.  Between httpd instances sharing a Redis the mutex does
 * not reach: two nodes applying updates to one xid at the same instant
 * may lose one of them (the next callback retry or Get Status mends it),
 * two may reserve one finalize attempt at once, and a rate may be
 * exceeded by the number of nodes.  AppVerifyRedis (appverify_redis.c)
 * is the store for nodes that share state: it commits with a
 * compare-and-set, and holds no lock across the network.  With it, a
 * socache of this host stays in front as the node's copy of terminal
 * records (appverify_store_cache), as nginx keeps its zone.
 *
 * The "1" in the keys is the layout of what is stored: a change of
 * av_record_t bumps it (and AV_RECORD_VERSION), so that old entries are
 * never read as new ones; an entry of another size reads as absent.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1          /* dladdr */
#endif

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_mutex.h"
#include "ap_provider.h"
#include "apr_strings.h"
#include "apr_atomic.h"
#include "apr_shm.h"

#include <dlfcn.h>             /* dladdr, dlopen: the provider kept */

#include "mod_appverify.h"


#define APPVERIFY_KEY_PREFIX  "appverify:1:"


static const char             *appverify_mutex_id = "appverify-cache";
static apr_global_mutex_t     *appverify_mutex;
static ap_socache_provider_t  *appverify_provider;
static ap_socache_instance_t  *appverify_cache;
static const char             *appverify_args;     /* AppVerifyCache's */
static av_metrics_t           *appverify_metrics;  /* in shared memory */
static int                     appverify_explicit;

/* unlike mod_authn_socache's, a store can be read only by an operation
 * that may fail: at most one error line a second says so */
static apr_uint32_t            appverify_failed_at;


/* The cache and its mutex across generations (s->process->pool). */

#define APPVERIFY_KEPT_KEY  "mod_appverify:store"

/*
 * Only data: a restart unloads and reloads every module (this one and the
 * socache provider's, perhaps at other addresses), so nothing kept may
 * point into our code.  The provider is looked up again each generation
 * and works on the kept instance, its own data; its module is kept mapped
 * where it was (appverify_pin_provider), since what it made may point
 * into it.  The cleanups of the pool are APR's (the shm, the mutex).
 */
typedef struct {
    apr_pool_t             *pool;        /* under the process pool */
    const char             *spec;        /* provider:args they were made of */
    ap_socache_instance_t  *cache;
    apr_global_mutex_t     *mutex;
} appverify_kept_t;


/* --- configuration and process life ----------------------------------- */

int
appverify_store_pre_config(apr_pool_t *pconf)
{
    apr_status_t  rv;

    rv = ap_mutex_register(pconf, appverify_mutex_id, NULL, APR_LOCK_DEFAULT,
                           0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, pconf,
                      "mod_appverify: failed to register the %s mutex",
                      appverify_mutex_id);
        return 500;     /* an HTTP status would be a misnomer */
    }

    /* what this generation's configuration says; post_config decides
     * whether the kept instance serves it */
    appverify_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP,
                                            AP_SOCACHE_DEFAULT_PROVIDER,
                                            AP_SOCACHE_PROVIDER_VERSION);
    appverify_cache = NULL;
    appverify_mutex = NULL;
    appverify_metrics = NULL;
    appverify_args = NULL;
    appverify_explicit = 0;
    appverify_redis_pre_config();

    return OK;
}


/* AppVerifyCache provider[:args], as AuthnCacheSOCache */

const char *
appverify_store_set_provider(cmd_parms *cmd, const char *arg)
{
    const char  *sep, *name, *err;

    sep = ap_strchr_c(arg, ':');

    if (sep) {
        name = apr_pstrmemdup(cmd->pool, arg, sep - arg);
        sep++;

    } else {
        name = arg;
    }

    appverify_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                            AP_SOCACHE_PROVIDER_VERSION);
    if (appverify_provider == NULL) {
        return apr_psprintf(cmd->pool, "AppVerifyCache: unknown socache "
                            "provider \"%s\"; load mod_socache_%s first",
                            name, name);
    }

    /* the arguments are checked now (apache2 -t); the instance is made in
     * post_config, where a kept one may serve instead */
    err = appverify_provider->create(&appverify_cache, sep, cmd->temp_pool,
                                     cmd->temp_pool);
    if (err) {
        return apr_psprintf(cmd->pool, "AppVerifyCache: %s", err);
    }

    appverify_cache = NULL;
    appverify_args = sep ? apr_pstrdup(cmd->pool, sep) : NULL;
    appverify_explicit = 1;

    return NULL;
}


/* A cache and mutex for spec, in a pool of their own under the process's. */

/*
 * The provider's module stays mapped where it is for as long as the
 * instance it made is kept: a restart unloads and loads every module, and
 * another address for its code would leave the kept instance's cleanups
 * and the provider pointers of the old generation dangling.  One more
 * reference to it (never dropped) keeps it where it is.
 */
static void
appverify_pin_provider(apr_pool_t *plog)
{
    Dl_info  info;

    if (dladdr((void *) appverify_provider->create, &info) && info.dli_fname
        && dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD) == NULL)
    {
        ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, plog,
                      "mod_appverify: cannot keep %s loaded: %s",
                      info.dli_fname, dlerror());
    }
}


static apr_status_t
appverify_kept_create(server_rec *s, apr_pool_t *plog, const char *spec,
    appverify_kept_t **out)
{
    const char        *err;
    apr_pool_t        *pool;
    apr_status_t       rv;
    appverify_kept_t  *kept;

    static struct ap_socache_hints  hints = {
        40,                             /* average xid/phone key */
        sizeof(av_record_t),            /* average entry */
        60 * APR_USEC_PER_SEC           /* expiry sweep interval */
    };

    appverify_pin_provider(plog);

    rv = apr_pool_create(&pool, s->process->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }

    kept = apr_pcalloc(pool, sizeof(appverify_kept_t));
    kept->pool = pool;
    kept->spec = apr_pstrdup(pool, spec);

    rv = ap_global_mutex_create(&kept->mutex, NULL, appverify_mutex_id,
                                NULL, s, pool, 0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "mod_appverify: failed to create the %s mutex",
                      appverify_mutex_id);
        goto failed;
    }

    err = appverify_provider->create(&kept->cache, appverify_args, pool,
                                     pool);
    if (err) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "mod_appverify: %s",
                      err);
        rv = APR_EGENERAL;
        goto failed;
    }

    rv = appverify_provider->init(kept->cache, "appverify", &hints, s, pool);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "mod_appverify: failed to initialise the %s cache",
                      appverify_provider->name);
        kept->cache = NULL;
        goto failed;
    }

    *out = kept;
    return APR_SUCCESS;

failed:

    apr_pool_destroy(pool);
    return rv;
}


/*
 * The counters (av_metrics.h) every child bumps, whichever the store: a
 * segment under the process pool, made once, so that a graceful restart
 * keeps them as it keeps the cache.
 */

#define APPVERIFY_METRICS_KEY  "mod_appverify:metrics"

static apr_status_t
appverify_metrics_create(server_rec *s, apr_pool_t *plog)
{
    void          *data;
    apr_shm_t     *shm;
    apr_status_t   rv;

    data = NULL;
    apr_pool_userdata_get(&data, APPVERIFY_METRICS_KEY, s->process->pool);

    if (data == NULL) {
        rv = apr_shm_create(&shm, sizeof(av_metrics_t), NULL,
                            s->process->pool);
        if (rv != APR_SUCCESS) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                          "mod_appverify: no shared memory for the metrics");
            return rv;
        }

        data = apr_shm_baseaddr_get(shm);
        memset(data, 0, sizeof(av_metrics_t));

        apr_pool_userdata_set(data, APPVERIFY_METRICS_KEY, NULL,
                              s->process->pool);
    }

    appverify_metrics = data;

    return APR_SUCCESS;
}


apr_status_t
appverify_store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
    apr_pool_t *ptemp, server_rec *s)
{
    int                       used;
    void                     *data;
    server_rec               *vs;
    const char               *spec;
    apr_status_t              rv;
    appverify_kept_t         *kept;
    appverify_server_conf_t  *sc;

    rv = appverify_metrics_create(s, plog);
    if (rv != APR_SUCCESS) {
        return rv;
    }

    /* with a Redis store of our own (appverify_redis.c) the socache is
     * this node's copy of terminal records in front of it; only one of
     * this host's, so that no lock is ever held across the network */
    if (appverify_redis_enabled()) {
        if (appverify_provider == NULL) {
            ap_log_perror(APLOG_MARK, APLOG_NOTICE, 0, plog,
                          "mod_appverify: no socache provider: every "
                          "gate asks AppVerifyRedis");
            return APR_SUCCESS;
        }

        if (!(appverify_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE)) {
            ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, plog,
                          "mod_appverify: AppVerifyCache %s is not used: "
                          "in front of AppVerifyRedis only a cache of this "
                          "host (shmcb) serves", appverify_provider->name);
            return APR_SUCCESS;
        }
    }

    /* the module may be loaded and unused: then no mutex, no cache */
    used = appverify_explicit;

    for (vs = s; vs && !used; vs = vs->next) {
        sc = ap_get_module_config(vs->module_config, &appverify_module);
        used = sc->api_key != NULL;
    }

    if (!used) {
        return APR_SUCCESS;
    }

    if (appverify_provider == NULL) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "mod_appverify: no socache provider: load "
                      "mod_socache_shmcb or name one with AppVerifyCache");
        return APR_EGENERAL;
    }

    /* the mutex makes a transaction atomic on this host; around a network
     * cache it is held across round trips (mod_authn_socache would skip
     * it there, and lose updates): said once, with the way out */
    if (!(appverify_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE)) {
        ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, plog,
                      "mod_appverify: AppVerifyCache %s: every transaction "
                      "holds a host-wide lock across its round trips to "
                      "the cache, and nodes do not see each other's; "
                      "AppVerifyRedis takes no lock and is atomic across "
                      "nodes", appverify_provider->name);
    }

    spec = apr_pstrcat(ptemp, appverify_provider->name, ":",
                       appverify_args ? appverify_args : "", NULL);

    data = NULL;
    apr_pool_userdata_get(&data, APPVERIFY_KEPT_KEY, s->process->pool);
    kept = data;

    if (kept == NULL || strcmp(kept->spec, spec) != 0) {
        /* another cache now: the old one goes (children of the old
         * generation keep their own mappings until they finish) */
        if (kept) {
            /* the provider named in kept->spec is this generation's only
             * when the names match: then it may destroy its instance */
            if (strncmp(kept->spec, appverify_provider->name,
                        strlen(appverify_provider->name)) == 0
                && kept->spec[strlen(appverify_provider->name)] == ':')
            {
                appverify_provider->destroy(kept->cache, s);
            }

            apr_pool_destroy(kept->pool);
            apr_pool_userdata_set(NULL, APPVERIFY_KEPT_KEY, NULL,
                                  s->process->pool);
        }

        rv = appverify_kept_create(s, plog, spec, &kept);
        if (rv != APR_SUCCESS) {
            return rv;
        }

        apr_pool_userdata_set(kept, APPVERIFY_KEPT_KEY, NULL,
                              s->process->pool);
    }

    appverify_cache = kept->cache;
    appverify_mutex = kept->mutex;

    return APR_SUCCESS;
}


void
appverify_store_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t  rv;

    if (appverify_mutex == NULL) {
        return;
    }

    rv = apr_global_mutex_child_init(&appverify_mutex,
                                     apr_global_mutex_lockfile(
                                         appverify_mutex),
                                     p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mod_appverify: failed to attach the %s mutex in a "
                     "child", appverify_mutex_id);
    }
}


/* --- the store the core's transactions run on (av_store.h) ------------ */

/* One error line a second at most, whatever the number of requests. */

static void
appverify_store_failed(request_rec *r, apr_status_t rv, const char *what)
{
    apr_uint32_t  now, last;

    now = (apr_uint32_t) apr_time_sec(apr_time_now());
    last = apr_atomic_read32(&appverify_failed_at);

    if (last != now
        && apr_atomic_cas32(&appverify_failed_at, now, last) == last)
    {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "mod_appverify: cannot %s the %s cache: answering "
                      "503 store_unavailable", what, appverify_provider->name);
    }
}


static const char *
appverify_key(request_rec *r, const av_item_t *it)
{
    return apr_pstrcat(r->pool, APPVERIFY_KEY_PREFIX, it->key, NULL);
}


static av_err_t
appverify_store_begin(void *data)
{
    request_rec   *r = data;
    apr_status_t   rv;

    if (appverify_cache == NULL || appverify_mutex == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "mod_appverify: no cache: AppVerifyApiKeyFile is "
                      "not set for any server");
        return AV_ERR_INTERNAL;
    }

    rv = apr_global_mutex_lock(appverify_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "mod_appverify: failed to lock the cache");
        return AV_ERR_INTERNAL;
    }

    return AV_OK;
}


static void
appverify_store_end(void *data)
{
    request_rec   *r = data;
    apr_status_t   rv;

    rv = apr_global_mutex_unlock(appverify_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "mod_appverify: failed to unlock the cache");
    }
}


/*
 * apr_redis and apr_memcache answer "not found" also when no server is
 * up, so on a cache shared over the network an absent entry is believed
 * only when the cache shows it is there: an entry of its own, put back
 * when missing (after a flush or a restart without persistence).  Once a
 * request; a cache in this process (shmcb) is always there.
 */

#define APPVERIFY_ALIVE_KEY  APPVERIFY_KEY_PREFIX "alive"

static int
appverify_store_alive(request_rec *r)
{
    unsigned int      len;
    unsigned char     byte;
    apr_status_t      rv;
    appverify_req_t  *rq;

    rq = appverify_req(r);

    if (rq->store_seen
        || (appverify_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE))
    {
        return 1;
    }

    len = 1;
    rv = appverify_provider->retrieve(appverify_cache, r->server,
                                      (const unsigned char *)
                                      APPVERIFY_ALIVE_KEY,
                                      sizeof(APPVERIFY_ALIVE_KEY) - 1,
                                      &byte, &len, r->pool);

    if (rv != APR_SUCCESS) {
        byte = 1;
        rv = appverify_provider->store(appverify_cache, r->server,
                                       (const unsigned char *)
                                       APPVERIFY_ALIVE_KEY,
                                       sizeof(APPVERIFY_ALIVE_KEY) - 1,
                                       apr_time_now()
                                       + apr_time_from_sec(86400 * 365),
                                       &byte, 1, r->pool);
    }

    rq->store_seen = (rv == APR_SUCCESS);

    return rq->store_seen;
}


/* An entry that is not exactly its kind's size (another layout) reads as
 * absent; the core validates the rest. */

static av_err_t
appverify_store_read(void *data, av_item_t *it)
{
    request_rec   *r = data;
    const char    *key;
    unsigned int   len, size;
    apr_status_t   rv;

    key = appverify_key(r, it);
    size = (unsigned int) av_item_size(it->kind);
    len = size;

    rv = appverify_provider->retrieve(appverify_cache, r->server,
                                      (const unsigned char *) key,
                                      (unsigned int) strlen(key),
                                      (unsigned char *) &it->v, &len,
                                      r->pool);

    /* a cache that cannot be read is not an empty one: nobody is told to
     * start (and pay for) a verification again */

    if (rv != APR_SUCCESS
        && (!APR_STATUS_IS_NOTFOUND(rv) || !appverify_store_alive(r)))
    {
        appverify_store_failed(r, rv, "retrieve from");
        return AV_ERR_STORE_UNAVAILABLE;
    }

    if (rv == APR_SUCCESS) {
        appverify_req(r)->store_seen = 1;
    }

    it->found = (rv == APR_SUCCESS && len == size);

    return AV_OK;
}


static void
appverify_store_delete(request_rec *r, const av_item_t *it)
{
    const char  *key;

    key = appverify_key(r, it);

    (void) appverify_provider->remove(appverify_cache, r->server,
                                      (const unsigned char *) key,
                                      (unsigned int) strlen(key), r->pool);
}


/*
 * Every write under the mutex, so nobody else changes an item meanwhile:
 * never a conflict.  All or nothing as far as socache allows: when a
 * store fails, what this commit stored already is removed again (an item
 * it overwrote is gone then, not restored: socache cannot say when the old
 * one expired), and deletes, which cannot be undone, come last.
 */

static av_err_t
appverify_store_commit(void *data, av_item_t *items, unsigned n,
    int *conflict)
{
    request_rec   *r = data;
    unsigned       i;
    av_item_t     *it;
    const char    *key;
    apr_time_t     expiry;
    apr_status_t   rv;

    for (i = 0; i < n; i++) {
        it = &items[i];

        if (it->write != AV_WRITE_PUT) {
            continue;
        }

        key = appverify_key(r, it);

        /* socache wants an expiry in the future */
        expiry = (apr_time_t) it->expires_ms * 1000;
        if (expiry <= apr_time_now()) {
            expiry = apr_time_now() + APR_USEC_PER_SEC;
        }

        rv = appverify_provider->store(appverify_cache, r->server,
                                       (const unsigned char *) key,
                                       (unsigned int) strlen(key), expiry,
                                       (unsigned char *) &it->v,
                                       (unsigned int) av_item_size(it->kind),
                                       r->pool);
        if (rv != APR_SUCCESS) {
            appverify_store_failed(r, rv, "store in");
            goto failed;
        }
    }

    for (i = 0; i < n; i++) {
        if (items[i].write == AV_WRITE_DELETE) {
            appverify_store_delete(r, &items[i]);
        }
    }

    return AV_OK;

failed:

    while (i--) {
        if (items[i].write == AV_WRITE_PUT) {
            appverify_store_delete(r, &items[i]);
        }
    }

    /* a local cache that refuses an entry is full; a network one may be
     * unreachable as well */
    return (appverify_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE)
           ? AV_ERR_STORE_FULL : AV_ERR_STORE_UNAVAILABLE;
}


static int64_t
appverify_store_ttl_ms(request_rec *r)
{
    apr_time_t                ttl;
    appverify_server_conf_t  *sc;

    sc = ap_get_module_config(r->server->module_config, &appverify_module);
    ttl = sc->record_ttl != APPVERIFY_UNSET ? sc->record_ttl
                                            : APPVERIFY_RECORD_TTL;

    return (int64_t) apr_time_as_msec(ttl);
}


static void
appverify_socache_store(request_rec *r, av_store_t *s)
{
    s->data = r;
    s->begin = appverify_store_begin;
    s->read = appverify_store_read;
    s->commit = appverify_store_commit;
    s->end = appverify_store_end;
}


/*
 * The store for r's transactions: its server's record ttl, its pool and
 * log, its counters.  One per request, kept with the request's state.
 */

const av_store_t *
appverify_store(request_rec *r)
{
    appverify_req_t  *rq;

    rq = appverify_req(r);

    if (rq->store.data == NULL) {
        rq->store.ttl_ms = appverify_store_ttl_ms(r);
        rq->store.metrics = appverify_metrics;

        /* with Redis, the steps run on snapshots (appverify_run): the
         * store is only their ttl and counters */
        if (appverify_redis_enabled()) {
            rq->store.data = r;

        } else {
            appverify_socache_store(r, &rq->store);
        }
    }

    return &rq->store;
}


/*
 * With AppVerifyRedis: the socache as this node's copy in front of it,
 * NULL when there is none (or no Redis behind).  It counts nothing: what
 * a run on it counts is the caller's to add when its answer is used.
 */

const av_store_t *
appverify_store_cache(request_rec *r)
{
    appverify_req_t  *rq;

    if (!appverify_redis_enabled() || appverify_cache == NULL) {
        return NULL;
    }

    rq = appverify_req(r);

    if (rq->cache.data == NULL) {
        rq->cache.ttl_ms = appverify_store_ttl_ms(r);
        rq->cache.metrics = NULL;
        appverify_socache_store(r, &rq->cache);
    }

    return &rq->cache;
}


/*
 * After a run against Redis: a terminal record its answer holds is kept
 * in this node's copy (with Redis's expiry, from its creation), so the
 * next gate or status here needs no round trip, and passes while Redis is
 * down.  A pending one is not: another node may take its callback.
 */

void
appverify_store_keep(request_rec *r, const av_answer_t *a)
{
    const av_store_t  *cache;

    cache = appverify_store_cache(r);

    if (cache == NULL || !a->have_rec) {
        return;
    }

    if (av_store_keep(cache, &a->rec, cache->ttl_ms, appverify_now_ms())
        != AV_OK)
    {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "appverify: the %s cache cannot keep a copy of xid "
                      "\"%s\"", appverify_provider->name, a->rec.xid);
    }
}
