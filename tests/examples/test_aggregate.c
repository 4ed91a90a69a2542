/* The aggregate example's topology through the test driver: window
 * boundaries, grace, emit-once, late and invalid records to the DLQ, the
 * running totals, and the generator against the model. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "aggregate/aggregate.h"

#define T0 1700000040000LL

static kstream_test_driver_t *new_driver(const aggregate_opts_t *o,
                                         bool cache)
{
    char err[512];
    kstream_topology_t *t = aggregate_build(o, err, sizeof err);
    cr_assert(t, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert_eq(aggregate_configure(conf, o, err, sizeof err), KSTREAM_OK,
                 "%s", err);
    cr_assert_eq(kstream_conf_set(conf, "application.id", "agg-test", err,
                                  sizeof err), KSTREAM_CONF_OK);
    cr_assert_eq(kstream_conf_set(conf, "log.level", "3", err, sizeof err),
                 KSTREAM_CONF_OK);
    if (!cache)
        cr_assert_eq(kstream_conf_set(conf, "cache.max.bytes.buffering", "0",
                                      err, sizeof err), KSTREAM_CONF_OK);
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, err,
                                                         sizeof err);
    cr_assert(drv, "%s", err);
    return drv;
}

static void pipe_event(kstream_test_driver_t *drv, const char *user,
                       const char *type, const char *segment, int64_t amount,
                       int64_t ts)
{
    char v[320];
    int64_t orders = !strcmp(segment, "new") ? 0 : 2;
    int64_t total = !strcmp(segment, "vip") ? 200000
                    : orders               ? 5000
                                           : 0;
    int n = snprintf(v, sizeof v,
                     "{\"event_id\":\"e-%lld\",\"user_id\":\"%s\",\"type\":"
                     "\"%s\",\"amount\":%lld,\"ts\":%lld,\"order_count\":%lld,"
                     "\"total_cents\":%lld,\"segment\":\"%s\"}",
                     (long long)ts, user, type, (long long)amount,
                     (long long)ts, (long long)orders, (long long)total,
                     segment);
    cr_assert_eq(kstream_test_driver_pipe(drv, AGGREGATE_INPUT_TOPIC, user,
                                          strlen(user), v, (size_t)n, ts),
                 KSTREAM_OK, "%s", kstream_test_driver_last_error(drv));
}

static void expect_row(kstream_test_driver_t *drv, const char *key,
                       const char *value, int64_t ts)
{
    const kstream_record_t *rec;
    cr_assert_eq(kstream_test_driver_read(drv, AGGREGATE_OUTPUT_TOPIC, &rec),
                 KSTREAM_OK, "no row, expected %s", value);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert_eq(k.len, strlen(key));
    cr_assert_arr_eq(k.data, key, k.len);
    cr_assert_eq(v.len, strlen(value), "got %.*s, expected %s", (int)v.len,
                 (const char *)v.data, value);
    cr_assert_arr_eq(v.data, value, v.len);
    cr_assert_eq(kstream_record_timestamp(rec), ts);
}

static void expect_total(kstream_test_driver_t *drv, const char *segment,
                         int64_t count, int64_t amount)
{
    kstream_bytes_t v;
    cr_assert_eq(kstream_test_driver_store_get(drv, AGGREGATE_TOTALS_STORE,
                                               segment, strlen(segment), &v),
                 KSTREAM_OK, "no total for %s", segment);
    int64_t c, a;
    cr_assert_eq(aggregate_total_decode(v.data, v.len, &c, &a), KSTREAM_OK,
                 "total of %zu bytes", v.len);
    cr_assert_eq(c, count, "%s: count %lld", segment, (long long)c);
    cr_assert_eq(a, amount, "%s: amount %lld", segment, (long long)a);
}

static char *header(const kstream_record_t *rec, const char *name, char *buf,
                    size_t size)
{
    kstream_bytes_t h;
    if (kstream_record_header_last(rec, name, &h) != KSTREAM_OK)
        return NULL;
    snprintf(buf, size, "%.*s", (int)h.len, (const char *)h.data);
    return buf;
}

Test(aggregate, window_boundaries_and_emit_on_close)
{
    kstream_test_driver_t *drv = new_driver(NULL, false);
    pipe_event(drv, "u1", "purchase", "vip", 1000, T0);         /* [T0, +60s) */
    pipe_event(drv, "u2", "purchase", "vip", 250, T0 + 59999);  /* same */
    pipe_event(drv, "u1", "purchase", "vip", 7, T0 + 60000);    /* next */
    pipe_event(drv, "u3", "view", "new", 0, T0 + 69999);
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_OUTPUT_TOPIC),
              "a window must not be emitted before end + grace");
    pipe_event(drv, "u3", "view", "new", 0, T0 + 70000); /* closes window 0 */
    expect_row(drv, "purchase|vip",
               "{\"window_start\":1700000040000,\"window_end\":1700000100000,"
               "\"type\":\"purchase\",\"segment\":\"vip\",\"count\":2,"
               "\"amount\":1250}",
               T0 + 59999);
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_OUTPUT_TOPIC));
    /* Window 1 closes at T0 + 130000: both keys, in key order. */
    pipe_event(drv, "u9", "click", "regular", 0, T0 + 130000);
    expect_row(drv, "purchase|vip",
               "{\"window_start\":1700000100000,\"window_end\":1700000160000,"
               "\"type\":\"purchase\",\"segment\":\"vip\",\"count\":1,"
               "\"amount\":7}",
               T0 + 60000);
    expect_row(drv, "view|new",
               "{\"window_start\":1700000100000,\"window_end\":1700000160000,"
               "\"type\":\"view\",\"segment\":\"new\",\"count\":2,"
               "\"amount\":0}",
               T0 + 70000);
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_OUTPUT_TOPIC));
    expect_total(drv, "vip", 3, 1257);
    expect_total(drv, "new", 2, 0);
    expect_total(drv, "regular", 1, 0);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, grace_late_within_counted_past_dead_lettered)
{
    kstream_test_driver_t *drv = new_driver(NULL, false);
    pipe_event(drv, "u1", "refund", "regular", 100, T0 + 10000);
    pipe_event(drv, "u1", "refund", "regular", 1, T0 + 65000);
    /* 35 s behind stream time, its window ends in 5 s + 10 s grace: in. */
    pipe_event(drv, "u2", "refund", "regular", 20, T0 + 30000);
    pipe_event(drv, "u2", "view", "regular", 0, T0 + 69999);
    /* Still within grace by 1 ms. */
    pipe_event(drv, "u3", "refund", "regular", 300, T0 + 59999);
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_DLQ_TOPIC));
    pipe_event(drv, "u2", "view", "regular", 0, T0 + 70000); /* closes it */
    expect_row(drv, "refund|regular",
               "{\"window_start\":1700000040000,\"window_end\":1700000100000,"
               "\"type\":\"refund\",\"segment\":\"regular\",\"count\":3,"
               "\"amount\":420}",
               T0 + 59999);
    /* Now past grace: to the DLQ, keyed by type|segment, value as sent. */
    pipe_event(drv, "u4", "refund", "regular", 5000, T0 + 59999);
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_OUTPUT_TOPIC),
              "a late record must not emit the window again");
    const kstream_record_t *rec;
    cr_assert_eq(kstream_test_driver_read(drv, AGGREGATE_DLQ_TOPIC, &rec),
                 KSTREAM_OK);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert_eq(k.len, strlen("refund|regular"));
    cr_assert_arr_eq(k.data, "refund|regular", k.len);
    cr_assert(v.len > 0 && strstr(v.data, "\"amount\":5000"));
    cr_assert_eq(kstream_record_timestamp(rec), T0 + 59999);
    char buf[256];
    cr_assert_str_eq(header(rec, "__kstream.error.code", buf, sizeof buf),
                     "KSTREAM_ERR_INVALID_TIMESTAMP");
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_DLQ_TOPIC));
    int64_t late;
    cr_assert_eq(kstream_test_driver_metric(drv, "late-records-dropped",
                                            &late), KSTREAM_OK);
    cr_assert_eq(late, 1);
    /* The running total is not windowed: the late refund counts. */
    expect_total(drv, "regular", 7, 5421);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, invalid_records_to_the_dlq)
{
    kstream_test_driver_t *drv = new_driver(NULL, false);
    static const char *bad[] = {
            "{\"event_id\":\"e\",\"user", /* truncated */
            "[1,2]",                      /* not an object */
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"type\":\"view\","
            "\"amount\":0,\"ts\":1,\"order_count\":0,\"total_cents\":0}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"type\":\"hover\","
            "\"amount\":0,\"ts\":1,\"order_count\":0,\"total_cents\":0,"
            "\"segment\":\"new\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"type\":\"view\","
            "\"amount\":\"1\",\"ts\":1,\"order_count\":0,\"total_cents\":0,"
            "\"segment\":\"new\"}",
            "{\"event_id\":\"e\",\"user_id\":\"u\",\"type\":\"view\","
            "\"amount\":1,\"ts\":1,\"order_count\":0,\"total_cents\":0,"
            "\"segment\":\"gold\"}",
    };
    size_t nbad = sizeof bad / sizeof *bad;
    for (size_t i = 0; i < nbad; i++)
        cr_assert_eq(kstream_test_driver_pipe(drv, AGGREGATE_INPUT_TOPIC, "u",
                                              1, bad[i], strlen(bad[i]),
                                              T0 + (int64_t)i),
                     KSTREAM_OK);
    cr_assert_eq(kstream_test_driver_pipe(drv, AGGREGATE_INPUT_TOPIC, "u", 1,
                                          NULL, 0, T0 + 10),
                 KSTREAM_OK); /* tombstone */
    for (size_t i = 0; i <= nbad; i++) {
        const kstream_record_t *rec;
        cr_assert_eq(kstream_test_driver_read(drv, AGGREGATE_DLQ_TOPIC, &rec),
                     KSTREAM_OK, "record %zu not dead-lettered", i);
        kstream_bytes_t v = kstream_record_value(rec);
        if (i < nbad) {
            cr_assert_eq(v.len, strlen(bad[i]));
            cr_assert_arr_eq(v.data, bad[i], v.len);
        } else {
            cr_assert_null(v.data);
        }
        char buf[256];
        cr_assert_str_eq(header(rec, "__kstream.error.node", buf, sizeof buf),
                         "validate");
        cr_assert_str_eq(header(rec, "__kstream.source.topic", buf,
                                sizeof buf), AGGREGATE_INPUT_TOPIC);
    }
    cr_assert(kstream_test_driver_is_empty(drv, AGGREGATE_DLQ_TOPIC));
    kstream_bytes_t v;
    cr_assert_eq(kstream_test_driver_store_get(drv, AGGREGATE_TOTALS_STORE,
                                               "new", 3, &v),
                 KSTREAM_ERR_NOT_FOUND);
    kstream_test_driver_destroy(drv);
}

