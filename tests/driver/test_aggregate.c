/* test_aggregate.c - stream aggregations through the test driver:
 * group_by_key and group_by (repartition topics), count (Kafka longs),
 * reduce, aggregate; NULL keys and values skipped and counted; result
 * timestamps; store reads through the driver; both store backends; bad
 * arguments and missing names. */
#include "helpers_state.h"

TestSuite(aggregate, .timeout = 20);

/* in -> group_by_key -> count "cnt" -> to_stream -> out */
static kstream_builder_t *count_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g = kstream_stream_group_by_key(s);
    cr_assert(g != NULL, "group_by_key: %s", kstream_builder_error(b));
    kstream_table_t *t = kstream_grouped_count(g, "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

/* ---- count ------------------------------------------------------------------ */

HS_BACKEND_PARAMS(aggregate, count_emits_a_kafka_long_per_update)
ParameterizedTest(int *backend, aggregate,
                  count_emits_a_kafka_long_per_update)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "B", "x", 2);
    h_pipe_ok(drv, "in", "A", "y", 3);
    h_pipe_ok(drv, "in", "A", "z", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1},
              {"B", "1", 2}, {"A", "2", 3}, {"A", "3", 4});
    hs_store_is_long(drv, "cnt", "A", 3);
    hs_store_is_long(drv, "cnt", "B", 1);
    hs_store_is(drv, "cnt", "C", NULL);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, count_skips_null_keys_and_null_values_and_counts_them)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", NULL, "x", 1);
    h_pipe_ok(drv, "in", "A", NULL, 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    hs_store_is_long(drv, "cnt", "A", 1);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, count_of_an_empty_value_counts_it)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "", 1);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(aggregate, result_timestamp_is_the_largest_input_timestamp)
{
    /* Kafka Streams: the aggregate's timestamp is the max of its inputs. */
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 10);
    h_pipe_ok(drv, "in", "A", "x", 5);
    h_pipe_ok(drv, "in", "A", "x", 12);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 10},
              {"A", "2", 10}, {"A", "3", 12});
    kstream_test_driver_destroy(drv);
}

Test(aggregate, count_keeps_counts_per_partition_task)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 0, false,
                                           NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 3),
                 KSTREAM_OK));
    const char *keys[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 8; i++)
            if (i % 3 >= round)
                h_pipe_ok(drv, "in", keys[i], "v", round * 10 + i);
    for (int i = 0; i < 8; i++)
        hs_store_is_long(drv, "cnt", keys[i], i % 3 + 1);
    cr_assert(eq(int, h_drain(drv, "out"), 8 + 5 + 2));
    kstream_test_driver_destroy(drv);
}

/* ---- reduce / aggregate ---------------------------------------------------------- */

static int reduce_calls;

static kstream_err_t counting_concat(const kstream_record_t *rec,
                                     kstream_bytes_t agg, kstream_buf_t *out,
                                     void *opaque)
{
    reduce_calls++;
    return hs_agg_concat(rec, agg, out, opaque);
}

