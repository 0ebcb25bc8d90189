/*
 * test_key.c: lenient key decoding, HMAC-SHA256, base64 coders, compare.
 */

#include "unit.h"
#include "av_key.h"


#define TEST_KEY  "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYld" \
                  "PJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw=="

/* the test key's bytes, decoded by Python's base64 after dropping '-' */
static const unsigned char test_key_bytes[61] = {
    0x11, 0x70, 0x0c, 0x3c, 0xb1, 0x13, 0x13, 0xcb, 0x13, 0x82, 0x0e, 0x39,
    0xca, 0xeb, 0x2e, 0x9a, 0x83, 0x7a, 0x05, 0x8b, 0x01, 0x56, 0x48, 0x7e,
    0xc9, 0x12, 0x79, 0x73, 0x38, 0x2c, 0x9c, 0x27, 0xa1, 0x65, 0xa3, 0x98,
    0x95, 0xd3, 0xc9, 0x76, 0x61, 0x61, 0xe8, 0xd7, 0x97, 0xf2, 0x4b, 0xa7,
    0x67, 0x6c, 0xd4, 0xd5, 0x85, 0x9a, 0x53, 0x0f, 0xf4, 0xc1, 0x5e, 0xb1,
    0x7f
};


static int
decode(av_key_t *key, const char *text)
{
    return av_key_decode(key, text, strlen(text));
}


static void
hex(const unsigned char *b, size_t len, char *out)
{
    static const char  digits[] = "0123456789abcdef";
    size_t             i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0x0f];
    }

    out[2 * len] = '\0';
}


/* telesign-protocol.md "Keys": 61 bytes starting 11 70 0c 3c */
static void
sdk_test_key_decodes_to_61_bytes(void)
{
    av_key_t  key;

    CHECK_EQ_INT(decode(&key, TEST_KEY), 0);
    CHECK_EQ_INT(key.len, 61);
    CHECK(key.bytes[0] == 0x11 && key.bytes[1] == 0x70
          && key.bytes[2] == 0x0c && key.bytes[3] == 0x3c);
    CHECK(memcmp(key.bytes, test_key_bytes, 61) == 0);
}


static void
lenient_decoding_skips_foreign_characters_and_padding(void)
{
    av_key_t  key;

    CHECK_EQ_INT(decode(&key, "VGVzdCBLZXk="), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "Test Key");

    /* missing padding */
    CHECK_EQ_INT(decode(&key, "VGVzdCBLZXk"), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "Test Key");

    /* white space, line breaks, '-', '_' and '=' anywhere are skipped */
    CHECK_EQ_INT(decode(&key, " VGVz\r\ndC-BL_Z\tX=k= "), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "Test Key");

    /* '=' in the middle ends nothing */
    CHECK_EQ_INT(decode(&key, "Zm9v=YmFy"), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "foobar");

    /* extra padding is skipped too */
    CHECK_EQ_INT(decode(&key, "Zg===="), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "f");

    /* two sextets give one byte, three give two; stray low bits ignored */
    CHECK_EQ_INT(decode(&key, "QR"), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "A");
    CHECK_EQ_INT(decode(&key, "QUJ"), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "AB");

    /* "yourApiKey" (section 2, row 6) is 10 sextets: 7 bytes */
    CHECK_EQ_INT(decode(&key, "yourApiKey"), 0);
    CHECK_EQ_INT(key.len, 7);
    CHECK(memcmp(key.bytes, "\xca\x8b\xab\x02\x98\x8a\x7b", 7) == 0);

    /* '+' and '/' are the standard alphabet's, kept */
    CHECK_EQ_INT(decode(&key, "+/8="), 0);
    CHECK_EQ_INT(key.len, 2);
    CHECK(key.bytes[0] == 0xfb && key.bytes[1] == 0xff);
}


static void
decoding_refuses_dangling_sextet_empty_and_oversize(void)
{
    av_key_t  key;
    char      text[400];

    /* 5 sextets: the last cannot make a byte */
    key.len = 99;
    CHECK_EQ_INT(decode(&key, "VGVzd"), -1);
    CHECK_EQ_INT(key.len, 0);
    CHECK_EQ_INT(decode(&key, "Q=="), -1);
    CHECK_EQ_INT(decode(&key, "Zm9vY-"), -1);

    CHECK_EQ_INT(decode(&key, ""), -1);
    CHECK_EQ_INT(decode(&key, "----"), -1);
    CHECK_EQ_INT(decode(&key, "===="), -1);
    CHECK_EQ_INT(av_key_decode(&key, "QUJD", 0), -1);

    /* 342 sextets = 256 bytes fits; 343 = 257 bytes does not */
    memset(text, 'A', sizeof(text));
    CHECK_EQ_INT(av_key_decode(&key, text, 342), 0);
    CHECK_EQ_INT(key.len, AV_KEY_MAX);
    CHECK_EQ_INT(av_key_decode(&key, text, 343), -1);
    CHECK_EQ_INT(av_key_decode(&key, text, 344), -1);
    CHECK_EQ_INT(av_key_decode(&key, text, 400), -1);
    CHECK_EQ_INT(key.len, 0);

    /* length counts decoded bytes, not text: junk does not push it over */
    memset(text, '-', sizeof(text));
    memcpy(text + 300, "QUJD", 4);
    CHECK_EQ_INT(av_key_decode(&key, text, 400), 0);
    CHECK_EQ_MEM(key.bytes, key.len, "ABC");
}


