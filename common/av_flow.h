/*
 * av_flow.h: the use cases, decided once for both servers.
 *
 * A glue reads the request (its fields, its body, its headers), hands them
 * to a flow with the configuration, the store and the time, and sends the
 * answer the flow returns: status, type, body, the session to set as a
 * cookie, the record for the server's variables, and the one log line with
 * its level.  No flow reads a clock, talks to the network or knows a
 * server's headers.
 *
 *   av_flow_token     the SDK's JWT and the session credential
 *   av_flow_callback  Telesign's signed callback: verify, parse, apply
 *   av_flow_status    the caller's record as JSON (status endpoint), or
 *                     the gate's verdict on it; with Get Status when the
 *                     record is pending or absent here
 *   av_flow_call      starts a missed call: the start rules, Telesign's
 *                     initiate, the prefix and the session
 *   av_flow_finalize  the code read off the missed call: an attempt
 *                     reserved, Telesign's finalize (and its call status
 *                     when Telesign decided already), the outcome stored
 *
 * The last three may need Telesign: they answer AV_NEXT_ASK with the
 * request built and signed in the exchange (av_exchange_t), which the
 * glue keeps with its request, sends as it is, and hands the answer to
 * av_flow_answered(); that step answers AV_NEXT_SEND, or asks again.  A
 * glue that loses its request in between (the client left, a subrequest
 * could not be made) calls av_flow_abandon(), which ends whatever the
 * exchange holds in the store: a lookup claim, an attempt, a phone's
 * place.
 */
#ifndef AV_FLOW_H
#define AV_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include "av_api.h"
#include "av_credential.h"
#include "av_error.h"
#include "av_jwt.h"
#include "av_key.h"
#include "av_params.h"
#include "av_record.h"
#include "av_start.h"
#include "av_store.h"

#define AV_ANSWER_BODY_MAX  (AV_JWT_MAX + AV_CRED_MAX + 128)
#define AV_ANSWER_LOG_MAX   256

/* The log levels a flow asks for; each glue maps them to its own. */
typedef enum {
    AV_LOG_NONE = 0,        /* nothing worth a line (debug at most) */
    AV_LOG_INFO,            /* the client's mistakes, the normal events */
    AV_LOG_WARN,
    AV_LOG_ERR              /* ours: Telesign, the store, the config */
} av_log_level_t;

/*
 * Whether an endpoint takes a request of this method with a body of len
 * bytes (-1: not known yet, as for a chunked body), before anything is
 * read: AV_ERR_METHOD_NOT_ALLOWED, AV_ERR_BODY_TOO_LARGE or AV_OK.  Token:
 * GET or POST (not HEAD: it starts a paid verification, it is no probe);
 * status: GET or HEAD; callback, call, finalize: POST.  Every body is
 * read to its end before a flow runs (no subrequest while nginx still
 * discards the client's bytes), up to av_flow_body_max(), which the glue
 * holds the body it read to.
 */
av_err_t av_flow_accepts(av_endpoint_t ep, av_method_t method, int64_t len,
    size_t max_body);

/* The largest body an endpoint reads: a callback's the operator's
 * max_body, the others' AV_PARAMS_BODY_MAX. */
size_t   av_flow_body_max(av_endpoint_t ep, size_t max_body);

/* The configuration a flow reads: the glue fills it from its directives. */
typedef struct {
    const av_key_t   *api_key;              /* signs JWTs, outbound */
    const av_key_t   *api_key_previous;     /* rotation: NULL when none */
    const char       *customer_id;
    const av_key_t   *session_key;          /* issues credentials */
    const av_key_t   *session_key_previous; /* rotation: NULL when none */
    av_cred_cache_t  *cred_cache;           /* checked credentials of this
                                               thread; NULL: none */
    int64_t           token_lifetime;       /* s */
    int64_t           session_lifetime;     /* s */
    const unsigned   *countries;            /* allowed; NULL: any */
    size_t            ncountries;
    av_start_conf_t   start;                /* the duplicate and rate rules */
    int               signature;            /* callbacks must be signed */
    int               telesign;             /* Telesign can be asked */
    int               lookup;               /* status, gate: ask Get Status */
    int64_t           lookup_interval_ms;   /* a pending xid, asked again */
    int64_t           call_timeout_ms;      /* the longest one call to
                                               Telesign takes: a Get Status
                                               claim its requester never
                                               ended runs out a second
                                               after */
    unsigned          attempts;             /* finalize: wrong codes */
    int               copy;                 /* status, gate: the store is a
                                               node's copy of a shared one
                                               (av_store_keep); with lookup
                                               0 */
} av_flow_conf_t;

