/* test_join_impl.c - joins against tables through the test driver, as
 * implemented in lib/dsl/join.c, lib/processor/join_table.c and
 * join_table_table.c: stream-table (inner/left: matches, misses, table
 * updates alone, tombstones, NULL keys and values, timestamps, headers,
 * repartition after a key change, co-partitioning), stream-global (key
 * mapper, rows on every partition, misses, no key), table-table
 * (inner/left/outer: exact update sequences, retractions through old
 * values), both store backends and the cache on and off; bad arguments
 * and describe().
 *
 * Joiners write "<left value>|<right value>" ("null" for a missing side). */
#include "helpers_state.h"

TestSuite(join_impl, .timeout = 30);

/* ---- callbacks ----------------------------------------------------------- */

static size_t put_side(char *buf, size_t used, size_t size,
                       const kstream_record_t *rec)
{
    kstream_bytes_t v = rec ? kstream_record_value(rec)
                            : (kstream_bytes_t){NULL, 0};
    const char *s = v.data ? (const char *)v.data : "null";
    size_t n = v.data ? v.len : 4;
    if (used + n >= size)
        n = size - used - 1;
    memcpy(buf + used, s, n);
    return used + n;
}

static kstream_err_t joiner(const kstream_record_t *left,
                            const kstream_record_t *right,
                            kstream_record_t *out, void *opaque)
{
    (void)opaque;
    char buf[256];
    size_t n = put_side(buf, 0, sizeof(buf), left);
    buf[n++] = '|';
    n = put_side(buf, n, sizeof(buf), right);
    /* out starts as the left record (the right one without a left) */
    kstream_bytes_t ok = kstream_record_key(out);
    kstream_bytes_t want = kstream_record_key(left ? left : right);
    if (ok.len != want.len || (ok.data && memcmp(ok.data, want.data,
                                                 ok.len) != 0))
        return KSTREAM_ERR_STATE;
    if (kstream_record_value(out).data != NULL)
        return KSTREAM_ERR_STATE;
    /* the key is read-only */
    if (kstream_record_set_key(out, "x", 1) == KSTREAM_OK)
        return KSTREAM_ERR_STATE;
    return kstream_record_set_value(out, buf, n);
}

/* The global table key: the value up to ':' (none: no key). */
static kstream_err_t prefix_key(const kstream_record_t *rec,
                                kstream_buf_t *key, void *opaque)
{
    int *calls = (int *)opaque;
    if (calls)
        (*calls)++;
    kstream_bytes_t v = kstream_record_value(rec);
    const char *colon = v.data ? memchr(v.data, ':', v.len) : NULL;
    if (!colon)
        return KSTREAM_ERR_NOT_FOUND;
    return kstream_buf_append(key, v.data,
                              (size_t)(colon - (const char *)v.data));
}

static int freed;
static void count_free(void *opaque)
{
    (void)opaque;
    freed++;
}

/* ---- stream-table ------------------------------------------------------ */

/* orders (stream) joined with customers (table "cust") -> out */
static kstream_builder_t *stream_table(kstream_join_kind_t kind, bool rekey)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_table_t *t = kstream_builder_table(b, "customers", "cust");
    if (rekey)
        s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL,
                                      "by-customer");
    kstream_stream_t *j = kstream_stream_join_table(s, t, kind, joiner, NULL,
                                                    NULL, "j");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", NULL), KSTREAM_OK));
    return b;
}

HS_BACKEND_PARAMS(join_impl, stream_table_inner_joins_matches_only)
ParameterizedTest(int *backend, join_impl,
                  stream_table_inner_joins_matches_only)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, false), *backend, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "orders", "A", "o1", 2);
    h_pipe_ok(drv, "orders", "B", "o2", 3); /* no customer B */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "o1|alice", 2});
    h_pipe_ok(drv, "customers", "B", "bob", 4);
    h_expect_empty(drv, "out"); /* the table update alone emits nothing */
    h_pipe_ok(drv, "orders", "B", "o3", 5);
    h_pipe_ok(drv, "customers", "A", "alice2", 6);
    h_pipe_ok(drv, "orders", "A", "o4", 7);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "o3|bob", 5},
              {"A", "o4|alice2", 7});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_impl, stream_table_left_emits_misses_with_no_right)
