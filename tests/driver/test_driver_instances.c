/* test_driver_instances.c - several application instances in one test
 * driver (include/kstream/testdriver.h, "Several instances"): tasks split
 * over two and three instances by the group's range assignment, stores
 * queried on whichever instance holds the task, counters summed, an
 * instance stopped (its tasks taken over, their stores restored from the
 * changelogs) and started again, an instance added mid-run, a failed or
 * crashed instance failing the driver until it is stopped or restarted,
 * a member expelled between calls, global tables on every instance, and
 * the arguments of the instance API. */
#include <unistd.h>

#include "helpers.h"

TestSuite(driver_instances, .timeout = 60);

#define NPART 4
/* One key per partition of a 4-partition topic (murmur2 % 4). */
static const char *const g_keys[NPART] = {"u1", "u15", "u2", "u5"};

static bool g_fail; /* "boom" values fail while set */

static kstream_err_t switch_cb(const kstream_record_t *in,
                               kstream_record_t *out, void *opaque)
{
    (void)out;
    (void)opaque;
    if (g_fail && h_bytes_is(kstream_record_value(in), "boom"))
        return KSTREAM_ERR_USER;
    return KSTREAM_OK;
}

/* in -> sw -> group_by_key -> count "cnt" -> to_stream -> out; and the
 * global table "g-users" (topic "users"). */
static kstream_topology_t *count_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "users", "g-users"),
                 KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, switch_cb, NULL, NULL, "sw");
    kstream_table_t *t =
            kstream_grouped_count(kstream_stream_group_by_key(s), "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return h_build(b);
}

static char g_dir[64];

/* A driver over count_topology() with "in" of `partitions` partitions,
 * no record cache (every count is forwarded), and up to two more conf
 * pairs (NULL: none). */
static kstream_test_driver_t *make_driver(int32_t partitions,
                                          const char *k1, const char *v1,
                                          const char *k2, const char *v2)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/kstream-inst-XXXXXX");
    cr_assert(mkdtemp(g_dir) != NULL);
    g_fail = false;
    kstream_test_driver_t *drv = h_driver_t(
            count_topology(), "application.id", "inst", "state.dir", g_dir,
            "cache.max.bytes.buffering", "0",
            k1 ? k1 : "default.dsl.store", k1 ? v1 : "rocksdb",
            k2 ? k2 : "default.dsl.store", k2 ? v2 : "rocksdb", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", partitions),
                 KSTREAM_OK));
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(int, h_partition_of(g_keys[p], NPART), p));
    return drv;
}

static void destroy(kstream_test_driver_t *drv)
{
    kstream_test_driver_destroy(drv);
    rmdir(g_dir);
}

static int add(kstream_test_driver_t *drv)
{
    int idx = -7;
    kstream_err_t err = kstream_test_driver_add_instance(drv, &idx);
    cr_assert(eq(int, err, KSTREAM_OK), "add_instance: %s",
              kstream_test_driver_last_error(drv));
    cr_assert(eq(int, idx, kstream_test_driver_instances(drv) - 1));
    cr_assert(kstream_test_driver_instance_running(drv, idx));
    return idx;
}

static int64_t be64(kstream_bytes_t v)
{
    cr_assert(eq(sz, v.len, 8));
    int64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | ((const uint8_t *)v.data)[i];
    return x;
}

/* The count of key in "cnt", looked up across instances (0: none). */
static int64_t count_of(kstream_test_driver_t *drv, const char *key)
{
    kstream_bytes_t v;
    kstream_err_t err = kstream_test_driver_store_get(drv, "cnt", key,
                                                      strlen(key), &v);
    if (err == KSTREAM_ERR_NOT_FOUND)
        return 0;
    cr_assert(eq(int, err, KSTREAM_OK), "%s",
              kstream_test_driver_last_error(drv));
    return be64(v);
}

/* The count of key in instance idx's store for partition p (-1: that
 * instance does not hold the task). */
static int64_t count_on(kstream_test_driver_t *drv, int idx, int32_t p,
                        const char *key)
{
    kstream_store_t *st = kstream_test_driver_instance_store(drv, idx, "cnt",
                                                             p);
    if (!st)
        return -1;
    kstream_bytes_t v;
    kstream_err_t err = kstream_store_get(st, key, strlen(key), &v);
    return err == KSTREAM_ERR_NOT_FOUND ? 0 : be64(v);
}

/* Which instance holds the task of partition p ("cnt" store), asserting
 * there is exactly one. */
