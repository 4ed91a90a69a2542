/* session_agg.c - session-windowed stream aggregations (Kafka Streams'
 * KStreamSessionWindowAggregate): a record at ts joins every session of
 * its key that ends at or after ts - gap and starts at or before ts + gap
 * (found in the session store, oldest end first); their aggregates are
 * merged into one (after the initializer: count sums, reduce applies the
 * reducer, aggregate calls the merger), the record is folded in, the
 * merged sessions are removed (a tombstone update for each one's windowed
 * key, with its old value) and the merged session [min start, max end] is
 * put and forwarded. A record alone starts the session [ts, ts].
 *
 * Windowed keys are the store's composite keys: key + end + start (8
 * bytes each, big-endian), as Kafka's session key. Values are
 * timestamped with the session end, which is also the timestamp of the
 * updates (Kafka forwards session updates at window end; a tombstone at
 * the removed session's end).
 *
 * Time: observed = the largest of the task's stream time and the
 * timestamps the node has seen; closeTime = observed - grace - gap (Kafka
 * 3.x). A record whose merged session ends before closeTime is late: it
 * goes to env->late() once and changes nothing. So is one whose merged
 * session starts by the task's last idle advance's base and would be
 * closed at its idle time (window.idle.close.ms: ks_idle_closed() with
 * close_at = end + gap + grace + 1; runtime/idle.c); sessions that start
 * later follow stream time only. Sessions older than the store's
 * retention (gap + grace) are treated as absent even when a cache still
 * holds them. Records with a NULL key or value are skipped and counted. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"
#include "state/store.h"

typedef struct sagg_state {
    ks_task_store_t *ts;
    int64_t observed; /* the node's stream time; -1 before any record */
} sagg_state_t;

/* A session of the key found in the store. */
typedef struct session {
    int64_t start, end;
    const void *skey; /* composite key (arena copy) */
    size_t sklen;
    kstream_bytes_t agg; /* arena copy */
} session_t;

static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static kstream_err_t sagg_init(kstream_ctx_t *ctx)
{
    const ks_agg_params_t *ap = ctx->node->params;
    sagg_state_t *st = calloc(1, sizeof(*st));
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

static void sagg_close(kstream_ctx_t *ctx)
{
    free(ctx->state);
    ctx->state = NULL;
}

/* The live sessions of rec's key with end >= earliest_end and start <=
 * latest_start, by end then start. */
static kstream_err_t find_sessions(kstream_ctx_t *ctx, sagg_state_t *st,
                                   const kstream_record_t *rec,
                                   int64_t earliest_end, int64_t latest_start,
                                   int64_t live_from, session_t **out,
                                   size_t *nout)
{
    ks_arena_t *arena = ctx->env->arena;
    ks_store_t *top = ks_pstore_stack(st->ts->ps);
    size_t klen = rec->key_len;
    uint8_t *lo = ks_arena_alloc(arena, klen + 16);
    uint8_t *hi = ks_arena_alloc(arena, klen + 16);
    if (!lo || !hi)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    size_t nlo = ks_skey_encode(lo, rec->key, klen, 0, earliest_end);
    size_t nhi = ks_skey_encode(hi, rec->key, klen, INT64_MAX, INT64_MAX);
    ks_iter_t *it = NULL;
    kstream_err_t err = top->ops->range(top, lo, nlo, hi, nhi, &it);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed", st->ts->def->name);
    session_t *v = NULL;
    size_t n = 0, cap = 0;
    kstream_bytes_t k, val;
    while ((err = it->ops->next(it, &k, &val)) == KSTREAM_OK) {
        kstream_bytes_t key;
        int64_t start, end;
        /* Keep exactly this key's sessions (store.h). */
        if (!ks_skey_decode(k.data, k.len, &key, &start, &end) ||
            key.len != klen || start > latest_start || end < live_from)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            session_t *nv = ks_arena_alloc(arena, ncap * sizeof(*nv));
            if (!nv) {
                err = KSTREAM_ERR_NO_MEMORY;
                break;
            }
            if (n)
                memcpy(nv, v, n * sizeof(*nv));
            v = nv;
            cap = ncap;
        }
        void *kc = ks_arena_memdup(arena, k.data, k.len);
        void *vc = ks_arena_memdup(arena, val.data, val.len);
        if (!kc || (!vc && val.len)) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        session_t *s = &v[n];
        s->start = start;
        s->end = end;
        s->skey = kc;
        s->sklen = k.len;
        if (!ks_tv_decode(vc, val.len, NULL, &s->agg)) {
            err = KSTREAM_ERR_STORE;
            break;
        }
        n++;
    }
    it->ops->close(it);
    if (err != KSTREAM_ERR_EMPTY)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed: %s", st->ts->def->name,
                       kstream_err2str(err));
    *out = v;
    *nout = n;
    return KSTREAM_OK;
}

