/* observe.c - walks down a store stack: ks_store_written_count(), and
 * hints handed to the first layer that takes them: ks_store_bulk(),
 * ks_store_prefetch() (see the ops), and
 * ks_store_observe_time(), the task's stream time to the
 * store stack (Kafka Streams' segmented stores track observedStreamTime
 * themselves; here the task can also push it, so that retention advances
 * on a store that only sees reads). Wrappers that do not care leave
 * observe_time NULL and the time goes past them to the layer that does. */
#include "state/store.h"

void ks_store_observe_time(ks_store_t *s, int64_t t) {
    for (; s; s = s->inner) {
        if (s->ops->observe_time) {
            s->ops->observe_time(s, t);
            return;
        }
    }
}

kstream_err_t ks_store_bulk(ks_store_t *s, bool on) {
    for (; s; s = s->inner)
        if (s->ops->bulk)
            return s->ops->bulk(s, on);
    return KSTREAM_OK;
}

void ks_store_prefetch(ks_store_t *s, const void *key, size_t klen,
                       bool deep) {
    for (; s; s = s->inner) {
        if (s->ops->prefetch) {
            s->ops->prefetch(s, key, klen, deep);
            return;
        }
    }
}

/* Past the layers marked count_below: the buffering ones (record cache,
 * transaction buffer), whose own counts read the store once per buffered
 * entry, and the changelog layer between them. */
uint64_t ks_store_written_count(ks_store_t *s) {
    while (s->inner && s->ops->count_below)
        s = s->inner;
    return s->ops->approximate_count(s);
}
