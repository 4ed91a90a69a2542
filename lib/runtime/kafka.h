/* kafka.h - the librdkafka side of the runtime. Only lib/runtime/kafka_*.c
 * include <librdkafka/rdkafka.h>; everything else reaches Kafka through
 * client.h and the functions below.
 *
 *   kafka_conf.c    kstream conf -> rd_kafka_conf_t for each client kind
 *   kafka_client.c  client.h over librdkafka (consumer + producer)
 *   kafka_admin.c   metadata, topic checks and creation at start
 *   kafka_dev_cluster.c  the public kstream_dev_cluster_* (mock cluster)
 */
#ifndef KS_KAFKA_H
#define KS_KAFKA_H

#include "core/core.h"
#include "runtime/client.h"

/* librdkafka configuration of one client of a stream thread, as a
 * property list: kstream's defaults (socket.nagle.disable=true,
 * enable.auto.commit=false, auto.offset.reset=earliest,
 * partition.assignment.strategy=range, partitioner=murmur2_random,
 * isolation.level from processing.guarantee, client.id
 * "<application.id>-<thread>-<kind>", bootstrap.servers, group.id for
 * the main consumer), then the pass-through keys of the conf with their
 * prefix removed ("consumer." for consumers, "restore.consumer." on top
 * for the restore consumer, "producer." for the producer, "admin." for the
 * admin client), later ones winning.
 * Bounded queues by default: the main consumer fetches ahead at most
 * KS_CONSUMER_QUEUE_MSGS records or KS_CONSUMER_QUEUE_KB KiB
 * (queued.min.messages, queued.max.messages.kbytes; restore and global
 * consumers 100000 records), the producer holds at most
 * KS_PRODUCER_QUEUE_MSGS records (librdkafka's own default) or
 * KS_PRODUCER_QUEUE_KB KiB not yet acknowledged
 * (queue.buffering.max.messages, .kbytes); a commit's flush holds it to
 * fewer (runtime.h's KS_COMMIT_PRODUCE_WINDOW). */
#define KS_CONSUMER_QUEUE_MSGS "10000"
#define KS_CONSUMER_QUEUE_KB "8192"
#define KS_PRODUCER_QUEUE_MSGS "100000"
#define KS_PRODUCER_QUEUE_KB "32768"
typedef enum ks_kafka_role {
    KS_KAFKA_CONSUMER,         /* the main (group) consumer */
    KS_KAFKA_RESTORE_CONSUMER, /* changelog restore, no group */
    KS_KAFKA_GLOBAL_CONSUMER,  /* global tables, no group */
    KS_KAFKA_PRODUCER,
    KS_KAFKA_ADMIN
} ks_kafka_role_t;

/* Builds the rd_kafka_conf_t (returned as void * so that this header
 * does not need rdkafka.h); NULL with a message on a bad pass-through
 * property (the message names the key).
 * Its log callback routes librdkafka's logs to kstream's logger (facility
 * "RDKAFKA") through the handle's opaque: the caller sets
 * rd_kafka_conf_set_opaque() to a ks_logger_t (or a struct starting with
 * one) that outlives the handle; with no opaque, logs go to stderr.
 * The restore and global consumers get group.id "<application.id>-restore-
 * consumer" / "-global-consumer": librdkafka's assign() needs one, but they
 * never join nor commit. */
void *ks_kafka_conf_new(const kstream_conf_t *conf, ks_kafka_role_t role,
                        const char *client_id, char *errstr,
                        size_t errstr_size);

/* Build (and drop) the librdkafka configuration of every role, so that a
 * bad pass-through property fails kstream_new() with a message naming it
 * (kafka_check.c). */
kstream_err_t ks_kafka_conf_check(const kstream_conf_t *conf, char *errstr,
                                  size_t errstr_size);

/* A client of the interface in client.h: for KS_CLIENT_MAIN one consumer
 * in the group application.id plus one producer; for RESTORE and GLOBAL
 * one consumer outside any group (assign() only, no producer).
 * thread_idx names the clients (client.id). Under exactly_once_v2 the
 * main client's producer is transactional, with the id KS_TXN_ID_FMT of
 * application.id, process_id (required then) and thread_idx. NULL with a
 * message. */
ks_client_t *ks_kafka_client_new(const kstream_conf_t *conf,
                                 ks_client_kind_t kind, int thread_idx,
                                 const char *process_id,
                                 const ks_client_events_t *events,
                                 char *errstr, size_t errstr_size);

/* Start-up checks through one admin client, in order, each failure an
 * error whose message names the topic and what is wrong:
 *  1. the cluster answers metadata within default.api.timeout.ms
 *     (KSTREAM_ERR_TIMEOUT "cannot reach bootstrap.servers ..."),
 *  2. every source topic exists (KSTREAM_ERR_UNKNOWN_TOPIC),
 *  3. co-partitioned topics have equal partition counts
 *     (KSTREAM_ERR_INVALID_TOPOLOGY),
 *  4. existing internal topics have the expected partition count
 *     (KSTREAM_ERR_INVALID_TOPOLOGY),
 *  5. missing internal topics are created with CreateTopics
 *     (replication.factor, cleanup.policy, retention.ms), waiting for the
 *     result (KSTREAM_ERR_KAFKA / KSTREAM_ERR_TIMEOUT on failure).
 * Metadata is always asked for every topic (never by name), so that a
 * broker with auto-creation does not create a missing source topic. */
kstream_err_t ks_kafka_prepare_topics(const kstream_conf_t *conf,
                                      const kstream_topology_t *topo,
                                      const char *app_id, char *errstr,
                                      size_t errstr_size);

#endif /* KS_KAFKA_H */
