/* store.h - the state store interface of lib/state (Kafka Streams'
 * KeyValueStore / StateStore) and its implementations. A store is a stack
 * of layers, each a vtable with an `inner` pointer (metered(cache(
 * changelog(kv_rocksdb|kv_mem)))): a layer implements what it changes and
 * passes the rest down. Stores belong to one task, so to one thread: no
 * locks. Nothing here knows whether Kafka is behind the changelog layer.
 *
 * Keys and values are byte strings; keys are ordered by memcmp over the
 * common length, then shorter first (RocksDB's bytewise order). Ranges are
 * inclusive at both ends; a NULL bound is open. */
#ifndef KS_STORE_H
#define KS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kstream.h"
#include "core/core.h"

struct ks_out; /* runtime/client.h */
struct ks_txn_op; /* below: transactional state */

typedef struct ks_store ks_store_t;
typedef struct ks_iter ks_iter_t;

typedef struct ks_iter_ops {
    /* Next entry in key order: KSTREAM_OK, or KSTREAM_ERR_EMPTY at the
     * end. key/value are borrowed until the next call on the iterator. */
    kstream_err_t (*next)(ks_iter_t *it, kstream_bytes_t *key,
                          kstream_bytes_t *value);
    void (*close)(ks_iter_t *it); /* frees it */
} ks_iter_ops_t;

struct ks_iter {
    const ks_iter_ops_t *ops;
};

typedef struct ks_store_ops {
    const char *kind; /* "rocksdb", "memory", "cache", "changelog", ... */
    /* A wrapper whose store contents are its inner layer's plus what it
     * buffers (cache, transaction buffer) or exactly its inner layer's
     * (changelog): ks_store_written_count() counts below it. */
    bool count_below;
    /* value borrowed until the next call on the store.
     * KSTREAM_ERR_NOT_FOUND when absent. */
    kstream_err_t (*get)(ks_store_t *s, const void *key, size_t klen,
                         kstream_bytes_t *value);
    /* value NULL: delete. Copies key and value. */
    kstream_err_t (*put)(ks_store_t *s, const void *key, size_t klen,
                         const void *value, size_t vlen);
    kstream_err_t (*range)(ks_store_t *s, const void *from, size_t flen,
                           const void *to, size_t tlen, ks_iter_t **it);
    kstream_err_t (*prefix)(ks_store_t *s, const void *prefix, size_t plen,
                            ks_iter_t **it);
    uint64_t (*approximate_count)(ks_store_t *s);
    /* Make everything written durable in this layer (and below). */
    kstream_err_t (*flush)(ks_store_t *s);
    /* Close and free this layer and every layer below. */
    void (*close)(ks_store_t *s);
    /* Optional: stream time moved to t (segmented stores drop expired
     * segments). Wrappers pass it down; NULL means "pass to inner". */
    void (*observe_time)(ks_store_t *s, int64_t t);
    /* Optional: a hint that key will be written or read soon, so a layer
     * whose lookups miss the CPU cache (kv_mem, the record cache) can
     * start fetching. Best given twice per key, a while apart: first with
     * deep false, then true (the first fetch made the next one reachable
     * without waiting); deep alone waits for the first level (a hash slot)
     * and fetches the second. No effect on contents. NULL: the layer has
     * nothing to fetch (ks_store_prefetch() goes on down; the cache's
     * write-down looks further down itself). */
    void (*prefetch)(ks_store_t *s, const void *key, size_t klen, bool deep);
    /* Optional: a bulk load (a restore) starts (on) or ends: no reads
     * come meanwhile, so the layer may make writes cheaper and reads
     * slower (kv_rocksdb: a vector memtable). NULL: nothing changes
     * (ks_store_bulk() goes on down). */
    kstream_err_t (*bulk)(ks_store_t *s, bool on);
    /* Optional, bottom stores that can (see "transactional state" below):
     * apply ops[0..n) (ascending keys) and record offset as the changelog
     * offset the store's contents reach, atomically where the store can.
     * NULL: the transactional layer applies puts and keeps the offset. */
    kstream_err_t (*commit_batch)(ks_store_t *s, const struct ks_txn_op *ops,
                                  size_t n, int64_t offset);
    /* Optional, with commit_batch: the offset last recorded (read back
     * from disk after a reopen where the store persists it), -1: none. */
    int64_t (*meta_offset)(ks_store_t *s);
    /* Optional (segmented stores): whether key is live. write true: a put
     * of key is coming (stream time advances to its time first).
     * KSTREAM_OK: live; KSTREAM_ERR_NOT_FOUND: expired (reads hide it,
     * writes are dropped); KSTREAM_ERR_INVALID_ARG: the key has no time. */
    kstream_err_t (*key_live)(ks_store_t *s, const void *key, size_t klen,
                              bool write);
} ks_store_ops_t;

