/* suppress.c - table suppression (Kafka Streams' KTableSuppressProcessor
 * over an InMemoryTimeOrderedKeyValueBuffer): hold each key's latest
 * update in a buffer and emit it once it is due.
 *
 * Due time of a key, fixed when the key enters the buffer (Kafka's
 * "non-resetting" buffer: later updates replace the value, not the
 * place):
 *   - until the time limit: the timestamp of the key's first buffered
 *     update + the limit (Kafka's RecordTimeDefinition);
 *   - until the window closes: the window's end + grace (Kafka's
 *     WindowEndTimeDefinition with the grace GraphGraceSearchUtil finds),
 *     from the windowed key: time windows end at start + size; session
 *     windows (key + end + start) at end, and wait gap + grace as in
 *     Kafka. Sliding and session windows have inclusive ends and the
 *     aggregations here still take records at end + grace (+ gap), so
 *     they are due 1 ms later: once the aggregation cannot change them.
 * An entry is emitted when stream time >= its due time, oldest due first
 * (ties in key byte order, as Kafka's BufferKey).
 *
 * Time: process() uses the node's observed time, the largest timestamp
 * it has seen (Kafka's observedStreamTime). The advance hook
 * (ks_proc_class.advance: after each record) uses the task's stream time,
 * so windows also close on records that do not reach this node. When the
 * input table's store is cached, its updates arrive late (on eviction or
 * commit), and the task's stream time may pass a window while its latest
 * update is still in the cache: then the hook waits for an idle advance
 * (which flushes caches first) and process() alone follows Kafka's order.
 *
 * Idle advance (window.idle.close.ms, runtime/idle.c: the task's stream
 * time stays, env->idle_base is it and env->idle_time the time the
 * windows open then close as at): the hook runs with idle_time and emits
 * the entries due by stream time, and those buffered now that are due by
 * idle_time and whose window started by idle_base (until the time limit:
 * every buffered entry due by idle_time), all in due order. Those are the
 * windows the aggregation now treats as closed. Entries buffered later
 * are due by stream time only: new windows start after idle_base, and a
 * record for a window the advance closed is late upstream.
 *
 * Emitted: (key, latest value, prior value) with the timestamp of the
 * latest update. The prior value is the input's old value when the key
 * was first buffered, i.e. what downstream last saw (Kafka's BufferValue
 * priorValue; Kafka's eviction forwards the latest update's old value
 * instead, which downstream never saw when updates were suppressed).
 * Tombstones: until the time limit they are buffered and emitted like
 * values. Until the window closes none is ever emitted (Kafka's
 * safeToDropTombstones for final results): a tombstone (a session merged
 * away) drops what is buffered for the window.
 *
 * Bounds: max_records / max_bytes (0: unbounded); an entry counts its key,
 * latest value, prior value and 25 bytes. After each update, due entries
 * are emitted; if the buffer is still over a bound, EMIT_EARLY emits the
 * oldest entries until it is not, and FAIL fails the update with
 * KSTREAM_ERR_TOO_LARGE (the update stays buffered, as in Kafka; with the
 * processing handler's "continue" the next update fails again until
 * entries fall due). Kafka allows only unbounded or shut-down buffers for
 * final results; here EMIT_EARLY works there too, and what it emits early
 * is not final.
 *
 * The buffer is the key-value store `store` (changelogged, not cached):
 * key -> 8-byte BE timestamp | 8-byte BE due time | flags (1: value,
 * 2: prior) | 8-byte BE prior length | prior | value. An index in memory
 * (hash by key + min-heap by due time, keys only) orders it; init rebuilds
 * it from the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor/suppress_int.h"
#include "state/store.h"

#define SUP_HDR 25 /* ts + due + flags + prior length */
#define SUP_HAS_VALUE 1
#define SUP_HAS_PRIOR 2

