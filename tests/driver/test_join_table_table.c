/* test_join_table_table.c - table-table joins through the test driver
 * (Kafka Streams' KTableKTableJoin): inner, left and outer joins, updates
 * and tombstones on either side, a joiner result of NULL deleting the row,
 * result timestamps, the cache, several partitions, the result as input of
 * another join, co-partitioning, describe() and builder errors. Written
 * from include/kstream/join.h.
 *
 * The result is a table: a tombstone for a key the result does not hold
 * is allowed (Kafka Streams sends some) and ignored; every other record is
 * checked, in order. */
#include "helpers_join.h"

TestSuite(join_table_table, .timeout = 20);

/* left (table "lt") join right (table "rt") as "tt" -> to_stream -> out */
static kstream_builder_t *tt_topology_with(kstream_join_kind_t kind,
                                           kstream_joiner_cb *joiner)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j =
            kstream_table_join_table(l, r, kind, joiner, NULL, NULL, "tt");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_t *s = kstream_table_to_stream(j, NULL);
    cr_assert(eq(int, kstream_stream_to(s, "out", NULL), KSTREAM_OK));
    return b;
}

static kstream_builder_t *tt_topology(kstream_join_kind_t kind)
{
    return tt_topology_with(kind, hj_joiner);
}

/* ---- inner ------------------------------------------------------------------ */

HS_BACKEND_PARAMS(join_table_table, inner_join_follows_both_sides)
ParameterizedTest(int *backend, join_table_table,
                  inner_join_follows_both_sides)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", "a1", 1);
    HJ_STEP_NONE(drv, "out", &h, "left row alone");
    h_pipe_ok(drv, "right", "A", "x1", 2);
    HJ_STEP(drv, "out", &h, "right row joins", {"A", "a1/x1", 2});
    h_pipe_ok(drv, "left", "A", "a2", 3);
    HJ_STEP(drv, "out", &h, "left update", {"A", "a2/x1", 3});
    h_pipe_ok(drv, "right", "A", "x2", 4);
    HJ_STEP(drv, "out", &h, "right update", {"A", "a2/x2", 4});
    h_pipe_ok(drv, "right", "A", NULL, 5);
    HJ_STEP(drv, "out", &h, "right delete", {"A", NULL, 5});
    h_pipe_ok(drv, "left", "A", "a3", 6);
    HJ_STEP_NONE(drv, "out", &h, "left update without right row");
    h_pipe_ok(drv, "right", "A", "x3", 7);
    HJ_STEP(drv, "out", &h, "right row back", {"A", "a3/x3", 7});
    h_pipe_ok(drv, "left", "A", NULL, 8);
    HJ_STEP(drv, "out", &h, "left delete", {"A", NULL, 8});
    h_pipe_ok(drv, "right", "B", "y", 9);
    HJ_STEP_NONE(drv, "out", &h, "right row alone");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- left -------------------------------------------------------------------- */

HS_BACKEND_PARAMS(join_table_table, left_join_keeps_every_left_row)
ParameterizedTest(int *backend, join_table_table,
                  left_join_keeps_every_left_row)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", "a1", 1);
    HJ_STEP(drv, "out", &h, "left row alone", {"A", "a1/null", 1});
    h_pipe_ok(drv, "right", "A", "x1", 2);
    HJ_STEP(drv, "out", &h, "right row joins", {"A", "a1/x1", 2});
    h_pipe_ok(drv, "right", "A", NULL, 3);
    HJ_STEP(drv, "out", &h, "right delete", {"A", "a1/null", 3});
    h_pipe_ok(drv, "right", "B", "y1", 4);
    HJ_STEP_NONE(drv, "out", &h, "right row without left row");
    h_pipe_ok(drv, "left", "B", "b1", 5);
    HJ_STEP(drv, "out", &h, "left row finds right row", {"B", "b1/y1", 5});
    h_pipe_ok(drv, "left", "A", NULL, 6);
    HJ_STEP(drv, "out", &h, "left delete", {"A", NULL, 6});
    h_pipe_ok(drv, "right", "A", "x2", 7);
    HJ_STEP_NONE(drv, "out", &h, "right row after left delete");
    h_pipe_ok(drv, "right", "B", NULL, 8);
    HJ_STEP(drv, "out", &h, "right delete of a joined row",
            {"B", "b1/null", 8});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- outer ------------------------------------------------------------------- */

