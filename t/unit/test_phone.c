/*
 * test_phone.c: E.164 normalization (telesign-protocol.md section 6, the
 * SDK seed's "Best Practices for Phone Number Formatting").
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "av_phone.h"


/* Macros, not functions, so a failure names the line of the case.  Inputs
 * are string literals: sizeof keeps embedded NUL bytes in the input. */

#define PHONE_OK(in, want)                                                  \
    do {                                                                    \
        char    o_[AV_PHONE_MAX + 1];                                       \
        size_t  n_ = 99;                                                    \
        CHECK_EQ_INT(av_phone_normalize((in), sizeof(in) - 1, o_, &n_),     \
                     AV_OK);                                                \
        CHECK_EQ_MEM(o_, n_, (want));                                       \
        CHECK_EQ_INT(o_[n_], '\0');                                         \
    } while (0)

#define PHONE_ERR(in, err)                                                  \
    do {                                                                    \
        char    o_[AV_PHONE_MAX + 1];                                       \
        size_t  n_ = 99;                                                    \
        CHECK_EQ_INT(av_phone_normalize((in), sizeof(in) - 1, o_, &n_),     \
                     (err));                                                \
        CHECK_EQ_INT(n_, 0);                                                \
    } while (0)

#define PAIR_OK(cc, nat, want)                                              \
    do {                                                                    \
        char    o_[AV_PHONE_MAX + 1];                                       \
        size_t  n_ = 99;                                                    \
        CHECK_EQ_INT(av_phone_normalize_pair((cc), sizeof(cc) - 1, (nat),   \
                     sizeof(nat) - 1, o_, &n_), AV_OK);                     \
        CHECK_EQ_MEM(o_, n_, (want));                                       \
    } while (0)

#define PAIR_ERR(cc, nat, err)                                              \
    do {                                                                    \
        char    o_[AV_PHONE_MAX + 1];                                       \
        size_t  n_ = 99;                                                    \
        CHECK_EQ_INT(av_phone_normalize_pair((cc), sizeof(cc) - 1, (nat),   \
                     sizeof(nat) - 1, o_, &n_), (err));                     \
        CHECK_EQ_INT(n_, 0);                                                \
    } while (0)


static void
test_seed_examples(void)
{
    /* the two examples the SDK documentation gives, byte for byte */
    PHONE_OK("1(310)123-4567", "13101234567");
    PHONE_OK("+44-7981-897555", "447981897555");
}


static void
test_formatting_characters_are_stripped(void)
{
    PHONE_OK("13101234567", "13101234567");
    PHONE_OK("+1 (310) 123-4567", "13101234567");
    PHONE_OK("  +33 6 12 34 56 78  ", "33612345678");
    PHONE_OK("+49.151.2345.6789", "4915123456789");
    PHONE_OK("+1/310/123/4567", "13101234567");
    PHONE_OK("+7 916 123-45-67", "79161234567");
    PHONE_OK("+380 67 123 4567", "380671234567");
    PHONE_OK("+886 912 345 678", "886912345678");
}


