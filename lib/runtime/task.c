/* task.c - one StreamTask: the processor nodes of a sub-topology for one
 * partition, its input queues (PartitionGroup: the next record is the head
 * with the lowest timestamp), stream time and stream-time punctuation. */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static kstream_err_t task_produce(void *owner, const ks_out_t *out)
{
    ks_thread_t *th = owner;
    kstream_err_t err = ks_thread_produce(th, out);
    if (!err)
        th->m.produced++;
    return err;
}

ks_task_t *ks_task_new(const ks_subtopology_t *sub, int32_t partition,
                       ks_thread_t *th, kstream_err_t *err)
{
    ks_task_t *task = calloc(1, sizeof(*task));
    *err = KSTREAM_ERR_NO_MEMORY;
    if (!task)
        return NULL;
    task->sub = sub;
    task->partition = partition;
    task->env.arena = ks_arena_new(0);
    task->env.stream_time = -1;
    task->env.idle_base = -1;
    task->env.idle_time = -1;
    task->env.wall_clock = th->now(th->now_opaque);
    task->env.partition = partition;
    task->env.subtopology = sub->id;
    task->env.application_id = th->app_id;
    task->env.log = &th->log;
    task->env.produce = task_produce;
    task->env.owner = th;
    task->env.late = ks_late_record;
    task->nctxs = sub->nodes.len;
    task->ctxs = calloc(task->nctxs, sizeof(kstream_ctx_t));
    if (!task->env.arena || !task->ctxs) {
        ks_task_free(task);
        return NULL;
    }
    for (size_t i = 0; i < task->nctxs; i++) {
        const ks_node_t *n = sub->nodes.items[i];
        kstream_ctx_t *ctx = &task->ctxs[i];
        ctx->node = n;
        ctx->env = &task->env;
        ctx->nchildren = n->children.len;
        if (ctx->nchildren) {
            ctx->children = calloc(ctx->nchildren, sizeof(kstream_ctx_t *));
            if (!ctx->children) {
                ks_task_free(task);
                return NULL;
            }
            for (size_t c = 0; c < ctx->nchildren; c++)
                ctx->children[c] =
                        &task->ctxs[((ks_node_t *)n->children.items[c])->index];
        }
    }
    task->advanced = -1;
    task->input_wall = task->env.wall_clock;
    task->input_time = -1;
    if (ks_task_find_advancers(task)) {
        ks_task_free(task);
        return NULL;
    }
    char errstr[512] = "";
    *err = ks_task_open_stores(task, th, errstr, sizeof(errstr));
    if (!*err)
        *err = ks_task_restore_begin(task, th, errstr, sizeof(errstr));
    if (*err) {
        ks_log(&th->log, KS_LOG_ERR, "TASK", "task %d_%d: %s", sub->id,
               (int)partition, errstr[0] ? errstr : kstream_err2str(*err));
        snprintf(th->error, sizeof(th->error), "task %d_%d: %s", sub->id,
                 (int)partition, errstr[0] ? errstr : kstream_err2str(*err));
        ks_task_free(task);
        return NULL;
    }
    /* A restoring task initialises its nodes once its stores are complete
     * (init may read them: suppression rebuilds its index there). */
    if (!task->restoring && (*err = ks_task_init_nodes(task, th)) != 0) {
        ks_task_free(task);
        return NULL;
    }
    *err = KSTREAM_OK;
    return task;
}

kstream_err_t ks_task_init_nodes(ks_task_t *task, ks_thread_t *th)
{
    /* init in node order; a failure closes the ones initialised. */
    for (size_t i = 0; i < task->nctxs; i++) {
        kstream_ctx_t *ctx = &task->ctxs[i];
        if (!ctx->node->cls->init)
            continue;
        kstream_err_t err = ctx->node->cls->init(ctx);
        if (err) {
            ks_log(&th->log, KS_LOG_ERR, "TASK",
                   "task %d_%d: init of '%s' failed: %s", task->sub->id,
                   (int)task->partition, ctx->node->name,
                   kstream_err2str(err));
            snprintf(th->error, sizeof(th->error),
                     "task %d_%d: init of '%s' failed: %s", task->sub->id,
                     (int)task->partition, ctx->node->name,
                     kstream_err2str(err));
            for (size_t j = 0; j < i; j++)
                if (task->ctxs[j].node->cls->close)
                    task->ctxs[j].node->cls->close(&task->ctxs[j]);
            return err;
        }
    }
    task->initialized = true;
    task->input_wall = th->now(th->now_opaque);
    return KSTREAM_OK;
}

void ks_task_free(ks_task_t *task)
{
    if (!task)
        return;
    for (size_t i = 0; task->initialized && i < task->nctxs; i++) {
        kstream_ctx_t *ctx = &task->ctxs[i];
        if (ctx->node->cls->close)
            ctx->node->cls->close(ctx);
    }
    if (task->ctxs)
        for (size_t i = 0; i < task->sub->nodes.len; i++)
            free(task->ctxs[i].children);
    free(task->ctxs);
    free(task->advancers);
    ks_task_close_stores(task);
    for (size_t q = 0; q < task->nqueues; q++) {
        free(task->queues[q]->items);
        free(task->queues[q]->hints);
        free(task->queues[q]->topic);
        free(task->queues[q]);
    }
    free(task->queues);
    ks_punct_free(&task->env.punct);
    ks_arena_destroy(task->env.arena);
    free(task);
}

