/* test_schema.c - schemas from JSON: what is accepted (names, namespaces,
 * references, recursion, logical types) and what is refused, with the
 * message naming it; canonical equality; reference counting. */
#include <avro.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "helpers.h"

TestSuite(avro_schema, .timeout = 10);

typedef struct bad {
    const char *json;
    const char *needle;
} bad_t;

static const bad_t bad_cases[] = {
            {"", "not JSON"},
            {"{\"type\":", "not JSON"},
            {"\"nope\"", "unknown type \"nope\""},
            {"{\"type\":\"record\",\"fields\":[]}", "needs a \"name\""},
            {"{\"type\":\"record\",\"name\":\"R\"}", "\"fields\" array"},
            {"{\"type\":\"record\",\"name\":\"1R\",\"fields\":[]}",
             "invalid name \"1R\""},
            {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
             "\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
             "field \"a\" appears twice"},
            {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
             "has no \"type\""},
            {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
             "\"type\":\"Missing\"}]}",
             "record \"R\", field \"a\": unknown type \"Missing\""},
            {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
             "symbol \"A\" appears twice"},
            {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],"
             "\"default\":\"B\"}",
             "default \"B\" is not a symbol"},
            {"{\"type\":\"fixed\",\"name\":\"F\"}", "needs a \"size\""},
            {"[\"int\",[\"null\"]]", "cannot hold a union"},
            {"[\"int\",\"int\"]", "union has \"int\" twice"},
            {"{\"type\":\"array\"}", "array needs \"items\""},
            {"{\"type\":\"map\",\"values\":\"x\"}", "unknown type \"x\""},
            {"{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}",
             "cannot be redefined"},
            {"[{\"type\":\"record\",\"name\":\"R\",\"fields\":[]},"
             "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}]",
             "defined twice"},
            {"42", "a schema is a string, an object or an array"},
            {"{\"name\":\"x\"}", "needs a \"type\""},
};

/* Indexes, not pointers, as parameters: Criterion may run each test in a
 * new process where the addresses differ. */
ParameterizedTestParameters(avro_schema, refused_with_a_reason) {
    static int idx[sizeof(bad_cases) / sizeof(bad_cases[0])];
    size_t i;

    for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(int *i, avro_schema, refused_with_a_reason) {
    const bad_t *c = &bad_cases[*i];
    char err[512] = "";

    cr_assert_null(kstream_avro_schema_new(c->json, err, sizeof(err)), "%s",
                   c->json);
    cr_assert(strstr(err, c->needle), "%s: \"%s\" lacks \"%s\"", c->json, err,
              c->needle);
    cr_assert(!strncmp(err, "invalid Avro schema: ", 21), "%s", err);
}

Test(avro_schema, names_and_namespaces) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\","
            "\"fields\":["
            "{\"name\":\"in\",\"type\":{\"type\":\"record\",\"name\":\"In\","
            "\"fields\":[]}},"
            "{\"name\":\"in2\",\"type\":\"In\"},"
            "{\"name\":\"in3\",\"type\":\"a.b.In\"},"
            "{\"name\":\"other\",\"type\":{\"type\":\"enum\",\"name\":"
            "\"x.y.E\",\"symbols\":[\"S\"]}},"
            "{\"name\":\"other2\",\"type\":\"x.y.E\"}]}");
    kstream_avro_value_t *v = t_value(s);
    const char *name;

    cr_assert_str_eq(kstream_avro_schema_name(s), "a.b.Outer");
    cr_assert_eq(kstream_avro_schema_type(s), KSTREAM_AVRO_RECORD);
    cr_assert_eq(kstream_avro_value_set_enum(v, "other2", "S"), KSTREAM_OK);
    cr_assert_eq(kstream_avro_value_get_enum(v, "other", &name), KSTREAM_OK);
    cr_assert_str_eq(name, "S");
    cr_assert_eq(kstream_avro_value_set_string(v, "in3.nope", "x"),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert(strstr(kstream_avro_value_error(v), "a.b.In has no field"));
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_schema, primitives_and_accessors) {
    kstream_avro_schema_t *s = t_schema("{\"type\": \"string\"}");

    cr_assert_str_eq(kstream_avro_schema_name(s), "string");
    cr_assert_eq(kstream_avro_schema_type(s), KSTREAM_AVRO_STRING);
    cr_assert_str_eq(kstream_avro_schema_json(s), "{\"type\": \"string\"}");
    cr_assert(kstream_avro_schema_avro(s));
    cr_assert(is_avro_string(kstream_avro_schema_avro(s)));
    cr_assert_null(kstream_avro_schema_json(NULL));
    cr_assert_null(kstream_avro_schema_name(NULL));
    cr_assert_null(kstream_avro_schema_avro(NULL));
    cr_assert_null(kstream_avro_schema_ref(NULL));
    cr_assert_null(kstream_avro_schema_new(NULL, NULL, 0));
    kstream_avro_schema_destroy(NULL);
    kstream_avro_schema_destroy(s);
}

