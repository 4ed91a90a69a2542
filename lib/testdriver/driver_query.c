/* driver_query.c - the test driver's metrics and its view of stores, for
 * one instance or across them. */
#include <string.h>

#include "dsl/dsl.h"
#include "testdriver/driver_int.h"

/* Add the counter `name` of th to *value; false for an unknown name. */
static bool thread_metric(const ks_thread_t *th, const char *name,
                          int64_t *value)
{
    const ks_metrics_t *m = &th->m;
    uint64_t punct = m->punctuations;
    uint64_t cnt[KS_CNT__COUNT];
    memcpy(cnt, th->counters, sizeof(cnt));
    for (size_t i = 0; i < th->tasks.len; i++) {
        const ks_task_t *task = th->tasks.items[i];
        punct += task->env.punctuations;
        for (int c = 0; c < KS_CNT__COUNT; c++)
            cnt[c] += task->env.counters[c];
    }
    struct {
        const char *name;
        uint64_t v;
    } rows[] = {
            {"records-processed", m->processed},
            {"records-produced", m->produced},
            {"records-dropped", m->dropped + cnt[KS_CNT_DROPPED]},
            {"late-records-dropped", cnt[KS_CNT_LATE]},
            {"duplicates-dropped", cnt[KS_CNT_DUPLICATE]},
            {"dlq-records", m->dlq},
            {"process-errors", m->errors[KS_ERRK_PROCESSING]},
            {"deserialization-errors", m->errors[KS_ERRK_DESERIALIZATION]},
            {"production-errors", m->errors[KS_ERRK_PRODUCTION]},
            {"punctuations", punct},
            {"commits", m->commits},
            {"records-restored", m->restored},
            {"transactions-committed", m->txn_commits},
            {"transactions-aborted", m->txn_aborts},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strcmp(rows[i].name, name) == 0) {
            *value += (int64_t)rows[i].v;
            return true;
        }
    }
    return false;
}

kstream_err_t kstream_test_driver_metric(const kstream_test_driver_t *drv,
                                         const char *name, int64_t *value)
{
    if (!drv || !name || !value)
        return KSTREAM_ERR_INVALID_ARG;
    /* The sum over the instances that have a thread (running, or failed
     * and not restarted yet): a stopped one's counters went with it. */
    int64_t sum = 0;
    bool any = false;
    for (size_t i = 0; i < drv->insts.len; i++) {
        const ks_drv_inst_t *in = drv->insts.items[i];
        if (!in->th)
            continue;
        any = true;
        if (!thread_metric(in->th, name, &sum))
            return KSTREAM_ERR_NOT_FOUND;
    }
    if (!any) { /* every instance stopped: the names are still known */
        ks_thread_t none;
        memset(&none, 0, sizeof(none));
        if (!thread_metric(&none, name, &sum))
            return KSTREAM_ERR_NOT_FOUND;
    }
    *value = sum;
    return KSTREAM_OK;
}

kstream_err_t kstream_test_driver_instance_metric(
        const kstream_test_driver_t *drv, int index, const char *name,
        int64_t *value)
{
    if (!drv || !name || !value)
        return KSTREAM_ERR_INVALID_ARG;
    const ks_drv_inst_t *in = ks_drv_inst(drv, index);
    if (!in)
        return KSTREAM_ERR_INVALID_ARG;
    ks_thread_t none;
    memset(&none, 0, sizeof(none));
    int64_t v = 0;
    if (!thread_metric(in->th ? in->th : &none, name, &v))
        return KSTREAM_ERR_NOT_FOUND;
    *value = v;
    return KSTREAM_OK;
}

/* The store def's store in th: its global store, or the one of the task
 * for partition. */
static kstream_store_t *thread_store(const ks_thread_t *th,
                                     const ks_store_def_t *d,
                                     int32_t partition)
{
    if (d->global_topic) {
        for (size_t g = 0; g < th->nglobals; g++)
            if (th->globals[g].def == d)
                return th->globals[g].ps;
        return NULL;
    }
    for (size_t i = 0; i < th->tasks.len; i++) {
        const ks_task_t *task = th->tasks.items[i];
        if (task->sub->id != d->subtopology || task->partition != partition)
            continue;
        for (size_t k = 0; k < task->nown_stores; k++)
            if (task->env.stores[k].def == d)
                return task->env.stores[k].ps;
    }
    return NULL;
}

kstream_store_t *kstream_test_driver_store(kstream_test_driver_t *drv,
                                           const char *name,
                                           int32_t partition)
{
    if (!drv || !name || ks_drv_start(drv) != KSTREAM_OK)
        return NULL;
    const ks_store_def_t *d = ks_topology_store(drv->topo, name);
    if (!d)
        return NULL;
    /* A task runs on one instance at most; instance 0 first (its copy of
     * a global table). */
    for (size_t i = 0; i < drv->insts.len; i++) {
        const ks_drv_inst_t *in = drv->insts.items[i];
        kstream_store_t *s = in->th ? thread_store(in->th, d, partition)
                                    : NULL;
        if (s)
            return s;
    }
    return NULL;
}

kstream_store_t *kstream_test_driver_instance_store(
        kstream_test_driver_t *drv, int index, const char *name,
        int32_t partition)
{
    if (!drv || !name || ks_drv_start(drv) != KSTREAM_OK)
        return NULL;
    const ks_drv_inst_t *in = ks_drv_inst(drv, index);
    const ks_store_def_t *d = ks_topology_store(drv->topo, name);
    return in && in->th && d ? thread_store(in->th, d, partition) : NULL;
}

kstream_err_t kstream_test_driver_store_get(kstream_test_driver_t *drv,
                                            const char *name, const void *key,
                                            size_t klen,
                                            kstream_bytes_t *value)
{
    if (!drv || !name || !key || !value)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = ks_drv_start(drv);
    if (err)
        return err;
    const ks_store_def_t *d = ks_topology_store(drv->topo, name);
    if (!d)
        return ks_drv_error(drv, KSTREAM_ERR_UNKNOWN_NAME, "no store '%s'",
                         name);
    if (d->type != KSTREAM_STORE_KEY_VALUE)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                         "store '%s' is not a key-value store", name);
    if (d->global_topic) {
        kstream_store_t *g = kstream_test_driver_store(drv, name, 0);
        return g ? kstream_store_get(g, key, klen, value)
                 : KSTREAM_ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < drv->insts.len; i++) {
        const ks_drv_inst_t *in = drv->insts.items[i];
        const ks_thread_t *th = in->th;
        for (size_t t = 0; th && t < th->tasks.len; t++) {
            const ks_task_t *task = th->tasks.items[t];
            for (size_t k = 0; k < task->nown_stores; k++) {
                if (task->env.stores[k].def != d)
                    continue;
                err = kstream_store_get(task->env.stores[k].ps, key, klen,
                                        value);
                if (err != KSTREAM_ERR_NOT_FOUND)
                    return err;
            }
        }
    }
    return KSTREAM_ERR_NOT_FOUND;
}
