/* txn_iter.c - iterators of the transactional layer (txn.c): the buffer
 * of the open transaction merged over the inner store's iterator, in key
 * order, a buffered write shadowing the inner entry of its key and a
 * buffered delete (or an expired key of a segmented store) hiding it.
 *
 * Each returned entry is copied into the iterator, which also remembers
 * the last key returned (or skipped as hidden): so a put, a commit or an
 * abort between two calls cannot invalidate what was handed out, and the
 * iterator can find its place again:
 *   - buffer side: nodes are never unlinked while the transaction is
 *     open, so the cursor node stays valid and sees nodes inserted after
 *     it (keys written since the last call are linked first); when the
 *     buffer was cleared (epoch changed) the cursor re-seeks past the
 *     last key;
 *   - inner side: when a commit changed the inner store (commit_epoch),
 *     the inner iterator is reopened with the same bounds and skips to
 *     past the last key, so the committed writes are seen once.
 * Keys come out strictly increasing and within bounds. */
#include "state/txn_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct txn_iter {
    ks_iter_t base;
    txn_t *txn;
    ks_iter_t *inner;    /* NULL once at its end */
    bool ihave;          /* ikey/ival hold the inner iterator's entry */
    kstream_bytes_t ikey, ival; /* borrowed from inner */
    txn_node_t *cur;     /* buffer cursor: next candidate node */
    uint64_t epoch, commit_epoch;
    bool started, done;
    bool is_prefix;
    uint8_t *last;       /* last key returned or hidden (when started) */
    size_t last_len, last_cap;
    uint8_t *val;        /* copy of the last value returned */
    size_t val_cap;
    const uint8_t *from, *to; /* bounds (prefix: from), copies; NULL open */
    size_t flen, tlen;
    uint8_t bounds[];
} txn_iter_t;

static kstream_err_t open_inner(txn_iter_t *it) {
    ks_store_t *in = it->txn->base.inner;

    if (it->is_prefix)
        return in->ops->prefix(in, it->from, it->flen, &it->inner);
    return in->ops->range(in, it->from, it->flen, it->to, it->tlen,
                          &it->inner);
}

static kstream_err_t copy_into(uint8_t **buf, size_t *cap, const void *p,
                               size_t len) {
    if (len > *cap) {
        uint8_t *b = realloc(*buf, len);
        if (!b)
            return KSTREAM_ERR_NO_MEMORY;
        *buf = b;
        *cap = len;
    }
    if (len > 0)
        memcpy(*buf, p, len);
    return KSTREAM_OK;
}

/* Whether a buffered key is past the iterator's upper bound. */
static bool past_end(const txn_iter_t *it, const txn_node_t *n) {
    const uint8_t *k = txn_node_key(n);

    if (it->is_prefix)
        return n->klen < it->flen ||
               (it->flen > 0 && memcmp(k, it->from, it->flen) != 0);
    return it->to && ks_key_cmp(k, n->klen, it->to, it->tlen) > 0;
}

static bool after_last(const txn_iter_t *it, const void *k, size_t klen) {
    return !it->started || ks_key_cmp(k, klen, it->last, it->last_len) > 0;
}

/* Find the place again after the buffer was cleared or the inner store
 * committed to. */
static kstream_err_t refresh(txn_iter_t *it) {
    txn_t *t = it->txn;
    kstream_err_t err;

    ks_txn_link(t); /* keys written since: the cursor may pass them */
    if (it->epoch != t->epoch) {
        if (it->started)
            it->cur = ks_txn_seek(t, it->last, it->last_len, true);
        else
            it->cur = ks_txn_seek(t, it->from, it->flen, false);
        it->epoch = t->epoch;
    }
    if (it->commit_epoch != t->commit_epoch) {
        if (it->inner)
            it->inner->ops->close(it->inner);
        it->inner = NULL;
        it->ihave = false;
        it->commit_epoch = t->commit_epoch;
        if ((err = open_inner(it)) != KSTREAM_OK)
            return err;
    }
    return KSTREAM_OK;
}

