/*
 * av_store.c: the transactions on the verification state (av_store.h).
 *
 * Each operation is a pair of functions on its own arguments: plan names
 * the items to read; decide applies the core's rules to what was read and
 * marks what to write, or names more items to read first (starting a
 * verification reads the phone's bucket, then the record it names).  One
 * driver runs every pair against any store, and runs it again when a
 * network store's commit found that another node got there first.
 */
#include "av_store.h"

#include <string.h>

typedef struct {
    av_item_t   item[AV_TXN_ITEMS];
    unsigned    n;
} av_txn_t;

typedef enum {
    AV_TXN_DONE = 0,
    AV_TXN_MORE                 /* decide named more items to read */
} av_txn_step_t;

typedef void           (*av_txn_plan_pt)(av_txn_t *t, void *op);
typedef av_txn_step_t  (*av_txn_decide_pt)(av_txn_t *t, void *op);


size_t
av_item_size(av_item_kind_t kind)
{
    switch (kind) {
    case AV_ITEM_RECORD:
        return sizeof(av_record_t);
    case AV_ITEM_MARK:
        return sizeof(av_mark_t);
    default:
        return sizeof(av_slot_t);
    }
}


/*
 * An item to read under its key, tag ':' id (id alone when tag is 0):
 * every field zeroed but the bytes a store copies in, which count only up
 * to raw_len.  -1 when the key would be too long: never cut short into
 * another's.
 */

static int
av_item_name(av_item_t *it, av_item_kind_t kind, char tag, const char *id,
    size_t len)
{
    size_t  pre;

    pre = tag ? 2 : 0;

    if (pre + len > AV_ITEM_KEY_MAX) {
        return -1;
    }

    memset(it, 0, offsetof(av_item_t, raw));
    it->raw_len = 0;
    it->write = AV_WRITE_NONE;
    it->expires_ms = 0;

    it->kind = kind;

    if (tag) {
        it->key[0] = tag;
        it->key[1] = ':';
    }

    memcpy(it->key + pre, id, len);
    it->key[pre + len] = '\0';
    it->key_len = pre + len;

    return 0;
}


/* Names an item: tag 0 takes id as the whole key (a bucket's, already
 * "p:..."), else the key is "<tag>:<id>".  NULL when it does not fit. */

static av_item_t *
av_txn_name(av_txn_t *t, av_item_kind_t kind, char tag, const char *id,
    size_t len)
{
    av_item_t  *it;

    if (t->n == AV_TXN_ITEMS) {
        return NULL;
    }

    it = &t->item[t->n];

    if (av_item_name(it, kind, tag, id, len) != 0) {
        return NULL;
    }

    t->n++;

    return it;
}


/*
 * What a store hands back is trusted only as far as it is well formed: a
 * record of another layout version, or of another xid than its key says
 * (an old entry, a torn write, a key collision in a foreign store), is
 * no record.
 */

static int
av_item_valid(const av_item_t *it)
{
    switch (it->kind) {

    case AV_ITEM_RECORD:
        return it->v.rec.version == AV_RECORD_VERSION
               && memchr(it->v.rec.xid, '\0', sizeof(it->v.rec.xid)) != NULL
               && strcmp(it->v.rec.xid, it->key + 2) == 0
               && memchr(it->v.rec.phone, '\0', sizeof(it->v.rec.phone))
               && memchr(it->v.rec.reference_id, '\0',
                         sizeof(it->v.rec.reference_id))
               && memchr(it->v.rec.prefix, '\0', sizeof(it->v.rec.prefix));

    case AV_ITEM_SLOT:
        return memchr(it->v.slot.xid, '\0', sizeof(it->v.slot.xid)) != NULL;

    default:
        return 1;
    }
}


static void
av_item_put(av_item_t *it, int64_t expires_ms)
{
    it->write = AV_WRITE_PUT;
    it->expires_ms = expires_ms;
}


static void
av_item_put_record(const av_store_t *s, av_item_t *it, const av_record_t *rec)
{
    if (&it->v.rec != rec) {
        it->v.rec = *rec;
    }

    /* a record lives ttl from its creation, however often it changes */
    av_item_put(it, rec->created_ms + s->ttl_ms);
}


/* What a committed transaction decided, for the metrics: a record that
 * became terminal (a callback, a Get Status answer, a finalize). */

