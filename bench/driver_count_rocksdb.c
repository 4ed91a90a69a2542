/* driver_count_rocksdb.c - count by key on a RocksDB store through the
 * test driver:
 *
 *     source -> group_by_key -> count -> to_stream -> foreach
 *
 * with "default.dsl.store" = "rocksdb" and the default record cache; 100k
 * distinct 16-byte keys drawn uniformly at random, 100-byte values, 2M
 * records after a 100k warm-up; the virtual wall clock advances at a
 * nominal 10k records/s so that the default commit interval (30 s) passes,
 * and the cache is flushed, every 300k records. Records, time, checks:
 * bench/common/count.c.
 *
 * Reports the median round's records/s, allocation calls per record, and
 * the ratio to the ceiling DEV-CLUSTER.md names for this row ("RocksDB
 * get+put count-by-key, WAL off (100 k keys)", ~150k/s), measured here in
 * the same run: the RocksDB C API in a plain loop over the same key
 * sequence - rocksdb_open with create_if_missing (otherwise default
 * options) on a fresh database, write options with the WAL disabled, and
 * per record rocksdb_get of the key's 8-byte count and rocksdb_put of
 * count + 1. It gets the same warm-up, and each of its rounds runs right
 * after the engine's round over the same records; the ratio is the median
 * of the 5 per-round ratios (count.h). Target: ratio >= 0.6.
 *
 * BENCH_QUICK=1: 10x fewer records. BENCH_COUNT_ENGINE_ONLY=1: the engine
 * alone, no baseline and no BENCH line (for profiling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/bench.h"
#include "common/count.h"

#define NAME "driver_count_rocksdb"

typedef struct rdb_s {
    rocksdb_t *db;
    rocksdb_readoptions_t *ro;
    rocksdb_writeoptions_t *wo;
} rdb_t;

static void rdb_range(void *ctx, const count_data_t *d, uint64_t from,
                      uint64_t to)
{
    rdb_t *b = ctx;
    char *err = NULL;
    for (uint64_t i = from; i < to; i++) {
        char key[COUNT_KEY_LEN];
        count_make_key(d->seq[i], (unsigned char *)key);
        size_t vlen = 0;
        uint64_t c = 0;
        char *v = rocksdb_get(b->db, b->ro, key, COUNT_KEY_LEN, &vlen, &err);
        if (err)
            bench_die("rocksdb_get: %s", err);
        if (v) {
            if (vlen != 8)
                bench_die("rocksdb_get: %zu bytes", vlen);
            c = count_be64((const unsigned char *)v);
            rocksdb_free(v);
        }
        c++;
        unsigned char out[8];
        for (int j = 7; j >= 0; j--, c >>= 8)
            out[j] = (unsigned char)c;
        rocksdb_put(b->db, b->wo, key, COUNT_KEY_LEN, (const char *)out, 8,
                    &err);
        if (err)
            bench_die("rocksdb_put: %s", err);
    }
}

int main(void)
{
    count_data_t d;
    count_engine_t e;
    count_data_init(&d);
    if (count_engine_only()) {
        count_engine_run(&d, NAME, "rocksdb", NULL, NULL, &e);
        count_data_free(&d);
        return 0;
    }

    /* The baseline: a fresh database in the same temp directory (the
     * driver's state directory is another subdirectory). */
    char path[1024];
    char *err = NULL;
    snprintf(path, sizeof(path), "%s/baseline", d.tmpdir);
    rocksdb_options_t *opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(opts, 1);
    rdb_t b;
    b.db = rocksdb_open(opts, path, &err);
    if (err)
        bench_die("rocksdb_open %s: %s", path, err);
    b.ro = rocksdb_readoptions_create();
    b.wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(b.wo, 1);

    count_engine_run(&d, NAME, "rocksdb", rdb_range, &b, &e);

    /* The baseline counted too: check it on every key. */
    for (uint32_t k = 0; k < COUNT_NKEYS; k++) {
        size_t vlen = 0;
        char key[COUNT_KEY_LEN];
        count_make_key(k, (unsigned char *)key);
        char *v = rocksdb_get(b.db, b.ro, key, COUNT_KEY_LEN, &vlen, &err);
        if (err)
            bench_die("rocksdb_get: %s", err);
        uint64_t c = v && vlen == 8 ? count_be64((unsigned char *)v) : 0;
        rocksdb_free(v);
        if (c != d.total[k])
            bench_die("baseline: key %u counted %llu, expected %llu", k,
                      (unsigned long long)c,
                      (unsigned long long)d.total[k]);
    }
    rocksdb_readoptions_destroy(b.ro);
    rocksdb_writeoptions_destroy(b.wo);
    rocksdb_close(b.db);
    rocksdb_destroy_db(opts, path, &err);
    if (err) {
        fprintf(stderr, "%s: rocksdb_destroy_db: %s\n", NAME, err);
        rocksdb_free(err);
    }
    rocksdb_options_destroy(opts);
    count_data_free(&d);

    printf("%s: %.0f k rec/s (%.2f us/record), baseline RocksDB get+put "
           "loop (WAL off) %.0f k rec/s (%.2f us/record), rounds "
           "interleaved: ratio %.2f (target >= 0.60); per CPU second "
           "%.0f k vs %.0f k (%.2f)\n",
           NAME, e.rate / 1e3, 1e6 / e.rate, e.base_rate / 1e3,
           1e6 / e.base_rate, e.ratio, e.per_cpu / 1e3,
           e.base_per_cpu / 1e3, e.per_cpu / e.base_per_cpu);
    bench_result(NAME, e.rate, e.ratio);
    return 0;
}
