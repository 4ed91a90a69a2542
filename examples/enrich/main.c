/* enrich - user events enriched with per-user order statistics from a
 * CDC table (see README.md). Starts the embedded development cluster
 * unless --bootstrap-servers is given, optionally produces generated
 * input, runs the topology and prints progress and a sample of the
 * output.
 *
 * With --generate N the program stops once every output the model
 * expects has been written (or after --idle-ms without progress) and
 * exits 0 when the counts match; otherwise it runs until SIGINT/SIGTERM
 * or --duration seconds. */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

typedef struct args {
    const char *bootstrap, *registry_url, *guarantee, *app_id, *state_dir;
    long generate, sample, partitions, duration_s, idle_ms;
    unsigned long long seed;
    int describe;
} args_t;

/* What the output tap saw (the stream thread writes, main reads). */
typedef struct tap {
    pthread_mutex_t mu;
    long enriched, sample;
} tap_t;

static kstream_err_t on_output(const kstream_record_t *rec, void *opaque)
{
    tap_t *t = opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    pthread_mutex_lock(&t->mu);
    if (t->enriched++ < t->sample)
        printf("  events.enriched %.*s\n", (int)v.len, (const char *)v.data);
    pthread_mutex_unlock(&t->mu);
    return KSTREAM_OK;
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--bootstrap-servers HOSTS] [--schema-registry-url URL]\n"
            "       [--generate N] [--seed S] [--partitions P]\n"
            "       [--guarantee at_least_once|exactly_once_v2]\n"
            "       [--duration SECONDS] [--idle-ms MS] [--sample K]\n"
            "       [--application-id ID] [--state-dir DIR] [--describe]\n",
            prog);
    return 2;
}

static int parse(int argc, char **argv, args_t *a)
{
    *a = (args_t){.registry_url = ENRICH_REGISTRY_URL,
                  .guarantee = "at_least_once", .app_id = "enrich",
                  .sample = 5, .partitions = 4, .idle_ms = 10000, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        long *num = !strcmp(o, "--generate")     ? &a->generate
                    : !strcmp(o, "--sample")     ? &a->sample
                    : !strcmp(o, "--partitions") ? &a->partitions
                    : !strcmp(o, "--duration")   ? &a->duration_s
                    : !strcmp(o, "--idle-ms")    ? &a->idle_ms
                                                 : NULL;
        const char **str = !strcmp(o, "--bootstrap-servers") ? &a->bootstrap
                           : !strcmp(o, "--schema-registry-url")
                                   ? &a->registry_url
                           : !strcmp(o, "--guarantee")      ? &a->guarantee
                           : !strcmp(o, "--application-id") ? &a->app_id
                           : !strcmp(o, "--state-dir")      ? &a->state_dir
                                                            : NULL;
        if (!strcmp(o, "--describe"))
            a->describe = 1;
        else if (num && v) {
            *num = strtol(v, &end, 10);
            if (*end || *num < 0)
                return -1;
            i++;
        } else if (!strcmp(o, "--seed") && v) {
            a->seed = strtoull(v, &end, 10);
            if (*end)
                return -1;
            i++;
        } else if (str && v) {
            *str = v;
            i++;
        } else
            return -1;
    }
    return a->partitions < 1 || a->partitions > 1024 ? -1 : 0;
}

/* ---- producing the generated input ------------------------------------------ */
typedef struct feed {
    rd_kafka_t *producer;
    enrich_model_t *model;
    long failed; /* delivery failures */
} feed_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    if (m->err)
        ((feed_t *)opaque)->failed++;
}

static int produce(const enrich_gen_record_t *r, void *opaque)
{
    feed_t *f = opaque;
    if (enrich_model_add(f->model, r))
        return -1;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
                f->producer, RD_KAFKA_V_TOPIC(r->topic),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY((void *)r->key, r->key ? r->key_len : 0),
                RD_KAFKA_V_VALUE((void *)r->value, r->value ? r->value_len : 0),
                RD_KAFKA_V_TIMESTAMP(r->timestamp), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err)
                fprintf(stderr, "produce to %s: %s\n", r->topic,
                        rd_kafka_err2str(err));
            return err ? -1 : 0;
        }
        rd_kafka_poll(f->producer, 100);
    }
}

