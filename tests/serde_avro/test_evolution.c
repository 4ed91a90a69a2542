/* test_evolution.c - schema evolution: data written with one schema read
 * into values of another (Avro's resolution rules): added fields with
 * defaults, removed fields, promotions, enums, unions, aliases; and through
 * the registry (the writer's schema by id). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

TestSuite(avro_evolution, .timeout = 30);

/* Encode \p v, decode with its schema into a value of \p reader_json, and
 * compare the normalized result with \p want (or expect an error that
 * contains \p want when \p fail). */
static void evolve(kstream_avro_value_t *v, const char *reader_json,
                   const char *want, bool fail) {
    kstream_avro_schema_t *r = t_schema(reader_json);
    kstream_avro_value_t *out = t_value(r);
    kstream_buf_t *b = t_encode(v);
    kstream_bytes_t by = kstream_buf_bytes(b);
    kstream_err_t err = kstream_avro_value_decode(
            out, kstream_avro_value_schema(v), by.data, by.len);

    if (fail) {
        cr_assert_eq(err, KSTREAM_ERR_SERDE, "decoded, expected: %s", want);
        cr_assert(strstr(kstream_avro_value_error(out), want),
                  "message \"%s\" lacks \"%s\"",
                  kstream_avro_value_error(out), want);
    } else {
        json_t *w = json_loads(want, JSON_DECODE_ANY, NULL), *g;
        char *gs;
        cr_assert_eq(err, KSTREAM_OK, "%s", kstream_avro_value_error(out));
        g = t_norm(out, "");
        gs = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        cr_assert(w && json_equal(w, g), "got %s, want %s", gs, want);
        free(gs);
        json_decref(w);
        json_decref(g);
    }
    kstream_buf_destroy(b);
    kstream_avro_value_destroy(out);
    kstream_avro_schema_destroy(r);
}

#define OK(call)                                                             \
    cr_assert_eq((call), KSTREAM_OK, "%s: %s", #call,                        \
                 kstream_avro_value_error(v))

static const char *V1 =
        "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"ex\","
        "\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
        "{\"name\":\"name\",\"type\":\"string\"},"
        "{\"name\":\"score\",\"type\":\"float\"},"
        "{\"name\":\"gone\",\"type\":{\"type\":\"map\",\"values\":"
        "{\"type\":\"array\",\"items\":\"string\"}}}]}";

static kstream_avro_value_t *v1_value(kstream_avro_schema_t **s) {
    kstream_avro_value_t *v;

    *s = t_schema(V1);
    v = t_value(*s);
    OK(kstream_avro_value_set_int(v, "id", 42));
    OK(kstream_avro_value_set_string(v, "name", "ada"));
    OK(kstream_avro_value_set_float(v, "score", 1.5f));
    OK(kstream_avro_value_set_string(v, "gone[k][0]", "skipped"));
    OK(kstream_avro_value_set_string(v, "gone[k][1]", "too"));
    return v;
}