Test(avro_schema, canonical_equality) {
    kstream_avro_schema_t *a = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"doc\":"
            "\"d\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"default\":1,"
            "\"doc\":\"y\"}]}");
    kstream_avro_schema_t *b = t_schema(
            "{ \"fields\" : [ { \"type\" : {\"type\":\"int\"}, \"name\" : "
            "\"x\" } ], \"name\" : \"n.R\", \"type\" : \"record\" }");
    kstream_avro_schema_t *c = t_schema(
            "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\","
            "\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}");

    cr_assert(kstream_avro_schema_equal(a, b));
    cr_assert(!kstream_avro_schema_equal(a, c));
    cr_assert(!kstream_avro_schema_equal(a, NULL));
    kstream_avro_schema_destroy(a);
    kstream_avro_schema_destroy(b);
    kstream_avro_schema_destroy(c);
}

Test(avro_schema, references_outlive_the_caller) {
    kstream_avro_schema_t *s = t_order_schema();
    kstream_avro_schema_t *r = kstream_avro_schema_ref(s);
    kstream_avro_value_t *v;

    cr_assert_eq(r, s);
    kstream_avro_schema_destroy(s);
    v = t_value(r); /* still alive */
    kstream_avro_schema_destroy(r);
    /* the value holds its own reference */
    cr_assert_str_eq(kstream_avro_schema_name(kstream_avro_value_schema(v)),
                     "OrderPlaced");
    t_fill_order(v, 1);
    kstream_avro_value_destroy(v);
}

Test(avro_schema, logical_types_kept_or_ignored) {
    kstream_avro_schema_t *s = t_schema(
            "{\"type\":\"record\",\"name\":\"L\",\"fields\":["
            "{\"name\":\"ok\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
            "\"decimal\",\"precision\":4,\"scale\":2}},"
            "{\"name\":\"bad\",\"type\":{\"type\":\"bytes\",\"logicalType\":"
            "\"decimal\",\"precision\":2,\"scale\":3}},"
            "{\"name\":\"wrong_base\",\"type\":{\"type\":\"string\","
            "\"logicalType\":\"date\"}},"
            "{\"name\":\"custom\",\"type\":{\"type\":\"string\","
            "\"logicalType\":\"my-type\"}}]}");
    kstream_avro_value_t *v = t_value(s);
    const char *lt;

    cr_assert_eq(kstream_avro_value_logical_type(v, "ok", &lt), KSTREAM_OK);
    cr_assert_str_eq(lt, "decimal");
    cr_assert_eq(kstream_avro_value_logical_type(v, "bad", &lt), KSTREAM_OK);
    cr_assert_null(lt);
    cr_assert_eq(kstream_avro_value_logical_type(v, "wrong_base", &lt),
                 KSTREAM_OK);
    cr_assert_null(lt);
    cr_assert_eq(kstream_avro_value_logical_type(v, "custom", &lt),
                 KSTREAM_OK);
    cr_assert_str_eq(lt, "my-type");
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
}

Test(avro_schema, value_without_schema) {
    char err[64];
    kstream_avro_value_t *v = kstream_avro_value_new(NULL, err, sizeof(err));
    int32_t i;

    cr_assert(v);
    cr_assert_eq(kstream_avro_value_get_int(v, "x", &i),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(kstream_avro_value_error(v), "no schema yet"));
    cr_assert_eq(kstream_avro_value_reset(v), KSTREAM_OK);
    kstream_avro_value_destroy(v);
}