static void
av_txn_count(const av_store_t *s, const av_txn_t *t, const int *was)
{
    unsigned          i;
    const av_item_t  *it;

    if (s->metrics == NULL) {
        return;
    }

    for (i = 0; i < t->n; i++) {
        it = &t->item[i];

        if (it->kind == AV_ITEM_RECORD && it->write == AV_WRITE_PUT
            && av_state_is_terminal((av_state_t) it->v.rec.state)
            && (was[i] < 0 || !av_state_is_terminal((av_state_t) was[i])))
        {
            av_metrics_decided(s->metrics, (av_flow_t) it->v.rec.flow,
                               (av_state_t) it->v.rec.state);
        }
    }
}


static av_err_t
av_txn_run(const av_store_t *s, av_txn_plan_pt plan, av_txn_decide_pt decide,
    void *op)
{
    int        conflict, writes;
    int        was[AV_TXN_ITEMS];       /* a record's state as read */
    unsigned   i, nread, tries;
    av_err_t   rc;
    av_txn_t   t;

    for (tries = 0; tries < AV_TXN_TRIES; tries++) {

        t.n = 0;
        plan(&t, op);

        rc = s->begin(s->data);
        if (rc != AV_OK) {
            return rc;
        }

        conflict = 0;
        writes = 0;
        nread = 0;

        for ( ;; ) {
            for ( /* void */ ; nread < t.n; nread++) {
                rc = s->read(s->data, &t.item[nread]);
                if (rc != AV_OK) {
                    goto end;
                }

                if (t.item[nread].found && !av_item_valid(&t.item[nread])) {
                    t.item[nread].found = 0;
                }

                was[nread] = t.item[nread].found
                             && t.item[nread].kind == AV_ITEM_RECORD
                             ? t.item[nread].v.rec.state : -1;
            }

            /* a snapshot without some of the items: its run is dropped,
             * so deciding (and what the flow does after) is wasted */
            if (s->unread && *s->unread) {
                rc = AV_ERR_STORE_UNAVAILABLE;
                goto end;
            }

            if (decide(&t, op) == AV_TXN_DONE) {
                break;
            }
        }

        for (i = 0; i < t.n; i++) {
            writes |= (t.item[i].write != AV_WRITE_NONE);
        }

        rc = writes ? s->commit(s->data, t.item, t.n, &conflict) : AV_OK;

    end:

        s->end(s->data);

        if (!conflict) {
            if (rc == AV_OK && writes) {
                av_txn_count(s, &t, was);
            }

            return rc;
        }
    }

    return AV_ERR_STORE_UNAVAILABLE;
}


/* --- find --------------------------------------------------------------- */

/*
 * One item read, nothing written: the gate's hot path, so no transaction
 * around it (no plan, no decision, no items zeroed whole), but the same
 * steps a transaction takes: begin, read, end; a snapshot's unread item
 * ends it as one (AV_ERR_STORE_UNAVAILABLE, and the glue fetches it); what
 * is not well formed is no record.
 */

av_err_t
av_store_find(const av_store_t *s, const char *xid, size_t len,
    av_record_t *out)
{
    av_err_t   rc;
    av_item_t  it;

    if (av_item_name(&it, AV_ITEM_RECORD, 'x', xid, len) != 0) {
        return AV_ERR_UNKNOWN_SESSION;
    }

    rc = s->begin(s->data);
    if (rc != AV_OK) {
        return rc;
    }

    rc = s->read(s->data, &it);

    s->end(s->data);

    if (rc != AV_OK) {
        return rc;
    }

    if (s->unread && *s->unread) {
        return AV_ERR_STORE_UNAVAILABLE;
    }

    if (!it.found || !av_item_valid(&it)) {
        return AV_ERR_UNKNOWN_SESSION;
    }

    *out = it.v.rec;

    return AV_OK;
}


/* --- keep ---------------------------------------------------------------- */

/*
 * A node's cache in front of a shared store keeps what the shared store
 * decided: only a terminal record, and when it was kept (k:<xid>, a mark
 * of its own).  A terminal record can still be replaced by a later
 * terminal status (verified, then blocked), so the copy is the answer
 * only while it is fresh; older, it stands in for the shared store only
 * when that cannot be reached.
 */

