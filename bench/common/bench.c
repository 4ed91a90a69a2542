/* bench.c - see bench.h. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- allocation counting (-Wl,--wrap=...) ------------------------------
 * The benchmarks are single-threaded where they count; relaxed atomics keep
 * the counters exact if a library thread allocates too. */
static uint64_t n_allocs, n_small, n_frees;

static void count_alloc(size_t size)
{
    __atomic_fetch_add(&n_allocs, 1, __ATOMIC_RELAXED);
    if (size < BENCH_SMALL_ALLOC)
        __atomic_fetch_add(&n_small, 1, __ATOMIC_RELAXED);
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void __wrap_free(void *ptr);

void *__wrap_malloc(size_t size)
{
    count_alloc(size);
    return __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
    count_alloc(nmemb && size > SIZE_MAX / nmemb ? SIZE_MAX : nmemb * size);
    return __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    count_alloc(size);
    return __real_realloc(ptr, size);
}

void __wrap_free(void *ptr)
{
    if (ptr)
        __atomic_fetch_add(&n_frees, 1, __ATOMIC_RELAXED);
    __real_free(ptr);
}

bench_allocs_t bench_allocs(void)
{
    bench_allocs_t a = {__atomic_load_n(&n_allocs, __ATOMIC_RELAXED),
                        __atomic_load_n(&n_small, __ATOMIC_RELAXED),
                        __atomic_load_n(&n_frees, __ATOMIC_RELAXED)};
    return a;
}

/* ---- time, scale, PRNG, output -------------------------------------------- */
uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool bench_quick(void)
{
    const char *v = getenv("BENCH_QUICK");
    return v && *v && strcmp(v, "0") != 0;
}

uint64_t bench_scale(uint64_t n)
{
    if (!bench_quick())
        return n;
    return n / 10 ? n / 10 : 1;
}

uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void bench_fill(uint64_t *state, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        uint64_t r = bench_rand(state);
        size_t n = len < sizeof(r) ? len : sizeof(r);
        memcpy(p, &r, n);
        p += n;
        len -= n;
    }
}

void bench_result(const char *name, double records_per_second, double ratio)
{
    if (records_per_second < 0)
        records_per_second = 0;
    printf("BENCH %s %llu %.2f\n", name,
           (unsigned long long)(records_per_second + 0.5), ratio);
    fflush(stdout);
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}
