/* suppress_index.c - suppress's buffer index (suppress_int.h): an open
 * addressing hash table (linear probing) from key to entry, and a min-heap
 * of the entries by due time, then key, so that the node emits what is
 * due in order and finds a key's entry in O(1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "processor/suppress_int.h"
#include "state/store.h"

bool ks_sup_entry_less(const sup_entry_t *a, const sup_entry_t *b)
{
    if (a->due != b->due)
        return a->due < b->due;
    return ks_key_cmp(a->key, a->klen, b->key, b->klen) < 0;
}

static void heap_set(sup_index_t *ix, size_t i, sup_entry_t *e)
{
    ix->heap[i] = e;
    e->hpos = i;
}

static void heap_up(sup_index_t *ix, size_t i)
{
    sup_entry_t *e = ix->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ks_sup_entry_less(e, ix->heap[parent]))
            break;
        heap_set(ix, i, ix->heap[parent]);
        i = parent;
    }
    heap_set(ix, i, e);
}

static void heap_down(sup_index_t *ix, size_t i)
{
    size_t n = ix->count;
    sup_entry_t *e = ix->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ks_sup_entry_less(ix->heap[c + 1], ix->heap[c]))
            c++;
        if (!ks_sup_entry_less(ix->heap[c], e))
            break;
        heap_set(ix, i, ix->heap[c]);
        i = c;
    }
    heap_set(ix, i, e);
}

static size_t ix_slot(const sup_index_t *ix, const void *key, size_t klen,
                      uint64_t hash)
{
    if (!ix->cap)
        return SIZE_MAX;
    size_t mask = ix->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const sup_entry_t *e = ix->slots[i];
        if (!e)
            return SIZE_MAX;
        if (e->hash == hash && e->klen == klen &&
            (klen == 0 || memcmp(e->key, key, klen) == 0))
            return i;
    }
}

sup_entry_t *ks_sup_ix_find(const sup_index_t *ix, const void *key,
                            size_t klen, uint64_t hash)
{
    size_t i = ix_slot(ix, key, klen, hash);
    return i == SIZE_MAX ? NULL : ix->slots[i];
}

static int ix_grow(sup_index_t *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    sup_entry_t **slots = calloc(cap, sizeof(*slots));
    sup_entry_t **heap = realloc(ix->heap, cap * sizeof(*heap));
    if (heap)
        ix->heap = heap;
    if (!slots || !heap) {
        free(slots);
        return -1;
    }
    for (size_t i = 0; i < ix->cap; i++) {
        sup_entry_t *e = ix->slots[i];
        if (!e)
            continue;
        size_t j = e->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = e;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    ix->hcap = cap;
    return 0;
}

sup_entry_t *ks_sup_ix_add(sup_index_t *ix, const void *key, size_t klen,
                           uint64_t hash, int64_t due, uint64_t size)
{
    if ((ix->count + 1) * 4 > ix->cap * 3 && ix_grow(ix))
        return NULL;
    sup_entry_t *e = malloc(sizeof(*e) + klen);
    if (!e)
        return NULL;
    e->due = due;
    e->size = size;
    e->hash = hash;
    e->klen = klen;
    if (klen)
        memcpy(e->key, key, klen);
    size_t mask = ix->cap - 1, i = hash & mask;
    while (ix->slots[i])
        i = (i + 1) & mask;
    ix->slots[i] = e;
    heap_set(ix, ix->count, e);
    ix->count++;
    ix->bytes += size;
    heap_up(ix, e->hpos);
    return e;
}

void ks_sup_ix_remove(sup_index_t *ix, sup_entry_t *e)
{
    /* Hash: backward-shift deletion keeps probe chains whole. */
    size_t mask = ix->cap - 1;
    size_t i = ix_slot(ix, e->key, e->klen, e->hash);
    for (size_t j = (i + 1) & mask; ix->slots[j]; j = (j + 1) & mask) {
        size_t home = ix->slots[j]->hash & mask;
        /* Move slot j into the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            ix->slots[i] = ix->slots[j];
            i = j;
        }
    }
    ix->slots[i] = NULL;
    /* Heap: the last entry fills the place, then moves up or down. */
    size_t pos = e->hpos;
    ix->count--;
    ix->bytes -= e->size;
    if (pos != ix->count) {
        sup_entry_t *last = ix->heap[ix->count];
        heap_set(ix, pos, last);
        heap_up(ix, pos);
        heap_down(ix, last->hpos);
    }
    free(e);
}

void ks_sup_ix_free(sup_index_t *ix)
{
    for (size_t i = 0; i < ix->cap; i++)
        free(ix->slots[i]);
    free(ix->slots);
    free(ix->heap);
    memset(ix, 0, sizeof(*ix));
}

