/* test_suppress.c - suppression through the test driver: until window
 * closes (one final result per window once stream time reaches window end
 * + grace, nothing before, nothing after), until time limit (each key's
 * latest update, time limit after its first buffered update), full buffers
 * (emit early or fail), closing idle windows on wall-clock time
 * ("window.idle.close.ms"), both store backends; bad arguments.
 *
 * As in Kafka Streams, the suppression's stream time follows the records
 * that reach it; records dropped upstream as late do not move it. Several
 * results due at once come out by window end, then by key. */
#include "helpers_state.h"

TestSuite(suppress, .timeout = 20);

/* in -> group_by_key -> tumbling(size, grace) count "wc" ->
 * suppress_until_window_closes "sup" -> to_stream -> out */
static kstream_builder_t *final_counts(int64_t size, int64_t grace,
                                       uint64_t max_records,
                                       kstream_buffer_full_t when_full)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g,
                                        kstream_windows_tumbling(size, grace)),
            "wc");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    t = kstream_table_suppress_until_window_closes(t, max_records, 0,
                                                   when_full, "sup");
    cr_assert(t != NULL, "suppress: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(suppress, until_window_closes_emits_once_per_window)
ParameterizedTest(int *backend, suppress,
                  until_window_closes_emits_once_per_window)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), *backend,
            false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 3);
    h_pipe_ok(drv, "in", "B", "x", 7);
    h_pipe_ok(drv, "in", "A", "x", 12);
    h_pipe_ok(drv, "in", "A", "x", 14); /* stream time 14 < 10 + 5 */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "B", "x", 15); /* [0,10) closes */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 3},
              {"B@0", "1", 7});
    h_pipe_ok(drv, "in", "A", "x", 2); /* late: dropped upstream */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    h_pipe_ok(drv, "in", "A", "x", 24);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "C", "x", 25); /* [10,20) closes */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@10", "2", 14},
              {"B@10", "1", 15});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(suppress, with_the_cache_on_the_same_finals_come_out)
ParameterizedTest(int *backend, suppress,
                  with_the_cache_on_the_same_finals_come_out)
{
    /* The count's updates reach the suppression at the commit; its stream
     * time then moves to the largest of their timestamps. */
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), *backend,
            true, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 3);
    h_pipe_ok(drv, "in", "B", "x", 7);
    h_pipe_ok(drv, "in", "A", "x", 12);
    h_pipe_ok(drv, "in", "A", "x", 14);
    h_pipe_ok(drv, "in", "B", "x", 15);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 3},
              {"B@0", "1", 7});
    h_pipe_ok(drv, "in", "C", "x", 25);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@10", "2", 14},
              {"B@10", "1", 15});
    kstream_test_driver_destroy(drv);
}

Test(suppress, until_window_closes_with_zero_grace_emits_at_window_end)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 9);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 10);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 9});
    kstream_test_driver_destroy(drv);
}

Test(suppress, windows_that_close_together_come_out_in_window_order)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 20, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            NULL);
    h_pipe_ok(drv, "in", "B", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "B", "x", 11);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "C", "x", 40); /* closes [0,10) and [10,20) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 2},
              {"B@0", "1", 1}, {"B@10", "1", 11});
    kstream_test_driver_destroy(drv);
}

Test(suppress, until_window_closes_works_with_hopping_windows)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_hopping(10, 5, 0)),
            "wc");
    t = kstream_table_suppress_until_window_closes(
            t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 7);  /* [0,10) [5,15) */
    h_pipe_ok(drv, "in", "A", "x", 10); /* closes [0,10); [5,15) [10,20) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 7});
    h_pipe_ok(drv, "in", "A", "x", 15); /* closes [5,15) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@5", "2", 10});
    kstream_test_driver_destroy(drv);
}

Test(suppress, until_window_closes_works_with_session_windows)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_session(10, 0)),
            "sc");
    t = kstream_table_suppress_until_window_closes(
            t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 5); /* session [0,5] */
    h_expect_empty(drv, "out");
    /* a session [0,5] closes once stream time passes 5 + gap: Kafka's
     * suppression holds a session until stream time > end + gap + grace */
    h_pipe_ok(drv, "in", "B", "x", 30);
    HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG, {"A@0-5", "2", 5});
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_sliding_window_is_final_only_after_its_inclusive_end)
{
    /* [90,100] still takes records at 100 (sliding windows include their
     * end), so with no grace it is final once stream time passes 100 */
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_sliding(10, 0)),
            "sl");
    t = kstream_table_suppress_until_window_closes(
            t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_pipe_ok(drv, "in", "A", "x", 100);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "B", "x", 101);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "2", 100});
    kstream_test_driver_destroy(drv);
}

