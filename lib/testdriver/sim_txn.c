/* sim_txn.c - the simulated cluster's coordinators: consumer groups
 * (members, generations, committed offsets; Kafka's GroupCoordinator) and
 * transactions (Kafka's TransactionCoordinator, KIP-98 and KIP-447), plus
 * the sim's clock and the crash-injection steps.
 *
 * A transactional id has a producer epoch; InitProducerId (txn_init)
 * bumps it, so any call with an older epoch is fenced, and aborts the
 * transaction the id left open. A transaction opens at its first write or
 * offset send. Its records are appended at once, flagged pending; each
 * partition it wrote counts it as open, which holds the partition's last
 * stable offset (LSO) at the first offset it wrote there: read_committed
 * consumers and the visible order stop there. EndTxn writes a commit or
 * abort marker (a record with no data, taking an offset) in each partition
 * it wrote, settles its records (committed, or aborted: never shown to
 * read_committed consumers), commits its pending offsets to their groups
 * (commit only), then publishes each partition up to its new LSO. The
 * whole EndTxn is atomic: the sim has no PrepareCommit state a crash
 * could leave behind (a crash between the request and the response is
 * modelled by the client: the cluster committed, the client never knew).
 *
 * Transactional offsets carry the member and its generation; a member the
 * group dropped, or an older generation than the group's, is fenced. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "testdriver/sim_int.h"

#define KS_SIM_TXN_TIMEOUT_MS 60000 /* transaction.timeout.ms default */

typedef struct txn_part { /* a partition the transaction wrote */
    ks_sim_topic_t *topic;
    int32_t partition;
    int64_t first; /* first offset it wrote there */
} txn_part_t;

typedef struct txn_rec { /* a record it wrote */
    ks_sim_topic_t *topic;
    int32_t partition;
    int64_t offset;
} txn_rec_t;

typedef struct txn_off { /* an offset it sent */
    ks_sim_group_t *group;
    ks_sim_topic_t *topic;
    int32_t partition;
    int64_t offset;
} txn_off_t;

struct ks_sim_txn {
    char *id;
    int32_t epoch; /* -1 before the first init */
    int64_t timeout_ms;
    bool open;
    int64_t started; /* sim time of its first write or offset send */
    txn_part_t *parts;
    size_t nparts, parts_cap;
    txn_rec_t *recs;
    size_t nrecs, recs_cap;
    txn_off_t *offs;
    size_t noffs, offs_cap;
};

static void sim_group_free(ks_sim_group_t *g) {
    size_t it = 0;
    const char *key;
    void *val;
    while (ks_map_next(g->offsets, &it, &key, &val))
        free(val);
    ks_map_destroy(g->offsets);
    free(g->members);
    free(g->orders);
    free(g->synced);
    free(g->name);
    free(g);
}


/* ---- groups ------------------------------------------------------------- */

ks_sim_group_t *ks_sim_group_get(ks_sim_t *sim, const char *group) {
    ks_sim_group_t *g = ks_map_get(sim->groups, group);
    if (g)
        return g;
    g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->name = ks_strdup(group);
    g->offsets = ks_map_new();
    if (!g->name || !g->offsets || ks_map_put(sim->groups, group, g) != 0) {
        ks_map_destroy(g->offsets);
        free(g->name);
        free(g);
        return NULL;
    }
    return g;
}

const char *ks_sim_group_name(const ks_sim_group_t *g) {
    return g->name;
}

int ks_sim_group_join(ks_sim_group_t *g, void *member, uint64_t order) {
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i] == member)
            return 0;
    if (g->nmembers == g->members_cap) {
        size_t ncap = g->members_cap ? g->members_cap * 2 : 4;
        void **m = realloc(g->members, ncap * sizeof(*m));
        if (!m)
            return -1;
        g->members = m;
        uint64_t *o = realloc(g->orders, ncap * sizeof(*o));
        if (!o)
            return -1;
        g->orders = o;
        o = realloc(g->synced, ncap * sizeof(*o));
        if (!o)
            return -1;
        g->synced = o;
        g->members_cap = ncap;
    }
    size_t at = g->nmembers;
    while (at > 0 && g->orders[at - 1] > order) {
        g->members[at] = g->members[at - 1];
        g->orders[at] = g->orders[at - 1];
        g->synced[at] = g->synced[at - 1];
        at--;
    }
    g->members[at] = member;
    g->orders[at] = order;
    g->synced[at] = 0;
    g->nmembers++;
    g->epoch++;
    return 0;
}

void ks_sim_group_leave(ks_sim_group_t *g, void *member) {
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i] != member)
            continue;
        memmove(&g->members[i], &g->members[i + 1],
                (g->nmembers - i - 1) * sizeof(*g->members));
        memmove(&g->orders[i], &g->orders[i + 1],
                (g->nmembers - i - 1) * sizeof(*g->orders));
        memmove(&g->synced[i], &g->synced[i + 1],
                (g->nmembers - i - 1) * sizeof(*g->synced));
        g->nmembers--;
        g->epoch++;
        return;
    }
}

