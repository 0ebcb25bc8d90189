/*
 * mem_store.h: a store in memory for the core's unit tests (av_store.h),
 * which can also play a network store: one whose commit finds that
 * another node got there first, or that cannot be read.  Include it after
 * unit.h and av_store.h; reset() gives a fresh, empty store.
 */
#ifndef AV_MEM_STORE_H
#define AV_MEM_STORE_H

#define MEM_MAX  16

typedef struct {
    int             used;
    char            key[AV_ITEM_KEY_MAX + 1];
    union {                             /* aligned as the items are */
        unsigned char   b[sizeof(av_record_t)];
        av_record_t     rec;
        av_mark_t       mark;
    } val;
    size_t          len;
    int64_t         expires_ms;
    uint64_t        version;
} mem_entry_t;

typedef struct {
    mem_entry_t     e[MEM_MAX];
    unsigned        cap;                /* entries it may hold */
    int64_t         now_ms;             /* its clock, for expiry */
    int             locked;
    unsigned        conflicts;          /* commits to refuse as conflicts */
    int             read_fails;
    int             begin_fails;
    unsigned        commits, begins;
} mem_t;

static mem_entry_t *
mem_find(mem_t *m, const char *key)
{
    unsigned  i;

    for (i = 0; i < MEM_MAX; i++) {
        if (m->e[i].used && strcmp(m->e[i].key, key) == 0) {
            if (m->e[i].expires_ms <= m->now_ms) {
                m->e[i].used = 0;
                return NULL;
            }

            return &m->e[i];
        }
    }

    return NULL;
}

static av_err_t
mem_begin(void *data)
{
    mem_t  *m = data;

    if (m->begin_fails) {
        return AV_ERR_INTERNAL;
    }

    CHECK(!m->locked);
    m->locked = 1;
    m->begins++;
    return AV_OK;
}

static av_err_t
mem_read(void *data, av_item_t *it)
{
    mem_t        *m = data;
    mem_entry_t  *e;

    CHECK(m->locked);

    if (m->read_fails) {
        return AV_ERR_STORE_UNAVAILABLE;
    }

    e = mem_find(m, it->key);
    it->found = e && e->len == av_item_size(it->kind);

    if (it->found) {
        memcpy(&it->v, e->val.b, e->len);
        it->version = e->version;
    }

    return AV_OK;
}

static unsigned
mem_count(mem_t *m)
{
    unsigned  i, n;

    for (i = 0, n = 0; i < MEM_MAX; i++) {
        n += m->e[i].used && m->e[i].expires_ms > m->now_ms;
    }

    return n;
}

static av_err_t
mem_commit(void *data, av_item_t *items, unsigned n, int *conflict)
{
    mem_t        *m = data;
    unsigned      i, j, fresh;
    mem_entry_t  *e;

    CHECK(m->locked);
    m->commits++;

    if (m->conflicts) {
        m->conflicts--;
        *conflict = 1;
        return AV_OK;
    }

    /* all or nothing: room for every new entry, or none is written */

    for (i = 0, fresh = 0; i < n; i++) {
        fresh += items[i].write == AV_WRITE_PUT
                 && mem_find(m, items[i].key) == NULL;
    }

    if (mem_count(m) + fresh > m->cap) {
        return AV_ERR_STORE_FULL;
    }

    for (i = 0; i < n; i++) {
        if (items[i].write == AV_WRITE_NONE) {
            continue;
        }

        e = mem_find(m, items[i].key);

        if (items[i].write == AV_WRITE_DELETE) {
            if (e) {
                e->used = 0;
            }
            continue;
        }

        for (j = 0; e == NULL && j < MEM_MAX; j++) {
            if (!m->e[j].used || m->e[j].expires_ms <= m->now_ms) {
                e = &m->e[j];
                memset(e, 0, sizeof(*e));
                e->used = 1;
                strcpy(e->key, items[i].key);
            }
        }

        e->len = av_item_size(items[i].kind);
        memcpy(e->val.b, &items[i].v, e->len);
        e->expires_ms = items[i].expires_ms;
        e->version++;
    }

    return AV_OK;
}

static void
mem_end(void *data)
{
    mem_t  *m = data;

    CHECK(m->locked);
    m->locked = 0;
}

static mem_t      mem;
static av_store_t store;

static void
reset(void)
{
    memset(&mem, 0, sizeof(mem));
    mem.cap = MEM_MAX;
    mem.now_ms = 1000000;

    store.data = &mem;
    store.ttl_ms = 3600000;
    store.begin = mem_begin;
    store.read = mem_read;
    store.commit = mem_commit;
    store.end = mem_end;
}

#endif /* AV_MEM_STORE_H */
