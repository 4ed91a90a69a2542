/* test_enrich.c - the enrich topology on the test driver with crafted
 * input: enrichment with and without orders, order updates that move an
 * order to another user (the subtractor), deletes and tombstones,
 * cancelled orders, segments, and deduplication by event_id. */
#include "helpers_enrich.h"

static he_t h;

static void setup(void)
{
    he_setup(&h);
}

static void teardown(void)
{
    he_teardown(&h);
}

TestSuite(enrich, .init = setup, .fini = teardown, .timeout = 60);

#define T0 1700000000000

Test(enrich, user_without_orders_gets_zeros)
{
    he_event(&h, "e1", "u1", "view", 0, T0);
    he_expect(&h, "e1", "u1", "view", 0, T0, 0, 0, "new");
    he_expect_none(&h);
    cr_assert(kstream_test_driver_is_empty(h.drv, ENRICH_DLQ_TOPIC));
}

Test(enrich, orders_of_the_user_are_counted)
{
    he_order(&h, 'r', 1, "u1", "paid", 1999, T0);
    he_order(&h, 'c', 2, "u1", "pending", 501, T0 + 1);
    he_order(&h, 'c', 3, "u2", "shipped", 700, T0 + 2);
    he_event(&h, "e1", "u1", "purchase", 2500, T0 + 3);
    he_event(&h, "e2", "u2", "click", 0, T0 + 4);
    he_event(&h, "e3", "u3", "refund", 100, T0 + 5);
    he_expect(&h, "e1", "u1", "purchase", 2500, T0 + 3, 2, 2500, "regular");
    he_expect(&h, "e2", "u2", "click", 0, T0 + 4, 1, 700, "regular");
    he_expect(&h, "e3", "u3", "refund", 100, T0 + 5, 0, 0, "new");
    he_expect_none(&h);
}

Test(enrich, event_before_the_orders_of_its_user)
{
    /* Processed in arrival order: the event sees no order yet. */
    he_event(&h, "e1", "u1", "view", 0, T0);
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0 + 1);
    he_event(&h, "e2", "u1", "view", 0, T0 + 2);
    he_expect(&h, "e1", "u1", "view", 0, T0, 0, 0, "new");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 2, 1, 1000, "regular");
}

Test(enrich, vip_threshold)
{
    he_order(&h, 'c', 1, "u1", "paid", 99999, T0);
    he_event(&h, "e1", "u1", "view", 0, T0 + 1);
    he_order(&h, 'c', 2, "u1", "paid", 1, T0 + 2);
    he_event(&h, "e2", "u1", "view", 0, T0 + 3);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 1, 1, 99999, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 3, 2, 100000, "vip");
}

Test(enrich, update_of_total_and_move_to_another_user)
{
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0);
    he_order(&h, 'c', 2, "u1", "paid", 2000, T0 + 1);
    he_order(&h, 'u', 1, "u1", "paid", 1500, T0 + 2); /* new total */
    he_event(&h, "e1", "u1", "view", 0, T0 + 3);
    he_order(&h, 'u', 2, "u2", "paid", 2000, T0 + 4); /* moves to u2 */
    he_event(&h, "e2", "u1", "view", 0, T0 + 5);
    he_event(&h, "e3", "u2", "view", 0, T0 + 6);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 3, 2, 3500, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 5, 1, 1500, "regular");
    he_expect(&h, "e3", "u2", "view", 0, T0 + 6, 1, 2000, "regular");
    enrich_stats_t s;
    kstream_bytes_t v;
    cr_assert_eq(kstream_test_driver_store_get(h.drv, ENRICH_STATS_STORE,
                                               "u1", 2, &v),
                 KSTREAM_OK);
    cr_assert_eq(enrich_stats_decode(v.data, v.len, &s), KSTREAM_OK);
    cr_assert(s.order_count == 1 && s.total_cents == 1500);
}

Test(enrich, delete_and_tombstone_remove_orders)
{
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0);
    he_order(&h, 'c', 2, "u1", "paid", 2000, T0 + 1);
    he_order(&h, 'c', 3, "u1", "paid", 4000, T0 + 2);
    he_order(&h, 'd', 1, "u1", "paid", 1000, T0 + 3); /* d ... */
    he_order(&h, 'x', 1, NULL, NULL, 0, T0 + 3);      /* ... its tombstone */
    he_event(&h, "e1", "u1", "view", 0, T0 + 4);
    he_order(&h, 'x', 2, NULL, NULL, 0, T0 + 5); /* a tombstone alone */
    he_event(&h, "e2", "u1", "view", 0, T0 + 6);
    he_order(&h, 'd', 3, "u1", "paid", 4000, T0 + 7);
    he_event(&h, "e3", "u1", "view", 0, T0 + 8);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 4, 2, 6000, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 6, 1, 4000, "regular");
    he_expect(&h, "e3", "u1", "view", 0, T0 + 8, 0, 0, "new");
    he_expect_none(&h);
    cr_assert(kstream_test_driver_is_empty(h.drv, ENRICH_DLQ_TOPIC));
    kstream_bytes_t v;
    cr_assert_eq(kstream_test_driver_store_get(h.drv, ENRICH_ORDERS_STORE,
                                               "x", 1, &v),
                 KSTREAM_ERR_NOT_FOUND);
}

