/* split.c - kstream_stream_split() and its branches (Kafka Streams'
 * BranchedKStream): a split node that forwards each record to the first
 * branch whose predicate matches, else to the default branch. Each branch
 * is a pass-through node named "<split name>-<branch name>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"

kstream_split_t *kstream_stream_split(kstream_stream_t *s, const char *name)
{
    if (!s)
        return NULL;
    ks_split_params_t *sp = calloc(1, sizeof(*sp));
    if (!sp)
        return ks_dsl_error(s->b, "out of memory");
    ks_node_t *n = ks_dsl_child(s, KS_NODE_PROCESSOR, &ks_class_split, sp,
                                "BRANCH", name);
    if (!n)
        return NULL;
    kstream_split_t *split = calloc(1, sizeof(*split));
    if (!split || ks_vec_push(&s->b->splits, split)) {
        free(split);
        return ks_dsl_error(s->b, "out of memory");
    }
    split->b = s->b;
    split->node = n;
    split->key_changed = s->key_changed;
    split->prefix = ks_strdup(n->name);
    if (!split->prefix)
        return ks_dsl_error(s->b, "out of memory");
    return split;
}

static kstream_stream_t *add_branch(kstream_split_t *sp,
                                    const char *branch_name)
{
    char idx[32], full[512];
    if (!branch_name) {
        snprintf(idx, sizeof(idx), "%zu", sp->nbranches);
        branch_name = idx;
    }
    snprintf(full, sizeof(full), "%s-%s", sp->prefix, branch_name);
    ks_node_t *n = ks_graph_add(&sp->b->g, KS_NODE_PROCESSOR,
                                &ks_class_passthrough, NULL, "BRANCHCHILD",
                                full);
    if (!n || ks_node_add_parent(n, sp->node->name))
        return ks_dsl_error(sp->b, "out of memory");
    sp->nbranches++;
    /* A branch has the key of the split stream. */
    return ks_dsl_stream(sp->b, n, sp->key_changed);
}

kstream_stream_t *kstream_split_branch(kstream_split_t *sp,
                                       kstream_predicate_cb *pred,
                                       void *opaque,
                                       kstream_free_cb *opaque_free,
                                       const char *branch_name)
{
    const char *why = !sp             ? NULL
                      : !pred         ? "predicate is NULL"
                      : sp->closed    ? "the default branch must be last"
                      : (branch_name && !*branch_name) ? "empty branch name"
                                                       : NULL;
    if (!sp || why) {
        if (opaque_free)
            opaque_free(opaque);
        if (sp)
            ks_dsl_error(sp->b, "split '%s' branch: %s", sp->node->name, why);
        return NULL;
    }
    ks_split_params_t *params = sp->node->params;
    if (params->npreds == params->cap) {
        size_t cap = params->cap ? params->cap * 2 : 4;
        ks_cb_t *p = realloc(params->preds, cap * sizeof(*p));
        if (!p) {
            if (opaque_free)
                opaque_free(opaque);
            return ks_dsl_error(sp->b, "out of memory");
        }
        params->preds = p;
        params->cap = cap;
    }
    params->preds[params->npreds++] =
            (ks_cb_t){(void *)pred, opaque, opaque_free};
    return add_branch(sp, branch_name);
}

kstream_stream_t *kstream_split_default(kstream_split_t *sp,
                                        const char *branch_name)
{
    if (!sp)
        return NULL;
    if (sp->closed)
        return ks_dsl_error(sp->b, "split '%s': a second default branch",
                            sp->node->name);
    if (branch_name && !*branch_name)
        return ks_dsl_error(sp->b, "split '%s' default branch: empty name",
                            sp->node->name);
    ((ks_split_params_t *)sp->node->params)->has_default = true;
    sp->closed = true;
    return add_branch(sp, branch_name);
}
