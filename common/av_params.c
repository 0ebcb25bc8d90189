/*
 * av_params.c: the client's fields, from a query string, a form body or a
 * JSON body, into fixed buffers.
 *
 * The form grammar is decoded by hand because neither server's helper fits
 * both (nginx has ngx_unescape_uri, Apache ap_unescape_urlencoded, with
 * different rules for '+' and %00); one strict decoder here means both
 * modules refuse the same inputs.
 */

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "av_json_scan.h"

#include "av_params.h"


/* the longest value any field holds; country_code and code are shorter */
#define AV_PARAMS_VALUE_MAX                                                   \
    (AV_PHONE_INPUT_MAX > AV_XID_MAX ? AV_PHONE_INPUT_MAX : AV_XID_MAX)


typedef enum {
    AV_F_PHONE = 0,
    AV_F_COUNTRY_CODE,
    AV_F_PHONE_NUMBER,
    AV_F_XID,
    AV_F_CODE,
    AV_F_CALLER_ID,
    AV_F_TIMEOUT,
    AV_F__COUNT,
    AV_F_UNKNOWN = AV_F__COUNT
} av_field_t;


static const char  *const av_field_names[AV_F__COUNT] = {
    "phone", "country_code", "phone_number", "xid", "code", "caller_id",
    "timeout"
};


static av_field_t
av_field_lookup(const char *key, size_t len)
{
    av_field_t  f;

    for (f = 0; f < AV_F__COUNT; f++) {
        if (strlen(av_field_names[f]) == len
            && memcmp(av_field_names[f], key, len) == 0)
        {
            return f;
        }
    }

    return AV_F_UNKNOWN;
}


/* The buffer, capacity and error for a field, so that an over-long phone
 * is reported as a bad phone and not as a bad body. */
static void
av_field_slot(av_params_t *p, av_field_t f, char **buf, size_t **len,
    size_t *cap, av_err_t *too_long)
{
    switch (f) {
    case AV_F_PHONE:
        *buf = p->phone;
        *len = &p->phone_len;
        *cap = sizeof(p->phone) - 1;
        *too_long = AV_ERR_INVALID_PHONE;
        break;

    case AV_F_COUNTRY_CODE:
        *buf = p->country_code;
        *len = &p->country_code_len;
        *cap = sizeof(p->country_code) - 1;
        *too_long = AV_ERR_INVALID_COUNTRY;
        break;

    case AV_F_PHONE_NUMBER:
        *buf = p->phone_number;
        *len = &p->phone_number_len;
        *cap = sizeof(p->phone_number) - 1;
        *too_long = AV_ERR_INVALID_PHONE;
        break;

    case AV_F_XID:
        *buf = p->xid;
        *len = &p->xid_len;
        *cap = sizeof(p->xid) - 1;
        *too_long = AV_ERR_INVALID_XID;
        break;

    case AV_F_CALLER_ID:
        *buf = p->caller_id;
        *len = &p->caller_id_len;
        *cap = sizeof(p->caller_id) - 1;
        *too_long = AV_ERR_INVALID_PHONE;
        break;

    case AV_F_TIMEOUT:
        *buf = p->timeout;
        *len = &p->timeout_len;
        *cap = sizeof(p->timeout) - 1;
        *too_long = AV_ERR_MALFORMED_BODY;
        break;

    default: /* AV_F_CODE */
        *buf = p->code;
        *len = &p->code_len;
        *cap = sizeof(p->code) - 1;
        *too_long = AV_ERR_INVALID_CODE;
        break;
    }
}


static void
av_field_mark(av_params_t *p, av_field_t f)
{
    switch (f) {
    case AV_F_PHONE:
        p->has_phone = 1;
        break;
    case AV_F_COUNTRY_CODE:
        p->has_country_code = 1;
        break;
    case AV_F_PHONE_NUMBER:
        p->has_phone_number = 1;
        break;
    case AV_F_XID:
        p->has_xid = 1;
        break;
    case AV_F_CALLER_ID:
        p->has_caller_id = 1;
        break;
    case AV_F_TIMEOUT:
        p->has_timeout = 1;
        break;
    default:
        p->has_code = 1;
        break;
    }
}


/* Stores a decoded value; a value that fails leaves the field empty and
 * unset (the caller refuses the request anyway). */
static av_err_t
av_field_store(av_params_t *p, av_field_t f, const char *v, size_t n)
{
    char      *buf;
    size_t     cap, *len;
    av_err_t   too_long;

    av_field_slot(p, f, &buf, &len, &cap, &too_long);

    if (n > cap) {
        buf[0] = '\0';
        *len = 0;
        return too_long;
    }

    memcpy(buf, v, n);
    buf[n] = '\0';
    *len = n;

    if (f == AV_F_XID && !av_xid_valid(buf, n)) {
        buf[0] = '\0';
        *len = 0;
        return AV_ERR_INVALID_XID;
    }

    av_field_mark(p, f);

    return AV_OK;
}


