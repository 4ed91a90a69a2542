/* join_stream.c - the windowed stream-stream join (Kafka Streams'
 * KStreamKStreamJoin with its LeftSide and RightSide processors, the
 * KStreamJoinWindow puts folded in, and the PassThrough merging them).
 *
 * Two join nodes, one per input, share three stores of the task:
 *   - "this" and "other": window stores that keep duplicates (keys of
 *     state/wkeys_dup.c: key | time | seq), holding the left and right
 *     records of the last before + after + grace ms;
 *   - for left and outer joins, the "outer shared" key-value store of the
 *     records still waiting for a match (Kafka's KIP-633 shared store),
 *     ordered by time: key = time (8 bytes BE) | side (1 byte: 0 right,
 *     1 left, Kafka's order for equal times) | record key | seq (4 bytes
 *     BE, the seq of the record's window-store key).
 * Values in all three: header count (4 bytes BE), then per header its
 * name length (4), name, value length (4; 0xffffffff: NULL) and value,
 * then the record value. Results carry the left record's headers, and the
 * right record's for right-only results, so they are kept with the
 * records. The stores are changelogged and never cached (Kafka's join
 * stores are not).
 *
 * A record at t (time `now`: the largest of the task's stream time, the
 * record's time and the times the join has seen):
 *  1. NULL key or value: skipped and counted (records-dropped);
 *  2. what is due in the shared store is emitted first (below);
 *  3. late when t < now - (before + after + grace): dropped through
 *     env->late. That is the time the store's retention leaves behind:
 *     no record that could still match it is kept (Kafka's window store
 *     drops such a record too);
 *  4. it joins every record of its key in the other store with time in
 *     [t - before, t + after] (a left record; a right one: [t - after,
 *     t + before]), in time order and, for equal times, in arrival order:
 *     joiner(left, right), timestamp max of the two. A matched record
 *     that waited in the shared store leaves it;
 *  5. it is put into its own store, and, when it matched nothing and its
 *     side emits unmatched records (left: left and outer joins; right:
 *     outer joins), into the shared store. If its own window has already
 *     closed (t + window + grace < now, window = after for left records,
 *     before for right ones) it can no longer wait: it is emitted at once
 *     with the other side NULL and kept nowhere, so no later record joins
 *     it (Kafka emits such a record at once too, but keeps it, and then
 *     may also join it).
 * Emission of unmatched records: once now > t + window + grace for a
 * record in the shared store (Kafka's KIP-633 condition), it is emitted
 * with the other side NULL and its own timestamp, in shared-store order
 * (time, then side, key and arrival), and removed from the shared store
 * and from its window store (so that a later record cannot join it after
 * it was emitted unmatched). This runs when a record is processed (before
 * it joins, Kafka's order) and from the advance hook, so stream time
 * moved by other records of the task, or by an idle advance, also emits.
 * Kafka throttles it by wall-clock time (1 s) and uses the joined inputs'
 * time only; here it runs whenever the earliest waiting record may be
 * due, which the nodes track in memory (min_ts below).
 *
 * Duplicates: every record is its own window-store entry; its seq comes
 * from a counter of the task, bumped past entries that already hold the
 * same key and time (after a restart the counter begins at 0 again).
 *
 * The two nodes of a task share a little state (the time seen, the
 * earliest time in the shared store, the seq counter): it hangs off the
 * merge node's context (ctx->state of their only child), reference
 * counted by the two join nodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "processor/join_stream_int.h"
#include "state/store.h"

#define MIN_TS_UNKNOWN INT64_MIN /* scan the shared store to find out */
#define MIN_TS_EMPTY INT64_MAX

/* Shared by the two join nodes of a task (see the top comment). */
typedef struct js_shared {
    int refs;
    int64_t observed; /* largest time the join has seen; -1: none */
    int64_t min_ts;   /* <= the time of every record in the shared store */
    uint32_t seq;     /* next sequence number */
} js_shared_t;

typedef struct js_state {
    ks_task_store_t *mine;   /* this node's records */
    ks_task_store_t *other;  /* the other node's records */
    ks_task_store_t *shared; /* NULL for inner joins */
    js_shared_t *sh;
} js_state_t;

typedef struct js_vec {
    js_rec_t *v;
    size_t n, cap;
} js_vec_t;

void ks_join_stream_params_free(void *p)
{
    ks_join_stream_params_t *jp = p;
    if (!jp)
        return;
    if (jp->opaque_free)
        jp->opaque_free(jp->opaque);
    free(jp);
}

