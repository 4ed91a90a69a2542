/* test_eos_instances.c - exactly-once across several application instances
 * of one test driver: the count-and-join topology of test_eos_crash.c runs
 * under processing.guarantee=exactly_once_v2 on two or three instances,
 * with instances added and stopped mid-run (rebalances revoke tasks and
 * move them, their stores restored from changelogs), one of two instances
 * crashed at every step of a run in turn (then restarted on its state
 * directory, on an empty one, or stopped so that the survivor takes its
 * tasks over), and an instance dropped from the group at every step in
 * turn (a zombie: fenced, its transaction aborted, its tasks closed and
 * rejoined). Each time the committed output must be the output of a
 * single instance without any of that: per key the same records in the
 * same order (instances interleave keys differently), nothing lost or
 * duplicated, and the same final counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers_eos.h"

/* Length of a row's "topic key" part. */
static size_t row_key_len(const char *row)
{
    const char *eq = strchr(row, '=');
    return eq ? (size_t)(eq - row) : strlen(row);
}

static int row_key_cmp(const char *a, const char *b)
{
    size_t la = row_key_len(a), lb = row_key_len(b);
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* Sort by "topic key", keeping each key's records in commit order: the
 * order exactly-once promises across instances. */
static void sort_by_key(outputs_t *o)
{
    for (size_t i = 1; i < o->n; i++)
        for (size_t j = i; j > 0 && row_key_cmp(o->rows[j - 1],
                                                  o->rows[j]) > 0;
             j--) {
            char *t = o->rows[j];
            o->rows[j] = o->rows[j - 1];
            o->rows[j - 1] = t;
        }
}

/* One key per partition of each topic (murmur2 % 4: u1 0, u15 1, u2 2,
 * u5 3), so every instance of two or three has work. */
#define NKEYS 4
#define NPART 4
static const char *const g_keys[NKEYS] = {"u1", "u15", "u2", "u5"};
static const input_t g_input[] = {
        {"users", "u1", "ann"},  {"orders", "u1", "o1"},
        {"orders", "u2", "o2"},  {"users", "u2", "bob"},
        {"orders", "u15", "o3"}, {"orders", "u2", "o4"},
        {"users", "u15", "cy"},  {"orders", "u5", "o5"},
        {"orders", "u1", "o6"},  {"users", "u5", "dee"},
        {"orders", "u15", "o7"}, {"orders", "u5", "o8"},
};
#define NINPUT (sizeof(g_input) / sizeof(g_input[0]))

/* What a run does besides piping g_input. */
typedef struct plan {
    const char *backend;
    int instances;    /* at the start (>= 1) */
    int add_before;   /* add an instance before input record i (-1: no) */
    int add2_before;  /* a second one */
    int stop_before;  /* stop stop_index before record i (-1: no) */
    int stop_index;
    int restart_before; /* restart_instance(stop_index) before record i */
    uint64_t crash_step; /* kstream_test_driver_crash_at (0: none) */
    int expel_index;     /* kstream_test_driver_expel_instance_at */
    uint64_t expel_step; /* 0: none */
} plan_t;

typedef struct run_result {
    outputs_t out;
    uint64_t steps;
    int crashes;
    int64_t aborted; /* "transactions-aborted" of the expelled instance */
    int64_t counts[NKEYS]; /* order-counts of g_keys */
} run_result_t;

typedef struct run {
    kstream_test_driver_t *drv;
    const plan_t *plan;
    run_result_t *r;
} run_t;

static int running_others(kstream_test_driver_t *drv, int except)
{
    int n = 0;
    for (int i = 0; i < kstream_test_driver_instances(drv); i++)
        n += i != except && kstream_test_driver_instance_running(drv, i);
    return n;
}

/* A call failed with err: it must be a crash (of an instance still
 * there, or of one that was stopping). Recover in turn by a restart on
 * the state directory, a restart on an empty one, or a stop (then the
 * crashed instance's open transaction times out and the others take its
 * tasks over) - unless no other instance runs. */
static void recover(run_t *run, kstream_err_t err, const char *what)
{
    kstream_test_driver_t *drv = run->drv;
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(eq(int, err, KSTREAM_ERR_FATAL), "%s: %s: %s", what,
              kstream_err2name(err), msg);
    cr_assert(h_contains(msg, "crashed at step"), "%s: %s", what, msg);
    cr_assert(run->r->crashes < 3, "%s: crashes keep coming: %s", what, msg);
    run->r->crashes++;
    int idx = -1;
    for (int i = 0; i < kstream_test_driver_instances(drv); i++)
        if (kstream_test_driver_instance_crashed(drv, i))
            idx = i;
    if (idx < 0) { /* it crashed while it stopped: it is gone */
        cr_assert(h_contains(msg, "while it stopped"), "%s", msg);
        cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 10000),
                     KSTREAM_OK),
                  "%s", kstream_test_driver_last_error(drv));
        return;
    }
    cr_assert(not(kstream_test_driver_instance_running(drv, idx)));
    int mode = (int)(run->plan->crash_step % 3);
    if (mode == 0 && running_others(drv, idx) > 0) {
        err = kstream_test_driver_stop_instance(drv, idx);
        cr_assert(eq(int, err, KSTREAM_OK), "stop %d: %s", idx,
                  kstream_test_driver_last_error(drv));
        cr_assert(not(kstream_test_driver_crashed(drv)));
        err = kstream_test_driver_advance_wall_clock(drv, 10000);
        cr_assert(eq(int, err, KSTREAM_OK), "%s",
                  kstream_test_driver_last_error(drv));
        return;
    }
    err = kstream_test_driver_restart_instance(drv, idx, mode == 2);
    cr_assert(eq(int, err, KSTREAM_OK), "restart %d: %s", idx,
              kstream_test_driver_last_error(drv));
    cr_assert(kstream_test_driver_instance_running(drv, idx));
}

