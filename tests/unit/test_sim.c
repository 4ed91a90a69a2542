/* test_sim.c - lib/testdriver: the simulated cluster (logs, partitioner,
 * group offsets) and its client (assignment, rebalance, poll). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "testdriver/sim.h"
#include "util/util.h"

static ks_sim_t *sim;
static void setup(void) {
    sim = ks_sim_new();
    cr_assert_not_null(sim);
}
static void teardown(void) {
    ks_sim_destroy(sim);
}
TestSuite(sim_log, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(sim_group, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(sim_client, .init = setup, .fini = teardown, .timeout = 10);

/* ---- helpers ------------------------------------------------------------ */

static kstream_err_t append(const char *topic, int32_t partition,
                            const char *key, const char *value, int64_t ts,
                            int32_t *p, int64_t *off) {
    ks_out_t out = {.topic = topic,
                    .partition = partition,
                    .key = key,
                    .key_len = key ? strlen(key) : 0,
                    .value = value,
                    .value_len = value ? strlen(value) : 0,
                    .timestamp = ts};
    return ks_sim_append(sim, &out, p, off);
}

static void assert_bytes(const void *data, size_t len, const char *want) {
    if (!want) {
        cr_assert_null(data);
        cr_assert(eq(sz, len, 0));
        return;
    }
    cr_assert_not_null(data);
    cr_assert(eq(sz, len, strlen(want)));
    cr_assert(eq(int, memcmp(data, want, len), 0));
}

/* Records events as text: "+t:0,t:1" assigned, "-t:0" revoked, ";"
 * between events. */
typedef struct recorder {
    char log[1024];
    ks_client_t *client;        /* commit positions on revoke when set */
    const int64_t *commit_at;   /* offset to commit per partition */
} recorder_t;

static void rec_event(recorder_t *r, char sign, const ks_tp_t *tps,
                      size_t n) {
    size_t len = strlen(r->log);
    len += (size_t)snprintf(r->log + len, sizeof(r->log) - len, "%s%c",
                            len ? ";" : "", sign);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(r->log + len, sizeof(r->log) - len, "%s%s:%d",
                                i ? "," : "", tps[i].topic,
                                (int)tps[i].partition);
}

static void on_assigned(void *owner, const ks_tp_t *tps, size_t n) {
    rec_event(owner, '+', tps, n);
}

static void on_revoked(void *owner, const ks_tp_t *tps, size_t n) {
    recorder_t *r = owner;
    rec_event(r, '-', tps, n);
    if (!r->client || !r->commit_at)
        return;
    for (size_t i = 0; i < n; i++) {
        ks_tp_offset_t o = {tps[i].topic, tps[i].partition,
                            r->commit_at[tps[i].partition]};
        cr_assert(eq(int, r->client->ops->commit(r->client, &o, 1),
                     KSTREAM_OK));
    }
}

static ks_client_t *client_new(const char *group, recorder_t *r) {
    ks_client_events_t ev = {.assigned = on_assigned,
                             .revoked = on_revoked,
                             .owner = r};
    ks_client_t *c = ks_sim_client_new(sim, group, r ? &ev : NULL);
    cr_assert_not_null(c);
    if (r)
        r->client = c;
    return c;
}

static void subscribe(ks_client_t *c, const char *t1, const char *t2) {
    const char *topics[] = {t1, t2};
    cr_assert(eq(int, c->ops->subscribe(c, topics, t2 ? 2 : 1), KSTREAM_OK));
}

/* Poll up to max records and print them as "t:p@o ..." into out. */
static size_t poll_str(ks_client_t *c, size_t max, char *out, size_t size) {
    ks_msg_t msgs[64];
    size_t n = 99, len = 0;
    cr_assert(le(sz, max, 64));
    cr_assert(eq(int, c->ops->poll(c, msgs, max, &n, 0), KSTREAM_OK));
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s:%d@%lld",
                                i ? " " : "", msgs[i].topic,
                                (int)msgs[i].partition,
                                (long long)msgs[i].offset);
    c->ops->release(c, msgs, n);
    return n;
}

/* ---- log ---------------------------------------------------------------- */