/* ---- small helpers ---------------------------------------------------- */
static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static ks_store_t *top_of(const ks_task_store_t *ts)
{
    return ks_pstore_stack(ts->ps);
}

/* This node's side, and how far its records look back and ahead. */
static int my_side(const ks_join_stream_params_t *p)
{
    return p->left_side ? SIDE_LEFT : SIDE_RIGHT;
}

/* How long after its time a record of `side` may still be matched by a
 * later record of the other side (its window's end): after for left
 * records, before for right ones. */
static int64_t window_after(const ks_join_stream_params_t *p, int side)
{
    return side == SIDE_LEFT ? p->after : p->before;
}

static int64_t window_before(const ks_join_stream_params_t *p, int side)
{
    return side == SIDE_LEFT ? p->before : p->after;
}

/* Whether unmatched records of `side` are emitted. */
static bool side_is_outer(const ks_join_stream_params_t *p, int side)
{
    if (side == SIDE_LEFT)
        return p->kind != KSTREAM_JOIN_INNER;
    return p->kind == KSTREAM_JOIN_OUTER;
}

/* Whether the window of a record of `side` at t has closed at now. The
 * windows were validated: window + grace does not overflow. */
static bool window_closed(const ks_join_stream_params_t *p, int side,
                          int64_t t, int64_t now)
{
    return t < now - (window_after(p, side) + p->grace);
}

static kstream_err_t oom(kstream_ctx_t *ctx)
{
    return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
}

static kstream_err_t store_failed(kstream_ctx_t *ctx,
                                  const ks_task_store_t *ts, const char *op,
                                  kstream_err_t err)
{
    return ks_fail(ctx, KS_FAIL_PROCESSING, err, "%s store '%s' failed: %s",
                   op, ts->def->name, kstream_err2str(err));
}

static js_rec_t *vec_push(ks_arena_t *arena, js_vec_t *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        js_rec_t *nv = ks_arena_alloc(arena, cap * sizeof(*nv));
        if (!nv)
            return NULL;
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof(*nv));
        v->v = nv;
        v->cap = cap;
    }
    return &v->v[v->n++];
}

/* ---- results ------------------------------------------------------------ */

/* A read-only record view of a stored record. */
static kstream_record_t *view_of(kstream_ctx_t *ctx, const js_rec_t *r)
{
    kstream_record_t *rec = ks_arena_alloc(ctx->env->arena, sizeof(*rec));
    if (!rec)
        return NULL;
    memset(rec, 0, sizeof(*rec));
    rec->key = r->key.data;
    rec->key_len = r->key.len;
    rec->value = r->value.data;
    rec->value_len = r->value.len;
    rec->timestamp = r->ts;
    rec->headers = r->headers;
    rec->nheaders = r->nheaders;
    rec->partition = ctx->env->partition;
    rec->offset = -1;
    return rec;
}

/* joiner(left, right) into a copy of left (else right) with a NULL value,
 * a read-only key and timestamp ts, forwarded. */
static kstream_err_t emit(kstream_ctx_t *ctx, const kstream_record_t *left,
                          const kstream_record_t *right, int64_t ts)
{
    const ks_join_stream_params_t *p = ctx->node->params;
    kstream_record_t *out = ks_record_new(ctx->env->arena,
                                          left ? left : right, 0);
    if (!out)
        return oom(ctx);
    out->value = NULL;
    out->value_len = 0;
    out->old_value = NULL;
    out->old_value_len = 0;
    out->timestamp = ts;
    out->flags |= KS_REC_KEY_RO;
    kstream_err_t err = p->joiner(left, right, out, p->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "joiner returned %s",
                       kstream_err2name(err));
    return ks_forward(ctx, out);
}

/* ---- the shared store: emitting what is due ----------------------------- */

/* Whether the earliest record in the shared store may be due at now. */
static bool maybe_due(const ks_join_stream_params_t *p, const js_shared_t *sh,
                      int64_t now)
{
    if (sh->min_ts == MIN_TS_UNKNOWN)
        return true;
    if (sh->min_ts == MIN_TS_EMPTY)
        return false;
    int64_t w = p->kind == KSTREAM_JOIN_OUTER && p->before < p->after
                        ? p->before
                        : p->after;
    return sh->min_ts < now - (w + p->grace);
}

/* The records of the shared store due at now, in store order, into due;
 * sets sh->min_ts to the time of the first one left. */
