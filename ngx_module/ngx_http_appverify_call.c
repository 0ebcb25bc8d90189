
/*
 * appverify: server-initiated missed-call verification (App Verify API).
 *
 * call:     the app sends the phone and optionally its own xid (as to the
 *           token endpoint: the same normalization, duplicate and rate
 *           rules); the edge signs
 *           POST /v1/verify/auto/voice/initiate, keeps Telesign's
 *           reference id and caller-ID prefix in the zone and answers the
 *           prefix to show, with the session credential.  Telesign's
 *           verify_code, when an account gets one, is never passed on.
 * finalize: the app sends the five digits the user read off the missed
 *           call (or "it came from another number", or "it never came");
 *           the edge signs the matching finalize call; 2401 verifies, a
 *           wrong code uses one of appverify_finalize's attempts.
 *
 * Both are POST only: they cost money or attempts, so no <img> tag or
 * link prefetch may trigger them.  Telesign failures answer 503 and leave
 * the stored state as it was.
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_call_body(ngx_http_request_t *r);
static void ngx_http_appverify_call_resume(ngx_http_request_t *r);
static void ngx_http_appverify_call_cleanup(void *data);
static void ngx_http_appverify_finalize_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_finalize_start(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx);
static void ngx_http_appverify_finalize_resume(ngx_http_request_t *r);
static void ngx_http_appverify_finalize_release(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx);
static void ngx_http_appverify_finalize_cleanup(void *data);
static ngx_int_t ngx_http_appverify_finalize_reply(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_uint_t status, unsigned left);
static ngx_int_t ngx_http_appverify_post_only(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler);


static ngx_str_t  ngx_http_appverify_json_type =
    ngx_string("application/json");


ngx_int_t
ngx_http_appverify_call_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_post_only(r, ngx_http_appverify_call_body);
}


ngx_int_t
ngx_http_appverify_finalize_handler(ngx_http_request_t *r)
{
    return ngx_http_appverify_post_only(r, ngx_http_appverify_finalize_body);
}


static ngx_int_t
ngx_http_appverify_post_only(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler)
{
    ngx_int_t  rc;

    if (!(r->method & NGX_HTTP_POST)
        || r->headers_in.content_length_n > AV_PARAMS_BODY_MAX)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_appverify_send_error(r,
                                             (r->method & NGX_HTTP_POST)
                                             ? AV_ERR_BODY_TOO_LARGE
                                             : AV_ERR_METHOD_NOT_ALLOWED,
                                             NULL);
    }

    return ngx_http_appverify_read_body(r, post_handler);
}


static void
ngx_http_appverify_call_body(ngx_http_request_t *r)
{
    size_t                          len;
    const char                     *why;
    av_err_t                        rc;
    av_params_t                     params;
    ngx_pool_cleanup_t             *cln;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_zone_t      *zone;
    ngx_http_appverify_loc_conf_t  *alcf;
    char                            phone[AV_PHONE_MAX + 1];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_appverify_request_params(r, &params);

    if (rc == AV_OK) {
        rc = av_params_phone(&params, phone, &len);
    }

    /* toll-fraud guard: only the countries the operator pays calls to */

    if (rc == AV_OK && alcf->countries) {
        rc = av_phone_check_country(phone, len, alcf->countries->elts,
                                    alcf->countries->nelts);
    }

    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    if (params.has_xid) {
        ngx_memcpy(ctx->xid, params.xid, params.xid_len + 1);

    } else if (av_uuid_random((char *) ctx->xid) != 0) {
        ngx_http_finalize_request(r,
            ngx_http_appverify_send_error(r, AV_ERR_INTERNAL, "no random"));
        return;
    }

    av_record_init(&ctx->rec, (char *) ctx->xid, ngx_strlen(ctx->xid),
                   phone, len, AV_FLOW_CALL, ngx_http_appverify_now_ms());

    /* the duplicate and rate rules hold the place before money is spent */

    rc = ngx_http_appverify_zone_start(r, zone, &ctx->rec, &why);
    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, why));
        return;
    }

    ctx->have_rec = 1;

    /*
     * Until Telesign's reference id is stored, the record only holds the
     * phone's place: a client that leaves before then takes it away with
     * it (the request's pool cleanup), or the phone would be "duplicate"
     * for the whole pending timeout with no call to finalize.
     */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        (void) av_store_forget(&zone->store, (const char *) ctx->xid);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->call_pending = 1;
    cln->handler = ngx_http_appverify_call_cleanup;
    cln->data = r;

    rc = av_api_initiate(&ctx->api, phone, 0);

    if (rc != AV_OK
        || ngx_http_appverify_upstream(r, &alcf->upstream, ctx, 1) != NGX_OK)
    {
        ctx->call_pending = 0;
        (void) av_store_forget(&zone->store, (const char *) ctx->xid);
        ngx_http_finalize_request(r,
            ngx_http_appverify_send_error(r, rc != AV_OK ? rc
                                                         : AV_ERR_INTERNAL,
                                          "call not started"));
        return;
    }

    r->write_event_handler = ngx_http_appverify_call_resume;
}


