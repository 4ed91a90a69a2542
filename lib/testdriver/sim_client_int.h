/* sim_client_int.h - the sim client's structure, shared by sim_client.c
 * (group membership, consuming) and sim_client_txn.c (producing, offsets,
 * transactions, crashes) only. */
#ifndef KS_SIM_CLIENT_INT_H
#define KS_SIM_CLIENT_INT_H

#include "runtime/written.h"
#include "testdriver/sim.h"

typedef struct sim_tp {
    ks_sim_topic_t *topic;
    int32_t partition;
    int64_t position; /* next offset to read */
    bool paused;
} sim_tp_t;

typedef struct sim_tps {
    sim_tp_t *v;
    size_t n, cap;
} sim_tps_t;

typedef struct sim_client {
    ks_client_t base;
    ks_sim_t *sim;
    ks_sim_group_t *group; /* NULL: producer only */
    uint64_t order;        /* creation order within the sim */
    bool member;           /* subscribed, so in the group (unless expelled) */
    bool read_committed;   /* isolation.level */
    char **subs;           /* subscription, in order, no duplicates */
    size_t nsubs;
    sim_tps_t owned;  /* assignment, positions and pause flags */
    sim_tps_t target; /* what the range assignor gives this member */
    bool target_ok;   /* target is up to date for the epochs below */
    uint64_t seen_topics, seen_group; /* seen_group: the generation */
    size_t cursor;  /* where the next poll starts in owned */
    ks_tp_t *evtps; /* scratch for events */
    size_t evcap;
    ks_written_t written; /* highest offset produced per partition */
    /* Transactions: txn is NULL for a client without a transactional
     * id. */
    ks_sim_txn_t *txn;
    int32_t epoch; /* from the last txn_init; -1: none */
    int64_t txn_timeout_ms;
    bool in_txn; /* between txn_begin and txn_commit/abort */
    bool fenced; /* answered FENCED: every txn op is, until txn_reset */
    /* Crash injection. */
    bool crashed;
    ks_sim_step_t crash_kind;
    uint64_t crash_step;
} sim_client_t;

/* Number the step and ask the crash hook: KS_SIM_ERR_CRASHED when the
 * client crashes now or had crashed, else KSTREAM_OK. */
kstream_err_t ks_sim_client_step(sim_client_t *c, ks_sim_step_t kind);

/* ops of sim_client_txn.c */
kstream_err_t ks_sim_client_produce(ks_client_t *base, const ks_out_t *out);
kstream_err_t ks_sim_client_flush(ks_client_t *base, int timeout_ms);
kstream_err_t ks_sim_client_commit(ks_client_t *base,
                                   const ks_tp_offset_t *offs, size_t n);
kstream_err_t ks_sim_client_committed(ks_client_t *base, const ks_tp_t *tp,
                                      int64_t *offset);
kstream_err_t ks_sim_client_end_offset(ks_client_t *base, const ks_tp_t *tp,
                                       int64_t *offset);
kstream_err_t ks_sim_client_written_offset(ks_client_t *base,
                                           const ks_tp_t *tp,
                                           int64_t *offset);
kstream_err_t ks_sim_client_txn_init(ks_client_t *base, int timeout_ms);
kstream_err_t ks_sim_client_txn_begin(ks_client_t *base);
kstream_err_t ks_sim_client_txn_send_offsets(ks_client_t *base,
                                             const ks_tp_offset_t *offs,
                                             size_t n, int timeout_ms);
kstream_err_t ks_sim_client_txn_commit(ks_client_t *base, int timeout_ms);
kstream_err_t ks_sim_client_txn_abort(ks_client_t *base, int timeout_ms);
kstream_err_t ks_sim_client_txn_reset(ks_client_t *base);

#endif /* KS_SIM_CLIENT_INT_H */
