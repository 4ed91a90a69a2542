/* test_txn.c - the exactly_once_v2 operations of the librdkafka client
 * (kafka_client_txn.c) on librdkafka's mock cluster: the settings of a
 * transactional client, produce refused outside a transaction, commit and
 * abort, fencing, and injected errors classified as client.h says, each
 * call bounded by its timeout.
 * The mock neither stores transactional offset commits nor hides aborted
 * records (DEV-CLUSTER.md): nothing here asserts on either. No test joins
 * the group (a join costs ~3 s): the group metadata sent with the offsets
 * is then generation -1, which the coordinator accepts. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdarg.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kc_test.h"
#include "runtime/kafka_client_int.h"
#include "util/util.h"

/* Kafka ApiKeys of the transactional requests. */
#define API_PRODUCE 0
#define API_INIT_PRODUCER_ID 22
#define API_ADD_PARTITIONS_TO_TXN 24
#define API_ADD_OFFSETS_TO_TXN 25
#define API_END_TXN 26
#define API_TXN_OFFSET_COMMIT 28

/* Every call of a test is bounded by this (ms), and must return within it
 * plus this slack. */
#define T_MS 5000
#define SLACK_MS 2000

TestSuite(kafka_txn, .timeout = 60);

/* A one-broker mock with "in" (1 partition) and "out" (2), owned by a
 * handle of its own. */
static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mcluster;

static void mock_start(void) {
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert(mock_rk != NULL, "%s", errstr);
    mcluster = rd_kafka_mock_cluster_new(mock_rk, 1);
    cr_assert(mcluster != NULL);
    cr_assert(rd_kafka_mock_topic_create(mcluster, "in", 1, 1) == 0);
    cr_assert(rd_kafka_mock_topic_create(mcluster, "out", 2, 1) == 0);
}

static void mock_stop(void) {
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(mock_rk);
}

/* The conf of an exactly_once_v2 application "txapp" on the mock. Logs
 * at error level only: the tests cause warnings on purpose. */
static kstream_conf_t *eos_conf(void) {
    kstream_conf_t *conf = kc_conf_new(NULL, "txapp");

    kc_conf_set(conf, "bootstrap.servers",
                rd_kafka_mock_cluster_bootstraps(mcluster));
    kc_conf_set(conf, "processing.guarantee", "exactly_once_v2");
    kc_conf_set(conf, "log.level", getenv("KC_TEST_DEBUG") ? "7" : "3");
    return conf;
}

static ks_client_t *client_new(const kstream_conf_t *conf,
                               ks_client_kind_t kind, int thread_idx,
                               kc_events_t *ev) {
    char errstr[512] = "";
    ks_client_events_t events = kc_events_of(ev);
    ks_client_t *c = ks_kafka_client_new(conf, kind, thread_idx, &events,
                                         errstr, sizeof(errstr));

    cr_assert(c != NULL, "%s", errstr);
    ev->client = c;
    return c;
}

/* A transactional client of thread 0, initialized. */
static ks_client_t *txn_client_new(const kstream_conf_t *conf,
                                   kc_events_t *ev) {
    ks_client_t *c = client_new(conf, KS_CLIENT_MAIN, 0, ev);

    cr_assert(eq(int, c->ops->txn_init(c, T_MS), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    return c;
}

static void rd_prop(rd_kafka_t *rk, const char *name, char *buf,
                    size_t size) {
    cr_assert(rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &size) ==
                      RD_KAFKA_CONF_OK,
              "%s", name);
}

static void produce_n(ks_client_t *c, const char *tag, int n) {
    char key[32], value[32];

    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s-k%d", tag, i);
        snprintf(value, sizeof(value), "%s-v%d", tag, i);
        cr_assert(eq(int, kc_produce(c, "out", -1, key, value, 1000 + i),
                     KSTREAM_OK));
    }
}

static kstream_err_t send_offsets(ks_client_t *c, int64_t offset) {
    ks_tp_offset_t off = {"in", 0, offset};

    return c->ops->txn_send_offsets(c, &off, 1, T_MS);
}

/* One full transaction: begin, n records, offsets, commit. */
static kstream_err_t one_txn(ks_client_t *c, const char *tag, int n) {
    kstream_err_t err = c->ops->txn_begin(c);

    if (err)
        return err;
    produce_n(c, tag, n);
    err = send_offsets(c, n);
    if (err)
        return err;
    return c->ops->txn_commit(c, T_MS);
}

/* The call took at most its timeout plus some slack. */
static void assert_bounded(int64_t start, int timeout_ms) {
    int64_t took = ks_clock_mono_ms() - start;

    cr_assert(le(i64, took, (int64_t)timeout_ms + SLACK_MS),
              "took %lld ms (timeout %d)", (long long)took, timeout_ms);
}

/* Records of "out" read by a read_committed consumer from the beginning,
 * counted for values starting with tag. */
