/* globals.c - the app's global stores, per stream thread (Kafka Streams'
 * GlobalStateManager, without the separate thread): every partition of
 * each global topic, read from the beginning into a store under
 * <state_dir>/global-<idx>/<store> (RocksDB) or in memory. The directory
 * is wiped at open - the topic is the store's log, and a per-thread copy
 * keeps threads from sharing a RocksDB directory - and bootstrapped to the
 * topics' end offsets before the thread processes anything, so that joins
 * against a global table see its whole content from the first record. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

/* Poll timeout while bootstrapping: short, to check the deadline. */
#define KS_GLOBAL_POLL_MS 100

static kstream_err_t global_produce(void *owner, const ks_out_t *out)
{
    (void)owner;
    (void)out;
    return KSTREAM_ERR_STATE; /* global stores have no changelog */
}

static ks_task_store_t *global_slot(ks_thread_t *th, const char *topic)
{
    for (size_t g = 0; g < th->nglobals; g++)
        if (strcmp(th->globals[g].def->global_topic, topic) == 0)
            return &th->globals[g];
    return NULL;
}

/* Remember how far partition (topic, partition) was read. */
static void global_advance(ks_thread_t *th, const ks_msg_t *m)
{
    for (size_t i = 0; i < th->nglobal_tps; i++) {
        if (th->global_tps[i].partition == m->partition &&
            strcmp(th->global_tps[i].topic, m->topic) == 0) {
            if (m->offset + 1 > th->global_next[i])
                th->global_next[i] = m->offset + 1;
            return;
        }
    }
}

/* Apply polled records (global values are timestamped: [ts][value]). */
static kstream_err_t global_apply(ks_thread_t *th, const ks_msg_t *msgs,
                                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ks_msg_t *m = &msgs[i];
        global_advance(th, m);
        ks_task_store_t *slot = global_slot(th, m->topic);
        if (!slot || !m->key) {
            th->m.dropped += slot ? 1 : 0;
            continue;
        }
        ks_store_t *top = ks_pstore_stack(slot->ps);
        kstream_err_t err;
        if (m->value) {
            uint8_t *tv = ks_restore_scratch(th, m->value_len + 8);
            if (!tv)
                return KSTREAM_ERR_NO_MEMORY;
            ks_put_be64(tv, m->timestamp);
            memcpy(tv + 8, m->value, m->value_len);
            err = top->ops->put(top, m->key, m->key_len, tv,
                                m->value_len + 8);
        } else {
            err = top->ops->put(top, m->key, m->key_len, NULL, 0);
        }
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

static kstream_err_t open_global(ks_thread_t *th, const ks_store_def_t *def,
                                 const char *gdir, char *errstr,
                                 size_t errstr_size)
{
    ks_task_store_t *slot = &th->globals[th->nglobals];
    slot->def = def;
    char dir[900] = "";
    if (ks_store_persistent(th, def))
        snprintf(dir, sizeof(dir), "%s/%s", gdir, def->name);
    ks_task_env_t env = {.produce = global_produce};
    ks_store_t *top = ks_store_stack_open(th, def, dir, 0, &env, slot, NULL,
                                          errstr, errstr_size);
    kstream_store_t *ps = top ? ks_pstore_new(top, def->name, def->type, true,
                                              true, 0, NULL, &th->log)
                              : NULL;
    if (!ps) {
        if (top)
            top->ops->close(top);
        return KSTREAM_ERR_STORE;
    }
    slot->ps = ps;
    th->nglobals++;
    return KSTREAM_OK;
}

/* Every partition of def's topic into th->global_tps. */
static kstream_err_t add_partitions(ks_thread_t *th, const ks_store_def_t *def,
                                    char *errstr, size_t errstr_size)
{
    ks_client_t *c = th->global_client;
    int32_t parts = 0;
    kstream_err_t err = c->ops->partition_count(c, def->global_topic, &parts);
    if (err) {
        ks_errstr(errstr, errstr_size, "global table '%s': topic '%s': %s",
                  def->name, def->global_topic, kstream_err2str(err));
        return err;
    }
    size_t n = th->nglobal_tps + (size_t)parts;
    ks_tp_t *tps = realloc(th->global_tps, (n ? n : 1) * sizeof(*tps));
    if (tps)
        th->global_tps = tps;
    int64_t *next = realloc(th->global_next, (n ? n : 1) * sizeof(*next));
    if (next)
        th->global_next = next;
    if (!tps || !next)
        return KSTREAM_ERR_NO_MEMORY;
    for (int32_t p = 0; p < parts; p++) {
        tps[th->nglobal_tps] = (ks_tp_t){def->global_topic, p};
        next[th->nglobal_tps++] = 0;
    }
    return KSTREAM_OK;
}

/* Has partition i reached end? Either its records up to end were read, or
 * the client says nothing is left (a log whose start moved past the
 * offsets we count). */
static bool global_caught_up(ks_thread_t *th, size_t i, int64_t end)
{
    if (th->global_next[i] >= end)
        return true;
    int64_t lag = -1;
    ks_client_t *c = th->global_client;
    return c->ops->lag && c->ops->lag(c, &th->global_tps[i], &lag) == 0 &&
           lag == 0;
}

static kstream_err_t bootstrap(ks_thread_t *th, char *errstr,
                               size_t errstr_size)
{
    ks_client_t *c = th->global_client;
    size_t n = th->nglobal_tps;
    int64_t *ends = calloc(n ? n : 1, sizeof(*ends));
    if (!ends)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < n && !err; i++) {
        err = c->ops->end_offset(c, &th->global_tps[i], &ends[i]);
        if (err)
            ks_errstr(errstr, errstr_size,
                      "global table topic '%s' [%d]: end offset: %s",
                      th->global_tps[i].topic,
                      (int)th->global_tps[i].partition,
                      kstream_err2str(err));
    }
    int64_t t0 = ks_clock_mono_ms();
    uint64_t total = 0;
    for (size_t i = 0; i < n && !err;) {
        if (global_caught_up(th, i, ends[i])) {
            i++;
            continue;
        }
        if (ks_clock_mono_ms() - t0 > th->api_timeout_ms) {
            ks_errstr(errstr, errstr_size,
                      "global table topic '%s' [%d]: bootstrap reached "
                      "offset %" PRId64 " of %" PRId64 " in %" PRId64
                      " ms (default.api.timeout.ms)",
                      th->global_tps[i].topic,
                      (int)th->global_tps[i].partition, th->global_next[i],
                      ends[i], th->api_timeout_ms);
            err = KSTREAM_ERR_TIMEOUT;
            break;
        }
        size_t got = 0;
        err = c->ops->poll(c, th->batch, th->batch_max, &got,
                           KS_GLOBAL_POLL_MS);
        if (!err)
            err = global_apply(th, th->batch, got);
        c->ops->release(c, th->batch, got);
        total += got;
        if (err)
            ks_errstr(errstr, errstr_size, "global table bootstrap: %s",
                      kstream_err2str(err));
    }
    free(ends);
    if (!err)
        ks_log(&th->log, total ? KS_LOG_INFO : KS_LOG_DEBUG, "GLOBAL",
               "thread %d: global tables bootstrapped: %" PRIu64
               " records from %zu partitions in %" PRId64 " ms",
               th->idx, total, n, ks_clock_mono_ms() - t0);
    return err;
}

