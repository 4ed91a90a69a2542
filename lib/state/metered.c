/* metered.c - the public store handle (Kafka Streams' MeteredKeyValueStore,
 * MeteredWindowStore, MeteredSessionStore, minus the metrics for now):
 * kstream_store_t over the top layer of a store stack, and the public
 * kstream_store_* and kstream_iter_* functions (kstream_window_store_*
 * and kstream_session_store_* are in metered_windowed.c).
 *
 * The handle checks arguments and the store's type, turns window and
 * session calls into composite-key calls (wkeys.c), strips (and on puts
 * adds) the 8-byte timestamp prefix of timestamped stores, and tracks the
 * iterators it handed out so that ks_pstore_close() can close the ones
 * left open (with a warning) before closing the stack.
 *
 * Window fetch ranges over [key|from .. key|to]; keys that merely start
 * with `key` (a longer key) can sort inside that range, so the iterator
 * also checks the decoded key. Session find ranges over
 * [key|earliest_end|0 .. key|max|max] (session keys sort by end, then
 * start) and keeps the sessions of exactly `key` with start <=
 * latest_start.
 *
 * Memory: values come borrowed from the layer below (valid until the next
 * call on the store); only delete copies the old value, because the delete
 * itself would free it. Encoding scratch buffers belong to the handle, so
 * steady-state calls do not allocate. */
#include "state/metered_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static void put_be64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v; /* byte by byte: one byte swap and store */

    p[0] = (uint8_t)(u >> 56);
    p[1] = (uint8_t)(u >> 48);
    p[2] = (uint8_t)(u >> 40);
    p[3] = (uint8_t)(u >> 32);
    p[4] = (uint8_t)(u >> 24);
    p[5] = (uint8_t)(u >> 16);
    p[6] = (uint8_t)(u >> 8);
    p[7] = (uint8_t)u;
}

/* Strip the timestamp prefix of a timestamped value. */
static kstream_err_t strip_ts(const kstream_store_t *ps, kstream_bytes_t *v) {
    if (!ps->timestamped)
        return KSTREAM_OK;
    if (v->len < TS_LEN)
        return KSTREAM_ERR_STORE; /* not written by a timestamped store */
    v->data = (const uint8_t *)v->data + TS_LEN;
    v->len -= TS_LEN;
    return KSTREAM_OK;
}