Test(sim_log, null_and_empty_keys_values_and_headers_are_kept_apart) {
    kstream_header_t hdrs[] = {{"h", "1", 1},
                               {"h", "2", 1},
                               {"nul", NULL, 0},
                               {"empty", "", 0}};
    ks_out_t recs[] = {
            {.topic = "t", .partition = 0, .key = NULL, .value = NULL,
             .timestamp = 1},
            {.topic = "t", .partition = 0, .key = "", .value = "",
             .timestamp = 2},
            {.topic = "t", .partition = 0, .key = "k", .key_len = 1,
             .value = "v", .value_len = 1, .timestamp = 3, .headers = hdrs,
             .nheaders = 4},
    };
    for (size_t i = 0; i < 3; i++) {
        int64_t off = -1;
        cr_assert(eq(int, ks_sim_append(sim, &recs[i], NULL, &off),
                     KSTREAM_OK));
        cr_assert(eq(i64, off, (int64_t)i));
    }

    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 0, &m), KSTREAM_OK));
    assert_bytes(m.key, m.key_len, NULL);
    assert_bytes(m.value, m.value_len, NULL);
    cr_assert(eq(sz, m.nheaders, 0));
    cr_assert(eq(i64, m.timestamp, 1));

    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 1, &m), KSTREAM_OK));
    assert_bytes(m.key, m.key_len, "");
    assert_bytes(m.value, m.value_len, "");

    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 2, &m), KSTREAM_OK));
    assert_bytes(m.key, m.key_len, "k");
    assert_bytes(m.value, m.value_len, "v");
    cr_assert(eq(str, (char *)m.topic, "t"));
    cr_assert(eq(i32, m.partition, 0));
    cr_assert(eq(i64, m.offset, 2));
    cr_assert(eq(i64, m.timestamp, 3));
    cr_assert(eq(sz, m.nheaders, 4));
    cr_assert(ne(ptr, (void *)m.headers, (void *)hdrs)); /* copied */
    cr_assert(eq(str, (char *)m.headers[0].name, "h"));
    assert_bytes(m.headers[0].value, m.headers[0].len, "1");
    cr_assert(eq(str, (char *)m.headers[1].name, "h"));
    assert_bytes(m.headers[1].value, m.headers[1].len, "2");
    cr_assert(eq(str, (char *)m.headers[2].name, "nul"));
    assert_bytes(m.headers[2].value, m.headers[2].len, NULL);
    cr_assert(eq(str, (char *)m.headers[3].name, "empty"));
    assert_bytes(m.headers[3].value, m.headers[3].len, "");
}

Test(sim_log, offsets_are_dense_per_partition_and_reads_check_bounds) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    for (int i = 0; i < 5; i++) {
        int64_t off;
        int32_t p;
        cr_assert(eq(int, append("t", i % 2, "k", "v", 0, &p, &off),
                     KSTREAM_OK));
        cr_assert(eq(i32, p, i % 2));
        cr_assert(eq(i64, off, i / 2));
    }
    cr_assert(eq(i64, ks_sim_end_offset(sim, "t", 0), 3));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "t", 1), 2));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "t", 2), -1));
    cr_assert(eq(i64, ks_sim_end_offset(sim, "nope", 0), -1));

    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read(sim, "t", 1, 2, &m), KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, ks_sim_read(sim, "t", 0, -1, &m),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, ks_sim_read(sim, "t", 2, 0, &m),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(int, ks_sim_read(sim, "nope", 0, 0, &m),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
}

Test(sim_log, create_topic_rejects_duplicates_and_bad_counts) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 3), KSTREAM_OK));
    cr_assert(eq(i32, ks_sim_partitions(sim, "t"), 3));
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 3),
                 KSTREAM_ERR_DUPLICATE_NAME));
    cr_assert(eq(int, ks_sim_create_topic(sim, "u", 0),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(i32, ks_sim_partitions(sim, "u"), -1));
}

Test(sim_log, keyed_records_use_kafka_default_partitioner) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 7), KSTREAM_OK));
    const char *keys[] = {"", "a", "user-1", "user-2", "some longer key"};
    for (size_t i = 0; i < 5; i++) {
        int32_t want = ks_partition_for_key(keys[i], strlen(keys[i]), 7);
        for (int rep = 0; rep < 3; rep++) {
            int32_t p = -2;
            cr_assert(eq(int, append("t", -1, keys[i], "v", 0, &p, NULL),
                         KSTREAM_OK));
            cr_assert(eq(i32, p, want));
        }
    }
}

