/*
 * av_redis.c: the key layout, the value encoding and the compare-and-set
 * command of the Redis store both servers share (av_redis.h).
 */
#include "av_redis.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "av_status.h"


/*
 * Every expected value first, then every write: one script runs alone in
 * Redis, so nothing comes between the check and the writes.  GET of an
 * absent key is false in Lua, never equal to a value, and "" stands for
 * absent (no encoding is empty).
 */

const char  av_redis_cas_script[] =
    "for i = 1, #KEYS do\n"
    "  local cur = redis.call('GET', KEYS[i])\n"
    "  local want = ARGV[4 * i - 3]\n"
    "  if want == '' then\n"
    "    if cur then return 0 end\n"
    "  elseif cur ~= want then\n"
    "    return 0\n"
    "  end\n"
    "end\n"
    "for i = 1, #KEYS do\n"
    "  local act = ARGV[4 * i - 2]\n"
    "  if act == 'put' then\n"
    "    redis.call('SET', KEYS[i], ARGV[4 * i - 1], 'PX', ARGV[4 * i])\n"
    "  elseif act == 'del' then\n"
    "    redis.call('DEL', KEYS[i])\n"
    "  end\n"
    "end\n"
    "return 1\n";


int
av_redis_cas_sha1(char out[41])
{
    unsigned       i, n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  hex[] = "0123456789abcdef";

    if (EVP_Digest(av_redis_cas_script, sizeof(av_redis_cas_script) - 1, md,
                   &n, EVP_sha1(), NULL) != 1 || n != 20)
    {
        return -1;
    }

    for (i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }

    out[40] = '\0';

    return 0;
}


const char *
av_redis_prefix_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > AV_REDIS_PREFIX_MAX) {
        return "invalid prefix \"%s\": 1 to 64 bytes";
    }

    for (i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] > '~' || s[i] == '{' || s[i] == '}') {
            return "invalid prefix \"%s\": printable bytes, no blank or brace";
        }
    }

    return NULL;
}


size_t
av_redis_key(char *out, size_t cap, const char *prefix, size_t prefix_len,
    const av_item_t *it)
{
    size_t       id_len, n;
    const char  *id;

    if (it->key_len < 3 || it->key_len > AV_ITEM_KEY_MAX
        || it->key[1] != ':' || prefix_len > AV_REDIS_PREFIX_MAX)
    {
        return 0;
    }

    id = it->key + 2;
    id_len = it->key_len - 2;

    /* a brace in the id would end the tag early, or start another */
    if (memchr(id, '{', id_len) || memchr(id, '}', id_len)
        || memchr(id, '\0', id_len))
    {
        return 0;
    }

    n = prefix_len + 2 + 1 + id_len + 1;

    if (n + 1 > cap) {
        return 0;
    }

    memcpy(out, prefix, prefix_len);
    memcpy(out + prefix_len, it->key, 2);
    out[prefix_len + 2] = '{';
    memcpy(out + prefix_len + 3, id, id_len);
    out[n - 1] = '}';
    out[n] = '\0';

    return n;
}


/* --- the encoding ------------------------------------------------------- */

typedef struct {
    unsigned char  *p;
    size_t          left;
    int             bad;
} av_wbuf_t;

typedef struct {
    const unsigned char  *p;
    size_t                left;
    int                   bad;
} av_rbuf_t;


static void
av_put_bytes(av_wbuf_t *w, const void *b, size_t n)
{
    if (w->bad || n > w->left) {
        w->bad = 1;
        return;
    }

    memcpy(w->p, b, n);
    w->p += n;
    w->left -= n;
}


static void
av_put_uint(av_wbuf_t *w, uint64_t v, unsigned width)
{
    unsigned       i;
    unsigned char  b[8];

    for (i = 0; i < width; i++) {
        b[i] = (unsigned char) (v >> (8 * i));
    }

    av_put_bytes(w, b, width);
}


/* a NUL-terminated field of size bytes: its length byte and its bytes */

static void
av_put_str(av_wbuf_t *w, const char *s, size_t size)
{
    const char     *nul;
    unsigned char   len;

    nul = memchr(s, '\0', size);
    if (nul == NULL || nul - s > 255) {
        w->bad = 1;
        return;
    }

    len = (unsigned char) (nul - s);
    av_put_bytes(w, &len, 1);
    av_put_bytes(w, s, len);
}


static const unsigned char *
av_get_bytes(av_rbuf_t *r, size_t n)
{
    const unsigned char  *b;

    if (r->bad || n > r->left) {
        r->bad = 1;
        return NULL;
    }

    b = r->p;
    r->p += n;
    r->left -= n;

    return b;
}


static uint64_t
av_get_uint(av_rbuf_t *r, unsigned width)
{
    unsigned              i;
    uint64_t              v;
    const unsigned char  *b;

    b = av_get_bytes(r, width);
    if (b == NULL) {
        return 0;
    }

    for (i = 0, v = 0; i < width; i++) {
        v |= (uint64_t) b[i] << (8 * i);
    }

    return v;
}


/* into a field of size bytes: at most size - 1 bytes, none of them NUL */

