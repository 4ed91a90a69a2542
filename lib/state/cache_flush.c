/* cache_flush.c - the record cache's write-down: of one entry (eviction,
 * flush), eviction of the least recently used entries, the flush of a
 * layer, and approximate_count (which counts what is not written yet).
 * See cache.c for the design. */
#include "state/cache_int.h"

/* ---- write-down ------------------------------------------------------------ */

/* Write key -> value (NULL: delete) into the inner store and report it to
 * the listener with the inner store's previous value. e, when not NULL, is
 * the entry written: it is marked clean once the inner store has it (so a
 * listener error does not write it twice). An error of the inner store
 * leaves e dirty. */
kstream_err_t ks_cache_write_below(cache_layer_t *L, const void *key,
                                 size_t klen, const void *value, size_t vlen,
                                 cache_entry_t *e) {
    ks_store_t *in = L->base.inner;
    const void *old = NULL;
    size_t olen = 0;
    kstream_err_t err;

    /* The old value is needed for the listener (unless it said it does
     * not want it for puts), and to skip deletes of keys the inner store
     * does not have. */
    if ((L->listener && L->old_values) || !value) {
        kstream_bytes_t cur;
        err = in->ops->get(in, key, klen, &cur);
        if (err == KSTREAM_OK) {
            err = buf_set(&L->old, cur.data, cur.len);
            if (err != KSTREAM_OK)
                return err;
            old = L->old.data;
            olen = cur.len;
        } else if (err != KSTREAM_ERR_NOT_FOUND) {
            return err;
        } else if (e && entry_has(e, F_DELETED) &&
                   entry_below(e) == BELOW_PRESENT) {
            old = entry_val(e); /* gone below since the delete: what it was */
            olen = e->vlen;
        }
        if (!value && !old) {
            if (e) {
                entry_clean(e);
                entry_set_below(e, BELOW_ABSENT);
            }
            return KSTREAM_OK;
        }
    }
    err = in->ops->put(in, key, klen, value, vlen);
    if (err != KSTREAM_OK)
        return err;
    if (e) {
        entry_clean(e);
        entry_set_below(e, value ? BELOW_PRESENT : BELOW_ABSENT);
        if (!value && e->vlen > 0) {
            /* Nothing below now: drop the kept value (its bytes stay
             * allocated, and readable for the listener, until the entry
             * changes). */
            L->cache->bytes -= e->vlen;
            e->vlen = 0;
            entry_set_flag(e, F_SLACK, true);
        }
    }
    if (!L->listener)
        return KSTREAM_OK;
    return L->listener(L->opaque, key, klen, value, vlen, old, olen);
}

/* Write down a dirty entry with the time of its last put in *now. */
static kstream_err_t entry_write_down(cache_layer_t *L, cache_entry_t *e) {
    int64_t saved = 0;
    kstream_err_t err;
    bool deleted = entry_has(e, F_DELETED);

    assert(entry_has(e, F_DIRTY));
    if (L->now) {
        saved = *L->now;
        *L->now = e->ts;
    }
    err = ks_cache_write_below(L, e->key, e->klen, deleted ? NULL : entry_val(e),
                      deleted ? 0 : e->vlen, e);
    if (L->now)
        *L->now = saved;
    return err;
}

/* Evict least recently used entries while over the bound. Stops at the
 * first error: an inner store error keeps that entry (dirty, still the
 * least recently used); a listener error comes after the entry was written
 * down, so it is evicted all the same. */
kstream_err_t ks_cache_evict(ks_cache_t *c) {
    kstream_err_t err = KSTREAM_OK;

    if (c->busy)
        return KSTREAM_OK;
    while (c->bytes > c->max_bytes && !ring_empty(&c->lru)) {
        cache_entry_t *e;
        cache_layer_t *L;
        if (c->ntouched > 0)
            ks_cache_lru_apply(c); /* the ring's order is read */
        e = ENTRY_OF(c->lru.prev, lru);
        L = entry_layer(c, e);
        if (entry_has(e, F_DIRTY)) {
            c->busy++;
            err = entry_write_down(L, e);
            c->busy--;
            if (entry_has(e, F_DIRTY))
                return err;
        }
        ks_cache_entry_remove(L, e, true);
        if (err != KSTREAM_OK)
            return err;
    }
    return KSTREAM_OK;
}

uint64_t ks_cache_approximate_count(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    uint64_t n = s->inner->ops->approximate_count(s->inner);
    ring_t *r;

    /* Exact when the inner count is: adjust for what is not written yet. */
    for (r = L->dirty.next; r != &L->dirty; r = r->next) {
        cache_entry_t *e = ENTRY_OF(r, dirty);
        kstream_bytes_t cur;
        bool deleted = entry_has(e, F_DELETED);
        bool below = s->inner->ops->get(s->inner, e->key, e->klen, &cur) ==
                     KSTREAM_OK;
        if (!deleted && !below)
            n++;
        else if (deleted && below && n > 0)
            n--;
    }
    return n;
}

/* The first layer below the cache that takes prefetch hints, or NULL. */
static ks_store_t *prefetcher(ks_store_t *in) {
    for (; in; in = in->inner)
        if (in->ops->prefetch)
            return in;
    return NULL;
}

/* The entry after r in the dirty ring of L, or NULL. */
static inline cache_entry_t *dirty_after(cache_layer_t *L, ring_t *r) {
    return r->next == &L->dirty ? NULL : ENTRY_OF(r->next, dirty);
}

/* Flush writes the dirty entries down in first-dirtied order, which is
 * random in memory, as are the inner store's entries of their keys: each
 * write-down would wait for several cache misses in turn. So the entries
 * ahead are fetched meanwhile, in a pipeline: the entry 3 ahead; the inner
 * store's slot for the key 2 ahead (its entry fetched by now); the inner
 * store's entry for the key 1 ahead (its slot fetched by now). The ring
 * is walked afresh each time: a listener's put may change it. */
kstream_err_t ks_cache_flush(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_cache_t *c = L->cache;
    ks_store_t *pf = prefetcher(s->inner);
    kstream_err_t err = KSTREAM_OK;

    c->busy++;
    while (!ring_empty(&L->dirty)) {
        cache_entry_t *e = ENTRY_OF(L->dirty.next, dirty);
        /* Without a prefetcher below, n1 is fetched but not read (its
         * successor would wait for it). */
        cache_entry_t *n1 = dirty_after(L, &e->dirty);
        cache_entry_t *n2 = pf && n1 ? dirty_after(L, &n1->dirty) : NULL;
        cache_entry_t *n3 = n2 ? dirty_after(L, &n2->dirty) : NULL;
        cache_entry_t *ahead = pf ? n3 : n1;
        if (ahead) {
            PREFETCH_W(ahead);
            PREFETCH_W((const char *)ahead + 64);
        }
        if (n2)
            pf->ops->prefetch(pf, n2->key, n2->klen, false);
        if (pf && n1)
            pf->ops->prefetch(pf, n1->key, n1->klen, true);
        err = entry_write_down(L, e);
        if (err != KSTREAM_OK)
            break;
        /* A delete written down keeps nothing: give the value's memory
         * back now (the listener is done with it). */
        if (entry_has(e, F_SLACK))
            (void)ks_cache_entry_resize(L, e, 0);
    }
    c->busy--;
    if (err != KSTREAM_OK)
        return err;
    err = s->inner->ops->flush(s->inner);
    if (err != KSTREAM_OK)
        return err;
    /* Listeners may have put into other layers meanwhile. */
    return ks_cache_maybe_evict(c);
}

