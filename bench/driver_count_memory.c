/* driver_count_memory.c - count by key on an in-memory store through the
 * test driver:
 *
 *     source -> group_by_key -> count -> to_stream -> foreach
 *
 * with "default.dsl.store" = "in_memory" and the default record cache;
 * otherwise the same run as driver_count_rocksdb (records, time, checks:
 * bench/common/count.c). Target: >= 2M records/s.
 *
 * No ceiling is named for this row, so the BENCH ratio is 1. For
 * information it also prints the ratio to an in-memory hash table count
 * loop over the same key sequence (DEV-CLUSTER.md's "in-memory hash table
 * count-by-key", ~13M/s): open addressing, linear probing, 16-byte keys
 * hashed from their two 8-byte words, run round by round after the
 * engine's rounds as in driver_count_rocksdb.
 *
 * BENCH_QUICK=1: 10x fewer records. BENCH_COUNT_ENGINE_ONLY=1: the engine
 * alone, no baseline and no BENCH line (for profiling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bench.h"
#include "common/count.h"

#define NAME "driver_count_memory"
#define HT_BITS 18 /* 262144 slots for 100k keys */

typedef struct slot_s {
    unsigned char key[COUNT_KEY_LEN];
    uint64_t count; /* 0: empty */
} slot_t;

typedef struct ht_s {
    slot_t *slots;
    size_t mask;
} ht_t;

static inline size_t ht_hash(const unsigned char *key)
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    return (size_t)h;
}

static inline slot_t *ht_find(ht_t *t, const unsigned char *key)
{
    size_t i = ht_hash(key) & t->mask;
    for (;;) {
        slot_t *s = &t->slots[i];
        if (s->count == 0 || memcmp(s->key, key, COUNT_KEY_LEN) == 0)
            return s;
        i = (i + 1) & t->mask;
    }
}

static void ht_range(void *ctx, const count_data_t *d, uint64_t from,
                     uint64_t to)
{
    ht_t *t = ctx;
    for (uint64_t i = from; i < to; i++) {
        unsigned char key[COUNT_KEY_LEN];
        count_make_key(d->seq[i], key);
        slot_t *s = ht_find(t, key);
        if (s->count == 0)
            memcpy(s->key, key, COUNT_KEY_LEN);
        s->count++;
    }
}

int main(void)
{
    count_data_t d;
    count_engine_t e;
    count_data_init(&d);
    if (count_engine_only()) {
        count_engine_run(&d, NAME, "in_memory", NULL, NULL, &e);
        count_data_free(&d);
        return 0;
    }

    ht_t t;
    t.mask = ((size_t)1 << HT_BITS) - 1;
    t.slots = calloc(t.mask + 1, sizeof(*t.slots));
    if (!t.slots)
        bench_die("out of memory");

    count_engine_run(&d, NAME, "in_memory", ht_range, &t, &e);

    for (uint32_t k = 0; k < COUNT_NKEYS; k++) {
        unsigned char key[COUNT_KEY_LEN];
        count_make_key(k, key);
        slot_t *s = ht_find(&t, key);
        if (s->count != d.total[k])
            bench_die("baseline: key %u counted %llu, expected %llu", k,
                      (unsigned long long)s->count,
                      (unsigned long long)d.total[k]);
    }
    free(t.slots);
    count_data_free(&d);

    printf("%s: %.2f M rec/s (%.0f ns/record; target >= 2 M); "
           "informational: hash table count loop %.1f M rec/s (%.0f "
           "ns/record), rounds interleaved: ratio %.3f; per CPU second "
           "%.2f M vs %.1f M\n",
           NAME, e.rate / 1e6, 1e9 / e.rate, e.base_rate / 1e6,
           1e9 / e.base_rate, e.ratio, e.per_cpu / 1e6,
           e.base_per_cpu / 1e6);
    bench_result(NAME, e.rate, 1.0);
    return 0;
}
