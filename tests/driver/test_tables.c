/* test_tables.c - tables through the test driver: source tables (updates,
 * tombstones, NULL keys), table filter / filter_not (retractions),
 * map_values (tombstones unmapped), to_stream, stream to_table, store reads
 * through the driver, both store backends; bad arguments. */
#include "helpers_state.h"

TestSuite(tables, .timeout = 20);

/* in (table "tbl") -> to_stream -> out */
static kstream_builder_t *source_table(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    cr_assert(t != NULL, "table: %s", kstream_builder_error(b));
    kstream_stream_t *s = kstream_table_to_stream(t, NULL);
    cr_assert(s != NULL, "to_stream: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(s, "out", NULL), KSTREAM_OK));
    return b;
}

/* ---- source tables -------------------------------------------------------- */

HS_BACKEND_PARAMS(tables, source_table_forwards_updates_and_tombstones)
ParameterizedTest(int *backend, tables,
                  source_table_forwards_updates_and_tombstones)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), *backend, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "a1", 1);
    h_pipe_ok(drv, "in", "B", "b1", 2);
    h_pipe_ok(drv, "in", "A", "a2", 3);
    h_pipe_ok(drv, "in", "A", NULL, 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a1", 1},
              {"B", "b1", 2}, {"A", "a2", 3}, {"A", NULL, 4});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(tables, source_table_store_holds_latest_values)
ParameterizedTest(int *backend, tables,
                  source_table_store_holds_latest_values)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), *backend, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "a1", 1);
    h_pipe_ok(drv, "in", "B", "b1", 2);
    h_pipe_ok(drv, "in", "A", "a2", 3);
    hs_store_is(drv, "tbl", "A", "a2");
    hs_store_is(drv, "tbl", "B", "b1");
    hs_store_is(drv, "tbl", "C", NULL);
    h_pipe_ok(drv, "in", "B", NULL, 4);
    hs_store_is(drv, "tbl", "B", NULL);
    hs_store_is(drv, "tbl", "A", "a2");
    kstream_test_driver_destroy(drv);
}

Test(tables, an_out_of_order_update_still_replaces_the_row)
{
    /* Kafka Streams applies a table update older than the row (with a
     * warning): the latest offset wins, not the latest timestamp. */
    kstream_test_driver_t *drv = hs_driver(source_table(), 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "new", 10);
    h_pipe_ok(drv, "in", "A", "old", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "new", 10},
              {"A", "old", 5});
    hs_store_is(drv, "tbl", "A", "old");
    kstream_test_driver_destroy(drv);
}

