/* restore.c - rebuilding a task's stores from their changelogs before the
 * task processes anything (Kafka Streams' StoreChangelogReader and state
 * updater, on the stream thread), starting from the checkpoint files
 * (written by task_checkpoint.c) that let a persistent store restore only
 * the tail it misses.
 *
 * A new task's logged stores each get a range [start, end) of their
 * changelog partition: end is the partition's end offset when the task is
 * made; start is the checkpointed offset for a RocksDB store whose task
 * directory has a valid checkpoint entry, else the beginning - and then
 * the store's directory is wiped first, since a store whose content no
 * checkpoint vouches for may hold anything (never wrong state). In-memory
 * stores always start empty. While any range is unfinished the task is
 * restoring: a separate consumer (KS_CLIENT_RESTORE, manually assigned)
 * reads the ranges, the records are written to the layer below the
 * changelog layer (no re-logging, no cache), converted back the way the
 * changelog layer encoded them, and the task's input stays buffered. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "state/checkpoint.h"

/* Progress is logged each time this many more records were restored. */
#define KS_RESTORE_LOG_EVERY 10000
/* Restore batches are larger than the main consumer's: nothing is
 * processed per record, and larger batches mean fewer listener calls. */
#define KS_RESTORE_BATCH 2048

uint8_t *ks_restore_scratch(ks_thread_t *th, size_t len)
{
    ks_restorer_t *r = &th->restore;
    if (len > r->scratch_cap) {
        size_t cap = r->scratch_cap ? r->scratch_cap : 256;
        while (cap < len)
            cap *= 2;
        uint8_t *b = realloc(r->scratch, cap);
        if (!b)
            return NULL;
        r->scratch = b;
        r->scratch_cap = cap;
    }
    return r->scratch;
}

ks_store_log_t *ks_task_log_of(ks_task_t *task, size_t store)
{
    for (size_t i = 0; i < task->nlogs; i++)
        if (task->logs[i].store == store)
            return &task->logs[i];
    return NULL;
}

static const char *log_store_name(const ks_task_t *task,
                                  const ks_store_log_t *log)
{
    return task->env.stores[log->store].def->name;
}

/* ---- before the stores open ------------------------------------------------ */
/* Where one logged store restores from; wipes its directory when no valid
 * checkpoint entry covers it. */
static void choose_start(ks_thread_t *th, ks_task_t *task,
                         ks_store_log_t *log, const ks_store_def_t *def,
                         const ks_checkpoint_t *cp, const char *tdir)
{
    log->start = 0;
    if (log->persistent) {
        int64_t off = ks_checkpoint_get(cp, log->topic, task->partition);
        if (off >= 0 && off <= log->end) {
            log->start = off;
        } else {
            char dir[1024];
            snprintf(dir, sizeof(dir), "%s/%s", tdir, def->name);
            ks_rmtree(dir);
            if (off > log->end)
                ks_log(&th->log, KS_LOG_WARNING, "RESTORE",
                       "task %d_%d: store '%s': checkpoint %" PRId64
                       " is past the end %" PRId64 " of %s [%d]: wiped, "
                       "restoring from the beginning",
                       task->sub->id, (int)task->partition, def->name, off,
                       log->end, log->topic, (int)task->partition);
        }
    }
    log->position = log->ckpt_at = log->start;
}

static kstream_err_t read_checkpoint(ks_thread_t *th, ks_task_t *task,
                                     const char *tdir, ks_checkpoint_t *cp)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tdir, KS_CHECKPOINT_FILE);
    switch (ks_checkpoint_read(path, cp)) {
    case KS_CHECKPOINT_NO_MEMORY:
        return KSTREAM_ERR_NO_MEMORY;
    case KS_CHECKPOINT_CORRUPT:
        ks_log(&th->log, KS_LOG_WARNING, "RESTORE",
               "task %d_%d: checkpoint '%s' is corrupt: its persistent "
               "stores are wiped and restored from the beginning",
               task->sub->id, (int)task->partition, path);
        return KSTREAM_OK;
    default:
        return KSTREAM_OK;
    }
}

