/* test_cluster.c - kstream_dev_cluster_*: life cycle, bootstrap string,
 * topics, argument checks, fault injection calls. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "helpers.h"

TestSuite(dev_cluster, .timeout = 20);

Test(dev_cluster, starts_and_stops)
{
    char errstr[256] = "";
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(3, errstr,
                                                        sizeof(errstr));
    cr_assert(dc != NULL, "%s", errstr);
    kstream_dev_cluster_destroy(dc);
    kstream_dev_cluster_destroy(NULL);
}

Test(dev_cluster, bootstrap_lists_one_loopback_address_per_broker)
{
    char errstr[256] = "";
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(3, errstr,
                                                        sizeof(errstr));
    cr_assert(dc != NULL, "%s", errstr);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    cr_assert(bs != NULL);
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", bs);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), n++) {
        cr_assert(strncmp(tok, "127.0.0.1:", 10) == 0, "'%s' in '%s'", tok,
                  bs);
        char *end = NULL;
        long port = strtol(tok + 10, &end, 10);
        cr_assert(end[0] == '\0' && port > 0 && port < 65536, "'%s'", tok);
    }
    cr_assert(eq(int, n, 3), "'%s'", bs);
    cr_assert(kstream_dev_cluster_bootstrap(NULL) == NULL);
    kstream_dev_cluster_destroy(dc);
}

Test(dev_cluster, broker_count_out_of_range_is_refused_with_a_message)
{
    char errstr[256] = "";
    cr_assert(kstream_dev_cluster_new(0, errstr, sizeof(errstr)) == NULL);
    cr_assert(strstr(errstr, "1..16") != NULL, "%s", errstr);
    cr_assert(kstream_dev_cluster_new(17, errstr, sizeof(errstr)) == NULL);
    cr_assert(kstream_dev_cluster_new(-1, NULL, 0) == NULL);
}

Test(dev_cluster, topics_keep_their_count_and_a_second_count_is_refused)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, NULL, 0);
    cr_assert(dc != NULL);
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "orders", 4),
                 KSTREAM_OK));
    cr_assert(eq(i32, kstream_dev_cluster_partitions(dc, "orders"), 4));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "orders", 4),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "orders", 2),
                 KSTREAM_ERR_DUPLICATE_NAME));
    cr_assert(eq(i32, kstream_dev_cluster_partitions(dc, "orders"), 4));
    cr_assert(eq(i32, kstream_dev_cluster_partitions(dc, "nope"), -1));
    cr_assert(eq(i32, kstream_dev_cluster_partitions(NULL, "orders"), -1));
    cr_assert(eq(i32, kstream_dev_cluster_partitions(dc, NULL), -1));
    kstream_dev_cluster_destroy(dc);
}

Test(dev_cluster, bad_arguments_are_refused_without_a_crash)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(2, NULL, 0);
    cr_assert(dc != NULL);
    const kstream_err_t bad = KSTREAM_ERR_INVALID_ARG;
    cr_assert(eq(int, kstream_dev_cluster_create_topic(NULL, "t", 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, NULL, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "", 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "a b", 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "t", 0), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "t", -3), bad));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "t", 2), 0));

    cr_assert(eq(int, kstream_dev_cluster_broker_down(NULL, 1, true), bad));
    cr_assert(eq(int, kstream_dev_cluster_broker_down(dc, 0, true), bad));
    cr_assert(eq(int, kstream_dev_cluster_broker_down(dc, 3, true), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(NULL, "t", 0, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, NULL, 0, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, "t", -1, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, "t", 0, 9), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, "t", 2, 1),
                 KSTREAM_ERR_UNKNOWN_PARTITION));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, "u", 0, 1),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(NULL, 0, 6, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(dc, -1, 6, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(dc, 1000, 6, 1),
                 bad));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(dc, 0, 0, 1), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_rtt(NULL, 1, 10), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_rtt(dc, 5, 10), bad));
    cr_assert(eq(int, kstream_dev_cluster_set_rtt(dc, 1, -1), bad));

    char errstr[256] = "";
    kstream_topology_t *t = dc_counts_topology();
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              NULL, t, "app", errstr, sizeof(errstr)),
                 bad));
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, NULL, "app", errstr, sizeof(errstr)),
                 bad));
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, NULL, errstr, sizeof(errstr)),
                 bad));
    cr_assert(strstr(errstr, "application_id") != NULL, "%s", errstr);
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(dc, t, "",
                                                                 NULL, 0),
                 bad));
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
}

Test(dev_cluster, fault_injection_calls_succeed_on_valid_arguments)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(2, NULL, 0);
    cr_assert(dc != NULL);
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "t", 2), 0));
    cr_assert(eq(int, kstream_dev_cluster_broker_down(dc, 2, true), 0));
    cr_assert(eq(int, kstream_dev_cluster_set_leader(dc, "t", 1, 1), 0));
    cr_assert(eq(int, kstream_dev_cluster_broker_down(dc, 2, false), 0));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(dc, 0, 6, 3), 0));
    cr_assert(eq(int, kstream_dev_cluster_inject_errors(dc, 1, 7, 0), 0));
    cr_assert(eq(int, kstream_dev_cluster_set_rtt(dc, 1, 5), 0));
    kstream_dev_cluster_destroy(dc);
}
