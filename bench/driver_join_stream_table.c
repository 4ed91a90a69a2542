/* driver_join_stream_table.c - an inner stream-table join through the test
 * driver:
 *
 *     table("table") --------------------------+
 *     stream("stream") -> join_table(inner) -> foreach
 *
 * with "default.dsl.store" = "rocksdb" and the default record cache.
 *
 * Records. The keys, values and key sequence of the count benchmarks
 * (bench/common/count.h): 100k distinct 16-byte keys, 100-byte values from
 * a pool. First the table: one record per key (all 100k, value: pool entry
 * of the key's index), piped before anything is timed. Then the stream:
 * 2M measured records after a 100k warm-up, key i = count's seq[i] (uniform
 * over the 100k keys), value = pool entry i. The joiner concatenates the
 * stream value and the table value (a 200-byte result, written with
 * kstream_record_alloc_value); the foreach checks each result's key and
 * that its second half is the key's table value (first 8 bytes), and
 * counts. Time: the virtual wall clock advances at the count benchmarks'
 * nominal 10k records/s (100 ms per 1000 stream records; 1k/s in
 * BENCH_QUICK) so that commits (and cache flushes) happen every 300k
 * records; stream timestamps follow the same clock, after the table's.
 *
 * Checks (bench_die on a mismatch): every stream record gives exactly one
 * result (every key is in the table), records-processed = table + stream
 * records, at least the expected number of commits.
 *
 * Rate: the median of 5 rounds of 400k stream records (the table load is
 * not timed). Ratio: against driver_count_rocksdb's engine workload run in
 * this process (count_engine_run from bench/common/count.c, same records,
 * same store and cache): count_engine_run calls this benchmark's join as
 * its "baseline", so each join round runs right after the count round over
 * the same record range; the ratio is the median of the per-round ratios
 * join rate / count rate (robust to load changing during the run). A ratio
 * of 1 means a stream-table join record costs what a count-by-key record
 * costs. Allocation calls are counted over the join's rounds only.
 *
 * BENCH_QUICK=1: 10x fewer records (the table keeps its 100k keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstream.h>

#include "common/bench.h"
#include "common/count.h"

#define NAME "driver_join_stream_table"
#define STREAM_TOPIC "stream"
#define TABLE_TOPIC "table"
#define COMMIT_INTERVAL_MS 30000
#define RECORDS_PER_INTERVAL 300000ull
#define ADVANCE_EVERY 1000ull
#define RESULT_LEN (2 * COUNT_VALUE_LEN)

typedef struct join_s {
    const count_data_t *d;
    const count_engine_t *cres; /* the count run's result being filled */
    kstream_test_driver_t *drv;
    int calls; /* 0: warm-up, then round r = calls - 1 */
    int64_t ts0;
    uint64_t results;
    double rounds[COUNT_ROUNDS];
    double sorted[COUNT_ROUNDS];
    double ratios[COUNT_ROUNDS];
    uint64_t allocs, small, measured;
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
    uint32_t idx = count_key_index(k.data, k.len);
    if (idx == UINT32_MAX)
        bench_die("foreach: an unknown key (%zu bytes)", k.len);
    if (!v.data || v.len != RESULT_LEN)
        bench_die("foreach: a result of %zu bytes", v.len);
    if (memcmp((const unsigned char *)v.data + COUNT_VALUE_LEN,
               count_value(j->d, idx), 8) != 0)
        bench_die("foreach: key %u joined the wrong table value", idx);
    j->results++;
    return KSTREAM_OK;
}

