/* helpers_eos.h - shared by the exactly-once proofs of the test driver
 * (test_eos_crash.c, test_eos_instances.c): the count-and-join topology
 * they crash, its committed output as rows, and the input count check. */
#ifndef KSTREAM_TESTS_DRIVER_HELPERS_EOS_H
#define KSTREAM_TESTS_DRIVER_HELPERS_EOS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define MAX_OUT 256

typedef struct outputs {
    char *rows[MAX_OUT];
    size_t n;
} outputs_t;

static inline void outputs_free(outputs_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->rows[i]);
    o->n = 0;
}

/* "topic key=value" with Kafka longs (counts) as decimals. */
static inline void read_all(kstream_test_driver_t *drv, const char *topic,
                     bool longs, outputs_t *o)
{
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        char val[128];
        if (longs && v.data && v.len == 8) {
            const uint8_t *p = v.data;
            uint64_t x = 0;
            for (int i = 0; i < 8; i++)
                x = x << 8 | p[i];
            snprintf(val, sizeof(val), "%lld", (long long)x);
        } else {
            h_bytes_fmt(v, val, sizeof(val));
        }
        char row[256];
        snprintf(row, sizeof(row), "%s %.*s=%s", topic, (int)k.len,
                 (const char *)k.data, val);
        cr_assert(o->n < MAX_OUT);
        o->rows[o->n++] = strdup(row);
    }
}

static inline kstream_err_t join_cb(const kstream_record_t *left,
                             const kstream_record_t *right,
                             kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t l = kstream_record_value(left);
    kstream_bytes_t r = kstream_record_value(right);
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%.*s@%.*s", (int)l.len,
                     (const char *)l.data, (int)r.len, (const char *)r.data);
    return kstream_record_set_value(out, buf, (size_t)n);
}

/* orders -> count by key -> "counts"; orders join users (table) ->
 * "enriched". */
static inline kstream_topology_t *topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *orders = kstream_builder_stream(b, "orders", NULL);
    kstream_table_t *users = kstream_builder_table(b, "users", "users-table");
    kstream_stream_t *j = kstream_stream_join_table(
            orders, users, KSTREAM_JOIN_INNER, join_cb, NULL, NULL, "enrich");
    kstream_stream_to(j, "enriched", NULL);
    kstream_table_t *c =
            kstream_grouped_count(kstream_stream_group_by_key(orders),
                                  "order-counts");
    kstream_stream_to(kstream_table_to_stream(c, NULL), "counts", NULL);
    return h_build(b);
}

typedef struct input {
    const char *topic, *key, *value;
} input_t;

/* Records of an input topic the cluster holds (read through the driver's
 * cursor, which the run does not otherwise use for inputs). */
static inline size_t appended(kstream_test_driver_t *drv, const char *topic,
                       size_t *seen)
{
    const kstream_record_t *rec;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK)
        (*seen)++;
    return *seen;
}

#endif /* KSTREAM_TESTS_DRIVER_HELPERS_EOS_H */
