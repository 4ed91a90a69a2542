/* test_cache.c - lib/state/cache.c: the record cache (ThreadCache +
 * CachingKeyValueStore) over in-memory stores. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"

/* ---- helpers ------------------------------------------------------------ */

#define REC_MAX 64

/* One listener call, as NUL-terminated copies ("" data NULL -> absent). */
typedef struct rec {
    char key[32];
    char value[32];
    char old[32];
    bool has_value, has_old;
    int64_t now; /* *now during the call, when the recorder has a clock */
} rec_t;

typedef struct recorder {
    rec_t recs[REC_MAX];
    int n;
    int fail_at;      /* call number (1-based) that fails; 0: none */
    int64_t *now;     /* read during each call, may be NULL */
} recorder_t;

static void copy_str(char *dst, const void *p, size_t len) {
    cr_assert(lt(sz, len, (size_t)32));
    if (len > 0)
        memcpy(dst, p, len);
    dst[len] = '\0';
}

static kstream_err_t record(void *opaque, const void *key, size_t klen,
                            const void *value, size_t vlen, const void *old,
                            size_t olen) {
    recorder_t *r = opaque;
    rec_t *x;

    cr_assert(lt(int, r->n, REC_MAX));
    x = &r->recs[r->n++];
    copy_str(x->key, key, klen);
    x->has_value = value != NULL;
    if (value)
        copy_str(x->value, value, vlen);
    x->has_old = old != NULL;
    if (old)
        copy_str(x->old, old, olen);
    x->now = r->now ? *r->now : -1;
    if (r->fail_at == r->n)
        return KSTREAM_ERR_USER;
    return KSTREAM_OK;
}

static kstream_err_t sput(ks_store_t *s, const char *k, const char *v) {
    return s->ops->put(s, k, strlen(k), v, v ? strlen(v) : 0);
}

/* The value of k in s as a string in a static buffer, or NULL. */
static const char *sget(ks_store_t *s, const char *k) {
    static char buf[64];
    kstream_bytes_t v;
    kstream_err_t err = s->ops->get(s, k, strlen(k), &v);

    if (err == KSTREAM_ERR_NOT_FOUND)
        return NULL;
    cr_assert(eq(int, err, KSTREAM_OK));
    copy_str(buf, v.data, v.len);
    return buf;
}

static void assert_rec(const rec_t *x, const char *k, const char *v,
                       const char *old) {
    cr_assert(eq(str, (char *)x->key, (char *)k));
    cr_assert(eq(int, x->has_value, v != NULL), "value of %s", k);
    if (v)
        cr_assert(eq(str, (char *)x->value, (char *)v));
    cr_assert(eq(int, x->has_old, old != NULL), "old of %s", k);
    if (old)
        cr_assert(eq(str, (char *)x->old, (char *)old));
}

/* Every entry of it as "k=v,k=v", closing it. */
static void drain(ks_iter_t *it, char *out, size_t size) {
    kstream_bytes_t k, v;
    kstream_err_t err;
    size_t n = 0;

    out[0] = '\0';
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK) {
        int w = snprintf(out + n, size - n, "%s%.*s=%.*s", n ? "," : "",
                         (int)k.len, (const char *)k.data, (int)v.len,
                         (const char *)v.data);
        cr_assert(lt(int, 0, w));
        n += (size_t)w;
        cr_assert(lt(sz, n, size));
    }
    cr_assert(eq(int, err, KSTREAM_ERR_EMPTY));
    it->ops->close(it);
}

/* Bytes the cache charges for one entry of these sizes. */
static size_t entry_cost(size_t klen, size_t vlen) {
    ks_cache_t *c = ks_cache_new(1 << 20);
    ks_store_t *s = ks_cache_wrap(ks_kv_mem_new(), c, NULL, NULL);
    char k[64], v[64];
    size_t n;

    memset(k, 'k', klen);
    memset(v, 'v', vlen);
    cr_assert(eq(int, s->ops->put(s, k, klen, v, vlen), KSTREAM_OK));
    n = ks_cache_bytes(c);
    s->ops->close(s);
    cr_assert(eq(sz, ks_cache_bytes(c), (size_t)0));
    ks_cache_destroy(c);
    return n;
}

static ks_cache_t *cache;
static ks_store_t *inner, *layer;
static recorder_t rec;

static void setup(void) {
    memset(&rec, 0, sizeof(rec));
    cache = ks_cache_new(1 << 20);
    inner = ks_kv_mem_new();
    layer = ks_cache_wrap(inner, cache, record, &rec);
    cr_assert_not_null(layer);
}

static void teardown(void) {
    if (layer)
        layer->ops->close(layer);
    ks_cache_destroy(cache);
}

