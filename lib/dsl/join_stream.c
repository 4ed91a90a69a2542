/* join_stream.c - the windowed stream-stream join in the DSL (Kafka
 * Streams' KStreamImpl.join/leftJoin/outerJoin with JoinWindows, built by
 * KStreamImplJoin).
 *
 * Each input goes through ks_dsl_copartition (a repartition topic
 * "<application.id>-<name>-left-repartition" / "-right-" when its key
 * changed upstream) into its join node, "<name>-this-join" (left) and
 * "<name>-other-join" (right); both forward into a passthrough called
 * name, the join's output. The nodes share the join's stores, so both
 * inputs land in one sub-topology, and they are flagged for the
 * co-partitioning check at start:
 *   - "<name>-this-join-store" and "<name>-other-join-store": window
 *     stores that keep duplicates, with window size before + after and a
 *     retention of before + after + grace + 1 ms (Kafka's is before +
 *     after + grace; the segmented stores here expire a record exactly
 *     `retention` ms after its time, and a record at stream time - before
 *     - after - grace is still on time: see processor/join_stream.c);
 *   - left and outer joins: "<name>-outer-shared-join-store", a key-value
 *     store of the records waiting for a match, ordered by time.
 * All are changelogged and never cached (Kafka's join stores are not);
 * their backend follows "default.dsl.store". They are the join's own:
 * read through kstream_test_driver_store(), their keys are the composite
 * keys above, which the kstream_window_store_* calls do not decode.
 *
 * Windows: before, after and grace must be >= 0 (Kafka also takes a
 * negative before or after as long as before + after >= 0; not here), and
 * before + after + grace + 1 must not overflow. A time difference of 0
 * is allowed: records join when their times are equal. The opaque is
 * given in every case (freed on failure, or when the topology goes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "processor/join_stream.h"

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

/* Why w is invalid (written into buf), or NULL. */
static const char *windows_invalid(const kstream_join_windows_t *w, char *buf,
                                   size_t size)
{
    if (w->before_ms < 0 || w->after_ms < 0)
        snprintf(buf, size, "join windows: before and after must be >= 0 "
                            "(got before %lld, after %lld)",
                 (long long)w->before_ms, (long long)w->after_ms);
    else if (w->grace_ms < 0)
        snprintf(buf, size, "join windows: the grace period must be >= 0 "
                            "(got %lld)",
                 (long long)w->grace_ms);
    else if (w->before_ms > INT64_MAX - 1 - w->after_ms ||
             w->grace_ms > INT64_MAX - 1 - w->before_ms - w->after_ms)
        snprintf(buf, size, "join windows: before + after + grace "
                            "overflows");
    else
        return NULL;
    return buf;
}

/* Params of one join node; NULL (error recorded, opaque freed when
 * opaque_free is set) on out-of-memory. */
static ks_join_stream_params_t *
params_new(kstream_builder_t *b, kstream_join_kind_t kind, bool left_side,
           const kstream_join_windows_t *w, kstream_joiner_cb *joiner,
           void *opaque, kstream_free_cb *opaque_free, const char *name)
{
    ks_join_stream_params_t *p = calloc(1, sizeof(*p));
    if (!p) {
        if (opaque_free)
            opaque_free(opaque);
        return ks_dsl_error(b, "out of memory");
    }
    p->kind = kind;
    p->left_side = left_side;
    p->joiner = joiner;
    p->opaque = opaque;
    p->opaque_free = opaque_free;
    p->before = w->before_ms;
    p->after = w->after_ms;
    p->grace = w->grace_ms;
    snprintf(p->this_store, sizeof(p->this_store), "%s-%s-join-store", name,
             left_side ? "this" : "other");
    snprintf(p->other_store, sizeof(p->other_store), "%s-%s-join-store",
             name, left_side ? "other" : "this");
    if (kind != KSTREAM_JOIN_INNER)
        snprintf(p->shared_store, sizeof(p->shared_store),
                 "%s-outer-shared-join-store", name);
    return p;
}

/* Declare the store `store` (used by n, then also by n2): a window store
 * keeping duplicates, or the shared key-value store. */
