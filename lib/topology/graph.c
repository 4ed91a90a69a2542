/* graph.c - nodes of a topology under construction (Kafka Streams'
 * GraphNode / InternalTopologyBuilder node factories): creation with
 * generated names, parents by name, freeing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "topology/topology.h"

ks_node_t *ks_graph_add(ks_graph_t *g, ks_node_type_t type,
                        const ks_proc_class_t *cls, void *params,
                        const char *kind_upper, const char *name)
{
    ks_node_t *n = calloc(1, sizeof(*n));
    if (!n) {
        if (cls->free_params)
            cls->free_params(params);
        return NULL;
    }
    n->type = type;
    n->cls = cls;
    n->params = params;
    n->serial = g->serial++;
    n->subtopology = -1;
    if (name) {
        n->name = ks_strdup(name);
        n->explicit_name = true;
    } else {
        char buf[128];
        snprintf(buf, sizeof(buf), "KSTREAM-%s-%010d", kind_upper, n->serial);
        n->name = ks_strdup(buf);
    }
    if (!n->name || ks_vec_push(&g->nodes, n) != 0) {
        ks_node_free(n);
        return NULL;
    }
    return n;
}

int ks_node_add_parent(ks_node_t *n, const char *parent_name)
{
    char *p = ks_strdup(parent_name);
    if (!p || ks_vec_push(&n->parent_names, p) != 0) {
        free(p);
        return -1;
    }
    return 0;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ks_node_free(ks_node_t *n)
{
    if (!n)
        return;
    if (n->cls && n->cls->free_params)
        n->cls->free_params(n->params);
    for (size_t i = 0; i < n->parent_names.len; i++)
        free(n->parent_names.items[i]);
    ks_vec_free(&n->parent_names);
    ks_vec_free(&n->parents);
    ks_vec_free(&n->children);
    free_strv(n->topics, n->ntopics);
    free_strv(n->stores, n->nstores);
    free(n->topic);
    free(n->partitions_like);
    free(n->name);
    free(n);
}

void ks_graph_free(ks_graph_t *g)
{
    for (size_t i = 0; i < g->nodes.len; i++)
        ks_node_free(g->nodes.items[i]);
    ks_vec_free(&g->nodes);
    for (size_t i = 0; i < g->stores.len; i++)
        ks_store_def_free(g->stores.items[i]);
    ks_vec_free(&g->stores);
}

int ks_node_add_store(ks_node_t *n, const char *name)
{
    char **v = realloc(n->stores, (n->nstores + 1) * sizeof(char *));
    if (!v)
        return -1;
    n->stores = v;
    if (!(v[n->nstores] = ks_strdup(name)))
        return -1;
    n->nstores++;
    return 0;
}

ks_store_def_t *ks_graph_add_store(ks_graph_t *g, const char *name,
                                   kstream_store_type_t type, bool *dup)
{
    *dup = false;
    for (size_t i = 0; i < g->stores.len; i++) {
        if (strcmp(((ks_store_def_t *)g->stores.items[i])->name, name) == 0) {
            *dup = true;
            return NULL;
        }
    }
    ks_store_def_t *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->type = type;
    d->subtopology = -1;
    if (!(d->name = ks_strdup(name)) || ks_vec_push(&g->stores, d)) {
        ks_store_def_free(d);
        return NULL;
    }
    return d;
}

const ks_store_def_t *ks_topology_store(const kstream_topology_t *t,
                                        const char *name)
{
    for (size_t i = 0; i < t->stores.len; i++)
        if (strcmp(((ks_store_def_t *)t->stores.items[i])->name, name) == 0)
            return t->stores.items[i];
    return NULL;
}

void ks_store_def_free(ks_store_def_t *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->global_topic);
    free(d);
}

const char *ks_topic_name(const char *topic, bool internal,
                          const char *application_id, char *buf, size_t size)
{
    if (internal)
        snprintf(buf, size, "%s-%s", application_id, topic);
    else
        snprintf(buf, size, "%s", topic);
    return buf;
}
