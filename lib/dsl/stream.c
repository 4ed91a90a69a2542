/* stream.c - stateless operators of kstream_stream_t (Kafka Streams'
 * KStreamImpl): filter, map..., peek, foreach, merge, to, repartition,
 * print, process. Each checks its arguments and records the first error in
 * the builder. A callback's opaque is given in every case: freed with
 * opaque_free on failure, or when the topology goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

ks_node_t *ks_dsl_child(kstream_stream_t *s, ks_node_type_t type,
                        const ks_proc_class_t *cls, void *params,
                        const char *kind_upper, const char *name)
{
    kstream_builder_t *b = s->b;
    if (name && !*name) {
        if (cls->free_params)
            cls->free_params(params);
        return ks_dsl_error(b, "%s after '%s': empty name", cls->kind,
                            s->node->name);
    }
    ks_node_t *n = ks_graph_add(&b->g, type, cls, params, kind_upper, name);
    if (!n || ks_node_add_parent(n, s->node->name))
        return ks_dsl_error(b, "out of memory");
    return n;
}

/* A node whose params are a ks_cb_t around fn. */
static kstream_stream_t *cb_op(kstream_stream_t *s, const ks_proc_class_t *cls,
                               const char *kind_upper, void *fn, void *opaque,
                               kstream_free_cb *opaque_free, const char *name,
                               bool key_changing, const char *what)
{
    if (!s || !fn) {
        if (opaque_free)
            opaque_free(opaque);
        if (s)
            ks_dsl_error(s->b, "%s after '%s': %s is NULL", cls->kind,
                         s->node->name, what);
        return NULL;
    }
    ks_cb_t *cb = ks_cb_new(fn, opaque, opaque_free);
    if (!cb) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(s->b, "out of memory");
    }
    ks_node_t *n = ks_dsl_child(s, KS_NODE_PROCESSOR, cls, cb, kind_upper,
                                name);
    if (!n)
        return NULL;
    return ks_dsl_stream(s->b, n, s->key_changed || key_changing);
}

kstream_stream_t *kstream_stream_filter(kstream_stream_t *s,
                                        kstream_predicate_cb *pred,
                                        void *opaque,
                                        kstream_free_cb *opaque_free,
                                        const char *name)
{
    return cb_op(s, &ks_class_filter, "FILTER", (void *)pred, opaque,
                 opaque_free, name, false, "predicate");
}

kstream_stream_t *kstream_stream_filter_not(kstream_stream_t *s,
                                            kstream_predicate_cb *pred,
                                            void *opaque,
                                            kstream_free_cb *opaque_free,
                                            const char *name)
{
    return cb_op(s, &ks_class_filter_not, "FILTER", (void *)pred, opaque,
                 opaque_free, name, false, "predicate");
}

kstream_stream_t *kstream_stream_map(kstream_stream_t *s,
                                     kstream_mapper_cb *fn, void *opaque,
                                     kstream_free_cb *opaque_free,
                                     const char *name)
{
    return cb_op(s, &ks_class_map, "MAP", (void *)fn, opaque, opaque_free,
                 name, true, "mapper");
}

kstream_stream_t *kstream_stream_map_values(kstream_stream_t *s,
                                            kstream_mapper_cb *fn,
                                            void *opaque,
                                            kstream_free_cb *opaque_free,
                                            const char *name)
{
    return cb_op(s, &ks_class_map_values, "MAPVALUES", (void *)fn, opaque,
                 opaque_free, name, false, "mapper");
}

kstream_stream_t *kstream_stream_select_key(kstream_stream_t *s,
                                            kstream_mapper_cb *fn,
                                            void *opaque,
                                            kstream_free_cb *opaque_free,
                                            const char *name)
{
    return cb_op(s, &ks_class_select_key, "KEY-SELECT", (void *)fn, opaque,
                 opaque_free, name, true, "key selector");
}

kstream_stream_t *kstream_stream_flat_map(kstream_stream_t *s,
                                          kstream_flat_mapper_cb *fn,
                                          void *opaque,
                                          kstream_free_cb *opaque_free,
                                          const char *name)
{
    return cb_op(s, &ks_class_flat_map, "FLATMAP", (void *)fn, opaque,
                 opaque_free, name, true, "mapper");
}

kstream_stream_t *kstream_stream_flat_map_values(kstream_stream_t *s,
                                                 kstream_flat_mapper_cb *fn,
                                                 void *opaque,
                                                 kstream_free_cb *opaque_free,
                                                 const char *name)
{
    return cb_op(s, &ks_class_flat_map_values, "FLATMAPVALUES", (void *)fn,
                 opaque, opaque_free, name, false, "mapper");
}

