/* driver_query.c - the test driver's metrics and its view of stores. */
#include <string.h>

#include "dsl/dsl.h"
#include "testdriver/driver_int.h"

kstream_err_t kstream_test_driver_metric(const kstream_test_driver_t *drv,
                                         const char *name, int64_t *value)
{
    if (!drv || !name || !value || !drv->th)
        return KSTREAM_ERR_INVALID_ARG;
    const ks_thread_t *th = drv->th;
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
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strcmp(rows[i].name, name) == 0) {
            *value = (int64_t)rows[i].v;
            return KSTREAM_OK;
        }
    }
    return KSTREAM_ERR_NOT_FOUND;
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
    const ks_thread_t *th = drv->th;
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
    if (d->global_topic)
        return kstream_store_get(kstream_test_driver_store(drv, name, 0), key,
                                 klen, value);
    const ks_thread_t *th = drv->th;
    for (size_t i = 0; i < th->tasks.len; i++) {
        const ks_task_t *task = th->tasks.items[i];
        for (size_t k = 0; k < task->nown_stores; k++) {
            if (task->env.stores[k].def != d)
                continue;
            err = kstream_store_get(task->env.stores[k].ps, key, klen, value);
            if (err != KSTREAM_ERR_NOT_FOUND)
                return err;
        }
    }
    return KSTREAM_ERR_NOT_FOUND;
}
