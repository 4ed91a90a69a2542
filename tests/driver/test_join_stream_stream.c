/* test_join_stream_stream.c - windowed stream-stream joins through the
 * test driver (Kafka Streams' KStreamKStreamJoin with KIP-633): inner,
 * left and outer joins, symmetric / asymmetric / zero windows and their
 * inclusive bounds, out-of-order records within grace, late records past
 * grace (dropped and counted), unmatched records emitted only once their
 * window has closed and never when they matched, result timestamps and
 * headers, NULL keys, stream time per partition, several partitions,
 * co-partitioning, describe() and builder errors. Written from
 * include/kstream/join.h.
 *
 * A left record at t joins right records in [t - before, t + after]; its
 * window closes (left/outer joins emit it unmatched) when stream time
 * passes t + after + grace; a right record at t mirrors that with before
 * and after swapped. A record is late (dropped and counted) when it is
 * older than stream time - (before + after + grace): what Kafka Streams'
 * join window stores keep. */
#include "helpers_join.h"

TestSuite(join_stream_stream, .timeout = 20);

#define LEFT "impressions"
#define RIGHT "clicks"

/* impressions join clicks as "ss" -> out */
static kstream_builder_t *ss_topology(kstream_join_kind_t kind,
                                      kstream_join_windows_t w)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, LEFT, NULL);
    kstream_stream_t *r = kstream_builder_stream(b, RIGHT, NULL);
    kstream_stream_t *j = kstream_stream_join_stream(l, r, w, kind, hj_joiner,
                                                     NULL, NULL, "ss");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    cr_assert(eq(int, kstream_stream_to(j, "out", NULL), KSTREAM_OK));
    return b;
}

static kstream_test_driver_t *ss_driver(kstream_join_kind_t kind,
                                        kstream_join_windows_t w, int backend)
{
    return hs_driver(ss_topology(kind, w), backend, false, NULL);
}

/* ---- inner joins and windows ---------------------------------------------- */

HS_BACKEND_PARAMS(join_stream_stream, inner_join_matches_in_both_directions)
ParameterizedTest(int *backend, join_stream_stream,
                  inner_join_matches_in_both_directions)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 100), *backend);
    h_pipe_ok(drv, LEFT, "A", "l1", 100);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "A", "r1", 105); /* joins l1 */
    h_pipe_ok(drv, LEFT, "A", "l2", 108);  /* joins r1 */
    h_pipe_ok(drv, RIGHT, "B", "r2", 109); /* other key */
    h_pipe_ok(drv, LEFT, "A", "l3", 120);  /* r1 is 15 away */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l1/r1", 105},
              {"A", "l2/r1", 108});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, window_bounds_are_inclusive)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 1000), 1);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "A", "r90", 90);
    h_pipe_ok(drv, RIGHT, "A", "r89", 89);
    h_pipe_ok(drv, RIGHT, "A", "r110", 110);
    h_pipe_ok(drv, RIGHT, "A", "r111", 111);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r90", 100},
              {"A", "l/r110", 110});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_stream, asymmetric_windows_bound_each_side)
