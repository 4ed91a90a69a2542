/* test_types.c - every Avro type (and logical type) round trips: encode
 * and decode, into a value of the same schema and into one that takes the
 * writer's; the bytes are the ones Avro-C's own writer produces and Avro-C's
 * own reader reads them back equal; framed through a mock:// serde. */
#include <avro.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

TestSuite(avro_types, .timeout = 30);

static kstream_avro_schema_t *case_schema(const type_case_t *c) {
    return c->schema ? t_schema(c->schema) : t_order_schema();
}

static void assert_norm(kstream_avro_value_t *v, const char *want,
                        const char *what) {
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    json_t *got = t_norm(v, "");
    char *gs = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS |
                                       JSON_ENCODE_ANY);

    cr_assert(w, "bad expectation %s", want);
    cr_assert(json_equal(w, got), "%s: got %s, want %s", what, gs, want);
    free(gs);
    json_decref(w);
    json_decref(got);
}

ParameterizedTestParameters(avro_types, round_trip) {
    static int idx[64];
    size_t i;

    for (i = 0; i < n_type_cases; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n_type_cases);
}

ParameterizedTest(int *i, avro_types, round_trip) {
    const type_case_t *c = &type_cases[*i];
    kstream_avro_schema_t *s = case_schema(c);
    kstream_avro_value_t *v = t_value(s), *back = t_value(s);
    kstream_avro_value_t *adaptive = t_value(NULL);
    kstream_buf_t *b;
    kstream_bytes_t by;

    c->fill(v);
    assert_norm(v, c->json, c->name);
    b = t_encode(v);
    by = kstream_buf_bytes(b);
    cr_assert_eq(kstream_avro_value_decode(back, s, by.data, by.len),
                 KSTREAM_OK, "%s: %s", c->name,
                 kstream_avro_value_error(back));
    assert_norm(back, c->json, c->name);
    cr_assert_eq(kstream_avro_value_decode(adaptive, s, by.data, by.len),
                 KSTREAM_OK, "%s: %s", c->name,
                 kstream_avro_value_error(adaptive));
    assert_norm(adaptive, c->json, c->name);
    cr_assert_eq(kstream_avro_value_schema(adaptive), s);
    /* Decoding again into the same values (reuse) gives the same. */
    cr_assert_eq(kstream_avro_value_decode(back, s, by.data, by.len),
                 KSTREAM_OK);
    assert_norm(back, c->json, c->name);
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    kstream_avro_value_destroy(adaptive);
    kstream_avro_schema_destroy(s);
}

/* Our encoder writes what Avro-C's writer writes, and Avro-C's reader
 * reads our bytes back to an equal value. */
ParameterizedTestParameters(avro_types, same_bytes_as_avro_c) {
    static int idx[64];
    size_t i;

    for (i = 0; i < n_type_cases; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n_type_cases);
}

ParameterizedTest(int *i, avro_types, same_bytes_as_avro_c) {
    const type_case_t *c = &type_cases[*i];
    kstream_avro_schema_t *s = case_schema(c);
    kstream_avro_value_t *v = t_value(s);
    avro_value_t *av, copy;
    avro_value_iface_t *iface;
    avro_writer_t w;
    avro_reader_t r;
    kstream_buf_t *b;
    kstream_bytes_t by;
    char mem[4096];

    c->fill(v);
    b = t_encode(v);
    by = kstream_buf_bytes(b);
    av = kstream_avro_value_avro(v);
    cr_assert(av);
    w = avro_writer_memory(mem, sizeof(mem));
    cr_assert_eq(avro_value_write(w, av), 0, "%s", avro_strerror());
    cr_assert_eq((size_t)avro_writer_tell(w), by.len, "%s: %lld vs %zu",
                 c->name, (long long)avro_writer_tell(w), by.len);
    cr_assert(by.len == 0 || memcmp(mem, by.data, by.len) == 0, "%s",
              c->name);
    avro_writer_free(w);

    iface = avro_generic_class_from_schema(kstream_avro_schema_avro(s));
    cr_assert(iface);
    cr_assert_eq(avro_generic_value_new(iface, &copy), 0);
    r = avro_reader_memory(by.data, (int64_t)by.len);
    cr_assert_eq(avro_value_read(r, &copy), 0, "%s", avro_strerror());
    cr_assert(avro_value_equal(av, &copy), "%s", c->name);
    avro_reader_free(r);
    avro_value_decref(&copy);
    avro_value_iface_decref(iface);
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* Framed through a serde on an in-memory registry. */
ParameterizedTestParameters(avro_types, framed_mock) {
    static int idx[64];
    size_t i;

    for (i = 0; i < n_type_cases; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n_type_cases);
}

ParameterizedTest(int *i, avro_types, framed_mock) {
    const type_case_t *c = &type_cases[*i];
    kstream_avro_schema_t *s = case_schema(c);
    kstream_avro_value_t *v = t_value(s), *back = t_value(NULL);
    kstream_avro_registry_t *reg = t_registry("mock://types", NULL);
    char err[512] = "";
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "types", false, err, sizeof(err));
    kstream_buf_t *b = kstream_buf_new();
    kstream_bytes_t by;
    const unsigned char *p;

    cr_assert(serde, "%s", err);
    c->fill(v);
    cr_assert_eq(kstream_serde_serialize(serde, v, b), KSTREAM_OK, "%s",
                 kstream_avro_value_error(v));
    by = kstream_buf_bytes(b);
    p = by.data;
    cr_assert(by.len >= 5);
    cr_assert_eq(p[0], 0);
    cr_assert_eq(kstream_avro_value_schema_id(v), 1);
    cr_assert_eq(p[1] | p[2] | p[3], 0);
    cr_assert_eq(p[4], 1);
    cr_assert_eq(kstream_serde_deserialize(serde, by.data, by.len, back),
                 KSTREAM_OK, "%s", kstream_avro_value_error(back));
    assert_norm(back, c->json, c->name);
    cr_assert_eq(kstream_avro_value_schema_id(back), 1);
    kstream_buf_destroy(b);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    kstream_avro_schema_destroy(s);
}

