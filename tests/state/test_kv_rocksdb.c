/* test_kv_rocksdb.c - what only the RocksDB store does: data on disk
 * across close and reopen, one env shared by several stores, open errors,
 * and the memory bound settings RocksDB actually applied (read back from
 * the OPTIONS file it writes). The common contract is in
 * test_kv_conformance.c. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state/store.h"
#include "tmpdir.h"

static char dir[256];
static ks_rocksdb_env_t *env;
static char errstr[512];

static void setup(void) {
    kt_tmpdir_make(dir, sizeof(dir));
    errstr[0] = '\0';
}

static void teardown(void) {
    ks_rocksdb_env_destroy(env);
    env = NULL;
    kt_tmpdir_remove(dir);
}

TestSuite(rocksdb, .init = setup, .fini = teardown, .timeout = 60);

static void new_env(size_t memory_bytes) {
    env = ks_rocksdb_env_new(memory_bytes, errstr, sizeof(errstr));
    cr_assert_not_null(env, "%s", errstr);
}

static void path_of(char *path, size_t size, const char *name) {
    snprintf(path, size, "%s/%s", dir, name);
}

static ks_store_t *open_store(const char *name) {
    char path[400];
    ks_store_t *s;

    path_of(path, sizeof(path), name);
    s = ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr));
    cr_assert_not_null(s, "%s", errstr);
    return s;
}

static void put_str(ks_store_t *s, const char *k, const char *v) {
    cr_assert(eq(int, s->ops->put(s, k, strlen(k), v, v ? strlen(v) : 0),
                 KSTREAM_OK));
}

static void assert_str(ks_store_t *s, const char *k, const char *want) {
    kstream_bytes_t v;
    kstream_err_t err = s->ops->get(s, k, strlen(k), &v);

    if (!want) {
        cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND), "key %s", k);
        return;
    }
    cr_assert(eq(int, err, KSTREAM_OK), "key %s", k);
    cr_assert(eq(sz, v.len, strlen(want)), "key %s", k);
    cr_assert(eq(int, memcmp(v.data, want, v.len), 0), "key %s", k);
}

/* The value of `name=` in the newest OPTIONS-NNNNNN file of the store
 * directory, into out. */
static void option_value(const char *name, const char *store_name, char *out,
                         size_t size) {
    char path[400], file[700], line[1024], best[256] = "";
    size_t nlen = strlen(name);
    struct dirent *de;
    DIR *d;
    FILE *f;

    path_of(path, sizeof(path), store_name);
    d = opendir(path);
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        /* Same-width numbers: the greatest name is the newest file. */
        if (strncmp(de->d_name, "OPTIONS-", 8) == 0 &&
            !strstr(de->d_name, ".dbtmp") && strcmp(de->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", de->d_name);
    }
    closedir(d);
    cr_assert(ne(str, best, ""), "no OPTIONS file in %s", path);
    snprintf(file, sizeof(file), "%s/%s", path, best);
    f = fopen(file, "r");
    cr_assert_not_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            snprintf(out, size, "%s", p + nlen + 1);
            out[strcspn(out, "\r\n")] = '\0';
            break;
        }
    }
    fclose(f);
    cr_assert(ne(str, out, ""), "no %s in %s", name, file);
}

static unsigned long long option_ull(const char *name, const char *store) {
    char v[64];

    option_value(name, store, v, sizeof(v));
    return strtoull(v, NULL, 10);
}

Test(rocksdb, reopen_keeps_data_written_without_a_wal) {
    ks_store_t *s;
    char k[32], v[32];
    int i, n = 0;
    ks_iter_t *it = NULL;
    kstream_bytes_t key, val;

    new_env(16 << 20);
    s = open_store("a");
    for (i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key-%05d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        put_str(s, k, v);
    }
    for (i = 0; i < 2000; i += 10) {
        snprintf(k, sizeof(k), "key-%05d", i);
        put_str(s, k, NULL);
    }
    put_str(s, "", "empty key");
    s->ops->close(s); /* no flush: close must flush */

    s = open_store("a");
    for (i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key-%05d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        assert_str(s, k, i % 10 == 0 ? NULL : v);
    }
    assert_str(s, "", "empty key");
    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    while (it->ops->next(it, &key, &val) == KSTREAM_OK)
        n++;
    it->ops->close(it);
    cr_assert(eq(int, n, 1801));

    /* Writes after a flush survive too. */
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    put_str(s, "late", "write");
    put_str(s, "key-00001", NULL);
    s->ops->close(s);
    s = open_store("a");
    assert_str(s, "late", "write");
    assert_str(s, "key-00001", NULL);
    assert_str(s, "key-00002", "value-2");
    s->ops->close(s);
}

