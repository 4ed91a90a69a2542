/* driver_join_stream_stream.c - an inner windowed stream-stream join
 * through the test driver:
 *
 *     stream("left") --+
 *                      +-> join_stream(inner, 10 s window) -> foreach
 *     stream("right") -+
 *
 * with "default.dsl.store" = "rocksdb" (the join's window stores) and the
 * default record cache; kstream_join_windows(10000, 0): a left record at
 * time t joins right records in [t - 10 s, t + 10 s], grace 0.
 *
 * Records. The count benchmarks' keys, values and key sequence
 * (bench/common/count.h): record i of the combined input (100k warm-up,
 * then 2M measured) has the key seq[i] (uniform over 100k keys) and the
 * 100-byte pool value i, and goes to "left" when i is even, to "right" when
 * i is odd: two streams of 1M measured records each, interleaved, record
 * pair p = i / 2 at timestamp p ms (1 ms per pair, in order: nothing is
 * late). The key space is the count benchmarks' 100k: a left record sees
 * the ~20k right records of its +-10 s window, ~0.2 of them with its key,
 * so about one result per 10 input records - enough state (each store
 * holds the last ~20 s, ~20k records per side) and enough results to
 * measure both the store writes, the window fetches and the emitting.
 *
 * Expected results, computed exactly in the generator: every pair (left
 * pair p, right pair q) with the same key and |p - q| <= 10000 gives one
 * result (emitted when the later of the two arrives; the records arrive in
 * timestamp order, so none is dropped as late): per key, the sorted list
 * of its right records' pair numbers, and for each left record two binary
 * searches. The joiner concatenates the two values (a 200-byte result);
 * the foreach checks its key and length and counts. After the run: the
 * count equals the expected one, records-processed = all input records,
 * late-records-dropped = 0, at least the expected number of commits (the
 * virtual wall clock advances at the count benchmarks' nominal 10k
 * records/s, 1k in BENCH_QUICK). bench_die on a mismatch.
 *
 * Rate: input records (both streams) per second, median of 5 rounds of
 * 400k records. Ratio: against driver_count_rocksdb's engine workload run
 * in this process with the join's rounds interleaved (as
 * driver_join_stream_table: count_engine_run calls the join as its
 * "baseline"; median of the per-round ratios join / count). Allocation
 * calls are counted over the join's rounds only.
 *
 * BENCH_QUICK=1: 10x fewer records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstream.h>

#include "common/bench.h"
#include "common/count.h"

#define NAME "driver_join_stream_stream"
#define LEFT_TOPIC "left"
#define RIGHT_TOPIC "right"
#define WINDOW_MS 10000
#define COMMIT_INTERVAL_MS 30000
#define RECORDS_PER_INTERVAL 300000ull
#define ADVANCE_EVERY 1000ull
#define RESULT_LEN (2 * COUNT_VALUE_LEN)

typedef struct join_s {
    const count_data_t *d;
    const count_engine_t *cres; /* the count run's result being filled */
    kstream_test_driver_t *drv;
    int calls; /* 0: warm-up, then round r = calls - 1 */
    uint64_t results;
    double rounds[COUNT_ROUNDS];
    double sorted[COUNT_ROUNDS];
    double ratios[COUNT_ROUNDS];
    uint64_t allocs, small, measured, round_results;
} join_t;

