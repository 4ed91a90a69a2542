/* test_join_global.c - stream-global-table joins through the test driver
 * (Kafka Streams' KStreamGlobalKTableJoin): the mapper's key, inner and
 * left joins, misses and "no key", global updates and tombstones, result
 * timestamps (the stream record's) and headers, NULL keys, inputs with any
 * partition counts, describe() and builder errors. Written from
 * include/kstream/join.h. */
#include "helpers_join.h"

TestSuite(join_global, .timeout = 20);

/* orders (keyed by order id, value "<user>:<item>") join the global table
 * "g-users" (topic "users") on the user as "enrich" -> out */
static kstream_builder_t *gl_topology(kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "users", "g-users"),
                 KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, kind, hj_joiner, NULL, NULL, "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", NULL), KSTREAM_OK));
    return b;
}

/* ---- matches and misses ----------------------------------------------- */

HS_BACKEND_PARAMS(join_global, inner_join_looks_up_the_mapped_key)
ParameterizedTest(int *backend, join_global,
                  inner_join_looks_up_the_mapped_key)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 10);
    h_pipe_ok(drv, "orders", "o2", "u9:pen", 11); /* no user u9 */
    h_pipe_ok(drv, "users", "u9", "ivy", 12);
    h_pipe_ok(drv, "orders", "o3", "u9:ink", 13);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "u1:book/alice", 10},
              {"o3", "u9:ink/ivy", 13});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_global, left_join_emits_misses_with_no_right_side)
ParameterizedTest(int *backend, join_global,
                  left_join_emits_misses_with_no_right_side)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 10);
    h_pipe_ok(drv, "orders", "o2", "u9:pen", 11);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "u1:book/alice", 10},
              {"o2", "u9:pen/null", 11});
    kstream_test_driver_destroy(drv);
}

Test(join_global, global_updates_emit_nothing_and_are_seen_by_later_records)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    h_pipe_ok(drv, "users", "u1", "alice-gold", 3);
    h_pipe_ok(drv, "users", "u2", "bob", 4);
    h_expect(drv, "out", "o1", "u1:book/alice");
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "orders", "o2", "u1:pen", 5);
    h_pipe_ok(drv, "orders", "o3", "u2:ink", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR,
              {"o2", "u1:pen/alice-gold", 5}, {"o3", "u2:ink/bob", 6});
    kstream_test_driver_destroy(drv);
}

/* ---- tombstones ---------------------------------------------------------- */

HS_BACKEND_PARAMS(join_global, global_tombstone_makes_later_records_miss)
ParameterizedTest(int *backend, join_global,
                  global_tombstone_makes_later_records_miss)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    h_pipe_ok(drv, "users", "u1", NULL, 3);
    h_pipe_ok(drv, "orders", "o2", "u1:pen", 4);
    h_pipe_ok(drv, "users", "u1", "alice-back", 5);
    h_pipe_ok(drv, "orders", "o3", "u1:ink", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "u1:book/alice", 2},
              {"o3", "u1:ink/alice-back", 6});
    kstream_test_driver_destroy(drv);
}

Test(join_global, left_join_has_no_right_side_after_a_global_tombstone)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), 0, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u1", NULL, 2);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "u1:book/null", 3});
    kstream_test_driver_destroy(drv);
}

/* ---- the mapper's "no key" ---------------------------------------------- */

Test(join_global, inner_join_drops_records_the_mapper_gives_no_key)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "nokey", 2);
    h_pipe_ok(drv, "orders", "o2", "u1:pen", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o2", "u1:pen/alice", 3});
    kstream_test_driver_destroy(drv);
}

Test(join_global, left_join_emits_records_the_mapper_gives_no_key)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "nokey", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "nokey/null", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- timestamps and headers ----------------------------------------------- */

Test(join_global, result_timestamp_is_the_stream_records)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 100); /* newer than the order */
    h_pipe_ok(drv, "orders", "o1", "u1:book", 10);
    h_pipe_ok(drv, "orders", "o2", "u2:pen", 20);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "u1:book/alice", 10},
              {"o2", "u2:pen/null", 20});
    kstream_test_driver_destroy(drv);
}

Test(join_global, result_carries_the_stream_records_headers)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_pipe_h_ok(drv, "users", "u1", "alice", 1, "src", "global");
    hj_pipe_h_ok(drv, "orders", "o1", "u1:book", 2, "src", "stream");
    const kstream_record_t *rec = h_expect(drv, "out", "o1", "u1:book/alice");
    hj_header_is(rec, 1, "src", "stream");
    kstream_test_driver_destroy(drv);
}

