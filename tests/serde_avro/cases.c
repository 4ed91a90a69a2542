/* cases.c - see cases.h: a schema, how to fill a value of it through the
 * path setters, and the value expected back (normalized JSON). */
#include "cases.h"

#include <criterion/criterion.h>
#include <stdint.h>

#define OK(call)                                                             \
    cr_assert_eq((call), KSTREAM_OK, "%s: %s", #call,                        \
                 kstream_avro_value_error(v))

static void f_null(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_null(v, NULL));
}
static void f_boolean(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_boolean(v, "", true));
}
static void f_int(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_int(v, NULL, INT32_MIN));
}
static void f_long(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_long(v, NULL, INT64_MIN));
}
static void f_float(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_float(v, NULL, -3.25f));
}
static void f_double(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_double(v, NULL, 1.0e300));
}
static void f_bytes(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_bytes(v, NULL, "\x00\xff\x10", 3));
}
static void f_string(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_string(v, NULL, "h\xc3\xa9llo, \xe2\x82\xac"));
}
static void f_enum(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_enum(v, NULL, "CLUBS"));
}
static void f_fixed(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_bytes(v, NULL, "0123456789abcdef", 16));
}
static void f_array(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_long(v, "[0]", 1));
    OK(kstream_avro_value_set_long(v, "[1]", -1));
    OK(kstream_avro_value_set_long(v, "[2]", INT64_MAX));
}
static void f_map(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_string(v, "[a]", "x"));
    OK(kstream_avro_value_set_string(v, "[b.c]", ""));
    OK(kstream_avro_value_set_string(v, "[\xc3\xa9]", "y"));
}
static void f_union_null(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_null(v, NULL));
}
static void f_union_string(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_string(v, NULL, "s"));
}
static void f_union_long(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_long(v, NULL, 42));
}
static void f_record(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_null(v, "n"));
    OK(kstream_avro_value_set_boolean(v, "b", false));
    OK(kstream_avro_value_set_int(v, "i", 7));
    OK(kstream_avro_value_set_long(v, "l", -70000000000LL));
    OK(kstream_avro_value_set_float(v, "f", 0.5f));
    OK(kstream_avro_value_set_double(v, "d", 0.1));
    OK(kstream_avro_value_set_bytes(v, "by", "", 0));
    OK(kstream_avro_value_set_string(v, "s", "str"));
    OK(kstream_avro_value_set_enum(v, "e", "B"));
    OK(kstream_avro_value_set_bytes(v, "fx", "\x01\x02", 2));
    OK(kstream_avro_value_set_int(v, "arr[0]", 3));
    OK(kstream_avro_value_set_double(v, "m[k]", 2.5));
    OK(kstream_avro_value_set_string(v, "inner.name", "in"));
    OK(kstream_avro_value_set_null(v, "opt"));
    OK(kstream_avro_value_set_string(v, "opt2.name", "via union"));
}
static void f_order(kstream_avro_value_t *v) {
    t_fill_order(v, 3);
}
static void f_list(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_int(v, "value", 1));
    OK(kstream_avro_value_set_int(v, "next.value", 2));
    OK(kstream_avro_value_set_int(v, "next.next.value", 3));
    OK(kstream_avro_value_set_null(v, "next.next.next"));
}
static void f_nested(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_string(v, "[x][0].tag", "a"));
    OK(kstream_avro_value_set_null(v, "[x][1]"));
    OK(kstream_avro_value_set_string(v, "[y][0].tag", "b"));
    OK(kstream_avro_value_clear(v, "[z]"));
}
static void f_logical(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_decimal(v, "dec_b", "-12345.67"));
    OK(kstream_avro_value_set_decimal(v, "dec_f", "123.4567"));
    OK(kstream_avro_value_set_decimal(v, "dec_0", "0.00"));
    OK(kstream_avro_value_set_long(v, "ts_ms", 1700000000123LL));
    OK(kstream_avro_value_set_long(v, "ts_us", 1700000000123456LL));
    OK(kstream_avro_value_set_int(v, "date", 19675));
    OK(kstream_avro_value_set_int(v, "t_ms", 45296789));
    OK(kstream_avro_value_set_long(v, "t_us", 45296789012LL));
    OK(kstream_avro_value_set_string(v, "uuid",
                                     "123e4567-e89b-12d3-a456-426614174000"));
}
static void f_decimal_neg(kstream_avro_value_t *v) {
    OK(kstream_avro_value_set_decimal(v, "dec_b", "-0.01"));
    OK(kstream_avro_value_set_decimal(v, "dec_f", "-99999999999999.9999"));
    OK(kstream_avro_value_set_decimal(v, "dec_0", "128"));
    OK(kstream_avro_value_set_long(v, "ts_ms", -1));
    OK(kstream_avro_value_set_long(v, "ts_us", 0));
    OK(kstream_avro_value_set_int(v, "date", -1));
    OK(kstream_avro_value_set_int(v, "t_ms", 0));
    OK(kstream_avro_value_set_long(v, "t_us", 86399999999LL));
    OK(kstream_avro_value_set_string(v, "uuid",
                                     "00000000-0000-0000-0000-000000000000"));
}

