/* test_prepare.c - ks_kafka_prepare_topics() against the dev cluster: the
 * start-up checks of the Kafka runtime (sources, co-partitioning,
 * internal topic counts, an unreachable cluster). */
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "helpers.h"
#include "runtime/kafka.h"

TestSuite(prepare_topics, .timeout = 25);

static kstream_conf_t *conf_for(const char *bootstrap, const char *timeout)
{
    kstream_conf_t *conf = kstream_conf_new();
    char errstr[256];
    cr_assert(kstream_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                               sizeof(errstr)) == KSTREAM_CONF_OK,
              "%s", errstr);
    cr_assert(kstream_conf_set(conf, "default.api.timeout.ms", timeout,
                               errstr, sizeof(errstr)) == KSTREAM_CONF_OK,
              "%s", errstr);
    /* librdkafka's connection errors would go to stderr */
    cr_assert(kstream_conf_set(conf, "log.level", "2", errstr,
                               sizeof(errstr)) == KSTREAM_CONF_OK);
    return conf;
}

/* Run the checks of `t` on a fresh one-broker cluster after `setup`. */
typedef void(setup_fn)(kstream_dev_cluster_t *dc, const kstream_topology_t *t);

static kstream_err_t run(kstream_topology_t *t, setup_fn *setup,
                         char *errstr, size_t size)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, NULL, 0);
    cr_assert(dc != NULL);
    setup(dc, t);
    kstream_conf_t *conf =
            conf_for(kstream_dev_cluster_bootstrap(dc), "10000");
    kstream_err_t err = ks_kafka_prepare_topics(conf, t, "app", errstr, size);
    kstream_conf_destroy(conf);
    kstream_dev_cluster_destroy(dc);
    return err;
}

static void all_there(kstream_dev_cluster_t *dc, const kstream_topology_t *t)
{
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "in", 3), 0));
    char errstr[256] = "";
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, "app", errstr, sizeof(errstr)),
                 KSTREAM_OK),
              "%s", errstr);
}

Test(prepare_topics, everything_there_is_ok)
{
    kstream_topology_t *t = dc_counts_topology();
    char errstr[512] = "";
    cr_assert(eq(int, run(t, all_there, errstr, sizeof(errstr)), KSTREAM_OK),
              "%s", errstr);
    kstream_topology_destroy(t);
}

static void no_source(kstream_dev_cluster_t *dc, const kstream_topology_t *t)
{
    (void)t;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "other", 3), 0));
}

Test(prepare_topics, a_missing_source_topic_is_named_and_not_created)
{
    kstream_topology_t *t = dc_counts_topology();
    char errstr[512] = "";
    cr_assert(eq(int, run(t, no_source, errstr, sizeof(errstr)),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(strstr(errstr, "'in'") != NULL, "%s", errstr);
    kstream_topology_destroy(t);
}

static void wrong_internal(kstream_dev_cluster_t *dc,
                           const kstream_topology_t *t)
{
    (void)t;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "in", 3), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(
                              dc, "app-by-color-repartition", 5),
                 0));
}

Test(prepare_topics, an_internal_topic_of_another_count_is_named)
{
    kstream_topology_t *t = dc_counts_topology();
    char errstr[512] = "";
    cr_assert(eq(int, run(t, wrong_internal, errstr, sizeof(errstr)),
                 KSTREAM_ERR_INVALID_TOPOLOGY));
    cr_assert(strstr(errstr, "'app-by-color-repartition' has 5 partitions, "
                             "expected 3") != NULL,
              "%s", errstr);
    kstream_topology_destroy(t);
}

static void not_copartitioned(kstream_dev_cluster_t *dc,
                              const kstream_topology_t *t)
{
    (void)t;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "orders", 4), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "users", 2), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "regions", 1), 0));
}

Test(prepare_topics, join_inputs_of_different_counts_are_named)
{
    kstream_topology_t *t = dc_join_topology();
    char errstr[512] = "";
    cr_assert(eq(int, run(t, not_copartitioned, errstr, sizeof(errstr)),
                 KSTREAM_ERR_INVALID_TOPOLOGY));
    cr_assert(strstr(errstr, "enrich") != NULL, "%s", errstr);
    cr_assert(strstr(errstr, "'orders' has 4") != NULL, "%s", errstr);
    cr_assert(strstr(errstr, "'users' has 2") != NULL, "%s", errstr);
    kstream_topology_destroy(t);
}

static void no_global(kstream_dev_cluster_t *dc, const kstream_topology_t *t)
{
    (void)t;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "orders", 2), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "users", 2), 0));
}

Test(prepare_topics, a_missing_global_table_topic_is_named)
{
    kstream_topology_t *t = dc_join_topology();
    char errstr[512] = "";
    cr_assert(eq(int, run(t, no_global, errstr, sizeof(errstr)),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(strstr(errstr, "'regions'") != NULL, "%s", errstr);
    kstream_topology_destroy(t);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(prepare_topics, an_unreachable_cluster_times_out_in_time)
{
    kstream_topology_t *t = dc_counts_topology();
    kstream_conf_t *conf = conf_for("127.0.0.1:1", "1500");
    char errstr[512] = "";
    int64_t t0 = now_ms();
    cr_assert(eq(int, ks_kafka_prepare_topics(conf, t, "app", errstr,
                                              sizeof(errstr)),
                 KSTREAM_ERR_TIMEOUT));
    int64_t took = now_ms() - t0;
    cr_assert(took >= 1400 && took < 3000, "took %lld ms", (long long)took);
    cr_assert(strstr(errstr, "cannot reach the Kafka cluster at "
                             "127.0.0.1:1 within 1500 ms") != NULL,
              "%s", errstr);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
}

static void sources_only(kstream_dev_cluster_t *dc,
                         const kstream_topology_t *t)
{
    (void)t;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "in", 3), 0));
}

/* The mock has no Admin API: CreateTopics never answers, so this runs
 * the creation path (topics with their configs) up to its timeout. A
 * real cluster creates them (not tested here). */
Test(prepare_topics, missing_internal_topics_are_created_within_the_timeout)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, NULL, 0);
    cr_assert(dc != NULL);
    kstream_topology_t *t = dc_counts_topology();
    sources_only(dc, t);
    kstream_conf_t *conf =
            conf_for(kstream_dev_cluster_bootstrap(dc), "1500");
    char errstr[512] = "";
    int64_t t0 = now_ms();
    cr_assert(eq(int, ks_kafka_prepare_topics(conf, t, "app", errstr,
                                              sizeof(errstr)),
                 KSTREAM_ERR_TIMEOUT));
    int64_t took = now_ms() - t0;
    cr_assert(took < 4000, "took %lld ms", (long long)took);
    cr_assert(strstr(errstr, "creating 3 internal topic(s) did not finish "
                             "within 1500 ms") != NULL,
              "%s", errstr);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
}
