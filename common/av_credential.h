/*
 * av_credential.h: the session credential that binds a client to its xid.
 *
 * Format (cookie- and header-safe, no JSON to parse on the hot path):
 *     <xid>.<exp>.<mac>
 * exp is decimal epoch seconds; mac is base64url (22 chars) of the first
 * 16 bytes of HMAC-SHA256(session secret, "av1" 0x00 xid 0x00 exp).
 * Parsed from the right, so the xid may itself contain '.'.  The session
 * secret is never the API key itself (see av_key_derive), so a credential
 * and a Telesign JWT can never be confused or forged from one another.
 */
#ifndef AV_CREDENTIAL_H
#define AV_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_key.h"
#include "av_xid.h"

#define AV_CRED_MAC_LEN   16
#define AV_CRED_MAX       (AV_XID_MAX + 1 + 20 + 1 + 22)

/*
 * The Set-Cookie value that carries a credential:
 * "<name>=<cred>; Path=/; Max-Age=<max_age>; HttpOnly[; Secure]
 * [; SameSite=<samesite>]" (no SameSite when samesite is NULL, "" or
 * "off").  NUL-terminated; returns its length, 0 when cap is too small.
 */
size_t av_cookie_format(char *out, size_t cap, const char *name,
    size_t name_len, const char *cred, size_t cred_len, int64_t max_age,
    int secure, const char *samesite);

/* The room av_cookie_format() needs at most, its NUL included. */
size_t av_cookie_size(size_t name_len, size_t cred_len,
    const char *samesite);

/* Writes the credential into out (no NUL).  Returns its length, or 0 when
 * the xid is invalid or cap too small. */
size_t av_credential_issue(const av_key_t *secret, const char *xid,
    size_t xid_len, int64_t exp, char *out, size_t cap);

/*
 * Checks a credential.  Returns AV_OK with the xid copied (NUL-terminated)
 * into xid_out, AV_ERR_BAD_CREDENTIAL (malformed or wrong MAC; the MAC is
 * compared in constant time) or AV_ERR_EXPIRED_CREDENTIAL (valid MAC,
 * exp <= now).  *exp_out, when non-NULL, gets exp.
 */
av_err_t av_credential_check(const av_key_t *secret, const char *cred,
    size_t len, int64_t now, char xid_out[AV_XID_MAX + 1], size_t *xid_len,
    int64_t *exp_out);

/*
 * The same during a rotation of the session secret: a credential signed
 * with secret (the current one) or with previous (the one being retired;
 * NULL when none) passes until it expires.  Both MACs are computed and
 * compared in constant time, whichever matches.  New credentials are
 * issued with the current secret only (av_credential_issue).
 */
av_err_t av_credential_check_rotated(const av_key_t *secret,
    const av_key_t *previous, const char *cred, size_t len, int64_t now,
    char xid_out[AV_XID_MAX + 1], size_t *xid_len, int64_t *exp_out);

/*
 * Credentials whose MAC one process has checked already, so that the gate
 * of a session it saw before computes no HMAC and parses nothing (the
 * largest part of the gate's own work, bench/RESULTS.md): direct-mapped,
 * a slot chosen by the credential's MAC.  Its owner is one
 * configuration's secrets (it holds what they signed, and goes with them
 * on a reload) and one thread (no lock: nginx gives each worker its own
 * copy; httpd's threads have none).  A hit is the whole credential, its
 * MAC compared in constant time; the expiry is checked on every request
 * as without it.  A slot taken by a forged credential's MAC only costs
 * the next request of that session its HMAC: nothing that failed is ever
 * stored.
 */
#define AV_CRED_CACHE_SLOTS  1024

typedef struct {
    struct {
        size_t   len;                       /* 0: empty */
        size_t   xid_len;
        int64_t  exp;
        char     cred[AV_CRED_MAX];
    } slot[AV_CRED_CACHE_SLOTS];
} av_cred_cache_t;

/* av_credential_check_rotated, through cache (NULL: none). */
av_err_t av_credential_check_cached(av_cred_cache_t *cache,
    const av_key_t *secret, const av_key_t *previous, const char *cred,
    size_t len, int64_t now, char xid_out[AV_XID_MAX + 1], size_t *xid_len,
    int64_t *exp_out);

/*
 * Finds the credential in a request: "Authorization: Bearer <cred>" wins,
 * else the cookie named cookie_name in a Cookie header value.  Sets
 * *cred and *cred_len and returns 1 when found, 0 when not.
 */
int av_credential_from_bearer(const char *authz, size_t len,
    const char **cred, size_t *cred_len);
int av_credential_from_cookie(const char *cookie, size_t len,
    const char *name, size_t name_len, const char **cred, size_t *cred_len);

#endif /* AV_CREDENTIAL_H */