static int holder(kstream_test_driver_t *drv, int32_t p)
{
    int who = -1;
    for (int i = 0; i < kstream_test_driver_instances(drv); i++) {
        if (!kstream_test_driver_instance_store(drv, i, "cnt", p))
            continue;
        cr_assert(eq(int, who, -1), "partition %d on %d and %d", (int)p, who,
                  i);
        who = i;
    }
    cr_assert(who >= 0, "no instance holds partition %d", (int)p);
    return who;
}

/* Every "out" record since the last call, per key: counts must go up by
 * one from where they were (exact: no loss, no duplicate). */
static void check_out(kstream_test_driver_t *drv, int64_t *last)
{
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        int p = -1;
        for (int i = 0; i < NPART; i++)
            if (h_bytes_is(k, g_keys[i]))
                p = i;
        cr_assert(p >= 0);
        int64_t c = be64(kstream_record_value(rec));
        cr_assert(eq(i64, c, last[p] + 1), "%s: count %lld after %lld",
                  g_keys[p], (long long)c, (long long)last[p]);
        last[p] = c;
    }
}

/* One record per key. */
static void pipe_round(kstream_test_driver_t *drv, int64_t ts)
{
    for (int p = 0; p < NPART; p++)
        h_pipe_ok(drv, "in", g_keys[p], "x", ts);
}

static int64_t inst_metric(kstream_test_driver_t *drv, int idx,
                           const char *name)
{
    int64_t v = -1;
    cr_assert(eq(int,
                 kstream_test_driver_instance_metric(drv, idx, name, &v),
                 KSTREAM_OK));
    return v;
}

/* ---- tasks spread over instances ------------------------------------- */

Test(driver_instances, two_instances_split_the_partitions)
{
    kstream_test_driver_t *drv = make_driver(NPART, NULL, NULL, NULL, NULL);
    cr_assert(eq(int, kstream_test_driver_instances(drv), 1));
    cr_assert(not(kstream_test_driver_instance_running(drv, 0)),
              "not started before the first call");
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    cr_assert(eq(int, add(drv), 1));
    pipe_round(drv, 2);
    pipe_round(drv, 3);
    check_out(drv, last);
    /* Range assignment: instance 0 partitions 0-1, instance 1 2-3. */
    for (int p = 0; p < NPART; p++) {
        cr_assert(eq(int, holder(drv, p), p < 2 ? 0 : 1));
        cr_assert(eq(i64, count_on(drv, p < 2 ? 0 : 1, p, g_keys[p]), 3));
        cr_assert(eq(i64, count_on(drv, p < 2 ? 1 : 0, p, g_keys[p]), -1));
        cr_assert(eq(i64, count_of(drv, g_keys[p]), 3));
        cr_assert(kstream_test_driver_store(drv, "cnt", p) ==
                  kstream_test_driver_instance_store(drv, p < 2 ? 0 : 1,
                                                     "cnt", p));
        cr_assert(eq(i64, last[p], 3));
    }
    /* Counters: the driver's are the sum of the instances'. Instance 1
     * restored partitions 2 and 3 (one count each) when it took them. */
    int64_t p0 = inst_metric(drv, 0, "records-processed");
    int64_t p1 = inst_metric(drv, 1, "records-processed");
    cr_assert(eq(i64, p0 + p1, h_metric(drv, "records-processed")));
    cr_assert(eq(i64, p1, 4), "instance 1 processed rounds 2 and 3 of "
                              "its two keys");
    cr_assert(eq(i64, inst_metric(drv, 1, "records-restored"), 2));
    destroy(drv);
}

Test(driver_instances, three_instances_in_memory)
{
    kstream_test_driver_t *drv =
            make_driver(6, "default.dsl.store", "in_memory", NULL, NULL);
    pipe_round(drv, 1); /* starts instance 0 */
    add(drv);
    add(drv);
    cr_assert(eq(int, kstream_test_driver_instances(drv), 3));
    for (int32_t p = 0; p < 6; p++)
        cr_assert(eq(int, holder(drv, p), p / 2), "partition %d", (int)p);
    int64_t last[NPART] = {0};
    for (int r = 0; r < 3; r++)
        pipe_round(drv, 10 + r);
    check_out(drv, last);
    int64_t sum = 0;
    for (int i = 0; i < 3; i++)
        sum += inst_metric(drv, i, "records-processed");
    cr_assert(eq(i64, sum, h_metric(drv, "records-processed")));
    for (int p = 0; p < NPART; p++) {
        cr_assert(eq(i64, count_of(drv, g_keys[p]), 4));
        cr_assert(eq(i64, last[p], 4));
    }
    destroy(drv);
}

