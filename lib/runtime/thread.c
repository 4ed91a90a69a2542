/* thread.c - one StreamThread: its client (consumer + producer), the tasks
 * assigned to it (assign.c), the poll -> route -> restore -> process ->
 * punctuate -> commit loop (commit.c; eos.c under exactly_once_v2). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static ks_handler_t handler_of(const kstream_conf_t *conf, const char *key)
{
    const char *v = ks_conf_str(conf, key);
    if (v && strcmp(v, "continue") == 0)
        return KS_HANDLER_CONTINUE;
    if (v && strcmp(v, "dlq") == 0)
        return KS_HANDLER_DLQ;
    return KS_HANDLER_FAIL;
}

static void delivery_failed_cb(void *owner, const ks_out_t *out,
                               kstream_err_t err, const char *reason);

/* "default.api.timeout.ms" when the property table has it, else Kafka's
 * default (60 s). */
static int64_t api_timeout_of(const kstream_conf_t *conf)
{
    for (const ks_prop_t *p = ks_props; p->name; p++)
        if (strcmp(p->name, "default.api.timeout.ms") == 0)
            return ks_conf_int(conf, p->name);
    return 60000;
}

static int init_mutex(pthread_mutex_t *mu)
{
    pthread_mutexattr_t ma;
    if (pthread_mutexattr_init(&ma) != 0)
        return -1;
    int rc = pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    if (rc == 0)
        rc = pthread_mutex_init(mu, &ma);
    pthread_mutexattr_destroy(&ma);
    return rc == 0 ? 0 : -1;
}

ks_thread_t *ks_thread_new(const kstream_topology_t *topo,
                           const kstream_conf_t *conf, const char *app_id,
                           ks_clock_fn *now, void *now_opaque, char *errstr,
                           size_t errstr_size)
{
    ks_thread_t *th = calloc(1, sizeof(*th));
    if (!th || init_mutex(&th->mu) != 0) {
        free(th);
        th = NULL;
        goto oom;
    }
    th->api_timeout_ms = api_timeout_of(conf);
    th->commit_failing_since = -1;
    th->checkpoint_records = 10000;
    th->topo = topo;
    th->now = now;
    th->now_opaque = now_opaque;
    ks_conf_logger(conf, &th->log);
    th->commit_interval = ks_conf_int(conf, "commit.interval.ms");
    const char *pg = ks_conf_str(conf, "processing.guarantee");
    th->eos = pg && strcmp(pg, "exactly_once_v2") == 0;
    th->max_buffered = (size_t)ks_conf_int(conf,
                                           "buffered.records.per.partition");
    th->handler[KS_ERRK_DESERIALIZATION] =
            handler_of(conf, "default.deserialization.exception.handler");
    th->handler[KS_ERRK_PROCESSING] =
            handler_of(conf, "processing.exception.handler");
    th->handler[KS_ERRK_PRODUCTION] =
            handler_of(conf, "default.production.exception.handler");
    const char *late = ks_conf_str(conf, "late.records.handler");
    th->late_handler = late && strcmp(late, "dlq") == 0 ? KS_HANDLER_DLQ
                                                         : KS_HANDLER_CONTINUE;
    const char *dlq = ks_conf_str(conf, "errors.deadletterqueue.topic.name");
    if (th->late_handler == KS_HANDLER_DLQ && (!dlq || !*dlq)) {
        ks_errstr(errstr, errstr_size,
                  "late.records.handler is dlq but "
                  "errors.deadletterqueue.topic.name is not set");
        ks_thread_destroy(th);
        return NULL;
    }
    for (int k = 0; k < KS_ERRK__COUNT; k++) {
        if (th->handler[k] == KS_HANDLER_DLQ && (!dlq || !*dlq)) {
            ks_errstr(errstr, errstr_size,
                      "an exception handler is set to dlq but "
                      "errors.deadletterqueue.topic.name is not set");
            ks_thread_destroy(th);
            return NULL;
        }
    }
    th->app_id = ks_strdup(app_id);
    const char *sd = ks_conf_str(conf, "state.dir");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/%s", sd ? sd : "/tmp/kstream", app_id);
    th->state_dir = ks_strdup(dir);
    th->rocks_bytes = (size_t)ks_conf_int(conf, "rocksdb.memory.bytes");
    th->cache_bytes = (size_t)ks_conf_int(conf, "cache.max.bytes.buffering");
    if (th->cache_bytes > 0 && !(th->cache = ks_cache_new(th->cache_bytes)))
        goto oom;
    const char *dsl = ks_conf_str(conf, "default.dsl.store");
    th->default_backend = dsl && strcmp(dsl, "in_memory") == 0
                                  ? KSTREAM_STORE_MEMORY
                                  : KSTREAM_STORE_ROCKSDB;
    th->idle_close_ms = ks_conf_int(conf, "window.idle.close.ms");
    th->dlq_topic = dlq ? ks_strdup(dlq) : NULL;
    th->sources = ks_map_new();
    th->routes = ks_map_new();
    th->batch_max = 512;
    th->batch = calloc(th->batch_max, sizeof(ks_msg_t));
    th->last_commit = now(now_opaque);
    if (!th->app_id || !th->state_dir || !th->sources || !th->routes ||
        !th->batch)
        goto oom;
    char name[512];
    for (size_t s = 0; s < topo->nsubs; s++) {
        const ks_subtopology_t *sub = &topo->subs[s];
        for (size_t i = 0; i < sub->sources.len; i++) {
            const ks_node_t *src = sub->sources.items[i];
            for (size_t t = 0; t < src->ntopics; t++) {
                ks_topic_name(src->topics[t], src->internal, app_id, name,
                              sizeof(name));
                if (ks_map_put(th->sources, name, (void *)src))
                    goto oom;
            }
        }
    }
    return th;
oom:
    ks_errstr(errstr, errstr_size, "out of memory creating a stream thread");
    ks_thread_destroy(th);
    return NULL;
}