Test(sim_log, null_keys_round_robin_per_topic_from_zero) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "a", 3), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "b", 2), KSTREAM_OK));
    int32_t pa[5], pb[3];
    for (int i = 0; i < 5; i++) {
        cr_assert(eq(int, append("a", -1, NULL, "v", 0, &pa[i], NULL),
                     KSTREAM_OK));
        if (i < 3)
            cr_assert(eq(int, append("b", -1, NULL, "v", 0, &pb[i], NULL),
                         KSTREAM_OK));
    }
    int32_t want_a[] = {0, 1, 2, 0, 1}, want_b[] = {0, 1, 0};
    for (int i = 0; i < 5; i++)
        cr_assert(eq(i32, pa[i], want_a[i]));
    for (int i = 0; i < 3; i++)
        cr_assert(eq(i32, pb[i], want_b[i]));
}

Test(sim_log, appended_order_spans_partitions) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 3), KSTREAM_OK));
    int32_t parts[] = {2, 0, 2, 1, 0};
    char val[32];
    for (int i = 0; i < 5; i++) {
        snprintf(val, sizeof(val), "v%d", i);
        cr_assert(eq(int, append("t", parts[i], NULL, val, i, NULL, NULL),
                     KSTREAM_OK));
    }
    cr_assert(eq(sz, ks_sim_appended_count(sim, "t"), 5));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "nope"), 0));
    int64_t want_off[] = {0, 0, 1, 0, 1};
    for (size_t i = 0; i < 5; i++) {
        ks_msg_t m;
        cr_assert(eq(int, ks_sim_read_appended(sim, "t", i, &m), KSTREAM_OK));
        snprintf(val, sizeof(val), "v%zu", i);
        assert_bytes(m.value, m.value_len, val);
        cr_assert(eq(i32, m.partition, parts[i]));
        cr_assert(eq(i64, m.offset, want_off[i]));
    }
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read_appended(sim, "t", 5, &m),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, ks_sim_read_appended(sim, "nope", 0, &m),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
}

Test(sim_log, auto_create_is_on_by_default_and_can_be_turned_off) {
    cr_assert(eq(int, append("auto", -1, "k", "v", 0, NULL, NULL),
                 KSTREAM_OK));
    cr_assert(eq(i32, ks_sim_partitions(sim, "auto"), 1));

    ks_sim_set_auto_create(sim, true, 4);
    cr_assert(eq(int, append("auto4", -1, "k", "v", 0, NULL, NULL),
                 KSTREAM_OK));
    cr_assert(eq(i32, ks_sim_partitions(sim, "auto4"), 4));

    ks_sim_set_auto_create(sim, false, 1);
    cr_assert(eq(int, append("off", -1, "k", "v", 0, NULL, NULL),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(eq(i32, ks_sim_partitions(sim, "off"), -1));
    cr_assert(eq(int, append("auto", -1, "k", "v", 0, NULL, NULL),
                 KSTREAM_OK));
}

Test(sim_log, explicit_partition_out_of_range_is_unknown_partition) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    cr_assert(eq(int, append("t", 2, "k", "v", 0, NULL, NULL),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(int, append("t", -2, "k", "v", 0, NULL, NULL),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "t"), 0));
}

Test(sim_log, negative_timestamp_is_rejected_before_auto_create) {
    cr_assert(eq(int, append("t", -1, "k", "v", -1, NULL, NULL),
                 KSTREAM_ERR_INVALID_TIMESTAMP));
    cr_assert(eq(i32, ks_sim_partitions(sim, "t"), -1));
    cr_assert(eq(int, append("t", -1, "k", "v", 0, NULL, NULL), KSTREAM_OK));
}

Test(sim_log, bad_records_are_invalid_args) {
    ks_out_t out = {.topic = NULL, .partition = -1};
    cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, ks_sim_append(sim, NULL, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    out.topic = "t";
    out.key_len = 3; /* NULL key with a length */
    cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    out.key_len = 0;
    out.nheaders = 1; /* headers NULL */
    cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
}

Test(sim_log, steady_state_appends_do_not_malloc_per_record) {
    char key[32], val[64];
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 4), KSTREAM_OK));
    kstream_header_t h = {"trace", "abc", 3};
    ks_out_t out = {.topic = "t", .partition = -1, .key = key, .value = val,
                    .headers = &h, .nheaders = 1};
    uint64_t warm = 0;
    for (int i = 0; i < 100000; i++) {
        if (i == 1000)
            warm = ks_sim_storage_allocs(sim);
        out.key_len = (size_t)snprintf(key, sizeof(key), "key-%d", i % 97);
        out.value_len = (size_t)snprintf(val, sizeof(val), "value-%d", i);
        cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL), KSTREAM_OK));
    }
    uint64_t grown = ks_sim_storage_allocs(sim) - warm;
    /* ~7 chunks of data and ~35 doublings of the 5 index arrays over 99000
     * appends (about 40); one per record would be 99000. */
    cr_assert(lt(u64, grown, 100), "%llu allocations for 99000 appends",
              (unsigned long long)grown);
}

