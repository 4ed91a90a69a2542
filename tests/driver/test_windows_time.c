/* test_windows_time.c - tumbling and hopping windows through the test
 * driver: window boundaries (start inclusive, end exclusive), in-order and
 * out-of-order records within grace, late records beyond grace (dropped
 * and counted, or sent to the DLQ), hopping overlaps, windowed count /
 * reduce / aggregate, windowed keys (key + 8-byte BE start), window store
 * reads through the driver, both store backends; bad arguments.
 *
 * A window [start, start + size) closes when stream time reaches
 * start + size + grace: a record for it is then late (Kafka Streams:
 * dropped when window end <= stream time - grace). */
#include "helpers_state.h"

TestSuite(windows_time, .timeout = 20);

enum { W_COUNT, W_REDUCE, W_AGGREGATE };

/* in -> group_by_key -> windowed_by(w) -> count/reduce/aggregate "wa" ->
 * to_stream -> out */
static kstream_builder_t *windowed_topology(kstream_windows_t w, int kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *wd = kstream_grouped_windowed_by(g, w);
    cr_assert(wd != NULL, "windowed_by: %s", kstream_builder_error(b));
    kstream_table_t *t;
    if (kind == W_COUNT)
        t = kstream_windowed_count(wd, "wa");
    else if (kind == W_REDUCE)
        t = kstream_windowed_reduce(wd, hs_agg_concat, NULL, NULL, "wa");
    else
        t = kstream_windowed_aggregate(wd, hs_init_zero, hs_agg_sum, NULL,
                                       NULL, NULL, "wa");
    cr_assert(t != NULL, "windowed aggregation: %s",
              kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

/* ---- window makers ----------------------------------------------------------- */

Test(windows_time, window_makers_fill_the_documented_fields)
{
    kstream_windows_t t = kstream_windows_tumbling(10, 5);
    cr_assert(eq(int, t.kind, 1));
    cr_assert(eq(i64, t.size_ms, 10));
    cr_assert(eq(i64, t.advance_ms, 10), "tumbling: advance = size");
    cr_assert(eq(i64, t.grace_ms, 5));
    kstream_windows_t h = kstream_windows_hopping(10, 5, 2);
    cr_assert(eq(int, h.kind, 2));
    cr_assert(eq(i64, h.size_ms, 10));
    cr_assert(eq(i64, h.advance_ms, 5));
    cr_assert(eq(i64, h.grace_ms, 2));
    kstream_windows_t sl = kstream_windows_sliding(7, 3);
    cr_assert(eq(int, sl.kind, 3));
    cr_assert(eq(i64, sl.size_ms, 7));
    cr_assert(eq(i64, sl.grace_ms, 3));
    kstream_windows_t se = kstream_windows_session(20, 4);
    cr_assert(eq(int, se.kind, 4));
    cr_assert(eq(i64, se.size_ms, 20));
    cr_assert(eq(i64, se.grace_ms, 4));
}

/* ---- tumbling ----------------------------------------------------------------- */

HS_BACKEND_PARAMS(windows_time, tumbling_count_in_order)
ParameterizedTest(int *backend, windows_time, tumbling_count_in_order)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 5), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 5);
    h_pipe_ok(drv, "in", "B", "x", 7);
    h_pipe_ok(drv, "in", "A", "x", 12);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"A@0", "2", 5}, {"B@0", "1", 7}, {"A@10", "1", 12});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, windowed_key_is_key_then_8_byte_big_endian_start)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(1000, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "key", "x", 1234567);
    const kstream_record_t *rec = h_read(drv, "out");
    uint8_t want[16];
    size_t wl = hs_wkey(want, "key", 1234000);
    kstream_bytes_t k = kstream_record_key(rec);
    cr_assert(eq(sz, k.len, wl));
    cr_assert(memcmp(k.data, want, wl) == 0);
    cr_assert(hs_bytes_is_long(kstream_record_value(rec), 1));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, tumbling_start_is_inclusive_end_exclusive)
