/* cache_iter.c - the record cache's merge iterator: a copy of the
 * layer's entries in the range (taken at creation) merged with the inner
 * store's iterator, in key order. See cache.c for the design. */
#include "state/cache_int.h"

/* The cache side is a copy of the layer's entries in the range, taken when
 * the iterator is created, so later puts and evictions (by any layer of the
 * thread) cannot pull an entry from under it. A snapshot record is
 * {klen, vlen, deleted} then the key and value bytes. */
typedef struct snap_hdr {
    size_t klen, vlen;
    bool deleted;
} snap_hdr_t;

typedef struct cache_iter {
    ks_iter_t base;
    ks_iter_t *ii; /* over the inner store */
    ks_buf_t snap; /* the cache side's records, in key order */
    size_t pos;    /* next record in snap */
    bool c_has, i_has, i_done;
    snap_hdr_t c;               /* the cache side's current record */
    const uint8_t *ckey, *cval; /* in snap */
    kstream_bytes_t ikey, ival; /* the inner side's, borrowed from ii */
} cache_iter_t;

static kstream_err_t snap_add(cache_iter_t *it, cache_entry_t *e) {
    snap_hdr_t h;
    bool deleted = entry_has(e, F_DELETED);

    memset(&h, 0, sizeof(h)); /* padding too: it is copied */
    h.klen = e->klen;
    h.vlen = deleted ? 0 : e->vlen;
    h.deleted = deleted;
    if (ks_buf_append(&it->snap, &h, sizeof(h)) != 0 ||
        (h.klen > 0 && ks_buf_append(&it->snap, e->key, h.klen) != 0) ||
        (h.vlen > 0 && ks_buf_append(&it->snap, entry_val(e), h.vlen) != 0))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

/* Ordered layers: the entries of the index's iterator ci. */
static kstream_err_t snap_ordered(cache_iter_t *it, ks_iter_t *ci) {
    kstream_bytes_t k, v;
    kstream_err_t err;

    while ((err = ci->ops->next(ci, &k, &v)) == KSTREAM_OK) {
        cache_entry_t *e;
        assert(v.len == sizeof(e));
        memcpy(&e, v.data, sizeof(e));
        err = snap_add(it, e);
        if (err != KSTREAM_OK)
            return err;
    }
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

/* What a range or prefix selects. */
typedef struct bounds {
    bool is_prefix;
    const void *from, *to; /* range: NULL is open; prefix: from (may be
                              NULL when flen is 0) */
    size_t flen, tlen;
} bounds_t;

static bool in_bounds(const bounds_t *b, const cache_entry_t *e) {
    if (b->is_prefix)
        return e->klen >= b->flen &&
               (b->flen == 0 || memcmp(e->key, b->from, b->flen) == 0);
    if (b->from && ks_key_cmp(e->key, e->klen, b->from, b->flen) < 0)
        return false;
    if (b->to && ks_key_cmp(e->key, e->klen, b->to, b->tlen) > 0)
        return false;
    return true;
}

static int entry_ptr_cmp(const void *a, const void *b) {
    const cache_entry_t *x = *(cache_entry_t *const *)a;
    const cache_entry_t *y = *(cache_entry_t *const *)b;

    return ks_key_cmp(x->key, x->klen, y->key, y->klen);
}

/* Unordered layers: the entries in the bounds, from the hash index,
 * sorted. */
static kstream_err_t snap_unordered(cache_iter_t *it, cache_layer_t *L,
                                    const bounds_t *b) {
    cache_entry_t **sel = NULL;
    size_t n = 0, cap = 0, i;
    kstream_err_t err = KSTREAM_OK;

    if (!b->is_prefix && b->from && b->to &&
        ks_key_cmp(b->from, b->flen, b->to, b->tlen) > 0)
        return KSTREAM_OK; /* from > to: empty */
    for (i = 0; i <= L->mask; i++) {
        if (!slot_used(L->slots[i]))
            continue;
        cache_entry_t *e = slot_entry(L, L->slots[i]);
        {
            if (!in_bounds(b, e))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                cache_entry_t **ns = realloc(sel, ncap * sizeof(*ns));
                if (!ns) {
                    free(sel);
                    return KSTREAM_ERR_NO_MEMORY;
                }
                sel = ns;
                cap = ncap;
            }
            sel[n++] = e;
        }
    }
    if (n > 1)
        qsort(sel, n, sizeof(*sel), entry_ptr_cmp);
    for (i = 0; i < n && err == KSTREAM_OK; i++)
        err = snap_add(it, sel[i]);
    free(sel);
    return err;
}

static void citer_fill_cache(cache_iter_t *it) {
    const uint8_t *p;

    if (it->pos >= it->snap.len)
        return;
    p = it->snap.data + it->pos;
    memcpy(&it->c, p, sizeof(it->c));
    it->ckey = p + sizeof(it->c);
    it->cval = it->ckey + it->c.klen;
    it->pos += sizeof(it->c) + it->c.klen + it->c.vlen;
    it->c_has = true;
}

static kstream_err_t citer_fill_inner(cache_iter_t *it) {
    kstream_err_t err = it->ii->ops->next(it->ii, &it->ikey, &it->ival);

    if (err == KSTREAM_ERR_EMPTY) {
        it->i_done = true;
        return KSTREAM_OK;
    }
    if (err != KSTREAM_OK)
        return err;
    it->i_has = true;
    return KSTREAM_OK;
}

static kstream_err_t citer_next(ks_iter_t *iter, kstream_bytes_t *key,
                                kstream_bytes_t *value) {
    cache_iter_t *it = (cache_iter_t *)iter;
    kstream_err_t err;

    for (;;) {
        int cmp;
        if (!it->c_has)
            citer_fill_cache(it);
        if (!it->i_has && !it->i_done) {
            err = citer_fill_inner(it);
            if (err != KSTREAM_OK)
                return err;
        }
        if (!it->c_has && !it->i_has)
            return KSTREAM_ERR_EMPTY;
        if (!it->c_has)
            cmp = 1;
        else if (!it->i_has)
            cmp = -1;
        else
            cmp = ks_key_cmp(it->ckey, it->c.klen, it->ikey.data,
                             it->ikey.len);
        if (cmp > 0) {
            it->i_has = false; /* ikey/ival stay valid until ii moves */
            *key = it->ikey;
            *value = it->ival;
            return KSTREAM_OK;
        }
        /* The cache's entry: it replaces (or hides) an equal inner key. */
        it->c_has = false;
        if (cmp == 0)
            it->i_has = false;
        if (it->c.deleted)
            continue;
        key->data = it->ckey;
        key->len = it->c.klen;
        value->data = it->cval;
        value->len = it->c.vlen;
        return KSTREAM_OK;
    }
}

static void citer_close(ks_iter_t *iter) {
    cache_iter_t *it = (cache_iter_t *)iter;

    if (it->ii)
        it->ii->ops->close(it->ii);
    ks_buf_free(&it->snap);
    free(it);
}

static const ks_iter_ops_t citer_ops = {
        .next = citer_next,
        .close = citer_close,
};

/* The merge iterator over b: the cache side copied now (from the ordered
 * index when the layer has one), the inner side from the inner store. */
static kstream_err_t cache_iter(cache_layer_t *L, const bounds_t *b,
                                ks_iter_t **out) {
    ks_store_t *in = L->base.inner;
    ks_iter_t *ci = NULL;
    cache_iter_t *it;
    kstream_err_t err;

    if (L->order) {
        err = b->is_prefix ? L->order->ops->prefix(L->order, b->from,
                                                   b->flen, &ci)
                           : L->order->ops->range(L->order, b->from, b->flen,
                                                  b->to, b->tlen, &ci);
        if (err != KSTREAM_OK)
            return err;
    }
    it = calloc(1, sizeof(*it));
    if (!it) {
        if (ci)
            ci->ops->close(ci);
        return KSTREAM_ERR_NO_MEMORY;
    }
    it->base.ops = &citer_ops;
    ks_buf_init(&it->snap, NULL);
    /* Non-NULL data even when empty: key pointers of empty keys. */
    if (ks_buf_reserve(&it->snap, 1) != 0)
        err = KSTREAM_ERR_NO_MEMORY;
    else if (ci)
        err = snap_ordered(it, ci);
    else
        err = snap_unordered(it, L, b);
    if (ci)
        ci->ops->close(ci);
    if (err == KSTREAM_OK)
        err = b->is_prefix ? in->ops->prefix(in, b->from, b->flen, &it->ii)
                           : in->ops->range(in, b->from, b->flen, b->to,
                                            b->tlen, &it->ii);
    if (err != KSTREAM_OK) {
        it->ii = NULL;
        citer_close(&it->base);
        return err;
    }
    *out = &it->base;
    return KSTREAM_OK;
}

kstream_err_t ks_cache_range(ks_store_t *s, const void *from, size_t flen,
                                 const void *to, size_t tlen,
                                 ks_iter_t **out) {
    bounds_t b = {false, from, to, flen, tlen};

    return cache_iter((cache_layer_t *)s, &b, out);
}

kstream_err_t ks_cache_prefix(ks_store_t *s, const void *prefix,
                                  size_t plen, ks_iter_t **out) {
    bounds_t b = {true, prefix, NULL, plen, 0};

    return cache_iter((cache_layer_t *)s, &b, out);
}
