/* join_table.c - stream-table and stream-global-table joins (Kafka
 * Streams' KStreamKTableJoin / KStreamKTableJoinProcessor and
 * KStreamGlobalKTableJoin), and what every join against a table shares:
 * the row lookup and the joiner call.
 *
 * Each stream record looks up the table's current row (through the
 * store's cache, so it sees every update, flushed or not); table updates
 * alone emit nothing, the table side only materializes. Like Kafka
 * Streams, stream records with a NULL value are skipped and counted (a
 * NULL value is "no message" here, not a value to join). A NULL key is
 * skipped and counted by inner joins; left joins emit the record with no
 * right side (KIP-962; a stream-global left join still asks the key
 * mapper, which may find a key in the value).
 *
 * Results: a copy of the stream record (headers included) whose value the
 * joiner writes. The timestamp is the larger of the stream record's and
 * the table row's (join.h; Kafka Streams keeps the stream record's), and
 * the stream record's for global joins. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"
#include "state/store.h"

void ks_join_table_params_free(void *p)
{
    ks_join_table_params_t *jp = p;
    if (!jp)
        return;
    if (jp->opaque_free)
        jp->opaque_free(jp->opaque);
    free(jp);
}

kstream_err_t ks_join_lookup(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen, bool *found,
                             kstream_bytes_t *value, int64_t *row_ts)
{
    ks_store_t *top = ks_pstore_stack(ts->ps);
    kstream_bytes_t raw = {NULL, 0};
    *found = false;
    kstream_err_t err = top->ops->get(top, key, klen, &raw);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return KSTREAM_OK;
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed: %s", ts->def->name,
                       kstream_err2str(err));
    if (!ks_tv_decode(raw.data, raw.len, row_ts, value))
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_STORE,
                       "store '%s' holds a value without timestamp",
                       ts->def->name);
    *found = true;
    return KSTREAM_OK;
}

kstream_err_t ks_join_apply(kstream_ctx_t *ctx,
                            const ks_join_table_params_t *jp,
                            const kstream_record_t *left,
                            const kstream_record_t *right, int64_t ts,
                            kstream_record_t **out)
{
    kstream_record_t *rec = ks_record_new(ctx->env->arena,
                                          left ? left : right, 0);
    if (!rec)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    rec->value = NULL;
    rec->value_len = 0;
    rec->old_value = NULL;
    rec->old_value_len = 0;
    rec->timestamp = ts;
    rec->flags |= KS_REC_KEY_RO;
    kstream_err_t err = jp->joiner(left, right, rec, jp->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "joiner returned %s",
                       kstream_err2name(err));
    *out = rec;
    return KSTREAM_OK;
}

/* A read-only view of a table row for the joiner. */
static void row_view(kstream_record_t *view, const kstream_ctx_t *ctx,
                     const void *key, size_t klen, kstream_bytes_t value,
                     int64_t row_ts)
{
    memset(view, 0, sizeof(*view));
    view->key = key;
    view->key_len = key ? klen : 0;
    view->value = value.data;
    view->value_len = value.len;
    view->timestamp = row_ts;
    view->partition = ctx->env->partition;
    view->offset = -1;
}

/* Join rec with the row (found: row_view'ed into right) and forward. */
static kstream_err_t emit(kstream_ctx_t *ctx, const kstream_record_t *rec,
                          const kstream_record_t *right, int64_t ts)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    kstream_record_t *out = NULL;
    kstream_err_t err = ks_join_apply(ctx, jp, rec, right, ts, &out);
    if (err)
        return err;
    return ks_forward(ctx, out);
}

/* ---- stream-table ----------------------------------------------------------- */
static kstream_err_t st_init(kstream_ctx_t *ctx)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    ks_task_store_t *ts = ks_ctx_task_store(ctx, jp->store);
    if (!ts)
        return KSTREAM_ERR_UNKNOWN_NAME;
    ctx->state = ts;
    return KSTREAM_OK;
}

static kstream_err_t st_process(kstream_ctx_t *ctx,
                                const kstream_record_t *rec)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    if (!rec->value) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                "a stream-table join skips NULL values");
        return KSTREAM_OK;
    }
    if (!rec->key) {
        if (jp->kind != KSTREAM_JOIN_LEFT) {
            ks_skip(ctx, KS_CNT_DROPPED, rec,
                    "a stream-table join needs a key");
            return KSTREAM_OK;
        }
        return emit(ctx, rec, NULL, rec->timestamp);
    }
    bool found = false;
    kstream_bytes_t v = {NULL, 0};
    int64_t row_ts = -1;
    kstream_err_t err = ks_join_lookup(ctx, ctx->state, rec->key,
                                       rec->key_len, &found, &v, &row_ts);
    if (err)
        return err;
    if (!found)
        return jp->kind == KSTREAM_JOIN_LEFT
                       ? emit(ctx, rec, NULL, rec->timestamp)
                       : KSTREAM_OK;
    kstream_record_t right;
    row_view(&right, ctx, rec->key, rec->key_len, v, row_ts);
    return emit(ctx, rec, &right,
                row_ts > rec->timestamp ? row_ts : rec->timestamp);
}

const ks_proc_class_t ks_class_stream_table_join = {
        .kind = "stream_table_join",
        .init = st_init,
        .process = st_process,
        .free_params = ks_join_table_params_free};

/* ---- stream-global -------------------------------------------------------- */
static kstream_err_t sg_init(kstream_ctx_t *ctx)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    ks_task_store_t *ts = ks_ctx_task_store(ctx, jp->store);
    if (!ts || !ts->def->global_topic) {
        ks_log(ctx->env->log, KS_LOG_ERR, "JOIN",
               "'%s': '%s' is not a global table", ctx->node->name,
               jp->store);
        return KSTREAM_ERR_UNKNOWN_NAME;
    }
    ctx->state = ts;
    return KSTREAM_OK;
}

static kstream_err_t sg_process(kstream_ctx_t *ctx,
                                const kstream_record_t *rec)
{
    const ks_join_table_params_t *jp = ctx->node->params;
    bool left = jp->kind == KSTREAM_JOIN_LEFT;
    if (!rec->value || (!rec->key && !left)) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                rec->value ? "a stream-global join needs a key"
                           : "a stream-global join skips NULL values");
        return KSTREAM_OK;
    }
    kstream_buf_t kb;
    ks_kbuf_init_arena(&kb, ctx->env->arena);
    kstream_err_t err = jp->mapper(rec, &kb, jp->opaque);
    if (err == KSTREAM_ERR_NOT_FOUND) {
        if (!left) {
            ks_skip(ctx, KS_CNT_DROPPED, rec,
                    "the key mapper gave no global table key");
            return KSTREAM_OK;
        }
        return emit(ctx, rec, NULL, rec->timestamp);
    }
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "key mapper returned %s", kstream_err2name(err));
    kstream_bytes_t key = kstream_buf_bytes(&kb);
    bool found = false;
    kstream_bytes_t v = {NULL, 0};
    int64_t row_ts = -1;
    err = ks_join_lookup(ctx, ctx->state, key.data, key.len, &found, &v,
                         &row_ts);
    if (err)
        return err;
    if (!found)
        return left ? emit(ctx, rec, NULL, rec->timestamp) : KSTREAM_OK;
    kstream_record_t right;
    row_view(&right, ctx, key.data, key.len, v, row_ts);
    return emit(ctx, rec, &right, rec->timestamp);
}

const ks_proc_class_t ks_class_stream_global_join = {
        .kind = "stream_global_join",
        .init = sg_init,
        .process = sg_process,
        .free_params = ks_join_table_params_free};
