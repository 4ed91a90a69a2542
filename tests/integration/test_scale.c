/* Scale-out and faults: instances join and leave a running application
 * (tasks move, state follows through the changelog) and the app rides out
 * broker faults, without losing a record: every key's count reaches its
 * number of inputs. Counts may exceed it: at-least-once allows
 * duplicates, and the dev cluster (librdkafka 2.0.2's mock) refuses the
 * offset commit a member makes when its partitions are revoked
 * (REBALANCE_IN_PROGRESS, where a real broker accepts it), so records
 * processed since the last periodic commit are processed again by their
 * new owner. */
#include <stdlib.h>
#include <string.h>

#include "it.h"

TestSuite(scale, .timeout = 180);

#define NKEYS 40

static kstream_t *instance(kstream_dev_cluster_t *dc, kstream_topology_t *t,
                           const char *dir)
{
    kstream_conf_t *conf = it_conf(dc, "scale-app", dir);
    char errstr[512] = "";
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    kstream_conf_destroy(conf);
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)), KSTREAM_OK,
                 "%s", errstr);
    return app;
}

static void want_all(int64_t *want, int64_t n)
{
    for (int i = 0; i < NKEYS; i++)
        want[i] = n;
}

Test(scale, instances_join_and_leave_during_a_run)
{
    const char *topics[] = {"in:6", "out:6", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    kstream_topology_t *t = it_count_topology("in", "out");
    char errstr[512] = "";
    cr_assert_eq(kstream_dev_cluster_create_internal_topics(
                         dc, t, "scale-app", errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    char *dirs[3] = {it_tmpdir(), it_tmpdir(), it_tmpdir()};
    int64_t want[NKEYS];

    kstream_t *a = instance(dc, t, dirs[0]);
    it_produce_keys(bs, "in", 0, 400, NKEYS);
    want_all(want, 10);
    cr_assert(it_wait_counts(bs, "out", NKEYS, want, true, 30000));

    kstream_t *b = instance(dc, t, dirs[1]);
    kstream_t *c = instance(dc, t, dirs[2]);
    it_produce_keys(bs, "in", 400, 400, NKEYS);
    want_all(want, 20);
    cr_assert(it_wait_counts(bs, "out", NKEYS, want, false, 40000));
    cr_assert(it_wait_state(a, KSTREAM_STATE_RUNNING, 20000));
    cr_assert(it_wait_state(b, KSTREAM_STATE_RUNNING, 20000));
    cr_assert(it_wait_state(c, KSTREAM_STATE_RUNNING, 20000));

    /* One leaves: its tasks and their state move to the others. */
    cr_assert_eq(kstream_close(b, 30000), KSTREAM_OK);
    kstream_destroy(b);
    it_produce_keys(bs, "in", 800, 400, NKEYS);
    want_all(want, 30);
    cr_assert(it_wait_counts(bs, "out", NKEYS, want, false, 40000));

    cr_assert_eq(kstream_close(a, 30000), KSTREAM_OK);
    cr_assert_eq(kstream_close(c, 30000), KSTREAM_OK);
    kstream_destroy(a);
    kstream_destroy(c);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    for (int i = 0; i < 3; i++)
        it_rmdir(dirs[i]);
}

Test(scale, broker_down_and_request_errors_lose_nothing)
{
    const char *topics[] = {"in:4", "out:4", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    kstream_topology_t *t = it_count_topology("in", "out");
    char errstr[512] = "";
    cr_assert_eq(kstream_dev_cluster_create_internal_topics(
                         dc, t, "scale-app", errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    char *dir = it_tmpdir();
    int64_t want[NKEYS];
    kstream_t *a = instance(dc, t, dir);
    it_produce_keys(bs, "in", 0, 400, NKEYS);
    want_all(want, 10);
    cr_assert(it_wait_counts(bs, "out", NKEYS, want, false, 30000));

    /* Produce and fetch errors, then a broker down with leadership moved
     * away from it, and back. */
    cr_assert_eq(kstream_dev_cluster_inject_errors(dc, 0, 7, 5), KSTREAM_OK);
    cr_assert_eq(kstream_dev_cluster_inject_errors(dc, 1, 6, 5), KSTREAM_OK);
    it_produce_keys(bs, "in", 400, 400, NKEYS);
    cr_assert_eq(kstream_dev_cluster_broker_down(dc, 2, true), KSTREAM_OK);
    for (int p = 0; p < 4; p++) {
        kstream_dev_cluster_set_leader(dc, "in", p, 1);
        kstream_dev_cluster_set_leader(dc, "out", p, 1);
        kstream_dev_cluster_set_leader(dc, "scale-app-counts-changelog", p,
                                       1);
    }
    it_sleep_ms(1000);
    cr_assert_eq(kstream_dev_cluster_broker_down(dc, 2, false), KSTREAM_OK);
    it_produce_keys(bs, "in", 800, 400, NKEYS);
    want_all(want, 30);
    cr_assert(it_wait_counts(bs, "out", NKEYS, want, false, 60000));
    cr_assert_neq(kstream_state(a), KSTREAM_STATE_ERROR);
    cr_assert_eq(kstream_close(a, 30000), KSTREAM_OK);
    kstream_destroy(a);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}
