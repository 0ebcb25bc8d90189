/*
 * test_callback.c: Telesign's status JSON from callbacks and Get Status
 * (telesign-protocol.md sections 3 and 4).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "av_callback.h"
#include "av_json_scan.h"


/* the seed's callback body, as the SDK documentation prints it */
static const char  seed_body[] =
    "{\"status\":{\"code\":1800,\"description\":\"Success\","
    "\"updated_on\":\"2014-10-30T22:57:43.984001Z\"},\n"
    " \"submit_timestamp\":\"2014-10-30T22:57:43.612000Z\",\"errors\":[],"
    "\"sub_resource\":\"voice_auto\",\n"
    " \"mobile_verification\":{\"phone_number\":\"13101234567\","
    "\"xid\":\"4325217a-742e-11e4-b116-123b93f75cba\"},\n"
    " \"reference_id\":\"B149634764BC0144C833G7280C4403B8\"}";

/* the signed callback vector of section 3 */
static const char  vector_body[] =
    "{\"status\":{\"code\":1800,\"description\":\"Verification successful\","
    "\"updated_on\":\"2016-12-14T18:20:12.000000Z\"},"
    "\"mobile_verification\":{\"xid\":\"abc123\","
    "\"phone_number\":\"15555551234\"}}";


/* parse a string literal as a callback and expect err */
#define CB_ERR(body, err)                                                   \
    do {                                                                    \
        av_status_doc_t  d_;                                                \
        const char      *m_ = NULL;                                         \
        CHECK_EQ_INT(av_callback_parse((body), sizeof(body) - 1, &d_, &m_), \
                     (err));                                                \
        CHECK(m_ != NULL);                                                  \
        CHECK_EQ_INT(d_.code, 0);                                           \
        CHECK_EQ_STR(d_.xid, "");                                           \
    } while (0)

#define CB_ERR_MSG(body, err, msg)                                          \
    do {                                                                    \
        av_status_doc_t  d_;                                                \
        const char      *m_ = "";                                           \
        CHECK_EQ_INT(av_callback_parse((body), sizeof(body) - 1, &d_, &m_), \
                     (err));                                                \
        CHECK_EQ_STR(m_, (msg));                                            \
    } while (0)


static void
test_seed_body_field_by_field(void)
{
    av_status_doc_t  doc;
    const char      *msg = NULL;

    CHECK_EQ_INT(av_callback_parse(seed_body, sizeof(seed_body) - 1, &doc,
                                   &msg), AV_OK);
    CHECK_EQ_INT(doc.code, 1800);
    CHECK_EQ_STR(doc.description, "Success");
    CHECK_EQ_INT(doc.updated_on_ms, 1414709863984LL);
    CHECK_EQ_STR(doc.xid, "4325217a-742e-11e4-b116-123b93f75cba");
    CHECK_EQ_STR(doc.phone, "13101234567");
    CHECK_EQ_STR(doc.reference_id, "B149634764BC0144C833G7280C4403B8");
    CHECK_EQ_STR(doc.sub_resource, "voice_auto");
    CHECK_EQ_INT(doc.error_code, 0);
}


static void
test_signed_vector_body_field_by_field(void)
{
    av_status_doc_t  doc;

    /* msg may be NULL */
    CHECK_EQ_INT(av_callback_parse(vector_body, sizeof(vector_body) - 1,
                                   &doc, NULL), AV_OK);
    CHECK_EQ_INT(doc.code, 1800);
    CHECK_EQ_STR(doc.description, "Verification successful");
    CHECK_EQ_INT(doc.updated_on_ms, 1481739612000LL);
    CHECK_EQ_STR(doc.xid, "abc123");
    CHECK_EQ_STR(doc.phone, "15555551234");
    CHECK_EQ_STR(doc.reference_id, "");
    CHECK_EQ_STR(doc.sub_resource, "");
    CHECK_EQ_INT(doc.error_code, 0);
}


static void
test_xid_at_top_level(void)
{
    av_status_doc_t  doc;
    static const char  body[] =
        "{\"status\":{\"code\":1890},\"xid\":\"top-1\"}";
    static const char  both[] =
        "{\"xid\":\"top-1\",\"status\":{\"code\":1803},"
        "\"mobile_verification\":{\"xid\":\"inner-2\"}}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_STR(doc.xid, "top-1");
    CHECK_EQ_INT(doc.code, 1890);
    CHECK_EQ_INT(doc.updated_on_ms, 0);
    CHECK_EQ_STR(doc.phone, "");

    /* mobile_verification.xid is the documented place and wins */
    CHECK_EQ_INT(av_callback_parse(both, sizeof(both) - 1, &doc, NULL), AV_OK);
    CHECK_EQ_STR(doc.xid, "inner-2");
    CHECK_EQ_INT(doc.code, 1803);
}


