
/*
 * appverify: the shared memory zone, the store the core's transactions
 * (av_store.h) run on in one nginx.
 *
 * The limit_req model: a slab pool with lookup structures and queues,
 * newest first.  Two kinds of node share the pool, each with its own:
 *
 *   record  "x:<xid>", in a hash table sized with the zone and keyed with
 *           a random secret of the zone's own (a client chooses its xid,
 *           and must not be able to choose xids that share a chain): the
 *           verification (av_record_t), kept for ttl;
 *   small   any other key of the core's ("p:", "c:", "n:" rate buckets,
 *           "l:" Get Status claims), in an rbtree (they are few and
 *           short-lived), kept as long as the core said.
 *
 * What to read and write is the core's business; the zone only finds,
 * allocates and frees nodes, under its mutex, around memory work only.
 * Expired nodes are reclaimed two at a time on each write, and an expired
 * node that a lookup meets is reclaimed on the spot, so that a key is
 * never stored twice.  When the pool is full, the oldest nodes that hold
 * no verified state are evicted to make room; a verified record is never
 * evicted before its ttl, so when nothing else is left the write is
 * refused (503 store_full) and an alert is logged at most once a minute.
 * The zone is reused as it is across "nginx -s reload" when its name and
 * size are unchanged.
 */


#include "ngx_http_appverify_module.h"


/* how many old nodes one allocation may evict before giving up */
#define NGX_HTTP_APPVERIFY_EVICT_MAX  32


typedef struct {
    char                         key[AV_ITEM_KEY_MAX + 1];
    union {
        av_slot_t                slot;
        av_mark_t                mark;
    } v;
} ngx_http_appverify_small_t;


typedef struct ngx_http_appverify_node_s  ngx_http_appverify_node_t;

