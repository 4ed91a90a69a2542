/* kafka_client_txn.c - the exactly_once_v2 operations of the librdkafka
 * client (Java's StreamsProducer under EXACTLY_ONCE_V2): one transactional
 * producer per stream thread, KIP-447 offsets through
 * send_offsets_to_transaction with the consumer's group metadata, and the
 * classification of librdkafka's transactional errors into the four
 * classes of client.h.
 *
 * Classification, first match wins (Kafka Streams' StreamsProducer and
 * RecordCollectorImpl read the same way: ProducerFencedException,
 * InvalidProducerEpochException, CommitFailedException and, once the
 * producer is dead, OutOfOrderSequenceException, UnknownProducerId and
 * InvalidPidMapping mean "task migrated"; other fatal errors stop):
 *
 *   the producer was fenced, or the code is __FENCED, PRODUCER_FENCED,
 *   INVALID_PRODUCER_EPOCH, or ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 *   FENCED_INSTANCE_ID (the group moved on)      -> KSTREAM_ERR_FENCED
 *   fatal with OUT_OF_ORDER_SEQUENCE_NUMBER,
 *   UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_ID_MAPPING
 *   (the producer's state is lost: librdkafka
 *   2.0.2 makes an out-of-order sequence fatal)  -> KSTREAM_ERR_FENCED
 *   any other fatal error                        -> KSTREAM_ERR_FATAL
 *   abort failed, not fatally (abortable,
 *   retriable or a timeout): the transaction's
 *   fate is the next init's to settle            -> KSTREAM_ERR_TXN_UNKNOWN
 *   txn_requires_abort                           -> KSTREAM_ERR_TXN_ABORTABLE
 *   retriable, in init or commit (the call goes
 *   on in the background: outcome unknown)       -> KSTREAM_ERR_TXN_UNKNOWN
 *   retriable, in begin or send_offsets (the
 *   transaction is open and can be aborted)      -> KSTREAM_ERR_TXN_ABORTABLE
 *   __STATE (a call out of order)                -> KSTREAM_ERR_STATE
 *   __INVALID_ARG                                -> KSTREAM_ERR_INVALID_ARG
 *   anything else (librdkafka: "treat all other
 *   errors as fatal")                            -> KSTREAM_ERR_FATAL
 *
 * After KSTREAM_ERR_FENCED the producer is dead (or must not go on):
 * txn_reset and txn_init make a new one, as Kafka Streams re-creates the
 * thread producer when its tasks are lost.
 *
 * Every error is logged with librdkafka's text and kept in c->txn_errstr
 * (ks_kafka_client_txn_error()). A fatal error that is not fencing also
 * makes poll() fail, as any fatal error of the client does. */
#include <stdio.h>
#include <string.h>

#include "runtime/kafka_client_int.h"

typedef enum kc_txn_op {
    KC_TXN_INIT,
    KC_TXN_BEGIN,
    KC_TXN_SEND_OFFSETS,
    KC_TXN_COMMIT,
    KC_TXN_ABORT
} kc_txn_op_t;

static const char *kc_txn_op_name(kc_txn_op_t op) {
    switch (op) {
    case KC_TXN_INIT:
        return "init_transactions";
    case KC_TXN_BEGIN:
        return "begin_transaction";
    case KC_TXN_SEND_OFFSETS:
        return "send_offsets_to_transaction";
    case KC_TXN_COMMIT:
        return "commit_transaction";
    default:
        return "abort_transaction";
    }
}

/* Codes that mean fencing whether fatal or not. */
static bool kc_txn_fenced_code(rd_kafka_resp_err_t code) {
    switch (code) {
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
        return true;
    default:
        return false;
    }
}

/* For fatal errors: fencing, or the producer's state lost. */
bool ks_kafka_txn_is_fencing(rd_kafka_resp_err_t code) {
    switch (code) {
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING:
        return true;
    default:
        return kc_txn_fenced_code(code);
    }
}

