/* test_windowed_impl.c - focused tests of the windowed aggregations
 * (lib/dsl/windowed.c, lib/processor/window_agg.c, session_agg.c) through
 * the test driver: window edges, hopping overlaps, grace and late records,
 * Kafka's sliding-window algorithm, session merges with tombstones,
 * count/reduce/aggregate, the windowed key bytes, and the same final
 * results (outputs and store contents) with both "default.dsl.store"
 * values and both cache settings, checked against brute-force oracles.
 *
 * Outputs are written as "key@start=value/ts" (time windows) or
 * "key[start,end]=value/ts" (sessions); count values as numbers and
 * tombstones as "null". */
#include "helpers.h"

TestSuite(windowed_impl, .timeout = 60);

/* ---- callbacks ----------------------------------------------------------- */
enum agg_kind { A_COUNT, A_REDUCE, A_AGG, A_SUM };

/* reduce: agg + "+" + value */
static kstream_err_t reduce_plus(const kstream_record_t *rec,
                                 kstream_bytes_t agg, kstream_buf_t *out,
                                 void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (kstream_buf_append(out, agg.data, agg.len) ||
        kstream_buf_append(out, "+", 1) ||
        kstream_buf_append(out, v.data, v.len))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

static kstream_err_t init_i(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return kstream_buf_append(out, "i", 1);
}

static kstream_err_t init_zero(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return kstream_buf_append(out, "0", 1);
}

/* aggregate: agg followed by value */
static kstream_err_t agg_append(const kstream_record_t *rec,
                                kstream_bytes_t agg, kstream_buf_t *out,
                                void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (kstream_buf_append(out, agg.data, agg.len) ||
        kstream_buf_append(out, v.data, v.len))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

/* merger: agg1 + "|" + agg2 */
static kstream_err_t merge_bar(kstream_bytes_t key, kstream_bytes_t a1,
                               kstream_bytes_t a2, kstream_buf_t *out,
                               void *opaque)
{
    (void)key;
    (void)opaque;
    if (kstream_buf_append(out, a1.data, a1.len) ||
        kstream_buf_append(out, "|", 1) ||
        kstream_buf_append(out, a2.data, a2.len))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

static long long num_of(kstream_bytes_t b)
{
    char buf[32];
    size_t n = b.len < sizeof(buf) - 1 ? b.len : sizeof(buf) - 1;
    memcpy(buf, b.data, n);
    buf[n] = '\0';
    return atoll(buf);
}

/* aggregate: decimal sum of decimal values (order-insensitive) */
static kstream_err_t agg_sum(const kstream_record_t *rec, kstream_bytes_t agg,
                             kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld",
                     num_of(agg) + num_of(kstream_record_value(rec)));
    return kstream_buf_append(out, buf, (size_t)n);
}

static kstream_err_t merge_sum(kstream_bytes_t key, kstream_bytes_t a1,
                               kstream_bytes_t a2, kstream_buf_t *out,
                               void *opaque)
{
    (void)key;
    (void)opaque;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", num_of(a1) + num_of(a2));
    return kstream_buf_append(out, buf, (size_t)n);
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

/* ---- topology and drivers ------------------------------------------------ */
static kstream_table_t *agg_of(kstream_windowed_t *w, enum agg_kind k)
{
    switch (k) {
    case A_COUNT: return kstream_windowed_count(w, "agg");
    case A_REDUCE:
        return kstream_windowed_reduce(w, reduce_plus, NULL, NULL, "agg");
    case A_AGG:
        return kstream_windowed_aggregate(w, init_i, agg_append, merge_bar,
                                          NULL, NULL, "agg");
    case A_SUM:
    default:
        return kstream_windowed_aggregate(w, init_zero, agg_sum, merge_sum,
                                          NULL, NULL, "agg");
    }
}

/* in -> group_by_key -> windowed_by(w) -> agg -> to_stream -> out */
static kstream_builder_t *topo(kstream_windows_t w, enum agg_kind k)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    kstream_windowed_t *wd =
            kstream_grouped_windowed_by(kstream_stream_group_by_key(s), w);
    kstream_table_t *t = agg_of(wd, k);
    cr_assert(t != NULL, "aggregation failed: %s",
              kstream_builder_error(b));
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(t, "to-stream"),
                                   "out", "sink"),
                 KSTREAM_OK));
    return b;
}

/* Configurations: bit 0 in_memory (else rocksdb), bit 1 cache on. */
#define NCFG 4
static kstream_test_driver_t *drv_cfg(kstream_builder_t *b, int cfg)
{
    const char *store = cfg & 1 ? "in_memory" : "rocksdb";
    if (cfg & 2)
        return h_driver(b, "default.dsl.store", store, NULL);
    return h_driver(b, "default.dsl.store", store,
                    "cache.max.bytes.buffering", "0", NULL);
}

/* No cache, in memory: every update flows downstream at once. */
static kstream_test_driver_t *drv0(kstream_builder_t *b)
{
    return drv_cfg(b, 1);
}

static void pipe_at(kstream_test_driver_t *drv, const char *key,
                    const char *value, int64_t ts)
{
    h_pipe_ok(drv, "in", key, value, ts);
}