TestSuite(cache, .init = setup, .fini = teardown, .timeout = 10);

/* ---- tests -------------------------------------------------------------- */

Test(cache, repeated_puts_write_down_once_with_the_last_value) {
    cr_assert(eq(int, sput(layer, "k", "1"), KSTREAM_OK));
    cr_assert(eq(int, sput(layer, "k", "2"), KSTREAM_OK));
    cr_assert(eq(int, sput(layer, "k", "3"), KSTREAM_OK));
    cr_assert_null(sget(inner, "k"));
    cr_assert(eq(int, rec.n, 0));

    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 1));
    assert_rec(&rec.recs[0], "k", "3", NULL);
    cr_assert(eq(str, (char *)sget(inner, "k"), "3"));

    /* Flushed entries are clean: a second flush writes nothing. */
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 1));
}

Test(cache, get_sees_dirty_entries_and_cached_deletes) {
    cr_assert(eq(int, sput(inner, "k", "old"), KSTREAM_OK));
    cr_assert(eq(str, (char *)sget(layer, "k"), "old"));
    cr_assert(eq(int, sput(layer, "k", "new"), KSTREAM_OK));
    cr_assert(eq(str, (char *)sget(layer, "k"), "new"));
    cr_assert(eq(int, sput(layer, "k", NULL), KSTREAM_OK));
    cr_assert_null(sget(layer, "k"));
    cr_assert(eq(str, (char *)sget(inner, "k"), "old"));

    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert_null(sget(inner, "k"));
    cr_assert(eq(int, rec.n, 1));
    assert_rec(&rec.recs[0], "k", NULL, "old");
}

Test(cache, empty_value_is_not_absent) {
    cr_assert(eq(int, sput(layer, "k", ""), KSTREAM_OK));
    cr_assert(eq(str, (char *)sget(layer, "k"), ""));
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    assert_rec(&rec.recs[0], "k", "", NULL);
    cr_assert(eq(str, (char *)sget(inner, "k"), ""));
}

Test(cache, flush_writes_in_first_dirtied_order) {
    sput(layer, "b", "1");
    sput(layer, "a", "1");
    sput(layer, "c", "1");
    sput(layer, "b", "2"); /* already dirty: keeps its place */
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 3));
    assert_rec(&rec.recs[0], "b", "2", NULL);
    assert_rec(&rec.recs[1], "a", "1", NULL);
    assert_rec(&rec.recs[2], "c", "1", NULL);

    /* After a flush, order starts again from the first new dirtying. */
    sput(layer, "c", "2");
    sput(layer, "a", "2");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    assert_rec(&rec.recs[3], "c", "2", "1");
    assert_rec(&rec.recs[4], "a", "2", "1");
}

Test(cache, listener_gets_the_old_value_of_the_inner_store) {
    sput(inner, "x", "0");
    sput(layer, "x", "1");
    sput(layer, "y", "1");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    assert_rec(&rec.recs[0], "x", "1", "0");
    assert_rec(&rec.recs[1], "y", "1", NULL);
    sput(layer, "x", "2");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    assert_rec(&rec.recs[2], "x", "2", "1");
}

Test(cache, delete_of_a_key_absent_below_is_not_written) {
    sput(layer, "gone", "1");
    sput(layer, "gone", NULL);
    sput(layer, "never", NULL);
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 0));
    cr_assert_null(sget(layer, "gone"));
}

Test(cache, delete_of_a_key_that_expired_below_is_still_reported) {
    /* A segmented store hides records once they expire: a delete decided
     * while the key was there must still reach the listener, with the
     * value downstream saw as the old one. */
    sput(layer, "s1", "v");
    sput(layer, "s3", "x1");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 2));
    sput(inner, "s2", "w"); /* not cached */
    sput(layer, "s3", "x2"); /* never written down */
    sput(layer, "s1", NULL);
    sput(layer, "s2", NULL);
    sput(layer, "s3", NULL);
    sput(inner, "s1", NULL); /* all three expire below */
    sput(inner, "s2", NULL);
    sput(inner, "s3", NULL);
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 5));
    assert_rec(&rec.recs[2], "s3", NULL, "x1");
    assert_rec(&rec.recs[3], "s1", NULL, "v");
    assert_rec(&rec.recs[4], "s2", NULL, "w");

    /* Deleted and written down: nothing is kept, nothing reported again. */
    sput(layer, "s1", NULL);
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 5));
}

