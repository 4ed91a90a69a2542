/* join_fk_right.c - the right side of the foreign-key table-table join
 * (join_fk.c has the data flow and the formats): receive stores each
 * subscription and answers it from the right table's current row, foreign
 * answers every subscriber of a key when the right row changes, and the
 * response sink writes each answer to the subscriber's partition of the
 * response topic. */
#include <stdlib.h>
#include <string.h>

#include "processor/join_fk_int.h"
#include "state/store.h"

/* The subscription store key [4 len(FK)][FK][PK] (pk may be empty: the
 * prefix of FK's subscribers). */
static uint8_t *sub_key(ks_arena_t *arena, const void *fk, size_t fklen,
                        const void *pk, size_t pklen, size_t *len)
{
    uint8_t *k = ks_arena_alloc(arena, 4 + fklen + pklen);
    if (!k)
        return NULL;
    ks_put_be32(k, (uint32_t)fklen);
    if (fklen)
        memcpy(k + 4, fk, fklen);
    if (pklen)
        memcpy(k + 4 + fklen, pk, pklen);
    *len = 4 + fklen + pklen;
    return k;
}

/* Forward a response to PK (from `like`, which gives the headers) to be
 * written to partition part. hash NULL: none; right NULL: no right row. */
static kstream_err_t respond(kstream_ctx_t *ctx, const kstream_record_t *like,
                             const void *pk, size_t pklen, int32_t part,
                             const uint8_t *hash, kstream_bytes_t fk,
                             const kstream_bytes_t *right, int64_t right_ts,
                             int64_t ts)
{
    size_t len = RESP_HDR + fk.len + (right ? right->len : 0);
    uint8_t *v = ks_arena_alloc(ctx->env->arena, len);
    if (!v)
        return ks_fk_oom(ctx);
    v[0] = FK_VERSION;
    v[1] = (uint8_t)((hash ? FK_HAS_HASH : 0) | (right ? FK_HAS_RIGHT : 0));
    if (hash)
        memcpy(v + 2, hash, 8);
    else
        memset(v + 2, 0, 8);
    ks_put_be64(v + 10, right ? right_ts : 0);
    ks_put_be32(v + 18, (uint32_t)fk.len);
    if (fk.len)
        memcpy(v + RESP_HDR, fk.data, fk.len);
    if (right && right->len)
        memcpy(v + RESP_HDR + fk.len, right->data, right->len);
    kstream_record_t out = *like;
    out.key = pk;
    out.key_len = pklen;
    out.value = v;
    out.value_len = len;
    out.old_value = NULL;
    out.old_value_len = 0;
    out.timestamp = ts;
    out.partition = part;
    return ks_forward(ctx, &out);
}

/* ---- receive (right side) ------------------------------------------------ */
typedef struct receive_state {
    ks_task_store_t *subs;
    ks_task_store_t *right;
} receive_state_t;

static kstream_err_t receive_init(kstream_ctx_t *ctx)
{
    const ks_fk_params_t *p = ctx->node->params;
    ks_task_store_t *subs = ks_ctx_task_store(ctx, p->sub_store);
    ks_task_store_t *right = ks_ctx_task_store(ctx, p->right_store);
    if (!subs || !right)
        return KSTREAM_ERR_UNKNOWN_NAME;
    receive_state_t *st = malloc(sizeof(*st));
    if (!st)
        return KSTREAM_ERR_NO_MEMORY;
    st->subs = subs;
    st->right = right;
    ctx->state = st;
    return KSTREAM_OK;
}

static void state_close(kstream_ctx_t *ctx)
{
    free(ctx->state);
    ctx->state = NULL;
}

