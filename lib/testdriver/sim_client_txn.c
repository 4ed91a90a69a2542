/* sim_client_txn.c - the producer side of a sim client (sim_client.c):
 * produce, offsets (at-least-once commits, committed, end and written
 * offsets), the exactly_once_v2 transaction ops of lib/runtime/client.h,
 * and crash injection (sim.h).
 *
 * A transactional client (made with a transactional id) follows Kafka's
 * producer state machine:
 *
 *     new --txn_init--> ready --txn_begin--> in txn --commit/abort--> ready
 *       any --FENCED--> fenced (every txn op FENCED) --txn_reset--> new
 *       any --crash---> crashed (every op KS_SIM_ERR_CRASHED, for good)
 *
 * txn_begin is local, as in Kafka: the coordinator sees the transaction
 * at its first write or offset send. produce() outside a transaction is
 * KSTREAM_ERR_STATE. Errors: FENCED when a newer txn_init took the id (or
 * the transaction timed out, which bumps the epoch) or, for send_offsets,
 * when the group dropped the member or moved to a newer generation;
 * STATE for calls out of order. The sim never answers TXN_ABORTABLE or
 * TXN_UNKNOWN on its own: a crash at KS_SIM_STEP_COMMIT_RESPONSE is the
 * "outcome unknown" case (the cluster committed, the client never knew). */
#include <stdlib.h>

#include "testdriver/sim_client_int.h"

kstream_err_t ks_sim_client_step(sim_client_t *c, ks_sim_step_t kind) {
    uint64_t step;
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    if (!ks_sim_step(c->sim, &c->base, kind, &step))
        return KSTREAM_OK;
    c->crashed = true;
    c->crash_kind = kind;
    c->crash_step = step;
    return KS_SIM_ERR_CRASHED;
}

bool ks_sim_client_crashed(const ks_client_t *base) {
    return ((const sim_client_t *)base)->crashed;
}

bool ks_sim_client_crash_step(const ks_client_t *base, ks_sim_step_t *kind,
                              uint64_t *step) {
    const sim_client_t *c = (const sim_client_t *)base;
    if (!c->crashed)
        return false;
    if (kind)
        *kind = c->crash_kind;
    if (step)
        *step = c->crash_step;
    return true;
}

void ks_sim_client_expel(ks_client_t *base) {
    sim_client_t *c = (sim_client_t *)base;
    if (c->member)
        ks_sim_group_leave(c->group, c);
}

uint64_t ks_sim_client_generation(const ks_client_t *base) {
    return ((const sim_client_t *)base)->seen_group;
}

int32_t ks_sim_client_epoch(const ks_client_t *base) {
    return ((const sim_client_t *)base)->epoch;
}

/* ---- producing and offsets ---------------------------------------------- */

/* Synchronous: the record is in the log when this returns, so
 * delivery_failed never fires, and it counts as acknowledged at once. */
kstream_err_t ks_sim_client_produce(ks_client_t *base, const ks_out_t *out) {
    sim_client_t *c = (sim_client_t *)base;
    int32_t partition = -1;
    int64_t offset = -1;
    kstream_err_t err;
    if (c->txn) {
        if (c->crashed)
            return KS_SIM_ERR_CRASHED;
        if (c->fenced)
            return KSTREAM_ERR_FENCED;
        if (!c->in_txn)
            return KSTREAM_ERR_STATE;
    }
    err = ks_sim_client_step(c, KS_SIM_STEP_PRODUCE);
    if (err)
        return err;
    if (c->txn)
        err = ks_sim_txn_produce(c->sim, c->txn, c->epoch, out, &partition,
                                 &offset);
    else
        err = ks_sim_append(c->sim, out, &partition, &offset);
    if (err == KSTREAM_ERR_FENCED)
        c->fenced = true;
    if (!err && ks_written_note(&c->written, out->topic, partition,
                                offset) != 0)
        err = KSTREAM_ERR_NO_MEMORY;
    return err;
}