static kstream_err_t pred_count_at_least_two(const kstream_record_t *rec,
                                             bool *match, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *match = v.data != NULL && v.len == 8 && hs_get_be64(v.data) >= 2;
    return KSTREAM_OK;
}

static kstream_err_t count_to_text(const kstream_record_t *in,
                                   kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "n=%" PRId64,
             v.data && v.len == 8 ? hs_get_be64(v.data) : -1);
    return kstream_record_set_value(out, tmp, strlen(tmp));
}

Test(suppress, until_window_closes_after_table_operators_keeps_the_grace)
{
    /* the windowed table goes through filter and map_values first; the
     * suppression still finds the windows' grace (Kafka Streams looks it
     * up through the table operators) */
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 5)),
            "wc");
    t = kstream_table_filter(t, pred_count_at_least_two, NULL, NULL, "two");
    t = kstream_table_map_values(t, count_to_text, NULL, NULL, "text");
    t = kstream_table_suppress_until_window_closes(
            t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "B", "x", 3); /* count 1: filtered out */
    h_pipe_ok(drv, "in", "A", "x", 13);
    h_pipe_ok(drv, "in", "A", "x", 14); /* [10,20) reaches 2 at 14 */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 15); /* [10,20): 3; [0,10) closes */
    /* final results drop tombstones: B's retraction never shows */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_STR, {"A@0", "n=2", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- until time limit ------------------------------------------------------------- */

HS_BACKEND_PARAMS(suppress, until_time_limit_emits_latest_per_key)
ParameterizedTest(int *backend, suppress,
                  until_time_limit_emits_latest_per_key)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_grouped_count(g, "cnt");
    t = kstream_table_suppress_until_time_limit(
            t, 10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "suppress: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 0);
    h_pipe_ok(drv, "in", "A", "x", 5);
    h_pipe_ok(drv, "in", "B", "x", 8);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 10); /* 10 since A's first update */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "3", 10});
    h_pipe_ok(drv, "in", "B", "x", 17);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "B", "x", 18); /* 10 since B's first update */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"B", "3", 18});
    h_pipe_ok(drv, "in", "A", "x", 25); /* A buffered again from 25 */
    h_expect_empty(drv, "out");
    /* the table itself is not suppressed */
    hs_store_is_long(drv, "cnt", "A", 4);
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_zero_time_limit_emits_every_update_at_once)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_table_suppress_until_time_limit(
            kstream_grouped_count(g, "cnt"), 0, 0, 0,
            KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 5);
    h_pipe_ok(drv, "in", "A", "x", 6);
    h_pipe_ok(drv, "in", "B", "x", 3); /* out of order */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 5},
              {"A", "2", 6}, {"B", "1", 3});
    kstream_test_driver_destroy(drv);
}

Test(suppress, until_time_limit_passes_tombstones_through_the_buffer)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    t = kstream_table_suppress_until_time_limit(
            t, 10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "suppress: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 0);
    h_pipe_ok(drv, "in", "A", NULL, 3);
    h_pipe_ok(drv, "in", "Z", "z", 10); /* A's latest update is due */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", NULL, 3});
    h_pipe_ok(drv, "in", "Z", "z2", 20);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"Z", "z2", 20});
    kstream_test_driver_destroy(drv);
}

/* ---- full buffers ------------------------------------------------------------------ */

Test(suppress, a_full_buffer_emits_the_oldest_early)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 100, 1, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "B", "x", 2); /* two records in a buffer of one */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_byte_bound_buffer_emits_early_when_over_its_bytes)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 100)),
            "wc");
    t = kstream_table_suppress_until_window_closes(
            t, 0, 1, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1); /* any record is over 1 byte */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    h_pipe_ok(drv, "in", "A", "x", 2);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 2});
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_full_buffer_set_to_fail_fails_processing)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 100, 1, KSTREAM_BUFFER_FAIL), 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    kstream_err_t err = h_pipe(drv, "in", "B", "x", 2);
    cr_assert(err != KSTREAM_OK, "a full buffer set to fail did not fail");
    cr_assert(ne(str, (char *)kstream_test_driver_last_error(drv), ""));
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(suppress, updating_a_buffered_key_does_not_fill_the_buffer)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 100, 1, KSTREAM_BUFFER_FAIL), 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(suppress, each_task_closes_windows_on_its_own_stream_time)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY), 0, false,
            NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 0, "A", "x", 1);
    h_pipe_p_ok(drv, "in", 1, "B", "x", 2);
    h_pipe_p_ok(drv, "in", 0, "A", "x", 50); /* task 0 only */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    h_pipe_p_ok(drv, "in", 1, "B", "x", 3); /* task 1: still open */
    h_pipe_p_ok(drv, "in", 1, "B", "x", 10);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"B@0", "2", 3});
    kstream_test_driver_destroy(drv);
}

