/* commit.c - the commit of a stream thread (Kafka Streams'
 * TaskManager.commit). at_least_once: flush the running tasks' caches and
 * stores, flush the producer (sink and changelog records acknowledged),
 * commit the consumed input offsets, then write the checkpoint files.
 * exactly_once_v2: flush the caches and stores into the open transaction,
 * send the consumed offsets to it, commit it, then commit the stores'
 * transactional layers at the changelog offsets they reach, then write
 * the checkpoint files. Restoring tasks take no part: they processed
 * nothing and their stores are incomplete. */
#include <stdlib.h>

#include "runtime/runtime.h"

/* No checkpoint is written at this commit: the files keep their older
 * offsets, from which a restore only replays more. */
static void checkpoints_skipped(ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++)
        ((ks_task_t *)th->tasks.items[t])->checkpoint_due = false;
}

/* Flush the running tasks' caches and stores (caches forward what they
 * write down, and log it to changelogs, before the producer is flushed).
 * The stores of tasks whose checkpoint is due start writing their
 * memtables to disk as each task is flushed, and are waited for once at
 * the end (store.h, KS_RDB_PERSIST_START). */
static kstream_err_t flush_tasks_windowed(ks_thread_t *th)
{
    /* Under exactly-once the flush only feeds the transaction: memtables
     * go to disk after the stores commit (commit_stores). */
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (task->restoring)
            continue;
        task->checkpoint_due = ks_task_checkpoint_needed(th, task);
        /* Memtables go to disk only for a checkpoint: in between, commits
         * stay cheap (with the WAL off, state since the last checkpoint is
         * rebuilt from the changelog after a crash). */
        ks_rocksdb_env_set_persist(th->rocks,
                                   task->checkpoint_due && !th->eos
                                           ? KS_RDB_PERSIST_START
                                           : KS_RDB_PERSIST_NONE);
        kstream_err_t ferr = ks_task_flush_stores(task);
        ks_rocksdb_env_set_persist(th->rocks, KS_RDB_PERSIST_WAIT);
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
    kstream_err_t werr = ks_rocksdb_env_persist_wait(th->rocks);
    if (werr) {
        checkpoints_skipped(th); /* their stores are not all on disk */
        return ks_handle_record_error(th, KS_ERRK_PROCESSING, NULL, werr,
                                      "store flush",
                                      "writing memtables to disk failed");
    }
    return KSTREAM_OK;
}

/* The caches' records all have to be acknowledged before the commit goes
 * on: the producer gets them at most KS_COMMIT_PRODUCE_WINDOW ahead of
 * its acknowledgements, as more queued would cost memory (librdkafka keeps
 * ~170 bytes a record besides its key and value) and not time. */
static kstream_err_t flush_tasks(ks_thread_t *th)
{
    void (*window)(ks_client_t *, size_t) = th->client->ops->produce_window;
    if (window)
        window(th->client, KS_COMMIT_PRODUCE_WINDOW);
    kstream_err_t err = flush_tasks_windowed(th);
    if (window)
        window(th->client, 0);
    return err;
}

/* The consumed offsets of running tasks not committed yet (restoring
 * ones consumed nothing): *offs (malloc'd) and *k. */
static kstream_err_t due_offsets(ks_thread_t *th, ks_tp_offset_t **offs,
                                 size_t *k)
{
    size_t n = 0;
    *k = 0;
    for (size_t t = 0; t < th->tasks.len; t++)
        n += ((ks_task_t *)th->tasks.items[t])->nqueues;
    *offs = calloc(n ? n : 1, sizeof(**offs));
    if (!*offs)
        return KSTREAM_ERR_NO_MEMORY;
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t q = 0; !task->restoring && q < task->nqueues; q++) {
            ks_rqueue_t *rq = task->queues[q];
            if (rq->consumed > rq->committed)
                (*offs)[(*k)++] = (ks_tp_offset_t){rq->topic, rq->partition,
                                                   rq->consumed};
        }
    }
    return KSTREAM_OK;
}

static void offsets_committed(ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t q = 0; !task->restoring && q < task->nqueues; q++)
            task->queues[q]->committed = task->queues[q]->consumed;
    }
}

/* Commit the consumed offsets of running tasks (at-least-once). */
static kstream_err_t commit_offsets(ks_thread_t *th)
{
    ks_tp_offset_t *offs;
    size_t k;
    kstream_err_t err = due_offsets(th, &offs, &k);
    if (!err && k)
        err = th->client->ops->commit(th->client, offs, k);
    if (!err && k)
        offsets_committed(th);
    free(offs);
    return err;
}

