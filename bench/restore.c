/* restore.c - restoring a RocksDB store from its changelog, on the
 * embedded dev cluster (3 brokers in this process), against a raw
 * librdkafka consumer reading the same changelog.
 *
 * The app: source "restore-in" (16 partitions, empty) -> group_by_key ->
 * count("counts"), application.id "bench-restore": one RocksDB store per
 * partition, logged to "bench-restore-counts-changelog" (16 partitions,
 * as the source). Before the runs a raw producer writes N records (1M;
 * 100k with BENCH_QUICK=1) into that changelog: N distinct 16-byte keys,
 * 8-byte big-endian counts as values, partitioned by murmur2 of the key as
 * the app would (16 partitions keep each under the mock's ~5 MiB
 * retention: checked). Each run starts the app with an empty state
 * directory, so it restores all N records before it runs.
 *
 * restore: records/s from the restore listener's first on_start to its
 * last on_end (all 16 store partitions restored); kstream_start -> RUNNING
 * is printed too (it includes the group join, ~3 s on the mock). After
 * the run, 1000 sampled keys are read back with kstream_query_get.
 * The ceiling, right before each app run: a raw librdkafka consumer
 * (same client settings, bench/common/kafka.c) assigned every partition
 * of the changelog from the beginning, reading until it has all N
 * records, timed from assign() to the last record. Ratio: app / ceiling
 * of the same round, the median over ROUNDS rounds (1 with BENCH_QUICK=1);
 * target >= 0.7. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstream.h>
#include <librdkafka/rdkafka.h>

#include "common/bench.h"
#include "common/kafka.h"

#define NAME "restore"
#define SOURCE "restore-in"
#define APP_ID "bench-restore"
#define STORE "counts"
#define PARTITIONS 16
#define RECORDS 1000000ull
#define ROUNDS 2
#define TIMEOUT_MS 120000
#define SAMPLES 1000

static const char *bootstrap;
static uint64_t n;

static uint64_t count_of(uint64_t i)
{
    return 1 + i % 1000;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int j = 7; j >= 0; j--, v >>= 8)
        p[j] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* ---- the ceiling --------------------------------------------------------- */
static double raw_read(const char *topic, double *secs, double *cores)
{
    char err[512];
    /* assign() wants a group.id in 2.0.2; nothing is committed. */
    rd_kafka_conf_t *cc = kb_rdconf(bootstrap, KB_CONSUMER, "bench-raw");
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err));
    if (!c)
        bench_die("raw: consumer: %s", err);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int32_t i = 0; i < PARTITIONS; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    uint64_t t0 = bench_now_ns(), cpu0 = kb_proc_cpu_ns();
    uint64_t give_up = t0 + (uint64_t)TIMEOUT_MS * 1000000ull;
    rd_kafka_resp_err_t e = rd_kafka_assign(c, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        bench_die("raw: assign: %s", rd_kafka_err2str(e));
    uint64_t got = 0, bytes = 0;
    while (got < n) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) {
            if (bench_now_ns() > give_up)
                bench_die("raw: %llu of %llu records read after %d ms",
                          (unsigned long long)got, (unsigned long long)n,
                          TIMEOUT_MS);
            continue;
        }
        if (m->err)
            bench_die("raw: consume: %s", rd_kafka_message_errstr(m));
        bytes += m->key_len + m->len; /* touch the record, as a store */
        got++;
        rd_kafka_message_destroy(m);
    }
    uint64_t t1 = bench_now_ns();
    *cores = (double)(kb_proc_cpu_ns() - cpu0) / (double)(t1 - t0);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (bytes != n * (KB_KEY_LEN + 8))
        bench_die("raw: %llu bytes read, expected %llu",
                  (unsigned long long)bytes,
                  (unsigned long long)(n * (KB_KEY_LEN + 8)));
    *secs = (double)(t1 - t0) / 1e9;
    return (double)n / *secs;
}

/* ---- the app ------------------------------------------------------------- */
typedef struct listen_s {
    uint64_t first_start; /* ns */
    uint64_t last_end;
    uint64_t restored;
    int starts, ends;
} listen_t;

