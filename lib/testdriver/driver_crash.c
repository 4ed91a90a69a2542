/* driver_crash.c - restarting the test driver's instances, cleanly or
 * after a crash injected at a step of the simulated cluster, and members
 * dropped from the group (zombies). */
#include <string.h>

#include "testdriver/driver_int.h"

kstream_err_t kstream_test_driver_restart_instance(kstream_test_driver_t *drv,
                                                   int index, bool wipe_state)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    ks_drv_inst_t *in = ks_drv_inst(drv, index);
    if (!in)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                            "no instance %d (%zu made)", index,
                            drv->insts.len);
    kstream_err_t err = drv->started ? KSTREAM_OK : ks_drv_start(drv);
    if (err && !drv->started)
        return err;
    /* Close the instance as kstream_close() would (commit, checkpoints,
     * close the tasks, leave the group); a failed one is closed without
     * committing, as after a crash. A stopped one just starts again. */
    ks_thread_destroy(in->th);
    in->th = NULL;
    in->failed = KSTREAM_OK;
    in->crashed = in->crash_fired = false;
    if (wipe_state && (ks_rmtree(in->state_dir) != 0 ||
                       ks_mkdirs(in->state_dir) != 0)) {
        in->failed = KSTREAM_ERR_IO;
        return ks_drv_error(drv, KSTREAM_ERR_IO,
                            "cannot wipe the state directory '%s'",
                            in->state_dir);
    }
    char errstr[512] = "";
    in->th = ks_drv_make_thread(in, drv->conf, errstr, sizeof(errstr));
    if (!in->th) {
        in->failed = KSTREAM_ERR_NO_MEMORY;
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "restart: %s",
                            errstr);
    }
    err = ks_drv_start_thread(in);
    if (err)
        return err;
    return ks_drv_settle(drv);
}

kstream_err_t kstream_test_driver_restart(kstream_test_driver_t *drv,
                                          bool wipe_state)
{
    return kstream_test_driver_restart_instance(drv, 0, wipe_state);
}

bool ks_drv_crash_hook(void *opaque, const ks_client_t *client,
                       ks_sim_step_t kind, uint64_t step)
{
    kstream_test_driver_t *drv = opaque;
    ks_drv_inst_t *in = ks_drv_inst_of(drv, client);
    /* The group drops the member before the operation acts. */
    if (in && in->expel_step && step >= in->expel_step &&
        client == in->th->client) {
        in->expel_step = 0;
        in->expels++;
        ks_sim_client_expel(in->th->client);
    }
    bool crash = false;
    if (drv->crash_step && step == drv->crash_step) {
        drv->crash_step = 0; /* once */
        crash = true;
    } else if (in && in->crash_step && step >= in->crash_step) {
        in->crash_step = 0;
        crash = true;
    }
    if (crash && in) {
        in->crash_fired = true;
        in->crash_kind = kind;
        in->crash_at = step;
    }
    return crash;
}

bool ks_drv_crash_note(ks_drv_inst_t *in)
{
    if (!in->crash_fired)
        return false;
    in->crashed = true;
    if (in->index == 0)
        ks_drv_error(in->drv, KSTREAM_ERR_FATAL,
                     "the instance crashed at step %llu (%s); restart it "
                     "with kstream_test_driver_restart()",
                     (unsigned long long)in->crash_at,
                     ks_sim_step_name(in->crash_kind));
    else
        ks_drv_error(in->drv, KSTREAM_ERR_FATAL,
                     "instance %d crashed at step %llu (%s); restart it "
                     "with kstream_test_driver_restart_instance() or stop "
                     "it",
                     in->index, (unsigned long long)in->crash_at,
                     ks_sim_step_name(in->crash_kind));
    return true;
}

uint64_t kstream_test_driver_steps(const kstream_test_driver_t *drv)
{
    return drv ? ks_sim_steps(drv->sim) : 0;
}

kstream_err_t kstream_test_driver_crash_at(kstream_test_driver_t *drv,
                                           uint64_t step)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    if (step && step <= ks_sim_steps(drv->sim))
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                            "step %llu is past: %llu steps were taken",
                            (unsigned long long)step,
                            (unsigned long long)ks_sim_steps(drv->sim));
    drv->crash_step = step;
    return KSTREAM_OK;
}

/* The instance for an arming call, or NULL with last_error set. */
static ks_drv_inst_t *arm_target(kstream_test_driver_t *drv, int index)
{
    ks_drv_inst_t *in = ks_drv_inst(drv, index);
    if (!in)
        ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                     "no instance %d (%zu made)", index, drv->insts.len);
    return in;
}

kstream_err_t kstream_test_driver_crash_instance_at(
        kstream_test_driver_t *drv, int index, uint64_t step)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    ks_drv_inst_t *in = arm_target(drv, index);
    if (!in)
        return KSTREAM_ERR_INVALID_ARG;
    in->crash_step = step;
    return KSTREAM_OK;
}

kstream_err_t kstream_test_driver_expel_instance_at(
        kstream_test_driver_t *drv, int index, uint64_t step)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    ks_drv_inst_t *in = arm_target(drv, index);
    if (!in)
        return KSTREAM_ERR_INVALID_ARG;
    in->expel_step = step;
    return KSTREAM_OK;
}

bool kstream_test_driver_crashed(const kstream_test_driver_t *drv)
{
    for (size_t i = 0; drv && i < drv->insts.len; i++)
        if (((const ks_drv_inst_t *)drv->insts.items[i])->crashed)
            return true;
    return false;
}

bool kstream_test_driver_instance_crashed(const kstream_test_driver_t *drv,
                                          int index)
{
    const ks_drv_inst_t *in = drv ? ks_drv_inst(drv, index) : NULL;
    return in && in->crashed;
}
