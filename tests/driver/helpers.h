/* helpers.h - small shared helpers for the driver tests (tests/driver/).
 *
 * Only the public header is used (TH3's rule). Everything here is static
 * inline so that each test file may use any subset without warnings.
 *
 * Conventions:
 *  - "strings" passed as keys/values are NUL-terminated and sent without
 *    the NUL; a NULL string means a Kafka null.
 *  - h_driver() builds the builder (consumed) and starts a test driver with
 *    name/value configuration pairs terminated by NULL, asserting success.
 */
#ifndef KSTREAM_TESTS_DRIVER_HELPERS_H
#define KSTREAM_TESTS_DRIVER_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "kstream.h"

/* ---- strings and byte slices --------------------------------------- */

/* true when b holds exactly s (s NULL: b is a Kafka null). */
static inline bool h_bytes_is(kstream_bytes_t b, const char *s)
{
    if (s == NULL)
        return b.data == NULL;
    if (b.data == NULL)
        return false;
    return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

/* Render a slice for assertion messages ("null" for a Kafka null). */
static inline const char *h_bytes_fmt(kstream_bytes_t b, char *buf,
                                      size_t size)
{
    if (b.data == NULL) {
        snprintf(buf, size, "null");
    } else {
        size_t n = b.len < size - 1 ? b.len : size - 1;
        memcpy(buf, b.data, n);
        buf[n] = '\0';
    }
    return buf;
}

/* Case-insensitive substring search (no dependency on strcasestr). */
static inline bool h_contains_ci(const char *hay, const char *needle)
{
    if (hay == NULL || needle == NULL)
        return false;
    size_t nl = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < nl && p[i] &&
               (p[i] | 0x20) == (needle[i] | 0x20))
            i++;
        if (i == nl)
            return true;
    }
    return nl == 0;
}

static inline bool h_contains(const char *hay, const char *needle)
{
    return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

/* ---- configuration, topology, driver ------------------------------- */

static inline kstream_conf_t *h_conf_va(va_list ap)
{
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(conf != NULL, "kstream_conf_new() returned NULL");
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        char errstr[512] = "";
        kstream_conf_res_t res =
                kstream_conf_set(conf, name, value, errstr, sizeof(errstr));
        cr_assert(res == KSTREAM_CONF_OK, "conf_set(%s=%s): %d %s", name,
                  value, (int)res, errstr);
    }
    return conf;
}

/* A configuration from NULL-terminated name/value pairs (first may be
 * NULL for defaults only). */
static inline __attribute__((sentinel)) kstream_conf_t *
h_conf(const char *first, ...)
{
    kstream_conf_t *conf;
    va_list ap;
    va_start(ap, first);
    if (first == NULL) {
        conf = kstream_conf_new();
        cr_assert(conf != NULL);
    } else {
        /* re-read first as a name: rebuild a list by hand */
        const char *value = va_arg(ap, const char *);
        char errstr[512] = "";
        conf = h_conf_va(ap);
        kstream_conf_res_t res =
                kstream_conf_set(conf, first, value, errstr, sizeof(errstr));
        cr_assert(res == KSTREAM_CONF_OK, "conf_set(%s=%s): %d %s", first,
                  value, (int)res, errstr);
    }
    va_end(ap);
    return conf;
}

/* Build \p b (consumed) and assert success. */
static inline kstream_topology_t *h_build(kstream_builder_t *b)
{
    char errstr[512] = "";
    const char *berr = kstream_builder_error(b);
    cr_assert(berr == NULL, "builder error before build: %s", berr);
    kstream_topology_t *t = kstream_builder_build(b, errstr, sizeof(errstr));
    cr_assert(t != NULL, "kstream_builder_build failed: %s", errstr);
    return t;
}

/* Build \p b (consumed) and expect failure; returns the message in
 * \p errstr. */
static inline void h_build_fails(kstream_builder_t *b, char *errstr,
                                 size_t size)
{
    errstr[0] = '\0';
    kstream_topology_t *t = kstream_builder_build(b, errstr, size);
    cr_assert(t == NULL, "kstream_builder_build succeeded, expected failure");
    cr_assert(errstr[0] != '\0', "build failed without a message");
}

/* A driver for topology \p t (consumed) with conf pairs, NULL-terminated. */
static inline __attribute__((sentinel)) kstream_test_driver_t *
h_driver_t(kstream_topology_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    kstream_conf_t *conf = h_conf_va(ap);
    va_end(ap);
    char errstr[512] = "";
    kstream_test_driver_t *drv =
            kstream_test_driver_new(t, conf, errstr, sizeof(errstr));
    cr_assert(drv != NULL, "kstream_test_driver_new failed: %s", errstr);
    return drv;
}

