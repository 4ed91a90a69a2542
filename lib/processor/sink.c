/* sink.c - sink nodes (Kafka Streams' SinkNode + RecordCollector's send):
 * write records to a fixed topic, a topic chosen per record, or an
 * internal (repartition) topic "<application.id>-<suffix>". Partitioning
 * is the client's: murmur2 of the key, murmur2_random for NULL keys. */
#include <stdlib.h>
#include <string.h>

#include "processor/processor.h"

typedef struct sink_state {
    char topic[512]; /* resolved fixed topic */
} sink_state_t;

static kstream_err_t sink_init(kstream_ctx_t *ctx)
{
    const ks_node_t *n = ctx->node;
    if (!n->topic)
        return KSTREAM_OK;
    sink_state_t *st = malloc(sizeof(*st));
    if (!st)
        return KSTREAM_ERR_NO_MEMORY;
    ks_topic_name(n->topic, n->internal, ctx->env->application_id, st->topic,
                  sizeof(st->topic));
    ctx->state = st;
    return KSTREAM_OK;
}

static void sink_close(kstream_ctx_t *ctx)
{
    free(ctx->state);
    ctx->state = NULL;
}

static kstream_err_t sink_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec)
{
    const ks_node_t *n = ctx->node;
    const char *topic;
    if (ctx->state) {
        topic = ((sink_state_t *)ctx->state)->topic;
    } else {
        const ks_sink_params_t *sp = n->params;
        topic = NULL;
        kstream_err_t err = ((kstream_topic_extractor_cb *)sp->extractor.fn)(
                rec, &topic, sp->extractor.opaque);
        if (err)
            return ks_fail(ctx, KS_FAIL_PROCESSING, err,
                           "topic extractor returned %s",
                           kstream_err2name(err));
        if (!topic || !*topic)
            return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_UNKNOWN_TOPIC,
                           "topic extractor chose no topic");
    }
    if (rec->timestamp < 0)
        return ks_fail(ctx, KS_FAIL_PRODUCTION, KSTREAM_ERR_INVALID_TIMESTAMP,
                       "record timestamp %lld is negative",
                       (long long)rec->timestamp);
    ks_out_t out = {
            .topic = topic,
            .partition = -1,
            .key = rec->key,
            .key_len = rec->key_len,
            .value = rec->value,
            .value_len = rec->value_len,
            .timestamp = rec->timestamp,
            .headers = rec->headers,
            .nheaders = rec->nheaders,
    };
    kstream_err_t err = ctx->env->produce(ctx->env->owner, &out);
    if (err)
        return ks_fail(ctx, KS_FAIL_PRODUCTION, err,
                       "producing to topic '%s' failed: %s (key %zu bytes, "
                       "value %zu bytes, %zu headers)",
                       topic, kstream_err2str(err),
                       rec->key ? rec->key_len : 0,
                       rec->value ? rec->value_len : 0, rec->nheaders);
    return KSTREAM_OK;
}

static void sink_free(void *p)
{
    ks_sink_params_t *sp = p;
    if (!sp)
        return;
    if (sp->extractor.opaque_free)
        sp->extractor.opaque_free(sp->extractor.opaque);
    free(sp);
}

const ks_proc_class_t ks_class_sink = {.kind = "sink",
                                       .init = sink_init,
                                       .process = sink_process,
                                       .close = sink_close,
                                       .free_params = sink_free};
