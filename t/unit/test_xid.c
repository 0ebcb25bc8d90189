/*
 * test_xid.c: the xid charset and random version-4 UUIDs.
 */

#include "unit.h"
#include "av_xid.h"


static int
valid(const char *s)
{
    return av_xid_valid(s, strlen(s));
}


static void
xid_charset_and_length(void)
{
    char  buf[AV_XID_MAX + 2];
    int   c, accepted;

    CHECK(valid("abc123"));
    CHECK(valid("4325217a-742e-11e4-b116-123b93f75cba"));
    CHECK(valid("A-Z_a.z:0"));
    CHECK(valid("."));
    CHECK(valid(":"));

    memset(buf, 'x', sizeof(buf));
    CHECK(av_xid_valid(buf, 1));
    CHECK(av_xid_valid(buf, AV_XID_MAX));
    CHECK(!av_xid_valid(buf, AV_XID_MAX + 1));
    CHECK(!av_xid_valid(buf, 0));
    CHECK(!av_xid_valid(NULL, 0));

    /* everything outside A-Z a-z 0-9 - _ . : would need escaping
     * somewhere (JSON, a path, a cookie, a log line) */
    CHECK(!valid("a b"));
    CHECK(!valid("a/b"));
    CHECK(!valid("a\"b"));
    CHECK(!valid("a\\b"));
    CHECK(!valid("a%20"));
    CHECK(!valid("a+b"));
    CHECK(!valid("a=b"));
    CHECK(!valid("a;b"));
    CHECK(!valid("a,b"));
    CHECK(!valid("caf\xc3\xa9"));
    CHECK(!av_xid_valid("ab\0c", 4));

    /* exactly 26 + 26 + 10 + 4 byte values pass */
    accepted = 0;
    for (c = 0; c < 256; c++) {
        buf[0] = (char) c;
        accepted += av_xid_valid(buf, 1);
    }

    CHECK_EQ_INT(accepted, 66);
}


static void
uuid_format_sets_version_and_variant(void)
{
    unsigned char  rnd[16];
    char           out[AV_UUID_LEN + 1];
    int            i;

    memset(rnd, 0, sizeof(rnd));
    av_uuid_format(rnd, out);
    CHECK_EQ_STR(out, "00000000-0000-4000-8000-000000000000");

    memset(rnd, 0xff, sizeof(rnd));
    av_uuid_format(rnd, out);
    CHECK_EQ_STR(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");

    for (i = 0; i < 16; i++) {
        rnd[i] = (unsigned char) (i * 0x11);
    }

    av_uuid_format(rnd, out);
    CHECK_EQ_STR(out, "00112233-4455-4677-8899-aabbccddeeff");

    /* the input is left alone */
    CHECK(rnd[6] == 0x66 && rnd[8] == 0x88);
}


static void
uuid_random_is_fresh_and_well_formed(void)
{
    char  a[AV_UUID_LEN + 1], b[AV_UUID_LEN + 1];

    CHECK_EQ_INT(av_uuid_random(a), 0);
    CHECK_EQ_INT(av_uuid_random(b), 0);

    CHECK_EQ_INT(strlen(a), AV_UUID_LEN);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    CHECK(av_xid_valid(a, AV_UUID_LEN));
    CHECK(strcmp(a, b) != 0);
}


int
main(void)
{
    RUN(xid_charset_and_length);
    RUN(uuid_format_sets_version_and_variant);
    RUN(uuid_random_is_fresh_and_well_formed);

    return UNIT_DONE();
}
