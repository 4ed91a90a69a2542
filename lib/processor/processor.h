/* processor.h - the node kinds that run and the processor context.
 *
 * A task (lib/runtime) instantiates one kstream_ctx_t per topology node of
 * its sub-topology and fills a ks_task_env_t that the nodes read: arena,
 * times, partition, punctuation schedules, and the produce function sinks
 * call. Nothing here knows whether Kafka or the simulated cluster is
 * behind the produce function. */
#ifndef KS_PROCESSOR_H
#define KS_PROCESSOR_H

#include "core/core.h"
#include "runtime/client.h"
#include "topology/topology.h"
#include "util/util.h"

/* ---- records ------------------------------------------------------------ */
enum {
    KS_REC_WRITABLE = 1 << 0,  /* engine-owned output record */
    KS_REC_KEY_RO = 1 << 1,    /* the operator may not change the key */
    KS_REC_VALUE_RO = 1 << 2,  /* ... nor the value */
    KS_REC_HDR_OWNED = 1 << 3  /* headers array is this record's own */
};

struct kstream_record_s {
    const void *key; /* NULL: null key */
    size_t key_len;
    const void *value; /* NULL: tombstone */
    size_t value_len;
    int64_t timestamp;
    const kstream_header_t *headers;
    size_t nheaders, hcap;
    const char *topic; /* NULL: not from a topic */
    int32_t partition;
    int64_t offset;
    ks_arena_t *arena; /* where setters copy to (writable records) */
    unsigned flags;
    /* Table updates carry the key's previous value (Kafka's Change<V>);
     * old_value NULL: none. Stream records have none. */
    const void *old_value;
    size_t old_value_len;
};

/* A read-only view of a consumed message. */
void ks_record_from_msg(kstream_record_t *rec, const ks_msg_t *msg);
/* A writable copy of `from` (shallow: bytes are shared until set) in the
 * arena; from NULL: null key/value, no headers, timestamp ts. */
kstream_record_t *ks_record_new(ks_arena_t *arena,
                                const kstream_record_t *from, int64_t ts);

struct kstream_records_s {
    ks_arena_t *arena;
    const kstream_record_t *in;
    unsigned ro_flags; /* flags added to each record */
    kstream_record_t **recs;
    size_t n, cap;
};

/* ---- punctuation --------------------------------------------------------- */
typedef struct ks_punct {
    uint64_t id;
    kstream_ctx_t *ctx;
    kstream_punctuation_type_t type;
    int64_t interval;
    int64_t next; /* next time it fires */
    kstream_punctuator_cb *cb;
    void *opaque;
    bool cancelled;
} ks_punct_t;

typedef struct ks_punct_list {
    ks_punct_t *items;
    size_t n, cap;
    uint64_t next_id;
} ks_punct_list_t;

/* ---- the task environment --------------------------------------------- */
typedef enum ks_fail_kind {
    KS_FAIL_NONE,
    KS_FAIL_PROCESSING, /* a callback failed the record */
    KS_FAIL_PRODUCTION  /* a sink could not produce */
} ks_fail_kind_t;

/* Counters of records operators skip on purpose (not errors). */
typedef enum ks_counter {
    KS_CNT_DROPPED,   /* NULL key/value where one is needed */
    KS_CNT_LATE,      /* past window end + grace */
    KS_CNT_DUPLICATE, /* deduplicated */
    KS_CNT__COUNT
} ks_counter_t;

/* A store of the task: its definition and the public handle. When the
 * store is cached (`cached`), updates reach downstream when the cache
 * writes them down: the runtime's cache listener forwards them from
 * `forward_ctx`, the node that materializes the store (it registers with
 * ks_store_bind()). Otherwise that node forwards right after its put. */
typedef struct ks_task_store {
    const struct ks_store_def *def;
    kstream_store_t *ps;
    bool cached;
    kstream_ctx_t *forward_ctx;
    /* exactly_once_v2: the transactional layer of the stack (state/store.h,
     * right above the bottom store); NULL otherwise. */
    struct ks_store *txn;
} ks_task_store_t;