kstream_stream_t *kstream_stream_peek(kstream_stream_t *s,
                                      kstream_foreach_cb *fn, void *opaque,
                                      kstream_free_cb *opaque_free,
                                      const char *name)
{
    return cb_op(s, &ks_class_peek, "PEEK", (void *)fn, opaque, opaque_free,
                 name, false, "action");
}

kstream_err_t kstream_stream_foreach(kstream_stream_t *s,
                                     kstream_foreach_cb *fn, void *opaque,
                                     kstream_free_cb *opaque_free,
                                     const char *name)
{
    return cb_op(s, &ks_class_foreach, "FOREACH", (void *)fn, opaque,
                 opaque_free, name, false, "action")
                   ? KSTREAM_OK
                   : KSTREAM_ERR_INVALID_ARG;
}

kstream_stream_t *kstream_stream_merge(kstream_stream_t *a,
                                       kstream_stream_t *b, const char *name)
{
    if (!a || !b)
        return NULL;
    if (a->b != b->b)
        return ks_dsl_error(a->b, "merge of '%s' and '%s': the streams "
                                  "belong to different builders",
                            a->node->name, b->node->name);
    ks_node_t *n = ks_dsl_child(a, KS_NODE_PROCESSOR, &ks_class_passthrough,
                                NULL, "MERGE", name);
    if (!n)
        return NULL;
    if (ks_node_add_parent(n, b->node->name))
        return ks_dsl_error(a->b, "out of memory");
    return ks_dsl_stream(a->b, n, a->key_changed || b->key_changed);
}

static ks_node_t *sink_node(kstream_stream_t *s, const char *topic,
                            kstream_topic_extractor_cb *fn, void *opaque,
                            kstream_free_cb *opaque_free, bool internal,
                            const char *kind_upper, const char *name)
{
    ks_sink_params_t *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(s->b, "out of memory");
    }
    sp->extractor.fn = (void *)fn;
    sp->extractor.opaque = opaque;
    sp->extractor.opaque_free = opaque_free;
    ks_node_t *n = ks_dsl_child(s, KS_NODE_SINK, &ks_class_sink, sp,
                                kind_upper, name);
    if (!n)
        return NULL;
    n->internal = internal;
    if (topic && !(n->topic = ks_strdup(topic)))
        return ks_dsl_error(s->b, "out of memory");
    return n;
}

kstream_err_t kstream_stream_to(kstream_stream_t *s, const char *topic,
                                const char *name)
{
    if (!s)
        return KSTREAM_ERR_INVALID_ARG;
    if (!ks_dsl_topic_valid(topic)) {
        ks_dsl_error(s->b, "to after '%s': invalid topic name '%s'",
                     s->node->name, topic ? topic : "(null)");
        return KSTREAM_ERR_INVALID_ARG;
    }
    return sink_node(s, topic, NULL, NULL, NULL, false, "SINK", name)
                   ? KSTREAM_OK
                   : KSTREAM_ERR_INVALID_ARG;
}

kstream_err_t kstream_stream_to_dynamic(kstream_stream_t *s,
                                        kstream_topic_extractor_cb *fn,
                                        void *opaque,
                                        kstream_free_cb *opaque_free,
                                        const char *name)
{
    if (!s || !fn) {
        if (opaque_free)
            opaque_free(opaque);
        if (s)
            ks_dsl_error(s->b, "to_dynamic after '%s': topic extractor is "
                               "NULL",
                         s->node->name);
        return KSTREAM_ERR_INVALID_ARG;
    }
    return sink_node(s, NULL, fn, opaque, opaque_free, false, "SINK", name)
                   ? KSTREAM_OK
                   : KSTREAM_ERR_INVALID_ARG;
}

