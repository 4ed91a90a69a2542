/* txn.c - the transactional state layer (Kafka's KIP-892 idea, the
 * transaction buffer of a transactional KeyValueStore): buffers the writes
 * of the open exactly-once transaction and applies them to the store below
 * only at commit, with the changelog offset they reach. Contract and
 * atomicity per store: store.h ("transactional state").
 *
 * The buffer: one node per key written in the transaction (malloc'd once,
 * key inline), indexed by a linear-probing hash table for point lookups
 * and linked in a skip list (p = 1/4) for key order - lazily: a new key
 * is only appended to a pending array, which the first ordered read
 * (range, prefix, an iterator's next) sorts and merges into the list in
 * one pass, and which a commit with nothing linked simply sorts:
 *   get, put of a buffered key  O(1) expected; the value buffer is reused
 *                               when the new value fits (the common
 *                               get + put of one key per record does not
 *                               call malloc after its first put)
 *   put of a new key            O(1) expected + one malloc
 *   delete                      a put that makes the node a tombstone
 *   range / prefix              links what is pending (m new keys in a
 *                               list of n: O(m log m + min(m log n,
 *                               n + m))), then an O(log n) seek, merged
 *                               with the inner store's iterator
 *                               (txn_iter.c)
 *   commit                      O(n log n) sort when nothing is linked
 * A count (get + put per record, no range) thus never builds the list:
 * random inserts into it were the largest cost of exactly-once counting.
 * Nodes stay in the buffer until it is cleared (commit or abort), so a
 * delete of a key written in the transaction keeps a tombstone, which
 * also hides the inner store's value.
 *
 * RocksDB's write batch with index (rocksdb_writebatch_wi_*) would do the
 * same for RocksDB stores only; this buffer serves every bottom store and
 * hands the commit a key-ordered op array (see docs/state.md for the
 * measurement).
 *
 * One task, one thread: no locks. */
#include "state/txn_int.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define TXN_MIN_SLOTS 64
#define TXN_KEEP_SLOTS 4096 /* a larger index is freed when cleared */

static txn_t *to_txn(ks_store_t *s) {
    assert(s->ops->range == ks_txn_range);
    return (txn_t *)s;
}

/* ---- the buffer ------------------------------------------------------- */

static int random_height(txn_t *t) {
    int h = 1;

    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    for (uint64_t r = t->rng; h < TXN_MAX_HEIGHT && (r & 3) == 0; r >>= 2)
        h++;
    return h;
}

txn_node_t *ks_txn_seek(txn_t *t, const void *key, size_t klen, bool after) {
    txn_node_t **x = t->head;
    int i;

    for (i = t->height - 1; i >= 0; i--) {
        while (x[i]) {
            int c = ks_key_cmp(txn_node_key(x[i]), x[i]->klen, key, klen);
            if (c > 0 || (c == 0 && !after))
                break;
            x = x[i]->next;
        }
    }
    return x[0];
}

static txn_node_t *lookup(const txn_t *t, const void *key, size_t klen,
                          uint64_t h) {
    size_t mask = t->nslots - 1, i;

    if (t->nslots == 0)
        return NULL;
    for (i = (size_t)h & mask; t->slots[i]; i = (i + 1) & mask) {
        txn_node_t *n = t->slots[i];
        if (n->hash == h && n->klen == klen &&
            (klen == 0 || memcmp(txn_node_key(n), key, klen) == 0))
            return n;
    }
    return NULL;
}

static void slot_insert(txn_node_t **slots, size_t nslots, txn_node_t *n) {
    size_t mask = nslots - 1, i;

    for (i = (size_t)n->hash & mask; slots[i]; i = (i + 1) & mask)
        ;
    slots[i] = n;
}

/* Room in the index for one more node (load <= 1/2). */
static kstream_err_t reserve_slot(txn_t *t) {
    size_t nslots, i;
    txn_node_t **slots;

    if ((t->n + 1) * 2 <= t->nslots)
        return KSTREAM_OK;
    nslots = t->nslots ? t->nslots * 2 : TXN_MIN_SLOTS;
    slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i < t->nslots; i++)
        if (t->slots[i])
            slot_insert(slots, nslots, t->slots[i]);
    t->bytes += (nslots - t->nslots) * sizeof(*slots);
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return KSTREAM_OK;
}

