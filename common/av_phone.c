/*
 * av_phone.c: E.164 normalization (telesign-protocol.md section 6).
 *
 * Written by hand because no library on the box knows phone numbers
 * (libphonenumber is C++ and far larger than the job): we only need the
 * shape rules Telesign asks for and the list of assigned country codes, not
 * per-country numbering plans.
 */

#include <stddef.h>
#include <string.h>

#include "av_phone.h"


/*
 * ITU-T E.164 country calling codes assigned to geographic areas or
 * countries (ITU-T "List of ITU-T Recommendation E.164 assigned country
 * codes").  Codes are prefix-free, and a 1-, 2- or 3-digit code has a value
 * in 1..9, 10..99 or 100..999 respectively, so one sorted list serves every
 * length.
 *
 * Deliberately absent: the unassigned and spare codes (28x, 83x, 89x, 210,
 * 259, 292-296, 384, 388, 422, 424-429, 671, 684, 693-699, 851, 969, ...),
 * codes with no subscriber numbers behind them (379 Vatican, reserved;
 * 997 Kazakhstan, reserved; 990/991 trial services), and the non-geographic
 * ones a person's mobile phone cannot have: 800 international freephone,
 * 808 shared cost, 870 Inmarsat, 878 UPT, 881 satellite, 882/883
 * international networks, 888 OCHA, 979 premium rate.
 */
static const unsigned short  av_phone_cc[] = {
    1, 7,

    20, 27,
    30, 31, 32, 33, 34, 36, 39,
    40, 41, 43, 44, 45, 46, 47, 48, 49,
    51, 52, 53, 54, 55, 56, 57, 58,
    60, 61, 62, 63, 64, 65, 66,
    81, 82, 84, 86,
    90, 91, 92, 93, 94, 95, 98,

    211, 212, 213, 216, 218,
    220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
    230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
    240, 241, 242, 243, 244, 245, 246, 247, 248, 249,
    250, 251, 252, 253, 254, 255, 256, 257, 258,
    260, 261, 262, 263, 264, 265, 266, 267, 268, 269,
    290, 291, 297, 298, 299,

    350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
    370, 371, 372, 373, 374, 375, 376, 377, 378,
    380, 381, 382, 383, 385, 386, 387, 389,

    420, 421, 423,

    500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
    590, 591, 592, 593, 594, 595, 596, 597, 598, 599,

    670, 672, 673, 674, 675, 676, 677, 678, 679,
    680, 681, 682, 683, 685, 686, 687, 688, 689,
    690, 691, 692,

    850, 852, 853, 855, 856,
    880, 886,

    960, 961, 962, 963, 964, 965, 966, 967, 968,
    970, 971, 972, 973, 974, 975, 976, 977,
    992, 993, 994, 995, 996, 998,
};


/*
 * Countries whose national significant numbers themselves begin with '0',
 * so a '0' after the country code is part of the number, not a trunk
 * prefix: Italy (+39 06 Rome), San Marino (+378 0549), Cote d'Ivoire
 * (+225 07 since 2021), Benin (+229 01 since 2024), Gabon (+241 07) and
 * Congo (+242 06).  Dropping the '0' there would dial someone else.
 */
static const unsigned short  av_phone_keep_zero[] = {
    39, 225, 229, 241, 242, 378
};


static int
av_phone_cc_assigned(unsigned code)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = sizeof(av_phone_cc) / sizeof(av_phone_cc[0]);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (av_phone_cc[mid] == code) {
            return 1;
        }

        if (av_phone_cc[mid] < code) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


static int
av_phone_cc_keeps_zero(const char *digits, size_t cc_len)
{
    size_t    i;
    unsigned  code;

    code = 0;
    for (i = 0; i < cc_len; i++) {
        code = code * 10 + (unsigned) (digits[i] - '0');
    }

    for (i = 0; i < sizeof(av_phone_keep_zero) / sizeof(av_phone_keep_zero[0]);
         i++)
    {
        if (av_phone_keep_zero[i] == code) {
            return 1;
        }
    }

    return 0;
}


size_t
av_phone_country_code_len(const char *digits, size_t len)
{
    size_t    i;
    unsigned  code;

    if (digits == NULL || len == 0 || digits[0] == '0') {
        return 0;
    }

    code = 0;

    for (i = 0; i < len && i < 3; i++) {
        if (digits[i] < '0' || digits[i] > '9') {
            return 0;
        }

        code = code * 10 + (unsigned) (digits[i] - '0');

        if (av_phone_cc_assigned(code)) {
            return i + 1;
        }
    }

    return 0;
}


av_err_t
av_phone_check_country(const char *digits, size_t len,
    const unsigned *allowed, size_t n)
{
    size_t    i, cc;
    unsigned  code;

    if (n == 0) {
        return AV_OK;
    }

    cc = av_phone_country_code_len(digits, len);
    if (cc == 0) {
        return AV_ERR_COUNTRY_NOT_ALLOWED;
    }

    code = 0;

    for (i = 0; i < cc; i++) {
        code = code * 10 + (unsigned) (digits[i] - '0');
    }

    for (i = 0; i < n; i++) {
        if (allowed[i] == code) {
            return AV_OK;
        }
    }

    return AV_ERR_COUNTRY_NOT_ALLOWED;
}


