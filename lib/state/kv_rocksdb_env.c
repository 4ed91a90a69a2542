/* kv_rocksdb_env.c - the RocksDB environment shared by an app's stores
 * (the memory split: see kv_rocksdb.c), opening a store, and bulk mode.
 *
 * Bulk mode (ks_store_bulk, while a store is restored): the database is
 * reopened with a vector memtable, where a put is an append and the sort
 * happens once, when the memtable is flushed, in RocksDB's background
 * thread; with a skip list every put of a restore paid a search among the
 * memtable's keys, most of a restore's time. Reads of a vector memtable
 * are slow, and no reads come while a store restores (its task does not
 * process, queries answer RESTORING). When the restore ends the database
 * is reopened with the skip list (its memtable flushed first). Kafka
 * Streams' bulk-loading mode had the same aim. */
#include "state/kv_rocksdb_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
    env->persist = KS_RDB_PERSIST_WAIT;
    env->memory_bytes = memory_bytes;
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

    if (!s->db)
        return; /* a failed reopen (kv_rocksdb_env.c's ks_rdb_bulk) */

    snprintf(wbs, sizeof(wbs), "%zu", share);
    snprintf(arena, sizeof(arena), "%zu", arena_block(share));
    rocksdb_set_options(s->db, 2, keys, vals, &err);
    if (err) /* the store keeps working with its larger buffers */
        rdb_fail(s, "set write buffer size", err);
}

/* The block cache's capacity with n stores open (see kv_rocksdb.c).
 * Under env->lock. */
void ks_rdb_env_fit_cache(ks_rocksdb_env_t *env) {
    size_t floor = env->memory_bytes / 8;
    size_t over = env->n_open * RDB_STORE_OVERHEAD;
    size_t cap = over < env->cache_bytes ? env->cache_bytes - over : 0;

    rocksdb_cache_set_capacity(env->cache, cap > floor ? cap : floor);
}

/* ---- open ----------------------------------------------------------------- */

/* Batches are written in key order (kv_rocksdb.c), but each insert of the
 * skip list memtable searches from its top level unless it is given a
 * hint: with one hint for every key (an empty prefix), the next insert
 * starts from where the previous one landed, as far up as the gap needs
 * (about 15-20% faster inserts of sorted batches here). The C API sets
 * this option only by name; should that fail, the store goes without. */
static rocksdb_options_t *with_insert_hint(rocksdb_options_t *opts) {
    rocksdb_options_t *hinted = rocksdb_options_create();
    char *err = NULL;

    rocksdb_get_options_from_string(
            opts,
            "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.0",
            hinted, &err);
    if (err) {
        rocksdb_free(err);
        rocksdb_options_destroy(hinted);
        return opts;
    }
    rocksdb_options_destroy(opts);
    return hinted;
}