typedef struct {
    const av_record_t  *rec;
    const char         *xid;
    int64_t             ttl_ms;
    int64_t             fresh_ms;
    int64_t             now_ms;
    int                 fresh;
} av_keep_op_t;


static void
av_keep_plan(av_txn_t *t, void *data)
{
    av_keep_op_t  *op = data;

    (void) av_txn_name(t, AV_ITEM_RECORD, 'x', op->rec->xid,
                       strlen(op->rec->xid));
    (void) av_txn_name(t, AV_ITEM_MARK, 'k', op->rec->xid,
                       strlen(op->rec->xid));
}


static av_txn_step_t
av_keep_decide(av_txn_t *t, void *data)
{
    av_keep_op_t  *op = data;

    if (t->n < 2) {
        return AV_TXN_DONE;
    }

    if (!(t->item[0].found
          && t->item[0].v.rec.updated_ms == op->rec->updated_ms
          && t->item[0].v.rec.state == op->rec->state
          && t->item[0].v.rec.code == op->rec->code))
    {
        t->item[0].v.rec = *op->rec;
        av_item_put(&t->item[0], op->rec->created_ms + op->ttl_ms);
    }

    t->item[1].v.mark.at_ms = op->now_ms;
    t->item[1].v.mark.busy_until_ms = 0;
    av_item_put(&t->item[1], op->rec->created_ms + op->ttl_ms);

    return AV_TXN_DONE;
}


av_err_t
av_store_keep(const av_store_t *s, const av_record_t *rec, int64_t ttl_ms,
    int64_t now_ms)
{
    av_keep_op_t  op;

    if (!av_state_is_terminal((av_state_t) rec->state)) {
        return AV_OK;
    }

    op.rec = rec;
    op.ttl_ms = ttl_ms;
    op.now_ms = now_ms;

    return av_txn_run(s, av_keep_plan, av_keep_decide, &op);
}


typedef struct {
    const char    *xid;
    size_t         len;
    int64_t        fresh_ms;
    int64_t        now_ms;
    av_record_t   *out;
    int           *fresh;
    av_err_t       rc;
} av_copy_op_t;


static void
av_copy_plan(av_txn_t *t, void *data)
{
    av_copy_op_t  *op = data;

    op->rc = AV_ERR_UNKNOWN_SESSION;
    *op->fresh = 0;
    (void) av_txn_name(t, AV_ITEM_RECORD, 'x', op->xid, op->len);
    (void) av_txn_name(t, AV_ITEM_MARK, 'k', op->xid, op->len);
}


static av_txn_step_t
av_copy_decide(av_txn_t *t, void *data)
{
    av_copy_op_t  *op = data;

    if (t->n == 2 && t->item[0].found) {
        *op->out = t->item[0].v.rec;
        op->rc = AV_OK;

        *op->fresh = t->item[1].found
                     && op->now_ms >= t->item[1].v.mark.at_ms
                     && op->now_ms - t->item[1].v.mark.at_ms < op->fresh_ms;
    }

    return AV_TXN_DONE;
}


av_err_t
av_store_find_copy(const av_store_t *s, const char *xid, size_t len,
    int64_t fresh_ms, int64_t now_ms, av_record_t *out, int *fresh)
{
    av_err_t      rc;
    av_copy_op_t  op;

    op.xid = xid;
    op.len = len;
    op.fresh_ms = fresh_ms;
    op.now_ms = now_ms;
    op.out = out;
    op.fresh = fresh;

    rc = av_txn_run(s, av_copy_plan, av_copy_decide, &op);

    return rc != AV_OK ? rc : op.rc;
}


/* --- start -------------------------------------------------------------- */

typedef struct {
    const av_store_t       *store;
    const av_record_t      *rec;
    const av_start_conf_t  *conf;
    const char             *client;
    av_start_t              st;
    av_item_t              *slot[AV_BUCKETS_MAX];
    av_item_t              *self;           /* x:<rec->xid> */
    av_item_t              *last;           /* x:<the phone's latest> */
    int                     asked_last;
    av_err_t                rc;
} av_start_op_t;


