/* map.c - string key -> void* hash map: open addressing, linear probing,
 * tombstones on delete (so deleting the current key while iterating with
 * ks_map_next() is safe). Keys are copied; values are the caller's. */
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define KS_MAP_MIN_CAP 16

/* A slot is empty (key NULL, not tomb), live (key set) or a tombstone. */
struct ks_map_slot {
    char *key;
    void *val;
    uint64_t hash;
    bool tomb;
};

struct ks_map {
    struct ks_map_slot *slots;
    size_t cap;   /* power of two, or 0 before the first put */
    size_t count; /* live slots */
    size_t tombs; /* tombstone slots */
};

ks_map_t *ks_map_new(void) {
    return calloc(1, sizeof(ks_map_t));
}

void ks_map_destroy(ks_map_t *m) {
    size_t i;
    if (!m)
        return;
    for (i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

/* Index of the live slot holding key, or SIZE_MAX. */
static size_t find(const ks_map_t *m, const char *key, uint64_t hash) {
    size_t mask, i, n;

    if (!m->cap)
        return SIZE_MAX;
    mask = m->cap - 1;
    for (i = hash & mask, n = 0; n < m->cap; i = (i + 1) & mask, n++) {
        const struct ks_map_slot *s = &m->slots[i];
        if (!s->key && !s->tomb)
            return SIZE_MAX;
        if (s->key && s->hash == hash && !strcmp(s->key, key))
            return i;
    }
    return SIZE_MAX;
}

/* Rehash into new_cap slots (drops tombstones). */
static int rehash(ks_map_t *m, size_t new_cap) {
    struct ks_map_slot *ns = calloc(new_cap, sizeof(*ns));
    size_t i, mask = new_cap - 1;

    if (!ns)
        return -1;
    for (i = 0; i < m->cap; i++) {
        struct ks_map_slot *s = &m->slots[i];
        size_t j;
        if (!s->key)
            continue;
        for (j = s->hash & mask; ns[j].key; j = (j + 1) & mask)
            ;
        ns[j] = *s;
        ns[j].tomb = false;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = new_cap;
    m->tombs = 0;
    return 0;
}

int ks_map_put(ks_map_t *m, const char *key, void *val) {
    uint64_t hash;
    size_t i, mask, slot;
    char *k;

    assert(m && key);
    hash = ks_hash_bytes(key, strlen(key));
    i = find(m, key, hash);
    if (i != SIZE_MAX) {
        m->slots[i].val = val;
        return 0;
    }

    /* Keep live + tombstones at most 3/4 of the slots. */
    if ((m->count + m->tombs + 1) * 4 > m->cap * 3) {
        size_t new_cap = m->cap ? m->cap : KS_MAP_MIN_CAP;
        while ((m->count + 1) * 2 > new_cap) /* live at most 1/2 after */
            new_cap *= 2;
        if (rehash(m, new_cap))
            return -1;
    }

    k = ks_strdup(key);
    if (!k)
        return -1;
    mask = m->cap - 1;
    /* The key is absent: take the first empty or tombstone slot. */
    for (slot = hash & mask; m->slots[slot].key; slot = (slot + 1) & mask)
        ;
    if (m->slots[slot].tomb)
        m->tombs--;
    m->slots[slot].key = k;
    m->slots[slot].val = val;
    m->slots[slot].hash = hash;
    m->slots[slot].tomb = false;
    m->count++;
    return 0;
}

void *ks_map_get(const ks_map_t *m, const char *key) {
    size_t i;
    assert(m && key);
    i = find(m, key, ks_hash_bytes(key, strlen(key)));
    return i == SIZE_MAX ? NULL : m->slots[i].val;
}

int ks_map_del(ks_map_t *m, const char *key) {
    size_t i;
    assert(m && key);
    i = find(m, key, ks_hash_bytes(key, strlen(key)));
    if (i == SIZE_MAX)
        return -1;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->slots[i].val = NULL;
    m->slots[i].tomb = true;
    m->count--;
    m->tombs++;
    return 0;
}

size_t ks_map_count(const ks_map_t *m) {
    return m->count;
}

bool ks_map_next(const ks_map_t *m, size_t *it, const char **key,
                 void **val) {
    while (*it < m->cap) {
        const struct ks_map_slot *s = &m->slots[(*it)++];
        if (s->key) {
            if (key)
                *key = s->key;
            if (val)
                *val = s->val;
            return true;
        }
    }
    return false;
}