static void
decoding_a_shorter_key_leaves_nothing_of_the_old(void)
{
    av_key_t  key;
    size_t    i;
    int       clean;

    CHECK_EQ_INT(decode(&key, TEST_KEY), 0);
    CHECK_EQ_INT(decode(&key, "QUJD"), 0);
    CHECK_EQ_INT(key.len, 3);

    clean = 1;
    for (i = 3; i < AV_KEY_MAX; i++) {
        clean &= key.bytes[i] == 0;
    }

    CHECK(clean);
}


static void
key_from_bytes_bounds(void)
{
    av_key_t       key;
    unsigned char  raw[AV_KEY_MAX + 1];

    memset(raw, 0x5a, sizeof(raw));

    CHECK_EQ_INT(av_key_from_bytes(&key, raw, 32), 0);
    CHECK_EQ_INT(key.len, 32);
    CHECK(key.bytes[31] == 0x5a && key.bytes[32] == 0);
    CHECK_EQ_INT(av_key_from_bytes(&key, raw, AV_KEY_MAX), 0);
    CHECK_EQ_INT(av_key_from_bytes(&key, raw, AV_KEY_MAX + 1), -1);
    CHECK_EQ_INT(key.len, 0);
    CHECK_EQ_INT(av_key_from_bytes(&key, raw, 0), -1);
}


/* RFC 4231 test cases 2 and 6 (a key longer than the block) */
static void
hmac_sha256_matches_rfc4231(void)
{
    av_key_t       key;
    av_buf_t       parts[4];
    unsigned char  mac[AV_SHA256_LEN], big[131];
    char           h[2 * AV_SHA256_LEN + 1];
    const char    *msg;

    av_key_from_bytes(&key, (const unsigned char *) "Jefe", 4);
    msg = "what do ya want for nothing?";
    parts[0].data = msg;
    parts[0].len = strlen(msg);
    av_hmac_sha256(&key, parts, 1, mac);
    hex(mac, sizeof(mac), h);
    CHECK_EQ_STR(h, "5bdcc146bf60754e6a042426089575c7"
                    "5a003f089d2739839dec58b964ec3843");

    /* the same message in pieces, one of them empty */
    parts[0].len = 5;
    parts[1].data = msg + 5;
    parts[1].len = 0;
    parts[2].data = msg + 5;
    parts[2].len = 10;
    parts[3].data = msg + 15;
    parts[3].len = strlen(msg) - 15;
    memset(mac, 0, sizeof(mac));
    av_hmac_sha256(&key, parts, 4, mac);
    hex(mac, sizeof(mac), h);
    CHECK_EQ_STR(h, "5bdcc146bf60754e6a042426089575c7"
                    "5a003f089d2739839dec58b964ec3843");

    memset(big, 0xaa, sizeof(big));
    av_key_from_bytes(&key, big, sizeof(big));
    msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    parts[0].data = msg;
    parts[0].len = strlen(msg);
    av_hmac_sha256(&key, parts, 1, mac);
    hex(mac, sizeof(mac), h);
    CHECK_EQ_STR(h, "60e431591ee0b67f0d8a26aacbf5b77f"
                    "8e0bc6213728c5140546040f0ee37f54");
}


static void
derive_is_hmac_of_the_label(void)
{
    av_key_t  parent, child, other;
    char      h[2 * AV_SHA256_LEN + 1];

    decode(&parent, TEST_KEY);
    av_key_derive(&child, &parent, "appverify session");
    CHECK_EQ_INT(child.len, AV_SHA256_LEN);
    hex(child.bytes, child.len, h);
    /* Python: hmac.new(key, b"appverify session", sha256) */
    CHECK_EQ_STR(h, "a67eda29fe3901d346520612f8aef505"
                    "0ab6104c44a592c36a8d0e231ca49eb6");

    av_key_derive(&other, &parent, "appverify sessioN");
    CHECK(memcmp(other.bytes, child.bytes, AV_SHA256_LEN) != 0);

    /* deriving in place */
    av_key_derive(&parent, &parent, "appverify session");
    CHECK_EQ_INT(parent.len, AV_SHA256_LEN);
    CHECK(memcmp(parent.bytes, child.bytes, AV_SHA256_LEN) == 0);
}


