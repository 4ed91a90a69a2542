/* kafka_dev_cluster.c - the embedded development cluster (public
 * kstream_dev_cluster_*): librdkafka's mock cluster owned by a producer
 * handle that never produces, plus a table of the topics created here
 * (the mock has no Admin API and no way to ask a topic's partition
 * count, so the table is what create_internal_topics() resolves source
 * topics against). See docs/dev-cluster.md for what the mock lacks. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/core.h"
#include "runtime/kafka.h"
#include "util/util.h"

#define KS_DC_MAX_BROKERS 16
/* Highest Kafka API key accepted by inject_errors (Kafka 3.x defines keys
 * up to about 70; the mock answers fewer). */
#define KS_DC_MAX_API_KEY 99
/* Bounds that keep a typo from allocating gigabytes. */
#define KS_DC_MAX_PARTITIONS 100000
#define KS_DC_MAX_INJECT ((size_t)1 << 20)

typedef struct dc_topic {
    char *name;
    int32_t partitions;
} dc_topic_t;

struct kstream_dev_cluster_s {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    int brokers;
    char *bootstrap;      /* immutable after new */
    pthread_mutex_t lock; /* topics */
    dc_topic_t *topics;
    size_t ntopics, cap;
};

/* The mock's owner logs nothing useful at info level (and a warning that
 * it has no bootstrap.servers): keep errors only. */
static void dc_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf)
{
    (void)rk;
    if (level <= KS_LOG_ERR)
        fprintf(stderr, "kstream dev cluster: %s: %s\n", fac, buf);
}

kstream_dev_cluster_t *kstream_dev_cluster_new(int brokers, char *errstr,
                                               size_t errstr_size)
{
    if (brokers < 1 || brokers > KS_DC_MAX_BROKERS) {
        ks_errstr(errstr, errstr_size,
                  "kstream_dev_cluster_new: brokers must be 1..%d, not %d",
                  KS_DC_MAX_BROKERS, brokers);
        return NULL;
    }
    kstream_dev_cluster_t *dc = calloc(1, sizeof(*dc));
    if (!dc) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&dc->lock, NULL);
    dc->brokers = brokers;
    char buf[512];
    rd_kafka_conf_t *rc = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(rc, dc_log_cb);
    if (rd_kafka_conf_set(rc, "socket.nagle.disable", "true", buf,
                          sizeof(buf)) != RD_KAFKA_CONF_OK ||
        !(dc->rk = rd_kafka_new(RD_KAFKA_PRODUCER, rc, buf, sizeof(buf)))) {
        rd_kafka_conf_destroy(rc);
        ks_errstr(errstr, errstr_size,
                  "dev cluster: cannot create the mock's handle: %s", buf);
        kstream_dev_cluster_destroy(dc);
        return NULL;
    }
    if (!(dc->mc = rd_kafka_mock_cluster_new(dc->rk, brokers))) {
        ks_errstr(errstr, errstr_size,
                  "dev cluster: cannot start %d mock broker(s) (no free "
                  "loopback port?)",
                  brokers);
        kstream_dev_cluster_destroy(dc);
        return NULL;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(dc->mc);
    if (!(dc->bootstrap = ks_strdup(bs ? bs : ""))) {
        ks_errstr(errstr, errstr_size, "out of memory");
        kstream_dev_cluster_destroy(dc);
        return NULL;
    }
    return dc;
}

void kstream_dev_cluster_destroy(kstream_dev_cluster_t *dc)
{
    if (!dc)
        return;
    if (dc->mc)
        rd_kafka_mock_cluster_destroy(dc->mc);
    if (dc->rk)
        rd_kafka_destroy(dc->rk);
    for (size_t i = 0; i < dc->ntopics; i++)
        free(dc->topics[i].name);
    free(dc->topics);
    free(dc->bootstrap);
    pthread_mutex_destroy(&dc->lock);
    free(dc);
}

const char *kstream_dev_cluster_bootstrap(const kstream_dev_cluster_t *dc)
{
    return dc ? dc->bootstrap : NULL;
}

