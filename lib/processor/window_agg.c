/* window_agg.c - windowed stream aggregations over time windows (Kafka
 * Streams' KStreamWindowAggregate for tumbling and hopping windows, and
 * KStreamSlidingWindowAggregate for sliding windows): fold each record
 * into the windows of its key in a timestamped window store and emit
 * each window's update (new, old) keyed by the windowed key, key + 8-byte
 * big-endian window start (the store's composite key, so that the cache's
 * write-downs forward the same key).
 *
 * Time: the node's observed stream time is the largest of the task's
 * stream time and the timestamps it has seen; closeTime = observed -
 * grace. Stream time also goes down to the store (ks_store_observe_time)
 * so that expired segments are dropped: with retention size + grace a
 * time window leaves the store when it closes. (Kafka's segmented stores
 * only advance their clock with the window starts put, so they keep a
 * closed window a little longer.)
 *
 * Tumbling and hopping windows are [start, start + size): the windows of
 * a record at ts start at max(0, ts - size + advance) rounded down to a
 * multiple of advance, then every advance while start <= ts (Kafka's
 * TimeWindows.windowsFor). A window takes the record while its end >
 * closeTime; the others are closed. The stored (and forwarded) timestamp
 * of a window is the largest timestamp of its records.
 *
 * Sliding windows are [start, start + diff], both ends inclusive (Kafka's
 * SlidingWindows; the store's window size is diff, so kstream_iter_window()
 * gives that inclusive end). Windows exist only where records make them:
 * each record has a left window [ts - diff, ts] and, when later records
 * are within diff, a right window [ts + 1, ts + 1 + diff]. Processing a
 * record scans the key's windows with start in [ts - 2 * diff, ts + 1]
 * (oldest first, as Kafka's forward-iterator path), adds the record to
 * the windows that contain it, and creates its left window, its right
 * window (a copy of the newest window that holds later records), and the
 * right window of the previous record when the record falls in it.
 * Records with ts < diff use Kafka's "early" path: they share the window
 * [0, diff]. A window takes the record while its (inclusive) end >=
 * closeTime; a record with ts + 1 + diff <= closeTime is late outright.
 *
 * Idle advance (window.idle.close.ms, runtime/idle.c): a window that
 * started by env->idle_base is also closed when it would be closed at
 * stream time env->idle_time (ks_idle_closed(): with close_at = the
 * stream time it closes at, end + grace for time windows, end + grace + 1
 * for sliding windows); newer windows follow stream time only. The
 * store's clock and retention stay with the real stream time.
 *
 * Late records: a record that no window took is passed to env->late()
 * once (counted as "late-records-dropped", or dead-lettered). A record
 * that some closed windows missed while others took it is counted once
 * too, but not dead-lettered (Kafka counts a dropped record per closed
 * window: KStreamWindowAggregate's and KStreamSlidingWindowAggregate's
 * "Skipping record for expired window"). Windows older than the store's
 * retention are treated as absent even when a cache still holds them, so
 * both cache settings see the same windows.
 *
 * Old values: the update of a window carries what the store held (none
 * for a new window, also in the no-cache path), so that both cache
 * settings forward the same changes; Kafka's sendOldValues gives the
 * initializer's value or the copied aggregate for new windows instead.
 * Records with a NULL key or value are skipped and counted. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"
#include "state/store.h"

typedef struct wagg_state {
    ks_task_store_t *ts;
    int64_t observed; /* the node's stream time; -1 before any record */
} wagg_state_t;

static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static kstream_err_t wagg_init(kstream_ctx_t *ctx)
{
    const ks_agg_params_t *ap = ctx->node->params;
    wagg_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return KSTREAM_ERR_NO_MEMORY;
    st->ts = ks_store_bind(ctx, ap->store);
    if (!st->ts) {
        free(st);
        return KSTREAM_ERR_UNKNOWN_NAME;
    }
    st->observed = -1;
    ctx->state = st;
    return KSTREAM_OK;
}

