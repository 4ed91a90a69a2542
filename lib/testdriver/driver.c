/* driver.c - kstream_test_driver_t (Kafka Streams' TopologyTestDriver): the
 * real runtime (one stream thread, its tasks, commit protocol) on the
 * simulated cluster, driven synchronously with a virtual wall clock. */
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "testdriver/driver_int.h"

/* Guard against records that loop forever (e.g. a dynamic sink writing
 * back to a source topic). */
#define KS_DRIVER_MAX_RECORDS_PER_CALL 100000000ull

static int64_t driver_now(void *opaque)
{
    return ((kstream_test_driver_t *)opaque)->wall;
}

kstream_err_t ks_drv_error(kstream_test_driver_t *drv, kstream_err_t err,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(drv->last_error, sizeof(drv->last_error), fmt, ap);
    va_end(ap);
    return err;
}

/* Clients of the driver's threads: group members of application.id for
 * the main consumer, plain consumers otherwise. */
static ks_client_t *driver_client(void *opaque, ks_client_kind_t kind,
                                  const ks_client_events_t *events,
                                  char *errstr, size_t errstr_size)
{
    kstream_test_driver_t *drv = opaque;
    /* Under exactly-once every consumer reads committed and the main
     * client is transactional, named as the Kafka runtime names it: the
     * driver is one process ("0") with one thread (0), the same across
     * restarts, so a restarted instance fences its crashed predecessor. */
    char txn_id[512];
    snprintf(txn_id, sizeof(txn_id), KS_TXN_ID_FMT, drv->app_id, "0", 0);
    ks_sim_client_conf_t cc = {
            .group = kind == KS_CLIENT_MAIN ? drv->app_id : NULL,
            .transactional_id = drv->eos && kind == KS_CLIENT_MAIN ? txn_id
                                                                   : NULL,
            .read_committed = drv->eos,
            .transaction_timeout_ms = 10000};
    ks_client_t *c = ks_sim_client_new_conf(drv->sim, &cc, events);
    if (!c)
        ks_errstr(errstr, errstr_size, "out of memory making a client");
    return c;
}

/* A stream thread over the driver's state directory and clients. */
ks_thread_t *ks_drv_make_thread(kstream_test_driver_t *drv,
                                const kstream_conf_t *conf, char *errstr,
                                size_t errstr_size)
{
    ks_thread_t *th = ks_thread_new(drv->topo, conf, drv->app_id, driver_now,
                                    drv, errstr, errstr_size);
    if (!th)
        return NULL;
    /* Every commit checkpoints: what a test sees does not depend on how
     * many records it piped. */
    th->checkpoint_records = 0;
    free(th->state_dir);
    th->state_dir = ks_strdup(drv->state_dir);
    if (!th->state_dir) {
        ks_errstr(errstr, errstr_size, "out of memory");
        ks_thread_destroy(th);
        return NULL;
    }
    th->factory = (ks_client_factory_t){driver_client, drv};
    th->rl = drv->rl;
    th->rl_opaque = drv->rl_opaque;
    th->has_rl = drv->has_rl;
    return th;
}

