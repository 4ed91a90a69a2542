/* test_dedup_impl.c - focused tests of kstream_stream_deduplicate()
 * (lib/dsl/suppress.c, lib/processor/dedup.c) through the test driver:
 * duplicates within the window in either direction of time, the refresh
 * of a repeated id, NULL ids, ids that are prefixes of others, the
 * duplicates-dropped metric, purging of old ids, both cache settings and
 * both store backends, and argument checks. */
#include "helpers.h"

TestSuite(dedup_impl, .timeout = 60);

/* The id is the value up to ':' ("id:payload"); values starting with '-'
 * have no id (NULL). */
static kstream_err_t id_of(const kstream_record_t *rec, kstream_bytes_t *id,
                           void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (!v.data || (v.len && ((const char *)v.data)[0] == '-')) {
        id->data = NULL;
        id->len = 0;
        return KSTREAM_OK;
    }
    const char *colon = memchr(v.data, ':', v.len);
    id->data = v.data;
    id->len = colon ? (size_t)(colon - (const char *)v.data) : v.len;
    return KSTREAM_OK;
}

static kstream_err_t id_fails(const kstream_record_t *rec,
                              kstream_bytes_t *id, void *opaque)
{
    (void)rec;
    (void)id;
    (void)opaque;
    return KSTREAM_ERR_USER;
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

/* in -> deduplicate(window, "dd") -> out */
static kstream_builder_t *topo(int64_t window)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    kstream_stream_t *d = kstream_stream_deduplicate(s, id_of, NULL, NULL,
                                                     window, "dd");
    cr_assert(d != NULL, "%s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(d, "out", "sink"), KSTREAM_OK));
    return b;
}

/* Configurations: bit 0 in_memory (else rocksdb), bit 1 cache on. */
#define NCFG 4
static kstream_test_driver_t *drv_cfg(kstream_builder_t *b, int cfg)
{
    return h_driver(b, "default.dsl.store", cfg & 1 ? "in_memory" : "rocksdb",
                    "cache.max.bytes.buffering", cfg & 2 ? "10485760" : "0",
                    NULL);
}

static void pipe_v(kstream_test_driver_t *drv, const char *value, int64_t ts)
{
    h_pipe_ok(drv, "in", "k", value, ts);
}

/* Every unread output value of "out" as "value/ts", space-separated. */
static const char *drain(kstream_test_driver_t *drv, char *buf, size_t size)
{
    const kstream_record_t *rec;
    buf[0] = '\0';
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        kstream_bytes_t v = kstream_record_value(rec);
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%.*s/%lld", used ? " " : "",
                 (int)v.len, v.data ? (const char *)v.data : "",
                 (long long)kstream_record_timestamp(rec));
    }
    return buf;
}

static void expect_out(kstream_test_driver_t *drv, const char *expected)
{
    char buf[4096];
    cr_assert(eq(str, (char *)drain(drv, buf, sizeof(buf)),
                 (char *)expected));
}

Test(dedup_impl, drops_an_id_seen_within_the_window_in_every_configuration)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(topo(10), cfg);
        pipe_v(drv, "a:1", 100);
        pipe_v(drv, "b:1", 100);
        pipe_v(drv, "a:2", 110); /* 10 after: a duplicate */
        pipe_v(drv, "b:2", 89);  /* 11 before: not one */
        pipe_v(drv, "c:1", 120);
        pipe_v(drv, "c:2", 115); /* 5 before (out of order): a duplicate */
        expect_out(drv, "a:1/100 b:1/100 b:2/89 c:1/120");
        cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 2),
                  "configuration %d", cfg);
        cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
        kstream_test_driver_destroy(drv);
    }
}

