/* kstream/dsl.h - part of the public API: the DSL: builder, streams, topology.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_DSL_H
#define KSTREAM_DSL_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/dsl.h>"
#endif

/**
 * @name DSL (stateless)
 * A builder makes streams; operators on a stream make new streams. Every
 * operator takes an optional \p name (NULL: a generated name such as
 * "KSTREAM-FILTER-0000000003"); names are unique in a topology. Stateful
 * operators and internal topics need an explicit name.
 *
 * Errors are sticky: an operator given a bad argument records the first
 * error in the builder and returns NULL (or an error code);
 * kstream_builder_build() then fails with that message. Operators given a
 * NULL stream return NULL. Every handle made by the builder is owned by it.
 *
 * Callbacks run on a stream thread (inside the test driver: the caller's
 * thread). Each returns KSTREAM_OK, or an error code to fail the record,
 * which then goes to "processing.exception.handler" (a serde failure in a
 * callback too: KSTREAM_ERR_SERDE). To say why, return kstream_fail().
 * Callbacks take \p opaque last; \p opaque_free, when set, frees it when
 * the builder or the topology is destroyed.
 * @{
 */
typedef struct kstream_builder_s kstream_builder_t;
typedef struct kstream_stream_s kstream_stream_t;
typedef struct kstream_split_s kstream_split_t;
typedef struct kstream_topology_s kstream_topology_t;

/** Sets \p *match to keep (true) or drop (false) the record. */
typedef kstream_err_t(kstream_predicate_cb)(const kstream_record_t *rec,
                                            bool *match, void *opaque);
/** \p out starts as a copy of \p in; change what the operator allows. */
typedef kstream_err_t(kstream_mapper_cb)(const kstream_record_t *in,
                                         kstream_record_t *out, void *opaque);
/** Add 0..N records to \p out with kstream_records_add(). */
typedef kstream_err_t(kstream_flat_mapper_cb)(const kstream_record_t *in,
                                              kstream_records_t *out,
                                              void *opaque);
typedef kstream_err_t(kstream_foreach_cb)(const kstream_record_t *rec,
                                          void *opaque);
/** Choose the sink topic: set \p *topic to a NUL-terminated name that stays
 *  valid until the callback's next call (a static or opaque-owned string). */
typedef kstream_err_t(kstream_topic_extractor_cb)(const kstream_record_t *rec,
                                                  const char **topic,
                                                  void *opaque);
/** Choose a record's timestamp. \p partition_time is the largest timestamp
 *  seen on the record's partition (-1 before the first). A negative result
 *  sends the record to "default.deserialization.exception.handler". */
typedef kstream_err_t(kstream_timestamp_extractor_cb)(
        const kstream_record_t *rec, int64_t partition_time, int64_t *ts,
        void *opaque);

/**
 * Fail the record being processed with a message: from inside a callback
 * of an operator (filter, map, aggregator, joiner, ...), return
 * kstream_fail(KSTREAM_ERR_SERDE, "bad order %d: %s", id, why). The
 * message (formatted like printf, cut at 255 bytes) replaces the
 * operator's "callback returned ..." in the processing handler's log
 * line, the fail message and the dead-letter header
 * __kstream.error.message. Only the first failure of a record counts; a
 * call whose result is not returned leaves a stale message, so always
 * return it. Outside a callback of an operator (a timestamp extractor,
 * another thread) only \p err is returned. In the processor API and in
 * punctuators use kstream_ctx_fail().
 * @returns \p err; KSTREAM_ERR_INVALID_ARG when \p err is KSTREAM_OK or
 *          \p fmt is NULL.
 * @locality stream thread only (inside callbacks).
 */
KSTREAM_EXPORT kstream_err_t kstream_fail(kstream_err_t err, const char *fmt,
                                          ...);

/** @returns a new builder, or NULL on out-of-memory. */
KSTREAM_EXPORT kstream_builder_t *kstream_builder_new(void);
/** Free a builder and everything it made. NULL is a no-op. */
KSTREAM_EXPORT void kstream_builder_destroy(kstream_builder_t *b);
/** @returns the first error recorded by an operator, or NULL. Borrowed. */
KSTREAM_EXPORT const char *kstream_builder_error(const kstream_builder_t *b);
/**
 * Validate the graph and make a topology. Checks: operator errors, unknown
 * names (children, stores), duplicate names, duplicate source topics, a
 * cycle through topics, stateful operators without a name.
 * @param b consumed, whatever the result.
 * @returns the topology, or NULL with a message naming the offending node.
 */
KSTREAM_EXPORT kstream_topology_t *kstream_builder_build(kstream_builder_t *b,
                                                         char *errstr,
                                                         size_t errstr_size);

/** A stream of the records of \p topic. */
KSTREAM_EXPORT kstream_stream_t *
kstream_builder_stream(kstream_builder_t *b, const char *topic,
                       const char *name);
/** A stream of the records of several topics (strings copied). */
KSTREAM_EXPORT kstream_stream_t *
kstream_builder_stream_topics(kstream_builder_t *b, const char *const *topics,
                              size_t ntopics, const char *name);
/** Use \p cb for the timestamps of a source stream (default: the record's
 *  own timestamp). @returns KSTREAM_ERR_INVALID_ARG when \p source is not a
 *  stream made by kstream_builder_stream*(). */
