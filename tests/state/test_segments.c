/* test_segments.c - segmented stores (lib/state/segments.c), composite
 * keys (wkeys.c) and ks_store_observe_time (observe.c). Each SEG_TEST is
 * registered twice: in suite segments_memory the segments are
 * ks_kv_mem_new() stores, in segments_rocksdb ks_kv_rocksdb_open() stores
 * in a scratch directory (one subdirectory per segment, removed by the
 * drop callback as a window store's owner would). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"
#include "tmpdir.h"

/* ---- fixture ------------------------------------------------------------ */

#define MAX_EVENTS 256

typedef struct seg_owner {
    bool rocksdb;
    ks_rocksdb_env_t *env;
    char dir[256];
    bool fail_open;
    int opens;
    char opened[MAX_EVENTS][24];
    int drops;
    char dropped[MAX_EVENTS][24];
    bool freed;
} seg_owner_t;

static seg_owner_t owner;

static ks_store_t *seg_open(void *opaque, const char *segment, char *errstr,
                            size_t errstr_size) {
    seg_owner_t *o = opaque;
    char path[300];

    if (o->fail_open) {
        snprintf(errstr, errstr_size, "refused by the test");
        return NULL;
    }
    cr_assert(o->opens < MAX_EVENTS);
    snprintf(o->opened[o->opens++], sizeof(o->opened[0]), "%s", segment);
    if (!o->rocksdb)
        return ks_kv_mem_new();
    snprintf(path, sizeof(path), "%s/%s", o->dir, segment);
    return ks_kv_rocksdb_open(o->env, path, errstr, errstr_size);
}

static void seg_drop(void *opaque, const char *segment) {
    seg_owner_t *o = opaque;
    char path[300];

    cr_assert(o->drops < MAX_EVENTS);
    snprintf(o->dropped[o->drops++], sizeof(o->dropped[0]), "%s", segment);
    if (o->rocksdb) {
        snprintf(path, sizeof(path), "%s/%s", o->dir, segment);
        kt_tmpdir_remove(path);
    }
}

static void owner_free(void *opaque) {
    ((seg_owner_t *)opaque)->freed = true;
}

static bool was_dropped(const char *segment) {
    int i;

    for (i = 0; i < owner.drops; i++)
        if (strcmp(owner.dropped[i], segment) == 0)
            return true;
    return false;
}

static bool dir_exists(const char *segment) {
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/CURRENT", owner.dir, segment);
    f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Stores made by a test; closed at teardown if the test did not. */
static ks_store_t *stores[4];
static int nstores;

static ks_store_t *new_store(int64_t retention, int64_t interval,
                             ks_key_time_fn *key_time) {
    ks_store_t *s = ks_segmented_new(seg_open, seg_drop, &owner, owner_free,
                                     retention, interval, key_time);
    cr_assert_not_null(s);
    cr_assert(nstores < 4);
    stores[nstores++] = s;
    return s;
}

static void close_store(ks_store_t *s) {
    int i;

    for (i = 0; i < nstores; i++) {
        if (stores[i] == s) {
            stores[i] = stores[--nstores];
            break;
        }
    }
    s->ops->close(s);
}

static void setup_memory(void) {
    memset(&owner, 0, sizeof(owner));
}

static void setup_rocksdb(void) {
    char errstr[512] = "";

    memset(&owner, 0, sizeof(owner));
    owner.rocksdb = true;
    kt_tmpdir_make(owner.dir, sizeof(owner.dir));
    owner.env = ks_rocksdb_env_new(16 << 20, errstr, sizeof(errstr));
    cr_assert_not_null(owner.env, "%s", errstr);
}

static void teardown(void) {
    while (nstores > 0)
        close_store(stores[0]);
    ks_rocksdb_env_destroy(owner.env);
    owner.env = NULL;
    kt_tmpdir_remove(owner.dir);
}

TestSuite(segments_memory, .init = setup_memory, .fini = teardown,
          .timeout = 120);
TestSuite(segments_rocksdb, .init = setup_rocksdb, .fini = teardown,
          .timeout = 120);
TestSuite(wkeys, .timeout = 10);
TestSuite(observe, .timeout = 10);

/* One body, two registered tests. */
#define SEG_TEST(name)                                                         \
    static void seg_##name(void);                                              \
    Test(segments_memory, name) {                                              \
        seg_##name();                                                          \
    }                                                                          \
    Test(segments_rocksdb, name) {                                             \
        seg_##name();                                                          \
    }                                                                          \
    static void seg_##name(void)

/* ---- helpers ------------------------------------------------------------ */

static void wput(ks_store_t *s, const char *key, int64_t start,
                 const char *value) {
    uint8_t buf[128];
    size_t klen = strlen(key);
    size_t n = ks_wkey_encode(buf, key, klen, start);

    cr_assert(eq(int, s->ops->put(s, buf, n, value, value ? strlen(value) : 0),
                 KSTREAM_OK));
}

/* Key with explicit length (keys holding NUL bytes). */
static void wput_n(ks_store_t *s, const void *key, size_t klen, int64_t start,
                   const char *value) {
    uint8_t buf[128];
    size_t n = ks_wkey_encode(buf, key, klen, start);

    cr_assert(eq(int, s->ops->put(s, buf, n, value, strlen(value)),
                 KSTREAM_OK));
}

/* The value of (key, start) as a string, or NULL when absent. */
static const char *wget(ks_store_t *s, const char *key, int64_t start) {
    static char out[128];
    uint8_t buf[128];
    size_t n = ks_wkey_encode(buf, key, strlen(key), start);
    kstream_bytes_t v;
    kstream_err_t err = s->ops->get(s, buf, n, &v);

    if (err == KSTREAM_ERR_NOT_FOUND)
        return NULL;
    cr_assert(eq(int, err, KSTREAM_OK));
    cr_assert(v.len < sizeof(out));
    memcpy(out, v.data, v.len);
    out[v.len] = '\0';
    return out;
}

static uint64_t count(ks_store_t *s) {
    return s->ops->approximate_count(s);
}

/* Windows of exactly `key` with start in [from, to], as a window store's
 * fetch does it: range over composite keys, keep the entries whose decoded
 * record key has the length of `key` (the others are longer keys that
 * start with `key`). Writes "start=value" items separated by spaces. */
static void fetch_key(ks_store_t *s, const void *key, size_t klen,
                      int64_t from, int64_t to, char *out, size_t outsize) {
    uint8_t lo[128], hi[128];
    size_t lolen = ks_wkey_encode(lo, key, klen, from);
    size_t hilen = ks_wkey_encode(hi, key, klen, to);
    ks_iter_t *it;
    kstream_bytes_t k, v, rk;
    int64_t start;
    size_t used = 0;

    out[0] = '\0';
    cr_assert(eq(int, s->ops->range(s, lo, lolen, hi, hilen, &it),
                 KSTREAM_OK));
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(ks_wkey_decode(k.data, k.len, &rk, &start));
        /* Every composite key in the range starts with the bytes of
         * `key`, but its record key may be longer ("a\0" + t for "a") or
         * shorter ("a" + t, t < 2^56, for "a\0"); the record key is
         * `key` exactly when the lengths agree. */
        cr_assert(k.len >= klen);
        cr_assert(klen == 0 || memcmp(k.data, key, klen) == 0);
        if (rk.len != klen)
            continue;
        cr_assert(start >= from && start <= to);
        used += (size_t)snprintf(out + used, outsize - used, "%s%lld=%.*s",
                                 used ? " " : "", (long long)start,
                                 (int)v.len, (const char *)v.data);
        cr_assert(used < outsize);
    }
    it->ops->close(it);
}

