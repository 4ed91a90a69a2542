/* test_edge.c - edge cases through the test driver: large and many
 * records, forwarding a record then changing it, punctuators that cancel
 * themselves or fail, extreme timestamps and clock jumps, negative input
 * timestamps under each deserialization handler, NULL keys through a
 * repartition topic. */
#include <stdlib.h>

#include "helpers.h"

TestSuite(edge, .timeout = 10);

/* ---- sizes --------------------------------------------------------------- */

static kstream_err_t flat_many(const kstream_record_t *in,
                               kstream_records_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    int n = atoi(v.data ? (const char *)v.data : "0");
    char big[1024];
    for (int i = 0; i < n; i++) {
        kstream_record_t *r = kstream_records_add(out);
        if (r == NULL)
            return KSTREAM_ERR_USER;
        memset(big, 'a' + i % 26, sizeof(big));
        int len = snprintf(big, 16, "%06d", i);
        big[len] = '-';
        kstream_err_t err = kstream_record_set_value(r, big, sizeof(big));
        if (!err)
            err = kstream_record_set_key(r, big, 6);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

Test(edge, flat_map_can_emit_a_thousand_large_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map(s, flat_many, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    for (int round = 0; round < 2; round++) {
        h_pipe_ok(drv, "in", "k", "1000", round);
        for (int i = 0; i < 1000; i++) {
            const kstream_record_t *rec = h_read(drv, "out");
            char want[16];
            snprintf(want, sizeof(want), "%06d", i);
            kstream_bytes_t k = kstream_record_key(rec);
            kstream_bytes_t v = kstream_record_value(rec);
            cr_assert(k.len == 6 && memcmp(k.data, want, 6) == 0);
            cr_assert(eq(sz, v.len, 1024));
            const char *p = (const char *)v.data;
            cr_assert(memcmp(p, want, 6) == 0 && p[6] == '-');
            cr_assert(p[1023] == 'a' + i % 26, "record %d tail corrupted", i);
        }
        h_expect_empty(drv, "out");
    }
    kstream_test_driver_destroy(drv);
}

Test(edge, a_one_mebibyte_value_passes_unchanged)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, h_map_identity, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    size_t n = 1 << 20;
    unsigned char *big = malloc(n);
    cr_assert(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 31 + 7);
    cr_assert(eq(int, kstream_test_driver_pipe(drv, "in", big, 1000, big, n, 1),
                 KSTREAM_OK));
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert(k.len == 1000 && memcmp(k.data, big, 1000) == 0);
    cr_assert(v.len == n && memcmp(v.data, big, n) == 0);
    free(big);
    kstream_test_driver_destroy(drv);
}

Test(edge, many_records_in_steady_state)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    char key[32], val[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "k%d", i % 100);
        snprintf(val, sizeof(val), "v%d", i);
        h_pipe_ok(drv, "in", key, val, i);
        if (i % 1000 == 999) {
            for (int j = i - 999; j <= i; j++) {
                snprintf(key, sizeof(key), "k%d", j % 100);
                snprintf(val, sizeof(val), "v%d", j);
                h_expect(drv, "out", key, val);
            }
        }
    }
    cr_assert(eq(i64, h_metric(drv, "records-processed"), 20000));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t map_many_headers(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "h%d", i);
        kstream_err_t err = kstream_record_header_add(out, name, name,
                                                      strlen(name));
        if (err)
            return err;
    }
    for (int i = 0; i < 200; i += 2) {
        snprintf(name, sizeof(name), "h%d", i);
        kstream_err_t err = kstream_record_header_remove(out, name);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

Test(edge, two_hundred_headers_added_and_half_removed)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, map_many_headers, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    const kstream_record_t *rec = h_read(drv, "out");
    cr_assert(eq(sz, kstream_record_header_count(rec), 100));
    for (size_t i = 0; i < 100; i++) {
        const char *name = NULL;
        kstream_bytes_t v;
        char want[32];
        snprintf(want, sizeof(want), "h%zu", 2 * i + 1);
        cr_assert(eq(int, kstream_record_header_at(rec, i, &name, &v),
                     KSTREAM_OK));
        cr_assert(eq(str, (char *)name, want));
        cr_assert(h_bytes_is(v, want));
    }
    kstream_test_driver_destroy(drv);
}

