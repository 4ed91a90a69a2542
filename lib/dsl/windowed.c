/* windowed.c - windows and windowed aggregations in the DSL (Kafka
 * Streams' TimeWindows, SlidingWindows, SessionWindows,
 * TimeWindowedKStreamImpl, SlidingWindowedKStreamImpl and
 * SessionWindowedKStreamImpl).
 *
 * The makers only fill in a kstream_windows_t; kstream_grouped_windowed_by()
 * checks it and records a builder error for an invalid one: sizes
 * (window size, time difference, inactivity gap) must be > 0, grace >= 0,
 * a hopping advance in (0, size], and size + grace (sliding: 2 * diff +
 * grace) must not overflow. (Kafka's SlidingWindows also take a time
 * difference of 0; here it is rejected like any other size <= 0.) Each
 * aggregation is one node (processor/window_agg.c or session_agg.c) with
 * its own store named after the operator, so \p name is required:
 *   - time windows (tumbling, hopping): a window store with retention
 *     size + grace and window size `size` (Kafka's default retention);
 *   - sliding windows: a window store with retention 2 * diff + grace
 *     (Kafka keeps that much so that a record can still find the windows
 *     it needs to create its right window) and window size diff;
 *   - session windows: a session store with retention gap + grace.
 * After a key-changing operator the records are repartitioned first
 * (ks_dsl_grouped_input). The resulting table's keys are windowed keys:
 * key + window start (8 bytes BE), or key + session end + start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

enum { KIND_TUMBLING = 1, KIND_HOPPING, KIND_SLIDING, KIND_SESSION };

kstream_windows_t kstream_windows_tumbling(int64_t size_ms, int64_t grace_ms)
{
    return (kstream_windows_t){KIND_TUMBLING, size_ms, size_ms, grace_ms};
}

kstream_windows_t kstream_windows_hopping(int64_t size_ms, int64_t advance_ms,
                                          int64_t grace_ms)
{
    return (kstream_windows_t){KIND_HOPPING, size_ms, advance_ms, grace_ms};
}

kstream_windows_t kstream_windows_sliding(int64_t time_difference_ms,
                                          int64_t grace_ms)
{
    return (kstream_windows_t){KIND_SLIDING, time_difference_ms, 0,
                               grace_ms};
}

kstream_windows_t kstream_windows_session(int64_t gap_ms, int64_t grace_ms)
{
    return (kstream_windows_t){KIND_SESSION, gap_ms, 0, grace_ms};
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case KIND_TUMBLING: return "tumbling windows";
    case KIND_HOPPING: return "hopping windows";
    case KIND_SLIDING: return "sliding windows";
    case KIND_SESSION: return "session windows";
    default: return "windows";
    }
}

/* The store retention of valid windows w (see the top comment). */
static int64_t retention_of(const kstream_windows_t *w)
{
    if (w->kind == KIND_SLIDING)
        return 2 * w->size_ms + w->grace_ms;
    return w->size_ms + w->grace_ms;
}

/* Why w is invalid (written into buf), or NULL. */
static const char *windows_invalid(const kstream_windows_t *w, char *buf,
                                   size_t size)
{
    const char *what = w->kind == KIND_SLIDING   ? "time difference"
                       : w->kind == KIND_SESSION ? "inactivity gap"
                                                 : "window size";
    if (w->kind < KIND_TUMBLING || w->kind > KIND_SESSION)
        snprintf(buf, size, "unknown kind of windows %d (make them with "
                            "kstream_windows_*())",
                 w->kind);
    else if (w->size_ms <= 0)
        snprintf(buf, size, "%s: the %s must be > 0 (got %lld)",
                 kind_name(w->kind), what, (long long)w->size_ms);
    else if (w->grace_ms < 0)
        snprintf(buf, size, "%s: the grace period must be >= 0 (got %lld)",
                 kind_name(w->kind), (long long)w->grace_ms);
    else if (w->kind == KIND_HOPPING &&
             (w->advance_ms <= 0 || w->advance_ms > w->size_ms))
        snprintf(buf, size, "hopping windows: the advance must be > 0 and "
                            "<= the window size %lld (got %lld)",
                 (long long)w->size_ms, (long long)w->advance_ms);
    else if (w->kind == KIND_TUMBLING && w->advance_ms != w->size_ms)
        snprintf(buf, size, "tumbling windows: the advance must equal the "
                            "window size %lld (got %lld)",
                 (long long)w->size_ms, (long long)w->advance_ms);
    else if (w->kind == KIND_SLIDING
                     ? w->size_ms > (INT64_MAX - w->grace_ms) / 2
                     : w->size_ms > INT64_MAX - w->grace_ms)
        snprintf(buf, size, "%s: the %s plus the grace period overflow",
                 kind_name(w->kind), what);
    else
        return NULL;
    return buf;
}

