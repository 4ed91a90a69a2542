/* cache.c - the record cache (Kafka Streams' ThreadCache, NamedCache,
 * CachingKeyValueStore and MergedSortedCacheKeyValueBytesStoreIterator).
 *
 * One ks_cache_t per stream thread holds the byte bound and one LRU ring
 * over the entries of every caching layer of the thread. A caching layer
 * (a ks_store_t over its inner store) keeps:
 *   - a hash index: a chained hash table whose chains are linked through
 *     the entries themselves (one pointer per entry, one slot per one or
 *     two entries), for O(1) lookups;
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
 * the entry's header and its share of the hash table (8-byte slots, one to
 * two per entry), so the charge is what the cache allocates (the
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
#include "state/store.h"
#include "util/util.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct ring {
    struct ring *prev, *next;
} ring_t;

typedef struct cache_layer cache_layer_t;

/* 60 bytes before the key: with a 16-byte key and a 16-byte timestamped
 * count, an entry is 92 bytes, and 100k of them (with the hash table)
 * fit the default 10 MiB bound. */
typedef struct cache_entry {
    ring_t lru;                /* in the cache's LRU ring: next is less
                                  recently used */
    ring_t dirty;              /* in the layer's dirty ring while F_DIRTY */
    struct cache_entry *hnext; /* the layer's hash chain */
    int64_t ts;                /* *layer->now at the last put */
    uint32_t klen, vlen;
    uint32_t meta; /* layer id << 8 | F_* flags | below << BELOW_SHIFT */
    uint8_t key[]; /* klen bytes, then the value's vlen bytes */
} cache_entry_t;

#define ENTRY_HDR offsetof(cache_entry_t, key)
/* The hash table's share per entry: one 8-byte slot per one to two
 * entries (it doubles when the entries outnumber the slots and halves
 * when they fall under a quarter). */
#define CACHE_TABLE_CHARGE 12
#define CACHE_ENTRY_OVERHEAD (ENTRY_HDR + CACHE_TABLE_CHARGE)
/* Ordered layers, per entry besides the key copy: the kv_mem index's
 * entry (header, skip-list pointers, the 8-byte pointer value) and its
 * hash slot. */
#define CACHE_ORDER_OVERHEAD 64
#define CACHE_MIN_SLOTS 16
#define CACHE_MAX_LEN UINT32_MAX
#define CACHE_MAX_LAYERS ((uint32_t)1 << 24)
#define CACHE_TOUCH_MAX 64 /* LRU moves held back, applied together */

#if defined(__GNUC__)
#define PREFETCH_W(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH_W(p) ((void)(p))
#endif

enum {
    F_DIRTY = 1,   /* in the dirty ring */
    F_DELETED = 2, /* a cached delete */
    F_SLACK = 4,   /* the allocation holds more than vlen value bytes */
    F_TOUCHED = 8, /* in cache->touched (its LRU move is pending) */
};

/* What an entry knows of its key in the inner store: set by write-downs,
 * and by the lookup a delete makes. A deleted entry keeps the value the
 * inner store had when the delete was made (its value bytes; none when
 * BELOW_ABSENT). A delete whose key was present then is written down
 * and reported, with that value as the old one, even when the inner store
 * no longer shows the key at write-down time: a segmented store hides
 * records that expired meanwhile, but downstream saw the value and must
 * see the tombstone (a merged-away session, say). */
enum { BELOW_UNKNOWN, BELOW_PRESENT, BELOW_ABSENT };
#define BELOW_SHIFT 4
#define BELOW_MASK (3u << BELOW_SHIFT)
#define FLAG_MASK 0xffu

struct ks_cache {
    size_t max_bytes;
    size_t bytes; /* every entry's charge */
    ring_t lru;   /* lru.next: most recently used; lru.prev: least */
    int busy;     /* write-downs in progress: no eviction meanwhile */
    size_t nlayers;
    cache_layer_t **layers; /* by id; NULL: free */
    uint32_t layers_cap;
    cache_entry_t *spare; /* the last evicted entry's memory, or NULL */
    size_t spare_size;
    /* Entries used since the LRU ring was last brought up to date, in the
     * order of use (see lru_apply). */
    cache_entry_t *touched[CACHE_TOUCH_MAX];
    unsigned ntouched;
};

