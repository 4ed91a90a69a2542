/* handlers.c - what happens to a record that failed (Kafka Streams'
 * DeserializationExceptionHandler, ProcessingExceptionHandler,
 * ProductionExceptionHandler): fail (stop with an error naming the
 * record), continue (log, count, skip) or dlq (the original key and value
 * to errors.deadletterqueue.topic.name with headers naming the error and
 * the source). Nothing is dropped without being counted. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"

static const char *kind_name[KS_ERRK__COUNT] = {"deserialization",
                                                "processing", "production"};

/* The record as it was read (key, value, timestamp, headers), plus
 * __kstream.error.kind|code|message|node and
 * __kstream.source.topic|partition|offset. kind: "deserialization",
 * "processing", "production" or "late". */
static kstream_err_t to_dlq(ks_thread_t *th, const char *kind,
                            const ks_msg_t *msg, kstream_err_t err,
                            const char *node, const char *message)
{
    const char *topic = msg->topic ? msg->topic : "";
    char part[16], off[24];
    snprintf(part, sizeof(part), "%d", (int)msg->partition);
    snprintf(off, sizeof(off), "%" PRId64, msg->offset);
    const char *code = kstream_err2name(err);
    size_t nh = msg->nheaders + 7;
    kstream_header_t hs[nh];
    if (msg->nheaders)
        memcpy(hs, msg->headers, msg->nheaders * sizeof(*hs));
    kstream_header_t *h = hs + msg->nheaders;
    h[0] = (kstream_header_t){"__kstream.error.kind", kind, strlen(kind)};
    h[1] = (kstream_header_t){"__kstream.error.code", code, strlen(code)};
    h[2] = (kstream_header_t){"__kstream.error.message", message,
                              strlen(message)};
    h[3] = (kstream_header_t){"__kstream.error.node", node, strlen(node)};
    h[4] = (kstream_header_t){"__kstream.source.topic", topic,
                              strlen(topic)};
    h[5] = (kstream_header_t){"__kstream.source.partition", part,
                              strlen(part)};
    h[6] = (kstream_header_t){"__kstream.source.offset", off, strlen(off)};
    ks_out_t out = {.topic = th->dlq_topic,
                    .partition = -1,
                    .key = msg->key,
                    .key_len = msg->key_len,
                    .value = msg->value,
                    .value_len = msg->value_len,
                    .timestamp = msg->timestamp >= 0 ? msg->timestamp : 0,
                    .headers = hs,
                    .nheaders = nh};
    return ks_thread_produce(th, &out);
}

static kstream_err_t fail_thread(ks_thread_t *th, kstream_err_t err,
                                 const char *message)
{
    th->failed = true;
    th->error_code = err;
    snprintf(th->error, sizeof(th->error), "%s", message);
    ks_log(&th->log, KS_LOG_ERR, "HANDLER", "%s: stopping", message);
    return err;
}

kstream_err_t ks_handle_record_error(ks_thread_t *th, ks_err_kind_t kind,
                                     const ks_msg_t *msg, kstream_err_t err,
                                     const char *node, const char *detail)
{
    char message[640];
    /* A transaction's outcome is the thread's to recover from (eos.c):
     * never skipped nor dead-lettered as a record's error. */
    if (ks_err_txn(err))
        return err;
    th->m.errors[kind]++;
    if (msg && msg->topic)
        snprintf(message, sizeof(message),
                 "%s error at '%s' for record %s [%d] offset %" PRId64
                 ": %s%s%s",
                 kind_name[kind], node, msg->topic, (int)msg->partition,
                 msg->offset, kstream_err2str(err),
                 detail && *detail ? ": " : "", detail ? detail : "");
    else
        snprintf(message, sizeof(message), "%s error at '%s': %s%s%s",
                 kind_name[kind], node, kstream_err2str(err),
                 detail && *detail ? ": " : "", detail ? detail : "");

    /* A failure outside a record (punctuator) cannot be skipped or
     * dead-lettered per record: only logged and counted, or fatal. */
    ks_handler_t h = th->handler[kind];
    if (!msg && h == KS_HANDLER_DLQ)
        h = KS_HANDLER_CONTINUE;
    switch (h) {
    case KS_HANDLER_CONTINUE:
        th->m.dropped++;
        ks_log(&th->log, KS_LOG_WARNING, "HANDLER", "%s: skipped", message);
        return KSTREAM_OK;
    case KS_HANDLER_DLQ: {
        kstream_err_t derr = to_dlq(th, kind_name[kind], msg, err, node,
                                    message);
        if (derr) {
            char m2[768];
            snprintf(m2, sizeof(m2),
                     "%s; writing it to dead-letter topic '%s' failed: %s",
                     message, th->dlq_topic, kstream_err2str(derr));
            return fail_thread(th, derr, m2);
        }
        th->m.dlq++;
        ks_log(&th->log, KS_LOG_WARNING, "HANDLER", "%s: sent to '%s'",
               message, th->dlq_topic);
        return KSTREAM_OK;
    }
    case KS_HANDLER_FAIL:
    default:
        return fail_thread(th, err, message);
    }
}

kstream_err_t ks_late_record(void *owner, const kstream_ctx_t *ctx,
                             const kstream_record_t *rec)
{
    ks_thread_t *th = owner;
    ctx->env->counters[KS_CNT_LATE]++;
    ks_log(&th->log, KS_LOG_DEBUG, "LATE",
           "'%s': record of %s [%d] offset %lld at %lld is late: %s",
           ctx->node->name, rec->topic ? rec->topic : "-",
           (int)rec->partition, (long long)rec->offset,
           (long long)rec->timestamp,
           th->late_handler == KS_HANDLER_DLQ ? "dead-lettered" : "dropped");
    if (th->late_handler != KS_HANDLER_DLQ || !th->cur_msg)
        return KSTREAM_OK;
    char message[512];
    snprintf(message, sizeof(message),
             "late record at '%s' for record %s [%d] offset %" PRId64
             ": timestamp %" PRId64 " is past its window's end + grace "
             "(stream time %" PRId64 ")",
             ctx->node->name, th->cur_msg->topic ? th->cur_msg->topic : "-",
             (int)th->cur_msg->partition, th->cur_msg->offset, rec->timestamp,
             ctx->env->stream_time);
    kstream_err_t err = to_dlq(th, "late", th->cur_msg,
                               KSTREAM_ERR_INVALID_TIMESTAMP,
                               ctx->node->name, message);
    if (err)
        return ks_fail((kstream_ctx_t *)ctx, KS_FAIL_PROCESSING, err,
                       "writing a late record to dead-letter topic '%s' "
                       "failed: %s", th->dlq_topic, kstream_err2str(err));
    th->m.dlq++;
    return KSTREAM_OK;
}
