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
 *   - block cache: one LRU cache shared by every store, with index and
 *     filter blocks charged to it (cache_index_and_filter_blocks), so
 *     table readers do not grow outside it; its capacity is 3/4 M less
 *     RDB_STORE_OVERHEAD (256 KiB, measured) for each open store, what a
 *     RocksDB instance holds besides memtables and cached blocks (table
 *     cache, version set, info log, its write batch), but never under
 *     M/8 (reset as stores open and close);
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
 * memtables, and each store beyond 3/4 M / 256 KiB - 1/8 of M in
 * overhead. Not counted: blocks pinned by open iterators.
 *
 * Writes go with the WAL disabled: the changelog is the log. So close
 * flushes the memtables to SST files first, and flush() is RocksDB's
 * Flush: data survives close and reopen, and a crash loses at most what
 * the changelog restores.
 *
 * Puts and deletes are gathered in a write batch and written together
 * (at most RDB_BATCH_MAX of them, or a quarter of the store's write
 * buffer share when it opened in bytes, and before every
 * flush, range, count and close): one RocksDB write per batch instead of
 * one per put, whose fixed cost (write thread, sequence numbers,
 * thread-local contexts) is a third or more of a small put. A cache flush
 * or a restore writes thousands of keys in a row. Reads stay exact: a
 * get of a key that may be in the pending batch (its hash's bit is set in
 * a small bit set) writes the batch first; other gets read the database
 * as is. A failed batch write fails the store (the error is returned by
 * the operation that wrote it); with the WAL off a crash loses the batch
 * as it would the memtable.
 *
 * Transactional state (store.h, txn.c): commit_batch writes the ops of a
 * transaction and the changelog offset they reach in one write batch, the
 * offset into a second column family, "kstream-meta" (created when
 * missing), where no get, range or count looks; RocksDB's atomic_flush
 * flushes both families at one point, and flush() flushes the data before
 * the meta family, so on disk the offset never runs ahead of the data.
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
#include "state/kv_rocksdb_int.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t batch_bit(const void *key, size_t klen) {
    return (size_t)(ks_hash_bytes(key, klen) & (RDB_BATCH_BITS - 1));
}

