/* test_errors.c - bad input gives KSTREAM_ERR_SERDE with a message naming
 * what was wrong, never a crash or an out-of-bounds read (run under ASan
 * with `make build-san/tests/serde_avro SANITIZE=1`): the framing, every
 * truncation of valid messages, trailing bytes, garbage and mutations,
 * lengths and counts that lie, nesting bombs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

TestSuite(avro_errors, .timeout = 60);

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void assert_serde_error(kstream_err_t err, kstream_avro_value_t *v,
                               const char *needle, const char *what) {
    const char *msg = kstream_avro_value_error(v);

    cr_assert_eq(err, KSTREAM_ERR_SERDE, "%s: got %s (%s)", what,
                 kstream_err2name(err), msg);
    cr_assert(msg[0], "%s: no message", what);
    if (needle)
        cr_assert(strstr(msg, needle), "%s: message \"%s\" lacks \"%s\"",
                  what, msg, needle);
}

static kstream_avro_schema_t *case_schema(const type_case_t *c) {
    return c->schema ? t_schema(c->schema) : t_order_schema();
}

/* ---- framing ---------------------------------------------------------- */

Test(avro_errors, frame_parse) {
    static const unsigned char ok[] = {0, 0, 0, 1, 2, 0xaa};
    static const unsigned char magic[] = {1, 0, 0, 0, 1, 0};
    static const unsigned char big[] = {0, 0x80, 0, 0, 0};
    kstream_bytes_t body;
    int32_t id = -1;
    char err[256];
    size_t n;

    cr_assert_eq(kstream_avro_frame_parse(ok, sizeof(ok), &id, &body, err,
                                          sizeof(err)),
                 KSTREAM_OK);
    cr_assert_eq(id, 258);
    cr_assert_eq(body.len, 1);
    cr_assert_eq(*(const unsigned char *)body.data, 0xaa);
    cr_assert_eq(kstream_avro_frame_parse(NULL, 0, &id, &body, err,
                                          sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "tombstone"), "%s", err);
    for (n = 0; n < 5; n++) {
        cr_assert_eq(kstream_avro_frame_parse(ok, n, &id, &body, err,
                                              sizeof(err)),
                     KSTREAM_ERR_SERDE);
        cr_assert(strstr(err, "shorter than the 5-byte header"), "%s", err);
    }
    cr_assert_eq(kstream_avro_frame_parse(magic, sizeof(magic), &id, &body,
                                          err, sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "magic byte 0x01"), "%s", err);
    cr_assert_eq(kstream_avro_frame_parse(big, sizeof(big), &id, &body, err,
                                          sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "out of range"), "%s", err);
    cr_assert_eq(kstream_avro_frame_parse(ok, sizeof(ok), NULL, &body, err,
                                          sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_frame_parse(NULL, 3, &id, &body, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG);
}

Test(avro_errors, frame_write) {
    kstream_buf_t *b = kstream_buf_new();
    static const unsigned char want[] = {0, 0x12, 0x34, 0x56, 0x78};

    cr_assert_eq(kstream_avro_frame_write(b, 0x12345678), KSTREAM_OK);
    cr_assert_eq(kstream_buf_bytes(b).len, 5);
    cr_assert_arr_eq(kstream_buf_bytes(b).data, want, 5);
    cr_assert_eq(kstream_avro_frame_write(b, -1), KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_frame_write(NULL, 1), KSTREAM_ERR_INVALID_ARG);
    kstream_buf_destroy(b);
}

Test(avro_errors, serde_framing_errors) {
    kstream_avro_registry_t *reg = t_registry("mock://e", NULL);
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "t", false, NULL, 0);
    kstream_avro_value_t *v = t_value(NULL);
    static const unsigned char bad_magic[] = {7, 0, 0, 0, 1, 2};
    static const unsigned char unknown_id[] = {0, 0, 0, 0, 99, 2};

    cr_assert(serde);
    assert_serde_error(kstream_serde_deserialize(serde, bad_magic, 6, v), v,
                       "magic byte 0x07", "bad magic");
    assert_serde_error(kstream_serde_deserialize(serde, bad_magic, 3, v), v,
                       "5-byte header", "short");
    assert_serde_error(kstream_avro_registry_decode(reg, NULL, 0, v), v,
                       "tombstone", "tombstone");
    assert_serde_error(kstream_serde_deserialize(serde, unknown_id, 6, v), v,
                       "schema id 99", "unknown id");
    cr_assert(strstr(kstream_avro_value_error(v), "40403"), "%s",
              kstream_avro_value_error(v));
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
}

/* ---- truncation and trailing bytes ----------------------------------- */

Test(avro_errors, every_truncation_fails_cleanly) {
    size_t i, cut;
    unsigned char *buf;

    for (i = 0; i < n_type_cases; i++) {
        kstream_avro_schema_t *s = case_schema(&type_cases[i]);
        kstream_avro_value_t *v = t_value(s), *back = t_value(s);
        kstream_buf_t *b;
        kstream_bytes_t by;

        type_cases[i].fill(v);
        b = t_encode(v);
        by = kstream_buf_bytes(b);
        for (cut = 0; cut < by.len; cut++) {
            /* an exact-size copy, so ASan sees any read past the end */
            buf = malloc(cut ? cut : 1);
            memcpy(buf, by.data, cut);
            assert_serde_error(kstream_avro_value_decode(back, s, buf, cut),
                               back, NULL, type_cases[i].name);
            free(buf);
        }
        /* one byte more: trailing bytes */
        buf = malloc(by.len + 1);
        memcpy(buf, by.data, by.len);
        buf[by.len] = 0;
        assert_serde_error(kstream_avro_value_decode(back, s, buf, by.len + 1),
                           back, "1 trailing bytes", type_cases[i].name);
        free(buf);
        cr_assert_eq(kstream_avro_value_decode(back, s, by.data, by.len),
                     KSTREAM_OK);
        kstream_buf_destroy(b);
        kstream_avro_value_destroy(v);
        kstream_avro_value_destroy(back);
        kstream_avro_schema_destroy(s);
    }
}

Test(avro_errors, truncated_framed_messages) {
    kstream_avro_registry_t *reg = t_registry("mock://trunc", NULL);
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "orders", false, NULL, 0);
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s), *back = t_value(s);
    kstream_buf_t *b = kstream_buf_new();
    kstream_bytes_t by;
    size_t cut;

    t_fill_order(v, 5);
    cr_assert_eq(kstream_serde_serialize(serde, v, b), KSTREAM_OK);
    by = kstream_buf_bytes(b);
    for (cut = 0; cut < by.len; cut++) {
        unsigned char *buf = malloc(cut ? cut : 1);
        memcpy(buf, by.data, cut);
        assert_serde_error(kstream_serde_deserialize(serde, buf, cut, back),
                           back, cut < 5 ? "header" : "Avro", "framed");
        free(buf);
    }
    kstream_buf_destroy(b);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(back);
    kstream_avro_schema_destroy(s);
}