static bool add_store(kstream_builder_t *b, ks_node_t *n, ks_node_t *n2,
                      const char *store, bool window,
                      const kstream_join_windows_t *w)
{
    ks_store_def_t *d = ks_dsl_store(b, n, store,
                                     window ? KSTREAM_STORE_WINDOW
                                            : KSTREAM_STORE_KEY_VALUE);
    if (!d)
        return false;
    d->flags = 0; /* logged, never cached */
    d->timestamped = false;
    if (window) {
        d->retain_duplicates = true;
        d->window_size = w->before_ms + w->after_ms;
        d->retention = w->before_ms + w->after_ms + w->grace_ms + 1;
    }
    if (ks_node_add_store(n2, store)) {
        ks_dsl_error(b, "out of memory");
        return false;
    }
    return true;
}

kstream_stream_t *kstream_stream_join_stream(kstream_stream_t *left,
                                             kstream_stream_t *right,
                                             kstream_join_windows_t windows,
                                             kstream_join_kind_t kind,
                                             kstream_joiner_cb *joiner,
                                             void *opaque,
                                             kstream_free_cb *opaque_free,
                                             const char *name)
{
    const char *what = "stream_join_stream";
    kstream_builder_t *b = left ? left->b : right ? right->b : NULL;
    char why[256];
    const char *err = NULL;
    if (!left || !right)
        err = !left ? "left stream is NULL" : "right stream is NULL";
    else if (left->b != right->b)
        err = "the right stream is from another builder";
    else if (!name || !ks_dsl_topic_valid(name))
        err = "a join needs a name usable in a topic name (it names the "
              "join's stores and internal topics)";
    else if (kind != KSTREAM_JOIN_INNER && kind != KSTREAM_JOIN_LEFT &&
             kind != KSTREAM_JOIN_OUTER)
        err = "unknown join kind";
    else if (!joiner)
        err = "joiner is NULL";
    else
        err = windows_invalid(&windows, why, sizeof(why));
    if (err) {
        if (opaque_free)
            opaque_free(opaque);
        if (b)
            ks_dsl_error(b, "%s '%s' (%s) after '%s': %s", what,
                         name ? name : "(null)", kind_name(kind),
                         left ? left->node->name : "(null)", err);
        return NULL;
    }

    kstream_stream_t *lin = ks_dsl_copartition(left, name, "left");
    kstream_stream_t *rin = lin ? ks_dsl_copartition(right, name, "right")
                                : NULL;
    if (!rin) {
        if (opaque_free)
            opaque_free(opaque);
        return NULL;
    }
    /* The left node owns the opaque; the right one shares it. */
    ks_join_stream_params_t *lp = params_new(b, kind, true, &windows, joiner,
                                             opaque, opaque_free, name);
    if (!lp)
        return NULL;
    ks_join_stream_params_t *rp = params_new(b, kind, false, &windows,
                                             joiner, opaque, NULL, name);
    if (!rp) {
        ks_join_stream_params_free(lp);
        return NULL;
    }
    char this_name[300], other_name[300];
    snprintf(this_name, sizeof(this_name), "%s-this-join", name);
    snprintf(other_name, sizeof(other_name), "%s-other-join", name);
    ks_node_t *ln = ks_dsl_child(lin, KS_NODE_PROCESSOR,
                                 &ks_class_join_stream, lp,
                                 "KSTREAM-JOINTHIS", this_name);
    if (!ln) {
        ks_join_stream_params_free(rp);
        return NULL;
    }
    ks_node_t *rn = ks_dsl_child(rin, KS_NODE_PROCESSOR,
                                 &ks_class_join_stream, rp,
                                 "KSTREAM-JOINOTHER", other_name);
    if (!rn)
        return NULL;
    if (!add_store(b, ln, rn, lp->this_store, true, &windows) ||
        !add_store(b, ln, rn, lp->other_store, true, &windows) ||
        (lp->shared_store[0] &&
         !add_store(b, ln, rn, lp->shared_store, false, &windows)))
        return NULL;
    rn->stateful = true;
    ln->copartition = true;
    rn->copartition = true;
    ks_node_t *merge = ks_graph_add(&b->g, KS_NODE_PROCESSOR,
                                    &ks_class_join_stream_merge, NULL,
                                    "KSTREAM-MERGE", name);
    if (!merge || ks_node_add_parent(merge, ln->name) ||
        ks_node_add_parent(merge, rn->name))
        return ks_dsl_error(b, "out of memory");
    return ks_dsl_stream(b, merge, false);
}
