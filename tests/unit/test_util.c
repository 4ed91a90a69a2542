/* test_util.c - lib/util: arena, buf, murmur2, map, vec, strings, clock. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- arena ------------------------------------------------------------- */

Test(arena, allocations_are_16_byte_aligned_and_distinct) {
    ks_arena_t *a = ks_arena_new(256);
    void *prev = NULL;
    size_t len;

    cr_assert_not_null(a);
    for (len = 0; len < 300; len++) {
        void *p = ks_arena_alloc(a, len);
        cr_assert_not_null(p);
        cr_assert(eq(u64, (uint64_t)((uintptr_t)p % 16), 0));
        cr_assert(ne(ptr, p, prev));
        memset(p, 0xab, len);
        prev = p;
    }
    ks_arena_destroy(a);
}

Test(arena, oversized_allocation_gets_own_chunk_and_head_keeps_room) {
    ks_arena_t *a = ks_arena_new(1024);
    uint8_t *small1 = ks_arena_alloc(a, 16);
    uint8_t *big = ks_arena_alloc(a, 10000);
    uint8_t *small2 = ks_arena_alloc(a, 16);

    cr_assert_not_null(big);
    memset(big, 1, 10000);
    /* The small allocations stay in the same first chunk. */
    cr_assert(eq(ptr, small2, small1 + 16));
    ks_arena_destroy(a);
}

Test(arena, memdup_and_strdup_copy) {
    ks_arena_t *a = ks_arena_new(0);
    const char *s = "hello arena";
    char *d = ks_arena_strdup(a, s);
    uint8_t bytes[5] = {1, 2, 3, 4, 5};
    uint8_t *b = ks_arena_memdup(a, bytes, sizeof(bytes));

    cr_assert(eq(str, d, "hello arena"));
    cr_assert(ne(ptr, d, (char *)s));
    cr_assert(eq(int, memcmp(b, bytes, 5), 0));
    cr_assert_null(ks_arena_strdup(a, NULL));
    cr_assert_not_null(ks_arena_memdup(a, NULL, 0));
    ks_arena_destroy(a);
}

Test(arena, reset_reuses_memory) {
    ks_arena_t *a = ks_arena_new(4096);
    void *p1 = ks_arena_alloc(a, 100);
    void *p2;

    ks_arena_reset(a);
    p2 = ks_arena_alloc(a, 100);
    cr_assert(eq(ptr, p1, p2));
    ks_arena_destroy(a);
}

/* A per-record workload: many small allocations, a few larger than the
 * chunk, overflowing several chunks. */
static void workload(ks_arena_t *a, int round) {
    int i;
    for (i = 0; i < 200; i++) {
        size_t len = (size_t)((i * 37 + round) % 300);
        uint8_t *p = ks_arena_alloc(a, len);
        cr_assert_not_null(p);
        memset(p, i, len);
    }
    cr_assert_not_null(ks_arena_alloc(a, 5000));
    cr_assert_not_null(ks_arena_alloc(a, 20000));
}

Test(arena, no_malloc_after_warm_up) {
    ks_arena_t *a = ks_arena_new(1024);
    uint64_t before;
    int round;

    workload(a, 0);
    ks_arena_reset(a);
    workload(a, 0);
    ks_arena_reset(a);
    before = ks_arena_mallocs(a);
    cr_assert(lt(u64, 1, before));
    for (round = 0; round < 100; round++) {
        workload(a, 0);
        ks_arena_reset(a);
    }
    cr_assert(eq(u64, ks_arena_mallocs(a), before));
    ks_arena_destroy(a);
}

Test(arena, huge_request_fails_without_malloc) {
    ks_arena_t *a = ks_arena_new(0);
    uint64_t m = ks_arena_mallocs(a);
    cr_assert_null(ks_arena_alloc(a, SIZE_MAX));
    cr_assert_null(ks_arena_alloc(a, SIZE_MAX - 8));
    cr_assert(eq(u64, ks_arena_mallocs(a), m));
    ks_arena_destroy(a);
}

Test(arena, destroy_null_is_noop) {
    ks_arena_destroy(NULL);
}

/* ---- buf --------------------------------------------------------------- */

Test(buf, heap_growth_keeps_content) {
    ks_buf_t b;
    int i;

    ks_buf_init(&b, NULL);
    for (i = 0; i < 10000; i++) {
        uint8_t c = (uint8_t)i;
        cr_assert(eq(int, ks_buf_append(&b, &c, 1), 0));
    }
    cr_assert(eq(sz, b.len, 10000));
    cr_assert(ge(sz, b.cap, 10000));
    for (i = 0; i < 10000; i++)
        cr_assert(eq(u8, b.data[i], (uint8_t)i));
    ks_buf_free(&b);
    cr_assert_null(b.data);
    cr_assert(eq(sz, b.len, 0));
}

