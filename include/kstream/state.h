/* kstream/state.h - part of the public API: state stores.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_STATE_H
#define KSTREAM_STATE_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/state.h>"
#endif

/**
 * @name State stores
 * A store belongs to one task (one partition of a sub-topology) and is used
 * only by that task's stream thread: no locks. Stores are persistent
 * (RocksDB under state.dir) or in memory; either way every change is
 * written to the compacted changelog topic "<application.id>-<store>-changelog"
 * unless logging is disabled, and a cache (cache.max.bytes.buffering) can
 * absorb repeated updates between commits.
 *
 * Keys are ordered by their bytes (memcmp, then shorter first). Ranges are
 * inclusive at both ends; a NULL bound is open. Values returned by a store
 * are borrowed until the next call on the same store or until the callback
 * returns. Iterators must be closed; one left open when its task closes is
 * closed for you, with a warning.
 *
 * Window stores hold (key, window start) -> value; session stores hold
 * (key, session start, session end) -> value. Their iterators also give the
 * window or session bounds (kstream_iter_window()).
 * @{
 */
typedef struct kstream_store_s kstream_store_t;
typedef struct kstream_iter_s kstream_iter_t;

typedef enum kstream_store_type_e {
    KSTREAM_STORE_KEY_VALUE = 0,
    KSTREAM_STORE_WINDOW = 1,
    KSTREAM_STORE_SESSION = 2
} kstream_store_type_t;

/** Where a store keeps its data. KSTREAM_STORE_DEFAULT follows
 *  "default.dsl.store". */
typedef enum kstream_store_backend_e {
    KSTREAM_STORE_DEFAULT = 0,
    KSTREAM_STORE_ROCKSDB = 1,
    KSTREAM_STORE_MEMORY = 2
} kstream_store_backend_t;

/** Flags of kstream_builder_add_store(). */
#define KSTREAM_STORE_LOGGING_DISABLED 0x1 /**< no changelog topic */
#define KSTREAM_STORE_CACHING_ENABLED 0x2  /**< use the record cache */

/**
 * Add a store that processors reach by name (kstream_stream_process()'s
 * \p stores, then kstream_ctx_store()). \p name is required and names the
 * store's directory and changelog topic.
 * @param retention_ms window/session stores: how long data is kept (at
 *        least the window size); ignored for key-value stores.
 * @param window_size_ms window stores: the window size; else ignored.
 * @returns KSTREAM_ERR_DUPLICATE_NAME when a store of that name exists,
 *          KSTREAM_ERR_INVALID_ARG for bad arguments (also recorded in the
 *          builder).
 */
KSTREAM_EXPORT kstream_err_t kstream_builder_add_store(
        kstream_builder_t *b, const char *name, kstream_store_type_t type,
        kstream_store_backend_t backend, int flags, int64_t retention_ms,
        int64_t window_size_ms);

/** The store called \p name that this processor was connected to, or NULL.
 *  @locality stream thread only. */
KSTREAM_EXPORT kstream_store_t *kstream_ctx_store(kstream_ctx_t *ctx,
                                                  const char *name);

/** @returns the store's type, or -1 for NULL. */
KSTREAM_EXPORT int kstream_store_type(const kstream_store_t *st);
/** @returns the store's name, or NULL. */
KSTREAM_EXPORT const char *kstream_store_name(const kstream_store_t *st);

/* ---- key-value stores ---------------------------------------------------- */
/** @returns KSTREAM_OK with \p value set, or KSTREAM_ERR_NOT_FOUND. */
KSTREAM_EXPORT kstream_err_t kstream_store_get(kstream_store_t *st,
                                               const void *key, size_t klen,
                                               kstream_bytes_t *value);
/** Insert or replace (key and value copied). \p value NULL deletes. */
KSTREAM_EXPORT kstream_err_t kstream_store_put(kstream_store_t *st,
                                               const void *key, size_t klen,
                                               const void *value,
                                               size_t vlen);
/** Insert when absent. @returns KSTREAM_OK when inserted, else
 *  KSTREAM_ERR_DUPLICATE_NAME with the present value in \p existing
 *  (may be NULL). */
KSTREAM_EXPORT kstream_err_t kstream_store_put_if_absent(
        kstream_store_t *st, const void *key, size_t klen, const void *value,
        size_t vlen, kstream_bytes_t *existing);
