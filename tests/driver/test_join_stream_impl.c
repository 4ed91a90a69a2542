/* test_join_stream_impl.c - focused tests of kstream_stream_join_stream()
 * (lib/dsl/join_stream.c, lib/processor/join_stream.c) through the test
 * driver: inner matches inside and outside the window, asymmetric
 * windows, duplicates, out-of-order records within grace, late records,
 * left and outer joins emitting unmatched records only once their window
 * closed (from later records of another key, and from an idle advance),
 * result timestamps and headers, NULL keys and values, repartitioned
 * inputs, a self join, argument checks, and a brute-force model of the
 * join run against the driver in every store/cache configuration.
 *
 * Stream time is per task: every topic has one partition, so records of
 * other keys move the join's time. */
#include "helpers.h"

TestSuite(join_stream_impl, .timeout = 120);

/* ---- topology --------------------------------------------------------- */

/* value = "<left>+<right>", "null" for a missing side. */
static kstream_err_t joiner(const kstream_record_t *left,
                            const kstream_record_t *right,
                            kstream_record_t *out, void *opaque)
{
    (void)opaque;
    char buf[512];
    kstream_bytes_t l = kstream_record_value(left);
    kstream_bytes_t r = kstream_record_value(right);
    int n = snprintf(buf, sizeof(buf), "%.*s+%.*s",
                     left ? (int)l.len : 4,
                     left ? (const char *)l.data : "null",
                     right ? (int)r.len : 4,
                     right ? (const char *)r.data : "null");
    return kstream_record_set_value(out, buf, (size_t)n);
}

static kstream_err_t joiner_fails(const kstream_record_t *left,
                                  const kstream_record_t *right,
                                  kstream_record_t *out, void *opaque)
{
    (void)left;
    (void)right;
    (void)out;
    (void)opaque;
    return KSTREAM_ERR_USER;
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

/* L, R -> join(windows, kind, "j") -> out */
static kstream_builder_t *topo(kstream_join_windows_t w,
                               kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    kstream_stream_t *j = kstream_stream_join_stream(l, r, w, kind, joiner,
                                                     NULL, NULL, "j");
    cr_assert(j != NULL, "%s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", "sink"), KSTREAM_OK));
    return b;
}

/* Configurations: bit 0 in_memory (else rocksdb), bit 1 cache on. */
#define NCFG 4
static kstream_test_driver_t *drv_cfg(kstream_builder_t *b, int cfg)
{
    return h_driver(b, "default.dsl.store", cfg & 1 ? "in_memory" : "rocksdb",
                    "cache.max.bytes.buffering", cfg & 2 ? "10485760" : "0",
                    NULL);
}

static void L(kstream_test_driver_t *drv, const char *k, const char *v,
              int64_t ts)
{
    h_pipe_ok(drv, "L", k, v, ts);
}

static void R(kstream_test_driver_t *drv, const char *k, const char *v,
              int64_t ts)
{
    h_pipe_ok(drv, "R", k, v, ts);
}

/* Every unread output record as "key:value@ts", space-separated. */
static const char *drain(kstream_test_driver_t *drv, char *buf, size_t size)
{
    const kstream_record_t *rec;
    buf[0] = '\0';
    while (kstream_test_driver_read(drv, "out", &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%.*s:%.*s@%lld",
                 used ? " " : "", (int)k.len,
                 k.data ? (const char *)k.data : "", (int)v.len,
                 v.data ? (const char *)v.data : "",
                 (long long)kstream_record_timestamp(rec));
    }
    return buf;
}

static void expect_out_(kstream_test_driver_t *drv, const char *expected,
                        int line)
{
    char buf[8192];
    drain(drv, buf, sizeof(buf));
    cr_assert(eq(str, buf, (char *)expected), "line %d", line);
}
#define expect_out(drv, expected) expect_out_(drv, expected, __LINE__)

/* ---- inner joins ----------------------------------------------------------- */

