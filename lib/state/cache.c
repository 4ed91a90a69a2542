/* cache.c - the record cache (Kafka Streams' ThreadCache, NamedCache,
 * CachingKeyValueStore and MergedSortedCacheKeyValueBytesStoreIterator).
 *
 * One ks_cache_t per stream thread holds the byte bound and one LRU ring
 * over the entries of every caching layer of the thread. A caching layer
 * (a ks_store_t over its inner store) keeps:
 *   - a hash index: open addressing over 8-byte slots holding tagged
 *     entry addresses (cache_int.h), for O(1) lookups that read one
 *     entry;
 *   - a dirty ring: its dirty entries in the order they were first
 *     dirtied (a put of an already dirty key keeps its place), which is
 *     the order flush writes them down;
 *   - for ordered layers only (ks_cache_set_ordered: window and session
 *     stores, which are ranged on every record), a key-ordered index: a
 *     kv_mem store mapping key -> entry pointer.
 *
 * Ranges of a layer without the ordered index collect the layer's entries
 * in the range from the hash index and sort them (O(entries of the layer)
 * per range: fine for the occasional query, which is all key-value stores
 * get; a layer ranged on every record should be ordered).
 *
 * An entry is one malloc of exactly its header, key and value, so a value
 * whose length changes reallocates the entry (and the links to it are
 * moved along); a put of a key that is already cached with a value of the
 * same length (the steady state of a hot key, across commits too, since
 * flushed entries stay cached as clean entries) calls no malloc. The
 * memory of the entry last evicted is kept for the next new entry of the
 * same size, so a miss that evicts does not call malloc or free either.
 *
 * An entry costs klen + vlen + CACHE_ENTRY_OVERHEAD bytes of the bound:
 * the entry's header and its share of the hash table (8-byte slots, at a
 * load of 2/5 to 4/5), so the charge is what the cache allocates (the
 * allocator's own rounding aside). Ordered layers also charge their
 * index's node, slot and key copy (CACHE_ORDER_OVERHEAD + klen). The
 * iterators' copies (below) are not charged.
 *
 * Entries are dirty (a put or a delete not yet written down) or clean
 * (written down; kept to answer reads, dropped when evicted). A cached
 * delete is an entry with F_DELETED set: reads of it give NOT_FOUND and
 * ranges skip the inner store's entry of that key.
 *
 * Write-down (eviction of a dirty entry, or flush): read the inner store's
 * current value (copied: the put below invalidates it), put the entry's
 * value (or delete) into the inner store, mark the entry clean, then call
 * the listener with (value, old). A put is written without that read when
 * the listener said it does not use old values (ks_cache_set_old_values;
 * for a RocksDB store the read is a third of a write-down). A delete of a key the inner store did
 * not have when the delete was made is neither written nor reported
 * (Kafka's optimization); one that it had is, with the value it had as
 * old, even if the record expired below since (see BELOW_*). A delete
 * reads the inner store once for that (as Kafka's delete does). With
 * max_bytes 0 puts skip the entries and write down at once.
 *
 * Eviction runs after a put while the total exceeds the bound, taking the
 * least recently used entry (gets and puts make an entry the most recently
 * used) of any layer. Listeners forward downstream, and downstream
 * processors may put into other caching layers of the thread: such nested
 * puts never evict (cache->busy), so no entry, old-value buffer or value
 * in use by a listener can be freed, moved or overwritten under it; the
 * outer eviction loop (or the next put) brings the total back under the
 * bound.
 *
 * Values handed out by get are copied into a buffer of the layer: an
 * eviction caused by a put into another store could otherwise free the
 * entry (or write to the inner store) while the caller still reads it.
 *
 * Iterators merge the layer's entries in the range with the inner store's,
 * in key order. The cache side is a copy taken at creation (Kafka copies
 * the key set): a put into any layer of the thread may evict an entry to
 * the inner store, which the inner iterator may no longer see (RocksDB's
 * view is fixed at creation; kv_mem's is live, but past its end is
 * past), so a live cache side could lose it. The copy costs at most the
 * cache's bound per open range. The inner side's entry is borrowed from
 * the inner iterator until that one moves. On equal keys the cache wins,
 * and a cached delete hides the inner entry.
 *
 * One thread: no locks. */
#include "state/cache_int.h"

static const ks_store_ops_t cache_ops;

/* ---- store operations ----------------------------------------------------- */