static void
av_start_op_plan(av_txn_t *t, void *data)
{
    av_start_op_t  *op = data;

    unsigned  i;

    av_start_init(&op->st, op->rec, op->conf, op->client);

    for (i = 0; i < op->st.n; i++) {
        op->slot[i] = av_txn_name(t, AV_ITEM_SLOT, 0, op->st.bucket[i].key,
                                  strlen(op->st.bucket[i].key));
    }

    op->self = av_txn_name(t, AV_ITEM_RECORD, 'x', op->rec->xid,
                           strlen(op->rec->xid));
    op->last = NULL;
    op->asked_last = 0;
    op->rc = AV_ERR_INTERNAL;
}


static av_txn_step_t
av_start_op_decide(av_txn_t *t, void *data)
{
    av_start_op_t  *op = data;

    unsigned      i;
    av_bucket_t  *bk;

    if (op->self == NULL) {
        return AV_TXN_DONE;                 /* AV_ERR_INTERNAL */
    }

    for (i = 0; i < op->st.n; i++) {
        bk = &op->st.bucket[i];

        if (op->slot[i] && op->slot[i]->found) {
            bk->found = 1;
            bk->state = op->slot[i]->v.slot.rate;
            memcpy(bk->xid, op->slot[i]->v.slot.xid, sizeof(bk->xid));
        }
    }

    /* the duplicate rule needs the record the phone's bucket names */

    if (!op->asked_last && op->st.bucket[0].xid[0]) {
        op->asked_last = 1;

        if (strcmp(op->st.bucket[0].xid, op->rec->xid) == 0) {
            op->last = op->self;

        } else {
            op->last = av_txn_name(t, AV_ITEM_RECORD, 'x',
                                   op->st.bucket[0].xid,
                                   strlen(op->st.bucket[0].xid));
            if (op->last) {
                return AV_TXN_MORE;
            }
        }
    }

    if (op->last && op->last->found) {
        op->st.have_last = 1;
        op->st.last = op->last->v.rec;
    }

    op->st.xid_taken = op->self->found;

    op->rc = av_start_decide(&op->st, op->rec, op->conf,
                             op->rec->created_ms);
    if (op->rc != AV_OK) {
        return AV_TXN_DONE;
    }

    for (i = 0; i < op->st.n; i++) {
        if (op->slot[i] == NULL) {
            op->rc = AV_ERR_INTERNAL;
            return AV_TXN_DONE;
        }
    }

    av_item_put_record(op->store, op->self, op->rec);

    for (i = 0; i < op->st.n; i++) {
        bk = &op->st.bucket[i];

        op->slot[i]->v.slot.rate = bk->state;
        memcpy(op->slot[i]->v.slot.xid, bk->xid, sizeof(bk->xid));
        av_item_put(op->slot[i], op->rec->created_ms + bk->keep_ms);
    }

    return AV_TXN_DONE;
}


av_err_t
av_store_start(const av_store_t *s, const av_record_t *rec,
    const av_start_conf_t *conf, const char *client, const char **why)
{
    av_err_t       rc;
    av_start_op_t  op;

    op.store = s;
    op.rec = rec;
    op.conf = conf;
    op.client = client;
    op.st.why = NULL;

    rc = av_txn_run(s, av_start_op_plan, av_start_op_decide, &op);

    *why = op.st.why;

    if (rc == AV_OK) {
        rc = op.rc;

        if (rc == AV_OK) {
            av_metrics_started(s->metrics, (av_flow_t) rec->flow);

        } else {
            if (op.st.limited) {
                av_metrics_refused(s->metrics,
                                   op.st.limited == 'c' ? AV_GUARD_CLIENT
                                   : op.st.limited == 'n' ? AV_GUARD_PREFIX
                                   : AV_GUARD_PHONE);
            }
        }
    }

    return rc;
}


/* --- a status from Telesign ------------------------------------------- */

/*
 * The rule for a status applied to the record item it, read or absent:
 * AV_OK (the item marked for writing when it changed), or
 * AV_ERR_MALFORMED_BODY when the status names another phone (nothing
 * written).  release: a finalize's outcome ends the attempt it reserved.
 */

