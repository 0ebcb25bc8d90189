
/*
 * appverify: "appverify_metrics;", the counters of every appverify_zone in
 * Prometheus's text format (the stub_status model: a content handler that
 * reads shared memory and takes no lock on anyone's hot path).
 *
 * The counters live in each zone's shared memory (av_metrics.h), so every
 * worker's events are in one set and a reload keeps them; the core bumps
 * them and renders them.  This file adds what only nginx can tell, the
 * zone's bytes in use and free (its slab pages) and its records by state
 * (counted by the zone as it stores and frees them), and sends the text.
 */


#include "ngx_http_appverify_module.h"


ngx_int_t
ngx_http_appverify_metrics_handler(ngx_http_request_t *r)
{
    size_t                           size, len;
    u_char                          *buf;
    ngx_int_t                        rc;
    ngx_uint_t                       i, n, s;
    ngx_str_t                        type;
    av_metrics_zone_t               *mz;
    ngx_http_appverify_zone_t      **zones, *zone;
    ngx_http_appverify_main_conf_t  *amcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_appverify_module);

    n = amcf->zones ? amcf->zones->nelts : 0;
    zones = amcf->zones ? amcf->zones->elts : NULL;

    mz = ngx_pcalloc(r->pool, (n ? n : 1) * sizeof(av_metrics_zone_t));
    if (mz == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        zone = zones[i];

        mz[i].zone = (const char *) zone->name;
        mz[i].m = &zone->sh->metrics;

        /* the slab's own count of free pages and the records by state,
         * kept as they change: a copy under the zone's lock, no walk */
        ngx_shmtx_lock(&zone->shpool->mutex);

        mz[i].bytes_free = (uint64_t) zone->shpool->pfree * ngx_pagesize;

        for (s = 0; s <= AV_STATE_BLOCKED; s++) {
            mz[i].records[s] = zone->sh->by_state[s];
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);

        mz[i].have_records = 1;

        mz[i].bytes_used = zone->shm_zone->shm.size - mz[i].bytes_free;
        mz[i].have_bytes = 1;
    }

    size = av_metrics_render_max(n);

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = av_metrics_render(mz, n, (char *) buf, size);
    if (len >= size) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;    /* render_max is wrong */
    }

    ngx_str_set(&type, "text/plain; version=0.0.4; charset=utf-8");

    return ngx_http_appverify_send(r, NGX_HTTP_OK, &type, buf, len);
}