void
av_params_init(av_params_t *p)
{
    memset(p, 0, sizeof(av_params_t));
}


static int
av_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/*
 * Decodes one key or value of the form grammar: '+' is a space, %XX a
 * byte.  Writes at most cap bytes to out (out may be NULL to validate
 * only) and always returns the full decoded length in *n, so the caller
 * can tell "too long" from "malformed".  A bad escape, %00 and a raw NUL
 * are malformed: a NUL would cut the value short for any C string user.
 */
static av_err_t
av_form_decode(const char *s, size_t len, char *out, size_t cap, size_t *n)
{
    int     hi, lo;
    char    c;
    size_t  i;

    *n = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == '\0') {
            return AV_ERR_MALFORMED_BODY;
        }

        if (c == '+') {
            c = ' ';

        } else if (c == '%') {
            if (len - i < 3) {
                return AV_ERR_MALFORMED_BODY;
            }

            hi = av_hex(s[i + 1]);
            lo = av_hex(s[i + 2]);

            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return AV_ERR_MALFORMED_BODY;
            }

            c = (char) (hi << 4 | lo);
            i += 2;
        }

        if (out != NULL && *n < cap) {
            out[*n] = c;
        }

        (*n)++;
    }

    return AV_OK;
}


av_err_t
av_params_parse_form(av_params_t *p, const char *s, size_t len)
{
    char        key[16], val[AV_PARAMS_VALUE_MAX + 1];
    size_t      i, start, end, eq, kn, vn;
    av_err_t    rc;
    unsigned    seen;
    av_field_t  f;

    if (len > AV_PARAMS_BODY_MAX) {
        return AV_ERR_BODY_TOO_LARGE;
    }

    if (len > 0 && s == NULL) {
        return AV_ERR_MALFORMED_BODY;
    }

    seen = 0;
    start = 0;

    while (start < len) {

        end = start;
        while (end < len && s[end] != '&') {
            end++;
        }

        /* "a=1&&b=2" and a trailing '&' are harmless */
        if (end == start) {
            start = end + 1;
            continue;
        }

        eq = start;
        while (eq < end && s[eq] != '=') {
            eq++;
        }

        rc = av_form_decode(s + start, eq - start, key, sizeof(key), &kn);
        if (rc != AV_OK) {
            return rc;
        }

        /* a key without '=' has an empty value */
        i = eq < end ? eq + 1 : end;

        rc = av_form_decode(s + i, end - i, val, sizeof(val), &vn);
        if (rc != AV_OK) {
            return rc;
        }

        f = kn <= sizeof(key) ? av_field_lookup(key, kn) : AV_F_UNKNOWN;

        if (f != AV_F_UNKNOWN) {

            if (seen & (1u << f)) {
                return AV_ERR_MALFORMED_BODY;
            }

            seen |= 1u << f;

            /* val holds at least as much as the largest field, so a value
             * cut short here is one that is too long for its field */
            rc = av_field_store(p, f, val,
                                vn <= sizeof(val) ? vn : sizeof(val));
            if (rc != AV_OK) {
                return rc;
            }
        }

        start = end + 1;
    }

    return AV_OK;
}


/*
 * A JSON body's fields, as av_json_scan hands them over, kept until the
 * scan ends: they are stored in field order, as a form's are checked, so
 * that a body with two bad fields is refused for the same one whatever
 * their order.
 */
typedef struct {
    int       object;                   /* the body is an object */
    unsigned  set;                      /* fields given a value */
    unsigned  wrong;                    /* fields of a type none takes */
    size_t    len[AV_F__COUNT];
    /* at least as much as the largest field holds, so that a value cut
     * short here is one that is too long for its field */
    char      val[AV_F__COUNT][AV_PARAMS_VALUE_MAX + 1];
} av_json_fields_t;

/* the tags of av_json_fields_value: the body's object, and all inside */
#define AV_JSON_AT_BODY    1
#define AV_JSON_AT_INSIDE  2


