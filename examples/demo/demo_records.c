/* demo_records.c - record lists, their comparison, the enrich output tap. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static char *copy(const void *p, size_t len)
{
    char *c = malloc(len + 1);
    if (c) {
        if (len)
            memcpy(c, p, len);
        c[len] = '\0';
    }
    return c;
}

int demo_recs_add(demo_recs_t *l, const void *key, size_t klen,
                  const void *value, size_t vlen, int64_t ts)
{
    if (!l)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        demo_rec_t *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    demo_rec_t r = {NULL, key ? klen : 0, NULL, value ? vlen : 0, ts};
    if ((key && !(r.key = copy(key, klen))) ||
        (value && !(r.value = copy(value, vlen)))) {
        free(r.key);
        return -1;
    }
    l->v[l->n++] = r;
    return 0;
}

void demo_recs_free(demo_recs_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    *l = (demo_recs_t){0};
}

/* Null sorts before any bytes. */
static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int cmp_rec(const void *pa, const void *pb)
{
    const demo_rec_t *a = *(const demo_rec_t *const *)pa;
    const demo_rec_t *b = *(const demo_rec_t *const *)pb;
    int c = cmp_bytes(a->key, a->klen, b->key, b->klen);
    if (!c)
        c = cmp_bytes(a->value, a->vlen, b->value, b->vlen);
    return c ? c : (a->ts > b->ts) - (a->ts < b->ts);
}

static const demo_rec_t **sorted(const demo_recs_t *l)
{
    const demo_rec_t **p = malloc((l->n ? l->n : 1) * sizeof(*p));
    if (!p)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        p[i] = &l->v[i];
    if (l->n)
        qsort(p, l->n, sizeof(*p), cmp_rec);
    return p;
}

static void print_rec(const char *what, const char *how, const demo_rec_t *r)
{
    printf("  %s: %s: ts %" PRId64 ", key ", what, how, r->ts);
    demo_print_bytes(r->key, r->klen, 80);
    fputs(", value ", stdout);
    demo_print_bytes(r->value, r->vlen, 300);
    putchar('\n');
}

size_t demo_recs_diff(const char *what, const demo_recs_t *want,
                      const demo_recs_t *got, size_t max_print)
{
    const demo_rec_t **w = sorted(want), **g = sorted(got);
    size_t diffs = 0, i = 0, j = 0;
    if (!w || !g) {
        printf("  %s: out of memory comparing\n", what);
        free(w);
        free(g);
        return 1;
    }
    while (i < want->n || j < got->n) {
        int c = i == want->n ? 1 : j == got->n ? -1 : cmp_rec(&w[i], &g[j]);
        if (c == 0) {
            i++;
            j++;
            continue;
        }
        /* A record read twice (or more) is a duplicate of an expected one. */
        bool dup = c > 0 && (j > 0 && cmp_rec(&g[j - 1], &g[j]) == 0);
        if (diffs++ < max_print)
            print_rec(what,
                      c < 0 ? "missing (expected, not read)"
                      : dup ? "duplicate (read once more than expected)"
                            : "unexpected (read, not expected)",
                      c < 0 ? w[i] : g[j]);
        if (c < 0)
            i++;
        else
            j++;
    }
    if (diffs > max_print)
        printf("  %s: ... and %zu more differences\n", what,
               diffs - max_print);
    free(w);
    free(g);
    return diffs;
}

kstream_err_t demo_tap_cb(const kstream_record_t *rec, void *opaque)
{
    (void)rec;
    demo_tap_t *t = opaque;
    pthread_mutex_lock(&t->mu);
    t->enriched++;
    pthread_mutex_unlock(&t->mu);
    return KSTREAM_OK;
}

long demo_tap_count(demo_tap_t *t)
{
    pthread_mutex_lock(&t->mu);
    long n = t->enriched;
    pthread_mutex_unlock(&t->mu);
    return n;
}
