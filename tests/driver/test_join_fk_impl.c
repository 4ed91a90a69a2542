/* test_join_fk_impl.c - focused tests of kstream_table_join_fk()
 * (lib/dsl/join_fk.c, lib/processor/join_fk.c) through the test driver:
 * matches and misses, foreign-key changes, deletes on either side, fan-out
 * of right updates, rows without a foreign key, stale responses, tables
 * with different partition counts (and the partition counts of the two
 * internal topics), exact output sequences in both store backends, final
 * equality with the cache on and off against a model, and argument
 * checks. Kafka Streams' KIP-213 semantics. */
#include "helpers.h"

TestSuite(join_fk_impl, .timeout = 120);

/* Left values are "FK:payload"; a value without ':' has no FK. */
static kstream_err_t fk_of(const kstream_record_t *rec, kstream_buf_t *key,
                           void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    const char *colon = v.data ? memchr(v.data, ':', v.len) : NULL;
    if (!colon)
        return KSTREAM_ERR_NOT_FOUND;
    return kstream_buf_append(key, v.data,
                              (size_t)(colon - (const char *)v.data));
}

/* "left+right" ("left+null" without a right row). Checks that the right
 * record's key is the foreign key the left value names. */
static kstream_err_t join_vals(const kstream_record_t *l,
                               const kstream_record_t *r,
                               kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t lv = kstream_record_value(l);
    char buf[512];
    int n;
    if (r) {
        kstream_bytes_t rk = kstream_record_key(r);
        kstream_bytes_t rv = kstream_record_value(r);
        const char *colon = memchr(lv.data, ':', lv.len);
        if (!colon || (size_t)(colon - (const char *)lv.data) != rk.len ||
            memcmp(lv.data, rk.data, rk.len) != 0)
            return KSTREAM_ERR_USER;
        n = snprintf(buf, sizeof(buf), "%.*s+%.*s", (int)lv.len,
                     (const char *)lv.data, (int)rv.len,
                     (const char *)rv.data);
    } else {
        n = snprintf(buf, sizeof(buf), "%.*s+null", (int)lv.len,
                     (const char *)lv.data);
    }
    return kstream_record_set_value(out, buf, (size_t)n);
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

/* left -> table lt, right -> table rt, lt join_fk rt ("fk") -> out */
static kstream_builder_t *topo(kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *lt = kstream_builder_table(b, "left", "lt");
    kstream_table_t *rt = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j = kstream_table_join_fk(lt, rt, fk_of, kind,
                                               join_vals, NULL, NULL, "fk");
    cr_assert(j != NULL, "%s", kstream_builder_error(b));
    kstream_stream_t *s = kstream_table_to_stream(j, "fk-to-stream");
    cr_assert(eq(int, kstream_stream_to(s, "out", "out-sink"), KSTREAM_OK));
    return b;
}

/* Configurations: bit 0 in_memory (else rocksdb), bit 1 cache on. */
#define NCFG 4
static kstream_test_driver_t *start_b(kstream_builder_t *b, int cfg,
                                      int32_t lparts, int32_t rparts)
{
    kstream_test_driver_t *drv = h_driver(
            b, "default.dsl.store", cfg & 1 ? "in_memory" : "rocksdb",
            "cache.max.bytes.buffering", cfg & 2 ? "10485760" : "0", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "left", lparts),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "right", rparts),
                 KSTREAM_OK));
    return drv;
}

static kstream_test_driver_t *start(kstream_join_kind_t kind, int cfg,
                                    int32_t lparts, int32_t rparts)
{
    return start_b(topo(kind), cfg, lparts, rparts);
}

static void L(kstream_test_driver_t *drv, const char *k, const char *v,
              int64_t ts)
{
    h_pipe_ok(drv, "left", k, v, ts);
}

static void R(kstream_test_driver_t *drv, const char *k, const char *v,
              int64_t ts)
{
    h_pipe_ok(drv, "right", k, v, ts);
}

/* Every unread record of "out" as "key=value@ts" ("null" for a
 * tombstone), space-separated. */
