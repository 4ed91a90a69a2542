/* cache.c - the record cache (Kafka Streams' ThreadCache, NamedCache,
 * CachingKeyValueStore and MergedSortedCacheKeyValueBytesStoreIterator).
 *
 * One ks_cache_t per stream thread holds the byte bound and one LRU ring
 * over the entries of every caching layer of the thread. A caching layer
 * (a ks_store_t over its inner store) keeps:
 *   - an index: a kv_mem store mapping key -> entry pointer, for O(1)
 *     lookups and key-ordered ranges;
 *   - a dirty ring: its dirty entries in the order they were first
 *     dirtied (a put of an already dirty key keeps its place), which is
 *     the order flush writes them down.
 *
 * An entry is one malloc: links, the key and an inline value area; a value
 * that outgrows the area moves to a heap buffer that is reused after. So a
 * put of a key that is already cached (the steady state of a hot key,
 * across commits too, since flushed entries stay cached as clean entries)
 * calls no malloc. An entry costs klen + vlen + CACHE_ENTRY_OVERHEAD bytes
 * of the bound.
 *
 * Entries are dirty (a put or a delete not yet written down) or clean
 * (written down; kept to answer reads, dropped when evicted). A cached
 * delete is an entry with `deleted` set: reads of it give NOT_FOUND and
 * ranges skip the inner store's entry of that key.
 *
 * Write-down (eviction of a dirty entry, or flush): read the inner store's
 * current value (copied: the put below invalidates it), put the entry's
 * value (or delete) into the inner store, mark the entry clean, then call
 * the listener with (value, old). A delete of a key the inner store did
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
 * in use by a listener can be freed or overwritten under it; the outer
 * eviction loop (or the next put) brings the total back under the bound.
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
#include "state/store.h"
#include "util/util.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Per-entry bytes beside key and value: the entry struct plus the index's
 * node and hash slot (about 64 bytes for a pointer value in kv_mem). */
#define CACHE_INDEX_OVERHEAD 64
#define CACHE_INLINE_MIN 8

typedef struct ring {
    struct ring *prev, *next;
} ring_t;

typedef struct cache_layer cache_layer_t;

typedef struct cache_entry {
    ring_t lru;   /* in the cache's LRU ring: next is less recently used */
    ring_t dirty; /* in the layer's dirty ring while dirty */
    cache_layer_t *layer;
    uint8_t *val; /* the inline area, or a heap buffer when heap */
    size_t vlen, vcap, klen;
    int64_t ts; /* *layer->now at the last put */
    bool is_dirty, deleted, heap;
    uint8_t below; /* BELOW_*: does the inner store have the key? */
    uint8_t key[]; /* klen bytes, then the inline value area */
} cache_entry_t;

#define CACHE_ENTRY_OVERHEAD (sizeof(cache_entry_t) + CACHE_INDEX_OVERHEAD)

/* What an entry knows of its key in the inner store: set by write-downs,
 * and by the lookup a delete makes. A deleted entry keeps the value the
 * inner store had when the delete was made (its data, vlen bytes; none
 * when BELOW_ABSENT). A delete whose key was present then is written down
 * and reported, with that value as the old one, even when the inner store
 * no longer shows the key at write-down time: a segmented store hides
 * records that expired meanwhile, but downstream saw the value and must
 * see the tombstone (a merged-away session, say). */
enum { BELOW_UNKNOWN, BELOW_PRESENT, BELOW_ABSENT };

struct ks_cache {
    size_t max_bytes;
    size_t bytes; /* every entry's klen + vlen + overhead */
    ring_t lru;   /* lru.next: most recently used; lru.prev: least */
    int busy;     /* write-downs in progress: no eviction meanwhile */
    size_t nlayers;
};