kstream_stream_t *kstream_stream_repartition(kstream_stream_t *s,
                                             int32_t partitions,
                                             const char *name)
{
    if (!s)
        return NULL;
    if (partitions < 0)
        return ks_dsl_error(s->b, "repartition after '%s': partitions %d "
                                  "is negative",
                            s->node->name, (int)partitions);
    if (name && !ks_dsl_topic_valid(name))
        return ks_dsl_error(s->b, "repartition after '%s': name '%s' is "
                                  "not usable in a topic name",
                            s->node->name, name);
    char sink_name[300], source_name[300], topic[300];
    /* Without a name the build fails (stateful without a name); use the
     * generated name meanwhile so the graph stays well-formed. */
    const char *base = name;
    char gen[64];
    if (!base) {
        snprintf(gen, sizeof(gen), "KSTREAM-REPARTITION-%010d", s->b->g.serial);
        base = gen;
    }
    snprintf(sink_name, sizeof(sink_name), "%s-repartition-sink", base);
    snprintf(source_name, sizeof(source_name), "%s-repartition-source", base);
    snprintf(topic, sizeof(topic), "%s-repartition", base);
    ks_node_t *sink = sink_node(s, topic, NULL, NULL, NULL, true,
                                "REPARTITION-SINK", sink_name);
    if (!sink)
        return NULL;
    sink->stateful = true;
    sink->explicit_name = name != NULL;
    ks_source_params_t *sp = ks_source_params_new();
    if (!sp)
        return ks_dsl_error(s->b, "out of memory");
    ks_node_t *src = ks_graph_add(&s->b->g, KS_NODE_SOURCE, &ks_class_source,
                                  sp, "REPARTITION-SOURCE", source_name);
    if (!src)
        return ks_dsl_error(s->b, "out of memory");
    src->internal = true;
    src->partitions = partitions;
    src->stateful = true;
    src->explicit_name = name != NULL;
    src->topics = calloc(1, sizeof(char *));
    if (!src->topics || !(src->topics[0] = ks_strdup(topic)))
        return ks_dsl_error(s->b, "out of memory");
    src->ntopics = 1;
    return ks_dsl_stream(s->b, src, false);
}

kstream_err_t kstream_stream_print(kstream_stream_t *s, FILE *out,
                                   const char *label, const char *name)
{
    if (!s)
        return KSTREAM_ERR_INVALID_ARG;
    ks_print_params_t *pp = calloc(1, sizeof(*pp));
    if (!pp || (label && !(pp->label = ks_strdup(label)))) {
        free(pp);
        ks_dsl_error(s->b, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    pp->out = out;
    return ks_dsl_child(s, KS_NODE_PROCESSOR, &ks_class_print, pp, "PRINTER",
                        name)
                   ? KSTREAM_OK
                   : KSTREAM_ERR_INVALID_ARG;
}

kstream_stream_t *kstream_stream_process(kstream_stream_t *s,
                                         const kstream_processor_t *proc,
                                         void *opaque,
                                         kstream_free_cb *opaque_free,
                                         const char *const *stores,
                                         size_t nstores, const char *name)
{
    if (!s || !proc || !proc->process || (nstores && !stores)) {
        if (opaque_free)
            opaque_free(opaque);
        if (s)
            ks_dsl_error(s->b, "process after '%s': %s", s->node->name,
                         !proc            ? "processor is NULL"
                         : !proc->process ? "process callback is NULL"
                                          : "stores is NULL");
        return NULL;
    }
    for (size_t i = 0; i < nstores; i++) {
        if (!stores[i] || !*stores[i]) {
            if (opaque_free)
                opaque_free(opaque);
            return ks_dsl_error(s->b, "process after '%s': store name %zu "
                                      "is empty",
                                s->node->name, i);
        }
    }
    ks_process_params_t *pp = calloc(1, sizeof(*pp));
    if (!pp) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(s->b, "out of memory");
    }
    pp->proc = *proc;
    pp->opaque = opaque;
    pp->opaque_free = opaque_free;
    ks_node_t *n = ks_dsl_child(s, KS_NODE_PROCESSOR, &ks_class_process, pp,
                                "PROCESSOR", name);
    if (!n)
        return NULL;
    if (nstores) {
        n->stores = calloc(nstores, sizeof(char *));
        if (!n->stores)
            return ks_dsl_error(s->b, "out of memory");
        n->nstores = nstores;
        for (size_t i = 0; i < nstores; i++)
            if (!(n->stores[i] = ks_strdup(stores[i])))
                return ks_dsl_error(s->b, "out of memory");
        n->stateful = true;
    }
    /* A processor may change keys: downstream joins must repartition. */
    return ks_dsl_stream(s->b, n, true);
}

kstream_stream_t *ks_dsl_copartition(kstream_stream_t *s, const char *name,
                                     const char *side)
{
    if (!s->key_changed)
        return s;
    char rname[300];
    snprintf(rname, sizeof(rname), "%s-%s", name, side);
    return kstream_stream_repartition(s, 0, rname);
}