/* The options of a store with memtables of share bytes. */
static rocksdb_options_t *store_options(const ks_rocksdb_env_t *env,
                                        size_t share, bool bulk) {
    rocksdb_options_t *opts = rocksdb_options_create();

    rocksdb_options_set_create_if_missing(opts, 1);
    /* The meta family of stores made before it existed. */
    rocksdb_options_set_create_missing_column_families(opts, 1);
    /* Memtables of both families are flushed at one point (background
     * flushes included): with the WAL off, the offset on disk then always
     * goes with the data it describes. */
    rocksdb_options_set_atomic_flush(opts, 1);
    /* Like Kafka Streams: CPU over disk, state is small and rebuildable. */
    rocksdb_options_set_compression(opts, rocksdb_no_compression);
    rocksdb_options_set_block_based_table_factory(opts, env->table);
    rocksdb_options_set_max_write_buffer_number(opts, RDB_MAX_WRITE_BUFFERS);
    /* The info LOG, as Kafka Streams has it: errors only, not rolled
     * (RocksDB's default). A rolling logger keeps every header line (the
     * options dump) in memory to write again at each roll: with ~40 KiB
     * more of buffer that came to ~45 KiB a store (64 stores opened: RSS
     * +16.9 MiB rolled at INFO, +14.1 not rolled at ERROR). A LOG holds
     * its open's header and any errors; each open starts a new one and
     * the older ones past RDB_LOG_FILES are deleted. */
    rocksdb_options_set_info_log_level(opts, RDB_LOG_LEVEL);
    rocksdb_options_set_keep_log_file_num(opts, RDB_LOG_FILES);
    /* A store has few files: one table cache shard (64 cost ~20 KiB). */
    rocksdb_options_set_table_cache_numshardbits(opts, 0);
    /* Every open store keeps three files open for writing (MANIFEST, info
     * LOG, and a WAL that is never written), each with a buffer of
     * min(64 KiB, this): 16 KiB saved ~90 KiB a store (heaptrack, 64
     * stores). SST files are written 16 KiB at a time. */
    rocksdb_options_set_writable_file_max_buffer_size(opts, RDB_FILE_BUFFER);
    rocksdb_options_set_write_buffer_size(opts, share);
    rocksdb_options_set_arena_block_size(opts, arena_block(share));
    /* Flushes run on the environment's high-priority threads, one by
     * default for the whole process: with a store per task, a restore's
     * memtables queued behind each other's SST writes and syncs. */
    rocksdb_options_set_max_background_flushes(opts, RDB_FLUSH_THREADS);
    if (bulk) {
        rocksdb_options_set_memtable_vector_rep(opts);
        /* (A vector memtable takes one writer at a time: ours.) */
        rocksdb_options_set_allow_concurrent_memtable_write(opts, 0);
        rocksdb_options_set_max_write_buffer_number(opts, 4);
        return opts;
    }
    /* A bloom filter of whole keys in each memtable (a tenth of its size,
     * from its budget): a get of a key the memtable does not hold - the
     * first record of a key, a key the record cache evicted long ago -
     * skips the skip list's search. */
    rocksdb_options_set_memtable_prefix_bloom_size_ratio(opts, 0.1);
    rocksdb_options_set_memtable_whole_key_filtering(opts, 1);
    return with_insert_hint(opts);
}

/* The meta family's options: a few bytes, the smallest memtable. */
static rocksdb_options_t *meta_options(const ks_rocksdb_env_t *env) {
    rocksdb_options_t *opts = rocksdb_options_create();

    rocksdb_options_set_compression(opts, rocksdb_no_compression);
    rocksdb_options_set_block_based_table_factory(opts, env->table);
    rocksdb_options_set_write_buffer_size(opts, RDB_MIN_WRITE_BUFFER);
    rocksdb_options_set_arena_block_size(opts, 4096);
    return opts;
}

static int64_t decode_offset(const char *v, size_t len) {
    uint64_t x = 0;
    size_t i;

    if (!v || len != 8)
        return -1;
    for (i = 0; i < 8; i++)
        x = x << 8 | (uint8_t)v[i];
    return x > (uint64_t)INT64_MAX ? -1 : (int64_t)x;
}

void ks_rdb_db_open(kv_rdb_t *s, rocksdb_options_t *opts, char **err) {
    static const char *const names[] = {"default", RDB_META_CF};
    rocksdb_options_t *meta = meta_options(s->env);
    const rocksdb_options_t *cf_opts[] = {opts, meta};
    rocksdb_column_family_handle_t *cfs[2] = {NULL, NULL};
    char *v;
    size_t vlen = 0;

    s->db = rocksdb_open_column_families(opts, s->dir, 2, names, cf_opts,
                                         cfs, err);
    rocksdb_options_destroy(meta);
    if (!s->db)
        return;
    s->cf_data = cfs[0];
    s->cf_meta = cfs[1];
    v = rocksdb_get_cf(s->db, s->ropts, s->cf_meta, RDB_OFFSET_KEY,
                       sizeof(RDB_OFFSET_KEY) - 1, &vlen, err);
    if (*err) {
        ks_rdb_db_close(s);
        return;
    }
    s->offset = decode_offset(v, vlen);
    rocksdb_free(v);
}

