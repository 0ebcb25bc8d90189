/*
 * mod_appverify: verification records and rate buckets in mod_socache.
 *
 * The mod_authn_socache model: one socache instance for the whole server
 * (shmcb unless AppVerifyCache names another provider), one global mutex
 * created in post_config and re-attached in child_init.  These kinds of
 * entry, each a fixed-size, pointer-free struct stored as bytes:
 *
 *   appverify:1:x:<xid>    the verification (av_record_t), kept record-ttl
 *                          from its creation;
 *   appverify:1:p:<phone>  the phone's rate bucket and latest xid, kept
 *                          only as long as the duplicate and rate rules
 *                          need it;
 *   appverify:1:c:<addr>   a client address's rate bucket (av_rate_t,
 *                          AppVerifyClientLimit), and
 *   appverify:1:n:<digits> a number range's (AppVerifyPrefixLimit), kept
 *                          while they can still say no;
 *   appverify:1:l:<xid>    "Telesign is being or was asked about this
 *                          xid": while the lookup is in flight and for
 *                          the lookup interval after it was claimed,
 *                          nobody asks again.
 *
 * The rules are nginx's zone rules (ngx_http_appverify_zone.c), decided by
 * the core: av_record_is_running, av_rate_take, av_record_apply,
 * av_record_attempt_reserve, av_record_finalize.  Every read-modify-write
 * runs under the mutex, so the processes of one httpd never lose an
 * update.  Between httpd instances sharing a Redis the mutex does not
 * reach: two nodes applying updates to one xid at the same instant may
 * lose one of them (the next callback retry or Get Status mends it), two
 * may reserve one finalize attempt at once, and a phone's rate may be
 * exceeded by the number of nodes (a client address's and a number range's
 * likewise).
 *
 * The "1" in the keys is the layout of what is stored: a change of
 * av_record_t bumps it (and AV_RECORD_VERSION), so that old entries are
 * never read as new ones.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_mutex.h"
#include "ap_provider.h"
#include "apr_strings.h"

#include "mod_appverify.h"


#define APPVERIFY_KEY_PREFIX  "appverify:1:"


typedef struct {
    av_rate_t  rate;
    char       xid[AV_XID_MAX + 1];
} appverify_phone_t;


static const char             *appverify_mutex_id = "appverify-cache";
static apr_global_mutex_t     *appverify_mutex;
static ap_socache_provider_t  *appverify_provider;
static ap_socache_instance_t  *appverify_cache;
static int                     appverify_explicit;


/* --- configuration and process life ----------------------------------- */

int
appverify_store_pre_config(apr_pool_t *pconf)
{
    apr_status_t  rv;

    rv = ap_mutex_register(pconf, appverify_mutex_id, NULL, APR_LOCK_DEFAULT,
                           0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, pconf, APLOGNO(10710)
                      "mod_appverify: failed to register the %s mutex",
                      appverify_mutex_id);
        return 500;     /* an HTTP status would be a misnomer */
    }

    /* a restart starts from scratch: the old instance died with pconf */
    appverify_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP,
                                            AP_SOCACHE_DEFAULT_PROVIDER,
                                            AP_SOCACHE_PROVIDER_VERSION);
    appverify_cache = NULL;
    appverify_mutex = NULL;
    appverify_explicit = 0;

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

    err = appverify_provider->create(&appverify_cache, sep, cmd->temp_pool,
                                     cmd->pool);
    if (err) {
        return apr_psprintf(cmd->pool, "AppVerifyCache: %s", err);
    }

    appverify_explicit = 1;

    return NULL;
}


static apr_status_t
appverify_store_destroy(void *data)
{
    server_rec  *s = data;

    if (appverify_cache) {
        appverify_provider->destroy(appverify_cache, s);
        appverify_cache = NULL;
    }

    return APR_SUCCESS;
}


static apr_status_t
appverify_store_remove_lock(void *data)
{
    if (appverify_mutex) {
        apr_global_mutex_destroy(appverify_mutex);
        appverify_mutex = NULL;
    }

    return APR_SUCCESS;
}


