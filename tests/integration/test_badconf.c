/* Bad configuration gives a clear error, never a crash or a hang. */
#include <string.h>

#include "it.h"

TestSuite(badconf, .timeout = 60);

static kstream_err_t keep_left(const kstream_record_t *left,
                               const kstream_record_t *right,
                               kstream_record_t *out, void *opaque)
{
    (void)left;
    (void)right;
    (void)out;
    (void)opaque;
    return KSTREAM_OK;
}

static kstream_topology_t *copartition_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "clicks", NULL);
    kstream_table_t *users = kstream_builder_table(b, "users", "users-store");
    kstream_stream_to(kstream_stream_join_table(s, users, KSTREAM_JOIN_LEFT,
                                                keep_left, NULL, NULL,
                                                "enrich"),
                      "out", NULL);
    char errstr[512] = "";
    kstream_topology_t *t = kstream_builder_build(b, errstr, sizeof(errstr));
    cr_assert(t != NULL, "%s", errstr);
    return t;
}

Test(badconf, missing_application_id_and_bootstrap)
{
    kstream_topology_t *t = it_count_topology("in", "out");
    kstream_conf_t *conf = kstream_conf_new();
    char errstr[512] = "";
    cr_assert_null(kstream_new(t, conf, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "application.id") != NULL, "%s", errstr);
    it_set(conf, "application.id", "x");
    cr_assert_null(kstream_new(t, conf, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "bootstrap.servers") != NULL, "%s", errstr);
    cr_assert_null(kstream_new(NULL, conf, errstr, sizeof(errstr)));
    cr_assert_null(kstream_new(t, NULL, errstr, sizeof(errstr)));
    cr_assert_eq(kstream_start(NULL, errstr, sizeof(errstr)),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_close(NULL, 0), KSTREAM_ERR_INVALID_ARG);
    kstream_destroy(NULL);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
}

Test(badconf, unknown_keys_are_refused_by_name)
{
    kstream_conf_t *conf = kstream_conf_new();
    char errstr[512] = "";
    cr_assert_eq(kstream_conf_set(conf, "num.stream.thread", "2", errstr,
                                  sizeof(errstr)),
                 KSTREAM_CONF_UNKNOWN);
    cr_assert(strstr(errstr, "num.stream.thread") != NULL, "%s", errstr);
    /* A pass-through key librdkafka does not know fails kstream_new(). */
    it_set(conf, "application.id", "x");
    it_set(conf, "bootstrap.servers", "127.0.0.1:1");
    it_set(conf, "consumer.no.such.property", "1");
    kstream_topology_t *t = it_count_topology("in", "out");
    errstr[0] = '\0';
    cr_assert_null(kstream_new(t, conf, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "no.such.property") != NULL, "%s", errstr);
    /* The RocksDB budget is split over the threads: 1 MiB each at least. */
    kstream_conf_destroy(conf);
    conf = kstream_conf_new();
    it_set(conf, "application.id", "x");
    it_set(conf, "bootstrap.servers", "127.0.0.1:1");
    it_set(conf, "rocksdb.memory.bytes", "16777216");
    it_set(conf, "num.stream.threads", "32");
    cr_assert_null(kstream_new(t, conf, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "rocksdb.memory.bytes") != NULL, "%s", errstr);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
}

Test(badconf, unreachable_bootstrap_times_out_with_a_message)
{
    kstream_topology_t *t = it_count_topology("in", "out");
    kstream_conf_t *conf = kstream_conf_new();
    char *dir = it_tmpdir();
    it_set(conf, "application.id", "unreachable");
    it_set(conf, "bootstrap.servers", "127.0.0.1:1");
    it_set(conf, "state.dir", dir);
    it_set(conf, "default.api.timeout.ms", "1500");
    it_set(conf, "log.level", "0");
    char errstr[512] = "";
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    int64_t t0 = it_now_ms();
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)),
                 KSTREAM_ERR_TIMEOUT, "%s", errstr);
    cr_assert(it_now_ms() - t0 < 6000);
    cr_assert(strstr(errstr, "127.0.0.1:1") != NULL, "%s", errstr);
    cr_assert_eq(kstream_state(app), KSTREAM_STATE_ERROR);
    char buf[512];
    cr_assert_eq(kstream_last_error(app, buf, sizeof(buf)),
                 KSTREAM_ERR_TIMEOUT);
    kstream_close(app, 1000);
    kstream_destroy(app);
    kstream_conf_destroy(conf);
    kstream_topology_destroy(t);
    it_rmdir(dir);
}

Test(badconf, missing_source_topic_and_copartitioning)
{
    const char *topics[] = {"out:2", "clicks:4", "users:2", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    char *dir = it_tmpdir();
    char errstr[512] = "";

    kstream_topology_t *t = it_count_topology("no-such-input", "out");
    kstream_conf_t *conf = it_conf(dc, "badconf", dir);
    kstream_t *app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)),
                 KSTREAM_ERR_UNKNOWN_TOPIC, "%s", errstr);
    cr_assert(strstr(errstr, "no-such-input") != NULL, "%s", errstr);
    kstream_destroy(app);
    kstream_topology_destroy(t);

    t = copartition_topology();
    app = kstream_new(t, conf, errstr, sizeof(errstr));
    cr_assert(app != NULL, "%s", errstr);
    cr_assert_eq(kstream_start(app, errstr, sizeof(errstr)),
                 KSTREAM_ERR_INVALID_TOPOLOGY, "%s", errstr);
    cr_assert(strstr(errstr, "clicks") && strstr(errstr, "users"), "%s",
              errstr);
    kstream_destroy(app);
    kstream_topology_destroy(t);
    kstream_conf_destroy(conf);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}
