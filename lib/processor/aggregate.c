/* aggregate.c - stream aggregations (Kafka Streams' KStreamAggregate,
 * KStreamReduce and count): fold each record into its key's aggregate in
 * a timestamped key-value store and emit the update (new, old). The
 * result's timestamp is the largest input timestamp so far. Records with
 * a NULL key or value are skipped and counted. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"
#include "state/store.h"

void ks_agg_params_free(void *p)
{
    ks_agg_params_t *ap = p;
    if (!ap)
        return;
    if (ap->opaque_free)
        ap->opaque_free(ap->opaque);
    if (ap->init_opaque_free)
        ap->init_opaque_free(ap->init_opaque);
    free(ap);
}

kstream_err_t ks_agg_apply(kstream_ctx_t *ctx, const ks_agg_params_t *ap,
                           bool subtract, const kstream_record_t *rec,
                           kstream_bytes_t agg, kstream_buf_t *out)
{
    kstream_aggregator_cb *fn = subtract ? ap->sub : ap->add;
    kstream_err_t err;
    if (ap->kind == KS_AGG_COUNT) {
        int64_t n = 0;
        if (agg.data && agg.len == 8)
            n = ks_get_be64(agg.data);
        n += subtract ? -1 : 1;
        uint8_t *p = kstream_buf_reserve(out, 8);
        if (!p)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
        ks_put_be64(p, n);
        return KSTREAM_OK;
    }
    if (!agg.data) {
        if (ap->kind == KS_AGG_REDUCE) {
            /* The first value is the aggregate (a subtract from nothing
             * leaves nothing). */
            if (subtract)
                return KSTREAM_OK;
            return kstream_buf_append(out, rec->value ? rec->value : "",
                                      rec->value_len)
                           ? ks_fail(ctx, KS_FAIL_PROCESSING,
                                     KSTREAM_ERR_NO_MEMORY, NULL)
                           : KSTREAM_OK;
        }
        kstream_buf_t init;
        ks_kbuf_init_arena(&init, ctx->env->arena);
        err = ap->init(&init, ap->init_opaque);
        if (err)
            return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                           "initializer returned %s", kstream_err2name(err));
        agg = kstream_buf_bytes(&init);
    }
    err = fn(rec, agg, out, ap->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "aggregator returned %s", kstream_err2name(err));
    return KSTREAM_OK;
}

typedef struct agg_state {
    ks_task_store_t *ts;
} agg_state_t;

static kstream_err_t agg_init(kstream_ctx_t *ctx)
{
    const ks_agg_params_t *ap = ctx->node->params;
    ks_task_store_t *ts = ks_store_bind(ctx, ap->store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

kstream_err_t ks_agg_read(kstream_ctx_t *ctx, ks_task_store_t *ts,
                          const void *key, size_t klen, kstream_bytes_t *agg,
                          int64_t *agg_ts)
{
    ks_store_t *top = ks_pstore_stack(ts->ps);
    kstream_bytes_t raw;
    *agg = (kstream_bytes_t){NULL, 0};
    *agg_ts = -1;
    kstream_err_t err = top->ops->get(top, key, klen, &raw);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return KSTREAM_OK;
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed", ts->def->name);
    void *copy = ks_arena_memdup(ctx->env->arena, raw.data, raw.len);
    if (!copy)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    if (!ks_tv_decode(copy, raw.len, agg_ts, agg))
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_STORE,
                       "store '%s' holds a value without timestamp",
                       ts->def->name);
    return KSTREAM_OK;
}

static kstream_err_t agg_process(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec)
{
    const ks_agg_params_t *ap = ctx->node->params;
    ks_task_store_t *ts = ctx->state;
    if (!rec->key || !rec->value) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                rec->key ? "aggregations skip NULL values"
                         : "aggregations need a key");
        return KSTREAM_OK;
    }
    kstream_bytes_t old;
    int64_t old_ts;
    kstream_err_t err = ks_agg_read(ctx, ts, rec->key, rec->key_len, &old,
                                    &old_ts);
    if (err)
        return err;
    kstream_buf_t out;
    ks_kbuf_init_arena(&out, ctx->env->arena);
    err = ks_agg_apply(ctx, ap, false, rec, old, &out);
    if (err)
        return err;
    kstream_bytes_t nv = kstream_buf_bytes(&out);
    int64_t t = rec->timestamp > old_ts ? rec->timestamp : old_ts;
    return ks_materialize(ctx, ts, rec->key, rec->key_len, nv.data, nv.len, t,
                          old.data, old.len);
}

const ks_proc_class_t ks_class_aggregate = {.kind = "aggregate",
                                            .init = agg_init,
                                            .process = agg_process,
                                            .free_params = ks_agg_params_free,
                                            .input_keyed = true};
