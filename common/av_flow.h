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
 */
#ifndef AV_FLOW_H
#define AV_FLOW_H

#include <stddef.h>
#include <stdint.h>
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

/* The configuration a flow reads: the glue fills it from its directives. */
typedef struct {
    const av_key_t   *api_key;
    const char       *customer_id;
    const av_key_t   *session_key;
    int64_t           token_lifetime;       /* s */
    int64_t           session_lifetime;     /* s */
    const unsigned   *countries;            /* allowed; NULL: any */
    size_t            ncountries;
    av_start_conf_t   start;                /* the duplicate and rate rules */
    int               signature;            /* callbacks must be signed */
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
} av_answer_t;

/* The level of an error's log line: ours at error, the client's at info. */
av_log_level_t av_err_log_level(av_err_t err);

/*
 * An error answer: the reason's JSON body and status; detail (may be
 * NULL) goes into the log line only, never to the client.
 */
void av_answer_error(av_answer_t *a, av_err_t err, const char *detail);

/*
 * The token endpoint: the phone from params (checked against the allowed
 * countries), the xid given or a new one, the verification started in the
 * store (duplicate, xid, rate rules), the JWT minted for the SDK and the
 * session credential issued.  json: the client asked for JSON (both in one
 * object); else the bare JWT as text/plain, what the SDK reads.
 */
void av_flow_token(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, const av_params_t *params, const char *client,
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

#endif /* AV_FLOW_H */
