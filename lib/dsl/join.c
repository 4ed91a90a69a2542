/* join.c - joins against tables in the DSL (Kafka Streams'
 * KStreamImpl.join/leftJoin with a KTable or GlobalKTable, and
 * KTableImpl.join/leftJoin/outerJoin), and the join window makers.
 *
 * Stream-table: the stream (repartitioned through
 * "<name>-left-repartition" when its key changed upstream) feeds a join
 * node that lists the table's store, so that both land in one
 * sub-topology; the table is materialized first if it has no store
 * ("<name>-right-table"). Stream-global: the node reads the global store
 * by name (global stores are shared, never part of a sub-topology).
 * Table-table: both tables materialized, a join node under each
 * ("<name>-join-this" under the left one, "<name>-join-other" under the
 * right one), both forwarding into a merge node called name, whose
 * output is the join's table. Join nodes whose inputs must be
 * co-partitioned are flagged (node->copartition): the runtime checks
 * their partition counts at start.
 *
 * Every call validates its arguments and records the first error in the
 * builder; the opaque is given in every case (freed on failure, or when
 * the topology goes). Stream-stream and foreign-key joins live in
 * join_stream.c and join_fk.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

kstream_join_windows_t kstream_join_windows(int64_t time_difference_ms,
                                            int64_t grace_ms)
{
    /* Negative values are rejected by the join that uses the windows. */
    return (kstream_join_windows_t){.before_ms = time_difference_ms,
                                    .after_ms = time_difference_ms,
                                    .grace_ms = grace_ms};
}

kstream_join_windows_t kstream_join_windows_asym(int64_t before_ms,
                                                 int64_t after_ms,
                                                 int64_t grace_ms)
{
    return (kstream_join_windows_t){.before_ms = before_ms,
                                    .after_ms = after_ms,
                                    .grace_ms = grace_ms};
}

static const char *kind_name(kstream_join_kind_t kind)
{
    switch (kind) {
    case KSTREAM_JOIN_INNER:
        return "inner";
    case KSTREAM_JOIN_LEFT:
        return "left";
    case KSTREAM_JOIN_OUTER:
        return "outer";
    }
    return "unknown";
}

/* Check what every join against a table needs; records the error.
 * what: the operator; after: the node the join follows. */
static bool check_args(kstream_builder_t *b, const char *what,
                       const char *after, kstream_join_kind_t kind,
                       bool outer_ok, kstream_joiner_cb *joiner,
                       const char *name)
{
    if (!name || !ks_dsl_topic_valid(name)) {
        ks_dsl_error(b, "%s after '%s': a join needs a name usable in a "
                        "topic name (it names the join's stores and "
                        "internal topics)",
                     what, after);
        return false;
    }
    if (kind != KSTREAM_JOIN_INNER && kind != KSTREAM_JOIN_LEFT &&
        (kind != KSTREAM_JOIN_OUTER || !outer_ok)) {
        ks_dsl_error(b, "%s '%s': join kind %s (%d) is not supported%s",
                     what, name, kind_name(kind), (int)kind,
                     outer_ok ? "" : " (inner or left only)");
        return false;
    }
    if (!joiner) {
        ks_dsl_error(b, "%s '%s': joiner is NULL", what, name);
        return false;
    }
    return true;
}

static ks_join_table_params_t *params_new(kstream_builder_t *b,
                                          kstream_join_kind_t kind,
                                          kstream_joiner_cb *joiner,
                                          void *opaque,
                                          kstream_free_cb *opaque_free,
                                          const char *store)
{
    ks_join_table_params_t *jp = calloc(1, sizeof(*jp));
    if (!jp) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(b, "out of memory");
    }
    jp->kind = kind;
    jp->joiner = joiner;
    jp->opaque = opaque;
    jp->opaque_free = opaque_free;
    snprintf(jp->store, sizeof(jp->store), "%s", store);
    return jp;
}

/* A join node of class cls under parent using the stores given (NULL
 * ends the list). Takes jp (freed on failure). */
static ks_node_t *join_node(kstream_builder_t *b, ks_node_t *parent,
                            const ks_proc_class_t *cls,
                            ks_join_table_params_t *jp,
                            const char *kind_upper, const char *name,
                            const char *store1, const char *store2,
                            bool copartition)
{
    kstream_stream_t s = {.b = b, .node = parent};
    ks_node_t *n = ks_dsl_child(&s, KS_NODE_PROCESSOR, cls, jp, kind_upper,
                                name);
    if (!n)
        return NULL;
    if (ks_node_add_store(n, store1) ||
        (store2 && ks_node_add_store(n, store2)))
        return ks_dsl_error(b, "out of memory");
    n->stateful = true;
    n->copartition = copartition;
    return n;
}

