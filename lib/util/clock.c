/* clock.c - monotonic and wall-clock time in milliseconds. */
#include "util/util.h"

#include <time.h>

static int64_t clock_ms(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts))
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ks_clock_mono_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t ks_clock_wall_ms(void) {
    return clock_ms(CLOCK_REALTIME);
}
