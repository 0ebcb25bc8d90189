/*
 * av_callback.c: Telesign's status JSON (callbacks and Get Status answers)
 * into a fixed-size av_status_doc_t.
 *
 * The body comes from the network, signed or not, so every member is
 * type-checked and length-checked before it is copied; a wrong type is a
 * malformed body rather than a guess.  Unknown members are ignored so that
 * Telesign can add fields (verify.code_state, additional_info, ...).
 *
 * A member that is null counts as absent: Telesign's servers write every
 * member they have no value for as null (each error answer carries
 * "reference_id": null, "sub_resource": null), so null is how Telesign
 * says "absent", not a wrong type.  It never stands in for a member that
 * is needed: a null status.code or xid is as missing as an absent one.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "av_json.h"

#include "av_callback.h"
#include "av_status.h"


/*
 * The real document nests three levels deep.  jansson recurses once per
 * level when it parses and again when it frees, and only stops at 2048
 * levels; a 16 KiB body of '[' would get there.  Refusing anything deeper
 * than this before jansson sees it keeps an nginx worker's stack out of it.
 */
#define AV_JSON_DEPTH_MAX     32

#define AV_STATUS_CODE_MAX    99999
#define AV_ERROR_CODE_MAX     999999


static int
av_json_depth_ok(const char *s, size_t len)
{
    size_t  i, depth;
    int     in_string, escaped;

    depth = 0;
    in_string = 0;
    escaped = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (escaped) {
                escaped = 0;

            } else if (s[i] == '\\') {
                escaped = 1;

            } else if (s[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (s[i]) {
        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > AV_JSON_DEPTH_MAX) {
                return 0;
            }
            break;

        case '}':
        case ']':
            /* unbalanced input is jansson's to refuse */
            if (depth > 0) {
                depth--;
            }
            break;

        default:
            break;
        }
    }

    return 1;
}


/* Howard Hinnant's days_from_civil: no timegm(), no TZ, no locale. */
static int64_t
av_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t   era;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


static int
av_parse_digits(const char *s, size_t n, unsigned *out)
{
    size_t  i;

    *out = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *out = *out * 10 + (unsigned) (s[i] - '0');
    }

    return 0;
}


int64_t
av_parse_iso8601_ms(const char *s, size_t len)
{
    size_t    i, frac_digits;
    unsigned  year, mon, day, hour, min, sec, ms, oh, om, mdays;
    int64_t   t, off;

    static const unsigned  days_in[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    /* "YYYY-MM-DDTHH:MM:SS" is 19 characters */
    if (s == NULL || len < 20) {
        return -1;
    }

    if (av_parse_digits(s, 4, &year) || s[4] != '-'
        || av_parse_digits(s + 5, 2, &mon) || s[7] != '-'
        || av_parse_digits(s + 8, 2, &day) || s[10] != 'T'
        || av_parse_digits(s + 11, 2, &hour) || s[13] != ':'
        || av_parse_digits(s + 14, 2, &min) || s[16] != ':'
        || av_parse_digits(s + 17, 2, &sec))
    {
        return -1;
    }

    if (year < 1970 || mon < 1 || mon > 12 || hour > 23 || min > 59
        || sec > 59)
    {
        return -1;
    }

    mdays = days_in[mon - 1];
    if (mon == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
        mdays = 29;
    }

    if (day < 1 || day > mdays) {
        return -1;
    }

    i = 19;
    ms = 0;

    /* a fraction of 1 to 9 digits; only milliseconds are kept */
    if (s[i] == '.') {
        i++;
        frac_digits = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (frac_digits < 3) {
                ms = ms * 10 + (unsigned) (s[i] - '0');
            }

            frac_digits++;
            i++;
        }

        if (frac_digits == 0 || frac_digits > 9) {
            return -1;
        }

        for ( /* void */ ; frac_digits < 3; frac_digits++) {
            ms *= 10;
        }
    }

    off = 0;

    if (i < len && s[i] == 'Z') {
        i++;

    } else if (i + 6 <= len && (s[i] == '+' || s[i] == '-')) {
        if (av_parse_digits(s + i + 1, 2, &oh) || s[i + 3] != ':'
            || av_parse_digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
        {
            return -1;
        }

        off = ((int64_t) oh * 60 + om) * 60000;
        if (s[i] == '-') {
            off = -off;
        }

        i += 6;

    } else {
        return -1;
    }

    if (i != len) {
        return -1;
    }

    t = av_days_from_civil(year, mon, day) * 86400000
        + ((int64_t) hour * 3600 + min * 60 + sec) * 1000 + ms;

    /* local time = UTC + offset */
    t -= off;

    return t < 0 ? -1 : t;
}


/*
 * Free text (description) is only ever logged, so it is copied truncated
 * rather than refused, and anything that is not printable ASCII, or would
 * need escaping in JSON or a log line, becomes '?'.
 */
static void
av_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    size_t  i;

    if (len > cap) {
        len = cap;
    }

    for (i = 0; i < len; i++) {
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f && src[i] != '"'
                  && src[i] != '\\') ? src[i] : '?';
    }

    dst[len] = '\0';
}