static void
test_callback_requires_code_and_xid(void)
{
    CB_ERR_MSG("{\"mobile_verification\":{\"xid\":\"a\"}}",
               AV_ERR_MALFORMED_BODY, "status.code is missing");
    CB_ERR_MSG("{\"status\":{},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status.code is missing");
    CB_ERR_MSG("{\"status\":{\"code\":1800}}",
               AV_ERR_MALFORMED_BODY, "xid is missing");
    CB_ERR("{\"status\":{\"code\":1800},\"mobile_verification\":{}}",
           AV_ERR_MALFORMED_BODY);
    /* a callback with only errors is still not a status */
    CB_ERR("{\"errors\":[{\"code\":-90001}],\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
}


static void
test_invalid_xid(void)
{
    /* the seed's Get Status example has a trailing space in its xid */
    CB_ERR("{\"status\":{\"code\":1800},\"mobile_verification\":"
           "{\"xid\":\"4325217a-742e-11e4-b116-123b93f75cba \"}}",
           AV_ERR_INVALID_XID);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"\"}", AV_ERR_INVALID_XID);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a/b\"}", AV_ERR_INVALID_XID);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\\\"b\"}",
           AV_ERR_INVALID_XID);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"caf\xc3\xa9\"}",
           AV_ERR_INVALID_XID);
    /* 65 characters */
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\""
           "0123456789012345678901234567890123456789012345678901234567890123"
           "4\"}", AV_ERR_INVALID_XID);
}


static void
test_xid_of_64_characters_fits(void)
{
    av_status_doc_t     doc;
    static const char  body[] = "{\"status\":{\"code\":1800},\"xid\":\""
        "0123456789012345678901234567890123456789012345678901234567890123"
        "\"}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_INT(strlen(doc.xid), 64);
}


static void
test_wrong_types_are_malformed(void)
{
    CB_ERR_MSG("{\"status\":\"ok\",\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status is not an object");
    CB_ERR_MSG("{\"status\":{\"code\":\"1800\"},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status.code is not an integer");
    CB_ERR("{\"status\":{\"code\":1800.0},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":true},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":null},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":[1800]},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":0},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status.code is out of range");
    CB_ERR("{\"status\":{\"code\":-1800},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":100000},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":4294968096},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800,\"description\":5},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status.description is not a string");
    CB_ERR("{\"status\":{\"code\":1800,\"updated_on\":1414709863},"
           "\"xid\":\"a\"}", AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800,"
               "\"updated_on\":\"2014-10-30 22:57:43Z\"},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY,
               "status.updated_on is not an ISO 8601 UTC time");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"mobile_verification\":[]}",
               AV_ERR_MALFORMED_BODY, "mobile_verification is not an object");
    CB_ERR_MSG("{\"status\":{\"code\":1800},"
               "\"mobile_verification\":{\"xid\":123}}",
               AV_ERR_MALFORMED_BODY,
               "mobile_verification.xid is not a string");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":123}",
               AV_ERR_MALFORMED_BODY, "xid is not a string");
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":null}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},"
           "\"mobile_verification\":{\"xid\":\"a\",\"phone_number\":1310}}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"mobile_verification\":"
           "{\"xid\":\"a\",\"phone_number\":\"1310CALLNOW\"}}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"mobile_verification\":"
               "{\"xid\":\"a\",\"phone_number\":\"1234567890123456\"}}",
               AV_ERR_MALFORMED_BODY, "phone_number is too long");
    CB_ERR("{\"status\":{\"code\":1800},\"mobile_verification\":"
           "{\"xid\":\"a\",\"phone_number\":\"--\"}}", AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"reference_id\":7}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\","
               "\"reference_id\":\"B149-6347\"}",
               AV_ERR_MALFORMED_BODY, "reference_id is not alphanumeric");
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"reference_id\":\""
           "01234567890123456789012345678901"
           "2\"}", AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"sub_resource\":[]}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"sub_resource\":\""
               "0123456789012345678901234567890123456789\"}",
               AV_ERR_MALFORMED_BODY, "sub_resource is too long");
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\","
           "\"sub_resource\":\"voice auto\"}", AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"errors\":{}}",
               AV_ERR_MALFORMED_BODY, "errors is not an array");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"errors\":[1]}",
               AV_ERR_MALFORMED_BODY, "errors[] member is not an object");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\","
               "\"errors\":[{\"code\":\"-90001\"}]}",
               AV_ERR_MALFORMED_BODY, "errors[].code is not an integer");
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"errors\":[{}]}",
           AV_ERR_MALFORMED_BODY);
    /* a later member is checked too, not only the first */
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\","
           "\"errors\":[{\"code\":-90001},\"x\"]}", AV_ERR_MALFORMED_BODY);
}


