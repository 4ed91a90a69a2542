/* test_path.c - reading and setting fields by name and path: nested
 * records, arrays, maps, unions (entered on the way, branches chosen by the
 * setters), conversions, and the errors (unknown field, wrong type, null,
 * bad path) with their messages. */
#include <avro.h>
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

/* A Debezium-like envelope. */
static const char *ENVELOPE =
        "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"db.users\","
        "\"fields\":["
        "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\","
        "\"name\":\"Value\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"email\",\"type\":[\"null\",\"string\"]},"
        "{\"name\":\"balance\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
        "\"decimal\",\"precision\":12,\"scale\":2}}]}],\"default\":null},"
        "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
        "{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":"
        "\"Source\",\"fields\":[{\"name\":\"db\",\"type\":\"string\"},"
        "{\"name\":\"ts_ms\",\"type\":\"long\"},{\"name\":\"snapshot\","
        "\"type\":[{\"type\":\"enum\",\"name\":\"Snap\",\"symbols\":[\"true\","
        "\"last\",\"false\"]},\"null\"]}]}},"
        "{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]},"
        "{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
        "{\"name\":\"hist\",\"type\":{\"type\":\"array\",\"items\":\"float\"}},"
        "{\"name\":\"either\",\"type\":[\"null\",{\"type\":\"array\","
        "\"items\":\"long\"},{\"type\":\"map\",\"values\":\"long\"}]}]}";

static kstream_avro_schema_t *s;
static kstream_avro_value_t *v;

static void setup(void) {
    s = t_schema(ENVELOPE);
    v = t_value(s);
}
static void teardown(void) {
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}
TestSuite(avro_path, .init = setup, .fini = teardown, .timeout = 30);

#define OK(call)                                                             \
    cr_assert_eq((call), KSTREAM_OK, "%s: %s", #call,                        \
                 kstream_avro_value_error(v))
#define FAILS(call, code, text)                                              \
    do {                                                                     \
        kstream_err_t e_ = (call);                                           \
        cr_assert_eq(e_, code, "%s gave %s (%s)", #call,                     \
                     kstream_err2name(e_), kstream_avro_value_error(v));     \
        cr_assert(strstr(kstream_avro_value_error(v), text),                 \
                  "%s: \"%s\" lacks \"%s\"", #call,                          \
                  kstream_avro_value_error(v), text);                        \
    } while (0)

static void fill(void) {
    OK(kstream_avro_value_set_null(v, "before"));
    OK(kstream_avro_value_set_int(v, "after.id", 7));
    OK(kstream_avro_value_set_string(v, "after.email", "a@b.c"));
    OK(kstream_avro_value_set_decimal(v, "after.balance", "-12.50"));
    OK(kstream_avro_value_set_string(v, "source.db", "shop"));
    OK(kstream_avro_value_set_long(v, "source.ts_ms", 1700000000000LL));
    OK(kstream_avro_value_set_enum(v, "source.snapshot", "last"));
    OK(kstream_avro_value_set_string(v, "op", "c"));
    OK(kstream_avro_value_set_long(v, "ts_ms", 1700000000001LL));
    OK(kstream_avro_value_set_int(v, "tags[x]", 1));
    OK(kstream_avro_value_set_int(v, "tags[y]", 2));
    OK(kstream_avro_value_set_float(v, "hist[0]", 0.5f));
    OK(kstream_avro_value_set_null(v, "either"));
}