struct cache_layer {
    ks_store_t base;
    ks_cache_t *cache;
    uint32_t id;              /* in cache->layers */
    cache_entry_t **slots;    /* hash chains */
    size_t mask;              /* slots - 1 */
    size_t count;             /* entries */
    cache_entry_t *last;      /* entry of the last lookup hit, or NULL */
    ks_store_t *order;        /* ordered layers: key -> entry pointer */
    ring_t dirty;             /* first dirtied first */
    ks_cache_listener_fn *listener;
    void *opaque;
    bool old_values; /* the listener wants the old value of puts */
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

/* n was moved in memory (realloc) while linked: fix its neighbours. */
static void ring_moved(ring_t *n) {
    n->prev->next = n;
    n->next->prev = n;
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

static inline uint8_t *entry_val(cache_entry_t *e) {
    return e->key + e->klen;
}

static inline bool entry_has(const cache_entry_t *e, unsigned flag) {
    return (e->meta & flag) != 0;
}

static inline void entry_set_flag(cache_entry_t *e, unsigned flag, bool on) {
    if (on)
        e->meta |= flag;
    else
        e->meta &= ~(uint32_t)flag;
}

static inline unsigned entry_below(const cache_entry_t *e) {
    return (e->meta & BELOW_MASK) >> BELOW_SHIFT;
}

static inline void entry_set_below(cache_entry_t *e, unsigned below) {
    e->meta = (e->meta & ~BELOW_MASK) | (uint32_t)below << BELOW_SHIFT;
}

static inline cache_layer_t *entry_layer(const ks_cache_t *c,
                                         const cache_entry_t *e) {
    return c->layers[e->meta >> 8];
}

static inline size_t charge(const cache_layer_t *L, size_t klen,
                            size_t vlen) {
    size_t n = klen + vlen + CACHE_ENTRY_OVERHEAD;

    if (L->order)
        n += CACHE_ORDER_OVERHEAD + klen;
    return n;
}

static inline size_t entry_size(const cache_layer_t *L,
                                const cache_entry_t *e) {
    return charge(L, e->klen, e->vlen);
}

/* A hash of our own: 8 bytes at a time, length in the seed, a final mix so
 * that the low bits (the slot) depend on every input bit. */
static inline uint64_t key_hash(const void *key, size_t n) {
    const uint8_t *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0x2545f4914f6cdd1dull);
    uint64_t w;

    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0x94d049bb133111ebull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static inline bool entry_is(const cache_entry_t *e, const void *key,
                            size_t klen) {
    return e->klen == klen && ks_bytes_eq(e->key, key, klen);
}

/* The link (slot or hnext) that points to e. */
static cache_entry_t **slot_link(cache_layer_t *L, cache_entry_t *e) {
    cache_entry_t **pp = &L->slots[key_hash(e->key, e->klen) & L->mask];

    while (*pp != e) {
        assert(*pp != NULL);
        pp = &(*pp)->hnext;
    }
    return pp;
}

/* Rehash into ncap slots (a power of two). -1: out of memory, unchanged. */
static int slots_resize(cache_layer_t *L, size_t ncap) {
    cache_entry_t **ns = calloc(ncap, sizeof(*ns));
    size_t i;

    if (!ns)
        return -1;
    for (i = 0; i <= L->mask; i++) {
        cache_entry_t *e = L->slots[i], *next;
        for (; e; e = next) {
            size_t j = key_hash(e->key, e->klen) & (ncap - 1);
            next = e->hnext;
            e->hnext = ns[j];
            ns[j] = e;
        }
    }
    free(L->slots);
    L->slots = ns;
    L->mask = ncap - 1;
    return 0;
}

static cache_entry_t *entry_lookup(cache_layer_t *L, const void *key,
                                   size_t klen, uint64_t *hash) {
    cache_entry_t *e = L->last;
    uint64_t h;

    if (e && entry_is(e, key, klen))
        return e;
    h = key_hash(key, klen);
    if (hash)
        *hash = h;
    for (e = L->slots[h & L->mask]; e; e = e->hnext) {
        if (entry_is(e, key, klen)) {
            L->last = e;
            return e;
        }
    }
    return NULL;
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
static void lru_apply(ks_cache_t *c) {
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

/* e was used: it is the most recently used entry. */
static void entry_touch(ks_cache_t *c, cache_entry_t *e) {
    if (c->ntouched == 0 ? c->lru.next == &e->lru
                         : c->touched[c->ntouched - 1] == e)
        return; /* at the front already */
    if (c->ntouched == CACHE_TOUCH_MAX)
        lru_apply(c);
    c->touched[c->ntouched++] = e;
    entry_set_flag(e, F_TOUCHED, true);
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
static kstream_err_t entry_new(cache_layer_t *L, uint64_t h, const void *key,
                               size_t klen, const void *data, size_t len,
                               bool deleted, cache_entry_t **out) {
    ks_cache_t *c = L->cache;
    cache_entry_t *e;
    size_t j;

    if (klen > CACHE_MAX_LEN || len > CACHE_MAX_LEN ||
        klen + len > (size_t)PTRDIFF_MAX - ENTRY_HDR)
        return KSTREAM_ERR_TOO_LARGE;
    if (L->count + 1 > L->mask + 1 && slots_resize(L, (L->mask + 1) * 2))
        return KSTREAM_ERR_NO_MEMORY;
    e = entry_alloc(c, ENTRY_HDR + klen + len);
    if (!e)
        return KSTREAM_ERR_NO_MEMORY;
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
    j = h & L->mask;
    e->hnext = L->slots[j];
    L->slots[j] = e;
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
static cache_entry_t *entry_resize(cache_layer_t *L, cache_entry_t *e,
                                   size_t len) {
    cache_entry_t **link;
    cache_entry_t *n;

    if (entry_has(e, F_TOUCHED))
        lru_apply(L->cache); /* the log holds e's address */
    link = slot_link(L, e);
    n = realloc(e, ENTRY_HDR + e->klen + len);
    if (!n)
        return NULL;
    entry_set_flag(n, F_SLACK, false);
    if (n == e)
        return n;
    *link = n; /* a slot, or another entry's hnext */
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

/* Replace the entry's data (data may be the entry's own value) and charge
 * the difference. The entry may move: *ep is updated. */
static kstream_err_t entry_set(cache_layer_t *L, cache_entry_t **ep,
                               const void *data, size_t len, bool deleted) {
    cache_entry_t *e = *ep;
    bool self = data == entry_val(e);
    size_t before = entry_size(L, e);

    if (len > CACHE_MAX_LEN ||
        e->klen + len > (size_t)PTRDIFF_MAX - ENTRY_HDR)
        return KSTREAM_ERR_TOO_LARGE;
    if (len != e->vlen || entry_has(e, F_SLACK)) {
        e = entry_resize(L, e, len);
        if (!e)
            return KSTREAM_ERR_NO_MEMORY;
        *ep = e;
    }
    if (len > 0 && !self)
        memcpy(entry_val(e), data, len);
    e->vlen = (uint32_t)len;
    entry_set_flag(e, F_DELETED, deleted);
    L->cache->bytes = L->cache->bytes - before + entry_size(L, e);
    return KSTREAM_OK;
}


static void entry_clean(cache_entry_t *e) {
    if (!entry_has(e, F_DIRTY))
        return;
    ring_unlink(&e->dirty);
    entry_set_flag(e, F_DIRTY, false);
}

/* Forget e: out of both rings, the bound and the indexes (unless the
 * indexes are about to be freed). */
static void entry_remove(cache_layer_t *L, cache_entry_t *e,
                         bool update_index) {
    if (entry_has(e, F_TOUCHED))
        lru_apply(L->cache); /* the log holds e's address */
    if (update_index) {
        *slot_link(L, e) = e->hnext;
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
    /* Halve the table when the entries fall under a quarter of it (no
     * harm if that fails). */
    if (update_index && L->mask + 1 > CACHE_MIN_SLOTS &&
        L->count < (L->mask + 1) / 4)
        (void)slots_resize(L, (L->mask + 1) / 2);
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
    err = write_below(L, e->key, e->klen, deleted ? NULL : entry_val(e),
                      deleted ? 0 : e->vlen, e);
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
        cache_entry_t *e;
        cache_layer_t *L;
        if (c->ntouched > 0)
            lru_apply(c); /* the ring's order is read */
        e = ENTRY_OF(c->lru.prev, lru);
        L = entry_layer(c, e);
        if (entry_has(e, F_DIRTY)) {
            c->busy++;
            err = entry_write_down(L, e);
            c->busy--;
            if (entry_has(e, F_DIRTY))
                return err;
        }
        entry_remove(L, e, true);
        if (err != KSTREAM_OK)
            return err;
    }
    return KSTREAM_OK;
}

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
        return write_below(L, key, klen, value, vlen, NULL);
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
        err = entry_set(L, &e, data, len, value == NULL);
        if (err != KSTREAM_OK)
            return err;
        entry_touch(c, e);
    } else {
        err = entry_new(L, h, key, klen, data, len, value == NULL, &e);
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

static kstream_err_t cache_flush(ks_store_t *s) {
    cache_layer_t *L = (cache_layer_t *)s;
    ks_cache_t *c = L->cache;
    kstream_err_t err = KSTREAM_OK;

    c->busy++;
    while (!ring_empty(&L->dirty)) {
        cache_entry_t *e = ENTRY_OF(L->dirty.next, dirty);
        if (e->dirty.next != &L->dirty) {
            /* The next one is anywhere in memory: fetch it meanwhile. */
            const char *next = (const char *)ENTRY_OF(e->dirty.next, dirty);
            PREFETCH_W(next);
            PREFETCH_W(next + 64);
        }
        err = entry_write_down(L, e);
        if (err != KSTREAM_OK)
            break;
        /* A delete written down keeps nothing: give the value's memory
         * back now (the listener is done with it). */
        if (entry_has(e, F_SLACK))
            (void)entry_resize(L, e, 0);
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

/* Every entry of L (close and drop). */
static void drop_entries(cache_layer_t *L, bool update_index) {
    size_t i;

    for (i = 0; i <= L->mask; i++) {
        cache_entry_t *e = L->slots[i], *next;
        L->slots[i] = NULL;
        for (; e; e = next) {
            next = e->hnext;
            if (update_index && L->order)
                (void)L->order->ops->put(L->order, e->key, e->klen, NULL, 0);
            entry_remove(L, e, false);
        }
    }
    assert(L->count == 0);
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
    free(L->slots);
    c->layers[L->id] = NULL;
    c->nlayers--;
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

static kstream_err_t snap_add(cache_iter_t *it, cache_entry_t *e) {
    snap_hdr_t h;
    bool deleted = entry_has(e, F_DELETED);

    memset(&h, 0, sizeof(h)); /* padding too: it is copied */
    h.klen = e->klen;
    h.vlen = deleted ? 0 : e->vlen;
    h.deleted = deleted;
    if (ks_buf_append(&it->snap, &h, sizeof(h)) != 0 ||
        (h.klen > 0 && ks_buf_append(&it->snap, e->key, h.klen) != 0) ||
        (h.vlen > 0 && ks_buf_append(&it->snap, entry_val(e), h.vlen) != 0))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

/* Ordered layers: the entries of the index's iterator ci. */
static kstream_err_t snap_ordered(cache_iter_t *it, ks_iter_t *ci) {
    kstream_bytes_t k, v;
    kstream_err_t err;

    while ((err = ci->ops->next(ci, &k, &v)) == KSTREAM_OK) {
        cache_entry_t *e;
        assert(v.len == sizeof(e));
        memcpy(&e, v.data, sizeof(e));
        err = snap_add(it, e);
        if (err != KSTREAM_OK)
            return err;
    }
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

/* What a range or prefix selects. */
typedef struct bounds {
    bool is_prefix;
    const void *from, *to; /* range: NULL is open; prefix: from (may be
                              NULL when flen is 0) */
    size_t flen, tlen;
} bounds_t;

static bool in_bounds(const bounds_t *b, const cache_entry_t *e) {
    if (b->is_prefix)
        return e->klen >= b->flen &&
               (b->flen == 0 || memcmp(e->key, b->from, b->flen) == 0);
    if (b->from && ks_key_cmp(e->key, e->klen, b->from, b->flen) < 0)
        return false;
    if (b->to && ks_key_cmp(e->key, e->klen, b->to, b->tlen) > 0)
        return false;
    return true;
}

static int entry_ptr_cmp(const void *a, const void *b) {
    const cache_entry_t *x = *(cache_entry_t *const *)a;
    const cache_entry_t *y = *(cache_entry_t *const *)b;

    return ks_key_cmp(x->key, x->klen, y->key, y->klen);
}

/* Unordered layers: the entries in the bounds, from the hash index,
 * sorted. */
static kstream_err_t snap_unordered(cache_iter_t *it, cache_layer_t *L,
                                    const bounds_t *b) {
    cache_entry_t **sel = NULL;
    size_t n = 0, cap = 0, i;
    kstream_err_t err = KSTREAM_OK;

    if (!b->is_prefix && b->from && b->to &&
        ks_key_cmp(b->from, b->flen, b->to, b->tlen) > 0)
        return KSTREAM_OK; /* from > to: empty */
    for (i = 0; i <= L->mask; i++) {
        cache_entry_t *e;
        for (e = L->slots[i]; e; e = e->hnext) {
            if (!in_bounds(b, e))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                cache_entry_t **ns = realloc(sel, ncap * sizeof(*ns));
                if (!ns) {
                    free(sel);
                    return KSTREAM_ERR_NO_MEMORY;
                }
                sel = ns;
                cap = ncap;
            }
            sel[n++] = e;
        }
    }
    if (n > 1)
        qsort(sel, n, sizeof(*sel), entry_ptr_cmp);
    for (i = 0; i < n && err == KSTREAM_OK; i++)
        err = snap_add(it, sel[i]);
    free(sel);
    return err;
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

/* The merge iterator over b: the cache side copied now (from the ordered
 * index when the layer has one), the inner side from the inner store. */
static kstream_err_t cache_iter(cache_layer_t *L, const bounds_t *b,
                                ks_iter_t **out) {
    ks_store_t *in = L->base.inner;
    ks_iter_t *ci = NULL;
    cache_iter_t *it;
    kstream_err_t err;

    if (L->order) {
        err = b->is_prefix ? L->order->ops->prefix(L->order, b->from,
                                                   b->flen, &ci)
                           : L->order->ops->range(L->order, b->from, b->flen,
                                                  b->to, b->tlen, &ci);
        if (err != KSTREAM_OK)
            return err;
    }
    it = calloc(1, sizeof(*it));
    if (!it) {
        if (ci)
            ci->ops->close(ci);
        return KSTREAM_ERR_NO_MEMORY;
    }
    it->base.ops = &citer_ops;
    ks_buf_init(&it->snap, NULL);
    /* Non-NULL data even when empty: key pointers of empty keys. */
    if (ks_buf_reserve(&it->snap, 1) != 0)
        err = KSTREAM_ERR_NO_MEMORY;
    else if (ci)
        err = snap_ordered(it, ci);
    else
        err = snap_unordered(it, L, b);
    if (ci)
        ci->ops->close(ci);
    if (err == KSTREAM_OK)
        err = b->is_prefix ? in->ops->prefix(in, b->from, b->flen, &it->ii)
                           : in->ops->range(in, b->from, b->flen, b->to,
                                            b->tlen, &it->ii);
    if (err != KSTREAM_OK) {
        it->ii = NULL;
        citer_close(&it->base);
        return err;
    }
    *out = &it->base;
    return KSTREAM_OK;
}

static kstream_err_t cache_range(ks_store_t *s, const void *from, size_t flen,
                                 const void *to, size_t tlen,
                                 ks_iter_t **out) {
    bounds_t b = {false, from, to, flen, tlen};

    return cache_iter((cache_layer_t *)s, &b, out);
}

static kstream_err_t cache_prefix(ks_store_t *s, const void *prefix,
                                  size_t plen, ks_iter_t **out) {
    bounds_t b = {true, prefix, NULL, plen, 0};

    return cache_iter((cache_layer_t *)s, &b, out);
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
    L->slots = calloc(CACHE_MIN_SLOTS, sizeof(*L->slots));
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
        cache_entry_t *e;
        for (e = L->slots[i]; e; e = e->hnext) {
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
