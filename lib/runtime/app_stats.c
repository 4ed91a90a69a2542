/* app_stats.c - the statistics JSON of a running app (per thread and
 * task: records in and out, process rate, commits, consumer lag, late
 * and duplicate drops, restoring tasks, store sizes) and the thread that
 * hands it to the statistics callback every statistics.interval.ms. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/app.h"

static void json_str(ks_buf_t *b, const char *s)
{
    ks_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ks_buf_appendf(b, "\\%c", *p);
        else if (*p < 0x20)
            ks_buf_appendf(b, "\\u%04x", *p);
        else
            ks_buf_putc(b, (char)*p);
    }
    ks_buf_putc(b, '"');
}

static void task_json(ks_buf_t *b, ks_thread_t *th, ks_task_t *task)
{
    ks_buf_appendf(b, "{\"id\":\"%d_%d\",\"restoring\":%s,\"buffered\":%zu,",
                   task->sub->id, (int)task->partition,
                   task->restoring ? "true" : "false", task->buffered);
    ks_buf_appendf(b,
                   "\"late_records_dropped\":%" PRIu64
                   ",\"duplicates_dropped\":%" PRIu64
                   ",\"records_dropped\":%" PRIu64 ",\"partitions\":[",
                   task->env.counters[KS_CNT_LATE],
                   task->env.counters[KS_CNT_DUPLICATE],
                   task->env.counters[KS_CNT_DROPPED]);
    for (size_t q = 0; q < task->nqueues; q++) {
        ks_rqueue_t *rq = task->queues[q];
        ks_tp_t tp = {rq->topic, rq->partition};
        int64_t lag = -1;
        if (th->client && th->client->ops->lag)
            th->client->ops->lag(th->client, &tp, &lag);
        ks_buf_appendf(b, "%s{\"topic\":", q ? "," : "");
        json_str(b, rq->topic);
        ks_buf_appendf(b,
                       ",\"partition\":%d,\"consumed\":%" PRId64
                       ",\"committed\":%" PRId64 ",\"lag\":%" PRId64 "}",
                       (int)rq->partition, rq->consumed, rq->committed, lag);
    }
    ks_buf_appendf(b, "],\"stores\":[");
    for (size_t s = 0; s < task->nown_stores; s++) {
        ks_task_store_t *slot = &task->env.stores[s];
        ks_store_t *top = ks_pstore_stack(slot->ps);
        uint64_t n = task->restoring ? 0 : ks_store_written_count(top);
        ks_buf_appendf(b, "%s{\"name\":", s ? "," : "");
        json_str(b, slot->def->name);
        ks_buf_appendf(b, ",\"approximate_count\":%" PRIu64, n);
        ks_store_log_t *log = ks_task_log_of(task, s);
        if (log)
            ks_buf_appendf(b,
                           ",\"restoring\":%s,\"restore_start\":%" PRId64
                           ",\"restore_end\":%" PRId64
                           ",\"restore_position\":%" PRId64
                           ",\"restored\":%" PRIu64,
                           log->restoring ? "true" : "false", log->start,
                           log->end, log->position, log->restored);
        ks_buf_putc(b, '}');
    }
    ks_buf_appendf(b, "]}");
}

/* A thread's counters, then the opening of its task list. */
static void metrics_json(ks_buf_t *b, const ks_metrics_t *m, uint64_t late,
                         int64_t secs)
{
    ks_buf_appendf(b,
                   ",\"records_processed\":%" PRIu64
                   ",\"records_produced\":%" PRIu64
                   ",\"records_dropped\":%" PRIu64
                   ",\"process_rate\":%.1f,\"commits\":%" PRIu64
                   ",\"commit_latency_ms_last\":%" PRId64
                   ",\"commit_latency_ms_avg\":%.1f"
                   ",\"commit_latency_ms_max\":%" PRId64
                   ",\"punctuations\":%" PRIu64 ",\"dlq_records\":%" PRIu64
                   ",\"records_restored\":%" PRIu64,
                   m->processed, m->produced, m->dropped,
                   secs > 0 ? (double)m->processed / (double)secs : 0.0,
                   m->commits, m->commit_ms_last,
                   m->commits ? (double)m->commit_ms_total /
                                        (double)m->commits
                              : 0.0,
                   m->commit_ms_max, m->punctuations, m->dlq, m->restored);
    ks_buf_appendf(b,
                   ",\"deserialization_errors\":%" PRIu64
                   ",\"process_errors\":%" PRIu64
                   ",\"production_errors\":%" PRIu64
                   ",\"late_records_dropped_closed_tasks\":%" PRIu64
                   ",\"transactions_committed\":%" PRIu64
                   ",\"transactions_aborted\":%" PRIu64 ",\"tasks\":[",
                   m->errors[KS_ERRK_DESERIALIZATION],
                   m->errors[KS_ERRK_PROCESSING],
                   m->errors[KS_ERRK_PRODUCTION], late,
                   m->txn_commits, m->txn_aborts);
}

