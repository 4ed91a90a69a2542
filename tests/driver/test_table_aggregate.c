/* test_table_aggregate.c - table group_by with count, reduce and aggregate
 * through the test driver: rows moving between groups (subtract from the
 * old group, add to the new), tombstones subtracting, updates within one
 * group, both store backends; bad arguments and missing names.
 *
 * The input table "accounts" has values "region:amount"; group_by re-keys
 * each row to its region with the amount as value. */
#include "helpers_state.h"

TestSuite(table_aggregate, .timeout = 20);

enum { AGG_COUNT, AGG_REDUCE, AGG_AGGREGATE };

/* accounts (table "acct") -> group_by region -> count / reduce / aggregate
 * "by-region" -> to_stream -> out */
static kstream_builder_t *region_topology(int kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "accounts", "acct");
    kstream_grouped_table_t *g = kstream_table_group_by(
            t, hs_split_key_value, NULL, NULL, "regroup");
    cr_assert(g != NULL, "table group_by: %s", kstream_builder_error(b));
    kstream_table_t *r;
    if (kind == AGG_COUNT)
        r = kstream_grouped_table_count(g, "by-region");
    else if (kind == AGG_REDUCE)
        r = kstream_grouped_table_reduce(g, hs_agg_sum, hs_agg_sub, NULL,
                                         NULL, "by-region");
    else
        r = kstream_grouped_table_aggregate(g, hs_init_zero, hs_agg_sum,
                                            hs_agg_sub, NULL, NULL,
                                            "by-region");
    cr_assert(r != NULL, "aggregation: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(r, NULL), "out", NULL);
    return b;
}

/* The same input for every kind. */
static void pipe_accounts(kstream_test_driver_t *drv)
{
    h_pipe_ok(drv, "accounts", "a1", "east:5", 1);
    h_pipe_ok(drv, "accounts", "a2", "east:7", 2);
    h_pipe_ok(drv, "accounts", "a3", "west:1", 3);
    h_pipe_ok(drv, "accounts", "a1", "west:5", 4); /* moves east -> west */
    h_pipe_ok(drv, "accounts", "a2", NULL, 5);     /* deleted */
}

HS_BACKEND_PARAMS(table_aggregate, count_moves_rows_between_groups)
ParameterizedTest(int *backend, table_aggregate,
                  count_moves_rows_between_groups)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_COUNT),
                                           *backend, false, NULL);
    pipe_accounts(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"east", "1", 1},
              {"east", "2", 2}, {"west", "1", 3}, {"east", "1", 4},
              {"west", "2", 4}, {"east", "0", 5});
    hs_store_is_long(drv, "by-region", "east", 0);
    hs_store_is_long(drv, "by-region", "west", 2);
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(table_aggregate, aggregate_adds_and_subtracts)
ParameterizedTest(int *backend, table_aggregate, aggregate_adds_and_subtracts)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_AGGREGATE),
                                           *backend, false, NULL);
    pipe_accounts(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"east", "5", 1},
              {"east", "12", 2}, {"west", "1", 3}, {"east", "7", 4},
              {"west", "6", 4}, {"east", "0", 5});
    hs_store_is(drv, "by-region", "east", "0");
    hs_store_is(drv, "by-region", "west", "6");
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(table_aggregate, reduce_adds_and_subtracts)
ParameterizedTest(int *backend, table_aggregate, reduce_adds_and_subtracts)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_REDUCE),
                                           *backend, false, NULL);
    pipe_accounts(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"east", "5", 1},
              {"east", "12", 2}, {"west", "1", 3}, {"east", "7", 4},
              {"west", "6", 4}, {"east", "0", 5});
    hs_store_is(drv, "by-region", "west", "6");
    kstream_test_driver_destroy(drv);
}

/* An update that stays in its group: subtract the old value, then add the
 * new one. Kafka Streams >= 3.5 (KIP-904) emits once; older versions emit
 * the intermediate result too. Both are accepted, the final must be
 * right. */
static void check_same_group_update(hs_out_t *o, const char *first,
                                    const char *mid, const char *last)
{
    bool ok = (o->n == 2 || o->n == 3) && !strcmp(o->r[0].key, "east") &&
              !strcmp(o->r[0].value, first) && o->r[0].ts == 1 &&
              !strcmp(o->r[o->n - 1].key, "east") &&
              !strcmp(o->r[o->n - 1].value, last) && o->r[o->n - 1].ts == 2;
    if (ok && o->n == 3)
        ok = !strcmp(o->r[1].key, "east") && !strcmp(o->r[1].value, mid);
    if (!ok) {
        static char got[4096];
        hs_fmt_out(o, got, sizeof(got));
        cr_assert(false, "expected (east, %s, 1) [(east, %s)] (east, %s, 2); "
                  "got:%s", first, mid, last, got);
    }
}

