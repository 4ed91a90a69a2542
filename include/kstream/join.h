/* kstream/join.h - part of the public API: joins.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_JOIN_H
#define KSTREAM_JOIN_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/join.h>"
#endif

/**
 * @name Joins
 * Every join Kafka Streams has, with its semantics. Joins keep state, so
 * \p name is required: it names the join's stores
 * ("<application.id>-<name>-...-changelog") and internal topics.
 *
 * Co-partitioning: the two inputs of a stream-table, stream-stream or
 * table-table join must have the same number of partitions and be
 * partitioned by the same key. When an input's key was changed upstream
 * (select_key, map, flat_map, group_by, process), a repartition topic
 * "<application.id>-<name>-left-repartition" (or "-right-") is inserted
 * first. Partition counts are checked when the topology starts (and by the
 * builder where they are known); a mismatch is an error that names both
 * topics. Stream-global and foreign-key joins need no co-partitioning.
 *
 * Results: the key is the left side's key; the value is what the joiner
 * writes; the timestamp is the larger of the two input timestamps
 * (stream-global joins: the stream record's); headers are the left
 * record's (for an outer join's right-only result, the right record's).
 *
 * Records with a NULL key are skipped and counted ("records-dropped"),
 * except in left stream-table and stream-global joins, which emit them
 * with no right side (Kafka Streams 3.7+).
 * @{
 */
typedef enum kstream_join_kind_e {
    KSTREAM_JOIN_INNER = 0, /**< a result only when both sides match */
    KSTREAM_JOIN_LEFT = 1,  /**< every left record, right side if any */
    KSTREAM_JOIN_OUTER = 2  /**< every record of either side */
} kstream_join_kind_t;

/**
 * Combine the two sides into \p out. \p left or \p right is NULL when that
 * side is missing (left and outer joins). \p out starts as a copy of the
 * left record (of the right one when \p left is NULL) with a NULL value;
 * set its value (the key is read-only). For table-table joins the records
 * carry the rows' values; a result with a NULL value deletes the key from
 * the result table.
 */
typedef kstream_err_t(kstream_joiner_cb)(const kstream_record_t *left,
                                         const kstream_record_t *right,
                                         kstream_record_t *out, void *opaque);
/** Write the key to look up (global table key, or foreign key) into
 *  \p key. Return KSTREAM_ERR_NOT_FOUND for "no key": the record then
 *  joins nothing (left joins still emit it). */
typedef kstream_err_t(kstream_key_extractor_cb)(const kstream_record_t *rec,
                                                kstream_buf_t *key,
                                                void *opaque);

/** Join windows of a stream-stream join: a left record at time t joins
 *  right records in [t - before_ms, t + after_ms]. A record is late (dropped
 *  and counted) when its time is older than stream time - (before_ms +
 *  after_ms + grace_ms), which is what Kafka Streams' join stores keep (a
 *  plain value; use the makers). */
typedef struct kstream_join_windows_s {
    int64_t before_ms;
    int64_t after_ms;
    int64_t grace_ms;
} kstream_join_windows_t;

/** Symmetric join windows: |t_left - t_right| <= \p time_difference_ms. */
KSTREAM_EXPORT kstream_join_windows_t
kstream_join_windows(int64_t time_difference_ms, int64_t grace_ms);
/** Asymmetric join windows. */
KSTREAM_EXPORT kstream_join_windows_t kstream_join_windows_asym(
        int64_t before_ms, int64_t after_ms, int64_t grace_ms);

/** Stream-table join (inner or left): each stream record looks up the
 *  table's current value for its key; table updates alone emit nothing. */
KSTREAM_EXPORT kstream_stream_t *kstream_stream_join_table(
        kstream_stream_t *s, kstream_table_t *t, kstream_join_kind_t kind,
        kstream_joiner_cb *joiner, void *opaque, kstream_free_cb *opaque_free,
        const char *name);
/** Stream-global-table join (inner or left): \p mapper gives the global
 *  table's key for each stream record (\p opaque is shared by both
 *  callbacks). No co-partitioning needed. */
KSTREAM_EXPORT kstream_stream_t *kstream_stream_join_global(
        kstream_stream_t *s, const char *global_table,
        kstream_key_extractor_cb *mapper, kstream_join_kind_t kind,
        kstream_joiner_cb *joiner, void *opaque, kstream_free_cb *opaque_free,
        const char *name);
/** Windowed stream-stream join (inner, left or outer). Left and outer
 *  joins emit an unmatched record once its window has closed (stream time
 *  past its time + window + grace; Kafka Streams' KIP-633), never before
 *  and never when it matched. */
KSTREAM_EXPORT kstream_stream_t *kstream_stream_join_stream(
        kstream_stream_t *left, kstream_stream_t *right,
        kstream_join_windows_t windows, kstream_join_kind_t kind,
        kstream_joiner_cb *joiner, void *opaque, kstream_free_cb *opaque_free,
        const char *name);
/** Table-table join (inner, left or outer): a table whose rows follow both
 *  inputs' updates and deletes. */
KSTREAM_EXPORT kstream_table_t *kstream_table_join_table(
        kstream_table_t *left, kstream_table_t *right, kstream_join_kind_t kind,
        kstream_joiner_cb *joiner, void *opaque, kstream_free_cb *opaque_free,
        const char *name);
/** Foreign-key table-table join (inner or left; Kafka Streams' KIP-213):
 *  each left row joins the right row whose key \p fk extracts from the
 *  left value. Uses the internal topics
 *  "<application.id>-<name>-subscription-registration-topic" and
 *  "<application.id>-<name>-subscription-response-topic". A changed
 *  foreign key retracts the old result and emits the new one; deleting
 *  either side's row updates the result (\p opaque is shared by both
 *  callbacks). */
KSTREAM_EXPORT kstream_table_t *kstream_table_join_fk(
        kstream_table_t *left, kstream_table_t *right,
        kstream_key_extractor_cb *fk, kstream_join_kind_t kind,
        kstream_joiner_cb *joiner, void *opaque, kstream_free_cb *opaque_free,
        const char *name);
/** @} */

#endif /* KSTREAM_JOIN_H */