/* Every entry of an iterator as "key@start=value" (window keys; the key
 * printed with NULs as '0'), then closes it. */
static void drain_windows(ks_iter_t *it, char *out, size_t outsize) {
    kstream_bytes_t k, v, rk;
    int64_t start;
    size_t used = 0, i;

    out[0] = '\0';
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(ks_wkey_decode(k.data, k.len, &rk, &start));
        if (used)
            out[used++] = ' ';
        for (i = 0; i < rk.len; i++) {
            char c = ((const char *)rk.data)[i];
            out[used++] = c ? c : '0';
        }
        used += (size_t)snprintf(out + used, outsize - used, "@%lld=%.*s",
                                 (long long)start, (int)v.len,
                                 (const char *)v.data);
        cr_assert(used + 64 < outsize);
    }
    it->ops->close(it);
}

/* ---- window keys over segments ------------------------------------------- */

SEG_TEST(window_put_get_and_fetch_one_key) {
    ks_store_t *s = new_store(10000, 100, ks_wkey_time);
    char got[512];

    wput(s, "k", 0, "a");
    wput(s, "k", 50, "b");
    wput(s, "k", 150, "c");
    wput(s, "k", 250, "d");
    wput(s, "k", 999, "e");
    wput(s, "j", 150, "other");
    cr_assert(eq(str, (char *)wget(s, "k", 0), "a"));
    cr_assert(eq(str, (char *)wget(s, "k", 150), "c"));
    cr_assert(eq(str, (char *)wget(s, "k", 999), "e"));
    cr_assert_null(wget(s, "k", 151));
    cr_assert_null(wget(s, "k", 500)); /* segment 5 was never opened */
    cr_assert_null(wget(s, "x", 150));

    /* Overwrite in place. */
    wput(s, "k", 150, "C");
    cr_assert(eq(str, (char *)wget(s, "k", 150), "C"));

    fetch_key(s, "k", 1, 40, 260, got, sizeof(got));
    cr_assert(eq(str, got, "50=b 150=C 250=d"));
    fetch_key(s, "k", 1, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "0=a 50=b 150=C 250=d 999=e"));
    fetch_key(s, "k", 1, 251, 998, got, sizeof(got));
    cr_assert(eq(str, got, ""));

    /* Segments 0, 1, 2, 9: opened lazily, named by id. */
    cr_assert(eq(int, owner.opens, 4));
    cr_assert(eq(str, owner.opened[0], "0"));
    cr_assert(eq(str, owner.opened[1], "1"));
    cr_assert(eq(str, owner.opened[2], "2"));
    cr_assert(eq(str, owner.opened[3], "9"));
    if (owner.rocksdb)
        cr_assert(dir_exists("9"));
    if (!owner.rocksdb) /* RocksDB's count is an estimate */
        cr_assert(eq(u64, count(s), 6));
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));

    /* Delete; a delete into a segment never opened opens nothing. */
    {
        static const uint8_t k150[9] = {'k', 0, 0, 0, 0, 0, 0, 0, 150};
        cr_assert(eq(int, s->ops->put(s, k150, 9, NULL, 0), KSTREAM_OK));
    }
    cr_assert_null(wget(s, "k", 150));
    wput(s, "k", 777, NULL);
    cr_assert(eq(int, owner.opens, 4));
    if (!owner.rocksdb)
        cr_assert(eq(u64, count(s), 5));
    cr_assert(eq(int, owner.drops, 0));
}