/* The class of a failed call (the table above). */
static kstream_err_t kc_txn_class(ks_kafka_client_t *c,
                                  const rd_kafka_error_t *error,
                                  kc_txn_op_t op) {
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    char why[256];

    /* __FATAL stands for the error that made the producer fatal. */
    if (code == RD_KAFKA_RESP_ERR__FATAL)
        code = rd_kafka_fatal_error(c->producer, why, sizeof(why));
    if (c->txn_fenced || kc_txn_fenced_code(code))
        return KSTREAM_ERR_FENCED;
    if (rd_kafka_error_is_fatal(error))
        return ks_kafka_txn_is_fencing(code) ? KSTREAM_ERR_FENCED
                                             : KSTREAM_ERR_FATAL;
    if (op == KC_TXN_ABORT &&
        (rd_kafka_error_txn_requires_abort(error) ||
         rd_kafka_error_is_retriable(error) ||
         code == RD_KAFKA_RESP_ERR__TIMED_OUT))
        return KSTREAM_ERR_TXN_UNKNOWN;
    if (rd_kafka_error_txn_requires_abort(error))
        return KSTREAM_ERR_TXN_ABORTABLE;
    if (rd_kafka_error_is_retriable(error))
        return op == KC_TXN_BEGIN || op == KC_TXN_SEND_OFFSETS
                       ? KSTREAM_ERR_TXN_ABORTABLE
                       : KSTREAM_ERR_TXN_UNKNOWN;
    if (code == RD_KAFKA_RESP_ERR__STATE)
        return KSTREAM_ERR_STATE;
    if (code == RD_KAFKA_RESP_ERR__INVALID_ARG)
        return KSTREAM_ERR_INVALID_ARG;
    return KSTREAM_ERR_FATAL;
}

/* Classify, log and keep the error (given: destroyed here). */
static kstream_err_t kc_txn_failed(ks_kafka_client_t *c,
                                   rd_kafka_error_t *error, kc_txn_op_t op) {
    kstream_err_t err = kc_txn_class(c, error, op);

    if (err == KSTREAM_ERR_FENCED)
        c->txn_fenced = true;
    ks_errstr(c->txn_errstr, sizeof(c->txn_errstr), "%s %s: %s (%s): %s",
              c->txn_id, kc_txn_op_name(op),
              rd_kafka_err2name(rd_kafka_error_code(error)),
              rd_kafka_error_string(error), kstream_err2name(err));
    ks_log(&c->opaque.log,
           err == KSTREAM_ERR_FATAL ? KS_LOG_ERR : KS_LOG_WARNING, "TXN",
           "%s", c->txn_errstr);
    if (err == KSTREAM_ERR_FATAL)
        ks_kafka_set_fatal(c, kc_txn_op_name(op),
                           rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return err;
}

/* Checks common to every call: a producer to call, not already fenced. */
static kstream_err_t kc_txn_usable(ks_kafka_client_t *c) {
    if (!c->producer) {
        /* txn_reset could not make a new one: its error is kept. */
        return KSTREAM_ERR_STATE;
    }
    if (c->txn_fenced) {
        ks_errstr(c->txn_errstr, sizeof(c->txn_errstr),
                  "%s: fenced: call txn_reset and txn_init first",
                  c->txn_id);
        return KSTREAM_ERR_FENCED;
    }
    return KSTREAM_OK;
}

static int kc_txn_timeout(const ks_kafka_client_t *c, int timeout_ms) {
    return timeout_ms < 0 ? c->api_timeout_ms : timeout_ms;
}

kstream_err_t ks_kafka_txn_init(ks_client_t *base, int timeout_ms) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_error_t *error;
    kstream_err_t err;

    if (!c)
        return KSTREAM_ERR_INVALID_ARG;
    err = kc_txn_usable(c);
    if (err)
        return err;
    error = rd_kafka_init_transactions(c->producer,
                                       kc_txn_timeout(c, timeout_ms));
    if (error)
        return kc_txn_failed(c, error, KC_TXN_INIT);
    c->in_txn = false;
    ks_log(&c->opaque.log, KS_LOG_INFO, "TXN", "%s: transactions initialized",
           c->txn_id);
    return KSTREAM_OK;
}

kstream_err_t ks_kafka_txn_begin(ks_client_t *base) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_error_t *error;
    kstream_err_t err;

    if (!c)
        return KSTREAM_ERR_INVALID_ARG;
    err = kc_txn_usable(c);
    if (err)
        return err;
    error = rd_kafka_begin_transaction(c->producer);
    if (error)
        return kc_txn_failed(c, error, KC_TXN_BEGIN);
    c->in_txn = true;
    return KSTREAM_OK;
}

