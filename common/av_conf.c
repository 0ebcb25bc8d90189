/*
 * av_conf.c: the rules for the directive values both servers take; see
 * av_conf.h.
 *
 * The parsers are written here rather than borrowed from either server
 * (ngx_parse_time, apr_strtoi64): the point is one syntax for both, and
 * each server's own parser accepts things the other refuses.
 */


#include "av_conf.h"
#include "av_defaults.h"
#include "av_key.h"
#include "av_phone.h"
#include "av_callback.h"


#define AV_STR(x)   #x
#define AV_XSTR(x)  AV_STR(x)

/* the bounds the messages spell are the ones the rules apply */
typedef char av_conf_digits_max_is_av_phone_max
    [AV_PREFIX_DIGITS_MAX == AV_PHONE_MAX ? 1 : -1];
typedef char av_conf_max_body_is_the_parser_limit
    [AV_MAX_BODY_MAX == AV_CALLBACK_BODY_MAX ? 1 : -1];


#define AV_TIME_RANGE(from)                                                  \
    "expected whole seconds from " from " to " AV_XSTR(AV_TIME_MAX_DAYS) "d"

static const char  av_conf_rate_msg[] =
    "invalid rate \"%s\": expected Nr/s or Nr/m, N from 1 to "
    AV_XSTR(AV_RATE_N_MAX);

static const char  av_conf_burst_msg[] =
    "invalid burst \"%s\": expected a number from 0 to "
    AV_XSTR(AV_BURST_MAX);

static const char  av_conf_limit_burst_msg[] =
    "invalid burst \"%s\": expected a number from 0 to "
    AV_XSTR(AV_LIMIT_BURST_MAX);

static const char  av_conf_attempts_msg[] =
    "invalid attempts \"%s\": expected a number from "
    AV_XSTR(AV_ATTEMPTS_MIN) " to " AV_XSTR(AV_ATTEMPTS_MAX);

static const char  av_conf_max_calls_msg[] =
    "invalid calls \"%s\": expected a number from "
    AV_XSTR(AV_MAX_CALLS_MIN) " to " AV_XSTR(AV_MAX_CALLS_MAX);

static const char  av_conf_digits_msg[] =
    "invalid digits \"%s\": expected a number from "
    AV_XSTR(AV_PREFIX_DIGITS_MIN) " to " AV_XSTR(AV_PREFIX_DIGITS_MAX);

static const char  av_conf_ttl_msg[] =
    "invalid ttl \"%s\": " AV_TIME_RANGE("1s") " (30m, 12h)";

static const char  av_conf_token_lifetime_msg[] =
    "invalid token lifetime \"%s\": " AV_TIME_RANGE("1s") " (30s, 5m)";

static const char  av_conf_session_lifetime_msg[] =
    "invalid session lifetime \"%s\": " AV_TIME_RANGE("1s") " (1h, 12h)";

static const char  av_conf_pending_timeout_msg[] =
    "invalid pending timeout \"%s\": " AV_TIME_RANGE("0") " (0, 60s)";

static const char  av_conf_timeout_msg[] =
    "invalid timeout \"%s\": " AV_TIME_RANGE("1s") " (5s, 1m)";

static const char  av_conf_lookup_interval_msg[] =
    "invalid lookup interval \"%s\": expected a time from 0 to "
    AV_XSTR(AV_TIME_MAX_DAYS) "d (500ms, 3s, 1m)";

static const char  av_conf_max_body_msg[] =
    "invalid max body \"%s\": expected a size from 1 to 16k (512, 16k)";

static const char  av_conf_country_msg[] =
    "\"%s\" is not a country calling code";

static const char  av_conf_customer_id_msg[] =
    "invalid customer id \"%s\": expected 1 to 64 of A-Z a-z 0-9 - _";


/*
 * Decimal digits only, the whole string.  0 when there are none or other
 * characters; *out capped just above max so that a long number is out of
 * bounds, not wrapped around.
 */
static int
av_conf_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    size_t    i;
    uint64_t  n;

    if (len == 0) {
        return 0;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        if (n <= max) {
            n = n * 10 + (uint64_t) (s[i] - '0');
        }
    }

    *out = n;

    return 1;
}


