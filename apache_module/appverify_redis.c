/*
 * mod_appverify: the store the core's transactions (av_store.h) run on,
 * in a Redis that several httpd (and later nginx) nodes share, through
 * hiredis.
 *
 *   AppVerifyRedis host:port [password_file=FILE] [db=N] [prefix=STR]
 *                  [timeout=TIME]
 *
 * What the keys and values look like, and the compare-and-set that
 * commits a transaction, are the core's (av_redis.h), so that every node
 * reads what every other wrote.  This file only moves them: begin makes
 * sure the thread has a connection, read is a GET that keeps the raw
 * value for the commit, commit runs the core's script with EVALSHA (EVAL
 * after NOSCRIPT) and reports a conflict when another node changed an
 * item in between; the core then runs the transaction again.
 *
 * No lock is held around any of it: each worker thread has its own
 * connection, and Redis runs one script at a time.  So a Redis that
 * stalls holds up only the requests that wait for it, each for at most
 * the timeout (every command's), and static files, or anything else the
 * server does, go on.  Any network error, timeout or unexpected reply is
 * AV_ERR_STORE_UNAVAILABLE (503 store_unavailable), never an empty store:
 * the connection is dropped and the next transaction connects again.
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


#define APPVERIFY_REDIS_TIMEOUT       1         /* seconds */


typedef struct {
    const char  *host;
    int          port;
    const char  *where;                 /* "host:port", for the log */
    char        *password;              /* NULL: no AUTH */
    size_t       password_len;
    int          db;
    const char  *prefix;
    size_t       prefix_len;
    int          timeout;               /* seconds */
    char         sha1[41];              /* of the core's script */
} appverify_redis_conf_t;

/* one for the server, like AppVerifyCache's; NULL: not configured */
static appverify_redis_conf_t  *appverify_redis;

/*
 * The thread's connection.  Worker threads live as long as their child
 * process, so the connection does too; a broken one is freed and made
 * again by the next transaction.
 */
typedef struct {
    redisContext  *c;
    int            fresh;               /* connected in this transaction */
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
    int64_t                  sec;
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
    rc->timeout = APPVERIFY_REDIS_TIMEOUT;

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
            why = av_conf_timeout(val, strlen(val), &sec);
            if (why) {
                return appverify_redis_refused(cmd, why, val);
            }

            rc->timeout = (int) sec;

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
appverify_redis_log(request_rec *r, const char *what, const char *why)
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
                  "appverify: redis %s: %s: %s (store_unavailable; at most "
                  "one such line a second)", appverify_redis->where, what,
                  why);
}


static void
appverify_redis_drop(void)
{
    if (appverify_conn.c) {
        redisFree(appverify_conn.c);
        appverify_conn.c = NULL;
    }
}


/* a command's reply; NULL (logged, connection dropped) when none came */

static redisReply *
appverify_redis_call(request_rec *r, const char *what, int argc,
    const char **argv, const size_t *len)
{
    redisReply  *reply;

    reply = redisCommandArgv(appverify_conn.c, argc, argv, len);

    if (reply == NULL) {
        appverify_redis_log(r, what, appverify_conn.c->errstr[0]
                                     ? appverify_conn.c->errstr
                                     : "no reply");
        appverify_redis_drop();
    }

    return reply;
}


/* a reply that is not the one expected: logged, the connection dropped
 * (what comes next on it cannot be trusted to match) */

static void
appverify_redis_unexpected(request_rec *r, const char *what,
    redisReply *reply)
{
    appverify_redis_log(r, what, reply->type == REDIS_REPLY_ERROR
                                 ? apr_pstrmemdup(r->pool, reply->str,
                                                  reply->len)
                                 : "unexpected reply");
    freeReplyObject(reply);
    appverify_redis_drop();
}


static int
appverify_redis_ok(request_rec *r, const char *what, int argc,
    const char **argv, const size_t *len)
{
    redisReply  *reply;

    reply = appverify_redis_call(r, what, argc, argv, len);
    if (reply == NULL) {
        return 0;
    }

    if (reply->type != REDIS_REPLY_STATUS) {
        appverify_redis_unexpected(r, what, reply);
        return 0;
    }

    freeReplyObject(reply);

    return 1;
}


static av_err_t
appverify_redis_connect(request_rec *r)
{
    char            db[12];
    const char     *argv[2];
    size_t          len[2];
    struct timeval  tv;

    tv.tv_sec = appverify_redis->timeout;
    tv.tv_usec = 0;

    appverify_conn.c = redisConnectWithTimeout(appverify_redis->host,
                                               appverify_redis->port, tv);

    if (appverify_conn.c == NULL || appverify_conn.c->err) {
        appverify_redis_log(r, "connect", appverify_conn.c
                                          ? appverify_conn.c->errstr
                                          : "out of memory");
        appverify_redis_drop();
        return AV_ERR_STORE_UNAVAILABLE;
    }

    /* every command after this one waits at most as long */
    if (redisSetTimeout(appverify_conn.c, tv) != REDIS_OK) {
        appverify_redis_log(r, "connect", "cannot set the timeout");
        appverify_redis_drop();
        return AV_ERR_STORE_UNAVAILABLE;
    }

    if (appverify_redis->password) {
        argv[0] = "AUTH";
        len[0] = 4;
        argv[1] = appverify_redis->password;
        len[1] = appverify_redis->password_len;

        if (!appverify_redis_ok(r, "AUTH", 2, argv, len)) {
            return AV_ERR_STORE_UNAVAILABLE;
        }
    }

    if (appverify_redis->db) {
        argv[0] = "SELECT";
        len[0] = 6;
        argv[1] = db;
        len[1] = (size_t) apr_snprintf(db, sizeof(db), "%d",
                                       appverify_redis->db);

        if (!appverify_redis_ok(r, "SELECT", 2, argv, len)) {
            return AV_ERR_STORE_UNAVAILABLE;
        }
    }

    appverify_conn.fresh = 1;

    return AV_OK;
}


