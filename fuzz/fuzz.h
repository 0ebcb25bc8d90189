/*
 * fuzz.h: what every fuzz target shares.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput() for one parser of
 * untrusted input in common/ and checks the parser's contract where that
 * is cheap.  It is linked either with libFuzzer (clang -fsanitize=fuzzer,
 * "make fuzz") or with replay.c (gcc, "make test" replays the checked-in
 * corpus), so it uses nothing but the C library and the core.
 */
#ifndef AV_FUZZ_H
#define AV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so that libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n",                \
                    __FILE__, __LINE__, #cond);                             \
            abort();                                                        \
        }                                                                   \
    } while (0)

/*
 * A heap copy of exactly the input bytes, no NUL after them: a parser
 * that reads one byte past its (ptr, len) is then caught by ASan and
 * valgrind instead of finding a convenient terminator.
 */
static inline char *
fuzz_dup(const uint8_t *data, size_t size)
{
    char  *p;

    p = malloc(size ? size : 1);
    FUZZ_ASSERT(p != NULL);

    if (size) {
        memcpy(p, data, size);
    }

    return p;
}

static inline int
fuzz_all_digits(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return 1;
}

/* The whole object is zero: "never hand back half a document". */
static inline int
fuzz_is_zero(const void *p, size_t len)
{
    const unsigned char  *b = p;
    size_t                i;

    for (i = 0; i < len; i++) {
        if (b[i]) {
            return 0;
        }
    }

    return 1;
}

#endif /* AV_FUZZ_H */
