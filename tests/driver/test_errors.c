/* test_errors.c - per-record failures through the test driver: a callback
 * failing a record under processing.exception.handler fail / continue /
 * dlq, and timestamp extractors (negative timestamps go to
 * default.deserialization.exception.handler). */
#include "helpers.h"

#include <criterion/parameterized.h>

TestSuite(record_errors, .timeout = 10);

/* ---- callbacks that fail records whose value is "bad" ----------------- */

static bool is_bad(const kstream_record_t *rec)
{
    kstream_bytes_t v = kstream_record_value(rec);
    return h_bytes_is(v, "bad") || h_bytes_is(v, "BAD");
}

static kstream_err_t pred_fail_bad(const kstream_record_t *rec, bool *match,
                                   void *opaque)
{
    (void)opaque;
    *match = false;
    return is_bad(rec) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

/* Keeps every good record (filter_not of "never matches"). */
static kstream_err_t map_fail_bad(const kstream_record_t *in,
                                  kstream_record_t *out, void *opaque)
{
    (void)out;
    (void)opaque;
    return is_bad(in) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

static kstream_err_t flat_fail_bad(const kstream_record_t *in,
                                   kstream_records_t *out, void *opaque)
{
    (void)opaque;
    if (is_bad(in))
        return KSTREAM_ERR_USER;
    return kstream_records_add(out) ? KSTREAM_OK : KSTREAM_ERR_USER;
}

static kstream_err_t foreach_fail_bad(const kstream_record_t *rec,
                                      void *opaque)
{
    (void)opaque;
    return is_bad(rec) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

static kstream_err_t topic_fail_bad(const kstream_record_t *rec,
                                    const char **topic, void *opaque)
{
    (void)opaque;
    *topic = "out";
    return is_bad(rec) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

static kstream_err_t proc_fail_bad(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec, void *state)
{
    (void)state;
    if (is_bad(rec))
        return KSTREAM_ERR_USER;
    return kstream_ctx_forward(ctx, rec);
}

static kstream_err_t pred_match_good(const kstream_record_t *rec, bool *match,
                                     void *opaque)
{
    (void)opaque;
    *match = true;
    return is_bad(rec) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

/* in -> filter_not "boom" (fails "bad", keeps the rest) -> out */
static kstream_builder_t *boom_topology(const char *topic)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, topic, "src");
    s = kstream_stream_filter_not(s, pred_fail_bad, NULL, NULL, "boom");
    kstream_stream_to(s, "out", "sink");
    return b;
}

/* ---- fail ------------------------------------------------------------- */

Test(record_errors, fail_handler_fails_the_pipe_naming_node_topic_offset)
{
    kstream_test_driver_t *drv = h_driver(boom_topology("err-input"),
                                          "processing.exception.handler",
                                          "fail", NULL);
    for (int i = 0; i < 7; i++)
        h_pipe_ok(drv, "err-input", "k", "ok", i);
    kstream_err_t err = h_pipe(drv, "err-input", "k", "bad", 7);
    cr_assert(eq(int, err, KSTREAM_ERR_USER), "pipe returned %s",
              kstream_err2name(err));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(msg != NULL && msg[0] != '\0');
    cr_assert(strstr(msg, "boom") != NULL, "no node name in: %s", msg);
    cr_assert(strstr(msg, "err-input") != NULL, "no topic in: %s", msg);
    cr_assert(strstr(msg, "7") != NULL, "no offset in: %s", msg);
    cr_assert(strstr(msg, "0") != NULL, "no partition in: %s", msg);
    kstream_test_driver_destroy(drv);
}

Test(record_errors, fail_handler_is_the_default)
{
    kstream_test_driver_t *drv = h_driver(boom_topology("in"), NULL);
    cr_assert(ne(int, h_pipe(drv, "in", "k", "bad", 1), KSTREAM_OK));
    cr_assert(eq(int, h_pipe(drv, "in", "k", "ok", 2), KSTREAM_ERR_FAILED));
    kstream_test_driver_destroy(drv);
}

Test(record_errors, driver_stays_failed_after_a_fatal_record_error)
{
    kstream_test_driver_t *drv = h_driver(boom_topology("in"),
                                          "processing.exception.handler",
                                          "fail", NULL);
    h_pipe_ok(drv, "in", "k", "first", 1);
    cr_assert(ne(int, h_pipe(drv, "in", "k", "bad", 2), KSTREAM_OK));
    cr_assert(eq(int, h_pipe(drv, "in", "k", "after", 3),
                 KSTREAM_ERR_FAILED));
    cr_assert(eq(int, h_pipe(drv, "in", "k", "again", 4),
                 KSTREAM_ERR_FAILED));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(msg != NULL && msg[0] != '\0');
    h_expect(drv, "out", "k", "first");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(record_errors, the_callback_error_code_is_returned_by_pipe)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_foreach(s, foreach_fail_bad, NULL, NULL, "fe");
    kstream_test_driver_t *drv = h_driver(b, NULL);
    kstream_err_t err = h_pipe(drv, "in", NULL, "bad", 1);
    cr_assert(eq(int, err, KSTREAM_ERR_USER), "got %s",
              kstream_err2name(err));
    kstream_test_driver_destroy(drv);
}

/* One operator per parameter, named "<op>-node"; its callback fails "bad". */
typedef struct op_case {
    char op[24];   /* inline arrays: parameters cross into the test process */
    char node[32]; /* the name the error must mention */
} op_case_t;

ParameterizedTestParameters(record_errors, error_in_each_operator_names_it)
{
    static op_case_t cases[] = {
            {"filter", "filter-node"},
            {"filter_not", "filter_not-node"},
            {"map", "map-node"},
            {"map_values", "map_values-node"},
            {"select_key", "select_key-node"},
            {"flat_map", "flat_map-node"},
            {"flat_map_values", "flat_map_values-node"},
            {"peek", "peek-node"},
            {"foreach", "foreach-node"},
            {"to_dynamic", "to_dynamic-node"},
            {"process", "process-node"},
            {"split", "split-node"},
    };
    return cr_make_param_array(op_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

static void add_failing_op(kstream_builder_t *b, const op_case_t *c)
{
    kstream_stream_t *s = kstream_builder_stream(b, "err-topic", NULL);
    kstream_stream_t *o = NULL;
    const char *op = c->op;
    static const kstream_processor_t proc = {NULL, proc_fail_bad, NULL};
    if (!strcmp(op, "filter"))
        o = kstream_stream_filter(s, pred_match_good, NULL, NULL, c->node);
    else if (!strcmp(op, "filter_not"))
        o = kstream_stream_filter_not(s, pred_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "map"))
        o = kstream_stream_map(s, map_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "map_values"))
        o = kstream_stream_map_values(s, map_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "select_key"))
        o = kstream_stream_select_key(s, map_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "flat_map"))
        o = kstream_stream_flat_map(s, flat_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "flat_map_values"))
        o = kstream_stream_flat_map_values(s, flat_fail_bad, NULL, NULL,
                                           c->node);
    else if (!strcmp(op, "peek"))
        o = kstream_stream_peek(s, foreach_fail_bad, NULL, NULL, c->node);
    else if (!strcmp(op, "foreach"))
        cr_assert(eq(int,
                     kstream_stream_foreach(s, foreach_fail_bad, NULL, NULL,
                                            c->node),
                     KSTREAM_OK));
    else if (!strcmp(op, "to_dynamic"))
        cr_assert(eq(int,
                     kstream_stream_to_dynamic(s, topic_fail_bad, NULL, NULL,
                                               c->node),
                     KSTREAM_OK));
    else if (!strcmp(op, "process"))
        o = kstream_stream_process(s, &proc, NULL, NULL, NULL, 0, c->node);
    else if (!strcmp(op, "split")) {
        kstream_split_t *sp = kstream_stream_split(s, c->node);
        o = kstream_split_branch(sp, pred_match_good, NULL, NULL, "br");
    } else
        cr_assert(false, "unknown op %s", op);
    if (o != NULL)
        kstream_stream_to(o, "out", NULL);
}

