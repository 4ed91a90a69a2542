/* fuzz_avro.c - libFuzzer target for the Avro decoder in the Confluent
 * framing: a fixed reader schema, and an in-memory registry ("mock://",
 * no HTTP) filled before the first input with two writer schemas: the
 * reader's own (id 1) and an older one it resolves from (id 2: an int that
 * the reader has as a long, a field the reader lacks, a field the reader
 * adds with a default). The first byte chooses how the rest is used: odd,
 * as a whole framed message (magic byte and id fuzzed too); even, as an
 * Avro body framed with id 1 or 2. Whatever decodes must encode, decode
 * again and encode to the same bytes, and convert to JSON or fail with a
 * message; nothing may crash, leak or read out of bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ITEM                                                               \
    "{\"type\":\"record\",\"name\":\"Item\",\"fields\":["                 \
    "{\"name\":\"sku\",\"type\":\"string\"},"                              \
    "{\"name\":\"qty\",\"type\":\"int\"}]}"

static const char *reader_json =
        "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\","
        "\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"user\",\"type\":[\"null\",\"string\"],\"default\":null},"
        "{\"name\":\"total\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
        "\"decimal\",\"precision\":12,\"scale\":2}},"
        "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\","
        "\"symbols\":[\"NEW\",\"PAID\",\"SHIPPED\"],\"default\":\"NEW\"}},"
        "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":" ITEM
        "}},"
        "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":"
        "\"double\"}},"
        "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"MD5\","
        "\"size\":4}},"
        "{\"name\":\"flag\",\"type\":\"boolean\"},"
        "{\"name\":\"ratio\",\"type\":\"float\"},"
        "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":"
        "\"date\"}},"
        "{\"name\":\"ref\",\"type\":{\"type\":\"string\",\"logicalType\":"
        "\"uuid\"}},"
        "{\"name\":\"note\",\"type\":\"string\",\"default\":\"none\"}]}";

/* What an older producer wrote: count as an int (the reader's id is a
 * long), a field since dropped, no note (the reader's default fills it). */
static const char *writer_json =
        "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\","
        "\"fields\":["
        "{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"legacy\",\"type\":[\"null\",\"long\",\"string\"]},"
        "{\"name\":\"user\",\"type\":[\"null\",\"string\"],\"default\":null},"
        "{\"name\":\"total\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
        "\"decimal\",\"precision\":12,\"scale\":2}},"
        "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\","
        "\"symbols\":[\"NEW\",\"PAID\",\"SHIPPED\",\"LOST\"],\"default\":"
        "\"NEW\"}},"
        "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":" ITEM
        "}},"
        "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":"
        "\"float\"}},"
        "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"MD5\","
        "\"size\":4}},"
        "{\"name\":\"flag\",\"type\":\"boolean\"},"
        "{\"name\":\"ratio\",\"type\":\"float\"},"
        "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":"
        "\"date\"}},"
        "{\"name\":\"ref\",\"type\":{\"type\":\"string\",\"logicalType\":"
        "\"uuid\"}}]}";

static kstream_avro_registry_t *reg;
static kstream_avro_schema_t *reader;
static int32_t ids[2];

static void check(int cond, const char *what, kstream_avro_value_t *v)
{
    if (!cond) {
        fprintf(stderr, "fuzz_avro: invariant broken: %s: %s\n", what,
                v ? kstream_avro_value_error(v) : "");
        abort();
    }
}

/* Values held until exit are freed first, so that the leak check at exit
 * sees only what was really lost. */
static void cleanup(void)
{
    kstream_avro_schema_destroy(reader);
    kstream_avro_registry_destroy(reg);
}

static void init(void)
{
    char err[512];
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    check(conf && kstream_avro_conf_set(conf, "schema.registry.url",
                                        "mock://fuzz", err, sizeof(err)) ==
                          KSTREAM_CONF_OK,
          "conf", NULL);
    reg = kstream_avro_registry_new(conf, err, sizeof(err));
    kstream_avro_conf_destroy(conf);
    reader = kstream_avro_schema_new(reader_json, err, sizeof(err));
    kstream_avro_schema_t *writer = kstream_avro_schema_new(writer_json, err,
                                                            sizeof(err));
    if (!reg || !reader || !writer) {
        fprintf(stderr, "fuzz_avro: setup: %s\n", err);
        abort();
    }
    /* Pre-fill: the decoder then finds both ids without a request. */
    check(kstream_avro_registry_register(reg, "orders-value", reader,
                                         &ids[0], err, sizeof(err)) ==
                  KSTREAM_OK,
          "register reader", NULL);
    check(kstream_avro_registry_register(reg, "legacy-value", writer,
                                         &ids[1], err, sizeof(err)) ==
                  KSTREAM_OK,
          "register writer", NULL);
    kstream_avro_schema_destroy(writer);
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg)
        init();
    if (size < 1)
        return 0;
    kstream_buf_t *in = kstream_buf_new(), *e1 = kstream_buf_new(),
                  *e2 = kstream_buf_new(), *json = kstream_buf_new();
    check(in && e1 && e2 && json, "buffers", NULL);
    if (data[0] & 1) {
        kstream_buf_append(in, data + 1, size - 1);
    } else {
        kstream_avro_frame_write(in, ids[(data[0] >> 1) & 1]);
        kstream_buf_append(in, data + 1, size - 1);
    }
    kstream_bytes_t b = kstream_buf_bytes(in);
    char err[256];
    kstream_avro_value_t *v = kstream_avro_value_new(reader, err, sizeof(err));
    kstream_avro_value_t *w = kstream_avro_value_new(reader, err, sizeof(err));
    check(v && w, "values", NULL);
    kstream_err_t rc = kstream_avro_registry_decode(reg, b.data, b.len, v);
    if (rc == KSTREAM_OK) {
        check(kstream_avro_value_encode(v, NULL, e1) == KSTREAM_OK,
              "a decoded value encodes", v);
        kstream_bytes_t x = kstream_buf_bytes(e1);
        check(kstream_avro_value_decode(w, reader, x.data, x.len) ==
                      KSTREAM_OK,
              "what was encoded decodes", w);
        check(kstream_avro_value_encode(w, NULL, e2) == KSTREAM_OK,
              "encode again", w);
        kstream_bytes_t y = kstream_buf_bytes(e2);
        check(x.len == y.len && memcmp(x.data, y.data, x.len) == 0,
              "encoding is stable", NULL);
        /* Avro's JSON needs UTF-8 strings, which the binary decoder does
         * not check: converting may fail, with a message, never crash. */
        kstream_err_t jrc = kstream_avro_value_to_json(v, NULL, json);
        check(jrc == KSTREAM_OK || kstream_avro_value_error(v)[0] != '\0',
              "a failed conversion to JSON has a message", v);
    } else {
        check(rc == KSTREAM_ERR_SERDE || rc == KSTREAM_ERR_NO_MEMORY,
              "bad input is a serde error", v);
        check(kstream_avro_value_error(v)[0] != '\0',
              "bad input has a message", v);
    }
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(w);
    kstream_buf_destroy(in);
    kstream_buf_destroy(e1);
    kstream_buf_destroy(e2);
    kstream_buf_destroy(json);
    return 0;
}
