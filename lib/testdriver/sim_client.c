/* sim_client.c - a ks_client_t (consumer group member + producer) over the
 * simulated cluster of sim_cluster.c, deterministic and single-threaded.
 *
 * Group membership. A client joins its group when it subscribes and leaves
 * when it is destroyed. Its target assignment is Kafka's range assignor,
 * computed per topic over the group's members that subscribe to the topic,
 * sorted by client creation order: with P partitions and M members, member
 * i gets a contiguous range of P/M partitions, the first P%M members one
 * more. Co-partitioned topics thus give partition p of each topic to the
 * same member. Only topics that exist count; the target is recomputed when
 * the membership changes or a topic is created.
 *
 * Rebalance (eager protocol). On poll(), a member whose owned partitions
 * differ from its target first revokes everything it owns (events.revoked,
 * while it still owns them, so the owner can commit), then takes its new
 * target (events.assigned) once no other member still owns any of those
 * partitions; until then it owns nothing and polls return no record. No
 * partition is ever owned by two members at once. A new partition starts
 * at the group's committed offset, or 0 (auto.offset.reset=earliest).
 * destroy() leaves without raising events: the owner commits first.
 *
 * Poll order. Owned partitions are kept in (topic subscription order,
 * partition) order. A poll visits them in that order, round-robin, starting
 * at the partition after the last one the previous poll took records from
 * (the first poll after an assignment starts at the first partition), and
 * takes from each unpaused partition every record up to its end, or until
 * `max` records are taken. Messages point into the log: release() is a
 * no-op.
 *
 * Isolation. Markers are never returned (the position moves past them). A
 * read_committed client reads up to the last stable offset only, skips
 * aborted records, reports the LSO as end offset, and does not take a
 * partition while an open transaction holds offsets of its group for it
 * (Kafka's consumer waits on UNSTABLE_OFFSET_COMMIT, KIP-447).
 *
 * Zombies. A client the group dropped (ks_sim_client_expel) rejoins at its
 * next poll; until then its transactional offset sends are fenced. That
 * poll first revokes what it owned while it is still out of the group
 * (its partitions were lost), so a commit the owner tries then is fenced
 * too, and only then rejoins.
 *
 * Producing, offsets and transactions are in sim_client_txn.c. */
#include <stdlib.h>
#include <string.h>

#include "testdriver/sim_client_int.h"
#include "util/util.h"

static int sim_tps_push(sim_tps_t *a, ks_sim_topic_t *topic,
                        int32_t partition) {
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        sim_tp_t *v = realloc(a->v, ncap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        a->cap = ncap;
    }
    sim_tp_t *tp = &a->v[a->n++];
    tp->topic = topic;
    tp->partition = partition;
    tp->position = 0;
    tp->paused = false;
    return 0;
}

static bool sim_subscribes(const sim_client_t *c, const char *topic) {
    for (size_t i = 0; i < c->nsubs; i++)
        if (strcmp(c->subs[i], topic) == 0)
            return true;
    return false;
}

/* The range assignor's share of this member, into c->target. */
static kstream_err_t sim_compute_target(sim_client_t *c) {
    size_t nmembers;
    void *const *members = ks_sim_group_members(c->group, &nmembers);

    c->target.n = 0;
    for (size_t s = 0; s < c->nsubs; s++) {
        ks_sim_topic_t *t = ks_sim_topic_find(c->sim, c->subs[s]);
        if (!t)
            continue;
        size_t me = 0, count = 0;
        for (size_t i = 0; i < nmembers; i++) {
            const sim_client_t *m = members[i];
            if (!sim_subscribes(m, c->subs[s]))
                continue;
            if (m == c)
                me = count;
            count++;
        }
        size_t nparts = (size_t)ks_sim_topic_partitions(t);
        size_t per = nparts / count, extra = nparts % count;
        size_t first = me * per + (me < extra ? me : extra);
        size_t len = per + (me < extra ? 1 : 0);
        for (size_t p = first; p < first + len; p++)
            if (sim_tps_push(&c->target, t, (int32_t)p) != 0)
                return KSTREAM_ERR_NO_MEMORY;
    }
    c->seen_topics = ks_sim_topics_epoch(c->sim);
    c->seen_group = ks_sim_group_epoch(c->group);
    ks_sim_group_sync(c->group, c);
    c->target_ok = true;
    return KSTREAM_OK;
}