/* ---- formatting ---------------------------------------------------------- */
static int64_t be64(const void *p)
{
    const uint8_t *b = p;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

static void fmt_value(kstream_bytes_t v, bool count, char *buf, size_t size)
{
    if (!v.data)
        snprintf(buf, size, "null");
    else if (count && v.len == 8)
        snprintf(buf, size, "%lld", (long long)be64(v.data));
    else
        snprintf(buf, size, "%.*s", (int)v.len, (const char *)v.data);
}

/* "k@start" or "k[start,end]" of a windowed key. */
static void fmt_wkey(kstream_bytes_t k, bool session, char *buf, size_t size)
{
    size_t tl = session ? 16 : 8;
    cr_assert(k.data && k.len >= tl, "windowed key too short (%zu)", k.len);
    const char *p = k.data;
    int kl = (int)(k.len - tl);
    if (session)
        snprintf(buf, size, "%.*s[%lld,%lld]", kl, p,
                 (long long)be64(p + kl + 8), (long long)be64(p + kl));
    else
        snprintf(buf, size, "%.*s@%lld", kl, p, (long long)be64(p + kl));
}

typedef struct outs {
    char text[16384];
} outs_t;

/* Read every output as "key=value/ts", space-separated. */
static const char *drain(kstream_test_driver_t *drv, bool session,
                         bool count, outs_t *o)
{
    const kstream_record_t *rec;
    o->text[0] = '\0';
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        char k[64], v[256];
        fmt_wkey(kstream_record_key(rec), session, k, sizeof(k));
        fmt_value(kstream_record_value(rec), count, v, sizeof(v));
        size_t used = strlen(o->text);
        snprintf(o->text + used, sizeof(o->text) - used, "%s%s=%s/%lld",
                 used ? " " : "", k, v,
                 (long long)kstream_record_timestamp(rec));
    }
    return o->text;
}

static void expect_out(kstream_test_driver_t *drv, bool session, bool count,
                       const char *expected)
{
    outs_t o;
    cr_assert(eq(str, (char *)drain(drv, session, count, &o),
                 (char *)expected));
}

/* ---- final tables -----------------------------------------------------------
 * The latest value of each windowed key, from the outputs (tombstones
 * remove) or from the store, in store order (composite key bytes). */
#define MAXE 512
typedef struct entry {
    uint8_t key[48];
    size_t klen;
    char text[128];
} entry_t;

typedef struct table {
    entry_t e[MAXE];
    size_t n;
} table_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static void table_set(table_t *t, const void *key, size_t klen,
                      const char *text)
{
    cr_assert(klen <= sizeof(t->e[0].key));
    size_t i;
    for (i = 0; i < t->n; i++)
        if (t->e[i].klen == klen && memcmp(t->e[i].key, key, klen) == 0)
            break;
    if (!text) {
        if (i < t->n)
            t->e[i] = t->e[--t->n];
        return;
    }
    if (i == t->n) {
        cr_assert(t->n < MAXE);
        t->n++;
    }
    memcpy(t->e[i].key, key, klen);
    t->e[i].klen = klen;
    snprintf(t->e[i].text, sizeof(t->e[i].text), "%s", text);
}

static const char *table_str(table_t *t, outs_t *o)
{
    qsort(t->e, t->n, sizeof(t->e[0]), entry_cmp);
    o->text[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        size_t used = strlen(o->text);
        snprintf(o->text + used, sizeof(o->text) - used, "%s%s",
                 used ? " " : "", t->e[i].text);
    }
    return o->text;
}

/* The final table of the outputs ("key=value", no timestamps). */
static const char *final_outputs(kstream_test_driver_t *drv, bool session,
                                 bool count, outs_t *o)
{
    static table_t t;
    t.n = 0;
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        char k[64], v[256], text[400];
        kstream_bytes_t kb = kstream_record_key(rec);
        kstream_bytes_t vb = kstream_record_value(rec);
        fmt_wkey(kb, session, k, sizeof(k));
        fmt_value(vb, count, v, sizeof(v));
        snprintf(text, sizeof(text), "%s=%s", k, v);
        table_set(&t, kb.data, kb.len, vb.data ? text : NULL);
    }
    return table_str(&t, o);
}

/* The windows of the window store "agg" that start at or after `from`,
 * as "key@start=value", by key then start. */
static const char *window_store_from(kstream_test_driver_t *drv, bool count,
                                     int64_t window_size, int64_t from,
                                     outs_t *o)
{
    kstream_store_t *st = kstream_test_driver_store(drv, "agg", 0);
    cr_assert(st != NULL, "no store 'agg'");
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_WINDOW));
    kstream_iter_t *it = NULL;
    cr_assert(eq(int,
                 kstream_window_store_fetch_all(st, from, INT64_MAX, &it),
                 KSTREAM_OK));
    kstream_bytes_t k, v;
    o->text[0] = '\0';
    while (kstream_iter_next(it, &k, &v) == KSTREAM_OK) {
        int64_t start, end;
        cr_assert(eq(int, kstream_iter_window(it, &start, &end),
                     KSTREAM_OK));
        cr_assert(eq(i64, end, start + window_size));
        char val[256];
        fmt_value(v, count, val, sizeof(val));
        size_t used = strlen(o->text);
        snprintf(o->text + used, sizeof(o->text) - used, "%s%.*s@%lld=%s",
                 used ? " " : "", (int)k.len, (const char *)k.data,
                 (long long)start, val);
    }
    kstream_iter_close(it);
    return o->text;
}