Test(avro_evolution, added_removed_promoted) {
    kstream_avro_schema_t *s;
    kstream_avro_value_t *v = v1_value(&s);

    /* id int -> long, score float -> double, gone removed, four fields
     * added with defaults (null union, string, record, enum). */
    evolve(v,
           "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"ex\","
           "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
           "{\"name\":\"email\",\"type\":[\"null\",\"string\"],"
           "\"default\":null},"
           "{\"name\":\"name\",\"type\":\"string\"},"
           "{\"name\":\"score\",\"type\":\"double\"},"
           "{\"name\":\"country\",\"type\":\"string\",\"default\":\"FR\"},"
           "{\"name\":\"prefs\",\"type\":{\"type\":\"record\",\"name\":"
           "\"Prefs\",\"fields\":[{\"name\":\"dark\",\"type\":\"boolean\"},"
           "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":"
           "\"string\"}}]},\"default\":{\"dark\":true,\"tags\":[\"a\"]}},"
           "{\"name\":\"level\",\"type\":{\"type\":\"enum\",\"name\":\"Lvl\","
           "\"symbols\":[\"LOW\",\"HIGH\"]},\"default\":\"HIGH\"},"
           "{\"name\":\"raw\",\"type\":\"bytes\",\"default\":\"\\u00ff\\u0001\"},"
           "{\"name\":\"ratio\",\"type\":\"float\",\"default\":2}]}",
           "{\"id\":42,\"email\":null,\"name\":\"ada\",\"score\":1.5,"
           "\"country\":\"FR\",\"prefs\":{\"dark\":true,\"tags\":[\"a\"]},"
           "\"level\":\"HIGH\",\"raw\":\"ff01\",\"ratio\":2.0}",
           false);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_evolution, other_promotions) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
            "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":"
            "\"long\"},{\"name\":\"c\",\"type\":\"int\"},{\"name\":\"d\","
            "\"type\":\"string\"},{\"name\":\"e\",\"type\":\"bytes\"}]}");
    kstream_avro_value_t *v = t_value(s);

    OK(kstream_avro_value_set_int(v, "a", -7));
    OK(kstream_avro_value_set_long(v, "b", 1LL << 40));
    OK(kstream_avro_value_set_int(v, "c", 3));
    OK(kstream_avro_value_set_string(v, "d", "text"));
    OK(kstream_avro_value_set_bytes(v, "e", "by", 2));
    evolve(v,
           "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
           "{\"name\":\"a\",\"type\":\"double\"},{\"name\":\"b\",\"type\":"
           "\"float\"},{\"name\":\"c\",\"type\":\"float\"},{\"name\":\"d\","
           "\"type\":\"bytes\"},{\"name\":\"e\",\"type\":\"string\"}]}",
           "{\"a\":-7.0,\"b\":1099511627776.0,\"c\":3.0,\"d\":\"74657874\","
           "\"e\":\"by\"}",
           false);
    /* No narrowing: long into int is not a resolution. */
    evolve(v,
           "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
           "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":"
           "\"int\"},{\"name\":\"c\",\"type\":\"int\"},{\"name\":\"d\","
           "\"type\":\"string\"},{\"name\":\"e\",\"type\":\"bytes\"}]}",
           "the writer's long cannot be read as int", true);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_evolution, missing_field_without_default_fails) {
    kstream_avro_schema_t *s;
    kstream_avro_value_t *v = v1_value(&s);

    evolve(v,
           "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"ex\","
           "\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
           "{\"name\":\"must\",\"type\":\"string\"}]}",
           "field \"must\" of the reader's ex.User is not in the writer's "
           "schema and has no default",
           true);
    /* A default of the wrong type is reported as such. */
    evolve(v,
           "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"ex\","
           "\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
           "{\"name\":\"n\",\"type\":\"int\",\"default\":\"x\"}]}",
           "default of field \"n\"", true);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_evolution, enums) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"RED\",\"GREEN\","
            "\"BLUE\"]}");
    kstream_avro_value_t *v = t_value(s);

    OK(kstream_avro_value_set_enum(v, NULL, "BLUE"));
    /* reordered symbols match by name */
    evolve(v, "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"BLUE\","
              "\"RED\"]}",
           "\"BLUE\"", false);
    /* unknown symbol: the reader's default */
    evolve(v, "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"RED\","
              "\"GREEN\"],\"default\":\"GREEN\"}",
           "\"GREEN\"", false);
    /* unknown symbol, no default: an error naming it */
    evolve(v, "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"RED\"]}",
           "enum symbol BLUE is not in the reader's C", true);
    /* a symbol both have still reads */
    OK(kstream_avro_value_set_enum(v, NULL, "RED"));
    evolve(v, "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"RED\"]}",
           "\"RED\"", false);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_evolution, unions) {
    kstream_avro_schema_t *s = t_schema("[\"null\",\"string\",\"int\"]");
    kstream_avro_value_t *v = t_value(s);

    OK(kstream_avro_value_set_int(v, NULL, 5));
    /* branches reordered; int promoted into the reader's long branch */
    evolve(v, "[\"long\",\"string\",\"null\"]", "5", false);
    /* a union into a non-union: the branch used must resolve */
    evolve(v, "\"long\"", "5", false);
    OK(kstream_avro_value_set_null(v, NULL));
    evolve(v, "\"long\"", "the writer's null cannot be read as long", true);
    evolve(v, "[\"string\",\"int\"]",
           "union branch null has no match in the reader's union", true);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);

    /* a non-union into a union */
    s = t_schema("\"string\"");
    v = t_value(s);
    OK(kstream_avro_value_set_string(v, NULL, "x"));
    evolve(v, "[\"null\",\"string\"]", "\"x\"", false);
    evolve(v, "[\"null\",\"bytes\"]", "\"78\"", false);
    evolve(v, "[\"null\",\"int\"]", "has no match in the reader's union",
           true);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_evolution, aliases) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"Old\",\"namespace\":\"a\","
            "\"fields\":[{\"name\":\"old_name\",\"type\":\"string\"}]}");
    kstream_avro_value_t *v = t_value(s);

    OK(kstream_avro_value_set_string(v, "old_name", "kept"));
    evolve(v,
           "{\"type\":\"record\",\"name\":\"New\",\"namespace\":\"b\","
           "\"aliases\":[\"a.Old\"],\"fields\":[{\"name\":\"new_name\","
           "\"type\":\"string\",\"aliases\":[\"old_name\"]}]}",
           "{\"new_name\":\"kept\"}", false);
    evolve(v,
           "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":"
           "\"old_name\",\"type\":\"string\"}]}",
           "does not match", true);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