/* The encodings of a few values, byte for byte (Avro specification). */
Test(avro_types, known_encodings) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
            "{\"name\":\"a\",\"type\":\"long\"},"
            "{\"name\":\"b\",\"type\":\"string\"},"
            "{\"name\":\"c\",\"type\":[\"null\",\"int\"]},"
            "{\"name\":\"d\",\"type\":{\"type\":\"array\",\"items\":\"int\"}}]}");
    kstream_avro_value_t *v = t_value(s);
    static const unsigned char want[] = {0x36, 0x06, 'f', 'o', 'o', 0x02,
                                         0x7f, 0x04, 0x02, 0x04, 0x00};
    kstream_buf_t *b;
    kstream_bytes_t by;

    /* 27 -> zigzag 54 = 0x36; "foo"; branch 1, int -64 -> 127; [1, 2] */
    cr_assert_eq(kstream_avro_value_set_long(v, "a", 27), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_string(v, "b", "foo"), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_int(v, "c", -64), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_int(v, "d[0]", 1), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_int(v, "d[1]", 2), KSTREAM_OK);
    b = t_encode(v);
    by = kstream_buf_bytes(b);
    cr_assert_eq(by.len, sizeof(want));
    cr_assert_arr_eq(by.data, want, sizeof(want));
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* Arrays written in several blocks, with byte sizes (negative counts), as
 * Java's BlockingBinaryEncoder writes them, decode. */
Test(avro_types, blocked_arrays_and_maps_decode) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
            "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"}},"
            "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}");
    kstream_avro_value_t *v = t_value(s);
    /* a: block of 2 ([1,2]), block of -1 with size 1 ([3]), end;
     * m: block of 1 {"k": 5}, end */
    static const unsigned char in[] = {0x04, 0x02, 0x04, 0x01, 0x02, 0x06,
                                       0x00, 0x02, 0x02, 'k',  0x0a, 0x00};
    char *txt;

    cr_assert_eq(kstream_avro_value_decode(v, s, in, sizeof(in)), KSTREAM_OK,
                 "%s", kstream_avro_value_error(v));
    txt = t_norm_text(v);
    cr_assert_str_eq(txt, "{\"a\":[1,2,3],\"m\":{\"k\":5}}");
    free(txt);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* A value reused for records of different sizes keeps the right content
 * (arrays that grow and shrink, union branches that change). */
Test(avro_types, reused_value_follows_each_record) {
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s), *back = t_value(s);
    int n;

    for (n = 0; n < 40; n++) {
        kstream_buf_t *b;
        kstream_bytes_t by;
        char *want, *got;

        t_fill_order(v, (n * 7) % 11);
        b = t_encode(v);
        by = kstream_buf_bytes(b);
        cr_assert_eq(kstream_avro_value_decode(back, s, by.data, by.len),
                     KSTREAM_OK);
        want = t_norm_text(v);
        got = t_norm_text(back);
        cr_assert_str_eq(got, want);
        free(want);
        free(got);
        kstream_buf_destroy(b);
    }
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    kstream_avro_schema_destroy(s);
}
