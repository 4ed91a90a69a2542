/*
 * kstream - Kafka Streams for C.
 *
 * This is the one public header. Anything not declared here is private.
 *
 * Conventions used in the comments below:
 *  - Memory words:
 *      borrowed: valid until the callback returns, or until the next call on
 *                the same handle when the function says so;
 *      copied:   kstream copies the data; the caller keeps its buffer;
 *      given:    kstream takes ownership and frees it with the given function;
 *      returned: the caller frees it with the named function.
 *  - @locality says which thread may call a function:
 *      any thread;
 *      application thread (not concurrently with destruction of the handle);
 *      stream thread only (inside callbacks).
 *  - Byte slices (kstream_bytes_t) are never assumed to be NUL-terminated.
 *    A slice whose data is NULL is a Kafka null (a NULL key, or a tombstone
 *    value); a slice with non-NULL data and length 0 is an empty value.
 *  - Every function that takes a handle checks it: a NULL handle or another
 *    bad argument gives KSTREAM_ERR_INVALID_ARG (or NULL), never a crash.
 */
#ifndef KSTREAM_H
#define KSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KSTREAM_BUILDING) && defined(__GNUC__)
#define KSTREAM_EXPORT __attribute__((visibility("default")))
#else
#define KSTREAM_EXPORT
#endif

/**
 * @name Version
 * Versions with the same major number are ABI compatible.
 * @{
 */
#define KSTREAM_VERSION_MAJOR 0
#define KSTREAM_VERSION_MINOR 1
#define KSTREAM_VERSION_PATCH 0
/** 0xMMmmpp */
#define KSTREAM_VERSION                                                     \
    ((KSTREAM_VERSION_MAJOR << 16) | (KSTREAM_VERSION_MINOR << 8) |         \
     KSTREAM_VERSION_PATCH)

/** @returns the run-time version as 0xMMmmpp. @locality any thread. */
KSTREAM_EXPORT int kstream_version(void);
/** @returns the run-time version as "MAJOR.MINOR.PATCH". @locality any
 *  thread. */
KSTREAM_EXPORT const char *kstream_version_str(void);
/** @} */

/**
 * @name Errors
 * One table generates the enum, kstream_err2name() and kstream_err2str().
 * Codes are never renumbered; a retired code stays as "NN - not used".
 * @{
 */
#define KSTREAM_ERR_MAP(XX)                                                  \
    XX(OK, 0, "Success")                                                     \
    XX(ERR_INVALID_ARG, 1, "Invalid argument")                               \
    XX(ERR_NO_MEMORY, 2, "Out of memory")                                    \
    XX(ERR_UNKNOWN_NAME, 3, "Unknown name")                                  \
    XX(ERR_DUPLICATE_NAME, 4, "Duplicate name")                              \
    XX(ERR_CYCLE, 5, "The topology contains a cycle")                        \
    XX(ERR_MISSING_NAME, 6, "A stateful operator needs an explicit name")    \
    XX(ERR_INVALID_TOPOLOGY, 7, "Invalid topology")                          \
    XX(ERR_STATE, 8, "Operation not valid in the current state")             \
    XX(ERR_EMPTY, 9, "No record available")                                  \
    XX(ERR_NOT_FOUND, 10, "Not found")                                       \
    XX(ERR_SERDE, 11, "Serialization or deserialization failed")             \
    XX(ERR_USER, 12, "A user callback failed the record")                    \
    XX(ERR_INVALID_TIMESTAMP, 13, "Invalid (negative) record timestamp")     \
    XX(ERR_UNKNOWN_TOPIC, 14, "Unknown topic")                               \
    XX(ERR_UNKNOWN_PARTITION, 15, "Unknown partition")                       \
    XX(ERR_TIMEOUT, 16, "Timed out")                                         \
    XX(ERR_FAILED, 17, "Stopped after an earlier fatal error")               \
    XX(ERR_CONF, 18, "Invalid configuration")                                \
    XX(ERR_TOO_LARGE, 19, "Too large")                                       \
    XX(ERR_IO, 20, "I/O error")                                              \
    XX(ERR_KAFKA, 21, "Kafka client error")                                  \
    XX(ERR_STORE, 22, "State store error")

/** Error codes. Callbacks return KSTREAM_OK, or any code to fail the record
 *  (KSTREAM_ERR_USER is meant for that). */