ParameterizedTest(int *backend, join_stream_stream,
                  asymmetric_windows_bound_each_side)
{
    /* a left record at t joins right records in [t - 5, t + 10] */
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows_asym(5, 10, 1000),
            *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "A", "r95", 95);
    h_pipe_ok(drv, RIGHT, "A", "r94", 94);
    h_pipe_ok(drv, RIGHT, "A", "r110", 110);
    h_pipe_ok(drv, RIGHT, "A", "r111", 111);
    /* the same bounds seen from a right record that came first */
    h_pipe_ok(drv, RIGHT, "B", "r", 200);
    h_pipe_ok(drv, LEFT, "B", "l190", 190); /* [185, 200] */
    h_pipe_ok(drv, LEFT, "B", "l189", 189); /* [184, 199] */
    h_pipe_ok(drv, LEFT, "B", "l205", 205); /* [200, 215] */
    h_pipe_ok(drv, LEFT, "B", "l206", 206); /* [201, 216] */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r95", 100},
              {"A", "l/r110", 110}, {"B", "l190/r", 200},
              {"B", "l205/r", 205});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, asymmetric_windows_bound_right_records_arriving_second)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows_asym(5, 10, 1000), 0);
    h_pipe_ok(drv, LEFT, "C", "lc", 300);     /* joins [295, 310] */
    h_pipe_ok(drv, RIGHT, "C", "r295", 295);
    h_pipe_ok(drv, RIGHT, "C", "r294", 294);
    h_pipe_ok(drv, RIGHT, "C", "r310", 310);
    h_pipe_ok(drv, RIGHT, "C", "r311", 311);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"C", "lc/r295", 300},
              {"C", "lc/r310", 310});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, a_record_joins_every_match_in_its_window)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 1000), 1);
    h_pipe_ok(drv, RIGHT, "A", "r1", 100);
    h_pipe_ok(drv, RIGHT, "A", "r2", 103);
    h_pipe_ok(drv, RIGHT, "A", "r2b", 103); /* same key and time */
    h_pipe_ok(drv, RIGHT, "A", "r3", 200);
    h_pipe_ok(drv, LEFT, "A", "l", 101);
    HS_EXPECT_SET(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r1", 101},
                  {"A", "l/r2", 103}, {"A", "l/r2b", 103});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, zero_window_joins_equal_timestamps_only)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(0, 1000), 0);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "A", "r99", 99);
    h_pipe_ok(drv, RIGHT, "A", "r100", 100);
    h_pipe_ok(drv, RIGHT, "A", "r101", 101);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r100", 100});
    kstream_test_driver_destroy(drv);
}

/* ---- out-of-order and late records ------------------------------------------ */

HS_BACKEND_PARAMS(join_stream_stream, out_of_order_records_within_grace_join)
ParameterizedTest(int *backend, join_stream_stream,
                  out_of_order_records_within_grace_join)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 20), *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 125);  /* stream time 125 */
    h_pipe_ok(drv, RIGHT, "A", "r", 96);   /* 96 + 10 + 20 >= 125 */
    h_pipe_ok(drv, LEFT, "B", "lb", 110);  /* out of order */
    h_pipe_ok(drv, RIGHT, "B", "rb", 112); /* out of order */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r", 100},
              {"B", "lb/rb", 112});
    cr_assert(eq(i64, hj_dropped(drv), 0));
    kstream_test_driver_destroy(drv);
}

/* Kafka Streams' join window stores keep before + after + grace ms
 * behind stream time: a record older than that is late (dropped and
 * counted) even where it would match a record still kept. */
Test(join_stream_stream, a_record_is_late_once_older_than_windows_and_grace)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 20), 1);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 131);  /* stream time 131 */
    h_pipe_ok(drv, RIGHT, "A", "r91", 91); /* 131 - 40 = 91: in time */
    h_pipe_ok(drv, RIGHT, "A", "r90", 90); /* older: late, not joined */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r91", 100});
    cr_assert(eq(i64, hj_dropped(drv), 1));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_stream, late_records_past_grace_are_dropped)
ParameterizedTest(int *backend, join_stream_stream,
                  late_records_past_grace_are_dropped)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 5), *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 200); /* stream time 200 */
    h_pipe_ok(drv, RIGHT, "A", "r", 100); /* late: would join l */
    h_pipe_ok(drv, LEFT, "A", "l2", 150); /* late */
    h_pipe_ok(drv, RIGHT, "A", "r2", 190); /* in time, joins nothing */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, hj_dropped(drv), 2),
              "late records dropped: %lld, expected 2",
              (long long)hj_dropped(drv));
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, left_join_late_record_gets_no_null_result)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 5), 1);
    h_pipe_ok(drv, LEFT, "A", "l1", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 200); /* closes l1's window */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l1/null", 100});
    h_pipe_ok(drv, LEFT, "A", "l2", 150); /* late: dropped, no result */
    h_pipe_ok(drv, RIGHT, "X", "x2", 400);
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, hj_dropped(drv), 1));
    kstream_test_driver_destroy(drv);
}