/* A member, or NULL when it is absent or null (see the top of the file). */
static json_t *
av_get(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}


/* A member that must be absent or a string; returns -1 on a wrong type. */
static int
av_get_string(json_t *obj, const char *key, const char **s, size_t *len)
{
    json_t  *v;

    *s = NULL;
    *len = 0;

    v = av_get(obj, key);
    if (v == NULL) {
        return 0;
    }

    if (!json_is_string(v)) {
        return -1;
    }

    *s = json_string_value(v);
    *len = json_string_length(v);

    return 0;
}


static av_err_t
av_parse_status(json_t *status, av_status_doc_t *doc, const char **msg)
{
    json_t      *v;
    size_t       len;
    int64_t      t;
    const char  *s;
    json_int_t   code;

    v = av_get(status, "code");

    if (v != NULL) {
        if (!json_is_integer(v)) {
            *msg = "status.code is not an integer";
            return AV_ERR_MALFORMED_BODY;
        }

        code = json_integer_value(v);
        if (code < 1 || code > AV_STATUS_CODE_MAX) {
            *msg = "status.code is out of range";
            return AV_ERR_MALFORMED_BODY;
        }

        doc->code = (int) code;
    }

    if (av_get_string(status, "description", &s, &len) != 0) {
        *msg = "status.description is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (s != NULL) {
        av_copy_text(doc->description, AV_DESCRIPTION_MAX, s, len);
    }

    if (av_get_string(status, "updated_on", &s, &len) != 0) {
        *msg = "status.updated_on is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (s != NULL) {
        t = av_parse_iso8601_ms(s, len);
        if (t < 0) {
            *msg = "status.updated_on is not an ISO 8601 UTC time";
            return AV_ERR_MALFORMED_BODY;
        }

        doc->updated_on_ms = t;
    }

    return AV_OK;
}


/*
 * phone_number: digits, possibly formatted ("1-310-123-4567" appears in
 * Telesign's own Get Status example), so formatting is stripped rather
 * than refused.  An empty string is taken as absent: the number is only
 * informational, the record keeps its own.
 */
static av_err_t
av_parse_phone(const char *s, size_t len, av_status_doc_t *doc,
    const char **msg)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (n == AV_PHONE_MAX) {
                *msg = "phone_number is too long";
                return AV_ERR_MALFORMED_BODY;
            }

            doc->phone[n++] = s[i];
            continue;
        }

        if (s[i] != '+' && s[i] != '-' && s[i] != ' ' && s[i] != '.'
            && s[i] != '(' && s[i] != ')')
        {
            *msg = "phone_number is not a phone number";
            return AV_ERR_MALFORMED_BODY;
        }
    }

    if (n == 0 && len != 0) {
        *msg = "phone_number has no digits";
        return AV_ERR_MALFORMED_BODY;
    }

    doc->phone[n] = '\0';

    return AV_OK;
}