typedef struct ks_task_env {
    ks_arena_t *arena;          /* reset after each input record */
    int64_t stream_time;        /* -1 before the first record */
    int64_t wall_clock;         /* set by the runtime before calls */
    int64_t cur_ts;             /* timestamp of the current record */
    /* The input record being processed (NULL in punctuators and flushes):
     * table updates forwarded while it is processed carry its source
     * (topic, partition, offset) and headers, as in Kafka Streams. */
    const kstream_record_t *cur_rec;
    int32_t partition;
    int subtopology;
    const char *application_id;
    const ks_logger_t *log;
    ks_punct_list_t punct;
    /* Sinks call this (the runtime's record collector). */
    kstream_err_t (*produce)(void *owner, const ks_out_t *out);
    void *owner;
    /* First failure of the current record: node and kind, and a detail. */
    const ks_node_t *fail_node;
    ks_fail_kind_t fail_kind;
    char fail_detail[256];
    /* Counters the runtime reads. */
    uint64_t punctuations;
    uint64_t counters[KS_CNT__COUNT];
    /* Stores of the task (and the app's global stores, read only). */
    ks_task_store_t *stores;
    size_t nstores;
    /* A late record: the runtime drops it (counted) or dead-letters the
     * input record, per "late.records.handler". */
    kstream_err_t (*late)(void *owner, const kstream_ctx_t *ctx,
                          const kstream_record_t *rec);
    /* True while the runtime runs the idle advance of a task
     * (window.idle.close.ms, runtime/idle.c): the task's caches were
     * flushed first, so every update up to stream_time is downstream. */
    bool idle_advance;
    /* The last idle advance (-1, -1: none): stream time was idle_base
     * when the input went quiet, and the windows that could be open then
     * (start <= idle_base) are closed as at stream time idle_time. The
     * stream time itself stays: windowed aggregations treat a window as
     * closed by stream_time, or when its start <= idle_base and it is
     * closed by idle_time; suppression emits the entries of such windows
     * (suppress.c). Nothing else (expiry, deduplication, punctuation)
     * sees idle_time. Both are cleared when records move stream_time to
     * idle_time or beyond. */
    int64_t idle_base;
    int64_t idle_time;
} ks_task_env_t;

/* Whether the task's last idle advance closed a window that starts at
 * start and closes at stream time close_at (its end + grace, as its
 * aggregation counts it): start <= env->idle_base and close_at <=
 * env->idle_time. Windowed aggregations close a window by stream time or
 * by this (runtime/idle.c). */
static inline bool ks_idle_closed(const ks_task_env_t *env, int64_t start,
                                  int64_t close_at)
{
    return env->idle_time >= 0 && start <= env->idle_base &&
           close_at <= env->idle_time;
}

struct kstream_ctx_s {
    const ks_node_t *node;
    ks_task_env_t *env;
    kstream_ctx_t **children;
    size_t nchildren;
    void *state; /* the node kind's per-task state */
};

/* How a node kind runs. */
struct ks_proc_class {
    const char *kind; /* "filter", "source", ... (describe) */
    /* Optional: set up ctx->state. */
    kstream_err_t (*init)(kstream_ctx_t *ctx);
    kstream_err_t (*process)(kstream_ctx_t *ctx, const kstream_record_t *rec);
    /* Optional: free ctx->state. */
    void (*close)(kstream_ctx_t *ctx);
    /* Optional: free node params. */
    void (*free_params)(void *params);
    /* Optional: stream time moved to stream_time (after a record and its
     * stream-time punctuation), or an idle advance happened (then
     * stream_time is env->idle_time and env->idle_advance is true; the
     * task's stream time did not move): emit what is now due
     * (suppression). Failures go through ks_fail(). */
    kstream_err_t (*advance)(kstream_ctx_t *ctx, int64_t stream_time);
    /* Prefetch hints (runtime/task.c): keeps_key, the node forwards
     * records under the key it got (filter, map_values, peek, ...);
     * input_keyed, it reads and writes its stores under the key of the
     * record it gets (key-value aggregations, table materialization). The
     * stores of input_keyed nodes that a source reaches through keeps_key
     * nodes are prefetched with each input record's key before the record
     * is processed. A hint only: it never changes what happens. */
    bool keeps_key;
    bool input_keyed;
};

/* Forward to every child / to child i. */
kstream_err_t ks_forward(kstream_ctx_t *ctx, const kstream_record_t *rec);
kstream_err_t ks_forward_child(kstream_ctx_t *ctx, size_t i,
                               const kstream_record_t *rec);
/* Record the failure of the current record at this node (first one wins)
 * and return err. detail may be NULL. */
