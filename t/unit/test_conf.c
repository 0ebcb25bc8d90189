/*
 * test_conf.c: the rules for the directive values both servers take
 * (av_conf.h): syntax, bounds and the words of each refusal.
 */
#include "unit.h"
#include "av_conf.h"
#include "av_defaults.h"

#include <string.h>

#define S(lit)  lit, sizeof(lit) - 1

/* the refusal of value v by a rule, with the value filled in */
static const char *
said(const char *msg, const char *v)
{
    static char  buf[AV_CONF_MESSAGE_MAX];

    if (msg == NULL) {
        return "(accepted)";
    }

    av_conf_message(buf, sizeof(buf), msg, v, strlen(v));
    return buf;
}


/* limit_req's rate syntax, in requests per 1000 s */
static void
test_rate(void)
{
    uint32_t  r;

    r = 0;
    CHECK(av_conf_rate(S("6r/m"), &r) == NULL);
    CHECK_EQ_INT(r, 100);
    CHECK(av_conf_rate(S("1r/s"), &r) == NULL);
    CHECK_EQ_INT(r, 1000);
    CHECK(av_conf_rate(S("1r/m"), &r) == NULL);
    CHECK_EQ_INT(r, 16);                /* rounded down, never to 0 */
    CHECK(av_conf_rate(S("1000000r/s"), &r) == NULL);
    CHECK_EQ_INT(r, 1000000000);
    CHECK(av_conf_rate(S("1000000r/m"), &r) == NULL);
    CHECK_EQ_INT(r, 16666666);
    CHECK(av_conf_rate(S("06r/m"), &r) == NULL);
    CHECK_EQ_INT(r, 100);

    /* a refusal leaves the value alone */
    r = 7;
    CHECK(av_conf_rate(S("1000001r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("99999999999999999999r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("0r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("-1r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("+1r/s"), &r) != NULL);
    CHECK(av_conf_rate(S(" 1r/s"), &r) != NULL);
    CHECK(av_conf_rate(S("6r/h"), &r) != NULL);
    CHECK(av_conf_rate(S("6r/mm"), &r) != NULL);
    CHECK(av_conf_rate(S("6R/m"), &r) != NULL);
    CHECK(av_conf_rate(S("6"), &r) != NULL);
    CHECK(av_conf_rate(S("6r"), &r) != NULL);
    CHECK(av_conf_rate(S("fast"), &r) != NULL);
    CHECK(av_conf_rate(S(""), &r) != NULL);
    CHECK_EQ_INT(r, 7);

    /* the length counts: a prefix of a longer string is judged alone */
    CHECK(av_conf_rate("6r/mX", 4, &r) == NULL);
    CHECK_EQ_INT(r, 100);

    CHECK_EQ_STR(said(av_conf_rate(S("0r/s"), &r), "0r/s"),
                 "invalid rate \"0r/s\": expected Nr/s or Nr/m, "
                 "N from 1 to 1000000");
}


/* the counts: digits only, within their bounds */
static void
test_counts(void)
{
    unsigned  n;

    CHECK(av_conf_burst(S("0"), &n) == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK(av_conf_burst(S("1000"), &n) == NULL);
    CHECK_EQ_INT(n, 1000);
    CHECK(av_conf_burst(S("003"), &n) == NULL);
    CHECK_EQ_INT(n, 3);
    n = 5;
    CHECK(av_conf_burst(S("1001"), &n) != NULL);
    CHECK(av_conf_burst(S("-1"), &n) != NULL);
    CHECK(av_conf_burst(S("+3"), &n) != NULL);
    CHECK(av_conf_burst(S(" 3"), &n) != NULL);
    CHECK(av_conf_burst(S("3 "), &n) != NULL);
    CHECK(av_conf_burst(S("3x"), &n) != NULL);
    CHECK(av_conf_burst(S(""), &n) != NULL);
    CHECK(av_conf_burst(S("18446744073709551617"), &n) != NULL);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_STR(said(av_conf_burst(S("-1"), &n), "-1"),
                 "invalid burst \"-1\": expected a number from 0 to 1000");

    CHECK(av_conf_limit_burst(S("100000"), &n) == NULL);
    CHECK_EQ_INT(n, 100000);
    CHECK(av_conf_limit_burst(S("0"), &n) == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK(av_conf_limit_burst(S("100001"), &n) != NULL);
    CHECK_EQ_STR(said(av_conf_limit_burst(S("-1"), &n), "-1"),
                 "invalid burst \"-1\": expected a number from 0 to 100000");

    CHECK(av_conf_attempts(S("1"), &n) == NULL);
    CHECK_EQ_INT(n, 1);
    CHECK(av_conf_attempts(S("10"), &n) == NULL);
    CHECK_EQ_INT(n, 10);
    CHECK(av_conf_attempts(S("0"), &n) != NULL);
    CHECK(av_conf_attempts(S("11"), &n) != NULL);
    CHECK(av_conf_attempts(S("three"), &n) != NULL);
    CHECK_EQ_STR(said(av_conf_attempts(S("0"), &n), "0"),
                 "invalid attempts \"0\": expected a number from 1 to 10");

    CHECK(av_conf_max_calls(S("1"), &n) == NULL);
    CHECK_EQ_INT(n, 1);
    CHECK(av_conf_max_calls(S("10000"), &n) == NULL);
    CHECK_EQ_INT(n, 10000);
    CHECK(av_conf_max_calls(S("0"), &n) != NULL);
    CHECK(av_conf_max_calls(S("10001"), &n) != NULL);
    CHECK_EQ_STR(said(av_conf_max_calls(S("x"), &n), "x"),
                 "invalid calls \"x\": expected a number from 1 to 10000");

    CHECK(av_conf_prefix_digits(S("2"), &n) == NULL);
    CHECK_EQ_INT(n, 2);
    CHECK(av_conf_prefix_digits(S("15"), &n) == NULL);
    CHECK_EQ_INT(n, 15);
    CHECK(av_conf_prefix_digits(S("1"), &n) != NULL);
    CHECK(av_conf_prefix_digits(S("16"), &n) != NULL);
    CHECK_EQ_STR(said(av_conf_prefix_digits(S("16"), &n), "16"),
                 "invalid digits \"16\": expected a number from 2 to 15");
}


/* the time syntax, through the lookup interval (in ms, from 0) */
static void
test_time_syntax(void)
{
    int64_t  ms;

    CHECK(av_conf_lookup_interval(S("3"), &ms) == NULL);
    CHECK_EQ_INT(ms, 3000);             /* a bare number is seconds */
    CHECK(av_conf_lookup_interval(S("0"), &ms) == NULL);
    CHECK_EQ_INT(ms, 0);
    CHECK(av_conf_lookup_interval(S("500ms"), &ms) == NULL);
    CHECK_EQ_INT(ms, 500);
    CHECK(av_conf_lookup_interval(S("3s"), &ms) == NULL);
    CHECK_EQ_INT(ms, 3000);
    CHECK(av_conf_lookup_interval(S("2m"), &ms) == NULL);
    CHECK_EQ_INT(ms, 120000);
    CHECK(av_conf_lookup_interval(S("1h"), &ms) == NULL);
    CHECK_EQ_INT(ms, 3600000);
    CHECK(av_conf_lookup_interval(S("1d"), &ms) == NULL);
    CHECK_EQ_INT(ms, 86400000);
    CHECK(av_conf_lookup_interval(S("1d2h3m4s5ms"), &ms) == NULL);
    CHECK_EQ_INT(ms, 86400000 + 2 * 3600000 + 3 * 60000 + 4000 + 5);
    CHECK(av_conf_lookup_interval(S("1m30s"), &ms) == NULL);
    CHECK_EQ_INT(ms, 90000);
    CHECK(av_conf_lookup_interval(S("90s"), &ms) == NULL);
    CHECK_EQ_INT(ms, 90000);
    CHECK(av_conf_lookup_interval(S("30d"), &ms) == NULL);
    CHECK_EQ_INT(ms, (int64_t) AV_TIME_MAX * 1000);
    CHECK(av_conf_lookup_interval(S("2592000s"), &ms) == NULL);

    /* a Redis round's timeout: 1ms to 1m, both servers */
    CHECK(av_conf_value(&av_conf_redis_timeout_rule, S("500ms"), &ms)
          == NULL);
    CHECK_EQ_INT(ms, 500);
    CHECK(av_conf_value(&av_conf_redis_timeout_rule, S("1m"), &ms) == NULL);
    CHECK_EQ_INT(ms, 60000);
    CHECK(av_conf_value(&av_conf_redis_timeout_rule, S("1ms"), &ms) == NULL);
    CHECK_EQ_INT(ms, 1);
    CHECK(av_conf_value(&av_conf_redis_timeout_rule, S("0"), &ms) != NULL);
    CHECK(av_conf_value(&av_conf_redis_timeout_rule, S("60001ms"), &ms)
          != NULL);

    ms = 42;
    CHECK(av_conf_lookup_interval(S("2592000001ms"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("31d"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("29d24h1s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("99999999999999999999d"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S(""), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("-1s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1.5s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1 s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1h 30m"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("5x"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1w"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1S"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("30m1h"), &ms) != NULL);  /* order */
    CHECK(av_conf_lookup_interval(S("1m1m"), &ms) != NULL);   /* twice */
    CHECK(av_conf_lookup_interval(S("1h30"), &ms) != NULL);   /* no unit */
    CHECK(av_conf_lookup_interval(S("1ms1s"), &ms) != NULL);
    CHECK(av_conf_lookup_interval(S("1mss"), &ms) != NULL);
    CHECK_EQ_INT(ms, 42);

    CHECK_EQ_STR(said(av_conf_lookup_interval(S("soon"), &ms), "soon"),
                 "invalid lookup interval \"soon\": expected a time from 0 "
                 "to 30d (500ms, 3s, 1m)");
}


/* the times kept in whole seconds, each with its lower bound */
static void
test_seconds(void)
{
    int64_t  s;

    CHECK(av_conf_ttl(S("12h"), &s) == NULL);
    CHECK_EQ_INT(s, 43200);
    CHECK(av_conf_ttl(S("1"), &s) == NULL);
    CHECK_EQ_INT(s, 1);
    CHECK(av_conf_ttl(S("1000ms"), &s) == NULL);
    CHECK_EQ_INT(s, 1);
    CHECK(av_conf_ttl(S("30d"), &s) == NULL);
    CHECK_EQ_INT(s, AV_TIME_MAX);
    s = 9;
    CHECK(av_conf_ttl(S("0"), &s) != NULL);
    CHECK(av_conf_ttl(S("0s"), &s) != NULL);
    CHECK(av_conf_ttl(S("500ms"), &s) != NULL);
    CHECK(av_conf_ttl(S("1s500ms"), &s) != NULL);  /* not whole seconds */
    CHECK(av_conf_ttl(S("30d1s"), &s) != NULL);
    CHECK(av_conf_ttl(S("forever"), &s) != NULL);
    CHECK_EQ_INT(s, 9);
    CHECK_EQ_STR(said(av_conf_ttl(S("0"), &s), "0"),
                 "invalid ttl \"0\": expected whole seconds from 1s to 30d "
                 "(30m, 12h)");

    CHECK(av_conf_token_lifetime(S("30s"), &s) == NULL);
    CHECK_EQ_INT(s, 30);
    CHECK(av_conf_token_lifetime(S("0s"), &s) != NULL);
    CHECK(av_conf_token_lifetime(S("31d"), &s) != NULL);
    CHECK_EQ_STR(said(av_conf_token_lifetime(S("0s"), &s), "0s"),
                 "invalid token lifetime \"0s\": expected whole seconds "
                 "from 1s to 30d (30s, 5m)");

    CHECK(av_conf_session_lifetime(S("12h"), &s) == NULL);
    CHECK_EQ_INT(s, 43200);
    CHECK(av_conf_session_lifetime(S("0"), &s) != NULL);
    CHECK(av_conf_session_lifetime(S("2592001"), &s) != NULL);
    CHECK_EQ_STR(said(av_conf_session_lifetime(S("0"), &s), "0"),
                 "invalid session lifetime \"0\": expected whole seconds "
                 "from 1s to 30d (1h, 12h)");

    /* 0 turns the duplicate rule off */
    CHECK(av_conf_pending_timeout(S("0"), &s) == NULL);
    CHECK_EQ_INT(s, 0);
    CHECK(av_conf_pending_timeout(S("0s"), &s) == NULL);
    CHECK_EQ_INT(s, 0);
    CHECK(av_conf_pending_timeout(S("60s"), &s) == NULL);
    CHECK_EQ_INT(s, 60);
    CHECK(av_conf_pending_timeout(S("2592000"), &s) == NULL);
    CHECK(av_conf_pending_timeout(S("2592001"), &s) != NULL);
    CHECK(av_conf_pending_timeout(S("100ms"), &s) != NULL);
    CHECK_EQ_STR(said(av_conf_pending_timeout(S("-1"), &s), "-1"),
                 "invalid pending timeout \"-1\": expected whole seconds "
                 "from 0 to 30d (0, 60s)");

    CHECK(av_conf_timeout(S("5"), &s) == NULL);
    CHECK_EQ_INT(s, 5);
    CHECK(av_conf_timeout(S("1m"), &s) == NULL);
    CHECK_EQ_INT(s, 60);
    CHECK(av_conf_timeout(S("0"), &s) != NULL);
    CHECK_EQ_STR(said(av_conf_timeout(S("0"), &s), "0"),
                 "invalid timeout \"0\": expected whole seconds from 1s to "
                 "30d (5s, 1m)");
}


/* a callback's largest body: bytes, k or m, up to the parser's limit */
static void
test_max_body(void)
{
    size_t  n;

    CHECK(av_conf_max_body(S("512"), &n) == NULL);
    CHECK_EQ_INT(n, 512);
    CHECK(av_conf_max_body(S("1"), &n) == NULL);
    CHECK_EQ_INT(n, 1);
    CHECK(av_conf_max_body(S("16k"), &n) == NULL);
    CHECK_EQ_INT(n, 16384);
    CHECK(av_conf_max_body(S("4K"), &n) == NULL);
    CHECK_EQ_INT(n, 4096);
    CHECK(av_conf_max_body(S("16384"), &n) == NULL);
    CHECK_EQ_INT(n, AV_MAX_BODY_MAX);

    n = 3;
    CHECK(av_conf_max_body(S("16385"), &n) != NULL);
    CHECK(av_conf_max_body(S("17k"), &n) != NULL);
    CHECK(av_conf_max_body(S("1m"), &n) != NULL);
    CHECK(av_conf_max_body(S("1M"), &n) != NULL);
    CHECK(av_conf_max_body(S("0"), &n) != NULL);
    CHECK(av_conf_max_body(S("0k"), &n) != NULL);
    CHECK(av_conf_max_body(S("k"), &n) != NULL);
    CHECK(av_conf_max_body(S("1x"), &n) != NULL);
    CHECK(av_conf_max_body(S("1kk"), &n) != NULL);
    CHECK(av_conf_max_body(S("-1"), &n) != NULL);
    CHECK(av_conf_max_body(S("99999999999999999999k"), &n) != NULL);
    CHECK(av_conf_max_body(S(""), &n) != NULL);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(said(av_conf_max_body(S("1x"), &n), "1x"),
                 "invalid max body \"1x\": expected a size from 1 to 16k "
                 "(512, 16k)");
}


/* a country calling code ITU assigned, as a whole */
static void
test_country(void)
{
    unsigned  c;

    CHECK(av_conf_country(S("44"), &c) == NULL);
    CHECK_EQ_INT(c, 44);
    CHECK(av_conf_country(S("1"), &c) == NULL);
    CHECK_EQ_INT(c, 1);
    CHECK(av_conf_country(S("358"), &c) == NULL);
    CHECK_EQ_INT(c, 358);

    c = 0;
    CHECK(av_conf_country(S("4"), &c) != NULL);       /* not a code */
    CHECK(av_conf_country(S("0044"), &c) != NULL);
    CHECK(av_conf_country(S("044"), &c) != NULL);
    CHECK(av_conf_country(S("4a"), &c) != NULL);
    CHECK(av_conf_country(S("+44"), &c) != NULL);
    CHECK(av_conf_country(S("1000"), &c) != NULL);
    CHECK(av_conf_country(S("447"), &c) != NULL);     /* 44 and a digit */
    CHECK(av_conf_country(S(""), &c) != NULL);
    CHECK_EQ_INT(c, 0);
    CHECK_EQ_STR(said(av_conf_country(S("4"), &c), "4"),
                 "\"4\" is not a country calling code");
}


static void
test_customer_id(void)
{
    CHECK(av_conf_customer_id(S("FFFFFFFF-EEEE-DDDD-1234-AB1234567890"))
          == NULL);
    CHECK(av_conf_customer_id(S("a_b")) == NULL);
    CHECK(av_conf_customer_id(S("bad id")) != NULL);
    CHECK(av_conf_customer_id(S("")) != NULL);
    CHECK(av_conf_customer_id(S("x\"y")) != NULL);
    CHECK_EQ_STR(said(av_conf_customer_id(S("bad id")), "bad id"),
                 "invalid customer id \"bad id\": expected 1 to 64 of "
                 "A-Z a-z 0-9 - _");
}


/* a limit says at least its rate, a prefix limit also its digits */
static void
test_limit_complete(void)
{
    CHECK(av_conf_limit_complete(0, 100, 0) == NULL);
    CHECK(av_conf_limit_complete(1, 100, 8) == NULL);
    CHECK_EQ_STR(said(av_conf_limit_complete(0, 0, 0),
                      "appverify_client_limit"),
                 "appverify_client_limit needs rate=");
    CHECK_EQ_STR(said(av_conf_limit_complete(1, 100, 0),
                      "AppVerifyPrefixLimit"),
                 "AppVerifyPrefixLimit needs rate= and digits=");
    CHECK_EQ_STR(said(av_conf_limit_complete(1, 0, 8),
                      "AppVerifyPrefixLimit"),
                 "AppVerifyPrefixLimit needs rate= and digits=");
}


/* the message: the value where "%s" was, cut when long, never overrun */
static void
test_message(void)
{
    char         buf[AV_CONF_MESSAGE_MAX], small[8];
    char         longv[300];
    size_t       n;
    int64_t      sec;
    unsigned     c;
    const char  *msg;

    msg = av_conf_country(S("4"), &c);
    CHECK(msg != NULL);
    if (msg == NULL) {
        return;
    }

    /* a "%" in the value is only a character */
    n = av_conf_message(buf, sizeof(buf), msg, S("%s%n"));
    CHECK_EQ_MEM(buf, n, "\"%s%n\" is not a country calling code");
    CHECK_EQ_INT(strlen(buf), n);

    /* the value as (ptr, len): what follows it is not shown */
    n = av_conf_message(buf, sizeof(buf), msg, "44abc", 2);
    CHECK_EQ_STR(buf, "\"44\" is not a country calling code");

    memset(longv, 'x', sizeof(longv));
    n = av_conf_message(buf, sizeof(buf), msg, longv, sizeof(longv));
    CHECK_EQ_INT(n, 1 + AV_CONF_VALUE_SHOWN + 3 + strlen(msg) - 3);
    CHECK(memcmp(buf + 1 + AV_CONF_VALUE_SHOWN, "...\"", 4) == 0);

    /* the longest message with the longest value fits the documented max */
    msg = av_conf_session_lifetime(S("x"), &sec);
    CHECK(msg != NULL);
    if (msg == NULL) {
        return;
    }
    n = av_conf_message(buf, sizeof(buf), msg, longv, sizeof(longv));
    CHECK(n < AV_CONF_MESSAGE_MAX - 1);

    /* a small buffer holds a cut message, NUL-terminated */
    n = av_conf_message(small, sizeof(small), "abc%sdef", S("12345"));
    CHECK_EQ_INT(n, 7);
    CHECK_EQ_STR(small, "abc1234");

    CHECK_EQ_INT(av_conf_message(small, 0, "abc", S("")), 0);
}


/*
 * The rules as data (av_conf_value), which the servers' one setter each
 * calls: each table entry answers what its named rule answers, in the
 * unit its kind says, with the same words.
 */
static void
test_value_table(void)
{
    int64_t  v;

    /* the kinds: what *out counts */
    CHECK_EQ_INT(av_conf_token_lifetime_rule.kind, AV_CONF_SECONDS);
    CHECK_EQ_INT(av_conf_lookup_interval_rule.kind, AV_CONF_MSEC);
    CHECK_EQ_INT(av_conf_max_body_rule.kind, AV_CONF_SIZE);
    CHECK_EQ_INT(av_conf_rate_rule.kind, AV_CONF_RATE);
    CHECK_EQ_INT(av_conf_attempts_rule.kind, AV_CONF_COUNT);

    v = -1;
    CHECK(av_conf_value(&av_conf_token_lifetime_rule, S("5m"), &v) == NULL);
    CHECK_EQ_INT(v, 300);
    CHECK(av_conf_value(&av_conf_lookup_interval_rule, S("1s500ms"), &v)
          == NULL);
    CHECK_EQ_INT(v, 1500);
    CHECK(av_conf_value(&av_conf_max_body_rule, S("16k"), &v) == NULL);
    CHECK_EQ_INT(v, 16384);
    CHECK(av_conf_value(&av_conf_rate_rule, S("6r/m"), &v) == NULL);
    CHECK_EQ_INT(v, 100);
    CHECK(av_conf_value(&av_conf_burst_rule, S("0"), &v) == NULL);
    CHECK_EQ_INT(v, 0);
    CHECK(av_conf_value(&av_conf_pending_timeout_rule, S("0"), &v) == NULL);
    CHECK_EQ_INT(v, 0);

    /* the bounds of each kind, and a refusal leaves *out alone */
    v = 7;
    CHECK(av_conf_value(&av_conf_ttl_rule, S("0"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_ttl_rule, S("31d"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_ttl_rule, S("500ms"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_lookup_interval_rule, S("31d"), &v)
          != NULL);
    CHECK(av_conf_value(&av_conf_max_body_rule, S("0"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_max_body_rule, S("16385"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_max_body_rule, S("1m"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_attempts_rule, S("0"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_max_calls_rule, S("10001"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_prefix_digits_rule, S("x"), &v) != NULL);
    CHECK(av_conf_value(&av_conf_rate_rule, S("0r/s"), &v) != NULL);
    CHECK_EQ_INT(v, 7);

    /* the same words as the named rules, which are the table's entries */
    CHECK_EQ_STR(said(av_conf_value(&av_conf_max_calls_rule, S("0"), &v),
                      "0"),
                 "invalid calls \"0\": expected a number from 1 to 10000");
    CHECK_EQ_STR(said(av_conf_value(&av_conf_timeout_rule, S("0"), &v), "0"),
                 "invalid timeout \"0\": expected whole seconds from 1s "
                 "to 30d (5s, 1m)");
    CHECK(av_conf_value(&av_conf_burst_rule, S("x"), &v)
          == av_conf_burst(S("x"), &(unsigned) { 0 }));
}


/*
 * NAME=VALUE parameters: matched by name among those allowed before the
 * value is judged, so a parameter this use does not take is "invalid
 * parameter" whatever its value (nginx's handler directives, both
 * servers' limits).
 */
static void
test_params(void)
{
    const char     *why;
    av_conf_arg_t   arg;

    static const av_conf_param_t  params[] = {
        { "zone=", NULL },
        { "rate=", &av_conf_rate_rule },
        { "attempts=", &av_conf_attempts_rule },
        { NULL, NULL }
    };

    CHECK(av_conf_param(params, 0x7, S("zone=av"), &arg) == NULL);
    CHECK_EQ_INT(arg.index, 0);
    CHECK_EQ_MEM(arg.value, arg.len, "av");

    /* a value without a rule is the server's to judge, empty or not */
    CHECK(av_conf_param(params, 0x7, S("zone="), &arg) == NULL);
    CHECK_EQ_INT(arg.len, 0);

    CHECK(av_conf_param(params, 0x7, S("rate=6r/m"), &arg) == NULL);
    CHECK_EQ_INT(arg.index, 1);
    CHECK_EQ_INT(arg.v, 100);

    why = av_conf_param(params, 0x7, S("rate=6r/h"), &arg);
    CHECK(why == av_conf_rate_rule.msg);
    CHECK_EQ_MEM(arg.value, arg.len, "6r/h");

    /* not allowed here, unknown, or without its '=': whatever the value */
    CHECK(av_conf_param(params, 0x1, S("rate=6r/h"), &arg)
          == av_conf_unknown_param);
    CHECK(av_conf_param(params, 0x3, S("attempts=3"), &arg)
          == av_conf_unknown_param);
    CHECK(av_conf_param(params, 0x7, S("colour=red"), &arg)
          == av_conf_unknown_param);
    CHECK(av_conf_param(params, 0x7, S("zone"), &arg)
          == av_conf_unknown_param);
    CHECK(av_conf_param(params, 0x7, S("Zone=av"), &arg)
          == av_conf_unknown_param);
    CHECK(av_conf_param(params, 0x7, S(""), &arg) == av_conf_unknown_param);
    CHECK_EQ_STR(said(av_conf_unknown_param, "colour=red"),
                 "invalid parameter \"colour=red\"");
}


/* the toll-fraud limits' parameters, the same on both servers */
static void
test_limit_params(void)
{
    av_conf_arg_t    arg;
    av_conf_limit_t  l;

    memset(&l, 0, sizeof(l));
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_PREFIX, S("digits=8"), &arg)
          == NULL);
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_PREFIX, S("rate=1r/s"), &arg)
          == NULL);
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_PREFIX, S("burst=5"), &arg)
          == NULL);
    CHECK_EQ_INT(l.digits, 8);
    CHECK_EQ_INT(l.rate, 1000);
    CHECK_EQ_INT(l.burst, 5);
    CHECK(av_conf_limit_complete(1, l.rate, l.digits) == NULL);

    /* a client limit has no digits= */
    memset(&l, 0, sizeof(l));
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_CLIENT, S("digits=8"), &arg)
          == av_conf_unknown_param);
    CHECK_EQ_INT(l.digits, 0);

    /* the limits' burst bound, not the endpoints' */
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_CLIENT, S("burst=1001"),
                              &arg) == NULL);
    CHECK_EQ_INT(l.burst, 1001);
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_CLIENT, S("burst=100001"),
                              &arg)
          == av_conf_limit_burst_rule.msg);
    CHECK_EQ_MEM(arg.value, arg.len, "100001");
    CHECK_EQ_INT(l.burst, 1001);
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_PREFIX, S("digits=0"), &arg)
          == av_conf_prefix_digits_rule.msg);
    CHECK(av_conf_limit_param(&l, AV_CONF_LIMIT_CLIENT, S("off"), &arg)
          == av_conf_unknown_param);
}


/* What each kind of location needs configured, on both servers. */
static void
test_needs(void)
{
    const unsigned  all = AV_NEED_SESSION_KEY | AV_NEED_API_KEY
                          | AV_NEED_CUSTOMER_ID;

    CHECK_EQ_INT(av_conf_needs(AV_EP_TOKEN, 1, 0), all);
    CHECK_EQ_INT(av_conf_needs(AV_EP_CALL, 1, 1), all);
    CHECK_EQ_INT(av_conf_needs(AV_EP_FINALIZE, 1, 1), all);
    CHECK_EQ_INT(av_conf_needs(AV_EP_CALLBACK, 1, 0), AV_NEED_API_KEY);
    CHECK_EQ_INT(av_conf_needs(AV_EP_CALLBACK, 0, 0), 0);

    /* the gate and status check credentials; asking Telesign needs more */
    CHECK_EQ_INT(av_conf_needs(AV_EP_GATE, 1, 0), AV_NEED_SESSION_KEY);
    CHECK_EQ_INT(av_conf_needs(AV_EP_STATUS, 1, 0), AV_NEED_SESSION_KEY);
    CHECK_EQ_INT(av_conf_needs(AV_EP_GATE, 1, 1), all);
    CHECK_EQ_INT(av_conf_needs(AV_EP_STATUS, 0, 1), all);
}


/* on and off, as both servers' own flags take them */
static void
test_flag(void)
{
    CHECK_EQ_INT(av_conf_flag(S("on")), 1);
    CHECK_EQ_INT(av_conf_flag(S("ON")), 1);
    CHECK_EQ_INT(av_conf_flag(S("off")), 0);
    CHECK_EQ_INT(av_conf_flag(S("Off")), 0);
    CHECK_EQ_INT(av_conf_flag(S("of")), -1);
    CHECK_EQ_INT(av_conf_flag(S("offf")), -1);
    CHECK_EQ_INT(av_conf_flag(S("1")), -1);
    CHECK_EQ_INT(av_conf_flag(S("")), -1);
}


int
main(void)
{
    RUN(test_rate);
    RUN(test_counts);
    RUN(test_time_syntax);
    RUN(test_seconds);
    RUN(test_max_body);
    RUN(test_country);
    RUN(test_customer_id);
    RUN(test_limit_complete);
    RUN(test_message);
    RUN(test_value_table);
    RUN(test_params);
    RUN(test_limit_params);
    RUN(test_needs);
    RUN(test_flag);

    return UNIT_DONE();
}
