/* test_join_stream_table.c - stream-table joins through the test driver
 * (Kafka Streams' KStreamKTableJoin): inner and left joins, misses, table
 * updates and tombstones, result timestamps and headers, NULL keys,
 * several partitions, co-partitioning, derived tables, describe() and
 * builder errors. Written from include/kstream/join.h. */
#include "helpers_join.h"

TestSuite(join_stream_table, .timeout = 20);

/* orders (stream) join users (table "users") as "enrich" -> out */
static kstream_builder_t *st_topology(kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    cr_assert(t != NULL && s != NULL, "%s", kstream_builder_error(b));
    kstream_stream_t *j = kstream_stream_join_table(s, t, kind, hj_joiner,
                                                    NULL, NULL, "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", NULL), KSTREAM_OK));
    return b;
}

/* ---- matches and misses ------------------------------------------------- */

HS_BACKEND_PARAMS(join_stream_table, inner_join_emits_matches_only)
ParameterizedTest(int *backend, join_stream_table,
                  inner_join_emits_matches_only)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 5);
    h_pipe_ok(drv, "orders", "u2", "o2", 6); /* no user u2: no result */
    h_pipe_ok(drv, "users", "u2", "bob", 7);
    h_pipe_ok(drv, "orders", "u2", "o3", 8);
    h_pipe_ok(drv, "orders", "u1", "o4", 9);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice", 5},
              {"u2", "o3/bob", 8}, {"u1", "o4/alice", 9});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_table, left_join_emits_misses_with_no_right_side)
ParameterizedTest(int *backend, join_stream_table,
                  left_join_emits_misses_with_no_right_side)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 5);
    h_pipe_ok(drv, "orders", "u2", "o2", 6);
    h_pipe_ok(drv, "users", "u2", "bob", 7);
    h_pipe_ok(drv, "orders", "u2", "o3", 8);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice", 5},
              {"u2", "o2/null", 6}, {"u2", "o3/bob", 8});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, table_updates_alone_emit_nothing)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u1", "alice2", 2);
    h_pipe_ok(drv, "users", "u2", "bob", 3);
    h_pipe_ok(drv, "users", "u2", NULL, 4);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "orders", "u1", "o1", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice2", 5});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, later_table_updates_do_not_revise_earlier_results)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), 0, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 2);
    h_pipe_ok(drv, "users", "u1", "alice-gold", 3);
    h_pipe_ok(drv, "orders", "u1", "o2", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice", 2},
              {"u1", "o2/alice-gold", 4});
    kstream_test_driver_destroy(drv);
}

/* ---- tombstones ---------------------------------------------------------- */

HS_BACKEND_PARAMS(join_stream_table,
                  inner_join_misses_after_a_table_tombstone)
ParameterizedTest(int *backend, join_stream_table,
                  inner_join_misses_after_a_table_tombstone)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 2);
    h_pipe_ok(drv, "users", "u1", NULL, 3); /* emits nothing itself */
    h_expect(drv, "out", "u1", "o1/alice");
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "orders", "u1", "o2", 4);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "users", "u1", "alice-again", 5);
    h_pipe_ok(drv, "orders", "u1", "o3", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o3/alice-again", 6});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_table,
                  left_join_has_no_right_side_after_a_table_tombstone)
ParameterizedTest(int *backend, join_stream_table,
                  left_join_has_no_right_side_after_a_table_tombstone)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 2);
    h_pipe_ok(drv, "users", "u1", NULL, 3);
    h_pipe_ok(drv, "orders", "u1", "o2", 4);
    h_pipe_ok(drv, "users", "u1", "alice-again", 5);
    h_pipe_ok(drv, "orders", "u1", "o3", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice", 2},
              {"u1", "o2/null", 4}, {"u1", "o3/alice-again", 6});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, tombstone_for_an_absent_row_changes_nothing)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "ghost", NULL, 1);
    h_pipe_ok(drv, "orders", "ghost", "o1", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"ghost", "o1/null", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- timestamps and headers ----------------------------------------------- */

Test(join_stream_table, result_timestamp_is_the_larger_of_stream_and_table)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 50);
    h_pipe_ok(drv, "orders", "u1", "o-older", 20); /* table row is newer */
    h_pipe_ok(drv, "orders", "u1", "o-newer", 70);
    h_pipe_ok(drv, "orders", "u2", "o-miss", 30); /* no row: the stream's */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o-older/alice", 50},
              {"u1", "o-newer/alice", 70}, {"u2", "o-miss/null", 30});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, result_carries_the_stream_records_headers)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_pipe_h_ok(drv, "users", "u1", "alice", 1, "src", "table");
    hj_pipe_h_ok(drv, "orders", "u1", "o1", 2, "src", "stream");
    const kstream_record_t *rec = h_expect(drv, "out", "u1", "o1/alice");
    hj_header_is(rec, 1, "src", "stream");
    kstream_test_driver_destroy(drv);
}

