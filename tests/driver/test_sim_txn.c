/* test_sim_txn.c - the simulated cluster's transactions (lib/testdriver/
 * sim_txn.c, sim_client_txn.c): commit and abort, read_committed up to the
 * last stable offset, markers, fencing by producer epoch and by group
 * generation (KIP-447), the transaction timeout, and crash injection at
 * each step kind. Uses the sim and its clients directly. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "testdriver/sim.h"

static ks_sim_t *sim;
static void setup(void)
{
    sim = ks_sim_new();
    cr_assert_not_null(sim);
    cr_assert(eq(int, ks_sim_create_topic(sim, "in", 1), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "out", 2), KSTREAM_OK));
}
static void teardown(void)
{
    ks_sim_destroy(sim);
}
TestSuite(sim_txn, .init = setup, .fini = teardown, .timeout = 10);

/* A transactional main client of group "app" (read_committed). */
static ks_client_t *txn_client(const char *id)
{
    ks_sim_client_conf_t conf = {.group = "app",
                                 .transactional_id = id,
                                 .read_committed = true};
    ks_client_t *c = ks_sim_client_new_conf(sim, &conf, NULL);
    cr_assert_not_null(c);
    cr_assert_not_null(c->ops->txn_init);
    return c;
}

/* A plain consumer of every partition of topic, from 0. */
static ks_client_t *reader(const char *topic, bool read_committed)
{
    ks_sim_client_conf_t conf = {.read_committed = read_committed};
    ks_client_t *c = ks_sim_client_new_conf(sim, &conf, NULL);
    cr_assert_not_null(c);
    cr_assert_null(c->ops->txn_init);
    ks_tp_offset_t tps[2];
    int32_t n = ks_sim_partitions(sim, topic);
    for (int32_t p = 0; p < n; p++)
        tps[p] = (ks_tp_offset_t){topic, p, 0};
    cr_assert(eq(int, c->ops->assign(c, tps, (size_t)n), KSTREAM_OK));
    return c;
}

static kstream_err_t send(ks_client_t *c, const char *topic, int32_t p,
                          const char *value)
{
    ks_out_t out = {.topic = topic,
                    .partition = p,
                    .key = "k",
                    .key_len = 1,
                    .value = value,
                    .value_len = strlen(value),
                    .timestamp = 1};
    return c->ops->produce(c, &out);
}

/* Values a poll returns, joined with ',' into buf. */
static size_t poll_values(ks_client_t *c, char *buf, size_t cap)
{
    ks_msg_t msgs[32];
    size_t n = 0, len = 0;
    buf[0] = '\0';
    cr_assert(eq(int, c->ops->poll(c, msgs, 32, &n, 0), KSTREAM_OK));
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.*s",
                                i ? "," : "", (int)msgs[i].value_len,
                                (const char *)msgs[i].value);
    c->ops->release(c, msgs, n);
    return n;
}

/* Values of ks_sim_read_appended (the driver's read view) of topic. */
static void visible(const char *topic, char *buf, size_t cap)
{
    size_t len = 0;
    ks_msg_t m;
    buf[0] = '\0';
    for (size_t i = 0; ks_sim_read_appended(sim, topic, i, &m) == KSTREAM_OK;
         i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.*s",
                                i ? "," : "", (int)m.value_len,
                                (const char *)m.value);
}

/* Subscribe c to "in" and poll once so that it owns its partition. */
static void join(ks_client_t *c)
{
    const char *topics[] = {"in"};
    cr_assert(eq(int, c->ops->subscribe(c, topics, 1), KSTREAM_OK));
    ks_msg_t m[4];
    size_t n;
    cr_assert(eq(int, c->ops->poll(c, m, 4, &n, 0), KSTREAM_OK));
}

