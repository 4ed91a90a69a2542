/* test_poison.h - shared by the poison-pill tests of the test driver
 * (test_poison.c, test_poison_serde.c): the guarantees every case runs
 * under, and exact checks of dead-letter records. */
#ifndef KSTREAM_TESTS_DRIVER_TEST_POISON_H
#define KSTREAM_TESTS_DRIVER_TEST_POISON_H

#include "helpers.h"

/* Every poison case runs once per guarantee listed here. Under
 * exactly_once_v2 the DLQ records are written in the same transaction as
 * the output (the driver reads committed records only). */
#define POISON_GUARANTEES {"at_least_once", "exactly_once_v2"}
#define POISON_DLQ "poison-dlq"
#define POISON_IN "poison-in"
#define POISON_OUT "poison-out"

/* The header \p name of \p rec as a NUL-terminated string in \p buf
 * (asserting it is there exactly once). */
static inline const char *p_header(const kstream_record_t *rec,
                                   const char *name, char *buf, size_t size)
{
    size_t n = kstream_record_header_count(rec), found = 0;
    for (size_t i = 0; i < n; i++) {
        const char *hn = NULL;
        kstream_bytes_t v;
        cr_assert(eq(int, kstream_record_header_at(rec, i, &hn, &v),
                     KSTREAM_OK));
        if (strcmp(hn, name) != 0)
            continue;
        found++;
        cr_assert(v.data != NULL, "header %s is null", name);
        cr_assert(v.len < size, "header %s: %zu bytes", name, v.len);
        memcpy(buf, v.data, v.len);
        buf[v.len] = '\0';
    }
    cr_assert(eq(sz, found, 1), "header %s found %zu times", name, found);
    return buf;
}

/* What a dead-letter record must carry besides the original bytes. */
typedef struct p_dlq_want {
    const char *kind, *code, *node, *topic, *partition, *offset;
    const char *message_has[3]; /* substrings of __kstream.error.message */
    size_t input_headers;       /* the input's own headers, first */
} p_dlq_want_t;

/* Read the next record of POISON_DLQ and check it exactly: key and value
 * bytes as piped, timestamp, the input's headers kept in front, then
 * exactly the 7 __kstream headers with the wanted values. */
static inline const kstream_record_t *
p_expect_dlq(kstream_test_driver_t *drv, const void *key, size_t klen,
             const void *value, size_t vlen, int64_t ts,
             const p_dlq_want_t *w)
{
    const kstream_record_t *rec = h_read(drv, POISON_DLQ);
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    if (key == NULL) {
        cr_assert(k.data == NULL, "DLQ key is not null");
    } else {
        cr_assert(eq(sz, k.len, klen), "DLQ key length");
        cr_assert(k.data && memcmp(k.data, key, klen) == 0, "DLQ key bytes");
    }
    if (value == NULL) {
        cr_assert(v.data == NULL, "DLQ value is not null");
    } else {
        cr_assert(eq(sz, v.len, vlen), "DLQ value length %zu, piped %zu",
                  v.len, vlen);
        cr_assert(v.data && (vlen == 0 || memcmp(v.data, value, vlen) == 0),
                  "DLQ value bytes changed");
    }
    cr_assert(eq(i64, kstream_record_timestamp(rec), ts));
    cr_assert(eq(sz, kstream_record_header_count(rec), w->input_headers + 7),
              "%zu headers", kstream_record_header_count(rec));
    char buf[1024];
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.error.kind", buf,
                                        sizeof(buf)),
                 (char *)w->kind));
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.error.code", buf,
                                        sizeof(buf)),
                 (char *)w->code));
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.error.node", buf,
                                        sizeof(buf)),
                 (char *)w->node));
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.source.topic", buf,
                                        sizeof(buf)),
                 (char *)w->topic));
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.source.partition",
                                        buf, sizeof(buf)),
                 (char *)w->partition));
    cr_assert(eq(str, (char *)p_header(rec, "__kstream.source.offset", buf,
                                        sizeof(buf)),
                 (char *)w->offset));
    p_header(rec, "__kstream.error.message", buf, sizeof(buf));
    for (size_t i = 0; i < 3 && w->message_has[i]; i++)
        cr_assert(strstr(buf, w->message_has[i]) != NULL,
                  "message '%s' lacks '%s'", buf, w->message_has[i]);
    return rec;
}

/* The counters a poison case must leave. */
static inline void p_expect_counts(const kstream_test_driver_t *drv,
                                   int64_t processed, int64_t dropped,
                                   int64_t dlq, const char *errors_name,
                                   int64_t errors)
{
    cr_assert(eq(i64, h_metric(drv, "records-processed"), processed));
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), dropped));
    cr_assert(eq(i64, h_metric(drv, "dlq-records"), dlq));
    static const char *const kinds[] = {"process-errors",
                                        "deserialization-errors",
                                        "production-errors"};
    for (size_t i = 0; i < 3; i++)
        cr_assert(eq(i64, h_metric(drv, kinds[i]),
                     errors_name && strcmp(kinds[i], errors_name) == 0
                             ? errors
                             : 0),
                  "%s", kinds[i]);
}

#endif