kstream_windowed_t *kstream_grouped_windowed_by(kstream_grouped_t *g,
                                                kstream_windows_t windows)
{
    if (!g)
        return NULL;
    char why[256];
    if (windows_invalid(&windows, why, sizeof(why)))
        return ks_dsl_error(g->b, "windowed_by after '%s': %s",
                            g->s->node->name, why);
    kstream_windowed_t *w = ks_dsl_handle(g->b, sizeof(*w));
    if (!w)
        return NULL;
    w->b = g->b;
    w->g = g;
    w->windows = windows;
    return w;
}

static kstream_table_t *windowed_agg(kstream_windowed_t *w,
                                     ks_agg_kind_t kind,
                                     kstream_initializer_cb *init,
                                     kstream_aggregator_cb *add,
                                     kstream_merger_cb *merger, void *opaque,
                                     kstream_free_cb *opaque_free,
                                     const char *name, const char *what)
{
    bool session = w && w->windows.kind == KIND_SESSION;
    const char *missing = NULL;
    if (kind == KS_AGG_AGGREGATE && !init)
        missing = "initializer";
    else if (kind == KS_AGG_REDUCE && !add)
        missing = "reducer";
    else if (kind == KS_AGG_AGGREGATE && !add)
        missing = "aggregator";
    else if (kind == KS_AGG_AGGREGATE && session && !merger)
        missing = "merger (session windows need one)";
    const char *after = w ? w->g->s->node->name : NULL;
    bool bad_name = w && (!name || !ks_dsl_topic_valid(name));
    if (!w || missing || bad_name) {
        if (opaque_free)
            opaque_free(opaque);
        if (w && missing)
            ks_dsl_error(w->b, "windowed %s after '%s': %s is NULL", what,
                         after, missing);
        else if (bad_name)
            ks_dsl_error(w->b, "windowed %s after '%s': an aggregation needs "
                               "a name usable in a topic name (it names the "
                               "store, its changelog and any repartition "
                               "topic)",
                         what, after);
        return NULL;
    }
    kstream_builder_t *b = w->b;
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
    ap->merger = merger;
    ap->opaque = opaque;
    ap->opaque_free = opaque_free;
    ap->windows = w->windows;
    snprintf(ap->store, sizeof(ap->store), "%s", name);

    kstream_stream_t *in = ks_dsl_grouped_input(w->g, name);
    if (!in) {
        ks_agg_params_free(ap);
        return NULL;
    }
    ks_node_t *n = ks_dsl_child(in, KS_NODE_PROCESSOR,
                                session ? &ks_class_session_aggregate
                                        : &ks_class_window_aggregate,
                                ap, "AGGREGATE", name);
    if (!n)
        return NULL;
    ks_store_def_t *def = ks_dsl_store(b, n, name,
                                       session ? KSTREAM_STORE_SESSION
                                               : KSTREAM_STORE_WINDOW);
    if (!def)
        return NULL;
    def->retention = retention_of(&w->windows);
    def->window_size = session ? 0 : w->windows.size_ms;
    kstream_table_t *t = ks_dsl_table(b, n, name);
    if (t)
        t->windows = w->windows;
    return t;
}

kstream_table_t *kstream_windowed_count(kstream_windowed_t *w,
                                        const char *name)
{
    return windowed_agg(w, KS_AGG_COUNT, NULL, NULL, NULL, NULL, NULL, name,
                        "count");
}

kstream_table_t *kstream_windowed_reduce(kstream_windowed_t *w,
                                         kstream_aggregator_cb *reducer,
                                         void *opaque,
                                         kstream_free_cb *opaque_free,
                                         const char *name)
{
    return windowed_agg(w, KS_AGG_REDUCE, NULL, reducer, NULL, opaque,
                        opaque_free, name, "reduce");
}

kstream_table_t *kstream_windowed_aggregate(kstream_windowed_t *w,
                                            kstream_initializer_cb *init,
                                            kstream_aggregator_cb *aggregator,
                                            kstream_merger_cb *merger,
                                            void *opaque,
                                            kstream_free_cb *opaque_free,
                                            const char *name)
{
    return windowed_agg(w, KS_AGG_AGGREGATE, init, aggregator, merger, opaque,
                        opaque_free, name, "aggregate");
}
