/* test_txn.c - the transactional layer (lib/state/txn.c, store.h
 * "transactional state"): the key-value contract through the layer (as
 * test_kv_conformance.c checks it for bottom stores), reads of uncommitted
 * writes, abort, commit and the offset, RocksDB reopen and "crash" (the
 * layer closed without a commit), and segmented stores below the layer.
 * Each TXN_TEST runs in suite txn_memory (over ks_kv_mem_new) and in
 * suite txn_rocksdb (over ks_kv_rocksdb_open in a scratch directory). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <rocksdb/c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"
#include "tmpdir.h"

/* ---- fixture ------------------------------------------------------------ */

static ks_store_t *store; /* the layer */
static ks_rocksdb_env_t *env;
static char dir[256], path[400];
static bool is_memory;

static void open_rocksdb(void) {
    char errstr[512] = "";
    ks_store_t *in = ks_kv_rocksdb_open(env, path, errstr, sizeof(errstr));

    cr_assert_not_null(in, "%s", errstr);
    store = ks_txn_wrap(in);
    cr_assert_not_null(store);
}

static void setup_memory(void) {
    store = ks_txn_wrap(ks_kv_mem_new());
    cr_assert_not_null(store);
    cr_assert(eq(str, (char *)store->ops->kind, "txn"));
    is_memory = true;
}

static void setup_rocksdb(void) {
    char errstr[512] = "";

    kt_tmpdir_make(dir, sizeof(dir));
    env = ks_rocksdb_env_new(16 << 20, errstr, sizeof(errstr));
    cr_assert_not_null(env, "%s", errstr);
    snprintf(path, sizeof(path), "%s/store", dir);
    open_rocksdb();
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

TestSuite(txn_memory, .init = setup_memory, .fini = teardown, .timeout = 60);
TestSuite(txn_rocksdb, .init = setup_rocksdb, .fini = teardown,
          .timeout = 60);

#define TXN_TEST(name)                                                         \
    static void txn_##name(void);                                              \
    Test(txn_memory, name) {                                                   \
        txn_##name();                                                          \
    }                                                                          \
    Test(txn_rocksdb, name) {                                                  \
        txn_##name();                                                          \
    }                                                                          \
    static void txn_##name(void)

/* ---- helpers -------------------------------------------------------------- */

typedef struct {
    const void *p;
    size_t len;
} bytes_t;

#define BI(s) {(s), sizeof(s) - 1}
#define B(s) ((bytes_t)BI(s))
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

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

/* Drain and close it: keys exactly want[0..n) in order. */
static void assert_keys(ks_iter_t *it, const bytes_t *want, size_t n) {
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
        i++;
    }
    cr_assert(eq(int, err, KSTREAM_ERR_EMPTY));
    cr_assert(eq(sz, i, n), "got %zu entries, expected %zu", i, n);
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
}

static ks_iter_t *all(void) {
    ks_iter_t *it = NULL;

    cr_assert(eq(int, ks_store_all(store, &it), KSTREAM_OK));
    return it;
}

static void commit(int64_t offset) {
    cr_assert(eq(int, ks_txn_commit(store, offset), KSTREAM_OK));
    cr_assert(eq(i64, ks_txn_offset(store), offset));
    cr_assert(eq(sz, ks_txn_pending(store), 0));
}

static void assert_count(uint64_t want) {
    uint64_t got = store->ops->approximate_count(store);

    if (is_memory)
        cr_assert(eq(u64, got, want));
    else
        cr_assert(got >= want / 2 && got <= want * 2,
                  "approximate count %llu, actual %llu",
                  (unsigned long long)got, (unsigned long long)want);
}

/* ---- the contract through the layer --------------------------------------- */

