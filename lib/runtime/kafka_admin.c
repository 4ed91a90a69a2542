/* kafka_admin.c - the start-up topic checks and internal topic creation
 * (Kafka Streams' InternalTopicManager over the Admin client): one
 * admin-role librdkafka handle reads the metadata of every topic, checks
 * the source topics, co-partitioning and existing internal topics, and
 * creates the missing internal topics with CreateTopics. See kafka.h for
 * the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "core/core.h"
#include "runtime/kafka.h"
#include "runtime/runtime.h"

/* Wait between metadata attempts that failed before the deadline (a
 * refused connection fails at once). */
#define KS_ADMIN_RETRY_MS 100

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* One run of the checks: the handle, the logger its log callback feeds,
 * the deadline, and the last metadata. */
typedef struct admin {
    rd_kafka_t *rk;
    ks_logger_t log;
    const char *bootstrap;
    int64_t timeout_ms, deadline;
    const struct rd_kafka_metadata *md;
} admin_t;

/* Metadata of every topic (never by name: a broker with auto-creation
 * would create the topic named), retried until the deadline: a refused
 * or dropped connection fails before the timeout. */
static kstream_err_t fetch_metadata(admin_t *adm, char *errstr,
                                    size_t errstr_size)
{
    if (adm->md) {
        rd_kafka_metadata_destroy(adm->md);
        adm->md = NULL;
    }
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (;;) {
        int64_t left = adm->deadline - mono_ms();
        if (left <= 0)
            break;
        const struct rd_kafka_metadata *md = NULL;
        last = rd_kafka_metadata(adm->rk, 1, NULL, &md, (int)left);
        if (last == RD_KAFKA_RESP_ERR_NO_ERROR) {
            adm->md = md;
            return KSTREAM_OK;
        }
        left = adm->deadline - mono_ms();
        if (left > 0)
            sleep_ms(left < KS_ADMIN_RETRY_MS ? left : KS_ADMIN_RETRY_MS);
    }
    ks_errstr(errstr, errstr_size,
              "cannot reach the Kafka cluster at %s within %lld ms "
              "(default.api.timeout.ms; last error: %s)",
              adm->bootstrap, (long long)adm->timeout_ms,
              rd_kafka_err2str(last));
    return KSTREAM_ERR_TIMEOUT;
}

/* Partition count of a topic in the last metadata, -1 when absent. */
static int32_t md_partitions(void *opaque, const char *topic)
{
    const admin_t *adm = opaque;
    for (int i = 0; i < adm->md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *mt = &adm->md->topics[i];
        if (strcmp(mt->topic, topic) != 0)
            continue;
        if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            mt->partition_cnt < 1)
            return -1;
        return mt->partition_cnt;
    }
    return -1;
}

/* Step 4: existing internal topics have the expected count. *missing:
 * how many do not exist. */
static kstream_err_t check_existing(admin_t *adm,
                                    const ks_internal_topic_t *its,
                                    size_t n, size_t *missing, char *errstr,
                                    size_t errstr_size)
{
    *missing = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t have = md_partitions(adm, its[i].name);
        if (have < 0) {
            (*missing)++;
        } else if (have != its[i].partitions) {
            ks_errstr(errstr, errstr_size,
                      "internal topic '%s' has %d partitions, expected %d "
                      "(from its source topics); delete it or reset the "
                      "application",
                      its[i].name, (int)have, (int)its[i].partitions);
            return KSTREAM_ERR_INVALID_TOPOLOGY;
        }
    }
    return KSTREAM_OK;
}

/* A NewTopic for an internal topic, with its configs. */
static rd_kafka_NewTopic_t *new_topic(const ks_internal_topic_t *it,
                                      int rf, char *errstr,
                                      size_t errstr_size)
{
    char buf[256];
    rd_kafka_NewTopic_t *nt =
            rd_kafka_NewTopic_new(it->name, it->partitions, rf, buf,
                                  sizeof(buf));
    if (!nt) {
        ks_errstr(errstr, errstr_size, "internal topic '%s': %s", it->name,
                  buf);
        return NULL;
    }
    char ret[32];
    snprintf(ret, sizeof(ret), "%lld", (long long)it->retention_ms);
    if (rd_kafka_NewTopic_set_config(nt, "cleanup.policy",
                                     it->cleanup_policy) ||
        (it->retention_ms >= 0 &&
         rd_kafka_NewTopic_set_config(nt, "retention.ms", ret))) {
        ks_errstr(errstr, errstr_size,
                  "internal topic '%s': cannot set its configs", it->name);
        rd_kafka_NewTopic_destroy(nt);
        return NULL;
    }
    return nt;
}

