/* app.c - kstream_t (Kafka Streams' KafkaStreams): the state machine and its
 * listener, start-up checks, the stream threads' life, and close. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/app.h"
#include "runtime/kafka.h"

const char *kstream_state_name(kstream_state_t state)
{
    static const char *const names[] = {"CREATED",          "REBALANCING",
                                        "RUNNING",          "PENDING_SHUTDOWN",
                                        "NOT_RUNNING",      "ERROR"};
    if ((int)state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
        return "UNKNOWN";
    return names[state];
}

/* ---- state ---------------------------------------------------------------- */
static bool move_allowed(kstream_state_t from, kstream_state_t to)
{
    if (from == to || from == KSTREAM_STATE_NOT_RUNNING)
        return false;
    if (from == KSTREAM_STATE_ERROR) /* stays, through close too */
        return false;
    if (from == KSTREAM_STATE_PENDING_SHUTDOWN)
        return to == KSTREAM_STATE_NOT_RUNNING || to == KSTREAM_STATE_ERROR;
    return true;
}

/* Under app->mu. */
static void set_state_locked(kstream_t *app, kstream_state_t to)
{
    kstream_state_t from = app->state;
    if (move_allowed(from, to)) {
        app->state = to;
        ks_log(&app->log, KS_LOG_INFO, "STATE", "%s -> %s",
               kstream_state_name(from), kstream_state_name(to));
        if (app->state_cb)
            app->state_cb(to, from, app->state_opaque);
    }
}

void ks_app_set_state(kstream_t *app, kstream_state_t to)
{
    pthread_mutex_lock(&app->mu);
    set_state_locked(app, to);
    pthread_mutex_unlock(&app->mu);
}

void ks_app_fail(kstream_t *app, kstream_err_t err, const char *msg)
{
    pthread_mutex_lock(&app->mu);
    if (!app->error_code) {
        app->error_code = err;
        snprintf(app->error, sizeof(app->error), "%s", msg);
        ks_log(&app->log, KS_LOG_ERR, "FAILED", "%s", msg);
    }
    pthread_mutex_unlock(&app->mu);
    /* The whole client stops: no thread keeps processing half the tasks. */
    atomic_store(&app->stop, true);
    ks_app_set_state(app, KSTREAM_STATE_ERROR);
}

void ks_app_update_state(kstream_t *app)
{
    if (atomic_load(&app->stop))
        return;
    /* Read and set under the lock: each thread calls this after changing
     * its own status, so the last caller sees every status. Computed
     * outside it, a thread's stale REBALANCING could land after another
     * thread's RUNNING and stay. */
    pthread_mutex_lock(&app->mu);
    bool running = true;
    for (int i = 0; i < app->nthreads; i++) {
        int s = atomic_load(&app->threads[i].status);
        if (s == KS_ATS_STARTING || s == KS_ATS_REBALANCING)
            running = false;
    }
    set_state_locked(app, running ? KSTREAM_STATE_RUNNING
                                  : KSTREAM_STATE_REBALANCING);
    pthread_mutex_unlock(&app->mu);
}

kstream_state_t kstream_state(const kstream_t *app)
{
    if (!app)
        return KSTREAM_STATE_ERROR;
    pthread_mutex_lock((pthread_mutex_t *)&app->mu);
    kstream_state_t s = app->state;
    pthread_mutex_unlock((pthread_mutex_t *)&app->mu);
    return s;
}

kstream_err_t kstream_last_error(const kstream_t *app, char *buf, size_t size)
{
    if (!app)
        return KSTREAM_ERR_INVALID_ARG;
    pthread_mutex_lock((pthread_mutex_t *)&app->mu);
    kstream_err_t err = app->error_code;
    if (buf && size)
        snprintf(buf, size, "%s", app->error);
    pthread_mutex_unlock((pthread_mutex_t *)&app->mu);
    return err;
}