SEG_TEST(ranges_merge_segments_in_key_order) {
    ks_store_t *s = new_store(100000, 10, ks_wkey_time);
    ks_iter_t *it;
    char got[1024];
    uint8_t lo[32], hi[32];
    size_t lolen, hilen;

    /* Inserted out of order, over segments 0..9. */
    wput(s, "b", 95, "1");
    wput(s, "a", 5, "2");
    wput(s, "c", 0, "3");
    wput(s, "a", 60, "4");
    wput(s, "b", 1, "5");
    wput(s, "ab", 33, "6");
    wput(s, "a", 17, "7");
    wput(s, "c", 99, "8");

    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got,
                 "a@5=2 a@17=7 a@60=4 ab@33=6 b@1=5 b@95=1 c@0=3 c@99=8"));

    /* Prefix "a": every window of "a" and of "ab". */
    cr_assert(eq(int, s->ops->prefix(s, "a", 1, &it), KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, "a@5=2 a@17=7 a@60=4 ab@33=6"));

    /* A range across keys: [a@17 .. b@1]. */
    lolen = ks_wkey_encode(lo, "a", 1, 17);
    hilen = ks_wkey_encode(hi, "b", 1, 1);
    cr_assert(eq(int, s->ops->range(s, lo, lolen, hi, hilen, &it),
                 KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, "a@17=7 a@60=4 ab@33=6 b@1=5"));

    /* Open lower bound, and from > to (empty). */
    cr_assert(eq(int, s->ops->range(s, NULL, 0, lo, lolen, &it), KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, "a@5=2 a@17=7"));
    cr_assert(eq(int, s->ops->range(s, hi, hilen, lo, lolen, &it),
                 KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, ""));
}

SEG_TEST(empty_store_iterates_nothing) {
    ks_store_t *s = new_store(1000, 100, ks_wkey_time);
    ks_iter_t *it;
    kstream_bytes_t k, v;

    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
    cr_assert(eq(u64, count(s), 0));
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    cr_assert(eq(str, (char *)s->ops->kind, "segmented"));
}

/* ---- retention ---------------------------------------------------------- */

SEG_TEST(retention_drops_whole_segments) {
    /* Segments of 100 ms, retention 300 ms. */
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    ks_iter_t *it;
    char got[256];
    uint64_t before;

    wput(s, "k", 10, "s0");
    wput(s, "k", 110, "s1");
    wput(s, "k", 210, "s2");
    wput(s, "k", 310, "s3");
    /* Stream time 310: live from 11; segment 0 ends at 100 > 11: kept,
     * but its record (time 10) has expired. */
    cr_assert(eq(int, owner.drops, 0));
    cr_assert_null(wget(s, "k", 10));
    cr_assert(eq(str, (char *)wget(s, "k", 110), "s1"));
    before = count(s);
    if (!owner.rocksdb)
        cr_assert(eq(u64, before, 4)); /* expired records are still counted */

    /* Stream time 499: live from 200; segments 0 and 1 end by 200. */
    ks_store_observe_time(s, 499);
    cr_assert(eq(int, owner.drops, 2));
    cr_assert(eq(str, owner.dropped[0], "0"));
    cr_assert(eq(str, owner.dropped[1], "1"));
    cr_assert_null(wget(s, "k", 110));
    cr_assert(eq(str, (char *)wget(s, "k", 210), "s2"));
    cr_assert(lt(u64, count(s), before));
    if (!owner.rocksdb)
        cr_assert(eq(u64, count(s), 2));
    if (owner.rocksdb) {
        cr_assert_not(dir_exists("0"));
        cr_assert_not(dir_exists("1"));
        cr_assert(dir_exists("2"));
    }

    /* Time never goes back. */
    ks_store_observe_time(s, 0);
    cr_assert(eq(str, (char *)wget(s, "k", 210), "s2"));

    /* Far ahead: everything goes. */
    ks_store_observe_time(s, 1000000);
    cr_assert(eq(int, owner.drops, 4));
    cr_assert(was_dropped("2") && was_dropped("3"));
    cr_assert(eq(u64, count(s), 0));
    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, ""));
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
}

SEG_TEST(puts_advance_stream_time) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);

    wput(s, "k", 10, "old");
    wput(s, "k", 150, "mid");
    /* A put at 1000 moves stream time to 1000: live from 701. */
    wput(s, "k", 1000, "new");
    cr_assert(eq(int, owner.drops, 2));
    cr_assert_null(wget(s, "k", 10));
    cr_assert_null(wget(s, "k", 150));
    cr_assert(eq(str, (char *)wget(s, "k", 1000), "new"));
    /* Deletes move it too. */
    wput(s, "q", 2000, NULL);
    cr_assert(eq(int, owner.drops, 3));
    cr_assert_null(wget(s, "k", 1000));
}

