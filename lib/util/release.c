/* release.c - giving freed heap memory back to the operating system.
 *
 * glibc's malloc keeps what is freed for later allocations, per arena (a
 * thread that allocates gets one of its own): librdkafka's broker threads
 * allocate every fetched batch and the stream thread frees them, the
 * producer's queue and the record cache's flushes come and go. Nothing
 * returns those pages to the system unless the free space happens to be
 * at the top of an arena, so a process's resident memory drifts to the sum
 * of every arena's high-water mark (about 20 MiB more than was in use in
 * `make bench`'s memory run). malloc_trim(0) hands the free pages of every
 * arena back (MADV_DONTNEED); it took ~0.6 ms with a 90 MiB heap.
 *
 * The stream threads call ks_memory_release() once per loop; it trims at
 * most every KS_RELEASE_INTERVAL_MS for the whole process, whichever
 * thread comes first. Other C libraries have no such call: elsewhere it
 * does nothing. */
#include "util/util.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

static int64_t last_release_ms; /* atomic */

bool ks_memory_release(int64_t now_ms) {
#if defined(__GLIBC__)
    int64_t last = __atomic_load_n(&last_release_ms, __ATOMIC_RELAXED);
    if (now_ms - last < KS_RELEASE_INTERVAL_MS ||
        !__atomic_compare_exchange_n(&last_release_ms, &last, now_ms, false,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return false;
    malloc_trim(0);
    return true;
#else
    (void)now_ms;
    return false;
#endif
}
