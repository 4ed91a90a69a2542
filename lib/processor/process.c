/* process.c - user processors (Kafka Streams' Processor API:
 * init / process / close per task). */
#include <stdlib.h>

#include "processor/processor.h"

static kstream_err_t process_init(kstream_ctx_t *ctx)
{
    const ks_process_params_t *pp = ctx->node->params;
    ctx->state = pp->opaque;
    if (!pp->proc.init)
        return KSTREAM_OK;
    void *state = NULL;
    kstream_err_t err = pp->proc.init(ctx, pp->opaque, &state);
    if (err)
        return err;
    ctx->state = state;
    return KSTREAM_OK;
}

static kstream_err_t process_process(kstream_ctx_t *ctx,
                                     const kstream_record_t *rec)
{
    const ks_process_params_t *pp = ctx->node->params;
    kstream_err_t err = pp->proc.process(ctx, rec, ctx->state);
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                       "processor returned %s", kstream_err2name(err));
    return KSTREAM_OK;
}

static void process_close(kstream_ctx_t *ctx)
{
    const ks_process_params_t *pp = ctx->node->params;
    if (pp->proc.close)
        pp->proc.close(ctx, ctx->state);
    ks_punct_remove_ctx(&ctx->env->punct, ctx);
    ctx->state = NULL;
}

static void process_free(void *p)
{
    ks_process_params_t *pp = p;
    if (!pp)
        return;
    if (pp->opaque_free)
        pp->opaque_free(pp->opaque);
    free(pp);
}

const ks_proc_class_t ks_class_process = {.kind = "process",
                                          .init = process_init,
                                          .process = process_process,
                                          .close = process_close,
                                          .free_params = process_free};