static const char *drain(kstream_test_driver_t *drv, char *buf, size_t size)
{
    const kstream_record_t *rec;
    buf[0] = '\0';
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%.*s=%.*s@%lld",
                 used ? " " : "", (int)k.len, (const char *)k.data,
                 v.data ? (int)v.len : 4,
                 v.data ? (const char *)v.data : "null",
                 (long long)kstream_record_timestamp(rec));
    }
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* drain(), with the records sorted (tasks of several partitions answer
 * in the driver's polling order). */
static const char *drain_sorted(kstream_test_driver_t *drv, char *buf,
                                size_t size)
{
    char tmp[4096];
    drain(drv, tmp, sizeof(tmp));
    char *items[64];
    size_t n = 0;
    for (char *tok = strtok(tmp, " "); tok && n < 64; tok = strtok(NULL, " "))
        items[n++] = tok;
    qsort(items, n, sizeof(items[0]), cmp_str);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? " " : "", items[i]);
    }
    return buf;
}

#define EXPECT(drv, want)                                                      \
    do {                                                                       \
        char got_[4096];                                                       \
        cr_assert(eq(str, (char *)drain(drv, got_, sizeof(got_)),              \
                     (char *)(want)),                                          \
                  "cfg %d", cfg);                                              \
    } while (0)

/* ---- exact sequences (cache off, both backends) ------------------------ */
Test(join_fk_impl, inner_match_either_order_with_max_timestamp)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        R(drv, "c1", "Alice", 10);
        EXPECT(drv, "");
        L(drv, "o1", "c1:x", 20);
        EXPECT(drv, "o1=c1:x+Alice@20");
        L(drv, "o2", "c1:y", 5); /* older than the right row */
        EXPECT(drv, "o2=c1:y+Alice@10");
        L(drv, "o3", "c2:z", 30); /* no right row yet: nothing */
        EXPECT(drv, "");
        R(drv, "c2", "Bob", 25);
        EXPECT(drv, "o3=c2:z+Bob@30");
        L(drv, "o3", "c2:w", 40); /* same FK, new value */
        EXPECT(drv, "o3=c2:w+Bob@40");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, left_join_miss_emits_null_right_then_the_match)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_LEFT, cfg, 1, 1);
        L(drv, "o1", "c9:x", 5);
        EXPECT(drv, "o1=c9:x+null@5");
        R(drv, "c9", "Zed", 7);
        EXPECT(drv, "o1=c9:x+Zed@7");
        L(drv, "o1", "c9:y", 6);
        EXPECT(drv, "o1=c9:y+Zed@7");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, fk_change_retracts_the_old_result_and_emits_the_new)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        R(drv, "c2", "B", 2);
        L(drv, "o1", "c1:x", 3);
        EXPECT(drv, "o1=c1:x+A@3");
        L(drv, "o1", "c2:x", 4);
        EXPECT(drv, "o1=c2:x+B@4");
        /* Unsubscribed from c1: its updates no longer reach o1. */
        R(drv, "c1", "A2", 5);
        EXPECT(drv, "");
        R(drv, "c2", "B2", 6);
        EXPECT(drv, "o1=c2:x+B2@6");
        /* To a FK without a row: the old result is retracted. */
        L(drv, "o1", "c3:x", 7);
        EXPECT(drv, "o1=null@7");
        R(drv, "c2", "B3", 8);
        EXPECT(drv, "");
        R(drv, "c3", "C", 9);
        EXPECT(drv, "o1=c3:x+C@9");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, left_join_fk_change)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_LEFT, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        L(drv, "o1", "c1:x", 2);
        EXPECT(drv, "o1=c1:x+A@2");
        L(drv, "o1", "c3:x", 3);
        EXPECT(drv, "o1=c3:x+null@3");
        R(drv, "c1", "A2", 4);
        EXPECT(drv, "");
        L(drv, "o1", "c1:y", 5);
        EXPECT(drv, "o1=c1:y+A2@5");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, left_delete_unsubscribes_and_emits_a_tombstone)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        for (int k = 0; k < 2; k++) {
            kstream_join_kind_t kind = k ? KSTREAM_JOIN_LEFT
                                         : KSTREAM_JOIN_INNER;
            kstream_test_driver_t *drv = start(kind, cfg, 1, 1);
            R(drv, "c1", "A", 10);
            L(drv, "o1", "c1:x", 1);
            EXPECT(drv, "o1=c1:x+A@10");
            L(drv, "o1", NULL, 12);
            EXPECT(drv, "o1=null@12");
            R(drv, "c1", "A2", 13);
            EXPECT(drv, "");
            /* Deleting a missing row: no output. */
            L(drv, "o9", NULL, 14);
            EXPECT(drv, "");
            L(drv, "o1", "c1:z", 15);
            EXPECT(drv, "o1=c1:z+A2@15");
            kstream_test_driver_destroy(drv);
        }
    }
}

