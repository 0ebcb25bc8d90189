
/*
 * appverify: the status endpoint: the caller's own verification as JSON,
 * found through the session credential (cookie or Bearer).  With
 * lookup=URI, a record that is pending or absent here is asked about
 * first (ngx_http_appverify_lookup.c).
 */


#include "ngx_http_appverify_module.h"


static void ngx_http_appverify_status_body(ngx_http_request_t *r);
static void ngx_http_appverify_status_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_status_reply(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx);


ngx_int_t
ngx_http_appverify_status_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || r->headers_in.content_length_n > AV_PARAMS_BODY_MAX)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_appverify_send_error(r,
                                             (r->method
                                              & (NGX_HTTP_GET|NGX_HTTP_HEAD))
                                             ? AV_ERR_BODY_TOO_LARGE
                                             : AV_ERR_METHOD_NOT_ALLOWED,
                                             NULL);
    }

    /*
     * A body, if any, is read to its end before Telesign is asked: a
     * subrequest must never run while nginx still discards the client's
     * bytes from under it.
     */

    return ngx_http_appverify_read_body(r, ngx_http_appverify_status_body);
}


static void
ngx_http_appverify_status_body(ngx_http_request_t *r)
{
    size_t                          xid_len;
    av_err_t                        err;
    ngx_int_t                       rc;
    ngx_str_t                       body;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    rc = ngx_http_appverify_body(r, &body);

    if (rc == NGX_DECLINED || body.len > AV_PARAMS_BODY_MAX) {
        ngx_http_finalize_request(r,
            ngx_http_appverify_send_error(r, AV_ERR_BODY_TOO_LARGE, NULL));
        return;
    }

    ctx = ngx_http_appverify_get_ctx(r);

    if (rc != NGX_OK || ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    err = ngx_http_appverify_credential(r, alcf, ctx->xid, &xid_len);
    if (err != AV_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_appverify_send_error(r, err, NULL));
        return;
    }

    if (alcf->upstream.len == 0) {
        err = av_store_find(&((ngx_http_appverify_zone_t *)
                              alcf->zone->data)->store,
                            (const char *) ctx->xid, xid_len, &ctx->rec);
        if (err != AV_OK) {
            ngx_http_finalize_request(r,
                ngx_http_appverify_send_error(r, err, NULL));
            return;
        }

        ctx->have_rec = 1;

        ngx_http_finalize_request(r, ngx_http_appverify_status_reply(r, ctx));
        return;
    }

    rc = ngx_http_appverify_lookup(r, ctx, alcf->zone, &alcf->upstream,
                                   alcf->lookup_interval);
    if (rc == NGX_AGAIN) {
        r->write_event_handler = ngx_http_appverify_status_resume;
        return;
    }

    ngx_http_finalize_request(r, ngx_http_appverify_status_reply(r, ctx));
}


static void
ngx_http_appverify_status_resume(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    rc = ngx_http_appverify_lookup(r, ctx, alcf->zone, &alcf->upstream,
                                   alcf->lookup_interval);
    if (rc == NGX_AGAIN) {
        return;    /* a write event before the subrequest ended */
    }

    ngx_http_finalize_request(r, ngx_http_appverify_status_reply(r, ctx));
}


static ngx_int_t
ngx_http_appverify_status_reply(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx)
{
    u_char     *json;
    size_t      len;
    av_err_t    err;
    ngx_str_t   type;

    err = ngx_http_appverify_lookup_verdict(ctx);

    /* the record is the answer, whatever its state; errors only without */

    if (!ctx->have_rec || err == AV_ERR_UPSTREAM) {
        return ngx_http_appverify_send_error(r, err, NULL);
    }

    json = ngx_pnalloc(r->pool, AV_RECORD_JSON_MAX);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = av_record_json(&ctx->rec, (char *) json, AV_RECORD_JSON_MAX);
    if (len == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&type, "application/json");

    return ngx_http_appverify_send(r, NGX_HTTP_OK, &type, json, len);
}