static kstream_err_t set_value(txn_t *t, txn_node_t *n, const void *value,
                               size_t vlen) {
    if (!value) {
        n->del = true;
        n->vlen = 0;
        return KSTREAM_OK;
    }
    if (vlen > n->vcap) {
        uint8_t *v = malloc(vlen);
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        free(n->val);
        t->bytes += vlen - n->vcap;
        n->val = v;
        n->vcap = vlen;
    }
    if (vlen > 0)
        memcpy(n->val, value, vlen);
    n->vlen = vlen;
    n->del = false;
    return KSTREAM_OK;
}

static int node_cmp(const void *a, const void *b) {
    const txn_node_t *x = *(txn_node_t *const *)a;
    const txn_node_t *y = *(txn_node_t *const *)b;

    return ks_key_cmp(txn_node_key(x), x->klen, txn_node_key(y), y->klen);
}

/* n after the nodes before it, from the links update[] (each a node's
 * next[] or t->head, last before n's key at its level); update[] then
 * ends at n where n is linked. */
static void link_at(txn_t *t, txn_node_t ***update, txn_node_t *n) {
    for (int i = 0; i < n->height; i++) {
        n->next[i] = update[i][i];
        update[i][i] = n;
        update[i] = n->next;
    }
    if (n->height > t->height)
        t->height = n->height;
}

/* The links before key at every level, searched from the top. */
static void find_links(txn_t *t, const txn_node_t *n,
                       txn_node_t ***update) {
    txn_node_t **x = t->head;

    for (int i = TXN_MAX_HEIGHT - 1; i >= 0; i--) {
        if (i < t->height) {
            while (x[i] && ks_key_cmp(txn_node_key(x[i]), x[i]->klen,
                                      txn_node_key(n), n->klen) < 0)
                x = x[i]->next;
        }
        update[i] = x;
    }
}

void ks_txn_link(txn_t *t) {
    txn_node_t **update[TXN_MAX_HEIGHT];
    size_t m = t->npend, i;

    if (m == 0)
        return;
    /* Keys are distinct (the hash index has one node per key). */
    qsort(t->pend, m, sizeof(*t->pend), node_cmp);
    if (m * 4 < t->n - m) {
        /* A few new keys in a long list: one search each. */
        for (i = 0; i < m; i++) {
            find_links(t, t->pend[i], update);
            link_at(t, update, t->pend[i]);
        }
    } else {
        /* A merge: each level's cursor only moves forward. */
        for (int l = 0; l < TXN_MAX_HEIGHT; l++)
            update[l] = t->head;
        for (i = 0; i < m; i++) {
            txn_node_t *n = t->pend[i];
            for (int l = 0; l < TXN_MAX_HEIGHT; l++) {
                txn_node_t **x = update[l];
                while (x[l] && ks_key_cmp(txn_node_key(x[l]), x[l]->klen,
                                          txn_node_key(n), n->klen) < 0)
                    x = x[l]->next;
                update[l] = x;
            }
            link_at(t, update, n);
        }
    }
    t->npend = 0;
}