Test(join_fk_impl, inner_delete_of_an_unmatched_row_is_a_tombstone_as_in_kafka)
{
    /* The left side cannot know whether the old FK joined: like Kafka
     * Streams, it retracts anyway. */
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        L(drv, "o1", "c1:x", 1);
        EXPECT(drv, "");
        L(drv, "o1", NULL, 2);
        EXPECT(drv, "o1=null@2");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, right_update_fans_out_to_every_subscriber)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        L(drv, "o2", "c1:b", 1);
        L(drv, "o1", "c1:a", 2);
        L(drv, "o3", "c1:c", 3);
        L(drv, "o4", "c2:d", 4);
        /* "c" prefixes "c1": a prefix scan must not mix them up. */
        L(drv, "o5", "c:e", 5);
        L(drv, "o6", "c10:f", 6);
        EXPECT(drv, "");
        R(drv, "c1", "A", 10);
        EXPECT(drv, "o1=c1:a+A@10 o2=c1:b+A@10 o3=c1:c+A@10");
        R(drv, "c1", "A2", 11);
        EXPECT(drv, "o1=c1:a+A2@11 o2=c1:b+A2@11 o3=c1:c+A2@11");
        R(drv, "c", "C", 12);
        EXPECT(drv, "o5=c:e+C@12");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, right_delete_retracts_inner_and_nulls_left)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        L(drv, "o1", "c1:a", 2);
        L(drv, "o2", "c1:b", 3);
        EXPECT(drv, "o1=c1:a+A@2 o2=c1:b+A@3");
        R(drv, "c1", NULL, 4);
        EXPECT(drv, "o1=null@4 o2=null@4");
        R(drv, "c1", "A3", 5);
        EXPECT(drv, "o1=c1:a+A3@5 o2=c1:b+A3@5");
        kstream_test_driver_destroy(drv);

        drv = start(KSTREAM_JOIN_LEFT, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        L(drv, "o1", "c1:a", 2);
        L(drv, "o2", "c1:b", 3);
        EXPECT(drv, "o1=c1:a+A@2 o2=c1:b+A@3");
        R(drv, "c1", NULL, 4);
        EXPECT(drv, "o1=c1:a+null@4 o2=c1:b+null@4");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_fk_impl, left_row_without_fk)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        L(drv, "o1", "nofk", 2);
        EXPECT(drv, "");
        cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
        L(drv, "o1", "c1:x", 3);
        EXPECT(drv, "o1=c1:x+A@3");
        L(drv, "o1", "gone", 4); /* the FK went away: retract */
        EXPECT(drv, "o1=null@4");
        R(drv, "c1", "A2", 5);
        EXPECT(drv, "");
        kstream_test_driver_destroy(drv);

        drv = start(KSTREAM_JOIN_LEFT, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        L(drv, "o1", "nofk", 2);
        EXPECT(drv, "o1=nofk+null@2");
        L(drv, "o1", "c1:x", 3);
        EXPECT(drv, "o1=c1:x+A@3");
        L(drv, "o1", "gone", 4);
        EXPECT(drv, "o1=gone+null@4");
        R(drv, "c1", "A2", 5);
        EXPECT(drv, "");
        L(drv, "o1", NULL, 6);
        EXPECT(drv, "o1=null@6");
        cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
        kstream_test_driver_destroy(drv);
    }
}

/* ---- stale responses ---------------------------------------------------- */
/* "a|b" becomes two updates of the key within one input record: both
 * subscriptions are out before the first response comes back. */
static kstream_err_t split_bar(const kstream_record_t *in,
                               kstream_records_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    const char *p = v.data, *end = p + v.len;
    while (p && p <= end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *stop = bar ? bar : end;
        kstream_record_t *r = kstream_records_add(out);
        if (!r)
            return KSTREAM_ERR_NO_MEMORY;
        kstream_err_t err = kstream_record_set_value(r, p,
                                                     (size_t)(stop - p));
        if (err)
            return err;
        p = bar ? bar + 1 : NULL;
    }
    return KSTREAM_OK;
}

