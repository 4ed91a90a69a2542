/* grouped.c - grouping and aggregations in the DSL (Kafka Streams'
 * KGroupedStreamImpl, KGroupedTableImpl, CogroupedKStreamImpl). Every
 * aggregation is materialized in a timestamped key-value store named
 * after the operator, so \p name is required. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

static bool check_name(kstream_builder_t *b, const char *what,
                       const char *after, const char *name)
{
    if (name && ks_dsl_topic_valid(name))
        return true;
    ks_dsl_error(b, "%s after '%s': an aggregation needs a name usable in "
                    "a topic name (it names the store, its changelog and "
                    "any repartition topic)",
                 what, after);
    return false;
}

kstream_grouped_t *kstream_stream_group_by_key(kstream_stream_t *s)
{
    if (!s)
        return NULL;
    kstream_grouped_t *g = ks_dsl_handle(s->b, sizeof(*g));
    if (!g)
        return NULL;
    g->b = s->b;
    g->s = s;
    g->needs_repartition = s->key_changed;
    return g;
}

kstream_grouped_t *kstream_stream_group_by(kstream_stream_t *s,
                                           kstream_mapper_cb *fn, void *opaque,
                                           kstream_free_cb *opaque_free,
                                           const char *name)
{
    if (!s || !fn || !check_name(s->b, "group_by", s->node->name, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (s && !fn)
            ks_dsl_error(s->b, "group_by after '%s': key selector is NULL",
                         s->node->name);
        return NULL;
    }
    char sel[300];
    snprintf(sel, sizeof(sel), "%s-key-select", name);
    kstream_stream_t *k = kstream_stream_select_key(s, fn, opaque,
                                                    opaque_free, sel);
    kstream_stream_t *r = kstream_stream_repartition(k, 0, name);
    if (!r)
        return NULL;
    kstream_grouped_t *g = kstream_stream_group_by_key(r);
    if (g)
        g->needs_repartition = false;
    return g;
}

kstream_stream_t *ks_dsl_grouped_input(kstream_grouped_t *g, const char *name)
{
    if (!g->needs_repartition)
        return g->s;
    return kstream_stream_repartition(g->s, 0, name);
}

/* An aggregation node of class cls under input, with its store. */
static kstream_table_t *agg_node(kstream_builder_t *b, ks_node_t *parent,
                                 const ks_proc_class_t *cls,
                                 ks_agg_params_t *ap, const char *name)
{
    snprintf(ap->store, sizeof(ap->store), "%s", name);
    kstream_stream_t s = {.b = b, .node = parent};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, cls, ap, "AGGREGATE",
                                name);
    if (!n || !ks_dsl_store(b, n, name, KSTREAM_STORE_KEY_VALUE))
        return NULL;
    return ks_dsl_table(b, n, name);
}

static ks_agg_params_t *agg_params(kstream_builder_t *b, ks_agg_kind_t kind,
                                   kstream_initializer_cb *init,
                                   kstream_aggregator_cb *add,
                                   kstream_aggregator_cb *sub, void *opaque,
                                   kstream_free_cb *opaque_free)
{
    ks_agg_params_t *ap = calloc(1, sizeof(*ap));
    if (!ap) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(b, "out of memory");
    }
    ap->kind = kind;
    ap->init = init;
    ap->init_opaque = opaque;
    ap->add = add;
    ap->sub = sub;
    ap->opaque = opaque;
    ap->opaque_free = opaque_free;
    return ap;
}