/* Merge the aggregate of session s into *acc (data NULL: none yet). */
static kstream_err_t merge(kstream_ctx_t *ctx, const ks_agg_params_t *ap,
                           const kstream_record_t *rec, kstream_bytes_t *acc,
                           kstream_bytes_t agg)
{
    if (!acc->data) { /* count and reduce start with nothing */
        *acc = agg;
        return KSTREAM_OK;
    }
    kstream_buf_t out;
    ks_kbuf_init_arena(&out, ctx->env->arena);
    kstream_err_t err;
    if (ap->kind == KS_AGG_COUNT) {
        int64_t a = acc->len == 8 ? ks_get_be64(acc->data) : 0;
        int64_t b = agg.len == 8 ? ks_get_be64(agg.data) : 0;
        uint8_t *p = kstream_buf_reserve(&out, 8);
        if (!p)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
        ks_put_be64(p, a + b);
    } else if (ap->kind == KS_AGG_REDUCE) {
        /* Kafka merges reduced sessions with the reducer: the later
         * session's aggregate is the value folded into the earlier. */
        kstream_record_t r = *rec;
        r.value = agg.data;
        r.value_len = agg.len;
        err = ap->add(&r, *acc, &out, ap->opaque);
        if (err)
            return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                           "reducer returned %s", kstream_err2name(err));
    } else {
        err = ap->merger((kstream_bytes_t){rec->key, rec->key_len}, *acc,
                         agg, &out, ap->opaque);
        if (err)
            return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                           "merger returned %s", kstream_err2name(err));
    }
    *acc = kstream_buf_bytes(&out);
    return KSTREAM_OK;
}

static kstream_err_t sagg_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_agg_params_t *ap = ctx->node->params;
    sagg_state_t *st = ctx->state;
    if (!rec->key || !rec->value) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                rec->key ? "aggregations skip NULL values"
                         : "aggregations need a key");
        return KSTREAM_OK;
    }
    int64_t ts = rec->timestamp;
    if (ts < 0) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                "windowed aggregations need a timestamp >= 0");
        return KSTREAM_OK;
    }
    if (ctx->env->stream_time > st->observed)
        st->observed = ctx->env->stream_time;
    if (ts > st->observed)
        st->observed = ts;
    int64_t now = st->observed;
    ks_store_observe_time(ks_pstore_stack(st->ts->ps), now);
    int64_t gap = ap->windows.size_ms;
    int64_t close = now - ap->windows.grace_ms - gap;

    session_t *found = NULL;
    size_t nfound = 0;
    int64_t earliest_end = ts - gap < 0 ? 0 : ts - gap;
    kstream_err_t err = find_sessions(ctx, st, rec, earliest_end,
                                      add_sat(ts, gap),
                                      now - st->ts->def->retention + 1,
                                      &found, &nfound);
    if (err)
        return err;

    kstream_bytes_t acc = {NULL, 0};
    if (ap->kind == KS_AGG_AGGREGATE) {
        kstream_buf_t init;
        ks_kbuf_init_arena(&init, ctx->env->arena);
        err = ap->init(&init, ap->init_opaque);
        if (err)
            return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                           "initializer returned %s", kstream_err2name(err));
        acc = kstream_buf_bytes(&init);
    }
    int64_t start = ts, end = ts;
    for (size_t i = 0; i < nfound; i++) {
        err = merge(ctx, ap, rec, &acc, found[i].agg);
        if (err)
            return err;
        if (found[i].start < start)
            start = found[i].start;
        if (found[i].end > end)
            end = found[i].end;
    }
    if (end < close ||
        ks_idle_closed(ctx->env, start,
                       add_sat(add_sat(add_sat(end, gap),
                                       ap->windows.grace_ms),
                               1)))
        return ctx->env->late(ctx->env->owner, ctx, rec);

    /* The merged sessions go (unless the record only joins the session
     * [ts, ts] it is already in, which is then updated in place). */
    kstream_bytes_t old = {NULL, 0};
    if (start != ts || end != ts) {
        for (size_t i = 0; i < nfound; i++) {
            err = ks_materialize(ctx, st->ts, found[i].skey, found[i].sklen,
                                 NULL, 0, found[i].end, found[i].agg.data,
                                 found[i].agg.len);
            if (err)
                return err;
        }
    } else if (nfound) {
        old = found[0].agg;
    }
    kstream_buf_t out;
    ks_kbuf_init_arena(&out, ctx->env->arena);
    err = ks_agg_apply(ctx, ap, false, rec, acc, &out);
    if (err)
        return err;
    kstream_bytes_t nv = kstream_buf_bytes(&out);
    uint8_t *skey = ks_arena_alloc(ctx->env->arena, rec->key_len + 16);
    if (!skey)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    size_t n = ks_skey_encode(skey, rec->key, rec->key_len, start, end);
    return ks_materialize(ctx, st->ts, skey, n, nv.data, nv.len, end,
                          old.data, old.len);
}

const ks_proc_class_t ks_class_session_aggregate = {
        .kind = "session_aggregate",
        .init = sagg_init,
        .process = sagg_process,
        .close = sagg_close,
        .free_params = ks_agg_params_free};