/* ---- creation --------------------------------------------------------------- */
kstream_t *kstream_new(const kstream_topology_t *topology,
                       const kstream_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
    if (!topology || !conf) {
        ks_errstr(errstr, errstr_size, "%s is NULL",
                  topology ? "conf" : "topology");
        return NULL;
    }
    const char *id = ks_conf_str(conf, "application.id");
    if (!id || !*id) {
        ks_errstr(errstr, errstr_size,
                  "application.id is not set: it names the consumer group "
                  "and prefixes the internal topics");
        return NULL;
    }
    const char *bs = ks_conf_str(conf, "bootstrap.servers");
    if (!bs || !*bs) {
        ks_errstr(errstr, errstr_size, "bootstrap.servers is not set");
        return NULL;
    }
    if (ks_kafka_conf_check(conf, errstr, errstr_size) != KSTREAM_OK)
        return NULL;
    int64_t threads = ks_conf_int(conf, "num.stream.threads");
    if (ks_conf_int(conf, "rocksdb.memory.bytes") / threads < (1 << 20)) {
        ks_errstr(errstr, errstr_size,
                  "rocksdb.memory.bytes is split over %lld stream threads: "
                  "it must give each at least 1 MiB",
                  (long long)threads);
        return NULL;
    }
    kstream_t *app = calloc(1, sizeof(*app));
    if (!app) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    app->topo = topology;
    app->conf = kstream_conf_dup(conf);
    app->app_id = ks_strdup(id);
    app->nthreads = (int)ks_conf_int(conf, "num.stream.threads");
    app->poll_ms = (int)ks_conf_int(conf, "poll.ms");
    app->stats_interval = ks_conf_int(conf, "statistics.interval.ms");
    app->threads = calloc((size_t)app->nthreads, sizeof(*app->threads));
    ks_conf_logger(conf, &app->log);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    /* Recursive: a state listener may call kstream_state(). */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&app->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_cond_init(&app->cond, &ca);
    pthread_condattr_destroy(&ca);
    app->state = KSTREAM_STATE_CREATED;
    if (!app->conf || !app->app_id || !app->threads) {
        ks_errstr(errstr, errstr_size, "out of memory");
        kstream_destroy(app);
        return NULL;
    }
    for (int i = 0; i < app->nthreads; i++) {
        app->threads[i].app = app;
        app->threads[i].idx = i;
    }
    return app;
}

static kstream_err_t set_before_start(kstream_t *app)
{
    if (!app)
        return KSTREAM_ERR_INVALID_ARG;
    return kstream_state(app) == KSTREAM_STATE_CREATED ? KSTREAM_OK
                                                      : KSTREAM_ERR_STATE;
}

kstream_err_t kstream_set_state_listener(kstream_t *app, kstream_state_cb *cb,
                                         void *opaque)
{
    kstream_err_t err = set_before_start(app);
    if (!err) {
        app->state_cb = cb;
        app->state_opaque = opaque;
    }
    return err;
}

kstream_err_t kstream_set_restore_listener(
        kstream_t *app, const kstream_restore_listener_t *listener,
        void *opaque)
{
    kstream_err_t err = set_before_start(app);
    if (!err) {
        app->has_rl = listener != NULL;
        if (listener)
            app->rl = *listener;
        app->rl_opaque = opaque;
    }
    return err;
}

kstream_err_t kstream_set_stats_cb(kstream_t *app, kstream_stats_cb *cb,
                                   void *opaque)
{
    kstream_err_t err = set_before_start(app);
    if (!err) {
        app->stats_cb = cb;
        app->stats_opaque = opaque;
    }
    return err;
}

/* ---- stream threads ---------------------------------------------------------- */
static int64_t wall_now(void *opaque)
{
    (void)opaque;
    return ks_clock_wall_ms();
}

static ks_client_t *make_client(void *opaque, ks_client_kind_t kind,
                                const ks_client_events_t *events,
                                char *errstr, size_t errstr_size)
{
    ks_app_thread_t *at = opaque;
    return ks_kafka_client_new(at->app->conf, kind, at->idx,
                               at->app->process_id, events, errstr,
                               errstr_size);
}

static bool has_globals(const kstream_topology_t *t)
{
    for (size_t i = 0; i < t->stores.len; i++)
        if (((const ks_store_def_t *)t->stores.items[i])->global_topic)
            return true;
    return false;
}

static void thread_status(ks_app_thread_t *at, ks_app_thread_status_t s)
{
    if (atomic_exchange(&at->status, (int)s) != (int)s)
        ks_app_update_state(at->app);
}

