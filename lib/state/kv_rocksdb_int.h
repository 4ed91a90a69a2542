/* kv_rocksdb_int.h - the RocksDB store's internals, shared by
 *   kv_rocksdb.c      the store's operations, its write batch, iterators
 *   kv_rocksdb_env.c  the environment (memory split), open, bulk mode
 * See kv_rocksdb.c for the design. */
#ifndef KS_STATE_KV_ROCKSDB_INT_H
#define KS_STATE_KV_ROCKSDB_INT_H

#include "state/store.h"
#include "core/core.h"
#include "util/util.h"

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>

#define RDB_MIN_MEMORY ((size_t)1 << 20)
#define RDB_MAX_WRITE_BUFFERS 2
#define RDB_FLUSH_THREADS 4 /* memtable flushes at once, all stores */
#define RDB_MIN_WRITE_BUFFER ((size_t)64 << 10)
#define RDB_MAX_ARENA_BLOCK ((size_t)1 << 20)
#define RDB_LOG_FILES 2
#define RDB_LOG_LEVEL 3 /* InfoLogLevel::ERROR_LEVEL */
#define RDB_FILE_BUFFER ((uint64_t)16 << 10) /* writable_file_max_buffer_size */
#define RDB_BATCH_MAX 1024                /* puts per batch, at most */
#define RDB_STORE_OVERHEAD ((size_t)256 << 10) /* per open store */
#define RDB_BATCH_BITS 65536              /* the pending keys' bit set */
#define RDB_BATCH_KEEP ((size_t)16 << 10) /* batch memory kept between */
_Static_assert(RDB_BATCH_BITS / 64 <= 65536, "word indexes fit uint16_t");
#define RDB_META_CF "kstream-meta"
#define RDB_OFFSET_KEY "offset"

typedef struct kv_rdb kv_rdb_t;

struct ks_rocksdb_env {
    rocksdb_cache_t *cache;
    rocksdb_block_based_table_options_t *table; /* cache + bloom filter */
    size_t cache_bytes; /* 3/4 M: the capacity with no store open */
    size_t memory_bytes; /* M */
    size_t wb_budget; /* W: all memtables together */
    pthread_mutex_t lock;
    /* Under lock: */
    kv_rdb_t *stores; /* open stores */
    size_t n_open;
    size_t share; /* write_buffer_size of every open store is <= share */
    ks_rdb_persist_t persist; /* what flush() does (set_persist) */
};

struct kv_rdb {
    ks_store_t base;
    ks_rocksdb_env_t *env;
    rocksdb_t *db;
    /* Column families: the data, and "kstream-meta" (RDB_META_CF) for
     * what must not show among the keys: the changelog offset the data
     * reaches (RDB_OFFSET_KEY, 8 bytes BE), written in the write batch of
     * the data (commit_batch). */
    rocksdb_column_family_handle_t *cf_data, *cf_meta;
    int64_t offset;  /* last recorded, -1: none */
    bool meta_dirty; /* the meta family has unflushed writes */
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts; /* WAL off */
    rocksdb_flushoptions_t *fopts;    /* wait */
    rocksdb_flushoptions_t *fopts_bg; /* no wait (KS_RDB_PERSIST_START) */
    bool persisting; /* started, not yet waited for (persist_wait) */
    rocksdb_pinnableslice_t *pinned; /* value of the last get */
    rocksdb_writebatch_t *batch;     /* what one write applies */
    /* Pending puts and deletes, in put order, each [klen u32][vlen u32,
     * UINT32_MAX: delete][key][value]; written sorted by key (the skip
     * list then inserts each next to the previous one). Empty in bulk
     * mode, whose puts go into `batch` at once. */
    ks_buf_t pend;
    size_t pend_at[RDB_BATCH_MAX]; /* each pending put's place in pend */
    size_t nbatch, batch_bytes;
    size_t batch_limit; /* bytes: a quarter of the share at open */
    uint64_t bits[RDB_BATCH_BITS / 64]; /* hashes of the pending keys */
    uint16_t words[RDB_BATCH_MAX];      /* bits' words set, per pending put
                                           (cleared one by one: a batch of
                                           a few puts costs no 8 KiB memset) */
    kv_rdb_t *prev, *next;           /* env->stores, under env->lock */
    int open_iters;
    bool bulk;  /* opened for a bulk load (ks_store_bulk) */
    char *dir;  /* where it lives (reopened for bulk loads) */
    /* Last RocksDB error, for a debugger or a future accessor. */
    char errmsg[256];
};

/* Convert a RocksDB error once: keep its text, free it. */
static inline kstream_err_t rdb_fail(kv_rdb_t *s, const char *what, char *err) {
    snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, err);
    rocksdb_free(err);
    return KSTREAM_ERR_STORE;
}

static inline void release_pinned(kv_rdb_t *s) {
    if (s->pinned) {
        rocksdb_pinnableslice_destroy(s->pinned);
        s->pinned = NULL;
    }
}

extern const ks_store_ops_t ks_rdb_ops;

/* Write the pending batch, if any (kv_rocksdb.c). */
kstream_err_t ks_rdb_batch_write(kv_rdb_t *s);
/* Switch bulk mode by reopening the database (kv_rocksdb_env.c). After a
 * failed reopen s->db is NULL and every operation fails. */
kstream_err_t ks_rdb_bulk(ks_store_t *store, bool on);
/* Set the block cache's capacity for the stores open (kv_rocksdb_env.c).
 * Under env->lock. */
void ks_rdb_env_fit_cache(ks_rocksdb_env_t *env);
/* Open s->db at s->dir with both column families (the meta family is
 * created when missing, so stores of older versions open) and read the
 * recorded offset (kv_rocksdb_env.c). NULL s->db and *err set on failure. */
void ks_rdb_db_open(kv_rdb_t *s, rocksdb_options_t *opts, char **err);
/* Close s->db and its column families; s->db becomes NULL. */
void ks_rdb_db_close(kv_rdb_t *s);
/* Flush the data's memtable, then the meta family's when it has unflushed
 * writes: on disk the offset is never ahead of the data (kv_rocksdb.c). */
kstream_err_t ks_rdb_flush_all(kv_rdb_t *s, const char *what);
/* Free a store whose database is closed (kv_rocksdb_env.c). */
void ks_rdb_free(kv_rdb_t *s);

#endif /* KS_STATE_KV_ROCKSDB_INT_H */