apr_status_t
appverify_store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
    apr_pool_t *ptemp, server_rec *s)
{
    int                       used;
    server_rec               *vs;
    const char               *err;
    apr_status_t              rv;
    appverify_server_conf_t  *sc;

    static struct ap_socache_hints  hints = {
        40,                             /* average xid/phone key */
        sizeof(av_record_t),            /* average entry */
        60 * APR_USEC_PER_SEC           /* expiry sweep interval */
    };

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
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, APLOGNO(10711)
                      "mod_appverify: no socache provider: load "
                      "mod_socache_shmcb or name one with AppVerifyCache");
        return APR_EGENERAL;
    }

    rv = ap_global_mutex_create(&appverify_mutex, NULL, appverify_mutex_id,
                                NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog, APLOGNO(10712)
                      "mod_appverify: failed to create the %s mutex",
                      appverify_mutex_id);
        return rv;
    }

    apr_pool_cleanup_register(pconf, NULL, appverify_store_remove_lock,
                              apr_pool_cleanup_null);

    if (appverify_cache == NULL) {
        err = appverify_provider->create(&appverify_cache, NULL, ptemp,
                                         pconf);
        if (err) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, APLOGNO(10713)
                          "mod_appverify: %s", err);
            return APR_EGENERAL;
        }
    }

    rv = appverify_provider->init(appverify_cache, "appverify", &hints, s,
                                  pconf);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog, APLOGNO(10714)
                      "mod_appverify: failed to initialise the %s cache",
                      appverify_provider->name);
        return rv;
    }

    apr_pool_cleanup_register(pconf, s, appverify_store_destroy,
                              apr_pool_cleanup_null);

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
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(10715)
                     "mod_appverify: failed to attach the %s mutex in a "
                     "child", appverify_mutex_id);
    }
}


/* --- entries ----------------------------------------------------------- */

static const char *
appverify_key(request_rec *r, char kind, const char *id)
{
    return apr_psprintf(r->pool, APPVERIFY_KEY_PREFIX "%c:%s", kind, id);
}


/* 1 when the entry exists and has exactly the size asked for */

static int
appverify_get(request_rec *r, const char *key, void *buf, unsigned int size)
{
    unsigned int  len;
    apr_status_t  rv;

    len = size;

    rv = appverify_provider->retrieve(appverify_cache, r->server,
                                      (const unsigned char *) key,
                                      (unsigned int) strlen(key), buf, &len,
                                      r->pool);

    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_NOTFOUND(rv)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                          "mod_appverify: %s retrieve failed",
                          appverify_provider->name);
        }

        return 0;
    }

    return len == size;
}


static int
appverify_put(request_rec *r, const char *key, const void *buf,
    unsigned int size, apr_time_t expiry)
{
    apr_status_t  rv;

    /* socache wants an expiry in the future */
    if (expiry <= apr_time_now()) {
        expiry = apr_time_now() + APR_USEC_PER_SEC;
    }

    rv = appverify_provider->store(appverify_cache, r->server,
                                   (const unsigned char *) key,
                                   (unsigned int) strlen(key), expiry,
                                   (unsigned char *) buf, size, r->pool);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, APLOGNO(10716)
                      "mod_appverify: cannot store in the %s cache",
                      appverify_provider->name);
        return 0;
    }

    return 1;
}


static int
appverify_get_record(request_rec *r, const char *xid, av_record_t *rec)
{
    return appverify_get(r, appverify_key(r, 'x', xid), rec,
                         sizeof(av_record_t))
           && rec->version == AV_RECORD_VERSION
           && strcmp(rec->xid, xid) == 0;
}


/* a record lives ttl from its creation, however often it changes */

