/* table.c - table node kinds (Kafka Streams' KTableSource,
 * KStreamToTable materialization, KTableFilter, KTableMapValues,
 * KTableImpl.toStream). Table updates carry the new value (NULL: the key
 * was deleted) and the key's previous value in old_value. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "state/store.h"

/* ---- materialization: source tables and stream.to_table ----------------- */
typedef struct mat_state {
    ks_task_store_t *ts;
} mat_state_t;

static kstream_err_t mat_init(kstream_ctx_t *ctx)
{
    const char *store = ctx->node->params;
    ks_task_store_t *ts = ks_store_bind(ctx, store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

static kstream_err_t mat_process(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec)
{
    ks_task_store_t *ts = ctx->state;
    if (!rec->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "a table record needs a key");
        return KSTREAM_OK;
    }
    ks_store_t *top = ks_pstore_stack(ts->ps);
    kstream_bytes_t raw = {NULL, 0}, old = {NULL, 0};
    kstream_err_t err = top->ops->get(top, rec->key, rec->key_len, &raw);
    if (err == KSTREAM_OK) {
        /* Copy: the next call on the store ends the borrow. */
        void *copy = ks_arena_memdup(ctx->env->arena, raw.data, raw.len);
        if (!copy)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
        ks_tv_decode(copy, raw.len, NULL, &old);
    } else if (err != KSTREAM_ERR_NOT_FOUND) {
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed", ts->def->name);
    }
    return ks_materialize(ctx, ts, rec->key, rec->key_len, rec->value,
                          rec->value_len, rec->timestamp, old.data, old.len);
}

const ks_proc_class_t ks_class_table_source = {.kind = "table",
                                               .init = mat_init,
                                               .process = mat_process,
                                               .free_params = free,
                                               .input_keyed = true};

/* ---- filter ---------------------------------------------------------------- */
static kstream_err_t test_value(kstream_ctx_t *ctx, const kstream_record_t *rec,
                                const void *value, size_t len, bool *keep)
{
    const ks_cb_t *cb = ctx->node->params;
    if (!value) {
        *keep = false;
        return KSTREAM_OK;
    }
    kstream_record_t view = *rec;
    view.value = value;
    view.value_len = len;
    view.old_value = NULL;
    view.old_value_len = 0;
    bool match = false;
    kstream_err_t err = ((kstream_predicate_cb *)cb->fn)(&view, &match,
                                                          cb->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "predicate returned %s",
                       kstream_err2name(err));
    *keep = match;
    return KSTREAM_OK;
}

static kstream_err_t filter_common(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec, bool want)
{
    bool keep_new = false, keep_old = false;
    kstream_err_t err = test_value(ctx, rec, rec->value, rec->value_len,
                                   &keep_new);
    if (!err)
        err = test_value(ctx, rec, rec->old_value, rec->old_value_len,
                         &keep_old);
    if (err)
        return err;
    if (rec->value)
        keep_new = keep_new == want;
    if (rec->old_value)
        keep_old = keep_old == want;
    /* Nothing was there and nothing is: no update (Kafka Streams with old
     * values enabled). */
    if (!keep_new && !keep_old)
        return KSTREAM_OK;
    kstream_record_t out = *rec;
    if (!keep_new) {
        out.value = NULL;
        out.value_len = 0;
    }
    if (!keep_old) {
        out.old_value = NULL;
        out.old_value_len = 0;
    }
    return ks_forward(ctx, &out);
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

const ks_proc_class_t ks_class_table_filter = {.kind = "table_filter",
                                               .process = filter_process,
                                               .free_params = ks_cb_free};
const ks_proc_class_t ks_class_table_filter_not = {
        .kind = "table_filter_not",
        .process = filter_not_process,
        .free_params = ks_cb_free};

/* ---- map_values -------------------------------------------------------------- */
static kstream_err_t map_one(kstream_ctx_t *ctx, const kstream_record_t *rec,
                             const void *value, size_t len,
                             const void **out_v, size_t *out_len)
{
    const ks_cb_t *cb = ctx->node->params;
    *out_v = NULL;
    *out_len = 0;
    if (!value)
        return KSTREAM_OK;
    kstream_record_t view = *rec;
    view.value = value;
    view.value_len = len;
    view.old_value = NULL;
    view.old_value_len = 0;
    kstream_record_t *out = ks_record_new(ctx->env->arena, &view, 0);
    if (!out)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    out->flags |= KS_REC_KEY_RO;
    kstream_err_t err = ((kstream_mapper_cb *)cb->fn)(&view, out, cb->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "mapper returned %s",
                       kstream_err2name(err));
    *out_v = out->value;
    *out_len = out->value_len;
    return KSTREAM_OK;
}

static kstream_err_t map_values_process(kstream_ctx_t *ctx,
                                        const kstream_record_t *rec)
{
    kstream_record_t out = *rec;
    kstream_err_t err = map_one(ctx, rec, rec->value, rec->value_len,
                                &out.value, &out.value_len);
    if (!err)
        err = map_one(ctx, rec, rec->old_value, rec->old_value_len,
                      &out.old_value, &out.old_value_len);
    if (err)
        return err;
    return ks_forward(ctx, &out);
}

const ks_proc_class_t ks_class_table_map_values = {
        .kind = "table_map_values",
        .process = map_values_process,
        .free_params = ks_cb_free};

/* ---- to_stream ------------------------------------------------------------------ */
static kstream_err_t to_stream_process(kstream_ctx_t *ctx,
                                       const kstream_record_t *rec)
{
    kstream_record_t out = *rec;
    out.old_value = NULL;
    out.old_value_len = 0;
    return ks_forward(ctx, &out);
}

const ks_proc_class_t ks_class_to_stream = {.kind = "to_stream",
                                            .process = to_stream_process};