ParameterizedTest(int *backend, windows_time,
                  tumbling_start_is_inclusive_end_exclusive)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 5), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 9);  /* [0, 10) */
    h_pipe_ok(drv, "in", "A", "x", 10); /* [10, 20): 10 is not in [0, 10) */
    h_pipe_ok(drv, "in", "A", "x", 0);  /* [0, 10): start is inclusive */
    h_pipe_ok(drv, "in", "A", "x", 19); /* [10, 20) */
    h_pipe_ok(drv, "in", "A", "x", 20); /* [20, 30) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 9},
              {"A@10", "1", 10}, {"A@0", "2", 9}, {"A@10", "2", 19},
              {"A@20", "1", 20});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, out_of_order_within_grace_is_counted)
ParameterizedTest(int *backend, windows_time,
                  out_of_order_within_grace_is_counted)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 5), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 13); /* stream time 13 */
    h_pipe_ok(drv, "in", "A", "x", 4);  /* [0,10) open until 15 */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"A@10", "1", 13}, {"A@0", "2", 4});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, late_beyond_grace_is_dropped_and_counted)
ParameterizedTest(int *backend, windows_time,
                  late_beyond_grace_is_dropped_and_counted)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 5), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 15); /* stream time 15: [0,10) closed */
    h_pipe_ok(drv, "in", "A", "x", 4);
    h_pipe_ok(drv, "in", "B", "x", 9); /* another key, same closed window */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"A@10", "1", 15});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, grace_ends_exactly_at_window_end_plus_grace)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 5), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "B", "x", 14); /* stream time 14 < 10 + 5 */
    h_pipe_ok(drv, "in", "A", "x", 2);  /* still open */
    h_pipe_ok(drv, "in", "B", "x", 15); /* stream time 15 = 10 + 5 */
    h_pipe_ok(drv, "in", "A", "x", 3);  /* closed */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"B@10", "1", 14}, {"A@0", "2", 2}, {"B@10", "2", 15});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, zero_grace_closes_a_window_at_its_end)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 5);
    h_pipe_ok(drv, "in", "A", "x", 9);
    h_pipe_ok(drv, "in", "A", "x", 10);
    h_pipe_ok(drv, "in", "A", "x", 9); /* late: [0,10) closed at 10 */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 5},
              {"A@0", "2", 9}, {"A@10", "1", 10});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, late_records_go_to_the_dlq_when_configured)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 1,
            false, "late.records.handler", "dlq",
            "errors.deadletterqueue.topic.name", "dead", NULL);
    h_pipe_ok(drv, "in", "A", "on-time", 5);
    h_pipe_ok(drv, "in", "A", "on-time", 20);
    h_pipe_ok(drv, "in", "A", "late", 4);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 5},
              {"A@20", "1", 20});
    const kstream_record_t *rec = h_expect(drv, "dead", "A", "late");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 4));
    cr_assert(kstream_record_header_count(rec) > 0,
              "the DLQ record has no header naming the reason");
    h_expect_empty(drv, "dead");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, late_records_with_drop_handler_do_not_reach_a_dlq)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 1,
            false, "errors.deadletterqueue.topic.name", "dead", NULL);
    h_pipe_ok(drv, "in", "A", "x", 20);
    h_pipe_ok(drv, "in", "A", "late", 4);
    cr_assert(kstream_test_driver_is_empty(drv, "dead"));
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, windowed_aggregation_skips_null_keys_and_values)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", NULL, "x", 1);
    h_pipe_ok(drv, "in", "A", NULL, 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, stream_time_is_per_task_not_per_key)
{
    /* a record of B advances stream time for A's windows too */
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "B", "x", 30);
    h_pipe_ok(drv, "in", "A", "x", 2);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"B@30", "1", 30});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_time, stream_time_is_per_task)
{
    /* partition 0 far ahead does not close partition 1's windows */
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 0), W_COUNT), 0,
            false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 0, "A", "x", 100);
    h_pipe_p_ok(drv, "in", 1, "B", "x", 1);
    h_pipe_p_ok(drv, "in", 0, "A", "x", 5); /* late in task 0 */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@100", "1", 100},
              {"B@0", "1", 1});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, rekeyed_windowed_count_repartitions_first)