static bool sim_same_tps(const sim_tps_t *a, const sim_tps_t *b) {
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].topic != b->v[i].topic ||
            a->v[i].partition != b->v[i].partition)
            return false;
    return true;
}

static sim_tp_t *sim_find(const sim_tps_t *a, const ks_sim_topic_t *topic,
                          int32_t partition) {
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].topic == topic && a->v[i].partition == partition)
            return &a->v[i];
    return NULL;
}

/* Does an open transaction hold offsets of the group for a partition of
 * c's target (read_committed only)? */
static bool sim_target_unstable(const sim_client_t *c) {
    for (size_t k = 0; c->read_committed && k < c->target.n; k++)
        if (ks_sim_offsets_pending(c->sim, c->group, c->target.v[k].topic,
                                   c->target.v[k].partition))
            return true;
    return false;
}

/* Is any partition of c's target still owned by another member (or its
 * committed offset unstable)? */
static bool sim_target_busy(const sim_client_t *c) {
    if (sim_target_unstable(c))
        return true;
    size_t nmembers;
    void *const *members = ks_sim_group_members(c->group, &nmembers);
    for (size_t i = 0; i < nmembers; i++) {
        const sim_client_t *m = members[i];
        if (m == c)
            continue;
        for (size_t k = 0; k < c->target.n; k++)
            if (sim_find(&m->owned, c->target.v[k].topic,
                         c->target.v[k].partition))
                return true;
    }
    return false;
}

/* The owned partitions as ks_tp_t, in c->evtps. */
static kstream_err_t sim_event_tps(sim_client_t *c) {
    if (c->owned.n > c->evcap) {
        ks_tp_t *v = realloc(c->evtps, c->owned.n * sizeof(*v));
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        c->evtps = v;
        c->evcap = c->owned.n;
    }
    for (size_t i = 0; i < c->owned.n; i++) {
        c->evtps[i].topic = ks_sim_topic_name(c->owned.v[i].topic);
        c->evtps[i].partition = c->owned.v[i].partition;
    }
    return KSTREAM_OK;
}

/* Whether the target assignment must be computed again: a topic was
 * created, or a member came or went. */
static bool target_stale(const sim_client_t *c) {
    return !c->target_ok || c->seen_topics != ks_sim_topics_epoch(c->sim) ||
           c->seen_group != ks_sim_group_epoch(c->group);
}

/* Bring the owned partitions to the target, raising events. */
static kstream_err_t sim_rebalance(sim_client_t *c) {
    kstream_err_t err;
    if (!ks_sim_group_has(c->group, c)) { /* expelled: rejoin */
        /* Its partitions are lost, and it hears so before it rejoins
         * (Kafka's onPartitionsLost): a commit the owner tries now is
         * still fenced, so a zombie's open transaction cannot commit
         * with the generation it is about to get. */
        if (c->owned.n > 0) {
            err = sim_event_tps(c);
            if (err)
                return err;
            if (c->base.events.revoked)
                c->base.events.revoked(c->base.events.owner, c->evtps,
                                       c->owned.n);
            c->owned.n = 0;
        }
        if (ks_sim_group_join(c->group, c, c->order) != 0)
            return KSTREAM_ERR_NO_MEMORY;
    }
    if (target_stale(c)) {
        err = sim_compute_target(c);
        if (err)
            return err;
    }
    if (sim_same_tps(&c->owned, &c->target))
        return KSTREAM_OK;

    if (c->owned.n > 0) {
        err = sim_event_tps(c);
        if (err)
            return err;
        if (c->base.events.revoked)
            c->base.events.revoked(c->base.events.owner, c->evtps,
                                   c->owned.n);
        c->owned.n = 0;
    }
    if (c->target.n == 0 || sim_target_busy(c))
        return KSTREAM_OK;

    /* Swap: owned takes the target's array; the target is copied back. */
    sim_tps_t old = c->owned;
    c->owned = c->target;
    c->target = old;
    c->target.n = 0;
    for (size_t i = 0; i < c->owned.n; i++) {
        sim_tp_t *tp = &c->owned.v[i];
        if (sim_tps_push(&c->target, tp->topic, tp->partition) != 0) {
            c->target_ok = false;
            return KSTREAM_ERR_NO_MEMORY;
        }
        int64_t off = ks_sim_committed(c->sim, ks_sim_group_name(c->group),
                                       ks_sim_topic_name(tp->topic),
                                       tp->partition);
        tp->position = off < 0 ? 0 : off;
        tp->paused = false;
    }
    c->cursor = 0;
    err = sim_event_tps(c);
    if (err)
        return err;
    if (c->base.events.assigned)
        c->base.events.assigned(c->base.events.owner, c->evtps, c->owned.n);
    return KSTREAM_OK;
}