static void conf_set(kstream_conf_t *conf, const char *k, const char *v)
{
    char errstr[512];
    if (kstream_conf_set(conf, k, v, errstr, sizeof(errstr)) !=
        KSTREAM_CONF_OK)
        bench_die("conf %s=%s: %s", k, v, errstr);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The exact number of results: pairs (left p, right q), same key,
 * |p - q| <= WINDOW_MS (timestamps are pair numbers in ms). */
static uint64_t expected_results(const count_data_t *d)
{
    uint64_t total = d->warm + d->n;
    uint64_t *off = calloc(COUNT_NKEYS + 1, sizeof(*off));
    uint64_t *fill = calloc(COUNT_NKEYS, sizeof(*fill));
    uint64_t *pairs = malloc((total / 2 + 1) * sizeof(*pairs));
    if (!off || !fill || !pairs)
        bench_die("out of memory");
    for (uint64_t i = 1; i < total; i += 2)
        off[d->seq[i] + 1]++;
    for (uint32_t k = 0; k < COUNT_NKEYS; k++)
        off[k + 1] += off[k];
    for (uint64_t i = 1; i < total; i += 2) {
        uint32_t k = d->seq[i];
        pairs[off[k] + fill[k]++] = i / 2; /* increasing within a key */
    }
    uint64_t n = 0;
    for (uint64_t i = 0; i < total; i += 2) {
        uint32_t k = d->seq[i];
        uint64_t p = i / 2;
        uint64_t lo_t = p > WINDOW_MS ? p - WINDOW_MS : 0, hi_t = p + WINDOW_MS;
        /* first index with pairs[] >= lo_t, first with pairs[] > hi_t */
        uint64_t a = off[k], b = off[k + 1];
        while (a < b) {
            uint64_t m = a + (b - a) / 2;
            if (pairs[m] < lo_t)
                a = m + 1;
            else
                b = m;
        }
        uint64_t lo = a;
        b = off[k + 1];
        while (a < b) {
            uint64_t m = a + (b - a) / 2;
            if (pairs[m] <= hi_t)
                a = m + 1;
            else
                b = m;
        }
        n += a - lo;
    }
    free(off);
    free(fill);
    free(pairs);
    return n;
}

static kstream_err_t cb_joiner(const kstream_record_t *left,
                               const kstream_record_t *right,
                               kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t l = kstream_record_value(left);
    kstream_bytes_t r = kstream_record_value(right);
    unsigned char *v = kstream_record_alloc_value(out, l.len + r.len);
    if (!v)
        return KSTREAM_ERR_NO_MEMORY;
    memcpy(v, l.data, l.len);
    memcpy(v + l.len, r.data, r.len);
    return KSTREAM_OK;
}

static kstream_err_t cb_foreach(const kstream_record_t *rec, void *opaque)
{
    join_t *j = opaque;
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    if (count_key_index(k.data, k.len) == UINT32_MAX)
        bench_die("foreach: an unknown key (%zu bytes)", k.len);
    if (!v.data || v.len != RESULT_LEN)
        bench_die("foreach: a result of %zu bytes", v.len);
    j->results++;
    return KSTREAM_OK;
}

static void pipe_range(join_t *j, uint64_t from, uint64_t to)
{
    const uint64_t rpi = bench_scale(RECORDS_PER_INTERVAL);
    const int64_t step = (int64_t)(COMMIT_INTERVAL_MS * ADVANCE_EVERY / rpi);
    unsigned char key[COUNT_KEY_LEN];
    for (uint64_t i = from; i < to; i++) {
        count_make_key(j->d->seq[i], key);
        kstream_err_t err = kstream_test_driver_pipe(
                j->drv, (i & 1) ? RIGHT_TOPIC : LEFT_TOPIC, key,
                COUNT_KEY_LEN, count_value(j->d, i), COUNT_VALUE_LEN,
                (int64_t)(i / 2));
        if (err)
            bench_die("pipe %llu: %s: %s", (unsigned long long)i,
                      kstream_err2name(err),
                      kstream_test_driver_last_error(j->drv));
        if ((i + 1) % ADVANCE_EVERY == 0) {
            err = kstream_test_driver_advance_wall_clock(j->drv, step);
            if (err)
                bench_die("advance_wall_clock: %s: %s",
                          kstream_err2name(err),
                          kstream_test_driver_last_error(j->drv));
        }
    }
}

/* count_engine_run's "baseline": the join over the same record range,
 * right after the count engine's round (cres->rounds[r] is set then). */
static void join_range(void *ctx, const count_data_t *d, uint64_t from,
                       uint64_t to)
{
    join_t *j = ctx;
    (void)d;
    int r = j->calls++ - 1;
    if (r < 0) {
        pipe_range(j, from, to);
        return;
    }
    uint64_t res0 = j->results;
    bench_allocs_t b0 = bench_allocs();
    uint64_t t0 = bench_now_ns();
    pipe_range(j, from, to);
    uint64_t t1 = bench_now_ns();
    bench_allocs_t b1 = bench_allocs();
    j->allocs += b1.allocs - b0.allocs;
    j->small += b1.small - b0.small;
    j->measured += to - from;
    j->round_results += j->results - res0;
    j->rounds[r] = (double)(to - from) * 1e9 / (double)(t1 - t0);
    j->ratios[r] = j->rounds[r] / j->cres->rounds[r];
}

int main(void)
{
    char errstr[512];
    count_data_t d;
    count_engine_t e;
    join_t j;
    count_data_init(&d);
    memset(&j, 0, sizeof(j));
    j.d = &d;
    j.cres = &e;
    uint64_t want = expected_results(&d);

    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *l = kstream_builder_stream(b, LEFT_TOPIC, NULL);
    kstream_stream_t *r = kstream_builder_stream(b, RIGHT_TOPIC, NULL);
    kstream_stream_t *s = kstream_stream_join_stream(
            l, r, kstream_join_windows(WINDOW_MS, 0), KSTREAM_JOIN_INNER,
            cb_joiner, NULL, NULL, "join");
    if (!s || kstream_stream_foreach(s, cb_foreach, &j, NULL, NULL))
        bench_die("topology: %s", kstream_builder_error(b));
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    kstream_conf_t *conf = kstream_conf_new();
    if (!conf)
        bench_die("out of memory");
    conf_set(conf, "application.id", "bench-" NAME);
    conf_set(conf, "default.dsl.store", "rocksdb");
    conf_set(conf, "state.dir", d.tmpdir);
    j.drv = kstream_test_driver_new(topo, conf, errstr, sizeof(errstr));
    if (!j.drv)
        bench_die("driver: %s", errstr);
    if (kstream_test_driver_create_topic(j.drv, LEFT_TOPIC, 1) ||
        kstream_test_driver_create_topic(j.drv, RIGHT_TOPIC, 1))
        bench_die("create topics failed");

    /* The count engine (driver_count_rocksdb's workload), with the join's
     * warm-up and rounds interleaved as its baseline. */
    count_engine_run(&d, "count_rocksdb(in-process)", "rocksdb", join_range,
                     &j, &e);
    if (j.calls != COUNT_ROUNDS + 1)
        bench_die("the join ran %d times", j.calls);

    kstream_err_t err = kstream_test_driver_commit(j.drv);
    if (err)
        bench_die("commit: %s: %s", kstream_err2name(err),
                  kstream_test_driver_last_error(j.drv));
    uint64_t total = d.warm + d.n;
    if (j.results != want)
        bench_die("%llu results, expected %llu",
                  (unsigned long long)j.results, (unsigned long long)want);
    int64_t processed = 0, commits = 0, late = 0;
    kstream_test_driver_metric(j.drv, "records-processed", &processed);
    if ((uint64_t)processed != total)
        bench_die("records-processed is %lld, expected %llu",
                  (long long)processed, (unsigned long long)total);
    kstream_test_driver_metric(j.drv, "late-records-dropped", &late);
    if (late != 0)
        bench_die("%lld late records dropped", (long long)late);
    kstream_test_driver_metric(j.drv, "commits", &commits);
    int64_t want_commits = kstream_test_driver_wall_clock(j.drv) /
                                   COMMIT_INTERVAL_MS + 1;
    if (commits < want_commits)
        bench_die("%lld commits, expected at least %lld",
                  (long long)commits, (long long)want_commits);
    kstream_test_driver_destroy(j.drv);

    memcpy(j.sorted, j.rounds, sizeof(j.rounds));
    qsort(j.sorted, COUNT_ROUNDS, sizeof(double), cmp_double);
    qsort(j.ratios, COUNT_ROUNDS, sizeof(double), cmp_double);
    double rate = j.sorted[COUNT_ROUNDS / 2];
    double ratio = j.ratios[COUNT_ROUNDS / 2];

    printf("%s: 2 x %llu input records (+%llu warm-up), %d keys, window "
           "+-%d ms at 1 ms per record pair: %llu results (%llu expected; "
           "%.3f per measured input record), %lld commits%s\n",
           NAME, (unsigned long long)(d.n / 2), (unsigned long long)d.warm,
           COUNT_NKEYS, WINDOW_MS, (unsigned long long)j.results,
           (unsigned long long)want,
           (double)j.round_results / (double)j.measured, (long long)commits,
           bench_quick() ? " [BENCH_QUICK]" : "");
    printf("%s: %.0f k input rec/s (%.2f us/record; %d rounds %.0f-%.0f k), "
           "%.3f mallocs/record (%llu allocation calls, %llu under %d KiB); "
           "in-process count_rocksdb %.0f k rec/s, rounds interleaved: "
           "ratio %.2f\n",
           NAME, rate / 1e3, 1e6 / rate, COUNT_ROUNDS, j.sorted[0] / 1e3,
           j.sorted[COUNT_ROUNDS - 1] / 1e3,
           (double)j.allocs / (double)j.measured,
           (unsigned long long)j.allocs, (unsigned long long)j.small,
           BENCH_SMALL_ALLOC / 1024, e.rate / 1e3, ratio);
    count_data_free(&d);
    bench_result(NAME, rate, ratio);
    return 0;
}
