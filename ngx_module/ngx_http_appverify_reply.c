
/*
 * appverify: what the handlers share to read requests and answer them.
 *
 * Every error answer is decided by the core (av_err_*): the status, the
 * JSON body and its reason code, so the nginx and Apache modules can never
 * disagree.  The gate runs in the access phase, where nginx itself writes
 * the error page; a small header/body filter swaps nginx's HTML for our
 * JSON there unless the operator set an error_page for that status.
 */


#include "ngx_http_appverify_module.h"

#include "av_credential.h"


static ngx_int_t ngx_http_appverify_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_appverify_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_appverify_log_level(av_log_level_t level);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;

static ngx_str_t  ngx_http_appverify_json_type =
    ngx_string("application/json");


ngx_int_t
ngx_http_appverify_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    /* answers about one person's verification are never cacheable */

    h = ngx_http_appverify_push_header(r, "Cache-Control");
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&h->value, "no-store");

    if (r->method == NGX_HTTP_HEAD || len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, body, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* An error answer from a content handler, with its one log line. */

ngx_int_t
ngx_http_appverify_send_error(ngx_http_request_t *r, av_err_t err,
    const char *detail)
{
    av_answer_t  a;

    av_answer_error(&a, err, detail);

    return ngx_http_appverify_send_answer(r, &a);
}


/*
 * What a flow of the core decided, sent as it is: its log line, the
 * record for the variables, the session as the cookie, the body.
 */

ngx_int_t
ngx_http_appverify_send_answer(ngx_http_request_t *r, av_answer_t *a)
{
    ngx_str_t                       type;
    ngx_http_appverify_ctx_t       *ctx;
    ngx_http_appverify_loc_conf_t  *alcf;

    ngx_http_appverify_log_answer(r, a);

    if (a->have_rec) {
        ctx = ngx_http_appverify_get_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->rec = a->rec;
        ctx->have_rec = 1;
    }

    if (a->session_len) {
        alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

        if (ngx_http_appverify_set_cookie(r, alcf, (u_char *) a->session,
                                          a->session_len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    type.data = (u_char *) a->type;
    type.len = ngx_strlen(a->type);

    return ngx_http_appverify_send(r, a->status, &type, (u_char *) a->body,
                                   a->body_len);
}


/* The one log line of a flow's answer, at the level the core chose. */

void
ngx_http_appverify_log_answer(ngx_http_request_t *r, av_answer_t *a)
{
    if (a->level != AV_LOG_NONE) {
        ngx_log_error(ngx_http_appverify_log_level(a->level),
                      r->connection->log, 0, "appverify: %s", a->log);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "appverify: %s", a->log);
    }
}


/* The configuration the core's flows read, from this location's. */

void
ngx_http_appverify_flow_conf(ngx_http_request_t *r, av_flow_conf_t *fc)
{
    ngx_http_appverify_loc_conf_t   *alcf;
    ngx_http_appverify_main_conf_t  *amcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_appverify_module);

    fc->copy = 0;       /* the zone is the store; run.c says when not */
    fc->api_key = amcf->api_key;
    fc->api_key_previous = amcf->api_key_previous;
    fc->customer_id = amcf->customer_id.len
                      ? (const char *) amcf->customer_id.data : NULL;
    fc->session_key = amcf->session_key;
    fc->session_key_previous = amcf->session_key_previous;
    fc->cred_cache = amcf->cred_cache;
    fc->token_lifetime = alcf->token_lifetime;
    fc->session_lifetime = alcf->session_lifetime;
    fc->countries = alcf->countries ? alcf->countries->elts : NULL;
    fc->ncountries = alcf->countries ? alcf->countries->nelts : 0;
    fc->start = alcf->start;
    fc->signature = alcf->signature;
    fc->telesign = (alcf->upstream.len != 0);
    fc->lookup = fc->telesign;
    fc->lookup_interval_ms = alcf->lookup_interval;
    fc->call_timeout_ms = AV_DEFAULT_PROXY_TIMEOUT * 1000;
    fc->attempts = alcf->attempts;
}


/*
 * A refusal from the access phase (logged with the core's answer): returns
 * the status for nginx to finalize with, so that error_page and "satisfy any" work as with
 * auth_basic; the filter below renders it as JSON when no error_page
 * takes it.
 */

ngx_int_t
ngx_http_appverify_deny(ngx_http_request_t *r, av_err_t err)
{
    ngx_uint_t                 status;
    const char                *challenge;
    ngx_table_elt_t           *h;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_appverify_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = av_err_http_status(err);

    ctx->deny = err;
    ctx->deny_json = 1;

    challenge = av_err_challenge(err);

    if (challenge) {
        h = ngx_http_appverify_push_header(r, "WWW-Authenticate");
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->value.data = (u_char *) challenge;
        h->value.len = ngx_strlen(challenge);

        r->headers_out.www_authenticate = h;
        ctx->deny_www = h;
    }

    return status;
}


static ngx_uint_t
ngx_http_appverify_log_level(av_log_level_t level)
{
    /* the core says which; nginx's words for it */

    switch (level) {
    case AV_LOG_ERR:
        return NGX_LOG_ERR;
    case AV_LOG_WARN:
        return NGX_LOG_WARN;
    default:
        return NGX_LOG_INFO;
    }
}


static ngx_int_t
ngx_http_appverify_header_filter(ngx_http_request_t *r)
{
    u_char                     json[AV_ERR_JSON_MAX];
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL
        || !ctx->deny_json
        || ctx->deny_replace
        || r != r->main
        || r->headers_out.status != (ngx_uint_t) av_err_http_status(ctx->deny))
    {
        return ngx_http_next_header_filter(r);
    }

    ctx->deny_replace = 1;

    r->headers_out.content_type = ngx_http_appverify_json_type;
    r->headers_out.content_type_len = ngx_http_appverify_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    r->headers_out.content_length_n = av_err_json(ctx->deny, (char *) json,
                                                  sizeof(json));

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_appverify_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                     len;
    ngx_buf_t                 *b;
    ngx_chain_t                out, *cl;
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL || !ctx->deny_replace) {
        return ngx_http_next_body_filter(r, in);
    }

    /* swallow nginx's HTML error page */

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->deny_sent) {
        return NGX_OK;
    }

    ctx->deny_sent = 1;

    b = ngx_create_temp_buf(r->pool, AV_ERR_JSON_MAX);
    if (b == NULL) {
        return NGX_ERROR;
    }

    len = av_err_json(ctx->deny, (char *) b->pos, AV_ERR_JSON_MAX);
    b->last = b->pos + len;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