static int generate(const args_t *a, const char *bootstrap,
                    kstream_avro_registry_t *reg, enrich_model_t *model)
{
    char err[512];
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    feed_t f = {.model = model};
    /* murmur2 like Java producers and kstream's sinks: co-partitioning. */
    if (rd_kafka_conf_set(pc, "bootstrap.servers", bootstrap, err,
                          sizeof(err)) ||
        rd_kafka_conf_set(pc, "partitioner", "murmur2_random", err,
                          sizeof(err)) ||
        rd_kafka_conf_set(pc, "linger.ms", "5", err, sizeof(err))) {
        fprintf(stderr, "producer: %s\n", err);
        rd_kafka_conf_destroy(pc);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_opaque(pc, &f);
    if (!(f.producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err,
                                    sizeof(err)))) {
        fprintf(stderr, "producer: %s\n", err);
        rd_kafka_conf_destroy(pc);
        return -1;
    }
    int rc = enrich_generate(reg, a->seed, (size_t)a->generate, produce, &f,
                             err, sizeof(err));
    if (rc)
        fprintf(stderr, "generate: %s\n", err[0] ? err : "produce failed");
    if (rd_kafka_flush(f.producer, 30000) || f.failed) {
        fprintf(stderr, "generate: %ld records not delivered\n",
                f.failed ? f.failed : (long)rd_kafka_outq_len(f.producer));
        rc = -1;
    }
    rd_kafka_destroy(f.producer);
    return rc;
}

/* ---- running ------------------------------------------------------------------ */
/* Sum a counter of the statistics JSON over the threads, or over their
 * tasks when tasks is set. */
static long long stat_sum(kstream_t *app, const char *field, bool tasks)
{
    char *s = kstream_stats_json(app), path[96];
    kstream_json_t *j = NULL;
    long long sum = 0;
    size_t n = 0, nt = 1;
    if (s && !kstream_json_parse(s, strlen(s), &j, NULL, 0) &&
        !kstream_json_size(j, "threads", &n, NULL, 0))
        for (size_t i = 0; i < n; i++) {
            snprintf(path, sizeof(path), "threads[%zu].tasks", i);
            if (tasks && kstream_json_size(j, path, &nt, NULL, 0))
                continue;
            for (size_t k = 0; k < nt; k++) {
                int64_t v = 0;
                if (tasks)
                    snprintf(path, sizeof(path), "threads[%zu].tasks[%zu].%s",
                             i, k, field);
                else
                    snprintf(path, sizeof(path), "threads[%zu].%s", i, field);
                if (!kstream_json_get_int64(j, path, &v, NULL, 0))
                    sum += v;
            }
        }
    kstream_json_destroy(j);
    kstream_free(s);
    return sum;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run until the expected output is there, a stop, or the time is up.
 * @returns 0 when generating and every expected record came out. */
static int run(const args_t *a, kstream_t *app, tap_t *tap,
               const enrich_model_t *model)
{
    long want_out = (long)enrich_model_output_count(model);
    long want_dlq = (long)enrich_model_dlq_count(model);
    int64_t start = now_ms(), last_change = start;
    long long last = -1, processed = 0, dlq = 0;
    long enriched = 0;
    for (int tick = 0; !g_stop; tick++) {
        usleep(200 * 1000);
        if (kstream_state(app) == KSTREAM_STATE_ERROR)
            break;
        processed = stat_sum(app, "records_processed", false);
        dlq = stat_sum(app, "dlq_records", false);
        pthread_mutex_lock(&tap->mu);
        enriched = tap->enriched;
        pthread_mutex_unlock(&tap->mu);
        if (processed + dlq + enriched != last) {
            last = processed + dlq + enriched;
            last_change = now_ms();
        }
        if (tick % 5 == 0)
            printf("[%5.1fs] %s: processed %lld, enriched %ld, "
                   "dead-lettered %lld\n",
                   (double)(now_ms() - start) / 1000.0,
                   kstream_state_name(kstream_state(app)), processed,
                   enriched, dlq);
        if (a->generate && enriched >= want_out && dlq >= want_dlq)
            break;
        if (a->generate && now_ms() - last_change > a->idle_ms)
            break;
        if (a->duration_s && now_ms() - start > a->duration_s * 1000)
            break;
    }
    printf("enriched %ld, dead-lettered %lld, duplicates dropped %lld\n",
           enriched, dlq, stat_sum(app, "duplicates_dropped", true));
    if (!a->generate)
        return 0;
    printf("the model expects: enriched %ld, dead-lettered %ld, "
           "duplicates dropped %zu\n",
           want_out, want_dlq, enrich_model_duplicates(model));
    bool ok = enriched == want_out && dlq == want_dlq;
    printf("%s\n", ok ? "PASS" : "MISMATCH");
    return ok ? 0 : 1;
}

/* ---- setup --------------------------------------------------------------- */
static kstream_avro_registry_t *registry(const char *url)
{
    char err[512];
    kstream_avro_conf_t *c = kstream_avro_conf_new();
    kstream_avro_registry_t *reg = NULL;
    if (c && kstream_avro_conf_set(c, "schema.registry.url", url, err,
                                   sizeof(err)) == KSTREAM_CONF_OK)
        reg = kstream_avro_registry_new(c, err, sizeof(err));
    if (!reg)
        fprintf(stderr, "schema registry: %s\n", c ? err : "out of memory");
    kstream_avro_conf_destroy(c);
    return reg;
}

/* The embedded cluster with the topics the app needs. */
static kstream_dev_cluster_t *cluster(const args_t *a,
                                      const kstream_topology_t *t)
{
    char err[512];
    const char *topics[] = {ENRICH_EVENTS_TOPIC, ENRICH_ORDERS_TOPIC,
                            ENRICH_OUTPUT_TOPIC, ENRICH_DLQ_TOPIC};
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, err, sizeof(err));
    if (!dc) {
        fprintf(stderr, "dev cluster: %s\n", err);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
        if (kstream_dev_cluster_create_topic(dc, topics[i],
                                             (int32_t)a->partitions)) {
            fprintf(stderr, "dev cluster: cannot create %s\n", topics[i]);
            kstream_dev_cluster_destroy(dc);
            return NULL;
        }
    if (kstream_dev_cluster_create_internal_topics(dc, t, a->app_id, err,
                                                   sizeof(err))) {
        fprintf(stderr, "dev cluster: %s\n", err);
        kstream_dev_cluster_destroy(dc);
        return NULL;
    }
    printf("embedded cluster: bootstrap.servers=%s\n",
           kstream_dev_cluster_bootstrap(dc));
    return dc;
}

static kstream_t *app_new(const args_t *a, const enrich_opts_t *o,
                          const kstream_topology_t *t, const char *bootstrap,
                          const char *state_dir)
{
    char err[512];
    kstream_conf_t *conf = kstream_conf_new();
    const char *kv[][2] = {{"application.id", a->app_id},
                           {"bootstrap.servers", bootstrap},
                           {"processing.guarantee", a->guarantee},
                           {"state.dir", state_dir},
                           {"commit.interval.ms", "1000"},
                           /* a warning per dead-lettered record: quiet */
                           {"log.level", "3"}};
    kstream_t *app = NULL;
    bool ok = conf && enrich_conf_set(conf, o, err, sizeof(err)) == 0;
    for (size_t i = 0; ok && i < sizeof(kv) / sizeof(kv[0]); i++)
        ok = kstream_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) ==
             KSTREAM_CONF_OK;
    if (ok)
        app = kstream_new(t, conf, err, sizeof(err));
    if (!app)
        fprintf(stderr, "configuration: %s\n", conf ? err : "out of memory");
    kstream_conf_destroy(conf);
    return app;
}