struct ks_store {
    const ks_store_ops_t *ops;
    ks_store_t *inner; /* NULL for the bottom layer */
};

/* Generic helpers over any layer (store.c). put_if_absent and delete are
 * get + put; all is an unbounded range. */
kstream_err_t ks_store_put_if_absent(ks_store_t *s, const void *key,
                                     size_t klen, const void *value,
                                     size_t vlen, kstream_bytes_t *existing);
kstream_err_t ks_store_all(ks_store_t *s, ks_iter_t **it);
/* Byte order used by every store. */
int ks_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* ---- bottom layers ------------------------------------------------------ */
ks_store_t *ks_kv_mem_new(void);

/* One RocksDB environment per app: a block cache and a write-buffer budget
 * shared by every RocksDB store of the app, bounded by memory_bytes
 * ("rocksdb.memory.bytes"). */
typedef struct ks_rocksdb_env ks_rocksdb_env_t;
ks_rocksdb_env_t *ks_rocksdb_env_new(size_t memory_bytes, char *errstr,
                                     size_t errstr_size);
void ks_rocksdb_env_destroy(ks_rocksdb_env_t *env);
/* What flush() of this environment's stores does with their memtables.
 * With the WAL off, writing them to disk is what makes written data
 * survive a crash: the runtime asks for it only at commits that write
 * checkpoint files, so commits in between stay cheap (Kafka Streams
 * checkpoints state every 10000 changelog records, not per commit).
 * Closing a store always persists it. */
typedef enum ks_rdb_persist {
    KS_RDB_PERSIST_NONE,  /* memtables stay in memory */
    /* Memtables are handed to RocksDB's background flush threads and
     * flush() returns at once; ks_rocksdb_env_persist_wait() waits until
     * they are on disk. A commit starts every store it checkpoints this
     * way, then waits once: the flushes run beside the rest of the
     * commit, and beside each other, instead of one after the other on
     * the stream thread. */
    KS_RDB_PERSIST_START,
    KS_RDB_PERSIST_WAIT /* on disk when flush() returns (the default) */
} ks_rdb_persist_t;
void ks_rocksdb_env_set_persist(ks_rocksdb_env_t *env, ks_rdb_persist_t p);
/* Wait until the memtables of every open store whose flush() started
 * writing them (KS_RDB_PERSIST_START) are on disk. KSTREAM_OK when there
 * is none (or env is NULL); else the first store's error, after waiting
 * for every store. */
kstream_err_t ks_rocksdb_env_persist_wait(ks_rocksdb_env_t *env);
/* Open (creating if needed) the store at dir; WAL off. */
ks_store_t *ks_kv_rocksdb_open(ks_rocksdb_env_t *env, const char *dir,
                               char *errstr, size_t errstr_size);

/* Pass stream time down the stack (calls the first layer that has
 * observe_time). */
void ks_store_observe_time(ks_store_t *s, int64_t t);
/* Tell the first layer that has bulk that a bulk load starts or ends. */
kstream_err_t ks_store_bulk(ks_store_t *s, bool on);
/* Pass a prefetch hint down the stack (to the first layer that has
 * prefetch: the record cache when there is one). */
void ks_store_prefetch(ks_store_t *s, const void *key, size_t klen,
                       bool deep);
/* The approximate count of what the stack has written below its record
 * cache, changelog layer and transaction buffer: entries still buffered
 * are not counted, so no per-entry reads (the statistics' store sizes; the
 * buffering layers' own approximate_count reads the store once per
 * buffered entry). */
uint64_t ks_store_written_count(ks_store_t *s);

