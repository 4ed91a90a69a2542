/* test_avro.c - CDC tables and change streams of Confluent-framed Avro
 * Debezium events (an in-memory "mock://" registry holds the writer
 * schema): the same operations and exact table contents as the JSON
 * format, Avro types as plain JSON, the normalized change stream, and bad
 * input (magic byte, unknown schema id, truncated and garbage bodies, bad
 * envelopes) through the error handlers. */
#include "helpers.h"

TestSuite(cdc_avro, .timeout = 20);

static const char *schema_json =
        "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":"
        "\"shop.public.users\",\"fields\":["
        "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\","
        "\"name\":\"Value\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"name\",\"type\":\"string\"},"
        "{\"name\":\"email\",\"type\":[\"null\",\"string\"],\"default\":null},"
        "{\"name\":\"total\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
        "\"decimal\",\"precision\":10,\"scale\":2}},"
        "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"Status\","
        "\"symbols\":[\"ACTIVE\",\"BLOCKED\"]}},"
        "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":"
        "\"string\"}},"
        "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
        "{\"name\":\"score\",\"type\":\"double\"},"
        "{\"name\":\"raw\",\"type\":\"bytes\"}]}],\"default\":null},"
        "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
        "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":"
        "\"Source\",\"fields\":[{\"name\":\"db\",\"type\":\"string\"},"
        "{\"name\":\"lsn\",\"type\":[\"null\",\"long\"],\"default\":null}]}},"
        "{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"],\"default\":null}]}";

/* A row of the Value record. */
typedef struct row {
    int64_t id;
    const char *name, *email, *total, *status, *tag;
    double score;
} row_t;

static const row_t ANN = {1, "Ann", NULL, "12.50", "ACTIVE", "vip", 1.5};
static const row_t ANN2 = {1, "Ann B", "ann@example.org", "7.00", "BLOCKED",
                           "vip", 2.25};
static const row_t BOB = {2, "Bob", NULL, "-0.99", "ACTIVE", "new", 0};

#define ANN_JSON                                                           \
    "{\"id\":1,\"name\":\"Ann\",\"email\":null,\"total\":\"12.50\","       \
    "\"status\":\"ACTIVE\",\"tags\":[\"vip\"],\"attrs\":{\"n\":3},"        \
    "\"score\":1.5,\"raw\":\"AAE=\"}"
#define ANN2_JSON                                                          \
    "{\"id\":1,\"name\":\"Ann B\",\"email\":\"ann@example.org\","          \
    "\"total\":\"7.00\",\"status\":\"BLOCKED\",\"tags\":[\"vip\"],"        \
    "\"attrs\":{\"n\":5},\"score\":2.25,\"raw\":\"AAE=\"}"
#define BOB_JSON                                                           \
    "{\"id\":2,\"name\":\"Bob\",\"email\":null,\"total\":\"-0.99\","       \
    "\"status\":\"ACTIVE\",\"tags\":[\"new\"],\"attrs\":{\"n\":3},"        \
    "\"score\":0.0,\"raw\":\"AAE=\"}"

static kstream_avro_registry_t *reg;
static kstream_avro_schema_t *schema;
static int32_t schema_id;

static void setup(void)
{
    char err[512] = "";
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    cr_assert(eq(int, kstream_avro_conf_set(conf, "schema.registry.url",
                                            "mock://cdc-test", err,
                                            sizeof(err)),
                 KSTREAM_CONF_OK), "%s", err);
    reg = kstream_avro_registry_new(conf, err, sizeof(err));
    kstream_avro_conf_destroy(conf);
    cr_assert(reg != NULL, "%s", err);
    schema = kstream_avro_schema_new(schema_json, err, sizeof(err));
    cr_assert(schema != NULL, "%s", err);
    cr_assert(eq(int, kstream_avro_registry_register(reg, "db.users-value",
                                                     schema, &schema_id, err,
                                                     sizeof(err)),
                 KSTREAM_OK), "%s", err);
}

static void teardown(void)
{
    kstream_avro_schema_destroy(schema);
    kstream_avro_registry_destroy(reg);
}

static void ok(kstream_avro_value_t *v, kstream_err_t err, const char *what)
{
    cr_assert(eq(int, err, KSTREAM_OK), "%s: %s", what,
              kstream_avro_value_error(v));
}