static void
av_get_str(av_rbuf_t *r, char *s, size_t size)
{
    size_t                len;
    const unsigned char  *b;

    len = (size_t) av_get_uint(r, 1);
    if (r->bad || len >= size) {
        r->bad = 1;
        return;
    }

    b = av_get_bytes(r, len);
    if (b == NULL || memchr(b, '\0', len)) {
        r->bad = 1;
        return;
    }

    memcpy(s, b, len);
    s[len] = '\0';
}


static const unsigned char  av_redis_kind[] = {
    [AV_ITEM_RECORD] = 'x',
    [AV_ITEM_MARK] = 'l',
    [AV_ITEM_SLOT] = 's'
};


size_t
av_redis_encode(const av_item_t *it, unsigned char *out, size_t cap)
{
    av_wbuf_t           w;
    const av_record_t  *rec;

    if ((unsigned) it->kind > AV_ITEM_SLOT) {
        return 0;
    }

    w.p = out;
    w.left = cap;
    w.bad = 0;

    av_put_uint(&w, AV_REDIS_FORMAT, 1);
    av_put_uint(&w, av_redis_kind[it->kind], 1);

    switch (it->kind) {

    case AV_ITEM_RECORD:
        rec = &it->v.rec;
        av_put_str(&w, rec->xid, sizeof(rec->xid));
        av_put_str(&w, rec->phone, sizeof(rec->phone));
        av_put_str(&w, rec->reference_id, sizeof(rec->reference_id));
        av_put_str(&w, rec->prefix, sizeof(rec->prefix));
        av_put_uint(&w, (uint32_t) rec->code, 4);
        av_put_uint(&w, rec->state, 1);
        av_put_uint(&w, rec->flow, 1);
        av_put_uint(&w, rec->attempts, 1);
        av_put_uint(&w, rec->checking, 1);
        av_put_uint(&w, (uint64_t) rec->created_ms, 8);
        av_put_uint(&w, (uint64_t) rec->updated_ms, 8);
        break;

    case AV_ITEM_MARK:
        av_put_uint(&w, (uint64_t) it->v.mark.at_ms, 8);
        av_put_uint(&w, (uint64_t) it->v.mark.busy_until_ms, 8);
        break;

    case AV_ITEM_SLOT:
        av_put_uint(&w, (uint64_t) it->v.slot.rate.last_ms, 8);
        av_put_uint(&w, it->v.slot.rate.excess, 4);
        av_put_str(&w, it->v.slot.xid, sizeof(it->v.slot.xid));
        break;
    }

    return w.bad ? 0 : cap - w.left;
}


int
av_redis_decode(av_item_t *it, const unsigned char *in, size_t len)
{
    av_rbuf_t     r;
    av_record_t  *rec;
    union {
        av_record_t  rec;
        av_mark_t    mark;
        av_slot_t    slot;
    } v;

    if ((unsigned) it->kind > AV_ITEM_SLOT || len > AV_REDIS_VALUE_MAX) {
        return -1;
    }

    r.p = in;
    r.left = len;
    r.bad = 0;

    if (av_get_uint(&r, 1) != AV_REDIS_FORMAT
        || av_get_uint(&r, 1) != av_redis_kind[it->kind])
    {
        return -1;
    }

    memset(&v, 0, sizeof(v));

    switch (it->kind) {

    case AV_ITEM_RECORD:
        rec = &v.rec;
        rec->version = AV_RECORD_VERSION;
        av_get_str(&r, rec->xid, sizeof(rec->xid));
        av_get_str(&r, rec->phone, sizeof(rec->phone));
        av_get_str(&r, rec->reference_id, sizeof(rec->reference_id));
        av_get_str(&r, rec->prefix, sizeof(rec->prefix));
        rec->code = (int32_t) (uint32_t) av_get_uint(&r, 4);
        rec->state = (uint8_t) av_get_uint(&r, 1);
        rec->flow = (uint8_t) av_get_uint(&r, 1);
        rec->attempts = (uint8_t) av_get_uint(&r, 1);
        rec->checking = (uint8_t) av_get_uint(&r, 1);
        rec->created_ms = (int64_t) av_get_uint(&r, 8);
        rec->updated_ms = (int64_t) av_get_uint(&r, 8);

        if (rec->state > AV_STATE_BLOCKED || rec->flow > AV_FLOW_CALL
            || rec->xid[0] == '\0')
        {
            return -1;
        }

        break;

    case AV_ITEM_MARK:
        v.mark.at_ms = (int64_t) av_get_uint(&r, 8);
        v.mark.busy_until_ms = (int64_t) av_get_uint(&r, 8);
        break;

    case AV_ITEM_SLOT:
        v.slot.rate.last_ms = (int64_t) av_get_uint(&r, 8);
        v.slot.rate.excess = (uint32_t) av_get_uint(&r, 4);
        av_get_str(&r, v.slot.xid, sizeof(v.slot.xid));
        break;
    }

    /* all of it, and nothing after it */
    if (r.bad || r.left != 0) {
        return -1;
    }

    switch (it->kind) {
    case AV_ITEM_RECORD:
        it->v.rec = v.rec;
        break;
    case AV_ITEM_MARK:
        it->v.mark = v.mark;
        break;
    default:
        it->v.slot = v.slot;
        break;
    }

    return 0;
}


