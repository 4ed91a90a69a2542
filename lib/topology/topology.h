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

    /* Sinks: fixed topic (owned) or NULL for a dynamic one. */
    char *topic;

    char **stores; /* store names used (owned) */
    size_t nstores;

    int subtopology; /* after build */
    int index;       /* position within its sub-topology, after build */
} ks_node_t;

/* A graph under construction (owned by the builder). */
typedef struct ks_graph {
    ks_vec_t nodes; /* ks_node_t*, creation order */
    int serial;     /* Kafka-style name counter */
} ks_graph_t;

typedef struct ks_subtopology {
    int id;
    ks_vec_t nodes;   /* ks_node_t*, creation order; sources first */
    ks_vec_t sources; /* source nodes */
} ks_subtopology_t;

struct kstream_topology_s {
    ks_vec_t nodes; /* ks_node_t*, owned */
    ks_subtopology_t *subs;
    size_t nsubs;
};

/* Add a node; takes ownership of params (freed with cls->free_params even
 * on failure). name NULL: "KSTREAM-<KIND>-%010d". Returns NULL on oom. */
ks_node_t *ks_graph_add(ks_graph_t *g, ks_node_type_t type,
                        const ks_proc_class_t *cls, void *params,
                        const char *kind_upper, const char *name);
int ks_node_add_parent(ks_node_t *n, const char *parent_name);
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