KSTREAM_EXPORT kstream_err_t kstream_stream_set_timestamp_extractor(
        kstream_stream_t *source, kstream_timestamp_extractor_cb *cb,
        void *opaque, kstream_free_cb *opaque_free);

/** Keep the records for which \p pred matches. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_filter(kstream_stream_t *s, kstream_predicate_cb *pred,
                      void *opaque, kstream_free_cb *opaque_free,
                      const char *name);
/** Keep the records for which \p pred does not match. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_filter_not(kstream_stream_t *s, kstream_predicate_cb *pred,
                          void *opaque, kstream_free_cb *opaque_free,
                          const char *name);
/** Change key and/or value (and timestamp, headers). Key-changing. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_map(kstream_stream_t *s, kstream_mapper_cb *fn, void *opaque,
                   kstream_free_cb *opaque_free, const char *name);
/** Change the value (and timestamp, headers); the key is read-only. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_map_values(kstream_stream_t *s, kstream_mapper_cb *fn,
                          void *opaque, kstream_free_cb *opaque_free,
                          const char *name);
/** Change the key (and timestamp, headers); the value is read-only. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_select_key(kstream_stream_t *s, kstream_mapper_cb *fn,
                          void *opaque, kstream_free_cb *opaque_free,
                          const char *name);
/** Zero or more records per record. Key-changing. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_flat_map(kstream_stream_t *s, kstream_flat_mapper_cb *fn,
                        void *opaque, kstream_free_cb *opaque_free,
                        const char *name);
/** Zero or more records per record; keys are read-only. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_flat_map_values(kstream_stream_t *s, kstream_flat_mapper_cb *fn,
                               void *opaque, kstream_free_cb *opaque_free,
                               const char *name);
/** Call \p fn for each record and pass it on unchanged. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_peek(kstream_stream_t *s, kstream_foreach_cb *fn, void *opaque,
                    kstream_free_cb *opaque_free, const char *name);
/** Call \p fn for each record (terminal). */
KSTREAM_EXPORT kstream_err_t
kstream_stream_foreach(kstream_stream_t *s, kstream_foreach_cb *fn,
                       void *opaque, kstream_free_cb *opaque_free,
                       const char *name);
/** One stream of the records of both. */
KSTREAM_EXPORT kstream_stream_t *kstream_stream_merge(kstream_stream_t *a,
                                                      kstream_stream_t *b,
                                                      const char *name);
/** Write each record to \p topic (terminal). Keyed records are partitioned
 *  by murmur2 of the key, as Java producers do. */
KSTREAM_EXPORT kstream_err_t kstream_stream_to(kstream_stream_t *s,
                                               const char *topic,
                                               const char *name);
/** Write each record to the topic \p fn chooses (terminal). */
KSTREAM_EXPORT kstream_err_t
kstream_stream_to_dynamic(kstream_stream_t *s, kstream_topic_extractor_cb *fn,
                          void *opaque, kstream_free_cb *opaque_free,
                          const char *name);
/** Write the stream through the internal topic
 *  "<application.id>-<name>-repartition" and read it back (a new
 *  sub-topology). \p name is required. \p partitions 0: as many as the
 *  upstream source topics have. */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_repartition(kstream_stream_t *s, int32_t partitions,
                           const char *name);
/** Print each record as "[label]: key, value" to \p out (NULL: stdout),
 *  bytes as text with non-printable bytes escaped, nulls as "null"
 *  (terminal). \p label NULL: the node name. */
KSTREAM_EXPORT kstream_err_t kstream_stream_print(kstream_stream_t *s,
                                                  FILE *out, const char *label,
                                                  const char *name);

/** Split a stream into named branches. Each record goes to the first branch
 *  whose predicate matches, else to the default branch, else nowhere.
 *  Branch names are \p name (or a generated one) + "-" + branch name. */
KSTREAM_EXPORT kstream_split_t *kstream_stream_split(kstream_stream_t *s,
                                                     const char *name);
/** Add a branch, in order. \p branch_name NULL: its index ("0", "1", ...).
 *  @returns the branch's stream. */
KSTREAM_EXPORT kstream_stream_t *
kstream_split_branch(kstream_split_t *sp, kstream_predicate_cb *pred,
                     void *opaque, kstream_free_cb *opaque_free,
                     const char *branch_name);
/** Add the default branch (the last one: no branch may follow). */
KSTREAM_EXPORT kstream_stream_t *kstream_split_default(kstream_split_t *sp,
                                                       const char *branch_name);

/** Destroy a topology. NULL is a no-op. */
KSTREAM_EXPORT void kstream_topology_destroy(kstream_topology_t *t);

typedef enum kstream_describe_format_e {
    KSTREAM_DESCRIBE_TEXT = 0, /**< Kafka Streams' describe() text */
    KSTREAM_DESCRIBE_MERMAID = 1 /**< a Mermaid flowchart */
} kstream_describe_format_t;

/** Describe sub-topologies, sources, processors, sinks and stores as stable
 *  text. @returns a string freed with kstream_free(), or NULL. */
KSTREAM_EXPORT char *kstream_topology_describe(const kstream_topology_t *t,
                                               kstream_describe_format_t fmt);
/** @} */

#endif /* KSTREAM_DSL_H */