static kstream_err_t insert(txn_t *t, const void *key, size_t klen,
                            uint64_t h, const void *value, size_t vlen) {
    txn_node_t *n;
    int height;
    size_t size;

    if (reserve_slot(t) != KSTREAM_OK)
        return KSTREAM_ERR_NO_MEMORY;
    if (t->npend == t->pend_cap) {
        size_t cap = t->pend_cap ? t->pend_cap * 2 : TXN_MIN_SLOTS;
        txn_node_t **v = realloc(t->pend, cap * sizeof(*v));
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        t->bytes += (cap - t->pend_cap) * sizeof(*v);
        t->pend = v;
        t->pend_cap = cap;
    }
    height = random_height(t);
    if (klen > SIZE_MAX / 2)
        return KSTREAM_ERR_TOO_LARGE;
    size = sizeof(*n) + (size_t)height * sizeof(n->next[0]) + klen;
    n = calloc(1, size);
    if (!n)
        return KSTREAM_ERR_NO_MEMORY;
    n->height = height;
    n->klen = klen;
    n->hash = h;
    if (klen > 0)
        memcpy((uint8_t *)txn_node_key(n), key, klen);
    if (set_value(t, n, value, vlen) != KSTREAM_OK) {
        free(n);
        return KSTREAM_ERR_NO_MEMORY;
    }
    t->pend[t->npend++] = n;
    slot_insert(t->slots, t->nslots, n);
    t->n++;
    t->bytes += size;
    return KSTREAM_OK;
}

/* Free every node; the index and the pending array are kept (emptied)
 * unless they grew large. */
static void clear(txn_t *t) {
    txn_node_t *n = t->head[0], *next;

    for (; n; n = next) {
        next = n->next[0];
        free(n->val);
        free(n);
    }
    for (size_t i = 0; i < t->npend; i++) {
        free(t->pend[i]->val);
        free(t->pend[i]);
    }
    t->npend = 0;
    memset(t->head, 0, sizeof(t->head));
    t->height = 1;
    t->n = 0;
    if (t->nslots > TXN_KEEP_SLOTS) {
        free(t->slots);
        t->slots = NULL;
        t->nslots = 0;
    } else if (t->nslots) {
        memset(t->slots, 0, t->nslots * sizeof(*t->slots));
    }
    if (t->pend_cap > TXN_KEEP_SLOTS) {
        free(t->pend);
        t->pend = NULL;
        t->pend_cap = 0;
    }
    t->bytes = t->nslots * sizeof(*t->slots) +
               t->pend_cap * sizeof(*t->pend);
    t->epoch++;
}

bool ks_txn_live(txn_t *t, const void *key, size_t klen) {
    ks_store_t *in = t->base.inner;

    return !in->ops->key_live ||
           in->ops->key_live(in, key, klen, false) == KSTREAM_OK;
}

/* ---- store operations ------------------------------------------------- */

static kstream_err_t txn_get(ks_store_t *store, const void *key, size_t klen,
                             kstream_bytes_t *value) {
    txn_t *t = (txn_t *)store;
    txn_node_t *n;

    if (!key)
        key = "";
    n = lookup(t, key, klen, ks_hash_bytes(key, klen));
    if (!n)
        return store->inner->ops->get(store->inner, key, klen, value);
    if (n->del || !ks_txn_live(t, key, klen))
        return KSTREAM_ERR_NOT_FOUND;
    value->data = n->val ? (const void *)n->val : ""; /* empty: not absent */
    value->len = n->vlen;
    return KSTREAM_OK;
}

static kstream_err_t txn_put(ks_store_t *store, const void *key, size_t klen,
                             const void *value, size_t vlen) {
    txn_t *t = (txn_t *)store;
    ks_store_t *in = store->inner;
    txn_node_t *n;
    uint64_t h;
    kstream_err_t err;

    if (!key)
        key = "";
    if (in->ops->key_live) {
        /* Segmented stores: stream time moves now, late writes drop. */
        err = in->ops->key_live(in, key, klen, true);
        if (err == KSTREAM_ERR_NOT_FOUND)
            return KSTREAM_OK;
        if (err != KSTREAM_OK)
            return err;
    }
    h = ks_hash_bytes(key, klen);
    n = lookup(t, key, klen, h);
    if (n)
        return set_value(t, n, value, vlen);
    return insert(t, key, klen, h, value, vlen);
}

/* Exact when the inner store's count is: each buffered write is checked
 * against the inner store (a get per buffered key; statistics only). */
