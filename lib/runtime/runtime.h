/* runtime.h - stream threads and tasks over the client interface (Kafka
 * Streams' StreamThread, TaskManager, StreamTask, PartitionGroup,
 * RecordCollector). The same code runs under the test driver (simulated
 * cluster) and, from the Kafka runtime issue on, against librdkafka. */
#ifndef KS_RUNTIME_H
#define KS_RUNTIME_H

#include <pthread.h>
#include <stdio.h>

#include "processor/processor.h"
#include "runtime/client.h"
#include "topology/topology.h"
#include "state/store.h"

/* ---- one input partition of a task (RecordQueue) ----------------------- */
typedef struct ks_qitem {
    ks_msg_t msg;
    int64_t ts; /* extracted timestamp */
} ks_qitem_t;

typedef struct ks_rqueue {
    char *topic; /* full name */
    int32_t partition;
    const ks_node_t *source;
    ks_qitem_t *items; /* ring */
    size_t head, n, cap; /* cap: 0 or a power of two */
    int64_t partition_time; /* -1 before the first record */
    int64_t consumed;       /* next offset to commit; -1: nothing yet */
    int64_t committed;      /* last committed "consumed" */
    bool paused;
    struct ks_task *task; /* owner */
    /* Stores to prefetch with each record's key (hint.c). */
    ks_store_t **hints;
    size_t nhints;
} ks_rqueue_t;

/* Hand key to the queue's hinted stores (see hint.c, and the prefetch op
 * in state/store.h for deep). */
static inline void ks_rqueue_hint(const ks_rqueue_t *q, const void *key,
                                  size_t klen, bool deep)
{
    if (!key)
        return; /* null keys never reach a key-value store */
    for (size_t i = 0; i < q->nhints; i++)
        ks_store_prefetch(q->hints[i], key, klen, deep);
}

/* ---- a logged store of a task: its changelog partition and restore ---- */
typedef struct ks_store_log {
    size_t store;       /* index in the task's env.stores */
    char *topic;        /* <application.id>-<store>-changelog */
    ks_store_t *below;  /* the layer under the changelog layer: restore
                           writes here (no re-logging, no cache) */
    bool persistent;    /* RocksDB: checkpointed */
    bool timestamped;   /* values carry the 8-byte BE timestamp prefix */
    bool restoring;
    bool announced;     /* on_start told: the restore consumer has it */
    int64_t start;      /* first offset to restore (0: the beginning) */
    int64_t end;        /* changelog end offset when the task was made */
    int64_t position;   /* next offset to apply; the store holds [0, it) */
    uint64_t restored;  /* records applied */
    uint64_t batch;     /* records applied since the last listener batch */
    uint64_t logged;    /* restored count at the last progress log line */
    int64_t started_ms; /* monotonic clock at the restore's start */
    int64_t ckpt_offset; /* a deferred checkpoint's offset (commit.c) */
    int64_t ckpt_at;     /* the offset of the task's last checkpoint, or
                            where the store restored from */
} ks_store_log_t;

/* ---- a task: one partition of a sub-topology ---------------------------- */
typedef struct ks_task {
    const ks_subtopology_t *sub;
    int32_t partition;
    ks_task_env_t env;
    size_t nown_stores; /* env.stores[0..nown) are the task's own; the rest
                           are the app's global stores (not owned) */
    kstream_ctx_t *ctxs; /* one per node, by node->index */
    size_t nctxs;
    ks_rqueue_t **queues;
    size_t nqueues;
    size_t buffered; /* records in all queues */
    /* Stream time moves (idle.c): the nodes whose class has `advance`,
     * the stream time they last saw, and for window.idle.close.ms the
     * wall clock and stream time after the last record processed. */
    kstream_ctx_t **advancers;
    size_t nadvancers;
    int64_t advanced;    /* -1: never */
    int64_t input_wall;  /* task creation until the first record */
    int64_t input_time;  /* -1 before the first record */
    bool idle_flushed;   /* caches flushed since the last record */
    /* Logged stores (restore.c). While `restoring`, the task's records stay
     * buffered (not processed), its punctuators do not fire and its
     * offsets are not committed. */
    ks_store_log_t *logs;
    size_t nlogs;
    bool restoring;
    bool initialized; /* the nodes' init ran (close runs at free) */
    /* Checkpoints (commit.c): records processed, and that count at the
     * last checkpoint; due: the commit in progress writes this task's
     * checkpoint (its RocksDB memtables flushed to disk first). */
    uint64_t processed;
    uint64_t processed_at_checkpoint;
    bool checkpoint_due;
    /* Exactly-once: the checkpoint of a commit waits for the next commit,
     * by when its memtables are on disk (offsets in logs[].ckpt_offset). */
    bool checkpoint_deferred;
} ks_task_t;