TXN_TEST(uncommitted_writes_are_read_back) {
    assert_missing(B("k"));
    cr_assert(eq(i64, ks_txn_offset(store), -1));
    put(B("k"), B("v1"));
    assert_value(B("k"), B("v1"));
    put(B("k"), B("a longer value than before"));
    assert_value(B("k"), B("a longer value than before"));
    put(B("e"), B(""));
    assert_value(B("e"), B(""));
    put(B(""), B("empty key"));
    assert_value(B(""), B("empty key"));
    cr_assert(eq(sz, ks_txn_pending(store), 3));
    cr_assert(lt(sz, 0, ks_txn_bytes(store)));
    {
        static const bytes_t want[] = {BI(""), BI("e"), BI("k")};
        assert_keys(all(), want, N_OF(want));
    }
}

TXN_TEST(buffered_delete_hides_the_committed_key) {
    static const bytes_t ab[] = {BI("a"), BI("b")}, b[] = {BI("b")};

    put(B("a"), B("1"));
    put(B("b"), B("2"));
    commit(10);
    del(B("a"));
    assert_missing(B("a"));
    assert_keys(all(), b, 1);
    assert_count(1);
    put(B("a"), B("again"));
    assert_value(B("a"), B("again"));
    assert_keys(all(), ab, 2);
    del(B("a"));
    del(B("never"));
    assert_missing(B("never"));
    commit(11);
    assert_missing(B("a"));
    assert_keys(all(), b, 1);
    assert_count(1);
}

TXN_TEST(abort_restores_the_exact_previous_contents) {
    static const bytes_t before[] = {BI("a"), BI("b"), BI("c")};
    bytes_t from = B("a\0"), to = B("c");
    ks_iter_t *it = NULL;

    put(B("a"), B("1"));
    put(B("b"), B("2"));
    put(B("c"), B("3"));
    commit(5);
    put(B("a"), B("changed"));
    del(B("b"));
    put(B("a\0x"), B("new"));
    put(B("d"), B("new"));
    assert_count(4);
    ks_txn_abort(store);
    cr_assert(eq(sz, ks_txn_pending(store), 0));
    cr_assert(eq(i64, ks_txn_offset(store), 5));
    assert_value(B("a"), B("1"));
    assert_value(B("b"), B("2"));
    assert_value(B("c"), B("3"));
    assert_missing(B("d"));
    assert_missing(B("a\0x"));
    assert_keys(all(), before, 3);
    cr_assert(eq(int, store->ops->range(store, from.p, from.len, to.p,
                                        to.len, &it),
                 KSTREAM_OK));
    assert_keys(it, &before[1], 2);
    cr_assert(eq(int, store->ops->prefix(store, "a", 1, &it), KSTREAM_OK));
    assert_keys(it, before, 1);
    assert_count(3);
}

TXN_TEST(commit_applies_to_the_inner_store_and_moves_the_offset) {
    ks_store_t *in = store->inner;
    kstream_bytes_t v;

    put(B("k"), B("v"));
    cr_assert(eq(int, in->ops->get(in, "k", 1, &v), KSTREAM_ERR_NOT_FOUND));
    commit(42);
    cr_assert(eq(int, in->ops->get(in, "k", 1, &v), KSTREAM_OK));
    cr_assert(eq(sz, v.len, 1));
    /* An empty transaction moves the offset too. */
    commit(43);
    assert_value(B("k"), B("v"));
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
}

