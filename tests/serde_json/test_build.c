/* test_build.c - building values: setters by path (creating objects and
 * arrays on the way, appending, replacing), removal, copies, the depth
 * limit, the compact writer (escapes, shortest reals) and round trips. */
#include <math.h>

#include "helpers.h"

TestSuite(json_build, .timeout = 10);

static void ok(kstream_err_t rc, const char *err)
{
    cr_assert(eq(int, rc, KSTREAM_OK), "%s: %s", kstream_err2name(rc), err);
}

Test(json_build, setters_create_objects_on_the_way)
{
    kstream_json_t *v = kstream_json_new_object();
    char err[256] = "";
    ok(kstream_json_set_int64(v, "after.user_id", 42, err, sizeof(err)), err);
    ok(kstream_json_set_string(v, "after.name", "Ann", err, sizeof(err)), err);
    ok(kstream_json_set_double(v, "after.total", 19.99, err, sizeof(err)), err);
    ok(kstream_json_set_bool(v, "after.paid", true, err, sizeof(err)), err);
    ok(kstream_json_set_null(v, "before", err, sizeof(err)), err);
    ok(kstream_json_set_string(v, "op", "c", err, sizeof(err)), err);
    j_expect_dump(v, "{\"after\":{\"user_id\":42,\"name\":\"Ann\","
                     "\"total\":19.99,\"paid\":true},\"before\":null,"
                     "\"op\":\"c\"}");
    kstream_json_destroy(v);
}

