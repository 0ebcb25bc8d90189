/*
 * av_conf.c: the rules for the directive values both servers take; see
 * av_conf.h.
 *
 * The parsers are written here rather than borrowed from either server
 * (ngx_parse_time, apr_strtoi64): the point is one syntax for both, and
 * each server's own parser accepts things the other refuses.
 */


#include "av_conf.h"

#include <string.h>
#include <strings.h>

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

const av_conf_rule_t  av_conf_rate_rule = {
    AV_CONF_RATE, 1, AV_RATE_N_MAX,
    "invalid rate \"%s\": expected Nr/s or Nr/m, N from 1 to "
    AV_XSTR(AV_RATE_N_MAX)
};

const av_conf_rule_t  av_conf_burst_rule = {
    AV_CONF_COUNT, 0, AV_BURST_MAX,
    "invalid burst \"%s\": expected a number from 0 to "
    AV_XSTR(AV_BURST_MAX)
};

const av_conf_rule_t  av_conf_limit_burst_rule = {
    AV_CONF_COUNT, 0, AV_LIMIT_BURST_MAX,
    "invalid burst \"%s\": expected a number from 0 to "
    AV_XSTR(AV_LIMIT_BURST_MAX)
};

const av_conf_rule_t  av_conf_attempts_rule = {
    AV_CONF_COUNT, AV_ATTEMPTS_MIN, AV_ATTEMPTS_MAX,
    "invalid attempts \"%s\": expected a number from "
    AV_XSTR(AV_ATTEMPTS_MIN) " to " AV_XSTR(AV_ATTEMPTS_MAX)
};

const av_conf_rule_t  av_conf_max_calls_rule = {
    AV_CONF_COUNT, AV_MAX_CALLS_MIN, AV_MAX_CALLS_MAX,
    "invalid calls \"%s\": expected a number from "
    AV_XSTR(AV_MAX_CALLS_MIN) " to " AV_XSTR(AV_MAX_CALLS_MAX)
};

const av_conf_rule_t  av_conf_prefix_digits_rule = {
    AV_CONF_COUNT, AV_PREFIX_DIGITS_MIN, AV_PREFIX_DIGITS_MAX,
    "invalid digits \"%s\": expected a number from "
    AV_XSTR(AV_PREFIX_DIGITS_MIN) " to " AV_XSTR(AV_PREFIX_DIGITS_MAX)
};

/* a record that expires as it is written, or a JWT born expired, helps
 * nobody: those times start at 1s; a pending timeout of 0 turns the
 * duplicate rule off */

const av_conf_rule_t  av_conf_ttl_rule = {
    AV_CONF_SECONDS, 1, AV_TIME_MAX,
    "invalid ttl \"%s\": " AV_TIME_RANGE("1s") " (30m, 12h)"
};

const av_conf_rule_t  av_conf_token_lifetime_rule = {
    AV_CONF_SECONDS, 1, AV_TIME_MAX,
    "invalid token lifetime \"%s\": " AV_TIME_RANGE("1s") " (30s, 5m)"
};

const av_conf_rule_t  av_conf_session_lifetime_rule = {
    AV_CONF_SECONDS, 1, AV_TIME_MAX,
    "invalid session lifetime \"%s\": " AV_TIME_RANGE("1s") " (1h, 12h)"
};

const av_conf_rule_t  av_conf_pending_timeout_rule = {
    AV_CONF_SECONDS, 0, AV_TIME_MAX,
    "invalid pending timeout \"%s\": " AV_TIME_RANGE("0") " (0, 60s)"
};

const av_conf_rule_t  av_conf_timeout_rule = {
    AV_CONF_SECONDS, 1, AV_TIME_MAX,
    "invalid timeout \"%s\": " AV_TIME_RANGE("1s") " (5s, 1m)"
};

/* appverify_redis_timeout, AppVerifyRedis timeout=: a round with Redis
 * is a millisecond's work, so finer than a second; a minute at most */

