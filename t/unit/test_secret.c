/*
 * test_secret.c: reading a secret's file at configuration time
 * (av_secret.h), the reader both servers' key and password directives
 * use: what it reads, where it stops, and what it says when it cannot.
 */

#include "unit.h"
#include "av_secret.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


static char  dir[] = "/tmp/av-test-secret-XXXXXX";


/* a file of len bytes of text (repeated) in dir, with mode; its path */
static const char *
file_of(const char *name, const char *text, size_t len, mode_t mode)
{
    static char  path[256];
    FILE        *f;
    size_t       i, n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");

    n = strlen(text);
    for (i = 0; i < len; i++) {
        fputc(text[n ? i % n : 0], f);
    }

    fclose(f);
    chmod(path, mode);

    return path;
}


static void
reads_what_the_file_holds_up_to_cap(void)
{
    char              buf[16];
    size_t            len;
    const char       *path;
    av_secret_info_t  info;

    path = file_of("ten", "0123456789", 10, 0600);

    /* a cap one over what the caller allows: *len above it is "too long" */
    CHECK_EQ_INT(av_secret_read(path, buf, 11, &len, &info), AV_SECRET_OK);
    CHECK_EQ_MEM(buf, len, "0123456789");
    CHECK_EQ_INT(info.world_readable, 0);

    CHECK_EQ_INT(av_secret_read(path, buf, 10, &len, &info), AV_SECRET_OK);
    CHECK_EQ_INT(len, 10);

    CHECK_EQ_INT(av_secret_read(path, buf, 5, &len, &info), AV_SECRET_OK);
    CHECK_EQ_MEM(buf, len, "01234");

    path = file_of("empty", "", 0, 0600);
    CHECK_EQ_INT(av_secret_read(path, buf, 11, &len, &info), AV_SECRET_OK);
    CHECK_EQ_INT(len, 0);
}


static void
says_which_call_failed_with_its_errno(void)
{
    char              buf[16], path[256];
    size_t            len;
    av_key_t          key;
    av_secret_info_t  info;

    snprintf(path, sizeof(path), "%s/no-such", dir);
    len = 7;
    CHECK_EQ_INT(av_secret_read(path, buf, sizeof(buf), &len, &info),
                 AV_SECRET_OPEN);
    CHECK_EQ_INT(info.err, ENOENT);
    CHECK_EQ_INT(len, 0);

    /* a directory opens, and its read() fails */
    CHECK_EQ_INT(av_secret_read(dir, buf, sizeof(buf), &len, &info),
                 AV_SECRET_READ);
    CHECK_EQ_INT(info.err, EISDIR);
    CHECK_EQ_INT(len, 0);

    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_API, path, &info),
                 AV_SECRET_OPEN);
    CHECK_EQ_INT(info.err, ENOENT);
}


/* nginx warns about a key that every user can read: fstat() tells */
static void
tells_a_file_every_user_can_read(void)
{
    char              buf[16];
    size_t            len;
    const char       *path;
    av_secret_info_t  info;

    path = file_of("open", "x", 1, 0644);
    CHECK_EQ_INT(av_secret_read(path, buf, sizeof(buf), &len, &info),
                 AV_SECRET_OK);
    CHECK_EQ_INT(info.world_readable, 1);

    path = file_of("group", "x", 1, 0640);
    CHECK_EQ_INT(av_secret_read(path, buf, sizeof(buf), &len, &info),
                 AV_SECRET_OK);
    CHECK_EQ_INT(info.world_readable, 0);
}


#define API_KEY  "EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYld" \
                 "PJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw==\n"

static void
a_key_file_by_the_key_rules(void)
{
    char              text[AV_KEY_FILE_MAX + 1];
    av_key_t          key;
    const char       *path;
    av_secret_info_t  info;

    path = file_of("api.key", API_KEY, sizeof(API_KEY) - 1, 0600);
    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_API, path, &info),
                 AV_SECRET_OK);
    CHECK_EQ_INT(key.len, 61);
    CHECK(info.why == NULL);

    /* the content rule's own words, for the message naming the file */
    path = file_of("bad.key", "not base64 at all\n", 18, 0600);
    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_API, path, &info),
                 AV_SECRET_CONTENT);
    CHECK_EQ_STR(info.why,
                 "does not hold a base64 API key of at least 16 bytes");
    CHECK_EQ_INT(key.len, 0);

    path = file_of("short.key", "too short\n", 10, 0600);
    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_SESSION, path, &info),
                 AV_SECRET_CONTENT);
    CHECK_EQ_STR(info.why, "must hold 32 to 256 bytes");

    /* AV_KEY_FILE_MAX - 1 bytes is the most a key file holds: 32 bytes
     * of secret and the rest newlines an editor left is still a key */
    memset(text, '\n', sizeof(text));
    memcpy(text, "0123456789abcdef0123456789abcdef", 32);

    path = file_of("max.key", "", 0, 0600);
    {
        FILE  *f = fopen(path, "w");
        fwrite(text, 1, AV_KEY_FILE_MAX - 1, f);
        fclose(f);
    }
    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_SESSION, path, &info),
                 AV_SECRET_OK);
    CHECK_EQ_INT(key.len, 32);

    {
        FILE  *f = fopen(path, "w");
        fwrite(text, 1, AV_KEY_FILE_MAX, f);
        fclose(f);
    }
    CHECK_EQ_INT(av_secret_read_key(&key, AV_KEY_FILE_SESSION, path, &info),
                 AV_SECRET_TOO_LARGE);
}


static void
wipe_clears_every_byte(void)
{
    size_t  i;
    char    buf[64];
    int     zero;

    memset(buf, 'k', sizeof(buf));
    av_secret_wipe(buf, sizeof(buf));

    zero = 1;
    for (i = 0; i < sizeof(buf); i++) {
        zero &= (buf[i] == 0);
    }

    CHECK(zero);
}


int
main(void)
{
    int   rc;
    char  cmd[64];

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    RUN(reads_what_the_file_holds_up_to_cap);
    RUN(says_which_call_failed_with_its_errno);
    RUN(tells_a_file_every_user_can_read);
    RUN(a_key_file_by_the_key_rules);
    RUN(wipe_clears_every_byte);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    rc = system(cmd);
    (void) rc;

    return UNIT_DONE();
}