ParameterizedTest(op_case_t *c, record_errors, error_in_each_operator_names_it)
{
    kstream_builder_t *b = kstream_builder_new();
    add_failing_op(b, c);
    kstream_test_driver_t *drv = h_driver(b, "processing.exception.handler",
                                          "fail", NULL);
    h_pipe_ok(drv, "err-topic", "k", "good", 1);
    kstream_err_t err = h_pipe(drv, "err-topic", "k", "bad", 2);
    cr_assert(eq(int, err, KSTREAM_ERR_USER), "%s: pipe returned %s", c->op,
              kstream_err2name(err));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, c->node), "%s: message does not name %s: %s",
              c->op, c->node, msg ? msg : "(null)");
    cr_assert(h_contains(msg, "err-topic"), "%s: no topic in: %s", c->op,
              msg);
    cr_assert(eq(int, h_pipe(drv, "err-topic", "k", "good", 3),
                 KSTREAM_ERR_FAILED));
    kstream_test_driver_destroy(drv);
}

/* ---- continue ------------------------------------------------------------ */

Test(record_errors, continue_handler_skips_and_counts_the_record)
{
    kstream_test_driver_t *drv = h_driver(boom_topology("in"),
                                          "processing.exception.handler",
                                          "continue", NULL);
    h_pipe_ok(drv, "in", "k1", "ok1", 1);
    cr_assert(eq(int, h_pipe(drv, "in", "k2", "bad", 2), KSTREAM_OK));
    h_pipe_ok(drv, "in", "k3", "ok3", 3);
    h_expect(drv, "out", "k1", "ok1");
    h_expect(drv, "out", "k3", "ok3");
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    kstream_test_driver_destroy(drv);
}

