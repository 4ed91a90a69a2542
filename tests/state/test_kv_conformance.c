/* test_kv_conformance.c - the key-value store contract of lib/state/store.h,
 * run against every bottom-layer implementation: each KV_TEST below is
 * registered twice, in suite kv_memory (ks_kv_mem_new) and in suite
 * kv_rocksdb (ks_kv_rocksdb_open in a scratch directory). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"
#include "tmpdir.h"

/* ---- fixture ------------------------------------------------------------ */

static ks_store_t *store;
static ks_rocksdb_env_t *env;
static char dir[256];
static bool is_memory; /* approximate_count is exact only there */

static void setup_memory(void) {
    store = ks_kv_mem_new();
    cr_assert_not_null(store);
    cr_assert(eq(str, (char *)store->ops->kind, "memory"));
    is_memory = true;
}

static void setup_rocksdb(void) {
    char errstr[512] = "";
    char path[300];

    kt_tmpdir_make(dir, sizeof(dir));
    env = ks_rocksdb_env_new(16 << 20, errstr, sizeof(errstr));
    cr_assert_not_null(env, "%s", errstr);
    snprintf(path, sizeof(path), "%s/store", dir);
    store = ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr));
    cr_assert_not_null(store, "%s", errstr);
    cr_assert(eq(str, (char *)store->ops->kind, "rocksdb"));
    is_memory = false;
}

static void teardown(void) {
    if (store)
        store->ops->close(store);
    store = NULL;
    ks_rocksdb_env_destroy(env);
    env = NULL;
    kt_tmpdir_remove(dir);
}

TestSuite(kv_memory, .init = setup_memory, .fini = teardown, .timeout = 60);
TestSuite(kv_rocksdb, .init = setup_rocksdb, .fini = teardown,
          .timeout = 60);

/* One body, two registered tests. */
#define KV_TEST(name)                                                          \
    static void kv_##name(void);                                               \
    Test(kv_memory, name) {                                                    \
        kv_##name();                                                           \
    }                                                                          \
    Test(kv_rocksdb, name) {                                                   \
        kv_##name();                                                           \
    }                                                                          \
    static void kv_##name(void)

/* ---- helpers -------------------------------------------------------------- */

typedef struct {
    const void *p;
    size_t len;
} bytes_t;

/* A string literal as bytes, NULs included: B() in expressions, BI() in
 * initializers. */
#define BI(s) {(s), sizeof(s) - 1}
#define B(s) ((bytes_t)BI(s))

static void put(bytes_t k, bytes_t v) {
    cr_assert(eq(int, store->ops->put(store, k.p, k.len, v.p, v.len),
                 KSTREAM_OK));
}

static void del(bytes_t k) {
    cr_assert(eq(int, store->ops->put(store, k.p, k.len, NULL, 0),
                 KSTREAM_OK));
}

static void assert_value(bytes_t k, bytes_t want) {
    kstream_bytes_t v = {NULL, 0};

    cr_assert(eq(int, store->ops->get(store, k.p, k.len, &v), KSTREAM_OK));
    cr_assert_not_null(v.data);
    cr_assert(eq(sz, v.len, want.len));
    if (want.len)
        cr_assert(eq(int, memcmp(v.data, want.p, want.len), 0));
}

static void assert_missing(bytes_t k) {
    kstream_bytes_t v = {NULL, 0};

    cr_assert(eq(int, store->ops->get(store, k.p, k.len, &v),
                 KSTREAM_ERR_NOT_FOUND));
}

/* Drain it (and close it), checking its keys are exactly want[0..n), in
 * that order, each with value "v:" + key when check_values. */
static void assert_iter(ks_iter_t *it, const bytes_t *want, size_t n,
                        bool check_values) {
    kstream_bytes_t k, v;
    size_t i = 0;
    kstream_err_t err;

    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        cr_assert(lt(sz, i, n), "more entries than the %zu expected", n);
        cr_assert_not_null(k.data);
        cr_assert_not_null(v.data);
        cr_assert(eq(sz, k.len, want[i].len), "entry %zu", i);
        if (k.len)
            cr_assert(eq(int, memcmp(k.data, want[i].p, k.len), 0),
                      "entry %zu", i);
        if (check_values) {
            cr_assert(eq(sz, v.len, k.len + 2));
            cr_assert(eq(int, memcmp(v.data, "v:", 2), 0));
            if (k.len)
                cr_assert(eq(int, memcmp((const char *)v.data + 2, k.data,
                                         k.len),
                             0));
        }
        i++;
    }
    cr_assert(eq(int, err, KSTREAM_ERR_EMPTY));
    cr_assert(eq(sz, i, n), "got %zu entries, expected %zu", i, n);
    /* The end is sticky. */
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
}

