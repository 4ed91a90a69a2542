/* test_public_store.c - lib/state/metered.c: the public store handle
 * (kstream_store_*, kstream_window_store_*, kstream_session_store_*,
 * kstream_iter_*) over in-memory stacks built with ks_pstore_new(). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"

/* ---- helpers ------------------------------------------------------------ */

static bool bytes_is(kstream_bytes_t b, const char *s) {
    return b.data && b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

static kstream_store_t *kv_store(void) {
    kstream_store_t *st = ks_pstore_new(ks_kv_mem_new(), "kv",
                                        KSTREAM_STORE_KEY_VALUE, false, false,
                                        0, NULL, NULL);
    cr_assert_not_null(st);
    return st;
}

static kstream_err_t put(kstream_store_t *st, const char *k, const char *v) {
    return kstream_store_put(st, k, strlen(k), v, v ? strlen(v) : 0);
}

/* "key=value" (or "key@start-end=value" for window and session
 * iterators) of every entry, comma-separated; closes it. */
static void drain(kstream_iter_t *it, bool windowed, char *out, size_t size) {
    kstream_bytes_t k, v;
    kstream_err_t err;
    size_t n = 0;

    out[0] = '\0';
    while ((err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK) {
        int64_t s, e;
        int w;
        cr_assert(eq(int, kstream_iter_window(it, &s, &e), KSTREAM_OK));
        if (windowed)
            w = snprintf(out + n, size - n, "%s%.*s@%lld-%lld=%.*s",
                         n ? "," : "", (int)k.len, (const char *)k.data,
                         (long long)s, (long long)e, (int)v.len,
                         (const char *)v.data);
        else {
            cr_assert(eq(i64, s, -1));
            cr_assert(eq(i64, e, -1));
            w = snprintf(out + n, size - n, "%s%.*s=%.*s", n ? "," : "",
                         (int)k.len, (const char *)k.data, (int)v.len,
                         (const char *)v.data);
        }
        cr_assert(lt(int, 0, w));
        n += (size_t)w;
        cr_assert(lt(sz, n, size));
    }
    cr_assert(eq(int, err, KSTREAM_ERR_EMPTY));
    /* The end is sticky. */
    cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_ERR_EMPTY));
    kstream_iter_close(it);
}

TestSuite(public_store, .timeout = 10);

/* ---- key-value stores ---------------------------------------------------- */

