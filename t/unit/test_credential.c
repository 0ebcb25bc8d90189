/*
 * test_credential.c: the session credential "<xid>.<exp>.<mac>" and where
 * it is found in a request.
 */

#include "unit.h"
#include "av_credential.h"


#define SECRET  "0123456789abcdef0123456789abcdef"
#define NOW     1700000000

/* Python: "abc123.1700000030." + b64url(HMAC(SECRET,
 * b"av1\0abc123\0" b"1700000030")[:16]) */
#define VECTOR  "abc123.1700000030.RWK1E0Mm80Tb8YqRxOroKQ"


static void
secret(av_key_t *key)
{
    av_key_from_bytes(key, (const unsigned char *) SECRET, strlen(SECRET));
}


static av_err_t
check(const char *cred, int64_t now)
{
    av_key_t  key;
    char      xid[AV_XID_MAX + 1];
    size_t    xid_len;
    int64_t   exp;

    secret(&key);

    return av_credential_check(&key, cred, strlen(cred), now, xid, &xid_len,
                               &exp);
}


/* a credential with a right MAC over whatever xid and exp text it holds */
static size_t
forge_with_secret(const char *xid, const char *exp, char *out)
{
    av_key_t       key;
    av_buf_t       parts[4];
    unsigned char  mac[AV_SHA256_LEN];
    size_t         n;

    secret(&key);

    parts[0].data = "av1";
    parts[0].len = 4;
    parts[1].data = xid;
    parts[1].len = strlen(xid);
    parts[2].data = "";
    parts[2].len = 1;
    parts[3].data = exp;
    parts[3].len = strlen(exp);
    av_hmac_sha256(&key, parts, 4, mac);

    n = (size_t) sprintf(out, "%s.%s.", xid, exp);
    n += av_b64url_encode(mac, AV_CRED_MAC_LEN, out + n);
    out[n] = '\0';

    return n;
}


static void
issue_matches_the_documented_format(void)
{
    av_key_t  key;
    char      out[AV_CRED_MAX + 1];
    size_t    n;

    secret(&key);
    n = av_credential_issue(&key, "abc123", 6, 1700000030, out, sizeof(out));
    CHECK_EQ_MEM(out, n, VECTOR);

    /* the same through the test's own construction */
    n = forge_with_secret("abc123", "1700000030", out);
    CHECK_EQ_MEM(out, n, VECTOR);
}


static void
check_accepts_and_returns_xid_and_exp(void)
{
    av_key_t  key;
    char      xid[AV_XID_MAX + 1];
    size_t    xid_len;
    int64_t   exp;

    secret(&key);
    xid_len = 0;
    exp = 0;

    CHECK_EQ_INT(av_credential_check(&key, VECTOR, strlen(VECTOR), NOW,
                                     xid, &xid_len, &exp), AV_OK);
    CHECK_EQ_STR(xid, "abc123");
    CHECK_EQ_INT(xid_len, 6);
    CHECK_EQ_INT(exp, 1700000030);

    /* the optional outputs may be left out */
    CHECK_EQ_INT(av_credential_check(&key, VECTOR, strlen(VECTOR), NOW,
                                     NULL, NULL, NULL), AV_OK);
}


/* parsed from the right: xids with '.' and digits round-trip */
static void
xid_with_dots_round_trips(void)
{
    static const char  *xids[] = {
        "a.b", "1.2.3", "x.", ".x", "..", "a:b_c-d.9",
        "0123456789012345678901234567890123456789012345678901234567890123"
    };
    av_key_t            key;
    char                out[AV_CRED_MAX + 1], xid[AV_XID_MAX + 1];
    size_t              i, n, xid_len;
    int64_t             exp;

    secret(&key);

    for (i = 0; i < sizeof(xids) / sizeof(xids[0]); i++) {
        n = av_credential_issue(&key, xids[i], strlen(xids[i]), NOW + 5,
                                out, sizeof(out));
        CHECK(n > 0);
        CHECK_EQ_INT(av_credential_check(&key, out, n, NOW, xid, &xid_len,
                                         &exp), AV_OK);
        CHECK_EQ_STR(xid, xids[i]);
        CHECK_EQ_INT(exp, NOW + 5);
    }

    /* the longest credential fits AV_CRED_MAX exactly */
    n = av_credential_issue(&key, xids[6], 64, INT64_MAX, out, sizeof(out));
    CHECK_EQ_INT(n, 64 + 1 + 19 + 1 + 22);
    CHECK(n <= AV_CRED_MAX);
    CHECK_EQ_INT(av_credential_check(&key, out, n, NOW, xid, &xid_len, &exp),
                 AV_OK);
    CHECK_EQ_INT(exp, INT64_MAX);
}