typedef enum kstream_err_e {
#define KSTREAM_ERR_ENUM_(name, code, msg) KSTREAM_##name = code,
    KSTREAM_ERR_MAP(KSTREAM_ERR_ENUM_)
#undef KSTREAM_ERR_ENUM_
} kstream_err_t;

/** @returns the code's name ("KSTREAM_ERR_INVALID_ARG"), or
 *  "KSTREAM_ERR_UNKNOWN" for a value not in the table. @locality any thread.
 */
KSTREAM_EXPORT const char *kstream_err2name(kstream_err_t err);
/** @returns the code's message ("Invalid argument"). @locality any thread. */
KSTREAM_EXPORT const char *kstream_err2str(kstream_err_t err);

/** Free memory that kstream returned to the caller (e.g. from
 *  kstream_topology_describe()). NULL is a no-op. @locality any thread. */
KSTREAM_EXPORT void kstream_free(void *ptr);
/** @} */

/**
 * @name Configuration
 * String keys with Kafka Streams names. One property table defines every
 * key, its type, range, default and description; docs/configuration.md is
 * generated from it. Keys that start with "consumer.", "producer.",
 * "restore.consumer." or "admin." are passed through to librdkafka with the
 * prefix removed.
 * @{
 */
typedef struct kstream_conf_s kstream_conf_t;

typedef enum kstream_conf_res_e {
    KSTREAM_CONF_UNKNOWN = -2, /**< no such property */
    KSTREAM_CONF_INVALID = -1, /**< bad value; the message says why */
    KSTREAM_CONF_OK = 0
} kstream_conf_res_t;

/** Log levels follow syslog: 0 emerg .. 3 error, 4 warning, 6 info, 7 debug.
 *  @locality called on the thread that logs (any thread). */
typedef void(kstream_log_cb)(int level, const char *facility,
                             const char *message, void *opaque);

/** @returns a new configuration with every default. @locality any thread. */
KSTREAM_EXPORT kstream_conf_t *kstream_conf_new(void);
/** @returns a deep copy, or NULL when \p conf is NULL. */
KSTREAM_EXPORT kstream_conf_t *kstream_conf_dup(const kstream_conf_t *conf);
/** Free \p conf. NULL is a no-op. */
KSTREAM_EXPORT void kstream_conf_destroy(kstream_conf_t *conf);
/**
 * Set a property.
 * @param name, value copied.
 * @returns KSTREAM_CONF_OK, KSTREAM_CONF_INVALID (bad value, or a NULL
 *          argument) or KSTREAM_CONF_UNKNOWN, with a message in \p errstr.
 * @locality application thread.
 */
KSTREAM_EXPORT kstream_conf_res_t kstream_conf_set(kstream_conf_t *conf,
                                                   const char *name,
                                                   const char *value,
                                                   char *errstr,
                                                   size_t errstr_size);
/**
 * Read a property's current value (its default when never set).
 * @param dest      buffer for the NUL-terminated value, or NULL to ask the
 *                  size only.
 * @param dest_size in: size of \p dest; out: size needed including the NUL.
 * @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND for an unknown or unset
 *          pass-through key, KSTREAM_ERR_TOO_LARGE when \p dest is too small
 *          (\p dest_size then says what is needed), KSTREAM_ERR_INVALID_ARG.
 */
KSTREAM_EXPORT kstream_err_t kstream_conf_get(const kstream_conf_t *conf,
                                              const char *name, char *dest,
                                              size_t *dest_size);
/** Set the log callback (default: print to stderr). \p cb NULL restores the
 *  default. Messages above "log.level" are not delivered. */
KSTREAM_EXPORT kstream_err_t kstream_conf_set_log_cb(kstream_conf_t *conf,
                                                     kstream_log_cb *cb,
                                                     void *opaque);
/** @} */

/**
 * @name Records
 * A record is key, value, timestamp (ms), headers (ordered; a name may
 * repeat) and where it came from (topic, partition, offset).
 *
 * Records handed to callbacks are borrowed: valid until the callback
 * returns. Records a callback may change (the "out" record of a mapper, the
 * records added to a kstream_records_t, kstream_ctx_record_new()) are
 * engine-owned: their setters copy into memory the engine reuses after the
 * input record is done, so steady-state processing does not call malloc.
 * Setters on a read-only record return KSTREAM_ERR_INVALID_ARG.
 * @{
 */
typedef struct kstream_bytes_s {
    const void *data; /**< NULL: a Kafka null */
    size_t len;
} kstream_bytes_t;

