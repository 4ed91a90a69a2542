/* test_serde.c - the Avro serde's settings: subject name strategies,
 * auto.register.schemas, use.latest.version, key serdes, and the serde
 * inside a topology on the test driver. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static t_server_t srv;

static void teardown(void) {
    t_server_stop(&srv);
}
TestSuite(avro_serde, .fini = teardown, .timeout = 60);

/* Serialize an OrderPlaced value with \p serde; returns its schema id. */
static int32_t ser(kstream_serde_t *serde, kstream_avro_value_t *v,
                   kstream_err_t want) {
    kstream_buf_t *b = kstream_buf_new();
    kstream_err_t err = kstream_serde_serialize(serde, v, b);

    cr_assert_eq(err, want, "%s: %s", kstream_err2name(err),
                 kstream_avro_value_error(v));
    if (!err)
        cr_assert_gt(kstream_buf_bytes(b).len, 5);
    else
        cr_assert_eq(kstream_buf_bytes(b).len, 0);
    kstream_buf_destroy(b);
    return kstream_avro_value_schema_id(v);
}

Test(avro_serde, subject_name_strategies) {
    static const struct {
        const char *key, *value, *topic;
        bool is_key;
        const char *subject;
    } cases[] = {
            {"value.subject.name.strategy", "TopicNameStrategy", "orders",
             false, "POST /subjects/orders-value/versions"},
            {"key.subject.name.strategy", "TopicNameStrategy", "orders", true,
             "POST /subjects/orders-key/versions"},
            {"value.subject.name.strategy",
             "io.confluent.kafka.serializers.subject.RecordNameStrategy", NULL,
             false, "POST /subjects/OrderPlaced/versions"},
            {"key.subject.name.strategy", "TopicRecordNameStrategy", "orders",
             true, "POST /subjects/orders-OrderPlaced/versions"},
    };
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s);
    size_t i;

    t_server_start(&srv, NULL);
    t_fill_order(v, 1);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const kv[] = {cases[i].key, cases[i].value, NULL};
        kstream_avro_registry_t *reg = t_registry(srv.url, kv);
        char err[256] = "";
        kstream_serde_t *serde = kstream_avro_serde_new(
                reg, NULL, cases[i].topic, cases[i].is_key, err, sizeof(err));
        cr_assert(serde, "%s", err);
        cr_assert_eq(ser(serde, v, KSTREAM_OK), 1);
        ser(serde, v, KSTREAM_OK); /* cached: no second request */
        cr_assert_eq(t_server_path_count(&srv, cases[i].subject), 1, "%s",
                     cases[i].subject);
        kstream_serde_destroy(serde);
        kstream_avro_registry_destroy(reg);
    }
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_serde, auto_register_off_looks_up) {
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s);
    kstream_avro_registry_t *reg;
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    kstream_serde_t *serde;
    int32_t id;

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, NULL);
    cr_assert_eq(kstream_avro_conf_set(conf, "auto.register.schemas", "false",
                                       NULL, 0),
                 KSTREAM_CONF_OK);
    serde = kstream_avro_serde_new(reg, conf, "orders", false, NULL, 0);
    t_fill_order(v, 2);
    ser(serde, v, KSTREAM_ERR_SERDE);
    cr_assert(strstr(kstream_avro_value_error(v), "subject \"orders-value\"") &&
                      strstr(kstream_avro_value_error(v),
                             "auto.register.schemas is false"),
              "%s", kstream_avro_value_error(v));
    cr_assert_eq(kstream_avro_registry_register(reg, "orders-value", s, &id,
                                                NULL, 0),
                 KSTREAM_OK);
    cr_assert_eq(ser(serde, v, KSTREAM_OK), id);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_conf_destroy(conf);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_serde, use_latest_version_converts) {
    static const char *v2 =
            "{\"type\":\"record\",\"name\":\"OrderPlaced\",\"fields\":["
            "{\"name\":\"order_id\",\"type\":\"string\"},"
            "{\"name\":\"user_id\",\"type\":\"string\"},"
            "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{"
            "\"type\":\"record\",\"name\":\"Item\",\"fields\":["
            "{\"name\":\"sku\",\"type\":\"string\"},"
            "{\"name\":\"quantity\",\"type\":\"int\"},"
            "{\"name\":\"price\",\"type\":\"double\"}]}}},"
            "{\"name\":\"total\",\"type\":\"double\"},"
            "{\"name\":\"channel\",\"type\":\"string\",\"default\":\"web\"},"
            "{\"name\":\"timestamp\",\"type\":\"long\"}]}";
    kstream_avro_schema_t *s = t_order_schema(), *s2 = t_schema(v2);
    kstream_avro_value_t *v = t_value(s), *back = t_value(NULL);
    kstream_avro_registry_t *reg =
            t_registry("mock://latest", (const char *const[]){
                                                "use.latest.version", "true",
                                                NULL});
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "orders", false, NULL, 0);
    kstream_buf_t *b = kstream_buf_new();
    kstream_bytes_t by;
    const char *str;
    int32_t id1, id2;

    t_fill_order(v, 3);
    ser(serde, v, KSTREAM_ERR_SERDE); /* no version yet */
    cr_assert(strstr(kstream_avro_value_error(v), "40401"), "%s",
              kstream_avro_value_error(v));
    cr_assert_eq(kstream_avro_registry_register(reg, "orders-value", s, &id1,
                                                NULL, 0),
                 KSTREAM_OK);
    cr_assert_eq(kstream_avro_registry_register(reg, "orders-value", s2,
                                                &id2, NULL, 0),
                 KSTREAM_OK);
    cr_assert_eq(kstream_serde_serialize(serde, v, b), KSTREAM_OK, "%s",
                 kstream_avro_value_error(v));
    cr_assert_eq(kstream_avro_value_schema_id(v), id2);
    by = kstream_buf_bytes(b);
    cr_assert_eq(kstream_serde_deserialize(serde, by.data, by.len, back),
                 KSTREAM_OK, "%s", kstream_avro_value_error(back));
    cr_assert_eq(kstream_avro_value_get_string(back, "channel", &str, NULL),
                 KSTREAM_OK);
    cr_assert_str_eq(str, "web");
    cr_assert_eq(kstream_avro_value_get_string(back, "order_id", &str, NULL),
                 KSTREAM_OK);
    cr_assert_str_eq(str, "order-000003");
    kstream_buf_destroy(b);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    kstream_avro_schema_destroy(s);
    kstream_avro_schema_destroy(s2);
}