static kstream_err_t cache_get(ks_store_t *s, const void *key, size_t klen,
                               kstream_bytes_t *value) {
    cache_layer_t *L = (cache_layer_t *)s;
    cache_entry_t *e = entry_lookup(L, key, klen, NULL);
    kstream_bytes_t cur;
    kstream_err_t err;

    if (e) {
        entry_touch(L->cache, e);
        if (entry_has(e, F_DELETED))
            return KSTREAM_ERR_NOT_FOUND;
        cur.data = entry_val(e);
        cur.len = e->vlen;
    } else {
        err = s->inner->ops->get(s->inner, key, klen, &cur);
        if (err != KSTREAM_OK)
            return err;
    }
    err = buf_set(&L->got, cur.data, cur.len);
    if (err != KSTREAM_OK)
        return err;
    value->data = L->got.data;
    value->len = cur.len;
    return KSTREAM_OK;
}

static kstream_err_t cache_put(ks_store_t *s, const void *key, size_t klen,
                               const void *value, size_t vlen) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_cache_t *c = L->cache;
    cache_entry_t *e;
    const void *data = value;
    size_t len = vlen;
    unsigned below = BELOW_UNKNOWN;
    uint64_t h = 0;
    kstream_err_t err;

    if (c->max_bytes == 0)
        return ks_cache_write_below(L, key, klen, value, vlen, NULL);
    e = entry_lookup(L, key, klen, &h);
    if (!value) {
        if (e && (entry_has(e, F_DELETED) || !entry_has(e, F_DIRTY))) {
            /* Already deleted, or clean: the entry holds what is below. */
            data = entry_val(e);
            len = e->vlen;
        } else {
            /* Kafka's delete reads the old value too: keep it. */
            kstream_bytes_t cur;
            err = s->inner->ops->get(s->inner, key, klen, &cur);
            if (err == KSTREAM_OK) {
                below = BELOW_PRESENT;
                data = cur.data;
                len = cur.len;
            } else if (err == KSTREAM_ERR_NOT_FOUND) {
                below = BELOW_ABSENT;
                data = NULL;
                len = 0;
            } else {
                return err;
            }
        }
    }
    if (e) {
        err = ks_cache_entry_set(L, &e, data, len, value == NULL);
        if (err != KSTREAM_OK)
            return err;
        entry_touch(c, e);
    } else {
        err = ks_cache_entry_new(L, h, key, klen, data, len, value == NULL, &e);
        if (err != KSTREAM_OK)
            return err;
    }
    if (below != BELOW_UNKNOWN)
        entry_set_below(e, below);
    if (!entry_has(e, F_DIRTY)) {
        ring_insert_after(L->dirty.prev, &e->dirty);
        entry_set_flag(e, F_DIRTY, true);
    }
    e->ts = L->now ? *L->now : 0;
    return ks_cache_maybe_evict(c);
}


/* Every entry of L (close and drop). */
static void drop_entries(cache_layer_t *L, bool update_index) {
    size_t i;

    for (i = 0; i <= L->mask; i++) {
        uintptr_t s = L->slots[i];
        L->slots[i] = 0;
        if (!slot_used(s))
            continue;
        cache_entry_t *e = slot_entry(L, s);
        if (update_index && L->order)
            (void)L->order->ops->put(L->order, e->key, e->klen, NULL, 0);
        ks_cache_entry_remove(L, e, false);
    }
    L->tombs = 0;
    assert(L->count == 0);
    /* Back to the smallest table (its memory is charged): kept as it is,
     * all empty, if that fails. */
    uintptr_t *small;
    if (L->mask + 1 > CACHE_MIN_SLOTS &&
        (small = calloc(CACHE_MIN_SLOTS, sizeof(*small))) != NULL) {
        L->cache->bytes -= table_charge(L->mask + 1);
        free(L->slots);
        L->slots = small;
        L->mask = CACHE_MIN_SLOTS - 1;
    }
}

static void cache_close(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_cache_t *c = L->cache;

    drop_entries(L, false);
    if (L->order)
        L->order->ops->close(L->order);
    s->inner->ops->close(s->inner);
    ks_buf_free(&L->old);
    ks_buf_free(&L->got);
    c->bytes -= table_charge(L->mask + 1);
    free(L->slots);
    c->layers[L->id] = NULL;
    c->nlayers--;
    free(L);
}

/* Shallow: the key's first hash slot. Deep: the entry whose tag matches
 * (its header and key), found in the slots without reading entries. A
 * key absent from the cache is not looked for below: the lookup that
 * follows finds out. */
static void cache_prefetch(ks_store_t *s, const void *key, size_t klen,
                           bool deep) {
    cache_layer_t *L = (cache_layer_t *)s;
    uint64_t h = key_hash(key, klen);
    uintptr_t tag = slot_tag(h);
    size_t i = h & L->mask;

    if (!deep) {
        PREFETCH_W(&L->slots[i]);
        return;
    }
    for (;; i = (i + 1) & L->mask) {
        uintptr_t v = L->slots[i];
        if (v == 0)
            return;
        if (slot_used(v) && slot_may_be(L, v, tag)) {
            const cache_entry_t *e = slot_entry(L, v);
            PREFETCH_W(e);
            PREFETCH_W((const char *)e + 64);
            return;
        }
    }
}

