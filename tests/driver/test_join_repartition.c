/* test_join_repartition.c - joins after key-changing operators, through
 * the test driver: select_key, map, flat_map, process and group_by before
 * a join insert a repartition topic ("<application.id>-<name>-left-
 * repartition" / "-right-"), sized like the join's other input so that
 * differently partitioned sources still join; operators that keep the key
 * add none; NULL keys made upstream; describe() shows the topics. Written
 * from include/kstream/join.h. */
#include "helpers_join.h"

TestSuite(join_repartition, .timeout = 20);

/* Key extractor: the value after its first ':' (up to the next one). */
static kstream_err_t hj_fk_second(const kstream_record_t *rec,
                                  kstream_buf_t *key, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    const char *p = v.data ? memchr(v.data, ':', v.len) : NULL;
    if (p == NULL)
        return KSTREAM_ERR_NOT_FOUND;
    p++;
    size_t rest = v.len - (size_t)(p - (const char *)v.data);
    const char *q = memchr(p, ':', rest);
    return kstream_buf_append(key, p, q ? (size_t)(q - p) : rest);
}

/* ---- key-changing operators before a stream-table join -------------------- */

enum { OP_SELECT_KEY = 0, OP_MAP, OP_FLAT_MAP, OP_PROCESS, N_OPS };

static const char *op_name(int op)
{
    static const char *names[] = {"select_key", "map", "flat_map",
                                  "process"};
    return names[op];
}

/* orders (keyed by order id, value "<user>:<item>") re-keyed by the user
 * with \p op, left join users as "ej" -> out */
static kstream_builder_t *rekeyed_join(int op)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    switch (op) {
    case OP_SELECT_KEY:
        s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
        break;
    case OP_MAP:
        s = kstream_stream_map(s, hs_key_from_value, NULL, NULL, NULL);
        break;
    case OP_FLAT_MAP:
        s = kstream_stream_flat_map(s, hj_flat_key_from_value, NULL, NULL,
                                    NULL);
        break;
    default:
        s = kstream_stream_process(s, &hj_rekey_proc, NULL, NULL, NULL, 0,
                                   "rekey");
        break;
    }
    cr_assert(s != NULL, "%s: %s", op_name(op), kstream_builder_error(b));
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "ej");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    return b;
}

ParameterizedTestParameters(join_repartition,
                            key_change_before_a_join_repartitions_the_left_side)
{
    static int ops[N_OPS] = {OP_SELECT_KEY, OP_MAP, OP_FLAT_MAP, OP_PROCESS};
    return cr_make_param_array(int, ops, N_OPS);
}

/* orders have 4 partitions, users 2: the repartition topic takes the
 * table's 2, and every order meets its user. */
ParameterizedTest(int *op, join_repartition,
                  key_change_before_a_join_repartitions_the_left_side)
{
    kstream_test_driver_t *drv = hs_driver(rekeyed_join(*op), *op % 2,
                                           false, NULL);
    hj_topics(drv, "orders", 4, "users", 2, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "users", "u3", "carol", 3);
    bool used[4] = {false, false, false, false};
    const char *orders[][2] = {{"o1", "u1:book"}, {"o2", "u2:pen"},
                               {"o3", "u3:ink"},  {"o4", "u1:lamp"},
                               {"o5", "u4:desk"}, {"o6", "u2:cup"},
                               {"o7", "u3:mug"},  {"o8", "u1:pad"}};
    for (int i = 0; i < 8; i++) {
        used[h_partition_of(orders[i][0], 4)] = true;
        h_pipe_ok(drv, "orders", orders[i][0], orders[i][1], 10 + i);
    }
    cr_assert(used[0] && used[1] && used[2] && used[3],
              "orders do not cover the 4 partitions");
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 10},
              {"u2", "u2:pen/bob", 11}, {"u3", "u3:ink/carol", 12},
              {"u1", "u1:lamp/alice", 13}, {"u4", "u4:desk/null", 14},
              {"u2", "u2:cup/bob", 15}, {"u3", "u3:mug/carol", 16},
              {"u1", "u1:pad/alice", 17});
    /* the re-keyed orders went through the left repartition topic, each
     * in its user's partition of 2 */
    int n = 0;
    const kstream_record_t *rec = NULL;
    while (kstream_test_driver_read(drv, "app-ej-left-repartition", &rec) ==
           KSTREAM_OK) {
        char kb[64];
        h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb));
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(kb, 2)),
                  "%s: key %s in partition %d", op_name(*op), kb,
                  (int)kstream_record_partition(rec));
        n++;
    }
    cr_assert(eq(int, n, 8), "%s: %d records in app-ej-left-repartition",
              op_name(*op), n);
    kstream_test_driver_destroy(drv);
}