HS_BACKEND_PARAMS(join_table_table, outer_join_keeps_every_row_of_either_side)
ParameterizedTest(int *backend, join_table_table,
                  outer_join_keeps_every_row_of_either_side)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_OUTER), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "right", "A", "x1", 1);
    HJ_STEP(drv, "out", &h, "right row alone", {"A", "null/x1", 1});
    h_pipe_ok(drv, "left", "A", "a1", 2);
    HJ_STEP(drv, "out", &h, "left row joins", {"A", "a1/x1", 2});
    h_pipe_ok(drv, "right", "A", NULL, 3);
    HJ_STEP(drv, "out", &h, "right delete", {"A", "a1/null", 3});
    h_pipe_ok(drv, "left", "A", NULL, 4);
    HJ_STEP(drv, "out", &h, "left delete, no right row", {"A", NULL, 4});
    h_pipe_ok(drv, "left", "B", "b1", 5);
    HJ_STEP(drv, "out", &h, "left row alone", {"B", "b1/null", 5});
    h_pipe_ok(drv, "right", "B", "y1", 6);
    HJ_STEP(drv, "out", &h, "right row joins", {"B", "b1/y1", 6});
    h_pipe_ok(drv, "left", "B", NULL, 7);
    HJ_STEP(drv, "out", &h, "left delete, right row stays",
            {"B", "null/y1", 7});
    h_pipe_ok(drv, "right", "B", NULL, 8);
    HJ_STEP(drv, "out", &h, "right delete, no left row", {"B", NULL, 8});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- timestamps, the joiner's NULL, tombstones for absent rows ------------- */

Test(join_table_table, result_timestamp_is_the_larger_of_the_two_rows)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", "a1", 10);
    h_pipe_ok(drv, "right", "A", "x1", 20);
    HJ_STEP(drv, "out", &h, "right newer", {"A", "a1/x1", 20});
    h_pipe_ok(drv, "left", "A", "a2", 15); /* older than the right row */
    HJ_STEP(drv, "out", &h, "left update older", {"A", "a2/x1", 20});
    h_pipe_ok(drv, "left", "A", "a3", 30);
    HJ_STEP(drv, "out", &h, "left update newer", {"A", "a3/x1", 30});
    h_pipe_ok(drv, "right", "A", NULL, 25); /* delete older than left */
    HJ_STEP(drv, "out", &h, "right delete", {"A", NULL, 30});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