static av_err_t
av_status_decide(const av_store_t *s, av_item_t *it,
    const av_status_doc_t *doc, int release, int64_t now_ms,
    av_apply_t *result)
{
    int  held;

    if (!it->found) {
        av_record_unseen(&it->v.rec, doc->xid, doc->phone,
                         doc->reference_id[0] ? AV_FLOW_CALL : AV_FLOW_SDK,
                         now_ms);

        (void) av_record_accept(&it->v.rec, doc, now_ms, result);

        av_item_put_record(s, it, &it->v.rec);
        return AV_OK;
    }

    held = release && it->v.rec.checking;

    if (av_record_accept(&it->v.rec, doc, now_ms, result) != AV_OK) {
        return AV_ERR_MALFORMED_BODY;
    }

    if (held) {
        av_record_attempt_release(&it->v.rec);
    }

    if (held || *result == AV_APPLY_CHANGED || *result == AV_APPLY_LATER) {
        av_item_put_record(s, it, &it->v.rec);
    }

    return AV_OK;
}


typedef struct {
    const av_store_t        *store;
    const av_status_doc_t   *doc;
    int                      release;
    int64_t                  now_ms;
    av_record_t             *out;
    av_apply_t              *result;
    av_err_t                 rc;
} av_apply_op_t;


static void
av_apply_plan(av_txn_t *t, void *data)
{
    av_apply_op_t  *op = data;

    op->rc = AV_ERR_INTERNAL;
    (void) av_txn_name(t, AV_ITEM_RECORD, 'x', op->doc->xid,
                       strlen(op->doc->xid));
}


static av_txn_step_t
av_apply_decide(av_txn_t *t, void *data)
{
    av_apply_op_t  *op = data;

    if (t->n == 0) {
        return AV_TXN_DONE;
    }

    op->rc = av_status_decide(op->store, &t->item[0], op->doc, op->release,
                              op->now_ms, op->result);
    if (op->rc == AV_OK) {
        *op->out = t->item[0].v.rec;
    }

    return AV_TXN_DONE;
}


av_err_t
av_store_apply(const av_store_t *s, const av_status_doc_t *doc,
    int release, int64_t now_ms, av_record_t *out, av_apply_t *result)
{
    av_err_t       rc;
    av_apply_op_t  op;

    op.store = s;
    op.doc = doc;
    op.release = release;
    op.now_ms = now_ms;
    op.out = out;
    op.result = result;

    *result = AV_APPLY_SAME;

    rc = av_txn_run(s, av_apply_plan, av_apply_decide, &op);

    return rc != AV_OK ? rc : op.rc;
}


/* --- Get Status lookups ------------------------------------------------- */

typedef struct {
    const av_store_t        *store;
    const char              *xid;
    int64_t                  interval_ms;
    int64_t                  timeout_ms;
    int64_t                  claim;         /* begin: out; end: in */
    const av_status_doc_t   *doc;           /* end only */
    int64_t                  now_ms;
    av_record_t             *out;
    int                     *have;
    av_apply_t              *result;
    int                      coalesced;     /* begin: held off by another */
    av_err_t                 rc;
} av_lookup_op_t;


static void
av_lookup_plan(av_txn_t *t, void *data)
{
    av_lookup_op_t  *op = data;

    size_t  len;

    len = strlen(op->xid);

    op->rc = AV_ERR_INTERNAL;
    (void) av_txn_name(t, AV_ITEM_RECORD, 'x', op->xid, len);
    (void) av_txn_name(t, AV_ITEM_MARK, 'l', op->xid, len);
}


static av_txn_step_t
av_lookup_begin_decide(av_txn_t *t, void *data)
{
    av_lookup_op_t  *op = data;

    int64_t     elapsed, until;
    av_item_t  *rec, *mark;

    op->claim = 0;

    if (t->n < 2) {
        return AV_TXN_DONE;
    }

    rec = &t->item[0];
    mark = &t->item[1];

    op->rc = AV_OK;
    *op->have = rec->found;

    if (rec->found) {
        *op->out = rec->v.rec;

        /* Get Status is the SDK flow's: a missed call is decided by
         * finalize */

        if (av_state_is_terminal((av_state_t) rec->v.rec.state)
            || rec->v.rec.flow == AV_FLOW_CALL)
        {
            return AV_TXN_DONE;
        }
    }

    if (mark->found) {
        elapsed = op->now_ms - mark->v.mark.at_ms;

        /* a mark stamped after our clock, by no more than a claim lasts,
         * is the claim of a request that read the clock after ours (ours
         * was read before the store was reached, and is not read again
         * when a conflict runs this again; or another node's clock runs
         * ahead): in flight all the same.  Further ahead, our clock went
         * back, and that does not hold lookups off until it is back where
         * it was. */

        if (elapsed >= -op->timeout_ms
            && (op->now_ms < mark->v.mark.busy_until_ms
                || elapsed < op->interval_ms))
        {
            /* asked about right now: not unknown (that would send the
             * app to start over), just not known yet */

            if (!rec->found && op->now_ms < mark->v.mark.busy_until_ms) {
                av_record_unseen(op->out, op->xid, "", AV_FLOW_SDK,
                                 op->now_ms);
                *op->have = 1;
            }

            op->coalesced = 1;
            return AV_TXN_DONE;
        }
    }

    mark->v.mark.at_ms = op->now_ms;
    mark->v.mark.busy_until_ms = op->now_ms + op->timeout_ms;

    until = op->now_ms + op->interval_ms;
    if (until < mark->v.mark.busy_until_ms) {
        until = mark->v.mark.busy_until_ms;
    }

    av_item_put(mark, until);
    op->claim = op->now_ms;

    return AV_TXN_DONE;
}


