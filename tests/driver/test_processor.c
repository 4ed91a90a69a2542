/* test_processor.c - the processor API through the test driver: init,
 * process and close per task; forward to every child or to a named one;
 * kstream_ctx_record_new() and header edits; stream time, wall clock and
 * task metadata. */
#include "helpers.h"

TestSuite(processor, .timeout = 10);

typedef struct probe {
    int inits, processes, closes;
    int init_partitions[16];
    int64_t init_stream_time;
    h_log_t log;
    kstream_err_t ret[8]; /* results of calls made inside process */
    const char *child;    /* forward_to target */
    int mode;
} probe_t;

static kstream_err_t probe_init(kstream_ctx_t *ctx, void *opaque,
                                void **state)
{
    probe_t *p = (probe_t *)opaque;
    if (p->inits < 16)
        p->init_partitions[p->inits] = kstream_ctx_partition(ctx);
    p->inits++;
    p->init_stream_time = kstream_ctx_stream_time(ctx);
    *state = p;
    return KSTREAM_OK;
}

static void probe_close(kstream_ctx_t *ctx, void *state)
{
    (void)ctx;
    ((probe_t *)state)->closes++;
}

static kstream_err_t probe_process_forward(kstream_ctx_t *ctx,
                                           const kstream_record_t *rec,
                                           void *state)
{
    probe_t *p = (probe_t *)state;
    p->processes++;
    return kstream_ctx_forward(ctx, rec);
}

static const kstream_processor_t forwarding_proc = {
        probe_init, probe_process_forward, probe_close};

/* in -> process "proc" -> out */
static kstream_builder_t *proc_topology(const kstream_processor_t *proc,
                                        probe_t *p)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    s = kstream_stream_process(s, proc, p, NULL, NULL, 0, "proc");
    cr_assert(s != NULL, "process: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", "sink");
    return b;
}

/* ---- lifecycle ------------------------------------------------------------ */

Test(processor, init_process_close_run_once_per_task)
{
    probe_t p = {0};
    kstream_test_driver_t *drv =
            h_driver(proc_topology(&forwarding_proc, &p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 3),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 1, "k", "v", 1);
    h_pipe_p_ok(drv, "in", 2, "k", "v", 2);
    cr_assert(eq(int, p.inits, 3), "one init per partition task");
    cr_assert(eq(int, p.processes, 2));
    cr_assert(eq(int, p.closes, 0), "close before the driver is destroyed");
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        int part = p.init_partitions[i];
        cr_assert(part >= 0 && part < 3, "init in partition %d", part);
        seen[part] = true;
    }
    cr_assert(seen[0] && seen[1] && seen[2]);
    kstream_test_driver_destroy(drv);
    cr_assert(eq(int, p.closes, 3));
}

static kstream_err_t process_checks_state(kstream_ctx_t *ctx,
                                          const kstream_record_t *rec,
                                          void *state)
{
    probe_t *p = (probe_t *)state;
    p->processes++;
    return kstream_ctx_forward(ctx, rec);
}

Test(processor, without_init_the_state_is_the_opaque)
{
    probe_t p = {0};
    kstream_processor_t proc = {NULL, process_checks_state, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, &p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.processes, 1));
    h_expect(drv, "out", "k", "v");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t init_fails(kstream_ctx_t *ctx, void *opaque,
                                void **state)
{
    (void)ctx;
    (void)opaque;
    (void)state;
    return KSTREAM_ERR_USER;
}

Test(processor, a_failing_init_is_an_error_not_a_crash)
{
    probe_t p = {0};
    kstream_processor_t proc = {init_fails, probe_process_forward, NULL};
    kstream_topology_t *t = h_build(proc_topology(&proc, &p));
    char errstr[512] = "";
    kstream_test_driver_t *drv =
            kstream_test_driver_new(t, NULL, errstr, sizeof(errstr));
    if (drv == NULL) { /* tasks started eagerly: the driver reports it */
        cr_assert(errstr[0] != '\0');
        kstream_topology_destroy(t);
        return;
    }
    kstream_err_t err = h_pipe(drv, "in", "k", "v", 1);
    cr_assert(ne(int, err, KSTREAM_OK), "init failed but the pipe succeeded");
    cr_assert(eq(int, p.processes, 0));
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* ---- forwarding ------------------------------------------------------------ */

Test(processor, forward_sends_to_every_child)
{
    probe_t p = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &forwarding_proc, &p, NULL, NULL, 0,
                               "proc");
    kstream_stream_to(s, "out-a", "sink-a");
    kstream_stream_to(s, "out-b", "sink-b");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 3);
    h_expect_ts(drv, "out-a", "k", "v", 3);
    h_expect_ts(drv, "out-b", "k", "v", 3);
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_forward_to(kstream_ctx_t *ctx,
                                        const kstream_record_t *rec,
                                        void *state)
{
    probe_t *p = (probe_t *)state;
    p->ret[p->processes++ % 8] = kstream_ctx_forward_to(ctx, rec, p->child);
    return KSTREAM_OK;
}

