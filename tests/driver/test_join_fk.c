/* test_join_fk.c - foreign-key table-table joins through the test driver
 * (Kafka Streams' KIP-213): inner and left joins, right updates reaching
 * every subscribed left row, foreign-key changes (the old match retracted,
 * the new one emitted), left rows without a foreign key, deletes on either
 * side, result timestamps, several partitions without co-partitioning,
 * the subscription topics, describe() and builder errors. Written from
 * include/kstream/join.h.
 *
 * orders (key order id, value "<user>:<item>") join users (key user id)
 * on the user; results are keyed by order id. As for every table output,
 * a tombstone for a key the result does not hold is ignored. */
#include "helpers_join.h"

TestSuite(join_fk, .timeout = 20);

#define REG_TOPIC "fk-subscription-registration-topic"
#define RESP_TOPIC "fk-subscription-response-topic"

static kstream_builder_t *fk_topology(kstream_join_kind_t kind)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "orders", "orders");
    kstream_table_t *r = kstream_builder_table(b, "users", "users");
    kstream_table_t *j = kstream_table_join_fk(l, r, hj_fk, kind, hj_joiner,
                                               NULL, NULL, "fk");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_t *s = kstream_table_to_stream(j, NULL);
    cr_assert(eq(int, kstream_stream_to(s, "out", NULL), KSTREAM_OK));
    return b;
}

/* ---- inner ------------------------------------------------------------------ */

HS_BACKEND_PARAMS(join_fk, inner_join_follows_both_sides_and_fk_changes)
ParameterizedTest(int *backend, join_fk,
                  inner_join_follows_both_sides_and_fk_changes)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    HJ_STEP_NONE(drv, "out", &h, "right row alone");
    h_pipe_ok(drv, "orders", "o1", "u1:book", 2);
    HJ_STEP(drv, "out", &h, "left row matches", {"o1", "u1:book/alice", 2});
    h_pipe_ok(drv, "orders", "o2", "u2:pen", 3);
    HJ_STEP_NONE(drv, "out", &h, "left row without match");
    h_pipe_ok(drv, "users", "u2", "bob", 4);
    HJ_STEP(drv, "out", &h, "right row arrives", {"o2", "u2:pen/bob", 4});
    h_pipe_ok(drv, "users", "u1", "alice2", 5);
    HJ_STEP(drv, "out", &h, "right update", {"o1", "u1:book/alice2", 5});
    h_pipe_ok(drv, "orders", "o1", "u2:book", 6);
    HJ_STEP(drv, "out", &h, "foreign key changes", {"o1", "u2:book/bob", 6});
    h_pipe_ok(drv, "users", "u1", "alice3", 7);
    HJ_STEP_NONE(drv, "out", &h, "update of the old foreign key");
    h_pipe_ok(drv, "users", "u2", NULL, 8);
    HJ_STEP_SET(drv, "out", &h, "right delete", {"o1", NULL, 8},
                {"o2", NULL, 8});
    h_pipe_ok(drv, "orders", "o2", NULL, 9);
    HJ_STEP_NONE(drv, "out", &h, "left delete of an unmatched row");
    h_pipe_ok(drv, "users", "u2", "bob2", 10);
    HJ_STEP(drv, "out", &h, "right row back", {"o1", "u2:book/bob2", 10});
    h_pipe_ok(drv, "orders", "o1", NULL, 11);
    HJ_STEP(drv, "out", &h, "left delete", {"o1", NULL, 11});
    h_pipe_ok(drv, "users", "u2", "bob3", 12);
    HJ_STEP_NONE(drv, "out", &h, "update after the left delete");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

Test(join_fk, fk_change_to_a_missing_row_retracts_the_result)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:x", 2);
    HJ_STEP(drv, "out", &h, "match", {"o1", "u1:x/alice", 2});
    h_pipe_ok(drv, "orders", "o1", "u9:x", 3);
    HJ_STEP(drv, "out", &h, "new foreign key has no row", {"o1", NULL, 3});
    h_pipe_ok(drv, "users", "u1", "alice2", 4);
    HJ_STEP_NONE(drv, "out", &h, "old foreign key updated");
    h_pipe_ok(drv, "users", "u9", "ivy", 5);
    HJ_STEP(drv, "out", &h, "new foreign key's row", {"o1", "u9:x/ivy", 5});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

