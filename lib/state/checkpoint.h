/* checkpoint.h - a task's checkpoint file (Kafka Streams' OffsetCheckpoint):
 * for each changelog partition of the task's persistent stores, the next
 * changelog offset to restore from, i.e. the local store holds every
 * changelog record before it.
 *
 * The file is text:
 *
 *     kstream-checkpoint 1
 *     <entries>
 *     <topic> <partition> <offset>      (one line per entry)
 *     crc32 <8 lowercase hex digits>    (of every byte before this line)
 *
 * A torn or edited file fails the checksum or the entry count and reads as
 * corrupt, so the caller rebuilds the stores from scratch rather than
 * trusting offsets it cannot vouch for. Writes go to "<path>.tmp", are
 * fsync'ed and renamed over the path (then the directory is fsync'ed):
 * a reader sees the old file or the new one, never a mix. */
#ifndef KS_CHECKPOINT_H
#define KS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "kstream.h"

#define KS_CHECKPOINT_FILE ".checkpoint"

typedef struct ks_checkpoint_entry {
    char *topic;
    int32_t partition;
    int64_t offset; /* >= 0 */
} ks_checkpoint_entry_t;

typedef struct ks_checkpoint {
    ks_checkpoint_entry_t *v;
    size_t n, cap;
} ks_checkpoint_t; /* zero-initialised: empty */

typedef enum ks_checkpoint_res {
    KS_CHECKPOINT_OK,
    KS_CHECKPOINT_MISSING, /* no file */
    KS_CHECKPOINT_CORRUPT, /* unreadable, truncated, bad checksum/format */
    KS_CHECKPOINT_NO_MEMORY
} ks_checkpoint_res_t;

/* Read path into *cp (emptied first; empty unless KS_CHECKPOINT_OK). */
ks_checkpoint_res_t ks_checkpoint_read(const char *path, ks_checkpoint_t *cp);
/* Write cp to path atomically. KSTREAM_ERR_STORE (message in errstr) on an
 * I/O error; the old file, if any, is then left as it was. */
kstream_err_t ks_checkpoint_write(const char *path, const ks_checkpoint_t *cp,
                                  char *errstr, size_t errstr_size);
/* Add or replace the entry of (topic, partition). Topic names must not
 * contain whitespace (Kafka's never do). 0, or -1 on out-of-memory. */
int ks_checkpoint_set(ks_checkpoint_t *cp, const char *topic,
                      int32_t partition, int64_t offset);
/* The offset of (topic, partition), or -1 when there is no entry. */
int64_t ks_checkpoint_get(const ks_checkpoint_t *cp, const char *topic,
                          int32_t partition);
/* Free the entries (cp stays usable, empty). */
void ks_checkpoint_clear(ks_checkpoint_t *cp);

#endif /* KS_CHECKPOINT_H */
