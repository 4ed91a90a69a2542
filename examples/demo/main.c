/* demo - the three example apps together in one process, exactly-once,
 * on the embedded development cluster (or --bootstrap-servers), with
 * generated input and every output checked against the generators'
 * models. `make demo` runs it.
 *
 *   enrich:     events.user + cdc.orders -> events.enriched, events.dlq
 *   aggregate:  events.enriched -> events.per-minute (+ .dlq), totals
 *   sessionize: telemetry.raw -> telemetry.sessions, alerts, telemetry.dlq
 *
 * Usage: demo [--bootstrap-servers HOSTS] [--prefix P] [--events N]
 *             [--seed S] [--timeout SECONDS]
 * N records of input for enrich and N for sessionize (default 5000).
 * Prints progress every second, samples of each output topic, the final
 * per-minute table, the running totals, the sessions and alerts, then
 * PASS, or each difference and FAIL. Exit status: 0 PASS, 1 FAIL or an
 * error, 2 usage. With a real cluster the topics and application ids get
 * a prefix of their own per run (kstream-demo-<time>-, or --prefix), so
 * that every run starts from empty topics. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo_setup.h"

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The output topics (indices of demo_topic_at()), as the reader has them. */
#define NOUT 7
static const size_t OUT[NOUT] = {2, 3, 4, 5, 7, 8, 9};
static const char *const APP[3] = {"enrich", "aggregate", "sessionize"};
static const size_t APP_OUT[3][2] = {{0, 2}, {2, 4}, {4, 7}}; /* [lo, hi) */

typedef struct run {
    kstream_t *app[3];
    demo_reader_t *reader;
    demo_recs_t want[NOUT];
    int64_t start, last_print;
} run_t;

static void progress(run_t *r)
{
    printf("[%3llds]", (long long)((mono_ms() - r->start) / 1000));
    for (int a = 0; a < 3; a++) {
        size_t got = 0, want = 0;
        for (size_t i = APP_OUT[a][0]; i < APP_OUT[a][1]; i++) {
            got += demo_reader_records(r->reader, i)->n;
            want += r->want[i].n;
        }
        printf("%s %s in %lld, out %zu/%zu", a ? " |" : "", APP[a],
               demo_stat_sum(r->app[a], "records_processed"), got, want);
    }
    printf("\n");
    fflush(stdout);
}

/* Read outputs for about 100 ms; progress once a second. */
static void tick(void *opaque)
{
    run_t *r = opaque;
    if (demo_reader_poll(r->reader, 100))
        g_stop = 1;
    if (mono_ms() - r->last_print >= 1000) {
        r->last_print = mono_ms();
        progress(r);
    }
}

static bool complete(const run_t *r)
{
    for (size_t i = 0; i < NOUT; i++)
        if (demo_reader_records(r->reader, i)->n < r->want[i].n)
            return false;
    return true;
}

/* ---- what the models expect ------------------------------------------------ */
#define ADD(l, x) demo_recs_add(l, (x)->key, (x)->klen, (x)->value, (x)->vlen, \
                                (x)->timestamp)
static int expected(const demo_input_t *in, demo_recs_t *w)
{
    const enrich_model_t *em = demo_input_enrich(in);
    const aggregate_model_t *am = demo_input_aggregate(in);
    const sessionize_model_t *sm = demo_input_sessionize(in);
    int rc = 0;
    for (size_t i = 0; i < enrich_model_output_count(em); i++) {
        const enrich_expected_t *x = enrich_model_output(em, i);
        rc |= demo_recs_add(&w[0], x->null_key ? NULL : x->key, x->key_len,
                            x->value, x->value_len, x->timestamp);
    }
    for (size_t i = 0; i < enrich_model_dlq_count(em); i++) {
        const enrich_expected_t *x = enrich_model_dlq(em, i);
        rc |= demo_recs_add(&w[1], x->null_key ? NULL : x->key, x->key_len,
                            x->value, x->value_len, x->timestamp);
    }
    for (size_t i = 0; i < aggregate_model_rows(am); i++)
        rc |= ADD(&w[2], aggregate_model_row(am, i));
    for (size_t i = 0; i < aggregate_model_invalid(am); i++)
        rc |= ADD(&w[3], aggregate_model_invalid_at(am, i));
    for (size_t i = 0; i < aggregate_model_late(am); i++)
        rc |= ADD(&w[3], aggregate_model_late_at(am, i));
    for (size_t i = 0; i < sessionize_model_sessions(sm); i++)
        rc |= ADD(&w[4], sessionize_model_session(sm, i));
    for (size_t i = 0; i < sessionize_model_alerts(sm); i++)
        rc |= ADD(&w[5], sessionize_model_alert(sm, i));
    for (size_t i = 0; i < sessionize_model_dlq(sm); i++)
        rc |= ADD(&w[6], sessionize_model_dlq_at(sm, i));
    return rc;
}

