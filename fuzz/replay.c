/*
 * replay.c: a main() that feeds files to LLVMFuzzerTestOneInput, so the
 * checked-in corpora run in "make test" with a plain gcc build (no clang,
 * no libFuzzer).  Arguments are files or directories (one level).
 * Prints "<target>: N inputs replayed" and exits 0, or dies on the first
 * input that breaks an invariant (abort) or crashes.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"


static size_t  replayed;


static int
replay_file(const char *path)
{
    FILE     *f;
    long      size;
    uint8_t  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fprintf(stderr, "replay: %s: cannot size\n", path);
        fclose(f);
        return -1;
    }

    /* an exact-size heap buffer: a read past the end is a real bug */
    buf = malloc(size ? (size_t) size : 1);
    if (buf == NULL || fread(buf, 1, (size_t) size, f) != (size_t) size) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        free(buf);
        fclose(f);
        return -1;
    }

    fclose(f);

    if (getenv("REPLAY_VERBOSE") != NULL) {
        fprintf(stderr, "replay: %s\n", path);
    }

    LLVMFuzzerTestOneInput(buf, (size_t) size);
    free(buf);
    replayed++;

    return 0;
}


int
main(int argc, char **argv)
{
    int             i, rc;
    DIR            *d;
    char            path[4096];
    struct stat     st;
    struct dirent  *e;

    rc = 0;

    for (i = 1; i < argc; i++) {

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }

        if (!S_ISDIR(st.st_mode)) {
            rc |= replay_file(argv[i]) != 0;
            continue;
        }

        d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }

        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);

            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                rc |= replay_file(path) != 0;
            }
        }

        closedir(d);
    }

    printf("%s: %zu inputs replayed%s\n", argv[0], replayed,
           rc ? ", with errors" : "");

    return rc;
}
