/* runtime.h - stream threads and tasks over the client interface (Kafka
 * Streams' StreamThread, TaskManager, StreamTask, PartitionGroup,
 * RecordCollector). The same code runs under the test driver (simulated
 * cluster) and, from the Kafka runtime issue on, against librdkafka. */
#ifndef KS_RUNTIME_H
#define KS_RUNTIME_H

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
} ks_rqueue_t;

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
    uint64_t errors[KS_ERRK__COUNT];
} ks_metrics_t;

typedef int64_t(ks_clock_fn)(void *opaque);

/* ---- a stream thread ------------------------------------------------------ */
typedef struct ks_thread {
    const kstream_topology_t *topo;
    char *app_id;
    ks_logger_t log;
    ks_client_t *client;
    ks_clock_fn *now;
    void *now_opaque;
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
    const ks_msg_t *cur_msg; /* input record being processed */
    int64_t idle_close_ms;   /* window.idle.close.ms; -1: off */
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
/* Poll once, process what is buffered, fire punctuators, commit when due.
 * *worked: whether anything was polled or processed. */
kstream_err_t ks_thread_run_once(ks_thread_t *th, int timeout_ms,
                                 bool *worked);
/* Fire due wall-clock punctuators of every task. */
kstream_err_t ks_thread_punctuate_wall(ks_thread_t *th);
kstream_err_t ks_thread_commit(ks_thread_t *th);
/* Commit, close every task, leave the group (destroy the client). */
void ks_thread_destroy(ks_thread_t *th);

/* Task internals (task.c). */
ks_task_t *ks_task_new(const ks_subtopology_t *sub, int32_t partition,
                       ks_thread_t *th, kstream_err_t *err);
void ks_task_free(ks_task_t *task);
ks_rqueue_t *ks_task_add_queue(ks_task_t *task, const char *topic,
                               int32_t partition, const ks_node_t *source);
/* Process the next record of the task (lowest head timestamp). Returns
 * KSTREAM_OK when there was none (*done = true). */
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
 * they hold); close them. */
kstream_err_t ks_task_open_stores(ks_task_t *task, ks_thread_t *th,
                                  char *errstr, size_t errstr_size);
kstream_err_t ks_task_flush_stores(ks_task_t *task);
void ks_task_close_stores(ks_task_t *task);
/* Global stores: open every global store of the topology, and feed them
 * from their topics through `client` (manually assigned, all partitions,
 * from the beginning). ks_thread_update_globals polls until caught up. */
kstream_err_t ks_thread_open_globals(ks_thread_t *th, ks_client_t *client,
                                     char *errstr, size_t errstr_size);
kstream_err_t ks_thread_update_globals(ks_thread_t *th);
void ks_thread_close_globals(ks_thread_t *th);
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

/* Internal topics of a topology (repartition topics) with their partition
 * counts: explicit, or the largest count of the upstream source topics.
 * pcount gives an external topic's count (-1: unknown -> error). */
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