/** Delete; the old value, if any, goes to \p old (may be NULL).
 *  @returns KSTREAM_OK or KSTREAM_ERR_NOT_FOUND. */
KSTREAM_EXPORT kstream_err_t kstream_store_delete(kstream_store_t *st,
                                                  const void *key,
                                                  size_t klen,
                                                  kstream_bytes_t *old);
/** Keys from \p from to \p to, both inclusive (NULL: open). */
KSTREAM_EXPORT kstream_err_t kstream_store_range(kstream_store_t *st,
                                                 const void *from,
                                                 size_t flen, const void *to,
                                                 size_t tlen,
                                                 kstream_iter_t **it);
/** Keys that start with \p prefix. */
KSTREAM_EXPORT kstream_err_t kstream_store_prefix(kstream_store_t *st,
                                                  const void *prefix,
                                                  size_t plen,
                                                  kstream_iter_t **it);
/** Every key. */
KSTREAM_EXPORT kstream_err_t kstream_store_all(kstream_store_t *st,
                                               kstream_iter_t **it);
/** An estimate of the number of keys (exact for in-memory stores). */
KSTREAM_EXPORT kstream_err_t
kstream_store_approximate_count(kstream_store_t *st, uint64_t *count);

/* ---- window stores --------------------------------------------------------- */
/** Put the value of (key, window start); \p value NULL deletes. */
KSTREAM_EXPORT kstream_err_t kstream_window_store_put(
        kstream_store_t *st, const void *key, size_t klen,
        int64_t window_start, const void *value, size_t vlen);
/** The value of one window. @returns KSTREAM_ERR_NOT_FOUND when absent. */
KSTREAM_EXPORT kstream_err_t kstream_window_store_get(
        kstream_store_t *st, const void *key, size_t klen,
        int64_t window_start, kstream_bytes_t *value);
/** Windows of \p key whose start is in [time_from, time_to], by start. */
KSTREAM_EXPORT kstream_err_t kstream_window_store_fetch(
        kstream_store_t *st, const void *key, size_t klen, int64_t time_from,
        int64_t time_to, kstream_iter_t **it);
/** Windows of every key with start in [time_from, time_to], in the
 *  store's order (by encoded key: key bytes then start; when one key is a
 *  prefix of another their windows may interleave, as in Kafka Streams). */
KSTREAM_EXPORT kstream_err_t
kstream_window_store_fetch_all(kstream_store_t *st, int64_t time_from,
                               int64_t time_to, kstream_iter_t **it);

/* ---- session stores -------------------------------------------------------- */
/** Put the value of the session (key, start, end); \p value NULL removes
 *  it. */
KSTREAM_EXPORT kstream_err_t kstream_session_store_put(
        kstream_store_t *st, const void *key, size_t klen, int64_t start,
        int64_t end, const void *value, size_t vlen);
/** Sessions of \p key with end >= \p earliest_end and start <=
 *  \p latest_start (those overlapping or touching that span). */
KSTREAM_EXPORT kstream_err_t kstream_session_store_find(
        kstream_store_t *st, const void *key, size_t klen,
        int64_t earliest_end, int64_t latest_start, kstream_iter_t **it);

/* ---- iterators ------------------------------------------------------------- */
/** The next entry: KSTREAM_OK, or KSTREAM_ERR_EMPTY at the end. For window
 *  and session stores \p key is the record key (not the store's encoded
 *  key). Borrowed until the next call on \p it. */
KSTREAM_EXPORT kstream_err_t kstream_iter_next(kstream_iter_t *it,
                                               kstream_bytes_t *key,
                                               kstream_bytes_t *value);
/** Window start and end (exclusive for time windows, inclusive for
 *  sessions) of the entry last returned by kstream_iter_next(). For a
 *  key-value iterator both are -1. */
KSTREAM_EXPORT kstream_err_t kstream_iter_window(const kstream_iter_t *it,
                                                 int64_t *start,
                                                 int64_t *end);
/** Close and free. NULL is a no-op. */
KSTREAM_EXPORT void kstream_iter_close(kstream_iter_t *it);
/** @} */

#endif /* KSTREAM_STATE_H */