Test(cache, eviction_is_least_recently_used_across_layers) {
    size_t cost = entry_cost(2, 2);
    recorder_t rb;
    ks_store_t *b;

    /* Room for exactly three entries of this size. */
    layer->ops->close(layer);
    ks_cache_destroy(cache);
    cache = ks_cache_new(3 * cost);
    layer = ks_cache_wrap(ks_kv_mem_new(), cache, record, &rec);
    memset(&rb, 0, sizeof(rb));
    b = ks_cache_wrap(ks_kv_mem_new(), cache, record, &rb);

    sput(layer, "k1", "a1");
    sput(b, "k1", "b1");
    sput(layer, "k2", "a2");
    cr_assert(eq(sz, ks_cache_bytes(cache), 3 * cost));
    cr_assert(eq(int, rec.n + rb.n, 0));

    /* Reading A:k1 makes it recent: B:k1 is now the least recently used. */
    cr_assert(eq(str, (char *)sget(layer, "k1"), "a1"));
    cr_assert(eq(int, sput(b, "k2", "b2"), KSTREAM_OK));
    cr_assert(eq(int, rb.n, 1));
    assert_rec(&rb.recs[0], "k1", "b1", NULL);
    cr_assert(eq(int, rec.n, 0));
    cr_assert(eq(sz, ks_cache_bytes(cache), 3 * cost));
    cr_assert(eq(str, (char *)sget(b->inner, "k1"), "b1"));
    cr_assert(eq(str, (char *)sget(b, "k1"), "b1")); /* from below now */

    /* Next in line: A:k2, then A:k1. */
    sput(b, "k3", "b3");
    cr_assert(eq(int, rec.n, 1));
    assert_rec(&rec.recs[0], "k2", "a2", NULL);
    sput(b, "k4", "b4");
    cr_assert(eq(int, rec.n, 2));
    assert_rec(&rec.recs[1], "k1", "a1", NULL);

    /* A flush of B writes only what B still holds, in its order. */
    cr_assert(eq(int, b->ops->flush(b), KSTREAM_OK));
    cr_assert(eq(int, rb.n, 4));
    assert_rec(&rb.recs[1], "k2", "b2", NULL);
    assert_rec(&rb.recs[2], "k3", "b3", NULL);
    assert_rec(&rb.recs[3], "k4", "b4", NULL);
    b->ops->close(b);
}

Test(cache, clean_entries_are_evicted_without_write_down) {
    size_t cost = entry_cost(2, 2);

    layer->ops->close(layer);
    ks_cache_destroy(cache);
    cache = ks_cache_new(2 * cost);
    layer = ks_cache_wrap(ks_kv_mem_new(), cache, record, &rec);
    sput(layer, "k1", "v1");
    sput(layer, "k2", "v2");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 2));
    sput(layer, "k3", "v3"); /* evicts clean k1: no listener call */
    cr_assert(eq(int, rec.n, 2));
    cr_assert(eq(sz, ks_cache_bytes(cache), 2 * cost));
    cr_assert(eq(str, (char *)sget(layer, "k1"), "v1"));
}

Test(cache, repeated_puts_of_one_size_keep_the_byte_count) {
    size_t before;

    sput(layer, "key", "v1");
    before = ks_cache_bytes(cache);
    sput(layer, "key", "v2");
    sput(layer, "key", "v3");
    cr_assert(eq(sz, ks_cache_bytes(cache), before));
    sput(layer, "key", "longer value");
    cr_assert(eq(sz, ks_cache_bytes(cache), before + 10));
    sput(layer, "key", NULL);
    cr_assert(eq(sz, ks_cache_bytes(cache), before - 2));
}

