/* task_stores.c - the state stores of tasks (Kafka Streams'
 * ProcessorStateManager store registration); global stores are in
 * globals.c, restoring in restore.c. A store stack is bottom (RocksDB
 * under <state_dir>/<sub>_<partition>/<store>, or memory), segmented for
 * window and session stores, under exactly_once_v2 the transactional
 * layer (tasks' stores), then the changelogging layer (unless
 * disabled), then the caching layer (when enabled and
 * cache.max.bytes.buffering > 0), under the public handle. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/runtime.h"

int ks_mkdirs(const char *path)
{
    char buf[1024];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int ks_rmtree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Segments of window/session stores: one bottom store each. */
typedef struct seg_ctx {
    ks_thread_t *th;
    char dir[900]; /* RocksDB: the store's directory; "" for memory */
} seg_ctx_t;

static ks_store_t *open_bottom(ks_thread_t *th, const char *dir,
                               char *errstr, size_t errstr_size)
{
    if (!dir || !*dir)
        return ks_kv_mem_new();
    if (!th->rocks) {
        th->rocks = ks_rocksdb_env_new(th->rocks_bytes, errstr, errstr_size);
        if (!th->rocks)
            return NULL;
    }
    if (ks_mkdirs(dir) != 0) {
        ks_errstr(errstr, errstr_size, "cannot create directory '%s': %s",
                  dir, strerror(errno));
        return NULL;
    }
    return ks_kv_rocksdb_open(th->rocks, dir, errstr, errstr_size);
}

static ks_store_t *seg_open(void *opaque, const char *segment, char *errstr,
                            size_t errstr_size)
{
    seg_ctx_t *sc = opaque;
    char dir[1024];
    if (!sc->dir[0])
        return ks_kv_mem_new();
    snprintf(dir, sizeof(dir), "%s/%s", sc->dir, segment);
    return open_bottom(sc->th, dir, errstr, errstr_size);
}

static void seg_drop(void *opaque, const char *segment)
{
    seg_ctx_t *sc = opaque;
    char dir[1024];
    if (!sc->dir[0])
        return;
    snprintf(dir, sizeof(dir), "%s/%s", sc->dir, segment);
    ks_rmtree(dir);
}

/* Attach the segments a persistent segmented store left in dir (named by
 * their id in decimal), so that a clean restart, which restores nothing
 * from the changelog, sees them. */
static kstream_err_t seg_attach_existing(ks_store_t *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? KSTREAM_OK : KSTREAM_ERR_IO;
    kstream_err_t err = KSTREAM_OK;
    struct dirent *e;
    while (!err && (e = readdir(d)) != NULL) {
        char *end;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        errno = 0;
        long long id = strtoll(e->d_name, &end, 10);
        if (*end == '\0' && errno == 0)
            err = ks_segmented_attach(s, (int64_t)id);
    }
    closedir(d);
    return err;
}

ks_store_t *ks_store_stack_open(ks_thread_t *th, const ks_store_def_t *def,
                                const char *dir, int32_t partition,
                                ks_task_env_t *env, ks_task_store_t *slot,
                                ks_store_t **below, char *errstr,
                                size_t errstr_size)
{
    ks_store_t *s;
    if (def->type == KSTREAM_STORE_KEY_VALUE) {
        s = open_bottom(th, dir, errstr, errstr_size);
    } else {
        seg_ctx_t *sc = calloc(1, sizeof(*sc));
        if (!sc)
            return NULL;
        sc->th = th;
        snprintf(sc->dir, sizeof(sc->dir), "%s", dir ? dir : "");
        int64_t interval = def->retention / 2;
        if (interval < 60000)
            interval = 60000;
        ks_key_time_fn *key_time = def->type != KSTREAM_STORE_WINDOW
                                           ? ks_skey_time
                                   : def->retain_duplicates ? ks_wkey_dup_time
                                                            : ks_wkey_time;
        s = ks_segmented_new(seg_open, seg_drop, sc, free, def->retention,
                             interval, key_time);
        if (!s)
            free(sc);
        else if (dir && seg_attach_existing(s, dir) != KSTREAM_OK) {
            ks_errstr(errstr, errstr_size,
                      "cannot open the segments of store '%s' in '%s'",
                      def->name, dir);
            s->ops->close(s);
            return NULL;
        }
    }
    if (!s) {
        if (errstr && !*errstr)
            ks_errstr(errstr, errstr_size, "cannot open store '%s'",
                      def->name);
        return NULL;
    }
    if (below)
        *below = s; /* restores write here, under the transactional layer */
    /* exactly_once_v2: a task's store buffers the writes of the open
     * transaction above the bottom store (global stores, fed from their
     * topics outside any transaction, have no owner). */
    if (th->eos && env->owner == th) {
        ks_store_t *t = ks_txn_wrap(s);
        if (!t) {
            s->ops->close(s);
            ks_errstr(errstr, errstr_size, "out of memory opening store '%s'",
                      def->name);
            return NULL;
        }
        slot->txn = t;
        s = t;
    }
    if (!(def->flags & KSTREAM_STORE_LOGGING_DISABLED)) {
        char topic[600];
        ks_changelog_topic(th->app_id, def->name, topic, sizeof(topic));
        ks_store_t *c = ks_changelog_wrap(s, topic, partition,
                                          (ks_produce_fn *)env->produce,
                                          env->owner, &env->cur_ts,
                                          def->timestamped);
        if (!c) {
            s->ops->close(s);
            return NULL;
        }
        s = c;
    }
    if ((def->flags & KSTREAM_STORE_CACHING_ENABLED) && th->cache_bytes > 0) {
        ks_store_t *c = ks_cache_wrap(s, th->cache, ks_store_cache_flushed,
                                      slot);
        if (!c) {
            s->ops->close(s);
            return NULL;
        }
        ks_cache_set_time(c, &env->cur_ts);
        /* Window and session stores are ranged on every record. */
        if (def->type != KSTREAM_STORE_KEY_VALUE &&
            ks_cache_set_ordered(c) != KSTREAM_OK) {
            c->ops->close(c);
            return NULL;
        }
        slot->cached = true;
        s = c;
    }
    return s;
}