void ks_sim_group_changed(ks_sim_group_t *g) {
    g->epoch++;
}

uint64_t ks_sim_group_epoch(const ks_sim_group_t *g) {
    return g->epoch;
}

void *const *ks_sim_group_members(const ks_sim_group_t *g, size_t *n) {
    *n = g->nmembers;
    return g->members;
}

bool ks_sim_group_has(const ks_sim_group_t *g, const void *member) {
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i] == member)
            return true;
    return false;
}

void ks_sim_group_sync(ks_sim_group_t *g, const void *member) {
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i] == member)
            g->synced[i] = g->epoch;
}

uint64_t ks_sim_group_generation(const ks_sim_group_t *g) {
    if (g->nmembers == 0)
        return g->epoch;
    uint64_t gen = UINT64_MAX;
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->synced[i] < gen)
            gen = g->synced[i];
    return gen;
}

kstream_err_t ks_sim_commit(ks_sim_t *sim, const char *group,
                            const char *topic, int32_t partition,
                            int64_t offset) {
    if (!sim || !group || !topic || offset < 0)
        return KSTREAM_ERR_INVALID_ARG;
    const ks_sim_topic_t *t = ks_sim_topic_find(sim, topic);
    if (!t)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    if (partition < 0 || partition >= t->nparts)
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    ks_sim_group_t *g = ks_sim_group_get(sim, group);
    if (!g)
        return KSTREAM_ERR_NO_MEMORY;
    int64_t *offs = ks_map_get(g->offsets, topic);
    if (!offs) {
        offs = malloc((size_t)t->nparts * sizeof(*offs));
        if (!offs)
            return KSTREAM_ERR_NO_MEMORY;
        for (int32_t p = 0; p < t->nparts; p++)
            offs[p] = -1;
        if (ks_map_put(g->offsets, topic, offs) != 0) {
            free(offs);
            return KSTREAM_ERR_NO_MEMORY;
        }
    }
    offs[partition] = offset;
    return KSTREAM_OK;
}

int64_t ks_sim_committed(const ks_sim_t *sim, const char *group,
                         const char *topic, int32_t partition) {
    if (!sim || !group || !topic || partition < 0)
        return -1;
    const ks_sim_group_t *g = ks_map_get(sim->groups, group);
    const int64_t *offs = g ? ks_map_get(g->offsets, topic) : NULL;
    if (!offs || partition >= ks_sim_partitions(sim, topic))
        return -1;
    return offs[partition];
}

/* ---- transactions ------------------------------------------------------- */

static void sim_txn_free(ks_sim_txn_t *txn) {
    free(txn->parts);
    free(txn->recs);
    free(txn->offs);
    free(txn->id);
    free(txn);
}

void ks_sim_coord_free(ks_sim_t *sim) {
    size_t it = 0;
    const char *key;
    void *val;
    while (ks_map_next(sim->groups, &it, &key, &val))
        sim_group_free(val);
    ks_map_destroy(sim->groups);
    it = 0;
    while (ks_map_next(sim->txns, &it, &key, &val))
        sim_txn_free(val);
    ks_map_destroy(sim->txns);
    free(sim->open_txns);
}

ks_sim_txn_t *ks_sim_txn_get(ks_sim_t *sim, const char *txn_id) {
    ks_sim_txn_t *txn = ks_map_get(sim->txns, txn_id);
    if (txn)
        return txn;
    txn = calloc(1, sizeof(*txn));
    if (!txn)
        return NULL;
    txn->id = ks_strdup(txn_id);
    txn->epoch = -1;
    txn->timeout_ms = KS_SIM_TXN_TIMEOUT_MS;
    if (!txn->id || ks_map_put(sim->txns, txn_id, txn) != 0) {
        free(txn->id);
        free(txn);
        return NULL;
    }
    return txn;
}

bool ks_sim_txn_is_open(const ks_sim_txn_t *txn) {
    return txn->open;
}

int32_t ks_sim_txn_epoch(const ks_sim_txn_t *txn) {
    return txn->epoch;
}

int64_t ks_sim_topic_lso(const ks_sim_t *sim, const ks_sim_topic_t *t,
                         int32_t partition) {
    int64_t lso = ks_sim_topic_end(t, partition);
    if (t->parts[partition].open == 0)
        return lso;
    for (size_t i = 0; i < sim->nopen; i++) {
        const ks_sim_txn_t *txn = sim->open_txns[i];
        for (size_t k = 0; k < txn->nparts; k++)
            if (txn->parts[k].topic == t &&
                txn->parts[k].partition == partition &&
                txn->parts[k].first < lso)
                lso = txn->parts[k].first;
    }
    return lso;
}