Test(cache, range_merges_cache_and_inner_in_key_order) {
    char out[256];
    ks_iter_t *it;

    sput(inner, "a", "1");
    sput(inner, "b", "2");
    sput(inner, "c", "3");
    sput(inner, "d", "4");
    sput(layer, "b", NULL);  /* cached delete hides b */
    sput(layer, "c", "30");  /* override */
    sput(layer, "aa", "new");
    sput(layer, "e", "5");
    sput(layer, "zz", NULL); /* delete of an absent key */

    cr_assert(eq(int, ks_store_all(layer, &it), KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,aa=new,c=30,d=4,e=5"));

    cr_assert(eq(int, layer->ops->range(layer, "b", 1, "d", 1, &it),
                 KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "c=30,d=4"));

    cr_assert(eq(int, layer->ops->range(layer, "aa", 2, NULL, 0, &it),
                 KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "aa=new,c=30,d=4,e=5"));

    cr_assert(eq(int, layer->ops->prefix(layer, "a", 1, &it), KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,aa=new"));

    cr_assert(eq(int, layer->ops->range(layer, "d", 1, "b", 1, &it),
                 KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, ""));

    /* The same after the flush, now from below. */
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, ks_store_all(inner, &it), KSTREAM_OK));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,aa=new,c=30,d=4,e=5"));
}

Test(cache, iterator_sees_the_cache_as_of_its_creation) {
    char out[256];
    kstream_bytes_t k, v;
    ks_iter_t *it;
    size_t cost = entry_cost(1, 1);

    layer->ops->close(layer);
    ks_cache_destroy(cache);
    cache = ks_cache_new(2 * cost);
    inner = ks_kv_mem_new();
    layer = ks_cache_wrap(inner, cache, record, &rec);
    sput(layer, "a", "1");
    sput(layer, "b", "2");
    cr_assert(eq(int, ks_store_all(layer, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "a", 1), 0));
    /* Evicts a and b to the inner store, whose iterator is at its end:
     * b still comes from the iterator's copy of the cache. */
    sput(layer, "c", "3");
    sput(layer, "d", "4");
    cr_assert(eq(int, rec.n, 2));
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "b=2"));

    /* Evicted between creation and the first step: seen once. */
    cr_assert(eq(int, ks_store_all(layer, &it), KSTREAM_OK));
    sput(layer, "b", "9"); /* put after creation: not seen */
    sput(layer, "e", "5");
    drain(it, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,b=2,c=3,d=4"));
}

Test(cache, zero_bytes_is_write_through) {
    ks_store_t *l0;
    ks_cache_t *c0 = ks_cache_new(0);
    recorder_t r0;

    memset(&r0, 0, sizeof(r0));
    l0 = ks_cache_wrap(ks_kv_mem_new(), c0, record, &r0);
    cr_assert(eq(int, sput(l0, "k", "1"), KSTREAM_OK));
    cr_assert(eq(int, r0.n, 1));
    assert_rec(&r0.recs[0], "k", "1", NULL);
    cr_assert(eq(str, (char *)sget(l0->inner, "k"), "1"));
    cr_assert(eq(int, sput(l0, "k", "2"), KSTREAM_OK));
    cr_assert(eq(int, r0.n, 2));
    assert_rec(&r0.recs[1], "k", "2", "1");
    cr_assert(eq(int, sput(l0, "k", NULL), KSTREAM_OK));
    assert_rec(&r0.recs[2], "k", NULL, "2");
    cr_assert(eq(int, sput(l0, "k", NULL), KSTREAM_OK)); /* absent */
    cr_assert(eq(int, r0.n, 3));
    cr_assert(eq(sz, ks_cache_bytes(c0), (size_t)0));
    cr_assert(eq(int, l0->ops->flush(l0), KSTREAM_OK));
    cr_assert(eq(int, r0.n, 3));
    l0->ops->close(l0);
    ks_cache_destroy(c0);
}

Test(cache, listener_error_stops_the_flush_and_is_returned) {
    sput(layer, "a", "1");
    sput(layer, "b", "1");
    sput(layer, "c", "1");
    rec.fail_at = 2;
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_ERR_USER));
    cr_assert(eq(int, rec.n, 2));
    /* b was written before its listener failed; c was not. */
    cr_assert(eq(str, (char *)sget(inner, "b"), "1"));
    cr_assert_null(sget(inner, "c"));

    rec.fail_at = 0;
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 3));
    assert_rec(&rec.recs[2], "c", "1", NULL);
}

Test(cache, listener_error_of_an_eviction_is_returned_by_put) {
    size_t cost = entry_cost(1, 1);

    layer->ops->close(layer);
    ks_cache_destroy(cache);
    cache = ks_cache_new(cost);
    inner = ks_kv_mem_new();
    layer = ks_cache_wrap(inner, cache, record, &rec);
    rec.fail_at = 1;
    cr_assert(eq(int, sput(layer, "a", "1"), KSTREAM_OK));
    cr_assert(eq(int, sput(layer, "b", "2"), KSTREAM_ERR_USER));
    cr_assert(eq(str, (char *)sget(inner, "a"), "1"));
    cr_assert(eq(str, (char *)sget(layer, "b"), "2"));
}

Test(cache, approximate_count_includes_unflushed_entries) {
    sput(inner, "a", "1");
    sput(inner, "b", "1");
    sput(layer, "c", "1");
    sput(layer, "a", NULL);
    sput(layer, "b", "2");
    sput(layer, "z", NULL);
    cr_assert(eq(u64, layer->ops->approximate_count(layer), 2));
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(u64, layer->ops->approximate_count(layer), 2));
}