static const char *window_store(kstream_test_driver_t *drv, bool count,
                                int64_t window_size, outs_t *o)
{
    return window_store_from(drv, count, window_size, 0, o);
}

/* The sessions that end at or after `from` of the single-character keys
 * in `keys` as "key[start,end]=value", by key then end. */
static const char *session_store_from(kstream_test_driver_t *drv, bool count,
                                      const char *keys, int64_t from,
                                      outs_t *o)
{
    kstream_store_t *st = kstream_test_driver_store(drv, "agg", 0);
    cr_assert(st != NULL, "no store 'agg'");
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_SESSION));
    o->text[0] = '\0';
    for (const char *key = keys; *key; key++) {
        kstream_iter_t *it = NULL;
        cr_assert(eq(int, kstream_session_store_find(st, key, 1, from,
                                                     INT64_MAX, &it),
                     KSTREAM_OK));
        kstream_bytes_t k, v;
        while (kstream_iter_next(it, &k, &v) == KSTREAM_OK) {
            int64_t start, end;
            cr_assert(eq(int, kstream_iter_window(it, &start, &end),
                         KSTREAM_OK));
            char val[256];
            fmt_value(v, count, val, sizeof(val));
            size_t used = strlen(o->text);
            snprintf(o->text + used, sizeof(o->text) - used,
                     "%s%.*s[%lld,%lld]=%s", used ? " " : "", (int)k.len,
                     (const char *)k.data, (long long)start, (long long)end,
                     val);
        }
        kstream_iter_close(it);
    }
    return o->text;
}

static const char *session_store(kstream_test_driver_t *drv, bool count,
                                 const char *keys, outs_t *o)
{
    return session_store_from(drv, count, keys, 0, o);
}

/* ---- tumbling and hopping windows ---------------------------------------- */
Test(windowed_impl, tumbling_window_holds_its_start_but_not_its_end)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_tumbling(10, 0), A_COUNT));
    pipe_at(drv, "a", "x", 0);
    pipe_at(drv, "a", "x", 9);
    pipe_at(drv, "a", "x", 10);
    pipe_at(drv, "a", "x", 19);
    pipe_at(drv, "a", "x", 20);
    /* The result's timestamp is the window's newest record's. */
    expect_out(drv, false, true,
               "a@0=1/0 a@0=2/9 a@10=1/10 a@10=2/19 a@20=1/20");
    outs_t o;
    /* At stream time 20 with no grace, [0,10) and [10,20) have closed and
     * expired (retention = size + grace). */
    cr_assert(eq(str, (char *)window_store(drv, true, 10, &o), "a@20=1"));
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, hopping_record_lands_in_every_window_that_contains_it)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_hopping(10, 5, 100), A_COUNT));
    pipe_at(drv, "a", "x", 7);  /* [0,10) [5,15) */
    pipe_at(drv, "a", "x", 12); /* [5,15) [10,20) */
    pipe_at(drv, "a", "x", 3);  /* [0,10) only; keeps the newer ts 7 */
    pipe_at(drv, "a", "x", 10); /* [5,15) [10,20): 10 is not in [0,10) */
    expect_out(drv, false, true,
               "a@0=1/7 a@5=1/7 a@5=2/12 a@10=1/12 a@0=2/7 a@5=3/12 "
               "a@10=2/12");
    kstream_test_driver_destroy(drv);

    /* size 10 every 3: a record at 10 is in [3,13) [6,16) [9,19); one at
     * 0 only in [0,10). */
    drv = drv0(topo(kstream_windows_hopping(10, 3, 100), A_COUNT));
    pipe_at(drv, "b", "x", 10);
    pipe_at(drv, "b", "x", 0);
    expect_out(drv, false, true, "b@3=1/10 b@6=1/10 b@9=1/10 b@0=1/0");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, out_of_order_record_within_grace_updates_its_window)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_tumbling(10, 5), A_COUNT));
    pipe_at(drv, "a", "x", 5);
    pipe_at(drv, "a", "x", 12); /* stream time 12, close 7 */
    pipe_at(drv, "a", "x", 8);  /* [0,10) ends at 10 > 7: still open */
    expect_out(drv, false, true, "a@0=1/5 a@10=1/12 a@0=2/8");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, record_later_than_end_plus_grace_is_dropped_and_counted)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_tumbling(10, 5), A_COUNT));
    pipe_at(drv, "a", "x", 14); /* close 9 */
    pipe_at(drv, "a", "x", 1);  /* [0,10): 10 > 9, open */
    pipe_at(drv, "b", "x", 15); /* close 10 */
    pipe_at(drv, "a", "x", 2);  /* [0,10): 10 > 10 is false: late */
    pipe_at(drv, "a", "x", 9);  /* late too */
    expect_out(drv, false, true, "a@10=1/14 a@0=1/1 b@10=1/15");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    outs_t o;
    cr_assert(eq(str, (char *)window_store(drv, true, 10, &o),
                 "a@10=1 b@10=1"), "closed windows expire from the store");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, hopping_record_late_for_some_windows_is_counted_once)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_hopping(10, 5, 0), A_COUNT));
    pipe_at(drv, "a", "x", 12); /* close 12 */
    pipe_at(drv, "a", "x", 8);  /* [0,10) closed, [5,15) open: counted */
    expect_out(drv, false, true, "a@5=1/12 a@10=1/12 a@5=2/12");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    pipe_at(drv, "a", "x", 4); /* only [0,10): late */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    kstream_test_driver_destroy(drv);

    /* size 10 every 2, close time 14: a record at 9 misses three closed
     * windows, [0,10) [2,12) [4,14), and is counted once. */
    drv = drv0(topo(kstream_windows_hopping(10, 2, 0), A_COUNT));
    pipe_at(drv, "b", "x", 14);
    (void)h_drain(drv, "out");
    pipe_at(drv, "b", "x", 5); /* [0,10) [2,12) [4,14) closed; none open */
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    pipe_at(drv, "b", "x", 9); /* [0,10)..[4,14) closed, [6,16) [8,18) */
    expect_out(drv, false, true, "b@6=2/14 b@8=2/14");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