ParameterizedTest(int *backend, join_impl,
                  stream_table_left_emits_misses_with_no_right)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_LEFT, false), *backend, false, NULL);
    h_pipe_ok(drv, "orders", "A", "o1", 1);
    h_pipe_ok(drv, "customers", "A", "alice", 2);
    h_pipe_ok(drv, "orders", "A", "o2", 3);
    h_pipe_ok(drv, "customers", "A", NULL, 4); /* tombstone */
    h_pipe_ok(drv, "orders", "A", "o3", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "o1|null", 1},
              {"A", "o2|alice", 3}, {"A", "o3|null", 5});
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_table_updates_and_tombstones_emit_nothing)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_LEFT, false), 1, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "customers", "A", "alice2", 2);
    h_pipe_ok(drv, "customers", "A", NULL, 3);
    h_pipe_ok(drv, "customers", "B", "bob", 4);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_inner_misses_after_a_tombstone)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, false), 0, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "customers", "A", NULL, 2);
    h_pipe_ok(drv, "orders", "A", "o1", 3);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0),
              "a miss is not a dropped record");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_inner_skips_null_keys_and_values)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, false), 1, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "orders", NULL, "o1", 2);
    h_pipe_ok(drv, "orders", "A", NULL, 3);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_left_emits_null_keys_and_skips_null_values)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_LEFT, false), 1, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "orders", NULL, "o1", 2);
    h_pipe_ok(drv, "orders", "A", NULL, 3); /* Kafka: NULL values skipped */
    const kstream_record_t *rec = h_expect(drv, "out", NULL, "o1|null");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 2));
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_result_time_is_the_larger_of_both)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_LEFT, false), 1, false, NULL);
    h_pipe_ok(drv, "customers", "A", "alice", 10);
    h_pipe_ok(drv, "orders", "A", "early", 5);
    h_pipe_ok(drv, "orders", "A", "late", 20);
    h_pipe_ok(drv, "orders", "B", "miss", 7);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "early|alice", 10},
              {"A", "late|alice", 20}, {"B", "miss|null", 7});
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_result_has_the_stream_record_headers)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, false), 1, false, NULL);
    kstream_header_t th = {"from", "table", 5};
    cr_assert(eq(int, kstream_test_driver_pipe_ex(drv, "customers", -1, "A",
                                                  1, "alice", 5, 1, &th, 1),
                 KSTREAM_OK));
    kstream_header_t sh[2] = {{"trace", "t-1", 3}, {"n", NULL, 0}};
    cr_assert(eq(int, kstream_test_driver_pipe_ex(drv, "orders", -1, "A", 1,
                                                  "o1", 2, 2, sh, 2),
                 KSTREAM_OK));
    const kstream_record_t *rec = h_expect(drv, "out", "A", "o1|alice");
    cr_assert(eq(sz, kstream_record_header_count(rec), 2));
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_record_header_last(rec, "trace", &v),
                 KSTREAM_OK));
    cr_assert(h_bytes_is(v, "t-1"));
    cr_assert(eq(int, kstream_record_header_last(rec, "from", &v),
                 KSTREAM_ERR_NOT_FOUND));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_impl, stream_table_repartitions_a_rekeyed_stream)