Test(sim_txn, commit_makes_records_and_offsets_visible_together)
{
    ks_client_t *c = txn_client("app-0");
    join(c);
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "a"), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 1, "b"), KSTREAM_OK));
    ks_tp_offset_t off = {"in", 0, 7};
    cr_assert(eq(int, c->ops->txn_send_offsets(c, &off, 1, 1000),
                 KSTREAM_OK));

    /* Nothing visible yet: records pending, offsets not committed. */
    ks_client_t *rc = reader("out", true);
    char buf[256];
    cr_assert(eq(sz, poll_values(rc, buf, sizeof buf), 0));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "out"), 0));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), -1));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_PENDING));

    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), 7));
    cr_assert(eq(sz, poll_values(rc, buf, sizeof buf), 2));
    cr_assert(eq(str, buf, "a,b"));
    visible("out", buf, sizeof buf);
    cr_assert(eq(str, buf, "a,b"));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_COMMITTED));
    /* Each partition got a commit marker after its record. */
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 1),
                 KS_SIM_REC_MARKER));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "out", 1), 2));
    rc->ops->destroy(rc);
    c->ops->destroy(c);
}

Test(sim_txn, abort_hides_records_and_offsets_forever)
{
    ks_client_t *c = txn_client("app-0");
    join(c);
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "x"), KSTREAM_OK));
    ks_tp_offset_t off = {"in", 0, 3};
    cr_assert(eq(int, c->ops->txn_send_offsets(c, &off, 1, 1000),
                 KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_abort(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_ABORTED));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), -1));

    /* A later transaction commits: only its record shows. */
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "y"), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));

    char buf[256];
    ks_client_t *rc = reader("out", true);
    cr_assert(eq(sz, poll_values(rc, buf, sizeof buf), 1));
    cr_assert(eq(str, buf, "y"));
    visible("out", buf, sizeof buf);
    cr_assert(eq(str, buf, "y"));
    /* read_uncommitted sees the aborted record too, never a marker. */
    ks_client_t *ru = reader("out", false);
    cr_assert(eq(sz, poll_values(ru, buf, sizeof buf), 2));
    cr_assert(eq(str, buf, "x,y"));
    /* x, abort marker, y, commit marker. */
    cr_assert(eq(i64, ks_sim_end_offset(sim, "out", 0), 4));
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read(sim, "out", 0, 1, &m),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, ks_sim_read(sim, "out", 0, 2, &m), KSTREAM_OK));
    cr_assert(eq(i64, m.offset, 2));
    rc->ops->destroy(rc);
    ru->ops->destroy(ru);
    c->ops->destroy(c);
}

Test(sim_txn, read_committed_stops_at_the_last_stable_offset)
{
    ks_client_t *plain = ks_sim_client_new(sim, NULL, NULL);
    ks_client_t *c = txn_client("app-0");
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, send(plain, "out", 0, "p1"), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "t1"), KSTREAM_OK));
    /* A record outside the transaction, after its first offset. */
    cr_assert(eq(int, send(plain, "out", 0, "p2"), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 0), 1));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 1), 0));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "out", 0), 3));

    ks_client_t *rc = reader("out", true);
    ks_client_t *ru = reader("out", false);
    char buf[256];
    cr_assert(eq(sz, poll_values(rc, buf, sizeof buf), 1));
    cr_assert(eq(str, buf, "p1"));
    cr_assert(ks_sim_client_idle(rc));
    int64_t end, lag;
    ks_tp_t tp = {"out", 0};
    cr_assert(eq(int, rc->ops->end_offset(rc, &tp, &end), KSTREAM_OK));
    cr_assert(eq(i64, end, 1));
    cr_assert(eq(int, rc->ops->lag(rc, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, lag, 0)); /* up to the LSO */
    cr_assert(eq(int, ru->ops->lag(ru, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, lag, 3));
    cr_assert(eq(int, ru->ops->end_offset(ru, &tp, &end), KSTREAM_OK));
    cr_assert(eq(i64, end, 3));
    cr_assert(eq(sz, poll_values(ru, buf, sizeof buf), 3));
    cr_assert(eq(str, buf, "p1,t1,p2"));
    visible("out", buf, sizeof buf);
    cr_assert(eq(str, buf, "p1"));

    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 0), 4));
    cr_assert(not(ks_sim_client_idle(rc)));
    cr_assert(eq(sz, poll_values(rc, buf, sizeof buf), 2));
    cr_assert(eq(str, buf, "t1,p2"));
    cr_assert(ks_sim_client_idle(rc));
    visible("out", buf, sizeof buf);
    cr_assert(eq(str, buf, "p1,t1,p2"));
    /* The uncommitted reader skips the marker silently. */
    cr_assert(eq(sz, poll_values(ru, buf, sizeof buf), 0));
    cr_assert(ks_sim_client_idle(ru));
    rc->ops->destroy(rc);
    ru->ops->destroy(ru);
    c->ops->destroy(c);
    plain->ops->destroy(plain);
}