/* ---- buffered values ------------------------------------------------------- */
typedef struct sup_value {
    int64_t ts, due;
    const void *value; /* NULL: tombstone */
    size_t vlen;
    const void *prior; /* NULL: none */
    size_t plen;
} sup_value_t;

static bool value_decode(const void *raw, size_t len, sup_value_t *v)
{
    const uint8_t *p = raw;
    if (len < SUP_HDR)
        return false;
    uint8_t flags = p[16];
    uint64_t plen = (uint64_t)ks_get_be64(p + 17);
    if (plen > len - SUP_HDR)
        return false;
    v->ts = ks_get_be64(p);
    v->due = ks_get_be64(p + 8);
    v->prior = flags & SUP_HAS_PRIOR ? p + SUP_HDR : NULL;
    v->plen = flags & SUP_HAS_PRIOR ? (size_t)plen : 0;
    v->value = flags & SUP_HAS_VALUE ? p + SUP_HDR + plen : NULL;
    v->vlen = flags & SUP_HAS_VALUE ? len - SUP_HDR - (size_t)plen : 0;
    return true;
}

/* Encode into the arena; NULL on out-of-memory. */
static void *value_encode(ks_arena_t *arena, const sup_value_t *v,
                          size_t *len)
{
    size_t n = SUP_HDR + v->plen + v->vlen;
    uint8_t *p = ks_arena_alloc(arena, n);
    if (!p)
        return NULL;
    ks_put_be64(p, v->ts);
    ks_put_be64(p + 8, v->due);
    p[16] = (uint8_t)((v->value ? SUP_HAS_VALUE : 0) |
                      (v->prior ? SUP_HAS_PRIOR : 0));
    ks_put_be64(p + 17, (int64_t)v->plen);
    if (v->plen)
        memcpy(p + SUP_HDR, v->prior, v->plen);
    if (v->vlen)
        memcpy(p + SUP_HDR + v->plen, v->value, v->vlen);
    *len = n;
    return p;
}

/* ---- the node -------------------------------------------------------------- */
typedef struct sup_state {
    ks_task_store_t *ts; /* the buffer */
    ks_task_store_t *up; /* the input table's store, or NULL */
    sup_index_t ix;
    int64_t observed; /* largest timestamp seen; -1: none */
} sup_state_t;

static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The due time of a key entering the buffer with an update at ts; false
 * for a key that is not a windowed key of the table's windows. */
static bool due_of(const ks_suppress_params_t *p, const void *key,
                   size_t klen, int64_t ts, int64_t *due)
{
    const kstream_windows_t *w = &p->windows;
    kstream_bytes_t k;
    int64_t start, end;
    if (!p->until_window_closes) {
        *due = add_sat(ts < 0 ? 0 : ts, p->time_limit);
        return true;
    }
    if (w->kind == 4) {
        if (!ks_skey_decode(key, klen, &k, &start, &end))
            return false;
        *due = add_sat(add_sat(add_sat(end, w->size_ms), w->grace_ms), 1);
        return true;
    }
    if (!ks_wkey_decode(key, klen, &k, &start))
        return false;
    end = add_sat(start, w->size_ms);
    *due = add_sat(end, w->grace_ms);
    if (w->kind == 3)
        *due = add_sat(*due, 1);
    return true;
}

/* Read key's buffered value into the arena. */
static kstream_err_t buf_read(kstream_ctx_t *ctx, sup_state_t *st,
                              const void *key, size_t klen, sup_value_t *v)
{
    ks_store_t *top = ks_pstore_stack(st->ts->ps);
    kstream_bytes_t raw;
    kstream_err_t err = top->ops->get(top, key, klen, &raw);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING,
                       err == KSTREAM_ERR_NOT_FOUND ? KSTREAM_ERR_STORE : err,
                       "reading suppression buffer '%s' failed: %s",
                       st->ts->def->name, kstream_err2str(err));
    void *copy = ks_arena_memdup(ctx->env->arena, raw.data, raw.len);
    if (!copy)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    if (!value_decode(copy, raw.len, v))
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_STORE,
                       "suppression buffer '%s' holds a malformed entry",
                       st->ts->def->name);
    return KSTREAM_OK;
}

