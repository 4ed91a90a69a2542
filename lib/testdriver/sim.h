/* sim.h - the simulated in-memory Kafka cluster of the test driver: topics
 * as partitioned logs (offsets, timestamps, headers, NULL keys/values),
 * consumer groups with committed offsets, and clients implementing
 * lib/runtime/client.h on top of it. Single-threaded and deterministic. */
#ifndef KS_SIM_H
#define KS_SIM_H

#include "runtime/client.h"

typedef struct ks_sim ks_sim_t;

ks_sim_t *ks_sim_new(void);
void ks_sim_destroy(ks_sim_t *sim);

/* When on (default), producing to an unknown topic creates it with
 * `partitions` partitions. */
void ks_sim_set_auto_create(ks_sim_t *sim, bool on, int32_t partitions);

/* KSTREAM_ERR_DUPLICATE_NAME when it exists, KSTREAM_ERR_INVALID_ARG for
 * partitions < 1. */
kstream_err_t ks_sim_create_topic(ks_sim_t *sim, const char *topic,
                                  int32_t partitions);
/* Partition count, or -1 for an unknown topic. */
int32_t ks_sim_partitions(const ks_sim_t *sim, const char *topic);

/* Append a record (everything copied). partition -1: murmur2 of the key
 * modulo partitions, NULL keys round-robin per topic (deterministic).
 * Out: the partition and offset it got (either may be NULL). Steady-state
 * appends do not malloc per record (chunked storage). */
kstream_err_t ks_sim_append(ks_sim_t *sim, const ks_out_t *rec,
                            int32_t *partition, int64_t *offset);

/* End offset (next offset to be written) of a partition; -1 if unknown. */
int64_t ks_sim_end_offset(const ks_sim_t *sim, const char *topic,
                          int32_t partition);
/* Read the record at offset; its pointers stay valid for the sim's life.
 * KSTREAM_ERR_UNKNOWN_TOPIC / _UNKNOWN_PARTITION / _NOT_FOUND. */
kstream_err_t ks_sim_read(const ks_sim_t *sim, const char *topic,
                          int32_t partition, int64_t offset, ks_msg_t *out);
/* Records of a topic in the order they were appended across partitions:
 * the idx-th append. KSTREAM_ERR_NOT_FOUND past the end. */
kstream_err_t ks_sim_read_appended(const ks_sim_t *sim, const char *topic,
                                   size_t idx, ks_msg_t *out);
size_t ks_sim_appended_count(const ks_sim_t *sim, const char *topic);

/* Group offsets (Kafka meaning: next offset to read). -1: none. */
kstream_err_t ks_sim_commit(ks_sim_t *sim, const char *group,
                            const char *topic, int32_t partition,
                            int64_t offset);
int64_t ks_sim_committed(const ks_sim_t *sim, const char *group,
                         const char *topic, int32_t partition);

/* A client (consumer + producer) that is a member of `group`. With one
 * member in a group, it is assigned every partition of the topics it
 * subscribes to (range assignment across members, by member creation
 * order, when there are several). Assignment events fire from poll(). */
ks_client_t *ks_sim_client_new(ks_sim_t *sim, const char *group,
                               const ks_client_events_t *events);

#endif /* KS_SIM_H */
