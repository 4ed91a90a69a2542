/* kv_mem_int.h - the in-memory key-value store's structures, shared by
 * kv_mem.c (the store, its hash index and skip list) and kv_mem_iter.c
 * (its iterators). */
#ifndef KSTREAM_STATE_KV_MEM_INT_H
#define KSTREAM_STATE_KV_MEM_INT_H

#include "state/store.h"
#include "util/util.h"

#include <string.h>

#define MEM_MAX_LEVEL 16   /* p = 1/4: enough for 4^16 keys */
#define MEM_MIN_SLOTS 64   /* hash table size, a power of two */
#define MEM_INLINE_MIN 8   /* smallest inline value room: holds a pointer */
#define MEM_MAX_LEN UINT32_MAX

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch((p))
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Small on purpose: with 100k keys the entries and the slots must mostly
 * stay in the CPU cache for a get+put to cost well under 200 ns. A 12-byte
 * key with an 8-byte value takes a 48-byte malloc chunk. */
typedef struct mem_entry {
    uint32_t klen;
    uint32_t vlen;
    uint32_t vcap;  /* room of the value buffer, inline or heap */
    uint8_t height; /* forward pointers */
    uint8_t heap;   /* 1: the inline area holds a pointer to a heap buffer */
    /* height forward pointers, then klen key bytes, then the inline area
     * (vcap bytes while !heap, else >= sizeof(void *)). */
    struct mem_entry *next[];
} mem_entry_t;

typedef struct mem_slot {
    uint64_t hash;
    mem_entry_t *e; /* NULL: empty */
} mem_slot_t;

typedef struct kv_mem {
    ks_store_t base;
    mem_entry_t *head[MEM_MAX_LEVEL]; /* skip list head's forward pointers */
    unsigned level;                   /* levels in use, >= 1 */
    uint64_t rng;                     /* xorshift state for node heights */
    mem_slot_t *slots;
    size_t mask;       /* slots - 1 */
    uint64_t count;    /* entries */
    uint64_t version;  /* bumped by every insert and delete */
    mem_entry_t *last; /* entry of the last get/put hit, or NULL */
    int open_iters;
} kv_mem_t;

static inline uint8_t *entry_key(mem_entry_t *e) {
    return (uint8_t *)&e->next[e->height];
}

static inline uint8_t *entry_inline(mem_entry_t *e) {
    return entry_key(e) + e->klen;
}

static inline uint8_t *entry_val(mem_entry_t *e) {
    uint8_t *p = entry_inline(e);

    if (e->heap) {
        uint8_t *heap; /* the area may be unaligned */
        memcpy(&heap, p, sizeof(heap));
        p = heap;
    }
    return p;
}

/* 8 bytes as a big-endian number: compares like memcmp. */
static inline uint64_t load_be64(const uint8_t *p) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                          \
        __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
#else
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
#endif
}

/* Byte order, as ks_key_cmp. The first 8 bytes, compared as one word,
 * usually decide: a skip-list seek makes ~20 comparisons, each a memcmp
 * call otherwise. */
static inline int entry_cmp(mem_entry_t *e, const void *key, size_t klen) {
    const uint8_t *a = entry_key(e);

    if (e->klen >= 8 && klen >= 8) {
        uint64_t x = load_be64(a), y = load_be64(key);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return ks_key_cmp(a, e->klen, key, klen);
}

static inline bool entry_is(mem_entry_t *e, const void *key, size_t klen) {
    return e->klen == klen && ks_bytes_eq(entry_key(e), key, klen);
}

/* First entry whose key is >= key (> key when strict), or NULL. When preds
 * is non-NULL, preds[l] is the forward-pointer array of the last node (or
 * the head) before that position at level l, for every level. */
mem_entry_t *ks_mem_seek(kv_mem_t *s, const void *key, size_t klen,
                         bool strict, mem_entry_t ***preds);
kstream_err_t ks_mem_range(ks_store_t *store, const void *from, size_t flen,
                           const void *to, size_t tlen, ks_iter_t **it);
kstream_err_t ks_mem_prefix(ks_store_t *store, const void *prefix,
                            size_t plen, ks_iter_t **it);

#endif