static kstream_err_t receive_process(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec)
{
    receive_state_t *st = ctx->state;
    const uint8_t *v = rec->value;
    if (!rec->key || !v || rec->value_len < SUB_HDR || v[0] != FK_VERSION ||
        v[1] > FK_PROPAGATE_ONLY_IF_FK_VAL)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_SERDE,
                       "malformed foreign-key join subscription");
    int instruction = v[1];
    const uint8_t *hash = (v[2] & FK_HAS_HASH) ? v + 3 : NULL;
    int32_t part = (int32_t)ks_get_be32(v + 11);
    const uint8_t *pk = v + SUB_HDR;
    size_t pklen = rec->value_len - SUB_HDR;
    kstream_bytes_t fk = {rec->key, rec->key_len};

    size_t klen = 0;
    uint8_t *key = sub_key(ctx->env->arena, fk.data, fk.len, pk, pklen,
                           &klen);
    if (!key)
        return ks_fk_oom(ctx);
    ks_store_t *top = ks_pstore_stack(st->subs->ps);
    kstream_err_t err;
    if (instruction == FK_DELETE_AND_PROPAGATE ||
        instruction == FK_DELETE_NO_PROPAGATE) {
        err = top->ops->put(top, key, klen, NULL, 0);
    } else {
        uint8_t sv[SUBV_LEN];
        if (hash)
            memcpy(sv, hash, 8);
        else
            memset(sv, 0, 8);
        ks_put_be32(sv + 8, (uint32_t)part);
        size_t tvlen = 0;
        void *tv = ks_tv_encode(ctx->env->arena, rec->timestamp, sv,
                                sizeof(sv), &tvlen);
        if (!tv)
            return ks_fk_oom(ctx);
        err = top->ops->put(top, key, klen, tv, tvlen);
    }
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "writing store '%s' failed: %s", st->subs->def->name,
                       kstream_err2str(err));
    if (instruction == FK_DELETE_NO_PROPAGATE)
        return KSTREAM_OK;

    bool found = false;
    kstream_bytes_t row = {NULL, 0};
    int64_t row_ts = -1;
    if ((err = ks_fk_read_row(ctx, st->right, fk.data, fk.len, &found, &row,
                        &row_ts)))
        return err;
    if (instruction == FK_PROPAGATE_ONLY_IF_FK_VAL && !found)
        return KSTREAM_OK;
    int64_t ts = found && row_ts > rec->timestamp ? row_ts : rec->timestamp;
    /* A retraction carries no right row (Kafka's DELETE_KEY_AND_PROPAGATE
     * response), only its time. */
    bool with_row = found && instruction != FK_DELETE_AND_PROPAGATE;
    return respond(ctx, rec, pk, pklen, part, hash, fk,
                   with_row ? &row : NULL, row_ts, ts);
}

const ks_proc_class_t ks_class_fk_receive = {
        .kind = "fk_join_subscription_receive",
        .init = receive_init,
        .process = receive_process,
        .close = state_close,
        .free_params = ks_fk_params_unref};

/* ---- foreign (right side: right table updates) ---------------------------- */
typedef struct subscriber {
    struct subscriber *next;
    const void *pk;
    size_t pklen;
    int32_t part;
    const uint8_t *hash;
} subscriber_t;

static kstream_err_t foreign_init(kstream_ctx_t *ctx)
{
    const ks_fk_params_t *p = ctx->node->params;
    ctx->state = ks_ctx_task_store(ctx, p->sub_store);
    return ctx->state ? KSTREAM_OK : KSTREAM_ERR_UNKNOWN_NAME;
}

/* Every subscriber of fk, copied into the arena in key order (the
 * iterator is closed before anything is forwarded). */