/* ---- ops ---------------------------------------------------------------- */

static kstream_err_t sim_subscribe(ks_client_t *base,
                                   const char *const *topics,
                                   size_t ntopics) {
    sim_client_t *c = (sim_client_t *)base;
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    if (ntopics && !topics)
        return KSTREAM_ERR_INVALID_ARG;
    if (!c->group)
        return KSTREAM_ERR_STATE;
    for (size_t i = 0; i < ntopics; i++)
        if (!topics[i])
            return KSTREAM_ERR_INVALID_ARG;

    char **subs = calloc(ntopics ? ntopics : 1, sizeof(*subs));
    if (!subs)
        return KSTREAM_ERR_NO_MEMORY;
    size_t n = 0;
    for (size_t i = 0; i < ntopics; i++) {
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(subs[k], topics[i]) == 0;
        if (dup)
            continue;
        subs[n] = ks_strdup(topics[i]);
        if (!subs[n]) {
            for (size_t k = 0; k < n; k++)
                free(subs[k]);
            free(subs);
            return KSTREAM_ERR_NO_MEMORY;
        }
        n++;
    }
    if (!c->member && ks_sim_group_join(c->group, c, c->order) != 0) {
        for (size_t k = 0; k < n; k++)
            free(subs[k]);
        free(subs);
        return KSTREAM_ERR_NO_MEMORY;
    }
    for (size_t k = 0; k < c->nsubs; k++)
        free(c->subs[k]);
    free(c->subs);
    c->subs = subs;
    c->nsubs = n;
    if (c->member)
        ks_sim_group_changed(c->group);
    c->member = true;
    return KSTREAM_OK;
}

static kstream_err_t sim_assign(ks_client_t *base, const ks_tp_offset_t *tps,
                                size_t n) {
    sim_client_t *c = (sim_client_t *)base;
    if (c->crashed)
        return KS_SIM_ERR_CRASHED;
    if (n && !tps)
        return KSTREAM_ERR_INVALID_ARG;
    if (c->member)
        return KSTREAM_ERR_STATE;
    c->owned.n = 0;
    c->cursor = 0;
    for (size_t i = 0; i < n; i++) {
        ks_sim_topic_t *t = tps[i].topic ? ks_sim_topic_find(c->sim,
                                                             tps[i].topic)
                                         : NULL;
        if (!t)
            return KSTREAM_ERR_UNKNOWN_TOPIC;
        if (tps[i].partition < 0 ||
            tps[i].partition >= ks_sim_topic_partitions(t))
            return KSTREAM_ERR_UNKNOWN_PARTITION;
        if (sim_tps_push(&c->owned, t, tps[i].partition) != 0)
            return KSTREAM_ERR_NO_MEMORY;
        c->owned.v[c->owned.n - 1].position =
                tps[i].offset < 0 ? 0 : tps[i].offset;
    }
    return KSTREAM_OK;
}

/* How far a consumer may read: the LSO under read_committed. */
static int64_t sim_limit(const sim_client_t *c, const sim_tp_t *tp) {
    return c->read_committed ? ks_sim_topic_lso(c->sim, tp->topic,
                                                tp->partition)
                             : ks_sim_topic_end(tp->topic, tp->partition);
}

