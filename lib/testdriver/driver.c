/* driver.c - kstream_test_driver_t (Kafka Streams' TopologyTestDriver): the
 * real runtime (stream threads, their tasks, commit protocol) on the
 * simulated cluster, driven synchronously with a virtual wall clock. One
 * application instance from the start; more join with
 * kstream_test_driver_add_instance() (driver_instances.c). */
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "testdriver/driver_int.h"

kstream_err_t ks_drv_error(kstream_test_driver_t *drv, kstream_err_t err,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(drv->last_error, sizeof(drv->last_error), fmt, ap);
    va_end(ap);
    return err;
}

kstream_test_driver_t *kstream_test_driver_new(kstream_topology_t *topology,
                                               kstream_conf_t *conf,
                                               char *errstr,
                                               size_t errstr_size)
{
    if (!topology) {
        ks_errstr(errstr, errstr_size, "topology is NULL");
        return NULL;
    }
    kstream_test_driver_t *drv = calloc(1, sizeof(*drv));
    kstream_conf_t *own = conf ? NULL : kstream_conf_new();
    const kstream_conf_t *c = conf ? conf : own;
    if (!drv || !c)
        goto oom;
    const char *app_id = ks_conf_str(c, "application.id");
    drv->app_id = ks_strdup(app_id && *app_id ? app_id : "kstream-test");
    drv->wall = ks_conf_int(c, "test.wall.clock.start.ms");
    drv->sim = ks_sim_new();
    drv->cursors = ks_map_new();
    if (!drv->app_id || !drv->sim || !drv->cursors)
        goto oom;
    drv->topo = topology;
    const char *pg = ks_conf_str(c, "processing.guarantee");
    drv->eos = pg && strcmp(pg, "exactly_once_v2") == 0;
    ks_sim_set_crash_hook(drv->sim, ks_drv_crash_hook, drv);
    if (!ks_drv_inst_new(drv, c, errstr, errstr_size)) {
        drv->topo = NULL; /* still the caller's */
        kstream_conf_destroy(own);
        kstream_test_driver_destroy(drv);
        return NULL;
    }
    drv->conf = conf ? conf : own;
    return drv;
oom:
    ks_errstr(errstr, errstr_size, "out of memory creating the test driver");
    if (drv) {
        drv->topo = NULL;
        kstream_test_driver_destroy(drv);
    }
    kstream_conf_destroy(own);
    return NULL;
}

void kstream_test_driver_destroy(kstream_test_driver_t *drv)
{
    if (!drv)
        return;
    /* Every client leaves before the sim goes; no crash or expel in the
     * final commits (the hook looks at the instances being freed). */
    if (drv->sim)
        ks_sim_set_crash_hook(drv->sim, NULL, NULL);
    for (size_t i = 0; i < drv->insts.len; i++)
        ks_drv_inst_free(drv->insts.items[i]);
    ks_vec_free(&drv->insts);
    if (drv->cursors) {
        size_t it = 0;
        const char *k;
        void *v;
        while (ks_map_next(drv->cursors, &it, &k, &v))
            free(v);
        ks_map_destroy(drv->cursors);
    }
    ks_sim_destroy(drv->sim);
    kstream_topology_destroy(drv->topo);
    kstream_conf_destroy(drv->conf);
    free(drv->app_id);
    free(drv);
}

static int32_t sim_pcount(void *opaque, const char *topic)
{
    return ks_sim_partitions(opaque, topic);
}

kstream_err_t ks_drv_start(kstream_test_driver_t *drv)
{
    if (drv->failed || ks_drv_failed_inst(drv)) {
        /* Formatted from a copy: last_error is also the destination. */
        char prev[sizeof(drv->last_error)];
        const char *tag = "the driver failed earlier: ";
        snprintf(prev, sizeof(prev), "%s", drv->last_error);
        if (strncmp(prev, tag, strlen(tag)) == 0)
            return KSTREAM_ERR_FAILED; /* already said */
        return ks_drv_error(drv, KSTREAM_ERR_FAILED, "%s%s", tag, prev);
    }
    if (drv->started)
        return KSTREAM_OK;
    const kstream_topology_t *t = drv->topo;
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *n = t->nodes.items[i];
        if (n->type != KS_NODE_SOURCE || n->internal)
            continue;
        for (size_t k = 0; k < n->ntopics; k++)
            if (ks_sim_partitions(drv->sim, n->topics[k]) < 0 &&
                ks_sim_create_topic(drv->sim, n->topics[k], 1))
                return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY,
                                 "could not create topic '%s'",
                                 n->topics[k]);
    }
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (d->global_topic && ks_sim_partitions(drv->sim, d->global_topic) < 0 &&
            ks_sim_create_topic(drv->sim, d->global_topic, 1))
            return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY,
                             "could not create topic '%s'", d->global_topic);
    }
    ks_internal_topic_t *its = NULL;
    size_t nits = 0;
    kstream_err_t err = ks_internal_topics(t, drv->app_id, sim_pcount,
                                           drv->sim, &its, &nits,
                                           drv->last_error,
                                           sizeof(drv->last_error));
    if (err)
        return err;
    for (size_t i = 0; i < nits && !err; i++) {
        int32_t have = ks_sim_partitions(drv->sim, its[i].name);
        if (have < 0)
            err = ks_sim_create_topic(drv->sim, its[i].name,
                                      its[i].partitions);
        else if (have != its[i].partitions)
            err = ks_drv_error(drv, KSTREAM_ERR_INVALID_TOPOLOGY,
                            "internal topic '%s' has %d partitions, "
                            "expected %d",
                            its[i].name, (int)have, (int)its[i].partitions);
    }
    ks_internal_topics_free(its, nits);
    if (!err)
        err = ks_check_copartition(t, drv->app_id, sim_pcount, drv->sim,
                                   drv->last_error, sizeof(drv->last_error));
    if (err) {
        drv->failed = err;
        return err;
    }
    drv->started = true;
    err = ks_drv_start_thread(ks_drv_inst(drv, 0));
    if (err)
        return err;
    return ks_drv_settle(drv);
}

