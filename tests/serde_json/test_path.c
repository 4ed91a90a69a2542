/* test_path.c - the path syntax: members, indexes, escapes, the root, and
 * the errors: bad syntax (invalid argument), paths that lead nowhere (not
 * found) and paths that step into scalars (serde), each with a message
 * naming the field. */
#include "helpers.h"

TestSuite(json_path, .timeout = 10);

static const char *doc =
        "{\"after\":{\"user_id\":42,\"items\":[{\"sku\":\"A1\"},"
        "{\"sku\":\"B2\"},{\"sku\":\"C3\",\"qty\":[[1,2],[3]]}]},"
        "\"a.b\":{\"c[0]\":\"dotted\"},\"back\\\\slash\":1,"
        "\"op\":\"c\",\"none\":null}";

static const char *str_at(const kstream_json_t *v, const char *path)
{
    const char *s = NULL;
    char err[256] = "";
    kstream_err_t rc = kstream_json_get_string(v, path, &s, NULL, err,
                                               sizeof(err));
    cr_assert(eq(int, rc, KSTREAM_OK), "%s: %s", path, err);
    return s;
}

Test(json_path, members_and_indexes)
{
    kstream_json_t *v = j_parse(doc);
    int64_t id = 0;
    cr_assert(eq(int, kstream_json_get_int64(v, "after.user_id", &id, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, id, 42));
    cr_assert(eq(str, (char *)str_at(v, "after.items[0].sku"), "A1"));
    cr_assert(eq(str, (char *)str_at(v, "after.items[2].sku"), "C3"));
    cr_assert(eq(str, (char *)str_at(v, "op"), "c"));
    int64_t q = 0;
    cr_assert(eq(int, kstream_json_get_int64(v, "after.items[2].qty[1][0]", &q,
                                             NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, q, 3));
    kstream_json_destroy(v);
}

Test(json_path, escapes_reach_names_with_special_characters)
{
    kstream_json_t *v = j_parse(doc);
    cr_assert(eq(str, (char *)str_at(v, "a\\.b.c\\[0\\]"), "dotted"));
    int64_t one = 0;
    cr_assert(eq(int, kstream_json_get_int64(v, "back\\\\slash", &one, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, one, 1));
    kstream_json_destroy(v);
}

Test(json_path, empty_path_is_the_value_and_a_leading_index_its_element)
{
    kstream_json_t *v = j_parse("[{\"id\":5},7]");
    kstream_json_type_t t;
    cr_assert(eq(int, kstream_json_type(v, "", &t, NULL, 0), KSTREAM_OK));
    cr_assert(eq(int, t, KSTREAM_JSON_ARRAY));
    int64_t i = 0;
    cr_assert(eq(int, kstream_json_get_int64(v, "[0].id", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, 5));
    cr_assert(eq(int, kstream_json_get_int64(v, "[1]", &i, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, i, 7));
    kstream_json_destroy(v);

    v = j_parse("12");
    cr_assert(eq(int, kstream_json_get_int64(v, "", &i, NULL, 0), KSTREAM_OK));
    cr_assert(eq(i64, i, 12));
    kstream_json_destroy(v);
}

Test(json_path, get_borrows_a_sub_value_that_paths_continue_from)
{
    kstream_json_t *v = j_parse(doc);
    const kstream_json_t *items = NULL;
    cr_assert(eq(int, kstream_json_get(v, "after.items", &items, NULL, 0),
                 KSTREAM_OK));
    size_t n = 0;
    cr_assert(eq(int, kstream_json_size(items, "", &n, NULL, 0), KSTREAM_OK));
    cr_assert(eq(sz, n, 3));
    cr_assert(eq(str, (char *)str_at(items, "[1].sku"), "B2"));
    j_expect_dump(items, "[{\"sku\":\"A1\"},{\"sku\":\"B2\"},"
                         "{\"sku\":\"C3\",\"qty\":[[1,2],[3]]}]");
    kstream_json_destroy(v);
}

static void expect_err(const kstream_json_t *v, const char *path,
                       kstream_err_t want, const char *needle)
{
    const char *s = NULL;
    char err[256] = "";
    kstream_err_t rc = kstream_json_get_string(v, path, &s, NULL, err,
                                               sizeof(err));
    cr_assert(eq(int, rc, want), "%s: got %s (%s)", path,
              kstream_err2name(rc), err);
    cr_assert(strstr(err, needle) != NULL, "%s: '%s' not in: %s", path,
              needle, err);
}

Test(json_path, missing_members_and_indexes_are_not_found)
{
    kstream_json_t *v = j_parse(doc);
    expect_err(v, "after.email", KSTREAM_ERR_NOT_FOUND,
               "field after.email: not found");
    expect_err(v, "after.user.id", KSTREAM_ERR_NOT_FOUND,
               "field after.user.id: after.user not found");
    expect_err(v, "after.items[3].sku", KSTREAM_ERR_NOT_FOUND,
               "after.items has 3 elements");
    expect_err(v, "nope", KSTREAM_ERR_NOT_FOUND, "field nope: not found");
    kstream_json_destroy(v);
}

Test(json_path, stepping_into_a_scalar_is_a_serde_error)
{
    kstream_json_t *v = j_parse(doc);
    expect_err(v, "op.x", KSTREAM_ERR_SERDE,
               "field op.x: op: expected an object, got string");
    expect_err(v, "after[0]", KSTREAM_ERR_SERDE,
               "field after[0]: after: expected an array, got object");
    expect_err(v, "after.items.sku", KSTREAM_ERR_SERDE,
               "after.items: expected an object, got array");
    expect_err(v, "none.x", KSTREAM_ERR_SERDE,
               "none: expected an object, got null");
    expect_err(v, "[0]", KSTREAM_ERR_SERDE,
               "(root): expected an array, got object");
    kstream_json_destroy(v);
}

Test(json_path, bad_syntax_is_an_invalid_argument)
{
    kstream_json_t *v = j_parse(doc);
    const char *bad[] = {".a",    "a.",    "a..b", "a[",   "a[]",  "a[x]",
                         "a[-1]", "a[1",   "a[1]b", "a]",  "a\\",  "a\\x",
                         "[0]]",  "a[1].", "a[+1]", "a[1]["};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_err(v, bad[i], KSTREAM_ERR_INVALID_ARG, "path");
    kstream_json_destroy(v);
}

Test(json_path, too_many_steps_is_an_invalid_argument)
{
    kstream_json_t *v = j_parse("{}");
    char path[4 * (KSTREAM_JSON_MAX_DEPTH + 2)];
    size_t n = 0;
    for (int i = 0; i <= KSTREAM_JSON_MAX_DEPTH; i++) {
        if (i)
            path[n++] = '.';
        path[n++] = 'a';
    }
    path[n] = '\0';
    expect_err(v, path, KSTREAM_ERR_INVALID_ARG, "steps");
    kstream_json_destroy(v);
}

Test(json_path, a_long_escaped_name_is_refused_and_a_long_plain_one_works)
{
    size_t n = 1000;
    char *text = malloc(n + 16), *path = malloc(2 * n + 1);
    text[0] = '{';
    text[1] = '"';
    memset(text + 2, 'k', n);
    memcpy(text + 2 + n, "\":true}", 8);
    kstream_json_t *v = j_parse(text);
    memset(path, 'k', n);
    path[n] = '\0';
    bool b = false;
    cr_assert(eq(int, kstream_json_get_bool(v, path, &b, NULL, 0), KSTREAM_OK));
    cr_assert(b);
    memcpy(path, "\\.", 2); /* now escaped: too long for the buffer */
    char err[256] = "";
    cr_assert(eq(int, kstream_json_get_bool(v, path, &b, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(strstr(err, "long") != NULL, "%s", err);
    kstream_json_destroy(v);
    free(text);
    free(path);
}

Test(json_path, arguments_are_checked)
{
    kstream_json_t *v = j_parse(doc);
    const kstream_json_t *out = NULL;
    char err[128] = "";
    cr_assert(eq(int, kstream_json_get(NULL, "a", &out, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(err[0] != '\0');
    cr_assert(eq(int, kstream_json_get(v, NULL, &out, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_get(v, "a", NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    int64_t i;
    cr_assert(eq(int, kstream_json_get_int64(v, "after.user_id", NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_json_get_int64(NULL, "x", &i, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_json_destroy(v);
}
