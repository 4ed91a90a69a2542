/* test_prim.c - the built-in serdes (Kafka wire encodings), user serdes and
 * kstream_buf_t, through the public API only. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kstream.h"

static kstream_buf_t *buf;
static void setup(void) {
    buf = kstream_buf_new();
    cr_assert_not_null(buf);
}
static void teardown(void) {
    kstream_buf_destroy(buf);
}
TestSuite(prim, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(serde, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(buf, .init = setup, .fini = teardown, .timeout = 10);

static void assert_bytes(kstream_bytes_t got, const uint8_t *want,
                         size_t len) {
    cr_assert(eq(sz, got.len, len));
    cr_assert(eq(int, memcmp(got.data, want, len), 0));
}

/* ---- int32 ------------------------------------------------------------- */

struct i32_case {
    int32_t v;
    uint8_t be[4];
};

ParameterizedTestParameters(prim, int32_encoding) {
    static struct i32_case cases[] = {
            {0, {0, 0, 0, 0}},
            {1, {0, 0, 0, 1}},
            {-1, {0xff, 0xff, 0xff, 0xff}},
            {-2, {0xff, 0xff, 0xff, 0xfe}},
            {256, {0, 0, 1, 0}},
            {0x12345678, {0x12, 0x34, 0x56, 0x78}},
            {INT32_MAX, {0x7f, 0xff, 0xff, 0xff}},
            {INT32_MIN, {0x80, 0, 0, 0}},
    };
    return cr_make_param_array(struct i32_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct i32_case *c, prim, int32_encoding) {
    const kstream_serde_t *s = kstream_serde_int32();
    kstream_bytes_t b;
    int32_t out = 12345;

    cr_assert(eq(int, kstream_serde_serialize(s, &c->v, buf), KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, c->be, 4);
    cr_assert(eq(int, kstream_serde_deserialize(s, b.data, b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(i32, out, c->v));
}

/* ---- int64 ------------------------------------------------------------- */

struct i64_case {
    int64_t v;
    uint8_t be[8];
};

ParameterizedTestParameters(prim, int64_encoding) {
    static struct i64_case cases[] = {
            {0, {0, 0, 0, 0, 0, 0, 0, 0}},
            {1, {0, 0, 0, 0, 0, 0, 0, 1}},
            {-1, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
            {-2, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}},
            {0x0102030405060708LL, {1, 2, 3, 4, 5, 6, 7, 8}},
            {1700000000000LL, {0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00}},
            {INT64_MAX, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
            {INT64_MIN, {0x80, 0, 0, 0, 0, 0, 0, 0}},
    };
    return cr_make_param_array(struct i64_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct i64_case *c, prim, int64_encoding) {
    const kstream_serde_t *s = kstream_serde_int64();
    kstream_bytes_t b;
    int64_t out = 12345;

    cr_assert(eq(int, kstream_serde_serialize(s, &c->v, buf), KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, c->be, 8);
    cr_assert(eq(int, kstream_serde_deserialize(s, b.data, b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(i64, out, c->v));
}

/* ---- double ------------------------------------------------------------ */

struct dbl_case {
    double v;
    uint8_t be[8];
};

ParameterizedTestParameters(prim, double_encoding) {
    static struct dbl_case cases[] = {
            {0.0, {0, 0, 0, 0, 0, 0, 0, 0}},
            {-0.0, {0x80, 0, 0, 0, 0, 0, 0, 0}},
            {1.0, {0x3f, 0xf0, 0, 0, 0, 0, 0, 0}},
            {-2.0, {0xc0, 0, 0, 0, 0, 0, 0, 0}},
            {0.1, {0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}},
            {1.7976931348623157e308,
             {0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
            {4.9e-324, {0, 0, 0, 0, 0, 0, 0, 1}},
            {INFINITY, {0x7f, 0xf0, 0, 0, 0, 0, 0, 0}},
            {-INFINITY, {0xff, 0xf0, 0, 0, 0, 0, 0, 0}},
    };
    return cr_make_param_array(struct dbl_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dbl_case *c, prim, double_encoding) {
    const kstream_serde_t *s = kstream_serde_double();
    kstream_bytes_t b;
    double out = 42.0;

    cr_assert(eq(int, kstream_serde_serialize(s, &c->v, buf), KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, c->be, 8);
    cr_assert(eq(int, kstream_serde_deserialize(s, b.data, b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(int, memcmp(&out, &c->v, sizeof(out)), 0),
              "bits differ for %g", c->v);
}

Test(prim, double_nan_is_canonical_like_java) {
    const uint8_t want[8] = {0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    double nan_v = NAN, out = 0;
    kstream_bytes_t b;

    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_double(), &nan_v,
                                              buf),
                 KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, want, 8);
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_double(),
                                                b.data, b.len, &out),
                 KSTREAM_OK));
    cr_assert(isnan(out));
}

/* ---- numeric errors ---------------------------------------------------- */

Test(prim, numeric_wrong_size_or_null_is_serde_error) {
    const kstream_serde_t *num[3] = {kstream_serde_int32(),
                                     kstream_serde_int64(),
                                     kstream_serde_double()};
    const size_t good[3] = {4, 8, 8};
    const uint8_t data[16] = {0};
    union {
        int32_t i32;
        int64_t i64;
        double d;
    } out;
    size_t i, len;

    for (i = 0; i < 3; i++) {
        for (len = 0; len <= sizeof(data); len++) {
            kstream_err_t err =
                    kstream_serde_deserialize(num[i], data, len, &out);
            if (len == good[i])
                cr_assert(eq(int, err, KSTREAM_OK));
            else
                cr_assert(eq(int, err, KSTREAM_ERR_SERDE), "%s len %zu",
                          kstream_serde_name(num[i]), len);
        }
        cr_assert(eq(int, kstream_serde_deserialize(num[i], NULL, 0, &out),
                     KSTREAM_ERR_SERDE));
    }
}

Test(prim, serialize_null_value_is_invalid_arg) {
    const kstream_serde_t *all[5] = {
            kstream_serde_bytes(), kstream_serde_string(),
            kstream_serde_int32(), kstream_serde_int64(),
            kstream_serde_double()};
    size_t i;
    for (i = 0; i < 5; i++)
        cr_assert(eq(int, kstream_serde_serialize(all[i], NULL, buf),
                     KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(sz, kstream_buf_bytes(buf).len, 0));
}

/* ---- bytes and string -------------------------------------------------- */

Test(prim, bytes_round_trip_borrows_data) {
    const uint8_t raw[] = {0, 1, 0xff, 'a'};
    kstream_bytes_t in = {raw, sizeof(raw)}, b, out;

    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_bytes(), &in, buf),
                 KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, raw, sizeof(raw));
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_bytes(), b.data,
                                                b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(ptr, (void *)out.data, (void *)b.data));
    cr_assert(eq(sz, out.len, sizeof(raw)));
}

Test(prim, bytes_and_string_map_null_to_null_slice) {
    kstream_bytes_t out = {"x", 1};
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_bytes(), NULL, 0,
                                                &out),
                 KSTREAM_OK));
    cr_assert_null(out.data);
    cr_assert(eq(sz, out.len, 0));
    out.data = "x";
    out.len = 1;
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_string(), NULL,
                                                0, &out),
                 KSTREAM_OK));
    cr_assert_null(out.data);
}

Test(prim, bytes_with_null_data_and_length_is_serde_error) {
    kstream_bytes_t in = {NULL, 3};
    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_bytes(), &in, buf),
                 KSTREAM_ERR_SERDE));
}

