/* hint.c - prefetch hints for the stores an input record will touch.
 *
 * With many keys, a key-value aggregation spends most of its time waiting
 * for memory: the record cache's hash slot, then its entry, are rarely in
 * the CPU cache. The key of the store access is often known long before:
 * it is the input record's key when the store belongs to a node that reads
 * and writes under the key it gets (the class's input_keyed) and that the
 * source reaches through nodes that keep the key (keeps_key). For each
 * input queue, the stores of such nodes are listed once, when the queue is
 * made; the runtime then hands each record's key to them ahead of
 * processing (a record a few places ahead in the queue, or, in the test
 * driver, the record being piped), and the store stack starts fetching.
 * A hint changes nothing but timing: a wrong or useless one costs a
 * prefetch. */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static bool listed(ks_store_t **v, size_t n, ks_store_t *s)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == s)
            return true;
    return false;
}

/* Add the key-value stores of input_keyed nodes reached from node through
 * keeps_key nodes. depth bounds the walk (the graph is a DAG; a
 * pathological one only loses hints). */
static int walk(ks_task_t *task, const ks_node_t *node, ks_rqueue_t *q,
                int depth)
{
    const ks_proc_class_t *cls = node->cls;
    if (depth > 64 || !cls)
        return 0;
    if (cls->input_keyed) {
        for (size_t i = 0; i < node->nstores; i++) {
            for (size_t j = 0; j < task->nown_stores; j++) {
                ks_task_store_t *ts = &task->env.stores[j];
                if (ts->def->type != KSTREAM_STORE_KEY_VALUE ||
                    strcmp(ts->def->name, node->stores[i]) != 0)
                    continue;
                ks_store_t *top = ks_pstore_stack(ts->ps);
                if (!top || listed(q->hints, q->nhints, top))
                    break;
                ks_store_t **v = realloc(q->hints,
                                         (q->nhints + 1) * sizeof(*v));
                if (!v)
                    return -1;
                q->hints = v;
                q->hints[q->nhints++] = top;
                break;
            }
        }
    }
    if (!cls->keeps_key)
        return 0;
    for (size_t c = 0; c < node->children.len; c++)
        if (walk(task, node->children.items[c], q, depth + 1))
            return -1;
    return 0;
}

void ks_rqueue_find_hints(ks_task_t *task, ks_rqueue_t *q)
{
    if (walk(task, q->source, q, 0) != 0) {
        free(q->hints); /* out of memory: no hints, nothing else lost */
        q->hints = NULL;
        q->nhints = 0;
    }
}
