/* table_aggregate.c - re-grouping a table and aggregating it (Kafka
 * Streams' KTableRepartitionMap, KTableAggregate, KTableReduce).
 *
 * The regroup node maps each update (key, new, old) to the new grouping
 * key(s) and sends through the repartition topic a value that says what
 * to do, so that the aggregate subtracts the old row and adds the new one:
 *   [0x01][old]                      subtract old
 *   [0x02][new]                      add new
 *   [0x03][4-byte BE len(old)][old][new]  both, when both map to one key
 */
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"
#include "state/store.h"

enum { OP_SUB = 1, OP_ADD = 2, OP_BOTH = 3 };

static kstream_err_t map_row(kstream_ctx_t *ctx, const kstream_record_t *rec,
                             const void *value, size_t len,
                             kstream_record_t **out)
{
    const ks_cb_t *cb = ctx->node->params;
    kstream_record_t view = *rec;
    view.value = value;
    view.value_len = len;
    view.old_value = NULL;
    view.old_value_len = 0;
    kstream_record_t *o = ks_record_new(ctx->env->arena, &view, 0);
    if (!o)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    kstream_err_t err = ((kstream_mapper_cb *)cb->fn)(&view, o, cb->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "mapper returned %s",
                       kstream_err2name(err));
    if (!o->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "group_by mapped a row to a NULL key");
        *out = NULL;
        return KSTREAM_OK;
    }
    if (!o->value) { /* a NULL row contributes nothing */
        *out = NULL;
        return KSTREAM_OK;
    }
    *out = o;
    return KSTREAM_OK;
}

static kstream_err_t emit(kstream_ctx_t *ctx, const kstream_record_t *like,
                          const void *key, size_t klen, int op,
                          const kstream_record_t *o, const kstream_record_t *n)
{
    size_t len = 1 + (op == OP_BOTH ? 4 : 0) + (o ? o->value_len : 0) +
                 (n ? n->value_len : 0);
    uint8_t *v = ks_arena_alloc(ctx->env->arena, len);
    if (!v)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    uint8_t *p = v;
    *p++ = (uint8_t)op;
    if (op == OP_BOTH) {
        uint32_t ol = (uint32_t)o->value_len;
        *p++ = (uint8_t)(ol >> 24);
        *p++ = (uint8_t)(ol >> 16);
        *p++ = (uint8_t)(ol >> 8);
        *p++ = (uint8_t)ol;
    }
    if (o && o->value_len) {
        memcpy(p, o->value, o->value_len);
        p += o->value_len;
    }
    if (n && n->value_len)
        memcpy(p, n->value, n->value_len);
    kstream_record_t out = *like;
    out.key = key;
    out.key_len = klen;
    out.value = v;
    out.value_len = len;
    out.old_value = NULL;
    out.old_value_len = 0;
    return ks_forward(ctx, &out);
}

static kstream_err_t regroup_process(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec)
{
    kstream_record_t *o = NULL, *n = NULL;
    kstream_err_t err = KSTREAM_OK;
    if (rec->old_value)
        err = map_row(ctx, rec, rec->old_value, rec->old_value_len, &o);
    if (!err && rec->value)
        err = map_row(ctx, rec, rec->value, rec->value_len, &n);
    if (err)
        return err;
    if (o && n && o->key_len == n->key_len &&
        memcmp(o->key, n->key, n->key_len) == 0)
        return emit(ctx, rec, n->key, n->key_len, OP_BOTH, o, n);
    if (o && (err = emit(ctx, rec, o->key, o->key_len, OP_SUB, o, NULL)))
        return err;
    if (n)
        return emit(ctx, rec, n->key, n->key_len, OP_ADD, NULL, n);
    return KSTREAM_OK;
}

const ks_proc_class_t ks_class_table_regroup = {.kind = "table_group_by",
                                                .process = regroup_process,
                                                .free_params = ks_cb_free};

/* ---- the aggregate ---------------------------------------------------------- */
static kstream_err_t tagg_init(kstream_ctx_t *ctx)
{
    const ks_agg_params_t *ap = ctx->node->params;
    ks_task_store_t *ts = ks_store_bind(ctx, ap->store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

static kstream_err_t apply(kstream_ctx_t *ctx, const ks_agg_params_t *ap,
                           bool subtract, const kstream_record_t *rec,
                           const void *v, size_t len, kstream_bytes_t *cur)
{
    if (ap->kind == KS_AGG_REDUCE && subtract && !cur->data)
        return KSTREAM_OK; /* nothing to subtract from */
    kstream_record_t view = *rec;
    view.value = v;
    view.value_len = len;
    kstream_buf_t out;
    ks_kbuf_init_arena(&out, ctx->env->arena);
    kstream_err_t err = ks_agg_apply(ctx, ap, subtract, &view, *cur, &out);
    if (err)
        return err;
    *cur = kstream_buf_bytes(&out);
    return KSTREAM_OK;
}

static kstream_err_t tagg_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_agg_params_t *ap = ctx->node->params;
    ks_task_store_t *ts = ctx->state;
    const uint8_t *v = rec->value;
    size_t len = rec->value_len;
    if (!rec->key || !v || len < 1 || v[0] < OP_SUB || v[0] > OP_BOTH ||
        (v[0] == OP_BOTH && len < 5))
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_SERDE,
                       "malformed re-grouped table record");
    const void *ov = NULL, *nv = NULL;
    size_t olen = 0, nlen = 0;
    if (v[0] == OP_SUB) {
        ov = v + 1;
        olen = len - 1;
    } else if (v[0] == OP_ADD) {
        nv = v + 1;
        nlen = len - 1;
    } else {
        olen = ((size_t)v[1] << 24) | ((size_t)v[2] << 16) |
               ((size_t)v[3] << 8) | v[4];
        if (olen > len - 5)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_SERDE,
                           "malformed re-grouped table record");
        ov = v + 5;
        nv = v + 5 + olen;
        nlen = len - 5 - olen;
    }
    kstream_bytes_t old;
    int64_t old_ts;
    kstream_err_t err = ks_agg_read(ctx, ts, rec->key, rec->key_len, &old,
                                    &old_ts);
    if (err)
        return err;
    kstream_bytes_t cur = old;
    if (ov && (err = apply(ctx, ap, true, rec, ov, olen, &cur)))
        return err;
    if (nv && (err = apply(ctx, ap, false, rec, nv, nlen, &cur)))
        return err;
    int64_t t = rec->timestamp > old_ts ? rec->timestamp : old_ts;
    return ks_materialize(ctx, ts, rec->key, rec->key_len, cur.data, cur.len,
                          t, old.data, old.len);
}

const ks_proc_class_t ks_class_table_aggregate = {
        .kind = "table_aggregate",
        .init = tagg_init,
        .process = tagg_process,
        .free_params = ks_agg_params_free,
        .input_keyed = true};
