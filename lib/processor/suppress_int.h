/* suppress_int.h - suppress's internals, shared by
 *   suppress.c        the node (semantics and the buffer's store format)
 *   suppress_index.c  the buffer's in-memory index: key -> entry (hash),
 *                     entries by due time (min-heap), keys only
 * See suppress.c for the semantics. */
#ifndef KS_SUPPRESS_INT_H
#define KS_SUPPRESS_INT_H

#include "processor/processor.h"

typedef struct sup_entry {
    int64_t due;
    uint64_t size; /* key + stored value */
    uint64_t hash;
    size_t hpos; /* place in the heap */
    size_t klen;
    uint8_t key[];
} sup_entry_t;

typedef struct sup_index {
    sup_entry_t **slots; /* open addressing, linear probing */
    size_t cap;          /* 0 or a power of two */
    size_t count;
    sup_entry_t **heap;
    size_t hcap;
    uint64_t bytes;
} sup_index_t;

/* Heap order: earlier due time first, then key bytes. */
bool ks_sup_entry_less(const sup_entry_t *a, const sup_entry_t *b);
/* The entry of key, or NULL. */
sup_entry_t *ks_sup_ix_find(const sup_index_t *ix, const void *key,
                            size_t klen, uint64_t hash);
/* Add a new key (not present). NULL on out-of-memory. */
sup_entry_t *ks_sup_ix_add(sup_index_t *ix, const void *key, size_t klen,
                           uint64_t hash, int64_t due, uint64_t size);
/* Remove and free e. */
void ks_sup_ix_remove(sup_index_t *ix, sup_entry_t *e);
/* Free every entry and the index's arrays (the index is then empty). */
void ks_sup_ix_free(sup_index_t *ix);

#endif /* KS_SUPPRESS_INT_H */