ParameterizedTest(int *backend, join_impl,
                  stream_table_repartitions_a_rekeyed_stream)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, true), *backend, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "orders", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "customers", 2),
                 KSTREAM_OK));
    h_pipe_ok(drv, "customers", "A", "alice", 1);
    h_pipe_ok(drv, "customers", "B", "bob", 2);
    h_pipe_ok(drv, "orders", "o-1", "A:shoes", 3);
    h_pipe_ok(drv, "orders", "o-2", "B:hat", 4);
    h_pipe_ok(drv, "orders", "o-3", "C:none", 5);
    HS_EXPECT(drv, "app-j-left-repartition", HS_K_PLAIN, HS_V_STR,
              {"A", "A:shoes", 3}, {"B", "B:hat", 4}, {"C", "C:none", 5});
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "A:shoes|alice", 3},
              {"B", "B:hat|bob", 4});
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_without_key_change_does_not_repartition)
{
    kstream_topology_t *t = h_build(stream_table(KSTREAM_JOIN_INNER, false));
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    cr_assert(strstr(text, "repartition") == NULL, "%s", text);
    cr_assert(strstr(text, "Sub-topology: 1") == NULL,
              "stream and table in one sub-topology: %s", text);
    cr_assert(strstr(text, "Processor: j (kind: stream_table_join, stores: "
                           "[cust])") != NULL,
              "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

Test(join_impl, stream_table_co_partitioning_mismatch_fails_naming_both)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_table(KSTREAM_JOIN_INNER, false), 1, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "orders", 4),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "customers", 2),
                 KSTREAM_OK));
    kstream_err_t err = h_pipe(drv, "orders", "A", "o1", 1);
    cr_assert(err != KSTREAM_OK, "a join of 4 and 2 partitions started");
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "orders") && h_contains(msg, "customers"),
              "message: %s", msg);
    cr_assert(h_contains(msg, "'j'"), "message names the join: %s", msg);
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_table_joins_a_derived_unmaterialized_table)
{
    /* a filtered table has no store: the join materializes it */
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_table_t *t = kstream_builder_table(b, "customers", "cust");
    t = kstream_table_filter(t, h_pred_value_prefix, (void *)"vip", NULL,
                             "vips");
    kstream_stream_t *j = kstream_stream_join_table(
            s, t, KSTREAM_JOIN_LEFT, joiner, NULL, NULL, "j");
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "customers", "A", "vip-alice", 1);
    h_pipe_ok(drv, "customers", "B", "bob", 2);
    h_pipe_ok(drv, "orders", "A", "o1", 3);
    h_pipe_ok(drv, "orders", "B", "o2", 4);
    h_pipe_ok(drv, "customers", "A", "alice", 5); /* no longer a vip */
    h_pipe_ok(drv, "orders", "A", "o3", 6);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "o1|vip-alice", 3},
              {"B", "o2|null", 4}, {"A", "o3|null", 6});
    hs_store_is(drv, "j-right-table", "A", NULL);
    kstream_test_driver_destroy(drv);
}

/* The same inputs with the cache off and on (commits between) give the
 * same results: stream records always see the table's latest row. */
Test(join_impl, stream_table_cache_on_and_off_agree)
{
    hs_out_t *res[2];
    for (int cache = 0; cache < 2; cache++) {
        kstream_test_driver_t *drv = hs_driver(
                stream_table(KSTREAM_JOIN_LEFT, false), 0, cache == 1, NULL);
        h_pipe_ok(drv, "customers", "A", "a1", 1);
        h_pipe_ok(drv, "orders", "A", "o1", 2);
        h_pipe_ok(drv, "customers", "A", "a2", 3);
        h_pipe_ok(drv, "customers", "B", "b1", 4);
        h_pipe_ok(drv, "orders", "A", "o2", 5);
        h_pipe_ok(drv, "orders", "B", "o3", 6);
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        h_pipe_ok(drv, "customers", "B", NULL, 7);
        h_pipe_ok(drv, "orders", "B", "o4", 8);
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
        res[cache] = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
        kstream_test_driver_destroy(drv);
    }
    cr_assert(eq(sz, res[0]->n, 4));
    cr_assert(eq(sz, res[1]->n, 4));
    for (size_t i = 0; i < 4; i++) {
        cr_assert(eq(str, res[0]->r[i].value, res[1]->r[i].value));
        cr_assert(eq(i64, res[0]->r[i].ts, res[1]->r[i].ts));
    }
    cr_assert(eq(str, res[0]->r[3].value, "o4|null"));
    free(res[0]);
    free(res[1]);
}

/* ---- stream-global ------------------------------------------------------ */

static int mapper_calls;

static kstream_builder_t *stream_global(kstream_join_kind_t kind,
                                        bool declare_later)
{
    kstream_builder_t *b = kstream_builder_new();
    if (!declare_later)
        cr_assert(eq(int, kstream_builder_global_table(b, "countries",
                                                       "glob"),
                     KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "glob", prefix_key, kind, joiner, &mapper_calls, NULL, "gj");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    if (declare_later)
        cr_assert(eq(int, kstream_builder_global_table(b, "countries",
                                                       "glob"),
                     KSTREAM_OK));
    return b;
}

static void pipe_countries(kstream_test_driver_t *drv)
{
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "countries", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "orders", 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "countries", 0, "de", "Germany", 100);
    h_pipe_p_ok(drv, "countries", 1, "fr", "France", 100);
    h_pipe_p_ok(drv, "countries", 2, "it", "Italy", 100);
}