static int
appverify_put_record(request_rec *r, const av_record_t *rec)
{
    apr_time_t                ttl;
    appverify_server_conf_t  *sc;

    sc = ap_get_module_config(r->server->module_config, &appverify_module);
    ttl = sc->record_ttl != APPVERIFY_UNSET ? sc->record_ttl
                                            : APPVERIFY_RECORD_TTL;

    return appverify_put(r, appverify_key(r, 'x', rec->xid), rec,
                         sizeof(av_record_t),
                         (apr_time_t) rec->created_ms * 1000 + ttl);
}


static int
appverify_lock(request_rec *r)
{
    apr_status_t  rv;

    if (appverify_cache == NULL || appverify_mutex == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10717)
                      "mod_appverify: no cache: AppVerifyApiKeyFile is "
                      "not set for any server");
        return 0;
    }

    rv = apr_global_mutex_lock(appverify_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, APLOGNO(10718)
                      "mod_appverify: failed to lock the cache");
        return 0;
    }

    return 1;
}


static void
appverify_unlock(request_rec *r)
{
    apr_status_t  rv;

    rv = apr_global_mutex_unlock(appverify_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, APLOGNO(10719)
                      "mod_appverify: failed to unlock the cache");
    }
}


/* --- the rules ---------------------------------------------------------- */

/*
 * Starts a verification: reads what the core's rules need (av_start.h:
 * the phone's, client address's (r->useragent_ip) and number range's
 * buckets, the phone's latest record, whether the xid is taken), lets the
 * core decide, and stores rec and the buckets it wrote back, or nothing on
 * refusal (*why then says why, for the log line).  The phone's bucket
 * lives in its phone entry with the phone's latest xid; the others are
 * bare av_rate_t entries.
 */

av_err_t
appverify_store_start(request_rec *r, av_record_t *rec,
    const appverify_dir_conf_t *dc, const char **why)
{
    av_err_t           rc;
    apr_size_t         i;
    const char        *key[AV_BUCKETS_MAX];
    av_bucket_t       *bk;
    av_start_t         st;
    av_start_conf_t    conf;
    av_record_t        taken;
    appverify_phone_t  ph;
    apr_time_t         at;

    conf.phone.rate = (uint32_t) dc->rate;
    conf.phone.burst = (uint32_t) dc->burst;
    conf.client.rate = dc->client_rate > 0 ? (uint32_t) dc->client_rate : 0;
    conf.client.burst = (uint32_t) dc->client_burst;
    conf.prefix.rate = dc->prefix_rate > 0 ? (uint32_t) dc->prefix_rate : 0;
    conf.prefix.burst = (uint32_t) dc->prefix_burst;
    conf.prefix_digits = (unsigned) dc->prefix_digits;
    conf.pending_ms = (int64_t) dc->pending_timeout * 1000;

    av_start_init(&st, rec, &conf, r->useragent_ip);

    for (i = 0; i < st.n; i++) {
        key[i] = apr_pstrcat(r->pool, APPVERIFY_KEY_PREFIX, st.bucket[i].key,
                             NULL);
    }

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    for (i = 0; i < st.n; i++) {
        bk = &st.bucket[i];

        if (i == 0) {
            if (appverify_get(r, key[0], &ph, sizeof(ph))) {
                bk->found = 1;
                bk->state = ph.rate;
                apr_cpystrn(bk->xid, ph.xid, sizeof(bk->xid));
            }

        } else {
            bk->found = appverify_get(r, key[i], &bk->state,
                                      sizeof(av_rate_t));
        }
    }

    st.have_last = st.bucket[0].xid[0]
                   && appverify_get_record(r, st.bucket[0].xid, &st.last);

    st.xid_taken = appverify_get_record(r, rec->xid, &taken);

    rc = av_start_decide(&st, rec, &conf, rec->created_ms);

    *why = st.why;

    if (rc != AV_OK) {
        goto done;
    }

    if (!appverify_put_record(r, rec)) {
        rc = AV_ERR_STORE_FULL;
        goto done;
    }

    at = (apr_time_t) rec->created_ms * 1000;

    memset(&ph, 0, sizeof(ph));
    ph.rate = st.bucket[0].state;
    apr_cpystrn(ph.xid, st.bucket[0].xid, sizeof(ph.xid));

    if (!appverify_put(r, key[0], &ph, sizeof(ph),
                       at + (apr_time_t) st.bucket[0].keep_ms * 1000))
    {
        rc = AV_ERR_STORE_FULL;
        goto done;
    }

    /*
     * A guard's bucket that cannot be stored is not a reason to refuse:
     * the record is what matters, and appverify_put logged the failure.
     */

    for (i = 1; i < st.n; i++) {
        (void) appverify_put(r, key[i], &st.bucket[i].state,
                             sizeof(av_rate_t),
                             at + (apr_time_t) st.bucket[i].keep_ms * 1000);
    }

    rc = AV_OK;

done:

    appverify_unlock(r);

    return rc;
}


