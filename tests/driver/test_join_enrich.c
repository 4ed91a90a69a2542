/* test_join_enrich.c - the enrichment shape of the pipeline
 * (/work/shared/PIPELINE.md, examples/enrich) through the test driver: a
 * stream of orders keyed by order id, re-keyed by user id (select_key) and
 * left-joined to a users table fed by CDC updates (plain values here; the
 * envelope parsing is another issue), over several partitions. Checks the
 * exact enriched stream: user updates before and after orders, a user
 * delete then an order, unknown users, both store backends with the cache
 * on and off. */
#include "helpers_join.h"

TestSuite(join_enrich, .timeout = 20);

#define ORDERS "orders"
#define USERS "cdc.users"
#define ENRICHED "events.enriched"

/* The enriched value: "<order>|<user>" ("<order>|unknown-user" without a
 * user row). */
static kstream_err_t enrich_joiner(const kstream_record_t *order,
                                   const kstream_record_t *user,
                                   kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t o = kstream_record_value(order);
    kstream_bytes_t u = user ? kstream_record_value(user)
                             : (kstream_bytes_t){"unknown-user", 12};
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%.*s|%.*s", (int)o.len,
                     (const char *)o.data, (int)u.len, (const char *)u.data);
    return kstream_record_set_value(out, buf, (size_t)n);
}

/* orders ("<user>:<order>:<item>", keyed by order id)
 *   -> select_key(user) -> left join users ("enrich") -> events.enriched */
static kstream_builder_t *enrich_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *users = kstream_builder_table(b, USERS, "users");
    kstream_stream_t *orders = kstream_builder_stream(b, ORDERS,
                                                      "orders-source");
    kstream_stream_t *by_user = kstream_stream_select_key(
            orders, hs_key_from_value, NULL, NULL, "by-user");
    kstream_stream_t *enriched = kstream_stream_join_table(
            by_user, users, KSTREAM_JOIN_LEFT, enrich_joiner, NULL, NULL,
            "enrich");
    cr_assert(enriched != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(enriched, ENRICHED, "enriched-sink"),
                 KSTREAM_OK));
    return b;
}

static void pipe_order(kstream_test_driver_t *drv, const char *value,
                       int64_t ts)
{
    /* the order id is the second field */
    char id[16];
    const char *p = strchr(value, ':') + 1;
    size_t n = (size_t)(strchr(p, ':') - p);
    memcpy(id, p, n);
    id[n] = '\0';
    h_pipe_ok(drv, ORDERS, id, value, ts);
}

HJ_BACKEND_CACHE_PARAMS(join_enrich, orders_are_enriched_with_the_current_user)
ParameterizedTest(int *idx, join_enrich,
                  orders_are_enriched_with_the_current_user)
{
    kstream_test_driver_t *drv = hs_driver(
            enrich_topology(), hj_backend(*idx), hj_cache(*idx), NULL);
    hj_topics(drv, ORDERS, 3, USERS, 4, NULL);

    h_pipe_ok(drv, USERS, "u1", "alice,gold", 1);
    h_pipe_ok(drv, USERS, "u2", "bob,silver", 2);
    pipe_order(drv, "u1:o1:book", 10);
    pipe_order(drv, "u2:o2:pen", 11);
    pipe_order(drv, "u3:o3:ink", 12);              /* no such user yet */
    h_pipe_ok(drv, USERS, "u1", "alice,platinum", 13); /* after an order */
    pipe_order(drv, "u1:o4:lamp", 14);
    h_pipe_ok(drv, USERS, "u3", "carol,bronze", 15);
    pipe_order(drv, "u3:o5:desk", 16);
    h_pipe_ok(drv, USERS, "u2", NULL, 17);          /* user deleted */
    pipe_order(drv, "u2:o6:cup", 18);
    h_pipe_ok(drv, USERS, "u2", "bob,new", 19);     /* and back */
    pipe_order(drv, "u2:o7:mug", 20);
    pipe_order(drv, "u1:o8:pad", 21);
    pipe_order(drv, "u4:o9:box", 22);

    HS_EXPECT(drv, ENRICHED, HS_K_PLAIN, HS_V_STR,
              {"u1", "u1:o1:book|alice,gold", 10},
              {"u2", "u2:o2:pen|bob,silver", 11},
              {"u3", "u3:o3:ink|unknown-user", 12},
              {"u1", "u1:o4:lamp|alice,platinum", 14},
              {"u3", "u3:o5:desk|carol,bronze", 16},
              {"u2", "u2:o6:cup|unknown-user", 18},
              {"u2", "u2:o7:mug|bob,new", 20},
              {"u1", "u1:o8:pad|alice,platinum", 21},
              {"u4", "u4:o9:box|unknown-user", 22});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));

    /* the orders crossed partitions: each order's partition of 3 and its
     * user's partition of 4 (the repartition topic) */
    const kstream_record_t *rec = NULL;
    int n = 0;
    while (kstream_test_driver_read(drv, "app-enrich-left-repartition",
                                    &rec) == KSTREAM_OK) {
        char kb[64];
        h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb));
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(kb, 4)),
                  "user %s in partition %d of the repartition topic", kb,
                  (int)kstream_record_partition(rec));
        n++;
    }
    cr_assert(eq(int, n, 9));
    kstream_test_driver_destroy(drv);
}