/* ---- left joins (KIP-633) ---------------------------------------------------- */

HS_BACKEND_PARAMS(join_stream_stream,
                  left_join_emits_unmatched_left_only_after_its_window_closes)
ParameterizedTest(int *backend, join_stream_stream,
                  left_join_emits_unmatched_left_only_after_its_window_closes)
{
    /* l at 100 closes when stream time passes 100 + 10 + 5 */
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 5), *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "X", "x1", 110);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "X", "x2", 115);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "X", "x3", 116);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/null", 100});
    h_pipe_ok(drv, RIGHT, "X", "x4", 300); /* once only; right-only: never */
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_stream,
                  left_join_never_emits_a_null_result_for_a_matched_record)
ParameterizedTest(int *backend, join_stream_stream,
                  left_join_never_emits_a_null_result_for_a_matched_record)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 5), *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "A", "r", 105);
    h_pipe_ok(drv, RIGHT, "B", "r-first", 120); /* matched on arrival of */
    h_pipe_ok(drv, LEFT, "B", "lb", 121);        /* the left record */
    h_pipe_ok(drv, RIGHT, "X", "x", 300);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r", 105},
              {"B", "lb/r-first", 121});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, left_join_match_within_grace_prevents_the_null_result)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 20), 0);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 125); /* window ended, grace has not */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "A", "r", 105); /* out of order, in time */
    h_pipe_ok(drv, RIGHT, "X", "x2", 300);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r", 105});
    kstream_test_driver_destroy(drv);
}

/* An unmatched left record that arrives out of order, after its window's
 * end but within grace, may still be matched: no null result before
 * stream time passes its time + window + grace (never spuriously). */
Test(join_stream_stream, out_of_order_left_record_is_not_given_up_within_grace)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 20), 1);
    h_pipe_ok(drv, RIGHT, "X", "x", 125);  /* stream time 125 */
    h_pipe_ok(drv, LEFT, "B", "lb", 110);  /* window [100, 120] has ended */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "B", "rb", 115); /* still in time: matches */
    h_pipe_ok(drv, RIGHT, "X", "x2", 300);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "lb/rb", 115});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, out_of_order_unmatched_left_is_emitted_once_grace_passes)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 20), 0);
    h_pipe_ok(drv, RIGHT, "X", "x", 125);
    h_pipe_ok(drv, LEFT, "C", "lc", 110);  /* closes after 110 + 30 */
    h_pipe_ok(drv, RIGHT, "X", "x2", 140);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "X", "x3", 141);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"C", "lc/null", 110});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, inner_join_never_emits_unmatched_records)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "B", "r", 100);
    h_pipe_ok(drv, LEFT, "Z", "z", 1000);
    h_pipe_ok(drv, RIGHT, "Z", "z2", 2000);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* Two unmatched left records with the same key and time are two
 * records: each gets its null result. */
Test(join_stream_stream, left_join_emits_every_unmatched_duplicate)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 0), 0);
    h_pipe_ok(drv, LEFT, "A", "l1", 100);
    h_pipe_ok(drv, LEFT, "A", "l2", 100);
    h_pipe_ok(drv, RIGHT, "X", "x", 200);
    HS_EXPECT_SET(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l1/null", 100},
                  {"A", "l2/null", 100});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, a_late_match_matches_every_duplicate)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, LEFT, "A", "l1", 100);
    h_pipe_ok(drv, LEFT, "A", "l2", 100);
    h_pipe_ok(drv, RIGHT, "A", "r", 105);
    h_pipe_ok(drv, RIGHT, "X", "x", 200);
    HS_EXPECT_SET(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l1/r", 105},
                  {"A", "l2/r", 105});
    kstream_test_driver_destroy(drv);
}

/* Windows reaching below time 0 hold what lies at and above 0; a record
 * meets its matches in time order. */