/* Each driver gets its own state directory, removed at destroy. */
static int make_state_dir(kstream_test_driver_t *drv,
                          const kstream_conf_t *conf, char *errstr,
                          size_t errstr_size)
{
    const char *sd = ks_conf_str(conf, "state.dir");
    char tmpl[1024];
    snprintf(tmpl, sizeof(tmpl), "%s", sd ? sd : "/tmp/kstream");
    if (ks_mkdirs(tmpl) != 0) {
        ks_errstr(errstr, errstr_size, "cannot create state.dir '%s'", tmpl);
        return -1;
    }
    snprintf(tmpl, sizeof(tmpl), "%s/%s-XXXXXX", sd ? sd : "/tmp/kstream",
             drv->app_id);
    if (!mkdtemp(tmpl) || !(drv->state_dir = ks_strdup(tmpl))) {
        ks_errstr(errstr, errstr_size,
                  "cannot create a state directory in '%s'",
                  sd ? sd : "/tmp/kstream");
        return -1;
    }
    return 0;
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
    if (make_state_dir(drv, c, errstr, errstr_size) != 0 ||
        !(drv->th = ks_drv_make_thread(drv, c, errstr, errstr_size))) {
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
    ks_thread_destroy(drv->th);
    if (drv->cursors) {
        size_t it = 0;
        const char *k;
        void *v;
        while (ks_map_next(drv->cursors, &it, &k, &v))
            free(v);
        ks_map_destroy(drv->cursors);
    }
    ks_sim_destroy(drv->sim);
    if (drv->state_dir) {
        ks_rmtree(drv->state_dir);
        free(drv->state_dir);
    }
    kstream_topology_destroy(drv->topo);
    kstream_conf_destroy(drv->conf);
    free(drv->app_id);
    free(drv);
}

static int32_t sim_pcount(void *opaque, const char *topic)
{
    return ks_sim_partitions(opaque, topic);
}

/* After a pass that worked, whether another would find nothing to do:
 * nothing buffered, nothing unread, no restore or global table to feed.
 * Saves the empty pass per piped record. */
static bool quiet(const ks_thread_t *th)
{
    if (th->nglobals || ks_thread_restoring(th) ||
        !ks_sim_client_idle(th->client))
        return false;
    for (size_t i = 0; i < th->tasks.len; i++)
        if (((const ks_task_t *)th->tasks.items[i])->buffered)
            return false;
    return true;
}

/* The thread failed (err): the driver stays failed until a restart. */
static kstream_err_t thread_failed(kstream_test_driver_t *drv,
                                   kstream_err_t err)
{
    drv->failed = err;
    if (ks_drv_crash_note(drv))
        return err;
    return ks_drv_error(drv, err, "%s", drv->th->error);
}

static kstream_err_t run_until_idle(kstream_test_driver_t *drv)
{
    uint64_t start = drv->th->m.processed;
    for (;;) {
        bool worked = false;
        kstream_err_t err = ks_thread_run_once(drv->th, 0, &worked);
        if (err) {
            if (drv->th->failed || ks_drv_crash_note(drv))
                return thread_failed(drv, err);
            return ks_drv_error(drv, err, "processing failed: %s",
                                kstream_err2str(err));
        }
        if (!worked || quiet(drv->th))
            return KSTREAM_OK;
        if (drv->th->m.processed - start > KS_DRIVER_MAX_RECORDS_PER_CALL) {
            drv->failed = KSTREAM_ERR_FAILED;
            return ks_drv_error(drv, KSTREAM_ERR_FAILED,
                             "more than %llu records from one call: records "
                             "loop through topics",
                             KS_DRIVER_MAX_RECORDS_PER_CALL);
        }
    }
}

kstream_err_t ks_drv_commit(kstream_test_driver_t *drv)
{
    /* What a commit flushes out of caches may feed later sub-topologies
     * (through repartition topics), whose caches then hold it: commit
     * until nothing more moves, so the call leaves nothing buffered. */
    for (int round = 0; round < 64; round++) {
        kstream_err_t err = ks_thread_commit(drv->th);
        if (err && drv->th->failed)
            return thread_failed(drv, err);
        if (err)
            return ks_drv_error(drv, err, "commit failed: %s",
                                kstream_err2str(err));
        uint64_t before = drv->th->m.processed;
        err = run_until_idle(drv);
        if (err || drv->th->m.processed == before)
            return err;
    }
    return KSTREAM_OK;
}

kstream_err_t ks_drv_settle(kstream_test_driver_t *drv)
{
    kstream_err_t err = run_until_idle(drv);
    /* Exactly-once output is visible once committed: like Kafka Streams'
     * TopologyTestDriver, commit after each call. */
    if (!err && drv->eos)
        err = ks_drv_commit(drv);
    return err;
}

/* Open (and bootstrap) the thread's global tables, then join the group. */
kstream_err_t ks_drv_start_thread(kstream_test_driver_t *drv)
{
    ks_thread_t *th = drv->th;
    char errstr[512] = "";
    ks_client_t *gclient = driver_client(drv, KS_CLIENT_GLOBAL, NULL, errstr,
                                         sizeof(errstr));
    if (!gclient)
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "%s", errstr);
    kstream_err_t err = ks_thread_open_globals(th, gclient, drv->last_error,
                                               sizeof(drv->last_error));
    if (err) {
        drv->failed = err;
        ks_drv_crash_note(drv);
        return err;
    }
    ks_client_events_t ev = ks_thread_events(th);
    ks_client_t *client = driver_client(drv, KS_CLIENT_MAIN, &ev, errstr,
                                        sizeof(errstr));
    if (!client)
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "%s", errstr);
    err = ks_thread_attach(th, client);
    if (err) {
        drv->failed = err;
        if (ks_drv_crash_note(drv))
            return err;
        return ks_drv_error(drv, err, "starting the instance failed: %s",
                            th->failed ? th->error : kstream_err2str(err));
    }
    return KSTREAM_OK;
}