Test(join_enrich, enriched_events_are_partitioned_by_user)
{
    kstream_test_driver_t *drv = hs_driver(enrich_topology(), 1, false, NULL);
    hj_topics(drv, ORDERS, 3, USERS, 4, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, ENRICHED, 4),
                 KSTREAM_OK));
    h_pipe_ok(drv, USERS, "u1", "alice", 1);
    for (int i = 0; i < 12; i++) {
        char v[32];
        snprintf(v, sizeof(v), "u%d:o%d:item", i % 4, i);
        pipe_order(drv, v, 10 + i);
    }
    for (int i = 0; i < 12; i++) {
        char k[32], v[96];
        snprintf(k, sizeof(k), "u%d", i % 4);
        snprintf(v, sizeof(v), "u%d:o%d:item|%s", i % 4, i,
                 i % 4 == 1 ? "alice" : "unknown-user");
        const kstream_record_t *rec = h_expect(drv, ENRICHED, k, v);
        cr_assert(eq(i64, kstream_record_timestamp(rec), 10 + i));
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(k, 4)));
    }
    h_expect_empty(drv, ENRICHED);
    kstream_test_driver_destroy(drv);
}

Test(join_enrich, order_headers_survive_the_repartition_and_the_join)
{
    kstream_test_driver_t *drv = hs_driver(enrich_topology(), 0, false, NULL);
    hj_topics(drv, ORDERS, 3, USERS, 4, NULL);
    hj_pipe_h_ok(drv, USERS, "u1", "alice", 1, "source", "cdc");
    hj_pipe_h_ok(drv, ORDERS, "o1", "u1:o1:book", 2, "trace-id", "t-42");
    const kstream_record_t *rec =
            h_expect(drv, ENRICHED, "u1", "u1:o1:book|alice");
    hj_header_is(rec, 1, "trace-id", "t-42");
    kstream_test_driver_destroy(drv);
}

Test(join_enrich, describe_shows_the_repartition_and_the_join)
{
    kstream_topology_t *t = h_build(enrich_topology());
    char *text = hj_describe(t);
    cr_assert(eq(int, hj_subtopologies(text), 2), "%s", text);
    cr_assert(hj_line_has(text, "Sink", "enrich-left-repartition"), "%s",
              text);
    cr_assert(hj_line_has(text, "Source", "enrich-left-repartition"), "%s",
              text);
    cr_assert(hj_node_lists_store(text, "enrich", "users"), "%s", text);
    cr_assert(strstr(text, ENRICHED) != NULL, "%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}
