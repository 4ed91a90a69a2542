/* kafka_client_consume.c - the consuming half of the librdkafka client
 * (Java's StreamThread.pollRequests() and the rebalance listener):
 * subscribe and rebalances, manual assignment, batched poll, pause,
 * resume, seek. A resume, and a poll that empties a queue found full, wake
 * the fetchers (kafka_client_fetch.c). */
#include <stdlib.h>
#include <string.h>

#include "runtime/kafka_client_int.h"

/* ---- rebalances --------------------------------------------------------- */

/* parts as ks_tp_t in c->evtps (topic names borrowed from parts).
 * @returns the count, or -1 on out-of-memory. */
static int kc_event_tps(ks_kafka_client_t *c,
                        const rd_kafka_topic_partition_list_t *parts) {
    size_t n = (size_t)parts->cnt, i;

    if (n > c->evcap) {
        ks_tp_t *v = realloc(c->evtps, n * sizeof(*v));
        if (!v)
            return -1;
        c->evtps = v;
        c->evcap = n;
    }
    for (i = 0; i < n; i++) {
        c->evtps[i].topic = parts->elems[i].topic;
        c->evtps[i].partition = parts->elems[i].partition;
    }
    return (int)n;
}

/* A rebalance the client cannot follow leaves the owner's tasks and the
 * group out of step: the thread must stop (poll() fails). */
static void kc_rebalance_failed(ks_kafka_client_t *c, const char *what,
                                const char *reason) {
    ks_log(&c->opaque.log, KS_LOG_ERR, "REBALANCE", "%s: %s: %s",
           rd_kafka_name(c->consumer), what, reason);
    ks_kafka_set_fatal(c, what, reason);
}

/* A new assignment starts every partition it names unpaused (the
 * contract of client.h, kept by the test driver's client too). librdkafka
 * keeps an application pause on the partition across assignments: a
 * restore consumer pauses a finished changelog partition, and the same
 * partition, assigned again for a later restore, would never be fetched.
 * Only partitions this client paused are resumed: resuming one that is not
 * paused still bumps its fetch version and drops what was fetched. */
static void kc_unpause_assigned(ks_kafka_client_t *c,
                                const rd_kafka_topic_partition_list_t *list) {
    rd_kafka_topic_partition_list_t *resume;
    int i;

    if (!c->paused || c->paused->cnt == 0)
        return;
    resume = rd_kafka_topic_partition_list_new(list->cnt);
    if (!resume)
        return;
    for (i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (rd_kafka_topic_partition_list_del(c->paused, tp->topic,
                                              tp->partition))
            rd_kafka_topic_partition_list_add(resume, tp->topic,
                                              tp->partition);
    }
    if (resume->cnt > 0 && rd_kafka_resume_partitions(c->consumer, resume))
        ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT",
               "%s: resuming %d re-assigned partition(s) failed",
               rd_kafka_name(c->consumer), resume->cnt);
    rd_kafka_topic_partition_list_destroy(resume);
}

/* Take the partitions (eager: the whole new assignment; cooperative: the
 * added ones), then tell the owner, which reads committed offsets from
 * inside the event. */
static void kc_on_assign(ks_kafka_client_t *c, rd_kafka_t *rk,
                         rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int n;

    if (c->cooperative)
        error = rd_kafka_incremental_assign(rk, parts);
    else
        err = rd_kafka_assign(rk, parts);
    if (error || err) {
        kc_rebalance_failed(c, "assign", error ? rd_kafka_error_string(error)
                                               : rd_kafka_err2str(err));
        rd_kafka_error_destroy(error);
        return;
    }
    kc_unpause_assigned(c, parts);
    ks_kafka_fetch_assigned(c, parts, true);
    n = kc_event_tps(c, parts);
    if (n < 0) {
        kc_rebalance_failed(c, "assign", "out of memory");
        return;
    }
    ks_log(&c->opaque.log, KS_LOG_INFO, "REBALANCE",
           "%s: %d partition(s) assigned", rd_kafka_name(rk), n);
    if (c->base.events.assigned)
        c->base.events.assigned(c->base.events.owner, c->evtps, (size_t)n);
}

/* Tell the owner while the partitions are still ours (it commits and
 * closes the tasks), then give them up. */