Test(sim_log, pointers_stay_valid_and_big_records_fit) {
    cr_assert(eq(int, append("t", 0, "first-key", "first-value", 0, NULL,
                             NULL),
                 KSTREAM_OK));
    ks_msg_t first;
    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 0, &first), KSTREAM_OK));

    static char big[3 << 20]; /* bigger than a chunk */
    memset(big, 'x', sizeof(big));
    ks_out_t out = {.topic = "t", .partition = 0, .value = big,
                    .value_len = sizeof(big)};
    cr_assert(eq(int, ks_sim_append(sim, &out, NULL, NULL), KSTREAM_OK));
    for (int i = 0; i < 50000; i++)
        cr_assert(eq(int, append("t", 0, "k", "a small value", 0, NULL,
                                 NULL),
                     KSTREAM_OK));

    ks_msg_t again;
    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 0, &again), KSTREAM_OK));
    cr_assert(eq(ptr, (void *)again.key, (void *)first.key));
    assert_bytes(first.key, first.key_len, "first-key");
    assert_bytes(first.value, first.value_len, "first-value");
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read(sim, "t", 0, 1, &m), KSTREAM_OK));
    cr_assert(eq(sz, m.value_len, sizeof(big)));
    cr_assert(eq(int, memcmp(m.value, big, sizeof(big)), 0));
}

Test(sim_log, one_million_appends) {
    char key[16];
    cr_assert(eq(int, ks_sim_create_topic(sim, "big", 8), KSTREAM_OK));
    ks_out_t out = {.topic = "big", .partition = -1, .key = key,
                    .value = "payload", .value_len = 7};
    for (int i = 0; i < 1000000; i++) {
        out.key_len = (size_t)snprintf(key, sizeof(key), "%d", i);
        out.timestamp = i;
        if (ks_sim_append(sim, &out, NULL, NULL) != KSTREAM_OK)
            cr_fatal("append %d failed", i);
    }
    cr_assert(eq(sz, ks_sim_appended_count(sim, "big"), 1000000));
    int64_t total = 0;
    for (int32_t p = 0; p < 8; p++)
        total += ks_sim_end_offset(sim, "big", p);
    cr_assert(eq(i64, total, 1000000));
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read_appended(sim, "big", 999999, &m),
                 KSTREAM_OK));
    assert_bytes(m.key, m.key_len, "999999");
    cr_assert(eq(i64, m.timestamp, 999999));
    cr_assert(eq(i32, m.partition, ks_partition_for_key("999999", 6, 8)));
}

/* ---- group offsets ------------------------------------------------------ */

