/*
 * av_json.c: a per-thread arena for jansson's allocations (av_json.h).
 */
#include "av_json.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct {
    size_t   used;
    int      on;
    /* max_align_t: what malloc would have aligned to */
    _Alignas(max_align_t) unsigned char  buf[AV_JSON_ARENA];
} av_arena_t;

static __thread av_arena_t  av_arena;
static int                  av_json_ready;

/* under AddressSanitizer every allocation stays malloc's, so that it can
 * still see an overrun of one of them (the arena is one block to it) */
#if defined(__SANITIZE_ADDRESS__)
#define AV_JSON_USE_ARENA  0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AV_JSON_USE_ARENA  0
#endif
#endif
#ifndef AV_JSON_USE_ARENA
#define AV_JSON_USE_ARENA  1
#endif


static void *
av_json_malloc(size_t n)
{
    av_arena_t  *a = &av_arena;
    size_t       size;

    size = (n + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);

    if (a->on && size >= n && size <= sizeof(a->buf) - a->used) {
        a->used += size;
        return a->buf + a->used - size;
    }

    return malloc(n);
}


/* The arena's memory goes back all at once; only malloc's goes to free. */
static void
av_json_free(void *p)
{
    av_arena_t  *a = &av_arena;

    if ((unsigned char *) p >= a->buf
        && (unsigned char *) p < a->buf + sizeof(a->buf))
    {
        return;
    }

    free(p);
}


json_t *
av_json_load(const char *s, size_t len)
{
    json_error_t  error;

    /* once; a second call from another thread sets the same functions */
    if (!av_json_ready) {
        json_set_alloc_funcs(av_json_malloc, av_json_free);
        av_json_ready = 1;
    }

    av_arena.used = 0;
    av_arena.on = AV_JSON_USE_ARENA;

    /* no JSON_ALLOW_NUL: a "\u0000" inside a string is refused too */
    return json_loadb(s, len, JSON_REJECT_DUPLICATES, &error);
}


void
av_json_done(json_t *root)
{
    if (root != NULL) {
        json_decref(root);
    }

    av_arena.on = 0;
    av_arena.used = 0;
}