static const char *
av_conf_count(const char *s, size_t len, unsigned min, unsigned max,
    unsigned *out, const char *msg)
{
    uint64_t  n;

    if (!av_conf_number(s, len, max, &n) || n < min || n > max) {
        return msg;
    }

    *out = (unsigned) n;

    return NULL;
}


/*
 * A time in milliseconds: "30" (seconds), or "1h30m", "500ms": each of
 * d h m s ms at most once, from the largest down, as nginx writes them.
 * 0 on a syntax error; a value far out of any bound is capped above it.
 */
static int
av_conf_time(const char *s, size_t len, int64_t *ms)
{
    size_t       i, start;
    unsigned     unit, last;
    uint64_t     n, total;

    static const uint64_t  scale[] = {
        86400000, 3600000, 60000, 1000, 1        /* d h m s ms */
    };

    /* any time past AV_TIME_MAX is out of bounds whatever it is exactly */
    static const uint64_t  cap = (uint64_t) AV_TIME_MAX * 1000 + 1;

    if (len == 0) {
        return 0;
    }

    total = 0;
    last = 0;
    i = 0;

    while (i < len) {
        start = i;
        n = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n <= cap) {
                n = n * 10 + (uint64_t) (s[i] - '0');
            }

            i++;
        }

        if (i == start) {
            return 0;
        }

        if (i == len) {
            /* a bare number is seconds, and only as the whole value */
            if (start != 0) {
                return 0;
            }

            unit = 3;

        } else if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') {
            unit = 4;
            i += 2;

        } else {
            switch (s[i]) {
            case 'd': unit = 0; break;
            case 'h': unit = 1; break;
            case 'm': unit = 2; break;
            case 's': unit = 3; break;
            default:  return 0;
            }

            i++;
        }

        /* "1h30m", not "30m1h" nor "1m1m" */
        if (start != 0 && unit <= last) {
            return 0;
        }

        last = unit;

        if (n > cap) {
            n = cap;
        }

        total += n * scale[unit];

        if (total > cap) {
            total = cap;
        }
    }

    *ms = (int64_t) total;

    return 1;
}


static const char *
av_conf_seconds(const char *s, size_t len, int64_t min, int64_t *sec,
    const char *msg)
{
    int64_t  ms;

    if (!av_conf_time(s, len, &ms) || ms % 1000 != 0
        || ms / 1000 < min || ms / 1000 > AV_TIME_MAX)
    {
        return msg;
    }

    *sec = ms / 1000;

    return NULL;
}


const char *
av_conf_rate(const char *s, size_t len, uint32_t *out)
{
    size_t    i;
    uint64_t  n;

    /* limit_req's syntax: the digits, then "r/s" or "r/m", nothing else */

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* nothing */
    }

    if (len - i != 3 || s[i] != 'r' || s[i + 1] != '/'
        || (s[i + 2] != 's' && s[i + 2] != 'm')
        || !av_conf_number(s, i, AV_RATE_N_MAX, &n)
        || n == 0 || n > AV_RATE_N_MAX)
    {
        return av_conf_rate_msg;
    }

    /* per 1000 s, as limit_req counts: 1r/m is 16, the rounding keeps it
     * above zero */
    *out = (uint32_t) (s[i + 2] == 's' ? n * 1000 : n * 1000 / 60);

    return NULL;
}


const char *
av_conf_burst(const char *s, size_t len, unsigned *out)
{
    return av_conf_count(s, len, 0, AV_BURST_MAX, out, av_conf_burst_msg);
}


const char *
av_conf_limit_burst(const char *s, size_t len, unsigned *out)
{
    return av_conf_count(s, len, 0, AV_LIMIT_BURST_MAX, out,
                         av_conf_limit_burst_msg);
}


const char *
av_conf_attempts(const char *s, size_t len, unsigned *out)
{
    return av_conf_count(s, len, AV_ATTEMPTS_MIN, AV_ATTEMPTS_MAX, out,
                         av_conf_attempts_msg);
}


const char *
av_conf_max_calls(const char *s, size_t len, unsigned *out)
{
    return av_conf_count(s, len, AV_MAX_CALLS_MIN, AV_MAX_CALLS_MAX, out,
                         av_conf_max_calls_msg);
}