Test(join_stream_impl, inner_joins_within_the_window_only_in_every_config)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(
                topo(kstream_join_windows(10, 0), KSTREAM_JOIN_INNER), cfg);
        L(drv, "k", "a", 100);
        R(drv, "k", "b", 110); /* 10 after: joins */
        R(drv, "k", "c", 111); /* 11 after: does not */
        expect_out(drv, "k:a+b@110");
        L(drv, "k", "d", 120); /* b (10 before) and c (9 before) */
        expect_out(drv, "k:d+b@120 k:d+c@120");
        R(drv, "x", "e", 120); /* another key joins nothing */
        L(drv, "x2", "f", 120);
        expect_out(drv, "");
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
        cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
        kstream_test_driver_destroy(drv);
    }
}

Test(join_stream_impl, asymmetric_windows_look_before_and_after)
{
    /* A left record at t joins right records in [t - 2, t + 5]. */
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows_asym(2, 5, 100), KSTREAM_JOIN_INNER),
            1);
    L(drv, "k", "a", 100);
    R(drv, "k", "r97", 97);   /* 3 before: no */
    R(drv, "k", "r98", 98);   /* 2 before: yes */
    R(drv, "k", "r105", 105); /* 5 after: yes */
    R(drv, "k", "r106", 106); /* 6 after: no */
    expect_out(drv, "k:a+r98@100 k:a+r105@105");
    /* A left record at 99 looks at [97, 104]. */
    L(drv, "k", "l99", 99);
    expect_out(drv, "k:l99+r97@99 k:l99+r98@99");
    L(drv, "k", "l108", 108); /* r105 (3 before): no; r106 (2): yes */
    expect_out(drv, "k:l108+r106@108");
    /* Right records look 5 back and 2 ahead. */
    R(drv, "k", "r113", 113); /* l108 (5 before) */
    R(drv, "k", "r97b", 97);  /* l99 (2 after), a (3 after): no */
    expect_out(drv, "k:l108+r113@113 k:l99+r97b@99");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, zero_time_difference_joins_equal_times)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(0, 0), KSTREAM_JOIN_INNER), 0);
    L(drv, "k", "a", 5);
    R(drv, "k", "b", 5);
    R(drv, "k", "c", 6);
    L(drv, "k", "d", 6);
    expect_out(drv, "k:a+b@5 k:d+c@6");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, duplicates_of_one_key_and_time_all_join)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(
                topo(kstream_join_windows(10, 0), KSTREAM_JOIN_INNER), cfg);
        L(drv, "k", "a1", 50);
        L(drv, "k", "a2", 50);
        L(drv, "k", "a2", 50); /* the same record again */
        R(drv, "k", "b", 50);
        expect_out(drv, "k:a1+b@50 k:a2+b@50 k:a2+b@50");
        R(drv, "k", "b", 50);
        expect_out(drv, "k:a1+b@50 k:a2+b@50 k:a2+b@50");
        L(drv, "k", "a3", 55);
        expect_out(drv, "k:a3+b@55 k:a3+b@55");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_stream_impl, keys_that_share_bytes_do_not_join)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(1000, 0), KSTREAM_JOIN_INNER), 0);
    /* "a" + time + seq and "ab" + ... sort together in the stores. */
    R(drv, "ab", "x", 10);
    R(drv, "a\001", "y", 10);
    R(drv, "", "empty", 10);
    L(drv, "a", "l", 10);
    L(drv, "", "e", 10);
    expect_out(drv, ":e+empty@10");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, result_timestamp_is_the_larger_one)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 20), KSTREAM_JOIN_INNER), 1);
    R(drv, "k", "b", 107);
    L(drv, "k", "a", 100); /* out of order, within grace */
    L(drv, "k", "c", 112);
    expect_out(drv, "k:a+b@107 k:c+b@112");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, out_of_order_records_within_grace_join)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 5), KSTREAM_JOIN_INNER), 0);
    L(drv, "k", "a", 100);
    R(drv, "x", "tick", 114);
    /* 104 is in the window of 100 ([90, 110], open until 115): joins.
     * (Kafka's join store keeps 100 until 100 + 25.) */
    R(drv, "k", "b", 104);
    expect_out(drv, "k:a+b@104");
    cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, records_later_than_the_retention_are_dropped)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(
                topo(kstream_join_windows(10, 5), KSTREAM_JOIN_INNER), cfg);
        L(drv, "k", "a", 100);
        L(drv, "x", "tick", 125);
        /* 100 = 125 - (10 + 10 + 5): still on time, and 100 is kept. */
        R(drv, "k", "b", 100);
        expect_out(drv, "k:a+b@100");
        L(drv, "x", "tick", 126);
        /* 100 < 126 - 25: late, dropped and counted. */
        R(drv, "k", "c", 100);
        L(drv, "k", "d", 100);
        expect_out(drv, "");
        cr_assert(eq(i64, h_metric(drv, "late-records-dropped"), 2),
                  "configuration %d", cfg);
        /* And the expired records no longer join. */
        R(drv, "k", "e", 101);
        expect_out(drv, "");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_stream_impl, null_keys_and_values_are_skipped_and_counted)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 0), KSTREAM_JOIN_OUTER), 1);
    L(drv, NULL, "a", 1);
    R(drv, NULL, "b", 1);
    L(drv, "k", NULL, 1);
    R(drv, "k", NULL, 1);
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 4));
    L(drv, "x", "tick", 1000);
    expect_out(drv, "");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, a_failing_joiner_fails_the_record)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER,
            joiner_fails, NULL, NULL, "j");
    cr_assert(eq(int, kstream_stream_to(j, "out", "sink"), KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, NULL);
    L(drv, "k", "a", 1);
    cr_assert(ne(int, h_pipe(drv, "R", "k", "b", 1), KSTREAM_OK));
    cr_assert(h_contains(kstream_test_driver_last_error(drv), "joiner"),
              "%s", kstream_test_driver_last_error(drv));
    kstream_test_driver_destroy(drv);
}

