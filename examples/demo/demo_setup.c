/* demo_setup.c - topics (embedded cluster or Admin API) and apps. */
#include <stdlib.h>
#include <string.h>

#include "demo_setup.h"

/* Partitions: enrich's topics and aggregate's one (the windows match the
 * model on one partition: examples/aggregate/README.md); sessionize two. */
static int32_t partitions(size_t i)
{
    return i >= 6 ? 2 : 1; /* the order of demo_topic_at() */
}

int demo_topics_init(demo_topics_t *t, const char *prefix, char *buf,
                     size_t size)
{
    const char *base[DEMO_NTOPICS] = {
            ENRICH_EVENTS_TOPIC,      ENRICH_ORDERS_TOPIC,
            ENRICH_OUTPUT_TOPIC,      ENRICH_DLQ_TOPIC,
            AGGREGATE_OUTPUT_TOPIC,   AGGREGATE_DLQ_TOPIC,
            SESSIONIZE_INPUT_TOPIC,   SESSIONIZE_SESSIONS_TOPIC,
            SESSIONIZE_ALERTS_TOPIC,  SESSIONIZE_DLQ_TOPIC};
    const char **dst[DEMO_NTOPICS] = {
            &t->events,   &t->orders,     &t->enriched, &t->enrich_dlq,
            &t->per_minute, &t->aggregate_dlq, &t->telemetry, &t->sessions,
            &t->alerts,   &t->telemetry_dlq};
    size_t used = 0;
    for (size_t i = 0; i < DEMO_NTOPICS; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", prefix, base[i]);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        *dst[i] = buf + used;
        used += (size_t)n + 1;
    }
    return 0;
}

const char *demo_topic_at(const demo_topics_t *t, size_t i)
{
    const char *const v[DEMO_NTOPICS] = {
            t->events,   t->orders,     t->enriched, t->enrich_dlq,
            t->per_minute, t->aggregate_dlq, t->telemetry, t->sessions,
            t->alerts,   t->telemetry_dlq};
    return i < DEMO_NTOPICS ? v[i] : NULL;
}

/* Whether every topic exists with its partition count. */
static bool all_exist(rd_kafka_t *rk, const demo_topics_t *t)
{
    const struct rd_kafka_metadata *md = NULL;
    bool ok = !rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    for (size_t i = 0; ok && i < DEMO_NTOPICS; i++) {
        int k = 0;
        while (k < md->topic_cnt &&
               strcmp(md->topics[k].topic, demo_topic_at(t, i)))
            k++;
        ok = k < md->topic_cnt && !md->topics[k].err &&
             md->topics[k].partition_cnt == partitions(i);
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    return ok;
}

/* Create the topics through the Admin API (a real cluster); existing
 * ones are fine. Without the Admin API (librdkafka's mock cluster), the
 * topics must exist already. */
static int admin_create(const char *bootstrap, const demo_topics_t *t)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    rd_kafka_NewTopic_t *nt[DEMO_NTOPICS] = {0};
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    int rc = -1;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof(err)) ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
        fprintf(stderr, "admin client: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    for (size_t i = 0; i < DEMO_NTOPICS; i++)
        if (!(nt[i] = rd_kafka_NewTopic_new(demo_topic_at(t, i),
                                            partitions(i), -1, err,
                                            sizeof(err)))) {
            fprintf(stderr, "topic %s: %s\n", demo_topic_at(t, i), err);
            goto out;
        }
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, DEMO_NTOPICS, NULL, q);
    ev = rd_kafka_queue_poll(q, 15000);
    const rd_kafka_CreateTopics_result_t *res =
            ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
    if (!res || rd_kafka_event_error(ev)) {
        rc = all_exist(rk, t) ? 0 : -1;
        fprintf(stderr, "creating the topics: %s%s\n",
                ev ? rd_kafka_event_error_string(ev) : "timed out",
                rc ? "; create them first (sessionize's with 2 partitions, "
                     "the others with 1), or use a cluster with the Admin "
                     "API"
                   : "; they exist already");
        goto out;
    }
    size_t n = 0;
    const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(res, &n);
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            fprintf(stderr, "creating topic %s: %s\n",
                    rd_kafka_topic_result_name(tr[i]),
                    rd_kafka_topic_result_error_string(tr[i]));
            rc = -1;
        }
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (q)
        rd_kafka_queue_destroy(q);
    for (size_t i = 0; i < DEMO_NTOPICS; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    rd_kafka_destroy(rk);
    return rc;
}

int demo_create_topics(kstream_dev_cluster_t *dc, const char *bootstrap,
                       const demo_topics_t *t)
{
    if (!dc)
        return admin_create(bootstrap, t);
    for (size_t i = 0; i < DEMO_NTOPICS; i++)
        if (kstream_dev_cluster_create_topic(dc, demo_topic_at(t, i),
                                             partitions(i))) {
            fprintf(stderr, "cannot create topic %s\n", demo_topic_at(t, i));
            return -1;
        }
    return 0;
}

kstream_t *demo_app_new(const demo_app_spec_t *s, char *state_dir)
{
    char err[512];
    kstream_conf_t *conf = kstream_conf_new();
    kstream_t *app = NULL;
    const char *kv[][2] = {{"application.id", s->app_id},
                           {"bootstrap.servers", s->bootstrap},
                           {"processing.guarantee", "exactly_once_v2"},
                           {"state.dir", state_dir},
                           /* a warning per dead-lettered record: quiet */
                           {"log.level", "3"}};
    err[0] = '\0';
    if (!conf || !mkdtemp(state_dir)) {
        fprintf(stderr, "%s: out of memory or no temporary directory\n",
                s->app_id);
        kstream_conf_destroy(conf);
        return NULL;
    }
    bool ok = s->configure(conf, s->opts, err, sizeof(err)) == KSTREAM_OK;
    for (size_t i = 0; ok && i < sizeof(kv) / sizeof(kv[0]); i++)
        ok = kstream_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) ==
             KSTREAM_CONF_OK;
    if (ok && s->dc &&
        kstream_dev_cluster_create_internal_topics(s->dc, s->topology,
                                                   s->app_id, err,
                                                   sizeof(err)))
        ok = false;
    if (ok)
        app = kstream_new(s->topology, conf, err, sizeof(err));
    if (app && kstream_start(app, err, sizeof(err)) != KSTREAM_OK) {
        kstream_destroy(app);
        app = NULL;
    }
    if (!app)
        fprintf(stderr, "%s: %s\n", s->app_id, err);
    kstream_conf_destroy(conf);
    return app;
}

void demo_remove_dir(const char *dir)
{
    if (!dir || dir[strlen(dir) - 1] == 'X') /* never made */
        return;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}
