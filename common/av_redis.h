/*
 * av_redis.h: how the core's items (av_store.h) live in a Redis that
 * several nodes share, nginx's and httpd's alike.  No I/O here: the glue
 * sends what these functions build and hands back what Redis answered.
 *
 * Keys: the operator's prefix, then the item's key with its entity as a
 * hash tag, so that the items of one entity stay together:
 *
 *     x:<xid>    ->  <prefix>x:{<xid>}
 *     l:<xid>    ->  <prefix>l:{<xid>}
 *     p:<phone>  ->  <prefix>p:{<phone>}      (c:, n: alike)
 *
 * Values: a portable encoding, never a struct's bytes (nodes may differ in
 * compiler, padding and byte order):
 *
 *     byte 0     AV_REDIS_FORMAT, the encoding's version
 *     byte 1     the kind: 'x' record, 'l' mark, 's' slot
 *     then the kind's fields in a fixed order: integers little-endian of
 *     a fixed width, strings as a length byte and the bytes (no NUL)
 *
 *     record     xid, phone, reference_id, prefix (strings), code (i32),
 *                state, flow, attempts, checking (u8 each),
 *                created_ms, updated_ms (i64)
 *     mark       at_ms, busy_until_ms (i64)
 *     slot       rate.last_ms (i64), rate.excess (u32), xid (string)
 *
 * What comes back from the network is checked before it is believed: a
 * value of another version or kind, truncated, with trailing bytes, a
 * string longer than its field or holding a NUL, an unknown state or flow
 * is refused whole.
 *
 * Writes: one generic compare-and-set script (AV_REDIS_CAS_SCRIPT) for a
 * whole transaction.  KEYS are the transaction's items; ARGV holds four
 * values per item: the value it had when read ("" when absent), the
 * action ("none", "put", "del"), the new value and its expiry in ms.  It
 * checks every item first and writes only when none changed, so a commit
 * is all or nothing and another node's write in between is a conflict
 * (the core runs the transaction again).  It knows no rule of the
 * verification: those stay in the core.  Each put expires when the
 * item's expires_ms says (at least 1 ms from now), so Redis keeps no
 * garbage.
 *
 * The script touches keys of several entities (a record and its phone's
 * bucket), so it runs on one Redis (a primary and its replicas), not
 * across the slots of a Redis Cluster.
 */
#ifndef AV_REDIS_H
#define AV_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include "av_store.h"

#define AV_REDIS_FORMAT          1
#define AV_REDIS_PREFIX_DEFAULT  "appverify:"
#define AV_REDIS_PREFIX_MAX      64

/* the prefix, the item's key and the tag's braces, NUL not counted */
#define AV_REDIS_KEY_MAX   (AV_REDIS_PREFIX_MAX + AV_ITEM_KEY_MAX + 2)

/* the longest value of any kind (a record), checked in av_redis.c */
#define AV_REDIS_VALUE_MAX  192

/* a decimal int64 and a NUL */
#define AV_REDIS_PX_MAX     21

/* the script's reply: 1 written, 0 an item changed (nothing written) */
#define AV_REDIS_CAS_OK        1
#define AV_REDIS_CAS_CONFLICT  0

extern const char  av_redis_cas_script[];

/* The script's SHA-1 in hex, for EVALSHA: 0, or -1 when OpenSSL failed. */
int av_redis_cas_sha1(char out[41]);

/*
 * A prefix= value: 1 to AV_REDIS_PREFIX_MAX printable bytes, no blank and
 * no brace (a brace would move the hash tag).  NULL, or a message with
 * one "%s" for the value, as av_conf.h's rules give.
 */
const char *av_redis_prefix_valid(const char *s, size_t len);

/* A password file's bytes: at most this many, one line */
#define AV_REDIS_PASSWORD_MAX  512

/*
 * A db= value: a number from 0 to 65535, in *db.  NULL, or a message with
 * one "%s" for the value, as av_conf.h's rules give.
 */
const char *av_redis_db_valid(const char *s, size_t len, int *db);

/*
 * A password file's content (n bytes as read, at most
 * AV_REDIS_PASSWORD_MAX + 2 of them: room for a CRLF, so that a longer
 * file is told): *len of it is the password, without
 * the end of line an editor or "echo" leaves.  NULL, or a message with one
 * "%s" for the file's name: not one line of 1 to AV_REDIS_PASSWORD_MAX
 * bytes without a NUL.
 */
const char *av_redis_password_valid(const char *buf, size_t n, size_t *len);

/* The Redis key of an item, NUL-terminated: its length, or 0 when it does
 * not fit in cap or the item's key is not "<tag>:<id>" with an id of its
 * own (non-empty, no braces). */
size_t  av_redis_key(char *out, size_t cap, const char *prefix,
    size_t prefix_len, const av_item_t *it);

/* Encodes it->v as its kind's value: the length, or 0 when cap is too
 * small or a string field has no NUL within its size. */
size_t  av_redis_encode(const av_item_t *it, unsigned char *out, size_t cap);

/* Decodes a value read for it: 0 and it->v filled in, or -1 (it->v
 * untouched) when the value is anything but a well-formed one of its kind. */
int     av_redis_decode(av_item_t *it, const unsigned char *in, size_t len);

/*
 * What Redis answered for it: v NULL when it holds no such key.  0 with
 * it->found, it->v and it->raw (the commit's expected value) set; a value
 * that is not well formed reads as absent and sets *foreign, for a
 * warning.  -1 when the value cannot be one of ours (empty, longer than
 * AV_ITEM_RAW_MAX): the item cannot be changed while it is there.
 */
int     av_redis_item_read(av_item_t *it, const unsigned char *v, size_t len,
    int *foreign);

/* The expiry of a put, in ms from now: at least 1. */
int64_t av_redis_px(const av_item_t *it, int64_t now_ms);

/*
 * The command for committing items: EVALSHA sha (or EVAL script when
 * script is set: after NOSCRIPT), numkeys, the keys, then per item its
 * expected old value (the item's raw/raw_len as read), action, new value
 * and expiry.  argv[i] and len[i] point into c or into the items, valid
 * while both are.  0, or -1 when a key or value cannot be built.
 */
#define AV_REDIS_CAS_ARGC_MAX  (3 + AV_TXN_ITEMS * 5)

typedef struct {
    unsigned        argc;
    const char     *argv[AV_REDIS_CAS_ARGC_MAX];
    size_t          len[AV_REDIS_CAS_ARGC_MAX];

    /* room for what is built here */
    char            numkeys[4];
    char            key[AV_TXN_ITEMS][AV_REDIS_KEY_MAX + 1];
    unsigned char   value[AV_TXN_ITEMS][AV_REDIS_VALUE_MAX];
    char            px[AV_TXN_ITEMS][AV_REDIS_PX_MAX];
} av_redis_cas_t;

int     av_redis_cas_build(av_redis_cas_t *c, const char *sha1, int script,
    const char *prefix, size_t prefix_len, const av_item_t *items,
    unsigned n, int64_t now_ms);

#endif /* AV_REDIS_H */