kstream_stream_t *kstream_stream_join_table(kstream_stream_t *s,
                                            kstream_table_t *t,
                                            kstream_join_kind_t kind,
                                            kstream_joiner_cb *joiner,
                                            void *opaque,
                                            kstream_free_cb *opaque_free,
                                            const char *name)
{
    const char *what = "stream_join_table";
    if (!s || !t || t->b != s->b ||
        !check_args(s->b, what, s->node->name, kind, false, joiner, name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (s && !t)
            ks_dsl_error(s->b, "%s after '%s': table is NULL", what,
                         s->node->name);
        else if (s && t->b != s->b)
            ks_dsl_error(s->b, "%s after '%s': the table is from another "
                               "builder",
                         what, s->node->name);
        return NULL;
    }
    kstream_builder_t *b = s->b;
    kstream_stream_t *in = ks_dsl_copartition(s, name, "left");
    const char *store = in ? ks_dsl_table_store(t, name, "right") : NULL;
    if (!store) {
        if (opaque_free)
            opaque_free(opaque);
        return NULL;
    }
    ks_join_table_params_t *jp = params_new(b, kind, joiner, opaque,
                                            opaque_free, store);
    if (!jp)
        return NULL;
    ks_node_t *n = join_node(b, in->node, &ks_class_stream_table_join, jp,
                             kind == KSTREAM_JOIN_LEFT ? "LEFTJOIN" : "JOIN",
                             name, store, NULL, true);
    if (!n)
        return NULL;
    return ks_dsl_stream(b, n, false);
}

/* The store called name, or NULL. */
static const ks_store_def_t *store_named(const kstream_builder_t *b,
                                         const char *name)
{
    for (size_t i = 0; i < b->g.stores.len; i++) {
        const ks_store_def_t *d = b->g.stores.items[i];
        if (strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

kstream_stream_t *kstream_stream_join_global(kstream_stream_t *s,
                                             const char *global_table,
                                             kstream_key_extractor_cb *mapper,
                                             kstream_join_kind_t kind,
                                             kstream_joiner_cb *joiner,
                                             void *opaque,
                                             kstream_free_cb *opaque_free,
                                             const char *name)
{
    const char *what = "stream_join_global";
    if (!s ||
        !check_args(s->b, what, s->node->name, kind, false, joiner, name) ||
        !global_table || !mapper) {
        if (opaque_free)
            opaque_free(opaque);
        if (s)
            ks_dsl_error(s->b, "%s '%s': %s is NULL", what,
                         name ? name : "(null)",
                         !global_table ? "global table name" : "key mapper");
        return NULL;
    }
    kstream_builder_t *b = s->b;
    /* A global table declared later is checked at build (unknown store). */
    const ks_store_def_t *d = store_named(b, global_table);
    if (d && !d->global_topic) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(b, "%s '%s': store '%s' is not a global table",
                            what, name, global_table);
    }
    ks_join_table_params_t *jp = params_new(b, kind, joiner, opaque,
                                            opaque_free, global_table);
    if (!jp)
        return NULL;
    jp->mapper = mapper;
    /* Listing the global store does not tie sub-topologies together
     * (build.c skips global stores) and lets build name an unknown one. */
    ks_node_t *n = join_node(b, s->node, &ks_class_stream_global_join, jp,
                             kind == KSTREAM_JOIN_LEFT ? "LEFTJOIN" : "JOIN",
                             name, global_table, NULL, false);
    if (!n)
        return NULL;
    return ks_dsl_stream(b, n, s->key_changed);
}

kstream_table_t *kstream_table_join_table(kstream_table_t *left,
                                          kstream_table_t *right,
                                          kstream_join_kind_t kind,
                                          kstream_joiner_cb *joiner,
                                          void *opaque,
                                          kstream_free_cb *opaque_free,
                                          const char *name)
{
    const char *what = "table_join_table";
    if (!left || !right || right->b != left->b ||
        !check_args(left->b, what, left->node->name, kind, true, joiner,
                    name)) {
        if (opaque_free)
            opaque_free(opaque);
        if (left && !right)
            ks_dsl_error(left->b, "%s after '%s': right table is NULL", what,
                         left->node->name);
        else if (left && right->b != left->b)
            ks_dsl_error(left->b, "%s after '%s': the right table is from "
                                  "another builder",
                         what, left->node->name);
        return NULL;
    }
    kstream_builder_t *b = left->b;
    char ls[256], rs[256];
    const char *st = ks_dsl_table_store(left, name, "left");
    if (st)
        snprintf(ls, sizeof(ls), "%s", st);
    st = st ? ks_dsl_table_store(right, name, "right") : NULL;
    if (!st) {
        if (opaque_free)
            opaque_free(opaque);
        return NULL;
    }
    snprintf(rs, sizeof(rs), "%s", st);
    /* The left node owns the opaque; the right one shares it. */
    ks_join_table_params_t *lp = params_new(b, kind, joiner, opaque,
                                            opaque_free, rs);
    if (!lp)
        return NULL;
    ks_join_table_params_t *rp = params_new(b, kind, joiner, opaque, NULL,
                                            ls);
    if (!rp) {
        ks_join_table_params_free(lp);
        return NULL;
    }
    char this_name[300], other_name[300];
    snprintf(this_name, sizeof(this_name), "%s-join-this", name);
    snprintf(other_name, sizeof(other_name), "%s-join-other", name);
    ks_node_t *ln = join_node(b, left->node, &ks_class_table_join_left, lp,
                              "KTABLE-JOINTHIS", this_name, ls, rs, true);
    if (!ln) {
        ks_join_table_params_free(rp);
        return NULL;
    }
    ks_node_t *rn = join_node(b, right->node, &ks_class_table_join_right, rp,
                              "KTABLE-JOINOTHER", other_name, ls, rs, true);
    if (!rn)
        return NULL;
    ks_node_t *merge = ks_graph_add(&b->g, KS_NODE_PROCESSOR,
                                    &ks_class_table_join_merge, NULL,
                                    "KTABLE-MERGE", name);
    if (!merge || ks_node_add_parent(merge, ln->name) ||
        ks_node_add_parent(merge, rn->name))
        return ks_dsl_error(b, "out of memory");
    kstream_table_t *out = ks_dsl_table(b, merge, NULL);
    if (out && left->windows.kind == right->windows.kind)
        out->windows = left->windows;
    return out;
}