/* ---- NULL keys ---------------------------------------------------------------- */

Test(join_stream_table, inner_join_skips_and_counts_null_keys)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", NULL, "o1", 2);
    h_pipe_ok(drv, "orders", "u1", "o2", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o2/alice", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, left_join_emits_null_keys_with_no_right_side)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", NULL, "o1", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"null", "o1/null", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

/* A stream record without a value has nothing to join (Kafka Streams
 * skips and counts it, in inner and left joins alike). */
static void null_values_are_skipped(kstream_join_kind_t kind)
{
    kstream_test_driver_t *drv = hs_driver(st_topology(kind), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", NULL, 2);
    h_pipe_ok(drv, "orders", "u1", "o2", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o2/alice", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, inner_join_skips_and_counts_null_values)
{
    null_values_are_skipped(KSTREAM_JOIN_INNER);
}

Test(join_stream_table, left_join_skips_and_counts_null_values)
{
    null_values_are_skipped(KSTREAM_JOIN_LEFT);
}

/* ---- partitions ------------------------------------------------------------------ */

HS_BACKEND_PARAMS(join_stream_table, each_partition_joins_its_own_keys)
ParameterizedTest(int *backend, join_stream_table,
                  each_partition_joins_its_own_keys)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    hj_topics(drv, "orders", 3, "users", 3, NULL);
    bool used[3] = {false, false, false};
    for (int i = 0; i < 8; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "u%d", i);
        snprintf(v, sizeof(v), "name%d", i);
        used[h_partition_of(k, 3)] = true;
        if (i != 5)
            h_pipe_ok(drv, "users", k, v, i);
    }
    cr_assert(used[0] && used[1] && used[2], "keys do not cover 3 partitions");
    for (int i = 7; i >= 0; i--) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "u%d", i);
        snprintf(v, sizeof(v), "o%d", i);
        h_pipe_ok(drv, "orders", k, v, 100 + i);
    }
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u7", "o7/name7", 107},
              {"u6", "o6/name6", 106}, {"u5", "o5/null", 105},
              {"u4", "o4/name4", 104}, {"u3", "o3/name3", 103},
              {"u2", "o2/name2", 102}, {"u1", "o1/name1", 101},
              {"u0", "o0/name0", 100});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, inputs_with_different_partition_counts_fail_at_start)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_topics(drv, "orders", 4, "users", 2, NULL);
    hj_pipe_fails_naming(drv, "orders", "u1", "orders", "users");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_table, partition_count_mismatch_fails_whichever_input_is_fed)
{
    kstream_test_driver_t *drv =
            hs_driver(st_topology(KSTREAM_JOIN_LEFT), 0, false, NULL);
    hj_topics(drv, "orders", 2, "users", 3, NULL);
    hj_pipe_fails_naming(drv, "users", "u1", "orders", "users");
    kstream_test_driver_destroy(drv);
}

/* ---- derived tables ---------------------------------------------------------------- */

/* The table side is a filtered view of "users" (only values starting with
 * "keep"): the join reads the view, not the source. */
Test(join_stream_table, join_reads_a_filtered_table_view)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    t = kstream_table_filter(t, h_pred_value_prefix, (void *)"keep", NULL,
                             "kept-users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "users", "u1", "keep-alice", 1);
    h_pipe_ok(drv, "users", "u2", "drop-bob", 2);
    h_pipe_ok(drv, "orders", "u1", "o1", 3);
    h_pipe_ok(drv, "orders", "u2", "o2", 4);
    h_pipe_ok(drv, "users", "u1", "drop-alice", 5); /* leaves the view */
    h_pipe_ok(drv, "orders", "u1", "o3", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/keep-alice", 3},
              {"u2", "o2/null", 4}, {"u1", "o3/null", 6});
    kstream_test_driver_destroy(drv);
}