kstream_err_t ks_drv_start(kstream_test_driver_t *drv)
{
    if (drv->failed)
        return ks_drv_error(drv, KSTREAM_ERR_FAILED,
                         "the driver failed earlier: %s", drv->last_error);
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
    err = ks_drv_start_thread(drv);
    if (err) {
        drv->failed = err;
        return err;
    }
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
    if (drv->th) {
        drv->th->rl = drv->rl;
        drv->th->rl_opaque = opaque;
        drv->th->has_rl = true;
    }
    return KSTREAM_OK;
}

kstream_err_t kstream_test_driver_create_topic(kstream_test_driver_t *drv,
                                               const char *topic,
                                               int32_t partitions)
{
    if (!drv || !topic || !ks_dsl_topic_valid(topic) || partitions < 1)
        return KSTREAM_ERR_INVALID_ARG;
    if (drv->started && ks_map_get(drv->th->sources, topic))
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

kstream_err_t kstream_test_driver_pipe_ex(kstream_test_driver_t *drv,
                                          const char *topic,
                                          int32_t partition, const void *key,
                                          size_t key_len, const void *value,
                                          size_t value_len, int64_t timestamp,
                                          const kstream_header_t *headers,
                                          size_t nheaders)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    /* Pipes mostly go to one topic: its name is checked once. */
    if (!topic || !topic[0] || strcmp(topic, drv->piped) != 0) {
        if (!topic || !ks_dsl_topic_valid(topic))
            return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                             "invalid topic name");
        snprintf(drv->piped, sizeof(drv->piped), "%s", topic);
    }
    if (partition < -1)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                         "partition %d is invalid", (int)partition);
    if (timestamp < 0)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_TIMESTAMP,
                         "timestamp %lld is negative", (long long)timestamp);
    if (nheaders && !headers)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG, "headers is NULL");
    for (size_t i = 0; i < nheaders; i++)
        if (!headers[i].name)
            return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                             "header %zu has no name", i);
    kstream_err_t err = ks_drv_start(drv);
    if (err)
        return err;
    /* Let the stores this record will touch start fetching while it is
     * stored and polled (runtime/hint.c). */
    const ks_rqueue_t *hq = NULL;
    if (key && drv->th) {
        int32_t hp = partition >= 0 ? partition
                                    : ks_sim_key_partition(drv->sim, topic,
                                                           key, key_len);
        hq = hp >= 0 ? ks_thread_hint_queue(drv->th, topic, hp) : NULL;
        if (hq)
            ks_rqueue_hint(hq, key, key_len, false);
    }
    ks_out_t out = {.topic = topic,
                    .partition = partition,
                    .key = key,
                    .key_len = key ? key_len : 0,
                    .value = value,
                    .value_len = value ? value_len : 0,
                    .timestamp = timestamp,
                    .headers = headers,
                    .nheaders = nheaders};
    err = ks_sim_append(drv->sim, &out, NULL, NULL);
    if (err)
        return ks_drv_error(drv, err, "pipe to '%s' [%d]: %s", topic,
                         (int)partition, kstream_err2str(err));
    if (hq)
        ks_rqueue_hint(hq, key, key_len, true);
    return ks_drv_settle(drv);
}

kstream_err_t kstream_test_driver_pipe(kstream_test_driver_t *drv,
                                       const char *topic, const void *key,
                                       size_t key_len, const void *value,
                                       size_t value_len, int64_t timestamp)
{
    return kstream_test_driver_pipe_ex(drv, topic, -1, key, key_len, value,
                                       value_len, timestamp, NULL, 0);
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
    err = ks_thread_punctuate_wall(drv->th);
    if (err)
        return thread_failed(drv, err);
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

