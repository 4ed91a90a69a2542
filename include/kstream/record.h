/* kstream/record.h - part of the public API: records and serdes.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_RECORD_H
#define KSTREAM_RECORD_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/record.h>"
#endif

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

#endif /* KSTREAM_RECORD_H */
