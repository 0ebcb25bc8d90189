/*
 * av_params.h: the fields a client sends to token/call/finalize.
 *
 * Accepted encodings: a URL query string or an
 * application/x-www-form-urlencoded body (same grammar), or a JSON object
 * body.  Recognised fields: phone, country_code, phone_number, xid, code,
 * and for the missed-call finalize caller_id (the number that called, when
 * it did not match) and timeout (any value: the call never came).  Others
 * are ignored.  Each value is percent-decoded (form) or must be a
 * JSON string (JSON; numbers are accepted for country_code, phone_number,
 * phone and code and written in decimal).  A value longer than its field,
 * a NUL byte, an invalid %-escape, a repeated field or JSON that is not an
 * object is malformed.
 */
#ifndef AV_PARAMS_H
#define AV_PARAMS_H

#include <stddef.h>
#include "av_error.h"
#include "av_xid.h"
#include "av_phone.h"

#define AV_PARAMS_BODY_MAX 4096
#define AV_CODE_LEN        5

typedef struct {
    char   phone[AV_PHONE_INPUT_MAX + 1];         size_t phone_len;
    char   country_code[8 + 1];                   size_t country_code_len;
    char   phone_number[AV_PHONE_INPUT_MAX + 1];  size_t phone_number_len;
    char   xid[AV_XID_MAX + 1];                   size_t xid_len;
    char   code[16 + 1];                          size_t code_len;
    char   caller_id[AV_PHONE_INPUT_MAX + 1];     size_t caller_id_len;
    char   timeout[8 + 1];                        size_t timeout_len;
    unsigned  has_phone:1, has_country_code:1, has_phone_number:1,
              has_xid:1, has_code:1, has_caller_id:1, has_timeout:1;
} av_params_t;

void     av_params_init(av_params_t *p);

/* Merges fields from a query string / form body into p.  A field already
 * set (from the query) is overridden by the body only if the caller parses
 * the body second; a field twice in one source is malformed. */
av_err_t av_params_parse_form(av_params_t *p, const char *s, size_t len);
av_err_t av_params_parse_json(av_params_t *p, const char *s, size_t len);

/* A request's method, as the glue tells it (httpd: M_GET with header_only
 * is HEAD). */
typedef enum {
    AV_METHOD_GET = 0,
    AV_METHOD_HEAD,
    AV_METHOD_POST,
    AV_METHOD_OTHER
} av_method_t;

/*
 * The client's fields as both servers read them: the query's first, then
 * a POST's body (a field in both: the body's wins; the body of a GET, read
 * to its end, holds none), parsed as JSON when the Content-Type (type,
 * NULL when absent) says application/json, else as a form.
 */
av_err_t av_params_read(av_params_t *p, av_method_t method, const char *query,
    size_t query_len, const char *body, size_t body_len, const char *type,
    size_t type_len);

/* 1 when an Accept header value (NULL when absent) asks for JSON. */
int      av_accept_json(const char *accept, size_t len);

/* Picks the phone: "phone" if given, else country_code + phone_number.
 * Returns AV_ERR_MISSING_PHONE when neither form is complete, else what
 * av_phone_normalize* returns. */
av_err_t av_params_phone(const av_params_t *p, char out[AV_PHONE_MAX + 1],
    size_t *out_len);

/*
 * The xid of a new verification: the one given, or one drawn now and kept
 * in p (has_xid set), so that every run of a step on a network store
 * (av_snap.h) names the same record.  AV_ERR_INTERNAL without random
 * bytes.
 */
av_err_t av_params_xid(av_params_t *p);

/* Exactly five ASCII digits. */
int      av_code_valid(const char *code, size_t len);

#endif /* AV_PARAMS_H */