Test(prim, string_has_no_nul_and_empty_is_not_null) {
    kstream_bytes_t b, out;

    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_string(), "héllo",
                                              buf),
                 KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    cr_assert(eq(sz, b.len, strlen("héllo")));
    cr_assert(eq(int, memcmp(b.data, "héllo", b.len), 0));
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_string(), b.data,
                                                b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(sz, out.len, b.len));

    kstream_buf_reset(buf);
    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_string(), "", buf),
                 KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    cr_assert_not_null(b.data);
    cr_assert(eq(sz, b.len, 0));
}

Test(prim, names) {
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_bytes()),
                 "bytes"));
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_string()),
                 "string"));
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_int32()),
                 "int32"));
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_int64()),
                 "int64"));
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_double()),
                 "double"));
    cr_assert_null(kstream_serde_name(NULL));
}

Test(prim, serializing_appends) {
    int32_t a = 1, b = 2;
    const uint8_t want[8] = {0, 0, 0, 1, 0, 0, 0, 2};
    kstream_serde_serialize(kstream_serde_int32(), &a, buf);
    kstream_serde_serialize(kstream_serde_int32(), &b, buf);
    assert_bytes(kstream_buf_bytes(buf), want, 8);
}

Test(prim, destroying_builtins_is_a_noop) {
    int32_t v = 7, out = 0;
    kstream_serde_destroy((kstream_serde_t *)kstream_serde_int32());
    kstream_serde_destroy((kstream_serde_t *)kstream_serde_string());
    kstream_serde_destroy(NULL);
    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_int32(), &v, buf),
                 KSTREAM_OK));
    kstream_bytes_t b = kstream_buf_bytes(buf);
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_int32(), b.data,
                                                b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(i32, out, 7));
    cr_assert(eq(str, (char *)kstream_serde_name(kstream_serde_int32()),
                 "int32"));
}

/* ---- user serdes ------------------------------------------------------- */

struct upper_state {
    int freed;
    int calls;
};

/* Writes a string upper-cased; reads it back into a kstream_bytes_t. */
static kstream_err_t upper_ser(const void *value, kstream_buf_t *out,
                               void *opaque) {
    struct upper_state *st = opaque;
    const char *s = value;
    size_t i, n;
    char *p;

    st->calls++;
    if (!s)
        return KSTREAM_ERR_SERDE;
    n = strlen(s);
    p = kstream_buf_reserve(out, n);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i < n; i++)
        p[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    return KSTREAM_OK;
}

