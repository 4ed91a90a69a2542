/* kstream/devcluster.h - part of the public API: the embedded development
 * cluster. Include <kstream.h>, not this file. */
#ifndef KSTREAM_DEVCLUSTER_H
#define KSTREAM_DEVCLUSTER_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/devcluster.h>"
#endif

/**
 * @name The embedded development cluster
 * A small wrapper of librdkafka's mock cluster: N brokers in this process,
 * speaking the Kafka protocol on loopback TCP, for demos, integration tests
 * and benchmarks (kcat and other clients can use it too). It is not Kafka:
 * no Admin API (create every topic here, internal topics included, before
 * an app names it), no compaction, a fixed retention of about 5 MiB per
 * partition, and transactions that are accepted but not enforced (see
 * docs/dev-cluster.md). Never a production broker.
 * @{
 */
typedef struct kstream_dev_cluster_s kstream_dev_cluster_t;

/**
 * Start \p brokers (1..16) brokers.
 * @returns the cluster, or NULL with a message in \p errstr.
 * @locality application thread.
 */
KSTREAM_EXPORT kstream_dev_cluster_t *
kstream_dev_cluster_new(int brokers, char *errstr, size_t errstr_size);
/** Stop the brokers (clients still connected see them go down) and free.
 *  NULL is a no-op. */
KSTREAM_EXPORT void kstream_dev_cluster_destroy(kstream_dev_cluster_t *dc);
/** @returns the bootstrap servers ("127.0.0.1:port,..."), borrowed for the
 *  cluster's life; NULL for NULL. @locality any thread. */
KSTREAM_EXPORT const char *
kstream_dev_cluster_bootstrap(const kstream_dev_cluster_t *dc);
/** Create \p topic with \p partitions (>= 1).
 *  @returns KSTREAM_ERR_DUPLICATE_NAME when it exists, with another
 *  partition count (the same count is not an error). */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_create_topic(
        kstream_dev_cluster_t *dc, const char *topic, int32_t partitions);
/** @returns the partition count of a topic created here, or -1. */
KSTREAM_EXPORT int32_t kstream_dev_cluster_partitions(
        const kstream_dev_cluster_t *dc, const char *topic);
/**
 * Create the internal topics of \p t for \p application_id (what
 * kstream_topology_internal_topics() lists, partition counts taken from
 * the source topics created here): the mock cannot create topics through
 * the Admin API, so do this before kstream_start().
 * @returns KSTREAM_OK, or the error of kstream_topology_internal_topics().
 */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_create_internal_topics(
        kstream_dev_cluster_t *dc, const kstream_topology_t *t,
        const char *application_id, char *errstr, size_t errstr_size);
/** Take broker \p broker_id (1..brokers) down (\p down true) or up again.
 *  Leadership does not move by itself: see
 *  kstream_dev_cluster_set_leader(). */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_broker_down(
        kstream_dev_cluster_t *dc, int broker_id, bool down);
/** Make \p broker_id the leader of \p topic [\p partition]. */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_set_leader(
        kstream_dev_cluster_t *dc, const char *topic, int32_t partition,
        int broker_id);
/** The next \p count requests of Kafka API \p api_key (e.g. 0 Produce,
 *  1 Fetch, 8 OffsetCommit) fail with Kafka error code \p kafka_error
 *  (e.g. 6 NOT_LEADER_OR_FOLLOWER, 7 REQUEST_TIMED_OUT). */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_inject_errors(
        kstream_dev_cluster_t *dc, int16_t api_key, int kafka_error,
        size_t count);
/** Add \p rtt_ms of latency to every response of \p broker_id. */
KSTREAM_EXPORT kstream_err_t kstream_dev_cluster_set_rtt(
        kstream_dev_cluster_t *dc, int broker_id, int rtt_ms);
/** @} */

#endif /* KSTREAM_DEVCLUSTER_H */
