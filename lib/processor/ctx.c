/* ctx.c - the processor context (Kafka Streams' ProcessorContext):
 * forwarding to children, failure bookkeeping, times and metadata. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "processor/processor.h"

/* The node running on this thread (kstream_fail() from DSL callbacks,
 * which get no context). Every node but a source is entered through
 * ks_forward_child; the previous one is restored when it returns.
 * initial-exec: one load and store per forward, no __tls_get_addr. */
static _Thread_local kstream_ctx_t *cur_ctx
        __attribute__((tls_model("initial-exec")));

kstream_err_t ks_forward_child(kstream_ctx_t *ctx, size_t i,
                               const kstream_record_t *rec)
{
    kstream_ctx_t *child = ctx->children[i];
    kstream_ctx_t *prev = cur_ctx;
    cur_ctx = child;
    kstream_err_t err = child->node->cls->process(child, rec);
    cur_ctx = prev;
    return err;
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

static void fail_va(kstream_ctx_t *ctx, ks_fail_kind_t kind,
                    const char *fmt, va_list ap)
{
    ks_task_env_t *env = ctx->env;
    if (env->fail_node)
        return; /* the first failure of the record wins */
    env->fail_node = ctx->node;
    env->fail_kind = kind;
    env->fail_detail[0] = '\0';
    if (fmt)
        vsnprintf(env->fail_detail, sizeof(env->fail_detail), fmt, ap);
}

kstream_err_t ks_fail(kstream_ctx_t *ctx, ks_fail_kind_t kind,
                      kstream_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_va(ctx, kind, fmt, ap);
    va_end(ap);
    return err;
}

/* The user's message, as a callback failure: it then reaches the handler
 * (log line, fail message, __kstream.error.message) instead of the
 * operator's "callback returned ...". */
kstream_err_t kstream_ctx_fail(kstream_ctx_t *ctx, kstream_err_t err,
                               const char *fmt, ...)
{
    if (!ctx || !fmt || err == KSTREAM_OK)
        return KSTREAM_ERR_INVALID_ARG;
    va_list ap;
    va_start(ap, fmt);
    fail_va(ctx, KS_FAIL_PROCESSING, fmt, ap);
    va_end(ap);
    return err;
}

kstream_err_t kstream_fail(kstream_err_t err, const char *fmt, ...)
{
    if (!fmt || err == KSTREAM_OK)
        return KSTREAM_ERR_INVALID_ARG;
    if (cur_ctx) {
        va_list ap;
        va_start(ap, fmt);
        fail_va(cur_ctx, KS_FAIL_PROCESSING, fmt, ap);
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