static void wagg_close(kstream_ctx_t *ctx)
{
    free(ctx->state);
    ctx->state = NULL;
}

/* Move the node's stream time to include rec and tell the store. */
static int64_t observe(kstream_ctx_t *ctx, wagg_state_t *st,
                       const kstream_record_t *rec)
{
    if (ctx->env->stream_time > st->observed)
        st->observed = ctx->env->stream_time;
    if (rec->timestamp > st->observed)
        st->observed = rec->timestamp;
    ks_store_observe_time(ks_pstore_stack(st->ts->ps), st->observed);
    return st->observed;
}

/* The window key (key + start) of rec's key in the arena; NULL on oom
 * (failure recorded). */
static uint8_t *wkey_of(kstream_ctx_t *ctx, const kstream_record_t *rec,
                        int64_t start, size_t *len)
{
    uint8_t *wkey = ks_arena_alloc(ctx->env->arena, rec->key_len + 8);
    if (!wkey) {
        ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
        return NULL;
    }
    *len = ks_wkey_encode(wkey, rec->key, rec->key_len, start);
    return wkey;
}

/* Fold rec into a window's aggregate `agg` (data NULL: none yet, so the
 * initializer / first value / 0) and materialize it under the window key
 * with timestamp t. old: what the store holds at that key (NULL: none). */
static kstream_err_t fold_put(kstream_ctx_t *ctx, wagg_state_t *st,
                              const kstream_record_t *rec, const void *wkey,
                              size_t n, kstream_bytes_t agg, int64_t t,
                              kstream_bytes_t old)
{
    const ks_agg_params_t *ap = ctx->node->params;
    kstream_buf_t out;
    ks_kbuf_init_arena(&out, ctx->env->arena);
    kstream_err_t err = ks_agg_apply(ctx, ap, false, rec, agg, &out);
    if (err)
        return err;
    kstream_bytes_t nv = kstream_buf_bytes(&out);
    return ks_materialize(ctx, st->ts, wkey, n, nv.data, nv.len, t, old.data,
                          old.len);
}

/* After a record's windows: one that no window took is late (env->late:
 * counted, or dead-lettered); one that only some closed windows missed
 * is counted too (Kafka counts each closed window as a dropped record)
 * but was processed, so it is not dead-lettered. */
static kstream_err_t late_or_partly(kstream_ctx_t *ctx,
                                    const kstream_record_t *rec, bool taken,
                                    bool missed)
{
    if (!taken)
        return ctx->env->late(ctx->env->owner, ctx, rec);
    if (missed)
        ks_skip(ctx, KS_CNT_LATE, rec, "some of its windows had closed");
    return KSTREAM_OK;
}

/* ---- tumbling and hopping windows --------------------------------------- */
static kstream_err_t time_windows(kstream_ctx_t *ctx, wagg_state_t *st,
                                  const kstream_record_t *rec, int64_t now)
{
    const ks_agg_params_t *ap = ctx->node->params;
    const kstream_windows_t *w = &ap->windows;
    int64_t ts = rec->timestamp;
    int64_t close = now - w->grace_ms;
    int64_t start = ts - w->size_ms + w->advance_ms;
    if (start < 0)
        start = 0;
    start = start / w->advance_ms * w->advance_ms;
    bool taken = false, missed = false;
    for (;;) {
        bool closed = add_sat(start, w->size_ms) <= close ||
                      ks_idle_closed(ctx->env, start,
                                     add_sat(add_sat(start, w->size_ms),
                                             w->grace_ms));
        missed |= closed;
        if (!closed) {
            size_t n;
            uint8_t *wkey = wkey_of(ctx, rec, start, &n);
            if (!wkey)
                return KSTREAM_ERR_NO_MEMORY;
            kstream_bytes_t old;
            int64_t old_ts;
            kstream_err_t err = ks_agg_read(ctx, st->ts, wkey, n, &old,
                                            &old_ts);
            if (err)
                return err;
            int64_t t = old.data && old_ts > ts ? old_ts : ts;
            err = fold_put(ctx, st, rec, wkey, n, old, t, old);
            if (err)
                return err;
            taken = true;
        }
        if (start > ts - w->advance_ms)
            break; /* the next start would pass ts (or overflow) */
        start += w->advance_ms;
    }
    return late_or_partly(ctx, rec, taken, missed);
}