static void
test_longest_fields_fit(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\":{\"code\":99999},\"xid\":\"a\",\"reference_id\":\""
        "01234567890123456789012345678901"
        "\",\"sub_resource\":\"012345678901234567890123456789012345678\","
        "\"mobile_verification\":{\"phone_number\":\"123456789012345\"}}";

    /* a Get Status document: a callback carries only the SDK's codes */
    CHECK_EQ_INT(av_status_doc_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_INT(doc.code, 99999);
    CHECK_EQ_INT(strlen(doc.reference_id), AV_REFERENCE_MAX);
    CHECK_EQ_INT(strlen(doc.sub_resource), AV_SUB_RESOURCE_MAX);
    CHECK_EQ_STR(doc.phone, "123456789012345");
}


static void
test_formatted_phone_number_is_stripped(void)
{
    av_status_doc_t     doc;
    /* the seed's Get Status example, with its JSON typos fixed */
    static const char  body[] =
        "{\"sub_resource\":\"voice_auto\",\"status\":{\"code\":1800,"
        "\"description\":\"Success\",\"updated_on\":\"2015-04-15T18:40:54Z\"},"
        "\"mobile_verification\":{\"phone_number\":\"1-310-123-4567\","
        "\"xid\":\"4325217a-742e-11e4-b116-123b93f75cba\"}}";

    CHECK_EQ_INT(av_status_doc_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_STR(doc.phone, "13101234567");
    CHECK_EQ_INT(doc.updated_on_ms, 1429123254000LL);
    CHECK_EQ_STR(doc.sub_resource, "voice_auto");
}


static void
test_unknown_members_are_ignored(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\":{\"code\":1800,\"extra\":[1,{\"a\":null}]},"
        "\"verify\":{\"code_state\":\"VALID\",\"code_entered\":\"20085\"},"
        "\"additional_info\":{\"a\":{\"b\":{\"c\":[[[true]]]}}},"
        "\"mobile_verification\":{\"xid\":\"x-1\",\"carrier\":7},"
        "\"prefix\":\"4478730\"}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_INT(doc.code, 1800);
    CHECK_EQ_STR(doc.xid, "x-1");
}


/*
 * Telesign writes a member it has no value for as null (its error answers
 * carry "reference_id": null, "sub_resource": null): the same as absent.
 */
static void
test_null_members_are_absent(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\": {\"code\": 1800, \"description\": null, "
        "\"updated_on\": null}, \"submit_timestamp\": null, \"errors\": null, "
        "\"sub_resource\": null, \"verify\": null, \"additional_info\": null, "
        "\"mobile_verification\": {\"phone_number\": null, "
        "\"xid\": \"4325217a-742e-11e4-b116-123b93f75cba\"}, "
        "\"reference_id\": null}";
    static const char  top_xid[] =
        "{\"status\":{\"code\":1803},\"mobile_verification\":null,"
        "\"xid\":\"top-1\",\"reference_id\":null}";
    static const char  errors_only[] =
        "{\"errors\": [{\"code\": -50059, \"description\": \"xid not found.\"}],"
        " \"reference_id\": null, \"status\": {\"code\": null, "
        "\"description\": \"Transaction not attempted\", "
        "\"updated_on\": \"2016-12-14T18:20:12Z\"}, \"sub_resource\": null}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_INT(doc.code, 1800);
    CHECK_EQ_STR(doc.description, "");
    CHECK_EQ_INT(doc.updated_on_ms, 0);
    CHECK_EQ_STR(doc.xid, "4325217a-742e-11e4-b116-123b93f75cba");
    CHECK_EQ_STR(doc.phone, "");
    CHECK_EQ_STR(doc.reference_id, "");
    CHECK_EQ_STR(doc.sub_resource, "");
    CHECK_EQ_INT(doc.error_code, 0);

    CHECK_EQ_INT(av_callback_parse(top_xid, sizeof(top_xid) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_STR(doc.xid, "top-1");

    CHECK_EQ_INT(av_status_doc_parse(errors_only, sizeof(errors_only) - 1,
                                     &doc, NULL), AV_OK);
    CHECK_EQ_INT(doc.code, 0);
    CHECK_EQ_INT(doc.error_code, -50059);

    /* absent is still not enough where a value is needed */
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":null}",
               AV_ERR_MALFORMED_BODY, "xid is missing");
    CB_ERR_MSG("{\"status\":null,\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "status.code is missing");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\","
               "\"errors\":[{\"code\":null}]}",
               AV_ERR_MALFORMED_BODY, "errors[].code is not an integer");
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"errors\":[null]}",
           AV_ERR_MALFORMED_BODY);
}


/*
 * A callback is the SDK's Verify Transaction Callback: it carries the
 * Get Status codes.  Another API's code (the missed call's 2401 Success)
 * or one never heard of is no status to store.
 */
static void
test_callback_carries_only_sdk_codes(void)
{
    char             body[128];
    size_t           i;
    int              n;
    av_status_doc_t  doc;
    const char      *msg;

    static const int  sdk[] = {
        1800, 1803, 1805, 1806, 1807, 1808, 1829, 1830, 1890
    };
    static const int  other[] = {
        2400, 2401, 2402, 2409, 2410, 2430, 1, 300, 500, 501, 1801, 1899,
        99999
    };

    for (i = 0; i < sizeof(sdk) / sizeof(sdk[0]); i++) {
        n = snprintf(body, sizeof(body),
                     "{\"status\":{\"code\":%d},\"xid\":\"a\"}", sdk[i]);
        CHECK_EQ_INT(av_callback_parse(body, (size_t) n, &doc, NULL), AV_OK);
        CHECK_EQ_INT(doc.code, sdk[i]);
    }

    for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        n = snprintf(body, sizeof(body),
                     "{\"status\":{\"code\":%d},\"xid\":\"a\"}", other[i]);
        memset(&doc, 'x', sizeof(doc));
        msg = NULL;
        CHECK_EQ_INT(av_callback_parse(body, (size_t) n, &doc, &msg),
                     AV_ERR_MALFORMED_BODY);
        CHECK(msg != NULL && strstr(msg, "status.code") != NULL);
        CHECK_EQ_INT(doc.code, 0);
        CHECK_EQ_STR(doc.xid, "");

        /* a Get Status document is only read; av_api_answer judges it */
        CHECK_EQ_INT(av_status_doc_parse(body, (size_t) n, &doc, NULL),
                     AV_OK);
    }
}


static void
test_duplicate_keys_are_malformed(void)
{
    /* a second "code" could smuggle a success past a reader that takes the
     * first */
    CB_ERR("{\"status\":{\"code\":1803,\"code\":1800},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1803},\"status\":{\"code\":1800},"
           "\"xid\":\"a\"}", AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"mobile_verification\":"
           "{\"xid\":\"a\",\"xid\":\"b\"}}", AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",\"junk\":1,\"junk\":2}",
           AV_ERR_MALFORMED_BODY);
}


static void
test_oversize_body(void)
{
    char            *body;
    size_t           len;
    av_status_doc_t  doc;
    const char      *msg;
    static const char  head[] = "{\"status\":{\"code\":1800},\"xid\":\"a\"}";

    /* exactly the limit, padded with whitespace, passes */
    len = AV_CALLBACK_BODY_MAX;
    body = malloc(len + 1);
    if (body == NULL) {
        CHECK(body != NULL);
        return;
    }

    memset(body, ' ', len + 1);
    memcpy(body, head, sizeof(head) - 1);

    CHECK_EQ_INT(av_callback_parse(body, len, &doc, NULL), AV_OK);
    CHECK_EQ_INT(av_callback_parse(body, len + 1, &doc, &msg),
                 AV_ERR_BODY_TOO_LARGE);
    CHECK_EQ_STR(msg, "body is too large");
    CHECK_EQ_INT(av_status_doc_parse(body, len + 1, &doc, NULL),
                 AV_ERR_BODY_TOO_LARGE);

    free(body);
}


static void
test_not_json(void)
{
    av_status_doc_t  doc;

    CB_ERR_MSG("", AV_ERR_MALFORMED_BODY, "body is empty");
    CHECK_EQ_INT(av_callback_parse(NULL, 0, &doc, NULL),
                 AV_ERR_MALFORMED_BODY);
    CB_ERR("not json", AV_ERR_MALFORMED_BODY);
    CB_ERR("{", AV_ERR_MALFORMED_BODY);
    CB_ERR("{'status': {'code': 1800}, 'xid': 'a'}", AV_ERR_MALFORMED_BODY);
    CB_ERR_MSG("[]", AV_ERR_MALFORMED_BODY, "not a JSON object");
    CB_ERR("null", AV_ERR_MALFORMED_BODY);
    CB_ERR("\"str\"", AV_ERR_MALFORMED_BODY);
    CB_ERR("1800", AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\"} x",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\"}{}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\"xid\":\"a\",}",
           AV_ERR_MALFORMED_BODY);
    /* a raw NUL inside the body, and an escaped one inside a string */
    CB_ERR("{\"status\":{\"code\":1800},\0\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800,\"description\":\"a\\u0000b\"},"
           "\"xid\":\"a\"}", AV_ERR_MALFORMED_BODY);
    /* blanks yajl takes but RFC 8259 does not */
    CB_ERR("\f{\"status\":{\"code\":1800},\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    CB_ERR("{\"status\":{\"code\":1800},\v\"xid\":\"a\"}",
           AV_ERR_MALFORMED_BODY);
    /* not UTF-8 */
    CB_ERR("{\"status\":{\"code\":1800,\"description\":\"\xff\"},"
           "\"xid\":\"a\"}", AV_ERR_MALFORMED_BODY);
}


/* a callback with n members named m0, m1, ... in its "junk" object */
static char *
members_body(size_t n, size_t *len)
{
    char    *b;
    size_t   i, cap;

    cap = 64 + n * 16;
    b = malloc(cap);
    if (b == NULL) {
        return NULL;
    }

    *len = (size_t) snprintf(b, cap, "{\"status\":{\"code\":1800},"
                             "\"xid\":\"a\",\"junk\":{");
    for (i = 0; i < n; i++) {
        *len += (size_t) snprintf(b + *len, cap - *len, "%s\"m%zu\":%zu",
                                  i ? "," : "", i, i);
    }
    *len += (size_t) snprintf(b + *len, cap - *len, "}}");

    return b;
}


static void
test_members_of_one_object_are_bounded(void)
{
    char             *b;
    size_t            len;
    av_status_doc_t   doc;
    const char       *msg;
    static const char  two[] =
        "{\"a\":{\"x\":1,\"y\":2},\"b\":{\"x\":1,\"y\":2},"
        "\"status\":{\"code\":1800},\"xid\":\"a\"}";

    /* the bound keeps the duplicate check linear in the body: 64 pass */
    b = members_body(AV_JSON_MEMBERS_MAX, &len);
    CHECK(b != NULL);
    CHECK_EQ_INT(av_callback_parse(b, len, &doc, &msg), AV_OK);
    CHECK_EQ_STR(doc.xid, "a");
    free(b);

    b = members_body(AV_JSON_MEMBERS_MAX + 1, &len);
    CHECK(b != NULL);
    CHECK_EQ_INT(av_callback_parse(b, len, &doc, &msg),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_STR(msg, "an object has too many members");
    free(b);

    /* the names of an object that has ended are no longer its parent's */
    CHECK_EQ_INT(av_callback_parse(two, sizeof(two) - 1, &doc, &msg), AV_OK);
}


static void
test_escaped_names_and_values(void)
{
    av_status_doc_t  doc;
    const char      *msg;
    static const char  body[] =
        "{\"st\\u0061tus\":{\"c\\u006fde\":1800,"
        "\"descr\\u0069ption\":\"\\u00e9t\\u00e9 \\\"ok\\\"\"},"
        "\"mobile_verification\":{\"\\u0078id\":\"\\u0061bc\"}}";

    /* a name with escapes, then a value with escapes: yajl decodes both
     * into one buffer, so the name must have been kept before */
    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, &msg),
                 AV_OK);
    CHECK_EQ_INT(doc.code, 1800);
    CHECK_EQ_STR(doc.xid, "abc");
    CHECK_EQ_STR(doc.description, "??t?? ?ok?");

    /* a name that escapes to one already there is a duplicate */
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"\\u0078id\":\"b\"}",
               AV_ERR_MALFORMED_BODY, "a duplicate member name");
    /* a NUL in a name */
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"x\\u0000\":1}",
               AV_ERR_MALFORMED_BODY, "a member name holds a NUL");
}


