/* The sessionize example's topology through the test driver: sessions
 * emitted once when they close, duplicates, merging, grace and late
 * readings, alerts, invalid records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sessionize/sessionize.h"

#define T 1700000000000LL

static kstream_test_driver_t *new_driver(const sessionize_opts_t *o)
{
    char err[512];
    kstream_topology_t *t = sessionize_build(o, err, sizeof err);
    cr_assert(t, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert_eq(sessionize_configure(conf, o, err, sizeof err), KSTREAM_OK,
                 "%s", err);
    cr_assert_eq(kstream_conf_set(conf, "log.level", "2", err, sizeof err),
                 KSTREAM_CONF_OK);
    cr_assert_eq(kstream_conf_set(conf, "cache.max.bytes.buffering", "0", err,
                                  sizeof err), KSTREAM_CONF_OK);
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, err,
                                                         sizeof err);
    cr_assert(drv, "%s", err);
    return drv;
}

/* A reading; the record's own timestamp is 0: the "ts" field counts. */
static void reading(kstream_test_driver_t *drv, const char *dev,
                    const char *msg_id, int64_t ts, const char *value)
{
    char v[256];
    int n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"%s\",\"device_id\":\"%s\",\"ts\":%lld,"
                     "\"reading\":%s}",
                     msg_id, dev, (long long)ts, value);
    cr_assert_eq(kstream_test_driver_pipe(drv, SESSIONIZE_INPUT_TOPIC, dev,
                                          strlen(dev), v, (size_t)n, 0),
                 KSTREAM_OK, "%s", kstream_test_driver_last_error(drv));
}

static void expect(kstream_test_driver_t *drv, const char *topic,
                   const char *key, const char *value, int64_t ts)
{
    const kstream_record_t *rec;
    cr_assert_eq(kstream_test_driver_read(drv, topic, &rec), KSTREAM_OK,
                 "nothing on %s, expected %s", topic, value);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert_eq(k.len, strlen(key));
    cr_assert_arr_eq(k.data, key, k.len);
    cr_assert_eq(v.len, strlen(value), "got %.*s\nexpected %s", (int)v.len,
                 (const char *)v.data, value);
    cr_assert_arr_eq(v.data, value, v.len);
    cr_assert_eq(kstream_record_timestamp(rec), ts);
}

static int64_t metric(kstream_test_driver_t *drv, const char *name)
{
    int64_t v = -1;
    cr_assert_eq(kstream_test_driver_metric(drv, name, &v), KSTREAM_OK);
    return v;
}

Test(sessionize, session_emitted_once_after_it_closes)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    reading(drv, "dev-1", "a", T, "10");
    reading(drv, "dev-1", "b", T + 10000, "20.5");
    reading(drv, "dev-1", "c", T + 20000, "30.25");
    /* closes at end + gap + grace + 1 = T + 60001 */
    reading(drv, "dev-2", "d", T + 60000, "1");
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC));
    reading(drv, "dev-2", "e", T + 60001, "1");
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"start\":1700000000000,\"end\":"
           "1700000020000,\"count\":3,\"min\":10.0,\"max\":30.25,\"mean\":"
           "20.25}",
           T + 20000);
    reading(drv, "dev-2", "f", T + 200000, "1");
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-2",
           "{\"device_id\":\"dev-2\",\"start\":1700000060000,\"end\":"
           "1700000060001,\"count\":2,\"min\":1.0,\"max\":1.0,\"mean\":1.0}",
           T + 60001);
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC));
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_ALERTS_TOPIC));
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_DLQ_TOPIC));
    kstream_test_driver_destroy(drv);
}

Test(sessionize, duplicates_dropped)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    reading(drv, "dev-1", "m1", T, "5");
    reading(drv, "dev-1", "m1", T, "5");          /* a redelivery */
    reading(drv, "dev-1", "m2", T + 1000, "7");
    reading(drv, "dev-1", "m1", T + 2000, "99");  /* same id, 2 s later */
    reading(drv, "dev-1", "m2", T + 600000 + 1000, "7"); /* 10 min: dup */
    cr_assert_eq(metric(drv, "duplicates-dropped"), 3);
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"start\":1700000000000,\"end\":"
           "1700000001000,\"count\":2,\"min\":5.0,\"max\":7.0,\"mean\":6.0}",
           T + 1000);
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_ALERTS_TOPIC),
              "a dropped duplicate must not alert");
    /* 10 min + 1 ms after it was seen: a new reading. */
    reading(drv, "dev-1", "m2", T + 1000 + 600001 + 600000, "7");
    cr_assert_eq(metric(drv, "duplicates-dropped"), 3);
    kstream_test_driver_destroy(drv);
}

