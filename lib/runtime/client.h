/* client.h - the one interface through which the runtime reaches Kafka.
 *
 * Two implementations: librdkafka (lib/runtime/kafka_*.c, the Kafka runtime
 * issue) and the simulated in-memory cluster of the test driver
 * (lib/testdriver/sim_client.c). The runtime (tasks, commit protocol,
 * restore) is written only against this interface, so the test driver runs
 * the real runtime.
 *
 * A client is one consumer (a member of the group application.id) plus one
 * producer, owned by one stream thread: no function here is called
 * concurrently on the same client. */
#ifndef KS_CLIENT_H
#define KS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kstream.h"

typedef struct ks_client ks_client_t;

/* A consumed record. Every pointer is borrowed from the client until the
 * message is given back with ops->release(). */
typedef struct ks_msg {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const void *key; /* NULL: null key */
    size_t key_len;
    const void *value; /* NULL: tombstone */
    size_t value_len;
    const kstream_header_t *headers;
    size_t nheaders;
    void *handle; /* client-private (e.g. the rd_kafka_message_t) */
} ks_msg_t;

/* A record to produce. Everything is copied by produce(). */
typedef struct ks_out {
    const char *topic;
    int32_t partition; /* -1: the client's partitioner (murmur2 of the key,
                          murmur2_random for NULL keys) */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp;
    const kstream_header_t *headers;
    size_t nheaders;
} ks_out_t;

typedef struct ks_tp {
    const char *topic;
    int32_t partition;
} ks_tp_t;

/* Offset of the next record to read (Kafka's committed-offset meaning). */
typedef struct ks_tp_offset {
    const char *topic;
    int32_t partition;
    int64_t offset;
} ks_tp_offset_t;

/* Events the client raises from inside poll(). */
typedef struct ks_client_events {
    /* Partitions assigned to / revoked from this member. On revoke the
     * owner must commit and close the tasks before returning. */
    void (*assigned)(void *owner, const ks_tp_t *tps, size_t n);
    void (*revoked)(void *owner, const ks_tp_t *tps, size_t n);
    /* A produce that was accepted failed later (delivery report). */
    void (*delivery_failed)(void *owner, const ks_out_t *out,
                            kstream_err_t err, const char *reason);
    void *owner;
} ks_client_events_t;