Test(join_stream_stream, windows_near_time_zero)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 1000), 1);
    h_pipe_ok(drv, RIGHT, "A", "r0", 0);
    h_pipe_ok(drv, LEFT, "A", "l5", 5);
    h_pipe_ok(drv, LEFT, "A", "l0", 0);
    h_pipe_ok(drv, RIGHT, "A", "r3", 3);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l5/r0", 5},
              {"A", "l0/r0", 0}, {"A", "l0/r3", 3}, {"A", "l5/r3", 5});
    kstream_test_driver_destroy(drv);
}

/* A late record is dropped, not kept: an in-time record of the other
 * side whose window reaches it does not join it. */
Test(join_stream_stream, late_records_are_not_kept_for_later_matches)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 5), 0);
    h_pipe_ok(drv, LEFT, "X", "x", 200);  /* keeps 175 and later */
    h_pipe_ok(drv, LEFT, "A", "l", 170);  /* late */
    h_pipe_ok(drv, RIGHT, "A", "r", 178); /* in time, window [168, 188] */
    h_expect_empty(drv, "out");
    cr_assert(eq(i64, hj_dropped(drv), 1));
    kstream_test_driver_destroy(drv);
}

/* A record emitted unmatched is done: a record of the other side that
 * arrives later, still in time and within reach, does not join it (no
 * record gets both a null result and a match). */
Test(join_stream_stream, a_record_emitted_unmatched_is_never_matched_later)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, RIGHT, "B", "r", 100);
    h_pipe_ok(drv, LEFT, "X", "x", 111); /* closes r: 100 + 10 < 111 */
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "null/r", 100});
    h_pipe_ok(drv, LEFT, "B", "l", 105); /* in time; window [95, 115] */
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, RIGHT, "Y", "y", 200);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "l/null", 105},
              {"X", "x/null", 111});
    kstream_test_driver_destroy(drv);
}

/* ---- outer joins -------------------------------------------------------------- */

HS_BACKEND_PARAMS(join_stream_stream,
                  outer_join_emits_unmatched_records_of_both_sides_after_close)
ParameterizedTest(int *backend, join_stream_stream,
                  outer_join_emits_unmatched_records_of_both_sides_after_close)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows(10, 0), *backend);
    h_pipe_ok(drv, LEFT, "A", "l", 100);  /* closes after 110 */
    h_pipe_ok(drv, RIGHT, "B", "r", 103); /* closes after 113 */
    h_pipe_ok(drv, LEFT, "C", "c", 113);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/null", 100});
    h_pipe_ok(drv, LEFT, "C", "c2", 114);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "null/r", 103});
    h_pipe_ok(drv, RIGHT, "D", "d", 200);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"C", "c/null", 113},
              {"C", "c2/null", 114});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, outer_join_never_emits_null_results_for_matches)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "A", "r", 101);
    h_pipe_ok(drv, RIGHT, "B", "r2", 150);
    h_pipe_ok(drv, LEFT, "B", "l2", 152);
    h_pipe_ok(drv, LEFT, "Z", "z", 300);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r", 101},
              {"B", "l2/r2", 152});
    kstream_test_driver_destroy(drv);
}

/* Asymmetric windows close each side at its own time: a left record at t
 * after t + after + grace, a right record at t after t + before + grace. */
Test(join_stream_stream, outer_join_closes_each_side_by_its_own_bound)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows_asym(5, 20, 0), 0);
    h_pipe_ok(drv, LEFT, "A", "l", 100);  /* closes after 120 */
    h_pipe_ok(drv, RIGHT, "B", "r", 100); /* closes after 105 */
    h_pipe_ok(drv, LEFT, "Y", "y", 106);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"B", "null/r", 100});
    h_pipe_ok(drv, LEFT, "Y", "y2", 120);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, LEFT, "Y", "y3", 121);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/null", 100});
    kstream_test_driver_destroy(drv);
}

/* ---- headers --------------------------------------------------------------------- */

