/* app.h - kstream_t internals shared by app.c (life cycle and stream
 * threads), app_query.c (interactive queries) and app_stats.c
 * (statistics). */
#ifndef KS_APP_H
#define KS_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "runtime/runtime.h"

/* What one stream thread reports of itself (atomic: read by any thread). */
typedef enum ks_app_thread_status {
    KS_ATS_STARTING,    /* not yet assigned (joining the group) */
    KS_ATS_REBALANCING, /* restoring tasks */
    KS_ATS_RUNNING,
    KS_ATS_DONE         /* stopped (cleanly or with an error) */
} ks_app_thread_status_t;

typedef struct ks_app_thread {
    struct kstream_s *app;
    int idx;
    ks_thread_t *th; /* created by kstream_start(), freed by the thread */
    pthread_t tid;
    bool started;
    bool joined;
    atomic_int status; /* ks_app_thread_status_t */
    int64_t started_ms;
    /* The thread's counters when it stopped (statistics keep showing them
     * after a failure); guarded by the app's mu. */
    bool has_final;
    ks_metrics_t final_m;
    uint64_t final_late;
} ks_app_thread_t;

struct kstream_s {
    const kstream_topology_t *topo;
    kstream_conf_t *conf;
    char *app_id;
    /* exactly_once_v2: names the transactional producers (process_id.c) */
    char process_id[KS_PROCESS_ID_LEN + 1];
    ks_logger_t log;
    int nthreads;
    int poll_ms;
    int64_t stats_interval;
    ks_app_thread_t *threads;

    /* mu guards state, the listener calls, error and `done`. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    kstream_state_t state;
    int done; /* stream threads that have stopped */
    kstream_err_t error_code;
    char error[768];

    atomic_bool stop;
    kstream_state_cb *state_cb;
    void *state_opaque;
    kstream_restore_listener_t rl;
    void *rl_opaque;
    bool has_rl;
    kstream_stats_cb *stats_cb;
    void *stats_opaque;
    pthread_t stats_tid;
    bool stats_started;
    int64_t start_ms;
};

/* Move to `to` (no-op when already there, or when the move is not allowed:
 * nothing leaves NOT_RUNNING, and ERROR only goes to PENDING_SHUTDOWN /
 * NOT_RUNNING through kstream_close()); calls the listener. */
void ks_app_set_state(struct kstream_s *app, kstream_state_t to);
/* Record the first fatal error and move to ERROR. */
void ks_app_fail(struct kstream_s *app, kstream_err_t err, const char *msg);
/* Recompute REBALANCING / RUNNING from the threads' statuses. */
void ks_app_update_state(struct kstream_s *app);

/* The statistics thread (app_stats.c): started by kstream_start() when a
 * callback and an interval are set; stopped when `stop` is set. */
void *ks_app_stats_main(void *arg);

#endif /* KS_APP_H */