Test(join_fk, left_row_without_foreign_key_joins_nothing_in_inner_join)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), 0, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "nokey", 2);
    HJ_STEP_NONE(drv, "out", &h, "no foreign key");
    h_pipe_ok(drv, "orders", "o1", "u1:x", 3);
    HJ_STEP(drv, "out", &h, "gets one", {"o1", "u1:x/alice", 3});
    h_pipe_ok(drv, "orders", "o1", "nokey-again", 4);
    HJ_STEP(drv, "out", &h, "loses it", {"o1", NULL, 4});
    h_pipe_ok(drv, "users", "u1", "alice2", 5);
    HJ_STEP_NONE(drv, "out", &h, "old foreign key updated");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- left ------------------------------------------------------------------- */

HS_BACKEND_PARAMS(join_fk, left_join_keeps_every_left_row)
ParameterizedTest(int *backend, join_fk, left_join_keeps_every_left_row)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_LEFT), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "orders", "o1", "u1:book", 1);
    HJ_STEP(drv, "out", &h, "left row alone", {"o1", "u1:book/null", 1});
    h_pipe_ok(drv, "users", "u1", "alice", 2);
    HJ_STEP(drv, "out", &h, "right row arrives", {"o1", "u1:book/alice", 2});
    h_pipe_ok(drv, "orders", "o1", "u2:book", 3);
    HJ_STEP(drv, "out", &h, "foreign key changes to a missing row",
            {"o1", "u2:book/null", 3});
    h_pipe_ok(drv, "users", "u1", "alice2", 4);
    HJ_STEP_NONE(drv, "out", &h, "update of the old foreign key");
    h_pipe_ok(drv, "users", "u2", "bob", 5);
    HJ_STEP(drv, "out", &h, "new foreign key's row", {"o1", "u2:book/bob", 5});
    h_pipe_ok(drv, "users", "u2", NULL, 6);
    HJ_STEP(drv, "out", &h, "right delete", {"o1", "u2:book/null", 6});
    h_pipe_ok(drv, "orders", "o1", "nokey", 7);
    HJ_STEP(drv, "out", &h, "no foreign key", {"o1", "nokey/null", 7});
    h_pipe_ok(drv, "users", "u2", "bob2", 8);
    HJ_STEP_NONE(drv, "out", &h, "update of the old foreign key");
    h_pipe_ok(drv, "orders", "o1", NULL, 9);
    HJ_STEP(drv, "out", &h, "left delete", {"o1", NULL, 9});
    h_pipe_ok(drv, "users", "u1", "alice3", 10);
    HJ_STEP_NONE(drv, "out", &h, "update after the left delete");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* A foreign key changed away and back subscribes again: updates of the
 * key it left do not reach it, updates of the key it is back on do. */
Test(join_fk, fk_changed_back_follows_its_current_key_only)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_LEFT), 0, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:x", 3);
    HJ_STEP(drv, "out", &h, "on u1", {"o1", "u1:x/alice", 3});
    h_pipe_ok(drv, "orders", "o1", "u2:x", 4);
    HJ_STEP(drv, "out", &h, "to u2", {"o1", "u2:x/bob", 4});
    h_pipe_ok(drv, "orders", "o1", "u1:x", 5);
    HJ_STEP(drv, "out", &h, "back to u1", {"o1", "u1:x/alice", 5});
    h_pipe_ok(drv, "users", "u2", "bob2", 6);
    HJ_STEP_NONE(drv, "out", &h, "update of u2");
    h_pipe_ok(drv, "users", "u1", "alice2", 7);
    HJ_STEP(drv, "out", &h, "update of u1", {"o1", "u1:x/alice2", 7});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- many left rows per right row -------------------------------------------- */