/* ---- sliding windows ----------------------------------------------------- */
Test(windowed_impl, sliding_windows_create_left_and_right_windows)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_sliding(10, 100), A_COUNT));
    /* 10: its left window [0,10]. */
    pipe_at(drv, "a", "x", 10);
    expect_out(drv, false, true, "a@0=1/10");
    /* 15: the right window of 10, [11,21], then its left window [5,15]
     * (which starts from the aggregate of 10). */
    pipe_at(drv, "a", "x", 15);
    expect_out(drv, false, true, "a@11=1/15 a@5=2/15");
    /* 20: updates [11,21], creates the right window of 15 and its left
     * window [10,20]. */
    pipe_at(drv, "a", "x", 20);
    expect_out(drv, false, true, "a@11=2/20 a@16=1/20 a@10=3/20");
    /* 12, out of order: updates the windows that contain it, creates its
     * left window [2,12] and its right window [13,23] (a copy of the
     * records after it: 15 and 20, at 20). */
    pipe_at(drv, "a", "x", 12);
    expect_out(drv, false, true,
               "a@5=3/15 a@10=4/20 a@11=3/20 a@2=2/12 a@13=2/20");
    outs_t o;
    /* Sliding windows are inclusive: the end is start + difference. */
    cr_assert(eq(str, (char *)window_store(drv, true, 10, &o),
                 "a@0=1 a@2=2 a@5=3 a@10=4 a@11=3 a@13=2 a@16=1"));
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, sliding_previous_right_window_that_is_the_left_window)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_sliding(10, 100), A_COUNT));
    pipe_at(drv, "a", "x", 20);
    /* 31: the right window of 20 is [21,31], which is also the left
     * window of 31: made once (Kafka forwards it twice). */
    pipe_at(drv, "a", "x", 31);
    expect_out(drv, false, true, "a@10=1/20 a@21=1/31");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, sliding_windows_early_records_share_the_first_window)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_sliding(10, 100), A_COUNT));
    pipe_at(drv, "a", "x", 2);
    pipe_at(drv, "a", "x", 5);
    pipe_at(drv, "a", "x", 1);
    expect_out(drv, false, true, "a@0=1/2 a@3=1/5 a@0=2/5 a@2=2/5 a@0=3/5");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, sliding_windows_drop_late_records_once)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_sliding(10, 0), A_COUNT));
    pipe_at(drv, "a", "x", 100); /* close 100 */
    pipe_at(drv, "a", "x", 89);  /* 89 + 1 + 10 <= 100: late outright */
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 1));
    /* 90 is in [90,100], which ends at close time: still open. Its own
     * left window [80,90] is closed; its right window is [91,101]. */
    pipe_at(drv, "a", "x", 90);
    expect_out(drv, false, true, "a@90=1/100 a@90=2/100 a@91=1/100");
    /* Missing a closed window counts, once. */
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    /* 95 of a new key: only its closed left window would take it. */
    pipe_at(drv, "c", "x", 95);
    expect_out(drv, false, true, "");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 3));
    kstream_test_driver_destroy(drv);
}

