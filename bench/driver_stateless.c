/* driver_stateless.c - a stateless 3-operator chain through the test driver:
 *
 *     source -> map_values -> filter -> foreach
 *
 * 16-byte keys (100k distinct, cycling) and 100-byte values, pre-generated
 * with a deterministic PRNG. map_values writes a 100-byte value with
 * kstream_record_alloc_value() (a copy with its first 8 bytes transformed);
 * filter keeps about half the records by one byte of that value; foreach
 * counts and sums.
 *
 * Reports the engine's records/s over N piped records (after a warm-up):
 * the N records are piped in ROUNDS equal rounds, each timed with
 * CLOCK_MONOTONIC, and the median round's rate is the result (robust to
 * other load on a 2-core machine; the overall rate is printed too). Also
 * the allocation calls per record over all rounds (engine and the sim's
 * log storage included: see bench/common/bench.h), and the ratio of the
 * engine's rate to the rate of the same three callbacks' logic called in a
 * plain loop over the same records (the user work alone, median of ROUNDS
 * passes): the share of time spent on user work; 1 - ratio is engine and
 * test-driver overhead.
 *
 * BENCH_QUICK=1: 10x fewer records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kstream.h>

#include "common/bench.h"

#define NAME "driver_stateless"
#define NKEYS 100000
#define KEY_LEN 16
#define VALUE_LEN 100
#define RECORDS 2000000ull
#define WARMUP 100000ull
#define ROUNDS 5 /* the measured records are piped in this many rounds */
#define TOPIC "input"

static unsigned char *keys;   /* NKEYS * KEY_LEN */
static unsigned char *values; /* NKEYS * VALUE_LEN */

typedef struct sink_s {
    uint64_t count;
    uint64_t sum;
} sink_t;

/* ---- the user work, shared by the callbacks and the baseline loop --------
 * noinline: the baseline calls them as the callbacks do, not fused into its
 * loop. */
__attribute__((noinline)) static void map_logic(const unsigned char *in,
                                                unsigned char *out,
                                                size_t len)
{
    /* Copy, then stamp the first 8 bytes (a cheap "transform"). */
    memcpy(out, in, len);
    if (len >= 8) {
        uint64_t w;
        memcpy(&w, out, 8);
        w = w * 0x9e3779b97f4a7c15ull + 7u;
        memcpy(out, &w, 8);
    }
}

__attribute__((noinline)) static bool filter_logic(const unsigned char *v,
                                                   size_t len)
{
    return len > 0 && (v[0] & 1u) == 0;
}

__attribute__((noinline)) static void foreach_logic(sink_t *s,
                                                    const unsigned char *k,
                                                    size_t klen,
                                                    const unsigned char *v,
                                                    size_t vlen)
{
    s->count++;
    s->sum += (klen ? k[0] : 0) + (vlen ? v[vlen - 1] : 0) + klen + vlen;
}

/* ---- the callbacks -------------------------------------------------------- */
static kstream_err_t cb_map(const kstream_record_t *in, kstream_record_t *out,
                            void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    unsigned char *p = kstream_record_alloc_value(out, v.len);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    map_logic(v.data, p, v.len);
    return KSTREAM_OK;
}

static kstream_err_t cb_filter(const kstream_record_t *rec, bool *match,
                               void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *match = filter_logic(v.data, v.len);
    return KSTREAM_OK;
}

static kstream_err_t cb_foreach(const kstream_record_t *rec, void *opaque)
{
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    foreach_logic(opaque, k.data, k.len, v.data, v.len);
    return KSTREAM_OK;
}

/* ---- records ---------------------------------------------------------------- */
static const unsigned char *key_of(uint64_t i)
{
    return keys + (i % NKEYS) * KEY_LEN;
}

static const unsigned char *value_of(uint64_t i)
{
    return values + (i % NKEYS) * VALUE_LEN;
}

static void gen_records(void)
{
    uint64_t st = 20240601;
    keys = malloc((size_t)NKEYS * KEY_LEN);
    values = malloc((size_t)NKEYS * VALUE_LEN);
    if (!keys || !values)
        bench_die("out of memory");
    bench_fill(&st, keys, (size_t)NKEYS * KEY_LEN);
    bench_fill(&st, values, (size_t)NKEYS * VALUE_LEN);
}

static void pipe_range(kstream_test_driver_t *drv, uint64_t from,
                       uint64_t to)
{
    for (uint64_t i = from; i < to; i++) {
        kstream_err_t err = kstream_test_driver_pipe(
                drv, TOPIC, key_of(i), KEY_LEN, value_of(i), VALUE_LEN,
                (int64_t)(1000 + i));
        if (err)
            bench_die("pipe %llu: %s: %s", (unsigned long long)i,
                      kstream_err2name(err),
                      kstream_test_driver_last_error(drv));
    }
}

