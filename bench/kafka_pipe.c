/* kafka_pipe.c - the Kafka runtime against librdkafka alone, on the
 * embedded dev cluster (3 brokers in this process). Three rows:
 *
 *   kafka_pipe_raw   the ceiling: librdkafka alone, consume -> produce with
 *                    no processing: one consumer (subscribed, a group of
 *                    its own) and one producer in a loop; every 100 ms the
 *                    at-least-once commit the app makes: flush the
 *                    producer, then commit the consumed offsets
 *                    synchronously (DEV-CLUSTER.md's "consume -> produce,
 *                    at-least-once, commit every 100 ms" row).
 *   kafka_stateless  a kstream app: source -> map_values (identity) ->
 *                    filter (keeps all) -> to; ratio against the raw pipe
 *                    (target >= 0.85).
 *   kafka_count      a kstream app: source -> group_by_key -> count
 *                    (RocksDB store, changelog and record cache on) ->
 *                    to_stream -> to; ratio against the raw pipe (target
 *                    >= 0.5).
 *   kafka_stateless_eos, kafka_count_eos
 *                    the same two apps under
 *                    processing.guarantee=exactly_once_v2 (a transaction
 *                    per commit interval: begin at the first record,
 *                    send_offsets_to_transaction, commit); each ratio is
 *                    against its at-least-once row of the same round
 *                    (target >= 0.8). The mock does no transaction work
 *                    (DEV-CLUSTER.md): what these rows measure is the
 *                    client's and the runtime's side - the transactional
 *                    requests' round trips, the commit's flush wait, and
 *                    the stores' transactional layers.
 *
 * Input: N records (480k; 48k with BENCH_QUICK=1), 16-byte keys (100k
 * distinct, drawn uniformly at random), 100-byte values, loaded
 * beforehand with a raw producer into one 16-partition topic (30k records,
 * ~3.8 MB a partition: under the mock's ~5 MiB retention, which kb_load
 * checks). Every run reads that topic from the beginning, as a new
 * consumer group (the app: a new application.id), into a new 16-partition
 * output topic.
 *
 * Timing: from the first record consumed (raw: the first message polled;
 * app: the first call of the source's timestamp extractor, which the app
 * makes as polled records enter the task queues; it returns the record's
 * own timestamp, as the default extractor does) to the moment a reader -
 * its own consumer in this process, alike for every row, reading the
 * output topic from the beginning while the pipe runs - has read the
 * whole output back: N records, or for the count the latest count of
 * every key summing to N. Group joins (~3 s on the mock) are outside the
 * timing. The time to the first output record read back is printed as
 * "first out". The app's only extra per-record work is that extractor
 * call (a relaxed atomic load).
 *
 * Commits every 100 ms on both sides (commit.interval.ms 100 for the app,
 * whose default is 30 s): at that interval the count's time goes mostly
 * to what every commit does per task (RocksDB memtable flush, checkpoint
 * file written with fsync) - see the report in the commit message.
 *
 * Rounds: raw, stateless, count, stateless_eos and count_eos run one after
 * the other, ROUNDS times (1 with BENCH_QUICK=1); each rate is the median
 * round, each ratio the median of the per-round ratios (app / raw, or
 * eos / at-least-once, of the same round, so that both see the same load
 * on a shared machine). The reader reads committed (librdkafka's
 * default), as a downstream reader of an exactly-once app would.
 *
 * BENCH_KAFKA_ONLY=raw|stateless|count: that row's rounds alone, and no
 * BENCH line (for profiling); =eos: each round's at-least-once count, then
 * its exactly-once count.
 *
 * CPU: the process's CPU time over the timed interval (every thread: app
 * or pipe, brokers, reader) per wall-clock second, in cores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstream.h>
#include <librdkafka/rdkafka.h>

#include "common/bench.h"
#include "common/kafka.h"

#define NAME "kafka_pipe"
#define INPUT "pipe-in"
#define PARTITIONS 16
#define RECORDS 480000ull
#define NKEYS 100000
#define ROUNDS 3
#define TIMEOUT_MS 60000

typedef struct run_s {
    double rate;    /* records/s over the measured N */
    double secs;    /* the measured interval */
    double cores;   /* process CPU / wall over it */
    double first_out; /* first record consumed -> first output read, s */
    uint64_t out;   /* output records read back */
    uint64_t commits;
} run_t;