/* The value to write below: with the timestamp prefix when timestamped. */
static kstream_err_t wrap_ts(kstream_store_t *ps, const void **value,
                             size_t *vlen) {
    int64_t ts;

    if (!ps->timestamped || !*value)
        return KSTREAM_OK;
    ts = ps->ts_source ? *ps->ts_source : 0;
    ps->val.len = 0;
    if (*vlen > SIZE_MAX - TS_LEN ||
        ks_buf_reserve(&ps->val, TS_LEN + *vlen) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    put_be64(ps->val.data, ts < 0 ? 0 : ts);
    if (*vlen > 0)
        memcpy(ps->val.data + TS_LEN, *value, *vlen);
    ps->val.len = TS_LEN + *vlen;
    *value = ps->val.data;
    *vlen = ps->val.len;
    return KSTREAM_OK;
}

kstream_err_t ks_ms_check(const kstream_store_t *ps, kstream_store_type_t type,
                          bool mutates) {
    if (!ps || ps->type != type)
        return KSTREAM_ERR_INVALID_ARG;
    if (mutates && ps->read_only)
        return KSTREAM_ERR_STATE;
    return KSTREAM_OK;
}

kstream_err_t ks_ms_raw_put(kstream_store_t *ps, const void *key, size_t klen,
                            const void *value, size_t vlen) {
    kstream_err_t err = wrap_ts(ps, &value, &vlen);

    if (err != KSTREAM_OK)
        return err;
    return ps->top->ops->put(ps->top, key, klen, value, vlen);
}

kstream_err_t ks_ms_raw_get(kstream_store_t *ps, const void *key, size_t klen,
                            kstream_bytes_t *value) {
    kstream_err_t err = ps->top->ops->get(ps->top, key, klen, value);

    if (err != KSTREAM_OK)
        return err;
    return strip_ts(ps, value);
}

/* ---- iterators ------------------------------------------------------------ */

kstream_err_t ks_ms_iter_new(kstream_store_t *ps, iter_kind_t kind,
                             const void *key, size_t klen,
                             kstream_iter_t **out) {
    kstream_iter_t *it;

    if (klen > (size_t)PTRDIFF_MAX - sizeof(*it))
        return KSTREAM_ERR_NO_MEMORY;
    it = calloc(1, sizeof(*it) + klen);
    if (!it)
        return KSTREAM_ERR_NO_MEMORY;
    it->ps = ps;
    it->kind = kind;
    it->start = it->end = -1;
    if (key) {
        it->exact_key = true;
        it->klen = klen;
        if (klen > 0)
            memcpy(it->key, key, klen);
    }
    it->next = ps->iters;
    if (ps->iters)
        ps->iters->prev = it;
    ps->iters = it;
    ps->niters++;
    *out = it;
    return KSTREAM_OK;
}

void ks_ms_iter_free(kstream_iter_t *it) {
    kstream_store_t *ps = it->ps;

    if (it->prev)
        it->prev->next = it->next;
    else
        ps->iters = it->next;
    if (it->next)
        it->next->prev = it->prev;
    ps->niters--;
    if (it->it)
        it->it->ops->close(it->it);
    free(it);
}

static bool iter_key_ok(const kstream_iter_t *it, kstream_bytes_t k) {
    return !it->exact_key ||
           (k.len == it->klen &&
            (k.len == 0 || memcmp(k.data, it->key, k.len) == 0));
}

static int64_t add_sat(int64_t a, int64_t b) {
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

kstream_err_t kstream_iter_next(kstream_iter_t *it, kstream_bytes_t *key,
                                kstream_bytes_t *value) {
    kstream_bytes_t k, v;
    kstream_err_t err;

    if (!it || !key || !value)
        return KSTREAM_ERR_INVALID_ARG;
    if (!it->it)
        return KSTREAM_ERR_EMPTY;
    for (;;) {
        int64_t start, end;
        err = it->it->ops->next(it->it, &k, &v);
        if (err != KSTREAM_OK)
            return err;
        if (it->kind == ITER_WINDOW) {
            if (!ks_wkey_decode(k.data, k.len, &k, &start))
                continue; /* not a window key: cannot be ours */
            if (!iter_key_ok(it, k) || start < it->t_from ||
                start > it->t_to)
                continue;
            end = add_sat(start, it->ps->window_size);
        } else if (it->kind == ITER_SESSION) {
            if (!ks_skey_decode(k.data, k.len, &k, &start, &end))
                continue;
            if (!iter_key_ok(it, k) || end < it->t_from || start > it->t_to)
                continue;
        } else {
            start = end = -1;
        }
        err = strip_ts(it->ps, &v);
        if (err != KSTREAM_OK)
            return err;
        it->start = start;
        it->end = end;
        *key = k;
        *value = v;
        return KSTREAM_OK;
    }
}

kstream_err_t kstream_iter_window(const kstream_iter_t *it, int64_t *start,
                                  int64_t *end) {
    if (!it || !start || !end)
        return KSTREAM_ERR_INVALID_ARG;
    *start = it->start;
    *end = it->end;
    return KSTREAM_OK;
}

void kstream_iter_close(kstream_iter_t *it) {
    if (it)
        ks_ms_iter_free(it);
}

/* ---- the handle ----------------------------------------------------------- */

kstream_store_t *ks_pstore_new(ks_store_t *top, const char *name,
                               kstream_store_type_t type, bool timestamped,
                               bool read_only, int64_t window_size,
                               const int64_t *ts_source,
                               const ks_logger_t *log) {
    kstream_store_t *ps = calloc(1, sizeof(*ps));

    if (!ps)
        return NULL;
    ps->name = ks_strdup(name ? name : "");
    if (!ps->name) {
        free(ps);
        return NULL;
    }
    ps->top = top;
    ps->type = type;
    ps->timestamped = timestamped;
    ps->read_only = read_only;
    ps->window_size = window_size < 0 ? 0 : window_size;
    ps->ts_source = ts_source;
    if (log) {
        ps->has_log = true;
        ps->log = *log;
    }
    ks_buf_init(&ps->lo, NULL);
    ks_buf_init(&ps->hi, NULL);
    ks_buf_init(&ps->val, NULL);
    ks_buf_init(&ps->old, NULL);
    return ps;
}

ks_store_t *ks_pstore_stack(kstream_store_t *ps) {
    return ps->top;
}

/* Close the iterators left open and free the handle; when close_stack,
 * close the stack under it too. */
static void pstore_free(kstream_store_t *ps, bool close_stack) {
    if (ps->niters > 0) {
        if (ps->has_log)
            ks_log(&ps->log, KS_LOG_WARNING, "STORE",
                   "store '%s': closing %zu iterator(s) left open", ps->name,
                   ps->niters);
        while (ps->iters)
            ks_ms_iter_free(ps->iters);
    }
    if (close_stack)
        ps->top->ops->close(ps->top);
    ks_buf_free(&ps->lo);
    ks_buf_free(&ps->hi);
    ks_buf_free(&ps->val);
    ks_buf_free(&ps->old);
    free(ps->name);
    free(ps);
}

void ks_pstore_close(kstream_store_t *ps) {
    if (ps)
        pstore_free(ps, true);
}

void ks_pstore_release(kstream_store_t *ps) {
    if (ps)
        pstore_free(ps, false);
}

int kstream_store_type(const kstream_store_t *st) {
    return st ? (int)st->type : -1;
}

const char *kstream_store_name(const kstream_store_t *st) {
    return st ? st->name : NULL;
}

/* ---- key-value stores ---------------------------------------------------- */

kstream_err_t kstream_store_get(kstream_store_t *st, const void *key,
                                size_t klen, kstream_bytes_t *value) {
    kstream_err_t err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, false);

    if (err != KSTREAM_OK)
        return err;
    if (!key || !value)
        return KSTREAM_ERR_INVALID_ARG;
    return ks_ms_raw_get(st, key, klen, value);
}

kstream_err_t kstream_store_put(kstream_store_t *st, const void *key,
                                size_t klen, const void *value, size_t vlen) {
    kstream_err_t err;

    if (!st || !key)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, true);
    if (err != KSTREAM_OK)
        return err;
    return ks_ms_raw_put(st, key, klen, value, vlen);
}

