/*
 * mod_appverify: the flows' state in a Redis that several httpd and nginx
 * nodes share, through hiredis.
 *
 *   AppVerifyRedis host:port [password_file=FILE] [db=N] [prefix=STR]
 *                  [timeout=TIME]
 *
 * A step of a flow runs in the core's rounds (av_rounds.h): what to fetch
 * (one MGET of what the step lacks), the compare-and-set that commits it
 * (EVAL after NOSCRIPT), what each reply means and when another node's
 * change runs the step again are the core's, as for nginx, so that every
 * node reads what every other wrote.  This file only sends each round on
 * the thread's connection and hands the reply back.
 *
 * No lock is held around any of it: each worker thread has its own
 * connection, and Redis runs one script at a time.  So a Redis that
 * stalls holds up only the requests that wait for it, each for at most
 * the timeout (every command's), and static files, or anything else the
 * server does, go on.  Any network error, timeout or unexpected reply is
 * AV_ERR_STORE_UNAVAILABLE (503 store_unavailable), never an empty store:
 * the connection is dropped and the next step connects again.
 * One line per second and child at most says so in the error log, with
 * the host:port and hiredis's words; never the password.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_atomic.h"

#include <errno.h>
#include <hiredis/hiredis.h>

#include "mod_appverify.h"
#include "av_conf.h"
#include "av_redis.h"
#include "av_rounds.h"




typedef struct {
    const char  *host;
    int          port;
    const char  *where;                 /* "host:port", for the log */
    char        *password;              /* NULL: no AUTH */
    size_t       password_len;
    int          db;
    const char  *prefix;
    size_t       prefix_len;
    int64_t      timeout_ms;
    char         sha1[41];              /* of the core's script */
} appverify_redis_conf_t;

/* one for the server, like AppVerifyCache's; NULL: not configured */
static appverify_redis_conf_t  *appverify_redis;

/*
 * The thread's connection.  Worker threads live as long as their child
 * process, so the connection does too; a broken one is freed and made
 * again by the next step.
 */
typedef struct {
    redisContext  *c;
    int            fresh;               /* it worked in this step */
} appverify_redis_conn_t;

static __thread appverify_redis_conn_t  appverify_conn;

/* the second of the last error line, per child */
static apr_uint32_t  appverify_redis_logged;


void
appverify_redis_pre_config(void)
{
    /* a restart reads the configuration again, from scratch */
    appverify_redis = NULL;
}


int
appverify_redis_enabled(void)
{
    return appverify_redis != NULL;
}


/* --- the directive ---------------------------------------------------- */

/* The password, read once here in the parent; messages name the file,
 * never what is in it, and the read buffer is wiped. */

static const char *appverify_redis_refused(cmd_parms *cmd, const char *why,
    const char *val);


static const char *
appverify_redis_password(cmd_parms *cmd, appverify_redis_conf_t *rc,
    const char *arg)
{
    char        *buf;
    apr_size_t   n, len;
    const char  *file, *err, *why;

    /* room for a CRLF, so that a longer file is told */
    err = appverify_secret_read(cmd, arg, AV_REDIS_PASSWORD_MAX + 2, &buf,
                                &n, &file);
    if (err) {
        return err;
    }

    why = av_redis_password_valid(buf, n, &len);

    if (why) {
        err = appverify_redis_refused(cmd, why, file);

    } else {
        rc->password = apr_pmemdup(cmd->pool, buf, len);
        rc->password_len = len;
    }

    appverify_secret_wipe(buf, AV_REDIS_PASSWORD_MAX + 2);

    return err;
}


/* "AppVerifyRedis: invalid timeout ...": the core's words, as elsewhere */

static const char *
appverify_redis_refused(cmd_parms *cmd, const char *why, const char *val)
{
    char  *buf;

    buf = apr_palloc(cmd->temp_pool, AV_CONF_MESSAGE_MAX);
    (void) av_conf_message(buf, AV_CONF_MESSAGE_MAX, why, val, strlen(val));

    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", buf, NULL);
}


