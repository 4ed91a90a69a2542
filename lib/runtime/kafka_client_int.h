/* kafka_client_int.h - private to kafka_client*.c: the librdkafka client
 * of client.h (a consumer, plus a producer for KS_CLIENT_MAIN) and the
 * helpers its files share. Only kafka_*.c include <librdkafka/rdkafka.h>.
 *
 *   kafka_client.c          creation, destruction, errors, the ops table
 *   kafka_client_consume.c  subscribe/assign, rebalances, poll, pause, seek
 *   kafka_client_fetch.c    waking fetchers that a full queue stopped
 *   kafka_client_offsets.c  commit, committed, end_offset, lag, metadata
 *   kafka_client_produce.c  produce, delivery reports, written offsets
 *   kafka_client_txn.c      the exactly_once_v2 transaction operations
 *
 * Threading: a client belongs to one stream thread (client.h). Every
 * callback but the log callback (kafka_conf.c) runs on that thread, inside
 * rd_kafka_consumer_poll(), rd_kafka_poll(), rd_kafka_flush() or
 * rd_kafka_consumer_close(), so the fields need no lock. */
#ifndef KS_KAFKA_CLIENT_INT_H
#define KS_KAFKA_CLIENT_INT_H

#include <librdkafka/rdkafka.h>

#include "runtime/kafka.h"
#include "runtime/written.h"
#include "util/util.h"

typedef struct ks_kafka_client ks_kafka_client_t;

/* A partition's position, as kafka_client_fetch.c keeps it. */
typedef struct ks_kafka_pos {
    char *topic;                 /* owned */
    const rd_kafka_topic_t *rkt; /* the handle of its records, or NULL */
    int32_t partition;
    bool assigned;
    int64_t next; /* offset of its next record, a logical offset, or
                     INT64_MIN: unknown */
} ks_kafka_pos_t;

/* A topic a client produces to (kafka_client_produce.c): records go out
 * with its held handle, not its name, which librdkafka would look up
 * under its handle-wide lock for every record; each record's opaque is
 * the entry, so its delivery report notes the offset without a lookup. */
typedef struct ks_kafka_out {
    ks_written_topic_t *written; /* in the client's written offsets */
    rd_kafka_topic_t *rkt;       /* on the current producer, or NULL */
    char name[];
} ks_kafka_out_t;

/* The handles' opaque. It starts with the logger, as kafka.h asks of every
 * handle built from ks_kafka_conf_new(); the client is found from it in
 * the delivery-report, error and rebalance callbacks. */
typedef struct ks_kafka_opaque {
    ks_logger_t log; /* first: read by kafka_conf.c's log callback */
    ks_kafka_client_t *client;
} ks_kafka_opaque_t;

struct ks_kafka_client {
    ks_client_t base; /* first: client.h */
    ks_kafka_opaque_t opaque;
    ks_client_kind_t kind;
    rd_kafka_t *consumer;
    rd_kafka_t *producer; /* NULL unless KS_CLIENT_MAIN */
    int api_timeout_ms;   /* default.api.timeout.ms, or 60000 */
    bool subscribed;      /* subscribe() was called: a group member */
    bool cooperative;     /* the group uses incremental rebalancing */
    bool fatal;           /* a fatal error was seen: poll() fails */
    char fatal_reason[256];
    /* Partitions this client paused and has not resumed: librdkafka keeps
     * an application pause across assignments, a manual assign() lifts it
     * (kafka_client_consume.c). NULL until the first pause. */
    rd_kafka_topic_partition_list_t *paused;
    /* The consumer queue's limits, what polls saw of them and the
     * partitions' positions (kafka_client_fetch.c). */
    struct {
        rd_kafka_queue_t *queue; /* the consumer queue */
        size_t max_msgs;         /* queued.min.messages */
        uint64_t max_bytes;      /* queued.max.messages.kbytes, in bytes */
        uint64_t bytes;          /* taken since the queue was last empty */
        size_t last_taken;       /* records the last poll took */
        bool full;               /* it may have been at a limit since */
        uint64_t wakes;          /* times the fetchers were woken */
        int64_t reset_start;     /* where nothing committed starts */
        ks_kafka_pos_t *pos;     /* every partition seen */
        size_t npos, cap, hit;   /* hit: the entry of the last record */
    } fetch;
    ks_tp_t *evtps; /* scratch for assigned/revoked events */
    size_t evcap;
    ks_written_t written; /* acknowledged offsets (delivery reports) */
    /* The topics produced to or prepared (name -> ks_kafka_out_t), NULL
     * until the first; their handles are made again on a producer that
     * txn_reset re-creates. */
    ks_map_t *outs;
    ks_kafka_out_t *out_last; /* the entry the last record went to */
    size_t unacked; /* records produced and not yet reported */
    size_t window;  /* produce_window(): 0, or the most unacked */
    /* exactly_once_v2 (kafka_client_txn.c): txn_id[0] is '\0' in a client
     * that is not transactional. */
    char txn_id[256];     /* KS_TXN_ID_FMT: the producer's transactional.id */
    int thread_idx;       /* names the handles; kept for txn_reset */
    kstream_conf_t *conf; /* a copy, to re-create the producer (txn_reset) */
    bool in_txn;          /* begun, not yet committed or aborted */
    bool txn_fenced;      /* the producer was fenced: only txn_reset helps */
    char txn_errstr[512]; /* the last transactional error, for the owner */
};