Test(avro_serde, errors_and_kafka_nulls) {
    kstream_avro_registry_t *reg = t_registry("mock://e", NULL);
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "t", false, NULL, 0);
    kstream_avro_value_t *empty = t_value(NULL);
    kstream_buf_t *b = kstream_buf_new();

    cr_assert_str_eq(kstream_serde_name(serde), "avro");
    cr_assert_eq(kstream_serde_serialize(serde, NULL, b),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_serde_serialize(serde, empty, b),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(kstream_avro_value_error(empty), "no schema"));
    cr_assert_eq(kstream_serde_deserialize(serde, NULL, 0, empty),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(kstream_avro_value_error(empty), "tombstone"));
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(empty);
    /* the serde keeps the registry alive */
    kstream_avro_registry_destroy(reg);
    {
        kstream_avro_schema_t *s = t_schema("\"string\"");
        kstream_avro_value_t *v = t_value(s);
        cr_assert_eq(kstream_avro_value_set_string(v, NULL, "x"), KSTREAM_OK);
        ser(serde, v, KSTREAM_OK);
        kstream_avro_value_destroy(v);
        kstream_avro_schema_destroy(s);
    }
    kstream_serde_destroy(serde);
}

/* ---- inside a topology ------------------------------------------------ */

typedef struct app {
    kstream_serde_t *serde;
    kstream_avro_value_t *in;  /* one per stream thread: one here */
    kstream_avro_value_t *out;
} app_t;

/* Read the order, write a summary record through the serde. */
static kstream_err_t summarize(const kstream_record_t *rec,
                               kstream_record_t *out, void *opaque) {
    app_t *a = opaque;
    const char *user;
    size_t items;
    double total;
    kstream_buf_t *b;
    kstream_err_t err;

    err = kstream_record_value_deserialize(rec, a->serde, a->in);
    if (err)
        return err;
    if (kstream_avro_value_get_string(a->in, "user_id", &user, NULL) ||
        kstream_avro_value_size(a->in, "items", &items) ||
        kstream_avro_value_get_double(a->in, "total", &total))
        return KSTREAM_ERR_SERDE;
    kstream_avro_value_set_string(a->out, "user", user);
    kstream_avro_value_set_int(a->out, "items", (int32_t)items);
    kstream_avro_value_set_double(a->out, "total", total);
    b = kstream_buf_new();
    err = kstream_serde_serialize(a->serde, a->out, b);
    if (!err)
        err = kstream_record_set_value(out, kstream_buf_bytes(b).data,
                                       kstream_buf_bytes(b).len);
    kstream_buf_destroy(b);
    return err;
}