static const char *bootstrap;
static kstream_dev_cluster_t *dc;
static uint64_t n;
static char *state_dir;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int k)
{
    double s[ROUNDS];
    memcpy(s, v, (size_t)k * sizeof(*s));
    qsort(s, (size_t)k, sizeof(*s), cmp_double);
    return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

static void finish_run(run_t *res, uint64_t first, const kb_read_result_t *r,
                       uint64_t first_cpu, const char *what)
{
    if (!first)
        bench_die("%s: no record was consumed", what);
    if (!r->end_ns)
        bench_die("%s: the output was not read back within %d ms", what,
                  TIMEOUT_MS);
    uint64_t dt = r->end_ns > first ? r->end_ns - first : 1;
    res->secs = (double)dt / 1e9;
    res->rate = (double)n / res->secs;
    res->cores = (double)(r->end_cpu - first_cpu) / (double)dt;
    res->first_out = r->warm_ns > first ? (double)(r->warm_ns - first) / 1e9
                                        : 0;
    res->out = r->records;
}

/* ---- the ceiling: librdkafka alone --------------------------------------- */
static void raw_commit(rd_kafka_t *c, rd_kafka_t *p, const int64_t *next,
                       int64_t *committed, run_t *res)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p, 30000);
    if (err)
        bench_die("raw: flush: %s", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int32_t i = 0; i < PARTITIONS; i++)
        if (next[i] > committed[i])
            rd_kafka_topic_partition_list_add(l, INPUT, i)->offset = next[i];
    if (l->cnt) {
        err = rd_kafka_commit(c, l, 0 /* synchronous */);
        if (err)
            bench_die("raw: commit: %s", rd_kafka_err2str(err));
        for (int32_t i = 0; i < PARTITIONS; i++)
            committed[i] = next[i];
        res->commits++;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void run_raw(int round, run_t *res)
{
    char out[64], group[64], err[512];
    snprintf(out, sizeof(out), "raw-out-%d", round);
    snprintf(group, sizeof(group), "bench-raw-%d", round);
    memset(res, 0, sizeof(*res));
    kb_create_topic(dc, out, PARTITIONS);
    kb_reader_t *rd = kb_reader_start(bootstrap, out, PARTITIONS,
                                      KB_READ_RECORDS, 1, n, 0);
    rd_kafka_t *p = kb_producer(bootstrap);
    kb_producer_prime(p, out); /* as the app's threads do */
    rd_kafka_conf_t *cc = kb_rdconf(bootstrap, KB_CONSUMER, group);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err));
    if (!c)
        bench_die("raw: consumer: %s", err);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub =
            rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, INPUT, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e)
        bench_die("raw: subscribe: %s", rd_kafka_err2str(e));

    int64_t next[PARTITIONS], committed[PARTITIONS];
    for (int i = 0; i < PARTITIONS; i++)
        next[i] = committed[i] = 0;
    uint64_t consumed = 0, first = 0, first_cpu = 0, last_commit = 0;
    uint64_t give_up = bench_now_ns() + (uint64_t)TIMEOUT_MS * 1000000ull;
    while (consumed < n) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        uint64_t now = bench_now_ns();
        if (m) {
            if (m->err)
                bench_die("raw: consume: %s", rd_kafka_message_errstr(m));
            if (!first) {
                first = last_commit = now;
                first_cpu = kb_proc_cpu_ns();
            }
            kb_produce(p, out, RD_KAFKA_PARTITION_UA, m->key, m->key_len,
                       m->payload, m->len,
                       rd_kafka_message_timestamp(m, NULL));
            next[m->partition] = m->offset + 1;
            consumed++;
            rd_kafka_message_destroy(m);
        } else if (now > give_up) {
            bench_die("raw: %llu of %llu records consumed after %d ms",
                      (unsigned long long)consumed, (unsigned long long)n,
                      TIMEOUT_MS);
        }
        if (first && now - last_commit >= KB_COMMIT_MS * 1000000ull) {
            raw_commit(c, p, next, committed, res);
            last_commit = bench_now_ns();
        }
    }
    raw_commit(c, p, next, committed, res);
    kb_read_result_t rr;
    kb_reader_finish(rd, TIMEOUT_MS, &rr);
    finish_run(res, first, &rr, first_cpu, "raw");
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
}

/* ---- the apps ------------------------------------------------------------ */
typedef struct first_s {
    uint64_t ns, cpu; /* ns written last, atomically */
} first_t;

static kstream_err_t first_ts(const kstream_record_t *rec,
                              int64_t partition_time, int64_t *ts,
                              void *opaque)
{
    first_t *f = opaque;
    (void)partition_time;
    if (!__atomic_load_n(&f->ns, __ATOMIC_RELAXED)) {
        __atomic_store_n(&f->cpu, kb_proc_cpu_ns(), __ATOMIC_RELAXED);
        __atomic_store_n(&f->ns, bench_now_ns(), __ATOMIC_RELEASE);
    }
    *ts = kstream_record_timestamp(rec);
    return KSTREAM_OK;
}

