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
#include <criterion/parameterized.h>
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
    ks_client_t *c = ks_kafka_client_new(conf, kind, thread_idx, "p", &events,
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

/* n records to "out" [partition] (-1: by key). */
static void produce_n(ks_client_t *c, const char *tag, int n,
                      int32_t partition) {
    char key[32], value[32];

    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s-k%d", tag, i);
        snprintf(value, sizeof(value), "%s-v%d", tag, i);
        cr_assert(eq(int,
                     kc_produce(c, "out", partition, key, value, 1000 + i),
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
    produce_n(c, tag, n, -1);
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
static int count_out(const kstream_conf_t *conf, const char *tag) {
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
    cr_assert(eq(str, buf, "txapp-p-3"));
    rd_prop(kc->producer, "enable.idempotence", buf, sizeof(buf));
    cr_assert(eq(str, buf, "true"));
    rd_prop(kc->producer, "transaction.timeout.ms", buf, sizeof(buf));
    cr_assert(eq(str, buf, "10000"));
    rd_prop(kc->consumer, "isolation.level", buf, sizeof(buf));
    cr_assert(eq(str, buf, "read_committed"));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, transaction_timeout_is_overridable_not_the_id,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c;
    char buf[256];

    kc_conf_set(conf, "producer.transaction.timeout.ms", "20000");
    kc_conf_set(conf, "producer.transactional.id", "not-the-thread-id");
    c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);
    rd_prop(((ks_kafka_client_t *)c)->producer, "transaction.timeout.ms",
            buf, sizeof(buf));
    cr_assert(eq(str, buf, "20000"));
    /* The id is the thread's, whatever the pass-through keys say. */
    rd_prop(((ks_kafka_client_t *)c)->producer, "transactional.id", buf,
            sizeof(buf));
    cr_assert(eq(str, buf, "txapp-p-0"));
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
    cr_assert(eq(int, count_out(conf, "c1"), 6));
    cr_assert(eq(int, count_out(conf, "c2"), 4));
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, abort_then_a_new_transaction_commits,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);

    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    produce_n(c, "ab", 5, -1);
    cr_assert(eq(int, send_offsets(c, 5), KSTREAM_OK));
    cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    /* Records purged by the abort are not delivery failures. */
    cr_assert(eq(int, ev.delivery_failed, 0));
    cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                 KSTREAM_ERR_STATE));
    cr_assert(eq(int, one_txn(c, "ok", 3), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    cr_assert(eq(int, count_out(conf, "ok"), 3));
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
    produce_n(c, "open", 3, -1);
    start = ks_clock_mono_ms();
    c->ops->destroy(c);
    assert_bounded(start, T_MS);
    kstream_conf_destroy(conf);
}

/* ---- fencing ------------------------------------------------------------ */

/* After a failure classified `want`, the client recovers as client.h says:
 * abort (ABORTABLE) or txn_reset + txn_init (FENCED, TXN_UNKNOWN), then a
 * whole transaction commits; FATAL leaves poll() failing. */
static void assert_recovers(ks_client_t *c, kstream_err_t want) {
    ks_msg_t msgs[4];
    size_t n = 0;
    kstream_err_t err;

    cr_assert(ne(str, (char *)ks_kafka_client_txn_error(c), ""));
    if (want == KSTREAM_ERR_FATAL) {
        cr_assert(ne(int, c->ops->poll(c, msgs, 4, &n, 0), KSTREAM_OK));
        return;
    }
    /* Not a reason to stop the thread. */
    cr_assert(eq(int, c->ops->poll(c, msgs, 4, &n, 0), KSTREAM_OK));
    c->ops->release(c, msgs, n);
    if (want == KSTREAM_ERR_TXN_ABORTABLE) {
        cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_OK), "%s",
                  ks_kafka_client_txn_error(c));
    } else {
        if (want == KSTREAM_ERR_FENCED) {
            /* Dead until reset. */
            cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_ERR_FENCED));
            cr_assert(eq(int, kc_produce(c, "out", 0, "k", "v", 1),
                         KSTREAM_ERR_FENCED));
        }
        cr_assert(eq(int, c->ops->txn_reset(c), KSTREAM_OK), "%s",
                  ks_kafka_client_txn_error(c));
        cr_assert(eq(int, c->ops->txn_init(c, T_MS), KSTREAM_OK), "%s",
                  ks_kafka_client_txn_error(c));
    }
    err = one_txn(c, "again", 2);
    if (err == KSTREAM_ERR_TXN_ABORTABLE && want == KSTREAM_ERR_TXN_ABORTABLE) {
        /* After a batch failed for good (MSG_SIZE_TOO_LARGE), 2.0.2 goes on
         * with the partition's sequence numbers past the lost batch: the
         * next batch gets OUT_OF_ORDER_SEQUENCE_NUMBER, an abortable error
         * whose abort bumps the epoch, and the sequence starts over. The
         * runtime's abort-and-retry covers it. */
        cr_assert(strstr(ks_kafka_client_txn_error(c), "OUT_OF_ORDER") !=
                          NULL,
                  "%s", ks_kafka_client_txn_error(c));
        cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_OK));
        err = one_txn(c, "again", 2);
    }
    cr_assert(eq(int, err, KSTREAM_OK), "%s", ks_kafka_client_txn_error(c));
}