kstream_err_t ks_sim_client_flush(ks_client_t *base, int timeout_ms) {
    (void)timeout_ms; /* produce() is synchronous: nothing is ever queued */
    return ((sim_client_t *)base)->crashed ? KS_SIM_ERR_CRASHED : KSTREAM_OK;
}

/* Stores every offset it can; returns the first error. */
kstream_err_t ks_sim_client_commit(ks_client_t *base,
                                   const ks_tp_offset_t *offs, size_t n) {
    sim_client_t *c = (sim_client_t *)base;
    if (n && !offs)
        return KSTREAM_ERR_INVALID_ARG;
    if (!c->group)
        return c->crashed ? KS_SIM_ERR_CRASHED : KSTREAM_ERR_STATE;
    kstream_err_t first = ks_sim_client_step(c, KS_SIM_STEP_OFFSET_COMMIT);
    if (first)
        return first;
    for (size_t i = 0; i < n; i++) {
        kstream_err_t err = ks_sim_commit(c->sim, ks_sim_group_name(c->group),
                                          offs[i].topic, offs[i].partition,
                                          offs[i].offset);
        if (err && !first)
            first = err;
    }
    return first;
}

static kstream_err_t sim_check_tp(const sim_client_t *c, const ks_tp_t *tp) {
    if (!tp || !tp->topic)
        return KSTREAM_ERR_INVALID_ARG;
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    int32_t nparts = ks_sim_partitions(c->sim, tp->topic);
    if (nparts < 0)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    if (tp->partition < 0 || tp->partition >= nparts)
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    return KSTREAM_OK;
}

/* The stable committed offset: transactional offsets count once their
 * transaction committed. */
kstream_err_t ks_sim_client_committed(ks_client_t *base, const ks_tp_t *tp,
                                      int64_t *offset) {
    sim_client_t *c = (sim_client_t *)base;
    kstream_err_t err = offset ? sim_check_tp(c, tp)
                               : KSTREAM_ERR_INVALID_ARG;
    if (err)
        return err;
    if (!c->group)
        return KSTREAM_ERR_STATE;
    *offset = ks_sim_committed(c->sim, ks_sim_group_name(c->group),
                               tp->topic, tp->partition);
    return KSTREAM_OK;
}

/* read_committed: the last stable offset, as Kafka's consumer reports. */
kstream_err_t ks_sim_client_end_offset(ks_client_t *base, const ks_tp_t *tp,
                                       int64_t *offset) {
    sim_client_t *c = (sim_client_t *)base;
    kstream_err_t err = offset ? sim_check_tp(c, tp)
                               : KSTREAM_ERR_INVALID_ARG;
    if (err)
        return err;
    *offset = c->read_committed
                      ? ks_sim_lso(c->sim, tp->topic, tp->partition)
                      : ks_sim_end_offset(c->sim, tp->topic, tp->partition);
    return KSTREAM_OK;
}

kstream_err_t ks_sim_client_written_offset(ks_client_t *base,
                                           const ks_tp_t *tp,
                                           int64_t *offset) {
    sim_client_t *c = (sim_client_t *)base;
    kstream_err_t err = offset ? sim_check_tp(c, tp)
                               : KSTREAM_ERR_INVALID_ARG;
    if (err)
        return err;
    *offset = ks_written_get(&c->written, tp->topic, tp->partition);
    return KSTREAM_OK;
}

/* ---- transactions ------------------------------------------------------- */

/* Common entry checks of the txn ops. */
static kstream_err_t sim_txn_usable(const sim_client_t *c) {
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    if (c->fenced)
        return KSTREAM_ERR_FENCED;
    if (c->epoch < 0)
        return KSTREAM_ERR_STATE; /* txn_init first */
    return KSTREAM_OK;
}