static kstream_err_t identity(const kstream_record_t *in,
                              kstream_record_t *out, void *opaque)
{
    (void)in;
    (void)out; /* starts as a copy of in */
    (void)opaque;
    return KSTREAM_OK;
}

static kstream_err_t keep_all(const kstream_record_t *rec, bool *match,
                              void *opaque)
{
    (void)rec;
    (void)opaque;
    *match = true;
    return KSTREAM_OK;
}

static kstream_topology_t *build(bool count, const char *out, first_t *f)
{
    char errstr[512];
    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *s = kstream_builder_stream(b, INPUT, NULL);
    if (kstream_stream_set_timestamp_extractor(s, first_ts, f, NULL))
        bench_die("topology: %s", kstream_builder_error(b));
    if (count) {
        kstream_table_t *t = kstream_grouped_count(
                kstream_stream_group_by_key(s), "counts");
        s = kstream_table_to_stream(t, NULL);
    } else {
        s = kstream_stream_map_values(s, identity, NULL, NULL, NULL);
        s = kstream_stream_filter(s, keep_all, NULL, NULL, NULL);
    }
    if (kstream_stream_to(s, out, NULL))
        bench_die("topology: %s", kstream_builder_error(b));
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    return topo;
}

static void run_app(bool count, bool eos, int round, run_t *res)
{
    char out[64], app_id[64], errstr[512];
    const char *what = count ? (eos ? "count_eos" : "count")
                             : (eos ? "stateless_eos" : "stateless");
    snprintf(out, sizeof(out), "%s-out-%d", what, round);
    snprintf(app_id, sizeof(app_id), "bench-%s-%d", what, round);
    for (char *c = app_id; *c; c++)
        if (*c == '_')
            *c = '-';
    memset(res, 0, sizeof(*res));
    kb_create_topic(dc, out, PARTITIONS);
    first_t f = {0, 0};
    kstream_topology_t *topo = build(count, out, &f);
    kstream_err_t err = kstream_dev_cluster_create_internal_topics(
            dc, topo, app_id, errstr, sizeof(errstr));
    if (err)
        bench_die("internal topics: %s", errstr);
    kstream_conf_t *conf = kb_app_conf(bootstrap, app_id, state_dir, true);
    if (eos)
        kb_conf_set(conf, "processing.guarantee", "exactly_once_v2");
    kb_reader_t *rd = kb_reader_start(
            bootstrap, out, PARTITIONS,
            count ? KB_READ_COUNTS : KB_READ_RECORDS, 1, n, NKEYS);
    kb_app_t a;
    kb_app_start(&a, topo, conf, NULL, NULL);
    kb_read_result_t rr;
    kb_reader_finish(rd, TIMEOUT_MS, &rr);
    finish_run(res, __atomic_load_n(&f.ns, __ATOMIC_ACQUIRE), &rr,
               __atomic_load_n(&f.cpu, __ATOMIC_RELAXED), what);
    uint64_t processed = kb_app_processed(&a);
    if (processed != n)
        bench_die("%s: the app processed %llu records, expected %llu",
                  what, (unsigned long long)processed,
                  (unsigned long long)n);
    kb_app_stop(&a);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(topo);
}

/* ---- main ---------------------------------------------------------------- */
static void print_row(const char *row, const run_t *r, int rounds,
                      const double *ratios, const char *target)
{
    printf("%s:", row);
    for (int i = 0; i < rounds; i++) {
        printf(" [%.0f k rec/s: %.3f s, %.2f cores, first out %.0f ms, %llu "
               "out",
               r[i].rate / 1e3, r[i].secs, r[i].cores, r[i].first_out * 1e3,
               (unsigned long long)r[i].out);
        if (r[i].commits)
            printf(", %llu commits", (unsigned long long)r[i].commits);
        if (ratios)
            printf(", ratio %.2f", ratios[i]);
        printf("]");
    }
    if (target)
        printf(" (target >= %s)", target);
    printf("\n");
}