Test(sim_group, commit_and_committed) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 0), -1));
    cr_assert(eq(int, ks_sim_commit(sim, "g", "t", 1, 42), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 1), 42));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 0), -1));
    cr_assert(eq(i64, ks_sim_committed(sim, "other", "t", 1), -1));
    cr_assert(eq(int, ks_sim_commit(sim, "g", "t", 1, 7), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 1), 7));

    cr_assert(eq(int, ks_sim_commit(sim, "g", "nope", 0, 1),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(eq(int, ks_sim_commit(sim, "g", "t", 2, 1),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(int, ks_sim_commit(sim, "g", "t", 0, -1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 2), -1));
}

Test(sim_group, client_commit_committed_and_partition_count) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 3), KSTREAM_OK));
    ks_client_t *c = client_new("g", NULL);
    ks_tp_offset_t offs[] = {{"t", 0, 5}, {"t", 2, 9}};
    cr_assert(eq(int, c->ops->commit(c, offs, 2), KSTREAM_OK));
    cr_assert(eq(i64, ks_sim_committed(sim, "g", "t", 2), 9));

    int64_t off = 0;
    ks_tp_t tp = {"t", 1};
    cr_assert(eq(int, c->ops->committed(c, &tp, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, -1));
    tp.partition = 0;
    cr_assert(eq(int, c->ops->committed(c, &tp, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, 5));
    tp.partition = 3;
    cr_assert(eq(int, c->ops->committed(c, &tp, &off),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    tp.topic = "nope";
    cr_assert(eq(int, c->ops->committed(c, &tp, &off),
                 KSTREAM_ERR_UNKNOWN_TOPIC));

    int32_t n = 0;
    cr_assert(eq(int, c->ops->partition_count(c, "t", &n), KSTREAM_OK));
    cr_assert(eq(i32, n, 3));
    cr_assert(eq(int, c->ops->partition_count(c, "nope", &n),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    c->ops->destroy(c);
}

/* ---- client ------------------------------------------------------------- */

Test(sim_client, produce_appends_synchronously) {
    ks_client_t *c = client_new(NULL, NULL);
    cr_assert(eq(str, (char *)c->ops->name, "sim"));
    ks_out_t out = {.topic = "out", .partition = -1, .key = "k",
                    .key_len = 1, .value = "v", .value_len = 1,
                    .timestamp = 5};
    cr_assert(eq(int, c->ops->produce(c, &out), KSTREAM_OK));
    cr_assert(eq(int, c->ops->flush(c, 1000), KSTREAM_OK));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "out"), 1));
    out.timestamp = -5;
    cr_assert(eq(int, c->ops->produce(c, &out),
                 KSTREAM_ERR_INVALID_TIMESTAMP));
    /* No group: a producer only. */
    const char *topics[] = {"out"};
    cr_assert(eq(int, c->ops->subscribe(c, topics, 1), KSTREAM_ERR_STATE));
    c->ops->destroy(c);
}

Test(sim_client, single_client_gets_every_partition_on_first_poll) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 3), KSTREAM_OK));
    recorder_t r = {0};
    ks_client_t *c = client_new("g", &r);
    subscribe(c, "t", NULL);
    cr_assert(eq(str, r.log, "")); /* events fire from poll only */
    char out[512];
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    cr_assert(eq(str, r.log, "+t:0,t:1,t:2"));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    cr_assert(eq(str, r.log, "+t:0,t:1,t:2")); /* stable: no new event */
    c->ops->destroy(c);
}

Test(sim_client, poll_order_rotates_over_partitions_in_chunks) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "a", 2), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "b", 2), KSTREAM_OK));
    recorder_t r = {0};
    ks_client_t *c = client_new("g", &r);
    subscribe(c, "b", "a"); /* subscription order: b before a */
    char out[512];
    poll_str(c, 10, out, sizeof(out));
    cr_assert(eq(str, r.log, "+b:0,b:1,a:0,a:1"));

    for (int i = 0; i < 3; i++) {
        append("a", 0, NULL, "x", 0, NULL, NULL);
        append("a", 1, NULL, "x", 0, NULL, NULL);
        append("b", 0, NULL, "x", 0, NULL, NULL);
    }
    cr_assert(eq(sz, poll_str(c, 4, out, sizeof(out)), 4));
    cr_assert(eq(str, out, "b:0@0 b:0@1 b:0@2 a:0@0"));
    /* Next poll starts after a:0, the last partition taken from. */
    cr_assert(eq(sz, poll_str(c, 4, out, sizeof(out)), 4));
    cr_assert(eq(str, out, "a:1@0 a:1@1 a:1@2 a:0@1"));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 1));
    cr_assert(eq(str, out, "a:0@2"));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    c->ops->destroy(c);
}

