/* changelog.c - the changelogging layer (Kafka Streams'
 * ChangeLoggingKeyValueBytesStore): every put and delete goes to the inner
 * store first, then to the changelog topic through the runtime's record
 * collector, with the same key and value (a delete is a tombstone), at the
 * task's partition, stamped with the current record's time (*ts_source;
 * negative times become 0, which Kafka accepts). Reads pass through.
 * For timestamped stores (DSL stores: values carry an 8-byte timestamp
 * prefix) the changelog record holds the plain value stamped with that
 * timestamp, as Kafka Streams' timestamped stores log them; a restore puts
 * the prefix back from the record's timestamp.
 *
 * The inner store is written first so that a produce error leaves local
 * state ahead of the changelog, never behind: the error fails the task,
 * and a restore from the changelog rebuilds what it holds. */
#include "state/store.h"
#include "runtime/client.h"
#include "util/util.h"

#include <stdlib.h>

typedef struct changelog {
    ks_store_t base;
    char *topic;
    int32_t partition;
    ks_produce_fn *produce;
    void *owner;
    const int64_t *ts_source; /* the owner's current record time */
    bool timestamped;
} changelog_t;

static kstream_err_t cl_get(ks_store_t *s, const void *key, size_t klen,
                            kstream_bytes_t *value) {
    return s->inner->ops->get(s->inner, key, klen, value);
}

static kstream_err_t cl_put(ks_store_t *s, const void *key, size_t klen,
                            const void *value, size_t vlen) {
    changelog_t *cl = (changelog_t *)s;
    kstream_err_t err = s->inner->ops->put(s->inner, key, klen, value, vlen);
    int64_t ts = *cl->ts_source;
    if (cl->timestamped && value && vlen >= 8) {
        const uint8_t *p = value;
        ts = (int64_t)((uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
                       (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
                       (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
                       (uint64_t)p[6] << 8 | (uint64_t)p[7]);
        value = p + 8;
        vlen -= 8;
    }
    ks_out_t out = {
            .topic = cl->topic,
            .partition = cl->partition,
            .key = key,
            .key_len = klen,
            .value = value,
            .value_len = value ? vlen : 0,
            .timestamp = ts < 0 ? 0 : ts,
            .headers = NULL,
            .nheaders = 0,
    };

    if (err != KSTREAM_OK)
        return err;
    return cl->produce(cl->owner, &out);
}

static kstream_err_t cl_range(ks_store_t *s, const void *from, size_t flen,
                              const void *to, size_t tlen, ks_iter_t **it) {
    return s->inner->ops->range(s->inner, from, flen, to, tlen, it);
}

static kstream_err_t cl_prefix(ks_store_t *s, const void *prefix, size_t plen,
                               ks_iter_t **it) {
    return s->inner->ops->prefix(s->inner, prefix, plen, it);
}

static uint64_t cl_approximate_count(ks_store_t *s) {
    return s->inner->ops->approximate_count(s->inner);
}

static kstream_err_t cl_flush(ks_store_t *s) {
    return s->inner->ops->flush(s->inner);
}

static void cl_close(ks_store_t *s) {
    changelog_t *cl = (changelog_t *)s;

    s->inner->ops->close(s->inner);
    free(cl->topic);
    free(cl);
}

static const ks_store_ops_t changelog_ops = {
        .kind = "changelog",
        .count_below = true,
        .get = cl_get,
        .put = cl_put,
        .range = cl_range,
        .prefix = cl_prefix,
        .approximate_count = cl_approximate_count,
        .flush = cl_flush,
        .close = cl_close,
        .observe_time = NULL, /* passed to inner */
};

ks_store_t *ks_changelog_wrap(ks_store_t *inner, const char *topic,
                              int32_t partition, ks_produce_fn *produce,
                              void *owner, const int64_t *ts_source,
                              bool timestamped) {
    changelog_t *cl = calloc(1, sizeof(*cl));

    if (!cl)
        return NULL;
    cl->topic = ks_strdup(topic);
    if (!cl->topic) {
        free(cl);
        return NULL;
    }
    cl->base.ops = &changelog_ops;
    cl->base.inner = inner;
    cl->partition = partition;
    cl->produce = produce;
    cl->owner = owner;
    cl->ts_source = ts_source;
    cl->timestamped = timestamped;
    return &cl->base;
}