Test(join_stream_stream, result_carries_the_left_records_headers)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 100), 1);
    hj_pipe_h_ok(drv, LEFT, "A", "l", 100, "src", "left");
    hj_pipe_h_ok(drv, RIGHT, "A", "r", 101, "src", "right");
    const kstream_record_t *rec = h_expect(drv, "out", "A", "l/r");
    hj_header_is(rec, 1, "src", "left");
    hj_pipe_h_ok(drv, RIGHT, "B", "r2", 110, "src", "right");
    hj_pipe_h_ok(drv, LEFT, "B", "l2", 111, "src", "left");
    rec = h_expect(drv, "out", "B", "l2/r2");
    hj_header_is(rec, 1, "src", "left");
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, unmatched_results_carry_their_own_records_headers)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows(10, 0), 1);
    hj_pipe_h_ok(drv, LEFT, "A", "l", 100, "src", "left");
    hj_pipe_h_ok(drv, RIGHT, "B", "r", 103, "src", "right");
    hj_pipe_h_ok(drv, LEFT, "Z", "z", 200, "src", "trigger");
    const kstream_record_t *rec = h_expect(drv, "out", "A", "l/null");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 100));
    hj_header_is(rec, 1, "src", "left");
    rec = h_expect(drv, "out", "B", "null/r");
    cr_assert(eq(i64, kstream_record_timestamp(rec), 103));
    hj_header_is(rec, 1, "src", "right");
    kstream_test_driver_destroy(drv);
}

/* ---- NULL keys ---------------------------------------------------------------------- */

static void null_keys_are_skipped(kstream_join_kind_t kind)
{
    kstream_test_driver_t *drv =
            ss_driver(kind, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, LEFT, NULL, "l", 100);
    h_pipe_ok(drv, RIGHT, NULL, "r", 100);
    h_pipe_ok(drv, LEFT, "Z", "z", 1000);
    h_pipe_ok(drv, RIGHT, "Z", "z2", 1000);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"Z", "z/z2", 1000});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, inner_join_skips_and_counts_null_keys)
{
    null_keys_are_skipped(KSTREAM_JOIN_INNER);
}

Test(join_stream_stream, left_join_skips_and_counts_null_keys)
{
    null_keys_are_skipped(KSTREAM_JOIN_LEFT);
}

Test(join_stream_stream, outer_join_skips_and_counts_null_keys)
{
    null_keys_are_skipped(KSTREAM_JOIN_OUTER);
}

/* Records without a value have nothing to join: skipped and counted,
 * and a left join never emits them (Kafka Streams). */
Test(join_stream_stream, null_values_are_skipped_and_counted)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_OUTER, kstream_join_windows(10, 0), 1);
    h_pipe_ok(drv, LEFT, "A", NULL, 100);
    h_pipe_ok(drv, RIGHT, "A", NULL, 101);
    h_pipe_ok(drv, LEFT, "A", "l", 102);
    h_pipe_ok(drv, RIGHT, "A", "r", 103);
    h_pipe_ok(drv, LEFT, "Z", "z", 500);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/r", 103});
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 2));
    kstream_test_driver_destroy(drv);
}

/* Join stores are not cached: the results do not depend on the cache. */
HJ_BACKEND_CACHE_PARAMS(join_stream_stream,
                        left_join_results_do_not_depend_on_the_cache)
ParameterizedTest(int *idx, join_stream_stream,
                  left_join_results_do_not_depend_on_the_cache)
{
    kstream_test_driver_t *drv =
            hs_driver(ss_topology(KSTREAM_JOIN_LEFT, kstream_join_windows(10, 5)),
                      hj_backend(*idx), hj_cache(*idx), NULL);
    h_pipe_ok(drv, LEFT, "A", "l1", 100);
    h_pipe_ok(drv, LEFT, "B", "l2", 101);
    h_pipe_ok(drv, RIGHT, "A", "r1", 104);
    h_pipe_ok(drv, RIGHT, "A", "r2", 108);
    h_pipe_ok(drv, LEFT, "C", "l3", 120); /* closes l2 (101 + 15 < 120) */
    h_pipe_ok(drv, RIGHT, "C", "r3", 125);
    h_pipe_ok(drv, RIGHT, "X", "x", 200);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l1/r1", 104},
              {"A", "l1/r2", 108}, {"B", "l2/null", 101},
              {"C", "l3/r3", 125});
    kstream_test_driver_destroy(drv);
}

