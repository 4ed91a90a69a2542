/* sim.h - the simulated in-memory Kafka cluster of the test driver: topics
 * as partitioned logs (offsets, timestamps, headers, NULL keys/values),
 * consumer groups with committed offsets, transactions (KIP-98, KIP-447:
 * pending, committed and aborted records, commit markers, read_committed
 * reads up to the last stable offset, transactional offset commits,
 * fencing by producer epoch and group generation), crash injection, and
 * clients implementing lib/runtime/client.h on top of it. Single-threaded
 * and deterministic: the only clock is the one ks_sim_tick() is given. */
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

/* End offset (high watermark: next offset to be written, commit and abort
 * markers included) of a partition; -1 if unknown. */
int64_t ks_sim_end_offset(const ks_sim_t *sim, const char *topic,
                          int32_t partition);
/* Read the record at offset, whatever its transaction's state (pending,
 * committed, aborted: see ks_sim_rec_state()); its pointers stay valid for
 * the sim's life. KSTREAM_ERR_UNKNOWN_TOPIC / _UNKNOWN_PARTITION /
 * _NOT_FOUND (also for the offset of a commit or abort marker: markers
 * take an offset but are never shown). */
kstream_err_t ks_sim_read(const ks_sim_t *sim, const char *topic,
                          int32_t partition, int64_t offset, ks_msg_t *out);
/* The committed records of a topic, in the order a read_committed
 * consumer of every partition could first see them: a record outside any
 * transaction when it is appended (or, behind an open transaction of its
 * partition, when the last stable offset passes it), a transactional one
 * when its transaction commits. Never pending or aborted records, never
 * markers. Append-only: the idx-th entry never changes, so a cursor over
 * it (the test driver's read) sees each committed record once. Without
 * transactions this is the append order. KSTREAM_ERR_NOT_FOUND past the
 * end. */
kstream_err_t ks_sim_read_appended(const ks_sim_t *sim, const char *topic,
                                   size_t idx, ks_msg_t *out);
size_t ks_sim_appended_count(const ks_sim_t *sim, const char *topic);

/* State of the data record at offset: KS_SIM_REC_PLAIN (no transaction),
 * _PENDING (its transaction is open), _COMMITTED, _ABORTED, _MARKER (a
 * commit or abort marker), _NONE (no such offset). */
typedef enum ks_sim_rec_state {
    KS_SIM_REC_NONE,
    KS_SIM_REC_PLAIN,
    KS_SIM_REC_PENDING,
    KS_SIM_REC_COMMITTED,
    KS_SIM_REC_ABORTED,
    KS_SIM_REC_MARKER
} ks_sim_rec_state_t;
ks_sim_rec_state_t ks_sim_rec_state(const ks_sim_t *sim, const char *topic,
                                    int32_t partition, int64_t offset);

/* Last stable offset of a partition: the first offset of its earliest
 * still-open transaction, else the end offset. -1 if unknown. */
int64_t ks_sim_lso(const ks_sim_t *sim, const char *topic,
                   int32_t partition);

/* Group offsets (Kafka meaning: next offset to read). -1: none. */
kstream_err_t ks_sim_commit(ks_sim_t *sim, const char *group,
                            const char *topic, int32_t partition,
                            int64_t offset);
int64_t ks_sim_committed(const ks_sim_t *sim, const char *group,
                         const char *topic, int32_t partition);

/* A client (consumer + producer) that is a member of `group`. With one
 * member in a group, it is assigned every partition of the topics it
 * subscribes to (range assignment across members, by member creation
 * order, when there are several). Assignment events fire from poll().
 * Not transactional, read_uncommitted: ks_sim_client_new_conf() with
 * {group} only. */
ks_client_t *ks_sim_client_new(ks_sim_t *sim, const char *group,
                               const ks_client_events_t *events);

/* How a client is made. The test driver's factory fills it from the
 * configuration: under processing.guarantee=exactly_once_v2 every client
 * of a thread reads committed (main, restore and global alike, as Kafka
 * Streams sets isolation.level on all its consumers), and the main client
 * gets the transactional id KS_TXN_ID_FMT (lib/runtime/client.h). */
typedef struct ks_sim_client_conf {
    const char *group;            /* NULL: not a member (assign only) */
    const char *transactional_id; /* NULL: not transactional (the txn_*
                                     ops are NULL, as client.h asks) */
    bool read_committed;          /* isolation.level=read_committed */
    int64_t transaction_timeout_ms; /* <= 0: 60000 (Kafka's default) */
} ks_sim_client_conf_t;
ks_client_t *ks_sim_client_new_conf(ks_sim_t *sim,
                                    const ks_sim_client_conf_t *conf,
                                    const ks_client_events_t *events);