Test(sim_txn, txn_ops_check_their_order)
{
    ks_client_t *c = txn_client("app-0");
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_ERR_STATE));
    cr_assert(eq(int, send(c, "out", 0, "a"), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_ERR_STATE));
    cr_assert(eq(int, send(c, "out", 0, "a"), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_abort(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_ERR_STATE));
    /* An empty transaction commits without markers. */
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "out", 0), 0));
    cr_assert(eq(int, ks_sim_client_epoch(c), 0));
    c->ops->destroy(c);
}

Test(sim_txn, init_fences_the_old_producer_and_aborts_its_transaction)
{
    ks_client_t *old = txn_client("app-0");
    cr_assert(eq(int, old->ops->txn_init(old, 1000), KSTREAM_OK));
    cr_assert(eq(int, old->ops->txn_begin(old), KSTREAM_OK));
    cr_assert(eq(int, send(old, "out", 0, "zombie"), KSTREAM_OK));

    ks_client_t *c = txn_client("app-0");
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_client_epoch(c), 1));
    /* The old transaction was aborted by the new producer's init. */
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_ABORTED));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 1),
                 KS_SIM_REC_MARKER));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 0), 2));

    cr_assert(eq(int, send(old, "out", 0, "late"), KSTREAM_ERR_FENCED));
    cr_assert(eq(int, old->ops->txn_commit(old, 1000), KSTREAM_ERR_FENCED));
    cr_assert(eq(int, old->ops->txn_abort(old, 1000), KSTREAM_ERR_FENCED));
    cr_assert(eq(int, old->ops->txn_begin(old), KSTREAM_ERR_FENCED));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "out", 0), 2));

    /* The new producer works; the old one can come back only by a new
     * init (which fences the other in turn). */
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "new"), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));
    char buf[64];
    visible("out", buf, sizeof buf);
    cr_assert(eq(str, buf, "new"));
    cr_assert(eq(int, old->ops->txn_reset(old), KSTREAM_OK));
    cr_assert(eq(int, old->ops->txn_init(old, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 0, "x"), KSTREAM_ERR_FENCED));
    old->ops->destroy(old);
    c->ops->destroy(c);
}

Test(sim_txn, commit_of_a_fenced_transaction_is_refused_at_the_cluster)
{
    ks_sim_txn_t *txn = ks_sim_txn_get(sim, "t");
    int32_t e0, e1;
    cr_assert(eq(int, ks_sim_txn_init(sim, txn, 0, &e0), KSTREAM_OK));
    ks_out_t out = {.topic = "out", .partition = 1, .value = "v",
                    .value_len = 1};
    cr_assert(eq(int, ks_sim_txn_produce(sim, txn, e0, &out, NULL, NULL),
                 KSTREAM_OK));
    cr_assert(ks_sim_txn_is_open(txn));
    cr_assert(eq(int, ks_sim_txn_init(sim, txn, 0, &e1), KSTREAM_OK));
    cr_assert(eq(int, e1, e0 + 1));
    cr_assert(not(ks_sim_txn_is_open(txn)));
    cr_assert(eq(int, ks_sim_txn_end(sim, txn, e0, true),
                 KSTREAM_ERR_FENCED));
    cr_assert(eq(int, ks_sim_txn_produce(sim, txn, e0, &out, NULL, NULL),
                 KSTREAM_ERR_FENCED));
}