/*
 * Applies a status from Telesign (callback or Get Status) to its record,
 * creating the record when this node has never seen the xid: the token may
 * have been issued by another node that shares the session secret, and the
 * client's credential is what proves the xid is theirs.  A status naming
 * another phone than the record's is refused.  The cache is locked.
 */

static av_err_t
appverify_apply_locked(request_rec *r, const av_status_doc_t *doc,
    int release, av_record_t *out, av_apply_t *result)
{
    int          held;
    int64_t      now_ms;
    av_record_t  rec;

    now_ms = appverify_now_ms();

    if (!appverify_get_record(r, doc->xid, &rec)) {
        av_record_unseen(&rec, doc->xid, doc->phone,
                         doc->reference_id[0] ? AV_FLOW_CALL : AV_FLOW_SDK,
                         now_ms);

        (void) av_record_accept(&rec, doc, now_ms, result);

    } else {
        /* a finalize's outcome ends the attempt it reserved */
        held = release && rec.checking;

        if (av_record_accept(&rec, doc, now_ms, result) != AV_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(10720)
                          "appverify: status for xid \"%s\" names another "
                          "phone than the one it was issued for, ignored",
                          doc->xid);
            return AV_ERR_MALFORMED_BODY;
        }

        if (held) {
            av_record_attempt_release(&rec);
        }

        if ((*result == AV_APPLY_SAME || *result == AV_APPLY_STALE) && !held) {
            *out = rec;
            return AV_OK;
        }
    }

    if (!appverify_put_record(r, &rec)) {
        return AV_ERR_STORE_FULL;
    }

    *out = rec;

    return AV_OK;
}


av_err_t
appverify_store_apply(request_rec *r, const av_status_doc_t *doc,
    av_record_t *out, av_apply_t *result)
{
    av_err_t  rc;

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    rc = appverify_apply_locked(r, doc, 0, out, result);

    appverify_unlock(r);

    return rc;
}


/*
 * Get Status for an xid that is pending or absent here, in two steps
 * around the call to Telesign (nginx's zone_lookup_begin and _end).
 *
 * The mark (appverify:1:l:<xid>) says when a lookup was last claimed and
 * until when it is in flight.  Claiming reads the record and stamps the
 * mark under the global mutex, before Telesign is called, so of any number
 * of concurrent requests for the xid, in any thread or process of this
 * httpd (or any node sharing the cache), one asks and the others answer
 * from the stored state: while the lookup is in flight, however long
 * Telesign takes, and for the lookup interval after it was claimed.  A
 * lookup whose requester vanished (a child that died in the call) is
 * forgotten once the call's timeout has passed.
 */

typedef struct {
    int64_t  at_ms;             /* the last lookup was claimed then */
    int64_t  busy_until_ms;     /* 0, or it is in flight until then */
} appverify_lookup_t;


/*
 * *claim != 0 (the claim's stamp) when the caller is to ask Telesign now,
 * and then must call appverify_store_lookup_end with it; 0 when the stored
 * state is the answer: the record is terminal or a missed call's (decided
 * by finalize, not Get Status), a lookup is in flight or was claimed less
 * than the interval ago, or dc is NULL (no lookups here).  out/have: the
 * record as stored.
 */