kstream_err_t kstream_store_put_if_absent(kstream_store_t *st,
                                          const void *key, size_t klen,
                                          const void *value, size_t vlen,
                                          kstream_bytes_t *existing) {
    kstream_bytes_t cur;
    kstream_err_t err;

    if (!st || !key)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, true);
    if (err != KSTREAM_OK)
        return err;
    err = ks_ms_raw_get(st, key, klen, &cur);
    if (err == KSTREAM_OK) {
        if (existing)
            *existing = cur;
        return KSTREAM_ERR_DUPLICATE_NAME;
    }
    if (err != KSTREAM_ERR_NOT_FOUND)
        return err;
    if (existing) {
        existing->data = NULL;
        existing->len = 0;
    }
    return ks_ms_raw_put(st, key, klen, value, vlen);
}

kstream_err_t kstream_store_delete(kstream_store_t *st, const void *key,
                                   size_t klen, kstream_bytes_t *old) {
    kstream_bytes_t cur;
    kstream_err_t err;

    if (!st || !key)
        return KSTREAM_ERR_INVALID_ARG;
    err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, true);
    if (err != KSTREAM_OK)
        return err;
    /* A delete of an absent key writes nothing (no tombstone either). */
    err = ks_ms_raw_get(st, key, klen, &cur);
    if (err != KSTREAM_OK)
        return err;
    if (old) {
        /* Copied: the delete frees the store's copy. */
        st->old.len = 0;
        if (ks_buf_reserve(&st->old, 1) != 0 ||
            (cur.len > 0 && ks_buf_append(&st->old, cur.data, cur.len) != 0))
            return KSTREAM_ERR_NO_MEMORY;
    }
    err = st->top->ops->put(st->top, key, klen, NULL, 0);
    if (err != KSTREAM_OK)
        return err;
    if (old) {
        old->data = st->old.data;
        old->len = st->old.len;
    }
    return KSTREAM_OK;
}

/* Track and return a key-value iterator over ks_it. */
static kstream_err_t kv_iter(kstream_store_t *st, ks_iter_t *ks_it,
                             kstream_iter_t **it) {
    kstream_err_t err = ks_ms_iter_new(st, ITER_KV, NULL, 0, it);

    if (err != KSTREAM_OK) {
        ks_it->ops->close(ks_it);
        return err;
    }
    (*it)->it = ks_it;
    return KSTREAM_OK;
}

kstream_err_t kstream_store_range(kstream_store_t *st, const void *from,
                                  size_t flen, const void *to, size_t tlen,
                                  kstream_iter_t **it) {
    kstream_err_t err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, false);
    ks_iter_t *ks_it;

    if (err != KSTREAM_OK)
        return err;
    if (!it)
        return KSTREAM_ERR_INVALID_ARG;
    err = st->top->ops->range(st->top, from, from ? flen : 0, to,
                              to ? tlen : 0, &ks_it);
    if (err != KSTREAM_OK)
        return err;
    return kv_iter(st, ks_it, it);
}

kstream_err_t kstream_store_prefix(kstream_store_t *st, const void *prefix,
                                   size_t plen, kstream_iter_t **it) {
    static const uint8_t empty[1];
    kstream_err_t err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, false);
    ks_iter_t *ks_it;

    if (err != KSTREAM_OK)
        return err;
    if (!it || (!prefix && plen > 0))
        return KSTREAM_ERR_INVALID_ARG;
    err = st->top->ops->prefix(st->top, prefix ? prefix : empty, plen,
                               &ks_it);
    if (err != KSTREAM_OK)
        return err;
    return kv_iter(st, ks_it, it);
}

kstream_err_t kstream_store_all(kstream_store_t *st, kstream_iter_t **it) {
    return kstream_store_range(st, NULL, 0, NULL, 0, it);
}

kstream_err_t kstream_store_approximate_count(kstream_store_t *st,
                                              uint64_t *count) {
    kstream_err_t err = ks_ms_check(st, KSTREAM_STORE_KEY_VALUE, false);

    if (err != KSTREAM_OK)
        return err;
    if (!count)
        return KSTREAM_ERR_INVALID_ARG;
    *count = st->top->ops->approximate_count(st->top);
    return KSTREAM_OK;
}