/* ---- left and outer joins ---------------------------------------------------- */

Test(join_stream_impl, left_join_emits_unmatched_left_records_after_close)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(
                topo(kstream_join_windows(10, 5), KSTREAM_JOIN_LEFT), cfg);
        L(drv, "k", "a", 100);
        R(drv, "r", "unmatched-right", 100); /* never emitted: left join */
        L(drv, "x", "tick", 115); /* 100 + 10 + 5: still open */
        expect_out(drv, "");
        L(drv, "x", "tick2", 116); /* closed: emitted before tick2 joins */
        expect_out(drv, "k:a+null@100");
        /* A right record in a's window, on time, no longer joins it. */
        R(drv, "k", "b", 105);
        expect_out(drv, "");
        /* Later ticks emit the ticks, in time order, nothing twice. */
        L(drv, "y", "tock", 200);
        expect_out(drv, "x:tick+null@115 x:tick2+null@116");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_stream_impl, left_join_never_emits_a_matched_record_with_null)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 5), KSTREAM_JOIN_LEFT), 1);
    L(drv, "k", "a", 100);
    L(drv, "x", "t1", 112);
    R(drv, "k", "b", 109); /* before a's window closes (115) */
    expect_out(drv, "k:a+b@109");
    L(drv, "y", "t2", 1000);
    expect_out(drv, "x:t1+null@112");
    /* A right record matching nothing is never emitted (left join). */
    R(drv, "z", "lonely", 1000);
    L(drv, "y", "t3", 5000);
    expect_out(drv, "y:t2+null@1000");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, a_left_record_matched_later_within_grace_is_not_null)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 5), KSTREAM_JOIN_LEFT), 0);
    L(drv, "k", "a", 100);
    L(drv, "x", "t", 114);
    /* Out of order within grace: joins a, which then never goes out with
     * NULL. */
    R(drv, "k", "b", 95);
    expect_out(drv, "k:a+b@100");
    L(drv, "y", "t2", 1000);
    expect_out(drv, "x:t+null@114");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, outer_join_emits_both_sides_in_time_order)
{
    for (int cfg = 0; cfg < NCFG; cfg++) {
        kstream_test_driver_t *drv = drv_cfg(
                topo(kstream_join_windows(10, 0), KSTREAM_JOIN_OUTER), cfg);
        R(drv, "k", "r1", 100);
        L(drv, "k", "l1", 105); /* joins r1 */
        L(drv, "m", "l2", 101);
        R(drv, "n", "r2", 101);
        R(drv, "n", "r3", 102);
        expect_out(drv, "k:l1+r1@105");
        /* 101 + 10 < 112: l2 and r2 close; for equal times right records
         * go first (Kafka's shared-store order). r3 needs 113. */
        L(drv, "x", "tick", 112);
        expect_out(drv, "n:null+r2@101 m:l2+null@101");
        R(drv, "y", "tock", 113);
        expect_out(drv, "n:null+r3@102");
        L(drv, "z", "end", 1000);
        expect_out(drv, "x:tick+null@112 y:null+tock@113");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_stream_impl, outer_join_with_asymmetric_windows_closes_per_side)
{
    /* Left records wait after = 20 ms, right ones before = 2 ms. */
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows_asym(2, 20, 0), KSTREAM_JOIN_OUTER), 1);
    L(drv, "a", "l", 100);
    R(drv, "b", "r", 100);
    R(drv, "c", "r2", 101);
    L(drv, "x", "t", 103); /* r at 100 closes (100 + 2 < 103), r2 not */
    expect_out(drv, "b:null+r@100");
    L(drv, "x", "t", 104);
    expect_out(drv, "c:null+r2@101");
    L(drv, "x", "t", 121); /* l at 100 closes at 120 */
    expect_out(drv, "a:l+null@100");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, a_record_arriving_after_its_own_window_closed)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 0), KSTREAM_JOIN_OUTER), 1);
    R(drv, "k", "r", 100);
    L(drv, "x", "t", 115);
    /* r's window closed at 110: r went out with NULL. */
    expect_out(drv, "k:null+r@100");
    /* A left record at 104 is on time (104 >= 115 - 20), but its own
     * window closed at 114. r was emitted unmatched, so l does not join
     * it; l cannot wait any more: out at once. */
    L(drv, "k", "l", 104);
    expect_out(drv, "k:l+null@104");
    L(drv, "x", "t2", 1000);
    expect_out(drv, "x:t+null@115");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, an_idle_advance_closes_windows)
{
    kstream_builder_t *b = topo(kstream_join_windows(10, 0),
                                KSTREAM_JOIN_LEFT);
    kstream_test_driver_t *drv = h_driver(b, "window.idle.close.ms", "1000",
                                          NULL);
    L(drv, "k", "a", 100);
    expect_out(drv, "");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 5000),
                 KSTREAM_OK));
    expect_out(drv, "k:a+null@100");
    kstream_test_driver_destroy(drv);
}

