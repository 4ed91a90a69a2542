/* test_restore.c - restoring stores from their changelogs across
 * kstream_test_driver_restart(): checkpoints (a clean restart of a RocksDB
 * store restores nothing, a crash only the tail after the checkpoint, a
 * corrupt checkpoint everything), in-memory stores (always everything), a
 * wiped state directory, window stores, tables with tombstones, the
 * restore listener's offsets, no processing while restoring, and global
 * tables rebuilt before processing.
 *
 * A crash is a processing failure ("processing.exception.handler" fail):
 * the driver then closes the instance without a commit or checkpoint, as
 * a killed process would leave it. The failing record is one whose value
 * is "boom" while g_fail is set; it is processed again after the
 * restart (at-least-once). */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers_join.h"
#include "helpers_state.h"

TestSuite(restore, .timeout = 60);

/* ---- what the restore listener and the processors saw ------------------ */
typedef struct seen {
    int starts, batches, ends;
    int64_t start_off, end_off;  /* of the last on_start */
    int64_t batch_offs[16];      /* offsets given to on_batch, in order */
    uint64_t batch_counts[16];
    uint64_t total;              /* of the last on_end */
    uint64_t batched;            /* sum of on_batch counts */
    char changelog[128];
    int32_t partition;
    int processed;          /* records past the "sw" node */
    int processed_at_end;   /* g.processed at the last on_end, -1: none */
} seen_t;

static seen_t g;
static bool g_fail;

static void on_start(const char *store, const char *changelog,
                     int32_t partition, int64_t start, int64_t end,
                     void *opaque)
{
    (void)store;
    cr_assert(opaque == &g);
    g.starts++;
    g.start_off = start;
    g.end_off = end;
    snprintf(g.changelog, sizeof(g.changelog), "%s", changelog);
    g.partition = partition;
}

static void on_batch(const char *store, const char *changelog,
                     int32_t partition, int64_t offset, uint64_t n,
                     void *opaque)
{
    (void)store;
    (void)changelog;
    (void)partition;
    (void)opaque;
    if (g.batches < 16) {
        g.batch_offs[g.batches] = offset;
        g.batch_counts[g.batches] = n;
    }
    g.batches++;
    g.batched += n;
}

static void on_end(const char *store, const char *changelog,
                   int32_t partition, uint64_t total, void *opaque)
{
    (void)store;
    (void)changelog;
    (void)partition;
    (void)opaque;
    g.ends++;
    g.total = total;
    g.processed_at_end = g.processed;
}

static const kstream_restore_listener_t listener = {on_start, on_batch,
                                                    on_end};

static void listen(kstream_test_driver_t *drv)
{
    cr_assert(eq(int, kstream_test_driver_set_restore_listener(drv, &listener,
                                                               &g),
                 KSTREAM_OK));
}

static void forget(void)
{
    memset(&g, 0, sizeof(g));
    g.processed_at_end = -1;
}

/* Fails "boom" values while g_fail is set; counts what passes. */
static kstream_err_t switch_cb(const kstream_record_t *in,
                               kstream_record_t *out, void *opaque)
{
    (void)out;
    (void)opaque;
    if (g_fail && h_bytes_is(kstream_record_value(in), "boom"))
        return KSTREAM_ERR_USER;
    g.processed++;
    return KSTREAM_OK;
}

/* in -> sw -> group_by_key -> count "cnt" -> to_stream -> out */
static kstream_builder_t *count_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, switch_cb, NULL, NULL, "sw");
    kstream_grouped_t *gr = kstream_stream_group_by_key(s);
    kstream_table_t *t = kstream_grouped_count(gr, "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

/* ---- the state directory ------------------------------------------------- */
static char g_dir[256];

static void make_state_dir(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/kstream-restore-XXXXXX");
    cr_assert(mkdtemp(g_dir) != NULL);
}

/* The driver's directory under g_dir ("app-XXXXXX"). */
static void driver_dir(char *out, size_t size)
{
    DIR *d = opendir(g_dir);
    cr_assert(d != NULL);
    struct dirent *e;
    out[0] = '\0';
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "app-", 4) == 0)
            snprintf(out, size, "%s/%s", g_dir, e->d_name);
    closedir(d);
    cr_assert(out[0] != '\0', "no driver directory in %s", g_dir);
}