SEG_TEST(expiry_boundary_follows_kafka) {
    /* Records expire exactly `retention` ms after their time. */
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    char got[256];

    ks_store_observe_time(s, 1000);
    wput(s, "k", 700, "expired"); /* 700 = 1000 - 300: ignored */
    wput(s, "k", 701, "live");
    cr_assert_null(wget(s, "k", 700));
    cr_assert(eq(str, (char *)wget(s, "k", 701), "live"));
    fetch_key(s, "k", 1, 0, 2000, got, sizeof(got));
    cr_assert(eq(str, got, "701=live"));

    /* One ms later 701 expires too; its segment (700..799) stays open. */
    ks_store_observe_time(s, 1001);
    cr_assert_null(wget(s, "k", 701));
    fetch_key(s, "k", 1, 0, 2000, got, sizeof(got));
    cr_assert(eq(str, got, ""));
    cr_assert(eq(int, owner.drops, 0));
    /* Segment 7 ends at 800: dropped when live starts at 800 (time 1099). */
    ks_store_observe_time(s, 1098);
    cr_assert(eq(int, owner.drops, 0));
    ks_store_observe_time(s, 1099);
    cr_assert(eq(int, owner.drops, 1));
    cr_assert(eq(str, owner.dropped[0], "7"));
}

SEG_TEST(puts_to_expired_segments_are_ignored) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    uint64_t n;

    wput(s, "k", 5000, "now");
    n = count(s);
    cr_assert(eq(int, owner.opens, 1));
    /* Late records: KSTREAM_OK, nothing stored, no segment opened. */
    wput(s, "k", 100, "late");
    wput(s, "k", 4600, "late");
    wput(s, "k", 4700, "late"); /* == stream time - retention */
    cr_assert(eq(int, owner.opens, 1));
    cr_assert(eq(u64, count(s), n));
    cr_assert_null(wget(s, "k", 100));
    cr_assert_null(wget(s, "k", 4700));
    /* Within retention: stored. */
    wput(s, "k", 4701, "in time");
    cr_assert(eq(str, (char *)wget(s, "k", 4701), "in time"));
    cr_assert(eq(int, owner.opens, 2));
    cr_assert(eq(int, owner.drops, 0));
}

SEG_TEST(open_iterator_pins_expired_segments) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    ks_iter_t *it, *it2;
    kstream_bytes_t k, v, rk;
    int64_t start;

    wput(s, "a", 10, "1");
    wput(s, "b", 20, "2");
    wput(s, "c", 150, "3");
    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    cr_assert(eq(int, ks_store_all(s, &it2), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(ks_wkey_decode(k.data, k.len, &rk, &start));
    cr_assert(eq(int, (int)start, 10));

    /* Every segment expires while two iterators are open: they leave the
     * store at once but are closed when the last iterator closes. */
    ks_store_observe_time(s, 100000);
    cr_assert(eq(int, owner.drops, 0));
    cr_assert_null(wget(s, "c", 150));
    cr_assert(eq(u64, count(s), 0));
    /* The iterators skip what expired meanwhile. */
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
    cr_assert(eq(int, owner.drops, 0));
    cr_assert(eq(int, it2->ops->next(it2, &k, &v), KSTREAM_ERR_EMPTY));
    it2->ops->close(it2);
    cr_assert(eq(int, owner.drops, 2));
    cr_assert(was_dropped("0") && was_dropped("1"));

    /* New segments after that are fine. */
    wput(s, "d", 100000, "4");
    cr_assert(eq(str, (char *)wget(s, "d", 100000), "4"));
}

SEG_TEST(iterator_sees_live_records_across_expiry) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    ks_iter_t *it;
    char got[256];

    wput(s, "a", 10, "old");
    wput(s, "b", 250, "mid");
    wput(s, "c", 290, "new");
    cr_assert(eq(int, ks_store_all(s, &it), KSTREAM_OK));
    /* Live from 201: "a"@10 is gone before the iterator reaches it. */
    ks_store_observe_time(s, 500);
    drain_windows(it, got, sizeof(got));
    cr_assert(eq(str, got, "b@250=mid c@290=new"));
    cr_assert(eq(int, owner.drops, 1)); /* "0", at the close */
    cr_assert(eq(str, owner.dropped[0], "0"));
}

SEG_TEST(close_keeps_segments_and_frees_opaque) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);

    wput(s, "k", 10, "a");
    wput(s, "k", 110, "b");
    close_store(s);
    cr_assert(owner.freed);
    cr_assert(eq(int, owner.drops, 0));
    if (owner.rocksdb) {
        cr_assert(dir_exists("0"));
        cr_assert(dir_exists("1"));
    }
}