typedef enum ks_handler {
    KS_HANDLER_FAIL,
    KS_HANDLER_CONTINUE,
    KS_HANDLER_DLQ
} ks_handler_t;

typedef enum ks_err_kind {
    KS_ERRK_DESERIALIZATION,
    KS_ERRK_PROCESSING,
    KS_ERRK_PRODUCTION,
    KS_ERRK__COUNT
} ks_err_kind_t;

typedef struct ks_metrics {
    uint64_t processed, produced, dropped, punctuations, commits, dlq;
    uint64_t restored; /* changelog records applied by restores */
    /* exactly_once_v2: transactions committed and aborted. */
    uint64_t txn_commits, txn_aborts;
    /* Wall time of successful commits (ms): the last one, the sum (with
     * `commits`, the average) and the largest. */
    int64_t commit_ms_last, commit_ms_total, commit_ms_max;
    uint64_t errors[KS_ERRK__COUNT];
} ks_metrics_t;

typedef int64_t(ks_clock_fn)(void *opaque);

/* The thread's restore consumer (restore.c): made on first use through
 * the factory, manually assigned the changelog partitions of its
 * restoring tasks. */
typedef struct ks_restorer {
    ks_client_t *client;
    ks_msg_t *batch;
    size_t batch_max;
    bool dirty;       /* the assignment must be redone */
    uint8_t *scratch; /* timestamped values: [8-byte ts][value] */
    size_t scratch_cap;
    ks_store_log_t *last; /* the log of the last record (runs) */
    struct ks_task *last_task;
} ks_restorer_t;

/* ---- a stream thread ------------------------------------------------------ */
/* Locking: `mu` (recursive) is held by the thread while it touches tasks
 * and stores - everything in ks_thread_run_once after the client poll,
 * the assignment callbacks, ks_thread_commit and closing tasks - so that
 * other threads (interactive queries) may read stores under it between
 * batches. The client poll itself runs unlocked. */
typedef struct ks_thread {
    int idx; /* thread index within the app (global store directories) */
    pthread_mutex_t mu;
    /* Makes the clients the thread creates itself (restore). */
    ks_client_factory_t factory;
    kstream_restore_listener_t rl;
    void *rl_opaque;
    bool has_rl;
    bool assigned_once; /* a first assignment arrived (even empty) */
    ks_restorer_t restore;
    int64_t api_timeout_ms; /* bootstrap of global tables; how long commits
                               may keep failing before the thread fails */
    int64_t commit_failing_since; /* now() of the first failed commit in a
                                     row; -1: the last one succeeded */
    /* A task's checkpoint (and the RocksDB memtable flushes it needs) is
     * written by a commit once its changelogs moved more than
     * checkpoint_records offsets in all since its last one (Kafka Streams'
     * rule: with a record cache, far fewer than the records processed); a
     * task whose persistent stores have no changelog counts the records it
     * processed instead. Always by a final commit (revocation, close). 0:
     * every commit (the test driver, deterministic). */
    uint64_t checkpoint_records;
    bool commit_final;
    bool closing; /* ks_thread_destroy: tasks are not made again */
    /* Whether ks_thread_lock() locks: set by the app before the thread
     * starts (other threads query its stores); the test driver runs one
     * thread and skips the cost. */
    bool locking;
    const kstream_topology_t *topo;
    char *app_id;
    ks_logger_t log;
    ks_client_t *client;
    ks_clock_fn *now;
    void *now_opaque;
    /* The wall-clock time records are processed at (kstream_ctx's
     * wall_clock): read once per pass of process_tasks() and again every
     * KS_WALL_EVERY records, not per record, as Kafka Streams reads it
     * once per batch. */
    int64_t wall_now;
    int64_t commit_interval, last_commit;
    size_t max_buffered; /* per partition, then pause */
    ks_handler_t handler[KS_ERRK__COUNT];
    char *dlq_topic;
    ks_vec_t tasks;     /* ks_task_t* */
    ks_map_t *sources;  /* full topic name -> source node */
    ks_map_t *routes;   /* full topic name -> ks_vec_t of queues by part. */
    /* The last route found (a one-entry cache in front of routes; a
     * topic's vector, once made, lives as long as the thread). */
    char route_topic[256];
    ks_vec_t *route_vec;
    ks_msg_t *batch;
    size_t batch_max;
    ks_metrics_t m;
    uint64_t counters[KS_CNT__COUNT]; /* of closed tasks */
    /* State: the app's state directory, RocksDB environment (shared block
     * cache and write buffers), record cache, default backend, global
     * stores and the client that feeds them. */
    char *state_dir;
    struct ks_rocksdb_env *rocks;
    size_t rocks_bytes;
    struct ks_cache *cache;
    size_t cache_bytes;
    kstream_store_backend_t default_backend;
    ks_handler_t late_handler; /* KS_HANDLER_CONTINUE: drop and count */
    ks_task_store_t *globals;
    size_t nglobals;
    ks_client_t *global_client;
    int64_t *global_next; /* next offset per partition of global_tps */
    ks_tp_t *global_tps;  /* every partition of every global topic */
    size_t nglobal_tps;
    const ks_msg_t *cur_msg; /* input record being processed */
    int64_t idle_close_ms;   /* window.idle.close.ms; -1: off */
    /* exactly_once_v2 (eos.c): the main client is transactional; a
     * transaction is open from the first record produced (or offsets to
     * commit) of a commit interval until the commit. closing_dirty: tasks
     * are being closed after an abort (nothing may be produced). */
    bool eos;
    bool txn_open;
    bool closing_dirty;
    bool failed;
    kstream_err_t error_code;
    char error[768];
} ks_thread_t;