static void kc_on_revoke(ks_kafka_client_t *c, rd_kafka_t *rk,
                         rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int n = kc_event_tps(c, parts);

    if (n < 0) {
        kc_rebalance_failed(c, "revoke", "out of memory");
    } else {
        /* A lost assignment (session timeout) is revoked all the same;
         * the owner's commit then fails, as it must. */
        ks_log(&c->opaque.log, KS_LOG_INFO, "REBALANCE",
               "%s: %d partition(s) %s", rd_kafka_name(rk), n,
               rd_kafka_assignment_lost(rk) ? "lost" : "revoked");
        if (c->base.events.revoked)
            c->base.events.revoked(c->base.events.owner, c->evtps,
                                   (size_t)n);
    }
    ks_kafka_fetch_assigned(c, parts, false);
    if (c->cooperative)
        error = rd_kafka_incremental_unassign(rk, parts);
    else
        err = rd_kafka_assign(rk, NULL);
    if (error || err)
        kc_rebalance_failed(c, "unassign", error ? rd_kafka_error_string(error)
                                                 : rd_kafka_err2str(err));
    rd_kafka_error_destroy(error);
}

/* Served inside rd_kafka_consumer_poll() and rd_kafka_consumer_close(), on
 * the stream thread. */
void ks_kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t *parts,
                           void *opaque) {
    ks_kafka_client_t *c = ((ks_kafka_opaque_t *)opaque)->client;

    /* The protocol is known once the group is joined, i.e. here. A user
     * may choose cooperative-sticky through consumer.*; range is eager. */
    c->cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        kc_on_assign(c, rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        kc_on_revoke(c, rk, parts);
    } else {
        ks_log(&c->opaque.log, KS_LOG_ERR, "REBALANCE", "%s: %s",
               rd_kafka_name(rk), rd_kafka_err2str(err));
        kc_on_revoke(c, rk, parts);
    }
}

/* ---- subscribe and assign ---------------------------------------------- */

kstream_err_t ks_kafka_subscribe(ks_client_t *base, const char *const *topics,
                                 size_t ntopics) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    size_t i;

    if (!c || (ntopics && !topics))
        return KSTREAM_ERR_INVALID_ARG;
    if (c->kind != KS_CLIENT_MAIN)
        return KSTREAM_ERR_STATE;
    for (i = 0; i < ntopics; i++)
        if (!topics[i] || !*topics[i])
            return KSTREAM_ERR_INVALID_ARG;
    if (ntopics == 0) {
        /* Kafka's subscribe() of nothing: leave the group. */
        c->subscribed = false;
        return ks_kafka_err(rd_kafka_unsubscribe(c->consumer));
    }
    list = rd_kafka_topic_partition_list_new((int)ntopics);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(list, topics[i],
                                          RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(c->consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        ks_log(&c->opaque.log, KS_LOG_ERR, "CLIENT", "%s: subscribe: %s",
               rd_kafka_name(c->consumer), rd_kafka_err2str(err));
        return ks_kafka_err(err);
    }
    c->subscribed = true;
    return KSTREAM_OK;
}

/* Metadata of the assigned topics, asked for before the assignment.
 * 2.0.2 starts fetching a manually assigned partition only once it knows
 * the partition's leader, and learns it for a topic it has not seen at its
 * next topic scan, up to 1 s later (the restore and global consumers would
 * idle that long at each first assignment). A failure or a slow answer
 * (no broker up: at most KC_WARM_METADATA_MS) only leaves that to the
 * scan. */
#define KC_WARM_METADATA_MS 2000 /* the thread waits no longer for it */
static void kc_warm_metadata(ks_kafka_client_t *c, const ks_tp_offset_t *tps,
                             size_t n) {
    size_t i, j;

    for (i = 0; i < n; i++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;

        for (j = 0; j < i && strcmp(tps[j].topic, tps[i].topic); j++)
            ;
        if (j < i)
            continue; /* asked already */
        rkt = rd_kafka_topic_new(c->consumer, tps[i].topic, NULL);
        if (!rkt)
            continue;
        if (rd_kafka_metadata(c->consumer, 0, rkt, &md,
                              c->api_timeout_ms < KC_WARM_METADATA_MS
                                      ? c->api_timeout_ms
                                      : KC_WARM_METADATA_MS) ==
            RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
}

kstream_err_t ks_kafka_assign(ks_client_t *base, const ks_tp_offset_t *tps,
                              size_t n) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    size_t i;

    if (!c || (n && !tps))
        return KSTREAM_ERR_INVALID_ARG;
    if (c->subscribed)
        return KSTREAM_ERR_STATE;
    for (i = 0; i < n; i++) {
        if (!tps[i].topic)
            return KSTREAM_ERR_INVALID_ARG;
        if (tps[i].partition < 0)
            return KSTREAM_ERR_UNKNOWN_PARTITION;
    }
    if (n == 0) {
        ks_kafka_fetch_unassign_all(c);
        return ks_kafka_err(rd_kafka_assign(c->consumer, NULL));
    }
    kc_warm_metadata(c, tps, n);
    list = rd_kafka_topic_partition_list_new((int)n);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, tps[i].topic,
                                          tps[i].partition)
                ->offset = tps[i].offset < 0 ? RD_KAFKA_OFFSET_BEGINNING
                                             : tps[i].offset;
    err = rd_kafka_assign(c->consumer, list);
    if (!err) {
        kc_unpause_assigned(c, list);
        ks_kafka_fetch_unassign_all(c);
        ks_kafka_fetch_assigned(c, list, true);
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err)
        ks_log(&c->opaque.log, KS_LOG_ERR, "CLIENT", "%s: assign: %s",
               rd_kafka_name(c->consumer), rd_kafka_err2str(err));
    return ks_kafka_err(err);
}