/* offs as a partition list (NULL on out-of-memory). */
static rd_kafka_topic_partition_list_t *
kc_txn_offsets(const ks_tp_offset_t *offs, size_t n) {
    rd_kafka_topic_partition_list_t *list =
            rd_kafka_topic_partition_list_new((int)n);
    size_t i;

    if (!list)
        return NULL;
    for (i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, offs[i].topic,
                                          offs[i].partition)
                ->offset = offs[i].offset;
    return list;
}

kstream_err_t ks_kafka_txn_send_offsets(ks_client_t *base,
                                        const ks_tp_offset_t *offs, size_t n,
                                        int timeout_ms) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_consumer_group_metadata_t *cgmd;
    rd_kafka_error_t *error;
    kstream_err_t err;
    size_t i;

    if (!c || (n && !offs))
        return KSTREAM_ERR_INVALID_ARG;
    for (i = 0; i < n; i++)
        if (!offs[i].topic || offs[i].partition < 0 || offs[i].offset < 0)
            return KSTREAM_ERR_INVALID_ARG;
    err = kc_txn_usable(c);
    if (err)
        return err;
    if (!c->in_txn)
        return KSTREAM_ERR_STATE;
    if (n == 0)
        return KSTREAM_OK;
    /* The generation and member id let the coordinator fence a zombie of
     * an older generation (KIP-447). NULL for a consumer without a
     * group.id, which a main client always has. */
    cgmd = rd_kafka_consumer_group_metadata(c->consumer);
    list = kc_txn_offsets(offs, n);
    if (!cgmd || !list) {
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (list)
            rd_kafka_topic_partition_list_destroy(list);
        return cgmd ? KSTREAM_ERR_NO_MEMORY : KSTREAM_ERR_STATE;
    }
    error = rd_kafka_send_offsets_to_transaction(
            c->producer, list, cgmd, kc_txn_timeout(c, timeout_ms));
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(list);
    if (error)
        return kc_txn_failed(c, error, KC_TXN_SEND_OFFSETS);
    return KSTREAM_OK;
}

/* Records of an aborted (or dropped) transaction come back purged; the
 * abort itself reports them, so the owner's delivery_failed is not told
 * (it would run the production error handler for records that were never
 * meant to be written). Records refused because the producer was fenced
 * or lost its state (ks_kafka_txn_is_fencing: an out-of-order sequence,
 * which 2.0.2 makes fatal, an unknown producer id, a newer epoch) are not
 * the records' fault either: the transaction fails with them and its
 * calls report KSTREAM_ERR_FENCED, as Kafka Streams turns these send
 * errors into TaskMigratedException and never gives them to the
 * production handler (whose default, fail, would stop the thread).
 * Every other report goes the usual way. */
void ks_kafka_txn_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                            void *opaque) {
    ks_kafka_client_t *c = ((ks_kafka_opaque_t *)opaque)->client;
    rd_kafka_resp_err_t code = rkm->err;

    if (c->unacked)
        c->unacked--;
    if (code == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
        code == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        return;
    if (code == RD_KAFKA_RESP_ERR__FATAL)
        code = rd_kafka_fatal_error(rk, NULL, 0);
    if (code && ks_kafka_txn_is_fencing(code)) {
        ks_log(&c->opaque.log, KS_LOG_DEBUG, "TXN",
               "%s: record to %s [%d] refused (%s): the transaction fails "
               "with it",
               c->txn_id, rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
               rd_kafka_err2name(rkm->err));
        return;
    }
    ks_kafka_dr_report(c, rkm);
}

/* End the open transaction. Commit flushes its records first (serving
 * their delivery reports), then EndTxn(commit); abort purges the records
 * not yet sent, then EndTxn(abort). Reports left queued are served after
 * (written offsets for checkpoints). */
static kstream_err_t kc_txn_end(ks_client_t *base, bool commit,
                                int timeout_ms) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_error_t *error;
    kstream_err_t err;

    if (!c)
        return KSTREAM_ERR_INVALID_ARG;
    err = kc_txn_usable(c);
    if (err)
        return err;
    if (!c->in_txn)
        return KSTREAM_ERR_STATE;
    error = commit ? rd_kafka_commit_transaction(c->producer,
                                                 kc_txn_timeout(c, timeout_ms))
                   : rd_kafka_abort_transaction(c->producer,
                                                kc_txn_timeout(c, timeout_ms));
    rd_kafka_poll(c->producer, 0);
    if (error)
        return kc_txn_failed(c, error, commit ? KC_TXN_COMMIT : KC_TXN_ABORT);
    c->in_txn = false;
    return KSTREAM_OK;
}