static kstream_err_t collect_due(kstream_ctx_t *ctx, js_state_t *st,
                                 int64_t now, js_vec_t *due)
{
    const ks_join_stream_params_t *p = ctx->node->params;
    ks_arena_t *arena = ctx->env->arena;
    ks_store_t *top = top_of(st->shared);
    /* No record at or after this time is due, whatever its side. */
    int64_t w = p->kind == KSTREAM_JOIN_OUTER && p->before < p->after
                        ? p->before
                        : p->after;
    int64_t bound = now - (w + p->grace);
    ks_iter_t *it = NULL;
    kstream_err_t err = ks_store_all(top, &it);
    if (err)
        return store_failed(ctx, st->shared, "reading", err);
    int64_t first_left = MIN_TS_EMPTY;
    kstream_bytes_t k, v;
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        js_rec_t r;
        if (!ks_js_skey_decode(k.data, k.len, &r)) {
            err = KSTREAM_ERR_STORE;
            break;
        }
        if (r.ts >= bound) {
            if (first_left == MIN_TS_EMPTY)
                first_left = r.ts;
            err = KSTREAM_ERR_EMPTY; /* the rest is not due */
            break;
        }
        if (!window_closed(p, r.side, r.ts, now)) {
            if (first_left == MIN_TS_EMPTY)
                first_left = r.ts;
            continue;
        }
        js_rec_t *d = vec_push(arena, due);
        void *kcopy = ks_arena_memdup(arena, k.data, k.len);
        if (!d || !kcopy) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        ks_js_skey_decode(kcopy, k.len, d);
        err = ks_js_value_decode(arena, v.data, v.len, d);
        if (err)
            break;
    }
    it->ops->close(it);
    if (err != KSTREAM_ERR_EMPTY)
        return store_failed(ctx, st->shared, "reading", err);
    st->sh->min_ts = first_left;
    return KSTREAM_OK;
}

/* Emit the unmatched records whose window closed at now and forget them
 * (see the top comment). */
static kstream_err_t emit_due(kstream_ctx_t *ctx, js_state_t *st,
                              int64_t now)
{
    const ks_join_stream_params_t *p = ctx->node->params;
    ks_arena_t *arena = ctx->env->arena;
    if (!st->shared || !maybe_due(p, st->sh, now))
        return KSTREAM_OK;
    js_vec_t due = {0};
    kstream_err_t err = collect_due(ctx, st, now, &due);
    if (err)
        return err;
    ks_store_t *shared = top_of(st->shared);
    for (size_t i = 0; i < due.n; i++) {
        const js_rec_t *r = &due.v[i];
        kstream_record_t *view = view_of(ctx, r);
        if (!view)
            return oom(ctx);
        err = emit(ctx, r->side == SIDE_LEFT ? view : NULL,
                   r->side == SIDE_LEFT ? NULL : view, r->ts);
        if (err)
            return err;
        size_t sklen;
        uint8_t *sk = ks_js_skey_encode(arena, r->ts, r->side, r->key.data,
                                  r->key.len, r->seq, &sklen);
        uint8_t *wk = ks_arena_alloc(arena, r->key.len + 12);
        if (!sk || !wk)
            return oom(ctx);
        err = shared->ops->put(shared, sk, sklen, NULL, 0);
        if (err)
            return store_failed(ctx, st->shared, "writing", err);
        /* Out of its window store too: nothing may join it any more. */
        ks_task_store_t *ws = r->side == my_side(p) ? st->mine : st->other;
        size_t wklen = ks_wkey_dup_encode(wk, r->key.data, r->key.len, r->ts,
                                          r->seq);
        err = top_of(ws)->ops->put(top_of(ws), wk, wklen, NULL, 0);
        if (err)
            return store_failed(ctx, ws, "writing", err);
    }
    return KSTREAM_OK;
}

/* ---- the join nodes ----------------------------------------------------- */
static kstream_err_t js_init(kstream_ctx_t *ctx)
{
    const ks_join_stream_params_t *p = ctx->node->params;
    if (ctx->nchildren != 1 ||
        ctx->children[0]->node->cls != &ks_class_join_stream_merge)
        return KSTREAM_ERR_STATE;
    js_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return KSTREAM_ERR_NO_MEMORY;
    st->mine = ks_ctx_task_store(ctx, p->this_store);
    st->other = ks_ctx_task_store(ctx, p->other_store);
    st->shared = p->shared_store[0] ? ks_ctx_task_store(ctx, p->shared_store)
                                    : NULL;
    if (!st->mine || !st->other || (p->shared_store[0] && !st->shared)) {
        free(st);
        return KSTREAM_ERR_UNKNOWN_NAME;
    }
    kstream_ctx_t *merge = ctx->children[0];
    if (!merge->state) {
        js_shared_t *sh = calloc(1, sizeof(*sh));
        if (!sh) {
            free(st);
            return KSTREAM_ERR_NO_MEMORY;
        }
        sh->observed = -1;
        sh->min_ts = MIN_TS_UNKNOWN; /* the store may have been restored */
        merge->state = sh;
    }
    st->sh = merge->state;
    st->sh->refs++;
    ctx->state = st;
    return KSTREAM_OK;
}

