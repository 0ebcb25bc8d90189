
/*
 * appverify: calls to Telesign, as in-memory subrequests.
 *
 * The auth_request model: the operator names an internal location that
 * proxies to Telesign (lookup=/_telesign, upstream=/_telesign), so
 * timeouts, TLS verification, keepalive and resolvers are plain proxy_*
 * settings and nothing blocks a worker.  The subrequest goes to
 * <that location><API path> with the request the core built and signed
 * (fresh date and nonce each time) and a header list of its own: the
 * client's cookies and Authorization never reach Telesign.
 *
 * The internal location must read the whole answer into memory:
 * subrequest_output_buffer_size must be at least 16k (AV_API_ANSWER_MAX);
 * nginx drops the client connection when an in-memory subrequest's answer
 * does not fit.
 */


#include "ngx_http_appverify_module.h"


static ngx_int_t ngx_http_appverify_upstream_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_appverify_upstream_header(ngx_http_request_t *sr,
    const char *key, const char *value, size_t len, ngx_table_elt_t **ref);


ngx_int_t
ngx_http_appverify_upstream(ngx_http_request_t *r, ngx_str_t *prefix,
    ngx_http_appverify_ctx_t *ctx, ngx_uint_t waited)
{
    u_char                          *p;
    size_t                           len;
    ngx_buf_t                       *b;
    ngx_str_t                        uri;
    ngx_uint_t                       flags, post;
    ngx_chain_t                     *cl;
    av_api_request_t                *api;
    ngx_http_request_t              *sr;
    ngx_http_request_body_t         *rb;
    ngx_http_post_subrequest_t      *ps;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_appverify_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_appverify_module);
    api = &ctx->api;

    if (av_api_sign(api, amcf->api_key, (const char *) amcf->customer_id.data,
                    ngx_time())
        != AV_OK)
    {
        return NGX_ERROR;
    }

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

    flags = NGX_HTTP_SUBREQUEST_IN_MEMORY;
    if (waited) {
        flags |= NGX_HTTP_SUBREQUEST_WAITED;
    }

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps, flags) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * ngx_http_subrequest() copies the parent's headers_in, whose list
     * shares its storage with the parent: start from an empty one.
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 8,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_http_appverify_upstream_header(sr, "Authorization",
                                           api->authorization,
                                           ngx_strlen(api->authorization),
                                           &sr->headers_in.authorization)
        != NGX_OK
        || ngx_http_appverify_upstream_header(sr, "Date", api->date,
                                              ngx_strlen(api->date), NULL)
           != NGX_OK
        || ngx_http_appverify_upstream_header(sr, "x-ts-auth-method",
                                              "HMAC-SHA256", 11, NULL)
           != NGX_OK
        || ngx_http_appverify_upstream_header(sr, "x-ts-nonce", api->nonce,
                                              ngx_strlen(api->nonce), NULL)
           != NGX_OK
        || ngx_http_appverify_upstream_header(sr, "Accept",
                                              "application/json", 16, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    post = (ngx_strcmp(api->method, "POST") == 0);

    /* an empty body of our own, or the subrequest inherits the client's */

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (post) {
        if (ngx_http_appverify_upstream_header(sr, "Content-Type",
                                               api->content_type,
                                               ngx_strlen(api->content_type),
                                               &sr->headers_in.content_type)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

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

        /* the proxy's Content-Length comes from here */
        sr->headers_in.content_length_n = api->body_len;

        sr->method = NGX_HTTP_POST;
        ngx_str_set(&sr->method_name, "POST");

    } else {
        sr->method = NGX_HTTP_GET;
        ngx_str_set(&sr->method_name, "GET");
    }

    sr->request_body = rb;

    /* the parent's variable cache is not the subrequest's */

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    sr->variables = ngx_pcalloc(r->pool, cmcf->variables.nelts
                                         * sizeof(ngx_http_variable_value_t));
    if (sr->variables == NULL) {
        return NGX_ERROR;
    }

    ctx->up_sent = 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "appverify: %s %V", api->method, &uri);

    return NGX_OK;
}


static ngx_int_t
ngx_http_appverify_upstream_header(ngx_http_request_t *sr, const char *key,
    const char *value, size_t len, ngx_table_elt_t **ref)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;

    h->value.len = len;
    h->value.data = ngx_pnalloc(sr->pool, len + 1);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(h->value.data, (u_char *) value, len + 1);

    h->lowcase_key = ngx_pnalloc(sr->pool, h->key.len);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    /* the proxy skips a header by this hash: it must be the real one */
    h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);

    if (ref) {
        *ref = h;
    }

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
 * What Telesign answered, classified by the core; one log line when it
 * was no usable answer.
 */

av_err_t
ngx_http_appverify_upstream_answer(ngx_http_request_t *r,
    ngx_http_appverify_ctx_t *ctx, av_api_answer_t *ans)
{
    av_err_t     rc;
    const char  *msg;

    msg = NULL;

    rc = av_api_answer(ctx->api.call, (int) ctx->up_status,
                       (const char *) ctx->up_body, ctx->up_len, ans, &msg);

    if (rc == AV_ERR_UPSTREAM) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "appverify: telesign %s %s: %s (status %ui)",
                      ctx->api.method, ctx->api.path,
                      msg ? msg : "no usable answer", ctx->up_status);
    }

    return rc;
}
