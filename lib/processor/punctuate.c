/* punctuate.c - punctuation schedules of a task (Kafka Streams'
 * PunctuationQueue / PunctuationSchedule). Stream-time schedules are
 * aligned to 0 and fire as soon as stream time reaches them; wall-clock
 * ones start one interval after scheduling. A schedule that missed several
 * intervals fires once and skips to the next interval after now. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"

kstream_err_t kstream_ctx_schedule(kstream_ctx_t *ctx, int64_t interval_ms,
                                   kstream_punctuation_type_t type,
                                   kstream_punctuator_cb *cb, void *opaque,
                                   uint64_t *id)
{
    if (!ctx || !cb || interval_ms <= 0 ||
        (type != KSTREAM_PUNCTUATE_STREAM_TIME &&
         type != KSTREAM_PUNCTUATE_WALL_CLOCK))
        return KSTREAM_ERR_INVALID_ARG;
    ks_punct_list_t *pl = &ctx->env->punct;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 4;
        ks_punct_t *items = realloc(pl->items, cap * sizeof(*items));
        if (!items)
            return KSTREAM_ERR_NO_MEMORY;
        pl->items = items;
        pl->cap = cap;
    }
    ks_punct_t *p = &pl->items[pl->n++];
    memset(p, 0, sizeof(*p));
    p->id = ++pl->next_id;
    p->ctx = ctx;
    p->type = type;
    p->interval = interval_ms;
    int64_t wall = ctx->env->wall_clock;
    p->next = type == KSTREAM_PUNCTUATE_STREAM_TIME ? 0
              : wall > INT64_MAX - interval_ms      ? INT64_MAX
                                                    : wall + interval_ms;
    p->cb = cb;
    p->opaque = opaque;
    if (id)
        *id = p->id;
    return KSTREAM_OK;
}

kstream_err_t kstream_ctx_cancel(kstream_ctx_t *ctx, uint64_t id)
{
    if (!ctx)
        return KSTREAM_ERR_INVALID_ARG;
    ks_punct_list_t *pl = &ctx->env->punct;
    for (size_t i = 0; i < pl->n; i++) {
        if (pl->items[i].id == id && !pl->items[i].cancelled) {
            pl->items[i].cancelled = true;
            return KSTREAM_OK;
        }
    }
    return KSTREAM_ERR_NOT_FOUND;
}

/* Drop cancelled schedules (not while firing: callbacks may cancel). */
static void compact(ks_punct_list_t *pl)
{
    size_t out = 0;
    for (size_t i = 0; i < pl->n; i++)
        if (!pl->items[i].cancelled)
            pl->items[out++] = pl->items[i];
    pl->n = out;
}

kstream_err_t ks_punct_fire(ks_task_env_t *env,
                            kstream_punctuation_type_t type, int64_t now)
{
    ks_punct_list_t *pl = &env->punct;
    kstream_err_t err = KSTREAM_OK;
    if (now < 0 || pl->n == 0) /* nothing scheduled: the common case */
        return KSTREAM_OK;
    /* Index loop: a callback may schedule more (realloc of items). Newly
     * added schedules are not due in this round. */
    size_t n = pl->n;
    for (size_t i = 0; i < n && !err; i++) {
        ks_punct_t *p = &pl->items[i];
        if (p->cancelled || p->type != type || p->next > now)
            continue;
        /* Next time, skipping missed intervals; time saturates at
         * INT64_MAX, after which the schedule cannot fire again. */
        int64_t interval = p->interval;
        int64_t base = p->next;
        if (now >= base + (base > INT64_MAX - interval ? 0 : interval))
            base = now - ((now - p->next) % interval);
        bool last = base > INT64_MAX - interval;
        p->next = last ? INT64_MAX : base + interval;
        if (last)
            p->cancelled = true;
        kstream_ctx_t *ctx = p->ctx;
        kstream_punctuator_cb *cb = p->cb;
        void *opaque = p->opaque;
        env->cur_ts = now;
        env->punctuations++;
        err = cb(ctx, now, opaque);
        if (err)
            ks_fail(ctx, KS_FAIL_PROCESSING, err, "punctuator failed");
        ks_arena_reset(env->arena);
    }
    compact(pl);
    return err;
}

void ks_punct_remove_ctx(ks_punct_list_t *pl, const kstream_ctx_t *ctx)
{
    for (size_t i = 0; i < pl->n; i++)
        if (pl->items[i].ctx == ctx)
            pl->items[i].cancelled = true;
    compact(pl);
}

void ks_punct_free(ks_punct_list_t *pl)
{
    free(pl->items);
    memset(pl, 0, sizeof(*pl));
}
