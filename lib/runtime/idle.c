/* idle.c - the nodes' "stream time advanced" hooks (ks_proc_class.advance,
 * which suppression and joins use to emit what became due), and the idle
 * advance of window.idle.close.ms.
 *
 * Kafka Streams has no idle advance: its stream time follows records
 * only, so the last windows of a quiet input never close. Here, when a
 * task has processed no record for window.idle.close.ms of wall-clock
 * time (and has none buffered), an idle advance closes the windows that
 * could have been open when its input went quiet, and nothing else. With
 * S the task's stream time and T = S + the wall-clock time since its last
 * record (computed from S each time, so repeated calls do not compound):
 *   - the task's stream time is not changed; env.idle_base = S and
 *     env.idle_time = T record the advance (processor.h). Windowed
 *     aggregations treat a window with start <= S as closed when it would
 *     be closed at stream time T, so a later record for it is late
 *     (dropped and counted) while records for newer windows open them as
 *     usual. Deduplication, store expiry and everything else go by the
 *     real stream time. Records clear both once stream time reaches T;
 *   - the task's stores are flushed first, once after each record (as on
 *     commit): updates held by caches reach downstream, so that
 *     suppression emits the latest value of each window. While the hooks
 *     run, env.idle_advance tells nodes the caches are clean;
 *   - then the advance hooks run with T: suppression emits the buffered
 *     entries due by T (of windows that existed). Stream-time
 *     punctuators do not fire (wall-clock punctuators are for that);
 *   - it only moves forward: an advance whose T is not past the current
 *     idle_time (or the stream time) does nothing. One that is replaces
 *     (S, T) with the new pair, which closes all the old one closed. */
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

/* Call the advance hooks with t. */
static kstream_err_t call_advancers(ks_task_t *task, int64_t t)
{
    ks_task_env_t *env = &task->env;
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

kstream_err_t ks_task_advance_nodes(ks_task_t *task)
{
    int64_t t = task->env.stream_time;
    if (task->nadvancers == 0 || t <= task->advanced)
        return KSTREAM_OK;
    task->advanced = t;
    return call_advancers(task, t);
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
    int64_t base = env->stream_time;
    int64_t t = base > INT64_MAX - idle ? INT64_MAX : base + idle;
    if (t <= base || t <= env->idle_time)
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
           "task %d_%d idle for %lld ms: windows open at stream time %lld "
           "close as at %lld",
           task->sub->id, (int)task->partition, (long long)idle,
           (long long)base, (long long)t);
    env->idle_base = base;
    env->idle_time = t;
    env->wall_clock = now;
    env->fail_node = NULL;
    err = KSTREAM_OK;
    if (task->nadvancers) {
        env->idle_advance = true;
        err = call_advancers(task, t);
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
