/* kstream/table.h - part of the public API: tables, grouping,
 * aggregations, windows, suppression, deduplication.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_TABLE_H
#define KSTREAM_TABLE_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/table.h>"
#endif

/**
 * @name Tables and aggregations
 * A table is a changelog stream: each update of a key replaces its value,
 * and a NULL value (tombstone) deletes the key. Tables are materialized in
 * a key-value store named after the operator (\p name is required for every
 * operator that keeps state; the store's backend follows
 * "default.dsl.store", its changelog is "<application.id>-<name>-changelog",
 * and its cache is "cache.max.bytes.buffering": with the cache on, fewer
 * updates flow downstream, with the same final values).
 *
 * Table operators see each update with the key's previous value, so
 * filters and aggregations over tables retract what they emitted before
 * (Kafka Streams' Change<V>).
 *
 * Aggregates are bytes. count() values are Kafka longs (8 bytes,
 * big-endian). Windowed results have Kafka's windowed keys: the key
 * followed by the 8-byte big-endian window start (time windows), or by the
 * session end and start (session windows).
 *
 * Records with a NULL key (or a NULL value, for stream aggregations) are
 * skipped and counted ("records-dropped"), as Kafka Streams does. Records
 * later than window end + grace are dropped and counted
 * ("late-records-dropped"), or sent to the dead-letter topic when
 * "late.records.handler" is "dlq".
 * @{
 */
typedef struct kstream_table_s kstream_table_t;
typedef struct kstream_grouped_s kstream_grouped_t;
typedef struct kstream_grouped_table_s kstream_grouped_table_t;
typedef struct kstream_windowed_s kstream_windowed_t;
typedef struct kstream_cogrouped_s kstream_cogrouped_t;

/** Write the initial aggregate into \p out. */
typedef kstream_err_t(kstream_initializer_cb)(kstream_buf_t *out,
                                              void *opaque);
/** Fold \p rec into the aggregate \p agg, writing the result into \p out
 *  (which starts empty). Reducers get the current value as \p agg. */
typedef kstream_err_t(kstream_aggregator_cb)(const kstream_record_t *rec,
                                             kstream_bytes_t agg,
                                             kstream_buf_t *out,
                                             void *opaque);
/** Merge two session aggregates of \p key into \p out. */
typedef kstream_err_t(kstream_merger_cb)(kstream_bytes_t key,
                                         kstream_bytes_t agg1,
                                         kstream_bytes_t agg2,
                                         kstream_buf_t *out, void *opaque);
/** Give the id of a record for deduplication: set \p id (borrowed from the
 *  record or static). A NULL id keeps the record. */
typedef kstream_err_t(kstream_id_extractor_cb)(const kstream_record_t *rec,
                                               kstream_bytes_t *id,
                                               void *opaque);

/** Windows of a windowed aggregation (a plain value; use the makers). */
typedef struct kstream_windows_s {
    int kind; /* 1 tumbling, 2 hopping, 3 sliding, 4 session */
    int64_t size_ms;    /* window size; sliding: time difference; session:
                           inactivity gap */
    int64_t advance_ms; /* hopping: advance; tumbling: = size */
    int64_t grace_ms;   /* how late a record may be and still count */
} kstream_windows_t;

/** Tumbling windows [n*size, (n+1)*size). */
KSTREAM_EXPORT kstream_windows_t kstream_windows_tumbling(int64_t size_ms,
                                                          int64_t grace_ms);
/** Hopping windows of \p size_ms every \p advance_ms (aligned to 0). */
KSTREAM_EXPORT kstream_windows_t kstream_windows_hopping(int64_t size_ms,
                                                         int64_t advance_ms,
                                                         int64_t grace_ms);
/** Kafka Streams' SlidingWindows: windows [t - diff, t] that hold the
 *  records within \p time_difference_ms of each other. */
KSTREAM_EXPORT kstream_windows_t
kstream_windows_sliding(int64_t time_difference_ms, int64_t grace_ms);
/** Session windows: records of a key at most \p gap_ms apart share a
 *  session (as in Kafka Streams); a record bridging two sessions merges
 *  them. */
