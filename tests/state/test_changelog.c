/* test_changelog.c - lib/state/changelog.c: the changelogging layer, alone
 * and under a caching layer. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/client.h"
#include "state/store.h"

/* ---- a fake record collector ------------------------------------------- */

#define OUT_MAX 64

typedef struct produced {
    char topic[64];
    int32_t partition;
    char key[32];
    char value[32];
    bool tombstone;
    int64_t ts;
} produced_t;

typedef struct collector {
    produced_t recs[OUT_MAX];
    int n;
    kstream_err_t fail_with; /* returned by every produce when set */
} collector_t;

static void copy_str(char *dst, size_t size, const void *p, size_t len) {
    cr_assert(lt(sz, len, size));
    if (len > 0)
        memcpy(dst, p, len);
    dst[len] = '\0';
}

static kstream_err_t collect(void *owner, const ks_out_t *out) {
    collector_t *c = owner;
    produced_t *p;

    if (c->fail_with != KSTREAM_OK)
        return c->fail_with;
    cr_assert(lt(int, c->n, OUT_MAX));
    p = &c->recs[c->n++];
    copy_str(p->topic, sizeof(p->topic), out->topic, strlen(out->topic));
    p->partition = out->partition;
    copy_str(p->key, sizeof(p->key), out->key, out->key_len);
    p->tombstone = out->value == NULL;
    if (out->value)
        copy_str(p->value, sizeof(p->value), out->value, out->value_len);
    p->ts = out->timestamp;
    cr_assert_null(out->headers);
    return KSTREAM_OK;
}

static kstream_err_t sput(ks_store_t *s, const char *k, const char *v) {
    return s->ops->put(s, k, strlen(k), v, v ? strlen(v) : 0);
}

static bool has(ks_store_t *s, const char *k, const char *v) {
    kstream_bytes_t got;

    if (s->ops->get(s, k, strlen(k), &got) != KSTREAM_OK)
        return v == NULL;
    return v && got.len == strlen(v) && memcmp(got.data, v, got.len) == 0;
}

static void assert_produced(const produced_t *p, const char *k,
                            const char *v, int64_t ts) {
    cr_assert(eq(str, (char *)p->topic, "app-counts-changelog"));
    cr_assert(eq(i32, p->partition, 3));
    cr_assert(eq(str, (char *)p->key, (char *)k));
    cr_assert(eq(int, p->tombstone, v == NULL));
    if (v)
        cr_assert(eq(str, (char *)p->value, (char *)v));
    cr_assert(eq(i64, p->ts, ts));
}

static collector_t col;
static int64_t now;
static ks_store_t *bottom, *logged;

static void setup(void) {
    memset(&col, 0, sizeof(col));
    now = 100;
    bottom = ks_kv_mem_new();
    logged = ks_changelog_wrap(bottom, "app-counts-changelog", 3, collect,
                               &col, &now, false);
    cr_assert_not_null(logged);
}

static void teardown(void) {
    logged->ops->close(logged);
}

TestSuite(changelog, .init = setup, .fini = teardown, .timeout = 10);

/* ---- tests -------------------------------------------------------------- */

Test(changelog, every_put_and_delete_is_written_and_produced) {
    cr_assert(eq(int, sput(logged, "a", "1"), KSTREAM_OK));
    now = 200;
    cr_assert(eq(int, sput(logged, "a", "2"), KSTREAM_OK));
    cr_assert(eq(int, sput(logged, "b", ""), KSTREAM_OK));
    now = 300;
    cr_assert(eq(int, sput(logged, "a", NULL), KSTREAM_OK));

    cr_assert(eq(int, col.n, 4));
    assert_produced(&col.recs[0], "a", "1", 100);
    assert_produced(&col.recs[1], "a", "2", 200);
    assert_produced(&col.recs[2], "b", "", 200);
    assert_produced(&col.recs[3], "a", NULL, 300);
    cr_assert(has(bottom, "a", NULL));
    cr_assert(has(bottom, "b", ""));
}

Test(changelog, negative_timestamps_are_produced_as_zero) {
    now = -5;
    cr_assert(eq(int, sput(logged, "k", "v"), KSTREAM_OK));
    assert_produced(&col.recs[0], "k", "v", 0);
}

Test(changelog, produce_error_is_returned_after_the_local_write) {
    col.fail_with = KSTREAM_ERR_KAFKA;
    cr_assert(eq(int, sput(logged, "k", "v"), KSTREAM_ERR_KAFKA));
    cr_assert(has(bottom, "k", "v"));
}

