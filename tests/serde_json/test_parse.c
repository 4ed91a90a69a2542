/* test_parse.c - JSON parsing and the JSON serde: valid values of every
 * type, invalid, truncated, empty and too deeply nested input (serde
 * errors with messages, never a crash), explicit lengths (no NUL
 * terminator assumed), Kafka nulls, and arguments. */
#include "helpers.h"

TestSuite(json_parse, .timeout = 10);

Test(json_parse, parses_every_kind_of_top_level_value)
{
    const char *texts[] = {"{}", "[]", "\"s\"", "1", "-2.5", "true",
                           "false", "null", "{\"a\":[1,{\"b\":null}]}"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        j_round_trip(texts[i], NULL);
}

Test(json_parse, whitespace_is_dropped_and_order_kept)
{
    j_round_trip(" { \"z\" : 1 ,\n\t\"a\" : [ true , null ] } ",
                 "{\"z\":1,\"a\":[true,null]}");
}

Test(json_parse, reads_only_len_bytes_without_a_terminator)
{
    /* The buffer continues with garbage and has no NUL: only 7 bytes
     * count. */
    char buf[16];
    memcpy(buf, "{\"a\":1}GARBAGEXX", 16);
    char err[128] = "";
    kstream_json_t *v = NULL;
    cr_assert(eq(int, kstream_json_parse(buf, 7, &v, err, sizeof(err)),
                 KSTREAM_OK), "%s", err);
    j_expect_dump(v, "{\"a\":1}");
    kstream_json_destroy(v);

    /* A prefix that cuts a token short is truncated input. */
    j_parse_fails(buf, 5, NULL);
}

Test(json_parse, invalid_json_is_a_serde_error_with_position)
{
    j_parse_fails("{\"a\":}", 6, "invalid JSON");
    j_parse_fails("{\"a\" 1}", 7, "column");
    j_parse_fails("[1,2,]", 6, NULL);
    j_parse_fails("nul", 3, NULL);
    j_parse_fails("{'a':1}", 7, NULL);
    j_parse_fails("[1] [2]", 7, NULL); /* trailing data */
    j_parse_fails("\"\xff\"", 3, NULL); /* not UTF-8 */
    j_parse_fails("1e999", 5, NULL);   /* real overflow */
    j_parse_fails("99999999999999999999", 20, NULL); /* integer overflow */
}

Test(json_parse, truncated_input_is_a_serde_error)
{
    const char *full = "{\"op\":\"c\",\"after\":{\"id\":1,\"tags\":[\"x\"]}}";
    size_t n = strlen(full);
    for (size_t len = 1; len < n; len++)
        j_parse_fails(full, len, NULL);
}

Test(json_parse, empty_input_is_a_serde_error)
{
    j_parse_fails("", 0, "empty");
    j_parse_fails("   ", 3, NULL);
}

Test(json_parse, nesting_at_the_limit_is_accepted_and_beyond_refused)
{
    char buf[2 * (KSTREAM_JSON_MAX_DEPTH + 1) + 1];
    size_t d = KSTREAM_JSON_MAX_DEPTH;
    memset(buf, '[', d);
    memset(buf + d, ']', d);
    kstream_json_t *v = NULL;
    char err[128] = "";
    cr_assert(eq(int, kstream_json_parse(buf, 2 * d, &v, err, sizeof(err)),
                 KSTREAM_OK), "%s", err);
    kstream_json_destroy(v);

    d = KSTREAM_JSON_MAX_DEPTH + 1;
    memset(buf, '[', d);
    memset(buf + d, ']', d);
    j_parse_fails(buf, 2 * d, "deep");
}

Test(json_parse, very_deep_input_is_refused_without_recursion)
{
    /* 1 MB of '{"a":' would blow a recursive parser's stack. */
    size_t n = 1 << 20;
    char *buf = malloc(n);
    cr_assert(buf != NULL);
    for (size_t i = 0; i + 5 <= n; i += 5)
        memcpy(buf + i, "{\"a\":", 5);
    j_parse_fails(buf, n - n % 5, "deep");
    memset(buf, '[', n);
    j_parse_fails(buf, n, "deep");
    free(buf);
}

Test(json_parse, brackets_inside_strings_do_not_count_as_nesting)
{
    char buf[400];
    size_t n = 0;
    buf[n++] = '"';
    for (int i = 0; i < 200; i++)
        buf[n++] = i % 2 ? '{' : '[';
    buf[n++] = '\\';
    buf[n++] = '"';
    buf[n++] = '"';
    kstream_json_t *v = NULL;
    char err[128] = "";
    cr_assert(eq(int, kstream_json_parse(buf, n, &v, err, sizeof(err)),
                 KSTREAM_OK), "%s", err);
    kstream_json_destroy(v);
}

Test(json_parse, strings_may_hold_nul_bytes)
{
    kstream_json_t *v = j_parse("{\"s\":\"a\\u0000b\"}");
    const char *s = NULL;
    size_t len = 0;
    cr_assert(eq(int, kstream_json_get_string(v, "s", &s, &len, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(sz, len, 3));
    cr_assert(memcmp(s, "a\0b", 3) == 0);
    j_expect_dump(v, "{\"s\":\"a\\u0000b\"}");
    kstream_json_destroy(v);
}

Test(json_parse, arguments_are_checked)
{
    kstream_json_t *v = NULL;
    char err[128] = "";
    cr_assert(eq(int, kstream_json_parse(NULL, 0, &v, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(err[0] != '\0');
    cr_assert(eq(int, kstream_json_parse("1", 1, NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    /* A NULL errstr is fine. */
    cr_assert(eq(int, kstream_json_parse("{", 1, &v, NULL, 0),
                 KSTREAM_ERR_SERDE));
    /* A 1-byte errstr gets an empty, terminated message. */
    char one[1] = {'x'};
    cr_assert(eq(int, kstream_json_parse("{", 1, &v, one, 1),
                 KSTREAM_ERR_SERDE));
    cr_assert(eq(int, one[0], '\0'));
}

/* ---- the serde ---------------------------------------------------------- */

Test(json_serde, is_static_and_named_json)
{
    const kstream_serde_t *s = kstream_serde_json();
    cr_assert(s != NULL);
    cr_assert(s == kstream_serde_json());
    cr_assert(eq(str, (char *)kstream_serde_name(s), "json"));
    kstream_serde_destroy((kstream_serde_t *)s); /* a no-op */
    cr_assert(eq(str, (char *)kstream_serde_name(s), "json"));
}

Test(json_serde, round_trips_through_bytes)
{
    const kstream_serde_t *s = kstream_serde_json();
    kstream_json_t *v = j_parse("{\"id\":7,\"name\":\"Ann\",\"tags\":[1.5]}");
    kstream_buf_t *buf = kstream_buf_new();
    cr_assert(eq(int, kstream_serde_serialize(s, v, buf), KSTREAM_OK));
    kstream_bytes_t b = kstream_buf_bytes(buf);
    kstream_json_t *back = NULL;
    cr_assert(eq(int, kstream_serde_deserialize(s, b.data, b.len, &back),
                 KSTREAM_OK));
    cr_assert(kstream_json_equal(v, back));
    kstream_json_destroy(back);
    kstream_json_destroy(v);
    kstream_buf_destroy(buf);
}

Test(json_serde, kafka_null_is_a_null_value_and_garbage_an_error)
{
    const kstream_serde_t *s = kstream_serde_json();
    kstream_json_t *v = (kstream_json_t *)0x1;
    cr_assert(eq(int, kstream_serde_deserialize(s, NULL, 0, &v), KSTREAM_OK));
    cr_assert(v == NULL);
    cr_assert(eq(int, kstream_serde_deserialize(s, "{x", 2, &v),
                 KSTREAM_ERR_SERDE));
    cr_assert(v == NULL);
    cr_assert(eq(int, kstream_serde_deserialize(s, "", 0, &v),
                 KSTREAM_ERR_SERDE));
    kstream_buf_t *buf = kstream_buf_new();
    cr_assert(eq(int, kstream_serde_serialize(s, NULL, buf),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_buf_destroy(buf);
}

Test(json_serde, equal_compares_values_not_text)
{
    kstream_json_t *a = j_parse("{\"a\":1,\"b\":[true]}");
    kstream_json_t *b = j_parse("{ \"b\":[true], \"a\":1 }");
    kstream_json_t *c = j_parse("{\"a\":1.0,\"b\":[true]}");
    cr_assert(kstream_json_equal(a, b));
    cr_assert(not(kstream_json_equal(a, c)));
    cr_assert(not(kstream_json_equal(a, NULL)));
    kstream_json_t *d = kstream_json_dup(a);
    cr_assert(kstream_json_equal(a, d));
    cr_assert(kstream_json_dup(NULL) == NULL);
    kstream_json_destroy(a);
    kstream_json_destroy(b);
    kstream_json_destroy(c);
    kstream_json_destroy(d);
    kstream_json_destroy(NULL);
}