KSTREAM_EXPORT kstream_windows_t kstream_windows_session(int64_t gap_ms,
                                                         int64_t grace_ms);

/* ---- tables ---------------------------------------------------------------- */
/** A table of \p topic's records (tombstones delete). \p name required. */
KSTREAM_EXPORT kstream_table_t *kstream_builder_table(kstream_builder_t *b,
                                                      const char *topic,
                                                      const char *name);
/** A global table: every partition of \p topic, in every task, fed before
 *  processing starts and kept up to date. Read from processors with
 *  kstream_ctx_store(ctx, name) (read only). \p name required. */
KSTREAM_EXPORT kstream_err_t kstream_builder_global_table(
        kstream_builder_t *b, const char *topic, const char *name);
/** Keep rows the predicate matches; a row that stops matching is deleted
 *  downstream (a tombstone). */
KSTREAM_EXPORT kstream_table_t *
kstream_table_filter(kstream_table_t *t, kstream_predicate_cb *pred,
                     void *opaque, kstream_free_cb *opaque_free,
                     const char *name);
KSTREAM_EXPORT kstream_table_t *
kstream_table_filter_not(kstream_table_t *t, kstream_predicate_cb *pred,
                         void *opaque, kstream_free_cb *opaque_free,
                         const char *name);
/** New values (the key is read-only); tombstones pass through unmapped. */
KSTREAM_EXPORT kstream_table_t *
kstream_table_map_values(kstream_table_t *t, kstream_mapper_cb *fn,
                         void *opaque, kstream_free_cb *opaque_free,
                         const char *name);
/** The table's updates as a stream (tombstones as NULL values). */
KSTREAM_EXPORT kstream_stream_t *kstream_table_to_stream(kstream_table_t *t,
                                                         const char *name);
/** A stream read as a table (materialized; \p name required). After a
 *  key-changing operator the stream is first repartitioned through
 *  "<application.id>-<name>-repartition". */
KSTREAM_EXPORT kstream_table_t *kstream_stream_to_table(kstream_stream_t *s,
                                                        const char *name);

/* ---- grouping ---------------------------------------------------------------- */
/** Group by the current key. After a key-changing operator the
 *  aggregation repartitions through "<application.id>-<aggregation
 *  name>-repartition". */
KSTREAM_EXPORT kstream_grouped_t *kstream_stream_group_by_key(
        kstream_stream_t *s);
/** Group by a new key chosen by \p fn (a select_key-style mapper); always
 *  repartitions ("<application.id>-<name>-repartition"). \p name
 *  required. */
KSTREAM_EXPORT kstream_grouped_t *
kstream_stream_group_by(kstream_stream_t *s, kstream_mapper_cb *fn,
                        void *opaque, kstream_free_cb *opaque_free,
                        const char *name);
/** Re-key a table's rows with \p fn (set key and value); aggregations of
 *  the result add new rows and subtract old ones. \p name required. */
KSTREAM_EXPORT kstream_grouped_table_t *
kstream_table_group_by(kstream_table_t *t, kstream_mapper_cb *fn,
                       void *opaque, kstream_free_cb *opaque_free,
                       const char *name);

/* ---- aggregations ------------------------------------------------------------ */
KSTREAM_EXPORT kstream_table_t *kstream_grouped_count(kstream_grouped_t *g,
                                                      const char *name);
KSTREAM_EXPORT kstream_table_t *
kstream_grouped_reduce(kstream_grouped_t *g, kstream_aggregator_cb *reducer,
                       void *opaque, kstream_free_cb *opaque_free,
                       const char *name);
KSTREAM_EXPORT kstream_table_t *kstream_grouped_aggregate(
        kstream_grouped_t *g, kstream_initializer_cb *init,
        kstream_aggregator_cb *aggregator, void *opaque,
        kstream_free_cb *opaque_free, const char *name);

KSTREAM_EXPORT kstream_table_t *
kstream_grouped_table_count(kstream_grouped_table_t *g, const char *name);
KSTREAM_EXPORT kstream_table_t *kstream_grouped_table_reduce(
        kstream_grouped_table_t *g, kstream_aggregator_cb *adder,
        kstream_aggregator_cb *subtractor, void *opaque,
        kstream_free_cb *opaque_free, const char *name);