static kstream_err_t upper_de(const void *data, size_t len, void *value,
                              void *opaque) {
    struct upper_state *st = opaque;
    kstream_bytes_t *v = value;
    st->calls++;
    v->data = data;
    v->len = len;
    return KSTREAM_OK;
}

static void upper_free(void *opaque) {
    ((struct upper_state *)opaque)->freed++;
}

Test(serde, user_serde_gets_opaque_and_frees_it_on_destroy) {
    struct upper_state st = {0, 0};
    char name[16] = "upper";
    kstream_serde_ops_t ops = {name, upper_ser, upper_de};
    kstream_serde_t *s = kstream_serde_new(&ops, &st, upper_free);
    kstream_bytes_t b, out;

    cr_assert_not_null(s);
    /* ops (and the name) were copied. */
    ops.serialize = NULL;
    strcpy(name, "changed");
    cr_assert(eq(str, (char *)kstream_serde_name(s), "upper"));

    cr_assert(eq(int, kstream_serde_serialize(s, "abc-1", buf), KSTREAM_OK));
    b = kstream_buf_bytes(buf);
    cr_assert(eq(sz, b.len, 5));
    cr_assert(eq(int, memcmp(b.data, "ABC-1", 5), 0));
    cr_assert(eq(int, kstream_serde_deserialize(s, b.data, b.len, &out),
                 KSTREAM_OK));
    cr_assert(eq(sz, out.len, 5));
    cr_assert(eq(int, st.calls, 2));
    /* A NULL value reaches the user serializer, which decides. */
    cr_assert(eq(int, kstream_serde_serialize(s, NULL, buf),
                 KSTREAM_ERR_SERDE));

    cr_assert(eq(int, st.freed, 0));
    kstream_serde_destroy(s);
    cr_assert(eq(int, st.freed, 1));
}

Test(serde, user_serde_without_free_or_name) {
    struct upper_state st = {0, 0};
    kstream_serde_ops_t ops = {NULL, upper_ser, upper_de};
    kstream_serde_t *s = kstream_serde_new(&ops, &st, NULL);
    cr_assert_not_null(s);
    cr_assert_not_null(kstream_serde_name(s));
    kstream_serde_destroy(s);
    cr_assert(eq(int, st.freed, 0));
}

Test(serde, new_rejects_missing_ops) {
    kstream_serde_ops_t no_ser = {"x", NULL, upper_de};
    kstream_serde_ops_t no_de = {"x", upper_ser, NULL};
    cr_assert_null(kstream_serde_new(NULL, NULL, NULL));
    cr_assert_null(kstream_serde_new(&no_ser, NULL, NULL));
    cr_assert_null(kstream_serde_new(&no_de, NULL, NULL));
}

Test(serde, null_arguments) {
    int32_t v = 1, out;
    const uint8_t data[4] = {0};

    cr_assert(eq(int, kstream_serde_serialize(NULL, &v, buf),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_serde_serialize(kstream_serde_int32(), &v, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_serde_deserialize(NULL, data, 4, &out),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_int32(), data, 4,
                                                NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_serde_deserialize(kstream_serde_int32(), NULL, 4,
                                                &out),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert_null(kstream_serde_name(NULL));
    kstream_serde_destroy(NULL);
}

/* ---- kstream_buf_t ----------------------------------------------------- */

Test(buf, append_reserve_reset) {
    kstream_bytes_t b;
    uint8_t *p;
    int i;

    b = kstream_buf_bytes(buf);
    cr_assert_not_null(b.data); /* empty, not null */
    cr_assert(eq(sz, b.len, 0));

    cr_assert(eq(int, kstream_buf_append(buf, "ab", 2), KSTREAM_OK));
    cr_assert(eq(int, kstream_buf_append(buf, NULL, 0), KSTREAM_OK));
    p = kstream_buf_reserve(buf, 3);
    cr_assert_not_null(p);
    memcpy(p, "cde", 3);
    cr_assert_not_null(kstream_buf_reserve(buf, 0));
    b = kstream_buf_bytes(buf);
    assert_bytes(b, (const uint8_t *)"abcde", 5);

    for (i = 0; i < 100000; i++)
        cr_assert(eq(int, kstream_buf_append(buf, "x", 1), KSTREAM_OK));
    cr_assert(eq(sz, kstream_buf_bytes(buf).len, 100005));

    kstream_buf_reset(buf);
    b = kstream_buf_bytes(buf);
    cr_assert_not_null(b.data);
    cr_assert(eq(sz, b.len, 0));
}

Test(buf, null_arguments) {
    kstream_bytes_t b;

    cr_assert(eq(int, kstream_buf_append(NULL, "a", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_buf_append(buf, NULL, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert_null(kstream_buf_reserve(NULL, 4));
    cr_assert_null(kstream_buf_reserve(buf, SIZE_MAX));
    b = kstream_buf_bytes(NULL);
    cr_assert_null(b.data);
    cr_assert(eq(sz, b.len, 0));
    kstream_buf_reset(NULL);
    kstream_buf_destroy(NULL);
}
