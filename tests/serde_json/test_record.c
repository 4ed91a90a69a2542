/* test_record.c - the JSON helpers inside callbacks, through the test
 * driver: parse a record's value and key, read fields by path, build the
 * output with the serde; a bad value fails the record with a serde error
 * that the processing handler sees. */
#include "helpers.h"

TestSuite(json_record, .timeout = 10);

/* value {"after":{"total":12.5,"qty":2}} -> {"key":<key>,"cents":1250,
 * "qty":2}; the key is JSON too ({"id":N}). */
static kstream_err_t enrich(const kstream_record_t *in, kstream_record_t *out,
                            void *opaque)
{
    (void)opaque;
    char err[256];
    kstream_json_t *v = NULL, *k = NULL, *res = NULL;
    kstream_err_t rc = kstream_json_record_value(in, &v, err, sizeof(err));
    if (rc || !v)
        return rc ? rc : KSTREAM_ERR_USER;
    rc = kstream_json_record_key(in, &k, err, sizeof(err));
    double total;
    int64_t qty, id;
    if (!rc)
        rc = kstream_json_get_double(v, "after.total", &total, err,
                                     sizeof(err));
    if (!rc)
        rc = kstream_json_get_int64(v, "after.qty", &qty, err, sizeof(err));
    if (!rc)
        rc = kstream_json_get_int64(k, "id", &id, err, sizeof(err));
    if (!rc && !(res = kstream_json_new_object()))
        rc = KSTREAM_ERR_NO_MEMORY;
    if (!rc)
        rc = kstream_json_set_int64(res, "key", id, err, sizeof(err));
    if (!rc)
        rc = kstream_json_set_int64(res, "cents", (int64_t)(total * 100),
                                    err, sizeof(err));
    if (!rc)
        rc = kstream_json_set_int64(res, "qty", qty, err, sizeof(err));
    if (!rc)
        rc = kstream_record_set_value_serde(out, kstream_serde_json(), res);
    kstream_json_destroy(res);
    kstream_json_destroy(k);
    kstream_json_destroy(v);
    return rc;
}

static kstream_test_driver_t *driver(const char *handler)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_map_values(s, enrich, NULL, NULL, "enrich");
    kstream_stream_to(s, "out", NULL);
    char err[512];
    kstream_topology_t *t = kstream_builder_build(b, err, sizeof(err));
    cr_assert(t != NULL, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(eq(int, kstream_conf_set(conf, "processing.exception.handler",
                                       handler, err, sizeof(err)),
                 KSTREAM_CONF_OK));
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, err,
                                                         sizeof(err));
    cr_assert(drv != NULL, "%s", err);
    return drv;
}

static kstream_err_t pipe_rec(kstream_test_driver_t *drv, const char *key,
                          const char *value)
{
    return kstream_test_driver_pipe(drv, "orders", key, strlen(key), value,
                                    value ? strlen(value) : 0, 1000);
}

static void expect_out(kstream_test_driver_t *drv, const char *want)
{
    const kstream_record_t *rec = NULL;
    cr_assert(eq(int, kstream_test_driver_read(drv, "out", &rec), KSTREAM_OK));
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(eq(sz, v.len, strlen(want)), "got %.*s", (int)v.len,
              (const char *)v.data);
    cr_assert(memcmp(v.data, want, v.len) == 0, "got %.*s", (int)v.len,
              (const char *)v.data);
}

Test(json_record, callbacks_read_paths_and_write_json)
{
    kstream_test_driver_t *drv = driver("fail");
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":7}",
                           "{\"after\":{\"total\":12.5,\"qty\":2}}"),
                 KSTREAM_OK), "%s", kstream_test_driver_last_error(drv));
    expect_out(drv, "{\"key\":7,\"cents\":1250,\"qty\":2}");
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    kstream_test_driver_destroy(drv);
}

Test(json_record, bad_values_fail_the_record_through_the_handler)
{
    kstream_test_driver_t *drv = driver("continue");
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":1}", "{\"after\":{\"total\":\"x\","
                                              "\"qty\":1}}"),
                 KSTREAM_OK));
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":2}", "{\"after\":"), KSTREAM_OK));
    cr_assert(eq(int, pipe_rec(drv, "not json", "{\"after\":{\"total\":1,"
                                            "\"qty\":1}}"),
                 KSTREAM_OK));
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":3}", "{\"after\":{\"total\":1,"
                                              "\"qty\":1}}"),
                 KSTREAM_OK));
    expect_out(drv, "{\"key\":3,\"cents\":100,\"qty\":1}");
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    int64_t errors = 0, dropped = 0;
    kstream_test_driver_metric(drv, "process-errors", &errors);
    kstream_test_driver_metric(drv, "records-dropped", &dropped);
    cr_assert(eq(i64, errors, 3));
    cr_assert(eq(i64, dropped, 3));
    kstream_test_driver_destroy(drv);

    drv = driver("fail");
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":2}", "[1,"), KSTREAM_ERR_SERDE));
    cr_assert(strstr(kstream_test_driver_last_error(drv), "enrich") != NULL);
    kstream_test_driver_destroy(drv);
}

Test(json_record, a_tombstone_parses_to_null)
{
    kstream_test_driver_t *drv = driver("continue");
    /* enrich() treats a NULL value as a user error: counted, not crashed. */
    cr_assert(eq(int, pipe_rec(drv, "{\"id\":1}", NULL), KSTREAM_OK));
    int64_t errors = 0;
    kstream_test_driver_metric(drv, "process-errors", &errors);
    cr_assert(eq(i64, errors, 1));
    kstream_test_driver_destroy(drv);
}
