/* assign.c - the tasks of a stream thread as its assignment changes
 * (Kafka Streams' TaskManager.handleAssignment / handleRevocation): tasks
 * made for assigned partitions, committed and closed on revocation, and,
 * under exactly_once_v2, closed dirty and made again after an aborted
 * transaction (ks_thread_revive_tasks). */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static ks_task_t *find_task(ks_thread_t *th, int sub, int32_t partition)
{
    for (size_t i = 0; i < th->tasks.len; i++) {
        ks_task_t *t = th->tasks.items[i];
        if (t->sub->id == sub && t->partition == partition)
            return t;
    }
    return NULL;
}

static int set_route(ks_thread_t *th, const char *topic, int32_t partition,
                     ks_rqueue_t *q)
{
    ks_vec_t *v = ks_map_get(th->routes, topic);
    if (!v) {
        v = calloc(1, sizeof(*v));
        if (!v || ks_map_put(th->routes, topic, v)) {
            free(v);
            return -1;
        }
    }
    while (v->len <= (size_t)partition)
        if (ks_vec_push(v, NULL))
            return -1;
    v->items[partition] = q;
    return 0;
}

void ks_thread_assign(ks_thread_t *th, const ks_tp_t *tps, size_t n)
{
    for (size_t i = 0; i < n && !th->failed; i++) {
        const ks_node_t *src = ks_map_get(th->sources, tps[i].topic);
        if (!src)
            continue;
        ks_task_t *task = find_task(th, src->subtopology, tps[i].partition);
        kstream_err_t err = KSTREAM_OK;
        if (!task) {
            task = ks_task_new(&th->topo->subs[src->subtopology],
                               tps[i].partition, th, &err);
            if (task && ks_vec_push(&th->tasks, task)) {
                ks_task_free(task);
                task = NULL;
                err = KSTREAM_ERR_NO_MEMORY;
            }
        }
        ks_rqueue_t *q = task ? ks_task_add_queue(task, tps[i].topic,
                                                  tps[i].partition, src)
                              : NULL;
        if (!q || set_route(th, tps[i].topic, tps[i].partition, q)) {
            if (!err)
                err = KSTREAM_ERR_NO_MEMORY;
            ks_thread_fail(th, err,
                           "could not create task %d_%d for %s [%d]: %s",
                           src->subtopology, (int)tps[i].partition,
                           tps[i].topic, (int)tps[i].partition,
                           kstream_err2str(err));
            return;
        }
        int64_t committed = -1;
        th->client->ops->committed(th->client, &tps[i], &committed);
        q->committed = committed;
        q->consumed = committed;
        ks_log(&th->log, KS_LOG_DEBUG, "ASSIGN", "%s [%d] -> task %d_%d",
               tps[i].topic, (int)tps[i].partition, src->subtopology,
               (int)tps[i].partition);
    }
}

void ks_thread_assigned_cb(void *owner, const ks_tp_t *tps, size_t n)
{
    ks_thread_t *th = owner;
    ks_thread_lock(th);
    th->assigned_once = true;
    ks_thread_assign(th, tps, n);
    ks_thread_unlock(th);
}

void ks_thread_close_task(ks_thread_t *th, size_t idx)
{
    ks_task_t *task = th->tasks.items[idx];
    for (size_t q = 0; q < task->nqueues; q++) {
        ks_rqueue_t *rq = task->queues[q];
        set_route(th, rq->topic, rq->partition, NULL);
        /* Give back what was buffered but not processed. */
        while (rq->n) {
            th->client->ops->release(th->client, &rq->items[rq->head].msg, 1);
            rq->head = (rq->head + 1) % rq->cap;
            rq->n--;
        }
    }
    th->m.punctuations += task->env.punctuations;
    for (int c = 0; c < KS_CNT__COUNT; c++)
        th->counters[c] += task->env.counters[c];
    ks_task_restore_end(task, th);
    ks_task_free(task);
    th->tasks.items[idx] = th->tasks.items[--th->tasks.len];
}

void ks_thread_revoked_cb(void *owner, const ks_tp_t *tps, size_t n)
{
    ks_thread_t *th = owner;
    ks_thread_lock(th);
    th->commit_final = true;
    ks_thread_commit(th);
    th->commit_final = false;
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < th->tasks.len; t++) {
            ks_task_t *task = th->tasks.items[t];
            bool hit = false;
            for (size_t q = 0; q < task->nqueues; q++)
                if (task->queues[q]->partition == tps[i].partition &&
                    strcmp(task->queues[q]->topic, tps[i].topic) == 0)
                    hit = true;
            if (hit) {
                ks_thread_close_task(th, t);
                break;
            }
        }
    }
    ks_thread_unlock(th);
}

/* Close every task dirty (nothing flushed: caches and the transactional
 * layers drop what the aborted transaction wrote; RocksDB keeps the last
 * committed state) and, when `again`, make them anew: their stores restore
 * what is missing from their changelogs (read committed), their input
 * starts again at the group's committed offsets. */
kstream_err_t ks_thread_revive_tasks(ks_thread_t *th, bool again)
{
    size_t n = 0, k = 0;
    for (size_t t = 0; t < th->tasks.len; t++)
        n += ((ks_task_t *)th->tasks.items[t])->nqueues;
    ks_tp_t *tps = calloc(n ? n : 1, sizeof(*tps));
    char **names = calloc(n ? n : 1, sizeof(char *));
    if (!tps || !names) {
        free(tps);
        free(names);
        return KSTREAM_ERR_NO_MEMORY;
    }
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t q = 0; q < task->nqueues; q++) {
            names[k] = ks_strdup(task->queues[q]->topic);
            tps[k] = (ks_tp_t){names[k], task->queues[q]->partition};
            k++;
        }
    }
    th->closing_dirty = true;
    while (th->tasks.len)
        ks_thread_close_task(th, th->tasks.len - 1);
    th->closing_dirty = false;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < k && !err; i++)
        if (!names[i])
            err = KSTREAM_ERR_NO_MEMORY;
    if (!err && again) {
        ks_thread_assign(th, tps, k);
        if (th->failed)
            err = th->error_code;
        for (size_t t = 0; t < th->tasks.len && !err; t++) {
            ks_task_t *task = th->tasks.items[t];
            for (size_t q = 0; q < task->nqueues; q++) {
                ks_rqueue_t *rq = task->queues[q];
                ks_tp_offset_t to = {rq->topic, rq->partition,
                                     rq->committed >= 0 ? rq->committed : 0};
                ks_tp_t tp = {rq->topic, rq->partition};
                /* A partition paused for backpressure stays paused in
                 * the client: the new queue starts empty. */
                th->client->ops->resume(th->client, &tp);
                err = th->client->ops->seek(th->client, &to);
                if (err) {
                    /* Reading on from where the client is would skip the
                     * aborted records: stop instead. */
                    ks_thread_fail(th, err,
                                   "rewinding %s [%d] to its committed "
                                   "offset %lld after an aborted "
                                   "transaction failed: %s",
                                   rq->topic, (int)rq->partition,
                                   (long long)to.offset, kstream_err2str(err));
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < k; i++)
        free(names[i]);
    free(names);
    free(tps);
    return err;
}