TXN_TEST(ranges_merge_buffer_and_inner_in_key_order) {
    static const bytes_t committed[] = {BI("\0"), BI("a"), BI("ab"),
                                        BI("b"), BI("\xff")};
    static const bytes_t merged[] = {BI(""),   BI("\0"), BI("a"),
                                     BI("a\0"), BI("ab"), BI("ab\xff"),
                                     BI("\xff"), BI("\xff\xff")};
    static const bytes_t want_ab[] = {BI("ab"), BI("ab\xff")};
    bytes_t from = B("a"), to = B("ab");
    ks_iter_t *it = NULL;
    size_t i;

    for (i = 0; i < N_OF(committed); i++)
        put(committed[i], B("c"));
    commit(1);
    put(B("a\0"), B("n"));
    put(B(""), B("n"));
    put(B("ab\xff"), B("n"));
    put(B("\xff\xff"), B("n"));
    put(B("a"), B("overwritten"));
    del(B("b"));
    assert_keys(all(), merged, N_OF(merged));
    cr_assert(eq(int, store->ops->range(store, from.p, from.len, to.p,
                                        to.len, &it),
                 KSTREAM_OK));
    assert_keys(it, &merged[2], 3);
    cr_assert(eq(int, store->ops->prefix(store, "ab", 2, &it), KSTREAM_OK));
    assert_keys(it, want_ab, 2);
    cr_assert(eq(int, store->ops->prefix(store, "\xff", 1, &it),
                 KSTREAM_OK));
    assert_keys(it, &merged[6], 2);
    /* from > to */
    cr_assert(eq(int, store->ops->range(store, "b", 1, "a", 1, &it),
                 KSTREAM_OK));
    assert_keys(it, NULL, 0);
    /* Values: the buffer's shadow the inner store's. */
    cr_assert(eq(int, store->ops->range(store, "a", 1, "a", 1, &it),
                 KSTREAM_OK));
    {
        kstream_bytes_t k, v;
        cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
        cr_assert(eq(sz, v.len, 11));
        cr_assert(eq(int, memcmp(v.data, "overwritten", 11), 0));
        it->ops->close(it);
    }
}

TXN_TEST(iterators_survive_puts_commits_and_aborts) {
    ks_iter_t *it = all();
    kstream_bytes_t k, v;

    (void)it;
    it->ops->close(it);
    put(B("a"), B("1"));
    put(B("c"), B("3"));
    commit(1);
    put(B("b"), B("2"));
    it = all();
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "a", 1), 0));
    /* The entry stays valid whatever the store does. */
    put(B("a"), B("changed"));
    put(B("bb"), B("x"));
    commit(2);
    cr_assert(eq(sz, k.len, 1));
    cr_assert(eq(int, memcmp(k.data, "a", 1), 0));
    cr_assert(eq(int, memcmp(v.data, "1", 1), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "b", 1), 0));
    put(B("ba"), B("y"));
    ks_txn_abort(store); /* "ba" goes */
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(sz, k.len, 2));
    cr_assert(eq(int, memcmp(k.data, "bb", 2), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "c", 1), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
}

TXN_TEST(deleting_every_key_while_iterating_empties_the_store) {
    char key[16];
    kstream_bytes_t k, v;
    ks_iter_t *it;
    int i, n = 0;

    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "key%03d", i);
        put((bytes_t){key, strlen(key)}, B("v"));
        if (i == 99)
            commit(1);
    }
    it = all();
    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        cr_assert(eq(int, store->ops->put(store, k.data, k.len, NULL, 0),
                     KSTREAM_OK));
        n++;
    }
    it->ops->close(it);
    cr_assert(eq(int, n, 200));
    assert_keys(all(), NULL, 0);
    cr_assert(eq(u64, store->ops->approximate_count(store), 0));
    commit(2);
    assert_keys(all(), NULL, 0);
}

TXN_TEST(written_count_leaves_out_the_open_transaction) {
    put(B("a"), B("1"));
    commit(1);
    put(B("b"), B("2"));
    put(B("c"), B("3"));
    if (is_memory) {
        cr_assert(eq(u64, ks_store_written_count(store), 1));
        cr_assert(eq(u64, store->ops->approximate_count(store), 3));
    }
    commit(2);
    if (is_memory)
        cr_assert(eq(u64, ks_store_written_count(store), 3));
}

TXN_TEST(put_if_absent_sees_the_buffer) {
    kstream_bytes_t existing;

    cr_assert(eq(int, ks_store_put_if_absent(store, "k", 1, "x", 1,
                                             &existing),
                 KSTREAM_OK));
    cr_assert_null(existing.data);
    cr_assert(eq(int, ks_store_put_if_absent(store, "k", 1, "y", 1,
                                             &existing),
                 KSTREAM_OK));
    cr_assert(eq(sz, existing.len, 1));
    cr_assert(eq(int, memcmp(existing.data, "x", 1), 0));
}