av_err_t
appverify_store_lookup_begin(request_rec *r, const char *xid,
    const appverify_dir_conf_t *dc, av_record_t *out, int *have,
    int64_t *claim)
{
    int64_t             now_ms, elapsed, until;
    const char         *key;
    appverify_lookup_t  mk;

    *claim = 0;
    key = appverify_key(r, 'l', xid);

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    *have = appverify_get_record(r, xid, out);

    if (dc == NULL
        || (*have && (av_state_is_terminal(out->state)
                      || out->flow == AV_FLOW_CALL)))
    {
        goto done;
    }

    now_ms = appverify_now_ms();

    if (appverify_get(r, key, &mk, sizeof(mk))) {
        elapsed = now_ms - mk.at_ms;

        /* a clock that went back does not hold lookups off until it is
         * back where it was */

        if (elapsed >= 0
            && (now_ms < mk.busy_until_ms
                || elapsed < (int64_t) dc->lookup_interval_ms))
        {
            goto done;
        }
    }

    /* the call ends within the timeout (libcurl's, for the whole call) */

    mk.at_ms = now_ms;
    mk.busy_until_ms = now_ms + ((int64_t) dc->timeout + 1) * 1000;

    until = mk.at_ms + (int64_t) dc->lookup_interval_ms;
    if (until < mk.busy_until_ms) {
        until = mk.busy_until_ms;
    }

    /* without a mark there is no claim: nobody would see it */

    if (appverify_put(r, key, &mk, sizeof(mk), (apr_time_t) until * 1000)) {
        *claim = now_ms;
    }

done:

    appverify_unlock(r);

    return AV_OK;
}


/*
 * Ends a lookup claimed at claim: applies what Telesign answered (doc), or
 * nothing when there was no usable answer (the stored state stays as it
 * was), then marks the lookup no longer in flight, so the next one waits
 * for the rest of the interval only.  out/have: the record now.  The
 * status is applied before the mark is cleared, so nobody asks again in
 * between.  Returns what applying said (AV_OK without doc), or
 * AV_ERR_INTERNAL when the cache could not be locked.
 */

av_err_t
appverify_store_lookup_end(request_rec *r, const char *xid, int64_t claim,
    int64_t interval_ms, const av_status_doc_t *doc, av_record_t *out,
    int *have, av_apply_t *result)
{
    av_err_t            rc;
    const char         *key;
    appverify_lookup_t  mk;

    key = appverify_key(r, 'l', xid);
    rc = AV_OK;

    /* out/have stay what lookup_begin said; the mark runs out by itself */

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    if (doc) {
        rc = appverify_apply_locked(r, doc, 0, out, result);
    }

    *have = appverify_get_record(r, xid, out);

    /* a newer claim (ours had run out) is not ours to end */

    if (appverify_get(r, key, &mk, sizeof(mk)) && mk.at_ms == claim) {
        mk.busy_until_ms = 0;
        (void) appverify_put(r, key, &mk, sizeof(mk),
                             (apr_time_t) (mk.at_ms + interval_ms) * 1000);
    }

    appverify_unlock(r);

    return rc;
}


/*
 * Missed-call flow: stores a record that Telesign's initiate answer filled
 * in (reference id and prefix), over the pending one store_start put.
 */

av_err_t
appverify_store_put(request_rec *r, const av_record_t *rec)
{
    int  ok;

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    ok = appverify_put_record(r, rec);

    appverify_unlock(r);

    return ok ? AV_OK : AV_ERR_STORE_FULL;
}


/*
 * Forgets a verification that never started (Telesign refused or could not
 * be reached), so that the duplicate rule does not hold the phone for the
 * pending window; the rate bucket keeps its count.
 */

void
appverify_store_remove(request_rec *r, const char *xid)
{
    const char  *key;

    key = appverify_key(r, 'x', xid);

    if (!appverify_lock(r)) {
        return;
    }

    appverify_provider->remove(appverify_cache, r->server,
                               (const unsigned char *) key,
                               (unsigned int) strlen(key), r->pool);

    appverify_unlock(r);
}


