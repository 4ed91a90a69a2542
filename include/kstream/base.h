/* kstream/base.h - part of the public API: version, errors, configuration.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_BASE_H
#define KSTREAM_BASE_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/base.h>"
#endif

/**
 * @name Version
 * Versions with the same major number are ABI compatible.
 * @{
 */
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
    XX(ERR_STORE, 22, "State store error")                                   \
    XX(ERR_RESTORING, 23, "The store is being restored")                     \
    XX(ERR_NOT_HOSTED, 24, "Not hosted by this instance")                   \
    XX(ERR_TXN_ABORTABLE, 25, "Transaction must be aborted")                \
    XX(ERR_FENCED, 26, "Fenced by a newer instance")                        \
    XX(ERR_TXN_UNKNOWN, 27, "Transaction outcome unknown")                  \
    XX(ERR_FATAL, 28, "Fatal client error")

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

#endif /* KSTREAM_BASE_H */
