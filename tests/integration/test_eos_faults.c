/* test_eos_faults.c - a real kstream_t app under exactly_once_v2 (a count,
 * RocksDB store with changelog) on the embedded cluster, through the faults
 * a transaction meets: errors that make it abortable (an out-of-order
 * sequence on Produce, records timing out behind a partition leader that
 * is down), a producer fenced by another with the thread's transactional
 * id, coordinator errors on every transactional request, a commit whose
 * outcome is unknown, a fatal coordinator answer, brokers down in the
 * middle of a transaction. Each time the app either aborts, rewinds and
 * goes on (its log says so, it is RUNNING, and every input record is
 * eventually counted) or stops in ERROR with a message naming the cause;
 * every wait is bounded, and so is the close.
 *
 * The mock shows aborted records and forgets the offsets committed in
 * transactions (DEV-CLUSTER.md): counts are checked at least once, never
 * exactly once - the test driver's simulated cluster proves that. */
#include <stdio.h>
#include <string.h>

#include "test_eos_faults.h"

TestSuite(eos_faults, .timeout = 120);

/* Start, and a first batch counted: the app works before the fault. */
static void start_counting(eos_run_t *r, const char *app_id,
                           const char *const *kv)
{
    eos_start(r, app_id, kv);
    eos_produce(r, 200);
    eos_expect_all_counted(r, 20000);
    cr_assert(eos_stat(r, "commits") > 0);
}

/* After a recovery: RUNNING, and the next batch counted too. */
static void expect_goes_on(eos_run_t *r)
{
    cr_assert(it_wait_state(r->app, KSTREAM_STATE_RUNNING, 10000), "state %s",
              kstream_state_name(kstream_state(r->app)));
    eos_produce(r, 100);
    eos_expect_all_counted(r, 20000);
    cr_assert_eq(kstream_state(r->app), KSTREAM_STATE_RUNNING);
}

static void expect_error(eos_run_t *r, kstream_err_t code, const char *what)
{
    cr_assert(it_wait_state(r->app, KSTREAM_STATE_ERROR, 30000), "state %s",
              kstream_state_name(kstream_state(r->app)));
    char msg[1024] = "";
    cr_assert_eq(kstream_last_error(r->app, msg, sizeof(msg)), code,
                 "%s: %s", kstream_err2name(code), msg);
    cr_assert(strstr(msg, what) != NULL, "no '%s' in the error: %s", what,
              msg);
}

/* ---- abortable ---------------------------------------------------------- */

/* librdkafka 2.0.2 makes OUT_OF_ORDER_SEQUENCE_NUMBER fatal for the
 * producer (its sequence state is lost): Kafka Streams treats it as the
 * task migrating; the runtime re-creates the producer, aborts through
 * the new one's InitProducerId, rewinds, and goes on. */
Test(eos_faults, out_of_order_sequence_recreates_the_producer_and_goes_on)
{
    eos_run_t r;
    start_counting(&r, "eos-oos", NULL);
    eos_push_errors(&r, EOS_B_OUT, API_PRODUCE,
                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 1, 0);
    eos_produce(&r, 100);
    cr_assert(eos_wait_errors_used(&r, EOS_B_OUT, API_PRODUCE, 10000));
    cr_assert(eos_wait_log(&r, "transaction failed (", 15000));
    eos_expect_log(&r, "OUT_OF_ORDER_SEQUENCE");
    cr_assert(eos_wait_log(&r, "producer re-created", 10000));
    eos_expect_all_counted(&r, 30000);
    expect_goes_on(&r);
    eos_end(&r, KSTREAM_OK);
}

/* The output's leader down longer than message.timeout.ms: the records
 * of the open transaction time out. With the production handler at
 * continue, the transaction aborts and its input is processed again
 * until the broker is back. */
Test(eos_faults, message_timeout_with_continue_aborts_and_goes_on)
{
    static const char *const kv[] = {
            "producer.message.timeout.ms", "1500",
            "default.production.exception.handler", "continue", NULL};
    eos_run_t r;
    start_counting(&r, "eos-timeout-cont", kv);
    eos_broker(&r, EOS_B_OUT, false);
    eos_produce(&r, 100);
    cr_assert(eos_wait_log(&r, "transaction failed (", 15000));
    /* Back up first: re-making the tasks asks the changelog's end
     * offsets of broker 2 (and the statistics wait for the thread). */
    it_sleep_ms(500);
    eos_broker(&r, EOS_B_OUT, true);
    eos_expect_log(&r, "Message timed out");
    cr_assert(eos_stat(&r, "production_errors") > 0);
    eos_expect_all_counted(&r, 30000);
    expect_goes_on(&r);
    eos_end(&r, KSTREAM_OK);
}

