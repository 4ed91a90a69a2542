/* task_checkpoint.c - writing a task's checkpoint file after a commit
 * (Kafka Streams' ProcessorStateManager.checkpoint()): the changelog
 * offsets its persistent stores reach, written once the stores are on
 * disk - at once, or under exactly-once at the next commit (commit.c).
 * Reading them back, and choosing where a restore starts, is restore.c's. */
#include "runtime/runtime.h"
#include "state/checkpoint.h"

/* Next offset to restore from: past what this thread wrote to the
 * changelog (acknowledged: the producer was flushed), else where the
 * store's restore ended. */
int64_t ks_log_committed_offset(ks_thread_t *th, ks_task_t *task,
                                ks_store_log_t *log)
{
    int64_t written = -1;
    ks_tp_t tp = {log->topic, task->partition};
    if (th->client && th->client->ops->written_offset &&
        th->client->ops->written_offset(th->client, &tp, &written) == 0 &&
        written + 1 > log->position)
        log->position = written + 1;
    return log->position;
}

/* deferred: the offsets noted when the checkpoint was deferred. */
static void checkpoint_task(ks_thread_t *th, ks_task_t *task, bool deferred)
{
    ks_checkpoint_t cp = {0};
    bool any = false, oom = false;
    for (size_t i = 0; i < task->nlogs && !oom; i++) {
        ks_store_log_t *log = &task->logs[i];
        if (!log->persistent)
            continue;
        any = true;
        log->ckpt_at = deferred ? log->ckpt_offset
                                : ks_log_committed_offset(th, task, log);
        oom = ks_checkpoint_set(&cp, log->topic, task->partition,
                                log->ckpt_at) != 0;
    }
    char path[1024], err[1200] = "";
    ks_task_dir(th, task, path, sizeof(path) - 16);
    strcat(path, "/" KS_CHECKPOINT_FILE);
    /* A failed write keeps the previous file: its offsets are older, and
     * restoring from an older offset only replays updates again. */
    if (any && (oom || ks_checkpoint_write(path, &cp, err, sizeof(err))))
        ks_log(&th->log, KS_LOG_WARNING, "CHECKPOINT", "task %d_%d: %s",
               task->sub->id, (int)task->partition,
               oom ? "out of memory writing the checkpoint" : err);
    ks_checkpoint_clear(&cp);
}

bool ks_task_checkpoint_needed(ks_thread_t *th, ks_task_t *task)
{
    if (th->commit_final || th->checkpoint_records == 0)
        return true;
    uint64_t delta = 0;
    bool logged = false;
    for (size_t i = 0; i < task->nlogs; i++) {
        ks_store_log_t *log = &task->logs[i];
        if (!log->persistent)
            continue;
        logged = true;
        int64_t at = ks_log_committed_offset(th, task, log);
        if (at > log->ckpt_at)
            delta += (uint64_t)(at - log->ckpt_at);
    }
    if (!logged)
        delta = task->processed - task->processed_at_checkpoint;
    return delta > th->checkpoint_records;
}

void ks_thread_checkpoint(ks_thread_t *th, bool defer)
{
    /* Local state may be ahead of the checkpoint, never behind it: the
     * stores were written to disk first (at-least-once: before the
     * commit; deferred: before the file is written). */
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (task->restoring || !task->checkpoint_due)
            continue;
        task->processed_at_checkpoint = task->processed;
        if (!defer) {
            checkpoint_task(th, task, false);
            task->checkpoint_deferred = false; /* superseded */
            continue;
        }
        for (size_t i = 0; i < task->nlogs; i++)
            if (task->logs[i].persistent)
                task->logs[i].ckpt_offset = task->logs[i].ckpt_at =
                        ks_log_committed_offset(th, task, &task->logs[i]);
        task->checkpoint_deferred = true;
    }
}

void ks_thread_checkpoint_deferred(ks_thread_t *th)
{
    bool any = false;
    for (size_t t = 0; t < th->tasks.len && !any; t++)
        any = ((ks_task_t *)th->tasks.items[t])->checkpoint_deferred;
    if (!any)
        return;
    kstream_err_t err = ks_rocksdb_env_persist_wait(th->rocks);
    if (err)
        ks_log(&th->log, KS_LOG_WARNING, "CHECKPOINT",
               "writing stores to disk failed (%s): checkpoints keep their "
               "older offsets",
               kstream_err2str(err));
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (!task->checkpoint_deferred)
            continue;
        task->checkpoint_deferred = false;
        if (!err)
            checkpoint_task(th, task, true);
    }
}
