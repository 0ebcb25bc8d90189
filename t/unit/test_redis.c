/*
 * test_redis.c: the Redis store's key layout, value encoding and
 * compare-and-set command (av_redis.h).  What Redis hands back comes from
 * the network: every malformed value must be refused, none may read past
 * what it was given.
 */
#include "unit.h"
#include "av_redis.h"

#include <stdlib.h>
#include <string.h>

static av_item_t
item(av_item_kind_t kind, const char *key)
{
    av_item_t  it;

    memset(&it, 0, sizeof(it));
    it.kind = kind;
    it.key_len = strlen(key);
    memcpy(it.key, key, it.key_len + 1);
    return it;
}

static av_item_t
record_item(void)
{
    av_item_t  it = item(AV_ITEM_RECORD, "x:abc-1");

    av_record_init(&it.v.rec, "abc-1", 5, "15551234567", 11, AV_FLOW_CALL,
                   1700000000123LL);
    strcpy(it.v.rec.reference_id, "0123456789ABCDEF0123456789ABCDEF");
    strcpy(it.v.rec.prefix, "+4420");
    it.v.rec.code = -7;                 /* signed survives */
    it.v.rec.state = AV_STATE_FAILED;
    it.v.rec.attempts = 2;
    it.v.rec.checking = 1;
    it.v.rec.updated_ms = -1;
    return it;
}

static av_item_t
slot_item(void)
{
    av_item_t  it = item(AV_ITEM_SLOT, "p:15551234567");

    it.v.slot.rate.last_ms = 1700000000999LL;
    it.v.slot.rate.excess = 0xfedcba98u;
    strcpy(it.v.slot.xid, "abc-1");
    return it;
}

static av_item_t
mark_item(void)
{
    av_item_t  it = item(AV_ITEM_MARK, "l:abc-1");

    it.v.mark.at_ms = 1700000000001LL;
    it.v.mark.busy_until_ms = 0x0102030405060708LL;
    return it;
}


/* --- keys --------------------------------------------------------------- */

static void
test_key(void)
{
    char       k[AV_REDIS_KEY_MAX + 1];
    size_t     n;
    av_item_t  it;

    it = item(AV_ITEM_RECORD, "x:abc-1");
    n = av_redis_key(k, sizeof(k), "appverify:", 10, &it);
    CHECK_EQ_MEM(k, n, "appverify:x:{abc-1}");
    CHECK_EQ_INT(strlen(k), n);

    it = item(AV_ITEM_MARK, "l:abc-1");
    n = av_redis_key(k, sizeof(k), "site-a/", 7, &it);
    CHECK_EQ_MEM(k, n, "site-a/l:{abc-1}");

    it = item(AV_ITEM_SLOT, "c:2001:db8::1");
    n = av_redis_key(k, sizeof(k), AV_REDIS_PREFIX_DEFAULT,
                     strlen(AV_REDIS_PREFIX_DEFAULT), &it);
    CHECK_EQ_MEM(k, n, "appverify:c:{2001:db8::1}");

    /* an empty prefix is the core's key alone, tagged */
    it = item(AV_ITEM_SLOT, "p:1555");
    n = av_redis_key(k, sizeof(k), "", 0, &it);
    CHECK_EQ_MEM(k, n, "p:{1555}");
}

static void
test_key_refused(void)
{
    char       k[AV_REDIS_KEY_MAX + 1];
    char       prefix[AV_REDIS_PREFIX_MAX + 2];
    av_item_t  it;

    /* no id, no tag separator, a brace that would move the tag */
    it = item(AV_ITEM_RECORD, "x:");
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), "a:", 2, &it), 0);
    it = item(AV_ITEM_RECORD, "xabc");
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), "a:", 2, &it), 0);
    it = item(AV_ITEM_RECORD, "x:a{b");
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), "a:", 2, &it), 0);
    it = item(AV_ITEM_RECORD, "x:a}b");
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), "a:", 2, &it), 0);

    /* bounds: a buffer one short, a prefix too long */
    it = item(AV_ITEM_RECORD, "x:abc");
    CHECK_EQ_INT(av_redis_key(k, strlen("a:x:{abc}"), "a:", 2, &it), 0);
    CHECK_EQ_INT(av_redis_key(k, strlen("a:x:{abc}") + 1, "a:", 2, &it), 9);

    memset(prefix, 'a', sizeof(prefix));
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), prefix, AV_REDIS_PREFIX_MAX + 1,
                              &it), 0);

    /* the longest key and prefix fit AV_REDIS_KEY_MAX */
    it.key_len = AV_ITEM_KEY_MAX;
    memset(it.key, '1', AV_ITEM_KEY_MAX);
    it.key[1] = ':';
    it.key[AV_ITEM_KEY_MAX] = '\0';
    CHECK_EQ_INT(av_redis_key(k, sizeof(k), prefix, AV_REDIS_PREFIX_MAX, &it),
                 AV_REDIS_KEY_MAX);
}

