/* test_split_merge.c - split (named branches, order, default branch) and
 * merge through the test driver. */
#include "helpers.h"

TestSuite(split_merge, .timeout = 10);

/* split "sp": branch "a" (value starts with "a"), branch "b" (value starts
 * with "ab" or "b": "ab" matches both a and b), optional default. */
static kstream_builder_t *split_topology(bool with_default)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    cr_assert(sp != NULL);
    kstream_stream_t *ba =
            kstream_split_branch(sp, h_pred_value_prefix, (void *)"a", NULL,
                                 "a");
    kstream_stream_t *bb =
            kstream_split_branch(sp, h_pred_value_prefix, (void *)"ab", NULL,
                                 "b");
    cr_assert(ba != NULL && bb != NULL);
    kstream_stream_to(ba, "out-a", NULL);
    kstream_stream_to(bb, "out-b", NULL);
    if (with_default) {
        kstream_stream_t *bd = kstream_split_default(sp, "other");
        cr_assert(bd != NULL);
        kstream_stream_to(bd, "out-default", NULL);
    }
    return b;
}

Test(split_merge, split_sends_a_record_to_the_first_matching_branch_only)
{
    kstream_test_driver_t *drv = h_driver(split_topology(true), NULL);
    h_pipe_ok(drv, "in", "1", "ab", 1); /* matches a and b: goes to a */
    h_pipe_ok(drv, "in", "2", "apple", 2);
    h_expect(drv, "out-a", "1", "ab");
    h_expect(drv, "out-a", "2", "apple");
    h_expect_empty(drv, "out-a");
    h_expect_empty(drv, "out-b");
    h_expect_empty(drv, "out-default");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t pred_value_is_b(const kstream_record_t *rec, bool *match,
                                     void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *match = v.data != NULL && v.len > 0 && ((const char *)v.data)[0] == 'b';
    return KSTREAM_OK;
}

Test(split_merge, split_branches_are_tried_in_the_order_they_were_added)
{
    /* Same predicates added in the other order: "ab" now goes to the
     * "ab" branch, which comes first. */
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_stream_t *first =
            kstream_split_branch(sp, h_pred_value_prefix, (void *)"ab", NULL,
                                 "first");
    kstream_stream_t *second =
            kstream_split_branch(sp, h_pred_value_prefix, (void *)"a", NULL,
                                 "second");
    kstream_stream_t *third =
            kstream_split_branch(sp, pred_value_is_b, NULL, NULL, "third");
    kstream_stream_to(first, "out-1", NULL);
    kstream_stream_to(second, "out-2", NULL);
    kstream_stream_to(third, "out-3", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k1", "ab", 1);
    h_pipe_ok(drv, "in", "k2", "ax", 2);
    h_pipe_ok(drv, "in", "k3", "bx", 3);
    h_expect(drv, "out-1", "k1", "ab");
    h_expect_empty(drv, "out-1");
    h_expect(drv, "out-2", "k2", "ax");
    h_expect_empty(drv, "out-2");
    h_expect(drv, "out-3", "k3", "bx");
    h_expect_empty(drv, "out-3");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, split_default_branch_gets_records_no_branch_matched)
{
    kstream_test_driver_t *drv = h_driver(split_topology(true), NULL);
    h_pipe_ok(drv, "in", "1", "zebra", 1);
    h_pipe_ok(drv, "in", "2", NULL, 2);
    h_pipe_ok(drv, "in", "3", "", 3);
    h_pipe_ok(drv, "in", "4", "a", 4);
    h_expect_ts(drv, "out-default", "1", "zebra", 1);
    h_expect_ts(drv, "out-default", "2", NULL, 2);
    h_expect_ts(drv, "out-default", "3", "", 3);
    h_expect_empty(drv, "out-default");
    h_expect(drv, "out-a", "4", "a");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, split_without_default_drops_unmatched_records)
{
    kstream_test_driver_t *drv = h_driver(split_topology(false), NULL);
    h_pipe_ok(drv, "in", "1", "zebra", 1);
    h_pipe_ok(drv, "in", "2", "apple", 2);
    h_expect(drv, "out-a", "2", "apple");
    h_expect_empty(drv, "out-a");
    h_expect_empty(drv, "out-b");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0),
              "a record no branch matched is not an error-handler drop");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, split_branch_names_are_prefixed_with_the_split_name)
{
    kstream_topology_t *t = h_build(split_topology(true));
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    cr_assert(strstr(text, "sp-a") != NULL, "describe: %s", text);
    cr_assert(strstr(text, "sp-b") != NULL, "describe: %s", text);
    cr_assert(strstr(text, "sp-other") != NULL, "describe: %s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

Test(split_merge, split_branches_without_names_use_their_index)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_stream_t *b0 = kstream_split_branch(sp, h_pred_value_prefix,
                                                (void *)"x", NULL, NULL);
    kstream_stream_t *b1 = kstream_split_branch(sp, h_pred_value_prefix,
                                                (void *)"y", NULL, NULL);
    kstream_stream_to(b0, "out-0", NULL);
    kstream_stream_to(b1, "out-1", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    cr_assert(strstr(text, "sp-0") != NULL, "describe: %s", text);
    cr_assert(strstr(text, "sp-1") != NULL, "describe: %s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, NULL);
    h_pipe_ok(drv, "in", "k", "y", 1);
    h_expect(drv, "out-1", "k", "y");
    h_expect_empty(drv, "out-0");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, split_without_a_name_still_routes_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, NULL);
    cr_assert(sp != NULL);
    kstream_stream_t *bx = kstream_split_branch(sp, h_pred_value_prefix,
                                                (void *)"x", NULL, "x");
    kstream_stream_t *bd = kstream_split_default(sp, NULL);
    cr_assert(bx != NULL && bd != NULL);
    kstream_stream_to(bx, "out-x", NULL);
    kstream_stream_to(bd, "out-d", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "1", "x1", 1);
    h_pipe_ok(drv, "in", "2", "q", 2);
    h_expect(drv, "out-x", "1", "x1");
    h_expect(drv, "out-d", "2", "q");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, split_branch_after_default_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_stream_t *bd = kstream_split_default(sp, "d");
    cr_assert(bd != NULL);
    kstream_stream_t *late = kstream_split_branch(sp, h_pred_true, NULL,
                                                  NULL, "late");
    cr_assert(late == NULL, "a branch was added after the default branch");
    cr_assert(kstream_builder_error(b) != NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(split_merge, split_second_default_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    cr_assert(kstream_split_default(sp, "d1") != NULL);
    cr_assert(kstream_split_default(sp, "d2") == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(split_merge, split_duplicate_branch_names_fail_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_split_branch(sp, h_pred_true, NULL, NULL, "same");
    kstream_split_branch(sp, h_pred_true, NULL, NULL, "same");
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "same") != NULL, "errstr: %s", errstr);
}

/* ---- merge ------------------------------------------------------------ */

Test(split_merge, merge_combines_both_streams_in_pipe_order)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *a = kstream_builder_stream(b, "in-a", NULL);
    kstream_stream_t *c = kstream_builder_stream(b, "in-b", NULL);
    kstream_stream_t *m = kstream_stream_merge(a, c, "merged");
    cr_assert(m != NULL);
    kstream_stream_to(m, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in-a", "a1", "1", 1);
    h_pipe_ok(drv, "in-b", "b1", "2", 2);
    h_pipe_ok(drv, "in-a", "a2", "3", 3);
    h_pipe_ok(drv, "in-b", NULL, NULL, 4);
    h_expect_ts(drv, "out", "a1", "1", 1);
    h_expect_ts(drv, "out", "b1", "2", 2);
    h_expect_ts(drv, "out", "a2", "3", 3);
    h_expect_ts(drv, "out", NULL, NULL, 4);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, merge_of_split_branches_gets_every_record_back)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_stream_t *x = kstream_split_branch(sp, h_pred_value_prefix,
                                               (void *)"x", NULL, "x");
    kstream_stream_t *d = kstream_split_default(sp, "rest");
    kstream_stream_t *m = kstream_stream_merge(x, d, "again");
    cr_assert(m != NULL);
    kstream_stream_to(m, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "1", "x", 1);
    h_pipe_ok(drv, "in", "2", "y", 2);
    h_pipe_ok(drv, "in", "3", "x3", 3);
    h_expect(drv, "out", "1", "x");
    h_expect(drv, "out", "2", "y");
    h_expect(drv, "out", "3", "x3");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(split_merge, merge_of_three_streams_by_chaining)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s1 = kstream_builder_stream(b, "t1", NULL);
    kstream_stream_t *s2 = kstream_builder_stream(b, "t2", NULL);
    kstream_stream_t *s3 = kstream_builder_stream(b, "t3", NULL);
    kstream_stream_t *m = kstream_stream_merge(
            kstream_stream_merge(s1, s2, NULL), s3, NULL);
    cr_assert(m != NULL);
    kstream_stream_to(m, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "t3", "c", "3", 1);
    h_pipe_ok(drv, "t1", "a", "1", 2);
    h_pipe_ok(drv, "t2", "b", "2", 3);
    h_expect(drv, "out", "c", "3");
    h_expect(drv, "out", "a", "1");
    h_expect(drv, "out", "b", "2");
    kstream_test_driver_destroy(drv);
}