/* librdkafka 2.0.2's mock does not fence by epoch (DEV-CLUSTER.md): the
 * answer a real coordinator gives the older producer once the newer one
 * ran InitProducerId is injected. */
Test(kafka_txn, second_client_with_the_same_id_fences_the_first,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0}, ev2 = {0};
    ks_client_t *a = txn_client_new(conf, &ev), *b;
    rd_kafka_resp_err_t fenced = RD_KAFKA_RESP_ERR_PRODUCER_FENCED;

    cr_assert(eq(int, one_txn(a, "a1", 2), KSTREAM_OK));
    b = txn_client_new(conf, &ev2); /* same id: "txapp-p-0" */
    rd_kafka_mock_push_request_errors_array(mcluster,
                                            API_ADD_PARTITIONS_TO_TXN, 1,
                                            &fenced);
    cr_assert(eq(int, one_txn(a, "a2", 2), KSTREAM_ERR_FENCED));
    cr_assert(strstr(ks_kafka_client_txn_error(a), "fenced") != NULL, "%s",
              ks_kafka_client_txn_error(a));
    cr_assert(eq(int, one_txn(b, "b1", 2), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(b));
    b->ops->destroy(b);
    assert_recovers(a, KSTREAM_ERR_FENCED);
    a->ops->destroy(a);
    kstream_conf_destroy(conf);
}

/* ---- injected errors ---------------------------------------------------- */

/* AT_SEND_OR_COMMIT: an error in the response to a request sent in the
 * background (AddPartitionsToTxn, at the first record of a partition)
 * shows at whichever call comes after that response. */
typedef enum stage {
    AT_INIT,
    AT_SEND_OFFSETS,
    AT_COMMIT,
    AT_SEND_OR_COMMIT
} stage_t;

typedef struct inject {
    int16_t api;
    rd_kafka_resp_err_t code;
    int count;
    kstream_err_t want; /* KSTREAM_OK: librdkafka retries it away */
    stage_t stage;      /* where want shows */
} inject_t;