/* What a flow decided; the glue sends it as it is. */
typedef struct {
    av_err_t        err;                    /* AV_OK or the reason code */
    int             status;                 /* the HTTP status */
    const char     *type;                   /* the Content-Type */
    char            body[AV_ANSWER_BODY_MAX];
    size_t          body_len;
    char            session[AV_CRED_MAX];   /* set it as the cookie when */
    size_t          session_len;            /* session_len is not 0 */
    int             have_rec;               /* rec: for the variables */
    av_record_t     rec;
    av_log_level_t  level;                  /* the one log line */
    char            log[AV_ANSWER_LOG_MAX];
    int             stale;                  /* conf->copy: the record was
                                               kept longer ago than the
                                               lookup interval; ask the
                                               shared store, this answer is
                                               for when it cannot answer */
} av_answer_t;

/* An empty answer: 200, JSON, no body, no session, nothing to log. */
void av_answer_init(av_answer_t *a);

/* The level of an error's log line: ours at error, the client's at info. */
av_log_level_t av_err_log_level(av_err_t err);

/*
 * An error answer: the reason's JSON body and status; detail (may be
 * NULL) goes into the log line only, never to the client.
 */
void av_answer_error(av_answer_t *a, av_err_t err, const char *detail);

/*
 * The answer when a glue cannot reach its store (a Redis down or stalled):
 * 503 store_unavailable, counted for ep in m (may be NULL).  An outage
 * fails every request, so one line a second of a process says so: log is
 * 1 for the request whose answer carries it (detail, at error), 0 for the
 * others, which log nothing.
 */
void av_answer_unavailable(av_answer_t *a, av_metrics_t *m, av_endpoint_t ep,
    const char *detail, int log);

/*
 * The token endpoint: the phone from params (checked against the allowed
 * countries), the xid given or a new one (kept in params: av_params_xid),
 * the verification started in the store (duplicate, xid, rate rules), the
 * JWT minted for the SDK and the session credential issued.  json: the
 * client asked for JSON (both in one object); else the bare JWT as
 * text/plain, what the SDK reads.
 */
void av_flow_token(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_params_t *params, const char *client,
    int json, int64_t now_ms);

/*
 * The callback endpoint: the signature (when conf->signature) checked
 * over the body before anything is parsed, the status document parsed
 * and applied to the store; a repeat answers the same and changes
 * nothing.  authz, xts: the Authorization and X-TS-Authorization headers
 * (NULL when absent).
 */
void av_flow_callback(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, const char *authz, size_t authz_len,
    const char *xts, size_t xts_len, const char *body, size_t len,
    int64_t now_ms);

/*
 * The same for a glue that runs the step more than once (a snapshot of a
 * shared store, av_snap.h): memo (done 0 before the first run) keeps
 * what the signature and the parse gave, so the body is checked and
 * parsed once, whatever the number of runs.
 */
typedef struct {
    int              done;
    av_err_t         rc;
    const char      *msg;                   /* static words, for the log */
    av_status_doc_t  doc;
} av_callback_memo_t;

void av_flow_callback_memo(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_callback_memo_t *memo, const char *authz,
    size_t authz_len, const char *xts, size_t xts_len, const char *body,
    size_t len, int64_t now_ms);


/* What the glue does after a step. */
typedef enum {
    AV_NEXT_SEND = 0,       /* send the answer */
    AV_NEXT_ASK             /* send x->req to Telesign, then answered() */
} av_next_t;

typedef enum {
    AV_USE_STATUS = 0,      /* the status endpoint: the record's JSON */
    AV_USE_GATE,            /* the gate: err AV_OK passes, else denied */
    AV_USE_CALL,
    AV_USE_FINALIZE
} av_use_t;

/*
 * One request's exchange with Telesign, between its steps.  The glue
 * keeps it (zeroed, or as a step left it) and reads only req; the rest is
 * the core's.
 */