/* ---- the running totals (interactive query of aggregate's store) ----- */
typedef struct totals {
    int64_t count[AGGREGATE_NSEGMENTS], amount[AGGREGATE_NSEGMENTS];
} totals_t;

static kstream_err_t read_totals(kstream_store_t *store, int32_t partition,
                                 void *opaque)
{
    (void)partition;
    totals_t *t = opaque;
    kstream_iter_t *it;
    kstream_bytes_t k, v;
    kstream_err_t err = kstream_store_all(store, &it);
    if (err)
        return err;
    while (!err && (err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK)
        for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
            if (k.len == strlen(aggregate_segments[s]) &&
                !memcmp(k.data, aggregate_segments[s], k.len))
                err = aggregate_total_decode(v.data, v.len, &t->count[s],
                                             &t->amount[s]);
    kstream_iter_close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

/* Compare everything; print each difference. @returns the count. */
static size_t check(run_t *r, const demo_topics_t *t, const demo_input_t *in,
                    kstream_err_t qerr, const totals_t *tot)
{
    size_t diffs = 0;
    printf("checking the outputs against the generators' models...\n");
    for (size_t i = 0; i < NOUT; i++) {
        const demo_recs_t *got = demo_reader_records(r->reader, i);
        size_t d = demo_recs_diff(demo_topic_at(t, OUT[i]), &r->want[i],
                                  got, 10);
        printf("  %-22s %5zu records, expected %5zu: %s\n",
               demo_topic_at(t, OUT[i]), got->n, r->want[i].n,
               d ? "DIFFERENT" : "ok");
        diffs += d;
    }
    if (qerr) {
        printf("  running totals: query failed: %s\n", kstream_err2str(qerr));
        diffs++;
    }
    for (int s = 0; !qerr && s < AGGREGATE_NSEGMENTS; s++) {
        int64_t c = 0, a = 0;
        aggregate_model_total(demo_input_aggregate(in), aggregate_segments[s],
                              &c, &a);
        if (c != tot->count[s] || a != tot->amount[s]) {
            printf("  running total of %s: %" PRId64 " events, %" PRId64
                   " cents; expected %" PRId64 ", %" PRId64 "\n",
                   aggregate_segments[s], tot->count[s], tot->amount[s], c,
                   a);
            diffs++;
        }
    }
    if (!qerr && !diffs)
        printf("  running totals (3 segments): ok\n");
    return diffs;
}

/* The examples' configuration functions, typed for demo_app_new(). */
static kstream_err_t conf_enrich(kstream_conf_t *c, const void *o, char *e,
                                 size_t es)
{
    return enrich_conf_set(c, o, e, es);
}
static kstream_err_t conf_aggregate(kstream_conf_t *c, const void *o,
                                    char *e, size_t es)
{
    return aggregate_configure(c, o, e, es);
}
static kstream_err_t conf_sessionize(kstream_conf_t *c, const void *o,
                                     char *e, size_t es)
{
    return sessionize_configure(c, o, e, es);
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--bootstrap-servers HOSTS] [--prefix P] [--events N]\n"
            "          [--seed S] [--timeout SECONDS]\n",
            prog);
    return 2;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *prefix_arg = NULL;
    long long n = 5000, seed = 1, timeout_s = 90;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[++i] : NULL;
        char *end = NULL;
        long long *num = !strcmp(o, "--events")    ? &n
                         : !strcmp(o, "--seed")    ? &seed
                         : !strcmp(o, "--timeout") ? &timeout_s
                                                   : NULL;
        if (v && !strcmp(o, "--bootstrap-servers"))
            bootstrap = v;
        else if (v && !strcmp(o, "--prefix"))
            prefix_arg = v;
        else if (!v || !num || (*num = strtoll(v, &end, 10), *end) ||
                 end == v || *num < 0)
            return usage(argv[0]);
    }
    if (n < 100 || n > 1000000 || timeout_s < 1)
        return usage(argv[0]);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    char err[512], names[1024], prefix[64] = "", ids[3][96];
    char dirs[3][40] = {"/tmp/kstream-demo-XXXXXX", "/tmp/kstream-demo-XXXXXX",
                        "/tmp/kstream-demo-XXXXXX"};
    if (prefix_arg)
        snprintf(prefix, sizeof(prefix), "%s", prefix_arg);
    else if (bootstrap) /* a real cluster: fresh topics for this run */
        snprintf(prefix, sizeof(prefix), "kstream-demo-%lld-",
                 (long long)time(NULL));
    for (int a = 0; a < 3; a++)
        snprintf(ids[a], sizeof(ids[a]), "%s%s", prefix[0] ? prefix : "demo-",
                 APP[a]);
    demo_topics_t t;
    if (demo_topics_init(&t, prefix, names, sizeof(names)))
        return 1;

    run_t r = {.start = mono_ms()};
    demo_tap_t tap = {.enriched = 0};
    pthread_mutex_init(&tap.mu, NULL);
    kstream_avro_conf_t *rc_conf = kstream_avro_conf_new();
    kstream_avro_registry_t *reg = NULL;
    if (rc_conf && kstream_avro_conf_set(rc_conf, "schema.registry.url",
                                         ENRICH_REGISTRY_URL, err,
                                         sizeof(err)) == KSTREAM_CONF_OK)
        reg = kstream_avro_registry_new(rc_conf, err, sizeof(err));
    kstream_avro_conf_destroy(rc_conf);

    enrich_opts_t eo;
    enrich_opts_init(&eo);
    eo.events_topic = t.events;
    eo.orders_topic = t.orders;
    eo.output_topic = t.enriched;
    eo.dlq_topic = t.enrich_dlq;
    eo.registry = reg;
    eo.on_output = demo_tap_cb;
    eo.on_output_opaque = &tap;
    aggregate_opts_t ao;
    aggregate_opts_default(&ao);
    ao.input_topic = t.enriched;
    ao.output_topic = t.per_minute;
    ao.dlq_topic = t.aggregate_dlq;
    sessionize_opts_t so;
    sessionize_opts_default(&so);
    so.input_topic = t.telemetry;
    so.sessions_topic = t.sessions;
    so.alerts_topic = t.alerts;
    so.dlq_topic = t.telemetry_dlq;

    int rc = 1;
    kstream_topology_t *topo[3] = {NULL, NULL, NULL};
    kstream_dev_cluster_t *dc = NULL;
    demo_input_t *in = NULL;
    if (!reg) {
        fprintf(stderr, "schema registry: %s\n", err);
        goto out;
    }
    if (!(topo[0] = enrich_topology(&eo, err, sizeof(err))) ||
        !(topo[1] = aggregate_build(&ao, err, sizeof(err))) ||
        !(topo[2] = sessionize_build(&so, err, sizeof(err)))) {
        fprintf(stderr, "topology: %s\n", err);
        goto out;
    }
    if (!(in = demo_input_new(reg, (uint64_t)seed, (size_t)n, &eo, &ao, &so,
                              err, sizeof(err))) ||
        expected(in, r.want)) {
        fprintf(stderr, "input: %s\n", in ? "out of memory" : err);
        goto out;
    }
    size_t ne, ns;
    demo_input_sizes(in, &ne, &ns);
    printf("generated %zu records for enrich (%s, %s; the last one closes "
           "the last windows) and %zu for sessionize (%s), seed %lld\n",
           ne, t.events, t.orders, ns, t.telemetry, seed);
    if (!bootstrap) {
        if (!(dc = kstream_dev_cluster_new(1, err, sizeof(err)))) {
            fprintf(stderr, "embedded cluster: %s\n", err);
            goto out;
        }
        bootstrap = kstream_dev_cluster_bootstrap(dc);
        printf("embedded cluster: bootstrap.servers=%s\n", bootstrap);
    } else
        printf("cluster %s, topics and application ids prefixed %s\n",
               bootstrap, prefix);
    if (demo_create_topics(dc, bootstrap, &t))
        goto out;
    demo_configure_fn *conf_fn[3] = {conf_enrich, conf_aggregate,
                                     conf_sessionize};
    const void *opts[3] = {&eo, &ao, &so};
    for (int a = 0; a < 3; a++) {
        demo_app_spec_t spec = {ids[a], bootstrap, dc, topo[a], conf_fn[a],
                                opts[a]};
        if (!(r.app[a] = demo_app_new(&spec, dirs[a])))
            goto out;
    }
    printf("started %s, %s and %s (processing.guarantee=exactly_once_v2)\n",
           ids[0], ids[1], ids[2]);
    const char *out_names[NOUT];
    for (size_t i = 0; i < NOUT; i++)
        out_names[i] = demo_topic_at(&t, OUT[i]);
    if (!(r.reader = demo_reader_new(bootstrap, out_names, NOUT, err,
                                     sizeof(err)))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    int64_t deadline = r.start + timeout_s * 1000;
    demo_feed_ctx_t ctx = {bootstrap, &t,   r.app[0], &tap,
                           tick,      &r,   &g_stop,  (int)(timeout_s * 1000)};
    if (demo_feed(in, &ctx))
        goto out;
    printf("input produced; waiting for every output\n");
    while (!complete(&r) && !g_stop && mono_ms() < deadline) {
        for (int a = 0; a < 3; a++)
            if (kstream_state(r.app[a]) == KSTREAM_STATE_ERROR)
                g_stop = 1;
        tick(&r);
    }
    if (!complete(&r))
        printf("%s: not every output came\n", g_stop ? "stopped" : "timeout");
    for (int64_t until = mono_ms() + 1000; mono_ms() < until;)
        tick(&r); /* anything more (there should be nothing) */
    progress(&r);
    totals_t tot = {{0}, {0}};
    kstream_err_t qerr = kstream_query(r.app[1], AGGREGATE_TOTALS_STORE, -1,
                                       read_totals, &tot);
    bool closed = true;
    for (int a = 0; a < 3; a++)
        if (kstream_close(r.app[a], 30000) != KSTREAM_OK) {
            kstream_last_error(r.app[a], err, sizeof(err));
            printf("%s did not close cleanly: %s\n", ids[a], err);
            closed = false;
        }
    if (closed)
        printf("closed the three apps cleanly\n");
    if (demo_reader_drain(r.reader, 10000))
        printf("reading the outputs to their end failed\n");
    printf("\n");
    for (size_t i = 0; i < NOUT; i++)
        demo_print_samples(out_names[i], demo_reader_records(r.reader, i), 3);
    printf("\n");
    demo_print_per_minute(demo_reader_records(r.reader, 2));
    demo_print_totals(tot.count, tot.amount);
    demo_print_sessions(demo_reader_records(r.reader, 4),
                        demo_reader_records(r.reader, 5));
    printf("\n");
    size_t diffs = check(&r, &t, in, qerr, &tot);
    rc = diffs || !closed ? 1 : 0;
    if (rc)
        printf("FAIL: %zu difference(s)%s\n", diffs,
               closed ? "" : ", an app did not close cleanly");
    else
        printf("PASS: every valid event enriched exactly once, per-minute "
               "counts and sums, totals, sessions, alerts and dead letters "
               "as the generators' models expect (%.1f s)\n",
               (double)(mono_ms() - r.start) / 1000.0);
out:
    demo_reader_destroy(r.reader);
    for (int a = 0; a < 3; a++) {
        kstream_destroy(r.app[a]);
        demo_remove_dir(dirs[a]);
        kstream_topology_destroy(topo[a]);
        demo_recs_free(&r.want[a]);
    }
    for (size_t i = 3; i < NOUT; i++)
        demo_recs_free(&r.want[i]);
    demo_input_destroy(in);
    kstream_dev_cluster_destroy(dc);
    kstream_avro_registry_destroy(reg);
    pthread_mutex_destroy(&tap.mu);
    return rc;
}