Test(record_errors, continue_handler_counts_each_failed_record)
{
    kstream_test_driver_t *drv = h_driver(boom_topology("in"),
                                          "processing.exception.handler",
                                          "continue", NULL);
    for (int i = 0; i < 5; i++)
        cr_assert(eq(int, h_pipe(drv, "in", "k", "bad", i), KSTREAM_OK));
    h_pipe_ok(drv, "in", "k", "fine", 9);
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 5));
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 5));
    h_expect(drv, "out", "k", "fine");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* ---- dead-letter queue --------------------------------------------------- */

static kstream_err_t map_values_upcase(const kstream_record_t *in,
                                       kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL)
        return KSTREAM_OK;
    char *dst = (char *)kstream_record_alloc_value(out, v.len);
    if (dst == NULL)
        return KSTREAM_ERR_USER;
    for (size_t i = 0; i < v.len; i++) {
        char ch = ((const char *)v.data)[i];
        dst[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    return KSTREAM_OK;
}

/* in -> map_values upcase -> filter_not "boom" (fails "BAD") -> out */
static kstream_builder_t *dlq_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "dlq-in", NULL);
    s = kstream_stream_map_values(s, map_values_upcase, NULL, NULL, "upcase");
    s = kstream_stream_filter_not(s, pred_fail_bad, NULL, NULL, "boom");
    kstream_stream_to(s, "out", NULL);
    return b;
}

Test(record_errors, dlq_handler_writes_the_original_record_with_error_headers)
{
    kstream_test_driver_t *drv = h_driver(
            dlq_topology(), "processing.exception.handler", "dlq",
            "errors.deadletterqueue.topic.name", "my-dlq", NULL);
    kstream_header_t orig = {"orig", "h", 1};
    h_pipe_ok(drv, "dlq-in", "k0", "good", 1);
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "dlq-in", -1, "k1", 2,
                                             "bad", 3, 2, &orig, 1),
                 KSTREAM_OK),
              "dlq pipe: %s", kstream_test_driver_last_error(drv));
    h_pipe_ok(drv, "dlq-in", "k2", "fine", 3);

    h_expect(drv, "out", "k0", "GOOD");
    h_expect(drv, "out", "k2", "FINE");
    h_expect_empty(drv, "out");

    /* the ORIGINAL input bytes, not the upcased ones */
    const kstream_record_t *rec = h_expect(drv, "my-dlq", "k1", "bad");
    cr_assert(h_has_header_containing(rec, "error"),
              "no header naming the error on the DLQ record (%zu headers)",
              kstream_record_header_count(rec));
    h_expect_empty(drv, "my-dlq");
    kstream_test_driver_destroy(drv);
}

Test(record_errors, dlq_handler_keeps_null_keys_and_counts_the_error)
{
    kstream_test_driver_t *drv = h_driver(
            dlq_topology(), "processing.exception.handler", "dlq",
            "errors.deadletterqueue.topic.name", "my-dlq", NULL);
    cr_assert(eq(int, h_pipe(drv, "dlq-in", NULL, "bad", 5), KSTREAM_OK));
    h_expect(drv, "my-dlq", NULL, "bad");
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    h_pipe_ok(drv, "dlq-in", "k", "ok", 6);
    h_expect(drv, "out", "k", "OK");
    kstream_test_driver_destroy(drv);
}

