
/*
 * appverify: calls to Telesign, as in-memory subrequests.
 *
 * The auth_request model: the operator names an internal location that
 * proxies to Telesign (lookup=/_telesign, upstream=/_telesign), so
 * timeouts, TLS verification, keepalive and resolvers are plain proxy_*
 * settings and nothing blocks a worker.  The subrequest goes to
 * <that location><API path> with the request the core built and signed
 * (fresh date and nonce each time).  The location sends it with
 * "include appverify_params;": proxy_pass_request_headers off, so the
 * client's cookies and Authorization never reach Telesign, and the method
 * and signed headers from the $appverify_telesign_* variables below.  The
 * module rewrites none of the subrequest's internals, so this holds on
 * every nginx version; a location without the include is detected on its
 * first call and logged.
 *
 * The internal location must read the whole answer into memory:
 * subrequest_output_buffer_size must be at least 16k (AV_API_ANSWER_MAX);
 * nginx drops the client connection when an in-memory subrequest's answer
 * does not fit.
 */


#include "ngx_http_appverify_module.h"


static ngx_int_t ngx_http_appverify_upstream_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);


ngx_int_t
ngx_http_appverify_upstream(ngx_http_request_t *r, ngx_str_t *prefix,
    ngx_http_appverify_ctx_t *ctx)
{
    u_char                          *p;
    size_t                           len;
    ngx_buf_t                       *b;
    ngx_str_t                        uri;
    ngx_chain_t                     *cl;
    av_api_request_t                *api;
    ngx_http_request_t              *sr;
    ngx_http_request_body_t         *rb;
    ngx_http_post_subrequest_t      *ps;

    api = &ctx->x.req;      /* built and signed by the core */

    len = ngx_strlen(api->path);

    uri.len = prefix->len + len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    /* "/_telesign/" + "/v1/..." is one slash too many */

    if (prefix->len && prefix->data[prefix->len - 1] == '/') {
        uri.len--;
        p = ngx_cpymem(uri.data, prefix->data, prefix->len - 1);

    } else {
        p = ngx_cpymem(uri.data, prefix->data, prefix->len);
    }

    ngx_memcpy(p, api->path, len);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_appverify_upstream_done;
    ps->data = ctx;

    ctx->up_done = 0;
    ctx->up_status = 0;
    ctx->up_body = NULL;
    ctx->up_len = 0;

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * Nothing of the subrequest's internals is rewritten: the internal
     * location sends the signed headers from $appverify_telesign_*
     * (conf/appverify_params), which read ctx->x.req through ctx->up_sr.
     * Only the body is ours, as auth_request gives its subrequest one:
     * an empty one for GET, or the subrequest would inherit the client's.
     */

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (ngx_strcmp(api->method, "POST") == 0) {
        b = ngx_create_temp_buf(r->pool, api->body_len);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->last = ngx_cpymem(b->last, api->body, api->body_len);
        cl->buf = b;
        cl->next = NULL;
        rb->bufs = cl;
        rb->buf = b;
    }

    sr->request_body = rb;

    ctx->up_sr = sr;
    ctx->up_signed = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "appverify: %s %V", api->method, &uri);

    return NGX_OK;
}


/* Runs when the subrequest ends, possibly twice: record the first. */

static ngx_int_t
ngx_http_appverify_upstream_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_appverify_ctx_t  *ctx = data;

    if (ctx->up_done) {
        return NGX_OK;
    }

    ctx->up_done = 1;

    /* status 0: nginx produced the error itself (refused, timed out) */

    ctx->up_status = (rc == NGX_OK || rc == NGX_DONE)
                     ? sr->headers_out.status : 0;

    if (!ctx->up_signed) {

        /* whatever came back answers a request Telesign could not trust */

        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "appverify: the location of \"%V\" sent no "
                      "$appverify_telesign_authorization: add "
                      "\"include appverify_params;\" to it", &sr->uri);
        ctx->up_status = 0;
    }

    if (sr->out && sr->out->buf) {
        ctx->up_body = sr->out->buf->pos;
        ctx->up_len = sr->out->buf->last - sr->out->buf->pos;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "appverify: telesign answered rc:%i status:%ui len:%uz",
                   rc, ctx->up_status, ctx->up_len);

    /* NGX_OK: no error page for the subrequest; the parent decides */
    return NGX_OK;
}


/*
 * $appverify_telesign_*: the signed request's method and headers, for
 * the subrequest this module started (conf/appverify_params sends them).
 * Empty anywhere else, so an operator's other locations see nothing.
 */

ngx_int_t
ngx_http_appverify_telesign_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    const char                *s;
    av_api_request_t          *api;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = (r->parent == NULL) ? NULL
          : ngx_http_get_module_ctx(r->parent, ngx_http_appverify_module);

    if (ctx == NULL || ctx->up_sr != r || ctx->up_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    api = &ctx->x.req;

    switch (data) {

    case NGX_HTTP_APPVERIFY_TS_METHOD:
        s = api->method;
        break;

    case NGX_HTTP_APPVERIFY_TS_AUTHORIZATION:
        ctx->up_signed = 1;
        s = api->authorization;
        break;

    case NGX_HTTP_APPVERIFY_TS_DATE:
        s = api->date;
        break;

    case NGX_HTTP_APPVERIFY_TS_NONCE:
        s = api->nonce;
        break;

    case NGX_HTTP_APPVERIFY_TS_CONTENT_TYPE:
        s = api->content_type;
        break;

    default: /* NGX_HTTP_APPVERIFY_TS_CONTENT_LENGTH */

        if (ngx_strcmp(api->method, "POST") != 0) {
            s = "";
            break;
        }

        p = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%uz", api->body_len) - p;
        goto found;
    }

    /* an empty value: proxy_set_header then sends no such header */

    v->data = (u_char *) s;
    v->len = ngx_strlen(s);

found:

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
