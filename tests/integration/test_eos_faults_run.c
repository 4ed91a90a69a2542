/* test_eos_faults_run.c - the harness of test_eos_faults.c: a 3-broker
 * mock cluster of the test's own (librdkafka's rd_kafka_mock_* API, so
 * faults can target one broker), a count app under exactly_once_v2 whose
 * log is captured, input through kcat and progress read back with kcat.
 *
 * Layout, so that each fault hits what it means to:
 *   broker 1  leads the input topic "ein"; the group coordinator
 *   broker 2  leads the output topic "eout" and the changelog
 *   broker 3  the transaction coordinator of the app's thread 0
 * The app's process id is written into its state directory before the
 * start, so its transactional id is known before its producer looks for
 * the coordinator. */
#include "test_eos_faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the log ------------------------------------------------------------ */
static void log_cb(int level, const char *fac, const char *msg, void *opaque)
{
    eos_run_t *r = opaque;
    char line[1200];
    int len = snprintf(line, sizeof(line), "%d %s %s\n", level, fac, msg);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(line))
        len = (int)sizeof(line) - 1;
    if (getenv("IT_DEBUG"))
        fputs(line, stderr);
    pthread_mutex_lock(&r->mu);
    /* Keep the first EOS_LOG_MAX bytes: what the tests look for comes
     * early, and a broker down for seconds logs a lot of reconnects. */
    if (r->loglen + (size_t)len < EOS_LOG_MAX) {
        memcpy(r->log + r->loglen, line, (size_t)len);
        r->loglen += (size_t)len;
        r->log[r->loglen] = '\0';
    }
    pthread_mutex_unlock(&r->mu);
}

bool eos_log_has(eos_run_t *r, const char *needle)
{
    pthread_mutex_lock(&r->mu);
    bool has = strstr(r->log, needle) != NULL;
    pthread_mutex_unlock(&r->mu);
    return has;
}

bool eos_wait_log(eos_run_t *r, const char *needle, int timeout_ms)
{
    int64_t until = it_now_ms() + timeout_ms;
    while (!eos_log_has(r, needle)) {
        if (it_now_ms() > until)
            return false;
        it_sleep_ms(50);
    }
    return true;
}

void eos_expect_log(eos_run_t *r, const char *needle)
{
    if (eos_log_has(r, needle))
        return;
    pthread_mutex_lock(&r->mu);
    cr_log_error("log so far:\n%s", r->log);
    pthread_mutex_unlock(&r->mu);
    cr_assert_fail("no '%s' in the app's log", needle);
}

/* ---- the cluster -------------------------------------------------------- */
static void topic_on(eos_run_t *r, const char *topic, int partitions,
                     int broker)
{
    cr_assert_eq(rd_kafka_mock_topic_create(r->mc, topic, partitions, 3), 0,
                 "create %s", topic);
    for (int p = 0; p < partitions; p++)
        cr_assert_eq(rd_kafka_mock_partition_set_leader(r->mc, topic, p,
                                                        broker),
                     0);
}

static int32_t partitions_of(const char *topic, void *opaque)
{
    (void)opaque;
    return strcmp(topic, EOS_IN) == 0 ? EOS_PARTITIONS : -1;
}

static void cluster_start(eos_run_t *r)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    r->mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert(r->mrk != NULL, "%s", errstr);
    r->mc = rd_kafka_mock_cluster_new(r->mrk, 3);
    cr_assert(r->mc != NULL);
    r->bs = rd_kafka_mock_cluster_bootstraps(r->mc);
    topic_on(r, EOS_IN, EOS_PARTITIONS, EOS_B_IN);
    topic_on(r, EOS_OUT, EOS_PARTITIONS, EOS_B_OUT);
    kstream_internal_topic_t *its = NULL;
    size_t n = 0;
    cr_assert_eq(kstream_topology_internal_topics(r->t, r->app_id,
                                                  partitions_of, NULL, &its,
                                                  &n, errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    cr_assert_eq(n, 1, "the count topology has one changelog");
    for (size_t i = 0; i < n; i++)
        topic_on(r, its[i].name, its[i].partitions, EOS_B_OUT);
    kstream_internal_topics_free(its, n);
    cr_assert_eq(rd_kafka_mock_coordinator_set(r->mc, "group", r->app_id,
                                               EOS_B_GROUP),
                 0);
    cr_assert_eq(rd_kafka_mock_coordinator_set(r->mc, "transaction",
                                               r->txn_id, EOS_B_TXN),
                 0);
}

/* The process id the app will find in its state directory, and so the
 * transactional id of its thread 0 (KS_TXN_ID_FMT). */
static void process_id_write(eos_run_t *r)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", r->dir, r->app_id);
    cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s", path);
    snprintf(path, sizeof(path), "%s/%s/kstream.process-id", r->dir,
             r->app_id);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "%s", path);
    fprintf(f, "%s\n", EOS_PROCESS_ID);
    cr_assert_eq(fclose(f), 0);
    snprintf(r->txn_id, sizeof(r->txn_id), "%s-%s-0", r->app_id,
             EOS_PROCESS_ID);
}