Test(sim_client, pause_resume_and_seek) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    for (int i = 0; i < 3; i++) {
        append("t", 0, NULL, "x", 0, NULL, NULL);
        append("t", 1, NULL, "x", 0, NULL, NULL);
    }
    ks_client_t *c = client_new("g", NULL);
    subscribe(c, "t", NULL);
    ks_tp_t t0 = {"t", 0}, t9 = {"t", 9};
    /* Not assigned before the first poll. */
    cr_assert(eq(int, c->ops->pause(c, &t0), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->pause(c, &t9), KSTREAM_ERR_STATE));

    char out[512];
    cr_assert(eq(sz, poll_str(c, 1, out, sizeof(out)), 1));
    cr_assert(eq(str, out, "t:0@0"));
    cr_assert(eq(int, c->ops->pause(c, &t0), KSTREAM_OK));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 3));
    cr_assert(eq(str, out, "t:1@0 t:1@1 t:1@2"));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    cr_assert(eq(int, c->ops->resume(c, &t0), KSTREAM_OK));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 2));
    cr_assert(eq(str, out, "t:0@1 t:0@2"));

    ks_tp_offset_t s1 = {"t", 1, 1};
    cr_assert(eq(int, c->ops->seek(c, &s1), KSTREAM_OK));
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 2));
    cr_assert(eq(str, out, "t:1@1 t:1@2"));
    ks_tp_offset_t bad = {"t", 1, -1};
    cr_assert(eq(int, c->ops->seek(c, &bad), KSTREAM_ERR_INVALID_ARG));
    ks_tp_offset_t far = {"t", 0, 4}; /* past the end: waits for it */
    cr_assert(eq(int, c->ops->seek(c, &far), KSTREAM_OK));
    append("t", 0, NULL, "x", 0, NULL, NULL);
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    append("t", 0, NULL, "x", 0, NULL, NULL);
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 1));
    cr_assert(eq(str, out, "t:0@4"));
    c->ops->destroy(c);
}

Test(sim_client, messages_carry_the_record) {
    kstream_header_t h = {"n", NULL, 0};
    ks_out_t rec = {.topic = "t", .partition = 0, .key = "", .value = NULL,
                    .timestamp = 77, .headers = &h, .nheaders = 1};
    cr_assert(eq(int, ks_sim_append(sim, &rec, NULL, NULL), KSTREAM_OK));
    ks_client_t *c = client_new("g", NULL);
    subscribe(c, "t", NULL);
    ks_msg_t m;
    size_t n = 0;
    cr_assert(eq(int, c->ops->poll(c, &m, 1, &n, 100), KSTREAM_OK));
    cr_assert(eq(sz, n, 1));
    assert_bytes(m.key, m.key_len, "");
    assert_bytes(m.value, m.value_len, NULL);
    cr_assert(eq(i64, m.timestamp, 77));
    cr_assert(eq(sz, m.nheaders, 1));
    cr_assert_null(m.headers[0].value);
    c->ops->release(c, &m, 1);
    c->ops->destroy(c);
}

Test(sim_client, two_members_split_by_range_and_rebalance_on_leave) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 4), KSTREAM_OK));
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < 3; i++)
            append("t", p, NULL, "x", 0, NULL, NULL);
    recorder_t r1 = {0}, r2 = {0};
    ks_client_t *c1 = client_new("g", &r1);
    ks_client_t *c2 = client_new("g", &r2);
    subscribe(c2, "t", NULL); /* order is creation order, not join order */
    subscribe(c1, "t", NULL);

    char out[512];
    cr_assert(eq(sz, poll_str(c1, 2, out, sizeof(out)), 2));
    cr_assert(eq(str, r1.log, "+t:0,t:1"));
    cr_assert(eq(str, out, "t:0@0 t:0@1"));
    cr_assert(eq(sz, poll_str(c2, 64, out, sizeof(out)), 6));
    cr_assert(eq(str, r2.log, "+t:2,t:3"));
    cr_assert(eq(str, out, "t:2@0 t:2@1 t:2@2 t:3@0 t:3@1 t:3@2"));

    /* c2 commits 1 on t:2 and 2 on t:3; c1 commits 2 on t:0 on revoke. */
    ks_tp_offset_t offs[] = {{"t", 2, 1}, {"t", 3, 2}};
    cr_assert(eq(int, c2->ops->commit(c2, offs, 2), KSTREAM_OK));
    int64_t c1_commit[] = {2, 0, 0, 0};
    r1.commit_at = c1_commit;
    c2->ops->destroy(c2);

    cr_assert(eq(sz, poll_str(c1, 64, out, sizeof(out)), 7));
    cr_assert(eq(str, r1.log, "+t:0,t:1;-t:0,t:1;+t:0,t:1,t:2,t:3"));
    cr_assert(eq(str, out,
                 "t:0@2 t:1@0 t:1@1 t:1@2 t:2@1 t:2@2 t:3@2"));
    c1->ops->destroy(c1);
}