HS_BACKEND_PARAMS(join_impl, stream_global_inner_looks_up_mapped_keys)
ParameterizedTest(int *backend, join_impl,
                  stream_global_inner_looks_up_mapped_keys)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_global(KSTREAM_JOIN_INNER, false), *backend, false, NULL);
    pipe_countries(drv);
    h_pipe_p_ok(drv, "orders", 0, "o1", "fr:wine", 5);
    h_pipe_p_ok(drv, "orders", 1, "o2", "it:pasta", 6);
    h_pipe_p_ok(drv, "orders", 1, "o3", "de:beer", 7);
    h_pipe_p_ok(drv, "orders", 0, "o4", "es:paella", 8); /* no row */
    h_pipe_p_ok(drv, "orders", 0, "o5", "nokey", 9);     /* no key */
    /* the stream record's time, not the row's (100) */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "fr:wine|France", 5},
              {"o2", "it:pasta|Italy", 6}, {"o3", "de:beer|Germany", 7});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1),
              "only the record without a key is dropped");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_global_left_emits_misses_and_no_key_records)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_global(KSTREAM_JOIN_LEFT, false), 1, false, NULL);
    pipe_countries(drv);
    h_pipe_p_ok(drv, "orders", 1, "o1", "fr:wine", 5);
    h_pipe_p_ok(drv, "orders", 0, "o2", "es:paella", 6);
    h_pipe_p_ok(drv, "orders", 0, "o3", "nokey", 7);
    h_pipe_p_ok(drv, "countries", 1, "fr", NULL, 8);
    h_pipe_p_ok(drv, "orders", 1, "o4", "fr:cheese", 9);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"o1", "fr:wine|France", 5},
              {"o2", "es:paella|null", 6}, {"o3", "nokey|null", 7},
              {"o4", "fr:cheese|null", 9});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_global_null_keys_inner_skipped_left_mapped)
{
    for (int left = 0; left < 2; left++) {
        mapper_calls = 0;
        kstream_test_driver_t *drv = hs_driver(
                stream_global(left ? KSTREAM_JOIN_LEFT : KSTREAM_JOIN_INNER,
                              false),
                1, false, NULL);
        pipe_countries(drv);
        h_pipe_ok(drv, "orders", NULL, "de:beer", 5);
        h_pipe_ok(drv, "orders", "o2", NULL, 6); /* NULL values skipped */
        if (left) {
            /* KIP-962: the key mapper still gets the record */
            h_expect(drv, "out", NULL, "de:beer|Germany");
            cr_assert(eq(int, mapper_calls, 1));
            cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
        } else {
            cr_assert(eq(int, mapper_calls, 0));
            cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
        }
        h_expect_empty(drv, "out");
        kstream_test_driver_destroy(drv);
    }
}

Test(join_impl, stream_global_table_declared_after_the_join)
{
    kstream_test_driver_t *drv = hs_driver(
            stream_global(KSTREAM_JOIN_INNER, true), 0, false, NULL);
    pipe_countries(drv);
    h_pipe_ok(drv, "orders", "o1", "it:pizza", 5);
    h_expect(drv, "out", "o1", "it:pizza|Italy");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, stream_global_unknown_table_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "nowhere", prefix_key, KSTREAM_JOIN_INNER, joiner, NULL, NULL,
            "gj");
    kstream_stream_to(j, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "gj") && h_contains(errstr, "nowhere"),
              "%s", errstr);
}

Test(join_impl, stream_global_rejects_a_store_that_is_not_global)
{
    freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_builder_table(b, "customers", "cust");
    kstream_stream_t *j = kstream_stream_join_global(
            s, "cust", prefix_key, KSTREAM_JOIN_INNER, joiner, NULL,
            count_free, "gj");
    cr_assert(j == NULL);
    cr_assert(eq(int, freed, 1));
    const char *err = kstream_builder_error(b);
    cr_assert(h_contains(err, "gj") && h_contains(err, "cust"), "%s", err);
    kstream_builder_destroy(b);
}

