/*
 * test_params.c: the client's fields from a query string, a form body or a
 * JSON body (av_params.h).
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "av_params.h"


#define FORM(p, s)  av_params_parse_form((p), (s), sizeof(s) - 1)
#define JSON(p, s)  av_params_parse_json((p), (s), sizeof(s) - 1)

/* a fresh parse of one literal, expecting err */
#define FORM_ERR(s, err)                                                    \
    do {                                                                    \
        av_params_t  p_;                                                    \
        av_params_init(&p_);                                                \
        CHECK_EQ_INT(FORM(&p_, s), (err));                                  \
    } while (0)

#define JSON_ERR(s, err)                                                    \
    do {                                                                    \
        av_params_t  p_;                                                    \
        av_params_init(&p_);                                                \
        CHECK_EQ_INT(JSON(&p_, s), (err));                                  \
    } while (0)


static void
test_init_sets_nothing(void)
{
    av_params_t  p;

    memset(&p, 'x', sizeof(p));
    av_params_init(&p);
    CHECK(!p.has_phone && !p.has_country_code && !p.has_phone_number
          && !p.has_xid && !p.has_code);
    CHECK_EQ_INT(p.phone_len, 0);
    CHECK_EQ_STR(p.xid, "");
}


static void
test_form_fields(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=%2B44+7981+897555&xid=abc-123&code=12345"),
                 AV_OK);
    CHECK(p.has_phone && p.has_xid && p.has_code);
    CHECK(!p.has_country_code && !p.has_phone_number);
    CHECK_EQ_MEM(p.phone, p.phone_len, "+44 7981 897555");
    CHECK_EQ_STR(p.phone, "+44 7981 897555");
    CHECK_EQ_MEM(p.xid, p.xid_len, "abc-123");
    CHECK_EQ_MEM(p.code, p.code_len, "12345");

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "country_code=%2b44&phone_number=07981%20897555"),
                 AV_OK);
    CHECK(p.has_country_code && p.has_phone_number && !p.has_phone);
    CHECK_EQ_MEM(p.country_code, p.country_code_len, "+44");
    CHECK_EQ_MEM(p.phone_number, p.phone_number_len, "07981 897555");
}


static void
test_form_plus_is_space_and_escapes_decode(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=1+(310)%20123-4567%2b"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "1 (310) 123-4567+");

    /* keys are decoded too */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "ph%6Fne=1&x%69d=a"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "1");
    CHECK_EQ_MEM(p.xid, p.xid_len, "a");

    /* bytes >= 0x80 are stored; the phone rules refuse them later */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=%EF%BC%94"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "\xef\xbc\x94");
}


static void
test_form_unknown_and_empty_pairs_are_ignored(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "&&foo=bar&phone=1&&=x&submit&"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "1");
    CHECK(!p.has_xid && !p.has_code);

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, ""), AV_OK);
    CHECK(!p.has_phone);

    /* a key without '=' is that field with an empty value */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone"), AV_OK);
    CHECK(p.has_phone);
    CHECK_EQ_INT(p.phone_len, 0);

    /* a field name is matched exactly */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phones=1&PHONE=2&phone_=3&xid2=4"), AV_OK);
    CHECK(!p.has_phone && !p.has_xid);
}


