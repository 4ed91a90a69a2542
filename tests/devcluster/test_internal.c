/* test_internal.c - kstream_topology_internal_topics() and
 * kstream_dev_cluster_create_internal_topics(): names, partition counts,
 * cleanup policies and retention of repartition and changelog topics. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "helpers.h"

TestSuite(internal_topics, .timeout = 20);

/* "in" has 4 partitions, "orders" 3, "users" 3, "regions" 1. */
static int32_t fixed_counts(const char *topic, void *opaque)
{
    (void)opaque;
    if (strcmp(topic, "in") == 0)
        return 4;
    if (strcmp(topic, "orders") == 0 || strcmp(topic, "users") == 0)
        return 3;
    if (strcmp(topic, "regions") == 0)
        return 1;
    return -1;
}

static int32_t no_topics(const char *topic, void *opaque)
{
    (void)topic;
    (void)opaque;
    return -1;
}

Test(internal_topics, repartition_and_changelogs_of_a_count_and_a_window)
{
    kstream_topology_t *t = dc_counts_topology();
    kstream_internal_topic_t *its = NULL;
    size_t n = 0;
    char errstr[256] = "";
    cr_assert(eq(int, kstream_topology_internal_topics(t, "app", fixed_counts,
                                                       NULL, &its, &n, errstr,
                                                       sizeof(errstr)),
                 KSTREAM_OK),
              "%s", errstr);
    cr_assert(eq(sz, n, 3));
    const kstream_internal_topic_t *rp =
            dc_find(its, n, "app-by-color-repartition");
    cr_assert(rp != NULL);
    cr_assert(eq(i32, rp->partitions, 4));
    cr_assert(rp->changelog == false);
    cr_assert(eq(str, (char *)rp->cleanup_policy, "delete"));
    cr_assert(eq(i64, rp->retention_ms, -1));

    const kstream_internal_topic_t *kv =
            dc_find(its, n, "app-color-count-changelog");
    cr_assert(kv != NULL);
    cr_assert(eq(i32, kv->partitions, 4));
    cr_assert(kv->changelog);
    cr_assert(eq(str, (char *)kv->cleanup_policy, "compact"));
    cr_assert(eq(i64, kv->retention_ms, -1));

    const kstream_internal_topic_t *win =
            dc_find(its, n, "app-per-minute-changelog");
    cr_assert(win != NULL);
    cr_assert(eq(i32, win->partitions, 4));
    cr_assert(win->changelog);
    cr_assert(eq(str, (char *)win->cleanup_policy, "compact,delete"));
    /* window size + grace, plus Kafka's one extra day */
    cr_assert(eq(i64, win->retention_ms, 60000 + 5000 + 86400000));
    kstream_internal_topics_free(its, n);
    kstream_topology_destroy(t);
}

Test(internal_topics, a_join_lists_the_table_changelog_and_no_global_one)
{
    kstream_topology_t *t = dc_join_topology();
    kstream_internal_topic_t *its = NULL;
    size_t n = 0;
    char errstr[256] = "";
    cr_assert(eq(int, kstream_topology_internal_topics(t, "j", fixed_counts,
                                                       NULL, &its, &n, errstr,
                                                       sizeof(errstr)),
                 KSTREAM_OK),
              "%s", errstr);
    const kstream_internal_topic_t *users =
            dc_find(its, n, "j-users-changelog");
    cr_assert(users != NULL);
    cr_assert(eq(i32, users->partitions, 3));
    cr_assert(dc_find(its, n, "j-regions-changelog") == NULL);
    kstream_internal_topics_free(its, n);
    kstream_topology_destroy(t);
}

