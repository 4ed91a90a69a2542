/* driver_int.h - the test driver's internals, shared by
 *   driver.c            creation, start, pipe, read, wall clock, commit
 *   driver_instances.c  the instances: making, running (round-robin until
 *                       every one is idle), adding and stopping them
 *   driver_query.c      metrics and stores
 *   driver_crash.c      restart, crash injection, expelling (exactly-once
 *                       proofs)
 */
#ifndef KS_DRIVER_INT_H
#define KS_DRIVER_INT_H

#include <stdarg.h>

#include "core/core.h"
#include "runtime/runtime.h"
#include "testdriver/sim.h"

/* One application instance: a stream thread with its own state directory
 * and transactional id (process id "<index>"), a member of the group
 * application.id. */
typedef struct ks_drv_inst {
    struct kstream_test_driver_s *drv;
    int index;
    ks_thread_t *th; /* NULL: stopped */
    char *state_dir; /* its own, removed at destroy */
    kstream_err_t failed; /* sticky failure until restart/stop, or OK */
    /* Crash injection: crash (expel) at the instance's next step numbered
     * at or after this one (0: none). The hook records the crash. */
    uint64_t crash_step, expel_step;
    bool crash_fired; /* the hook crashed one of its clients */
    ks_sim_step_t crash_kind;
    uint64_t crash_at;
    bool crashed; /* noted by ks_drv_crash_note (until restart/stop) */
    uint64_t expels; /* times the group dropped it */
} ks_drv_inst_t;

struct kstream_test_driver_s {
    kstream_topology_t *topo;
    kstream_conf_t *conf;
    char *app_id;
    ks_sim_t *sim;
    ks_vec_t insts; /* ks_drv_inst_t*, by index; [0] made with the driver */
    int64_t wall;
    bool started;
    kstream_err_t failed; /* setup failure (topics, co-partitioning) */
    char last_error[768];
    ks_map_t *cursors; /* topic -> size_t* next index to read */
    kstream_record_t out;
    char piped[250]; /* the last topic name a pipe checked ("": none) */
    kstream_restore_listener_t rl; /* given to each thread */
    void *rl_opaque;
    bool has_rl;
    /* exactly_once_v2: the clients are transactional / read committed,
     * and every pipe ends with a commit (output becomes visible). */
    bool eos;
    /* kstream_test_driver_crash_at: the sim step to crash at, whichever
     * instance takes it (0: none). */
    uint64_t crash_step;
};

/* Record the message of err in last_error; returns err. */
kstream_err_t ks_drv_error(kstream_test_driver_t *drv, kstream_err_t err,
                           const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Instance i (NULL when out of range), and instance 0. */
ks_drv_inst_t *ks_drv_inst(const kstream_test_driver_t *drv, int i);
/* The instance whose thread owns client (main, restore or global), or
 * NULL. */
ks_drv_inst_t *ks_drv_inst_of(const kstream_test_driver_t *drv,
                              const ks_client_t *client);
/* Whether the instance runs: started, not stopped, not failed. */
bool ks_drv_inst_live(const ks_drv_inst_t *in);
/* The first failed instance, or NULL. */
ks_drv_inst_t *ks_drv_failed_inst(const kstream_test_driver_t *drv);
/* Make instance drv->insts.len (state directory and thread, not started);
 * NULL with a message in errstr. */
ks_drv_inst_t *ks_drv_inst_new(kstream_test_driver_t *drv,
                               const kstream_conf_t *conf, char *errstr,
                               size_t errstr_size);
/* Close the instance's thread (cleanly unless it failed) and free it. */
void ks_drv_inst_free(ks_drv_inst_t *in);
/* Start the driver on first use (topics, instance 0's thread, globals).
 * Fails while the driver or an instance is failed. */
kstream_err_t ks_drv_start(kstream_test_driver_t *drv);
/* Run every live instance until nothing is left to do; under
 * exactly-once, then commit (ks_drv_commit). */
kstream_err_t ks_drv_settle(kstream_test_driver_t *drv);
/* Commit every live instance until nothing more moves (caches feeding
 * later sub-topologies). */
kstream_err_t ks_drv_commit(kstream_test_driver_t *drv);
/* A stream thread over the instance's state directory and clients. */
ks_thread_t *ks_drv_make_thread(ks_drv_inst_t *in,
                                const kstream_conf_t *conf, char *errstr,
                                size_t errstr_size);
/* Open the instance's global tables, then join the group. */
kstream_err_t ks_drv_start_thread(ks_drv_inst_t *in);
/* The instance failed with err: sticky until restart/stop; last_error
 * says why (its crash, or its thread's error). Returns err. */
kstream_err_t ks_drv_inst_failed(ks_drv_inst_t *in, kstream_err_t err);
/* The sim's crash hook (driver_crash.c): crashes at drv->crash_step or
 * an instance's crash_step, expels at an instance's expel_step. */
bool ks_drv_crash_hook(void *opaque, const ks_client_t *client,
                       ks_sim_step_t kind, uint64_t step);
/* When the instance crashed: marks it, writes last_error ("crashed at
 * step N (kind)") and returns true. */
bool ks_drv_crash_note(ks_drv_inst_t *in);

#endif /* KS_DRIVER_INT_H */