HS_BACKEND_PARAMS(join_fk, right_changes_reach_every_subscribed_left_row)
ParameterizedTest(int *backend, join_fk,
                  right_changes_reach_every_subscribed_left_row)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:a", 2);
    h_pipe_ok(drv, "orders", "o2", "u1:b", 3);
    h_pipe_ok(drv, "orders", "o3", "u1:c", 4);
    h_pipe_ok(drv, "orders", "o4", "u2:d", 5);
    HJ_STEP(drv, "out", &h, "three matches", {"o1", "u1:a/alice", 2},
            {"o2", "u1:b/alice", 3}, {"o3", "u1:c/alice", 4});
    h_pipe_ok(drv, "users", "u1", "alice2", 6);
    HJ_STEP_SET(drv, "out", &h, "right update", {"o1", "u1:a/alice2", 6},
                {"o2", "u1:b/alice2", 6}, {"o3", "u1:c/alice2", 6});
    h_pipe_ok(drv, "orders", "o2", "u1:b2", 7);
    HJ_STEP(drv, "out", &h, "left update, same foreign key",
            {"o2", "u1:b2/alice2", 7});
    h_pipe_ok(drv, "users", "u1", NULL, 8);
    HJ_STEP_SET(drv, "out", &h, "right delete", {"o1", NULL, 8},
                {"o2", NULL, 8}, {"o3", NULL, 8});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* Derived tables without stores of their own join too: the left side a
 * filter (orders whose item starts with "keep"), the right a map_values. */
static kstream_err_t tag_value(const kstream_record_t *in,
                               kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "<%.*s>", (int)v.len,
                     (const char *)v.data);
    return kstream_record_set_value(out, buf, (size_t)n);
}

static kstream_err_t item_kept(const kstream_record_t *rec, bool *match,
                               void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    const char *colon = v.data ? memchr(v.data, ':', v.len) : NULL;
    *match = colon != NULL &&
             v.len - (size_t)(colon + 1 - (const char *)v.data) >= 4 &&
             memcmp(colon + 1, "keep", 4) == 0;
    return KSTREAM_OK;
}