static void add_instance(run_t *run)
{
    int idx = -1;
    kstream_err_t err = kstream_test_driver_add_instance(run->drv, &idx);
    while (err) {
        recover(run, err, "add_instance");
        /* A crash of another instance before the new one was made (the
         * driver's start): add it now. */
        err = idx < 0 ? kstream_test_driver_add_instance(run->drv, &idx)
                      : KSTREAM_OK;
    }
    cr_assert(idx > 0);
}

static void stop_instance(run_t *run, int idx)
{
    if (!kstream_test_driver_instance_running(run->drv, idx))
        return; /* a crash stopped it already */
    kstream_err_t err = kstream_test_driver_stop_instance(run->drv, idx);
    if (err)
        recover(run, err, "stop_instance");
}

static void do_run(const plan_t *plan, run_result_t *r)
{
    memset(r, 0, sizeof(*r));
    char dir[] = "/tmp/kstream-eosi-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    kstream_test_driver_t *drv = h_driver_t(
            topology(), "application.id", "eosi", "state.dir", dir,
            "processing.guarantee", "exactly_once_v2", "default.dsl.store",
            plan->backend, NULL);
    run_t run = {drv, plan, r};
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "orders", NPART),
                 0));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "users", NPART),
                 0));
    if (plan->crash_step)
        cr_assert(eq(int, kstream_test_driver_crash_at(drv, plan->crash_step),
                     0));
    for (int i = 1; i < plan->instances; i++)
        add_instance(&run);
    size_t seen[2] = {0, 0}, want[2] = {0, 0};
    for (size_t i = 0; i < NINPUT; i++) {
        if ((int)i == plan->add_before || (int)i == plan->add2_before)
            add_instance(&run);
        if ((int)i == plan->stop_before)
            stop_instance(&run, plan->stop_index);
        if ((int)i == plan->restart_before)
            cr_assert(eq(int,
                         kstream_test_driver_restart_instance(
                                 drv, plan->stop_index, false),
                         0),
                      "%s", kstream_test_driver_last_error(drv));
        /* Armed once the instance exists (it may have been added). */
        if (i == 0 && plan->expel_step)
            cr_assert(eq(int,
                         kstream_test_driver_expel_instance_at(
                                 drv, plan->expel_index, plan->expel_step),
                         0));
        const input_t *in = &g_input[i];
        int t = strcmp(in->topic, "orders") == 0;
        want[t]++;
        kstream_err_t err = h_pipe(drv, in->topic, in->key, in->value,
                                   1000 + (int64_t)i);
        while (err != KSTREAM_OK) {
            recover(&run, err, "pipe");
            /* A crash before the record was stored: pipe it again. */
            err = appended(drv, in->topic, &seen[t]) < want[t]
                          ? h_pipe(drv, in->topic, in->key, in->value,
                                   1000 + (int64_t)i)
                          : KSTREAM_OK;
        }
        cr_assert(eq(sz, appended(drv, in->topic, &seen[t]), want[t]),
                  "record %zu stored once", i);
    }
    kstream_err_t err = kstream_test_driver_commit(drv);
    while (err != KSTREAM_OK) {
        recover(&run, err, "commit");
        err = kstream_test_driver_commit(drv);
    }
    read_all(drv, "counts", true, &r->out);
    read_all(drv, "enriched", false, &r->out);
    sort_by_key(&r->out);
    for (int u = 0; u < NKEYS; u++) {
        const char *key = g_keys[u];
        kstream_bytes_t v;
        cr_assert(eq(int,
                     kstream_test_driver_store_get(drv, "order-counts", key,
                                                   strlen(key), &v),
                     0),
                  "%s: %s", key, kstream_test_driver_last_error(drv));
        cr_assert(eq(sz, v.len, 8));
        int64_t x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | ((const uint8_t *)v.data)[i];
        r->counts[u] = x;
    }
    if (plan->expel_step)
        cr_assert(eq(int,
                     kstream_test_driver_instance_metric(
                             drv, plan->expel_index, "transactions-aborted",
                             &r->aborted),
                     0));
    r->steps = kstream_test_driver_steps(drv);
    kstream_test_driver_destroy(drv);
    rmdir(dir);
}

