/* test_sim_prefault.c - the simulated log's memory made ahead by a helper
 * thread (sim_prefault.c): the helper's contract, and a log that fills many
 * full-size chunks keeps every record intact. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "testdriver/sim_int.h"

#define LEN ((size_t)1 << 20)

/* Ask until the helper has one ready (it is asked by every take). */
static void *take_ready(ks_sim_prefault_t *pf, size_t len) {
    for (int i = 0; i < 2000; i++) {
        void *m = ks_sim_prefault_take(pf, len);
        if (m)
            return m;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return NULL;
}

Test(sim_prefault, gives_zeroed_writable_mappings_of_the_size_asked) {
    ks_sim_prefault_t *pf = ks_sim_prefault_new();
    cr_assert(not(eq(ptr, pf, NULL)));
    /* The first take only asks: nothing was made yet. */
    cr_assert(eq(ptr, ks_sim_prefault_take(pf, LEN), NULL));
    unsigned char *m = take_ready(pf, LEN);
    cr_assert(not(eq(ptr, m, NULL)), "the helper made no mapping");
    for (size_t i = 0; i < LEN; i += 4096)
        cr_assert(eq(u8, m[i], 0));
    memset(m, 0xab, LEN); /* writable, all of it */
    cr_assert(eq(u8, m[LEN - 1], 0xab));
    cr_assert(eq(int, munmap(m, LEN), 0));
    ks_sim_prefault_destroy(pf);
}

Test(sim_prefault, a_mapping_of_another_size_is_never_handed_out) {
    ks_sim_prefault_t *pf = ks_sim_prefault_new();
    cr_assert(not(eq(ptr, pf, NULL)));
    void *m = take_ready(pf, LEN);
    cr_assert(not(eq(ptr, m, NULL)));
    munmap(m, LEN);
    /* That take asked for another of LEN: whether it is made yet or not,
     * a take of 2 * LEN cannot get it (its caller would write past it). */
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    cr_assert(eq(ptr, ks_sim_prefault_take(pf, 2 * LEN), NULL));
    unsigned char *o = take_ready(pf, 2 * LEN);
    cr_assert(not(eq(ptr, o, NULL)));
    memset(o, 1, 2 * LEN);
    cr_assert(eq(u8, o[2 * LEN - 1], 1));
    munmap(o, 2 * LEN);
    ks_sim_prefault_destroy(pf);
}

Test(sim_prefault, destroy_stops_a_busy_or_idle_helper) {
    /* Right after a request (busy), after one is ready (idle), and never
     * asked at all. */
    ks_sim_prefault_t *pf = ks_sim_prefault_new();
    cr_assert(not(eq(ptr, pf, NULL)));
    ks_sim_prefault_take(pf, 8 * LEN);
    ks_sim_prefault_destroy(pf);

    pf = ks_sim_prefault_new();
    cr_assert(not(eq(ptr, pf, NULL)));
    void *m = take_ready(pf, LEN);
    cr_assert(not(eq(ptr, m, NULL)));
    munmap(m, LEN);
    ks_sim_prefault_take(pf, LEN);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    ks_sim_prefault_destroy(pf);

    ks_sim_prefault_destroy(ks_sim_prefault_new());
    ks_sim_prefault_destroy(NULL);
}

/* ~48 MB of record data: the log fills its doubling chunks, then several
 * full-size ones from the helper; every record reads back as written. */
Test(sim_prefault, a_log_over_many_full_chunks_keeps_every_record,
     .timeout = 120) {
    ks_sim_t *sim = ks_sim_new();
    cr_assert(not(eq(ptr, sim, NULL)));
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 1), KSTREAM_OK));
    enum { N = 200000, VLEN = 240 };
    char key[16], val[VLEN];
    ks_out_t out = {.topic = "t", .partition = 0, .key = key,
                    .value = val, .value_len = VLEN};
    for (int i = 0; i < N; i++) {
        out.key_len = (size_t)snprintf(key, sizeof(key), "k%d", i);
        memset(val, 'a' + i % 26, VLEN);
        memcpy(val, &i, sizeof(i));
        if (ks_sim_append(sim, &out, NULL, NULL) != KSTREAM_OK)
            cr_fatal("append %d failed", i);
    }
    for (int i = 0; i < N; i++) {
        ks_msg_t m;
        if (ks_sim_read(sim, "t", 0, i, &m) != KSTREAM_OK)
            cr_fatal("read %d failed", i);
        int got;
        memcpy(&got, m.value, sizeof(got));
        if (m.value_len != VLEN || got != i ||
            ((const char *)m.value)[VLEN - 1] != 'a' + i % 26)
            cr_fatal("record %d came back changed", i);
        out.key_len = (size_t)snprintf(key, sizeof(key), "k%d", i);
        if (m.key_len != out.key_len || memcmp(m.key, key, m.key_len) != 0)
            cr_fatal("record %d: its key came back changed", i);
    }
    ks_sim_destroy(sim);
}
