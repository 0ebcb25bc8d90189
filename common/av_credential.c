/*
 * av_credential.c: the session credential "<xid>.<exp>.<mac>".
 *
 * Checked on every request behind the gate, so the check is one pass over
 * at most AV_CRED_MAX bytes and one HMAC, with no allocation and no copy
 * but the xid the caller asked for.
 */

#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "av_credential.h"


#define AV_CRED_MAC_B64    22   /* av_b64url_len(AV_CRED_MAC_LEN) */
#define AV_CRED_EXP_MAX    19   /* digits of INT64_MAX */

/* domain separation: "av1" and its NUL start every MAC input */
#define AV_CRED_DOMAIN     "av1"
#define AV_CRED_DOMAIN_LEN sizeof(AV_CRED_DOMAIN)


/* base64url of the truncated HMAC over "av1" 0x00 xid 0x00 exp */
static void
av_credential_mac(const av_key_t *secret, const char *xid, size_t xid_len,
    const char *exp, size_t exp_len, char out[AV_CRED_MAC_B64])
{
    av_buf_t       parts[4];
    unsigned char  mac[AV_SHA256_LEN];

    parts[0].data = AV_CRED_DOMAIN;
    parts[0].len = AV_CRED_DOMAIN_LEN;
    parts[1].data = xid;
    parts[1].len = xid_len;
    parts[2].data = "";
    parts[2].len = 1;
    parts[3].data = exp;
    parts[3].len = exp_len;

    av_hmac_sha256(secret, parts, 4, mac);
    av_b64url_encode(mac, AV_CRED_MAC_LEN, out);
}


size_t
av_credential_issue(const av_key_t *secret, const char *xid,
    size_t xid_len, int64_t exp, char *out, size_t cap)
{
    char      digits[AV_CRED_EXP_MAX + 1], *d, *p;
    size_t    exp_len, len;
    uint64_t  v;

    /* a negative exp would write a '-' that the check refuses */
    if (!av_xid_valid(xid, xid_len) || exp < 0) {
        return 0;
    }

    d = digits + sizeof(digits);
    v = (uint64_t) exp;

    do {
        *--d = (char) ('0' + v % 10);
        v /= 10;
    } while (v);

    exp_len = (size_t) (digits + sizeof(digits) - d);

    len = xid_len + 1 + exp_len + 1 + AV_CRED_MAC_B64;
    if (len > cap) {
        return 0;
    }

    p = out;
    memcpy(p, xid, xid_len);
    p += xid_len;
    *p++ = '.';
    memcpy(p, d, exp_len);
    p += exp_len;
    *p++ = '.';

    av_credential_mac(secret, xid, xid_len, d, exp_len, p);

    return len;
}


av_err_t
av_credential_check(const av_key_t *secret, const char *cred,
    size_t len, int64_t now, char xid_out[AV_XID_MAX + 1], size_t *xid_len,
    int64_t *exp_out)
{
    return av_credential_check_rotated(secret, NULL, cred, len, now, xid_out,
                                       xid_len, exp_out);
}


av_err_t
av_credential_check_rotated(const av_key_t *secret,
    const av_key_t *previous, const char *cred, size_t len, int64_t now,
    char xid_out[AV_XID_MAX + 1], size_t *xid_len, int64_t *exp_out)
{
    return av_credential_check_cached(NULL, secret, previous, cred, len, now,
                                      xid_out, xid_len, exp_out);
}


/* The slot of a credential: its MAC's characters are the hash already. */
static size_t
av_credential_slot(const char *mac)
{
    size_t    i;
    uint32_t  h;

    h = 0;

    for (i = 0; i < 4; i++) {
        h = (h << 6) ^ (unsigned char) mac[i];
    }

    return h % AV_CRED_CACHE_SLOTS;
}


/*
 * The same bytes as a credential this process checked: its MAC compared
 * in constant time, the rest (the xid and exp the client sent, which grant
 * nothing without the MAC) with memcmp.
 */
