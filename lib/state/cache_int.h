/* cache_int.h - the record cache's internals, shared by its files:
 *   cache.c        the layer's store operations (get, put, close) and the
 *                  public ks_cache_* functions; the design notes
 *   cache_entry.c  entries: memory, the hash index, the LRU ring
 *   cache_flush.c  write-down: eviction, flush, approximate_count
 *   cache_iter.c   the merge iterator (range, prefix)
 * The helpers used on every get and put are inline here: the files are
 * compiled apart, and a call per lookup would show in the benchmarks.
 * One thread: no locks. */
#ifndef KS_STATE_CACHE_INT_H
#define KS_STATE_CACHE_INT_H

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

/* 52 bytes before the key: with a 16-byte key and a 16-byte timestamped
 * count, an entry is charged 84 bytes, and 110k of them and their hash
 * tables fit the default 10 MiB bound. */
typedef struct cache_entry {
    ring_t lru;                /* in the cache's LRU ring: next is less
                                  recently used */
    ring_t dirty;              /* in the layer's dirty ring while F_DIRTY */
    int64_t ts;                /* *layer->now at the last put */
    uint32_t klen, vlen;
    uint32_t meta; /* layer id << 8 | F_* flags | below << BELOW_SHIFT */
    uint8_t key[]; /* klen bytes, then the value's vlen bytes */
} cache_entry_t;

#define ENTRY_HDR offsetof(cache_entry_t, key)
/* An entry is charged its size (not malloc's chunk overhead, as Kafka
 * Streams counts no object overhead). A layer's hash table (8-byte slots,
 * doubling when entries and deleted slots pass 4/5 of it, halving when the
 * entries fall under 1/5) is charged as it is, beyond its first
 * CACHE_MIN_SLOTS slots: tables sized for more entries than are left,
 * after evictions moved the entries to other layers, are memory too
 * (table_charge()). */
#define CACHE_ENTRY_OVERHEAD ENTRY_HDR
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
    uintptr_t *slots;         /* the hash index: see SLOT_* */
    size_t mask;              /* slots - 1 */
    size_t count;             /* entries */
    size_t tombs;             /* SLOT_DELETED slots */
    bool untagged;            /* slots hold bare addresses (see SLOT_*) */
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


#define ENTRY_OF(ptr, member)                                                \
    ((cache_entry_t *)(void *)((char *)(ptr)-offsetof(cache_entry_t, member)))

/* ---- rings ---------------------------------------------------------------- */

static inline void ring_init(ring_t *r) {
    r->prev = r->next = r;
}

static inline bool ring_empty(const ring_t *r) {
    return r->next == r;
}

