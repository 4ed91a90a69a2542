/* cache_entry.c - the record cache's entries: their memory (one malloc
 * each, the last evicted one kept for reuse), the layer's hash index and
 * the thread's LRU ring. See cache.c for the design. */
#include "state/cache_int.h"

/* The index of the slot holding e. */
static size_t slot_of(const cache_layer_t *L, const cache_entry_t *e) {
    size_t i = key_hash(e->key, e->klen) & L->mask;

    for (;; i = (i + 1) & L->mask) {
        uintptr_t s = L->slots[i];
        assert(s != 0);
        if (slot_used(s) && slot_entry(L, s) == e)
            return i;
    }
}

/* The slot value for e (of key hash h). */
static uintptr_t slot_make(const cache_layer_t *L, const cache_entry_t *e,
                           uint64_t h) {
    uintptr_t p = (uintptr_t)e;
    return L->untagged ? p : p | slot_tag(h);
}

/* Put e (of key hash h, not in the index) into the first free slot of its
 * probe sequence (the caller knows the key is absent). */
static void slot_insert(cache_layer_t *L, cache_entry_t *e, uint64_t h) {
    size_t i = h & L->mask;

    while (slot_used(L->slots[i]))
        i = (i + 1) & L->mask;
    if (L->slots[i] == SLOT_DELETED)
        L->tombs--;
    L->slots[i] = slot_make(L, e, h);
}

/* Rehash into ncap slots (a power of two), dropping deleted slots. -1:
 * out of memory, unchanged. */
static int slots_resize(cache_layer_t *L, size_t ncap) {
    uintptr_t *old = L->slots;
    size_t omask = L->mask, i;
    uintptr_t *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return -1;
    L->slots = ns;
    L->cache->bytes += table_charge(ncap);
    L->cache->bytes -= table_charge(omask + 1);
    L->mask = ncap - 1;
    L->tombs = 0;
    for (i = 0; i <= omask; i++) {
        if (!slot_used(old[i]))
            continue;
        cache_entry_t *e = slot_entry(L, old[i]);
        slot_insert(L, e, key_hash(e->key, e->klen));
    }
    free(old);
    return 0;
}

/* An entry address does not fit under the tags: drop them for good, in
 * place (every address in the table fits, so only the tags go). */
static void slots_check_address(cache_layer_t *L, const cache_entry_t *e) {
    size_t i;

    if (L->untagged || ((uintptr_t)e & ~SLOT_PTR_MASK) == 0)
        return;
    for (i = 0; i <= L->mask; i++)
        if (slot_used(L->slots[i]))
            L->slots[i] &= SLOT_PTR_MASK;
    L->untagged = true;
}

/* Make room for one more entry at address e (before it is inserted). */
static int slots_reserve(cache_layer_t *L, const cache_entry_t *e) {
    size_t cap = L->mask + 1;

    slots_check_address(L, e);
    if ((L->count + L->tombs + 1) * 5 <= cap * 4)
        return 0;
    /* Mostly deleted slots: clean up at the same size; else grow. */
    return slots_resize(L, (L->count + 1) * 5 <= cap * 2 ? cap : cap * 2);
}

/* ---- the LRU ring ----------------------------------------------------------
 * Moving an entry to the front of the ring writes to its two neighbours,
 * which are anywhere in memory: two cache misses on every get and put.
 * So a use is only logged (cache->touched), and the logged moves are made
 * together, their neighbours prefetched first, when the log is full and
 * before anything reads the ring's order (eviction), or before a logged
 * entry is freed or moved. Applied in the order of use, the moves leave
 * the ring exactly as moving at each use would have: the LRU order is
 * exact whenever it is looked at. A new entry is linked at the front and
 * logged too, so that earlier logged uses do not pass it. */
void ks_cache_lru_apply(ks_cache_t *c) {
    unsigned i, n = c->ntouched;

    for (i = 0; i < n; i++) {
        cache_entry_t *e = c->touched[i];
        PREFETCH_W(e->lru.prev);
        PREFETCH_W(e->lru.next);
    }
    for (i = 0; i < n; i++) {
        cache_entry_t *e = c->touched[i];
        entry_set_flag(e, F_TOUCHED, false);
        if (c->lru.next == &e->lru)
            continue;
        ring_unlink(&e->lru);
        ring_insert_after(&c->lru, &e->lru);
    }
    c->ntouched = 0;
}

/* Memory for an entry of size bytes: the spare when it has that size. */
static cache_entry_t *entry_alloc(ks_cache_t *c, size_t size) {
    cache_entry_t *e = c->spare;

    if (e && c->spare_size == size) {
        c->spare = NULL;
        return e;
    }
    return malloc(size);
}

