/* test_punctuate.c - punctuators through the test driver, with Kafka
 * Streams semantics:
 *  - stream time: aligned to 0, fires at most once per record, after the
 *    record is processed, with the current stream time; missed intervals
 *    are skipped; out-of-order records and the wall clock do not fire it;
 *  - wall clock: fires on kstream_test_driver_advance_wall_clock(), every
 *    interval from when it was scheduled;
 *  - cancel. */
#include "helpers.h"

TestSuite(punctuate, .timeout = 10);

typedef struct sched {
    int64_t stream_interval; /* 0: none */
    int64_t wall_interval;   /* 0: none */
    bool in_process;         /* schedule on the first record, not in init */
    bool forward_ticks;      /* punctuators forward a "tick" record */
    bool log_partition;      /* log "S<partition>@<ts>" */
    bool scheduled;
    uint64_t stream_id, wall_id;
    kstream_err_t cancel_err[2];
    kstream_err_t schedule_err;
    h_log_t log;
} sched_t;

static kstream_err_t punct_cb(kstream_ctx_t *ctx, int64_t ts, void *opaque,
                              char kind)
{
    sched_t *s = (sched_t *)opaque;
    if (s->log_partition)
        h_logf(&s->log, "%c%d@%lld;", kind, (int)kstream_ctx_partition(ctx),
               (long long)ts);
    else
        h_logf(&s->log, "%c%lld;", kind, (long long)ts);
    if (!s->forward_ticks)
        return KSTREAM_OK;
    kstream_record_t *rec = kstream_ctx_record_new(ctx, NULL);
    if (rec == NULL)
        return KSTREAM_ERR_USER;
    if (kstream_record_topic(rec) != NULL)
        h_logf(&s->log, "topic-not-null;");
    kstream_err_t err = kstream_record_set_key(rec, kind == 'S' ? "S" : "W",
                                               1);
    if (!err)
        err = kstream_ctx_forward(ctx, rec);
    return err;
}

static kstream_err_t stream_punct(kstream_ctx_t *ctx, int64_t ts,
                                  void *opaque)
{
    return punct_cb(ctx, ts, opaque, 'S');
}

static kstream_err_t wall_punct(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    return punct_cb(ctx, ts, opaque, 'W');
}

static kstream_err_t do_schedule(kstream_ctx_t *ctx, sched_t *s)
{
    kstream_err_t err = KSTREAM_OK;
    if (s->stream_interval > 0)
        err = kstream_ctx_schedule(ctx, s->stream_interval,
                                   KSTREAM_PUNCTUATE_STREAM_TIME,
                                   stream_punct, s, &s->stream_id);
    if (!err && s->wall_interval > 0)
        err = kstream_ctx_schedule(ctx, s->wall_interval,
                                   KSTREAM_PUNCTUATE_WALL_CLOCK, wall_punct,
                                   s, &s->wall_id);
    s->schedule_err = err;
    s->scheduled = true;
    return err;
}

static kstream_err_t sched_init(kstream_ctx_t *ctx, void *opaque,
                                void **state)
{
    sched_t *s = (sched_t *)opaque;
    *state = s;
    if (s->in_process)
        return KSTREAM_OK;
    return do_schedule(ctx, s);
}

/* Logs "p<ts>;". Value "cancel" cancels both punctuators (twice). */
static kstream_err_t sched_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec, void *state)
{
    sched_t *s = (sched_t *)state;
    if (s->in_process && !s->scheduled) {
        kstream_err_t err = do_schedule(ctx, s);
        if (err)
            return err;
    }
    h_logf(&s->log, "p%lld;", (long long)kstream_record_timestamp(rec));
    if (h_bytes_is(kstream_record_value(rec), "cancel")) {
        uint64_t id = s->stream_interval > 0 ? s->stream_id : s->wall_id;
        s->cancel_err[0] = kstream_ctx_cancel(ctx, id);
        s->cancel_err[1] = kstream_ctx_cancel(ctx, id);
    }
    return KSTREAM_OK;
}

static const kstream_processor_t sched_proc = {sched_init, sched_process,
                                               NULL};

static kstream_test_driver_t *sched_driver(sched_t *s)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    st = kstream_stream_process(st, &sched_proc, s, NULL, NULL, 0, "proc");
    kstream_stream_to(st, "ticks", NULL);
    return h_driver(b, "test.wall.clock.start.ms", "1000", NULL);
}

static void pipe_ts(kstream_test_driver_t *drv, int64_t ts)
{
    h_pipe_ok(drv, "in", "k", "v", ts);
}

