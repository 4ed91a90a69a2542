/* sessionize - telemetry readings deduplicated, grouped into sessions per
 * device (30 s inactivity gap) and emitted once per closed session, with
 * alerts for readings above a threshold and for long sessions.
 *
 * Usage: sessionize [--bootstrap-servers HOSTS] [--generate N] [--seed S]
 *                   [--guarantee at_least_once|exactly_once_v2]
 *                   [--partitions P] [--threshold X] [--max-session-ms MS]
 *                   [--grace-ms MS] [--describe]
 *
 * Without --bootstrap-servers it starts the embedded development cluster
 * and creates the topics (P partitions, default 2). --generate N produces
 * N generated telemetry.raw records and a tail of one reading per device
 * two minutes later, which moves stream time past every earlier session's
 * close on every partition (without it the last sessions would stay open:
 * emit-final needs stream time to pass end + gap + grace). The program
 * then exits once the app has processed everything and been idle for 3 s,
 * checks the dead-letter, late and duplicate counts against the
 * generator's model and prints PASS or FAIL. Without --generate it runs
 * until SIGINT/SIGTERM. Either way it closes cleanly. Exit status: 0 ok,
 * 1 error or FAIL, 2 usage. */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sessionize.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- producing generated input ---------------------------------------- */
typedef struct producer {
    rd_kafka_t *rk;
    sessionize_model_t *model;
} producer_t;

static kstream_err_t produce(const char *topic, const void *key, size_t klen,
                             const void *value, size_t vlen, int64_t ts,
                             void *opaque)
{
    producer_t *p = opaque;
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(
                    p->rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_KEY((void *)key, klen),
                    RD_KAFKA_V_VALUE((void *)value, vlen),
                    RD_KAFKA_V_TIMESTAMP(ts),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(p->rk, 100);
    if (e) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
        return KSTREAM_ERR_KAFKA;
    }
    return sessionize_model_add(p->model, key, klen, value, vlen, ts);
}

static int generate(const char *bootstrap, uint64_t seed, size_t n,
                    sessionize_model_t *model)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "producer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    producer_t p = {rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                 sizeof errstr), model};
    if (!p.rk) {
        fprintf(stderr, "producer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    kstream_err_t err = sessionize_generate(seed, n, produce, &p);
    rd_kafka_resp_err_t fe = rd_kafka_flush(p.rk, 30000);
    rd_kafka_destroy(p.rk);
    if (err || fe) {
        fprintf(stderr, "generating input failed: %s\n",
                err ? kstream_err2str(err) : rd_kafka_err2str(fe));
        return -1;
    }
    return 0;
}

/* Records processed and dead-lettered (every thread) and consumer lag
 * (every partition) from the statistics; -1 when unknown. */
typedef struct counts {
    int64_t processed, lag, dlq, late, dups;
} counts_t;

/* Add the integer at printf-style path fmt(i, t, p) of j to *sum. */
static void add_at(const kstream_json_t *j, int64_t *sum, const char *fmt,
                   size_t i, size_t t, size_t p)
{
    char path[160];
    int64_t v;
    snprintf(path, sizeof path, fmt, i, t, p);
    if (!kstream_json_get_int64(j, path, &v, NULL, 0) && v > 0)
        *sum += v;
}

/* Records processed and dead-lettered, late and duplicate drops, and
 * consumer lag, from the statistics; -1 each when unknown. */
static void progress(kstream_t *app, counts_t *c)
{
    *c = (counts_t){-1, -1, -1, -1, -1};
    char *s = kstream_stats_json(app);
    kstream_json_t *j = NULL;
    if (!s || kstream_json_parse(s, strlen(s), &j, NULL, 0)) {
        kstream_free(s);
        return;
    }
    *c = (counts_t){0, 0, 0, 0, 0};
    size_t nt = 0;
    kstream_json_size(j, "threads", &nt, NULL, 0);
    char path[128];
    for (size_t i = 0; i < nt; i++) {
        add_at(j, &c->processed, "threads[%zu].records_processed", i, 0, 0);
        add_at(j, &c->dlq, "threads[%zu].dlq_records", i, 0, 0);
        size_t ntasks = 0;
        snprintf(path, sizeof path, "threads[%zu].tasks", i);
        kstream_json_size(j, path, &ntasks, NULL, 0);
        for (size_t t = 0; t < ntasks; t++) {
            add_at(j, &c->late, "threads[%zu].tasks[%zu].late_records_dropped",
                   i, t, 0);
            add_at(j, &c->dups, "threads[%zu].tasks[%zu].duplicates_dropped",
                   i, t, 0);
            size_t nparts = 0;
            snprintf(path, sizeof path, "threads[%zu].tasks[%zu].partitions",
                     i, t);
            kstream_json_size(j, path, &nparts, NULL, 0);
            for (size_t p = 0; p < nparts; p++)
                add_at(j, &c->lag, "threads[%zu].tasks[%zu].partitions[%zu].lag",
                       i, t, p);
        }
    }
    kstream_json_destroy(j);
    kstream_free(s);
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--bootstrap-servers HOSTS] [--generate N] [--seed S]"
            "\n          [--guarantee at_least_once|exactly_once_v2]"
            " [--partitions P]\n          [--threshold X] [--max-session-ms MS]"
            " [--grace-ms MS] [--describe]\n",
            prog);
    return 2;
}