kstream_err_t ks_thread_open_globals(ks_thread_t *th, ks_client_t *client,
                                     char *errstr, size_t errstr_size)
{
    const kstream_topology_t *t = th->topo;
    size_t n = 0;
    for (size_t i = 0; i < t->stores.len; i++)
        if (((ks_store_def_t *)t->stores.items[i])->global_topic)
            n++;
    ks_thread_lock(th);
    th->global_client = client;
    kstream_err_t err = KSTREAM_OK;
    if (n && !(th->globals = calloc(n, sizeof(ks_task_store_t))))
        err = KSTREAM_ERR_NO_MEMORY;
    char gdir[800];
    snprintf(gdir, sizeof(gdir), "%s/global-%d", th->state_dir, th->idx);
    if (n)
        ks_rmtree(gdir);
    for (size_t i = 0; i < t->stores.len && !err; i++) {
        const ks_store_def_t *def = t->stores.items[i];
        if (!def->global_topic)
            continue;
        err = open_global(th, def, gdir, errstr, errstr_size);
        if (!err)
            err = add_partitions(th, def, errstr, errstr_size);
    }
    if (!err && n) {
        ks_tp_offset_t *tpo = calloc(th->nglobal_tps, sizeof(*tpo));
        err = tpo ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
        for (size_t i = 0; !err && i < th->nglobal_tps; i++)
            tpo[i] = (ks_tp_offset_t){th->global_tps[i].topic,
                                      th->global_tps[i].partition, -1};
        if (!err)
            err = client->ops->assign(client, tpo, th->nglobal_tps);
        free(tpo);
        if (!err)
            err = bootstrap(th, errstr, errstr_size);
    }
    ks_thread_unlock(th);
    return err;
}

kstream_err_t ks_thread_update_globals(ks_thread_t *th)
{
    if (!th->nglobals)
        return KSTREAM_OK;
    ks_client_t *c = th->global_client;
    /* Applies what has arrived; a poll returning nothing ends the round
     * (whatever comes later is applied on the next one). */
    for (;;) {
        size_t n = 0;
        kstream_err_t err = c->ops->poll(c, th->batch, th->batch_max, &n, 0);
        if (err || n == 0)
            return err;
        err = global_apply(th, th->batch, n);
        c->ops->release(c, th->batch, n);
        if (err)
            return err;
    }
}

void ks_thread_close_globals(ks_thread_t *th)
{
    for (size_t g = 0; g < th->nglobals; g++)
        ks_pstore_close(th->globals[g].ps);
    free(th->globals);
    th->globals = NULL;
    th->nglobals = 0;
    free(th->global_tps);
    free(th->global_next);
    th->global_tps = NULL;
    th->global_next = NULL;
    th->nglobal_tps = 0;
    if (th->global_client)
        th->global_client->ops->destroy(th->global_client);
    th->global_client = NULL;
}
