/* test_enrich_dlq.c - invalid input of the enrich topology goes to
 * events.dlq, as it was read, with headers naming the error: events with
 * a missing field, a field of another type, a bad value, garbage bytes,
 * an unknown schema id, a null value or a key that is not their user, and
 * change events that are not row changes. Valid input goes on. */
#include "helpers_enrich.h"

static he_t h;

static void setup(void)
{
    he_setup(&h);
}

static void teardown(void)
{
    he_teardown(&h);
}

TestSuite(enrich_dlq, .init = setup, .fini = teardown, .timeout = 60);

#define T0 1700000000000

/* The header's value as a string ("" when absent). */
static const char *header(const kstream_record_t *rec, const char *name,
                          char *buf, size_t size)
{
    kstream_bytes_t v;
    buf[0] = '\0';
    if (kstream_record_header_last(rec, name, &v) == KSTREAM_OK && v.data)
        snprintf(buf, size, "%.*s", (int)v.len, (const char *)v.data);
    return buf;
}

/* The next DLQ record is (key, value) from topic, failed at node with
 * code; nothing reached events.enriched. */
static void expect_dlq(const void *key, size_t klen, const void *value,
                       size_t vlen, const char *topic, const char *node,
                       const char *code)
{
    const kstream_record_t *rec;
    char buf[640];
    cr_assert_eq(kstream_test_driver_read(h.drv, ENRICH_DLQ_TOPIC, &rec),
                 KSTREAM_OK, "nothing in the DLQ");
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert_eq(k.data == NULL, key == NULL);
    cr_assert(!key || (k.len == klen && !memcmp(k.data, key, klen)));
    cr_assert_eq(v.data == NULL, value == NULL);
    cr_assert(!value || (v.len == vlen && !memcmp(v.data, value, vlen)),
              "the DLQ holds the record as it was read");
    cr_assert_str_eq(header(rec, "__kstream.error.kind", buf, sizeof(buf)),
                     "processing");
    cr_assert_str_eq(header(rec, "__kstream.error.code", buf, sizeof(buf)),
                     code);
    cr_assert_str_eq(header(rec, "__kstream.error.node", buf, sizeof(buf)),
                     node);
    cr_assert_str_eq(header(rec, "__kstream.source.topic", buf, sizeof(buf)),
                     topic);
    header(rec, "__kstream.error.message", buf, sizeof(buf));
    cr_assert(strstr(buf, node) && strstr(buf, topic), "message: %s", buf);
    he_expect_none(&h);
}

static void expect_event_dlq(const char *key, kstream_bytes_t value,
                             const char *code)
{
    expect_dlq(key, key ? strlen(key) : 0, value.data, value.len,
               ENRICH_EVENTS_TOPIC, ENRICH_VALIDATE_NODE, code);
}

/* Register a UserEvent variant and return a value of it. */
static kstream_avro_value_t *variant(const char *amount_field, int32_t *id)
{
    char json[1024], err[512];
    snprintf(json, sizeof(json),
             "{\"type\":\"record\",\"name\":\"UserEvent\",\"namespace\":"
             "\"kstream.examples\",\"fields\":["
             "{\"name\":\"event_id\",\"type\":\"string\"},"
             "{\"name\":\"user_id\",\"type\":\"string\"},"
             "{\"name\":\"type\",\"type\":\"string\"},%s"
             "{\"name\":\"ts\",\"type\":\"long\"}]}",
             amount_field);
    kstream_avro_schema_t *s = kstream_avro_schema_new(json, err, sizeof(err));
    cr_assert(s, "%s", err);
    cr_assert_eq(kstream_avro_registry_register(h.reg, "variant-value", s, id,
                                                err, sizeof(err)),
                 KSTREAM_OK, "%s", err);
    kstream_avro_value_t *v = kstream_avro_value_new(s, err, sizeof(err));
    kstream_avro_schema_destroy(s);
    cr_assert(v, "%s", err);
    cr_assert_eq(kstream_avro_value_set_string(v, "event_id", "e1"), 0);
    cr_assert_eq(kstream_avro_value_set_string(v, "user_id", "u1"), 0);
    cr_assert_eq(kstream_avro_value_set_string(v, "type", "view"), 0);
    cr_assert_eq(kstream_avro_value_set_long(v, "ts", T0), 0);
    return v;
}

