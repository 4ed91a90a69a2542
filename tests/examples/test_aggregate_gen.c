/* The aggregate example's generator run through the test driver, its
 * whole output compared with the model's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/aggregate.h"

typedef struct feed {
    kstream_test_driver_t *drv;
    aggregate_model_t *model;
    size_t n;
} feed_t;

static kstream_err_t feed(const char *topic, const void *key, size_t klen,
                          const void *value, size_t vlen, int64_t ts,
                          void *opaque)
{
    feed_t *f = opaque;
    f->n++;
    kstream_err_t err = kstream_test_driver_pipe(f->drv, topic, key, klen,
                                                 value, vlen, ts);
    return err ? err : aggregate_model_add(f->model, key, klen, value, vlen, ts);
}

typedef struct got {
    char **v;
    size_t n;
} got_t;

/* "key\tvalue\ttimestamp" of each record of topic, in order. */
static got_t read_all(kstream_test_driver_t *drv, const char *topic)
{
    got_t g = {NULL, 0};
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
        char *s = NULL;
        cr_assert(asprintf(&s, "%.*s\t%.*s\t%lld", (int)k.len,
                           k.data ? (const char *)k.data : "", v.data ? (int)v.len : 6,
                           v.data ? (const char *)v.data : "(null)",
                           (long long)kstream_record_timestamp(rec)) > 0);
        g.v = realloc(g.v, (g.n + 1) * sizeof *g.v);
        g.v[g.n++] = s;
    }
    return g;
}

static char *fmt(const aggregate_rec_t *r)
{
    char *s = NULL;
    cr_assert(asprintf(&s, "%s\t%s\t%lld", r->key ? r->key : "",
                       r->value ? r->value : "(null)",
                       (long long)r->timestamp) > 0);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_got(got_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i]);
    free(g->v);
}

/* Run seed/n through a driver (cache on or off) and compare. With the
 * cache off the rows come in the model's order; with it on they come at
 * commits, so the comparison is by set. */
static void run(uint64_t seed, size_t n, bool cache)
{
    char err[512];
    kstream_topology_t *t = aggregate_build(NULL, err, sizeof err);
    cr_assert(t, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert_eq(aggregate_configure(conf, NULL, err, sizeof err), KSTREAM_OK);
    cr_assert_eq(kstream_conf_set(conf, "log.level", "2", err, sizeof err),
                 KSTREAM_CONF_OK);
    if (!cache)
        cr_assert_eq(kstream_conf_set(conf, "cache.max.bytes.buffering", "0",
                                      err, sizeof err), KSTREAM_CONF_OK);
    feed_t f = {kstream_test_driver_new(t, conf, err, sizeof err),
                aggregate_model_new(NULL), 0};
    cr_assert(f.drv, "%s", err);
    cr_assert(f.model);
    cr_assert_eq(aggregate_generate(seed, n, feed, &f), KSTREAM_OK, "%s",
                 kstream_test_driver_last_error(f.drv));
    cr_assert_eq(f.n, n + AGGREGATE_FLUSH_RECORDS);
    cr_assert_eq(kstream_test_driver_commit(f.drv), KSTREAM_OK);

    got_t rows = read_all(f.drv, AGGREGATE_OUTPUT_TOPIC);
    size_t nrows = aggregate_model_rows(f.model);
    cr_assert(nrows > 10, "too few windows: %zu", nrows);
    cr_assert_eq(rows.n, nrows, "rows: got %zu, model %zu", rows.n, nrows);
    char **want = calloc(nrows, sizeof *want);
    for (size_t i = 0; i < nrows; i++)
        want[i] = fmt(aggregate_model_row(f.model, i));
    if (cache) {
        qsort(rows.v, rows.n, sizeof *rows.v, cmp_str);
        qsort(want, nrows, sizeof *want, cmp_str);
    }
    for (size_t i = 0; i < nrows; i++)
        cr_assert_str_eq(rows.v[i], want[i], "row %zu", i);
    /* Every window but the tail's was emitted. */
    cr_assert_eq(aggregate_model_open_windows(f.model),
                 (size_t)AGGREGATE_FLUSH_RECORDS);

    /* DLQ: invalid records (from the source topic) then late ones. */
    size_t ninv = aggregate_model_invalid(f.model);
    size_t nlate = aggregate_model_late(f.model);
    cr_assert(ninv > n / 100 && nlate > n / 200, "invalid %zu late %zu", ninv,
              nlate);
    got_t dlq = read_all(f.drv, AGGREGATE_DLQ_TOPIC);
    cr_assert_eq(dlq.n, ninv + nlate);
    size_t nw = ninv + nlate;
    char **wd = calloc(nw, sizeof *wd);
    for (size_t i = 0; i < ninv; i++)
        wd[i] = fmt(aggregate_model_invalid_at(f.model, i));
    for (size_t i = 0; i < nlate; i++)
        wd[ninv + i] = fmt(aggregate_model_late_at(f.model, i));
    qsort(dlq.v, dlq.n, sizeof *dlq.v, cmp_str);
    qsort(wd, nw, sizeof *wd, cmp_str);
    if (getenv("AGG_DUMP"))
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, "G %s\nW %s\n", dlq.v[i], wd[i]);
    for (size_t i = 0; i < nw; i++)
        cr_assert_str_eq(dlq.v[i], wd[i], "dlq %zu: got %s want %s", i, dlq.v[i], wd[i]);

    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++) {
        const char *seg = aggregate_segments[s];
        int64_t mc, ma, c, a;
        cr_assert_eq(aggregate_model_total(f.model, seg, &mc, &ma), KSTREAM_OK);
        kstream_bytes_t v;
        cr_assert_eq(kstream_test_driver_store_get(f.drv, AGGREGATE_TOTALS_STORE,
                                                   seg, strlen(seg), &v),
                     KSTREAM_OK);
        cr_assert_eq(aggregate_total_decode(v.data, v.len, &c, &a), KSTREAM_OK);
        cr_assert_eq(c, mc, "%s count", seg);
        cr_assert_eq(a, ma, "%s amount", seg);
    }
    for (size_t i = 0; i < nrows; i++)
        free(want[i]);
    for (size_t i = 0; i < nw; i++)
        free(wd[i]);
    free(want);
    free(wd);
    free_got(&rows);
    free_got(&dlq);
    aggregate_model_destroy(f.model);
    kstream_test_driver_destroy(f.drv);
}

Test(aggregate_gen, model_matches_the_run_in_order)
{
    run(42, 2000, false);
}

Test(aggregate_gen, model_matches_the_run_with_the_cache)
{
    run(7, 3000, true);
}

static kstream_err_t collect(const char *topic, const void *key, size_t klen,
                             const void *value, size_t vlen, int64_t ts,
                             void *opaque)
{
    (void)topic;
    (void)key;
    (void)klen;
    uint64_t *h = opaque;
    const unsigned char *p = value;
    for (size_t i = 0; p && i < vlen; i++)
        *h = (*h ^ p[i]) * 1099511628211ULL;
    *h ^= (uint64_t)ts;
    return KSTREAM_OK;
}

Test(aggregate_gen, deterministic)
{
    uint64_t a = 14695981039346656037ULL, b = a, c = a;
    cr_assert_eq(aggregate_generate(5, 500, collect, &a), KSTREAM_OK);
    cr_assert_eq(aggregate_generate(5, 500, collect, &b), KSTREAM_OK);
    cr_assert_eq(aggregate_generate(6, 500, collect, &c), KSTREAM_OK);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
}