static kstream_test_driver_t *driver(kstream_builder_t *b, int backend)
{
    make_state_dir();
    forget();
    g_fail = false;
    kstream_test_driver_t *drv = hs_driver(b, backend, false, "state.dir",
                                           g_dir, NULL);
    listen(drv);
    return drv;
}

static void finish(kstream_test_driver_t *drv)
{
    kstream_test_driver_destroy(drv);
    rmdir(g_dir); /* the driver removed its own directory inside */
}

static void restart(kstream_test_driver_t *drv, bool wipe)
{
    forget();
    kstream_err_t err = kstream_test_driver_restart(drv, wipe);
    cr_assert(err == KSTREAM_OK, "restart: %s: %s", kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

/* Crash: a processing failure (no commit, no checkpoint at close). */
static void crash(kstream_test_driver_t *drv, const char *key)
{
    g_fail = true;
    cr_assert(h_pipe(drv, "in", key, "boom", 99) != KSTREAM_OK);
    g_fail = false;
}

/* ---- clean restarts -------------------------------------------------------- */

Test(restore, clean_restart_of_rocksdb_restores_nothing)
{
    kstream_test_driver_t *drv = driver(count_topology(), 0);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "B", "x", 3);
    h_drain(drv, "out");
    restart(drv, false);
    cr_assert(eq(int, g.starts, 0), "a checkpointed store was restored");
    cr_assert(eq(i64, h_metric(drv, "records-restored"), 0));
    hs_store_is_long(drv, "cnt", "A", 2);
    hs_store_is_long(drv, "cnt", "B", 1);
    h_pipe_ok(drv, "in", "A", "x", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "3", 4});
    /* The checkpoint covers the changelog's end: 4 updates. */
    char dir[512], path[700];
    driver_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/0_0/.checkpoint", dir);
    restart(drv, false);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "no checkpoint at %s", path);
    char text[512] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert(h_contains(text, "app-cnt-changelog 0 4\n"), "%s", text);
    finish(drv);
}

Test(restore, clean_restart_of_memory_restores_everything)
{
    kstream_test_driver_t *drv = driver(count_topology(), 1);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "B", "x", 3);
    h_drain(drv, "out");
    restart(drv, false);
    cr_assert(eq(int, g.starts, 1));
    cr_assert(eq(int, g.ends, 1));
    cr_assert(eq(i64, g.start_off, 0));
    cr_assert(eq(i64, g.end_off, 3));
    cr_assert(eq(u64, g.total, 3));
    cr_assert(eq(i64, h_metric(drv, "records-restored"), 3));
    cr_assert(eq(str, g.changelog, "app-cnt-changelog"));
    hs_store_is_long(drv, "cnt", "A", 2);
    hs_store_is_long(drv, "cnt", "B", 1);
    h_pipe_ok(drv, "in", "B", "x", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"B", "2", 4});
    finish(drv);
}

HS_BACKEND_PARAMS(restore, wiped_state_restores_from_the_beginning)
ParameterizedTest(int *backend, restore,
                  wiped_state_restores_from_the_beginning)
{
    kstream_test_driver_t *drv = driver(count_topology(), *backend);
    for (int i = 0; i < 10; i++)
        h_pipe_ok(drv, "in", i % 3 ? "A" : "B", "x", i);
    h_drain(drv, "out");
    restart(drv, true);
    cr_assert(eq(i64, g.start_off, 0));
    cr_assert(eq(i64, g.end_off, 10));
    cr_assert(eq(u64, g.total, 10));
    hs_store_is_long(drv, "cnt", "A", 6);
    hs_store_is_long(drv, "cnt", "B", 4);
    h_pipe_ok(drv, "in", "A", "x", 20);
    h_pipe_ok(drv, "in", "C", "x", 21);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "7", 20},
              {"C", "1", 21});
    finish(drv);
}

/* ---- crashes ------------------------------------------------------------------ */

Test(restore, crash_restores_only_the_tail_after_the_checkpoint)
{
    kstream_test_driver_t *drv = driver(count_topology(), 0);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    h_pipe_ok(drv, "in", "B", "x", 3); /* changelog offset 2: the tail */
    crash(drv, "C");
    restart(drv, false);
    cr_assert(eq(int, g.starts, 1));
    cr_assert(eq(i64, g.start_off, 2), "restore started at %lld",
              (long long)g.start_off);
    cr_assert(eq(i64, g.end_off, 3));
    cr_assert(eq(u64, g.total, 1));
    hs_store_is_long(drv, "cnt", "A", 2);
    /* B's input offset was not committed: processed again after the
     * restored tail (at-least-once). */
    hs_store_is_long(drv, "cnt", "B", 2);
    hs_store_is_long(drv, "cnt", "C", 1);
    finish(drv);
}

