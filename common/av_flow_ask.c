/*
 * av_flow_ask.c: the use cases that may ask Telesign (av_flow.h): the
 * status endpoint and the gate (Get Status), the missed call (initiate)
 * and its finalize (finalize, and the call's status when Telesign
 * decided it already).
 *
 * Each is a small state machine on av_exchange_t: the first step reads
 * the store and decides whether Telesign must be asked; av_flow_answered
 * takes Telesign's answer and decides what is stored and said.  Whatever
 * a step holds in the store (a lookup claim, an attempt, a phone's place)
 * is ended on every way out, including av_flow_abandon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "av_flow.h"
#include "av_xid.h"


enum {
    AV_STEP_NONE = 0,
    AV_STEP_LOOKUP,             /* Get Status for x->xid */
    AV_STEP_INITIATE,           /* the missed call */
    AV_STEP_FINALIZE,           /* the code, caller id or timeout */
    AV_STEP_OUTCOME             /* the call's status, after -30014 */
};


/* A second thing worth saying in the one log line, at its own level. */
typedef struct {
    av_log_level_t  level;
    char            text[128];
} av_note_t;


static void
av_note(av_note_t *n, av_log_level_t level, const char *fmt, ...)
{
    va_list  args;

    if (n->level > level) {
        return;                 /* the louder note wins */
    }

    n->level = level;

    va_start(args, fmt);
    vsnprintf(n->text, sizeof(n->text), fmt, args);
    va_end(args);
}


/*
 * Puts the note in front of a's line (what Telesign said, then what it
 * meant for the request); its level, when louder, is the line's.
 */
static void
av_answer_add_note(av_answer_t *a, const av_note_t *n)
{
    char  line[AV_ANSWER_LOG_MAX];

    if (n->level == AV_LOG_NONE) {
        return;
    }

    if (snprintf(line, sizeof(line), "%s%s%s", n->text,
                 a->log[0] ? "; " : "", a->log)
        < 0)
    {
        return;
    }

    memcpy(a->log, line, sizeof(line));     /* cut, if it must be */

    if (n->level > a->level) {
        a->level = n->level;
    }
}


static av_next_t
av_ask(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    unsigned step, int64_t now_ms)
{
    if (av_api_sign(&x->req, conf->api_key, conf->customer_id,
                    now_ms / 1000)
        != AV_OK)
    {
        return AV_NEXT_SEND;    /* the caller answers AV_ERR_INTERNAL */
    }

    x->step = step;
    x->asked_ms = now_ms;
    a->level = AV_LOG_NONE;

    return AV_NEXT_ASK;
}


/* The session credential the request sent, checked: x->xid on AV_OK. */
static av_err_t
av_exchange_session(av_exchange_t *x, const av_flow_conf_t *conf,
    const char *cred, size_t cred_len, int64_t now_ms)
{
    size_t  xid_len;

    if (cred == NULL) {
        return AV_ERR_NO_CREDENTIAL;
    }

    /* one issued before a rotation passes until it expires */
    return av_credential_check_cached(conf->cred_cache, conf->session_key,
                                      conf->session_key_previous, cred,
                                      cred_len, now_ms / 1000, x->xid,
                                      &xid_len, &x->exp);
}


static void
av_exchange_init(av_exchange_t *x, av_use_t use)
{
    x->use = use;
    x->step = AV_STEP_NONE;
    x->xid[0] = '\0';
    x->exp = 0;
    x->asked_ms = 0;
    x->have = 0;
    x->claim = 0;
    x->held = 0;
    x->held_code = 0;
    x->placing = 0;
}


/* --- status and gate --------------------------------------------------- */