static int
av_phone_is_format(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'
           || c == '/';
}


/*
 * Collects the digits of in, skipping formatting characters.  A '+' is
 * accepted only as the first character that is not a space, and is
 * reported in *plus.  Anything else (letters, other punctuation, NUL,
 * bytes >= 0x80 such as UTF-8 fullwidth or Arabic-Indic digits) refuses
 * the whole input: guessing what a user meant by them is not our job.
 */
static av_err_t
av_phone_digits(const char *in, size_t len, char *buf, size_t *n, int *plus)
{
    size_t  i;
    int     seen;

    *n = 0;
    *plus = 0;
    seen = 0;

    if (in == NULL || len > AV_PHONE_INPUT_MAX) {
        return AV_ERR_INVALID_PHONE;
    }

    for (i = 0; i < len; i++) {

        if (in[i] >= '0' && in[i] <= '9') {
            buf[(*n)++] = in[i];
            seen = 1;
            continue;
        }

        if (in[i] == '+') {
            if (seen) {
                return AV_ERR_INVALID_PHONE;
            }

            *plus = 1;
            seen = 1;
            continue;
        }

        if (!av_phone_is_format(in[i])) {
            return AV_ERR_INVALID_PHONE;
        }

        if (in[i] != ' ') {
            seen = 1;
        }
    }

    return AV_OK;
}


/* The final shape check, shared by both forms. */
static av_err_t
av_phone_finish(const char *digits, size_t n, char out[AV_PHONE_MAX + 1],
    size_t *out_len)
{
    if (n < AV_PHONE_MIN || n > AV_PHONE_MAX) {
        return AV_ERR_INVALID_PHONE;
    }

    memcpy(out, digits, n);
    out[n] = '\0';

    if (out_len) {
        *out_len = n;
    }

    return AV_OK;
}


av_err_t
av_phone_normalize(const char *in, size_t len, char out[AV_PHONE_MAX + 1],
    size_t *out_len)
{
    int        plus;
    char       buf[AV_PHONE_INPUT_MAX];
    size_t     n, cc;
    av_err_t   rc;
    char      *d;

    out[0] = '\0';
    if (out_len) {
        *out_len = 0;
    }

    rc = av_phone_digits(in, len, buf, &n, &plus);
    if (rc != AV_OK) {
        return rc;
    }

    if (n == 0) {
        return AV_ERR_INVALID_PHONE;
    }

    d = buf;

    /* "00" is the international prefix most of the world dials */
    if (!plus && n >= 2 && d[0] == '0' && d[1] == '0') {
        d += 2;
        n -= 2;
    }

    if (n == 0) {
        return AV_ERR_INVALID_PHONE;
    }

    cc = av_phone_country_code_len(d, n);
    if (cc == 0) {
        return AV_ERR_INVALID_COUNTRY;
    }

    /* "+44 (0) 7981 897555": the national trunk '0' copied into an
     * international number; one of them, and only where it is not part of
     * the number itself */
    if (n > cc && d[cc] == '0' && !av_phone_cc_keeps_zero(d, cc)) {
        memmove(d + cc, d + cc + 1, n - cc - 1);
        n--;
    }

    return av_phone_finish(d, n, out, out_len);
}


av_err_t
av_phone_normalize_pair(const char *cc, size_t cc_len, const char *national,
    size_t national_len, char out[AV_PHONE_MAX + 1], size_t *out_len)
{
    int        plus;
    char       ccbuf[AV_PHONE_INPUT_MAX], nbuf[AV_PHONE_INPUT_MAX];
    char       all[2 * AV_PHONE_INPUT_MAX];
    size_t     ccn, nn, ccl;
    av_err_t   rc;
    char      *c, *nat;

    out[0] = '\0';
    if (out_len) {
        *out_len = 0;
    }

    /* anything wrong in the country code field is that field's fault */
    rc = av_phone_digits(cc, cc_len, ccbuf, &ccn, &plus);
    if (rc != AV_OK) {
        return AV_ERR_INVALID_COUNTRY;
    }

    c = ccbuf;
    if (!plus && ccn >= 2 && c[0] == '0' && c[1] == '0') {
        c += 2;
        ccn -= 2;
    }

    ccl = av_phone_country_code_len(c, ccn);
    if (ccl == 0 || ccl != ccn) {
        return AV_ERR_INVALID_COUNTRY;
    }

    rc = av_phone_digits(national, national_len, nbuf, &nn, &plus);
    if (rc != AV_OK) {
        return rc;
    }

    /* the national part carries no '+': that would be a second country
     * code */
    if (plus || nn == 0) {
        return AV_ERR_INVALID_PHONE;
    }

    nat = nbuf;

    if (nat[0] == '0' && !av_phone_cc_keeps_zero(c, ccl)) {
        /* the trunk prefix users dial at home: "07981 897555" */
        nat++;
        nn--;

    } else if (ccl == 1 && c[0] == '1' && nn == 11 && nat[0] == '1') {
        /* NANP's trunk prefix is '1' ("1 310 123 4567"); a NANP national
         * number is 10 digits and never starts with 0 or 1 */
        nat++;
        nn--;
    }

    memcpy(all, c, ccl);
    memcpy(all + ccl, nat, nn);

    return av_phone_finish(all, ccl + nn, out, out_len);
}
