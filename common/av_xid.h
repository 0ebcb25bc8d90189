/*
 * av_xid.h: the customer's transaction id that travels in the JWT's xid
 * claim and comes back in callbacks and Get Status.
 *
 * Allowed: 1..64 characters from A-Z a-z 0-9 '-' '_' '.' ':'.  That set
 * needs no escaping in JSON, a URL path, a cookie or a log line, which is
 * why it is enforced on caller-chosen xids and on xids Telesign sends.
 */
#ifndef AV_XID_H
#define AV_XID_H

#include <stddef.h>

#define AV_XID_MAX   64
#define AV_UUID_LEN  36

int av_xid_valid(const char *xid, size_t len);

/* Formats 16 random bytes as a version-4 UUID (lower case, 36 chars + NUL). */
void av_uuid_format(const unsigned char rnd[16], char out[AV_UUID_LEN + 1]);

/* Fills out with a fresh random UUID (OpenSSL RAND_bytes).  Returns 0, or
 * -1 if the random generator failed. */
int av_uuid_random(char out[AV_UUID_LEN + 1]);

#endif /* AV_XID_H */
