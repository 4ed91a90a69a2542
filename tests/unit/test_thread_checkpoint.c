/* test_thread_checkpoint.c - when a commit writes a task's checkpoint
 * (task_checkpoint.c, Kafka Streams' rule): once the task's changelogs
 * moved more than checkpoint_records offsets since its last checkpoint,
 * as acknowledged when the commit starts; records a record cache absorbs
 * never reach the changelog, so they do not count. A thread over a sim
 * group member: in (1 partition) -> count by key (RocksDB, logged, cached)
 * -> out. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "state/checkpoint.h"
#include "testdriver/sim.h"

#define EVERY 100 /* checkpoint_records */
#define CHANGELOG "app-counts-changelog"

static ks_sim_t *sim;
static kstream_topology_t *topo;
static ks_thread_t *th;
static char dir[64];

static int64_t zero_clock(void *opaque)
{
    (void)opaque;
    return 0;
}

/* n records to in, keys k<first>..k<first+keys-1> in turn. */
static void append(int n, int first, int keys)
{
    for (int i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", first + i % keys);
        ks_out_t rec = {.topic = "in",
                        .partition = 0,
                        .key = k,
                        .key_len = strlen(k),
                        .value = "v",
                        .value_len = 1,
                        .timestamp = 1};
        cr_assert(eq(int, ks_sim_append(sim, &rec, NULL, NULL), KSTREAM_OK));
    }
}

/* Process everything appended, then commit. */
static void process_and_commit(void)
{
    bool worked = true;
    for (int i = 0; i < 100 && worked; i++)
        cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(int, ks_thread_commit(th), KSTREAM_OK));
}

/* The changelog offset in the task's checkpoint file, -1: no file. */
static int64_t checkpointed(void)
{
    char path[256];
    ks_checkpoint_t cp = {0};
    snprintf(path, sizeof(path), "%s/app/0_0/%s", dir, KS_CHECKPOINT_FILE);
    ks_checkpoint_res_t res = ks_checkpoint_read(path, &cp);
    if (res == KS_CHECKPOINT_MISSING)
        return -1;
    cr_assert(eq(int, res, KS_CHECKPOINT_OK));
    int64_t off = ks_checkpoint_get(&cp, CHANGELOG, 0);
    ks_checkpoint_clear(&cp);
    return off;
}

static void start(void)
{
    char err[512] = "";
    snprintf(dir, sizeof(dir), "/tmp/kstream-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    sim = ks_sim_new();
    cr_assert(eq(int, ks_sim_create_topic(sim, "in", 1), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "out", 1), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, CHANGELOG, 1), KSTREAM_OK));
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "counts");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    topo = kstream_builder_build(b, err, sizeof(err));
    cr_assert_not_null(topo, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(kstream_conf_set(conf, "state.dir", dir, err, sizeof(err)) ==
              KSTREAM_CONF_OK);
    th = ks_thread_new(topo, conf, "app", zero_clock, NULL, err, sizeof(err));
    kstream_conf_destroy(conf);
    cr_assert_not_null(th, "%s", err);
    th->checkpoint_records = EVERY;
    ks_client_events_t ev = ks_thread_events(th);
    cr_assert(eq(int, ks_thread_attach(th, ks_sim_client_new(sim, "app", &ev)),
                 KSTREAM_OK));
    bool worked;
    /* The first loop joins the group and makes the task. */
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(sz, th->tasks.len, 1));
}

static void stop(void)
{
    ks_thread_destroy(th);
    kstream_topology_destroy(topo);
    ks_sim_destroy(sim);
    ks_rmtree(dir);
}

TestSuite(thread_checkpoint, .init = start, .fini = stop, .timeout = 20);

/* 1000 records over 5 keys, committed 5 times: the cache writes 5 changelog
 * records per commit, 25 in all, so no checkpoint yet, however many
 * records were processed. */
Test(thread_checkpoint, records_the_cache_absorbs_do_not_count)
{
    for (int c = 0; c < 5; c++) {
        append(200, 0, 5);
        process_and_commit();
    }
    cr_assert(eq(u64, th->m.processed, 1000));
    cr_assert(eq(sz, ks_sim_appended_count(sim, CHANGELOG), 25));
    cr_assert(eq(i64, checkpointed(), -1));
}

/* 150 distinct keys reach the changelog at one commit's flush; the next
 * commit finds them acknowledged (150 > 100) and writes the checkpoint at
 * the changelog's end; then it waits for another 100. */
Test(thread_checkpoint, a_changelog_that_moved_past_the_threshold_is_checkpointed)
{
    append(150, 0, 150);
    process_and_commit();
    cr_assert(eq(sz, ks_sim_appended_count(sim, CHANGELOG), 150));
    cr_assert(eq(i64, checkpointed(), -1), "decided before the flush");
    append(1, 0, 1);
    process_and_commit();
    cr_assert(eq(i64, checkpointed(), 151));
    /* 60 more: not yet. */
    append(60, 1000, 60);
    process_and_commit();
    process_and_commit();
    cr_assert(eq(i64, checkpointed(), 151));
    /* 60 more: 120 since the checkpoint. */
    append(60, 2000, 60);
    process_and_commit();
    process_and_commit();
    cr_assert(eq(i64, checkpointed(), 271));
}

/* A final commit (close, revocation) always writes it. */
Test(thread_checkpoint, a_final_commit_always_writes_it)
{
    append(10, 0, 10);
    process_and_commit();
    cr_assert(eq(i64, checkpointed(), -1));
    th->commit_final = true;
    cr_assert(eq(int, ks_thread_commit(th), KSTREAM_OK));
    th->commit_final = false;
    cr_assert(eq(i64, checkpointed(), 10));
}
