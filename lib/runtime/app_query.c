/* app_query.c - interactive queries: read-only access to the local stores
 * of a running app from application threads. A query takes the stream
 * thread's lock, which the thread holds while it processes, commits or
 * rebalances (never while it waits in poll), so it sees a consistent store
 * stack, record cache included, and the task cannot be closed under it. */
#include <stdlib.h>
#include <string.h>

#include "runtime/app.h"

typedef struct query {
    const ks_store_def_t *def;
    int32_t partition; /* -1: all */
    kstream_query_fn *fn;
    void *opaque;
    bool hosted, restoring;
} query_t;

/* A read-only view of the store stack for the callback. */
static kstream_err_t run_on(kstream_t *app, query_t *q, kstream_store_t *ps,
                            int32_t partition)
{
    const ks_store_def_t *d = q->def;
    kstream_store_t *view = ks_pstore_new(ks_pstore_stack(ps), d->name,
                                          d->type, d->timestamped, true,
                                          d->window_size, NULL, &app->log);
    if (!view)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = q->fn(view, partition, q->opaque);
    ks_pstore_release(view);
    return err;
}

static kstream_err_t query_thread(kstream_t *app, ks_thread_t *th, query_t *q)
{
    if (q->def->global_topic) {
        for (size_t g = 0; g < th->nglobals; g++) {
            if (th->globals[g].def != q->def)
                continue;
            q->hosted = true;
            return run_on(app, q, th->globals[g].ps, 0);
        }
        return KSTREAM_OK;
    }
    for (size_t i = 0; i < th->tasks.len; i++) {
        ks_task_t *task = th->tasks.items[i];
        if (task->sub->id != q->def->subtopology ||
            (q->partition >= 0 && task->partition != q->partition))
            continue;
        for (size_t k = 0; k < task->nown_stores; k++) {
            if (task->env.stores[k].def != q->def)
                continue;
            q->hosted = true;
            if (task->restoring) {
                q->restoring = true;
                continue;
            }
            kstream_err_t err = run_on(app, q, task->env.stores[k].ps,
                                       task->partition);
            if (err)
                return err;
        }
    }
    return KSTREAM_OK;
}

kstream_err_t kstream_query(kstream_t *app, const char *store,
                            int32_t partition, kstream_query_fn *fn,
                            void *opaque)
{
    if (!app || !store || !fn || partition < -1)
        return KSTREAM_ERR_INVALID_ARG;
    query_t q = {.def = ks_topology_store(app->topo, store),
                 .partition = partition,
                 .fn = fn,
                 .opaque = opaque};
    if (!q.def)
        return KSTREAM_ERR_UNKNOWN_NAME;
    kstream_state_t st = kstream_state(app);
    if (st != KSTREAM_STATE_RUNNING && st != KSTREAM_STATE_REBALANCING)
        return KSTREAM_ERR_STATE;
    kstream_err_t err = KSTREAM_OK;
    /* app->mu keeps each thread's pointer alive until its lock is taken
     * (a stopping thread clears the pointer under app->mu first). */
    pthread_mutex_lock(&app->mu);
    for (int i = 0; i < app->nthreads && !err; i++) {
        ks_thread_t *th = app->threads[i].th;
        if (!th)
            continue;
        ks_thread_lock(th);
        err = query_thread(app, th, &q);
        ks_thread_unlock(th);
        if (q.def->global_topic && q.hosted)
            break; /* every thread holds a copy: one is enough */
    }
    pthread_mutex_unlock(&app->mu);
    if (err)
        return err;
    if (q.restoring)
        return KSTREAM_ERR_RESTORING;
    return q.hosted ? KSTREAM_OK : KSTREAM_ERR_NOT_HOSTED;
}

typedef struct get_ctx {
    const void *key;
    size_t klen;
    void *value;
    size_t vlen;
    bool found;
} get_ctx_t;

static kstream_err_t get_one(kstream_store_t *st, int32_t partition,
                             void *opaque)
{
    (void)partition;
    get_ctx_t *g = opaque;
    if (g->found)
        return KSTREAM_OK;
    kstream_bytes_t v;
    kstream_err_t err = kstream_store_get(st, g->key, g->klen, &v);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return KSTREAM_OK;
    if (err)
        return err;
    g->value = malloc(v.len ? v.len : 1);
    if (!g->value)
        return KSTREAM_ERR_NO_MEMORY;
    if (v.len)
        memcpy(g->value, v.data, v.len);
    g->vlen = v.len;
    g->found = true;
    return KSTREAM_OK;
}

kstream_err_t kstream_query_get(kstream_t *app, const char *store,
                                const void *key, size_t klen, void **value,
                                size_t *vlen)
{
    if (!app || !store || !key || !value || !vlen)
        return KSTREAM_ERR_INVALID_ARG;
    *value = NULL;
    *vlen = 0;
    const ks_store_def_t *d = ks_topology_store(app->topo, store);
    if (!d)
        return KSTREAM_ERR_UNKNOWN_NAME;
    if (d->type != KSTREAM_STORE_KEY_VALUE)
        return KSTREAM_ERR_INVALID_ARG;
    get_ctx_t g = {.key = key, .klen = klen};
    kstream_err_t err = kstream_query(app, store, -1, get_one, &g);
    if (g.found) { /* another partition restoring does not matter */
        *value = g.value;
        *vlen = g.vlen;
        return KSTREAM_OK;
    }
    free(g.value);
    return err ? err : KSTREAM_ERR_NOT_FOUND;
}
