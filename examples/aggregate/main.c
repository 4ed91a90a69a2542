/* aggregate - per-minute counts and amounts of enriched events by type and
 * customer segment, and a live table of the running totals per segment.
 *
 * Usage: aggregate [--bootstrap-servers HOSTS] [--generate N] [--seed S]
 *                  [--guarantee at_least_once|exactly_once_v2]
 *                  [--partitions P] [--grace-ms MS] [--describe]
 *
 * Without --bootstrap-servers it starts the embedded development cluster
 * and creates the topics (P partitions, default 1: see README.md on
 * partitions and grace). --generate N produces
 * N generated events.enriched records (and the tail that closes the last
 * windows); the program then exits once the app has processed everything
 * and been idle for 3 s, checks the totals and dead-letter count against
 * the generator's model and prints PASS or FAIL. Without --generate it
 * runs until SIGINT/SIGTERM. Either way it closes cleanly and prints the
 * final table. Exit status: 0 ok, 1 error or FAIL, 2 usage. */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"

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

/* ---- the live table: an interactive query of the totals store -------- */
typedef struct totals {
    int64_t count[AGGREGATE_NSEGMENTS], amount[AGGREGATE_NSEGMENTS];
} totals_t;

static kstream_err_t read_totals(kstream_store_t *store, int32_t partition,
                                 void *opaque)
{
    (void)partition;
    totals_t *t = opaque;
    kstream_iter_t *it;
    kstream_err_t err = kstream_store_all(store, &it);
    if (err)
        return err;
    kstream_bytes_t k, v;
    while ((err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK)
        for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
            if (k.len == strlen(aggregate_segments[s]) &&
                !memcmp(k.data, aggregate_segments[s], k.len) &&
                aggregate_total_decode(v.data, v.len, &t->count[s],
                                       &t->amount[s]) != KSTREAM_OK)
                fprintf(stderr, "bad total of %s\n", aggregate_segments[s]);
    kstream_iter_close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

static void print_table(const totals_t *t, const char *title)
{
    printf("%s\n  %-8s %10s %16s\n", title, "segment", "events", "amount");
    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
        printf("  %-8s %10lld %16.2f\n", aggregate_segments[s],
               (long long)t->count[s], (double)t->amount[s] / 100.0);
    fflush(stdout);
}

/* ---- producing generated input ---------------------------------------- */
typedef struct producer {
    rd_kafka_t *rk;
    aggregate_model_t *model;
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
    return aggregate_model_add(p->model, key, klen, value, vlen, ts);
}

static int generate(const char *bootstrap, uint64_t seed, size_t n,
                    aggregate_model_t *model)
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
    kstream_err_t err = aggregate_generate(seed, n, produce, &p);
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
static void progress(kstream_t *app, int64_t *processed, int64_t *lag,
                     int64_t *dlq)
{
    *processed = *lag = *dlq = -1;
    char *s = kstream_stats_json(app);
    kstream_json_t *j = NULL;
    if (!s || kstream_json_parse(s, strlen(s), &j, NULL, 0)) {
        kstream_free(s);
        return;
    }
    size_t nt = 0;
    kstream_json_size(j, "threads", &nt, NULL, 0);
    *processed = *lag = *dlq = 0;
    char path[128];
    for (size_t i = 0; i < nt; i++) {
        int64_t v = 0;
        size_t ntasks = 0, nparts = 0;
        snprintf(path, sizeof path, "threads[%zu].records_processed", i);
        kstream_json_get_int64(j, path, &v, NULL, 0);
        *processed += v;
        snprintf(path, sizeof path, "threads[%zu].dlq_records", i);
        if (!kstream_json_get_int64(j, path, &v, NULL, 0))
            *dlq += v;
        snprintf(path, sizeof path, "threads[%zu].tasks", i);
        kstream_json_size(j, path, &ntasks, NULL, 0);
        for (size_t t = 0; t < ntasks; t++) {
            snprintf(path, sizeof path, "threads[%zu].tasks[%zu].partitions",
                     i, t);
            kstream_json_size(j, path, &nparts, NULL, 0);
            for (size_t p = 0; p < nparts; p++) {
                snprintf(path, sizeof path,
                         "threads[%zu].tasks[%zu].partitions[%zu].lag", i, t,
                         p);
                if (!kstream_json_get_int64(j, path, &v, NULL, 0) && v > 0)
                    *lag += v;
            }
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
            " [--partitions P]\n          [--grace-ms MS] [--describe]\n",
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
    long long n = 0, seed = 1, partitions = 1;
    int describe = 0;
    aggregate_opts_t o;
    aggregate_opts_default(&o);
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
        else
            return usage(argv[0]);
        if (end && (*end || end == v || n < 0 || partitions < 1 ||
                    partitions > 64 || o.grace_ms < 0))
            return usage(argv[0]);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    char errstr[512];
    kstream_topology_t *topo = aggregate_build(&o, errstr, sizeof errstr);
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
    aggregate_model_t *model = aggregate_model_new(&o);
    char state_dir[] = "/tmp/kstream-aggregate-XXXXXX";
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
        const char *topics[] = {o.input_topic, o.output_topic, o.dlq_topic};
        for (int t = 0; t < 3; t++)
            if (kstream_dev_cluster_create_topic(dc, topics[t],
                                                 (int32_t)partitions)) {
                fprintf(stderr, "cannot create topic %s\n", topics[t]);
                goto out;
            }
        if (kstream_dev_cluster_create_internal_topics(
                    dc, topo, "aggregate", errstr, sizeof errstr)) {
            fprintf(stderr, "internal topics: %s\n", errstr);
            goto out;
        }
        printf("embedded cluster at %s\n", bootstrap);
    }
    if (aggregate_configure(conf, &o, errstr, sizeof errstr)) {
        fprintf(stderr, "config: %s\n", errstr);
        goto out;
    }
    if (set(conf, "application.id", "aggregate") ||
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
        printf("produced %lld records (+%d closing the last windows) to %s\n",
               n, AGGREGATE_FLUSH_RECORDS, o.input_topic);
    int64_t last = -1;
    int idle = 0, tty = isatty(STDOUT_FILENO);
    for (long sec = 1; !stop; sec++) {
        for (int k = 0; k < 10 && !stop; k++)
            sleep_ms(100);
        if (kstream_state(app) == KSTREAM_STATE_ERROR)
            break;
        totals_t t = {{0}, {0}};
        kstream_err_t qe = kstream_query(app, o.totals_store, -1, read_totals,
                                         &t);
        char title[96];
        snprintf(title, sizeof title, "%s%s after %lds%s%s",
                 tty ? "\033[H\033[2J" : "", "running totals", sec,
                 qe ? ": " : "", qe ? kstream_err2str(qe) : "");
        print_table(&t, title);
        int64_t processed, lag, dlq;
        progress(app, &processed, &lag, &dlq);
        idle = n > 0 && processed == last && lag == 0 ? idle + 1 : 0;
        last = processed;
        if (idle >= 3)
            break; /* generated input processed, idle for 3 s */
    }
    if (kstream_state(app) == KSTREAM_STATE_ERROR) {
        kstream_last_error(app, errstr, sizeof errstr);
        fprintf(stderr, "app stopped: %s\n", errstr);
        goto out;
    }
    totals_t final = {{0}, {0}};
    kstream_err_t qe = kstream_query(app, o.totals_store, -1, read_totals,
                                     &final);
    int64_t processed, lag, dlq;
    progress(app, &processed, &lag, &dlq);
    if (kstream_close(app, 30000)) {
        kstream_last_error(app, errstr, sizeof errstr);
        fprintf(stderr, "close: %s\n", errstr);
        goto out;
    }
    print_table(&final, qe ? "final totals: query failed" : "final totals");
    printf("closed cleanly\n");
    rc = 0;
    if (n > 0) {
        int ok = !qe;
        for (int s = 0; s < AGGREGATE_NSEGMENTS; s++) {
            int64_t c, a;
            aggregate_model_total(model, aggregate_segments[s], &c, &a);
            ok &= c == final.count[s] && a == final.amount[s];
        }
        size_t want_dlq = aggregate_model_invalid(model) +
                          aggregate_model_late(model);
        printf("expected: %zu final windows to %s; %zu invalid and %zu late "
               "records to %s (dead-lettered: %lld)\n",
               aggregate_model_rows(model), o.output_topic,
               aggregate_model_invalid(model), aggregate_model_late(model),
               o.dlq_topic, (long long)dlq);
        ok &= dlq == (int64_t)want_dlq;
        printf("%s\n", ok ? "PASS (running totals and dead letters match the "
                            "generator)"
                          : "FAIL: totals or dead letters differ from the "
                            "generator's");
        rc = ok ? 0 : 1;
    }
out:
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(topo);
    aggregate_model_destroy(model);
    kstream_dev_cluster_destroy(dc);
    if (state_dir[sizeof state_dir - 7] != 'X') {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", state_dir);
    }
    return rc;
}