static kstream_table_t *stream_agg(kstream_grouped_t *g, ks_agg_kind_t kind,
                                   kstream_initializer_cb *init,
                                   kstream_aggregator_cb *add, void *opaque,
                                   kstream_free_cb *opaque_free,
                                   const char *name, const char *what)
{
    const char *missing = kind == KS_AGG_AGGREGATE && !init ? "initializer"
                          : kind != KS_AGG_COUNT && !add    ? "aggregator"
                                                            : NULL;
    if (!g || missing || !check_name(g->b, what, g->s->node->name, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (g && missing)
            ks_dsl_error(g->b, "%s after '%s': %s is NULL", what,
                         g->s->node->name, missing);
        return NULL;
    }
    ks_agg_params_t *ap = agg_params(g->b, kind, init, add, NULL, opaque,
                                     opaque_free);
    if (!ap)
        return NULL;
    kstream_stream_t *in = ks_dsl_grouped_input(g, name);
    if (!in) {
        ks_agg_params_free(ap);
        return NULL;
    }
    return agg_node(g->b, in->node, &ks_class_aggregate, ap, name);
}

kstream_table_t *kstream_grouped_count(kstream_grouped_t *g, const char *name)
{
    return stream_agg(g, KS_AGG_COUNT, NULL, NULL, NULL, NULL, name, "count");
}

kstream_table_t *kstream_grouped_reduce(kstream_grouped_t *g,
                                        kstream_aggregator_cb *reducer,
                                        void *opaque,
                                        kstream_free_cb *opaque_free,
                                        const char *name)
{
    return stream_agg(g, KS_AGG_REDUCE, NULL, reducer, opaque, opaque_free,
                      name, "reduce");
}

kstream_table_t *kstream_grouped_aggregate(kstream_grouped_t *g,
                                           kstream_initializer_cb *init,
                                           kstream_aggregator_cb *aggregator,
                                           void *opaque,
                                           kstream_free_cb *opaque_free,
                                           const char *name)
{
    return stream_agg(g, KS_AGG_AGGREGATE, init, aggregator, opaque,
                      opaque_free, name, "aggregate");
}

/* ---- tables ------------------------------------------------------------------ */
kstream_grouped_table_t *kstream_table_group_by(kstream_table_t *t,
                                                kstream_mapper_cb *fn,
                                                void *opaque,
                                                kstream_free_cb *opaque_free,
                                                const char *name)
{
    if (!t || !fn || !check_name(t->b, "table group_by", t->node->name, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (t && !fn)
            ks_dsl_error(t->b, "table group_by after '%s': mapper is NULL",
                         t->node->name);
        return NULL;
    }
    ks_cb_t *cb = ks_cb_new((void *)fn, opaque, opaque_free);
    if (!cb) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(t->b, "out of memory");
    }
    char sel[300];
    snprintf(sel, sizeof(sel), "%s-select", name);
    kstream_stream_t s = {.b = t->b, .node = t->node};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, &ks_class_table_regroup,
                                cb, "KTABLE-SELECT", sel);
    if (!n)
        return NULL;
    kstream_stream_t *mapped = ks_dsl_stream(t->b, n, true);
    kstream_stream_t *r = kstream_stream_repartition(mapped, 0, name);
    if (!r)
        return NULL;
    kstream_grouped_table_t *gt = ks_dsl_handle(t->b, sizeof(*gt));
    if (!gt)
        return NULL;
    gt->b = t->b;
    gt->source = r->node;
    return gt;
}

