/* test_kafka_conf.c - ks_kafka_conf_new(): kstream's defaults per role,
 * pass-through keys winning in order, errors naming the full key. No
 * cluster: the configurations are only built and read back. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "kc_test.h"

static kstream_conf_t *conf;

static void setup(void) {
    conf = kc_conf_new(NULL, "app1");
}

static void teardown(void) {
    kstream_conf_destroy(conf);
}

TestSuite(kafka_conf, .init = setup, .fini = teardown, .timeout = 10);

/* The value of name in rkconf (asserting it is known). */
static const char *get(rd_kafka_conf_t *rkconf, const char *name) {
    static char buf[256];
    size_t size = sizeof(buf);

    cr_assert(eq(int, rd_kafka_conf_get(rkconf, name, buf, &size),
                 RD_KAFKA_CONF_OK),
              "%s", name);
    return buf;
}

static rd_kafka_conf_t *build(ks_kafka_role_t role) {
    char errstr[512] = "";
    rd_kafka_conf_t *rkconf = ks_kafka_conf_new(conf, role, "cid", errstr,
                                                sizeof(errstr));
    cr_assert(rkconf != NULL, "%s", errstr);
    return rkconf;
}

Test(kafka_conf, main_consumer_joins_the_application_group_with_range) {
    rd_kafka_conf_t *rk = build(KS_KAFKA_CONSUMER);

    cr_assert(eq(str, (char *)get(rk, "group.id"), "app1"));
    cr_assert(eq(str, (char *)get(rk, "partition.assignment.strategy"),
                 "range"));
    cr_assert(eq(str, (char *)get(rk, "enable.auto.commit"), "false"));
    cr_assert(eq(str, (char *)get(rk, "enable.auto.offset.store"), "false"));
    /* librdkafka reads earliest back as its alias smallest. */
    cr_assert(eq(str, (char *)get(rk, "auto.offset.reset"), "smallest"));
    cr_assert(eq(str, (char *)get(rk, "enable.partition.eof"), "false"));
    cr_assert(eq(str, (char *)get(rk, "isolation.level"),
                 "read_uncommitted"));
    cr_assert(eq(str, (char *)get(rk, "socket.nagle.disable"), "true"));
    cr_assert(eq(str, (char *)get(rk, "queued.min.messages"),
                 KS_CONSUMER_QUEUE_MSGS));
    cr_assert(eq(str, (char *)get(rk, "queued.max.messages.kbytes"),
                 KS_CONSUMER_QUEUE_KB));
    cr_assert(eq(str, (char *)get(rk, "client.id"), "cid"));
    /* The test conf's consumer.* keys came through, prefix removed. */
    cr_assert(eq(str, (char *)get(rk, "session.timeout.ms"), "3000"));
    cr_assert(eq(str, (char *)get(rk, "fetch.wait.max.ms"), "10"));
    rd_kafka_conf_destroy(rk);
}

Test(kafka_conf, exactly_once_reads_committed) {
    kc_conf_set(conf, "processing.guarantee", "exactly_once_v2");
    rd_kafka_conf_t *rk = build(KS_KAFKA_CONSUMER);
    cr_assert(eq(str, (char *)get(rk, "isolation.level"), "read_committed"));
    rd_kafka_conf_destroy(rk);
    rk = build(KS_KAFKA_RESTORE_CONSUMER);
    cr_assert(eq(str, (char *)get(rk, "isolation.level"), "read_committed"));
    rd_kafka_conf_destroy(rk);
}

Test(kafka_conf, producer_partitions_like_java_and_lingers) {
    kc_conf_set(conf, "consumer.linger.ms", "777"); /* not a producer key */
    rd_kafka_conf_t *rk = build(KS_KAFKA_PRODUCER);

    cr_assert(eq(str, (char *)get(rk, "partitioner"), "murmur2_random"));
    cr_assert(eq(str, (char *)get(rk, "linger.ms"), "5"));
    cr_assert(eq(str, (char *)get(rk, "socket.nagle.disable"), "true"));
    cr_assert(eq(str, (char *)get(rk, "queue.buffering.max.messages"),
                 KS_PRODUCER_QUEUE_MSGS));
    cr_assert(eq(str, (char *)get(rk, "queue.buffering.max.kbytes"),
                 KS_PRODUCER_QUEUE_KB));
    rd_kafka_conf_destroy(rk);
}

