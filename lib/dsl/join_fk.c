/* join_fk.c - kstream_table_join_fk (Kafka Streams' KTableImpl.join /
 * leftJoin with a foreign-key extractor, KIP-213): the nodes, stores and
 * internal topics of the join. How they run, and the formats of the
 * topics and the store: processor/join_fk.c.
 *
 * Nodes, for a join called N (left table L, right table R):
 *   N-subscription-send (child of L)
 *     -> N-subscription-registration-sink  -> topic
 *        "N-subscription-registration-topic"
 *     -> N-subscription-response-resolver (left joins: rows without FK)
 *   N-subscription-registration-source -> N-subscription-receive
 *     (stores N-subscription-store and R's) -> N-subscription-response-sink
 *   N-foreign-table-join (child of R; N-subscription-store)
 *     -> N-subscription-response-sink -> topic
 *        "N-subscription-response-topic"
 *   N-subscription-response-source -> N-subscription-response-resolver
 *     (L's store) -> the result table (not materialized)
 * L and R are materialized first when they are not ("N-left-table",
 * "N-right-table"). The registration topic gets R's partition count and
 * the response topic L's (ks_node_t.partitions_like): the join needs no
 * co-partitioning. The opaque is given in every case: freed with
 * opaque_free on failure, or when the topology goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "processor/join_fk.h"

/* An internal sink child of parent writing topic "<name>-<what>-topic". */
static ks_node_t *internal_sink(kstream_builder_t *b, ks_node_t *parent,
                                const ks_proc_class_t *cls, void *params,
                                const char *name, const char *what)
{
    char node[320], topic[320];
    snprintf(node, sizeof(node), "%s-%s-sink", name, what);
    snprintf(topic, sizeof(topic), "%s-%s-topic", name, what);
    kstream_stream_t s = {.b = b, .node = parent};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_SINK, cls, params,
                                "KTABLE-SINK", node);
    if (!n)
        return NULL;
    n->internal = true;
    n->stateful = true;
    if (!(n->topic = ks_strdup(topic)))
        return ks_dsl_error(b, "out of memory");
    return n;
}

/* The internal source of topic "<name>-<what>-topic", partitioned like
 * the sub-topology of node `like`. */
static ks_node_t *internal_source(kstream_builder_t *b, const char *name,
                                  const char *what, const char *like)
{
    char node[320], topic[320];
    snprintf(node, sizeof(node), "%s-%s-source", name, what);
    snprintf(topic, sizeof(topic), "%s-%s-topic", name, what);
    ks_source_params_t *sp = ks_source_params_new();
    if (!sp)
        return ks_dsl_error(b, "out of memory");
    ks_node_t *n = ks_graph_add(&b->g, KS_NODE_SOURCE, &ks_class_source, sp,
                                "KTABLE-SOURCE", node);
    if (!n)
        return ks_dsl_error(b, "out of memory");
    n->internal = true;
    n->stateful = true;
    n->topics = calloc(1, sizeof(char *));
    if (!n->topics || !(n->topics[0] = ks_strdup(topic)) ||
        !(n->partitions_like = ks_strdup(like)))
        return ks_dsl_error(b, "out of memory");
    n->ntopics = 1;
    return n;
}

/* A processor node child of parent using params (one more reference). */
static ks_node_t *fk_node(kstream_builder_t *b, ks_node_t *parent,
                          const ks_proc_class_t *cls, ks_fk_params_t *p,
                          const char *name, const char *what)
{
    char node[320];
    snprintf(node, sizeof(node), "%s-%s", name, what);
    kstream_stream_t s = {.b = b, .node = parent};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, cls,
                                ks_fk_params_ref(p), "KTABLE-FK-JOIN", node);
    if (n)
        n->stateful = true;
    return n;
}

