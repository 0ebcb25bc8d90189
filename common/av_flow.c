/*
 * av_flow.c: the token and callback use cases (av_flow.h).
 */
#include <stdio.h>
#include <string.h>

#include "av_flow.h"
#include "av_tsa.h"
#include "av_xid.h"


static const char  av_json_type[] = "application/json";


av_log_level_t
av_err_log_level(av_err_t err)
{
    /*
     * A full store is reported by the glue's own alert, at most once a
     * minute; each refusal then is only info, or a flood would drown the
     * log (limit_req's rule).
     */

    if (err == AV_ERR_STORE_FULL) {
        return AV_LOG_INFO;
    }

    return av_err_http_status(err) >= 500 ? AV_LOG_ERR : AV_LOG_INFO;
}


void
av_answer_init(av_answer_t *a)
{
    a->err = AV_OK;
    a->status = 200;
    a->type = av_json_type;
    a->body[0] = '\0';
    a->body_len = 0;
    a->session_len = 0;
    a->have_rec = 0;
    a->level = AV_LOG_NONE;
    a->log[0] = '\0';
    a->stale = 0;
}


void
av_answer_error(av_answer_t *a, av_err_t err, const char *detail)
{
    a->err = err;
    a->status = av_err_http_status(err);
    a->type = av_json_type;
    a->body_len = av_err_json(err, a->body, sizeof(a->body));
    a->session_len = 0;
    a->level = av_err_log_level(err);

    snprintf(a->log, sizeof(a->log), "%s%s%s", av_err_reason(err),
             detail ? ": " : "", detail ? detail : "");
}


void
av_answer_unavailable(av_answer_t *a, av_metrics_t *m, av_endpoint_t ep,
    const char *detail, int log)
{
    av_answer_init(a);
    av_answer_error(a, AV_ERR_STORE_UNAVAILABLE, detail);
    av_metrics_request(m, ep, AV_ERR_STORE_UNAVAILABLE);

    a->level = log ? AV_LOG_ERR : AV_LOG_NONE;
}


static void
av_token(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_params_t *params, const char *client,
    int json, int64_t now_ms)
{
    int              n;
    size_t           len, jwt_len;
    int64_t          now;
    av_err_t         rc;
    const char      *why;
    av_jwt_claims_t  claims;
    char             phone[AV_PHONE_MAX + 1];
    char             jwt[AV_JWT_MAX];

    av_answer_init(a);

    rc = av_params_phone(params, phone, &len);

    /* toll-fraud guard: only the countries the operator pays for */
    if (rc == AV_OK && conf->countries) {
        rc = av_phone_check_country(phone, len, conf->countries,
                                    conf->ncountries);
    }

    if (rc != AV_OK) {
        av_answer_error(a, rc, NULL);
        return;
    }

    if (av_params_xid(params) != AV_OK) {
        av_answer_error(a, AV_ERR_INTERNAL, "no random bytes for an xid");
        return;
    }

    av_record_init(&a->rec, params->xid, params->xid_len, phone, len,
                   AV_FLOW_SDK, now_ms);

    why = NULL;

    rc = av_store_start(store, &a->rec, &conf->start, client, &why);
    if (rc != AV_OK) {
        av_answer_error(a, rc, why);
        return;
    }

    now = now_ms / 1000;

    claims.iss = conf->customer_id ? conf->customer_id : "";
    claims.iss_len = strlen(claims.iss);
    claims.iat = now;
    claims.exp = now + conf->token_lifetime;
    claims.xid = a->rec.xid;
    claims.xid_len = strlen(a->rec.xid);
    claims.phn = a->rec.phone;
    claims.phn_len = strlen(a->rec.phone);

    jwt_len = av_jwt_mint(conf->api_key, &claims, jwt, sizeof(jwt));
    a->session_len = av_credential_issue(conf->session_key, claims.xid,
                                         claims.xid_len,
                                         now + conf->session_lifetime,
                                         a->session, sizeof(a->session));

    if (jwt_len == 0 || a->session_len == 0) {
        av_answer_error(a, AV_ERR_INTERNAL, "token does not fit");
        return;
    }

    a->have_rec = 1;

    if (!json) {
        a->type = "text/plain";
        memcpy(a->body, jwt, jwt_len);
        a->body_len = jwt_len;
        a->body[jwt_len] = '\0';

    } else {
        n = snprintf(a->body, sizeof(a->body),
                     "{\"token\":\"%.*s\",\"xid\":\"%s\",\"expires_in\":%lld,"
                     "\"session\":\"%.*s\"}\n",
                     (int) jwt_len, jwt, a->rec.xid,
                     (long long) conf->token_lifetime,
                     (int) a->session_len, a->session);

        if (n < 0 || (size_t) n >= sizeof(a->body)) {
            av_answer_error(a, AV_ERR_INTERNAL, "token does not fit");
            return;
        }

        a->body_len = (size_t) n;
    }

    snprintf(a->log, sizeof(a->log), "token for xid \"%s\" phone \"%s\"",
             a->rec.xid, a->rec.phone);
}


/* The signature checked, then the body parsed: into memo, once. */

