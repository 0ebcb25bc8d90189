/*
 * av_hash.h: a keyed hash for tables whose keys a client chooses.
 *
 * A client picks its own xid, so an unkeyed hash (crc32) lets it make
 * thousands of keys that land in one chain and slow every lookup under
 * the store's lock.  SipHash-2-4 under a random key of the store's own
 * makes collisions unpredictable.  libsodium computes it; a context keeps
 * the key, so one hash costs no allocation; it is only read, so threads
 * may share it.
 */
#ifndef AV_HASH_H
#define AV_HASH_H

#include <stddef.h>
#include <stdint.h>

#define AV_HASH_KEY_LEN  16

typedef struct av_hash_s  av_hash_t;

/* A context for key; NULL without memory (or when libsodium cannot start). */
av_hash_t *av_hash_new(const unsigned char key[AV_HASH_KEY_LEN]);
void       av_hash_free(av_hash_t *h);

/* SipHash-2-4 of data, as the little-endian 64-bit number it outputs. */
uint64_t   av_hash(av_hash_t *h, const void *data, size_t len);

/* A fresh random key (OpenSSL RAND_bytes): 0, or -1 when it failed. */
int        av_hash_key_random(unsigned char key[AV_HASH_KEY_LEN]);

#endif /* AV_HASH_H */
