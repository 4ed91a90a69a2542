/* test_poison_serde.c - poison pills for every built-in serde: a
 * truncated and a garbage value, decoded by a map_values callback that
 * returns kstream_fail(), under processing.exception.handler fail,
 * continue and dlq, for each guarantee of POISON_GUARANTEES.
 * bytes and string take any bytes (as Kafka's ByteArray and String
 * deserializers do): their pills go through untouched and nothing is
 * counted as an error. int32, int64, double, json and avro reject them:
 * fail stops the driver naming node, topic, partition and offset;
 * continue skips and counts; dlq writes the original key, value bytes and
 * headers plus the __kstream ones. */
#include "test_poison.h"

#include <criterion/parameterized.h>

TestSuite(poison_serde, .timeout = 30);

typedef struct serde_case {
    char serde[8];      /* bytes string int32 int64 double json avro */
    char pill[12];      /* truncated garbage */
    char handler[12];   /* fail continue dlq */
    char guarantee[24];
} serde_case_t;

ParameterizedTestParameters(poison_serde, each_pill_under_each_handler)
{
    static const char *const serdes[] = {"bytes", "string", "int32", "int64",
                                         "double", "json", "avro"};
    static const char *const pills[] = {"truncated", "garbage"};
    static const char *const handlers[] = {"fail", "continue", "dlq"};
    static const char *const guarantees[] = POISON_GUARANTEES;
    enum { NG = sizeof(guarantees) / sizeof(guarantees[0]) };
    static serde_case_t cases[7 * 2 * 3 * NG];
    size_t n = 0;
    for (size_t g = 0; g < NG; g++)
        for (size_t s = 0; s < 7; s++)
            for (size_t p = 0; p < 2; p++)
                for (size_t h = 0; h < 3; h++) {
                    serde_case_t *c = &cases[n++];
                    snprintf(c->serde, sizeof(c->serde), "%s", serdes[s]);
                    snprintf(c->pill, sizeof(c->pill), "%s", pills[p]);
                    snprintf(c->handler, sizeof(c->handler), "%s",
                             handlers[h]);
                    snprintf(c->guarantee, sizeof(c->guarantee), "%s",
                             guarantees[g]);
                }
    return cr_make_param_array(serde_case_t, cases, n);
}

/* ---- the decoder under test -------------------------------------------- */

typedef struct decoder {
    const char *kind;
    const kstream_serde_t *serde;
    kstream_avro_value_t *avro; /* the avro case's value to decode into */
} decoder_t;

static kstream_err_t decode(const kstream_record_t *in, kstream_record_t *out,
                            void *opaque)
{
    (void)out; /* forwarded unchanged when it decodes */
    decoder_t *d = opaque;
    kstream_bytes_t v = kstream_record_value(in);
    kstream_err_t err;
    if (strcmp(d->kind, "json") == 0) {
        kstream_json_t *j = NULL;
        err = kstream_record_value_deserialize(in, d->serde, &j);
        kstream_json_destroy(j);
        if (err) {
            char why[256] = "";
            kstream_json_t *tmp = NULL;
            kstream_json_parse(v.data ? v.data : "", v.len, &tmp, why,
                               sizeof(why));
            kstream_json_destroy(tmp);
            return kstream_fail(err, "json value of %zu bytes: %s", v.len,
                                why);
        }
        return KSTREAM_OK;
    }
    if (strcmp(d->kind, "avro") == 0) {
        err = kstream_record_value_deserialize(in, d->serde, d->avro);
        return err ? kstream_fail(err, "avro value of %zu bytes: %s", v.len,
                                  kstream_avro_value_error(d->avro))
                   : KSTREAM_OK;
    }
    union {
        kstream_bytes_t b;
        int32_t i32;
        int64_t i64;
        double d;
    } u;
    err = kstream_record_value_deserialize(in, d->serde, &u);
    return err ? kstream_fail(err, "%s value of %zu bytes", d->kind, v.len)
               : KSTREAM_OK;
}

/* ---- good values and pills per serde ------------------------------------ */

typedef struct sample {
    uint8_t good[64], pill[64];
    size_t good_len, pill_len;
    bool accepted; /* the serde takes the pill */
} sample_t;

static void set_bytes(uint8_t *dst, size_t *len, const void *src, size_t n)
{
    cr_assert(n <= 64);
    memcpy(dst, src, n);
    *len = n;
}