static kstream_bytes_t encode_variant(kstream_avro_value_t *v, int32_t id)
{
    kstream_buf_reset(h.buf);
    cr_assert_eq(kstream_avro_frame_write(h.buf, id), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_encode(v, NULL, h.buf), KSTREAM_OK, "%s",
                 kstream_avro_value_error(v));
    return kstream_buf_bytes(h.buf);
}

static void pipe_event(const char *key, kstream_bytes_t v)
{
    he_pipe(&h, ENRICH_EVENTS_TOPIC, key, key ? strlen(key) : 0, v.data,
            v.len, T0);
}

Test(enrich_dlq, missing_field)
{
    int32_t id;
    kstream_avro_value_t *v = variant("", &id);
    kstream_bytes_t b = encode_variant(v, id);
    pipe_event("u1", b);
    expect_event_dlq("u1", b, "KSTREAM_ERR_SERDE");
    kstream_avro_value_destroy(v);
}

Test(enrich_dlq, field_of_another_type)
{
    int32_t id;
    kstream_avro_value_t *v = variant(
            "{\"name\":\"amount\",\"type\":\"string\"},", &id);
    cr_assert_eq(kstream_avro_value_set_string(v, "amount", "12.50"), 0);
    kstream_bytes_t b = encode_variant(v, id);
    pipe_event("u1", b);
    expect_event_dlq("u1", b, "KSTREAM_ERR_SERDE");
    kstream_avro_value_destroy(v);
}

Test(enrich_dlq, extra_field_is_fine)
{
    /* Schema evolution: a writer with one more field still reads. */
    int32_t id;
    kstream_avro_value_t *v = variant(
            "{\"name\":\"amount\",\"type\":\"int\"},"
            "{\"name\":\"channel\",\"type\":\"string\"},",
            &id);
    cr_assert_eq(kstream_avro_value_set_int(v, "amount", 7), 0);
    cr_assert_eq(kstream_avro_value_set_string(v, "channel", "web"), 0);
    pipe_event("u1", encode_variant(v, id));
    he_expect(&h, "e1", "u1", "view", 7, T0, 0, 0, "new");
    cr_assert(kstream_test_driver_is_empty(h.drv, ENRICH_DLQ_TOPIC));
    kstream_avro_value_destroy(v);
}

Test(enrich_dlq, bad_values)
{
    const char *types[] = {"share", "view", "view", ""};
    int64_t amounts[] = {0, -5, 0, 0};
    const char *users[] = {"u1", "u1", "u1", "u1"};
    const char *ids[] = {"e1", "e2", "", "e4"};
    for (int i = 0; i < 4; i++) {
        enrich_event_t ev = {ids[i], users[i], types[i], amounts[i], T0};
        kstream_buf_reset(h.buf);
        cr_assert_eq(enrich_event_encode(h.val, h.schema_id, &ev, h.buf),
                     KSTREAM_OK);
        kstream_bytes_t b = kstream_buf_bytes(h.buf);
        pipe_event("u1", b);
        expect_event_dlq("u1", b, "KSTREAM_ERR_USER");
    }
}

Test(enrich_dlq, key_that_is_not_the_user)
{
    enrich_event_t ev = {"e1", "u1", "view", 0, T0};
    cr_assert_eq(enrich_event_encode(h.val, h.schema_id, &ev, h.buf), 0);
    kstream_bytes_t b = kstream_buf_bytes(h.buf);
    pipe_event("u2", b);
    expect_event_dlq("u2", b, "KSTREAM_ERR_USER");
    pipe_event(NULL, b);
    expect_event_dlq(NULL, b, "KSTREAM_ERR_USER");
}

Test(enrich_dlq, garbage_and_null)
{
    static const char json[] = "{\"event_id\":\"e1\",\"user_id\":\"u1\"}";
    static const unsigned char junk[] = {0xff, 0x01, 0x02, 0x03, 0x04, 0x05};
    static const unsigned char short_frame[] = {0x00, 0x00, 0x00};
    static const unsigned char empty_body[] = {0x00, 0x00, 0x00, 0x00, 0x01};
    kstream_bytes_t in[] = {{json, sizeof(json) - 1},
                            {junk, sizeof(junk)},
                            {short_frame, sizeof(short_frame)},
                            {empty_body, sizeof(empty_body)},
                            {"", 0}};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        pipe_event("u1", in[i]);
        expect_event_dlq("u1", in[i], "KSTREAM_ERR_SERDE");
    }
    kstream_bytes_t null = {NULL, 0};
    pipe_event("u1", null);
    expect_event_dlq("u1", null, "KSTREAM_ERR_SERDE");
}