/* ---- headers ------------------------------------------------------------------ */

static void pipe_h(kstream_test_driver_t *drv, const char *topic,
                   const char *k, const char *v, int64_t ts, const char *hv)
{
    kstream_header_t h = {"h", hv, strlen(hv)};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, topic, -1, k, strlen(k), v,
                                             strlen(v), ts, &h, 1),
                 KSTREAM_OK));
}

static void expect_header(kstream_test_driver_t *drv, const char *value,
                          const char *hv)
{
    const kstream_record_t *rec = h_read(drv, "out");
    cr_assert(h_bytes_is(kstream_record_value(rec), value));
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_record_header_last(rec, "h", &v), KSTREAM_OK));
    cr_assert(h_bytes_is(v, hv), "header of %s", value);
}

Test(join_stream_impl, results_carry_the_left_record_headers)
{
    kstream_test_driver_t *drv = drv_cfg(
            topo(kstream_join_windows(10, 0), KSTREAM_JOIN_OUTER), 0);
    pipe_h(drv, "L", "k", "a", 100, "left-a");
    pipe_h(drv, "R", "k", "b", 101, "right-b"); /* left a is stored */
    expect_header(drv, "a+b", "left-a");
    pipe_h(drv, "L", "k", "c", 102, "left-c");
    expect_header(drv, "c+b", "left-c");
    pipe_h(drv, "R", "m", "r", 103, "right-r");
    pipe_h(drv, "L", "n", "l", 103, "left-l");
    pipe_h(drv, "L", "x", "t", 200, "tick");
    expect_header(drv, "null+r", "right-r");
    expect_header(drv, "l+null", "left-l");
    kstream_test_driver_destroy(drv);
}

/* ---- topology --------------------------------------------------------------------- */