/* The callbacks' logic in a plain loop over the same records. */
static double baseline_round(uint64_t from, uint64_t to, sink_t *s)
{
    unsigned char out[VALUE_LEN];
    memset(s, 0, sizeof(*s));
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = from; i < to; i++) {
        map_logic(value_of(i), out, VALUE_LEN);
        if (filter_logic(out, VALUE_LEN))
            foreach_logic(s, key_of(i), KEY_LEN, out, VALUE_LEN);
    }
    uint64_t t1 = bench_now_ns();
    return (double)(to - from) * 1e9 / (double)(t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    const uint64_t n = bench_scale(RECORDS);
    const uint64_t warm = bench_scale(WARMUP);
    char errstr[512];
    sink_t sink = {0, 0};

    gen_records();

    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *s = kstream_builder_stream(b, TOPIC, NULL);
    s = kstream_stream_map_values(s, cb_map, NULL, NULL, NULL);
    s = kstream_stream_filter(s, cb_filter, NULL, NULL, NULL);
    if (kstream_stream_foreach(s, cb_foreach, &sink, NULL, NULL))
        bench_die("topology: %s", kstream_builder_error(b));
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    kstream_conf_t *conf = kstream_conf_new();
    if (!conf || kstream_conf_set(conf, "application.id", "bench-" NAME,
                                  errstr, sizeof(errstr)) != KSTREAM_CONF_OK)
        bench_die("conf: %s", errstr);
    kstream_test_driver_t *drv = kstream_test_driver_new(topo, conf, errstr,
                                                         sizeof(errstr));
    if (!drv)
        bench_die("driver: %s", errstr);
    kstream_err_t err = kstream_test_driver_create_topic(drv, TOPIC, 1);
    if (err)
        bench_die("create topic: %s", kstream_err2name(err));

    /* Warm-up, then the measured rounds. */
    pipe_range(drv, 0, warm);
    memset(&sink, 0, sizeof(sink));
    double rounds[ROUNDS];
    uint64_t total_ns = 0;
    uint64_t cpu0 = bench_cpu_ns();
    bench_allocs_t a0 = bench_allocs();
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t from = warm + n * (uint64_t)r / ROUNDS;
        uint64_t to = warm + n * (uint64_t)(r + 1) / ROUNDS;
        uint64_t t0 = bench_now_ns();
        pipe_range(drv, from, to);
        uint64_t t1 = bench_now_ns();
        total_ns += t1 - t0;
        rounds[r] = (double)(to - from) * 1e9 / (double)(t1 - t0);
    }
    uint64_t cpu1 = bench_cpu_ns();
    bench_allocs_t a1 = bench_allocs();
    sink_t engine = sink;
    double overall = (double)n * 1e9 / (double)total_ns;
    double per_cpu = (double)n * 1e9 / (double)(cpu1 - cpu0);
    qsort(rounds, ROUNDS, sizeof(rounds[0]), cmp_double);
    double rate = rounds[ROUNDS / 2];
    uint64_t allocs = a1.allocs - a0.allocs;
    uint64_t small = a1.small - a0.small;

    int64_t processed = 0;
    kstream_test_driver_metric(drv, "records-processed", &processed);
    if ((uint64_t)processed != warm + n)
        bench_die("records-processed is %lld, expected %llu",
                  (long long)processed, (unsigned long long)(warm + n));

    /* The baseline: median of a few passes over the same records. */
    double passes[ROUNDS];
    sink_t base = {0, 0};
    for (int r = 0; r < ROUNDS; r++)
        passes[r] = baseline_round(warm, warm + n, &base);
    if (base.count != engine.count || base.sum != engine.sum)
        bench_die("the engine's foreach saw %llu records (sum %llu), the "
                  "baseline %llu (sum %llu)",
                  (unsigned long long)engine.count,
                  (unsigned long long)engine.sum,
                  (unsigned long long)base.count,
                  (unsigned long long)base.sum);
    qsort(passes, ROUNDS, sizeof(passes[0]), cmp_double);
    double base_rate = passes[ROUNDS / 2];

    kstream_test_driver_destroy(drv);
    free(keys);
    free(values);

    printf("%s: %llu records (+%llu warm-up) in %d rounds: %.2f-%.2f M "
           "rec/s, overall %.2f M rec/s (%.2f M per CPU second); filter "
           "kept %llu%s\n",
           NAME, (unsigned long long)n, (unsigned long long)warm, ROUNDS,
           rounds[0] / 1e6, rounds[ROUNDS - 1] / 1e6, overall / 1e6,
           per_cpu / 1e6,
           (unsigned long long)engine.count,
           bench_quick() ? " [BENCH_QUICK]" : "");
    printf("%s: %.2f M rec/s (%.0f ns/record), %.3f mallocs/record "
           "(%llu allocation calls, %llu of them under %d KiB), baseline "
           "%.1f M rec/s (%.0f ns/record)\n",
           NAME, rate / 1e6, 1e9 / rate, (double)allocs / (double)n,
           (unsigned long long)allocs, (unsigned long long)small,
           BENCH_SMALL_ALLOC / 1024, base_rate / 1e6, 1e9 / base_rate);
    bench_result(NAME, rate, rate / base_rate);
    return 0;
}
