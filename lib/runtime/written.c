/* written.c - highest written offset per topic-partition (written.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/written.h"

struct ks_written_topic {
    char *topic;
    int64_t *offs; /* by partition, -1: none */
    int32_t n;
};

ks_written_topic_t *ks_written_topic(ks_written_t *w, const char *topic)
{
    if (w->last && strcmp(w->last->topic, topic) == 0)
        return w->last;
    if (!w->topics && !(w->topics = ks_map_new()))
        return NULL;
    ks_written_topic_t *t = ks_map_get(w->topics, topic);
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t || !(t->topic = ks_strdup(topic)) ||
            ks_map_put(w->topics, topic, t)) {
            if (t)
                free(t->topic);
            free(t);
            return NULL;
        }
    }
    w->last = t;
    return t;
}

int ks_written_note_in(ks_written_topic_t *t, int32_t partition,
                       int64_t offset)
{
    if (partition < 0 || offset < 0) /* e.g. acks=0: no offset known */
        return 0;
    if (partition >= t->n) {
        int64_t *v = realloc(t->offs, (size_t)(partition + 1) * sizeof(*v));
        if (!v)
            return -1;
        for (int32_t p = t->n; p <= partition; p++)
            v[p] = -1;
        t->offs = v;
        t->n = partition + 1;
    }
    if (offset > t->offs[partition])
        t->offs[partition] = offset;
    return 0;
}

int ks_written_note(ks_written_t *w, const char *topic, int32_t partition,
                    int64_t offset)
{
    if (partition < 0 || offset < 0)
        return 0;
    ks_written_topic_t *t = ks_written_topic(w, topic);
    return t ? ks_written_note_in(t, partition, offset) : -1;
}

int64_t ks_written_get(const ks_written_t *w, const char *topic,
                       int32_t partition)
{
    const ks_written_topic_t *t = w->topics ? ks_map_get(w->topics, topic)
                                            : NULL;
    return t && partition >= 0 && partition < t->n ? t->offs[partition] : -1;
}

void ks_written_free(ks_written_t *w)
{
    if (w->topics) {
        size_t it = 0;
        const char *k;
        void *v;
        while (ks_map_next(w->topics, &it, &k, &v)) {
            ks_written_topic_t *t = v;
            free(t->topic);
            free(t->offs);
            free(t);
        }
        ks_map_destroy(w->topics);
    }
    w->topics = NULL;
    w->last = NULL;
}