kstream_err_t ks_kafka_txn_commit(ks_client_t *base, int timeout_ms) {
    return kc_txn_end(base, true, timeout_ms);
}

kstream_err_t ks_kafka_txn_abort(ks_client_t *base, int timeout_ms) {
    return kc_txn_end(base, false, timeout_ms);
}

/* Drop the producer without waiting for anything: its queued and in-flight
 * records belong to a transaction that the next InitProducerId of the same
 * transactional id aborts (or completes) on the coordinator. */
static void kc_txn_drop_producer(ks_kafka_client_t *c) {
    rd_kafka_resp_err_t err;

    err = rd_kafka_purge(c->producer, RD_KAFKA_PURGE_F_QUEUE |
                                              RD_KAFKA_PURGE_F_INFLIGHT |
                                              RD_KAFKA_PURGE_F_NON_BLOCKING);
    if (err)
        ks_log(&c->opaque.log, KS_LOG_WARNING, "TXN", "%s: purge: %s",
               c->txn_id, rd_kafka_err2str(err));
    ks_kafka_outs_release(c);
    rd_kafka_destroy(c->producer);
    c->producer = NULL;
    c->unacked = 0; /* their reports are gone with it */
}

kstream_err_t ks_kafka_txn_reset(ks_client_t *base) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    char why[512];

    if (!c)
        return KSTREAM_ERR_INVALID_ARG;
    if (c->producer)
        kc_txn_drop_producer(c);
    c->in_txn = false;
    c->txn_fenced = false;
    c->producer = ks_kafka_producer_new(c, why, sizeof(why));
    if (!c->producer) {
        ks_errstr(c->txn_errstr, sizeof(c->txn_errstr),
                  "%s: cannot re-create the producer: %s", c->txn_id, why);
        ks_log(&c->opaque.log, KS_LOG_ERR, "TXN", "%s", c->txn_errstr);
        ks_kafka_set_fatal(c, "txn_reset", why);
        return KSTREAM_ERR_FATAL;
    }
    ks_log(&c->opaque.log, KS_LOG_INFO, "TXN",
           "%s: producer re-created (txn_init follows)", c->txn_id);
    (void)ks_kafka_learn_produce_topics(c); /* best effort, logged */
    return KSTREAM_OK;
}

kstream_err_t ks_kafka_txn_produce(ks_client_t *base, const ks_out_t *out) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    kstream_err_t err;

    if (!c || !out)
        return KSTREAM_ERR_INVALID_ARG;
    if (c->txn_fenced)
        return KSTREAM_ERR_FENCED;
    if (!c->in_txn || !c->producer)
        return KSTREAM_ERR_STATE; /* outside a transaction: refused */
    err = ks_kafka_produce(base, out);
    if (err != KSTREAM_ERR_STATE && err != KSTREAM_ERR_KAFKA)
        return err;
    /* librdkafka refuses records once the transaction failed: say which
     * way it failed. */
    if (c->txn_fenced)
        return KSTREAM_ERR_FENCED;
    if (rd_kafka_fatal_error(c->producer, NULL, 0)) {
        c->txn_fenced = ks_kafka_txn_is_fencing(
                rd_kafka_fatal_error(c->producer, NULL, 0));
        return c->txn_fenced ? KSTREAM_ERR_FENCED : KSTREAM_ERR_FATAL;
    }
    return err == KSTREAM_ERR_STATE ? KSTREAM_ERR_TXN_ABORTABLE : err;
}

void ks_kafka_txn_close(ks_kafka_client_t *c, int timeout_ms) {
    rd_kafka_error_t *error;

    if (!c->in_txn || c->txn_fenced ||
        rd_kafka_fatal_error(c->producer, NULL, 0))
        return;
    error = rd_kafka_abort_transaction(c->producer, timeout_ms);
    if (error) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "TXN",
               "%s: abort at close: %s", c->txn_id,
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    c->in_txn = false;
}

const char *ks_kafka_client_txn_error(const ks_client_t *base) {
    const ks_kafka_client_t *c = (const ks_kafka_client_t *)base;

    if (!base || strcmp(base->ops->name, "librdkafka"))
        return "";
    return c->txn_errstr;
}