/* The transaction starts (Ongoing) at its first write or offset send. */
static kstream_err_t txn_start(ks_sim_t *sim, ks_sim_txn_t *txn) {
    if (txn->open)
        return KSTREAM_OK;
    if (ks_sim_grow(sim, (void **)&sim->open_txns, &sim->open_cap,
                    sim->nopen, sizeof(*sim->open_txns)) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    sim->open_txns[sim->nopen++] = txn;
    txn->open = true;
    txn->started = sim->now;
    return KSTREAM_OK;
}

static kstream_err_t txn_check_epoch(const ks_sim_txn_t *txn, int32_t epoch) {
    if (txn->epoch < 0)
        return KSTREAM_ERR_STATE; /* never initialised */
    return epoch == txn->epoch ? KSTREAM_OK : KSTREAM_ERR_FENCED;
}

kstream_err_t ks_sim_txn_produce(ks_sim_t *sim, ks_sim_txn_t *txn,
                                 int32_t epoch, const ks_out_t *rec,
                                 int32_t *partition, int64_t *offset) {
    kstream_err_t err = txn_check_epoch(txn, epoch);
    if (err)
        return err;
    /* Room first, so that a failure leaves nothing half recorded. */
    if (ks_sim_grow(sim, (void **)&txn->recs, &txn->recs_cap, txn->nrecs,
                    sizeof(*txn->recs)) != 0 ||
        ks_sim_grow(sim, (void **)&txn->parts, &txn->parts_cap, txn->nparts,
                    sizeof(*txn->parts)) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    ks_sim_topic_t *t;
    int32_t p;
    int64_t off;
    err = ks_sim_append_rec(sim, rec, true, &t, &p, &off);
    if (err)
        return err;
    err = txn_start(sim, txn);
    if (err)
        return err; /* (out of memory: the record stays pending) */
    bool known = false;
    for (size_t k = 0; k < txn->nparts && !known; k++)
        known = txn->parts[k].topic == t && txn->parts[k].partition == p;
    if (!known) { /* AddPartitionsToTxn */
        txn->parts[txn->nparts++] = (txn_part_t){t, p, off};
        t->parts[p].open++;
    }
    txn->recs[txn->nrecs++] = (txn_rec_t){t, p, off};
    if (partition)
        *partition = p;
    if (offset)
        *offset = off;
    return KSTREAM_OK;
}

kstream_err_t ks_sim_txn_send_offsets(ks_sim_t *sim, ks_sim_txn_t *txn,
                                      int32_t epoch, ks_sim_group_t *g,
                                      const void *member,
                                      uint64_t generation,
                                      const ks_tp_offset_t *offs, size_t n) {
    kstream_err_t err = txn_check_epoch(txn, epoch);
    if (err)
        return err;
    /* KIP-447: the group metadata the producer sends must be current. */
    if (!ks_sim_group_has(g, member) ||
        generation < ks_sim_group_generation(g))
        return KSTREAM_ERR_FENCED;
    for (size_t i = 0; i < n; i++) {
        ks_sim_topic_t *t = offs[i].topic ? ks_sim_topic_find(sim,
                                                              offs[i].topic)
                                          : NULL;
        if (!t)
            return KSTREAM_ERR_UNKNOWN_TOPIC;
        if (offs[i].partition < 0 ||
            offs[i].partition >= ks_sim_topic_partitions(t))
            return KSTREAM_ERR_UNKNOWN_PARTITION;
        if (offs[i].offset < 0)
            return KSTREAM_ERR_INVALID_ARG;
    }
    err = txn_start(sim, txn);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        ks_sim_topic_t *t = ks_sim_topic_find(sim, offs[i].topic);
        txn_off_t *o = NULL;
        for (size_t k = 0; k < txn->noffs && !o; k++)
            if (txn->offs[k].group == g && txn->offs[k].topic == t &&
                txn->offs[k].partition == offs[i].partition)
                o = &txn->offs[k];
        if (!o) {
            if (ks_sim_grow(sim, (void **)&txn->offs, &txn->offs_cap,
                            txn->noffs, sizeof(*txn->offs)) != 0)
                return KSTREAM_ERR_NO_MEMORY;
            o = &txn->offs[txn->noffs++];
            o->group = g;
            o->topic = t;
            o->partition = offs[i].partition;
        }
        o->offset = offs[i].offset;
    }
    return KSTREAM_OK;
}

/* Settle and close the open transaction (the epoch is checked). */
static kstream_err_t txn_finish(ks_sim_t *sim, ks_sim_txn_t *txn,
                                bool commit) {
    kstream_err_t first = KSTREAM_OK, err;
    for (size_t k = 0; k < txn->nparts; k++) {
        err = ks_sim_append_marker(sim, txn->parts[k].topic,
                                   txn->parts[k].partition, commit);
        if (err && !first)
            first = err;
    }
    for (size_t i = 0; i < txn->nrecs; i++) {
        txn_rec_t *r = &txn->recs[i];
        sim_rec_t *rec = &r->topic->parts[r->partition].recs[r->offset];
        rec->flags &= ~(uint32_t)REC_PENDING;
        if (!commit)
            rec->flags |= REC_ABORTED;
    }
    for (size_t i = 0; commit && i < txn->noffs; i++) {
        txn_off_t *o = &txn->offs[i];
        err = ks_sim_commit(sim, ks_sim_group_name(o->group),
                            ks_sim_topic_name(o->topic), o->partition,
                            o->offset);
        if (err && !first)
            first = err;
    }
    for (size_t i = 0; i < sim->nopen; i++) {
        if (sim->open_txns[i] != txn)
            continue;
        memmove(&sim->open_txns[i], &sim->open_txns[i + 1],
                (sim->nopen - i - 1) * sizeof(*sim->open_txns));
        sim->nopen--;
        break;
    }
    txn->open = false;
    for (size_t k = 0; k < txn->nparts; k++)
        txn->parts[k].topic->parts[txn->parts[k].partition].open--;
    for (size_t k = 0; k < txn->nparts; k++) {
        err = ks_sim_publish(sim, txn->parts[k].topic,
                             txn->parts[k].partition);
        if (err && !first)
            first = err;
    }
    txn->nparts = txn->nrecs = txn->noffs = 0;
    return first;
}

kstream_err_t ks_sim_txn_end(ks_sim_t *sim, ks_sim_txn_t *txn, int32_t epoch,
                             bool commit) {
    kstream_err_t err = txn_check_epoch(txn, epoch);
    if (err)
        return err;
    return txn->open ? txn_finish(sim, txn, commit) : KSTREAM_OK;
}

kstream_err_t ks_sim_txn_init(ks_sim_t *sim, ks_sim_txn_t *txn,
                              int64_t timeout_ms, int32_t *epoch) {
    kstream_err_t err = KSTREAM_OK;
    if (txn->open)
        err = txn_finish(sim, txn, false);
    if (txn->epoch == INT32_MAX)
        return KSTREAM_ERR_FATAL; /* (Kafka would give a new producer id) */
    txn->epoch++;
    txn->timeout_ms = timeout_ms > 0 ? timeout_ms : KS_SIM_TXN_TIMEOUT_MS;
    if (epoch)
        *epoch = txn->epoch;
    return err;
}

bool ks_sim_offsets_pending(const ks_sim_t *sim, const ks_sim_group_t *g,
                            const ks_sim_topic_t *t, int32_t partition) {
    for (size_t i = 0; i < sim->nopen; i++) {
        const ks_sim_txn_t *txn = sim->open_txns[i];
        for (size_t k = 0; k < txn->noffs; k++)
            if (txn->offs[k].group == g && txn->offs[k].topic == t &&
                txn->offs[k].partition == partition)
                return true;
    }
    return false;
}

/* ---- clock and steps ---------------------------------------------------- */

void ks_sim_tick(ks_sim_t *sim, int64_t now_ms) {
    if (now_ms > sim->now)
        sim->now = now_ms;
    /* Oldest first; each abort removes one from the list. */
    size_t i = 0;
    while (i < sim->nopen) {
        ks_sim_txn_t *txn = sim->open_txns[i];
        if (sim->now - txn->started < txn->timeout_ms) {
            i++;
            continue;
        }
        (void)txn_finish(sim, txn, false);
        if (txn->epoch < INT32_MAX)
            txn->epoch++; /* fences the producer that left it open */
    }
}

int64_t ks_sim_now(const ks_sim_t *sim) {
    return sim->now;
}

void ks_sim_set_crash_hook(ks_sim_t *sim, ks_sim_crash_cb *cb, void *opaque) {
    sim->crash_cb = cb;
    sim->crash_opaque = opaque;
}

uint64_t ks_sim_steps(const ks_sim_t *sim) {
    return sim->steps;
}

bool ks_sim_step(ks_sim_t *sim, const ks_client_t *client,
                 ks_sim_step_t kind, uint64_t *step) {
    *step = ++sim->steps;
    return sim->crash_cb &&
           sim->crash_cb(sim->crash_opaque, client, kind, *step);
}

const char *ks_sim_step_name(ks_sim_step_t kind) {
    static const char *const names[KS_SIM_STEP_COUNT] = {
            "poll",         "produce",        "offset_commit",
            "txn_init",     "send_offsets",   "commit_request",
            "commit_response", "abort"};
    return (unsigned)kind < KS_SIM_STEP_COUNT ? names[kind] : "?";
}