static void
test_prefix(void)
{
    char  p[AV_REDIS_PREFIX_MAX + 1];

    CHECK(av_redis_prefix_valid("appverify:", 10) == NULL);
    CHECK(av_redis_prefix_valid("a", 1) == NULL);
    CHECK(av_redis_prefix_valid("", 0) != NULL);
    CHECK(av_redis_prefix_valid("a b", 3) != NULL);
    CHECK(av_redis_prefix_valid("a{", 2) != NULL);
    CHECK(av_redis_prefix_valid("a}", 2) != NULL);
    CHECK(av_redis_prefix_valid("a\x80", 2) != NULL);
    CHECK(av_redis_prefix_valid("a\n", 2) != NULL);

    memset(p, 'p', sizeof(p));
    CHECK(av_redis_prefix_valid(p, AV_REDIS_PREFIX_MAX) == NULL);
    CHECK(av_redis_prefix_valid(p, AV_REDIS_PREFIX_MAX + 1) != NULL);
}


/* --- values ------------------------------------------------------------- */

static void
round_trip(av_item_t in)
{
    size_t         n;
    av_item_t      out;
    unsigned char  b[AV_REDIS_VALUE_MAX];

    n = av_redis_encode(&in, b, sizeof(b));
    CHECK(n > 2);
    CHECK_EQ_INT(b[0], AV_REDIS_FORMAT);

    out = item(in.kind, in.key);
    memset(&out.v, 0x5a, sizeof(out.v));
    CHECK_EQ_INT(av_redis_decode(&out, b, n), 0);

    switch (in.kind) {
    case AV_ITEM_RECORD:
        CHECK_EQ_INT(out.v.rec.version, AV_RECORD_VERSION);
        CHECK_EQ_STR(out.v.rec.xid, in.v.rec.xid);
        CHECK_EQ_STR(out.v.rec.phone, in.v.rec.phone);
        CHECK_EQ_STR(out.v.rec.reference_id, in.v.rec.reference_id);
        CHECK_EQ_STR(out.v.rec.prefix, in.v.rec.prefix);
        CHECK_EQ_INT(out.v.rec.code, in.v.rec.code);
        CHECK_EQ_INT(out.v.rec.state, in.v.rec.state);
        CHECK_EQ_INT(out.v.rec.flow, in.v.rec.flow);
        CHECK_EQ_INT(out.v.rec.attempts, in.v.rec.attempts);
        CHECK_EQ_INT(out.v.rec.checking, in.v.rec.checking);
        CHECK_EQ_INT(out.v.rec.created_ms, in.v.rec.created_ms);
        CHECK_EQ_INT(out.v.rec.updated_ms, in.v.rec.updated_ms);
        break;
    case AV_ITEM_MARK:
        CHECK_EQ_INT(out.v.mark.at_ms, in.v.mark.at_ms);
        CHECK_EQ_INT(out.v.mark.busy_until_ms, in.v.mark.busy_until_ms);
        break;
    case AV_ITEM_SLOT:
        CHECK_EQ_INT(out.v.slot.rate.last_ms, in.v.slot.rate.last_ms);
        CHECK_EQ_INT(out.v.slot.rate.excess, in.v.slot.rate.excess);
        CHECK_EQ_STR(out.v.slot.xid, in.v.slot.xid);
        break;
    }
}

static void
test_round_trips(void)
{
    av_item_t  it;

    round_trip(record_item());
    round_trip(slot_item());
    round_trip(mark_item());

    /* the longest strings every field takes */
    it = record_item();
    memset(it.v.rec.xid, 'x', AV_XID_MAX);
    it.v.rec.xid[AV_XID_MAX] = '\0';
    memset(it.v.rec.phone, '9', AV_PHONE_MAX);
    it.v.rec.phone[AV_PHONE_MAX] = '\0';
    memset(it.v.rec.reference_id, 'R', AV_REFERENCE_MAX);
    it.v.rec.reference_id[AV_REFERENCE_MAX] = '\0';
    memset(it.v.rec.prefix, '7', AV_PREFIX_MAX);
    it.v.rec.prefix[AV_PREFIX_MAX] = '\0';
    round_trip(it);

    /* a slot without a latest xid (a client's or a range's) */
    it = slot_item();
    it.key[0] = 'c';
    it.v.slot.xid[0] = '\0';
    round_trip(it);
}

