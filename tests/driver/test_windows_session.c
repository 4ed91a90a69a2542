/* test_windows_session.c - session windows through the test driver:
 * sessions extend with records within the inactivity gap, a record
 * bridging two sessions merges them (tombstones for the old sessions, then
 * the merged one), late records beyond grace are dropped and counted, a
 * late record that merges into an open session is kept; session store
 * reads through the driver; both store backends; bad arguments.
 *
 * As in Kafka Streams, a record at t joins the sessions with end >= t - gap
 * and start <= t + gap; a session [start, end] is closed once
 * end < stream time - grace; session updates carry the session end as
 * timestamp; windowed keys are key + 8-byte BE end + 8-byte BE start
 * (rendered "key@start-end" here). */
#include "helpers_state.h"

TestSuite(windows_session, .timeout = 20);

enum { S_COUNT, S_SUM, S_REDUCE };

static kstream_builder_t *session_topology(int64_t gap, int64_t grace,
                                           int kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *w =
            kstream_grouped_windowed_by(g, kstream_windows_session(gap, grace));
    cr_assert(w != NULL, "windowed_by: %s", kstream_builder_error(b));
    kstream_table_t *t;
    if (kind == S_COUNT)
        t = kstream_windowed_count(w, "ss");
    else if (kind == S_SUM)
        t = kstream_windowed_aggregate(w, hs_init_zero, hs_agg_sum,
                                       hs_merge_sum, NULL, NULL, "ss");
    else
        t = kstream_windowed_reduce(w, hs_agg_concat, NULL, NULL, "ss");
    cr_assert(t != NULL, "session aggregation: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(windows_session, sessions_extend_and_merge)
ParameterizedTest(int *backend, windows_session, sessions_extend_and_merge)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(20, 100, S_SUM),
                                           *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 0);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_STR, {"A@0-0", "1", 0});
    h_pipe_ok(drv, "in", "A", "2", 5); /* extends [0,0] to [0,5] */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_STR, {"A@0-0", NULL, 0},
              {"A@0-5", "3", 5});
    h_pipe_ok(drv, "in", "A", "4", 40); /* more than the gap after 5 */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_STR, {"A@40-40", "4", 40});
    h_pipe_ok(drv, "in", "A", "8", 22); /* bridges [0,5] and [40,40] */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_STR, {"A@0-5", NULL, 5},
              {"A@40-40", NULL, 40}, {"A@0-40", "15", 40});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_session, session_store_holds_the_merged_session)
ParameterizedTest(int *backend, windows_session,
                  session_store_holds_the_merged_session)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(20, 100, S_SUM),
                                           *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 0);
    h_pipe_ok(drv, "in", "A", "2", 5);
    h_pipe_ok(drv, "in", "A", "4", 40);
    h_pipe_ok(drv, "in", "B", "16", 7);
    kstream_store_t *st = kstream_test_driver_store(drv, "ss", 0);
    cr_assert(st != NULL, "no session store 'ss'");
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_SESSION));
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 0, INT64_MAX,
                                                 &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-5=3;A@40-40=4;"));
    /* sessions overlapping or touching [6, 39]: none; [5, 40]: both */
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 6, 39, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, ""));
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 5, 40, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-5=3;A@40-40=4;"));
    h_pipe_ok(drv, "in", "A", "8", 22);
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 0, INT64_MAX,
                                                 &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-40=15;"));
    cr_assert(eq(int, kstream_session_store_find(st, "B", 1, 0, INT64_MAX,
                                                 &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "B@7-7=16;"));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_session, session_count_merges_counts)
ParameterizedTest(int *backend, windows_session, session_count_merges_counts)
{
    kstream_test_driver_t *drv = hs_driver(
            session_topology(10, 100, S_COUNT), *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 30);
    h_pipe_ok(drv, "in", "A", "x", 15); /* within 10 of neither: new */
    h_pipe_ok(drv, "in", "A", "x", 22); /* joins [15,15] and [30,30] */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"A@30-30", "1", 30}, {"A@15-15", "1", 15},
              {"A@15-15", NULL, 15}, {"A@30-30", NULL, 30},
              {"A@15-30", "3", 30});
    kstream_test_driver_destroy(drv);
}

Test(windows_session, session_key_is_key_then_be_end_then_be_start)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 100, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "key", "x", 1000);
    h_pipe_ok(drv, "in", "key", "x", 1004);
    (void)h_read(drv, "out");
    (void)h_read(drv, "out"); /* tombstone of [1000,1000] */
    const kstream_record_t *rec = h_read(drv, "out");
    uint8_t want[24];
    size_t wl = hs_skey(want, "key", 1000, 1004);
    kstream_bytes_t k = kstream_record_key(rec);
    cr_assert(eq(sz, k.len, wl));
    cr_assert(memcmp(k.data, want, wl) == 0, "not key + BE end + BE start");
    cr_assert(hs_bytes_is_long(kstream_record_value(rec), 2));
    cr_assert(eq(i64, kstream_record_timestamp(rec), 1004));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, keys_have_independent_sessions)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 100, S_COUNT),
                                           0, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "B", "x", 5);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"B@5-5", "1", 5});
    kstream_test_driver_destroy(drv);
}