bool ks_sim_client_idle(const ks_client_t *base) {
    const sim_client_t *c = (const sim_client_t *)base;
    if (!c)
        return false;
    /* A rebalance may be due (a topic was created, a member came or went):
     * only a poll finds out. */
    if (c->crashed)
        return true; /* it will never do anything again */
    if (c->member && !ks_sim_group_has(c->group, c))
        return false; /* expelled: the next poll rejoins */
    /* Waiting for a transaction to release the target's offsets changes
     * nothing until that transaction ends. */
    if (c->member &&
        (target_stale(c) || !sim_same_tps(&c->owned, &c->target)) &&
        !(!target_stale(c) && c->owned.n == 0 && sim_target_unstable(c)))
        return false;
    for (size_t i = 0; i < c->owned.n; i++) {
        const sim_tp_t *tp = &c->owned.v[i];
        int64_t limit = sim_limit(c, tp);
        for (int64_t off = tp->position; off < limit; off++)
            if (ks_sim_topic_visible(tp->topic, tp->partition, off,
                                     c->read_committed))
                return false;
    }
    return true;
}

static kstream_err_t sim_poll(ks_client_t *base, ks_msg_t *msgs, size_t max,
                              size_t *n, int timeout_ms) {
    sim_client_t *c = (sim_client_t *)base;
    (void)timeout_ms; /* virtual time: nothing to wait for */
    if (!n || (max && !msgs))
        return KSTREAM_ERR_INVALID_ARG;
    *n = 0;
    kstream_err_t serr = ks_sim_client_step(c, KS_SIM_STEP_POLL);
    if (serr)
        return serr;
    if (c->member) {
        kstream_err_t err = sim_rebalance(c);
        if (err)
            return err;
    }
    size_t k = 0, nowned = c->owned.n, last = nowned;
    /* idx = (cursor + i) % nowned, without a division per partition. */
    size_t idx = nowned && c->cursor >= nowned ? c->cursor % nowned
                                               : c->cursor;
    for (size_t i = 0; i < nowned && k < max;
         i++, idx = idx + 1 == nowned ? 0 : idx + 1) {
        sim_tp_t *tp = &c->owned.v[idx];
        if (tp->paused)
            continue;
        int64_t end = sim_limit(c, tp);
        while (tp->position < end && k < max) {
            if (ks_sim_topic_visible(tp->topic, tp->partition, tp->position,
                                     c->read_committed)) {
                ks_sim_topic_msg(tp->topic, tp->partition, tp->position,
                                 &msgs[k++]);
                last = idx;
            }
            tp->position++;
        }
    }
    if (last < nowned)
        c->cursor = last + 1 == nowned ? 0 : last + 1;
    *n = k;
    return KSTREAM_OK;
}

static void sim_release(ks_client_t *base, ks_msg_t *msgs, size_t n) {
    (void)base; /* messages point into the log, which outlives them */
    (void)msgs;
    (void)n;
}

/* The owned entry for tp, or NULL (with *err set) when tp is not owned. */
static sim_tp_t *sim_owned(sim_client_t *c, const char *topic,
                           int32_t partition, kstream_err_t *err) {
    if (!topic) {
        *err = KSTREAM_ERR_INVALID_ARG;
        return NULL;
    }
    ks_sim_topic_t *t = ks_sim_topic_find(c->sim, topic);
    sim_tp_t *tp = t ? sim_find(&c->owned, t, partition) : NULL;
    *err = tp ? KSTREAM_OK : KSTREAM_ERR_STATE;
    return tp;
}

static kstream_err_t sim_set_paused(ks_client_t *base, const ks_tp_t *tp,
                                    bool paused) {
    kstream_err_t err = KSTREAM_ERR_INVALID_ARG;
    sim_tp_t *own = tp ? sim_owned((sim_client_t *)base, tp->topic,
                                   tp->partition, &err)
                       : NULL;
    if (own)
        own->paused = paused;
    return err;
}

static kstream_err_t sim_pause(ks_client_t *base, const ks_tp_t *tp) {
    return sim_set_paused(base, tp, true);
}

static kstream_err_t sim_resume(ks_client_t *base, const ks_tp_t *tp) {
    return sim_set_paused(base, tp, false);
}

/* An offset past the end is kept: the partition yields records once the
 * log reaches it (the sim has no out-of-range reset). */