Test(json_build, indexes_append_replace_and_create_arrays)
{
    kstream_json_t *v = kstream_json_new_object();
    char err[256] = "";
    ok(kstream_json_set_string(v, "items[0].sku", "A1", err, sizeof(err)), err);
    ok(kstream_json_set_int64(v, "items[0].qty", 2, err, sizeof(err)), err);
    ok(kstream_json_set_string(v, "items[1].sku", "B2", err, sizeof(err)), err);
    ok(kstream_json_set_int64(v, "m[0][0]", 1, err, sizeof(err)), err);
    ok(kstream_json_set_int64(v, "m[0][1]", 2, err, sizeof(err)), err);
    ok(kstream_json_set_int64(v, "m[0][0]", 9, err, sizeof(err)), err);
    j_expect_dump(v, "{\"items\":[{\"sku\":\"A1\",\"qty\":2},{\"sku\":\"B2\"}],"
                     "\"m\":[[9,2]]}");
    cr_assert(eq(int, kstream_json_set_int64(v, "items[3]", 1, err,
                                             sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(strstr(err, "items has 2 elements") != NULL, "%s", err);
    kstream_json_destroy(v);

    v = kstream_json_new_array();
    ok(kstream_json_set_int64(v, "[0]", 5, err, sizeof(err)), err);
    ok(kstream_json_set_string(v, "[1].x", "y", err, sizeof(err)), err);
    j_expect_dump(v, "[5,{\"x\":\"y\"}]");
    kstream_json_destroy(v);
}

Test(json_build, a_null_on_the_way_is_replaced_and_a_scalar_refused)
{
    kstream_json_t *v = j_parse("{\"after\":null,\"op\":\"c\"}");
    char err[256] = "";
    ok(kstream_json_set_int64(v, "after.id", 1, err, sizeof(err)), err);
    j_expect_dump(v, "{\"after\":{\"id\":1},\"op\":\"c\"}");
    cr_assert(eq(int, kstream_json_set_int64(v, "op.x", 1, err, sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(str, err, "field op.x: op: expected an object, got string"));
    cr_assert(eq(int, kstream_json_set_int64(v, "after[0]", 1, err,
                                             sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "expected an array, got object") != NULL, "%s", err);
    j_expect_dump(v, "{\"after\":{\"id\":1},\"op\":\"c\"}");
    kstream_json_destroy(v);

    v = j_parse("\"scalar\"");
    cr_assert(eq(int, kstream_json_set_int64(v, "a", 1, err, sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "(root)") != NULL, "%s", err);
    kstream_json_destroy(v);
}

Test(json_build, bad_values_and_paths_are_refused)
{
    kstream_json_t *v = kstream_json_new_object();
    char err[256] = "";
    cr_assert(eq(int, kstream_json_set_double(v, "x", NAN, err, sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "field x") != NULL, "%s", err);
    cr_assert(eq(int, kstream_json_set_double(v, "x", INFINITY, NULL, 0),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(int, kstream_json_set_string(v, "x", "\xff\xfe", err,
                                              sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "UTF-8") != NULL, "%s", err);
    cr_assert(eq(int, kstream_json_set_string(v, "\xff", "ok", NULL, 0),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(int, kstream_json_set_int64(v, "", 1, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_set_int64(v, "a..b", 1, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_set_string(v, "a", NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_set_int64(NULL, "a", 1, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_set(v, "a", NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    j_expect_dump(v, "{}");
    kstream_json_destroy(v);
}

Test(json_build, set_copies_values_even_from_itself)
{
    kstream_json_t *v = j_parse("{\"a\":{\"b\":[1,2]}}");
    const kstream_json_t *a = NULL;
    cr_assert(eq(int, kstream_json_get(v, "a", &a, NULL, 0), KSTREAM_OK));
    char err[256] = "";
    ok(kstream_json_set(v, "a.copy", a, err, sizeof(err)), err);
    ok(kstream_json_set_int64(v, "a.b[0]", 7, err, sizeof(err)), err);
    j_expect_dump(v, "{\"a\":{\"b\":[7,2],\"copy\":{\"b\":[1,2]}}}");
    kstream_json_destroy(v);
}

Test(json_build, setters_respect_the_depth_limit)
{
    /* A chain of KSTREAM_JSON_MAX_DEPTH - 1 members holds a scalar: the
     * root and the members are MAX_DEPTH containers at most. */
    char path[4 * KSTREAM_JSON_MAX_DEPTH];
    size_t n = 0;
    for (int i = 0; i < KSTREAM_JSON_MAX_DEPTH; i++) {
        if (i)
            path[n++] = '.';
        path[n++] = 'a';
    }
    path[n] = '\0';
    kstream_json_t *v = kstream_json_new_object();
    char err[256] = "";
    ok(kstream_json_set_int64(v, path, 1, err, sizeof(err)), err);
    /* The result parses back: it is within the limit. */
    char *text = j_dump(v);
    kstream_json_t *back = j_parse(text);
    cr_assert(kstream_json_equal(v, back));
    free(text);
    kstream_json_destroy(back);

    /* An object at the deepest place would be one level too deep. */
    kstream_json_t *obj = kstream_json_new_object();
    cr_assert(eq(int, kstream_json_set(v, path, obj, err, sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "deep") != NULL, "%s", err);
    /* Nesting a value into itself over and over stops at the limit. */
    kstream_json_t *w = j_parse("{\"x\":1}");
    kstream_err_t rc = KSTREAM_OK;
    int rounds = 0;
    while (rc == KSTREAM_OK && rounds < 2 * KSTREAM_JSON_MAX_DEPTH) {
        rc = kstream_json_set(w, "x", w, err, sizeof(err));
        rounds++;
    }
    cr_assert(eq(int, rc, KSTREAM_ERR_SERDE));
    cr_assert(lt(int, rounds, KSTREAM_JSON_MAX_DEPTH + 1));
    text = j_dump(w);
    kstream_json_destroy(j_parse(text));
    free(text);
    kstream_json_destroy(w);
    kstream_json_destroy(obj);
    kstream_json_destroy(v);
}

Test(json_build, remove_members_and_elements)
{
    kstream_json_t *v = j_parse("{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":4}}");
    char err[256] = "";
    ok(kstream_json_remove(v, "a", err, sizeof(err)), err);
    ok(kstream_json_remove(v, "b[1]", err, sizeof(err)), err);
    ok(kstream_json_remove(v, "c.d", err, sizeof(err)), err);
    j_expect_dump(v, "{\"b\":[1,3],\"c\":{}}");
    cr_assert(eq(int, kstream_json_remove(v, "a", err, sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(strstr(err, "field a: not found") != NULL, "%s", err);
    cr_assert(eq(int, kstream_json_remove(v, "b[2]", NULL, 0),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_json_remove(v, "x.y", NULL, 0),
                 KSTREAM_ERR_NOT_FOUND));
    /* remove never creates anything */
    j_expect_dump(v, "{\"b\":[1,3],\"c\":{}}");
    kstream_json_destroy(v);
}

Test(json_build, strings_are_escaped)
{
    kstream_json_t *v = kstream_json_new_object();
    ok(kstream_json_set_string(v, "s", "q\"b\\n\n\t\r\b\f\x01/\xc3\xa9", NULL,
                               0),
       "");
    ok(kstream_json_set_stringn(v, "z", "a\0b", 3, NULL, 0), "");
    ok(kstream_json_set_int64(v, "key \"quoted\"", 1, NULL, 0), "");
    j_expect_dump(v, "{\"s\":\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001/\xc3\xa9\","
                     "\"z\":\"a\\u0000b\",\"key \\\"quoted\\\"\":1}");
    char *text = j_dump(v);
    kstream_json_t *back = j_parse(text);
    cr_assert(kstream_json_equal(v, back));
    kstream_json_destroy(back);
    free(text);
    kstream_json_destroy(v);
}

Test(json_build, reals_are_written_in_their_shortest_form)
{
    j_round_trip("[19.99,0.1,1.0,-0.0,100.0,1e+300,2.5e-08,123456789012.5]",
                 "[19.99,0.1,1.0,-0.0,100.0,1e+300,2.5e-08,123456789012.5]");
    j_round_trip("[1E2,1.50,0.30000000000000004]",
                 "[100.0,1.5,0.30000000000000004]");
    kstream_json_t *v = kstream_json_new_array();
    ok(kstream_json_set_double(v, "[0]", 1.0 / 3, NULL, 0), "");
    ok(kstream_json_set_int64(v, "[1]", INT64_MIN, NULL, 0), "");
    j_expect_dump(v, "[0.3333333333333333,-9223372036854775808]");
    char *text = j_dump(v);
    kstream_json_t *back = j_parse(text);
    double d = 0;
    ok(kstream_json_get_double(back, "[0]", &d, NULL, 0), "");
    cr_assert(d == 1.0 / 3);
    free(text);
    kstream_json_destroy(back);
    kstream_json_destroy(v);
}

Test(json_build, round_trips_keep_values_and_member_order)
{
    const char *texts[] = {
            "{\"before\":null,\"after\":{\"id\":1,\"name\":\"A\"},\"op\":\"c\","
            "\"ts_ms\":1700000000000,\"source\":{\"db\":\"shop\"}}",
            "[[],{},[[]],{\"\":{}}]",
            "\"\\u00e9\\ud83d\\ude00\"",
            "-123",
            "[true,false,null]"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        kstream_json_t *v = j_parse(texts[i]);
        char *once = j_dump(v);
        kstream_json_t *w = j_parse(once);
        char *twice = j_dump(w);
        cr_assert(kstream_json_equal(v, w), "%s", texts[i]);
        cr_assert(eq(str, once, twice));
        free(once);
        free(twice);
        kstream_json_destroy(v);
        kstream_json_destroy(w);
    }
}

Test(json_build, dump_checks_arguments)
{
    kstream_buf_t *buf = kstream_buf_new();
    cr_assert(eq(int, kstream_json_dump(NULL, buf), KSTREAM_ERR_INVALID_ARG));
    kstream_json_t *v = kstream_json_new_array();
    cr_assert(eq(int, kstream_json_dump(v, NULL), KSTREAM_ERR_INVALID_ARG));
    /* dump appends */
    cr_assert(eq(int, kstream_json_dump(v, buf), KSTREAM_OK));
    cr_assert(eq(int, kstream_json_dump(v, buf), KSTREAM_OK));
    kstream_bytes_t b = kstream_buf_bytes(buf);
    cr_assert(eq(sz, b.len, 4));
    cr_assert(memcmp(b.data, "[][]", 4) == 0);
    kstream_json_destroy(v);
    kstream_buf_destroy(buf);
}