static void
test_form_bad_escapes_are_malformed(void)
{
    FORM_ERR("phone=%", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=%2", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=%zz", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=%2G", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=%%41", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=1%&xid=a", AV_ERR_MALFORMED_BODY);
    /* in a field we ignore as well: the body as a whole is malformed */
    FORM_ERR("foo=%zz&phone=1", AV_ERR_MALFORMED_BODY);
    FORM_ERR("f%o=1", AV_ERR_MALFORMED_BODY);
}


static void
test_form_nul_is_malformed(void)
{
    FORM_ERR("phone=%00", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=1%0044", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=1\0" "44", AV_ERR_MALFORMED_BODY);
    FORM_ERR("foo=\0&phone=1", AV_ERR_MALFORMED_BODY);
    FORM_ERR("xid%00=a", AV_ERR_MALFORMED_BODY);
}


static void
test_form_duplicate_field_is_malformed(void)
{
    FORM_ERR("phone=1&phone=2", AV_ERR_MALFORMED_BODY);
    FORM_ERR("phone=1&phone=1", AV_ERR_MALFORMED_BODY);
    FORM_ERR("xid=a&x%69d=b", AV_ERR_MALFORMED_BODY);
    FORM_ERR("code=12345&code", AV_ERR_MALFORMED_BODY);
    /* unknown fields may repeat: they are not ours to judge */
    FORM_ERR("foo=1&foo=2&phone=1", AV_OK);
}


static void
test_body_overrides_query(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=1&xid=q"), AV_OK);
    CHECK_EQ_INT(FORM(&p, "phone=2"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "2");
    CHECK_EQ_MEM(p.xid, p.xid_len, "q");

    CHECK_EQ_INT(JSON(&p, "{\"xid\":\"j\"}"), AV_OK);
    CHECK_EQ_MEM(p.xid, p.xid_len, "j");
    CHECK_EQ_MEM(p.phone, p.phone_len, "2");
}


/* "key=" followed by n copies of unit */
static size_t
make_field(char *buf, const char *key, const char *unit, size_t n)
{
    size_t  len, ul;

    len = strlen(key);
    memcpy(buf, key, len);
    buf[len++] = '=';

    ul = strlen(unit);
    while (n--) {
        memcpy(buf + len, unit, ul);
        len += ul;
    }

    return len;
}


static void
test_form_over_long_values(void)
{
    char         buf[512];
    size_t       n;
    av_params_t  p;

    /* 64 is the limit of phone, phone_number and xid */
    av_params_init(&p);
    n = make_field(buf, "phone", "1", AV_PHONE_INPUT_MAX);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);
    CHECK_EQ_INT(p.phone_len, AV_PHONE_INPUT_MAX);

    /* the limit is on the decoded value: 64 "%20" fit */
    av_params_init(&p);
    n = make_field(buf, "phone", "%20", AV_PHONE_INPUT_MAX);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);
    CHECK_EQ_INT(p.phone_len, AV_PHONE_INPUT_MAX);

    av_params_init(&p);
    n = make_field(buf, "phone", "%20", AV_PHONE_INPUT_MAX + 1);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_PHONE);

    av_params_init(&p);
    n = make_field(buf, "phone", "1", 200);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_PHONE);

    av_params_init(&p);
    n = make_field(buf, "phone_number", "1", AV_PHONE_INPUT_MAX + 1);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_PHONE);

    av_params_init(&p);
    n = make_field(buf, "xid", "a", AV_XID_MAX);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);
    CHECK_EQ_INT(p.xid_len, AV_XID_MAX);

    av_params_init(&p);
    n = make_field(buf, "xid", "a", AV_XID_MAX + 1);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_XID);

    av_params_init(&p);
    n = make_field(buf, "code", "1", 16);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);

    av_params_init(&p);
    n = make_field(buf, "code", "1", 17);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_CODE);

    av_params_init(&p);
    n = make_field(buf, "country_code", "4", 8);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);

    av_params_init(&p);
    n = make_field(buf, "country_code", "4", 9);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_ERR_INVALID_COUNTRY);

    /* an unknown field may be long */
    av_params_init(&p);
    n = make_field(buf, "comment", "x", 300);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, n), AV_OK);
}


static void
test_form_xid_must_be_valid(void)
{
    FORM_ERR("xid=a+b", AV_ERR_INVALID_XID);
    FORM_ERR("xid=a%2Fb", AV_ERR_INVALID_XID);
    FORM_ERR("xid=", AV_ERR_INVALID_XID);
    FORM_ERR("xid", AV_ERR_INVALID_XID);
    FORM_ERR("xid=caf%C3%A9", AV_ERR_INVALID_XID);
    FORM_ERR("xid=4325217a-742e-11e4-b116-123b93f75cba", AV_OK);
    FORM_ERR("xid=a.b_c:d-E", AV_OK);
}


static void
test_body_size_limit(void)
{
    char         *buf;
    av_params_t   p;

    buf = malloc(AV_PARAMS_BODY_MAX + 1);
    if (buf == NULL) {
        CHECK(buf != NULL);
        return;
    }

    memset(buf, '&', AV_PARAMS_BODY_MAX + 1);

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, AV_PARAMS_BODY_MAX), AV_OK);
    CHECK_EQ_INT(av_params_parse_form(&p, buf, AV_PARAMS_BODY_MAX + 1),
                 AV_ERR_BODY_TOO_LARGE);

    memset(buf, ' ', AV_PARAMS_BODY_MAX + 1);
    buf[0] = '{';
    buf[AV_PARAMS_BODY_MAX - 1] = '}';
    CHECK_EQ_INT(av_params_parse_json(&p, buf, AV_PARAMS_BODY_MAX), AV_OK);
    buf[AV_PARAMS_BODY_MAX - 1] = ' ';
    buf[AV_PARAMS_BODY_MAX] = '}';
    CHECK_EQ_INT(av_params_parse_json(&p, buf, AV_PARAMS_BODY_MAX + 1),
                 AV_ERR_BODY_TOO_LARGE);

    free(buf);
}