Test(buf, arena_growth_copies_into_arena) {
    ks_arena_t *a = ks_arena_new(1024);
    ks_buf_t b;
    int i;
    uint64_t m;

    ks_buf_init(&b, a);
    for (i = 0; i < 5000; i++)
        cr_assert(eq(int, ks_buf_putc(&b, (char)('a' + i % 26)), 0));
    for (i = 0; i < 5000; i++)
        cr_assert(eq(chr, (char)b.data[i], (char)('a' + i % 26)));
    ks_buf_free(&b); /* no-op for arena memory */
    ks_arena_reset(a);

    /* Steady state: same growth pattern makes no malloc. */
    ks_buf_init(&b, a);
    for (i = 0; i < 5000; i++)
        ks_buf_putc(&b, 'x');
    ks_arena_reset(a);
    m = ks_arena_mallocs(a);
    ks_buf_init(&b, a);
    for (i = 0; i < 5000; i++)
        ks_buf_putc(&b, 'x');
    cr_assert(eq(u64, ks_arena_mallocs(a), m));
    ks_arena_destroy(a);
}

Test(buf, appendf_cstr_and_steal) {
    ks_buf_t b;
    char *s;
    int i;

    ks_buf_init(&b, NULL);
    cr_assert(eq(int, ks_buf_appendf(&b, "%s-%d", "abc", 42), 0));
    cr_assert(eq(str, ks_buf_cstr(&b), "abc-42"));
    cr_assert(eq(sz, b.len, 6));
    for (i = 0; i < 100; i++)
        cr_assert(eq(int, ks_buf_appendf(&b, "%08d", i), 0));
    cr_assert(eq(sz, b.len, 6 + 800));
    cr_assert(eq(int, memcmp(b.data + 6 + 99 * 8, "00000099", 8), 0));
    s = ks_buf_steal(&b);
    cr_assert_not_null(s);
    cr_assert(eq(sz, strlen(s), 806));
    cr_assert_null(b.data);
    free(s);

    /* Stealing an empty buffer gives "". */
    s = ks_buf_steal(&b);
    cr_assert(eq(str, s, ""));
    free(s);
}

Test(buf, steal_from_arena_gives_heap_copy) {
    ks_arena_t *a = ks_arena_new(0);
    ks_buf_t b;
    char *s;

    ks_buf_init(&b, a);
    ks_buf_append(&b, "xyz", 3);
    s = ks_buf_steal(&b);
    cr_assert(eq(str, s, "xyz"));
    free(s);
    cr_assert(eq(sz, b.len, 0));
    cr_assert(eq(ptr, b.arena, a));
    ks_arena_destroy(a);
}

Test(buf, reserve_zero_and_append_zero) {
    ks_buf_t b;
    ks_buf_init(&b, NULL);
    cr_assert(eq(int, ks_buf_append(&b, NULL, 0), 0));
    cr_assert(eq(int, ks_buf_reserve(&b, 0), 0));
    cr_assert(eq(int, ks_buf_putc(&b, 'x'), 0));
    cr_assert(eq(int, ks_buf_reserve(&b, SIZE_MAX), -1)); /* overflow */
    cr_assert(eq(sz, b.len, 1));
    ks_buf_free(&b);
}

/* ---- murmur2 ----------------------------------------------------------- */

struct mm_case {
    const char *s;
    int32_t h;
};

