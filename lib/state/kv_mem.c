/* kv_mem.c - the in-memory key-value store (Kafka Streams'
 * InMemoryKeyValueStore), a bottom layer of the store stack.
 *
 * Structure: every key is one entry, malloc'd once when the key is first
 * inserted, holding the key bytes and (inline, while it fits) the value.
 * Entries are linked in a skip list (p = 1/4) for key order, and indexed
 * by a linear-probing hash table for point lookups:
 *   get              O(1) expected (hash)
 *   put, existing    O(1) expected (hash); the value buffer is reused when
 *                    the new value fits, so steady-state updates do not
 *                    call malloc. A put of the key of the last get or put
 *                    skips even the hash lookup (count-by-key is get+put).
 *   put, new key     O(log n) expected (skip list insert) + one malloc
 *   delete           O(log n) expected
 *   range / prefix   O(log n) seek, then O(1) per entry
 * Keys and values are limited to 4 GiB - 8 (KSTREAM_ERR_TOO_LARGE). The
 * hash table grows at a load of 4/5 and never shrinks.
 *
 * Iterators (kv_mem_iter.c) see the live store, not a snapshot. Each
 * returns copies of the key and value (in buffers of the iterator), so what
 * it hands out stays valid until its next call whatever the store does
 * meanwhile. An iterator remembers the entry it returned last and the
 * store's structural version (bumped by every insert of a new key and every
 * delete); when the version changed, the entry may be gone, so the next
 * call re-seeks to the first key greater than the last key returned. Keys
 * come out strictly increasing and within bounds; entries inserted ahead of
 * the position are seen, deleted ones are not. Iterators must be closed
 * before the store.
 *
 * One task, one thread: no locks. */
#include "state/kv_mem_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A hash of our own: 8 bytes at a time, length in the seed, a final mix so
 * that the low bits (the slot index) depend on every input bit. */