/* ---- session windows ----------------------------------------------------- */
Test(windowed_impl, sessions_are_created_extended_and_merged_with_tombstones)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_session(5, 100), A_COUNT));
    pipe_at(drv, "a", "x", 0);
    expect_out(drv, true, true, "a[0,0]=1/0");
    pipe_at(drv, "a", "x", 3); /* extends [0,0] */
    expect_out(drv, true, true, "a[0,0]=null/0 a[0,3]=2/3");
    pipe_at(drv, "a", "x", 20);
    pipe_at(drv, "a", "x", 14); /* 14 - 3 > 5: a session of its own */
    expect_out(drv, true, true, "a[20,20]=1/20 a[14,14]=1/14");
    pipe_at(drv, "a", "x", 9); /* 9 - 3 > 5; 14 - 9 <= 5 */
    expect_out(drv, true, true, "a[14,14]=null/14 a[9,14]=2/14");
    pipe_at(drv, "a", "x", 17); /* bridges [9,14] and [20,20] */
    expect_out(drv, true, true,
               "a[9,14]=null/14 a[20,20]=null/20 a[9,20]=4/20");
    pipe_at(drv, "a", "x", 12); /* inside [9,20]: replaced (Kafka) */
    expect_out(drv, true, true, "a[9,20]=null/20 a[9,20]=5/20");
    pipe_at(drv, "a", "x", 12); /* again */
    expect_out(drv, true, true, "a[9,20]=null/20 a[9,20]=6/20");
    pipe_at(drv, "a", "x", 40); /* alone: [40,40] */
    pipe_at(drv, "a", "x", 40); /* the same point: updated in place */
    expect_out(drv, true, true, "a[40,40]=1/40 a[40,40]=2/40");
    outs_t o;
    cr_assert(eq(str, (char *)session_store(drv, true, "a", &o),
                 "a[0,3]=2 a[9,20]=6 a[40,40]=2"));
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, session_ending_before_close_time_is_late)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_session(5, 0), A_COUNT));
    pipe_at(drv, "a", "x", 0);
    pipe_at(drv, "b", "x", 20); /* close = 20 - 0 - 5 = 15 */
    pipe_at(drv, "a", "x", 10); /* [10,10] ends before 15 */
    pipe_at(drv, "a", "x", 4);  /* merges into [0,4]: still before 15 */
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    pipe_at(drv, "a", "x", 16);
    expect_out(drv, true, true, "a[0,0]=1/0 b[20,20]=1/20 a[16,16]=1/16");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

/* ---- reduce and aggregate ------------------------------------------------ */
Test(windowed_impl, time_window_reduce_and_aggregate)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_tumbling(10, 0), A_REDUCE));
    pipe_at(drv, "a", "p", 1);
    pipe_at(drv, "a", "q", 2);
    pipe_at(drv, "a", "r", 11);
    expect_out(drv, false, false, "a@0=p/1 a@0=p+q/2 a@10=r/11");
    kstream_test_driver_destroy(drv);

    drv = drv0(topo(kstream_windows_hopping(10, 5, 0), A_AGG));
    pipe_at(drv, "a", "p", 6);
    pipe_at(drv, "a", "q", 7);
    expect_out(drv, false, false, "a@0=ip/6 a@5=ip/6 a@0=ipq/7 a@5=ipq/7");
    kstream_test_driver_destroy(drv);

    drv = drv0(topo(kstream_windows_sliding(10, 100), A_AGG));
    pipe_at(drv, "a", "p", 10);
    pipe_at(drv, "a", "q", 15);
    expect_out(drv, false, false, "a@0=ip/10 a@11=iq/15 a@5=ipq/15");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, session_reduce_merges_with_the_reducer)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_session(5, 100), A_REDUCE));
    pipe_at(drv, "a", "p", 0);
    pipe_at(drv, "a", "q", 10);
    pipe_at(drv, "a", "r", 5); /* bridges both */
    expect_out(drv, true, false,
               "a[0,0]=p/0 a[10,10]=q/10 a[0,0]=null/0 a[10,10]=null/10 "
               "a[0,10]=p+q+r/10");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, session_aggregate_merges_with_the_merger)
{
    kstream_test_driver_t *drv =
            drv0(topo(kstream_windows_session(5, 100), A_AGG));
    pipe_at(drv, "a", "p", 0);
    pipe_at(drv, "a", "q", 10);
    pipe_at(drv, "a", "r", 5);
    /* Kafka: init, then merge each session in, then add the record. */
    expect_out(drv, true, false,
               "a[0,0]=ip/0 a[10,10]=iq/10 a[0,0]=null/0 a[10,10]=null/10 "
               "a[0,10]=i|ip|iqr/10");
    kstream_test_driver_destroy(drv);
}

/* ---- windowed keys ------------------------------------------------------- */
static void expect_key_bytes(kstream_windows_t w, int64_t ts,
                             const uint8_t *bytes, size_t len)
{
    kstream_test_driver_t *drv = drv0(topo(w, A_COUNT));
    pipe_at(drv, "k", "x", ts);
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t k = kstream_record_key(rec);
    cr_assert(eq(sz, k.len, len));
    cr_assert(memcmp(k.data, bytes, len) == 0, "windowed key bytes differ");
    kstream_bytes_t v = kstream_record_value(rec);
    static const uint8_t one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    cr_assert(v.len == 8 && memcmp(v.data, one, 8) == 0,
              "count is a Kafka long");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, windowed_keys_are_kafka_windowed_keys)
{
    /* key + window start (8 bytes, big-endian) */
    static const uint8_t tumbling[] = {'k', 0, 0, 0, 0, 0, 0, 0x03, 0xe8};
    expect_key_bytes(kstream_windows_tumbling(1000, 0), 1500, tumbling,
                     sizeof(tumbling));
    /* sliding: the left window [1400, 1500] */
    static const uint8_t sliding[] = {'k', 0, 0, 0, 0, 0, 0, 0x05, 0x78};
    expect_key_bytes(kstream_windows_sliding(100, 0), 1500, sliding,
                     sizeof(sliding));
    /* key + session end + session start */
    static const uint8_t session[] = {'k', 0, 0, 0, 0, 0, 0, 0x01, 0x02,
                                      0,   0, 0, 0, 0, 0, 0x01, 0x02};
    expect_key_bytes(kstream_windows_session(10, 0), 258, session,
                     sizeof(session));
}