Test(sim_txn, send_offsets_with_an_old_generation_is_fenced)
{
    ks_client_t *a = txn_client("app-0");
    join(a);
    uint64_t gen_a = ks_sim_client_generation(a);
    ks_client_t *b = txn_client("app-1");
    join(b);
    join(a); /* a syncs with the group's new generation */
    ks_sim_group_t *g = ks_sim_group_get(sim, "app");
    cr_assert(lt(u64, gen_a, ks_sim_group_generation(g)));

    ks_sim_txn_t *txn = ks_sim_txn_get(sim, "other");
    int32_t e;
    cr_assert(eq(int, ks_sim_txn_init(sim, txn, 0, &e), KSTREAM_OK));
    ks_tp_offset_t off = {"in", 0, 1};
    cr_assert(eq(int,
                 ks_sim_txn_send_offsets(sim, txn, e, g, a, gen_a, &off, 1),
                 KSTREAM_ERR_FENCED));
    cr_assert(eq(int,
                 ks_sim_txn_send_offsets(sim, txn, e, g, a,
                                         ks_sim_client_generation(a), &off,
                                         1),
                 KSTREAM_OK));
    cr_assert(eq(int, ks_sim_txn_end(sim, txn, e, false), KSTREAM_OK));

    /* A member the group dropped is a zombie: fenced; it rejoins at its
     * next poll. */
    cr_assert(eq(int, a->ops->txn_init(a, 1000), KSTREAM_OK));
    cr_assert(eq(int, a->ops->txn_begin(a), KSTREAM_OK));
    ks_sim_client_expel(a);
    cr_assert(eq(int, a->ops->txn_send_offsets(a, &off, 1, 1000),
                 KSTREAM_ERR_FENCED));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), -1));
    a->ops->destroy(a);
    b->ops->destroy(b);
}

Test(sim_txn, member_waits_for_pending_offsets_before_taking_a_partition)
{
    ks_client_t *a = txn_client("app-0");
    join(a);
    cr_assert(eq(int, a->ops->txn_init(a, 1000), KSTREAM_OK));
    cr_assert(eq(int, a->ops->txn_begin(a), KSTREAM_OK));
    ks_tp_offset_t off = {"in", 0, 5};
    cr_assert(eq(int, a->ops->txn_send_offsets(a, &off, 1, 1000),
                 KSTREAM_OK));
    a->ops->destroy(a); /* gone with its transaction open */

    ks_client_t *b = txn_client("app-9");
    join(b);
    cr_assert(ks_sim_client_idle(b)); /* waiting, nothing to do */
    ks_tp_t tp = {"in", 0};
    int64_t lag;
    cr_assert(eq(int, b->ops->lag(b, &tp, &lag), KSTREAM_ERR_STATE));
    /* The transaction times out (60 s by default): aborted, b goes on
     * from the last stable commit. */
    ks_sim_tick(sim, 59999);
    cr_assert(eq(int, b->ops->lag(b, &tp, &lag), KSTREAM_ERR_STATE));
    ks_sim_tick(sim, 60000);
    join(b);
    cr_assert(eq(int, b->ops->lag(b, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), -1));
    b->ops->destroy(b);
}

Test(sim_txn, timeout_aborts_and_fences_the_producer)
{
    ks_sim_client_conf_t conf = {.transactional_id = "t",
                                 .read_committed = true,
                                 .transaction_timeout_ms = 100};
    ks_client_t *c = ks_sim_client_new_conf(sim, &conf, NULL);
    ks_sim_tick(sim, 1000);
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    ks_sim_tick(sim, 1500); /* begin alone starts no timer */
    cr_assert(eq(int, send(c, "out", 0, "a"), KSTREAM_OK));
    ks_sim_tick(sim, 1599);
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_PENDING));
    ks_sim_tick(sim, 1600);
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_ABORTED));
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_ERR_FENCED));
    cr_assert(eq(i64, ks_sim_now(sim), 1600));
    c->ops->destroy(c);
}

/* ---- crash injection ---------------------------------------------------- */

typedef struct crash_at {
    ks_sim_step_t kind; /* crash at the first step of this kind */
    uint64_t seen[KS_SIM_STEP_COUNT];
    bool done;
} crash_at_t;

static bool crash_hook(void *opaque, const ks_client_t *client,
                       ks_sim_step_t kind, uint64_t step)
{
    crash_at_t *ca = opaque;
    (void)client;
    (void)step;
    ca->seen[kind]++;
    if (ca->done || kind != ca->kind)
        return false;
    ca->done = true;
    return true;
}

/* One exactly-once cycle: consume "in", write "out", send offsets,
 * commit. Stops at the first error, which it returns. */
static kstream_err_t cycle(ks_client_t *c)
{
    kstream_err_t err;
    ks_msg_t m[8];
    size_t n;
    if ((err = c->ops->poll(c, m, 8, &n, 0)))
        return err;
    if ((err = c->ops->txn_begin(c)))
        return err;
    for (size_t i = 0; i < n; i++)
        if ((err = send(c, "out", 0, "o")))
            return err;
    ks_tp_offset_t off = {"in", 0, n ? m[n - 1].offset + 1 : 0};
    if (n && (err = c->ops->txn_send_offsets(c, &off, 1, 1000)))
        return err;
    return c->ops->txn_commit(c, 1000);
}