/* ---- timestamp extractor ------------------------------------------------- */

typedef struct ts_probe {
    h_log_t log; /* the partition_time of each call */
} ts_probe_t;

/* The timestamp is the value read as a decimal number ("neg": -1). */
static kstream_err_t ts_from_value(const kstream_record_t *rec,
                                   int64_t partition_time, int64_t *ts,
                                   void *opaque)
{
    ts_probe_t *p = (ts_probe_t *)opaque;
    if (p != NULL)
        h_logf(&p->log, "%lld;", (long long)partition_time);
    kstream_bytes_t v = kstream_record_value(rec);
    if (h_bytes_is(v, "neg")) {
        *ts = -1;
        return KSTREAM_OK;
    }
    int64_t n = 0;
    for (size_t i = 0; v.data && i < v.len; i++)
        n = n * 10 + (((const char *)v.data)[i] - '0');
    *ts = n;
    return KSTREAM_OK;
}

static kstream_builder_t *extractor_topology(ts_probe_t *probe)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    cr_assert(eq(int,
                 kstream_stream_set_timestamp_extractor(s, ts_from_value,
                                                        probe, NULL),
                 KSTREAM_OK));
    kstream_stream_to(s, "out", NULL);
    return b;
}

Test(record_errors, timestamp_extractor_sets_timestamps_and_sees_partition_time)
{
    ts_probe_t probe = {{{0}}};
    kstream_test_driver_t *drv = h_driver(extractor_topology(&probe), NULL);
    h_pipe_ok(drv, "in", "a", "100", 5);
    h_pipe_ok(drv, "in", "b", "50", 6);
    h_pipe_ok(drv, "in", "c", "200", 7);
    h_expect_ts(drv, "out", "a", "100", 100);
    h_expect_ts(drv, "out", "b", "50", 50);
    h_expect_ts(drv, "out", "c", "200", 200);
    cr_assert(eq(str, probe.log.text, "-1;100;100;"));
    kstream_test_driver_destroy(drv);
}

Test(record_errors, negative_timestamp_with_fail_handler_fails_the_driver)
{
    kstream_test_driver_t *drv =
            h_driver(extractor_topology(NULL),
                     "default.deserialization.exception.handler", "fail",
                     NULL);
    h_pipe_ok(drv, "in", "a", "10", 1);
    kstream_err_t err = h_pipe(drv, "in", "b", "neg", 2);
    cr_assert(ne(int, err, KSTREAM_OK));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(msg != NULL && msg[0] != '\0');
    cr_assert(eq(int, h_pipe(drv, "in", "c", "30", 3), KSTREAM_ERR_FAILED));
    h_expect(drv, "out", "a", "10");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(record_errors, negative_timestamp_with_continue_handler_is_skipped)
{
    kstream_test_driver_t *drv =
            h_driver(extractor_topology(NULL),
                     "default.deserialization.exception.handler", "continue",
                     NULL);
    h_pipe_ok(drv, "in", "a", "10", 1);
    cr_assert(eq(int, h_pipe(drv, "in", "b", "neg", 2), KSTREAM_OK));
    h_pipe_ok(drv, "in", "c", "30", 3);
    h_expect_ts(drv, "out", "a", "10", 10);
    h_expect_ts(drv, "out", "c", "30", 30);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    cr_assert(eq(i64, h_metric(drv, "deserialization-errors"), 1));
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 0));
    kstream_test_driver_destroy(drv);
}

Test(record_errors, timestamp_extractor_only_on_source_streams)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_t *f = kstream_stream_filter(s, h_pred_true, NULL, NULL,
                                                NULL);
    cr_assert(eq(int,
                 kstream_stream_set_timestamp_extractor(f, ts_from_value,
                                                        NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_builder_destroy(b);
}

Test(record_errors, timestamp_extractor_on_a_multi_topic_source)
{
    const char *topics[] = {"x1", "x2"};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream_topics(b, topics, 2, NULL);
    cr_assert(eq(int,
                 kstream_stream_set_timestamp_extractor(s, ts_from_value,
                                                        NULL, NULL),
                 KSTREAM_OK));
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "x1", "a", "11", 1);
    h_pipe_ok(drv, "x2", "b", "22", 2);
    h_expect_ts(drv, "out", "a", "11", 11);
    h_expect_ts(drv, "out", "b", "22", 22);
    kstream_test_driver_destroy(drv);
}
