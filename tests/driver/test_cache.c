/* test_cache.c - the record cache ("cache.max.bytes.buffering") through the
 * test driver: with the cache on, table and aggregation updates reach
 * downstream (and changelogs) on commit or eviction, one per key, and
 * store reads see cached values at once; cache on and off give the same
 * final results for every aggregation and window kind, with both store
 * backends. */
#include "helpers_state.h"

TestSuite(cache, .timeout = 20);

static kstream_builder_t *count_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

/* ---- flushing --------------------------------------------------------------- */

HS_BACKEND_PARAMS(cache, cache_on_holds_updates_until_commit)
ParameterizedTest(int *backend, cache, cache_on_holds_updates_until_commit)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), *backend, true,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "B", "x", 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    h_pipe_ok(drv, "in", "A", "x", 4);
    h_expect_empty(drv, "out");
    cr_assert(kstream_test_driver_is_empty(drv, "app-cnt-changelog"));
    hs_store_is_long(drv, "cnt", "A", 3); /* reads see the cache */
    hs_store_is_long(drv, "cnt", "B", 1);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT_SET(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "3", 4},
                  {"B", "1", 2});
    /* the changelog, too, gets one record per key */
    hs_out_t *o = hs_collect(drv, "app-cnt-changelog", HS_K_PLAIN, HS_V_STR);
    cr_assert(eq(sz, o->n, 2), "changelog records: %zu", o->n);
    bool ab = !strcmp(o->r[0].key, "A") && !strcmp(o->r[1].key, "B");
    bool ba = !strcmp(o->r[0].key, "B") && !strcmp(o->r[1].key, "A");
    cr_assert(ab || ba, "changelog keys %s, %s", o->r[0].key, o->r[1].key);
    free(o);
    kstream_test_driver_destroy(drv);
}

Test(cache, each_commit_flushes_what_changed_since_the_last)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, true, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1});
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    h_expect_empty(drv, "out"); /* nothing changed */
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "3", 3});
    kstream_test_driver_destroy(drv);
}

Test(cache, cache_off_forwards_every_update_at_once)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1},
              {"A", "2", 2});
    cr_assert(eq(int, h_drain(drv, "app-cnt-changelog"), 2));
    kstream_test_driver_destroy(drv);
}

Test(cache, a_wall_clock_commit_flushes_the_cache)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, true,
                                           "commit.interval.ms", "1000",
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_expect_empty(drv, "out");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1000),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "2", 2});
    kstream_test_driver_destroy(drv);
}

Test(cache, a_full_cache_evicts_before_the_commit)
{
    kstream_test_driver_t *drv = hs_driver(count_topology(), 1, true,
                                           "cache.max.bytes.buffering", "100",
                                           NULL);
    char key[16];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "key-%02d", i);
        h_pipe_ok(drv, "in", key, "x", i);
    }
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_LONG);
    cr_assert(o->n > 0, "a 100-byte cache held 50 keys");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    hs_collect_into(drv, "out", HS_K_PLAIN, HS_V_LONG, o);
    hs_out_t *fin = hs_final_table(o);
    cr_assert(eq(sz, fin->n, 50));
    for (size_t i = 0; i < fin->n; i++)
        cr_assert(eq(str, fin->r[i].value, "1"));
    free(o);
    free(fin);
    kstream_test_driver_destroy(drv);
}

Test(cache, source_table_with_cache_forwards_latest_on_commit)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, true, NULL);
    h_pipe_ok(drv, "in", "A", "a1", 1);
    h_pipe_ok(drv, "in", "A", "a2", 2);
    h_pipe_ok(drv, "in", "B", "b1", 3);
    h_pipe_ok(drv, "in", "B", NULL, 4);
    h_expect_empty(drv, "out");
    hs_store_is(drv, "tbl", "A", "a2");
    hs_store_is(drv, "tbl", "B", NULL);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_drop_redundant_tombstones(o);
    static const hs_exp_t want[] = {{"A", "a2", 2}};
    hs_assert_set(o, "out", want, 1);
    free(o);
    kstream_test_driver_destroy(drv);
}

Test(cache, a_commit_flushes_through_repartition_topics)
{
    /* The source table's cache flushes into the group_by's repartition
     * topic; the commit is complete only when the aggregation downstream
     * has processed those records and flushed its own cache. */
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_grouped_table_t *g =
            kstream_table_group_by(t, hs_split_key_value, NULL, NULL, "rg");
    t = kstream_grouped_table_count(g, "cnt");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, true, NULL);
    h_pipe_ok(drv, "in", "a1", "east:1", 1);
    h_pipe_ok(drv, "in", "a2", "east:1", 2);
    h_pipe_ok(drv, "in", "a3", "west:1", 3);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT_SET(drv, "out", HS_K_PLAIN, HS_V_LONG, {"east", "2", 2},
                  {"west", "1", 3});
    hs_store_is_long(drv, "cnt", "east", 2);
    kstream_test_driver_destroy(drv);
}