/* Open and bootstrap the global tables, then join the group. */
static kstream_err_t thread_setup(ks_app_thread_t *at, char *err, size_t sz)
{
    ks_thread_t *th = at->th;
    if (has_globals(at->app->topo)) {
        ks_client_t *g = make_client(at, KS_CLIENT_GLOBAL, NULL, err, sz);
        if (!g)
            return KSTREAM_ERR_KAFKA;
        kstream_err_t e = ks_thread_open_globals(th, g, err, sz);
        if (e)
            return e;
    }
    ks_client_events_t ev = ks_thread_events(th);
    ks_client_t *c = make_client(at, KS_CLIENT_MAIN, &ev, err, sz);
    if (!c)
        return KSTREAM_ERR_KAFKA;
    kstream_err_t e = ks_thread_attach(th, c);
    if (e)
        snprintf(err, sz, "could not subscribe to the source topics: %s",
                 kstream_err2str(e));
    return e;
}

static void *thread_main(void *arg)
{
    ks_app_thread_t *at = arg;
    kstream_t *app = at->app;
    at->started_ms = ks_clock_mono_ms();
    /* Named as in top, perf and gdb: "kstream-<thread>" (Kafka Streams'
     * StreamThread-N). A name that does not fit is simply not set. */
    char name[16];
    snprintf(name, sizeof(name), "kstream-%d", at->idx);
    pthread_setname_np(pthread_self(), name);
    char err[900] = "";
    kstream_err_t e = thread_setup(at, err, sizeof(err));
    if (e)
        ks_app_fail(app, e, err);
    while (!e && !atomic_load(&app->stop)) {
        bool worked = false;
        e = ks_thread_run_once(at->th, app->poll_ms, &worked);
        if (e) {
            const char *msg = at->th->failed && at->th->error[0]
                                      ? at->th->error
                                      : kstream_err2str(e);
            snprintf(err, sizeof(err), "stream thread %d: %.800s", at->idx,
                     msg);
            ks_app_fail(app, e, err);
            break;
        }
        thread_status(at, !at->th->assigned_once ? KS_ATS_STARTING
                          : ks_thread_restoring(at->th) ? KS_ATS_REBALANCING
                                                        : KS_ATS_RUNNING);
    }
    /* Clean close: commit, checkpoints, close tasks, leave the group. The
     * pointer goes first so that queries and statistics stop using it. */
    ks_thread_t *th = at->th;
    ks_thread_lock(th);
    ks_metrics_t m = th->m;
    uint64_t late = th->counters[KS_CNT_LATE];
    ks_thread_unlock(th);
    pthread_mutex_lock(&app->mu);
    at->th = NULL;
    at->final_m = m;
    at->final_late = late;
    at->has_final = true;
    pthread_mutex_unlock(&app->mu);
    ks_thread_destroy(th);
    atomic_store(&at->status, KS_ATS_DONE);
    pthread_mutex_lock(&app->mu);
    app->done++;
    pthread_cond_broadcast(&app->cond);
    pthread_mutex_unlock(&app->mu);
    return NULL;
}

static kstream_err_t start_fail(kstream_t *app, kstream_err_t err,
                                const char *errstr)
{
    ks_app_fail(app, err, errstr);
    return err;
}

/* The configuration of each stream thread: the app's, with the record
 * cache and RocksDB budgets split evenly (each thread's caches and stores
 * are its own, so the app's totals stay within the configured bounds). */
static kstream_conf_t *thread_conf(const kstream_t *app)
{
    kstream_conf_t *c = kstream_conf_dup(app->conf);
    static const char *const split[] = {"cache.max.bytes.buffering",
                                        "rocksdb.memory.bytes"};
    for (size_t i = 0; c && i < sizeof(split) / sizeof(split[0]); i++) {
        char v[32], err[256];
        snprintf(v, sizeof(v), "%lld",
                 (long long)(ks_conf_int(app->conf, split[i]) /
                             app->nthreads));
        if (kstream_conf_set(c, split[i], v, err, sizeof(err)) !=
            KSTREAM_CONF_OK) {
            kstream_conf_destroy(c);
            return NULL;
        }
    }
    return c;
}

