/*
 * av_key.h: secrets and the MACs computed with them.
 *
 * Telesign's API key is base64 text; every HMAC uses its decoded bytes.
 * Decoding is lenient exactly as Telesign's SDKs do it: characters outside
 * A-Za-z0-9+/ are skipped and missing '=' padding is accepted.
 * Also here: the base64 / base64url encoders every other file uses, and a
 * constant-time comparison.
 */
#ifndef AV_KEY_H
#define AV_KEY_H

#include <stddef.h>
#include <stdint.h>

#define AV_KEY_MAX        256   /* decoded bytes */
#define AV_SHA256_LEN     32
#define AV_B64_SHA256_LEN 44    /* base64 of 32 bytes, with padding */

typedef struct {
    unsigned char  bytes[AV_KEY_MAX];
    size_t         len;
} av_key_t;

/*
 * Decodes base64 key text leniently into key.  Returns 0, or -1 when the
 * text decodes to nothing, to more than AV_KEY_MAX bytes, or has a
 * dangling single sextet (which no encoder produces).
 */
int av_key_decode(av_key_t *key, const char *text, size_t len);

/* Raw bytes as a key (for a session secret file that is not base64). */
int av_key_from_bytes(av_key_t *key, const unsigned char *b, size_t len);

/*
 * What a key file holds, by the rules both servers' directives apply:
 * trailing newlines and blanks are editor artefacts and dropped; the API
 * key is base64 of at least 16 bytes, a session secret 32 to AV_KEY_MAX
 * raw bytes.  NULL on success, else what is wrong with the file, for the
 * message that names it (never its content).
 */
typedef enum {
    AV_KEY_FILE_API = 0,
    AV_KEY_FILE_SESSION
} av_key_file_t;

#define AV_KEY_FILE_MAX  4096               /* a larger file is refused */

const char *av_key_from_file_text(av_key_t *key, av_key_file_t kind,
    const char *text, size_t len);

/*
 * A Telesign customer id as the directives take it: Telesign's are UUIDs;
 * accepted is what stands in a JSON string and an HTTP header unescaped,
 * 1 to 64 of A-Z a-z 0-9 '-' '_' (the SDK refuses over 40; a little
 * lenient).  1 when valid.
 */
int av_customer_id_valid(const char *id, size_t len);

/*
 * Derives a sub-key: HMAC-SHA256(parent, label).  Used for the session
 * secret when the operator gives none, so that it can never equal the key
 * that signs the JWTs Telesign sees.
 */
void av_key_derive(av_key_t *out, const av_key_t *parent, const char *label);

/*
 * The session secret derived from the API key when the operator gives
 * none.  One label for both servers: nodes of nginx and httpd behind one
 * balancer accept each other's credentials only while they agree on it.
 */
void av_key_derive_session(av_key_t *out, const av_key_t *api_key);

/*
 * The session secrets of a server with none of its own: the current from
 * the API key; while that key is in rotation (api_previous not NULL),
 * previous from the one being retired, which signed the credentials
 * issued before, so that they pass until they expire.  previous is left
 * alone when api_previous is NULL (it may be NULL then).
 */
void av_key_derive_sessions(av_key_t *current, av_key_t *previous,
    const av_key_t *api, const av_key_t *api_previous);

/* Overwrites the key bytes in a way the compiler cannot elide. */
void av_key_wipe(av_key_t *key);

/* HMAC-SHA256 over the concatenation of n (ptr,len) parts. */
typedef struct {
    const void  *data;
    size_t       len;
} av_buf_t;

void av_hmac_sha256(const av_key_t *key, const av_buf_t *parts, size_t n,
    unsigned char out[AV_SHA256_LEN]);

/* 0 when equal; time depends only on len. */
int av_ct_memcmp(const void *a, const void *b, size_t len);

/* Encoders: write into out (caller sizes it), return the length written.
 * No NUL is appended. */
#define av_b64_len(n)     (((n) + 2) / 3 * 4)
#define av_b64url_len(n)  (((n) * 4 + 2) / 3)
size_t av_b64_encode(const unsigned char *in, size_t len, char *out);
size_t av_b64url_encode(const unsigned char *in, size_t len, char *out);

/* Strict base64url decoder (no padding, no foreign characters).
 * Returns the decoded length, or -1. */
long av_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t cap);

#endif /* AV_KEY_H */