void ks_rdb_db_close(kv_rdb_t *s) {
    if (!s->db)
        return;
    rocksdb_column_family_handle_destroy(s->cf_data);
    rocksdb_column_family_handle_destroy(s->cf_meta);
    s->cf_data = s->cf_meta = NULL;
    rocksdb_close(s->db);
    s->db = NULL;
}

static void store_free(kv_rdb_t *s) {
    rocksdb_readoptions_destroy(s->ropts);
    rocksdb_writeoptions_destroy(s->wopts);
    rocksdb_flushoptions_destroy(s->fopts);
    rocksdb_flushoptions_destroy(s->fopts_bg);
    rocksdb_writebatch_destroy(s->batch);
    ks_buf_free(&s->pend);
    free(s->dir);
    free(s);
}

ks_store_t *ks_kv_rocksdb_open(ks_rocksdb_env_t *env, const char *dir,
                               char *errstr, size_t errstr_size) {
    kv_rdb_t *s, *o;
    rocksdb_options_t *opts;
    size_t share;
    char *err = NULL;

    s = calloc(1, sizeof(*s));
    if (!s || !(s->dir = ks_strdup(dir))) {
        free(s);
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->base.ops = &ks_rdb_ops;
    s->env = env;
    s->ropts = rocksdb_readoptions_create();
    s->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(s->wopts, 1);
    s->fopts = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(s->fopts, 1);
    s->fopts_bg = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(s->fopts_bg, 0);
    s->batch = rocksdb_writebatch_create();

    /* Open under the lock, so the share is computed for the stores that
     * will be open alongside this one. */
    pthread_mutex_lock(&env->lock);
    share = wb_share(env, env->n_open + 1);
    s->batch_limit = share / 4;
    opts = store_options(env, share, false);
    s->offset = -1;
    ks_rdb_db_open(s, opts, &err);
    rocksdb_options_destroy(opts); /* the DB keeps its own copy */
    if (!s->db) {
        pthread_mutex_unlock(&env->lock);
        ks_errstr(errstr, errstr_size, "cannot open RocksDB store at %s: %s",
                  dir, err ? err : "unknown error");
        rocksdb_free(err);
        store_free(s);
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
    ks_rdb_env_fit_cache(env);
    pthread_mutex_unlock(&env->lock);
    return &s->base;
}

/* Free a store whose database is closed (kv_rocksdb.c's close). */
void ks_rdb_free(kv_rdb_t *s) {
    store_free(s);
}

kstream_err_t ks_rdb_bulk(ks_store_t *store, bool on) {
    kv_rdb_t *s = (kv_rdb_t *)store;
    ks_rocksdb_env_t *env = s->env;
    rocksdb_options_t *opts;
    kstream_err_t kerr;
    char *err = NULL;

    if (!s->db)
        return KSTREAM_ERR_STORE;
    if (s->bulk == on || s->open_iters > 0)
        return KSTREAM_OK; /* (iterators pin the database: stay as is) */
    release_pinned(s);
    if ((kerr = ks_rdb_batch_write(s)) != KSTREAM_OK)
        return kerr;
    /* Under the lock: another thread's open may SetOptions every store. */
    pthread_mutex_lock(&env->lock);
    kerr = ks_rdb_flush_all(s, "flush before reopening");
    if (kerr != KSTREAM_OK) {
        pthread_mutex_unlock(&env->lock);
        return kerr;
    }
    ks_rdb_db_close(s);
    opts = store_options(env, env->share, on);
    ks_rdb_db_open(s, opts, &err);
    rocksdb_options_destroy(opts);
    if (!s->db) {
        /* The store fails from now on (every operation says so). */
        pthread_mutex_unlock(&env->lock);
        if (err)
            return rdb_fail(s, "reopen", err);
        snprintf(s->errmsg, sizeof(s->errmsg), "reopen failed");
        return KSTREAM_ERR_STORE;
    }
    s->bulk = on;
    pthread_mutex_unlock(&env->lock);
    return KSTREAM_OK;
}
