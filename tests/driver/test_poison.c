/* test_poison.c - failing callbacks, negative timestamps and late records
 * under each handler setting (fail / continue / dlq), for each guarantee
 * of POISON_GUARANTEES: the fail message names node, topic, partition and
 * offset; continue skips and counts; dlq writes the original record with
 * exactly the __kstream headers. Also kstream_fail() / kstream_ctx_fail()
 * and a poison pill met after a repartition topic. */
#include "test_poison.h"

#include <criterion/parameterized.h>

TestSuite(poison, .timeout = 30);

typedef struct pcase {
    char what[16]; /* dsl_msg dsl_plain processor timestamp */
    char handler[12];
    char guarantee[24];
} pcase_t;

ParameterizedTestParameters(poison, failing_record_under_each_handler)
{
    static const char *const whats[] = {"dsl_msg", "dsl_plain", "processor",
                                        "timestamp"};
    static const char *const handlers[] = {"fail", "continue", "dlq"};
    static const char *const guarantees[] = POISON_GUARANTEES;
    enum { NG = sizeof(guarantees) / sizeof(guarantees[0]) };
    static pcase_t cases[4 * 3 * NG];
    size_t n = 0;
    for (size_t g = 0; g < NG; g++)
        for (size_t w = 0; w < 4; w++)
            for (size_t h = 0; h < 3; h++) {
                pcase_t *c = &cases[n++];
                snprintf(c->what, sizeof(c->what), "%s", whats[w]);
                snprintf(c->handler, sizeof(c->handler), "%s", handlers[h]);
                snprintf(c->guarantee, sizeof(c->guarantee), "%s",
                         guarantees[g]);
            }
    return cr_make_param_array(pcase_t, cases, n);
}

static bool is_poison(const kstream_record_t *rec)
{
    return h_bytes_is(kstream_record_value(rec), "poison");
}

static kstream_err_t check_msg(const kstream_record_t *rec, bool *match,
                               void *opaque)
{
    (void)opaque;
    *match = true;
    return is_poison(rec) ? kstream_fail(KSTREAM_ERR_USER, "rejected '%s'",
                                         "poison")
                          : KSTREAM_OK;
}

static kstream_err_t check_plain(const kstream_record_t *rec, bool *match,
                                 void *opaque)
{
    (void)opaque;
    *match = true;
    return is_poison(rec) ? KSTREAM_ERR_USER : KSTREAM_OK;
}

static kstream_err_t proc_check(kstream_ctx_t *ctx,
                                const kstream_record_t *rec, void *state)
{
    (void)state;
    if (is_poison(rec))
        return kstream_ctx_fail(ctx, KSTREAM_ERR_USER, "processor %s said no",
                                kstream_ctx_node_name(ctx));
    return kstream_ctx_forward(ctx, rec);
}

static kstream_err_t ts_check(const kstream_record_t *rec, int64_t pt,
                              int64_t *ts, void *opaque)
{
    (void)pt;
    (void)opaque;
    *ts = is_poison(rec) ? -5 : kstream_record_timestamp(rec);
    return KSTREAM_OK;
}

