/* test_kv_rocksdb_persist.c - what flush() of a RocksDB store leaves on
 * disk in each persist mode (store.h, ks_rdb_persist_t). "On disk" is
 * checked from outside: a second, read-only RocksDB handle opened on the
 * store's directory sees only what is in its SST files (the stores write
 * no WAL), never the open store's memtables. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"
#include "tmpdir.h"

static char dir[256];
static ks_rocksdb_env_t *env;
static char errstr[512];

static void setup(void) {
    kt_tmpdir_make(dir, sizeof(dir));
    errstr[0] = '\0';
    env = ks_rocksdb_env_new(32u << 20, errstr, sizeof(errstr));
    cr_assert_not_null(env, "%s", errstr);
}

static void teardown(void) {
    ks_rocksdb_env_destroy(env);
    env = NULL;
    kt_tmpdir_remove(dir);
}

TestSuite(rocksdb_persist, .init = setup, .fini = teardown, .timeout = 60);

static ks_store_t *open_store(const char *name) {
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ks_store_t *s = ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr));
    cr_assert_not_null(s, "%s", errstr);
    return s;
}

static void put_keys(ks_store_t *s, int n) {
    char k[32], v[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "key-%05d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        cr_assert(eq(int, s->ops->put(s, k, strlen(k), v, strlen(v)),
                     KSTREAM_OK));
    }
}

/* What a read-only handle on the store's directory sees: the number of
 * keys of the data family, and the offset recorded in the meta family
 * (-1: none). */
typedef struct on_disk {
    int keys;
    long long offset;
} on_disk_t;

static on_disk_t read_on_disk(const char *name) {
    static const char *const cfs[] = {"default", "kstream-meta"};
    char path[400];
    char *err = NULL;
    on_disk_t d = {0, -1};
    rocksdb_column_family_handle_t *h[2] = {NULL, NULL};

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    rocksdb_options_t *opts = rocksdb_options_create();
    const rocksdb_options_t *cf_opts[] = {opts, opts};
    rocksdb_t *db = rocksdb_open_for_read_only_column_families(
            opts, path, 2, cfs, cf_opts, h, 0, &err);
    cr_assert_null(err, "read-only open of %s: %s", path, err);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(db, ro, h[0]);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
         rocksdb_iter_next(it))
        d.keys++;
    rocksdb_iter_destroy(it);
    size_t vlen = 0;
    char *v = rocksdb_get_cf(db, ro, h[1], "offset", 6, &vlen, &err);
    cr_assert_null(err, "%s", err);
    if (v && vlen == 8) {
        unsigned long long x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | (unsigned char)v[i];
        d.offset = (long long)x;
    }
    rocksdb_free(v);
    rocksdb_readoptions_destroy(ro);
    rocksdb_column_family_handle_destroy(h[0]);
    rocksdb_column_family_handle_destroy(h[1]);
    rocksdb_close(db);
    rocksdb_options_destroy(opts);
    return d;
}

/* The check can fail: without persisting, the keys are only in memory. */
Test(rocksdb_persist, none_leaves_the_memtables_in_memory) {
    ks_store_t *s = open_store("none");
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_NONE);
    put_keys(s, 500);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    cr_assert(eq(int, read_on_disk("none").keys, 0));
    /* Nothing was started: the wait has nothing to write. */
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(env), KSTREAM_OK));
    cr_assert(eq(int, read_on_disk("none").keys, 0));
    s->ops->close(s); /* closing persists */
    cr_assert(eq(int, read_on_disk("none").keys, 500));
}

Test(rocksdb_persist, wait_is_the_default_and_is_on_disk_at_return) {
    ks_store_t *s = open_store("wait");
    put_keys(s, 500);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    cr_assert(eq(int, read_on_disk("wait").keys, 500));
    s->ops->close(s);
}

/* What a commit does: start every store it checkpoints, then wait once. */
Test(rocksdb_persist, start_then_one_wait_puts_every_started_store_on_disk) {
    enum { N = 6 };
    ks_store_t *s[N];
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        s[i] = open_store(name);
        put_keys(s[i], 300 * (i + 1));
    }
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_START);
    for (int i = 0; i < N - 1; i++) /* the last one is not started */
        cr_assert(eq(int, s[i]->ops->flush(s[i]), KSTREAM_OK));
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_NONE);
    cr_assert(eq(int, s[N - 1]->ops->flush(s[N - 1]), KSTREAM_OK));
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(env), KSTREAM_OK));
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        cr_assert(eq(int, read_on_disk(name).keys, i < N - 1 ? 300 * (i + 1)
                                                             : 0),
                  "store %s", name);
    }
    /* A second wait finds nothing left to do. */
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(env), KSTREAM_OK));
    for (int i = 0; i < N; i++)
        s[i]->ops->close(s[i]);
}

/* Writes made after the start but before the wait are in the new active
 * memtable: the wait writes them too (a checkpoint taken after the wait
 * must not be ahead of the disk). */
Test(rocksdb_persist, the_wait_also_writes_what_came_after_the_start) {
    ks_store_t *s = open_store("late");
    put_keys(s, 200);
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_START);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_NONE);
    put_keys(s, 400); /* 200 more keys, 200 rewritten */
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(env), KSTREAM_OK));
    cr_assert(eq(int, read_on_disk("late").keys, 400));
    s->ops->close(s);
}

/* The changelog offset an exactly-once commit records (meta family) is
 * on disk with the data after the wait. */
Test(rocksdb_persist, the_recorded_offset_is_on_disk_after_the_wait) {
    ks_store_t *s = open_store("meta");
    ks_txn_op_t ops[3] = {{"a", 1, "1", 1}, {"b", 1, "2", 1}, {"c", 1, NULL, 0}};
    cr_assert(eq(int, s->ops->commit_batch(s, ops, 3, 42), KSTREAM_OK));
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_START);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    ks_rocksdb_env_set_persist(env, KS_RDB_PERSIST_WAIT);
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(env), KSTREAM_OK));
    on_disk_t d = read_on_disk("meta");
    cr_assert(eq(int, d.keys, 2));
    cr_assert(eq(i64, d.offset, 42));
    s->ops->close(s);
}

Test(rocksdb_persist, bad_arguments_are_harmless) {
    cr_assert(eq(int, ks_rocksdb_env_persist_wait(NULL), KSTREAM_OK));
    ks_rocksdb_env_set_persist(NULL, KS_RDB_PERSIST_START);
    /* An unknown mode is ignored: flush() still persists (the default). */
    ks_rocksdb_env_set_persist(env, (ks_rdb_persist_t)42);
    ks_store_t *s = open_store("bad");
    put_keys(s, 10);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    cr_assert(eq(int, read_on_disk("bad").keys, 10));
    s->ops->close(s);
}
