/*
 * test_json.c: jansson in the per-thread arena (av_json.h): documents
 * small and larger than the arena, failures, and loads one after another
 * reuse the arena (valgrind's run of the unit tests sees no leak).
 */
#include "unit.h"
#include "av_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_small(void)
{
    json_t  *root;

    root = av_json_load("{\"a\":\"b\",\"n\":[1,2,3]}", 21);
    CHECK(root != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(root, "a")), "b");
    CHECK_EQ_INT((int) json_array_size(json_object_get(root, "n")), 3);
    av_json_done(root);

    /* refused: not JSON, a duplicate key */
    root = av_json_load("{\"a\":", 5);
    CHECK(root == NULL);
    av_json_done(root);

    root = av_json_load("{\"a\":1,\"a\":2}", 13);
    CHECK(root == NULL);
    av_json_done(root);
}

static void
test_larger_than_the_arena(void)
{
    size_t   i, len;
    char    *s;
    json_t  *root;

    /* 20000 one-element arrays: far more tree than AV_JSON_ARENA */
    s = malloc(20000 * 6 + 16);
    CHECK(s != NULL);
    len = 0;
    s[len++] = '[';
    for (i = 0; i < 20000; i++) {
        len += (size_t) sprintf(s + len, "%s[%d]", i ? "," : "", (int) (i % 10));
    }
    s[len++] = ']';

    root = av_json_load(s, len);
    CHECK(root != NULL);
    CHECK_EQ_INT((int) json_array_size(root), 20000);
    CHECK_EQ_INT((int) json_integer_value(json_array_get(
                     json_array_get(root, 19999), 0)), 9);
    av_json_done(root);
    free(s);
}

static void
test_many(void)
{
    int      i, loaded;
    json_t  *root, *doc;

    loaded = 0;

    for (i = 0; i < 100000; i++) {
        root = av_json_load("{\"k\":\"v\"}", 9);
        loaded += (root != NULL);
        av_json_done(root);
    }

    CHECK_EQ_INT(loaded, 100000);

    /* outside a load jansson is malloc's: a tree built here lives on */
    root = json_pack("{s:i}", "x", 1);
    CHECK(root != NULL);
    doc = av_json_load("[1]", 3);
    CHECK(doc != NULL);
    av_json_done(doc);
    CHECK_EQ_INT((int) json_integer_value(json_object_get(root, "x")), 1);
    json_decref(root);
}

int
main(void)
{
    RUN(test_small);
    RUN(test_larger_than_the_arena);
    RUN(test_many);

    return UNIT_DONE();
}