static av_next_t
av_lookup_done(av_exchange_t *x, av_answer_t *a, av_err_t looked,
    const av_note_t *note)
{
    av_err_t  verdict;

    verdict = av_record_verdict(x->have ? &x->rec : NULL, looked);

    if (x->use == AV_USE_GATE) {

        if (verdict == AV_OK) {
            a->err = AV_OK;

        } else {
            av_answer_error(a, verdict, NULL);
            snprintf(a->log, sizeof(a->log), "access denied: %s: %s",
                     av_err_reason(verdict), x->xid);
        }

    } else if (!x->have || verdict == AV_ERR_UPSTREAM) {

        /* the record is the answer, whatever its state; errors without */

        av_answer_error(a, verdict, x->xid);

    } else {
        a->body_len = av_record_json(&x->rec, a->body, sizeof(a->body));

        if (a->body_len == 0) {
            av_answer_error(a, AV_ERR_INTERNAL, "record json");
        }
    }

    if (x->have) {
        a->have_rec = 1;
        a->rec = x->rec;
    }

    av_answer_add_note(a, note);

    return AV_NEXT_SEND;
}


static av_next_t
av_status_first(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_use_t use, const char *cred,
    size_t cred_len, int64_t now_ms)
{
    int        have, fresh;
    av_err_t   rc;
    av_next_t  next;
    av_note_t  note;

    av_answer_init(a);
    av_exchange_init(x, use);

    note.level = AV_LOG_NONE;

    rc = av_exchange_session(x, conf, cred, cred_len, now_ms);
    if (rc != AV_OK) {
        av_answer_error(a, rc, NULL);

        if (use == AV_USE_GATE) {
            snprintf(a->log, sizeof(a->log), "access denied: %s",
                     av_err_reason(rc));
        }

        return AV_NEXT_SEND;
    }

    if (!conf->lookup) {

        /* the hot path of the gate: one read, no claim, no JSON; a node's
         * copy is read with its age, which says whether it may answer */

        fresh = 1;
        rc = conf->copy
             ? av_store_find_copy(store, x->xid, strlen(x->xid),
                                  conf->lookup_interval_ms, now_ms, &x->rec,
                                  &fresh)
             : av_store_find(store, x->xid, strlen(x->xid), &x->rec);
        x->have = (rc == AV_OK);

        next = av_lookup_done(x, a,
                              rc == AV_ERR_UNKNOWN_SESSION ? AV_OK : rc,
                              &note);
        a->stale = x->have && !fresh;

        return next;
    }

    rc = av_store_lookup_begin(store, x->xid, conf->lookup_interval_ms,
                               conf->call_timeout_ms + 1000, now_ms,
                               &x->rec, &have, &x->claim);
    x->have = have;

    if (rc != AV_OK || x->claim == 0) {
        return av_lookup_done(x, a, rc, &note);
    }

    /* the lookup is ours now: every way out ends it */

    if (av_api_get_status(&x->req, x->xid) == AV_OK
        && av_ask(x, a, conf, AV_STEP_LOOKUP, now_ms) == AV_NEXT_ASK)
    {
        return AV_NEXT_ASK;
    }

    (void) av_store_lookup_end(store, x->xid, x->claim,
                               conf->lookup_interval_ms, NULL, now_ms,
                               &x->rec, &have, NULL);
    x->have = have;
    x->claim = 0;

    av_note(&note, AV_LOG_ERR, "get status for xid \"%s\" not sent",
            x->xid);

    return av_lookup_done(x, a, AV_ERR_INTERNAL, &note);
}


static av_next_t
av_lookup_answered(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store,
    av_err_t rc, av_api_answer_t *ans, const char *msg, int http_status,
    int64_t now_ms)
{
    int         have;
    av_err_t    stored;
    av_note_t   note;
    av_apply_t  applied;

    note.level = AV_LOG_NONE;

    if (rc == AV_OK) {
        rc = av_api_status_for(ans, x->xid);

        if (rc != AV_OK) {
            av_note(&note, AV_LOG_ERR, "telesign answered for xid \"%s\" "
                    "when asked about \"%s\"", ans->doc.xid, x->xid);
        }

    } else if (rc == AV_ERR_UPSTREAM) {
        av_note(&note, AV_LOG_ERR, "telesign %s %s: %s (status %d)",
                x->req.method, x->req.path, msg ? msg : "no usable answer",
                http_status);
    }

    applied = AV_APPLY_SAME;

    stored = av_store_lookup_end(store, x->xid, x->claim,
                                 conf->lookup_interval_ms,
                                 rc == AV_OK ? &ans->doc : NULL, now_ms,
                                 &x->rec, &have, &applied);
    x->have = have;
    x->claim = 0;

    if (stored == AV_ERR_MALFORMED_BODY) {
        av_note(&note, AV_LOG_WARN, "get status for xid \"%s\" names "
                "another phone than the one it was issued for, ignored",
                x->xid);

    } else if (rc == AV_OK && stored == AV_OK) {
        av_note(&note, AV_LOG_INFO, "get status for xid \"%s\": code %d%s",
                x->xid, ans->doc.code,
                applied == AV_APPLY_CHANGED ? ", stored" : "");
    }

    /* Telesign does not know the xid either: av_record_verdict says so */

    return av_lookup_done(x, a, rc == AV_OK ? stored : rc, &note);
}