ks_client_events_t ks_thread_events(ks_thread_t *th)
{
    ks_client_events_t ev = {.assigned = ks_thread_assigned_cb,
                             .revoked = ks_thread_revoked_cb,
                             .delivery_failed = delivery_failed_cb,
                             .owner = th};
    return ev;
}

/* The topics the thread may produce to, known before any record: fixed
 * sink topics, the app's internal topics (every one is written by the
 * app: repartition and foreign-key join topics, changelogs) and the
 * dead-letter topic. Dynamic sinks' topics are known only per record. */
static kstream_err_t produce_topics(const ks_thread_t *th, ks_map_t *out)
{
    const kstream_topology_t *t = th->topo;
    char name[600];
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *nd = t->nodes.items[i];
        const char *topic = NULL;
        if (nd->type == KS_NODE_SINK && nd->topic)
            topic = nd->topic;
        else if (nd->type == KS_NODE_SOURCE && nd->internal && nd->ntopics)
            topic = nd->topics[0];
        if (!topic)
            continue;
        ks_topic_name(topic, nd->internal, th->app_id, name, sizeof(name));
        if (ks_map_put(out, name, NULL))
            return KSTREAM_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (!ks_store_def_logged(d))
            continue;
        ks_changelog_topic(th->app_id, d->name, name, sizeof(name));
        if (ks_map_put(out, name, NULL))
            return KSTREAM_ERR_NO_MEMORY;
    }
    if (th->dlq_topic && ks_map_put(out, th->dlq_topic, NULL))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

/* Let the client learn the topics it will produce to while the group
 * forms, so that the first records are not held back for metadata. Best
 * effort: the client logs what fails. */
static void prepare_produce(ks_thread_t *th, ks_client_t *client)
{
    if (!client->ops->prepare_produce)
        return;
    ks_map_t *m = ks_map_new();
    const char **topics = NULL;
    if (!m || produce_topics(th, m) ||
        !(topics = calloc(ks_map_count(m) + 1, sizeof(char *)))) {
        ks_log(&th->log, KS_LOG_WARNING, "THREAD",
               "out of memory listing the topics produced to");
    } else {
        size_t it = 0, n = 0;
        const char *key;
        while (ks_map_next(m, &it, &key, NULL))
            topics[n++] = key;
        (void)client->ops->prepare_produce(client, topics, n);
    }
    free(topics);
    if (m)
        ks_map_destroy(m);
}

kstream_err_t ks_thread_attach(ks_thread_t *th, ks_client_t *client)
{
    th->client = client;
    /* Exactly-once: the transactional id is registered (fencing an older
     * instance, ending what it left open) before any task exists. */
    kstream_err_t ierr = ks_thread_eos_init(th);
    if (ierr)
        return ierr;
    size_t n = ks_map_count(th->sources), it = 0, i = 0;
    const char **topics = calloc(n ? n : 1, sizeof(char *));
    if (!topics)
        return KSTREAM_ERR_NO_MEMORY;
    const char *key;
    void *val;
    while (ks_map_next(th->sources, &it, &key, &val))
        topics[i++] = key;
    /* Sorted, so the subscription (and so the poll order) is stable. */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && strcmp(topics[b - 1], topics[b]) > 0; b--) {
            const char *tmp = topics[b];
            topics[b] = topics[b - 1];
            topics[b - 1] = tmp;
        }
    kstream_err_t err = client->ops->subscribe(client, topics, n);
    free(topics);
    if (!err)
        prepare_produce(th, client);
    return err;
}

