/* test_types.c - typed getters: strings, integers (range, integral
 * reals), doubles, booleans, the null check, sizes and types, and the type
 * errors ("field after.total: expected a number, got string"). */
#include "helpers.h"

TestSuite(json_types, .timeout = 10);

static const char *doc =
        "{\"after\":{\"total\":\"12.50\",\"qty\":3,\"price\":19.99,"
        "\"paid\":true,\"note\":null,\"tags\":[\"a\",\"b\"],\"big\":"
        "9223372036854775807,\"small\":-9223372036854775808,\"two\":2.0,"
        "\"half\":2.5,\"huge\":1e300,\"nested\":{\"x\":1}}}";

static void expect_type_error(kstream_err_t rc, const char *err,
                              const char *want)
{
    cr_assert(eq(int, rc, KSTREAM_ERR_SERDE), "got %s (%s)",
              kstream_err2name(rc), err);
    cr_assert(eq(str, (char *)err, (char *)want));
}

Test(json_types, numbers_read_as_int64_and_double)
{
    kstream_json_t *v = j_parse(doc);
    int64_t i = 0;
    double d = 0;
    cr_assert(eq(int, kstream_json_get_int64(v, "after.qty", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, 3));
    cr_assert(eq(int, kstream_json_get_int64(v, "after.big", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, INT64_MAX));
    cr_assert(eq(int, kstream_json_get_int64(v, "after.small", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, INT64_MIN));
    cr_assert(eq(int, kstream_json_get_int64(v, "after.two", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, 2));
    cr_assert(eq(int, kstream_json_get_double(v, "after.price", &d, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(dbl, d, 19.99));
    cr_assert(eq(int, kstream_json_get_double(v, "after.qty", &d, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(dbl, d, 3.0));
    kstream_json_destroy(v);
}

Test(json_types, wrong_types_name_field_expected_and_actual)
{
    kstream_json_t *v = j_parse(doc);
    char err[256] = "";
    int64_t i;
    double d;
    bool b;
    const char *s;
    expect_type_error(kstream_json_get_double(v, "after.total", &d, err,
                                              sizeof(err)),
                      err, "field after.total: expected a number, got string");
    expect_type_error(kstream_json_get_int64(v, "after.half", &i, err,
                                             sizeof(err)),
                      err, "field after.half: expected an integer, got real "
                           "2.5");
    expect_type_error(kstream_json_get_int64(v, "after.huge", &i, err,
                                             sizeof(err)),
                      err, "field after.huge: expected an integer, got real "
                           "1e+300");
    expect_type_error(kstream_json_get_string(v, "after.qty", &s, NULL, err,
                                              sizeof(err)),
                      err, "field after.qty: expected a string, got integer");
    expect_type_error(kstream_json_get_string(v, "after.note", &s, NULL, err,
                                              sizeof(err)),
                      err, "field after.note: expected a string, got null");
    expect_type_error(kstream_json_get_bool(v, "after.tags", &b, err,
                                            sizeof(err)),
                      err, "field after.tags: expected a boolean, got array");
    size_t n;
    expect_type_error(kstream_json_size(v, "after.qty", &n, err, sizeof(err)),
                      err, "field after.qty: expected an array or an object, "
                           "got integer");
    kstream_json_destroy(v);
}

Test(json_types, the_failed_output_is_left_untouched)
{
    kstream_json_t *v = j_parse(doc);
    int64_t i = 77;
    cr_assert(ne(int, kstream_json_get_int64(v, "after.total", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, 77));
    kstream_json_destroy(v);
}

Test(json_types, strings_and_booleans)
{
    kstream_json_t *v = j_parse(doc);
    const char *s = NULL;
    size_t len = 0;
    cr_assert(eq(int, kstream_json_get_string(v, "after.tags[1]", &s, &len,
                                              NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(str, (char *)s, "b"));
    cr_assert(eq(sz, len, 1));
    bool b = false;
    cr_assert(eq(int, kstream_json_get_bool(v, "after.paid", &b, NULL, 0),
                 KSTREAM_OK));
    cr_assert(b);
    kstream_json_destroy(v);
}

Test(json_types, null_check_treats_absent_as_null)
{
    kstream_json_t *v = j_parse(doc);
    bool is_null = false;
    cr_assert(eq(int, kstream_json_is_null(v, "after.note", &is_null, NULL, 0),
                 KSTREAM_OK));
    cr_assert(is_null);
    cr_assert(eq(int, kstream_json_is_null(v, "after.qty", &is_null, NULL, 0),
                 KSTREAM_OK));
    cr_assert(not(is_null));
    cr_assert(eq(int, kstream_json_is_null(v, "after.missing", &is_null, NULL,
                                           0),
                 KSTREAM_OK));
    cr_assert(is_null);
    cr_assert(eq(int, kstream_json_is_null(v, "after.note.deeper", &is_null,
                                           NULL, 0),
                 KSTREAM_OK));
    cr_assert(is_null);
    cr_assert(eq(int, kstream_json_is_null(v, "after.tags[9]", &is_null, NULL,
                                           0),
                 KSTREAM_OK));
    cr_assert(is_null);
    char err[256] = "";
    cr_assert(eq(int, kstream_json_is_null(v, "after.qty.x", &is_null, err,
                                           sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(strstr(err, "after.qty: expected an object, got integer") != NULL,
              "%s", err);
    kstream_json_destroy(v);

    /* A delete event: after is null, so after.id is null too. */
    v = j_parse("{\"op\":\"d\",\"after\":null}");
    cr_assert(eq(int, kstream_json_is_null(v, "after.id", &is_null, NULL, 0),
                 KSTREAM_OK));
    cr_assert(is_null);
    kstream_json_destroy(v);
}

Test(json_types, size_and_type)
{
    kstream_json_t *v = j_parse(doc);
    size_t n = 0;
    cr_assert(eq(int, kstream_json_size(v, "after.tags", &n, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(sz, n, 2));
    cr_assert(eq(int, kstream_json_size(v, "after.nested", &n, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(sz, n, 1));
    struct {
        const char *path;
        kstream_json_type_t t;
    } cases[] = {{"after", KSTREAM_JSON_OBJECT},
                 {"after.tags", KSTREAM_JSON_ARRAY},
                 {"after.total", KSTREAM_JSON_STRING},
                 {"after.qty", KSTREAM_JSON_INTEGER},
                 {"after.price", KSTREAM_JSON_REAL},
                 {"after.paid", KSTREAM_JSON_BOOL},
                 {"after.note", KSTREAM_JSON_NULL}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kstream_json_type_t t = (kstream_json_type_t)-1;
        cr_assert(eq(int, kstream_json_type(v, cases[i].path, &t, NULL, 0),
                     KSTREAM_OK));
        cr_assert(eq(int, t, cases[i].t), "%s", cases[i].path);
    }
    kstream_json_type_t t;
    cr_assert(eq(int, kstream_json_type(v, "after.nope", &t, NULL, 0),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_json_destroy(v);
}