Test(avro_errors, messages_name_the_field_and_offset) {
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s);
    /* order_id "ab", user_id "c", items: 1 item, sku of length 40 */
    static const unsigned char in[] = {0x04, 'a', 'b', 0x02, 'c',
                                       0x02, 0x50, 'x', 'y'};

    assert_serde_error(kstream_avro_value_decode(v, s, in, sizeof(in)), v,
                       "at items[0].sku", "sku");
    cr_assert(strstr(kstream_avro_value_error(v), "40 bytes, only 2 left"),
              "%s", kstream_avro_value_error(v));
    cr_assert(strstr(kstream_avro_value_error(v), "offset 7 of 9"), "%s",
              kstream_avro_value_error(v));
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* ---- lying lengths and counts --------------------------------------------- */

typedef struct lie {
    const char *schema;
    unsigned char in[16];
    size_t len;
    const char *needle;
} lie_t;

Test(avro_errors, lengths_and_counts_are_checked) {
    static const lie_t lies[] = {
            {"\"string\"", {0x03}, 1, "negative length"},
            {"\"bytes\"", {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5, "only 0 left"},
            {"{\"type\":\"array\",\"items\":\"long\"}",
             {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
             9, "block count"},
            {"{\"type\":\"array\",\"items\":\"null\"}",
             {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
             9, "empty items"},
            {"{\"type\":\"map\",\"values\":\"null\"}",
             {0x80, 0x80, 0x80, 0x10}, 4, "block count"},
            {"{\"type\":\"array\",\"items\":\"int\"}", {0x01, 0x7f, 0x02}, 3,
             "block size"},
            {"{\"type\":\"array\",\"items\":\"int\"}",
             {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
             10, "block count"},
            {"[\"null\",\"int\"]", {0x04}, 1, "union branch 2 is out of range"},
            {"[\"null\",\"int\"]", {0x01}, 1, "union branch -1"},
            {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", {0x02},
             1, "index 1 is out of range"},
            {"\"boolean\"", {0x02}, 1, "neither 0 nor 1"},
            {"\"long\"",
             {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
             10, "not a valid varint"},
            {"\"int\"", {0xff, 0xff, 0xff, 0xff, 0x1f}, 5,
             "not a valid int varint"},
            {"\"int\"", {0x80, 0x80}, 2, "truncated int"},
            {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", {1, 2, 3}, 3,
             "needs 4 bytes, 3 left"},
            {"\"double\"", {1, 2, 3, 4, 5, 6, 7}, 7, "truncated double"},
    };
    size_t i;

    for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        kstream_avro_schema_t *s = t_schema(lies[i].schema);
        kstream_avro_value_t *v = t_value(s);
        unsigned char *buf = malloc(lies[i].len);

        memcpy(buf, lies[i].in, lies[i].len);
        assert_serde_error(kstream_avro_value_decode(v, s, buf, lies[i].len),
                           v, lies[i].needle, lies[i].schema);
        free(buf);
        kstream_avro_value_destroy(v);
        kstream_avro_schema_destroy(s);
    }
}

Test(avro_errors, nesting_bomb_is_refused) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"n\","
            "\"type\":[\"null\",\"L\"]}]}");
    kstream_avro_value_t *v = t_value(s);
    size_t n = 100000;
    unsigned char *in = malloc(n);

    memset(in, 0x02, n); /* branch 1 (L), again and again */
    assert_serde_error(kstream_avro_value_decode(v, s, in, n), v,
                       "nested deeper than", "bomb");
    memset(in, 0x02, 50);
    in[50] = 0x00; /* 50 levels, then null: fine */
    cr_assert_eq(kstream_avro_value_decode(v, s, in, 51), KSTREAM_OK, "%s",
                 kstream_avro_value_error(v));
    free(in);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* ---- garbage ---------------------------------------------------------- */

Test(avro_errors, random_garbage) {
    uint64_t seed = 20240611;
    size_t i, k, iter;

    for (i = 0; i < n_type_cases; i++) {
        kstream_avro_schema_t *s = case_schema(&type_cases[i]);
        kstream_avro_value_t *v = t_value(s), *any = t_value(NULL);

        for (iter = 0; iter < 1500; iter++) {
            size_t len = rnd(&seed) % 48;
            unsigned char *buf = malloc(len ? len : 1);
            kstream_err_t err;
            for (k = 0; k < len; k++)
                buf[k] = (unsigned char)rnd(&seed);
            err = kstream_avro_value_decode(v, s, buf, len);
            cr_assert(err == KSTREAM_OK || err == KSTREAM_ERR_SERDE);
            cr_assert(err == KSTREAM_OK || kstream_avro_value_error(v)[0]);
            err = kstream_avro_value_decode(any, s, buf, len);
            cr_assert(err == KSTREAM_OK || err == KSTREAM_ERR_SERDE);
            free(buf);
        }
        kstream_avro_value_destroy(v);
        kstream_avro_value_destroy(any);
        kstream_avro_schema_destroy(s);
    }
}

Test(avro_errors, mutated_messages) {
    uint64_t seed = 7;
    size_t i, iter;

    for (i = 0; i < n_type_cases; i++) {
        kstream_avro_schema_t *s = case_schema(&type_cases[i]);
        kstream_avro_value_t *v = t_value(s), *back = t_value(s);
        kstream_buf_t *b;
        kstream_bytes_t by;

        type_cases[i].fill(v);
        b = t_encode(v);
        by = kstream_buf_bytes(b);
        for (iter = 0; by.len && iter < 2000; iter++) {
            unsigned char *buf = malloc(by.len);
            kstream_err_t err;
            int flips = 1 + (int)(rnd(&seed) % 3);
            memcpy(buf, by.data, by.len);
            while (flips--)
                buf[rnd(&seed) % by.len] ^= (unsigned char)(1u << (rnd(&seed) % 8));
            err = kstream_avro_value_decode(back, s, buf, by.len);
            cr_assert(err == KSTREAM_OK || err == KSTREAM_ERR_SERDE);
            free(buf);
        }
        kstream_buf_destroy(b);
        kstream_avro_value_destroy(v);
        kstream_avro_value_destroy(back);
        kstream_avro_schema_destroy(s);
    }
}

/* ---- encoding what cannot be encoded --------------------------------------- */

Test(avro_errors, union_without_branch_is_not_encoded) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\","
            "\"type\":[\"null\",\"string\"]}]}");
    kstream_avro_value_t *v = t_value(s);
    kstream_buf_t *b = kstream_buf_new();

    assert_serde_error(kstream_avro_value_encode(v, NULL, b), v,
                       "at u: the union has no branch selected", "encode");
    cr_assert_eq(kstream_buf_bytes(b).len, 0);
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_errors, bad_arguments) {
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_value_t *v = t_value(s), *empty = t_value(NULL);
    kstream_buf_t *b = kstream_buf_new();

    cr_assert_eq(kstream_avro_value_decode(NULL, s, "", 0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_value_decode(v, NULL, "", 0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(kstream_avro_value_error(v), "writer_schema"));
    cr_assert_eq(kstream_avro_value_decode(v, s, NULL, 3),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_value_encode(v, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_value_encode(empty, NULL, b),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(kstream_avro_value_error(empty), "no schema"));
    cr_assert_eq(kstream_avro_value_encode(NULL, NULL, b),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_str_eq(kstream_avro_value_error(NULL), "");
    cr_assert_eq(kstream_avro_value_schema_id(NULL), -1);
    cr_assert_null(kstream_avro_value_avro(empty));
    cr_assert_null(kstream_avro_value_schema(empty));
    cr_assert_eq(kstream_avro_value_reset(NULL), KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_registry_decode(NULL, "", 0, v),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_registry_decode(NULL, "", 0, NULL),
                 KSTREAM_ERR_INVALID_ARG);
    kstream_avro_value_destroy(NULL);
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(empty);
    kstream_avro_schema_destroy(s);
}