bool ks_store_persistent(const ks_thread_t *th, const ks_store_def_t *def)
{
    kstream_store_backend_t b = def->backend == KSTREAM_STORE_DEFAULT
                                        ? th->default_backend
                                        : def->backend;
    return b == KSTREAM_STORE_ROCKSDB;
}

void ks_task_dir(const ks_thread_t *th, const ks_task_t *task, char *buf,
                 size_t size)
{
    snprintf(buf, size, "%s/%d_%d", th->state_dir, task->sub->id,
             (int)task->partition);
}

kstream_err_t ks_task_open_stores(ks_task_t *task, ks_thread_t *th,
                                  char *errstr, size_t errstr_size)
{
    const kstream_topology_t *t = th->topo;
    size_t n = 0;
    for (size_t i = 0; i < t->stores.len; i++)
        if (((ks_store_def_t *)t->stores.items[i])->subtopology ==
            task->sub->id)
            n++;
    task->env.stores = calloc(n + th->nglobals + 1, sizeof(ks_task_store_t));
    if (!task->env.stores)
        return KSTREAM_ERR_NO_MEMORY;
    /* Where each logged store restores from decides, first, whether its
     * directory must be wiped. */
    kstream_err_t err = ks_task_logs_prepare(task, th, errstr, errstr_size);
    if (err)
        return err;
    char tdir[800];
    ks_task_dir(th, task, tdir, sizeof(tdir));
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *def = t->stores.items[i];
        if (def->subtopology != task->sub->id)
            continue;
        ks_task_store_t *slot = &task->env.stores[task->nown_stores];
        slot->def = def;
        char dir[900] = "";
        if (ks_store_persistent(th, def))
            snprintf(dir, sizeof(dir), "%s/%s", tdir, def->name);
        ks_store_log_t *log = ks_task_log_of(task, task->nown_stores);
        ks_store_t *top = ks_store_stack_open(th, def, dir, task->partition,
                                              &task->env, slot,
                                              log ? &log->below : NULL,
                                              errstr, errstr_size);
        kstream_store_t *ps =
                top ? ks_pstore_new(top, def->name, def->type,
                                    def->timestamped, false, def->window_size,
                                    &task->env.cur_ts, &th->log)
                    : NULL;
        if (!ps) {
            if (top)
                top->ops->close(top);
            if (errstr && !*errstr)
                ks_errstr(errstr, errstr_size, "out of memory");
            return KSTREAM_ERR_STORE;
        }
        slot->ps = ps;
        task->nown_stores++;
        task->env.nstores = task->nown_stores;
    }
    for (size_t g = 0; g < th->nglobals; g++)
        task->env.stores[task->env.nstores++] = th->globals[g];
    return KSTREAM_OK;
}

kstream_err_t ks_task_flush_stores(ks_task_t *task)
{
    for (size_t i = 0; i < task->nown_stores; i++) {
        ks_store_t *top = ks_pstore_stack(task->env.stores[i].ps);
        task->env.fail_node = NULL;
        kstream_err_t err = top->ops->flush(top);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

void ks_task_close_stores(ks_task_t *task)
{
    for (size_t i = 0; i < task->nown_stores; i++)
        ks_pstore_close(task->env.stores[i].ps);
    free(task->env.stores);
    task->env.stores = NULL;
    task->env.nstores = task->nown_stores = 0;
    for (size_t i = 0; i < task->nlogs; i++)
        free(task->logs[i].topic);
    free(task->logs);
    task->logs = NULL;
    task->nlogs = 0;
}