/* The results of one CreateTopics: an existing topic (another instance
 * was first) is not an error. */
static kstream_err_t create_results(rd_kafka_event_t *ev, char *errstr,
                                    size_t errstr_size)
{
    if (rd_kafka_event_error(ev)) {
        ks_errstr(errstr, errstr_size, "CreateTopics failed: %s",
                  rd_kafka_event_error_string(ev));
        return rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__TIMED_OUT
                       ? KSTREAM_ERR_TIMEOUT
                       : KSTREAM_ERR_KAFKA;
    }
    const rd_kafka_CreateTopics_result_t *res =
            rd_kafka_event_CreateTopics_result(ev);
    size_t cnt = 0;
    const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(res, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR ||
            e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            continue;
        const char *msg = rd_kafka_topic_result_error_string(tr[i]);
        ks_errstr(errstr, errstr_size,
                  "cannot create internal topic '%s': %s",
                  rd_kafka_topic_result_name(tr[i]),
                  msg ? msg : rd_kafka_err2str(e));
        return e == RD_KAFKA_RESP_ERR__TIMED_OUT ? KSTREAM_ERR_TIMEOUT
                                                 : KSTREAM_ERR_KAFKA;
    }
    return KSTREAM_OK;
}

/* Step 5: create the internal topics missing from the metadata and wait
 * for the result. */
static kstream_err_t create_missing(admin_t *adm,
                                    const ks_internal_topic_t *its, size_t n,
                                    int rf, char *errstr, size_t errstr_size)
{
    rd_kafka_NewTopic_t **nts = calloc(n, sizeof(*nts));
    if (!nts)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = KSTREAM_OK;
    size_t k = 0;
    for (size_t i = 0; i < n && !err; i++) {
        if (md_partitions(adm, its[i].name) >= 0)
            continue;
        ks_log(&adm->log, KS_LOG_INFO, "ADMIN",
               "creating internal topic %s (%d partitions, "
               "cleanup.policy=%s)",
               its[i].name, (int)its[i].partitions, its[i].cleanup_policy);
        if (!(nts[k] = new_topic(&its[i], rf, errstr, errstr_size)))
            err = KSTREAM_ERR_CONF;
        else
            k++;
    }
    rd_kafka_queue_t *q = NULL;
    rd_kafka_AdminOptions_t *opts = NULL;
    int64_t left = adm->deadline - mono_ms();
    if (!err && k > 0 && left <= 0)
        err = KSTREAM_ERR_TIMEOUT;
    if (!err && k > 0) {
        char buf[256];
        q = rd_kafka_queue_new(adm->rk);
        opts = rd_kafka_AdminOptions_new(adm->rk,
                                         RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, (int)left, buf,
                                                  sizeof(buf));
        rd_kafka_AdminOptions_set_operation_timeout(opts, (int)left, buf,
                                                    sizeof(buf));
        rd_kafka_CreateTopics(adm->rk, nts, k, opts, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)left + 1000);
        if (!ev)
            err = KSTREAM_ERR_TIMEOUT;
        else
            err = create_results(ev, errstr, errstr_size);
        rd_kafka_event_destroy(ev);
    }
    if (err == KSTREAM_ERR_TIMEOUT)
        ks_errstr(errstr, errstr_size,
                  "creating %zu internal topic(s) did not finish within "
                  "%lld ms (default.api.timeout.ms)",
                  k, (long long)adm->timeout_ms);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (q)
        rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy_array(nts, k);
    free(nts);
    return err;
}

/* After creation: the metadata shows every internal topic (brokers learn
 * of new topics with a delay), each with the expected count. */