Test(join_repartition, describe_shows_the_left_repartition_topic)
{
    kstream_topology_t *t = h_build(rekeyed_join(OP_SELECT_KEY));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Sink", "ej-left-repartition"),
              "no sink to the repartition topic:\n%s", text);
    cr_assert(hj_line_has(text, "Source", "ej-left-repartition"),
              "no source of the repartition topic:\n%s", text);
    cr_assert(eq(int, hj_subtopologies(text), 2), "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

/* map_values and filter keep the key: no repartition topic. */
Test(join_repartition, operators_that_keep_the_key_add_no_repartition)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_map_values(s, h_map_identity, NULL, NULL, NULL);
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "ej");
    kstream_stream_to(j, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "repartition") == NULL, "%s", text);
    cr_assert(eq(int, hj_subtopologies(text), 1), "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    hj_topics(drv, "orders", 2, "users", 2, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "u1", "o1", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "o1/alice", 2});
    cr_assert(kstream_test_driver_is_empty(drv, "app-ej-left-repartition"));
    kstream_test_driver_destroy(drv);
}

/* ---- the key change is remembered downstream ------------------------------ */

enum { VIA_FILTER_MAP_VALUES = 0, VIA_MERGE, VIA_SPLIT, VIA_PEEK_FLAT_VALUES,
       N_VIA };

static kstream_err_t flat_values_same(const kstream_record_t *in,
                                      kstream_records_t *out, void *opaque)
{
    (void)in;
    (void)opaque;
    return kstream_records_add(out) != NULL ? KSTREAM_OK : KSTREAM_ERR_USER;
}

/* orders re-keyed by user, then key-preserving operators, then a join. */
static kstream_builder_t *rekeyed_then(int via)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
    switch (via) {
    case VIA_FILTER_MAP_VALUES:
        s = kstream_stream_filter(s, h_pred_true, NULL, NULL, NULL);
        s = kstream_stream_map_values(s, h_map_identity, NULL, NULL, NULL);
        break;
    case VIA_MERGE: {
        kstream_stream_t *other = kstream_builder_stream(b, "more-orders",
                                                         NULL);
        s = kstream_stream_merge(other, s, NULL);
        break;
    }
    case VIA_SPLIT: {
        kstream_split_t *sp = kstream_stream_split(s, "sp");
        s = kstream_split_default(sp, "all");
        break;
    }
    default:
        s = kstream_stream_peek(s, h_foreach_nop, NULL, NULL, NULL);
        s = kstream_stream_flat_map_values(s, flat_values_same, NULL, NULL,
                                           NULL);
        break;
    }
    cr_assert(s != NULL, "%s", kstream_builder_error(b));
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "ej");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    return b;
}

ParameterizedTestParameters(join_repartition,
                            key_change_is_remembered_through_later_operators)
{
    static int via[N_VIA] = {VIA_FILTER_MAP_VALUES, VIA_MERGE, VIA_SPLIT,
                             VIA_PEEK_FLAT_VALUES};
    return cr_make_param_array(int, via, N_VIA);
}

