/* Restarts: after a clean close the app resumes from its checkpoint (no
 * full restore); on an empty state directory it restores everything from
 * the changelog; counts stay exact either way. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

TestSuite(restart, .timeout = 120);

static atomic_ullong restored, started;
static atomic_llong first_offset;

static void r_start(const char *store, const char *changelog, int32_t p,
                    int64_t start, int64_t end, void *opaque)
{
    (void)store;
    (void)changelog;
    (void)p;
    (void)end;
    (void)opaque;
    atomic_fetch_add(&started, 1);
    long long cur = atomic_load(&first_offset);
    if (cur < 0 || start < cur)
        atomic_store(&first_offset, start);
}

static void r_end(const char *store, const char *changelog, int32_t p,
                  uint64_t total, void *opaque)
{
    (void)store;
    (void)changelog;
    (void)p;
    (void)opaque;
    atomic_fetch_add(&restored, total);
}

static const kstream_restore_listener_t listener = {r_start, NULL, r_end};

static kstream_t *start_app(kstream_dev_cluster_t *dc, kstream_topology_t *t,
                            kstream_conf_t *conf)
{
    (void)dc;
    char errstr[512] = "";
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_set_restore_listener(app, &listener, NULL),
                 KSTREAM_OK);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)), KSTREAM_OK,
                 "%s", errstr);
    return app;
}

static void run_restart(bool wipe)
{
    const char *topics[] = {"in:4", "out:4", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    char *dir = it_tmpdir();
    kstream_topology_t *t = it_count_topology("in", "out");
    char errstr[512] = "";
    cr_assert_eq(kstream_dev_cluster_create_internal_topics(
                         dc, t, "restart", errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    kstream_conf_t *conf = it_conf(dc, "restart", dir);
    it_set(conf, "default.dsl.store", "rocksdb");
    kstream_t *app = start_app(dc, t, conf);
    it_produce_keys(bs, "in", 0, 600, 30);
    int64_t want[30];
    for (int i = 0; i < 30; i++)
        want[i] = 20;
    cr_assert(it_wait_counts(bs, "out", 30, want, true, 30000));
    cr_assert_eq(kstream_close(app, 30000), KSTREAM_OK);
    kstream_destroy(app);

    if (wipe) {
        it_rmdir(dir);
        dir = it_tmpdir();
        kstream_conf_destroy(conf);
        conf = it_conf(dc, "restart", dir);
        it_set(conf, "default.dsl.store", "rocksdb");
    }
    atomic_store(&restored, 0);
    atomic_store(&started, 0);
    atomic_store(&first_offset, -1);
    app = start_app(dc, t, conf);
    cr_assert(it_wait_state(app, KSTREAM_STATE_RUNNING, 30000));
    if (wipe) {
        /* Every count update of the first run is in the changelog. */
        cr_assert(atomic_load(&restored) >= 30, "restored %llu",
                  (unsigned long long)atomic_load(&restored));
        cr_assert_eq(atomic_load(&first_offset), 0);
    } else {
        /* The checkpoint covers everything: nothing to restore. */
        cr_assert_eq(atomic_load(&restored), 0, "restored %llu",
                     (unsigned long long)atomic_load(&restored));
    }
    it_produce_keys(bs, "in", 600, 300, 30);
    for (int i = 0; i < 30; i++)
        want[i] = 30;
    cr_assert(it_wait_counts(bs, "out", 30, want, true, 30000));
    cr_assert_eq(kstream_close(app, 30000), KSTREAM_OK);
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}

Test(restart, clean_close_resumes_from_the_checkpoint)
{
    run_restart(false);
}

Test(restart, empty_state_dir_restores_from_the_changelog)
{
    run_restart(true);
}