SEG_TEST(bad_keys_and_failed_opens) {
    ks_store_t *s = new_store(300, 100, ks_wkey_time);
    kstream_bytes_t v;

    /* A key too short to hold a time. */
    cr_assert(eq(int, s->ops->put(s, "short", 5, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, s->ops->get(s, "short", 5, &v), KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, owner.opens, 0));

    owner.fail_open = true;
    {
        uint8_t buf[16];
        size_t n = ks_wkey_encode(buf, "k", 1, 10);
        cr_assert(eq(int, s->ops->put(s, buf, n, "v", 1), KSTREAM_ERR_STORE));
        cr_assert(eq(int, s->ops->get(s, buf, n, &v), KSTREAM_ERR_NOT_FOUND));
    }
    owner.fail_open = false;
    wput(s, "k", 10, "v");
    cr_assert(eq(str, (char *)wget(s, "k", 10), "v"));
}

/* ---- keys that have another key as a prefix ------------------------------ */

SEG_TEST(fetch_filters_keys_with_the_key_as_prefix) {
    ks_store_t *s = new_store(1000000, 1000, ks_wkey_time);
    static const char a1[] = "a\0";               /* 2 bytes */
    static const char a3[] = "a\0\0\0";           /* 4 bytes */
    static const char a8[] = "a\0\0\0\0\0\0\0\0"; /* 9 bytes */
    uint8_t lo[32], hi[32];
    size_t lolen, hilen;
    ks_iter_t *it;
    kstream_bytes_t k, v, rk;
    int64_t start;
    int all = 0, mine = 0;
    char got[256];

    wput(s, "a", 5, "a5");
    wput(s, "a", 3000, "a3000");
    wput_n(s, a1, 2, 7, "a1");
    wput_n(s, a3, 4, 1000, "a3");
    wput_n(s, a8, 9, 0, "a8");
    wput(s, "b", 5, "b5");

    /* The raw range [a@0 .. a@MAX] also holds longer keys starting "a". */
    lolen = ks_wkey_encode(lo, "a", 1, 0);
    hilen = ks_wkey_encode(hi, "a", 1, INT64_MAX);
    cr_assert(eq(int, s->ops->range(s, lo, lolen, hi, hilen, &it),
                 KSTREAM_OK));
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(ks_wkey_decode(k.data, k.len, &rk, &start));
        all++;
        if (rk.len == 1)
            mine++;
    }
    it->ops->close(it);
    cr_assert(lt(int, mine, all));
    cr_assert(eq(int, mine, 2));

    /* The careful caller (fetch_key) keeps exactly the key's windows. */
    fetch_key(s, "a", 1, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "5=a5 3000=a3000"));
    /* For "a\0" the range also holds "a"@5 ("a" + 00..05, a shorter
     * key), "a\0\0\0"@1000 and "a\0...\0"@0. */
    fetch_key(s, a1, 2, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "7=a1"));
    fetch_key(s, a3, 4, 0, 5000, got, sizeof(got));
    cr_assert(eq(str, got, "1000=a3"));
    fetch_key(s, a8, 9, 0, 0, got, sizeof(got));
    cr_assert(eq(str, got, "0=a8"));
    fetch_key(s, "", 0, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, ""));
}

/* ---- session keys -------------------------------------------------------- */

/* Sessions of exactly `key` with end >= earliest_end and start <=
 * latest_start (Kafka's findSessions): range over
 * [key+earliest_end+0 .. key+MAX+MAX] - the lower bound already gives
 * end >= earliest_end for the key's own sessions - and keep the entries
 * whose record key has the key's length and whose start is <=
 * latest_start. Writes "start-end=value" items. */
static void find_sessions(ks_store_t *s, const void *key, size_t klen,
                          int64_t earliest_end, int64_t latest_start,
                          char *out, size_t outsize) {
    uint8_t lo[64], hi[64];
    size_t lolen = ks_skey_encode(lo, key, klen, 0, earliest_end);
    size_t hilen = ks_skey_encode(hi, key, klen, INT64_MAX, INT64_MAX);
    ks_iter_t *it;
    kstream_bytes_t k, v, rk;
    int64_t start, end;
    size_t used = 0;

    out[0] = '\0';
    cr_assert(eq(int, s->ops->range(s, lo, lolen, hi, hilen, &it),
                 KSTREAM_OK));
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(ks_skey_decode(k.data, k.len, &rk, &start, &end));
        if (rk.len != klen)
            continue; /* a longer key that starts with `key` */
        cr_assert(klen == 0 || memcmp(rk.data, key, klen) == 0);
        cr_assert(end >= earliest_end);
        if (start > latest_start)
            continue;
        used += (size_t)snprintf(out + used, outsize - used, "%s%lld-%lld=%.*s",
                                 used ? " " : "", (long long)start,
                                 (long long)end, (int)v.len,
                                 (const char *)v.data);
        cr_assert(used < outsize);
    }
    it->ops->close(it);
}

static void sput(ks_store_t *s, const void *key, size_t klen, int64_t start,
                 int64_t end, const char *value) {
    uint8_t buf[64];
    size_t n = ks_skey_encode(buf, key, klen, start, end);

    cr_assert(eq(int, s->ops->put(s, buf, n, value,
                                  value ? strlen(value) : 0),
                 KSTREAM_OK));
}

