/* internal_topics.c - the internal topics a topology needs (Kafka Streams'
 * InternalTopicManager / RepartitionTopics): repartition topics with
 * their partition count, explicit or inherited from the largest upstream
 * source topic, and the changelogs of logged stores with the task count
 * of their sub-topology; each with the cleanup policy and retention to
 * create it with. Also the public kstream_topology_internal_topics(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "runtime/runtime.h"

/* The sink writing to internal topic `suffix`, or NULL. */
static const ks_node_t *writer_of(const kstream_topology_t *t,
                                  const char *suffix)
{
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *n = t->nodes.items[i];
        if (n->type == KS_NODE_SINK && n->internal && n->topic &&
            strcmp(n->topic, suffix) == 0)
            return n;
    }
    return NULL;
}

/* The join node of a sub-topology whose inputs must be co-partitioned,
 * or NULL. */
static const ks_node_t *join_of(const ks_subtopology_t *sub)
{
    for (size_t i = 0; i < sub->nodes.len; i++)
        if (((const ks_node_t *)sub->nodes.items[i])->copartition)
            return sub->nodes.items[i];
    return NULL;
}

/* The largest partition count of a sub-topology's external source topics
 * (-1: none, or one does not exist). */
static int32_t external_max(const ks_subtopology_t *sub,
                            int32_t (*pcount)(void *, const char *),
                            void *opaque)
{
    int32_t best = -1;
    for (size_t i = 0; i < sub->sources.len; i++) {
        const ks_node_t *src = sub->sources.items[i];
        for (size_t k = 0; !src->internal && k < src->ntopics; k++) {
            int32_t n = pcount(opaque, src->topics[k]);
            if (n > best)
                best = n;
        }
    }
    return best;
}

static int32_t resolve(const kstream_topology_t *t, const ks_node_t *src,
                       const char *app_id,
                       int32_t (*pcount)(void *, const char *), void *opaque,
                       int depth, char *errstr, size_t errstr_size);

/* The partition count of the sources of node `like`'s sub-topology, but
 * those that take theirs from elsewhere the same way (no cycles). */
static int32_t resolve_like(const kstream_topology_t *t, const ks_node_t *src,
                            const char *app_id,
                            int32_t (*pcount)(void *, const char *),
                            void *opaque, int depth, char *errstr,
                            size_t errstr_size)
{
    const ks_node_t *like = NULL;
    for (size_t i = 0; i < t->nodes.len && !like; i++)
        if (strcmp(((const ks_node_t *)t->nodes.items[i])->name,
                   src->partitions_like) == 0)
            like = t->nodes.items[i];
    int32_t best = -1;
    if (like && like->subtopology >= 0 && depth <= 64) {
        const ks_subtopology_t *sub = &t->subs[like->subtopology];
        for (size_t i = 0; i < sub->sources.len; i++) {
            const ks_node_t *other = sub->sources.items[i];
            if (other->partitions_like)
                continue;
            int32_t n = resolve(t, other, app_id, pcount, opaque, depth + 1,
                                errstr, errstr_size);
            if (n < 0)
                return -1;
            if (n > best)
                best = n;
        }
    }
    if (best < 0)
        ks_errstr(errstr, errstr_size,
                  "internal topic '%s-%s' takes its partition count from "
                  "the inputs of '%s', which has none",
                  app_id, src->topics[0], src->partitions_like);
    return best;
}