static kstream_builder_t *two_child_topology(probe_t *p)
{
    static const kstream_processor_t proc = {probe_init, process_forward_to,
                                             probe_close};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &proc, p, NULL, NULL, 0, "proc");
    kstream_stream_to(s, "out-a", "sink-a");
    kstream_stream_t *f = kstream_stream_filter(s, h_pred_true, NULL, NULL,
                                                "child-filter");
    kstream_stream_to(f, "out-b", "sink-b");
    return b;
}

Test(processor, forward_to_sends_to_the_named_child_only)
{
    probe_t p = {0};
    p.child = "child-filter";
    kstream_test_driver_t *drv = h_driver(two_child_topology(&p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.ret[0], KSTREAM_OK));
    h_expect(drv, "out-b", "k", "v");
    h_expect_empty(drv, "out-a");
    kstream_test_driver_destroy(drv);
}

Test(processor, forward_to_a_sink_child_by_name)
{
    probe_t p = {0};
    p.child = "sink-a";
    kstream_test_driver_t *drv = h_driver(two_child_topology(&p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.ret[0], KSTREAM_OK));
    h_expect(drv, "out-a", "k", "v");
    h_expect_empty(drv, "out-b");
    kstream_test_driver_destroy(drv);
}

Test(processor, forward_to_an_unknown_child_is_unknown_name)
{
    probe_t p = {0};
    p.child = "no-such-child";
    kstream_test_driver_t *drv = h_driver(two_child_topology(&p), NULL);
    kstream_err_t err = h_pipe(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.ret[0], KSTREAM_ERR_UNKNOWN_NAME));
    cr_assert(eq(int, err, KSTREAM_OK),
              "process returned OK, yet the pipe failed: %s",
              kstream_test_driver_last_error(drv));
    h_expect_empty(drv, "out-a");
    h_expect_empty(drv, "out-b");
    kstream_test_driver_destroy(drv);
}

Test(processor, forward_to_a_grandchild_is_unknown_name)
{
    probe_t p = {0};
    p.child = "sink-b"; /* a child of child-filter, not of proc */
    kstream_test_driver_t *drv = h_driver(two_child_topology(&p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.ret[0], KSTREAM_ERR_UNKNOWN_NAME));
    h_expect_empty(drv, "out-b");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_forward_n(kstream_ctx_t *ctx,
                                       const kstream_record_t *rec,
                                       void *state)
{
    (void)state;
    kstream_bytes_t v = kstream_record_value(rec);
    int n = (v.data && v.len) ? ((const char *)v.data)[0] - '0' : 0;
    for (int i = 0; i < n; i++) {
        kstream_err_t err = kstream_ctx_forward(ctx, rec);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

Test(processor, a_processor_may_forward_zero_or_many_times)
{
    kstream_processor_t proc = {NULL, process_forward_n, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, NULL), NULL);
    h_pipe_ok(drv, "in", "a", "0", 1);
    h_pipe_ok(drv, "in", "b", "2", 2);
    h_expect(drv, "out", "b", "2");
    h_expect(drv, "out", "b", "2");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* ---- new records and header edits ---------------------------------------- */

static kstream_err_t process_new_copy(kstream_ctx_t *ctx,
                                      const kstream_record_t *rec,
                                      void *state)
{
    (void)state;
    kstream_record_t *out = kstream_ctx_record_new(ctx, rec);
    if (out == NULL)
        return KSTREAM_ERR_USER;
    kstream_err_t err = kstream_record_set_value(out, "new", 3);
    if (!err)
        err = kstream_record_header_remove(out, "drop");
    if (!err)
        err = kstream_record_header_add(out, "added", "yes", 3);
    if (!err)
        err = kstream_ctx_forward(ctx, out);
    return err;
}

Test(processor, record_new_copies_the_input_and_header_edits_are_forwarded)
{
    kstream_processor_t proc = {NULL, process_new_copy, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, NULL), NULL);
    kstream_header_t hs[] = {{"keep", "1", 1}, {"drop", "2", 1}};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "k", 1, "old", 3,
                                             77, hs, 2),
                 KSTREAM_OK));
    const kstream_record_t *rec = h_expect_ts(drv, "out", "k", "new", 77);
    cr_assert(eq(sz, kstream_record_header_count(rec), 2));
    const char *n = NULL;
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_record_header_at(rec, 0, &n, &v), KSTREAM_OK));
    cr_assert(eq(str, (char *)n, "keep"));
    cr_assert(eq(int, kstream_record_header_at(rec, 1, &n, &v), KSTREAM_OK));
    cr_assert(eq(str, (char *)n, "added"));
    cr_assert(h_bytes_is(v, "yes"));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_new_blank(kstream_ctx_t *ctx,
                                       const kstream_record_t *rec,
                                       void *state)
{
    probe_t *p = (probe_t *)state;
    kstream_record_t *out = kstream_ctx_record_new(ctx, NULL);
    if (out == NULL)
        return KSTREAM_ERR_USER;
    p->ret[0] = kstream_record_key(out).data == NULL ? KSTREAM_OK
                                                     : KSTREAM_ERR_USER;
    p->ret[1] = kstream_record_value(out).data == NULL ? KSTREAM_OK
                                                       : KSTREAM_ERR_USER;
    p->ret[2] = kstream_record_header_count(out) == 0 ? KSTREAM_OK
                                                      : KSTREAM_ERR_USER;
    p->ret[3] = kstream_record_timestamp(out) ==
                                kstream_record_timestamp(rec)
                        ? KSTREAM_OK
                        : KSTREAM_ERR_USER;
    kstream_err_t err = kstream_record_set_key(out, "made", 4);
    if (!err)
        err = kstream_ctx_forward(ctx, out);
    return err;
}

