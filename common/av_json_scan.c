/*
 * av_json_scan.c: JSON as yajl's events, bounded (av_json_scan.h).
 *
 * yajl checks the syntax and UTF-8 and decodes strings; this file keeps
 * the place of each value (its parent's tag, its member name or element
 * number) and the rules jansson's JSON_REJECT_DUPLICATES and its refusal
 * of "\u0000" used to give, so that what the caller sees is what one
 * reading of the body means.
 */
#include "av_json_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>


/*
 * yajl allocates its handle, lexer and stacks for each parse, and a
 * decoding buffer for a string with escapes.  They come from an arena in
 * the scan, on the caller's stack, so that a callback mallocs nothing;
 * a string longer than what is left goes to malloc.  Under
 * AddressSanitizer every block stays malloc's, so that it can still see
 * an overrun of one of them.
 */
#define AV_JSON_SCAN_ARENA  4096

#if defined(__SANITIZE_ADDRESS__)
#define AV_JSON_SCAN_USE_ARENA  0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AV_JSON_SCAN_USE_ARENA  0
#endif
#endif
#ifndef AV_JSON_SCAN_USE_ARENA
#define AV_JSON_SCAN_USE_ARENA  1
#endif

/* each arena block starts with its size, for realloc; this keeps the
 * block after it aligned as malloc's */
#define AV_JSON_SCAN_HDR  _Alignof(max_align_t)


typedef struct {
    int        tag;
    int        object;
    size_t     index;       /* arrays: the next element's number */
    size_t     names;       /* objects: where their names start in names[] */
} av_json_frame_t;

typedef struct {
    av_json_value_pt   value;
    av_json_end_pt     end;
    void              *data;
    const char        *msg;

    size_t             depth;
    /* frame[0] is the document: one value, like an array of one */
    av_json_frame_t    frame[AV_JSON_DEPTH_MAX + 1];

    /* the hashes of the names of every open object's members so far */
    uint64_t           names[AV_JSON_OPEN_MAX];
    size_t             nnames;

    /* the member name of the value that comes next (yajl reuses its own
     * buffer for the value's string) */
    char               key[AV_JSON_KEY_MAX];
    size_t             key_len;

    size_t             used;
    _Alignas(max_align_t) unsigned char  arena[AV_JSON_SCAN_ARENA];
} av_json_scan_t;


static void *
av_json_scan_alloc(void *ctx, size_t n)
{
    size_t           size;
    unsigned char   *p;
    av_json_scan_t  *sc = ctx;

    size = (n + AV_JSON_SCAN_HDR - 1) & ~(AV_JSON_SCAN_HDR - 1);

    if (AV_JSON_SCAN_USE_ARENA && size >= n
        && size + AV_JSON_SCAN_HDR <= sizeof(sc->arena) - sc->used)
    {
        p = sc->arena + sc->used;
        memcpy(p, &n, sizeof(size_t));
        sc->used += AV_JSON_SCAN_HDR + size;
        return p + AV_JSON_SCAN_HDR;
    }

    return malloc(n);
}


static int
av_json_scan_owns(av_json_scan_t *sc, void *p)
{
    return (unsigned char *) p >= sc->arena
           && (unsigned char *) p < sc->arena + sizeof(sc->arena);
}


static void *
av_json_scan_realloc(void *ctx, void *p, size_t n)
{
    size_t           old;
    void            *q;
    av_json_scan_t  *sc = ctx;

    if (p == NULL) {
        return av_json_scan_alloc(ctx, n);
    }

    if (!av_json_scan_owns(sc, p)) {
        return realloc(p, n);
    }

    memcpy(&old, (unsigned char *) p - AV_JSON_SCAN_HDR, sizeof(size_t));

    if (n <= old) {
        return p;
    }

    q = av_json_scan_alloc(ctx, n);
    if (q != NULL) {
        memcpy(q, p, old);
    }

    return q;
}


/* arena blocks go all at once, with the scan */
static void
av_json_scan_free(void *ctx, void *p)
{
    if (p != NULL && !av_json_scan_owns(ctx, p)) {
        free(p);
    }
}


/*
 * A member name's hash, to find a second member of the same name.  Two
 * names of one object that share a hash make the document refused as a
 * duplicate: a collision can only refuse a body, never let one through,
 * so a fast hash (FNV-1a, 64 bits, with the length) is enough.
 */
static uint64_t
av_json_name_hash(const unsigned char *s, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL ^ len;

    for (i = 0; i < len; i++) {
        h = (h ^ s[i]) * 0x100000001b3ULL;
    }

    return h;
}


/* hands a value to the caller at the current place; its tag, or -1 */
static int
av_json_scan_emit(av_json_scan_t *sc, const av_jv_t *v)
{
    int               tag;
    av_json_frame_t  *f;

    f = &sc->frame[sc->depth];

    tag = sc->value(sc->data, f->tag, f->object ? sc->key : NULL,
                    f->object ? sc->key_len : 0, f->index, v, &sc->msg);

    if (!f->object) {
        f->index++;
    }

    return tag;
}


static int
av_json_scan_scalar(av_json_scan_t *sc, av_jv_type_t type, long long n)
{
    av_jv_t  v;

    v.type = type;
    v.s = NULL;
    v.len = 0;
    v.n = n;

    return av_json_scan_emit(sc, &v) < 0 ? 0 : 1;
}


static int
av_json_on_null(void *ctx)
{
    return av_json_scan_scalar(ctx, AV_JV_NULL, 0);
}


