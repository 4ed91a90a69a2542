/* test_json_table.c - a CDC table of JSON Debezium events through the test
 * driver: create, snapshot read, update, delete and tombstones, bare
 * envelopes and the schema/payload wrapper, with the exact table contents
 * and downstream updates after each step; and the table's store behaving
 * like any table's (changelog restore, describe). */
#include "helpers.h"

TestSuite(cdc_json_table, .timeout = 20);

#define SRC "\"source\":{\"db\":\"shop\",\"table\":\"users\"}"

/* An envelope: before and after are JSON text or "null". */
static const char *ev(char *buf, size_t size, const char *op,
                      const char *before, const char *after)
{
    snprintf(buf, size,
             "{\"before\":%s,\"after\":%s," SRC ",\"op\":\"%s\","
             "\"ts_ms\":1700000000123}",
             before, after, op);
    return buf;
}

/* db.users -> table "users" -> users-out (its updates). */
static kstream_test_driver_t *table_driver(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_cdc_table(
            b, "db.users", kstream_cdc_format_json(), "users");
    cr_assert(t != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "users-out", NULL);
    return c_driver(b, NULL);
}

#define K1 "{\"id\":1}"
#define K2 "{\"id\":2}"
#define ANN "{\"id\":1,\"name\":\"Ann\",\"total\":19.99}"
#define ANN2 "{\"id\":1,\"name\":\"Ann B\",\"total\":25.5}"
#define BOB "{\"id\":2,\"name\":\"Bob\",\"total\":3}"

Test(cdc_json_table, create_inserts_after_under_the_key)
{
    kstream_test_driver_t *drv = table_driver();
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "c", "null", ANN), 10);
    c_expect(drv, "users-out", K1, ANN);
    c_expect_empty(drv, "users-out");
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, snapshot_reads_update_and_delete_in_order)
{
    kstream_test_driver_t *drv = table_driver();
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "r", "null", ANN), 1);
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "r", "null", BOB), 2);
    c_expect_table(drv, "users", K1 "=" ANN "\n" K2 "=" BOB "\n");
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "u", ANN, ANN2), 3);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n" K2 "=" BOB "\n");
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "d", BOB, "null"), 4);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n");
    c_expect(drv, "users-out", K1, ANN);
    c_expect(drv, "users-out", K2, BOB);
    c_expect(drv, "users-out", K1, ANN2);
    c_expect(drv, "users-out", K2, NULL);
    c_expect_empty(drv, "users-out");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, an_update_without_before_still_upserts)
{
    /* Postgres without REPLICA IDENTITY FULL sends before null. */
    kstream_test_driver_t *drv = table_driver();
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "u", "null", ANN2), 1);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, tombstones_remove_the_key)
{
    kstream_test_driver_t *drv = table_driver();
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "c", "null", ANN), 1);
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "c", "null", BOB), 2);
    /* Debezium's delete, then its tombstone for compaction. */
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "d", ANN, "null"), 3);
    c_pipe_ok(drv, "db.users", K1, NULL, 3);
    /* A tombstone alone removes a key too. */
    c_pipe_ok(drv, "db.users", K2, NULL, 4);
    c_expect_table(drv, "users", "");
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_test_driver_store_get(drv, "users", K1,
                                                    strlen(K1), &v),
                 KSTREAM_ERR_NOT_FOUND));
    c_expect(drv, "users-out", K1, ANN);
    c_expect(drv, "users-out", K2, BOB);
    c_expect(drv, "users-out", K1, NULL); /* the delete */
    c_expect(drv, "users-out", K1, NULL); /* its tombstone: a table
                                             forwards every update */
    c_expect(drv, "users-out", K2, NULL);
    c_expect_empty(drv, "users-out");
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 0));
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, the_schema_payload_wrapper_is_unwrapped)
{
    kstream_test_driver_t *drv = table_driver();
    const char *wrapped =
            "{\"schema\":{\"type\":\"struct\",\"fields\":[],\"optional\":"
            "false,\"name\":\"shop.users.Envelope\"},\"payload\":{\"before\":"
            "null,\"after\":" ANN "," SRC ",\"op\":\"c\",\"ts_ms\":5}}";
    c_pipe_ok(drv, "db.users", K1, wrapped, 1);
    const char *wrapped_update =
            "{\"schema\":null,\"payload\":{\"before\":" ANN ",\"after\":" ANN2
            ",\"op\":\"u\"}}";
    c_pipe_ok(drv, "db.users", K1, wrapped_update, 2);
    c_pipe_ok(drv, "db.users", K2,
              "{\"schema\":{},\"payload\":{\"after\":" BOB ",\"op\":\"r\"}}",
              3);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n" K2 "=" BOB "\n");
    /* A wrapped null payload is a tombstone (JsonConverter's null). */
    c_pipe_ok(drv, "db.users", K2, "{\"schema\":null,\"payload\":null}", 4);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n");
    c_expect(drv, "users-out", K1, ANN);
    c_expect(drv, "users-out", K1, ANN2);
    c_expect(drv, "users-out", K2, BOB);
    c_expect(drv, "users-out", K2, NULL);
    c_expect_empty(drv, "users-out");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, after_is_rewritten_compactly)
{
    kstream_test_driver_t *drv = table_driver();
    c_pipe_ok(drv, "db.users", K1,
              " { \"op\" : \"c\" , \"after\" : { \"id\" : 1 ,\n \"tags\" : "
              "[ \"a\" , \"b\" ] , \"price\" : 1.50 } } ",
              1);
    c_expect_table(drv, "users",
                   K1 "={\"id\":1,\"tags\":[\"a\",\"b\"],\"price\":1.5}\n");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, keys_are_kept_as_they_are)
{
    kstream_test_driver_t *drv = table_driver();
    const char *wrapped_key = "{\"schema\":{\"type\":\"struct\"},\"payload\":"
                              "{\"id\":1}}";
    c_pipe_ok(drv, "db.users", wrapped_key,
              "{\"op\":\"c\",\"after\":{\"id\":1}}", 1);
    c_pipe_ok(drv, "db.users", "plain-key", "{\"op\":\"c\",\"after\":{}}", 2);
    c_expect(drv, "users-out", wrapped_key, "{\"id\":1}");
    c_expect(drv, "users-out", "plain-key", "{}");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, the_table_is_restored_from_its_changelog)
{
    kstream_test_driver_t *drv = table_driver();
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "c", "null", ANN), 1);
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "c", "null", BOB), 2);
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "d", BOB, "null"), 3);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_restart(drv, true), KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    cr_assert(lt(i64, 0, c_metric(drv, "records-restored")));
    /* Processing goes on from the committed offset. */
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "c", "null", BOB), 4);
    c_expect_table(drv, "users", K1 "=" ANN "\n" K2 "=" BOB "\n");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, with_the_cache_on_the_final_values_are_the_same)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_cdc_table(
            b, "db.users", kstream_cdc_format_json(), "users");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "users-out", NULL);
    kstream_test_driver_t *drv = c_driver(b, "cache.max.bytes.buffering",
                                          "1048576", NULL);
    char e[512];
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "c", "null", ANN), 1);
    c_pipe_ok(drv, "db.users", K1, ev(e, sizeof(e), "u", ANN, ANN2), 2);
    c_pipe_ok(drv, "db.users", K2, ev(e, sizeof(e), "c", "null", BOB), 3);
    c_expect_table(drv, "users", K1 "=" ANN2 "\n" K2 "=" BOB "\n");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    /* One update per key reached downstream: the cache absorbed ANN. */
    c_expect(drv, "users-out", K1, ANN2);
    c_expect(drv, "users-out", K2, BOB);
    c_expect_empty(drv, "users-out");
    kstream_test_driver_destroy(drv);
}