static void js_close(kstream_ctx_t *ctx)
{
    js_state_t *st = ctx->state;
    if (!st)
        return;
    if (--st->sh->refs == 0) {
        free(st->sh);
        ctx->children[0]->state = NULL;
    }
    free(st);
    ctx->state = NULL;
}

/* The join's time at a record or advance to t: see the top comment. */
static int64_t join_time(kstream_ctx_t *ctx, js_state_t *st, int64_t t)
{
    js_shared_t *sh = st->sh;
    if (ctx->env->stream_time > sh->observed)
        sh->observed = ctx->env->stream_time;
    if (t > sh->observed)
        sh->observed = t;
    ks_store_observe_time(top_of(st->mine), sh->observed);
    ks_store_observe_time(top_of(st->other), sh->observed);
    return sh->observed;
}

/* The other side's records of rec's key with time in [from, to], in store
 * order (time, then seq), decoded into the arena. */
static kstream_err_t fetch_matches(kstream_ctx_t *ctx, js_state_t *st,
                                   const kstream_record_t *rec, int other,
                                   int64_t from, int64_t to, js_vec_t *out)
{
    ks_arena_t *arena = ctx->env->arena;
    size_t klen = rec->key_len;
    uint8_t *lo = ks_arena_alloc(arena, klen + 12);
    uint8_t *hi = ks_arena_alloc(arena, klen + 12);
    if (!lo || !hi)
        return oom(ctx);
    size_t nlo = ks_wkey_dup_encode(lo, rec->key, klen, from, 0);
    size_t nhi = ks_wkey_dup_encode(hi, rec->key, klen, to, UINT32_MAX);
    ks_store_t *top = top_of(st->other);
    ks_iter_t *it = NULL;
    kstream_err_t err = top->ops->range(top, lo, nlo, hi, nhi, &it);
    if (err)
        return store_failed(ctx, st->other, "reading", err);
    kstream_bytes_t k, v;
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        kstream_bytes_t key;
        int64_t t;
        uint32_t seq;
        /* Keys that merely start with the record key's bytes belong to
         * other keys (store.h): keep exactly this key's. */
        if (!ks_wkey_dup_decode(k.data, k.len, &key, &t, &seq) ||
            key.len != klen)
            continue;
        js_rec_t *r = vec_push(arena, out);
        if (!r) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        r->side = other;
        r->ts = t;
        r->seq = seq;
        r->key.data = rec->key;
        r->key.len = klen;
        err = ks_js_value_decode(arena, v.data, v.len, r);
        if (err)
            break;
    }
    it->ops->close(it);
    if (err != KSTREAM_ERR_EMPTY)
        return store_failed(ctx, st->other, "reading", err);
    return KSTREAM_OK;
}

/* A matched record of the other side no longer waits in the shared
 * store. */
static kstream_err_t unwait(kstream_ctx_t *ctx, js_state_t *st,
                            const js_rec_t *r)
{
    ks_store_t *top = top_of(st->shared);
    size_t len;
    uint8_t *sk = ks_js_skey_encode(ctx->env->arena, r->ts, r->side, r->key.data,
                              r->key.len, r->seq, &len);
    if (!sk)
        return oom(ctx);
    kstream_bytes_t old;
    kstream_err_t err = top->ops->get(top, sk, len, &old);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return KSTREAM_OK;
    if (!err)
        err = top->ops->put(top, sk, len, NULL, 0);
    return err ? store_failed(ctx, st->shared, "writing", err) : KSTREAM_OK;
}

/* Put rec into this node's store under a free seq; the seq goes to *seq
 * and the encoded value to *val. */