/* ---- randomized, against a model with commits and aborts ------------------ */

#define MODEL_KEYS 341 /* keys of 0..4 bytes over {0, 'a', 'b', 0xff} */

typedef struct {
    bool has[MODEL_KEYS];
    uint8_t v[MODEL_KEYS][32];
    size_t vlen[MODEL_KEYS];
} model_t;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Keys in byte order, built once: index i is the i-th smallest. */
static uint8_t keys[MODEL_KEYS][4];
static size_t klens[MODEL_KEYS];

static int key_sort(const void *a, const void *b) {
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    return ks_key_cmp(keys[ia], klens[ia], keys[ib], klens[ib]);
}

static void build_keys(void) {
    static const uint8_t alphabet[] = {0x00, 'a', 'b', 0xff};
    static uint8_t k2[MODEL_KEYS][4];
    static size_t l2[MODEL_KEYS], order[MODEL_KEYS];
    size_t n = 0, len, i, j;

    for (len = 0; len <= 4; len++) {
        size_t count = 1;
        for (i = 0; i < len; i++)
            count *= 4;
        for (i = 0; i < count; i++, n++) {
            size_t x = i;
            for (j = 0; j < len; j++, x /= 4)
                keys[n][j] = alphabet[x % 4];
            klens[n] = len;
        }
    }
    cr_assert(eq(sz, n, MODEL_KEYS));
    for (i = 0; i < n; i++)
        order[i] = i;
    qsort(order, n, sizeof(order[0]), key_sort);
    for (i = 0; i < n; i++) {
        memcpy(k2[i], keys[order[i]], 4);
        l2[i] = klens[order[i]];
    }
    memcpy(keys, k2, sizeof(keys));
    memcpy(klens, l2, sizeof(klens));
}

static void check_range(const model_t *m, ks_iter_t *it, size_t lo,
                        size_t hi, bool prefix_of, size_t p) {
    kstream_bytes_t k, v;
    size_t i = lo;

    while (it->ops->next(it, &k, &v) == KSTREAM_OK) {
        while (i < hi &&
               (!m->has[i] ||
                (prefix_of && (klens[i] < klens[p] ||
                               memcmp(keys[i], keys[p], klens[p]) != 0))))
            i++;
        cr_assert(lt(sz, i, hi), "extra entry");
        cr_assert(eq(int, ks_key_cmp(k.data, k.len, keys[i], klens[i]), 0),
                  "entry %zu", i);
        cr_assert(eq(sz, v.len, m->vlen[i]));
        if (v.len)
            cr_assert(eq(int, memcmp(v.data, m->v[i], v.len), 0));
        i++;
    }
    while (i < hi &&
           (!m->has[i] ||
            (prefix_of && (klens[i] < klens[p] ||
                           memcmp(keys[i], keys[p], klens[p]) != 0))))
        i++;
    cr_assert(eq(sz, i, hi), "missing entries");
    it->ops->close(it);
}

static void check_all(const model_t *m) {
    check_range(m, all(), 0, MODEL_KEYS, false, 0);
}

/* rare_scans: ranges and prefixes 16 times rarer, so that most commits
 * find nothing linked (the buffer is only sorted) and most links merge
 * many new keys at once; else most links add a few keys to a long list. */
