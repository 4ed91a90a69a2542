/* test_suppress_impl.c - focused tests of suppression (lib/dsl/suppress.c,
 * lib/processor/suppress.c) and of the idle advance (lib/runtime/idle.c)
 * through the test driver: final results of windowed counts (tumbling,
 * grace, sessions with merges), until the time limit (tombstones, the
 * prior value downstream), buffer bounds (emit early, fail), the same
 * final results with both cache settings and both store backends, and
 * window.idle.close.ms on the virtual wall clock.
 *
 * Windowed outputs are written "key@start=count/ts" (time windows) or
 * "key[start,end]=count/ts" (sessions), plain ones "key=value/ts";
 * tombstones as "null". */
#include "helpers.h"

TestSuite(suppress_impl, .timeout = 60);

/* ---- formatting ------------------------------------------------------------ */
static int64_t be64(const void *p)
{
    const uint8_t *b = p;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

enum keyfmt { K_PLAIN, K_TIME, K_SESSION };

static void fmt_key(kstream_bytes_t k, enum keyfmt f, char *buf, size_t size)
{
    const char *p = k.data;
    size_t tl = f == K_SESSION ? 16 : f == K_TIME ? 8 : 0;
    cr_assert(k.data && k.len >= tl, "key too short (%zu)", k.len);
    int kl = (int)(k.len - tl);
    if (f == K_SESSION)
        snprintf(buf, size, "%.*s[%lld,%lld]", kl, p,
                 (long long)be64(p + kl + 8), (long long)be64(p + kl));
    else if (f == K_TIME)
        snprintf(buf, size, "%.*s@%lld", kl, p, (long long)be64(p + kl));
    else
        snprintf(buf, size, "%.*s", kl, p);
}

/* Count values (8-byte longs) as numbers, others as text. */
static void fmt_value(kstream_bytes_t v, char *buf, size_t size)
{
    if (!v.data)
        snprintf(buf, size, "null");
    else if (v.len == 8)
        snprintf(buf, size, "%lld", (long long)be64(v.data));
    else
        snprintf(buf, size, "%.*s", (int)v.len, (const char *)v.data);
}

typedef struct outs {
    char text[8192];
} outs_t;

/* Every unread output of "out", space-separated. */
static const char *drain(kstream_test_driver_t *drv, enum keyfmt f,
                         outs_t *o)
{
    const kstream_record_t *rec;
    o->text[0] = '\0';
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        char k[128], v[128];
        fmt_key(kstream_record_key(rec), f, k, sizeof(k));
        fmt_value(kstream_record_value(rec), v, sizeof(v));
        size_t used = strlen(o->text);
        snprintf(o->text + used, sizeof(o->text) - used, "%s%s=%s/%lld",
                 used ? " " : "", k, v,
                 (long long)kstream_record_timestamp(rec));
    }
    return o->text;
}

static void expect_out(kstream_test_driver_t *drv, enum keyfmt f,
                       const char *expected)
{
    outs_t o;
    cr_assert(eq(str, (char *)drain(drv, f, &o), (char *)expected));
}

/* ---- topologies and drivers -------------------------------------------------- */
/* in -> group_by_key -> windowed_by(w) -> count("cnt") ->
 * suppress_until_window_closes("sup") -> to_stream -> out */
static kstream_builder_t *final_topo(kstream_windows_t w, uint64_t max_records,
                                     uint64_t max_bytes,
                                     kstream_buffer_full_t when_full)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    kstream_windowed_t *wd =
            kstream_grouped_windowed_by(kstream_stream_group_by_key(s), w);
    kstream_table_t *t = kstream_windowed_count(wd, "cnt");
    kstream_table_t *sup = kstream_table_suppress_until_window_closes(
            t, max_records, max_bytes, when_full, "sup");
    cr_assert(sup != NULL, "suppress failed: %s", kstream_builder_error(b));
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(sup, "ts"), "out",
                                   "sink"),
                 KSTREAM_OK));
    return b;
}