static int
av_json_on_boolean(void *ctx, int b)
{
    return av_json_scan_scalar(ctx, AV_JV_BOOL, b != 0);
}


static int
av_json_on_integer(void *ctx, long long n)
{
    return av_json_scan_scalar(ctx, AV_JV_INTEGER, n);
}


static int
av_json_on_double(void *ctx, double d)
{
    return av_json_scan_scalar(ctx, AV_JV_REAL, 0);
}


static int
av_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
    av_jv_t          v;
    av_json_scan_t  *sc = ctx;

    /* "\u0000" decodes to a NUL that C strings would cut at */
    if (memchr(s, '\0', len) != NULL) {
        sc->msg = "a string holds a NUL";
        return 0;
    }

    v.type = AV_JV_STRING;
    v.s = (const char *) s;
    v.len = len;
    v.n = 0;

    return av_json_scan_emit(sc, &v) < 0 ? 0 : 1;
}


static int
av_json_scan_open(av_json_scan_t *sc, av_jv_type_t type)
{
    int               tag;
    av_jv_t           v;
    av_json_frame_t  *f;

    if (sc->depth == AV_JSON_DEPTH_MAX) {
        sc->msg = "JSON is nested too deep";
        return 0;
    }

    v.type = type;
    v.s = NULL;
    v.len = 0;
    v.n = 0;

    tag = av_json_scan_emit(sc, &v);
    if (tag < 0) {
        return 0;
    }

    f = &sc->frame[++sc->depth];
    f->tag = tag;
    f->object = (type == AV_JV_OBJECT);
    f->index = 0;
    f->names = sc->nnames;

    return 1;
}


static int
av_json_scan_close(av_json_scan_t *sc)
{
    av_json_frame_t  *f;

    f = &sc->frame[sc->depth--];
    sc->nnames = f->names;

    if (sc->end != NULL && sc->end(sc->data, f->tag, &sc->msg) < 0) {
        return 0;
    }

    return 1;
}


static int
av_json_on_start_map(void *ctx)
{
    return av_json_scan_open(ctx, AV_JV_OBJECT);
}


static int
av_json_on_start_array(void *ctx)
{
    return av_json_scan_open(ctx, AV_JV_ARRAY);
}


static int
av_json_on_end(void *ctx)
{
    return av_json_scan_close(ctx);
}


static int
av_json_on_key(void *ctx, const unsigned char *key, size_t len)
{
    size_t            i;
    uint64_t          h;
    av_json_frame_t  *f;
    av_json_scan_t   *sc = ctx;

    f = &sc->frame[sc->depth];

    if (memchr(key, '\0', len) != NULL) {
        sc->msg = "a member name holds a NUL";
        return 0;
    }

    if (sc->nnames - f->names == AV_JSON_MEMBERS_MAX
        || sc->nnames == AV_JSON_OPEN_MAX)
    {
        sc->msg = "an object has too many members";
        return 0;
    }

    h = av_json_name_hash(key, len);

    for (i = f->names; i < sc->nnames; i++) {
        if (sc->names[i] == h) {
            sc->msg = "a duplicate member name";
            return 0;
        }
    }

    sc->names[sc->nnames++] = h;

    memcpy(sc->key, key, len < AV_JSON_KEY_MAX ? len : AV_JSON_KEY_MAX);
    sc->key_len = len;

    return 1;
}


static const yajl_callbacks  av_json_callbacks = {
    av_json_on_null,
    av_json_on_boolean,
    av_json_on_integer,
    av_json_on_double,
    NULL,                       /* no yajl_number: integers and doubles */
    av_json_on_string,
    av_json_on_start_map,
    av_json_on_key,
    av_json_on_end,
    av_json_on_start_array,
    av_json_on_end
};


int
av_json_scan(const char *s, size_t len, av_json_value_pt value,
    av_json_end_pt end, void *data, const char **msg)
{
    yajl_handle       h;
    yajl_status       st;
    av_json_scan_t    sc;
    yajl_alloc_funcs  af;

    /*
     * yajl's lexer takes \v and \f for blanks, which RFC 8259 does not
     * (nor did jansson); in a string it refuses them as it refuses every
     * control character.  So a body that holds either is no JSON.
     */
    if (memchr(s, '\v', len) != NULL || memchr(s, '\f', len) != NULL) {
        *msg = "not JSON";
        return -1;
    }

    /* what the scan reads before it writes: the rest is written first */
    sc.msg = NULL;
    sc.depth = 0;
    sc.frame[0].tag = 0;
    sc.frame[0].object = 0;
    sc.frame[0].index = 0;
    sc.frame[0].names = 0;
    sc.nnames = 0;
    sc.key_len = 0;
    sc.used = 0;

    sc.value = value;
    sc.end = end;
    sc.data = data;

    af.malloc = av_json_scan_alloc;
    af.realloc = av_json_scan_realloc;
    af.free = av_json_scan_free;
    af.ctx = &sc;

    /* yajl's defaults are RFC 8259's: no comments, strings checked as
     * UTF-8, one value and nothing after it */
    h = yajl_alloc(&av_json_callbacks, &af, &sc);
    if (h == NULL) {
        *msg = "out of memory";
        return -1;
    }

    st = yajl_parse(h, (const unsigned char *) s, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    yajl_free(h);

    if (st != yajl_status_ok) {
        *msg = (st == yajl_status_client_canceled && sc.msg != NULL)
               ? sc.msg : "not JSON";
        return -1;
    }

    return 0;
}