/* The same with the default production handler (fail): the app stops
 * with an error naming the record's topic and the timeout, as Kafka
 * Streams does. */
Test(eos_faults, message_timeout_with_fail_stops_naming_the_cause)
{
    static const char *const kv[] = {"producer.message.timeout.ms", "1500",
                                     NULL};
    eos_run_t r;
    start_counting(&r, "eos-timeout-fail", kv);
    eos_broker(&r, EOS_B_OUT, false);
    eos_produce(&r, 100);
    expect_error(&r, KSTREAM_ERR_KAFKA, "Message timed out");
    char msg[1024] = "";
    kstream_last_error(r.app, msg, sizeof(msg));
    cr_assert(strstr(msg, "'eout'") != NULL || strstr(msg, "-changelog'"),
              "no topic named: %s", msg);
    eos_broker(&r, EOS_B_OUT, true);
    eos_end(&r, KSTREAM_ERR_KAFKA);
}

/* ---- fencing ------------------------------------------------------------ */

/* A second producer registers the app thread's transactional id (read
 * from the process-id file). A real coordinator then fences the app's
 * producer: 2.0.2's mock does not, so its answer to the app's next
 * AddPartitionsToTxn is injected. The app re-creates its producer and
 * goes on. */
Test(eos_faults, producer_fenced_by_a_second_producer_recovers)
{
    eos_run_t r;
    start_counting(&r, "eos-fenced", NULL);
    char pid[64], txn_id[160], errstr[512];
    eos_process_id_read(&r, pid, sizeof(pid));
    snprintf(txn_id, sizeof(txn_id), "%s-%s-0", r.app_id, pid);
    cr_assert_str_eq(txn_id, r.txn_id);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", r.bs, errstr,
                                   sizeof(errstr)),
                 RD_KAFKA_CONF_OK);
    cr_assert_eq(rd_kafka_conf_set(conf, "transactional.id", txn_id, errstr,
                                   sizeof(errstr)),
                 RD_KAFKA_CONF_OK);
    rd_kafka_t *zombie_killer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                             sizeof(errstr));
    cr_assert(zombie_killer != NULL, "%s", errstr);
    rd_kafka_error_t *e = rd_kafka_init_transactions(zombie_killer, 10000);
    cr_assert(e == NULL, "init_transactions: %s", rd_kafka_error_string(e));
    eos_push_errors(&r, EOS_B_TXN, API_ADD_PARTITIONS_TO_TXN,
                    RD_KAFKA_RESP_ERR_PRODUCER_FENCED, 1, 0);
    eos_produce(&r, 100);
    cr_assert(eos_wait_errors_used(&r, EOS_B_TXN, API_ADD_PARTITIONS_TO_TXN,
                                   10000));
    cr_assert(eos_wait_log(&r, "transaction failed (", 15000));
    eos_expect_log(&r, "KSTREAM_ERR_FENCED");
    cr_assert(eos_wait_log(&r, "producer re-created", 10000));
    rd_kafka_destroy(zombie_killer);
    eos_expect_all_counted(&r, 30000);
    expect_goes_on(&r);
    eos_end(&r, KSTREAM_OK);
}

/* ---- coordinator errors ------------------------------------------------- */

typedef struct coord_fault {
    int broker;
    int16_t api;
    rd_kafka_resp_err_t code;
} coord_fault_t;

/* Each transactional request of the app, to its coordinator (the
 * transaction's, or the group's for TxnOffsetCommit), answered with the
 * coordinator errors a real cluster gives while a coordinator moves or
 * is busy: librdkafka retries them, or the transaction aborts and the
 * app goes on. One app for the whole table. */
