/* test_kafka_assign.c - the restore and global clients (manual assignment,
 * no group, no producer) on librdkafka's mock cluster: reading from an
 * offset, pause/resume, seek, and the calls they refuse. A main client that
 * never subscribes writes the records. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "kc_test.h"

TestSuite(kafka_assign, .timeout = 30);



Test(kafka_assign, restore_reads_from_the_given_offset_and_seeks) {
    kc_mock_t *m = kc_mock_new("log", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-restore");
    ks_client_t *w = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_client_t *r = kc_client_new(conf, KS_CLIENT_RESTORE);
    ks_tp_offset_t from = {"log", 1, 3};
    ks_tp_t tp = {"log", 1};
    kc_rec_t recs[16];
    int64_t end = -1;

    kc_fill(w, "log", 1, 8, "r");
    cr_assert(eq(int, r->ops->end_offset(r, &tp, &end), KSTREAM_OK));
    cr_assert(eq(i64, end, 8));

    cr_assert(eq(int, r->ops->assign(r, &from, 1), KSTREAM_OK));
    int n = kc_poll_records(r, recs, 5, 10000);
    cr_assert(eq(int, n, 5));
    for (int i = 0; i < n; i++) {
        char want[8];
        snprintf(want, sizeof(want), "r%d", i + 3);
        cr_assert(eq(i64, recs[i].offset, i + 3));
        cr_assert(eq(i32, recs[i].partition, 1));
        cr_assert(eq(str, recs[i].value, want));
    }
    cr_assert(eq(int, kc_poll_count(r, 200), 0));

    /* Seek back: the next poll starts there. */
    ks_tp_offset_t back = {"log", 1, 6};
    cr_assert(eq(int, r->ops->seek(r, &back), KSTREAM_OK));
    n = kc_poll_records(r, recs, 2, 10000);
    cr_assert(eq(int, n, 2));
    cr_assert(eq(i64, recs[0].offset, 6));
    cr_assert(eq(i64, recs[1].offset, 7));

    /* Replacing the assignment by nothing stops the records. */
    cr_assert(eq(int, r->ops->assign(r, NULL, 0), KSTREAM_OK));
    kc_fill(w, "log", 1, 2, "late");
    cr_assert(eq(int, kc_poll_count(r, 300), 0));

    r->ops->destroy(r);
    w->ops->destroy(w);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

