/* input.c - a stream thread's input: the records a poll gave, into the
 * queues of their tasks' partitions (Kafka Streams' PartitionGroup and
 * RecordQueue), and backpressure.
 *
 * A partition whose queue holds buffered.records.per.partition records or
 * more once a poll's records are queued is paused, and resumed once
 * processing has taken its queue down to half of that, which leaves it
 * records to process while its next fetch is on its way. What the client
 * fetches ahead is bounded by the client itself (the consumer's queue
 * limits, kafka_conf.c), and resuming a partition wakes its fetcher
 * (kafka_client_fetch.c). */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

/* The queues of a topic by partition, or NULL. Consecutive records mostly
 * come from one topic: the last one found is cached. */
static ks_vec_t *route_of(ks_thread_t *th, const char *topic)
{
    if (th->route_vec && strcmp(th->route_topic, topic) == 0)
        return th->route_vec;
    ks_vec_t *v = ks_map_get(th->routes, topic);
    size_t len = strlen(topic);
    if (v && len < sizeof(th->route_topic)) {
        memcpy(th->route_topic, topic, len + 1);
        th->route_vec = v;
    }
    return v;
}

const ks_rqueue_t *ks_thread_hint_queue(ks_thread_t *th, const char *topic,
                                        int32_t partition)
{
    ks_vec_t *v = route_of(th, topic);
    ks_rqueue_t *q = v && partition >= 0 && (size_t)partition < v->len
                             ? v->items[partition]
                             : NULL;
    return q && q->nhints ? q : NULL;
}

static kstream_err_t enqueue(ks_thread_t *th, const ks_msg_t *msg)
{
    ks_vec_t *v = route_of(th, msg->topic);
    ks_rqueue_t *q = v && (size_t)msg->partition < v->len
                             ? v->items[msg->partition]
                             : NULL;
    if (!q) { /* no longer ours (revoked meanwhile) */
        th->client->ops->release(th->client, (ks_msg_t *)msg, 1);
        return KSTREAM_OK;
    }
    /* Timestamp extraction happens as records enter the queue. */
    kstream_record_t rec;
    ks_record_from_msg(&rec, msg);
    int64_t ts = 0;
    kstream_err_t err = ks_source_timestamp(q->source, &rec, q->partition_time,
                                            &ts);
    if (err) {
        err = ks_handle_record_error(th, KS_ERRK_DESERIALIZATION, msg, err,
                                     q->source->name,
                                     "the timestamp extractor gave a "
                                     "negative timestamp or failed");
        q->consumed = msg->offset + 1;
        th->client->ops->release(th->client, (ks_msg_t *)msg, 1);
        return err;
    }
    if (ts > q->partition_time)
        q->partition_time = ts;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64; /* a power of two */
        ks_qitem_t *items = malloc(cap * sizeof(*items));
        if (!items) {
            th->client->ops->release(th->client, (ks_msg_t *)msg, 1);
            return KSTREAM_ERR_NO_MEMORY;
        }
        for (size_t i = 0; i < q->n; i++)
            items[i] = q->items[(q->head + i) % (q->cap ? q->cap : 1)];
        free(q->items);
        q->items = items;
        q->head = 0;
        q->cap = cap;
    }
    q->items[(q->head + q->n) & (q->cap - 1)] = (ks_qitem_t){*msg, ts};
    q->n++;
    q->task->buffered++;
    return KSTREAM_OK;
}


/* enqueue() gives back the record it fails on; the rest are given back
 * here. */
kstream_err_t ks_thread_enqueue(ks_thread_t *th, ks_msg_t *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kstream_err_t err = enqueue(th, &msgs[i]);
        if (err) {
            th->client->ops->release(th->client, msgs + i + 1, n - i - 1);
            return err;
        }
    }
    return KSTREAM_OK;
}

void ks_thread_pause_full(ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t i = 0; i < task->nqueues; i++) {
            ks_rqueue_t *q = task->queues[i];
            if (q->paused || q->n < th->max_buffered)
                continue;
            ks_tp_t tp = {q->topic, q->partition};
            if (th->client->ops->pause(th->client, &tp) == KSTREAM_OK)
                q->paused = true;
        }
    }
}

void ks_thread_resume_drained(ks_thread_t *th, ks_rqueue_t *q)
{
    ks_tp_t tp = {q->topic, q->partition};
    if (th->client->ops->resume(th->client, &tp) == KSTREAM_OK)
        q->paused = false;
}
