/*
 * av_start.c: the rules for starting a verification; see av_start.h.
 */
#include "av_start.h"

#include <stdio.h>
#include <string.h>


static void
av_bucket_name(av_bucket_t *b, char kind, const char *id, size_t len,
    const av_limit_t *limit)
{
    /* an id too long for the key is cut: a client address never is */
    if (len > AV_BUCKET_KEY_MAX - 2) {
        len = AV_BUCKET_KEY_MAX - 2;
    }

    memset(b, 0, sizeof(av_bucket_t));
    snprintf(b->key, sizeof(b->key), "%c:%.*s", kind, (int) len, id);
    b->rate = limit->rate;
    b->burst = limit->burst;
}


void
av_start_init(av_start_t *st, const av_record_t *rec,
    const av_start_conf_t *conf, const char *client)
{
    size_t  len;

    memset(st, 0, sizeof(av_start_t));

    av_bucket_name(&st->bucket[st->n++], 'p', rec->phone, strlen(rec->phone),
                   &conf->phone);

    if (conf->client.rate && client && client[0]) {
        av_bucket_name(&st->bucket[st->n++], 'c', client, strlen(client),
                       &conf->client);
    }

    if (conf->prefix.rate) {
        len = strlen(rec->phone);
        if (conf->prefix_digits < len) {
            len = conf->prefix_digits;
        }

        av_bucket_name(&st->bucket[st->n++], 'n', rec->phone, len,
                       &conf->prefix);
    }
}


/* how long a bucket can still say no: the time it takes to drain */

static int64_t
av_bucket_drain_ms(const av_bucket_t *b)
{
    if (b->rate == 0) {
        return 1000;
    }

    return ((int64_t) (b->burst + 1) * 1000 / b->rate + 1) * 1000;
}


av_err_t
av_start_decide(av_start_t *st, const av_record_t *rec,
    const av_start_conf_t *conf, int64_t now_ms)
{
    unsigned      i;
    av_rate_t     state[AV_BUCKETS_MAX];
    av_bucket_t  *b;

    static const char  *why[] = {
        "phone over its rate", "client address over its rate",
        "number prefix over its rate"
    };

    st->why = NULL;
    st->limited = 0;

    if (st->have_last
        && av_record_is_running(&st->last, now_ms, conf->pending_ms))
    {
        st->why = "a verification for the phone is still running";
        return AV_ERR_DUPLICATE;
    }

    if (st->xid_taken) {
        st->why = "the xid is in use";
        return AV_ERR_XID_IN_USE;
    }

    /* on copies: a bucket that says no leaves every one as it was */

    for (i = 0; i < st->n; i++) {
        b = &st->bucket[i];

        if (b->found) {
            state[i] = b->state;

        } else {
            memset(&state[i], 0, sizeof(av_rate_t));
        }

        if (av_rate_take(&state[i], now_ms, b->rate, b->burst) != AV_OK) {
            st->why = why[b->key[0] == 'p' ? 0 : b->key[0] == 'c' ? 1 : 2];
            st->limited = b->key[0];
            return AV_ERR_RATE_LIMITED;
        }
    }

    for (i = 0; i < st->n; i++) {
        b = &st->bucket[i];
        b->state = state[i];
        b->keep_ms = av_bucket_drain_ms(b);
    }

    /* the phone's bucket names its latest xid for the duplicate rule, so
     * it lives at least as long as that rule can say no */

    b = &st->bucket[0];
    snprintf(b->xid, sizeof(b->xid), "%s", rec->xid);

    if (b->keep_ms < conf->pending_ms) {
        b->keep_ms = conf->pending_ms;
    }

    return AV_OK;
}
