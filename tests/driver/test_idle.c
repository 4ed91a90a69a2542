/* test_idle.c - the idle advance (window.idle.close.ms, lib/runtime/idle.c)
 * through the test driver. When a task has had no record for that long, S
 * its stream time and T = S + the wall-clock time since its last record:
 *  - the windows that could be open at S (start <= S) close as at stream
 *    time T: later records for them are late (dropped and counted), and a
 *    suppression emits their final results, once;
 *  - newer windows (start > S) open and close by stream time only, even
 *    for records older than T (time, hopping, sliding and session
 *    windows);
 *  - the stream time itself stays: deduplication keeps its ids, stream-
 *    time punctuators do not fire and kstream_ctx_stream_time() does not
 *    move;
 *  - a later, shorter idle advance does not reopen what an earlier one
 *    closed;
 *  - suppression until the time limit emits what was buffered at the
 *    advance; later updates wait for stream time. */
#include "helpers_state.h"

TestSuite(idle, .timeout = 30);

static void wall(kstream_test_driver_t *drv, int64_t ms)
{
    kstream_err_t err = kstream_test_driver_advance_wall_clock(drv, ms);
    cr_assert(err == KSTREAM_OK, "advance_wall_clock(%lld): %s: %s",
              (long long)ms, kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

static int64_t late(kstream_test_driver_t *drv)
{
    return h_metric(drv, "late-records-dropped");
}

/* in -> group_by_key -> windowed count "wc" [-> suppress until the window
 * closes "sup"] -> to_stream -> out */
static kstream_builder_t *counts(kstream_windows_t w, bool suppress)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *t =
            kstream_windowed_count(kstream_grouped_windowed_by(g, w), "wc");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    if (suppress) {
        t = kstream_table_suppress_until_window_closes(
                t, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
        cr_assert(t != NULL, "suppress: %s", kstream_builder_error(b));
    }
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

static kstream_test_driver_t *idle_driver(kstream_builder_t *b, int backend,
                                          int cache)
{
    return hs_driver(b, backend, cache, "window.idle.close.ms", "1000", NULL);
}

/* ---- windows the idle advance closed ------------------------------------ */

Test(idle, a_window_closed_by_idleness_takes_no_more_records)
{
    for (int cfg = 0; cfg < 2 * HS_NBACKENDS; cfg++) {
        kstream_test_driver_t *drv = idle_driver(
                counts(kstream_windows_tumbling(10, 5), false), cfg % 2,
                cfg / 2);
        h_pipe_ok(drv, "in", "A", "x", 1);
        h_pipe_ok(drv, "in", "A", "x", 3);
        wall(drv, 1100); /* S = 3, T = 1103: [0,10) closes */
        /* (each update, or with the cache the latest one) */
        hs_out_t *o = hs_collect(drv, "out", HS_K_WIN, HS_V_LONG);
        cr_assert(o->n >= 1 && strcmp(o->r[o->n - 1].key, "A@0") == 0 &&
                          strcmp(o->r[o->n - 1].value, "2") == 0,
                  "configuration %d: %zu records", cfg, o->n);
        free(o);
        h_pipe_ok(drv, "in", "A", "x", 2);
        h_pipe_ok(drv, "in", "B", "x", 4); /* a new key, same window */
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        h_expect_empty(drv, "out");
        cr_assert(eq(i64, late(drv), 2), "configuration %d", cfg);
        kstream_test_driver_destroy(drv);
    }
}

Test(idle, newer_windows_open_for_records_older_than_the_idle_time)
{
    kstream_test_driver_t *drv = idle_driver(
            counts(kstream_windows_tumbling(10, 5), false), 1, false);
    h_pipe_ok(drv, "in", "A", "x", 1);
    wall(drv, 1100); /* S = 1, T = 1101 */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1});
    h_pipe_ok(drv, "in", "A", "x", 12); /* [10,20) starts after S */
    h_pipe_ok(drv, "in", "A", "x", 13);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@10", "1", 12},
              {"A@10", "2", 13});
    cr_assert(eq(i64, late(drv), 0));
    /* They close by stream time: at 25, [10,20) + grace 5 */
    h_pipe_ok(drv, "in", "A", "x", 30);
    h_pipe_ok(drv, "in", "A", "x", 14);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@30", "1", 30});
    cr_assert(eq(i64, late(drv), 1));
    kstream_test_driver_destroy(drv);
}

