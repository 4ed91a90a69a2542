/* driver_instances.c - the application instances of the test driver: each
 * one a stream thread with its own state directory and transactional id,
 * all members of the group application.id on the simulated cluster. Every
 * driver call runs the live instances round-robin (one run_once pass each
 * in index order) until all of them are idle, so the rebalances that
 * members joining, leaving or being dropped cause happen inside it. */
#include <stdlib.h>
#include <string.h>

#include "testdriver/driver_int.h"

/* Guard against records that loop forever (e.g. a dynamic sink writing
 * back to a source topic). */
#define KS_DRIVER_MAX_RECORDS_PER_CALL 100000000ull
/* Passes in a row in which no instance did anything, while a client still
 * is not idle (a rebalance waiting for a partition that a crashed member
 * holds), before a call gives up waiting. */
#define KS_DRIVER_MAX_IDLE_PASSES 3

static int64_t driver_now(void *opaque)
{
    return ((kstream_test_driver_t *)opaque)->wall;
}

/* Clients of an instance's thread: group members of application.id for
 * the main consumer, plain consumers otherwise. */
static ks_client_t *driver_client(void *opaque, ks_client_kind_t kind,
                                  const ks_client_events_t *events,
                                  char *errstr, size_t errstr_size)
{
    ks_drv_inst_t *in = opaque;
    kstream_test_driver_t *drv = in->drv;
    /* Under exactly-once every consumer reads committed and the main
     * client is transactional, named as the Kafka runtime names it: each
     * instance is one process ("<index>") with one thread (0), the same
     * across restarts, so a restarted instance fences its crashed
     * predecessor. */
    char txn_id[512], pid[16];
    snprintf(pid, sizeof(pid), "%d", in->index);
    snprintf(txn_id, sizeof(txn_id), KS_TXN_ID_FMT, drv->app_id, pid, 0);
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

ks_thread_t *ks_drv_make_thread(ks_drv_inst_t *in,
                                const kstream_conf_t *conf, char *errstr,
                                size_t errstr_size)
{
    kstream_test_driver_t *drv = in->drv;
    ks_thread_t *th = ks_thread_new(drv->topo, conf, drv->app_id, driver_now,
                                    drv, errstr, errstr_size);
    if (!th)
        return NULL;
    /* Every commit checkpoints: what a test sees does not depend on how
     * many records it piped. */
    th->checkpoint_records = 0;
    free(th->state_dir);
    th->state_dir = ks_strdup(in->state_dir);
    if (!th->state_dir) {
        ks_errstr(errstr, errstr_size, "out of memory");
        ks_thread_destroy(th);
        return NULL;
    }
    th->factory = (ks_client_factory_t){driver_client, in};
    th->rl = drv->rl;
    th->rl_opaque = drv->rl_opaque;
    th->has_rl = drv->has_rl;
    return th;
}

/* Each instance gets its own state directory, removed at destroy. */
static char *make_state_dir(const kstream_test_driver_t *drv,
                            const kstream_conf_t *conf, char *errstr,
                            size_t errstr_size)
{
    const char *sd = ks_conf_str(conf, "state.dir");
    char tmpl[1024];
    snprintf(tmpl, sizeof(tmpl), "%s", sd ? sd : "/tmp/kstream");
    if (ks_mkdirs(tmpl) != 0) {
        ks_errstr(errstr, errstr_size, "cannot create state.dir '%s'", tmpl);
        return NULL;
    }
    snprintf(tmpl, sizeof(tmpl), "%s/%s-XXXXXX", sd ? sd : "/tmp/kstream",
             drv->app_id);
    char *dir = mkdtemp(tmpl) ? ks_strdup(tmpl) : NULL;
    if (!dir)
        ks_errstr(errstr, errstr_size,
                  "cannot create a state directory in '%s'",
                  sd ? sd : "/tmp/kstream");
    return dir;
}

ks_drv_inst_t *ks_drv_inst_new(kstream_test_driver_t *drv,
                               const kstream_conf_t *conf, char *errstr,
                               size_t errstr_size)
{
    ks_drv_inst_t *in = calloc(1, sizeof(*in));
    if (!in) {
        ks_errstr(errstr, errstr_size, "out of memory making an instance");
        return NULL;
    }
    in->drv = drv;
    in->index = (int)drv->insts.len;
    if (!(in->state_dir = make_state_dir(drv, conf, errstr, errstr_size)) ||
        !(in->th = ks_drv_make_thread(in, conf, errstr, errstr_size))) {
        ks_drv_inst_free(in);
        return NULL;
    }
    if (ks_vec_push(&drv->insts, in)) {
        ks_errstr(errstr, errstr_size, "out of memory making an instance");
        ks_drv_inst_free(in);
        return NULL;
    }
    return in;
}

void ks_drv_inst_free(ks_drv_inst_t *in)
{
    if (!in)
        return;
    ks_thread_destroy(in->th);
    if (in->state_dir) {
        ks_rmtree(in->state_dir);
        free(in->state_dir);
    }
    free(in);
}

ks_drv_inst_t *ks_drv_inst(const kstream_test_driver_t *drv, int i)
{
    return i >= 0 && (size_t)i < drv->insts.len ? drv->insts.items[i] : NULL;
}

ks_drv_inst_t *ks_drv_inst_of(const kstream_test_driver_t *drv,
                              const ks_client_t *client)
{
    for (size_t i = 0; client && i < drv->insts.len; i++) {
        ks_drv_inst_t *in = drv->insts.items[i];
        const ks_thread_t *th = in->th;
        if (th && (th->client == client || th->restore.client == client ||
                   th->global_client == client))
            return in;
    }
    return NULL;
}

bool ks_drv_inst_live(const ks_drv_inst_t *in)
{
    return in && in->th && in->th->client && !in->failed;
}

ks_drv_inst_t *ks_drv_failed_inst(const kstream_test_driver_t *drv)
{
    for (size_t i = 0; i < drv->insts.len; i++)
        if (((ks_drv_inst_t *)drv->insts.items[i])->failed)
            return drv->insts.items[i];
    return NULL;
}

kstream_err_t ks_drv_inst_failed(ks_drv_inst_t *in, kstream_err_t err)
{
    in->failed = err;
    if (ks_drv_crash_note(in))
        return err;
    const char *why = in->th && in->th->error[0] ? in->th->error
                                                 : kstream_err2str(err);
    if (in->index == 0)
        return ks_drv_error(in->drv, err, "%s", why);
    return ks_drv_error(in->drv, err, "instance %d: %s", in->index, why);
}

/* After a pass that worked, whether another would find nothing to do for
 * this thread: nothing buffered, nothing unread, no restore or global
 * table to feed. Saves the empty pass per piped record. */
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

static uint64_t processed(const kstream_test_driver_t *drv)
{
    uint64_t n = 0;
    for (size_t i = 0; i < drv->insts.len; i++) {
        const ks_drv_inst_t *in = drv->insts.items[i];
        n += in->th ? in->th->m.processed : 0;
    }
    return n;
}

/* One run_once pass over the live instances. */
static kstream_err_t run_pass(kstream_test_driver_t *drv, uint64_t start,
                              bool *worked)
{
    *worked = false;
    for (size_t i = 0; i < drv->insts.len; i++) {
        ks_drv_inst_t *in = drv->insts.items[i];
        if (!ks_drv_inst_live(in))
            continue;
        bool w = false;
        kstream_err_t err = ks_thread_run_once(in->th, 0, &w);
        if (err) {
            if (in->th->failed || ks_drv_crash_note(in))
                return ks_drv_inst_failed(in, err);
            return ks_drv_error(drv, err, "processing failed: %s",
                                kstream_err2str(err));
        }
        *worked |= w;
        if (processed(drv) - start > KS_DRIVER_MAX_RECORDS_PER_CALL) {
            in->failed = KSTREAM_ERR_FAILED;
            return ks_drv_error(drv, KSTREAM_ERR_FAILED,
                                "more than %llu records from one call: "
                                "records loop through topics",
                                KS_DRIVER_MAX_RECORDS_PER_CALL);
        }
    }
    return KSTREAM_OK;
}

/* Run passes until every live instance is quiet, or a pass did nothing
 * and every client is idle (or has stayed stuck for a few passes). */
static kstream_err_t run_until_idle(kstream_test_driver_t *drv)
{
    uint64_t start = processed(drv);
    for (int idle_passes = 0;;) {
        bool worked;
        kstream_err_t err = run_pass(drv, start, &worked);
        if (err)
            return err;
        bool all_quiet = true, all_idle = true;
        for (size_t i = 0; i < drv->insts.len; i++) {
            const ks_drv_inst_t *in = drv->insts.items[i];
            if (!ks_drv_inst_live(in))
                continue;
            all_quiet = all_quiet && quiet(in->th);
            all_idle = all_idle && ks_sim_client_idle(in->th->client);
        }
        if (all_quiet)
            return KSTREAM_OK;
        if (worked)
            idle_passes = 0;
        else if (all_idle || ++idle_passes >= KS_DRIVER_MAX_IDLE_PASSES)
            return KSTREAM_OK;
    }
}

kstream_err_t ks_drv_commit(kstream_test_driver_t *drv)
{
    /* What a commit flushes out of caches may feed later sub-topologies
     * (through repartition topics, perhaps on another instance), whose
     * caches then hold it: commit until nothing more moves, so the call
     * leaves nothing buffered. */
    for (int round = 0; round < 64; round++) {
        for (size_t i = 0; i < drv->insts.len; i++) {
            ks_drv_inst_t *in = drv->insts.items[i];
            if (!ks_drv_inst_live(in))
                continue;
            kstream_err_t err = ks_thread_commit(in->th);
            if (err && (in->th->failed || ks_drv_crash_note(in)))
                return ks_drv_inst_failed(in, err);
            if (err)
                return ks_drv_error(drv, err, "commit failed: %s",
                                    kstream_err2str(err));
        }
        uint64_t before = processed(drv);
        kstream_err_t err = run_until_idle(drv);
        if (err || processed(drv) == before)
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

kstream_err_t ks_drv_start_thread(ks_drv_inst_t *in)
{
    kstream_test_driver_t *drv = in->drv;
    ks_thread_t *th = in->th;
    char errstr[512] = "";
    ks_client_t *gclient = driver_client(in, KS_CLIENT_GLOBAL, NULL, errstr,
                                         sizeof(errstr));
    if (!gclient) {
        in->failed = KSTREAM_ERR_NO_MEMORY;
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "%s", errstr);
    }
    kstream_err_t err = ks_thread_open_globals(th, gclient, drv->last_error,
                                               sizeof(drv->last_error));
    if (err) {
        in->failed = err;
        ks_drv_crash_note(in);
        return err;
    }
    ks_client_events_t ev = ks_thread_events(th);
    ks_client_t *client = driver_client(in, KS_CLIENT_MAIN, &ev, errstr,
                                        sizeof(errstr));
    if (!client) {
        in->failed = KSTREAM_ERR_NO_MEMORY;
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "%s", errstr);
    }
    err = ks_thread_attach(th, client);
    if (err) {
        in->failed = err;
        if (ks_drv_crash_note(in))
            return err;
        return ks_drv_error(drv, err, "starting instance %d failed: %s",
                            in->index,
                            th->failed ? th->error : kstream_err2str(err));
    }
    return KSTREAM_OK;
}

kstream_err_t kstream_test_driver_add_instance(kstream_test_driver_t *drv,
                                               int *index)
{
    if (!drv || !index)
        return KSTREAM_ERR_INVALID_ARG;
    *index = -1;
    kstream_err_t err = ks_drv_start(drv);
    if (err)
        return err;
    char errstr[512] = "";
    ks_drv_inst_t *in = ks_drv_inst_new(drv, drv->conf, errstr,
                                        sizeof(errstr));
    if (!in)
        return ks_drv_error(drv, KSTREAM_ERR_FAILED,
                            "adding an instance failed: %s", errstr);
    *index = in->index;
    err = ks_drv_start_thread(in);
    return err ? err : ks_drv_settle(drv);
}

kstream_err_t kstream_test_driver_stop_instance(kstream_test_driver_t *drv,
                                                int index)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    ks_drv_inst_t *in = ks_drv_inst(drv, index);
    if (!in)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                            "no instance %d (%zu made)", index,
                            drv->insts.len);
    if (!drv->started) {
        kstream_err_t err = ks_drv_start(drv);
        if (err)
            return err;
    }
    if (!in->th)
        return ks_drv_error(drv, KSTREAM_ERR_STATE,
                            "instance %d is already stopped", index);
    /* As kstream_close(): commit, checkpoints, close the tasks, leave the
     * group; a failed or crashed instance closes without committing and
     * its member goes (as after its session timed out). */
    bool fired = in->crash_fired;
    ks_thread_destroy(in->th);
    in->th = NULL;
    bool crashed_closing = in->crash_fired && !fired;
    ks_sim_step_t kind = in->crash_kind;
    uint64_t step = in->crash_at;
    in->failed = KSTREAM_OK;
    in->crashed = in->crash_fired = false;
    kstream_err_t err = ks_drv_settle(drv);
    if (!err && crashed_closing)
        return ks_drv_error(drv, KSTREAM_ERR_FATAL,
                            "instance %d crashed at step %llu (%s) while it "
                            "stopped; it is stopped",
                            index, (unsigned long long)step,
                            ks_sim_step_name(kind));
    return err;
}

int kstream_test_driver_instances(const kstream_test_driver_t *drv)
{
    return drv ? (int)drv->insts.len : 0;
}

bool kstream_test_driver_instance_running(const kstream_test_driver_t *drv,
                                          int index)
{
    return drv && ks_drv_inst_live(ks_drv_inst(drv, index));
}
