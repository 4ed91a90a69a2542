/* idle.c - stream time that moves without records: the nodes' "stream
 * time advanced" hooks (ks_proc_class.advance, which suppression uses to
 * emit what became due), and the idle advance of window.idle.close.ms.
 *
 * Kafka Streams has no idle advance: its stream time follows records
 * only, so the last windows of a quiet input never close. Here a task
 * that has processed no record for window.idle.close.ms of wall-clock
 * time (and has none buffered) moves its stream time with the wall
 * clock: to the stream time after its last record plus the wall-clock
 * time elapsed since that record. It is computed from that base each
 * time, so repeated calls do not compound, and it only moves forward. A
 * record that comes later keeps the advanced stream time (it is the
 * maximum), so records for windows closed meanwhile are late.
 *
 * Before its first idle advance after a record, the task's stores are
 * flushed (as on commit): updates held by caches reach downstream first,
 * so that suppression emits the latest value of each window. While the
 * hooks run, env.idle_advance tells nodes the caches are clean. */
#include <stdlib.h>

#include "runtime/runtime.h"

int ks_task_find_advancers(ks_task_t *task)
{
    size_t n = 0;
    for (size_t i = 0; i < task->nctxs; i++)
        if (task->ctxs[i].node->cls->advance)
            n++;
    if (n == 0)
        return 0;
    task->advancers = calloc(n, sizeof(*task->advancers));
    if (!task->advancers)
        return -1;
    for (size_t i = 0; i < task->nctxs; i++)
        if (task->ctxs[i].node->cls->advance)
            task->advancers[task->nadvancers++] = &task->ctxs[i];
    return 0;
}

kstream_err_t ks_task_advance_nodes(ks_task_t *task)
{
    ks_task_env_t *env = &task->env;
    int64_t t = env->stream_time;
    if (task->nadvancers == 0 || t <= task->advanced)
        return KSTREAM_OK;
    task->advanced = t;
    for (size_t i = 0; i < task->nadvancers; i++) {
        kstream_ctx_t *ctx = task->advancers[i];
        kstream_err_t err = ctx->node->cls->advance(ctx, t);
        ks_arena_reset(env->arena);
        if (err) {
            if (!env->fail_node)
                ks_fail(ctx, KS_FAIL_PROCESSING, err, "advancing stream "
                                                      "time failed");
            return err;
        }
    }
    return KSTREAM_OK;
}

/* A failure outside a record: the processing handler decides. */
static kstream_err_t handle(ks_thread_t *th, ks_task_t *task,
                            kstream_err_t err, const char *what)
{
    return ks_handle_record_error(th, KS_ERRK_PROCESSING, NULL, err,
                                  task->env.fail_node
                                          ? task->env.fail_node->name
                                          : what,
                                  task->env.fail_detail);
}

static kstream_err_t idle_advance(ks_thread_t *th, ks_task_t *task,
                                  int64_t now)
{
    ks_task_env_t *env = &task->env;
    if (env->stream_time < 0 || task->input_time < 0 || task->buffered)
        return KSTREAM_OK;
    int64_t idle = now - task->input_wall;
    if (idle < th->idle_close_ms || idle <= 0)
        return KSTREAM_OK;
    int64_t t = task->input_time > INT64_MAX - idle ? INT64_MAX
                                                      : task->input_time + idle;
    if (t <= env->stream_time)
        return KSTREAM_OK;
    kstream_err_t err;
    env->fail_node = NULL;
    if (!task->idle_flushed) {
        err = ks_task_flush_stores(task);
        ks_arena_reset(env->arena);
        if (err)
            return handle(th, task, err, "store flush");
        task->idle_flushed = true;
    }
    ks_log(&th->log, KS_LOG_DEBUG, "IDLE",
           "task %d_%d idle for %lld ms: stream time %lld -> %lld",
           task->sub->id, (int)task->partition, (long long)idle,
           (long long)env->stream_time, (long long)t);
    env->stream_time = t;
    env->wall_clock = now;
    env->fail_node = NULL;
    err = ks_punct_fire(env, KSTREAM_PUNCTUATE_STREAM_TIME, t);
    if (!err) {
        env->idle_advance = true;
        err = ks_task_advance_nodes(task);
        env->idle_advance = false;
    }
    if (err)
        return handle(th, task, err, "idle advance");
    return KSTREAM_OK;
}

kstream_err_t ks_thread_idle_advance(ks_thread_t *th)
{
    if (th->idle_close_ms < 0)
        return KSTREAM_OK;
    int64_t now = th->now(th->now_opaque);
    for (size_t i = 0; i < th->tasks.len; i++) {
        kstream_err_t err = idle_advance(th, th->tasks.items[i], now);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}
