/* kafka_conf.c - kstream conf -> rd_kafka_conf_t, one per client role
 * (Java's StreamsConfig.getMainConsumerConfigs() and friends).
 *
 * Order: kstream's defaults, then the pass-through keys of the role's
 * prefixes, so that the user's "consumer.x" always wins over a default and
 * "restore.consumer.x" wins over "consumer.x" for the restore consumer.
 * librdkafka's logs are routed into kstream's logger (facility "RDKAFKA")
 * through the handle's opaque, see kafka.h. */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "runtime/kafka.h"

/* State of one ks_kafka_conf_new() call, shared with the pass-through
 * callback. */
typedef struct kconf_build {
    rd_kafka_conf_t *rkconf;
    const char *prefix; /* of the keys being applied, for messages */
    char *errstr;
    size_t errstr_size;
} kconf_build_t;

/* Set one property; on failure errstr names the full key as the user
 * wrote it (prefix + key) and carries librdkafka's reason. */
static int kconf_set(kconf_build_t *b, const char *key, const char *value) {
    char why[256];

    if (rd_kafka_conf_set(b->rkconf, key, value, why, sizeof(why)) ==
        RD_KAFKA_CONF_OK)
        return 0;
    ks_errstr(b->errstr, b->errstr_size,
              "Invalid librdkafka property \"%s%s\" = \"%s\": %s",
              b->prefix ? b->prefix : "", key, value, why);
    return -1;
}

static int kconf_pass_cb(const char *key, const char *value, void *opaque) {
    return kconf_set(opaque, key, value);
}

static int kconf_apply_prefix(kconf_build_t *b, const kstream_conf_t *conf,
                              const char *prefix) {
    int rc;

    b->prefix = prefix;
    rc = ks_conf_foreach_prefixed(conf, prefix, kconf_pass_cb, b);
    b->prefix = NULL;
    return rc;
}

/* The pass-through prefixes of a role, in the order they apply. The global
 * consumer has no prefix of its own: it takes the consumer's settings. */
static int kconf_apply_pass(kconf_build_t *b, const kstream_conf_t *conf,
                            ks_kafka_role_t role) {
    switch (role) {
    case KS_KAFKA_CONSUMER:
    case KS_KAFKA_GLOBAL_CONSUMER:
        return kconf_apply_prefix(b, conf, "consumer.");
    case KS_KAFKA_RESTORE_CONSUMER:
        if (kconf_apply_prefix(b, conf, "consumer."))
            return -1;
        return kconf_apply_prefix(b, conf, "restore.consumer.");
    case KS_KAFKA_PRODUCER:
        return kconf_apply_prefix(b, conf, "producer.");
    case KS_KAFKA_ADMIN:
        return kconf_apply_prefix(b, conf, "admin.");
    }
    return 0;
}

static int kconf_is_consumer(ks_kafka_role_t role) {
    return role == KS_KAFKA_CONSUMER || role == KS_KAFKA_RESTORE_CONSUMER ||
           role == KS_KAFKA_GLOBAL_CONSUMER;
}

/* librdkafka's log callback, on any librdkafka thread. The handle's opaque
 * is a ks_logger_t (kafka.h); without one the line goes to stderr in
 * kstream's format so that nothing is lost. */
static void kconf_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf) {
    const ks_logger_t *lg = rd_kafka_opaque(rk);

    if (!lg || !lg->cb) {
        fprintf(stderr, "%d|kstream|RDKAFKA| %s: [%s] %s\n", level,
                rd_kafka_name(rk), fac, buf);
        return;
    }
    ks_log(lg, level, "RDKAFKA", "%s: [%s] %s", rd_kafka_name(rk), fac, buf);
}

/* Properties every consumer gets. Offsets are committed and stored only
 * by the runtime (after processing), never by librdkafka on its own. */