/* --- the missed call ---------------------------------------------------- */


static av_next_t
av_call_first(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_params_t *params, const char *client,
    int64_t now_ms)
{
    size_t       len;
    av_err_t     rc;
    const char  *why;
    char         phone[AV_PHONE_MAX + 1];

    av_answer_init(a);
    av_exchange_init(x, AV_USE_CALL);

    rc = av_params_phone(params, phone, &len);

    /* toll-fraud guard: no paid call to a country the operator refused */

    if (rc == AV_OK && conf->countries) {
        rc = av_phone_check_country(phone, len, conf->countries,
                                    conf->ncountries);
    }

    if (rc != AV_OK) {
        av_answer_error(a, rc, NULL);
        return AV_NEXT_SEND;
    }

    if (!conf->telesign) {
        av_answer_error(a, AV_ERR_INTERNAL, "no Telesign URL configured");
        return AV_NEXT_SEND;
    }

    if (av_params_xid(params) != AV_OK) {
        av_answer_error(a, AV_ERR_INTERNAL, "no random bytes for an xid");
        return AV_NEXT_SEND;
    }

    memcpy(x->xid, params->xid, params->xid_len + 1);

    av_record_init(&x->rec, x->xid, strlen(x->xid), phone, len,
                   AV_FLOW_CALL, now_ms);

    /* the duplicate and rate rules hold the place before money is spent */

    why = NULL;

    rc = av_store_start(store, &x->rec, &conf->start, client, &why);
    if (rc != AV_OK) {
        av_answer_error(a, rc, why);
        return AV_NEXT_SEND;
    }

    /*
     * Until Telesign's reference id is stored, the record only holds the
     * phone's place: every way out but a placed call forgets it, or the
     * phone would be "duplicate" for the whole pending timeout with no
     * call to finalize.
     */

    x->placing = 1;

    rc = av_api_initiate(&x->req, phone, 0);

    if (rc == AV_OK && av_ask(x, a, conf, AV_STEP_INITIATE, now_ms)
                       == AV_NEXT_ASK)
    {
        return AV_NEXT_ASK;
    }

    x->placing = 0;
    (void) av_store_forget(store, x->xid);

    av_answer_error(a, rc != AV_OK ? rc : AV_ERR_INTERNAL,
                    "call not started");

    return AV_NEXT_SEND;
}


static av_next_t
av_call_answered(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_err_t rc, const av_api_answer_t *ans,
    const char *msg, int http_status, int64_t now_ms)
{
    av_note_t  note;

    note.level = AV_LOG_NONE;

    if (rc == AV_OK) {

        /* Telesign may refuse: an invalid, unsupported or blocked number */

        rc = av_api_call_verdict(ans);

        if (rc != AV_OK) {
            av_note(&note, AV_LOG_INFO, "telesign did not place the call: "
                    "code %d", ans->doc.code);
        }

    } else {
        av_note(&note, AV_LOG_ERR, "telesign %s %s: %s (status %d)",
                x->req.method, x->req.path, msg ? msg : "no usable answer",
                http_status);
    }

    if (rc == AV_OK) {
        rc = av_store_call_placed(store, x->xid, ans->doc.reference_id,
                                  ans->prefix, &x->rec);
    }

    x->placing = 0;

    if (rc != AV_OK) {
        (void) av_store_forget(store, x->xid);
        av_answer_error(a, rc, "call not started");
        av_answer_add_note(a, &note);
        return AV_NEXT_SEND;
    }

    a->session_len = av_credential_issue(conf->session_key, x->xid,
                                         strlen(x->xid),
                                         now_ms / 1000
                                         + conf->session_lifetime,
                                         a->session, sizeof(a->session));

    a->body_len = a->session_len == 0 ? 0
                  : av_call_json(&x->rec, a->session, a->session_len,
                                 conf->session_lifetime, a->body,
                                 sizeof(a->body));

    if (a->body_len == 0) {
        av_answer_error(a, AV_ERR_INTERNAL, "call json");
        return AV_NEXT_SEND;
    }

    a->have_rec = 1;
    a->rec = x->rec;
    a->level = AV_LOG_INFO;

    snprintf(a->log, sizeof(a->log), "missed call placed for xid \"%s\"",
             x->xid);

    return AV_NEXT_SEND;
}


