/* kv_rocksdb.c - the persistent key-value store on RocksDB (Kafka Streams'
 * RocksDBStore), a bottom layer of the store stack, and the RocksDB
 * environment shared by every such store of an app. The only file that
 * calls rocksdb_*: each errptr is turned into a kstream error (or errstr)
 * where it is returned, and freed there.
 *
 * Memory bound ("rocksdb.memory.bytes" = M). RocksDB 7.8's C API has no
 * WriteBufferManager, so memtables cannot be charged to the block cache
 * (a C++ shim would have to reach into the C API's private structs).
 * Instead the env splits M:
 *   - block cache: one LRU cache of 3/4 M shared by every store, with index
 *     and filter blocks charged to it (cache_index_and_filter_blocks), so
 *     table readers do not grow outside it;
 *   - write buffers: W = M/4, divided among the open stores. With n stores
 *     open, each gets write_buffer_size = the largest power of two
 *     <= W / (2n) (at least 64 KiB, RocksDB's minimum) and
 *     max_write_buffer_number = 2 (one active memtable, one flushing), so
 *     memtables total <= W. Opening a store that lowers the share applies
 *     the new size to every open store (SetOptions, with arena_block_size =
 *     size/8); active memtables keep their old size until they switch, so
 *     the bound is reached as they fill. Closing a store does not raise the
 *     others' share (stores opened later may get a larger one; the sum
 *     stays <= W). Shares are powers of two, so n opens cost O(n log n)
 *     SetOptions calls.
 * The bound M holds while n <= W / (2 * 64 KiB), i.e. 128 stores for the
 * default 64 MiB; beyond that each further store adds up to 128 KiB of
 * memtables. Not counted: blocks pinned by open iterators, and RocksDB's
 * fixed per-DB overhead.
 *
 * Writes go with the WAL disabled: the changelog is the log. So close
 * flushes the memtables to SST files first, and flush() is RocksDB's
 * Flush: data survives close and reopen, and a crash loses at most what
 * the changelog restores.
 *
 * Iterators are plain RocksDB iterators (no explicit snapshot; RocksDB
 * pins a consistent view at creation, so writes while an iterator is open
 * are not seen by it). The inclusive bound `to` becomes the exclusive
 * iterate_upper_bound to + "\0", its immediate successor in bytewise
 * order; a prefix's bound is the prefix with its last non-0xff byte
 * incremented (none for an all-0xff prefix, where every key >= the prefix
 * has it). Keys are checked against the prefix as well.
 *
 * A store belongs to one task (one thread); the env is shared by all the
 * stream threads, so its list of open stores is under a mutex. */
#include "state/store.h"
#include "core/core.h"

#include <assert.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RDB_MIN_MEMORY ((size_t)1 << 20)
#define RDB_MAX_WRITE_BUFFERS 2
#define RDB_MIN_WRITE_BUFFER ((size_t)64 << 10)
#define RDB_MAX_ARENA_BLOCK ((size_t)1 << 20)
#define RDB_LOG_FILES 2
#define RDB_LOG_FILE_BYTES ((size_t)1 << 20)

typedef struct kv_rdb kv_rdb_t;

struct ks_rocksdb_env {
    rocksdb_cache_t *cache;
    rocksdb_block_based_table_options_t *table; /* cache + bloom filter */
    size_t cache_bytes;
    size_t wb_budget; /* W: all memtables together */
    pthread_mutex_t lock;
    /* Under lock: */
    kv_rdb_t *stores; /* open stores */
    size_t n_open;
    size_t share; /* write_buffer_size of every open store is <= share */
    bool durable; /* flush() writes memtables (ks_rocksdb_env_set_durable) */
};

struct kv_rdb {
    ks_store_t base;
    ks_rocksdb_env_t *env;
    rocksdb_t *db;
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts; /* WAL off */
    rocksdb_flushoptions_t *fopts; /* wait */
    rocksdb_pinnableslice_t *pinned; /* value of the last get */
    kv_rdb_t *prev, *next;           /* env->stores, under env->lock */
    int open_iters;
    /* Last RocksDB error, for a debugger or a future accessor. */
    char errmsg[256];
};

/* Convert a RocksDB error once: keep its text, free it. */
static kstream_err_t rdb_fail(kv_rdb_t *s, const char *what, char *err) {
    snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, err);
    rocksdb_free(err);
    return KSTREAM_ERR_STORE;
}

static void release_pinned(kv_rdb_t *s) {
    if (s->pinned) {
        rocksdb_pinnableslice_destroy(s->pinned);
        s->pinned = NULL;
    }
}

/* ---- environment ---------------------------------------------------------- */

