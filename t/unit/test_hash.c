/*
 * test_hash.c: the keyed hash the stores index client-chosen xids with.
 */
#include "unit.h"
#include "av_hash.h"

#include <stdint.h>

/* SipHash-2-4's reference vector (Aumasson & Bernstein, appendix A): key
 * 00..0f, message 00..0e */
static void
test_reference_vector(void)
{
    unsigned char  key[AV_HASH_KEY_LEN], msg[15];
    av_hash_t     *h;
    int            i;

    for (i = 0; i < 16; i++) key[i] = (unsigned char) i;
    for (i = 0; i < 15; i++) msg[i] = (unsigned char) i;

    h = av_hash_new(key);
    CHECK(h != NULL);
    if (h == NULL) return;

    CHECK(av_hash(h, msg, sizeof(msg)) == UINT64_C(0xa129ca6149be45e5));

    /* the context keeps its key: the same answer again, and again after
     * another message */
    CHECK(av_hash(h, "other", 5) != UINT64_C(0xa129ca6149be45e5));
    CHECK(av_hash(h, msg, sizeof(msg)) == UINT64_C(0xa129ca6149be45e5));

    /* the empty message of the same key (the paper's first vector) */
    CHECK(av_hash(h, "", 0) == UINT64_C(0x726fdb47dd0e0e31));

    av_hash_free(h);
}

/* another key, other hashes: what a collision is depends on the key */
static void
test_key_matters(void)
{
    unsigned char  k1[AV_HASH_KEY_LEN], k2[AV_HASH_KEY_LEN];
    av_hash_t     *a, *b;

    CHECK(av_hash_key_random(k1) == 0);
    CHECK(av_hash_key_random(k2) == 0);
    CHECK(memcmp(k1, k2, sizeof(k1)) != 0);

    a = av_hash_new(k1);
    b = av_hash_new(k2);
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL) return;

    CHECK(av_hash(a, "xid-1", 5) != av_hash(b, "xid-1", 5));
    CHECK(av_hash(a, "xid-1", 5) == av_hash(a, "xid-1", 5));
    CHECK(av_hash(a, "xid-1", 5) != av_hash(a, "xid-2", 5));

    av_hash_free(a);
    av_hash_free(b);
    av_hash_free(NULL);
}

int
main(void)
{
    RUN(test_reference_vector);
    RUN(test_key_matters);
    return UNIT_DONE();
}
