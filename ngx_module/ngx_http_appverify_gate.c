
/*
 * appverify: the access-phase gate, appverify_require.
 *
 * The hot path: one HMAC over a few dozen bytes to check the credential,
 * one rbtree lookup under the zone's lock, no JSON, no allocation but the
 * request ctx.  Verified: NGX_OK, with the record in the ctx for the
 * $appverify_* variables.  Otherwise the status for nginx to finalize:
 * 401 without a usable credential or while pending, 403 once failed or
 * blocked, 503 when Telesign had to be asked and could not be (rendered
 * as JSON unless an error_page takes it).
 *
 * With lookup=URI, a record that is pending or absent here is asked about
 * (ngx_http_appverify_lookup.c): the handler returns NGX_AGAIN while the
 * subrequest runs, as auth_request does, and is called again after it.
 */


#include "ngx_http_appverify_module.h"


ngx_int_t
ngx_http_appverify_gate_handler(ngx_http_request_t *r)
{
    size_t                          xid_len;
    av_err_t                        err;
    ngx_int_t                       rc;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    if (alcf->require_zone == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || ctx->lookup_state == NGX_HTTP_APPVERIFY_LOOKUP_NONE) {

        ctx = ngx_http_appverify_get_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        err = ngx_http_appverify_credential(r, alcf, ctx->xid, &xid_len);
        if (err != AV_OK) {
            return ngx_http_appverify_deny(r, err, NULL);
        }

        if (alcf->require_lookup.len == 0) {
            err = av_store_find(&((ngx_http_appverify_zone_t *)
                                  alcf->require_zone->data)->store,
                                (const char *) ctx->xid, xid_len, &ctx->rec);
            if (err != AV_OK) {
                return ngx_http_appverify_deny(r, err,
                                               (const char *) ctx->xid);
            }

            ctx->have_rec = 1;

            err = av_record_gate(&ctx->rec);
            if (err != AV_OK) {
                return ngx_http_appverify_deny(r, err,
                                               (const char *) ctx->xid);
            }

            return NGX_OK;
        }
    }

    rc = ngx_http_appverify_lookup(r, ctx, alcf->require_zone,
                                   &alcf->require_lookup,
                                   alcf->lookup_interval);
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    err = ngx_http_appverify_lookup_verdict(ctx);
    if (err != AV_OK) {
        return ngx_http_appverify_deny(r, err, (const char *) ctx->xid);
    }

    return NGX_OK;
}


/*
 * The precontent phase: the request got past the access phase although
 * the gate said no, so under "satisfy any" another module (allow, a valid
 * auth_basic user) let it in.  The gate's refusal must then change
 * nothing of what the location sends: not an upstream's own 401 body, not
 * its headers.  (nginx clears r->headers_out.www_authenticate itself, but
 * an auth_basic that ran after the gate points that at its own header.)
 */

ngx_int_t
ngx_http_appverify_gate_overruled(ngx_http_request_t *r)
{
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->deny_json) {
        return NGX_DECLINED;
    }

    ctx->deny_json = 0;

    if (ctx->deny_www) {
        ctx->deny_www->hash = 0;
    }

    return NGX_DECLINED;
}