static kstream_err_t upper_key(const kstream_record_t *in,
                               kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t k = kstream_record_key(in);
    char buf[64];
    size_t n = k.len < sizeof(buf) ? k.len : sizeof(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(((const char *)k.data)[i] & ~0x20);
    return kstream_record_set_key(out, buf, n);
}

Test(join_stream_impl, rekeyed_inputs_are_repartitioned_first)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    l = kstream_stream_select_key(l, upper_key, NULL, NULL, "up");
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER, joiner,
            NULL, NULL, "j");
    cr_assert(j != NULL, "%s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", "sink"), KSTREAM_OK));
    kstream_topology_t *t = h_build(b);
    char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(h_contains(d, "j-left-repartition"), "%s", d);
    cr_assert(h_contains(d, "j-right-repartition") == false, "%s", d);
    cr_assert(h_contains(d, "j-this-join-store"), "%s", d);
    cr_assert(h_contains(d, "j-other-join-store"), "%s", d);
    cr_assert(h_contains(d, "outer-shared") == false, "%s", d);
    kstream_free(d);
    kstream_test_driver_t *drv = h_driver_t(t, NULL);
    L(drv, "k", "a", 10);
    R(drv, "K", "b", 11);
    expect_out(drv, "K:a+b@11");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, a_self_join_joins_each_record_with_itself)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "L", "src");
    kstream_stream_t *j = kstream_stream_join_stream(
            s, s, kstream_join_windows(10, 0), KSTREAM_JOIN_LEFT, joiner,
            NULL, NULL, "self");
    cr_assert(j != NULL, "%s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", "sink"), KSTREAM_OK));
    kstream_test_driver_t *drv = drv_cfg(b, 1);
    L(drv, "k", "a", 1);
    expect_out(drv, "k:a+a@1");
    L(drv, "k", "b", 2);
    expect_out(drv, "k:b+a@2 k:a+b@2 k:b+b@2");
    L(drv, "x", "t", 100);
    expect_out(drv, "x:t+t@100"); /* nothing unmatched */
    kstream_test_driver_destroy(drv);
}

Test(join_stream_impl, stores_are_listed_and_outer_joins_have_a_shared_one)
{
    kstream_builder_t *b = topo(kstream_join_windows(10, 0),
                                KSTREAM_JOIN_OUTER);
    kstream_topology_t *t = h_build(b);
    char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(h_contains(d, "j-this-join"), "%s", d);
    cr_assert(h_contains(d, "j-other-join"), "%s", d);
    cr_assert(h_contains(d, "j-outer-shared-join-store"), "%s", d);
    kstream_free(d);
    kstream_topology_destroy(t);
}

/* ---- arguments ------------------------------------------------------------------- */

static void expect_rejected(kstream_join_windows_t w,
                            kstream_join_kind_t kind, kstream_joiner_cb *fn,
                            const char *name, const char *needle)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    freed = 0;
    cr_assert(kstream_stream_join_stream(l, r, w, kind, fn, &freed,
                                         count_free, name) == NULL);
    cr_assert(eq(int, freed, 1), "the opaque is freed on failure");
    const char *err = kstream_builder_error(b);
    cr_assert(h_contains(err, needle), "error '%s' lacks '%s'", err, needle);
    kstream_builder_destroy(b);
}

Test(join_stream_impl, bad_arguments_are_rejected_and_the_opaque_freed)
{
    kstream_join_windows_t ok = kstream_join_windows(10, 0);
    expect_rejected(kstream_join_windows(-1, 0), KSTREAM_JOIN_INNER, joiner,
                    "j", "before and after");
    expect_rejected(kstream_join_windows_asym(5, -1, 0), KSTREAM_JOIN_INNER,
                    joiner, "j", "before and after");
    expect_rejected(kstream_join_windows(10, -1), KSTREAM_JOIN_INNER, joiner,
                    "j", "grace");
    expect_rejected(kstream_join_windows_asym(INT64_MAX / 2, INT64_MAX / 2,
                                              10),
                    KSTREAM_JOIN_INNER, joiner, "j", "overflow");
    expect_rejected(ok, (kstream_join_kind_t)7, joiner, "j", "kind");
    expect_rejected(ok, KSTREAM_JOIN_INNER, NULL, "j", "joiner");
    expect_rejected(ok, KSTREAM_JOIN_INNER, joiner, NULL, "name");
    expect_rejected(ok, KSTREAM_JOIN_INNER, joiner, "bad name!", "name");

    /* NULL streams and streams of two builders. */
    freed = 0;
    cr_assert(kstream_stream_join_stream(NULL, NULL, ok, KSTREAM_JOIN_INNER,
                                         joiner, &freed, count_free,
                                         "j") == NULL);
    cr_assert(eq(int, freed, 1));
    kstream_builder_t *b1 = kstream_builder_new();
    kstream_builder_t *b2 = kstream_builder_new();
    kstream_stream_t *s1 = kstream_builder_stream(b1, "L", "s1");
    kstream_stream_t *s2 = kstream_builder_stream(b2, "R", "s2");
    cr_assert(kstream_stream_join_stream(s1, NULL, ok, KSTREAM_JOIN_INNER,
                                         joiner, &freed, count_free,
                                         "j") == NULL);
    cr_assert(h_contains(kstream_builder_error(b1), "right stream"));
    cr_assert(kstream_stream_join_stream(s1, s2, ok, KSTREAM_JOIN_INNER,
                                         joiner, &freed, count_free,
                                         "j") == NULL);
    cr_assert(eq(int, freed, 3));
    kstream_builder_destroy(b1);
    kstream_builder_destroy(b2);
}

