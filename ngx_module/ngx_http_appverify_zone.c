
/*
 * appverify: the shared memory zone.
 *
 * The limit_req model: a slab pool with lookup structures and queues,
 * newest first.  Two kinds of node share the pool, each with its own:
 *
 *   record  keyed by xid, in a hash table sized with the zone and keyed
 *           with a random secret of the zone's own (a client chooses its
 *           xid, and must not be able to choose xids that share a chain):
 *           the verification (av_record_t), kept for ttl;
 *   bucket  keyed by phone, client address or number prefix, in an rbtree
 *           (they are few and short-lived): a rate
 *           bucket (a phone's also names its latest xid), kept only as
 *           long as the duplicate and rate rules need it.
 *
 * Expired nodes are reclaimed two at a time on each write, and an expired
 * node that a lookup meets is reclaimed on the spot, so that a key is
 * never stored twice.  When the pool
 * is full, the oldest nodes that hold no verified state are evicted to make
 * room; a verified record is never evicted before its ttl, so when nothing
 * else is left the new verification is refused (503 store_full) and an
 * alert is logged at most once a minute.  The zone is reused as it is
 * across "nginx -s reload" when its name and size are unchanged.
 */


#include "ngx_http_appverify_module.h"


#define NGX_HTTP_APPVERIFY_RECORD  1
#define NGX_HTTP_APPVERIFY_PHONE   2

/* how many old nodes one allocation may evict before giving up */
#define NGX_HTTP_APPVERIFY_EVICT_MAX  32


/*
 * A rate bucket, keyed as the core names it (av_start.h): "p:<phone>",
 * "c:<client address>" or "n:<number prefix>"; a phone's also names its
 * latest verification.
 */

typedef struct {
    av_rate_t                    rate;
    char                         key[AV_BUCKET_KEY_MAX + 1];
    char                         xid[AV_XID_MAX + 1];
} ngx_http_appverify_limit_t;


typedef struct ngx_http_appverify_node_s  ngx_http_appverify_node_t;

struct ngx_http_appverify_node_s {
    ngx_rbtree_node_t            node;      /* key: crc32 of xid or phone */
    ngx_http_appverify_node_t   *hnext;     /* records: the hash chain */
    ngx_queue_t                  queue;
    time_t                       expires;
    ngx_uint_t                   kind;
    ngx_msec_t                   lookup_at; /* last Get Status asked */
    ngx_uint_t                   lookup_busy;  /* one is in flight */
    union {
        av_record_t              rec;
        ngx_http_appverify_limit_t  lim;
    } u;
};


#define ngx_http_appverify_node_size(member)                                 \
    (offsetof(ngx_http_appverify_node_t, u)                                  \
     + sizeof(((ngx_http_appverify_node_t *) 0)->u.member))


/*
 * A record node must stay within the slab's 256-byte chunks: one more byte
 * and every record takes 512 (a million records need 256 MB, not 512).
 */

typedef char ngx_http_appverify_record_fits_a_chunk[
    (ngx_http_appverify_node_size(rec) <= 256) ? 1 : -1];


static void ngx_http_appverify_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_appverify_node_t *ngx_http_appverify_node_find(
    ngx_http_appverify_zone_t *zone, const char *key, size_t len, time_t now);
static ngx_rbtree_key_t ngx_http_appverify_xid_hash(
    ngx_http_appverify_zone_t *zone, const char *xid, size_t len);
static ngx_http_appverify_node_t *ngx_http_appverify_alloc(
    ngx_http_appverify_zone_t *zone, size_t size,
    ngx_http_appverify_node_t **keep, ngx_uint_t nkeep, time_t now,
    ngx_log_t *log);
static ngx_uint_t ngx_http_appverify_kept(ngx_http_appverify_node_t *an,
    ngx_http_appverify_node_t **keep, ngx_uint_t nkeep);
static void ngx_http_appverify_bucket_store(ngx_http_appverify_zone_t *zone,
    av_bucket_t *bk, ngx_http_appverify_node_t **node,
    ngx_http_appverify_node_t **all, ngx_uint_t n, time_t now,
    ngx_log_t *log);
static void ngx_http_appverify_expire(ngx_http_appverify_zone_t *zone,
    time_t now);