Test(sessionize, a_reading_bridging_two_sessions_merges_them)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    reading(drv, "dev-1", "a", T, "1");
    reading(drv, "dev-1", "b", T + 35000, "3"); /* 35 s later: apart */
    reading(drv, "dev-1", "c", T + 17500, "2"); /* within gap of both */
    reading(drv, "dev-9", "z", T + 35000 + 40001, "0");
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"start\":1700000000000,\"end\":"
           "1700000035000,\"count\":3,\"min\":1.0,\"max\":3.0,\"mean\":2.0}",
           T + 35000);
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC),
              "the merged-away sessions must never be emitted");
    kstream_test_driver_destroy(drv);
}

Test(sessionize, grace_late_within_counted_past_dead_lettered)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    reading(drv, "dev-1", "a", T, "1");
    reading(drv, "dev-1", "b", T + 20000, "2");
    reading(drv, "dev-2", "x", T + 55000, "0");
    /* close time T + 15000; the session it joins ends at T + 20000: in */
    reading(drv, "dev-1", "c", T + 18000, "3");
    reading(drv, "dev-2", "y", T + 60001, "0");
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"start\":1700000000000,\"end\":"
           "1700000020000,\"count\":3,\"min\":1.0,\"max\":3.0,\"mean\":2.0}",
           T + 20000);
    /* Past grace: dead-lettered as read, no session touched. */
    reading(drv, "dev-1", "d", T + 5000, "4");
    const kstream_record_t *rec;
    cr_assert_eq(kstream_test_driver_read(drv, SESSIONIZE_DLQ_TOPIC, &rec),
                 KSTREAM_OK);
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(v.data && strstr(v.data, "\"msg_id\":\"d\""));
    kstream_bytes_t h;
    cr_assert_eq(kstream_record_header_last(rec, "__kstream.error.code", &h),
                 KSTREAM_OK);
    cr_assert_eq(h.len, strlen("KSTREAM_ERR_INVALID_TIMESTAMP"));
    cr_assert_eq(metric(drv, "late-records-dropped"), 1);
    reading(drv, "dev-2", "w", T + 500000, "0");
    expect(drv, SESSIONIZE_SESSIONS_TOPIC, "dev-2",
           "{\"device_id\":\"dev-2\",\"start\":1700000055000,\"end\":"
           "1700000060001,\"count\":2,\"min\":0.0,\"max\":0.0,\"mean\":0.0}",
           T + 60001);
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC));
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_DLQ_TOPIC));
    kstream_test_driver_destroy(drv);
}

Test(sessionize, threshold_and_long_session_alerts)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    reading(drv, "dev-1", "a", T, "90");       /* not above */
    reading(drv, "dev-1", "b", T + 1, "90.25");
    reading(drv, "dev-1", "c", T + 2, "150");
    expect(drv, SESSIONIZE_ALERTS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"kind\":\"threshold\",\"ts\":"
           "1700000000001,\"msg_id\":\"b\",\"reading\":90.25,\"threshold\":"
           "90.0}",
           T + 1);
    expect(drv, SESSIONIZE_ALERTS_TOPIC, "dev-1",
           "{\"device_id\":\"dev-1\",\"kind\":\"threshold\",\"ts\":"
           "1700000000002,\"msg_id\":\"c\",\"reading\":150.0,\"threshold\":"
           "90.0}",
           T + 2);
    /* dev-4: a reading every 20 s for 300 s, exactly the limit: no alert
     * (dev-1 from T to T + 2 is one too: 2 ms); dev-2
     * one more step: 320 s. */
    char id[16];
    for (int i = 0; i <= 16; i++) {
        snprintf(id, sizeof id, "d%d", i);
        if (i <= 15)
            reading(drv, "dev-4", id, T + 1000 + i * 20000, "1");
        snprintf(id, sizeof id, "e%d", i);
        reading(drv, "dev-2", id, T + 1000 + i * 20000, "1");
    }
    reading(drv, "dev-3", "f", T + 1000 + 320000 + 40001, "1");
    cr_assert(!kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC));
    expect(drv, SESSIONIZE_ALERTS_TOPIC, "dev-2",
           "{\"device_id\":\"dev-2\",\"kind\":\"long_session\",\"ts\":"
           "1700000321000,\"start\":1700000001000,\"end\":1700000321000,"
           "\"duration_ms\":320000,\"max_duration_ms\":300000}",
           T + 321000);
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_ALERTS_TOPIC));
    kstream_test_driver_destroy(drv);
}