static uint64_t mem_hash(const uint8_t *p, size_t n) {
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

/* ---- hash index ----------------------------------------------------------- */

/* The slot holding the key, or the empty slot where it would go. */
static size_t slot_find(const kv_mem_t *s, uint64_t h, const void *key,
                        size_t klen) {
    size_t i = (size_t)h & s->mask;

    for (;;) {
        mem_slot_t *sl = &s->slots[i];
        if (!sl->e)
            return i;
        if (sl->hash == h && entry_is(sl->e, key, klen))
            return i;
        i = (i + 1) & s->mask;
    }
}

static size_t slot_of_entry(const kv_mem_t *s, mem_entry_t *e) {
    size_t i = (size_t)mem_hash(entry_key(e), e->klen) & s->mask;

    while (s->slots[i].e != e) {
        assert(s->slots[i].e != NULL);
        i = (i + 1) & s->mask;
    }
    return i;
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void slot_remove(kv_mem_t *s, size_t i) {
    size_t j = i;

    for (;;) {
        size_t home;
        j = (j + 1) & s->mask;
        if (!s->slots[j].e)
            break;
        home = (size_t)s->slots[j].hash & s->mask;
        /* Move j into the hole at i unless its home lies in (i, j]. */
        if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
            s->slots[i] = s->slots[j];
            i = j;
        }
    }
    s->slots[i].e = NULL;
    s->slots[i].hash = 0;
}

/* Make room for one more entry at a load factor <= 4/5 (stored hashes keep
 * longer probe runs cheap). -1: out of memory, the table unchanged. */
static int slots_reserve(kv_mem_t *s) {
    size_t cap = s->mask + 1, ncap, i;
    mem_slot_t *ns;

    if ((s->count + 1) * 5 <= (uint64_t)cap * 4)
        return 0;
    if (cap > ((size_t)PTRDIFF_MAX / sizeof(*ns)) / 2)
        return -1;
    ncap = cap * 2;
    ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (i = 0; i < cap; i++) {
        mem_slot_t *sl = &s->slots[i];
        size_t j;
        if (!sl->e)
            continue;
        j = (size_t)sl->hash & (ncap - 1);
        while (ns[j].e)
            j = (j + 1) & (ncap - 1);
        ns[j] = *sl;
    }
    free(s->slots);
    s->slots = ns;
    s->mask = ncap - 1;
    return 0;
}

/* ---- skip list ------------------------------------------------------------ */

static unsigned random_height(kv_mem_t *s) {
    uint64_t x = s->rng;
    unsigned h = 1;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    x >>= 32;
    while (h < MEM_MAX_LEVEL && (x & 3) == 0) {
        h++;
        x >>= 2;
    }
    return h;
}

/* See kv_mem_int.h. */
mem_entry_t *ks_mem_seek(kv_mem_t *s, const void *key, size_t klen,
                         bool strict, mem_entry_t ***preds) {
    mem_entry_t **x = s->head;
    int l;

    for (l = (int)s->level - 1; l >= 0; l--) {
        mem_entry_t *n;
        while ((n = x[l]) != NULL) {
            int c = entry_cmp(n, key, klen);
            if (c > 0 || (c == 0 && !strict))
                break;
            x = n->next;
        }
        if (preds)
            preds[l] = x;
    }
    if (preds) {
        for (l = (int)s->level; l < MEM_MAX_LEVEL; l++)
            preds[l] = s->head;
    }
    return x[0];
}

static void sl_unlink(kv_mem_t *s, mem_entry_t *e) {
    mem_entry_t **preds[MEM_MAX_LEVEL];
    unsigned l;

    ks_mem_seek(s, entry_key(e), e->klen, false, preds);
    for (l = 0; l < e->height; l++) {
        assert(preds[l][l] == e);
        preds[l][l] = e->next[l];
    }
    while (s->level > 1 && !s->head[s->level - 1])
        s->level--;
}

/* ---- values --------------------------------------------------------------- */

static void entry_free(mem_entry_t *e) {
    if (e->heap)
        free(entry_val(e));
    free(e);
}

/* Store a new value in an existing entry, reusing its buffer if it fits;
 * a value that outgrows the inline area moves to a heap buffer, grown by
 * half each time. */
static kstream_err_t entry_set_value(mem_entry_t *e, const void *value,
                                     size_t vlen) {
    uint8_t *v;

    if (vlen > MEM_MAX_LEN)
        return KSTREAM_ERR_TOO_LARGE;
    if (vlen > e->vcap) {
        size_t cap = (size_t)e->vcap + e->vcap / 2;
        if (cap < vlen || cap > MEM_MAX_LEN)
            cap = vlen;
        v = realloc(e->heap ? entry_val(e) : NULL, cap);
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        memcpy(entry_inline(e), &v, sizeof(v));
        e->heap = 1;
        e->vcap = (uint32_t)cap;
    } else {
        v = entry_val(e);
    }
    if (vlen > 0)
        memcpy(v, value, vlen);
    e->vlen = (uint32_t)vlen;
    return KSTREAM_OK;
}

/* ---- store operations ----------------------------------------------------- */

/* The entry of key, or NULL; the last get/put's entry is tried first. */
static mem_entry_t *mem_lookup(kv_mem_t *s, const void *key, size_t klen,
                               uint64_t *hash) {
    mem_entry_t *e = s->last;
    uint64_t h;

    if (e && entry_is(e, key, klen))
        return e;
    h = mem_hash(key, klen);
    *hash = h;
    return s->slots[slot_find(s, h, key, klen)].e;
}

static kstream_err_t mem_get(ks_store_t *store, const void *key, size_t klen,
                             kstream_bytes_t *value) {
    kv_mem_t *s = (kv_mem_t *)store;
    uint64_t h;
    mem_entry_t *e = mem_lookup(s, key, klen, &h);

    if (!e)
        return KSTREAM_ERR_NOT_FOUND;
    s->last = e;
    value->data = entry_val(e); /* never NULL, even for an empty value */
    value->len = e->vlen;
    return KSTREAM_OK;
}

static void mem_delete(kv_mem_t *s, mem_entry_t *e) {
    slot_remove(s, slot_of_entry(s, e));
    sl_unlink(s, e);
    if (s->last == e)
        s->last = NULL;
    s->count--;
    s->version++;
    entry_free(e);
}

static kstream_err_t mem_insert(kv_mem_t *s, uint64_t h, const void *key,
                                size_t klen, const void *value, size_t vlen) {
    mem_entry_t **preds[MEM_MAX_LEVEL];
    mem_entry_t *e;
    size_t vcap;
    unsigned height, l;

    if (klen > MEM_MAX_LEN || vlen > MEM_MAX_LEN - 7)
        return KSTREAM_ERR_TOO_LARGE;
    /* Inline value room: rounded up so small values can grow a little. */
    vcap = vlen < MEM_INLINE_MIN ? MEM_INLINE_MIN : (vlen + 7) & ~(size_t)7;
    if (slots_reserve(s) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    height = random_height(s);
    e = malloc(sizeof(*e) + height * sizeof(e->next[0]) + klen + vcap);
    if (!e)
        return KSTREAM_ERR_NO_MEMORY;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    e->vcap = (uint32_t)vcap;
    e->height = (uint8_t)height;
    e->heap = 0;
    if (klen > 0)
        memcpy(entry_key(e), key, klen);
    if (vlen > 0)
        memcpy(entry_inline(e), value, vlen);

    ks_mem_seek(s, key, klen, false, preds);
    for (l = 0; l < height; l++) {
        e->next[l] = preds[l][l];
        preds[l][l] = e;
    }
    if (height > s->level)
        s->level = height;
    s->slots[slot_find(s, h, key, klen)] = (mem_slot_t){h, e};
    s->count++;
    s->version++;
    s->last = e;
    return KSTREAM_OK;
}

static kstream_err_t mem_put(ks_store_t *store, const void *key, size_t klen,
                             const void *value, size_t vlen) {
    kv_mem_t *s = (kv_mem_t *)store;
    uint64_t h = 0;
    mem_entry_t *e = mem_lookup(s, key, klen, &h);
    kstream_err_t err;

    if (!value) {
        if (e)
            mem_delete(s, e);
        return KSTREAM_OK;
    }
    if (!e)
        return mem_insert(s, h, key, klen, value, vlen);
    err = entry_set_value(e, value, vlen);
    if (err == KSTREAM_OK)
        s->last = e;
    return err;
}

/* Shallow: the key's hash slot. Deep (the slot fetched by now): the entry
 * the slot points to, without comparing keys (that would wait for it). */
static void mem_prefetch(ks_store_t *store, const void *key, size_t klen,
                         bool deep) {
    kv_mem_t *s = (kv_mem_t *)store;
    uint64_t h = mem_hash(key, klen);
    size_t i = (size_t)h & s->mask;

    if (!deep) {
        PREFETCH(&s->slots[i]);
        return;
    }
    for (;;) {
        const mem_slot_t *sl = &s->slots[i];
        if (!sl->e)
            return;
        if (sl->hash == h) {
            PREFETCH(sl->e);
            PREFETCH((const char *)sl->e + 64);
            return;
        }
        i = (i + 1) & s->mask;
    }
}

static uint64_t mem_approximate_count(ks_store_t *store) {
    return ((kv_mem_t *)store)->count;
}

static kstream_err_t mem_flush(ks_store_t *store) {
    (void)store; /* nothing to make durable */
    return KSTREAM_OK;
}

static void mem_close(ks_store_t *store) {
    kv_mem_t *s = (kv_mem_t *)store;
    mem_entry_t *e, *nx;

    assert(s->open_iters == 0);
    for (e = s->head[0]; e; e = nx) {
        nx = e->next[0];
        entry_free(e);
    }
    free(s->slots);
    free(s);
}

static const ks_store_ops_t mem_ops = {
        .kind = "memory",
        .get = mem_get,
        .put = mem_put,
        .range = ks_mem_range,
        .prefix = ks_mem_prefix,
        .approximate_count = mem_approximate_count,
        .flush = mem_flush,
        .close = mem_close,
        .prefetch = mem_prefetch,
};

ks_store_t *ks_kv_mem_new(void) {
    kv_mem_t *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->slots = calloc(MEM_MIN_SLOTS, sizeof(*s->slots));
    if (!s->slots) {
        free(s);
        return NULL;
    }
    s->mask = MEM_MIN_SLOTS - 1;
    s->base.ops = &mem_ops;
    s->base.inner = NULL;
    s->level = 1;
    /* Any non-zero seed; a fixed one keeps runs reproducible. */
    s->rng = 0x2545f4914f6cdd1dull;
    return &s->base;
}
