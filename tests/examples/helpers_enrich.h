/* helpers_enrich.h - the enrich example's topology on the test driver:
 * a mock registry with UserEvent registered, the topology with the
 * example's configuration, and helpers to pipe events and order changes
 * and to read the outputs. Static inline: each test file uses a subset. */
#ifndef KSTREAM_TESTS_HELPERS_ENRICH_H
#define KSTREAM_TESTS_HELPERS_ENRICH_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "enrich/enrich.h"

#define HE_PARTITIONS 4
#define HE_MIN (60 * 1000)

typedef struct he {
    kstream_avro_registry_t *reg;
    kstream_avro_value_t *val; /* a UserEvent to encode */
    int32_t schema_id;
    kstream_test_driver_t *drv;
    kstream_buf_t *key, *buf;
    char text[1024]; /* the last record read, as text */
} he_t;

static inline kstream_avro_registry_t *he_registry(void)
{
    char err[512];
    kstream_avro_conf_t *c = kstream_avro_conf_new();
    cr_assert(c);
    cr_assert_eq(kstream_avro_conf_set(c, "schema.registry.url",
                                       ENRICH_REGISTRY_URL, err, sizeof(err)),
                 KSTREAM_CONF_OK, "%s", err);
    kstream_avro_registry_t *reg = kstream_avro_registry_new(c, err,
                                                             sizeof(err));
    kstream_avro_conf_destroy(c);
    cr_assert(reg, "%s", err);
    return reg;
}

/* A driver running the topology of o (NULL: the defaults) on reg, with
 * both input topics created with HE_PARTITIONS partitions. */
static inline kstream_test_driver_t *he_driver(kstream_avro_registry_t *reg,
                                               const enrich_opts_t *o)
{
    char err[512];
    enrich_opts_t def;
    if (!o) {
        enrich_opts_init(&def);
        o = &def;
    }
    enrich_opts_t opts = *o;
    opts.registry = reg;
    kstream_topology_t *t = enrich_topology(&opts, err, sizeof(err));
    cr_assert(t, "enrich_topology: %s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert_eq(enrich_conf_set(conf, &opts, err, sizeof(err)), KSTREAM_OK,
                 "%s", err);
    cr_assert_eq(kstream_conf_set(conf, "application.id", "enrich-test", err,
                                  sizeof(err)),
                 KSTREAM_CONF_OK);
    /* Dead-lettering logs a warning per record: keep the output quiet. */
    cr_assert_eq(kstream_conf_set(conf, "log.level", "3", err, sizeof(err)),
                 KSTREAM_CONF_OK);
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, err,
                                                         sizeof(err));
    cr_assert(drv, "driver: %s", err);
    cr_assert_eq(kstream_test_driver_create_topic(drv, opts.events_topic,
                                                  HE_PARTITIONS),
                 KSTREAM_OK);
    cr_assert_eq(kstream_test_driver_create_topic(drv, opts.orders_topic,
                                                  HE_PARTITIONS),
                 KSTREAM_OK);
    return drv;
}