kstream_err_t kstream_start(kstream_t *app, char *errstr, size_t errstr_size)
{
    char tmp[512];
    if (!errstr || !errstr_size) {
        errstr = tmp;
        errstr_size = sizeof(tmp);
    }
    errstr[0] = '\0';
    if (!app)
        return KSTREAM_ERR_INVALID_ARG;
    if (kstream_state(app) != KSTREAM_STATE_CREATED) {
        ks_errstr(errstr, errstr_size, "the app was started already");
        return KSTREAM_ERR_STATE;
    }
    app->start_ms = ks_clock_mono_ms();
    const char *pg = ks_conf_str(app->conf, "processing.guarantee");
    if (pg && strcmp(pg, "exactly_once_v2") == 0) {
        const char *sd = ks_conf_str(app->conf, "state.dir");
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/%s", sd ? sd : "/tmp/kstream",
                 app->app_id);
        kstream_err_t perr = ks_process_id(dir, app->process_id, errstr,
                                           errstr_size);
        if (perr)
            return start_fail(app, perr, errstr);
    }
    kstream_err_t err = ks_kafka_prepare_topics(app->conf, app->topo,
                                                app->app_id, errstr,
                                                errstr_size);
    if (err)
        return start_fail(app, err, errstr);
    kstream_conf_t *tconf = thread_conf(app);
    if (!tconf) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return start_fail(app, KSTREAM_ERR_NO_MEMORY, errstr);
    }
    for (int i = 0; i < app->nthreads; i++) {
        ks_app_thread_t *at = &app->threads[i];
        at->th = ks_thread_new(app->topo, tconf, app->app_id, wall_now,
                               NULL, errstr, errstr_size);
        if (!at->th) {
            kstream_conf_destroy(tconf);
            return start_fail(app, KSTREAM_ERR_CONF, errstr);
        }
        at->th->idx = i;
        at->th->locking = true;
        at->th->factory = (ks_client_factory_t){make_client, at};
        if (app->has_rl) {
            at->th->rl = app->rl;
            at->th->rl_opaque = app->rl_opaque;
            at->th->has_rl = true;
        }
    }
    kstream_conf_destroy(tconf);
    ks_app_set_state(app, KSTREAM_STATE_REBALANCING);
    for (int i = 0; i < app->nthreads; i++) {
        ks_app_thread_t *at = &app->threads[i];
        if (pthread_create(&at->tid, NULL, thread_main, at) != 0) {
            ks_errstr(errstr, errstr_size, "cannot start stream thread %d",
                      i);
            return start_fail(app, KSTREAM_ERR_NO_MEMORY, errstr);
        }
        at->started = true;
    }
    if (app->stats_cb && app->stats_interval > 0 &&
        pthread_create(&app->stats_tid, NULL, ks_app_stats_main, app) == 0)
        app->stats_started = true;
    return KSTREAM_OK;
}

/* ---- close ------------------------------------------------------------------ */
static int started_threads(const kstream_t *app)
{
    int n = 0;
    for (int i = 0; i < app->nthreads; i++)
        n += app->threads[i].started;
    return n;
}

kstream_err_t kstream_close(kstream_t *app, int timeout_ms)
{
    if (!app)
        return KSTREAM_ERR_INVALID_ARG;
    if (kstream_state(app) == KSTREAM_STATE_CREATED) {
        ks_app_set_state(app, KSTREAM_STATE_NOT_RUNNING);
        return KSTREAM_OK;
    }
    ks_app_set_state(app, KSTREAM_STATE_PENDING_SHUTDOWN);
    atomic_store(&app->stop, true);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    int want = started_threads(app);
    pthread_mutex_lock(&app->mu);
    pthread_cond_broadcast(&app->cond); /* wakes the statistics thread */
    bool timed_out = false;
    while (app->done < want && !timed_out) {
        if (timeout_ms < 0)
            pthread_cond_wait(&app->cond, &app->mu);
        else
            timed_out = pthread_cond_timedwait(&app->cond, &app->mu,
                                               &until) != 0 &&
                        app->done < want;
    }
    pthread_mutex_unlock(&app->mu);
    if (timed_out)
        return KSTREAM_ERR_TIMEOUT;
    for (int i = 0; i < app->nthreads; i++) {
        ks_app_thread_t *at = &app->threads[i];
        if (at->started && !at->joined) {
            pthread_join(at->tid, NULL);
            at->joined = true;
        }
        if (at->th) { /* created, never started */
            ks_thread_destroy(at->th);
            at->th = NULL;
        }
    }
    if (app->stats_started) {
        pthread_join(app->stats_tid, NULL);
        app->stats_started = false;
    }
    ks_app_set_state(app, KSTREAM_STATE_NOT_RUNNING);
    return kstream_last_error(app, NULL, 0);
}

void kstream_destroy(kstream_t *app)
{
    if (!app)
        return;
    if (app->threads)
        kstream_close(app, -1);
    pthread_cond_destroy(&app->cond);
    pthread_mutex_destroy(&app->mu);
    free(app->threads);
    kstream_conf_destroy(app->conf);
    free(app->app_id);
    free(app);
}
