/* builder.c - kstream_builder_t (Kafka Streams' StreamsBuilder): sources,
 * sticky operator errors, build. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dsl/dsl.h"

kstream_builder_t *kstream_builder_new(void)
{
    return calloc(1, sizeof(kstream_builder_t));
}

void kstream_builder_destroy(kstream_builder_t *b)
{
    if (!b)
        return;
    ks_graph_free(&b->g);
    for (size_t i = 0; i < b->streams.len; i++)
        free(b->streams.items[i]);
    ks_vec_free(&b->streams);
    for (size_t i = 0; i < b->splits.len; i++) {
        kstream_split_t *sp = b->splits.items[i];
        free(sp->prefix);
        free(sp);
    }
    ks_vec_free(&b->splits);
    for (size_t i = 0; i < b->handles.len; i++)
        free(b->handles.items[i]);
    ks_vec_free(&b->handles);
    free(b->error);
    free(b);
}

const char *kstream_builder_error(const kstream_builder_t *b)
{
    return b ? b->error : NULL;
}

void *ks_dsl_error(kstream_builder_t *b, const char *fmt, ...)
{
    if (b->error)
        return NULL;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    b->error = ks_strdup(msg);
    return NULL;
}

kstream_stream_t *ks_dsl_stream(kstream_builder_t *b, ks_node_t *n,
                                bool key_changed)
{
    kstream_stream_t *s = calloc(1, sizeof(*s));
    if (!s || ks_vec_push(&b->streams, s)) {
        free(s);
        return ks_dsl_error(b, "out of memory");
    }
    s->b = b;
    s->node = n;
    s->key_changed = key_changed;
    return s;
}

bool ks_dsl_topic_valid(const char *topic)
{
    size_t len = topic ? strlen(topic) : 0;
    if (len == 0 || len > 249 || strcmp(topic, ".") == 0 ||
        strcmp(topic, "..") == 0)
        return false;
    for (const char *p = topic; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

kstream_stream_t *kstream_builder_stream_topics(kstream_builder_t *b,
                                                const char *const *topics,
                                                size_t ntopics,
                                                const char *name)
{
    if (!b)
        return NULL;
    if (!topics || ntopics == 0)
        return ks_dsl_error(b, "stream: no topics given");
    for (size_t i = 0; i < ntopics; i++)
        if (!ks_dsl_topic_valid(topics[i]))
            return ks_dsl_error(b, "stream: invalid topic name '%s'",
                                topics[i] ? topics[i] : "(null)");
    if (name && !*name)
        return ks_dsl_error(b, "stream: empty name");
    ks_source_params_t *sp = ks_source_params_new();
    if (!sp)
        return ks_dsl_error(b, "out of memory");
    ks_node_t *n = ks_graph_add(&b->g, KS_NODE_SOURCE, &ks_class_source, sp,
                                "SOURCE", name);
    if (!n)
        return ks_dsl_error(b, "out of memory");
    n->topics = calloc(ntopics, sizeof(char *));
    if (!n->topics)
        return ks_dsl_error(b, "out of memory");
    n->ntopics = ntopics;
    for (size_t i = 0; i < ntopics; i++)
        if (!(n->topics[i] = ks_strdup(topics[i])))
            return ks_dsl_error(b, "out of memory");
    kstream_stream_t *s = ks_dsl_stream(b, n, false);
    if (s)
        s->is_source = true;
    return s;
}

kstream_stream_t *kstream_builder_stream(kstream_builder_t *b,
                                         const char *topic, const char *name)
{
    if (!b)
        return NULL;
    return kstream_builder_stream_topics(b, &topic, 1, name);
}

kstream_err_t kstream_stream_set_timestamp_extractor(
        kstream_stream_t *source, kstream_timestamp_extractor_cb *cb,
        void *opaque, kstream_free_cb *opaque_free)
{
    if (!source || !cb || !source->is_source) {
        if (opaque_free)
            opaque_free(opaque);
        if (source)
            ks_dsl_error(source->b,
                         "set_timestamp_extractor on '%s': %s",
                         source->node->name,
                         !cb ? "extractor is NULL" : "not a source stream");
        return KSTREAM_ERR_INVALID_ARG;
    }
    ks_source_params_t *sp = source->node->params;
    if (sp->extractor.opaque_free)
        sp->extractor.opaque_free(sp->extractor.opaque);
    sp->extractor.fn = (void *)cb;
    sp->extractor.opaque = opaque;
    sp->extractor.opaque_free = opaque_free;
    return KSTREAM_OK;
}

kstream_topology_t *kstream_builder_build(kstream_builder_t *b, char *errstr,
                                          size_t errstr_size)
{
    if (!b) {
        ks_errstr(errstr, errstr_size, "builder is NULL");
        return NULL;
    }
    kstream_topology_t *t = NULL;
    if (b->error)
        ks_errstr(errstr, errstr_size, "%s", b->error);
    else if (b->g.nodes.len == 0)
        ks_errstr(errstr, errstr_size, "the topology is empty: add a stream");
    else
        t = ks_graph_build(&b->g, errstr, errstr_size);
    kstream_builder_destroy(b);
    return t;
}

void *ks_dsl_handle(kstream_builder_t *b, size_t size)
{
    void *h = calloc(1, size);
    if (!h || ks_vec_push(&b->handles, h)) {
        free(h);
        return ks_dsl_error(b, "out of memory");
    }
    return h;
}

ks_store_def_t *ks_dsl_store(kstream_builder_t *b, ks_node_t *n,
                             const char *name, kstream_store_type_t type)
{
    bool dup = false;
    ks_store_def_t *d = ks_graph_add_store(&b->g, name, type, &dup);
    if (!d)
        return dup ? ks_dsl_error(b, "%s '%s': a store called '%s' exists "
                                     "already",
                                  n->cls->kind, n->name, name)
                   : ks_dsl_error(b, "out of memory");
    d->backend = KSTREAM_STORE_DEFAULT;
    d->timestamped = true;
    d->flags = KSTREAM_STORE_CACHING_ENABLED;
    if (ks_node_add_store(n, name))
        return ks_dsl_error(b, "out of memory");
    n->stateful = true;
    return d;
}

kstream_err_t kstream_builder_add_store(kstream_builder_t *b, const char *name,
                                        kstream_store_type_t type,
                                        kstream_store_backend_t backend,
                                        int flags, int64_t retention_ms,
                                        int64_t window_size_ms)
{
    if (!b)
        return KSTREAM_ERR_INVALID_ARG;
    const char *why = NULL;
    if (!name || !ks_dsl_topic_valid(name))
        why = "the name must be usable in a topic name";
    else if (type != KSTREAM_STORE_KEY_VALUE && type != KSTREAM_STORE_WINDOW &&
             type != KSTREAM_STORE_SESSION)
        why = "unknown store type";
    else if (backend != KSTREAM_STORE_DEFAULT &&
             backend != KSTREAM_STORE_ROCKSDB &&
             backend != KSTREAM_STORE_MEMORY)
        why = "unknown backend";
    else if (flags & ~(KSTREAM_STORE_LOGGING_DISABLED |
                       KSTREAM_STORE_CACHING_ENABLED))
        why = "unknown flags";
    else if (type != KSTREAM_STORE_KEY_VALUE && retention_ms <= 0)
        why = "window and session stores need a retention > 0";
    else if (type == KSTREAM_STORE_WINDOW &&
             (window_size_ms <= 0 || window_size_ms > retention_ms))
        why = "window stores need 0 < window size <= retention";
    if (why) {
        ks_dsl_error(b, "add_store '%s': %s", name ? name : "(null)", why);
        return KSTREAM_ERR_INVALID_ARG;
    }
    bool dup = false;
    ks_store_def_t *d = ks_graph_add_store(&b->g, name, type, &dup);
    if (!d) {
        if (!dup) {
            ks_dsl_error(b, "out of memory");
            return KSTREAM_ERR_NO_MEMORY;
        }
        ks_dsl_error(b, "add_store '%s': a store of that name exists", name);
        return KSTREAM_ERR_DUPLICATE_NAME;
    }
    d->backend = backend;
    d->flags = flags;
    d->retention = type == KSTREAM_STORE_KEY_VALUE ? 0 : retention_ms;
    d->window_size = type == KSTREAM_STORE_WINDOW ? window_size_ms : 0;
    return KSTREAM_OK;
}
