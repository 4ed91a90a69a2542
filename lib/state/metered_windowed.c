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

kstream_err_t kstream_window_store_fetch(kstream_store_t *st, const void *key,
                                         size_t klen, int64_t time_from,
                                         int64_t time_to,
                                         kstream_iter_t **it) {
    kstream_iter_t *pit;
    kstream_err_t err;
    size_t nlo, nhi;

    if (!st || !key || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, false);
    if (err != KSTREAM_OK)
        return err;
    if (time_from < 0)
        time_from = 0;
    err = ks_ms_iter_new(st, ITER_WINDOW, key, klen, &pit);
    if (err != KSTREAM_OK)
        return err;
    pit->t_from = time_from;
    pit->t_to = time_to;
    if (time_to < time_from) {
        *it = pit; /* empty */
        return KSTREAM_OK;
    }
    err = key_room(&st->lo, klen, 8);
    if (err == KSTREAM_OK)
        err = key_room(&st->hi, klen, 8);
    if (err == KSTREAM_OK) {
        nlo = ks_wkey_encode(st->lo.data, key, klen, time_from);
        nhi = ks_wkey_encode(st->hi.data, key, klen, time_to);
        err = st->top->ops->range(st->top, st->lo.data, nlo, st->hi.data, nhi,
                                  &pit->it);
    }
    if (err != KSTREAM_OK) {
        ks_ms_iter_free(pit);
        return err;
    }
    *it = pit;
    return KSTREAM_OK;
}

kstream_err_t kstream_window_store_fetch_all(kstream_store_t *st,
                                             int64_t time_from,
                                             int64_t time_to,
                                             kstream_iter_t **it) {
    kstream_iter_t *pit;
    kstream_err_t err;

    if (!st || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_WINDOW, false);
    if (err != KSTREAM_OK)
        return err;
    if (time_from < 0)
        time_from = 0;
    err = ks_ms_iter_new(st, ITER_WINDOW, NULL, 0, &pit);
    if (err != KSTREAM_OK)
        return err;
    pit->t_from = time_from;
    pit->t_to = time_to;
    if (time_to < time_from) {
        *it = pit;
        return KSTREAM_OK;
    }
    err = st->top->ops->range(st->top, NULL, 0, NULL, 0, &pit->it);
    if (err != KSTREAM_OK) {
        ks_ms_iter_free(pit);
        return err;
    }
    *it = pit;
    return KSTREAM_OK;
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
    kstream_iter_t *pit;
    kstream_err_t err;
    size_t nlo, nhi;

    if (!st || !key || !it)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_SESSION, false);
    if (err != KSTREAM_OK)
        return err;
    if (earliest_end < 0)
        earliest_end = 0;
    err = ks_ms_iter_new(st, ITER_SESSION, key, klen, &pit);
    if (err != KSTREAM_OK)
        return err;
    pit->t_from = earliest_end;
    pit->t_to = latest_start;
    if (latest_start < 0) {
        *it = pit; /* every start is >= 0 */
        return KSTREAM_OK;
    }
    err = key_room(&st->lo, klen, 16);
    if (err == KSTREAM_OK)
        err = key_room(&st->hi, klen, 16);
    if (err == KSTREAM_OK) {
        /* Session keys sort by key, end, start. */
        nlo = ks_skey_encode(st->lo.data, key, klen, 0, earliest_end);
        nhi = ks_skey_encode(st->hi.data, key, klen, INT64_MAX, INT64_MAX);
        err = st->top->ops->range(st->top, st->lo.data, nlo, st->hi.data, nhi,
                                  &pit->it);
    }
    if (err != KSTREAM_OK) {
        ks_ms_iter_free(pit);
        return err;
    }
    *it = pit;
    return KSTREAM_OK;
}