Test(dedup_impl, a_repeated_id_stays_alive)
{
    kstream_test_driver_t *drv = drv_cfg(topo(10), 1);
    pipe_v(drv, "a:1", 0);
    pipe_v(drv, "a:2", 8);  /* dropped, remembered at 8 */
    pipe_v(drv, "a:3", 17); /* 9 after 8: dropped */
    pipe_v(drv, "a:4", 28); /* 11 after 17: passes */
    expect_out(drv, "a:1/0 a:4/28");
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(dedup_impl, null_ids_keep_the_record)
{
    kstream_test_driver_t *drv = drv_cfg(topo(10), 1);
    pipe_v(drv, "-x", 0);
    pipe_v(drv, "-x", 1);
    h_pipe_ok(drv, "in", "k", NULL, 2); /* tombstone: no id either */
    expect_out(drv, "-x/0 -x/1 /2");
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(dedup_impl, ids_that_share_bytes_are_different_ids)
{
    kstream_test_driver_t *drv = drv_cfg(topo(100), 0);
    /* "a" + time bytes and "ab" + time bytes sort together in the store. */
    pipe_v(drv, "a:1", 10);
    pipe_v(drv, "ab:1", 10);
    pipe_v(drv, "a\001:1", 10);
    pipe_v(drv, ":1", 10); /* the empty id */
    pipe_v(drv, ":2", 11);
    pipe_v(drv, "ab:2", 12);
    expect_out(drv, "a:1/10 ab:1/10 a\001:1/10 :1/10");
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

static int store_entries(kstream_test_driver_t *drv)
{
    kstream_store_t *st = kstream_test_driver_store(drv, "dd", 0);
    cr_assert(st != NULL);
    kstream_iter_t *it = NULL;
    cr_assert(eq(int, kstream_window_store_fetch_all(st, 0, INT64_MAX, &it),
                 KSTREAM_OK));
    int n = 0;
    kstream_bytes_t k, v;
    while (kstream_iter_next(it, &k, &v) == KSTREAM_OK)
        n++;
    kstream_iter_close(it);
    return n;
}

Test(dedup_impl, old_ids_are_purged_as_stream_time_passes)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(topo(10), cfg);
        pipe_v(drv, "a:1", 0);
        pipe_v(drv, "b:1", 5);
        cr_assert(eq(int, store_entries(drv), 2));
        /* Kept 2 * window + 1 ms; dropped with their whole segment. */
        pipe_v(drv, "c:1", 1000000);
        cr_assert(eq(int, store_entries(drv), 1), "configuration %d", cfg);
        /* A late record of an expired id passes. */
        pipe_v(drv, "a:2", 3);
        expect_out(drv, "a:1/0 b:1/5 c:1/1000000 a:2/3");
        kstream_test_driver_destroy(drv);
    }
}

Test(dedup_impl, the_seen_ids_have_a_changelog)
{
    kstream_test_driver_t *drv = h_driver(topo(10), "application.id", "app",
                                          NULL);
    pipe_v(drv, "a:1", 0);
    pipe_v(drv, "a:2", 1);
    cr_assert(eq(int, h_drain(drv, "app-dd-changelog"), 2));
    kstream_test_driver_destroy(drv);
}

Test(dedup_impl, an_extractor_failure_is_a_processing_error)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    kstream_stream_t *d = kstream_stream_deduplicate(s, id_fails, NULL, NULL,
                                                     10, "dd");
    cr_assert(eq(int, kstream_stream_to(d, "out", "sink"), KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(
            b, "processing.exception.handler", "continue", NULL);
    pipe_v(drv, "a:1", 0);
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    expect_out(drv, "");
    kstream_test_driver_destroy(drv);
}

Test(dedup_impl, bad_arguments_are_builder_errors_and_free_the_opaque)
{
    static const struct {
        bool null_fn;
        int64_t window;
        const char *name;
        const char *needle;
    } cases[] = {
            {true, 10, "dd", "extractor"},
            {false, 0, "dd", "window"},
            {false, -5, "dd", "window"},
            {false, INT64_MAX, "dd", "window"},
            {false, 10, NULL, "name"},
            {false, 10, "bad name", "name"},
            {false, 10, "taken", "exists"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        freed = 0;
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
        if (strcmp(cases[i].needle, "exists") == 0)
            cr_assert(kstream_builder_add_store(
                              b, "taken", KSTREAM_STORE_KEY_VALUE,
                              KSTREAM_STORE_DEFAULT, 0, 0, 0) == KSTREAM_OK);
        kstream_stream_t *d = kstream_stream_deduplicate(
                s, cases[i].null_fn ? NULL : id_of, &freed, count_free,
                cases[i].window, cases[i].name);
        cr_assert(d == NULL, "case %zu", i);
        const char *e = kstream_builder_error(b);
        cr_assert(e != NULL && h_contains(e, cases[i].needle),
                  "case %zu: '%s'", i, e ? e : "(none)");
        kstream_builder_destroy(b);
        cr_assert(eq(int, freed, 1), "case %zu: opaque not freed once", i);
    }
    freed = 0;
    cr_assert(kstream_stream_deduplicate(NULL, id_of, &freed, count_free, 10,
                                         "dd") == NULL);
    cr_assert(eq(int, freed, 1));
}

Test(dedup_impl, the_opaque_is_freed_with_the_topology)
{
    freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    cr_assert(kstream_stream_deduplicate(s, id_of, &freed, count_free, 10,
                                         "dd") != NULL);
    kstream_builder_destroy(b);
    cr_assert(eq(int, freed, 1));
}