/* ---- forward is synchronous: a record may change after forward -------- */

static kstream_err_t process_forward_then_change(kstream_ctx_t *ctx,
                                                 const kstream_record_t *rec,
                                                 void *state)
{
    (void)state;
    kstream_record_t *r = kstream_ctx_record_new(ctx, rec);
    if (r == NULL)
        return KSTREAM_ERR_USER;
    kstream_err_t err = kstream_record_set_value(r, "first", 5);
    if (!err)
        err = kstream_ctx_forward(ctx, r);
    if (!err)
        err = kstream_record_set_value(r, "second", 6);
    if (!err)
        err = kstream_record_header_add(r, "n", "2", 1);
    if (!err)
        err = kstream_ctx_forward(ctx, r);
    return err;
}

Test(edge, a_forwarded_record_can_be_changed_and_forwarded_again)
{
    kstream_processor_t proc = {NULL, process_forward_then_change, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &proc, NULL, NULL, NULL, 0, "p");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    const kstream_record_t *rec = h_expect(drv, "out", "k", "first");
    cr_assert(eq(sz, kstream_record_header_count(rec), 0));
    rec = h_expect(drv, "out", "k", "second");
    cr_assert(eq(sz, kstream_record_header_count(rec), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- punctuators that cancel themselves, fail, or schedule more ------ */

typedef struct self_cancel {
    uint64_t id;
    int fires;
    kstream_err_t cancel_err;
} self_cancel_t;

static kstream_err_t punct_cancel_self(kstream_ctx_t *ctx, int64_t ts,
                                       void *opaque)
{
    (void)ts;
    self_cancel_t *s = (self_cancel_t *)opaque;
    if (++s->fires == 2)
        s->cancel_err = kstream_ctx_cancel(ctx, s->id);
    return KSTREAM_OK;
}

static kstream_err_t init_self_cancel(kstream_ctx_t *ctx, void *opaque,
                                      void **state)
{
    self_cancel_t *s = (self_cancel_t *)opaque;
    *state = s;
    kstream_err_t err = kstream_ctx_schedule(ctx, 10,
                                             KSTREAM_PUNCTUATE_WALL_CLOCK,
                                             punct_cancel_self, s, &s->id);
    if (err)
        return err;
    /* a few more that stay, so the cancelled one sits among others */
    for (int i = 0; i < 5 && !err; i++)
        err = kstream_ctx_schedule(ctx, 7 + i, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                   h_punct_nop, NULL, NULL);
    return err;
}

Test(edge, a_punctuator_may_cancel_itself)
{
    self_cancel_t s = {0, 0, KSTREAM_ERR_STATE};
    kstream_processor_t proc = {init_self_cancel, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, &s, NULL, NULL, 0, "p");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    for (int i = 0; i < 10; i++)
        cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 10),
                     KSTREAM_OK));
    cr_assert(eq(int, s.fires, 2));
    cr_assert(eq(int, s.cancel_err, KSTREAM_OK));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t punct_fail(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    (void)ctx;
    (void)ts;
    (void)opaque;
    return KSTREAM_ERR_USER;
}

static kstream_err_t init_failing_punct(kstream_ctx_t *ctx, void *opaque,
                                        void **state)
{
    *state = opaque;
    return kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                punct_fail, NULL, NULL);
}