ParameterizedTest(int *backend, windows_time,
                  rekeyed_windowed_count_repartitions_first)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, "rekey");
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(kstream_stream_group_by_key(s),
                                        kstream_windows_tumbling(10, 0)),
            "wc");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "k1", "red", 1);
    h_pipe_ok(drv, "in", "k2", "red", 2);
    h_pipe_ok(drv, "in", "k3", "blue", 12);
    HS_EXPECT(drv, "app-wc-repartition", HS_K_PLAIN, HS_V_STR,
              {"red", "red", 1}, {"red", "red", 2}, {"blue", "blue", 12});
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"red@0", "1", 1},
              {"red@0", "2", 2}, {"blue@10", "1", 12});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, tumbling_reduce_and_aggregate)
ParameterizedTest(int *backend, windows_time, tumbling_reduce_and_aggregate)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 100), W_REDUCE),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    h_pipe_ok(drv, "in", "A", "b", 2);
    h_pipe_ok(drv, "in", "A", "c", 11);
    h_pipe_ok(drv, "in", "A", "d", 3);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_STR, {"A@0", "a", 1},
              {"A@0", "a+b", 2}, {"A@10", "c", 11}, {"A@0", "a+b+d", 3});
    kstream_test_driver_destroy(drv);

    drv = hs_driver(
            windowed_topology(kstream_windows_tumbling(10, 100), W_AGGREGATE),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 1);
    h_pipe_ok(drv, "in", "A", "2", 2);
    h_pipe_ok(drv, "in", "A", "4", 11);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_STR, {"A@0", "1", 1},
              {"A@0", "3", 2}, {"A@10", "4", 11});
    kstream_test_driver_destroy(drv);
}

/* ---- hopping -------------------------------------------------------------------- */