static void
test_json_fields(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"phone\":\"+44 7981 897555\",\"xid\":\"x-1\","
                          "\"code\":\"01234\",\"other\":[1,{\"a\":null}]}"),
                 AV_OK);
    CHECK(p.has_phone && p.has_xid && p.has_code);
    CHECK_EQ_MEM(p.phone, p.phone_len, "+44 7981 897555");
    CHECK_EQ_MEM(p.xid, p.xid_len, "x-1");
    CHECK_EQ_MEM(p.code, p.code_len, "01234");

    /* escapes are JSON's: \u002B is '+' */
    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"country_code\":\"\\u002B44\","
                          "\"phone_number\":\"07981 897555\"}"), AV_OK);
    CHECK_EQ_MEM(p.country_code, p.country_code_len, "+44");
    CHECK_EQ_MEM(p.phone_number, p.phone_number_len, "07981 897555");
}


static void
test_json_numbers_for_digit_fields(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"country_code\":44,\"phone_number\":7981897555,"
                          "\"code\":12345}"), AV_OK);
    CHECK_EQ_MEM(p.country_code, p.country_code_len, "44");
    CHECK_EQ_MEM(p.phone_number, p.phone_number_len, "7981897555");
    CHECK_EQ_MEM(p.code, p.code_len, "12345");

    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"phone\":447981897555}"), AV_OK);
    CHECK_EQ_MEM(p.phone, p.phone_len, "447981897555");

    /* a leading zero does not survive a number: the code is then 4 digits */
    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"code\":1234}"), AV_OK);
    CHECK(!av_code_valid(p.code, p.code_len));

    /* 19 digits do not fit the code field */
    JSON_ERR("{\"code\":1234567890123456789}", AV_ERR_INVALID_CODE);
    JSON_ERR("{\"country_code\":4444444444}", AV_ERR_INVALID_COUNTRY);
}


static void
test_json_wrong_types_are_malformed(void)
{
    JSON_ERR("{\"xid\":123}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":true}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":null}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":4.4e11}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":[\"+447981897555\"]}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":{\"cc\":44}}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"code\":-12345}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":-447981897555}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"country_code\":false}", AV_ERR_MALFORMED_BODY);
}


static void
test_json_not_an_object_is_malformed(void)
{
    av_params_t  p;

    JSON_ERR("", AV_ERR_MALFORMED_BODY);
    JSON_ERR("[]", AV_ERR_MALFORMED_BODY);
    JSON_ERR("[{\"phone\":\"1\"}]", AV_ERR_MALFORMED_BODY);
    JSON_ERR("\"phone\"", AV_ERR_MALFORMED_BODY);
    JSON_ERR("1", AV_ERR_MALFORMED_BODY);
    JSON_ERR("phone=1", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":\"1\"", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":\"1\"} {}", AV_ERR_MALFORMED_BODY);

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_json(&p, NULL, 0), AV_ERR_MALFORMED_BODY);
}


static void
test_json_duplicates_and_nul_are_malformed(void)
{
    JSON_ERR("{\"phone\":\"1\",\"phone\":\"2\"}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"xid\":\"a\",\"xid\":\"a\"}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":\"1\\u00002\"}", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":\"1\"}\0", AV_ERR_MALFORMED_BODY);
    JSON_ERR("{\"phone\":\"\xff\"}", AV_ERR_MALFORMED_BODY);
}


static void
test_json_over_long_and_bad_xid(void)
{
    JSON_ERR("{\"phone\":\""
             "0123456789012345678901234567890123456789012345678901234567890123"
             "4\"}", AV_ERR_INVALID_PHONE);
    JSON_ERR("{\"phone_number\":\""
             "0123456789012345678901234567890123456789012345678901234567890123"
             "4\"}", AV_ERR_INVALID_PHONE);
    JSON_ERR("{\"xid\":\""
             "0123456789012345678901234567890123456789012345678901234567890123"
             "4\"}", AV_ERR_INVALID_XID);
    JSON_ERR("{\"code\":\"12345678901234567\"}", AV_ERR_INVALID_CODE);
    JSON_ERR("{\"country_code\":\"+0044 44 4\"}", AV_ERR_INVALID_COUNTRY);
    JSON_ERR("{\"xid\":\"a b\"}", AV_ERR_INVALID_XID);
    JSON_ERR("{\"xid\":\"\"}", AV_ERR_INVALID_XID);
    JSON_ERR("{\"xid\":\"abc123\"}", AV_OK);
}


