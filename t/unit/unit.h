/*
 * unit.h: the smallest test harness that does the job.
 *
 * Each test_*.c defines its tests as plain functions and calls them from
 * main() through RUN(); checks use CHECK / CHECK_EQ_STR / CHECK_EQ_INT.
 * UNIT_DONE() prints "N passed, N failed" (the line CI reads) and returns
 * the exit status.
 */
#ifndef AV_UNIT_H
#define AV_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;
static const char *unit_current;

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (cond) {                                                         \
            unit_passed++;                                                  \
        } else {                                                            \
            unit_failed++;                                                  \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__,    \
                    unit_current, #cond);                                   \
        }                                                                   \
    } while (0)

#define CHECK_EQ_INT(got, want)                                             \
    do {                                                                    \
        long long g_ = (long long) (got), w_ = (long long) (want);          \
        if (g_ == w_) {                                                     \
            unit_passed++;                                                  \
        } else {                                                            \
            unit_failed++;                                                  \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == %lld, want %lld\n",     \
                    __FILE__, __LINE__, unit_current, #got, g_, w_);        \
        }                                                                   \
    } while (0)

/* got is (ptr, len); want is a C string */
#define CHECK_EQ_MEM(got, got_len, want)                                    \
    do {                                                                    \
        const char *w_ = (want);                                            \
        size_t gl_ = (size_t) (got_len);                                    \
        if (gl_ == strlen(w_) && memcmp((got), w_, gl_) == 0) {             \
            unit_passed++;                                                  \
        } else {                                                            \
            unit_failed++;                                                  \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == \"%.*s\", want \"%s\"\n",\
                    __FILE__, __LINE__, unit_current, #got, (int) gl_,      \
                    (const char *) (got), w_);                              \
        }                                                                   \
    } while (0)

#define CHECK_EQ_STR(got, want)  CHECK_EQ_MEM((got), strlen(got), (want))

#define RUN(fn)  do { unit_current = #fn; fn(); } while (0)

#define UNIT_DONE()                                                         \
    (printf("%s: %d passed, %d failed\n", __FILE__, unit_passed,            \
            unit_failed), unit_failed ? 1 : 0)

#endif /* AV_UNIT_H */