Test(aggregate, emit_once_per_window_with_custom_options)
{
    aggregate_opts_t o;
    aggregate_opts_default(&o);
    o.window_ms = 10000;
    o.grace_ms = 0;
    o.output_topic = "out";
    o.dlq_topic = "dlq";
    kstream_test_driver_t *drv = new_driver(&o, false);
    for (int i = 0; i < 20; i++)
        pipe_event(drv, "u", "click", "new", 0, T0 + i * 499);
    /* stream time T0 + 9481: nothing closed */
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    pipe_event(drv, "u", "click", "new", 0, T0 + 10000);
    pipe_event(drv, "u", "click", "new", 0, T0 + 25000);
    pipe_event(drv, "u", "click", "new", 0, T0 + 26000);
    const kstream_record_t *rec;
    const char *want[] = {
            "{\"window_start\":1700000040000,\"window_end\":1700000050000,"
            "\"type\":\"click\",\"segment\":\"new\",\"count\":20,"
            "\"amount\":0}",
            "{\"window_start\":1700000050000,\"window_end\":1700000060000,"
            "\"type\":\"click\",\"segment\":\"new\",\"count\":1,"
            "\"amount\":0}"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(kstream_test_driver_read(drv, "out", &rec), KSTREAM_OK);
        kstream_bytes_t v = kstream_record_value(rec);
        cr_assert_eq(v.len, strlen(want[i]), "%.*s", (int)v.len,
                     (const char *)v.data);
        cr_assert_arr_eq(v.data, want[i], v.len);
    }
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    kstream_test_driver_destroy(drv);
}

Test(aggregate, bad_arguments)
{
    char err[256];
    aggregate_opts_t o;
    aggregate_opts_default(&o);
    o.window_ms = 0;
    cr_assert_null(aggregate_build(&o, err, sizeof err));
    cr_assert(strstr(err, "window"));
    aggregate_opts_default(&o);
    o.dlq_topic = "";
    cr_assert_null(aggregate_build(&o, err, sizeof err));
    cr_assert_eq(aggregate_configure(NULL, NULL, err, sizeof err),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(aggregate_generate(1, 10, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(aggregate_parse("{}", 2, NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG);
    aggregate_event_t ev;
    cr_assert_eq(aggregate_parse("{}", 2, &ev, err, sizeof err),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "event_id"), "%s", err);
    o.window_ms = -1;
    cr_assert_null(aggregate_model_new(&o));
    cr_assert_eq(aggregate_model_add(NULL, "k", 1, "v", 1, 0),
                 KSTREAM_ERR_INVALID_ARG);
    int64_t a, b;
    cr_assert_eq(aggregate_total_decode("short", 5, &a, &b),
                 KSTREAM_ERR_SERDE);
}