static kstream_err_t sim_seek(ks_client_t *base, const ks_tp_offset_t *tpo) {
    if (!tpo || tpo->offset < 0)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err;
    sim_tp_t *own = sim_owned((sim_client_t *)base, tpo->topic,
                              tpo->partition, &err);
    if (own)
        own->position = tpo->offset;
    return err;
}

static kstream_err_t sim_partition_count(ks_client_t *base,
                                         const char *topic, int32_t *n) {
    sim_client_t *c = (sim_client_t *)base;
    if (!topic || !n)
        return KSTREAM_ERR_INVALID_ARG;
    int32_t parts = ks_sim_partitions(c->sim, topic);
    if (parts < 0)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    *n = parts;
    return KSTREAM_OK;
}

/* The sim knows every end offset at once, so the lag of an owned
 * partition is always known. */
static kstream_err_t sim_lag(ks_client_t *base, const ks_tp_t *tp,
                             int64_t *lag) {
    if (!tp || !lag)
        return KSTREAM_ERR_INVALID_ARG;
    *lag = -1;
    kstream_err_t err;
    sim_client_t *c = (sim_client_t *)base;
    sim_tp_t *own = sim_owned(c, tp->topic, tp->partition, &err);
    if (own) {
        int64_t end = sim_limit(c, own);
        *lag = end > own->position ? end - own->position : 0;
    }
    return err;
}

static void sim_destroy(ks_client_t *base) {
    sim_client_t *c = (sim_client_t *)base;
    if (!c)
        return;
    if (c->member)
        ks_sim_group_leave(c->group, c);
    for (size_t k = 0; k < c->nsubs; k++)
        free(c->subs[k]);
    free(c->subs);
    free(c->owned.v);
    free(c->target.v);
    free(c->evtps);
    ks_written_free(&c->written);
    free(c);
}

#define SIM_OPS                                                            \
    .subscribe = sim_subscribe, .assign = sim_assign, .poll = sim_poll,    \
    .release = sim_release, .pause = sim_pause, .resume = sim_resume,      \
    .seek = sim_seek, .committed = ks_sim_client_committed,                \
    .end_offset = ks_sim_client_end_offset,                                \
    .written_offset = ks_sim_client_written_offset, .lag = sim_lag,        \
    .partition_count = sim_partition_count,                                \
    .produce = ks_sim_client_produce, .flush = ks_sim_client_flush,        \
    .commit = ks_sim_client_commit, .destroy = sim_destroy

static const ks_client_ops_t sim_ops = {.name = "sim", SIM_OPS};

/* A transactional client: the same plus the exactly_once_v2 ops. */
static const ks_client_ops_t sim_txn_ops = {
        .name = "sim",
        SIM_OPS,
        .txn_init = ks_sim_client_txn_init,
        .txn_begin = ks_sim_client_txn_begin,
        .txn_send_offsets = ks_sim_client_txn_send_offsets,
        .txn_commit = ks_sim_client_txn_commit,
        .txn_abort = ks_sim_client_txn_abort,
        .txn_reset = ks_sim_client_txn_reset,
};

ks_client_t *ks_sim_client_new_conf(ks_sim_t *sim,
                                    const ks_sim_client_conf_t *conf,
                                    const ks_client_events_t *events) {
    if (!sim || !conf)
        return NULL;
    sim_client_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->base.ops = conf->transactional_id ? &sim_txn_ops : &sim_ops;
    if (events)
        c->base.events = *events;
    c->sim = sim;
    c->order = ks_sim_next_seq(sim);
    c->read_committed = conf->read_committed;
    c->epoch = -1;
    c->txn_timeout_ms = conf->transaction_timeout_ms;
    if (conf->group) {
        c->group = ks_sim_group_get(sim, conf->group);
        if (!c->group) {
            free(c);
            return NULL;
        }
    }
    if (conf->transactional_id) {
        c->txn = ks_sim_txn_get(sim, conf->transactional_id);
        if (!c->txn) {
            free(c);
            return NULL;
        }
    }
    return &c->base;
}

ks_client_t *ks_sim_client_new(ks_sim_t *sim, const char *group,
                               const ks_client_events_t *events) {
    ks_sim_client_conf_t conf = {.group = group};
    return ks_sim_client_new_conf(sim, &conf, events);
}
