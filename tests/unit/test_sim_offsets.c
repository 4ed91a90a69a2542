/* test_sim_offsets.c - the sim client's end_offset, written_offset and lag
 * (lib/testdriver/sim_client.c), which restore and checkpoints rely on. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "testdriver/sim.h"

static ks_sim_t *sim;
static void setup(void)
{
    sim = ks_sim_new();
    cr_assert_not_null(sim);
}
static void teardown(void)
{
    ks_sim_destroy(sim);
}
TestSuite(sim_offsets, .init = setup, .fini = teardown, .timeout = 10);

static void produce(ks_client_t *c, const char *topic, int32_t partition,
                    const char *key)
{
    ks_out_t out = {.topic = topic,
                    .partition = partition,
                    .key = key,
                    .key_len = strlen(key),
                    .value = "v",
                    .value_len = 1,
                    .timestamp = 1};
    cr_assert(eq(int, c->ops->produce(c, &out), KSTREAM_OK));
}

Test(sim_offsets, end_offset_follows_the_log)
{
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    ks_client_t *c = ks_sim_client_new(sim, NULL, NULL);
    ks_tp_t tp = {"t", 1};
    int64_t end = -5;
    cr_assert(eq(int, c->ops->end_offset(c, &tp, &end), KSTREAM_OK));
    cr_assert(eq(i64, end, 0));
    produce(c, "t", 1, "a");
    produce(c, "t", 1, "b");
    produce(c, "t", 0, "c");
    cr_assert(eq(int, c->ops->end_offset(c, &tp, &end), KSTREAM_OK));
    cr_assert(eq(i64, end, 2));
    ks_tp_t bad = {"t", 2}, none = {"nope", 0};
    cr_assert(eq(int, c->ops->end_offset(c, &bad, &end),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(int, c->ops->end_offset(c, &none, &end),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(eq(int, c->ops->end_offset(c, NULL, &end),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, c->ops->end_offset(c, &tp, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    c->ops->destroy(c);
}

Test(sim_offsets, written_offset_is_per_client_and_partition)
{
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 2), KSTREAM_OK));
    ks_client_t *a = ks_sim_client_new(sim, NULL, NULL);
    ks_client_t *b = ks_sim_client_new(sim, NULL, NULL);
    ks_tp_t t0 = {"t", 0}, t1 = {"t", 1};
    int64_t off = 0;
    cr_assert(eq(int, a->ops->written_offset(a, &t0, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, -1));
    produce(a, "t", 0, "x");  /* offset 0 */
    produce(b, "t", 0, "y");  /* offset 1 */
    produce(a, "t", 0, "z");  /* offset 2 */
    produce(b, "t", 0, "w");  /* offset 3 */
    produce(a, "u", -1, "k"); /* auto-created topic */
    cr_assert(eq(int, a->ops->written_offset(a, &t0, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, 2));
    cr_assert(eq(int, b->ops->written_offset(b, &t0, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, 3));
    cr_assert(eq(int, a->ops->written_offset(a, &t1, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, -1));
    ks_tp_t u0 = {"u", 0};
    cr_assert(eq(int, a->ops->written_offset(a, &u0, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, 0));
    cr_assert(eq(int, b->ops->written_offset(b, &u0, &off), KSTREAM_OK));
    cr_assert(eq(i64, off, -1));
    a->ops->destroy(a);
    b->ops->destroy(b);
}

Test(sim_offsets, lag_of_an_assigned_partition)
{
    cr_assert(eq(int, ks_sim_create_topic(sim, "t", 1), KSTREAM_OK));
    ks_client_t *c = ks_sim_client_new(sim, NULL, NULL);
    for (int i = 0; i < 5; i++)
        produce(c, "t", 0, "k");
    ks_tp_t tp = {"t", 0};
    int64_t lag = 0;
    cr_assert(eq(int, c->ops->lag(c, &tp, &lag), KSTREAM_ERR_STATE));
    cr_assert(eq(i64, lag, -1));
    ks_tp_offset_t from = {"t", 0, 2};
    cr_assert(eq(int, c->ops->assign(c, &from, 1), KSTREAM_OK));
    cr_assert(eq(int, c->ops->lag(c, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, lag, 3));
    ks_msg_t msgs[2];
    size_t n = 0;
    cr_assert(eq(int, c->ops->poll(c, msgs, 2, &n, 0), KSTREAM_OK));
    cr_assert(eq(sz, n, 2));
    cr_assert(eq(int, c->ops->lag(c, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, lag, 1));
    cr_assert(eq(int, c->ops->poll(c, msgs, 2, &n, 0), KSTREAM_OK));
    cr_assert(eq(int, c->ops->lag(c, &tp, &lag), KSTREAM_OK));
    cr_assert(eq(i64, lag, 0));
    c->ops->destroy(c);
}
