/*
 * fuzz_iso8601.c: av_parse_iso8601_ms, status.updated_on from Telesign.
 *
 * Invariants: -1 or a non-negative epoch in ms; an accepted time written
 * back as "YYYY-MM-DDTHH:MM:SS.mmmZ" (gmtime_r) parses to the same ms; a
 * "Z" time agrees with timegm() of its fields.
 */

#define _DEFAULT_SOURCE   /* timegm */

#include <time.h>

#include "fuzz.h"
#include "av_callback.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *in, buf[64];
    int         len;
    time_t      secs;
    int64_t     t, t2;
    struct tm   tm;

    in = fuzz_dup(data, size);

    t = av_parse_iso8601_ms(in, size);
    FUZZ_ASSERT(t >= -1);

    if (t >= 0) {
        secs = (time_t) (t / 1000);
        FUZZ_ASSERT(gmtime_r(&secs, &tm) != NULL);

        len = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (t % 1000));
        FUZZ_ASSERT(len > 0 && (size_t) len < sizeof(buf));

        /* years past 9999 cannot be written back in four digits */
        if (tm.tm_year + 1900 <= 9999) {
            t2 = av_parse_iso8601_ms(buf, (size_t) len);
            FUZZ_ASSERT(t2 == t);
        }

        /* with "Z" right after the seconds or fraction: timegm agrees */
        if (in[size - 1] == 'Z') {
            memset(&tm, 0, sizeof(tm));
            tm.tm_year = atoi(in) - 1900;
            tm.tm_mon = (in[5] - '0') * 10 + (in[6] - '0') - 1;
            tm.tm_mday = (in[8] - '0') * 10 + (in[9] - '0');
            tm.tm_hour = (in[11] - '0') * 10 + (in[12] - '0');
            tm.tm_min = (in[14] - '0') * 10 + (in[15] - '0');
            tm.tm_sec = (in[17] - '0') * 10 + (in[18] - '0');
            FUZZ_ASSERT((int64_t) timegm(&tm) == t / 1000);
        }
    }

    free(in);

    return 0;
}
