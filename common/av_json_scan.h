/*
 * av_json_scan.h: one pass over a JSON document with yajl, building no
 * tree.
 *
 * Telesign's status documents (callbacks, Get Status answers) are read
 * for a handful of members.  jansson built a tree of each of them, a
 * member at a time through a lexer that reads a character at a time: a
 * third of a callback's CPU (bench/RESULTS.md, "2026-12-04").  yajl hands
 * the values over as it meets them.  This file holds what any reader of
 * untrusted JSON wants whatever the members mean: nesting and members
 * bounded, duplicate keys and NULs refused, yajl's allocations on the
 * caller's stack.  What the members mean is the caller's (av_callback.c).
 */
#ifndef AV_JSON_SCAN_H
#define AV_JSON_SCAN_H

#include <stddef.h>

/*
 * The real documents nest three levels deep and hold a dozen members an
 * object; these bounds keep a hostile body's cost linear in its length.
 */
#define AV_JSON_DEPTH_MAX     32      /* objects and arrays inside each other */
#define AV_JSON_MEMBERS_MAX   64      /* members of one object */
#define AV_JSON_OPEN_MAX      256     /* members of all objects open at once */

/* member names are handed over as their first AV_JSON_KEY_MAX bytes */
#define AV_JSON_KEY_MAX       32


typedef enum {
    AV_JV_NULL = 0,
    AV_JV_BOOL,
    AV_JV_INTEGER,
    AV_JV_REAL,
    AV_JV_STRING,
    AV_JV_OBJECT,
    AV_JV_ARRAY
} av_jv_type_t;

typedef struct {
    av_jv_type_t   type;
    const char    *s;       /* AV_JV_STRING: decoded; valid during the call */
    size_t         len;
    long long      n;       /* AV_JV_INTEGER; AV_JV_BOOL: 0 or 1 */
} av_jv_t;

/*
 * A value, at its place: parent is the tag its object or array was given
 * (0 for the document itself); in an object key and key_len name the
 * member (key holds at most AV_JSON_KEY_MAX bytes of it, key_len is the
 * whole length), in an array key is NULL and index counts the elements.
 * For an object or array the return is the tag its members will carry
 * (>= 0).  A return of -1 stops the scan, with *msg set.
 */
typedef int (*av_json_value_pt)(void *data, int parent, const char *key,
    size_t key_len, size_t index, const av_jv_t *v, const char **msg);

/* the object or array tagged tag has ended; -1 stops the scan */
typedef int (*av_json_end_pt)(void *data, int tag, const char **msg);

/*
 * Scans s: 0 when it is one JSON value (RFC 8259: no comments, nothing
 * after it) within the bounds above, with no duplicate member name and no
 * NUL in a string or name, and no callback stopped it; else -1 with *msg a
 * short static description for the log (never the body's bytes).
 */
int av_json_scan(const char *s, size_t len, av_json_value_pt value,
    av_json_end_pt end, void *data, const char **msg);

#endif /* AV_JSON_SCAN_H */