Test(idle, hopping_windows_started_before_the_idle_advance_stay_closed)
{
    kstream_test_driver_t *drv = idle_driver(
            counts(kstream_windows_hopping(10, 5, 0), false), 1, false);
    h_pipe_ok(drv, "in", "A", "x", 7); /* [0,10) and [5,15) */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 7},
              {"A@5", "1", 7});
    wall(drv, 1100); /* S = 7: both close */
    /* [5,15) is closed, [10,20) is new: the record counts in it, and is
     * counted once for the window it missed */
    h_pipe_ok(drv, "in", "A", "x", 12);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@10", "1", 12});
    cr_assert(eq(i64, late(drv), 1));
    kstream_test_driver_destroy(drv);
}

Test(idle, sliding_windows_started_before_the_idle_advance_stay_closed)
{
    kstream_test_driver_t *drv = idle_driver(
            counts(kstream_windows_sliding(10, 0), false), 1, false);
    h_pipe_ok(drv, "in", "A", "x", 100);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@90", "1", 100});
    wall(drv, 1100); /* S = 100, T = 1200 */
    /* Every window with 95 in it starts by 100: late outright. */
    h_pipe_ok(drv, "in", "A", "x", 95);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, late(drv), 1));
    /* 105: its left window [95,105] started by S and is closed; the right
     * window of 100, [101,111], is new and takes it. */
    h_pipe_ok(drv, "in", "A", "x", 105);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@101", "1", 105});
    cr_assert(eq(i64, late(drv), 2));
    h_pipe_ok(drv, "in", "A", "x", 150);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@140", "1", 150});
    cr_assert(eq(i64, late(drv), 2));
    kstream_test_driver_destroy(drv);
}

Test(idle, sessions_started_before_the_idle_advance_stay_closed)
{
    for (int backend = 0; backend < HS_NBACKENDS; backend++) {
        kstream_test_driver_t *drv = idle_driver(
                counts(kstream_windows_session(10, 5), false), backend,
                false);
        h_pipe_ok(drv, "in", "A", "x", 100);
        HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG,
                  {"A@100-100", "1", 100});
        wall(drv, 1100); /* S = 100, T = 1200 */
        /* would merge into [100,105]: starts by S, closed as at T */
        h_pipe_ok(drv, "in", "A", "x", 105);
        h_expect_empty(drv, "out");
        cr_assert(eq(i64, late(drv), 1));
        /* more than the gap after 100: a new session */
        h_pipe_ok(drv, "in", "A", "x", 111);
        h_pipe_ok(drv, "in", "A", "x", 115);
        h_pipe_ok(drv, "in", "B", "x", 101); /* another key: new, too */
        HS_EXPECT(drv, "out", HS_K_SESSION, HS_V_LONG,
                  {"A@111-111", "1", 111}, {"A@111-111", NULL, 111},
                  {"A@111-115", "2", 115}, {"B@101-101", "1", 101});
        cr_assert(eq(i64, late(drv), 1), "backend %d", backend);
        kstream_test_driver_destroy(drv);
    }
}

Test(idle, a_shorter_idle_advance_later_does_not_reopen_windows)
{
    kstream_test_driver_t *drv = idle_driver(
            counts(kstream_windows_tumbling(100, 0), false), 1, false);
    h_pipe_ok(drv, "in", "A", "x", 1);
    wall(drv, 5000); /* S = 1, T = 5001: [0,100) closes */
    h_pipe_ok(drv, "in", "A", "x", 150);
    wall(drv, 1100); /* 150 + 1100 < 5001: [0,100) stays closed */
    h_pipe_ok(drv, "in", "A", "x", 50);
    h_pipe_ok(drv, "in", "A", "x", 160); /* [100,200) still open */
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "1", 1},
              {"A@100", "1", 150}, {"A@100", "2", 160});
    cr_assert(eq(i64, late(drv), 1));
    /* A longer quiet: S = 160, T = 160 + 6000 closes [100,200). */
    wall(drv, 6000);
    h_pipe_ok(drv, "in", "A", "x", 170);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, late(drv), 2));
    kstream_test_driver_destroy(drv);
}

/* ---- suppression ------------------------------------------------------------ */