/* ---- stop, restart, add --------------------------------------------- */

Test(driver_instances, stopped_instance_tasks_are_taken_over_and_restored)
{
    kstream_test_driver_t *drv = make_driver(NPART, NULL, NULL, NULL, NULL);
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    add(drv);
    pipe_round(drv, 2);
    cr_assert(eq(int, kstream_test_driver_stop_instance(drv, 1), KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    cr_assert(not(kstream_test_driver_instance_running(drv, 1)));
    cr_assert(eq(int, kstream_test_driver_instances(drv), 2));
    cr_assert(eq(int, kstream_test_driver_stop_instance(drv, 1),
                 KSTREAM_ERR_STATE));
    cr_assert(h_contains(kstream_test_driver_last_error(drv),
                         "already stopped"));
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(int, holder(drv, p), 0));
    /* Instance 0's old RocksDB state of partitions 2-3 (count 1) is
     * behind: it restores what instance 1 wrote. */
    cr_assert(lt(i64, 0, inst_metric(drv, 0, "records-restored")));
    cr_assert(eq(i64, inst_metric(drv, 1, "records-processed"), 0));
    pipe_round(drv, 3);
    check_out(drv, last);
    for (int p = 0; p < NPART; p++) {
        cr_assert(eq(i64, count_of(drv, g_keys[p]), 3));
        cr_assert(eq(i64, last[p], 3));
    }
    /* Back on its state directory: it takes partitions 2-3 again. */
    cr_assert(eq(int, kstream_test_driver_restart_instance(drv, 1, false),
                 KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    cr_assert(kstream_test_driver_instance_running(drv, 1));
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(int, holder(drv, p), p < 2 ? 0 : 1));
    pipe_round(drv, 4);
    check_out(drv, last);
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(i64, count_of(drv, g_keys[p]), 4));
    destroy(drv);
}

Test(driver_instances, instance_zero_stopped_and_restarted)
{
    kstream_test_driver_t *drv =
            make_driver(NPART, "default.dsl.store", "in_memory", NULL, NULL);
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    add(drv);
    cr_assert(eq(int, kstream_test_driver_stop_instance(drv, 0), KSTREAM_OK));
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(int, holder(drv, p), 1));
    /* The driver's own calls go on with instance 1. */
    pipe_round(drv, 2);
    check_out(drv, last);
    cr_assert(eq(i64, count_of(drv, "u1"), 2));
    cr_assert(kstream_test_driver_store(drv, "cnt", 0) != NULL);
    /* kstream_test_driver_restart() starts instance 0 again. */
    cr_assert(eq(int, kstream_test_driver_restart(drv, true), KSTREAM_OK));
    cr_assert(kstream_test_driver_instance_running(drv, 0));
    pipe_round(drv, 3);
    check_out(drv, last);
    for (int p = 0; p < NPART; p++) {
        cr_assert(eq(i64, last[p], 3));
        cr_assert(eq(i64, count_of(drv, g_keys[p]), 3));
    }
    destroy(drv);
}

Test(driver_instances, every_instance_stopped_keeps_the_records)
{
    kstream_test_driver_t *drv =
            make_driver(NPART, "default.dsl.store", "in_memory", NULL, NULL);
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    cr_assert(eq(int, kstream_test_driver_stop_instance(drv, 0), KSTREAM_OK));
    pipe_round(drv, 2); /* stored, nobody processes them */
    cr_assert(kstream_test_driver_is_empty(drv, "out") == false);
    check_out(drv, last);
    cr_assert(eq(i64, last[0], 1));
    cr_assert(eq(i64, h_metric(drv, "records-processed"), 0));
    cr_assert(eq(int, kstream_test_driver_restart_instance(drv, 0, false),
                 KSTREAM_OK));
    check_out(drv, last);
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(i64, last[p], 2));
    destroy(drv);
}