SEG_TEST(session_keys_find_sessions) {
    /* Session stores file a session under its end. */
    ks_store_t *s = new_store(100000, 100, ks_skey_time);
    char got[512];
    uint8_t buf[64];
    size_t n;
    kstream_bytes_t v;

    sput(s, "u", 1, 0, 10, "s1");
    sput(s, "u", 1, 50, 120, "s2");
    sput(s, "u", 1, 300, 300, "s3");
    sput(s, "u", 1, 400, 950, "s4");
    sput(s, "u\0", 2, 60, 130, "other"); /* has "u" as a prefix */
    sput(s, "v", 1, 100, 200, "v1");

    /* Segments by end: 0, 1, 3, 9 (+ 1 for "u\0", 2 for "v"). */
    cr_assert(eq(int, owner.opens, 5));

    n = ks_skey_encode(buf, "u", 1, 50, 120);
    cr_assert(eq(int, s->ops->get(s, buf, n, &v), KSTREAM_OK));
    cr_assert(eq(int, (int)v.len, 2));
    cr_assert(memcmp(v.data, "s2", 2) == 0);

    /* Sessions overlapping or touching [100, 300]. */
    find_sessions(s, "u", 1, 100, 300, got, sizeof(got));
    cr_assert(eq(str, got, "50-120=s2 300-300=s3"));
    /* [10, 10]: the first one only (end 10 >= 10, start 0 <= 10). */
    find_sessions(s, "u", 1, 10, 10, got, sizeof(got));
    cr_assert(eq(str, got, "0-10=s1"));
    /* Everything; "u\0" (which has "u" as a prefix) is not "u". */
    find_sessions(s, "u", 1, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "0-10=s1 50-120=s2 300-300=s3 400-950=s4"));
    find_sessions(s, "u\0", 2, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "60-130=other"));
    find_sessions(s, "v", 1, 150, 160, got, sizeof(got));
    cr_assert(eq(str, got, "100-200=v1"));
    find_sessions(s, "w", 1, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, ""));

    /* Removing a session. */
    sput(s, "u", 1, 300, 300, NULL);
    find_sessions(s, "u", 1, 100, 300, got, sizeof(got));
    cr_assert(eq(str, got, "50-120=s2"));

    /* Retention is by session end: stream time 100100 (live from 101)
     * drops segment 0; s2 (end 120) stays. */
    ks_store_observe_time(s, 100100);
    find_sessions(s, "u", 1, 0, INT64_MAX, got, sizeof(got));
    cr_assert(eq(str, got, "50-120=s2 400-950=s4"));
    cr_assert(was_dropped("0"));
}

/* ---- composite keys ------------------------------------------------------ */

Test(wkeys, window_key_round_trip_and_big_endian) {
    uint8_t buf[32];
    kstream_bytes_t key;
    int64_t start = -1;
    size_t n = ks_wkey_encode(buf, "ab", 2, 0x0102030405060708LL);
    static const uint8_t want[] = {'a', 'b', 1, 2, 3, 4, 5, 6, 7, 8};

    cr_assert(eq(sz, n, 10));
    cr_assert(memcmp(buf, want, n) == 0);
    cr_assert(ks_wkey_decode(buf, n, &key, &start));
    cr_assert(key.data == buf); /* borrowed from the composite key */
    cr_assert(eq(sz, key.len, 2));
    cr_assert(eq(i64, start, 0x0102030405060708LL));
    cr_assert(eq(i64, ks_wkey_time(buf, n), 0x0102030405060708LL));

    /* Empty record key, time 0 and the largest time. */
    n = ks_wkey_encode(buf, NULL, 0, 0);
    cr_assert(eq(sz, n, 8));
    cr_assert(ks_wkey_decode(buf, n, &key, &start));
    cr_assert(eq(sz, key.len, 0));
    cr_assert(eq(i64, start, 0));
    n = ks_wkey_encode(buf, "k", 1, INT64_MAX);
    cr_assert(eq(u8, buf[1], 0x7f));
    cr_assert(eq(u8, buf[8], 0xff));
    cr_assert(ks_wkey_decode(buf, n, &key, &start));
    cr_assert(eq(i64, start, INT64_MAX));
}

Test(wkeys, window_key_decode_validates) {
    uint8_t buf[16] = {0};
    kstream_bytes_t key = {NULL, 0};
    int64_t start = 42;

    cr_assert_not(ks_wkey_decode(buf, 7, &key, &start));
    cr_assert_not(ks_wkey_decode(buf, 0, &key, &start));
    cr_assert(eq(i64, start, 42)); /* untouched on failure */
    cr_assert_null(key.data);
    cr_assert(eq(i64, ks_wkey_time(buf, 7), -1));
    /* A negative time is not a window key. */
    buf[1] = 0x80;
    cr_assert_not(ks_wkey_decode(buf, 9, &key, &start));
    cr_assert(eq(i64, ks_wkey_time(buf, 9), -1));
    cr_assert(ks_wkey_decode(buf, 8 + 2, &key, &start)); /* key "\0\x80" */
}

Test(wkeys, session_key_round_trip_and_layout) {
    uint8_t buf[32];
    kstream_bytes_t key;
    int64_t start = -1, end = -1;
    size_t n = ks_skey_encode(buf, "xyz", 3, 0x11, 0x2233);
    static const uint8_t want[] = {'x', 'y', 'z', 0, 0, 0, 0, 0, 0, 0x22,
                                   0x33, 0, 0, 0, 0, 0, 0, 0, 0x11};

    cr_assert(eq(sz, n, 19));
    cr_assert(memcmp(buf, want, n) == 0); /* key, end, start */
    cr_assert(ks_skey_decode(buf, n, &key, &start, &end));
    cr_assert(key.data == buf);
    cr_assert(eq(sz, key.len, 3));
    cr_assert(eq(i64, start, 0x11));
    cr_assert(eq(i64, end, 0x2233));
    cr_assert(eq(i64, ks_skey_time(buf, n), 0x2233)); /* the end */

    cr_assert_not(ks_skey_decode(buf, 15, &key, &start, &end));
    cr_assert(eq(i64, ks_skey_time(buf, 15), -1));
    n = ks_skey_encode(buf, NULL, 0, 5, 6);
    cr_assert(eq(sz, n, 16));
    cr_assert(ks_skey_decode(buf, n, &key, &start, &end));
    cr_assert(eq(sz, key.len, 0));
    cr_assert(eq(i64, start, 5));
    cr_assert(eq(i64, end, 6));
}