/* A produce accepted earlier failed (delivery report): the production
 * handler decides, as for an error known at produce time. The input record
 * is long gone: dead-lettering sends the record that failed. */
static void delivery_failed_cb(void *owner, const ks_out_t *out,
                               kstream_err_t err, const char *reason)
{
    ks_thread_t *th = owner;
    ks_thread_lock(th);
    char detail[512];
    snprintf(detail, sizeof(detail),
             "delivery of a record to topic '%s' [%d] failed: %s", out->topic,
             (int)out->partition, reason ? reason : kstream_err2str(err));
    ks_msg_t msg = {.topic = out->topic,
                    .partition = out->partition,
                    .offset = -1,
                    .timestamp = out->timestamp,
                    .key = out->key,
                    .key_len = out->key_len,
                    .value = out->value,
                    .value_len = out->value_len,
                    .headers = out->headers,
                    .nheaders = out->nheaders};
    bool dlq = th->handler[KS_ERRK_PRODUCTION] == KS_HANDLER_DLQ;
    if (th->eos && th->handler[KS_ERRK_PRODUCTION] != KS_HANDLER_FAIL) {
        /* The open transaction cannot commit with a record missing: it
         * aborts and its input is processed again (eos.c), so there is
         * nothing to skip or dead-letter here. */
        th->m.errors[KS_ERRK_PRODUCTION]++;
        ks_log(&th->log, KS_LOG_WARNING, "HANDLER",
               "%s: the transaction will abort and its input be processed "
               "again",
               detail);
    } else {
        ks_handle_record_error(th, KS_ERRK_PRODUCTION, dlq ? &msg : NULL, err,
                               "producer", detail);
    }
    ks_thread_unlock(th);
}

/* ---- the loop ---------------------------------------------------------- */
/* Records processed between two readings of the wall clock. */
#define KS_WALL_EVERY 256

/* Process what the running tasks have buffered. */
static kstream_err_t process_tasks(ks_thread_t *th, bool *worked)
{
    /* Records processed in this pass, and when to read the clock again. */
    unsigned k = 0, next_read = KS_WALL_EVERY;
    th->wall_now = th->now(th->now_opaque);
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (; !task->restoring; k++) {
            bool done = false;
            if (k == next_read) {
                th->wall_now = th->now(th->now_opaque);
                next_read = k + KS_WALL_EVERY;
            }
            kstream_err_t err = ks_task_process_one(task, th, &done);
            if (err)
                return err;
            if (done)
                break;
            *worked = true;
        }
    }
    return KSTREAM_OK;
}

/* Everything after the polls, under the lock. */
static kstream_err_t run_locked(ks_thread_t *th, size_t n, size_t nrestore,
                                bool *worked)
{
    kstream_err_t err = ks_thread_enqueue(th, th->batch, n);
    if (err) {
        if (nrestore)
            th->restore.client->ops->release(th->restore.client,
                                             th->restore.batch, nrestore);
        return err;
    }
    ks_thread_pause_full(th);
    err = ks_thread_restore_apply(th, nrestore, worked);
    if (!err)
        err = process_tasks(th, worked);
    if (!err)
        err = ks_thread_punctuate_wall(th);
    if (!err && th->now(th->now_opaque) - th->last_commit >=
                        th->commit_interval)
        err = ks_thread_commit(th);
    return err;
}

/* The restore poll's timeout: the whole wait when every task restores and
 * no input came, else short (running tasks' input must not wait). */
static int restore_timeout(const ks_thread_t *th, size_t n, int timeout_ms)
{
    bool all = n == 0;
    for (size_t t = 0; all && t < th->tasks.len; t++)
        all = ((const ks_task_t *)th->tasks.items[t])->restoring;
    return all ? timeout_ms : timeout_ms < 10 ? timeout_ms : 10;
}

/* The polls run unlocked; while a task restores the main poll does not
 * wait (the restore poll may). */