Test(driver_instances, instance_added_mid_run_takes_tasks_with_their_state)
{
    kstream_test_driver_t *drv = make_driver(NPART, NULL, NULL, NULL, NULL);
    int64_t last[NPART] = {0};
    for (int r = 0; r < 3; r++)
        pipe_round(drv, r);
    int64_t before = inst_metric(drv, 0, "records-processed");
    cr_assert(eq(i64, before, 12));
    add(drv);
    /* Partitions 2-3 moved with their counts (restored on instance 1). */
    cr_assert(eq(i64, count_on(drv, 1, 2, "u2"), 3));
    cr_assert(eq(i64, count_on(drv, 1, 3, "u5"), 3));
    cr_assert(eq(i64, count_on(drv, 0, 2, "u2"), -1));
    /* Three changelog records (counts 1 to 3) per partition. */
    cr_assert(eq(i64, inst_metric(drv, 1, "records-restored"), 6));
    pipe_round(drv, 5);
    check_out(drv, last);
    for (int p = 0; p < NPART; p++)
        cr_assert(eq(i64, last[p], 4));
    cr_assert(eq(i64, inst_metric(drv, 0, "records-processed"), 12 + 2));
    destroy(drv);
}

Test(driver_instances, global_table_on_every_instance)
{
    kstream_test_driver_t *drv =
            make_driver(NPART, "default.dsl.store", "in_memory", NULL, NULL);
    h_pipe_ok(drv, "users", "u1", "ann", 1);
    add(drv);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    for (int i = 0; i < 2; i++) {
        kstream_store_t *g = kstream_test_driver_instance_store(drv, i,
                                                                "g-users", 0);
        cr_assert(g != NULL, "instance %d", i);
        kstream_bytes_t v;
        cr_assert(eq(int, kstream_store_get(g, "u1", 2, &v), KSTREAM_OK));
        cr_assert(h_bytes_is(v, "ann"));
        cr_assert(eq(int, kstream_store_get(g, "u2", 2, &v), KSTREAM_OK));
        cr_assert(h_bytes_is(v, "bob"));
    }
    cr_assert(kstream_test_driver_store(drv, "g-users", 0) ==
              kstream_test_driver_instance_store(drv, 0, "g-users", 0));
    kstream_bytes_t v;
    cr_assert(eq(int,
                 kstream_test_driver_store_get(drv, "g-users", "u2", 2, &v),
                 KSTREAM_OK));
    destroy(drv);
}

/* ---- failures and crashes -------------------------------------------- */