Test(edge, a_failing_punctuator_is_an_error_not_a_crash)
{
    kstream_processor_t proc = {init_failing_punct, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, NULL, NULL, NULL, 0, "failing-punct");
    kstream_test_driver_t *drv = h_driver(b, "processing.exception.handler",
                                          "fail", NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    kstream_err_t err = kstream_test_driver_advance_wall_clock(drv, 10);
    if (err != KSTREAM_OK) {
        const char *msg = kstream_test_driver_last_error(drv);
        cr_assert(h_contains(msg, "failing-punct"), "message: %s", msg);
    }
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_cancel_in_close_ctx(kstream_ctx_t *ctx,
                                                 const kstream_record_t *rec,
                                                 void *state)
{
    (void)state;
    return kstream_ctx_forward(ctx, rec);
}

static kstream_err_t init_schedule_both(kstream_ctx_t *ctx, void *opaque,
                                        void **state)
{
    uint64_t *id = (uint64_t *)opaque;
    *state = opaque;
    kstream_err_t err = kstream_ctx_schedule(
            ctx, 10, KSTREAM_PUNCTUATE_STREAM_TIME, h_punct_nop, NULL, id);
    if (!err)
        err = kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                   h_punct_nop, NULL, NULL);
    return err;
}

static void close_cancels(kstream_ctx_t *ctx, void *state)
{
    uint64_t *id = (uint64_t *)state;
    (void)kstream_ctx_cancel(ctx, *id); /* allowed or an error, no crash */
    (void)kstream_ctx_stream_time(ctx);
    (void)kstream_ctx_node_name(ctx);
}

Test(edge, context_calls_in_close_do_not_crash)
{
    uint64_t id = 0;
    kstream_processor_t proc = {init_schedule_both,
                                process_cancel_in_close_ctx, close_cancels};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, &id, NULL, NULL, 0, "p");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    kstream_test_driver_destroy(drv);
}

/* ---- extreme times ------------------------------------------------------ */

typedef struct fires {
    int n;
    int64_t last;
} fires_t;

static kstream_err_t punct_count(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    (void)ctx;
    fires_t *f = (fires_t *)opaque;
    f->n++;
    f->last = ts;
    return KSTREAM_OK;
}

static kstream_err_t init_stream_punct(kstream_ctx_t *ctx, void *opaque,
                                       void **state)
{
    *state = opaque;
    return kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_STREAM_TIME,
                                punct_count, opaque, NULL);
}