ks_rocksdb_env_t *ks_rocksdb_env_new(size_t memory_bytes, char *errstr,
                                     size_t errstr_size) {
    ks_rocksdb_env_t *env;

    if (memory_bytes < RDB_MIN_MEMORY) {
        ks_errstr(errstr, errstr_size,
                  "rocksdb.memory.bytes must be at least %zu, not %zu",
                  RDB_MIN_MEMORY, memory_bytes);
        return NULL;
    }
    env = calloc(1, sizeof(*env));
    if (!env) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    env->durable = true;
    env->wb_budget = memory_bytes / 4;
    env->cache_bytes = memory_bytes - env->wb_budget;
    if (pthread_mutex_init(&env->lock, NULL) != 0) {
        free(env);
        ks_errstr(errstr, errstr_size, "cannot create a mutex");
        return NULL;
    }
    env->cache = rocksdb_cache_create_lru(env->cache_bytes);
    env->table = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(env->table, env->cache);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(env->table,
                                                                  1);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(
            env->table, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(
            env->table, 1);
    /* Gets of absent keys (first record of a key) skip the SST files.
     * The table options own the policy. */
    rocksdb_block_based_options_set_filter_policy(
            env->table, rocksdb_filterpolicy_create_bloom_full(10));
    return env;
}

/* Every store must be closed first. */
void ks_rocksdb_env_destroy(ks_rocksdb_env_t *env) {
    if (!env)
        return;
    assert(env->n_open == 0);
    /* The table options hold a reference to the cache; the cache is freed
     * when the last holder lets go. */
    rocksdb_block_based_options_destroy(env->table);
    rocksdb_cache_destroy(env->cache);
    pthread_mutex_destroy(&env->lock);
    free(env);
}

/* write_buffer_size for each of n open stores: the largest power of two
 * <= W / (2n), at least RocksDB's minimum. */
static size_t wb_share(const ks_rocksdb_env_t *env, size_t n) {
    size_t want = env->wb_budget / (RDB_MAX_WRITE_BUFFERS * n);
    size_t p = RDB_MIN_WRITE_BUFFER;

    while (p <= want / 2)
        p *= 2;
    return p;
}

static size_t arena_block(size_t share) {
    size_t a = share / 8;
    return a > RDB_MAX_ARENA_BLOCK ? RDB_MAX_ARENA_BLOCK : a;
}

/* Lower an open store's memtable size. Under env->lock. */
static void apply_share(kv_rdb_t *s, size_t share) {
    static const char *const keys[] = {"write_buffer_size",
                                       "arena_block_size"};
    char wbs[32], arena[32];
    const char *vals[2] = {wbs, arena};
    char *err = NULL;

    snprintf(wbs, sizeof(wbs), "%zu", share);
    snprintf(arena, sizeof(arena), "%zu", arena_block(share));
    rocksdb_set_options(s->db, 2, keys, vals, &err);
    if (err) /* the store keeps working with its larger buffers */
        rdb_fail(s, "set write buffer size", err);
}

/* ---- store operations ----------------------------------------------------- */

static kstream_err_t rdb_get(ks_store_t *store, const void *key, size_t klen,
                             kstream_bytes_t *value) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    char *err = NULL;
    const char *data;
    size_t len = 0;

    release_pinned(s);
    s->pinned = rocksdb_get_pinned(s->db, s->ropts, key ? key : "", klen,
                                   &err);
    if (err)
        return rdb_fail(s, "get", err);
    if (!s->pinned)
        return KSTREAM_ERR_NOT_FOUND;
    data = rocksdb_pinnableslice_value(s->pinned, &len);
    value->data = data ? data : ""; /* an empty value is not absent */
    value->len = len;
    return KSTREAM_OK;
}

static kstream_err_t rdb_put(ks_store_t *store, const void *key, size_t klen,
                             const void *value, size_t vlen) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    char *err = NULL;

    release_pinned(s);
    if (!key)
        key = "";
    if (value)
        rocksdb_put(s->db, s->wopts, key, klen, value, vlen, &err);
    else
        rocksdb_delete(s->db, s->wopts, key, klen, &err);
    if (err)
        return rdb_fail(s, value ? "put" : "delete", err);
    return KSTREAM_OK;
}

static uint64_t rdb_approximate_count(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    uint64_t n = 0;

    release_pinned(s);
    if (rocksdb_property_int(s->db, "rocksdb.estimate-num-keys", &n) != 0)
        return 0;
    return n;
}

void ks_rocksdb_env_set_durable(ks_rocksdb_env_t *env, bool on) {
    if (env)
        env->durable = on;
}

static kstream_err_t rdb_flush(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    char *err = NULL;

    release_pinned(s);
    if (!s->env->durable)
        return KSTREAM_OK;
    rocksdb_flush(s->db, s->fopts, &err);
    if (err)
        return rdb_fail(s, "flush", err);
    return KSTREAM_OK;
}

