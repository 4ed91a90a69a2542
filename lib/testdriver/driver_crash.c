/* driver_crash.c - restarting the test driver's instance, cleanly or
 * after a crash injected at a step of the simulated cluster. */
#include <string.h>

#include "testdriver/driver_int.h"

kstream_err_t kstream_test_driver_restart(kstream_test_driver_t *drv,
                                          bool wipe_state)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = drv->started ? KSTREAM_OK : ks_drv_start(drv);
    if (err && !drv->started)
        return err;
    /* Close the instance as kstream_close() would (commit, checkpoints,
     * close the tasks, leave the group); a failed one is closed without
     * committing, as after a crash. */
    ks_thread_destroy(drv->th);
    drv->th = NULL;
    drv->failed = KSTREAM_OK;
    drv->crashed = false;
    if (wipe_state && (ks_rmtree(drv->state_dir) != 0 ||
                       ks_mkdirs(drv->state_dir) != 0))
        return ks_drv_error(drv, KSTREAM_ERR_IO,
                         "cannot wipe the state directory '%s'",
                         drv->state_dir);
    char errstr[512] = "";
    drv->th = ks_drv_make_thread(drv, drv->conf, errstr, sizeof(errstr));
    if (!drv->th) {
        drv->failed = KSTREAM_ERR_NO_MEMORY;
        return ks_drv_error(drv, KSTREAM_ERR_NO_MEMORY, "restart: %s", errstr);
    }
    err = ks_drv_start_thread(drv);
    if (err) {
        drv->failed = err;
        return err;
    }
    return ks_drv_settle(drv);
}


bool ks_drv_crash_hook(void *opaque, const ks_client_t *client,
                       ks_sim_step_t kind, uint64_t step)
{
    kstream_test_driver_t *drv = opaque;
    (void)client;
    (void)kind;
    if (!drv->crash_step || step != drv->crash_step)
        return false;
    drv->crash_step = 0; /* once */
    return true;
}

/* The crashed client of the thread, if any: main, restore or global. */
static const ks_client_t *crashed_client(const ks_thread_t *th)
{
    const ks_client_t *cs[] = {th->client, th->restore.client,
                               th->global_client};
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
        if (cs[i] && ks_sim_client_crashed(cs[i]))
            return cs[i];
    return NULL;
}

bool ks_drv_crash_note(kstream_test_driver_t *drv)
{
    const ks_client_t *c = drv->th ? crashed_client(drv->th) : NULL;
    ks_sim_step_t kind;
    uint64_t step;
    if (!c || !ks_sim_client_crash_step(c, &kind, &step))
        return false;
    drv->crashed = true;
    ks_drv_error(drv, KSTREAM_ERR_FATAL,
                 "the instance crashed at step %llu (%s); restart it with "
                 "kstream_test_driver_restart()",
                 (unsigned long long)step, ks_sim_step_name(kind));
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

bool kstream_test_driver_crashed(const kstream_test_driver_t *drv)
{
    return drv && drv->crashed;
}
