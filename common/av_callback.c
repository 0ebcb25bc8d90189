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

#include "av_json_scan.h"

#include "av_callback.h"
#include "av_status.h"


#define AV_STATUS_CODE_MAX    99999
#define AV_ERROR_CODE_MAX     999999


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


/*
 * The document is read in one pass (av_json_scan): each member we know is
 * noted as absent, of the wrong type or set (its value checked and copied
 * as it comes, since a string lives only as long as its callback), and
 * judged after the pass in a fixed order, so that a body with several
 * faults is refused for the same one whatever order its members came in.
 */

/* the places of the members we read: the tags of their objects and arrays */
enum {
    AV_AT_TOP = 0,              /* the document itself */
    AV_AT_ROOT,                 /* the document's object */
    AV_AT_STATUS,
    AV_AT_ERRORS,
    AV_AT_ERROR,                /* an object in errors[] */
    AV_AT_MV,                   /* mobile_verification */
    AV_AT_OTHER                 /* anything we do not read */
};

/* A member that is null counts as absent (see the top of the file). */
typedef enum {
    AV_M_ABSENT = 0,
    AV_M_WRONG,                 /* of the wrong type */
    AV_M_SET
} av_member_t;

typedef struct {
    av_status_doc_t  *doc;
    int               object;           /* the document is an object */

    av_member_t       status, code, description, updated_on;
    long long         code_value;
    int64_t           updated_on_ms;

    av_member_t       errors;
    const char       *errors_msg;       /* the first errors[] member's fault */
    av_member_t       error_code;       /* of the errors[] member being read */
    long long         error_code_value;
    size_t            error_index;

    av_member_t       mv, mv_xid, phone;
    av_err_t          phone_rc;
    const char       *phone_msg;

    av_member_t       xid, reference_id, sub_resource;
    const char       *reference_msg, *sub_resource_msg;

    /* the xids as they came, one byte over the limit to see a longer one */
    size_t            mv_xid_len, xid_len;
    char              mv_xid_s[AV_XID_MAX + 1];
    char              xid_s[AV_XID_MAX + 1];
} av_doc_scan_t;


#define av_key_is(key, len, name)                                         \
    ((len) == sizeof(name) - 1 && memcmp(key, name, sizeof(name) - 1) == 0)


/* how a member that must be a string (or absent) was given */
static av_member_t
av_string_member(const av_jv_t *v)
{
    return v->type == AV_JV_NULL ? AV_M_ABSENT
           : v->type == AV_JV_STRING ? AV_M_SET : AV_M_WRONG;
}


/* an xid as it came: at most one byte over the limit is kept */
static void
av_keep_xid(char *dst, size_t *dst_len, const av_jv_t *v)
{
    size_t  n;

    n = v->len < AV_XID_MAX + 1 ? v->len : AV_XID_MAX + 1;
    memcpy(dst, v->s, n);
    *dst_len = v->len;
}


/* reference_id: Telesign's hex transaction id */
static const char *
av_keep_reference(av_status_doc_t *doc, const av_jv_t *v)
{
    size_t  i;

    if (v->len > AV_REFERENCE_MAX) {
        return "reference_id is too long";
    }

    for (i = 0; i < v->len; i++) {
        if (!((v->s[i] >= '0' && v->s[i] <= '9')
              || (v->s[i] >= 'A' && v->s[i] <= 'Z')
              || (v->s[i] >= 'a' && v->s[i] <= 'z')))
        {
            return "reference_id is not alphanumeric";
        }
    }

    memcpy(doc->reference_id, v->s, v->len);
    doc->reference_id[v->len] = '\0';

    return NULL;
}


/* sub_resource: a short token such as "voice_auto" */
static const char *
av_keep_sub_resource(av_status_doc_t *doc, const av_jv_t *v)
{
    size_t  i;

    if (v->len > AV_SUB_RESOURCE_MAX) {
        return "sub_resource is too long";
    }

    for (i = 0; i < v->len; i++) {
        if (v->s[i] < 0x21 || v->s[i] >= 0x7f || v->s[i] == '"'
            || v->s[i] == '\\')
        {
            return "sub_resource has bad characters";
        }
    }

    memcpy(doc->sub_resource, v->s, v->len);
    doc->sub_resource[v->len] = '\0';

    return NULL;
}


/* objects and arrays we do not read still carry a tag: their members' */
static int
av_other(const av_jv_t *v)
{
    return (v->type == AV_JV_OBJECT || v->type == AV_JV_ARRAY)
           ? AV_AT_OTHER : 0;
}


