/* kafka_client_fetch.c - keeping a librdkafka consumer's fetchers going
 * while its prefetch is bounded.
 *
 * librdkafka fetches ahead into the consumer's queue until the queue holds
 * queued.min.messages messages or queued.max.messages.kbytes of them (both
 * count the whole queue when, as here, every partition is forwarded to
 * it). Past either limit a broker thread stops fetching, and in 2.0.2
 * (Debian 12's) it looks again only when something wakes it - a response,
 * an op for it - or a second later: fetch.queue.backoff.ms, which makes
 * that wait shorter, came in 2.1.0. A stream thread that empties a full
 * queue faster than that would wait out the rest of the second, which is
 * why the limits were once set so high that the whole input could be held
 * in memory.
 *
 * A seek wakes the broker thread of its partition (rd_kafka_toppar_seek
 * sends it an op). So a poll that may have followed a full queue notes
 * that the fetchers may have stopped, and when a later poll finds the
 * queue empty, every assigned partition that is not paused is sought to
 * its position: where its fetch goes on anyway; with the queue empty,
 * the seek drops nothing that was handed out or is still to be. At worst
 * it drops a response that was on its way, which is fetched again.
 * "May have": a broker thread decides on what it sees, and a poll can take
 * the queue back under the limit before the next poll looks, so the note
 * is taken when the queue plus what the last poll took reach the limit.
 *
 * The positions are the client's own: the offset after the last record
 * handed out, else where an assign, a seek or the committed offset put
 * the partition. librdkafka's rd_kafka_position() forgets a partition's
 * position at every seek until its next record is handed out, and knows
 * none before the first one. A partition with nothing committed starts
 * from auto.offset.reset: with earliest (kstream's default) that is
 * where a seek to the beginning takes it again while nothing is handed
 * out; with latest it is not (records written meanwhile would be
 * skipped), so such a partition is not sought before its first record.
 *
 * A resume seeks the same way: librdkafka serves pause and resume on its
 * main thread, so a broker thread whose partitions were all paused sleeps
 * through a resume too. */
#include <stdlib.h>
#include <string.h>

#include "runtime/kafka_client_int.h"

#define KC_POS_UNKNOWN INT64_MIN

static int64_t kc_conf_i64(rd_kafka_t *rk, const char *name, int64_t dflt) {
    char buf[32];
    size_t size = sizeof(buf);
    char *end;
    long long v;

    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &size) !=
        RD_KAFKA_CONF_OK)
        return dflt;
    v = strtoll(buf, &end, 10);
    return end == buf || v <= 0 ? dflt : (int64_t)v;
}

/* auto.offset.reset: the start of a partition with nothing committed, if
 * seeking there again before its first record is handed out is exact. */
static int64_t kc_reset_start(rd_kafka_t *rk) {
    char buf[32];
    size_t size = sizeof(buf);

    /* (A topic property: rd_kafka_conf_get() reads the default topic
     * configuration, where setting it on the global one put it.) */
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "auto.offset.reset", buf,
                          &size) != RD_KAFKA_CONF_OK)
        return KC_POS_UNKNOWN;
    return !strcmp(buf, "smallest") || !strcmp(buf, "earliest") ||
                           !strcmp(buf, "beginning")
                   ? RD_KAFKA_OFFSET_BEGINNING
                   : KC_POS_UNKNOWN;
}

kstream_err_t ks_kafka_fetch_init(ks_kafka_client_t *c) {
    c->fetch.queue = rd_kafka_queue_get_consumer(c->consumer);
    if (!c->fetch.queue)
        return KSTREAM_ERR_NO_MEMORY;
    c->fetch.max_msgs =
            (size_t)kc_conf_i64(c->consumer, "queued.min.messages", 100000);
    c->fetch.max_bytes =
            (uint64_t)kc_conf_i64(c->consumer, "queued.max.messages.kbytes",
                                  65536) *
            1024;
    c->fetch.reset_start = kc_reset_start(c->consumer);
    return KSTREAM_OK;
}

void ks_kafka_fetch_free(ks_kafka_client_t *c) {
    if (c->fetch.queue)
        rd_kafka_queue_destroy(c->fetch.queue);
    c->fetch.queue = NULL;
    for (size_t i = 0; i < c->fetch.npos; i++)
        free(c->fetch.pos[i].topic);
    free(c->fetch.pos);
    c->fetch.pos = NULL;
    c->fetch.npos = c->fetch.cap = 0;
}

/* ---- positions ----------------------------------------------------------- */

/* The entry of topic [partition] (rkt: the handle its messages carry, or
 * NULL), made when create; NULL if absent or out of memory. */
static ks_kafka_pos_t *kc_pos(ks_kafka_client_t *c, const char *topic,
                              const rd_kafka_topic_t *rkt, int32_t partition,
                              bool create) {
    ks_kafka_pos_t *p;
    size_t i;

    for (i = 0; i < c->fetch.npos; i++) {
        p = &c->fetch.pos[i];
        if (p->partition != partition)
            continue;
        if (rkt && p->rkt == rkt)
            return p;
        if (!strcmp(p->topic, topic)) {
            if (rkt)
                p->rkt = rkt;
            return p;
        }
    }
    if (!create)
        return NULL;
    if (c->fetch.npos == c->fetch.cap) {
        size_t cap = c->fetch.cap ? c->fetch.cap * 2 : 16;
        p = realloc(c->fetch.pos, cap * sizeof(*p));
        if (!p)
            return NULL;
        c->fetch.pos = p;
        c->fetch.cap = cap;
    }
    p = &c->fetch.pos[c->fetch.npos];
    if (!(p->topic = strdup(topic)))
        return NULL;
    c->fetch.npos++;
    p->rkt = rkt;
    p->partition = partition;
    p->next = KC_POS_UNKNOWN;
    p->assigned = false;
    return p;
}