const char *
appverify_redis_set(cmd_parms *cmd, int argc, char *const argv[])
{
    int                      i;
    char                    *end;
    long                     v;
    const char              *colon, *why, *val, *err;
    appverify_redis_conf_t  *rc;

    if (argc < 1 || argc > 5) {
        return apr_psprintf(cmd->pool, "%s takes host:port [password_file="
                            "FILE] [db=N] [prefix=STR] [timeout=TIME]",
                            cmd->cmd->name);
    }

    if (appverify_redis) {
        return apr_psprintf(cmd->pool, "%s is duplicate", cmd->cmd->name);
    }

    rc = apr_pcalloc(cmd->pool, sizeof(appverify_redis_conf_t));
    rc->prefix = AV_REDIS_PREFIX_DEFAULT;
    rc->prefix_len = sizeof(AV_REDIS_PREFIX_DEFAULT) - 1;
    rc->timeout_ms = AV_DEFAULT_REDIS_TIMEOUT_MS;

    colon = strrchr(argv[0], ':');
    errno = 0;
    v = colon ? strtol(colon + 1, &end, 10) : 0;

    if (colon == NULL || colon == argv[0] || colon[1] < '0' || colon[1] > '9'
        || *end != '\0' || errno || v < 1 || v > 65535)
    {
        return apr_psprintf(cmd->pool, "%s: invalid address \"%s\": "
                            "expected host:port", cmd->cmd->name, argv[0]);
    }

    rc->host = apr_pstrmemdup(cmd->pool, argv[0], colon - argv[0]);
    rc->port = (int) v;
    rc->where = argv[0];

    for (i = 1; i < argc; i++) {
        val = ap_strchr_c(argv[i], '=');
        if (val == NULL) {
            goto invalid;
        }

        val++;

        if (strncmp(argv[i], "password_file=", 14) == 0) {
            err = appverify_redis_password(cmd, rc, val);
            if (err) {
                return err;
            }

        } else if (strncmp(argv[i], "db=", 3) == 0) {
            why = av_redis_db_valid(val, strlen(val), &rc->db);
            if (why) {
                return appverify_redis_refused(cmd, why, val);
            }

        } else if (strncmp(argv[i], "prefix=", 7) == 0) {
            why = av_redis_prefix_valid(val, strlen(val));
            if (why) {
                return appverify_redis_refused(cmd, why, val);
            }

            rc->prefix = val;
            rc->prefix_len = strlen(val);

        } else if (strncmp(argv[i], "timeout=", 8) == 0) {
            why = av_conf_value(&av_conf_redis_timeout_rule, val,
                                strlen(val), &rc->timeout_ms);
            if (why) {
                return appverify_redis_refused(cmd, why, val);
            }

        } else {
            goto invalid;
        }
    }

    if (av_redis_cas_sha1(rc->sha1) != 0) {
        return apr_psprintf(cmd->pool, "%s: cannot hash the commit script "
                            "(OpenSSL)", cmd->cmd->name);
    }

    appverify_redis = rc;

    return NULL;

invalid:

    return apr_psprintf(cmd->pool, "%s: invalid parameter \"%s\"",
                        cmd->cmd->name, argv[i]);
}


/* --- the connection --------------------------------------------------- */

/* One line a second per child: an outage of Redis must not write one per
 * request. */

static void
appverify_redis_log(request_rec *r, const char *why)
{
    apr_uint32_t  now, last;

    now = (apr_uint32_t) apr_time_sec(apr_time_now());
    last = apr_atomic_read32(&appverify_redis_logged);

    if (last == now
        || apr_atomic_cas32(&appverify_redis_logged, now, last) != last)
    {
        return;
    }

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "appverify: redis %s: %s (store_unavailable; at most one "
                  "such line a second)", appverify_redis->where, why);
}


static void
appverify_redis_drop(void)
{
    if (appverify_conn.c) {
        redisFree(appverify_conn.c);
        appverify_conn.c = NULL;
    }
}


/* AUTH or SELECT: NULL when Redis said +OK, else why not */

static const char *
appverify_redis_setup(request_rec *r, const char *what, const char *arg,
    size_t len)
{
    char        *buf;
    size_t       lens[2];
    const char  *argv[2], *why;
    redisReply  *reply;

    argv[0] = what;
    lens[0] = strlen(what);
    argv[1] = arg;
    lens[1] = len;

    reply = redisCommandArgv(appverify_conn.c, 2, argv, lens);

    buf = apr_palloc(r->pool, AV_ROUNDS_WHY_MAX);
    why = av_rounds_ok(reply, what, buf, AV_ROUNDS_WHY_MAX);

    if (reply) {
        freeReplyObject(reply);
    }

    return why;
}


/* The thread's connection, made: NULL, or why not (it is dropped). */

