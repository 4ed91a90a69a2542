/* segments.c - the segmented store under window and session stores (Kafka
 * Streams' AbstractSegments / KeyValueSegments and the segmented bytes
 * store over them): composite keys spread over time segments, each one
 * bottom store, so that retention drops whole segments instead of
 * deleting key by key.
 *
 * Time. key_time(key) is the time a key is filed under (window start,
 * session end); its segment is key_time / segment_interval, opened through
 * the owner's open function on the first put into it and named by the
 * segment id in decimal. The store tracks the observed stream time: the
 * largest time given to observe_time or carried by a key put (a delete is
 * a put). As in Kafka Streams a record expires exactly `retention` ms
 * after its time: it is live while
 *     key_time >= min_live = observed - retention + 1.
 * Expired records are invisible: get says NOT_FOUND, ranges skip them, and
 * puts of them are ignored (KSTREAM_OK, nothing written). A segment whose
 * whole span [id * interval, (id + 1) * interval) lies before min_live
 * holds nothing live: it is closed and the owner's drop function is called
 * with its name (to delete its files). approximate_count still counts
 * expired records of live segments.
 *
 * Ranges. Composite keys sort by record key first, so a range can hit
 * every segment: range and prefix open an iterator on every live segment
 * and merge them in key order through a binary min-heap (a key lives in one
 * segment only, as its time picks the segment, so there are no ties).
 * Merged iterators see what their segments' iterators see; segments
 * created after the iterator opened are not in it. An open iterator pins
 * its segments: a segment that expires meanwhile leaves the live set at
 * once but is closed (and dropped) only when the last iterator over it
 * closes, so iterators never read a closed store.
 *
 * Transactional state (store.h): under the transactional layer, key_live
 * tells the layer what get and put would make of a key (expired, no
 * time), so reads of buffered writes hide expired records and late writes
 * are dropped before they are buffered. commit_batch applies a commit
 * segment by segment (each segment's share atomic when the segment store
 * has commit_batch, RocksDB, with the offset in it) and records the offset
 * last, in memory.
 *
 * Live segments are kept sorted by id in an array: with Kafka's default
 * interval (max(retention / 2, 60 s)) there are about three, and
 * expiry removes from the front. One task, one thread: no locks. */
#include "state/segments_int.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void seg_name(char *buf, int64_t id) {
    snprintf(buf, SEG_NAME_MAX, "%" PRId64, id);
}

/* Oldest live time. observed >= -1 and retention >= 0: no overflow. */
static int64_t min_live(const segmented_t *s) {
    return s->observed - s->retention + 1;
}

bool ks_seg_is_expired(const segmented_t *s, int64_t t) {
    return t < min_live(s);
}

/* Close a segment's store and tell the owner it is gone. */
void ks_seg_destroy(segmented_t *s, seg_t *seg) {
    char name[SEG_NAME_MAX];

    assert(seg->pins == 0);
    seg->store->ops->close(seg->store);
    if (s->drop) {
        seg_name(name, seg->id);
        s->drop(s->opaque, name);
    }
    free(seg);
}

/* Remove from the live set the segments that hold nothing live any more:
 * those whose span ends at or before min_live. */
static void expire_segments(segmented_t *s) {
    int64_t ml = min_live(s);
    size_t n = 0, i;

    if (ml <= 0)
        return;
    /* Segment id ends at (id + 1) * interval <= ml  <=>  id < ml / interval
     * (ml > 0; floor division). */
    while (n < s->nsegs && s->segs[n]->id < ml / s->interval)
        n++;
    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        seg_t *seg = s->segs[i];
        if (seg->pins > 0)
            seg->dead = true;
        else
            ks_seg_destroy(s, seg);
    }
    memmove(s->segs, s->segs + n, (s->nsegs - n) * sizeof(*s->segs));
    s->nsegs -= n;
}

static void advance_time(segmented_t *s, int64_t t) {
    if (t <= s->observed)
        return;
    s->observed = t;
    expire_segments(s);
}

/* Index of the live segment with this id, or of where it would go. */
static size_t seg_find(const segmented_t *s, int64_t id, bool *found) {
    size_t lo = 0, hi = s->nsegs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->segs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < s->nsegs && s->segs[lo]->id == id;
    return lo;
}

static seg_t *seg_lookup(const segmented_t *s, int64_t id) {
    bool found;
    size_t i = seg_find(s, id, &found);

    return found ? s->segs[i] : NULL;
}