static void pipe_in(int count)
{
    for (int i = 0; i < count; i++) {
        ks_out_t out = {.topic = "in", .partition = 0, .value = "i",
                        .value_len = 1};
        cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL),
                     KSTREAM_OK));
    }
}

/* Crash a member at the first step of `kind` in a cycle, then let a
 * restarted instance (same transactional id) finish: the committed output
 * and offsets are exactly one cycle's. Returns the crashed client's
 * view of what the cluster held right after the crash via *committed_out
 * (records visible) and *offset (committed). */
static void crash_then_restart(ks_sim_step_t kind, size_t *visible_after,
                               int64_t *offset_after)
{
    crash_at_t ca = {.kind = kind};
    pipe_in(3);
    ks_sim_set_crash_hook(sim, crash_hook, &ca);
    ks_client_t *c = txn_client("app-0");
    const char *topics[] = {"in"};
    cr_assert(eq(int, c->ops->subscribe(c, topics, 1), KSTREAM_OK));
    kstream_err_t err = c->ops->txn_init(c, 1000);
    if (!err)
        err = cycle(c);
    cr_assert(eq(int, err, KS_SIM_ERR_CRASHED));
    cr_assert(ks_sim_client_crashed(c));
    ks_sim_step_t k;
    uint64_t step;
    cr_assert(ks_sim_client_crash_step(c, &k, &step));
    cr_assert(eq(int, k, kind));
    cr_assert(eq(u64, step, ks_sim_steps(sim)));
    /* Every later call fails the same way. */
    ks_msg_t m[1];
    size_t n;
    cr_assert(eq(int, c->ops->poll(c, m, 1, &n, 0), KS_SIM_ERR_CRASHED));
    cr_assert(eq(int, send(c, "out", 0, "x"), KS_SIM_ERR_CRASHED));
    cr_assert(eq(int, c->ops->txn_commit(c, 0), KS_SIM_ERR_CRASHED));
    *visible_after = ks_sim_appended_count(sim, "out");
    *offset_after = ks_sim_committed(sim, "app", "in", 0);
    c->ops->destroy(c);
    ks_sim_set_crash_hook(sim, NULL, NULL);

    /* The restart: same id, a new producer; exactly-once overall. */
    ks_client_t *r = txn_client("app-0");
    cr_assert(eq(int, r->ops->subscribe(r, topics, 1), KSTREAM_OK));
    cr_assert(eq(int, r->ops->txn_init(r, 1000), KSTREAM_OK));
    cr_assert(eq(int, cycle(r), KSTREAM_OK));
    cr_assert(eq(int, cycle(r), KSTREAM_OK));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "out"), 3));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), 3));
    r->ops->destroy(r);
}

Test(sim_txn, crash_at_init_leaves_nothing)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_TXN_INIT, &vis, &off);
    cr_assert(eq(sz, vis, 0));
    cr_assert(eq(i64, off, -1));
}

Test(sim_txn, crash_at_poll_leaves_nothing)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_POLL, &vis, &off);
    cr_assert(eq(sz, vis, 0));
    cr_assert(eq(i64, off, -1));
}

Test(sim_txn, crash_at_produce_leaves_an_open_transaction)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_PRODUCE, &vis, &off);
    cr_assert(eq(sz, vis, 0));
    cr_assert(eq(i64, off, -1));
}

Test(sim_txn, crash_before_send_offsets_leaves_pending_records)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_SEND_OFFSETS, &vis, &off);
    cr_assert(eq(sz, vis, 0));
    cr_assert(eq(i64, off, -1));
    /* The three pending records were aborted by the restart's init. */
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0),
                 KS_SIM_REC_ABORTED));
}

Test(sim_txn, crash_at_commit_request_commits_nothing)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_COMMIT_REQUEST, &vis, &off);
    cr_assert(eq(sz, vis, 0));
    cr_assert(eq(i64, off, -1));
}