Test(avro_path, read_back_what_was_set) {
    const char *str, *name;
    size_t len, n;
    int32_t i;
    int64_t l;
    double d;
    float f;
    bool isnull;
    char dec[32];
    kstream_avro_type_t t;
    int idx;

    fill();
    OK(kstream_avro_value_is_null(v, "before", &isnull));
    cr_assert(isnull);
    OK(kstream_avro_value_is_null(v, "after", &isnull));
    cr_assert(!isnull);
    OK(kstream_avro_value_get_int(v, "after.id", &i));
    cr_assert_eq(i, 7);
    OK(kstream_avro_value_get_long(v, "after.id", &l)); /* int as long */
    cr_assert_eq(l, 7);
    OK(kstream_avro_value_get_double(v, "after.id", &d));
    cr_assert_eq(d, 7.0);
    OK(kstream_avro_value_get_string(v, "after.email", &str, &len));
    cr_assert_str_eq(str, "a@b.c");
    cr_assert_eq(len, 5);
    n = sizeof(dec);
    OK(kstream_avro_value_get_decimal(v, "after.balance", dec, &n));
    cr_assert_str_eq(dec, "-12.50");
    cr_assert_eq(n, 7);
    OK(kstream_avro_value_logical_type(v, "after.balance", &name));
    cr_assert_str_eq(name, "decimal");
    OK(kstream_avro_value_logical_type(v, "op", &name));
    cr_assert_null(name);
    OK(kstream_avro_value_get_enum(v, "source.snapshot", &str));
    cr_assert_str_eq(str, "last");
    OK(kstream_avro_value_get_long(v, "ts_ms", &l));
    cr_assert_eq(l, 1700000000001LL);
    OK(kstream_avro_value_get_int(v, "tags[y]", &i));
    cr_assert_eq(i, 2);
    OK(kstream_avro_value_get_float(v, "hist[0]", &f));
    cr_assert_eq(f, 0.5f);
    OK(kstream_avro_value_get_double(v, "hist[0]", &d));
    cr_assert_eq(d, 0.5);
    OK(kstream_avro_value_type(v, "after", &t));
    cr_assert_eq(t, KSTREAM_AVRO_RECORD);
    OK(kstream_avro_value_type(v, "before", &t));
    cr_assert_eq(t, KSTREAM_AVRO_NULL);
    OK(kstream_avro_value_type(v, NULL, &t));
    cr_assert_eq(t, KSTREAM_AVRO_RECORD);
    OK(kstream_avro_value_size(v, "", &n));
    cr_assert_eq(n, 8);
    OK(kstream_avro_value_key_at(v, NULL, 3, &name));
    cr_assert_str_eq(name, "op");
    OK(kstream_avro_value_size(v, "tags", &n));
    cr_assert_eq(n, 2);
    OK(kstream_avro_value_key_at(v, "tags", 1, &name));
    cr_assert_str_eq(name, "y");
    OK(kstream_avro_value_size(v, "hist", &n));
    cr_assert_eq(n, 1);
    OK(kstream_avro_value_get_branch(v, "after", &idx, &name));
    cr_assert_eq(idx, 1);
    cr_assert_str_eq(name, "db.users.Value");
    OK(kstream_avro_value_get_branch(v, "source.snapshot", &idx, NULL));
    cr_assert_eq(idx, 0);
}

Test(avro_path, errors_name_the_problem) {
    const char *str;
    int32_t i;
    int64_t l;
    bool b;
    char dec[4];
    size_t n;
    const void *data;

    fill();
    FAILS(kstream_avro_value_get_int(v, "after.nope", &i),
          KSTREAM_ERR_NOT_FOUND, "db.users.Value has no field \"nope\"");
    FAILS(kstream_avro_value_get_string(v, "before.email", &str, NULL),
          KSTREAM_ERR_SERDE, "\"before\" is null");
    FAILS(kstream_avro_value_get_int(v, "before", &i), KSTREAM_ERR_SERDE,
          "is null");
    FAILS(kstream_avro_value_get_string(v, "after.id", &str, NULL),
          KSTREAM_ERR_SERDE, "the value is an int");
    FAILS(kstream_avro_value_get_boolean(v, "op", &b), KSTREAM_ERR_SERDE,
          "the value is a string");
    FAILS(kstream_avro_value_get_int(v, "op.x", &i), KSTREAM_ERR_SERDE,
          "\"op\" is a string, not a record");
    FAILS(kstream_avro_value_get_int(v, "tags[z]", &i), KSTREAM_ERR_NOT_FOUND,
          "no key \"z\"");
    FAILS(kstream_avro_value_get_float(v, "hist[3]", NULL),
          KSTREAM_ERR_INVALID_ARG, "output argument is NULL");
    FAILS(kstream_avro_value_get_bytes(v, "hist[3]", &data, &n),
          KSTREAM_ERR_NOT_FOUND, "index 3 is past the array's 1 elements");
    FAILS(kstream_avro_value_get_int(v, "hist[x]", &i),
          KSTREAM_ERR_INVALID_ARG, "not an array index");
    FAILS(kstream_avro_value_get_int(v, "after..id", &i),
          KSTREAM_ERR_INVALID_ARG, "must be followed by a field name");
    FAILS(kstream_avro_value_get_int(v, "tags[x", &i),
          KSTREAM_ERR_INVALID_ARG, "'[' without ']'");
    FAILS(kstream_avro_value_get_float(v, "after.id", (float *)&i),
          KSTREAM_ERR_SERDE, "the value is an int");
    FAILS(kstream_avro_value_get_long(v, "hist[0]", &l), KSTREAM_ERR_SERDE,
          "the value is a float");
    n = sizeof(dec);
    FAILS(kstream_avro_value_get_decimal(v, "after.balance", dec, &n),
          KSTREAM_ERR_TOO_LARGE, "bytes needed");
    cr_assert_eq(n, 7);
    FAILS(kstream_avro_value_get_decimal(v, "op", dec, &n), KSTREAM_ERR_SERDE,
          "not a decimal");
    FAILS(kstream_avro_value_set_string(v, "after.id", "x"),
          KSTREAM_ERR_SERDE, "the field is int, not string");
    FAILS(kstream_avro_value_set_long(v, "after.id", 1LL << 40),
          KSTREAM_ERR_SERDE, "does not fit an int");
    FAILS(kstream_avro_value_set_enum(v, "source.snapshot", "maybe"),
          KSTREAM_ERR_SERDE, "no branch of the union takes an enum symbol");
    FAILS(kstream_avro_value_set_int(v, "after.email", 3), KSTREAM_ERR_SERDE,
          "no branch of the union takes an int");
    FAILS(kstream_avro_value_set_string(v, NULL, "x"), KSTREAM_ERR_SERDE,
          "the field is db.users.Envelope");
    FAILS(kstream_avro_value_set_decimal(v, "after.balance", "1.234"),
          KSTREAM_ERR_SERDE, "3 fraction digits, the scale is 2");
    FAILS(kstream_avro_value_set_decimal(v, "after.balance",
                                         "12345678901.00"),
          KSTREAM_ERR_SERDE, "precision");
    FAILS(kstream_avro_value_set_decimal(v, "after.balance", "1e5"),
          KSTREAM_ERR_SERDE, "not a decimal number");
    FAILS(kstream_avro_value_set_string(v, "op", NULL),
          KSTREAM_ERR_INVALID_ARG, "str is NULL");
    FAILS(kstream_avro_value_set_branch(v, "after", 5), KSTREAM_ERR_NOT_FOUND,
          "has 2 branches");
    FAILS(kstream_avro_value_set_branch(v, "op", 0), KSTREAM_ERR_SERDE,
          "not a union");
    FAILS(kstream_avro_value_append(v, "tags", NULL), KSTREAM_ERR_SERDE,
          "not an array");
    cr_assert_eq(kstream_avro_value_get_int(NULL, "x", &i),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_value_set_int(NULL, "x", 1),
                 KSTREAM_ERR_INVALID_ARG);
    /* a success clears the message */
    OK(kstream_avro_value_get_int(v, "after.id", &i));
    cr_assert_str_eq(kstream_avro_value_error(v), "");
}