static int32_t resolve(const kstream_topology_t *t, const ks_node_t *src,
                       const char *app_id,
                       int32_t (*pcount)(void *, const char *), void *opaque,
                       int depth, char *errstr, size_t errstr_size)
{
    if (src->partitions > 0)
        return src->partitions;
    if (src->internal && src->partitions_like)
        return resolve_like(t, src, app_id, pcount, opaque, depth, errstr,
                            errstr_size);
    /* A repartition topic feeding a join takes the partition count of the
     * join's external inputs, or when all its inputs are repartition
     * topics, the largest of theirs (Kafka Streams' co-partition groups:
     * every topic of the group gets the same count). */
    if (src->internal && src->subtopology >= 0 && depth >= 0 &&
        join_of(&t->subs[src->subtopology])) {
        const ks_subtopology_t *sub = &t->subs[src->subtopology];
        int32_t n = external_max(sub, pcount, opaque);
        if (n > 0)
            return n;
        int32_t best = -1;
        for (size_t i = 0; i < sub->sources.len; i++) {
            const ks_node_t *o = sub->sources.items[i];
            if (!o->internal || o->partitions_like)
                continue;
            /* depth -1 - depth: resolve o by its upstream only. */
            int32_t m = o->partitions > 0
                                ? o->partitions
                                : resolve(t, o, app_id, pcount, opaque,
                                          -1 - depth, errstr, errstr_size);
            if (m < 0)
                return -1;
            if (m > best)
                best = m;
        }
        return best;
    }
    if (depth < 0)
        depth = -1 - depth;
    if (!src->internal) {
        int32_t best = -1;
        for (size_t i = 0; i < src->ntopics; i++) {
            int32_t n = pcount(opaque, src->topics[i]);
            if (n < 0) {
                ks_errstr(errstr, errstr_size,
                          "source topic '%s' of '%s' does not exist",
                          src->topics[i], src->name);
                return -1;
            }
            if (n > best)
                best = n;
        }
        return best;
    }
    const ks_node_t *w = writer_of(t, src->topics[0]);
    if (!w || depth > 64) {
        ks_errstr(errstr, errstr_size,
                  "no sink writes internal topic '%s-%s'", app_id,
                  src->topics[0]);
        return -1;
    }
    const ks_subtopology_t *up = &t->subs[w->subtopology];
    int32_t best = -1;
    for (size_t i = 0; i < up->sources.len; i++) {
        int32_t n = resolve(t, up->sources.items[i], app_id, pcount, opaque,
                            depth + 1, errstr, errstr_size);
        if (n < 0)
            return -1;
        if (n > best)
            best = n;
    }
    return best;
}

/* Kafka's windowstore.changelog.additional.retention.ms: a window or
 * session store's changelog keeps a day more than the store, so that
 * clock drift between brokers and the app never deletes live state. */
#define KS_CHANGELOG_EXTRA_RETENTION_MS INT64_C(86400000)

/* Every external source topic exists (global table topics included):
 * else KSTREAM_ERR_UNKNOWN_TOPIC naming the first one missing. */
static kstream_err_t check_sources(const kstream_topology_t *t,
                                   int32_t (*pcount)(void *, const char *),
                                   void *opaque, char *errstr,
                                   size_t errstr_size)
{
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *src = t->nodes.items[i];
        if (src->type != KS_NODE_SOURCE || src->internal)
            continue;
        for (size_t k = 0; k < src->ntopics; k++)
            if (pcount(opaque, src->topics[k]) < 0) {
                ks_errstr(errstr, errstr_size,
                          "source topic '%s' of '%s' does not exist",
                          src->topics[k], src->name);
                return KSTREAM_ERR_UNKNOWN_TOPIC;
            }
    }
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (d->global_topic && pcount(opaque, d->global_topic) < 0) {
            ks_errstr(errstr, errstr_size,
                      "source topic '%s' of global store '%s' does not "
                      "exist",
                      d->global_topic, d->name);
            return KSTREAM_ERR_UNKNOWN_TOPIC;
        }
    }
    return KSTREAM_OK;
}

/* The changelog of a logged store: its partition count is the task count
 * of its sub-topology (the largest count of the sub-topology's sources). */