static kstream_err_t seg_get_or_open(segmented_t *s, int64_t id,
                                     seg_t **out) {
    char name[SEG_NAME_MAX];
    char errstr[256] = "";
    bool found;
    size_t i = seg_find(s, id, &found);
    seg_t *seg;

    if (found) {
        *out = s->segs[i];
        return KSTREAM_OK;
    }
    if (s->nsegs == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        seg_t **ns = realloc(s->segs, ncap * sizeof(*ns));
        if (!ns)
            return KSTREAM_ERR_NO_MEMORY;
        s->segs = ns;
        s->cap = ncap;
    }
    seg = calloc(1, sizeof(*seg));
    if (!seg)
        return KSTREAM_ERR_NO_MEMORY;
    seg_name(name, id);
    seg->id = id;
    seg->store = s->open(s->opaque, name, errstr, sizeof(errstr));
    if (!seg->store) {
        /* The owner's open function reports its own failures (errstr is
         * for it); the caller gets a store error. */
        free(seg);
        return KSTREAM_ERR_STORE;
    }
    memmove(s->segs + i + 1, s->segs + i, (s->nsegs - i) * sizeof(*s->segs));
    s->segs[i] = seg;
    s->nsegs++;
    *out = seg;
    return KSTREAM_OK;
}

/* ---- store operations ---------------------------------------------------- */

static kstream_err_t segd_get(ks_store_t *store, const void *key, size_t klen,
                              kstream_bytes_t *value) {
    segmented_t *s = (segmented_t *)store;
    int64_t t = s->key_time(key, klen);
    seg_t *seg;

    if (t < 0 || ks_seg_is_expired(s, t))
        return KSTREAM_ERR_NOT_FOUND;
    seg = seg_lookup(s, t / s->interval);
    if (!seg)
        return KSTREAM_ERR_NOT_FOUND;
    return seg->store->ops->get(seg->store, key, klen, value);
}

static kstream_err_t segd_put(ks_store_t *store, const void *key, size_t klen,
                              const void *value, size_t vlen) {
    segmented_t *s = (segmented_t *)store;
    int64_t t = s->key_time(key, klen);
    seg_t *seg;
    kstream_err_t err;

    if (t < 0)
        return KSTREAM_ERR_INVALID_ARG; /* no time in the key */
    advance_time(s, t);
    if (ks_seg_is_expired(s, t))
        return KSTREAM_OK; /* late: dropped, as Kafka Streams does */
    if (!value) {
        /* A delete never creates a segment. */
        seg = seg_lookup(s, t / s->interval);
        if (!seg)
            return KSTREAM_OK;
    } else {
        err = seg_get_or_open(s, t / s->interval, &seg);
        if (err != KSTREAM_OK)
            return err;
    }
    return seg->store->ops->put(seg->store, key, klen, value, vlen);
}

static uint64_t segd_approximate_count(ks_store_t *store) {
    segmented_t *s = (segmented_t *)store;
    uint64_t n = 0, c;
    size_t i;

    for (i = 0; i < s->nsegs; i++) {
        c = s->segs[i]->store->ops->approximate_count(s->segs[i]->store);
        n = c > UINT64_MAX - n ? UINT64_MAX : n + c;
    }
    return n;
}

static kstream_err_t segd_flush(ks_store_t *store) {
    segmented_t *s = (segmented_t *)store;
    kstream_err_t first = KSTREAM_OK, err;
    size_t i;

    /* Flush every segment even after a failure; report the first. */
    for (i = 0; i < s->nsegs; i++) {
        err = s->segs[i]->store->ops->flush(s->segs[i]->store);
        if (err != KSTREAM_OK && first == KSTREAM_OK)
            first = err;
    }
    return first;
}

static void segd_close(ks_store_t *store) {
    segmented_t *s = (segmented_t *)store;
    size_t i;

    /* Iterators must be closed first (they pin segments); so no segment is
     * dead-but-pinned here. Closing keeps the segments' data. */
    assert(s->open_iters == 0);
    for (i = 0; i < s->nsegs; i++) {
        s->segs[i]->store->ops->close(s->segs[i]->store);
        free(s->segs[i]);
    }
    free(s->segs);
    if (s->opaque_free)
        s->opaque_free(s->opaque);
    free(s);
}

static void segd_observe_time(ks_store_t *store, int64_t t) {
    advance_time((segmented_t *)store, t);
}

/* ---- transactional state (store.h, txn.c) -------------------------------- */

/* What segd_put and segd_get would make of key, for the layer above. */
static kstream_err_t segd_key_live(ks_store_t *store, const void *key,
                                   size_t klen, bool write) {
    segmented_t *s = (segmented_t *)store;
    int64_t t = s->key_time(key, klen);

    if (t < 0)
        return write ? KSTREAM_ERR_INVALID_ARG : KSTREAM_ERR_NOT_FOUND;
    if (write)
        advance_time(s, t);
    return ks_seg_is_expired(s, t) ? KSTREAM_ERR_NOT_FOUND : KSTREAM_OK;
}

typedef struct seg_op {
    int64_t id;
    size_t i; /* index in ops: keeps key order within a segment */
} seg_op_t;