Test(avro_path, setters_choose_union_branches) {
    int idx;
    const char *name, *str;
    size_t n;
    int64_t l;

    fill();
    /* "either": [null, array<long>, map<long>]: the step picks the branch */
    OK(kstream_avro_value_set_long(v, "either[0]", 5));
    OK(kstream_avro_value_get_branch(v, "either", &idx, &name));
    cr_assert_eq(idx, 1);
    cr_assert_str_eq(name, "array");
    OK(kstream_avro_value_set_long(v, "either[k]", 6));
    OK(kstream_avro_value_get_branch(v, "either", &idx, NULL));
    cr_assert_eq(idx, 2);
    OK(kstream_avro_value_get_long(v, "either[k]", &l));
    cr_assert_eq(l, 6);
    /* the current branch is kept while it fits */
    OK(kstream_avro_value_set_long(v, "either[j]", 7));
    OK(kstream_avro_value_size(v, "either", &n));
    cr_assert_eq(n, 2);
    /* append selects the array branch */
    OK(kstream_avro_value_append(v, "either", &n));
    cr_assert_eq(n, 0);
    OK(kstream_avro_value_get_branch(v, "either", &idx, NULL));
    cr_assert_eq(idx, 1);
    /* set_null takes the null branch; explicit branch selection */
    OK(kstream_avro_value_set_null(v, "after"));
    OK(kstream_avro_value_get_branch(v, "after", &idx, &name));
    cr_assert_eq(idx, 0);
    cr_assert_str_eq(name, "null");
    OK(kstream_avro_value_set_branch(v, "after", 1));
    OK(kstream_avro_value_set_int(v, "after.id", 9));
    OK(kstream_avro_value_set_null(v, "after.email"));
    OK(kstream_avro_value_set_string(v, "after.email", "x"));
    OK(kstream_avro_value_get_string(v, "after.email", &str, NULL));
    cr_assert_str_eq(str, "x");
}

