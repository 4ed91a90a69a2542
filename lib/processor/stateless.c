/* stateless.c - the stateless node kinds of the DSL: filter, filter_not,
 * map, map_values, select_key, flat_map, flat_map_values, peek, foreach,
 * pass-through (merge, branches) and split (Kafka Streams' KStreamFilter,
 * KStreamMap, KStreamMapValues, KStreamFlatMap, KStreamPeek,
 * KStreamBranch...). Params are a ks_cb_t except for split. */
#include <stdlib.h>

#include "processor/processor.h"

ks_cb_t *ks_cb_new(void *fn, void *opaque, kstream_free_cb *opaque_free)
{
    ks_cb_t *cb = calloc(1, sizeof(*cb));
    if (!cb)
        return NULL;
    cb->fn = fn;
    cb->opaque = opaque;
    cb->opaque_free = opaque_free;
    return cb;
}

void ks_cb_free(void *p)
{
    ks_cb_t *cb = p;
    if (!cb)
        return;
    if (cb->opaque_free)
        cb->opaque_free(cb->opaque);
    free(cb);
}

static const ks_cb_t *cbof(const kstream_ctx_t *ctx)
{
    return ctx->node->params;
}

static kstream_err_t user_failed(kstream_ctx_t *ctx, kstream_err_t err)
{
    return ks_fail(ctx, KS_FAIL_PROCESSING, err, "callback returned %s",
                   kstream_err2name(err));
}

/* ---- filter / filter_not ------------------------------------------------ */
static kstream_err_t filter_common(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec, bool want)
{
    const ks_cb_t *cb = cbof(ctx);
    bool match = false;
    kstream_err_t err = ((kstream_predicate_cb *)cb->fn)(rec, &match,
                                                          cb->opaque);
    if (err)
        return user_failed(ctx, err);
    return match == want ? ks_forward(ctx, rec) : KSTREAM_OK;
}

static kstream_err_t filter_process(kstream_ctx_t *ctx,
                                    const kstream_record_t *rec)
{
    return filter_common(ctx, rec, true);
}

static kstream_err_t filter_not_process(kstream_ctx_t *ctx,
                                        const kstream_record_t *rec)
{
    return filter_common(ctx, rec, false);
}

const ks_proc_class_t ks_class_filter = {
        .kind = "filter", .process = filter_process, .free_params = ks_cb_free,
        .keeps_key = true};
const ks_proc_class_t ks_class_filter_not = {.kind = "filter_not",
                                             .process = filter_not_process,
                                             .free_params = ks_cb_free,
                                             .keeps_key = true};

/* ---- map, map_values, select_key ------------------------------------------ */
static kstream_err_t map_common(kstream_ctx_t *ctx, const kstream_record_t *rec,
                                unsigned ro)
{
    const ks_cb_t *cb = cbof(ctx);
    kstream_record_t *out = ks_record_new(ctx->env->arena, rec, 0);
    if (!out)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    out->flags |= ro;
    kstream_err_t err = ((kstream_mapper_cb *)cb->fn)(rec, out, cb->opaque);
    if (err)
        return user_failed(ctx, err);
    out->flags &= ~(unsigned)(KS_REC_WRITABLE | KS_REC_KEY_RO | KS_REC_VALUE_RO);
    return ks_forward(ctx, out);
}

static kstream_err_t map_process(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec)
{
    return map_common(ctx, rec, 0);
}

static kstream_err_t map_values_process(kstream_ctx_t *ctx,
                                        const kstream_record_t *rec)
{
    return map_common(ctx, rec, KS_REC_KEY_RO);
}

static kstream_err_t select_key_process(kstream_ctx_t *ctx,
                                        const kstream_record_t *rec)
{
    return map_common(ctx, rec, KS_REC_VALUE_RO);
}

const ks_proc_class_t ks_class_map = {
        .kind = "map", .process = map_process, .free_params = ks_cb_free};