Test(rocksdb, writes_skip_the_wal) {
    ks_store_t *s;
    char k[32], path[400], file[700];
    struct dirent *de;
    struct stat st;
    int i, logs = 0;
    DIR *d;

    new_env(16 << 20);
    s = open_store("a");
    for (i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "key-%05d", i);
        put_str(s, k, "some value that would show in a log");
    }
    path_of(path, sizeof(path), "a");
    d = opendir(path);
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 4, ".log") != 0)
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        cr_assert(eq(int, stat(file, &st), 0));
        cr_assert(eq(i64, (int64_t)st.st_size, 0), "%s is not empty", file);
        logs++;
    }
    closedir(d);
    (void)logs; /* RocksDB may or may not keep an empty WAL file */
    s->ops->close(s);
}

Test(rocksdb, two_stores_share_one_env_but_not_data) {
    ks_store_t *a, *b;
    ks_iter_t *it = NULL;
    kstream_bytes_t k, v;

    new_env(16 << 20);
    a = open_store("a");
    b = open_store("b");
    put_str(a, "shared", "in a");
    put_str(b, "shared", "in b");
    put_str(a, "only-a", "1");
    put_str(b, "only-b", "2");
    assert_str(a, "shared", "in a");
    assert_str(b, "shared", "in b");
    assert_str(a, "only-b", NULL);
    assert_str(b, "only-a", NULL);

    cr_assert(eq(int, ks_store_all(b, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "only-b", 6), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "shared", 6), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);

    /* Close in either order; the other keeps working. */
    a->ops->close(a);
    put_str(b, "after", "a closed");
    assert_str(b, "after", "a closed");
    a = open_store("a");
    assert_str(a, "shared", "in a");
    a->ops->close(a);
    b->ops->close(b);
}

Test(rocksdb, open_on_a_bad_path_fails_with_a_clear_message) {
    char path[400];
    FILE *f;

    new_env(16 << 20);
    /* A regular file where a directory should be. */
    path_of(path, sizeof(path), "file");
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    path_of(path, sizeof(path), "file/store");
    cr_assert_null(ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr)));
    cr_assert(ne(ptr, strstr(errstr, path), NULL), "message: %s", errstr);
    cr_assert(ne(ptr, strstr(errstr, "Not a directory"), NULL),
              "message: %s", errstr);

    errstr[0] = '\0';
    cr_assert_null(ks_kv_rocksdb_open(env, "/nonexistent-kstream/x/y",
                                      errstr, sizeof(errstr)));
    cr_assert(ne(ptr, strstr(errstr, "/nonexistent-kstream/x/y"), NULL),
              "message: %s", errstr);
    /* A NULL errstr is allowed. */
    cr_assert_null(ks_kv_rocksdb_open(env, path, NULL, 0));
}

Test(rocksdb, a_store_open_twice_fails_on_its_lock) {
    ks_store_t *s;
    char path[400];

    new_env(16 << 20);
    s = open_store("a");
    path_of(path, sizeof(path), "a");
    cr_assert_null(ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr)));
    cr_assert(ne(ptr, strstr(errstr, "LOCK"), NULL), "message: %s", errstr);
    /* The failed open left the first store alone. */
    put_str(s, "k", "v");
    assert_str(s, "k", "v");
    s->ops->close(s);
}

Test(rocksdb, env_rejects_a_budget_below_one_mib) {
    cr_assert_null(ks_rocksdb_env_new(1000, errstr, sizeof(errstr)));
    cr_assert(ne(ptr, strstr(errstr, "rocksdb.memory.bytes"), NULL),
              "message: %s", errstr);
    ks_rocksdb_env_destroy(NULL); /* no-op */
}