#define PICK(p, err, want)                                                  \
    do {                                                                    \
        char    o_[AV_PHONE_MAX + 1];                                       \
        size_t  n_ = 99;                                                    \
        CHECK_EQ_INT(av_params_phone((p), o_, &n_), (err));                 \
        CHECK_EQ_MEM(o_, n_, (want));                                       \
    } while (0)


static void
test_phone_choice(void)
{
    av_params_t  p;

    av_params_init(&p);
    PICK(&p, AV_ERR_MISSING_PHONE, "");

    /* half a pair is not a phone */
    CHECK_EQ_INT(FORM(&p, "country_code=44"), AV_OK);
    PICK(&p, AV_ERR_MISSING_PHONE, "");

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone_number=7981897555"), AV_OK);
    PICK(&p, AV_ERR_MISSING_PHONE, "");

    /* the pair */
    CHECK_EQ_INT(FORM(&p, "country_code=%2B44"), AV_OK);
    PICK(&p, AV_OK, "447981897555");

    /* "phone" wins over the pair */
    CHECK_EQ_INT(FORM(&p, "phone=1(310)123-4567"), AV_OK);
    PICK(&p, AV_OK, "13101234567");

    /* an empty phone, as an untouched form input sends, is absent */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=&country_code=44&phone_number=07981897555"),
                 AV_OK);
    PICK(&p, AV_OK, "447981897555");

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=&country_code=&phone_number="), AV_OK);
    PICK(&p, AV_ERR_MISSING_PHONE, "");
}


static void
test_phone_errors_pass_through(void)
{
    av_params_t  p;

    /* a bad phone does not fall back to the pair */
    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=abc&country_code=44&phone_number=7981897555"),
                 AV_OK);
    PICK(&p, AV_ERR_INVALID_PHONE, "");

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=%2B2812345678"), AV_OK);
    PICK(&p, AV_ERR_INVALID_COUNTRY, "");

    av_params_init(&p);
    CHECK_EQ_INT(JSON(&p, "{\"country_code\":28,\"phone_number\":12345678}"),
                 AV_OK);
    PICK(&p, AV_ERR_INVALID_COUNTRY, "");

    av_params_init(&p);
    CHECK_EQ_INT(FORM(&p, "phone=%EF%BC%94%EF%BC%94"), AV_OK);
    PICK(&p, AV_ERR_INVALID_PHONE, "");
}


static void
test_code_valid_is_exactly_five_ascii_digits(void)
{
    CHECK(av_code_valid("12345", 5));
    CHECK(av_code_valid("00000", 5));
    CHECK(av_code_valid("123456", 5));      /* the length bounds the read */
    CHECK(!av_code_valid("1234", 4));
    CHECK(!av_code_valid("123456", 6));
    CHECK(!av_code_valid("1234a", 5));
    CHECK(!av_code_valid("12 45", 5));
    CHECK(!av_code_valid("-1234", 5));
    CHECK(!av_code_valid("1234\0", 5));
    CHECK(!av_code_valid("", 0));
    CHECK(!av_code_valid(NULL, 5));
    /* Arabic-Indic digits are not ASCII digits */
    CHECK(!av_code_valid("\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5", 10));
    CHECK(!av_code_valid("\xd9\xa1\xd9\xa2\xd9", 5));
}


/* the missed-call finalize variants: the number that called, or "it never came" */
static void
test_finalize_fields(void)
{
    av_params_t  p;

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "caller_id=%2B44%20787%2012345",
                                      sizeof("caller_id=%2B44%20787%2012345")
                                      - 1), AV_OK);
    CHECK(p.has_caller_id);
    CHECK_EQ_STR(p.caller_id, "+44 787 12345");
    CHECK(!p.has_timeout);

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_json(&p, "{\"timeout\":1}", 13), AV_OK);
    CHECK(p.has_timeout);
    CHECK_EQ_STR(p.timeout, "1");

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "timeout=1&timeout=1", 19),
                 AV_ERR_MALFORMED_BODY);

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "timeout=123456789", 17),
                 AV_ERR_MALFORMED_BODY);
}