/** A header for input (kstream_test_driver_pipe_ex()). */
typedef struct kstream_header_s {
    const char *name;  /**< NUL-terminated */
    const void *value; /**< NULL: a null header value */
    size_t len;
} kstream_header_t;

typedef struct kstream_record_s kstream_record_t;
/** A list of output records (flat_map). */
typedef struct kstream_records_s kstream_records_t;

/** @returns the key (data NULL for a NULL key or a NULL \p rec). */
KSTREAM_EXPORT kstream_bytes_t kstream_record_key(const kstream_record_t *rec);
/** @returns the value (data NULL for a tombstone or a NULL \p rec). */
KSTREAM_EXPORT kstream_bytes_t
kstream_record_value(const kstream_record_t *rec);
/** @returns the timestamp in ms, or -1 for a NULL \p rec. */
KSTREAM_EXPORT int64_t kstream_record_timestamp(const kstream_record_t *rec);
/** @returns the source topic, or NULL when the record did not come from a
 *  topic (a punctuator made it) or \p rec is NULL. */
KSTREAM_EXPORT const char *kstream_record_topic(const kstream_record_t *rec);
/** @returns the source partition, or -1. */
KSTREAM_EXPORT int32_t kstream_record_partition(const kstream_record_t *rec);
/** @returns the source offset, or -1. */
KSTREAM_EXPORT int64_t kstream_record_offset(const kstream_record_t *rec);
/** @returns the number of headers (0 for NULL). */
KSTREAM_EXPORT size_t kstream_record_header_count(const kstream_record_t *rec);
/** Header \p idx, in order. \p name and \p value are borrowed.
 *  @returns KSTREAM_OK or KSTREAM_ERR_NOT_FOUND past the end. */
KSTREAM_EXPORT kstream_err_t kstream_record_header_at(
        const kstream_record_t *rec, size_t idx, const char **name,
        kstream_bytes_t *value);
/** The last header called \p name (Kafka's lastHeader()).
 *  @returns KSTREAM_OK or KSTREAM_ERR_NOT_FOUND. */
KSTREAM_EXPORT kstream_err_t kstream_record_header_last(
        const kstream_record_t *rec, const char *name, kstream_bytes_t *value);

/** Set the key (copied). \p data NULL sets a NULL key.
 *  @returns KSTREAM_ERR_INVALID_ARG on a read-only record, or where the
 *  operator may not change the key (map_values, flat_map_values). */
KSTREAM_EXPORT kstream_err_t kstream_record_set_key(kstream_record_t *rec,
                                                    const void *data,
                                                    size_t len);
/** Set the value (copied). \p data NULL makes a tombstone. Not allowed in
 *  select_key. */
KSTREAM_EXPORT kstream_err_t kstream_record_set_value(kstream_record_t *rec,
                                                      const void *data,
                                                      size_t len);
/** Make the key \p len engine-owned bytes and return them for the caller to
 *  fill (no copy). @returns NULL on error. */
KSTREAM_EXPORT void *kstream_record_alloc_key(kstream_record_t *rec,
                                              size_t len);
/** As kstream_record_alloc_key(), for the value. */
KSTREAM_EXPORT void *kstream_record_alloc_value(kstream_record_t *rec,
                                                size_t len);
/** Set the timestamp (ms, >= 0). */
KSTREAM_EXPORT kstream_err_t kstream_record_set_timestamp(kstream_record_t *rec,
                                                          int64_t ts);
/** Append a header (name and value copied; \p value NULL: null value). */
KSTREAM_EXPORT kstream_err_t kstream_record_header_add(kstream_record_t *rec,
                                                       const char *name,
                                                       const void *value,
                                                       size_t len);
/** Remove every header called \p name.
 *  @returns KSTREAM_OK (also when none matched). */
KSTREAM_EXPORT kstream_err_t
kstream_record_header_remove(kstream_record_t *rec, const char *name);
/** Remove all headers. */
KSTREAM_EXPORT kstream_err_t kstream_record_headers_clear(kstream_record_t *rec);

/** Add an output record to \p out, initialised as a copy of the input
 *  record (key, value, timestamp, headers). @returns NULL on error. */
KSTREAM_EXPORT kstream_record_t *kstream_records_add(kstream_records_t *out);
/** @} */

