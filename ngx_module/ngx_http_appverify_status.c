
/*
 * appverify: the status endpoint: the caller's own verification as JSON,
 * found through the session credential (cookie or Bearer).
 */


#include "ngx_http_appverify_module.h"


ngx_int_t
ngx_http_appverify_status_handler(ngx_http_request_t *r)
{
    u_char                          *json;
    size_t                           len, xid_len;
    av_err_t                         err;
    ngx_int_t                        rc;
    ngx_str_t                        type;
    av_record_t                      rec;
    ngx_http_appverify_ctx_t        *ctx;
    ngx_http_appverify_zone_t       *zone;
    ngx_http_appverify_loc_conf_t   *alcf;
    u_char                           xid[AV_XID_MAX + 1];

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_appverify_send_error(r, AV_ERR_METHOD_NOT_ALLOWED,
                                             NULL);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    zone = alcf->zone->data;

    err = ngx_http_appverify_credential(r, alcf, xid, &xid_len);
    if (err != AV_OK) {
        return ngx_http_appverify_send_error(r, err, NULL);
    }

    err = ngx_http_appverify_zone_find(zone, xid, xid_len, &rec);
    if (err != AV_OK) {
        return ngx_http_appverify_send_error(r, err, NULL);
    }

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rec = rec;
    ctx->have_rec = 1;

    json = ngx_pnalloc(r->pool, AV_RECORD_JSON_MAX);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = av_record_json(&rec, (char *) json, AV_RECORD_JSON_MAX);
    if (len == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&type, "application/json");

    return ngx_http_appverify_send(r, NGX_HTTP_OK, &type, json, len);
}