static void
test_long_escaped_string_outgrows_the_arena(void)
{
    char             *b;
    size_t            i, len, cap;
    av_status_doc_t   doc;
    const char       *msg;

    /* 2700 escapes (the body just under its limit): yajl's decoding
     * buffer grows past the scan's arena and goes on in malloc's memory */
    cap = 2700 * 6 + 128;
    b = malloc(cap);
    CHECK(b != NULL);
    if (b == NULL) {
        return;
    }

    len = (size_t) snprintf(b, cap, "{\"status\":{\"code\":1800,"
                            "\"description\":\"");
    for (i = 0; i < 2700; i++) {
        memcpy(b + len, "\\u0041", 6);
        len += 6;
    }
    len += (size_t) snprintf(b + len, cap - len, "\"},\"xid\":\"a\"}");

    CHECK_EQ_INT(av_callback_parse(b, len, &doc, &msg), AV_OK);
    CHECK_EQ_INT((int) strlen(doc.description), AV_DESCRIPTION_MAX);
    CHECK(doc.description[0] == 'A');
    free(b);
}


static void
test_faults_are_told_in_one_order(void)
{
    /* several faults: the one told is the same whatever the members'
     * order (status before errors before the xid before the rest) */
    CB_ERR_MSG("{\"sub_resource\":7,\"xid\":\"a/b\",\"status\":{\"code\":\"x\"}}",
               AV_ERR_MALFORMED_BODY, "status.code is not an integer");
    CB_ERR_MSG("{\"status\":{\"code\":\"x\"},\"xid\":\"a/b\",\"sub_resource\":7}",
               AV_ERR_MALFORMED_BODY, "status.code is not an integer");
    CB_ERR_MSG("{\"sub_resource\":7,\"xid\":\"a/b\",\"status\":{\"code\":1800}}",
               AV_ERR_INVALID_XID, "xid is not a valid transaction id");
    CB_ERR_MSG("{\"errors\":[{\"code\":1},{\"code\":\"x\"},{}],"
               "\"status\":{\"code\":1800},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "errors[].code is not an integer");
    /* numbers yajl cannot hold are no JSON it reads */
    CB_ERR_MSG("{\"status\":{\"code\":99999999999999999999},\"xid\":\"a\"}",
               AV_ERR_MALFORMED_BODY, "not JSON");
    CB_ERR_MSG("{\"status\":{\"code\":1800},\"xid\":\"a\",\"n\":1e999}",
               AV_ERR_MALFORMED_BODY, "not JSON");
}


/* a callback whose "junk" member nests levels arrays deep */
static size_t
nested_body(char *buf, size_t cap, size_t levels)
{
    size_t             n, i;
    static const char  head[] = "{\"status\":{\"code\":1800},\"xid\":\"a\","
                                "\"junk\":";

    if (sizeof(head) - 1 + 2 * levels + 3 > cap) {
        return 0;
    }

    n = sizeof(head) - 1;
    memcpy(buf, head, n);

    for (i = 0; i < levels; i++) {
        buf[n++] = '[';
    }

    buf[n++] = '1';

    for (i = 0; i < levels; i++) {
        buf[n++] = ']';
    }

    buf[n++] = '}';

    return n;
}


static void
test_nested_junk_is_refused(void)
{
    char             buf[256], *body;
    size_t           i, n;
    av_status_doc_t  doc;
    const char      *msg;

    /* brackets inside strings, even after an escaped quote, are not
     * nesting */
    static const char  quoted[] =
        "{\"status\":{\"code\":1800,\"description\":"
        "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"{{{{{{{{{{{{{{{{{{{{{{"
        "{{{{{{{{{{{{{\"},\"xid\":\"a\"}";

    /* the root object plus 31 arrays is 32 levels, the limit */
    n = nested_body(buf, sizeof(buf), 31);
    CHECK_EQ_INT(av_callback_parse(buf, n, &doc, &msg), AV_OK);

    n = nested_body(buf, sizeof(buf), 32);
    CHECK_EQ_INT(av_callback_parse(buf, n, &doc, &msg),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_STR(msg, "JSON is nested too deep");

    CHECK_EQ_INT(av_callback_parse(quoted, sizeof(quoted) - 1, &doc, &msg),
                 AV_OK);
    CHECK(doc.description[0] == '[');
    CHECK(strchr(doc.description, '?') != NULL);

    /* a body of nothing but '[' up to the size limit */
    n = AV_CALLBACK_BODY_MAX;
    body = malloc(n);
    if (body == NULL) {
        CHECK(body != NULL);
        return;
    }

    for (i = 0; i < n; i++) {
        body[i] = '[';
    }

    CHECK_EQ_INT(av_callback_parse(body, n, &doc, &msg),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_STR(msg, "JSON is nested too deep");

    free(body);
}


static void
test_description_is_truncated_and_made_printable(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\":{\"code\":1800,\"description\":"
        "\"Succ\xc3\xa8s\\t\\\"quoted\\\" back\\\\slash\"},\"xid\":\"a\"}";
    static const char  longer[] =
        "{\"status\":{\"code\":1800,\"description\":\""
        "0123456789012345678901234567890123456789012345678901234567890123"
        "4567890123456789012345678901234567890123456789\"},\"xid\":\"a\"}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_STR(doc.description, "Succ??s??quoted? back?slash");

    /* too long is not malformed for free text: it is cut at 95 */
    CHECK_EQ_INT(av_callback_parse(longer, sizeof(longer) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_STR(doc.description,
                 "0123456789012345678901234567890123456789012345678901234567"
                 "8901234567890123456789012345678901234");
}


static void
test_errors_first_code_is_kept(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\":{\"code\":1803},\"xid\":\"a\",\"errors\":["
        "{\"code\":-40007,\"description\":\"rate\"},{\"code\":-90001}]}";

    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_OK);
    CHECK_EQ_INT(doc.error_code, -40007);
    CHECK_EQ_INT(doc.code, 1803);
}


static void
test_get_status_with_only_errors(void)
{
    av_status_doc_t     doc;
    const char         *msg;
    static const char  not_found[] =
        "{\"errors\":[{\"code\":-50059,\"description\":\"xid not found\"}]}";
    static const char  with_status[] =
        "{\"status\":{\"description\":\"Not Found\"},"
        "\"errors\":[{\"code\":-30006}]}";
    static const char  nothing[] = "{\"errors\":[]}";
    static const char  no_xid[] = "{\"status\":{\"code\":1890}}";
    static const char  bad_xid[] =
        "{\"status\":{\"code\":1890},\"xid\":\"a b\"}";

    CHECK_EQ_INT(av_status_doc_parse(not_found, sizeof(not_found) - 1, &doc,
                                     NULL), AV_OK);
    CHECK_EQ_INT(doc.code, 0);
    CHECK_EQ_INT(doc.error_code, -50059);
    CHECK_EQ_STR(doc.xid, "");

    CHECK_EQ_INT(av_status_doc_parse(with_status, sizeof(with_status) - 1,
                                     &doc, NULL), AV_OK);
    CHECK_EQ_INT(doc.error_code, -30006);
    CHECK_EQ_STR(doc.description, "Not Found");

    /* neither a code nor an error says nothing */
    CHECK_EQ_INT(av_status_doc_parse(nothing, sizeof(nothing) - 1, &doc,
                                     &msg), AV_ERR_MALFORMED_BODY);
    CHECK_EQ_STR(msg, "status.code is missing");

    /* Get Status answers need no xid */
    CHECK_EQ_INT(av_status_doc_parse(no_xid, sizeof(no_xid) - 1, &doc,
                                     NULL), AV_OK);
    CHECK_EQ_INT(doc.code, 1890);

    /* but an xid that is there must be valid */
    CHECK_EQ_INT(av_status_doc_parse(bad_xid, sizeof(bad_xid) - 1, &doc,
                                     NULL), AV_ERR_INVALID_XID);
}


static void
test_failure_leaves_no_half_document(void)
{
    av_status_doc_t     doc;
    static const char  body[] =
        "{\"status\":{\"code\":1800,\"description\":\"Success\"},"
        "\"mobile_verification\":{\"phone_number\":\"13101234567\","
        "\"xid\":\"a\"},\"reference_id\":\"bad-one\"}";

    memset(&doc, 'x', sizeof(doc));
    CHECK_EQ_INT(av_callback_parse(body, sizeof(body) - 1, &doc, NULL),
                 AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(doc.code, 0);
    CHECK_EQ_STR(doc.description, "");
    CHECK_EQ_STR(doc.phone, "");
    CHECK_EQ_STR(doc.xid, "");
}


#define TS(s)  av_parse_iso8601_ms((s), sizeof(s) - 1)

static void
test_iso8601(void)
{
    CHECK_EQ_INT(TS("2014-10-30T22:57:43.984001Z"), 1414709863984LL);
    CHECK_EQ_INT(TS("2015-04-15T18:40:54Z"), 1429123254000LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.000000Z"), 1481739612000LL);
    CHECK_EQ_INT(TS("1970-01-01T00:00:00Z"), 0);
    CHECK_EQ_INT(TS("1970-01-01T00:00:00.001Z"), 1);
    CHECK_EQ_INT(TS("2038-01-19T03:14:08Z"), 2147483648000LL);
    CHECK_EQ_INT(TS("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}


static void
test_iso8601_fraction_of_0_to_9_digits(void)
{
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.9Z"), 1481739612900LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.98Z"), 1481739612980LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.123456789Z"), 1481739612123LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.1234567891Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12,5Z"), -1);
}


static void
test_iso8601_offsets(void)
{
    CHECK_EQ_INT(TS("2016-12-14T18:20:12+00:00"), 1481739612000LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12.5+00:00"), 1481739612500LL);
    CHECK_EQ_INT(TS("2016-12-14T19:20:12+01:00"), 1481739612000LL);
    CHECK_EQ_INT(TS("2016-12-14T13:50:12-04:30"), 1481739612000LL);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12+0000"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12+00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12+24:00"), -1);
}


static void
test_iso8601_calendar(void)
{
    CHECK_EQ_INT(TS("2016-02-29T00:00:00Z"), 1456704000000LL);
    CHECK_EQ_INT(TS("2000-02-29T23:59:59.999Z"), 951868799999LL);
    CHECK_EQ_INT(TS("2015-02-29T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2100-02-29T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-04-31T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-13-01T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-00-01T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-01-00T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-01-32T00:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-01-01T24:00:00Z"), -1);
    CHECK_EQ_INT(TS("2016-01-01T00:60:00Z"), -1);
    CHECK_EQ_INT(TS("2016-01-01T00:00:60Z"), -1);
    CHECK_EQ_INT(TS("1969-12-31T23:59:59Z"), -1);
}


static void
test_iso8601_malformed(void)
{
    CHECK_EQ_INT(TS(""), -1);
    CHECK_EQ_INT(TS("2016-12-14"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12z"), -1);
    CHECK_EQ_INT(TS("2016-12-14t18:20:12Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14 18:20:12Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12Z "), -1);
    CHECK_EQ_INT(TS(" 2016-12-14T18:20:12Z"), -1);
    CHECK_EQ_INT(TS("2016-12-14T18:20:12Z\0"), -1);
    CHECK_EQ_INT(TS("2016-12-1\0T18:20:12Z"), -1);
    CHECK_EQ_INT(TS("+016-12-14T18:20:12Z"), -1);
    CHECK_EQ_INT(TS("2016/12/14T18:20:12Z"), -1);
    CHECK_EQ_INT(TS("20161214T182012Z"), -1);
    CHECK_EQ_INT(av_parse_iso8601_ms(NULL, 0), -1);
    /* the length bounds the read */
    CHECK_EQ_INT(av_parse_iso8601_ms("2016-12-14T18:20:12Z", 19), -1);
}


int
main(void)
{
    RUN(test_seed_body_field_by_field);
    RUN(test_signed_vector_body_field_by_field);
    RUN(test_xid_at_top_level);
    RUN(test_callback_requires_code_and_xid);
    RUN(test_invalid_xid);
    RUN(test_xid_of_64_characters_fits);
    RUN(test_wrong_types_are_malformed);
    RUN(test_longest_fields_fit);
    RUN(test_formatted_phone_number_is_stripped);
    RUN(test_unknown_members_are_ignored);
    RUN(test_null_members_are_absent);
    RUN(test_callback_carries_only_sdk_codes);
    RUN(test_duplicate_keys_are_malformed);
    RUN(test_oversize_body);
    RUN(test_not_json);
    RUN(test_nested_junk_is_refused);
    RUN(test_members_of_one_object_are_bounded);
    RUN(test_escaped_names_and_values);
    RUN(test_long_escaped_string_outgrows_the_arena);
    RUN(test_faults_are_told_in_one_order);
    RUN(test_description_is_truncated_and_made_printable);
    RUN(test_errors_first_code_is_kept);
    RUN(test_get_status_with_only_errors);
    RUN(test_failure_leaves_no_half_document);
    RUN(test_iso8601);
    RUN(test_iso8601_fraction_of_0_to_9_digits);
    RUN(test_iso8601_offsets);
    RUN(test_iso8601_calendar);
    RUN(test_iso8601_malformed);

    return UNIT_DONE();
}