HS_BACKEND_PARAMS(join_fk, derived_tables_join)
ParameterizedTest(int *backend, join_fk, derived_tables_join)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "orders", "orders");
    kstream_table_t *r = kstream_builder_table(b, "users", "users");
    l = kstream_table_filter(l, item_kept, NULL, NULL, "kept-orders");
    r = kstream_table_map_values(r, tag_value, NULL, NULL, "tagged-users");
    kstream_table_t *j = kstream_table_join_fk(l, r, hj_fk, KSTREAM_JOIN_LEFT,
                                               hj_joiner, NULL, NULL, "fk");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(j, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    hj_topics(drv, "orders", 2, "users", 3, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:keep-a", 2);
    HJ_STEP(drv, "out", &h, "kept order", {"o1", "u1:keep-a/<alice>", 2});
    h_pipe_ok(drv, "orders", "o2", "u1:drop-b", 3);
    HJ_STEP_NONE(drv, "out", &h, "filtered order");
    h_pipe_ok(drv, "users", "u1", "alice2", 4);
    HJ_STEP(drv, "out", &h, "user update", {"o1", "u1:keep-a/<alice2>", 4});
    h_pipe_ok(drv, "orders", "o1", "u1:drop-a", 5);
    HJ_STEP(drv, "out", &h, "order leaves the filter", {"o1", NULL, 5});
    h_pipe_ok(drv, "users", "u1", "alice3", 6);
    HJ_STEP_NONE(drv, "out", &h, "user update without kept orders");
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- timestamps --------------------------------------------------------------- */

Test(join_fk, result_timestamp_is_the_larger_of_the_two_rows)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    hj_hist_t h = {NULL};
    h_pipe_ok(drv, "users", "u1", "alice", 50);
    h_pipe_ok(drv, "orders", "o1", "u1:x", 10);
    HJ_STEP(drv, "out", &h, "right row newer", {"o1", "u1:x/alice", 50});
    h_pipe_ok(drv, "orders", "o1", "u1:y", 60);
    HJ_STEP(drv, "out", &h, "left row newer", {"o1", "u1:y/alice", 60});
    h_pipe_ok(drv, "users", "u1", "alice2", 55);
    HJ_STEP(drv, "out", &h, "right update older than the left row",
            {"o1", "u1:y/alice2", 60});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* With the cache on, updates between commits may be merged (a foreign
 * key changed twice, a row updated then deleted): the final result table
 * is the same. */
HJ_BACKEND_CACHE_PARAMS(join_fk, cache_gives_the_same_final_table)
ParameterizedTest(int *idx, join_fk, cache_gives_the_same_final_table)
{
    kstream_test_driver_t *drv = hs_driver(fk_topology(KSTREAM_JOIN_LEFT),
                                           hj_backend(*idx), hj_cache(*idx),
                                           NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "users", "u2", "bob", 2);
    h_pipe_ok(drv, "orders", "o1", "u1:a", 3);
    h_pipe_ok(drv, "orders", "o1", "u2:a", 4);
    h_pipe_ok(drv, "orders", "o1", "u3:a", 5);
    h_pipe_ok(drv, "orders", "o2", "u2:b", 6);
    h_pipe_ok(drv, "orders", "o3", "u1:c", 7);
    h_pipe_ok(drv, "orders", "o3", NULL, 8);
    h_pipe_ok(drv, "users", "u2", "bob2", 9);
    h_pipe_ok(drv, "users", "u1", NULL, 10);
    h_pipe_ok(drv, "orders", "o4", "u1:d", 11);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    hs_out_t *o = hs_collect(drv, "out", HS_K_PLAIN, HS_V_STR);
    hs_out_t *t = hs_final_table(o);
    hs_out_t *want = hs_out_new();
    const char *rows[][2] = {{"o1", "u3:a/null"}, {"o2", "u2:b/bob2"},
                             {"o4", "u1:d/null"}};
    for (size_t i = 0; i < 3; i++) {
        hs_rec_t *r = &want->r[want->n++];
        snprintf(r->key, sizeof(r->key), "%s", rows[i][0]);
        snprintf(r->value, sizeof(r->value), "%s", rows[i][1]);
    }
    hs_assert_same_table(t, want, "final foreign-key join table");
    free(want);
    free(t);
    free(o);
    kstream_test_driver_destroy(drv);
}

/* ---- partitions -------------------------------------------------------------- */

/* No co-partitioning: orders have 3 partitions, users 2. Order i refers
 * to user u(i % 5); users u0..u3 exist. */
HS_BACKEND_PARAMS(join_fk, differently_partitioned_tables_join)
ParameterizedTest(int *backend, join_fk, differently_partitioned_tables_join)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), *backend, false, NULL);
    hj_topics(drv, "orders", 3, "users", 2, NULL);
    hj_hist_t h = {NULL};
    for (int u = 0; u < 4; u++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "u%d", u);
        snprintf(v, sizeof(v), "name%d", u);
        h_pipe_ok(drv, "users", k, v, u);
    }
    HJ_STEP_NONE(drv, "out", &h, "users alone");
    bool used[3] = {false, false, false};
    static char keys[10][16], vals[10][64];
    hs_exp_t exp[10];
    for (int i = 0; i < 10; i++) {
        char v[32];
        snprintf(keys[i], sizeof(keys[i]), "o%d", i);
        snprintf(v, sizeof(v), "u%d:i%d", i % 5, i);
        used[h_partition_of(keys[i], 3)] = true;
        h_pipe_ok(drv, "orders", keys[i], v, 10 + i);
        snprintf(vals[i], sizeof(vals[i]), "%s/name%d", v, i % 5);
        exp[i] = (hs_exp_t){keys[i], vals[i], 10 + i};
        if (i % 5 == 4)
            hj_step(drv, "out", &h, NULL, 0, false, "order of user u4");
        else
            hj_step(drv, "out", &h, &exp[i], 1, false, "order");
    }
    cr_assert(used[0] && used[1] && used[2], "orders do not cover 3 partitions");
    h_pipe_ok(drv, "users", "u1", "name1b", 30);
    HJ_STEP_SET(drv, "out", &h, "update of u1", {"o1", "u1:i1/name1b", 30},
                {"o6", "u1:i6/name1b", 30});
    h_pipe_ok(drv, "users", "u2", NULL, 31);
    HJ_STEP_SET(drv, "out", &h, "delete of u2", {"o2", NULL, 31},
                {"o7", NULL, 31});
    h_pipe_ok(drv, "orders", "o0", "u3:i0b", 32);
    HJ_STEP(drv, "out", &h, "o0 moves to u3", {"o0", "u3:i0b/name3", 32});
    h_pipe_ok(drv, "users", "u4", "name4", 33);
    HJ_STEP_SET(drv, "out", &h, "u4 arrives", {"o4", "u4:i4/name4", 33},
                {"o9", "u4:i9/name4", 33});
    h_pipe_ok(drv, "users", "u0", "name0b", 34);
    HJ_STEP(drv, "out", &h, "update of u0", {"o5", "u0:i5/name0b", 34});
    hj_hist_free(&h);
    kstream_test_driver_destroy(drv);
}

/* ---- internal topics and describe --------------------------------------------- */