Test(wkeys, encoded_times_sort_like_numbers) {
    static const int64_t times[] = {0,          1,          255,
                                    256,        65535,      65536,
                                    1LL << 31,  (1LL << 32) + 1,
                                    1LL << 56,  INT64_MAX - 1,
                                    INT64_MAX};
    size_t n = sizeof(times) / sizeof(times[0]), i;
    uint8_t a[32], b[32];
    size_t alen, blen;

    for (i = 0; i + 1 < n; i++) {
        alen = ks_wkey_encode(a, "key", 3, times[i]);
        blen = ks_wkey_encode(b, "key", 3, times[i + 1]);
        cr_assert(lt(int, ks_key_cmp(a, alen, b, blen), 0), "%zu", i);
        /* Sessions: by end first, then start. */
        alen = ks_skey_encode(a, "key", 3, times[n - 1 - i], times[i]);
        blen = ks_skey_encode(b, "key", 3, 0, times[i + 1]);
        cr_assert(lt(int, ks_key_cmp(a, alen, b, blen), 0), "%zu", i);
        alen = ks_skey_encode(a, "key", 3, times[i], times[i]);
        blen = ks_skey_encode(b, "key", 3, times[i + 1], times[i]);
        cr_assert(lt(int, ks_key_cmp(a, alen, b, blen), 0), "%zu", i);
    }
}

/* ---- ks_store_observe_time through a stack ------------------------------- */

/* A wrapper layer without observe_time, as caching or changelog layers. */
static void wrap_close(ks_store_t *s) {
    s->inner->ops->close(s->inner);
}

static const ks_store_ops_t wrap_ops = {
        .kind = "wrapper",
        .close = wrap_close,
};

Test(observe, passes_time_down_to_the_first_layer_that_takes_it) {
    seg_owner_t o;
    ks_store_t *seg, *kv;
    ks_store_t w1 = {&wrap_ops, NULL}, w2 = {&wrap_ops, NULL};
    uint8_t buf[16];
    size_t n = ks_wkey_encode(buf, "k", 1, 10);
    kstream_bytes_t v;

    memset(&o, 0, sizeof(o));
    seg = ks_segmented_new(seg_open, NULL, &o, NULL, 100, 50, ks_wkey_time);
    cr_assert_not_null(seg);
    cr_assert(eq(int, seg->ops->put(seg, buf, n, "v", 1), KSTREAM_OK));
    w2.inner = seg;
    w1.inner = &w2;
    ks_store_observe_time(&w1, 5000);
    cr_assert(eq(int, seg->ops->get(seg, buf, n, &v), KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(u64, seg->ops->approximate_count(seg), 0));
    w1.ops->close(&w1);

    /* A stack where no layer takes it: nothing happens. */
    kv = ks_kv_mem_new();
    cr_assert_not_null(kv);
    w1.inner = kv;
    ks_store_observe_time(&w1, 5000);
    ks_store_observe_time(kv, 5000);
    kv->ops->close(kv);
}

/* ---- randomized: 100k operations against a model ------------------------- */

#define R_KEYS 40
#define R_SEGS 50
#define R_INTERVAL 1000
#define R_TIMES (R_SEGS * R_INTERVAL)
#define R_OPS 100000

/* Record key i of the 40 strings of 0..3 bytes over {'\0', 'a', 'b'}:
 * many are prefixes of others, the hard case for composite keys. */
static size_t rkey(int i, uint8_t *out) {
    static const uint8_t alpha[3] = {0, 'a', 'b'};
    size_t len = 0, j;
    int n = 1; /* strings of length len */

    while (i >= n) {
        i -= n;
        n *= 3;
        len++;
    }
    for (j = 0; j < len; j++) {
        out[j] = alpha[i % 3];
        i /= 3;
    }
    return len;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    uint64_t x = rnd_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rnd_state = x;
    return x;
}

typedef struct rentry {
    uint8_t ck[16]; /* composite key */
    size_t cklen;
    uint32_t value;
} rentry_t;

static int rentry_cmp(const void *a, const void *b) {
    const rentry_t *x = a, *y = b;

    return ks_key_cmp(x->ck, x->cklen, y->ck, y->cklen);
}

/* The model's live entries (time >= min_live), sorted by composite key. */
static size_t model_entries(const uint32_t *model, int64_t min_live,
                            rentry_t *out) {
    size_t n = 0;
    int k;
    int64_t t;

    for (k = 0; k < R_KEYS; k++) {
        uint8_t key[4];
        size_t klen = rkey(k, key);
        for (t = min_live < 0 ? 0 : min_live; t < R_TIMES; t++) {
            uint32_t v = model[(size_t)k * R_TIMES + (size_t)t];
            if (!v)
                continue;
            out[n].cklen = ks_wkey_encode(out[n].ck, key, klen, t);
            out[n].value = v;
            n++;
        }
    }
    qsort(out, n, sizeof(*out), rentry_cmp);
    return n;
}

/* The store's range [lo, hi] (NULL: open) matches the model's entries. */
static void check_range(ks_store_t *s, const rentry_t *want, size_t nwant,
                        const rentry_t *lo, const rentry_t *hi) {
    ks_iter_t *it;
    kstream_bytes_t k, v;
    size_t i = 0;
    uint32_t val;

    cr_assert(eq(int, s->ops->range(s, lo ? lo->ck : NULL, lo ? lo->cklen : 0,
                                    hi ? hi->ck : NULL, hi ? hi->cklen : 0,
                                    &it),
                 KSTREAM_OK));
    while (i < nwant && lo && rentry_cmp(&want[i], lo) < 0)
        i++;
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(i < nwant, "store has more entries than the model");
        cr_assert(hi == NULL || rentry_cmp(&want[i], hi) <= 0);
        cr_assert(eq(int, ks_key_cmp(k.data, k.len, want[i].ck,
                                     want[i].cklen),
                     0),
                  "entry %zu differs", i);
        cr_assert(eq(sz, v.len, 4));
        memcpy(&val, v.data, 4);
        cr_assert(eq(u32, val, want[i].value));
        i++;
    }
    it->ops->close(it);
    cr_assert(i == nwant || (hi && rentry_cmp(&want[i], hi) > 0),
              "store has fewer entries than the model (%zu of %zu)", i, nwant);
}