/* Give back the memory of a removed entry: kept as the spare. */
static void entry_release(ks_cache_t *c, cache_entry_t *e) {
    if (entry_has(e, F_SLACK)) {
        free(e); /* its size is unknown */
        return;
    }
    free(c->spare);
    c->spare = e;
    c->spare_size = ENTRY_HDR + e->klen + e->vlen;
}

/* A new entry of L holding data[0..len) (the value, or for a delete the

 * value the inner store had: see BELOW_*), in the hash index (h is the
 * key's hash), the ordered index and the LRU ring as the most recently
 * used, and charged; not dirty. */
kstream_err_t ks_cache_entry_new(cache_layer_t *L, uint64_t h, const void *key,
                               size_t klen, const void *data, size_t len,
                               bool deleted, cache_entry_t **out) {
    ks_cache_t *c = L->cache;
    cache_entry_t *e;

    if (klen > CACHE_MAX_LEN || len > CACHE_MAX_LEN ||
        klen + len > (size_t)PTRDIFF_MAX - ENTRY_HDR)
        return KSTREAM_ERR_TOO_LARGE;
    e = entry_alloc(c, ENTRY_HDR + klen + len);
    if (!e)
        return KSTREAM_ERR_NO_MEMORY;
    if (slots_reserve(L, e) != 0) {
        free(e);
        return KSTREAM_ERR_NO_MEMORY;
    }
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)len;
    e->meta = L->id << 8 | (deleted ? F_DELETED : 0);
    e->ts = 0;
    if (klen > 0)
        memcpy(e->key, key, klen);
    if (len > 0)
        memcpy(entry_val(e), data, len);
    if (L->order) {
        kstream_err_t err = L->order->ops->put(L->order, key, klen, &e,
                                               sizeof(e));
        if (err != KSTREAM_OK) {
            free(e);
            return err;
        }
    }
    slot_insert(L, e, h);
    L->count++;
    L->last = e;
    ring_init(&e->dirty);
    ring_insert_after(&c->lru, &e->lru);
    entry_touch(c, e); /* after the uses still to be applied */
    c->bytes += entry_size(L, e);
    *out = e;
    return KSTREAM_OK;
}

/* Reallocate e for a value of len bytes (its key and the first
 * min(len, vlen) value bytes kept), moving every link to it along. NULL
 * on out-of-memory (e unchanged). Not charged here. */
cache_entry_t * ks_cache_entry_resize(cache_layer_t *L, cache_entry_t *e,
                                   size_t len) {
    size_t slot;
    cache_entry_t *n;

    if (entry_has(e, F_TOUCHED))
        ks_cache_lru_apply(L->cache); /* the log holds e's address */
    slot = slot_of(L, e);
    n = realloc(e, ENTRY_HDR + e->klen + len);
    if (!n)
        return NULL;
    entry_set_flag(n, F_SLACK, false);
    if (n == e)
        return n;
    slots_check_address(L, n); /* (positions do not change) */
    L->slots[slot] = slot_make(L, n, key_hash(n->key, n->klen));
    ring_moved(&n->lru);
    if (entry_has(n, F_DIRTY))
        ring_moved(&n->dirty);
    else
        ring_init(&n->dirty);
    if (L->last == e)
        L->last = n;
    if (L->order) {
        /* An existing key: kv_mem updates the value in place. */
        kstream_err_t err = L->order->ops->put(L->order, n->key, n->klen,
                                               &n, sizeof(n));
        (void)err;
        assert(err == KSTREAM_OK);
    }
    return n;
}

/* Forget e: out of both rings, the bound and the indexes (unless the
 * indexes are about to be freed). */
void ks_cache_entry_remove(cache_layer_t *L, cache_entry_t *e,
                         bool update_index) {
    if (entry_has(e, F_TOUCHED))
        ks_cache_lru_apply(L->cache); /* the log holds e's address */
    if (update_index) {
        L->slots[slot_of(L, e)] = SLOT_DELETED;
        L->tombs++;
        if (L->order)
            (void)L->order->ops->put(L->order, e->key, e->klen, NULL, 0);
    }
    L->count--;
    if (L->last == e)
        L->last = NULL;
    entry_clean(e);
    ring_unlink(&e->lru);
    L->cache->bytes -= entry_size(L, e);
    entry_release(L->cache, e);
    /* Halve the table when the entries fall under a fifth of it (no harm
     * if that fails). */
    if (update_index && L->mask + 1 > CACHE_MIN_SLOTS &&
        L->count * 5 < L->mask + 1)
        (void)slots_resize(L, (L->mask + 1) / 2);
}