Test(join_fk, subscriptions_go_through_the_named_internal_topics)
{
    kstream_test_driver_t *drv =
            hs_driver(fk_topology(KSTREAM_JOIN_INNER), 1, false, NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:x", 2);
    cr_assert(kstream_test_driver_is_empty(drv, "app-" REG_TOPIC) == false,
              "nothing was written to app-" REG_TOPIC);
    cr_assert(kstream_test_driver_is_empty(drv, "app-" RESP_TOPIC) == false,
              "nothing was written to app-" RESP_TOPIC);
    h_expect(drv, "out", "o1", "u1:x/alice");
    kstream_test_driver_destroy(drv);
}

Test(join_fk, describe_shows_the_join_and_its_subscription_topics)
{
    kstream_topology_t *t = h_build(fk_topology(KSTREAM_JOIN_LEFT));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Processor: ", "fk"),
              "no join processor named after 'fk':\n%s", text);
    cr_assert(strstr(text, REG_TOPIC) != NULL,
              "no registration topic:\n%s", text);
    cr_assert(strstr(text, RESP_TOPIC) != NULL, "no response topic:\n%s",
              text);
    cr_assert(hj_node_lists_store(text, "fk", "fk"),
              "no join processor lists its subscription store:\n%s", text);
    cr_assert(hj_subtopologies(text) >= 2,
              "the subscription topics split the topology:\n%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

Test(join_fk, describe_mermaid_draws_the_join)
{
    kstream_topology_t *t = h_build(fk_topology(KSTREAM_JOIN_INNER));
    char *m = kstream_topology_describe(t, KSTREAM_DESCRIBE_MERMAID);
    cr_assert(m != NULL);
    cr_assert(strncmp(m, "flowchart", 9) == 0, "%s", m);
    cr_assert(strstr(m, REG_TOPIC) != NULL && strstr(m, RESP_TOPIC) != NULL,
              "%s", m);
    kstream_free(m);
    kstream_topology_destroy(t);
}

/* The join's stores are named after it and changelogged as
 * "<application.id>-<store>-changelog". */
Test(join_fk, join_stores_are_named_after_the_join_and_logged)
{
    kstream_topology_t *t = h_build(fk_topology(KSTREAM_JOIN_LEFT));
    char *text = hj_describe(t);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    h_pipe_ok(drv, "users", "u1", "alice", 1);
    h_pipe_ok(drv, "orders", "o1", "u1:x", 2);
    /* (the default cache holds table updates until a commit) */
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    size_t n = hj_assert_join_changelogs(drv, text, "fk");
    cr_assert(n >= 1, "the join lists no store named after it:\n%s", text);
    kstream_free(text);
    kstream_test_driver_destroy(drv);
}

/* ---- builder errors ---------------------------------------------------------------- */

static kstream_table_t *fk_try(kstream_builder_t *b,
                               kstream_key_extractor_cb *fk,
                               kstream_join_kind_t kind,
                               kstream_joiner_cb *joiner, const char *name)
{
    kstream_table_t *l = kstream_builder_table(b, "orders", "orders");
    kstream_table_t *r = kstream_builder_table(b, "users", "users");
    return kstream_table_join_fk(l, r, fk, kind, joiner, NULL, NULL, name);
}

Test(join_fk, outer_kind_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, fk_try(b, hj_fk, KSTREAM_JOIN_OUTER, hj_joiner, "fk"),
                "OUTER foreign-key join", "outer", "inner");
}

Test(join_fk, null_foreign_key_extractor_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, fk_try(b, NULL, KSTREAM_JOIN_INNER, hj_joiner, "fk"),
                "NULL foreign-key extractor", NULL, NULL);
}

Test(join_fk, null_joiner_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, fk_try(b, hj_fk, KSTREAM_JOIN_LEFT, NULL, "fk"),
                "NULL joiner", "joiner", NULL);
}

Test(join_fk, missing_name_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b, fk_try(b, hj_fk, KSTREAM_JOIN_INNER, hj_joiner, NULL),
                "join without a name", "name", NULL);
}

Test(join_fk, null_other_table_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *l = kstream_builder_table(b, "orders", "orders");
    kstream_table_t *j = kstream_table_join_fk(l, NULL, hj_fk,
                                               KSTREAM_JOIN_INNER, hj_joiner,
                                               NULL, NULL, "fk");
    hj_rejected(b, j, "NULL right table", NULL, NULL);
}