static void set_row(kstream_avro_value_t *v, const char *side, const row_t *r)
{
    char p[64];
    if (!r) {
        ok(v, kstream_avro_value_set_null(v, side), side);
        return;
    }
#define P(field) (snprintf(p, sizeof(p), "%s.%s", side, field), p)
    ok(v, kstream_avro_value_set_long(v, P("id"), r->id), "id");
    ok(v, kstream_avro_value_set_string(v, P("name"), r->name), "name");
    if (r->email)
        ok(v, kstream_avro_value_set_string(v, P("email"), r->email), "email");
    else
        ok(v, kstream_avro_value_set_null(v, P("email")), "email");
    ok(v, kstream_avro_value_set_decimal(v, P("total"), r->total), "total");
    ok(v, kstream_avro_value_set_enum(v, P("status"), r->status), "status");
    ok(v, kstream_avro_value_clear(v, P("tags")), "tags");
    ok(v, kstream_avro_value_append(v, P("tags"), NULL), "append");
    ok(v, kstream_avro_value_set_string(v, P("tags[0]"), r->tag), "tag");
    ok(v, kstream_avro_value_clear(v, P("attrs")), "attrs");
    ok(v, kstream_avro_value_set_int(v, P("attrs[n]"), r == &ANN2 ? 5 : 3),
       "attr");
    ok(v, kstream_avro_value_set_double(v, P("score"), r->score), "score");
    ok(v, kstream_avro_value_set_bytes(v, P("raw"), "\0\1", 2), "raw");
#undef P
}

/* A framed event in buf (reset first). */
static kstream_bytes_t event(kstream_buf_t *buf, const char *op,
                             const row_t *before, const row_t *after)
{
    char err[256];
    kstream_avro_value_t *v = kstream_avro_value_new(schema, err, sizeof(err));
    cr_assert(v != NULL, "%s", err);
    set_row(v, "before", before);
    set_row(v, "after", after);
    ok(v, kstream_avro_value_set_string(v, "source.db", "shop"), "db");
    ok(v, kstream_avro_value_set_long(v, "source.lsn", 42), "lsn");
    ok(v, kstream_avro_value_set_string(v, "op", op), "op");
    ok(v, kstream_avro_value_set_long(v, "ts_ms", 1700000000000), "ts");
    kstream_buf_reset(buf);
    cr_assert(eq(int, kstream_avro_frame_write(buf, schema_id), KSTREAM_OK));
    ok(v, kstream_avro_value_encode(v, NULL, buf), "encode");
    kstream_avro_value_destroy(v);
    return kstream_buf_bytes(buf);
}

static void pipe_bytes(kstream_test_driver_t *drv, const char *key,
                       kstream_bytes_t b, int64_t ts)
{
    kstream_err_t err = kstream_test_driver_pipe(drv, "db.users", key,
                                                 strlen(key), b.data, b.len,
                                                 ts);
    cr_assert(eq(int, err, KSTREAM_OK), "%s: %s", kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

/* db.users -> table "users" -> users-out, and changes -> changes-out. The
 * caller's format handle is released at once: operators hold their own. */
static kstream_test_driver_t *driver(const char *handler)
{
    char err[256] = "";
    kstream_cdc_format_t *fmt = kstream_cdc_format_avro(reg, err, sizeof(err));
    cr_assert(fmt != NULL, "%s", err);
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "db.users", "src");
    kstream_table_t *t = kstream_stream_cdc_table(s, fmt, "users");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "users-out", NULL);
    kstream_stream_to(kstream_stream_cdc_changes(s, fmt, "changes"),
                      "changes-out", NULL);
    kstream_cdc_format_destroy(fmt);
    return c_driver(b, "processing.exception.handler", handler,
                    "errors.deadletterqueue.topic.name", "users-dlq", NULL);
}

#define K1 "{\"id\":1}"
#define K2 "{\"id\":2}"

Test(cdc_avro, create_read_update_delete_build_the_table, .init = setup,
     .fini = teardown)
{
    kstream_test_driver_t *drv = driver("fail");
    kstream_buf_t *buf = kstream_buf_new();
    pipe_bytes(drv, K1, event(buf, "c", NULL, &ANN), 1);
    c_expect_table(drv, "users", K1 "=" ANN_JSON "\n");
    pipe_bytes(drv, K2, event(buf, "r", NULL, &BOB), 2);
    pipe_bytes(drv, K1, event(buf, "u", &ANN, &ANN2), 3);
    c_expect_table(drv, "users", K1 "=" ANN2_JSON "\n" K2 "=" BOB_JSON "\n");
    pipe_bytes(drv, K2, event(buf, "d", &BOB, NULL), 4);
    c_expect_table(drv, "users", K1 "=" ANN2_JSON "\n");
    cr_assert(eq(int, c_pipe(drv, "db.users", K1, NULL, 5), KSTREAM_OK));
    c_expect_table(drv, "users", "");
    c_expect(drv, "users-out", K1, ANN_JSON);
    c_expect(drv, "users-out", K2, BOB_JSON);
    c_expect(drv, "users-out", K1, ANN2_JSON);
    c_expect(drv, "users-out", K2, NULL);
    c_expect(drv, "users-out", K1, NULL);
    c_expect_empty(drv, "users-out");
    kstream_buf_destroy(buf);
    kstream_test_driver_destroy(drv);
}