/* Build \p b (consumed) and start a driver with conf pairs,
 * NULL-terminated: h_driver(b, "application.id", "app", NULL). */
static inline __attribute__((sentinel)) kstream_test_driver_t *
h_driver(kstream_builder_t *b, ...)
{
    kstream_topology_t *t = h_build(b);
    va_list ap;
    va_start(ap, b);
    kstream_conf_t *conf = h_conf_va(ap);
    va_end(ap);
    char errstr[512] = "";
    kstream_test_driver_t *drv =
            kstream_test_driver_new(t, conf, errstr, sizeof(errstr));
    cr_assert(drv != NULL, "kstream_test_driver_new failed: %s", errstr);
    return drv;
}

/* ---- piping ---------------------------------------------------------- */

static inline kstream_err_t h_pipe(kstream_test_driver_t *drv,
                                   const char *topic, const char *key,
                                   const char *value, int64_t ts)
{
    return kstream_test_driver_pipe(drv, topic, key, key ? strlen(key) : 0,
                                    value, value ? strlen(value) : 0, ts);
}

static inline kstream_err_t h_pipe_p(kstream_test_driver_t *drv,
                                     const char *topic, int32_t partition,
                                     const char *key, const char *value,
                                     int64_t ts)
{
    return kstream_test_driver_pipe_ex(drv, topic, partition, key,
                                       key ? strlen(key) : 0, value,
                                       value ? strlen(value) : 0, ts, NULL,
                                       0);
}

/* Pipe and assert KSTREAM_OK. */
static inline void h_pipe_ok(kstream_test_driver_t *drv, const char *topic,
                             const char *key, const char *value, int64_t ts)
{
    kstream_err_t err = h_pipe(drv, topic, key, value, ts);
    cr_assert(err == KSTREAM_OK, "pipe(%s, %s, %s, %lld): %s: %s", topic,
              key ? key : "null", value ? value : "null", (long long)ts,
              kstream_err2name(err), kstream_test_driver_last_error(drv));
}

static inline void h_pipe_p_ok(kstream_test_driver_t *drv, const char *topic,
                               int32_t partition, const char *key,
                               const char *value, int64_t ts)
{
    kstream_err_t err = h_pipe_p(drv, topic, partition, key, value, ts);
    cr_assert(err == KSTREAM_OK, "pipe_ex(%s[%d], %s, %s, %lld): %s: %s",
              topic, (int)partition, key ? key : "null",
              value ? value : "null", (long long)ts, kstream_err2name(err),
              kstream_test_driver_last_error(drv));
}

/* ---- reading --------------------------------------------------------- */

/* Read the next record of \p topic, asserting there is one. */
static inline const kstream_record_t *h_read(kstream_test_driver_t *drv,
                                             const char *topic)
{
    const kstream_record_t *rec = NULL;
    kstream_err_t err = kstream_test_driver_read(drv, topic, &rec);
    cr_assert(err == KSTREAM_OK, "read(%s): %s (%s)", topic,
              kstream_err2name(err), kstream_test_driver_last_error(drv));
    cr_assert(rec != NULL, "read(%s) gave KSTREAM_OK and no record", topic);
    return rec;
}

/* Read the next record of \p topic and assert key and value (NULL: a
 * Kafka null). @returns the record (borrowed until the next driver call). */
static inline const kstream_record_t *h_expect(kstream_test_driver_t *drv,
                                               const char *topic,
                                               const char *key,
                                               const char *value)
{
    const kstream_record_t *rec = h_read(drv, topic);
    char kb[256], vb[256];
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(h_bytes_is(k, key), "%s: key is '%s', expected '%s'", topic,
              h_bytes_fmt(k, kb, sizeof(kb)), key ? key : "null");
    cr_assert(h_bytes_is(v, value), "%s: value is '%s', expected '%s'",
              topic, h_bytes_fmt(v, vb, sizeof(vb)), value ? value : "null");
    return rec;
}

/* As h_expect(), also asserting the timestamp. */
static inline const kstream_record_t *
h_expect_ts(kstream_test_driver_t *drv, const char *topic, const char *key,
            const char *value, int64_t ts)
{
    const kstream_record_t *rec = h_expect(drv, topic, key, value);
    cr_assert(eq(i64, kstream_record_timestamp(rec), ts));
    return rec;
}

/* Assert that \p topic has no unread record. */
static inline void h_expect_empty(kstream_test_driver_t *drv,
                                  const char *topic)
{
    const kstream_record_t *rec = NULL;
    kstream_err_t err = kstream_test_driver_read(drv, topic, &rec);
    char kb[256], vb[256];
    cr_assert(err != KSTREAM_OK, "%s: unexpected record key '%s' value '%s'",
              topic, h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb)),
              h_bytes_fmt(kstream_record_value(rec), vb, sizeof(vb)));
    cr_assert(kstream_test_driver_is_empty(drv, topic));
}