Test(table_aggregate, update_within_a_group_subtracts_then_adds_sum)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_AGGREGATE),
                                           1, false, NULL);
    h_pipe_ok(drv, "accounts", "a1", "east:5", 1);
    h_pipe_ok(drv, "accounts", "a1", "east:8", 2);
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    check_same_group_update(o, "5", "0", "8");
    free(o);
    hs_store_is(drv, "by-region", "east", "8");
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, update_within_a_group_keeps_the_count)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_COUNT), 0,
                                           false, NULL);
    h_pipe_ok(drv, "accounts", "a1", "east:5", 1);
    h_pipe_ok(drv, "accounts", "a1", "east:8", 2);
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_LONG);
    check_same_group_update(o, "1", "0", "1");
    free(o);
    hs_store_is_long(drv, "by-region", "east", 1);
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, rows_from_every_partition_meet_in_their_group)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_AGGREGATE),
                                           0, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "accounts", 3),
                 KSTREAM_OK));
    const char *accts[] = {"a0", "a1", "a2", "a3", "a4", "a5"};
    for (int i = 0; i < 6; i++)
        h_pipe_ok(drv, "accounts", accts[i], i % 2 ? "west:1" : "east:10",
                  i);
    hs_store_is(drv, "by-region", "east", "30");
    hs_store_is(drv, "by-region", "west", "3");
    /* move every east row to west, from whichever partition it is on */
    for (int i = 0; i < 6; i += 2)
        h_pipe_ok(drv, "accounts", accts[i], "west:10", 10 + i);
    hs_store_is(drv, "by-region", "east", "0");
    hs_store_is(drv, "by-region", "west", "33");
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, tombstone_for_an_absent_row_changes_nothing)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_COUNT), 1,
                                           false, NULL);
    h_pipe_ok(drv, "accounts", "ghost", NULL, 1);
    h_expect_empty(drv, "out");
    hs_store_is(drv, "by-region", "east", NULL);
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, null_keys_in_the_table_are_skipped_and_counted)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_COUNT), 1,
                                           false, NULL);
    h_pipe_ok(drv, "accounts", NULL, "east:1", 1);
    h_pipe_ok(drv, "accounts", "a1", "east:1", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"east", "1", 2});
    cr_assert(h_metric(drv, "records-dropped") >= 1);
    kstream_test_driver_destroy(drv);
}

/* "region:amount" as hs_split_key_value, but "none:..." has no group
 * (a NULL key). */
static kstream_err_t split_or_null(const kstream_record_t *in,
                                   kstream_record_t *out, void *opaque)
{
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data != NULL && v.len >= 5 && memcmp(v.data, "none:", 5) == 0)
        return kstream_record_set_key(out, NULL, 0);
    return hs_split_key_value(in, out, opaque);
}

Test(table_aggregate, rows_regrouped_to_a_null_key_join_no_group)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "accounts", "acct");
    kstream_grouped_table_t *g =
            kstream_table_group_by(t, split_or_null, NULL, NULL, "regroup");
    kstream_table_t *r = kstream_grouped_table_count(g, "by-region");
    cr_assert(r != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(r, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "accounts", "a1", "none:1", 1);
    h_pipe_ok(drv, "accounts", "a2", "east:1", 2);
    h_pipe_ok(drv, "accounts", "a2", "none:1", 3); /* leaves east */
    h_pipe_ok(drv, "accounts", "a1", "east:1", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"east", "1", 2},
              {"east", "0", 3}, {"east", "1", 4});
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, deleting_every_row_of_a_group_leaves_zero)
{
    kstream_test_driver_t *drv = hs_driver(region_topology(AGG_AGGREGATE),
                                           0, false, NULL);
    h_pipe_ok(drv, "accounts", "a1", "east:5", 1);
    h_pipe_ok(drv, "accounts", "a2", "east:6", 2);
    h_pipe_ok(drv, "accounts", "a1", NULL, 3);
    h_pipe_ok(drv, "accounts", "a2", NULL, 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"east", "5", 1},
              {"east", "11", 2}, {"east", "6", 3}, {"east", "0", 4});
    /* a re-added row starts from the current aggregate */
    h_pipe_ok(drv, "accounts", "a1", "east:2", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"east", "2", 5});
    kstream_test_driver_destroy(drv);
}

Test(table_aggregate, rows_of_a_filtered_table_are_retracted_from_groups)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "accounts", "acct");
    t = kstream_table_filter(t, h_pred_value_prefix, (void *)"east", NULL,
                             "east-only");
    kstream_grouped_table_t *g = kstream_table_group_by(
            t, hs_split_key_value, NULL, NULL, "regroup");
    kstream_table_t *r = kstream_grouped_table_count(g, "by-region");
    cr_assert(r != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(r, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "accounts", "a1", "east:1", 1);
    h_pipe_ok(drv, "accounts", "a2", "east:1", 2);
    h_pipe_ok(drv, "accounts", "a1", "west:1", 3); /* leaves the filter */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"east", "1", 1},
              {"east", "2", 2}, {"east", "1", 3});
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments -------------------------------------------------------------- */