/**
 * @name Serdes
 * Between operators everything is bytes; serdes convert inside callbacks
 * when typed access is wanted. The built-ins use Kafka's wire encodings:
 *
 *  serde   serialize(value)          deserialize(value)     bytes
 *  bytes   const kstream_bytes_t *   kstream_bytes_t *      as is
 *  string  const char * (NUL-term.)  kstream_bytes_t *      UTF-8, no NUL
 *  int32   const int32_t *           int32_t *              4, big-endian
 *  int64   const int64_t *           int64_t *              8, big-endian
 *  double  const double *            double *               8, IEEE 754 BE
 *
 * Deserializing a null (data NULL) with int32/int64/double, or bytes of the
 * wrong size, gives KSTREAM_ERR_SERDE. bytes and string map null to a slice
 * with data NULL.
 * @{
 */
typedef struct kstream_serde_s kstream_serde_t;
/** A growable output buffer. Inside callbacks buffers are engine-owned. */
typedef struct kstream_buf_s kstream_buf_t;

/** A serde users implement. Both functions are required. */
typedef struct kstream_serde_ops_s {
    const char *name;
    /** Append the encoding of \p value to \p out. */
    kstream_err_t (*serialize)(const void *value, kstream_buf_t *out,
                               void *opaque);
    /** Decode \p data (borrowed, may be NULL for a Kafka null) into
     *  \p value. */
    kstream_err_t (*deserialize)(const void *data, size_t len, void *value,
                                 void *opaque);
} kstream_serde_ops_t;

typedef void(kstream_free_cb)(void *opaque);

/** Create a user serde. \p ops copied; \p opaque given when \p opaque_free
 *  is set (freed by kstream_serde_destroy()). */
KSTREAM_EXPORT kstream_serde_t *kstream_serde_new(const kstream_serde_ops_t *ops,
                                                  void *opaque,
                                                  kstream_free_cb *opaque_free);
/** Free a user serde. NULL and the built-ins are no-ops. */
KSTREAM_EXPORT void kstream_serde_destroy(kstream_serde_t *serde);
/** The built-in serdes: static, never destroyed. @locality any thread. */
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_bytes(void);
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_string(void);
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_int32(void);
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_int64(void);
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_double(void);
/** @returns the serde's name, or NULL. */
KSTREAM_EXPORT const char *kstream_serde_name(const kstream_serde_t *serde);
/** Append the encoding of \p value to \p out. */
KSTREAM_EXPORT kstream_err_t kstream_serde_serialize(
        const kstream_serde_t *serde, const void *value, kstream_buf_t *out);
/** Decode \p data into \p value. */
KSTREAM_EXPORT kstream_err_t
kstream_serde_deserialize(const kstream_serde_t *serde, const void *data,
                          size_t len, void *value);
/** Set a record's key / value from a typed value through \p serde. */
KSTREAM_EXPORT kstream_err_t kstream_record_set_key_serde(
        kstream_record_t *rec, const kstream_serde_t *serde, const void *value);
KSTREAM_EXPORT kstream_err_t kstream_record_set_value_serde(
        kstream_record_t *rec, const kstream_serde_t *serde, const void *value);
/** Decode a record's key / value through \p serde into \p value. */
KSTREAM_EXPORT kstream_err_t kstream_record_key_deserialize(
        const kstream_record_t *rec, const kstream_serde_t *serde, void *value);
KSTREAM_EXPORT kstream_err_t
kstream_record_value_deserialize(const kstream_record_t *rec,
                                 const kstream_serde_t *serde, void *value);

/** A buffer for use outside callbacks. @returns NULL on out-of-memory. */
KSTREAM_EXPORT kstream_buf_t *kstream_buf_new(void);
/** Free a buffer from kstream_buf_new(). NULL is a no-op. */
KSTREAM_EXPORT void kstream_buf_destroy(kstream_buf_t *buf);
/** Append \p len bytes (copied). */
KSTREAM_EXPORT kstream_err_t kstream_buf_append(kstream_buf_t *buf,
                                                const void *data, size_t len);
/** Append \p len uninitialised bytes and return them to be filled.
 *  @returns NULL on error. */
KSTREAM_EXPORT void *kstream_buf_reserve(kstream_buf_t *buf, size_t len);
/** @returns the bytes written so far (borrowed until the next change). */
KSTREAM_EXPORT kstream_bytes_t kstream_buf_bytes(const kstream_buf_t *buf);
/** Empty the buffer, keeping its memory. */
KSTREAM_EXPORT void kstream_buf_reset(kstream_buf_t *buf);
/** @} */

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
 * which then goes to "processing.exception.handler".
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