Test(enrich_dlq, truncated_avro)
{
    enrich_event_t ev = {"e1", "u1", "purchase", 1234, T0};
    cr_assert_eq(enrich_event_encode(h.val, h.schema_id, &ev, h.buf), 0);
    kstream_bytes_t b = kstream_buf_bytes(h.buf);
    for (size_t cut = 5; cut < b.len; cut += 3) {
        kstream_bytes_t part = {b.data, cut};
        pipe_event("u1", part);
        expect_event_dlq("u1", part, "KSTREAM_ERR_SERDE");
    }
}

Test(enrich_dlq, unknown_schema_id)
{
    enrich_event_t ev = {"e1", "u1", "view", 0, T0};
    cr_assert_eq(enrich_event_encode(h.val, 4242, &ev, h.buf), 0);
    kstream_bytes_t b = kstream_buf_bytes(h.buf);
    pipe_event("u1", b);
    expect_event_dlq("u1", b, "KSTREAM_ERR_SERDE");
}

Test(enrich_dlq, bad_change_events)
{
    static const char truncate[] =
            "{\"schema\":null,\"payload\":{\"before\":null,\"after\":null,"
            "\"op\":\"t\",\"ts_ms\":1}}";
    static const char no_op[] = "{\"before\":null,\"after\":{\"order_id\":1}}";
    static const char cut[] = "{\"schema\":{},\"payload\":{\"op\":\"c\",\"af";
    kstream_buf_reset(h.key);
    cr_assert_eq(enrich_order_key(1, h.key), KSTREAM_OK);
    kstream_bytes_t k = kstream_buf_bytes(h.key);
    he_pipe(&h, ENRICH_ORDERS_TOPIC, NULL, 0, truncate, sizeof(truncate) - 1,
            T0);
    expect_dlq(NULL, 0, truncate, sizeof(truncate) - 1, ENRICH_ORDERS_TOPIC,
               "orders-cdc-decode", "KSTREAM_ERR_SERDE");
    he_pipe(&h, ENRICH_ORDERS_TOPIC, k.data, k.len, no_op, sizeof(no_op) - 1,
            T0);
    expect_dlq(k.data, k.len, no_op, sizeof(no_op) - 1, ENRICH_ORDERS_TOPIC,
               "orders-cdc-decode", "KSTREAM_ERR_SERDE");
    he_pipe(&h, ENRICH_ORDERS_TOPIC, k.data, k.len, cut, sizeof(cut) - 1, T0);
    expect_dlq(k.data, k.len, cut, sizeof(cut) - 1, ENRICH_ORDERS_TOPIC,
               "orders-cdc-decode", "KSTREAM_ERR_SERDE");
    /* A row without a user: the table keeps it, the statistics refuse it. */
    static const char no_user[] =
            "{\"before\":null,\"after\":{\"order_id\":2,\"status\":\"paid\","
            "\"total\":1.5},\"op\":\"c\",\"ts_ms\":1}";
    he_pipe(&h, ENRICH_ORDERS_TOPIC, k.data, k.len, no_user,
            sizeof(no_user) - 1, T0);
    expect_dlq(k.data, k.len, no_user, sizeof(no_user) - 1,
               ENRICH_ORDERS_TOPIC, ENRICH_REGROUP_NAME "-select",
               "KSTREAM_ERR_SERDE");
}

Test(enrich_dlq, valid_input_goes_on_after_errors)
{
    static const char junk[] = "junk";
    kstream_bytes_t j = {junk, 4};
    he_order(&h, 'c', 1, "u1", "paid", 250, T0);
    pipe_event("u1", j);
    he_event(&h, "e1", "u1", "view", 0, T0 + 1);
    pipe_event("u1", j);
    he_event(&h, "e2", "u1", "view", 0, T0 + 2);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 1, 1, 250, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 2, 1, 250, "regular");
    cr_assert_eq(he_metric(&h, "dlq-records"), 2);
    cr_assert_eq(he_metric(&h, "process-errors"), 2);
}