#define RECORD_SCHEMA                                                        \
    "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"t\",\"fields\":[" \
    "{\"name\":\"n\",\"type\":\"null\"},"                                    \
    "{\"name\":\"b\",\"type\":\"boolean\"},"                                 \
    "{\"name\":\"i\",\"type\":\"int\"},"                                     \
    "{\"name\":\"l\",\"type\":\"long\"},"                                    \
    "{\"name\":\"f\",\"type\":\"float\"},"                                   \
    "{\"name\":\"d\",\"type\":\"double\"},"                                  \
    "{\"name\":\"by\",\"type\":\"bytes\"},"                                  \
    "{\"name\":\"s\",\"type\":\"string\"},"                                  \
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","            \
    "\"symbols\":[\"A\",\"B\"]}},"                                           \
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F2\","         \
    "\"size\":2}},"                                                          \
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"int\"}},"    \
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"double\"}},"    \
    "{\"name\":\"inner\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","  \
    "\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}},"                \
    "{\"name\":\"opt\",\"type\":[\"null\",\"Inner\"]},"                      \
    "{\"name\":\"opt2\",\"type\":[\"null\",\"t.Inner\"]}]}"

#define LOGICAL_SCHEMA                                                       \
    "{\"type\":\"record\",\"name\":\"Logical\",\"fields\":["                 \
    "{\"name\":\"dec_b\",\"type\":{\"type\":\"bytes\",\"logicalType\":"      \
    "\"decimal\",\"precision\":10,\"scale\":2}},"                            \
    "{\"name\":\"dec_f\",\"type\":{\"type\":\"fixed\",\"name\":\"D8\","      \
    "\"size\":8,\"logicalType\":\"decimal\",\"precision\":18,"               \
    "\"scale\":4}},"                                                         \
    "{\"name\":\"dec_0\",\"type\":{\"type\":\"bytes\",\"logicalType\":"      \
    "\"decimal\",\"precision\":5,\"scale\":2}},"                             \
    "{\"name\":\"ts_ms\",\"type\":{\"type\":\"long\",\"logicalType\":"       \
    "\"timestamp-millis\"}},"                                                \
    "{\"name\":\"ts_us\",\"type\":{\"type\":\"long\",\"logicalType\":"       \
    "\"timestamp-micros\"}},"                                                \
    "{\"name\":\"date\",\"type\":{\"type\":\"int\",\"logicalType\":"         \
    "\"date\"}},"                                                            \
    "{\"name\":\"t_ms\",\"type\":{\"type\":\"int\",\"logicalType\":"         \
    "\"time-millis\"}},"                                                     \
    "{\"name\":\"t_us\",\"type\":{\"type\":\"long\",\"logicalType\":"        \
    "\"time-micros\"}},"                                                     \
    "{\"name\":\"uuid\",\"type\":{\"type\":\"string\",\"logicalType\":"      \
    "\"uuid\"}}]}"

#define UNION3 "[\"null\",\"string\",\"long\"]"

const type_case_t type_cases[] = {
        {"null", "\"null\"", f_null, "null"},
        {"boolean", "\"boolean\"", f_boolean, "true"},
        {"int", "{\"type\":\"int\"}", f_int, "-2147483648"},
        {"long", "\"long\"", f_long, "-9223372036854775808"},
        {"float", "\"float\"", f_float, "-3.25"},
        {"double", "\"double\"", f_double, "1.0e300"},
        {"bytes", "\"bytes\"", f_bytes, "\"00ff10\""},
        {"string", "\"string\"", f_string,
         "\"h\xc3\xa9llo, \xe2\x82\xac\""},
        {"enum",
         "{\"type\":\"enum\",\"name\":\"Suit\",\"symbols\":[\"SPADES\","
         "\"HEARTS\",\"DIAMONDS\",\"CLUBS\"]}",
         f_enum, "\"CLUBS\""},
        {"fixed", "{\"type\":\"fixed\",\"name\":\"md5\",\"size\":16}",
         f_fixed, "\"30313233343536373839616263646566\""},
        {"array", "{\"type\":\"array\",\"items\":\"long\"}", f_array,
         "[1,-1,9223372036854775807]"},
        {"map", "{\"type\":\"map\",\"values\":\"string\"}", f_map,
         "{\"a\":\"x\",\"b.c\":\"\",\"\xc3\xa9\":\"y\"}"},
        {"union_null", UNION3, f_union_null, "null"},
        {"union_string", UNION3, f_union_string, "\"s\""},
        {"union_long", UNION3, f_union_long, "42"},
        {"record", RECORD_SCHEMA, f_record,
         "{\"arr\":[3],\"b\":false,\"by\":\"\",\"d\":0.10000000000000001,"
         "\"e\":\"B\",\"f\":0.5,\"fx\":\"0102\",\"i\":7,\"inner\":{\"name\":"
         "\"in\"},\"l\":-70000000000,\"m\":{\"k\":2.5},\"n\":null,\"opt\":"
         "null,\"opt2\":{\"name\":\"via union\"},\"s\":\"str\"}"},
        {"order_placed", NULL, f_order,
         "{\"items\":[{\"price\":0.75,\"quantity\":4,\"sku\":\"SKU-3-0\"},"
         "{\"price\":1.75,\"quantity\":5,\"sku\":\"SKU-3-1\"},{\"price\":"
         "2.75,\"quantity\":1,\"sku\":\"SKU-3-2\"},{\"price\":3.75,"
         "\"quantity\":2,\"sku\":\"SKU-3-3\"}],\"order_id\":\"order-000003\","
         "\"timestamp\":1700000003000,\"total\":50.0,\"user_id\":\"user-3\"}"},
        {"recursive",
         "{\"type\":\"record\",\"name\":\"List\",\"fields\":[{\"name\":"
         "\"value\",\"type\":\"int\"},{\"name\":\"next\",\"type\":[\"null\","
         "\"List\"]}]}",
         f_list,
         "{\"next\":{\"next\":{\"next\":null,\"value\":3},\"value\":2},"
         "\"value\":1}"},
        {"nested",
         "{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":[\"null\","
         "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"tag\","
         "\"type\":\"string\"}]}]}}",
         f_nested,
         "{\"x\":[{\"tag\":\"a\"},null],\"y\":[{\"tag\":\"b\"}],\"z\":[]}"},
        {"logical", LOGICAL_SCHEMA, f_logical,
         "{\"date\":19675,\"dec_0\":\"0.00\",\"dec_b\":\"-12345.67\","
         "\"dec_f\":\"123.4567\",\"t_ms\":45296789,\"t_us\":45296789012,"
         "\"ts_ms\":1700000000123,\"ts_us\":1700000000123456,\"uuid\":"
         "\"123e4567-e89b-12d3-a456-426614174000\"}"},
        {"logical_edges", LOGICAL_SCHEMA, f_decimal_neg,
         "{\"date\":-1,\"dec_0\":\"128.00\",\"dec_b\":\"-0.01\",\"dec_f\":"
         "\"-99999999999999.9999\",\"t_ms\":0,\"t_us\":86399999999,"
         "\"ts_ms\":-1,\"ts_us\":0,\"uuid\":"
         "\"00000000-0000-0000-0000-000000000000\"}"},
};

const size_t n_type_cases = sizeof(type_cases) / sizeof(type_cases[0]);
