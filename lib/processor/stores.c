/* stores.c - what processors need around state stores: finding a task's
 * store by name (kstream_ctx_store), timestamped values of DSL stores
 * (Kafka Streams' ValueAndTimestamp: 8-byte BE timestamp + value), and
 * counting records skipped on purpose. */
#include <string.h>

#include "processor/processor.h"
#include "state/store.h"

/* Spelled out byte by byte: compilers turn these into one byte swap and
 * one load or store (the loops they replace cost ~50 instructions). */
void ks_put_be64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    p[0] = (uint8_t)(u >> 56);
    p[1] = (uint8_t)(u >> 48);
    p[2] = (uint8_t)(u >> 40);
    p[3] = (uint8_t)(u >> 32);
    p[4] = (uint8_t)(u >> 24);
    p[5] = (uint8_t)(u >> 16);
    p[6] = (uint8_t)(u >> 8);
    p[7] = (uint8_t)u;
}

int64_t ks_get_be64(const void *p)
{
    const uint8_t *b = p;
    return (int64_t)((uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
                     (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
                     (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
                     (uint64_t)b[6] << 8 | (uint64_t)b[7]);
}

void ks_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t ks_get_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

void *ks_tv_encode(ks_arena_t *arena, int64_t ts, const void *value,
                   size_t len, size_t *out_len)
{
    uint8_t *p = ks_arena_alloc(arena, len + 8);
    if (!p)
        return NULL;
    ks_put_be64(p, ts);
    if (len)
        memcpy(p + 8, value, len);
    *out_len = len + 8;
    return p;
}

bool ks_tv_decode(const void *tv, size_t len, int64_t *ts,
                  kstream_bytes_t *value)
{
    if (!tv || len < 8)
        return false;
    if (ts)
        *ts = ks_get_be64(tv);
    if (value)
        *value = (kstream_bytes_t){(const uint8_t *)tv + 8, len - 8};
    return true;
}

kstream_store_t *ks_ctx_store(const kstream_ctx_t *ctx, const char *name)
{
    const ks_task_env_t *env = ctx->env;
    for (size_t i = 0; i < env->nstores; i++) {
        const ks_task_store_t *ts = &env->stores[i];
        if (strcmp(ts->def->name, name) != 0)
            continue;
        if (ts->def->global_topic)
            return ts->ps;
        for (size_t k = 0; k < ctx->node->nstores; k++)
            if (strcmp(ctx->node->stores[k], name) == 0)
                return ts->ps;
        return NULL;
    }
    return NULL;
}

kstream_store_t *kstream_ctx_store(kstream_ctx_t *ctx, const char *name)
{
    if (!ctx || !name)
        return NULL;
    return ks_ctx_store(ctx, name);
}

void ks_skip(kstream_ctx_t *ctx, ks_counter_t what,
             const kstream_record_t *rec, const char *why)
{
    ctx->env->counters[what]++;
    ks_log(ctx->env->log, what == KS_CNT_DROPPED ? KS_LOG_WARNING
                                                 : KS_LOG_DEBUG,
           "SKIP", "'%s' skipped a record of %s [%d] offset %lld: %s",
           ctx->node->name, rec->topic ? rec->topic : "(punctuator)",
           (int)rec->partition, (long long)rec->offset, why);
}

ks_task_store_t *ks_ctx_task_store(const kstream_ctx_t *ctx, const char *name)
{
    const ks_task_env_t *env = ctx->env;
    for (size_t i = 0; i < env->nstores; i++)
        if (strcmp(env->stores[i].def->name, name) == 0)
            return &env->stores[i];
    return NULL;
}

/* Do the table updates ctx forwards need their old values? Not when
 * every child is a to_stream, which drops them (count -> to_stream ->
 * ..., the usual end of an aggregation); anything else may read them
 * (table filters and mappers, groupBy re-aggregation, suppress, joins). */
static bool old_values_needed(const kstream_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->nchildren; i++)
        if (ctx->children[i]->node->cls != &ks_class_to_stream)
            return true;
    return false;
}

ks_task_store_t *ks_store_bind(kstream_ctx_t *ctx, const char *name)
{
    ks_task_store_t *ts = ks_ctx_task_store(ctx, name);
    if (!ts)
        return NULL;
    ts->forward_ctx = ctx;
    /* The cache's write-downs reach ks_store_cache_flushed, which forwards
     * them from ctx: it can skip reading the old value of a put when no
     * child uses it (a RocksDB read per write-down). */
    if (ts->cached)
        ks_cache_set_old_values(ks_pstore_stack(ts->ps),
                                old_values_needed(ctx));
    return ts;
}

kstream_err_t ks_forward_change(kstream_ctx_t *ctx, const void *key,
                                size_t klen, const void *value, size_t vlen,
                                const void *old, size_t olen, int64_t ts)
{
    kstream_record_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.key = key;
    rec.key_len = key ? klen : 0;
    rec.value = value;
    rec.value_len = value ? vlen : 0;
    rec.old_value = old;
    rec.old_value_len = old ? olen : 0;
    rec.timestamp = ts;
    rec.partition = ctx->env->partition;
    rec.offset = -1;
    const kstream_record_t *in = ctx->env->cur_rec;
    if (in) {
        rec.topic = in->topic;
        rec.partition = in->partition;
        rec.offset = in->offset;
        rec.headers = in->headers;
        rec.nheaders = in->nheaders;
    }
    return ks_forward(ctx, &rec);
}

kstream_err_t ks_materialize(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen,
                             const void *value, size_t vlen, int64_t rec_ts,
                             const void *old, size_t olen)
{
    ks_store_t *top = ks_pstore_stack(ts->ps);
    kstream_err_t err;
    if (value) {
        size_t tvlen = 0;
        void *tv = ks_tv_encode(ctx->env->arena, rec_ts, value, vlen, &tvlen);
        if (!tv)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY,
                           NULL);
        err = top->ops->put(top, key, klen, tv, tvlen);
    } else {
        err = top->ops->put(top, key, klen, NULL, 0);
    }
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "writing store '%s' failed: %s", ts->def->name,
                       kstream_err2str(err));
    if (ts->cached)
        return KSTREAM_OK;
    return ks_forward_change(ctx, key, klen, value, vlen, old, olen, rec_ts);
}

kstream_err_t ks_store_cache_flushed(void *opaque, const void *key,
                                     size_t klen, const void *value,
                                     size_t vlen, const void *old,
                                     size_t olen)
{
    ks_task_store_t *ts = opaque;
    kstream_ctx_t *ctx = ts->forward_ctx;
    if (!ctx) /* nobody downstream (e.g. a user store) */
        return KSTREAM_OK;
    /* A put carries its time in the value; for a delete the cache has set
     * cur_ts to the time of the delete (ks_cache_set_time). */
    int64_t t = ctx->env->cur_ts;
    kstream_bytes_t v = {NULL, 0}, o = {NULL, 0};
    if (value)
        ks_tv_decode(value, vlen, &t, &v);
    if (old)
        ks_tv_decode(old, olen, NULL, &o);
    return ks_forward_change(ctx, key, klen, v.data, v.len, o.data, o.len,
                             t);
}