/* kafka_client.c */
kstream_err_t ks_kafka_err(rd_kafka_resp_err_t err);
/* A one-entry partition list (NULL on out-of-memory). */
rd_kafka_topic_partition_list_t *ks_kafka_tp_list(const char *topic,
                                                  int32_t partition,
                                                  int64_t offset);
/* Remember the first fatal error: poll() fails from now on. */
void ks_kafka_set_fatal(ks_kafka_client_t *c, const char *who,
                        const char *reason);
void ks_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                       void *opaque);
/* The producer of a KS_CLIENT_MAIN client (transactional when
 * c->txn_id is set), NULL with a message. */
rd_kafka_t *ks_kafka_producer_new(ks_kafka_client_t *c, char *errstr,
                                  size_t errstr_size);

/* kafka_client_consume.c */
void ks_kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t *parts,
                           void *opaque);
kstream_err_t ks_kafka_subscribe(ks_client_t *base, const char *const *topics,
                                 size_t ntopics);
kstream_err_t ks_kafka_assign(ks_client_t *base, const ks_tp_offset_t *tps,
                              size_t n);
kstream_err_t ks_kafka_poll(ks_client_t *base, ks_msg_t *msgs, size_t max,
                            size_t *n, int timeout_ms);
void ks_kafka_release(ks_client_t *base, ks_msg_t *msgs, size_t n);
kstream_err_t ks_kafka_pause(ks_client_t *base, const ks_tp_t *tp);
kstream_err_t ks_kafka_resume(ks_client_t *base, const ks_tp_t *tp);
kstream_err_t ks_kafka_seek(ks_client_t *base, const ks_tp_offset_t *tpo);

/* kafka_client_fetch.c: init (after the consumer is made) and free
 * (before it is destroyed); before_poll, taken (each message handed
 * out) and drained (a poll found no message) from poll(), which does not
 * wait before it has looked once when before_poll says the queue may
 * have been full; resumed with
 * the partition a resume() lifted. The positions follow the assignment
 * (assigned, with each partition's offset if given; unassign_all), seeks
 * (sought) and the committed offsets read (committed, -1: none). */
kstream_err_t ks_kafka_fetch_init(ks_kafka_client_t *c);
void ks_kafka_fetch_free(ks_kafka_client_t *c);
bool ks_kafka_fetch_before_poll(ks_kafka_client_t *c); /* true: full */
void ks_kafka_fetch_taken(ks_kafka_client_t *c, const rd_kafka_message_t *m);
void ks_kafka_fetch_drained(ks_kafka_client_t *c);
void ks_kafka_fetch_resumed(ks_kafka_client_t *c, const char *topic,
                            int32_t partition);
void ks_kafka_fetch_assigned(ks_kafka_client_t *c,
                             const rd_kafka_topic_partition_list_t *parts,
                             bool assigned);
