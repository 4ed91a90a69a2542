/* count.h - shared by the count-by-key benchmarks (driver_count_rocksdb,
 * driver_count_memory): the records, and the run of the engine through
 * the test driver with a baseline interleaved round by round. See
 * count.c. Linked into every benchmark (the Makefile's BENCH_COMMON). */
#ifndef KSTREAM_BENCH_COUNT_H
#define KSTREAM_BENCH_COUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define COUNT_NKEYS 100000
#define COUNT_KEY_LEN 16
#define COUNT_VALUE_LEN 100
#define COUNT_NVALUES 65536 /* distinct values (a pool, cycled) */
#define COUNT_RECORDS 2000000ull
#define COUNT_WARMUP 100000ull
#define COUNT_ROUNDS 5

/* Records 0 .. warm + n - 1: [0, warm) is the warm-up, [warm, warm + n)
 * the measured part, in COUNT_ROUNDS equal rounds (count_round_range). */
typedef struct count_data_s {
    uint64_t warm, n;
    uint32_t *seq;         /* key index of record i (uniform random) */
    unsigned char *values; /* COUNT_NVALUES * COUNT_VALUE_LEN */
    uint64_t *total;       /* each key's count over all records */
    char *tmpdir;          /* mkdtemp under /tmp, removed at exit */
} count_data_t;

/* Generate everything (deterministic) and make the temp directory. */
void count_data_init(count_data_t *d);
void count_data_free(count_data_t *d);

/* The key of index k (< COUNT_NKEYS): 12 pseudo-random bytes, a function
 * of k, then k (4 bytes, big-endian). Computed, not looked up in a table,
 * so that making a record's key, and checking a key the engine hands
 * back, cost a few ALU operations and no cache miss: the benchmark's own
 * work stays small next to the engine's. */
static inline uint64_t count_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void count_make_key(uint32_t k, unsigned char *out)
{
    uint64_t a = count_mix((uint64_t)k * 0x9e3779b97f4a7c15ull + 20240617u);
    uint64_t b = count_mix(a);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 4);
    out[12] = (unsigned char)(k >> 24);
    out[13] = (unsigned char)(k >> 16);
    out[14] = (unsigned char)(k >> 8);
    out[15] = (unsigned char)k;
}

/* The index of a generated key, or UINT32_MAX for any other bytes. */
static inline uint32_t count_key_index(const void *key, size_t len)
{
    const unsigned char *p = key;
    unsigned char want[COUNT_KEY_LEN];
    if (!p || len != COUNT_KEY_LEN)
        return UINT32_MAX;
    uint32_t k = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 |
                 (uint32_t)p[14] << 8 | p[15];
    if (k >= COUNT_NKEYS)
        return UINT32_MAX;
    count_make_key(k, want);
    return memcmp(p, want, COUNT_KEY_LEN) == 0 ? k : UINT32_MAX;
}

static inline const unsigned char *count_value(const count_data_t *d,
                                               uint64_t i)
{
    return d->values + (i % COUNT_NVALUES) * COUNT_VALUE_LEN;
}

/* The records of measured round r. */
void count_round_range(const count_data_t *d, int r, uint64_t *from,
                       uint64_t *to);

/* A baseline: the same work in a plain loop over records [from, to)
 * (called for the warm-up, then once per measured round). */
typedef void count_range_fn(void *ctx, const count_data_t *d, uint64_t from,
                            uint64_t to);

/* Result of a run. Rates in records/s. */
typedef struct count_engine_s {
    double rate;                 /* the engine's median round */
    double rounds[COUNT_ROUNDS]; /* sorted */
    double overall;              /* all measured records, final commit incl. */
    double per_cpu;              /* records per CPU second (this thread) */
    uint64_t allocs, small;      /* allocation calls in the engine's rounds */
    uint64_t forwarded;          /* updates that reached the foreach */
    int64_t commits;
    double final_commit_ms;
    /* With a baseline: */
    double base_rate;                 /* median round */
    double base_rounds[COUNT_ROUNDS]; /* sorted */
    double base_per_cpu;
    double ratio; /* median over the rounds of engine / baseline */
} count_engine_t;

/* Run the topology source -> group_by_key -> count("counts") -> to_stream
 * -> foreach through the test driver with "default.dsl.store" = store,
 * check every update the foreach sees and the final store contents
 * (bench_die on a mismatch), print the human-readable lines.
 *
 * base (NULL: none) runs the same records right after the engine: its
 * warm-up after the engine's, and each measured round right after the
 * engine's round over the same records, so that both see the same load
 * on a shared machine; the ratio is the median of the per-round ratios
 * (robust to load that changes during the run). */
void count_engine_run(const count_data_t *d, const char *name,
                      const char *store, count_range_fn *base,
                      void *base_ctx, count_engine_t *res);

/* true when BENCH_COUNT_ENGINE_ONLY is set to anything but "" or "0": for
 * profiling the engine, the benchmarks then skip their baseline and print
 * no BENCH line (bench/run.sh would count that as a failure). */
bool count_engine_only(void);

/* Big-endian 8-byte count. */
static inline uint64_t count_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif /* KSTREAM_BENCH_COUNT_H */