/* ---- idle windows ------------------------------------------------------------------ */

Test(suppress, idle_close_emits_final_results_after_wall_clock_quiet)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 3);
    h_expect_empty(drv, "out");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 500),
                 KSTREAM_OK));
    h_expect_empty(drv, "out");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 600),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 3});
    /* once: more idle time emits nothing more */
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 5000),
                 KSTREAM_OK));
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_new_record_restarts_the_idle_time)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 800),
                 KSTREAM_OK));
    h_pipe_ok(drv, "in", "A", "x", 2);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 800),
                 KSTREAM_OK));
    h_expect_empty(drv, "out");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 300),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 2});
    kstream_test_driver_destroy(drv);
}

Test(suppress, a_window_closed_for_idleness_stays_closed)
{
    /* once its final result is out, a window takes no more records: one
     * result per window */
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1100),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    h_pipe_ok(drv, "in", "A", "x", 2); /* for the closed window */
    h_pipe_ok(drv, "in", "B", "x", 100);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(suppress, records_after_an_idle_close_open_new_windows)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), 0, false,
            "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1100),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    h_pipe_ok(drv, "in", "B", "x", 100);
    h_pipe_ok(drv, "in", "B", "x", 101);
    h_pipe_ok(drv, "in", "C", "x", 115); /* closes [100,110) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"B@100", "2", 101});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(suppress, an_idle_close_does_not_close_later_windows_of_the_aggregation)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 5)),
            "wc");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv =
            hs_driver(b, 1, false, "window.idle.close.ms", "1000", NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1100),
                 KSTREAM_OK));
    h_pipe_ok(drv, "in", "B", "x", 100);
    h_pipe_ok(drv, "in", "B", "x", 300);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"B@100", "1", 100}, {"B@300", "1", 300});
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(suppress, without_idle_close_windows_stay_open_on_wall_clock)
{
    kstream_test_driver_t *drv = hs_driver(
            final_counts(10, 5, 0, KSTREAM_BUFFER_EMIT_EARLY), 1, false,
            NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1000000),
                 KSTREAM_OK));
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments --------------------------------------------------------------------- */

Test(suppress, suppress_functions_reject_null_tables)
{
    cr_assert(kstream_table_suppress_until_window_closes(
                      NULL, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "s") == NULL);
    cr_assert(kstream_table_suppress_until_time_limit(
                      NULL, 10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "s") ==
              NULL);
}

Test(suppress, a_negative_time_limit_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, -1, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup") == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(suppress, an_unknown_buffer_full_strategy_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, 10, 0, 0, (kstream_buffer_full_t)7, "sup") == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(suppress, until_window_closes_on_a_non_windowed_table_fails)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    kstream_table_t *s = kstream_table_suppress_until_window_closes(
            t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    if (s != NULL)
        kstream_stream_to(kstream_table_to_stream(s, NULL), "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, "sup") || h_contains_ci(errstr, "window"),
              "errstr: %s", errstr);
}

Test(suppress, suppress_without_a_name_fails_naming_the_operator)
{
    for (int i = 0; i < 2; i++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_grouped_t *g = kstream_stream_group_by_key(
                kstream_builder_stream(b, "in", NULL));
        kstream_table_t *t = kstream_windowed_count(
                kstream_grouped_windowed_by(g,
                                            kstream_windows_tumbling(10, 0)),
                "wc");
        t = i == 0 ? kstream_table_suppress_until_window_closes(
                             t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, NULL)
                   : kstream_table_suppress_until_time_limit(
                             t, 10, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, NULL);
        if (t != NULL)
            kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
        hs_build_fails_naming(b, "suppress", "suppress", NULL);
    }
}
