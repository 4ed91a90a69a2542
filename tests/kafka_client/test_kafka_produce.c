/* test_kafka_produce.c - the producing half of the librdkafka client
 * (kafka_client_produce.c): a produce window bounds what is queued and
 * not yet acknowledged, and every record's delivery report notes the
 * offset written to its topic, for one topic and several. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "kc_test.h"
#include "runtime/kafka_client_int.h"

TestSuite(kafka_produce, .timeout = 60);

static int64_t written(ks_client_t *c, const char *topic, int32_t p) {
    ks_tp_t tp = {topic, p};
    int64_t off = -2;
    cr_assert(eq(int, c->ops->written_offset(c, &tp, &off), KSTREAM_OK));
    return off;
}

/* With a window of 5, no produce() returns with more than 5 records
 * unacknowledged, and all of them arrive; with the window lifted, records
 * queue up to librdkafka's own limit without waiting. */
Test(kafka_produce, a_window_bounds_the_records_not_yet_acknowledged) {
    kc_mock_t *m = kc_mock_new("win", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-window");
    ks_client_t *c = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_kafka_client_t *kc = (ks_kafka_client_t *)c;
    char v[32];

    cr_assert(c->ops->produce_window != NULL);
    c->ops->produce_window(c, 5);
    for (int i = 0; i < 200; i++) {
        snprintf(v, sizeof(v), "w%d", i);
        cr_assert(eq(int, kc_produce(c, "win", i % 2, NULL, v, 10),
                     KSTREAM_OK));
        cr_assert(le(sz, kc->unacked, 5), "record %d: %zu unacknowledged",
                  i, kc->unacked);
        /* librdkafka's count: its records, plus a report event for
         * each batch acknowledged and not yet served. */
        cr_assert(le(int, rd_kafka_outq_len(kc->producer), 2 * 5),
                  "record %d: librdkafka holds %d", i,
                  rd_kafka_outq_len(kc->producer));
    }
    c->ops->produce_window(c, 0);
    for (int i = 0; i < 200; i++) {
        snprintf(v, sizeof(v), "u%d", i);
        cr_assert(eq(int, kc_produce(c, "win", i % 2, NULL, v, 10),
                     KSTREAM_OK));
    }
    /* Nothing served the reports in between: none was waited for. */
    cr_assert(le(sz, (size_t)200, kc->unacked), "%zu unacknowledged",
              kc->unacked);
    cr_assert(eq(int, c->ops->flush(c, 20000), KSTREAM_OK));
    cr_assert(eq(sz, kc->unacked, (size_t)0));
    cr_assert(eq(i64, written(c, "win", 0), 199));
    cr_assert(eq(i64, written(c, "win", 1), 199));

    kstream_conf_t *rconf = kc_conf_new(m, "kc-window-reader");
    ks_client_t *r = kc_client_new(rconf, KS_CLIENT_RESTORE);
    ks_tp_offset_t tps[2] = {{"win", 0, 0}, {"win", 1, 0}};
    cr_assert(eq(int, r->ops->assign(r, tps, 2), KSTREAM_OK));
    cr_assert(eq(int, kc_poll_count(r, 3000), 400));
    r->ops->destroy(r);
    kstream_conf_destroy(rconf);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

/* Records to two topics, interleaved: each report notes its own topic's
 * offset (the record's opaque is its topic's entry), and a topic never
 * produced to has none. */
Test(kafka_produce, reports_note_the_offsets_of_each_topic) {
    kc_mock_t *m = kc_mock_new("ta", 1, "tb", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-written");
    ks_client_t *c = kc_client_new(conf, KS_CLIENT_MAIN);

    for (int i = 0; i < 30; i++) {
        cr_assert(eq(int, kc_produce(c, "ta", 0, "k", "a", 10), KSTREAM_OK));
        if (i % 3 == 0)
            cr_assert(eq(int, kc_produce(c, "tb", 1, "k", "b", 10),
                         KSTREAM_OK));
    }
    cr_assert(eq(int, c->ops->flush(c, 20000), KSTREAM_OK));
    cr_assert(eq(i64, written(c, "ta", 0), 29));
    cr_assert(eq(i64, written(c, "tb", 1), 9));
    cr_assert(eq(i64, written(c, "tb", 0), -1));
    cr_assert(eq(i64, written(c, "tc", 0), -1));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}
