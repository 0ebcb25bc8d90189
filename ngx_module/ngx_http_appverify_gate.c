
/*
 * appverify: the access-phase gate, appverify_require.
 *
 * The hot path: one HMAC over a few dozen bytes to check the credential,
 * one rbtree lookup under the zone's lock, no JSON, no allocation but the
 * request ctx.  Verified: NGX_OK, with the record in the ctx for the
 * $appverify_* variables.  Otherwise the status for nginx to finalize:
 * 401 without a usable credential or while pending, 403 once failed or
 * blocked (rendered as JSON unless an error_page takes it).
 */


#include "ngx_http_appverify_module.h"


ngx_int_t
ngx_http_appverify_gate_handler(ngx_http_request_t *r)
{
    size_t                          xid_len;
    av_err_t                        err;
    av_record_t                     rec;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;
    u_char                          xid[AV_XID_MAX + 1];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    if (alcf->require_zone == NULL) {
        return NGX_DECLINED;
    }

    err = ngx_http_appverify_credential(r, alcf, xid, &xid_len);
    if (err != AV_OK) {
        return ngx_http_appverify_deny(r, err, NULL);
    }

    err = ngx_http_appverify_zone_find(alcf->require_zone->data, xid, xid_len,
                                       &rec);
    if (err != AV_OK) {
        return ngx_http_appverify_deny(r, err, (const char *) xid);
    }

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rec = rec;
    ctx->have_rec = 1;

    err = av_record_gate(&rec);
    if (err != AV_OK) {
        return ngx_http_appverify_deny(r, err, (const char *) xid);
    }

    return NGX_OK;
}