/* ---- segmented stores (window and session stores) -------------------------
 * A segmented store is a ks_store_t over composite keys whose records are
 * spread over time segments, each a bottom store opened by `open`; a
 * segment is dropped whole once it is older than the retention. The
 * segment of a key is key_time(key) / segment_interval; it is opened on
 * the first put into it, by open(opaque, name) with name the segment id in
 * decimal ("0", "17", ...). Ranges merge the segments' iterators in key
 * order. (segments.c)
 *
 * Stream time: the largest of the times given to observe_time and of the
 * key times put (deletes included). As in Kafka Streams a record expires
 * exactly `retention` ms after its time: live while key_time >= stream
 * time - retention + 1. Expired records are invisible: get gives
 * KSTREAM_ERR_NOT_FOUND, range/prefix skip them, and puts of them are
 * ignored (KSTREAM_OK, nothing stored). A segment holding nothing live
 * (its span [id * interval, (id + 1) * interval) ends at or before that
 * bound) is closed and then drop(opaque, name) is called, so that the
 * owner can delete its files; an iterator still open over it delays both
 * until it closes. close() keeps the segments (no drop).
 *
 * key_time returns < 0 for a key without a time: put gives
 * KSTREAM_ERR_INVALID_ARG, get KSTREAM_ERR_NOT_FOUND. A segment that open
 * fails to give makes the put fail with KSTREAM_ERR_STORE (open reports
 * its own error; errstr is for it). Segments are opened by puts, and by
 * ks_segmented_attach(): a persistent store reopened on existing segment
 * directories must attach them, or it would not see them until written
 * to again.
 * retention >= 0, segment_interval > 0 (Kafka's default interval is
 * max(retention / 2, 60000)). drop and opaque_free may be NULL;
 * opaque_free(opaque) runs at close. NULL on out-of-memory (opaque then
 * stays the caller's). */
typedef ks_store_t *(ks_store_open_fn)(void *opaque, const char *segment,
                                       char *errstr, size_t errstr_size);
typedef void(ks_store_drop_fn)(void *opaque, const char *segment);
typedef int64_t(ks_key_time_fn)(const void *key, size_t klen);
ks_store_t *ks_segmented_new(ks_store_open_fn *open, ks_store_drop_fn *drop,
                             void *opaque, void (*opaque_free)(void *),
                             int64_t retention, int64_t segment_interval,
                             ks_key_time_fn *key_time);
/* Open the existing segment \p id (its name in decimal) of a segmented
 * store, as on reopening a persistent store. KSTREAM_ERR_STORE when the
 * open function fails. */
kstream_err_t ks_segmented_attach(ks_store_t *store, int64_t id);

/* Composite keys (wkeys.c). Window store: key + start (8 bytes, BE) -
 * Kafka's windowed key. Session store: key + end + start (8 bytes each,
 * BE) - Kafka's session key. Times are >= 0 (encode asserts it; clamp
 * range bounds) so BE bytes sort by time. encode returns the encoded
 * length (buf must hold klen + 8 / + 16). decode gives the record key
 * (borrowed from the composite key) and times; false when the composite
 * key is too short or holds a negative time. _time give the segment time
 * (window start / session end), -1 when there is none.
 *
 * The record key has no length prefix, so the composite keys of one key
 * are not a contiguous range of their own: a range over one key K,
 * [K + from .. K + to] (window) or [K + earliest_end + 0 .. K + INT64_MAX
 * + INT64_MAX] (session), can also return composite keys of other record
 * keys whose bytes continue K: longer keys (K = "a": "a\0" + t,
 * "a\0\0\0" + t, ...) and shorter ones whose time bytes continue K (K =
 * "a\0": "a" + t for t < 2^56). Every composite key in such a range
 * starts with the bytes of K, so the caller decodes each and keeps those
 * whose record key length is klen: they are exactly K's (then from <=
 * start <= to holds for windows; for sessions end >= earliest_end holds
 * and start <= latest_start is left to check). */
size_t ks_wkey_encode(uint8_t *buf, const void *key, size_t klen,
                      int64_t start);
bool ks_wkey_decode(const void *wkey, size_t len, kstream_bytes_t *key,
                    int64_t *start);
int64_t ks_wkey_time(const void *wkey, size_t len); /* start */
size_t ks_skey_encode(uint8_t *buf, const void *key, size_t klen,
                      int64_t start, int64_t end);
bool ks_skey_decode(const void *skey, size_t len, kstream_bytes_t *key,
                    int64_t *start, int64_t *end);
int64_t ks_skey_time(const void *skey, size_t len); /* end */

/* Window keys that keep duplicates (wkeys_dup.c; stream-stream join
 * stores, Kafka's retainDuplicates): key + time (8 bytes, BE) + seq (4
 * bytes, BE), so records of one key with the same time each have their
 * own key. Same rules as window keys above: times >= 0, encode returns
 * the length (buf holds klen + 12), decode gives the record key (borrowed)
 * or false, _time gives the time (-1: none). The store's type is
 * KSTREAM_STORE_WINDOW with ks_store_def_t.retain_duplicates set. */
size_t ks_wkey_dup_encode(uint8_t *buf, const void *key, size_t klen,
                          int64_t time, uint32_t seq);