Test(avro_serde, in_a_topology) {
    kstream_avro_registry_t *reg = t_registry("mock://app", NULL);
    kstream_avro_schema_t *order = t_order_schema();
    kstream_avro_schema_t *sum = t_schema(
            "{\"type\":\"record\",\"name\":\"Summary\",\"fields\":["
            "{\"name\":\"user\",\"type\":\"string\"},{\"name\":\"items\","
            "\"type\":\"int\"},{\"name\":\"total\",\"type\":\"double\"}]}");
    kstream_serde_t *in_serde =
            kstream_avro_serde_new(reg, NULL, "orders", false, NULL, 0);
    app_t a = {kstream_avro_serde_new(reg, NULL, "summaries", false, NULL, 0),
               t_value(NULL), t_value(sum)};
    kstream_avro_value_t *v = t_value(order), *res = t_value(NULL);
    char err[512];
    kstream_builder_t *bld = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(bld, "orders", NULL);
    kstream_topology_t *topo;
    kstream_test_driver_t *drv;
    const kstream_record_t *rec;
    kstream_buf_t *b = kstream_buf_new();
    int n = 0, i;

    kstream_stream_to(kstream_stream_map_values(st, summarize, &a, NULL,
                                                NULL),
                      "summaries", NULL);
    topo = kstream_builder_build(bld, err, sizeof(err));
    cr_assert(topo, "%s", err);
    drv = kstream_test_driver_new(topo, NULL, err, sizeof(err));
    cr_assert(drv, "%s", err);
    for (i = 0; i < 5; i++) {
        kstream_buf_reset(b);
        t_fill_order(v, i);
        cr_assert_eq(kstream_serde_serialize(in_serde, v, b), KSTREAM_OK);
        cr_assert_eq(kstream_test_driver_pipe(drv, "orders", "k", 1,
                                              kstream_buf_bytes(b).data,
                                              kstream_buf_bytes(b).len,
                                              1000 + i),
                     KSTREAM_OK, "%s", kstream_test_driver_last_error(drv));
    }
    while (kstream_test_driver_read(drv, "summaries", &rec) == KSTREAM_OK) {
        int32_t items;
        cr_assert_eq(kstream_record_value_deserialize(rec, a.serde, res),
                     KSTREAM_OK, "%s", kstream_avro_value_error(res));
        cr_assert_eq(kstream_avro_value_get_int(res, "items", &items),
                     KSTREAM_OK);
        cr_assert_eq(items, 1 + n % 4);
        n++;
    }
    cr_assert_eq(n, 5);
    kstream_test_driver_destroy(drv);
    kstream_buf_destroy(b);
    kstream_serde_destroy(in_serde);
    kstream_serde_destroy(a.serde);
    kstream_avro_value_destroy(a.in);
    kstream_avro_value_destroy(a.out);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(res);
    kstream_avro_schema_destroy(order);
    kstream_avro_schema_destroy(sum);
    kstream_avro_registry_destroy(reg);
}

/* Several threads serialize and deserialize through one serde, each with
 * its own values, several schemas at once. */
typedef struct job {
    kstream_serde_t *serde;
    kstream_avro_schema_t *schema;
    int fails;
} job_t;

#include <pthread.h>

static void *worker(void *arg) {
    job_t *job = arg;
    kstream_avro_value_t *v = kstream_avro_value_new(job->schema, NULL, 0);
    kstream_avro_value_t *back = kstream_avro_value_new(NULL, NULL, 0);
    kstream_buf_t *b = kstream_buf_new();
    int i;

    for (i = 0; i < 500; i++) {
        kstream_bytes_t by;
        int64_t l = -1;
        kstream_buf_reset(b);
        if (kstream_avro_value_set_long(v, "n", i) ||
            kstream_serde_serialize(job->serde, v, b)) {
            __atomic_add_fetch(&job->fails, 1, __ATOMIC_RELAXED);
            continue;
        }
        by = kstream_buf_bytes(b);
        if (kstream_serde_deserialize(job->serde, by.data, by.len, back) ||
            kstream_avro_value_get_long(back, "n", &l) || l != i)
            __atomic_add_fetch(&job->fails, 1, __ATOMIC_RELAXED);
    }
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    return NULL;
}

Test(avro_serde, shared_by_threads) {
    kstream_avro_registry_t *reg = t_registry(
            "mock://threads", (const char *const[]){
                                      "value.subject.name.strategy",
                                      "TopicRecordNameStrategy", NULL});
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "mt", false, NULL, 0);
    kstream_avro_schema_t *schemas[12];
    job_t jobs[12];
    pthread_t th[12];
    char json[160];
    int i;

    for (i = 0; i < 12; i++) { /* 12 schemas: more than the serde's slots */
        snprintf(json, sizeof(json),
                 "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[{\"name\":"
                 "\"n\",\"type\":\"long\"}]}",
                 i % 12);
        schemas[i] = t_schema(json);
        jobs[i].serde = serde;
        jobs[i].schema = schemas[i];
        jobs[i].fails = 0;
    }
    for (i = 0; i < 12; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (i = 0; i < 12; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].fails, 0, "thread %d", i);
        kstream_avro_schema_destroy(schemas[i]);
    }
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
}