static void
test_plus_only_as_first_non_space_character(void)
{
    PHONE_OK("   +447981897555", "447981897555");
    PHONE_ERR("44+7981897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("++447981897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("(+44) 7981 897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("-+447981897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+447981897555+", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+", AV_ERR_INVALID_PHONE);
}


static void
test_leading_00_is_the_international_prefix(void)
{
    PHONE_OK("0044 7981 897555", "447981897555");
    PHONE_OK("00447981897555", "447981897555");
    PHONE_OK("001 310 123 4567", "13101234567");
    /* with a '+' there is no prefix to strip: "+00" is no country */
    PHONE_ERR("+00447981897555", AV_ERR_INVALID_COUNTRY);
    /* only one "00" */
    PHONE_ERR("000447981897555", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("00", AV_ERR_INVALID_PHONE);
}


static void
test_zero_between_country_code_and_number_is_dropped(void)
{
    PHONE_OK("+44 (0) 7981 897555", "447981897555");
    PHONE_OK("4407981897555", "447981897555");
    PHONE_OK("0044 (0)7981 897555", "447981897555");
    PHONE_OK("+49 (0)151 2345 6789", "4915123456789");
    PHONE_OK("+380 (0)67 123 4567", "380671234567");
    /* only one: a second '0' is the caller's problem, not ours to guess */
    PHONE_OK("+44 00 7981 89755", "44079818975" "5");
}


static void
test_zero_kept_where_it_is_part_of_the_number(void)
{
    /* Italian fixed numbers, Ivorian and Beninese mobiles begin with 0 in
     * E.164 itself */
    PHONE_OK("+39 06 6982 1234", "390669821234");
    PHONE_OK("+225 07 07 12 34 56", "2250707123456");
    PHONE_OK("+229 01 97 12 34 56", "2290197123456");
    PHONE_OK("+378 0549 123456", "3780549123456");
}


static void
test_national_format_without_country_code_is_refused(void)
{
    PHONE_ERR("07981 897555", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+0 7981 897555", AV_ERR_INVALID_COUNTRY);
}


static void
test_letters_and_punctuation_are_refused(void)
{
    PHONE_ERR("abc", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44 7981 89755a", AV_ERR_INVALID_PHONE);
    PHONE_ERR("1-800-FLOWERS", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44 7981 897555 ext 12", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44,7981,897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44_7981_897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44*7981897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44\t7981897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+44 7981 897555\n", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+1 310 123 4567;", AV_ERR_INVALID_PHONE);
}


static void
test_nul_and_non_ascii_digits_are_refused(void)
{
    PHONE_ERR("+44 7981\0 897555", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+447981897555\0", AV_ERR_INVALID_PHONE);
    /* fullwidth "+447981897555" */
    PHONE_ERR("\xef\xbc\x8b\xef\xbc\x94\xef\xbc\x94\xef\xbc\x97\xef\xbc\x99"
              "\xef\xbc\x98\xef\xbc\x91\xef\xbc\x98\xef\xbc\x99\xef\xbc\x97"
              "\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95", AV_ERR_INVALID_PHONE);
    /* Arabic-Indic digits inside an otherwise good number */
    PHONE_ERR("+44 7981 89755\xd9\xa5", AV_ERR_INVALID_PHONE);
    /* a non-breaking space is not a space */
    PHONE_ERR("+44\xc2\xa0" "7981897555", AV_ERR_INVALID_PHONE);
}


static void
test_length_8_to_15_digits(void)
{
    PHONE_ERR("", AV_ERR_INVALID_PHONE);
    PHONE_ERR("   ", AV_ERR_INVALID_PHONE);
    PHONE_ERR("+1 310 12", AV_ERR_INVALID_PHONE);       /* 6 */
    PHONE_ERR("+44 12345", AV_ERR_INVALID_PHONE);       /* 7 */
    PHONE_ERR("+44 (0)", AV_ERR_INVALID_PHONE);
    PHONE_OK("+290 22222", "29022222");                 /* 8 */
    PHONE_OK("+49 1234 5678 90123", "491234567890123"); /* 15 */
    PHONE_ERR("+49 1234 5678 901234", AV_ERR_INVALID_PHONE);     /* 16 */
    PHONE_ERR("+44 7981 897555 12345", AV_ERR_INVALID_PHONE);
    PHONE_ERR("1111111111111111111111111111111111111111",
              AV_ERR_INVALID_PHONE);
}


static void
test_input_longer_than_max_is_refused_unread(void)
{
    char    in[AV_PHONE_INPUT_MAX + 2], out[AV_PHONE_MAX + 1];
    size_t  n;

    /* a good number padded with spaces to exactly the limit passes */
    memset(in, ' ', sizeof(in));
    memcpy(in, "+447981897555", 13);

    n = 99;
    CHECK_EQ_INT(av_phone_normalize(in, AV_PHONE_INPUT_MAX, out, &n), AV_OK);
    CHECK_EQ_MEM(out, n, "447981897555");

    /* one byte more and it does not */
    CHECK_EQ_INT(av_phone_normalize(in, AV_PHONE_INPUT_MAX + 1, out, &n),
                 AV_ERR_INVALID_PHONE);
    CHECK_EQ_INT(av_phone_normalize(NULL, 0, out, &n), AV_ERR_INVALID_PHONE);
}


static void
test_unassigned_country_codes_are_refused(void)
{
    PHONE_ERR("2812345678", AV_ERR_INVALID_COUNTRY);    /* 28x spare */
    PHONE_ERR("+422 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+425 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+259 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+384 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+388 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+671 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+693 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+969 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+999 123 456 789", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+835 123 456 789", AV_ERR_INVALID_COUNTRY);
}


static void
test_non_geographic_codes_are_refused(void)
{
    /* international freephone, shared cost, satellite, premium rate: no
     * person's mobile has such a number */
    PHONE_ERR("+800 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+808 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+870 7731 23456", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+878 1010 12345", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+881 6312 34567", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+882 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+883 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+888 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+979 1234 5678", AV_ERR_INVALID_COUNTRY);
    PHONE_ERR("+379 1234 5678", AV_ERR_INVALID_COUNTRY);
}


/*
 * The ITU list written a second, independent way (ranges rather than the
 * table av_phone.c holds), compared for every code 1..999.
 */
static int
expect_assigned(unsigned c)
{
    static const unsigned  ranges[][2] = {
        { 1, 1 }, { 7, 7 },
        { 20, 20 }, { 27, 27 }, { 30, 34 }, { 36, 36 }, { 39, 41 },
        { 43, 49 }, { 51, 58 }, { 60, 66 }, { 81, 82 }, { 84, 84 },
        { 86, 86 }, { 90, 95 }, { 98, 98 },
        { 211, 213 }, { 216, 216 }, { 218, 218 }, { 220, 258 },
        { 260, 269 }, { 290, 291 }, { 297, 299 },
        { 350, 359 }, { 370, 378 }, { 380, 383 }, { 385, 387 },
        { 389, 389 }, { 420, 421 }, { 423, 423 },
        { 500, 509 }, { 590, 599 },
        { 670, 670 }, { 672, 683 }, { 685, 692 },
        { 850, 850 }, { 852, 853 }, { 855, 856 }, { 880, 880 },
        { 886, 886 },
        { 960, 968 }, { 970, 977 }, { 992, 996 }, { 998, 998 },
    };
    size_t  i;

    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (c >= ranges[i][0] && c <= ranges[i][1]) {
            return 1;
        }
    }

    return 0;
}


static void
test_country_code_table_matches_itu_list(void)
{
    int       n;
    char      s[8];
    size_t    want, got;
    unsigned  c, mismatches;

    mismatches = 0;

    for (c = 1; c <= 999; c++) {
        n = snprintf(s, sizeof(s), "%u", c);

        /* the shortest assigned prefix, as E.164 is prefix-free */
        want = 0;
        if (expect_assigned(c / (n == 3 ? 100 : n == 2 ? 10 : 1))) {
            want = 1;
        } else if (n >= 2 && expect_assigned(c / (n == 3 ? 10 : 1))) {
            want = 2;
        } else if (n == 3 && expect_assigned(c)) {
            want = 3;
        }

        got = av_phone_country_code_len(s, (size_t) n);

        if (got != want) {
            mismatches++;
            fprintf(stderr, "country code %u: got %zu, want %zu\n",
                    c, got, want);
        }
    }

    CHECK_EQ_INT(mismatches, 0);
}


static void
test_country_code_len(void)
{
    CHECK_EQ_INT(av_phone_country_code_len("13101234567", 11), 1);
    CHECK_EQ_INT(av_phone_country_code_len("79161234567", 11), 1);
    CHECK_EQ_INT(av_phone_country_code_len("447981897555", 12), 2);
    CHECK_EQ_INT(av_phone_country_code_len("380671234567", 12), 3);
    CHECK_EQ_INT(av_phone_country_code_len("1x", 2), 1);
    CHECK_EQ_INT(av_phone_country_code_len("35", 2), 0);   /* 35x needs 3 */
    CHECK_EQ_INT(av_phone_country_code_len("4", 1), 0);
    CHECK_EQ_INT(av_phone_country_code_len("0447981897555", 13), 0);
    CHECK_EQ_INT(av_phone_country_code_len("x1", 2), 0);
    CHECK_EQ_INT(av_phone_country_code_len("", 0), 0);
    CHECK_EQ_INT(av_phone_country_code_len(NULL, 5), 0);
    /* the length bounds the read: "44" cut at 1 is "4" */
    CHECK_EQ_INT(av_phone_country_code_len("44", 1), 0);
}


static void
test_pair_form(void)
{
    PAIR_OK("+44", "07981 897555", "447981897555");
    PAIR_OK("0044", "7981897555", "447981897555");
    PAIR_OK("44", "7981-897555", "447981897555");
    PAIR_OK(" 44 ", "(0)7981 897555", "447981897555");
    PAIR_OK("1", "(310) 123-4567", "13101234567");
    PAIR_OK("+1", "310.123.4567", "13101234567");
    PAIR_OK("380", "067 123 4567", "380671234567");
}


static void
test_pair_drops_only_one_trunk_zero(void)
{
    PAIR_OK("44", "00 7981 897555", "4407981897555");
}


static void
test_pair_keeps_zero_where_it_is_part_of_the_number(void)
{
    PAIR_OK("39", "06 6982 1234", "390669821234");
    PAIR_OK("+225", "07 07 12 34 56", "2250707123456");
}


static void
test_pair_drops_nanp_trunk_one(void)
{
    /* "1 310 123 4567" typed into the number field with country code 1 */
    PAIR_OK("1", "1 310 123 4567", "13101234567");
    /* '1' is a trunk prefix only in NANP */
    PAIR_OK("7", "1 310 123 4567", "713101234567");
}


static void
test_pair_bad_country_code(void)
{
    PAIR_ERR("28", "12345678", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("+", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("0", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("4a", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("UK", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("447", "981897555", AV_ERR_INVALID_COUNTRY);   /* not a code */
    PAIR_ERR("+0044", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("800", "12345678", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("4\0", "7981897555", AV_ERR_INVALID_COUNTRY);
    PAIR_ERR("44+", "7981897555", AV_ERR_INVALID_COUNTRY);
}


static void
test_pair_bad_national_number(void)
{
    PAIR_ERR("44", "+447981897555", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "7981 ABC", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "0", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "12345", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "7981 897555 1234", AV_ERR_INVALID_PHONE);  /* 16 */
    PAIR_ERR("44", "7981\0" "897555", AV_ERR_INVALID_PHONE);
    PAIR_ERR("44", "\xd9\xa7\xd9\xa9\xd9\xa8\xd9\xa1\xd9\xa8\xd9\xa9",
             AV_ERR_INVALID_PHONE);
}


/* toll-fraud guard: the allowlist compares the number's own country code */
static void
test_country_allowlist(void)
{
    static const unsigned  uk_us[] = { 44, 1 };
    static const unsigned  four[] = { 4 };

    CHECK_EQ_INT(av_phone_check_country("447981897555", 12, uk_us, 2), AV_OK);
    CHECK_EQ_INT(av_phone_check_country("13101234567", 11, uk_us, 2), AV_OK);
    /* 1242 (Bahamas) shares the North American plan's code 1 */
    CHECK_EQ_INT(av_phone_check_country("12423221234", 11, uk_us, 2), AV_OK);
    CHECK_EQ_INT(av_phone_check_country("33612345678", 11, uk_us, 2),
                 AV_ERR_COUNTRY_NOT_ALLOWED);
    /* 4 is not a code: 44 numbers do not match it by their first digit */
    CHECK_EQ_INT(av_phone_check_country("447981897555", 12, four, 1),
                 AV_ERR_COUNTRY_NOT_ALLOWED);
    /* 2251 is Cote d'Ivoire (225), not a 22x country */
    CHECK_EQ_INT(av_phone_check_country("2250701234567", 13, uk_us, 2),
                 AV_ERR_COUNTRY_NOT_ALLOWED);
    CHECK_EQ_INT(av_phone_check_country("33612345678", 11, NULL, 0), AV_OK);
    CHECK_EQ_INT(av_phone_check_country("", 0, uk_us, 2),
                 AV_ERR_COUNTRY_NOT_ALLOWED);
}


int
main(void)
{
    RUN(test_seed_examples);
    RUN(test_formatting_characters_are_stripped);
    RUN(test_plus_only_as_first_non_space_character);
    RUN(test_leading_00_is_the_international_prefix);
    RUN(test_zero_between_country_code_and_number_is_dropped);
    RUN(test_zero_kept_where_it_is_part_of_the_number);
    RUN(test_national_format_without_country_code_is_refused);
    RUN(test_letters_and_punctuation_are_refused);
    RUN(test_nul_and_non_ascii_digits_are_refused);
    RUN(test_length_8_to_15_digits);
    RUN(test_input_longer_than_max_is_refused_unread);
    RUN(test_unassigned_country_codes_are_refused);
    RUN(test_non_geographic_codes_are_refused);
    RUN(test_country_code_table_matches_itu_list);
    RUN(test_country_code_len);
    RUN(test_pair_form);
    RUN(test_pair_drops_only_one_trunk_zero);
    RUN(test_pair_keeps_zero_where_it_is_part_of_the_number);
    RUN(test_pair_drops_nanp_trunk_one);
    RUN(test_pair_bad_country_code);
    RUN(test_pair_bad_national_number);

    RUN(test_country_allowlist);
    return UNIT_DONE();
}
