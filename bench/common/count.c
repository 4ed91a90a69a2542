/* count.c - see count.h. The count-by-key benchmarks:
 *
 *     source -> group_by_key -> count("counts") -> to_stream -> foreach
 *
 * Records. 100k distinct 16-byte keys: 12 pseudo-random bytes then the
 * key's index (4 bytes, big-endian), so the keys are spread over the key
 * space in random order and the foreach finds and checks a key's index
 * without a lookup (count_make_key, count_key_index).
 * Record i has the key seq[i], drawn uniformly at random (deterministic
 * PRNG) - neither a cycle, which is the LRU cache's worst case (every
 * access a miss), nor a skewed distribution, which would flatter the
 * cache - and a 100-byte random value from a pool (count ignores it).
 * 2M measured records after a 100k warm-up, in 5 rounds; the result is
 * the median round's rate (as driver_stateless). They are piped 64 at a
 * time with kstream_test_driver_pipe_list() (each processed before the
 * next, as with single pipes; the stores fetch the entries of the records
 * ahead meanwhile).
 *
 * Time. A real application commits every commit.interval.ms (default
 * 30 s) of wall-clock time; at the rates measured here 2M records take
 * well under 30 s, so a run that followed the real clock would never
 * commit, and the cache would never be flushed. The benchmark instead
 * assumes a nominal input rate of 10k records/s (1k in BENCH_QUICK mode,
 * so that quick runs commit too): it advances the driver's virtual wall
 * clock by 100 ms after every 1000 records, so the default commit interval
 * passes - and the driver commits, flushing the record cache - every 300k
 * records (7 commits over the 2.1M records), then commits once more at the
 * end. Record timestamps follow the same nominal clock. The advances and
 * the commits they cause are inside the timed rounds; the final commit is
 * timed separately (it is in the overall rate, not in the rounds).
 *
 * Config: "default.dsl.store" as given, the default record cache
 * (cache.max.bytes.buffering = 10 MiB: an entry of a 16-byte key and an
 * 8-byte count with its 8-byte timestamp takes 104 bytes of that bound,
 * so all 100k keys fit and records miss it only until their key was first
 * seen; updates reach the foreach when commits flush the cache), default
 * commit.interval.ms and rocksdb.memory.bytes, state.dir a mkdtemp
 * directory under /tmp (the driver makes its own subdirectory in it and
 * removes it; the benchmark removes the rest, also on bench_die).
 *
 * Checks. The foreach checks each update it receives: the key is one of
 * the generated keys, the value an 8-byte big-endian count, larger than
 * the last one seen for that key and at most the key's number of records
 * in the run (the generator's count; "piped so far" would cost a random
 * memory access per piped record in the timed loop). After the final
 * commit every key's last update equals its total count, and
 * kstream_test_driver_store_get() on "counts" gives that count for every
 * key (NOT_FOUND for a key that never occurred). Also records-processed
 * and the number of commits. Any mismatch: bench_die.
 *
 * Baselines (the drivers give them) run right after the engine on the
 * same records, round by round (count_engine_run); each round's time is
 * taken with CLOCK_MONOTONIC and the engine's CPU time is summed too (the
 * "per CPU second" rates: on a shared 2-core machine they vary less than
 * the wall-clock ones). Allocation calls are counted over the engine's
 * rounds only. */
#include "count.h"
#include "bench.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kstream.h>

#define TOPIC "input"
#define STORE "counts"
#define COMMIT_INTERVAL_MS 30000 /* commit.interval.ms's default */
#define RECORDS_PER_INTERVAL 300000ull /* nominal rate 10k records/s */
#define ADVANCE_EVERY 1000ull /* records between wall-clock advances */

/* ---- records and the temp directory -------------------------------------- */
static char *cleanup_dir;