bool ks_wkey_dup_decode(const void *dkey, size_t len, kstream_bytes_t *key,
                        int64_t *time, uint32_t *seq);
int64_t ks_wkey_dup_time(const void *dkey, size_t len); /* time */

/* ---- the record cache (cache.c) --------------------------------------------
 * One cache per stream thread, bounded by cache.max.bytes.buffering,
 * shared by the caching layers of every store of the thread (Kafka
 * Streams' ThreadCache + CachingKeyValueStore). A caching layer keeps
 * dirty entries (puts and deletes) and writes them down to its inner store
 * when they are evicted (least recently used first, across all stores of
 * the thread, whenever the total exceeds the bound) or when the layer is
 * flushed (on commit; in the order the keys were first dirtied). Each
 * write-down calls the layer's listener with the new value and the value
 * the inner store held before, so the owner can forward the update
 * downstream. Reads see dirty entries first; ranges merge the cache's
 * entries (deletes hide inner entries) with the inner store's, in key
 * order. With max_bytes 0 every put is written down at once. */
typedef struct ks_cache ks_cache_t;
ks_cache_t *ks_cache_new(size_t max_bytes);
void ks_cache_destroy(ks_cache_t *cache); /* after every layer is closed */
size_t ks_cache_bytes(const ks_cache_t *cache);

typedef kstream_err_t(ks_cache_listener_fn)(void *opaque, const void *key,
                                            size_t klen, const void *value,
                                            size_t vlen, const void *old,
                                            size_t olen);
/* value/old NULL: absent. listener may be NULL. The listener may read any
 * store (its own layer included) but must not write to its own layer.
 * Closing a caching layer drops its unflushed entries (flush first for a
 * clean close). */
ks_store_t *ks_cache_wrap(ks_store_t *inner, ks_cache_t *cache,
                          ks_cache_listener_fn *listener, void *opaque);
/* Optional (Kafka's record context of a cache entry): each put remembers
 * *now, and while an entry is written down *now holds the time remembered
 * with it (restored afterwards), so a changelog layer below whose
 * ts_source is `now`, and the listener, see the time of the update rather
 * than the time of the flush. `now` must outlive the layer. */
void ks_cache_set_time(ks_store_t *layer, int64_t *now);
/* wanted false: the listener does not use the old value of a put, so a
 * put is written down without reading the inner store first, and the
 * listener gets old NULL for it. Deletes still read it (a delete of a key
 * the inner store does not have is not written down) and report it.
 * Default: wanted. */
void ks_cache_set_old_values(ks_store_t *layer, bool wanted);
/* Keep a key-ordered index in this caching layer, for stores that are
 * ranged on every record (window and session stores): a range then costs
 * a seek plus the entries in it, where a layer without the index goes
 * over all its entries (fine for occasional queries). Each entry of the
 * layer is charged for the index too (more bytes of the bound).
 * KSTREAM_ERR_NO_MEMORY leaves the layer as it was. */
kstream_err_t ks_cache_set_ordered(ks_store_t *layer);
/* Drop every entry of this caching layer without writing it down (EOS
 * abort, task closed dirty): what was not flushed is lost. */
void ks_cache_drop(ks_store_t *layer);

/* ---- the changelogging layer (changelog.c) ---------------------------------
 * Writes every put/delete through to the inner store and produces it to
 * the changelog topic (same key and value; a delete is a tombstone), at
 * the given partition, with the timestamp *ts_source (the current
 * record's). produce is the runtime's record collector. `timestamped`
 * (DSL stores): values carry an 8-byte BE timestamp prefix; the changelog
 * gets the plain value stamped with that timestamp (Kafka's format). */
typedef kstream_err_t(ks_produce_fn)(void *owner, const struct ks_out *out);
ks_store_t *ks_changelog_wrap(ks_store_t *inner, const char *topic,
                              int32_t partition, ks_produce_fn *produce,
                              void *owner, const int64_t *ts_source,
                              bool timestamped);

/* ---- the public handle (metered.c) -------------------------------------------
 * kstream_store_t: the store stack as users see it. `timestamped`: values
 * below carry an 8-byte BE timestamp prefix (DSL stores) that the public
 * functions strip; public puts write the prefix from *ts_source (the
 * current record's time; 0 when ts_source is NULL, negatives clamped to
 * 0). `read_only` (test driver, global tables): every mutating call gives
 * KSTREAM_ERR_STATE. `window_size`: window stores only, the window size
 * that kstream_iter_window() adds to a window's start for its end.
 * Tracks open iterators: ks_pstore_close() closes the ones left open,
 * logging a warning naming the store. log may be NULL (no logging); it is
 * copied. The handle owns `top` from a successful call on: close it with
 * ks_pstore_close(). NULL on out-of-memory (top still the caller's). */
