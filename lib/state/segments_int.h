/* segments_int.h - the segmented store's internals, shared by
 *   segments.c       segments, time, store operations, transactions
 *   segments_iter.c  the merged iterators (range, prefix)
 * See segments.c for the design. */
#ifndef KS_STATE_SEGMENTS_INT_H
#define KS_STATE_SEGMENTS_INT_H

#include "state/store.h"

/* "-9223372036854775808" and a NUL */
#define SEG_NAME_MAX 21

typedef struct seg {
    int64_t id;
    ks_store_t *store;
    unsigned pins; /* open iterators over this segment */
    bool dead;     /* expired while pinned: close at the last unpin */
} seg_t;

typedef struct segmented {
    ks_store_t base;
    ks_store_open_fn *open;
    ks_store_drop_fn *drop; /* may be NULL */
    void *opaque;
    void (*opaque_free)(void *);
    ks_key_time_fn *key_time;
    int64_t retention;
    int64_t interval;
    int64_t observed; /* stream time seen; -1 before any */
    seg_t **segs;     /* live segments, ascending id */
    size_t nsegs, cap;
    unsigned open_iters;
    int64_t offset; /* recorded by commit_batch (memory only); -1: none */
} segmented_t;

/* Whether a key filed at time t has expired (segments.c). */
bool ks_seg_is_expired(const segmented_t *s, int64_t t);
/* Close a segment and drop its files (segments.c). */
void ks_seg_destroy(segmented_t *s, seg_t *seg);
/* A merged iterator over every live segment (segments_iter.c). */
kstream_err_t ks_seg_iter_new(segmented_t *s, bool is_prefix,
                              const void *from, size_t flen, const void *to,
                              size_t tlen, ks_iter_t **out);

#endif /* KS_STATE_SEGMENTS_INT_H */