/* tin (table "t") -> suppress_until_time_limit(limit, "sup") -> out */
static kstream_builder_t *limit_topo(int64_t limit, uint64_t max_records,
                                     uint64_t max_bytes,
                                     kstream_buffer_full_t when_full)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "tin", "t");
    kstream_table_t *sup = kstream_table_suppress_until_time_limit(
            t, limit, max_records, max_bytes, when_full, "sup");
    cr_assert(sup != NULL, "suppress failed: %s", kstream_builder_error(b));
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(sup, "ts"), "out",
                                   "sink"),
                 KSTREAM_OK));
    return b;
}

/* Configurations: bit 0 in_memory (else rocksdb), bit 1 cache on. */
#define NCFG 4
static kstream_test_driver_t *drv_cfg(kstream_builder_t *b, int cfg,
                                      const char *idle_ms)
{
    const char *store = cfg & 1 ? "in_memory" : "rocksdb";
    const char *cache = cfg & 2 ? "10485760" : "0";
    return h_driver(b, "default.dsl.store", store,
                    "cache.max.bytes.buffering", cache,
                    "window.idle.close.ms", idle_ms ? idle_ms : "-1", NULL);
}

static kstream_test_driver_t *drv_plain(kstream_builder_t *b)
{
    return drv_cfg(b, 1, NULL);
}

static void pipe_in(kstream_test_driver_t *drv, const char *key, int64_t ts)
{
    h_pipe_ok(drv, "in", key, "x", ts);
}

static void commit_ok(kstream_test_driver_t *drv)
{
    kstream_err_t err = kstream_test_driver_commit(drv);
    cr_assert(err == KSTREAM_OK, "commit: %s: %s", kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

static void wall_ok(kstream_test_driver_t *drv, int64_t ms)
{
    kstream_err_t err = kstream_test_driver_advance_wall_clock(drv, ms);
    cr_assert(err == KSTREAM_OK, "advance_wall_clock: %s: %s",
              kstream_err2name(err), kstream_test_driver_last_error(drv));
}

/* ---- until the window closes ------------------------------------------------- */
Test(suppress_impl, tumbling_count_emits_each_window_once_with_its_final_count)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_tumbling(10, 0), 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "k1", 0);
    pipe_in(drv, "k1", 3);
    pipe_in(drv, "k2", 4);
    pipe_in(drv, "k1", 5);
    pipe_in(drv, "k1", 9);
    /* Intermediate updates stay in the buffer. */
    expect_out(drv, K_TIME, "");
    /* Stream time 10 = end of [0,10) + grace 0: both windows close, in key
     * order, each with its newest record's timestamp. */
    pipe_in(drv, "k1", 10);
    expect_out(drv, K_TIME, "k1@0=4/9 k2@0=1/4");
    pipe_in(drv, "k2", 19);
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "k3", 35);
    expect_out(drv, K_TIME, "k1@10=1/10 k2@10=1/19");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, grace_delays_the_emission_and_late_records_change_nothing)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_tumbling(10, 5), 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "a", 2);
    pipe_in(drv, "b", 12);
    pipe_in(drv, "a", 8); /* out of order, within grace */
    pipe_in(drv, "b", 14);
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "b", 15); /* 10 + 5: [0,10) closes */
    expect_out(drv, K_TIME, "a@0=2/8");
    pipe_in(drv, "a", 9); /* late: dropped by the aggregation */
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    pipe_in(drv, "b", 25);
    expect_out(drv, K_TIME, "b@10=3/15");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, session_windows_emit_merged_sessions_and_no_tombstones)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_session(5, 10), 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "k", 0);  /* [0,0] */
    pipe_in(drv, "k", 8);  /* [8,8] */
    pipe_in(drv, "k", 4);  /* merges both: [0,8], tombstones for the two */
    pipe_in(drv, "j", 10); /* [10,10] */
    pipe_in(drv, "j", 13); /* [10,13] */
    pipe_in(drv, "z", 23);
    expect_out(drv, K_SESSION, "");
    /* [0,8] closes once stream time passes 8 + gap 5 + grace 10. */
    pipe_in(drv, "z", 24);
    expect_out(drv, K_SESSION, "k[0,8]=3/8");
    pipe_in(drv, "z", 100);
    expect_out(drv, K_SESSION, "j[10,13]=2/13 z[23,24]=2/24");
    kstream_test_driver_destroy(drv);
}