Test(sessionize, invalid_records_to_the_dlq)
{
    kstream_test_driver_t *drv = new_driver(NULL);
    static const struct {
        const char *key, *value;
    } bad[] = {
            {"dev-1", "{\"msg_id\":\"a\",\"dev"},
            {"dev-1", "{\"msg_id\":\"a\",\"device_id\":\"dev-1\",\"ts\":5}"},
            {"dev-1", "{\"msg_id\":\"a\",\"device_id\":\"dev-1\",\"ts\":5,"
                      "\"reading\":\"5\"}"},
            {"dev-1", "{\"msg_id\":\"a\",\"device_id\":\"dev-1\",\"ts\":-5,"
                      "\"reading\":5}"},
            {"dev-2", "{\"msg_id\":\"a\",\"device_id\":\"dev-1\",\"ts\":5,"
                      "\"reading\":5}"},
            {"dev-1", "{\"msg_id\":\"\",\"device_id\":\"dev-1\",\"ts\":5,"
                      "\"reading\":5}"},
            {"dev-1", NULL},
    };
    size_t n = sizeof bad / sizeof *bad;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(kstream_test_driver_pipe(
                             drv, SESSIONIZE_INPUT_TOPIC, bad[i].key,
                             strlen(bad[i].key), bad[i].value,
                             bad[i].value ? strlen(bad[i].value) : 0, T),
                     KSTREAM_OK);
    for (size_t i = 0; i < n; i++) {
        const kstream_record_t *rec;
        cr_assert_eq(kstream_test_driver_read(drv, SESSIONIZE_DLQ_TOPIC, &rec),
                     KSTREAM_OK, "record %zu", i);
        kstream_bytes_t v = kstream_record_value(rec);
        if (bad[i].value) {
            cr_assert_eq(v.len, strlen(bad[i].value));
            cr_assert_arr_eq(v.data, bad[i].value, v.len);
        } else {
            cr_assert_null(v.data);
        }
        kstream_bytes_t h;
        cr_assert_eq(kstream_record_header_last(rec, "__kstream.error.node",
                                                &h), KSTREAM_OK);
        cr_assert_eq(h.len, 5);
        cr_assert_arr_eq(h.data, "parse", 5);
    }
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_DLQ_TOPIC));
    cr_assert(kstream_test_driver_is_empty(drv, SESSIONIZE_SESSIONS_TOPIC));
    kstream_test_driver_destroy(drv);
}

Test(sessionize, bad_arguments)
{
    char err[256];
    sessionize_opts_t o;
    sessionize_opts_default(&o);
    o.gap_ms = 0;
    cr_assert_null(sessionize_build(&o, err, sizeof err));
    cr_assert(strstr(err, "gap"), "%s", err);
    cr_assert_null(sessionize_model_new(&o));
    sessionize_opts_default(&o);
    o.alerts_topic = NULL;
    cr_assert_null(sessionize_build(&o, err, sizeof err));
    cr_assert_eq(sessionize_configure(NULL, NULL, err, sizeof err),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(sessionize_generate(1, 5, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(sessionize_model_add(NULL, "k", 1, "v", 1, 0),
                 KSTREAM_ERR_INVALID_ARG);
    sessionize_reading_t r;
    kstream_json_t *j;
    cr_assert_eq(sessionize_parse("k", 1, "{}", 2, NULL, &j, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(sessionize_parse("k", 1, "{}", 2, &r, &j, err, sizeof err),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "msg_id"), "%s", err);
    cr_assert_eq(sessionize_timestamp("{\"ts\":7}", 8, 3), 7);
    cr_assert_eq(sessionize_timestamp("{\"ts\":-7}", 9, 3), 3);
    cr_assert_eq(sessionize_timestamp("nope", 4, 3), 3);
}