/* ---- skipped records, repartition, validation ---------------------------- */
Test(windowed_impl, null_keys_and_values_are_skipped_and_counted)
{
    for (int kind = 0; kind < 3; kind++) {
        kstream_windows_t w = kind == 0   ? kstream_windows_tumbling(10, 0)
                              : kind == 1 ? kstream_windows_sliding(10, 0)
                                          : kstream_windows_session(10, 0);
        kstream_test_driver_t *drv = drv0(topo(w, A_COUNT));
        pipe_at(drv, NULL, "x", 1);
        pipe_at(drv, "a", NULL, 1);
        h_expect_empty(drv, "out");
        cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
        kstream_test_driver_destroy(drv);
    }
}

static kstream_err_t key_from_value(const kstream_record_t *in,
                                    kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len);
}

Test(windowed_impl, key_changing_operator_repartitions_first)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_stream_select_key(
            kstream_builder_stream(b, "in", "src"), key_from_value, NULL,
            NULL, "rekey");
    kstream_windowed_t *w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(s), kstream_windows_tumbling(10, 0));
    kstream_table_t *t = kstream_windowed_count(w, "agg");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = drv0(b);
    pipe_at(drv, "a", "v", 1);
    pipe_at(drv, "b", "v", 2);
    pipe_at(drv, "c", "w", 3);
    expect_out(drv, false, true, "v@0=1/1 v@0=2/2 w@0=1/3");
    kstream_test_driver_destroy(drv);
}

Test(windowed_impl, describe_shows_the_aggregation_and_its_store)
{
    kstream_topology_t *t = h_build(topo(kstream_windows_session(5, 0),
                                         A_COUNT));
    char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(d != NULL);
    cr_assert(h_contains(d, "Processor: agg (kind: session_aggregate, "
                                 "stores: [agg])"),
              "%s", d);
    kstream_free(d);
    kstream_topology_destroy(t);
}

static void expect_windowed_by_rejects(kstream_windows_t w, const char *what)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g = kstream_stream_group_by_key(
            kstream_builder_stream(b, "in", "src"));
    cr_assert(kstream_grouped_windowed_by(g, w) == NULL, "%s accepted",
              what);
    const char *err = kstream_builder_error(b);
    cr_assert(err != NULL, "%s: no builder error", what);
    cr_assert(h_contains(err, "windowed_by"), "%s: error '%s'", what, err);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "windowed_by"));
}

Test(windowed_impl, invalid_windows_are_builder_errors)
{
    expect_windowed_by_rejects(kstream_windows_tumbling(0, 0), "size 0");
    expect_windowed_by_rejects(kstream_windows_tumbling(-5, 0), "size < 0");
    expect_windowed_by_rejects(kstream_windows_tumbling(10, -1), "grace < 0");
    expect_windowed_by_rejects(kstream_windows_hopping(10, 0, 0),
                               "advance 0");
    expect_windowed_by_rejects(kstream_windows_hopping(10, -2, 0),
                               "advance < 0");
    expect_windowed_by_rejects(kstream_windows_hopping(10, 11, 0),
                               "advance > size");
    expect_windowed_by_rejects(kstream_windows_sliding(0, 0), "difference 0");
    expect_windowed_by_rejects(kstream_windows_sliding(10, -1),
                               "sliding grace < 0");
    expect_windowed_by_rejects(kstream_windows_session(0, 0), "gap 0");
    expect_windowed_by_rejects(kstream_windows_session(10, -3),
                               "session grace < 0");
    expect_windowed_by_rejects(kstream_windows_tumbling(INT64_MAX, 1),
                               "size + grace overflows");
    expect_windowed_by_rejects((kstream_windows_t){0, 10, 10, 0}, "kind 0");
    expect_windowed_by_rejects((kstream_windows_t){9, 10, 10, 0}, "kind 9");
}

Test(windowed_impl, windowed_aggregations_check_their_arguments)
{
    /* Session aggregate without a merger. */
    kstream_builder_t *b = kstream_builder_new();
    kstream_windowed_t *w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            kstream_windows_session(10, 0));
    cr_assert(w != NULL);
    freed = 0;
    cr_assert(kstream_windowed_aggregate(w, init_i, agg_append, NULL, NULL,
                                         count_free, "agg") == NULL);
    cr_assert(eq(int, freed, 1), "opaque freed on failure");
    cr_assert(h_contains(kstream_builder_error(b), "merger"));
    kstream_builder_destroy(b);

    /* A name is required; a missing reducer is an error. */
    b = kstream_builder_new();
    w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            kstream_windows_tumbling(10, 0));
    cr_assert(kstream_windowed_count(w, NULL) == NULL);
    cr_assert(h_contains(kstream_builder_error(b), "name"));
    kstream_builder_destroy(b);
    b = kstream_builder_new();
    w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            kstream_windows_tumbling(10, 0));
    cr_assert(kstream_windowed_reduce(w, NULL, NULL, NULL, "agg") == NULL);
    cr_assert(h_contains(kstream_builder_error(b), "reducer"));
    kstream_builder_destroy(b);

    /* NULL windowed handles (after a failed windowed_by) give NULL and
     * free the opaque. */
    freed = 0;
    cr_assert(kstream_windowed_reduce(NULL, reduce_plus, NULL, count_free,
                                      "agg") == NULL);
    cr_assert(eq(int, freed, 1));
    cr_assert(kstream_grouped_windowed_by(NULL,
                                          kstream_windows_tumbling(1, 0)) ==
              NULL);

    /* Time windows ignore the merger; the store's name is taken. */
    b = kstream_builder_new();
    w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            kstream_windows_tumbling(10, 0));
    cr_assert(kstream_windowed_aggregate(w, init_i, agg_append, NULL, NULL,
                                         NULL, "agg") != NULL);
    cr_assert(kstream_windowed_count(w, "agg") == NULL);
    cr_assert(h_contains(kstream_builder_error(b), "agg"));
    kstream_builder_destroy(b);
}

