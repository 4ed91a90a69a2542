/* txn_int.h - the transactional layer's internals, shared by
 *   txn.c       the buffer (hash index, skip list linked lazily), the layer's
 *               operations, commit and abort
 *   txn_iter.c  iterators merging the buffer over the inner store
 * See store.h ("transactional state") for the contract. */
#ifndef KS_STATE_TXN_INT_H
#define KS_STATE_TXN_INT_H

#include "state/store.h"

#include <stdint.h>

#define TXN_MAX_HEIGHT 16

/* One buffered write. Nodes are never unlinked while the transaction is
 * open (a delete of a buffered key turns its node into a tombstone), so
 * node pointers held by iterators stay valid until the buffer is cleared
 * (commit, abort), which bumps txn_t.epoch. */
typedef struct txn_node {
    uint8_t *val; /* malloc'd, vcap bytes; NULL while vcap is 0 */
    size_t vlen, vcap;
    size_t klen;
    uint64_t hash;
    bool del; /* a buffered delete */
    int height;
    struct txn_node *next[]; /* height links, then the key bytes */
} txn_node_t;

static inline const uint8_t *txn_node_key(const txn_node_t *n) {
    return (const uint8_t *)&n->next[n->height];
}

typedef struct txn {
    ks_store_t base;
    txn_node_t *head[TXN_MAX_HEIGHT]; /* the skip list's first links */
    int height; /* of the tallest node */
    /* New nodes not linked yet, in write order: linked (sorted, in one
     * pass) by the first ordered read, or sorted alone at commit. */
    txn_node_t **pend;
    size_t npend, pend_cap;
    txn_node_t **slots; /* hash index: open addressing, power of two */
    size_t nslots, n;   /* slots, nodes */
    size_t bytes;       /* keys, values, nodes, slots */
    uint64_t rng;
    uint64_t epoch;        /* bumped when the buffer is cleared */
    uint64_t commit_epoch; /* bumped when the inner store changed */
    int64_t offset;        /* committed offset (stores without meta) */
} txn_t;

/* Links the nodes written since the last ordered read into the skip
 * list (the nodes already linked stay where they are). */
void ks_txn_link(txn_t *t);
/* First node with key >= key (after when `after`), NULL at the end; the
 * skip list must be linked (ks_txn_link). */
txn_node_t *ks_txn_seek(txn_t *t, const void *key, size_t klen, bool after);
/* Whether a buffered key is live in the inner store's eyes (segmented
 * stores hide expired keys). */
bool ks_txn_live(txn_t *t, const void *key, size_t klen);
kstream_err_t ks_txn_range(ks_store_t *s, const void *from, size_t flen,
                           const void *to, size_t tlen, ks_iter_t **it);
kstream_err_t ks_txn_prefix(ks_store_t *s, const void *prefix, size_t plen,
                            ks_iter_t **it);

#endif /* KS_STATE_TXN_INT_H */