/* the query first, then the body by its type; the body's field wins */
static void
test_read_query_then_body(void)
{
    av_params_t  p;
    const char   q[] = "xid=q1&phone=%2B13101234567";
    const char   form[] = "xid=b1";
    const char   json[] = "{\"xid\":\"j1\"}";

    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, q, strlen(q), NULL, 0,
                                NULL, 0), AV_OK);
    CHECK_EQ_STR(p.xid, "q1");
    CHECK(p.has_phone);

    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, q, strlen(q), form,
                                strlen(form),
                                "application/x-www-form-urlencoded", 33),
                 AV_OK);
    CHECK_EQ_STR(p.xid, "b1");
    CHECK(p.has_phone);

    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, NULL, 0, json,
                                strlen(json),
                                "Application/JSON; charset=utf-8", 31),
                 AV_OK);
    CHECK_EQ_STR(p.xid, "j1");

    /* JSON without its type is read as a form, and is not one */
    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, NULL, 0, json,
                                strlen(json), NULL, 0), AV_OK);
    CHECK(!p.has_xid);

    /* a short type is no JSON type */
    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, NULL, 0, form,
                                strlen(form), "application/js", 14), AV_OK);
    CHECK_EQ_STR(p.xid, "b1");

    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, "xid=%zz", 7, NULL, 0,
                                NULL, 0), AV_ERR_MALFORMED_BODY);
    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_POST, NULL, 0, "{", 1,
                                "application/json", 16),
                 AV_ERR_MALFORMED_BODY);

    /* a GET's body, read to its end, holds no fields: the query's stand */
    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_GET, q, strlen(q), "{", 1,
                                "application/json", 16), AV_OK);
    CHECK_EQ_STR(p.xid, "q1");
    CHECK_EQ_INT(av_params_read(&p, AV_METHOD_GET, NULL, 0, form,
                                strlen(form), NULL, 0), AV_OK);
    CHECK(!p.has_xid);
}

static void
test_accept_json(void)
{
    CHECK(av_accept_json("application/json", 16));
    CHECK(av_accept_json("text/plain, APPLICATION/JSON;q=0.9", 34));
    CHECK(!av_accept_json("text/plain", 10));
    CHECK(!av_accept_json("application/jso", 15));
    CHECK(!av_accept_json(NULL, 0));
    CHECK(!av_accept_json("*/*", 3));
}



/* A new verification's xid: the one given, else one drawn once and kept,
 * so that every run of a step names the same record (av_snap.h). */
static void
test_xid_given_or_drawn(void)
{
    av_params_t  p;
    char         xid[AV_XID_MAX + 1];

    av_params_init(&p);
    CHECK_EQ_INT(av_params_xid(&p), AV_OK);
    CHECK(p.has_xid && p.xid_len == strlen(p.xid) && p.xid_len == 36);
    strcpy(xid, p.xid);
    CHECK_EQ_INT(av_params_xid(&p), AV_OK);
    CHECK_EQ_STR(p.xid, xid);

    av_params_init(&p);
    CHECK_EQ_INT(av_params_parse_form(&p, "xid=abc-1", 9), AV_OK);
    CHECK_EQ_INT(av_params_xid(&p), AV_OK);
    CHECK_EQ_STR(p.xid, "abc-1");
}


int
main(void)
{
    RUN(test_init_sets_nothing);
    RUN(test_form_fields);
    RUN(test_form_plus_is_space_and_escapes_decode);
    RUN(test_form_unknown_and_empty_pairs_are_ignored);
    RUN(test_form_bad_escapes_are_malformed);
    RUN(test_form_nul_is_malformed);
    RUN(test_form_duplicate_field_is_malformed);
    RUN(test_body_overrides_query);
    RUN(test_form_over_long_values);
    RUN(test_form_xid_must_be_valid);
    RUN(test_body_size_limit);
    RUN(test_json_fields);
    RUN(test_json_numbers_for_digit_fields);
    RUN(test_json_wrong_types_are_malformed);
    RUN(test_json_not_an_object_is_malformed);
    RUN(test_json_duplicates_and_nul_are_malformed);
    RUN(test_json_over_long_and_bad_xid);
    RUN(test_phone_choice);
    RUN(test_phone_errors_pass_through);
    RUN(test_code_valid_is_exactly_five_ascii_digits);
    RUN(test_finalize_fields);
    RUN(test_read_query_then_body);
    RUN(test_accept_json);
    RUN(test_xid_given_or_drawn);

    return UNIT_DONE();
}