static void on_start(const char *store, const char *changelog,
                     int32_t partition, int64_t start_offset,
                     int64_t end_offset, void *opaque)
{
    listen_t *l = opaque;
    (void)store;
    (void)changelog;
    (void)partition;
    (void)start_offset;
    (void)end_offset;
    uint64_t now = bench_now_ns();
    if (!__atomic_load_n(&l->first_start, __ATOMIC_ACQUIRE))
        __atomic_store_n(&l->first_start, now, __ATOMIC_RELEASE);
    __atomic_fetch_add(&l->starts, 1, __ATOMIC_ACQ_REL);
}

static void on_end(const char *store, const char *changelog,
                   int32_t partition, uint64_t total, void *opaque)
{
    listen_t *l = opaque;
    (void)store;
    (void)changelog;
    (void)partition;
    __atomic_store_n(&l->last_end, bench_now_ns(), __ATOMIC_RELEASE);
    __atomic_fetch_add(&l->restored, total, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&l->ends, 1, __ATOMIC_ACQ_REL);
}

static kstream_topology_t *build(void)
{
    char errstr[512];
    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *s = kstream_builder_stream(b, SOURCE, NULL);
    if (!kstream_grouped_count(kstream_stream_group_by_key(s), STORE))
        bench_die("topology: %s", kstream_builder_error(b));
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    return topo;
}

typedef struct app_run_s {
    double rate, secs, cores, to_running;
    uint64_t restored;
} app_run_t;

