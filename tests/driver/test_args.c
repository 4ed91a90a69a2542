/* test_args.c - every public function of the DSL, record, processor
 * context and test driver sections rejects bad arguments (NULL handles,
 * NULL or unknown names, bad numbers) with an error, never a crash. */
#include "helpers.h"

TestSuite(bad_args, .timeout = 10);

/* ---- DSL --------------------------------------------------------------- */

Test(bad_args, builder_functions_accept_null_builders)
{
    kstream_builder_destroy(NULL);
    cr_assert(kstream_builder_error(NULL) == NULL);
    cr_assert(kstream_builder_stream(NULL, "t", NULL) == NULL);
    const char *topics[] = {"t"};
    cr_assert(kstream_builder_stream_topics(NULL, topics, 1, NULL) == NULL);
    char errstr[256] = "";
    cr_assert(kstream_builder_build(NULL, errstr, sizeof(errstr)) == NULL);
    kstream_topology_destroy(NULL);
}

Test(bad_args, operators_given_a_null_stream_return_null)
{
    static const kstream_processor_t proc = {NULL, h_proc_forward, NULL};
    cr_assert(kstream_stream_filter(NULL, h_pred_true, NULL, NULL, NULL) ==
              NULL);
    cr_assert(kstream_stream_filter_not(NULL, h_pred_true, NULL, NULL,
                                        NULL) == NULL);
    cr_assert(kstream_stream_map(NULL, h_map_identity, NULL, NULL, NULL) ==
              NULL);
    cr_assert(kstream_stream_map_values(NULL, h_map_identity, NULL, NULL,
                                        NULL) == NULL);
    cr_assert(kstream_stream_select_key(NULL, h_map_identity, NULL, NULL,
                                        NULL) == NULL);
    cr_assert(kstream_stream_flat_map(NULL, h_flat_nop, NULL, NULL, NULL) ==
              NULL);
    cr_assert(kstream_stream_flat_map_values(NULL, h_flat_nop, NULL, NULL,
                                             NULL) == NULL);
    cr_assert(kstream_stream_peek(NULL, h_foreach_nop, NULL, NULL, NULL) ==
              NULL);
    cr_assert(eq(int,
                 kstream_stream_foreach(NULL, h_foreach_nop, NULL, NULL,
                                        NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_stream_merge(NULL, NULL, NULL) == NULL);
    cr_assert(eq(int, kstream_stream_to(NULL, "t", NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_stream_to_dynamic(NULL, h_topic_out, NULL, NULL,
                                           NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_stream_repartition(NULL, 0, "rp") == NULL);
    cr_assert(eq(int, kstream_stream_print(NULL, stdout, "x", NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_stream_split(NULL, "sp") == NULL);
    cr_assert(kstream_split_branch(NULL, h_pred_true, NULL, NULL, "b") ==
              NULL);
    cr_assert(kstream_split_default(NULL, "d") == NULL);
    cr_assert(kstream_stream_process(NULL, &proc, NULL, NULL, NULL, 0, "p") ==
              NULL);
    cr_assert(eq(int,
                 kstream_stream_set_timestamp_extractor(NULL, NULL, NULL,
                                                        NULL),
                 KSTREAM_ERR_INVALID_ARG));
}

static void count_free(void *opaque)
{
    (*(int *)opaque)++;
}

Test(bad_args, merge_with_one_null_side_returns_null)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(kstream_stream_merge(s, NULL, NULL) == NULL);
    cr_assert(kstream_stream_merge(NULL, s, NULL) == NULL);
    kstream_builder_destroy(b);
}

Test(bad_args, a_rejected_operator_does_not_leak_or_double_free_opaque)
{
    int freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_stream_filter(NULL, h_pred_true, &freed, count_free,
                                    NULL) == NULL);
    kstream_builder_destroy(b);
    cr_assert(freed <= 1, "opaque freed %d times", freed);
}

Test(bad_args, process_with_stores_null_but_a_count_fails)
{
    static const kstream_processor_t proc = {NULL, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(kstream_stream_process(s, &proc, NULL, NULL, NULL, 2, "p") ==
              NULL);
    char errstr[256];
    h_build_fails(b, errstr, sizeof(errstr));
}

/* ---- records ------------------------------------------------------------ */

Test(bad_args, record_getters_accept_null)
{
    cr_assert(kstream_record_key(NULL).data == NULL);
    cr_assert(kstream_record_value(NULL).data == NULL);
    cr_assert(eq(i64, kstream_record_timestamp(NULL), -1));
    cr_assert(kstream_record_topic(NULL) == NULL);
    cr_assert(eq(i32, kstream_record_partition(NULL), -1));
    cr_assert(eq(i64, kstream_record_offset(NULL), -1));
    cr_assert(eq(sz, kstream_record_header_count(NULL), 0));
    const char *name = NULL;
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_record_header_at(NULL, 0, &name, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_record_header_last(NULL, "h", &v),
                 KSTREAM_ERR_INVALID_ARG));
}

Test(bad_args, record_setters_reject_null)
{
    int32_t i = 1;
    cr_assert(eq(int, kstream_record_set_key(NULL, "k", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_record_set_value(NULL, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_record_alloc_key(NULL, 4) == NULL);
    cr_assert(kstream_record_alloc_value(NULL, 4) == NULL);
    cr_assert(eq(int, kstream_record_set_timestamp(NULL, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_record_header_add(NULL, "h", "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_record_header_remove(NULL, "h"),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_record_headers_clear(NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_records_add(NULL) == NULL);
    cr_assert(eq(int,
                 kstream_record_set_key_serde(NULL, kstream_serde_int32(),
                                              &i),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_record_set_value_serde(NULL, kstream_serde_int32(),
                                                &i),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_record_key_deserialize(NULL, kstream_serde_int32(),
                                                &i),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_record_value_deserialize(NULL, kstream_serde_int32(),
                                                  &i),
                 KSTREAM_ERR_INVALID_ARG));
}

typedef struct rec_probe {
    kstream_err_t err[8];
    bool alloc_ok;
} rec_probe_t;

/* Bad arguments on a writable out record; then a valid edit. */
static kstream_err_t map_bad_args(const kstream_record_t *in,
                                  kstream_record_t *out, void *opaque)
{
    rec_probe_t *p = (rec_probe_t *)opaque;
    kstream_bytes_t v;
    p->err[0] = kstream_record_set_timestamp(out, -1);
    p->err[1] = kstream_record_header_add(out, NULL, "v", 1);
    p->err[2] = kstream_record_header_remove(out, NULL);
    p->err[3] = kstream_record_header_last(in, NULL, &v);
    p->err[4] = kstream_record_set_key_serde(out, NULL, "x");
    p->alloc_ok = true;
    return kstream_record_set_value(out, "ok", 2);
}

Test(bad_args, record_setters_reject_bad_values_and_stay_usable)
{
    rec_probe_t p;
    for (int i = 0; i < 8; i++)
        p.err[i] = KSTREAM_OK;
    p.alloc_ok = false;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, map_bad_args, &p, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 9);
    const char *what[] = {"set_timestamp(-1)", "header_add(NULL name)",
                          "header_remove(NULL)", "header_last(NULL)",
                          "set_key_serde(NULL serde)"};
    for (int i = 0; i < 5; i++)
        cr_assert(eq(int, p.err[i], KSTREAM_ERR_INVALID_ARG), "%s gave %s",
                  what[i], kstream_err2name(p.err[i]));
    cr_assert(p.alloc_ok);
    const kstream_record_t *rec = h_expect_ts(drv, "out", "k", "ok", 9);
    cr_assert(eq(sz, kstream_record_header_count(rec), 0));
    kstream_test_driver_destroy(drv);
}

/* ---- processor context -------------------------------------------------- */

Test(bad_args, context_functions_accept_null_contexts)
{
    cr_assert(eq(int, kstream_ctx_forward(NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_ctx_forward_to(NULL, NULL, "c"),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_ctx_record_new(NULL, NULL) == NULL);
    cr_assert(kstream_ctx_stream_time(NULL) < 0);
    cr_assert(kstream_ctx_wall_clock(NULL) < 0);
    cr_assert(kstream_ctx_partition(NULL) < 0);
    cr_assert(kstream_ctx_subtopology(NULL) < 0);
    cr_assert(kstream_ctx_application_id(NULL) == NULL);
    cr_assert(kstream_ctx_node_name(NULL) == NULL);
    uint64_t id = 0;
    cr_assert(eq(int,
                 kstream_ctx_schedule(NULL, 10, KSTREAM_PUNCTUATE_STREAM_TIME,
                                      NULL, NULL, &id),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_ctx_cancel(NULL, 1), KSTREAM_ERR_INVALID_ARG));
}

static kstream_err_t noop_punct(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    (void)ctx;
    (void)ts;
    (void)opaque;
    return KSTREAM_OK;
}

typedef struct ctx_probe {
    kstream_err_t err[12];
    bool null_record_new_ok;
    int calls;
} ctx_probe_t;

static kstream_err_t process_bad_ctx_args(kstream_ctx_t *ctx,
                                          const kstream_record_t *rec,
                                          void *state)
{
    ctx_probe_t *p = (ctx_probe_t *)state;
    uint64_t id;
    p->calls++;
    p->err[0] = kstream_ctx_forward(ctx, NULL);
    p->err[1] = kstream_ctx_forward_to(ctx, rec, NULL);
    p->err[2] = kstream_ctx_forward_to(ctx, NULL, "sink");
    p->err[3] = kstream_ctx_schedule(ctx, 0, KSTREAM_PUNCTUATE_STREAM_TIME,
                                     noop_punct, NULL, &id);
    p->err[4] = kstream_ctx_schedule(ctx, -10, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                     noop_punct, NULL, &id);
    p->err[5] = kstream_ctx_schedule(ctx, 10, KSTREAM_PUNCTUATE_STREAM_TIME,
                                     NULL, NULL, &id);
    p->err[6] = kstream_ctx_schedule(ctx, 10,
                                     (kstream_punctuation_type_t)7,
                                     noop_punct, NULL, &id);
    p->err[7] = kstream_ctx_cancel(ctx, 424242);
    p->err[8] = kstream_ctx_forward_to(ctx, rec, "not-a-child");
    p->null_record_new_ok = kstream_ctx_record_new(ctx, NULL) != NULL;
    return kstream_ctx_forward(ctx, rec);
}

Test(bad_args, context_functions_reject_bad_arguments_inside_process)
{
    ctx_probe_t p;
    for (int i = 0; i < 12; i++)
        p.err[i] = KSTREAM_OK;
    p.calls = 0;
    p.null_record_new_ok = false;
    static const kstream_processor_t proc = {NULL, process_bad_ctx_args,
                                             NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &proc, &p, NULL, NULL, 0, "proc");
    kstream_stream_to(s, "out", "sink");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, p.calls, 1));
    const char *what[] = {"forward(NULL)",
                          "forward_to(NULL child)",
                          "forward_to(NULL record)",
                          "schedule(interval 0)",
                          "schedule(interval < 0)",
                          "schedule(NULL callback)",
                          "schedule(bad type)",
                          "cancel(unknown)",
                          "forward_to(unknown child)"};
    kstream_err_t want[] = {KSTREAM_ERR_INVALID_ARG, KSTREAM_ERR_INVALID_ARG,
                            KSTREAM_ERR_INVALID_ARG, KSTREAM_ERR_INVALID_ARG,
                            KSTREAM_ERR_INVALID_ARG, KSTREAM_ERR_INVALID_ARG,
                            KSTREAM_ERR_INVALID_ARG, KSTREAM_ERR_NOT_FOUND,
                            KSTREAM_ERR_UNKNOWN_NAME};
    for (int i = 0; i < 9; i++)
        cr_assert(eq(int, p.err[i], want[i]), "%s gave %s, expected %s",
                  what[i], kstream_err2name(p.err[i]),
                  kstream_err2name(want[i]));
    cr_assert(p.null_record_new_ok);
    h_expect(drv, "out", "k", "v");
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "punctuations"), 0));
    kstream_test_driver_destroy(drv);
}

/* ---- test driver ------------------------------------------------------- */

static kstream_test_driver_t *simple_driver(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "in", NULL), "out", NULL);
    return h_driver(b, NULL);
}

Test(bad_args, driver_new_rejects_a_null_topology)
{
    char errstr[256] = "";
    cr_assert(kstream_test_driver_new(NULL, NULL, errstr, sizeof(errstr)) ==
              NULL);
    cr_assert(errstr[0] != '\0');
    cr_assert(kstream_test_driver_new(NULL, NULL, NULL, 0) == NULL);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(kstream_test_driver_new(NULL, conf, errstr, sizeof(errstr)) ==
              NULL);
    kstream_conf_destroy(conf); /* still ours on failure */
    kstream_test_driver_destroy(NULL);
}

Test(bad_args, driver_null_handle_calls_fail_cleanly)
{
    const kstream_record_t *rec = NULL;
    int64_t v = 0;
    cr_assert(eq(int, kstream_test_driver_create_topic(NULL, "t", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_pipe(NULL, "in", "k", 1, "v", 1, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(NULL, "in", 0, "k", 1, "v", 1,
                                             1, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_read(NULL, "out", &rec),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(kstream_test_driver_is_empty(NULL, "out"));
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(NULL, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(i64, kstream_test_driver_wall_clock(NULL), -1));
    cr_assert(eq(int, kstream_test_driver_commit(NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_metric(NULL, "commits", &v),
                 KSTREAM_ERR_INVALID_ARG));
    const char *msg = kstream_test_driver_last_error(NULL);
    cr_assert(msg == NULL || msg[0] == '\0' || msg[0] != '\0'); /* no crash */
}

Test(bad_args, create_topic_rejects_bad_names_and_partition_counts)
{
    kstream_test_driver_t *drv = simple_driver();
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, NULL, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "t0", 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "t1", -3),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "t0", 2),
                 KSTREAM_OK), "a rejected create must not half-create");
    kstream_test_driver_destroy(drv);
}

Test(bad_args, pipe_rejects_bad_arguments_without_failing_the_driver)
{
    kstream_test_driver_t *drv = simple_driver();
    cr_assert(eq(int, kstream_test_driver_pipe(drv, NULL, "k", 1, "v", 1, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, NULL, -1, "k", 1, "v", 1,
                                             1, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "k", 1, "v", 1,
                                             1, NULL, 2),
                 KSTREAM_ERR_INVALID_ARG), "headers NULL with a count");
    kstream_header_t bad = {NULL, "v", 1};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "k", 1, "v", 1,
                                             1, &bad, 1),
                 KSTREAM_ERR_INVALID_ARG), "a header without a name");
    cr_assert(ne(int,
                 kstream_test_driver_pipe_ex(drv, "in", -7, "k", 1, "v", 1,
                                             1, NULL, 0),
                 KSTREAM_OK), "partition -7");
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "k", "v", 1);
    h_expect(drv, "out", "k", "v");
    kstream_test_driver_destroy(drv);
}

Test(bad_args, read_rejects_bad_arguments_and_unknown_topics)
{
    kstream_test_driver_t *drv = simple_driver();
    h_pipe_ok(drv, "in", "k", "v", 1);
    const kstream_record_t *rec = NULL;
    cr_assert(eq(int, kstream_test_driver_read(drv, NULL, &rec),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_read(drv, "out", NULL),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_err_t err = kstream_test_driver_read(drv, "no-such-topic", &rec);
    cr_assert(err == KSTREAM_ERR_EMPTY || err == KSTREAM_ERR_UNKNOWN_TOPIC,
              "read of an unknown topic gave %s", kstream_err2name(err));
    cr_assert(kstream_test_driver_is_empty(drv, NULL));
    cr_assert(kstream_test_driver_is_empty(drv, "no-such-topic"));
    cr_assert(eq(int, kstream_test_driver_is_empty(drv, "out"), false));
    h_expect(drv, "out", "k", "v"); /* the bad reads consumed nothing */
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    kstream_test_driver_destroy(drv);
}

Test(bad_args, advance_wall_clock_rejects_negative_time)
{
    kstream_test_driver_t *drv = simple_driver();
    int64_t before = kstream_test_driver_wall_clock(drv);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, -1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(i64, kstream_test_driver_wall_clock(drv), before));
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 0),
                 KSTREAM_OK));
    kstream_test_driver_destroy(drv);
}

Test(bad_args, metric_rejects_bad_and_unknown_names)
{
    kstream_test_driver_t *drv = simple_driver();
    int64_t v = 0;
    cr_assert(eq(int, kstream_test_driver_metric(drv, NULL, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_metric(drv, "no-such-metric", &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_test_driver_metric(drv, "commits", NULL),
                 KSTREAM_ERR_INVALID_ARG));
    const char *names[] = {"records-processed", "records-produced",
                           "records-dropped",   "process-errors",
                           "deserialization-errors", "punctuations",
                           "commits"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        v = -99;
        cr_assert(eq(int, kstream_test_driver_metric(drv, names[i], &v),
                     KSTREAM_OK), "metric %s", names[i]);
        cr_assert(v >= 0, "metric %s = %lld", names[i], (long long)v);
    }
    kstream_test_driver_destroy(drv);
}

Test(bad_args, last_error_is_empty_before_any_error)
{
    kstream_test_driver_t *drv = simple_driver();
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(msg != NULL);
    cr_assert(eq(str, (char *)msg, ""));
    kstream_test_driver_destroy(drv);
}

Test(bad_args, commit_without_records_is_ok)
{
    kstream_test_driver_t *drv = simple_driver();
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    kstream_test_driver_destroy(drv);
}