static kstream_err_t wait_created(admin_t *adm, const ks_internal_topic_t *its,
                                  size_t n, char *errstr, size_t errstr_size)
{
    for (;;) {
        kstream_err_t err = fetch_metadata(adm, errstr, errstr_size);
        if (err)
            return err;
        size_t missing = 0;
        err = check_existing(adm, its, n, &missing, errstr, errstr_size);
        if (err || missing == 0)
            return err;
        int64_t left = adm->deadline - mono_ms();
        if (left <= 0) {
            for (size_t i = 0; i < n; i++)
                if (md_partitions(adm, its[i].name) < 0) {
                    ks_errstr(errstr, errstr_size,
                              "internal topic '%s' was created but is not "
                              "in the metadata after %lld ms "
                              "(default.api.timeout.ms)",
                              its[i].name, (long long)adm->timeout_ms);
                    break;
                }
            return KSTREAM_ERR_TIMEOUT;
        }
        sleep_ms(left < KS_ADMIN_RETRY_MS ? left : KS_ADMIN_RETRY_MS);
    }
}

static kstream_err_t prepare(admin_t *adm, const kstream_conf_t *conf,
                             const kstream_topology_t *topo,
                             const char *app_id, char *errstr,
                             size_t errstr_size)
{
    kstream_err_t err = fetch_metadata(adm, errstr, errstr_size);
    if (err)
        return err;
    ks_internal_topic_t *its = NULL;
    size_t n = 0;
    err = ks_internal_topics(topo, app_id, md_partitions, adm, &its, &n,
                             errstr, errstr_size);
    if (err)
        return err;
    err = ks_check_copartition(topo, app_id, md_partitions, adm, errstr,
                               errstr_size);
    size_t missing = 0;
    if (!err)
        err = check_existing(adm, its, n, &missing, errstr, errstr_size);
    if (!err && missing > 0) {
        int rf = (int)ks_conf_int(conf, "replication.factor");
        err = create_missing(adm, its, n, rf, errstr, errstr_size);
        if (!err)
            err = wait_created(adm, its, n, errstr, errstr_size);
    }
    ks_internal_topics_free(its, n);
    return err;
}

kstream_err_t ks_kafka_prepare_topics(const kstream_conf_t *conf,
                                      const kstream_topology_t *topo,
                                      const char *app_id, char *errstr,
                                      size_t errstr_size)
{
    admin_t adm = {0};
    ks_conf_logger(conf, &adm.log);
    adm.bootstrap = ks_conf_str(conf, "bootstrap.servers");
    if (!adm.bootstrap || !*adm.bootstrap) {
        ks_errstr(errstr, errstr_size, "bootstrap.servers is not set");
        return KSTREAM_ERR_CONF;
    }
    adm.timeout_ms = ks_conf_int(conf, "default.api.timeout.ms");
    adm.deadline = mono_ms() + adm.timeout_ms;

    const char *prefix = ks_conf_str(conf, "client.id");
    char client_id[300];
    snprintf(client_id, sizeof(client_id), "%s-admin",
             prefix && *prefix ? prefix : app_id);
    /* kafka_conf.c's admin role: bootstrap.servers, client.id,
     * socket.nagle.disable, log level and callback, "admin." keys. Its
     * log callback reads a ks_logger_t from the handle's opaque. */
    rd_kafka_conf_t *rc = ks_kafka_conf_new(conf, KS_KAFKA_ADMIN, client_id,
                                            errstr, errstr_size);
    if (!rc)
        return KSTREAM_ERR_CONF;
    rd_kafka_conf_set_opaque(rc, &adm.log);
    char buf[512];
    adm.rk = rd_kafka_new(RD_KAFKA_PRODUCER, rc, buf, sizeof(buf));
    if (!adm.rk) {
        rd_kafka_conf_destroy(rc);
        ks_errstr(errstr, errstr_size, "cannot create the admin client: %s",
                  buf);
        return KSTREAM_ERR_KAFKA;
    }
    kstream_err_t err =
            prepare(&adm, conf, topo, app_id, errstr, errstr_size);
    if (adm.md)
        rd_kafka_metadata_destroy(adm.md);
    rd_kafka_destroy(adm.rk);
    return err;
}