KSTREAM_EXPORT kstream_table_t *kstream_grouped_table_aggregate(
        kstream_grouped_table_t *g, kstream_initializer_cb *init,
        kstream_aggregator_cb *adder, kstream_aggregator_cb *subtractor,
        void *opaque, kstream_free_cb *opaque_free, const char *name);

/** Start a cogroup with \p g's records folded by \p aggregator. */
KSTREAM_EXPORT kstream_cogrouped_t *
kstream_grouped_cogroup(kstream_grouped_t *g, kstream_aggregator_cb *aggregator,
                        void *opaque, kstream_free_cb *opaque_free);
/** Add another grouped stream with its own aggregator. */
KSTREAM_EXPORT kstream_err_t kstream_cogrouped_add(
        kstream_cogrouped_t *cg, kstream_grouped_t *g,
        kstream_aggregator_cb *aggregator, void *opaque,
        kstream_free_cb *opaque_free);
/** One aggregate over every cogrouped stream. */
KSTREAM_EXPORT kstream_table_t *
kstream_cogrouped_aggregate(kstream_cogrouped_t *cg,
                            kstream_initializer_cb *init, void *opaque,
                            kstream_free_cb *opaque_free, const char *name);

/* ---- windowed aggregations ---------------------------------------------------- */
KSTREAM_EXPORT kstream_windowed_t *
kstream_grouped_windowed_by(kstream_grouped_t *g, kstream_windows_t windows);
KSTREAM_EXPORT kstream_table_t *kstream_windowed_count(kstream_windowed_t *w,
                                                       const char *name);
KSTREAM_EXPORT kstream_table_t *kstream_windowed_reduce(
        kstream_windowed_t *w, kstream_aggregator_cb *reducer, void *opaque,
        kstream_free_cb *opaque_free, const char *name);
/** \p merger is required for session windows and ignored otherwise. */
KSTREAM_EXPORT kstream_table_t *kstream_windowed_aggregate(
        kstream_windowed_t *w, kstream_initializer_cb *init,
        kstream_aggregator_cb *aggregator, kstream_merger_cb *merger,
        void *opaque, kstream_free_cb *opaque_free, const char *name);

/* ---- suppression --------------------------------------------------------------- */
/** What a full suppression buffer does. */
typedef enum kstream_buffer_full_e {
    KSTREAM_BUFFER_EMIT_EARLY = 0, /**< emit the oldest entries now */
    KSTREAM_BUFFER_FAIL = 1        /**< fail (the app stops) */
} kstream_buffer_full_t;

/** Emit final: one result per window of a windowed table, once stream time
 *  passes window end + grace. \p max_records / \p max_bytes bound the
 *  buffer (0: unbounded). */
KSTREAM_EXPORT kstream_table_t *kstream_table_suppress_until_window_closes(
        kstream_table_t *t, uint64_t max_records, uint64_t max_bytes,
        kstream_buffer_full_t when_full, const char *name);
/** Hold each key's latest update until \p time_limit_ms of stream time has
 *  passed since the key's first buffered update, then emit it. */
KSTREAM_EXPORT kstream_table_t *kstream_table_suppress_until_time_limit(
        kstream_table_t *t, int64_t time_limit_ms, uint64_t max_records,
        uint64_t max_bytes, kstream_buffer_full_t when_full,
        const char *name);

/* ---- deduplication --------------------------------------------------------------- */
/** Drop a record whose id was already seen within \p window_ms (in either
 *  direction of time). Ids are kept per partition: key the stream by id,
 *  or by something that determines it, for a global guarantee. Dropped
 *  duplicates are counted ("duplicates-dropped"). */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_deduplicate(kstream_stream_t *s, kstream_id_extractor_cb *fn,
                           void *opaque, kstream_free_cb *opaque_free,
                           int64_t window_ms, const char *name);
/** @} */

#endif /* KSTREAM_TABLE_H */
