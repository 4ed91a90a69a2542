/* test_headers.c - record headers through the test driver: passed through
 * in order (repeated names, null and empty values), read by callbacks, and
 * edited by mappers and flat mappers. */
#include "helpers.h"

TestSuite(headers, .timeout = 10);

static const kstream_header_t four_headers[] = {
        {"h1", "v1", 2},
        {"h2", NULL, 0},
        {"h1", "v1b", 3},
        {"h3", "", 0},
};

static void pipe_with_headers(kstream_test_driver_t *drv, const char *topic,
                              const char *key, const char *value,
                              const kstream_header_t *hs, size_t n)
{
    kstream_err_t err = kstream_test_driver_pipe_ex(
            drv, topic, -1, key, strlen(key), value, strlen(value), 1, hs, n);
    cr_assert(err == KSTREAM_OK, "pipe_ex: %s: %s", kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

/* Assert header idx is name=value (value NULL: a null header value). */
static void expect_header(const kstream_record_t *rec, size_t idx,
                          const char *name, const char *value)
{
    const char *n = NULL;
    kstream_bytes_t v = {NULL, 0};
    kstream_err_t err = kstream_record_header_at(rec, idx, &n, &v);
    cr_assert(err == KSTREAM_OK, "header_at(%zu): %s", idx,
              kstream_err2name(err));
    cr_assert(n != NULL && strcmp(n, name) == 0, "header %zu is '%s', not '%s'",
              idx, n ? n : "(null)", name);
    char vb[64];
    cr_assert(h_bytes_is(v, value), "header %zu (%s) value '%s', not '%s'",
              idx, name, h_bytes_fmt(v, vb, sizeof(vb)),
              value ? value : "null");
}

static kstream_builder_t *pass_through(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_to(s, "out", NULL);
    return b;
}

Test(headers, headers_pass_through_in_order_with_repeats_and_null_values)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 4);
    const kstream_record_t *rec = h_expect(drv, "out", "k", "v");
    cr_assert(eq(sz, kstream_record_header_count(rec), 4));
    expect_header(rec, 0, "h1", "v1");
    expect_header(rec, 1, "h2", NULL);
    expect_header(rec, 2, "h1", "v1b");
    expect_header(rec, 3, "h3", "");
    /* NULL out-pointers: an error or a success, never a crash */
    kstream_bytes_t v;
    const char *n;
    (void)kstream_record_header_at(rec, 3, NULL, &v);
    (void)kstream_record_header_at(rec, 3, &n, NULL);
    (void)kstream_record_header_last(rec, "h1", NULL);
    kstream_test_driver_destroy(drv);
}

Test(headers, empty_header_value_is_not_null)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 4);
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t v = {NULL, 99};
    cr_assert(eq(int, kstream_record_header_last(rec, "h3", &v), KSTREAM_OK));
    cr_assert(v.data != NULL, "empty header value became null");
    cr_assert(eq(sz, v.len, 0));
    cr_assert(eq(int, kstream_record_header_last(rec, "h2", &v), KSTREAM_OK));
    cr_assert(v.data == NULL, "null header value became non-null");
    kstream_test_driver_destroy(drv);
}

Test(headers, header_last_returns_the_last_header_of_a_name)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 4);
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t v = {NULL, 0};
    cr_assert(eq(int, kstream_record_header_last(rec, "h1", &v), KSTREAM_OK));
    cr_assert(h_bytes_is(v, "v1b"));
    cr_assert(eq(int, kstream_record_header_last(rec, "nope", &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_record_header_last(rec, "H1", &v),
                 KSTREAM_ERR_NOT_FOUND),
              "header names are case-sensitive");
    kstream_test_driver_destroy(drv);
}