/* Count and drain the unread records of \p topic. */
static inline int h_drain(kstream_test_driver_t *drv, const char *topic)
{
    int n = 0;
    const kstream_record_t *rec = NULL;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK)
        n++;
    return n;
}

static inline int64_t h_metric(const kstream_test_driver_t *drv,
                               const char *name)
{
    int64_t v = -12345;
    kstream_err_t err = kstream_test_driver_metric(drv, name, &v);
    cr_assert(err == KSTREAM_OK, "metric(%s): %s", name,
              kstream_err2name(err));
    return v;
}

/* true when \p rec has a header whose name contains \p needle
 * (case-insensitive). */
static inline bool h_has_header_containing(const kstream_record_t *rec,
                                           const char *needle)
{
    size_t n = kstream_record_header_count(rec);
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        kstream_bytes_t v;
        if (kstream_record_header_at(rec, i, &name, &v) == KSTREAM_OK &&
            h_contains_ci(name, needle))
            return true;
    }
    return false;
}

/* ---- Kafka's partitioner -------------------------------------------- */

/* Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2). */
static inline int32_t h_murmur2(const void *data, size_t len)
{
    const uint8_t *d = (const uint8_t *)data;
    const uint32_t m = 0x5bd1e995;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t len4 = len / 4;
    for (size_t i = 0; i < len4; i++) {
        size_t i4 = i * 4;
        uint32_t k = (uint32_t)d[i4] | ((uint32_t)d[i4 + 1] << 8) |
                     ((uint32_t)d[i4 + 2] << 16) |
                     ((uint32_t)d[i4 + 3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    size_t tail = len & ~(size_t)3;
    size_t rest = len % 4;
    if (rest == 3)
        h ^= (uint32_t)d[tail + 2] << 16;
    if (rest >= 2)
        h ^= (uint32_t)d[tail + 1] << 8;
    if (rest >= 1) {
        h ^= (uint32_t)d[tail];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

/* The partition Kafka's default partitioner gives a (non-NULL) key. */
static inline int32_t h_partition_of(const char *key, int32_t partitions)
{
    int32_t h = h_murmur2(key, strlen(key));
    return (int32_t)(((uint32_t)h & 0x7fffffffu) % (uint32_t)partitions);
}

/* ---- small callbacks many tests use ---------------------------------- */

/* Match when the value starts with the NUL-terminated prefix \p opaque. */
static inline kstream_err_t h_pred_value_prefix(const kstream_record_t *rec,
                                                bool *match, void *opaque)
{
    const char *prefix = (const char *)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    size_t pl = strlen(prefix);
    *match = v.data != NULL && v.len >= pl && memcmp(v.data, prefix, pl) == 0;
    return KSTREAM_OK;
}

static inline kstream_err_t h_pred_true(const kstream_record_t *rec,
                                        bool *match, void *opaque)
{
    (void)rec;
    (void)opaque;
    *match = true;
    return KSTREAM_OK;
}

static inline kstream_err_t h_map_identity(const kstream_record_t *in,
                                           kstream_record_t *out,
                                           void *opaque)
{
    (void)in;
    (void)out;
    (void)opaque;
    return KSTREAM_OK;
}

static inline kstream_err_t h_foreach_nop(const kstream_record_t *rec,
                                          void *opaque)
{
    (void)rec;
    (void)opaque;
    return KSTREAM_OK;
}

static inline kstream_err_t h_flat_nop(const kstream_record_t *in,
                                       kstream_records_t *out, void *opaque)
{
    (void)in;
    (void)out;
    (void)opaque;
    return KSTREAM_OK;
}

static inline kstream_err_t h_topic_out(const kstream_record_t *rec,
                                        const char **topic, void *opaque)
{
    (void)rec;
    (void)opaque;
    *topic = "out";
    return KSTREAM_OK;
}

static inline kstream_err_t h_proc_forward(kstream_ctx_t *ctx,
                                           const kstream_record_t *rec,
                                           void *state)
{
    (void)state;
    return kstream_ctx_forward(ctx, rec);
}

static inline kstream_err_t h_punct_nop(kstream_ctx_t *ctx, int64_t ts,
                                        void *opaque)
{
    (void)ctx;
    (void)ts;
    (void)opaque;
    return KSTREAM_OK;
}

/* A growing text log for callbacks to record what happened, in order. */
typedef struct h_log {
    char text[4096];
} h_log_t;

static inline __attribute__((format(printf, 2, 3))) void
h_logf(h_log_t *log, const char *fmt, ...)
{
    size_t used = strlen(log->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log->text + used, sizeof(log->text) - used, fmt, ap);
    va_end(ap);
}

#endif /* KSTREAM_TESTS_DRIVER_HELPERS_H */
