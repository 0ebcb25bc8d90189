/*
 * av_snap.c: a flow step run against items read beforehand (av_snap.h).
 */
#include "av_snap.h"

#include <string.h>
#include "av_xid.h"


static av_snap_entry_t *
av_snap_find(av_snap_t *sn, const av_item_t *it)
{
    unsigned          i;
    av_snap_entry_t  *e;

    for (i = 0; i < sn->n; i++) {
        e = &sn->entry[i];

        if (e->read.kind == it->kind && e->read.key_len == it->key_len
            && memcmp(e->read.key, it->key, it->key_len) == 0)
        {
            return e;
        }
    }

    return NULL;
}


static av_err_t
av_snap_begin(void *data)
{
    (void) data;
    return AV_OK;
}


static void
av_snap_end(void *data)
{
    (void) data;
}


/*
 * An item not fetched yet is named for the next round and reads as
 * absent, so the transaction reads every other item it plans in the same
 * round; then it stops before deciding (av_store_t.unread), and the run's
 * answer is dropped (av_snap_missing says so).  Only an item named
 * through what another holds (a phone's latest xid) waits for a round of
 * its own.
 */

static av_err_t
av_snap_read(void *data, av_item_t *it)
{
    av_snap_t        *sn = data;
    av_snap_entry_t  *e;

    e = av_snap_find(sn, it);

    if (e == NULL) {
        if (sn->n == AV_SNAP_ITEMS) {
            sn->overflow = 1;
            return AV_ERR_STORE_UNAVAILABLE;
        }

        e = &sn->entry[sn->n++];
        memset(e, 0, sizeof(*e));
        e->read.kind = it->kind;
        memcpy(e->read.key, it->key, it->key_len + 1);
        e->read.key_len = it->key_len;
        e->now = e->read;
    }

    if (!e->fetched) {
        sn->unread++;
    }

    it->found = e->fetched ? e->now.found : 0;
    it->v = e->now.v;
    it->raw_len = 0;        /* the snapshot's compare-and-set keeps it */

    return AV_OK;
}


/* Kept, for the step's later reads and for its compare-and-set. */

static av_err_t
av_snap_commit(void *data, av_item_t *items, unsigned n, int *conflict)
{
    unsigned          i;
    av_snap_t        *sn = data;
    av_snap_entry_t  *e;

    *conflict = 0;

    for (i = 0; i < n; i++) {
        if (items[i].write == AV_WRITE_NONE) {
            continue;
        }

        e = av_snap_find(sn, &items[i]);
        if (e == NULL) {
            return AV_ERR_INTERNAL;     /* every item is read before */
        }

        e->now.found = (items[i].write == AV_WRITE_PUT);
        e->now.v = items[i].v;
        e->now.write = items[i].write;
        e->now.expires_ms = items[i].expires_ms;
    }

    return AV_OK;
}


void
av_snap_init(av_snap_t *sn, int64_t ttl_ms)
{
    memset(sn, 0, sizeof(*sn));

    sn->store.data = sn;
    sn->store.ttl_ms = ttl_ms;
    sn->store.metrics = &sn->metrics;
    sn->store.unread = &sn->unread;
    sn->store.begin = av_snap_begin;
    sn->store.read = av_snap_read;
    sn->store.commit = av_snap_commit;
    sn->store.end = av_snap_end;
}


void
av_snap_rewind(av_snap_t *sn)
{
    unsigned  i;

    for (i = 0; i < sn->n; i++) {
        sn->entry[i].now = sn->entry[i].read;
        sn->entry[i].now.write = AV_WRITE_NONE;
    }

    memset(&sn->metrics, 0, sizeof(sn->metrics));
    sn->unread = 0;
}


int
av_snap_missing(av_snap_t *sn, av_item_t **out, unsigned cap)
{
    unsigned  i, n;

    if (sn->overflow) {
        return -1;
    }

    n = 0;

    for (i = 0; i < sn->n && n < cap; i++) {
        if (!sn->entry[i].fetched) {
            out[n++] = &sn->entry[i].read;
        }
    }

    return (int) n;
}


void
av_snap_fetched(av_snap_t *sn, av_item_t *it)
{
    av_snap_entry_t  *e;

    /* it is one of the entries' read items (av_snap_missing) */
    e = (av_snap_entry_t *) ((char *) it - offsetof(av_snap_entry_t, read));

    if (e < sn->entry || e >= sn->entry + sn->n) {
        return;
    }

    e->read.write = AV_WRITE_NONE;
    e->now = e->read;
    e->fetched = 1;
}


void
av_snap_refetch(av_snap_t *sn)
{
    unsigned  i;

    for (i = 0; i < sn->n; i++) {
        sn->entry[i].fetched = 0;
        sn->entry[i].read.found = 0;
        sn->entry[i].read.raw_len = 0;
    }
}


unsigned
av_snap_cas(const av_snap_t *sn, av_item_t *out, unsigned cap)
{
    int                     writes;
    unsigned                i, n;
    const av_snap_entry_t  *e;

    writes = 0;

    for (i = 0; i < sn->n; i++) {
        writes |= (sn->entry[i].now.write != AV_WRITE_NONE);
    }

    if (!writes) {
        return 0;
    }

    n = 0;

    for (i = 0; i < sn->n && n < cap; i++) {
        e = &sn->entry[i];

        if (!e->fetched) {
            continue;
        }

        /* expected: the value as read; new: what the run left */
        out[n] = e->now;
        memcpy(out[n].raw, e->read.raw, e->read.raw_len);
        out[n].raw_len = e->read.raw_len;
        n++;
    }

    return n;
}