static kstream_err_t subscribers_of(kstream_ctx_t *ctx, ks_task_store_t *ts,
                                    kstream_bytes_t fk, subscriber_t **out)
{
    ks_arena_t *arena = ctx->env->arena;
    size_t plen = 0;
    uint8_t *prefix = sub_key(arena, fk.data, fk.len, NULL, 0, &plen);
    if (!prefix)
        return ks_fk_oom(ctx);
    ks_store_t *top = ks_pstore_stack(ts->ps);
    ks_iter_t *it = NULL;
    kstream_err_t err = top->ops->prefix(top, prefix, plen, &it);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "reading store '%s' failed: %s", ts->def->name,
                       kstream_err2str(err));
    subscriber_t **tail = out;
    *out = NULL;
    kstream_bytes_t k, v;
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        kstream_bytes_t sv;
        if (k.len < plen || !ks_tv_decode(v.data, v.len, NULL, &sv) ||
            sv.len < SUBV_LEN) {
            err = KSTREAM_ERR_SERDE;
            break;
        }
        subscriber_t *s = ks_arena_alloc(arena, sizeof(*s));
        uint8_t *copy = ks_arena_alloc(arena, k.len - plen + 8);
        if (!s || !copy) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        memcpy(copy, sv.data, 8);
        if (k.len > plen)
            memcpy(copy + 8, (const uint8_t *)k.data + plen, k.len - plen);
        s->next = NULL;
        s->hash = copy;
        s->pk = copy + 8;
        s->pklen = k.len - plen;
        s->part = (int32_t)ks_get_be32((const uint8_t *)sv.data + 8);
        *tail = s;
        tail = &s->next;
    }
    it->ops->close(it);
    if (err == KSTREAM_ERR_EMPTY)
        return KSTREAM_OK;
    return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                   "reading store '%s' failed: %s", ts->def->name,
                   err == KSTREAM_ERR_SERDE ? "malformed subscription"
                                            : kstream_err2str(err));
}

static kstream_err_t foreign_process(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec)
{
    if (!rec->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "a table record needs a key");
        return KSTREAM_OK;
    }
    kstream_bytes_t fk = {rec->key, rec->key_len};
    subscriber_t *subs = NULL;
    kstream_err_t err = subscribers_of(ctx, ctx->state, fk, &subs);
    if (err)
        return err;
    kstream_bytes_t row = {rec->value, rec->value_len};
    for (subscriber_t *s = subs; s; s = s->next)
        if ((err = respond(ctx, rec, s->pk, s->pklen, s->part, s->hash, fk,
                           rec->value ? &row : NULL, rec->timestamp,
                           rec->timestamp)))
            return err;
    return KSTREAM_OK;
}

const ks_proc_class_t ks_class_fk_foreign = {
        .kind = "fk_join_foreign_table_join",
        .init = foreign_init,
        .process = foreign_process,
        .free_params = ks_fk_params_unref};

/* ---- the response sink ------------------------------------------------------ */
static kstream_err_t rsink_init(kstream_ctx_t *ctx)
{
    char *topic = malloc(512);
    if (!topic)
        return KSTREAM_ERR_NO_MEMORY;
    ks_topic_name(ctx->node->topic, ctx->node->internal,
                  ctx->env->application_id, topic, 512);
    ctx->state = topic;
    return KSTREAM_OK;
}

static kstream_err_t rsink_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    const char *topic = ctx->state;
    ks_out_t out = {
            .topic = topic,
            .partition = rec->partition,
            .key = rec->key,
            .key_len = rec->key_len,
            .value = rec->value,
            .value_len = rec->value_len,
            .timestamp = rec->timestamp < 0 ? 0 : rec->timestamp,
            .headers = rec->headers,
            .nheaders = rec->nheaders,
    };
    kstream_err_t err = ctx->env->produce(ctx->env->owner, &out);
    if (err)
        return ks_fail(ctx, KS_FAIL_PRODUCTION, err,
                       "producing to topic '%s' [%d] failed: %s", topic,
                       (int)rec->partition, kstream_err2str(err));
    return KSTREAM_OK;
}

const ks_proc_class_t ks_class_fk_response_sink = {
        .kind = "fk_join_response_sink",
        .init = rsink_init,
        .process = rsink_process,
        .close = state_close};