ks_thread_t *ks_thread_new(const kstream_topology_t *topo,
                           const kstream_conf_t *conf, const char *app_id,
                           ks_clock_fn *now, void *now_opaque, char *errstr,
                           size_t errstr_size);
/* Events for the client to raise (owner = the thread). */
ks_client_events_t ks_thread_events(ks_thread_t *th);
/* Attach the client (the thread then owns it) and subscribe to every
 * source topic. */
kstream_err_t ks_thread_attach(ks_thread_t *th, ks_client_t *client);
/* input.c: queue the records of a poll in their tasks (on an error the
 * rest are released); pause the partitions whose queues hold
 * max_buffered records or more; resume a paused partition whose queue is
 * down to half of that. */
kstream_err_t ks_thread_enqueue(ks_thread_t *th, ks_msg_t *msgs, size_t n);
void ks_thread_pause_full(ks_thread_t *th);
void ks_thread_resume_drained(ks_thread_t *th, ks_rqueue_t *q);
/* Poll once, process what is buffered, fire punctuators, commit when due.
 * *worked: whether anything was polled or processed. */
kstream_err_t ks_thread_run_once(ks_thread_t *th, int timeout_ms,
                                 bool *worked);
/* Fire due wall-clock punctuators of every task. */
kstream_err_t ks_thread_punctuate_wall(ks_thread_t *th);
/* How many records the producer keeps unacknowledged while a commit
 * flushes caches and stores (client.h's produce_window; commit.c). */
#define KS_COMMIT_PRODUCE_WINDOW 10000
/* Flush caches and stores, flush the producer, commit input offsets,
 * then write the checkpoint files (ks_thread_checkpoint). Under
 * exactly_once_v2 (ks_thread_eos_commit): the caches and stores are
 * flushed into the open transaction, the consumed offsets sent to it, it
 * commits, then the stores' transactional layers commit, then
 * checkpoints; a transaction that fails is recovered from
 * (ks_thread_eos_recover) before this returns. */
kstream_err_t ks_thread_commit(ks_thread_t *th);

/* Assignment (assign.c): tasks for newly assigned partitions (their input
 * from the group's committed offsets); the client's callbacks; closing
 * one task (its buffered input given back); and, after an aborted
 * transaction, every task closed dirty and, when `again`, made anew with
 * the consumer rewound to the committed offsets. */
void ks_thread_assign(ks_thread_t *th, const ks_tp_t *tps, size_t n);
void ks_thread_assigned_cb(void *owner, const ks_tp_t *tps, size_t n);
void ks_thread_revoked_cb(void *owner, const ks_tp_t *tps, size_t n);
void ks_thread_close_task(ks_thread_t *th, size_t idx);
kstream_err_t ks_thread_revive_tasks(ks_thread_t *th, bool again);