struct cache_layer {
    ks_store_t base;
    ks_cache_t *cache;
    ks_store_t *index; /* kv_mem: key -> cache_entry_t * */
    ring_t dirty;      /* first dirtied first */
    ks_cache_listener_fn *listener;
    void *opaque;
    int64_t *now; /* ks_cache_set_time(), or NULL */
    ks_buf_t old; /* the inner value during a write-down */
    ks_buf_t got; /* the value returned by the last get */
};

static const ks_store_ops_t cache_ops;

#define ENTRY_OF(ptr, member)                                                \
    ((cache_entry_t *)(void *)((char *)(ptr)-offsetof(cache_entry_t, member)))

/* ---- rings ---------------------------------------------------------------- */

static void ring_init(ring_t *r) {
    r->prev = r->next = r;
}

static bool ring_empty(const ring_t *r) {
    return r->next == r;
}

static void ring_unlink(ring_t *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

static void ring_insert_after(ring_t *at, ring_t *n) {
    n->prev = at;
    n->next = at->next;
    at->next->prev = n;
    at->next = n;
}

/* ---- buffers -------------------------------------------------------------- */

/* Make b hold exactly p[0..len): data stays non-NULL (reserved at
 * creation), so an empty value is not mistaken for an absent one. */
static kstream_err_t buf_set(ks_buf_t *b, const void *p, size_t len) {
    b->len = 0;
    if (len == 0)
        return KSTREAM_OK;
    if (ks_buf_append(b, p, len) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

/* ---- entries -------------------------------------------------------------- */

static size_t entry_size(const cache_entry_t *e) {
    return e->klen + e->vlen + CACHE_ENTRY_OVERHEAD;
}

/* A new entry holding data[0..len): the value, or for a delete the value
 * the inner store had (see BELOW_*). */
static cache_entry_t *entry_new(cache_layer_t *L, const void *key,
                                size_t klen, const void *data, size_t len,
                                bool deleted) {
    cache_entry_t *e;
    size_t vcap = len < CACHE_INLINE_MIN ? CACHE_INLINE_MIN
                                         : (len + 7) & ~(size_t)7;

    if (vcap < len || klen > (size_t)PTRDIFF_MAX - sizeof(*e) - vcap)
        return NULL;
    e = malloc(sizeof(*e) + klen + vcap);
    if (!e)
        return NULL;
    ring_init(&e->lru);
    ring_init(&e->dirty);
    e->layer = L;
    e->klen = klen;
    if (klen > 0)
        memcpy(e->key, key, klen);
    e->val = e->key + klen;
    e->vcap = vcap;
    e->heap = false;
    e->is_dirty = false;
    e->deleted = deleted;
    e->below = BELOW_UNKNOWN;
    e->vlen = len;
    if (len > 0)
        memcpy(e->val, data, len);
    e->ts = 0;
    return e;
}

/* Replace the entry's data, reusing its buffer when the new data fits;
 * else the buffer grows by half. */
static kstream_err_t entry_set(cache_entry_t *e, const void *data, size_t len,
                               bool deleted) {
    if (len > e->vcap) {
        size_t cap = e->vcap + e->vcap / 2;
        uint8_t *v;
        if (cap < len)
            cap = len;
        v = realloc(e->heap ? e->val : NULL, cap);
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        e->val = v;
        e->vcap = cap;
        e->heap = true;
    }
    if (len > 0 && data != e->val)
        memcpy(e->val, data, len);
    e->vlen = len;
    e->deleted = deleted;
    return KSTREAM_OK;
}

static void entry_free(cache_entry_t *e) {
    if (e->heap)
        free(e->val);
    free(e);
}

static cache_entry_t *entry_lookup(cache_layer_t *L, const void *key,
                                   size_t klen) {
    kstream_bytes_t v;
    cache_entry_t *e;

    if (L->index->ops->get(L->index, key, klen, &v) != KSTREAM_OK)
        return NULL;
    assert(v.len == sizeof(e));
    memcpy(&e, v.data, sizeof(e));
    return e;
}

static void entry_touch(ks_cache_t *c, cache_entry_t *e) {
    if (c->lru.next == &e->lru)
        return;
    ring_unlink(&e->lru);
    ring_insert_after(&c->lru, &e->lru);
}

static void entry_clean(cache_entry_t *e) {
    if (!e->is_dirty)
        return;
    ring_unlink(&e->dirty);
    e->is_dirty = false;
}

/* Forget e: out of both rings and the bound; out of the index unless the
 * index is about to be closed. */
static void entry_remove(cache_layer_t *L, cache_entry_t *e,
                         bool update_index) {
    if (update_index)
        (void)L->index->ops->put(L->index, e->key, e->klen, NULL, 0);
    entry_clean(e);
    ring_unlink(&e->lru);
    L->cache->bytes -= entry_size(e);
    entry_free(e);
}

/* ---- write-down ------------------------------------------------------------ */

/* Write key -> value (NULL: delete) into the inner store and report it to
 * the listener with the inner store's previous value. e, when not NULL, is
 * the entry written: it is marked clean once the inner store has it (so a
 * listener error does not write it twice). An error of the inner store
 * leaves e dirty. */
static kstream_err_t write_below(cache_layer_t *L, const void *key,
                                 size_t klen, const void *value, size_t vlen,
                                 cache_entry_t *e) {
    ks_store_t *in = L->base.inner;
    const void *old = NULL;
    size_t olen = 0;
    kstream_err_t err;

    /* The old value is needed for the listener, and to skip deletes of
     * keys the inner store does not have. */
    if (L->listener || !value) {
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
        } else if (e && e->deleted && e->below == BELOW_PRESENT) {
            old = e->val; /* gone below since the delete: what it was */
            olen = e->vlen;
        }
        if (!value && !old) {
            if (e) {
                entry_clean(e);
                e->below = BELOW_ABSENT;
            }
            return KSTREAM_OK;
        }
    }
    err = in->ops->put(in, key, klen, value, vlen);
    if (err != KSTREAM_OK)
        return err;
    if (e) {
        entry_clean(e);
        e->below = value ? BELOW_PRESENT : BELOW_ABSENT;
        if (!value) {
            /* Nothing below now: drop the kept value (its bytes stay
             * readable for the listener until the entry changes). */
            L->cache->bytes -= e->vlen;
            e->vlen = 0;
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

    assert(e->is_dirty);
    if (L->now) {
        saved = *L->now;
        *L->now = e->ts;
    }
    err = write_below(L, e->key, e->klen, e->deleted ? NULL : e->val,
                      e->deleted ? 0 : e->vlen, e);
    if (L->now)
        *L->now = saved;
    return err;
}

/* Evict least recently used entries while over the bound. Stops at the
 * first error: an inner store error keeps that entry (dirty, still the
 * least recently used); a listener error comes after the entry was written
 * down, so it is evicted all the same. */
static kstream_err_t cache_maybe_evict(ks_cache_t *c) {
    kstream_err_t err = KSTREAM_OK;

    if (c->busy)
        return KSTREAM_OK;
    while (c->bytes > c->max_bytes && !ring_empty(&c->lru)) {
        cache_entry_t *e = ENTRY_OF(c->lru.prev, lru);
        if (e->is_dirty) {
            c->busy++;
            err = entry_write_down(e->layer, e);
            c->busy--;
            if (e->is_dirty)
                return err;
        }
        entry_remove(e->layer, e, true);
        if (err != KSTREAM_OK)
            return err;
    }
    return KSTREAM_OK;
}

/* ---- store operations ----------------------------------------------------- */

static kstream_err_t cache_get(ks_store_t *s, const void *key, size_t klen,
                               kstream_bytes_t *value) {
    cache_layer_t *L = (cache_layer_t *)s;
    cache_entry_t *e = entry_lookup(L, key, klen);
    kstream_bytes_t cur;
    kstream_err_t err;

    if (e) {
        entry_touch(L->cache, e);
        if (e->deleted)
            return KSTREAM_ERR_NOT_FOUND;
        cur.data = e->val;
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
    uint8_t below = BELOW_UNKNOWN;
    kstream_err_t err;

    if (c->max_bytes == 0)
        return write_below(L, key, klen, value, vlen, NULL);
    e = entry_lookup(L, key, klen);
    if (!value) {
        if (e && (e->deleted || !e->is_dirty)) {
            /* Already deleted, or clean: the entry holds what is below. */
            data = e->val;
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
        size_t before = entry_size(e);
        err = entry_set(e, data, len, value == NULL);
        if (err != KSTREAM_OK)
            return err;
        c->bytes = c->bytes - before + entry_size(e);
        entry_touch(c, e);
    } else {
        e = entry_new(L, key, klen, data, len, value == NULL);
        if (!e)
            return KSTREAM_ERR_NO_MEMORY;
        err = L->index->ops->put(L->index, key, klen, &e, sizeof(e));
        if (err != KSTREAM_OK) {
            entry_free(e);
            return err;
        }
        ring_insert_after(&c->lru, &e->lru);
        c->bytes += entry_size(e);
    }
    if (below != BELOW_UNKNOWN)
        e->below = below;
    if (!e->is_dirty) {
        ring_insert_after(L->dirty.prev, &e->dirty);
        e->is_dirty = true;
    }
    e->ts = L->now ? *L->now : 0;
    return cache_maybe_evict(c);
}

static uint64_t cache_approximate_count(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    uint64_t n = s->inner->ops->approximate_count(s->inner);
    ring_t *r;

    /* Exact when the inner count is: adjust for what is not written yet. */
    for (r = L->dirty.next; r != &L->dirty; r = r->next) {
        cache_entry_t *e = ENTRY_OF(r, dirty);
        kstream_bytes_t cur;
        bool below = s->inner->ops->get(s->inner, e->key, e->klen, &cur) ==
                     KSTREAM_OK;
        if (!e->deleted && !below)
            n++;
        else if (e->deleted && below && n > 0)
            n--;
    }
    return n;
}

static kstream_err_t cache_flush(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_cache_t *c = L->cache;
    kstream_err_t err = KSTREAM_OK;

    c->busy++;
    while (!ring_empty(&L->dirty)) {
        err = entry_write_down(L, ENTRY_OF(L->dirty.next, dirty));
        if (err != KSTREAM_OK)
            break;
    }
    c->busy--;
    if (err != KSTREAM_OK)
        return err;
    err = s->inner->ops->flush(s->inner);
    if (err != KSTREAM_OK)
        return err;
    /* Listeners may have put into other layers meanwhile. */
    return cache_maybe_evict(c);
}

/* Every entry of L, by walking the LRU ring (close and drop are rare). */
static void drop_entries(cache_layer_t *L, bool update_index) {
    ring_t *r, *next;

    for (r = L->cache->lru.next; r != &L->cache->lru; r = next) {
        cache_entry_t *e = ENTRY_OF(r, lru);
        next = r->next;
        if (e->layer == L)
            entry_remove(L, e, update_index);
    }
}

static void cache_close(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;

    drop_entries(L, false);
    L->index->ops->close(L->index);
    s->inner->ops->close(s->inner);
    ks_buf_free(&L->old);
    ks_buf_free(&L->got);
    L->cache->nlayers--;
    free(L);
}

/* ---- merge iterator ------------------------------------------------------- */

/* The cache side is a copy of the layer's entries in the range, taken when
 * the iterator is created, so later puts and evictions (by any layer of the
 * thread) cannot pull an entry from under it. A snapshot record is
 * {klen, vlen, deleted} then the key and value bytes. */
typedef struct snap_hdr {
    size_t klen, vlen;
    bool deleted;
} snap_hdr_t;

typedef struct cache_iter {
    ks_iter_t base;
    ks_iter_t *ii; /* over the inner store */
    ks_buf_t snap; /* the cache side's records, in key order */
    size_t pos;    /* next record in snap */
    bool c_has, i_has, i_done;
    snap_hdr_t c;               /* the cache side's current record */
    const uint8_t *ckey, *cval; /* in snap */
    kstream_bytes_t ikey, ival; /* the inner side's, borrowed from ii */
} cache_iter_t;

static kstream_err_t citer_snapshot(cache_iter_t *it, ks_iter_t *ci) {
    kstream_bytes_t k, v;
    kstream_err_t err;

    while ((err = ci->ops->next(ci, &k, &v)) == KSTREAM_OK) {
        cache_entry_t *e;
        snap_hdr_t h;
        assert(v.len == sizeof(e));
        memcpy(&e, v.data, sizeof(e));
        memset(&h, 0, sizeof(h)); /* padding too: it is copied */
        h.klen = e->klen;
        h.vlen = e->deleted ? 0 : e->vlen;
        h.deleted = e->deleted;
        if (ks_buf_append(&it->snap, &h, sizeof(h)) != 0 ||
            (h.klen > 0 && ks_buf_append(&it->snap, e->key, h.klen) != 0) ||
            (h.vlen > 0 && ks_buf_append(&it->snap, e->val, h.vlen) != 0))
            return KSTREAM_ERR_NO_MEMORY;
    }
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

static void citer_fill_cache(cache_iter_t *it) {
    const uint8_t *p;

    if (it->pos >= it->snap.len)
        return;
    p = it->snap.data + it->pos;
    memcpy(&it->c, p, sizeof(it->c));
    it->ckey = p + sizeof(it->c);
    it->cval = it->ckey + it->c.klen;
    it->pos += sizeof(it->c) + it->c.klen + it->c.vlen;
    it->c_has = true;
}

static kstream_err_t citer_fill_inner(cache_iter_t *it) {
    kstream_err_t err = it->ii->ops->next(it->ii, &it->ikey, &it->ival);

    if (err == KSTREAM_ERR_EMPTY) {
        it->i_done = true;
        return KSTREAM_OK;
    }
    if (err != KSTREAM_OK)
        return err;
    it->i_has = true;
    return KSTREAM_OK;
}

static kstream_err_t citer_next(ks_iter_t *iter, kstream_bytes_t *key,
                                kstream_bytes_t *value) {
    cache_iter_t *it = (cache_iter_t *)iter;
    kstream_err_t err;

    for (;;) {
        int cmp;
        if (!it->c_has)
            citer_fill_cache(it);
        if (!it->i_has && !it->i_done) {
            err = citer_fill_inner(it);
            if (err != KSTREAM_OK)
                return err;
        }
        if (!it->c_has && !it->i_has)
            return KSTREAM_ERR_EMPTY;
        if (!it->c_has)
            cmp = 1;
        else if (!it->i_has)
            cmp = -1;
        else
            cmp = ks_key_cmp(it->ckey, it->c.klen, it->ikey.data,
                             it->ikey.len);
        if (cmp > 0) {
            it->i_has = false; /* ikey/ival stay valid until ii moves */
            *key = it->ikey;
            *value = it->ival;
            return KSTREAM_OK;
        }
        /* The cache's entry: it replaces (or hides) an equal inner key. */
        it->c_has = false;
        if (cmp == 0)
            it->i_has = false;
        if (it->c.deleted)
            continue;
        key->data = it->ckey;
        key->len = it->c.klen;
        value->data = it->cval;
        value->len = it->c.vlen;
        return KSTREAM_OK;
    }
}

static void citer_close(ks_iter_t *iter) {
    cache_iter_t *it = (cache_iter_t *)iter;

    if (it->ii)
        it->ii->ops->close(it->ii);
    ks_buf_free(&it->snap);
    free(it);
}

static const ks_iter_ops_t citer_ops = {
        .next = citer_next,
        .close = citer_close,
};

/* ci: the index's iterator over the range (consumed); ii: the inner
 * store's (owned by the merge iterator from here, even on error). */
static kstream_err_t citer_new(ks_iter_t *ci, ks_iter_t *ii,
                               ks_iter_t **out) {
    cache_iter_t *it = calloc(1, sizeof(*it));
    kstream_err_t err;

    if (!it) {
        ci->ops->close(ci);
        ii->ops->close(ii);
        return KSTREAM_ERR_NO_MEMORY;
    }
    it->base.ops = &citer_ops;
    it->ii = ii;
    ks_buf_init(&it->snap, NULL);
    /* Non-NULL data even when empty: key pointers of empty keys. */
    err = ks_buf_reserve(&it->snap, 1) == 0 ? citer_snapshot(it, ci)
                                           : KSTREAM_ERR_NO_MEMORY;
    ci->ops->close(ci);
    if (err != KSTREAM_OK) {
        citer_close(&it->base);
        return err;
    }
    *out = &it->base;
    return KSTREAM_OK;
}

static kstream_err_t cache_range(ks_store_t *s, const void *from, size_t flen,
                                 const void *to, size_t tlen,
                                 ks_iter_t **out) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_iter_t *ci, *ii;
    kstream_err_t err;

    err = L->index->ops->range(L->index, from, flen, to, tlen, &ci);
    if (err != KSTREAM_OK)
        return err;
    err = s->inner->ops->range(s->inner, from, flen, to, tlen, &ii);
    if (err != KSTREAM_OK) {
        ci->ops->close(ci);
        return err;
    }
    return citer_new(ci, ii, out);
}

static kstream_err_t cache_prefix(ks_store_t *s, const void *prefix,
                                  size_t plen, ks_iter_t **out) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_iter_t *ci, *ii;
    kstream_err_t err;

    err = L->index->ops->prefix(L->index, prefix, plen, &ci);
    if (err != KSTREAM_OK)
        return err;
    err = s->inner->ops->prefix(s->inner, prefix, plen, &ii);
    if (err != KSTREAM_OK) {
        ci->ops->close(ci);
        return err;
    }
    return citer_new(ci, ii, out);
}

static const ks_store_ops_t cache_ops = {
        .kind = "cache",
        .get = cache_get,
        .put = cache_put,
        .range = cache_range,
        .prefix = cache_prefix,
        .approximate_count = cache_approximate_count,
        .flush = cache_flush,
        .close = cache_close,
        .observe_time = NULL, /* passed to inner */
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
    assert(cache->nlayers == 0 && ring_empty(&cache->lru));
    free(cache);
}

size_t ks_cache_bytes(const ks_cache_t *cache) {
    return cache->bytes;
}

ks_store_t *ks_cache_wrap(ks_store_t *inner, ks_cache_t *cache,
                          ks_cache_listener_fn *listener, void *opaque) {
    cache_layer_t *L = calloc(1, sizeof(*L));

    if (!L)
        return NULL;
    L->base.ops = &cache_ops;
    L->base.inner = inner;
    L->cache = cache;
    L->listener = listener;
    L->opaque = opaque;
    ring_init(&L->dirty);
    ks_buf_init(&L->old, NULL);
    ks_buf_init(&L->got, NULL);
    L->index = ks_kv_mem_new();
    if (!L->index || ks_buf_reserve(&L->old, 1) != 0 ||
        ks_buf_reserve(&L->got, 1) != 0) {
        if (L->index)
            L->index->ops->close(L->index);
        ks_buf_free(&L->old);
        ks_buf_free(&L->got);
        free(L);
        return NULL;
    }
    cache->nlayers++;
    return &L->base;
}

void ks_cache_set_time(ks_store_t *layer, int64_t *now) {
    assert(layer->ops == &cache_ops);
    ((cache_layer_t *)layer)->now = now;
}

void ks_cache_drop(ks_store_t *layer) {
    assert(layer->ops == &cache_ops);
    drop_entries((cache_layer_t *)layer, true);
}