/* Put each key with value "v:" + key. */
static void put_keys(const bytes_t *keys, size_t n) {
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t val[64];
        cr_assert(le(sz, keys[i].len, sizeof(val) - 2));
        memcpy(val, "v:", 2);
        if (keys[i].len)
            memcpy(val + 2, keys[i].p, keys[i].len);
        put(keys[i], (bytes_t){val, keys[i].len + 2});
    }
}

static ks_iter_t *range(const bytes_t *from, const bytes_t *to) {
    ks_iter_t *it = NULL;

    cr_assert(eq(int,
                 store->ops->range(store, from ? from->p : NULL,
                                   from ? from->len : 0, to ? to->p : NULL,
                                   to ? to->len : 0, &it),
                 KSTREAM_OK));
    cr_assert_not_null(it);
    return it;
}

static ks_iter_t *prefix(bytes_t p) {
    ks_iter_t *it = NULL;

    cr_assert(eq(int, store->ops->prefix(store, p.p, p.len, &it),
                 KSTREAM_OK));
    cr_assert_not_null(it);
    return it;
}

/* Exact for memory; for RocksDB an estimate ("rocksdb.estimate-num-keys"),
 * checked to be within a factor of two. */
static void assert_count(uint64_t want) {
    uint64_t got = store->ops->approximate_count(store);

    if (is_memory)
        cr_assert(eq(u64, got, want));
    else
        cr_assert(got >= want / 2 && got <= want * 2,
                  "approximate count %llu, actual %llu",
                  (unsigned long long)got, (unsigned long long)want);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- point operations ----------------------------------------------------- */

KV_TEST(get_of_missing_key_is_not_found) {
    assert_missing(B("nope"));
    assert_missing(B(""));
}

KV_TEST(put_then_get_returns_the_value) {
    put(B("k1"), B("one"));
    put(B("k2"), B("two"));
    assert_value(B("k1"), B("one"));
    assert_value(B("k2"), B("two"));
    assert_missing(B("k3"));
}

KV_TEST(put_copies_key_and_value) {
    char k[8] = "key", v[8] = "value";

    put((bytes_t){k, 3}, (bytes_t){v, 5});
    memset(k, 'x', sizeof(k));
    memset(v, 'y', sizeof(v));
    assert_value(B("key"), B("value"));
}

KV_TEST(overwrite_replaces_the_value_whatever_its_size) {
    static uint8_t big[5000], bigger[20000];
    size_t i;

    for (i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    for (i = 0; i < sizeof(bigger); i++)
        bigger[i] = (uint8_t)(i * 13 + 1);
    put(B("k"), B("12345678"));
    put(B("k"), B("abc"));
    assert_value(B("k"), B("abc"));
    put(B("k"), B("0123456789abcdef0123"));
    assert_value(B("k"), B("0123456789abcdef0123"));
    put(B("k"), (bytes_t){big, sizeof(big)});
    assert_value(B("k"), (bytes_t){big, sizeof(big)});
    put(B("k"), B("x"));
    assert_value(B("k"), B("x"));
    put(B("k"), (bytes_t){bigger, sizeof(bigger)});
    assert_value(B("k"), (bytes_t){bigger, sizeof(bigger)});
    put(B("k"), B(""));
    assert_value(B("k"), B(""));
    /* RocksDB counts overwrites in a memtable until it is flushed. */
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    assert_count(1);
}

KV_TEST(put_null_deletes) {
    put(B("a"), B("1"));
    put(B("b"), B("2"));
    del(B("a"));
    assert_missing(B("a"));
    assert_value(B("b"), B("2"));
    del(B("a"));       /* deleting twice is fine */
    del(B("never")); /* so is deleting a missing key */
    assert_missing(B("never"));
    put(B("a"), B("again"));
    assert_value(B("a"), B("again"));
}

KV_TEST(empty_key_and_empty_value_are_not_missing) {
    kstream_bytes_t v = {NULL, 99};

    put(B(""), B("value of the empty key"));
    assert_value(B(""), B("value of the empty key"));
    put(B("k"), B(""));
    cr_assert(eq(int, store->ops->get(store, "k", 1, &v), KSTREAM_OK));
    cr_assert_not_null(v.data);
    cr_assert(eq(sz, v.len, 0));
    put(B(""), B(""));
    assert_value(B(""), B(""));
    assert_missing(B("k\0"));
    del(B(""));
    assert_missing(B(""));
    assert_value(B("k"), B(""));
}

KV_TEST(binary_keys_with_nul_bytes_are_distinct) {
    put(B("a\0b"), B("1"));
    put(B("a\0c"), B("2"));
    put(B("a"), B("3"));
    put(B("a\0"), B("4"));
    put(B("\0"), B("5"));
    put(B("\0\0"), B("6"));
    assert_value(B("a\0b"), B("1"));
    assert_value(B("a\0c"), B("2"));
    assert_value(B("a"), B("3"));
    assert_value(B("a\0"), B("4"));
    assert_value(B("\0"), B("5"));
    assert_value(B("\0\0"), B("6"));
    assert_missing(B("a\0d"));
    assert_missing(B(""));
    assert_count(6);
}

KV_TEST(binary_values_with_nul_bytes_round_trip) {
    put(B("k"), B("\0\xff\0x\0"));
    assert_value(B("k"), B("\0\xff\0x\0"));
}

KV_TEST(put_if_absent_returns_the_existing_value) {
    kstream_bytes_t existing = {"junk", 4};

    cr_assert(eq(int,
                 ks_store_put_if_absent(store, "k", 1, "first", 5, &existing),
                 KSTREAM_OK));
    cr_assert_null(existing.data);
    cr_assert(eq(sz, existing.len, 0));
    assert_value(B("k"), B("first"));

    cr_assert(eq(int,
                 ks_store_put_if_absent(store, "k", 1, "second", 6,
                                        &existing),
                 KSTREAM_OK));
    cr_assert_not_null(existing.data);
    cr_assert(eq(sz, existing.len, 5));
    cr_assert(eq(int, memcmp(existing.data, "first", 5), 0));
    assert_value(B("k"), B("first"));

    /* An empty existing value is existing. */
    put(B("e"), B(""));
    cr_assert(eq(int,
                 ks_store_put_if_absent(store, "e", 1, "x", 1, &existing),
                 KSTREAM_OK));
    cr_assert_not_null(existing.data);
    cr_assert(eq(sz, existing.len, 0));
    assert_value(B("e"), B(""));
    cr_assert(eq(int, ks_store_put_if_absent(store, "n", 1, "y", 1, NULL),
                 KSTREAM_OK));
    assert_value(B("n"), B("y"));
}

KV_TEST(flush_keeps_the_data) {
    put(B("a"), B("1"));
    put(B("b"), B("2"));
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    assert_value(B("a"), B("1"));
    put(B("a"), B("3"));
    del(B("b"));
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    assert_value(B("a"), B("3"));
    assert_missing(B("b"));
}

KV_TEST(approximate_count_follows_puts_and_deletes) {
    char k[16];
    int i;

    assert_count(0);
    for (i = 0; i < 300; i++) {
        snprintf(k, sizeof(k), "key%04d", i);
        put((bytes_t){k, strlen(k)}, B("v"));
    }
    assert_count(300);
    for (i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "key%04d", i);
        del((bytes_t){k, strlen(k)});
    }
    assert_count(200);
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    assert_count(200);
    for (i = 100; i < 300; i++) {
        snprintf(k, sizeof(k), "key%04d", i);
        del((bytes_t){k, strlen(k)});
    }
    cr_assert(eq(u64, store->ops->approximate_count(store), 0));
}

/* ---- order and iteration -------------------------------------------------- */

Test(kv_order, key_cmp_is_memcmp_then_shorter_first) {
    cr_assert(lt(int, ks_key_cmp("a", 1, "a\0", 2), 0));
    cr_assert(lt(int, ks_key_cmp("a\0", 2, "ab", 2), 0));
    cr_assert(lt(int, ks_key_cmp("ab", 2, "b", 1), 0));
    cr_assert(lt(int, ks_key_cmp("", 0, "\0", 1), 0));
    cr_assert(lt(int, ks_key_cmp("\x7f", 1, "\x80", 1), 0)); /* unsigned */
    cr_assert(lt(int, 0, ks_key_cmp("b", 1, "a\xff\xff", 3)));
    cr_assert(eq(int, ks_key_cmp("ab", 2, "ab", 2), 0));
    cr_assert(eq(int, ks_key_cmp(NULL, 0, "", 0), 0));
    cr_assert(lt(int, 0, ks_key_cmp("a", 1, NULL, 0)));
}

/* In byte order: memcmp, then shorter first. */
static const bytes_t ordered[] = {
        BI(""),     BI("\0"), BI("B"),  BI("a"),        BI("a\0"),
        BI("a\0b"), BI("ab"), BI("ab\xff"), BI("b"),    BI("\x80"),
        BI("\xff"), BI("\xff\xff"),
};

static void put_ordered_shuffled(void) {
    static const int order[] = {7, 2, 11, 0, 9, 4, 1, 10, 3, 8, 6, 5};
    size_t i;

    cr_assert(eq(sz, N_OF(order), N_OF(ordered)));
    for (i = 0; i < N_OF(order); i++)
        put_keys(&ordered[order[i]], 1);
}

KV_TEST(all_iterates_in_byte_order) {
    ks_iter_t *it = NULL;

    put_ordered_shuffled();
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    assert_iter(it, ordered, N_OF(ordered), true);
}

KV_TEST(all_of_an_empty_store_is_empty) {
    ks_iter_t *it = NULL;

    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    assert_iter(it, NULL, 0, false);
}

KV_TEST(range_is_inclusive_at_both_ends) {
    bytes_t from = B("a"), to = B("ab");

    put_ordered_shuffled();
    /* a, a\0, a\0b, ab */
    assert_iter(range(&from, &to), &ordered[3], 4, true);
    /* Bounds that are not keys. */
    from = B("C");
    to = B("a\0a");
    assert_iter(range(&from, &to), &ordered[3], 2, true);
    /* from == to: the one key. */
    from = B("ab");
    to = B("ab");
    assert_iter(range(&from, &to), &ordered[6], 1, true);
    from = B("aa");
    to = B("aa");
    assert_iter(range(&from, &to), NULL, 0, true);
}

KV_TEST(range_to_excludes_keys_that_extend_it) {
    /* "ab\xff" and "ab\0"-like keys sort after "ab": an inclusive `to` is
     * exactly "<= ab", not a prefix. */
    static const bytes_t keys[] = {BI("aa"), BI("ab"), BI("ab\0"), BI("ab\0\0"),
                                   BI("ab\x01"), BI("abc")};
    bytes_t to = B("ab"), to0 = B("ab\0");

    put_keys(keys, N_OF(keys));
    assert_iter(range(NULL, &to), keys, 2, true);
    assert_iter(range(NULL, &to0), keys, 3, true);
}

KV_TEST(range_with_open_bounds) {
    bytes_t from = B("b"), to = B("a\0");

    put_ordered_shuffled();
    assert_iter(range(NULL, &to), ordered, 5, true);
    assert_iter(range(&from, NULL), &ordered[8], 4, true);
    assert_iter(range(NULL, NULL), ordered, N_OF(ordered), true);
    /* The empty key is a real bound, not an open one. */
    from = B("");
    to = B("");
    assert_iter(range(&from, &to), ordered, 1, true);
}

KV_TEST(range_with_from_after_to_is_empty) {
    bytes_t from = B("b"), to = B("a");

    put_ordered_shuffled();
    assert_iter(range(&from, &to), NULL, 0, true);
    from = B("a\0");
    to = B("a");
    assert_iter(range(&from, &to), NULL, 0, true);
}

KV_TEST(prefix_returns_the_keys_that_start_with_it_in_order) {
    static const bytes_t keys[] = {BI("a"),   BI("ab"), BI("ab\0"), BI("abc"),
                                   BI("abd"), BI("ac"), BI("b"),    BI("")};
    static const bytes_t want_ab[] = {BI("ab"), BI("ab\0"), BI("abc"), BI("abd")};
    static const bytes_t want_all[] = {BI(""),    BI("a"),   BI("ab"),
                                       BI("ab\0"), BI("abc"), BI("abd"),
                                       BI("ac"),  BI("b")};

    put_keys(keys, N_OF(keys));
    assert_iter(prefix(B("ab")), want_ab, N_OF(want_ab), true);
    assert_iter(prefix(B("abc")), &want_ab[2], 1, true);
    assert_iter(prefix(B("z")), NULL, 0, true);
    assert_iter(prefix(B("abcd")), NULL, 0, true);
    assert_iter(prefix(B("")), want_all, N_OF(want_all), true);
}

KV_TEST(prefix_of_0xff_bytes) {
    static const bytes_t keys[] = {BI("\xfe"),         BI("\xfe\xff"),
                                   BI("\xff"),         BI("\xff\x00"),
                                   BI("\xff\xfe\xff"), BI("\xff\xff"),
                                   BI("\xff\xff\x00"), BI("\xff\xff\xff"),
                                   BI("a\xff"),        BI("a\xff\x01"),
                                   BI("b")};

    put_keys(keys, N_OF(keys));
    assert_iter(prefix(B("\xff\xff")), &keys[5], 3, true);
    assert_iter(prefix(B("\xff")), &keys[2], 6, true);
    assert_iter(prefix(B("\xfe")), &keys[0], 2, true);
    /* Prefix "a\xff": its upper bound is "b", which must stay out. */
    assert_iter(prefix(B("a\xff")), &keys[8], 2, true);
}

KV_TEST(iterator_entries_stay_valid_until_its_next_call) {
    static const bytes_t keys[] = {BI("k1"), BI("k2"), BI("k3")};
    ks_iter_t *it = NULL;
    kstream_bytes_t k, v, k2, v2;

    put_keys(keys, N_OF(keys));
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    /* Other calls on the store leave the borrowed entry alone. */
    assert_value(B("k2"), B("v:k2"));
    put(B("k9"), B("v:k9"));
    put(B("k1"), B("changed"));
    cr_assert(eq(sz, k.len, 2));
    cr_assert(eq(int, memcmp(k.data, "k1", 2), 0));
    cr_assert(eq(sz, v.len, 4));
    cr_assert(eq(int, memcmp(v.data, "v:k1", 4), 0));
    cr_assert(eq(int, it->ops->next(it, &k2, &v2), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k2.data, "k2", 2), 0));
    it->ops->close(it);
}