/* exactly_once_v2 (eos.c).
 * ks_err_txn: whether err is one of a transaction's outcomes
 * (KSTREAM_ERR_TXN_ABORTABLE, _FENCED, _TXN_UNKNOWN, _FATAL): error
 * handlers never skip those; the thread recovers or stops.
 * ks_thread_produce: every record of the thread goes through here (sinks,
 * changelogs, dead letters); under exactly-once it opens the transaction
 * first when none is open.
 * ks_thread_eos_init: register the transactional id (fencing an older
 * instance, aborting what it left open) before the thread subscribes.
 * ks_thread_eos_commit: see ks_thread_commit (called by it, locked).
 * ks_thread_eos_recover: after err (ks_err_txn): abort what is open, and
 * for fencing or an unknown outcome make the producer again; then close
 * every task dirty and, when `again`, make them anew from the committed
 * state. KSTREAM_OK when the thread can go on, else the error it failed
 * with. */
bool ks_err_txn(kstream_err_t err);
kstream_err_t ks_thread_produce(ks_thread_t *th, const ks_out_t *out);
kstream_err_t ks_thread_eos_init(ks_thread_t *th);
/* Open a transaction (th->txn_open); a failure that is not a
 * transaction's outcome is made KSTREAM_ERR_FATAL (th->error says). */
kstream_err_t ks_thread_txn_begin(ks_thread_t *th);
kstream_err_t ks_thread_eos_commit(ks_thread_t *th);
kstream_err_t ks_thread_eos_recover(ks_thread_t *th, kstream_err_t err,
                                    bool again);
/* Commit, write checkpoints, close every task, leave the group (destroy
 * the clients). NULL is a no-op. */
void ks_thread_destroy(ks_thread_t *th);
/* Take / give back the thread's recursive mutex (see ks_thread_t); no-ops
 * unless th->locking. */
void ks_thread_lock(ks_thread_t *th);
void ks_thread_unlock(ks_thread_t *th);
/* Whether any task of the thread is restoring its stores. */
bool ks_thread_restoring(const ks_thread_t *th);
/* Fail the thread: th->failed, th->error_code = err and th->error from
 * the format. Returns err. */
