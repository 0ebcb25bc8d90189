/*
 * av_secret.c: reading a secret's file at configuration time; see
 * av_secret.h.
 */

#include "av_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>


av_secret_rc_t
av_secret_read(const char *path, char *buf, size_t cap, size_t *len,
    av_secret_info_t *info)
{
    int             fd;
    size_t          got;
    ssize_t         n;
    struct stat     st;
    av_secret_rc_t  rc;

    info->err = 0;
    info->world_readable = 0;
    info->why = NULL;
    *len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        info->err = errno;
        return AV_SECRET_OPEN;
    }

    rc = AV_SECRET_OK;
    got = 0;

    if (fstat(fd, &st) == -1) {
        info->err = errno;
        rc = AV_SECRET_STAT;
        goto done;
    }

    info->world_readable = (st.st_mode & S_IROTH) != 0;

    /* read() may return less than asked (a pipe, a signal): until EOF */

    while (got < cap) {
        n = read(fd, buf + got, cap - got);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            info->err = errno;
            rc = AV_SECRET_READ;
            av_secret_wipe(buf, got);
            got = 0;
            goto done;
        }

        if (n == 0) {
            break;
        }

        got += (size_t) n;
    }

    *len = got;

done:

    /* nothing was written: a failing close() of it loses nothing */
    (void) close(fd);

    return rc;
}


av_secret_rc_t
av_secret_read_key(av_key_t *key, av_key_file_t kind, const char *path,
    av_secret_info_t *info)
{
    char            buf[AV_KEY_FILE_MAX];
    size_t          len;
    av_secret_rc_t  rc;

    /* the whole buffer is one byte more than a key file may hold */

    rc = av_secret_read(path, buf, sizeof(buf), &len, info);
    if (rc != AV_SECRET_OK) {
        return rc;
    }

    if (len > sizeof(buf) - 1) {
        rc = AV_SECRET_TOO_LARGE;

    } else {
        info->why = av_key_from_file_text(key, kind, buf, len);

        if (info->why) {
            rc = AV_SECRET_CONTENT;
        }
    }

    av_secret_wipe(buf, sizeof(buf));

    return rc;
}


void
av_secret_wipe(void *buf, size_t len)
{
    OPENSSL_cleanse(buf, len);
}
