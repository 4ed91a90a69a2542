/* test_cogroup.c - cogroup through the test driver: several grouped
 * streams, each with its own aggregator, folded into one aggregate per key
 * (Kafka Streams' CogroupedKStream); a re-keyed member repartitions; NULL
 * keys skipped and counted; both store backends; bad arguments. */
#include "helpers_state.h"

TestSuite(cogroup, .timeout = 20);

/* Aggregator: agg + "*" + value. */
static kstream_err_t agg_star(const kstream_record_t *rec,
                              kstream_bytes_t agg, kstream_buf_t *out,
                              void *opaque)
{
    (void)opaque;
    return hs_append_sep(rec, agg, out, '*');
}

/* clicks (+), views (-) [and likes (*)] grouped by key, cogrouped into
 * "cg" (initializer "i") -> to_stream -> out */
static kstream_builder_t *cogroup_topology(bool three)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_grouped_t *g2 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "views", NULL));
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g1, hs_agg_concat, NULL, NULL);
    cr_assert(cg != NULL, "cogroup: %s", kstream_builder_error(b));
    cr_assert(eq(int,
                 kstream_cogrouped_add(cg, g2, hs_agg_concat_minus, NULL,
                                       NULL),
                 KSTREAM_OK));
    if (three) {
        kstream_grouped_t *g3 = kstream_stream_group_by_key(
                kstream_builder_stream(b, "likes", NULL));
        cr_assert(eq(int, kstream_cogrouped_add(cg, g3, agg_star, NULL, NULL),
                     KSTREAM_OK));
    }
    kstream_table_t *t =
            kstream_cogrouped_aggregate(cg, hs_init_i, NULL, NULL, "cg");
    cr_assert(t != NULL, "cogroup aggregate: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(cogroup, each_stream_folds_with_its_own_aggregator)
ParameterizedTest(int *backend, cogroup,
                  each_stream_folds_with_its_own_aggregator)
{
    kstream_test_driver_t *drv = hs_driver(cogroup_topology(false),
                                           *backend, false, NULL);
    h_pipe_ok(drv, "clicks", "A", "1", 1);
    h_pipe_ok(drv, "views", "A", "2", 2);
    h_pipe_ok(drv, "views", "B", "3", 3);
    h_pipe_ok(drv, "clicks", "A", "4", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "i+1", 1},
              {"A", "i+1-2", 2}, {"B", "i-3", 3}, {"A", "i+1-2+4", 4});
    hs_store_is(drv, "cg", "A", "i+1-2+4");
    hs_store_is(drv, "cg", "B", "i-3");
    kstream_test_driver_destroy(drv);
}

Test(cogroup, three_streams_share_one_aggregate)
{
    kstream_test_driver_t *drv = hs_driver(cogroup_topology(true), 1, false,
                                           NULL);
    h_pipe_ok(drv, "likes", "A", "x", 1);
    h_pipe_ok(drv, "clicks", "A", "y", 2);
    h_pipe_ok(drv, "views", "A", "z", 3);
    h_pipe_ok(drv, "likes", "A", "w", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "i*x", 1},
              {"A", "i*x+y", 2}, {"A", "i*x+y-z", 3},
              {"A", "i*x+y-z*w", 4});
    kstream_test_driver_destroy(drv);
}

Test(cogroup, a_cogroup_of_one_stream_is_an_aggregate)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g, hs_agg_concat, NULL, NULL);
    kstream_table_t *t =
            kstream_cogrouped_aggregate(cg, hs_init_i, NULL, NULL, "cg");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "clicks", "A", "1", 1);
    h_pipe_ok(drv, "clicks", "A", "2", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "i+1", 1},
              {"A", "i+1+2", 2});
    kstream_test_driver_destroy(drv);
}

Test(cogroup, null_keys_and_values_are_skipped_and_counted)
{
    kstream_test_driver_t *drv = hs_driver(cogroup_topology(false), 1,
                                           false, NULL);
    h_pipe_ok(drv, "clicks", NULL, "1", 1);
    h_pipe_ok(drv, "views", "A", NULL, 2);
    h_pipe_ok(drv, "views", "A", "5", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "i-5", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(cogroup, a_rekeyed_member_repartitions_before_the_aggregate)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_grouped_t *g2 =
            kstream_stream_group_by(kstream_builder_stream(b, "views", NULL),
                                    hs_key_from_value, NULL, NULL,
                                    "views-by-value");
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g1, hs_agg_concat, NULL, NULL);
    kstream_cogrouped_add(cg, g2, hs_agg_concat_minus, NULL, NULL);
    kstream_table_t *t =
            kstream_cogrouped_aggregate(cg, hs_init_i, NULL, NULL, "cg");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "clicks", "A", "c", 1);
    h_pipe_ok(drv, "views", "k9", "A", 2); /* re-keyed to A */
    HS_EXPECT(drv, "app-views-by-value-repartition", HS_K_PLAIN, HS_V_STR,
              {"A", "A", 2});
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "i+c", 1},
              {"A", "i+c-A", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ----------------------------------------------------------- */

Test(cogroup, functions_reject_null_handles_and_callbacks)
{
    cr_assert(kstream_grouped_cogroup(NULL, hs_agg_concat, NULL, NULL) ==
              NULL);
    cr_assert(eq(int,
                 kstream_cogrouped_add(NULL, NULL, hs_agg_concat, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_cogrouped_aggregate(NULL, hs_init_i, NULL, NULL, "cg") ==
              NULL);

    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_grouped_t *g2 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "views", NULL));
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g1, hs_agg_concat, NULL, NULL);
    cr_assert(cg != NULL);
    cr_assert(eq(int, kstream_cogrouped_add(cg, NULL, hs_agg_concat, NULL,
                                            NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_cogrouped_add(cg, g2, NULL, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_builder_destroy(b);
}

Test(cogroup, cogroup_with_a_null_aggregator_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    cr_assert(kstream_grouped_cogroup(g1, NULL, NULL, NULL) == NULL);
    cr_assert(kstream_builder_error(b) != NULL);
    hs_build_fails_naming(b, "cogroup", "cogroup", "aggregator");
}

Test(cogroup, cogroup_aggregate_with_a_null_initializer_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g1, hs_agg_concat, NULL, NULL);
    cr_assert(kstream_cogrouped_aggregate(cg, NULL, NULL, NULL, "cg") ==
              NULL);
    hs_build_fails_naming(b, "cogroup aggregate", "cogroup", "initializer");
}

Test(cogroup, cogroup_aggregate_without_a_name_fails_naming_the_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g1 = kstream_stream_group_by_key(
            kstream_builder_stream(b, "clicks", NULL));
    kstream_cogrouped_t *cg =
            kstream_grouped_cogroup(g1, hs_agg_concat, NULL, NULL);
    kstream_table_t *t =
            kstream_cogrouped_aggregate(cg, hs_init_i, NULL, NULL, NULL);
    if (t != NULL)
        kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    hs_build_fails_naming(b, "cogroup aggregate", "cogroup", "aggregate");
}