ParameterizedTest(pcase_t *c, poison, failing_record_under_each_handler)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, POISON_IN, "src");
    static const kstream_processor_t proc = {NULL, proc_check, NULL};
    const char *node = "check", *detail = "rejected 'poison'";
    const char *kind = "processing", *code = "KSTREAM_ERR_USER";
    const char *counter = "process-errors";
    if (strcmp(c->what, "dsl_msg") == 0) {
        s = kstream_stream_filter(s, check_msg, NULL, NULL, "check");
    } else if (strcmp(c->what, "dsl_plain") == 0) {
        s = kstream_stream_filter(s, check_plain, NULL, NULL, "check");
        detail = "callback returned KSTREAM_ERR_USER";
    } else if (strcmp(c->what, "processor") == 0) {
        s = kstream_stream_process(s, &proc, NULL, NULL, NULL, 0, "check");
        detail = "processor check said no";
    } else {
        cr_assert(eq(int,
                     kstream_stream_set_timestamp_extractor(s, ts_check,
                                                            NULL, NULL),
                     KSTREAM_OK));
        node = "src";
        detail = "negative timestamp";
        kind = "deserialization";
        code = "KSTREAM_ERR_INVALID_TIMESTAMP";
        counter = "deserialization-errors";
    }
    kstream_stream_to(s, POISON_OUT, "sink");
    const char *dlq_handler = strcmp(c->what, "timestamp") == 0
                                      ? "default.deserialization.exception."
                                        "handler"
                                      : "processing.exception.handler";
    kstream_test_driver_t *drv = h_driver(
            b, "processing.guarantee", c->guarantee, dlq_handler, c->handler,
            "errors.deadletterqueue.topic.name", POISON_DLQ, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, POISON_IN, 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, POISON_IN, 1, "k0", "good", 10);
    h_pipe_p_ok(drv, POISON_IN, 1, "k1", "fine", 11);
    bool fail = strcmp(c->handler, "fail") == 0;
    kstream_err_t want = fail ? strcmp(c->what, "timestamp") == 0
                                        ? KSTREAM_ERR_INVALID_TIMESTAMP
                                        : KSTREAM_ERR_USER
                              : KSTREAM_OK;
    kstream_err_t err = h_pipe_p(drv, POISON_IN, 1, "k2", "poison", 12);
    cr_assert(eq(int, err, want), "%s", kstream_test_driver_last_error(drv));
    char where[128], at[64];
    snprintf(where, sizeof(where), "for record %s [1] offset 2", POISON_IN);
    snprintf(at, sizeof(at), "%s error at '%s'", kind, node);
    if (fail) {
        const char *msg = kstream_test_driver_last_error(drv);
        cr_assert(h_contains(msg, at), "%s", msg);
        cr_assert(h_contains(msg, where), "%s", msg);
        cr_assert(h_contains(msg, detail), "%s", msg);
        cr_assert(eq(int, h_pipe_p(drv, POISON_IN, 1, "k3", "good", 13),
                     KSTREAM_ERR_FAILED));
    } else {
        h_pipe_p_ok(drv, POISON_IN, 1, "k3", "after", 13);
    }
    h_expect(drv, POISON_OUT, "k0", "good");
    h_expect(drv, POISON_OUT, "k1", "fine");
    if (!fail)
        h_expect(drv, POISON_OUT, "k3", "after");
    h_expect_empty(drv, POISON_OUT);
    bool dlq = strcmp(c->handler, "dlq") == 0;
    /* A record dropped at the source (timestamp) is still consumed. */
    int64_t processed = strcmp(c->what, "timestamp") == 0 ? 2 : 3;
    p_expect_counts(drv, fail ? processed : processed + 1,
                    strcmp(c->handler, "continue") == 0, dlq, counter, 1);
    if (dlq) {
        p_dlq_want_t w = {kind, code, node, POISON_IN, "1", "2",
                          {at, where, detail}, 0};
        p_expect_dlq(drv, "k2", 2, "poison", 6, 12, &w);
    }
    h_expect_empty(drv, POISON_DLQ);
    kstream_test_driver_destroy(drv);
}

/* ---- a pill met after a repartition topic ------------------------------- */

static kstream_err_t decode_int32(const kstream_record_t *in,
                                  kstream_record_t *out, void *opaque)
{
    (void)opaque;
    int32_t v;
    kstream_err_t err = kstream_record_value_deserialize(
            in, kstream_serde_int32(), &v);
    if (err)
        return kstream_fail(err, "not an int32 (%zu bytes)",
                            kstream_record_value(in).len);
    v *= 2;
    return kstream_record_set_value_serde(out, kstream_serde_int32(), &v);
}

Test(poison, a_pill_after_a_repartition_names_the_repartition_topic)
{
    const char *guarantees[] = POISON_GUARANTEES;
    for (size_t g = 0; g < sizeof(guarantees) / sizeof(*guarantees); g++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *s = kstream_builder_stream(b, POISON_IN, NULL);
        s = kstream_stream_repartition(s, 1, "rekey");
        s = kstream_stream_map_values(s, decode_int32, NULL, NULL, "double");
        kstream_stream_to(s, POISON_OUT, NULL);
        kstream_test_driver_t *drv = h_driver(
                b, "application.id", "pp", "processing.guarantee",
                guarantees[g], "processing.exception.handler", "dlq",
                "errors.deadletterqueue.topic.name", POISON_DLQ, NULL);
        const uint8_t good[4] = {0, 0, 0, 21}, bad[3] = {0, 0, 21};
        const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
        cr_assert(eq(int,
                     kstream_test_driver_pipe(drv, POISON_IN, key, 4, good,
                                              4, 5),
                     KSTREAM_OK));
        cr_assert(eq(int,
                     kstream_test_driver_pipe(drv, POISON_IN, key, 4, bad, 3,
                                              6),
                     KSTREAM_OK));
        const kstream_record_t *rec = h_read(drv, POISON_OUT);
        int32_t v = 0;
        cr_assert(eq(int,
                     kstream_record_value_deserialize(
                             rec, kstream_serde_int32(), &v),
                     KSTREAM_OK));
        cr_assert(eq(int, v, 42));
        h_expect_empty(drv, POISON_OUT);
        /* Under exactly-once the first record's transaction ends with a
         * commit marker, which takes offset 1 of the repartition topic. */
        bool eos = strcmp(guarantees[g], "exactly_once_v2") == 0;
        p_dlq_want_t w = {"processing", "KSTREAM_ERR_SERDE", "double",
                          "pp-rekey-repartition", "0", eos ? "2" : "1",
                          {"not an int32 (3 bytes)",
                           eos ? "for record pp-rekey-repartition [0] offset 2"
                               : "for record pp-rekey-repartition [0] offset 1"},
                          0};
        p_expect_dlq(drv, key, 4, bad, 3, 6, &w);
        h_expect_empty(drv, POISON_DLQ);
        cr_assert(eq(i64, h_metric(drv, "dlq-records"), 1));
        cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
        kstream_test_driver_destroy(drv);
    }
}

