/* join_fk.c - the foreign-key table-table join (Kafka Streams' KIP-213:
 * SubscriptionSendProcessorSupplier, SubscriptionReceiveProcessorSupplier
 * with SubscriptionJoinProcessorSupplier, ForeignTableJoinProcessorSupplier
 * and SubscriptionResolverJoinProcessorSupplier).
 *
 * Data flow. The left table L (key PK) joins the right table R (key FK)
 * on fk(L's row); the two need not be co-partitioned:
 *
 *   left side (L's tasks)                right side (R's tasks)
 *   L updates -> send --- registration topic (key FK) ---> receive
 *        |         |                                         | reads R
 *        |         | (left join, no FK)      R updates -> foreign
 *        v         v                                         |
 *   left store  resolve <--- response topic (key PK) --------+
 *                  |         to the subscriber's partition
 *                  v
 *               results (key PK; not materialized)
 *
 * send turns each left update (new row, old row) into subscription
 * instructions (the ones of Kafka's SubscriptionWrapper): when the FK
 * changed, the old FK's subscription is deleted without a response
 * (DELETE_NO_PROPAGATE); a new or changed FK subscribes and asks for a
 * response even when R has no row, so that a previous result is retracted
 * (PROPAGATE_NULL_IF_NO_FK_VAL); an update that kept its FK, and an inner
 * join's insert, ask for a response only when R has a row
 * (PROPAGATE_ONLY_IF_FK_VAL); an inner join's left delete, or a row
 * whose FK went away, unsubscribes and asks for a tombstone
 * (DELETE_AND_PROPAGATE). A left join's row without a FK (or its delete)
 * needs no right side: Kafka sends it through the topics with a NULL key;
 * here send hands the response straight to resolve (same task).
 *
 * receive stores the subscription in "<name>-subscription-store" under
 * [4-byte BE length of FK][FK][PK], so that a prefix scan by the first
 * two finds every subscriber of FK (Kafka's CombinedKey), or deletes it,
 * and answers from R's current row per the instruction. foreign answers
 * every subscriber of a key when R's row changes (deletes included).
 *
 * resolve drops a response whose hash is not the one of the left row's
 * current value (a stale answer to an older subscription: the row has
 * changed since), then emits: a tombstone when the left row is gone, or
 * when an inner join has no right row; else joiner(left row, right row or
 * NULL). The result's timestamp is the larger of the response's and the
 * left row's: max(left row, right row) (join.h), and for a retraction the
 * time of the change that caused it. Headers are the response's: the left
 * update's, or the right update's for a fan-out (as in Kafka).
 *
 * Formats (integers big-endian; hash: ks_hash_bytes of the left row's
 * value, FNV-1a 64):
 *   registration topic: key FK, value
 *     [1 version = 0][1 instruction][1 flags: 1 = has hash]
 *     [8 hash (0 without)][4 primary partition][PK]
 *   response topic: key PK, value, written to the primary partition
 *     [1 version = 0][1 flags: 1 = has hash, 2 = has right row]
 *     [8 hash][8 right row timestamp (0 without)][4 len(FK)][FK]
 *     [right row value]
 *   subscription store: key [4 len(FK)][FK][PK], timestamped value
 *     (8-byte time of the subscription) + [8 hash][4 primary partition];
 *     logged, not cached.
 * Hashes are only ever stored for rows that exist: a response "without
 * hash" matches only a deleted left row.
 *
 * This file has the params and the left side (send, resolve);
 * join_fk_right.c the right side (receive, foreign, the response sink). */
#include <stdlib.h>
#include <string.h>

#include "processor/join_fk_int.h"
#include "serde/serde.h"
#include "state/store.h"

/* ---- params ------------------------------------------------------------ */
ks_fk_params_t *ks_fk_params_new(kstream_join_kind_t kind,
                                 kstream_key_extractor_cb *fk,
                                 kstream_joiner_cb *joiner, void *opaque,
                                 kstream_free_cb *opaque_free)
{
    ks_fk_params_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->refs = 1;
    p->kind = kind;
    p->fk = fk;
    p->joiner = joiner;
    p->opaque = opaque;
    p->opaque_free = opaque_free;
    return p;
}