Test(changelog, reads_pass_through) {
    ks_iter_t *it;
    kstream_bytes_t k, v;
    uint64_t n;

    sput(logged, "a", "1");
    sput(logged, "b", "2");
    cr_assert(has(logged, "a", "1"));
    cr_assert(has(logged, "zz", NULL));
    n = logged->ops->approximate_count(logged);
    cr_assert(eq(u64, n, 2));
    cr_assert(eq(int, logged->ops->prefix(logged, "b", 1, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, memcmp(k.data, "b", 1), 0));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
    cr_assert(eq(int, ks_store_all(logged, &it), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_OK));
    cr_assert(eq(int, it->ops->next(it, &k, &v), KSTREAM_ERR_EMPTY));
    it->ops->close(it);
    cr_assert(eq(int, logged->ops->flush(logged), KSTREAM_OK));
    cr_assert(eq(int, col.n, 2)); /* reads and flush produce nothing */
}

Test(changelog, cache_above_absorbs_repeated_updates) {
    ks_cache_t *cache = ks_cache_new(1 << 20);
    ks_store_t *top = ks_cache_wrap(logged, cache, NULL, NULL);
    int i;

    ks_cache_set_time(top, &now);
    for (i = 0; i < 10; i++) {
        char v[2] = {(char)('0' + i), '\0'};
        now = 1000 + i;
        cr_assert(eq(int, sput(top, "hot", v), KSTREAM_OK));
        if (i < 5) {
            now = 2000 + i;
            cr_assert(eq(int, sput(top, "warm", v), KSTREAM_OK));
        }
    }
    now = 3000;
    sput(top, "brief", "x");
    sput(top, "brief", NULL); /* never reached the store: no tombstone */
    cr_assert(eq(int, col.n, 0));

    now = 5000;
    cr_assert(eq(int, top->ops->flush(top), KSTREAM_OK));
    cr_assert(eq(int, col.n, 2));
    assert_produced(&col.recs[0], "hot", "9", 1009);
    assert_produced(&col.recs[1], "warm", "4", 2004);
    cr_assert(eq(i64, now, 5000));
    cr_assert(has(bottom, "hot", "9"));

    /* A delete of a stored key becomes one tombstone. */
    sput(top, "warm", "again");
    sput(top, "warm", NULL);
    cr_assert(eq(int, top->ops->flush(top), KSTREAM_OK));
    cr_assert(eq(int, col.n, 3));
    assert_produced(&col.recs[2], "warm", NULL, 5000);

    top->ops->close(top); /* closes logged and bottom too */
    ks_cache_destroy(cache);
    logged = ks_changelog_wrap(ks_kv_mem_new(), "t", 0, collect, &col, &now, false);
}

Test(changelog, written_count_goes_past_the_buffering_layers) {
    /* The stack of an exactly-once DSL store: cache -> changelog -> txn ->
     * bottom. */
    ks_store_t *mem = ks_kv_mem_new();
    ks_store_t *txn = ks_txn_wrap(mem);
    cr_assert_not_null(txn);
    ks_store_t *log2 = ks_changelog_wrap(txn, "t", 0, collect, &col, &now,
                                         false);
    cr_assert_not_null(log2);
    ks_cache_t *cache = ks_cache_new(1 << 20);
    ks_store_t *top = ks_cache_wrap(log2, cache, NULL, NULL);
    cr_assert_not_null(top);

    sput(mem, "old", "1");
    sput(top, "a", "1");
    sput(top, "b", "1");
    cr_assert(eq(u64, ks_store_written_count(top), 1)); /* cached */
    cr_assert(eq(u64, top->ops->approximate_count(top), 3));
    cr_assert(eq(int, top->ops->flush(top), KSTREAM_OK));
    cr_assert(eq(u64, ks_store_written_count(top), 1)); /* in the txn */
    cr_assert(eq(int, ks_txn_commit(txn, 2), KSTREAM_OK));
    cr_assert(eq(u64, ks_store_written_count(top), 3));

    top->ops->close(top); /* the whole stack */
    ks_cache_destroy(cache);
}

Test(changelog, without_cache_every_update_is_produced) {
    int i;

    for (i = 0; i < 10; i++)
        sput(logged, "hot", "v");
    cr_assert(eq(int, col.n, 10));
}
