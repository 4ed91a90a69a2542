/* kafka_client.c - the librdkafka client of client.h (Java's StreamThread
 * clients: main consumer + producer, restore consumer, global consumer):
 * creation, destruction, error mapping and the ops tables. The operations
 * live in kafka_client_{consume,offsets,produce,txn}.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kafka_client_int.h"

/* Errors librdkafka returns at once, as kstream codes. */
kstream_err_t ks_kafka_err(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return KSTREAM_OK;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return KSTREAM_ERR_TIMEOUT;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        return KSTREAM_ERR_TOO_LARGE;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        return KSTREAM_ERR_INVALID_ARG;
    case RD_KAFKA_RESP_ERR__STATE:
        return KSTREAM_ERR_STATE;
    default:
        return KSTREAM_ERR_KAFKA;
    }
}

rd_kafka_topic_partition_list_t *ks_kafka_tp_list(const char *topic,
                                                  int32_t partition,
                                                  int64_t offset) {
    rd_kafka_topic_partition_list_t *list =
            rd_kafka_topic_partition_list_new(1);

    if (list)
        rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
                offset;
    return list;
}

void ks_kafka_set_fatal(ks_kafka_client_t *c, const char *who,
                        const char *reason) {
    /* The first cause is the one worth reporting. */
    if (!c->fatal)
        ks_errstr(c->fatal_reason, sizeof(c->fatal_reason), "%s: %s", who,
                  reason);
    c->fatal = true;
}

/* Errors and fatal errors of either handle, served on the stream thread
 * (the consumer's main queue is forwarded to its consumer queue). Most are
 * transient (a broker down): librdkafka retries on its own, so they are
 * only logged. A fatal error makes the next poll() fail. */
void ks_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                       void *opaque) {
    ks_kafka_opaque_t *op = opaque;
    ks_kafka_client_t *c = op->client;
    char fatal[256];

    if (err != RD_KAFKA_RESP_ERR__FATAL) {
        ks_log(&op->log, KS_LOG_WARNING, "RDKAFKA", "%s: %s: %s",
               rd_kafka_name(rk), rd_kafka_err2name(err), reason);
        return;
    }
    err = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    /* A transactional producer fenced by a newer one is dead, but the
     * thread is not: the transaction calls report it (KSTREAM_ERR_FENCED)
     * and txn_reset makes a new producer. */
    if (c->txn_id[0] && rk == c->producer && ks_kafka_txn_is_fencing(err)) {
        ks_log(&op->log, KS_LOG_WARNING, "TXN", "%s: fenced: %s",
               rd_kafka_name(rk), fatal);
        c->txn_fenced = true;
        return;
    }
    ks_log(&op->log, KS_LOG_ERR, "RDKAFKA", "%s: fatal error: %s",
           rd_kafka_name(rk), fatal);
    ks_kafka_set_fatal(c, rd_kafka_name(rk), fatal);
}

static void ks_kafka_destroy(ks_client_t *base);

static const ks_client_ops_t ks_kafka_ops = {
        .name = "librdkafka",
        .subscribe = ks_kafka_subscribe,
        .assign = ks_kafka_assign,
        .poll = ks_kafka_poll,
        .release = ks_kafka_release,
        .pause = ks_kafka_pause,
        .resume = ks_kafka_resume,
        .seek = ks_kafka_seek,
        .committed = ks_kafka_committed,
        .end_offset = ks_kafka_end_offset,
        .written_offset = ks_kafka_written_offset,
        .lag = ks_kafka_lag,
        .partition_count = ks_kafka_partition_count,
        .prepare_produce = ks_kafka_prepare_produce,
        .produce = ks_kafka_produce,
        .flush = ks_kafka_flush,
        .produce_window = ks_kafka_produce_window,
        .commit = ks_kafka_commit,
        .destroy = ks_kafka_destroy,
};

/* The main client of a thread under exactly_once_v2: the same, plus the
 * transaction calls, and produce() only inside a transaction. */
