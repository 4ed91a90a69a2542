/* test_cache_index.c - the record cache's hash index (open addressing
 * over tagged slots, deleted-slot markers, growth and shrinking) and its
 * prefetch hints, checked against a plain model under random operations:
 * puts of values whose length changes (entries move), deletes, evictions
 * under a small bound (entries leave the index), flushes and drops. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"

#define NKEYS 3000
#define VMAX 40

typedef struct model {
    bool present[NKEYS];
    size_t vlen[NKEYS];
    char val[NKEYS][VMAX];
} model_t;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t key_of(unsigned i, char *buf) {
    return (size_t)snprintf(buf, 32, "key-%u", i);
}

static void check_all(ks_store_t *s, const model_t *m) {
    for (unsigned i = 0; i < NKEYS; i++) {
        char k[32];
        size_t klen = key_of(i, k);
        kstream_bytes_t v;
        kstream_err_t err = s->ops->get(s, k, klen, &v);
        if (!m->present[i]) {
            cr_assert(eq(int, err, KSTREAM_ERR_NOT_FOUND), "key %u", i);
            continue;
        }
        cr_assert(eq(int, err, KSTREAM_OK), "key %u", i);
        cr_assert(eq(sz, v.len, m->vlen[i]), "key %u", i);
        cr_assert(eq(int, memcmp(v.data, m->val[i], v.len), 0), "key %u", i);
    }
}

/* Random puts (lengths 0..VMAX-1, so entries are reallocated), deletes
 * and gets, with prefetch hints sprinkled in, against the model; every
 * so often a flush; at the end everything is compared, also after a
 * flush through the inner store alone. */
static void run(size_t bound, unsigned ops, bool drop_midway) {
    ks_cache_t *c = ks_cache_new(bound);
    ks_store_t *inner = ks_kv_mem_new();
    ks_store_t *s = ks_cache_wrap(inner, c, NULL, NULL);
    static model_t m;
    memset(&m, 0, sizeof(m));
    cr_assert_not_null(s);
    for (unsigned n = 0; n < ops; n++) {
        unsigned i = (unsigned)(next_rand() % NKEYS);
        char k[32];
        size_t klen = key_of(i, k);
        unsigned what = (unsigned)(next_rand() % 10);
        if (what < 2)
            ks_store_prefetch(s, k, klen, what == 1);
        if (what < 6) {
            size_t vlen = (size_t)(next_rand() % VMAX);
            for (size_t j = 0; j < vlen; j++)
                m.val[i][j] = (char)('a' + (n + j) % 26);
            m.vlen[i] = vlen;
            m.present[i] = true;
            cr_assert(eq(int, s->ops->put(s, k, klen, m.val[i], vlen),
                         KSTREAM_OK));
        } else if (what < 8) {
            m.present[i] = false;
            cr_assert(eq(int, s->ops->put(s, k, klen, NULL, 0), KSTREAM_OK));
        } else {
            kstream_bytes_t v;
            kstream_err_t err = s->ops->get(s, k, klen, &v);
            cr_assert(eq(int, err,
                         m.present[i] ? KSTREAM_OK : KSTREAM_ERR_NOT_FOUND));
        }
        if (n % 5000 == 4999)
            cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
        if (drop_midway && n == ops / 2) {
            /* Written down first, so nothing is lost; then every entry
             * leaves the index at once. */
            cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
            ks_cache_drop(s);
        }
    }
    check_all(s, &m);
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    check_all(s, &m);
    check_all(inner, &m);
    s->ops->close(s);
    cr_assert(eq(sz, ks_cache_bytes(c), (size_t)0));
    ks_cache_destroy(c);
}

Test(cache_index, model_without_eviction) {
    run(64u << 20, 60000, false);
}

Test(cache_index, model_with_constant_eviction) {
    /* Room for a few hundred entries of 3000 keys: nearly every put of a
     * new key evicts one, leaving a deleted slot behind. */
    run(40000, 60000, false);
}

Test(cache_index, model_with_drop) {
    run(64u << 20, 40000, true);
}

/* The table grows with the entries and shrinks when they go: layer a
 * fills up, then puts into layer b (same cache, same bound) evict every
 * entry of a, one by one; a's keys still read right (from below). */
Test(cache_index, grow_then_shrink) {
    ks_cache_t *c = ks_cache_new(2u << 20);
    ks_store_t *a = ks_cache_wrap(ks_kv_mem_new(), c, NULL, NULL);
    ks_store_t *b = ks_cache_wrap(ks_kv_mem_new(), c, NULL, NULL);
    char k[32];
    kstream_bytes_t v;
    for (unsigned i = 0; i < 15000; i++) {
        size_t klen = (size_t)snprintf(k, sizeof(k), "a%u", i);
        cr_assert(eq(int, a->ops->put(a, k, klen, k, klen), KSTREAM_OK));
    }
    for (unsigned i = 0; i < 60000; i++) {
        size_t klen = (size_t)snprintf(k, sizeof(k), "b%u", i);
        cr_assert(eq(int, b->ops->put(b, k, klen, k, klen), KSTREAM_OK));
    }
    for (unsigned i = 0; i < 15000; i++) {
        size_t klen = (size_t)snprintf(k, sizeof(k), "a%u", i);
        cr_assert(eq(int, a->ops->get(a, k, klen, &v), KSTREAM_OK));
        cr_assert(eq(sz, v.len, klen));
        cr_assert(eq(int, memcmp(v.data, k, klen), 0));
    }
    /* Prefetching absent keys changes nothing. */
    for (unsigned i = 0; i < 1000; i++) {
        size_t klen = (size_t)snprintf(k, sizeof(k), "absent%u", i);
        ks_store_prefetch(a, k, klen, false);
        ks_store_prefetch(a, k, klen, true);
        cr_assert(eq(int, a->ops->get(a, k, klen, &v), KSTREAM_ERR_NOT_FOUND));
    }
    a->ops->close(a);
    b->ops->close(b);
    ks_cache_destroy(c);
}