static void rdb_close(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    ks_rocksdb_env_t *env = s->env;
    char *err = NULL;

    assert(s->open_iters == 0);
    release_pinned(s);
    /* Out of the env's list first: no SetOptions on a closing DB. */
    pthread_mutex_lock(&env->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        env->stores = s->next;
    if (s->next)
        s->next->prev = s->prev;
    env->n_open--;
    pthread_mutex_unlock(&env->lock);

    /* Without a WAL, unflushed memtables would be lost. close cannot
     * report an error: the changelog restores what a failed flush lost. */
    rocksdb_flush(s->db, s->fopts, &err);
    if (err)
        rdb_fail(s, "flush on close", err);
    rocksdb_close(s->db);
    rocksdb_readoptions_destroy(s->ropts);
    rocksdb_writeoptions_destroy(s->wopts);
    rocksdb_flushoptions_destroy(s->fopts);
    free(s);
}

/* ---- iterators ------------------------------------------------------------ */

typedef struct rdb_iter {
    ks_iter_t base;
    kv_rdb_t *store;
    rocksdb_iterator_t *it;      /* NULL: empty from the start */
    rocksdb_readoptions_t *ropts; /* holds the upper bound */
    bool started, done;
    const uint8_t *from; /* seek target (range from, or prefix); NULL: first */
    size_t flen;
    bool is_prefix;
    /* from/prefix bytes, then the upper bound; both live as long as the
     * iterator, as iterate_upper_bound requires. */
    uint8_t bounds[];
} rdb_iter_t;

static kstream_err_t rdb_iter_next(ks_iter_t *iter, kstream_bytes_t *key,
                                   kstream_bytes_t *value) {
    rdb_iter_t *it = (rdb_iter_t *)iter;
    const char *k, *v;
    size_t klen = 0, vlen = 0;
    char *err = NULL;

    if (it->done)
        return KSTREAM_ERR_EMPTY;
    if (!it->started) {
        if (it->from)
            rocksdb_iter_seek(it->it, (const char *)it->from, it->flen);
        else
            rocksdb_iter_seek_to_first(it->it);
        it->started = true;
    } else {
        rocksdb_iter_next(it->it);
    }
    if (!rocksdb_iter_valid(it->it)) {
        it->done = true;
        rocksdb_iter_get_error(it->it, &err);
        if (err)
            return rdb_fail(it->store, "iterate", err);
        return KSTREAM_ERR_EMPTY;
    }
    k = rocksdb_iter_key(it->it, &klen);
    if (it->is_prefix && it->flen > 0 &&
        (klen < it->flen || memcmp(k, it->from, it->flen) != 0)) {
        it->done = true;
        return KSTREAM_ERR_EMPTY;
    }
    v = rocksdb_iter_value(it->it, &vlen);
    key->data = k ? k : "";
    key->len = klen;
    value->data = v ? v : "";
    value->len = vlen;
    return KSTREAM_OK;
}

static void rdb_iter_close(ks_iter_t *iter) {
    rdb_iter_t *it = (rdb_iter_t *)iter;

    if (it->it)
        rocksdb_iter_destroy(it->it);
    if (it->ropts)
        rocksdb_readoptions_destroy(it->ropts);
    it->store->open_iters--;
    free(it);
}

static const ks_iter_ops_t rdb_iter_ops = {
        .next = rdb_iter_next,
        .close = rdb_iter_close,
};

/* from: seek target or NULL. upper: exclusive bound of `ulen` bytes to be
 * built by the caller in the returned iterator (it->bounds + flen), or
 * NULL. */
static rdb_iter_t *iter_alloc(kv_rdb_t *s, const void *from, size_t flen,
                              size_t ulen) {
    rdb_iter_t *it;

    if (flen > (size_t)PTRDIFF_MAX - sizeof(*it) - ulen)
        return NULL;
    it = calloc(1, sizeof(*it) + flen + ulen);
    if (!it)
        return NULL;
    it->base.ops = &rdb_iter_ops;
    it->store = s;
    if (from) {
        if (flen > 0)
            memcpy(it->bounds, from, flen);
        it->from = it->bounds;
        it->flen = flen;
    }
    return it;
}

/* Create the RocksDB iterator, bounded above by ulen bytes at
 * it->bounds + it->flen when has_upper. */
static kstream_err_t iter_start(kv_rdb_t *s, rdb_iter_t *it, bool has_upper,
                                size_t ulen, ks_iter_t **out) {
    it->ropts = rocksdb_readoptions_create();
    if (has_upper)
        rocksdb_readoptions_set_iterate_upper_bound(
                it->ropts, (const char *)it->bounds + it->flen, ulen);
    it->it = rocksdb_create_iterator(s->db, it->ropts);
    s->open_iters++;
    *out = &it->base;
    return KSTREAM_OK;
}

static kstream_err_t rdb_range(ks_store_t *store, const void *from,
                               size_t flen, const void *to, size_t tlen,
                               ks_iter_t **out) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    rdb_iter_t *it;
    size_t ulen = 0;

    release_pinned(s);
    if (!from)
        flen = 0;
    if (to) {
        if (tlen == SIZE_MAX)
            return KSTREAM_ERR_NO_MEMORY;
        ulen = tlen + 1;
    }
    it = iter_alloc(s, from, flen, ulen);
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    if (from && to && ks_key_cmp(from, flen, to, tlen) > 0) {
        /* from > to: empty, no RocksDB iterator needed. */
        it->done = true;
        s->open_iters++;
        *out = &it->base;
        return KSTREAM_OK;
    }
    if (to) {
        /* Inclusive `to`: the exclusive bound is to + "\0". */
        uint8_t *u = it->bounds + it->flen;
        if (tlen > 0)
            memcpy(u, to, tlen);
        u[tlen] = 0;
    }
    return iter_start(s, it, to != NULL, ulen, out);
}