Test(sim_txn, crash_at_commit_response_after_the_cluster_committed)
{
    size_t vis;
    int64_t off;
    crash_then_restart(KS_SIM_STEP_COMMIT_RESPONSE, &vis, &off);
    cr_assert(eq(sz, vis, 3));
    cr_assert(eq(i64, off, 3));
}

Test(sim_txn, crash_at_abort_leaves_the_transaction_open)
{
    crash_at_t ca = {.kind = KS_SIM_STEP_ABORT};
    ks_sim_set_crash_hook(sim, crash_hook, &ca);
    ks_client_t *c = txn_client("app-0");
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "out", 1, "a"), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_abort(c, 1000), KS_SIM_ERR_CRASHED));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 1, 0),
                 KS_SIM_REC_PENDING));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 1), 0));
    c->ops->destroy(c);
    ks_client_t *r = txn_client("app-0");
    cr_assert(eq(int, r->ops->txn_init(r, 1000), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 1, 0),
                 KS_SIM_REC_ABORTED));
    cr_assert(eq(i64, ks_sim_lso(sim, "out", 1), 2));
    r->ops->destroy(r);
}

Test(sim_txn, at_least_once_steps_and_crash_at_offset_commit)
{
    crash_at_t ca = {.kind = KS_SIM_STEP_OFFSET_COMMIT};
    ks_sim_set_crash_hook(sim, crash_hook, &ca);
    ks_client_t *c = ks_sim_client_new(sim, "app", NULL);
    cr_assert_null(c->ops->txn_commit);
    join(c); /* one poll: takes the partition */
    pipe_in(2);
    ks_msg_t m[8];
    size_t n;
    cr_assert(eq(int, c->ops->poll(c, m, 8, &n, 0), KSTREAM_OK));
    cr_assert(eq(sz, n, 2));
    cr_assert(eq(int, send(c, "out", 0, "o"), KSTREAM_OK));
    /* Plain records are visible at once, as before. */
    cr_assert(eq(sz, ks_sim_appended_count(sim, "out"), 1));
    cr_assert(eq(int, ks_sim_rec_state(sim, "out", 0, 0), KS_SIM_REC_PLAIN));
    ks_tp_offset_t off = {"in", 0, 2};
    cr_assert(eq(int, c->ops->commit(c, &off, 1), KS_SIM_ERR_CRASHED));
    cr_assert(eq(i64, ks_sim_committed(sim, "app", "in", 0), -1));
    cr_assert(eq(u64, ca.seen[KS_SIM_STEP_POLL], 2));
    cr_assert(eq(u64, ca.seen[KS_SIM_STEP_PRODUCE], 1));
    cr_assert(eq(u64, ks_sim_steps(sim), 4));
    cr_assert(eq(str, (char *)ks_sim_step_name(KS_SIM_STEP_COMMIT_RESPONSE),
                 "commit_response"));
    c->ops->destroy(c);
}

Test(sim_txn, a_one_partition_topic_keeps_its_order_across_transactions)
{
    ks_client_t *plain = ks_sim_client_new(sim, NULL, NULL);
    ks_client_t *c = txn_client("app-0");
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_OK));
    for (int i = 0; i < 100; i++)
        cr_assert(eq(int, send(plain, "in", 0, "p"), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, send(c, "in", 0, "t"), KSTREAM_OK));
    cr_assert(eq(int, send(plain, "in", 0, "q"), KSTREAM_OK));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "in"), 100));
    cr_assert(eq(int, c->ops->txn_commit(c, 1000), KSTREAM_OK));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "in"), 102));
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read_appended(sim, "in", 99, &m), KSTREAM_OK));
    cr_assert(eq(i64, m.offset, 99));
    cr_assert(eq(int, ks_sim_read_appended(sim, "in", 100, &m), KSTREAM_OK));
    cr_assert(eq(int, memcmp(m.value, "t", 1), 0));
    cr_assert(eq(int, ks_sim_read_appended(sim, "in", 101, &m), KSTREAM_OK));
    cr_assert(eq(int, memcmp(m.value, "q", 1), 0));
    cr_assert(eq(i64, m.offset, 101));
    cr_assert(eq(int, ks_sim_read_appended(sim, "in", 102, &m),
                 KSTREAM_ERR_NOT_FOUND));
    c->ops->destroy(c);
    plain->ops->destroy(plain);
}