HS_BACKEND_PARAMS(windows_time, hopping_windows_overlap)
ParameterizedTest(int *backend, windows_time, hopping_windows_overlap)
{
    /* size 10, advance 5: windows [0,10), [5,15), [10,20), ... */
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_hopping(10, 5, 100), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 7);  /* [0,10) and [5,15) */
    h_pipe_ok(drv, "in", "A", "x", 12); /* [5,15) and [10,20) */
    h_pipe_ok(drv, "in", "A", "x", 3);  /* [0,10) only: no negative start */
    h_pipe_ok(drv, "in", "A", "x", 10); /* [5,15) and [10,20), not [0,10) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 7},
              {"A@5", "1", 7}, {"A@5", "2", 12}, {"A@10", "1", 12},
              {"A@0", "2", 7}, {"A@5", "3", 12}, {"A@10", "2", 12});
    kstream_test_driver_destroy(drv);
}

Test(windows_time, hopping_windows_whose_size_is_not_a_multiple_of_advance)
{
    /* size 10, advance 3: starts 0, 3, 6, 9, ... */
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_hopping(10, 3, 100), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 7);  /* [0,10) [3,13) [6,16) */
    h_pipe_ok(drv, "in", "A", "x", 12); /* [3,13) [6,16) [9,19) [12,22) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 7},
              {"A@3", "1", 7}, {"A@6", "1", 7}, {"A@3", "2", 12},
              {"A@6", "2", 12}, {"A@9", "1", 12}, {"A@12", "1", 12});
    kstream_test_driver_destroy(drv);
}

Test(windows_time, hopping_with_advance_equal_to_size_is_tumbling)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_hopping(10, 10, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 9);
    h_pipe_ok(drv, "in", "A", "x", 10);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 9},
              {"A@10", "1", 10});
    kstream_test_driver_destroy(drv);
}

Test(windows_time, hopping_windows_close_one_by_one)
{
    /* size 10, advance 5, grace 0: at stream time 12, [0,10) is closed
     * but [5,15) and [10,20) are open: a record at 9 counts in [5,15)
     * only. */
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_hopping(10, 5, 0), W_COUNT), 1,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 12);
    h_pipe_ok(drv, "in", "A", "x", 9);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@5", "1", 12},
              {"A@10", "1", 12}, {"A@5", "2", 12});
    cr_assert(h_metric(drv, "late-records-dropped") >= 1,
              "the closed window [0,10) was not counted as late");
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_time, window_store_fetch_gives_each_window)
ParameterizedTest(int *backend, windows_time,
                  window_store_fetch_gives_each_window)
{
    kstream_test_driver_t *drv = hs_driver(
            windowed_topology(kstream_windows_hopping(10, 5, 100), W_COUNT),
            *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 7);
    h_pipe_ok(drv, "in", "A", "x", 12);
    h_pipe_ok(drv, "in", "B", "x", 1);
    kstream_store_t *st = kstream_test_driver_store(drv, "wa", 0);
    cr_assert(st != NULL, "no window store 'wa'");
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_WINDOW));
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 100, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_LONG, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-10=1;A@5-15=2;A@10-20=1;"));
    /* the range is on window starts, both ends inclusive */
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 5, 10, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_LONG, got, sizeof(got));
    cr_assert(eq(str, got, "A@5-15=2;A@10-20=1;"));
    cr_assert(eq(int, kstream_window_store_fetch_all(st, 0, 5, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_LONG, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-10=1;A@5-15=2;B@0-10=1;"));
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_window_store_get(st, "A", 1, 5, &v),
                 KSTREAM_OK));
    cr_assert(hs_bytes_is_long(v, 2));
    cr_assert(eq(int, kstream_window_store_get(st, "A", 1, 15, &v),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

/* ---- windowed tables downstream ---------------------------------------------------- */

static kstream_err_t long_to_text(const kstream_record_t *in,
                                  kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char tmp[32];
    if (v.data == NULL || v.len != 8)
        return KSTREAM_ERR_USER;
    snprintf(tmp, sizeof(tmp), "n=%" PRId64, hs_get_be64(v.data));
    return kstream_record_set_value(out, tmp, strlen(tmp));
}

static kstream_err_t pred_at_least_two(const kstream_record_t *rec,
                                       bool *match, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *match = v.data != NULL && v.len == 8 && hs_get_be64(v.data) >= 2;
    return KSTREAM_OK;
}

Test(windows_time, windowed_table_updates_flow_through_table_operators)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 50)),
            "wa");
    t = kstream_table_filter(t, pred_at_least_two, NULL, NULL, "two");
    t = kstream_table_map_values(t, long_to_text, NULL, NULL, "text");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    HS_EXPECT_TABLE(drv, "out", HS_K_WIN, HS_V_STR, {"A@0", "n=2", 2},
                    {"A@0", "n=3", 3});
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ------------------------------------------------------------------ */

Test(windows_time, windowed_functions_reject_null_handles)
{
    cr_assert(kstream_grouped_windowed_by(NULL,
                                          kstream_windows_tumbling(10, 0)) ==
              NULL);
    cr_assert(kstream_windowed_count(NULL, "w") == NULL);
    cr_assert(kstream_windowed_reduce(NULL, hs_agg_concat, NULL, NULL, "w") ==
              NULL);
    cr_assert(kstream_windowed_aggregate(NULL, hs_init_zero, hs_agg_sum,
                                         hs_merge_sum, NULL, NULL, "w") ==
              NULL);
}

typedef struct bad_window {
    char what[32];
    int kind;
    int64_t size, advance, grace;
} bad_window_t;

