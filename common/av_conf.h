/*
 * av_conf.h: the rules for the directive values both servers take, each in
 * one place: its syntax, its bounds (av_defaults.h) and the words that
 * refuse it.  nginx's appverify_* directives and httpd's AppVerify* ones
 * call the same function for the same value, so "nginx -t" and
 * "apache2 -t" accept the same values and refuse the others alike.
 *
 * Every rule takes the value as written (s, len; no NUL needed), stores
 * it in *out and returns NULL; or leaves *out alone and returns a static
 * message with one "%s" where the value goes.  av_conf_message() fills it
 * in, and each server frames the result its own way:
 *
 *     nginx:  ngx_conf_log_error(NGX_LOG_EMERG, ..., "appverify: %s", msg)
 *     httpd:  apr_psprintf(pool, "%s: %s", cmd->cmd->name, msg)
 *
 * The syntaxes, as nginx writes them:
 *
 *     rate    Nr/s or Nr/m (limit_req's), N from 1 to AV_RATE_N_MAX
 *     number  decimal digits only: no sign, no blanks
 *     time    a bare number of seconds ("30"), or units from the largest
 *             down, each once: d h m s ms ("1h30m", "1s500ms")
 *     size    a number of bytes, or with k or m ("512", "16k")
 */
#ifndef AV_CONF_H
#define AV_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "av_metrics.h"

/*
 * The rules as data, for the directives that take one value: nginx's
 * command table points cmd->post at a rule, httpd's cmd->info at one with
 * the field's offset, and one setter on each side stores what
 * av_conf_value() read in the field's type for the rule's kind.
 */
typedef enum {
    AV_CONF_COUNT = 0,   /* a number, min to max */
    AV_CONF_SECONDS,     /* a time in whole seconds, min to max; *out s */
    AV_CONF_MSEC,        /* a time, finer allowed, min ms to max s; *out
                            ms */
    AV_CONF_SIZE,        /* bytes, or with k or m, min to max */
    AV_CONF_RATE         /* Nr/s or Nr/m, N min to max; *out per 1000 s */
} av_conf_kind_t;

typedef struct {
    av_conf_kind_t   kind;
    int64_t          min;
    int64_t          max;
    const char      *msg;          /* the refusal, "%s" for the value */
} av_conf_rule_t;

const char *av_conf_value(const av_conf_rule_t *rule, const char *s,
    size_t len, int64_t *out);

extern const av_conf_rule_t  av_conf_rate_rule;
extern const av_conf_rule_t  av_conf_burst_rule;
extern const av_conf_rule_t  av_conf_limit_burst_rule;
extern const av_conf_rule_t  av_conf_attempts_rule;
extern const av_conf_rule_t  av_conf_max_calls_rule;
extern const av_conf_rule_t  av_conf_prefix_digits_rule;
extern const av_conf_rule_t  av_conf_ttl_rule;
extern const av_conf_rule_t  av_conf_token_lifetime_rule;
extern const av_conf_rule_t  av_conf_session_lifetime_rule;
extern const av_conf_rule_t  av_conf_pending_timeout_rule;
extern const av_conf_rule_t  av_conf_timeout_rule;
extern const av_conf_rule_t  av_conf_lookup_interval_rule;
extern const av_conf_rule_t  av_conf_redis_timeout_rule;
extern const av_conf_rule_t  av_conf_max_body_rule;

/*
 * A directive's NAME=VALUE parameters, read the same way on both servers:
 * params lists every name a directive may take ("rate=", with its '='),
 * each with the rule of its value (NULL: the value as written, for the
 * server to judge: a zone's name, a URI); bit i of allowed says that
 * params[i] may stand in this use of the directive.  A parameter is
 * matched by its name before its value is judged, so one this use does
 * not take is "invalid parameter" whatever its value.
 *
 * NULL and *arg filled in; or av_conf_unknown_param (no allowed name:
 * each server words that with the whole parameter); or the rule's
 * refusal of the value (arg->value, arg->len for the message).
 */
typedef struct {
    const char            *name;
    const av_conf_rule_t  *rule;
} av_conf_param_t;

typedef struct {
    unsigned               index;      /* which of params */
    const char            *value;      /* what follows the '=' */
    size_t                 len;
    int64_t                v;          /* by the rule, when it has one */
} av_conf_arg_t;

extern const char  av_conf_unknown_param[];

const char *av_conf_param(const av_conf_param_t *params, unsigned allowed,
    const char *s, size_t len, av_conf_arg_t *arg);

/*
 * The toll-fraud limits' parameters (appverify_client_limit and
 * appverify_prefix_limit, AppVerifyClientLimit and AppVerifyPrefixLimit):
 * rate=R [burst=N], and digits=N for a prefix limit (AV_CONF_LIMIT_PREFIX
 * as allowed).  One parameter at a time into *l, zeroed first; then
 * av_conf_limit_complete().
 */