static inline void he_setup(he_t *h)
{
    char err[512];
    memset(h, 0, sizeof(*h));
    h->reg = he_registry();
    kstream_avro_schema_t *s = kstream_avro_schema_new(
            enrich_user_event_schema, err, sizeof(err));
    cr_assert(s, "%s", err);
    cr_assert_eq(kstream_avro_registry_register(h->reg, ENRICH_EVENTS_SUBJECT,
                                                s, &h->schema_id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    h->val = kstream_avro_value_new(s, err, sizeof(err));
    kstream_avro_schema_destroy(s);
    cr_assert(h->val, "%s", err);
    h->key = kstream_buf_new();
    h->buf = kstream_buf_new();
    cr_assert(h->key && h->buf);
    h->drv = he_driver(h->reg, NULL);
}

static inline void he_teardown(he_t *h)
{
    kstream_test_driver_destroy(h->drv);
    kstream_avro_value_destroy(h->val);
    kstream_avro_registry_destroy(h->reg);
    kstream_buf_destroy(h->key);
    kstream_buf_destroy(h->buf);
}

/* Pipe raw bytes (NULL: a Kafka null) to topic. */
static inline void he_pipe(he_t *h, const char *topic, const void *key,
                           size_t klen, const void *value, size_t vlen,
                           int64_t ts)
{
    kstream_err_t err = kstream_test_driver_pipe(h->drv, topic, key, klen,
                                                 value, vlen, ts);
    cr_assert_eq(err, KSTREAM_OK, "pipe to %s: %s", topic,
                 kstream_test_driver_last_error(h->drv));
}

/* A valid UserEvent keyed by its user, record time ts. */
static inline void he_event(he_t *h, const char *event_id, const char *user,
                            const char *type, int64_t amount, int64_t ts)
{
    enrich_event_t ev = {event_id, user, type, amount, ts};
    kstream_buf_reset(h->buf);
    cr_assert_eq(enrich_event_encode(h->val, h->schema_id, &ev, h->buf),
                 KSTREAM_OK, "%s", kstream_avro_value_error(h->val));
    kstream_bytes_t v = kstream_buf_bytes(h->buf);
    he_pipe(h, ENRICH_EVENTS_TOPIC, user, strlen(user), v.data, v.len, ts);
}

/* A Debezium change of order id (op 'c', 'r', 'u': after is the row;
 * 'd': the row deleted), or with op 'x' the tombstone of id. */
static inline void he_order(he_t *h, char op, int64_t id, const char *user,
                            const char *status, int64_t cents, int64_t ts)
{
    enrich_order_t row = {id, user, status, cents};
    kstream_buf_reset(h->key);
    kstream_buf_reset(h->buf);
    cr_assert_eq(enrich_order_key(id, h->key), KSTREAM_OK);
    kstream_bytes_t k = kstream_buf_bytes(h->key);
    if (op == 'x') {
        he_pipe(h, ENRICH_ORDERS_TOPIC, k.data, k.len, NULL, 0, ts);
        return;
    }
    cr_assert_eq(enrich_order_change(op, op == 'd' ? &row : NULL,
                                     op == 'd' ? NULL : &row, ts, h->buf),
                 KSTREAM_OK);
    kstream_bytes_t v = kstream_buf_bytes(h->buf);
    he_pipe(h, ENRICH_ORDERS_TOPIC, k.data, k.len, v.data, v.len, ts);
}

/* The expected events.enriched value. */
static inline const char *he_out(char *dst, size_t size, const char *id,
                                 const char *user, const char *type,
                                 int64_t amount, int64_t ts, int64_t count,
                                 int64_t cents, const char *segment)
{
    snprintf(dst, size,
             "{\"event_id\":\"%s\",\"user_id\":\"%s\",\"type\":\"%s\","
             "\"amount\":%" PRId64 ",\"ts\":%" PRId64
             ",\"order_count\":%" PRId64 ",\"total_cents\":%" PRId64
             ",\"segment\":\"%s\"}",
             id, user, type, amount, ts, count, cents, segment);
    return dst;
}

/* Read the next events.enriched record and check key, value and time. */
static inline void he_expect(he_t *h, const char *id, const char *user,
                             const char *type, int64_t amount, int64_t ts,
                             int64_t count, int64_t cents, const char *segment)
{
    char want[512];
    he_out(want, sizeof(want), id, user, type, amount, ts, count, cents,
           segment);
    const kstream_record_t *rec;
    cr_assert_eq(kstream_test_driver_read(h->drv, ENRICH_OUTPUT_TOPIC, &rec),
                 KSTREAM_OK, "no output; expected %s", want);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    snprintf(h->text, sizeof(h->text), "%.*s", (int)v.len,
             v.data ? (const char *)v.data : "null");
    cr_assert_str_eq(h->text, want);
    cr_assert(k.data && k.len == strlen(user) &&
                      memcmp(k.data, user, k.len) == 0,
              "key of %s", want);
    cr_assert_eq(kstream_record_timestamp(rec), ts);
}

static inline void he_expect_none(he_t *h)
{
    const kstream_record_t *rec;
    if (kstream_test_driver_read(h->drv, ENRICH_OUTPUT_TOPIC, &rec) ==
        KSTREAM_OK) {
        kstream_bytes_t v = kstream_record_value(rec);
        cr_assert_fail("unexpected output %.*s", (int)v.len,
                       (const char *)v.data);
    }
}

static inline int64_t he_metric(he_t *h, const char *name)
{
    int64_t v = -1;
    cr_assert_eq(kstream_test_driver_metric(h->drv, name, &v), KSTREAM_OK);
    return v;
}

#endif /* KSTREAM_TESTS_HELPERS_ENRICH_H */
