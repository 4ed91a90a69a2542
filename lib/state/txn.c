/* txn.c - the transactional state layer (Kafka's KIP-892 idea, the
 * transaction buffer of a transactional KeyValueStore): buffers the writes
 * of the open exactly-once transaction and applies them to the store below
 * only at commit, with the changelog offset they reach. Contract and
 * atomicity per store: store.h ("transactional state").
 *
 * The buffer: one node per key written in the transaction (malloc'd once,
 * key inline), linked in a skip list (p = 1/4) for key order and indexed
 * by a linear-probing hash table for point lookups:
 *   get, put of a buffered key  O(1) expected; the value buffer is reused
 *                               when the new value fits (the common
 *                               get + put of one key per record does not
 *                               call malloc after its first put)
 *   put of a new key            O(log n) expected + one malloc
 *   delete                      a put that makes the node a tombstone
 *   range / prefix              O(log n) seek, merged with the inner
 *                               store's iterator (txn_iter.c)
 * Nodes stay linked until the buffer is cleared (commit or abort), so a
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

static kstream_err_t insert(txn_t *t, const void *key, size_t klen,
                            uint64_t h, const void *value, size_t vlen) {
    txn_node_t **update[TXN_MAX_HEIGHT], **x = t->head, *n;
    int height, i;
    size_t size;

    if (reserve_slot(t) != KSTREAM_OK)
        return KSTREAM_ERR_NO_MEMORY;
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
    /* Links before the new node, level by level. update[i] is the link
     * array (a node's next[] or t->head) whose [i] will point to n. */
    for (i = TXN_MAX_HEIGHT - 1; i >= 0; i--) {
        if (i < t->height) {
            while (x[i] && ks_key_cmp(txn_node_key(x[i]), x[i]->klen, key,
                                      klen) < 0)
                x = x[i]->next;
        }
        update[i] = x;
    }
    for (i = 0; i < height; i++) {
        n->next[i] = update[i][i];
        update[i][i] = n;
    }
    if (height > t->height)
        t->height = height;
    slot_insert(t->slots, t->nslots, n);
    t->n++;
    t->bytes += size;
    return KSTREAM_OK;
}

/* Free every node; the index is kept (emptied) unless it grew large. */
static void clear(txn_t *t) {
    txn_node_t *n = t->head[0], *next;

    for (; n; n = next) {
        next = n->next[0];
        free(n->val);
        free(n);
    }
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
    t->bytes = t->nslots * sizeof(*t->slots);
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
    store->inner->ops->close(store->inner);
    free(t);
}

static const ks_store_ops_t txn_ops = {
        .kind = "txn",
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
    for (x = t->head[0]; x; x = x->next[0], i++) {
        ops[i].key = txn_node_key(x);
        ops[i].klen = x->klen;
        ops[i].value = x->del ? NULL : (x->val ? (const void *)x->val : "");
        ops[i].vlen = x->vlen;
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