typedef struct ks_client_ops {
    const char *name; /* "sim", "librdkafka" */
    /* Join the group and consume these topics. */
    kstream_err_t (*subscribe)(ks_client_t *c, const char *const *topics,
                               size_t ntopics);
    /* Consume these partitions from these offsets (-1: the beginning)
     * without joining the group: global tables and restoration. Replaces
     * any earlier manual assignment, and every partition named starts
     * unpaused (one paused before, then left out, is read again); not for
     * a subscribed client (KSTREAM_ERR_STATE). */
    kstream_err_t (*assign)(ks_client_t *c, const ks_tp_offset_t *tps,
                            size_t n);
    /* Up to max records from assigned, unpaused partitions, in offset order
     * per partition. *n = 0 when nothing is available. May raise events. */
    kstream_err_t (*poll)(ks_client_t *c, ks_msg_t *msgs, size_t max,
                          size_t *n, int timeout_ms);
    /* Give messages back (after processing). */
    void (*release)(ks_client_t *c, ks_msg_t *msgs, size_t n);
    kstream_err_t (*pause)(ks_client_t *c, const ks_tp_t *tp);
    kstream_err_t (*resume)(ks_client_t *c, const ks_tp_t *tp);
    /* Next poll of this partition starts at offset. */
    kstream_err_t (*seek)(ks_client_t *c, const ks_tp_offset_t *tpo);
    /* The group's committed offset (-1: none). */
    kstream_err_t (*committed)(ks_client_t *c, const ks_tp_t *tp,
                               int64_t *offset);
    /* End offset (high watermark: the offset the next record written will
     * get) of a partition, asked of the cluster now. For restoration. */
    kstream_err_t (*end_offset)(ks_client_t *c, const ks_tp_t *tp,
                                int64_t *offset);
    /* Offset of the last record this client produced to tp and had
     * acknowledged (-1: none yet). For checkpoints of changelogs: after
     * flush(), every produced record is acknowledged. */
    kstream_err_t (*written_offset)(ks_client_t *c, const ks_tp_t *tp,
                                    int64_t *offset);
    /* Consumer lag of an assigned partition from what the client already
     * knows (high watermark of the last fetch minus the position), no
     * request; -1 when unknown. For statistics. */
    kstream_err_t (*lag)(ks_client_t *c, const ks_tp_t *tp, int64_t *lag);
    /* Number of partitions, or KSTREAM_ERR_UNKNOWN_TOPIC. */
    kstream_err_t (*partition_count)(ks_client_t *c, const char *topic,
                                     int32_t *n);
    /* The topics this client will produce to (sinks, changelogs,
     * repartition and dead-letter topics): learn their partitions and
     * leaders now, so that the first records sent to them are not held
     * back waiting for metadata. Best effort: a failure is logged and
     * returned, and producing works without it. NULL when there is
     * nothing to learn (the sim). */
    kstream_err_t (*prepare_produce)(ks_client_t *c,
                                     const char *const *topics, size_t n);
    /* Queue a record for sending (copies it). Errors known at once are
     * returned; later ones arrive through events.delivery_failed. */
    kstream_err_t (*produce)(ks_client_t *c, const ks_out_t *out);
    /* Wait until every queued record is acknowledged (or failed). */
    kstream_err_t (*flush)(ks_client_t *c, int timeout_ms);
    /* From now on produce() keeps at most records queued and not yet
     * acknowledged, waiting for acknowledgements before it queues more
     * (0: only the client's own limit). NULL when produce() keeps nothing
     * queued (the sim). */
    void (*produce_window)(ks_client_t *c, size_t records);
    /* Synchronous commit of offsets for the group (at-least-once). */
    kstream_err_t (*commit)(ks_client_t *c, const ks_tp_offset_t *offs,
                            size_t n);

    /* ---- exactly_once_v2 (KIP-447): the main client of a thread made with
     * a transactional id (KS_TXN_ID_FMT below; the sim's clients through
     * ks_sim_client_new_conf, librdkafka's from the conf). Outside a
     * transaction produce() is refused (KSTREAM_ERR_STATE) on such a
     * client. Errors (kstream_err_t) classify as Kafka does:
     *   KSTREAM_ERR_TXN_ABORTABLE  abort, rewind to the committed offsets,
     *                              roll state back, go on;
     *   KSTREAM_ERR_FENCED         another instance took over the
     *                              transactional id (or the group moved on):
     *                              close the tasks dirty, rejoin, and
     *                              txn_reset + txn_init before producing;
     *   KSTREAM_ERR_TXN_UNKNOWN    the commit's outcome is unknown (a
     *                              timeout): re-create the producer
     *                              (txn_reset) before going on; the next
     *                              init fences or completes it;
     *   KSTREAM_ERR_FATAL          stop the thread with the error.
     * NULL in a client that is not transactional. */
    /* Register the transactional id (InitProducerId): bumps its epoch,
     * fencing any older producer with the same id, and aborts (or
     * completes) a transaction it left open. Once per client, and after
     * txn_reset. */
    kstream_err_t (*txn_init)(ks_client_t *c, int timeout_ms);
    kstream_err_t (*txn_begin)(ks_client_t *c);
    /* Add the consumed offsets to the open transaction, with the group's
     * metadata (generation, member id) so that a zombie from an older
     * generation is fenced (send_offsets_to_transaction). */
    kstream_err_t (*txn_send_offsets)(ks_client_t *c,
                                      const ks_tp_offset_t *offs, size_t n,
                                      int timeout_ms);
    /* Flush, then commit the transaction: its records and offsets become
     * visible to read_committed consumers together. */
    kstream_err_t (*txn_commit)(ks_client_t *c, int timeout_ms);
    /* Abort the open transaction: its records are never visible to
     * read_committed consumers, its offsets never committed. With no
     * transaction open the implementations differ (librdkafka:
     * KSTREAM_ERR_STATE, as rd_kafka_abort_transaction; the sim: a no-op):
     * the runtime aborts only a transaction it began. */
    kstream_err_t (*txn_abort)(ks_client_t *c, int timeout_ms);
    /* Drop the producer and make a new one with the same transactional id
     * (after KSTREAM_ERR_TXN_UNKNOWN); txn_init follows. */
    kstream_err_t (*txn_reset)(ks_client_t *c);
    /* The client's own words on its last transactional failure (the call
     * and the broker's error), "" when it has none; for messages. May be
     * NULL. */
    const char *(*txn_error)(const ks_client_t *c);
    /* Leave the group and free everything. */
    void (*destroy)(ks_client_t *c);
} ks_client_ops_t;

/* What a client is for: the group member of a stream thread (subscribe,
 * produce, commit), or a consumer outside the group (assign only) for
 * restoring changelogs or feeding global tables. */
typedef enum ks_client_kind {
    KS_CLIENT_MAIN,
    KS_CLIENT_RESTORE,
    KS_CLIENT_GLOBAL
} ks_client_kind_t;

/* The transactional id of a thread's main client under exactly_once_v2:
 * "<application.id>-<process id>-<thread index>", as Kafka Streams names
 * them. The process id is kept in the application's state directory
 * (app.c), so an instance restarted on its state fences the transactions
 * its predecessor left open at once, and two instances of one
 * application (each with its own state directory) never share an id. The
 * factory makes the main client transactional when processing.guarantee
 * is exactly_once_v2; its consumers then read committed only. */
#define KS_TXN_ID_FMT "%s-%s-%d"

/* Makes the clients of a stream thread (the test driver's sim, or
 * librdkafka). NULL on failure, with a message in errstr. */
typedef struct ks_client_factory {
    ks_client_t *(*make)(void *opaque, ks_client_kind_t kind,
                         const ks_client_events_t *events, char *errstr,
                         size_t errstr_size);
    void *opaque;
} ks_client_factory_t;

/* Every implementation's struct starts with this. */
struct ks_client {
    const ks_client_ops_t *ops;
    ks_client_events_t events;
};

#endif /* KS_CLIENT_H */