/* ---- partitions -------------------------------------------------------------------------- */

Test(join_stream_stream, stream_time_is_kept_per_partition)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_LEFT, kstream_join_windows(10, 0), 1);
    hj_topics(drv, LEFT, 2, RIGHT, 2, NULL);
    h_pipe_p_ok(drv, LEFT, 0, "A", "l", 100);
    h_pipe_p_ok(drv, RIGHT, 1, "B", "x", 500); /* partition 1's time only */
    h_expect_empty(drv, "out");
    h_pipe_p_ok(drv, RIGHT, 0, "C", "y", 300);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"A", "l/null", 100});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(join_stream_stream, each_partition_joins_its_own_keys)
ParameterizedTest(int *backend, join_stream_stream,
                  each_partition_joins_its_own_keys)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 100), *backend);
    hj_topics(drv, LEFT, 3, RIGHT, 3, NULL);
    bool used[3] = {false, false, false};
    for (int i = 0; i < 6; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "l%d", i);
        used[h_partition_of(k, 3)] = true;
        h_pipe_ok(drv, LEFT, k, v, 100 + i);
    }
    cr_assert(used[0] && used[1] && used[2], "keys do not cover 3 partitions");
    for (int i = 5; i >= 0; i--) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "r%d", i);
        h_pipe_ok(drv, RIGHT, k, v, 101 + i);
    }
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"k5", "l5/r5", 106},
              {"k4", "l4/r4", 105}, {"k3", "l3/r3", 104},
              {"k2", "l2/r2", 103}, {"k1", "l1/r1", 102},
              {"k0", "l0/r0", 101});
    kstream_test_driver_destroy(drv);
}

Test(join_stream_stream, inputs_with_different_partition_counts_fail_at_start)
{
    kstream_test_driver_t *drv = ss_driver(
            KSTREAM_JOIN_INNER, kstream_join_windows(10, 0), 1);
    hj_topics(drv, LEFT, 3, RIGHT, 2, NULL);
    hj_pipe_fails_naming(drv, LEFT, "A", LEFT, RIGHT);
    kstream_test_driver_destroy(drv);
}

/* ---- describe ---------------------------------------------------------------------------- */