static void run_model(bool rare_scans) {
    static model_t cur, committed;
    int op;
    int64_t offset = 0;

    build_keys();
    memset(&cur, 0, sizeof(cur));
    memset(&committed, 0, sizeof(committed));
    for (op = 0; op < 20000; op++) {
        uint64_t r = rnd() % 1000;
        size_t i = rnd() % MODEL_KEYS, j;
        kstream_bytes_t got;
        ks_iter_t *it = NULL;

        if (rare_scans && r >= 900 && r < 975 && rnd() % 16 != 0)
            r = 800; /* a get instead */

        if (r < 450) {
            size_t vlen = rnd() % 32;
            for (j = 0; j < vlen; j++)
                cur.v[i][j] = (uint8_t)rnd();
            cur.vlen[i] = vlen;
            cur.has[i] = true;
            cr_assert(eq(int, store->ops->put(store, keys[i], klens[i],
                                              cur.v[i], vlen),
                         KSTREAM_OK));
        } else if (r < 650) {
            cur.has[i] = false;
            cr_assert(eq(int, store->ops->put(store, keys[i], klens[i], NULL,
                                              0),
                         KSTREAM_OK));
        } else if (r < 900) {
            kstream_err_t err = store->ops->get(store, keys[i], klens[i],
                                                &got);
            if (!cur.has[i]) {
                cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND), "op %d", op);
                continue;
            }
            cr_assert(eq(int, err, KSTREAM_OK), "op %d", op);
            cr_assert(eq(sz, got.len, cur.vlen[i]));
            if (got.len)
                cr_assert(eq(int, memcmp(got.data, cur.v[i], got.len), 0));
        } else if (r < 950) {
            j = rnd() % MODEL_KEYS;
            cr_assert(eq(int, store->ops->range(store, keys[i], klens[i],
                                                keys[j], klens[j], &it),
                         KSTREAM_OK));
            check_range(&cur, it, i, j >= i ? j + 1 : i, false, 0);
        } else if (r < 975) {
            size_t hi = i;
            while (hi < MODEL_KEYS && klens[hi] >= klens[i] &&
                   memcmp(keys[hi], keys[i], klens[i]) == 0)
                hi++;
            cr_assert(eq(int, store->ops->prefix(store, keys[i], klens[i],
                                                 &it),
                         KSTREAM_OK));
            check_range(&cur, it, i, hi, true, i);
        } else if (r < 990) {
            commit(++offset);
            committed = cur;
        } else {
            ks_txn_abort(store);
            cur = committed;
            check_all(&cur);
        }
    }
    check_all(&cur);
    ks_txn_abort(store);
    check_all(&committed);
    if (is_memory) {
        uint64_t n = 0;
        size_t i;
        for (i = 0; i < MODEL_KEYS; i++)
            n += committed.has[i];
        cr_assert(eq(u64, store->ops->approximate_count(store), n));
    }
}

TXN_TEST(random_operations_with_commits_and_aborts_match_a_model) {
    run_model(false);
}

TXN_TEST(random_operations_with_rare_scans_match_a_model) {
    run_model(true);
}

/* ---- RocksDB: the offset on disk ------------------------------------------ */

static void reopen(void) {
    store->ops->close(store);
    store = NULL;
    open_rocksdb();
}

Test(txn_rocksdb, reopen_after_commit_keeps_data_and_offset) {
    put(B("a"), B("1"));
    put(B("b"), B("2"));
    commit(100);
    del(B("a"));
    put(B("c"), B("3"));
    commit(250);
    reopen();
    cr_assert(eq(i64, ks_txn_offset(store), 250));
    assert_missing(B("a"));
    assert_value(B("b"), B("2"));
    assert_value(B("c"), B("3"));
}

Test(txn_rocksdb, close_without_commit_keeps_only_committed_state) {
    static const bytes_t want[] = {BI("a"), BI("b")};

    put(B("a"), B("1"));
    put(B("b"), B("2"));
    commit(7);
    /* The "crash": writes of the open transaction, then the layer closes
     * without a commit (what a process that dies holds in its buffer). */
    put(B("a"), B("aborted"));
    del(B("b"));
    put(B("z"), B("aborted"));
    cr_assert(eq(int, store->ops->flush(store), KSTREAM_OK));
    reopen();
    cr_assert(eq(i64, ks_txn_offset(store), 7));
    assert_value(B("a"), B("1"));
    assert_value(B("b"), B("2"));
    assert_missing(B("z"));
    assert_keys(all(), want, N_OF(want));
}