Test(join_table_table, joiner_null_result_deletes_the_row)
{
    kstream_test_driver_t *drv = hs_driver(
            tt_topology_with(KSTREAM_JOIN_INNER, hj_joiner_hide), 0, false,
            NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", "a", 1);
    h_pipe_ok(drv, "right", "A", "x", 2);
    HJ_STEP(drv, "out", &h, "joined", {"A", "a/x", 2});
    h_pipe_ok(drv, "right", "A", "hide", 3);
    HJ_STEP(drv, "out", &h, "joiner gives NULL", {"A", NULL, 3});
    h_pipe_ok(drv, "right", "A", "y", 4);
    HJ_STEP(drv, "out", &h, "joined again", {"A", "a/y", 4});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

Test(join_table_table, deletes_of_absent_rows_change_nothing)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_OUTER), 1, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", NULL, 1);
    h_pipe_ok(drv, "right", "A", NULL, 2);
    HJ_STEP_NONE(drv, "out", &h, "deletes of absent rows");
    h_pipe_ok(drv, "left", "A", "a", 3);
    HJ_STEP(drv, "out", &h, "then a row", {"A", "a/null", 3});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- the cache ---------------------------------------------------------------- */

/* With the cache on, updates between commits may be merged: the final
 * result table is the same as with the cache off. */
HJ_BACKEND_CACHE_PARAMS(join_table_table, cache_gives_the_same_final_table)
ParameterizedTest(int *idx, join_table_table, cache_gives_the_same_final_table)
{
    kstream_test_driver_t *drv = hs_driver(tt_topology(KSTREAM_JOIN_OUTER),
                                           hj_backend(*idx), hj_cache(*idx),
                                           NULL);
    h_pipe_ok(drv, "left", "A", "a1", 1);
    h_pipe_ok(drv, "right", "A", "x1", 2);
    h_pipe_ok(drv, "left", "A", "a2", 3);
    h_pipe_ok(drv, "right", "B", "y1", 4);
    h_pipe_ok(drv, "left", "C", "c1", 5);
    h_pipe_ok(drv, "left", "C", NULL, 6);
    h_pipe_ok(drv, "right", "D", "z1", 7);
    h_pipe_ok(drv, "left", "D", "d1", 8);
    h_pipe_ok(drv, "right", "D", NULL, 9);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_out_t *t = hs_final_table(o);
    hs_out_t *want = hs_out_new();
    const hs_exp_t rows[] = {{"A", "a2/x1", 3}, {"B", "null/y1", 4},
                             {"D", "d1/null", 9}};
    for (size_t i = 0; i < 3; i++) {
        hs_rec_t *r = &want->r[want->n++];
        snprintf(r->key, sizeof(r->key), "%s", rows[i].key);
        snprintf(r->value, sizeof(r->value), "%s", rows[i].value);
        r->ts = rows[i].ts;
    }
    hs_assert_same_table(t, want, "final join table");
    free(want);
    free(t);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* ---- partitions ----------------------------------------------------------------- */

HS_BACKEND_PARAMS(join_table_table, each_partition_joins_its_own_keys)
ParameterizedTest(int *backend, join_table_table,
                  each_partition_joins_its_own_keys)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    hj_topics(drv, "left", 3, "right", 3, NULL);
    hj_hist_t h = {NULL};
    bool used[3] = {false, false, false};
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "r%d", i);
        used[h_partition_of(k, 3)] = true;
        h_pipe_ok(drv, "right", k, v, i);
    }
    cr_assert(used[0] && used[1] && used[2], "keys do not cover 3 partitions");
    HJ_STEP_NONE(drv, "out", &h, "right rows alone");
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "l%d", i);
        h_pipe_ok(drv, "left", k, v, 10 + i);
    }
    HJ_STEP(drv, "out", &h, "left rows", {"k0", "l0/r0", 10},
            {"k1", "l1/r1", 11}, {"k2", "l2/r2", 12}, {"k3", "l3/r3", 13},
            {"k4", "l4/r4", 14}, {"k5", "l5/r5", 15});
    h_pipe_ok(drv, "right", "k3", NULL, 20);
    HJ_STEP(drv, "out", &h, "right delete", {"k3", "l3/null", 20});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

Test(join_table_table, inputs_with_different_partition_counts_fail_at_start)
{
    kstream_test_driver_t *drv =
            hs_driver(tt_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_topics(drv, "left", 2, "right", 3, NULL);
    hj_pipe_fails_naming(drv, "right", "A", "left", "right");
    kstream_test_driver_destroy(drv);
}

/* ---- the result table downstream ---------------------------------------------- */

/* The join's result is a table like any other: a stream joins it. */
Test(join_table_table, result_table_feeds_a_stream_table_join)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j = kstream_table_join_table(l, r, KSTREAM_JOIN_INNER,
                                                  hj_joiner, NULL, NULL, "tt");
    kstream_stream_t *probe = kstream_builder_stream(b, "probe", NULL);
    kstream_stream_t *s = kstream_stream_join_table(
            probe, j, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "lookup");
    cr_assert(s != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "left", "A", "a", 1);
    h_pipe_ok(drv, "probe", "A", "p1", 2);
    h_pipe_ok(drv, "right", "A", "x", 3);
    h_pipe_ok(drv, "probe", "A", "p2", 4);
    h_pipe_ok(drv, "right", "A", NULL, 5);
    h_pipe_ok(drv, "probe", "A", "p3", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "p1/null", 2},
              {"A", "p2/a/x", 4}, {"A", "p3/null", 6});
    kstream_test_driver_destroy(drv);
}