Test(murmur2, matches_kafka_utils_test) {
    /* Kafka clients UtilsTest.testMurmur2. */
    static const struct mm_case cases[] = {
            {"21", -973932308},
            {"foobar", -790332482},
            {"a-little-bit-long-string", -985981536},
            {"a-little-bit-longer-string", -1486304829},
            {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
            {"abc", 479470107},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert(eq(i32, ks_murmur2(cases[i].s, strlen(cases[i].s)),
                     cases[i].h),
                  "murmur2(\"%s\")", cases[i].s);
}

Test(murmur2, matches_kafka_for_every_tail_length) {
    /* Values of Utils.murmur2(s.getBytes(UTF_8)), lengths 1..5. */
    static const struct mm_case cases[] = {
            {"1", -1993445489}, {"12", 126087238},      {"123", -267702483},
            {"1234", -1614185708}, {"12345", -1188365604},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert(eq(i32, ks_murmur2(cases[i].s, strlen(cases[i].s)),
                     cases[i].h),
                  "murmur2(\"%s\")", cases[i].s);
}

Test(murmur2, bytes_array_abc) {
    const uint8_t abc[] = {'a', 'b', 'c'};
    cr_assert(eq(i32, ks_murmur2(abc, 3), 479470107));
}

Test(partition, for_key_is_positive_murmur2_mod_n) {
    /* murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166. */
    cr_assert(eq(i32, ks_partition_for_key("foobar", 6, 1), 0));
    cr_assert(eq(i32, ks_partition_for_key("foobar", 6, 10),
                 1357151166 % 10));
    cr_assert(eq(i32, ks_partition_for_key("foobar", 6, 7),
                 1357151166 % 7));
    /* murmur2("abc") = 479470107 is positive already. */
    cr_assert(eq(i32, ks_partition_for_key("abc", 3, 12), 479470107 % 12));
    /* murmur2("21") = -973932308; & 0x7fffffff = 1173551340. */
    cr_assert(eq(i32, ks_partition_for_key("21", 2, 3), 1173551340 % 3));
}

Test(partition, bad_partition_count) {
    cr_assert(eq(i32, ks_partition_for_key("abc", 3, 0), -1));
    cr_assert(eq(i32, ks_partition_for_key("abc", 3, -4), -1));
}

Test(partition, results_stay_in_range) {
    char key[32];
    int i;
    for (i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof(key), "key-%d", i);
        int32_t p = ks_partition_for_key(key, (size_t)n, 6);
        cr_assert(ge(i32, p, 0));
        cr_assert(lt(i32, p, 6));
    }
}

Test(hash, fnv1a_known_values) {
    cr_assert(eq(u64, ks_hash_bytes("", 0), 0xcbf29ce484222325ull));
    cr_assert(eq(u64, ks_hash_bytes("a", 1), 0xaf63dc4c8601ec8cull));
    cr_assert(eq(u64, ks_hash_bytes("foobar", 6), 0x85944171f73967e8ull));
}

/* ---- map --------------------------------------------------------------- */

#define NKEYS 10000

Test(map, put_get_overwrite_del) {
    ks_map_t *m = ks_map_new();
    int v1 = 1, v2 = 2;

    cr_assert_not_null(m);
    cr_assert_null(ks_map_get(m, "a"));
    cr_assert(eq(int, ks_map_del(m, "a"), -1));
    cr_assert(eq(int, ks_map_put(m, "a", &v1), 0));
    cr_assert(eq(ptr, ks_map_get(m, "a"), &v1));
    cr_assert(eq(int, ks_map_put(m, "a", &v2), 0));
    cr_assert(eq(ptr, ks_map_get(m, "a"), &v2));
    cr_assert(eq(sz, ks_map_count(m), 1));
    cr_assert(eq(int, ks_map_put(m, "", &v1), 0));
    cr_assert(eq(ptr, ks_map_get(m, ""), &v1));
    cr_assert(eq(int, ks_map_del(m, "a"), 0));
    cr_assert_null(ks_map_get(m, "a"));
    cr_assert(eq(int, ks_map_del(m, "a"), -1));
    cr_assert(eq(sz, ks_map_count(m), 1));
    ks_map_destroy(m);
    ks_map_destroy(NULL);
}

Test(map, keys_are_copied) {
    ks_map_t *m = ks_map_new();
    char key[8] = "k1";
    int v = 7;

    ks_map_put(m, key, &v);
    strcpy(key, "zz");
    cr_assert(eq(ptr, ks_map_get(m, "k1"), &v));
    cr_assert_null(ks_map_get(m, "zz"));
    ks_map_destroy(m);
}

Test(map, grows_and_deletes_with_10k_keys) {
    ks_map_t *m = ks_map_new();
    char key[32];
    intptr_t i;

    for (i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        cr_assert(eq(int, ks_map_put(m, key, (void *)(i + 1)), 0));
    }
    cr_assert(eq(sz, ks_map_count(m), NKEYS));
    for (i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        cr_assert(eq(ptr, ks_map_get(m, key), (void *)(i + 1)));
    }
    /* Delete the even keys. */
    for (i = 0; i < NKEYS; i += 2) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        cr_assert(eq(int, ks_map_del(m, key), 0));
    }
    cr_assert(eq(sz, ks_map_count(m), NKEYS / 2));
    for (i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        if (i % 2)
            cr_assert(eq(ptr, ks_map_get(m, key), (void *)(i + 1)));
        else
            cr_assert_null(ks_map_get(m, key));
    }
    /* Churn: re-add and delete many times (tombstones get purged). */
    for (i = 0; i < 5 * NKEYS; i++) {
        snprintf(key, sizeof(key), "churn-%ld", (long)((i / 2) % 100));
        if (i % 2 == 0)
            cr_assert(eq(int, ks_map_put(m, key, (void *)1), 0));
        else
            cr_assert(eq(int, ks_map_del(m, key), 0));
    }
    cr_assert(eq(sz, ks_map_count(m), NKEYS / 2));
    ks_map_destroy(m);
}

Test(map, iterate_visits_every_key_once) {
    ks_map_t *m = ks_map_new();
    char key[32];
    static uint8_t seen[NKEYS];
    intptr_t i;
    size_t it = 0, n = 0;
    const char *k;
    void *v;

    memset(seen, 0, sizeof(seen));
    for (i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof(key), "%ld", (long)i);
        ks_map_put(m, key, (void *)i);
    }
    while (ks_map_next(m, &it, &k, &v)) {
        intptr_t idx = (intptr_t)v;
        cr_assert(eq(long, strtol(k, NULL, 10), (long)idx));
        cr_assert(eq(u8, seen[idx], 0));
        seen[idx] = 1;
        n++;
    }
    cr_assert(eq(sz, n, NKEYS));
    ks_map_destroy(m);
}

