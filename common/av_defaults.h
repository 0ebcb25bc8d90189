/*
 * av_defaults.h: what an operator gets without saying, the same on both
 * servers (the directives' documented defaults in the README), and the
 * bounds of what an operator may say (av_conf.c applies them).
 */
#ifndef AV_DEFAULTS_H
#define AV_DEFAULTS_H

/* Telesign recommends a 30 s window for the JWT */
#define AV_DEFAULT_TOKEN_LIFETIME    30                 /* seconds */
#define AV_DEFAULT_SESSION_LIFETIME  (12 * 60 * 60)

/* Telesign turns a pending SDK verification into 1803 after 30 s */
#define AV_DEFAULT_PENDING_TIMEOUT   60

/* Telesign keeps a status for 12 hours */
#define AV_DEFAULT_RECORD_TTL        (12 * 60 * 60)

/* asking Telesign about a pending xid more often helps nobody */
#define AV_DEFAULT_LOOKUP_INTERVAL   3

/*
 * 6r/m (in requests per 1000 s) with a burst of 3; a rate of one's own
 * without a burst bursts as limit_req does: not at all.
 */
#define AV_DEFAULT_RATE              100
#define AV_DEFAULT_BURST             3
#define AV_DEFAULT_BURST_OF(rate_given)  ((rate_given) ? 0 : AV_DEFAULT_BURST)

#define AV_DEFAULT_ATTEMPTS          3                  /* finalize codes */
#define AV_DEFAULT_MAX_BODY          16384              /* a callback's */

#define AV_DEFAULT_COOKIE_NAME       "appverify"
#define AV_DEFAULT_COOKIE_SAMESITE   "Lax"
#define AV_DEFAULT_COOKIE_SECURE     1

/* callbacks are signed unless the operator says otherwise, for testing */
#define AV_DEFAULT_SIGNATURE         1

/* httpd's AppVerifyLookup: Get Status when a Telesign URL is set (nginx:
 * when the location names lookup=) */
#define AV_DEFAULT_LOOKUP            1

/* httpd's AppVerifyTelesignTimeout (nginx: the proxy_* timeouts) */
#define AV_DEFAULT_TIMEOUT           5                  /* seconds */

/* nginx's proxy_read_timeout default: the longest a subrequest to Telesign
 * waits for a reply as conf/appverify_params leaves it */
#define AV_DEFAULT_PROXY_TIMEOUT     60                 /* seconds */

/* a Redis that has not answered a round in this long is down
 * (appverify_redis_timeout; AppVerifyRedis timeout=) */
#define AV_DEFAULT_REDIS_TIMEOUT_MS  1000

/* httpd's AppVerifyTelesignMaxCalls: threads of a child that may wait on
 * Telesign at once (a third of Debian's ThreadsPerChild 25); nginx waits
 * on nothing */
#define AV_DEFAULT_MAX_CALLS         8


/*
 * Bounds.  Plain numbers, so that av_conf.c can spell them in its messages
 * (a unit test holds every message to its bound).
 */

/* limit_req's own bound on N in Nr/s and Nr/m */
#define AV_RATE_N_MAX                1000000

/* a phone's burst; the toll-fraud limits count many phones per bucket */
#define AV_BURST_MAX                 1000
#define AV_LIMIT_BURST_MAX           100000

/* more than a few tries at a five-digit code is a brute-force allowance */
#define AV_ATTEMPTS_MIN              1
#define AV_ATTEMPTS_MAX              10

/* a number range: from a country code of two digits to a whole number
 * (AV_PHONE_MAX) */
#define AV_PREFIX_DIGITS_MIN         2
#define AV_PREFIX_DIGITS_MAX         15

/* calls in flight per httpd child: its threads */
#define AV_MAX_CALLS_MIN             1
#define AV_MAX_CALLS_MAX             10000

/* the callback parser's own limit (AV_CALLBACK_BODY_MAX) */
#define AV_MAX_BODY_MAX              16384

/* every time value: past a month is a mistake, not a setting */
#define AV_TIME_MAX_DAYS             30
#define AV_TIME_MAX                  (AV_TIME_MAX_DAYS * 86400)  /* seconds */

#endif /* AV_DEFAULTS_H */