KV_TEST(two_iterators_are_independent) {
    static const bytes_t keys[] = {BI("a"), BI("b"), BI("c")};
    ks_iter_t *i1 = NULL, *i2 = NULL;
    kstream_bytes_t k, v;

    put_keys(keys, N_OF(keys));
    cr_assert(eq(int, ks_store_all(store, &i1), KSTREAM_OK));
    cr_assert(eq(int, i1->ops->next(i1, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, i1->ops->next(i1, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "b", 1), 0));
    cr_assert(eq(int, ks_store_all(store, &i2), KSTREAM_OK));
    assert_iter(i2, keys, 3, true);
    cr_assert(eq(int, i1->ops->next(i1, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "c", 1), 0));
    i1->ops->close(i1);
}

KV_TEST(closing_an_iterator_early_is_fine) {
    static const bytes_t keys[] = {BI("a"), BI("b")};
    ks_iter_t *it = NULL;
    kstream_bytes_t k, v;

    put_keys(keys, N_OF(keys));
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    it->ops->close(it); /* before the first next */
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    it->ops->close(it);
}

/* Writes while an iterator is open: whatever view the store gives (RocksDB:
 * the view at creation; memory: live), keys come out strictly increasing,
 * in bounds, with sane values, and nothing crashes. */
KV_TEST(modifying_the_store_while_iterating_is_safe) {
    char k[32], prev[32] = "";
    size_t prev_len = 0, n = 0;
    kstream_bytes_t key, val;
    ks_iter_t *it = NULL;
    bytes_t from = B("k0100"), to = B("k0399");
    int i;

    for (i = 0; i < 500; i += 2) {
        snprintf(k, sizeof(k), "k%04d", i);
        put((bytes_t){k, 5}, (bytes_t){k, 5});
    }
    it = range(&from, &to);
    while (it->ops->next(it, &key, &val) == KSTREAM_OK) {
        int at;
        cr_assert(eq(sz, key.len, 5));
        cr_assert(lt(int, 0, ks_key_cmp(key.data, key.len, prev, prev_len)),
                  "keys must increase");
        cr_assert(ge(int, ks_key_cmp(key.data, key.len, from.p, from.len),
                     0));
        cr_assert(le(int, ks_key_cmp(key.data, key.len, to.p, to.len), 0));
        cr_assert(eq(sz, val.len, 5)); /* every value written was the key */
        memcpy(prev, key.data, key.len);
        prev_len = key.len;
        at = atoi(prev + 1);
        /* Delete what was just returned, and its neighbours; insert keys
         * behind and ahead; overwrite ahead with values of the same size;
         * and some churn of new keys to reshape the store. */
        del((bytes_t){prev, 5});
        snprintf(k, sizeof(k), "k%04d", at + 2);
        del((bytes_t){k, 5});
        snprintf(k, sizeof(k), "k%04d", at - 1);
        put((bytes_t){k, 5}, (bytes_t){k, 5});
        snprintf(k, sizeof(k), "k%04d", at + 1);
        put((bytes_t){k, 5}, (bytes_t){k, 5});
        snprintf(k, sizeof(k), "k%04d", at + 4);
        put((bytes_t){k, 5}, B("xxxxx"));
        for (i = 0; i < 20; i++) {
            snprintf(k, sizeof(k), "z%04zu-%02d", n, i);
            put((bytes_t){k, strlen(k)}, B("zzzzz"));
        }
        n++;
        cr_assert(lt(sz, n, 1000));
    }
    it->ops->close(it);
    cr_assert(lt(sz, 0, n));
}

KV_TEST(deleting_every_key_while_iterating_empties_the_store) {
    char k[16];
    kstream_bytes_t key, val;
    ks_iter_t *it = NULL;
    int i, n = 0;

    for (i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "key%03d", i);
        put((bytes_t){k, strlen(k)}, B("v"));
    }
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    while (it->ops->next(it, &key, &val) == KSTREAM_OK) {
        /* The borrowed key itself is the argument of the delete. */
        cr_assert(eq(int, store->ops->put(store, key.data, key.len, NULL, 0),
                     KSTREAM_OK));
        n++;
    }
    it->ops->close(it);
    cr_assert(eq(int, n, 200));
    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    assert_iter(it, NULL, 0, false);
    cr_assert(eq(u64, store->ops->approximate_count(store), 0));
}