HS_BACKEND_PARAMS(aggregate, reduce_folds_values_per_key)
ParameterizedTest(int *backend, aggregate, reduce_folds_values_per_key)
{
    reduce_calls = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t =
            kstream_grouped_reduce(g, counting_concat, NULL, NULL, "red");
    cr_assert(t != NULL, "reduce: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    h_pipe_ok(drv, "in", "B", "b", 2);
    h_pipe_ok(drv, "in", "A", "c", 3);
    h_pipe_ok(drv, "in", "A", "d", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a", 1}, {"B", "b", 2},
              {"A", "a+c", 3}, {"A", "a+c+d", 4});
    cr_assert(eq(int, reduce_calls, 2),
              "the reducer runs from the second value of a key on");
    hs_store_is(drv, "red", "A", "a+c+d");
    hs_store_is(drv, "red", "B", "b");
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(aggregate, aggregate_folds_from_the_initializer)
ParameterizedTest(int *backend, aggregate,
                  aggregate_folds_from_the_initializer)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_grouped_aggregate(g, hs_init_zero,
                                                   hs_agg_sum, NULL, NULL,
                                                   "sum");
    cr_assert(t != NULL, "aggregate: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "5", 1);
    h_pipe_ok(drv, "in", "A", "7", 2);
    h_pipe_ok(drv, "in", "B", "1", 3);
    h_pipe_ok(drv, "in", "A", "-2", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "5", 1},
              {"A", "12", 2}, {"B", "1", 3}, {"A", "10", 4});
    hs_store_is(drv, "sum", "A", "10");
    hs_store_is(drv, "sum", "B", "1");
    kstream_test_driver_destroy(drv);
}

typedef struct opaque_probe {
    int freed;
    int seen;
} opaque_probe_t;

static kstream_err_t init_probe(kstream_buf_t *out, void *opaque)
{
    ((opaque_probe_t *)opaque)->seen++;
    return hs_buf_puts(out, "0");
}

static kstream_err_t agg_probe(const kstream_record_t *rec,
                               kstream_bytes_t agg, kstream_buf_t *out,
                               void *opaque)
{
    ((opaque_probe_t *)opaque)->seen++;
    return hs_agg_sum(rec, agg, out, NULL);
}

static void free_probe(void *opaque)
{
    ((opaque_probe_t *)opaque)->freed++;
}

Test(aggregate, aggregate_passes_opaque_and_frees_it_once)
{
    opaque_probe_t p = {0, 0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_grouped_aggregate(g, init_probe, agg_probe,
                                                   &p, free_probe, "sum");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 1);
    cr_assert(eq(int, p.seen, 2), "initializer and aggregator got opaque");
    kstream_test_driver_destroy(drv);
    cr_assert(eq(int, p.freed, 1));
}

static kstream_err_t agg_fail_on_bad(const kstream_record_t *rec,
                                     kstream_bytes_t agg, kstream_buf_t *out,
                                     void *opaque)
{
    if (h_bytes_is(kstream_record_value(rec), "bad"))
        return KSTREAM_ERR_USER;
    return hs_agg_sum(rec, agg, out, opaque);
}

Test(aggregate, an_aggregator_error_goes_to_the_processing_handler)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_grouped_aggregate(g, hs_init_zero,
                                                   agg_fail_on_bad, NULL,
                                                   NULL, "sum");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(
            b, 1, false, "processing.exception.handler", "continue", NULL);
    h_pipe_ok(drv, "in", "A", "1", 1);
    cr_assert(eq(int, h_pipe(drv, "in", "A", "bad", 2), KSTREAM_OK));
    h_pipe_ok(drv, "in", "A", "2", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "1", 1},
              {"A", "3", 3});
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    hs_store_is(drv, "sum", "A", "3");
    kstream_test_driver_destroy(drv);
}

/* ---- repartitioning ------------------------------------------------------------ */

Test(aggregate, group_by_key_without_a_key_change_does_not_repartition)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(kstream_test_driver_is_empty(drv, "app-cnt-repartition"));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(aggregate,
                  group_by_key_after_select_key_repartitions_through_named_topic)
ParameterizedTest(int *backend, aggregate,
                  group_by_key_after_select_key_repartitions_through_named_topic)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, "rekey");
    kstream_grouped_t *g = kstream_stream_group_by_key(s);
    kstream_table_t *t = kstream_grouped_count(g, "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "k1", "red", 1);
    h_pipe_ok(drv, "in", "k2", "blue", 2);
    h_pipe_ok(drv, "in", "k3", "red", 3);
    HS_EXPECT(drv, "app-cnt-repartition", HS_K_PLAIN, HS_V_STR,
              {"red", "red", 1}, {"blue", "blue", 2}, {"red", "red", 3});
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"red", "1", 1},
              {"blue", "1", 2}, {"red", "2", 3});
    hs_store_is_long(drv, "cnt", "red", 2);
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(aggregate, group_by_rekeys_through_its_repartition_topic)
ParameterizedTest(int *backend, aggregate,
                  group_by_rekeys_through_its_repartition_topic)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g =
            kstream_stream_group_by(s, hs_key_from_value, NULL, NULL,
                                    "by-color");
    cr_assert(g != NULL, "group_by: %s", kstream_builder_error(b));
    kstream_table_t *t = kstream_grouped_count(g, "color-count");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "k1", "red:1", 1);
    h_pipe_ok(drv, "in", "k2", "blue:2", 2);
    h_pipe_ok(drv, "in", "k3", "red:3", 3);
    HS_EXPECT(drv, "app-by-color-repartition", HS_K_PLAIN, HS_V_STR,
              {"red", "red:1", 1}, {"blue", "blue:2", 2},
              {"red", "red:3", 3});
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"red", "1", 1},
              {"blue", "1", 2}, {"red", "2", 3});
    hs_store_is_long(drv, "color-count", "red", 2);
    hs_store_is_long(drv, "color-count", "blue", 1);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, group_by_over_partitions_brings_each_key_to_one_task)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g = kstream_stream_group_by(s, hs_key_from_value,
                                                   NULL, NULL, "grp");
    kstream_table_t *t = kstream_grouped_count(g, "cnt");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    /* the same new key from records of every input partition */
    for (int p = 0; p < 4; p++) {
        h_pipe_p_ok(drv, "in", p, "x", "red", p);
        h_pipe_p_ok(drv, "in", p, "y", "blue", 10 + p);
    }
    hs_store_is_long(drv, "cnt", "red", 4);
    hs_store_is_long(drv, "cnt", "blue", 4);
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_LONG);
    hs_out_t *fin = hs_final_table(o);
    static const hs_exp_t want[] = {{"red", "4", HS_ANY_TS},
                                    {"blue", "4", HS_ANY_TS}};
    hs_assert_set(fin, "final counts", want, 2);
    cr_assert(eq(sz, o->n, 8));
    free(o);
    free(fin);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, a_record_regrouped_to_a_null_key_is_not_counted)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g = kstream_stream_group_by(s, hs_key_from_value,
                                                   NULL, NULL, "grp");
    kstream_stream_to(kstream_table_to_stream(kstream_grouped_count(g, "cnt"),
                                              NULL),
                      "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "k", NULL, 1); /* new key NULL, value NULL */
    h_pipe_ok(drv, "in", "k", "red", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"red", "1", 2});
    kstream_test_driver_destroy(drv);
}