kstream_store_t *ks_pstore_new(ks_store_t *top, const char *name,
                               kstream_store_type_t type, bool timestamped,
                               bool read_only, int64_t window_size,
                               const int64_t *ts_source,
                               const ks_logger_t *log);
ks_store_t *ks_pstore_stack(kstream_store_t *ps); /* the top layer */
void ks_pstore_close(kstream_store_t *ps);        /* closes the stack */
/* Free a second handle made over a stack that another handle owns (a
 * read-only view for interactive queries): iterators left open are closed
 * with a warning; the stack stays open. */
void ks_pstore_release(kstream_store_t *ps);

/* ---- transactional state (txn.c, txn_iter.c; exactly_once_v2) ------------
 * A layer right above a bottom store (kv_mem, kv_rocksdb or a segmented
 * store), under the changelog layer: it buffers every put and delete of
 * the open transaction in an ordered in-memory buffer of its own and
 * applies them to the store below only at ks_txn_commit(), together with
 * the changelog offset they reach (Kafka's KIP-892 idea). So an aborted
 * transaction never reaches local state, and a store reopened after a
 * crash holds exactly the state of its last commit, at ks_txn_offset().
 *
 * Reads (get, range, prefix, approximate_count) see the buffer merged
 * over the inner store: a buffered put shadows the inner value, a
 * buffered delete hides the inner key. Iterators follow the store
 * interface: key order, inclusive bounds, closed by the caller, entries
 * copied (valid until the iterator's next call whatever happens
 * meanwhile); they see writes made while they are open (re-seeking past
 * the last key returned), commits and aborts included.
 *
 * flush() flushes the inner store (what is committed becomes durable) and
 * leaves the buffer alone. close() drops the buffer (an uncommitted
 * transaction is lost, exactly as in a crash) and closes the inner store.
 * The buffer is charged to no cache: it is bounded by the transaction
 * (commit.interval.ms, 100 ms under exactly-once); ks_txn_bytes() tells
 * its size for statistics.
 *
 * Atomicity of a commit, by store below:
 *   - kv_rocksdb: one RocksDB write batch holds the data (default column
 *     family) and the offset (column family "kstream-meta", key "offset",
 *     8 bytes BE; never seen by gets or ranges); flushes are atomic across
 *     the two families (atomic_flush), so on disk the offset always
 *     matches the data, across crashes (WAL off: a crash loses what was
 *     not flushed, data and offset together).
 *   - segmented stores: each segment's share is one commit_batch of that
 *     segment (atomic per RocksDB segment, with the offset in the
 *     segment's meta family); segments are applied in turn and the
 *     store's offset is recorded last, in memory (after a reopen it is -1:
 *     the runtime goes by its checkpoint file). A crash between segments
 *     leaves later segments at the old state: data is never ahead of the
 *     offset the checkpoint gives, so replaying the changelog from it
 *     repairs them.
 *   - stores without commit_batch (kv_mem): puts in key order, the offset
 *     kept in the layer (memory only; nothing survives the process). A
 *     put that fails (out of memory) leaves the commit half applied.
 * A failed commit keeps the buffer (RocksDB: nothing was applied), to be
 * retried or aborted. */
typedef struct ks_txn_op {
    const void *key;
    size_t klen;
    const void *value; /* NULL: delete */
    size_t vlen;
} ks_txn_op_t;

/* Wrap inner (taken over: closed with the layer). NULL on out-of-memory
 * (inner is still the caller's). */
ks_store_t *ks_txn_wrap(ks_store_t *inner);
/* Apply the buffered writes to the inner store and record offset (>= 0,
 * the changelog offset the committed state reaches), atomically as said
 * above; the buffer is then empty. Also with an empty buffer (the offset
 * moves). */
kstream_err_t ks_txn_commit(ks_store_t *layer, int64_t offset);
/* Drop the buffered writes: reads see the inner store as it was. */
void ks_txn_abort(ks_store_t *layer);
/* The changelog offset the committed state reaches; -1 when none was
 * recorded (read back from disk after a reopen, for RocksDB). */
int64_t ks_txn_offset(ks_store_t *layer);
/* Bytes the buffer holds (keys, values, index). */
size_t ks_txn_bytes(const ks_store_t *layer);
/* Buffered writes (puts and deletes of distinct keys). */
size_t ks_txn_pending(const ks_store_t *layer);

#endif /* KS_STORE_H */