av_err_t
av_store_lookup_begin(const av_store_t *s, const char *xid,
    int64_t interval_ms, int64_t timeout_ms, int64_t now_ms,
    av_record_t *out, int *have, int64_t *claim)
{
    av_err_t        rc;
    av_lookup_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.xid = xid;
    op.interval_ms = interval_ms;
    op.timeout_ms = timeout_ms;
    op.now_ms = now_ms;
    op.out = out;
    op.have = have;

    *have = 0;
    *claim = 0;

    rc = av_txn_run(s, av_lookup_plan, av_lookup_begin_decide, &op);
    if (rc != AV_OK) {
        return rc;
    }

    if (op.coalesced) {
        av_metrics_coalesced(s->metrics);
    }

    *claim = op.claim;

    return op.rc;
}


static av_txn_step_t
av_lookup_end_decide(av_txn_t *t, void *data)
{
    av_lookup_op_t  *op = data;

    av_item_t  *rec, *mark;

    if (t->n < 2) {
        return AV_TXN_DONE;
    }

    rec = &t->item[0];
    mark = &t->item[1];

    op->rc = AV_OK;

    /* the status before the mark is cleared, so nobody asks in between */

    if (op->doc) {
        op->rc = av_status_decide(op->store, rec, op->doc, 0, op->now_ms,
                                  op->result);
    }

    *op->have = rec->found || rec->write == AV_WRITE_PUT;

    if (*op->have) {
        *op->out = rec->v.rec;
    }

    /* a newer claim (ours had run out) is not ours to end */

    if (mark->found && mark->v.mark.at_ms == op->claim) {
        mark->v.mark.busy_until_ms = 0;
        av_item_put(mark, mark->v.mark.at_ms + op->interval_ms);
    }

    return AV_TXN_DONE;
}


av_err_t
av_store_lookup_end(const av_store_t *s, const char *xid, int64_t claim,
    int64_t interval_ms, const av_status_doc_t *doc, int64_t now_ms,
    av_record_t *out, int *have, av_apply_t *result)
{
    av_err_t        rc;
    av_apply_t      applied;
    av_lookup_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.xid = xid;
    op.interval_ms = interval_ms;
    op.claim = claim;
    op.doc = doc;
    op.now_ms = now_ms;
    op.out = out;
    op.have = have;
    op.result = result ? result : &applied;

    *op.result = AV_APPLY_SAME;

    rc = av_txn_run(s, av_lookup_plan, av_lookup_end_decide, &op);

    return rc != AV_OK ? rc : op.rc;
}


/* --- the missed-call flow ---------------------------------------------- */

typedef enum {
    AV_CALL_PLACED = 0,
    AV_CALL_FORGET,
    AV_CALL_RESERVE,
    AV_CALL_ATTEMPT_END,
    AV_CALL_FINALIZE
} av_call_step_t;

typedef struct {
    const av_store_t   *store;
    av_call_step_t      step;
    const char         *xid;
    const char         *reference_id;
    const char         *prefix;
    int                 lost;
    int                 code;
    unsigned            max_attempts;
    int64_t             now_ms;
    av_record_t        *out;
    unsigned           *left;
    av_err_t            rc;
} av_call_op_t;