static kstream_err_t buf_put(kstream_ctx_t *ctx, sup_state_t *st,
                             const void *key, size_t klen, const void *value,
                             size_t vlen)
{
    ks_store_t *top = ks_pstore_stack(st->ts->ps);
    kstream_err_t err = top->ops->put(top, key, klen, value, vlen);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "writing suppression buffer '%s' failed: %s",
                       st->ts->def->name, kstream_err2str(err));
    return KSTREAM_OK;
}

/* Emit entry e and remove it from the buffer. */
static kstream_err_t emit_entry(kstream_ctx_t *ctx, sup_state_t *st,
                                sup_entry_t *e)
{
    const ks_suppress_params_t *p = ctx->node->params;
    size_t klen = e->klen;
    void *key = ks_arena_memdup(ctx->env->arena, e->key, klen);
    if (!key)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    sup_value_t v;
    kstream_err_t err = buf_read(ctx, st, key, klen, &v);
    if (err)
        return err;
    /* Out of the buffer before forwarding: downstream may cause updates
     * to reach this node again (cache evictions upstream). */
    ks_sup_ix_remove(&st->ix, e);
    err = buf_put(ctx, st, key, klen, NULL, 0);
    if (err)
        return err;
    if (!v.value && p->until_window_closes)
        return KSTREAM_OK;
    int64_t saved = ctx->env->cur_ts;
    ctx->env->cur_ts = v.ts;
    err = ks_forward_change(ctx, key, klen, v.value, v.vlen, v.prior,
                            v.plen, v.ts);
    ctx->env->cur_ts = saved;
    return err;
}

/* Emit the entry due first and remove it from the buffer. */
static kstream_err_t emit_first(kstream_ctx_t *ctx, sup_state_t *st)
{
    return emit_entry(ctx, st, st->ix.heap[0]);
}

