/*
 * test_jwt.c: the token the SDK fetches (telesign-protocol.md section 1).
 */

#include "unit.h"
#include "av_jwt.h"


#define TEST_KEY  "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYld" \
                  "PJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw=="
#define TEST_CID  "FFFFFFFF-EEEE-DDDD-1234-AB1234567890"

#define VECTOR                                                              \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"                                  \
    ".eyJpc3MiOiJGRkZGRkZGRi1FRUVFLUREREQtMTIzNC1BQjEyMzQ1Njc4OTAiLCJpYXQ" \
    "iOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDAzMCwieGlkIjoiYWJjMTIzIiwicGhuIjo" \
    "iMTU1NTU1NTEyMzQifQ"                                                   \
    ".UOr1BxUHo7T5bI7qDSqD7B20fzuhSLmNtrCwl5ACopI"


static void
test_claims(av_jwt_claims_t *c)
{
    c->iss = TEST_CID;
    c->iss_len = strlen(TEST_CID);
    c->iat = 1700000000;
    c->exp = 1700000030;
    c->xid = "abc123";
    c->xid_len = 6;
    c->phn = "15555551234";
    c->phn_len = 11;
}


static void
test_key(av_key_t *key)
{
    CHECK_EQ_INT(av_key_decode(key, TEST_KEY, strlen(TEST_KEY)), 0);
}


/* section 1 vector, byte for byte */
static void
mint_reproduces_the_telesign_vector(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX];
    size_t           n;

    test_key(&key);
    test_claims(&c);

    n = av_jwt_mint(&key, &c, out, sizeof(out));
    CHECK_EQ_MEM(out, n, VECTOR);
}


static void
mint_parts_decode_to_the_exact_json(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX], *dot1, *dot2;
    unsigned char    json[AV_JWT_MAX], mac[AV_SHA256_LEN];
    unsigned char    sig[AV_SHA256_LEN + 1];
    size_t           n;
    long             len;
    av_buf_t         part;

    test_key(&key);
    test_claims(&c);
    n = av_jwt_mint(&key, &c, out, sizeof(out));
    CHECK(n > 0);

    dot1 = memchr(out, '.', n);
    CHECK(dot1 != NULL);
    if (dot1 == NULL) {
        return;
    }

    dot2 = memchr(dot1 + 1, '.', n - (size_t) (dot1 + 1 - out));
    CHECK(dot2 != NULL);
    if (dot2 == NULL) {
        return;
    }

    len = av_b64url_decode(out, (size_t) (dot1 - out), json, sizeof(json));
    CHECK_EQ_MEM(json, len, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");

    len = av_b64url_decode(dot1 + 1, (size_t) (dot2 - dot1 - 1), json,
                           sizeof(json));
    CHECK_EQ_MEM(json, len,
                 "{\"iss\":\"FFFFFFFF-EEEE-DDDD-1234-AB1234567890\","
                 "\"iat\":1700000000,\"exp\":1700000030,"
                 "\"xid\":\"abc123\",\"phn\":\"15555551234\"}");

    /* the signature is HS256 over header.claims with the decoded key */
    part.data = out;
    part.len = (size_t) (dot2 - out);
    av_hmac_sha256(&key, &part, 1, mac);
    len = av_b64url_decode(dot2 + 1, n - (size_t) (dot2 + 1 - out), sig,
                           sizeof(sig));
    CHECK_EQ_INT(len, AV_SHA256_LEN);
    CHECK(memcmp(sig, mac, AV_SHA256_LEN) == 0);
}


static void
mint_without_xid_omits_the_claim(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX], *dot2;
    unsigned char    json[AV_JWT_MAX];
    size_t           n;
    long             len;

    test_key(&key);
    test_claims(&c);
    c.xid = NULL;
    c.xid_len = 0;

    n = av_jwt_mint(&key, &c, out, sizeof(out));
    CHECK(n > 37);
    if (n <= 37) {
        return;
    }

    dot2 = memchr(out + 37, '.', n - 37);
    CHECK(dot2 != NULL);
    if (dot2 == NULL) {
        return;
    }

    len = av_b64url_decode(out + 37, (size_t) (dot2 - out - 37), json,
                           sizeof(json));
    CHECK_EQ_MEM(json, len,
                 "{\"iss\":\"FFFFFFFF-EEEE-DDDD-1234-AB1234567890\","
                 "\"iat\":1700000000,\"exp\":1700000030,"
                 "\"phn\":\"15555551234\"}");
}


static void
mint_respects_cap(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX + 1];
    size_t           want;

    test_key(&key);
    test_claims(&c);
    want = strlen(VECTOR);

    memset(out, '#', sizeof(out));
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, want), want);
    CHECK(out[want] == '#');
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, want - 1), 0);
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, 0), 0);
}


/* nothing is escaped, so what would need escaping is refused */
static void
mint_refuses_fields_that_would_break_the_json(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX], big[200];

    test_key(&key);

    test_claims(&c);
    c.xid = "ab\",\"phn\":\"1";
    c.xid_len = strlen(c.xid);
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    test_claims(&c);
    c.phn = "1555\\5551234";
    c.phn_len = strlen(c.phn);
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    test_claims(&c);
    c.iss = "FFFF\nFFFF";
    c.iss_len = strlen(c.iss);
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    /* iss and phn are required */
    test_claims(&c);
    c.iss_len = 0;
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    test_claims(&c);
    c.phn = NULL;
    c.phn_len = 0;
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    /* a field too long for the token */
    memset(big, 'a', sizeof(big));
    test_claims(&c);
    c.xid = big;
    c.xid_len = sizeof(big);
    CHECK_EQ_INT(av_jwt_mint(&key, &c, out, sizeof(out)), 0);

    /* but an xid of the largest size av_xid allows fits */
    test_claims(&c);
    c.xid = big;
    c.xid_len = 64;
    CHECK(av_jwt_mint(&key, &c, out, sizeof(out)) > 0);
}


static void
mint_writes_negative_and_large_times(void)
{
    av_key_t         key;
    av_jwt_claims_t  c;
    char             out[AV_JWT_MAX];
    unsigned char    json[AV_JWT_MAX];
    size_t           n;
    long             len;
    char            *dot2;

    test_key(&key);
    test_claims(&c);
    c.iat = -1;
    c.exp = INT64_MAX;
    c.xid = NULL;

    n = av_jwt_mint(&key, &c, out, sizeof(out));
    CHECK(n > 37);
    if (n <= 37) {
        return;
    }

    dot2 = memchr(out + 37, '.', n - 37);
    CHECK(dot2 != NULL);
    if (dot2 == NULL) {
        return;
    }

    len = av_b64url_decode(out + 37, (size_t) (dot2 - out - 37), json,
                           sizeof(json));
    CHECK_EQ_MEM(json, len,
                 "{\"iss\":\"FFFFFFFF-EEEE-DDDD-1234-AB1234567890\","
                 "\"iat\":-1,\"exp\":9223372036854775807,"
                 "\"phn\":\"15555551234\"}");
}


int
main(void)
{
    RUN(mint_reproduces_the_telesign_vector);
    RUN(mint_parts_decode_to_the_exact_json);
    RUN(mint_without_xid_omits_the_claim);
    RUN(mint_respects_cap);
    RUN(mint_refuses_fields_that_would_break_the_json);
    RUN(mint_writes_negative_and_large_times);

    return UNIT_DONE();
}
