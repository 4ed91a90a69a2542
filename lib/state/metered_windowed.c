/* metered_windowed.c - the window and session store calls of the public
 * store handle (metered.c): each turns its key and times into the
 * composite keys of wkeys.c and ranges over them (see metered.c for the
 * ranges and the exact-key check). */
#include "state/metered_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- window stores --------------------------------------------------------- */

/* Room for a composite key of klen + extra bytes in b. */
static kstream_err_t key_room(ks_buf_t *b, size_t klen, size_t extra) {
    b->len = 0;
    if (klen > SIZE_MAX - extra || ks_buf_reserve(b, klen + extra) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

kstream_err_t kstream_window_store_put(kstream_store_t *st, const void *key,
                                       size_t klen, int64_t window_start,
                                       const void *value, size_t vlen) {
    kstream_err_t err;
    size_t n;

    if (!st || !key || window_start < 0)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, true);
    if (err != KSTREAM_OK)
        return err;
    err = key_room(&st->lo, klen, 8);
    if (err != KSTREAM_OK)
        return err;
    n = ks_wkey_encode(st->lo.data, key, klen, window_start);
    return ks_ms_raw_put(st, st->lo.data, n, value, vlen);
}

kstream_err_t kstream_window_store_get(kstream_store_t *st, const void *key,
                                       size_t klen, int64_t window_start,
                                       kstream_bytes_t *value) {
    kstream_err_t err;
    size_t n;

    if (!st || !key || !value)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, false);
    if (err != KSTREAM_OK)
        return err;
    if (window_start < 0)
        return KSTREAM_ERR_NOT_FOUND;
    err = key_room(&st->lo, klen, 8);
    if (err != KSTREAM_OK)
        return err;
    n = ks_wkey_encode(st->lo.data, key, klen, window_start);
    return ks_ms_raw_get(st, st->lo.data, n, value);
}

/* An iterator of kind keeping the records whose times fall in [t_from,
 * t_to] (see metered.c), over the range from st->lo's first nlo bytes to
 * st->hi's first nhi bytes when bounded, else over the whole store; empty:
 * no range at all. */
static kstream_err_t timed_iter(kstream_store_t *st, iter_kind_t kind,
                                const void *key, size_t klen, int64_t t_from,
                                int64_t t_to, bool empty, size_t nlo,
                                size_t nhi, bool bounded,
                                kstream_iter_t **it) {
    kstream_iter_t *pit;
    kstream_err_t err = ks_ms_iter_new(st, kind, key, klen, &pit);

    if (err != KSTREAM_OK)
        return err;
    pit->t_from = t_from;
    pit->t_to = t_to;
    if (!empty) {
        err = st->top->ops->range(st->top, bounded ? st->lo.data : NULL,
                                  bounded ? nlo : 0,
                                  bounded ? st->hi.data : NULL,
                                  bounded ? nhi : 0, &pit->it);
        if (err != KSTREAM_OK) {
            ks_ms_iter_free(pit);
            return err;
        }
    }
    *it = pit;
    return KSTREAM_OK;
}

kstream_err_t kstream_window_store_fetch(kstream_store_t *st, const void *key,
                                         size_t klen, int64_t time_from,
                                         int64_t time_to,
                                         kstream_iter_t **it) {
    kstream_err_t err;
    size_t nlo = 0, nhi = 0;
    bool empty;

    if (!st || !key || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, false);
    if (err != KSTREAM_OK)
        return err;
    if (time_from < 0)
        time_from = 0;
    empty = time_to < time_from;
    if (!empty) {
        err = key_room(&st->lo, klen, 8);
        if (err == KSTREAM_OK)
            err = key_room(&st->hi, klen, 8);
        if (err != KSTREAM_OK)
            return err;
        nlo = ks_wkey_encode(st->lo.data, key, klen, time_from);
        nhi = ks_wkey_encode(st->hi.data, key, klen, time_to);
    }
    return timed_iter(st, ITER_WINDOW, key, klen, time_from, time_to, empty,
                      nlo, nhi, true, it);
}

kstream_err_t kstream_window_store_fetch_all(kstream_store_t *st,
                                             int64_t time_from,
                                             int64_t time_to,
                                             kstream_iter_t **it) {
    kstream_err_t err;

    if (!st || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, false);
    if (err != KSTREAM_OK)
        return err;
    if (time_from < 0)
        time_from = 0;
    return timed_iter(st, ITER_WINDOW, NULL, 0, time_from, time_to,
                      time_to < time_from, 0, 0, false, it);
}

/* ---- session stores -------------------------------------------------------- */

kstream_err_t kstream_session_store_put(kstream_store_t *st, const void *key,
                                        size_t klen, int64_t start,
                                        int64_t end, const void *value,
                                        size_t vlen) {
    kstream_err_t err;
    size_t n;

    if (!st || !key || start < 0 || end < start)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_SESSION, true);
    if (err != KSTREAM_OK)
        return err;
    err = key_room(&st->lo, klen, 16);
    if (err != KSTREAM_OK)
        return err;
    n = ks_skey_encode(st->lo.data, key, klen, start, end);
    return ks_ms_raw_put(st, st->lo.data, n, value, vlen);
}

kstream_err_t kstream_session_store_find(kstream_store_t *st, const void *key,
                                         size_t klen, int64_t earliest_end,
                                         int64_t latest_start,
                                         kstream_iter_t **it) {
    kstream_err_t err;
    size_t nlo = 0, nhi = 0;
    bool empty = latest_start < 0; /* every start is >= 0 */

    if (!st || !key || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_SESSION, false);
    if (err != KSTREAM_OK)
        return err;
    if (earliest_end < 0)
        earliest_end = 0;
    if (!empty) {
        err = key_room(&st->lo, klen, 16);
        if (err == KSTREAM_OK)
            err = key_room(&st->hi, klen, 16);
        if (err != KSTREAM_OK)
            return err;
        /* Session keys sort by key, end, start. */
        nlo = ks_skey_encode(st->lo.data, key, klen, 0, earliest_end);
        nhi = ks_skey_encode(st->hi.data, key, klen, INT64_MAX, INT64_MAX);
    }
    return timed_iter(st, ITER_SESSION, key, klen, earliest_end,
                      latest_start, empty, nlo, nhi, true, it);
}