static void commit_timed(ks_thread_t *th, int64_t t0)
{
    th->m.commits++;
    int64_t ms = ks_clock_mono_ms() - t0;
    th->m.commit_ms_last = ms;
    th->m.commit_ms_total += ms;
    if (ms > th->m.commit_ms_max)
        th->m.commit_ms_max = ms;
}

/* After the transaction committed: each transactional layer applies its
 * buffer to its store with the changelog offset the state reaches (a
 * store without changelog: 0), then the stores of tasks whose checkpoint
 * is due are flushed to disk (the checkpoint must not be ahead of them).
 * A store that cannot apply a committed transaction fails the thread:
 * its local state would be behind its changelog with no record of it. */
static kstream_err_t commit_stores(ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (task->restoring)
            continue;
        for (size_t i = 0; i < task->nown_stores; i++) {
            ks_task_store_t *slot = &task->env.stores[i];
            if (!slot->txn)
                continue;
            ks_store_log_t *log = ks_task_log_of(task, i);
            int64_t off = log ? ks_log_committed_offset(th, task, log) : 0;
            kstream_err_t err = ks_txn_commit(slot->txn, off);
            if (err) {
                ks_thread_fail(th, err,
                               "task %d_%d: store '%s': applying the "
                               "committed transaction failed: %s",
                               task->sub->id, (int)task->partition,
                               slot->def->name, kstream_err2str(err));
                return err;
            }
        }
        if (task->checkpoint_due) {
            /* Written to disk in the background: the checkpoint is
             * deferred to the next commit (ks_thread_eos_commit). */
            ks_rocksdb_env_set_persist(th->rocks, KS_RDB_PERSIST_START);
            kstream_err_t err = ks_task_flush_stores(task);
            ks_rocksdb_env_set_persist(th->rocks, KS_RDB_PERSIST_WAIT);
            if (err) {
                ks_thread_fail(th, err,
                               "task %d_%d: writing its stores to disk "
                               "failed: %s",
                               task->sub->id, (int)task->partition,
                               kstream_err2str(err));
                return err;
            }
        }
    }
    if (!th->commit_final)
        return KSTREAM_OK;
    kstream_err_t err = ks_rocksdb_env_persist_wait(th->rocks);
    if (err) {
        ks_thread_fail(th, err,
                       "writing the stores of checkpointed tasks to disk "
                       "failed: %s",
                       kstream_err2str(err));
    }
    return err;
}

kstream_err_t ks_thread_eos_commit(ks_thread_t *th)
{
    int64_t t0 = ks_clock_mono_ms();
    /* The last commit's checkpoints: their memtables had an interval to
     * reach the disk (a wait there cost the stream thread 5% of its time
     * in the count benchmark, with nothing to overlap it). */
    ks_thread_checkpoint_deferred(th);
    kstream_err_t err = flush_tasks(th);
    ks_tp_offset_t *offs = NULL;
    size_t k = 0;
    if (!err)
        err = due_offsets(th, &offs, &k);
    /* Nothing produced and nothing consumed: no transaction to commit. */
    if (!err && !th->txn_open && k == 0) {
        free(offs);
        return KSTREAM_OK;
    }
    if (!err && !th->txn_open)
        err = ks_thread_txn_begin(th);
    if (!err && k)
        err = th->client->ops->txn_send_offsets(th->client, offs, k,
                                                (int)th->api_timeout_ms);
    if (!err)
        err = th->client->ops->txn_commit(th->client,
                                          (int)th->api_timeout_ms);
    free(offs);
    if (err)
        return ks_err_txn(err) ? ks_thread_eos_recover(th, err, !th->closing)
                               : err;
    th->txn_open = false;
    th->m.txn_commits++;
    offsets_committed(th);
    err = commit_stores(th);
    if (err)
        return err;
    /* The tasks whose checkpoint is due; a last commit writes it now. */
    ks_thread_checkpoint(th, !th->commit_final);
    commit_timed(th, t0);
    return KSTREAM_OK;
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
    ks_thread_fail(th, err,
                   "%s has failed for %lld ms (default.api.timeout.ms): "
                   "%s",
                   what, (long long)failing, kstream_err2str(err));
    return err;
}

kstream_err_t ks_thread_commit(ks_thread_t *th)
{
    if (!th->client)
        return KSTREAM_OK;
    ks_thread_lock(th);
    th->last_commit = th->now(th->now_opaque);
    if (th->eos) {
        kstream_err_t err = ks_thread_eos_commit(th);
        ks_thread_unlock(th);
        return err;
    }
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
        ks_thread_checkpoint(th, false); /* the tasks whose checkpoint is due */
        commit_timed(th, t0);
    }
    ks_thread_unlock(th);
    return err;
}
