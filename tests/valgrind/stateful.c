/* stateful.c - a stateful test-driver run for the valgrind check (make
 * test-valgrind): count, reduce over a re-keyed stream, a table, a
 * table aggregation, a tumbling window count with suppression, session
 * windows, deduplication, a stream-table and a stream-stream join, on both
 * store backends, cache on and off.
 * Exits non-zero when an expected count is wrong. */
#include <stdio.h>
#include <string.h>

#include <kstream.h>

static kstream_err_t first_char(const kstream_record_t *in,
                                kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len ? 1 : 0);
}

static kstream_err_t concat(const kstream_record_t *rec, kstream_bytes_t agg,
                           kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (kstream_buf_append(out, agg.data, agg.len) ||
        kstream_buf_append(out, v.data, v.len))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

static kstream_err_t by_value(const kstream_record_t *in,
                              kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len);
}

static kstream_err_t id_of(const kstream_record_t *rec, kstream_bytes_t *id,
                           void *opaque)
{
    (void)opaque;
    *id = kstream_record_value(rec);
    return KSTREAM_OK;
}

static kstream_err_t join_values(const kstream_record_t *left,
                                 const kstream_record_t *right,
                                 kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t l = kstream_record_value(left);
    kstream_bytes_t r = kstream_record_value(right);
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.*s/%.*s", (int)l.len,
                     l.data ? (const char *)l.data : "", (int)r.len,
                     r.data ? (const char *)r.data : "");
    return kstream_record_set_value(out, buf, (size_t)n);
}

static int run(const char *backend, const char *cache)
{
    char err[512];
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *c = kstream_grouped_count(kstream_stream_group_by_key(s),
                                               "counts");
    kstream_stream_to(kstream_table_to_stream(c, NULL), "counts-out", NULL);
    kstream_table_t *r = kstream_grouped_reduce(
            kstream_stream_group_by(s, first_char, NULL, NULL, "by-first"),
            concat, NULL, NULL, "concat");
    kstream_stream_to(kstream_table_to_stream(r, NULL), "concat-out", NULL);
    kstream_table_t *t = kstream_builder_table(b, "tab", "tab");
    kstream_table_t *tc = kstream_grouped_table_count(
            kstream_table_group_by(t, by_value, NULL, NULL, "tab-by-value"),
            "tab-counts");
    kstream_stream_to(kstream_table_to_stream(tc, NULL), "tab-out", NULL);
    kstream_table_t *w = kstream_windowed_count(
            kstream_grouped_windowed_by(kstream_stream_group_by_key(s),
                                        kstream_windows_tumbling(10, 5)),
            "win");
    kstream_stream_to(kstream_table_to_stream(
                              kstream_table_suppress_until_window_closes(
                                      w, 0, 0, KSTREAM_BUFFER_EMIT_EARLY,
                                      "win-final"),
                              NULL),
                      "win-out", NULL);
    kstream_table_t *ss = kstream_windowed_count(
            kstream_grouped_windowed_by(kstream_stream_group_by_key(s),
                                        kstream_windows_session(5, 0)),
            "sessions");
    kstream_stream_to(kstream_table_to_stream(ss, NULL), "sessions-out", NULL);
    kstream_stream_to(kstream_stream_deduplicate(s, id_of, NULL, NULL, 100,
                                                 "dedup"),
                      "dedup-out", NULL);
    kstream_stream_to(kstream_stream_join_table(s, t, KSTREAM_JOIN_LEFT,
                                                join_values, NULL, NULL,
                                                "st-join"),
                      "st-out", NULL);
    kstream_stream_t *other = kstream_builder_stream(b, "other", NULL);
    kstream_stream_to(kstream_stream_join_stream(
                              s, other, kstream_join_windows(5, 2),
                              KSTREAM_JOIN_OUTER, join_values, NULL, NULL,
                              "ss-join"),
                      "ss-out", NULL);
    kstream_topology_t *top = kstream_builder_build(b, err, sizeof(err));
    if (!top) {
        fprintf(stderr, "build: %s\n", err);
        return 1;
    }
    kstream_conf_t *conf = kstream_conf_new();
    kstream_conf_set(conf, "default.dsl.store", backend, err, sizeof(err));
    kstream_conf_set(conf, "cache.max.bytes.buffering", cache, err,
                     sizeof(err));
    kstream_test_driver_t *drv = kstream_test_driver_new(top, conf, err,
                                                         sizeof(err));
    if (!drv) {
        fprintf(stderr, "driver: %s\n", err);
        return 1;
    }
    const char *keys = "abacabdaab";
    for (int i = 0; keys[i]; i++) {
        char v[2] = {keys[i], 0};
        if (kstream_test_driver_pipe(drv, "in", v, 1, v, 1, i * 3) ||
            kstream_test_driver_pipe(drv, "tab", v, 1, i % 2 ? "x" : "y", 1,
                                     i * 3) ||
            kstream_test_driver_pipe(drv, "other", v, 1, "o", 1, i * 3 + 1)) {
            fprintf(stderr, "pipe: %s\n",
                    kstream_test_driver_last_error(drv));
            kstream_test_driver_destroy(drv);
            return 1;
        }
    }
    kstream_test_driver_commit(drv);
    kstream_bytes_t v;
    int64_t n = -1;
    int rc = 0;
    if (kstream_test_driver_store_get(drv, "counts", "a", 1, &v) ||
        kstream_serde_deserialize(kstream_serde_int64(), v.data, v.len, &n) ||
        n != 5) {
        fprintf(stderr, "%s/%s: count of a is %lld, want 5\n", backend, cache,
                (long long)n);
        rc = 1;
    }
    kstream_test_driver_destroy(drv);
    return rc;
}

int main(void)
{
    int rc = 0;
    rc |= run("in_memory", "0");
    rc |= run("in_memory", "10485760");
    rc |= run("rocksdb", "0");
    rc |= run("rocksdb", "10485760");
    if (!rc)
        puts("stateful valgrind run: ok");
    return rc;
}