/* ---- sliding windows ----------------------------------------------------- */

/* A window of the key found in the store: start, the largest record
 * timestamp in it, and its aggregate (copied into the arena). */
typedef struct swin {
    int64_t start;
    int64_t ts;
    kstream_bytes_t agg;
} swin_t;

typedef struct sscan {
    swin_t *v;
    size_t n, cap;
} sscan_t;

static bool scan_has_start(const sscan_t *sc, int64_t start)
{
    for (size_t i = 0; i < sc->n; i++)
        if (sc->v[i].start == start)
            return true;
    return false;
}

/* The live windows of rec's key with start in [from, to], oldest first. */
static kstream_err_t scan_windows(kstream_ctx_t *ctx, wagg_state_t *st,
                                  const kstream_record_t *rec, int64_t from,
                                  int64_t to, int64_t live_from, sscan_t *sc)
{
    ks_arena_t *arena = ctx->env->arena;
    ks_store_t *top = ks_pstore_stack(st->ts->ps);
    size_t klen = rec->key_len;
    uint8_t *lo = ks_arena_alloc(arena, klen + 8);
    uint8_t *hi = ks_arena_alloc(arena, klen + 8);
    if (!lo || !hi)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    size_t nlo = ks_wkey_encode(lo, rec->key, klen, from);
    size_t nhi = ks_wkey_encode(hi, rec->key, klen, to);
    ks_iter_t *it = NULL;
    kstream_err_t err = top->ops->range(top, lo, nlo, hi, nhi, &it);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed", st->ts->def->name);
    kstream_bytes_t k, v;
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        kstream_bytes_t key;
        int64_t start, t;
        kstream_bytes_t agg;
        /* Keys that merely start with the record key's bytes are other
         * keys' (store.h): keep exactly this key's. */
        if (!ks_wkey_decode(k.data, k.len, &key, &start) || key.len != klen)
            continue;
        if (start < live_from)
            continue; /* expired (a cache may still hold it) */
        if (sc->n == sc->cap) {
            size_t cap = sc->cap ? sc->cap * 2 : 8;
            swin_t *nv = ks_arena_alloc(arena, cap * sizeof(*nv));
            if (!nv) {
                err = KSTREAM_ERR_NO_MEMORY;
                break;
            }
            if (sc->n)
                memcpy(nv, sc->v, sc->n * sizeof(*nv));
            sc->v = nv;
            sc->cap = cap;
        }
        void *copy = ks_arena_memdup(arena, v.data, v.len);
        if (!copy && v.len) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        if (!ks_tv_decode(copy, v.len, &t, &agg)) {
            err = KSTREAM_ERR_STORE;
            break;
        }
        sc->v[sc->n++] = (swin_t){start, t, agg};
    }
    it->ops->close(it);
    if (err == KSTREAM_ERR_EMPTY)
        return KSTREAM_OK;
    return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                   "reading store '%s' failed: %s", st->ts->def->name,
                   kstream_err2str(err));
}

/* One sliding-window update of the current record. */
typedef struct sctx {
    kstream_ctx_t *ctx;
    wagg_state_t *st;
    const kstream_record_t *rec;
    int64_t diff;
    int64_t grace;
    int64_t close;
    bool taken;  /* some window took the record */
    bool missed; /* some closed window did not */
} sctx_t;

static const kstream_bytes_t NO_AGG = {NULL, 0};

/* Whether the idle advance closed the sliding window at start (its
 * inclusive end + grace + 1 is when it closes). */