void eos_process_id_read(eos_run_t *r, char *out, size_t size)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s/kstream.process-id", r->dir,
             r->app_id);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "%s", path);
    cr_assert(fgets(out, (int)size, f) != NULL);
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* ---- the app ------------------------------------------------------------ */
void eos_start(eos_run_t *r, const char *app_id, const char *const *kv)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    r->log = calloc(1, EOS_LOG_MAX);
    cr_assert(r->log != NULL);
    snprintf(r->app_id, sizeof(r->app_id), "%s", app_id);
    r->dir = it_tmpdir();
    process_id_write(r);
    r->t = it_count_topology(EOS_IN, EOS_OUT);
    cluster_start(r);

    kstream_conf_t *c = kstream_conf_new();
    cr_assert(c != NULL);
    it_set(c, "application.id", app_id);
    it_set(c, "bootstrap.servers", r->bs);
    it_set(c, "state.dir", r->dir);
    it_set(c, "processing.guarantee", "exactly_once_v2");
    it_set(c, "commit.interval.ms", "200");
    it_set(c, "poll.ms", "50");
    it_set(c, "default.api.timeout.ms", "10000");
    it_set(c, "log.level", getenv("IT_DEBUG") ? "7" : "6");
    it_set(c, "consumer.session.timeout.ms", "3000");
    it_set(c, "consumer.heartbeat.interval.ms", "300");
    it_set(c, "consumer.fetch.wait.max.ms", "10");
    it_set(c, "consumer.reconnect.backoff.max.ms", "1000");
    it_set(c, "producer.reconnect.backoff.max.ms", "500");
    for (size_t i = 0; kv && kv[i]; i += 2)
        it_set(c, kv[i], kv[i + 1]);
    cr_assert_eq(kstream_conf_set_log_cb(c, log_cb, r), KSTREAM_OK);
    char errstr[512] = "";
    r->app = kstream_new(r->t, c, errstr, sizeof(errstr));
    kstream_conf_destroy(c);
    cr_assert(r->app != NULL, "%s", errstr);
    cr_assert_eq(kstream_start(r->app, errstr, sizeof(errstr)), KSTREAM_OK,
                 "%s", errstr);
    cr_assert(it_wait_state(r->app, KSTREAM_STATE_RUNNING, 20000),
              "state %s", kstream_state_name(kstream_state(r->app)));
    /* The app kept the process id it found, and its producer registered
     * the transactional id computed from it. */
    char pid[64];
    eos_process_id_read(r, pid, sizeof(pid));
    cr_assert_str_eq(pid, EOS_PROCESS_ID);
    char want[256];
    snprintf(want, sizeof(want), "%s: transactions initialized", r->txn_id);
    cr_assert(eos_wait_log(r, want, 10000), "no '%s' in the log", want);
}

void eos_end(eos_run_t *r, kstream_err_t want_close)
{
    int64_t t0 = it_now_ms();
    kstream_err_t err = kstream_close(r->app, 30000);
    int64_t took = it_now_ms() - t0;
    cr_assert_eq(err, want_close, "close: %s, want %s", kstream_err2name(err),
                 kstream_err2name(want_close));
    cr_assert_lt(took, 35000, "close took %lld ms", (long long)took);
    kstream_destroy(r->app);
    kstream_topology_destroy(r->t);
    rd_kafka_mock_cluster_destroy(r->mc);
    rd_kafka_destroy(r->mrk);
    it_rmdir(r->dir);
    free(r->log);
    pthread_mutex_destroy(&r->mu);
}

/* ---- input and progress -------------------------------------------------- */
void eos_produce(eos_run_t *r, int n)
{
    it_produce_keys(r->bs, EOS_IN, r->produced, n, EOS_KEYS);
    r->produced += n;
}

void eos_expect_all_counted(eos_run_t *r, int timeout_ms)
{
    int64_t want[EOS_KEYS];
    for (int k = 0; k < EOS_KEYS; k++)
        want[k] = r->produced / EOS_KEYS +
                  (k < r->produced % EOS_KEYS ? 1 : 0);
    /* At least once: the mock shows aborted records, and forgets the
     * offsets committed in transactions (rewinds go to the start). */
    bool ok = it_wait_counts(r->bs, EOS_OUT, EOS_KEYS, want, false,
                             timeout_ms);
    if (!ok) {
        pthread_mutex_lock(&r->mu);
        cr_log_error("log so far:\n%s", r->log);
        pthread_mutex_unlock(&r->mu);
    }
    cr_assert(ok, "not every one of %d input records is counted (state %s)",
              r->produced, kstream_state_name(kstream_state(r->app)));
}

long long eos_stat(eos_run_t *r, const char *name)
{
    char *json = kstream_stats_json(r->app);
    cr_assert(json != NULL);
    char key[128];
    snprintf(key, sizeof(key), "\"%s\":", name);
    long long total = 0;
    for (const char *p = json; (p = strstr(p, key)); p++)
        total += strtoll(p + strlen(key), NULL, 10);
    kstream_free(json);
    return total;
}

/* ---- faults ------------------------------------------------------------- */
void eos_push_errors(eos_run_t *r, int broker, int16_t api,
                     rd_kafka_resp_err_t code, int count, int rtt_ms)
{
    for (int i = 0; i < count; i++)
        cr_assert_eq(rd_kafka_mock_broker_push_request_error_rtts(
                             r->mc, broker, api, 1, code, rtt_ms),
                     0);
}

bool eos_wait_errors_used(eos_run_t *r, int broker, int16_t api,
                          int timeout_ms)
{
    int64_t until = it_now_ms() + timeout_ms;
    for (;;) {
        size_t left = 1;
        cr_assert_eq(rd_kafka_mock_broker_error_stack_cnt(r->mc, broker, api,
                                                          &left),
                     0);
        if (left == 0)
            return true;
        if (it_now_ms() > until)
            return false;
        it_sleep_ms(20);
    }
}

void eos_broker(eos_run_t *r, int broker, bool up)
{
    cr_assert_eq(up ? rd_kafka_mock_broker_set_up(r->mc, broker)
                    : rd_kafka_mock_broker_set_down(r->mc, broker),
                 0);
}