Test(txn_rocksdb, a_store_never_committed_has_no_offset_after_reopen) {
    put(B("a"), B("1"));
    reopen();
    cr_assert(eq(i64, ks_txn_offset(store), -1));
    assert_missing(B("a"));
    assert_keys(all(), NULL, 0);
}

Test(txn_rocksdb, the_meta_family_never_shows_among_the_keys) {
    ks_iter_t *it = NULL;

    commit(3);
    reopen();
    assert_keys(all(), NULL, 0);
    assert_missing(B("offset"));
    cr_assert(eq(int, store->ops->prefix(store, "", 0, &it), KSTREAM_OK));
    assert_keys(it, NULL, 0);
    cr_assert(eq(u64, store->ops->approximate_count(store), 0));
    /* A user key named like the meta key is a user key like any other. */
    put(B("offset"), B("mine"));
    commit(4);
    reopen();
    assert_value(B("offset"), B("mine"));
    cr_assert(eq(i64, ks_txn_offset(store), 4));
}

Test(txn_rocksdb, bulk_mode_reopen_keeps_the_offset) {
    put(B("a"), B("1"));
    commit(9);
    cr_assert(eq(int, ks_store_bulk(store, true), KSTREAM_OK));
    cr_assert(eq(i64, ks_txn_offset(store), 9));
    cr_assert(eq(int, ks_store_bulk(store, false), KSTREAM_OK));
    cr_assert(eq(i64, ks_txn_offset(store), 9));
    assert_value(B("a"), B("1"));
}

Test(txn_rocksdb, a_store_made_without_the_meta_family_opens) {
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_t *db;
    char *err = NULL, old[320];

    /* A store as earlier versions made it: the default family only. */
    snprintf(old, sizeof(old), "%s/old", dir);
    opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(opts, 1);
    db = rocksdb_open(opts, old, &err);
    cr_assert_null(err, "%s", err);
    wopts = rocksdb_writeoptions_create();
    rocksdb_put(db, wopts, "k", 1, "v", 1, &err);
    cr_assert_null(err);
    rocksdb_writeoptions_destroy(wopts);
    rocksdb_close(db);
    rocksdb_options_destroy(opts);

    store->ops->close(store);
    snprintf(path, sizeof(path), "%s", old);
    open_rocksdb();
    cr_assert(eq(i64, ks_txn_offset(store), -1));
    assert_value(B("k"), B("v"));
    put(B("k2"), B("v2"));
    commit(12);
    reopen();
    cr_assert(eq(i64, ks_txn_offset(store), 12));
    assert_value(B("k2"), B("v2"));
}

/* ---- segmented stores (window and session stores) below the layer -------- */

static ks_store_t *segs[8]; /* the segment stores opened, in order */
static int nsegs;

static ks_store_t *seg_open(void *opaque, const char *segment, char *errstr,
                            size_t errstr_size) {
    char p[400];

    (void)opaque;
    cr_assert(lt(int, nsegs, 8));
    snprintf(p, sizeof(p), "%s/%s", dir, segment);
    segs[nsegs] = ks_kv_rocksdb_open(env, p, errstr, errstr_size);
    return segs[nsegs++];
}

static void setup_segmented(ks_key_time_fn *key_time) {
    char errstr[512] = "";
    ks_store_t *seg;

    kt_tmpdir_make(dir, sizeof(dir));
    env = ks_rocksdb_env_new(16 << 20, errstr, sizeof(errstr));
    cr_assert_not_null(env, "%s", errstr);
    nsegs = 0;
    /* retention 100 ms, segments of 50 ms */
    seg = ks_segmented_new(seg_open, NULL, NULL, NULL, 100, 50, key_time);
    cr_assert_not_null(seg);
    store = ks_txn_wrap(seg);
    cr_assert_not_null(store);
    is_memory = false;
}

static void setup_window(void) {
    setup_segmented(ks_wkey_time);
}

static void setup_session(void) {
    setup_segmented(ks_skey_time);
}

TestSuite(txn_window, .init = setup_window, .fini = teardown, .timeout = 60);
TestSuite(txn_session, .init = setup_session, .fini = teardown,
          .timeout = 60);

