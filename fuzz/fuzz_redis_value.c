/*
 * fuzz_redis_value.c: av_redis_decode, what a shared Redis hands back for
 * an item: whatever another node, an old version or anyone with access to
 * that Redis wrote there.
 *
 * Input: byte 0 picks the item's kind (mod 3), the rest is the value.
 *
 * Invariants: a refused value leaves the item as it was; an accepted one
 * is canonical (encoding what was decoded gives the input back byte for
 * byte, so one item has one encoding and the compare-and-set compares
 * like with like), its strings end within their fields, and a record's
 * state and flow are ones the core knows.
 */

#include "fuzz.h"
#include "av_redis.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc;
    size_t          n;
    uint8_t        *in;
    av_item_t       it, before;
    unsigned char   out[AV_REDIS_VALUE_MAX];

    if (size < 1) {
        return 0;
    }

    memset(&it, 0, sizeof(it));
    it.kind = (av_item_kind_t) (data[0] % 3);
    memset(&it.v, 0xa5, sizeof(it.v));
    before = it;

    in = (uint8_t *) fuzz_dup(data + 1, size - 1);
    rc = av_redis_decode(&it, in, size - 1);

    FUZZ_ASSERT(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_ASSERT(memcmp(&it, &before, sizeof(it)) == 0);
        free(in);
        return 0;
    }

    switch (it.kind) {
    case AV_ITEM_RECORD:
        FUZZ_ASSERT(memchr(it.v.rec.xid, '\0', sizeof(it.v.rec.xid)));
        FUZZ_ASSERT(memchr(it.v.rec.phone, '\0', sizeof(it.v.rec.phone)));
        FUZZ_ASSERT(memchr(it.v.rec.reference_id, '\0',
                           sizeof(it.v.rec.reference_id)));
        FUZZ_ASSERT(memchr(it.v.rec.prefix, '\0', sizeof(it.v.rec.prefix)));
        FUZZ_ASSERT(it.v.rec.version == AV_RECORD_VERSION);
        FUZZ_ASSERT(it.v.rec.state <= AV_STATE_BLOCKED);
        FUZZ_ASSERT(it.v.rec.flow <= AV_FLOW_CALL);
        break;
    case AV_ITEM_SLOT:
        FUZZ_ASSERT(memchr(it.v.slot.xid, '\0', sizeof(it.v.slot.xid)));
        break;
    default:
        break;
    }

    n = av_redis_encode(&it, out, sizeof(out));
    FUZZ_ASSERT(n == size - 1 && memcmp(out, in, n) == 0);

    free(in);

    return 0;
}