Test(join_stream_impl, the_opaque_is_freed_once_with_the_topology)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    freed = 0;
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 0), KSTREAM_JOIN_OUTER, joiner,
            &freed, count_free, "j");
    cr_assert(j != NULL);
    cr_assert(eq(int, kstream_stream_to(j, "out", "sink"), KSTREAM_OK));
    kstream_topology_t *t = h_build(b);
    cr_assert(eq(int, freed, 0));
    kstream_topology_destroy(t);
    cr_assert(eq(int, freed, 1));
}

Test(join_stream_impl, a_duplicate_join_name_is_an_error)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "L", "srcL");
    kstream_stream_t *r = kstream_builder_stream(b, "R", "srcR");
    cr_assert(kstream_stream_join_stream(l, r, kstream_join_windows(1, 0),
                                         KSTREAM_JOIN_INNER, joiner, NULL,
                                         NULL, "j") != NULL);
    kstream_stream_join_stream(l, r, kstream_join_windows(1, 0),
                               KSTREAM_JOIN_INNER, joiner, NULL, NULL, "j");
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

/* ---- a model of the join, against the driver ------------------------------------ */

typedef struct m_rec {
    int side; /* 0 right, 1 left (the shared store's order) */
    char key;
    char value[32];
    int64_t ts;
    int arrival;
    bool stored, waiting;
} m_rec_t;

typedef struct model {
    int64_t before, after, grace;
    kstream_join_kind_t kind;
    m_rec_t recs[512];
    int n;
    int64_t now;
    int late;
    char out[65536];
} model_t;

static void m_emit(model_t *m, char key, const char *l, const char *r,
                   int64_t ts)
{
    size_t used = strlen(m->out);
    snprintf(m->out + used, sizeof(m->out) - used, "%s%c:%s+%s@%lld",
             used ? " " : "", key, l ? l : "null", r ? r : "null",
             (long long)ts);
}

static bool m_outer(const model_t *m, int side)
{
    return side == 1 ? m->kind != KSTREAM_JOIN_INNER
                     : m->kind == KSTREAM_JOIN_OUTER;
}

static int64_t m_win(const model_t *m, int side)
{
    return side == 1 ? m->after : m->before;
}

/* Shared-store order: time, side (right first), key, arrival. */
static int m_cmp(const void *a, const void *b)
{
    const m_rec_t *x = *(m_rec_t *const *)a, *y = *(m_rec_t *const *)b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->side != y->side)
        return x->side - y->side;
    if (x->key != y->key)
        return x->key - y->key;
    return x->arrival - y->arrival;
}

static void m_emit_due(model_t *m)
{
    m_rec_t *due[512];
    int nd = 0;
    for (int i = 0; i < m->n; i++) {
        m_rec_t *r = &m->recs[i];
        if (r->waiting && r->ts < m->now - (m_win(m, r->side) + m->grace))
            due[nd++] = r;
    }
    qsort(due, (size_t)nd, sizeof(due[0]), m_cmp);
    for (int i = 0; i < nd; i++) {
        m_rec_t *r = due[i];
        m_emit(m, r->key, r->side ? r->value : NULL,
               r->side ? NULL : r->value, r->ts);
        r->waiting = false;
        r->stored = false;
    }
}