Test(enrich, cancelled_orders_count_nothing)
{
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0);
    he_order(&h, 'c', 2, "u1", "paid", 2000, T0 + 1);
    he_order(&h, 'u', 2, "u1", "cancelled", 2000, T0 + 2);
    he_event(&h, "e1", "u1", "view", 0, T0 + 3);
    he_order(&h, 'c', 3, "u2", "cancelled", 5000, T0 + 4); /* born so */
    he_event(&h, "e2", "u2", "view", 0, T0 + 5);
    he_order(&h, 'u', 2, "u1", "paid", 2000, T0 + 6); /* reinstated */
    he_event(&h, "e3", "u1", "view", 0, T0 + 7);
    he_order(&h, 'u', 1, "u2", "cancelled", 1000, T0 + 8); /* both */
    he_event(&h, "e4", "u1", "view", 0, T0 + 9);
    he_event(&h, "e5", "u2", "view", 0, T0 + 10);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 3, 1, 1000, "regular");
    he_expect(&h, "e2", "u2", "view", 0, T0 + 5, 0, 0, "new");
    he_expect(&h, "e3", "u1", "view", 0, T0 + 7, 2, 3000, "regular");
    he_expect(&h, "e4", "u1", "view", 0, T0 + 9, 1, 2000, "regular");
    he_expect(&h, "e5", "u2", "view", 0, T0 + 10, 0, 0, "new");
    he_expect_none(&h);
}

Test(enrich, duplicate_within_ten_minutes_is_dropped)
{
    he_event(&h, "e1", "u1", "click", 0, T0);
    he_event(&h, "e1", "u1", "click", 0, T0); /* a retry: same record */
    he_event(&h, "e1", "u1", "click", 0, T0 + 9 * HE_MIN);
    he_event(&h, "e2", "u1", "view", 0, T0 + 9 * HE_MIN + 1);
    /* Exactly the window apart still counts as seen (inclusive). */
    he_event(&h, "e2", "u1", "view", 0, T0 + 19 * HE_MIN + 1);
    he_expect(&h, "e1", "u1", "click", 0, T0, 0, 0, "new");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 9 * HE_MIN + 1, 0, 0, "new");
    he_expect_none(&h);
    cr_assert_eq(he_metric(&h, "duplicates-dropped"), 3);
}

Test(enrich, same_event_id_after_ten_minutes_is_kept)
{
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0);
    he_event(&h, "e1", "u1", "purchase", 1000, T0 + 1);
    he_event(&h, "e1", "u1", "purchase", 1000, T0 + 10 * HE_MIN + 2);
    /* A dropped repeat is remembered at its own time too. */
    he_event(&h, "e2", "u1", "view", 0, T0 + 10 * HE_MIN + 3);
    he_event(&h, "e2", "u1", "view", 0, T0 + 15 * HE_MIN);
    he_event(&h, "e2", "u1", "view", 0, T0 + 21 * HE_MIN);
    he_event(&h, "e2", "u1", "view", 0, T0 + 31 * HE_MIN + 1);
    he_expect(&h, "e1", "u1", "purchase", 1000, T0 + 1, 1, 1000, "regular");
    he_expect(&h, "e1", "u1", "purchase", 1000, T0 + 10 * HE_MIN + 2, 1,
              1000, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 10 * HE_MIN + 3, 1, 1000,
              "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 31 * HE_MIN + 1, 1, 1000,
              "regular");
    he_expect_none(&h);
    cr_assert_eq(he_metric(&h, "duplicates-dropped"), 2);
}

Test(enrich, state_survives_a_restart)
{
    he_order(&h, 'c', 1, "u1", "paid", 1000, T0);
    he_event(&h, "e1", "u1", "view", 0, T0 + 1);
    cr_assert_eq(kstream_test_driver_restart(h.drv, false), KSTREAM_OK,
                 "%s", kstream_test_driver_last_error(h.drv));
    he_order(&h, 'c', 2, "u1", "paid", 500, T0 + 2);
    he_event(&h, "e1", "u1", "view", 0, T0 + 3); /* still a duplicate */
    he_event(&h, "e2", "u1", "view", 0, T0 + 4);
    he_expect(&h, "e1", "u1", "view", 0, T0 + 1, 1, 1000, "regular");
    he_expect(&h, "e2", "u1", "view", 0, T0 + 4, 2, 1500, "regular");
    he_expect_none(&h);
}