static int
av_root_member(av_doc_scan_t *ds, const char *key, size_t len,
    const av_jv_t *v)
{
    if (av_key_is(key, len, "status")) {
        ds->status = v->type == AV_JV_NULL ? AV_M_ABSENT
                     : v->type == AV_JV_OBJECT ? AV_M_SET : AV_M_WRONG;
        return ds->status == AV_M_SET ? AV_AT_STATUS : av_other(v);
    }

    if (av_key_is(key, len, "errors")) {
        ds->errors = v->type == AV_JV_NULL ? AV_M_ABSENT
                     : v->type == AV_JV_ARRAY ? AV_M_SET : AV_M_WRONG;
        return ds->errors == AV_M_SET ? AV_AT_ERRORS : av_other(v);
    }

    if (av_key_is(key, len, "mobile_verification")) {
        ds->mv = v->type == AV_JV_NULL ? AV_M_ABSENT
                 : v->type == AV_JV_OBJECT ? AV_M_SET : AV_M_WRONG;
        return ds->mv == AV_M_SET ? AV_AT_MV : av_other(v);
    }

    if (av_key_is(key, len, "xid")) {
        ds->xid = av_string_member(v);
        if (ds->xid == AV_M_SET) {
            av_keep_xid(ds->xid_s, &ds->xid_len, v);
        }

    } else if (av_key_is(key, len, "reference_id")) {
        ds->reference_id = av_string_member(v);
        if (ds->reference_id == AV_M_SET) {
            ds->reference_msg = av_keep_reference(ds->doc, v);
        }

    } else if (av_key_is(key, len, "sub_resource")) {
        ds->sub_resource = av_string_member(v);
        if (ds->sub_resource == AV_M_SET) {
            ds->sub_resource_msg = av_keep_sub_resource(ds->doc, v);
        }
    }

    return av_other(v);
}


static void
av_status_member(av_doc_scan_t *ds, const char *key, size_t len,
    const av_jv_t *v)
{
    if (av_key_is(key, len, "code")) {
        ds->code = v->type == AV_JV_NULL ? AV_M_ABSENT
                   : v->type == AV_JV_INTEGER ? AV_M_SET : AV_M_WRONG;
        ds->code_value = v->n;

    } else if (av_key_is(key, len, "description")) {
        ds->description = av_string_member(v);
        if (ds->description == AV_M_SET) {
            av_copy_text(ds->doc->description, AV_DESCRIPTION_MAX, v->s,
                         v->len);
        }

    } else if (av_key_is(key, len, "updated_on")) {
        ds->updated_on = av_string_member(v);
        if (ds->updated_on == AV_M_SET) {
            ds->updated_on_ms = av_parse_iso8601_ms(v->s, v->len);
        }
    }
}


static void
av_mv_member(av_doc_scan_t *ds, const char *key, size_t len,
    const av_jv_t *v)
{
    if (av_key_is(key, len, "xid")) {
        ds->mv_xid = av_string_member(v);
        if (ds->mv_xid == AV_M_SET) {
            av_keep_xid(ds->mv_xid_s, &ds->mv_xid_len, v);
        }

    } else if (av_key_is(key, len, "phone_number")) {
        ds->phone = av_string_member(v);
        if (ds->phone == AV_M_SET) {
            ds->phone_rc = av_parse_phone(v->s, v->len, ds->doc,
                                          &ds->phone_msg);
        }
    }
}


static int
av_doc_value(void *data, int parent, const char *key, size_t key_len,
    size_t index, const av_jv_t *v, const char **msg)
{
    av_doc_scan_t  *ds = data;

    switch (parent) {

    case AV_AT_TOP:
        ds->object = (v->type == AV_JV_OBJECT);
        return ds->object ? AV_AT_ROOT : av_other(v);

    case AV_AT_ROOT:
        return av_root_member(ds, key, key_len, v);

    case AV_AT_STATUS:
        av_status_member(ds, key, key_len, v);
        break;

    case AV_AT_ERRORS:
        if (v->type == AV_JV_OBJECT) {
            ds->error_code = AV_M_ABSENT;
            ds->error_index = index;
            return AV_AT_ERROR;
        }

        if (ds->errors_msg == NULL) {
            ds->errors_msg = "errors[] member is not an object";
        }

        break;

    case AV_AT_ERROR:
        /* here null is no integer: each error has its code */
        if (av_key_is(key, key_len, "code")) {
            ds->error_code = v->type == AV_JV_INTEGER ? AV_M_SET : AV_M_WRONG;
            ds->error_code_value = v->n;
        }

        break;

    case AV_AT_MV:
        av_mv_member(ds, key, key_len, v);
        break;

    default:
        break;
    }

    return av_other(v);
}