kstream_err_t ks_thread_fail(ks_thread_t *th, kstream_err_t err,
                             const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Restore (restore.c).
 * ks_task_logs_prepare: for each logged store of a new task, before the
 * stores are opened: its changelog end offset (main client) and where to
 * restore from - a persistent store from its checkpoint entry (its
 * directory is wiped when there is none, or when it is past the end), an
 * in-memory store from the beginning.
 * ks_task_restore_begin: after the stores are open, mark the task
 * restoring when a store is behind (listener on_start; the restore client
 * is made now, so a failure fails the task).
 * ks_thread_restore_fetch (no lock needed: only the owning thread changes
 * the assignment): redo the restore client's assignment when tasks came,
 * went or finished, then poll one batch (*n records, kept in
 * th->restore.batch).
 * ks_thread_restore_apply (locked): apply them below the changelog layers;
 * tasks whose stores all reached their end init their nodes and run.
 * ks_task_restore_end: a task closes (it leaves the restore assignment).
 * ks_thread_restore_close: free the restore client.
 * ks_restore_scratch: a buffer of at least len bytes owned by the thread
 * (valid until the next call), NULL on out-of-memory. */
kstream_err_t ks_task_logs_prepare(ks_task_t *task, ks_thread_t *th,
                                   char *errstr, size_t errstr_size);
kstream_err_t ks_task_restore_begin(ks_task_t *task, ks_thread_t *th,
                                    char *errstr, size_t errstr_size);
kstream_err_t ks_thread_restore_fetch(ks_thread_t *th, int timeout_ms,
                                      size_t *n);
kstream_err_t ks_thread_restore_apply(ks_thread_t *th, size_t n,
                                      bool *worked);
void ks_task_restore_end(ks_task_t *task, ks_thread_t *th);
void ks_thread_restore_close(ks_thread_t *th);
uint8_t *ks_restore_scratch(ks_thread_t *th, size_t len);

/* Checkpoint files (task_checkpoint.c).
 * ks_thread_checkpoint: write the checkpoint file of every running task
 * whose checkpoint_due is set with persistent logged stores (after a
 * successful commit; the one place that decides the offsets). With defer,
 * the offsets are only noted (checkpoint_deferred) and
 * ks_thread_checkpoint_deferred writes them later, once the memtables the
 * commit started writing are on disk (it waits for them; if that fails
 * the files keep their older offsets). */
void ks_thread_checkpoint(ks_thread_t *th, bool defer);
void ks_thread_checkpoint_deferred(ks_thread_t *th);
/* Whether the commit in progress writes task's checkpoint (see
 * checkpoint_records): its changelogs' offsets, as acknowledged so far,
 * against those of its last checkpoint. */
bool ks_task_checkpoint_needed(ks_thread_t *th, ks_task_t *task);
/* The changelog offset a logged store's committed state reaches: past
 * what this thread wrote to it (acknowledged), else where its restore
 * ended (moves log->position). For checkpoints and, under exactly-once,
 * the transactional layer's commit. */
int64_t ks_log_committed_offset(ks_thread_t *th, ks_task_t *task,
                                ks_store_log_t *log);
/* The log of a task's store index, or NULL when the store is not logged
 * (restore.c). */
ks_store_log_t *ks_task_log_of(ks_task_t *task, size_t store);

/* Task internals (task.c). */
ks_task_t *ks_task_new(const ks_subtopology_t *sub, int32_t partition,
                       ks_thread_t *th, kstream_err_t *err);
void ks_task_free(ks_task_t *task);
/* Run the nodes' init (once the task's stores are complete); on failure
 * the ones initialised are closed and th->error says which failed. */
kstream_err_t ks_task_init_nodes(ks_task_t *task, ks_thread_t *th);
ks_rqueue_t *ks_task_add_queue(ks_task_t *task, const char *topic,
                               int32_t partition, const ks_node_t *source);
/* Process the next record of the task (lowest head timestamp). Returns
 * KSTREAM_OK when there was none (*done = true). */
/* List the stores that q's records are prefetched for (hint.c). */
void ks_rqueue_find_hints(ks_task_t *task, ks_rqueue_t *q);
/* The input queue of this thread for (topic, partition) when it has
 * stores to prefetch (hint.c), else NULL: the test driver hands the key of
 * the record it pipes to it with ks_rqueue_hint(), deep false before the
 * record is stored, true after (see the prefetch op in state/store.h). */
const ks_rqueue_t *ks_thread_hint_queue(ks_thread_t *th, const char *topic,
                                        int32_t partition);
kstream_err_t ks_task_process_one(ks_task_t *task, ks_thread_t *th,
                                  bool *done);

/* Stream time moves (idle.c). ks_task_find_advancers lists the nodes
 * with an advance hook (-1: out of memory). ks_task_advance_nodes calls
 * them when stream time moved since their last call (first failure
 * returned, recorded with ks_fail). ks_thread_idle_advance: for each task
 * that has processed no record for window.idle.close.ms of wall clock
 * (and has none buffered), flush its caches once, record env.idle_base
 * (its stream time, which stays) and env.idle_time (that plus the
 * wall-clock time since its last record), and call the advance hooks
 * with idle_time (no stream-time punctuation). */
int ks_task_find_advancers(ks_task_t *task);
kstream_err_t ks_task_advance_nodes(ks_task_t *task);
kstream_err_t ks_thread_idle_advance(ks_thread_t *th);

/* Stores (task_stores.c): open the stores of a task's sub-topology
 * under <state_dir>/<sub>_<partition>/, wrapped with changelog and cache
 * layers, plus the app's global stores; flush them (caches forward what
 * they hold); close them. Opening prepares the restore of logged stores
 * first (ks_task_logs_prepare) and records each one's layer below the
 * changelog layer in its ks_store_log_t. */
kstream_err_t ks_task_open_stores(ks_task_t *task, ks_thread_t *th,
                                  char *errstr, size_t errstr_size);
kstream_err_t ks_task_flush_stores(ks_task_t *task);
void ks_task_close_stores(ks_task_t *task);
/* The stack of one store (dir NULL or "": in memory); *below (when not
 * NULL) gets the layer the changelog layer wraps. NULL on failure. */
ks_store_t *ks_store_stack_open(ks_thread_t *th, const ks_store_def_t *def,
                                const char *dir, int32_t partition,
                                ks_task_env_t *env, ks_task_store_t *slot,
                                ks_store_t **below, char *errstr,
                                size_t errstr_size);
/* Whether def lives in RocksDB (its own backend, else default.dsl.store). */
bool ks_store_persistent(const ks_thread_t *th, const ks_store_def_t *def);
/* <state_dir>/<sub>_<partition>: the task's stores and checkpoint. */
void ks_task_dir(const ks_thread_t *th, const ks_task_t *task, char *buf,
                 size_t size);
/* Global stores: open every global store of the topology, under
 * <state_dir>/global-<idx>/<store> (wiped first: rebuilt from the topic),
 * and feed them from their topics through `client` (manually assigned,
 * all partitions, from the beginning; the thread owns it from the call
 * on). Returns once every partition reached the end offset it had at the
 * call (bootstrap), or fails after "default.api.timeout.ms" (60000 when
 * the property does not exist) with an error naming the topic.
 * ks_thread_update_globals applies what has arrived since (no wait). */
kstream_err_t ks_thread_open_globals(ks_thread_t *th, ks_client_t *client,
                                     char *errstr, size_t errstr_size);
kstream_err_t ks_thread_update_globals(ks_thread_t *th);
void ks_thread_close_globals(ks_thread_t *th);
/* The instance's process id (process_id.c): read from, or made and
 * written to, <dir>/kstream.process-id (dir: the application's state
 * directory, created if needed). out: KS_PROCESS_ID_LEN + 1 bytes. */
#define KS_PROCESS_ID_LEN 32
kstream_err_t ks_process_id(const char *dir, char *out, char *errstr,
                            size_t errstr_size);
/* Make the app's state directory (mkdir -p). */
int ks_mkdirs(const char *path);
/* Remove a directory tree (the test driver's temporary state). */
int ks_rmtree(const char *path);

/* A late record (env.late): dropped and counted, or dead-lettered. */
kstream_err_t ks_late_record(void *owner, const kstream_ctx_t *ctx,
                             const kstream_record_t *rec);

/* Error handlers (handlers.c). Returns KSTREAM_OK when the handler
 * skipped or dead-lettered the record, else the error (thread failed). */
kstream_err_t ks_handle_record_error(ks_thread_t *th, ks_err_kind_t kind,
                                     const ks_msg_t *msg, kstream_err_t err,
                                     const char *node, const char *detail);

/* A store with a changelog: a logged store of a sub-topology (a global
 * store has none: its topic is its changelog). */
static inline bool ks_store_def_logged(const ks_store_def_t *d)
{
    return d->subtopology >= 0 && !d->global_topic &&
           !(d->flags & KSTREAM_STORE_LOGGING_DISABLED);
}

/* The changelog topic of store `store`: "<application.id>-<store>-changelog",
 * written into buf (truncated to size). */
static inline void ks_changelog_topic(const char *app_id, const char *store,
                                      char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s-changelog", app_id, store);
}

/* Internal topics of a topology - repartition topics (partition count
 * explicit, or the largest count of the upstream source topics) and the
 * changelogs of logged stores (the count of their sub-topology's tasks) -
 * with their cleanup policy and retention. pcount gives an external
 * topic's count (-1: unknown -> error). */
typedef struct ks_internal_topic {
    char *name; /* full name */
    int32_t partitions;
    bool changelog; /* a store's changelog (compacted), else repartition */
    const char *cleanup_policy; /* static: "compact", "compact,delete"
                                   (window/session stores) or "delete" */
    int64_t retention_ms;       /* retention.ms to set; -1: broker default */
} ks_internal_topic_t;

kstream_err_t ks_internal_topics(const kstream_topology_t *t,
                                 const char *app_id,
                                 int32_t (*pcount)(void *opaque,
                                                   const char *topic),
                                 void *opaque, ks_internal_topic_t **out,
                                 size_t *n, char *errstr, size_t errstr_size);
void ks_internal_topics_free(ks_internal_topic_t *topics, size_t n);
/* Inputs of every join (a sub-topology with a copartition node) have the
 * same partition count; else an error naming the join and both topics. */
kstream_err_t ks_check_copartition(const kstream_topology_t *t,
                                   const char *app_id,
                                   int32_t (*pcount)(void *opaque,
                                                     const char *topic),
                                   void *opaque, char *errstr,
                                   size_t errstr_size);

#endif /* KS_RUNTIME_H */