static void
expired_is_told_apart_after_the_mac(void)
{
    char  cred[AV_CRED_MAX + 1];

    CHECK_EQ_INT(check(VECTOR, 1700000029), AV_OK);
    CHECK_EQ_INT(check(VECTOR, 1700000030), AV_ERR_EXPIRED_CREDENTIAL);
    CHECK_EQ_INT(check(VECTOR, 1700000031), AV_ERR_EXPIRED_CREDENTIAL);

    /* an expired credential with a bad MAC is bad, not expired */
    CHECK_EQ_INT(check("abc123.1700000030.RWK1E0Mm80Tb8YqRxOroKR",
                       1800000000), AV_ERR_BAD_CREDENTIAL);

    /* exp "0" is a number (and long past) */
    forge_with_secret("abc", "0", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_EXPIRED_CREDENTIAL);
}


static void
every_mac_character_matters(void)
{
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char               cred[sizeof(VECTOR)];
    size_t             i, j, mac, accepted, tried;

    mac = strlen(VECTOR) - 22;
    accepted = 0;
    tried = 0;

    /* every other base64url character at every MAC position */
    for (i = mac; i < strlen(VECTOR); i++) {
        for (j = 0; j < 64; j++) {
            memcpy(cred, VECTOR, sizeof(VECTOR));
            if (cred[i] == alphabet[j]) {
                continue;
            }

            cred[i] = alphabet[j];
            tried++;
            accepted += check(cred, NOW) != AV_ERR_BAD_CREDENTIAL;
        }
    }

    CHECK_EQ_INT(tried, 22 * 63);
    CHECK_EQ_INT(accepted, 0);

    /*
     * The last character carries 2 MAC bits and 4 zero bits: 'Q' and 'R'
     * decode to the same bytes, and only the canonical one passes.
     */
    CHECK_EQ_INT(check("abc123.1700000030.RWK1E0Mm80Tb8YqRxOroKR", NOW),
                 AV_ERR_BAD_CREDENTIAL);

    /* one byte more or less of MAC */
    CHECK_EQ_INT(check("abc123.1700000030.RWK1E0Mm80Tb8YqRxOroK", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.1700000030.RWK1E0Mm80Tb8YqRxOroKQA", NOW),
                 AV_ERR_BAD_CREDENTIAL);
}


static void
changing_xid_or_exp_breaks_the_mac(void)
{
    CHECK_EQ_INT(check("abc124.1700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("Abc123.1700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc12.1700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc1233.1700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.1700000031.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.2700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.17000000300.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    /* moving the boundary between xid and exp */
    CHECK_EQ_INT(check("abc12.31700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
}


static void
another_secret_fails(void)
{
    av_key_t  key;

    av_key_from_bytes(&key, (const unsigned char *) SECRET "x",
                      strlen(SECRET) + 1);
    CHECK_EQ_INT(av_credential_check(&key, VECTOR, strlen(VECTOR), NOW,
                                     NULL, NULL, NULL),
                 AV_ERR_BAD_CREDENTIAL);
}


/*
 * Malformed forms are refused even when their MAC is right: the MACs below
 * are computed over exactly the text the credential carries.
 */
static void
malformed_forms_are_bad(void)
{
    char  cred[256], xid65[66];

    CHECK_EQ_INT(check("", NOW), AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123", NOW), AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc123.1700000030RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("abc1231700000030.RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(check("..RWK1E0Mm80Tb8YqRxOroKQ", NOW),
                 AV_ERR_BAD_CREDENTIAL);

    /* empty xid */
    forge_with_secret("", "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);

    /* empty exp */
    forge_with_secret("abc123", "", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);

    /* exp: sign, leading zero, non-digit, space, too many digits */
    forge_with_secret("abc123", "+1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "-1", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "01700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "00", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "17000a0030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "1700000030 ", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "0x10", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);

    /* past int64: one over the maximum, and 20 digits */
    forge_with_secret("abc123", "9223372036854775807", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_OK);
    forge_with_secret("abc123", "9223372036854775808", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "18446744073709551617", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("abc123", "99999999999999999999", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);

    /* xid outside the charset, or too long */
    forge_with_secret("a b", "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("a/b", "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret("a\"b", "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    memset(xid65, 'x', 65);
    xid65[65] = '\0';
    forge_with_secret(xid65, "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_ERR_BAD_CREDENTIAL);
    forge_with_secret(xid65 + 1, "1700000030", cred);
    CHECK_EQ_INT(check(cred, NOW), AV_OK);
}


static void
issue_refuses_bad_input(void)
{
    av_key_t  key;
    char      out[AV_CRED_MAX + 1], xid65[65];

    secret(&key);
    memset(xid65, 'x', sizeof(xid65));

    CHECK_EQ_INT(av_credential_issue(&key, "", 0, NOW, out, sizeof(out)), 0);
    CHECK_EQ_INT(av_credential_issue(&key, "a b", 3, NOW, out, sizeof(out)),
                 0);
    CHECK_EQ_INT(av_credential_issue(&key, xid65, 65, NOW, out, sizeof(out)),
                 0);
    CHECK_EQ_INT(av_credential_issue(&key, "abc", 3, -1, out, sizeof(out)),
                 0);

    /* exact room works, one less does not, and nothing is written past */
    memset(out, '#', sizeof(out));
    CHECK_EQ_INT(av_credential_issue(&key, "abc123", 6, 1700000030, out,
                                     strlen(VECTOR)), strlen(VECTOR));
    CHECK(out[strlen(VECTOR)] == '#');
    CHECK_EQ_INT(av_credential_issue(&key, "abc123", 6, 1700000030, out,
                                     strlen(VECTOR) - 1), 0);

    CHECK(av_credential_issue(&key, "abc", 3, 0, out, sizeof(out)) > 0);
    CHECK_EQ_MEM(out, 6, "abc.0.");
}


static void
bearer(const char *authz, const char *want)
{
    const char  *cred;
    size_t       len;
    int          found;

    cred = NULL;
    len = 0;
    found = av_credential_from_bearer(authz, authz ? strlen(authz) : 0,
                                      &cred, &len);

    if (want == NULL) {
        CHECK_EQ_INT(found, 0);
    } else {
        CHECK_EQ_INT(found, 1);
        if (found) {
            CHECK_EQ_MEM(cred, len, want);
        }
    }
}


static void
bearer_header_parsing(void)
{
    bearer("Bearer " VECTOR, VECTOR);
    bearer("bearer abc", "abc");
    bearer("BEARER abc", "abc");
    bearer("bEaReR    abc", "abc");
    bearer("  Bearer abc  \t", "abc");

    bearer(NULL, NULL);
    bearer("", NULL);
    bearer("Bearer", NULL);
    bearer("Bearer ", NULL);
    bearer("Bearer    ", NULL);
    bearer("Bearerabc", NULL);
    bearer("Bearer\tabc", NULL);
    bearer("Bear abc", NULL);
    bearer("Basic abc", NULL);
    bearer("TSA abc:def", NULL);
    bearer("XBearer abc", NULL);
}


static void
cookie(const char *header, const char *want)
{
    const char  *cred;
    size_t       len;
    int          found;

    cred = NULL;
    len = 0;
    found = av_credential_from_cookie(header, strlen(header),
                                      "appverify", 9, &cred, &len);

    if (want == NULL) {
        CHECK_EQ_INT(found, 0);
    } else {
        CHECK_EQ_INT(found, 1);
        if (found) {
            CHECK_EQ_MEM(cred, len, want);
        }
    }
}


static void
cookie_header_parsing(void)
{
    cookie("appverify=" VECTOR, VECTOR);
    cookie("a=b; appverify=c; d=e", "c");
    cookie("a=b;appverify=c;d=e", "c");
    cookie("a=b;   appverify=c  ; d=e", "c");
    cookie("\tappverify=c", "c");

    /* names that merely contain ours */
    cookie("xappverify=bad; appverify=good", "good");
    cookie("appverifyx=bad; appverify=good", "good");
    cookie("appverif=bad; appverify=good", "good");
    cookie("xappverify=bad", NULL);
    cookie("appverifyx=bad", NULL);
    cookie("APPVERIFY=bad", NULL);

    /* our name as another cookie's value */
    cookie("foo=appverify=bad", NULL);
    cookie("foo=appverify; appverify=good", "good");

    /* the first occurrence wins; quotes and '=' are the value's */
    cookie("appverify=one; appverify=two", "one");
    cookie("appverify=\"abc\"", "\"abc\"");
    cookie("appverify=a=b", "a=b");
    cookie("appverify=a b", "a b");

    /* absent, empty, or without '=' */
    cookie("", NULL);
    cookie(";;; ;", NULL);
    cookie("appverify", NULL);
    cookie("appverify; x=1", NULL);
    cookie("appverify=", NULL);
    cookie("appverify=  ; x=1", NULL);
    cookie("appverify =c", NULL);
    cookie("a=b; appverify", NULL);

    /* repeated Cookie headers as httpd joins them, with ", " */
    cookie("a=b, appverify=c", "c");
    cookie("appverify=c, a=b", "c");
    cookie("a=b; x=y, appverify=c; d=e", "c");
    cookie("a=b,appverify=c", "c");
    cookie("a=appverify, b=c", NULL);
}


/* the Set-Cookie value both servers send, byte for byte */
static void
test_cookie_format(void)
{
    char    out[256];
    size_t  n;

    n = av_cookie_format(out, sizeof(out), "appverify", 9, "x.1.mac", 7,
                         43200, 1, "Lax");
    CHECK_EQ_STR(out, "appverify=x.1.mac; Path=/; Max-Age=43200; HttpOnly; "
                      "Secure; SameSite=Lax");
    CHECK_EQ_INT(n, strlen(out));

    av_cookie_format(out, sizeof(out), "av", 2, "c", 1, 60, 0, "off");
    CHECK_EQ_STR(out, "av=c; Path=/; Max-Age=60; HttpOnly");
    av_cookie_format(out, sizeof(out), "av", 2, "c", 1, 60, 0, "OFF");
    CHECK_EQ_STR(out, "av=c; Path=/; Max-Age=60; HttpOnly");
    av_cookie_format(out, sizeof(out), "av", 2, "c", 1, 60, 0, NULL);
    CHECK_EQ_STR(out, "av=c; Path=/; Max-Age=60; HttpOnly");
    av_cookie_format(out, sizeof(out), "av", 2, "c", 1, 60, 1, "Strict");
    CHECK_EQ_STR(out, "av=c; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict");

    /* the room it says always suffices, at the longest Max-Age */
    CHECK(av_cookie_format(out, av_cookie_size(9, 7, "Strict"), "appverify",
                           9, "x.1.mac", 7, INT64_MIN, 1, "Strict") > 0);
    CHECK(av_cookie_format(out, av_cookie_size(2, 1, NULL), "av", 2, "c", 1,
                           INT64_MAX, 1, NULL) > 0);

    /* too small: nothing, not a cut cookie */
    CHECK_EQ_INT(av_cookie_format(out, 20, "appverify", 9, "x.1.mac", 7,
                                  43200, 1, "Lax"), 0);
    CHECK_EQ_STR(out, "");
}

/* the per-process cache of checked credentials (the gate's hot path) */
static void
cache_remembers_only_what_passed(void)
{
    static av_cred_cache_t  cache;
    av_key_t                key, other;
    char                    xid[AV_XID_MAX + 1], forged[] = VECTOR;
    size_t                  xid_len, i, filled;
    int64_t                 exp;

    secret(&key);
    av_key_from_bytes(&other, (const unsigned char *) SECRET "x",
                      strlen(SECRET) + 1);

    /* a wrong MAC is refused and kept nowhere */
    forged[sizeof(forged) - 2] ^= 1;
    CHECK_EQ_INT(av_credential_check_cached(&cache, &key, NULL, forged,
                                            strlen(forged), NOW, xid,
                                            &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);

    for (filled = 0, i = 0; i < AV_CRED_CACHE_SLOTS; i++) {
        filled += cache.slot[i].len != 0;
    }
    CHECK_EQ_INT(filled, 0);

    /* the right one passes, and is kept */
    CHECK_EQ_INT(av_credential_check_cached(&cache, &key, NULL, VECTOR,
                                            strlen(VECTOR), NOW, xid,
                                            &xid_len, &exp), AV_OK);
    CHECK_EQ_STR(xid, "abc123");

    /* a hit computes no MAC: the cache belongs to the secrets that filled
     * it (one configuration's), which is why a reload starts a new one */
    memset(xid, 0, sizeof(xid));
    exp = 0;
    CHECK_EQ_INT(av_credential_check_cached(&cache, &other, NULL, VECTOR,
                                            strlen(VECTOR), NOW, xid,
                                            &xid_len, &exp), AV_OK);
    CHECK_EQ_STR(xid, "abc123");
    CHECK_EQ_INT(xid_len, 6);
    CHECK_EQ_INT(exp, 1700000030);

    /* without the cache the other secret refuses it */
    CHECK_EQ_INT(av_credential_check_cached(NULL, &other, NULL, VECTOR,
                                            strlen(VECTOR), NOW, xid,
                                            &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);

    /* the expiry is checked on every hit */
    CHECK_EQ_INT(av_credential_check_cached(&cache, &key, NULL, VECTOR,
                                            strlen(VECTOR), 1700000030, xid,
                                            &xid_len, &exp),
                 AV_ERR_EXPIRED_CREDENTIAL);

    /* the forged one, in the slot of the kept one, is still refused, and
     * the kept one stays */
    CHECK_EQ_INT(av_credential_check_cached(&cache, &key, NULL, forged,
                                            strlen(forged), NOW, xid,
                                            &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);
    CHECK_EQ_INT(av_credential_check_cached(&cache, &other, NULL, VECTOR,
                                            strlen(VECTOR), NOW, xid,
                                            &xid_len, &exp), AV_OK);

    /* malformed ones are refused before the cache is looked at */
    CHECK_EQ_INT(av_credential_check_cached(&cache, &key, NULL, VECTOR,
                                            strlen(VECTOR) - 1, NOW, xid,
                                            &xid_len, &exp),
                 AV_ERR_BAD_CREDENTIAL);
}


int
main(void)
{
    RUN(issue_matches_the_documented_format);
    RUN(check_accepts_and_returns_xid_and_exp);
    RUN(xid_with_dots_round_trips);
    RUN(expired_is_told_apart_after_the_mac);
    RUN(every_mac_character_matters);
    RUN(changing_xid_or_exp_breaks_the_mac);
    RUN(another_secret_fails);
    RUN(malformed_forms_are_bad);
    RUN(issue_refuses_bad_input);
    RUN(bearer_header_parsing);
    RUN(cookie_header_parsing);
    RUN(cache_remembers_only_what_passed);

    RUN(test_cookie_format);
    return UNIT_DONE();
}