static const ks_client_ops_t ks_kafka_txn_ops = {
        .name = "librdkafka",
        .subscribe = ks_kafka_subscribe,
        .assign = ks_kafka_assign,
        .poll = ks_kafka_poll,
        .release = ks_kafka_release,
        .pause = ks_kafka_pause,
        .resume = ks_kafka_resume,
        .seek = ks_kafka_seek,
        .committed = ks_kafka_committed,
        .end_offset = ks_kafka_end_offset,
        .written_offset = ks_kafka_written_offset,
        .lag = ks_kafka_lag,
        .partition_count = ks_kafka_partition_count,
        .prepare_produce = ks_kafka_prepare_produce,
        .produce = ks_kafka_txn_produce,
        .flush = ks_kafka_flush,
        .produce_window = ks_kafka_produce_window,
        .commit = ks_kafka_commit,
        .txn_init = ks_kafka_txn_init,
        .txn_begin = ks_kafka_txn_begin,
        .txn_send_offsets = ks_kafka_txn_send_offsets,
        .txn_commit = ks_kafka_txn_commit,
        .txn_abort = ks_kafka_txn_abort,
        .txn_reset = ks_kafka_txn_reset,
        .txn_error = ks_kafka_client_txn_error,
        .destroy = ks_kafka_destroy,
};

/* ---- creation ----------------------------------------------------------- */

static const char *kc_consumer_suffix(ks_client_kind_t kind) {
    switch (kind) {
    case KS_CLIENT_RESTORE:
        return "restore-consumer";
    case KS_CLIENT_GLOBAL:
        return "global-consumer";
    default:
        return "consumer";
    }
}

static ks_kafka_role_t kc_consumer_role(ks_client_kind_t kind) {
    switch (kind) {
    case KS_CLIENT_RESTORE:
        return KS_KAFKA_RESTORE_CONSUMER;
    case KS_CLIENT_GLOBAL:
        return KS_KAFKA_GLOBAL_CONSUMER;
    default:
        return KS_KAFKA_CONSUMER;
    }
}

/* One handle of the client, named "<client.id>-StreamThread-<idx>-<suffix>"
 * (client.id defaults to application.id), with the client's opaque and
 * callbacks. */
static rd_kafka_t *kc_handle_new(ks_kafka_client_t *c,
                                 const kstream_conf_t *conf,
                                 ks_kafka_role_t role, const char *suffix,
                                 int thread_idx, char *errstr,
                                 size_t errstr_size) {
    const char *prefix = ks_conf_str(conf, "client.id");
    rd_kafka_conf_t *rkconf;
    rd_kafka_t *rk;
    char client_id[512], why[512];
    bool producer = role == KS_KAFKA_PRODUCER;

    if (!prefix)
        prefix = ks_conf_str(conf, "application.id");
    snprintf(client_id, sizeof(client_id), "%s-StreamThread-%d-%s",
             prefix ? prefix : "kstream", thread_idx, suffix);
    rkconf = ks_kafka_conf_new(conf, role, client_id, errstr, errstr_size);
    if (!rkconf)
        return NULL;
    /* Set last: the id is the thread's, never a pass-through key's. */
    if (producer && c->txn_id[0] &&
        rd_kafka_conf_set(rkconf, "transactional.id", c->txn_id, why,
                          sizeof(why)) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(rkconf);
        ks_errstr(errstr, errstr_size, "cannot set transactional.id: %s",
                  why);
        return NULL;
    }
    rd_kafka_conf_set_opaque(rkconf, &c->opaque);
    rd_kafka_conf_set_error_cb(rkconf, ks_kafka_error_cb);
    if (producer)
        rd_kafka_conf_set_dr_msg_cb(rkconf, c->txn_id[0]
                                                    ? ks_kafka_txn_dr_msg_cb
                                                    : ks_kafka_dr_msg_cb);
    else if (role == KS_KAFKA_CONSUMER)
        rd_kafka_conf_set_rebalance_cb(rkconf, ks_kafka_rebalance_cb);
    rk = rd_kafka_new(producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                      rkconf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(rkconf); /* not consumed on failure */
        ks_errstr(errstr, errstr_size, "cannot create %s: %s", client_id,
                  why);
        return NULL;
    }
    /* Errors and logs of the consumer are then served by
     * rd_kafka_consumer_poll(), on the stream thread. */
    if (!producer)
        rd_kafka_poll_set_consumer(rk);
    return rk;
}

rd_kafka_t *ks_kafka_producer_new(ks_kafka_client_t *c, char *errstr,
                                  size_t errstr_size) {
    return kc_handle_new(c, c->conf, KS_KAFKA_PRODUCER, "producer",
                         c->thread_idx, errstr, errstr_size);
}

/* Under exactly_once_v2 the main client is transactional: its id is
 * KS_TXN_ID_FMT and it keeps a copy of the conf for txn_reset. */