static av_err_t
av_parse_errors(json_t *errors, av_status_doc_t *doc, const char **msg)
{
    size_t      i;
    json_t     *e, *v;
    json_int_t  code;

    if (!json_is_array(errors)) {
        *msg = "errors is not an array";
        return AV_ERR_MALFORMED_BODY;
    }

    json_array_foreach(errors, i, e) {

        if (!json_is_object(e)) {
            *msg = "errors[] member is not an object";
            return AV_ERR_MALFORMED_BODY;
        }

        v = json_object_get(e, "code");
        if (v == NULL || !json_is_integer(v)) {
            *msg = "errors[].code is not an integer";
            return AV_ERR_MALFORMED_BODY;
        }

        code = json_integer_value(v);
        if (code < -AV_ERROR_CODE_MAX || code > AV_ERROR_CODE_MAX
            || code == 0)
        {
            *msg = "errors[].code is out of range";
            return AV_ERR_MALFORMED_BODY;
        }

        if (i == 0) {
            doc->error_code = (int) code;
        }
    }

    return AV_OK;
}


static av_err_t
av_parse_doc(json_t *root, av_status_doc_t *doc, int callback,
    const char **msg)
{
    size_t       i, len, mv_len, top_len;
    json_t      *status, *mv, *errors;
    av_err_t     rc;
    const char  *s, *mv_xid, *top_xid;

    if (!json_is_object(root)) {
        *msg = "not a JSON object";
        return AV_ERR_MALFORMED_BODY;
    }

    /* status */

    status = av_get(root, "status");

    if (status != NULL) {
        if (!json_is_object(status)) {
            *msg = "status is not an object";
            return AV_ERR_MALFORMED_BODY;
        }

        rc = av_parse_status(status, doc, msg);
        if (rc != AV_OK) {
            return rc;
        }
    }

    /* errors: checked before status.code is required, since a Get Status
     * answer may carry only errors */

    errors = av_get(root, "errors");

    if (errors != NULL) {
        rc = av_parse_errors(errors, doc, msg);
        if (rc != AV_OK) {
            return rc;
        }
    }

    if (doc->code == 0 && (callback || doc->error_code == 0)) {
        *msg = "status.code is missing";
        return AV_ERR_MALFORMED_BODY;
    }

    /*
     * A callback is the SDK's Verify Transaction Callback and carries the
     * Get Status codes.  Another API's code (the missed call's 2401
     * "Success") or one never heard of is no status to store.  A Get
     * Status document is judged by av_api_answer(), which knows which API
     * it asked.
     */
    if (callback && !av_status_in_api(AV_STATUS_API_SDK, doc->code)) {
        *msg = "status.code is not a code the SDK's callbacks carry";
        return AV_ERR_MALFORMED_BODY;
    }

    /* mobile_verification and xid */

    mv_xid = NULL;
    mv_len = 0;

    mv = av_get(root, "mobile_verification");

    if (mv != NULL) {
        if (!json_is_object(mv)) {
            *msg = "mobile_verification is not an object";
            return AV_ERR_MALFORMED_BODY;
        }

        if (av_get_string(mv, "xid", &mv_xid, &mv_len) != 0) {
            *msg = "mobile_verification.xid is not a string";
            return AV_ERR_MALFORMED_BODY;
        }

        if (av_get_string(mv, "phone_number", &s, &len) != 0) {
            *msg = "mobile_verification.phone_number is not a string";
            return AV_ERR_MALFORMED_BODY;
        }

        if (s != NULL) {
            rc = av_parse_phone(s, len, doc, msg);
            if (rc != AV_OK) {
                return rc;
            }
        }
    }

    if (av_get_string(root, "xid", &top_xid, &top_len) != 0) {
        *msg = "xid is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    /* the documented place wins over the top level */
    if (mv_xid == NULL) {
        mv_xid = top_xid;
        mv_len = top_len;
    }

    if (mv_xid != NULL) {
        /* the length test is ours too: doc->xid must never overflow */
        if (mv_len > AV_XID_MAX || !av_xid_valid(mv_xid, mv_len)) {
            *msg = "xid is not a valid transaction id";
            return AV_ERR_INVALID_XID;
        }

        memcpy(doc->xid, mv_xid, mv_len);
        doc->xid[mv_len] = '\0';

    } else if (callback) {
        *msg = "xid is missing";
        return AV_ERR_MALFORMED_BODY;
    }

    /* reference_id: Telesign's hex transaction id */

    if (av_get_string(root, "reference_id", &s, &len) != 0) {
        *msg = "reference_id is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (s != NULL) {
        if (len > AV_REFERENCE_MAX) {
            *msg = "reference_id is too long";
            return AV_ERR_MALFORMED_BODY;
        }

        for (i = 0; i < len; i++) {
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')
                  || (s[i] >= 'a' && s[i] <= 'z')))
            {
                *msg = "reference_id is not alphanumeric";
                return AV_ERR_MALFORMED_BODY;
            }
        }

        memcpy(doc->reference_id, s, len);
        doc->reference_id[len] = '\0';
    }

    /* sub_resource: a short token such as "voice_auto" */

    if (av_get_string(root, "sub_resource", &s, &len) != 0) {
        *msg = "sub_resource is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (s != NULL) {
        if (len > AV_SUB_RESOURCE_MAX) {
            *msg = "sub_resource is too long";
            return AV_ERR_MALFORMED_BODY;
        }

        for (i = 0; i < len; i++) {
            if (s[i] < 0x21 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\') {
                *msg = "sub_resource has bad characters";
                return AV_ERR_MALFORMED_BODY;
            }
        }

        memcpy(doc->sub_resource, s, len);
        doc->sub_resource[len] = '\0';
    }

    return AV_OK;
}