static void
wipe_clears_everything(void)
{
    av_key_t  key;
    size_t    i;
    int       clean;

    decode(&key, TEST_KEY);
    av_key_wipe(&key);
    CHECK_EQ_INT(key.len, 0);

    clean = 1;
    for (i = 0; i < AV_KEY_MAX; i++) {
        clean &= key.bytes[i] == 0;
    }

    CHECK(clean);
}


static void
ct_memcmp_equal_and_different(void)
{
    CHECK_EQ_INT(av_ct_memcmp("abcdef", "abcdef", 6), 0);
    CHECK(av_ct_memcmp("abcdef", "abcdeg", 6) != 0);
    CHECK(av_ct_memcmp("xbcdef", "abcdef", 6) != 0);
    CHECK_EQ_INT(av_ct_memcmp("a", "b", 0), 0);
}


/* RFC 4648 section 10 */
static void
b64_encoders_match_rfc4648(void)
{
    static const char  *in[] = {
        "", "f", "fo", "foo", "foob", "fooba", "foobar"
    };
    static const char  *std[] = {
        "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
    };
    static const char  *url[] = {
        "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"
    };
    char                out[16];
    size_t              i, n, len;

    for (i = 0; i < 7; i++) {
        len = strlen(in[i]);

        memset(out, '#', sizeof(out));
        n = av_b64_encode((const unsigned char *) in[i], len, out);
        CHECK_EQ_MEM(out, n, std[i]);
        CHECK_EQ_INT(n, av_b64_len(len));
        CHECK(out[n] == '#');       /* no NUL, no overrun */

        memset(out, '#', sizeof(out));
        n = av_b64url_encode((const unsigned char *) in[i], len, out);
        CHECK_EQ_MEM(out, n, url[i]);
        CHECK_EQ_INT(n, av_b64url_len(len));
        CHECK(out[n] == '#');
    }

    /* the two alphabets differ in 62 and 63 */
    n = av_b64_encode((const unsigned char *) "\xfb\xff", 2, out);
    CHECK_EQ_MEM(out, n, "+/8=");
    n = av_b64url_encode((const unsigned char *) "\xfb\xff", 2, out);
    CHECK_EQ_MEM(out, n, "-_8");

    CHECK_EQ_INT(av_b64_len(AV_SHA256_LEN), AV_B64_SHA256_LEN);
    CHECK_EQ_INT(av_b64url_len(AV_SHA256_LEN), 43);
    CHECK_EQ_INT(av_b64url_len(16), 22);
}


static void
b64url_round_trips_every_length(void)
{
    unsigned char  in[64], back[64];
    char           enc[100];
    size_t         len, i, n;
    long           got;
    int            ok;
    unsigned int   seed;

    seed = 12345;
    ok = 1;

    for (len = 0; len <= sizeof(in); len++) {
        for (i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            in[i] = (unsigned char) (seed >> 16);
        }

        n = av_b64url_encode(in, len, enc);
        got = av_b64url_decode(enc, n, back, sizeof(back));
        ok &= got == (long) len && memcmp(in, back, len) == 0;

        /* exactly enough room works; one byte less does not */
        if (len) {
            ok &= av_b64url_decode(enc, n, back, len) == (long) len;
            ok &= av_b64url_decode(enc, n, back, len - 1) == -1;
        }
    }

    CHECK(ok);

    /* all 256 byte values through both ends */
    for (i = 0; i < 64; i++) {
        in[i] = (unsigned char) (i * 4 + 3);
    }

    n = av_b64url_encode(in, 64, enc);
    CHECK_EQ_INT(av_b64url_decode(enc, n, back, sizeof(back)), 64);
    CHECK(memcmp(in, back, 64) == 0);
}