Test(tables, source_table_store_is_reachable_per_partition)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "a1", 1);
    kstream_store_t *st = kstream_test_driver_store(drv, "tbl", 0);
    cr_assert(st != NULL, "no store 'tbl' for partition 0");
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_KEY_VALUE));
    cr_assert(eq(str, (char *)kstream_store_name(st), "tbl"));
    kstream_bytes_t v = {NULL, 0};
    cr_assert(eq(int, kstream_store_get(st, "A", 1, &v), KSTREAM_OK));
    cr_assert(h_bytes_is(v, "a1"), "store value is not the plain value");
    cr_assert(eq(int, kstream_store_get(st, "Z", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

Test(tables, source_table_skips_null_keys_and_counts_them)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), 1, false, NULL);
    h_pipe_ok(drv, "in", NULL, "lost", 1);
    h_pipe_ok(drv, "in", "A", "a1", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a1", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(tables, tombstone_for_an_absent_key_leaves_the_table_empty)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), 1, false, NULL);
    h_pipe_ok(drv, "in", "ghost", NULL, 1);
    hs_store_is(drv, "tbl", "ghost", NULL);
    /* Kafka may forward the (redundant) tombstone; nothing else. */
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    for (size_t i = 0; i < o->n; i++)
        cr_assert(o->r[i].tombstone, "a row appeared: (%s, %s)",
                  o->r[i].key, o->r[i].value);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* ---- filter / filter_not --------------------------------------------------- */

static kstream_builder_t *filtered_table(bool negate)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    t = negate ? kstream_table_filter_not(t, h_pred_value_prefix,
                                          (void *)"keep", NULL, "flt")
               : kstream_table_filter(t, h_pred_value_prefix,
                                      (void *)"keep", NULL, "flt");
    cr_assert(t != NULL, "filter: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(tables, filter_forwards_matches_and_retracts_rows)
ParameterizedTest(int *backend, tables,
                  filter_forwards_matches_and_retracts_rows)
{
    kstream_test_driver_t *drv = hs_driver(filtered_table(false), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "A", "keep-1", 1);
    h_pipe_ok(drv, "in", "B", "drop-1", 2); /* never matched */
    h_pipe_ok(drv, "in", "A", "drop-2", 3); /* stops matching */
    h_pipe_ok(drv, "in", "A", "keep-3", 4);
    h_pipe_ok(drv, "in", "A", NULL, 5);     /* deleted upstream */
    h_pipe_ok(drv, "in", "B", "keep-4", 6);
    HS_EXPECT_TABLE(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "keep-1", 1},
                    {"A", NULL, 3}, {"A", "keep-3", 4}, {"A", NULL, 5},
                    {"B", "keep-4", 6});
    kstream_test_driver_destroy(drv);
}

Test(tables, filter_not_forwards_non_matches_and_retracts_rows)
{
    kstream_test_driver_t *drv = hs_driver(filtered_table(true), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "other-1", 1);
    h_pipe_ok(drv, "in", "A", "keep-2", 2); /* now matches: retracted */
    h_pipe_ok(drv, "in", "B", "keep-3", 3); /* never kept */
    h_pipe_ok(drv, "in", "B", "other-4", 4);
    HS_EXPECT_TABLE(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "other-1", 1},
                    {"A", NULL, 2}, {"B", "other-4", 4});
    kstream_test_driver_destroy(drv);
}

/* ---- map_values ----------------------------------------------------------- */

typedef struct upper_probe {
    int calls;
    int null_calls;
} upper_probe_t;

static kstream_err_t map_upper(const kstream_record_t *in,
                               kstream_record_t *out, void *opaque)
{
    upper_probe_t *p = (upper_probe_t *)opaque;
    p->calls++;
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL) {
        p->null_calls++;
        return KSTREAM_OK;
    }
    char buf[64];
    size_t n = v.len < sizeof(buf) ? v.len : sizeof(buf);
    for (size_t i = 0; i < n; i++) {
        char c = ((const char *)v.data)[i];
        buf[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    return kstream_record_set_value(out, buf, n);
}

Test(tables, map_values_maps_updates_and_passes_tombstones_unmapped)
{
    upper_probe_t p = {0, 0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    t = kstream_table_map_values(t, map_upper, &p, NULL, "upper");
    cr_assert(t != NULL, "map_values: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "abc", 1);
    h_pipe_ok(drv, "in", "A", "xyz", 2);
    h_pipe_ok(drv, "in", "A", NULL, 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "ABC", 1},
              {"A", "XYZ", 2}, {"A", NULL, 3});
    /* the mapper may also be asked for old values (to retract them) but
     * never for a tombstone */
    cr_assert(eq(int, p.null_calls, 0), "the mapper saw a tombstone");
    cr_assert(p.calls >= 2);
    kstream_test_driver_destroy(drv);
}

Test(tables, map_values_then_filter_chain_retracts_on_mapped_values)
{
    upper_probe_t p = {0, 0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    t = kstream_table_map_values(t, map_upper, &p, NULL, "upper");
    t = kstream_table_filter(t, h_pred_value_prefix, (void *)"K", NULL,
                             "flt");
    cr_assert(t != NULL, "chain: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "keep", 1);
    h_pipe_ok(drv, "in", "A", "drop", 2);
    HS_EXPECT_TABLE(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "KEEP", 1},
                    {"A", NULL, 2});
    kstream_test_driver_destroy(drv);
}

/* ---- stream to_table -------------------------------------------------------- */

static kstream_builder_t *stream_table(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *t = kstream_stream_to_table(s, "st");
    cr_assert(t != NULL, "to_table: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(tables, stream_to_table_materializes_and_deletes_on_null)
ParameterizedTest(int *backend, tables,
                  stream_to_table_materializes_and_deletes_on_null)
{
    kstream_test_driver_t *drv = hs_driver(stream_table(), *backend, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    h_pipe_ok(drv, "in", "B", "b", 2);
    h_pipe_ok(drv, "in", "A", NULL, 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a", 1}, {"B", "b", 2},
              {"A", NULL, 3});
    hs_store_is(drv, "st", "A", NULL);
    hs_store_is(drv, "st", "B", "b");
    kstream_test_driver_destroy(drv);
}

Test(tables, stream_to_table_with_the_cache_on_forwards_on_commit)
{
    kstream_test_driver_t *drv = hs_driver(stream_table(), 1, true, NULL);
    h_pipe_ok(drv, "in", "A", "a1", 1);
    h_pipe_ok(drv, "in", "A", "a2", 2);
    h_expect_empty(drv, "out");
    hs_store_is(drv, "st", "A", "a2");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a2", 2});
    kstream_test_driver_destroy(drv);
}

Test(tables, stream_to_table_skips_null_keys_and_counts_them)
{
    kstream_test_driver_t *drv = hs_driver(stream_table(), 1, false, NULL);
    h_pipe_ok(drv, "in", NULL, "x", 1);
    h_pipe_ok(drv, "in", "A", "a", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(tables, to_stream_of_a_table_feeds_stream_operators)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_t *s = kstream_table_to_stream(t, "ts");
    s = kstream_stream_filter(s, h_pred_value_prefix, (void *)"x", NULL,
                              NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x1", 1);
    h_pipe_ok(drv, "in", "A", "y2", 2);
    h_pipe_ok(drv, "in", "A", NULL, 3); /* tombstones fail the predicate */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "x1", 1});
    kstream_test_driver_destroy(drv);
}

Test(tables, two_tables_over_two_partitions_keep_rows_per_task)
{
    kstream_test_driver_t *drv = hs_driver(source_table(), 0, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    const char *keys[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
    for (int i = 0; i < 6; i++)
        h_pipe_ok(drv, "in", keys[i], keys[i], i);
    for (int i = 0; i < 6; i++) {
        hs_store_is(drv, "tbl", keys[i], keys[i]);
        int32_t part = h_partition_of(keys[i], 2);
        kstream_store_t *st = kstream_test_driver_store(drv, "tbl", part);
        cr_assert(st != NULL);
        kstream_bytes_t v;
        cr_assert(eq(int, kstream_store_get(st, keys[i], 2, &v), KSTREAM_OK),
                  "%s not in the store of partition %d", keys[i], part);
        kstream_store_t *other =
                kstream_test_driver_store(drv, "tbl", 1 - part);
        if (other != NULL)
            cr_assert(eq(int, kstream_store_get(other, keys[i], 2, &v),
                         KSTREAM_ERR_NOT_FOUND),
                      "%s also in the store of partition %d", keys[i],
                      1 - part);
    }
    kstream_test_driver_destroy(drv);
}

/* ---- record metadata --------------------------------------------------------- */

typedef struct meta_probe {
    char topic[32];
    int64_t offset;
    size_t headers;
    int calls;
} meta_probe_t;

static kstream_err_t probe_meta(const kstream_record_t *rec, void *opaque)
{
    meta_probe_t *p = (meta_probe_t *)opaque;
    const char *topic = kstream_record_topic(rec);
    snprintf(p->topic, sizeof(p->topic), "%s", topic ? topic : "(null)");
    p->offset = kstream_record_offset(rec);
    p->headers = kstream_record_header_count(rec);
    p->calls++;
    return KSTREAM_OK;
}

Test(tables, table_updates_keep_their_source_topic_offset_and_headers)
{
    /* As in Kafka Streams (cache off): a table forwards each update in the
     * context of the record that caused it; only punctuators make records
     * without a source topic. */
    meta_probe_t p = {"", -2, 0, 0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_foreach(kstream_table_to_stream(t, NULL), probe_meta, &p,
                           NULL, NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    static const kstream_header_t hdr = {"trace", "t1", 2};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "A", 1, "b", 1, 2,
                                             &hdr, 1),
                 KSTREAM_OK));
    cr_assert(eq(int, p.calls, 2));
    cr_assert(eq(str, p.topic, "in"));
    cr_assert(eq(i64, p.offset, 1));
    cr_assert(eq(sz, p.headers, 1));
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ----------------------------------------------------------- */

Test(tables, table_functions_reject_null_handles)
{
    cr_assert(kstream_builder_table(NULL, "in", "t") == NULL);
    cr_assert(eq(int, kstream_builder_global_table(NULL, "g", "g"),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_table_filter(NULL, h_pred_true, NULL, NULL, "f") ==
              NULL);
    cr_assert(kstream_table_filter_not(NULL, h_pred_true, NULL, NULL, "f") ==
              NULL);
    cr_assert(kstream_table_map_values(NULL, h_map_identity, NULL, NULL,
                                       "m") == NULL);
    cr_assert(kstream_table_to_stream(NULL, NULL) == NULL);
    cr_assert(kstream_stream_to_table(NULL, "t") == NULL);
}

Test(tables, builder_table_needs_a_topic)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_builder_table(b, NULL, "tbl") == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(tables, builder_table_without_a_name_fails_naming_the_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", NULL);
    if (t != NULL)
        kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    hs_build_fails_naming(b, "table", "table", NULL);
}

Test(tables, to_table_without_a_name_fails_naming_the_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t =
            kstream_stream_to_table(kstream_builder_stream(b, "in", NULL),
                                    NULL);
    if (t != NULL)
        kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    hs_build_fails_naming(b, "to_table", "table", NULL);
}

Test(tables, table_operators_reject_null_callbacks)
{
    const char *ops[] = {"filter", "filter_not", "map_values"};
    for (int i = 0; i < 3; i++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
        cr_assert(t != NULL);
        kstream_table_t *r;
        if (i == 0)
            r = kstream_table_filter(t, NULL, NULL, NULL, "bad-op");
        else if (i == 1)
            r = kstream_table_filter_not(t, NULL, NULL, NULL, "bad-op");
        else
            r = kstream_table_map_values(t, NULL, NULL, NULL, "bad-op");
        cr_assert(r == NULL, "%s with a NULL callback returned a table",
                  ops[i]);
        cr_assert(kstream_builder_error(b) != NULL,
                  "%s: no sticky builder error", ops[i]);
        char errstr[512];
        h_build_fails(b, errstr, sizeof(errstr));
        cr_assert(h_contains_ci(errstr, "bad-op") ||
                          h_contains_ci(errstr, ops[i]) ||
                          h_contains_ci(errstr, i == 2 ? "map" : "filter"),
                  "%s: errstr does not name the operator: %s", ops[i],
                  errstr);
    }
}

Test(tables, a_source_table_topic_may_not_also_be_a_stream_source)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_builder_table(b, "shared", "tbl");
    kstream_builder_stream(b, "shared", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "shared"), "errstr: %s", errstr);
}