Test(join_fk_impl, stale_responses_are_dropped)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *ls = kstream_builder_stream(b, "left", "ls");
        ls = kstream_stream_flat_map_values(ls, split_bar, NULL, NULL,
                                            "split");
        kstream_table_t *lt = kstream_stream_to_table(ls, "lt");
        kstream_table_t *rt = kstream_builder_table(b, "right", "rt");
        kstream_table_t *j = kstream_table_join_fk(
                lt, rt, fk_of, KSTREAM_JOIN_INNER, join_vals, NULL, NULL,
                "fk");
        cr_assert(j != NULL, "%s", kstream_builder_error(b));
        kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
        kstream_test_driver_t *drv = start_b(b, cfg, 1, 1);
        R(drv, "c1", "A", 1);
        R(drv, "c2", "B", 1);
        /* The answer for "c1:x" finds "c2:y" in the left store: dropped. */
        L(drv, "o1", "c1:x|c2:y", 2);
        EXPECT(drv, "o1=c2:y+B@2");
        /* Same FK, value changed in between. */
        L(drv, "o2", "c1:p|c1:q", 3);
        EXPECT(drv, "o2=c1:q+A@3");
        /* Row and FK changing back: the answers to "c1:x" and "c2:y"
         * are stale, the one to the last "c1:x" is current. */
        L(drv, "o3", "c1:x|c2:y|c1:x", 4);
        EXPECT(drv, "o3=c1:x+A@4 o3=c1:x+A@4");
        kstream_test_driver_destroy(drv);
    }
}

/* ---- partitions ------------------------------------------------------------ */
Test(join_fk_impl, internal_topics_get_the_partition_counts_of_their_tables)
{
    /* The subscription topic follows the right table (2), the response
     * topic the left one (4): a topic created with another count is an
     * error at start. */
    kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, 0, 4, 2);
    cr_assert(eq(int, kstream_test_driver_create_topic(
                              drv,
                              "kstream-test-fk-subscription-registration-"
                              "topic",
                              4),
                 KSTREAM_OK));
    cr_assert(ne(int, h_pipe(drv, "left", "o1", "c1:x", 1), KSTREAM_OK));
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "subscription-registration-topic") &&
                      h_contains(msg, "expected 2"),
              "%s", msg);
    kstream_test_driver_destroy(drv);

    drv = start(KSTREAM_JOIN_INNER, 0, 4, 2);
    cr_assert(eq(int, kstream_test_driver_create_topic(
                              drv,
                              "kstream-test-fk-subscription-response-topic",
                              2),
                 KSTREAM_OK));
    cr_assert(ne(int, h_pipe(drv, "left", "o1", "c1:x", 1), KSTREAM_OK));
    msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "subscription-response-topic") &&
                      h_contains(msg, "expected 4"),
              "%s", msg);
    kstream_test_driver_destroy(drv);

    /* With the right counts, the join runs. */
    drv = start(KSTREAM_JOIN_INNER, 0, 4, 2);
    cr_assert(eq(int, kstream_test_driver_create_topic(
                              drv,
                              "kstream-test-fk-subscription-registration-"
                              "topic",
                              2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(
                              drv,
                              "kstream-test-fk-subscription-response-topic",
                              4),
                 KSTREAM_OK));
    int cfg = 0;
    R(drv, "c1", "A", 1);
    L(drv, "o1", "c1:x", 2);
    EXPECT(drv, "o1=c1:x+A@2");
    kstream_test_driver_destroy(drv);
}