/* ---- randomized, against a reference model -------------------------------- */

/* The model: a sorted array of (key, value), keys at most 4 bytes from a
 * 4-letter alphabet with NUL and 0xff, so keys collide and order edge
 * cases come up all the time. */
typedef struct {
    uint8_t k[4];
    size_t klen;
    uint8_t *v;
    size_t vlen;
} model_entry_t;

typedef struct {
    model_entry_t e[400];
    size_t n;
} model_t;

static uint64_t rng_state;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_key(uint8_t *k, size_t *klen) {
    static const uint8_t alphabet[] = {0x00, 'a', 'b', 0xff};
    size_t i;

    *klen = rnd() % 5;
    for (i = 0; i < *klen; i++)
        k[i] = alphabet[rnd() % 4];
}

/* Index of the first entry >= key; *found when equal. */
static size_t model_seek(const model_t *m, const uint8_t *k, size_t klen,
                         bool *found) {
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ks_key_cmp(m->e[mid].k, m->e[mid].klen, k, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < m->n && ks_key_cmp(m->e[lo].k, m->e[lo].klen, k, klen) == 0;
    return lo;
}

static void model_put(model_t *m, const uint8_t *k, size_t klen,
                      const uint8_t *v, size_t vlen) {
    bool found;
    size_t i = model_seek(m, k, klen, &found);
    model_entry_t *e = &m->e[i];

    if (!v) {
        if (found) {
            free(e->v);
            memmove(e, e + 1, (m->n - i - 1) * sizeof(*e));
            m->n--;
        }
        return;
    }
    if (!found) {
        cr_assert(lt(sz, m->n, N_OF(m->e)));
        memmove(e + 1, e, (m->n - i) * sizeof(*e));
        m->n++;
        memcpy(e->k, k, klen);
        e->klen = klen;
        e->v = NULL;
    }
    free(e->v);
    e->v = malloc(vlen ? vlen : 1);
    cr_assert_not_null(e->v);
    if (vlen)
        memcpy(e->v, v, vlen);
    e->vlen = vlen;
}

/* Drain it, checking it yields exactly model entries [lo, hi). */
static void check_iter(const model_t *m, ks_iter_t *it, size_t lo,
                       size_t hi) {
    kstream_bytes_t k, v;
    size_t i = lo;

    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        const model_entry_t *e;
        cr_assert(lt(sz, i, hi), "extra entry");
        e = &m->e[i];
        cr_assert(eq(sz, k.len, e->klen));
        cr_assert(eq(int, ks_key_cmp(k.data, k.len, e->k, e->klen), 0));
        cr_assert(eq(sz, v.len, e->vlen));
        if (v.len)
            cr_assert(eq(int, memcmp(v.data, e->v, v.len), 0));
        i++;
    }
    cr_assert(eq(sz, i, hi), "missing entries");
    it->ops->close(it);
}