Test(idle, suppression_emits_each_window_once)
{
    for (int cfg = 0; cfg < 2 * HS_NBACKENDS; cfg++) {
        kstream_test_driver_t *drv = idle_driver(
                counts(kstream_windows_tumbling(10, 5), true), cfg % 2,
                cfg / 2);
        h_pipe_ok(drv, "in", "A", "x", 1);
        h_pipe_ok(drv, "in", "B", "x", 3);
        h_pipe_ok(drv, "in", "A", "x", 2);
        h_expect_empty(drv, "out");
        wall(drv, 1100);
        HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 2},
                  {"B@0", "1", 3});
        wall(drv, 5000);
        h_expect_empty(drv, "out");
        h_pipe_ok(drv, "in", "A", "x", 4); /* late */
        h_pipe_ok(drv, "in", "C", "x", 12);
        h_pipe_ok(drv, "in", "C", "x", 24); /* stream time 24 < 25 */
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        h_expect_empty(drv, "out");
        h_pipe_ok(drv, "in", "D", "x", 30); /* closes [10,20) */
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"C@10", "1", 12});
        cr_assert(eq(i64, late(drv), 1), "configuration %d", cfg);
        kstream_test_driver_destroy(drv);
    }
}

Test(idle, suppression_keeps_windows_that_the_idle_time_does_not_close)
{
    kstream_test_driver_t *drv = idle_driver(
            counts(kstream_windows_tumbling(10000, 0), true), 1, false);
    h_pipe_ok(drv, "in", "A", "x", 1);
    wall(drv, 1100); /* T = 1101 < 10000 */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "A", "x", 2); /* not late */
    cr_assert(eq(i64, late(drv), 0));
    h_pipe_ok(drv, "in", "B", "x", 10000);
    HS_EXPECT(drv, "out", HS_K_WIN, HS_V_LONG, {"A@0", "2", 2});
    kstream_test_driver_destroy(drv);
}

Test(idle, suppression_until_the_time_limit_emits_what_was_buffered)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    t = kstream_table_suppress_until_time_limit(
            t, 100, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "sup");
    cr_assert(t != NULL, "suppress: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = idle_driver(b, 1, false);
    h_pipe_ok(drv, "in", "A", "x", 1);
    wall(drv, 1100); /* due 101 <= T = 1101 */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1});
    /* buffered after the advance: due at 102 by stream time */
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "B", "x", 102);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "2", 2});
    kstream_test_driver_destroy(drv);
}

/* ---- what keeps the real stream time ---------------------------------------- */

/* The id is the value. */
static kstream_err_t id_of_value(const kstream_record_t *rec,
                                 kstream_bytes_t *id, void *opaque)
{
    (void)opaque;
    *id = kstream_record_value(rec);
    return KSTREAM_OK;
}

Test(idle, deduplication_keeps_its_ids)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_deduplicate(s, id_of_value, NULL, NULL, 10, "dedup");
    cr_assert(s != NULL, "deduplicate: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = idle_driver(b, 0, false);
    h_pipe_ok(drv, "in", "k", "x", 100);
    wall(drv, 10000);
    h_pipe_ok(drv, "in", "k", "x", 108); /* within 10 of 100 */
    h_pipe_ok(drv, "in", "k", "y", 95);
    wall(drv, 10000);
    h_pipe_ok(drv, "in", "k", "y", 104); /* within 10 of 95 */
    h_pipe_ok(drv, "in", "k", "x", 125); /* 17 after the x at 108 */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "x", 100},
              {"k", "y", 95}, {"k", "x", 125});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

typedef struct tick {
    h_log_t log;
} tick_t;

static kstream_err_t on_stream_time(kstream_ctx_t *ctx, int64_t ts,
                                    void *opaque)
{
    (void)ctx;
    h_logf(&((tick_t *)opaque)->log, "S%lld;", (long long)ts);
    return KSTREAM_OK;
}

static kstream_err_t tick_init(kstream_ctx_t *ctx, void *opaque,
                               void **state)
{
    *state = opaque;
    uint64_t id;
    return kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_STREAM_TIME,
                                on_stream_time, opaque, &id);
}

/* Logs "p<timestamp>/<stream time>;". */
static kstream_err_t tick_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec, void *state)
{
    h_logf(&((tick_t *)state)->log, "p%lld/%lld;",
           (long long)kstream_record_timestamp(rec),
           (long long)kstream_ctx_stream_time(ctx));
    return kstream_ctx_forward(ctx, rec);
}

static const kstream_processor_t tick_proc = {tick_init, tick_process, NULL};

Test(idle, stream_time_punctuators_do_not_fire_and_stream_time_stays)
{
    tick_t tk = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &tick_proc, &tk, NULL, NULL, 0, "tick");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = idle_driver(b, 1, false);
    h_pipe_ok(drv, "in", "k", "v", 5);
    wall(drv, 5000);
    wall(drv, 5000);
    h_pipe_ok(drv, "in", "k", "v", 6);
    h_pipe_ok(drv, "in", "k", "v", 10);
    cr_assert(eq(str, tk.log.text, "p5/5;S5;p6/6;p10/10;S10;"));
    kstream_test_driver_destroy(drv);
}
