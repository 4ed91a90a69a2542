/* helpers.h - topologies and small helpers of the dev cluster tests. */
#ifndef KSTREAM_TESTS_DEVCLUSTER_HELPERS_H
#define KSTREAM_TESTS_DEVCLUSTER_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kstream.h"

/* Key = the value up to ':' (a group_by mapper). */
static inline kstream_err_t dc_key_from_value(const kstream_record_t *in,
                                              kstream_record_t *out,
                                              void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL)
        return kstream_record_set_key(out, NULL, 0);
    const char *colon = memchr(v.data, ':', v.len);
    size_t n = colon ? (size_t)(colon - (const char *)v.data) : v.len;
    return kstream_record_set_key(out, v.data, n);
}

static inline kstream_err_t dc_joiner(const kstream_record_t *left,
                                      const kstream_record_t *right,
                                      kstream_record_t *out, void *opaque)
{
    (void)left;
    (void)right;
    (void)out;
    (void)opaque;
    return KSTREAM_OK;
}

static inline kstream_topology_t *dc_build(kstream_builder_t *b)
{
    char errstr[512] = "";
    kstream_topology_t *t = kstream_builder_build(b, errstr, sizeof(errstr));
    cr_assert(t != NULL, "build: %s", errstr);
    return t;
}

/* "in" -> group_by "by-color" -> count "color-count" -> "out";
 * "in" -> group_by_key -> windowed_by tumbling(60 s, grace 5 s) -> count
 * "per-minute" -> "out-w". Internal topics (app "app"):
 * app-by-color-repartition, app-color-count-changelog,
 * app-per-minute-changelog. */
static inline kstream_topology_t *dc_counts_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_grouped_t *g = kstream_stream_group_by(s, dc_key_from_value,
                                                   NULL, NULL, "by-color");
    cr_assert(g != NULL, "group_by: %s", kstream_builder_error(b));
    kstream_table_t *t = kstream_grouped_count(g, "color-count");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_windowed_t *w = kstream_grouped_windowed_by(
            kstream_stream_group_by_key(s),
            kstream_windows_tumbling(60000, 5000));
    kstream_table_t *wt = kstream_windowed_count(w, "per-minute");
    cr_assert(wt != NULL, "windowed count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(wt, NULL), "out-w", NULL);
    return dc_build(b);
}

/* "orders" joined with table "users" (co-partitioned inputs), plus a
 * global table of "regions". */
static inline kstream_topology_t *dc_join_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", NULL);
    kstream_table_t *users = kstream_builder_table(b, "users", "users");
    cr_assert(users != NULL, "table: %s", kstream_builder_error(b));
    cr_assert(kstream_builder_global_table(b, "regions", "regions") ==
              KSTREAM_OK);
    kstream_stream_t *j = kstream_stream_join_table(
            s, users, KSTREAM_JOIN_INNER, dc_joiner, NULL, NULL, "enrich");
    cr_assert(j != NULL, "join: %s", kstream_builder_error(b));
    kstream_stream_to(j, "enriched", NULL);
    return dc_build(b);
}

static inline const kstream_internal_topic_t *
dc_find(const kstream_internal_topic_t *its, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(its[i].name, name) == 0)
            return &its[i];
    return NULL;
}

#endif