static void same(const run_result_t *ref, const run_result_t *got,
                 const char *what, uint64_t step)
{
    for (size_t i = 0; i < ref->out.n && i < got->out.n; i++)
        cr_assert(eq(str, got->out.rows[i], ref->out.rows[i]),
                  "%s %llu: output row %zu", what, (unsigned long long)step,
                  i);
    cr_assert(eq(sz, got->out.n, ref->out.n), "%s %llu: output rows", what,
              (unsigned long long)step);
    for (int u = 0; u < NKEYS; u++)
        cr_assert(eq(i64, got->counts[u], ref->counts[u]),
                  "%s %llu: count of %s", what, (unsigned long long)step,
                  g_keys[u]);
}

static const plan_t g_single = {.instances = 1,
                                .add_before = -1,
                                .add2_before = -1,
                                .stop_before = -1,
                                .restart_before = -1};

/* The single-instance reference: 8 orders counted (2 per key), and
 * joined when their user was there (o2, o3 and o5 came before bob, cy and
 * dee). */
static void reference(const char *backend, run_result_t *ref)
{
    for (int u = 0; u < NKEYS; u++)
        cr_assert(eq(int, h_partition_of(g_keys[u], NPART), u));
    plan_t p = g_single;
    p.backend = backend;
    do_run(&p, ref);
    for (int u = 0; u < NKEYS; u++)
        cr_assert(eq(i64, ref->counts[u], 2));
    cr_assert(eq(sz, ref->out.n, 8 + 5));
}

TestSuite(eos_instances, .timeout = 120);

Test(eos_instances, two_instances_from_the_start)
{
    run_result_t ref, got;
    reference("rocksdb", &ref);
    plan_t p = g_single;
    p.backend = "rocksdb";
    p.instances = 2;
    do_run(&p, &got);
    same(&ref, &got, "two instances", 0);
    outputs_free(&got.out);
    p.instances = 3;
    do_run(&p, &got);
    same(&ref, &got, "three instances", 0);
    outputs_free(&got.out);
    outputs_free(&ref.out);
}

Test(eos_instances, instances_added_mid_run)
{
    const char *backends[] = {"rocksdb", "in_memory"};
    for (size_t b = 0; b < 2; b++) {
        run_result_t ref, got;
        reference(backends[b], &ref);
        plan_t p = g_single;
        p.backend = backends[b];
        /* RocksDB: fewer points (slow to open under sanitizers). */
        for (int at = 1; at < (int)NINPUT; at += b == 0 ? 4 : 2) {
            p.add_before = at;
            p.add2_before = at + 3 < (int)NINPUT ? at + 3 : -1;
            do_run(&p, &got);
            same(&ref, &got, "added before record", (uint64_t)at);
            outputs_free(&got.out);
        }
        outputs_free(&ref.out);
    }
}