static uint32_t pend_u32(const uint8_t *p) {
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* Bytewise key order (RocksDB's comparator), then put order: a key put
 * twice in one batch keeps its last value. */
static int pend_cmp(const void *a, const void *b, void *arg) {
    const uint8_t *pend = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint32_t kx = pend_u32(pend + x), ky = pend_u32(pend + y);
    int c = memcmp(pend + x + 8, pend + y + 8, kx < ky ? kx : ky);

    if (c == 0)
        c = (kx > ky) - (kx < ky);
    return c ? c : (x > y) - (x < y);
}

/* Empty the batch and its copies of the keys and values. Both keep their
 * memory for the next batch, unless it is more than a small batch needs:
 * an app has a store per task and store, each of which would otherwise
 * hold on to its largest batch (twice: the copies and RocksDB's batch),
 * about 8 MiB with 64 stores after a cache flush. A restore (bulk mode)
 * fills every batch: it keeps them. */
static void batch_release(kv_rdb_t *s) {
    size_t size = 0;

    rocksdb_writebatch_data(s->batch, &size);
    if (size > RDB_BATCH_KEEP && !s->bulk) {
        rocksdb_writebatch_t *fresh = rocksdb_writebatch_create();
        if (fresh) {
            rocksdb_writebatch_destroy(s->batch);
            s->batch = fresh;
        }
    }
    rocksdb_writebatch_clear(s->batch);
    if (s->pend.cap > RDB_BATCH_KEEP)
        ks_buf_free(&s->pend);
    s->pend.len = 0;
}

/* Write the pending batch, if any. */
kstream_err_t ks_rdb_batch_write(kv_rdb_t *s) {
    char *err = NULL;

    if (!s->db)
        return KSTREAM_ERR_STORE; /* a failed reopen */
    if (s->nbatch == 0)
        return KSTREAM_OK;
    /* Sorted, the memtable's skip list finds each insert point from the
     * previous one instead of from its top: most of a write's time when
     * the keys came in random order (a cache flush). A bulk load's puts
     * went into the batch directly (rdb_put): its vector memtable appends,
     * and sorts once when it is flushed. */
    if (!s->bulk)
        qsort_r(s->pend_at, s->nbatch, sizeof(s->pend_at[0]), pend_cmp,
                s->pend.data);
    for (size_t i = 0; !s->bulk && i < s->nbatch; i++) {
        const uint8_t *p = s->pend.data + s->pend_at[i];
        uint32_t klen = pend_u32(p), vlen = pend_u32(p + 4);

        if (vlen == UINT32_MAX)
            rocksdb_writebatch_delete(s->batch, (const char *)p + 8, klen);
        else
            rocksdb_writebatch_put(s->batch, (const char *)p + 8, klen,
                                   (const char *)p + 8 + klen, vlen);
    }
    rocksdb_write(s->db, s->wopts, s->batch, &err);
    batch_release(s);
    for (size_t i = 0; i < s->nbatch; i++)
        s->bits[s->words[i]] = 0;
    s->nbatch = 0;
    s->batch_bytes = 0;
    if (err)
        return rdb_fail(s, "write", err);
    return KSTREAM_OK;
}

/* ---- store operations ----------------------------------------------------- */

static kstream_err_t rdb_get(ks_store_t *store, const void *key, size_t klen,
                             kstream_bytes_t *value) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    char *err = NULL;
    const char *data;
    size_t len = 0;

    release_pinned(s);
    if (!s->db)
        return KSTREAM_ERR_STORE; /* a failed reopen */
    if (!key)
        key = "";
    if (s->nbatch > 0) {
        size_t b = batch_bit(key, klen);
        if (s->bits[b / 64] >> (b % 64) & 1) {
            kstream_err_t werr = ks_rdb_batch_write(s);
            if (werr)
                return werr;
        }
    }
    s->pinned = rocksdb_get_pinned(s->db, s->ropts, key, klen, &err);
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
    size_t b;

    release_pinned(s);
    if (!s->db)
        return KSTREAM_ERR_STORE; /* a failed reopen */
    if (!key)
        key = "";
    if (klen >= UINT32_MAX || (value && vlen >= UINT32_MAX))
        return KSTREAM_ERR_INVALID_ARG; /* over RocksDB's own limits */
    if (s->bulk) {
        /* Written in put order: no copy to sort. */
        if (value)
            rocksdb_writebatch_put(s->batch, key, klen, value, vlen);
        else
            rocksdb_writebatch_delete(s->batch, key, klen);
    } else {
        size_t need = 8 + klen + (value ? vlen : 0);
        if (ks_buf_reserve(&s->pend, need))
            return KSTREAM_ERR_NO_MEMORY;
        uint8_t *p = s->pend.data + s->pend.len;
        uint32_t k32 = (uint32_t)klen;
        uint32_t v32 = value ? (uint32_t)vlen : UINT32_MAX;
        memcpy(p, &k32, 4);
        memcpy(p + 4, &v32, 4);
        memcpy(p + 8, key, klen);
        if (value && vlen)
            memcpy(p + 8 + klen, value, vlen);
        s->pend_at[s->nbatch] = s->pend.len;
        s->pend.len += need;
    }
    b = batch_bit(key, klen);
    s->bits[b / 64] |= (uint64_t)1 << (b % 64);
    s->words[s->nbatch++] = (uint16_t)(b / 64);
    s->batch_bytes += klen + (value ? vlen : 0);
    if (s->nbatch >= RDB_BATCH_MAX || s->batch_bytes >= s->batch_limit)
        return ks_rdb_batch_write(s);
    return KSTREAM_OK;
}

static uint64_t rdb_approximate_count(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    uint64_t n = 0;

    release_pinned(s);
    if (ks_rdb_batch_write(s) != KSTREAM_OK)
        return 0;
    if (rocksdb_property_int(s->db, "rocksdb.estimate-num-keys", &n) != 0)
        return 0;
    return n;
}

void ks_rocksdb_env_set_persist(ks_rocksdb_env_t *env, ks_rdb_persist_t p) {
    if (env && p >= KS_RDB_PERSIST_NONE && p <= KS_RDB_PERSIST_WAIT)
        env->persist = p;
}

kstream_err_t ks_rdb_flush_all(kv_rdb_t *s, const char *what) {
    char *err = NULL;

    rocksdb_flush_cf(s->db, s->fopts, s->cf_data, &err);
    if (err)
        return rdb_fail(s, what, err);
    if (!s->meta_dirty)
        return KSTREAM_OK;
    rocksdb_flush_cf(s->db, s->fopts, s->cf_meta, &err);
    if (err)
        return rdb_fail(s, what, err);
    s->meta_dirty = false;
    return KSTREAM_OK;
}

/* Hand the memtables to the background flush threads (the meta family's
 * too when it has writes: it stays "dirty" until the wait). While a full
 * memtable of the store is still being written, RocksDB makes a manual
 * flush wait for it (a second immutable memtable would stall writes; the
 * C API cannot allow that): then the wait starts this one, later. */
static kstream_err_t rdb_persist_start(kv_rdb_t *s) {
    char *err = NULL;
    uint64_t imm = 0;

    s->persisting = true;
    if (rocksdb_property_int_cf(s->db, s->cf_data,
                                "rocksdb.num-immutable-mem-table", &imm) == 0 &&
        imm > 0)
        return KSTREAM_OK;
    rocksdb_flush_cf(s->db, s->fopts_bg, s->cf_data, &err);
    if (!err && s->meta_dirty)
        rocksdb_flush_cf(s->db, s->fopts_bg, s->cf_meta, &err);
    if (err)
        return rdb_fail(s, "flush", err);
    return KSTREAM_OK;
}

static kstream_err_t rdb_flush(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    kstream_err_t werr;

    release_pinned(s);
    if ((werr = ks_rdb_batch_write(s)) != KSTREAM_OK)
        return werr;
    switch (s->env->persist) {
    case KS_RDB_PERSIST_NONE:
        return KSTREAM_OK;
    case KS_RDB_PERSIST_START:
        return rdb_persist_start(s);
    case KS_RDB_PERSIST_WAIT:
        break;
    }
    werr = ks_rdb_flush_all(s, "flush");
    if (!werr)
        s->persisting = false;
    return werr;
}

/* A flush with wait of a family whose active memtable is empty switches
 * no new memtable and waits for the ones already handed over: what
 * rdb_persist_start() started is on disk when it returns. */
kstream_err_t ks_rocksdb_env_persist_wait(ks_rocksdb_env_t *env) {
    kstream_err_t first = KSTREAM_OK;
    kv_rdb_t *s;

    if (!env)
        return KSTREAM_OK;
    pthread_mutex_lock(&env->lock);
    for (s = env->stores; s; s = s->next) {
        kstream_err_t err;
        if (!s->persisting || !s->db)
            continue;
        err = ks_rdb_flush_all(s, "flush");
        s->persisting = false;
        if (err && first == KSTREAM_OK)
            first = err;
    }
    pthread_mutex_unlock(&env->lock);
    return first;
}

/* The transactional layer's commit (store.h): the ops and the offset in
 * one write batch, so one atomic RocksDB write. */
static kstream_err_t rdb_commit_batch(ks_store_t *store,
                                      const ks_txn_op_t *ops, size_t n,
                                      int64_t offset) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    uint8_t be[8];
    char *err = NULL;
    kstream_err_t werr;
    size_t i;

    assert(offset >= 0);
    release_pinned(s);
    /* Plain writes first (the batch is then empty), in their order. */
    if ((werr = ks_rdb_batch_write(s)) != KSTREAM_OK)
        return werr;
    for (i = 0; i < n; i++) {
        if (ops[i].value)
            rocksdb_writebatch_put(s->batch, ops[i].key, ops[i].klen,
                                   ops[i].value, ops[i].vlen);
        else
            rocksdb_writebatch_delete(s->batch, ops[i].key, ops[i].klen);
    }
    for (i = 0; i < 8; i++)
        be[i] = (uint8_t)((uint64_t)offset >> (56 - 8 * i));
    rocksdb_writebatch_put_cf(s->batch, s->cf_meta, RDB_OFFSET_KEY,
                              sizeof(RDB_OFFSET_KEY) - 1, (const char *)be,
                              sizeof(be));
    rocksdb_write(s->db, s->wopts, s->batch, &err);
    batch_release(s);
    if (err)
        return rdb_fail(s, "commit", err);
    s->offset = offset;
    s->meta_dirty = true;
    return KSTREAM_OK;
}

