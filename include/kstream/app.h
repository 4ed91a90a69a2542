/* kstream/app.h - part of the public API: the running application
 * (kstream_t) on a Kafka cluster, its listeners, statistics, interactive
 * queries and the internal topics it needs. Include <kstream.h>, not this
 * file. */
#ifndef KSTREAM_APP_H
#define KSTREAM_APP_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/app.h>"
#endif

/**
 * @name Internal topics
 * The repartition and changelog topics a topology needs, so that an
 * operator can create them ahead of time where ACLs forbid the app to
 * (kstream_start() creates the missing ones through the Admin API).
 * @{
 */
typedef struct kstream_internal_topic_s {
    const char *name;       /**< full name: "<application.id>-<name>-..." */
    int32_t partitions;     /**< from the upstream source topics */
    bool changelog;         /**< a store's changelog, else repartition */
    const char *cleanup_policy; /**< "compact", "compact,delete" (window
                                     and session stores) or "delete" */
    int64_t retention_ms;   /**< retention.ms to set, -1: broker default */
} kstream_internal_topic_t;

/** Give a source topic's partition count, or -1 when it does not exist. */
typedef int32_t(kstream_partitions_fn)(const char *topic, void *opaque);

/**
 * List the internal topics of \p t for \p application_id.
 * @param partitions_of  partition counts of the topology's source topics.
 * @param topics         returned: free with kstream_internal_topics_free().
 * @returns KSTREAM_OK, KSTREAM_ERR_UNKNOWN_TOPIC (a source topic does not
 *          exist) or KSTREAM_ERR_INVALID_TOPOLOGY, with a message naming
 *          the topic in \p errstr. @locality any thread.
 */
KSTREAM_EXPORT kstream_err_t kstream_topology_internal_topics(
        const kstream_topology_t *t, const char *application_id,
        kstream_partitions_fn *partitions_of, void *opaque,
        kstream_internal_topic_t **topics, size_t *ntopics, char *errstr,
        size_t errstr_size);
KSTREAM_EXPORT void kstream_internal_topics_free(
        kstream_internal_topic_t *topics, size_t ntopics);
/** @} */

/**
 * @name The application
 * A kstream_t runs a topology on a Kafka cluster with num.stream.threads
 * stream threads. Instances started with the same application.id (in one
 * process or many) share the work: partitions, and the tasks and state
 * that go with them, are spread over every stream thread of every instance
 * and move when instances come and go.
 * @{
 */
typedef struct kstream_s kstream_t;

/** Kafka Streams' KafkaStreams.State. */
typedef enum kstream_state_e {
    KSTREAM_STATE_CREATED = 0,
    KSTREAM_STATE_REBALANCING,      /**< tasks are being assigned/restored */
    KSTREAM_STATE_RUNNING,
    KSTREAM_STATE_PENDING_SHUTDOWN, /**< kstream_close() in progress */
    KSTREAM_STATE_NOT_RUNNING,      /**< closed cleanly */
    KSTREAM_STATE_ERROR             /**< stopped by an error */
} kstream_state_t;

/** @returns "CREATED", "REBALANCING", ..., or "UNKNOWN". */
KSTREAM_EXPORT const char *kstream_state_name(kstream_state_t state);

/** Called on every state change. @locality any thread (a stream thread or
 *  the thread calling kstream_start()/kstream_close()); never concurrently
 *  with itself. */
typedef void(kstream_state_cb)(kstream_state_t new_state,
                               kstream_state_t old_state, void *opaque);

/** Restoration of one store partition from its changelog. @locality
 *  stream thread. */
typedef struct kstream_restore_listener_s {
    /** Restoring [start_offset, end_offset) of the changelog: the restore
     *  consumer has been given the partition (after every task of the
     *  assignment was made). */
    void (*on_start)(const char *store, const char *changelog,
                     int32_t partition, int64_t start_offset,
                     int64_t end_offset, void *opaque);
    /** A batch was applied; \p offset is the next offset to restore. */
    void (*on_batch)(const char *store, const char *changelog,
                     int32_t partition, int64_t offset, uint64_t nrecords,
                     void *opaque);
    /** Done; \p total records were applied. */
    void (*on_end)(const char *store, const char *changelog,
                   int32_t partition, uint64_t total, void *opaque);
} kstream_restore_listener_t;

/** Statistics: \p json is borrowed for the call. @locality the
 *  application's statistics thread. */
typedef void(kstream_stats_cb)(const char *json, size_t json_len,
                               void *opaque);

/**
 * Create an application. Nothing connects yet.
 * @param topology borrowed: it must outlive the application (several
 *                 instances may share one topology).
 * @param conf     copied. "application.id" and "bootstrap.servers" are
 *                 required.
 * @returns the application in state CREATED, or NULL with a message in
 *          \p errstr (missing or invalid configuration).
 * @locality application thread.
 */