Test(public_store, key_value_get_put_delete) {
    kstream_store_t *st = kv_store();
    kstream_bytes_t v, old;

    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_KEY_VALUE));
    cr_assert(eq(str, (char *)kstream_store_name(st), "kv"));
    cr_assert(eq(int, kstream_store_get(st, "a", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, put(st, "a", "1"), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_get(st, "a", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "1"));
    cr_assert(eq(int, put(st, "a", "22"), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_get(st, "a", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "22"));

    /* An empty value is a value. */
    cr_assert(eq(int, put(st, "e", ""), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_get(st, "e", 1, &v), KSTREAM_OK));
    cr_assert(eq(sz, v.len, (size_t)0));
    cr_assert_not_null(v.data);

    cr_assert(eq(int, kstream_store_delete(st, "a", 1, &old), KSTREAM_OK));
    cr_assert(bytes_is(old, "22"));
    cr_assert(eq(int, kstream_store_get(st, "a", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_store_delete(st, "a", 1, &old),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_store_delete(st, "e", 1, NULL), KSTREAM_OK));

    /* put with a NULL value deletes. */
    cr_assert(eq(int, put(st, "b", "1"), KSTREAM_OK));
    cr_assert(eq(int, put(st, "b", NULL), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_get(st, "b", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    ks_pstore_close(st);
}

Test(public_store, put_if_absent_reports_the_present_value) {
    kstream_store_t *st = kv_store();
    kstream_bytes_t ex = {"junk", 4}, v;

    cr_assert(eq(int, kstream_store_put_if_absent(st, "k", 1, "v1", 2, &ex),
                 KSTREAM_OK));
    cr_assert_null(ex.data);
    cr_assert(eq(int, kstream_store_put_if_absent(st, "k", 1, "v2", 2, &ex),
                 KSTREAM_ERR_DUPLICATE_NAME));
    cr_assert(bytes_is(ex, "v1"));
    cr_assert(eq(int, kstream_store_put_if_absent(st, "k", 1, "v3", 2, NULL),
                 KSTREAM_ERR_DUPLICATE_NAME));
    cr_assert(eq(int, kstream_store_get(st, "k", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "v1"));
    ks_pstore_close(st);
}

Test(public_store, range_prefix_all_and_count) {
    kstream_store_t *st = kv_store();
    kstream_iter_t *it;
    uint64_t n = 99;
    char out[256];

    put(st, "b", "2");
    put(st, "a", "1");
    put(st, "ab", "12");
    put(st, "c", "3");
    cr_assert(eq(int, kstream_store_approximate_count(st, &n), KSTREAM_OK));
    cr_assert(eq(u64, n, 4));

    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,ab=12,b=2,c=3"));

    cr_assert(eq(int, kstream_store_range(st, "ab", 2, "b", 1, &it),
                 KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "ab=12,b=2"));

    cr_assert(eq(int, kstream_store_range(st, NULL, 0, "ab", 2, &it),
                 KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,ab=12"));

    cr_assert(eq(int, kstream_store_range(st, "b", 1, NULL, 0, &it),
                 KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "b=2,c=3"));

    cr_assert(eq(int, kstream_store_prefix(st, "a", 1, &it), KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,ab=12"));

    cr_assert(eq(int, kstream_store_prefix(st, NULL, 0, &it), KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "a=1,ab=12,b=2,c=3"));
    ks_pstore_close(st);
}

Test(public_store, key_value_over_a_cache_and_changelog_stack) {
    ks_cache_t *cache = ks_cache_new(1 << 20);
    ks_store_t *top = ks_cache_wrap(ks_kv_mem_new(), cache, NULL, NULL);
    kstream_store_t *st = ks_pstore_new(top, "cached",
                                        KSTREAM_STORE_KEY_VALUE, false, false,
                                        0, NULL, NULL);
    kstream_bytes_t v, old;
    kstream_iter_t *it;
    char out[128];

    cr_assert(eq(ptr, ks_pstore_stack(st), top));
    put(st, "a", "1");
    put(st, "b", "2");
    cr_assert(eq(int, kstream_store_delete(st, "a", 1, &old), KSTREAM_OK));
    cr_assert(bytes_is(old, "1"));
    cr_assert(eq(int, kstream_store_get(st, "a", 1, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "b=2"));
    ks_pstore_close(st);
    ks_cache_destroy(cache);
}

/* ---- window stores --------------------------------------------------------- */

static kstream_store_t *window_store(void) {
    kstream_store_t *st = ks_pstore_new(ks_kv_mem_new(), "win",
                                        KSTREAM_STORE_WINDOW, false, false,
                                        10, NULL, NULL);
    cr_assert_not_null(st);
    return st;
}

Test(public_store, window_put_get_and_fetch_skip_longer_keys) {
    kstream_store_t *st = window_store();
    kstream_iter_t *it;
    kstream_bytes_t v;
    char out[512];
    /* "a\0" encodes as 'a' 0x00 + start: it sorts inside the composite
     * range of key "a" for small times. */
    static const char a0[2] = {'a', '\0'};

    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_WINDOW));
    cr_assert(eq(int, kstream_window_store_put(st, "a", 1, 0, "x0", 2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_put(st, "a", 1, 10, "x10", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_put(st, "a", 1, 20, "x20", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_put(st, a0, 2, 5, "y5", 2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_put(st, a0, 2, 15, "y15", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_put(st, "b", 1, 10, "z10", 3),
                 KSTREAM_OK));

    cr_assert(eq(int, kstream_window_store_get(st, "a", 1, 10, &v),
                 KSTREAM_OK));
    cr_assert(bytes_is(v, "x10"));
    cr_assert(eq(int, kstream_window_store_get(st, "a", 1, 5, &v),
                 KSTREAM_ERR_NOT_FOUND));

    cr_assert(eq(int, kstream_window_store_fetch(st, "a", 1, 0, 100, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, "a@0-10=x0,a@10-20=x10,a@20-30=x20"));

    cr_assert(eq(int, kstream_window_store_fetch(st, "a", 1, 5, 15, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, "a@10-20=x10"));

    cr_assert(eq(int, kstream_window_store_fetch(st, "a", 1, -50, 0, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, "a@0-10=x0"));

    cr_assert(eq(int, kstream_window_store_fetch(st, "a", 1, 20, 10, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, ""));

    cr_assert(eq(int, kstream_window_store_fetch(st, "b", 1, 0, 100, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, "b@10-20=z10"));

    /* Every key, windows with start in [10, 15], in the order of the
     * composite keys: "a\0"|15 sorts before "a"|10 (Kafka's order too). */
    cr_assert(eq(int, kstream_window_store_fetch_all(st, 10, 15, &it),
                 KSTREAM_OK));
    {
        kstream_bytes_t k;
        int64_t s, e;
        cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_OK));
        cr_assert(eq(sz, k.len, (size_t)2));
        cr_assert(eq(int, memcmp(k.data, a0, 2), 0));
        cr_assert(bytes_is(v, "y15"));
        cr_assert(eq(int, kstream_iter_window(it, &s, &e), KSTREAM_OK));
        cr_assert(eq(i64, s, 15));
        cr_assert(eq(i64, e, 25));
        cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_OK));
        cr_assert(bytes_is(k, "a"));
        cr_assert(bytes_is(v, "x10"));
        cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_OK));
        cr_assert(bytes_is(k, "b"));
        cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_ERR_EMPTY));
        kstream_iter_close(it);
    }

    /* NULL value deletes a window. */
    cr_assert(eq(int, kstream_window_store_put(st, "a", 1, 10, NULL, 0),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_get(st, "a", 1, 10, &v),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_window_store_put(st, "a", 1, -1, "x", 1),
                 KSTREAM_ERR_INVALID_ARG));
    ks_pstore_close(st);
}

Test(public_store, window_end_saturates) {
    kstream_store_t *st = ks_pstore_new(ks_kv_mem_new(), "w",
                                        KSTREAM_STORE_WINDOW, false, false,
                                        INT64_MAX, NULL, NULL);
    kstream_iter_t *it;
    char out[128];

    kstream_window_store_put(st, "k", 1, 7, "v", 1);
    cr_assert(eq(int, kstream_window_store_fetch(st, "k", 1, 0, INT64_MAX,
                                                 &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, "k@7-9223372036854775807=v"));
    ks_pstore_close(st);
}

/* ---- session stores -------------------------------------------------------- */

static kstream_store_t *session_store(void) {
    kstream_store_t *st = ks_pstore_new(ks_kv_mem_new(), "ses",
                                        KSTREAM_STORE_SESSION, false, false,
                                        0, NULL, NULL);
    static const char u0[2] = {'u', '\0'};

    cr_assert_not_null(st);
    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, 0, 10, "s1", 2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, 20, 30, "s2", 2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, 40, 50, "s3", 2),
                 KSTREAM_OK));
    /* A longer key whose composite keys sort among those of "u". */
    cr_assert(eq(int, kstream_session_store_put(st, u0, 2, 0, 25, "o", 1),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_session_store_put(st, "v", 1, 0, 100, "o", 1),
                 KSTREAM_OK));
    return st;
}

static void find(kstream_store_t *st, int64_t earliest_end,
                 int64_t latest_start, const char *want) {
    kstream_iter_t *it;
    char out[256];

    cr_assert(eq(int, kstream_session_store_find(st, "u", 1, earliest_end,
                                                 latest_start, &it),
                 KSTREAM_OK));
    drain(it, true, out, sizeof(out));
    cr_assert(eq(str, out, (char *)want), "find(%lld, %lld)",
              (long long)earliest_end, (long long)latest_start);
}

Test(public_store, session_find_overlapping_and_touching) {
    kstream_store_t *st = session_store();

    /* Touching both neighbours: [0,10] ends at 10, [20,30] starts at 20. */
    find(st, 10, 20, "u@0-10=s1,u@20-30=s2");
    /* Overlapping two. */
    find(st, 25, 45, "u@20-30=s2,u@40-50=s3");
    /* A point inside one. */
    find(st, 5, 5, "u@0-10=s1");
    /* Everything. */
    find(st, 0, INT64_MAX, "u@0-10=s1,u@20-30=s2,u@40-50=s3");
    ks_pstore_close(st);
}

Test(public_store, session_find_disjoint) {
    kstream_store_t *st = session_store();

    find(st, 11, 19, "");
    find(st, 51, 100, "");
    find(st, -10, -1, "");
    ks_pstore_close(st);
}

Test(public_store, session_put_null_removes_and_bad_bounds_fail) {
    kstream_store_t *st = session_store();

    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, 20, 30, NULL, 0),
                 KSTREAM_OK));
    find(st, 0, 100, "u@0-10=s1,u@40-50=s3");
    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, 30, 20, "x", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_put(st, "u", 1, -1, 20, "x", 1),
                 KSTREAM_ERR_INVALID_ARG));
    ks_pstore_close(st);
}

/* ---- timestamped stores ---------------------------------------------------- */

Test(public_store, timestamped_values_are_stripped_and_prefixed) {
    ks_store_t *bottom = ks_kv_mem_new();
    int64_t now = 0x0102030405060708LL;
    kstream_store_t *st = ks_pstore_new(bottom, "ts", KSTREAM_STORE_KEY_VALUE,
                                        true, false, 0, &now, NULL);
    static const uint8_t raw[] = {0, 0, 0, 0, 0, 0, 0, 42, 'o', 'l', 'd'};
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 'v'};
    kstream_bytes_t v, old;
    kstream_iter_t *it;
    char out[64];

    /* As the DSL writes it: timestamp, then the value. */
    cr_assert(eq(int, bottom->ops->put(bottom, "d", 1, raw, sizeof(raw)),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_store_get(st, "d", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "old"));

    cr_assert(eq(int, put(st, "u", "v"), KSTREAM_OK));
    cr_assert(eq(int, bottom->ops->get(bottom, "u", 1, &v), KSTREAM_OK));
    cr_assert(eq(sz, v.len, sizeof(want)));
    cr_assert(eq(int, memcmp(v.data, want, sizeof(want)), 0));
    cr_assert(eq(int, kstream_store_get(st, "u", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "v"));

    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    drain(it, false, out, sizeof(out));
    cr_assert(eq(str, out, "d=old,u=v"));

    cr_assert(eq(int, kstream_store_delete(st, "d", 1, &old), KSTREAM_OK));
    cr_assert(bytes_is(old, "old"));

    /* Negative record times are written as 0. */
    now = -3;
    cr_assert(eq(int, put(st, "n", ""), KSTREAM_OK));
    cr_assert(eq(int, bottom->ops->get(bottom, "n", 1, &v), KSTREAM_OK));
    cr_assert(eq(sz, v.len, (size_t)8));
    cr_assert(eq(int, memcmp(v.data, "\0\0\0\0\0\0\0\0", 8), 0));

    /* A value too short to carry a timestamp is a store error. */
    bottom->ops->put(bottom, "bad", 3, "xy", 2);
    cr_assert(eq(int, kstream_store_get(st, "bad", 3, &v), KSTREAM_ERR_STORE));
    ks_pstore_close(st);
}

Test(public_store, timestamped_without_a_clock_writes_time_zero) {
    ks_store_t *bottom = ks_kv_mem_new();
    kstream_store_t *st = ks_pstore_new(bottom, "w", KSTREAM_STORE_WINDOW,
                                        true, false, 5, NULL, NULL);
    kstream_bytes_t v;

    cr_assert(eq(int, kstream_window_store_put(st, "k", 1, 0, "v", 1),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_window_store_get(st, "k", 1, 0, &v),
                 KSTREAM_OK));
    cr_assert(bytes_is(v, "v"));
    cr_assert(eq(u64, bottom->ops->approximate_count(bottom), 1));
    ks_pstore_close(st);
}

/* ---- read-only handles ----------------------------------------------------- */

Test(public_store, read_only_handles_refuse_writes) {
    ks_store_t *bottom = ks_kv_mem_new();
    kstream_store_t *st = ks_pstore_new(bottom, "ro", KSTREAM_STORE_KEY_VALUE,
                                        false, true, 0, NULL, NULL);
    kstream_store_t *ws = ks_pstore_new(ks_kv_mem_new(), "rw",
                                        KSTREAM_STORE_WINDOW, false, true, 1,
                                        NULL, NULL);
    kstream_store_t *ss = ks_pstore_new(ks_kv_mem_new(), "rs",
                                        KSTREAM_STORE_SESSION, false, true, 0,
                                        NULL, NULL);
    kstream_bytes_t v;
    kstream_iter_t *it;

    bottom->ops->put(bottom, "k", 1, "v", 1);
    cr_assert(eq(int, put(st, "k", "w"), KSTREAM_ERR_STATE));
    cr_assert(eq(int, put(st, "k", NULL), KSTREAM_ERR_STATE));
    cr_assert(eq(int, kstream_store_put_if_absent(st, "n", 1, "v", 1, NULL),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, kstream_store_delete(st, "k", 1, NULL),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, kstream_store_get(st, "k", 1, &v), KSTREAM_OK));
    cr_assert(bytes_is(v, "v"));
    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    kstream_iter_close(it);

    cr_assert(eq(int, kstream_window_store_put(ws, "k", 1, 0, "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, kstream_session_store_put(ss, "k", 1, 0, 0, "v", 1),
                 KSTREAM_ERR_STATE));
    ks_pstore_close(st);
    ks_pstore_close(ws);
    ks_pstore_close(ss);
}

/* ---- iterators left open ----------------------------------------------- */

typedef struct logged {
    int n, level;
    char facility[32];
    char msg[256];
} logged_t;

static void log_cb(int level, const char *facility, const char *message,
                   void *opaque) {
    logged_t *l = opaque;

    l->n++;
    l->level = level;
    snprintf(l->facility, sizeof(l->facility), "%s", facility);
    snprintf(l->msg, sizeof(l->msg), "%s", message);
}

Test(public_store, close_closes_iterators_left_open_with_a_warning) {
    kstream_conf_t *conf = kstream_conf_new();
    logged_t got = {0};
    ks_logger_t log;
    kstream_store_t *st;
    kstream_iter_t *it1, *it2, *it3;
    kstream_bytes_t k, v;

    cr_assert(eq(int, kstream_conf_set_log_cb(conf, log_cb, &got),
                 KSTREAM_OK));
    ks_conf_logger(conf, &log);
    kstream_conf_destroy(conf);
    st = ks_pstore_new(ks_kv_mem_new(), "orders", KSTREAM_STORE_KEY_VALUE,
                       false, false, 0, NULL, &log);
    put(st, "a", "1");
    cr_assert(eq(int, kstream_store_all(st, &it1), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_prefix(st, "a", 1, &it2), KSTREAM_OK));
    cr_assert(eq(int, kstream_store_range(st, "a", 1, "b", 1, &it3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_iter_next(it1, &k, &v), KSTREAM_OK));
    kstream_iter_close(it2);
    ks_pstore_close(st); /* it1 and it3 are still open */
    cr_assert(eq(int, got.n, 1));
    cr_assert(eq(int, got.level, 4));
    cr_assert(eq(str, got.facility, "STORE"));
    cr_assert(eq(str, got.msg,
                 "store 'orders': closing 2 iterator(s) left open"));
}

Test(public_store, close_without_open_iterators_is_silent) {
    kstream_conf_t *conf = kstream_conf_new();
    logged_t got = {0};
    ks_logger_t log;
    kstream_store_t *st;
    kstream_iter_t *it;

    kstream_conf_set_log_cb(conf, log_cb, &got);
    ks_conf_logger(conf, &log);
    kstream_conf_destroy(conf);
    st = ks_pstore_new(ks_kv_mem_new(), "s", KSTREAM_STORE_KEY_VALUE, false,
                       false, 0, NULL, &log);
    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    kstream_iter_close(it);
    ks_pstore_close(st);
    cr_assert(eq(int, got.n, 0));
    ks_pstore_close(NULL);
}

/* ---- argument checks ------------------------------------------------------- */

Test(public_store, calls_of_the_wrong_store_type_are_invalid) {
    kstream_store_t *kv = kv_store(), *win = window_store();
    kstream_store_t *ses = ks_pstore_new(ks_kv_mem_new(), "s",
                                         KSTREAM_STORE_SESSION, false, false,
                                         0, NULL, NULL);
    kstream_bytes_t v;
    kstream_iter_t *it;
    uint64_t n;
    kstream_store_t *not_kv[] = {win, ses};
    size_t i;

    for (i = 0; i < 2; i++) {
        kstream_store_t *st = not_kv[i];
        cr_assert(eq(int, kstream_store_get(st, "k", 1, &v),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, put(st, "k", "v"), KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_put_if_absent(st, "k", 1, "v", 1,
                                                      NULL),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_delete(st, "k", 1, NULL),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_range(st, NULL, 0, NULL, 0, &it),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_prefix(st, "k", 1, &it),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_all(st, &it),
                     KSTREAM_ERR_INVALID_ARG));
        cr_assert(eq(int, kstream_store_approximate_count(st, &n),
                     KSTREAM_ERR_INVALID_ARG));
    }
    cr_assert(eq(int, kstream_window_store_put(kv, "k", 1, 0, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_get(ses, "k", 1, 0, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(kv, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch_all(ses, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_put(win, "k", 1, 0, 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(kv, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    ks_pstore_close(kv);
    ks_pstore_close(win);
    ks_pstore_close(ses);
}

Test(public_store, null_arguments_are_invalid) {
    kstream_store_t *kv = kv_store(), *win = window_store();
    kstream_store_t *ses = ks_pstore_new(ks_kv_mem_new(), "s",
                                         KSTREAM_STORE_SESSION, false, false,
                                         0, NULL, NULL);
    kstream_bytes_t v;
    kstream_iter_t *it;
    uint64_t n;
    int64_t s, e;

    cr_assert(eq(int, kstream_store_type(NULL), -1));
    cr_assert_null(kstream_store_name(NULL));

    cr_assert(eq(int, kstream_store_get(NULL, "k", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_get(kv, NULL, 0, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_get(kv, "k", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put(NULL, "k", 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put(kv, NULL, 0, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put_if_absent(NULL, "k", 1, "v", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put_if_absent(kv, NULL, 0, "v", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_delete(NULL, "k", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_delete(kv, NULL, 0, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_range(NULL, NULL, 0, NULL, 0, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_range(kv, NULL, 0, NULL, 0, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_prefix(NULL, "k", 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_prefix(kv, "k", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_prefix(kv, NULL, 3, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_all(NULL, &it), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_all(kv, NULL), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_approximate_count(NULL, &n),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_approximate_count(kv, NULL),
                 KSTREAM_ERR_INVALID_ARG));

    cr_assert(eq(int, kstream_window_store_put(NULL, "k", 1, 0, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_put(win, NULL, 0, 0, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_get(NULL, "k", 1, 0, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_get(win, NULL, 0, 0, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_get(win, "k", 1, 0, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(NULL, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(win, NULL, 0, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(win, "k", 1, 0, 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch_all(NULL, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch_all(win, 0, 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));

    cr_assert(eq(int, kstream_session_store_put(NULL, "k", 1, 0, 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_put(ses, NULL, 0, 0, 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(NULL, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(ses, NULL, 0, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(ses, "k", 1, 0, 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));

    cr_assert(eq(int, kstream_iter_next(NULL, &v, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_window(NULL, &s, &e),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_all(kv, &it), KSTREAM_OK));
    cr_assert(eq(int, kstream_iter_next(it, NULL, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_next(it, &v, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_window(it, NULL, &e),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_window(it, &s, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_window(it, &s, &e), KSTREAM_OK));
    cr_assert(eq(i64, s, -1));
    cr_assert(eq(i64, e, -1));
    kstream_iter_close(it);
    kstream_iter_close(NULL);

    ks_pstore_close(kv);
    ks_pstore_close(win);
    ks_pstore_close(ses);
}