/* ---- late records --------------------------------------------------------- */

Test(poison, late_records_go_to_the_dlq_with_exact_headers)
{
    const char *guarantees[] = POISON_GUARANTEES;
    for (size_t g = 0; g < sizeof(guarantees) / sizeof(*guarantees); g++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *s = kstream_builder_stream(b, POISON_IN, NULL);
        kstream_table_t *t = kstream_windowed_count(
                kstream_grouped_windowed_by(kstream_stream_group_by_key(s),
                                            kstream_windows_tumbling(10, 0)),
                "win");
        cr_assert(t != NULL, "%s", kstream_builder_error(b));
        kstream_test_driver_t *drv = h_driver(
                b, "processing.guarantee", guarantees[g],
                "late.records.handler", "dlq",
                "errors.deadletterqueue.topic.name", POISON_DLQ, NULL);
        h_pipe_ok(drv, POISON_IN, "A", "x", 25);
        h_pipe_ok(drv, POISON_IN, "A", "late", 3);
        p_dlq_want_t w = {"late", "KSTREAM_ERR_INVALID_TIMESTAMP", "win",
                          POISON_IN, "0", "1",
                          {"for record poison-in [0] offset 1",
                           "timestamp 3 is past"},
                          0};
        p_expect_dlq(drv, "A", 1, "late", 4, 3, &w);
        h_expect_empty(drv, POISON_DLQ);
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
        cr_assert(eq(i64, h_metric(drv, "dlq-records"), 1));
        kstream_test_driver_destroy(drv);
    }
}

/* ---- the fail API's arguments --------------------------------------------- */

Test(poison, fail_api_checks_its_arguments)
{
    cr_assert(eq(int, kstream_fail(KSTREAM_OK, "x"), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_fail(KSTREAM_ERR_USER, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    /* Outside a callback: the code only. */
    cr_assert(eq(int, kstream_fail(KSTREAM_ERR_SERDE, "no record"),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(int, kstream_ctx_fail(NULL, KSTREAM_ERR_USER, "x"),
                 KSTREAM_ERR_INVALID_ARG));
}

/* Only the first failure of a record counts: a processor that forwards to
 * a failing filter keeps the filter's message. */
static kstream_err_t proc_forward_then_fail(kstream_ctx_t *ctx,
                                            const kstream_record_t *rec,
                                            void *state)
{
    (void)state;
    kstream_err_t err = kstream_ctx_forward(ctx, rec);
    return err ? kstream_ctx_fail(ctx, err, "outer message") : KSTREAM_OK;
}

Test(poison, the_first_failure_of_a_record_wins)
{
    kstream_builder_t *b = kstream_builder_new();
    static const kstream_processor_t proc = {NULL, proc_forward_then_fail,
                                             NULL};
    kstream_stream_t *s = kstream_builder_stream(b, POISON_IN, NULL);
    s = kstream_stream_process(s, &proc, NULL, NULL, NULL, 0, "outer");
    s = kstream_stream_filter(s, check_msg, NULL, NULL, "inner");
    kstream_stream_to(s, POISON_OUT, NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    cr_assert(eq(int, h_pipe(drv, POISON_IN, "k", "poison", 1),
                 KSTREAM_ERR_USER));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "at 'inner'"), "%s", msg);
    cr_assert(h_contains(msg, "rejected 'poison'"), "%s", msg);
    cr_assert(eq(int, h_contains(msg, "outer message"), 0), "%s", msg);
    kstream_test_driver_destroy(drv);
}