Test(processor, record_new_from_null_is_blank_with_the_current_timestamp)
{
    probe_t p = {0};
    for (int i = 0; i < 4; i++)
        p.ret[i] = KSTREAM_ERR_STATE;
    kstream_processor_t proc = {NULL, process_new_blank, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, &p), NULL);
    kstream_header_t h = {"h", "1", 1};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "k", 1, "v", 1,
                                             1234, &h, 1),
                 KSTREAM_OK));
    cr_assert(eq(int, p.ret[0], KSTREAM_OK), "key not NULL");
    cr_assert(eq(int, p.ret[1], KSTREAM_OK), "value not NULL");
    cr_assert(eq(int, p.ret[2], KSTREAM_OK), "has headers");
    cr_assert(eq(int, p.ret[3], KSTREAM_OK), "timestamp not the record's");
    const kstream_record_t *rec = h_expect_ts(drv, "out", "made", NULL, 1234);
    cr_assert(eq(sz, kstream_record_header_count(rec), 0));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_try_edit_input(kstream_ctx_t *ctx,
                                            const kstream_record_t *rec,
                                            void *state)
{
    probe_t *p = (probe_t *)state;
    kstream_record_t *rw = (kstream_record_t *)rec;
    p->ret[0] = kstream_record_set_value(rw, "x", 1);
    p->ret[1] = kstream_record_header_add(rw, "x", "1", 1);
    return kstream_ctx_forward(ctx, rec);
}

Test(processor, the_input_record_is_read_only)
{
    probe_t p = {0};
    kstream_processor_t proc = {NULL, process_try_edit_input, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, &p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.ret[0], KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, p.ret[1], KSTREAM_ERR_INVALID_ARG));
    const kstream_record_t *rec = h_expect(drv, "out", "k", "v");
    cr_assert(eq(sz, kstream_record_header_count(rec), 0));
    kstream_test_driver_destroy(drv);
}

/* ---- times and metadata ------------------------------------------------ */

static kstream_err_t process_log_times(kstream_ctx_t *ctx,
                                       const kstream_record_t *rec,
                                       void *state)
{
    probe_t *p = (probe_t *)state;
    (void)rec;
    h_logf(&p->log, "%lld/%lld;", (long long)kstream_ctx_stream_time(ctx),
           (long long)kstream_ctx_wall_clock(ctx));
    return KSTREAM_OK;
}

Test(processor, stream_time_is_the_largest_timestamp_seen)
{
    probe_t p = {0};
    p.init_stream_time = 12345;
    kstream_processor_t proc = {probe_init, process_log_times, NULL};
    kstream_test_driver_t *drv =
            h_driver(proc_topology(&proc, &p), "test.wall.clock.start.ms",
                     "0", NULL);
    h_pipe_ok(drv, "in", "k", "v", 100);
    h_pipe_ok(drv, "in", "k", "v", 50);
    h_pipe_ok(drv, "in", "k", "v", 200);
    cr_assert(eq(i64, p.init_stream_time, -1),
              "stream time before the first record");
    cr_assert(eq(str, p.log.text, "100/0;100/0;200/0;"));
    kstream_test_driver_destroy(drv);
}