const av_conf_rule_t  av_conf_redis_timeout_rule = {
    AV_CONF_MSEC, 1, 60,
    "invalid timeout \"%s\": expected a time from 1ms to 1m (500ms, 1s)"
};

/* 0 asks again on every request that finds the xid pending */

const av_conf_rule_t  av_conf_lookup_interval_rule = {
    AV_CONF_MSEC, 0, AV_TIME_MAX,
    "invalid lookup interval \"%s\": expected a time from 0 to "
    AV_XSTR(AV_TIME_MAX_DAYS) "d (500ms, 3s, 1m)"
};

const av_conf_rule_t  av_conf_max_body_rule = {
    AV_CONF_SIZE, 1, AV_MAX_BODY_MAX,
    "invalid max body \"%s\": expected a size from 1 to 16k (512, 16k)"
};

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


/* limit_req's syntax: the digits, then "r/s" or "r/m", nothing else;
 * per 1000 s, as limit_req counts */

static int
av_conf_rate_per_ks(const char *s, size_t len, uint64_t max, int64_t *out)
{
    size_t    i;
    uint64_t  n;

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* nothing */
    }

    if (len - i != 3 || s[i] != 'r' || s[i + 1] != '/'
        || (s[i + 2] != 's' && s[i + 2] != 'm')
        || !av_conf_number(s, i, max, &n)
        || n == 0 || n > max)
    {
        return 0;
    }

    /* 1r/m is 16: the rounding keeps it above zero */
    *out = (int64_t) (s[i + 2] == 's' ? n * 1000 : n * 1000 / 60);

    return 1;
}


/* bytes, or with k or m; 0 on a syntax error, capped above max */

static int
av_conf_size(const char *s, size_t len, uint64_t max, int64_t *out)
{
    uint64_t  n, scale;

    scale = 1;

    if (len > 0) {
        switch (s[len - 1]) {
        case 'k': case 'K': scale = 1024; len--; break;
        case 'm': case 'M': scale = 1024 * 1024; len--; break;
        }
    }

    if (!av_conf_number(s, len, max, &n)) {
        return 0;
    }

    *out = n > max / scale ? (int64_t) max + 1 : (int64_t) (n * scale);

    return 1;
}


const char *
av_conf_value(const av_conf_rule_t *rule, const char *s, size_t len,
    int64_t *out)
{
    int64_t   v;
    uint64_t  n;

    switch (rule->kind) {

    case AV_CONF_COUNT:
        if (!av_conf_number(s, len, (uint64_t) rule->max, &n)) {
            return rule->msg;
        }

        v = (int64_t) n;
        break;

    case AV_CONF_SECONDS:
        if (!av_conf_time(s, len, &v) || v % 1000 != 0) {
            return rule->msg;
        }

        v /= 1000;
        break;

    case AV_CONF_MSEC:
        if (!av_conf_time(s, len, &v)) {
            return rule->msg;
        }

        /* the upper bound in seconds, the lower in ms (0 or 1) */
        if (v > rule->max * 1000 || v < rule->min) {
            return rule->msg;
        }

        *out = v;
        return NULL;

    case AV_CONF_SIZE:
        if (!av_conf_size(s, len, (uint64_t) rule->max, &v)) {
            return rule->msg;
        }

        break;

    default: /* AV_CONF_RATE: the bounds are N's, from 1 */
        if (!av_conf_rate_per_ks(s, len, (uint64_t) rule->max, &v)) {
            return rule->msg;
        }

        *out = v;
        return NULL;
    }

    if (v < rule->min || v > rule->max) {
        return rule->msg;
    }

    *out = v;

    return NULL;
}


/* the rules by name, in their fields' types */

