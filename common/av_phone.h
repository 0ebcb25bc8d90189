/*
 * av_phone.h: E.164 normalization (telesign-protocol.md section 6).
 *
 * Output is E.164 digits without '+': 8 to 15 digits, starting with a
 * country calling code that ITU has assigned.  Input forms accepted:
 *   one string:  "+1 (310) 123-4567", "0044 7981 897555", "13101234567"
 *   a pair:      country code "+44" / "0044" / "44", national "07981 897555"
 * Formatting characters ( space - . ( ) / ) are stripped; '+' only at the
 * start; "00" at the start is the international prefix; in a pair, a
 * national number starting with the trunk prefix '0' loses it, and so does
 * a single string whose country code is followed by a '0' (44 0 7981...).
 * Letters, other punctuation, non-ASCII digits, bad lengths and unassigned
 * country codes are refused.
 */
#ifndef AV_PHONE_H
#define AV_PHONE_H

#include <stddef.h>
#include "av_error.h"

#define AV_PHONE_MAX  15        /* digits */
#define AV_PHONE_MIN  8
#define AV_PHONE_INPUT_MAX 64   /* longer input is refused unread */

/* Returns AV_OK, AV_ERR_INVALID_PHONE or AV_ERR_INVALID_COUNTRY.  out gets
 * the digits and a NUL; *out_len their count. */
av_err_t av_phone_normalize(const char *in, size_t len,
    char out[AV_PHONE_MAX + 1], size_t *out_len);

av_err_t av_phone_normalize_pair(const char *cc, size_t cc_len,
    const char *national, size_t national_len,
    char out[AV_PHONE_MAX + 1], size_t *out_len);

/* Length (1..3) of the assigned country code that digits start with, or 0. */
size_t av_phone_country_code_len(const char *digits, size_t len);

/*
 * Toll-fraud guard: a normalized number's country calling code must be one
 * of allowed[0..n-1] (numeric codes: 1, 44, 225, ...).  Compared on the
 * number's own assigned code, so 44 admits +44 numbers only and 1 admits
 * the whole North American plan.  n == 0 allows every country.
 * AV_OK or AV_ERR_COUNTRY_NOT_ALLOWED.
 */
av_err_t av_phone_check_country(const char *digits, size_t len,
    const unsigned *allowed, size_t n);

#endif /* AV_PHONE_H */
