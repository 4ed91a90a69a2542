/* The sessionize example's generator run through the test driver, every
 * output compared with the model's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionize/sessionize.h"

typedef struct feed {
    kstream_test_driver_t *drv;
    sessionize_model_t *model;
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
    return err ? err
               : sessionize_model_add(f->model, key, klen, value, vlen, ts);
}

typedef struct list {
    char **v;
    size_t n;
} list_t;

static void push(list_t *l, char *s)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    cr_assert(l->v);
    l->v[l->n++] = s;
}

static list_t read_all(kstream_test_driver_t *drv, const char *topic)
{
    list_t l = {NULL, 0};
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        char *s = NULL;
        cr_assert(asprintf(&s, "%.*s\t%.*s\t%lld", (int)k.len,
                           k.data ? (const char *)k.data : "",
                           v.data ? (int)v.len : 6,
                           v.data ? (const char *)v.data : "(null)",
                           (long long)kstream_record_timestamp(rec)) > 0);
        push(&l, s);
    }
    return l;
}

static list_t model_list(const sessionize_model_t *m,
                         size_t (*count)(const sessionize_model_t *),
                         const sessionize_rec_t *(*at)(const sessionize_model_t *,
                                                       size_t))
{
    list_t l = {NULL, 0};
    for (size_t i = 0; i < count(m); i++) {
        const sessionize_rec_t *r = at(m, i);
        char *s = NULL;
        cr_assert(asprintf(&s, "%s\t%s\t%lld", r->key ? r->key : "",
                           r->value ? r->value : "(null)",
                           (long long)r->timestamp) > 0);
        push(&l, s);
    }
    return l;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void compare(const char *what, list_t *got, list_t *want, bool sort)
{
    if (sort) {
        qsort(got->v, got->n, sizeof *got->v, cmp_str);
        qsort(want->v, want->n, sizeof *want->v, cmp_str);
    }
    for (size_t i = 0; i < got->n && i < want->n; i++)
        cr_assert_str_eq(got->v[i], want->v[i], "%s %zu", what, i);
    cr_assert_eq(got->n, want->n, "%s: got %zu, model %zu", what, got->n,
                 want->n);
    for (size_t i = 0; i < got->n; i++)
        free(got->v[i]);
    for (size_t i = 0; i < want->n; i++)
        free(want->v[i]);
    free(got->v);
    free(want->v);
}

/* With the cache off the outputs come in the model's order; with it on,
 * the sessions come at commits, so those are compared as sets. */
static void run(uint64_t seed, size_t n, bool cache)
{
    char err[512];
    kstream_topology_t *t = sessionize_build(NULL, err, sizeof err);
    cr_assert(t, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert_eq(sessionize_configure(conf, NULL, err, sizeof err),
                 KSTREAM_OK);
    cr_assert_eq(kstream_conf_set(conf, "log.level", "2", err, sizeof err),
                 KSTREAM_CONF_OK);
    if (!cache)
        cr_assert_eq(kstream_conf_set(conf, "cache.max.bytes.buffering", "0",
                                      err, sizeof err), KSTREAM_CONF_OK);
    feed_t f = {kstream_test_driver_new(t, conf, err, sizeof err),
                sessionize_model_new(NULL), 0};
    cr_assert(f.drv, "%s", err);
    cr_assert(f.model);
    cr_assert_eq(sessionize_generate(seed, n, feed, &f), KSTREAM_OK, "%s",
                 kstream_test_driver_last_error(f.drv));
    cr_assert_eq(f.n, n + SESSIONIZE_FLUSH_RECORDS);
    cr_assert_eq(kstream_test_driver_commit(f.drv), KSTREAM_OK);

    size_t invalid, late, dups, open;
    sessionize_model_counts(f.model, &invalid, &late, &dups, &open);
    cr_assert_eq(open, (size_t)SESSIONIZE_FLUSH_RECORDS,
                 "only the tail's sessions stay open (%zu)", open);
    cr_assert(invalid > n / 100 && late > n / 300 && dups > n / 100,
              "invalid %zu late %zu duplicates %zu", invalid, late, dups);
    int64_t v;
    cr_assert_eq(kstream_test_driver_metric(f.drv, "duplicates-dropped", &v),
                 KSTREAM_OK);
    cr_assert_eq((size_t)v, dups);
    cr_assert_eq(kstream_test_driver_metric(f.drv, "late-records-dropped",
                                            &v), KSTREAM_OK);
    cr_assert_eq((size_t)v, late);

    list_t got = read_all(f.drv, SESSIONIZE_SESSIONS_TOPIC);
    list_t want = model_list(f.model, sessionize_model_sessions,
                             sessionize_model_session);
    cr_assert(want.n > n / 100, "too few sessions: %zu", want.n);
    compare("session", &got, &want, cache);
    got = read_all(f.drv, SESSIONIZE_ALERTS_TOPIC);
    want = model_list(f.model, sessionize_model_alerts, sessionize_model_alert);
    bool has_long = false;
    for (size_t i = 0; i < want.n; i++)
        has_long |= strstr(want.v[i], "long_session") != NULL;
    cr_assert(has_long, "no long-session alert in %zu alerts", want.n);
    compare("alert", &got, &want, cache);
    got = read_all(f.drv, SESSIONIZE_DLQ_TOPIC);
    want = model_list(f.model, sessionize_model_dlq, sessionize_model_dlq_at);
    compare("dlq", &got, &want, false);
    sessionize_model_destroy(f.model);
    kstream_test_driver_destroy(f.drv);
}

Test(sessionize_gen, model_matches_the_run_in_order)
{
    run(42, 2000, false);
}

Test(sessionize_gen, model_matches_the_run_with_the_cache)
{
    run(9, 3000, true);
}

static kstream_err_t hash(const char *topic, const void *key, size_t klen,
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

Test(sessionize_gen, deterministic)
{
    uint64_t a = 14695981039346656037ULL, b = a, c = a;
    cr_assert_eq(sessionize_generate(5, 500, hash, &a), KSTREAM_OK);
    cr_assert_eq(sessionize_generate(5, 500, hash, &b), KSTREAM_OK);
    cr_assert_eq(sessionize_generate(6, 500, hash, &c), KSTREAM_OK);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
}