static int set(kstream_conf_t *c, const char *k, const char *v)
{
    char errstr[512];
    if (kstream_conf_set(c, k, v, errstr, sizeof errstr) == KSTREAM_CONF_OK)
        return 0;
    fprintf(stderr, "config: %s\n", errstr);
    return -1;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *guarantee = "at_least_once";
    long long n = 0, seed = 1, partitions = 2;
    int describe = 0;
    sessionize_opts_t o;
    sessionize_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--describe")) {
            describe = 1;
            continue;
        }
        if (!v)
            return usage(argv[0]);
        i++;
        if (!strcmp(a, "--bootstrap-servers"))
            bootstrap = v;
        else if (!strcmp(a, "--guarantee"))
            guarantee = v;
        else if (!strcmp(a, "--generate"))
            n = strtoll(v, &end, 10);
        else if (!strcmp(a, "--seed"))
            seed = strtoll(v, &end, 10);
        else if (!strcmp(a, "--partitions"))
            partitions = strtoll(v, &end, 10);
        else if (!strcmp(a, "--grace-ms"))
            o.grace_ms = strtoll(v, &end, 10);
        else if (!strcmp(a, "--max-session-ms"))
            o.max_session_ms = strtoll(v, &end, 10);
        else if (!strcmp(a, "--threshold"))
            o.threshold = strtod(v, &end);
        else
            return usage(argv[0]);
        if (end && (*end || end == v || n < 0 || partitions < 1 ||
                    partitions > 64))
            return usage(argv[0]);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    char errstr[512];
    kstream_topology_t *topo = sessionize_build(&o, errstr, sizeof errstr);
    if (!topo) {
        fprintf(stderr, "topology: %s\n", errstr);
        return 1;
    }
    if (describe) {
        char *m = kstream_topology_describe(topo, KSTREAM_DESCRIBE_MERMAID);
        printf("%s\n", m ? m : "(describe failed)");
        kstream_free(m);
    }
    int rc = 1;
    kstream_dev_cluster_t *dc = NULL;
    kstream_conf_t *conf = kstream_conf_new();
    kstream_t *app = NULL;
    sessionize_model_t *model = sessionize_model_new(&o);
    char state_dir[] = "/tmp/kstream-sessionize-XXXXXX";
    if (!conf || !model || !mkdtemp(state_dir)) {
        fprintf(stderr, "out of memory or no temporary directory\n");
        goto out;
    }
    if (!bootstrap) {
        dc = kstream_dev_cluster_new(1, errstr, sizeof errstr);
        if (!dc) {
            fprintf(stderr, "development cluster: %s\n", errstr);
            goto out;
        }
        bootstrap = kstream_dev_cluster_bootstrap(dc);
        const char *topics[] = {o.input_topic, o.sessions_topic,
                                o.alerts_topic, o.dlq_topic};
        for (int t = 0; t < 4; t++)
            if (kstream_dev_cluster_create_topic(dc, topics[t],
                                                 (int32_t)partitions)) {
                fprintf(stderr, "cannot create topic %s\n", topics[t]);
                goto out;
            }
        if (kstream_dev_cluster_create_internal_topics(
                    dc, topo, "sessionize", errstr, sizeof errstr)) {
            fprintf(stderr, "internal topics: %s\n", errstr);
            goto out;
        }
        printf("embedded cluster at %s\n", bootstrap);
    }
    if (sessionize_configure(conf, &o, errstr, sizeof errstr)) {
        fprintf(stderr, "config: %s\n", errstr);
        goto out;
    }
    if (set(conf, "application.id", "sessionize") ||
        set(conf, "bootstrap.servers", bootstrap) ||
        set(conf, "processing.guarantee", guarantee) ||
        set(conf, "state.dir", state_dir) ||
        set(conf, "commit.interval.ms", "1000") ||
        set(conf, "log.level", "3")) /* dead-lettering warns per record */
        goto out;
    app = kstream_new(topo, conf, errstr, sizeof errstr);
    if (!app || kstream_start(app, errstr, sizeof errstr)) {
        fprintf(stderr, "start: %s\n", errstr);
        goto out;
    }
    if (n > 0 && generate(bootstrap, (uint64_t)seed, (size_t)n, model))
        goto out;
    if (n > 0)
        printf("produced %lld records (+%d closing the last sessions) to "
               "%s\n", n, SESSIONIZE_FLUSH_RECORDS, o.input_topic);
    int64_t last = -1;
    int idle = 0;
    counts_t c;
    for (long sec = 1; !stop; sec++) {
        for (int k = 0; k < 10 && !stop; k++)
            sleep_ms(100);
        if (kstream_state(app) == KSTREAM_STATE_ERROR)
            break;
        progress(app, &c);
        printf("after %lds: %s, %lld records processed, lag %lld, "
               "%lld dead-lettered (%lld late), %lld duplicates dropped\n",
               sec, kstream_state_name(kstream_state(app)),
               (long long)c.processed, (long long)c.lag, (long long)c.dlq,
               (long long)c.late, (long long)c.dups);
        fflush(stdout);
        idle = n > 0 && c.processed == last && c.lag == 0 ? idle + 1 : 0;
        last = c.processed;
        if (idle >= 3)
            break; /* generated input processed, idle for 3 s */
    }
    if (kstream_state(app) == KSTREAM_STATE_ERROR) {
        kstream_last_error(app, errstr, sizeof errstr);
        fprintf(stderr, "app stopped: %s\n", errstr);
        goto out;
    }
    progress(app, &c);
    if (kstream_close(app, 30000)) {
        kstream_last_error(app, errstr, sizeof errstr);
        fprintf(stderr, "close: %s\n", errstr);
        goto out;
    }
    printf("closed cleanly\n");
    rc = 0;
    if (n > 0) {
        size_t invalid, late, dups, open;
        sessionize_model_counts(model, &invalid, &late, &dups, &open);
        printf("expected: %zu sessions to %s, %zu alerts to %s, %zu invalid "
               "and %zu late readings to %s, %zu duplicates dropped, %zu "
               "sessions left open (the tail's)\n",
               sessionize_model_sessions(model), o.sessions_topic,
               sessionize_model_alerts(model), o.alerts_topic, invalid, late,
               o.dlq_topic, dups, open);
        int ok = c.dlq == (int64_t)(invalid + late) &&
                 c.late == (int64_t)late && c.dups == (int64_t)dups;
        printf("%s\n", ok ? "PASS (dead letters, late readings and "
                            "duplicates match the generator)"
                          : "FAIL: counts differ from the generator's");
        rc = ok ? 0 : 1;
    }
out:
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(topo);
    sessionize_model_destroy(model);
    kstream_dev_cluster_destroy(dc);
    if (state_dir[sizeof state_dir - 7] != 'X') {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", state_dir);
    }
    return rc;
}