Test(cache, written_count_skips_unflushed_entries) {
    sput(inner, "a", "1");
    sput(layer, "c", "1");
    sput(layer, "d", "1");
    sput(layer, "a", NULL);
    /* The statistics' count: what is written below the cache. */
    cr_assert(eq(u64, ks_store_written_count(layer), 1));
    cr_assert(eq(u64, layer->ops->approximate_count(layer), 2));
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(u64, ks_store_written_count(layer), 2));
    cr_assert(eq(u64, ks_store_written_count(inner), 2));
}

Test(cache, write_down_runs_with_the_time_of_the_put) {
    int64_t now = 10;

    rec.now = &now;
    ks_cache_set_time(layer, &now);
    sput(layer, "a", "1");
    now = 20;
    sput(layer, "b", "1");
    now = 30;
    sput(layer, "a", "2"); /* a's time is now 30 */
    now = 99;
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(i64, rec.recs[0].now, 30));
    cr_assert(eq(i64, rec.recs[1].now, 20));
    cr_assert(eq(i64, now, 99));
}

Test(cache, drop_forgets_unflushed_entries) {
    sput(inner, "a", "0");
    sput(layer, "a", "1");
    sput(layer, "b", "1");
    ks_cache_drop(layer);
    cr_assert(eq(sz, ks_cache_bytes(cache), (size_t)0));
    cr_assert(eq(str, (char *)sget(layer, "a"), "0"));
    cr_assert_null(sget(layer, "b"));
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, rec.n, 0));
}

Test(cache, close_drops_entries_and_frees_the_bytes) {
    sput(layer, "a", "1");
    cr_assert(lt(sz, (size_t)0, ks_cache_bytes(cache)));
    layer->ops->close(layer);
    layer = NULL;
    cr_assert(eq(sz, ks_cache_bytes(cache), (size_t)0));
    cr_assert(eq(int, rec.n, 0));
}

/* A layer's hash table is charged beyond its first 16 slots: 100
 * entries grow it to 128 slots, a drop takes it back to 16, and a close
 * returns whatever it has. */
Test(cache, a_grown_table_is_charged_until_it_shrinks_or_closes) {
    size_t cost = entry_cost(4, 2);
    ks_cache_t *c = ks_cache_new(1 << 20);
    ks_store_t *s = ks_cache_wrap(ks_kv_mem_new(), c, NULL, NULL);
    char k[16];

    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        cr_assert(eq(int, sput(s, k, "v0"), KSTREAM_OK));
    }
    cr_assert(eq(sz, ks_cache_bytes(c), 100 * cost + 112 * sizeof(uintptr_t)));
    /* Flushed, then dropped. */
    cr_assert(eq(int, s->ops->flush(s), KSTREAM_OK));
    ks_cache_drop(s);
    cr_assert(eq(sz, ks_cache_bytes(c), (size_t)0));
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        cr_assert(eq(int, sput(s, k, "v0"), KSTREAM_OK));
    }
    s->ops->close(s);
    cr_assert(eq(sz, ks_cache_bytes(c), (size_t)0));
    ks_cache_destroy(c);
}

/* A layer that records observe_time, under the cache. */
static int64_t observed = -1;
static void probe_observe(ks_store_t *s, int64_t t) {
    (void)s;
    observed = t;
}

Test(cache, observe_time_passes_down) {
    ks_store_ops_t ops = *inner->ops;
    const ks_store_ops_t *saved = inner->ops;

    ops.observe_time = probe_observe;
    inner->ops = &ops;
    ks_store_observe_time(layer, 1234);
    cr_assert(eq(i64, observed, 1234));
    inner->ops = saved;
}

Test(cache, many_keys_under_a_small_bound_all_reach_the_inner_store) {
    char k[16], v[16];
    int i;
    ks_iter_t *it;
    kstream_bytes_t kk, vv;
    int n = 0;

    layer->ops->close(layer);
    ks_cache_destroy(cache);
    cache = ks_cache_new(4096);
    inner = ks_kv_mem_new();
    layer = ks_cache_wrap(inner, cache, NULL, NULL);
    for (i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "k%05d", i % 500);
        snprintf(v, sizeof(v), "v%d", i);
        cr_assert(eq(int, sput(layer, k, v), KSTREAM_OK));
        cr_assert(le(sz, ks_cache_bytes(cache), (size_t)4096));
    }
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    cr_assert(eq(int, ks_store_all(inner, &it), KSTREAM_OK));
    while (it->ops->next(it, &kk, &vv) == KSTREAM_OK) {
        snprintf(v, sizeof(v), "v%d", 1500 + n);
        cr_assert(eq(int, (int)vv.len, (int)strlen(v)));
        cr_assert(eq(int, memcmp(vv.data, v, vv.len), 0));
        n++;
    }
    it->ops->close(it);
    cr_assert(eq(int, n, 500));
}

