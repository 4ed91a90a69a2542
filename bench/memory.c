/* memory.c - peak memory of an app with 8 RocksDB stores on 8 partitions
 * (64 store instances) under load, on the embedded dev cluster.
 *
 * The app: one 8-partition topic "mem-in" -> 8 branches, each
 * group_by_key -> count("counts-<i>") -> to_stream -> to("mem-out"):
 * RocksDB stores (the default), changelogs and the record cache on, the
 * library's own client defaults (no fast settings: this is what a user
 * gets), commit.interval.ms 100 as in the other Kafka benchmarks.
 * Input: N records (240k; 24k with BENCH_QUICK=1), 16-byte keys drawn
 * uniformly from 1M (about 210k distinct in a full run), 100-byte values,
 * loaded beforehand into the 8 partitions (each under the mock's ~5 MiB
 * retention), so that every one of the 64 stores takes tens of thousands
 * of keys: memtables fill and flush within the rocksdb.memory.bytes
 * budget. The loader writes batches of 16 KiB, as a Java producer with
 * its default batch.size would: the mock answers a fetch with one whole
 * batch of each partition, so the input's batches set how much a fetch
 * brings (a real broker stops at max.partition.fetch.bytes), and
 * librdkafka's 10000-record batches would put ~1.3 MB of parsed records
 * per partition in each fetch.
 *
 * Process. The mock brokers keep every topic in memory, which is not the
 * app's: the benchmark forks before any thread exists, the child runs the
 * cluster (3 brokers) and loads the input, and this process - the app's -
 * only runs the app. Its baseline RSS (libraries loaded, before
 * kstream_new) is printed, then VmRSS is sampled every 20 ms while the app
 * processes all N records (the app's statistics) and commits, and the peak
 * is VmHWM from /proc/self/status after kstream_close().
 *
 * BENCH memory <peak RSS in MiB> <peak / (rocksdb.memory.bytes + 32 MiB)>:
 * the peak must stay under that bound (ratio < 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kstream.h>

#include "common/bench.h"
#include "common/kafka.h"

#define NAME "memory"
#define INPUT "mem-in"
#define OUTPUT "mem-out"
#define APP_ID "bench-memory"
#define PARTITIONS 8
#define BRANCHES 8
#define RECORDS 240000ull
#define KEYSPACE 1000000u
#define ROCKSDB_MEMORY (64ull << 20) /* rocksdb.memory.bytes's default */
#define SLACK (32ull << 20)
#define TIMEOUT_MS 120000
/* The input's batches: a Java producer's default batch.size (16 KiB). */
#define INPUT_BATCH "16384"

static kstream_topology_t *build(void)
{
    char errstr[512], store[32];
    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *s = kstream_builder_stream(b, INPUT, NULL);
    for (int i = 0; i < BRANCHES; i++) {
        snprintf(store, sizeof(store), "counts-%d", i);
        kstream_table_t *t = kstream_grouped_count(
                kstream_stream_group_by_key(s), store);
        if (kstream_stream_to(kstream_table_to_stream(t, NULL), OUTPUT,
                              NULL))
            bench_die("topology: %s", kstream_builder_error(b));
    }
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    return topo;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            bench_die("write: %s", strerror(errno));
        p += w;
        len -= (size_t)w;
    }
}

/* The child: the cluster, the topics, the input; then wait until the
 * parent closes its end of \p done. */
static void cluster_main(uint64_t n, int ready, int done)
{
    char errstr[512];
    kstream_dev_cluster_t *dc = kb_cluster(3);
    const char *bootstrap = kstream_dev_cluster_bootstrap(dc);
    kb_create_topic(dc, INPUT, PARTITIONS);
    kb_create_topic(dc, OUTPUT, PARTITIONS);
    kstream_topology_t *topo = build();
    if (kstream_dev_cluster_create_internal_topics(dc, topo, APP_ID, errstr,
                                                   sizeof(errstr)))
        bench_die("internal topics: %s", errstr);
    kstream_topology_destroy(topo);
    uint64_t st = 20240619;
    uint32_t *seq = malloc(n * sizeof(*seq));
    if (!seq)
        bench_die("out of memory");
    for (uint64_t i = 0; i < n; i++)
        seq[i] = (uint32_t)(bench_rand(&st) % KEYSPACE);
    kb_load_batched(NAME, bootstrap, INPUT, PARTITIONS, n, seq,
                    INPUT_BATCH);
    free(seq);
    fflush(stdout);
    write_all(ready, bootstrap, strlen(bootstrap) + 1);
    close(ready);
    char c;
    while (read(done, &c, 1) < 0 && errno == EINTR)
        ;
    printf("%s: the cluster's process (3 mock brokers holding every "
           "topic): peak RSS %.1f MiB\n",
           NAME, (double)kb_status_kib("VmHWM") / 1024);
    fflush(stdout);
    kstream_dev_cluster_destroy(dc);
    _exit(0);
}

