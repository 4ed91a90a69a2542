/* fuzz_cdc.c - libFuzzer target for the CDC envelope decoders, as the
 * table and change-stream steps run them: any bytes either decode to an
 * event whose table value and normalized change are valid JSON, or fail
 * with a serde error and a message. An input starting with byte 0 (the
 * Confluent magic byte) goes to the Avro format, whose in-memory registry
 * ("mock://", no HTTP) holds a Debezium envelope schema as id 1, decoded
 * into one reused per-task value as a task would; any other input to the
 * JSON format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/cdc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_cdc: invariant broken: %s\n", what);
        abort();
    }
}

/* out must hold one valid JSON object. */
static void valid_object(const ks_buf_t *out)
{
    char err[256];
    kstream_json_t *v = NULL;
    check(kstream_json_parse(out->data, out->len, &v, err, sizeof(err)) ==
                  KSTREAM_OK,
          "written values parse");
    kstream_json_type_t t;
    check(kstream_json_type(v, "", &t, NULL, 0) == KSTREAM_OK &&
                  t == KSTREAM_JSON_OBJECT,
          "written values are objects");
    kstream_json_destroy(v);
}

static void run(const kstream_cdc_format_t *fmt, void *state,
                const uint8_t *data, size_t size)
{
    char err[256] = "";
    ks_cdc_event_t ev;
    kstream_err_t rc = ks_cdc_decode(fmt, state, data, size, &ev, err,
                                     sizeof(err));
    if (rc != KSTREAM_OK) {
        check(rc == KSTREAM_ERR_SERDE || rc == KSTREAM_ERR_NO_MEMORY,
              "bad events are serde errors");
        check(err[0] != '\0', "bad events have a message");
        check(ev.root == NULL, "a failed decode holds nothing");
    } else {
        /* op 0: a tombstone written as {"schema":...,"payload":null}. */
        check(ev.op == 0 || ev.op == 'c' || ev.op == 'r' || ev.op == 'u' ||
                      ev.op == 'd',
              "decoded events have a known op");
        check(ev.op == 0 || ev.op == 'd' || ev.after != NULL,
              "c/r/u events have after");
        ks_buf_t out;
        bool tombstone = false;
        ks_buf_init(&out, NULL);
        check(ks_cdc_write_after(&ev, &out, &tombstone) == 0, "after");
        check(tombstone == (ev.op == 'd' || ev.op == 0),
              "only deletes and tombstones remove keys");
        if (!tombstone)
            valid_object(&out);
        out.len = 0;
        check(ks_cdc_write_change(&ev, &out, &tombstone) == 0, "change");
        check(tombstone == (ev.op == 0), "only tombstones stay tombstones");
        if (!tombstone)
            valid_object(&out);
        ks_buf_free(&out);
        ks_cdc_event_clear(&ev);
    }
    /* The public decode agrees. */
    kstream_json_t *change = NULL;
    kstream_err_t rc2 = kstream_cdc_decode(fmt, data, size, &change, err,
                                           sizeof(err));
    check(rc == rc2, "kstream_cdc_decode agrees with the operators");
    kstream_json_destroy(change);
}

#define ROW                                                                \
    "{\"type\":\"record\",\"name\":\"Value\",\"fields\":["              \
    "{\"name\":\"id\",\"type\":\"long\"},"                                 \
    "{\"name\":\"name\",\"type\":[\"null\",\"string\"]},"                  \
    "{\"name\":\"total\",\"type\":{\"type\":\"bytes\",\"logicalType\":"   \
    "\"decimal\",\"precision\":10,\"scale\":2}},"                            \
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":"          \
    "\"string\"}},"                                                        \
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":"          \
    "\"bytes\"}},"                                                         \
    "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"S\","     \
    "\"symbols\":[\"A\",\"B\"]}},"                                          \
    "{\"name\":\"score\",\"type\":\"float\"}]}"

static const char *envelope_json =
        "{\"type\":\"record\",\"name\":\"Envelope\",\"fields\":["
        "{\"name\":\"before\",\"type\":[\"null\"," ROW "]},"
        "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
        "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":"
        "\"Source\",\"fields\":[{\"name\":\"db\",\"type\":\"string\"}]}},"
        "{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]}]}";

static kstream_cdc_format_t *avro;
static void *avro_state;

/* The per-task state lives until exit, as in a task: free it first, so
 * that the leak check at exit sees only what was really lost. */
static void cleanup(void)
{
    avro->ops->state_free(avro_state);
    kstream_cdc_format_destroy(avro);
}

static void init_avro(void)
{
    char err[512] = "";
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    kstream_avro_conf_set(conf, "schema.registry.url", "mock://fuzz-cdc",
                          err, sizeof(err));
    kstream_avro_registry_t *reg = kstream_avro_registry_new(conf, err,
                                                             sizeof(err));
    kstream_avro_conf_destroy(conf);
    kstream_avro_schema_t *schema = kstream_avro_schema_new(envelope_json,
                                                            err, sizeof(err));
    int32_t id = 0;
    check(reg && schema && kstream_avro_registry_register(
                                   reg, "db.users-value", schema, &id, err,
                                   sizeof(err)) == KSTREAM_OK &&
                  id == 1,
          "registry with the envelope schema as id 1");
    avro = kstream_cdc_format_avro(reg, err, sizeof(err));
    check(avro != NULL, "avro format");
    check(avro->ops->state_new(avro, &avro_state, err, sizeof(err)) ==
                  KSTREAM_OK,
          "avro state");
    kstream_avro_schema_destroy(schema);
    kstream_avro_registry_destroy(reg); /* the format keeps it */
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!data)
        return 0; /* NULL would be a tombstone; fuzz bytes only */
    if (size > 0 && data[0] == 0) {
        if (!avro)
            init_avro();
        run(avro, avro_state, data, size);
    } else {
        run(kstream_cdc_format_json(), NULL, data, size);
    }
    return 0;
}