static int seg_op_cmp(const void *a, const void *b) {
    const seg_op_t *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Apply ops[0..n) to one segment: its commit_batch when it has one (the
 * segment's share is then atomic, with the offset in it), else puts. */
static kstream_err_t seg_apply(seg_t *seg, const ks_txn_op_t *ops, size_t n,
                               int64_t offset) {
    ks_store_t *st = seg->store;
    kstream_err_t err = KSTREAM_OK;
    size_t i;

    if (st->ops->commit_batch)
        return st->ops->commit_batch(st, ops, n, offset);
    for (i = 0; i < n && err == KSTREAM_OK; i++)
        err = st->ops->put(st, ops[i].key, ops[i].klen, ops[i].value,
                           ops[i].vlen);
    return err;
}

/* Segment by segment, in id order; the store's offset is recorded last.
 * Expired writes are dropped, deletes open no segment (as segd_put). A
 * failure leaves the segments before it applied. */
static kstream_err_t segd_commit_batch(ks_store_t *store,
                                       const ks_txn_op_t *ops, size_t n,
                                       int64_t offset) {
    segmented_t *s = (segmented_t *)store;
    seg_op_t *order = NULL;
    ks_txn_op_t *run = NULL;
    size_t m = 0, a, b, i;
    kstream_err_t err = KSTREAM_OK;

    if (n > 0) {
        order = malloc(n * sizeof(*order));
        run = malloc(n * sizeof(*run));
        if (!order || !run) {
            free(order);
            free(run);
            return KSTREAM_ERR_NO_MEMORY;
        }
    }
    for (i = 0; i < n; i++) {
        int64_t t = s->key_time(ops[i].key, ops[i].klen);
        if (t < 0 || ks_seg_is_expired(s, t))
            continue;
        order[m].id = t / s->interval;
        order[m].i = i;
        m++;
    }
    if (m > 1)
        qsort(order, m, sizeof(*order), seg_op_cmp);
    for (a = 0; a < m && err == KSTREAM_OK; a = b) {
        bool any_put = false;
        seg_t *seg;

        for (b = a; b < m && order[b].id == order[a].id; b++) {
            run[b - a] = ops[order[b].i];
            any_put = any_put || ops[order[b].i].value != NULL;
        }
        seg = seg_lookup(s, order[a].id);
        if (!seg && !any_put)
            continue; /* deletes only, of a segment never opened */
        if (!seg)
            err = seg_get_or_open(s, order[a].id, &seg);
        if (err == KSTREAM_OK)
            err = seg_apply(seg, run, b - a, offset);
    }
    free(order);
    free(run);
    if (err == KSTREAM_OK)
        s->offset = offset;
    return err;
}

static int64_t segd_meta_offset(ks_store_t *store) {
    return ((segmented_t *)store)->offset;
}

static kstream_err_t segd_range(ks_store_t *store, const void *from,
                                size_t flen, const void *to, size_t tlen,
                                ks_iter_t **it) {
    return ks_seg_iter_new((segmented_t *)store, false, from, flen, to, tlen,
                        it);
}

static kstream_err_t segd_prefix(ks_store_t *store, const void *prefix,
                                 size_t plen, ks_iter_t **it) {
    return ks_seg_iter_new((segmented_t *)store, true, prefix, plen, NULL, 0,
                        it);
}

static const ks_store_ops_t segd_ops = {
        .kind = "segmented",
        .get = segd_get,
        .put = segd_put,
        .range = segd_range,
        .prefix = segd_prefix,
        .approximate_count = segd_approximate_count,
        .flush = segd_flush,
        .close = segd_close,
        .observe_time = segd_observe_time,
        .commit_batch = segd_commit_batch,
        .meta_offset = segd_meta_offset,
        .key_live = segd_key_live,
};

kstream_err_t ks_segmented_attach(ks_store_t *store, int64_t id) {
    seg_t *seg;

    if (!store || store->ops != &segd_ops || id < 0)
        return KSTREAM_ERR_INVALID_ARG;
    return seg_get_or_open((segmented_t *)store, id, &seg);
}

ks_store_t *ks_segmented_new(ks_store_open_fn *open, ks_store_drop_fn *drop,
                             void *opaque, void (*opaque_free)(void *),
                             int64_t retention, int64_t segment_interval,
                             ks_key_time_fn *key_time) {
    segmented_t *s;

    assert(open && key_time);
    assert(retention >= 0 && segment_interval > 0);
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base.ops = &segd_ops;
    s->base.inner = NULL; /* the segments are below, not one inner */
    s->open = open;
    s->drop = drop;
    s->opaque = opaque;
    s->opaque_free = opaque_free;
    s->key_time = key_time;
    s->retention = retention;
    s->interval = segment_interval;
    s->observed = -1;
    s->offset = -1;
    return &s->base;
}