/* OrderPlaced v2: quantity int -> long, a currency with a default, a
 * removed user_id; written with v1 through a registry, read with v2. */
Test(avro_evolution, order_placed_through_the_registry) {
    static const char *v2 =
            "{\"type\":\"record\",\"name\":\"OrderPlaced\",\"fields\":["
            "{\"name\":\"order_id\",\"type\":\"string\"},"
            "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{"
            "\"type\":\"record\",\"name\":\"Item\",\"fields\":["
            "{\"name\":\"sku\",\"type\":\"string\"},"
            "{\"name\":\"quantity\",\"type\":\"long\"},"
            "{\"name\":\"price\",\"type\":\"double\"}]}}},"
            "{\"name\":\"total\",\"type\":\"double\"},"
            "{\"name\":\"currency\",\"type\":\"string\",\"default\":\"EUR\"},"
            "{\"name\":\"timestamp\",\"type\":\"long\"}]}";
    kstream_avro_registry_t *reg = t_registry("mock://evo", NULL);
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "orders", false, NULL, 0);
    kstream_avro_schema_t *s1 = t_order_schema(), *s2 = t_schema(v2);
    kstream_avro_value_t *v = t_value(s1), *r = t_value(s2);
    kstream_buf_t *b = kstream_buf_new();
    const char *str;
    int64_t q;
    int n;

    for (n = 0; n < 3; n++) {
        kstream_bytes_t by;
        kstream_buf_reset(b);
        t_fill_order(v, n + 1);
        cr_assert_eq(kstream_serde_serialize(serde, v, b), KSTREAM_OK);
        by = kstream_buf_bytes(b);
        cr_assert_eq(kstream_serde_deserialize(serde, by.data, by.len, r),
                     KSTREAM_OK, "%s", kstream_avro_value_error(r));
        cr_assert_eq(kstream_avro_value_get_string(r, "currency", &str, NULL),
                     KSTREAM_OK);
        cr_assert_str_eq(str, "EUR");
        cr_assert_eq(kstream_avro_value_get_long(r, "items[0].quantity", &q),
                     KSTREAM_OK);
        cr_assert_eq(q, 1 + (n + 1) % 5);
        cr_assert_eq(kstream_avro_value_get_string(r, "user_id", &str, NULL),
                     KSTREAM_ERR_NOT_FOUND);
    }
    kstream_buf_destroy(b);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
    kstream_avro_value_destroy(r);
    kstream_avro_schema_destroy(s1);
    kstream_avro_schema_destroy(s2);
}