static kstream_err_t add_changelog(const kstream_topology_t *t,
                                   const ks_store_def_t *d,
                                   const char *app_id,
                                   int32_t (*pcount)(void *, const char *),
                                   void *opaque, ks_internal_topic_t *it,
                                   char *errstr, size_t errstr_size)
{
    const ks_subtopology_t *sub = &t->subs[d->subtopology];
    int32_t parts = -1;
    for (size_t j = 0; j < sub->sources.len; j++) {
        int32_t p = resolve(t, sub->sources.items[j], app_id, pcount, opaque,
                            0, errstr, errstr_size);
        if (p < 0)
            return KSTREAM_ERR_INVALID_TOPOLOGY;
        if (p > parts)
            parts = p;
    }
    if (parts < 1) {
        ks_errstr(errstr, errstr_size,
                  "changelog topic '%s-%s-changelog': the sub-topology of "
                  "store '%s' has no input partitions",
                  app_id, d->name, d->name);
        return KSTREAM_ERR_INVALID_TOPOLOGY;
    }
    char name[600];
    ks_changelog_topic(app_id, d->name, name, sizeof(name));
    if (!(it->name = ks_strdup(name)))
        return KSTREAM_ERR_NO_MEMORY;
    it->partitions = parts;
    it->changelog = true;
    if (d->type == KSTREAM_STORE_KEY_VALUE) {
        it->cleanup_policy = "compact";
        it->retention_ms = -1;
    } else {
        it->cleanup_policy = "compact,delete";
        int64_t extra = KS_CHANGELOG_EXTRA_RETENTION_MS;
        it->retention_ms = d->retention > INT64_MAX - extra
                                   ? INT64_MAX
                                   : d->retention + extra;
    }
    return KSTREAM_OK;
}

kstream_err_t ks_internal_topics(const kstream_topology_t *t,
                                 const char *app_id,
                                 int32_t (*pcount)(void *opaque,
                                                   const char *topic),
                                 void *opaque, ks_internal_topic_t **out,
                                 size_t *n, char *errstr, size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    kstream_err_t err = check_sources(t, pcount, opaque, errstr, errstr_size);
    if (err)
        return err;
    ks_internal_topic_t *list =
            calloc(t->nodes.len + t->stores.len + 1, sizeof(*list));
    if (!list)
        return KSTREAM_ERR_NO_MEMORY;
    size_t k = 0;
    /* Repartition topics: Kafka Streams makes them "delete" topics with
     * infinite retention and purges what was consumed; kstream leaves
     * retention.ms to the broker (-1), which is bounded but safe as long
     * as the app keeps up. */
    for (size_t i = 0; i < t->nodes.len; i++) {
        const ks_node_t *src = t->nodes.items[i];
        if (src->type != KS_NODE_SOURCE || !src->internal)
            continue;
        int32_t parts = resolve(t, src, app_id, pcount, opaque, 0, errstr,
                                errstr_size);
        if (parts < 0) {
            ks_internal_topics_free(list, k);
            return KSTREAM_ERR_INVALID_TOPOLOGY;
        }
        char name[512];
        ks_topic_name(src->topics[0], true, app_id, name, sizeof(name));
        list[k].name = ks_strdup(name);
        list[k].partitions = parts;
        list[k].cleanup_policy = "delete";
        list[k].retention_ms = -1;
        if (!list[k++].name) {
            ks_internal_topics_free(list, k);
            return KSTREAM_ERR_NO_MEMORY;
        }
    }
    /* Changelogs of logged stores. */
    for (size_t i = 0; i < t->stores.len; i++) {
        const ks_store_def_t *d = t->stores.items[i];
        if (!ks_store_def_logged(d))
            continue;
        err = add_changelog(t, d, app_id, pcount, opaque, &list[k], errstr,
                            errstr_size);
        if (err) {
            ks_internal_topics_free(list, k);
            return err;
        }
        k++;
    }
    *out = list;
    *n = k;
    return KSTREAM_OK;
}

void ks_internal_topics_free(ks_internal_topic_t *topics, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(topics[i].name);
    free(topics);
}