KV_TEST(random_operations_match_a_reference_model) {
    static model_t m;
    uint8_t k[4], k2[4], v[300];
    size_t klen, k2len, vlen, i;
    int op;

    rng_state = 0x9e3779b97f4a7c15ull;
    memset(&m, 0, sizeof(m));
    for (op = 0; op < 10000; op++) {
        uint64_t r = rnd() % 100;
        bool found;
        kstream_bytes_t got;
        kstream_err_t err;
        ks_iter_t *it = NULL;

        random_key(k, &klen);
        if (r < 45) { /* put */
            vlen = rnd() % 10 == 0 ? rnd() % sizeof(v) : rnd() % 24;
            for (i = 0; i < vlen; i++)
                v[i] = (uint8_t)rnd();
            model_put(&m, k, klen, v, vlen);
            cr_assert(eq(int, store->ops->put(store, k, klen, v, vlen),
                         KSTREAM_OK));
        } else if (r < 65) { /* delete */
            model_put(&m, k, klen, NULL, 0);
            cr_assert(eq(int, store->ops->put(store, k, klen, NULL, 0),
                         KSTREAM_OK));
        } else if (r < 90) { /* get */
            i = model_seek(&m, k, klen, &found);
            err = store->ops->get(store, k, klen, &got);
            if (!found) {
                cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND), "op %d", op);
                continue;
            }
            cr_assert(eq(int, err, KSTREAM_OK), "op %d", op);
            cr_assert_not_null(got.data);
            cr_assert(eq(sz, got.len, m.e[i].vlen), "op %d", op);
            if (got.len)
                cr_assert(eq(int, memcmp(got.data, m.e[i].v, got.len), 0));
        } else if (r < 95) { /* range, bounds open or not */
            size_t lo = 0, hi = m.n;
            bool has_from = rnd() % 4 != 0, has_to = rnd() % 4 != 0;
            random_key(k2, &k2len);
            if (has_from)
                lo = model_seek(&m, k, klen, &found);
            if (has_to) {
                hi = model_seek(&m, k2, k2len, &found);
                if (found)
                    hi++;
            }
            if (hi < lo)
                hi = lo;
            cr_assert(eq(int,
                         store->ops->range(store, has_from ? k : NULL, klen,
                                           has_to ? k2 : NULL, k2len, &it),
                         KSTREAM_OK));
            check_iter(&m, it, lo, hi);
        } else { /* prefix */
            size_t lo = model_seek(&m, k, klen, &found), hi = lo;
            while (hi < m.n && m.e[hi].klen >= klen &&
                   (klen == 0 || memcmp(m.e[hi].k, k, klen) == 0))
                hi++;
            cr_assert(eq(int, store->ops->prefix(store, k, klen, &it),
                         KSTREAM_OK));
            check_iter(&m, it, lo, hi);
        }
        if (op % 2500 == 2499)
            cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    }
    {
        ks_iter_t *it = NULL;
        cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
        check_iter(&m, it, 0, m.n);
    }
    if (is_memory)
        cr_assert(eq(u64, store->ops->approximate_count(store), m.n));
    for (i = 0; i < m.n; i++)
        free(m.e[i].v);
}