Test(aggregate, two_aggregations_of_one_grouped_stream_share_the_input)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *c = kstream_grouped_count(g, "cnt");
    kstream_table_t *r =
            kstream_grouped_reduce(g, hs_agg_concat, NULL, NULL, "red");
    cr_assert(c != NULL && r != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(c, NULL), "out-c", NULL);
    kstream_stream_to(kstream_table_to_stream(r, NULL), "out-r", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    h_pipe_ok(drv, "in", "A", "b", 2);
    HS_EXPECT(drv, "out-c", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1},
              {"A", "2", 2});
    HS_EXPECT(drv, "out-r", HS_K_PLAIN, HS_V_STR, {"A", "a", 1},
              {"A", "a+b", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- record metadata --------------------------------------------------------- */

typedef struct meta_probe {
    char topic[32];
    int64_t offset;
    size_t headers;
} meta_probe_t;

static kstream_err_t probe_meta(const kstream_record_t *rec, void *opaque)
{
    meta_probe_t *p = (meta_probe_t *)opaque;
    const char *topic = kstream_record_topic(rec);
    snprintf(p->topic, sizeof(p->topic), "%s", topic ? topic : "(null)");
    p->offset = kstream_record_offset(rec);
    p->headers = kstream_record_header_count(rec);
    return KSTREAM_OK;
}

Test(aggregate, results_keep_the_input_records_source_and_headers)
{
    /* Kafka Streams forwards an aggregation's update in the context of the
     * input record (topic, partition, offset, headers) when uncached. */
    meta_probe_t p = {"", -2, 0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    kstream_stream_foreach(kstream_table_to_stream(t, NULL), probe_meta, &p,
                           NULL, NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    static const kstream_header_t hdr = {"trace", "t1", 2};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "A", 1, "x", 1, 2,
                                             &hdr, 1),
                 KSTREAM_OK));
    cr_assert(eq(str, p.topic, "in"));
    cr_assert(eq(i64, p.offset, 1));
    cr_assert(eq(sz, p.headers, 1));
    kstream_test_driver_destroy(drv);
}

/* ---- store reads through the driver ------------------------------------------- */

Test(aggregate, driver_store_get_reports_unknown_stores_and_missing_keys)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    kstream_bytes_t v;
    cr_assert(eq(int,
                 kstream_test_driver_store_get(drv, "no-such-store", "A", 1,
                                               &v),
                 KSTREAM_ERR_UNKNOWN_NAME));
    cr_assert(eq(int, kstream_test_driver_store_get(drv, "cnt", "Q", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(kstream_test_driver_store(drv, "no-such-store", 0) == NULL);
    kstream_store_t *st = kstream_test_driver_store(drv, "cnt", 0);
    cr_assert(st != NULL);
    cr_assert(eq(int, kstream_store_get(st, "A", 1, &v), KSTREAM_OK));
    cr_assert(hs_bytes_is_long(v, 1), "count store values are Kafka longs "
              "(%zu bytes)", v.len);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, driver_store_functions_reject_bad_arguments)
{
    kstream_bytes_t v;
    cr_assert(kstream_test_driver_store(NULL, "cnt", 0) == NULL);
    cr_assert(eq(int, kstream_test_driver_store_get(NULL, "cnt", "A", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    cr_assert(kstream_test_driver_store(drv, NULL, 0) == NULL);
    cr_assert(eq(int, kstream_test_driver_store_get(drv, NULL, "A", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_store_get(drv, "cnt", NULL, 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_store_get(drv, "cnt", "A", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ---------------------------------------------------------------- */

Test(aggregate, grouping_and_aggregation_functions_reject_null_handles)
{
    cr_assert(kstream_stream_group_by_key(NULL) == NULL);
    cr_assert(kstream_stream_group_by(NULL, hs_key_from_value, NULL, NULL,
                                      "g") == NULL);
    cr_assert(kstream_grouped_count(NULL, "c") == NULL);
    cr_assert(kstream_grouped_reduce(NULL, hs_agg_concat, NULL, NULL, "r") ==
              NULL);
    cr_assert(kstream_grouped_aggregate(NULL, hs_init_zero, hs_agg_sum, NULL,
                                        NULL, "a") == NULL);
}

Test(aggregate, a_rejected_aggregation_frees_opaque_at_most_once)
{
    opaque_probe_t p = {0, 0};
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_grouped_aggregate(NULL, init_probe, agg_probe, &p,
                                        free_probe, "a") == NULL);
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    cr_assert(kstream_grouped_aggregate(g, NULL, agg_probe, &p, free_probe,
                                        "a") == NULL);
    kstream_builder_destroy(b);
    cr_assert(p.freed <= 2, "opaque freed %d times", p.freed);
}

typedef struct agg_case {
    char op[24];
    char word1[16];
    char word2[16];
} agg_case_t;

ParameterizedTestParameters(aggregate, null_callback_fails_naming_operator)
{
    static agg_case_t cases[] = {
            {"group_by", "group", "by"},
            {"reduce", "reduce", "reduce"},
            {"aggregate_init", "aggregate", "initializer"},
            {"aggregate_fn", "aggregate", "aggregator"},
    };
    return cr_make_param_array(agg_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(agg_case_t *c, aggregate,
                  null_callback_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g = kstream_stream_group_by_key(s);
    void *res = (void *)1;
    if (!strcmp(c->op, "group_by"))
        res = kstream_stream_group_by(s, NULL, NULL, NULL, "bad-op");
    else if (!strcmp(c->op, "reduce"))
        res = kstream_grouped_reduce(g, NULL, NULL, NULL, "bad-op");
    else if (!strcmp(c->op, "aggregate_init"))
        res = kstream_grouped_aggregate(g, NULL, hs_agg_sum, NULL, NULL,
                                        "bad-op");
    else if (!strcmp(c->op, "aggregate_fn"))
        res = kstream_grouped_aggregate(g, hs_init_zero, NULL, NULL, NULL,
                                        "bad-op");
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

ParameterizedTestParameters(aggregate, missing_name_fails_naming_operator)
{
    static agg_case_t cases[] = {
            {"group_by", "group", "repartition"},
            {"count", "count", "count"},
            {"reduce", "reduce", "reduce"},
            {"aggregate", "aggregate", "aggregate"},
    };
    return cr_make_param_array(agg_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(agg_case_t *c, aggregate,
                  missing_name_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *t = NULL;
    if (!strcmp(c->op, "group_by")) {
        kstream_grouped_t *g =
                kstream_stream_group_by(s, hs_key_from_value, NULL, NULL,
                                        NULL);
        if (g != NULL)
            t = kstream_grouped_count(g, "cnt");
    } else {
        kstream_grouped_t *g = kstream_stream_group_by_key(s);
        if (!strcmp(c->op, "count"))
            t = kstream_grouped_count(g, NULL);
        else if (!strcmp(c->op, "reduce"))
            t = kstream_grouped_reduce(g, hs_agg_concat, NULL, NULL, NULL);
        else
            t = kstream_grouped_aggregate(g, hs_init_zero, hs_agg_sum, NULL,
                                          NULL, NULL);
    }
    if (t != NULL)
        kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    hs_build_fails_naming(b, c->op, c->word1, c->word2);
}