static kstream_err_t put_mine(kstream_ctx_t *ctx, js_state_t *st,
                              const kstream_record_t *rec, uint32_t *seq,
                              const uint8_t **val, size_t *vlen)
{
    ks_arena_t *arena = ctx->env->arena;
    ks_store_t *top = top_of(st->mine);
    uint8_t *v = ks_js_value_encode(arena, rec, vlen);
    uint8_t *wk = ks_arena_alloc(arena, rec->key_len + 12);
    if (!v || !wk)
        return v ? oom(ctx)
                 : ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_TOO_LARGE,
                           "headers too large to store");
    size_t wklen = 0;
    for (;;) {
        *seq = st->sh->seq++;
        wklen = ks_wkey_dup_encode(wk, rec->key, rec->key_len,
                                   rec->timestamp, *seq);
        kstream_bytes_t old;
        kstream_err_t err = top->ops->get(top, wk, wklen, &old);
        if (err == KSTREAM_ERR_NOT_FOUND)
            break;
        if (err)
            return store_failed(ctx, st->mine, "reading", err);
    }
    kstream_err_t err = top->ops->put(top, wk, wklen, v, *vlen);
    if (err)
        return store_failed(ctx, st->mine, "writing", err);
    *val = v;
    return KSTREAM_OK;
}

static kstream_err_t js_process(kstream_ctx_t *ctx, const kstream_record_t *rec)
{
    const ks_join_stream_params_t *p = ctx->node->params;
    js_state_t *st = ctx->state;
    if (!rec->key || !rec->value) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                rec->key ? "stream-stream joins skip NULL values"
                         : "stream-stream joins need a key");
        return KSTREAM_OK;
    }
    if (rec->timestamp < 0) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                "stream-stream joins need a timestamp >= 0");
        return KSTREAM_OK;
    }
    int64_t t = rec->timestamp;
    int64_t now = join_time(ctx, st, t);
    kstream_err_t err = emit_due(ctx, st, now);
    if (err)
        return err;
    if (t < now - (p->before + p->after + p->grace))
        return ctx->env->late(ctx->env->owner, ctx, rec);

    int me = my_side(p), other = me == SIDE_LEFT ? SIDE_RIGHT : SIDE_LEFT;
    int64_t from = t - window_before(p, me);
    js_vec_t m = {0};
    err = fetch_matches(ctx, st, rec, other, from < 0 ? 0 : from,
                        add_sat(t, window_after(p, me)), &m);
    if (err)
        return err;
    for (size_t i = 0; i < m.n; i++) {
        const js_rec_t *r = &m.v[i];
        if (st->shared && side_is_outer(p, other)) {
            err = unwait(ctx, st, r);
            if (err)
                return err;
        }
        const kstream_record_t *view = view_of(ctx, r);
        if (!view)
            return oom(ctx);
        err = emit(ctx, me == SIDE_LEFT ? rec : view,
                   me == SIDE_LEFT ? view : rec, r->ts > t ? r->ts : t);
        if (err)
            return err;
    }
    bool waits = m.n == 0 && side_is_outer(p, me);
    if (waits && window_closed(p, me, t, now))
        /* Too late to wait for a match: emitted now, kept nowhere. */
        return emit(ctx, me == SIDE_LEFT ? rec : NULL,
                    me == SIDE_LEFT ? NULL : rec, t);
    uint32_t seq = 0;
    const uint8_t *val = NULL;
    size_t vlen = 0;
    err = put_mine(ctx, st, rec, &seq, &val, &vlen);
    if (err || !waits)
        return err;
    ks_store_t *shared = top_of(st->shared);
    size_t sklen;
    uint8_t *sk = ks_js_skey_encode(ctx->env->arena, t, me, rec->key, rec->key_len,
                              seq, &sklen);
    if (!sk)
        return oom(ctx);
    err = shared->ops->put(shared, sk, sklen, val, vlen);
    if (err)
        return store_failed(ctx, st->shared, "writing", err);
    if (t < st->sh->min_ts)
        st->sh->min_ts = t; /* (MIN_TS_UNKNOWN stays unknown) */
    return KSTREAM_OK;
}

static kstream_err_t js_advance(kstream_ctx_t *ctx, int64_t stream_time)
{
    js_state_t *st = ctx->state;
    if (!st->shared)
        return KSTREAM_OK;
    /* An idle advance closes the windows of the records already waiting
     * (all older than the idle base) without moving the join's time:
     * later records are judged by real stream time (docs/windows.md). */
    if (ctx->env->idle_advance)
        return emit_due(ctx, st, stream_time);
    return emit_due(ctx, st, join_time(ctx, st, stream_time));
}

const ks_proc_class_t ks_class_join_stream = {
        .kind = "stream_join_stream",
        .init = js_init,
        .process = js_process,
        .close = js_close,
        .free_params = ks_join_stream_params_free,
        .advance = js_advance};

/* ---- the merge ------------------------------------------------------------ */
static kstream_err_t merge_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    return ks_forward(ctx, rec);
}

/* ctx->state: the join nodes' js_shared_t (theirs to free). */
const ks_proc_class_t ks_class_join_stream_merge = {.kind = "passthrough",
                                                    .process = merge_process};
