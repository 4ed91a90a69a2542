/* dsl.h - internal structures of the DSL handles (Kafka Streams'
 * StreamsBuilder / KStreamImpl / BranchedKStreamImpl). The DSL only emits
 * graph nodes; lib/topology validates them at build. */
#ifndef KS_DSL_H
#define KS_DSL_H

#include "processor/processor.h"
#include "topology/topology.h"

struct kstream_builder_s {
    ks_graph_t g;
    ks_vec_t streams; /* kstream_stream_t*, owned */
    ks_vec_t splits;  /* kstream_split_t*, owned */
    ks_vec_t handles; /* tables, grouped...: plain structs, free()d */
    char *error;      /* first operator error, or NULL */
};

/* A table: the node whose output is the table's updates (value = new,
 * old_value = previous), the store that materializes it (or NULL), and
 * its windows (kind 0: not windowed). */
struct kstream_table_s {
    kstream_builder_t *b;
    ks_node_t *node;
    char store[256];
    kstream_windows_t windows;
};

struct kstream_grouped_s {
    kstream_builder_t *b;
    kstream_stream_t *s;     /* records to aggregate */
    bool needs_repartition;  /* key changed upstream: repartition first */
};

/* A re-keyed table: the repartition source of (key, flagged value)
 * records (see processor/table_aggregate.c). */
struct kstream_grouped_table_s {
    kstream_builder_t *b;
    ks_node_t *source;
};

struct kstream_windowed_s {
    kstream_builder_t *b;
    kstream_grouped_t *g;
    kstream_windows_t windows;
};

#define KS_COGROUP_MAX 32
struct kstream_cogrouped_s {
    kstream_builder_t *b;
    size_t n;
    kstream_grouped_t *g[KS_COGROUP_MAX];
    ks_cb_t agg[KS_COGROUP_MAX];
    bool used; /* aggregate() was called */
};

struct kstream_stream_s {
    kstream_builder_t *b;
    ks_node_t *node;
    bool is_source;
    bool key_changed; /* a key-changing operator is upstream */
};

struct kstream_split_s {
    kstream_builder_t *b;
    ks_node_t *node;
    char *prefix;
    size_t nbranches;
    bool closed;      /* the default branch was added */
    bool key_changed; /* of the split stream: its branches inherit it */
};

/* Record the builder's first error. Always returns NULL (for chaining in
 * returns of stream constructors). */
void *ks_dsl_error(kstream_builder_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* A new stream handle for node n (owned by the builder). */
kstream_stream_t *ks_dsl_stream(kstream_builder_t *b, ks_node_t *n,
                                bool key_changed);
/* A valid Kafka topic name: 1-249 chars of [a-zA-Z0-9._-], not "." or
 * "..". */
bool ks_dsl_topic_valid(const char *topic);
/* Add a processor node that is a child of s. Takes params (freed on
 * failure). Returns NULL (error recorded) on failure. */
ks_node_t *ks_dsl_child(kstream_stream_t *s, ks_node_type_t type,
                        const ks_proc_class_t *cls, void *params,
                        const char *kind_upper, const char *name);

/* A zeroed plain struct owned by the builder (NULL: error recorded). */
void *ks_dsl_handle(kstream_builder_t *b, size_t size);
/* Add a DSL store (timestamped key-value or window/session) named name,
 * used by node n. Records an error and returns NULL on a duplicate. */
ks_store_def_t *ks_dsl_store(kstream_builder_t *b, ks_node_t *n,
                             const char *name, kstream_store_type_t type);
/* The stream to aggregate for g: g->s, or a repartition of it through
 * "<name>-repartition" when its key changed upstream. */
kstream_stream_t *ks_dsl_grouped_input(kstream_grouped_t *g,
                                       const char *name);
/* A table over node n materialized in store (may be NULL). */
kstream_table_t *ks_dsl_table(kstream_builder_t *b, ks_node_t *n,
                              const char *store);

/* The store that materializes t, adding a materializing node (and store
 * "<name>-<side>-table") under t when it has none. NULL: error recorded.
 * The caller makes its join node use the store (ks_node_add_store). */
const char *ks_dsl_table_store(kstream_table_t *t, const char *name,
                               const char *side);
/* s, or a repartition of s through "<name>-<side>-repartition" when its
 * key changed upstream (joins need co-partitioned inputs). */
kstream_stream_t *ks_dsl_copartition(kstream_stream_t *s, const char *name,
                                     const char *side);

#endif /* KS_DSL_H */