Test(rocksdb, memory_bound_settings_are_applied) {
    ks_store_t *s[4];
    char v[64];
    int i;

    /* 64 MiB: 16 MiB of write buffers, one store gets 2 x 8 MiB. */
    new_env(64 << 20);
    s[0] = open_store("s0");
    cr_assert(eq(u64, option_ull("write_buffer_size", "s0"), 8u << 20));
    cr_assert(eq(u64, option_ull("max_write_buffer_number", "s0"), 2));
    cr_assert(eq(u64, option_ull("arena_block_size", "s0"), 1u << 20));
    option_value("cache_index_and_filter_blocks", "s0", v, sizeof(v));
    cr_assert(eq(str, v, "true"));
    option_value("no_block_cache", "s0", v, sizeof(v));
    cr_assert(eq(str, v, "false"));
    option_value("filter_policy", "s0", v, sizeof(v));
    cr_assert(ne(ptr, strstr(v, "bloom"), NULL), "filter_policy=%s", v);
    option_value("compression", "s0", v, sizeof(v));
    cr_assert(eq(str, v, "kNoCompression"));
    /* Sorted batches insert from a hint (one for every key). */
    option_value("memtable_insert_with_hint_prefix_extractor", "s0", v,
                 sizeof(v));
    cr_assert(eq(str, v, "rocksdb.FixedPrefix.0"));
    /* Gets of keys a memtable does not hold skip its search. */
    option_value("memtable_whole_key_filtering", "s0", v, sizeof(v));
    cr_assert(eq(str, v, "true"));
    option_value("memtable_prefix_bloom_size_ratio", "s0", v, sizeof(v));
    cr_assert(eq(int, (int)(strtod(v, NULL) * 100 + 0.5), 10), "ratio %s", v);

    /* Four stores: 16 MiB / (2 x 4) = 2 MiB each, the first one too. */
    for (i = 1; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s%d", i);
        s[i] = open_store(name);
    }
    for (i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s%d", i);
        cr_assert(eq(u64, option_ull("write_buffer_size", name), 2u << 20),
                  "store %s", name);
        cr_assert(eq(u64, option_ull("arena_block_size", name), 256u << 10),
                  "store %s", name);
    }
    /* Closing one does not raise the others' share. */
    s[3]->ops->close(s[3]);
    cr_assert(eq(u64, option_ull("write_buffer_size", "s0"), 2u << 20));
    /* The stores still work after SetOptions. */
    put_str(s[0], "k", "v");
    assert_str(s[0], "k", "v");
    for (i = 0; i < 3; i++)
        s[i]->ops->close(s[i]);
}

Test(rocksdb, write_buffers_never_go_below_the_rocksdb_minimum) {
    ks_store_t *s[3];
    int i;

    /* 1 MiB: 256 KiB of write buffers; three stores would get 43 KiB. */
    new_env(1 << 20);
    s[0] = open_store("s0");
    cr_assert(eq(u64, option_ull("write_buffer_size", "s0"), 128u << 10));
    s[1] = open_store("s1");
    s[2] = open_store("s2");
    cr_assert(eq(u64, option_ull("write_buffer_size", "s0"), 64u << 10));
    cr_assert(eq(u64, option_ull("write_buffer_size", "s2"), 64u << 10));
    /* Small buffers mean many flushes; the data is still all there. */
    for (i = 0; i < 20000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "key-%06d", i);
        put_str(s[1], k, "0123456789012345678901234567890123456789");
    }
    assert_str(s[1], "key-000000", "0123456789012345678901234567890123456789");
    assert_str(s[1], "key-019999", "0123456789012345678901234567890123456789");
    for (i = 0; i < 3; i++)
        s[i]->ops->close(s[i]);
}

Test(rocksdb, get_value_is_kept_until_the_next_call) {
    ks_store_t *s;
    kstream_bytes_t v1, v2;

    new_env(16 << 20);
    s = open_store("a");
    put_str(s, "a", "first value");
    put_str(s, "b", "second value");
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK)); /* from the SST */
    cr_assert(eq(int, s->ops->get(s, "a", 1, &v1), KSTREAM_OK));
    cr_assert(eq(int, memcmp(v1.data, "first value", 11), 0));
    cr_assert(eq(int, s->ops->get(s, "b", 1, &v2), KSTREAM_OK));
    cr_assert(eq(int, memcmp(v2.data, "second value", 12), 0));
    /* A get that misses, then close: the pinned value is released. */
    cr_assert(eq(int, s->ops->get(s, "zz", 2, &v1), KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, s->ops->get(s, "a", 1, &v1), KSTREAM_OK));
    s->ops->close(s);
}

/* Writes are batched: a get, a range and a count right after puts and
 * deletes see them, however many are pending (more than one batch). */
Test(rocksdb, batched_writes_are_read_back_at_once) {
    new_env(8u << 20);
    ks_store_t *s = open_store("batched");
    char k[32], v[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "k%05d", i);
        snprintf(v, sizeof(v), "v%d", i);
        put_str(s, k, v);
        assert_str(s, k, v);
        if (i % 3 == 0) {
            put_str(s, k, NULL);
            assert_str(s, k, NULL);
        }
    }
    uint64_t n = s->ops->approximate_count(s);
    cr_assert(lt(u64, 0, n));
    ks_iter_t *it;
    cr_assert(eq(int, s->ops->range(s, "k00000", 6, "k00010", 6, &it),
                 KSTREAM_OK));
    kstream_bytes_t key, val;
    int seen = 0;
    while (it->ops->next(it, &key, &val) == KSTREAM_OK)
        seen++;
    it->ops->close(it);
    cr_assert(eq(int, seen, 7)); /* 0..10 without 0, 3, 6, 9 */
    s->ops->close(s);
    s = open_store("batched"); /* and they were written before close */
    assert_str(s, "k00001", "v1");
    assert_str(s, "k00003", NULL);
    assert_str(s, "k09998", "v9998");
    s->ops->close(s);
}

