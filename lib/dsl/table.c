/* table.c - tables in the DSL (Kafka Streams' KTableImpl and the table
 * parts of StreamsBuilder / KStreamImpl.toTable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

kstream_table_t *ks_dsl_table(kstream_builder_t *b, ks_node_t *n,
                              const char *store)
{
    kstream_table_t *t = ks_dsl_handle(b, sizeof(*t));
    if (!t)
        return NULL;
    t->b = b;
    t->node = n;
    if (store)
        snprintf(t->store, sizeof(t->store), "%s", store);
    return t;
}

/* A materializing node (class table_source) child of parent, with a
 * timestamped key-value store called name. */
static kstream_table_t *materialize(kstream_builder_t *b, kstream_stream_t *s,
                                    const char *what, const char *name)
{
    if (!name || !ks_dsl_topic_valid(name))
        return ks_dsl_error(b, "%s after '%s': a table needs a name usable "
                               "in a topic name (it names the store and its "
                               "changelog)",
                            what, s->node->name);
    char *store = ks_strdup(name);
    if (!store)
        return ks_dsl_error(b, "out of memory");
    ks_node_t *n = ks_dsl_child(s, KS_NODE_PROCESSOR, &ks_class_table_source,
                                store, "TABLE", name);
    if (!n || !ks_dsl_store(b, n, name, KSTREAM_STORE_KEY_VALUE))
        return NULL;
    return ks_dsl_table(b, n, name);
}

kstream_table_t *kstream_builder_table(kstream_builder_t *b, const char *topic,
                                       const char *name)
{
    if (!b)
        return NULL;
    if (!name || !ks_dsl_topic_valid(name))
        return ks_dsl_error(b, "table of '%s': a table needs a name usable "
                               "in a topic name",
                            topic ? topic : "(null)");
    char src[300];
    snprintf(src, sizeof(src), "%s-source", name);
    kstream_stream_t *s = kstream_builder_stream(b, topic, src);
    if (!s)
        return NULL;
    return materialize(b, s, "table", name);
}

kstream_table_t *kstream_stream_to_table(kstream_stream_t *s, const char *name)
{
    if (!s)
        return NULL;
    /* After a key change the rows must first move to the partition of
     * their new key (Kafka Streams' toTable repartitions too). */
    if (s->key_changed && name && ks_dsl_topic_valid(name)) {
        s = kstream_stream_repartition(s, 0, name);
        if (!s)
            return NULL;
    }
    return materialize(s->b, s, "to_table", name);
}

kstream_err_t kstream_builder_global_table(kstream_builder_t *b,
                                           const char *topic,
                                           const char *name)
{
    if (!b)
        return KSTREAM_ERR_INVALID_ARG;
    if (!ks_dsl_topic_valid(topic) || !name || !ks_dsl_topic_valid(name)) {
        ks_dsl_error(b, "global_table: invalid %s",
                     !ks_dsl_topic_valid(topic) ? "topic" : "name");
        return KSTREAM_ERR_INVALID_ARG;
    }
    bool dup = false;
    ks_store_def_t *d = ks_graph_add_store(&b->g, name,
                                           KSTREAM_STORE_KEY_VALUE, &dup);
    if (!d) {
        ks_dsl_error(b, dup ? "global_table '%s': a store of that name "
                              "exists"
                            : "out of memory (%s)",
                     name);
        return dup ? KSTREAM_ERR_DUPLICATE_NAME : KSTREAM_ERR_NO_MEMORY;
    }
    d->backend = KSTREAM_STORE_DEFAULT;
    d->timestamped = true;
    /* A global store is restored from its topic: no changelog of its own. */
    d->flags = KSTREAM_STORE_LOGGING_DISABLED;
    if (!(d->global_topic = ks_strdup(topic))) {
        ks_dsl_error(b, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    return KSTREAM_OK;
}

static kstream_table_t *table_cb_op(kstream_table_t *t,
                                    const ks_proc_class_t *cls,
                                    const char *kind, void *fn, void *opaque,
                                    kstream_free_cb *opaque_free,
                                    const char *name, const char *what)
{
    if (!t || !fn) {
        if (opaque_free)
            opaque_free(opaque);
        if (t)
            ks_dsl_error(t->b, "%s after '%s': %s is NULL", cls->kind,
                         t->node->name, what);
        return NULL;
    }
    ks_cb_t *cb = ks_cb_new(fn, opaque, opaque_free);
    if (!cb) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(t->b, "out of memory");
    }
    kstream_stream_t s = {.b = t->b, .node = t->node};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, cls, cb, kind, name);
    if (!n)
        return NULL;
    kstream_table_t *out = ks_dsl_table(t->b, n, NULL);
    if (out)
        out->windows = t->windows;
    return out;
}

kstream_table_t *kstream_table_filter(kstream_table_t *t,
                                      kstream_predicate_cb *pred, void *opaque,
                                      kstream_free_cb *opaque_free,
                                      const char *name)
{
    return table_cb_op(t, &ks_class_table_filter, "KTABLE-FILTER",
                       (void *)pred, opaque, opaque_free, name, "predicate");
}

kstream_table_t *kstream_table_filter_not(kstream_table_t *t,
                                          kstream_predicate_cb *pred,
                                          void *opaque,
                                          kstream_free_cb *opaque_free,
                                          const char *name)
{
    return table_cb_op(t, &ks_class_table_filter_not, "KTABLE-FILTER",
                       (void *)pred, opaque, opaque_free, name, "predicate");
}

kstream_table_t *kstream_table_map_values(kstream_table_t *t,
                                          kstream_mapper_cb *fn, void *opaque,
                                          kstream_free_cb *opaque_free,
                                          const char *name)
{
    return table_cb_op(t, &ks_class_table_map_values, "KTABLE-MAPVALUES",
                       (void *)fn, opaque, opaque_free, name, "mapper");
}

kstream_stream_t *kstream_table_to_stream(kstream_table_t *t, const char *name)
{
    if (!t)
        return NULL;
    kstream_stream_t s = {.b = t->b, .node = t->node};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, &ks_class_to_stream,
                                NULL, "KTABLE-TOSTREAM", name);
    if (!n)
        return NULL;
    return ks_dsl_stream(t->b, n, false);
}

const char *ks_dsl_table_store(kstream_table_t *t, const char *name,
                               const char *side)
{
    if (t->store[0])
        return t->store;
    char store[200];
    snprintf(store, sizeof(store), "%.150s-%.20s-table", name, side);
    char *params = ks_strdup(store);
    if (!params)
        return ks_dsl_error(t->b, "out of memory");
    kstream_stream_t s = {.b = t->b, .node = t->node};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, &ks_class_table_source,
                                params, "KTABLE-MATERIALIZE", store);
    if (!n || !ks_dsl_store(t->b, n, store, KSTREAM_STORE_KEY_VALUE))
        return NULL;
    snprintf(t->store, sizeof(t->store), "%s", store);
    return t->store;
}