static bytes_t wkey(uint8_t *buf, const char *k, int64_t start) {
    return (bytes_t){buf, ks_wkey_encode(buf, k, strlen(k), start)};
}

static bytes_t skey(uint8_t *buf, const char *k, int64_t start,
                    int64_t end) {
    return (bytes_t){buf, ks_skey_encode(buf, k, strlen(k), start, end)};
}

Test(txn_window, writes_reach_the_segments_only_at_commit) {
    uint8_t k1[16], k2[16], k3[16];
    bytes_t a10 = wkey(k1, "a", 10), a60 = wkey(k2, "a", 60),
            b20 = wkey(k3, "b", 20);
    bytes_t want[3];
    int i;

    put(a10, B("1"));
    put(a60, B("2"));
    put(b20, B("3"));
    cr_assert(eq(int, nsegs, 0)); /* nothing below yet */
    want[0] = a10, want[1] = a60, want[2] = b20;
    assert_keys(all(), want, 3);
    assert_value(a60, B("2"));
    commit(77);
    cr_assert(eq(int, nsegs, 2)); /* segments 0 and 1 */
    /* Each RocksDB segment holds the offset with its share. */
    for (i = 0; i < nsegs; i++)
        cr_assert(eq(i64, segs[i]->ops->meta_offset(segs[i]), 77));
    assert_keys(all(), want, 3);
    del(a10);
    put(b20, B("changed"));
    ks_txn_abort(store);
    assert_keys(all(), want, 3);
    assert_value(b20, B("3"));
    cr_assert(eq(i64, ks_txn_offset(store), 77));
}

Test(txn_window, expired_writes_are_hidden_and_late_ones_dropped) {
    uint8_t k1[16], k2[16], k3[16];
    bytes_t a10 = wkey(k1, "a", 10), a500 = wkey(k2, "a", 500),
            b20 = wkey(k3, "b", 20);
    uint8_t bad[2] = {'x', 'y'};

    put(a10, B("old"));
    assert_value(a10, B("old"));
    put(a500, B("new")); /* stream time 500: 10 expires */
    assert_missing(a10);
    assert_keys(all(), &a500, 1);
    put(b20, B("late")); /* dropped */
    assert_missing(b20);
    cr_assert(eq(sz, ks_txn_pending(store), 2));
    /* A key without a time. */
    cr_assert(eq(int, store->ops->put(store, bad, 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    commit(5);
    assert_keys(all(), &a500, 1);
    cr_assert(eq(int, nsegs, 1)); /* the expired write opened nothing */
}

Test(txn_window, deletes_of_unopened_segments_open_nothing) {
    uint8_t k1[16];
    bytes_t a10 = wkey(k1, "a", 10);

    del(a10);
    commit(1);
    cr_assert(eq(int, nsegs, 0));
    assert_missing(a10);
}

Test(txn_session, session_ranges_merge_buffer_and_segments) {
    uint8_t k1[24], k2[24], k3[24], k4[24];
    bytes_t s1 = skey(k1, "u", 0, 10), s2 = skey(k2, "u", 20, 70),
            s3 = skey(k3, "v", 5, 30), s4 = skey(k4, "u", 80, 90);
    bytes_t want[3];
    ks_iter_t *it = NULL;

    put(s1, B("1"));
    put(s3, B("3"));
    commit(10);
    put(s2, B("2"));
    del(s1);
    put(s4, B("4"));
    cr_assert(eq(int, store->ops->prefix(store, "u", 1, &it), KSTREAM_OK));
    want[0] = s2, want[1] = s4;
    assert_keys(it, want, 2);
    ks_txn_abort(store);
    want[0] = s1, want[1] = s3;
    assert_keys(all(), want, 2);
    put(s2, B("2"));
    commit(11);
    want[0] = s1, want[1] = s2, want[2] = s3;
    assert_keys(all(), want, 3);
    cr_assert(eq(i64, ks_txn_offset(store), 11));
}