Test(join_impl, stream_global_does_not_tie_sub_topologies)
{
    /* two streams joined with one global table stay apart */
    kstream_builder_t *b = kstream_builder_new();
    kstream_builder_global_table(b, "countries", "glob");
    kstream_stream_t *s1 = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *s2 = kstream_builder_stream(b, "returns", NULL);
    kstream_stream_to(kstream_stream_join_global(s1, "glob", prefix_key,
                                                 KSTREAM_JOIN_INNER, joiner,
                                                 NULL, NULL, "gj1"),
                      "out", NULL);
    kstream_stream_to(kstream_stream_join_global(s2, "glob", prefix_key,
                                                 KSTREAM_JOIN_LEFT, joiner,
                                                 NULL, NULL, "gj2"),
                      "out2", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(strstr(text, "Sub-topology: 1") != NULL, "%s", text);
    cr_assert(strstr(text, "Global store: glob") != NULL, "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    h_pipe_ok(drv, "countries", "de", "Germany", 1);
    h_pipe_ok(drv, "orders", "o1", "de:a", 2);
    h_pipe_ok(drv, "returns", "r1", "xx:b", 3);
    h_expect(drv, "out", "o1", "de:a|Germany");
    h_expect(drv, "out2", "r1", "xx:b|null");
    kstream_test_driver_destroy(drv);
}

/* ---- table-table ---------------------------------------------------------- */

/* left (table "lt") joined with right (table "rt") as "j" -> out */
static kstream_builder_t *table_table(kstream_join_kind_t kind, bool agg)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j = kstream_table_join_table(l, r, kind, joiner, NULL,
                                                  NULL, "j");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    if (agg) {
        /* Each key's history of (new, old) pairs: "i", then "-old" and
         * "+new" per update (a table aggregation retracts old values). */
        kstream_grouped_table_t *g =
                kstream_table_group_by(j, h_map_identity, NULL, NULL, "rg");
        kstream_table_t *h = kstream_grouped_table_aggregate(
                g, hs_init_i, hs_agg_concat, hs_agg_concat_minus, NULL, NULL,
                "hist");
        cr_assert(h != NULL, "history: %s", kstream_builder_error(b));
    }
    return b;
}

/* The same updates for every kind. */
static void pipe_tables(kstream_test_driver_t *drv)
{
    h_pipe_ok(drv, "left", "A", "a1", 1);
    h_pipe_ok(drv, "right", "A", "b1", 2);
    h_pipe_ok(drv, "left", "A", "a2", 3);
    h_pipe_ok(drv, "right", "A", "b2", 1); /* older than the left row */
    h_pipe_ok(drv, "right", "A", NULL, 5);
    h_pipe_ok(drv, "left", "A", NULL, 6);
    h_pipe_ok(drv, "left", "B", "x", 7);
    h_pipe_ok(drv, "right", "B", NULL, 8); /* deletes an absent row */
    h_pipe_ok(drv, "right", "C", "c1", 9);
    h_pipe_ok(drv, "left", "C", "l1", 10);
    h_pipe_ok(drv, "left", "C", NULL, 11);
    h_pipe_ok(drv, "right", "D", "d1", 12);
    h_pipe_ok(drv, "left", "D", "e1", 13);
    h_pipe_ok(drv, "right", "D", NULL, 14);
}

HS_BACKEND_PARAMS(join_impl, table_table_inner_sequence)
ParameterizedTest(int *backend, join_impl, table_table_inner_sequence)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_INNER, false), *backend, false, NULL);
    pipe_tables(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a1|b1", 2},
              {"A", "a2|b1", 3}, {"A", "a2|b2", 3}, {"A", NULL, 5},
              {"C", "l1|c1", 10}, {"C", NULL, 11}, {"D", "e1|d1", 13},
              {"D", NULL, 14});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_impl, table_table_left_sequence)
ParameterizedTest(int *backend, join_impl, table_table_left_sequence)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_LEFT, false), *backend, false, NULL);
    pipe_tables(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a1|null", 1},
              {"A", "a1|b1", 2}, {"A", "a2|b1", 3}, {"A", "a2|b2", 3},
              {"A", "a2|null", 5}, {"A", NULL, 6}, {"B", "x|null", 7},
              {"B", "x|null", 8}, /* Kafka re-emits it too */
              {"C", "l1|c1", 10}, {"C", NULL, 11}, {"D", "e1|d1", 13},
              {"D", "e1|null", 14});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_impl, table_table_outer_sequence)