Test(cache, a_flushed_tombstone_carries_the_delete_timestamp)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, true, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a", 1});
    h_pipe_ok(drv, "in", "A", NULL, 4);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", NULL, 4});
    HS_EXPECT(drv, "app-tbl-changelog", HS_K_PLAIN, HS_V_STR, {"A", "a", 1},
              {"A", NULL, 4});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(cache, a_merged_session_is_retracted_after_a_flush)
ParameterizedTest(int *backend, cache,
                  a_merged_session_is_retracted_after_a_flush)
{
    /* [12,13] reaches downstream at the first commit; A@14 merges it into
     * [12,14]; then stream time moves past the retention of [12,13] (gap +
     * grace = 15) before the next commit. The tombstone of [12,13] must
     * still reach downstream, as it does with the cache off. (Its
     * timestamp is not checked: Kafka Streams stamps it with the session
     * end without the cache and with the merging record's time with it.) */
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_session(5, 10)),
            "ss");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, true, NULL);
    h_pipe_ok(drv, "in", "A", "x", 12);
    h_pipe_ok(drv, "in", "A", "x", 13);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@12-13", "2", 13});
    h_pipe_ok(drv, "in", "A", "x", 14);
    h_pipe_ok(drv, "in", "B", "x", 30);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT_SET(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@12-13", NULL, HS_ANY_TS},
                  {"A@12-14", "3", 14}, {"B@30-30", "1", 30});
    kstream_test_driver_destroy(drv);
}

/* ---- cache on and off: same final results -------------------------------------- */

enum {
    K_COUNT,
    K_REDUCE,
    K_AGGREGATE,
    K_TABLE_FILTER,
    K_TABLE_AGGREGATE,
    K_TUMBLING,
    K_HOPPING,
    K_SESSION,
    K_SLIDING,
    K_COGROUP,
    K_NKINDS
};

typedef struct kind_param {
    int kind;
    int backend;
} kind_param_t;