ParameterizedTest(int *via, join_repartition,
                  key_change_is_remembered_through_later_operators)
{
    kstream_topology_t *t = h_build(rekeyed_then(*via));
    char *text = hj_describe(t);
    cr_assert(strstr(text, "ej-left-repartition") != NULL,
              "case %d: no repartition before the join:\n%s", *via, text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    hj_topics(drv, "orders", 3, "users", 3, NULL);
    if (*via == VIA_MERGE)
        hj_topics(drv, "more-orders", 3, NULL);
    static char keys[8][32], vals[8][64];
    hs_exp_t exp[8];
    for (int i = 0; i < 8; i++) {
        char k[32], v[32];
        snprintf(keys[i], sizeof(keys[i]), "u%d", i);
        snprintf(v, sizeof(v), "name%d", i);
        h_pipe_ok(drv, "users", keys[i], v, i);
        snprintf(k, sizeof(k), "order-%d", i);
        snprintf(v, sizeof(v), "u%d:o%d", i, i);
        snprintf(vals[i], sizeof(vals[i]), "u%d:o%d/name%d", i, i, i);
        exp[i] = (hs_exp_t){keys[i], vals[i], 10 + i};
    }
    for (int i = 0; i < 8; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "order-%d", i);
        snprintf(v, sizeof(v), "u%d:o%d", i, i);
        h_pipe_ok(drv, "orders", k, v, 10 + i);
    }
    static const char *what[N_VIA] = {"out (filter, map_values)",
                                      "out (merge)", "out (split)",
                                      "out (peek, flat_map_values)"};
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_assert_seq(o, what[*via], exp, 8);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* An explicit repartition() after the key change already co-partitions:
 * the join adds no topic of its own. */
Test(join_repartition, explicit_repartition_makes_the_join_add_none)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
    s = kstream_stream_repartition(s, 0, "by-user");
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "ej");
    kstream_stream_to(j, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "by-user-repartition") != NULL, "%s", text);
    cr_assert(strstr(text, "ej-left-repartition") == NULL, "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    hj_topics(drv, "orders", 3, "users", 3, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 3);
    h_pipe_ok(drv, "orders", "o2", "u2:pen", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 3},
              {"u2", "u2:pen/bob", 4});
    kstream_test_driver_destroy(drv);
}

/* A join keeps its input's key: a second join after it needs no
 * repartition, unless the key was changed before the first one and that
 * one did not repartition (a global join). */
Test(join_repartition, a_join_result_keeps_the_partitioning_of_its_input)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_table_t *tiers = kstream_builder_table(b, "tiers", "tiers");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_join_table(s, users, KSTREAM_JOIN_LEFT, hj_joiner,
                                  NULL, NULL, "j1");
    s = kstream_stream_join_table(s, tiers, KSTREAM_JOIN_LEFT, hj_joiner,
                                  NULL, NULL, "j2");
    cr_assert(s != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "repartition") == NULL, "%s", text);
    cr_assert(eq(int, hj_subtopologies(text), 1), "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

HS_BACKEND_PARAMS(join_repartition,
                  key_change_before_a_global_join_repartitions_a_later_join)
ParameterizedTest(int *backend, join_repartition,
                  key_change_before_a_global_join_repartitions_a_later_join)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "products", "g-prod"),
                 KSTREAM_OK));
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
    /* product: the part after the first ':' of "<user>:<product>" */
    s = kstream_stream_join_global(s, "g-prod", hj_fk_second, KSTREAM_JOIN_LEFT,
                                   hj_joiner, NULL, NULL, "gj");
    s = kstream_stream_join_table(s, users, KSTREAM_JOIN_LEFT, hj_joiner,
                                  NULL, NULL, "ej");
    cr_assert(s != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "ej-left-repartition") != NULL,
              "the key changed before the global join:\n%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(
            t, "application.id", "app", "default.dsl.store",
            hs_backend_name(*backend), NULL);
    hj_topics(drv, "orders", 3, "users", 3, "products", 1, NULL);
    h_pipe_ok(drv, "products", "p1", "lamp", 1);
    static char keys[6][32], vals[6][64];
    hs_exp_t exp[6];
    for (int i = 0; i < 6; i++) {
        char v[32];
        snprintf(keys[i], sizeof(keys[i]), "u%d", i);
        snprintf(v, sizeof(v), "name%d", i);
        h_pipe_ok(drv, "users", keys[i], v, 2 + i);
    }
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "order-%d", i);
        snprintf(v, sizeof(v), "u%d:p1", i);
        h_pipe_ok(drv, "orders", k, v, 10 + i);
        snprintf(vals[i], sizeof(vals[i]), "u%d:p1/lamp/name%d", i, i);
        exp[i] = (hs_exp_t){keys[i], vals[i], 10 + i};
    }
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_assert_seq(o, "out", exp, 6);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* Partition counts fixed in the topology (repartition() with a count)
 * are known to the builder: a join of 2 and 3 fails to build, naming both
 * topics. */