ParameterizedTest(int *backend, join_impl, table_table_outer_sequence)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_OUTER, false), *backend, false, NULL);
    pipe_tables(drv);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "a1|null", 1},
              {"A", "a1|b1", 2}, {"A", "a2|b1", 3}, {"A", "a2|b2", 3},
              {"A", "a2|null", 5}, {"A", NULL, 6}, {"B", "x|null", 7},
              {"B", "x|null", 8}, {"C", "null|c1", 9}, {"C", "l1|c1", 10},
              {"C", "null|c1", 11}, {"D", "null|d1", 12},
              {"D", "e1|d1", 13}, {"D", "e1|null", 14});
    kstream_test_driver_destroy(drv);
}

/* Old values: the aggregation downstream subtracts exactly what the join
 * emitted before. */
HS_BACKEND_PARAMS(join_impl, table_table_updates_carry_the_old_result)
ParameterizedTest(int *backend, join_impl,
                  table_table_updates_carry_the_old_result)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_OUTER, true), *backend, false, NULL);
    pipe_tables(drv);
    hs_store_is(drv, "hist", "A",
                "i+a1|null-a1|null+a1|b1-a1|b1+a2|b1-a2|b1+a2|b2"
                "-a2|b2+a2|null-a2|null");
    hs_store_is(drv, "hist", "C",
                "i+null|c1-null|c1+l1|c1-l1|c1+null|c1");
    hs_store_is(drv, "hist", "D",
                "i+null|d1-null|d1+e1|d1-e1|d1+e1|null");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, table_table_inner_retracts_through_old_values)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_INNER, true), 1, false, NULL);
    pipe_tables(drv);
    hs_store_is(drv, "hist", "A",
                "i+a1|b1-a1|b1+a2|b1-a2|b1+a2|b2-a2|b2");
    hs_store_is(drv, "hist", "B", NULL);
    hs_store_is(drv, "hist", "D", "i+e1|d1-e1|d1");
    kstream_test_driver_destroy(drv);
}

/* Final results agree with the cache on (commits now and then) and off,
 * on both backends. */
HS_BACKEND_PARAMS(join_impl, table_table_cache_on_and_off_agree)
ParameterizedTest(int *backend, join_impl,
                  table_table_cache_on_and_off_agree)
{
    for (int kind = 0; kind < 3; kind++) {
        hs_out_t *fin[2];
        for (int cache = 0; cache < 2; cache++) {
            kstream_test_driver_t *drv = hs_driver(
                    table_table((kstream_join_kind_t)kind, false), *backend,
                    cache == 1, NULL);
            h_pipe_ok(drv, "left", "A", "a1", 1);
            h_pipe_ok(drv, "right", "A", "b1", 2);
            h_pipe_ok(drv, "left", "A", "a2", 3);
            h_pipe_ok(drv, "right", "C", "c1", 4);
            cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
            h_pipe_ok(drv, "right", "A", NULL, 5);
            h_pipe_ok(drv, "left", "B", "x", 6);
            h_pipe_ok(drv, "right", "B", "y", 7);
            h_pipe_ok(drv, "left", "C", "l1", 8);
            h_pipe_ok(drv, "left", "C", NULL, 9);
            h_pipe_ok(drv, "left", "E", "e", 10);
            h_pipe_ok(drv, "right", "E", "f", 11);
            h_pipe_ok(drv, "left", "E", NULL, 12);
            cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
            hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
            fin[cache] = hs_final_table(o);
            free(o);
            kstream_test_driver_destroy(drv);
        }
        hs_assert_same_table(fin[0], fin[1], "final join tables");
        /* and the final table is right */
        static const char *want[3][4] = {
                {"B=x|y", NULL},
                {"A=a2|null", "B=x|y", NULL},
                {"A=a2|null", "B=x|y", "C=null|c1", "E=null|f"}};
        size_t n = 0;
        while (n < 4 && want[kind][n])
            n++;
        cr_assert(eq(sz, fin[0]->n, n), "kind %d: %zu rows", kind,
                  fin[0]->n);
        for (size_t i = 0; i < n; i++) {
            char row[400];
            snprintf(row, sizeof(row), "%s=%s", fin[0]->r[i].key,
                     fin[0]->r[i].value);
            bool found = false;
            for (size_t k = 0; k < n && !found; k++)
                found = strcmp(row, want[kind][k]) == 0;
            cr_assert(found, "kind %d: unexpected row %s", kind, row);
        }
        free(fin[0]);
        free(fin[1]);
    }
}