ParameterizedTestParameters(kafka_txn, injected_error_is_classified) {
    static inject_t cases[] = {
            /* retried by librdkafka */
            {API_END_TXN, RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS, 3,
             KSTREAM_OK, AT_COMMIT},
            {API_END_TXN, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 2, KSTREAM_OK,
             AT_COMMIT},
            {API_END_TXN, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, 2,
             KSTREAM_OK, AT_COMMIT},
            {API_ADD_PARTITIONS_TO_TXN,
             RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS, 3, KSTREAM_OK,
             AT_COMMIT},
            {API_ADD_PARTITIONS_TO_TXN, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 2,
             KSTREAM_OK, AT_COMMIT},
            {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             2, KSTREAM_OK, AT_COMMIT},
            {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 2,
             KSTREAM_OK, AT_COMMIT},
            {API_PRODUCE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 2,
             KSTREAM_OK, AT_COMMIT},
            {API_PRODUCE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 2, KSTREAM_OK,
             AT_COMMIT},
            {API_INIT_PRODUCER_ID, RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
             2, KSTREAM_OK, AT_COMMIT},
            /* abortable */
            {API_END_TXN, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 1,
             KSTREAM_ERR_TXN_ABORTABLE, AT_COMMIT},
            {API_ADD_PARTITIONS_TO_TXN,
             RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1,
             KSTREAM_ERR_TXN_ABORTABLE, AT_SEND_OR_COMMIT},
            {API_PRODUCE, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID, 1,
             KSTREAM_ERR_TXN_ABORTABLE, AT_COMMIT},
            {API_PRODUCE, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 1,
             KSTREAM_ERR_TXN_ABORTABLE, AT_COMMIT},
            /* fenced: another producer, or the group moved on */
            {API_END_TXN, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, 1,
             KSTREAM_ERR_FENCED, AT_COMMIT},
            {API_END_TXN, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, 1,
             KSTREAM_ERR_FENCED, AT_COMMIT},
            {API_ADD_OFFSETS_TO_TXN, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, 1,
             KSTREAM_ERR_FENCED, AT_SEND_OFFSETS},
            {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, 1,
             KSTREAM_ERR_FENCED, AT_SEND_OFFSETS},
            {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, 1,
             KSTREAM_ERR_FENCED, AT_SEND_OFFSETS},
            {API_PRODUCE, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, 1,
             KSTREAM_ERR_FENCED, AT_COMMIT},
            /* fatal in librdkafka 2.0.2, a lost producer state: */
            {API_PRODUCE, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 1,
             KSTREAM_ERR_FENCED, AT_COMMIT},
            /* fatal */
            {API_END_TXN,
             RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 1,
             KSTREAM_ERR_FATAL, AT_COMMIT},
            {API_END_TXN, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, 1,
             KSTREAM_ERR_FATAL, AT_COMMIT},
            {API_INIT_PRODUCER_ID,
             RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 1,
             KSTREAM_ERR_FATAL, AT_INIT},
    };
    return cr_make_param_array(inject_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(inject_t *p, kafka_txn, injected_error_is_classified,
                  .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);
    rd_kafka_resp_err_t codes[4];
    kstream_err_t err;
    stage_t at = AT_INIT;
    int64_t start = ks_clock_mono_ms();

    for (int i = 0; i < p->count; i++)
        codes[i] = p->code;
    rd_kafka_mock_push_request_errors_array(mcluster, p->api,
                                            (size_t)p->count, codes);
    err = c->ops->txn_init(c, T_MS);
    if (!err) {
        cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
        /* One partition, one batch: the injected Produce error hits the
         * transaction's only batch (with two, the other batch can be
         * written, and 2.0.2's mock then keeps its sequence state across
         * the producer's next epoch). */
        produce_n(c, "inj", 3, 0);
        at = AT_SEND_OFFSETS;
        err = send_offsets(c, 3);
    }
    if (!err) {
        at = AT_COMMIT;
        err = c->ops->txn_commit(c, T_MS);
    }
    cr_assert(eq(int, err, p->want), "api %d %s: %s at stage %d: %s",
              p->api, rd_kafka_err2name(p->code), kstream_err2name(err), at,
              ks_kafka_client_txn_error(c));
    if (p->stage == AT_SEND_OR_COMMIT)
        cr_assert(at == AT_SEND_OFFSETS || at == AT_COMMIT, "stage %d", at);
    else
        cr_assert(eq(int, at, p->stage));
    assert_bounded(start, 2 * T_MS);
    if (err)
        assert_recovers(c, err);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

/* ---- timeouts: nothing hangs -------------------------------------------- */

Test(kafka_txn, commit_timeout_is_unknown_and_reset_recovers,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);
    int64_t start;

    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    produce_n(c, "slow", 3, -1);
    cr_assert(eq(int, send_offsets(c, 3), KSTREAM_OK));
    /* The coordinator answers EndTxn after 3 s. */
    rd_kafka_mock_broker_push_request_error_rtts(
            mcluster, 1, API_END_TXN, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 3000);
    start = ks_clock_mono_ms();
    cr_assert(eq(int, c->ops->txn_commit(c, 800), KSTREAM_ERR_TXN_UNKNOWN),
              "%s", ks_kafka_client_txn_error(c));
    assert_bounded(start, 800);
    assert_recovers(c, KSTREAM_ERR_TXN_UNKNOWN);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, failed_abort_is_unknown_and_reset_recovers,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = txn_client_new(conf, &ev);
    rd_kafka_resp_err_t timed_out = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;

    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    produce_n(c, "fab", 3, -1);
    cr_assert(eq(int, c->ops->flush(c, T_MS), KSTREAM_OK));
    rd_kafka_mock_push_request_errors_array(mcluster, API_END_TXN, 1,
                                            &timed_out);
    cr_assert(eq(int, c->ops->txn_abort(c, T_MS), KSTREAM_ERR_TXN_UNKNOWN),
              "%s", ks_kafka_client_txn_error(c));
    assert_recovers(c, KSTREAM_ERR_TXN_UNKNOWN);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

Test(kafka_txn, init_with_the_cluster_down_times_out,
     .init = mock_start, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c = client_new(conf, KS_CLIENT_MAIN, 0, &ev);
    int64_t start = ks_clock_mono_ms();

    rd_kafka_mock_broker_set_down(mcluster, 1);
    cr_assert(eq(int, c->ops->txn_init(c, 1000), KSTREAM_ERR_TXN_UNKNOWN),
              "%s", ks_kafka_client_txn_error(c));
    assert_bounded(start, 1000);
    rd_kafka_mock_broker_set_up(mcluster, 1);
    assert_recovers(c, KSTREAM_ERR_TXN_UNKNOWN);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}

/* A partition leader down in the middle of a transaction: its records
 * time out (message.timeout.ms), the commit fails as abortable, and once
 * the broker is back the abort and the next transaction go through. The
 * coordinators stay on broker 1. */
static void mock_start2(void) {
    mock_start();
    rd_kafka_mock_cluster_destroy(mcluster);
    mcluster = rd_kafka_mock_cluster_new(mock_rk, 2);
    cr_assert(mcluster != NULL);
    cr_assert(rd_kafka_mock_topic_create(mcluster, "in", 1, 1) == 0);
    cr_assert(rd_kafka_mock_topic_create(mcluster, "out", 2, 1) == 0);
    rd_kafka_mock_partition_set_leader(mcluster, "in", 0, 1);
    rd_kafka_mock_partition_set_leader(mcluster, "out", 0, 2);
    rd_kafka_mock_partition_set_leader(mcluster, "out", 1, 1);
    rd_kafka_mock_coordinator_set(mcluster, "transaction", "txapp-p-0", 1);
    rd_kafka_mock_coordinator_set(mcluster, "group", "txapp", 1);
}

Test(kafka_txn, leader_down_mid_transaction_is_abortable,
     .init = mock_start2, .fini = mock_stop) {
    kstream_conf_t *conf = eos_conf();
    kc_events_t ev = {0};
    ks_client_t *c;
    int64_t start;

    kc_conf_set(conf, "producer.message.timeout.ms", "2000");
    /* Back on broker 2 quickly once it is up (DEV-CLUSTER.md). */
    kc_conf_set(conf, "producer.reconnect.backoff.max.ms", "200");
    c = txn_client_new(conf, &ev);
    cr_assert(eq(int, one_txn(c, "before", 4), KSTREAM_OK), "%s",
              ks_kafka_client_txn_error(c));
    cr_assert(eq(int, c->ops->txn_begin(c), KSTREAM_OK));
    rd_kafka_mock_broker_set_down(mcluster, 2);
    produce_n(c, "down", 3, 0);
    cr_assert(eq(int, send_offsets(c, 3), KSTREAM_OK));
    start = ks_clock_mono_ms();
    cr_assert(eq(int, c->ops->txn_commit(c, T_MS),
                 KSTREAM_ERR_TXN_ABORTABLE),
              "%s", ks_kafka_client_txn_error(c));
    assert_bounded(start, T_MS);
    cr_assert(ge(int, ev.delivery_failed, 1)); /* timed out, reported */
    rd_kafka_mock_broker_set_up(mcluster, 2);
    assert_recovers(c, KSTREAM_ERR_TXN_ABORTABLE);
    c->ops->destroy(c);
    kstream_conf_destroy(conf);
}