/*
 * Missed-call finalize, in two steps around the call to Telesign (nginx's
 * zone_finalize_begin and zone_finalize / zone_attempt_end).
 *
 * Before the call, one of the record's attempts is reserved in the same
 * locked read-modify-write that reads it (av_record_attempt_reserve), so
 * of any number of codes sent at once for one session, in any thread or
 * process of this httpd, no more are checked by Telesign than it has
 * attempts left; the others are refused with 409 attempt_in_progress.  The
 * lock is held around the cache only, never across the call.  The
 * reservation ends with the answer (appverify_store_finalize), with the
 * outcome of a call Telesign says it decided already
 * (appverify_store_outcome), or is given back when Telesign gave no usable
 * answer (appverify_store_attempt_release).  The libcurl call always ends
 * (AppVerifyTelesignTimeout), so a client that leaves meanwhile still has
 * its code counted, as nginx counts it.
 *
 * AV_OK: an attempt is reserved, *out is the record with it.
 * AV_ERR_ALREADY_FINAL (verified), AV_ERR_FAILED, AV_ERR_BLOCKED: decided
 * already, *out is the record to answer from.  AV_ERR_ATTEMPT_BUSY: every
 * attempt left is in flight.  AV_ERR_UNKNOWN_SESSION: no record, or not a
 * missed call that Telesign placed.  AV_ERR_STORE_FULL: the reservation
 * could not be stored (none is held).
 */

av_err_t
appverify_store_finalize_begin(request_rec *r, const char *xid,
    unsigned max_attempts, av_record_t *out)
{
    av_err_t     rc;
    av_record_t  rec;

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    if (!appverify_get_record(r, xid, &rec)) {
        rc = AV_ERR_UNKNOWN_SESSION;
        goto done;
    }

    rc = av_record_attempt_reserve(&rec, max_attempts);

    if (rc == AV_OK && !appverify_put_record(r, &rec)) {
        rc = AV_ERR_STORE_FULL;
    }

    *out = rec;

done:

    appverify_unlock(r);

    return rc;
}


/* Gives a reserved attempt back: Telesign was not asked, or its answer
 * could not be read, so the code was not checked as far as we know. */

void
appverify_store_attempt_release(request_rec *r, const char *xid)
{
    av_record_t  rec;

    if (!appverify_lock(r)) {
        return;
    }

    if (appverify_get_record(r, xid, &rec) && rec.checking) {
        av_record_attempt_release(&rec);
        (void) appverify_put_record(r, &rec);
    }

    appverify_unlock(r);
}


/*
 * Telesign decided the call already (the answer to an earlier finalize
 * was lost): applies the call's status, asked for instead, as a status and
 * not an attempt, and ends the reservation in the same locked step.
 */

av_err_t
appverify_store_outcome(request_rec *r, const av_status_doc_t *doc,
    av_record_t *out, av_apply_t *result)
{
    av_err_t  rc;

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    rc = appverify_apply_locked(r, doc, 1, out, result);

    appverify_unlock(r);

    return rc;
}


/* Applies a finalize answer to its record, ending the reservation
 * (av_record_finalize decides). */

av_err_t
appverify_store_finalize(request_rec *r, const char *xid, int code,
    unsigned max_attempts, av_record_t *out, unsigned *left)
{
    av_err_t     rc;
    av_record_t  rec;

    if (!appverify_lock(r)) {
        return AV_ERR_INTERNAL;
    }

    if (!appverify_get_record(r, xid, &rec)) {
        rc = AV_ERR_UNKNOWN_SESSION;
        goto done;
    }

    *left = av_record_finalize(&rec, code, max_attempts, appverify_now_ms());

    rc = appverify_put_record(r, &rec) ? AV_OK : AV_ERR_STORE_FULL;
    *out = rec;

done:

    appverify_unlock(r);

    return rc;
}