/* The result table is materialized on demand for a further join. With the
 * cache on, the join's rows exist once the input tables' caches have
 * flushed (a commit): the join runs on their flushed updates. */
static void join_again(bool cache)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_table_t *j = kstream_table_join_table(l, r, KSTREAM_JOIN_INNER,
                                                  joiner, NULL, NULL, "j");
    kstream_stream_t *s = kstream_builder_stream(b, "events", NULL);
    kstream_stream_t *e = kstream_stream_join_table(
            s, j, KSTREAM_JOIN_INNER, joiner, NULL, NULL, "enrich");
    cr_assert(e != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(e, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, cache, NULL);
    h_pipe_ok(drv, "left", "A", "a", 1);
    h_pipe_ok(drv, "right", "A", "b", 2);
    if (cache)
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    h_pipe_ok(drv, "events", "A", "ev", 3);
    h_expect_ts(drv, "out", "A", "ev|a|b", 3);
    h_pipe_ok(drv, "right", "A", NULL, 4);
    if (cache)
        cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    h_pipe_ok(drv, "events", "A", "ev2", 5);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(join_impl, table_table_result_can_be_joined_again)
{
    join_again(false);
    join_again(true);
}

Test(join_impl, table_table_co_partitioning_mismatch_fails)
{
    kstream_test_driver_t *drv = hs_driver(
            table_table(KSTREAM_JOIN_INNER, false), 1, false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "left", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "right", 1),
                 KSTREAM_OK));
    cr_assert(h_pipe(drv, "left", "A", "a", 1) != KSTREAM_OK);
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(h_contains(msg, "'left'") && h_contains(msg, "'right'"),
              "%s", msg);
    kstream_test_driver_destroy(drv);
}