static int kc_txn_setup(ks_kafka_client_t *c, const kstream_conf_t *conf,
                        int thread_idx, const char *process_id, char *errstr,
                        size_t errstr_size) {
    const char *pg = ks_conf_str(conf, "processing.guarantee");
    const char *app_id = ks_conf_str(conf, "application.id");
    int len;

    if (c->kind != KS_CLIENT_MAIN || !pg || strcmp(pg, "exactly_once_v2"))
        return 0;
    if (!process_id || !*process_id) {
        ks_errstr(errstr, errstr_size,
                  "a process id is needed to name the transactional "
                  "producer");
        return -1;
    }
    len = snprintf(c->txn_id, sizeof(c->txn_id), KS_TXN_ID_FMT,
                   app_id ? app_id : "", process_id, thread_idx);
    if (!app_id || len < 0 || (size_t)len >= sizeof(c->txn_id)) {
        ks_errstr(errstr, errstr_size,
                  "application.id must be set (and shorter than %zu bytes) "
                  "to name the transactional producer",
                  sizeof(c->txn_id) - 64);
        c->txn_id[0] = '\0';
        return -1;
    }
    c->conf = kstream_conf_dup(conf);
    if (!c->conf) {
        ks_errstr(errstr, errstr_size, "out of memory creating a client");
        return -1;
    }
    c->base.ops = &ks_kafka_txn_ops;
    return 0;
}

ks_client_t *ks_kafka_client_new(const kstream_conf_t *conf,
                                 ks_client_kind_t kind, int thread_idx,
                                 const char *process_id,
                                 const ks_client_events_t *events,
                                 char *errstr, size_t errstr_size) {
    ks_kafka_client_t *c;

    if (!conf || kind < KS_CLIENT_MAIN || kind > KS_CLIENT_GLOBAL) {
        ks_errstr(errstr, errstr_size,
                  "ks_kafka_client_new: invalid argument");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        free(c);
        ks_errstr(errstr, errstr_size, "out of memory creating a client");
        return NULL;
    }
    c->base.ops = &ks_kafka_ops;
    if (events)
        c->base.events = *events;
    c->kind = kind;
    c->opaque.client = c;
    ks_conf_logger(conf, &c->opaque.log);
    c->api_timeout_ms = (int)ks_conf_int(conf, "default.api.timeout.ms");
    c->thread_idx = thread_idx;
    if (kc_txn_setup(c, conf, thread_idx, process_id, errstr, errstr_size))
        goto fail;
    c->consumer = kc_handle_new(c, conf, kc_consumer_role(kind),
                                kc_consumer_suffix(kind), thread_idx, errstr,
                                errstr_size);
    if (!c->consumer)
        goto fail;
    if (ks_kafka_fetch_init(c)) {
        ks_errstr(errstr, errstr_size, "out of memory creating a client");
        goto fail;
    }
    if (kind == KS_CLIENT_MAIN) {
        c->producer = kc_handle_new(c, conf, KS_KAFKA_PRODUCER, "producer",
                                    thread_idx, errstr, errstr_size);
        if (!c->producer)
            goto fail;
    }
    return &c->base;

fail:
    ks_kafka_destroy(&c->base);
    return NULL;
}

/* ---- destruction -------------------------------------------------------- */

/* Leave the group first: the revoke callback this may fire lets the owner
 * commit, which can still flush the producer. Then a transaction still
 * open is aborted (a transactional client), the producer's queue is
 * flushed (its failures reported), then everything is freed. */
static void ks_kafka_destroy(ks_client_t *base) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_resp_err_t err;

    if (!c)
        return;
    if (c->consumer) {
        err = rd_kafka_consumer_close(c->consumer);
        if (err)
            ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT",
                   "%s: close: %s", rd_kafka_name(c->consumer),
                   rd_kafka_err2str(err));
        ks_kafka_fetch_free(c);
        rd_kafka_destroy(c->consumer);
    }
    if (c->producer && c->txn_id[0])
        ks_kafka_txn_close(c, c->api_timeout_ms);
    if (c->producer) {
        err = rd_kafka_flush(c->producer, c->api_timeout_ms);
        if (err)
            ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT",
                   "%s: %d records not delivered at close: %s",
                   rd_kafka_name(c->producer),
                   rd_kafka_outq_len(c->producer), rd_kafka_err2str(err));
        ks_kafka_outs_release(c);
        rd_kafka_destroy(c->producer);
    }
    ks_kafka_outs_free(c);
    ks_written_free(&c->written);
    if (c->paused)
        rd_kafka_topic_partition_list_destroy(c->paused);
    kstream_conf_destroy(c->conf);
    free(c->evtps);
    free(c);
}