Test(cdc_avro, the_change_stream_keeps_before_after_op_source, .init = setup,
     .fini = teardown)
{
    kstream_test_driver_t *drv = driver("fail");
    kstream_buf_t *buf = kstream_buf_new();
    pipe_bytes(drv, K1, event(buf, "u", &ANN, &ANN2), 1);
    pipe_bytes(drv, K1, event(buf, "d", &ANN2, NULL), 2);
    cr_assert(eq(int, c_pipe(drv, "db.users", K1, NULL, 3), KSTREAM_OK));
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"u\",\"before\":" ANN_JSON ",\"after\":" ANN2_JSON
             ",\"ts_ms\":1700000000000,\"source\":{\"db\":\"shop\","
             "\"lsn\":42}}");
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"d\",\"before\":" ANN2_JSON ",\"after\":null,"
             "\"ts_ms\":1700000000000,\"source\":{\"db\":\"shop\","
             "\"lsn\":42}}");
    c_expect(drv, "changes-out", K1, NULL);
    c_expect_empty(drv, "changes-out");
    kstream_buf_destroy(buf);
    kstream_test_driver_destroy(drv);
}

Test(cdc_avro, the_same_changes_in_json_give_the_same_table, .init = setup,
     .fini = teardown)
{
    /* Avro events, then the same rows as JSON events in a JSON table. */
    kstream_test_driver_t *drv = driver("fail");
    kstream_buf_t *buf = kstream_buf_new();
    pipe_bytes(drv, K1, event(buf, "c", NULL, &ANN2), 1);
    pipe_bytes(drv, K2, event(buf, "c", NULL, &BOB), 2);
    kstream_builder_t *b = kstream_builder_new();
    kstream_builder_cdc_table(b, "db.users", kstream_cdc_format_json(),
                              "users");
    kstream_test_driver_t *jdrv = c_driver(b, NULL);
    c_pipe_ok(jdrv, "db.users", K1,
              "{\"op\":\"c\",\"after\":" ANN2_JSON "}", 1);
    c_pipe_ok(jdrv, "db.users", K2, "{\"op\":\"c\",\"after\":" BOB_JSON "}",
              2);
    const char *want = K1 "=" ANN2_JSON "\n" K2 "=" BOB_JSON "\n";
    c_expect_table(drv, "users", want);
    c_expect_table(jdrv, "users", want);
    kstream_test_driver_destroy(jdrv);
    kstream_buf_destroy(buf);
    kstream_test_driver_destroy(drv);
}

/* ---- bad input ------------------------------------------------------------- */

static void expect_fail(kstream_bytes_t b, const char *needle)
{
    kstream_test_driver_t *drv = driver("fail");
    kstream_err_t err = kstream_test_driver_pipe(drv, "db.users", "k", 1,
                                                 b.data, b.len, 1);
    cr_assert(eq(int, err, KSTREAM_ERR_SERDE), "got %s",
              kstream_err2name(err));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg);
    cr_assert(strstr(msg, "users-cdc-decode") != NULL, "%s", msg);
    cr_assert(strstr(msg, "CDC avro event") != NULL, "%s", msg);
    kstream_test_driver_destroy(drv);
}

Test(cdc_avro, bad_framing_ids_and_bodies_are_serde_errors, .init = setup,
     .fini = teardown)
{
    kstream_buf_t *buf = kstream_buf_new();
    kstream_bytes_t good = event(buf, "c", NULL, &ANN);
    uint8_t *copy = malloc(good.len);
    memcpy(copy, good.data, good.len);

    copy[0] = 1; /* magic byte */
    expect_fail((kstream_bytes_t){copy, good.len}, "magic");
    copy[0] = 0;
    copy[4] = (uint8_t)(copy[4] + 100); /* an id the registry lacks */
    expect_fail((kstream_bytes_t){copy, good.len}, "schema id");
    copy[4] = (uint8_t)(copy[4] - 100);
    expect_fail((kstream_bytes_t){copy, 3}, "5");  /* shorter than a frame */
    for (size_t cut = 6; cut < good.len; cut += 7) /* truncated bodies */
        expect_fail((kstream_bytes_t){copy, cut}, "Avro");
    memset(copy + 5, 0xff, good.len - 5); /* garbage body */
    expect_fail((kstream_bytes_t){copy, good.len}, "Avro");
    free(copy);
    kstream_buf_destroy(buf);
}

