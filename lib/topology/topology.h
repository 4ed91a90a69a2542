/* topology.h - the node graph the DSL emits, its validation and split into
 * sub-topologies, and describe(). A topology is immutable once built and is
 * shared read-only by every task that runs it (Kafka Streams'
 * InternalTopologyBuilder / ProcessorTopology). */
#ifndef KS_TOPOLOGY_H
#define KS_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kstream.h"
#include "util/util.h"

typedef struct ks_proc_class ks_proc_class_t; /* processor/processor.h */

typedef enum ks_node_type {
    KS_NODE_SOURCE,
    KS_NODE_PROCESSOR,
    KS_NODE_SINK
} ks_node_type_t;

typedef struct ks_node {
    char *name;
    ks_node_type_t type;
    const ks_proc_class_t *cls; /* how the node runs */
    void *params;               /* owned; freed by cls->free_params */
    bool explicit_name;         /* the user named it */
    bool stateful;              /* needs an explicit name */
    int serial;                 /* creation order (auto names use it) */

    ks_vec_t parent_names; /* char*, owned; resolved by ks_graph_build() */
    ks_vec_t parents;      /* ks_node_t*, after build */
    ks_vec_t children;     /* ks_node_t*, after build, in creation order */

    /* Sources: topics read (owned). `internal`: names are suffixes of
     * "<application.id>-<suffix>" (repartition topics). */
    char **topics;
    size_t ntopics;
    bool internal;
    int32_t partitions; /* internal source: partition count, 0 = inherit */
    /* Internal source with partitions 0: take the partition count of the
     * other sources of the sub-topology of the node named here (owned;
     * NULL: of the inputs of the sink writing the topic). Foreign-key
     * joins: the subscription topic follows the right table, the response
     * topic the left one. */
    char *partitions_like;

    /* Sinks: fixed topic (owned) or NULL for a dynamic one. */
    char *topic;

    char **stores; /* store names used (owned) */
    size_t nstores;

    int subtopology; /* after build */
    int index;       /* position within its sub-topology, after build */
    bool copartition; /* a join: its sub-topology's inputs must be
                         co-partitioned */
} ks_node_t;

/* A state store of the topology. Processors name the stores they use;
 * every processor using a store lands in the same sub-topology. */
typedef struct ks_store_def {
    char *name;
    kstream_store_type_t type;
    kstream_store_backend_t backend;
    int flags;           /* KSTREAM_STORE_LOGGING_DISABLED|CACHING_ENABLED */
    int64_t retention;   /* window/session stores */
    int64_t window_size; /* window stores */
    bool timestamped;    /* DSL stores: values carry a timestamp prefix */
    bool retain_duplicates; /* window stores: keep every record of a key
                               and time (keys of state/wkeys_dup.c) */
    char *global_topic;  /* global tables: the topic that feeds it */
    int subtopology;     /* after build; -1: global or unused */
} ks_store_def_t;

/* A graph under construction (owned by the builder). */
typedef struct ks_graph {
    ks_vec_t nodes;  /* ks_node_t*, creation order */
    ks_vec_t stores; /* ks_store_def_t* */
    int serial;      /* Kafka-style name counter */
} ks_graph_t;

typedef struct ks_subtopology {
    int id;
    ks_vec_t nodes;   /* ks_node_t*, creation order; sources first */
    ks_vec_t sources; /* source nodes */
} ks_subtopology_t;

struct kstream_topology_s {
    ks_vec_t nodes;  /* ks_node_t*, owned */
    ks_vec_t stores; /* ks_store_def_t*, owned */
    ks_subtopology_t *subs;
    size_t nsubs;
};

/* Add a node; takes ownership of params (freed with cls->free_params even
 * on failure). name NULL: "KSTREAM-<KIND>-%010d". Returns NULL on oom. */
ks_node_t *ks_graph_add(ks_graph_t *g, ks_node_type_t type,
                        const ks_proc_class_t *cls, void *params,
                        const char *kind_upper, const char *name);
int ks_node_add_parent(ks_node_t *n, const char *parent_name);
/* Let n use the store called name (copied). */
int ks_node_add_store(ks_node_t *n, const char *name);
/* Add a store definition; NULL when the name is taken (*dup set) or on
 * oom. */
ks_store_def_t *ks_graph_add_store(ks_graph_t *g, const char *name,
                                   kstream_store_type_t type, bool *dup);
const ks_store_def_t *ks_topology_store(const kstream_topology_t *t,
                                        const char *name);
void ks_store_def_free(ks_store_def_t *d);
void ks_node_free(ks_node_t *n);
void ks_graph_free(ks_graph_t *g);

/* Validate and split; on success the graph's nodes move into the new
 * topology (the graph is left empty). NULL with a message on failure. */
kstream_topology_t *ks_graph_build(ks_graph_t *g, char *errstr,
                                   size_t errstr_size);

/* Full name of a topic a node names: internal ones get the application id
 * prefix. Writes into buf; returns buf. */
const char *ks_topic_name(const char *topic, bool internal,
                          const char *application_id, char *buf,
                          size_t size);

#endif /* KS_TOPOLOGY_H */