static av_err_t
av_parse_body(const char *body, size_t len, av_status_doc_t *doc,
    int callback, const char **msg)
{
    json_t        *root;
    av_err_t       rc;
    const char    *dummy;

    if (msg == NULL) {
        msg = &dummy;
    }

    *msg = "ok";
    memset(doc, 0, sizeof(av_status_doc_t));

    if (len > AV_CALLBACK_BODY_MAX) {
        *msg = "body is too large";
        return AV_ERR_BODY_TOO_LARGE;
    }

    if (body == NULL || len == 0) {
        *msg = "body is empty";
        return AV_ERR_MALFORMED_BODY;
    }

    if (!av_json_depth_ok(body, len)) {
        *msg = "JSON is nested too deep";
        return AV_ERR_MALFORMED_BODY;
    }

    /* no JSON_ALLOW_NUL: a "\u0000" inside a string is refused too */
    root = av_json_load(body, len);
    if (root == NULL) {
        av_json_done(NULL);
        *msg = "not JSON, or a duplicate key";
        return AV_ERR_MALFORMED_BODY;
    }

    rc = av_parse_doc(root, doc, callback, msg);

    av_json_done(root);

    if (rc != AV_OK) {
        /* never hand back half a document */
        memset(doc, 0, sizeof(av_status_doc_t));
    }

    return rc;
}


av_err_t
av_callback_parse(const char *body, size_t len, av_status_doc_t *doc,
    const char **msg)
{
    return av_parse_body(body, len, doc, 1, msg);
}


av_err_t
av_status_doc_parse(const char *body, size_t len, av_status_doc_t *doc,
    const char **msg)
{
    return av_parse_body(body, len, doc, 0, msg);
}