Test(internal_topics, a_missing_source_topic_is_named)
{
    kstream_topology_t *t = dc_counts_topology();
    kstream_internal_topic_t *its = NULL;
    size_t n = 7;
    char errstr[256] = "";
    cr_assert(eq(int, kstream_topology_internal_topics(t, "app", no_topics,
                                                       NULL, &its, &n, errstr,
                                                       sizeof(errstr)),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(strstr(errstr, "'in'") != NULL, "%s", errstr);
    cr_assert(its == NULL && n == 0);
    kstream_topology_destroy(t);
}

Test(internal_topics, bad_arguments_are_refused)
{
    kstream_topology_t *t = dc_counts_topology();
    kstream_internal_topic_t *its = NULL;
    size_t n = 0;
    char errstr[256] = "";
    const kstream_err_t bad = KSTREAM_ERR_INVALID_ARG;
    cr_assert(eq(int, kstream_topology_internal_topics(NULL, "a", fixed_counts,
                                                       NULL, &its, &n, errstr,
                                                       sizeof(errstr)),
                 bad));
    cr_assert(strstr(errstr, "topology") != NULL, "%s", errstr);
    cr_assert(eq(int, kstream_topology_internal_topics(t, NULL, fixed_counts,
                                                       NULL, &its, &n, NULL,
                                                       0),
                 bad));
    cr_assert(eq(int, kstream_topology_internal_topics(t, "", fixed_counts,
                                                       NULL, &its, &n, NULL,
                                                       0),
                 bad));
    cr_assert(eq(int, kstream_topology_internal_topics(t, "a", NULL, NULL,
                                                       &its, &n, errstr,
                                                       sizeof(errstr)),
                 bad));
    cr_assert(strstr(errstr, "partitions_of") != NULL, "%s", errstr);
    cr_assert(eq(int, kstream_topology_internal_topics(t, "a", fixed_counts,
                                                       NULL, NULL, &n, NULL,
                                                       0),
                 bad));
    cr_assert(eq(int, kstream_topology_internal_topics(t, "a", fixed_counts,
                                                       NULL, &its, NULL, NULL,
                                                       0),
                 bad));
    kstream_internal_topics_free(NULL, 3);
    kstream_topology_destroy(t);
}

Test(internal_topics, the_dev_cluster_creates_them_from_its_source_topics)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, NULL, 0);
    cr_assert(dc != NULL);
    kstream_topology_t *t = dc_counts_topology();
    char errstr[256] = "";
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, "app", errstr, sizeof(errstr)),
                 KSTREAM_ERR_UNKNOWN_TOPIC));
    cr_assert(strstr(errstr, "'in'") != NULL, "%s", errstr);
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "in", 6), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, "app", errstr, sizeof(errstr)),
                 KSTREAM_OK),
              "%s", errstr);
    cr_assert(eq(i32,
                 kstream_dev_cluster_partitions(dc,
                                                "app-by-color-repartition"),
                 6));
    cr_assert(eq(i32,
                 kstream_dev_cluster_partitions(dc,
                                                "app-color-count-changelog"),
                 6));
    cr_assert(eq(i32,
                 kstream_dev_cluster_partitions(dc,
                                                "app-per-minute-changelog"),
                 6));
    /* again: everything is there with the right count */
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, "app", errstr, sizeof(errstr)),
                 KSTREAM_OK),
              "%s", errstr);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
}

Test(internal_topics, the_dev_cluster_refuses_an_internal_topic_of_another_count)
{
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(1, NULL, 0);
    cr_assert(dc != NULL);
    kstream_topology_t *t = dc_counts_topology();
    cr_assert(eq(int, kstream_dev_cluster_create_topic(dc, "in", 4), 0));
    cr_assert(eq(int, kstream_dev_cluster_create_topic(
                              dc, "app-color-count-changelog", 2),
                 0));
    char errstr[256] = "";
    cr_assert(eq(int, kstream_dev_cluster_create_internal_topics(
                              dc, t, "app", errstr, sizeof(errstr)),
                 KSTREAM_ERR_INVALID_TOPOLOGY));
    cr_assert(strstr(errstr, "'app-color-count-changelog' has 2 partitions, "
                             "expected 4") != NULL,
              "%s", errstr);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
}
