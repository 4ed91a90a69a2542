/* test_dedup.c - kstream_stream_deduplicate() through the test driver: a
 * record whose id was seen within the window (either direction of time) is
 * dropped and counted ("duplicates-dropped"); ids outside the window pass;
 * a NULL id keeps the record; ids are per partition; both store backends;
 * bad arguments. */
#include "helpers_state.h"

TestSuite(dedup, .timeout = 20);

/* The id is the value; values starting with '-' have no id (NULL). */
static kstream_err_t id_of_value(const kstream_record_t *rec,
                                 kstream_bytes_t *id, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (v.data != NULL && v.len > 0 && ((const char *)v.data)[0] == '-')
        *id = (kstream_bytes_t){NULL, 0};
    else
        *id = v;
    return KSTREAM_OK;
}

static kstream_builder_t *dedup_topology(int64_t window_ms)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_deduplicate(s, id_of_value, NULL, NULL, window_ms,
                                   "dedup");
    cr_assert(s != NULL, "deduplicate: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(dedup, repeated_ids_within_the_window_are_dropped)
ParameterizedTest(int *backend, dedup,
                  repeated_ids_within_the_window_are_dropped)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), *backend,
                                           false, NULL);
    h_pipe_ok(drv, "in", "k1", "x", 100);
    h_pipe_ok(drv, "in", "k2", "x", 105); /* same id, 5 later: dropped */
    h_pipe_ok(drv, "in", "k3", "y", 106);
    h_pipe_ok(drv, "in", "k4", "x", 200); /* far outside the window */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k1", "x", 100},
              {"k3", "y", 106}, {"k4", "x", 200});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(dedup, the_cache_does_not_delay_deduplicated_records)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 0, true,
                                           NULL);
    h_pipe_ok(drv, "in", "k1", "x", 100);
    h_pipe_ok(drv, "in", "k2", "x", 101);
    h_pipe_ok(drv, "in", "k3", "y", 102);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k1", "x", 100},
              {"k3", "y", 102});
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    h_pipe_ok(drv, "in", "k4", "x", 103); /* still a duplicate */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(dedup, an_idle_close_does_not_forget_seen_ids)
{
    /* window.idle.close.ms closes windows of windowed operations; the ids
     * a deduplication has seen stay "seen" for their window of time */
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 1, false,
                                           "window.idle.close.ms", "1000",
                                           NULL);
    h_pipe_ok(drv, "in", "k", "x", 100);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1100),
                 KSTREAM_OK));
    h_pipe_ok(drv, "in", "k", "y", 101);
    h_pipe_ok(drv, "in", "k", "x", 105); /* 5 after the first x */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "x", 100},
              {"k", "y", 101});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(dedup, the_window_looks_both_ways_in_time)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "k", "z", 300);
    h_pipe_ok(drv, "in", "k", "z", 295); /* earlier, within the window */
    h_pipe_ok(drv, "in", "k", "z", 250); /* earlier, outside it */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "z", 300},
              {"k", "z", 250});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(dedup, a_null_id_keeps_every_record)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "k", "-a", 1);
    h_pipe_ok(drv, "in", "k", "-a", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "-a", 1},
              {"k", "-a", 2});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

Test(dedup, ids_are_compared_as_bytes)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 1, false,
                                           NULL);
    h_pipe_ok(drv, "in", "k", "ab", 1);
    h_pipe_ok(drv, "in", "k", "a", 2);
    h_pipe_ok(drv, "in", "k", "abc", 3);
    h_pipe_ok(drv, "in", "k", "", 4); /* an empty id is an id */
    h_pipe_ok(drv, "in", "k", "", 5);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "ab", 1},
              {"k", "a", 2}, {"k", "abc", 3}, {"k", "", 4});
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

Test(dedup, ids_are_kept_per_partition)
{
    kstream_test_driver_t *drv = hs_driver(dedup_topology(10), 0, false,
                                           NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 0, "k", "x", 100);
    h_pipe_p_ok(drv, "in", 1, "k", "x", 101); /* other partition: kept */
    h_pipe_p_ok(drv, "in", 1, "k", "x", 102); /* same partition: dropped */
    cr_assert(eq(int, h_drain(drv, "out"), 2));
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 1));
    kstream_test_driver_destroy(drv);
}

static kstream_err_t failing_id(const kstream_record_t *rec,
                                kstream_bytes_t *id, void *opaque)
{
    (void)opaque;
    if (h_bytes_is(kstream_record_value(rec), "bad"))
        return KSTREAM_ERR_USER;
    *id = kstream_record_value(rec);
    return KSTREAM_OK;
}

Test(dedup, an_id_extractor_error_goes_to_the_processing_handler)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_deduplicate(s, failing_id, NULL, NULL, 10, "dedup");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(
            b, 1, false, "processing.exception.handler", "continue", NULL);
    h_pipe_ok(drv, "in", "k", "bad", 1);
    h_pipe_ok(drv, "in", "k", "ok", 2);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k", "ok", 2});
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 1));
    cr_assert(eq(i64, h_metric(drv, "duplicates-dropped"), 0));
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ---------------------------------------------------------- */

Test(dedup, deduplicate_rejects_bad_arguments)
{
    cr_assert(kstream_stream_deduplicate(NULL, id_of_value, NULL, NULL, 10,
                                         "d") == NULL);
    int64_t windows[] = {0, -1};
    for (int i = 0; i < 2; i++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
        cr_assert(kstream_stream_deduplicate(s, id_of_value, NULL, NULL,
                                             windows[i], "d") == NULL,
                  "window %lld accepted", (long long)windows[i]);
        char errstr[512];
        h_build_fails(b, errstr, sizeof(errstr));
    }
}

Test(dedup, a_null_id_extractor_fails_naming_the_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(kstream_stream_deduplicate(s, NULL, NULL, NULL, 10, "bad-op") ==
              NULL);
    cr_assert(kstream_builder_error(b) != NULL);
    hs_build_fails_naming(b, "deduplicate", "dedup", "bad-op");
}

Test(dedup, deduplicate_without_a_name_fails_naming_the_operator)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_deduplicate(s, id_of_value, NULL, NULL, 10, NULL);
    if (s != NULL)
        kstream_stream_to(s, "out", NULL);
    hs_build_fails_naming(b, "deduplicate", "dedup", NULL);
}