Test(kafka_assign, pause_stops_a_partition_and_resume_brings_it_back) {
    kc_mock_t *m = kc_mock_new("log", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-pause");
    ks_client_t *w = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_client_t *g = kc_client_new(conf, KS_CLIENT_GLOBAL);
    ks_tp_offset_t both[2] = {{"log", 0, -1}, {"log", 1, -1}};
    ks_tp_t p0 = {"log", 0};
    kc_rec_t recs[16];

    /* -1: from the beginning. */
    kc_fill(w, "log", 0, 2, "a");
    cr_assert(eq(int, g->ops->assign(g, both, 2), KSTREAM_OK));
    cr_assert(eq(int, kc_poll_records(g, recs, 2, 10000), 2));
    cr_assert(eq(str, recs[0].value, "a0"));

    cr_assert(eq(int, g->ops->pause(g, &p0), KSTREAM_OK));
    kc_fill(w, "log", 0, 3, "p");
    kc_fill(w, "log", 1, 2, "q");
    int n = kc_poll_records(g, recs, 16, 1500);
    cr_assert(eq(int, n, 2), "only the unpaused partition's records");
    for (int i = 0; i < n; i++)
        cr_assert(eq(i32, recs[i].partition, 1));

    cr_assert(eq(int, g->ops->resume(g, &p0), KSTREAM_OK));
    n = kc_poll_records(g, recs, 16, 1500);
    cr_assert(eq(int, n, 3));
    for (int i = 0; i < n; i++) {
        cr_assert(eq(i32, recs[i].partition, 0));
        cr_assert(eq(i64, recs[i].offset, 2 + i));
    }

    g->ops->destroy(g);
    w->ops->destroy(w);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

/* What the restorer does: a finished partition is paused (not unassigned,
 * which would restart the other partitions' fetches), later left out of an
 * assignment, and later assigned again for a new restore. A new assignment
 * starts every partition it names unpaused, as the test driver's client
 * does: librdkafka keeps an application pause across assignments. */
Test(kafka_assign, a_paused_partition_assigned_again_is_read) {
    kc_mock_t *m = kc_mock_new("log", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-reassign");
    ks_client_t *w = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_client_t *r = kc_client_new(conf, KS_CLIENT_RESTORE);
    ks_tp_offset_t both[2] = {{"log", 0, -1}, {"log", 1, -1}};
    ks_tp_offset_t only1 = {"log", 1, -1};
    ks_tp_offset_t again0 = {"log", 0, 1};
    ks_tp_t p0 = {"log", 0};
    kc_rec_t recs[16];

    kc_fill(w, "log", 0, 3, "a");
    kc_fill(w, "log", 1, 1, "b");
    cr_assert(eq(int, r->ops->assign(r, both, 2), KSTREAM_OK));
    cr_assert(eq(int, kc_poll_records(r, recs, 4, 10000), 4));
    cr_assert(eq(int, r->ops->pause(r, &p0), KSTREAM_OK));
    cr_assert(eq(int, r->ops->assign(r, &only1, 1), KSTREAM_OK));
    cr_assert(eq(int, kc_poll_records(r, recs, 1, 10000), 1));

    /* Assigned again, from offset 1: read at once, not left paused. */
    cr_assert(eq(int, r->ops->assign(r, &again0, 1), KSTREAM_OK));
    int n = kc_poll_records(r, recs, 2, 10000);
    cr_assert(eq(int, n, 2), "the re-assigned partition must not stay paused");
    cr_assert(eq(i32, recs[0].partition, 0));
    cr_assert(eq(i64, recs[0].offset, 1));
    cr_assert(eq(str, recs[1].value, "a2"));

    r->ops->destroy(r);
    w->ops->destroy(w);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

Test(kafka_assign, clients_outside_the_group_refuse_group_and_produce_calls) {
    kc_mock_t *m = kc_mock_new("log", 1, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-state");
    ks_client_t *r = kc_client_new(conf, KS_CLIENT_RESTORE);
    const char *topics[] = {"log"};
    ks_tp_offset_t off = {"log", 0, 1};
    ks_tp_t tp = {"log", 0};
    int64_t v;

    cr_assert(eq(int, kc_produce(r, "log", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, r->ops->subscribe(r, topics, 1), KSTREAM_ERR_STATE));
    cr_assert(eq(int, r->ops->commit(r, &off, 1), KSTREAM_ERR_STATE));
    cr_assert(eq(int, r->ops->committed(r, &tp, &v), KSTREAM_ERR_STATE));
    /* Nothing queued: flush is immediate, written offsets unknown. */
    cr_assert(eq(int, r->ops->flush(r, 1000), KSTREAM_OK));
    cr_assert(eq(int, r->ops->written_offset(r, &tp, &v), KSTREAM_OK));
    cr_assert(eq(i64, v, -1));
    /* Lag of a partition never fetched is unknown. */
    cr_assert(eq(int, r->ops->lag(r, &tp, &v), KSTREAM_OK));
    cr_assert(eq(i64, v, -1));
    /* Arguments are checked. */
    cr_assert(eq(int, r->ops->assign(r, NULL, 1), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, r->ops->seek(r, NULL), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, r->ops->poll(r, NULL, 4, &(size_t){0}, 0),
                 KSTREAM_ERR_INVALID_ARG));
    r->ops->destroy(r);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

Test(kafka_assign, bad_pass_through_key_fails_creation_naming_it) {
    kstream_conf_t *conf = kc_conf_new(NULL, "kc-bad");
    char errstr[512] = "";

    kc_conf_set(conf, "producer.no.such.key", "1");
    cr_assert(ks_kafka_client_new(conf, KS_CLIENT_MAIN, 0, NULL, NULL, errstr,
                                  sizeof(errstr)) == NULL);
    cr_assert(strstr(errstr, "producer.no.such.key") != NULL, "%s", errstr);
    /* The restore client has no producer: the key does not concern it. */
    ks_client_t *r = ks_kafka_client_new(conf, KS_CLIENT_RESTORE, 0, NULL, NULL,
                                         errstr, sizeof(errstr));
    cr_assert(r != NULL, "%s", errstr);
    r->ops->destroy(r);
    kstream_conf_destroy(conf);
}