Test(cdc_json_table, describe_shows_source_decoding_step_and_store)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_builder_cdc_table(b, "db.users", kstream_cdc_format_json(),
                              "users");
    char err[256];
    kstream_topology_t *t = kstream_builder_build(b, err, sizeof(err));
    cr_assert(t != NULL, "%s", err);
    char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(d != NULL);
    cr_assert(strstr(d, "users-source") != NULL, "%s", d);
    cr_assert(strstr(d, "db.users") != NULL, "%s", d);
    cr_assert(strstr(d, "users-cdc-decode") != NULL, "%s", d);
    cr_assert(strstr(d, "stores: [users]") != NULL, "%s", d);
    cr_assert(strstr(d, "repartition") == NULL, "%s", d);
    kstream_free(d);
    kstream_topology_destroy(t);
}

Test(cdc_json_table, bad_arguments_are_builder_errors)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_builder_cdc_table(b, "db.users", NULL, "users") == NULL);
    cr_assert(strstr(kstream_builder_error(b), "format") != NULL);
    kstream_builder_destroy(b);

    b = kstream_builder_new();
    cr_assert(kstream_builder_cdc_table(b, "db.users",
                                        kstream_cdc_format_json(),
                                        NULL) == NULL);
    char err[256] = "";
    cr_assert(kstream_builder_build(b, err, sizeof(err)) == NULL);
    cr_assert(strstr(err, "name") != NULL, "%s", err);

    b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "db.users", NULL);
    cr_assert(kstream_stream_cdc_table(s, kstream_cdc_format_json(),
                                       "bad name!") == NULL);
    cr_assert(kstream_stream_cdc_changes(s, NULL, NULL) == NULL);
    kstream_builder_destroy(b);

    cr_assert(kstream_builder_cdc_table(NULL, "t", kstream_cdc_format_json(),
                                        "x") == NULL);
    cr_assert(kstream_stream_cdc_table(NULL, kstream_cdc_format_json(),
                                       "x") == NULL);
    cr_assert(kstream_stream_cdc_changes(NULL, kstream_cdc_format_json(),
                                         NULL) == NULL);
}

Test(cdc_json_table, the_json_format_is_static)
{
    const kstream_cdc_format_t *f = kstream_cdc_format_json();
    cr_assert(f == kstream_cdc_format_json());
    cr_assert(eq(str, (char *)kstream_cdc_format_name(f), "json"));
    kstream_cdc_format_destroy((kstream_cdc_format_t *)f); /* no-op */
    kstream_cdc_format_destroy(NULL);
    cr_assert(kstream_cdc_format_name(NULL) == NULL);
    cr_assert(eq(str, (char *)kstream_cdc_format_name(f), "json"));
}