kstream_err_t ks_task_logs_prepare(ks_task_t *task, ks_thread_t *th,
                                   char *errstr, size_t errstr_size)
{
    const kstream_topology_t *t = th->topo;
    size_t nlogged = 0;
    bool persistent = false;
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *def = t->stores.items[i];
        if (def->subtopology != task->sub->id ||
            (def->flags & KSTREAM_STORE_LOGGING_DISABLED))
            continue;
        nlogged++;
        persistent |= ks_store_persistent(th, def);
    }
    if (!nlogged)
        return KSTREAM_OK;
    if (!th->client || !th->client->ops->end_offset) {
        ks_errstr(errstr, errstr_size, "no client to read changelogs with");
        return KSTREAM_ERR_STATE;
    }
    task->logs = calloc(nlogged, sizeof(*task->logs));
    if (!task->logs)
        return KSTREAM_ERR_NO_MEMORY;
    char tdir[800];
    ks_task_dir(th, task, tdir, sizeof(tdir));
    ks_checkpoint_t cp = {0};
    kstream_err_t err = persistent ? read_checkpoint(th, task, tdir, &cp)
                                   : KSTREAM_OK;
    size_t own = 0;
    for (size_t i = 0; i < t->stores.len && !err; i++) {
        const ks_store_def_t *def = t->stores.items[i];
        if (def->subtopology != task->sub->id)
            continue;
        size_t idx = own++;
        if (def->flags & KSTREAM_STORE_LOGGING_DISABLED)
            continue;
        ks_store_log_t *log = &task->logs[task->nlogs];
        char topic[600];
        ks_changelog_topic(th->app_id, def->name, topic, sizeof(topic));
        if (!(log->topic = ks_strdup(topic))) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        task->nlogs++;
        log->store = idx;
        log->persistent = ks_store_persistent(th, def);
        log->timestamped = def->timestamped;
        ks_tp_t tp = {log->topic, task->partition};
        err = th->client->ops->end_offset(th->client, &tp, &log->end);
        if (err)
            ks_errstr(errstr, errstr_size,
                      "changelog '%s' [%d] of store '%s': end offset: %s",
                      log->topic, (int)task->partition, def->name,
                      kstream_err2str(err));
        else
            choose_start(th, task, log, def, &cp, tdir);
    }
    ks_checkpoint_clear(&cp);
    return err;
}

/* ---- restoring ------------------------------------------------------------------ */
static kstream_err_t ensure_client(ks_thread_t *th, char *errstr,
                                   size_t errstr_size)
{
    ks_restorer_t *r = &th->restore;
    if (r->client)
        return KSTREAM_OK;
    if (!th->factory.make) {
        ks_errstr(errstr, errstr_size,
                  "no client factory to make the restore consumer with");
        return KSTREAM_ERR_STATE;
    }
    if (!r->batch) {
        r->batch_max = KS_RESTORE_BATCH;
        r->batch = calloc(r->batch_max, sizeof(*r->batch));
        if (!r->batch)
            return KSTREAM_ERR_NO_MEMORY;
    }
    r->client = th->factory.make(th->factory.opaque, KS_CLIENT_RESTORE, NULL,
                                 errstr, errstr_size);
    return r->client ? KSTREAM_OK : KSTREAM_ERR_KAFKA;
}

kstream_err_t ks_task_restore_begin(ks_task_t *task, ks_thread_t *th,
                                    char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < task->nlogs; i++) {
        ks_store_log_t *log = &task->logs[i];
        /* Exactly-once: a RocksDB store knows the changelog offset of its
         * last committed transaction (kept with its data; see ks_txn_wrap
         * in state/store.h), at or past the checkpoint file's. */
        ks_store_t *txn = task->env.stores[log->store].txn;
        int64_t committed = txn && log->persistent ? ks_txn_offset(txn) : -1;
        if (committed > log->start && committed <= log->end)
            log->start = log->position = log->ckpt_at = committed;
        if (log->start >= log->end)
            continue;
        kstream_err_t err = ensure_client(th, errstr, errstr_size);
        if (err)
            return err;
        /* Writes only until the end (kv_rocksdb: a vector memtable). */
        err = ks_store_bulk(log->below, true);
        if (err) {
            snprintf(errstr, errstr_size,
                     "store '%s': preparing the restore failed: %s",
                     log_store_name(task, log), kstream_err2str(err));
            return err;
        }
        log->restoring = true;
        log->announced = false;
        task->restoring = true;
        th->restore.dirty = true;
    }
    return KSTREAM_OK;
}

/* A restore starts when the restore consumer is given its partition
 * (Kafka Streams' onRestoreStart, from the changelog reader): after every
 * task of an assignment was made, not while the next ones are opened. */
static void announce(ks_thread_t *th, ks_task_t *task, ks_store_log_t *log)
{
    const char *store = log_store_name(task, log);
    log->announced = true;
    log->started_ms = ks_clock_mono_ms();
    ks_log(&th->log, KS_LOG_INFO, "RESTORE",
           "task %d_%d: restoring store '%s' from %s [%d], offsets "
           "%" PRId64 " to %" PRId64,
           task->sub->id, (int)task->partition, store, log->topic,
           (int)task->partition, log->start, log->end);
    if (th->has_rl && th->rl.on_start)
        th->rl.on_start(store, log->topic, task->partition, log->start,
                        log->end, th->rl_opaque);
}