static const char AVRO_SCHEMA[] =
        "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"sku\",\"type\":\"string\"}]}";

typedef struct avro_env {
    kstream_avro_registry_t *reg;
    kstream_serde_t *serde;
    kstream_avro_schema_t *schema;
    kstream_avro_value_t *value;
} avro_env_t;

static void avro_setup(avro_env_t *a, sample_t *s)
{
    char err[512] = "";
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    cr_assert(conf != NULL);
    cr_assert(eq(int,
                 kstream_avro_conf_set(conf, "schema.registry.url",
                                       "mock://poison", err, sizeof(err)),
                 KSTREAM_CONF_OK), "%s", err);
    a->reg = kstream_avro_registry_new(conf, err, sizeof(err));
    kstream_avro_conf_destroy(conf);
    cr_assert(a->reg != NULL, "%s", err);
    a->serde = kstream_avro_serde_new(a->reg, NULL, POISON_IN, false, err,
                                      sizeof(err));
    cr_assert(a->serde != NULL, "%s", err);
    a->schema = kstream_avro_schema_new(AVRO_SCHEMA, err, sizeof(err));
    cr_assert(a->schema != NULL, "%s", err);
    a->value = kstream_avro_value_new(a->schema, err, sizeof(err));
    cr_assert(a->value != NULL, "%s", err);
    cr_assert(eq(int, kstream_avro_value_set_long(a->value, "id", 7),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_avro_value_set_string(a->value, "sku", "sku-1"),
                 KSTREAM_OK));
    kstream_buf_t *b = kstream_buf_new();
    cr_assert(eq(int, kstream_serde_serialize(a->serde, a->value, b),
                 KSTREAM_OK), "%s", kstream_avro_value_error(a->value));
    kstream_bytes_t by = kstream_buf_bytes(b);
    set_bytes(s->good, &s->good_len, by.data, by.len);
    kstream_buf_destroy(b);
}

static void avro_teardown(avro_env_t *a)
{
    kstream_avro_value_destroy(a->value);
    kstream_avro_schema_destroy(a->schema);
    kstream_serde_destroy(a->serde);
    kstream_avro_registry_destroy(a->reg);
}

static const kstream_serde_t *sample_of(const serde_case_t *c, sample_t *s,
                                        avro_env_t *a)
{
    bool trunc = strcmp(c->pill, "truncated") == 0;
    static const char garbage[] = "\xff\x13garbage\x00\x01{[";
    memset(s, 0, sizeof(*s));
    const kstream_serde_t *serde = NULL;
    if (strcmp(c->serde, "bytes") == 0 || strcmp(c->serde, "string") == 0) {
        serde = c->serde[0] == 'b' ? kstream_serde_bytes()
                                   : kstream_serde_string();
        set_bytes(s->good, &s->good_len, "hello", 5);
        s->accepted = true;
    } else if (strcmp(c->serde, "int32") == 0) {
        static const uint8_t v[] = {0, 0, 1, 0x2a};
        serde = kstream_serde_int32();
        set_bytes(s->good, &s->good_len, v, sizeof(v));
    } else if (strcmp(c->serde, "int64") == 0) {
        static const uint8_t v[] = {0, 0, 0, 0, 0, 0, 1, 0x2a};
        serde = kstream_serde_int64();
        set_bytes(s->good, &s->good_len, v, sizeof(v));
    } else if (strcmp(c->serde, "double") == 0) {
        static const uint8_t v[] = {0x40, 0x04, 0, 0, 0, 0, 0, 0}; /* 2.5 */
        serde = kstream_serde_double();
        set_bytes(s->good, &s->good_len, v, sizeof(v));
    } else if (strcmp(c->serde, "json") == 0) {
        static const char v[] = "{\"id\":7,\"sku\":\"sku-1\",\"n\":[1,2]}";
        serde = kstream_serde_json();
        set_bytes(s->good, &s->good_len, v, sizeof(v) - 1);
    } else if (strcmp(c->serde, "avro") == 0) {
        avro_setup(a, s);
        serde = a->serde;
    } else {
        cr_assert(false, "unknown serde %s", c->serde);
    }
    if (trunc) /* all but the last 2 bytes (the avro string's end) */
        set_bytes(s->pill, &s->pill_len, s->good, s->good_len - 2);
    else
        set_bytes(s->pill, &s->pill_len, garbage, sizeof(garbage) - 1);
    return serde;
}