int main(int argc, char **argv)
{
    args_t a;
    char err[512], tmpdir[] = "/tmp/kstream-enrich-XXXXXX";
    if (parse(argc, argv, &a))
        return usage(argv[0]);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    tap_t tap = {.sample = a.sample};
    pthread_mutex_init(&tap.mu, NULL);
    enrich_opts_t o;
    enrich_opts_init(&o);
    o.on_output = on_output;
    o.on_output_opaque = &tap;
    o.registry = registry(a.registry_url);
    kstream_topology_t *t = o.registry ? enrich_topology(&o, err, sizeof(err))
                                       : NULL;
    if (o.registry && !t)
        fprintf(stderr, "topology: %s\n", err);
    if (t && a.describe) {
        char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_MERMAID);
        printf("%s\n", d ? d : "");
        kstream_free(d);
    }
    kstream_dev_cluster_t *dc = t && !a.bootstrap ? cluster(&a, t) : NULL;
    const char *bootstrap = dc ? kstream_dev_cluster_bootstrap(dc)
                               : a.bootstrap;
    /* A fresh state directory on the embedded cluster: it starts empty. */
    const char *state_dir = a.state_dir  ? a.state_dir
                            : !a.bootstrap ? mkdtemp(tmpdir)
                                           : "/tmp/kstream";
    enrich_model_t *model = enrich_model_new(&o);
    kstream_t *app = bootstrap && state_dir && model
                             ? app_new(&a, &o, t, bootstrap, state_dir)
                             : NULL;
    int rc = 1;
    if (app && kstream_start(app, err, sizeof(err)) != KSTREAM_OK)
        fprintf(stderr, "start: %s\n", err);
    else if (app && a.generate &&
             generate(&a, bootstrap, o.registry, model) != 0)
        fprintf(stderr, "generating the input failed\n");
    else if (app) {
        if (a.generate)
            printf("produced %ld records (seed %llu)\n", a.generate, a.seed);
        rc = run(&a, app, &tap, model);
    }
    if (app && kstream_close(app, 30000) != KSTREAM_OK) {
        kstream_last_error(app, err, sizeof(err));
        fprintf(stderr, "stopped with an error: %s\n", err);
        rc = 1;
    }
    kstream_destroy(app);
    enrich_model_destroy(model);
    kstream_dev_cluster_destroy(dc);
    kstream_topology_destroy(t);
    kstream_avro_registry_destroy(o.registry);
    pthread_mutex_destroy(&tap.mu);
    if (state_dir == tmpdir) { /* remove what the app left there */
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return rc;
}
