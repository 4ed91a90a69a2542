/* segments_iter.c - the segmented store's merged iterators: one iterator
 * per live segment, merged in key order through a binary min-heap, each
 * segment pinned while an iterator reads it (see segments.c). */
#include "state/segments_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- merged iterators ---------------------------------------------------- */

typedef struct cursor {
    ks_iter_t *it; /* the segment's iterator */
    seg_t *seg;    /* pinned */
    kstream_bytes_t key, value; /* current entry, borrowed from it */
} cursor_t;

typedef struct seg_iter {
    ks_iter_t base;
    segmented_t *store;
    bool started;
    bool advance; /* heap[0] was returned: move it on at the next call */
    bool done;
    size_t ncur;  /* cursors (all are closed at the end) */
    size_t nheap; /* cursors with an entry, as a min-heap by key */
    cursor_t **heap;
    cursor_t cur[];
} seg_iter_t;

static bool cursor_less(const cursor_t *a, const cursor_t *b) {
    return ks_key_cmp(a->key.data, a->key.len, b->key.data, b->key.len) < 0;
}

static void heap_down(seg_iter_t *it, size_t i) {
    cursor_t **h = it->heap;

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        cursor_t *tmp;
        if (l < it->nheap && cursor_less(h[l], h[m]))
            m = l;
        if (r < it->nheap && cursor_less(h[r], h[m]))
            m = r;
        if (m == i)
            return;
        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

static void heap_up(seg_iter_t *it, size_t i) {
    cursor_t **h = it->heap;

    while (i > 0) {
        size_t p = (i - 1) / 2;
        cursor_t *tmp;
        if (!cursor_less(h[i], h[p]))
            return;
        tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
}

/* Move the top cursor to its next entry, keeping the heap ordered. */
static kstream_err_t heap_advance_top(seg_iter_t *it) {
    cursor_t *c = it->heap[0];
    kstream_err_t err = c->it->ops->next(c->it, &c->key, &c->value);

    if (err == KSTREAM_ERR_EMPTY) {
        it->heap[0] = it->heap[--it->nheap];
        err = KSTREAM_OK;
    } else if (err != KSTREAM_OK) {
        return err;
    }
    if (it->nheap > 0)
        heap_down(it, 0);
    return KSTREAM_OK;
}

static kstream_err_t heap_fill(seg_iter_t *it) {
    size_t i;

    for (i = 0; i < it->ncur; i++) {
        cursor_t *c = &it->cur[i];
        kstream_err_t err = c->it->ops->next(c->it, &c->key, &c->value);
        if (err == KSTREAM_ERR_EMPTY)
            continue;
        if (err != KSTREAM_OK)
            return err;
        it->heap[it->nheap++] = c;
        heap_up(it, it->nheap - 1);
    }
    return KSTREAM_OK;
}

static kstream_err_t seg_iter_next(ks_iter_t *iter, kstream_bytes_t *key,
                                   kstream_bytes_t *value) {
    seg_iter_t *it = (seg_iter_t *)iter;
    segmented_t *s = it->store;
    kstream_err_t err = KSTREAM_OK;

    if (it->done)
        return KSTREAM_ERR_EMPTY;
    if (!it->started) {
        it->started = true;
        err = heap_fill(it);
    } else if (it->advance) {
        it->advance = false;
        err = heap_advance_top(it);
    }
    /* Skip what expired (a live segment may hold expired records). */
    while (err == KSTREAM_OK && it->nheap > 0) {
        cursor_t *c = it->heap[0];
        int64_t t = s->key_time(c->key.data, c->key.len);
        if (!ks_seg_is_expired(s, t))
            break;
        err = heap_advance_top(it);
    }
    if (err != KSTREAM_OK) {
        /* Give up rather than skip entries. */
        it->done = true;
        return err;
    }
    if (it->nheap == 0) {
        it->done = true;
        return KSTREAM_ERR_EMPTY;
    }
    *key = it->heap[0]->key;
    *value = it->heap[0]->value;
    it->advance = true;
    return KSTREAM_OK;
}

/* Close the segments' iterators (before any segment store may close),
 * then unpin; dead segments whose last pin this was are closed. */
static void seg_iter_release(segmented_t *s, cursor_t *cur, size_t n) {
    size_t i;

    for (i = 0; i < n; i++)
        cur[i].it->ops->close(cur[i].it);
    for (i = 0; i < n; i++) {
        seg_t *seg = cur[i].seg;
        seg->pins--;
        if (seg->dead && seg->pins == 0)
            ks_seg_destroy(s, seg);
    }
}

static void seg_iter_close(ks_iter_t *iter) {
    seg_iter_t *it = (seg_iter_t *)iter;

    seg_iter_release(it->store, it->cur, it->ncur);
    it->store->open_iters--;
    free(it->heap);
    free(it);
}

static const ks_iter_ops_t seg_iter_ops = {
        .next = seg_iter_next,
        .close = seg_iter_close,
};

/* A merged iterator over one range (a..b) or prefix (a) iterator per live
 * segment. */
kstream_err_t ks_seg_iter_new(segmented_t *s, bool is_prefix,
                                  const void *a, size_t alen, const void *b,
                                  size_t blen, ks_iter_t **out) {
    size_t n = s->nsegs, i;
    seg_iter_t *it;
    kstream_err_t err = KSTREAM_OK;

    if (n > ((size_t)PTRDIFF_MAX - sizeof(*it)) / sizeof(cursor_t))
        return KSTREAM_ERR_NO_MEMORY;
    it = calloc(1, sizeof(*it) + n * sizeof(cursor_t));
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    it->heap = calloc(n ? n : 1, sizeof(*it->heap));
    if (!it->heap) {
        free(it);
        return KSTREAM_ERR_NO_MEMORY;
    }
    for (i = 0; i < n; i++) {
        ks_store_t *st = s->segs[i]->store;
        if (is_prefix)
            err = st->ops->prefix(st, a, alen, &it->cur[i].it);
        else
            err = st->ops->range(st, a, alen, b, blen, &it->cur[i].it);
        if (err != KSTREAM_OK)
            break;
        it->cur[i].seg = s->segs[i];
        s->segs[i]->pins++;
    }
    if (err != KSTREAM_OK) {
        /* Nothing expires here, so no segment is dead. */
        seg_iter_release(s, it->cur, i);
        free(it->heap);
        free(it);
        return err;
    }
    it->base.ops = &seg_iter_ops;
    it->store = s;
    it->ncur = n;
    s->open_iters++;
    *out = &it->base;
    return KSTREAM_OK;
}