/* the bytes on the wire are fixed: a node of another build reads them */
static void
test_wire(void)
{
    size_t         n;
    av_item_t      it = mark_item();
    unsigned char  b[AV_REDIS_VALUE_MAX];

    static const unsigned char  want[] = {
        1, 'l',
        0x01, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00,    /* at_ms */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01     /* busy */
    };

    n = av_redis_encode(&it, b, sizeof(b));
    CHECK_EQ_INT(n, sizeof(want));
    CHECK(memcmp(b, want, sizeof(want)) == 0);
}

static void
test_encode_refused(void)
{
    size_t         n;
    av_item_t      it = record_item();
    unsigned char  b[AV_REDIS_VALUE_MAX];

    /* every buffer short of the whole value */
    n = av_redis_encode(&it, b, sizeof(b));
    CHECK(n > 0);

    while (n-- > 0) {
        CHECK_EQ_INT(av_redis_encode(&it, b, n), 0);
    }

    /* a field without its NUL */
    it = record_item();
    memset(it.v.rec.phone, '1', sizeof(it.v.rec.phone));
    CHECK_EQ_INT(av_redis_encode(&it, b, sizeof(b)), 0);

    it = slot_item();
    memset(it.v.slot.xid, 'a', sizeof(it.v.slot.xid));
    CHECK_EQ_INT(av_redis_encode(&it, b, sizeof(b)), 0);
}

static int
decodes(av_item_kind_t kind, const unsigned char *b, size_t n)
{
    av_item_t  out = item(kind, kind == AV_ITEM_RECORD ? "x:abc-1"
                                : kind == AV_ITEM_MARK ? "l:abc-1" : "p:1");

    /* from the heap, exactly n bytes: ASan sees a read past the end */
    unsigned char  *copy = malloc(n ? n : 1);
    int             rc;

    memcpy(copy, b, n);
    rc = av_redis_decode(&out, copy, n);
    free(copy);
    return rc == 0;
}

static void
test_decode_refused(void)
{
    size_t          n, i;
    av_item_t       it;
    unsigned char   b[AV_REDIS_VALUE_MAX + 8], c[AV_REDIS_VALUE_MAX + 8];
    av_item_t       kinds[3];
    unsigned        k;

    kinds[0] = record_item();
    kinds[1] = mark_item();
    kinds[2] = slot_item();

    for (k = 0; k < 3; k++) {
        it = kinds[k];
        n = av_redis_encode(&it, b, sizeof(b));
        CHECK(decodes(it.kind, b, n));

        /* truncated anywhere, with a byte too many */
        for (i = 0; i < n; i++) {
            CHECK(!decodes(it.kind, b, i));
        }

        b[n] = 0;
        CHECK(!decodes(it.kind, b, n + 1));

        /* another version, another kind */
        memcpy(c, b, n);
        c[0] = AV_REDIS_FORMAT + 1;
        CHECK(!decodes(it.kind, c, n));
        c[0] = 0;
        CHECK(!decodes(it.kind, c, n));
        CHECK(!decodes((av_item_kind_t) ((k + 1) % 3), b, n));
    }

    /* an empty value, one that is not ours at all */
    CHECK(!decodes(AV_ITEM_RECORD, (const unsigned char *) "", 0));
    CHECK(!decodes(AV_ITEM_RECORD, (const unsigned char *) "hello", 5));

    /* the record's fields: a string longer than its field (each),
     * one with a NUL, an unknown state or flow, an empty xid */
    it = record_item();
    n = av_redis_encode(&it, b, sizeof(b));

    memcpy(c, b, n);
    c[2] = AV_XID_MAX + 1;              /* xid's length byte */
    CHECK(!decodes(AV_ITEM_RECORD, c, n));
    c[2] = 0xff;
    CHECK(!decodes(AV_ITEM_RECORD, c, n));

    memcpy(c, b, n);
    c[3 + 5] = AV_PHONE_MAX + 1;        /* phone's: after "abc-1" */
    CHECK(!decodes(AV_ITEM_RECORD, c, n));

    memcpy(c, b, n);
    c[4] = '\0';                        /* inside the xid */
    CHECK(!decodes(AV_ITEM_RECORD, c, n));

    /* the fixed tail: code (4), state, flow, attempts, checking, 2 x i64 */
    memcpy(c, b, n);
    c[n - 16 - 4] = AV_STATE_BLOCKED + 1;
    CHECK(!decodes(AV_ITEM_RECORD, c, n));
    memcpy(c, b, n);
    c[n - 16 - 3] = AV_FLOW_CALL + 1;
    CHECK(!decodes(AV_ITEM_RECORD, c, n));

    memcpy(c, b, n);
    c[2] = 0;                           /* an empty xid: one byte shorter */
    memmove(c + 3, c + 3 + 5, n - 3 - 5);
    CHECK(!decodes(AV_ITEM_RECORD, c, n - 5));

    /* overlong as a whole: never more than the room for a value */
    memset(c, 0, sizeof(c));
    CHECK(!decodes(AV_ITEM_RECORD, c, AV_REDIS_VALUE_MAX + 1));

    /* the slot's xid too long */
    it = slot_item();
    n = av_redis_encode(&it, b, sizeof(b));
    b[2 + 12] = AV_XID_MAX + 1;
    CHECK(!decodes(AV_ITEM_SLOT, b, n));

    /* refused whole: the item keeps what it held */
    it = mark_item();
    CHECK_EQ_INT(av_redis_decode(&it, (const unsigned char *) "\1l\1", 3), -1);
    CHECK_EQ_INT(it.v.mark.at_ms, 1700000000001LL);
}

