/* source.c - source nodes (Kafka Streams' SourceNode): forward consumed
 * records; own the timestamp extractor of their topics. */
#include <stdlib.h>

#include "processor/processor.h"

ks_source_params_t *ks_source_params_new(void)
{
    return calloc(1, sizeof(ks_source_params_t));
}

static void source_free(void *p)
{
    ks_source_params_t *sp = p;
    if (!sp)
        return;
    if (sp->extractor.opaque_free)
        sp->extractor.opaque_free(sp->extractor.opaque);
    free(sp);
}

kstream_err_t ks_source_timestamp(const ks_node_t *source,
                                  const kstream_record_t *rec,
                                  int64_t partition_time, int64_t *ts)
{
    const ks_source_params_t *sp = source->params;
    int64_t t = rec->timestamp;
    if (sp && sp->extractor.fn) {
        kstream_err_t err = ((kstream_timestamp_extractor_cb *)
                                     sp->extractor.fn)(rec, partition_time, &t,
                                                       sp->extractor.opaque);
        if (err)
            return err;
    }
    if (t < 0)
        return KSTREAM_ERR_INVALID_TIMESTAMP;
    *ts = t;
    return KSTREAM_OK;
}

static kstream_err_t source_process(kstream_ctx_t *ctx,
                                    const kstream_record_t *rec)
{
    return ks_forward(ctx, rec);
}

const ks_proc_class_t ks_class_source = {.kind = "source",
                                         .process = source_process,
                                         .free_params = source_free,
                                         .keeps_key = true};