Test(join_impl, table_table_describe_shows_both_sides_and_the_merge)
{
    kstream_topology_t *t = h_build(table_table(KSTREAM_JOIN_OUTER, false));
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    cr_assert(strstr(text, "Processor: j-join-this (kind: "
                           "table_join_left_side, stores: [lt, rt])") != NULL,
              "%s", text);
    cr_assert(strstr(text, "Processor: j-join-other (kind: "
                           "table_join_right_side, stores: [lt, rt])") != NULL,
              "%s", text);
    cr_assert(strstr(text, "Processor: j (kind: table_join_merge") != NULL,
              "%s", text);
    cr_assert(strstr(text, "<-- j-join-this, j-join-other") != NULL, "%s",
              text);
    cr_assert(strstr(text, "Sub-topology: 1") == NULL, "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

/* ---- arguments ------------------------------------------------------------- */

Test(join_impl, join_windows_makers_keep_their_values)
{
    kstream_join_windows_t w = kstream_join_windows(10, 3);
    cr_assert(eq(i64, w.before_ms, 10));
    cr_assert(eq(i64, w.after_ms, 10));
    cr_assert(eq(i64, w.grace_ms, 3));
    w = kstream_join_windows_asym(1, 2, 0);
    cr_assert(eq(i64, w.before_ms, 1));
    cr_assert(eq(i64, w.after_ms, 2));
    cr_assert(eq(i64, w.grace_ms, 0));
}

/* Each bad call: NULL result, a builder error naming the join, and the
 * opaque freed once. */
static void expect_bad(kstream_builder_t *b, const void *res,
                       const char *word)
{
    cr_assert(res == NULL);
    cr_assert(eq(int, freed, 1), "opaque freed %d times", freed);
    const char *err = kstream_builder_error(b);
    cr_assert(err != NULL);
    cr_assert(h_contains_ci(err, "join"), "%s", err);
    if (word)
        cr_assert(h_contains_ci(err, word), "%s", err);
    kstream_builder_destroy(b);
}

Test(join_impl, bad_stream_table_calls_are_builder_errors)
{
    for (int c = 0; c < 5; c++) {
        freed = 0;
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
        kstream_table_t *t = kstream_builder_table(b, "customers", "cust");
        const char *names[] = {NULL, "j", "j", "j", "bad name"};
        kstream_join_kind_t kinds[] = {KSTREAM_JOIN_INNER, KSTREAM_JOIN_INNER,
                                       KSTREAM_JOIN_OUTER,
                                       (kstream_join_kind_t)9,
                                       KSTREAM_JOIN_LEFT};
        const char *words[] = {"name", "joiner", "outer", "kind", "name"};
        kstream_stream_t *j = kstream_stream_join_table(
                s, t, kinds[c], c == 1 ? NULL : joiner, NULL,
                count_free, names[c]);
        expect_bad(b, j, words[c]);
    }
    /* a NULL table */
    freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    expect_bad(b, kstream_stream_join_table(s, NULL, KSTREAM_JOIN_INNER,
                                            joiner, NULL, count_free, "j"),
               "table");
    /* NULL stream: nothing to record the error in, the opaque is freed */
    freed = 0;
    cr_assert(kstream_stream_join_table(NULL, NULL, KSTREAM_JOIN_INNER,
                                        joiner, NULL, count_free,
                                        "j") == NULL);
    cr_assert(eq(int, freed, 1));
}

Test(join_impl, bad_stream_global_calls_are_builder_errors)
{
    for (int c = 0; c < 5; c++) {
        freed = 0;
        kstream_builder_t *b = kstream_builder_new();
        kstream_builder_global_table(b, "countries", "glob");
        kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
        kstream_stream_t *j = kstream_stream_join_global(
                s, c == 3 ? NULL : "glob", c == 4 ? NULL : prefix_key,
                c == 2 ? KSTREAM_JOIN_OUTER : KSTREAM_JOIN_LEFT,
                c == 1 ? NULL : joiner, NULL, count_free,
                c == 0 ? NULL : "gj");
        const char *words[] = {"name", "joiner", "outer", "global",
                               "mapper"};
        expect_bad(b, j, words[c]);
    }
}

Test(join_impl, bad_table_table_calls_are_builder_errors)
{
    for (int c = 0; c < 4; c++) {
        freed = 0;
        kstream_builder_t *b = kstream_builder_new();
        kstream_table_t *l = kstream_builder_table(b, "left", "lt");
        kstream_table_t *r = kstream_builder_table(b, "right", "rt");
        kstream_table_t *j = kstream_table_join_table(
                l, c == 3 ? NULL : r,
                c == 2 ? (kstream_join_kind_t)-1 : KSTREAM_JOIN_OUTER,
                c == 1 ? NULL : joiner, NULL, count_free,
                c == 0 ? NULL : "j");
        const char *words[] = {"name", "joiner", "kind", "table"};
        expect_bad(b, j, words[c]);
    }
}

Test(join_impl, a_missing_name_fails_the_build_naming_the_join)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_table_t *t = kstream_builder_table(b, "customers", "cust");
    kstream_stream_join_table(s, t, KSTREAM_JOIN_INNER, joiner, NULL, NULL,
                              NULL);
    hs_build_fails_naming(b, "unnamed join", "join", NULL);
}

Test(join_impl, opaque_is_freed_once_with_the_topology)
{
    freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "left", "lt");
    kstream_table_t *r = kstream_builder_table(b, "right", "rt");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_builder_global_table(b, "countries", "glob");
    kstream_table_t *j = kstream_table_join_table(l, r, KSTREAM_JOIN_INNER,
                                                  joiner, NULL, count_free,
                                                  "j");
    kstream_stream_t *e = kstream_stream_join_table(
            s, l, KSTREAM_JOIN_LEFT, joiner, NULL, count_free, "st");
    e = kstream_stream_join_global(e, "glob", prefix_key, KSTREAM_JOIN_LEFT,
                                   joiner, NULL, count_free, "gj");
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_stream_to(e, "out2", NULL);
    kstream_topology_t *t = h_build(b);
    cr_assert(eq(int, freed, 0));
    kstream_topology_destroy(t);
    cr_assert(eq(int, freed, 3));
}