/* The request ends before the call was started: forget its record. */

static void
ngx_http_appverify_call_cleanup(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->call_pending) {
        return;
    }

    ctx->call_pending = 0;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    (void) av_store_forget(&((ngx_http_appverify_zone_t *)
                             alcf->zone->data)->store,
                           (const char *) ctx->xid);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "appverify: call for xid \"%s\" abandoned before "
                  "Telesign answered, its record removed", ctx->xid);
}


static void
ngx_http_appverify_call_resume(ngx_http_request_t *r)
{
    u_char                          *json;
    size_t                           len;
    av_err_t                         rc;
    ngx_str_t                        type;
    av_api_answer_t                  ans;
    ngx_http_appverify_ctx_t        *ctx;
    ngx_http_appverify_zone_t       *zone;
    ngx_http_appverify_loc_conf_t   *alcf;
    ngx_http_appverify_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (!ctx->up_done) {
        return;    /* a write event before the subrequest ended */
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    rc = ngx_http_appverify_upstream_answer(r, ctx, &ans);

    /* Telesign may refuse to call: an invalid, unsupported or blocked number */

    if (rc == AV_OK) {
        rc = av_api_call_verdict(&ans);

        if (rc != AV_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "appverify: telesign did not place the call: "
                          "code %d", ans.doc.code);
        }
    }

    if (rc == AV_OK) {
        rc = av_store_call_placed(&zone->store, (const char *) ctx->xid,
                                  ans.doc.reference_id, ans.prefix,
                                  &ctx->rec);
    }

    ctx->call_pending = 0;

    if (rc != AV_OK) {
        (void) av_store_forget(&zone->store, (const char *) ctx->xid);
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    ctx->cred_len = av_credential_issue(amcf->session_key,
                                        (const char *) ctx->xid,
                                        ngx_strlen(ctx->xid),
                                        ngx_time() + alcf->session_lifetime,
                                        (char *) ctx->cred,
                                        sizeof(ctx->cred));

    json = ngx_pnalloc(r->pool, AV_RECORD_JSON_MAX);

    if (ctx->cred_len == 0 || json == NULL
        || ngx_http_appverify_set_cookie(r, alcf, ctx->cred, ctx->cred_len)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    len = av_call_json(&ctx->rec, (const char *) ctx->cred, ctx->cred_len,
                       alcf->session_lifetime, (char *) json,
                       AV_RECORD_JSON_MAX);
    if (len == 0) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "appverify: missed call placed for xid \"%s\"", ctx->xid);

    type = ngx_http_appverify_json_type;

    ngx_http_finalize_request(r, ngx_http_appverify_send(r, NGX_HTTP_OK,
                                                         &type, json, len));
}


static void
ngx_http_appverify_finalize_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_appverify_finalize_start(r, ctx);

    /* NGX_DONE: the subrequest holds the request; resume finalizes it */

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* NGX_DONE when the call to Telesign is on its way, else the answer. */

static ngx_int_t
ngx_http_appverify_finalize_start(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx)
{
    size_t                          len;
    av_err_t                        rc;
    const char                     *why;
    av_params_t                     params;
    ngx_pool_cleanup_t             *cln;
    ngx_http_appverify_zone_t      *zone;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    rc = ngx_http_appverify_credential(r, alcf, ctx->xid, &len);
    if (rc != AV_OK) {
        return ngx_http_appverify_send_error(r, rc, NULL);
    }

    rc = ngx_http_appverify_request_params(r, &params);
    if (rc != AV_OK) {
        return ngx_http_appverify_send_error(r, rc, NULL);
    }

    /* bad digits are refused here, without spending an attempt */

    rc = av_finalize_params_check(&params, &why);
    if (rc != AV_OK) {
        return ngx_http_appverify_send_error(r, rc, why);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* one of the attempts, taken before Telesign is asked */

    rc = av_store_finalize_begin(&zone->store, (const char *) ctx->xid,
                                 alcf->attempts, &ctx->rec);

    switch (rc) {

    case AV_OK:
        break;

    case AV_ERR_ALREADY_FINAL:
    case AV_ERR_FAILED:
    case AV_ERR_BLOCKED:

        /* decided already: say so again, without asking Telesign */

        ctx->have_rec = 1;

        return ngx_http_appverify_finalize_reply(r, ctx,
                   av_finalize_http_status(&ctx->rec), 0);

    default:
        return ngx_http_appverify_send_error(r, rc,
                   rc == AV_ERR_UNKNOWN_SESSION ? "no missed call placed"
                                                : NULL);
    }

    ctx->have_rec = 1;
    ctx->attempt_held = 1;
    ctx->attempt_code = params.has_code ? 1 : 0;

    /* whatever ends this request ends the attempt too (see resume) */
    cln->handler = ngx_http_appverify_finalize_cleanup;
    cln->data = r;

    rc = av_api_finalize_for(&ctx->api, ctx->rec.reference_id, &params);

    if (rc != AV_OK) {
        ngx_http_appverify_finalize_release(r, ctx);
        return ngx_http_appverify_send_error(r, rc, NULL);
    }

    if (ngx_http_appverify_upstream(r, &alcf->upstream, ctx, 1) != NGX_OK) {
        ngx_http_appverify_finalize_release(r, ctx);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->write_event_handler = ngx_http_appverify_finalize_resume;

    return NGX_DONE;
}


/* The attempt goes back: Telesign was not asked, or gave no answer. */

static void
ngx_http_appverify_finalize_release(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx)
{
    ngx_http_appverify_loc_conf_t  *alcf;

    if (!ctx->attempt_held) {
        return;
    }

    ctx->attempt_held = 0;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    (void) av_store_attempt_end(&((ngx_http_appverify_zone_t *)
                                  alcf->zone->data)->store,
                                (const char *) ctx->xid, 0, alcf->attempts,
                                ngx_http_appverify_now_ms());
}


/*
 * The request ends with its attempt still reserved: the client left while
 * Telesign was being asked.  A code counts as used (leaving must not buy
 * attempts); a caller-id or timeout report is only given back.
 */

static void
ngx_http_appverify_finalize_cleanup(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->attempt_held) {
        return;
    }

    ctx->attempt_held = 0;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    (void) av_store_attempt_end(&((ngx_http_appverify_zone_t *)
                                  alcf->zone->data)->store,
                                (const char *) ctx->xid, ctx->attempt_code,
                                alcf->attempts, ngx_http_appverify_now_ms());
}


static void
ngx_http_appverify_finalize_resume(ngx_http_request_t *r)
{
    unsigned                        left;
    av_err_t                        rc;
    av_apply_t                      applied;
    av_api_answer_t                 ans;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_zone_t      *zone;
    ngx_http_appverify_loc_conf_t  *alcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (!ctx->up_done) {
        return;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    rc = ngx_http_appverify_upstream_answer(r, ctx, &ans);

    /*
     * Telesign decided the call already: the answer to an earlier finalize
     * was lost on the way.  Ask for the outcome instead of guessing.
     */

    if (rc == AV_ERR_ALREADY_FINAL && !ctx->outcome_asked) {
        ctx->outcome_asked = 1;

        if (av_api_call_status(&ctx->api, ctx->rec.reference_id) == AV_OK
            && ngx_http_appverify_upstream(r, &alcf->upstream, ctx, 1)
               == NGX_OK)
        {
            return;
        }

        rc = AV_ERR_UPSTREAM;
    }

    if (rc == AV_OK && ctx->outcome_asked) {

        /* the outcome is a status to apply, not an attempt to count:
         * applying it ends the reservation in the same step */

        ngx_cpystrn((u_char *) ans.doc.xid, ctx->xid, sizeof(ans.doc.xid));
        ans.doc.phone[0] = '\0';

        rc = av_store_apply(&zone->store, &ans.doc, 1,
                            ngx_http_appverify_now_ms(), &ctx->rec,
                            &applied);
        if (rc == AV_OK) {
            ctx->attempt_held = 0;
        }

        left = av_record_attempts_left(&ctx->rec, alcf->attempts);

    } else if (rc == AV_OK) {
        ctx->attempt_held = 0;
        rc = av_store_finalize(&zone->store, (const char *) ctx->xid,
                               ans.doc.code, alcf->attempts,
                               ngx_http_appverify_now_ms(), &ctx->rec,
                               &left);

    } else if (rc == AV_ERR_ALREADY_FINAL) {
        rc = AV_ERR_UPSTREAM;
    }

    /* no usable answer: the code was not checked, as far as we know */
    ngx_http_appverify_finalize_release(r, ctx);

    if (rc != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, rc, NULL));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "appverify: finalize for xid \"%s\": code %d, %s, "
                  "%ud attempts left", ctx->xid, ans.doc.code,
                  av_state_name(ctx->rec.state), left);

    ngx_http_finalize_request(r,
        ngx_http_appverify_finalize_reply(r, ctx,
            av_finalize_http_status(&ctx->rec), left));
}


static ngx_int_t
ngx_http_appverify_finalize_reply(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, ngx_uint_t status, unsigned left)
{
    u_char     *json;
    size_t      len;
    ngx_str_t   type;

    json = ngx_pnalloc(r->pool, AV_RECORD_JSON_MAX);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = av_finalize_json(&ctx->rec, left, (char *) json,
                           AV_RECORD_JSON_MAX);
    if (len == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type = ngx_http_appverify_json_type;

    return ngx_http_appverify_send(r, status, &type, json, len);
}