static inline void ring_unlink(ring_t *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

static inline void ring_insert_after(ring_t *at, ring_t *n) {
    n->prev = at;
    n->next = at->next;
    at->next->prev = n;
    at->next = n;
}

/* n was moved in memory (realloc) while linked: fix its neighbours. */
static inline void ring_moved(ring_t *n) {
    n->prev->next = n;
    n->next->prev = n;
}

/* ---- buffers -------------------------------------------------------------- */

/* Make b hold exactly p[0..len): data stays non-NULL (reserved at
 * creation), so an empty value is not mistaken for an absent one. The
 * usual case (it fits) is a plain copy. */
static inline kstream_err_t buf_set(ks_buf_t *b, const void *p, size_t len) {
    if (len <= b->cap) {
        if (len > 0)
            memcpy(b->data, p, len);
        b->len = len;
        return KSTREAM_OK;
    }
    b->len = 0;
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

/* What a table of cap slots is charged (see CACHE_ENTRY_OVERHEAD). */
static inline size_t table_charge(size_t cap) {
    return cap > CACHE_MIN_SLOTS ? (cap - CACHE_MIN_SLOTS) * sizeof(uintptr_t)
                                 : 0;
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

/* ---- the hash index --------------------------------------------------------
 * Open addressing with linear probing over 8-byte slots (a slot for about
 * every 1.25 to 2.5 entries). A slot is 0 (empty), SLOT_DELETED (a removed
 * entry's place: lookups go on past it) or an entry's address with the top
 * 16 bits of its key's hash in the address's unused top bits (a tag). A
 * lookup compares tags within the slot array and reads only the entry
 * whose tag matches, so a hit reads one entry and a miss almost never
 * reads any: with many keys, one memory access where a chain walk took
 * one or two more. On the 64-bit platforms this runs on, user-space
 * addresses fit in 48 bits; should an entry's address not, the layer
 * drops the tags for good (`untagged`: slots hold bare addresses and
 * every probed entry is compared), correct but slower. */
#define SLOT_DELETED ((uintptr_t)1) /* never an entry address (aligned) */
#if UINTPTR_MAX > 0xffffffffu
#define SLOT_PTR_MASK (((uintptr_t)1 << 48) - 1)
static inline uintptr_t slot_tag(uint64_t h) {
    return (uintptr_t)(h >> 48) << 48;
}
#else
#define SLOT_PTR_MASK UINTPTR_MAX
static inline uintptr_t slot_tag(uint64_t h) {
    (void)h;
    return 0;
}
#endif

/* A slot that holds an entry (not empty, not deleted). */
static inline bool slot_used(uintptr_t s) {
    return s > SLOT_DELETED;
}

static inline cache_entry_t *slot_entry(const cache_layer_t *L, uintptr_t s) {
    return (cache_entry_t *)(L->untagged ? s : s & SLOT_PTR_MASK);
}

/* Whether used slot s may hold a key of hash tag tag. */
static inline bool slot_may_be(const cache_layer_t *L, uintptr_t s,
                               uintptr_t tag) {
    return L->untagged || (s & ~SLOT_PTR_MASK) == tag;
}

static inline cache_entry_t *entry_lookup(cache_layer_t *L, const void *key,
                                   size_t klen, uint64_t *hash) {
    cache_entry_t *e = L->last;
    uint64_t h;
    uintptr_t tag;
    size_t i;

    if (e && entry_is(e, key, klen))
        return e;
    h = key_hash(key, klen);
    if (hash)
        *hash = h;
    tag = slot_tag(h);
    for (i = h & L->mask;; i = (i + 1) & L->mask) {
        uintptr_t s = L->slots[i];
        if (s == 0)
            return NULL;
        if (!slot_used(s) || !slot_may_be(L, s, tag))
            continue;
        e = slot_entry(L, s);
        if (entry_is(e, key, klen)) {
            L->last = e;
            return e;
        }
    }
}

/* ---- the LRU ring (cache_entry.c) ----------------------------------------- */

void ks_cache_lru_apply(ks_cache_t *c);

/* e was used: it is the most recently used entry. */
static inline void entry_touch(ks_cache_t *c, cache_entry_t *e) {
    if (c->ntouched == 0 ? c->lru.next == &e->lru
                         : c->touched[c->ntouched - 1] == e)
        return; /* at the front already */
    if (c->ntouched == CACHE_TOUCH_MAX)
        ks_cache_lru_apply(c);
    c->touched[c->ntouched++] = e;
    entry_set_flag(e, F_TOUCHED, true);
}

static inline void entry_clean(cache_entry_t *e) {
    if (!entry_has(e, F_DIRTY))
        return;
    ring_unlink(&e->dirty);
    entry_set_flag(e, F_DIRTY, false);
}


/* ---- entries (cache_entry.c) ---------------------------------------------- */

kstream_err_t ks_cache_entry_new(cache_layer_t *L, uint64_t h, const void *key,
                                 size_t klen, const void *data, size_t len,
                                 bool deleted, cache_entry_t **out);
cache_entry_t *ks_cache_entry_resize(cache_layer_t *L, cache_entry_t *e,
                                     size_t len);
void ks_cache_entry_remove(cache_layer_t *L, cache_entry_t *e,
                           bool update_index);

/* Replace the entry's data (data may be the entry's own value) and charge
 * the difference. The entry may move: *ep is updated. Inline: a put of a
 * cached key (every record of a hot key) comes here. */
static inline kstream_err_t ks_cache_entry_set(cache_layer_t *L,
                                              cache_entry_t **ep,
                                              const void *data, size_t len,
                                              bool deleted) {
    cache_entry_t *e = *ep;
    bool self = data == entry_val(e);
    size_t before = entry_size(L, e);

    if (len > CACHE_MAX_LEN ||
        e->klen + len > (size_t)PTRDIFF_MAX - ENTRY_HDR)
        return KSTREAM_ERR_TOO_LARGE;
    if (len != e->vlen || entry_has(e, F_SLACK)) {
        e = ks_cache_entry_resize(L, e, len);
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

/* ---- write-down (cache_flush.c) ------------------------------------------- */

kstream_err_t ks_cache_write_below(cache_layer_t *L, const void *key,
                                   size_t klen, const void *value,
                                   size_t vlen, cache_entry_t *e);
kstream_err_t ks_cache_evict(ks_cache_t *c);

/* Evict least recently used entries while over the bound (not during
 * write-downs: see cache.c). */
static inline kstream_err_t ks_cache_maybe_evict(ks_cache_t *c) {
    if (c->busy || c->bytes <= c->max_bytes)
        return KSTREAM_OK;
    return ks_cache_evict(c);
}

/* Store operations. */
kstream_err_t ks_cache_flush(ks_store_t *s);
uint64_t ks_cache_approximate_count(ks_store_t *s);

/* ---- iterators (cache_iter.c) --------------------------------------------- */

kstream_err_t ks_cache_range(ks_store_t *s, const void *from, size_t flen,
                             const void *to, size_t tlen, ks_iter_t **out);
kstream_err_t ks_cache_prefix(ks_store_t *s, const void *prefix, size_t plen,
                              ks_iter_t **out);

#endif /* KS_STATE_CACHE_INT_H */