static int count_out(const kstream_conf_t *conf, const char *tag, int want) {
    kc_events_t ev = {0};
    ks_client_t *r = client_new(conf, KS_CLIENT_RESTORE, 0, &ev);
    ks_tp_offset_t tps[2] = {{"out", 0, -1}, {"out", 1, -1}};
    kc_rec_t recs[64];
    int got, n = 0;

    cr_assert(eq(int, r->ops->assign(r, tps, 2), KSTREAM_OK));
    got = kc_poll_records(r, recs, 64, 3000);
    for (int i = 0; i < got; i++)
        if (!strncmp(recs[i].value, tag, strlen(tag)))
            n++;
    r->ops->destroy(r);
    (void)want;
    return n;
}

/* ---- settings ----------------------------------------------------------- */

Test(kafka_txn, eos_main_client_is_transactional_with_thread_id,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = client_new(conf, KS_CLIENT_MAIN, 3, &ev);
    ks_kafka_client_t *kc = (ks_kafka_client_t *)c;
    char buf[256];

    cr_assert(c->ops->txn_init && c->ops->txn_begin &&
              c->ops->txn_send_offsets && c->ops->txn_commit &&
              c->ops->txn_abort && c->ops->txn_reset);
    rd_prop(kc->producer, "transactional.id", buf, sizeof(buf));
    cr_assert(eq(str, buf, "txapp-3"));
    rd_prop(kc->producer, "enable.idempotence", buf, sizeof(buf));
    cr_assert(eq(str, buf, "true"));
    rd_prop(kc->producer, "transaction.timeout.ms", buf, sizeof(buf));
    cr_assert(eq(str, buf, "10000"));
    rd_prop(kc->consumer, "isolation.level", buf, sizeof(buf));
    cr_assert(eq(str, buf, "read_committed"));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, transaction_timeout_is_overridable,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c;
    char buf[256];

    kc_conf_set(conf, "producer.transaction.timeout.ms", "20000");
    c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);
    rd_prop(((ks_kafka_client_t *)c)->producer, "transaction.timeout.ms",
            buf, sizeof(buf));
    cr_assert(eq(str, buf, "20000"));
    cr_assert(eq(int, c->ops->txn_init(c, T_MS), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, at_least_once_client_has_no_txn_ops,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0}, rev = {0};
    ks_client_t *c, *r;
    char buf[256];

    /* The restore consumer of an EOS app reads committed, no producer. */
    r = client_new(conf, KS_CLIENT_RESTORE, 0, &rev);
    cr_assert(r->ops->txn_init == NULL && r->ops->txn_commit == NULL);
    rd_prop(((ks_kafka_client_t *)r)->consumer, "isolation.level", buf,
            sizeof(buf));
    cr_assert(eq(str, buf, "read_committed"));
    r->ops->destroy(r);
    kc_conf_set(conf, "processing.guarantee", "at_least_once");
    c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);
    cr_assert(c->ops->txn_init == NULL && c->ops->txn_begin == NULL &&
              c->ops->txn_send_offsets == NULL &&
              c->ops->txn_commit == NULL && c->ops->txn_abort == NULL &&
              c->ops->txn_reset == NULL);
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1), KSTREAM_OK));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

/* ---- the happy paths ---------------------------------------------------- */

Test(kafka_txn, produce_outside_a_transaction_is_refused,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);

    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_init(c, T_MS), KSTREAM_OK));
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_commit(c, T_MS), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_ERR_STATE));
    cr_assert(eq(int, send_offsets(c, 1), KSTREAM_ERR_STATE));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_commit(c, T_MS), KSTREAM_OK));
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, commit_makes_records_readable_and_acknowledged,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);
    int64_t w0 = -1, w1 = -1;
    ks_tp_t tp0 = {"out", 0}, tp1 = {"out", 1};

    cr_assert(eq(int, one_txn(c, "c1", 6), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    cr_assert(eq(int, one_txn(c, "c2", 4), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    /* After the commit every record is acknowledged (checkpoints). */
    cr_assert(eq(int, c->ops->written_offset(c, &tp0, &w0), KSTREAM_OK));
    cr_assert(eq(int, c->ops->written_offset(c, &tp1, &w1), KSTREAM_OK));
    cr_assert(ge(i64, w0 + w1, 8), "written %lld + %lld", (long long)w0,
              (long long)w1);
    cr_assert(eq(int, ev.delivery_failed, 0));
    cr_assert(eq(int, count_out(conf, "c1", 6), 6));
    cr_assert(eq(int, count_out(conf, "c2", 4), 4));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, abort_then_a_new_transaction_commits,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);

    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    produce_n(c, "ab", 5);
    cr_assert(eq(int, send_offsets(c, 5), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    /* Records purged by the abort are not delivery failures. */
    cr_assert(eq(int, ev.delivery_failed, 0));
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, one_txn(c, "ok", 3), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    cr_assert(eq(int, count_out(conf, "ok", 3), 3));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, destroy_with_an_open_transaction_does_not_hang,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);
    int64_t start;

    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    produce_n(c, "open", 3);
    start = ks_clock_mono_ms();
    c->ops->destroy(c);
    assert_bounded(start, T_MS);
    kstream_conf_destroy(conf);
}