Test(processor, wall_clock_is_virtual_and_starts_at_the_configured_time)
{
    probe_t p = {0};
    kstream_processor_t proc = {probe_init, process_log_times, NULL};
    kstream_test_driver_t *drv =
            h_driver(proc_topology(&proc, &p), "test.wall.clock.start.ms",
                     "5000", NULL);
    cr_assert(eq(i64, kstream_test_driver_wall_clock(drv), 5000));
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 250),
                 KSTREAM_OK));
    cr_assert(eq(i64, kstream_test_driver_wall_clock(drv), 5250));
    h_pipe_ok(drv, "in", "k", "v", 2);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 0),
                 KSTREAM_OK));
    cr_assert(eq(i64, kstream_test_driver_wall_clock(drv), 5250));
    cr_assert(eq(str, p.log.text, "1/5000;2/5250;"));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t process_log_metadata(kstream_ctx_t *ctx,
                                          const kstream_record_t *rec,
                                          void *state)
{
    probe_t *p = (probe_t *)state;
    const char *app = kstream_ctx_application_id(ctx);
    const char *node = kstream_ctx_node_name(ctx);
    const char *topic = kstream_record_topic(rec);
    h_logf(&p->log, "app=%s node=%s task=%d_%d rec=%s/%d/%lld;",
           app ? app : "(null)", node ? node : "(null)",
           kstream_ctx_subtopology(ctx), (int)kstream_ctx_partition(ctx),
           topic ? topic : "(null)", (int)kstream_record_partition(rec),
           (long long)kstream_record_offset(rec));
    return KSTREAM_OK;
}

Test(processor, context_gives_application_node_task_and_record_metadata)
{
    probe_t p = {0};
    kstream_processor_t proc = {NULL, process_log_metadata, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, &p),
                                          "application.id", "my-app", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 2, "k", "v", 1);
    h_pipe_p_ok(drv, "in", 2, "k", "v", 2);
    h_pipe_p_ok(drv, "in", 0, "k", "v", 3);
    cr_assert(eq(str, p.log.text,
                 "app=my-app node=proc task=0_2 rec=in/2/0;"
                 "app=my-app node=proc task=0_2 rec=in/2/1;"
                 "app=my-app node=proc task=0_0 rec=in/0/0;"));
    kstream_test_driver_destroy(drv);
}

Test(processor, application_id_defaults_to_kstream_test)
{
    probe_t p = {0};
    kstream_processor_t proc = {NULL, process_log_metadata, NULL};
    kstream_test_driver_t *drv = h_driver(proc_topology(&proc, &p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(h_contains(p.log.text, "app=kstream-test "), "%s", p.log.text);
    kstream_test_driver_destroy(drv);
}

Test(processor, record_metadata_survives_upstream_operators)
{
    probe_t p = {0};
    kstream_processor_t proc = {NULL, process_log_metadata, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, h_map_identity, NULL, NULL, NULL);
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, NULL);
    kstream_stream_process(s, &proc, &p, NULL, NULL, 0, "late-proc");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    h_pipe_ok(drv, "in", "k", "v", 2);
    cr_assert(h_contains(p.log.text, "node=late-proc task=0_0 rec=in/0/1;"),
              "%s", p.log.text);
    kstream_test_driver_destroy(drv);
}

Test(processor, processors_can_be_chained)
{
    probe_t p1 = {0}, p2 = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &forwarding_proc, &p1, NULL, NULL, 0, "p1");
    s = kstream_stream_process(s, &forwarding_proc, &p2, NULL, NULL, 0, "p2");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    h_expect(drv, "out", "k", "v");
    cr_assert(eq(int, p1.processes, 1));
    cr_assert(eq(int, p2.processes, 1));
    kstream_test_driver_destroy(drv);
    cr_assert(eq(int, p1.closes, 1));
    cr_assert(eq(int, p2.closes, 1));
}

static void free_count(void *opaque)
{
    ((probe_t *)opaque)->mode++;
}

Test(processor, processor_opaque_is_freed_with_the_topology)
{
    probe_t p = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(s, &forwarding_proc, &p, free_count, NULL, 0,
                           "proc");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.mode, 0));
    kstream_test_driver_destroy(drv);
    cr_assert(eq(int, p.closes, 1), "close after the opaque was freed?");
    cr_assert(eq(int, p.mode, 1));
}