ks_rqueue_t *ks_task_add_queue(ks_task_t *task, const char *topic,
                               int32_t partition, const ks_node_t *source)
{
    ks_rqueue_t *q = calloc(1, sizeof(*q));
    ks_rqueue_t **qs = realloc(task->queues,
                               (task->nqueues + 1) * sizeof(*qs));
    if (qs)
        task->queues = qs;
    if (!q || !qs || !(q->topic = ks_strdup(topic))) {
        free(q);
        return NULL;
    }
    q->partition = partition;
    q->source = source;
    q->task = task;
    q->partition_time = -1;
    q->consumed = -1;
    q->committed = -1;
    task->queues[task->nqueues++] = q;
    ks_rqueue_find_hints(task, q);
    return q;
}

/* The queue whose head has the lowest timestamp (first queue on ties). */
static ks_rqueue_t *next_queue(ks_task_t *task)
{
    ks_rqueue_t *best = NULL;
    int64_t best_ts = 0;
    for (size_t i = 0; i < task->nqueues; i++) {
        ks_rqueue_t *q = task->queues[i];
        if (q->n == 0)
            continue;
        int64_t ts = q->items[q->head].ts;
        if (!best || ts < best_ts) {
            best = q;
            best_ts = ts;
        }
    }
    return best;
}

#define HINT_DEEP 2    /* records ahead whose store entries are fetched */
#define HINT_SHALLOW 4 /* records ahead whose hash slots are fetched */

kstream_err_t ks_task_process_one(ks_task_t *task, ks_thread_t *th,
                                  bool *done)
{
    ks_rqueue_t *q = next_queue(task);
    if (!q) {
        *done = true;
        return KSTREAM_OK;
    }
    *done = false;
    ks_qitem_t item = q->items[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->n--;
    task->buffered--;
    if (q->nhints && q->n > HINT_DEEP) {
        /* Two stages (see hint.c): the slot of the record four ahead, the
         * entry of the record two ahead (its slot fetched by now). */
        const ks_msg_t *m = &q->items[(q->head + HINT_DEEP) & (q->cap - 1)].msg;
        ks_rqueue_hint(q, m->key, m->key_len, true);
        if (q->n > HINT_SHALLOW) {
            m = &q->items[(q->head + HINT_SHALLOW) & (q->cap - 1)].msg;
            ks_rqueue_hint(q, m->key, m->key_len, false);
        }
    }

    ks_task_env_t *env = &task->env;
    kstream_record_t rec;
    ks_record_from_msg(&rec, &item.msg);
    rec.timestamp = item.ts;
    env->cur_ts = item.ts;
    if (item.ts > env->stream_time)
        env->stream_time = item.ts;
    if (env->idle_time >= 0 && env->stream_time >= env->idle_time)
        env->idle_base = env->idle_time = -1; /* stream time covers it */
    env->wall_clock = th->wall_now;
    env->fail_node = NULL;
    env->fail_kind = KS_FAIL_NONE;

    kstream_ctx_t *src = &task->ctxs[q->source->index];
    th->cur_msg = &item.msg;
    env->cur_rec = &rec;
    kstream_err_t err = src->node->cls->process(src, &rec);
    env->cur_rec = NULL;
    th->cur_msg = NULL;
    ks_arena_reset(env->arena);
    th->m.processed++;
    task->processed++;
    task->input_wall = env->wall_clock;
    task->input_time = env->stream_time;
    task->idle_flushed = false;
    if (err) {
        ks_err_kind_t kind = env->fail_kind == KS_FAIL_PRODUCTION
                                     ? KS_ERRK_PRODUCTION
                                     : KS_ERRK_PROCESSING;
        err = ks_handle_record_error(
                th, kind, &item.msg, err,
                env->fail_node ? env->fail_node->name : src->node->name,
                env->fail_detail);
    }
    q->consumed = item.msg.offset + 1;
    th->client->ops->release(th->client, &item.msg, 1);
    if (q->paused && q->n <= th->max_buffered / 2)
        ks_thread_resume_drained(th, q);
    if (err)
        return err;
    /* Stream-time punctuation after the record (Kafka's order). */
    env->fail_node = NULL;
    err = ks_punct_fire(env, KSTREAM_PUNCTUATE_STREAM_TIME, env->stream_time);
    if (!err)
        err = ks_task_advance_nodes(task);
    if (err)
        err = ks_handle_record_error(
                th, KS_ERRK_PROCESSING, NULL, err,
                env->fail_node ? env->fail_node->name : "punctuator",
                env->fail_detail);
    return err;
}
