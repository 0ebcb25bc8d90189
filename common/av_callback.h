/*
 * av_callback.h: Telesign's status JSON, from a callback or Get Status.
 *
 * Shape (telesign-protocol.md sections 3 and 4):
 *   {"status":{"code":1800,"description":"...","updated_on":"...Z"},
 *    "sub_resource":"...","reference_id":"...",
 *    "mobile_verification":{"phone_number":"...","xid":"..."},
 *    "errors":[{"code":-50059,"description":"..."}]}
 * xid may also stand at the top level.  Types are strict: a code that is
 * not an integer, an xid that is not a string, etc. is malformed.  A
 * member that is null is absent (Telesign writes "reference_id": null
 * when it has none).  Unknown members are ignored.
 */
#ifndef AV_CALLBACK_H
#define AV_CALLBACK_H

#include <stddef.h>
#include <stdint.h>
#include "av_error.h"
#include "av_xid.h"
#include "av_phone.h"

#define AV_CALLBACK_BODY_MAX  16384
#define AV_DESCRIPTION_MAX    95
/* Telesign's reference ids are 32 characters; the record stores them */
#define AV_REFERENCE_MAX      32
#define AV_SUB_RESOURCE_MAX   39

typedef struct {
    int      code;                  /* status.code; 0 if absent */
    char     description[AV_DESCRIPTION_MAX + 1];
    int64_t  updated_on_ms;         /* status.updated_on as epoch ms; 0 if absent */
    char     xid[AV_XID_MAX + 1];   /* "" if absent */
    char     phone[AV_PHONE_MAX + 1];  /* mobile_verification.phone_number, digits; "" if absent */
    char     reference_id[AV_REFERENCE_MAX + 1];
    char     sub_resource[AV_SUB_RESOURCE_MAX + 1];
    int      error_code;            /* errors[0].code; 0 if none */
} av_status_doc_t;

/*
 * Parses a callback body.  Requires status.code and an xid.  Returns
 * AV_OK, AV_ERR_BODY_TOO_LARGE, AV_ERR_MALFORMED_BODY (not JSON, wrong
 * types, missing fields, fields too long) or AV_ERR_INVALID_XID.
 * When msg is non-NULL it gets a short static description of what was
 * wrong, for the log (never body content).
 */
av_err_t av_callback_parse(const char *body, size_t len, av_status_doc_t *doc,
    const char **msg);

/*
 * Parses a Get Status answer: like a callback, but status.code may be
 * absent when errors[] says why (then doc->error_code is set).
 */
av_err_t av_status_doc_parse(const char *body, size_t len,
    av_status_doc_t *doc, const char **msg);

/* "2014-10-30T22:57:43.984001Z" -> epoch ms; -1 when malformed. */
int64_t av_parse_iso8601_ms(const char *s, size_t len);

#endif /* AV_CALLBACK_H */