/* Bulk mode (a restore): writes go to a vector memtable; when it ends the
 * store reads everything back, in key order, and keeps it across reopen. */
Test(rocksdb, bulk_mode_loads_then_reads_everything) {
    new_env(4u << 20);
    ks_store_t *s = open_store("bulk");
    put_str(s, "before", "x");
    cr_assert(eq(int, ks_store_bulk(s, true), KSTREAM_OK));
    char k[32], v[32];
    for (int i = 19999; i >= 0; i--) { /* descending: the sort is tested */
        snprintf(k, sizeof(k), "b%05d", i);
        snprintf(v, sizeof(v), "%d", i);
        put_str(s, k, v);
    }
    put_str(s, "b00007", NULL); /* a tombstone within the load */
    put_str(s, "b00008", "again"); /* a key written twice */
    cr_assert(eq(int, ks_store_bulk(s, false), KSTREAM_OK));
    cr_assert(eq(int, ks_store_bulk(s, false), KSTREAM_OK)); /* no-op */
    assert_str(s, "before", "x");
    assert_str(s, "b00007", NULL);
    assert_str(s, "b00008", "again");
    assert_str(s, "b19999", "19999");
    ks_iter_t *it;
    cr_assert(eq(int, s->ops->prefix(s, "b", 1, &it), KSTREAM_OK));
    kstream_bytes_t key, val;
    int seen = 0;
    char prev[32] = "";
    while (it->ops->next(it, &key, &val) == KSTREAM_OK) {
        snprintf(k, sizeof(k), "%.*s", (int)key.len, (const char *)key.data);
        cr_assert(lt(int, 0, strcmp(k, prev)), "%s after %s", k, prev);
        memcpy(prev, k, sizeof(prev));
        seen++;
    }
    it->ops->close(it);
    cr_assert(eq(int, seen, 20000)); /* b00000..b19999 but b00007, "before" */
    s->ops->close(s);
    s = open_store("bulk");
    assert_str(s, "b00000", "0");
    assert_str(s, "b00007", NULL);
    s->ops->close(s);
}

/* Pending puts are written sorted by key: a key put twice (and deleted)
 * within one batch must still end with its last write, whatever the
 * order of the other keys around it. No get comes between the puts (a
 * get of a pending key writes the batch first). */
Test(rocksdb, a_batch_written_in_key_order_keeps_each_keys_last_write) {
    new_env(8u << 20);
    ks_store_t *s = open_store("sorted");
    put_str(s, "m", "1");
    put_str(s, "b", "1");
    put_str(s, "z", "1");
    put_str(s, "m", "2");
    put_str(s, "b", NULL);
    put_str(s, "a", "1");
    put_str(s, "mm", "1");
    put_str(s, "b", "3");
    put_str(s, "z", NULL);
    ks_iter_t *it = NULL;
    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    const char *want[][2] = {{"a", "1"}, {"b", "3"}, {"m", "2"}, {"mm", "1"}};
    size_t n = 0;
    kstream_bytes_t k, v;
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert_lt(n, 4);
        cr_assert(eq(int, (int)k.len, (int)strlen(want[n][0])));
        cr_assert(eq(int, memcmp(k.data, want[n][0], k.len), 0));
        cr_assert(eq(int, memcmp(v.data, want[n][1], v.len), 0));
        n++;
    }
    it->ops->close(it);
    cr_assert(eq(sz, n, 4));
    s->ops->close(s);
}

/* The number of info LOG files (LOG, LOG.old.*) in a store's directory. */
static int log_files(const char *store_name) {
    char path[400];
    struct dirent *de;
    int n = 0;
    DIR *d;

    path_of(path, sizeof(path), store_name);
    d = opendir(path);
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, "LOG") == 0 ||
            strncmp(de->d_name, "LOG.old.", 8) == 0)
            n++;
    closedir(d);
    return n;
}

/* As Kafka Streams sets it: errors only, and not rolled (a rolling logger
 * keeps the options dump in memory). Each open starts a LOG; the older
 * ones past two are deleted, so the files stay few however often a store
 * is reopened (bulk mode reopens it twice per restore). */
Test(rocksdb, the_info_log_takes_errors_only_and_stays_bounded) {
    char v[64];
    int i;

    new_env(8 << 20);
    for (i = 0; i < 5; i++) {
        ks_store_t *s = open_store("logged");
        put_str(s, "k", "v");
        cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
        s->ops->close(s);
    }
    option_value("info_log_level", "logged", v, sizeof(v));
    cr_assert(eq(str, v, "ERROR_LEVEL"));
    cr_assert(eq(u64, option_ull("max_log_file_size", "logged"), 0));
    cr_assert(eq(u64, option_ull("keep_log_file_num", "logged"), 2));
    cr_assert(le(int, log_files("logged"), 3));
    cr_assert(ge(int, log_files("logged"), 1));
}