int main(void)
{
    int rounds = bench_quick() ? 1 : ROUNDS;
    n = bench_scale(RECORDS);
    dc = kb_cluster(3);
    bootstrap = kstream_dev_cluster_bootstrap(dc);
    state_dir = kb_tmpdir("pipe");
    kb_create_topic(dc, INPUT, PARTITIONS);

    uint64_t st = 20240618;
    uint32_t *seq = malloc(n * sizeof(*seq));
    if (!seq)
        bench_die("out of memory");
    for (uint64_t i = 0; i < n; i++)
        seq[i] = (uint32_t)(bench_rand(&st) % NKEYS);
    kb_load(NAME, bootstrap, INPUT, PARTITIONS, n, seq);
    free(seq);
    kb_print_settings(NAME);

    run_t raw[ROUNDS], sl[ROUNDS], cnt[ROUNDS], sle[ROUNDS], cnte[ROUNDS];
    double rs[ROUNDS], rc[ROUNDS], rse[ROUNDS], rce[ROUNDS], v[ROUNDS];
    const char *only = getenv("BENCH_KAFKA_ONLY");
    if (only && *only) {
        /* For profiling: one row alone ("eos": the count at-least-once,
         * then exactly-once), no BENCH line. */
        bool eos = strcmp(only, "eos") == 0;
        for (int r = 0; r < rounds; r++) {
            if (strcmp(only, "raw") == 0) {
                run_raw(r, &raw[r]);
                printf("%s: raw %.0f k rec/s\n", NAME, raw[r].rate / 1e3);
            } else if (strcmp(only, "stateless") == 0) {
                run_app(false, false, r, &sl[r]);
                printf("%s: stateless %.0f k rec/s\n", NAME,
                       sl[r].rate / 1e3);
            } else if (eos || strcmp(only, "count") == 0) {
                run_app(true, false, r, &cnt[r]);
                printf("%s: count %.0f k rec/s\n", NAME, cnt[r].rate / 1e3);
            } else {
                bench_die("BENCH_KAFKA_ONLY=%s: raw, stateless, count or "
                          "eos", only);
            }
            if (eos) {
                run_app(true, true, r, &cnte[r]);
                printf("%s: count_eos %.0f k rec/s (%.2f)\n", NAME,
                       cnte[r].rate / 1e3, cnte[r].rate / cnt[r].rate);
            }
            fflush(stdout);
        }
        kstream_dev_cluster_destroy(dc);
        return 0;
    }
    for (int r = 0; r < rounds; r++) {
        run_raw(r, &raw[r]);
        run_app(false, false, r, &sl[r]);
        run_app(true, false, r, &cnt[r]);
        run_app(false, true, r, &sle[r]);
        run_app(true, true, r, &cnte[r]);
        rs[r] = sl[r].rate / raw[r].rate;
        rc[r] = cnt[r].rate / raw[r].rate;
        rse[r] = sle[r].rate / sl[r].rate;
        rce[r] = cnte[r].rate / cnt[r].rate;
        printf("%s: round %d: raw %.0f k rec/s, stateless %.0f k (%.2f), "
               "count %.0f k (%.2f), stateless_eos %.0f k (%.2f of "
               "stateless), count_eos %.0f k (%.2f of count)\n",
               NAME, r + 1, raw[r].rate / 1e3, sl[r].rate / 1e3, rs[r],
               cnt[r].rate / 1e3, rc[r], sle[r].rate / 1e3, rse[r],
               cnte[r].rate / 1e3, rce[r]);
        fflush(stdout);
    }
    printf("%s: %llu records per run, %d partitions, %d keys, %d round(s)"
           "%s; rate: first record consumed -> whole output read back\n",
           NAME, (unsigned long long)n, PARTITIONS, NKEYS, rounds,
           bench_quick() ? " [BENCH_QUICK]" : "");
    print_row("kafka_pipe_raw", raw, rounds, NULL, NULL);
    print_row("kafka_stateless", sl, rounds, rs, "0.85");
    print_row("kafka_count", cnt, rounds, rc, "0.50");
    print_row("kafka_stateless_eos", sle, rounds, rse,
              "0.80 of kafka_stateless");
    print_row("kafka_count_eos", cnte, rounds, rce, "0.80 of kafka_count");

    for (int r = 0; r < rounds; r++)
        v[r] = raw[r].rate;
    bench_result("kafka_pipe_raw", median(v, rounds), 1.0);
    for (int r = 0; r < rounds; r++)
        v[r] = sl[r].rate;
    bench_result("kafka_stateless", median(v, rounds), median(rs, rounds));
    for (int r = 0; r < rounds; r++)
        v[r] = cnt[r].rate;
    bench_result("kafka_count", median(v, rounds), median(rc, rounds));
    for (int r = 0; r < rounds; r++)
        v[r] = sle[r].rate;
    bench_result("kafka_stateless_eos", median(v, rounds),
                 median(rse, rounds));
    for (int r = 0; r < rounds; r++)
        v[r] = cnte[r].rate;
    bench_result("kafka_count_eos", median(v, rounds), median(rce, rounds));
    kstream_dev_cluster_destroy(dc);
    return 0;
}