/* ---- time and zombies ----------------------------------------------------
 * The sim's clock (ms), 0 until first ticked. Each tick aborts every
 * transaction open for transaction_timeout_ms or more (measured from its
 * first write or offset send) and bumps its producer's epoch, so the
 * producer that left it open is fenced (KSTREAM_ERR_FENCED), as Kafka's
 * transaction coordinator does. The driver ticks it with its wall clock. */
void ks_sim_tick(ks_sim_t *sim, int64_t now_ms);
int64_t ks_sim_now(const ks_sim_t *sim);

/* The group coordinator drops the member without its knowledge (its
 * session timed out): the group rebalances without it, and until the
 * client polls again (then it rejoins, revoking what it owned) it is a
 * zombie: its txn_send_offsets is fenced (KIP-447). */
void ks_sim_client_expel(ks_client_t *client);
/* The group generation the client last synced at (its group metadata). */
uint64_t ks_sim_client_generation(const ks_client_t *client);
/* The producer epoch a transactional client got from its last txn_init
 * (-1: none yet). */
int32_t ks_sim_client_epoch(const ks_client_t *client);

/* ---- crash injection -----------------------------------------------------
 * Every client operation that talks to the cluster is a step. Before it
 * acts (or, for KS_SIM_STEP_COMMIT_RESPONSE, after the cluster applied the
 * commit but before the client learns it) it numbers the step (a counter
 * per sim, from 1, across all clients) and asks the crash hook. When the
 * hook says yes, the client crashes: the operation returns
 * KS_SIM_ERR_CRASHED (KSTREAM_ERR_FATAL) and so does every later call on
 * that client (poll included; destroy still frees it), and
 * ks_sim_client_crashed() is true. The cluster keeps exactly the state it
 * had at that point: records already appended stay, an open transaction
 * stays open (pending, holding back the last stable offset and any
 * transactional offsets) until a producer with the same transactional id
 * calls txn_init or the transaction times out (ks_sim_tick); the client
 * stays a member of its group until destroyed. Steps are counted even
 * without a hook, so a run without a crash tells how many steps there
 * are. */
typedef enum ks_sim_step {
    KS_SIM_STEP_POLL,            /* a poll (before fetching) */
    KS_SIM_STEP_PRODUCE,         /* a produce (before the append) */
    KS_SIM_STEP_OFFSET_COMMIT,   /* commit() (at-least-once), before */
    KS_SIM_STEP_TXN_INIT,        /* txn_init, before */
    KS_SIM_STEP_SEND_OFFSETS,    /* txn_send_offsets, before */
    KS_SIM_STEP_COMMIT_REQUEST,  /* txn_commit, before the cluster acts */
    KS_SIM_STEP_COMMIT_RESPONSE, /* txn_commit, after the cluster committed,
                                    before the client learns it */
    KS_SIM_STEP_ABORT            /* txn_abort, before */
} ks_sim_step_t;
#define KS_SIM_STEP_COUNT 8
#define KS_SIM_ERR_CRASHED KSTREAM_ERR_FATAL

/* Returns true to crash `client` at this step. */
typedef bool(ks_sim_crash_cb)(void *opaque, const ks_client_t *client,
                              ks_sim_step_t kind, uint64_t step);
/* Install (or, with NULL, remove) the hook. */
void ks_sim_set_crash_hook(ks_sim_t *sim, ks_sim_crash_cb *cb, void *opaque);
/* Steps numbered so far. */
uint64_t ks_sim_steps(const ks_sim_t *sim);
/* "poll", "produce", ... ("?" for an unknown kind). */
const char *ks_sim_step_name(ks_sim_step_t kind);
/* Whether the client crashed (its operations all fail since). */
bool ks_sim_client_crashed(const ks_client_t *client);
/* The kind and number of the step it crashed at (false: not crashed). */
bool ks_sim_client_crash_step(const ks_client_t *client,
                              ks_sim_step_t *kind, uint64_t *step);

/* Whether a poll of this client now would return nothing and change
 * nothing: no rebalance due (or only one waiting for an open transaction's
 * offsets) and no record left to read in any assigned partition (paused
 * ones included) up to its end, or its last stable offset under
 * read_committed (markers and, under read_committed, aborted records do
 * not count). A crashed client is idle. The test driver stops its loop on
 * it. */
bool ks_sim_client_idle(const ks_client_t *client);

/* Number of malloc/realloc calls the record storage made (data chunks and
 * index arrays) since ks_sim_new(), for tests: it grows with the log's size
 * (chunks, doubling arrays), not with the number of appends. */
uint64_t ks_sim_storage_allocs(const ks_sim_t *sim);

/* ---- shared by sim_*.c only (and tests of the sim) ----------------------
 * Topics and groups live as long as the sim; the pointers below stay valid
 * until ks_sim_destroy(). Every client must be destroyed before the sim. */
