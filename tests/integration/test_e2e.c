/* End to end on the embedded cluster: a stateless and a count topology on
 * 4-partition topics; output read back with kcat. Also the state listener,
 * interactive queries and statistics of a running app. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

TestSuite(e2e, .timeout = 90);

static kstream_err_t upper(const kstream_record_t *in, kstream_record_t *out,
                           void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char buf[64];
    if (!v.data || v.len >= sizeof(buf))
        return KSTREAM_ERR_USER;
    for (size_t i = 0; i < v.len; i++)
        buf[i] = (char)(((const char *)v.data)[i] >= 'a' &&
                                        ((const char *)v.data)[i] <= 'z'
                                ? ((const char *)v.data)[i] - 32
                                : ((const char *)v.data)[i]);
    return kstream_record_set_value(out, buf, v.len);
}

/* Keep values whose number is even ("V12" -> 12). */
static kstream_err_t even(const kstream_record_t *rec, bool *match,
                          void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *match = v.len > 1 && (((const char *)v.data)[v.len - 1] - '0') % 2 == 0;
    return KSTREAM_OK;
}

static kstream_topology_t *stateless_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, upper, NULL, NULL, "upper");
    s = kstream_stream_filter(s, even, NULL, NULL, "even");
    kstream_stream_to(s, "out", NULL);
    char errstr[512] = "";
    kstream_topology_t *t = kstream_builder_build(b, errstr, sizeof(errstr));
    cr_assert(t != NULL, "%s", errstr);
    return t;
}

#define MAX_STATES 32
static _Atomic int states[MAX_STATES];
static atomic_int nstates;

static void on_state(kstream_state_t to, kstream_state_t from, void *opaque)
{
    (void)from;
    (void)opaque;
    int i = atomic_fetch_add(&nstates, 1);
    if (i < MAX_STATES)
        states[i] = (int)to;
}

Test(e2e, stateless_map_filter_on_four_partitions)
{
    const char *topics[] = {"in:4", "out:4", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    char *dir = it_tmpdir();
    kstream_topology_t *t = stateless_topology();
    kstream_conf_t *conf = it_conf(dc, "e2e-stateless", dir);
    char errstr[512] = "";
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_set_state_listener(app, on_state, NULL), KSTREAM_OK);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)), KSTREAM_OK,
                 "%s", errstr);
    it_produce_keys(bs, "in", 0, 400, 20);
    cr_assert(it_wait_state(app, KSTREAM_STATE_RUNNING, 20000));
    size_t n = 0;
    int64_t until = it_now_ms() + 20000;
    char *out = NULL;
    do {
        free(out);
        it_sleep_ms(200);
        out = it_consume(bs, "out", false, &n);
    } while (n < 200 && it_now_ms() < until);
    cr_assert_eq(n, 200, "output records: %zu", n);
    /* Every even value came through, upper-cased, under its key. */
    for (int i = 0; i < 400; i += 2) {
        char line[64];
        snprintf(line, sizeof(line), "k%d\tV%d\n", i % 20, i);
        cr_assert(strstr(out, line) != NULL, "missing %s", line);
    }
    free(out);
    cr_assert_eq(kstream_close(app, 30000), KSTREAM_OK);
    cr_assert_eq(kstream_state(app), KSTREAM_STATE_NOT_RUNNING);
    /* CREATED -> REBALANCING -> RUNNING ... -> PENDING_SHUTDOWN ->
     * NOT_RUNNING. */
    int ns = atomic_load(&nstates);
    cr_assert(ns >= 4, "%d state changes", ns);
    cr_assert_eq(states[0], KSTREAM_STATE_REBALANCING);
    cr_assert_eq(states[ns - 2], KSTREAM_STATE_PENDING_SHUTDOWN);
    cr_assert_eq(states[ns - 1], KSTREAM_STATE_NOT_RUNNING);
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}

static atomic_int nstats;
static char last_stats[8192];

static void on_stats(const char *json, size_t len, void *opaque)
{
    (void)opaque;
    if (len < sizeof(last_stats)) {
        memcpy(last_stats, json, len + 1);
        atomic_fetch_add(&nstats, 1);
    }
}

Test(e2e, count_on_four_partitions_with_queries_and_stats)
{
    const char *topics[] = {"in:4", "out:4", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    char *dir = it_tmpdir();
    kstream_topology_t *t = it_count_topology("in", "out");
    char errstr[512] = "";
    cr_assert_eq(kstream_dev_cluster_create_internal_topics(
                         dc, t, "e2e-count", errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    kstream_conf_t *conf = it_conf(dc, "e2e-count", dir);
    it_set(conf, "statistics.interval.ms", "200");
    it_set(conf, "num.stream.threads", "2"); /* 2 tasks each */
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_set_stats_cb(app, on_stats, NULL), KSTREAM_OK);
    void *v = NULL;
    size_t vlen = 0;
    cr_assert_eq(kstream_query_get(app, "counts", "k1", 2, &v, &vlen),
                 KSTREAM_ERR_STATE, "a query before the start");
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)), KSTREAM_OK,
                 "%s", errstr);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)),
                 KSTREAM_ERR_STATE);
    /* Both threads in the group before the input: a rebalance in the
     * middle would replay uncommitted input (at-least-once; the mock
     * refuses revoke-time commits) and the store could run ahead of the
     * output read below. */
    cr_assert(it_wait_state(app, KSTREAM_STATE_RUNNING, 30000));
    it_produce_keys(bs, "in", 0, 1000, 50);
    int64_t want[50];
    for (int i = 0; i < 50; i++)
        want[i] = 20;
    cr_assert(it_wait_counts(bs, "out", 50, want, true, 30000));
    cr_assert(it_wait_state(app, KSTREAM_STATE_RUNNING, 30000));
    /* Interactive queries see the counts (Kafka longs). */
    cr_assert_eq(kstream_query_get(app, "counts", "k7", 2, &v, &vlen),
                 KSTREAM_OK);
    cr_assert_eq(vlen, 8);
    const unsigned char *p = v;
    cr_assert_eq(p[7], 20);
    kstream_free(v);
    cr_assert_eq(kstream_query_get(app, "counts", "nope", 4, &v, &vlen),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert_eq(kstream_query_get(app, "no-such-store", "k1", 2, &v, &vlen),
                 KSTREAM_ERR_UNKNOWN_NAME);
    cr_assert_eq(kstream_query_get(NULL, "counts", "k1", 2, &v, &vlen),
                 KSTREAM_ERR_INVALID_ARG);
    int64_t until = it_now_ms() + 5000;
    while (atomic_load(&nstats) < 2 && it_now_ms() < until)
        it_sleep_ms(50);
    cr_assert(atomic_load(&nstats) >= 2, "statistics callback not called");
    char *json = kstream_stats_json(app);
    cr_assert(json != NULL);
    /* Two threads: their counts add up to the input. */
    unsigned long long total = 0;
    for (const char *p2 = json; (p2 = strstr(p2, "\"records_processed\":"));
         p2++)
        total += strtoull(p2 + strlen("\"records_processed\":"), NULL, 10);
    cr_assert_eq(total, 1000, "%s", json);
    cr_assert(strstr(json, "\"id\":1,") != NULL, "%s", json);
    cr_assert(strstr(json, "\"application_id\":\"e2e-count\"") != NULL);
    cr_assert(strstr(json, "\"approximate_count\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"commit_latency_ms_avg\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"restore_end\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"lag\":0") != NULL, "%s", json);
    kstream_free(json);
    cr_assert_eq(kstream_close(app, 30000), KSTREAM_OK);
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}
