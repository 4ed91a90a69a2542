/* kafka_client_offsets.c - offsets and metadata of the librdkafka client
 * (Java's consumer.commitSync(), committed(), endOffsets(),
 * currentLag(), partitionsFor()). */
#include <string.h>

#include "runtime/kafka_client_int.h"

/* Only the main consumer is in the application's group; the others have a
 * group.id of their own for librdkafka's sake and must not commit. */
static kstream_err_t kc_group_check(const ks_kafka_client_t *c) {
    return c->kind == KS_CLIENT_MAIN ? KSTREAM_OK : KSTREAM_ERR_STATE;
}

kstream_err_t ks_kafka_committed(ks_client_t *base, const ks_tp_t *tp,
                                 int64_t *offset) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    int64_t off;

    if (!c || !tp || !tp->topic || !offset)
        return KSTREAM_ERR_INVALID_ARG;
    if (kc_group_check(c))
        return KSTREAM_ERR_STATE;
    list = ks_kafka_tp_list(tp->topic, tp->partition, RD_KAFKA_OFFSET_INVALID);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    err = rd_kafka_committed(c->consumer, list, c->api_timeout_ms);
    if (!err)
        err = list->elems[0].err;
    off = list->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT",
               "committed offset of %s [%d]: %s", tp->topic,
               (int)tp->partition, rd_kafka_err2str(err));
        return ks_kafka_err(err);
    }
    /* RD_KAFKA_OFFSET_INVALID (-1001): nothing committed. */
    *offset = off < 0 ? -1 : off;
    ks_kafka_fetch_committed(c, tp->topic, tp->partition, *offset);
    return KSTREAM_OK;
}

/* The first per-partition error of a commit, logged. */
static rd_kafka_resp_err_t
kc_commit_errors(ks_kafka_client_t *c,
                 const rd_kafka_topic_partition_list_t *list) {
    rd_kafka_resp_err_t first = RD_KAFKA_RESP_ERR_NO_ERROR;
    int i;

    for (i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &list->elems[i];
        if (!p->err)
            continue;
        ks_log(&c->opaque.log, KS_LOG_WARNING, "COMMIT",
               "commit of %s [%d] at %lld failed: %s", p->topic,
               (int)p->partition, (long long)p->offset,
               rd_kafka_err2str(p->err));
        if (!first)
            first = p->err;
    }
    return first;
}

kstream_err_t ks_kafka_commit(ks_client_t *base, const ks_tp_offset_t *offs,
                              size_t n) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    size_t i;

    if (!c || (n && !offs))
        return KSTREAM_ERR_INVALID_ARG;
    if (kc_group_check(c))
        return KSTREAM_ERR_STATE;
    /* Nothing to commit; rd_kafka_commit(NULL) would commit positions. */
    if (n == 0)
        return KSTREAM_OK;
    for (i = 0; i < n; i++)
        if (!offs[i].topic || offs[i].offset < 0)
            return KSTREAM_ERR_INVALID_ARG;
    list = rd_kafka_topic_partition_list_new((int)n);
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    for (i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, offs[i].topic,
                                          offs[i].partition)
                ->offset = offs[i].offset;
    err = rd_kafka_commit(c->consumer, list, 0 /* synchronous */);
    if (err)
        ks_log(&c->opaque.log, KS_LOG_WARNING, "COMMIT", "%s: commit: %s",
               rd_kafka_name(c->consumer), rd_kafka_err2str(err));
    else
        err = kc_commit_errors(c, list);
    rd_kafka_topic_partition_list_destroy(list);
    return ks_kafka_err(err);
}

kstream_err_t ks_kafka_end_offset(ks_client_t *base, const ks_tp_t *tp,
                                  int64_t *offset) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_resp_err_t err;
    int64_t lo, hi;

    if (!c || !tp || !tp->topic || !offset)
        return KSTREAM_ERR_INVALID_ARG;
    err = rd_kafka_query_watermark_offsets(c->consumer, tp->topic,
                                           tp->partition, &lo, &hi,
                                           c->api_timeout_ms);
    if (err) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT",
               "end offset of %s [%d]: %s", tp->topic, (int)tp->partition,
               rd_kafka_err2str(err));
        return ks_kafka_err(err);
    }
    *offset = hi;
    return KSTREAM_OK;
}

/* The consumer's position in tp (next offset to read), or -1. */
static int64_t kc_position(ks_kafka_client_t *c, const ks_tp_t *tp) {
    rd_kafka_topic_partition_list_t *list;
    int64_t pos = -1;

    list = ks_kafka_tp_list(tp->topic, tp->partition, RD_KAFKA_OFFSET_INVALID);
    if (!list)
        return -1;
    if (!rd_kafka_position(c->consumer, list) && !list->elems[0].err)
        pos = list->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(list);
    return pos < 0 ? -1 : pos;
}

/* From what the last fetch told (no request): the high watermark minus the
 * position, -1 before both are known. */
kstream_err_t ks_kafka_lag(ks_client_t *base, const ks_tp_t *tp,
                           int64_t *lag) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    int64_t lo, hi, pos;

    if (!c || !tp || !tp->topic || !lag)
        return KSTREAM_ERR_INVALID_ARG;
    *lag = -1;
    if (rd_kafka_get_watermark_offsets(c->consumer, tp->topic, tp->partition,
                                       &lo, &hi) ||
        hi < 0)
        return KSTREAM_OK;
    pos = kc_position(c, tp);
    if (pos >= 0)
        *lag = hi > pos ? hi - pos : 0;
    return KSTREAM_OK;
}

/* Metadata of every topic, never of one by name: a Metadata request naming
 * a missing topic creates it on brokers with auto-creation. */
kstream_err_t ks_kafka_partition_count(ks_client_t *base, const char *topic,
                                       int32_t *n) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err;
    kstream_err_t res = KSTREAM_ERR_UNKNOWN_TOPIC;
    int i;

    if (!c || !topic || !n)
        return KSTREAM_ERR_INVALID_ARG;
    err = rd_kafka_metadata(c->consumer, 1, NULL, &md, c->api_timeout_ms);
    if (err) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "CLIENT", "metadata: %s",
               rd_kafka_err2str(err));
        return ks_kafka_err(err);
    }
    for (i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic))
            continue;
        if (t->partition_cnt > 0) {
            *n = t->partition_cnt;
            res = KSTREAM_OK;
        } else if (t->err) {
            res = ks_kafka_err(t->err);
        }
        break;
    }
    rd_kafka_metadata_destroy(md);
    return res;
}