/* ---- oracles: every configuration gives the brute-force results ---------- */
typedef struct rec_in {
    char key[2];
    int64_t ts;
    int value;
} rec_in_t;

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
}

static size_t gen(rec_in_t *r, size_t n, int64_t tmax, uint64_t seed)
{
    rng = seed;
    for (size_t i = 0; i < n; i++) {
        r[i].key[0] = (char)('a' + next_rand() % 3);
        r[i].key[1] = '\0';
        r[i].ts = (int64_t)(next_rand() % (uint64_t)(tmax + 1));
        r[i].value = (int)(next_rand() % 100);
    }
    return n;
}

static void pipe_all(kstream_test_driver_t *drv, const rec_in_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", r[i].value);
        pipe_at(drv, r[i].key, v, r[i].ts);
    }
}

static void oracle_add(table_t *t, char key, int64_t start,
                       int64_t end, bool session, const char *value)
{
    uint8_t k[24];
    size_t kl = 1;
    k[0] = (uint8_t)key;
    for (int i = 0; i < 8; i++) {
        int64_t first = session ? end : start;
        k[1 + i] = (uint8_t)((uint64_t)first >> (56 - 8 * i));
        if (session)
            k[9 + i] = (uint8_t)((uint64_t)start >> (56 - 8 * i));
    }
    kl += session ? 16 : 8;
    char text[128];
    if (session)
        snprintf(text, sizeof(text), "%c[%lld,%lld]=%s", key,
                 (long long)start, (long long)end, value);
    else
        snprintf(text, sizeof(text), "%c@%lld=%s", key, (long long)start,
                 value);
    table_set(t, k, kl, text);
}

/* Window [start, start + len) (or [start, start + len] when inclusive):
 * "count" or the sum of the values of key's records in it. */
static void window_value(const rec_in_t *r, size_t n, const char *key,
                         int64_t start, int64_t len, bool inclusive,
                         bool sum, char *buf, size_t size)
{
    long long c = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].key[0] == key[0] && r[i].ts >= start &&
            (inclusive ? r[i].ts <= start + len : r[i].ts < start + len)) {
            c++;
            s += r[i].value;
        }
    snprintf(buf, size, "%lld", sum ? s : c);
}

static const char *oracle_hopping(const rec_in_t *r, size_t n, int64_t size,
                                  int64_t adv, bool sum, outs_t *o)
{
    static table_t t;
    t.n = 0;
    for (const char *key = "abc"; *key; key++)
        for (int64_t s = 0; s <= 200; s += adv) {
            char v[32];
            window_value(r, n, key, s, size, false, false, v, sizeof(v));
            if (strcmp(v, "0") == 0)
                continue;
            window_value(r, n, key, s, size, false, sum, v, sizeof(v));
            oracle_add(&t, *key, s, 0, false, v);
        }
    return table_str(&t, o);
}

/* Kafka's sliding windows: each record's left window [ts - diff, ts]
 * ([0, diff] for ts < diff) and, when a later record is within diff + 1,
 * its right window [ts + 1, ts + 1 + diff]. */
static const char *oracle_sliding(const rec_in_t *r, size_t n, int64_t diff,
                                  bool sum, outs_t *o)
{
    static table_t t;
    t.n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = r[i].key;
        int64_t starts[2] = {r[i].ts < diff ? 0 : r[i].ts - diff, -1};
        for (size_t j = 0; j < n; j++)
            if (r[j].key[0] == key[0] && r[j].ts > r[i].ts &&
                r[j].ts <= r[i].ts + 1 + diff)
                starts[1] = r[i].ts + 1;
        for (int k = 0; k < 2; k++) {
            if (starts[k] < 0)
                continue;
            char v[32];
            window_value(r, n, key, starts[k], diff, true, sum, v,
                         sizeof(v));
            oracle_add(&t, *key, starts[k], 0, false, v);
        }
    }
    return table_str(&t, o);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sessions: the key's timestamps sorted, split where two neighbours are
 * more than gap apart. */
static const char *oracle_session(const rec_in_t *r, size_t n, int64_t gap,
                                  bool sum, outs_t *o)
{
    static table_t t;
    t.n = 0;
    for (const char *key = "abc"; *key; key++) {
        int64_t ts[256];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (r[i].key[0] == key[0])
                ts[m++] = r[i].ts;
        qsort(ts, m, sizeof(ts[0]), cmp_i64);
        for (size_t i = 0; i < m;) {
            size_t j = i;
            while (j + 1 < m && ts[j + 1] - ts[j] <= gap)
                j++;
            char v[32];
            window_value(r, n, key, ts[i], ts[j] - ts[i], true, sum, v,
                         sizeof(v));
            oracle_add(&t, *key, ts[i], ts[j], true, v);
            i = j + 1;
        }
    }
    return table_str(&t, o);
}

