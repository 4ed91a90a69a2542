/* describe.c - kstream_topology_describe(): Kafka Streams'
 * TopologyDescription text, and a Mermaid flowchart. Stable: the same
 * topology always gives the same bytes, so CI can diff it. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "topology/topology.h"

static void names(ks_buf_t *b, const ks_vec_t *v)
{
    if (v->len == 0) {
        ks_buf_appendf(b, "none");
        return;
    }
    for (size_t i = 0; i < v->len; i++)
        ks_buf_appendf(b, "%s%s", i ? ", " : "",
                       ((ks_node_t *)v->items[i])->name);
}

static void topic_label(ks_buf_t *b, const char *topic, bool internal)
{
    /* Internal topics are shown as Kafka Streams shows them before the
     * application id is known: the suffix. */
    (void)internal;
    ks_buf_appendf(b, "%s", topic);
}

static void describe_text(const kstream_topology_t *t, ks_buf_t *b)
{
    ks_buf_appendf(b, "Topologies:\n");
    for (size_t s = 0; s < t->nsubs; s++) {
        const ks_subtopology_t *sub = &t->subs[s];
        ks_buf_appendf(b, "   Sub-topology: %d\n", sub->id);
        for (size_t i = 0; i < sub->nodes.len; i++) {
            const ks_node_t *n = sub->nodes.items[i];
            switch (n->type) {
            case KS_NODE_SOURCE:
                ks_buf_appendf(b, "    Source: %s (topics: [", n->name);
                for (size_t k = 0; k < n->ntopics; k++) {
                    if (k)
                        ks_buf_appendf(b, ", ");
                    topic_label(b, n->topics[k], n->internal);
                }
                ks_buf_appendf(b, "])\n");
                break;
            case KS_NODE_PROCESSOR:
                ks_buf_appendf(b, "    Processor: %s (kind: %s, stores: [",
                               n->name, n->cls->kind);
                for (size_t k = 0; k < n->nstores; k++)
                    ks_buf_appendf(b, "%s%s", k ? ", " : "", n->stores[k]);
                ks_buf_appendf(b, "])\n");
                break;
            case KS_NODE_SINK:
                ks_buf_appendf(b, "    Sink: %s (topic: ", n->name);
                if (n->topic)
                    topic_label(b, n->topic, n->internal);
                else
                    ks_buf_appendf(b, "<chosen per record>");
                ks_buf_appendf(b, ")\n");
                break;
            }
            if (n->type != KS_NODE_SINK) {
                ks_buf_appendf(b, "      --> ");
                names(b, &n->children);
                ks_buf_appendf(b, "\n");
            }
            if (n->type != KS_NODE_SOURCE) {
                ks_buf_appendf(b, "      <-- ");
                names(b, &n->parents);
                ks_buf_appendf(b, "\n");
            }
        }
        ks_buf_appendf(b, "\n");
    }
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (d->global_topic)
            ks_buf_appendf(b, "   Global store: %s (topic: %s)\n\n", d->name,
                           d->global_topic);
    }
}

/* Mermaid labels: quote-safe. */
static void mlabel(ks_buf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"')
            ks_buf_appendf(b, "#quot;");
        else
            ks_buf_putc(b, *s);
    }
}

/* Topics get ids in order of first appearance. */
static size_t topic_id(ks_vec_t *topics, const char *name)
{
    for (size_t i = 0; i < topics->len; i++)
        if (strcmp(topics->items[i], name) == 0)
            return i;
    ks_vec_push(topics, (void *)name);
    return topics->len - 1;
}

static void describe_mermaid(const kstream_topology_t *t, ks_buf_t *b)
{
    ks_vec_t topics = KS_VEC_INIT;
    ks_buf_appendf(b, "flowchart TD\n");
    for (size_t s = 0; s < t->nsubs; s++) {
        const ks_subtopology_t *sub = &t->subs[s];
        ks_buf_appendf(b, "  subgraph sub%d[\"Sub-topology %d\"]\n", sub->id,
                       sub->id);
        for (size_t i = 0; i < sub->nodes.len; i++) {
            const ks_node_t *n = sub->nodes.items[i];
            ks_buf_appendf(b, "    s%d_%d[\"", sub->id, n->index);
            mlabel(b, n->name);
            ks_buf_appendf(b, "<br/>%s\"]\n", n->cls->kind);
        }
        ks_buf_appendf(b, "  end\n");
    }
    for (size_t s = 0; s < t->nsubs; s++) {
        const ks_subtopology_t *sub = &t->subs[s];
        for (size_t i = 0; i < sub->nodes.len; i++) {
            const ks_node_t *n = sub->nodes.items[i];
            for (size_t k = 0; k < n->ntopics; k++) {
                size_t id = topic_id(&topics, n->topics[k]);
                ks_buf_appendf(b, "  t%zu[/\"", id);
                mlabel(b, n->topics[k]);
                ks_buf_appendf(b, "\"/] --> s%d_%d\n", sub->id, n->index);
            }
            for (size_t c = 0; c < n->children.len; c++) {
                const ks_node_t *ch = n->children.items[c];
                ks_buf_appendf(b, "  s%d_%d --> s%d_%d\n", sub->id, n->index,
                               sub->id, ch->index);
            }
            if (n->type == KS_NODE_SINK) {
                if (n->topic) {
                    size_t id = topic_id(&topics, n->topic);
                    ks_buf_appendf(b, "  s%d_%d --> t%zu[/\"", sub->id,
                                   n->index, id);
                    mlabel(b, n->topic);
                    ks_buf_appendf(b, "\"/]\n");
                } else {
                    ks_buf_appendf(b, "  s%d_%d --> dyn_%d_%d[/\"topic chosen "
                                   "per record\"/]\n",
                                   sub->id, n->index, sub->id, n->index);
                }
            }
        }
    }
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (!d->global_topic)
            continue;
        size_t id = topic_id(&topics, d->global_topic);
        ks_buf_appendf(b, "  t%zu[/\"", id);
        mlabel(b, d->global_topic);
        ks_buf_appendf(b, "\"/] --> g%zu[(\"", i);
        mlabel(b, d->name);
        ks_buf_appendf(b, "<br/>global store\")]\n");
    }
    ks_vec_free(&topics);
}

char *kstream_topology_describe(const kstream_topology_t *t,
                                kstream_describe_format_t fmt)
{
    if (!t || (fmt != KSTREAM_DESCRIBE_TEXT && fmt != KSTREAM_DESCRIBE_MERMAID))
        return NULL;
    ks_buf_t b;
    ks_buf_init(&b, NULL);
    if (fmt == KSTREAM_DESCRIBE_TEXT)
        describe_text(t, &b);
    else
        describe_mermaid(t, &b);
    if (!ks_buf_cstr(&b)) {
        ks_buf_free(&b);
        return NULL;
    }
    return ks_buf_steal(&b);
}