static uint64_t txn_approximate_count(ks_store_t *store) {
    txn_t *t = (txn_t *)store;
    ks_store_t *in = store->inner;
    uint64_t n = in->ops->approximate_count(in);
    txn_node_t *x;

    ks_txn_link(t);
    for (x = t->head[0]; x; x = x->next[0]) {
        kstream_bytes_t v;
        bool had = in->ops->get(in, txn_node_key(x), x->klen, &v) ==
                   KSTREAM_OK;
        bool has = !x->del && ks_txn_live(t, txn_node_key(x), x->klen);
        if (has && !had)
            n++;
        else if (!has && had && n > 0)
            n--;
    }
    return n;
}

/* Durability of what is committed; the buffer stays as it is. */
static kstream_err_t txn_flush(ks_store_t *store) {
    return store->inner->ops->flush(store->inner);
}

static void txn_close(ks_store_t *store) {
    txn_t *t = (txn_t *)store;

    clear(t); /* an uncommitted transaction is lost, as in a crash */
    free(t->slots);
    free(t->pend);
    store->inner->ops->close(store->inner);
    free(t);
}

static const ks_store_ops_t txn_ops = {
        .kind = "txn",
        .count_below = true,
        .get = txn_get,
        .put = txn_put,
        .range = ks_txn_range,
        .prefix = ks_txn_prefix,
        .approximate_count = txn_approximate_count,
        .flush = txn_flush,
        .close = txn_close,
};

/* ---- the transaction -------------------------------------------------- */

ks_store_t *ks_txn_wrap(ks_store_t *inner) {
    txn_t *t;

    assert(inner);
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->base.ops = &txn_ops;
    t->base.inner = inner;
    t->height = 1;
    t->rng = 0x2545f4914f6cdd1dull ^ (uintptr_t)t;
    t->offset = -1;
    return &t->base;
}

static void op_of(ks_txn_op_t *op, const txn_node_t *x) {
    op->key = txn_node_key(x);
    op->klen = x->klen;
    op->value = x->del ? NULL : (x->val ? (const void *)x->val : "");
    op->vlen = x->vlen;
}

kstream_err_t ks_txn_commit(ks_store_t *layer, int64_t offset) {
    txn_t *t = to_txn(layer);
    ks_store_t *in = layer->inner;
    ks_txn_op_t *ops = NULL;
    txn_node_t *x;
    size_t i = 0;
    kstream_err_t err = KSTREAM_OK;

    assert(offset >= 0);
    if (t->n > 0) {
        ops = malloc(t->n * sizeof(*ops));
        if (!ops)
            return KSTREAM_ERR_NO_MEMORY;
    }
    if (!t->head[0]) {
        /* Nothing linked (no ordered read): sorting is all it takes. */
        if (t->npend > 0)
            qsort(t->pend, t->npend, sizeof(*t->pend), node_cmp);
        for (; i < t->npend; i++)
            op_of(&ops[i], t->pend[i]);
    } else {
        ks_txn_link(t);
        for (x = t->head[0]; x; x = x->next[0], i++)
            op_of(&ops[i], x);
    }
    assert(i == t->n);
    if (in->ops->commit_batch) {
        err = in->ops->commit_batch(in, ops, t->n, offset);
    } else {
        for (i = 0; i < t->n && err == KSTREAM_OK; i++)
            err = in->ops->put(in, ops[i].key, ops[i].klen, ops[i].value,
                               ops[i].vlen);
        if (err == KSTREAM_OK)
            t->offset = offset;
    }
    free(ops);
    if (err != KSTREAM_OK)
        return err; /* the buffer stays: retry or abort */
    clear(t);
    t->commit_epoch++;
    return KSTREAM_OK;
}

void ks_txn_abort(ks_store_t *layer) {
    clear(to_txn(layer));
}

int64_t ks_txn_offset(ks_store_t *layer) {
    txn_t *t = to_txn(layer);
    ks_store_t *in = layer->inner;

    if (in->ops->commit_batch && in->ops->meta_offset)
        return in->ops->meta_offset(in);
    return t->offset;
}

size_t ks_txn_bytes(const ks_store_t *layer) {
    return ((const txn_t *)layer)->bytes;
}

size_t ks_txn_pending(const ks_store_t *layer) {
    return ((const txn_t *)layer)->n;
}