static void
b64url_decoder_is_strict(void)
{
    unsigned char  out[16];

    CHECK_EQ_INT(av_b64url_decode("Zm9v", 4, out, sizeof(out)), 3);
    CHECK_EQ_MEM(out, 3, "foo");
    CHECK_EQ_INT(av_b64url_decode("-_8", 3, out, sizeof(out)), 2);
    CHECK(out[0] == 0xfb && out[1] == 0xff);
    CHECK_EQ_INT(av_b64url_decode("", 0, out, sizeof(out)), 0);

    /* padding, the standard alphabet, white space, a lone sextet */
    CHECK_EQ_INT(av_b64url_decode("Zg==", 4, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Zm8=", 4, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("+/8", 3, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Zm 9v", 5, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Zm9vY", 5, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Z", 1, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Zm\0v", 4, out, sizeof(out)), -1);

    /* stray low bits in the last character: "Zh" would also be "f" */
    CHECK_EQ_INT(av_b64url_decode("Zg", 2, out, sizeof(out)), 1);
    CHECK_EQ_INT(av_b64url_decode("Zh", 2, out, sizeof(out)), -1);
    CHECK_EQ_INT(av_b64url_decode("Zm8", 3, out, sizeof(out)), 2);
    CHECK_EQ_INT(av_b64url_decode("Zm9", 3, out, sizeof(out)), -1);
}


/* the derived session secret is the one label both servers share */
static void
test_session_derivation(void)
{
    av_key_t  api, a, b;

    CHECK(av_key_from_bytes(&api, (const unsigned char *) "0123456789abcdef0123", 20) == 0);
    av_key_derive_session(&a, &api);
    av_key_derive(&b, &api, "appverify session credential v1");
    CHECK_EQ_INT(a.len, b.len);
    CHECK(memcmp(a.bytes, b.bytes, a.len) == 0);
    CHECK(a.len != api.len || memcmp(a.bytes, api.bytes, a.len) != 0);
}

/* in a rotation of the API key, the previous session secret is the one
 * the retiring key derives, so credentials issued before still pass */
static void
test_session_derivation_rotated(void)
{
    av_key_t  api, old, cur, prev, want;

    CHECK(av_key_from_bytes(&api, (const unsigned char *) "0123456789abcdef0123", 20) == 0);
    CHECK(av_key_from_bytes(&old, (const unsigned char *) "fedcba98765432100123", 20) == 0);

    memset(&prev, 0x5a, sizeof(prev));
    av_key_derive_sessions(&cur, &prev, &api, &old);
    av_key_derive_session(&want, &api);
    CHECK(cur.len == want.len && memcmp(cur.bytes, want.bytes, cur.len) == 0);
    av_key_derive_session(&want, &old);
    CHECK(prev.len == want.len && memcmp(prev.bytes, want.bytes, prev.len) == 0);

    /* no rotation: only the current, and no previous needed */
    av_key_derive_sessions(&cur, NULL, &api, NULL);
    av_key_derive_session(&want, &api);
    CHECK(cur.len == want.len && memcmp(cur.bytes, want.bytes, cur.len) == 0);
}

/* the key file rules both servers' directives apply */
static void
test_key_file_rules(void)
{
    av_key_t     k;
    char         raw[300];
    const char  *api = "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYldPJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw==\n";

    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_API, api, strlen(api)) == NULL);
    CHECK_EQ_INT(k.len, 61);
    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_API, "c2hvcnQ=\n", 9) != NULL);
    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_API, "", 0) != NULL);
    CHECK_EQ_INT(k.len, 0);

    memset(raw, 'k', sizeof(raw));
    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_SESSION, raw, 32) == NULL);
    CHECK_EQ_INT(k.len, 32);
    /* the newline is not part of the secret; 31 bytes is too short */
    raw[31] = '\n';
    CHECK_EQ_STR(av_key_from_file_text(&k, AV_KEY_FILE_SESSION, raw, 32),
                 "must hold 32 to 256 bytes");
    memset(raw, 'k', sizeof(raw));
    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_SESSION, raw, 256) == NULL);
    CHECK(av_key_from_file_text(&k, AV_KEY_FILE_SESSION, raw, 257) != NULL);
}

static void
test_customer_id(void)
{
    CHECK(av_customer_id_valid("FFFFFFFF-EEEE-DDDD-1234-AB1234567890", 36));
    CHECK(av_customer_id_valid("a_b", 3));
    CHECK(!av_customer_id_valid("", 0));
    CHECK(!av_customer_id_valid("a b", 3));
    CHECK(!av_customer_id_valid("a\"b", 3));
    CHECK(!av_customer_id_valid("a:b", 3));
    CHECK(av_customer_id_valid("0123456789012345678901234567890123456789012345678901234567890123", 64));
    CHECK(!av_customer_id_valid("01234567890123456789012345678901234567890123456789012345678901234", 65));
}


int
main(void)
{
    RUN(sdk_test_key_decodes_to_61_bytes);
    RUN(lenient_decoding_skips_foreign_characters_and_padding);
    RUN(decoding_refuses_dangling_sextet_empty_and_oversize);
    RUN(decoding_a_shorter_key_leaves_nothing_of_the_old);
    RUN(key_from_bytes_bounds);
    RUN(hmac_sha256_matches_rfc4231);
    RUN(derive_is_hmac_of_the_label);
    RUN(wipe_clears_everything);
    RUN(ct_memcmp_equal_and_different);
    RUN(b64_encoders_match_rfc4648);
    RUN(b64url_round_trips_every_length);
    RUN(b64url_decoder_is_strict);

    RUN(test_session_derivation);
    RUN(test_session_derivation_rotated);
    RUN(test_key_file_rules);
    RUN(test_customer_id);
    return UNIT_DONE();
}