Test(join_stream_stream, describe_shows_the_join_and_its_window_stores)
{
    kstream_topology_t *t = h_build(
            ss_topology(KSTREAM_JOIN_OUTER, kstream_join_windows(10, 5)));
    char *text = hj_describe(t);
    cr_assert(hj_line_has(text, "Processor: ", "ss"),
              "no join processor named after 'ss':\n%s", text);
    cr_assert(hj_node_lists_store(text, "ss", "ss"),
              "the join processors list no store named after 'ss':\n%s",
              text);
    cr_assert(eq(int, hj_subtopologies(text), 1),
              "co-partitioned inputs join in one sub-topology:\n%s", text);
    cr_assert(strstr(text, LEFT) != NULL && strstr(text, RIGHT) != NULL,
              "%s", text);
    cr_assert(strstr(text, "repartition") == NULL,
              "no key changed: no repartition topic:\n%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

Test(join_stream_stream, describe_mermaid_draws_the_join)
{
    kstream_topology_t *t = h_build(
            ss_topology(KSTREAM_JOIN_LEFT, kstream_join_windows(10, 5)));
    char *m = kstream_topology_describe(t, KSTREAM_DESCRIBE_MERMAID);
    cr_assert(m != NULL);
    cr_assert(strncmp(m, "flowchart", 9) == 0, "%s", m);
    cr_assert(strstr(m, "ss") != NULL && strstr(m, LEFT) != NULL &&
                      strstr(m, RIGHT) != NULL,
              "%s", m);
    kstream_free(m);
    kstream_topology_destroy(t);
}

/* The join's stores are named after it and changelogged as
 * "<application.id>-<store>-changelog". */
Test(join_stream_stream, join_stores_are_named_after_the_join_and_logged)
{
    kstream_topology_t *t = h_build(
            ss_topology(KSTREAM_JOIN_OUTER, kstream_join_windows(10, 5)));
    char *text = hj_describe(t);
    kstream_test_driver_t *drv = h_driver_t(t, "application.id", "app",
                                            NULL);
    h_pipe_ok(drv, LEFT, "A", "l", 100);
    h_pipe_ok(drv, RIGHT, "B", "r", 101);
    /* (the default cache holds table updates until a commit) */
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    size_t n = hj_assert_join_changelogs(drv, text, "ss");
    cr_assert(n >= 2, "the join lists %zu stores named after it:\n%s", n,
              text);
    kstream_free(text);
    kstream_test_driver_destroy(drv);
}

/* ---- builder errors ---------------------------------------------------------------------- */

static kstream_stream_t *ss_try(kstream_builder_t *b, kstream_join_windows_t w,
                                kstream_join_kind_t kind,
                                kstream_joiner_cb *joiner, const char *name)
{
    kstream_stream_t *l = kstream_builder_stream(b, LEFT, NULL);
    kstream_stream_t *r = kstream_builder_stream(b, RIGHT, NULL);
    return kstream_stream_join_stream(l, r, w, kind, joiner, NULL, NULL,
                                      name);
}

Test(join_stream_stream, negative_time_difference_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows(-1, 0), KSTREAM_JOIN_INNER,
                       hj_joiner, "ss"),
                "window -1", NULL, NULL);
}

Test(join_stream_stream, negative_before_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows_asym(-5, 10, 0),
                       KSTREAM_JOIN_INNER, hj_joiner, "ss"),
                "before -5", NULL, NULL);
}

Test(join_stream_stream, negative_after_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows_asym(5, -10, 0),
                       KSTREAM_JOIN_LEFT, hj_joiner, "ss"),
                "after -10", NULL, NULL);
}

Test(join_stream_stream, negative_grace_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows(10, -1), KSTREAM_JOIN_OUTER,
                       hj_joiner, "ss"),
                "grace -1", "grace", NULL);
}

Test(join_stream_stream, null_joiner_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER,
                       NULL, "ss"),
                "NULL joiner", "joiner", NULL);
}

Test(join_stream_stream, missing_name_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER,
                       hj_joiner, NULL),
                "join without a name", "name", NULL);
}

Test(join_stream_stream, unknown_kind_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    hj_rejected(b,
                ss_try(b, kstream_join_windows(10, 0),
                       (kstream_join_kind_t)5, hj_joiner, "ss"),
                "join kind 5", NULL, NULL);
}

Test(join_stream_stream, null_other_stream_is_rejected)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *l = kstream_builder_stream(b, LEFT, NULL);
    kstream_stream_t *j = kstream_stream_join_stream(
            l, NULL, kstream_join_windows(10, 0), KSTREAM_JOIN_INNER,
            hj_joiner, NULL, NULL, "ss");
    hj_rejected(b, j, "NULL right stream", NULL, NULL);
}

Test(join_stream_stream, window_makers_fill_the_plain_value)
{
    kstream_join_windows_t w = kstream_join_windows(10, 3);
    cr_assert(eq(i64, w.before_ms, 10));
    cr_assert(eq(i64, w.after_ms, 10));
    cr_assert(eq(i64, w.grace_ms, 3));
    w = kstream_join_windows_asym(4, 7, 2);
    cr_assert(eq(i64, w.before_ms, 4));
    cr_assert(eq(i64, w.after_ms, 7));
    cr_assert(eq(i64, w.grace_ms, 2));
}