ks_fk_params_t *ks_fk_params_ref(ks_fk_params_t *p)
{
    p->refs++;
    return p;
}

void ks_fk_params_unref(void *vp)
{
    ks_fk_params_t *p = vp;
    if (!p || --p->refs > 0)
        return;
    if (p->opaque_free)
        p->opaque_free(p->opaque);
    free(p);
}

/* ---- helpers ------------------------------------------------------------ */
kstream_err_t ks_fk_oom(kstream_ctx_t *ctx)
{
    return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
}

/* The row of key in a timestamped store, copied into the arena. */
kstream_err_t ks_fk_read_row(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen, bool *found,
                             kstream_bytes_t *row, int64_t *row_ts)
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
    if (raw.len < 8)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_SERDE,
                       "store '%s' holds a value without a timestamp",
                       ts->def->name);
    /* Copy: the next call on the store ends the borrow. */
    void *copy = ks_arena_memdup(ctx->env->arena, raw.data, raw.len);
    if (!copy)
        return ks_fk_oom(ctx);
    ks_tv_decode(copy, raw.len, row_ts, row);
    *found = true;
    return KSTREAM_OK;
}

/* ---- send (left side) --------------------------------------------------- */
/* The FK of a left row (*has false: none, or no row). */
static kstream_err_t extract_fk(kstream_ctx_t *ctx, const ks_fk_params_t *p,
                                const kstream_record_t *rec, const void *row,
                                size_t len, bool *has, kstream_bytes_t *fk)
{
    *has = false;
    if (!row)
        return KSTREAM_OK;
    kstream_record_t view = *rec;
    view.value = row;
    view.value_len = len;
    view.old_value = NULL;
    view.old_value_len = 0;
    kstream_buf_t kb;
    ks_kbuf_init_arena(&kb, ctx->env->arena);
    kstream_err_t err = p->fk(&view, &kb, p->opaque);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return KSTREAM_OK;
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "foreign key extractor returned %s",
                       kstream_err2name(err));
    kstream_bytes_t b = kstream_buf_bytes(&kb);
    /* An empty FK is a key (not Kafka's null): keep a non-NULL pointer. */
    fk->data = b.len ? b.data : "";
    fk->len = b.len;
    *has = true;
    return KSTREAM_OK;
}

