/* build.c - validate a node graph and split it into sub-topologies
 * (Kafka Streams' InternalTopologyBuilder.build / makeNodeGroups).
 * Checks, each with a message naming the offending node: duplicate names,
 * unknown parents, stateful operators without an explicit name, unknown
 * stores, a topic read by two sources, and cycles through topics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "processor/processor.h"
#include "topology/topology.h"

static int resolve_names(ks_graph_t *g, ks_map_t *byname, char *errstr,
                         size_t errstr_size)
{
    for (size_t i = 0; i < g->nodes.len; i++) {
        ks_node_t *n = g->nodes.items[i];
        ks_node_t *other = ks_map_get(byname, n->name);
        if (other) {
            ks_errstr(errstr, errstr_size,
                      "duplicate name '%s': used by a %s and a %s operator",
                      n->name, other->cls->kind, n->cls->kind);
            return KSTREAM_ERR_DUPLICATE_NAME;
        }
        if (ks_map_put(byname, n->name, n) != 0)
            return KSTREAM_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < g->nodes.len; i++) {
        ks_node_t *n = g->nodes.items[i];
        for (size_t j = 0; j < n->parent_names.len; j++) {
            ks_node_t *p = ks_map_get(byname, n->parent_names.items[j]);
            if (!p) {
                ks_errstr(errstr, errstr_size,
                          "%s '%s' names unknown parent '%s'", n->cls->kind,
                          n->name, (char *)n->parent_names.items[j]);
                return KSTREAM_ERR_UNKNOWN_NAME;
            }
            if (ks_vec_push(&n->parents, p) || ks_vec_push(&p->children, n))
                return KSTREAM_ERR_NO_MEMORY;
        }
    }
    return KSTREAM_OK;
}

static int check_nodes(ks_graph_t *g, char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < g->nodes.len; i++) {
        ks_node_t *n = g->nodes.items[i];
        if (n->stateful && !n->explicit_name) {
            ks_errstr(errstr, errstr_size,
                      "%s '%s' is stateful and needs an explicit name "
                      "(its state and internal topics are named after it)",
                      n->cls->kind, n->name);
            return KSTREAM_ERR_MISSING_NAME;
        }
        for (size_t k = 0; k < n->nstores; k++) {
            bool known = false;
            for (size_t j = 0; j < g->stores.len && !known; j++)
                known = strcmp(((ks_store_def_t *)g->stores.items[j])->name,
                               n->stores[k]) == 0;
            if (!known) {
                ks_errstr(errstr, errstr_size,
                          "%s '%s' uses unknown store '%s'", n->cls->kind,
                          n->name, n->stores[k]);
                return KSTREAM_ERR_UNKNOWN_NAME;
            }
        }
    }
    /* A topic may be read by one source only. */
    for (size_t i = 0; i < g->nodes.len; i++) {
        ks_node_t *a = g->nodes.items[i];
        for (size_t t = 0; t < a->ntopics; t++) {
            for (size_t j = i; j < g->nodes.len; j++) {
                ks_node_t *b = g->nodes.items[j];
                for (size_t u = (j == i ? t + 1 : 0); u < b->ntopics; u++) {
                    if (a->internal == b->internal &&
                        strcmp(a->topics[t], b->topics[u]) == 0) {
                        ks_errstr(errstr, errstr_size,
                                  "topic '%s' is read by two sources: '%s' "
                                  "and '%s'",
                                  a->topics[t], a->name, b->name);
                        return KSTREAM_ERR_INVALID_TOPOLOGY;
                    }
                }
            }
        }
    }
    return KSTREAM_OK;
}

/* ---- cycles: processor edges plus sink topic -> source edges ------------ */
typedef struct cyc {
    ks_graph_t *g;
    int *color; /* 0 white, 1 on stack, 2 done; indexed by position */
    int *via;   /* predecessor on the DFS stack */
    ks_map_t *pos;
    const char *topic; /* topic edge that closed the cycle, if any */
} cyc_t;

static size_t pos_of(cyc_t *c, const ks_node_t *n)
{
    return (size_t)(uintptr_t)ks_map_get(c->pos, n->name) - 1;
}

static int dfs(cyc_t *c, size_t u, size_t *from, size_t *to);

static int visit(cyc_t *c, size_t u, size_t v, const char *topic,
                 size_t *from, size_t *to)
{
    if (c->color[v] == 1) {
        *from = u;
        *to = v;
        c->topic = topic;
        return 1;
    }
    if (c->color[v] == 0) {
        c->via[v] = (int)u;
        return dfs(c, v, from, to);
    }
    return 0;
}