static void
av_callback_check(const av_flow_conf_t *conf, const char *authz,
    size_t authz_len, const char *xts, size_t xts_len, const char *body,
    size_t len, av_callback_memo_t *m)
{
    m->done = 1;
    m->msg = NULL;

    /* the signature first: nothing unsigned is parsed */

    if (conf->signature) {
        /* the previous API key too, while Telesign switches to the new */
        m->rc = av_tsa_verify_callback_rotated(conf->api_key,
                                               conf->api_key_previous,
                                               conf->customer_id,
                                               authz, authz_len, xts,
                                               xts_len,
                                               (const unsigned char *) body,
                                               len);
        if (m->rc != AV_OK) {
            m->msg = "callback refused";
            return;
        }
    }

    m->rc = av_callback_parse(body, len, &m->doc, &m->msg);
}


static void
av_callback(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_callback_memo_t *memo, const char *authz,
    size_t authz_len, const char *xts, size_t xts_len, const char *body,
    size_t len, int64_t now_ms)
{
    av_err_t             rc;
    av_apply_t           applied;
    av_callback_memo_t   once;

    av_answer_init(a);

    if (memo == NULL) {
        memo = &once;
        memo->done = 0;
    }

    if (!memo->done) {
        av_callback_check(conf, authz, authz_len, xts, xts_len, body, len,
                          memo);
    }

    if (memo->rc != AV_OK) {
        av_answer_error(a, memo->rc, memo->msg);
        return;
    }

    rc = av_store_apply(store, &memo->doc, 0, now_ms, &a->rec, &applied);

    if (rc == AV_ERR_MALFORMED_BODY) {

        /* signed, so Telesign's or the key's holder's: worth a warning */

        av_answer_error(a, rc, NULL);
        a->level = AV_LOG_WARN;
        snprintf(a->log, sizeof(a->log),
                 "malformed_body: callback for xid \"%s\" names another "
                 "phone than the one it was issued for, ignored",
                 memo->doc.xid);
        return;
    }

    if (rc != AV_OK) {
        av_answer_error(a, rc, "callback not stored");
        return;
    }

    a->have_rec = 1;
    a->level = AV_LOG_INFO;

    snprintf(a->log, sizeof(a->log), "callback for xid \"%s\": code %d, %s",
             a->rec.xid, memo->doc.code,
             applied == AV_APPLY_CHANGED ? "stored"
             : applied == AV_APPLY_STALE ? "stale, ignored" : "repeated");

    a->body_len = av_callback_json(&a->rec, a->body, sizeof(a->body));

    if (a->body_len == 0) {
        av_answer_error(a, AV_ERR_INTERNAL, "callback json");
    }
}


av_err_t
av_flow_accepts(av_endpoint_t ep, av_method_t method, int64_t len,
    size_t max_body)
{
    unsigned  ok;

    switch (ep) {
    case AV_EP_TOKEN:
        ok = (method == AV_METHOD_GET || method == AV_METHOD_POST);
        break;

    case AV_EP_STATUS:
        ok = (method == AV_METHOD_GET || method == AV_METHOD_HEAD);
        break;

    case AV_EP_CALLBACK:
    case AV_EP_CALL:
    case AV_EP_FINALIZE:
        ok = (method == AV_METHOD_POST);
        break;

    default: /* the gate: whatever its location's handler takes */
        return AV_OK;
    }

    if (!ok) {
        return AV_ERR_METHOD_NOT_ALLOWED;
    }

    if (len > 0 && (uint64_t) len > (uint64_t) av_flow_body_max(ep, max_body))
    {
        return AV_ERR_BODY_TOO_LARGE;
    }

    return AV_OK;
}


size_t
av_flow_body_max(av_endpoint_t ep, size_t max_body)
{
    return ep == AV_EP_CALLBACK ? max_body : AV_PARAMS_BODY_MAX;
}


/* --- the use cases, each answer counted once (av_metrics.h) ------------- */

void
av_flow_token(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_params_t *params, const char *client,
    int json, int64_t now_ms)
{
    av_token(a, conf, store, params, client, json, now_ms);

    if (a->err == AV_ERR_COUNTRY_NOT_ALLOWED) {
        av_metrics_refused(store->metrics, AV_GUARD_COUNTRY);
    }

    av_metrics_request(store->metrics, AV_EP_TOKEN, a->err);
}


void
av_flow_callback(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, const char *authz, size_t authz_len,
    const char *xts, size_t xts_len, const char *body, size_t len,
    int64_t now_ms)
{
    av_flow_callback_memo(a, conf, store, NULL, authz, authz_len, xts,
                          xts_len, body, len, now_ms);
}


void
av_flow_callback_memo(av_answer_t *a, const av_flow_conf_t *conf,
    const av_store_t *store, av_callback_memo_t *memo, const char *authz,
    size_t authz_len, const char *xts, size_t xts_len, const char *body,
    size_t len, int64_t now_ms)
{
    av_callback(a, conf, store, memo, authz, authz_len, xts, xts_len, body,
                len, now_ms);

    av_metrics_request(store->metrics, AV_EP_CALLBACK, a->err);
}