/* ---- a random model check ------------------------------------------------ */

#define MK 150 /* keys "k0" .. "k149" */
#define MV 40  /* longest value */

typedef struct mval {
    bool present;
    size_t len;
    char data[MV];
} mval_t;

/* One layer under test: what reads must show (model) and what its inner
 * store must hold, as told by the listener (below). */
typedef struct mlayer {
    ks_store_t *s;
    mval_t model[MK];
    mval_t below[MK];
    unsigned long reports;
} mlayer_t;

static int key_index(const void *k, size_t klen) {
    char buf[8];
    cr_assert(lt(sz, (size_t)1, klen));
    cr_assert(lt(sz, klen, sizeof(buf)));
    memcpy(buf, k, klen);
    buf[klen] = '\0';
    return atoi(buf + 1);
}

static bool mval_is(const mval_t *m, const void *p, size_t len) {
    if (!p)
        return !m->present;
    return m->present && m->len == len &&
           (len == 0 || memcmp(m->data, p, len) == 0);
}

static kstream_err_t model_listener(void *opaque, const void *key,
                                    size_t klen, const void *value,
                                    size_t vlen, const void *old,
                                    size_t olen) {
    mlayer_t *ml = opaque;
    mval_t *b = &ml->below[key_index(key, klen)];

    cr_assert(mval_is(b, old, olen), "old value of %.*s", (int)klen,
              (const char *)key);
    cr_assert(value || old, "a delete of an absent key was reported");
    b->present = value != NULL;
    b->len = value ? vlen : 0;
    if (value && vlen > 0)
        memcpy(b->data, value, vlen);
    ml->reports++;
    return KSTREAM_OK;
}

static unsigned long mrand(unsigned long *st) {
    *st = *st * 6364136223846793005ul + 1442695040888963407ul;
    return *st >> 33;
}

/* Keys of the model in store order within [from, to] (NULL: open) or
 * with the prefix, as "k=v," pairs, against what the iterator gives. */