Test(edge, the_largest_timestamp_does_not_overflow_stream_time_punctuation)
{
    fires_t f = {0, -1};
    kstream_processor_t proc = {init_stream_punct, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    st = kstream_stream_process(st, &proc, &f, NULL, NULL, 0, "p");
    kstream_stream_to(st, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", INT64_MAX - 3);
    h_pipe_ok(drv, "in", "k", "v", INT64_MAX);
    cr_assert(f.n >= 1);
    h_expect_ts(drv, "out", "k", "v", INT64_MAX - 3);
    h_expect_ts(drv, "out", "k", "v", INT64_MAX);
    kstream_test_driver_destroy(drv);
}

static kstream_err_t init_wall_punct(kstream_ctx_t *ctx, void *opaque,
                                     void **state)
{
    *state = opaque;
    return kstream_ctx_schedule(ctx, 1, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                punct_count, opaque, NULL);
}

static kstream_test_driver_t *wall_punct_driver(fires_t *f)
{
    static const kstream_processor_t proc = {init_wall_punct, h_proc_forward,
                                             NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(st, &proc, f, NULL, NULL, 0, "p");
    kstream_test_driver_t *drv = h_driver(b, "test.wall.clock.start.ms",
                                          "1000", NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    return drv;
}

Test(edge, a_huge_wall_clock_jump_fires_once_without_looping)
{
    fires_t f = {0, -1};
    kstream_test_driver_t *drv = wall_punct_driver(&f);
    /* 10^12 intervals of 1 ms: must not fire once per missed interval */
    cr_assert(eq(int,
                 kstream_test_driver_advance_wall_clock(drv, 1000000000000LL),
                 KSTREAM_OK));
    cr_assert(f.n >= 1 && f.n <= 2, "fired %d times", f.n);
    cr_assert(eq(i64, kstream_test_driver_wall_clock(drv),
                 1000 + 1000000000000LL));
    kstream_test_driver_destroy(drv);
}

Test(edge, a_wall_clock_jump_past_int64_max_is_rejected_or_clamped)
{
    fires_t f = {0, -1};
    kstream_test_driver_t *drv = wall_punct_driver(&f);
    kstream_err_t err = kstream_test_driver_advance_wall_clock(drv, INT64_MAX);
    if (err == KSTREAM_OK)
        cr_assert(kstream_test_driver_wall_clock(drv) > 1000,
                  "the wall clock wrapped around");
    else
        cr_assert(eq(i64, kstream_test_driver_wall_clock(drv), 1000));
    kstream_test_driver_destroy(drv);
}

/* ---- negative timestamps --------------------------------------------- */

static kstream_builder_t *pass_through(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "in", NULL), "out", NULL);
    return b;
}

Test(edge, a_negative_pipe_timestamp_is_rejected_without_failing_driver)
{
    /* Kafka producers refuse negative timestamps: the record never
     * reaches the topic. */
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    cr_assert(ne(int, h_pipe(drv, "in", "k", "neg", -5), KSTREAM_OK));
    h_pipe_ok(drv, "in", "k", "pos", 5);
    h_expect(drv, "out", "k", "pos");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* The timestamp is -1 for the value "neg", else the record's. */
static kstream_err_t ts_neg(const kstream_record_t *rec, int64_t partition_time,
                            int64_t *ts, void *opaque)
{
    (void)partition_time;
    (void)opaque;
    *ts = h_bytes_is(kstream_record_value(rec), "neg")
                  ? -1
                  : kstream_record_timestamp(rec);
    return KSTREAM_OK;
}

Test(edge, a_negative_extracted_timestamp_with_dlq_goes_to_the_dlq_topic)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_set_timestamp_extractor(s, ts_neg, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(
            b, "default.deserialization.exception.handler", "dlq",
            "errors.deadletterqueue.topic.name", "dead", NULL);
    cr_assert(eq(int, h_pipe(drv, "in", "k", "neg", 4), KSTREAM_OK), "%s",
              kstream_test_driver_last_error(drv));
    h_pipe_ok(drv, "in", "k", "pos", 5);
    h_expect(drv, "out", "k", "pos");
    h_expect_empty(drv, "out");
    const kstream_record_t *rec = h_expect(drv, "dead", "k", "neg");
    cr_assert(h_has_header_containing(rec, "error"));
    cr_assert(eq(i64, h_metric(drv, "deserialization-errors"), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- NULL keys through a repartition topic ---------------------------- */

static kstream_err_t key_to_null(const kstream_record_t *in,
                                 kstream_record_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    return kstream_record_set_key(out, NULL, 0);
}

Test(edge, null_keys_through_a_repartition_topic_are_all_delivered)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, key_to_null, NULL, NULL, NULL);
    s = kstream_stream_repartition(s, 0, "nulls");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 3),
                 KSTREAM_OK));
    for (int i = 0; i < 9; i++)
        h_pipe_p_ok(drv, "in", i % 3, "k", "v", i);
    cr_assert(eq(int, h_drain(drv, "out"), 9));
    kstream_test_driver_destroy(drv);
}

Test(edge, two_independent_streams_are_two_subtopologies)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "a", NULL), "out-a", NULL);
    kstream_stream_to(kstream_builder_stream(b, "b", NULL), "out-b", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    int subs = 0;
    for (const char *p = text; (p = strstr(p, "Sub-topology")) != NULL; p++)
        subs++;
    cr_assert(eq(int, subs, 2), "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, NULL);
    h_pipe_ok(drv, "b", "k", "v", 1);
    h_pipe_ok(drv, "a", "k", "v", 2);
    h_expect(drv, "out-a", "k", "v");
    h_expect(drv, "out-b", "k", "v");
    kstream_test_driver_destroy(drv);
}