/* ---- poll and release --------------------------------------------------- */

/* Headers of rkm as a kstream_header_t array pointing into rkm. Messages
 * without headers (the common case) cost no allocation here; librdkafka
 * 2.0.2 itself allocates and frees a parse buffer per consumed message
 * even then (a record's header count, 0, is bytes to parse). It is the
 * only public way to the headers, which Kafka Streams forwards.
 * @returns 0, or -1 on out-of-memory. */
static int kc_msg_headers(ks_msg_t *m, const rd_kafka_message_t *rkm) {
    rd_kafka_headers_t *hdrs;
    kstream_header_t *v;
    size_t cnt, i;

    m->headers = NULL;
    m->nheaders = 0;
    if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0; /* _NOENT: no headers */
    cnt = rd_kafka_header_cnt(hdrs);
    if (cnt == 0)
        return 0;
    v = malloc(cnt * sizeof(*v));
    if (!v)
        return -1;
    for (i = 0; i < cnt; i++) {
        const void *val;
        size_t size;
        rd_kafka_header_get_all(hdrs, i, &v[i].name, &val, &size);
        v[i].value = val;
        v[i].len = size;
    }
    m->headers = v;
    m->nheaders = cnt;
    return 0;
}

/* Fill m with pointers borrowed from rkm (valid until release()). */
static int kc_msg_fill(ks_msg_t *m, rd_kafka_message_t *rkm) {
    m->topic = rd_kafka_topic_name(rkm->rkt);
    m->partition = rkm->partition;
    m->offset = rkm->offset;
    m->timestamp = rd_kafka_message_timestamp(rkm, NULL);
    m->key = rkm->key;
    m->key_len = rkm->key_len;
    m->value = rkm->payload;
    m->value_len = rkm->len;
    m->handle = rkm;
    return kc_msg_headers(m, rkm);
}

/* A consumer error delivered as a message: logged and skipped (librdkafka
 * retries on its own), except a fatal one, which stops the client. */
static void kc_consume_error(ks_kafka_client_t *c,
                             const rd_kafka_message_t *rkm) {
    const char *topic = rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : NULL;
    char fatal[256];

    if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(c->consumer, fatal, sizeof(fatal));
        ks_kafka_set_fatal(c, rd_kafka_name(c->consumer), fatal);
    }
    ks_log(&c->opaque.log,
           rkm->err == RD_KAFKA_RESP_ERR__FATAL ? KS_LOG_ERR : KS_LOG_WARNING,
           "CONSUMER", "%s: %s [%d]: %s", rd_kafka_name(c->consumer),
           topic ? topic : "-", (int)rkm->partition,
           rd_kafka_message_errstr(rkm));
}

void ks_kafka_release(ks_client_t *base, ks_msg_t *msgs, size_t n) {
    size_t i;

    (void)base;
    if (!msgs)
        return;
    for (i = 0; i < n; i++) {
        if (msgs[i].nheaders)
            free((void *)msgs[i].headers);
        rd_kafka_message_destroy(msgs[i].handle);
        msgs[i].handle = NULL;
        msgs[i].headers = NULL;
        msgs[i].nheaders = 0;
    }
}

/* Wait up to timeout_ms for the first message, then take what is already
 * fetched without waiting. rd_kafka_consumer_poll() serves the rebalance
 * callback and the consumer's errors on the way. Not
 * rd_kafka_consume_batch_queue(), although it is about twice as fast on
 * the mock: before librdkafka 2.1.0 it can skip offsets of a partition
 * that is paused and resumed (librdkafka PR #4235), which the runtime
 * does for backpressure, and it waits the whole timeout for a full
 * batch. */
static kstream_err_t kc_poll_consumer(ks_kafka_client_t *c, ks_msg_t *msgs,
                                      size_t max, size_t *n, int timeout_ms) {
    size_t k = 0;
    int wait = timeout_ms;

    /* After a full queue the first look does not wait: an empty queue
     * then wakes the fetchers before the wait, not after it. */
    bool look_first = ks_kafka_fetch_before_poll(c) && timeout_ms > 0;
    if (look_first)
        wait = 0;
    while (k < max && !c->fatal) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->consumer, wait);
        if (!rkm && look_first) {
            ks_kafka_fetch_drained(c);
            look_first = false;
            wait = timeout_ms; /* then wait, as asked */
            continue;
        }
        look_first = false;
        wait = 0;
        if (!rkm) {
            ks_kafka_fetch_drained(c);
            break;
        }
        if (rkm->err) {
            kc_consume_error(c, rkm);
            rd_kafka_message_destroy(rkm);
            continue;
        }
        ks_kafka_fetch_taken(c, rkm);
        if (kc_msg_fill(&msgs[k], rkm)) {
            /* Nothing is handed out with an error: the caller would not
             * release it. */
            rd_kafka_message_destroy(rkm);
            ks_kafka_release(&c->base, msgs, k);
            return KSTREAM_ERR_NO_MEMORY;
        }
        k++;
    }
    *n = k;
    return KSTREAM_OK;
}