Test(map, delete_current_key_while_iterating) {
    ks_map_t *m = ks_map_new();
    char key[32];
    intptr_t i;
    size_t it = 0, n = 0;
    const char *k;

    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "%ld", (long)i);
        ks_map_put(m, key, (void *)i);
    }
    while (ks_map_next(m, &it, &k, NULL)) {
        char copy[32];
        strcpy(copy, k);
        cr_assert(eq(int, ks_map_del(m, copy), 0));
        n++;
    }
    cr_assert(eq(sz, n, 1000));
    cr_assert(eq(sz, ks_map_count(m), 0));
    ks_map_destroy(m);
}

Test(map, empty_map_iterates_nothing) {
    ks_map_t *m = ks_map_new();
    size_t it = 0;
    cr_assert(not(ks_map_next(m, &it, NULL, NULL)));
    cr_assert(eq(sz, ks_map_count(m), 0));
    ks_map_destroy(m);
}

/* ---- vec, strings, clock ---------------------------------------------- */

Test(vec, push_grows_and_keeps_order) {
    ks_vec_t v = KS_VEC_INIT;
    intptr_t i;

    for (i = 0; i < 1000; i++)
        cr_assert(eq(int, ks_vec_push(&v, (void *)i), 0));
    cr_assert(eq(sz, v.len, 1000));
    for (i = 0; i < 1000; i++)
        cr_assert(eq(ptr, v.items[i], (void *)i));
    ks_vec_free(&v);
    cr_assert_null(v.items);
    cr_assert(eq(sz, v.len, 0));
    ks_vec_free(&v);
}

Test(str, strdup_copies_and_null_gives_null) {
    char *s = ks_strdup("abc");
    cr_assert(eq(str, s, "abc"));
    free(s);
    cr_assert_null(ks_strdup(NULL));
}

Test(clock, monotonic_does_not_go_back_and_wall_is_recent) {
    int64_t a = ks_clock_mono_ms();
    int64_t b = ks_clock_mono_ms();
    cr_assert(ge(i64, b, a));
    /* After 2020-01-01. */
    cr_assert(lt(i64, 1577836800000LL, ks_clock_wall_ms()));
}

/* Freed memory goes back to the system at most every
 * KS_RELEASE_INTERVAL_MS, whichever thread asks (glibc; elsewhere never).
 * Criterion runs each test in a process of its own: the first call here
 * is the process's first. */
Test(release, at_most_once_per_interval) {
#if defined(__GLIBC__)
    int64_t t = 1000000;
    void *p = malloc(1 << 20);
    cr_assert_not_null(p);
    memset(p, 1, 1 << 20);
    free(p);
    cr_assert(ks_memory_release(t));
    cr_assert_not(ks_memory_release(t + 1));
    cr_assert_not(ks_memory_release(t + KS_RELEASE_INTERVAL_MS - 1));
    cr_assert(ks_memory_release(t + KS_RELEASE_INTERVAL_MS));
    cr_assert_not(ks_memory_release(t + KS_RELEASE_INTERVAL_MS));
#else
    cr_assert_not(ks_memory_release(1000000));
#endif
}