/* Sliding windows include their end: [0,10] still takes a record at 10
 * while stream time is 10, so it is emitted at 11. */
Test(suppress_impl, sliding_windows_close_after_their_inclusive_end)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_sliding(10, 0), 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "a", 5);
    pipe_in(drv, "z", 10);
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "a", 10); /* still in [0,10] */
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "z", 11);
    expect_out(drv, K_TIME, "a@0=2/10 z@0=1/10");
    kstream_test_driver_destroy(drv);
}

/* Append s to dst, space-separated. */
static void append(char *dst, size_t size, const char *s)
{
    size_t used = strlen(dst), n = strlen(s);
    if (!n)
        return;
    cr_assert(used + n + 2 < size, "output too long");
    if (used)
        dst[used++] = ' ';
    memcpy(dst + used, s, n + 1);
}

/* The same final outputs with rocksdb / in_memory and cache off / on (the
 * cache's updates reach the buffer on commit). */
Test(suppress_impl, same_final_results_in_every_configuration)
{
    static const int64_t ts[] = {0, 3, 12, 7, 15, 21, 22, 9, 30, 44, 41, 52};
    static const char *keys[] = {"a", "b", "a", "a", "b", "a",
                                 "b", "b", "a", "b", "a", "a"};
    char expected[8192] = "";
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv =
                drv_cfg(final_topo(kstream_windows_hopping(10, 5, 3), 0, 0,
                                   KSTREAM_BUFFER_FAIL),
                        cfg, NULL);
        outs_t o;
        char got[8192] = "";
        for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
            pipe_in(drv, keys[i], ts[i]);
            if (i % 4 == 3)
                commit_ok(drv);
            append(got, sizeof(got), drain(drv, K_TIME, &o));
        }
        commit_ok(drv);
        pipe_in(drv, "z", 1000);
        commit_ok(drv);
        append(got, sizeof(got), drain(drv, K_TIME, &o));
        /* Every window of a and b exactly once. */
        if (cfg == 0)
            memcpy(expected, got, sizeof(got));
        else
            cr_assert(eq(str, got, expected), "configuration %d", cfg);
        kstream_test_driver_destroy(drv);
    }
    /* a: 0,12,7,21,30,41,52 b: 3,15,22,9,44 (hopping 10/5: each record in
     * two windows). Spot checks of the counts. */
    cr_assert(h_contains(expected, "a@0=2/7"), "%s", expected);
    cr_assert(h_contains(expected, "a@5=2/12"), "%s", expected);
    cr_assert(h_contains(expected, "b@0=1/3"), "%s", expected); /* 9 late */
    cr_assert(h_contains(expected, "a@50=1/52"), "%s", expected);
    cr_assert(h_contains(expected, "z@") == false, "%s", expected);
}

Test(suppress_impl, with_the_cache_the_final_count_comes_on_commit)
{
    kstream_test_driver_t *drv = drv_cfg(
            final_topo(kstream_windows_tumbling(10, 0), 0, 0,
                       KSTREAM_BUFFER_FAIL),
            3, NULL);
    pipe_in(drv, "k", 1);
    commit_ok(drv); /* k@0=1 reaches the buffer */
    pipe_in(drv, "k", 2);
    pipe_in(drv, "k", 25); /* closes [0,10) while k@0=2 is in the cache */
    expect_out(drv, K_TIME, "");
    commit_ok(drv);
    expect_out(drv, K_TIME, "k@0=2/2");
    kstream_test_driver_destroy(drv);
}

/* ---- until the time limit ------------------------------------------------------ */
static void pipe_t(kstream_test_driver_t *drv, const char *key,
                   const char *value, int64_t ts)
{
    h_pipe_ok(drv, "tin", key, value, ts);
}