static bool slide_idle_closed(const sctx_t *s, int64_t start)
{
    return ks_idle_closed(s->ctx->env, start,
                          add_sat(add_sat(add_sat(start, s->diff), s->grace),
                                  1));
}

/* Kafka's updateWindowAndForward: add the record to the window at start
 * (prior aggregate agg with timestamp t; old: what the store holds). */
static kstream_err_t slide_update(sctx_t *s, int64_t start,
                                  kstream_bytes_t agg, int64_t t,
                                  kstream_bytes_t old)
{
    if (add_sat(start, s->diff) < s->close || slide_idle_closed(s, start)) {
        s->missed = true; /* closed */
        return KSTREAM_OK;
    }
    s->taken = true;
    int64_t ts = s->rec->timestamp;
    size_t n;
    uint8_t *wkey = wkey_of(s->ctx, s->rec, start, &n);
    if (!wkey)
        return KSTREAM_ERR_NO_MEMORY;
    return fold_put(s->ctx, s->st, s->rec, wkey, n, agg, t > ts ? t : ts,
                    old);
}

/* The current record's right window: a copy of the aggregate of the
 * records after it (Kafka puts it without adding the record). */
static kstream_err_t slide_right(sctx_t *s, const swin_t *from)
{
    size_t n;
    uint8_t *wkey = wkey_of(s->ctx, s->rec, s->rec->timestamp + 1, &n);
    if (!wkey)
        return KSTREAM_ERR_NO_MEMORY;
    return ks_materialize(s->ctx, s->st->ts, wkey, n, from->agg.data,
                          from->agg.len, from->ts, NULL, 0);
}

static kstream_err_t slide_in_order(sctx_t *s, int64_t live_from)
{
    int64_t ts = s->rec->timestamp, diff = s->diff;
    sscan_t sc = {0};
    int64_t from = ts - 2 * diff < 0 ? 0 : ts - 2 * diff;
    kstream_err_t err = scan_windows(s->ctx, s->st, s->rec, from,
                                     add_sat(ts, 1), live_from, &sc);
    if (err)
        return err;
    const swin_t *left_agg = NULL, *right_agg = NULL;
    bool left_exists = false, right_exists = false, has_prev = false;
    int64_t prev = 0;
    for (size_t i = 0; i < sc.n && !err; i++) {
        const swin_t *w = &sc.v[i];
        int64_t end = add_sat(w->start, diff);
        if (end < ts) {
            left_agg = w;
            prev = w->ts;
            has_prev = true;
        } else if (end == ts) {
            left_exists = true;
            if (w->ts < ts) {
                prev = w->ts;
                has_prev = true;
            }
            err = slide_update(s, w->start, w->agg, w->ts, w->agg);
        } else if (w->start <= ts) {
            right_agg = w;
            err = slide_update(s, w->start, w->agg, w->ts, w->agg);
        } else { /* w->start == ts + 1: the scan's upper bound */
            right_exists = true;
        }
    }
    if (err)
        return err;
    /* The previous record's right window, when this record falls in it. */
    if (has_prev && !scan_has_start(&sc, prev + 1) &&
        add_sat(prev + 1, diff) >= ts) {
        err = slide_update(s, prev + 1, NO_AGG, ts, NO_AGG);
        if (err)
            return err;
        /* When prev = ts - diff - 1 that window is [ts - diff, ts], this
         * record's left window, already made with just this record (Kafka
         * makes it twice; once keeps the old values right). */
        if (prev + 1 == ts - diff)
            left_exists = true;
    }
    /* This record's left window: the previous record's aggregate when
     * that record is within diff, else a new aggregate. */
    if (!left_exists) {
        kstream_bytes_t agg = has_prev && ts - diff <= prev && left_agg
                                      ? left_agg->agg
                                      : NO_AGG;
        err = slide_update(s, ts - diff, agg, ts, NO_AGG);
        if (err)
            return err;
    }
    if (!right_exists && right_agg && right_agg->ts > ts)
        err = slide_right(s, right_agg);
    return err;
}