/* One value decodes records of several writer schemas in turn. */
Test(avro_evolution, alternating_writers) {
    kstream_avro_schema_t *w1 = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"int\"}]}");
    kstream_avro_schema_t *w2 = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"long\"},{\"name\":\"b\",\"type\":\"string\"}]}");
    kstream_avro_schema_t *rd = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"long\"},{\"name\":\"b\",\"type\":\"string\","
            "\"default\":\"none\"}]}");
    kstream_avro_value_t *v1 = t_value(w1), *v2 = t_value(w2), *r = t_value(rd);
    kstream_buf_t *b1, *b2;
    const char *s;
    int64_t a;
    int i;

    cr_assert_eq(kstream_avro_value_set_int(v1, "a", 1), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_long(v2, "a", 2), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_set_string(v2, "b", "two"), KSTREAM_OK);
    b1 = t_encode(v1);
    b2 = t_encode(v2);
    for (i = 0; i < 6; i++) {
        kstream_bytes_t by = kstream_buf_bytes(i % 2 ? b2 : b1);
        cr_assert_eq(kstream_avro_value_decode(r, i % 2 ? w2 : w1, by.data,
                                               by.len),
                     KSTREAM_OK, "%s", kstream_avro_value_error(r));
        cr_assert_eq(kstream_avro_value_get_long(r, "a", &a), KSTREAM_OK);
        cr_assert_eq(a, i % 2 ? 2 : 1);
        cr_assert_eq(kstream_avro_value_get_string(r, "b", &s, NULL),
                     KSTREAM_OK);
        cr_assert_str_eq(s, i % 2 ? "two" : "none");
    }
    kstream_buf_destroy(b1);
    kstream_buf_destroy(b2);
    kstream_avro_value_destroy(v1);
    kstream_avro_value_destroy(v2);
    kstream_avro_value_destroy(r);
    kstream_avro_schema_destroy(w1);
    kstream_avro_schema_destroy(w2);
    kstream_avro_schema_destroy(rd);
}

/* More writers than a value caches plans and ids for (eviction), through
 * a registry: each record still reads right. */
Test(avro_evolution, many_writers_through_the_registry) {
    kstream_avro_registry_t *reg = t_registry("mock://many", NULL);
    kstream_serde_t *serde =
            kstream_avro_serde_new(reg, NULL, "many", false, NULL, 0);
    kstream_avro_schema_t *rd = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
            "\"type\":\"long\"},{\"name\":\"tag\",\"type\":\"string\","
            "\"default\":\"-\"}]}");
    kstream_avro_value_t *r = t_value(rd);
    kstream_buf_t *bufs[7];
    char json[256];
    int i, k;

    for (i = 0; i < 7; i++) {
        kstream_avro_schema_t *w;
        kstream_avro_value_t *v;
        /* writer i: field a (int or long) and i extra fields */
        int o = snprintf(json, sizeof(json),
                         "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                         "{\"name\":\"a\",\"type\":\"%s\"}",
                         i % 2 ? "int" : "long");
        for (k = 0; k < i; k++)
            o += snprintf(json + o, sizeof(json) - (size_t)o,
                          ",{\"name\":\"x%d\",\"type\":\"int\"}", k);
        snprintf(json + o, sizeof(json) - (size_t)o, "]}");
        w = t_schema(json);
        v = t_value(w);
        if (i % 2)
            cr_assert_eq(kstream_avro_value_set_int(v, "a", i), KSTREAM_OK);
        else
            cr_assert_eq(kstream_avro_value_set_long(v, "a", i), KSTREAM_OK);
        bufs[i] = kstream_buf_new();
        cr_assert_eq(kstream_serde_serialize(serde, v, bufs[i]), KSTREAM_OK,
                     "%s", kstream_avro_value_error(v));
        kstream_avro_value_destroy(v);
        kstream_avro_schema_destroy(w);
    }
    for (k = 0; k < 50; k++) {
        kstream_bytes_t by = kstream_buf_bytes(bufs[(k * 3) % 7]);
        int64_t a;
        cr_assert_eq(kstream_serde_deserialize(serde, by.data, by.len, r),
                     KSTREAM_OK, "%s", kstream_avro_value_error(r));
        cr_assert_eq(kstream_avro_value_get_long(r, "a", &a), KSTREAM_OK);
        cr_assert_eq(a, (k * 3) % 7);
        cr_assert_eq(kstream_avro_value_schema_id(r), (k * 3) % 7 + 1);
    }
    for (i = 0; i < 7; i++)
        kstream_buf_destroy(bufs[i]);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(r);
    kstream_avro_schema_destroy(rd);
}