Test(suppress_impl, time_limit_emits_the_latest_value_after_the_first_update)
{
    kstream_test_driver_t *drv =
            drv_plain(limit_topo(10, 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_t(drv, "a", "1", 0);
    pipe_t(drv, "a", "2", 3);
    pipe_t(drv, "b", "1", 5);
    expect_out(drv, K_PLAIN, "");
    pipe_t(drv, "a", "3", 9);
    expect_out(drv, K_PLAIN, "");
    pipe_t(drv, "c", "1", 10); /* a: first update at 0 + 10 */
    expect_out(drv, K_PLAIN, "a=3/9");
    pipe_t(drv, "a", "4", 11); /* a again: due at 21 */
    pipe_t(drv, "b", NULL, 14);
    pipe_t(drv, "c", "2", 15); /* b due at 15: its tombstone */
    expect_out(drv, K_PLAIN, "b=null/14");
    pipe_t(drv, "d", "1", 21);
    expect_out(drv, K_PLAIN, "c=2/15 a=4/11");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, zero_time_limit_emits_at_once)
{
    kstream_test_driver_t *drv =
            drv_plain(limit_topo(0, 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_t(drv, "a", "1", 5);
    expect_out(drv, K_PLAIN, "a=1/5");
    pipe_t(drv, "a", "2", 3);
    expect_out(drv, K_PLAIN, "a=2/3");
    kstream_test_driver_destroy(drv);
}

/* value -> key: count rows per value */
static kstream_err_t by_value(const kstream_record_t *in,
                              kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len);
}

/* Downstream retractions see the value they saw last (the prior value),
 * not an intermediate one they never saw. */
Test(suppress_impl, the_old_value_is_what_downstream_saw_last)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "tin", "t");
    kstream_table_t *sup = kstream_table_suppress_until_time_limit(
            t, 10, 0, 0, KSTREAM_BUFFER_FAIL, "sup");
    kstream_table_t *cnt = kstream_grouped_table_count(
            kstream_table_group_by(sup, by_value, NULL, NULL, "regroup"),
            "per-value");
    cr_assert(cnt != NULL, "%s", kstream_builder_error(b));
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(cnt, "ts"), "out",
                                   "sink"),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = drv_plain(b);
    pipe_t(drv, "k", "A", 0);
    pipe_t(drv, "k", "B", 1);
    pipe_t(drv, "x", "-", 10); /* emits k=B (old: none) */
    pipe_t(drv, "k", "C", 20); /* buffered with prior B */
    pipe_t(drv, "k", "D", 21); /* old C, prior still B */
    pipe_t(drv, "x", "-", 30); /* emits x=- and k=D (old B) */
    pipe_t(drv, "y", "-", 40);
    outs_t o;
    const char *got = drain(drv, K_PLAIN, &o);
    /* B counted once then retracted; C never appears. */
    cr_assert(h_contains(got, "B=1/"), "%s", got);
    cr_assert(h_contains(got, "B=0/"), "%s", got);
    cr_assert(h_contains(got, "D=1/"), "%s", got);
    cr_assert(h_contains(got, "C=") == false, "%s", got);
    cr_assert(h_contains(got, "A=") == false, "%s", got);
    kstream_test_driver_destroy(drv);
}

