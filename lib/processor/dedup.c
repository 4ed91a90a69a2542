/* dedup.c - stream deduplication (the Kafka Streams examples'
 * DeduplicationTransformer, over a window store; Kafka Streams has no DSL
 * operator for it).
 *
 * The callback gives each record an id (NULL: the record passes). A
 * record is a duplicate when its id was seen at a time within window_ms
 * of its own timestamp, before or after it: the window store holds
 * (id, time seen) and is searched over [ts - window_ms, ts + window_ms].
 * A duplicate is dropped, counted (KS_CNT_DUPLICATE, the
 * "duplicates-dropped" metric), and remembered at its own time, so a
 * stream of repeats keeps its id alive (the example's
 * updateTimestampOfExistingEventToPreventExpiry). A first sighting is
 * remembered and forwarded.
 *
 * Expiry: the store's retention is 2 * window_ms + 1, so an id seen at s
 * stays while stream time <= s + 2 * window_ms; a record up to window_ms
 * behind stream time still sees every id within window_ms of it. Older
 * ids are purged as their segments expire (the store's stream time is the
 * task's). The example searches window/2 either side with a retention of
 * window; this one honours "within window_ms in either direction" of the
 * public contract. The store is changelogged and not cached (nothing is
 * forwarded from it); values are the 8-byte BE time seen. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "state/store.h"

void ks_dedup_params_free(void *p)
{
    ks_dedup_params_t *dp = p;
    if (!dp)
        return;
    if (dp->cb.opaque_free)
        dp->cb.opaque_free(dp->cb.opaque);
    free(dp);
}

static kstream_err_t dedup_init(kstream_ctx_t *ctx)
{
    const ks_dedup_params_t *dp = ctx->node->params;
    ks_task_store_t *ts = ks_ctx_task_store(ctx, dp->store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

/* Whether id was seen in [from, to]. */
static kstream_err_t seen(kstream_ctx_t *ctx, ks_store_t *top,
                          kstream_bytes_t id, int64_t from, int64_t to,
                          bool *found)
{
    ks_arena_t *arena = ctx->env->arena;
    uint8_t *lo = ks_arena_alloc(arena, id.len + 8);
    uint8_t *hi = ks_arena_alloc(arena, id.len + 8);
    if (!lo || !hi)
        return KSTREAM_ERR_NO_MEMORY;
    size_t llen = ks_wkey_encode(lo, id.data, id.len, from);
    size_t hlen = ks_wkey_encode(hi, id.data, id.len, to);
    ks_iter_t *it = NULL;
    kstream_err_t err = top->ops->range(top, lo, llen, hi, hlen, &it);
    if (err)
        return err;
    kstream_bytes_t k, v;
    *found = false;
    /* The range also holds keys of longer (and some shorter) ids that
     * start with the same bytes: keep only this id's (see store.h). */
    while (!*found && (err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        kstream_bytes_t key;
        int64_t t;
        if (ks_wkey_decode(k.data, k.len, &key, &t) && key.len == id.len &&
            t >= from && t <= to)
            *found = true;
    }
    it->ops->close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

static kstream_err_t dedup_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    const ks_dedup_params_t *dp = ctx->node->params;
    ks_task_store_t *ts = ctx->state;
    kstream_bytes_t id = {NULL, 0};
    kstream_err_t err = ((kstream_id_extractor_cb *)dp->cb.fn)(
            rec, &id, dp->cb.opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "id extractor returned %s", kstream_err2name(err));
    if (!id.data)
        return ks_forward(ctx, rec);
    /* Copy: the id may be borrowed from the record or a static buffer. */
    void *copy = ks_arena_memdup(ctx->env->arena, id.data, id.len);
    if (!copy)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    id.data = copy;

    ks_store_t *top = ks_pstore_stack(ts->ps);
    int64_t t = rec->timestamp < 0 ? 0 : rec->timestamp;
    if (ctx->env->stream_time >= 0)
        ks_store_observe_time(top, ctx->env->stream_time);
    int64_t from = t < dp->window ? 0 : t - dp->window;
    int64_t to = t > INT64_MAX - dp->window ? INT64_MAX : t + dp->window;
    bool dup = false;
    err = seen(ctx, top, id, from, to, &dup);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed: %s", ts->def->name,
                       kstream_err2str(err));

    /* Remember the id at this record's time (a duplicate refreshes it). */
    uint8_t *wkey = ks_arena_alloc(ctx->env->arena, id.len + 8);
    size_t vlen = 0;
    void *tv = ks_tv_encode(ctx->env->arena, t, NULL, 0, &vlen);
    if (!wkey || !tv)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    size_t wlen = ks_wkey_encode(wkey, id.data, id.len, t);
    err = top->ops->put(top, wkey, wlen, tv, vlen);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "writing store '%s' failed: %s", ts->def->name,
                       kstream_err2str(err));
    if (dup) {
        ks_skip(ctx, KS_CNT_DUPLICATE, rec, "duplicate id");
        return KSTREAM_OK;
    }
    return ks_forward(ctx, rec);
}

const ks_proc_class_t ks_class_dedup = {.kind = "deduplicate",
                                        .init = dedup_init,
                                        .process = dedup_process,
                                        .free_params = ks_dedup_params_free};
