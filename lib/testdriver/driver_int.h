/* driver_int.h - the test driver's internals, shared by
 *   driver.c        creation, start, pipe, read, wall clock, commit
 *   driver_query.c  metrics and stores
 *   driver_crash.c  restart, crash injection (exactly-once proofs)
 */
#ifndef KS_DRIVER_INT_H
#define KS_DRIVER_INT_H

#include <stdarg.h>

#include "core/core.h"
#include "runtime/runtime.h"
#include "testdriver/sim.h"

struct kstream_test_driver_s {
    kstream_topology_t *topo;
    kstream_conf_t *conf;
    char *app_id;
    ks_sim_t *sim;
    ks_thread_t *th;
    int64_t wall;
    bool started;
    kstream_err_t failed; /* sticky failure, or KSTREAM_OK */
    char last_error[768];
    ks_map_t *cursors; /* topic -> size_t* next index to read */
    char *state_dir;   /* temporary, removed at destroy */
    kstream_record_t out;
    char piped[250]; /* the last topic name a pipe checked ("": none) */
    kstream_restore_listener_t rl; /* given to each thread */
    void *rl_opaque;
    bool has_rl;
    /* exactly_once_v2: the clients are transactional / read committed,
     * and every pipe ends with a commit (output becomes visible). */
    bool eos;
    /* Crash injection (driver_crash.c): the sim step to crash at (0:
     * none), and whether the instance crashed (until restart). */
    uint64_t crash_step;
    bool crashed;
};

/* Record the message of err in last_error; returns err. */
kstream_err_t ks_drv_error(kstream_test_driver_t *drv, kstream_err_t err,
                           const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Start the instance on first use (topics, thread, globals). */
kstream_err_t ks_drv_start(kstream_test_driver_t *drv);
/* Run the thread until nothing is left to do; under exactly-once, then
 * commit (ks_drv_commit). */
kstream_err_t ks_drv_settle(kstream_test_driver_t *drv);
/* Commit until nothing more moves (caches feeding later sub-topologies). */
kstream_err_t ks_drv_commit(kstream_test_driver_t *drv);
/* A stream thread over the driver's state directory and clients. */
ks_thread_t *ks_drv_make_thread(kstream_test_driver_t *drv,
                                const kstream_conf_t *conf, char *errstr,
                                size_t errstr_size);
/* Open the thread's global tables, then join the group. */
kstream_err_t ks_drv_start_thread(kstream_test_driver_t *drv);
/* The sim's crash hook (driver_crash.c): crashes at drv->crash_step. */
bool ks_drv_crash_hook(void *opaque, const ks_client_t *client,
                       ks_sim_step_t kind, uint64_t step);
/* When the instance crashed: marks it, writes last_error ("crashed at
 * step N (kind)") and returns true. */
bool ks_drv_crash_note(kstream_test_driver_t *drv);

#endif /* KS_DRIVER_INT_H */
