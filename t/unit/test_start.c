/*
 * test_start.c: the rules for starting a verification (av_start.h), which
 * the token and call endpoints of both servers apply.
 */
#include "unit.h"
#include "av_start.h"

#include <string.h>

static av_start_conf_t
conf_default(void)
{
    av_start_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.phone.rate = 100;                 /* 6r/m */
    c.phone.burst = 3;
    c.pending_ms = 60000;
    return c;
}

static void
fresh(av_record_t *rec, const char *xid, const char *phone)
{
    av_record_init(rec, xid, strlen(xid), phone, strlen(phone), AV_FLOW_SDK,
                   1000000);
}

/* the keys: the core's layout, the same on both servers */
static void
test_keys(void)
{
    av_start_t       st;
    av_record_t      rec;
    av_start_conf_t  c = conf_default();

    fresh(&rec, "x1", "447981897555");

    av_start_init(&st, &rec, &c, "192.0.2.7");
    CHECK_EQ_INT(st.n, 1);
    CHECK_EQ_STR(st.bucket[0].key, "p:447981897555");

    c.client.rate = 1000;
    c.prefix.rate = 1000;
    c.prefix_digits = 6;
    av_start_init(&st, &rec, &c, "192.0.2.7");
    CHECK_EQ_INT(st.n, 3);
    CHECK_EQ_STR(st.bucket[1].key, "c:192.0.2.7");
    CHECK_EQ_STR(st.bucket[2].key, "n:447981");

    /* no client address: no client bucket; a prefix longer than the number */
    c.prefix_digits = 40;
    av_start_init(&st, &rec, &c, NULL);
    CHECK_EQ_INT(st.n, 2);
    CHECK_EQ_STR(st.bucket[1].key, "n:447981897555");

    /* the longest IPv6 text fits whole */
    av_start_init(&st, &rec, &c, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
    CHECK_EQ_STR(st.bucket[1].key, "c:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
}

/* a fresh phone: allowed, the buckets to write and how long to keep them */
static void
test_first_start(void)
{
    av_start_t       st;
    av_record_t      rec;
    av_start_conf_t  c = conf_default();

    c.client.rate = 1000;               /* 1r/s burst=1: drains in 3 s */
    c.client.burst = 1;
    fresh(&rec, "x1", "15555551234");
    av_start_init(&st, &rec, &c, "127.0.0.1");

    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000000), AV_OK);
    CHECK(st.why == NULL);
    CHECK_EQ_STR(st.bucket[0].xid, "x1");
    CHECK_EQ_INT(st.bucket[0].keep_ms, 60000);      /* the pending window */
    CHECK_EQ_INT(st.bucket[1].keep_ms, 3000);
    CHECK_EQ_INT(st.bucket[0].state.last_ms, 1000000);
}

/* the duplicate rule, the xid in use, and refusals that change nothing */
static void
test_refusals(void)
{
    av_start_t       st;
    av_record_t      rec, last;
    av_start_conf_t  c = conf_default();
    av_rate_t        before;

    fresh(&rec, "x2", "15555551234");
    fresh(&last, "x1", "15555551234");

    av_start_init(&st, &rec, &c, NULL);
    st.bucket[0].found = 1;
    strcpy(st.bucket[0].xid, "x1");
    st.have_last = 1;
    st.last = last;
    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000000 + 5000),
                 AV_ERR_DUPLICATE);
    CHECK_EQ_STR(st.bucket[0].xid, "x1");

    /* past the pending window the phone may start again */
    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000000 + 61000), AV_OK);

    /* a verified last one is no duplicate at all */
    av_start_init(&st, &rec, &c, NULL);
    st.have_last = 1;
    st.last = last;
    av_record_apply(&st.last, 1800, 0, 1000100);
    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000200), AV_OK);

    av_start_init(&st, &rec, &c, NULL);
    st.xid_taken = 1;
    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000000), AV_ERR_XID_IN_USE);

    /* a prefix over its rate: no bucket is written back, the phone's stays */
    c.prefix.rate = 100;
    c.prefix.burst = 0;
    c.prefix_digits = 4;
    av_start_init(&st, &rec, &c, NULL);
    st.bucket[1].found = 1;
    st.bucket[1].state.last_ms = 1000000;
    st.bucket[1].state.excess = 0;
    before = st.bucket[0].state;
    CHECK_EQ_INT(av_start_decide(&st, &rec, &c, 1000000), AV_ERR_RATE_LIMITED);
    CHECK_EQ_STR(st.why, "number prefix over its rate");
    CHECK(memcmp(&st.bucket[0].state, &before, sizeof(before)) == 0);
    CHECK_EQ_INT(st.bucket[0].xid[0], '\0');
}

/* the phone's rate over time: 1r/s burst=1 lets two through, then one a
 * second, whatever the store did in between */
static void
test_rate_over_time(void)
{
    av_start_t       st;
    av_record_t      rec;
    av_start_conf_t  c = conf_default();
    av_rate_t        kept;
    int              i, ok;
    int64_t          t;

    c.phone.rate = 1000;
    c.phone.burst = 1;
    c.pending_ms = 0;
    memset(&kept, 0, sizeof(kept));
    ok = 0;

    for (i = 0, t = 1000000; i < 50; i++, t += 20) {     /* 1 s of requests */
        fresh(&rec, "x", "15555551234");
        av_start_init(&st, &rec, &c, NULL);
        st.bucket[0].found = (i > 0);
        st.bucket[0].state = kept;
        if (av_start_decide(&st, &rec, &c, t) == AV_OK) {
            kept = st.bucket[0].state;
            ok++;
        }
    }

    CHECK_EQ_INT(ok, 2);
}

int
main(void)
{
    RUN(test_keys);
    RUN(test_first_start);
    RUN(test_refusals);
    RUN(test_rate_over_time);
    return UNIT_DONE();
}
