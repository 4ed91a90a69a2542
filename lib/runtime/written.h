/* written.h - the highest offset written per topic-partition: what each
 * client implementation of client.h keeps for written_offset(). Appends
 * come in runs of one topic, so the last topic used is tried first. */
#ifndef KS_WRITTEN_H
#define KS_WRITTEN_H

#include <stdint.h>

#include "util/util.h"

typedef struct ks_written_topic ks_written_topic_t;

typedef struct ks_written {
    ks_map_t *topics; /* name -> ks_written_topic_t; NULL until first use */
    ks_written_topic_t *last;
} ks_written_t;

/* Note that offset of topic [partition] was written (kept when higher
 * than what is there; negative partitions or offsets are ignored).
 * 0, or -1 on out-of-memory. */
int ks_written_note(ks_written_t *w, const char *topic, int32_t partition,
                    int64_t offset);
/* The entry of topic, made on first use (NULL on out-of-memory): a
 * caller that notes many offsets of one topic keeps it and notes with
 * ks_written_note_in(), saving the name's lookup. It lives until
 * ks_written_free(). */
ks_written_topic_t *ks_written_topic(ks_written_t *w, const char *topic);
/* ks_written_note() on a topic's entry. */
int ks_written_note_in(ks_written_topic_t *t, int32_t partition,
                       int64_t offset);
/* The highest offset noted, or -1. */
int64_t ks_written_get(const ks_written_t *w, const char *topic,
                       int32_t partition);
void ks_written_free(ks_written_t *w);

#endif /* KS_WRITTEN_H */
