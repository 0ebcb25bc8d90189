/*
 * av_tsa.c: Telesign's "TSA" HMAC scheme (telesign-protocol.md 2 and 3).
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "av_tsa.h"


#define AV_TSA_SCHEME      "TSA "
#define AV_TSA_SCHEME_LEN  (sizeof(AV_TSA_SCHEME) - 1)

#define av_tsa_str(s)      { s, sizeof(s) - 1 }


static size_t
av_tsa_strlen(const char *s)
{
    return s == NULL ? 0 : strlen(s);
}


void
av_tsa_sign(const av_key_t *key, const av_tsa_request_t *req,
    char sig[AV_B64_SHA256_LEN + 1])
{
    size_t          n, ct_len, date_len;
    av_buf_t        parts[16];
    unsigned char   mac[AV_SHA256_LEN];

    static const av_buf_t  nl = av_tsa_str("\n");
    static const av_buf_t  auth_method =
                                 av_tsa_str("\nx-ts-auth-method:HMAC-SHA256");
    static const av_buf_t  x_ts_date = av_tsa_str("\nx-ts-date:");
    static const av_buf_t  x_ts_nonce = av_tsa_str("\nx-ts-nonce:");

    ct_len = av_tsa_strlen(req->content_type);
    date_len = av_tsa_strlen(req->date);

    /*
     * The string to sign is fed to the HMAC in pieces, so the body is
     * never copied:
     *
     *     METHOD \n CONTENT-TYPE \n DATE \n x-ts-auth-method:HMAC-SHA256
     *     [\n x-ts-date:DATE] \n x-ts-nonce:NONCE [\n BODY] \n PATH
     */
    n = 0;

    parts[n].data = req->method;
    parts[n++].len = av_tsa_strlen(req->method);
    parts[n++] = nl;
    parts[n].data = req->content_type;
    parts[n++].len = ct_len;
    parts[n++] = nl;

    if (!req->x_ts_date) {
        parts[n].data = req->date;
        parts[n++].len = date_len;
    }

    parts[n++] = auth_method;

    if (req->x_ts_date) {
        parts[n++] = x_ts_date;
        parts[n].data = req->date;
        parts[n++].len = date_len;
    }

    parts[n++] = x_ts_nonce;
    parts[n].data = req->nonce;
    parts[n++].len = av_tsa_strlen(req->nonce);

    /* Telesign's SDKs add the body line only with a type and a body */
    if (ct_len != 0 && req->body != NULL && req->body_len != 0) {
        parts[n++] = nl;
        parts[n].data = req->body;
        parts[n++].len = req->body_len;
    }

    parts[n++] = nl;
    parts[n].data = req->path;
    parts[n++].len = av_tsa_strlen(req->path);

    av_hmac_sha256(key, parts, n, mac);

    sig[av_b64_encode(mac, AV_SHA256_LEN, sig)] = '\0';
}


size_t
av_tsa_authorization(const char *customer_id, const char *sig,
    char *out, size_t cap)
{
    size_t  cid_len, sig_len, len;
    char   *p;

    cid_len = strlen(customer_id);
    sig_len = strlen(sig);
    len = AV_TSA_SCHEME_LEN + cid_len + 1 + sig_len;

    if (len >= cap) {
        return 0;
    }

    p = out;
    memcpy(p, AV_TSA_SCHEME, AV_TSA_SCHEME_LEN);
    p += AV_TSA_SCHEME_LEN;
    memcpy(p, customer_id, cid_len);
    p += cid_len;
    *p++ = ':';
    memcpy(p, sig, sig_len);
    p += sig_len;
    *p = '\0';

    return len;
}


/* Header values come with optional white space around them (RFC 9110). */
static void
av_tsa_trim(const char **s, size_t *len)
{
    const char  *p;
    size_t       n;

    p = *s;
    n = *len;

    while (n && (p[0] == ' ' || p[0] == '\t')) {
        p++;
        n--;
    }

    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
        n--;
    }

    *s = p;
    *len = n;
}


/*
 * 1 when sig is one of the n expected signatures.  Every one is compared,
 * in constant time, whatever the others give: which key matched is not
 * told by when the answer comes.
 */
static int
av_tsa_sig_ok(const char (*expect)[AV_B64_SHA256_LEN], size_t n,
    const char *sig, size_t len, unsigned *matched)
{
    size_t    i;
    unsigned  m;

    if (len != AV_B64_SHA256_LEN) {
        *matched = 0;
        return 0;
    }

    m = 0;

    for (i = 0; i < n; i++) {
        m |= (unsigned) (av_ct_memcmp(expect[i], sig, AV_B64_SHA256_LEN) == 0)
             << i;
    }

    *matched = m;

    return m != 0;
}