static kstream_table_t *build(kstream_builder_t *b, kstream_table_t *left,
                              kstream_table_t *right, ks_fk_params_t *p,
                              const char *name)
{
    const char *store = ks_dsl_table_store(left, name, "left");
    if (!store)
        return NULL;
    snprintf(p->left_store, sizeof(p->left_store), "%s", store);
    if (!(store = ks_dsl_table_store(right, name, "right")))
        return NULL;
    snprintf(p->right_store, sizeof(p->right_store), "%s", store);
    snprintf(p->sub_store, sizeof(p->sub_store), "%s-subscription-store",
             name);

    /* Left side: subscriptions out. */
    ks_node_t *send = fk_node(b, left->node, &ks_class_fk_send, p, name,
                              "subscription-send");
    ks_sink_params_t *sp = send ? calloc(1, sizeof(*sp)) : NULL;
    if (send && !sp)
        return ks_dsl_error(b, "out of memory");
    if (!send || !internal_sink(b, send, &ks_class_sink, sp, name,
                                "subscription-registration"))
        return NULL;

    /* Right side: subscriptions in, right updates, responses out. */
    ks_node_t *reg = internal_source(b, name, "subscription-registration",
                                     right->node->name);
    ks_node_t *recv = reg ? fk_node(b, reg, &ks_class_fk_receive, p, name,
                                    "subscription-receive")
                          : NULL;
    if (!recv)
        return NULL;
    ks_store_def_t *d = ks_dsl_store(b, recv, p->sub_store,
                                     KSTREAM_STORE_KEY_VALUE);
    if (!d)
        return NULL;
    d->flags = 0; /* logged, not cached (Kafka's subscription store) */
    if (ks_node_add_store(recv, p->right_store))
        return ks_dsl_error(b, "out of memory");
    ks_node_t *foreign = fk_node(b, right->node, &ks_class_fk_foreign, p,
                                 name, "foreign-table-join");
    if (!foreign)
        return NULL;
    if (ks_node_add_store(foreign, p->sub_store))
        return ks_dsl_error(b, "out of memory");
    ks_node_t *rsink = internal_sink(b, recv, &ks_class_fk_response_sink,
                                     NULL, name, "subscription-response");
    if (!rsink)
        return NULL;
    if (ks_node_add_parent(rsink, foreign->name))
        return ks_dsl_error(b, "out of memory");

    /* Left side: responses in, results out. */
    ks_node_t *resp = internal_source(b, name, "subscription-response",
                                      left->node->name);
    ks_node_t *resolve = resp ? fk_node(b, resp, &ks_class_fk_resolve, p,
                                        name, "subscription-response-resolver")
                              : NULL;
    if (!resolve)
        return NULL;
    if (ks_node_add_parent(resolve, send->name) ||
        ks_node_add_store(resolve, p->left_store))
        return ks_dsl_error(b, "out of memory");
    return ks_dsl_table(b, resolve, NULL);
}

kstream_table_t *kstream_table_join_fk(kstream_table_t *left,
                                       kstream_table_t *right,
                                       kstream_key_extractor_cb *fk,
                                       kstream_join_kind_t kind,
                                       kstream_joiner_cb *joiner, void *opaque,
                                       kstream_free_cb *opaque_free,
                                       const char *name)
{
    kstream_builder_t *b = left ? left->b : right ? right->b : NULL;
    const char *why = NULL;
    if (!left || !right)
        why = "a table is NULL";
    else if (left->b != right->b)
        why = "the tables belong to different builders";
    else if (!fk)
        why = "the foreign key extractor is NULL";
    else if (!joiner)
        why = "the joiner is NULL";
    else if (kind != KSTREAM_JOIN_INNER && kind != KSTREAM_JOIN_LEFT)
        why = kind == KSTREAM_JOIN_OUTER
                      ? "join kind OUTER: a foreign-key join is inner or left"
                      : "unknown join kind: a foreign-key join is inner or "
                        "left";
    else if (!name || !ks_dsl_topic_valid(name))
        why = "it needs a name usable in a topic name (it names the join's "
              "stores and internal topics)";
    if (why) {
        if (opaque_free)
            opaque_free(opaque);
        if (b)
            ks_dsl_error(b, "join_fk of '%s': %s",
                         left ? left->node->name : right->node->name, why);
        return NULL;
    }
    ks_fk_params_t *p = ks_fk_params_new(kind, fk, joiner, opaque,
                                         opaque_free);
    if (!p) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(b, "out of memory");
    }
    kstream_table_t *t = build(b, left, right, p, name);
    ks_fk_params_unref(p); /* the nodes hold theirs */
    return t;
}
