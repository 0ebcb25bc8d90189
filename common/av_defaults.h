/*
 * av_defaults.h: what an operator gets without saying, the same on both
 * servers (the directives' documented defaults in the README).
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

#endif /* AV_DEFAULTS_H */