/*
 * 1 when "TSA cid:sig" names customer_id (if given) and carries one of
 * the expected signatures; *matched: which, one bit per key.
 */
static int
av_tsa_auth_ok(const char (*expect)[AV_B64_SHA256_LEN], size_t n,
    const char *customer_id, const char *auth, size_t len, unsigned *matched)
{
    const char  *cid, *sig;
    size_t       cid_len, i;

    *matched = 0;

    av_tsa_trim(&auth, &len);

    if (len < AV_TSA_SCHEME_LEN + 1 + 1 + AV_B64_SHA256_LEN
        || memcmp(auth, AV_TSA_SCHEME, AV_TSA_SCHEME_LEN) != 0)
    {
        return 0;
    }

    /* the signature is the last 44 characters; it holds no ':' */
    sig = auth + len - AV_B64_SHA256_LEN;

    if (sig[-1] != ':') {
        return 0;
    }

    cid = auth + AV_TSA_SCHEME_LEN;
    cid_len = (size_t) (sig - 1 - cid);

    for (i = 0; i < cid_len; i++) {
        if (cid[i] == ':' || cid[i] == ' ' || cid[i] == '\t') {
            return 0;
        }
    }

    /*
     * The customer id is no secret, so an ordinary comparison; a UUID's
     * hex digits may come in either case.
     */
    if (customer_id != NULL
        && (strlen(customer_id) != cid_len
            || OPENSSL_strncasecmp(customer_id, cid, cid_len) != 0))
    {
        return 0;
    }

    return av_tsa_sig_ok(expect, n, sig, AV_B64_SHA256_LEN, matched);
}


av_err_t
av_tsa_verify_callback(const av_key_t *key, const char *customer_id,
    const char *auth, size_t auth_len, const char *xts, size_t xts_len,
    const unsigned char *body, size_t body_len)
{
    return av_tsa_verify_callback_rotated(key, NULL, customer_id, auth,
                                          auth_len, xts, xts_len, body,
                                          body_len);
}


av_err_t
av_tsa_verify_callback_rotated(const av_key_t *key,
    const av_key_t *previous, const char *customer_id, const char *auth,
    size_t auth_len, const char *xts, size_t xts_len,
    const unsigned char *body, size_t body_len)
{
    size_t           i, n;
    unsigned         both, m;
    av_buf_t         part;
    const av_key_t  *keys[2];
    unsigned char    mac[AV_SHA256_LEN];
    char             expect[2][AV_B64_SHA256_LEN];

    if (auth == NULL && xts == NULL) {
        return AV_ERR_NO_SIGNATURE;
    }

    keys[0] = key;
    keys[1] = previous;
    n = previous ? 2 : 1;

    part.data = body;
    part.len = body_len;

    for (i = 0; i < n; i++) {
        av_hmac_sha256(keys[i], &part, 1, mac);
        av_b64_encode(mac, AV_SHA256_LEN, expect[i]);
    }

    OPENSSL_cleanse(mac, sizeof(mac));

    /*
     * Both headers are checked against both keys whatever the first
     * gives: no early exit.  When both headers are present, both must
     * carry the signature of the same key, as Telesign signs them.
     */
    both = (1u << n) - 1;

    if (auth != NULL) {
        (void) av_tsa_auth_ok(expect, n, customer_id, auth, auth_len, &m);
        both &= m;
    }

    if (xts != NULL) {
        av_tsa_trim(&xts, &xts_len);
        (void) av_tsa_sig_ok(expect, n, xts, xts_len, &m);
        both &= m;
    }

    OPENSSL_cleanse(expect, sizeof(expect));

    return both ? AV_OK : AV_ERR_BAD_SIGNATURE;
}


size_t
av_http_date(long long t, char *out)
{
    int         n;
    time_t      tt;
    struct tm   tm;

    static const char  *days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char  *months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };

    out[0] = '\0';
    tt = (time_t) t;

    if ((long long) tt != t || gmtime_r(&tt, &tm) == NULL
        || tm.tm_year < 0 - 1900 || tm.tm_year > 9999 - 1900
        || tm.tm_wday < 0 || tm.tm_wday > 6
        || tm.tm_mon < 0 || tm.tm_mon > 11)
    {
        return 0;
    }

    /* by hand: strftime's %a and %b follow the locale */
    n = snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);

    if (n < 0 || n >= 30) {
        out[0] = '\0';
        return 0;
    }

    return (size_t) n;
}