typedef struct {
    av_use_t          use;
    unsigned          step;                 /* what req asks */
    char              xid[AV_XID_MAX + 1];
    int64_t           exp;                  /* the credential's expiry (s) */
    int64_t           asked_ms;             /* when req was signed */
    av_record_t       rec;
    int               have;                 /* rec holds the stored record */
    int64_t           claim;                /* a Get Status claim to end */
    int               held;                 /* a finalize attempt reserved */
    int               held_code;            /* ... for a code */
    int               placing;              /* the call's place is held */
    av_api_request_t  req;                  /* AV_NEXT_ASK: send this */
} av_exchange_t;

/*
 * The status endpoint (use AV_USE_STATUS) and the gate (AV_USE_GATE) for
 * the request's session credential (cred, len; NULL when it sent none).
 * With conf->lookup, a record that is pending or absent here is asked
 * about, once per interval of all concurrent requests for the xid on
 * every node that shares the store (av_store_lookup_begin); it fails
 * closed: when Telesign could not be asked, a record that is not
 * terminal is 503, never verified.
 *
 * The status answer is the record's JSON whatever its state, an error
 * without one.  The gate's is a->err: AV_OK to let the request in, else
 * the reason (401 no or bad credential, pending; 403 failed, blocked;
 * 503), with a->status and the error's body for a glue that renders it;
 * a->rec is the record also when refused, for the log and variables.
 */
av_next_t av_flow_status(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store, av_use_t use,
    const char *cred, size_t cred_len, int64_t now_ms);

/*
 * The gate or status endpoint on a node's copy of a shared store (the
 * records av_store_keep kept there), before the shared store is asked.
 * The copy holds no claims (Telesign is the shared store's to ask) and is
 * read with its age:
 *   AV_COPY_ANSWER  a terminal record kept less than the lookup interval
 *                   ago: a is the answer, counted in m (the shared
 *                   store's counters);
 *   AV_COPY_STALE   one kept longer ago, which may have been replaced
 *                   since (verified, then blocked): a is its answer for
 *                   when the shared store cannot answer (see below);
 *   AV_COPY_NONE    the shared store's to answer.
 * x is cleared unless the copy answered.
 */
typedef enum {
    AV_COPY_NONE = 0,
    AV_COPY_ANSWER,
    AV_COPY_STALE
} av_copy_t;

av_copy_t av_flow_status_copy(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *copy, av_metrics_t *m,
    av_use_t use, const char *cred, size_t cred_len, int64_t now_ms);

/*
 * The shared store could not answer: the copy's stale answer stands
 * instead of the 503 (a session this node keeps verified passes while the
 * shared store is down), counted in m as what it is.  The glue counts no
 * 503 for such a request.
 */
void av_flow_status_stale(av_answer_t *a, const av_answer_t *stale,
    av_metrics_t *m, av_use_t use);

/*
 * The call endpoint: the phone from params (country guard, start rules
 * as for a token), then Telesign's initiate; the answer is the caller-ID
 * prefix to show with the session credential, never Telesign's
 * verify_code.  Telesign refusing to call forgets the record.
 */
av_next_t av_flow_call(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store,
    av_params_t *params, const char *client, int64_t now_ms);

/*
 * The finalize endpoint, for the session credential: bad digits are
 * refused before an attempt is taken; one attempt is reserved before
 * Telesign is asked, so parallel codes never get more checked than
 * conf->attempts (the others: 409 attempt_in_progress); a decided
 * verification is answered again without asking.
 */
av_next_t av_flow_finalize(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store, const char *cred,
    size_t cred_len, const av_params_t *params, int64_t now_ms);

/*
 * What Telesign answered to x->req: its HTTP status (0 when none came:
 * refused, timed out, reset, too large) and body.
 */
av_next_t av_flow_answered(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store, int http_status,
    const char *body, size_t len, int64_t now_ms);

/*
 * The request ends with x still asking: ends what x holds (a lookup
 * claim; a call's place, forgotten; a finalize attempt: lost, counted as
 * a wrong code when it was one, so leaving never buys attempts).  a gets
 * the log line, AV_LOG_NONE when nothing was held.
 */
void av_flow_abandon(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store, int64_t now_ms);

#endif /* AV_FLOW_H */