/**
 * @name Processor API
 * A user processor is three callbacks run per task (a task is one partition
 * of a sub-topology): init (optional), process, close (optional). The
 * context forwards records, gives times and metadata, and schedules
 * punctuators. All of it runs on the stream thread that owns the task.
 * @{
 */
typedef struct kstream_ctx_s kstream_ctx_t;

typedef struct kstream_processor_s {
    /** Make the per-task state. Optional: without it, state is opaque. */
    kstream_err_t (*init)(kstream_ctx_t *ctx, void *opaque, void **state);
    /** Process one record (required). */
    kstream_err_t (*process)(kstream_ctx_t *ctx, const kstream_record_t *rec,
                             void *state);
    /** Free the per-task state. Optional. */
    void (*close)(kstream_ctx_t *ctx, void *state);
} kstream_processor_t;

typedef enum kstream_punctuation_type_e {
    /** Fires as stream time (the largest record timestamp the task has
     *  seen) passes each multiple of the interval, at most once per
     *  record, after the record is processed. */
    KSTREAM_PUNCTUATE_STREAM_TIME = 0,
    /** Fires every interval of wall-clock time, from when scheduled. */
    KSTREAM_PUNCTUATE_WALL_CLOCK = 1
} kstream_punctuation_type_t;

/** \p timestamp is the stream time or the wall-clock time that fired it. */
typedef kstream_err_t(kstream_punctuator_cb)(kstream_ctx_t *ctx,
                                             int64_t timestamp, void *opaque);

/** Run \p proc on each record. \p proc copied. \p stores: names of stores
 *  the processor uses (copied; none before the state issue's stores). */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_process(kstream_stream_t *s, const kstream_processor_t *proc,
                       void *opaque, kstream_free_cb *opaque_free,
                       const char *const *stores, size_t nstores,
                       const char *name);

/** Forward \p rec to every child. \p rec may be the input record or one
 *  made by kstream_ctx_record_new(). */
KSTREAM_EXPORT kstream_err_t kstream_ctx_forward(kstream_ctx_t *ctx,
                                                 const kstream_record_t *rec);
/** Forward \p rec to the child called \p child only.
 *  @returns KSTREAM_ERR_UNKNOWN_NAME when it is not a child. */
KSTREAM_EXPORT kstream_err_t kstream_ctx_forward_to(kstream_ctx_t *ctx,
                                                    const kstream_record_t *rec,
                                                    const char *child);
/** A new engine-owned record: a copy of \p from, or when \p from is NULL
 *  a record with NULL key and value, no headers and the current record's
 *  timestamp (in a punctuator: the punctuation time). Valid until the
 *  current process or punctuate call returns. */
KSTREAM_EXPORT kstream_record_t *
kstream_ctx_record_new(kstream_ctx_t *ctx, const kstream_record_t *from);
/** @returns the task's stream time (-1 before its first record). */
KSTREAM_EXPORT int64_t kstream_ctx_stream_time(const kstream_ctx_t *ctx);
/** @returns the current wall-clock time in ms (virtual in the test
 *  driver). */
KSTREAM_EXPORT int64_t kstream_ctx_wall_clock(const kstream_ctx_t *ctx);
/** @returns the task's partition. */
KSTREAM_EXPORT int32_t kstream_ctx_partition(const kstream_ctx_t *ctx);
/** @returns the task's sub-topology number. */
KSTREAM_EXPORT int kstream_ctx_subtopology(const kstream_ctx_t *ctx);
/** @returns the application.id. */
KSTREAM_EXPORT const char *kstream_ctx_application_id(const kstream_ctx_t *ctx);
/** @returns this processor's node name. */
KSTREAM_EXPORT const char *kstream_ctx_node_name(const kstream_ctx_t *ctx);
/** Schedule \p cb every \p interval_ms (> 0). Stream-time punctuators are
 *  aligned to 0; wall-clock ones start one interval from now.
 *  @param id out: a handle for kstream_ctx_cancel() (may be NULL). */
KSTREAM_EXPORT kstream_err_t
kstream_ctx_schedule(kstream_ctx_t *ctx, int64_t interval_ms,
                     kstream_punctuation_type_t type, kstream_punctuator_cb *cb,
                     void *opaque, uint64_t *id);