KSTREAM_EXPORT kstream_t *kstream_new(const kstream_topology_t *topology,
                                      const kstream_conf_t *conf,
                                      char *errstr, size_t errstr_size);
/** Listeners, before kstream_start() (KSTREAM_ERR_STATE after). \p cb NULL
 *  removes. The listener struct is copied. */
KSTREAM_EXPORT kstream_err_t kstream_set_state_listener(kstream_t *app,
                                                        kstream_state_cb *cb,
                                                        void *opaque);
KSTREAM_EXPORT kstream_err_t kstream_set_restore_listener(
        kstream_t *app, const kstream_restore_listener_t *listener,
        void *opaque);
/** Statistics every "statistics.interval.ms" (0: never). */
KSTREAM_EXPORT kstream_err_t kstream_set_stats_cb(kstream_t *app,
                                                  kstream_stats_cb *cb,
                                                  void *opaque);
/**
 * Connect, check the topics and start the stream threads. Synchronous up
 * to the threads' start: the cluster must answer within
 * "default.api.timeout.ms", every source topic must exist, co-partitioned
 * topics must have equal partition counts, existing internal topics must
 * have the expected partition count, and missing internal topics are
 * created through the Admin API. Any failure returns its error with a
 * message naming the topic and what is wrong, and leaves the app in ERROR.
 * @locality application thread.
 */
KSTREAM_EXPORT kstream_err_t kstream_start(kstream_t *app, char *errstr,
                                           size_t errstr_size);
/** @returns the current state (KSTREAM_STATE_ERROR for NULL). @locality
 *  any thread. */
KSTREAM_EXPORT kstream_state_t kstream_state(const kstream_t *app);
/** The error that put the app in ERROR, copied into \p buf ("" when
 *  none). @returns that error's code. @locality any thread. */
KSTREAM_EXPORT kstream_err_t kstream_last_error(const kstream_t *app,
                                                char *buf, size_t size);
/**
 * Stop: every stream thread commits (flushes caches, stores and the
 * producer, commits offsets, writes checkpoints), closes its tasks and
 * leaves the group. Waits up to \p timeout_ms (< 0: forever).
 * @returns KSTREAM_OK, KSTREAM_ERR_TIMEOUT (threads still stopping: call
 *          again or destroy), or the error that stopped the app.
 * @locality application thread (not a stream thread or a callback).
 */
KSTREAM_EXPORT kstream_err_t kstream_close(kstream_t *app, int timeout_ms);
/** Close (no timeout) if needed, and free. NULL is a no-op. */
KSTREAM_EXPORT void kstream_destroy(kstream_t *app);

/** The statistics JSON now (as the stats callback gets it). @returns a
 *  string to free with kstream_free(), or NULL. @locality any thread. */
KSTREAM_EXPORT char *kstream_stats_json(kstream_t *app);
/** @} */

/**
 * @name Interactive queries
 * Read the running app's local stores from any application thread. The
 * query runs while the store's stream thread is between records, so it
 * sees a consistent store (including what the record cache holds).
 * @{
 */
/** Called once per local partition of the store. \p store is read-only
 *  (writes give KSTREAM_ERR_STATE) and borrowed for the call; use the
 *  kstream_store_*, kstream_window_store_* and kstream_session_store_*
 *  read functions and close every iterator before returning (one left
 *  open is closed, with a warning). Return non-OK to stop early. */
typedef kstream_err_t(kstream_query_fn)(kstream_store_t *store,
                                        int32_t partition, void *opaque);
/**
 * Run \p fn on store \p store of partition \p partition (-1: every local
 * partition in turn).
 * @returns KSTREAM_OK; KSTREAM_ERR_UNKNOWN_NAME (no such store in the
 *          topology); KSTREAM_ERR_NOT_HOSTED (that partition, or with -1
 *          any, is not on this instance now); KSTREAM_ERR_RESTORING (it is
 *          being restored: try again later); KSTREAM_ERR_STATE (the app is
 *          not running); or what \p fn returned.
 * @locality application thread (not a stream thread or a callback).
 */
KSTREAM_EXPORT kstream_err_t kstream_query(kstream_t *app, const char *store,
                                           int32_t partition,
                                           kstream_query_fn *fn,
                                           void *opaque);
/**
 * Look \p key up in the key-value store \p store, in whichever local
 * partition holds it.
 * @param value returned (free with kstream_free()); for DSL stores the
 *              value as the operator wrote it (count(): a Kafka long).
 * @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND, or an error of
 *          kstream_query().
 */
KSTREAM_EXPORT kstream_err_t kstream_query_get(kstream_t *app,
                                               const char *store,
                                               const void *key, size_t klen,
                                               void **value, size_t *vlen);
/** @} */

#endif /* KSTREAM_APP_H */