/* map_values: the value becomes "name=<value>". */
static kstream_err_t name_value(const kstream_record_t *in,
                                kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "name=%.*s", (int)v.len,
                     (const char *)v.data);
    return kstream_record_set_value(out, buf, (size_t)n);
}

Test(join_stream_table, join_reads_a_mapped_table_view)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    t = kstream_table_map_values(t, name_value, NULL, NULL, "named-users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 3);
    h_pipe_ok(drv, "users", "u1", NULL, 4); /* tombstones pass unmapped */
    h_pipe_ok(drv, "orders", "u1", "o2", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/name=alice", 3},
              {"u1", "o2/null", 5});
    kstream_test_driver_destroy(drv);
}

/* ---- describe ------------------------------------------------------------------------ */

Test(join_stream_table, describe_shows_the_join_and_the_table_store)
{
    kstream_topology_t *t = h_build(st_topology(KSTREAM_JOIN_LEFT));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Processor: ", "enrich"),
              "no join processor named after 'enrich':\n%s", text);
    cr_assert(hj_node_lists_store(text, "enrich", "users"),
              "the join processor does not list the table's store:\n%s",
              text);
    cr_assert(eq(int, hj_subtopologies(text), 1),
              "a co-partitioned stream-table join is one sub-topology:\n%s",
              text);
    cr_assert(strstr(text, "repartition") == NULL,
              "no key changed: no repartition topic:\n%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

/* ---- builder errors -------------------------------------------------------------------- */

Test(join_stream_table, outer_kind_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_OUTER, hj_joiner, NULL, NULL, "enrich");
    hj_rejected(b, j, "OUTER stream-table join", "outer", "kind");
}

Test(join_stream_table, unknown_kind_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, (kstream_join_kind_t)7, hj_joiner, NULL, NULL, "enrich");
    hj_rejected(b, j, "join kind 7", NULL, NULL);
}

Test(join_stream_table, null_joiner_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(s, t, KSTREAM_JOIN_INNER,
                                                    NULL, NULL, NULL, "enrich");
    hj_rejected(b, j, "NULL joiner", "joiner", NULL);
}

Test(join_stream_table, missing_name_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(s, t, KSTREAM_JOIN_INNER,
                                                    hj_joiner, NULL, NULL,
                                                    NULL);
    hj_rejected(b, j, "join without a name", "name", NULL);
}

Test(join_stream_table, null_table_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, NULL, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "enrich");
    hj_rejected(b, j, "NULL table", NULL, NULL);
}

Test(join_stream_table, null_stream_gives_null)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    cr_assert(kstream_stream_join_table(NULL, t, KSTREAM_JOIN_INNER,
                                        hj_joiner, NULL, NULL,
                                        "enrich") == NULL);
    kstream_builder_destroy(b);
}

Test(join_stream_table, duplicate_join_name_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j1 = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "enrich");
    kstream_stream_t *j2 = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "enrich");
    if (j1 != NULL)
        kstream_stream_to(j1, "out1", NULL);
    if (j2 != NULL)
        kstream_stream_to(j2, "out2", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "enrich"), "%s", errstr);
}

Test(join_stream_table, inputs_of_another_builder_are_rejected)
{
    kstream_builder_t *b1 = kstream_builder_new();
    kstream_builder_t *b2 = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b2, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b1, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "enrich");
    cr_assert(j == NULL, "a join across two builders was accepted");
    cr_assert(kstream_builder_error(b1) != NULL ||
                      kstream_builder_error(b2) != NULL,
              "no builder recorded the error");
    kstream_builder_destroy(b1);
    kstream_builder_destroy(b2);
}

/* A joiner that fails the record: the error reaches the pipe (the default
 * "processing.exception.handler" is fail). */
static kstream_err_t failing_joiner(const kstream_record_t *left,
                                    const kstream_record_t *right,
                                    kstream_record_t *out, void *opaque)
{
    (void)left;
    (void)right;
    (void)out;
    (void)opaque;
    return KSTREAM_ERR_USER;
}

Test(join_stream_table, joiner_error_fails_the_record)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_LEFT, failing_joiner, NULL, NULL, "enrich");
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false,
                                           "processing.exception.handler",
                                           "continue", NULL);
    h_pipe_ok(drv, "orders", "u1", "o1", 1);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    kstream_test_driver_destroy(drv);
}