Test(join_table_table, result_table_can_be_filtered)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j = kstream_table_join_table(l, r, KSTREAM_JOIN_LEFT,
                                                  hj_joiner, NULL, NULL, "tt");
    j = kstream_table_filter(j, h_pred_value_prefix, (void *)"keep", NULL,
                             "kept");
    cr_assert(j != NULL, "filter: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "left", "A", "keep", 1);
    HJ_STEP(drv, "out", &h, "kept row", {"A", "keep/null", 1});
    h_pipe_ok(drv, "left", "B", "drop", 2);
    HJ_STEP_NONE(drv, "out", &h, "filtered row");
    h_pipe_ok(drv, "left", "A", "drop", 3);
    HJ_STEP(drv, "out", &h, "row leaves the filter", {"A", NULL, 3});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* Joins of derived tables (a filter, a map_values) that have no store of
 * their own. */
static kstream_err_t upper_value(const kstream_record_t *in,
                                 kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char buf[128];
    size_t n = v.len < sizeof(buf) ? v.len : sizeof(buf);
    for (size_t i = 0; i < n; i++) {
        char c = ((const char *)v.data)[i];
        buf[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    return kstream_record_set_value(out, buf, n);
}

HS_BACKEND_PARAMS(join_table_table, derived_tables_join)
ParameterizedTest(int *backend, join_table_table, derived_tables_join)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    l = kstream_table_filter(l, h_pred_value_prefix, (void *)"keep", NULL,
                             "lf");
    r = kstream_table_map_values(r, upper_value, NULL, NULL, "rm");
    kstream_table_t *j = kstream_table_join_table(l, r, KSTREAM_JOIN_LEFT,
                                                  hj_joiner, NULL, NULL, "tt");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "right", "A", "x", 1);
    HJ_STEP_NONE(drv, "out", &h, "right row alone");
    h_pipe_ok(drv, "left", "A", "keep-a", 2);
    HJ_STEP(drv, "out", &h, "left row kept", {"A", "keep-a/X", 2});
    h_pipe_ok(drv, "left", "B", "drop-b", 3);
    HJ_STEP_NONE(drv, "out", &h, "left row filtered out");
    h_pipe_ok(drv, "right", "A", "y", 4);
    HJ_STEP(drv, "out", &h, "right update", {"A", "keep-a/Y", 4});
    h_pipe_ok(drv, "left", "A", "drop-a", 5);
    HJ_STEP(drv, "out", &h, "left row leaves the filter", {"A", NULL, 5});
    h_pipe_ok(drv, "right", "A", "z", 6);
    HJ_STEP_NONE(drv, "out", &h, "right update without left row");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- describe -------------------------------------------------------------------- */

Test(join_table_table, describe_shows_the_join_and_both_tables_stores)
{
    kstream_topology_t *t = h_build(tt_topology(KSTREAM_JOIN_OUTER));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Processor: ", "tt"),
              "no join processor named after 'tt':\n%s", text);
    cr_assert(hj_node_lists_store(text, "tt", "rt"),
              "no join processor lists the right table's store:\n%s", text);
    cr_assert(hj_node_lists_store(text, "tt", "lt"),
              "no join processor lists the left table's store:\n%s", text);
    cr_assert(eq(int, hj_subtopologies(text), 1), "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

/* ---- builder errors ---------------------------------------------------------------- */

static kstream_table_t *tt_try(kstream_builder_t *b, kstream_join_kind_t kind,
                               kstream_joiner_cb *joiner, const char *name)
{
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    return kstream_table_join_table(l, r, kind, joiner, NULL, NULL, name);
}

Test(join_table_table, null_joiner_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, tt_try(b, KSTREAM_JOIN_INNER, NULL, "tt"), "NULL joiner",
                "joiner", NULL);
}

Test(join_table_table, missing_name_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, tt_try(b, KSTREAM_JOIN_OUTER, hj_joiner, NULL),
                "join without a name", "name", NULL);
}

Test(join_table_table, unknown_kind_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, tt_try(b, (kstream_join_kind_t)3, hj_joiner, "tt"),
                "join kind 3", NULL, NULL);
}

Test(join_table_table, null_other_table_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *j = kstream_table_join_table(l, NULL, KSTREAM_JOIN_INNER,
                                                  hj_joiner, NULL, NULL, "tt");
    hj_rejected(b, j, "NULL right table", NULL, NULL);
}