Test(headers, header_at_past_the_end_is_not_found)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 2);
    const kstream_record_t *rec = h_read(drv, "out");
    const char *n;
    kstream_bytes_t v;
    cr_assert(eq(sz, kstream_record_header_count(rec), 2));
    cr_assert(eq(int, kstream_record_header_at(rec, 2, &n, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_record_header_at(rec, (size_t)-1, &n, &v),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

Test(headers, record_without_headers_has_none)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    const kstream_record_t *rec = h_read(drv, "out");
    cr_assert(eq(sz, kstream_record_header_count(rec), 0));
    const char *n;
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_record_header_at(rec, 0, &n, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_record_header_last(rec, "h1", &v),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

/* ---- callbacks see and edit headers ------------------------------------ */

static kstream_err_t pred_has_trace(const kstream_record_t *rec, bool *match,
                                    void *opaque)
{
    (void)opaque;
    kstream_bytes_t v;
    *match = kstream_record_header_last(rec, "trace", &v) == KSTREAM_OK;
    return KSTREAM_OK;
}

Test(headers, predicates_see_the_input_headers)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, pred_has_trace, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    kstream_header_t trace = {"trace", "t-1", 3};
    pipe_with_headers(drv, "in", "with", "1", &trace, 1);
    pipe_with_headers(drv, "in", "without", "2", four_headers, 4);
    h_expect(drv, "out", "with", "1");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* Remove every "h1", add "added"="x" and a null-valued "nullh". */
static kstream_err_t map_edit_headers(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    kstream_err_t err = kstream_record_header_remove(out, "h1");
    if (err)
        return err;
    err = kstream_record_header_remove(out, "not-there");
    if (err)
        return err;
    err = kstream_record_header_add(out, "added", "x", 1);
    if (err)
        return err;
    return kstream_record_header_add(out, "nullh", NULL, 0);
}

Test(headers, map_can_remove_and_add_headers)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, map_edit_headers, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 4);
    const kstream_record_t *rec = h_expect(drv, "out", "k", "v");
    cr_assert(eq(sz, kstream_record_header_count(rec), 4));
    expect_header(rec, 0, "h2", NULL);
    expect_header(rec, 1, "h3", "");
    expect_header(rec, 2, "added", "x");
    expect_header(rec, 3, "nullh", NULL);
    kstream_test_driver_destroy(drv);
}

static kstream_err_t map_values_clear_headers(const kstream_record_t *in,
                                              kstream_record_t *out,
                                              void *opaque)
{
    (void)in;
    (void)opaque;
    kstream_err_t err = kstream_record_headers_clear(out);
    if (err)
        return err;
    return kstream_record_header_add(out, "only", "1", 1);
}

Test(headers, map_values_can_clear_headers)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, map_values_clear_headers, NULL, NULL,
                                  NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 4);
    const kstream_record_t *rec = h_expect(drv, "out", "k", "v");
    cr_assert(eq(sz, kstream_record_header_count(rec), 1));
    expect_header(rec, 0, "only", "1");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t select_key_tags_header(const kstream_record_t *in,
                                            kstream_record_t *out,
                                            void *opaque)
{
    (void)in;
    (void)opaque;
    kstream_err_t err = kstream_record_set_key(out, "nk", 2);
    if (err)
        return err;
    return kstream_record_header_add(out, "rekeyed", "yes", 3);
}

Test(headers, select_key_can_add_headers)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, select_key_tags_header, NULL, NULL,
                                  NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    const kstream_record_t *rec = h_expect(drv, "out", "nk", "v");
    cr_assert(eq(sz, kstream_record_header_count(rec), 1));
    expect_header(rec, 0, "rekeyed", "yes");
    kstream_test_driver_destroy(drv);
}

/* Two records; the second gets an extra header "n"="2". */
static kstream_err_t flat_two_tagged(const kstream_record_t *in,
                                     kstream_records_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    kstream_record_t *r1 = kstream_records_add(out);
    if (r1 == NULL)
        return KSTREAM_ERR_USER;
    kstream_record_t *r2 = kstream_records_add(out);
    if (r2 == NULL)
        return KSTREAM_ERR_USER;
    kstream_err_t err = kstream_record_set_value(r1, "one", 3);
    if (err)
        return err;
    err = kstream_record_set_value(r2, "two", 3);
    if (err)
        return err;
    return kstream_record_header_add(r2, "n", "2", 1);
}

Test(headers, flat_map_records_start_with_the_input_headers)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map(s, flat_two_tagged, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 2);
    const kstream_record_t *rec = h_expect(drv, "out", "k", "one");
    cr_assert(eq(sz, kstream_record_header_count(rec), 2));
    expect_header(rec, 0, "h1", "v1");
    expect_header(rec, 1, "h2", NULL);
    rec = h_expect(drv, "out", "k", "two");
    cr_assert(eq(sz, kstream_record_header_count(rec), 3));
    expect_header(rec, 0, "h1", "v1");
    expect_header(rec, 1, "h2", NULL);
    expect_header(rec, 2, "n", "2");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t map_values_add_x(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    return kstream_record_header_add(out, "x", "1", 1);
}

Test(headers, header_edits_in_one_branch_do_not_leak_to_a_sibling)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_t *m =
            kstream_stream_map_values(s, map_values_add_x, NULL, NULL, NULL);
    kstream_stream_to(m, "edited", NULL);
    kstream_stream_to(s, "plain", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 1);
    const kstream_record_t *rec = h_read(drv, "edited");
    cr_assert(eq(sz, kstream_record_header_count(rec), 2));
    rec = h_read(drv, "plain");
    cr_assert(eq(sz, kstream_record_header_count(rec), 1),
              "a header added in a sibling branch leaked");
    expect_header(rec, 0, "h1", "v1");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t peek_try_edit_input(const kstream_record_t *rec,
                                         void *opaque)
{
    kstream_err_t *errs = (kstream_err_t *)opaque;
    kstream_record_t *rw = (kstream_record_t *)rec; /* a read-only record */
    errs[0] = kstream_record_header_add(rw, "x", "1", 1);
    errs[1] = kstream_record_header_remove(rw, "h1");
    errs[2] = kstream_record_headers_clear(rw);
    errs[3] = kstream_record_set_key(rw, "x", 1);
    errs[4] = kstream_record_set_value(rw, "x", 1);
    errs[5] = kstream_record_set_timestamp(rw, 5);
    return KSTREAM_OK;
}

Test(headers, setters_on_a_read_only_input_record_are_rejected)
{
    kstream_err_t errs[6];
    for (int i = 0; i < 6; i++)
        errs[i] = KSTREAM_OK;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_peek(s, peek_try_edit_input, errs, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_with_headers(drv, "in", "k", "v", four_headers, 1);
    for (int i = 0; i < 6; i++)
        cr_assert(eq(int, errs[i], KSTREAM_ERR_INVALID_ARG),
                  "setter %d on a read-only record returned %s", i,
                  kstream_err2name(errs[i]));
    const kstream_record_t *rec = h_expect(drv, "out", "k", "v");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 1));
    cr_assert(eq(sz, kstream_record_header_count(rec), 1));
    kstream_test_driver_destroy(drv);
}