static int dfs(cyc_t *c, size_t u, size_t *from, size_t *to)
{
    ks_node_t *n = c->g->nodes.items[u];
    c->color[u] = 1;
    for (size_t i = 0; i < n->children.len; i++)
        if (visit(c, u, pos_of(c, n->children.items[i]), NULL, from, to))
            return 1;
    if (n->type == KS_NODE_SINK && n->topic) {
        for (size_t j = 0; j < c->g->nodes.len; j++) {
            ks_node_t *s = c->g->nodes.items[j];
            if (s->type != KS_NODE_SOURCE || s->internal != n->internal)
                continue;
            for (size_t t = 0; t < s->ntopics; t++)
                if (strcmp(s->topics[t], n->topic) == 0 &&
                    visit(c, u, j, n->topic, from, to))
                    return 1;
        }
    }
    c->color[u] = 2;
    return 0;
}

static int check_cycles(ks_graph_t *g, char *errstr, size_t errstr_size)
{
    size_t n = g->nodes.len;
    cyc_t c = {.g = g};
    c.color = calloc(n ? n : 1, sizeof(int));
    c.via = calloc(n ? n : 1, sizeof(int));
    c.pos = ks_map_new();
    int rc = KSTREAM_OK;
    if (!c.color || !c.via || !c.pos) {
        rc = KSTREAM_ERR_NO_MEMORY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ks_node_t *nd = g->nodes.items[i];
        if (ks_map_put(c.pos, nd->name, (void *)(uintptr_t)(i + 1))) {
            rc = KSTREAM_ERR_NO_MEMORY;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t from = 0, to = 0;
        if (c.color[i] != 0 || !dfs(&c, i, &from, &to))
            continue;
        /* Path to -> ... -> from, then back to `to`. */
        ks_buf_t b;
        ks_buf_init(&b, NULL);
        size_t path[256], np = 0;
        for (size_t x = from; np < 256; x = (size_t)c.via[x]) {
            path[np++] = x;
            if (x == to)
                break;
        }
        for (size_t k = np; k-- > 0;)
            ks_buf_appendf(&b, "'%s' -> ",
                           ((ks_node_t *)g->nodes.items[path[k]])->name);
        ks_buf_appendf(&b, "'%s'", ((ks_node_t *)g->nodes.items[to])->name);
        ks_errstr(errstr, errstr_size,
                  "cycle: %s%s%s%s", ks_buf_cstr(&b) ? (char *)b.data : "",
                  c.topic ? " (through topic '" : "", c.topic ? c.topic : "",
                  c.topic ? "')" : "");
        ks_buf_free(&b);
        rc = KSTREAM_ERR_CYCLE;
        break;
    }
out:
    free(c.color);
    free(c.via);
    ks_map_destroy(c.pos);
    return rc;
}

/* ---- sub-topologies: connected components over processor edges -------- */
static size_t uf_find(size_t *p, size_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static int split_subtopologies(kstream_topology_t *t)
{
    size_t n = t->nodes.len;
    size_t *parent = malloc((n ? n : 1) * sizeof(size_t));
    int *sub_of_root = malloc((n ? n : 1) * sizeof(int));
    ks_map_t *pos = ks_map_new();
    int rc = KSTREAM_ERR_NO_MEMORY;
    if (!parent || !sub_of_root || !pos)
        goto out;
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        sub_of_root[i] = -1;
        if (ks_map_put(pos, ((ks_node_t *)t->nodes.items[i])->name,
                       (void *)(uintptr_t)i))
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ks_node_t *nd = t->nodes.items[i];
        for (size_t j = 0; j < nd->children.len; j++) {
            ks_node_t *ch = nd->children.items[j];
            size_t a = uf_find(parent, i);
            size_t b = uf_find(parent,
                               (size_t)(uintptr_t)ks_map_get(pos, ch->name));
            if (a != b)
                parent[a < b ? b : a] = a < b ? a : b;
        }
    }
    /* Processors sharing a (non-global) store share a sub-topology. */
    for (size_t i = 0; i < n; i++) {
        ks_node_t *a = t->nodes.items[i];
        for (size_t k = 0; k < a->nstores; k++) {
            const ks_store_def_t *d = ks_topology_store(t, a->stores[k]);
            if (!d || d->global_topic)
                continue;
            for (size_t j = i + 1; j < n; j++) {
                ks_node_t *b = t->nodes.items[j];
                for (size_t m = 0; m < b->nstores; m++) {
                    if (strcmp(b->stores[m], a->stores[k]) != 0)
                        continue;
                    size_t ra = uf_find(parent, i), rb = uf_find(parent, j);
                    if (ra != rb)
                        parent[ra < rb ? rb : ra] = ra < rb ? ra : rb;
                }
            }
        }
    }
    /* Number components in order of their first node. */
    size_t nsubs = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = uf_find(parent, i);
        if (sub_of_root[r] < 0)
            sub_of_root[r] = (int)nsubs++;
    }
    t->subs = calloc(nsubs ? nsubs : 1, sizeof(ks_subtopology_t));
    if (!t->subs)
        goto out;
    t->nsubs = nsubs;
    for (size_t s = 0; s < nsubs; s++)
        t->subs[s].id = (int)s;
    /* Sources first, then the rest, each in creation order. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            ks_node_t *nd = t->nodes.items[i];
            if ((nd->type == KS_NODE_SOURCE) != (pass == 0))
                continue;
            ks_subtopology_t *sub = &t->subs[sub_of_root[uf_find(parent, i)]];
            nd->subtopology = sub->id;
            nd->index = (int)sub->nodes.len;
            if (ks_vec_push(&sub->nodes, nd))
                goto out;
            if (pass == 0 && ks_vec_push(&sub->sources, nd))
                goto out;
            for (size_t k = 0; k < nd->nstores; k++) {
                ks_store_def_t *d = (ks_store_def_t *)ks_topology_store(
                        t, nd->stores[k]);
                if (d && !d->global_topic)
                    d->subtopology = sub->id;
            }
        }
    }
    rc = KSTREAM_OK;
out:
    free(parent);
    free(sub_of_root);
    ks_map_destroy(pos);
    return rc;
}

/* What the builder can check of co-partitioning: the repartition topics
 * with explicit partition counts that feed one join must agree (source
 * topics' counts are known only at start: the runtime checks those). */
static int check_copartition(const kstream_topology_t *t, char *errstr,
                             size_t errstr_size)
{
    for (size_t s = 0; s < t->nsubs; s++) {
        const ks_subtopology_t *sub = &t->subs[s];
        const ks_node_t *join = NULL;
        for (size_t i = 0; i < sub->nodes.len && !join; i++)
            if (((const ks_node_t *)sub->nodes.items[i])->copartition)
                join = sub->nodes.items[i];
        if (!join)
            continue;
        const ks_node_t *first = NULL;
        for (size_t i = 0; i < sub->sources.len; i++) {
            const ks_node_t *src = sub->sources.items[i];
            if (!src->internal || src->partitions <= 0)
                continue;
            if (!first) {
                first = src;
            } else if (src->partitions != first->partitions) {
                ks_errstr(errstr, errstr_size,
                          "join '%s' needs co-partitioned inputs, but topic "
                          "'%s' has %d partitions and topic '%s' has %d",
                          join->name, first->topics[0],
                          (int)first->partitions, src->topics[0],
                          (int)src->partitions);
                return KSTREAM_ERR_INVALID_TOPOLOGY;
            }
        }
    }
    return KSTREAM_OK;
}

kstream_topology_t *ks_graph_build(ks_graph_t *g, char *errstr,
                                   size_t errstr_size)
{
    ks_map_t *byname = ks_map_new();
    kstream_topology_t *t = NULL;
    int rc = byname ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
    if (!rc)
        rc = resolve_names(g, byname, errstr, errstr_size);
    ks_map_destroy(byname);
    if (!rc)
        rc = check_nodes(g, errstr, errstr_size);
    if (!rc)
        rc = check_cycles(g, errstr, errstr_size);
    if (!rc) {
        t = calloc(1, sizeof(*t));
        if (!t)
            rc = KSTREAM_ERR_NO_MEMORY;
    }
    if (rc) {
        if (rc == KSTREAM_ERR_NO_MEMORY)
            ks_errstr(errstr, errstr_size, "out of memory building topology");
        return NULL;
    }
    t->nodes = g->nodes;
    memset(&g->nodes, 0, sizeof(g->nodes));
    t->stores = g->stores;
    memset(&g->stores, 0, sizeof(g->stores));
    if (split_subtopologies(t)) {
        ks_errstr(errstr, errstr_size, "out of memory building topology");
        kstream_topology_destroy(t);
        return NULL;
    }
    if (check_copartition(t, errstr, errstr_size)) {
        kstream_topology_destroy(t);
        return NULL;
    }
    return t;
}

void kstream_topology_destroy(kstream_topology_t *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->nsubs; s++) {
        ks_vec_free(&t->subs[s].nodes);
        ks_vec_free(&t->subs[s].sources);
    }
    free(t->subs);
    for (size_t i = 0; i < t->nodes.len; i++)
        ks_node_free(t->nodes.items[i]);
    ks_vec_free(&t->nodes);
    for (size_t i = 0; i < t->stores.len; i++)
        ks_store_def_free(t->stores.items[i]);
    ks_vec_free(&t->stores);
    free(t);
}