ngx_int_t
ngx_http_appverify_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_appverify_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_appverify_body_filter;

    return NGX_OK;
}


/* The request's method in the core's terms. */

av_method_t
ngx_http_appverify_method(ngx_http_request_t *r)
{
    switch (r->method) {
    case NGX_HTTP_GET:
        return AV_METHOD_GET;
    case NGX_HTTP_HEAD:
        return AV_METHOD_HEAD;
    case NGX_HTTP_POST:
        return AV_METHOD_POST;
    default:
        return AV_METHOD_OTHER;
    }
}


/*
 * What an endpoint takes is the core's rule (av_flow_accepts): a request
 * it refuses has its body discarded and is answered here.  Else the body
 * is read into memory, and post_handler runs when it is all there (and
 * must finalize the request).
 */

ngx_int_t
ngx_http_appverify_accept(ngx_http_request_t *r, av_endpoint_t ep,
    ngx_http_client_body_handler_pt post_handler)
{
    av_err_t                        err;
    ngx_int_t                       rc;
    ngx_http_appverify_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    err = av_flow_accepts(ep, ngx_http_appverify_method(r),
                          r->headers_in.content_length_n, alcf->max_body);

    if (err != AV_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_appverify_send_error(r, err, NULL);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, post_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * The body ngx_http_appverify_accept() read, as one piece of memory, held
 * to the endpoint's limit (av_flow_body_max): a chunked body announced no
 * length.  One nginx spooled to a file is larger than
 * client_body_buffer_size, so larger than anything we take.
 */

av_err_t
ngx_http_appverify_body(ngx_http_request_t *r, av_endpoint_t ep,
    ngx_str_t *body)
{
    u_char                         *p;
    size_t                          len;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_appverify_loc_conf_t  *alcf;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return AV_OK;
    }

    if (r->request_body->temp_file) {
        return AV_ERR_BODY_TOO_LARGE;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            return AV_ERR_BODY_TOO_LARGE;
        }

        len += b->last - b->pos;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_appverify_module);

    if (len > av_flow_body_max(ep, alcf->max_body)) {
        return AV_ERR_BODY_TOO_LARGE;
    }

    if (len == 0) {
        return AV_OK;
    }

    if (r->request_body->bufs->next == NULL) {
        body->data = r->request_body->bufs->buf->pos;
        body->len = len;
        return AV_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return AV_ERR_INTERNAL;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {

        /* a chunked body ends with an empty buffer whose pos is NULL, and
         * memcpy() from NULL is undefined even for 0 bytes */
        if (cl->buf->last != cl->buf->pos) {
            p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }

    return AV_OK;
}


/*
 * A response header of ours; the caller sets its value.  From nginx 1.23
 * headers of one name form a list through ->next, which nginx walks (the
 * WWW-Authenticate ones under "satisfy any"): each of ours ends its list.
 */

ngx_table_elt_t *
ngx_http_appverify_push_header(ngx_http_request_t *r, const char *name)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;

    return h;
}


/* The first request header called name (case-insensitive), or NULL. */

ngx_table_elt_t *
ngx_http_appverify_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * The session credential the request sent: "Authorization: Bearer" wins,
 * else the cookie.  1 and *cred when there is one; the core checks it.
 */

ngx_uint_t
ngx_http_appverify_credential(ngx_http_request_t *r,
    ngx_http_appverify_loc_conf_t *alcf, const char **cred, size_t *len)
{
    ngx_table_elt_t  *h;
#if (nginx_version < 1023000)
    ngx_uint_t        i;
    ngx_table_elt_t **cookies;
#endif

    *cred = NULL;
    *len = 0;

    h = r->headers_in.authorization;

    if (h && av_credential_from_bearer((const char *) h->value.data,
                                       h->value.len, cred, len))
    {
        return 1;
    }

#if (nginx_version >= 1023000)

    /* from 1.23 the Cookie headers are a list through ->next */

    for (h = r->headers_in.cookie; h; h = h->next) {
#else
    cookies = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = cookies[i];
#endif
        if (av_credential_from_cookie((const char *) h->value.data,
                                      h->value.len,
                                      (const char *) alcf->cookie_name.data,
                                      alcf->cookie_name.len, cred, len))
        {
            return 1;
        }
    }

    /* none: the core is told so (NULL), whatever a helper left */
    *cred = NULL;
    *len = 0;

    return 0;
}


const char *
ngx_http_appverify_client(ngx_http_request_t *r, u_char *buf)
{
    ngx_cpystrn(buf, r->connection->addr_text.data,
                ngx_min(r->connection->addr_text.len + 1,
                        NGX_HTTP_APPVERIFY_ADDR_LEN));

    return (const char *) buf;
}


ngx_http_appverify_ctx_t *
ngx_http_appverify_get_ctx(ngx_http_request_t *r)
{
    ngx_http_appverify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_appverify_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_appverify_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_appverify_module);
    }

    return ctx;
}


int64_t
ngx_http_appverify_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}
