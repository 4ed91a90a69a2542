/* join_table_table.c - table-table joins (Kafka Streams'
 * KTableKTableInnerJoin, KTableKTableLeftJoin, KTableKTableRightJoin,
 * KTableKTableOuterJoin and KTableKTableJoinMerger).
 *
 * Each input table has a join node under it that sees the table's
 * updates (key, new, old) and looks up the other table's current row o
 * (NULL when absent). The result of one side's value v with o is
 * joiner(left, right) (the joiner always gets the left table's row
 * first), when the join kind allows that pair:
 *     inner: both present;  left: the left row present;  outer: either.
 * Otherwise the result is NULL (no row). The node forwards (key,
 * result(new, o), result(old, o)) unless both are NULL, stamped with the
 * larger of the update's timestamp (a delete's own time for a delete) and
 * o's. Both nodes forward into one merge node whose output is the join's
 * table (materialized only when something needs a store).
 *
 * Like Kafka Streams, the old result is computed with the other side's
 * current row, so downstream table operators retract exactly what this
 * join would emit now for the old row. */
#include <string.h>

#include "processor/processor.h"
#include "state/store.h"

static kstream_err_t tt_init(kstream_ctx_t *ctx)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    ks_task_store_t *ts = ks_ctx_task_store(ctx, jp->store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

/* One side's value (as a record, NULL: no row) joined with the other
 * side's row into *res (NULL: no result). */
static kstream_err_t result(kstream_ctx_t *ctx, bool left_side,
                            const kstream_record_t *mine,
                            const kstream_record_t *other, int64_t ts,
                            kstream_record_t **res)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    const kstream_record_t *l = left_side ? mine : other;
    const kstream_record_t *r = left_side ? other : mine;
    bool allowed = jp->kind == KSTREAM_JOIN_INNER  ? l && r
                   : jp->kind == KSTREAM_JOIN_LEFT ? l != NULL
                                                   : l || r;
    *res = NULL;
    if (!allowed)
        return KSTREAM_OK;
    return ks_join_apply(ctx, jp, l, r, ts, res);
}

/* rec with only its new (or old) value, as the joiner sees it. */
static const kstream_record_t *side_view(kstream_record_t *view,
                                         const kstream_record_t *rec,
                                         bool old)
{
    const void *v = old ? rec->old_value : rec->value;
    if (!v)
        return NULL;
    *view = *rec;
    view->value = v;
    view->value_len = old ? rec->old_value_len : rec->value_len;
    view->old_value = NULL;
    view->old_value_len = 0;
    view->flags = 0;
    return view;
}

static kstream_err_t tt_process(kstream_ctx_t *ctx,
                                const kstream_record_t *rec, bool left_side)
{
    if (!rec->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "a table-table join needs a key");
        return KSTREAM_OK;
    }
    bool found = false;
    kstream_bytes_t ov = {NULL, 0};
    int64_t other_ts = -1;
    kstream_err_t err = ks_join_lookup(ctx, ctx->state, rec->key,
                                       rec->key_len, &found, &ov, &other_ts);
    if (err)
        return err;
    if (found) {
        /* Copy: the joiner runs twice and the row is only borrowed. */
        void *copy = ks_arena_memdup(ctx->env->arena,
                                     ov.len ? ov.data : "", ov.len);
        if (!copy)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
        ov.data = copy;
    }
    kstream_record_t other;
    memset(&other, 0, sizeof(other));
    other.key = rec->key;
    other.key_len = rec->key_len;
    other.value = ov.data;
    other.value_len = ov.len;
    other.timestamp = other_ts;
    other.partition = ctx->env->partition;
    other.offset = -1;
    const kstream_record_t *o = found ? &other : NULL;

    int64_t ts = found && other_ts > rec->timestamp ? other_ts
                                                    : rec->timestamp;
    kstream_record_t nview, oview;
    kstream_record_t *rn = NULL, *ro = NULL;
    err = result(ctx, left_side, side_view(&nview, rec, false), o, ts, &rn);
    if (!err)
        err = result(ctx, left_side, side_view(&oview, rec, true), o, ts,
                     &ro);
    if (err)
        return err;
    bool has_new = rn && rn->value, has_old = ro && ro->value;
    if (!has_new && !has_old)
        return KSTREAM_OK;
    kstream_record_t out = *(has_new ? rn : ro);
    out.key = rec->key;
    out.key_len = rec->key_len;
    out.value = has_new ? rn->value : NULL;
    out.value_len = has_new ? rn->value_len : 0;
    out.old_value = has_old ? ro->value : NULL;
    out.old_value_len = has_old ? ro->value_len : 0;
    out.timestamp = ts;
    return ks_forward(ctx, &out);
}

static kstream_err_t left_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    return tt_process(ctx, rec, true);
}

static kstream_err_t right_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    return tt_process(ctx, rec, false);
}

const ks_proc_class_t ks_class_table_join_left = {
        .kind = "table_join_left_side",
        .init = tt_init,
        .process = left_process,
        .free_params = ks_join_table_params_free};
const ks_proc_class_t ks_class_table_join_right = {
        .kind = "table_join_right_side",
        .init = tt_init,
        .process = right_process,
        .free_params = ks_join_table_params_free};

/* ---- merge: both sides' results are the join's table ------------------- */
static kstream_err_t merge_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    return ks_forward(ctx, rec);
}

const ks_proc_class_t ks_class_table_join_merge = {
        .kind = "table_join_merge", .process = merge_process};