SEG_TEST(random_puts_match_a_model) {
    /* Retention covers everything until the explicit observe_time. */
    ks_store_t *s = new_store(R_TIMES, R_INTERVAL, ks_wkey_time);
    uint32_t *model = calloc((size_t)R_KEYS * R_TIMES, sizeof(*model));
    rentry_t *want = malloc(R_OPS * sizeof(*want));
    size_t nwant, i, live = 0;
    int64_t min_live;
    int op;

    cr_assert_not_null(model);
    cr_assert_not_null(want);
    rnd_state = 0x9e3779b97f4a7c15ull;
    for (op = 0; op < R_OPS; op++) {
        int k = (int)(rnd() % R_KEYS);
        int64_t t = (int64_t)(rnd() % R_TIMES);
        uint8_t key[4], ck[16];
        size_t klen = rkey(k, key), cklen = ks_wkey_encode(ck, key, klen, t);
        uint32_t *slot = &model[(size_t)k * R_TIMES + (size_t)t];
        if (rnd() % 10 == 0) {
            cr_assert(eq(int, s->ops->put(s, ck, cklen, NULL, 0), KSTREAM_OK));
            live -= *slot != 0;
            *slot = 0;
        } else {
            uint32_t v = (uint32_t)op + 1;
            cr_assert(eq(int, s->ops->put(s, ck, cklen, &v, 4), KSTREAM_OK));
            live += *slot == 0;
            *slot = v;
        }
    }
    cr_assert(eq(int, owner.opens, R_SEGS));
    if (!owner.rocksdb)
        cr_assert(eq(u64, count(s), live));

    /* Random gets, hits and misses. */
    for (i = 0; i < 20000; i++) {
        int k = (int)(rnd() % R_KEYS);
        int64_t t = (int64_t)(rnd() % R_TIMES);
        uint8_t key[4], ck[16];
        size_t klen = rkey(k, key), cklen = ks_wkey_encode(ck, key, klen, t);
        uint32_t m = model[(size_t)k * R_TIMES + (size_t)t], got;
        kstream_bytes_t v;
        kstream_err_t err = s->ops->get(s, ck, cklen, &v);
        if (!m) {
            cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND));
            continue;
        }
        cr_assert(eq(int, err, KSTREAM_OK));
        memcpy(&got, v.data, 4);
        cr_assert(eq(u32, got, m));
    }

    /* Whole store, then random ranges, in composite key order. */
    nwant = model_entries(model, 0, want);
    cr_assert(eq(sz, nwant, live));
    check_range(s, want, nwant, NULL, NULL);
    for (i = 0; i < 20; i++) {
        const rentry_t *a = &want[rnd() % nwant], *b = &want[rnd() % nwant];
        if (rentry_cmp(a, b) > 0) {
            const rentry_t *tmp = a;
            a = b;
            b = tmp;
        }
        check_range(s, want, nwant, a, b);
        check_range(s, want, nwant, NULL, a);
        check_range(s, want, nwant, b, NULL);
    }

    /* Retention: stream time 2 * R_TIMES - 12345 leaves live times from
     * R_TIMES - 12344: segments below 37 are dropped. */
    ks_store_observe_time(s, 2 * R_TIMES - 12345);
    min_live = R_TIMES - 12345 + 1;
    cr_assert(eq(int, owner.drops, (int)(min_live / R_INTERVAL)));
    nwant = model_entries(model, min_live, want);
    check_range(s, want, nwant, NULL, NULL);
    for (i = 0; i < 10; i++) {
        const rentry_t *a = &want[rnd() % nwant], *b = &want[rnd() % nwant];
        if (rentry_cmp(a, b) > 0) {
            const rentry_t *tmp = a;
            a = b;
            b = tmp;
        }
        check_range(s, want, nwant, a, b);
    }
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    free(want);
    free(model);
}