/* ---- the test ----------------------------------------------------------- */

static void pipe_bytes(kstream_test_driver_t *drv, const char *key,
                       const void *v, size_t len, int64_t ts,
                       kstream_err_t want)
{
    kstream_header_t h = {"trace", "t-1", 3};
    kstream_err_t err = kstream_test_driver_pipe_ex(
            drv, POISON_IN, -1, key, strlen(key), v, len, ts, &h, 1);
    cr_assert(eq(int, err, want), "pipe %s: %s (%s)", key,
              kstream_err2name(err), kstream_test_driver_last_error(drv));
}

static void expect_out(kstream_test_driver_t *drv, const char *key,
                       const void *v, size_t len)
{
    const kstream_record_t *rec = h_read(drv, POISON_OUT);
    cr_assert(h_bytes_is(kstream_record_key(rec), key));
    kstream_bytes_t got = kstream_record_value(rec);
    cr_assert(eq(sz, got.len, len));
    cr_assert(memcmp(got.data, v, len) == 0, "output bytes changed");
}

ParameterizedTest(serde_case_t *c, poison_serde, each_pill_under_each_handler)
{
    sample_t s;
    avro_env_t avro = {0};
    decoder_t d = {c->serde, sample_of(c, &s, &avro), avro.value};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *st = kstream_builder_stream(b, POISON_IN, "src");
    st = kstream_stream_map_values(st, decode, &d, NULL, "decode");
    kstream_stream_to(st, POISON_OUT, "sink");
    kstream_test_driver_t *drv = h_driver(
            b, "processing.guarantee", c->guarantee,
            "processing.exception.handler", c->handler,
            "errors.deadletterqueue.topic.name", POISON_DLQ, NULL);

    pipe_bytes(drv, "k0", s.good, s.good_len, 1000, KSTREAM_OK);
    bool fail = strcmp(c->handler, "fail") == 0 && !s.accepted;
    char what[64];
    snprintf(what, sizeof(what), "%s value of %zu bytes",
             strcmp(c->serde, "avro") && strcmp(c->serde, "json") ? c->serde
                                                                  : "",
             s.pill_len);
    const char *where = "for record " POISON_IN " [0] offset 1";
    pipe_bytes(drv, "k1", s.pill, s.pill_len, 1001,
               fail ? KSTREAM_ERR_SERDE : KSTREAM_OK);
    if (fail) { /* the fail message names node, topic, partition, offset */
        const char *msg = kstream_test_driver_last_error(drv);
        cr_assert(h_contains(msg, "processing error at 'decode'"), "%s", msg);
        cr_assert(h_contains(msg, where), "%s", msg);
        cr_assert(h_contains(msg, what), "%s", msg);
    }
    pipe_bytes(drv, "k2", s.good, s.good_len, 1002,
               fail ? KSTREAM_ERR_FAILED : KSTREAM_OK);

    expect_out(drv, "k0", s.good, s.good_len);
    if (s.accepted) {
        expect_out(drv, "k1", s.pill, s.pill_len);
        expect_out(drv, "k2", s.good, s.good_len);
        p_expect_counts(drv, 3, 0, 0, NULL, 0);
    } else if (fail) {
        p_expect_counts(drv, 2, 0, 0, "process-errors", 1);
    } else {
        expect_out(drv, "k2", s.good, s.good_len);
        bool dlq = strcmp(c->handler, "dlq") == 0;
        p_expect_counts(drv, 3, dlq ? 0 : 1, dlq ? 1 : 0, "process-errors",
                        1);
        if (dlq) {
            p_dlq_want_t w = {"processing", "KSTREAM_ERR_SERDE", "decode",
                              POISON_IN, "0", "1",
                              {where, what, "processing error at 'decode'"},
                              1};
            const kstream_record_t *rec = p_expect_dlq(
                    drv, "k1", 2, s.pill, s.pill_len, 1001, &w);
            char buf[16];
            cr_assert(eq(str, (char *)p_header(rec, "trace", buf,
                                                sizeof(buf)),
                         "t-1"));
        }
    }
    h_expect_empty(drv, POISON_OUT);
    h_expect_empty(drv, POISON_DLQ);
    kstream_test_driver_destroy(drv);
    avro_teardown(&avro);
}
