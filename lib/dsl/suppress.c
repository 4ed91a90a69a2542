/* suppress.c - suppression and deduplication in the DSL (Kafka Streams'
 * KTableImpl.suppress with Suppressed.untilWindowCloses / untilTimeLimit
 * and BufferConfig; deduplication as in the Kafka Streams examples). Both
 * keep state in a store named after the operator, so \p name is
 * required: the suppression buffer is a key-value store, the seen ids a
 * window store, each with its changelog "<application.id>-<name>-
 * changelog". Neither store is cached. See processor/suppress.c and
 * processor/dedup.c for the semantics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

static bool check_name(kstream_builder_t *b, const char *what,
                       const char *after, const char *name)
{
    if (name && ks_dsl_topic_valid(name))
        return true;
    ks_dsl_error(b, "%s after '%s': needs a name usable in a topic name "
                    "(it names the operator's store and its changelog)",
                 what, after);
    return false;
}

static ks_node_t *node_named(kstream_builder_t *b, const char *name)
{
    for (size_t i = 0; i < b->g.nodes.len; i++) {
        ks_node_t *n = b->g.nodes.items[i];
        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

/* The store that materializes t's updates: t's own, or the first store
 * up the chain of single-parent table operators (filter, map_values...).
 * Suppression asks it whether a cache holds updates back. */
static void upstream_store(const kstream_table_t *t, char *out, size_t size)
{
    out[0] = '\0';
    if (t->store[0]) {
        snprintf(out, size, "%s", t->store);
        return;
    }
    const ks_node_t *n = t->node;
    for (int depth = 0; n && depth < 64; depth++) {
        if (n->nstores > 0) {
            snprintf(out, size, "%s", n->stores[0]);
            return;
        }
        if (n->type != KS_NODE_PROCESSOR || n->parent_names.len != 1)
            return;
        n = node_named(t->b, n->parent_names.items[0]);
    }
}

static kstream_table_t *suppress(kstream_table_t *t, bool until_close,
                                 int64_t time_limit, uint64_t max_records,
                                 uint64_t max_bytes,
                                 kstream_buffer_full_t when_full,
                                 const char *name)
{
    if (!t)
        return NULL;
    kstream_builder_t *b = t->b;
    const char *what = until_close ? "suppress_until_window_closes"
                                   : "suppress_until_time_limit";
    if (!check_name(b, what, t->node->name, name))
        return NULL;
    if (when_full != KSTREAM_BUFFER_EMIT_EARLY &&
        when_full != KSTREAM_BUFFER_FAIL)
        return ks_dsl_error(b, "%s '%s': unknown when_full %d", what, name,
                            (int)when_full);
    if (until_close && t->windows.kind == 0)
        return ks_dsl_error(b, "%s '%s': '%s' is not a windowed table "
                               "(use suppress_until_time_limit)",
                            what, name, t->node->name);
    if (!until_close && time_limit < 0)
        return ks_dsl_error(b, "%s '%s': the time limit must be >= 0",
                            what, name);
    ks_suppress_params_t *p = calloc(1, sizeof(*p));
    if (!p)
        return ks_dsl_error(b, "out of memory");
    p->until_window_closes = until_close;
    p->windows = t->windows;
    p->time_limit = until_close ? 0 : time_limit;
    p->max_records = max_records;
    p->max_bytes = max_bytes;
    p->when_full = when_full;
    snprintf(p->store, sizeof(p->store), "%s", name);
    upstream_store(t, p->upstream, sizeof(p->upstream));
    kstream_stream_t s = {.b = b, .node = t->node};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, &ks_class_suppress, p,
                                "KTABLE-SUPPRESS", name);
    if (!n)
        return NULL;
    ks_store_def_t *d = ks_dsl_store(b, n, name, KSTREAM_STORE_KEY_VALUE);
    if (!d)
        return NULL;
    d->flags = 0; /* logged, not cached: the buffer is the cache */
    kstream_table_t *out = ks_dsl_table(b, n, NULL);
    if (out)
        out->windows = t->windows;
    return out;
}

kstream_table_t *kstream_table_suppress_until_window_closes(
        kstream_table_t *t, uint64_t max_records, uint64_t max_bytes,
        kstream_buffer_full_t when_full, const char *name)
{
    return suppress(t, true, 0, max_records, max_bytes, when_full, name);
}

kstream_table_t *kstream_table_suppress_until_time_limit(
        kstream_table_t *t, int64_t time_limit_ms, uint64_t max_records,
        uint64_t max_bytes, kstream_buffer_full_t when_full, const char *name)
{
    return suppress(t, false, time_limit_ms, max_records, max_bytes,
                    when_full, name);
}

/* Largest window: the store keeps ids 2 * window + 1 ms. */
#define KS_DEDUP_MAX_WINDOW ((INT64_MAX - 1) / 2)

kstream_stream_t *kstream_stream_deduplicate(kstream_stream_t *s,
                                             kstream_id_extractor_cb *fn,
                                             void *opaque,
                                             kstream_free_cb *opaque_free,
                                             int64_t window_ms,
                                             const char *name)
{
    const char *why = !s                 ? ""
                      : !fn              ? "the id extractor is NULL"
                      : window_ms < 1 || window_ms > KS_DEDUP_MAX_WINDOW
                              ? "window_ms must be > 0 (and < 2^62)"
                              : NULL;
    if (why || !check_name(s->b, "deduplicate", s->node->name, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (s && why)
            ks_dsl_error(s->b, "deduplicate after '%s': %s", s->node->name,
                         why);
        return NULL;
    }
    ks_dedup_params_t *dp = calloc(1, sizeof(*dp));
    if (!dp) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(s->b, "out of memory");
    }
    dp->cb = (ks_cb_t){(void *)fn, opaque, opaque_free};
    dp->window = window_ms;
    snprintf(dp->store, sizeof(dp->store), "%s", name);
    ks_node_t *n = ks_dsl_child(s, KS_NODE_PROCESSOR, &ks_class_dedup, dp,
                                "DEDUPLICATE", name);
    if (!n)
        return NULL;
    ks_store_def_t *d = ks_dsl_store(s->b, n, name, KSTREAM_STORE_WINDOW);
    if (!d)
        return NULL;
    d->flags = 0; /* logged, not cached */
    d->retention = 2 * window_ms + 1;
    d->window_size = window_ms;
    return ks_dsl_stream(s->b, n, s->key_changed);
}
