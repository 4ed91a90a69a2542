/* test_windows_sliding.c - sliding windows (Kafka Streams' SlidingWindows)
 * through the test driver. A window [start, start + difference] holds the
 * records of a key within the time difference of each other, both ends
 * inclusive; each record makes its left window [t - diff, t] and, when a
 * later record falls in it, its right window [t + 1, t + 1 + diff], and
 * updates every existing window that contains it. Records earlier than
 * the difference share the window [0, diff]. A record is late when
 * t + 1 + diff <= stream time - grace.
 *
 * One record may update several windows; the order of those updates is not
 * specified (Kafka Streams' order depends on the store's iteration
 * direction), so each record's updates are compared as a set. Windowed
 * keys are key + 8-byte BE start. */
#include "helpers_state.h"

TestSuite(windows_sliding, .timeout = 20);

/* in -> group_by_key -> sliding(diff, grace) -> count "sl" -> out */
static kstream_builder_t *sliding_count(int64_t diff, int64_t grace)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *w =
            kstream_grouped_windowed_by(g, kstream_windows_sliding(diff, grace));
    cr_assert(w != NULL, "windowed_by: %s", kstream_builder_error(b));
    kstream_table_t *t = kstream_windowed_count(w, "sl");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(windows_sliding, in_order_records_make_left_and_right_windows)
ParameterizedTest(int *backend, windows_sliding,
                  in_order_records_make_left_and_right_windows)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100});
    h_pipe_ok(drv, "in", "A", "x", 105);
    /* 100's right window [101,111] and 105's left window [95,105] */
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@101", "1", 105},
                  {"A@95", "2", 105});
    h_pipe_ok(drv, "in", "A", "x", 120);
    /* 105's right window [106,116] would be empty: not made */
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@110", "1", 120});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_sliding, out_of_order_record_updates_every_window)
ParameterizedTest(int *backend, windows_sliding,
                  out_of_order_record_updates_every_window)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 105);
    h_pipe_ok(drv, "in", "A", "x", 120);
    (void)h_drain(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 108);
    /* [101,111] gains 108; 105's right window [106,116] now holds 108;
     * 108's left window [98,108] holds 100, 105 and 108 */
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@101", "2", 108},
                  {"A@106", "1", 108}, {"A@98", "3", 108});
    kstream_store_t *st = kstream_test_driver_store(drv, "sl", 0);
    cr_assert(st != NULL);
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 1000, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_LONG, got, sizeof(got));
    /* sliding windows end at start + difference, inclusive */
    cr_assert(eq(str, got,
                 "A@90-100=1;A@95-105=2;A@98-108=3;A@101-111=2;"
                 "A@106-116=1;A@110-120=1;"));
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, records_exactly_the_difference_apart_share_a_window)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 110);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100},
                  {"A@101", "1", 110}, {"A@100", "2", 110});
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, records_more_than_the_difference_apart_do_not)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 111);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100},
                  {"A@101", "1", 111});
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, keys_have_independent_windows)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), 0, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "B", "x", 104);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100},
              {"B@94", "1", 104});
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, keys_that_prefix_each_other_have_independent_windows)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), 0, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "AB", "x", 104);
    h_pipe_ok(drv, "in", "A", "x", 105);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100},
                  {"AB@94", "1", 104}, {"A@101", "1", 105},
                  {"A@95", "2", 105});
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, early_records_share_the_first_window)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 100), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 3);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 3});
    h_pipe_ok(drv, "in", "A", "x", 5);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@4", "1", 5},
                  {"A@0", "2", 5});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(windows_sliding, late_beyond_grace_is_dropped_and_counted)
ParameterizedTest(int *backend, windows_sliding,
                  late_beyond_grace_is_dropped_and_counted)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 0), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 200);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100},
                  {"A@190", "1", 200});
    h_pipe_ok(drv, "in", "A", "x", 150); /* 150 + 1 + 10 <= 200 */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, late_records_go_to_the_dlq_when_configured)
{
    kstream_test_driver_t *drv = hs_driver(
            sliding_count(10, 0), 1, false, "late.records.handler", "dlq",
            "errors.deadletterqueue.topic.name", "dead", NULL);
    h_pipe_ok(drv, "in", "A", "x", 200);
    h_pipe_ok(drv, "in", "A", "late", 150);
    h_expect(drv, "dead", "A", "late");
    h_expect_empty(drv, "dead");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, out_of_order_within_grace_is_counted)
{
    kstream_test_driver_t *drv = hs_driver(sliding_count(10, 50), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 140);
    (void)h_drain(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 95); /* 95 + 11 > 140 - 50 */
    /* 95's left window [85,95]; its right window [96,106] holds 100;
     * 100's left window [90,100] gains 95 */
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "2", 100},
                  {"A@85", "1", 95}, {"A@96", "1", 100});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windows_sliding, sliding_reduce_folds_the_records_of_each_window)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_windowed_t *w =
            kstream_grouped_windowed_by(g, kstream_windows_sliding(10, 100));
    kstream_table_t *t =
            kstream_windowed_aggregate(w, hs_init_zero, hs_agg_sum, NULL,
                                       NULL, NULL, "sl");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "1", 100);
    h_pipe_ok(drv, "in", "A", "2", 105);
    HS_EXPECT_SET(drv, "out", HS_K_WIN, HS_V_STR, {"A@90", "1", 100},
                  {"A@101", "2", 105}, {"A@95", "3", 105});
    kstream_test_driver_destroy(drv);
}