static int rm_entry(const char *path, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void rm_tmpdir(void)
{
    if (cleanup_dir)
        nftw(cleanup_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void count_data_init(count_data_t *d)
{
    uint64_t st = 20240617;
    memset(d, 0, sizeof(*d));
    d->n = bench_scale(COUNT_RECORDS);
    d->warm = bench_scale(COUNT_WARMUP);
    uint64_t total = d->warm + d->n;
    d->seq = malloc(total * sizeof(*d->seq));
    d->values = malloc((size_t)COUNT_NVALUES * COUNT_VALUE_LEN);
    d->total = calloc(COUNT_NKEYS, sizeof(*d->total));
    if (!d->seq || !d->values || !d->total)
        bench_die("out of memory");
    bench_fill(&st, d->values, (size_t)COUNT_NVALUES * COUNT_VALUE_LEN);
    for (uint64_t i = 0; i < total; i++) {
        d->seq[i] = (uint32_t)(bench_rand(&st) % COUNT_NKEYS);
        d->total[d->seq[i]]++;
    }

    char tmpl[] = "/tmp/kstream-bench-count-XXXXXX";
    if (!mkdtemp(tmpl))
        bench_die("mkdtemp %s failed", tmpl);
    d->tmpdir = strdup(tmpl);
    if (!d->tmpdir)
        bench_die("out of memory");
    cleanup_dir = d->tmpdir;
    atexit(rm_tmpdir);
}

void count_data_free(count_data_t *d)
{
    rm_tmpdir();
    cleanup_dir = NULL;
    free(d->tmpdir);
    free(d->seq);
    free(d->values);
    free(d->total);
    memset(d, 0, sizeof(*d));
}

void count_round_range(const count_data_t *d, int r, uint64_t *from,
                       uint64_t *to)
{
    *from = d->warm + d->n * (uint64_t)r / COUNT_ROUNDS;
    *to = d->warm + d->n * (uint64_t)(r + 1) / COUNT_ROUNDS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the engine ----------------------------------------------------------- */
/* 8 bytes, not 16: the foreach reads one at random per update, and the
 * 100k of them (800 KB) then mostly stay in the CPU's L2 cache, keeping
 * the benchmark's own work small next to the engine's. */
typedef struct key_state_s {
    uint32_t total; /* the key's records over the whole run */
    uint32_t seen;  /* last count the foreach saw */
} key_state_t;
_Static_assert(COUNT_WARMUP + COUNT_RECORDS < UINT32_MAX,
               "per-key counts fit key_state_t");

typedef struct sink_s {
    key_state_t *keys; /* COUNT_NKEYS */
    uint64_t forwarded;
} sink_t;

static kstream_err_t cb_foreach(const kstream_record_t *rec, void *opaque)
{
    sink_t *s = opaque;
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    uint32_t idx = count_key_index(k.data, k.len);
    if (idx == UINT32_MAX)
        bench_die("foreach: an unknown key (%zu bytes)", k.len);
    if (!v.data || v.len != 8)
        bench_die("foreach: a value of %zu bytes (%s)", v.len,
                  v.data ? "not a long" : "tombstone");
    key_state_t *ks = &s->keys[idx];
    uint64_t c = count_be64(v.data);
    if (c <= ks->seen || c > ks->total)
        bench_die("foreach: key %u counted %llu after %llu, with %llu "
                  "records of it in the run",
                  idx, (unsigned long long)c, (unsigned long long)ks->seen,
                  (unsigned long long)ks->total);
    ks->seen = (uint32_t)c; /* <= total */
    s->forwarded++;
    return KSTREAM_OK;
}

static uint64_t records_per_interval(void)
{
    return bench_scale(RECORDS_PER_INTERVAL);
}

#define PIPE_CHUNK 64 /* records per kstream_test_driver_pipe_list() */

/* Pipe records [from, to) with kstream_test_driver_pipe_list(), which
 * processes each before the next, as single pipes do, and lets the stores
 * fetch the entries of the records ahead meanwhile; chunks end where the
 * wall clock advances. */
static void pipe_range(kstream_test_driver_t *drv, const count_data_t *d,
                       uint64_t from, uint64_t to)
{
    const uint64_t rpi = records_per_interval();
    const int64_t step = (int64_t)(COMMIT_INTERVAL_MS * ADVANCE_EVERY / rpi);
    unsigned char keys[PIPE_CHUNK][COUNT_KEY_LEN];
    kstream_test_record_t recs[PIPE_CHUNK];
    for (uint64_t i = from; i < to;) {
        uint64_t next_advance = (i / ADVANCE_EVERY + 1) * ADVANCE_EVERY;
        uint64_t end = i + PIPE_CHUNK;
        if (end > to)
            end = to;
        if (end > next_advance)
            end = next_advance;
        size_t n = (size_t)(end - i), piped = 0;
        for (size_t k = 0; k < n; k++) {
            count_make_key(d->seq[i + k], keys[k]);
            recs[k] = (kstream_test_record_t){
                    .key = keys[k],
                    .key_len = COUNT_KEY_LEN,
                    .value = count_value(d, i + k),
                    .value_len = COUNT_VALUE_LEN,
                    .timestamp =
                            (int64_t)((i + k) * COMMIT_INTERVAL_MS / rpi),
                    .partition = -1};
        }
        kstream_err_t err =
                kstream_test_driver_pipe_list(drv, TOPIC, recs, n, &piped);
        if (err)
            bench_die("pipe %llu: %s: %s",
                      (unsigned long long)(i + piped), kstream_err2name(err),
                      kstream_test_driver_last_error(drv));
        i = end;
        if (i % ADVANCE_EVERY == 0) {
            err = kstream_test_driver_advance_wall_clock(drv, step);
            if (err)
                bench_die("advance_wall_clock after %llu: %s: %s",
                          (unsigned long long)i, kstream_err2name(err),
                          kstream_test_driver_last_error(drv));
        }
    }
}

static void conf_set(kstream_conf_t *conf, const char *k, const char *v)
{
    char errstr[512];
    if (kstream_conf_set(conf, k, v, errstr, sizeof(errstr)) !=
        KSTREAM_CONF_OK)
        bench_die("conf %s=%s: %s", k, v, errstr);
}

void count_engine_run(const count_data_t *d, const char *name,
                      const char *store, count_range_fn *base,
                      void *base_ctx, count_engine_t *res)
{
    char errstr[512], appid[128];
    sink_t sink;
    memset(res, 0, sizeof(*res));
    memset(&sink, 0, sizeof(sink));
    sink.keys = calloc(COUNT_NKEYS, sizeof(*sink.keys));
    if (!sink.keys)
        bench_die("out of memory");
    for (uint32_t k = 0; k < COUNT_NKEYS; k++)
        sink.keys[k].total = (uint32_t)d->total[k];

    kstream_builder_t *b = kstream_builder_new();
    if (!b)
        bench_die("out of memory");
    kstream_stream_t *s = kstream_builder_stream(b, TOPIC, NULL);
    kstream_table_t *t = kstream_grouped_count(kstream_stream_group_by_key(s),
                                               STORE);
    s = kstream_table_to_stream(t, NULL);
    if (kstream_stream_foreach(s, cb_foreach, &sink, NULL, NULL))
        bench_die("topology: %s", kstream_builder_error(b));
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo)
        bench_die("build: %s", errstr);
    kstream_conf_t *conf = kstream_conf_new();
    if (!conf)
        bench_die("out of memory");
    snprintf(appid, sizeof(appid), "bench-%s", name);
    conf_set(conf, "application.id", appid);
    conf_set(conf, "default.dsl.store", store);
    conf_set(conf, "state.dir", d->tmpdir);
    kstream_test_driver_t *drv = kstream_test_driver_new(topo, conf, errstr,
                                                         sizeof(errstr));
    if (!drv)
        bench_die("driver: %s", errstr);
    kstream_err_t err = kstream_test_driver_create_topic(drv, TOPIC, 1);
    if (err)
        bench_die("create topic: %s", kstream_err2name(err));

    /* Warm-up (the baseline's too), then the measured rounds, each engine
     * round followed by the same records through the baseline, then the
     * final commit. */
    pipe_range(drv, d, 0, d->warm);
    if (base)
        base(base_ctx, d, 0, d->warm);
    uint64_t fwd0 = sink.forwarded;
    uint64_t total_ns = 0, cpu_ns = 0, base_cpu_ns = 0;
    double ratios[COUNT_ROUNDS];
    for (int r = 0; r < COUNT_ROUNDS; r++) {
        uint64_t from, to;
        count_round_range(d, r, &from, &to);
        bench_allocs_t b0 = bench_allocs();
        uint64_t c0 = bench_cpu_ns();
        uint64_t t0 = bench_now_ns();
        pipe_range(drv, d, from, to);
        uint64_t t1 = bench_now_ns();
        uint64_t c1 = bench_cpu_ns();
        bench_allocs_t b1 = bench_allocs();
        res->allocs += b1.allocs - b0.allocs;
        res->small += b1.small - b0.small;
        total_ns += t1 - t0;
        cpu_ns += c1 - c0;
        res->rounds[r] = (double)(to - from) * 1e9 / (double)(t1 - t0);
        if (!base)
            continue;
        t0 = bench_now_ns();
        base(base_ctx, d, from, to);
        uint64_t t2 = bench_now_ns();
        base_cpu_ns += bench_cpu_ns() - c1;
        res->base_rounds[r] = (double)(to - from) * 1e9 / (double)(t2 - t0);
        ratios[r] = res->rounds[r] / res->base_rounds[r];
    }
    uint64_t fwd1 = sink.forwarded;
    uint64_t c0 = bench_cpu_ns();
    uint64_t t0 = bench_now_ns();
    err = kstream_test_driver_commit(drv);
    uint64_t t1 = bench_now_ns();
    cpu_ns += bench_cpu_ns() - c0;
    if (err)
        bench_die("commit: %s: %s", kstream_err2name(err),
                  kstream_test_driver_last_error(drv));
    total_ns += t1 - t0;
    res->final_commit_ms = (double)(t1 - t0) / 1e6;
    res->overall = (double)d->n * 1e9 / (double)total_ns;
    res->per_cpu = (double)d->n * 1e9 / (double)cpu_ns;
    qsort(res->rounds, COUNT_ROUNDS, sizeof(res->rounds[0]), cmp_double);
    res->rate = res->rounds[COUNT_ROUNDS / 2];
    if (base) {
        qsort(res->base_rounds, COUNT_ROUNDS, sizeof(res->base_rounds[0]),
              cmp_double);
        qsort(ratios, COUNT_ROUNDS, sizeof(ratios[0]), cmp_double);
        res->base_rate = res->base_rounds[COUNT_ROUNDS / 2];
        res->ratio = ratios[COUNT_ROUNDS / 2];
        res->base_per_cpu = (double)d->n * 1e9 / (double)base_cpu_ns;
    }
    res->forwarded = fwd1 - fwd0;

    /* Checks. */
    int64_t processed = 0;
    kstream_test_driver_metric(drv, "records-processed", &processed);
    if ((uint64_t)processed != d->warm + d->n)
        bench_die("records-processed is %lld, expected %llu",
                  (long long)processed,
                  (unsigned long long)(d->warm + d->n));
    kstream_test_driver_metric(drv, "commits", &res->commits);
    int64_t want_commits = kstream_test_driver_wall_clock(drv) /
                                   COMMIT_INTERVAL_MS + 1;
    if (res->commits < want_commits)
        bench_die("%lld commits, expected at least %lld",
                  (long long)res->commits, (long long)want_commits);
    uint64_t present = 0;
    for (uint32_t k = 0; k < COUNT_NKEYS; k++) {
        unsigned char key[COUNT_KEY_LEN];
        kstream_bytes_t v;
        count_make_key(k, key);
        if (sink.keys[k].seen != d->total[k])
            bench_die("key %u: the foreach's last count is %llu, expected "
                      "%llu", k, (unsigned long long)sink.keys[k].seen,
                      (unsigned long long)d->total[k]);
        err = kstream_test_driver_store_get(drv, STORE, key, COUNT_KEY_LEN,
                                            &v);
        if (d->total[k] == 0) {
            if (err != KSTREAM_ERR_NOT_FOUND)
                bench_die("key %u: never piped, store_get gives %s", k,
                          kstream_err2name(err));
            continue;
        }
        if (err)
            bench_die("key %u: store_get: %s", k, kstream_err2name(err));
        if (v.len != 8 || !v.data || count_be64(v.data) != d->total[k])
            bench_die("key %u: the store holds %llu (%zu bytes), expected "
                      "%llu", k,
                      v.len == 8 && v.data ?
                              (unsigned long long)count_be64(v.data) : 0ull,
                      v.len, (unsigned long long)d->total[k]);
        present++;
    }

    kstream_test_driver_destroy(drv);
    free(sink.keys);

    printf("%s: store %s, %llu records (+%llu warm-up), %llu keys, "
           "nominal %llu records/s (commit every %llu records): %llu "
           "commits, final commit %.1f ms%s\n",
           name, store, (unsigned long long)d->n,
           (unsigned long long)d->warm, (unsigned long long)present,
           (unsigned long long)(records_per_interval() * 1000 /
                                COMMIT_INTERVAL_MS),
           (unsigned long long)records_per_interval(),
           (long long)res->commits, res->final_commit_ms,
           bench_quick() ? " [BENCH_QUICK]" : "");
    printf("%s: %d rounds %.0f-%.0f k rec/s, overall %.0f k rec/s (%.0f k "
           "per CPU second); %.3f updates forwarded per record; %.3f "
           "mallocs/record (%llu allocation calls, %llu of them under "
           "%d KiB); counts checked for all %d keys\n",
           name, COUNT_ROUNDS, res->rounds[0] / 1e3,
           res->rounds[COUNT_ROUNDS - 1] / 1e3, res->overall / 1e3,
           res->per_cpu / 1e3, (double)res->forwarded / (double)d->n,
           (double)res->allocs / (double)d->n,
           (unsigned long long)res->allocs, (unsigned long long)res->small,
           BENCH_SMALL_ALLOC / 1024, COUNT_NKEYS);
    fflush(stdout);
}

bool count_engine_only(void)
{
    const char *v = getenv("BENCH_COUNT_ENGINE_ONLY");
    return v && *v && strcmp(v, "0") != 0;
}