Test(join_fk_impl, responses_go_back_to_the_left_rows_partition)
{
    /* Left rows written to partitions other than their key's: the
     * response must reach the task that holds the row. */
    kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, 0, 4, 2);
    R(drv, "c1", "A", 1);
    for (int32_t p = 0; p < 4; p++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", (int)p);
        int32_t part = (h_partition_of(key, 4) + 1 + p) % 4;
        h_pipe_p_ok(drv, "left", part, key, "c1:x", 2 + p);
    }
    char got[1024];
    cr_assert(eq(str, (char *)drain_sorted(drv, got, sizeof(got)),
                 "k0=c1:x+A@2 k1=c1:x+A@3 k2=c1:x+A@4 k3=c1:x+A@5"));
    /* Every response record went to the partition of its row. */
    const kstream_record_t *rec;
    int n = 0;
    while (kstream_test_driver_read(
                   drv, "kstream-test-fk-subscription-response-topic",
                   &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        char key[16];
        snprintf(key, sizeof(key), "%.*s", (int)k.len, (const char *)k.data);
        int p = key[1] - '0';
        cr_assert(eq(i32, kstream_record_partition(rec),
                     (h_partition_of(key, 4) + 1 + p) % 4), "%s", key);
        n++;
    }
    cr_assert(eq(int, n, 4));
    R(drv, "c1", "A2", 9);
    cr_assert(eq(str, (char *)drain_sorted(drv, got, sizeof(got)),
                 "k0=c1:x+A2@9 k1=c1:x+A2@9 k2=c1:x+A2@9 k3=c1:x+A2@9"));
    kstream_test_driver_destroy(drv);
}

/* ---- a model of the result table ---------------------------------------- */
#define NL 16 /* left keys o0.. */
#define NR 5  /* right keys c0.. */

typedef struct model {
    char left[NL][32];
    bool has_left[NL];
    int64_t lts[NL];
    char right[NR][32];
    bool has_right[NR];
    int64_t rts[NR];
    /* Time of the latest result of each left key: the larger of the left
     * row's and of the right event (update or delete) that made it. */
    int64_t res_ts[NL];
} model_t;

/* The right key the left row of i points at, or -1. */
static int model_fk(const model_t *m, int i)
{
    const char *v = m->left[i];
    if (m->has_left[i] && v[0] == 'c' && v[1] >= '0' && v[1] <= '9' &&
        v[2] == ':')
        return v[1] - '0';
    return -1;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The result for left key i ("" and false: none). */
static bool model_result(const model_t *m, kstream_join_kind_t kind, int i,
                         char *out, size_t size, int64_t *ts)
{
    if (!m->has_left[i])
        return false;
    const char *v = m->left[i];
    int r = model_fk(m, i);
    *ts = m->res_ts[i];
    if (r >= 0 && m->has_right[r]) {
        snprintf(out, size, "%s+%s", v, m->right[r]);
        return true;
    }
    if (kind == KSTREAM_JOIN_INNER)
        return false;
    snprintf(out, size, "%s+null", v);
    return true;
}

/* The result table the output stream describes (last update per key). */
typedef struct table {
    char v[NL][96];
    bool has[NL];
    int64_t ts[NL];
} table_t;

static void read_table(kstream_test_driver_t *drv, table_t *t)
{
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        char key[16];
        snprintf(key, sizeof(key), "%.*s", (int)k.len, (const char *)k.data);
        int i = atoi(key + 1);
        cr_assert(key[0] == 'o' && i >= 0 && i < NL, "key %s", key);
        t->has[i] = v.data != NULL;
        t->ts[i] = kstream_record_timestamp(rec);
        snprintf(t->v[i], sizeof(t->v[i]), "%.*s", (int)v.len,
                 v.data ? (const char *)v.data : "");
    }
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random updates and deletes on both sides (left rows pointing at right
 * keys, or without a FK), then the result table against the model. */
static void run_model(kstream_join_kind_t kind, int cfg, uint64_t seed,
                      int nops, table_t *out)
{
    kstream_test_driver_t *drv = start(kind, cfg, 4, 2);
    model_t m;
    memset(&m, 0, sizeof(m));
    memset(out, 0, sizeof(*out));
    uint64_t s = seed;
    for (int op = 0; op < nops; op++) {
        int64_t ts = (int64_t)(rnd(&s) % 1000);
        char key[16], val[32];
        if (rnd(&s) % 2) {
            int i = (int)(rnd(&s) % NL);
            snprintf(key, sizeof(key), "o%d", i);
            int what = (int)(rnd(&s) % 10);
            if (what == 0) {
                L(drv, key, NULL, ts);
                m.has_left[i] = false;
                continue;
            }
            if (what == 1)
                snprintf(val, sizeof(val), "nofk%d", op);
            else
                snprintf(val, sizeof(val), "c%d:v%d",
                         (int)(rnd(&s) % NR), op);
            L(drv, key, val, ts);
            m.has_left[i] = true;
            snprintf(m.left[i], sizeof(m.left[i]), "%s", val);
            m.lts[i] = ts;
            int r = model_fk(&m, i);
            m.res_ts[i] = r >= 0 && m.has_right[r] ? max64(ts, m.rts[r]) : ts;
        } else {
            int r = (int)(rnd(&s) % NR);
            snprintf(key, sizeof(key), "c%d", r);
            bool del = rnd(&s) % 5 == 0;
            snprintf(val, sizeof(val), "R%d", op);
            R(drv, key, del ? NULL : val, ts);
            for (int i = 0; i < NL; i++)
                if (model_fk(&m, i) == r)
                    m.res_ts[i] = max64(m.lts[i], ts);
            m.has_right[r] = !del;
            snprintf(m.right[r], sizeof(m.right[r]), "%s", val);
            m.rts[r] = ts;
        }
        if (op % 37 == 0)
            read_table(drv, out);
    }
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    read_table(drv, out);
    for (int i = 0; i < NL; i++) {
        char want[96];
        int64_t ts = -1;
        bool has = model_result(&m, kind, i, want, sizeof(want), &ts);
        cr_assert(eq(int, out->has[i], has),
                  "cfg %d seed %llu o%d: result %s, model %s", cfg,
                  (unsigned long long)seed, i, out->has[i] ? out->v[i] : "-",
                  has ? want : "-");
        if (!has)
            continue;
        cr_assert(eq(str, out->v[i], want), "cfg %d seed %llu o%d", cfg,
                  (unsigned long long)seed, i);
        /* With caches, updates of the two sides reach the join merged and
         * in another order: the times of results may differ (as in Kafka
         * Streams), the values may not. */
        if (!(cfg & 2))
            cr_assert(eq(i64, out->ts[i], ts), "cfg %d seed %llu o%d (%s)",
                      cfg, (unsigned long long)seed, i, want);
    }
    kstream_test_driver_destroy(drv);
}

Test(join_fk_impl, several_partitions_match_the_model)
{
    for (int k = 0; k < 2; k++) {
        kstream_join_kind_t kind = k ? KSTREAM_JOIN_LEFT : KSTREAM_JOIN_INNER;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            table_t t;
            run_model(kind, 1, seed * 7919, 400, &t);
        }
    }
}