static int kconf_consumer_defaults(kconf_build_t *b,
                                   const kstream_conf_t *conf,
                                   ks_kafka_role_t role) {
    const char *pg = ks_conf_str(conf, "processing.guarantee");
    const char *app_id = ks_conf_str(conf, "application.id");
    int eos = pg && !strcmp(pg, "exactly_once_v2");
    char group[512];

    if (kconf_set(b, "enable.auto.commit", "false") ||
        kconf_set(b, "enable.auto.offset.store", "false") ||
        kconf_set(b, "auto.offset.reset", "earliest") ||
        kconf_set(b, "enable.partition.eof", "false") ||
        kconf_set(b, "isolation.level",
                  eos ? "read_committed" : "read_uncommitted"))
        return -1;
    /* How much is fetched ahead (both limits count the consumer's whole
     * queue). The stream threads' consumers are bounded: memory, and the
     * client wakes the fetchers that stop at the limit
     * (kafka_client_fetch.c). A restore or global-table consumer reads a
     * topic to its end as fast as it can: librdkafka's 100000 messages. */
    bool bounded = role == KS_KAFKA_CONSUMER;
    if (kconf_set(b, "queued.min.messages",
                  bounded ? KS_CONSUMER_QUEUE_MSGS : "100000") ||
        (bounded && kconf_set(b, "queued.max.messages.kbytes",
                              KS_CONSUMER_QUEUE_KB)))
        return -1;
    if (!app_id) {
        ks_errstr(b->errstr, b->errstr_size,
                  "application.id must be set for a Kafka consumer");
        return -1;
    }
    if (role == KS_KAFKA_CONSUMER) {
        /* range: partition N of co-partitioned topics lands on one
         * member. */
        if (kconf_set(b, "group.id", app_id))
            return -1;
        return kconf_set(b, "partition.assignment.strategy", "range");
    }
    /* librdkafka's assign() needs a group.id although these consumers
     * never join a group nor commit: a name of their own keeps them apart
     * from the application's group. */
    snprintf(group, sizeof(group), "%s-%s", app_id,
             role == KS_KAFKA_RESTORE_CONSUMER ? "restore-consumer"
                                               : "global-consumer");
    return kconf_set(b, "group.id", group);
}

/* Producer defaults: keys land where Java producers put them
 * (murmur2_random: murmur2 of the key, random partition for NULL keys), and
 * a small linger batches the records of one poll loop. The dr_msg_cb is
 * the client's to set.
 * Under exactly_once_v2 the producer is idempotent and its transactions
 * time out after 10 s (Kafka Streams' default): a crashed instance's open
 * transaction then blocks read_committed consumers for 10 s at most,
 * instead of the broker's 60 s. producer.transaction.timeout.ms overrides
 * it. The transactional.id itself names a thread, so the client sets it
 * (kafka_client.c). */
static int kconf_producer_defaults(kconf_build_t *b,
                                   const kstream_conf_t *conf) {
    const char *pg = ks_conf_str(conf, "processing.guarantee");

    /* The queue of records not yet acknowledged is bounded as Java's
     * buffer.memory bounds it (librdkafka's default holds 100000 records
     * or 1 GiB): a cache flush that produces more waits for the broker
     * (kafka_client_produce.c). */
    if (kconf_set(b, "partitioner", "murmur2_random") ||
        kconf_set(b, "linger.ms", "5") ||
        kconf_set(b, "queue.buffering.max.messages", KS_PRODUCER_QUEUE_MSGS) ||
        kconf_set(b, "queue.buffering.max.kbytes", KS_PRODUCER_QUEUE_KB))
        return -1;
    if (!pg || strcmp(pg, "exactly_once_v2"))
        return 0;
    if (kconf_set(b, "enable.idempotence", "true"))
        return -1;
    return kconf_set(b, "transaction.timeout.ms", "10000");
}

static int kconf_common_defaults(kconf_build_t *b, const kstream_conf_t *conf,
                                 const char *client_id) {
    const char *servers = ks_conf_str(conf, "bootstrap.servers");
    char level[8];

    if (!servers) {
        ks_errstr(b->errstr, b->errstr_size,
                  "bootstrap.servers must be set to reach Kafka");
        return -1;
    }
    snprintf(level, sizeof(level), "%d", (int)ks_conf_int(conf, "log.level"));
    /* Java clients set TCP_NODELAY too; batching is linger.ms's job. */
    if (kconf_set(b, "bootstrap.servers", servers) ||
        kconf_set(b, "socket.nagle.disable", "true") ||
        kconf_set(b, "log_level", level))
        return -1;
    if (client_id && kconf_set(b, "client.id", client_id))
        return -1;
    rd_kafka_conf_set_log_cb(b->rkconf, kconf_log_cb);
    return 0;
}

void *ks_kafka_conf_new(const kstream_conf_t *conf, ks_kafka_role_t role,
                        const char *client_id, char *errstr,
                        size_t errstr_size) {
    kconf_build_t b = {NULL, NULL, errstr, errstr_size};

    if (!conf || role < KS_KAFKA_CONSUMER || role > KS_KAFKA_ADMIN) {
        ks_errstr(errstr, errstr_size, "ks_kafka_conf_new: invalid argument");
        return NULL;
    }
    b.rkconf = rd_kafka_conf_new();
    if (!b.rkconf) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (kconf_common_defaults(&b, conf, client_id))
        goto fail;
    if (kconf_is_consumer(role) && kconf_consumer_defaults(&b, conf, role))
        goto fail;
    if (role == KS_KAFKA_PRODUCER && kconf_producer_defaults(&b, conf))
        goto fail;
    if (kconf_apply_pass(&b, conf, role))
        goto fail;
    return b.rkconf;

fail:
    rd_kafka_conf_destroy(b.rkconf);
    return NULL;
}
