/* test_json_errors.c - bad CDC events: no op, unknown ops, after missing
 * or null, garbage, truncated, non-object and too deeply nested values.
 * Each is a serde error whose message names what is wrong, routed through
 * processing.exception.handler: fail stops with the message, continue
 * counts and skips, dlq writes the original record with error headers.
 * The table is never changed by a bad event. */
#include "helpers.h"

#include <criterion/parameterized.h>

TestSuite(cdc_json_errors, .timeout = 20);

#define K1 "{\"id\":1}"
#define ANN "{\"id\":1,\"name\":\"Ann\"}"
#define GOOD "{\"before\":null,\"after\":" ANN ",\"op\":\"c\"}"

static kstream_builder_t *topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_cdc_table(
            b, "db.users", kstream_cdc_format_json(), "users");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "users-out", NULL);
    return b;
}

/* A bad value and a piece of the message it must give. Inline arrays:
 * parameters are copied into the test's process. */
typedef struct bad_case {
    char value[160];
    char needle[96];
} bad_case_t;

ParameterizedTestParameters(cdc_json_errors, bad_events_fail_with_a_message)
{
    static bad_case_t cases[] = {
            {"{\"before\":null,\"after\":{\"id\":1}}", "no \"op\" field"},
            {"{\"after\":{\"id\":1},\"op\":null}", "no \"op\" field"},
            {"{\"after\":{\"id\":1},\"op\":\"x\"}", "unknown op \"x\""},
            {"{\"after\":{\"id\":1},\"op\":\"create\"}", "unknown op"},
            {"{\"after\":{\"id\":1},\"op\":\"\"}", "unknown op \"\""},
            {"{\"op\":\"t\",\"source\":{}}", "truncate"},
            {"{\"op\":\"m\",\"message\":{}}", "message events"},
            {"{\"after\":{\"id\":1},\"op\":1}",
             "field op: expected a string, got integer"},
            {"{\"before\":null,\"op\":\"c\"}", "op \"c\" without an \"after\""},
            {"{\"op\":\"r\"}", "op \"r\" without an \"after\""},
            {"{\"before\":{},\"after\":null,\"op\":\"u\"}",
             "op \"u\" with a null \"after\""},
            {"{\"after\":\"text\",\"op\":\"c\"}",
             "field after: expected an object or null, got string"},
            {"{\"after\":{},\"before\":[1],\"op\":\"u\"}",
             "field before: expected an object or null, got array"},
            {"{\"after\":{},\"op\":\"c\",\"ts_ms\":\"now\"}",
             "field ts_ms: expected an integer, got string"},
            {"{\"after\":{},\"op\":\"c\",\"source\":5}",
             "field source: expected an object or null, got integer"},
            {"[1,2,3]", "expected an object, got array"},
            {"\"c\"", "expected an object, got string"},
            {"{\"schema\":{},\"payload\":[]}",
             "field payload: expected an object, got array"},
            {"{\"schema\":{},\"payload\":{\"after\":{}}}", "no \"op\" field"},
            {"not json at all", "invalid JSON"},
            {"{\"after\":{\"id\":1},\"op\":\"c\"", "invalid JSON"},
            {"", "empty"},
            {"\x01\x02\xff\xfe", "invalid JSON"},
            {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
             "]]]]]]]]]]]]]]]]",
             "nested too deep"},
    };
    return cr_make_param_array(bad_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(bad_case_t *c, cdc_json_errors,
                  bad_events_fail_with_a_message)
{
    kstream_test_driver_t *drv = c_driver(topology(),
                                          "processing.exception.handler",
                                          "fail", NULL);
    c_pipe_ok(drv, "db.users", K1, GOOD, 1);
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    c_expect(drv, "users-out", K1, ANN);
    kstream_err_t err = c_pipe(drv, "db.users", K1, c->value, 2);
    cr_assert(eq(int, err, KSTREAM_ERR_SERDE), "%s: got %s", c->value,
              kstream_err2name(err));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(strstr(msg, c->needle) != NULL, "'%s' not in: %s", c->needle,
              msg);
    cr_assert(strstr(msg, "users-cdc-decode") != NULL, "no node in: %s", msg);
    cr_assert(strstr(msg, "db.users") != NULL, "no topic in: %s", msg);
    cr_assert(strstr(msg, "offset 1") != NULL, "no offset in: %s", msg);
    cr_assert(strstr(msg, "CDC json event") != NULL, "%s", msg);
    /* Nothing reached the table's output (the driver has stopped: the
     * continue test checks the table itself). */
    c_expect_empty(drv, "users-out");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_errors, continue_counts_skips_and_goes_on)
{
    kstream_test_driver_t *drv = c_driver(topology(),
                                          "processing.exception.handler",
                                          "continue", NULL);
    c_pipe_ok(drv, "db.users", K1, "{\"after\":{\"id\":1}}", 1);
    c_pipe_ok(drv, "db.users", K1, "garbage", 2);
    c_pipe_ok(drv, "db.users", K1, GOOD, 3);
    c_pipe_ok(drv, "db.users", "{\"id\":2}", "{\"op\":\"c\",\"after\":null}",
              4);
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    c_expect(drv, "users-out", K1, ANN);
    c_expect_empty(drv, "users-out");
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 3));
    cr_assert(eq(i64, c_metric(drv, "records-dropped"), 3));
    cr_assert(eq(i64, c_metric(drv, "dlq-records"), 0));
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_errors, dlq_gets_the_original_record_with_error_headers)
{
    kstream_test_driver_t *drv = c_driver(
            topology(), "processing.exception.handler", "dlq",
            "errors.deadletterqueue.topic.name", "users-dlq", NULL);
    const char *no_op = "{\"before\":null,\"after\":{\"id\":9}}";
    c_pipe_ok(drv, "db.users", K1, GOOD, 1);
    c_pipe_ok(drv, "db.users", "{\"id\":9}", no_op, 2);
    c_pipe_ok(drv, "db.users", "{\"id\":10}", "{\"op\":", 3);
    const kstream_record_t *rec = c_expect(drv, "users-dlq", "{\"id\":9}",
                                           no_op);
    char h[512];
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.error.code", h,
                                        sizeof(h)),
                 "KSTREAM_ERR_SERDE"));
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.error.kind", h,
                                        sizeof(h)),
                 "processing"));
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.error.node", h,
                                        sizeof(h)),
                 "users-cdc-decode"));
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.source.topic", h,
                                        sizeof(h)),
                 "db.users"));
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.source.offset", h,
                                        sizeof(h)),
                 "1"));
    const char *m = c_header(rec, "__kstream.error.message", h, sizeof(h));
    cr_assert(m && strstr(m, "no \"op\" field") != NULL, "%s", m);
    rec = c_expect(drv, "users-dlq", "{\"id\":10}", "{\"op\":");
    m = c_header(rec, "__kstream.error.message", h, sizeof(h));
    cr_assert(m && strstr(m, "invalid JSON") != NULL, "%s", m);
    c_expect_empty(drv, "users-dlq");
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    cr_assert(eq(i64, c_metric(drv, "dlq-records"), 2));
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 2));
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_errors, the_default_handler_fails_and_stays_failed)
{
    kstream_test_driver_t *drv = c_driver(topology(), NULL);
    cr_assert(eq(int, c_pipe(drv, "db.users", K1, "{}", 1),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(int, c_pipe(drv, "db.users", K1, GOOD, 2),
                 KSTREAM_ERR_FAILED));
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_errors, not_nul_terminated_values_are_read_by_length)
{
    kstream_test_driver_t *drv = c_driver(topology(),
                                          "processing.exception.handler",
                                          "continue", NULL);
    /* The event is followed by bytes that must not be read. */
    char buf[64];
    const char *e = "{\"op\":\"c\",\"after\":{\"a\":1}}";
    size_t n = strlen(e);
    memcpy(buf, e, n);
    memset(buf + n, '}', sizeof(buf) - n);
    cr_assert(eq(int, kstream_test_driver_pipe(drv, "db.users", "k", 1, buf, n,
                                               1),
                 KSTREAM_OK));
    /* Cut short: a serde error, not a read past the end. */
    cr_assert(eq(int, kstream_test_driver_pipe(drv, "db.users", "j", 1, buf,
                                               n - 1, 2),
                 KSTREAM_OK));
    c_expect_table(drv, "users", "k={\"a\":1}\n");
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 1));
    kstream_test_driver_destroy(drv);
}