/* --- the store the core's transactions run on (av_store.h) ------------ */

static av_err_t
appverify_redis_begin(void *data)
{
    appverify_conn.fresh = 0;

    if (appverify_conn.c == NULL) {
        return appverify_redis_connect(data);
    }

    return AV_OK;
}


static void
appverify_redis_end(void *data)
{
    /* the connection stays for the thread's next transaction */
}


/* a connection that sat idle may have been closed by a Redis that
 * restarted meanwhile: that, not a timeout, is worth one more try */

static int
appverify_redis_stale(int err, int sys)
{
    return err == REDIS_ERR_EOF
           || (err == REDIS_ERR_IO && (sys == ECONNRESET || sys == EPIPE));
}


static av_err_t
appverify_redis_read(void *data, av_item_t *it)
{
    int           rc, err, sys, foreign;
    char          key[AV_REDIS_KEY_MAX + 1];
    size_t        len[2];
    request_rec  *r = data;
    const char   *argv[2];
    redisReply   *reply;

    len[1] = av_redis_key(key, sizeof(key), appverify_redis->prefix,
                          appverify_redis->prefix_len, it);
    if (len[1] == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "appverify: no redis key for \"%s\"", it->key);
        return AV_ERR_INTERNAL;
    }

    argv[0] = "GET";
    len[0] = 3;
    argv[1] = key;

    if (appverify_conn.c == NULL) {
        return AV_ERR_STORE_UNAVAILABLE;
    }

    reply = redisCommandArgv(appverify_conn.c, 2, argv, len);

    if (reply == NULL && !appverify_conn.fresh) {
        err = appverify_conn.c->err;
        sys = errno;

        if (appverify_redis_stale(err, sys)) {
            appverify_redis_drop();

            if (appverify_redis_connect(r) != AV_OK) {
                return AV_ERR_STORE_UNAVAILABLE;
            }

            reply = redisCommandArgv(appverify_conn.c, 2, argv, len);
        }
    }

    if (reply == NULL) {
        appverify_redis_log(r, "GET", appverify_conn.c->errstr[0]
                                      ? appverify_conn.c->errstr
                                      : "no reply");
        appverify_redis_drop();
        return AV_ERR_STORE_UNAVAILABLE;
    }

    /* one round trip made it: the connection works for this transaction */
    appverify_conn.fresh = 1;

    if (reply->type != REDIS_REPLY_NIL && reply->type != REDIS_REPLY_STRING) {
        appverify_redis_unexpected(r, apr_pstrcat(r->pool, "GET ", key,
                                                  NULL), reply);
        return AV_ERR_STORE_UNAVAILABLE;
    }

    /* the core's rules for what Redis holds (av_redis_item_read), as
     * nginx reads them */
    rc = av_redis_item_read(it, reply->type == REDIS_REPLY_STRING
                                ? (const unsigned char *) reply->str : NULL,
                            reply->len, &foreign);

    if (rc != 0) {
        appverify_redis_unexpected(r, apr_pstrcat(r->pool, "GET ", key,
                                                  NULL), reply);
        return AV_ERR_STORE_UNAVAILABLE;
    }

    freeReplyObject(reply);

    if (foreign) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "appverify: redis %s: the value of %s is not one of "
                      "ours: read as absent", appverify_redis->where, key);
    }

    return AV_OK;
}


static av_err_t
appverify_redis_commit(void *data, av_item_t *items, unsigned n,
    int *conflict)
{
    int              script;
    request_rec     *r = data;
    redisReply      *reply;
    av_redis_cas_t  *cas;

    if (appverify_conn.c == NULL) {
        return AV_ERR_STORE_UNAVAILABLE;
    }

    cas = apr_palloc(r->pool, sizeof(av_redis_cas_t));

    for (script = 0; script < 2; script++) {
        if (av_redis_cas_build(cas, appverify_redis->sha1, script,
                               appverify_redis->prefix,
                               appverify_redis->prefix_len, items, n,
                               appverify_now_ms()) != 0)
        {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "appverify: cannot build the redis commit");
            return AV_ERR_INTERNAL;
        }

        /* a commit whose reply never came may have been applied or not;
         * the client's retry finds out */
        reply = appverify_redis_call(r, "commit", (int) cas->argc,
                                     cas->argv, cas->len);
        if (reply == NULL) {
            return AV_ERR_STORE_UNAVAILABLE;
        }

        /* a Redis that restarted, or flushed its scripts, has not the
         * script yet: EVAL gives it the text (and caches it) */
        if (script == 0 && reply->type == REDIS_REPLY_ERROR
            && strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            freeReplyObject(reply);
            continue;
        }

        break;
    }

    if (reply->type != REDIS_REPLY_INTEGER
        || (reply->integer != AV_REDIS_CAS_OK
            && reply->integer != AV_REDIS_CAS_CONFLICT))
    {
        appverify_redis_unexpected(r, "commit", reply);
        return AV_ERR_STORE_UNAVAILABLE;
    }

    *conflict = reply->integer == AV_REDIS_CAS_CONFLICT;
    freeReplyObject(reply);

    if (*conflict) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "appverify: redis commit found an item changed by "
                      "another node meanwhile: the core runs it again");
    }

    return AV_OK;
}


void
appverify_redis_store(request_rec *r, av_store_t *s)
{
    s->data = r;
    s->begin = appverify_redis_begin;
    s->read = appverify_redis_read;
    s->commit = appverify_redis_commit;
    s->end = appverify_redis_end;
}