kstream_err_t ks_sim_client_txn_init(ks_client_t *base, int timeout_ms) {
    sim_client_t *c = (sim_client_t *)base;
    (void)timeout_ms; /* the sim answers at once */
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    if (c->fenced)
        return KSTREAM_ERR_FENCED; /* txn_reset first */
    if (c->epoch >= 0)
        return KSTREAM_ERR_STATE; /* once per producer */
    kstream_err_t err = ks_sim_client_step(c, KS_SIM_STEP_TXN_INIT);
    if (err)
        return err;
    int32_t epoch;
    err = ks_sim_txn_init(c->sim, c->txn, c->txn_timeout_ms, &epoch);
    if (err && err != KSTREAM_ERR_NO_MEMORY)
        return err;
    c->epoch = epoch; /* (out of memory: markers may be missing) */
    c->in_txn = false;
    return err;
}

kstream_err_t ks_sim_client_txn_begin(ks_client_t *base) {
    sim_client_t *c = (sim_client_t *)base;
    kstream_err_t err = sim_txn_usable(c);
    if (err)
        return err;
    if (c->in_txn)
        return KSTREAM_ERR_STATE;
    c->in_txn = true;
    return KSTREAM_OK;
}

kstream_err_t ks_sim_client_txn_send_offsets(ks_client_t *base,
                                             const ks_tp_offset_t *offs,
                                             size_t n, int timeout_ms) {
    sim_client_t *c = (sim_client_t *)base;
    (void)timeout_ms;
    if (n && !offs)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = sim_txn_usable(c);
    if (err)
        return err;
    if (!c->in_txn || !c->group)
        return KSTREAM_ERR_STATE;
    err = ks_sim_client_step(c, KS_SIM_STEP_SEND_OFFSETS);
    if (err)
        return err;
    /* The consumer's group metadata: this member at its generation. */
    err = ks_sim_txn_send_offsets(c->sim, c->txn, c->epoch, c->group, c,
                                  c->seen_group, offs, n);
    if (err == KSTREAM_ERR_FENCED)
        c->fenced = true;
    return err;
}

kstream_err_t ks_sim_client_txn_commit(ks_client_t *base, int timeout_ms) {
    sim_client_t *c = (sim_client_t *)base;
    (void)timeout_ms; /* flush: nothing is ever queued */
    kstream_err_t err = sim_txn_usable(c);
    if (err)
        return err;
    if (!c->in_txn)
        return KSTREAM_ERR_STATE;
    err = ks_sim_client_step(c, KS_SIM_STEP_COMMIT_REQUEST);
    if (err)
        return err;
    err = ks_sim_txn_end(c->sim, c->txn, c->epoch, true);
    if (err == KSTREAM_ERR_FENCED)
        c->fenced = true;
    if (err)
        return err;
    /* The cluster committed; the response may still be lost. */
    err = ks_sim_client_step(c, KS_SIM_STEP_COMMIT_RESPONSE);
    if (err)
        return err;
    c->in_txn = false;
    return KSTREAM_OK;
}

/* Without a transaction begun there is nothing to abort: KSTREAM_OK. */
kstream_err_t ks_sim_client_txn_abort(ks_client_t *base, int timeout_ms) {
    sim_client_t *c = (sim_client_t *)base;
    (void)timeout_ms;
    kstream_err_t err = sim_txn_usable(c);
    if (err)
        return err;
    if (!c->in_txn)
        return KSTREAM_OK;
    err = ks_sim_client_step(c, KS_SIM_STEP_ABORT);
    if (err)
        return err;
    err = ks_sim_txn_end(c->sim, c->txn, c->epoch, false);
    if (err == KSTREAM_ERR_FENCED)
        c->fenced = true;
    if (err)
        return err;
    c->in_txn = false;
    return KSTREAM_OK;
}

/* A new producer with the same id: the cluster is left as it is (an open
 * transaction stays open until the next txn_init aborts it). */
kstream_err_t ks_sim_client_txn_reset(ks_client_t *base) {
    sim_client_t *c = (sim_client_t *)base;
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    c->epoch = -1;
    c->in_txn = false;
    c->fenced = false;
    return KSTREAM_OK;
}