/* The restoring partitions of every task, from their positions. */
static kstream_err_t reassign(ks_thread_t *th)
{
    size_t n = 0, k = 0;
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t i = 0; task->restoring && i < task->nlogs; i++)
            n += task->logs[i].restoring;
    }
    ks_tp_offset_t *tps = calloc(n ? n : 1, sizeof(*tps));
    if (!tps)
        return KSTREAM_ERR_NO_MEMORY;
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t i = 0; task->restoring && i < task->nlogs; i++) {
            ks_store_log_t *log = &task->logs[i];
            if (log->restoring)
                tps[k++] = (ks_tp_offset_t){
                        log->topic, task->partition,
                        log->position > 0 ? log->position : -1};
        }
    }
    ks_client_t *c = th->restore.client;
    kstream_err_t err = c->ops->assign(c, tps, n);
    free(tps);
    th->restore.last = NULL;
    if (err)
        return err;
    th->restore.dirty = false;
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        for (size_t i = 0; task->restoring && i < task->nlogs; i++)
            if (task->logs[i].restoring && !task->logs[i].announced)
                announce(th, task, &task->logs[i]);
    }
    return KSTREAM_OK;
}

kstream_err_t ks_thread_restore_fetch(ks_thread_t *th, int timeout_ms,
                                      size_t *n)
{
    *n = 0;
    ks_restorer_t *r = &th->restore;
    if (!r->client)
        return KSTREAM_OK;
    if (r->dirty) {
        kstream_err_t err = reassign(th);
        if (err)
            return err;
    }
    if (!ks_thread_restoring(th))
        return KSTREAM_OK;
    return r->client->ops->poll(r->client, r->batch, r->batch_max, n,
                                timeout_ms);
}

/* The restoring log of (topic, partition), or NULL (revoked meanwhile).
 * Records come in runs of one partition: the last one found is cached. */
static ks_store_log_t *find_log(ks_thread_t *th, const ks_msg_t *m,
                                ks_task_t **owner)
{
    ks_restorer_t *r = &th->restore;
    if (r->last && r->last_task->partition == m->partition &&
        strcmp(r->last->topic, m->topic) == 0) {
        *owner = r->last_task;
        return r->last;
    }
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (!task->restoring || task->partition != m->partition)
            continue;
        for (size_t i = 0; i < task->nlogs; i++) {
            ks_store_log_t *log = &task->logs[i];
            if (log->restoring && strcmp(log->topic, m->topic) == 0) {
                r->last = log;
                r->last_task = task;
                *owner = task;
                return log;
            }
        }
    }
    return NULL;
}

/* One changelog record into the store below the changelog layer, as the
 * changelog layer encoded it: a tombstone deletes; timestamped stores get
 * [8-byte BE record timestamp][value] back; window and session stores'
 * keys are their composite keys, which the segmented store places. */
static kstream_err_t apply_one(ks_thread_t *th, ks_store_log_t *log,
                               const ks_msg_t *m)
{
    ks_store_t *s = log->below;
    if (!m->key)
        return KSTREAM_OK; /* never logged: not a store's record */
    if (!m->value)
        return s->ops->put(s, m->key, m->key_len, NULL, 0);
    if (!log->timestamped)
        return s->ops->put(s, m->key, m->key_len, m->value, m->value_len);
    uint8_t *tv = ks_restore_scratch(th, m->value_len + 8);
    if (!tv)
        return KSTREAM_ERR_NO_MEMORY;
    ks_put_be64(tv, m->timestamp);
    memcpy(tv + 8, m->value, m->value_len);
    return s->ops->put(s, m->key, m->key_len, tv, m->value_len + 8);
}

static kstream_err_t restore_failed(ks_thread_t *th, ks_task_t *task,
                                    const ks_store_log_t *log,
                                    const ks_msg_t *m, kstream_err_t err)
{
    ks_thread_fail(th, err,
                   "task %d_%d: restoring store '%s' from %s [%d] at offset "
                   "%" PRId64 " failed: %s",
                   task->sub->id, (int)task->partition,
                   log_store_name(task, log), m->topic, (int)m->partition,
                   m->offset, kstream_err2str(err));
    ks_log(&th->log, KS_LOG_ERR, "RESTORE", "%s", th->error);
    return err;
}