Test(join_fk_impl, cache_on_and_off_give_the_same_final_table)
{
    for (int k = 0; k < 2; k++) {
        kstream_join_kind_t kind = k ? KSTREAM_JOIN_LEFT : KSTREAM_JOIN_INNER;
        table_t ref;
        run_model(kind, 0, 4242 + (uint64_t)k, 300, &ref);
        for (int cfg = 1; cfg < NCFG; cfg++) {
            table_t t;
            run_model(kind, cfg, 4242 + (uint64_t)k, 300, &t);
            for (int i = 0; i < NL; i++) {
                cr_assert(eq(int, t.has[i], ref.has[i]), "cfg %d o%d", cfg,
                          i);
                if (t.has[i])
                    cr_assert(eq(str, t.v[i], ref.v[i]), "cfg %d o%d", cfg,
                              i);
            }
        }
    }
}

Test(join_fk_impl, cache_on_emits_at_commit)
{
    int cfg = 2;
    kstream_test_driver_t *drv = start(KSTREAM_JOIN_INNER, cfg, 1, 1);
    R(drv, "c1", "A", 1);
    L(drv, "o1", "c1:x", 2);
    L(drv, "o1", "c1:y", 3);
    EXPECT(drv, "");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    /* One update of the left row (the cache merged both): one result. */
    EXPECT(drv, "o1=c1:y+A@3");
    kstream_test_driver_destroy(drv);
}