Test(join_repartition, known_partition_mismatch_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "views", NULL);
    kstream_stream_t *r = kstream_builder_stream(b, "clicks", NULL);
    l = kstream_stream_select_key(l, hs_key_from_value, NULL, NULL, NULL);
    l = kstream_stream_repartition(l, 2, "lp");
    r = kstream_stream_select_key(r, hs_key_from_value, NULL, NULL, NULL);
    r = kstream_stream_repartition(r, 3, "rp");
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER, hj_joiner,
            NULL, NULL, "ss");
    if (j != NULL)
        kstream_stream_to(j, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "lp-repartition") &&
                      h_contains(errstr, "rp-repartition"),
              "the error does not name both topics: %s", errstr);
}

/* ---- NULL keys made upstream ------------------------------------------------ */

/* select_key: the value up to ':', or a NULL key when there is none. */
static kstream_err_t key_or_null(const kstream_record_t *in,
                                 kstream_record_t *out, void *opaque)
{
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL || memchr(v.data, ':', v.len) == NULL)
        return kstream_record_set_key(out, NULL, 0);
    return hs_key_from_value(in, out, opaque);
}

static kstream_builder_t *null_keyed_join(kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, key_or_null, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_table(s, users, kind, hj_joiner,
                                                    NULL, NULL, "ej");
    kstream_stream_to(j, "out", NULL);
    return b;
}

Test(join_repartition, null_keys_made_upstream_reach_a_left_join)
{
    kstream_test_driver_t *drv =
            hs_driver(null_keyed_join(KSTREAM_JOIN_LEFT), 1, false, NULL);
    hj_topics(drv, "orders", 2, "users", 2, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    h_pipe_ok(drv, "orders", "o2", "nouser", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 2},
              {"null", "nouser/null", 3});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(join_repartition, null_keys_made_upstream_are_dropped_by_an_inner_join)
{
    kstream_test_driver_t *drv =
            hs_driver(null_keyed_join(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_topics(drv, "orders", 2, "users", 2, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    h_pipe_ok(drv, "orders", "o2", "nouser", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 2});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- group_by before a table-table join ----------------------------------------- */

/* orders grouped by user (through "app-by-user-repartition") and
 * aggregated, then joined to users: the grouping's repartition topic takes
 * the users topic's partition count. */
HS_BACKEND_PARAMS(join_repartition, group_by_before_a_join_is_co_partitioned)
ParameterizedTest(int *backend, join_repartition,
                  group_by_before_a_join_is_co_partitioned)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_grouped_t *g =
            kstream_stream_group_by(s, hs_key_from_value, NULL, NULL,
                                    "by-user");
    kstream_table_t *agg = kstream_grouped_aggregate(
            g, hs_init_i, hs_agg_concat, NULL, NULL, "orders-by-user");
    kstream_table_t *j = kstream_table_join_table(
            agg, users, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "tt");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    hj_topics(drv, "orders", 4, "users", 2, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 10);
    HJ_STEP(drv, "out", &h, "first order of u1", {"u1", "i+u1:book/alice", 10});
    h_pipe_ok(drv, "orders", "o2", "u2:pen", 11);
    HJ_STEP(drv, "out", &h, "first order of u2", {"u2", "i+u2:pen/bob", 11});
    h_pipe_ok(drv, "orders", "o3", "u1:ink", 12);
    HJ_STEP(drv, "out", &h, "second order of u1",
            {"u1", "i+u1:book+u1:ink/alice", 12});
    h_pipe_ok(drv, "users", "u2", NULL, 13);
    HJ_STEP(drv, "out", &h, "user deleted", {"u2", NULL, 13});
    hj_hist_free(&h);
    const kstream_record_t *rec = NULL;
    int n = 0;
    while (kstream_test_driver_read(drv, "app-by-user-repartition", &rec) ==
           KSTREAM_OK) {
        char kb[64];
        h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb));
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(kb, 2)),
                  "key %s in partition %d", kb,
                  (int)kstream_record_partition(rec));
        n++;
    }
    cr_assert(eq(int, n, 3));
    kstream_test_driver_destroy(drv);
}

