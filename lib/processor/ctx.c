/* ctx.c - the processor context (Kafka Streams' ProcessorContext):
 * forwarding to children, failure bookkeeping, times and metadata. */
#include <stdio.h>
#include <string.h>

#include "processor/processor.h"

kstream_err_t ks_forward_child(kstream_ctx_t *ctx, size_t i,
                               const kstream_record_t *rec)
{
    kstream_ctx_t *child = ctx->children[i];
    return child->node->cls->process(child, rec);
}

kstream_err_t ks_forward(kstream_ctx_t *ctx, const kstream_record_t *rec)
{
    for (size_t i = 0; i < ctx->nchildren; i++) {
        kstream_err_t err = ks_forward_child(ctx, i, rec);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

kstream_err_t ks_fail(kstream_ctx_t *ctx, ks_fail_kind_t kind,
                      kstream_err_t err, const char *fmt, ...)
{
    ks_task_env_t *env = ctx->env;
    if (env->fail_node)
        return err;
    env->fail_node = ctx->node;
    env->fail_kind = kind;
    env->fail_detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(env->fail_detail, sizeof(env->fail_detail), fmt, ap);
        va_end(ap);
    }
    return err;
}

kstream_err_t kstream_ctx_forward(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    if (!ctx || !rec)
        return KSTREAM_ERR_INVALID_ARG;
    return ks_forward(ctx, rec);
}

kstream_err_t kstream_ctx_forward_to(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec,
                                     const char *child)
{
    if (!ctx || !rec || !child)
        return KSTREAM_ERR_INVALID_ARG;
    for (size_t i = 0; i < ctx->nchildren; i++)
        if (strcmp(ctx->children[i]->node->name, child) == 0)
            return ks_forward_child(ctx, i, rec);
    return KSTREAM_ERR_UNKNOWN_NAME;
}

kstream_record_t *kstream_ctx_record_new(kstream_ctx_t *ctx,
                                         const kstream_record_t *from)
{
    if (!ctx)
        return NULL;
    return ks_record_new(ctx->env->arena, from, ctx->env->cur_ts);
}

int64_t kstream_ctx_stream_time(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->env->stream_time : -1;
}

int64_t kstream_ctx_wall_clock(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->env->wall_clock : -1;
}

int32_t kstream_ctx_partition(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->env->partition : -1;
}

int kstream_ctx_subtopology(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->env->subtopology : -1;
}

const char *kstream_ctx_application_id(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->env->application_id : NULL;
}

const char *kstream_ctx_node_name(const kstream_ctx_t *ctx)
{
    return ctx ? ctx->node->name : NULL;
}