/* ---- self join ------------------------------------------------------------ */
/* Rows "manager:name" of one table joined to the manager's row. */
Test(join_fk_impl, a_table_joined_with_itself)
{
    for (int cfg = 0; cfg < 2; cfg++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_table_t *t = kstream_builder_table(b, "left", "emp");
        kstream_table_t *j = kstream_table_join_fk(
                t, t, fk_of, KSTREAM_JOIN_LEFT, join_vals, NULL, NULL, "fk");
        cr_assert(j != NULL, "%s", kstream_builder_error(b));
        kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
        kstream_test_driver_t *drv = start_b(b, cfg, 3, 1);
        L(drv, "e1", "boss", 1);
        EXPECT(drv, "e1=boss+null@1");
        L(drv, "e2", "e1:ann", 2);
        EXPECT(drv, "e2=e1:ann+boss@2");
        L(drv, "e1", "e3:bob", 3); /* e1 changes: e2's result too */
        char got[1024];
        drain(drv, got, sizeof(got));
        cr_assert(h_contains(got, "e2=e1:ann+e3:bob@3") &&
                          h_contains(got, "e1=e3:bob+null@3"),
                  "%s", got);
        kstream_test_driver_destroy(drv);
    }
}

/* ---- arguments ------------------------------------------------------------- */
Test(join_fk_impl, arguments_are_checked_and_opaque_is_always_given)
{
    struct {
        kstream_key_extractor_cb *fk;
        kstream_join_kind_t kind;
        kstream_joiner_cb *joiner;
        const char *name;
        const char *msg;
    } bad[] = {
            {NULL, KSTREAM_JOIN_INNER, join_vals, "fk", "extractor"},
            {fk_of, KSTREAM_JOIN_INNER, NULL, "fk", "joiner"},
            {fk_of, KSTREAM_JOIN_OUTER, join_vals, "fk", "inner or left"},
            {fk_of, KSTREAM_JOIN_INNER, join_vals, NULL, "name"},
            {fk_of, KSTREAM_JOIN_INNER, join_vals, "bad name", "name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_table_t *lt = kstream_builder_table(b, "left", "lt");
        kstream_table_t *rt = kstream_builder_table(b, "right", "rt");
        freed = 0;
        cr_assert(kstream_table_join_fk(lt, rt, bad[i].fk, bad[i].kind,
                                        bad[i].joiner, &freed, count_free,
                                        bad[i].name) == NULL);
        cr_assert(eq(int, freed, 1), "case %zu", i);
        const char *err = kstream_builder_error(b);
        cr_assert(h_contains(err, bad[i].msg), "case %zu: %s", i, err);
        kstream_builder_destroy(b);
    }
    freed = 0;
    cr_assert(kstream_table_join_fk(NULL, NULL, fk_of, KSTREAM_JOIN_INNER,
                                    join_vals, &freed, count_free,
                                    "fk") == NULL);
    cr_assert(eq(int, freed, 1));

    /* Success: freed once, with the topology. */
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *lt = kstream_builder_table(b, "left", "lt");
    kstream_table_t *rt = kstream_builder_table(b, "right", "rt");
    freed = 0;
    kstream_table_t *j = kstream_table_join_fk(lt, rt, fk_of,
                                               KSTREAM_JOIN_INNER, join_vals,
                                               &freed, count_free, "fk");
    cr_assert(j != NULL);
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_topology_t *t = h_build(b);
    cr_assert(eq(int, freed, 0));
    kstream_topology_destroy(t);
    cr_assert(eq(int, freed, 1));

    /* A name taken by another store: a build error, opaque still freed
     * once with the builder. */
    b = kstream_builder_new();
    lt = kstream_builder_table(b, "left", "lt");
    rt = kstream_builder_table(b, "right", "fk-subscription-store");
    freed = 0;
    cr_assert(kstream_table_join_fk(lt, rt, fk_of, KSTREAM_JOIN_INNER,
                                    join_vals, &freed, count_free,
                                    "fk") == NULL);
    cr_assert(h_contains(kstream_builder_error(b), "fk-subscription-store"),
              "%s", kstream_builder_error(b));
    kstream_builder_destroy(b);
    cr_assert(eq(int, freed, 1));
}

Test(join_fk_impl, describe_names_the_internal_topics)
{
    kstream_topology_t *t = h_build(topo(KSTREAM_JOIN_INNER));
    char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(d != NULL);
    cr_assert(h_contains(d, "fk-subscription-registration-topic"), "%s", d);
    cr_assert(h_contains(d, "fk-subscription-response-topic"), "%s", d);
    kstream_free(d);
    kstream_topology_destroy(t);
}