/* an errors[] member ends: the first that is wrong is the fault */
static int
av_doc_end(void *data, int tag, const char **msg)
{
    av_doc_scan_t  *ds = data;

    if (tag != AV_AT_ERROR || ds->errors_msg != NULL) {
        return 0;
    }

    if (ds->error_code != AV_M_SET) {
        ds->errors_msg = "errors[].code is not an integer";

    } else if (ds->error_code_value < -AV_ERROR_CODE_MAX
               || ds->error_code_value > AV_ERROR_CODE_MAX
               || ds->error_code_value == 0)
    {
        ds->errors_msg = "errors[].code is out of range";

    } else if (ds->error_index == 0) {
        ds->doc->error_code = (int) ds->error_code_value;
    }

    return 0;
}


/* the members as scanned, judged in the order their faults are told */
static av_err_t
av_doc_judge(av_doc_scan_t *ds, int callback, const char **msg)
{
    size_t            len;
    const char       *xid;
    av_status_doc_t  *doc = ds->doc;

    if (!ds->object) {
        *msg = "not a JSON object";
        return AV_ERR_MALFORMED_BODY;
    }

    /* status */

    if (ds->status == AV_M_WRONG) {
        *msg = "status is not an object";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->code == AV_M_WRONG) {
        *msg = "status.code is not an integer";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->code == AV_M_SET) {
        if (ds->code_value < 1 || ds->code_value > AV_STATUS_CODE_MAX) {
            *msg = "status.code is out of range";
            return AV_ERR_MALFORMED_BODY;
        }

        doc->code = (int) ds->code_value;
    }

    if (ds->description == AV_M_WRONG) {
        *msg = "status.description is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->updated_on == AV_M_WRONG) {
        *msg = "status.updated_on is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->updated_on == AV_M_SET) {
        if (ds->updated_on_ms < 0) {
            *msg = "status.updated_on is not an ISO 8601 UTC time";
            return AV_ERR_MALFORMED_BODY;
        }

        doc->updated_on_ms = ds->updated_on_ms;
    }

    /* errors: judged before status.code is required, since a Get Status
     * answer may carry only errors */

    if (ds->errors == AV_M_WRONG) {
        *msg = "errors is not an array";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->errors_msg != NULL) {
        *msg = ds->errors_msg;
        return AV_ERR_MALFORMED_BODY;
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

    if (ds->mv == AV_M_WRONG) {
        *msg = "mobile_verification is not an object";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->mv_xid == AV_M_WRONG) {
        *msg = "mobile_verification.xid is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->phone == AV_M_WRONG) {
        *msg = "mobile_verification.phone_number is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->phone == AV_M_SET && ds->phone_rc != AV_OK) {
        *msg = ds->phone_msg;
        return ds->phone_rc;
    }

    if (ds->xid == AV_M_WRONG) {
        *msg = "xid is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    /* the documented place wins over the top level */
    xid = NULL;
    len = 0;

    if (ds->mv_xid == AV_M_SET) {
        xid = ds->mv_xid_s;
        len = ds->mv_xid_len;

    } else if (ds->xid == AV_M_SET) {
        xid = ds->xid_s;
        len = ds->xid_len;
    }

    if (xid != NULL) {
        /* the length test is ours too: doc->xid must never overflow */
        if (len > AV_XID_MAX || !av_xid_valid(xid, len)) {
            *msg = "xid is not a valid transaction id";
            return AV_ERR_INVALID_XID;
        }

        memcpy(doc->xid, xid, len);
        doc->xid[len] = '\0';

    } else if (callback) {
        *msg = "xid is missing";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->reference_id == AV_M_WRONG) {
        *msg = "reference_id is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->reference_msg != NULL) {
        *msg = ds->reference_msg;
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->sub_resource == AV_M_WRONG) {
        *msg = "sub_resource is not a string";
        return AV_ERR_MALFORMED_BODY;
    }

    if (ds->sub_resource_msg != NULL) {
        *msg = ds->sub_resource_msg;
        return AV_ERR_MALFORMED_BODY;
    }

    return AV_OK;
}


static av_err_t
av_parse_body(const char *body, size_t len, av_status_doc_t *doc,
    int callback, const char **msg)
{
    av_err_t        rc;
    const char     *dummy;
    av_doc_scan_t   ds;

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

    /* the scan's state, but not the xids' copies, which their lengths
     * guard */
    memset(&ds, 0, offsetof(av_doc_scan_t, mv_xid_s));
    ds.doc = doc;

    if (av_json_scan(body, len, av_doc_value, av_doc_end, &ds, msg) != 0) {
        rc = AV_ERR_MALFORMED_BODY;

    } else {
        rc = av_doc_judge(&ds, callback, msg);
    }

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