static bool bytes_eq(kstream_bytes_t a, kstream_bytes_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* The child of ctx whose class is cls (or, cls NULL, the sink). */
static size_t child_index(const kstream_ctx_t *ctx,
                          const ks_proc_class_t *cls)
{
    for (size_t i = 0; i < ctx->nchildren; i++) {
        const ks_node_t *n = ctx->children[i]->node;
        if (cls ? n->cls == cls : n->type == KS_NODE_SINK)
            return i;
    }
    return ctx->nchildren;
}

/* Send a subscription for the left update rec to fk. hash NULL: the row
 * was deleted. */
static kstream_err_t subscribe(kstream_ctx_t *ctx, const kstream_record_t *rec,
                               kstream_bytes_t fk, int instruction,
                               const uint8_t *hash)
{
    size_t i = child_index(ctx, NULL);
    if (i == ctx->nchildren)
        return KSTREAM_OK; /* not wired (cannot happen from the DSL) */
    size_t len = SUB_HDR + rec->key_len;
    uint8_t *v = ks_arena_alloc(ctx->env->arena, len);
    if (!v)
        return ks_fk_oom(ctx);
    v[0] = FK_VERSION;
    v[1] = (uint8_t)instruction;
    v[2] = hash ? FK_HAS_HASH : 0;
    if (hash)
        memcpy(v + 3, hash, 8);
    else
        memset(v + 3, 0, 8);
    ks_put_be32(v + 11, (uint32_t)ctx->env->partition);
    if (rec->key_len)
        memcpy(v + SUB_HDR, rec->key, rec->key_len);
    kstream_record_t out = *rec;
    out.key = fk.data;
    out.key_len = fk.len;
    out.value = v;
    out.value_len = len;
    out.old_value = NULL;
    out.old_value_len = 0;
    return ks_forward_child(ctx, i, &out);
}

/* A left join's row without a FK (or deleted, hash NULL): the response
 * "no right row", straight to the resolver. */
static kstream_err_t resolve_locally(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec,
                                     const uint8_t *hash)
{
    size_t i = child_index(ctx, &ks_class_fk_resolve);
    if (i == ctx->nchildren)
        return KSTREAM_OK;
    size_t len = RESP_HDR;
    uint8_t *v = ks_arena_alloc(ctx->env->arena, len);
    if (!v)
        return ks_fk_oom(ctx);
    memset(v, 0, len);
    v[0] = FK_VERSION;
    v[1] = hash ? FK_HAS_HASH : 0;
    if (hash)
        memcpy(v + 2, hash, 8);
    kstream_record_t out = *rec;
    out.value = v;
    out.value_len = len;
    out.old_value = NULL;
    out.old_value_len = 0;
    return ks_forward_child(ctx, i, &out);
}

static kstream_err_t send_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_fk_params_t *p = ctx->node->params;
    if (!rec->key) {
        ks_skip(ctx, KS_CNT_DROPPED, rec, "a foreign-key join needs a key");
        return KSTREAM_OK;
    }
    /* No row before and none now: nothing joined, nothing to retract. */
    if (!rec->value && !rec->old_value)
        return KSTREAM_OK;
    bool has_old = false, has_new = false;
    kstream_bytes_t ofk = {NULL, 0}, nfk = {NULL, 0};
    kstream_err_t err = extract_fk(ctx, p, rec, rec->old_value,
                                   rec->old_value_len, &has_old, &ofk);
    if (!err)
        err = extract_fk(ctx, p, rec, rec->value, rec->value_len, &has_new,
                         &nfk);
    if (err)
        return err;
    uint8_t hb[8];
    const uint8_t *hash = NULL;
    if (rec->value) {
        ks_put_be64(hb, (int64_t)ks_hash_bytes(rec->value, rec->value_len));
        hash = hb;
    }
    /* The old FK's subscription must go when the FK changed: the new one
     * may live in another partition. */
    bool fk_changed = has_old && (!has_new || !bytes_eq(ofk, nfk));

    if (p->kind == KSTREAM_JOIN_LEFT) {
        /* Every change of a left row changes its result: always ask. */
        if (fk_changed &&
            (err = subscribe(ctx, rec, ofk, FK_DELETE_NO_PROPAGATE, hash)))
            return err;
        if (has_new)
            return subscribe(ctx, rec, nfk, FK_PROPAGATE_NULL_IF_NO_FK_VAL,
                             hash);
        return resolve_locally(ctx, rec, hash);
    }

    if (!rec->value) /* deleted: unsubscribe, retract */
        return has_old ? subscribe(ctx, rec, ofk, FK_DELETE_AND_PROPAGATE,
                                   hash)
                       : KSTREAM_OK;
    if (!has_new) {
        ks_skip(ctx, KS_CNT_DROPPED, rec,
                "the foreign key extractor found no foreign key");
        return has_old ? subscribe(ctx, rec, ofk, FK_DELETE_AND_PROPAGATE,
                                   hash)
                       : KSTREAM_OK;
    }
    if (fk_changed) {
        /* The old result (if any) must go even when the new FK has no
         * row: ask for a response either way. */
        if ((err = subscribe(ctx, rec, ofk, FK_DELETE_NO_PROPAGATE, hash)))
            return err;
        return subscribe(ctx, rec, nfk, FK_PROPAGATE_NULL_IF_NO_FK_VAL,
                         hash);
    }
    /* Insert, or update with the same FK: if R has no row, there was no
     * result before either. */
    return subscribe(ctx, rec, nfk, FK_PROPAGATE_ONLY_IF_FK_VAL, hash);
}