int main(void)
{
    uint64_t n = bench_scale(RECORDS);
    int ready[2], done[2];
    if (pipe(ready) || pipe(done))
        bench_die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t pid = fork(); /* no thread exists yet */
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(ready[0]);
        close(done[1]);
        cluster_main(n, ready[1], done[0]);
    }
    close(ready[1]);
    close(done[0]);
    char bootstrap[1024];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(ready[0], bootstrap + len, sizeof(bootstrap) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (memchr(bootstrap, '\0', len) || len == sizeof(bootstrap))
            break;
    }
    close(ready[0]);
    if (!len || !memchr(bootstrap, '\0', len))
        bench_die("the cluster process did not start");

    char *dir = kb_tmpdir("memory");
    kstream_topology_t *topo = build();
    kstream_conf_t *conf = kb_app_conf(bootstrap, APP_ID, dir, false);
    long base_kib = kb_status_kib("VmRSS");
    long base_hwm = kb_status_kib("VmHWM");

    kb_app_t a;
    uint64_t t0 = bench_now_ns();
    kb_app_start(&a, topo, conf, NULL, NULL);
    uint64_t give_up = t0 + (uint64_t)TIMEOUT_MS * 1000000ull;
    long max_sampled = 0, at_running = -1;
    uint64_t processed = 0, first = 0, last = 0, samples = 0;
    while (processed < n) {
        long rss = kb_status_kib("VmRSS");
        samples++;
        if (rss > max_sampled)
            max_sampled = rss;
        if (at_running < 0 && __atomic_load_n(&a.running_ns,
                                              __ATOMIC_ACQUIRE))
            at_running = rss;
        processed = kb_app_processed(&a);
        if (processed && !first)
            first = bench_now_ns();
        if (kstream_state(a.app) == KSTREAM_STATE_ERROR)
            kb_app_stop(&a); /* dies with the app's error */
        if (bench_now_ns() > give_up)
            bench_die("%llu of %llu records processed after %d ms",
                      (unsigned long long)processed, (unsigned long long)n,
                      TIMEOUT_MS);
        kb_sleep_ms(20);
    }
    last = bench_now_ns();
    /* A few more commit intervals: the caches flush, the changelogs and
     * the output are written. */
    for (int i = 0; i < 25; i++) {
        long rss = kb_status_kib("VmRSS");
        if (rss > max_sampled)
            max_sampled = rss;
        kb_sleep_ms(20);
    }
    long before_close = kb_status_kib("VmRSS");
    kb_app_stop(&a);
    long peak_kib = kb_status_kib("VmHWM");
    kstream_conf_destroy(conf);
    kstream_topology_destroy(topo);

    close(done[1]); /* the cluster process may stop */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("the cluster process failed (status %d)", status);

    double peak = (double)peak_kib / 1024;
    double bound = (double)(ROCKSDB_MEMORY + SLACK) / (1 << 20);
    printf("%s: %d stores x %d partitions (%d RocksDB instances), "
           "rocksdb.memory.bytes %llu MiB, cache.max.bytes.buffering "
           "default; %llu records (keys from %u)%s, processed at %.0f k "
           "rec/s (x%d store updates)\n",
           NAME, BRANCHES, PARTITIONS, BRANCHES * PARTITIONS,
           (unsigned long long)(ROCKSDB_MEMORY >> 20), (unsigned long long)n,
           KEYSPACE, bench_quick() ? " [BENCH_QUICK]" : "",
           first && last > first ? (double)n * 1e9 / (double)(last - first)
                                        / 1e3
                                 : 0.0,
           BRANCHES);
    printf("%s: app process RSS: baseline %.1f MiB (peak so far %.1f) "
           "before kstream_new, %.1f at RUNNING, sampled max %.1f (%llu "
           "samples), %.1f before close; peak (VmHWM) %.1f MiB = baseline "
           "+ %.1f; bound %.0f MiB (rocksdb.memory.bytes + 32 MiB): %s\n",
           NAME, (double)base_kib / 1024, (double)base_hwm / 1024,
           (double)at_running / 1024, (double)max_sampled / 1024,
           (unsigned long long)samples, (double)before_close / 1024, peak,
           peak - (double)base_kib / 1024, bound,
           peak < bound ? "under" : "OVER");
    fflush(stdout);
    bench_result(NAME, peak, peak / bound);
    return 0;
}
