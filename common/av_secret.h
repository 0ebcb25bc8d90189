/*
 * av_secret.h: reading a secret's file (the API key, the session secret,
 * Redis's password) at configuration time, the same way on both servers.
 *
 * The one place in the core that does I/O, and only at configuration
 * time: nginx reads its key files in the master, httpd in the parent,
 * both before any request, so plain POSIX calls block nothing.  Each
 * server used to read them with its own file API (open, bound, read, wipe
 * written twice); here it is done once, and each server keeps only where
 * the key lives (its allocation and the cleanup that wipes it) and the
 * words of its own messages, which name the file, never its content.
 */
#ifndef AV_SECRET_H
#define AV_SECRET_H

#include <stddef.h>

#include "av_key.h"

typedef enum {
    AV_SECRET_OK = 0,
    AV_SECRET_OPEN,            /* open() failed, errno in err */
    AV_SECRET_STAT,            /* fstat() failed, errno in err */
    AV_SECRET_READ,            /* read() failed, errno in err */
    AV_SECRET_TOO_LARGE,       /* a key file over AV_KEY_FILE_MAX - 1 */
    AV_SECRET_CONTENT          /* not a key of its kind: why says how */
} av_secret_rc_t;

typedef struct {
    int          err;              /* errno of the call that failed */
    int          world_readable;   /* mode has S_IROTH (nginx warns) */
    const char  *why;              /* AV_SECRET_CONTENT: the core's words
                                    * (av_key_from_file_text) */
} av_secret_info_t;

/*
 * Reads the file at path into buf: at most cap bytes, *len of them.  A
 * caller that must tell a file too long passes one byte more than it
 * allows and sees *len above its limit.  On an error nothing of buf is
 * meaningful, and what was read is wiped already.
 */
av_secret_rc_t av_secret_read(const char *path, char *buf, size_t cap,
    size_t *len, av_secret_info_t *info);

/*
 * A key file read into key by av_key_from_file_text's rules for kind
 * (which wipe key when they refuse it); the read buffer is wiped on
 * every path.
 */
av_secret_rc_t av_secret_read_key(av_key_t *key, av_key_file_t kind,
    const char *path, av_secret_info_t *info);

/* Overwrites len bytes in a way the compiler cannot drop as dead. */
void av_secret_wipe(void *buf, size_t len);

#endif /* AV_SECRET_H */