kstream_err_t ks_fail(kstream_ctx_t *ctx, ks_fail_kind_t kind,
                      kstream_err_t err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The store called name if ctx's node may use it (or a global store). */
kstream_store_t *ks_ctx_store(const kstream_ctx_t *ctx, const char *name);
ks_task_store_t *ks_ctx_task_store(const kstream_ctx_t *ctx,
                                   const char *name);
/* ctx materializes store `name`: with a cache, it forwards the store's
 * write-downs. Returns the task store (NULL: not found). */
ks_task_store_t *ks_store_bind(kstream_ctx_t *ctx, const char *name);
/* Forward a table update (key, new, old, ts) from ctx. */
kstream_err_t ks_forward_change(kstream_ctx_t *ctx, const void *key,
                                size_t klen, const void *value, size_t vlen,
                                const void *old, size_t olen, int64_t ts);
/* Put a timestamped value into a materialized store and, when the store
 * is not cached, forward (key, value, old) downstream. value NULL
 * deletes. old (raw, NULL: none) is what the store held. */
kstream_err_t ks_materialize(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen,
                             const void *value, size_t vlen, int64_t rec_ts,
                             const void *old, size_t olen);
/* The cache listener the runtime installs for DSL stores: opaque is the
 * ks_task_store_t; it forwards from forward_ctx. */
kstream_err_t ks_store_cache_flushed(void *opaque, const void *key,
                                     size_t klen, const void *value,
                                     size_t vlen, const void *old,
                                     size_t olen);
/* Count a skipped record and log why (debug level). */
void ks_skip(kstream_ctx_t *ctx, ks_counter_t what,
             const kstream_record_t *rec, const char *why);

/* Timestamped values of DSL stores: 8-byte BE timestamp + value. */
void *ks_tv_encode(ks_arena_t *arena, int64_t ts, const void *value,
                   size_t len, size_t *out_len);
/* false when shorter than 8 bytes. */
bool ks_tv_decode(const void *tv, size_t len, int64_t *ts,
                  kstream_bytes_t *value);
void ks_put_be64(uint8_t *p, int64_t v);
int64_t ks_get_be64(const void *p);
void ks_put_be32(uint8_t *p, uint32_t v);
uint32_t ks_get_be32(const void *p);

/* Punctuation: fire due stream-time (or wall-clock) punctuators of the
 * list with the given time. Returns the first error. */
kstream_err_t ks_punct_fire(ks_task_env_t *env, kstream_punctuation_type_t type,
                            int64_t now);
void ks_punct_remove_ctx(ks_punct_list_t *pl, const kstream_ctx_t *ctx);
void ks_punct_free(ks_punct_list_t *pl);

/* ---- node kinds (stateless.c, sink.c, source.c, process.c, print.c) --- */
typedef struct ks_cb {
    void *fn;
    void *opaque;
    kstream_free_cb *opaque_free;
} ks_cb_t;

/* Params of the simple callback kinds are a ks_cb_t (heap). */
ks_cb_t *ks_cb_new(void *fn, void *opaque, kstream_free_cb *opaque_free);
void ks_cb_free(void *cb);

extern const ks_proc_class_t ks_class_source;
extern const ks_proc_class_t ks_class_filter;
extern const ks_proc_class_t ks_class_filter_not;
extern const ks_proc_class_t ks_class_map;
extern const ks_proc_class_t ks_class_map_values;
extern const ks_proc_class_t ks_class_select_key;
extern const ks_proc_class_t ks_class_flat_map;
extern const ks_proc_class_t ks_class_flat_map_values;
extern const ks_proc_class_t ks_class_peek;
extern const ks_proc_class_t ks_class_foreach;
extern const ks_proc_class_t ks_class_passthrough; /* merge, branches */
extern const ks_proc_class_t ks_class_split;
extern const ks_proc_class_t ks_class_print;
extern const ks_proc_class_t ks_class_process;
extern const ks_proc_class_t ks_class_sink;

/* Source params: the timestamp extractor (may be absent). */
typedef struct ks_source_params {
    ks_cb_t extractor; /* fn NULL: the record's own timestamp */
} ks_source_params_t;
ks_source_params_t *ks_source_params_new(void);
/* Timestamp of a record for a source node; KSTREAM_ERR_INVALID_TIMESTAMP
 * when negative. */
kstream_err_t ks_source_timestamp(const ks_node_t *source,
                                  const kstream_record_t *rec,
                                  int64_t partition_time, int64_t *ts);

/* Split params: the branches' predicates in order. */
typedef struct ks_split_params {
    ks_cb_t *preds;
    size_t npreds, cap;
    bool has_default;
} ks_split_params_t;

/* Sink params: a fixed topic (node->topic) or an extractor. */
typedef struct ks_sink_params {
    ks_cb_t extractor;
} ks_sink_params_t;

typedef struct ks_print_params {
    FILE *out;
    char *label;
} ks_print_params_t;

/* Aggregations (aggregate.c, table_aggregate.c, and the windowed ones).
 * count: the aggregate is a Kafka long; reduce: the first value, then
 * add(rec, agg); aggregate: init, then add(rec, agg). Table aggregations
 * also subtract. */
typedef enum ks_agg_kind { KS_AGG_COUNT, KS_AGG_REDUCE, KS_AGG_AGGREGATE } ks_agg_kind_t;
typedef struct ks_agg_params {
    ks_agg_kind_t kind;
    kstream_initializer_cb *init;
    void *init_opaque;
    kstream_free_cb *init_opaque_free;
    kstream_aggregator_cb *add;
    kstream_aggregator_cb *sub;
    kstream_merger_cb *merger;
    void *opaque;
    kstream_free_cb *opaque_free;
    char store[256];
    kstream_windows_t windows; /* kind 0: not windowed */
} ks_agg_params_t;
void ks_agg_params_free(void *p);
/* The aggregate of rec folded into agg (agg.data NULL: none yet) with
 * ap->add, or ap->sub when subtract, into out. count: +1 / -1. */
kstream_err_t ks_agg_apply(kstream_ctx_t *ctx, const ks_agg_params_t *ap,
                           bool subtract, const kstream_record_t *rec,
                           kstream_bytes_t agg, kstream_buf_t *out);

/* A key's current aggregate from a timestamped store, copied into the
 * arena (agg.data NULL, *agg_ts -1: none). */
kstream_err_t ks_agg_read(kstream_ctx_t *ctx, ks_task_store_t *ts,
                          const void *key, size_t klen, kstream_bytes_t *agg,
                          int64_t *agg_ts);

extern const ks_proc_class_t ks_class_table_source;
extern const ks_proc_class_t ks_class_table_filter;
extern const ks_proc_class_t ks_class_table_filter_not;
extern const ks_proc_class_t ks_class_table_map_values;
extern const ks_proc_class_t ks_class_to_stream;
extern const ks_proc_class_t ks_class_aggregate;
extern const ks_proc_class_t ks_class_table_regroup;
extern const ks_proc_class_t ks_class_table_aggregate;
extern const ks_proc_class_t ks_class_window_aggregate;  /* window_agg.c */
extern const ks_proc_class_t ks_class_session_aggregate; /* session_agg.c */

typedef struct ks_process_params {
    kstream_processor_t proc;
    void *opaque;
    kstream_free_cb *opaque_free;
} ks_process_params_t;

/* Suppression (suppress.c, Kafka Streams' KTableSuppressProcessor) and
 * deduplication (dedup.c). Both keep state in the store `store`. */
typedef struct ks_suppress_params {
    bool until_window_closes;  /* else until the time limit */
    kstream_windows_t windows; /* until_window_closes: the table's */
    int64_t time_limit;        /* until the time limit */
    uint64_t max_records, max_bytes; /* 0: unbounded */
    kstream_buffer_full_t when_full;
    char store[256];    /* the buffer */
    char upstream[256]; /* the store materializing the input ("": none) */
} ks_suppress_params_t;

typedef struct ks_dedup_params {
    ks_cb_t cb; /* kstream_id_extractor_cb */
    int64_t window;
    char store[256]; /* window store: id + time -> time */
} ks_dedup_params_t;
void ks_dedup_params_free(void *p);

extern const ks_proc_class_t ks_class_suppress;
extern const ks_proc_class_t ks_class_dedup;

/* Joins against a table (join_table.c: stream-table and stream-global,
 * Kafka Streams' KStreamKTableJoin and KStreamGlobalKTableJoin;
 * join_table_table.c: table-table, KTableKTableJoin and its merger). A
 * join node looks the other side up in `store`. The two nodes of a
 * table-table join share joiner and opaque: only the left one frees it. */
typedef struct ks_join_table_params {
    kstream_join_kind_t kind;
    kstream_joiner_cb *joiner;
    kstream_key_extractor_cb *mapper; /* stream-global: the lookup key */
    void *opaque;
    kstream_free_cb *opaque_free; /* NULL when another node owns opaque */
    char store[256];              /* the other side's store */
} ks_join_table_params_t;
void ks_join_table_params_free(void *p);
/* The row of key in ts (a timestamped store): *found, and its value and
 * timestamp, borrowed until the next call on the store. */
kstream_err_t ks_join_lookup(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen, bool *found,
                             kstream_bytes_t *value, int64_t *row_ts);
/* Call the joiner on (left, right) (one may be NULL) into *out: a copy of
 * left (else right) with a NULL value, a read-only key and timestamp ts. */
kstream_err_t ks_join_apply(kstream_ctx_t *ctx,
                            const ks_join_table_params_t *jp,
                            const kstream_record_t *left,
                            const kstream_record_t *right, int64_t ts,
                            kstream_record_t **out);

extern const ks_proc_class_t ks_class_stream_table_join;
extern const ks_proc_class_t ks_class_stream_global_join;
extern const ks_proc_class_t ks_class_table_join_left;  /* left updates */
extern const ks_proc_class_t ks_class_table_join_right; /* right updates */
extern const ks_proc_class_t ks_class_table_join_merge;

#endif /* KS_PROCESSOR_H */