static kstream_table_t *table_agg(kstream_grouped_table_t *g,
                                  ks_agg_kind_t kind,
                                  kstream_initializer_cb *init,
                                  kstream_aggregator_cb *add,
                                  kstream_aggregator_cb *sub, void *opaque,
                                  kstream_free_cb *opaque_free,
                                  const char *name, const char *what)
{
    const char *missing = kind == KS_AGG_AGGREGATE && !init ? "initializer"
                          : kind != KS_AGG_COUNT && !add    ? "adder"
                          : kind != KS_AGG_COUNT && !sub    ? "subtractor"
                                                            : NULL;
    if (!g || missing || !check_name(g->b, what, g->source->name, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (g && missing)
            ks_dsl_error(g->b, "%s after '%s': %s is NULL", what,
                         g->source->name, missing);
        return NULL;
    }
    ks_agg_params_t *ap = agg_params(g->b, kind, init, add, sub, opaque,
                                     opaque_free);
    if (!ap)
        return NULL;
    return agg_node(g->b, g->source, &ks_class_table_aggregate, ap, name);
}

kstream_table_t *kstream_grouped_table_count(kstream_grouped_table_t *g,
                                             const char *name)
{
    return table_agg(g, KS_AGG_COUNT, NULL, NULL, NULL, NULL, NULL, name,
                     "count");
}

kstream_table_t *kstream_grouped_table_reduce(kstream_grouped_table_t *g,
                                              kstream_aggregator_cb *adder,
                                              kstream_aggregator_cb *subtractor,
                                              void *opaque,
                                              kstream_free_cb *opaque_free,
                                              const char *name)
{
    return table_agg(g, KS_AGG_REDUCE, NULL, adder, subtractor, opaque,
                     opaque_free, name, "reduce");
}

kstream_table_t *kstream_grouped_table_aggregate(
        kstream_grouped_table_t *g, kstream_initializer_cb *init,
        kstream_aggregator_cb *adder, kstream_aggregator_cb *subtractor,
        void *opaque, kstream_free_cb *opaque_free, const char *name)
{
    return table_agg(g, KS_AGG_AGGREGATE, init, adder, subtractor, opaque,
                     opaque_free, name, "aggregate");
}

/* ---- cogroup ------------------------------------------------------------------ */
kstream_cogrouped_t *kstream_grouped_cogroup(kstream_grouped_t *g,
                                             kstream_aggregator_cb *aggregator,
                                             void *opaque,
                                             kstream_free_cb *opaque_free)
{
    if (!g || !aggregator) {
        if (opaque_free)
            opaque_free(opaque);
        if (g)
            ks_dsl_error(g->b, "cogroup after '%s': aggregator is NULL",
                         g->s->node->name);
        return NULL;
    }
    kstream_cogrouped_t *cg = ks_dsl_handle(g->b, sizeof(*cg));
    if (!cg) {
        if (opaque_free)
            opaque_free(opaque);
        return NULL;
    }
    cg->b = g->b;
    cg->g[0] = g;
    cg->agg[0] = (ks_cb_t){(void *)aggregator, opaque, opaque_free};
    cg->n = 1;
    return cg;
}

kstream_err_t kstream_cogrouped_add(kstream_cogrouped_t *cg,
                                    kstream_grouped_t *g,
                                    kstream_aggregator_cb *aggregator,
                                    void *opaque, kstream_free_cb *opaque_free)
{
    const char *why = !cg                       ? "NULL"
                      : !g                      ? "grouped stream is NULL"
                      : !aggregator             ? "aggregator is NULL"
                      : g->b != cg->b           ? "different builders"
                      : cg->used                ? "already aggregated"
                      : cg->n == KS_COGROUP_MAX ? "too many streams"
                                                : NULL;
    if (why) {
        if (opaque_free)
            opaque_free(opaque);
        if (cg)
            ks_dsl_error(cg->b, "cogroup add: %s", why);
        return KSTREAM_ERR_INVALID_ARG;
    }
    cg->g[cg->n] = g;
    cg->agg[cg->n++] = (ks_cb_t){(void *)aggregator, opaque, opaque_free};
    return KSTREAM_OK;
}

kstream_table_t *kstream_cogrouped_aggregate(kstream_cogrouped_t *cg,
                                             kstream_initializer_cb *init,
                                             void *opaque,
                                             kstream_free_cb *opaque_free,
                                             const char *name)
{
    if (!cg || !init || cg->used ||
        !check_name(cg->b, "cogroup aggregate", "cogroup", name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (cg && (!init || cg->used))
            ks_dsl_error(cg->b, "cogroup aggregate: %s",
                         !init ? "initializer is NULL" : "called twice");
        return NULL;
    }
    cg->used = true;
    kstream_builder_t *b = cg->b;
    ks_node_t *aggs[KS_COGROUP_MAX];
    for (size_t i = 0; i < cg->n; i++) {
        ks_agg_params_t *ap = calloc(1, sizeof(*ap));
        if (!ap)
            return ks_dsl_error(b, "out of memory");
        ap->kind = KS_AGG_AGGREGATE;
        ap->init = init;
        ap->init_opaque = opaque;
        /* The first input's params own the initializer's opaque. */
        ap->init_opaque_free = i == 0 ? opaque_free : NULL;
        ap->add = (kstream_aggregator_cb *)cg->agg[i].fn;
        ap->opaque = cg->agg[i].opaque;
        ap->opaque_free = cg->agg[i].opaque_free;
        cg->agg[i].opaque_free = NULL;
        snprintf(ap->store, sizeof(ap->store), "%s", name);
        char nm[320];
        snprintf(nm, sizeof(nm), "%s-%zu", name, i);
        kstream_stream_t *in = ks_dsl_grouped_input(cg->g[i], nm);
        snprintf(nm, sizeof(nm), "%s-cogroup-agg-%zu", name, i);
        ks_node_t *n = in ? ks_dsl_child(in, KS_NODE_PROCESSOR,
                                         &ks_class_aggregate, ap, "COGROUPKSTREAM-AGGREGATE",
                                         nm)
                          : NULL;
        if (!n) {
            if (!in)
                ks_agg_params_free(ap);
            return NULL;
        }
        if (i == 0 ? !ks_dsl_store(b, n, name, KSTREAM_STORE_KEY_VALUE)
                   : ks_node_add_store(n, name) != 0)
            return NULL;
        aggs[i] = n;
    }
    kstream_stream_t first = {.b = b, .node = aggs[0]};
    ks_node_t *merge = ks_dsl_child(&first, KS_NODE_PROCESSOR,
                                    &ks_class_passthrough, NULL,
                                    "COGROUPKSTREAM-MERGE", name);
    if (!merge)
        return NULL;
    for (size_t i = 1; i < cg->n; i++)
        if (ks_node_add_parent(merge, aggs[i]->name))
            return ks_dsl_error(b, "out of memory");
    return ks_dsl_table(b, merge, name);
}