Test(driver_instances, failed_instance_fails_the_driver_until_stopped)
{
    kstream_test_driver_t *drv = make_driver(
            NPART, "processing.exception.handler", "fail", NULL, NULL);
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    add(drv);
    g_fail = true;
    kstream_err_t err = h_pipe(drv, "in", "u2", "boom", 2); /* instance 1 */
    cr_assert(ne(int, err, KSTREAM_OK));
    cr_assert(h_contains(kstream_test_driver_last_error(drv), "instance 1"),
              "%s", kstream_test_driver_last_error(drv));
    cr_assert(not(kstream_test_driver_instance_running(drv, 1)));
    cr_assert(kstream_test_driver_instance_running(drv, 0));
    cr_assert(not(kstream_test_driver_crashed(drv)));
    cr_assert(eq(int, h_pipe(drv, "in", "u1", "x", 3), KSTREAM_ERR_FAILED));
    /* Stopped (no commit): instance 0 takes partition 2 over from the
     * last commit and processes "boom" again, which passes now. */
    g_fail = false;
    cr_assert(eq(int, kstream_test_driver_stop_instance(drv, 1), KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    h_pipe_ok(drv, "in", "u1", "x", 4);
    check_out(drv, last);
    cr_assert(eq(i64, count_of(drv, "u2"), 2));
    cr_assert(eq(i64, count_of(drv, "u1"), 2), "u1 at 3 was refused");
    destroy(drv);
}

Test(driver_instances, crashed_instance_restarted_under_eos)
{
    kstream_test_driver_t *drv = make_driver(
            NPART, "processing.guarantee", "exactly_once_v2", NULL, NULL);
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    add(drv);
    uint64_t steps = kstream_test_driver_steps(drv);
    cr_assert(eq(int,
                 kstream_test_driver_crash_instance_at(drv, 1, steps + 1),
                 KSTREAM_OK));
    kstream_err_t err = h_pipe(drv, "in", "u5", "x", 2);
    cr_assert(eq(int, err, KSTREAM_ERR_FATAL));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "instance 1 crashed at step"), "%s", msg);
    cr_assert(kstream_test_driver_crashed(drv));
    cr_assert(kstream_test_driver_instance_crashed(drv, 1));
    cr_assert(not(kstream_test_driver_instance_crashed(drv, 0)));
    cr_assert(eq(int, h_pipe(drv, "in", "u1", "x", 3), KSTREAM_ERR_FAILED));
    cr_assert(eq(int, kstream_test_driver_restart_instance(drv, 1, true),
                 KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    cr_assert(not(kstream_test_driver_crashed(drv)));
    h_pipe_ok(drv, "in", "u2", "x", 4);
    check_out(drv, last);
    cr_assert(eq(i64, last[3], 2), "u5 once");
    cr_assert(eq(i64, last[2], 2));
    cr_assert(eq(i64, last[0], 1), "u1 at 3 was refused");
    cr_assert(lt(i64, 0, h_metric(drv, "transactions-committed")));
    destroy(drv);
}

Test(driver_instances, member_expelled_between_calls_rejoins)
{
    kstream_test_driver_t *drv = make_driver(
            NPART, "processing.guarantee", "exactly_once_v2",
            "default.dsl.store", "in_memory");
    int64_t last[NPART] = {0};
    pipe_round(drv, 1);
    add(drv);
    int64_t restored = inst_metric(drv, 1, "records-restored");
    cr_assert(eq(int,
                 kstream_test_driver_expel_instance_at(
                         drv, 1, kstream_test_driver_steps(drv) + 1),
                 KSTREAM_OK));
    pipe_round(drv, 2);
    pipe_round(drv, 3);
    check_out(drv, last);
    /* Dropped before its next poll, nothing open: it rejoined in that
     * poll, its tasks closed and made again (in-memory stores restored
     * from the beginning), no transaction aborted. */
    cr_assert(lt(i64, restored, inst_metric(drv, 1, "records-restored")));
    cr_assert(eq(i64, inst_metric(drv, 1, "transactions-aborted"), 0));
    for (int p = 0; p < NPART; p++) {
        cr_assert(eq(i64, last[p], 3));
        cr_assert(eq(int, holder(drv, p), p < 2 ? 0 : 1));
    }
    destroy(drv);
}

/* ---- arguments --------------------------------------------------------- */

Test(driver_instances, arguments_are_checked)
{
    int idx = 5;
    cr_assert(eq(int, kstream_test_driver_add_instance(NULL, &idx),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_stop_instance(NULL, 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_restart_instance(NULL, 0, false),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_crash_instance_at(NULL, 0, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_expel_instance_at(NULL, 0, 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_instances(NULL), 0));
    cr_assert(not(kstream_test_driver_instance_running(NULL, 0)));
    cr_assert(not(kstream_test_driver_instance_crashed(NULL, 0)));
    cr_assert(kstream_test_driver_instance_store(NULL, 0, "cnt", 0) == NULL);
    int64_t v;
    cr_assert(eq(int, kstream_test_driver_instance_metric(NULL, 0, "commits",
                                                          &v),
                 KSTREAM_ERR_INVALID_ARG));

    kstream_test_driver_t *drv = make_driver(NPART, NULL, NULL, NULL, NULL);
    cr_assert(eq(int, kstream_test_driver_add_instance(drv, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    const int bad[] = {-1, 1, 1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int b = bad[i];
        cr_assert(eq(int, kstream_test_driver_stop_instance(drv, b),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(h_contains(kstream_test_driver_last_error(drv),
                             "no instance"));
        cr_assert(eq(int, kstream_test_driver_restart_instance(drv, b, true),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_test_driver_crash_instance_at(drv, b, 1),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_test_driver_expel_instance_at(drv, b, 1),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(not(kstream_test_driver_instance_running(drv, b)));
        cr_assert(not(kstream_test_driver_instance_crashed(drv, b)));
        cr_assert(kstream_test_driver_instance_store(drv, b, "cnt", 0) ==
                  NULL);
        cr_assert(eq(int,
                     kstream_test_driver_instance_metric(drv, b, "commits",
                                                         &v),
                     KSTREAM_ERR_INVALID_ARG));
    }
    cr_assert(eq(int, kstream_test_driver_instance_metric(drv, 0, NULL, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int,
                 kstream_test_driver_instance_metric(drv, 0, "commits", NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_instance_metric(drv, 0, "nope", &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(kstream_test_driver_instance_store(drv, 0, NULL, 0) == NULL);
    cr_assert(kstream_test_driver_instance_store(drv, 0, "nope", 0) == NULL);
    /* Disarming is always fine. */
    cr_assert(eq(int, kstream_test_driver_crash_instance_at(drv, 0, 0),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_expel_instance_at(drv, 0, 0),
                 KSTREAM_OK));
    add(drv);
    cr_assert(eq(int, kstream_test_driver_instance_metric(drv, 1, "commits",
                                                          &v),
                 KSTREAM_OK));
    destroy(drv);
}