static const ks_store_ops_t cache_ops = {
        .kind = "cache",
        .count_below = true,
        .get = cache_get,
        .put = cache_put,
        .range = ks_cache_range,
        .prefix = ks_cache_prefix,
        .approximate_count = ks_cache_approximate_count,
        .flush = ks_cache_flush,
        .close = cache_close,
        .observe_time = NULL, /* passed to inner */
        .prefetch = cache_prefetch,
};

/* ---- public (internal) functions ------------------------------------------ */

ks_cache_t *ks_cache_new(size_t max_bytes) {
    ks_cache_t *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->max_bytes = max_bytes;
    ring_init(&c->lru);
    return c;
}

void ks_cache_destroy(ks_cache_t *cache) {
    if (!cache)
        return;
    assert(cache->nlayers == 0 && ring_empty(&cache->lru) &&
           cache->ntouched == 0);
    free(cache->spare);
    free(cache->layers);
    free(cache);
}

size_t ks_cache_bytes(const ks_cache_t *cache) {
    return cache->bytes;
}

/* A free layer id, growing the table when needed; -1 when none. */
static int64_t layer_id(ks_cache_t *c) {
    uint32_t i, ncap;
    cache_layer_t **nl;

    for (i = 0; i < c->layers_cap; i++)
        if (!c->layers[i])
            return i;
    if (c->layers_cap >= CACHE_MAX_LAYERS)
        return -1;
    ncap = c->layers_cap ? c->layers_cap * 2 : 8;
    nl = realloc(c->layers, ncap * sizeof(*nl));
    if (!nl)
        return -1;
    memset(nl + c->layers_cap, 0, (ncap - c->layers_cap) * sizeof(*nl));
    c->layers = nl;
    i = c->layers_cap;
    c->layers_cap = ncap;
    return i;
}

ks_store_t *ks_cache_wrap(ks_store_t *inner, ks_cache_t *cache,
                          ks_cache_listener_fn *listener, void *opaque) {
    cache_layer_t *L = calloc(1, sizeof(*L));
    int64_t id = L ? layer_id(cache) : -1;

    if (id < 0) {
        free(L);
        return NULL;
    }
    L->base.ops = &cache_ops;
    L->base.inner = inner;
    L->cache = cache;
    L->id = (uint32_t)id;
    L->listener = listener;
    L->opaque = opaque;
    L->old_values = true;
    ring_init(&L->dirty);
    ks_buf_init(&L->old, NULL);
    ks_buf_init(&L->got, NULL);
    L->slots = calloc(CACHE_MIN_SLOTS, sizeof(*L->slots)); /* all empty */
    L->mask = CACHE_MIN_SLOTS - 1;
    if (!L->slots || ks_buf_reserve(&L->old, 1) != 0 ||
        ks_buf_reserve(&L->got, 1) != 0) {
        free(L->slots);
        ks_buf_free(&L->old);
        ks_buf_free(&L->got);
        free(L);
        return NULL;
    }
    cache->layers[id] = L;
    cache->nlayers++;
    return &L->base;
}

void ks_cache_set_time(ks_store_t *layer, int64_t *now) {
    assert(layer->ops == &cache_ops);
    ((cache_layer_t *)layer)->now = now;
}

void ks_cache_set_old_values(ks_store_t *layer, bool wanted) {
    assert(layer->ops == &cache_ops);
    ((cache_layer_t *)layer)->old_values = wanted;
}

kstream_err_t ks_cache_set_ordered(ks_store_t *layer) {
    cache_layer_t *L = (cache_layer_t *)layer;
    size_t extra = 0, i;
    ks_store_t *ix;

    assert(layer->ops == &cache_ops);
    if (L->order)
        return KSTREAM_OK;
    ix = ks_kv_mem_new();
    if (!ix)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i <= L->mask; i++) {
        if (!slot_used(L->slots[i]))
            continue;
        cache_entry_t *e = slot_entry(L, L->slots[i]);
        {
            kstream_err_t err = ix->ops->put(ix, e->key, e->klen, &e,
                                             sizeof(e));
            if (err != KSTREAM_OK) {
                ix->ops->close(ix);
                return err;
            }
            extra += CACHE_ORDER_OVERHEAD + e->klen;
        }
    }
    L->order = ix;
    L->cache->bytes += extra; /* evicted down by the next put */
    return KSTREAM_OK;
}

void ks_cache_drop(ks_store_t *layer) {
    assert(layer->ops == &cache_ops);
    drop_entries((cache_layer_t *)layer, true);
}
