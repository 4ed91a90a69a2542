/* commit.c - the at-least-once commit of a stream thread (Kafka Streams'
 * TaskManager.commit): flush the running tasks' caches and stores, flush
 * the producer (sink and changelog records acknowledged), commit the
 * consumed input offsets, then write the checkpoint files. Restoring tasks
 * take no part: they processed nothing and their stores are incomplete. */
#include <stdlib.h>

#include "runtime/runtime.h"

/* Flush the running tasks' caches and stores (caches forward what they
 * write down, and log it to changelogs, before the producer is flushed). */
static kstream_err_t flush_tasks(ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (task->restoring)
            continue;
        task->checkpoint_due = th->commit_final ||
                               task->processed -
                                               task->processed_at_checkpoint >=
                                       th->checkpoint_records;
        /* Memtables go to disk only for a checkpoint: in between, commits
         * stay cheap (with the WAL off, state since the last checkpoint is
         * rebuilt from the changelog after a crash). */
        ks_rocksdb_env_set_durable(th->rocks, task->checkpoint_due);
        kstream_err_t ferr = ks_task_flush_stores(task);
        ks_rocksdb_env_set_durable(th->rocks, true);
        ks_arena_reset(task->env.arena);
        if (ferr) {
            ferr = ks_handle_record_error(
                    th, KS_ERRK_PROCESSING, NULL, ferr,
                    task->env.fail_node ? task->env.fail_node->name
                                        : "store flush",
                    task->env.fail_detail);
            if (ferr)
                return ferr;
        }
    }
    return KSTREAM_OK;
}

/* Commit the consumed offsets of running tasks (restoring ones consumed
 * nothing). */
static kstream_err_t commit_offsets(ks_thread_t *th)
{
    size_t n = 0, k = 0;
    for (size_t t = 0; t < th->tasks.len; t++)
        n += ((ks_task_t *)th->tasks.items[t])->nqueues;
    ks_tp_offset_t *offs = calloc(n ? n : 1, sizeof(*offs));
    if (!offs)
        return KSTREAM_ERR_NO_MEMORY;
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t q = 0; !task->restoring && q < task->nqueues; q++) {
            ks_rqueue_t *rq = task->queues[q];
            if (rq->consumed > rq->committed)
                offs[k++] = (ks_tp_offset_t){rq->topic, rq->partition,
                                             rq->consumed};
        }
    }
    kstream_err_t err = k ? th->client->ops->commit(th->client, offs, k)
                          : KSTREAM_OK;
    if (!err && k) {
        for (size_t t = 0; t < th->tasks.len; t++) {
            ks_task_t *task = th->tasks.items[t];
            for (size_t q = 0; !task->restoring && q < task->nqueues; q++)
                task->queues[q]->committed = task->queues[q]->consumed;
        }
    }
    free(offs);
    return err;
}

/* The producer flush or the offset commit failed: the offsets stay where
 * they are, so the records since the last commit are processed again
 * after a failure (at-least-once), and the next interval tries again. A
 * commit refused during a rebalance, a leader moving or a broker down
 * heals by itself; only failures that last longer than
 * default.api.timeout.ms stop the thread. */
static kstream_err_t commit_failed(ks_thread_t *th, kstream_err_t err,
                                   const char *what)
{
    int64_t now = th->now(th->now_opaque);
    if (th->commit_failing_since < 0)
        th->commit_failing_since = now;
    int64_t failing = now - th->commit_failing_since;
    if (failing < th->api_timeout_ms) {
        ks_log(&th->log, KS_LOG_WARNING, "COMMIT",
               "%s failed (%s); offsets stay uncommitted, retrying at the "
               "next commit",
               what, kstream_err2str(err));
        return KSTREAM_OK;
    }
    th->failed = true;
    th->error_code = err;
    snprintf(th->error, sizeof(th->error),
             "%s has failed for %lld ms (default.api.timeout.ms): %s", what,
             (long long)failing, kstream_err2str(err));
    return err;
}

kstream_err_t ks_thread_commit(ks_thread_t *th)
{
    if (!th->client)
        return KSTREAM_OK;
    ks_thread_lock(th);
    th->last_commit = th->now(th->now_opaque);
    int64_t t0 = ks_clock_mono_ms();
    kstream_err_t err = flush_tasks(th);
    if (err) {
        ks_thread_unlock(th);
        return err;
    }
    err = th->client->ops->flush(th->client, 30000);
    /* A delivery report during the flush may have failed the thread: then
     * the offsets must not move past the lost record. */
    if (th->failed) {
        ks_thread_unlock(th);
        return th->error_code;
    }
    if (err) {
        err = commit_failed(th, err, "flushing the producer");
    } else if ((err = commit_offsets(th)) != KSTREAM_OK) {
        err = commit_failed(th, err, "committing offsets");
    } else {
        th->commit_failing_since = -1;
        th->m.commits++;
        ks_thread_checkpoint(th); /* the tasks whose checkpoint is due */
        int64_t ms = ks_clock_mono_ms() - t0;
        th->m.commit_ms_last = ms;
        th->m.commit_ms_total += ms;
        if (ms > th->m.commit_ms_max)
            th->m.commit_ms_max = ms;
    }
    ks_thread_unlock(th);
    return err;
}