/* ---- NULL keys -------------------------------------------------------------- */

Test(join_global, inner_join_skips_and_counts_null_keys)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", NULL, "u1:book", 2);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(join_global, left_join_emits_null_keys)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    /* (no row for u9, so the right side is missing either way) */
    h_pipe_ok(drv, "orders", NULL, "u9:book", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"null", "u9:book/null", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

/* A stream record without a value has nothing to join: skipped and
 * counted (Kafka Streams). */
Test(join_global, null_values_are_skipped_and_counted)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", NULL, 2);
    h_pipe_ok(drv, "orders", "o2", "u1:pen", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o2", "u1:pen/alice", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- partitions ------------------------------------------------------------------ */

/* No co-partitioning: a 4-partition stream joins a 3-partition global
 * table, every task seeing every row. */
HS_BACKEND_PARAMS(join_global, every_partition_sees_the_whole_global_table)
ParameterizedTest(int *backend, join_global,
                  every_partition_sees_the_whole_global_table)
{
    kstream_test_driver_t *drv =
            hs_driver(gl_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    hj_topics(drv, "orders", 4, "users", 3, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    bool used[4] = {false, false, false, false};
    for (int i = 0; i < 8; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "o%d", i);
        snprintf(v, sizeof(v), "u%d:x%d", 1 + i % 3, i);
        used[h_partition_of(k, 4)] = true;
        h_pipe_ok(drv, "orders", k, v, 10 + i);
    }
    cr_assert(used[0] && used[1] && used[2] && used[3],
              "the orders do not cover the 4 partitions");
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o0", "u1:x0/alice", 10},
              {"o1", "u2:x1/bob", 11}, {"o2", "u3:x2/null", 12},
              {"o3", "u1:x3/alice", 13}, {"o4", "u2:x4/bob", 14},
              {"o5", "u3:x5/null", 15}, {"o6", "u1:x6/alice", 16},
              {"o7", "u2:x7/bob", 17});
    kstream_test_driver_destroy(drv);
}

/* ---- describe ------------------------------------------------------------------------ */

Test(join_global, describe_shows_the_join_and_the_global_store)
{
    kstream_topology_t *t = h_build(gl_topology(KSTREAM_JOIN_LEFT));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Processor: ", "enrich"),
              "no join processor named after 'enrich':\n%s", text);
    cr_assert(hj_line_has(text, "Global store", "g-users"),
              "no global store:\n%s", text);
    cr_assert(strstr(text, "repartition") == NULL,
              "a global join needs no repartition:\n%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

/* ---- builder errors -------------------------------------------------------------------- */

static kstream_builder_t *gl_base(kstream_stream_t **s)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "users", "g-users"),
                 KSTREAM_OK));
    *s = kstream_builder_stream(b, "orders", NULL);
    return b;
}

Test(join_global, outer_kind_is_rejected)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, KSTREAM_JOIN_OUTER, hj_joiner, NULL, NULL,
            "enrich");
    hj_rejected(b, j, "OUTER stream-global join", "outer", "kind");
}

Test(join_global, null_mapper_is_rejected)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", NULL, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL,
            "enrich");
    hj_rejected(b, j, "NULL key mapper", NULL, NULL);
}

Test(join_global, null_joiner_is_rejected)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, KSTREAM_JOIN_INNER, NULL, NULL, NULL,
            "enrich");
    hj_rejected(b, j, "NULL joiner", "joiner", NULL);
}

Test(join_global, missing_name_is_rejected)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL,
            NULL);
    hj_rejected(b, j, "join without a name", "name", NULL);
}

Test(join_global, null_global_table_name_is_rejected)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, NULL, hj_fk, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL,
            "enrich");
    hj_rejected(b, j, "NULL global table", NULL, NULL);
}

Test(join_global, unknown_global_table_fails_the_build)
{
    kstream_stream_t *s;
    kstream_builder_t *b = gl_base(&s);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "no-such-table", hj_fk, KSTREAM_JOIN_INNER, hj_joiner, NULL,
            NULL, "enrich");
    if (j != NULL)
        kstream_stream_to(j, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "no-such-table"),
              "the error does not name the unknown table: %s", errstr);
}