/* The table side is a stream re-keyed upstream and read as a table: its
 * rows must still meet the stream records of their key (Kafka Streams
 * repartitions a key-changed stream in toTable()). Keys are spread over
 * 3 partitions, so rows left in their original partition would miss. */
HS_BACKEND_PARAMS(join_repartition, table_from_a_rekeyed_stream_joins_by_its_new_key)
ParameterizedTest(int *backend, join_repartition,
                  table_from_a_rekeyed_stream_joins_by_its_new_key)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *ev = kstream_builder_stream(b, "user-events", NULL);
    ev = kstream_stream_select_key(ev, hs_key_from_value, NULL, NULL, NULL);
    kstream_table_t *users = kstream_stream_to_table(ev, "users");
    cr_assert(users != NULL, "to_table: %s", kstream_builder_error(b));
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "ej");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    hj_topics(drv, "user-events", 3, "orders", 3, NULL);
    static char ev_keys[8][32], ev_vals[8][32], keys[8][32], vals[8][64];
    hs_exp_t exp[8];
    int moved = 0;
    for (int i = 0; i < 8; i++) {
        snprintf(ev_keys[i], sizeof(ev_keys[i]), "event-%d", i);
        snprintf(ev_vals[i], sizeof(ev_vals[i]), "u%d:name%d", i, i);
        snprintf(keys[i], sizeof(keys[i]), "u%d", i);
        if (h_partition_of(ev_keys[i], 3) != h_partition_of(keys[i], 3))
            moved++;
        h_pipe_ok(drv, "user-events", ev_keys[i], ev_vals[i], i);
    }
    cr_assert(moved > 0, "no user changes partition: the test proves nothing");
    for (int i = 0; i < 8; i++) {
        char v[32];
        snprintf(v, sizeof(v), "o%d", i);
        h_pipe_ok(drv, "orders", keys[i], v, 10 + i);
        snprintf(vals[i], sizeof(vals[i]), "o%d/u%d:name%d", i, i, i);
        exp[i] = (hs_exp_t){keys[i], vals[i], 10 + i};
    }
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_assert_seq(o, "out", exp, 8);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* A table re-grouped by a new key (table group_by, aggregate) joins a
 * table of another partition count: the grouping's repartition topic takes
 * the joined table's count. Moving an order to another user updates both
 * users' rows. */
HS_BACKEND_PARAMS(join_repartition, table_group_by_before_a_join_is_co_partitioned)
ParameterizedTest(int *backend, join_repartition,
                  table_group_by_before_a_join_is_co_partitioned)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_table_t *orders = kstream_builder_table(b, "orders", "orders");
    kstream_grouped_table_t *g = kstream_table_group_by(
            orders, hs_split_key_value, NULL, NULL, "by-user");
    kstream_table_t *sums = kstream_grouped_table_aggregate(
            g, hs_init_zero, hs_agg_sum, hs_agg_sub, NULL, NULL, "sums");
    kstream_table_t *j = kstream_table_join_table(
            sums, users, KSTREAM_JOIN_INNER, hj_joiner, NULL, NULL, "tt");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    hj_topics(drv, "orders", 4, "users", 2, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:5", 10);
    HJ_STEP(drv, "out", &h, "first order", {"u1", "5/alice", 10});
    h_pipe_ok(drv, "orders", "o2", "u1:7", 11);
    HJ_STEP(drv, "out", &h, "second order", {"u1", "12/alice", 11});
    h_pipe_ok(drv, "orders", "o3", "u2:1", 12);
    HJ_STEP(drv, "out", &h, "bob's order", {"u2", "1/bob", 12});
    h_pipe_ok(drv, "orders", "o2", "u2:7", 13);
    HJ_STEP_SET(drv, "out", &h, "order moves to bob", {"u1", "5/alice", 13},
                {"u2", "8/bob", 13});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- stream-stream joins: either side ---------------------------------------------- */

/* views (keyed by user) join clicks re-keyed from "<user>:<click>" */
HS_BACKEND_PARAMS(join_repartition, key_change_on_the_right_repartitions_it)
ParameterizedTest(int *backend, join_repartition,
                  key_change_on_the_right_repartitions_it)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "views", NULL);
    kstream_stream_t *r = kstream_builder_stream(b, "clicks", NULL);
    r = kstream_stream_select_key(r, hs_key_from_value, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 100), KSTREAM_JOIN_INNER,
            hj_joiner, NULL, NULL, "ss");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "ss-right-repartition") != NULL, "%s", text);
    cr_assert(strstr(text, "ss-left-repartition") == NULL, "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(
            t, "application.id", "app", "default.dsl.store",
            hs_backend_name(*backend), NULL);
    hj_topics(drv, "views", 2, "clicks", 3, NULL);
    h_pipe_ok(drv, "views", "u1", "v1", 100);
    h_pipe_ok(drv, "views", "u2", "v2", 101);
    h_pipe_ok(drv, "clicks", "c1", "u1:c1", 105);
    h_pipe_ok(drv, "clicks", "c2", "u2:c2", 106);
    h_pipe_ok(drv, "clicks", "c3", "u3:c3", 107);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "v1/u1:c1", 105},
              {"u2", "v2/u2:c2", 106});
    const kstream_record_t *rec = NULL;
    int n = 0;
    while (kstream_test_driver_read(drv, "app-ss-right-repartition", &rec) ==
           KSTREAM_OK) {
        char kb[64];
        h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb));
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(kb, 2)),
                  "key %s in partition %d", kb,
                  (int)kstream_record_partition(rec));
        n++;
    }
    cr_assert(eq(int, n, 3));
    kstream_test_driver_destroy(drv);
}