kstream_err_t kstream_test_driver_set_restore_listener(
        kstream_test_driver_t *drv, const kstream_restore_listener_t *listener,
        void *opaque)
{
    if (!drv || !listener)
        return KSTREAM_ERR_INVALID_ARG;
    drv->rl = *listener;
    drv->rl_opaque = opaque;
    drv->has_rl = true;
    for (size_t i = 0; i < drv->insts.len; i++) {
        ks_thread_t *th = ((ks_drv_inst_t *)drv->insts.items[i])->th;
        if (th) {
            th->rl = drv->rl;
            th->rl_opaque = opaque;
            th->has_rl = true;
        }
    }
    return KSTREAM_OK;
}

/* Whether topic (a full name) is read by a source of the topology. */
static bool is_source(const kstream_test_driver_t *drv, const char *topic)
{
    const kstream_topology_t *t = drv->topo;
    char name[512];
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *n = t->nodes.items[i];
        for (size_t k = 0; n->type == KS_NODE_SOURCE && k < n->ntopics; k++)
            if (strcmp(ks_topic_name(n->topics[k], n->internal, drv->app_id,
                                     name, sizeof(name)),
                       topic) == 0)
                return true;
    }
    return false;
}

kstream_err_t kstream_test_driver_create_topic(kstream_test_driver_t *drv,
                                               const char *topic,
                                               int32_t partitions)
{
    if (!drv || !topic || !ks_dsl_topic_valid(topic) || partitions < 1)
        return KSTREAM_ERR_INVALID_ARG;
    if (drv->started && is_source(drv, topic))
        return ks_drv_error(drv, KSTREAM_ERR_STATE,
                         "source topic '%s' must be created before the "
                         "first record",
                         topic);
    kstream_err_t err = ks_sim_create_topic(drv->sim, topic, partitions);
    if (err)
        return ks_drv_error(drv, err, "create topic '%s': %s", topic,
                         kstream_err2str(err));
    return KSTREAM_OK;
}

kstream_err_t kstream_test_driver_read(kstream_test_driver_t *drv,
                                       const char *topic,
                                       const kstream_record_t **rec)
{
    if (!drv || !topic || !rec)
        return KSTREAM_ERR_INVALID_ARG;
    *rec = NULL;
    size_t *cur = ks_map_get(drv->cursors, topic);
    if (!cur) {
        cur = calloc(1, sizeof(*cur));
        if (!cur || ks_map_put(drv->cursors, topic, cur)) {
            free(cur);
            return KSTREAM_ERR_NO_MEMORY;
        }
    }
    ks_msg_t msg;
    if (ks_sim_read_appended(drv->sim, topic, *cur, &msg) != KSTREAM_OK)
        return KSTREAM_ERR_EMPTY;
    (*cur)++;
    ks_record_from_msg(&drv->out, &msg);
    *rec = &drv->out;
    return KSTREAM_OK;
}

bool kstream_test_driver_is_empty(kstream_test_driver_t *drv,
                                  const char *topic)
{
    if (!drv || !topic)
        return true;
    size_t *cur = ks_map_get(drv->cursors, topic);
    return ks_sim_appended_count(drv->sim, topic) <= (cur ? *cur : 0);
}

kstream_err_t kstream_test_driver_advance_wall_clock(
        kstream_test_driver_t *drv, int64_t ms)
{
    if (!drv || ms < 0)
        return KSTREAM_ERR_INVALID_ARG;
    if (ms > INT64_MAX - drv->wall)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                         "advancing the wall clock by %lld ms overflows it",
                         (long long)ms);
    kstream_err_t err = ks_drv_start(drv);
    if (err)
        return err;
    drv->wall += ms;
    /* Transactions left open by a crashed instance time out. */
    ks_sim_tick(drv->sim, drv->wall);
    for (size_t i = 0; i < drv->insts.len; i++) {
        ks_drv_inst_t *in = drv->insts.items[i];
        if (ks_drv_inst_live(in) &&
            (err = ks_thread_punctuate_wall(in->th)) != KSTREAM_OK)
            return ks_drv_inst_failed(in, err);
    }
    return ks_drv_settle(drv);
}

int64_t kstream_test_driver_wall_clock(const kstream_test_driver_t *drv)
{
    return drv ? drv->wall : -1;
}

kstream_err_t kstream_test_driver_commit(kstream_test_driver_t *drv)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = ks_drv_start(drv);
    if (err)
        return err;
    return ks_drv_commit(drv);
}

const char *kstream_test_driver_last_error(const kstream_test_driver_t *drv)
{
    return drv ? drv->last_error : "";
}