static void corrupt_checkpoint(void)
{
    char dir[512], path[700];
    driver_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/0_0/.checkpoint", dir);
    FILE *f = fopen(path, "r+");
    cr_assert(f != NULL, "no checkpoint at %s", path);
    fseek(f, 25, SEEK_SET);
    fputc('7', f); /* an offset digit: the checksum no longer matches */
    fclose(f);
}

Test(restore, corrupt_checkpoint_restores_everything)
{
    kstream_test_driver_t *drv = driver(count_topology(), 0);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2);
    h_pipe_ok(drv, "in", "B", "x", 3);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    crash(drv, "C");
    corrupt_checkpoint();
    restart(drv, false);
    cr_assert(eq(int, g.starts, 1), "no restore from a corrupt checkpoint");
    cr_assert(eq(i64, g.start_off, 0));
    cr_assert(eq(u64, g.total, 3));
    hs_store_is_long(drv, "cnt", "A", 2);
    hs_store_is_long(drv, "cnt", "B", 1);
    hs_store_is_long(drv, "cnt", "C", 1);
    finish(drv);
}

/* 2500 changelog records restore in two batches (2048 + 452); the
 * pending input record is processed only after the restore ended. */
Test(restore, listener_offsets_and_no_processing_while_restoring)
{
    kstream_test_driver_t *drv = driver(count_topology(), 1);
    char key[16];
    for (int i = 0; i < 2500; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        h_pipe_ok(drv, "in", key, "x", i);
    }
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    crash(drv, "k7");
    restart(drv, false);
    cr_assert(eq(int, g.starts, 1));
    cr_assert(eq(i64, g.start_off, 0));
    cr_assert(eq(i64, g.end_off, 2500));
    cr_assert(eq(int, g.partition, 0));
    cr_assert(eq(int, g.batches, 2));
    cr_assert(eq(i64, g.batch_offs[0], 2048));
    cr_assert(eq(u64, g.batch_counts[0], 2048));
    cr_assert(eq(i64, g.batch_offs[1], 2500));
    cr_assert(eq(u64, g.batch_counts[1], 452));
    cr_assert(eq(u64, g.batched, 2500));
    cr_assert(eq(int, g.ends, 1));
    cr_assert(eq(u64, g.total, 2500));
    cr_assert(eq(int, g.processed_at_end, 0),
              "%d records processed before the restore ended",
              g.processed_at_end);
    cr_assert(eq(int, g.processed, 1));
    hs_store_is_long(drv, "cnt", "k7", 2);
    hs_store_is_long(drv, "cnt", "k2499", 1);
    finish(drv);
}

/* ---- window stores and tables ----------------------------------------------- */