static int64_t rdb_meta_offset(ks_store_t *store) {
    return ((kv_rdb_t *)store)->offset;
}

static void rdb_close(ks_store_t *store) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    ks_rocksdb_env_t *env = s->env;

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
    ks_rdb_env_fit_cache(env);
    pthread_mutex_unlock(&env->lock);

    /* Without a WAL, unflushed memtables would be lost. close cannot
     * report an error: the changelog restores what a failed flush lost. */
    if (s->db) {
        (void)ks_rdb_batch_write(s);
        (void)ks_rdb_flush_all(s, "flush on close");
        ks_rdb_db_close(s);
    }
    ks_rdb_free(s);
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
    kstream_err_t werr;

    release_pinned(s);
    if ((werr = ks_rdb_batch_write(s)) != KSTREAM_OK)
        return werr;
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
    kstream_err_t werr;

    release_pinned(s);
    if ((werr = ks_rdb_batch_write(s)) != KSTREAM_OK)
        return werr;
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

const ks_store_ops_t ks_rdb_ops = {
        .kind = "rocksdb",
        .get = rdb_get,
        .put = rdb_put,
        .range = rdb_range,
        .prefix = rdb_prefix,
        .approximate_count = rdb_approximate_count,
        .flush = rdb_flush,
        .close = rdb_close,
        .bulk = ks_rdb_bulk,
        .commit_batch = rdb_commit_batch,
        .meta_offset = rdb_meta_offset,
};