kstream_err_t ks_thread_run_once(ks_thread_t *th, int timeout_ms,
                                 bool *worked)
{
    *worked = false;
    if (th->failed)
        return KSTREAM_ERR_FAILED;
    ks_thread_lock(th);
    kstream_err_t err = ks_thread_update_globals(th);
    ks_thread_unlock(th);
    if (err)
        return err;
    bool restoring = ks_thread_restoring(th);
    size_t n = 0, nrestore = 0;
    err = th->client->ops->poll(th->client, th->batch, th->batch_max, &n,
                                restoring ? 0 : timeout_ms);
    if (!err && th->failed)
        err = th->error_code;
    if (!err)
        err = ks_thread_restore_fetch(th, restore_timeout(th, n, timeout_ms),
                                      &nrestore);
    if (err) {
        th->client->ops->release(th->client, th->batch, n);
        return err;
    }
    if (n)
        *worked = true;
    ks_thread_lock(th);
    err = run_locked(th, n, nrestore, worked);
    /* A transaction that failed while records were processed (a produce
     * refused) or committed: abort, rewind, go on - or stop. */
    if (err && th->eos && ks_err_txn(err))
        err = ks_thread_eos_recover(th, err, true);
    ks_thread_unlock(th);
    /* Freed memory back to the system, now and then (util/release.c). */
    ks_memory_release(ks_clock_mono_ms());
    return err;
}

kstream_err_t ks_thread_punctuate_wall(ks_thread_t *th)
{
    ks_thread_lock(th);
    kstream_err_t err = KSTREAM_OK;
    int64_t now = th->now(th->now_opaque);
    for (size_t t = 0; t < th->tasks.len && !err; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (task->restoring)
            continue;
        task->env.wall_clock = now;
        task->env.fail_node = NULL;
        err = ks_punct_fire(&task->env, KSTREAM_PUNCTUATE_WALL_CLOCK, now);
        if (err)
            err = ks_handle_record_error(
                    th, KS_ERRK_PROCESSING, NULL, err,
                    task->env.fail_node ? task->env.fail_node->name
                                        : "punctuator",
                    task->env.fail_detail);
    }
    if (!err)
        err = ks_thread_idle_advance(th);
    if (err && th->eos && ks_err_txn(err))
        err = ks_thread_eos_recover(th, err, true);
    ks_thread_unlock(th);
    return err;
}

void ks_thread_lock(ks_thread_t *th)
{
    if (th->locking)
        pthread_mutex_lock(&th->mu);
}

void ks_thread_unlock(ks_thread_t *th)
{
    if (th->locking)
        pthread_mutex_unlock(&th->mu);
}

kstream_err_t ks_thread_fail(ks_thread_t *th, kstream_err_t err,
                             const char *fmt, ...)
{
    va_list ap;
    th->failed = true;
    th->error_code = err;
    va_start(ap, fmt);
    vsnprintf(th->error, sizeof(th->error), fmt, ap);
    va_end(ap);
    return err;
}

bool ks_thread_restoring(const ks_thread_t *th)
{
    for (size_t t = 0; t < th->tasks.len; t++)
        if (((const ks_task_t *)th->tasks.items[t])->restoring)
            return true;
    return false;
}

void ks_thread_destroy(ks_thread_t *th)
{
    if (!th)
        return;
    ks_thread_lock(th);
    /* Commit (which writes the checkpoints), then close. */
    th->commit_final = true;
    th->closing = true;
    if (th->client && !th->failed)
        ks_thread_commit(th);
    while (th->tasks.len)
        ks_thread_close_task(th, th->tasks.len - 1);
    ks_thread_unlock(th);
    /* Leave the group while everything the revocation callback touches
     * (a last, empty commit) is still there. */
    if (th->client)
        th->client->ops->destroy(th->client);
    th->client = NULL;
    ks_vec_free(&th->tasks);
    ks_thread_close_globals(th);
    ks_thread_restore_close(th);
    if (th->cache)
        ks_cache_destroy(th->cache);
    if (th->rocks)
        ks_rocksdb_env_destroy(th->rocks);
    free(th->state_dir);
    if (th->routes) {
        size_t it = 0;
        const char *k;
        void *v;
        while (ks_map_next(th->routes, &it, &k, &v)) {
            ks_vec_free(v);
            free(v);
        }
        ks_map_destroy(th->routes);
    }
    ks_map_destroy(th->sources);
    free(th->batch);
    free(th->dlq_topic);
    free(th->app_id);
    pthread_mutex_destroy(&th->mu);
    free(th);
}