Test(join_repartition, key_change_on_both_sides_repartitions_both)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "views", NULL);
    kstream_stream_t *r = kstream_builder_stream(b, "clicks", NULL);
    l = kstream_stream_map(l, hs_key_from_value, NULL, NULL, NULL);
    r = kstream_stream_select_key(r, hs_key_from_value, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 0), KSTREAM_JOIN_LEFT,
            hj_joiner, NULL, NULL, "ss");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "ss-left-repartition") != NULL, "%s", text);
    cr_assert(strstr(text, "ss-right-repartition") != NULL, "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    hj_topics(drv, "views", 3, "clicks", 3, NULL);
    h_pipe_ok(drv, "views", "v1", "u1:v1", 100);
    h_pipe_ok(drv, "views", "v2", "u2:v2", 101);
    h_pipe_ok(drv, "clicks", "c1", "u1:c1", 105);
    /* u2 again (same partition, so the same task's stream time): closes
     * v2's window */
    h_pipe_ok(drv, "views", "v4", "u2:v4", 200);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:v1/u1:c1", 105},
              {"u2", "u2:v2/null", 101});
    cr_assert(kstream_test_driver_is_empty(drv, "app-ss-left-repartition") ==
              false);
    cr_assert(kstream_test_driver_is_empty(drv, "app-ss-right-repartition") ==
              false);
    kstream_test_driver_destroy(drv);
}

/* Both sides re-keyed from sources of 2 and 3 partitions: the two
 * repartition topics must get one partition count (Kafka Streams gives a
 * co-partition group of repartition topics the largest), so the join
 * starts and every key meets its match. */
Test(join_repartition, both_sides_rekeyed_from_different_partition_counts)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, "views", NULL);
    kstream_stream_t *r = kstream_builder_stream(b, "clicks", NULL);
    l = kstream_stream_select_key(l, hs_key_from_value, NULL, NULL, NULL);
    r = kstream_stream_select_key(r, hs_key_from_value, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_stream(
            l, r, kstream_join_windows(10, 100), KSTREAM_JOIN_INNER,
            hj_joiner, NULL, NULL, "ss");
    kstream_stream_to(j, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    hj_topics(drv, "views", 2, "clicks", 3, NULL);
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "v%d", i);
        snprintf(v, sizeof(v), "u%d:v%d", i, i);
        h_pipe_ok(drv, "views", k, v, 100 + i);
    }
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "c%d", i);
        snprintf(v, sizeof(v), "u%d:c%d", i, i);
        h_pipe_ok(drv, "clicks", k, v, 110 + i);
    }
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u0", "u0:v0/u0:c0", 110},
              {"u1", "u1:v1/u1:c1", 111}, {"u2", "u2:v2/u2:c2", 112},
              {"u3", "u3:v3/u3:c3", 113}, {"u4", "u4:v4/u4:c4", 114},
              {"u5", "u5:v5/u5:c5", 115});
    kstream_test_driver_destroy(drv);
}