/* ---- buffer bounds -------------------------------------------------------------- */
Test(suppress_impl, full_buffer_emits_the_oldest_early)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_tumbling(10, 0), 2, 0,
            KSTREAM_BUFFER_EMIT_EARLY));
    pipe_in(drv, "k1", 0);
    pipe_in(drv, "k2", 1);
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "k3", 2); /* 3 > 2: the first due (key order on ties) */
    expect_out(drv, K_TIME, "k1@0=1/0");
    pipe_in(drv, "k2", 3); /* an update: still 2 buffered */
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "k4", 12); /* closes [0,10): k2, k3; k4 buffered */
    expect_out(drv, K_TIME, "k2@0=2/3 k3@0=1/2");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, byte_bound_emits_early_too)
{
    /* An entry: windowed key (2 + 8) + count (8) + 25 = 43 bytes. */
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_tumbling(10, 0), 0, 100,
            KSTREAM_BUFFER_EMIT_EARLY));
    pipe_in(drv, "k1", 0);
    pipe_in(drv, "k2", 0);
    expect_out(drv, K_TIME, "");
    pipe_in(drv, "k3", 0);
    expect_out(drv, K_TIME, "k1@0=1/0");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, full_buffer_with_fail_stops_the_app)
{
    kstream_test_driver_t *drv = drv_plain(
            final_topo(kstream_windows_tumbling(10, 0), 2, 0,
                       KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "k1", 0);
    pipe_in(drv, "k2", 1);
    kstream_err_t err = h_pipe(drv, "in", "k3", "x", 2);
    cr_assert(eq(int, err, KSTREAM_ERR_TOO_LARGE), "%s",
              kstream_err2name(err));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "sup") && h_contains(msg, "full"), "%s", msg);
    cr_assert(eq(int, h_pipe(drv, "in", "k4", "x", 3), KSTREAM_ERR_FAILED));
    expect_out(drv, K_TIME, "");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, full_buffer_with_fail_and_continue_handler_counts_errors)
{
    kstream_test_driver_t *drv = h_driver(
            final_topo(kstream_windows_tumbling(10, 0), 1, 0,
                       KSTREAM_BUFFER_FAIL),
            "cache.max.bytes.buffering", "0",
            "processing.exception.handler", "continue", NULL);
    pipe_in(drv, "k1", 0);
    pipe_in(drv, "k2", 1); /* over the bound: fails, stays buffered */
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    pipe_in(drv, "k1", 10); /* both close; k1@10 fits again */
    expect_out(drv, K_TIME, "k1@0=1/0 k2@0=1/1");
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- idle advance (window.idle.close.ms) ------------------------------------- */
Test(suppress_impl, idle_input_closes_windows_after_the_idle_time)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv =
                drv_cfg(final_topo(kstream_windows_tumbling(10, 0), 0, 0,
                                   KSTREAM_BUFFER_FAIL),
                        cfg, "1000");
        pipe_in(drv, "k", 0);
        pipe_in(drv, "k", 5);
        wall_ok(drv, 999);
        expect_out(drv, K_TIME, "");
        /* 1000 ms without records: stream time 5 + 1000 closes [0,10). */
        wall_ok(drv, 1);
        expect_out(drv, K_TIME, "k@0=2/5");
        wall_ok(drv, 5000);
        expect_out(drv, K_TIME, "");
        /* The window is closed for the aggregation too. */
        pipe_in(drv, "k", 6);
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1),
                  "configuration %d", cfg);
        pipe_in(drv, "k", 6010); /* a new window */
        wall_ok(drv, 1000);
        expect_out(drv, K_TIME, "k@6010=1/6010");
        kstream_test_driver_destroy(drv);
    }
}

Test(suppress_impl, idle_time_counts_from_the_last_record)
{
    kstream_test_driver_t *drv = drv_cfg(
            final_topo(kstream_windows_tumbling(100, 0), 0, 0,
                       KSTREAM_BUFFER_FAIL),
            1, "50");
    pipe_in(drv, "k", 10);
    wall_ok(drv, 40);
    pipe_in(drv, "k", 20); /* wall 40: restarts the idle time */
    wall_ok(drv, 49);
    expect_out(drv, K_TIME, "");
    wall_ok(drv, 1); /* idle 50: stream time 20 + 50 = 70 < 100 */
    expect_out(drv, K_TIME, "");
    wall_ok(drv, 29); /* 20 + 79 */
    expect_out(drv, K_TIME, "");
    wall_ok(drv, 1); /* 20 + 80 = 100 */
    expect_out(drv, K_TIME, "k@0=2/20");
    kstream_test_driver_destroy(drv);
}

Test(suppress_impl, without_idle_close_quiet_windows_stay_open)
{
    kstream_test_driver_t *drv = drv_plain(final_topo(
            kstream_windows_tumbling(10, 0), 0, 0, KSTREAM_BUFFER_FAIL));
    pipe_in(drv, "k", 0);
    wall_ok(drv, 10000000);
    expect_out(drv, K_TIME, "");
    kstream_test_driver_destroy(drv);
}

static int punct_times[8];
static int npunct;
static kstream_err_t note_punct(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    (void)ctx;
    (void)opaque;
    if (npunct < 8)
        punct_times[npunct++] = (int)ts;
    return KSTREAM_OK;
}

static kstream_err_t sched_init(kstream_ctx_t *ctx, void *opaque,
                                void **state)
{
    (void)state;
    (void)opaque;
    return kstream_ctx_schedule(ctx, 100, KSTREAM_PUNCTUATE_STREAM_TIME,
                                note_punct, NULL, NULL);
}