static void pipe_stream(join_t *j, uint64_t from, uint64_t to)
{
    const uint64_t rpi = bench_scale(RECORDS_PER_INTERVAL);
    const int64_t step = (int64_t)(COMMIT_INTERVAL_MS * ADVANCE_EVERY / rpi);
    unsigned char key[COUNT_KEY_LEN];
    for (uint64_t i = from; i < to; i++) {
        count_make_key(j->d->seq[i], key);
        kstream_err_t err = kstream_test_driver_pipe(
                j->drv, STREAM_TOPIC, key, COUNT_KEY_LEN,
                count_value(j->d, i), COUNT_VALUE_LEN,
                j->ts0 + (int64_t)(i * COMMIT_INTERVAL_MS / rpi));
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

/* count_engine_run's "baseline": the join over the same records, right
 * after the count engine's round (whose rate, cres->rounds[r], is already
 * set then). */
static void join_range(void *ctx, const count_data_t *d, uint64_t from,
                       uint64_t to)
{
    join_t *j = ctx;
    (void)d;
    int r = j->calls++ - 1;
    if (r < 0) {
        pipe_stream(j, from, to);
        return;
    }
    uint64_t res0 = j->results;
    bench_allocs_t b0 = bench_allocs();
    uint64_t t0 = bench_now_ns();
    pipe_stream(j, from, to);
    uint64_t t1 = bench_now_ns();
    bench_allocs_t b1 = bench_allocs();
    j->allocs += b1.allocs - b0.allocs;
    j->small += b1.small - b0.small;
    j->measured += to - from;
    if (j->results - res0 != to - from)
        bench_die("round %d: %llu results for %llu stream records", r,
                  (unsigned long long)(j->results - res0),
                  (unsigned long long)(to - from));
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

    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_table_t *t = kstream_builder_table(b, TABLE_TOPIC, "table");
    kstream_stream_t *s = kstream_builder_stream(b, STREAM_TOPIC, NULL);
    s = kstream_stream_join_table(s, t, KSTREAM_JOIN_INNER, cb_joiner, NULL,
                                  NULL, "join");
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
    if (kstream_test_driver_create_topic(j.drv, TABLE_TOPIC, 1) ||
        kstream_test_driver_create_topic(j.drv, STREAM_TOPIC, 1))
        bench_die("create topics failed");

    /* The table: every key once, at timestamps 0 .. 99999 (not timed). */
    uint64_t t0 = bench_now_ns();
    for (uint32_t k = 0; k < COUNT_NKEYS; k++) {
        unsigned char key[COUNT_KEY_LEN];
        count_make_key(k, key);
        kstream_err_t err = kstream_test_driver_pipe(
                j.drv, TABLE_TOPIC, key, COUNT_KEY_LEN, count_value(&d, k),
                COUNT_VALUE_LEN, (int64_t)k);
        if (err)
            bench_die("pipe table %u: %s: %s", k, kstream_err2name(err),
                      kstream_test_driver_last_error(j.drv));
    }
    double table_ms = (double)(bench_now_ns() - t0) / 1e6;
    j.ts0 = COUNT_NKEYS;
    if (j.results != 0)
        bench_die("table updates alone gave %llu results",
                  (unsigned long long)j.results);

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
    uint64_t stream_n = d.warm + d.n;
    if (j.results != stream_n)
        bench_die("%llu results for %llu stream records",
                  (unsigned long long)j.results,
                  (unsigned long long)stream_n);
    int64_t processed = 0, commits = 0;
    kstream_test_driver_metric(j.drv, "records-processed", &processed);
    if ((uint64_t)processed != stream_n + COUNT_NKEYS)
        bench_die("records-processed is %lld, expected %llu",
                  (long long)processed,
                  (unsigned long long)(stream_n + COUNT_NKEYS));
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

    printf("%s: table of %d keys loaded in %.0f ms; %llu stream records "
           "(+%llu warm-up), %llu results (one per record), %lld "
           "commits%s\n",
           NAME, COUNT_NKEYS, table_ms, (unsigned long long)d.n,
           (unsigned long long)d.warm, (unsigned long long)j.results,
           (long long)commits, bench_quick() ? " [BENCH_QUICK]" : "");
    printf("%s: %.0f k rec/s (%.2f us/record; %d rounds %.0f-%.0f k), "
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