static kstream_builder_t *window_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_windowed_t *w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(s), kstream_windows_tumbling(100, 1000));
    kstream_table_t *t = kstream_windowed_count(w, "wcnt");
    cr_assert(t != NULL, "windowed count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

static void window_is(kstream_test_driver_t *drv, const char *key,
                      int64_t start, int64_t n)
{
    kstream_store_t *st = kstream_test_driver_store(drv, "wcnt", 0);
    cr_assert(st != NULL);
    kstream_bytes_t v = {NULL, 0};
    kstream_err_t err = kstream_window_store_get(st, key, strlen(key), start,
                                                 &v);
    cr_assert(err == KSTREAM_OK, "window %s@%lld: %s", key, (long long)start,
              kstream_err2name(err));
    cr_assert(hs_bytes_is_long(v, n), "window %s@%lld is not %lld", key,
              (long long)start, (long long)n);
}

HS_BACKEND_PARAMS(restore, window_store_restores)
ParameterizedTest(int *backend, restore, window_store_restores)
{
    kstream_test_driver_t *drv = driver(window_topology(), *backend);
    h_pipe_ok(drv, "in", "A", "x", 10);
    h_pipe_ok(drv, "in", "A", "x", 20);
    h_pipe_ok(drv, "in", "B", "x", 30);
    h_pipe_ok(drv, "in", "A", "x", 150);
    h_drain(drv, "out");
    window_is(drv, "A", 0, 2);
    restart(drv, true);
    cr_assert(eq(u64, g.total, 4));
    window_is(drv, "A", 0, 2);
    window_is(drv, "B", 0, 1);
    window_is(drv, "A", 100, 1);
    h_pipe_ok(drv, "in", "A", "x", 160);
    window_is(drv, "A", 100, 2);
    finish(drv);
}

/* A clean restart restores nothing into RocksDB: the segments left on
 * disk must be seen as they are (they were invisible until written to). */
HS_BACKEND_PARAMS(restore, window_store_survives_a_clean_restart)
ParameterizedTest(int *backend, restore,
                  window_store_survives_a_clean_restart)
{
    kstream_test_driver_t *drv = driver(window_topology(), *backend);
    h_pipe_ok(drv, "in", "A", "x", 10);
    h_pipe_ok(drv, "in", "A", "x", 20);
    h_pipe_ok(drv, "in", "B", "x", 150);
    h_drain(drv, "out");
    restart(drv, false);
    window_is(drv, "A", 0, 2);
    window_is(drv, "B", 100, 1);
    h_pipe_ok(drv, "in", "A", "x", 30);
    window_is(drv, "A", 0, 3);
    finish(drv);
}

static kstream_builder_t *table_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "tin", "tbl");
    cr_assert(t != NULL, "table: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(restore, table_restores_with_tombstones_as_deletes)
ParameterizedTest(int *backend, restore,
                  table_restores_with_tombstones_as_deletes)
{
    kstream_test_driver_t *drv = driver(table_topology(), *backend);
    h_pipe_ok(drv, "tin", "k1", "v1", 1);
    h_pipe_ok(drv, "tin", "k2", "v2", 2);
    h_pipe_ok(drv, "tin", "k1", NULL, 3);
    h_pipe_ok(drv, "tin", "k3", "v3", 4);
    h_drain(drv, "out");
    restart(drv, true);
    cr_assert(eq(u64, g.total, 4), "restored %llu records",
              (unsigned long long)g.total);
    hs_store_is(drv, "tbl", "k1", NULL);
    hs_store_is(drv, "tbl", "k2", "v2");
    hs_store_is(drv, "tbl", "k3", "v3");
    finish(drv);
}

/* ---- global tables --------------------------------------------------------------- */

static kstream_builder_t *global_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "users", "g-users"),
                 KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, switch_cb, NULL, NULL, "sw");
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL,
            "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", NULL), KSTREAM_OK));
    return b;
}

/* The new instance rebuilds the global table (wiped at open) before it
 * processes the record left pending by the crash. */
HS_BACKEND_PARAMS(restore, global_table_is_rebuilt_before_processing)
ParameterizedTest(int *backend, restore,
                  global_table_is_rebuilt_before_processing)
{
    kstream_test_driver_t *drv = driver(global_topology(), *backend);
    char k[16], v[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "u%d", i);
        snprintf(v, sizeof(v), "n%d", i);
        h_pipe_ok(drv, "users", k, v, i);
    }
    h_pipe_ok(drv, "users", "u5", NULL, 1000);
    g_fail = true;
    cr_assert(h_pipe(drv, "in", "o1", "boom", 2000) != KSTREAM_OK);
    g_fail = false;
    restart(drv, false);
    if (*backend == 0) {
        char dir[512], gdir[700];
        struct stat st;
        driver_dir(dir, sizeof(dir));
        snprintf(gdir, sizeof(gdir), "%s/global-0/g-users", dir);
        cr_assert(stat(gdir, &st) == 0, "no %s", gdir);
    }
    /* "boom" has no ':': the left join emits it with no user. */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "boom/null", 2000});
    h_pipe_ok(drv, "in", "o2", "u999:pen", 2001);
    h_pipe_ok(drv, "in", "o3", "u5:ink", 2002);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o2", "u999:pen/n999", 2001},
              {"o3", "u5:ink/null", 2002});
    finish(drv);
}

/* ---- arguments ----------------------------------------------------------------------- */

Test(restore, bad_arguments)
{
    cr_assert(eq(int, kstream_test_driver_restart(NULL, false),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_set_restore_listener(NULL,
                                                               &listener, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_t *drv = driver(count_topology(), 1);
    cr_assert(eq(int, kstream_test_driver_set_restore_listener(drv, NULL,
                                                               NULL),
                 KSTREAM_ERR_INVALID_ARG));
    /* Restart before anything was piped: starts, then restarts. */
    restart(drv, false);
    h_pipe_ok(drv, "in", "A", "x", 1);
    hs_store_is_long(drv, "cnt", "A", 1);
    finish(drv);
}
