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
    char *error;      /* first operator error, or NULL */
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
    bool closed; /* the default branch was added */
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

#endif /* KS_DSL_H */