static void check_range(mlayer_t *ml, const char *from, const char *to,
                        const char *prefix) {
    char want[MK * (MV + 8)], got[MK * (MV + 8)];
    size_t nw = 0, ng = 0;
    int order[MK], n = 0, i, j;
    ks_iter_t *it;
    kstream_bytes_t k, v;
    kstream_err_t err;

    for (i = 0; i < MK; i++) {
        char key[32];
        int len = snprintf(key, sizeof(key), "k%d", i);
        if (!ml->model[i].present)
            continue;
        if (prefix && strncmp(key, prefix, strlen(prefix)) != 0)
            continue;
        if (!prefix && from &&
            ks_key_cmp(key, (size_t)len, from, strlen(from)) < 0)
            continue;
        if (!prefix && to && ks_key_cmp(key, (size_t)len, to, strlen(to)) > 0)
            continue;
        order[n++] = i;
    }
    for (i = 1; i < n; i++) { /* insertion sort by key bytes */
        for (j = i; j > 0; j--) {
            char a[32], b[32];
            snprintf(a, sizeof(a), "k%d", order[j - 1]);
            snprintf(b, sizeof(b), "k%d", order[j]);
            if (ks_key_cmp(a, strlen(a), b, strlen(b)) < 0)
                break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    }
    for (i = 0; i < n; i++)
        nw += (size_t)snprintf(want + nw, sizeof(want) - nw, "k%d=%.*s,",
                               order[i], (int)ml->model[order[i]].len,
                               ml->model[order[i]].data);
    want[nw] = '\0';
    err = prefix ? ml->s->ops->prefix(ml->s, prefix, strlen(prefix), &it)
                 : ml->s->ops->range(ml->s, from, from ? strlen(from) : 0,
                                     to, to ? strlen(to) : 0, &it);
    cr_assert(eq(int, err, KSTREAM_OK));
    while ((err = it->ops->next(it, &k, &v)) == KSTREAM_OK)
        ng += (size_t)snprintf(got + ng, sizeof(got) - ng, "%.*s=%.*s,",
                               (int)k.len, (const char *)k.data, (int)v.len,
                               (const char *)v.data);
    got[ng] = '\0';
    cr_assert(eq(int, err, KSTREAM_ERR_EMPTY));
    it->ops->close(it);
    cr_assert(eq(str, got, want), "range [%s, %s] prefix %s",
              from ? from : "-", to ? to : "-", prefix ? prefix : "-");
}

/* Random puts (values of changing lengths), deletes, gets, ranges and
 * flushes over a plain and an ordered layer sharing a small cache, so
 * that entries are evicted across layers, grow, shrink and move: every
 * read matches the model, every write-down reports the inner store's
 * previous value, and after a flush the inner store is the model. */
Test(cache, random_operations_match_a_model) {
    static mlayer_t ml[2];
    unsigned long st = 12345;
    int step, l, i;

    layer->ops->close(layer);
    layer = NULL;
    ks_cache_destroy(cache);
    cache = ks_cache_new(3000);
    memset(ml, 0, sizeof(ml));
    for (l = 0; l < 2; l++) {
        ml[l].s = ks_cache_wrap(ks_kv_mem_new(), cache, model_listener,
                                &ml[l]);
        cr_assert_not_null(ml[l].s);
    }
    cr_assert(eq(int, ks_cache_set_ordered(ml[1].s), KSTREAM_OK));
    for (step = 0; step < 40000; step++) {
        mlayer_t *m = &ml[mrand(&st) % 2];
        int op = (int)(mrand(&st) % 100);
        int ki = (int)(mrand(&st) % MK);
        char key[32];
        size_t klen = (size_t)snprintf(key, sizeof(key), "k%d", ki);
        mval_t *mv = &m->model[ki];

        if (op < 55) {
            char v[MV];
            size_t len = mrand(&st) % (MV + 1);
            for (i = 0; i < (int)len; i++)
                v[i] = (char)('a' + mrand(&st) % 26);
            cr_assert(eq(int, m->s->ops->put(m->s, key, klen, v, len),
                         KSTREAM_OK));
            mv->present = true;
            mv->len = len;
            memcpy(mv->data, v, len);
        } else if (op < 70) {
            cr_assert(eq(int, m->s->ops->put(m->s, key, klen, NULL, 0),
                         KSTREAM_OK));
            mv->present = false;
        } else if (op < 93) {
            kstream_bytes_t v;
            kstream_err_t err = m->s->ops->get(m->s, key, klen, &v);
            cr_assert(eq(int, err,
                         mv->present ? KSTREAM_OK : KSTREAM_ERR_NOT_FOUND));
            if (!err)
                cr_assert(mval_is(mv, v.data, v.len), "get %s", key);
        } else if (op < 96) {
            char from[32], to[32];
            snprintf(from, sizeof(from), "k%lu", mrand(&st) % MK);
            snprintf(to, sizeof(to), "k%lu", mrand(&st) % MK);
            check_range(m, op == 93 ? NULL : from, op == 94 ? NULL : to,
                        NULL);
        } else if (op < 98) {
            char prefix[32];
            snprintf(prefix, sizeof(prefix), "k%lu", mrand(&st) % 20);
            check_range(m, NULL, NULL, prefix);
        } else {
            cr_assert(eq(int, m->s->ops->flush(m->s), KSTREAM_OK));
        }
        cr_assert(le(sz, ks_cache_bytes(cache), (size_t)3000));
    }
    for (l = 0; l < 2; l++) {
        cr_assert(eq(int, ml[l].s->ops->flush(ml[l].s), KSTREAM_OK));
        for (i = 0; i < MK; i++) {
            cr_assert(eq(int, ml[l].below[i].present, ml[l].model[i].present),
                      "layer %d key %d", l, i);
            if (ml[l].model[i].present)
                cr_assert(mval_is(&ml[l].below[i], ml[l].model[i].data,
                                  ml[l].model[i].len));
        }
        cr_assert(lt(u64, 1000, ml[l].reports));
    }
    for (l = 0; l < 2; l++)
        ml[l].s->ops->close(ml[l].s);
    cr_assert(eq(sz, ks_cache_bytes(cache), (size_t)0));
}

Test(cache, an_ordered_layer_charges_its_index) {
    size_t plain = entry_cost(2, 2), ordered;

    cr_assert(eq(int, ks_cache_set_ordered(layer), KSTREAM_OK));
    cr_assert(eq(int, sput(layer, "k1", "v1"), KSTREAM_OK));
    ordered = ks_cache_bytes(cache);
    cr_assert(lt(sz, plain, ordered));
    /* An existing entry is charged when the layer becomes ordered. */
    layer->ops->close(layer);
    inner = ks_kv_mem_new();
    layer = ks_cache_wrap(inner, cache, record, &rec);
    cr_assert(eq(int, sput(layer, "k1", "v1"), KSTREAM_OK));
    cr_assert(eq(sz, ks_cache_bytes(cache), plain));
    cr_assert(eq(int, ks_cache_set_ordered(layer), KSTREAM_OK));
    cr_assert(eq(sz, ks_cache_bytes(cache), ordered));
}

/* Evictions follow the exact LRU order however many uses came between
 * them (the cache applies its LRU moves in batches). */
Test(cache, eviction_order_is_exact_lru_after_many_uses) {
    enum { N = 100 };
    size_t cost = entry_cost(4, 2);
    int order[N]; /* order[0]: least recently used key */
    unsigned long st = 777;
    int i, j, step;
    char k[32];

    /* A cache that holds exactly the N entries and the hash table they
     * need (charged beyond its first slots): measured on a large one. */
    size_t full = 0;
    for (int pass = 0; pass < 2; pass++) {
        layer->ops->close(layer);
        ks_cache_destroy(cache);
        cache = ks_cache_new(pass ? full : 1 << 20);
        layer = ks_cache_wrap(ks_kv_mem_new(), cache, NULL, NULL);
        for (i = 0; i < N; i++) {
            snprintf(k, sizeof(k), "k%03d", i);
            cr_assert(eq(int, sput(layer, k, "v0"), KSTREAM_OK));
            order[i] = i;
        }
        full = ks_cache_bytes(cache);
    }
    /* 100 entries: a table of 128 slots, 112 beyond the first 16. */
    cr_assert(eq(sz, full, N * cost + 112 * sizeof(uintptr_t)));
    for (step = 0; step < 1000; step++) {
        int key = (int)(mrand(&st) % N);
        snprintf(k, sizeof(k), "k%03d", key);
        if (mrand(&st) % 2)
            cr_assert_not_null(sget(layer, k));
        else
            cr_assert(eq(int, sput(layer, k, "v1"), KSTREAM_OK));
        for (i = 0; order[i] != key; i++)
            ;
        for (j = i; j < N - 1; j++)
            order[j] = order[j + 1];
        order[N - 1] = key;
    }
    /* Each new key evicts the least recently used entry - or a few more
     * when its table grows (2 deleted slots more and the 128 slots double:
     * 1 KiB more charged) - still dirty (no flush yet), so it reaches the
     * inner store: the evicted keys are always the first of the LRU
     * order, and the others are all still cached. */
    int evicted = 0;
    for (i = 0; i < N; i++) {
        char victim[32];
        snprintf(k, sizeof(k), "n%03d", i);
        cr_assert(eq(int, sput(layer, k, "v2"), KSTREAM_OK));
        for (; evicted < N; evicted++) {
            snprintf(victim, sizeof(victim), "k%03d", order[evicted]);
            if (!sget(layer->inner, victim))
                break;
        }
        cr_assert(le(int, i + 1, evicted), "eviction %d", i);
        /* The doubling's 128 more slots pay for so many entries. */
        cr_assert(le(int, evicted,
                     i + 2 + (int)(128 * sizeof(uintptr_t) / cost)),
                  "eviction %d", i);
        for (j = evicted; j < N; j++) {
            snprintf(victim, sizeof(victim), "k%03d", order[j]);
            cr_assert_null(sget(layer->inner, victim), "eviction %d", i);
        }
    }
}

/* A get counter on the inner store. */
static int inner_gets;
static kstream_err_t (*real_get)(ks_store_t *, const void *, size_t,
                                 kstream_bytes_t *);
static kstream_err_t counting_get(ks_store_t *s, const void *key,
                                  size_t klen, kstream_bytes_t *value) {
    inner_gets++;
    return real_get(s, key, klen, value);
}

Test(cache, without_old_values_puts_are_written_without_a_read) {
    ks_store_ops_t ops = *inner->ops;
    const ks_store_ops_t *saved = inner->ops;

    real_get = saved->get;
    ops.get = counting_get;
    inner->ops = &ops;
    inner_gets = 0;
    ks_cache_set_old_values(layer, false);
    sput(inner, "a", "0");
    sput(inner, "d", "0");
    sput(layer, "a", "1");
    sput(layer, "b", "1");
    sput(layer, "d", NULL);   /* reads: the delete keeps what was below */
    sput(layer, "z", NULL);   /* reads: absent below */
    cr_assert(eq(int, inner_gets, 2));
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    /* The deletes are read again at write-down, the puts are not. */
    cr_assert(eq(int, inner_gets, 4));
    cr_assert(eq(int, rec.n, 3));
    assert_rec(&rec.recs[0], "a", "1", NULL);
    assert_rec(&rec.recs[1], "b", "1", NULL);
    assert_rec(&rec.recs[2], "d", NULL, "0");
    cr_assert(eq(str, (char *)sget(inner, "a"), "1"));
    cr_assert_null(sget(inner, "d"));

    /* Wanted again: the old value comes back. */
    ks_cache_set_old_values(layer, true);
    sput(layer, "a", "2");
    cr_assert(eq(int, layer->ops->flush(layer), KSTREAM_OK));
    assert_rec(&rec.recs[3], "a", "2", "1");
    inner->ops = saved;
}