/* every byte changed in turn, every length: never a crash or an overread
 * (ASan), and what decodes encodes again to the same bytes */
static void
test_decode_mutations(void)
{
    size_t          n, m, i;
    unsigned        v, k;
    av_item_t       kinds[3], out;
    unsigned char   b[AV_REDIS_VALUE_MAX], c[AV_REDIS_VALUE_MAX],
                    d[AV_REDIS_VALUE_MAX];
    unsigned        ok = 0, again = 0;

    kinds[0] = record_item();
    kinds[1] = mark_item();
    kinds[2] = slot_item();

    for (k = 0; k < 3; k++) {
        n = av_redis_encode(&kinds[k], b, sizeof(b));

        for (i = 0; i < n; i++) {
            for (v = 0; v < 256; v += 17) {
                memcpy(c, b, n);
                c[i] = (unsigned char) v;
                out = kinds[k];

                if (av_redis_decode(&out, c, n) == 0) {
                    ok++;
                    m = av_redis_encode(&out, d, sizeof(d));
                    again += (m == n && memcmp(c, d, n) == 0);
                }
            }
        }
    }

    CHECK(ok > 0);
    CHECK_EQ_INT(again, ok);
}

static void
test_px(void)
{
    av_item_t  it = mark_item();

    it.expires_ms = 5000;
    CHECK_EQ_INT(av_redis_px(&it, 1000), 4000);
    CHECK_EQ_INT(av_redis_px(&it, 4999), 1);
    CHECK_EQ_INT(av_redis_px(&it, 5000), 1);
    CHECK_EQ_INT(av_redis_px(&it, 9000), 1);
}


/* --- the commit --------------------------------------------------------- */