static int
av_credential_cached(const av_cred_cache_t *cache, size_t slot,
    const char *cred, size_t len)
{
    size_t  n;

    if (cache == NULL || cache->slot[slot].len != len) {
        return 0;
    }

    n = len - AV_CRED_MAC_B64;

    return av_ct_memcmp(cache->slot[slot].cred + n, cred + n,
                        AV_CRED_MAC_B64) == 0
           && memcmp(cache->slot[slot].cred, cred, n) == 0;
}


av_err_t
av_credential_check_cached(av_cred_cache_t *cache, const av_key_t *secret,
    const av_key_t *previous, const char *cred, size_t len, int64_t now,
    char xid_out[AV_XID_MAX + 1], size_t *xid_len, int64_t *exp_out)
{
    int         ok;
    char        expect[AV_CRED_MAC_B64];
    size_t      i, exp_len, id_len, slot;
    int64_t     exp;
    const char *mac, *e;

    if (cred == NULL || len > AV_CRED_MAX
        || len < 1 + 1 + 1 + 1 + AV_CRED_MAC_B64)
    {
        return AV_ERR_BAD_CREDENTIAL;
    }

    /* from the right: the xid may hold '.', the exp and the mac cannot */
    mac = cred + len - AV_CRED_MAC_B64;

    /* checked before by this process: parsed then, no need again */
    slot = av_credential_slot(mac);

    if (av_credential_cached(cache, slot, cred, len)) {
        id_len = cache->slot[slot].xid_len;
        exp = cache->slot[slot].exp;
        goto authentic;
    }

    if (mac[-1] != '.') {
        return AV_ERR_BAD_CREDENTIAL;
    }

    i = len - AV_CRED_MAC_B64 - 1;

    while (i > 0 && cred[i - 1] != '.') {
        i--;
    }

    if (i < 2) {
        /* no '.' before the exp, or an empty xid */
        return AV_ERR_BAD_CREDENTIAL;
    }

    e = cred + i;
    exp_len = (size_t) (mac - 1 - e);
    id_len = i - 1;

    if (exp_len == 0 || exp_len > AV_CRED_EXP_MAX
        || (e[0] == '0' && exp_len > 1))
    {
        return AV_ERR_BAD_CREDENTIAL;
    }

    exp = 0;

    for (i = 0; i < exp_len; i++) {
        if (e[i] < '0' || e[i] > '9') {
            return AV_ERR_BAD_CREDENTIAL;
        }

        if (exp > (INT64_MAX - (e[i] - '0')) / 10) {
            return AV_ERR_BAD_CREDENTIAL;
        }

        exp = exp * 10 + (e[i] - '0');
    }

    if (!av_xid_valid(cred, id_len)) {
        return AV_ERR_BAD_CREDENTIAL;
    }

    /*
     * Comparing the encodings, not the decoded bytes, also refuses a MAC
     * whose last character has stray low bits set.
     */
    av_credential_mac(secret, cred, id_len, e, exp_len, expect);
    ok = (av_ct_memcmp(expect, mac, AV_CRED_MAC_B64) == 0);

    /*
     * During a rotation the previous secret's MAC is computed and
     * compared whatever the current one gave, so the time taken does not
     * tell which secret signed the credential.
     */
    if (previous != NULL) {
        av_credential_mac(previous, cred, id_len, e, exp_len, expect);
        ok |= (av_ct_memcmp(expect, mac, AV_CRED_MAC_B64) == 0);
    }

    if (!ok) {
        return AV_ERR_BAD_CREDENTIAL;
    }

    if (cache != NULL) {
        memcpy(cache->slot[slot].cred, cred, len);
        cache->slot[slot].len = len;
        cache->slot[slot].xid_len = id_len;
        cache->slot[slot].exp = exp;
    }

authentic:

    /* authentic from here on: the caller may log whose credential expired */
    if (xid_out != NULL) {
        memcpy(xid_out, cred, id_len);
        xid_out[id_len] = '\0';
    }

    if (xid_len != NULL) {
        *xid_len = id_len;
    }

    if (exp_out != NULL) {
        *exp_out = exp;
    }

    if (exp <= now) {
        return AV_ERR_EXPIRED_CREDENTIAL;
    }

    return AV_OK;
}