static void ngx_http_appverify_delete(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *an);
static ngx_http_appverify_node_t *ngx_http_appverify_record_find(
    ngx_http_appverify_zone_t *zone, const char *xid, size_t len, time_t now);
static void ngx_http_appverify_record_link(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn);
static void ngx_http_appverify_record_unlink(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn);
static ngx_http_appverify_node_t *ngx_http_appverify_new_record(
    ngx_http_appverify_zone_t *zone, char *xid, char *phone, av_flow_t flow,
    time_t now, ngx_log_t *log);
static av_err_t ngx_http_appverify_apply_locked(ngx_http_appverify_node_t *rn,
    av_status_doc_t *doc, av_apply_t *result, ngx_log_t *log);


static const char *
ngx_http_appverify_node_key(ngx_http_appverify_node_t *an)
{
    return an->kind == NGX_HTTP_APPVERIFY_RECORD ? an->u.rec.xid
                                                 : an->u.lim.key;
}


ngx_int_t
ngx_http_appverify_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_appverify_zone_t  *ozone = data;

    size_t                      len;
    ngx_uint_t                  n;
    ngx_http_appverify_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        /* reload: keep the state the previous cycle built */
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        goto hash;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        goto hash;
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_http_appverify_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    /*
     * Records are found through a hash table, not a tree: at a million
     * records an rbtree walk is twenty cache misses on every gated request.
     * One bucket per 256 bytes of zone (a record's size) keeps chains short.
     */

    n = 64;
    while (n * 2 <= shm_zone->shm.size / 256) {
        n *= 2;
    }

    zone->sh->xid_hash = ngx_slab_calloc(zone->shpool, n * sizeof(void *));
    if (zone->sh->xid_hash == NULL) {
        return NGX_ERROR;
    }

    zone->sh->xid_hash_mask = n - 1;

    ngx_rbtree_init(&zone->sh->phones, &zone->sh->phone_sentinel,
                    ngx_http_appverify_rbtree_insert_value);
    ngx_queue_init(&zone->sh->record_queue);
    ngx_queue_init(&zone->sh->phone_queue);

    len = sizeof(" in appverify zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in appverify zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is our business to report, once, not the slab's */
    zone->shpool->log_nomem = 0;

    if (av_hash_key_random(zone->sh->hash_key) != 0) {
        return NGX_ERROR;
    }

hash:

    /* each cycle its own context, every process the zone's one key */

    zone->hash = av_hash_new(zone->sh->hash_key);
    if (zone->hash == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "appverify: no SipHash in OpenSSL for zone \"%V\"",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Copies the record for xid into out: AV_OK or AV_ERR_UNKNOWN_SESSION. */

av_err_t
ngx_http_appverify_zone_find(ngx_http_appverify_zone_t *zone, u_char *xid,
    size_t len, av_record_t *out)
{
    av_err_t                    rc;
    ngx_http_appverify_node_t  *an;

    rc = AV_ERR_UNKNOWN_SESSION;

    ngx_shmtx_lock(&zone->shpool->mutex);

    an = ngx_http_appverify_record_find(zone, (const char *) xid, len, ngx_time());
    if (an) {
        ngx_memcpy(out, &an->u.rec, sizeof(av_record_t));
        rc = AV_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/*
 * Starts a verification: reads what the core's rules need (av_start.h:
 * the phone's, client address's and number range's buckets, the phone's
 * latest record, whether the xid is taken), lets the core decide, and
 * stores rec and the buckets it wrote back, or nothing on refusal.
 */

av_err_t
ngx_http_appverify_zone_start(ngx_http_appverify_zone_t *zone,
    av_record_t *rec, ngx_http_appverify_loc_conf_t *alcf,
    ngx_str_t *client, const char **why, ngx_log_t *log)
{
    time_t                       now;
    av_err_t                     rc;
    ngx_uint_t                   i;
    av_bucket_t                 *bk;
    av_start_t                   st;
    ngx_http_appverify_node_t   *rn, *node[AV_BUCKETS_MAX];
    u_char                       addr[NGX_SOCKADDR_STRLEN + 1];

    now = ngx_time();

    ngx_cpystrn(addr, client ? client->data : (u_char *) "",
                ngx_min(client ? client->len + 1 : 1, sizeof(addr)));

    av_start_init(&st, rec, &alcf->start, (const char *) addr);

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_appverify_expire(zone, now);

    for (i = 0; i < st.n; i++) {
        bk = &st.bucket[i];

        node[i] = ngx_http_appverify_node_find(zone, bk->key,
                                               ngx_strlen(bk->key), now);
        if (node[i]) {
            bk->found = 1;
            bk->state = node[i]->u.lim.rate;
            ngx_cpystrn((u_char *) bk->xid, (u_char *) node[i]->u.lim.xid,
                        sizeof(bk->xid));
        }
    }

    if (st.bucket[0].xid[0]) {
        rn = ngx_http_appverify_record_find(zone, st.bucket[0].xid,
                                            ngx_strlen(st.bucket[0].xid),
                                            now);
        if (rn) {
            st.have_last = 1;
            st.last = rn->u.rec;
        }
    }

    st.xid_taken = ngx_http_appverify_record_find(zone, rec->xid,
                                                  ngx_strlen(rec->xid), now)
                   != NULL;

    rc = av_start_decide(&st, rec, &alcf->start, rec->created_ms);

    *why = st.why;

    if (rc != AV_OK) {
        goto done;
    }

    rn = ngx_http_appverify_alloc(zone, ngx_http_appverify_node_size(rec),
                                  node, st.n, now, log);
    if (rn == NULL) {
        rc = AV_ERR_STORE_FULL;
        goto done;
    }

    /*
     * The buckets first, while the new record is in no queue that an
     * eviction could take it from.  A bucket we cannot store is not a
     * reason to refuse: the record is what matters, and a full zone
     * already alerts.
     */

    for (i = 0; i < st.n; i++) {
        ngx_http_appverify_bucket_store(zone, &st.bucket[i], &node[i], node,
                                        st.n, now, log);
    }

    rn->kind = NGX_HTTP_APPVERIFY_RECORD;
    rn->lookup_at = 0;
    rn->lookup_busy = 0;
    rn->u.rec = *rec;
    rn->expires = now + zone->ttl;
    rn->node.key = ngx_http_appverify_xid_hash(zone, rec->xid,
                                               ngx_strlen(rec->xid));
    ngx_http_appverify_record_link(zone, rn);
    ngx_queue_insert_head(&zone->sh->record_queue, &rn->queue);
    zone->sh->records++;

done:

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* Writes a bucket back as the core decided, creating its node if new. */

static void
ngx_http_appverify_bucket_store(ngx_http_appverify_zone_t *zone,
    av_bucket_t *bk, ngx_http_appverify_node_t **node,
    ngx_http_appverify_node_t **all, ngx_uint_t n, time_t now,
    ngx_log_t *log)
{
    ngx_http_appverify_node_t  *an;

    an = *node;

    if (an == NULL) {
        an = ngx_http_appverify_alloc(zone, ngx_http_appverify_node_size(lim),
                                      all, n, now, log);
        if (an == NULL) {
            return;
        }

        an->kind = NGX_HTTP_APPVERIFY_PHONE;
        an->lookup_at = 0;
        an->lookup_busy = 0;
        ngx_cpystrn((u_char *) an->u.lim.key, (u_char *) bk->key,
                    sizeof(an->u.lim.key));
        an->node.key = ngx_crc32_short((u_char *) bk->key,
                                       ngx_strlen(bk->key));
        ngx_rbtree_insert(&zone->sh->phones, &an->node);
        *node = an;

    } else {
        ngx_queue_remove(&an->queue);
    }

    an->u.lim.rate = bk->state;
    ngx_cpystrn((u_char *) an->u.lim.xid, (u_char *) bk->xid,
                sizeof(an->u.lim.xid));

    an->expires = now + (time_t) ((bk->keep_ms + 999) / 1000);
    ngx_queue_insert_head(&zone->sh->phone_queue, &an->queue);
}


/*
 * Applies a status from Telesign (callback or Get Status) to its record,
 * creating the record when this node has never seen the xid: the token may
 * have been issued by another node that shares the session secret, and the
 * client's credential is what proves the xid is theirs.
 */

av_err_t
ngx_http_appverify_zone_apply(ngx_http_appverify_zone_t *zone,
    av_status_doc_t *doc, av_record_t *out, av_apply_t *result,
    ngx_log_t *log)
{
    time_t                      now;
    av_err_t                    rc;
    ngx_http_appverify_node_t  *rn;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_appverify_expire(zone, now);

    rn = ngx_http_appverify_record_find(zone, doc->xid, ngx_strlen(doc->xid), now);

    if (rn == NULL) {
        rn = ngx_http_appverify_new_record(zone, doc->xid, doc->phone,
                                           doc->reference_id[0]
                                           ? AV_FLOW_CALL : AV_FLOW_SDK,
                                           now, log);
        if (rn == NULL) {
            rc = AV_ERR_STORE_FULL;
            goto done;
        }
    }

    rc = ngx_http_appverify_apply_locked(rn, doc, result, log);

    *out = rn->u.rec;

done:

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/*
 * Get Status for an xid that is pending or absent here.  Returns NGX_OK
 * when the caller is to ask Telesign (the lookup is now "in flight" in the
 * zone, so concurrent requests for the xid, in any worker, do not ask too),
 * NGX_DECLINED when the stored state is the answer: terminal, asked less
 * than interval ago, or being asked by another request.  An absent record
 * gets a placeholder, so that the in-flight mark has a home.
 */

ngx_int_t
ngx_http_appverify_zone_lookup_begin(ngx_http_appverify_zone_t *zone,
    u_char *xid, ngx_msec_t interval, av_record_t *out, ngx_uint_t *have,
    ngx_log_t *log)
{
    time_t                      now;
    ngx_int_t                   rc;
    ngx_msec_t                  elapsed;
    ngx_http_appverify_node_t  *rn;

    now = ngx_time();
    *have = 0;
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid,
                                   ngx_strlen(xid), now);

    /* Get Status is the SDK flow's: a missed call is decided by finalize */

    if (rn && (av_state_is_terminal(rn->u.rec.state)
               || rn->u.rec.flow == AV_FLOW_CALL))
    {
        goto found;
    }

    if (rn) {
        elapsed = ngx_current_msec - rn->lookup_at;

        /* a lookup whose requester vanished is forgotten after a minute */

        if ((rn->lookup_busy && elapsed < 60000)
            || (rn->lookup_at && elapsed < interval))
        {
            goto found;
        }

    } else {
        ngx_http_appverify_expire(zone, now);

        rn = ngx_http_appverify_new_record(zone, (char *) xid, "",
                                           AV_FLOW_SDK, now, log);
        if (rn == NULL) {
            goto done;
        }
    }

    rn->lookup_busy = 1;
    rn->lookup_at = ngx_current_msec;
    rc = NGX_OK;

found:

    *out = rn->u.rec;
    *have = 1;

done:

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/*
 * Ends a lookup with what Telesign answered: doc, or "unknown" (it does
 * not know the xid: a placeholder is removed), or neither (no usable
 * answer: the stored state stays as it was).  out/have: the record now.
 */

void
ngx_http_appverify_zone_lookup_end(ngx_http_appverify_zone_t *zone,
    u_char *xid, av_status_doc_t *doc, ngx_uint_t unknown, av_record_t *out,
    ngx_uint_t *have, ngx_log_t *log)
{
    time_t                      now;
    av_apply_t                  result;
    ngx_http_appverify_node_t  *rn;

    now = ngx_time();
    *have = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid, ngx_strlen(xid), now);
    if (rn == NULL) {
        goto done;
    }

    rn->lookup_busy = 0;

    if (doc) {
        (void) ngx_http_appverify_apply_locked(rn, doc, &result, log);

    } else if (unknown
               && rn->u.rec.state == AV_STATE_UNKNOWN && rn->u.rec.code == 0)
    {
        /* a placeholder Telesign knows nothing about has nothing to keep */
        ngx_http_appverify_delete(zone, rn);
        goto done;
    }

    *out = rn->u.rec;
    *have = 1;

done:

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* The missed call was placed: keep Telesign's reference id and prefix. */

av_err_t
ngx_http_appverify_zone_call_started(ngx_http_appverify_zone_t *zone,
    u_char *xid, av_api_answer_t *ans, av_record_t *out)
{
    av_err_t                    rc;
    ngx_http_appverify_node_t  *rn;

    rc = AV_ERR_UNKNOWN_SESSION;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid, ngx_strlen(xid),
                                   ngx_time());
    if (rn) {
        ngx_cpystrn((u_char *) rn->u.rec.reference_id,
                    (u_char *) ans->doc.reference_id,
                    sizeof(rn->u.rec.reference_id));
        ngx_cpystrn((u_char *) rn->u.rec.prefix, (u_char *) ans->prefix,
                    sizeof(rn->u.rec.prefix));
        *out = rn->u.rec;
        rc = AV_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* Forgets a verification that never started (Telesign refused the call). */

void
ngx_http_appverify_zone_delete(ngx_http_appverify_zone_t *zone, u_char *xid)
{
    ngx_http_appverify_node_t  *rn;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid, ngx_strlen(xid),
                                   ngx_time());
    if (rn) {
        ngx_http_appverify_delete(zone, rn);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * Before a finalize call: the core reserves one of the record's attempts
 * under the lock, so parallel requests cannot have more codes checked
 * than max_attempts.  out: the record (also when refused, to answer from).
 */

av_err_t
ngx_http_appverify_zone_finalize_begin(ngx_http_appverify_zone_t *zone,
    u_char *xid, size_t len, ngx_uint_t max_attempts, av_record_t *out)
{
    av_err_t                    rc;
    ngx_http_appverify_node_t  *rn;

    rc = AV_ERR_UNKNOWN_SESSION;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid, len,
                                        ngx_time());
    if (rn) {
        rc = av_record_attempt_reserve(&rn->u.rec, max_attempts);
        *out = rn->u.rec;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/*
 * Ends a reserved attempt without a finalize answer: given back when
 * Telesign gave no usable answer, counted when the client left mid-call
 * (lost: we cannot know whether Telesign checked the code).
 */

void
ngx_http_appverify_zone_attempt_end(ngx_http_appverify_zone_t *zone,
    u_char *xid, ngx_uint_t lost, ngx_uint_t max_attempts)
{
    ngx_http_appverify_node_t  *rn;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid,
                                        ngx_strlen(xid), ngx_time());
    if (rn) {
        if (lost) {
            (void) av_record_attempt_lost(&rn->u.rec, max_attempts,
                                          ngx_http_appverify_now_ms());

        } else {
            av_record_attempt_release(&rn->u.rec);
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* A finalize answer: the core ends the attempt and decides the state. */

av_err_t
ngx_http_appverify_zone_finalize(ngx_http_appverify_zone_t *zone,
    u_char *xid, int code, ngx_uint_t max_attempts, av_record_t *out,
    unsigned *left)
{
    av_err_t                    rc;
    ngx_http_appverify_node_t  *rn;

    rc = AV_ERR_UNKNOWN_SESSION;

    ngx_shmtx_lock(&zone->shpool->mutex);

    rn = ngx_http_appverify_record_find(zone, (const char *) xid, ngx_strlen(xid),
                                   ngx_time());
    if (rn) {
        *left = av_record_finalize(&rn->u.rec, code, max_attempts,
                                   ngx_http_appverify_now_ms());
        *out = rn->u.rec;
        rc = AV_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return rc;
}


/* A new record node, in the tree and the queue; the zone is locked. */

static ngx_http_appverify_node_t *
ngx_http_appverify_new_record(ngx_http_appverify_zone_t *zone, char *xid,
    char *phone, av_flow_t flow, time_t now, ngx_log_t *log)
{
    ngx_http_appverify_node_t  *rn;

    rn = ngx_http_appverify_alloc(zone, ngx_http_appverify_node_size(rec),
                                  NULL, 0, now, log);
    if (rn == NULL) {
        return NULL;
    }

    rn->kind = NGX_HTTP_APPVERIFY_RECORD;
    rn->lookup_at = 0;
    rn->lookup_busy = 0;

    av_record_unseen(&rn->u.rec, xid, phone, flow,
                     ngx_http_appverify_now_ms());

    rn->expires = now + zone->ttl;
    rn->node.key = ngx_http_appverify_xid_hash(zone, xid, ngx_strlen(xid));
    ngx_http_appverify_record_link(zone, rn);
    ngx_queue_insert_head(&zone->sh->record_queue, &rn->queue);
    zone->sh->records++;

    return rn;
}


/* A status from Telesign for a record, by the core's rules; locked. */

static av_err_t
ngx_http_appverify_apply_locked(ngx_http_appverify_node_t *rn,
    av_status_doc_t *doc, av_apply_t *result, ngx_log_t *log)
{
    av_err_t  rc;

    rc = av_record_accept(&rn->u.rec, doc, ngx_http_appverify_now_ms(),
                          result);

    if (rc == AV_ERR_MALFORMED_BODY) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "appverify: status for xid \"%s\" names another "
                      "phone than the one it was issued for, ignored",
                      rn->u.rec.xid);
    }

    return rc;
}


static ngx_rbtree_key_t
ngx_http_appverify_xid_hash(ngx_http_appverify_zone_t *zone, const char *xid,
    size_t len)
{
    return (ngx_rbtree_key_t) av_hash(zone->hash, xid, len);
}


/*
 * The record for xid.  One that has expired is deleted here, so that the
 * new record a caller may then store is the only one for its xid.
 */

static ngx_http_appverify_node_t *
ngx_http_appverify_record_find(ngx_http_appverify_zone_t *zone,
    const char *xid, size_t len, time_t now)
{
    ngx_rbtree_key_t            hash;
    ngx_http_appverify_node_t  *rn;

    hash = ngx_http_appverify_xid_hash(zone, xid, len);

    for (rn = ((ngx_http_appverify_node_t **) zone->sh->xid_hash)
                  [hash & zone->sh->xid_hash_mask];
         rn;
         rn = rn->hnext)
    {
        if (rn->node.key == hash
            && ngx_strncmp(rn->u.rec.xid, xid, len) == 0
            && rn->u.rec.xid[len] == '\0')
        {
            if (rn->expires > now) {
                return rn;
            }

            ngx_http_appverify_delete(zone, rn);
            return NULL;
        }
    }

    return NULL;
}


/* rn->node.key holds the xid's hash already */

static void
ngx_http_appverify_record_link(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn)
{
    ngx_http_appverify_node_t  **bucket;

    bucket = &((ngx_http_appverify_node_t **) zone->sh->xid_hash)
                  [rn->node.key & zone->sh->xid_hash_mask];

    rn->hnext = *bucket;
    *bucket = rn;
}


static void
ngx_http_appverify_record_unlink(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn)
{
    ngx_http_appverify_node_t  **pp;

    for (pp = &((ngx_http_appverify_node_t **) zone->sh->xid_hash)
                  [rn->node.key & zone->sh->xid_hash_mask];
         *pp;
         pp = &(*pp)->hnext)
    {
        if (*pp == rn) {
            *pp = rn->hnext;
            return;
        }
    }
}


/*
 * The rate bucket for key.  One that has expired is deleted here (its
 * bucket has drained anyway): left in the tree, it would be shadowed by a
 * second node for the same key, and the old one found again later with
 * its old state, which is how limits were bypassed.
 */

static ngx_http_appverify_node_t *
ngx_http_appverify_node_find(ngx_http_appverify_zone_t *zone,
    const char *key, size_t len, time_t now)
{
    ngx_int_t                   rc;
    uint32_t                    hash;
    const char                 *k;
    ngx_rbtree_node_t          *node, *sentinel;
    ngx_http_appverify_node_t  *an;

    hash = ngx_crc32_short((u_char *) key, len);

    node = zone->sh->phones.root;
    sentinel = zone->sh->phones.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        /* hash == node->key */

        an = (ngx_http_appverify_node_t *) node;
        k = ngx_http_appverify_node_key(an);

        rc = ngx_strncmp(key, k, len);
        if (rc == 0 && k[len] != '\0') {
            rc = -1;
        }

        if (rc == 0) {
            if (an->expires > now) {
                return an;
            }

            ngx_http_appverify_delete(zone, an);
            return NULL;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_appverify_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t          **p;
    ngx_http_appverify_node_t   *an, *ant;

    for ( ;; ) {

        if (node->key < temp->key) {

            p = &temp->left;

        } else if (node->key > temp->key) {

            p = &temp->right;

        } else { /* node->key == temp->key */

            an = (ngx_http_appverify_node_t *) node;
            ant = (ngx_http_appverify_node_t *) temp;

            p = (ngx_strcmp(ngx_http_appverify_node_key(an),
                            ngx_http_appverify_node_key(ant)) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * Allocates a node, evicting old nodes that hold no verified state when
 * the pool is full.  keep is a node the caller still needs.
 */

static ngx_http_appverify_node_t *
ngx_http_appverify_alloc(ngx_http_appverify_zone_t *zone, size_t size,
    ngx_http_appverify_node_t **keep, ngx_uint_t nkeep, time_t now,
    ngx_log_t *log)
{
    ngx_uint_t                  n, scanned;
    ngx_queue_t                *first, *queue, *q, *prev;
    ngx_http_appverify_node_t  *an;

    an = ngx_slab_alloc_locked(zone->shpool, size);
    if (an) {
        return an;
    }

    /*
     * Free chunks of the size asked for: records are evicted to make room
     * for a record, rate buckets for a bucket, then the other kind.
     */

    n = 0;
    first = (size == ngx_http_appverify_node_size(rec))
            ? &zone->sh->record_queue : &zone->sh->phone_queue;
    queue = first;

    for ( ;; ) {
        q = ngx_queue_last(queue);
        scanned = 0;

        while (q != ngx_queue_sentinel(queue)
               && n < NGX_HTTP_APPVERIFY_EVICT_MAX
               && scanned < 8 * NGX_HTTP_APPVERIFY_EVICT_MAX)
        {
            prev = ngx_queue_prev(q);
            an = ngx_queue_data(q, ngx_http_appverify_node_t, queue);
            scanned++;

            if (!ngx_http_appverify_kept(an, keep, nkeep)
                && (an->expires <= now
                    || an->kind == NGX_HTTP_APPVERIFY_PHONE
                    || an->u.rec.state != AV_STATE_VERIFIED))
            {
                ngx_http_appverify_delete(zone, an);
                zone->sh->evicted++;
                n++;

                an = ngx_slab_alloc_locked(zone->shpool, size);
                if (an) {
                    return an;
                }
            }

            q = prev;
        }

        if (queue != first) {
            break;
        }

        queue = (first == &zone->sh->record_queue)
                ? &zone->sh->phone_queue : &zone->sh->record_queue;
    }

    if (zone->sh->full_logged + 60 <= now) {
        zone->sh->full_logged = now;
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "appverify: zone \"%V\" is full of verified sessions, "
                      "new verifications are refused; raise its size",
                      &zone->shm_zone->shm.name);
    }

    return NULL;
}


/* 1 when an is a bucket node the caller still holds */

static ngx_uint_t
ngx_http_appverify_kept(ngx_http_appverify_node_t *an,
    ngx_http_appverify_node_t **keep, ngx_uint_t nkeep)
{
    ngx_uint_t  i;

    for (i = 0; i < nkeep; i++) {
        if (keep[i] == an) {
            return 1;
        }
    }

    return 0;
}


/* Reclaims up to two expired nodes from the old end of each queue. */

static void
ngx_http_appverify_expire(ngx_http_appverify_zone_t *zone, time_t now)
{
    ngx_uint_t                  n;
    ngx_queue_t                *queue, *q;
    ngx_http_appverify_node_t  *an;

    queue = &zone->sh->record_queue;

    for ( ;; ) {

        for (n = 0; n < 2 && !ngx_queue_empty(queue); n++) {

            q = ngx_queue_last(queue);
            an = ngx_queue_data(q, ngx_http_appverify_node_t, queue);

            if (an->expires > now) {
                break;
            }

            ngx_http_appverify_delete(zone, an);
        }

        if (queue == &zone->sh->phone_queue) {
            return;
        }

        queue = &zone->sh->phone_queue;
    }
}


static void
ngx_http_appverify_delete(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *an)
{
    ngx_queue_remove(&an->queue);

    if (an->kind == NGX_HTTP_APPVERIFY_RECORD) {
        ngx_http_appverify_record_unlink(zone, an);
        zone->sh->records--;

    } else {
        ngx_rbtree_delete(&zone->sh->phones, &an->node);
    }

    ngx_slab_free_locked(zone->shpool, an);
}