const char *
av_conf_prefix_digits(const char *s, size_t len, unsigned *out)
{
    return av_conf_count(s, len, AV_PREFIX_DIGITS_MIN, AV_PREFIX_DIGITS_MAX,
                         out, av_conf_digits_msg);
}


/* a record that expires as it is written, or a JWT born expired, helps
 * nobody: those times start at 1s */

const char *
av_conf_ttl(const char *s, size_t len, int64_t *sec)
{
    return av_conf_seconds(s, len, 1, sec, av_conf_ttl_msg);
}


const char *
av_conf_token_lifetime(const char *s, size_t len, int64_t *sec)
{
    return av_conf_seconds(s, len, 1, sec, av_conf_token_lifetime_msg);
}


const char *
av_conf_session_lifetime(const char *s, size_t len, int64_t *sec)
{
    return av_conf_seconds(s, len, 1, sec, av_conf_session_lifetime_msg);
}


/* 0 turns the duplicate rule off */

const char *
av_conf_pending_timeout(const char *s, size_t len, int64_t *sec)
{
    return av_conf_seconds(s, len, 0, sec, av_conf_pending_timeout_msg);
}


const char *
av_conf_timeout(const char *s, size_t len, int64_t *sec)
{
    return av_conf_seconds(s, len, 1, sec, av_conf_timeout_msg);
}


/* 0 asks again on every request that finds the xid pending */

const char *
av_conf_lookup_interval(const char *s, size_t len, int64_t *ms)
{
    int64_t  v;

    if (!av_conf_time(s, len, &v) || v > (int64_t) AV_TIME_MAX * 1000) {
        return av_conf_lookup_interval_msg;
    }

    *ms = v;

    return NULL;
}


const char *
av_conf_max_body(const char *s, size_t len, size_t *out)
{
    uint64_t  n, scale;

    scale = 1;

    if (len > 0) {
        switch (s[len - 1]) {
        case 'k': case 'K': scale = 1024; len--; break;
        case 'm': case 'M': scale = 1024 * 1024; len--; break;
        }
    }

    if (!av_conf_number(s, len, AV_MAX_BODY_MAX, &n)
        || n == 0 || n > AV_MAX_BODY_MAX / scale)
    {
        return av_conf_max_body_msg;
    }

    *out = (size_t) (n * scale);

    return NULL;
}


const char *
av_conf_country(const char *s, size_t len, unsigned *out)
{
    uint64_t  n;

    /* the whole string must be a code ITU assigned: "4" would read as a
     * prefix of 44 and 49, "0044" is a dialling prefix, not a code */

    if (len > 3 || !av_conf_number(s, len, 999, &n)
        || av_phone_country_code_len(s, len) != len)
    {
        return av_conf_country_msg;
    }

    *out = (unsigned) n;

    return NULL;
}


const char *
av_conf_customer_id(const char *s, size_t len)
{
    return av_customer_id_valid(s, len) ? NULL : av_conf_customer_id_msg;
}


const char *
av_conf_limit_complete(int prefix, uint32_t rate, unsigned digits)
{
    if (prefix && (rate == 0 || digits == 0)) {
        return "%s needs rate= and digits=";
    }

    if (rate == 0) {
        return "%s needs rate=";
    }

    return NULL;
}


size_t
av_conf_message(char *buf, size_t cap, const char *msg, const char *value,
    size_t len)
{
    size_t       n, vlen, i;
    const char  *p;

    if (cap == 0) {
        return 0;
    }

    n = 0;
    vlen = len > AV_CONF_VALUE_SHOWN ? AV_CONF_VALUE_SHOWN : len;

#define AV_PUT(c)  if (n + 1 < cap) { buf[n++] = (c); }

    for (p = msg; *p; p++) {

        if (p[0] != '%' || p[1] != 's') {
            AV_PUT(*p);
            continue;
        }

        for (i = 0; i < vlen; i++) {
            AV_PUT(value[i]);
        }

        if (vlen < len) {
            for (i = 0; i < 3; i++) {
                AV_PUT('.');
            }
        }

        p++;
    }

#undef AV_PUT

    buf[n] = '\0';

    return n;
}