/* Listener batches, progress lines, and the end of finished ranges. */
static bool log_progress(ks_thread_t *th, ks_task_t *task,
                         ks_store_log_t *log)
{
    const char *store = log_store_name(task, log);
    if (log->batch) {
        if (th->has_rl && th->rl.on_batch)
            th->rl.on_batch(store, log->topic, task->partition,
                            log->position, log->batch, th->rl_opaque);
        log->batch = 0;
        if (log->restored - log->logged >= KS_RESTORE_LOG_EVERY) {
            log->logged = log->restored;
            ks_log(&th->log, KS_LOG_INFO, "RESTORE",
                   "task %d_%d: store '%s': %" PRIu64 " records restored, "
                   "at offset %" PRId64 " of %" PRId64,
                   task->sub->id, (int)task->partition, store,
                   log->restored, log->position, log->end);
        }
    }
    if (!log->announced)
        return false; /* the consumer has not been given it yet */
    int64_t lag = -1;
    ks_client_t *c = th->restore.client;
    ks_tp_t tp = {log->topic, task->partition};
    /* The log may end before `end` in offsets we never see (a compacted or
     * deleted tail): the consumer then has nothing left (lag 0). */
    if (log->position < log->end &&
        !(c->ops->lag && c->ops->lag(c, &tp, &lag) == 0 && lag == 0))
        return false;
    log->restoring = false;
    /* Paused, not unassigned: a new assignment would restart the fetches
     * of every other partition still restoring (and drop what they have
     * fetched ahead). The next reassignment leaves it out. */
    if (c->ops->pause)
        c->ops->pause(c, &tp);
    ks_log(&th->log, KS_LOG_INFO, "RESTORE",
           "task %d_%d: store '%s' restored: %" PRIu64 " records from %s "
           "[%d] in %" PRId64 " ms",
           task->sub->id, (int)task->partition, store, log->restored,
           log->topic, (int)task->partition,
           ks_clock_mono_ms() - log->started_ms);
    if (th->has_rl && th->rl.on_end)
        th->rl.on_end(store, log->topic, task->partition, log->restored,
                      th->rl_opaque);
    return true;
}

/* A task whose ranges are all done: init its nodes and let it run. */
static kstream_err_t task_restored(ks_thread_t *th, ks_task_t *task)
{
    task->restoring = false;
    th->restore.last = NULL;
    kstream_err_t err = ks_task_init_nodes(task, th);
    if (err) {
        th->failed = true;
        th->error_code = err;
    }
    return err;
}

static kstream_err_t finish_batch(ks_thread_t *th, bool *worked)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        ks_task_t *task = th->tasks.items[t];
        if (!task->restoring)
            continue;
        bool done = true;
        for (size_t i = 0; i < task->nlogs; i++) {
            ks_store_log_t *log = &task->logs[i];
            if (!log->restoring)
                continue;
            if (!log_progress(th, task, log)) {
                done = false;
                continue;
            }
            /* Back to reads and writes (the store is complete); under
             * exactly-once its transactional layer records the offset. */
            kstream_err_t err = ks_store_bulk(log->below, false);
            ks_store_t *txn = task->env.stores[log->store].txn;
            if (!err && txn)
                err = ks_txn_commit(txn, log->position);
            if (err) {
                ks_thread_fail(th, err,
                               "task %d_%d: store '%s': ending the restore "
                               "failed: %s",
                               task->sub->id, (int)task->partition,
                               log_store_name(task, log), kstream_err2str(err));
                return err;
            }
        }
        if (done) {
            *worked = true;
            kstream_err_t err = task_restored(th, task);
            if (err)
                return err;
        }
    }
    return KSTREAM_OK;
}

kstream_err_t ks_thread_restore_apply(ks_thread_t *th, size_t n,
                                      bool *worked)
{
    ks_restorer_t *r = &th->restore;
    if (!r->client)
        return KSTREAM_OK;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < n && !err; i++) {
        const ks_msg_t *m = &r->batch[i];
        ks_task_t *task = NULL;
        ks_store_log_t *log = find_log(th, m, &task);
        /* Unknown: revoked meanwhile. Behind: a stale fetch from before a
         * re-assignment. */
        if (!log || m->offset < log->position)
            continue;
        err = apply_one(th, log, m);
        if (err) {
            restore_failed(th, task, log, m, err);
            break;
        }
        log->position = m->offset + 1;
        log->restored++;
        log->batch++;
        th->m.restored++;
    }
    r->client->ops->release(r->client, r->batch, n);
    if (n)
        *worked = true;
    return err ? err : finish_batch(th, worked);
}

void ks_task_restore_end(ks_task_t *task, ks_thread_t *th)
{
    th->restore.last = NULL;
    if (!task->restoring)
        return;
    th->restore.dirty = true;
    ks_log(&th->log, KS_LOG_INFO, "RESTORE",
           "task %d_%d closed while restoring", task->sub->id,
           (int)task->partition);
}

void ks_thread_restore_close(ks_thread_t *th)
{
    ks_restorer_t *r = &th->restore;
    if (r->client)
        r->client->ops->destroy(r->client);
    free(r->batch);
    free(r->scratch);
    memset(r, 0, sizeof(*r));
}