void ks_kafka_fetch_unassign_all(ks_kafka_client_t *c);
void ks_kafka_fetch_sought(ks_kafka_client_t *c, const char *topic,
                           int32_t partition, int64_t offset);
void ks_kafka_fetch_committed(ks_kafka_client_t *c, const char *topic,
                              int32_t partition, int64_t offset);

/* kafka_client_offsets.c */
kstream_err_t ks_kafka_committed(ks_client_t *base, const ks_tp_t *tp,
                                 int64_t *offset);
kstream_err_t ks_kafka_commit(ks_client_t *base, const ks_tp_offset_t *offs,
                              size_t n);
kstream_err_t ks_kafka_end_offset(ks_client_t *base, const ks_tp_t *tp,
                                  int64_t *offset);
kstream_err_t ks_kafka_lag(ks_client_t *base, const ks_tp_t *tp,
                           int64_t *lag);
kstream_err_t ks_kafka_partition_count(ks_client_t *base, const char *topic,
                                       int32_t *n);

/* kafka_client_produce.c */
void ks_kafka_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque);
/* The delivery report of one record that is no longer queued (its count
 * in c->unacked already taken off): written offset or failure. */
void ks_kafka_dr_report(ks_kafka_client_t *c, const rd_kafka_message_t *rkm);
void ks_kafka_produce_window(ks_client_t *base, size_t records);
kstream_err_t ks_kafka_prepare_produce(ks_client_t *base,
                                       const char *const *topics, size_t n);
/* Make handles of every topic produced to or prepared (c->outs) on
 * c->producer and learn their metadata (prepare_produce, and after
 * txn_reset re-creates the producer); best effort, a failure is logged. */
kstream_err_t ks_kafka_learn_produce_topics(ks_kafka_client_t *c);
/* Let go of the topic handles held on c->producer: before the producer
 * is destroyed (a re-created producer makes them again). */
void ks_kafka_outs_release(ks_kafka_client_t *c);
void ks_kafka_outs_free(ks_kafka_client_t *c);
kstream_err_t ks_kafka_produce(ks_client_t *base, const ks_out_t *out);
kstream_err_t ks_kafka_flush(ks_client_t *base, int timeout_ms);
kstream_err_t ks_kafka_written_offset(ks_client_t *base, const ks_tp_t *tp,
                                      int64_t *offset);

/* kafka_client_txn.c: the ops of client.h for a transactional client, and
 * produce() refusing records outside a transaction. */
kstream_err_t ks_kafka_txn_init(ks_client_t *base, int timeout_ms);
kstream_err_t ks_kafka_txn_begin(ks_client_t *base);
kstream_err_t ks_kafka_txn_send_offsets(ks_client_t *base,
                                        const ks_tp_offset_t *offs, size_t n,
                                        int timeout_ms);
kstream_err_t ks_kafka_txn_commit(ks_client_t *base, int timeout_ms);
kstream_err_t ks_kafka_txn_abort(ks_client_t *base, int timeout_ms);
kstream_err_t ks_kafka_txn_reset(ks_client_t *base);
kstream_err_t ks_kafka_txn_produce(ks_client_t *base, const ks_out_t *out);
/* The delivery-report callback of a transactional producer: records purged
 * by an abort or txn_reset are not reported to the owner. */
void ks_kafka_txn_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                            void *opaque);
/* A fatal error of a transactional producer that means fencing
 * (another producer took over the transactional id, or the group moved
 * on): the thread goes on after txn_reset, so poll() must not fail. */
bool ks_kafka_txn_is_fencing(rd_kafka_resp_err_t code);
/* Close time: abort a transaction still open (bounded by timeout_ms). */
void ks_kafka_txn_close(ks_kafka_client_t *c, int timeout_ms);
/* The message of the last transactional error ("" when none), borrowed
 * until the next operation on the client; "" for a client that is not a
 * librdkafka one or not transactional. */
const char *ks_kafka_client_txn_error(const ks_client_t *base);

#endif /* KS_KAFKA_CLIENT_INT_H */