Test(eos_instances, instance_stopped_mid_run)
{
    run_result_t ref, got;
    reference("in_memory", &ref);
    plan_t p = g_single;
    p.backend = "in_memory";
    p.instances = 2;
    for (int at = 1; at < (int)NINPUT; at += 2) {
        for (int idx = 0; idx < 2; idx++) {
            p.stop_before = at;
            p.stop_index = idx;
            do_run(&p, &got);
            same(&ref, &got, "stopped before record", (uint64_t)at);
            outputs_free(&got.out);
        }
    }
    outputs_free(&ref.out);
}

/* Stopped, then back on its state directory (RocksDB, checkpointed): it
 * takes its tasks back and restores the tail it missed. */
Test(eos_instances, instance_stopped_and_restarted_rocksdb)
{
    run_result_t ref, got;
    reference("rocksdb", &ref);
    plan_t p = g_single;
    p.backend = "rocksdb";
    p.instances = 2;
    for (int idx = 0; idx < 2; idx++) {
        p.stop_before = 3;
        p.stop_index = idx;
        p.restart_before = 7;
        do_run(&p, &got);
        same(&ref, &got, "stopped and restarted, instance", (uint64_t)idx);
        outputs_free(&got.out);
    }
    outputs_free(&ref.out);
}

/* One of two instances crashed at every `stride`-th step of the run in
 * turn (whichever instance takes that step): restarted on its state
 * directory, on an empty one, or stopped (the survivor takes its tasks
 * over once its open transaction timed out), by the step number modulo
 * 3 (a stride prime to 3 keeps all three). */
static void crash_one_of_two(const char *backend, uint64_t stride)
{
    run_result_t ref, two;
    reference(backend, &ref);
    plan_t p = g_single;
    p.backend = backend;
    p.instances = 2;
    do_run(&p, &two);
    same(&ref, &two, "two instances, no crash", 0);
    cr_assert(two.steps > 40, "steps: %llu", (unsigned long long)two.steps);
    int crashed_runs = 0, runs = 0;
    for (uint64_t s = 1; s <= two.steps; s += stride, runs++) {
        run_result_t got;
        p.crash_step = s;
        do_run(&p, &got);
        crashed_runs += got.crashes > 0;
        same(&ref, &got, "crash at step", s);
        outputs_free(&got.out);
    }
    /* The run is deterministic up to the crash: every step is reached. */
    cr_assert(eq(int, crashed_runs, runs));
    outputs_free(&two.out);
    outputs_free(&ref.out);
}

Test(eos_instances, crash_one_of_two_at_every_step_in_memory, .timeout = 300)
{
    crash_one_of_two("in_memory", 1);
}

/* RocksDB stores take longer to open (minutes under sanitizers): every
 * eighth step. */
Test(eos_instances, crash_one_of_two_at_every_eighth_step_rocksdb,
     .timeout = 300)
{
    crash_one_of_two("rocksdb", 8);
}

/* Instance 1 dropped from the group at each of its steps in turn: a
 * zombie until its next poll. Dropped between its poll and its offset
 * send, it is fenced: its transaction aborts and its tasks are closed and
 * made again; the output stays exact either way. */
Test(eos_instances, zombie_fenced_at_every_step, .timeout = 300)
{
    run_result_t ref, two;
    reference("in_memory", &ref);
    plan_t p = g_single;
    p.backend = "in_memory";
    p.instances = 2;
    do_run(&p, &two);
    int fenced = 0;
    for (uint64_t s = 1; s <= two.steps; s++) {
        run_result_t got;
        p.expel_index = 1;
        p.expel_step = s;
        do_run(&p, &got);
        fenced += got.aborted > 0;
        same(&ref, &got, "expelled at step", s);
        outputs_free(&got.out);
    }
    cr_assert(fenced > 0, "no expelled instance was ever fenced");
    outputs_free(&two.out);
    outputs_free(&ref.out);
}