static const char *
appverify_redis_connect(request_rec *r)
{
    int             n;
    char            db[12];
    const char     *why;
    struct timeval  tv;

    tv.tv_sec = (time_t) (appverify_redis->timeout_ms / 1000);
    tv.tv_usec = (suseconds_t) (appverify_redis->timeout_ms % 1000) * 1000;

    appverify_conn.c = redisConnectWithTimeout(appverify_redis->host,
                                               appverify_redis->port, tv);

    if (appverify_conn.c == NULL || appverify_conn.c->err) {
        why = apr_pstrcat(r->pool, "connect: ", appverify_conn.c
                                                ? appverify_conn.c->errstr
                                                : "out of memory", NULL);
        appverify_redis_drop();
        return why;
    }

    /* every command after this one waits at most as long */
    if (redisSetTimeout(appverify_conn.c, tv) != REDIS_OK) {
        appverify_redis_drop();
        return "connect: cannot set the timeout";
    }

    why = NULL;

    if (appverify_redis->password) {
        why = appverify_redis_setup(r, "AUTH", appverify_redis->password,
                                    appverify_redis->password_len);
    }

    if (why == NULL && appverify_redis->db) {
        n = apr_snprintf(db, sizeof(db), "%d", appverify_redis->db);
        why = appverify_redis_setup(r, "SELECT", db, (size_t) n);
    }

    if (why) {
        appverify_redis_drop();
        return why;
    }

    appverify_conn.fresh = 1;

    return NULL;
}


/* a connection that sat idle may have been closed by a Redis that
 * restarted meanwhile: that, not a timeout, is worth one more try */

static int
appverify_redis_stale(int err, int sys)
{
    return err == REDIS_ERR_EOF
           || (err == REDIS_ERR_IO && (sys == ECONNRESET || sys == EPIPE));
}


/* The round's reply; NULL, with the step failed, when none came. */

static redisReply *
appverify_redis_send(request_rec *r, av_rounds_t *rd)
{
    int          err, sys;
    const char  *why;
    redisReply  *reply;

    if (appverify_conn.c == NULL) {
        why = appverify_redis_connect(r);
        if (why) {
            av_rounds_fail(rd, why);
            return NULL;
        }
    }

    reply = redisCommandArgv(appverify_conn.c, (int) rd->argc, rd->argv,
                             rd->len);

    /* only a read is sent again: a commit whose reply never came may have
     * been applied (the client's retry finds out) */
    if (reply == NULL && !appverify_conn.fresh && rd->read) {
        err = appverify_conn.c->err;
        sys = errno;

        if (appverify_redis_stale(err, sys)) {
            appverify_redis_drop();

            why = appverify_redis_connect(r);
            if (why) {
                av_rounds_fail(rd, why);
                return NULL;
            }

            reply = redisCommandArgv(appverify_conn.c, (int) rd->argc,
                                     rd->argv, rd->len);
        }
    }

    if (reply == NULL) {
        av_rounds_fail(rd, apr_psprintf(r->pool, "%.*s: %s",
                                        (int) rd->len[0], rd->argv[0],
                                        appverify_conn.c->errstr[0]
                                        ? appverify_conn.c->errstr
                                        : "no reply"));
        return NULL;
    }

    /* one round trip made it: the connection works for this step */
    appverify_conn.fresh = 1;

    return reply;
}


/* --- a step of a flow, in the core's rounds (av_rounds.h) -------------- */

/*
 * Runs the step to its answer in *a, blocking on each round: what follows
 * it, AV_NEXT_SEND when Redis could not answer (503 store_unavailable,
 * counted for ep).  x is the step's exchange (NULL: none).
 */

av_next_t
appverify_redis_run(request_rec *r, av_endpoint_t ep,
    av_rounds_step_pt step, void *data, av_exchange_t *x, av_answer_t *a)
{
    unsigned           i;
    redisReply        *reply;
    av_rounds_t       *rd;
    av_rounds_rc_t     rc;
    const av_store_t  *s;

    s = appverify_store(r);
    rd = apr_palloc(r->pool, sizeof(av_rounds_t));

    av_rounds_start(rd, s->ttl_ms, appverify_redis->prefix,
                    appverify_redis->prefix_len, appverify_redis->sha1, x);
    appverify_conn.fresh = 0;

    while ((rc = av_rounds_go(rd, step, data, appverify_now_ms()))
           == AV_ROUNDS_SEND)
    {
        reply = appverify_redis_send(r, rd);
        if (reply == NULL) {
            continue;
        }

        av_rounds_reply(rd, reply);
        freeReplyObject(reply);

        for (i = 0; i < rd->nforeign; i++) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "appverify: redis %s: the value of %s is not one "
                          "of ours: read as absent", appverify_redis->where,
                          rd->foreign[i]);
        }
    }

    if (rc == AV_ROUNDS_DONE) {
        if (rd->conflicts) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "appverify: redis: the step ran again for %u "
                          "changes of other nodes", rd->conflicts);
        }

        av_metrics_add(s->metrics, &rd->snap.metrics);
        *a = rd->a;
        return rd->next;
    }

    /* what comes next on the connection cannot be trusted to match; the
     * line a second is appverify_redis_log's, the answer logs no more */
    appverify_redis_drop();
    appverify_redis_log(r, rd->why);

    av_answer_unavailable(a, appverify_req(r)->stale ? NULL : s->metrics, ep,
                          rd->why, 0);

    return AV_NEXT_SEND;
}