Test(cdc_avro, bad_envelopes_name_what_is_wrong, .init = setup,
     .fini = teardown)
{
    kstream_buf_t *buf = kstream_buf_new();
    expect_fail(event(buf, "x", NULL, &ANN), "unknown op \"x\"");
    expect_fail(event(buf, "c", NULL, NULL), "op \"c\" with a null \"after\"");
    expect_fail(event(buf, "t", NULL, NULL), "truncate");
    kstream_buf_destroy(buf);
}

Test(cdc_avro, continue_and_dlq_route_bad_events, .init = setup,
     .fini = teardown)
{
    kstream_buf_t *buf = kstream_buf_new();
    kstream_test_driver_t *drv = driver("continue");
    c_pipe_ok(drv, "db.users", K1, "not avro", 1);
    pipe_bytes(drv, K1, event(buf, "c", NULL, &ANN), 2);
    c_expect_table(drv, "users", K1 "=" ANN_JSON "\n");
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 1));
    cr_assert(eq(i64, c_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);

    drv = driver("dlq");
    kstream_bytes_t bad = event(buf, "q", NULL, &ANN);
    pipe_bytes(drv, K2, bad, 1);
    const kstream_record_t *rec = NULL;
    cr_assert(eq(int, kstream_test_driver_read(drv, "users-dlq", &rec),
                 KSTREAM_OK));
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(v.len == bad.len && memcmp(v.data, bad.data, v.len) == 0,
              "the DLQ holds the original bytes");
    char h[512];
    const char *m = c_header(rec, "__kstream.error.message", h, sizeof(h));
    cr_assert(m && strstr(m, "unknown op \"q\"") != NULL, "%s", m);
    cr_assert(eq(str, (char *)c_header(rec, "__kstream.error.code", h,
                                        sizeof(h)),
                 "KSTREAM_ERR_SERDE"));
    c_expect_empty(drv, "users-dlq");
    cr_assert(eq(i64, c_metric(drv, "dlq-records"), 1));
    kstream_test_driver_destroy(drv);
    kstream_buf_destroy(buf);
}

/* ---- outside a topology ------------------------------------------------------ */

Test(cdc_avro, decode_gives_the_normalized_change, .init = setup,
     .fini = teardown)
{
    char err[256] = "";
    kstream_cdc_format_t *fmt = kstream_cdc_format_avro(reg, err, sizeof(err));
    cr_assert(fmt != NULL, "%s", err);
    cr_assert(eq(str, (char *)kstream_cdc_format_name(fmt), "avro"));
    kstream_buf_t *buf = kstream_buf_new();
    kstream_bytes_t e = event(buf, "r", NULL, &BOB);
    kstream_json_t *ch = NULL;
    cr_assert(eq(int, kstream_cdc_decode(fmt, e.data, e.len, &ch, err,
                                         sizeof(err)),
                 KSTREAM_OK), "%s", err);
    const char *total = NULL;
    cr_assert(eq(int, kstream_json_get_string(ch, "after.total", &total, NULL,
                                              err, sizeof(err)),
                 KSTREAM_OK), "%s", err);
    cr_assert(eq(str, (char *)total, "-0.99"));
    bool before_null = false;
    cr_assert(eq(int, kstream_json_is_null(ch, "before", &before_null, NULL,
                                           0),
                 KSTREAM_OK));
    cr_assert(before_null);
    kstream_json_destroy(ch);
    cr_assert(eq(int, kstream_cdc_decode(fmt, "\0\0\0\0\1", 5, &ch, err,
                                         sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(err[0] != '\0');
    kstream_buf_destroy(buf);
    kstream_cdc_format_destroy(fmt);
}

Test(cdc_avro, the_format_keeps_the_registry_alive)
{
    char err[256] = "";
    setup();
    kstream_cdc_format_t *fmt = kstream_cdc_format_avro(reg, err, sizeof(err));
    cr_assert(fmt != NULL, "%s", err);
    kstream_buf_t *buf = kstream_buf_new();
    kstream_bytes_t e = event(buf, "c", NULL, &ANN);
    teardown(); /* the caller's registry and schema handles go */
    kstream_json_t *ch = NULL;
    cr_assert(eq(int, kstream_cdc_decode(fmt, e.data, e.len, &ch, err,
                                         sizeof(err)),
                 KSTREAM_OK), "%s", err);
    kstream_json_destroy(ch);
    kstream_cdc_format_destroy(fmt);
    kstream_buf_destroy(buf);

    cr_assert(kstream_cdc_format_avro(NULL, err, sizeof(err)) == NULL);
    cr_assert(strstr(err, "reg") != NULL, "%s", err);
}