static kstream_builder_t *kind_topology(int kind, int *kmode, int *vmode)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = NULL;
    *kmode = HS_K_PLAIN;
    *vmode = HS_V_STR;
    if (kind == K_TABLE_FILTER || kind == K_TABLE_AGGREGATE) {
        t = kstream_builder_table(b, "in", "tbl");
        if (kind == K_TABLE_FILTER) {
            t = kstream_table_filter(t, h_pred_value_prefix, (void *)"east",
                                     NULL, "flt");
        } else {
            kstream_grouped_table_t *g = kstream_table_group_by(
                    t, hs_split_key_value, NULL, NULL, "regroup");
            t = kstream_grouped_table_aggregate(g, hs_init_zero, hs_agg_sum,
                                                hs_agg_sub, NULL, NULL, "agg");
        }
    } else if (kind == K_COGROUP) {
        kstream_grouped_t *g1 = kstream_stream_group_by_key(
                kstream_builder_stream(b, "in", NULL));
        kstream_grouped_t *g2 = kstream_stream_group_by_key(
                kstream_builder_stream(b, "in2", NULL));
        kstream_cogrouped_t *cg =
                kstream_grouped_cogroup(g1, hs_agg_sum, NULL, NULL);
        kstream_cogrouped_add(cg, g2, hs_agg_sub, NULL, NULL);
        t = kstream_cogrouped_aggregate(cg, hs_init_zero, NULL, NULL, "agg");
    } else {
        kstream_grouped_t *g = kstream_stream_group_by_key(
                kstream_builder_stream(b, "in", NULL));
        if (kind == K_COUNT) {
            t = kstream_grouped_count(g, "agg");
            *vmode = HS_V_LONG;
        } else if (kind == K_REDUCE) {
            t = kstream_grouped_reduce(g, hs_agg_concat, NULL, NULL, "agg");
        } else if (kind == K_AGGREGATE) {
            t = kstream_grouped_aggregate(g, hs_init_zero, hs_agg_sum, NULL,
                                          NULL, "agg");
        } else if (kind == K_SESSION) {
            kstream_windowed_t *w = kstream_grouped_windowed_by(
                    g, kstream_windows_session(5, 10));
            t = kstream_windowed_aggregate(w, hs_init_zero, hs_agg_sum,
                                           hs_merge_sum, NULL, NULL, "agg");
            *kmode = HS_K_SESSION;
        } else {
            kstream_windows_t wins =
                    kind == K_TUMBLING  ? kstream_windows_tumbling(10, 5)
                    : kind == K_HOPPING ? kstream_windows_hopping(10, 5, 5)
                                        : kstream_windows_sliding(10, 5);
            t = kstream_windowed_count(kstream_grouped_windowed_by(g, wins),
                                       "agg");
            *kmode = HS_K_WIN;
            *vmode = HS_V_LONG;
        }
    }
    cr_assert(t != NULL, "kind %d: %s", kind, kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

typedef struct input_rec {
    const char *topic, *key, *value;
    int64_t ts;
} input_rec_t;

/* Out of order within grace, late beyond grace, several keys. */
static const input_rec_t stream_input[] = {
        {"in", "A", "1", 1},   {"in", "B", "2", 2},   {"in", "A", "3", 5},
        {"in2", "C", "4", 7},  {"in", "A", "5", 12},  {"in2", "B", "6", 3},
        {"in", "A", "7", 13},  {"in", "C", "1", 16},  {"in2", "A", "2", 14},
        {"in", "B", "8", 30},  {"in", "A", "9", 14},  {"in", "C", "3", 31},
        {"in2", "C", "2", 29}, {"in", "A", "4", 33},
};

/* Rows moving between groups, tombstones, a filter's retractions. */
static const input_rec_t table_input[] = {
        {"in", "a1", "east:5", 1},  {"in", "a2", "east:7", 2},
        {"in", "a3", "west:1", 3},  {"in", "a1", "west:5", 4},
        {"in", "a2", NULL, 5},      {"in", "a4", "north:2", 6},
        {"in", "a3", "east:9", 7},  {"in", "a1", "east:1", 8},
        {"in", "a4", NULL, 9},
};

/* The final table of a run, after a last commit (free() it). */
static hs_out_t *run_kind(int kind, int backend, bool cache)
{
    int kmode, vmode;
    kstream_builder_t *b = kind_topology(kind, &kmode, &vmode);
    kstream_test_driver_t *drv = hs_driver(b, backend, cache, NULL);
    bool table = kind == K_TABLE_FILTER || kind == K_TABLE_AGGREGATE;
    const input_rec_t *in = table ? table_input : stream_input;
    size_t n = table ? sizeof(table_input) / sizeof(table_input[0])
                     : sizeof(stream_input) / sizeof(stream_input[0]);
    hs_out_t *o = hs_out_new();
    for (size_t i = 0; i < n; i++) {
        const char *topic = in[i].topic;
        if (kind != K_COGROUP && !strcmp(topic, "in2"))
            topic = "in";
        h_pipe_ok(drv, topic, in[i].key, in[i].value, in[i].ts);
        /* a commit in the middle, too */
        if (i == n / 2)
            cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        hs_collect_into(drv, "out", kmode, vmode, o);
    }
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    hs_collect_into(drv, "out", kmode, vmode, o);
    hs_out_t *fin = hs_final_table(o);
    /* With the cache on, a group whose rows all moved away before a flush
     * is never forwarded at all, where without it ends at 0 (Kafka
     * Streams does the same): compare the groups that hold something. */
    if (kind == K_TABLE_AGGREGATE)
        hs_drop_rows_valued(fin, "0");
    if (cache)
        cr_assert(fin->n > 0, "kind %d: no output with the cache on", kind);
    free(o);
    kstream_test_driver_destroy(drv);
    return fin;
}

ParameterizedTestParameters(cache, cache_on_and_off_give_the_same_results)
{
    static kind_param_t params[K_NKINDS * HS_NBACKENDS];
    for (int k = 0; k < K_NKINDS; k++)
        for (int be = 0; be < HS_NBACKENDS; be++)
            params[k * HS_NBACKENDS + be] = (kind_param_t){k, be};
    return cr_make_param_array(kind_param_t, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(kind_param_t *p, cache,
                  cache_on_and_off_give_the_same_results)
{
    hs_out_t *off = run_kind(p->kind, p->backend, false);
    hs_out_t *on = run_kind(p->kind, p->backend, true);
    char what[64];
    snprintf(what, sizeof(what), "kind %d (%s): final tables off/on",
             p->kind, hs_backend_name(p->backend));
    hs_assert_same_table(off, on, what);
    free(off);
    free(on);
}

/* Spot-check the cache-off finals of a few kinds against hand-computed
 * results, so that "the same" also means "right". */
Test(cache, final_results_are_the_expected_ones)
{
    hs_out_t *fin = run_kind(K_COUNT, 1, true);
    static const hs_exp_t count[] = {{"A", "7", HS_ANY_TS},
                                     {"B", "3", HS_ANY_TS},
                                     {"C", "4", HS_ANY_TS}};
    hs_assert_set(fin, "count", count, 3);
    free(fin);

    fin = run_kind(K_TUMBLING, 1, true);
    /* A@14 at stream time 30 is late for [10,20) (closed at 25) */
    static const hs_exp_t tumbling[] = {
            {"A@0", "2", HS_ANY_TS},  {"B@0", "2", HS_ANY_TS},
            {"C@0", "1", HS_ANY_TS},  {"A@10", "3", HS_ANY_TS},
            {"C@10", "1", HS_ANY_TS}, {"B@30", "1", HS_ANY_TS},
            {"C@30", "1", HS_ANY_TS}, {"C@20", "1", HS_ANY_TS},
            {"A@30", "1", HS_ANY_TS}};
    hs_assert_set(fin, "tumbling", tumbling, 9);
    free(fin);

    fin = run_kind(K_TABLE_AGGREGATE, 0, true); /* zero rows dropped */
    static const hs_exp_t tagg[] = {{"east", "10", HS_ANY_TS}};
    hs_assert_set(fin, "table aggregate", tagg, 1);
    free(fin);

    fin = run_kind(K_TABLE_FILTER, 0, true);
    static const hs_exp_t filt[] = {{"a3", "east:9", HS_ANY_TS},
                                    {"a1", "east:1", HS_ANY_TS}};
    hs_assert_set(fin, "table filter", filt, 2);
    free(fin);
}