static void
av_call_plan(av_txn_t *t, void *data)
{
    av_call_op_t  *op = data;

    op->rc = AV_ERR_INTERNAL;
    (void) av_txn_name(t, AV_ITEM_RECORD, 'x', op->xid, strlen(op->xid));
}


static void
av_copy(char *dst, size_t cap, const char *src)
{
    size_t  len;

    len = strlen(src);
    if (len >= cap) {
        len = cap - 1;
    }

    memcpy(dst, src, len);
    dst[len] = '\0';
}


static av_txn_step_t
av_call_decide(av_txn_t *t, void *data)
{
    av_call_op_t  *op = data;

    av_item_t    *it;
    av_record_t  *rec;

    if (t->n == 0) {
        return AV_TXN_DONE;
    }

    it = &t->item[0];
    rec = &it->v.rec;

    if (!it->found) {
        op->rc = AV_ERR_UNKNOWN_SESSION;
        return AV_TXN_DONE;
    }

    op->rc = AV_OK;

    switch (op->step) {

    case AV_CALL_PLACED:
        av_copy(rec->reference_id, sizeof(rec->reference_id),
                op->reference_id);
        av_copy(rec->prefix, sizeof(rec->prefix), op->prefix);
        break;

    case AV_CALL_FORGET:
        it->write = AV_WRITE_DELETE;
        return AV_TXN_DONE;

    case AV_CALL_RESERVE:
        op->rc = av_record_attempt_reserve(rec, op->max_attempts);
        *op->out = *rec;

        if (op->rc != AV_OK) {
            return AV_TXN_DONE;
        }

        break;

    case AV_CALL_ATTEMPT_END:
        if (!rec->checking) {
            return AV_TXN_DONE;
        }

        if (op->lost) {
            (void) av_record_attempt_lost(rec, op->max_attempts, op->now_ms);

        } else {
            av_record_attempt_release(rec);
        }

        break;

    default: /* AV_CALL_FINALIZE */
        *op->left = av_record_finalize(rec, op->code, op->max_attempts,
                                       op->now_ms);
        break;
    }

    if (op->out) {
        *op->out = *rec;
    }

    av_item_put_record(op->store, it, rec);

    return AV_TXN_DONE;
}


static av_err_t
av_call_run(av_call_op_t *op)
{
    av_err_t  rc;

    rc = av_txn_run(op->store, av_call_plan, av_call_decide, op);

    return rc != AV_OK ? rc : op->rc;
}


av_err_t
av_store_call_placed(const av_store_t *s, const char *xid,
    const char *reference_id, const char *prefix, av_record_t *out)
{
    av_call_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.step = AV_CALL_PLACED;
    op.xid = xid;
    op.reference_id = reference_id;
    op.prefix = prefix;
    op.out = out;

    return av_call_run(&op);
}


av_err_t
av_store_forget(const av_store_t *s, const char *xid)
{
    av_err_t      rc;
    av_call_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.step = AV_CALL_FORGET;
    op.xid = xid;

    rc = av_call_run(&op);

    return rc == AV_ERR_UNKNOWN_SESSION ? AV_OK : rc;
}


av_err_t
av_store_finalize_begin(const av_store_t *s, const char *xid,
    unsigned max_attempts, av_record_t *out)
{
    av_call_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.step = AV_CALL_RESERVE;
    op.xid = xid;
    op.max_attempts = max_attempts;
    op.out = out;

    return av_call_run(&op);
}


av_err_t
av_store_attempt_end(const av_store_t *s, const char *xid, int lost,
    unsigned max_attempts, int64_t now_ms)
{
    av_call_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.step = AV_CALL_ATTEMPT_END;
    op.xid = xid;
    op.lost = lost;
    op.max_attempts = max_attempts;
    op.now_ms = now_ms;

    return av_call_run(&op);
}


av_err_t
av_store_finalize(const av_store_t *s, const char *xid, int code,
    unsigned max_attempts, int64_t now_ms, av_record_t *out, unsigned *left)
{
    unsigned      n;
    av_call_op_t  op;

    memset(&op, 0, sizeof(op));
    op.store = s;
    op.step = AV_CALL_FINALIZE;
    op.xid = xid;
    op.code = code;
    op.max_attempts = max_attempts;
    op.now_ms = now_ms;
    op.out = out;
    op.left = left ? left : &n;

    return av_call_run(&op);
}
