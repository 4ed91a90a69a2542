/* test_changes.c - the change stream view (kstream_stream_cdc_changes):
 * normalized changes that keep op, before, after, ts_ms and source,
 * beside a CDC table of the same topic; and kstream_cdc_decode() outside
 * a topology. */
#include "helpers.h"

TestSuite(cdc_changes, .timeout = 20);

#define K1 "{\"id\":1}"
#define ANN "{\"id\":1,\"name\":\"Ann\"}"
#define ANN2 "{\"id\":1,\"name\":\"Ann B\"}"
#define SRC "{\"db\":\"shop\",\"table\":\"users\",\"lsn\":42}"

/* db.users -> table "users" and changes -> changes-out (one source). */
static kstream_test_driver_t *both_driver(const char *handler)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "db.users", "src");
    const kstream_cdc_format_t *json = kstream_cdc_format_json();
    cr_assert(kstream_stream_cdc_table(s, json, "users") != NULL);
    kstream_stream_t *c = kstream_stream_cdc_changes(s, json, "changes");
    cr_assert(c != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(c, "changes-out", NULL);
    return c_driver(b, "processing.exception.handler", handler, NULL);
}

Test(cdc_changes, each_event_becomes_a_normalized_change)
{
    kstream_test_driver_t *drv = both_driver("fail");
    c_pipe_ok(drv, "db.users", K1,
              "{\"before\":null,\"after\":" ANN ",\"source\":" SRC
              ",\"op\":\"c\",\"ts_ms\":1700000000001,\"transaction\":null}",
              10);
    c_pipe_ok(drv, "db.users", K1,
              "{\"schema\":{},\"payload\":{\"before\":" ANN ",\"after\":" ANN2
              ",\"source\":" SRC ",\"op\":\"u\",\"ts_ms\":1700000000002}}",
              11);
    c_pipe_ok(drv, "db.users", K1,
              "{\"op\":\"d\",\"before\":" ANN2 ",\"after\":null}", 12);
    c_pipe_ok(drv, "db.users", K1, NULL, 12);

    const kstream_record_t *rec = c_expect(
            drv, "changes-out", K1,
            "{\"op\":\"c\",\"before\":null,\"after\":" ANN
            ",\"ts_ms\":1700000000001,\"source\":" SRC "}");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 10));
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"u\",\"before\":" ANN ",\"after\":" ANN2
             ",\"ts_ms\":1700000000002,\"source\":" SRC "}");
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"d\",\"before\":" ANN2
             ",\"after\":null,\"ts_ms\":null,\"source\":null}");
    /* Tombstones stay tombstones. */
    c_expect(drv, "changes-out", K1, NULL);
    c_expect_empty(drv, "changes-out");
    c_expect_table(drv, "users", "");
    kstream_test_driver_destroy(drv);
}

Test(cdc_changes, snapshot_reads_keep_their_op)
{
    kstream_test_driver_t *drv = both_driver("fail");
    c_pipe_ok(drv, "db.users", K1, "{\"op\":\"r\",\"after\":" ANN "}", 1);
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"r\",\"before\":null,\"after\":" ANN
             ",\"ts_ms\":null,\"source\":null}");
    c_expect_table(drv, "users", K1 "=" ANN "\n");
    kstream_test_driver_destroy(drv);
}

Test(cdc_changes, headers_and_timestamps_are_kept)
{
    kstream_test_driver_t *drv = both_driver("fail");
    kstream_header_t h = {"trace", "abc", 3};
    const char *e = "{\"op\":\"c\",\"after\":{}}";
    cr_assert(eq(int, kstream_test_driver_pipe_ex(drv, "db.users", -1, "k", 1,
                                                  e, strlen(e), 77, &h, 1),
                 KSTREAM_OK));
    const kstream_record_t *rec = c_expect(
            drv, "changes-out", "k",
            "{\"op\":\"c\",\"before\":null,\"after\":{},\"ts_ms\":null,"
            "\"source\":null}");
    char buf[16];
    cr_assert(eq(str, (char *)c_header(rec, "trace", buf, sizeof(buf)),
                 "abc"));
    cr_assert(eq(i64, kstream_record_timestamp(rec), 77));
    kstream_test_driver_destroy(drv);
}

