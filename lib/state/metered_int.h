/* metered_int.h - the public store handle's internals, shared by
 *   metered.c           the handle, iterators and key-value calls
 *   metered_windowed.c  the window and session store calls
 * See metered.c for what the handle does. */
#ifndef KS_STATE_METERED_INT_H
#define KS_STATE_METERED_INT_H

#include "state/store.h"
#include "util/util.h"

#define TS_LEN 8 /* the timestamp prefix of timestamped values */

typedef enum iter_kind { ITER_KV, ITER_WINDOW, ITER_SESSION } iter_kind_t;

struct kstream_iter_s {
    kstream_store_t *ps;
    kstream_iter_t *prev, *next; /* in ps->iters */
    ks_iter_t *it;               /* NULL: empty from the start */
    iter_kind_t kind;
    bool exact_key;         /* keep only entries of key[0..klen) */
    int64_t t_from, t_to;   /* window: start in [from, to]; session: end >=
                               from and start <= to */
    int64_t start, end;     /* bounds of the entry last returned, or -1 */
    size_t klen;
    uint8_t key[];
};

struct kstream_store_s {
    ks_store_t *top;
    char *name;
    kstream_store_type_t type;
    bool timestamped, read_only;
    int64_t window_size;
    const int64_t *ts_source; /* NULL: timestamped puts write 0 */
    bool has_log;
    ks_logger_t log;
    kstream_iter_t *iters; /* open iterators */
    size_t niters;
    ks_buf_t lo, hi; /* composite keys being built */
    ks_buf_t val;    /* a value with its timestamp prefix being built */
    ks_buf_t old;    /* the old value of the last delete */
};

/* Common checks of a call: handle, store type, read-only. */
kstream_err_t ks_ms_check(const kstream_store_t *ps, kstream_store_type_t type,
                          bool mutates);
/* Put and get through the stack, adding (put) and stripping (get) the
 * timestamp prefix of a timestamped store. */
kstream_err_t ks_ms_raw_put(kstream_store_t *ps, const void *key, size_t klen,
                            const void *value, size_t vlen);
kstream_err_t ks_ms_raw_get(kstream_store_t *ps, const void *key, size_t klen,
                            kstream_bytes_t *value);
/* A new iterator of ps, listed in ps->iters; key: keep only entries of
 * exactly that key (NULL: all). */
kstream_err_t ks_ms_iter_new(kstream_store_t *ps, iter_kind_t kind,
                             const void *key, size_t klen,
                             kstream_iter_t **out);
/* Unlist and free it (its inner iterator too). */
void ks_ms_iter_free(kstream_iter_t *it);

#endif /* KS_STATE_METERED_INT_H */