Test(windows_session, keys_that_prefix_each_other_have_independent_sessions)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 100, S_COUNT),
                                           0, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "AB", "x", 5);
    h_pipe_ok(drv, "in", "A", "x", 8);
    h_pipe_ok(drv, "in", "AB", "x", 9);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"AB@5-5", "1", 5}, {"A@0-0", NULL, 0}, {"A@0-8", "2", 8},
              {"AB@5-5", NULL, 5}, {"AB@5-9", "2", 9});
    kstream_store_t *st = kstream_test_driver_store(drv, "ss", 0);
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 0, INT64_MAX,
                                                 &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_LONG, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-8=2;"));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, records_exactly_the_gap_apart_share_a_session)
{
    /* Kafka Streams finds sessions with end >= t - gap (inclusive) */
    kstream_test_driver_t *drv = hs_driver(session_topology(20, 100, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 20);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"A@0-0", NULL, 0}, {"A@0-20", "2", 20});
    kstream_test_driver_destroy(drv);
}

Test(windows_session, records_more_than_the_gap_apart_start_a_new_session)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(20, 100, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 21);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"A@21-21", "1", 21});
    kstream_test_driver_destroy(drv);
}

Test(windows_session, a_record_inside_a_session_keeps_its_bounds)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(20, 100, S_SUM),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 0);
    h_pipe_ok(drv, "in", "A", "2", 10);
    (void)h_drain(drv, "out");
    h_pipe_ok(drv, "in", "A", "4", 5); /* inside [0,10] */
    /* Kafka Streams removes the found session (a tombstone) and puts the
     * merged one, which has the same bounds; skipping that tombstone is
     * accepted too */
    hs_out_t *o = hs_collect(drv, "out", HS_K_SESSION, HS_V_STR);
    static const hs_exp_t with_tombstone[] = {{"A@0-10", NULL, 10},
                                              {"A@0-10", "7", 10}};
    static const hs_exp_t without[] = {{"A@0-10", "7", 10}};
    if (o->n == 2)
        hs_assert_seq(o, "out", with_tombstone, 2);
    else
        hs_assert_seq(o, "out", without, 1);
    free(o);
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_session, late_session_beyond_grace_is_dropped)
ParameterizedTest(int *backend, windows_session,
                  late_session_beyond_grace_is_dropped)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 0, S_COUNT),
                                           *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 50); /* [50,50] ends before 100 - 0 */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"A@100-100", "1", 100});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, late_records_go_to_the_dlq_when_configured)
{
    kstream_test_driver_t *drv = hs_driver(
            session_topology(10, 0, S_COUNT), 1, false,
            "late.records.handler", "dlq",
            "errors.deadletterqueue.topic.name", "dead", NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "late", 50);
    h_expect(drv, "dead", "A", "late");
    h_expect_empty(drv, "dead");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, out_of_order_within_grace_makes_its_own_session)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 60, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 50); /* 50 >= 100 - 60 */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-0", "1", 0},
              {"A@100-100", "1", 100}, {"A@50-50", "1", 50});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, a_late_record_merging_into_an_open_session_is_kept)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 0, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 95); /* merged end 100 is not < 100 */
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@100-100", "1", 100},
              {"A@100-100", NULL, 100}, {"A@95-100", "2", 100});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, records_after_an_idle_close_make_new_sessions)
{
    kstream_test_driver_t *drv = hs_driver(
            session_topology(10, 5, S_COUNT), 1, false,
            "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1100),
                 KSTREAM_OK));
    h_pipe_ok(drv, "in", "A", "x", 200);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@100-100", "1", 100},
              {"A@200-200", "1", 200});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_session, session_reduce_merges_with_the_reducer)
{
    kstream_test_driver_t *drv = hs_driver(
            session_topology(10, 100, S_REDUCE), 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 0);
    h_pipe_ok(drv, "in", "A", "b", 5);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_STR, {"A@0-0", "a", 0},
              {"A@0-0", NULL, 0}, {"A@0-5", "a+b", 5});
    kstream_test_driver_destroy(drv);
}

Test(windows_session, session_aggregation_skips_null_keys)
{
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 100, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", NULL, "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@2-2", "1", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments --------------------------------------------------------------- */

Test(windows_session, session_aggregate_without_a_merger_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *w =
            kstream_grouped_windowed_by(g, kstream_windows_session(10, 0));
    cr_assert(w != NULL);
    kstream_table_t *t = kstream_windowed_aggregate(
            w, hs_init_zero, hs_agg_sum, NULL, NULL, NULL, "bad-op");
    cr_assert(t == NULL, "a session aggregate without a merger was accepted");
    cr_assert(kstream_builder_error(b) != NULL);
    hs_build_fails_naming(b, "session aggregate", "merger", "bad-op");
}

Test(windows_session, session_store_find_rejects_bad_arguments)
{
    kstream_iter_t *it = (kstream_iter_t *)1;
    cr_assert(eq(int, kstream_session_store_find(NULL, "A", 1, 0, 10, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_put(NULL, "A", 1, 0, 10, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_t *drv = hs_driver(session_topology(10, 0, S_COUNT),
                                           1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    kstream_store_t *st = kstream_test_driver_store(drv, "ss", 0);
    cr_assert(st != NULL);
    cr_assert(eq(int, kstream_session_store_find(st, NULL, 1, 0, 10, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 0, 10, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    /* a session store is not a key-value or window store */
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_store_get(st, "A", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 10, &it),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_destroy(drv);
}