Test(table_aggregate, functions_reject_null_handles)
{
    cr_assert(kstream_table_group_by(NULL, hs_split_key_value, NULL, NULL,
                                     "g") == NULL);
    cr_assert(kstream_grouped_table_count(NULL, "c") == NULL);
    cr_assert(kstream_grouped_table_reduce(NULL, hs_agg_sum, hs_agg_sub,
                                           NULL, NULL, "r") == NULL);
    cr_assert(kstream_grouped_table_aggregate(NULL, hs_init_zero, hs_agg_sum,
                                              hs_agg_sub, NULL, NULL,
                                              "a") == NULL);
}

typedef struct tagg_case {
    char op[24];
    char word1[16];
    char word2[16];
} tagg_case_t;

ParameterizedTestParameters(table_aggregate,
                            null_callback_fails_naming_operator)
{
    static tagg_case_t cases[] = {
            {"group_by", "group", "by"},
            {"reduce_adder", "reduce", "adder"},
            {"reduce_subtractor", "reduce", "subtractor"},
            {"aggregate_init", "aggregate", "initializer"},
            {"aggregate_adder", "aggregate", "adder"},
            {"aggregate_subtractor", "aggregate", "subtractor"},
    };
    return cr_make_param_array(tagg_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(tagg_case_t *c, table_aggregate,
                  null_callback_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "accounts", "acct");
    kstream_grouped_table_t *g = NULL;
    void *res = (void *)1;
    if (!strcmp(c->op, "group_by")) {
        res = kstream_table_group_by(t, NULL, NULL, NULL, "bad-op");
    } else {
        g = kstream_table_group_by(t, hs_split_key_value, NULL, NULL,
                                   "regroup");
        cr_assert(g != NULL);
        if (!strcmp(c->op, "reduce_adder"))
            res = kstream_grouped_table_reduce(g, NULL, hs_agg_sub, NULL,
                                               NULL, "bad-op");
        else if (!strcmp(c->op, "reduce_subtractor"))
            res = kstream_grouped_table_reduce(g, hs_agg_sum, NULL, NULL,
                                               NULL, "bad-op");
        else if (!strcmp(c->op, "aggregate_init"))
            res = kstream_grouped_table_aggregate(g, NULL, hs_agg_sum,
                                                  hs_agg_sub, NULL, NULL,
                                                  "bad-op");
        else if (!strcmp(c->op, "aggregate_adder"))
            res = kstream_grouped_table_aggregate(g, hs_init_zero, NULL,
                                                  hs_agg_sub, NULL, NULL,
                                                  "bad-op");
        else
            res = kstream_grouped_table_aggregate(g, hs_init_zero,
                                                  hs_agg_sum, NULL, NULL,
                                                  NULL, "bad-op");
    }
    cr_assert(res == NULL, "%s with a NULL callback returned a handle",
              c->op);
    cr_assert(kstream_builder_error(b) != NULL, "%s: no builder error",
              c->op);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, "bad-op") ||
                      h_contains_ci(errstr, c->word1) ||
                      h_contains_ci(errstr, c->word2),
              "%s: errstr does not name the operator: %s", c->op, errstr);
}

ParameterizedTestParameters(table_aggregate,
                            missing_name_fails_naming_operator)
{
    static tagg_case_t cases[] = {
            {"group_by", "group", "by"},
            {"count", "count", "count"},
            {"reduce", "reduce", "reduce"},
            {"aggregate", "aggregate", "aggregate"},
    };
    return cr_make_param_array(tagg_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(tagg_case_t *c, table_aggregate,
                  missing_name_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "accounts", "acct");
    bool grp = !strcmp(c->op, "group_by");
    kstream_grouped_table_t *g = kstream_table_group_by(
            t, hs_split_key_value, NULL, NULL, grp ? NULL : "regroup");
    kstream_table_t *r = NULL;
    if (g != NULL) {
        if (grp || !strcmp(c->op, "count"))
            r = kstream_grouped_table_count(g, grp ? "cnt" : NULL);
        else if (!strcmp(c->op, "reduce"))
            r = kstream_grouped_table_reduce(g, hs_agg_sum, hs_agg_sub, NULL,
                                             NULL, NULL);
        else
            r = kstream_grouped_table_aggregate(g, hs_init_zero, hs_agg_sum,
                                                hs_agg_sub, NULL, NULL,
                                                NULL);
    }
    if (r != NULL)
        kstream_stream_to(kstream_table_to_stream(r, NULL), "out", NULL);
    hs_build_fails_naming(b, c->op, c->word1, c->word2);
}