/* --- finalize ----------------------------------------------------------- */


/* The finalize answer for the record as it is now. */
static av_next_t
av_finalize_reply(av_exchange_t *x, av_answer_t *a, unsigned left)
{
    a->status = av_finalize_http_status(&x->rec);
    a->body_len = av_finalize_json(&x->rec, left, a->body, sizeof(a->body));

    if (a->body_len == 0) {
        av_answer_error(a, AV_ERR_INTERNAL, "finalize json");
    }

    a->have_rec = 1;
    a->rec = x->rec;

    return AV_NEXT_SEND;
}


/* The reserved attempt goes back: the code was not checked, as far as we
 * know (Telesign not asked, or no usable answer). */
static void
av_finalize_release(av_exchange_t *x, const av_flow_conf_t *conf,
    const av_store_t *store, int64_t now_ms)
{
    if (x->held) {
        x->held = 0;
        (void) av_store_attempt_end(store, x->xid, 0, conf->attempts,
                                    now_ms);
    }
}


static av_next_t
av_finalize_first(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, const char *cred, size_t cred_len,
    const av_params_t *params, int64_t now_ms)
{
    av_err_t     rc;
    const char  *why;

    av_answer_init(a);
    av_exchange_init(x, AV_USE_FINALIZE);

    rc = av_exchange_session(x, conf, cred, cred_len, now_ms);
    if (rc != AV_OK) {
        av_answer_error(a, rc, NULL);
        return AV_NEXT_SEND;
    }

    /* bad digits are refused here, without spending an attempt */

    why = NULL;

    rc = av_finalize_params_check(params, &why);
    if (rc != AV_OK) {
        av_answer_error(a, rc, why);
        return AV_NEXT_SEND;
    }

    /* one of the attempts, taken before Telesign is asked */

    rc = av_store_finalize_begin(store, x->xid, conf->attempts, &x->rec);

    switch (rc) {

    case AV_OK:
        break;

    case AV_ERR_ALREADY_FINAL:
    case AV_ERR_FAILED:
    case AV_ERR_BLOCKED:

        /* decided already: say so again, without asking Telesign */

        return av_finalize_reply(x, a, 0);

    default:
        av_answer_error(a, rc, rc == AV_ERR_UNKNOWN_SESSION
                               ? "not a missed-call session" : NULL);
        return AV_NEXT_SEND;
    }

    x->have = 1;
    x->held = 1;
    x->held_code = params->has_code ? 1 : 0;

    rc = conf->telesign ? av_api_finalize_for(&x->req, x->rec.reference_id,
                                              params)
                        : AV_ERR_INTERNAL;

    if (rc == AV_OK
        && av_ask(x, a, conf, AV_STEP_FINALIZE, now_ms) == AV_NEXT_ASK)
    {
        return AV_NEXT_ASK;
    }

    av_finalize_release(x, conf, store, now_ms);

    av_answer_error(a, rc != AV_OK ? rc : AV_ERR_INTERNAL,
                    conf->telesign ? "finalize not sent"
                                   : "no Telesign URL configured");

    return AV_NEXT_SEND;
}