int
av_credential_from_bearer(const char *authz, size_t len,
    const char **cred, size_t *cred_len)
{
    static const char  bearer[] = "bearer";
    size_t             i;

    if (authz == NULL) {
        return 0;
    }

    while (len && (authz[0] == ' ' || authz[0] == '\t')) {
        authz++;
        len--;
    }

    while (len && (authz[len - 1] == ' ' || authz[len - 1] == '\t')) {
        len--;
    }

    /* auth schemes are case-insensitive (RFC 9110 11.1) */
    if (len < sizeof(bearer) - 1 + 2) {
        return 0;
    }

    for (i = 0; i < sizeof(bearer) - 1; i++) {
        if ((authz[i] | 0x20) != bearer[i]) {
            return 0;
        }
    }

    if (authz[i] != ' ') {
        return 0;
    }

    while (i < len && authz[i] == ' ') {
        i++;
    }

    if (i == len) {
        return 0;
    }

    *cred = authz + i;
    *cred_len = len - i;

    return 1;
}


int
av_credential_from_cookie(const char *cookie, size_t len,
    const char *name, size_t name_len, const char **cred, size_t *cred_len)
{
    const char  *p, *end, *pair_name, *pair_end, *comma, *eq, *value,
                *value_end;

    if (cookie == NULL || name_len == 0) {
        return 0;
    }

    p = cookie;
    end = cookie + len;

    /*
     * memchr, not a loop over each byte: the gate reads this on every
     * request, and a Cookie header often holds other pairs first.  A
     * comma ends a pair too: httpd joins repeated Cookie headers with
     * ", ", and no cookie value may hold one (RFC 6265's cookie-octet).
     */

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t' || *p == ';' || *p == ','))
        {
            p++;
        }

        pair_name = p;

        pair_end = memchr(p, ';', (size_t) (end - p));
        if (pair_end == NULL) {
            pair_end = end;
        }

        comma = memchr(p, ',', (size_t) (pair_end - p));
        if (comma != NULL) {
            pair_end = comma;
        }

        p = pair_end;

        eq = memchr(pair_name, '=', (size_t) (pair_end - pair_name));

        if (eq == NULL) {
            /* a pair without '=' names nothing */
            continue;
        }

        if ((size_t) (eq - pair_name) != name_len
            || memcmp(pair_name, name, name_len) != 0)
        {
            continue;
        }

        /* the first pair with the name decides, quotes and all */
        value = eq + 1;
        value_end = pair_end;

        while (value_end > value
               && (value_end[-1] == ' ' || value_end[-1] == '\t'))
        {
            value_end--;
        }

        if (value_end == value) {
            return 0;
        }

        *cred = value;
        *cred_len = (size_t) (value_end - value);

        return 1;
    }

    return 0;
}


size_t
av_cookie_size(size_t name_len, size_t cred_len, const char *samesite)
{
    /* the attributes, a 64-bit Max-Age's digits and sign, the NUL */
    return name_len + cred_len + (samesite ? strlen(samesite) : 0)
           + sizeof("=; Path=/; Max-Age=; HttpOnly; Secure; SameSite=")
           + 21;
}


size_t
av_cookie_format(char *out, size_t cap, const char *name, size_t name_len,
    const char *cred, size_t cred_len, int64_t max_age, int secure,
    const char *samesite)
{
    int  n;

    if (samesite && (samesite[0] == '\0' || strcasecmp(samesite, "off") == 0))
    {
        samesite = NULL;
    }

    n = snprintf(out, cap, "%.*s=%.*s; Path=/; Max-Age=%lld; HttpOnly%s%s%s",
                 (int) name_len, name, (int) cred_len, cred,
                 (long long) max_age, secure ? "; Secure" : "",
                 samesite ? "; SameSite=" : "", samesite ? samesite : "");

    if (n < 0 || (size_t) n >= cap) {
        if (cap) {
            out[0] = '\0';
        }
        return 0;
    }

    return (size_t) n;
}