static kstream_err_t txn_iter_next(ks_iter_t *iter, kstream_bytes_t *key,
                                   kstream_bytes_t *value) {
    txn_iter_t *it = (txn_iter_t *)iter;
    kstream_err_t err;

    if (it->done)
        return KSTREAM_ERR_EMPTY;
    if ((err = refresh(it)) != KSTREAM_OK)
        return err;
    for (;;) {
        const uint8_t *k, *v;
        size_t klen, vlen;
        int c;

        /* The inner side's next entry past the last key. */
        while (!it->ihave && it->inner) {
            err = it->inner->ops->next(it->inner, &it->ikey, &it->ival);
            if (err == KSTREAM_ERR_EMPTY) {
                it->inner->ops->close(it->inner);
                it->inner = NULL;
            } else if (err != KSTREAM_OK) {
                return err;
            } else if (after_last(it, it->ikey.data, it->ikey.len)) {
                it->ihave = true;
            }
        }
        /* The buffer side's. */
        while (it->cur && !after_last(it, txn_node_key(it->cur),
                                      it->cur->klen))
            it->cur = it->cur->next[0];
        if (it->cur && past_end(it, it->cur))
            it->cur = NULL;

        if (!it->cur && !it->ihave) {
            it->done = true;
            return KSTREAM_ERR_EMPTY;
        }
        c = !it->cur ? 1
            : !it->ihave
                    ? -1
                    : ks_key_cmp(txn_node_key(it->cur), it->cur->klen,
                                 it->ikey.data, it->ikey.len);
        if (c <= 0) {
            txn_node_t *n = it->cur;
            if (c == 0)
                it->ihave = false; /* shadowed */
            k = txn_node_key(n);
            klen = n->klen;
            v = n->val;
            vlen = n->vlen;
            it->cur = n->next[0];
            if (n->del || !ks_txn_live(it->txn, k, klen)) {
                /* Hidden: remember it as passed, go on. */
                err = copy_into(&it->last, &it->last_cap, k, klen);
                if (err != KSTREAM_OK)
                    return err;
                it->last_len = klen;
                it->started = true;
                continue;
            }
        } else {
            k = it->ikey.data;
            klen = it->ikey.len;
            v = it->ival.data;
            vlen = it->ival.len;
            it->ihave = false;
        }
        err = copy_into(&it->last, &it->last_cap, k, klen);
        if (err == KSTREAM_OK)
            err = copy_into(&it->val, &it->val_cap, v, vlen);
        if (err != KSTREAM_OK)
            return err;
        it->last_len = klen;
        it->started = true;
        key->data = it->last ? (const void *)it->last : "";
        key->len = klen;
        value->data = it->val ? (const void *)it->val : "";
        value->len = vlen;
        return KSTREAM_OK;
    }
}

static void txn_iter_close(ks_iter_t *iter) {
    txn_iter_t *it = (txn_iter_t *)iter;

    if (it->inner)
        it->inner->ops->close(it->inner);
    free(it->last);
    free(it->val);
    free(it);
}

static const ks_iter_ops_t txn_iter_ops = {
        .next = txn_iter_next,
        .close = txn_iter_close,
};

static kstream_err_t iter_new(txn_t *t, bool is_prefix, const void *a,
                              size_t alen, const void *b, size_t blen,
                              ks_iter_t **out) {
    txn_iter_t *it;
    size_t extra;
    kstream_err_t err;

    if (!a)
        alen = 0;
    if (!b)
        blen = 0;
    if (alen > (size_t)PTRDIFF_MAX - sizeof(*it) - blen)
        return KSTREAM_ERR_NO_MEMORY;
    extra = alen + blen;
    it = calloc(1, sizeof(*it) + extra);
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    it->base.ops = &txn_iter_ops;
    it->txn = t;
    it->is_prefix = is_prefix;
    if (a || is_prefix) {
        if (alen > 0)
            memcpy(it->bounds, a, alen);
        it->from = it->bounds;
        it->flen = alen;
    }
    if (b) {
        if (blen > 0)
            memcpy(it->bounds + alen, b, blen);
        it->to = it->bounds + alen;
        it->tlen = blen;
    }
    it->epoch = t->epoch;
    it->commit_epoch = t->commit_epoch;
    if ((err = open_inner(it)) != KSTREAM_OK) {
        free(it);
        return err;
    }
    ks_txn_link(t);
    it->cur = it->from ? ks_txn_seek(t, it->from, it->flen, false)
                       : t->head[0];
    /* from > to: the seek lands past `to`, past_end ends it. */
    *out = &it->base;
    return KSTREAM_OK;
}

kstream_err_t ks_txn_range(ks_store_t *s, const void *from, size_t flen,
                           const void *to, size_t tlen, ks_iter_t **it) {
    return iter_new((txn_t *)s, false, from, flen, to, tlen, it);
}

kstream_err_t ks_txn_prefix(ks_store_t *s, const void *prefix, size_t plen,
                            ks_iter_t **it) {
    return iter_new((txn_t *)s, true, prefix, plen, NULL, 0, it);
}