static void
test_cas(void)
{
    char            sha[41];
    av_item_t       items[3];
    av_redis_cas_t  c;
    size_t          n;
    unsigned char   b[AV_REDIS_VALUE_MAX];

    CHECK_EQ_INT(av_redis_cas_sha1(sha), 0);
    CHECK_EQ_INT(strlen(sha), 40);

    items[0] = record_item();           /* absent, put */
    items[0].write = AV_WRITE_PUT;
    items[0].expires_ms = 61000;

    items[1] = slot_item();             /* read, not written */
    memcpy(items[1].raw, "\1s-old", 6);
    items[1].raw_len = 6;

    items[2] = mark_item();             /* read, deleted */
    memcpy(items[2].raw, "\1l-old", 6);
    items[2].raw_len = 6;
    items[2].write = AV_WRITE_DELETE;

    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 0, "appverify:", 10, items, 3,
                                    1000), 0);
    CHECK_EQ_INT(c.argc, 3 + 3 + 3 * 4);
    CHECK_EQ_MEM(c.argv[0], c.len[0], "EVALSHA");
    CHECK_EQ_MEM(c.argv[1], c.len[1], sha);
    CHECK_EQ_MEM(c.argv[2], c.len[2], "3");
    CHECK_EQ_MEM(c.argv[3], c.len[3], "appverify:x:{abc-1}");
    CHECK_EQ_MEM(c.argv[4], c.len[4], "appverify:p:{15551234567}");
    CHECK_EQ_MEM(c.argv[5], c.len[5], "appverify:l:{abc-1}");

    CHECK_EQ_MEM(c.argv[6], c.len[6], "");
    CHECK_EQ_MEM(c.argv[7], c.len[7], "put");
    n = av_redis_encode(&items[0], b, sizeof(b));
    CHECK(c.len[8] == n && memcmp(c.argv[8], b, n) == 0);
    CHECK_EQ_MEM(c.argv[9], c.len[9], "60000");

    CHECK_EQ_MEM(c.argv[10], c.len[10], "\1s-old");
    CHECK_EQ_MEM(c.argv[11], c.len[11], "none");
    CHECK_EQ_MEM(c.argv[12], c.len[12], "");

    CHECK_EQ_MEM(c.argv[14], c.len[14], "\1l-old");
    CHECK_EQ_MEM(c.argv[15], c.len[15], "del");

    /* after NOSCRIPT: the script itself */
    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 1, "appverify:", 10, items, 3,
                                    1000), 0);
    CHECK_EQ_MEM(c.argv[0], c.len[0], "EVAL");
    CHECK_EQ_MEM(c.argv[1], c.len[1], av_redis_cas_script);

    /* what cannot be built is not sent */
    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 0, "a:", 2, items, 0, 1000), -1);
    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 0, "a:", 2, items,
                                    AV_TXN_ITEMS + 1, 1000), -1);
    items[1].key[1] = '-';
    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 0, "a:", 2, items, 3, 1000), -1);
    items[1].key[1] = ':';
    memset(items[0].v.rec.xid, 'x', sizeof(items[0].v.rec.xid));
    CHECK_EQ_INT(av_redis_cas_build(&c, sha, 0, "a:", 2, items, 3, 1000), -1);
}

/* db= and the password file: the rules both servers refuse with */
static void
test_db_and_password(void)
{
    int          db = -1;
    size_t       len = 0;
    char         big[AV_REDIS_PASSWORD_MAX + 2];

    CHECK(av_redis_db_valid("0", 1, &db) == NULL && db == 0);
    CHECK(av_redis_db_valid("65535", 5, &db) == NULL && db == 65535);
    CHECK(av_redis_db_valid("65536", 5, &db) != NULL);
    CHECK(av_redis_db_valid("", 0, &db) != NULL);
    CHECK(av_redis_db_valid("-1", 2, &db) != NULL);
    CHECK(av_redis_db_valid("1x", 2, &db) != NULL);
    CHECK(av_redis_db_valid("0000001", 7, &db) != NULL);
    CHECK(strstr(av_redis_db_valid("x", 1, &db), "%s") != NULL);

    CHECK(av_redis_password_valid("secret\n", 7, &len) == NULL && len == 6);
    CHECK(av_redis_password_valid("secret\r\n", 8, &len) == NULL && len == 6);
    CHECK(av_redis_password_valid("secret", 6, &len) == NULL && len == 6);
    CHECK(av_redis_password_valid("", 0, &len) != NULL);
    CHECK(av_redis_password_valid("\n", 1, &len) != NULL);
    CHECK(av_redis_password_valid("two\nlines\n", 10, &len) != NULL);
    CHECK(av_redis_password_valid("nul\0x\n", 6, &len) != NULL);

    memset(big, 'a', sizeof(big));
    CHECK(av_redis_password_valid(big, AV_REDIS_PASSWORD_MAX, &len) == NULL
          && len == AV_REDIS_PASSWORD_MAX);
    big[AV_REDIS_PASSWORD_MAX] = '\r';
    big[AV_REDIS_PASSWORD_MAX + 1] = '\n';
    CHECK(av_redis_password_valid(big, sizeof(big), &len) == NULL
          && len == AV_REDIS_PASSWORD_MAX);
    memset(big, 'a', sizeof(big));
    CHECK(av_redis_password_valid(big, AV_REDIS_PASSWORD_MAX + 1, &len)
          != NULL);
}


int
main(void)
{
    RUN(test_key);
    RUN(test_key_refused);
    RUN(test_db_and_password);
    RUN(test_prefix);
    RUN(test_round_trips);
    RUN(test_wire);
    RUN(test_encode_refused);
    RUN(test_decode_refused);
    RUN(test_decode_mutations);
    RUN(test_px);
    RUN(test_cas);
    return UNIT_DONE();
}