kstream_err_t ks_kafka_poll(ks_client_t *base, ks_msg_t *msgs, size_t max,
                            size_t *n, int timeout_ms) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    kstream_err_t err;

    if (!c || !n || (max && !msgs))
        return KSTREAM_ERR_INVALID_ARG;
    *n = 0;
    /* Delivery reports (written offsets, failures) on every poll. */
    if (c->producer)
        rd_kafka_poll(c->producer, 0);
    err = KSTREAM_OK;
    if (!c->fatal)
        err = kc_poll_consumer(c, msgs, max, n, timeout_ms);
    if (err || *n > 0 || !c->fatal)
        return err;
    ks_log(&c->opaque.log, KS_LOG_ERR, "CLIENT", "fatal Kafka error: %s",
           c->fatal_reason);
    return KSTREAM_ERR_KAFKA;
}

/* ---- pause, resume, seek ------------------------------------------------ */

/* A partition the consumer does not own is a state error, as in the sim. */
static kstream_err_t kc_tp_err(rd_kafka_resp_err_t err,
                               const rd_kafka_topic_partition_list_t *list) {
    if (!err)
        err = list->elems[0].err;
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
        err == RD_KAFKA_RESP_ERR__STATE)
        return KSTREAM_ERR_STATE;
    return ks_kafka_err(err);
}

static kstream_err_t kc_set_paused(ks_kafka_client_t *c, const ks_tp_t *tp,
                                   bool pause) {
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    kstream_err_t res;

    if (!c || !tp || !tp->topic)
        return KSTREAM_ERR_INVALID_ARG;
    list = ks_kafka_tp_list(tp->topic, tp->partition, RD_KAFKA_OFFSET_INVALID);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    /* Pausing also drops what was fetched but not yet polled: resume()
     * fetches again from the position. */
    err = pause ? rd_kafka_pause_partitions(c->consumer, list)
                : rd_kafka_resume_partitions(c->consumer, list);
    res = kc_tp_err(err, list);
    /* The paused partitions are kept for kc_unpause_assigned(), and left
     * alone by the fetchers' wake-ups (kafka_client_fetch.c). */
    if (res == KSTREAM_OK && !pause) {
        if (c->paused)
            rd_kafka_topic_partition_list_del(c->paused, tp->topic,
                                              tp->partition);
        ks_kafka_fetch_resumed(c, tp->topic, tp->partition);
    } else if (res == KSTREAM_OK &&
               !(c->paused && rd_kafka_topic_partition_list_find(
                                      c->paused, tp->topic, tp->partition))) {
        if (!c->paused)
            c->paused = rd_kafka_topic_partition_list_new(4);
        if (c->paused)
            rd_kafka_topic_partition_list_add(c->paused, tp->topic,
                                              tp->partition);
        else
            res = KSTREAM_ERR_NO_MEMORY;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return res;
}

kstream_err_t ks_kafka_pause(ks_client_t *base, const ks_tp_t *tp) {
    return kc_set_paused((ks_kafka_client_t *)base, tp, true);
}

kstream_err_t ks_kafka_resume(ks_client_t *base, const ks_tp_t *tp) {
    return kc_set_paused((ks_kafka_client_t *)base, tp, false);
}

kstream_err_t ks_kafka_seek(ks_client_t *base, const ks_tp_offset_t *tpo) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_error_t *error;
    kstream_err_t res;

    if (!c || !tpo || !tpo->topic || tpo->offset < 0)
        return KSTREAM_ERR_INVALID_ARG;
    list = ks_kafka_tp_list(tpo->topic, tpo->partition, tpo->offset);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    error = rd_kafka_seek_partitions(c->consumer, list, c->api_timeout_ms);
    if (!error && !list->elems[0].err)
        ks_kafka_fetch_sought(c, tpo->topic, tpo->partition, tpo->offset);
    if (error) {
        res = ks_kafka_err(rd_kafka_error_code(error));
        ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT", "seek %s [%d]: %s",
               tpo->topic, (int)tpo->partition, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else {
        res = kc_tp_err(RD_KAFKA_RESP_ERR_NO_ERROR, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return res;
}