Test(cdc_changes, a_bad_event_is_counted_once_under_continue)
{
    /* The table's decoding step fails first, which ends the record: one
     * error, and neither the table nor the stream gets anything. */
    kstream_test_driver_t *drv = both_driver("continue");
    c_pipe_ok(drv, "db.users", K1, "{\"after\":{}}", 1);
    c_expect_empty(drv, "changes-out");
    c_expect_table(drv, "users", "");
    cr_assert(eq(i64, c_metric(drv, "process-errors"), 1));
    c_pipe_ok(drv, "db.users", K1, "{\"op\":\"c\",\"after\":{}}", 2);
    c_expect(drv, "changes-out", K1,
             "{\"op\":\"c\",\"before\":null,\"after\":{},\"ts_ms\":null,"
             "\"source\":null}");
    c_expect_table(drv, "users", K1 "={}\n");
    kstream_test_driver_destroy(drv);
}

/* ---- kstream_cdc_decode ----------------------------------------------------- */

static char *dump(const kstream_json_t *v)
{
    kstream_buf_t *buf = kstream_buf_new();
    cr_assert(eq(int, kstream_json_dump(v, buf), KSTREAM_OK));
    kstream_bytes_t b = kstream_buf_bytes(buf);
    char *s = strndup(b.data, b.len);
    kstream_buf_destroy(buf);
    return s;
}

Test(cdc_changes, decode_gives_the_normalized_change)
{
    const char *e = "{\"schema\":{},\"payload\":{\"before\":null,\"after\":"
                    ANN ",\"op\":\"c\",\"ts_ms\":3,\"source\":" SRC "}}";
    kstream_json_t *ch = NULL;
    char err[256] = "";
    cr_assert(eq(int, kstream_cdc_decode(kstream_cdc_format_json(), e,
                                         strlen(e), &ch, err, sizeof(err)),
                 KSTREAM_OK), "%s", err);
    char *s = dump(ch);
    cr_assert(eq(str, s, "{\"op\":\"c\",\"before\":null,\"after\":" ANN
                         ",\"ts_ms\":3,\"source\":" SRC "}"));
    free(s);
    const char *name = NULL;
    cr_assert(eq(int, kstream_json_get_string(ch, "after.name", &name, NULL,
                                              NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(str, (char *)name, "Ann"));
    kstream_json_destroy(ch);
}

Test(cdc_changes, decode_of_a_tombstone_is_null_and_errors_have_messages)
{
    kstream_json_t *ch = (kstream_json_t *)0x1;
    char err[256] = "";
    const kstream_cdc_format_t *json = kstream_cdc_format_json();
    cr_assert(eq(int, kstream_cdc_decode(json, NULL, 0, &ch, err, sizeof(err)),
                 KSTREAM_OK));
    cr_assert(ch == NULL);
    /* A wrapped null payload is a tombstone too (and frees what it
     * parsed: found by fuzz_cdc as a leak). */
    const char *wrapped_null = "{\"schema\":null,\"payload\":null}";
    ch = (kstream_json_t *)0x1;
    cr_assert(eq(int, kstream_cdc_decode(json, wrapped_null,
                                         strlen(wrapped_null), &ch, err,
                                         sizeof(err)),
                 KSTREAM_OK));
    cr_assert(ch == NULL);
    cr_assert(eq(int, kstream_cdc_decode(json, "{\"op\":\"z\"}", 10, &ch, err,
                                         sizeof(err)),
                 KSTREAM_ERR_SERDE));
    cr_assert(ch == NULL);
    cr_assert(strstr(err, "unknown op \"z\"") != NULL, "%s", err);
    cr_assert(eq(int, kstream_cdc_decode(NULL, "{}", 2, &ch, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_cdc_decode(json, "{}", 2, NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_cdc_decode(json, NULL, 5, &ch, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
}