#define AV_CONF_NAMED(name, type)                                            \
    const char *                                                             \
    av_conf_##name(const char *s, size_t len, type *out)                     \
    {                                                                        \
        int64_t      v;                                                      \
        const char  *why;                                                    \
                                                                             \
        why = av_conf_value(&av_conf_##name##_rule, s, len, &v);             \
        if (why == NULL) {                                                   \
            *out = (type) v;                                                 \
        }                                                                    \
                                                                             \
        return why;                                                          \
    }

AV_CONF_NAMED(rate, uint32_t)
AV_CONF_NAMED(burst, unsigned)
AV_CONF_NAMED(limit_burst, unsigned)
AV_CONF_NAMED(attempts, unsigned)
AV_CONF_NAMED(max_calls, unsigned)
AV_CONF_NAMED(prefix_digits, unsigned)
AV_CONF_NAMED(ttl, int64_t)
AV_CONF_NAMED(token_lifetime, int64_t)
AV_CONF_NAMED(session_lifetime, int64_t)
AV_CONF_NAMED(pending_timeout, int64_t)
AV_CONF_NAMED(timeout, int64_t)
AV_CONF_NAMED(lookup_interval, int64_t)
AV_CONF_NAMED(max_body, size_t)


/* a distinct address: the servers compare the pointer */
const char  av_conf_unknown_param[] = "invalid parameter \"%s\"";


const char *
av_conf_param(const av_conf_param_t *params, unsigned allowed,
    const char *s, size_t len, av_conf_arg_t *arg)
{
    size_t    n;
    unsigned  i;

    n = 0;      /* gcc's -O1 with ASan cannot see that a match sets it */

    for (i = 0; params[i].name; i++) {
        n = strlen(params[i].name);

        if ((allowed & (1u << i)) && len >= n
            && memcmp(s, params[i].name, n) == 0)
        {
            break;
        }
    }

    if (params[i].name == NULL) {
        return av_conf_unknown_param;
    }

    arg->index = i;
    arg->value = s + n;
    arg->len = len - n;
    arg->v = 0;

    if (params[i].rule == NULL) {
        return NULL;
    }

    return av_conf_value(params[i].rule, arg->value, arg->len, &arg->v);
}


static const av_conf_param_t  av_conf_limit_params[] = {
    { "rate=", &av_conf_rate_rule },
    { "burst=", &av_conf_limit_burst_rule },
    { "digits=", &av_conf_prefix_digits_rule },
    { NULL, NULL }
};


const char *
av_conf_limit_param(av_conf_limit_t *l, unsigned allowed, const char *s,
    size_t len, av_conf_arg_t *arg)
{
    const char  *why;

    why = av_conf_param(av_conf_limit_params, allowed, s, len, arg);
    if (why) {
        return why;
    }

    switch (arg->index) {
    case 0:
        l->rate = (uint32_t) arg->v;
        break;
    case 1:
        l->burst = (unsigned) arg->v;
        break;
    default:
        l->digits = (unsigned) arg->v;
        break;
    }

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


int
av_conf_flag(const char *s, size_t len)
{
    if (len == 2 && strncasecmp(s, "on", 2) == 0) {
        return 1;
    }

    if (len == 3 && strncasecmp(s, "off", 3) == 0) {
        return 0;
    }

    return -1;
}


unsigned
av_conf_needs(av_endpoint_t ep, int signature, int telesign)
{
    unsigned  need;

    /* a callback's signature is Telesign's, with the API key; an unsigned
     * callback (testing only) needs nothing */
    if (ep == AV_EP_CALLBACK) {
        return signature ? AV_NEED_API_KEY : 0;
    }

    need = AV_NEED_SESSION_KEY;

    /* the SDK's JWT, and every call to Telesign, are signed with the API
     * key for the customer id */
    if (ep == AV_EP_TOKEN || ep == AV_EP_CALL || ep == AV_EP_FINALIZE
        || telesign)
    {
        need |= AV_NEED_API_KEY | AV_NEED_CUSTOMER_ID;
    }

    return need;
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