/** Cancel a punctuator. @returns KSTREAM_ERR_NOT_FOUND for an unknown id. */
KSTREAM_EXPORT kstream_err_t kstream_ctx_cancel(kstream_ctx_t *ctx,
                                                uint64_t id);
/** @} */

/**
 * @name Test driver
 * Runs a topology's tasks in memory on a simulated Kafka cluster, with no
 * broker and no threads: the runtime is the same one that runs against
 * Kafka. Deterministic: the same calls give the same outputs, byte for
 * byte. Topics have partitions; keyed records go to partition
 * murmur2(key) % partitions, NULL keys round-robin. Time is virtual: stream
 * time follows records, wall-clock time moves only with
 * kstream_test_driver_advance_wall_clock() (it starts at
 * "test.wall.clock.start.ms"). Source topics not created before the first
 * record get 1 partition. Output topics are created on first write.
 * All functions: application thread, one thread at a time.
 * @{
 */
typedef struct kstream_test_driver_s kstream_test_driver_t;

/**
 * @param topology consumed on success; still the caller's on failure.
 * @param conf     consumed on success (NULL: defaults); the caller's on
 *                 failure. "application.id" defaults to "kstream-test".
 * @returns the driver, or NULL with a message in \p errstr.
 */
KSTREAM_EXPORT kstream_test_driver_t *
kstream_test_driver_new(kstream_topology_t *topology, kstream_conf_t *conf,
                        char *errstr, size_t errstr_size);
/** Close every task (processors' close) and free the driver. NULL is a
 *  no-op. */
KSTREAM_EXPORT void kstream_test_driver_destroy(kstream_test_driver_t *drv);
/** Create a topic with \p partitions (>= 1). Source topics must be created
 *  before the first record is piped. @returns KSTREAM_ERR_DUPLICATE_NAME if
 *  it exists, KSTREAM_ERR_STATE for a source topic after the start. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_create_topic(
        kstream_test_driver_t *drv, const char *topic, int32_t partitions);
/** Pipe one record (key and value copied; NULL data is a Kafka null) and
 *  process everything it causes, repartition topics included.
 *  @returns KSTREAM_OK, or the error that failed processing (with
 *  "processing.exception.handler=fail" the driver then stays failed and
 *  later calls return KSTREAM_ERR_FAILED); the message is in
 *  kstream_test_driver_last_error(). */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_pipe(kstream_test_driver_t *drv, const char *topic,
                         const void *key, size_t key_len, const void *value,
                         size_t value_len, int64_t timestamp);
/** As kstream_test_driver_pipe(), with a partition (-1: by key) and
 *  headers (copied). */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_pipe_ex(
        kstream_test_driver_t *drv, const char *topic, int32_t partition,
        const void *key, size_t key_len, const void *value, size_t value_len,
        int64_t timestamp, const kstream_header_t *headers, size_t nheaders);
/** Read the next output record of \p topic, in the order they were
 *  written. \p rec is borrowed until the next call on \p drv.
 *  @returns KSTREAM_OK, or KSTREAM_ERR_EMPTY when none is left. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_read(
        kstream_test_driver_t *drv, const char *topic,
        const kstream_record_t **rec);
/** @returns true when \p topic has no unread record (also when \p drv or
 *  \p topic is NULL or unknown). */
KSTREAM_EXPORT bool kstream_test_driver_is_empty(kstream_test_driver_t *drv,
                                                 const char *topic);
/** Move wall-clock time forward by \p ms (>= 0), firing wall-clock
 *  punctuators, and commit when "commit.interval.ms" has passed. */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_advance_wall_clock(kstream_test_driver_t *drv, int64_t ms);
/** @returns the virtual wall-clock time (ms), or -1 for NULL. */
KSTREAM_EXPORT int64_t kstream_test_driver_wall_clock(
        const kstream_test_driver_t *drv);
/** Commit now: flush what operators buffer, then commit input offsets. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_commit(
        kstream_test_driver_t *drv);
/** Read a counter: "records-processed", "records-produced",
 *  "records-dropped" (skipped by an error handler), "process-errors",
 *  "deserialization-errors", "punctuations", "commits".
 *  @returns KSTREAM_ERR_NOT_FOUND for an unknown name. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_metric(
        const kstream_test_driver_t *drv, const char *name, int64_t *value);
/** @returns the message of the last error, or "" (borrowed). */
KSTREAM_EXPORT const char *
kstream_test_driver_last_error(const kstream_test_driver_t *drv);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KSTREAM_H */