static int
av_json_fields_value(void *data, int parent, const char *key,
    size_t key_len, size_t index, const av_jv_t *v, const char **msg)
{
    int                n;
    av_field_t         f;
    av_json_fields_t  *jf = data;

    if (parent == 0) {
        jf->object = (v->type == AV_JV_OBJECT);
        return AV_JSON_AT_BODY;
    }

    if (parent != AV_JSON_AT_BODY) {
        return AV_JSON_AT_INSIDE;
    }

    /* key holds the first AV_JSON_KEY_MAX bytes: more than any name */
    f = av_field_lookup(key, key_len);
    if (f == AV_F_UNKNOWN) {
        return AV_JSON_AT_INSIDE;
    }

    if (v->type == AV_JV_STRING) {
        n = (int) (v->len < sizeof(jf->val[f]) ? v->len : sizeof(jf->val[f]));
        memcpy(jf->val[f], v->s, (size_t) n);
        jf->len[f] = (size_t) n;
        jf->set |= 1u << f;

    /*
     * Numbers are what a JavaScript client sends for digits.  A code with
     * a leading zero cannot survive as a number, which then fails
     * av_code_valid(); that is the client's mistake to see.  Negative
     * numbers are refused: '-' would be stripped as formatting later.
     */
    } else if (v->type == AV_JV_INTEGER && f != AV_F_XID && v->n >= 0) {
        n = snprintf(jf->val[f], sizeof(jf->val[f]), "%lld", v->n);
        if (n < 0 || (size_t) n >= sizeof(jf->val[f])) {
            jf->wrong |= 1u << f;

        } else {
            jf->len[f] = (size_t) n;
            jf->set |= 1u << f;
        }

    } else {
        jf->wrong |= 1u << f;
    }

    return AV_JSON_AT_INSIDE;
}


av_err_t
av_params_parse_json(av_params_t *p, const char *s, size_t len)
{
    av_err_t           rc;
    av_field_t         f;
    const char        *msg;
    av_json_fields_t   jf;

    if (len > AV_PARAMS_BODY_MAX) {
        return AV_ERR_BODY_TOO_LARGE;
    }

    if (s == NULL || len == 0) {
        return AV_ERR_MALFORMED_BODY;
    }

    jf.object = 0;
    jf.set = 0;
    jf.wrong = 0;

    /* duplicate names, "\u0000" and deep nesting are the scan's to refuse */
    if (av_json_scan(s, len, av_json_fields_value, NULL, &jf, &msg) != 0
        || !jf.object)
    {
        return AV_ERR_MALFORMED_BODY;
    }

    for (f = 0; f < AV_F__COUNT; f++) {

        if (jf.wrong & (1u << f)) {
            return AV_ERR_MALFORMED_BODY;
        }

        if (jf.set & (1u << f)) {
            rc = av_field_store(p, f, jf.val[f], jf.len[f]);
            if (rc != AV_OK) {
                return rc;
            }
        }
    }

    return AV_OK;
}


av_err_t
av_params_phone(const av_params_t *p, char out[AV_PHONE_MAX + 1],
    size_t *out_len)
{
    /* an empty field, as an HTML form sends for an untouched input, counts
     * as absent */

    if (p->has_phone && p->phone_len > 0) {
        return av_phone_normalize(p->phone, p->phone_len, out, out_len);
    }

    if (p->has_country_code && p->country_code_len > 0
        && p->has_phone_number && p->phone_number_len > 0)
    {
        return av_phone_normalize_pair(p->country_code, p->country_code_len,
                                       p->phone_number, p->phone_number_len,
                                       out, out_len);
    }

    out[0] = '\0';
    if (out_len) {
        *out_len = 0;
    }

    return AV_ERR_MISSING_PHONE;
}


int
av_code_valid(const char *code, size_t len)
{
    size_t  i;

    if (code == NULL || len != AV_CODE_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (code[i] < '0' || code[i] > '9') {
            return 0;
        }
    }

    return 1;
}


av_err_t
av_params_read(av_params_t *p, av_method_t method, const char *query,
    size_t query_len, const char *body, size_t body_len, const char *type,
    size_t type_len)
{
    av_err_t  rc;

    av_params_init(p);

    if (query_len) {
        rc = av_params_parse_form(p, query, query_len);
        if (rc != AV_OK) {
            return rc;
        }
    }

    if (body_len == 0 || method != AV_METHOD_POST) {
        return AV_OK;
    }

    if (type && type_len >= 16
        && strncasecmp(type, "application/json", 16) == 0)
    {
        return av_params_parse_json(p, body, body_len);
    }

    return av_params_parse_form(p, body, body_len);
}


int
av_accept_json(const char *accept, size_t len)
{
    static const char  json[] = "application/json";
    size_t             i, n;

    n = sizeof(json) - 1;

    for (i = 0; accept && i + n <= len; i++) {
        if (strncasecmp(accept + i, json, n) == 0) {
            return 1;
        }
    }

    return 0;
}


av_err_t
av_params_xid(av_params_t *p)
{
    if (p->has_xid) {
        return AV_OK;
    }

    if (av_uuid_random(p->xid) != 0) {
        return AV_ERR_INTERNAL;
    }

    p->xid_len = strlen(p->xid);
    p->has_xid = 1;

    return AV_OK;
}