/* Run n records in every configuration; the final table of the outputs
 * and the store must both equal `expected`. */
static void check_all_configs(kstream_windows_t w, enum agg_kind k,
                              const rec_in_t *r, size_t n,
                              const char *expected)
{
    bool session = w.kind == 4;
    bool count = k == A_COUNT;
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(topo(w, k), cfg);
        pipe_all(drv, r, n);
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        outs_t o;
        cr_assert(eq(str, (char *)final_outputs(drv, session, count, &o),
                     (char *)expected),
                  "outputs, configuration %d", cfg);
        if (session)
            session_store(drv, count, "abc", &o);
        else
            window_store(drv, count, w.size_ms, &o);
        cr_assert(eq(str, o.text, (char *)expected),
                  "store, configuration %d", cfg);
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
        kstream_test_driver_destroy(drv);
    }
}

Test(windowed_impl, hopping_matches_the_oracle_in_every_configuration)
{
    rec_in_t r[60];
    size_t n = gen(r, 60, 80, 7);
    outs_t o;
    check_all_configs(kstream_windows_hopping(20, 5, 1000), A_COUNT, r, n,
                      oracle_hopping(r, n, 20, 5, false, &o));
    check_all_configs(kstream_windows_tumbling(15, 1000), A_SUM, r, n,
                      oracle_hopping(r, n, 15, 15, true, &o));
}

Test(windowed_impl, sliding_matches_the_oracle_in_every_configuration)
{
    rec_in_t r[80];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        size_t n = gen(r, 80, 90, seed);
        outs_t o;
        check_all_configs(kstream_windows_sliding(10, 1000), A_COUNT, r, n,
                          oracle_sliding(r, n, 10, false, &o));
        check_all_configs(kstream_windows_sliding(7, 1000), A_SUM, r, n,
                          oracle_sliding(r, n, 7, true, &o));
    }
}

Test(windowed_impl, sessions_match_the_oracle_in_every_configuration)
{
    rec_in_t r[80];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        size_t n = gen(r, 80, 200, seed);
        outs_t o;
        check_all_configs(kstream_windows_session(4, 1000), A_COUNT, r, n,
                          oracle_session(r, n, 4, false, &o));
        check_all_configs(kstream_windows_session(6, 1000), A_SUM, r, n,
                          oracle_session(r, n, 6, true, &o));
    }
}

/* With late records: every configuration ends with the same outputs'
 * final table, live store contents and late count. (Only the live ones:
 * a cache may still answer with expired windows until it evicts them, as
 * Kafka's caching stores do.) */
Test(windowed_impl, late_records_give_the_same_results_in_every_configuration)
{
    kstream_windows_t ws[4] = {
            kstream_windows_tumbling(10, 3), kstream_windows_hopping(12, 4, 2),
            kstream_windows_sliding(6, 3), kstream_windows_session(3, 2)};
    rec_in_t r[120];
    /* Time mostly moves forward, with records up to 20 ms late. */
    rng = 99;
    int64_t t = 0, stream_time = 0;
    for (size_t i = 0; i < 120; i++) {
        t += (int64_t)(next_rand() % 4);
        r[i].key[0] = (char)('a' + next_rand() % 3);
        r[i].key[1] = '\0';
        int64_t back = (int64_t)(next_rand() % 21);
        r[i].ts = t - back < 0 ? 0 : t - back;
        r[i].value = (int)(next_rand() % 100);
        if (r[i].ts > stream_time)
            stream_time = r[i].ts;
    }
    for (int wi = 0; wi < 4; wi++) {
        /* Live: newer than stream time - retention (windowed.c). */
        int64_t retention = ws[wi].kind == 3
                                    ? 2 * ws[wi].size_ms + ws[wi].grace_ms
                                    : ws[wi].size_ms + ws[wi].grace_ms;
        int64_t live = stream_time - retention + 1;
        bool session = ws[wi].kind == 4;
        char first_out[16384], first_store[16384];
        int64_t first_late = -1;
        for (int cfg = 0; cfg < NCFG; cfg++) {
            kstream_test_driver_t *drv = drv_cfg(topo(ws[wi], A_SUM), cfg);
            pipe_all(drv, r, 120);
            cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
            outs_t o, so;
            final_outputs(drv, session, false, &o);
            if (session)
                session_store_from(drv, false, "abc", live, &so);
            else
                window_store_from(drv, false, ws[wi].size_ms, live, &so);
            int64_t late = h_metric(drv, "late-records-dropped");
            cr_assert(late > 0, "windows %d: the input has late records",
                      wi);
            if (cfg == 0) {
                snprintf(first_out, sizeof(first_out), "%s", o.text);
                snprintf(first_store, sizeof(first_store), "%s", so.text);
                first_late = late;
            } else {
                cr_assert(eq(str, o.text, first_out),
                          "windows %d, configuration %d: outputs", wi, cfg);
                cr_assert(eq(str, so.text, first_store),
                          "windows %d, configuration %d: store", wi, cfg);
                cr_assert(eq(i64, late, first_late));
            }
            kstream_test_driver_destroy(drv);
        }
    }
}