/* A stream-global join needs no co-partitioning: a key change before it
 * adds no repartition topic. */
Test(join_repartition, key_change_before_a_global_join_adds_no_repartition)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "users", "g-users"),
                 KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
    kstream_stream_t *j = kstream_stream_join_global(
            s, "g-users", hj_fk, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL,
            "gj");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "repartition") == NULL, "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    hj_topics(drv, "orders", 3, "users", 2, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    h_pipe_ok(drv, "orders", "o2", "u2:pen", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 2},
              {"u2", "u2:pen/null", 3});
    kstream_test_driver_destroy(drv);
}

/* Two enrichments in a row, each after its own key change: orders
 * "<user>:<product>:<order>" join users by user, then products by product
 * (value of the first result: "<order value>/<user>"). */
static kstream_err_t key_second_field(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    const char *p = memchr(v.data, ':', v.len);
    cr_assert(p != NULL);
    p++;
    size_t rest = v.len - (size_t)(p - (const char *)v.data);
    const char *q = memchr(p, ':', rest);
    return kstream_record_set_key(out, p, q ? (size_t)(q - p) : rest);
}

HS_BACKEND_PARAMS(join_repartition, two_joins_in_a_row_each_repartition)
ParameterizedTest(int *backend, join_repartition,
                  two_joins_in_a_row_each_repartition)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_table_t *products = kstream_builder_table(b, "products",
                                                      "products");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    s = kstream_stream_select_key(s, hs_key_from_value, NULL, NULL, NULL);
    s = kstream_stream_join_table(s, users, KSTREAM_JOIN_LEFT, hj_joiner,
                                  NULL, NULL, "j1");
    s = kstream_stream_select_key(s, key_second_field, NULL, NULL, NULL);
    s = kstream_stream_join_table(s, products, KSTREAM_JOIN_LEFT, hj_joiner,
                                  NULL, NULL, "j2");
    cr_assert(s != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_topology_t *t = h_build(b);
    char *text = hj_describe(t);
    cr_assert(strstr(text, "j1-left-repartition") != NULL, "%s", text);
    cr_assert(strstr(text, "j2-left-repartition") != NULL, "%s", text);
    cr_assert(eq(int, hj_subtopologies(text), 3), "%s", text);
    kstream_free(text);
    kstream_test_driver_t *drv = h_driver_t(
            t, "application.id", "app", "default.dsl.store",
            hs_backend_name(*backend), NULL);
    hj_topics(drv, "orders", 4, "users", 2, "products", 3, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "products", "p1", "lamp", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:p1:o1", 10);
    h_pipe_ok(drv, "orders", "o2", "u2:p1:o2", 11);
    h_pipe_ok(drv, "orders", "o3", "u1:p2:o3", 12);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR,
              {"p1", "u1:p1:o1/alice/lamp", 10},
              {"p1", "u2:p1:o2/null/lamp", 11},
              {"p2", "u1:p2:o3/alice/null", 12});
    kstream_test_driver_destroy(drv);
}

/* ---- co-partitioning is checked after repartitioning ------------------------------ */

/* A key change on the stream side does not excuse a table that is not
 * co-partitioned with the other inputs of its sub-topology: here the
 * stream is re-keyed, so only the repartition topic meets the table and
 * the start succeeds; without the key change it fails. */
Test(join_repartition, only_the_unrepartitioned_mismatch_fails)
{
    kstream_test_driver_t *drv =
            hs_driver(rekeyed_join(OP_SELECT_KEY), 1, false, NULL);
    hj_topics(drv, "orders", 5, "users", 3, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"u1", "u1:book/alice", 2});
    kstream_test_driver_destroy(drv);

    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_LEFT, hj_joiner, NULL, NULL, "ej");
    kstream_stream_to(j, "out", NULL);
    drv = hs_driver(b, 1, false, NULL);
    hj_topics(drv, "orders", 5, "users", 3, NULL);
    hj_pipe_fails_naming(drv, "orders", "u1", "orders", "users");
    kstream_test_driver_destroy(drv);
}