static kstream_err_t rdb_prefix(ks_store_t *store, const void *prefix,
                                size_t plen, ks_iter_t **out) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    const uint8_t *p = prefix;
    rdb_iter_t *it;
    size_t ulen = plen;
    uint8_t *u;

    release_pinned(s);
    /* The successor of every key with the prefix: drop trailing 0xff
     * bytes, increment the last one left. */
    while (ulen > 0 && p[ulen - 1] == 0xff)
        ulen--;
    it = iter_alloc(s, plen > 0 ? prefix : NULL, plen, ulen);
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    it->is_prefix = true;
    if (ulen > 0) {
        u = it->bounds + it->flen;
        memcpy(u, p, ulen);
        u[ulen - 1]++;
    }
    return iter_start(s, it, ulen > 0, ulen, out);
}

static const ks_store_ops_t rdb_ops = {
        .kind = "rocksdb",
        .get = rdb_get,
        .put = rdb_put,
        .range = rdb_range,
        .prefix = rdb_prefix,
        .approximate_count = rdb_approximate_count,
        .flush = rdb_flush,
        .close = rdb_close,
};

/* ---- open ----------------------------------------------------------------- */

ks_store_t *ks_kv_rocksdb_open(ks_rocksdb_env_t *env, const char *dir,
                               char *errstr, size_t errstr_size) {
    kv_rdb_t *s, *o;
    rocksdb_options_t *opts;
    size_t share;
    char *err = NULL;

    s = calloc(1, sizeof(*s));
    if (!s) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->base.ops = &rdb_ops;
    s->env = env;
    s->ropts = rocksdb_readoptions_create();
    s->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(s->wopts, 1);
    s->fopts = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(s->fopts, 1);

    opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(opts, 1);
    /* Like Kafka Streams: CPU over disk, state is small and rebuildable. */
    rocksdb_options_set_compression(opts, rocksdb_no_compression);
    rocksdb_options_set_block_based_table_factory(opts, env->table);
    rocksdb_options_set_max_write_buffer_number(opts, RDB_MAX_WRITE_BUFFERS);
    rocksdb_options_set_keep_log_file_num(opts, RDB_LOG_FILES);
    rocksdb_options_set_max_log_file_size(opts, RDB_LOG_FILE_BYTES);

    /* Open under the lock, so the share is computed for the stores that
     * will be open alongside this one. */
    pthread_mutex_lock(&env->lock);
    share = wb_share(env, env->n_open + 1);
    rocksdb_options_set_write_buffer_size(opts, share);
    rocksdb_options_set_arena_block_size(opts, arena_block(share));
    s->db = rocksdb_open(opts, dir, &err);
    if (!s->db) {
        pthread_mutex_unlock(&env->lock);
        ks_errstr(errstr, errstr_size, "cannot open RocksDB store at %s: %s",
                  dir, err ? err : "unknown error");
        rocksdb_free(err);
        rocksdb_options_destroy(opts);
        rocksdb_readoptions_destroy(s->ropts);
        rocksdb_writeoptions_destroy(s->wopts);
        rocksdb_flushoptions_destroy(s->fopts);
        free(s);
        return NULL;
    }
    if (share < env->share) {
        for (o = env->stores; o; o = o->next)
            apply_share(o, share);
    }
    env->share = share;
    s->next = env->stores;
    if (env->stores)
        env->stores->prev = s;
    env->stores = s;
    env->n_open++;
    pthread_mutex_unlock(&env->lock);
    rocksdb_options_destroy(opts); /* the DB keeps its own copy */
    return &s->base;
}