const ks_proc_class_t ks_class_map_values = {.kind = "map_values",
                                             .process = map_values_process,
                                             .free_params = ks_cb_free,
                                             .keeps_key = true};
const ks_proc_class_t ks_class_select_key = {.kind = "select_key",
                                             .process = select_key_process,
                                             .free_params = ks_cb_free};

/* ---- flat_map, flat_map_values ------------------------------------------- */
static kstream_err_t flat_common(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec, unsigned ro)
{
    const ks_cb_t *cb = cbof(ctx);
    kstream_records_t out = {.arena = ctx->env->arena, .in = rec,
                             .ro_flags = ro};
    kstream_err_t err = ((kstream_flat_mapper_cb *)cb->fn)(rec, &out,
                                                            cb->opaque);
    if (err)
        return user_failed(ctx, err);
    for (size_t i = 0; i < out.n; i++) {
        kstream_record_t *r = out.recs[i];
        r->flags &= ~(unsigned)(KS_REC_WRITABLE | KS_REC_KEY_RO);
        err = ks_forward(ctx, r);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

static kstream_err_t flat_map_process(kstream_ctx_t *ctx,
                                      const kstream_record_t *rec)
{
    return flat_common(ctx, rec, 0);
}

static kstream_err_t flat_map_values_process(kstream_ctx_t *ctx,
                                             const kstream_record_t *rec)
{
    return flat_common(ctx, rec, KS_REC_KEY_RO);
}

const ks_proc_class_t ks_class_flat_map = {.kind = "flat_map",
                                           .process = flat_map_process,
                                           .free_params = ks_cb_free};
const ks_proc_class_t ks_class_flat_map_values = {
        .kind = "flat_map_values",
        .process = flat_map_values_process,
        .free_params = ks_cb_free,
        .keeps_key = true};

/* ---- peek, foreach -------------------------------------------------------- */
static kstream_err_t peek_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_cb_t *cb = cbof(ctx);
    kstream_err_t err = ((kstream_foreach_cb *)cb->fn)(rec, cb->opaque);
    if (err)
        return user_failed(ctx, err);
    return ks_forward(ctx, rec);
}

const ks_proc_class_t ks_class_peek = {
        .kind = "peek", .process = peek_process, .free_params = ks_cb_free,
        .keeps_key = true};
const ks_proc_class_t ks_class_foreach = {
        .kind = "foreach", .process = peek_process, .free_params = ks_cb_free};

/* ---- pass-through (merge, split branches) ------------------------------- */
static kstream_err_t passthrough_process(kstream_ctx_t *ctx,
                                         const kstream_record_t *rec)
{
    return ks_forward(ctx, rec);
}

const ks_proc_class_t ks_class_passthrough = {.kind = "passthrough",
                                              .process = passthrough_process,
                                              .keeps_key = true};

/* ---- split ----------------------------------------------------------------
 * Children are the branches in order; with a default branch it is the
 * last child. */
static kstream_err_t split_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    const ks_split_params_t *sp = ctx->node->params;
    for (size_t i = 0; i < sp->npreds; i++) {
        bool match = false;
        kstream_err_t err = ((kstream_predicate_cb *)sp->preds[i].fn)(
                rec, &match, sp->preds[i].opaque);
        if (err)
            return user_failed(ctx, err);
        if (match)
            return ks_forward_child(ctx, i, rec);
    }
    if (sp->has_default)
        return ks_forward_child(ctx, ctx->nchildren - 1, rec);
    return KSTREAM_OK;
}

static void split_free(void *p)
{
    ks_split_params_t *sp = p;
    if (!sp)
        return;
    for (size_t i = 0; i < sp->npreds; i++)
        if (sp->preds[i].opaque_free)
            sp->preds[i].opaque_free(sp->preds[i].opaque);
    free(sp->preds);
    free(sp);
}

const ks_proc_class_t ks_class_split = {
        .kind = "split", .process = split_process, .free_params = split_free,
        .keeps_key = true};