Test(eos_faults, coordinator_errors_on_every_txn_request_are_survived,
     .timeout = 150)
{
    static const rd_kafka_resp_err_t codes[] = {
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS};
    static const coord_fault_t apis[] = {
            {EOS_B_TXN, API_ADD_PARTITIONS_TO_TXN, 0},
            {EOS_B_TXN, API_ADD_OFFSETS_TO_TXN, 0},
            {EOS_B_GROUP, API_TXN_OFFSET_COMMIT, 0},
            {EOS_B_TXN, API_END_TXN, 0}};
    eos_run_t r;
    start_counting(&r, "eos-coord", NULL);
    for (size_t a = 0; a < sizeof(apis) / sizeof(*apis); a++) {
        for (size_t c = 0; c < sizeof(codes) / sizeof(*codes); c++) {
            long long commits = eos_stat(&r, "commits");
            eos_push_errors(&r, apis[a].broker, apis[a].api, codes[c], 2, 0);
            eos_produce(&r, 40);
            cr_assert(eos_wait_errors_used(&r, apis[a].broker, apis[a].api,
                                           15000),
                      "api %d %s: the errors were not all answered",
                      apis[a].api, rd_kafka_err2name(codes[c]));
            eos_expect_all_counted(&r, 20000);
            cr_assert_eq(kstream_state(r.app), KSTREAM_STATE_RUNNING,
                         "api %d %s", apis[a].api,
                         rd_kafka_err2name(codes[c]));
            cr_assert_gt(eos_stat(&r, "commits"), commits, "api %d %s",
                         apis[a].api, rd_kafka_err2name(codes[c]));
        }
    }
    eos_end(&r, KSTREAM_OK);
}

/* EndTxn answered after the commit's timeout (default.api.timeout.ms):
 * the outcome is unknown; the runtime re-creates the producer, whose
 * InitProducerId settles the old transaction, and goes on. */
Test(eos_faults, commit_with_unknown_outcome_recreates_the_producer)
{
    static const char *const kv[] = {"default.api.timeout.ms", "3000",
                                     NULL};
    eos_run_t r;
    start_counting(&r, "eos-unknown", kv);
    eos_push_errors(&r, EOS_B_TXN, API_END_TXN, RD_KAFKA_RESP_ERR_NO_ERROR, 1,
                    5000);
    eos_produce(&r, 100);
    cr_assert(eos_wait_log(&r, "transaction failed (", 15000));
    eos_expect_log(&r, "KSTREAM_ERR_TXN_UNKNOWN");
    cr_assert(eos_wait_log(&r, "producer re-created", 10000));
    eos_expect_all_counted(&r, 30000);
    expect_goes_on(&r);
    eos_end(&r, KSTREAM_OK);
}

/* An answer no retry or new producer can fix (the transactional id is not
 * authorized): the app stops in ERROR and says why. */
Test(eos_faults, fatal_coordinator_error_stops_the_app_naming_it)
{
    eos_run_t r;
    start_counting(&r, "eos-fatal", NULL);
    eos_push_errors(&r, EOS_B_TXN, API_END_TXN,
                    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                    1, 0);
    eos_produce(&r, 100);
    expect_error(&r, KSTREAM_ERR_FATAL, "TRANSACTIONAL_ID_AUTHORIZATION");
    eos_end(&r, KSTREAM_ERR_FATAL);
}

/* ---- brokers down ------------------------------------------------------- */

/* The transaction coordinator goes down while a transaction is open, then
 * every broker; each comes back within the timeouts and the app goes on. */
Test(eos_faults, brokers_down_mid_transaction_and_back)
{
    eos_run_t r;
    start_counting(&r, "eos-down", NULL);
    long long commits = eos_stat(&r, "commits");
    eos_produce(&r, 100);
    it_sleep_ms(50); /* processing: the transaction is open */
    eos_broker(&r, EOS_B_TXN, false);
    it_sleep_ms(3000);
    eos_broker(&r, EOS_B_TXN, true);
    eos_expect_all_counted(&r, 30000);
    cr_assert(eos_stat(&r, "commits") > commits);
    cr_assert_eq(kstream_state(r.app), KSTREAM_STATE_RUNNING);

    eos_produce(&r, 100);
    it_sleep_ms(50);
    for (int b = 1; b <= 3; b++)
        eos_broker(&r, b, false);
    it_sleep_ms(3000);
    for (int b = 1; b <= 3; b++)
        eos_broker(&r, b, true);
    eos_expect_all_counted(&r, 40000);
    expect_goes_on(&r);
    eos_end(&r, KSTREAM_OK);
}