kstream_err_t ks_check_copartition(const kstream_topology_t *t,
                                   const char *app_id,
                                   int32_t (*pcount)(void *opaque,
                                                     const char *topic),
                                   void *opaque, char *errstr,
                                   size_t errstr_size)
{
    for (size_t s = 0; s < t->nsubs; s++) {
        const ks_subtopology_t *sub = &t->subs[s];
        const ks_node_t *join = join_of(sub);
        if (!join)
            continue;
        const char *first = NULL;
        int32_t first_n = -1;
        char name[600], first_name[600] = "";
        for (size_t i = 0; i < sub->sources.len; i++) {
            const ks_node_t *src = sub->sources.items[i];
            int32_t n = -1;
            for (size_t k = 0; k < src->ntopics; k++) {
                n = src->internal ? resolve(t, src, app_id, pcount, opaque, 0,
                                            errstr, errstr_size)
                                  : pcount(opaque, src->topics[k]);
                if (n < 0) {
                    if (!src->internal)
                        ks_errstr(errstr, errstr_size,
                                  "source topic '%s' of '%s' does not exist",
                                  src->topics[k], src->name);
                    return KSTREAM_ERR_UNKNOWN_TOPIC;
                }
                ks_topic_name(src->topics[k], src->internal, app_id, name,
                              sizeof(name));
                if (!first) {
                    first = src->topics[k];
                    first_n = n;
                    snprintf(first_name, sizeof(first_name), "%s", name);
                } else if (n != first_n) {
                    ks_errstr(errstr, errstr_size,
                              "join '%s' needs co-partitioned inputs, but "
                              "topic '%s' has %d partitions and topic '%s' "
                              "has %d",
                              join->name, first_name, (int)first_n, name,
                              (int)n);
                    return KSTREAM_ERR_INVALID_TOPOLOGY;
                }
            }
        }
    }
    return KSTREAM_OK;
}

/* ---- the public listing ------------------------------------------------ */

typedef struct pub_pcount {
    kstream_partitions_fn *fn;
    void *opaque;
} pub_pcount_t;

/* The user's callback in the internal argument order; a count below 1
 * means the topic does not exist. */
static int32_t pub_pcount(void *opaque, const char *topic)
{
    const pub_pcount_t *p = opaque;
    int32_t n = p->fn(topic, p->opaque);
    return n >= 1 ? n : -1;
}

kstream_err_t kstream_topology_internal_topics(
        const kstream_topology_t *t, const char *application_id,
        kstream_partitions_fn *partitions_of, void *opaque,
        kstream_internal_topic_t **topics, size_t *ntopics, char *errstr,
        size_t errstr_size)
{
    if (topics)
        *topics = NULL;
    if (ntopics)
        *ntopics = 0;
    if (!t || !application_id || !*application_id || !partitions_of ||
        !topics || !ntopics) {
        ks_errstr(errstr, errstr_size,
                  "kstream_topology_internal_topics: %s is NULL%s",
                  !t                 ? "the topology"
                  : !application_id  ? "application_id"
                  : !*application_id ? "application_id"
                  : !partitions_of   ? "partitions_of"
                  : !topics          ? "topics"
                                     : "ntopics",
                  t && application_id && !*application_id ? " or empty"
                                                          : "");
        return KSTREAM_ERR_INVALID_ARG;
    }
    pub_pcount_t pc = {partitions_of, opaque};
    ks_internal_topic_t *its = NULL;
    size_t n = 0;
    kstream_err_t err = ks_internal_topics(t, application_id, pub_pcount, &pc,
                                           &its, &n, errstr, errstr_size);
    if (err)
        return err;
    kstream_internal_topic_t *out = calloc(n + 1, sizeof(*out));
    if (!out) {
        ks_internal_topics_free(its, n);
        ks_errstr(errstr, errstr_size, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    /* The names move to the public array (freed by
     * kstream_internal_topics_free()). */
    for (size_t i = 0; i < n; i++) {
        out[i].name = its[i].name;
        out[i].partitions = its[i].partitions;
        out[i].changelog = its[i].changelog;
        out[i].cleanup_policy = its[i].cleanup_policy;
        out[i].retention_ms = its[i].retention_ms;
        its[i].name = NULL;
    }
    ks_internal_topics_free(its, n);
    *topics = out;
    *ntopics = n;
    return KSTREAM_OK;
}

void kstream_internal_topics_free(kstream_internal_topic_t *topics,
                                  size_t ntopics)
{
    if (!topics)
        return;
    for (size_t i = 0; i < ntopics; i++)
        free((char *)topics[i].name);
    free(topics);
}