static av_next_t
av_finalize_answered(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *store, av_err_t rc,
    av_api_answer_t *ans, const char *msg, int http_status, int64_t now_ms)
{
    unsigned    left;
    av_note_t   note;
    av_apply_t  applied;

    note.level = AV_LOG_NONE;
    left = 0;

    if (rc == AV_ERR_ALREADY_FINAL && x->step == AV_STEP_FINALIZE) {

        /*
         * Telesign decided the call already: the answer to an earlier
         * finalize was lost on the way.  Ask for the outcome instead of
         * guessing; the attempt stays reserved until it comes.
         */

        if (av_api_call_status(&x->req, x->rec.reference_id) == AV_OK
            && av_ask(x, a, conf, AV_STEP_OUTCOME, now_ms) == AV_NEXT_ASK)
        {
            return AV_NEXT_ASK;
        }

        rc = AV_ERR_INTERNAL;
    }

    if (rc == AV_OK && x->step == AV_STEP_OUTCOME) {

        /* the outcome is a status to apply, not an attempt to count:
         * applying it ends the reservation in the same step */

        snprintf(ans->doc.xid, sizeof(ans->doc.xid), "%s", x->xid);
        ans->doc.phone[0] = '\0';

        rc = av_store_apply(store, &ans->doc, 1, now_ms, &x->rec, &applied);

        if (rc == AV_OK) {
            x->held = 0;
            left = av_record_attempts_left(&x->rec, conf->attempts);
        }

    } else if (rc == AV_OK) {

        /* the answer ends the reservation, counted or not */

        x->held = 0;
        rc = av_store_finalize(store, x->xid, ans->doc.code, conf->attempts,
                               now_ms, &x->rec, &left);

    } else if (rc == AV_ERR_UPSTREAM || rc == AV_ERR_ALREADY_FINAL) {
        av_note(&note, AV_LOG_ERR, "telesign %s %s: %s (status %d)",
                x->req.method, x->req.path, msg ? msg : "no usable answer",
                http_status);
        rc = AV_ERR_UPSTREAM;
    }

    /* no usable answer: the code was not checked, as far as we know */
    av_finalize_release(x, conf, store, now_ms);

    if (rc != AV_OK) {
        av_answer_error(a, rc, NULL);
        av_answer_add_note(a, &note);
        return AV_NEXT_SEND;
    }

    a->level = AV_LOG_INFO;
    snprintf(a->log, sizeof(a->log),
             "finalize for xid \"%s\": code %d%s, %s, %u attempts left",
             x->xid, ans->doc.code,
             x->step == AV_STEP_OUTCOME ? " (decided before)" : "",
             av_state_name((av_state_t) x->rec.state), left);

    return av_finalize_reply(x, a, left);
}


/* --- the second step, and the way out ---------------------------------- */


static av_next_t
av_answered(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, int http_status, const char *body, size_t len,
    int64_t now_ms)
{
    av_err_t         rc;
    const char      *msg;
    av_api_answer_t  ans;

    av_answer_init(a);

    msg = NULL;

    rc = av_api_answer(x->req.call, http_status, body, len, &ans, &msg);

    av_metrics_telesign(store->metrics, x->req.call,
                        http_status == 0 ? AV_TS_NO_ANSWER
                        : rc == AV_ERR_UPSTREAM ? AV_TS_BAD_ANSWER
                        : AV_TS_ANSWERED,
                        now_ms - x->asked_ms);

    switch (x->step) {

    case AV_STEP_LOOKUP:
        return av_lookup_answered(x, a, conf, store, rc, &ans, msg,
                                  http_status, now_ms);

    case AV_STEP_INITIATE:
        return av_call_answered(x, a, conf, store, rc, &ans, msg,
                                http_status, now_ms);

    case AV_STEP_FINALIZE:
    case AV_STEP_OUTCOME:
        return av_finalize_answered(x, a, conf, store, rc, &ans, msg,
                                    http_status, now_ms);

    default:
        av_answer_error(a, AV_ERR_INTERNAL, "no question was asked");
        return AV_NEXT_SEND;
    }
}


/* An answer is final: counted once, by endpoint and reason. */