Test(avro_path, arrays_and_maps) {
    size_t n, idx;
    float f;

    OK(kstream_avro_value_set_float(v, "hist[0]", 1.0f));
    OK(kstream_avro_value_set_float(v, "hist[1]", 2.0f));
    cr_assert_eq(kstream_avro_value_set_float(v, "hist[3]", 4.0f),
                 KSTREAM_ERR_NOT_FOUND);
    OK(kstream_avro_value_append(v, "hist", &idx));
    cr_assert_eq(idx, 2);
    OK(kstream_avro_value_set_double(v, "hist[2]", 3.0)); /* double->float */
    OK(kstream_avro_value_get_float(v, "hist[2]", &f));
    cr_assert_eq(f, 3.0f);
    OK(kstream_avro_value_size(v, "hist", &n));
    cr_assert_eq(n, 3);
    OK(kstream_avro_value_clear(v, "hist"));
    OK(kstream_avro_value_size(v, "hist", &n));
    cr_assert_eq(n, 0);
    OK(kstream_avro_value_set_int(v, "tags[a.b]", 1)); /* dots in keys */
    OK(kstream_avro_value_set_int(v, "tags[a.b]", 2)); /* same key */
    OK(kstream_avro_value_size(v, "tags", &n));
    cr_assert_eq(n, 1);
    OK(kstream_avro_value_clear(v, "tags"));
    OK(kstream_avro_value_size(v, "tags", &n));
    cr_assert_eq(n, 0);
}

Test(avro_path, json_and_avro_c_access) {
    kstream_buf_t *b = kstream_buf_new();
    avro_value_t *av, field;
    kstream_bytes_t by;
    int32_t i;

    fill();
    OK(kstream_avro_value_to_json(v, "after", b));
    by = kstream_buf_bytes(b);
    cr_assert(strstr((const char *)by.data, "\"email\": {\"string\": "
                                            "\"a@b.c\"}"),
              "%.*s", (int)by.len, (const char *)by.data);
    kstream_buf_reset(b);
    OK(kstream_avro_value_encode(v, "source", b));
    cr_assert(kstream_buf_bytes(b).len > 0);
    /* Avro-C's own API on the same value */
    av = kstream_avro_value_avro(v);
    cr_assert(av);
    cr_assert_eq(avro_value_get_by_name(av, "op", &field, NULL), 0);
    cr_assert_eq(avro_value_set_string(&field, "u"), 0);
    OK(kstream_avro_value_reset(v));
    OK(kstream_avro_value_set_int(v, "after.id", 3));
    OK(kstream_avro_value_get_int(v, "after.id", &i));
    cr_assert_eq(i, 3);
    kstream_buf_destroy(b);
}

Test(avro_path, decimals) {
    static const char *texts[] = {"0.00",    "0.01",     "-0.01",
                                  "1.00",    "-1.00",    "127.99",
                                  "-128.00", "1.28",     "-1.29",
                                  "9999999999.99", "-9999999999.99",
                                  "255.00",  "32768.00", "-32768.01"};
    char got[64];
    size_t i, n;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        OK(kstream_avro_value_set_decimal(v, "after.balance", texts[i]));
        n = sizeof(got);
        OK(kstream_avro_value_get_decimal(v, "after.balance", got, &n));
        cr_assert_str_eq(got, texts[i]);
    }
    OK(kstream_avro_value_set_decimal(v, "after.balance", "+5"));
    n = sizeof(got);
    OK(kstream_avro_value_get_decimal(v, "after.balance", got, &n));
    cr_assert_str_eq(got, "5.00");
    OK(kstream_avro_value_set_decimal(v, "after.balance", ".5"));
    n = sizeof(got);
    OK(kstream_avro_value_get_decimal(v, "after.balance", got, &n));
    cr_assert_str_eq(got, "0.50");
}

Test(avro_path, decimal_bytes_are_minimal_twos_complement) {
    const void *data;
    size_t len;

    OK(kstream_avro_value_set_decimal(v, "after.balance", "1.27"));
    OK(kstream_avro_value_get_bytes(v, "after.balance", &data, &len));
    cr_assert_eq(len, 1);
    cr_assert_eq(((const unsigned char *)data)[0], 127);
    OK(kstream_avro_value_set_decimal(v, "after.balance", "1.28"));
    OK(kstream_avro_value_get_bytes(v, "after.balance", &data, &len));
    cr_assert_eq(len, 2); /* 0x00 0x80 */
    cr_assert_eq(((const unsigned char *)data)[0], 0);
    OK(kstream_avro_value_set_decimal(v, "after.balance", "-1.28"));
    OK(kstream_avro_value_get_bytes(v, "after.balance", &data, &len));
    cr_assert_eq(len, 1);
    cr_assert_eq(((const unsigned char *)data)[0], 0x80);
}