static kstream_err_t emit_due(kstream_ctx_t *ctx, sup_state_t *st,
                              int64_t now)
{
    while (st->ix.count && st->ix.heap[0]->due <= now) {
        kstream_err_t err = emit_first(ctx, st);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

static bool over(const ks_suppress_params_t *p, const sup_index_t *ix)
{
    return (p->max_records && ix->count > p->max_records) ||
           (p->max_bytes && ix->bytes > p->max_bytes);
}

/* Kafka's enforceConstraints: emit what is due, then apply the bounds. */
static kstream_err_t enforce(kstream_ctx_t *ctx, sup_state_t *st,
                             int64_t now)
{
    const ks_suppress_params_t *p = ctx->node->params;
    kstream_err_t err = emit_due(ctx, st, now);
    if (err || !over(p, &st->ix))
        return err;
    if (p->when_full == KSTREAM_BUFFER_FAIL)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_TOO_LARGE,
                       "suppression buffer '%s' is full: %llu records "
                       "(max %llu), %llu bytes (max %llu)",
                       st->ts->def->name, (unsigned long long)st->ix.count,
                       (unsigned long long)p->max_records,
                       (unsigned long long)st->ix.bytes,
                       (unsigned long long)p->max_bytes);
    while (!err && st->ix.count && over(p, &st->ix))
        err = emit_first(ctx, st);
    return err;
}

/* Whether e's window started by base (an entry of a suppression until
 * the time limit: always). */
static bool started_by(const ks_suppress_params_t *p, const sup_entry_t *e,
                       int64_t base)
{
    kstream_bytes_t k;
    int64_t start, end;
    if (!p->until_window_closes)
        return true;
    if (p->windows.kind == 4) {
        if (!ks_skey_decode(e->key, e->klen, &k, &start, &end))
            return false;
    } else if (!ks_wkey_decode(e->key, e->klen, &k, &start)) {
        return false;
    }
    return start <= base;
}

static int entry_cmp(const void *a, const void *b)
{
    const sup_entry_t *x = *(sup_entry_t *const *)a;
    const sup_entry_t *y = *(sup_entry_t *const *)b;
    return ks_sup_entry_less(x, y) ? -1 : ks_sup_entry_less(y, x) ? 1 : 0;
}

/* A key to emit on an idle advance. */
typedef struct sup_pick {
    const void *key;
    size_t klen;
    int64_t due;
} sup_pick_t;

/* On an idle advance to idle_time t (see the top): emit the entries due
 * by stream time, and those due by t whose window started by
 * env->idle_base, in due order. */
static kstream_err_t emit_idle(kstream_ctx_t *ctx, sup_state_t *st,
                               int64_t t)
{
    const ks_suppress_params_t *p = ctx->node->params;
    const ks_task_env_t *env = ctx->env;
    size_t n = st->ix.count;
    if (n == 0 || st->ix.heap[0]->due > t)
        return KSTREAM_OK;
    ks_arena_t *arena = env->arena;
    size_t *stack = ks_arena_alloc(arena, n * sizeof(*stack));
    sup_entry_t **picked = ks_arena_alloc(arena, n * sizeof(*picked));
    if (!stack || !picked)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    /* The heap's entries due by t: the subtrees of those due later hold
     * none. */
    size_t sp = 0, np = 0;
    stack[sp++] = 0;
    while (sp) {
        size_t i = stack[--sp];
        sup_entry_t *e = st->ix.heap[i];
        if (e->due > t)
            continue;
        if (e->due <= env->stream_time || started_by(p, e, env->idle_base))
            picked[np++] = e;
        for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < n; c++)
            stack[sp++] = c;
    }
    qsort(picked, np, sizeof(*picked), entry_cmp);
    /* Keys, not entries: forwarding may change the buffer (see
     * emit_entry). */
    sup_pick_t *keys = ks_arena_alloc(arena, (np ? np : 1) * sizeof(*keys));
    if (!keys)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    for (size_t i = 0; i < np; i++) {
        keys[i].klen = picked[i]->klen;
        keys[i].due = picked[i]->due;
        keys[i].key = ks_arena_memdup(arena, picked[i]->key,
                                      picked[i]->klen);
        if (!keys[i].key && keys[i].klen)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
    }
    for (size_t i = 0; i < np; i++) {
        sup_entry_t *e = ks_sup_ix_find(
                &st->ix, keys[i].key, keys[i].klen,
                ks_hash_bytes(keys[i].key, keys[i].klen));
        if (!e || e->due != keys[i].due)
            continue; /* emitted or replaced meanwhile */
        kstream_err_t err = emit_entry(ctx, st, e);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

/* May this node go by the task's stream time now? Not while the input's
 * cache may hold newer updates (see the top). */
static bool task_time_ok(const kstream_ctx_t *ctx, const sup_state_t *st)
{
    return !st->up || !st->up->cached || ctx->env->idle_advance;
}

static void sup_close(kstream_ctx_t *ctx)
{
    sup_state_t *st = ctx->state;
    if (!st)
        return;
    ks_sup_ix_free(&st->ix);
    free(st);
    ctx->state = NULL;
}

/* The index from what the store holds (after a restart). */
static kstream_err_t rebuild(sup_state_t *st)
{
    ks_iter_t *it = NULL;
    kstream_err_t err = ks_store_all(ks_pstore_stack(st->ts->ps), &it);
    if (err)
        return err;
    kstream_bytes_t k, raw;
    while ((err = it->ops->next(it, &k, &raw)) == KSTREAM_OK) {
        sup_value_t v;
        if (!value_decode(raw.data, raw.len, &v)) {
            err = KSTREAM_ERR_STORE;
            break;
        }
        if (!ks_sup_ix_add(&st->ix, k.data, k.len,
                           ks_hash_bytes(k.data, k.len), v.due,
                           (uint64_t)k.len + raw.len)) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
    }
    it->ops->close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

static kstream_err_t sup_init(kstream_ctx_t *ctx)
{
    const ks_suppress_params_t *p = ctx->node->params;
    sup_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return KSTREAM_ERR_NO_MEMORY;
    ctx->state = st;
    st->observed = -1;
    st->ts = ks_ctx_task_store(ctx, p->store);
    st->up = p->upstream[0] ? ks_ctx_task_store(ctx, p->upstream) : NULL;
    kstream_err_t err = st->ts ? rebuild(st) : KSTREAM_ERR_UNKNOWN_NAME;
    if (err) {
        ks_log(ctx->env->log, KS_LOG_ERR, "SUPPRESS",
               "'%s': opening the buffer '%s' failed: %s", ctx->node->name,
               p->store, kstream_err2str(err));
        sup_close(ctx); /* the task closes only the nodes before us */
    }
    return err;
}

static kstream_err_t sup_process(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec)
{
    const ks_suppress_params_t *p = ctx->node->params;
    sup_state_t *st = ctx->state;
    if (!rec->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "suppression needs a key");
        return KSTREAM_OK;
    }
    if (rec->timestamp > st->observed)
        st->observed = rec->timestamp;
    int64_t now = st->observed;
    if (task_time_ok(ctx, st) && ctx->env->stream_time > now)
        now = ctx->env->stream_time;

    uint64_t hash = ks_hash_bytes(rec->key, rec->key_len);
    sup_entry_t *e = ks_sup_ix_find(&st->ix, rec->key, rec->key_len, hash);
    sup_value_t v = {.ts = rec->timestamp,
                     .value = rec->value,
                     .vlen = rec->value ? rec->value_len : 0,
                     .prior = rec->old_value,
                     .plen = rec->old_value ? rec->old_value_len : 0};
    kstream_err_t err;
    if (e) {
        sup_value_t cur;
        err = buf_read(ctx, st, rec->key, rec->key_len, &cur);
        if (err)
            return err;
        v.prior = cur.prior;
        v.plen = cur.plen;
        v.due = e->due;
    } else if (!due_of(p, rec->key, rec->key_len, rec->timestamp, &v.due)) {
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_INVALID_ARG,
                       "suppress until the window closes: a key of %zu "
                       "bytes is not a %s windowed key",
                       rec->key_len,
                       p->windows.kind == 4 ? "session" : "time");
    }
    if (!rec->value && p->until_window_closes) {
        /* Final results never emit tombstones: drop what is buffered. */
        if (e) {
            ks_sup_ix_remove(&st->ix, e);
            err = buf_put(ctx, st, rec->key, rec->key_len, NULL, 0);
            if (err)
                return err;
        }
        return enforce(ctx, st, now);
    }
    size_t len = 0;
    void *enc = value_encode(ctx->env->arena, &v, &len);
    if (!enc)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    err = buf_put(ctx, st, rec->key, rec->key_len, enc, len);
    if (err)
        return err;
    uint64_t size = (uint64_t)rec->key_len + len;
    if (e) {
        st->ix.bytes = st->ix.bytes - e->size + size;
        e->size = size;
    } else if (!ks_sup_ix_add(&st->ix, rec->key, rec->key_len, hash, v.due,
                              size)) {
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    }
    return enforce(ctx, st, now);
}

static kstream_err_t sup_advance(kstream_ctx_t *ctx, int64_t stream_time)
{
    sup_state_t *st = ctx->state;
    if (!task_time_ok(ctx, st))
        return KSTREAM_OK;
    if (ctx->env->idle_advance)
        return emit_idle(ctx, st, stream_time);
    return emit_due(ctx, st, stream_time);
}

const ks_proc_class_t ks_class_suppress = {.kind = "suppress",
                                           .init = sup_init,
                                           .process = sup_process,
                                           .close = sup_close,
                                           .free_params = free,
                                           .advance = sup_advance};