typedef struct {
    uint32_t  rate;
    unsigned  burst;
    unsigned  digits;
} av_conf_limit_t;

#define AV_CONF_LIMIT_CLIENT  0x3
#define AV_CONF_LIMIT_PREFIX  0x7

const char *av_conf_limit_param(av_conf_limit_t *l, unsigned allowed,
    const char *s, size_t len, av_conf_arg_t *arg);

/* Each rule by name, *out in the type its fields have. */

/* rate= of token and call, AppVerifyRate; rate= of the toll-fraud limits:
 * requests per 1000 s, as av_rate_take() counts */
const char *av_conf_rate(const char *s, size_t len, uint32_t *out);

/* burst= of token and call, AppVerifyBurst: 0 to AV_BURST_MAX */
const char *av_conf_burst(const char *s, size_t len, unsigned *out);

/* burst= of the client and prefix limits: 0 to AV_LIMIT_BURST_MAX */
const char *av_conf_limit_burst(const char *s, size_t len, unsigned *out);

/* attempts= of finalize, AppVerifyMaxAttempts */
const char *av_conf_attempts(const char *s, size_t len, unsigned *out);

/* httpd's AppVerifyTelesignMaxCalls: calls in flight per child */
const char *av_conf_max_calls(const char *s, size_t len, unsigned *out);

/* digits= of the prefix limit */
const char *av_conf_prefix_digits(const char *s, size_t len, unsigned *out);

/*
 * Times.  A record's ttl (appverify_zone ttl=, AppVerifyRecordTTL), the
 * lifetimes, the pending window and httpd's call timeout are whole
 * seconds (JWTs and cookies count in seconds), *out in seconds; the
 * lookup interval may be finer, *out in milliseconds.
 */
const char *av_conf_ttl(const char *s, size_t len, int64_t *sec);
const char *av_conf_token_lifetime(const char *s, size_t len, int64_t *sec);
const char *av_conf_session_lifetime(const char *s, size_t len,
    int64_t *sec);
const char *av_conf_pending_timeout(const char *s, size_t len, int64_t *sec);
const char *av_conf_timeout(const char *s, size_t len, int64_t *sec);
const char *av_conf_lookup_interval(const char *s, size_t len, int64_t *ms);

/* appverify_max_body, AppVerifyMaxBody: 1 byte to AV_MAX_BODY_MAX */
const char *av_conf_max_body(const char *s, size_t len, size_t *out);

/* one code of appverify_countries, AppVerifyCountries: a whole country
 * calling code ITU assigned ("44"; not "4", "0044" or "+44") */
const char *av_conf_country(const char *s, size_t len, unsigned *out);

/* appverify_customer_id, AppVerifyCustomerId (av_customer_id_valid) */
const char *av_conf_customer_id(const char *s, size_t len);

/*
 * A client or prefix limit with all it needs: a rate, and for a prefix
 * limit its digits.  The message's "%s" is the directive's name.
 */
const char *av_conf_limit_complete(int prefix, uint32_t rate,
    unsigned digits);

/* "on" or "off" in any case, as nginx's and httpd's own flags take them:
 * 1, 0, or -1 for anything else */
int         av_conf_flag(const char *s, size_t len);

/* what an operator who turns callback signatures off is told, at warn */
#define AV_CONF_UNSIGNED_WARNING                                            \
    "callback signatures are not checked: anyone who can reach this "       \
    "location can mark a verification as done"

/*
 * What a location needs configured, the same on both servers: by its
 * endpoint (AV_EP_GATE for a gated location), whether its callbacks are
 * signed and whether it asks Telesign.  AV_NEED_* bits; each server names
 * its own directives for the ones it lacks.
 */
#define AV_NEED_SESSION_KEY  0x01   /* credentials, issued or checked */
#define AV_NEED_API_KEY      0x02   /* JWTs, signatures, Telesign's API */
#define AV_NEED_CUSTOMER_ID  0x04   /* the JWT's iss, Telesign's user */

unsigned    av_conf_needs(av_endpoint_t ep, int signature, int telesign);

/*
 * msg with its "%s" replaced by the value (cut to AV_CONF_VALUE_SHOWN
 * bytes and "..."), NUL-terminated in buf; returns the length written.
 * A buffer of AV_CONF_MESSAGE_MAX always holds the whole message.
 */
#define AV_CONF_VALUE_SHOWN  64
#define AV_CONF_MESSAGE_MAX  256

size_t av_conf_message(char *buf, size_t cap, const char *msg,
    const char *value, size_t len);

#endif /* AV_CONF_H */
