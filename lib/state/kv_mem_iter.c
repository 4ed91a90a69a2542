/* kv_mem_iter.c - range and prefix iterators of the in-memory key-value
 * store (kv_mem.c describes how they follow the live store). */
#include "state/kv_mem_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_iter {
    ks_iter_t base;
    kv_mem_t *store;
    bool started, done;
    bool is_prefix;      /* lo is a prefix; else lo/hi are range bounds */
    const uint8_t *lo;   /* NULL: open; points into bounds[] */
    size_t lolen;
    const uint8_t *hi;   /* NULL: open (range only) */
    size_t hilen;
    mem_entry_t *cur;    /* last returned, valid while version matches */
    uint64_t version;
    ks_buf_t key, val;   /* copies handed to the caller */
    uint8_t bounds[];
} mem_iter_t;

static bool iter_past_end(const mem_iter_t *it, mem_entry_t *e) {
    if (it->is_prefix)
        return e->klen < it->lolen ||
               (it->lolen > 0 && memcmp(entry_key(e), it->lo, it->lolen) != 0);
    return it->hi && entry_cmp(e, it->hi, it->hilen) > 0;
}

static kstream_err_t mem_iter_next(ks_iter_t *iter, kstream_bytes_t *key,
                                   kstream_bytes_t *value) {
    mem_iter_t *it = (mem_iter_t *)iter;
    kv_mem_t *s = it->store;
    mem_entry_t *e;

    if (it->done)
        return KSTREAM_ERR_EMPTY;
    if (!it->started) {
        e = it->lo ? ks_mem_seek(s, it->lo, it->lolen, false, NULL) : s->head[0];
        it->started = true;
    } else if (it->version == s->version) {
        e = it->cur->next[0];
    } else {
        /* The store changed shape: it->cur may be freed. */
        e = ks_mem_seek(s, it->key.data, it->key.len, true, NULL);
    }
    if (!e || iter_past_end(it, e)) {
        it->done = true;
        it->cur = NULL;
        return KSTREAM_ERR_EMPTY;
    }
    /* Reserved at creation, so data is never NULL; these may grow. */
    it->key.len = 0;
    it->val.len = 0;
    if (ks_buf_append(&it->key, entry_key(e), e->klen) != 0 ||
        ks_buf_append(&it->val, entry_val(e), e->vlen) != 0) {
        /* Give up on this iterator rather than skip an entry. */
        it->done = true;
        return KSTREAM_ERR_NO_MEMORY;
    }
    it->cur = e;
    it->version = s->version;
    key->data = it->key.data;
    key->len = it->key.len;
    value->data = it->val.data;
    value->len = it->val.len;
    return KSTREAM_OK;
}

static void mem_iter_close(ks_iter_t *iter) {
    mem_iter_t *it = (mem_iter_t *)iter;

    it->store->open_iters--;
    ks_buf_free(&it->key);
    ks_buf_free(&it->val);
    free(it);
}

static const ks_iter_ops_t mem_iter_ops = {
        .next = mem_iter_next,
        .close = mem_iter_close,
};

static kstream_err_t iter_new(kv_mem_t *s, const void *lo, size_t lolen,
                              const void *hi, size_t hilen, bool is_prefix,
                              ks_iter_t **out) {
    mem_iter_t *it;
    size_t extra = (lo ? lolen : 0) + (hi ? hilen : 0);

    if (extra > (size_t)PTRDIFF_MAX - sizeof(*it))
        return KSTREAM_ERR_NO_MEMORY;
    it = calloc(1, sizeof(*it) + extra);
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    it->base.ops = &mem_iter_ops;
    it->store = s;
    it->is_prefix = is_prefix;
    ks_buf_init(&it->key, NULL);
    ks_buf_init(&it->val, NULL);
    if (ks_buf_reserve(&it->key, 1) != 0 || ks_buf_reserve(&it->val, 1) != 0) {
        ks_buf_free(&it->key);
        free(it);
        return KSTREAM_ERR_NO_MEMORY;
    }
    if (lo) {
        if (lolen > 0)
            memcpy(it->bounds, lo, lolen);
        it->lo = it->bounds;
        it->lolen = lolen;
    }
    if (hi) {
        if (hilen > 0)
            memcpy(it->bounds + it->lolen, hi, hilen);
        it->hi = it->bounds + it->lolen;
        it->hilen = hilen;
    }
    if (lo && hi && ks_key_cmp(lo, lolen, hi, hilen) > 0)
        it->done = true; /* from > to: empty */
    s->open_iters++;
    *out = &it->base;
    return KSTREAM_OK;
}

kstream_err_t ks_mem_range(ks_store_t *store, const void *from, size_t flen,
                           const void *to, size_t tlen, ks_iter_t **it) {
    return iter_new((kv_mem_t *)store, from, flen, to, tlen, false, it);
}

kstream_err_t ks_mem_prefix(ks_store_t *store, const void *prefix,
                            size_t plen, ks_iter_t **it) {
    /* A NULL prefix of length 0 is the empty prefix: every key. */
    static const uint8_t empty[1];
    return iter_new((kv_mem_t *)store, prefix ? prefix : empty, plen, NULL, 0,
                    true, it);
}