/* Kafka's rule for topic names: 1..249 of [a-zA-Z0-9._-]. */
static bool legal_topic(const char *topic)
{
    size_t n = topic ? strlen(topic) : 0;
    if (n == 0 || n > 249)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = topic[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Under dc->lock. */
static int32_t find_locked(const kstream_dev_cluster_t *dc,
                           const char *topic)
{
    for (size_t i = 0; i < dc->ntopics; i++)
        if (strcmp(dc->topics[i].name, topic) == 0)
            return dc->topics[i].partitions;
    return -1;
}

int32_t kstream_dev_cluster_partitions(const kstream_dev_cluster_t *dc,
                                       const char *topic)
{
    if (!dc || !topic)
        return -1;
    pthread_mutex_t *lock = (pthread_mutex_t *)&dc->lock;
    pthread_mutex_lock(lock);
    int32_t n = find_locked(dc, topic);
    pthread_mutex_unlock(lock);
    return n;
}

/* Create (topic, partitions) when not in the table: *had is the count
 * already there (-1: created now). Under dc->lock. */
static kstream_err_t create_locked(kstream_dev_cluster_t *dc,
                                   const char *topic, int32_t partitions,
                                   int32_t *had)
{
    *had = find_locked(dc, topic);
    if (*had >= 0)
        return KSTREAM_OK;
    if (dc->ntopics == dc->cap) {
        size_t cap = dc->cap ? dc->cap * 2 : 16;
        dc_topic_t *more = realloc(dc->topics, cap * sizeof(*more));
        if (!more)
            return KSTREAM_ERR_NO_MEMORY;
        dc->topics = more;
        dc->cap = cap;
    }
    char *name = ks_strdup(topic);
    if (!name)
        return KSTREAM_ERR_NO_MEMORY;
    int rf = dc->brokers < 3 ? dc->brokers : 3;
    rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(dc->mc, topic, partitions, rf);
    if (e) {
        free(name);
        /* Named by a client before it was created here: the mock made it
         * with its own count, which cannot be changed. */
        return e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS
                       ? KSTREAM_ERR_DUPLICATE_NAME
                       : KSTREAM_ERR_KAFKA;
    }
    dc->topics[dc->ntopics++] = (dc_topic_t){name, partitions};
    return KSTREAM_OK;
}

kstream_err_t kstream_dev_cluster_create_topic(kstream_dev_cluster_t *dc,
                                               const char *topic,
                                               int32_t partitions)
{
    if (!dc || !legal_topic(topic) || partitions < 1 ||
        partitions > KS_DC_MAX_PARTITIONS)
        return KSTREAM_ERR_INVALID_ARG;
    int32_t had = -1;
    pthread_mutex_lock(&dc->lock);
    kstream_err_t err = create_locked(dc, topic, partitions, &had);
    pthread_mutex_unlock(&dc->lock);
    if (!err && had >= 0 && had != partitions)
        return KSTREAM_ERR_DUPLICATE_NAME;
    return err;
}

static int32_t table_partitions(const char *topic, void *opaque)
{
    return kstream_dev_cluster_partitions(opaque, topic);
}

kstream_err_t kstream_dev_cluster_create_internal_topics(
        kstream_dev_cluster_t *dc, const kstream_topology_t *t,
        const char *application_id, char *errstr, size_t errstr_size)
{
    if (!dc || !t || !application_id || !*application_id) {
        ks_errstr(errstr, errstr_size,
                  "kstream_dev_cluster_create_internal_topics: %s",
                  !dc  ? "the cluster is NULL"
                  : !t ? "the topology is NULL"
                       : "application_id is NULL or empty");
        return KSTREAM_ERR_INVALID_ARG;
    }
    kstream_internal_topic_t *its = NULL;
    size_t n = 0;
    kstream_err_t err = kstream_topology_internal_topics(
            t, application_id, table_partitions, dc, &its, &n, errstr,
            errstr_size);
    if (err)
        return err;
    for (size_t i = 0; i < n && !err; i++) {
        if (!legal_topic(its[i].name)) {
            ks_errstr(errstr, errstr_size,
                      "internal topic '%s' is not a legal topic name "
                      "(1..249 of [a-zA-Z0-9._-]): check application_id",
                      its[i].name);
            err = KSTREAM_ERR_INVALID_ARG;
            break;
        }
        int32_t had = -1;
        pthread_mutex_lock(&dc->lock);
        err = create_locked(dc, its[i].name, its[i].partitions, &had);
        pthread_mutex_unlock(&dc->lock);
        if (err)
            ks_errstr(errstr, errstr_size,
                      "cannot create internal topic '%s': %s", its[i].name,
                      err == KSTREAM_ERR_DUPLICATE_NAME
                              ? "a client created it first, with the "
                                "mock's default partition count"
                              : kstream_err2str(err));
        else if (had >= 0 && had != its[i].partitions) {
            ks_errstr(errstr, errstr_size,
                      "internal topic '%s' has %d partitions, expected %d",
                      its[i].name, (int)had, (int)its[i].partitions);
            err = KSTREAM_ERR_INVALID_TOPOLOGY;
        }
    }
    kstream_internal_topics_free(its, n);
    return err;
}

static bool broker_ok(const kstream_dev_cluster_t *dc, int broker_id)
{
    return broker_id >= 1 && broker_id <= dc->brokers;
}

kstream_err_t kstream_dev_cluster_broker_down(kstream_dev_cluster_t *dc,
                                              int broker_id, bool down)
{
    if (!dc || !broker_ok(dc, broker_id))
        return KSTREAM_ERR_INVALID_ARG;
    rd_kafka_resp_err_t e =
            down ? rd_kafka_mock_broker_set_down(dc->mc, broker_id)
                 : rd_kafka_mock_broker_set_up(dc->mc, broker_id);
    return e ? KSTREAM_ERR_KAFKA : KSTREAM_OK;
}

kstream_err_t kstream_dev_cluster_set_leader(kstream_dev_cluster_t *dc,
                                             const char *topic,
                                             int32_t partition,
                                             int broker_id)
{
    if (!dc || !topic || partition < 0 || !broker_ok(dc, broker_id))
        return KSTREAM_ERR_INVALID_ARG;
    int32_t n = kstream_dev_cluster_partitions(dc, topic);
    if (n < 0)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    if (partition >= n)
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    rd_kafka_resp_err_t e = rd_kafka_mock_partition_set_leader(
            dc->mc, topic, partition, broker_id);
    return e ? KSTREAM_ERR_KAFKA : KSTREAM_OK;
}

kstream_err_t kstream_dev_cluster_inject_errors(kstream_dev_cluster_t *dc,
                                                int16_t api_key,
                                                int kafka_error, size_t count)
{
    /* Kafka protocol errors are -1..~120; librdkafka's local errors such
     * as -195 (__TRANSPORT) are accepted too: the mock raises them. */
    if (!dc || api_key < 0 || api_key > KS_DC_MAX_API_KEY ||
        kafka_error == 0 || kafka_error < -199 || kafka_error > 999 ||
        count > KS_DC_MAX_INJECT)
        return KSTREAM_ERR_INVALID_ARG;
    if (count == 0)
        return KSTREAM_OK;
    rd_kafka_resp_err_t *errs = malloc(count * sizeof(*errs));
    if (!errs)
        return KSTREAM_ERR_NO_MEMORY;
    for (size_t i = 0; i < count; i++)
        errs[i] = (rd_kafka_resp_err_t)kafka_error;
    rd_kafka_mock_push_request_errors_array(dc->mc, api_key, count, errs);
    free(errs);
    return KSTREAM_OK;
}

kstream_err_t kstream_dev_cluster_set_rtt(kstream_dev_cluster_t *dc,
                                          int broker_id, int rtt_ms)
{
    if (!dc || !broker_ok(dc, broker_id) || rtt_ms < 0)
        return KSTREAM_ERR_INVALID_ARG;
    rd_kafka_resp_err_t e =
            rd_kafka_mock_broker_set_rtt(dc->mc, broker_id, rtt_ms);
    return e ? KSTREAM_ERR_KAFKA : KSTREAM_OK;
}