static void app_restore(const kstream_topology_t *topo, app_run_t *res)
{
    char *dir = kb_tmpdir("restore");
    kstream_conf_t *conf = kb_app_conf(bootstrap, APP_ID, dir, true);
    listen_t l;
    memset(&l, 0, sizeof(l));
    const kstream_restore_listener_t rl = {on_start, NULL, on_end};
    kb_app_t a;
    uint64_t t0 = bench_now_ns();
    kb_app_start(&a, topo, conf, &rl, &l);
    uint64_t give_up = t0 + (uint64_t)TIMEOUT_MS * 1000000ull;
    uint64_t cpu0 = 0;
    while (__atomic_load_n(&l.ends, __ATOMIC_ACQUIRE) < PARTITIONS) {
        if (!cpu0 && __atomic_load_n(&l.first_start, __ATOMIC_ACQUIRE))
            cpu0 = kb_proc_cpu_ns();
        if (kstream_state(a.app) == KSTREAM_STATE_ERROR)
            kb_app_stop(&a); /* dies with the app's error */
        if (bench_now_ns() > give_up)
            bench_die("restore: %d of %d partitions restored after %d ms",
                      __atomic_load_n(&l.ends, __ATOMIC_ACQUIRE), PARTITIONS,
                      TIMEOUT_MS);
        kb_sleep_ms(1);
    }
    uint64_t cpu1 = kb_proc_cpu_ns();
    while (!__atomic_load_n(&a.running_ns, __ATOMIC_ACQUIRE)) {
        if (bench_now_ns() > give_up)
            bench_die("restore: not RUNNING after %d ms", TIMEOUT_MS);
        kb_sleep_ms(1);
    }
    uint64_t first = l.first_start, last = l.last_end;
    res->secs = (double)(last - first) / 1e9;
    res->rate = (double)n / res->secs;
    res->cores = cpu0 ? (double)(cpu1 - cpu0) / (double)(last - first) : 0;
    res->to_running = (double)(a.running_ns - t0) / 1e9;
    res->restored = l.restored;
    if (l.restored != n || l.starts != PARTITIONS)
        bench_die("restore: %llu records restored in %d partitions, "
                  "expected %llu in %d",
                  (unsigned long long)l.restored, l.starts,
                  (unsigned long long)n, PARTITIONS);

    /* Spot checks through interactive queries. */
    for (uint64_t s = 0; s < SAMPLES; s++) {
        uint64_t i = s * (n / SAMPLES);
        unsigned char key[KB_KEY_LEN];
        void *v = NULL;
        size_t vlen = 0;
        kb_make_key((uint32_t)i, key);
        kstream_err_t err = kstream_query_get(a.app, STORE, key, KB_KEY_LEN,
                                              &v, &vlen);
        if (err)
            bench_die("query of key %llu: %s", (unsigned long long)i,
                      kstream_err2name(err));
        if (vlen != 8 || get_be64(v) != count_of(i))
            bench_die("key %llu: the store holds %zu bytes (%llu), "
                      "expected %llu",
                      (unsigned long long)i, vlen,
                      vlen == 8 ? (unsigned long long)get_be64(v) : 0ull,
                      (unsigned long long)count_of(i));
        kstream_free(v);
    }
    kb_app_stop(&a);
    kstream_conf_destroy(conf);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int k)
{
    qsort(v, (size_t)k, sizeof(*v), cmp_double);
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

int main(void)
{
    char errstr[512];
    int rounds = bench_quick() ? 1 : ROUNDS;
    n = bench_scale(RECORDS);
    kstream_dev_cluster_t *dc = kb_cluster(3);
    bootstrap = kstream_dev_cluster_bootstrap(dc);
    kb_create_topic(dc, SOURCE, PARTITIONS);
    kstream_topology_t *topo = build();
    if (kstream_dev_cluster_create_internal_topics(dc, topo, APP_ID, errstr,
                                                   sizeof(errstr)))
        bench_die("internal topics: %s", errstr);
    char changelog[256];
    snprintf(changelog, sizeof(changelog), "%s-%s-changelog", APP_ID, STORE);
    if (kstream_dev_cluster_partitions(dc, changelog) != PARTITIONS)
        bench_die("%s was not created with %d partitions", changelog,
                  PARTITIONS);

    /* The changelog: N distinct keys, counts as values. */
    rd_kafka_t *p = kb_producer(bootstrap);
    kb_producer_prime(p, changelog);
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        unsigned char key[KB_KEY_LEN], val[8];
        kb_make_key((uint32_t)i, key);
        put_be64(val, count_of(i));
        kb_produce(p, changelog, RD_KAFKA_PARTITION_UA, key, KB_KEY_LEN, val,
                   8, 0);
        if (i % 1024 == 0)
            rd_kafka_poll(p, 0);
    }
    kb_flush(p);
    uint64_t t1 = bench_now_ns();
    rd_kafka_destroy(p);
    kb_check_topic(bootstrap, changelog, PARTITIONS, n);
    printf("%s: wrote %llu records (%llu distinct 16 B keys, 8 B counts) "
           "into %s (%d partitions) with a raw producer in %.2f s\n",
           NAME, (unsigned long long)n, (unsigned long long)n, changelog,
           PARTITIONS, (double)(t1 - t0) / 1e9);
    kb_print_settings(NAME);
    fflush(stdout);

    double raws[ROUNDS], apps[ROUNDS], ratios[ROUNDS];
    for (int r = 0; r < rounds; r++) {
        double rsecs, rcores;
        app_run_t a;
        raws[r] = raw_read(changelog, &rsecs, &rcores);
        app_restore(topo, &a);
        apps[r] = a.rate;
        ratios[r] = a.rate / raws[r];
        printf("%s: round %d: raw consumer %.0f k rec/s (%.3f s, %.2f "
               "cores); restore %.0f k rec/s (%.3f s first on_start -> "
               "last on_end, %.2f cores; kstream_start -> RUNNING %.2f s); "
               "ratio %.2f (target >= 0.70)\n",
               NAME, r + 1, raws[r] / 1e3, rsecs, rcores, a.rate / 1e3,
               a.secs, a.cores, a.to_running, ratios[r]);
        fflush(stdout);
    }
    printf("%s: %llu records, %d partitions, %d round(s)%s; %d keys "
           "checked by interactive query after each restore\n",
           NAME, (unsigned long long)n, PARTITIONS, rounds,
           bench_quick() ? " [BENCH_QUICK]" : "", SAMPLES);
    double rate = median(apps, rounds);
    bench_result(NAME, rate, median(ratios, rounds));
    kstream_topology_destroy(topo);
    kstream_dev_cluster_destroy(dc);
    return 0;
}