struct ngx_http_appverify_node_s {
    ngx_rbtree_node_t            node;      /* key: hash of xid or key */
    ngx_http_appverify_node_t   *hnext;     /* records: the hash chain */
    ngx_queue_t                  queue;
    time_t                       expires;
    ngx_uint_t                   kind;      /* av_item_kind_t */
    union {
        av_record_t              rec;
        ngx_http_appverify_small_t  small;
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


static av_err_t ngx_http_appverify_store_begin(void *data);
static av_err_t ngx_http_appverify_store_read(void *data, av_item_t *item);
static av_err_t ngx_http_appverify_store_commit(void *data, av_item_t *items,
    unsigned n, int *conflict);
static void ngx_http_appverify_store_end(void *data);
static void ngx_http_appverify_store_write(ngx_http_appverify_zone_t *zone,
    av_item_t *it);
static void ngx_http_appverify_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_appverify_node_t *ngx_http_appverify_small_find(
    ngx_http_appverify_zone_t *zone, const char *key, size_t len, time_t now);
static ngx_http_appverify_node_t *ngx_http_appverify_record_find(
    ngx_http_appverify_zone_t *zone, const char *xid, size_t len, time_t now);
static ngx_rbtree_key_t ngx_http_appverify_xid_hash(
    ngx_http_appverify_zone_t *zone, const char *xid, size_t len);
static void ngx_http_appverify_record_link(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn);
static void ngx_http_appverify_record_unlink(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *rn);
static ngx_http_appverify_node_t *ngx_http_appverify_alloc(
    ngx_http_appverify_zone_t *zone, size_t size, av_item_t *items,
    ngx_uint_t n, time_t now);
static ngx_uint_t ngx_http_appverify_held(ngx_http_appverify_node_t *an,
    av_item_t *items, ngx_uint_t n);
static void ngx_http_appverify_expire(ngx_http_appverify_zone_t *zone,
    time_t now);
static void ngx_http_appverify_delete(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *an);


static const char *
ngx_http_appverify_node_key(ngx_http_appverify_node_t *an)
{
    return an->kind == AV_ITEM_RECORD ? an->u.rec.xid : an->u.small.key;
}


static size_t
ngx_http_appverify_item_node_size(av_item_t *it)
{
    return it->kind == AV_ITEM_RECORD ? ngx_http_appverify_node_size(rec)
                                      : ngx_http_appverify_node_size(small);
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

    ngx_rbtree_init(&zone->sh->smalls, &zone->sh->small_sentinel,
                    ngx_http_appverify_rbtree_insert_value);
    ngx_queue_init(&zone->sh->record_queue);
    ngx_queue_init(&zone->sh->small_queue);

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
                      "appverify: no SipHash (libsodium) for zone \"%V\"",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    zone->store.data = zone;
    zone->store.ttl_ms = (int64_t) zone->ttl * 1000;
    zone->store.metrics = &zone->sh->metrics;
    zone->store.begin = ngx_http_appverify_store_begin;
    zone->store.read = ngx_http_appverify_store_read;
    zone->store.commit = ngx_http_appverify_store_commit;
    zone->store.end = ngx_http_appverify_store_end;

    return NGX_OK;
}


/* --- the store the core's transactions run on ---------------------------- */

static av_err_t
ngx_http_appverify_store_begin(void *data)
{
    ngx_http_appverify_zone_t  *zone = data;

    ngx_shmtx_lock(&zone->shpool->mutex);

    return AV_OK;
}


static void
ngx_http_appverify_store_end(void *data)
{
    ngx_http_appverify_zone_t  *zone = data;

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* The node found stays the item's handle: the zone is locked until the
 * transaction ends, so commit writes into it without finding it again. */

static av_err_t
ngx_http_appverify_store_read(void *data, av_item_t *it)
{
    ngx_http_appverify_zone_t  *zone = data;

    ngx_http_appverify_node_t  *an;

    if (it->kind == AV_ITEM_RECORD) {
        an = ngx_http_appverify_record_find(zone, it->key + 2,
                                            it->key_len - 2, ngx_time());
        if (an) {
            it->v.rec = an->u.rec;
        }

    } else {
        an = ngx_http_appverify_small_find(zone, it->key, it->key_len,
                                           ngx_time());
        if (an && an->kind != (ngx_uint_t) it->kind) {
            an = NULL;
        }

        if (an) {
            ngx_memcpy(&it->v, &an->u.small.v, av_item_size(it->kind));
        }
    }

    it->found = (an != NULL);
    it->handle = an;

    return AV_OK;
}


/*
 * All or nothing: every node a write needs is allocated before anything
 * is written, and given back when one cannot be had.  Nodes the
 * transaction read are held, so making room never evicts them.
 */

static av_err_t
ngx_http_appverify_store_commit(void *data, av_item_t *items, unsigned n,
    int *conflict)
{
    ngx_http_appverify_zone_t  *zone = data;

    time_t                      now;
    ngx_uint_t                  i;
    av_item_t                  *it;
    ngx_http_appverify_node_t  *an;

    now = ngx_time();

    ngx_http_appverify_expire(zone, now);

    for (i = 0; i < n; i++) {
        it = &items[i];

        if (it->write != AV_WRITE_PUT || it->handle) {
            continue;
        }

        an = ngx_http_appverify_alloc(zone,
                                      ngx_http_appverify_item_node_size(it),
                                      items, n, now);
        if (an == NULL) {
            goto full;
        }

        an->kind = it->kind;
        it->handle = an;
        it->found = 0;                      /* a new node: to be linked */
    }

    for (i = 0; i < n; i++) {
        ngx_http_appverify_store_write(zone, &items[i]);
    }

    return AV_OK;

full:

    while (i--) {
        it = &items[i];

        if (it->write == AV_WRITE_PUT && !it->found && it->handle) {
            ngx_slab_free_locked(zone->shpool, it->handle);
            it->handle = NULL;
        }
    }

    return AV_ERR_STORE_FULL;
}


static void
ngx_http_appverify_store_write(ngx_http_appverify_zone_t *zone,
    av_item_t *it)
{
    ngx_http_appverify_node_t  *an;

    an = it->handle;

    if (it->write == AV_WRITE_NONE) {
        return;
    }

    if (it->write == AV_WRITE_DELETE) {
        if (an) {
            ngx_http_appverify_delete(zone, an);
            it->handle = NULL;
        }

        return;
    }

    an->expires = (time_t) ((it->expires_ms + 999) / 1000);

    if (it->kind == AV_ITEM_RECORD) {
        if (it->found) {
            zone->sh->by_state[an->u.rec.state]--;
        }

        an->u.rec = it->v.rec;
        zone->sh->by_state[an->u.rec.state]++;

        if (!it->found) {
            an->node.key = ngx_http_appverify_xid_hash(zone, an->u.rec.xid,
                                                       it->key_len - 2);
            ngx_http_appverify_record_link(zone, an);
            ngx_queue_insert_head(&zone->sh->record_queue, &an->queue);
            zone->sh->records++;
        }

        return;
    }

    ngx_memcpy(&an->u.small.v, &it->v, av_item_size(it->kind));

    if (it->found) {
        ngx_queue_remove(&an->queue);

    } else {
        ngx_memcpy(an->u.small.key, it->key, it->key_len + 1);
        an->node.key = ngx_crc32_short((u_char *) it->key, it->key_len);
        ngx_rbtree_insert(&zone->sh->smalls, &an->node);
    }

    ngx_queue_insert_head(&zone->sh->small_queue, &an->queue);
}


/* --- nodes ---------------------------------------------------------------- */

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
 * The small node for key.  One that has expired is deleted here (a
 * bucket has drained anyway): left in the tree, it would be shadowed by a
 * second node for the same key, and the old one found again later with
 * its old state, which is how limits were bypassed.
 */

static ngx_http_appverify_node_t *
ngx_http_appverify_small_find(ngx_http_appverify_zone_t *zone,
    const char *key, size_t len, time_t now)
{
    ngx_int_t                   rc;
    uint32_t                    hash;
    const char                 *k;
    ngx_rbtree_node_t          *node, *sentinel;
    ngx_http_appverify_node_t  *an;

    hash = ngx_crc32_short((u_char *) key, len);

    node = zone->sh->smalls.root;
    sentinel = zone->sh->smalls.sentinel;

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
 * the pool is full; never one of the transaction's items.
 */

static ngx_http_appverify_node_t *
ngx_http_appverify_alloc(ngx_http_appverify_zone_t *zone, size_t size,
    av_item_t *items, ngx_uint_t n, time_t now)
{
    ngx_uint_t                  evicted, scanned;
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

    evicted = 0;
    first = (size == ngx_http_appverify_node_size(rec))
            ? &zone->sh->record_queue : &zone->sh->small_queue;
    queue = first;

    for ( ;; ) {
        q = ngx_queue_last(queue);
        scanned = 0;

        while (q != ngx_queue_sentinel(queue)
               && evicted < NGX_HTTP_APPVERIFY_EVICT_MAX
               && scanned < 8 * NGX_HTTP_APPVERIFY_EVICT_MAX)
        {
            prev = ngx_queue_prev(q);
            an = ngx_queue_data(q, ngx_http_appverify_node_t, queue);
            scanned++;

            if (!ngx_http_appverify_held(an, items, n)
                && (an->expires <= now
                    || an->kind != AV_ITEM_RECORD
                    || an->u.rec.state != AV_STATE_VERIFIED))
            {
                ngx_http_appverify_delete(zone, an);
                zone->sh->evicted++;
                evicted++;

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
                ? &zone->sh->small_queue : &zone->sh->record_queue;
    }

    if (zone->sh->full_logged + 60 <= now) {
        zone->sh->full_logged = now;
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "appverify: zone \"%V\" is full of verified sessions, "
                      "new verifications are refused; raise its size",
                      &zone->shm_zone->shm.name);
    }

    return NULL;
}


/* 1 when an is a node the transaction holds */

static ngx_uint_t
ngx_http_appverify_held(ngx_http_appverify_node_t *an, av_item_t *items,
    ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (items[i].handle == an) {
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

        if (queue == &zone->sh->small_queue) {
            return;
        }

        queue = &zone->sh->small_queue;
    }
}


static void
ngx_http_appverify_delete(ngx_http_appverify_zone_t *zone,
    ngx_http_appverify_node_t *an)
{
    ngx_queue_remove(&an->queue);

    if (an->kind == AV_ITEM_RECORD) {
        ngx_http_appverify_record_unlink(zone, an);
        zone->sh->records--;
        zone->sh->by_state[an->u.rec.state]--;

    } else {
        ngx_rbtree_delete(&zone->sh->smalls, &an->node);
    }

    ngx_slab_free_locked(zone->shpool, an);
}