Test(suppress_impl, idle_advance_does_not_fire_stream_time_punctuators)
{
    /* An idle advance closes windows only: the stream time stays, and
     * stream-time punctuators wait for records (wall-clock punctuators
     * are for quiet inputs). */
    npunct = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    kstream_processor_t proc = {.init = sched_init,
                                .process = h_proc_forward};
    cr_assert(kstream_stream_process(s, &proc, NULL, NULL, NULL, 0,
                                     "proc") != NULL,
              "%s", kstream_builder_error(b));
    kstream_test_driver_t *drv = h_driver(b, "window.idle.close.ms", "500",
                                          NULL);
    pipe_in(drv, "k", 150); /* fires at 100 (aligned to 0) */
    cr_assert(eq(int, npunct, 1));
    cr_assert(eq(int, punct_times[0], 150));
    wall_ok(drv, 500); /* idle: stream time stays 150 */
    cr_assert(eq(int, npunct, 1));
    wall_ok(drv, 5000);
    cr_assert(eq(int, npunct, 1));
    pipe_in(drv, "k", 199);
    cr_assert(eq(int, npunct, 1));
    pipe_in(drv, "k", 200);
    cr_assert(eq(int, npunct, 2));
    cr_assert(eq(int, punct_times[1], 200));
    kstream_test_driver_destroy(drv);
}

/* ---- arguments --------------------------------------------------------------------- */
static void expect_builder_error(kstream_builder_t *b, const char *needle)
{
    const char *e = kstream_builder_error(b);
    cr_assert(e != NULL, "no builder error");
    cr_assert(h_contains(e, needle), "'%s' does not mention '%s'", e, needle);
    kstream_builder_destroy(b);
}

Test(suppress_impl, until_window_closes_needs_a_windowed_table)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "tin", "t");
    cr_assert(kstream_table_suppress_until_window_closes(
                      t, 0, 0, KSTREAM_BUFFER_FAIL, "sup") == NULL);
    expect_builder_error(b, "not a windowed table");
}

Test(suppress_impl, suppression_needs_a_name_and_valid_arguments)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "tin", "t");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, 10, 0, 0, KSTREAM_BUFFER_FAIL, NULL) == NULL);
    expect_builder_error(b, "name");

    b = kstream_builder_new();
    t = kstream_builder_table(b, "tin", "t");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, -1, 0, 0, KSTREAM_BUFFER_FAIL, "sup") == NULL);
    expect_builder_error(b, "time limit");

    b = kstream_builder_new();
    t = kstream_builder_table(b, "tin", "t");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, 10, 0, 0, (kstream_buffer_full_t)7, "sup") == NULL);
    expect_builder_error(b, "when_full");

    b = kstream_builder_new();
    t = kstream_builder_table(b, "tin", "t");
    cr_assert(kstream_table_suppress_until_time_limit(
                      t, 10, 0, 0, KSTREAM_BUFFER_FAIL, "t") == NULL);
    expect_builder_error(b, "exists");

    cr_assert(kstream_table_suppress_until_window_closes(
                      NULL, 0, 0, KSTREAM_BUFFER_FAIL, "x") == NULL);
    cr_assert(kstream_table_suppress_until_time_limit(
                      NULL, 1, 0, 0, KSTREAM_BUFFER_FAIL, "x") == NULL);
}

Test(suppress_impl, the_buffer_has_a_changelog)
{
    kstream_test_driver_t *drv = h_driver(
            final_topo(kstream_windows_tumbling(10, 0), 0, 0,
                       KSTREAM_BUFFER_FAIL),
            "application.id", "app", "cache.max.bytes.buffering", "0",
            NULL);
    pipe_in(drv, "k", 1);
    /* The put of k@0=1, then (closing) its delete. */
    const kstream_record_t *rec = h_read(drv, "app-sup-changelog");
    cr_assert(kstream_record_value(rec).data != NULL);
    pipe_in(drv, "k", 11);
    int n = h_drain(drv, "app-sup-changelog");
    cr_assert(n >= 2, "%d", n); /* k@0 deleted, k@10 put */
    kstream_test_driver_destroy(drv);
}
