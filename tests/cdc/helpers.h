/* helpers.h - shared helpers of the CDC tests (public API only): a driver
 * over a CDC topology, piping events, reading outputs and the table's
 * exact contents. Strings are NUL-terminated and sent without the NUL; a
 * NULL value is a Kafka null (a tombstone). */
#ifndef KSTREAM_TESTS_CDC_HELPERS_H
#define KSTREAM_TESTS_CDC_HELPERS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "kstream.h"

/* Build b (consumed) and start a driver with name/value settings (NULL
 * terminated). The record cache is off unless the settings turn it on, so
 * each update reaches the outputs at once. */
static inline __attribute__((sentinel)) kstream_test_driver_t *
c_driver(kstream_builder_t *b, ...)
{
    char err[512] = "";
    kstream_topology_t *t = kstream_builder_build(b, err, sizeof(err));
    cr_assert(t != NULL, "build: %s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(eq(int, kstream_conf_set(conf, "cache.max.bytes.buffering",
                                       "0", err, sizeof(err)),
                 KSTREAM_CONF_OK), "%s", err);
    va_list ap;
    va_start(ap, b);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        cr_assert(eq(int, kstream_conf_set(conf, name, value, err,
                                           sizeof(err)),
                     KSTREAM_CONF_OK), "%s=%s: %s", name, value, err);
    }
    va_end(ap);
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, err,
                                                         sizeof(err));
    cr_assert(drv != NULL, "driver: %s", err);
    return drv;
}

static inline kstream_err_t c_pipe(kstream_test_driver_t *drv,
                                   const char *topic, const char *key,
                                   const char *value, int64_t ts)
{
    return kstream_test_driver_pipe(drv, topic, key, key ? strlen(key) : 0,
                                    value, value ? strlen(value) : 0, ts);
}

static inline void c_pipe_ok(kstream_test_driver_t *drv, const char *topic,
                             const char *key, const char *value, int64_t ts)
{
    kstream_err_t err = c_pipe(drv, topic, key, value, ts);
    cr_assert(eq(int, err, KSTREAM_OK), "pipe %s: %s: %s", key,
              kstream_err2name(err), kstream_test_driver_last_error(drv));
}

static inline bool c_bytes_is(kstream_bytes_t b, const char *s)
{
    if (!s)
        return b.data == NULL;
    return b.data && b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

/* The next record of topic must be (key, value) (value NULL: tombstone). */
static inline const kstream_record_t *c_expect(kstream_test_driver_t *drv,
                                               const char *topic,
                                               const char *key,
                                               const char *value)
{
    const kstream_record_t *rec = NULL;
    cr_assert(eq(int, kstream_test_driver_read(drv, topic, &rec), KSTREAM_OK),
              "no record left in %s (wanted %s)", topic, key);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    cr_assert(c_bytes_is(k, key), "%s: key %.*s, wanted %s", topic,
              (int)k.len, k.data ? (const char *)k.data : "null", key);
    cr_assert(c_bytes_is(v, value), "%s: value\n  %.*s\nwanted\n  %s", topic,
              (int)v.len, v.data ? (const char *)v.data : "null",
              value ? value : "null");
    return rec;
}

static inline void c_expect_empty(kstream_test_driver_t *drv,
                                  const char *topic)
{
    cr_assert(kstream_test_driver_is_empty(drv, topic), "%s has more records",
              topic);
}

/* The exact contents of key-value store `store` (partition 0) as
 * "key=value\n" lines in key order. */
static inline void c_expect_table(kstream_test_driver_t *drv,
                                  const char *store, const char *want)
{
    kstream_store_t *st = kstream_test_driver_store(drv, store, 0);
    cr_assert(st != NULL, "no store %s", store);
    kstream_iter_t *it = NULL;
    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    size_t cap = 4096, n = 0;
    char *got = malloc(cap);
    got[0] = '\0';
    kstream_bytes_t k, v;
    while (kstream_iter_next(it, &k, &v) == KSTREAM_OK) {
        int w = snprintf(got + n, cap - n, "%.*s=%.*s\n", (int)k.len,
                         (const char *)k.data, (int)v.len,
                         (const char *)v.data);
        cr_assert(w > 0 && (size_t)w < cap - n, "table too large");
        n += (size_t)w;
    }
    kstream_iter_close(it);
    cr_assert(eq(str, got, (char *)want));
    free(got);
}

static inline int64_t c_metric(kstream_test_driver_t *drv, const char *name)
{
    int64_t v = -1;
    cr_assert(eq(int, kstream_test_driver_metric(drv, name, &v), KSTREAM_OK),
              "metric %s", name);
    return v;
}

/* The value of the last header called name, as a C string in buf. */
static inline const char *c_header(const kstream_record_t *rec,
                                   const char *name, char *buf, size_t size)
{
    kstream_bytes_t v;
    if (kstream_record_header_last(rec, name, &v) != KSTREAM_OK || !v.data)
        return NULL;
    snprintf(buf, size, "%.*s", (int)v.len, (const char *)v.data);
    return buf;
}

#endif