ParameterizedTestParameters(windows_time, invalid_windows_fail_the_build)
{
    static bad_window_t cases[] = {
            {"tumbling size 0", 1, 0, 0, 0},
            {"tumbling size < 0", 1, -10, 0, 0},
            {"tumbling grace < 0", 1, 10, 0, -1},
            {"hopping advance 0", 2, 10, 0, 0},
            {"hopping advance < 0", 2, 10, -5, 0},
            {"hopping advance > size", 2, 10, 11, 0},
            {"hopping size 0", 2, 0, 1, 0},
            {"hopping grace < 0", 2, 10, 5, -1},
            {"sliding difference < 0", 3, -1, 0, 0},
            {"sliding grace < 0", 3, 10, 0, -1},
            {"session gap 0", 4, 0, 0, 0},
            {"session gap < 0", 4, -1, 0, 0},
            {"session grace < 0", 4, 10, 0, -1},
            {"unknown kind", 9, 10, 10, 0},
    };
    return cr_make_param_array(bad_window_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(bad_window_t *c, windows_time,
                  invalid_windows_fail_the_build)
{
    kstream_windows_t w;
    if (c->kind == 1)
        w = kstream_windows_tumbling(c->size, c->grace);
    else if (c->kind == 2)
        w = kstream_windows_hopping(c->size, c->advance, c->grace);
    else if (c->kind == 3)
        w = kstream_windows_sliding(c->size, c->grace);
    else if (c->kind == 4)
        w = kstream_windows_session(c->size, c->grace);
    else
        w = (kstream_windows_t){c->kind, c->size, c->advance, c->grace};
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *wd = kstream_grouped_windowed_by(g, w);
    cr_assert(wd == NULL, "%s: windowed_by accepted it", c->what);
    cr_assert(kstream_builder_error(b) != NULL, "%s: no builder error",
              c->what);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

typedef struct wcase {
    char op[24];
    char word1[16];
    char word2[16];
} wcase_t;

ParameterizedTestParameters(windows_time, missing_name_fails_naming_operator)
{
    static wcase_t cases[] = {
            {"count", "count", "count"},
            {"reduce", "reduce", "reduce"},
            {"aggregate", "aggregate", "aggregate"},
    };
    return cr_make_param_array(wcase_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(wcase_t *c, windows_time, missing_name_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *wd =
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 0));
    cr_assert(wd != NULL);
    kstream_table_t *t;
    if (!strcmp(c->op, "count"))
        t = kstream_windowed_count(wd, NULL);
    else if (!strcmp(c->op, "reduce"))
        t = kstream_windowed_reduce(wd, hs_agg_concat, NULL, NULL, NULL);
    else
        t = kstream_windowed_aggregate(wd, hs_init_zero, hs_agg_sum, NULL,
                                       NULL, NULL, NULL);
    if (t != NULL)
        kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    hs_build_fails_naming(b, c->op, c->word1, c->word2);
}

ParameterizedTestParameters(windows_time, null_callback_fails_naming_operator)
{
    static wcase_t cases[] = {
            {"reduce", "reduce", "reducer"},
            {"aggregate_init", "aggregate", "initializer"},
            {"aggregate_fn", "aggregate", "aggregator"},
    };
    return cr_make_param_array(wcase_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(wcase_t *c, windows_time,
                  null_callback_fails_naming_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *wd =
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 0));
    cr_assert(wd != NULL);
    kstream_table_t *t;
    if (!strcmp(c->op, "reduce"))
        t = kstream_windowed_reduce(wd, NULL, NULL, NULL, "bad-op");
    else if (!strcmp(c->op, "aggregate_init"))
        t = kstream_windowed_aggregate(wd, NULL, hs_agg_sum, NULL, NULL, NULL,
                                       "bad-op");
    else
        t = kstream_windowed_aggregate(wd, hs_init_zero, NULL, NULL, NULL,
                                       NULL, "bad-op");
    cr_assert(t == NULL, "%s with a NULL callback returned a table", c->op);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, "bad-op") ||
                      h_contains_ci(errstr, c->word1) ||
                      h_contains_ci(errstr, c->word2),
              "%s: errstr does not name the operator: %s", c->op, errstr);
}