static void m_process(model_t *m, int side, char key, const char *value,
                      int64_t ts)
{
    if (ts > m->now)
        m->now = ts;
    m_emit_due(m);
    int64_t span = m->before + m->after + m->grace;
    if (ts < m->now - span) {
        m->late++;
        return;
    }
    int64_t wb = side ? m->before : m->after, wa = m_win(m, side);
    /* Matches in (time, arrival) order. */
    m_rec_t *match[512];
    int nm = 0;
    for (int i = 0; i < m->n; i++) {
        m_rec_t *r = &m->recs[i];
        if (r->stored && r->side != side && r->key == key &&
            r->ts >= ts - wb && r->ts <= ts + wa && r->ts >= m->now - span)
            match[nm++] = r;
    }
    for (int i = 1; i < nm; i++)
        for (int j = i; j > 0 && (match[j - 1]->ts > match[j]->ts ||
                                  (match[j - 1]->ts == match[j]->ts &&
                                   match[j - 1]->arrival > match[j]->arrival));
             j--) {
            m_rec_t *t = match[j];
            match[j] = match[j - 1];
            match[j - 1] = t;
        }
    for (int i = 0; i < nm; i++) {
        m_rec_t *r = match[i];
        r->waiting = false;
        m_emit(m, key, side ? value : r->value, side ? r->value : value,
               r->ts > ts ? r->ts : ts);
    }
    bool waits = nm == 0 && m_outer(m, side);
    if (waits && ts < m->now - (wa + m->grace)) {
        m_emit(m, key, side ? value : NULL, side ? NULL : value, ts);
        return;
    }
    cr_assert(m->n < 512);
    m_rec_t *r = &m->recs[m->n];
    r->side = side;
    r->key = key;
    snprintf(r->value, sizeof(r->value), "%s", value);
    r->ts = ts;
    r->arrival = m->n++;
    r->stored = true;
    r->waiting = waits;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

Test(join_stream_impl, random_inputs_match_a_model_in_every_config)
{
    for (int round = 0; round < 24; round++) {
        rng_state = 0x9e3779b97f4a7c15ull * (uint64_t)(round + 1);
        model_t *m = calloc(1, sizeof(*m));
        cr_assert(m != NULL);
        m->kind = (kstream_join_kind_t)(round % 3);
        m->before = (int64_t)(rnd() % 6);
        m->after = round % 4 == 0 ? m->before : (int64_t)(rnd() % 6);
        m->grace = (int64_t)(rnd() % 5);
        m->now = -1;
        kstream_join_windows_t w = kstream_join_windows_asym(
                m->before, m->after, m->grace);
        /* Inputs: keys a-c, times moving forward with some disorder. */
        int n = 120;
        int sides[120];
        char keys[120];
        int64_t times[120];
        int64_t base = 0;
        for (int i = 0; i < n; i++) {
            sides[i] = (int)(rnd() % 2);
            keys[i] = (char)('a' + rnd() % 3);
            base += (int64_t)(rnd() % 3);
            int64_t jitter = (int64_t)(rnd() % 16);
            times[i] = base > jitter ? base - jitter : 0;
            if (rnd() % 3)
                times[i] = base;
        }
        for (int i = 0; i < n; i++) {
            char v[32];
            snprintf(v, sizeof(v), "%c%d", sides[i] ? 'l' : 'r', i);
            m_process(m, sides[i], keys[i], v, times[i]);
        }
        for (int cfg = 0; cfg < NCFG; cfg++) {
            kstream_test_driver_t *drv = drv_cfg(topo(w, m->kind), cfg);
            for (int i = 0; i < n; i++) {
                char k[2] = {keys[i], '\0'}, v[16];
                snprintf(v, sizeof(v), "%c%d", sides[i] ? 'l' : 'r', i);
                h_pipe_ok(drv, sides[i] ? "L" : "R", k, v, times[i]);
            }
            char *buf = malloc(sizeof(m->out));
            cr_assert(buf != NULL);
            drain(drv, buf, sizeof(m->out));
            cr_assert(eq(str, buf, m->out),
                      "round %d (kind %d, before %lld, after %lld, grace "
                      "%lld), configuration %d",
                      round, (int)m->kind, (long long)m->before,
                      (long long)m->after, (long long)m->grace, cfg);
            cr_assert(eq(i64, h_metric(drv, "late-records-dropped"),
                         m->late));
            free(buf);
            kstream_test_driver_destroy(drv);
        }
        free(m);
    }
}