/* Kafka's processEarly: records at ts < diff share the window [0, diff]
 * (no window may start before 0). */
static kstream_err_t slide_early(sctx_t *s, int64_t live_from)
{
    int64_t ts = s->rec->timestamp;
    sscan_t sc = {0};
    kstream_err_t err = scan_windows(s->ctx, s->st, s->rec, 0, ts + 1,
                                     live_from, &sc);
    if (err)
        return err;
    const swin_t *combined = NULL, *right_agg = NULL;
    bool right_exists = false, has_prev = false;
    int64_t prev = 0;
    for (size_t i = 0; i < sc.n && !err; i++) {
        const swin_t *w = &sc.v[i];
        if (w->start == 0) {
            combined = w;
            if (w->ts < ts) {
                prev = w->ts;
                has_prev = true;
            }
        } else if (w->start <= ts) {
            right_agg = w;
            err = slide_update(s, w->start, w->agg, w->ts, w->agg);
        } else { /* w->start == ts + 1 */
            right_exists = true;
        }
    }
    if (err)
        return err;
    /* With no later window, the combined window holds only records after
     * this one when its newest record is later. */
    if (!right_agg && combined && combined->ts > ts)
        right_agg = combined;
    if (!right_exists && right_agg && right_agg->ts > ts) {
        err = slide_right(s, right_agg);
        if (err)
            return err;
    }
    if (has_prev && !scan_has_start(&sc, prev + 1)) {
        err = slide_update(s, prev + 1, NO_AGG, ts, NO_AGG);
        if (err)
            return err;
    }
    if (!combined)
        return slide_update(s, 0, NO_AGG, ts, NO_AGG);
    return slide_update(s, 0, combined->agg, combined->ts, combined->agg);
}

static kstream_err_t sliding_windows(kstream_ctx_t *ctx, wagg_state_t *st,
                                     const kstream_record_t *rec, int64_t now)
{
    const ks_agg_params_t *ap = ctx->node->params;
    sctx_t s = {.ctx = ctx,
                .st = st,
                .rec = rec,
                .diff = ap->windows.size_ms,
                .grace = ap->windows.grace_ms,
                .close = now - ap->windows.grace_ms};
    int64_t ts = rec->timestamp;
    /* Late outright: every window with ts in it (start <= ts) is closed
     * by stream time, or all of them by the idle advance. */
    if (add_sat(add_sat(ts, 1), s.diff) <= s.close ||
        slide_idle_closed(&s, ts))
        return ctx->env->late(ctx->env->owner, ctx, rec);
    /* Live windows: start > now - retention (retention 2 * diff + grace,
     * as the store was made; see windowed.c). */
    int64_t live_from = now - st->ts->def->retention + 1;
    kstream_err_t err = ts < s.diff ? slide_early(&s, live_from)
                                    : slide_in_order(&s, live_from);
    if (err)
        return err;
    return late_or_partly(ctx, rec, s.taken, s.missed);
}

static kstream_err_t wagg_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_agg_params_t *ap = ctx->node->params;
    wagg_state_t *st = ctx->state;
    if (!rec->key || !rec->value) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                rec->key ? "aggregations skip NULL values"
                         : "aggregations need a key");
        return KSTREAM_OK;
    }
    if (rec->timestamp < 0) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                "windowed aggregations need a timestamp >= 0");
        return KSTREAM_OK;
    }
    int64_t now = observe(ctx, st, rec);
    if (ap->windows.kind == 3)
        return sliding_windows(ctx, st, rec, now);
    return time_windows(ctx, st, rec, now);
}

const ks_proc_class_t ks_class_window_aggregate = {
        .kind = "window_aggregate",
        .init = wagg_init,
        .process = wagg_process,
        .close = wagg_close,
        .free_params = ks_agg_params_free};