/* Restore and global-table consumers read to the end as fast as they can:
 * librdkafka's prefetch, not the stream threads' bound. */
Test(kafka_conf, only_the_main_consumer_has_the_small_queue) {
    ks_kafka_role_t roles[] = {KS_KAFKA_RESTORE_CONSUMER,
                               KS_KAFKA_GLOBAL_CONSUMER};
    for (size_t i = 0; i < 2; i++) {
        rd_kafka_conf_t *rk = build(roles[i]);
        cr_assert(eq(str, (char *)get(rk, "queued.min.messages"), "100000"));
        cr_assert(eq(str, (char *)get(rk, "queued.max.messages.kbytes"),
                     "65536"));
        rd_kafka_conf_destroy(rk);
    }
    kc_conf_set(conf, "consumer.queued.min.messages", "77");
    rd_kafka_conf_t *rk = build(KS_KAFKA_CONSUMER);
    cr_assert(eq(str, (char *)get(rk, "queued.min.messages"), "77"));
    rd_kafka_conf_destroy(rk);
}

Test(kafka_conf, pass_through_keys_win_over_defaults_in_order) {
    kc_conf_set(conf, "consumer.auto.offset.reset", "latest");
    kc_conf_set(conf, "restore.consumer.fetch.wait.max.ms", "77");
    kc_conf_set(conf, "producer.linger.ms", "20");
    kc_conf_set(conf, "producer.partitioner", "consistent_random");

    rd_kafka_conf_t *rk = build(KS_KAFKA_RESTORE_CONSUMER);
    cr_assert(eq(str, (char *)get(rk, "auto.offset.reset"), "largest"));
    cr_assert(eq(str, (char *)get(rk, "fetch.wait.max.ms"), "77"));
    /* The restore consumer never joins the application's group. */
    cr_assert(ne(str, (char *)get(rk, "group.id"), "app1"));
    rd_kafka_conf_destroy(rk);

    rk = build(KS_KAFKA_GLOBAL_CONSUMER); /* consumer.* only */
    cr_assert(eq(str, (char *)get(rk, "auto.offset.reset"), "largest"));
    cr_assert(eq(str, (char *)get(rk, "fetch.wait.max.ms"), "10"));
    cr_assert(ne(str, (char *)get(rk, "group.id"), "app1"));
    rd_kafka_conf_destroy(rk);

    rk = build(KS_KAFKA_PRODUCER);
    cr_assert(eq(str, (char *)get(rk, "linger.ms"), "20"));
    cr_assert(eq(str, (char *)get(rk, "partitioner"), "consistent_random"));
    rd_kafka_conf_destroy(rk);
}

Test(kafka_conf, bad_pass_through_key_names_the_full_key) {
    char errstr[512] = "";

    kc_conf_set(conf, "restore.consumer.no.such.property", "1");
    /* Only the restore consumer reads restore.consumer.*. */
    rd_kafka_conf_t *rk = build(KS_KAFKA_CONSUMER);
    rd_kafka_conf_destroy(rk);

    cr_assert(ks_kafka_conf_new(conf, KS_KAFKA_RESTORE_CONSUMER, "c",
                                    errstr, sizeof(errstr)) == NULL);
    cr_assert(strstr(errstr, "\"restore.consumer.no.such.property\"") != NULL,
              "%s", errstr);
    cr_assert(strstr(errstr, "No such configuration property") != NULL, "%s",
              errstr);
}

Test(kafka_conf, bad_pass_through_value_names_the_key) {
    char errstr[512] = "";

    kc_conf_set(conf, "producer.linger.ms", "soon");
    cr_assert(ks_kafka_conf_new(conf, KS_KAFKA_PRODUCER, "c", errstr,
                                    sizeof(errstr)) == NULL);
    cr_assert(strstr(errstr, "\"producer.linger.ms\"") != NULL, "%s", errstr);
}

Test(kafka_conf, missing_bootstrap_servers_is_an_error) {
    char errstr[512] = "";
    kstream_conf_t *bare = kstream_conf_new();

    kc_conf_set(bare, "application.id", "a");
    cr_assert(ks_kafka_conf_new(bare, KS_KAFKA_PRODUCER, "c", errstr,
                                    sizeof(errstr)) == NULL);
    cr_assert(strstr(errstr, "bootstrap.servers") != NULL, "%s", errstr);
    kstream_conf_destroy(bare);
}
