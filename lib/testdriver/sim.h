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

/* The partition an append of a record with this (non-NULL) key to topic
 * with partition -1 would choose, or -1 (no key, no such topic). */
int32_t ks_sim_key_partition(ks_sim_t *sim, const char *topic,
                             const void *key, size_t klen);
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

/* Whether a poll of this client now would return nothing and change
 * nothing: no rebalance due and every assigned partition read to its end
 * (paused ones included). The test driver stops its loop on it. */
bool ks_sim_client_idle(const ks_client_t *client);

/* Number of malloc/realloc calls the record storage made (data chunks and
 * index arrays) since ks_sim_new(), for tests: it grows with the log's size
 * (chunks, doubling arrays), not with the number of appends. */
uint64_t ks_sim_storage_allocs(const ks_sim_t *sim);

/* ---- shared by sim_cluster.c and sim_client.c only --------------------
 * Topics and groups live as long as the sim; the pointers below stay valid
 * until ks_sim_destroy(). Every client must be destroyed before the sim. */
typedef struct ks_sim_topic ks_sim_topic_t;
typedef struct ks_sim_group ks_sim_group_t;

/* NULL for an unknown topic. */
ks_sim_topic_t *ks_sim_topic_find(const ks_sim_t *sim, const char *topic);
const char *ks_sim_topic_name(const ks_sim_topic_t *t);
int32_t ks_sim_topic_partitions(const ks_sim_topic_t *t);
int64_t ks_sim_topic_end(const ks_sim_topic_t *t, int32_t partition);
/* Fill *out with the record at offset (which must exist). */
void ks_sim_topic_msg(const ks_sim_topic_t *t, int32_t partition,
                      int64_t offset, ks_msg_t *out);
/* Grows each time a topic is created (clients re-check subscriptions). */
uint64_t ks_sim_topics_epoch(const ks_sim_t *sim);
/* A fresh number per call: creation order of clients. */
uint64_t ks_sim_next_seq(ks_sim_t *sim);

/* The group, created on first use; NULL on out-of-memory. */
ks_sim_group_t *ks_sim_group_get(ks_sim_t *sim, const char *group);
const char *ks_sim_group_name(const ks_sim_group_t *g);
/* Members, kept sorted by `order` (client creation order). join adds or
 * re-orders nothing when already there; each join, leave or changed bumps
 * the group's epoch. join returns 0, or -1 on out-of-memory. */
int ks_sim_group_join(ks_sim_group_t *g, void *member, uint64_t order);
void ks_sim_group_leave(ks_sim_group_t *g, void *member);
void ks_sim_group_changed(ks_sim_group_t *g);
uint64_t ks_sim_group_epoch(const ks_sim_group_t *g);
/* Members in order; *n gets their count. */
void *const *ks_sim_group_members(const ks_sim_group_t *g, size_t *n);

#endif /* KS_SIM_H */