static void advance(kstream_test_driver_t *drv, int64_t ms)
{
    kstream_err_t err = kstream_test_driver_advance_wall_clock(drv, ms);
    cr_assert(err == KSTREAM_OK, "advance_wall_clock(%lld): %s",
              (long long)ms, kstream_err2name(err));
}

/* ---- stream time ------------------------------------------------------ */

Test(punctuate, stream_time_punctuator_fires_on_the_first_record)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    cr_assert(eq(int, s.schedule_err, KSTREAM_OK));
    /* aligned to 0: the first punctuation is due at 0 */
    cr_assert(eq(str, s.log.text, "p5;S5;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, stream_time_punctuator_fires_after_the_record_with_stream_time)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    s.log.text[0] = '\0';
    pipe_ts(drv, 12);
    pipe_ts(drv, 15);
    pipe_ts(drv, 19);
    pipe_ts(drv, 20);
    cr_assert(eq(str, s.log.text, "p12;S12;p15;p19;p20;S20;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, stream_time_punctuator_is_aligned_to_zero)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 15);
    s.log.text[0] = '\0';
    pipe_ts(drv, 19);
    pipe_ts(drv, 20); /* 20 is a multiple of 10: due, not 25 */
    pipe_ts(drv, 29);
    pipe_ts(drv, 30);
    cr_assert(eq(str, s.log.text, "p19;p20;S20;p29;p30;S30;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, stream_time_punctuator_skips_missed_intervals)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    s.log.text[0] = '\0';
    pipe_ts(drv, 47); /* 10, 20, 30, 40 missed: one punctuation */
    pipe_ts(drv, 49);
    pipe_ts(drv, 50);
    pipe_ts(drv, 1000);
    pipe_ts(drv, 1009);
    pipe_ts(drv, 1010);
    cr_assert(eq(str, s.log.text,
                 "p47;S47;p49;p50;S50;p1000;S1000;p1009;p1010;S1010;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, out_of_order_records_do_not_fire_stream_time_punctuators)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    pipe_ts(drv, 47);
    s.log.text[0] = '\0';
    pipe_ts(drv, 30);
    pipe_ts(drv, 2);
    pipe_ts(drv, 49);
    cr_assert(eq(str, s.log.text, "p30;p2;p49;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, wall_clock_does_not_fire_stream_time_punctuators)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    s.log.text[0] = '\0';
    advance(drv, 100000);
    cr_assert(eq(str, s.log.text, ""));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, stream_time_is_per_task)
{
    sched_t s = {.stream_interval = 10, .log_partition = true};
    kstream_test_driver_t *drv = sched_driver(&s);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 0, "k", "v", 100);
    h_pipe_p_ok(drv, "in", 1, "k", "v", 5);
    h_pipe_p_ok(drv, "in", 1, "k", "v", 12);
    h_pipe_p_ok(drv, "in", 0, "k", "v", 105);
    cr_assert(eq(str, s.log.text, "p100;S0@100;p5;S1@5;p12;S1@12;p105;"));
    kstream_test_driver_destroy(drv);
}

/* ---- wall clock ------------------------------------------------------- */

Test(punctuate, wall_clock_punctuator_fires_every_interval_from_schedule)
{
    sched_t s = {.wall_interval = 100};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 1); /* the task (and the punctuator) exists now */
    cr_assert(eq(int, s.schedule_err, KSTREAM_OK));
    advance(drv, 50);
    cr_assert(eq(str, s.log.text, "p1;"));
    advance(drv, 49);
    cr_assert(eq(str, s.log.text, "p1;"));
    advance(drv, 1);
    cr_assert(eq(str, s.log.text, "p1;W1100;"));
    advance(drv, 100);
    cr_assert(eq(str, s.log.text, "p1;W1100;W1200;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, records_do_not_fire_wall_clock_punctuators)
{
    sched_t s = {.wall_interval = 100};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 1);
    pipe_ts(drv, 100000);
    pipe_ts(drv, 200000);
    cr_assert(eq(str, s.log.text, "p1;p100000;p200000;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, wall_clock_punctuator_starts_one_interval_after_scheduling)
{
    sched_t s = {.wall_interval = 100, .in_process = true};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 1); /* schedules a first punctuator at 1000 */
    s.log.text[0] = '\0';
    s.scheduled = false; /* schedule a second one on the next record */
    advance(drv, 30);
    pipe_ts(drv, 2); /* the second is scheduled at 1030 */
    cr_assert(eq(int, s.schedule_err, KSTREAM_OK));
    advance(drv, 99); /* 1129 */
    /* the first punctuator (scheduled at 1000, due at 1100) fires with the
     * wall-clock time that fired it, as Kafka Streams does */
    cr_assert(eq(str, s.log.text, "p2;W1129;"));
    s.log.text[0] = '\0';
    advance(drv, 1); /* 1130: the second one */
    cr_assert(eq(str, s.log.text, "W1130;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, wall_clock_punctuator_after_a_long_jump_keeps_its_grid)
{
    sched_t s = {.wall_interval = 100};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 1);
    s.log.text[0] = '\0';
    advance(drv, 350); /* 1350: 1100, 1200, 1300 were due */
    cr_assert(s.log.text[0] == 'W', "no punctuation after a long jump");
    s.log.text[0] = '\0';
    advance(drv, 49); /* 1399 */
    cr_assert(eq(str, s.log.text, ""));
    advance(drv, 1); /* 1400 */
    cr_assert(eq(str, s.log.text, "W1400;"));
    kstream_test_driver_destroy(drv);
}

/* ---- cancel, forwarding, metrics -------------------------------------- */

Test(punctuate, cancel_stops_a_stream_time_punctuator)
{
    sched_t s = {.stream_interval = 10};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    s.log.text[0] = '\0';
    cr_assert(eq(int,
                 kstream_test_driver_pipe(drv, "in", "k", 1, "cancel", 6, 8),
                 KSTREAM_OK));
    pipe_ts(drv, 100);
    cr_assert(eq(int, s.cancel_err[0], KSTREAM_OK));
    cr_assert(eq(int, s.cancel_err[1], KSTREAM_ERR_NOT_FOUND),
              "a second cancel of the same id");
    cr_assert(eq(str, s.log.text, "p8;p100;"));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, cancel_stops_a_wall_clock_punctuator)
{
    sched_t s = {.wall_interval = 100};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 1);
    advance(drv, 100);
    cr_assert(eq(str, s.log.text, "p1;W1100;"));
    s.log.text[0] = '\0';
    cr_assert(eq(int,
                 kstream_test_driver_pipe(drv, "in", "k", 1, "cancel", 6, 2),
                 KSTREAM_OK));
    advance(drv, 1000);
    cr_assert(eq(int, s.cancel_err[0], KSTREAM_OK));
    cr_assert(eq(str, s.log.text, "p2;"));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t init_cancel_unknown(kstream_ctx_t *ctx, void *opaque,
                                         void **state)
{
    kstream_err_t *err = (kstream_err_t *)opaque;
    *state = opaque;
    *err = kstream_ctx_cancel(ctx, 987654321u);
    return KSTREAM_OK;
}

Test(punctuate, cancel_of_an_unknown_id_is_not_found)
{
    kstream_err_t err = KSTREAM_OK;
    kstream_processor_t proc = {init_cancel_unknown, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, &err, NULL, NULL, 0, "proc");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_ts(drv, 1);
    cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

Test(punctuate, punctuators_forward_records_with_the_punctuation_time)
{
    sched_t s = {.stream_interval = 10, .wall_interval = 100,
                 .forward_ticks = true};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);
    advance(drv, 100);
    h_expect_ts(drv, "ticks", "S", NULL, 5);
    h_expect_ts(drv, "ticks", "W", NULL, 1100);
    h_expect_empty(drv, "ticks");
    cr_assert(h_contains(s.log.text, "topic-not-null") == false,
              "a punctuator's record has a source topic");
    kstream_test_driver_destroy(drv);
}

Test(punctuate, punctuations_are_counted)
{
    sched_t s = {.stream_interval = 10, .wall_interval = 100};
    kstream_test_driver_t *drv = sched_driver(&s);
    pipe_ts(drv, 5);   /* S */
    pipe_ts(drv, 25);  /* S */
    advance(drv, 100); /* W */
    cr_assert(eq(i64, h_metric(drv, "punctuations"), 3));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t stream_punct_checks_time(kstream_ctx_t *ctx, int64_t ts,
                                              void *opaque)
{
    h_log_t *log = (h_log_t *)opaque;
    h_logf(log, "%lld=%lld;", (long long)ts,
           (long long)kstream_ctx_stream_time(ctx));
    return KSTREAM_OK;
}

static kstream_err_t init_schedule_check(kstream_ctx_t *ctx, void *opaque,
                                         void **state)
{
    *state = opaque;
    return kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_STREAM_TIME,
                                stream_punct_checks_time, opaque, NULL);
}

Test(punctuate, stream_time_punctuator_sees_the_stream_time_and_null_id_ok)
{
    h_log_t log = {{0}};
    kstream_processor_t proc = {init_schedule_check, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, &log, NULL, NULL, 0, "proc");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    pipe_ts(drv, 5);
    pipe_ts(drv, 33);
    cr_assert(eq(str, log.text, "5=5;33=33;"));
    kstream_test_driver_destroy(drv);
}