typedef struct ks_sim_topic ks_sim_topic_t;
typedef struct ks_sim_group ks_sim_group_t;

/* NULL for an unknown topic. */
ks_sim_topic_t *ks_sim_topic_find(const ks_sim_t *sim, const char *topic);
const char *ks_sim_topic_name(const ks_sim_topic_t *t);
int32_t ks_sim_topic_partitions(const ks_sim_topic_t *t);
int64_t ks_sim_topic_end(const ks_sim_topic_t *t, int32_t partition);
/* Fill *out with the record at offset (which must exist and not be a
 * marker). */
void ks_sim_topic_msg(const ks_sim_topic_t *t, int32_t partition,
                      int64_t offset, ks_msg_t *out);
/* Whether a consumer reading at offset (which must exist) gets a record:
 * never a marker; for read_committed, never an aborted record (the caller
 * stops at the last stable offset, so it never meets a pending one). */
bool ks_sim_topic_visible(const ks_sim_topic_t *t, int32_t partition,
                          int64_t offset, bool read_committed);
/* Last stable offset (ks_sim_lso()) of a partition of a known topic. */
int64_t ks_sim_topic_lso(const ks_sim_t *sim, const ks_sim_topic_t *t,
                         int32_t partition);
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
bool ks_sim_group_has(const ks_sim_group_t *g, const void *member);
/* The member (re)computed its assignment at the group's current epoch:
 * that is its generation now. */
void ks_sim_group_sync(ks_sim_group_t *g, const void *member);
/* The group's generation: the oldest generation any current member is
 * still at (0 while a member has never synced). As in Kafka, a rebalance
 * moves the generation on only once every member has rejoined, so a live
 * member is never behind it; a member that was dropped (expelled) is. */
uint64_t ks_sim_group_generation(const ks_sim_group_t *g);

/* ---- transactions (sim_txn.c) --------------------------------------------
 * The transaction coordinator's view of a transactional id: its producer
 * epoch and its open transaction (the partitions it wrote with the first
 * offset it wrote in each, its records, its pending offsets). `epoch` is
 * the caller's: an older one than the id's is KSTREAM_ERR_FENCED. */
typedef struct ks_sim_txn ks_sim_txn_t;

/* The id's state, created on first use (epoch -1, no transaction); NULL
 * on out-of-memory. Lives as long as the sim. */
ks_sim_txn_t *ks_sim_txn_get(ks_sim_t *sim, const char *txn_id);
/* InitProducerId: abort the transaction the id left open, bump the
 * epoch (*epoch gets it) and set the timeout of its transactions. */
kstream_err_t ks_sim_txn_init(ks_sim_t *sim, ks_sim_txn_t *txn,
                              int64_t timeout_ms, int32_t *epoch);
/* Append a record inside the transaction (started by its first write or
 * offset send): pending until the transaction ends. */
kstream_err_t ks_sim_txn_produce(ks_sim_t *sim, ks_sim_txn_t *txn,
                                 int32_t epoch, const ks_out_t *rec,
                                 int32_t *partition, int64_t *offset);
/* TxnOffsetCommit: offsets for group, committed only if the transaction
 * commits (a later send of the same partition replaces it). Fenced when
 * `member` is no longer in the group or `generation` is older than the
 * group's (KIP-447). */
kstream_err_t ks_sim_txn_send_offsets(ks_sim_t *sim, ks_sim_txn_t *txn,
                                      int32_t epoch, ks_sim_group_t *g,
                                      const void *member,
                                      uint64_t generation,
                                      const ks_tp_offset_t *offs, size_t n);
/* EndTxn: a commit or abort marker in every partition the transaction
 * wrote, then its records and offsets become visible (commit) or never
 * will (abort). Ending with no transaction open is a no-op. */
kstream_err_t ks_sim_txn_end(ks_sim_t *sim, ks_sim_txn_t *txn, int32_t epoch,
                             bool commit);
bool ks_sim_txn_is_open(const ks_sim_txn_t *txn);
int32_t ks_sim_txn_epoch(const ks_sim_txn_t *txn);
/* Whether an open transaction holds offsets of group g for the partition
 * (a read_committed member waits for it before taking the partition, as
 * Kafka's consumer waits on UNSTABLE_OFFSET_COMMIT). */
bool ks_sim_offsets_pending(const ks_sim_t *sim, const ks_sim_group_t *g,
                            const ks_sim_topic_t *t, int32_t partition);

/* Number and ask one step (see crash injection above): true to crash. */
bool ks_sim_step(ks_sim_t *sim, const ks_client_t *client,
                 ks_sim_step_t kind, uint64_t *step);

#endif /* KS_SIM_H */
