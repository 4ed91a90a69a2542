/* bench.h - helpers shared by the benchmarks (bench/NAME.c each).
 *
 * Each bench/NAME.c is built into build/bench/NAME, linked with
 * bench/common/bench.c, build/libkstream.a and
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so every
 * allocation made by the engine (static library) or the benchmark is
 * counted. Calls made inside shared libraries (libc itself, librdkafka,
 * RocksDB) are not.
 *
 * Output contract (bench/run.sh): human-readable lines, then one line per
 * result made by bench_result():
 *     BENCH <name> <records_per_second> <ratio>
 * the rate an integer, the ratio with 2 decimals (against the ceiling named
 * for that row, or 1 when there is none). */
#ifndef KSTREAM_BENCH_H
#define KSTREAM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation calls since the start: malloc + calloc + realloc (allocs),
 * those of them asking for less than BENCH_SMALL_ALLOC bytes (small: what a
 * per-record allocation would be; large ones are storage growing in big
 * steps, such as the test driver's log chunks), and free (frees). */
#define BENCH_SMALL_ALLOC (64 * 1024)
typedef struct bench_allocs_s {
    uint64_t allocs;
    uint64_t small;
    uint64_t frees;
} bench_allocs_t;

bench_allocs_t bench_allocs(void);

/* Monotonic time in nanoseconds (CLOCK_MONOTONIC). */
uint64_t bench_now_ns(void);
/* CPU time of the calling thread in nanoseconds (CLOCK_THREAD_CPUTIME_ID):
 * next to the wall-clock rate, it shows how much other load on the machine
 * took from a run. */
uint64_t bench_cpu_ns(void);

/* true when BENCH_QUICK is set to anything but "" or "0": benchmarks then
 * run about 10x fewer records (a smoke test, not a measurement). */
bool bench_quick(void);

/* n, or n / 10 (at least 1) in quick mode. */
uint64_t bench_scale(uint64_t n);

/* A deterministic PRNG (splitmix64). */
uint64_t bench_rand(uint64_t *state);
/* Fill buf with len pseudo-random bytes. */
void bench_fill(uint64_t *state, void *buf, size_t len);

/* Print the result line "BENCH <name> <rate> <ratio>". */
void bench_result(const char *name, double records_per_second, double ratio);

/* Print a message to stderr and exit(1). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                    noreturn));

#endif /* KSTREAM_BENCH_H */