static av_next_t
av_counted(const av_exchange_t *x, const av_answer_t *a,
    const av_store_t *store, av_next_t next)
{
    static const av_endpoint_t  ep[] = {
        AV_EP_STATUS, AV_EP_GATE, AV_EP_CALL, AV_EP_FINALIZE
    };

    if (next == AV_NEXT_SEND) {
        if (a->err == AV_ERR_COUNTRY_NOT_ALLOWED) {
            av_metrics_refused(store->metrics, AV_GUARD_COUNTRY);
        }

        av_metrics_request(store->metrics, ep[x->use], a->err);
    }

    return next;
}


av_next_t
av_flow_status(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_use_t use, const char *cred,
    size_t cred_len, int64_t now_ms)
{
    return av_counted(x, a, store, av_status_first(x, a, conf, store, use,
                                                   cred, cred_len, now_ms));
}


static av_endpoint_t
av_status_endpoint(av_use_t use)
{
    return use == AV_USE_GATE ? AV_EP_GATE : AV_EP_STATUS;
}


av_copy_t
av_flow_status_copy(av_exchange_t *x, av_answer_t *a,
    const av_flow_conf_t *conf, const av_store_t *copy, av_metrics_t *m,
    av_use_t use, const char *cred, size_t cred_len, int64_t now_ms)
{
    av_next_t       next;
    av_store_t      quiet;
    av_flow_conf_t  local;

    /* counted below, once, if its answer is the one sent */
    quiet = *copy;
    quiet.metrics = NULL;

    local = *conf;
    local.lookup = 0;
    local.copy = 1;

    next = av_flow_status(x, a, &local, &quiet, use, cred, cred_len, now_ms);

    if (next != AV_NEXT_SEND || !a->have_rec
        || !av_state_is_terminal((av_state_t) a->rec.state))
    {
        memset(x, 0, sizeof(av_exchange_t));
        return AV_COPY_NONE;
    }

    if (a->stale) {
        memset(x, 0, sizeof(av_exchange_t));
        return AV_COPY_STALE;
    }

    av_metrics_request(m, av_status_endpoint(use), a->err);

    return AV_COPY_ANSWER;
}


void
av_flow_status_stale(av_answer_t *a, const av_answer_t *stale,
    av_metrics_t *m, av_use_t use)
{
    *a = *stale;
    av_metrics_request(m, av_status_endpoint(use), a->err);
}


av_next_t
av_flow_call(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_params_t *params, const char *client,
    int64_t now_ms)
{
    return av_counted(x, a, store, av_call_first(x, a, conf, store, params,
                                                 client, now_ms));
}


av_next_t
av_flow_finalize(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, const char *cred, size_t cred_len,
    const av_params_t *params, int64_t now_ms)
{
    return av_counted(x, a, store, av_finalize_first(x, a, conf, store, cred,
                                                     cred_len, params,
                                                     now_ms));
}


av_next_t
av_flow_answered(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, int http_status, const char *body, size_t len,
    int64_t now_ms)
{
    return av_counted(x, a, store, av_answered(x, a, conf, store, http_status,
                                               body, len, now_ms));
}


void
av_flow_abandon(av_exchange_t *x, av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, int64_t now_ms)
{
    int          have;
    av_record_t  rec;

    av_answer_init(a);

    if (x->claim) {
        (void) av_store_lookup_end(store, x->xid, x->claim,
                                   conf->lookup_interval_ms, NULL, now_ms,
                                   &rec, &have, NULL);
        x->claim = 0;
    }

    if (x->placing) {
        x->placing = 0;
        (void) av_store_forget(store, x->xid);

        a->level = AV_LOG_INFO;
        snprintf(a->log, sizeof(a->log), "call for xid \"%s\" abandoned "
                 "before Telesign answered, its record removed", x->xid);
    }

    if (x->held) {

        /* a code counts as used: leaving must not buy attempts; a
         * caller-id or timeout report is only given back */

        x->held = 0;
        (void) av_store_attempt_end(store, x->xid, x->held_code,
                                    conf->attempts, now_ms);

        a->level = AV_LOG_INFO;
        snprintf(a->log, sizeof(a->log), "finalize for xid \"%s\" abandoned "
                 "before Telesign answered%s", x->xid,
                 x->held_code ? ", counted as a wrong code" : "");
    }

    x->step = AV_STEP_NONE;
}