int64_t
av_redis_px(const av_item_t *it, int64_t now_ms)
{
    /* an item due already still gets 1 ms: PX 0 is an error in Redis */
    return it->expires_ms > now_ms ? it->expires_ms - now_ms : 1;
}


/* --- the commit ----------------------------------------------------------- */

static void
av_redis_arg(av_redis_cas_t *c, const void *p, size_t len)
{
    c->argv[c->argc] = p;
    c->len[c->argc] = len;
    c->argc++;
}


int
av_redis_cas_build(av_redis_cas_t *c, const char *sha1, int script,
    const char *prefix, size_t prefix_len, const av_item_t *items,
    unsigned n, int64_t now_ms)
{
    size_t            len;
    unsigned          i;
    const av_item_t  *it;

    if (n == 0 || n > AV_TXN_ITEMS) {
        return -1;
    }

    c->argc = 0;

    if (script) {
        av_redis_arg(c, "EVAL", 4);
        av_redis_arg(c, av_redis_cas_script,
                     sizeof(av_redis_cas_script) - 1);

    } else {
        av_redis_arg(c, "EVALSHA", 7);
        av_redis_arg(c, sha1, strlen(sha1));
    }

    len = (size_t) snprintf(c->numkeys, sizeof(c->numkeys), "%u", n);
    av_redis_arg(c, c->numkeys, len);

    for (i = 0; i < n; i++) {
        len = av_redis_key(c->key[i], sizeof(c->key[i]), prefix, prefix_len,
                           &items[i]);
        if (len == 0) {
            return -1;
        }

        av_redis_arg(c, c->key[i], len);
    }

    for (i = 0; i < n; i++) {
        it = &items[i];

        if (it->raw_len > AV_ITEM_RAW_MAX) {
            return -1;
        }

        av_redis_arg(c, it->raw, it->raw_len);

        switch (it->write) {

        case AV_WRITE_PUT:
            len = av_redis_encode(it, c->value[i], sizeof(c->value[i]));
            if (len == 0) {
                return -1;
            }

            av_redis_arg(c, "put", 3);
            av_redis_arg(c, c->value[i], len);

            len = (size_t) snprintf(c->px[i], sizeof(c->px[i]), "%lld",
                                    (long long) av_redis_px(it, now_ms));
            av_redis_arg(c, c->px[i], len);
            break;

        case AV_WRITE_DELETE:
            av_redis_arg(c, "del", 3);
            av_redis_arg(c, "", 0);
            av_redis_arg(c, "0", 1);
            break;

        default:
            av_redis_arg(c, "none", 4);
            av_redis_arg(c, "", 0);
            av_redis_arg(c, "0", 1);
            break;
        }
    }

    return 0;
}


/* the longest record fits the value's room, and a network store's copy */

typedef char  av_redis_value_fits[
    (2 + 4 + AV_XID_MAX + AV_PHONE_MAX + AV_REFERENCE_MAX + AV_PREFIX_MAX
     + 4 + 4 + 16 <= AV_REDIS_VALUE_MAX
     && AV_REDIS_VALUE_MAX <= AV_ITEM_RAW_MAX) ? 1 : -1];


int
av_redis_item_read(av_item_t *it, const unsigned char *v, size_t len,
    int *foreign)
{
    *foreign = 0;
    it->found = 0;
    it->raw_len = 0;

    if (v == NULL) {
        return 0;
    }

    /* a value too long to be ours cannot be expected by the commit: the
     * item cannot be changed while it is there */
    if (len == 0 || len > AV_ITEM_RAW_MAX) {
        return -1;
    }

    memcpy(it->raw, v, len);
    it->raw_len = len;

    /* one that is not well formed reads as absent, and the commit still
     * expects it: it is replaced only if nobody changed it */
    it->found = av_redis_decode(it, it->raw, it->raw_len) == 0;
    *foreign = !it->found;

    return 0;
}


const char *
av_redis_db_valid(const char *s, size_t len, int *db)
{
    size_t  i;
    long    v;

    v = 0;

    for (i = 0; i < len && i < 6; i++) {
        if (s[i] < '0' || s[i] > '9') {
            break;
        }

        v = v * 10 + (s[i] - '0');
    }

    if (len == 0 || i != len || v > 65535) {
        return "invalid db \"%s\": expected a number from 0 to 65535";
    }

    *db = (int) v;

    return NULL;
}


const char *
av_redis_password_valid(const char *buf, size_t n, size_t *len)
{
    size_t  m;

    m = n;

    /* one line: what an editor or "echo" leaves after it is not part */
    while (m > 0 && (buf[m - 1] == '\n' || buf[m - 1] == '\r')) {
        m--;
    }

    if (m > AV_REDIS_PASSWORD_MAX || m == 0 || memchr(buf, '\0', m)
        || memchr(buf, '\n', m) || memchr(buf, '\r', m))
    {
        return "password file \"%s\" must hold one line of 1 to 512 bytes";
    }

    *len = m;

    return NULL;
}
