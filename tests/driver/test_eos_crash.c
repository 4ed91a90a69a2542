/* test_eos_crash.c - exactly-once proven by crashing: a count-and-join
 * topology runs under processing.guarantee=exactly_once_v2 on the test
 * driver's simulated cluster, crashed at every step of the run in turn
 * (every poll, produce, transactional producer registration, offset send,
 * commit request, commit response and abort), restarted on its state
 * directory or on an empty one, and run to the end. Each time the
 * committed output must equal the output of the run without a crash,
 * record for record: no duplicate, no loss, exact counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers_eos.h"

static const input_t g_input[] = {
        {"users", "u1", "ann"},   {"orders", "u1", "o1"},
        {"orders", "u2", "o2"},   {"users", "u2", "bob"},
        {"orders", "u2", "o3"},   {"orders", "u1", "o4"},
        {"users", "u1", "anne"},  {"orders", "u1", "o5"},
        {"orders", "u3", "o6"},   {"users", "u2", NULL},
        {"orders", "u2", "o7"},   {"users", "u3", "cy"},
        {"orders", "u3", "o8"},   {"orders", "u1", "o9"},
};
#define NINPUT (sizeof(g_input) / sizeof(g_input[0]))

typedef struct run_result {
    outputs_t out;
    uint64_t steps;
    int crashes;
    int64_t counts[4]; /* order-counts of u1..u3 at the end (index 1..3) */
} run_result_t;

/* One run; crash_step 0: none. wipe: restart on an empty state dir. */
static void run(const char *backend, uint64_t crash_step, bool wipe,
                run_result_t *r)
{
    memset(r, 0, sizeof(*r));
    char dir[] = "/tmp/kstream-eos-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    kstream_test_driver_t *drv = h_driver_t(
            topology(), "application.id", "eosapp", "state.dir", dir,
            "processing.guarantee", "exactly_once_v2", "default.dsl.store",
            backend, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "orders", 2), 0));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "users", 2), 0));
    if (crash_step)
        cr_assert(eq(int, kstream_test_driver_crash_at(drv, crash_step), 0));
    size_t seen_orders = 0, seen_users = 0, want_orders = 0, want_users = 0;
    for (size_t i = 0; i < NINPUT; i++) {
        const input_t *in = &g_input[i];
        bool is_order = strcmp(in->topic, "orders") == 0;
        size_t *want = is_order ? &want_orders : &want_users;
        size_t *seen = is_order ? &seen_orders : &seen_users;
        (*want)++;
        kstream_err_t err = h_pipe(drv, in->topic, in->key, in->value,
                                   1000 + (int64_t)i);
        for (int tries = 0; err != KSTREAM_OK; tries++) {
            cr_assert(kstream_test_driver_crashed(drv),
                      "record %zu: %s: %s", i, kstream_err2name(err),
                      kstream_test_driver_last_error(drv));
            cr_assert(h_contains(kstream_test_driver_last_error(drv),
                                 "crashed at step"));
            cr_assert(tries < 3, "restarts keep failing");
            r->crashes++;
            err = kstream_test_driver_restart(drv, wipe);
            /* A crash before the record was stored (while the instance
             * started): pipe it again. */
            if (!err && appended(drv, in->topic, seen) < *want)
                err = h_pipe(drv, in->topic, in->key, in->value,
                             1000 + (int64_t)i);
        }
        cr_assert(eq(sz, appended(drv, in->topic, seen), *want),
                  "record %zu stored once", i);
    }
    kstream_err_t err = kstream_test_driver_commit(drv);
    for (int tries = 0; err != KSTREAM_OK; tries++) {
        cr_assert(kstream_test_driver_crashed(drv), "commit: %s",
                  kstream_test_driver_last_error(drv));
        cr_assert(tries < 3, "restarts keep failing");
        r->crashes++;
        err = kstream_test_driver_restart(drv, wipe);
        if (!err)
            err = kstream_test_driver_commit(drv);
    }
    read_all(drv, "counts", true, &r->out);
    read_all(drv, "enriched", false, &r->out);
    for (int u = 1; u <= 3; u++) {
        char key[16];
        snprintf(key, sizeof(key), "u%d", u);
        kstream_bytes_t v;
        cr_assert(eq(int,
                     kstream_test_driver_store_get(drv, "order-counts", key,
                                                   2, &v),
                     0));
        cr_assert(eq(sz, v.len, 8));
        int64_t x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | ((const uint8_t *)v.data)[i];
        r->counts[u] = x;
    }
    r->steps = kstream_test_driver_steps(drv);
    kstream_test_driver_destroy(drv);
    rmdir(dir);
}

static void same(const run_result_t *ref, const run_result_t *got,
                 uint64_t step)
{
    for (size_t i = 0; i < ref->out.n && i < got->out.n; i++)
        cr_assert(eq(str, got->out.rows[i], ref->out.rows[i]),
                  "crash at step %llu: output row %zu",
                  (unsigned long long)step, i);
    cr_assert(eq(sz, got->out.n, ref->out.n),
              "crash at step %llu: output rows", (unsigned long long)step);
    for (int u = 1; u <= 3; u++)
        cr_assert(eq(i64, got->counts[u], ref->counts[u]),
                  "crash at step %llu: count of u%d",
                  (unsigned long long)step, u);
}

static void crash_every_step(const char *backend)
{
    run_result_t ref;
    run(backend, 0, false, &ref);
    /* The reference itself: 9 orders counted (u1: 4, u2: 3, u3: 2), and
     * joined when their user was there. */
    cr_assert(eq(i64, ref.counts[1], 4));
    cr_assert(eq(i64, ref.counts[2], 3));
    cr_assert(eq(i64, ref.counts[3], 2));
    cr_assert(eq(sz, ref.out.n, 9 + 6));
    cr_assert(ref.steps > 20, "steps: %llu", (unsigned long long)ref.steps);
    int crashed_runs = 0;
    for (uint64_t s = 1; s <= ref.steps; s++) {
        run_result_t got;
        run(backend, s, s % 2 == 0, &got);
        crashed_runs += got.crashes > 0;
        same(&ref, &got, s);
        outputs_free(&got.out);
    }
    /* Every step of the reference run is reached by a crashed run (the
     * run is deterministic up to the crash). */
    cr_assert(eq(int, crashed_runs, (int)ref.steps));
    outputs_free(&ref.out);
}

Test(eos_crash, count_and_join_rocksdb, .timeout = 600)
{
    crash_every_step("rocksdb");
}

Test(eos_crash, count_and_join_in_memory, .timeout = 600)
{
    crash_every_step("in_memory");
}