Test(sim_client, joining_member_waits_until_partitions_are_revoked) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 4), KSTREAM_OK));
    recorder_t r1 = {0}, r2 = {0};
    ks_client_t *c1 = client_new("g", &r1);
    subscribe(c1, "t", NULL);
    char out[512];
    poll_str(c1, 10, out, sizeof(out));
    cr_assert(eq(str, r1.log, "+t:0,t:1,t:2,t:3"));

    ks_client_t *c2 = client_new("g", &r2);
    subscribe(c2, "t", NULL);
    poll_str(c2, 10, out, sizeof(out)); /* t:2,t:3 still owned by c1 */
    cr_assert(eq(str, r2.log, ""));
    poll_str(c1, 10, out, sizeof(out));
    cr_assert(eq(str, r1.log, "+t:0,t:1,t:2,t:3;-t:0,t:1,t:2,t:3;+t:0,t:1"));
    poll_str(c2, 10, out, sizeof(out));
    cr_assert(eq(str, r2.log, "+t:2,t:3"));
    c1->ops->destroy(c1);
    c2->ops->destroy(c2);
}

Test(sim_client, range_assignor_with_uneven_and_copartitioned_topics) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "a", 4), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "b", 4), KSTREAM_OK));
    recorder_t r[3];
    memset(r, 0, sizeof(r));
    ks_client_t *c[3];
    char out[512];
    for (int i = 0; i < 3; i++) {
        c[i] = client_new("g", &r[i]);
        subscribe(c[i], "a", "b");
    }
    for (int i = 0; i < 3; i++)
        poll_str(c[i], 10, out, sizeof(out));
    cr_assert(eq(str, r[0].log, "+a:0,a:1,b:0,b:1"));
    cr_assert(eq(str, r[1].log, "+a:2,b:2"));
    cr_assert(eq(str, r[2].log, "+a:3,b:3"));
    for (int i = 0; i < 3; i++)
        c[i]->ops->destroy(c[i]);
}

Test(sim_client, topic_created_after_subscribe_is_assigned_on_poll) {
    recorder_t r = {0};
    ks_client_t *c = client_new("g", &r);
    subscribe(c, "later", NULL);
    char out[512];
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 0));
    cr_assert(eq(str, r.log, ""));
    cr_assert(eq(int, append("later", -1, "k", "v", 0, NULL, NULL),
                 KSTREAM_OK)); /* auto-created, 1 partition */
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 1));
    cr_assert(eq(str, r.log, "+later:0"));
    cr_assert(eq(str, out, "later:0@0"));
    c->ops->destroy(c);
}

Test(sim_client, new_assignment_starts_at_committed_offset) {
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 1), KSTREAM_OK));
    for (int i = 0; i < 5; i++)
        append("t", 0, NULL, "x", 0, NULL, NULL);
    cr_assert(eq(int, ks_sim_commit(sim, "g", "t", 0, 3), KSTREAM_OK));
    ks_client_t *c = client_new("g", NULL);
    subscribe(c, "t", NULL);
    char out[512];
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 2));
    cr_assert(eq(str, out, "t:0@3 t:0@4"));
    c->ops->destroy(c);

    /* Another group has its own offsets. */
    c = client_new("other", NULL);
    subscribe(c, "t", NULL);
    cr_assert(eq(sz, poll_str(c, 10, out, sizeof(out)), 5));
    c->ops->destroy(c);
}