static void thread_json(ks_buf_t *b, ks_app_thread_t *at, int64_t now)
{
    ks_thread_t *th = at->th;
    static const char *const st[] = {"STARTING", "REBALANCING", "RUNNING",
                                     "DONE"};
    int s = atomic_load(&at->status);
    ks_buf_appendf(b, "{\"id\":%d,\"state\":\"%s\"", at->idx,
                   st[s >= 0 && s < 4 ? s : 3]);
    if (!th && !at->has_final) {
        ks_buf_appendf(b, "}");
        return;
    }
    if (!th) { /* stopped (a failure, or closing): its last counters */
        metrics_json(b, &at->final_m, at->final_late,
                     (now - at->started_ms) / 1000);
        ks_buf_appendf(b, "]}");
        return;
    }
    ks_thread_lock(th);
    metrics_json(b, &th->m, th->counters[KS_CNT_LATE],
                 (now - at->started_ms) / 1000);
    for (size_t t = 0; t < th->tasks.len; t++) {
        if (t)
            ks_buf_putc(b, ',');
        task_json(b, th, th->tasks.items[t]);
    }
    ks_thread_unlock(th);
    ks_buf_appendf(b, "]}");
}

char *kstream_stats_json(kstream_t *app)
{
    if (!app)
        return NULL;
    ks_buf_t b;
    ks_buf_init(&b, NULL);
    int64_t now = ks_clock_mono_ms();
    ks_buf_appendf(&b, "{\"application_id\":");
    json_str(&b, app->app_id);
    ks_buf_appendf(&b,
                   ",\"state\":\"%s\",\"time_ms\":%" PRId64
                   ",\"uptime_ms\":%" PRId64 ",\"threads\":[",
                   kstream_state_name(kstream_state(app)), ks_clock_wall_ms(),
                   app->start_ms ? now - app->start_ms : 0);
    pthread_mutex_lock(&app->mu);
    for (int i = 0; i < app->nthreads; i++) {
        if (i)
            ks_buf_putc(&b, ',');
        thread_json(&b, &app->threads[i], now);
    }
    pthread_mutex_unlock(&app->mu);
    if (ks_buf_appendf(&b, "]}") != 0) {
        ks_buf_free(&b);
        return NULL;
    }
    return ks_buf_steal(&b);
}

void *ks_app_stats_main(void *arg)
{
    kstream_t *app = arg;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    for (;;) {
        until.tv_sec += app->stats_interval / 1000;
        until.tv_nsec += (long)(app->stats_interval % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&app->mu);
        while (!atomic_load(&app->stop) &&
               pthread_cond_timedwait(&app->cond, &app->mu, &until) == 0)
            ;
        pthread_mutex_unlock(&app->mu);
        if (atomic_load(&app->stop))
            return NULL;
        char *json = kstream_stats_json(app);
        if (json) {
            app->stats_cb(json, strlen(json), app->stats_opaque);
            free(json);
        }
    }
}