void ks_kafka_fetch_assigned(ks_kafka_client_t *c,
                             const rd_kafka_topic_partition_list_t *parts,
                             bool assigned) {
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        ks_kafka_pos_t *p =
                kc_pos(c, tp->topic, NULL, tp->partition, assigned);
        if (!p)
            continue; /* out of memory: that partition is not woken */
        p->assigned = assigned;
        /* An explicit offset, or unknown until committed() tells. */
        p->next = assigned && tp->offset >= 0 ? tp->offset
                  : assigned && tp->offset == RD_KAFKA_OFFSET_BEGINNING
                          ? RD_KAFKA_OFFSET_BEGINNING
                          : KC_POS_UNKNOWN;
    }
}

void ks_kafka_fetch_unassign_all(ks_kafka_client_t *c) {
    for (size_t i = 0; i < c->fetch.npos; i++) {
        c->fetch.pos[i].assigned = false;
        c->fetch.pos[i].next = KC_POS_UNKNOWN;
    }
}

void ks_kafka_fetch_sought(ks_kafka_client_t *c, const char *topic,
                           int32_t partition, int64_t offset) {
    ks_kafka_pos_t *p = kc_pos(c, topic, NULL, partition, false);
    if (p)
        p->next = offset;
}

void ks_kafka_fetch_committed(ks_kafka_client_t *c, const char *topic,
                              int32_t partition, int64_t offset) {
    ks_kafka_pos_t *p = kc_pos(c, topic, NULL, partition, false);
    if (p && p->assigned && p->next == KC_POS_UNKNOWN)
        p->next = offset >= 0 ? offset : c->fetch.reset_start;
}

/* ---- polls --------------------------------------------------------------- */

bool ks_kafka_fetch_before_poll(ks_kafka_client_t *c) {
    if (c->fetch.queue && rd_kafka_queue_length(c->fetch.queue) +
                                          c->fetch.last_taken >=
                                  c->fetch.max_msgs)
        c->fetch.full = true;
    c->fetch.last_taken = 0;
    return c->fetch.full;
}

void ks_kafka_fetch_taken(ks_kafka_client_t *c, const rd_kafka_message_t *m) {
    ks_kafka_pos_t *p = c->fetch.hit < c->fetch.npos
                                ? &c->fetch.pos[c->fetch.hit]
                                : NULL;

    c->fetch.last_taken++;
    /* librdkafka counts the bytes of the queued records: a drain that
     * took as many may have begun at the limit. */
    c->fetch.bytes += m->len + m->key_len;
    if (c->fetch.bytes >= c->fetch.max_bytes)
        c->fetch.full = true;
    /* Records come in runs of one partition: the last entry first. */
    if (!p || p->rkt != m->rkt || p->partition != m->partition) {
        p = kc_pos(c, rd_kafka_topic_name(m->rkt), m->rkt, m->partition,
                   true);
        if (!p)
            return;
        c->fetch.hit = (size_t)(p - c->fetch.pos);
    }
    p->next = m->offset + 1;
}

/* Seek the assigned, unpaused partitions with a known position that
 * match (topic, partition) - every one with topic NULL. */
static void kc_fetch_wake(ks_kafka_client_t *c, const char *topic,
                          int32_t partition) {
    rd_kafka_topic_partition_list_t *seek;
    rd_kafka_error_t *error;

    seek = rd_kafka_topic_partition_list_new(topic ? 1 : (int)c->fetch.npos);
    if (!seek)
        return; /* the fetchers look again within a second */
    for (size_t i = 0; i < c->fetch.npos; i++) {
        const ks_kafka_pos_t *p = &c->fetch.pos[i];
        if (!p->assigned || p->next == KC_POS_UNKNOWN ||
            (topic && (p->partition != partition || strcmp(p->topic, topic))))
            continue;
        /* A paused partition is not fetched: its wake-up is its
         * resume. */
        if (c->paused && rd_kafka_topic_partition_list_find(
                                 c->paused, p->topic, p->partition))
            continue;
        rd_kafka_topic_partition_list_add(seek, p->topic, p->partition)
                ->offset = p->next;
    }
    if (seek->cnt > 0) {
        /* A timeout of 0: the seeks are only sent, not waited for. */
        error = rd_kafka_seek_partitions(c->consumer, seek, 0);
        if (error)
            rd_kafka_error_destroy(error);
        c->fetch.wakes++;
    }
    rd_kafka_topic_partition_list_destroy(seek);
}

void ks_kafka_fetch_drained(ks_kafka_client_t *c) {
    if (c->fetch.full)
        kc_fetch_wake(c, NULL, 0);
    c->fetch.full = false;
    c->fetch.bytes = 0;
}

void ks_kafka_fetch_resumed(ks_kafka_client_t *c, const char *topic,
                            int32_t partition) {
    kc_fetch_wake(c, topic, partition);
}
