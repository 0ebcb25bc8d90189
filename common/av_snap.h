/*
 * av_snap.h: a flow step against a store that cannot be waited for.
 *
 * nginx must not block a worker on Redis, and the core's transactions
 * (av_store.h) read synchronously.  So a step of a flow (av_flow.h) runs
 * against a snapshot: items read from the shared store beforehand, in one
 * round trip.  The step's reads are answered from the snapshot and its
 * writes are kept there (a later transaction of the same step reads
 * them).  When the step ends, one of three things holds:
 *
 *   - it read items the snapshot has not fetched (they read as absent, so
 *     that one run names all it can): av_snap_missing() names them; the
 *     glue fetches them in one round and runs the step again from its
 *     start (the answer of a run that missed items is dropped);
 *   - it wrote: av_snap_cas() gives the items for one compare-and-set of
 *     everything the step read (av_redis_cas_build), so the step commits
 *     all or nothing, exactly as if it had run on the shared store; when
 *     another node changed one of them, av_snap_refetch() and run again;
 *   - it only read: its answer stands.
 *
 * A step is run again only whole, with what it started from (the glue
 * keeps a copy of its exchange), so no rule needs to know that it ran
 * before.  Its reads must name the same items each time, or it would
 * never complete: a new verification's xid is therefore drawn once, on the
 * first run, and kept in the step's params (av_params_xid).
 *
 * Counters: a run that is dropped must count nothing, so the snapshot's
 * store counts into its own metrics, which the glue adds to the real ones
 * (av_metrics_add) for the run whose answer is sent.
 */
#ifndef AV_SNAP_H
#define AV_SNAP_H

#include "av_metrics.h"
#include "av_store.h"

#define AV_SNAP_ITEMS   AV_TXN_ITEMS        /* items one step may touch */
#define AV_SNAP_ROUNDS  (AV_SNAP_ITEMS + AV_TXN_TRIES)  /* fetches and
                                               conflicts before giving up */

typedef struct {
    av_item_t     read;                     /* as fetched: raw, found, v */
    av_item_t     now;                      /* as the current run left it */
    unsigned      fetched:1;
} av_snap_entry_t;

typedef struct {
    av_snap_entry_t  entry[AV_SNAP_ITEMS];
    unsigned         n;
    unsigned         unread;                /* this run's reads of entries
                                               not fetched yet */
    unsigned         overflow:1;            /* a step named too many */
    av_metrics_t     metrics;               /* the current run's counts */
    av_store_t       store;                 /* what the step runs against */
} av_snap_t;

/* An empty snapshot whose store (sn->store) has the shared store's ttl. */
void      av_snap_init(av_snap_t *sn, int64_t ttl_ms);

/* Before each run: every entry back to what was fetched, no counts. */
void      av_snap_rewind(av_snap_t *sn);

/* The items the last run needed and the snapshot has not: *out[i] to be
 * filled in by av_snap_fetched().  0: none.  -1: the step named more items
 * than a snapshot holds (it cannot run this way). */
int       av_snap_missing(av_snap_t *sn, av_item_t **out, unsigned cap);

/* The item out[i] of av_snap_missing was read (its found, v, raw set). */
void      av_snap_fetched(av_snap_t *sn, av_item_t *it);

/* Another node changed what was read: every entry is fetched again. */
void      av_snap_refetch(av_snap_t *sn);

/*
 * The items of the last run's compare-and-set, in out (cap at least
 * AV_SNAP_ITEMS): each with the value it was read with (raw) and what the
 * run left (write, v, expires_ms).  0 when the run wrote nothing.
 */
unsigned  av_snap_cas(const av_snap_t *sn, av_item_t *out, unsigned cap);


#endif /* AV_SNAP_H */