const ks_proc_class_t ks_class_fk_send = {.kind = "fk_join_subscription_send",
                                          .process = send_process,
                                          .free_params = ks_fk_params_unref};

/* ---- resolve (left side) ------------------------------------------------------ */
static kstream_err_t resolve_init(kstream_ctx_t *ctx)
{
    const ks_fk_params_t *p = ctx->node->params;
    ctx->state = ks_ctx_task_store(ctx, p->left_store);
    return ctx->state ? KSTREAM_OK : KSTREAM_ERR_UNKNOWN_NAME;
}

static kstream_err_t emit(kstream_ctx_t *ctx, const kstream_record_t *like,
                          const void *value, size_t len, int64_t ts)
{
    kstream_record_t out = *like;
    out.value = value;
    out.value_len = value ? len : 0;
    out.old_value = NULL;
    out.old_value_len = 0;
    out.timestamp = ts;
    out.flags = 0;
    return ks_forward(ctx, &out);
}

static kstream_err_t resolve_process(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec)
{
    const ks_fk_params_t *p = ctx->node->params;
    const uint8_t *v = rec->value;
    size_t fklen = v && rec->value_len >= RESP_HDR ? ks_get_be32(v + 18) : 0;
    if (!rec->key || !v || rec->value_len < RESP_HDR || v[0] != FK_VERSION ||
        fklen > rec->value_len - RESP_HDR)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_SERDE,
                       "malformed foreign-key join response");
    bool has_hash = v[1] & FK_HAS_HASH, has_right = v[1] & FK_HAS_RIGHT;

    bool found = false;
    kstream_bytes_t left = {NULL, 0};
    int64_t left_ts = -1;
    kstream_err_t err = ks_fk_read_row(ctx, ctx->state, rec->key, rec->key_len,
                                 &found, &left, &left_ts);
    if (err)
        return err;
    /* Stale: the left row changed (or went, or came back) since the
     * subscription this answers. */
    if (has_hash != found)
        return KSTREAM_OK;
    if (found) {
        uint8_t cur[8];
        ks_put_be64(cur, (int64_t)ks_hash_bytes(left.data, left.len));
        if (memcmp(cur, v + 2, 8) != 0)
            return KSTREAM_OK;
    }
    int64_t ts = found && left_ts > rec->timestamp ? left_ts : rec->timestamp;
    if (!found || (!has_right && p->kind == KSTREAM_JOIN_INNER))
        return emit(ctx, rec, NULL, 0, ts);

    kstream_record_t lrec = *rec;
    lrec.value = left.data;
    lrec.value_len = left.len;
    lrec.old_value = NULL;
    lrec.old_value_len = 0;
    lrec.timestamp = left_ts;
    lrec.flags = 0;
    kstream_record_t rrec;
    memset(&rrec, 0, sizeof(rrec));
    if (has_right) {
        rrec.key = v + RESP_HDR;
        rrec.key_len = fklen;
        rrec.value = v + RESP_HDR + fklen;
        rrec.value_len = rec->value_len - RESP_HDR - fklen;
        rrec.timestamp = ks_get_be64(v + 10);
        rrec.partition = -1;
        rrec.offset = -1;
    }
    kstream_record_t *out = ks_record_new(ctx->env->arena, &lrec, ts);
    if (!out)
        return ks_fk_oom(ctx);
    out->value = NULL;
    out->value_len = 0;
    out->flags |= KS_REC_KEY_RO;
    err = p->joiner(&lrec, has_right ? &rrec : NULL, out, p->opaque);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "joiner returned %s",
                       kstream_err2name(err));
    return emit(ctx, out, out->value, out->value_len, ts);
}

const ks_proc_class_t ks_class_fk_resolve = {
        .kind = "fk_join_response_resolve",
        .init = resolve_init,
        .process = resolve_process,
        .free_params = ks_fk_params_unref};
