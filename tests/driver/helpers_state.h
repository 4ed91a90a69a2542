/* helpers_state.h - helpers for the driver tests of state stores, tables,
 * aggregations and windows (tests/driver/test_tables.c, test_aggregate.c,
 * ...). Builds on helpers.h; everything is static inline.
 *
 * Output checks render each record as text so that expected sequences are
 * short tables:
 *  - keys: HS_K_PLAIN (the bytes), HS_K_WIN (Kafka's time-windowed key:
 *    key + 8-byte BE window start, rendered "key@start") or HS_K_SESSION
 *    (key + 8-byte BE end + 8-byte BE start, rendered "key@start-end");
 *  - values: HS_V_STR (the bytes) or HS_V_LONG (a Kafka long, 8 bytes BE,
 *    rendered in decimal); a tombstone is NULL in expectations.
 * Expected records are {key, value, timestamp}; a timestamp of HS_ANY_TS is
 * not checked.
 */
#ifndef KSTREAM_TESTS_DRIVER_HELPERS_STATE_H
#define KSTREAM_TESTS_DRIVER_HELPERS_STATE_H

#include <inttypes.h>

#include "helpers.h"

#include <criterion/parameterized.h>

/* ---- configuration ---------------------------------------------------- */

/* "default.dsl.store" values, indexed by a test parameter. */
#define HS_NBACKENDS 2
static inline const char *hs_backend_name(int idx)
{
    return idx == 0 ? "rocksdb" : "in_memory";
}

/* The parameters of a test run once per store backend: an int index for
 * hs_backend_name() (plain values: Criterion copies parameters into the
 * test's process). Use before ParameterizedTest(int *backend, ...). */
#define HS_BACKEND_PARAMS(suite, test)                                      \
    ParameterizedTestParameters(suite, test)                                \
    {                                                                       \
        static int hs_p_[HS_NBACKENDS] = {0, 1};                            \
        return cr_make_param_array(int, hs_p_, HS_NBACKENDS);               \
    }

/* "cache.max.bytes.buffering": off (0) or Kafka's default (10 MiB). */
#define HS_CACHE_OFF "0"
#define HS_CACHE_ON "10485760"

/* A driver for \p b (consumed) with application.id "app", the DSL store
 * backend \p backend (an index for hs_backend_name()), the cache on
 * (\p cache non-zero; an int, not a bool, as va_start's last argument) or
 * off, then NULL-terminated name/value pairs (applied last). */
static inline __attribute__((sentinel)) kstream_test_driver_t *
hs_driver(kstream_builder_t *b, int backend, int cache, ...)
{
    kstream_topology_t *t = h_build(b);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(conf != NULL);
    char errstr[512] = "";
    const char *base[] = {"application.id", "app", "default.dsl.store",
                          hs_backend_name(backend),
                          "cache.max.bytes.buffering",
                          cache ? HS_CACHE_ON : HS_CACHE_OFF};
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i += 2)
        cr_assert(kstream_conf_set(conf, base[i], base[i + 1], errstr,
                                   sizeof(errstr)) == KSTREAM_CONF_OK,
                  "conf_set(%s=%s): %s", base[i], base[i + 1], errstr);
    va_list ap;
    va_start(ap, cache);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        cr_assert(kstream_conf_set(conf, name, value, errstr,
                                   sizeof(errstr)) == KSTREAM_CONF_OK,
                  "conf_set(%s=%s): %s", name, value, errstr);
    }
    va_end(ap);
    kstream_test_driver_t *drv =
            kstream_test_driver_new(t, conf, errstr, sizeof(errstr));
    cr_assert(drv != NULL, "kstream_test_driver_new failed: %s", errstr);
    return drv;
}

/* ---- Kafka longs and windowed keys ------------------------------------ */

static inline void hs_put_be64(void *dst, int64_t v)
{
    uint8_t *p = (uint8_t *)dst;
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(u & 0xff);
        u >>= 8;
    }
}

static inline int64_t hs_get_be64(const void *src)
{
    const uint8_t *p = (const uint8_t *)src;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

/* true when \p b is the Kafka long \p n. */
static inline bool hs_bytes_is_long(kstream_bytes_t b, int64_t n)
{
    return b.data != NULL && b.len == 8 && hs_get_be64(b.data) == n;
}

/* A time-windowed key: \p key + 8-byte BE \p start. @returns its length. */
static inline size_t hs_wkey(uint8_t *buf, const char *key, int64_t start)
{
    size_t kl = strlen(key);
    memcpy(buf, key, kl);
    hs_put_be64(buf + kl, start);
    return kl + 8;
}

/* A session-windowed key: \p key + 8-byte BE end + 8-byte BE start. */
static inline size_t hs_skey(uint8_t *buf, const char *key, int64_t start,
                             int64_t end)
{
    size_t kl = strlen(key);
    memcpy(buf, key, kl);
    hs_put_be64(buf + kl, end);
    hs_put_be64(buf + kl + 8, start);
    return kl + 16;
}

/* Parse a decimal number from bytes that need not be NUL-terminated.
 * A NULL or malformed value parses as -999999 (visible in failures). */
static inline int64_t hs_parse(kstream_bytes_t b)
{
    char tmp[32];
    if (b.data == NULL || b.len == 0 || b.len >= sizeof(tmp))
        return -999999;
    memcpy(tmp, b.data, b.len);
    tmp[b.len] = '\0';
    char *end = NULL;
    long long v = strtoll(tmp, &end, 10);
    if (end == NULL || *end != '\0')
        return -999999;
    return (int64_t)v;
}

/* ---- rendering records ------------------------------------------------- */

enum { HS_K_PLAIN = 0, HS_K_WIN = 1, HS_K_SESSION = 2 };
enum { HS_V_STR = 0, HS_V_LONG = 1 };
#define HS_ANY_TS INT64_MIN

/* Printable text of raw bytes (non-printable bytes as \xNN). */
static inline void hs_text(const void *data, size_t len, char *out,
                           size_t size)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && o + 5 < size; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f) {
            out[o++] = (char)p[i];
        } else {
            snprintf(out + o, size - o, "\\x%02x", p[i]);
            o += 4;
        }
    }
    out[o] = '\0';
}

static inline void hs_render_key(kstream_bytes_t k, int kmode, char *out,
                                 size_t size)
{
    char base[160];
    if (k.data == NULL) {
        snprintf(out, size, "null");
        return;
    }
    const uint8_t *p = (const uint8_t *)k.data;
    if (kmode == HS_K_WIN && k.len >= 8) {
        hs_text(p, k.len - 8, base, sizeof(base));
        snprintf(out, size, "%s@%" PRId64, base,
                 hs_get_be64(p + k.len - 8));
    } else if (kmode == HS_K_SESSION && k.len >= 16) {
        hs_text(p, k.len - 16, base, sizeof(base));
        snprintf(out, size, "%s@%" PRId64 "-%" PRId64, base,
                 hs_get_be64(p + k.len - 8), hs_get_be64(p + k.len - 16));
    } else if (kmode != HS_K_PLAIN) {
        hs_text(p, k.len, base, sizeof(base));
        /* (the result is used: truncation is fine in messages) */
        if (snprintf(out, size, "<short windowed key '%s' (%zu bytes)>", base,
                     k.len) < 0)
            out[0] = '\0';
    } else {
        hs_text(p, k.len, out, size);
    }
}

static inline void hs_render_value(kstream_bytes_t v, int vmode, char *out,
                                   size_t size)
{
    if (v.data == NULL) {
        snprintf(out, size, "null");
    } else if (vmode == HS_V_LONG) {
        if (v.len == 8) {
            snprintf(out, size, "%" PRId64, hs_get_be64(v.data));
        } else {
            char t[128];
            hs_text(v.data, v.len, t, sizeof(t));
            if (snprintf(out, size, "<not a long: '%s' (%zu bytes)>", t,
                         v.len) < 0)
                out[0] = '\0';
        }
    } else {
        hs_text(v.data, v.len, out, size);
    }
}

/* ---- collecting output -------------------------------------------------- */

typedef struct hs_rec {
    char key[192];
    char value[192];
    bool tombstone;
    int64_t ts;
} hs_rec_t;

#define HS_MAX_RECS 512
typedef struct hs_out {
    size_t n;
    hs_rec_t r[HS_MAX_RECS];
} hs_out_t;

static inline hs_out_t *hs_out_new(void)
{
    hs_out_t *o = (hs_out_t *)calloc(1, sizeof(*o));
    cr_assert(o != NULL);
    return o;
}

/* Read every unread record of \p topic into \p o (appended). */
static inline void hs_collect_into(kstream_test_driver_t *drv,
                                   const char *topic, int kmode, int vmode,
                                   hs_out_t *o)
{
    const kstream_record_t *rec = NULL;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        cr_assert(o->n < HS_MAX_RECS, "too many records in %s", topic);
        hs_rec_t *r = &o->r[o->n++];
        kstream_bytes_t v = kstream_record_value(rec);
        hs_render_key(kstream_record_key(rec), kmode, r->key, sizeof(r->key));
        hs_render_value(v, vmode, r->value, sizeof(r->value));
        r->tombstone = v.data == NULL;
        r->ts = kstream_record_timestamp(rec);
    }
}

/* A new hs_out_t with every unread record of \p topic (free() it). */
static inline hs_out_t *hs_collect(kstream_test_driver_t *drv,
                                   const char *topic, int kmode, int vmode)
{
    hs_out_t *o = hs_out_new();
    hs_collect_into(drv, topic, kmode, vmode, o);
    return o;
}

typedef struct hs_exp {
    const char *key;
    const char *value; /* NULL: a tombstone */
    int64_t ts;        /* HS_ANY_TS: not checked */
} hs_exp_t;

static inline bool hs_rec_matches(const hs_rec_t *r, const hs_exp_t *e)
{
    if (strcmp(r->key, e->key) != 0)
        return false;
    if (e->value == NULL ? !r->tombstone
                         : (r->tombstone || strcmp(r->value, e->value) != 0))
        return false;
    return e->ts == HS_ANY_TS || e->ts == r->ts;
}

static inline void hs_fmt_out(const hs_out_t *o, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < o->n && used + 1 < size; i++) {
        int w = snprintf(buf + used, size - used, "\n    (%s, %s, %" PRId64 ")",
                         o->r[i].key, o->r[i].value, o->r[i].ts);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (o->n == 0)
        snprintf(buf, size, " (none)");
}

static inline void hs_fmt_exp(const hs_exp_t *e, size_t n, char *buf,
                              size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        char ts[32];
        if (e[i].ts == HS_ANY_TS)
            snprintf(ts, sizeof(ts), "*");
        else
            snprintf(ts, sizeof(ts), "%" PRId64, e[i].ts);
        int w = snprintf(buf + used, size - used, "\n    (%s, %s, %s)",
                         e[i].key, e[i].value ? e[i].value : "null", ts);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, size, " (none)");
}

/* Assert that \p o is exactly \p exp, in order. */
static inline void hs_assert_seq(const hs_out_t *o, const char *what,
                                 const hs_exp_t *exp, size_t n)
{
    bool ok = o->n == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = hs_rec_matches(&o->r[i], &exp[i]);
    if (!ok) {
        static char got[16384], want[16384];
        hs_fmt_out(o, got, sizeof(got));
        hs_fmt_exp(exp, n, want, sizeof(want));
        cr_assert(false, "%s:\n  got:%s\n  expected:%s", what, got, want);
    }
}

/* Assert that \p o holds exactly \p exp, in any order. */
static inline void hs_assert_set(const hs_out_t *o, const char *what,
                                 const hs_exp_t *exp, size_t n)
{
    bool ok = o->n == n;
    bool used[HS_MAX_RECS] = {false};
    for (size_t i = 0; ok && i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < o->n && !found; j++) {
            if (!used[j] && hs_rec_matches(&o->r[j], &exp[i])) {
                used[j] = true;
                found = true;
            }
        }
        ok = found;
    }
    if (!ok) {
        static char got[16384], want[16384];
        hs_fmt_out(o, got, sizeof(got));
        hs_fmt_exp(exp, n, want, sizeof(want));
        cr_assert(false, "%s (any order):\n  got:%s\n  expected:%s", what,
                  got, want);
    }
}

/* Read every unread record of \p topic and assert the exact sequence:
 * HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 5}, ...). */
#define HS_EXPECT(drv, topic, kmode, vmode, ...)                            \
    do {                                                                    \
        static const hs_exp_t hs_e_[] = {__VA_ARGS__};                      \
        hs_out_t *hs_o_ = hs_collect((drv), (topic), (kmode), (vmode));     \
        hs_assert_seq(hs_o_, (topic), hs_e_,                                \
                      sizeof(hs_e_) / sizeof(hs_e_[0]));                    \
        free(hs_o_);                                                        \
    } while (0)

/* As HS_EXPECT, in any order (several updates caused by one record). */
#define HS_EXPECT_SET(drv, topic, kmode, vmode, ...)                        \
    do {                                                                    \
        static const hs_exp_t hs_e_[] = {__VA_ARGS__};                      \
        hs_out_t *hs_o_ = hs_collect((drv), (topic), (kmode), (vmode));     \
        hs_assert_set(hs_o_, (topic), hs_e_,                                \
                      sizeof(hs_e_) / sizeof(hs_e_[0]));                    \
        free(hs_o_);                                                        \
    } while (0)

/* Remove the tombstones of keys that are not in the table at that point
 * (Kafka Streams may or may not send them: a table filter forwards a
 * tombstone for a row that never matched). */
static inline void hs_drop_redundant_tombstones(hs_out_t *o)
{
    size_t w = 0;
    for (size_t i = 0; i < o->n; i++) {
        const hs_rec_t *r = &o->r[i];
        if (r->tombstone) {
            /* present when the last earlier record of the key is a row */
            bool present = false;
            for (size_t j = w; j-- > 0;) {
                if (strcmp(o->r[j].key, r->key) == 0) {
                    present = !o->r[j].tombstone;
                    break;
                }
            }
            if (!present)
                continue;
        }
        if (w != i)
            o->r[w] = *r;
        w++;
    }
    o->n = w;
}

/* As HS_EXPECT, ignoring tombstones of keys absent from the table. */
#define HS_EXPECT_TABLE(drv, topic, kmode, vmode, ...)                      \
    do {                                                                    \
        static const hs_exp_t hs_e_[] = {__VA_ARGS__};                      \
        hs_out_t *hs_o_ = hs_collect((drv), (topic), (kmode), (vmode));     \
        hs_drop_redundant_tombstones(hs_o_);                                \
        hs_assert_seq(hs_o_, (topic), hs_e_,                                \
                      sizeof(hs_e_) / sizeof(hs_e_[0]));                    \
        free(hs_o_);                                                        \
    } while (0)

/* The table a changelog-like sequence describes: for each key its last
 * value, tombstones deleting. Keeps keys in first-seen order; deleted keys
 * are marked tombstone. */
static inline hs_out_t *hs_final_table(const hs_out_t *o)
{
    hs_out_t *t = hs_out_new();
    for (size_t i = 0; i < o->n; i++) {
        size_t j = 0;
        while (j < t->n && strcmp(t->r[j].key, o->r[i].key) != 0)
            j++;
        if (j == t->n)
            t->n++;
        t->r[j] = o->r[i];
    }
    /* drop deleted keys */
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!t->r[i].tombstone)
            t->r[w++] = t->r[i];
    t->n = w;
    return t;
}

/* Remove the rows whose value is \p value (e.g. "0" for aggregates that
 * may or may not have been forwarded at their initial value). */
static inline void hs_drop_rows_valued(hs_out_t *t, const char *value)
{
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->r[i].tombstone || strcmp(t->r[i].value, value) != 0)
            t->r[w++] = t->r[i];
    t->n = w;
}

/* strcmp() == 0 as a plain loop (GCC's -O3 string-overread analysis
 * misreads the record arrays). */
static inline bool hs_str_eq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Assert that two final tables hold the same rows (any order; timestamps
 * not compared). */
static inline void hs_assert_same_table(const hs_out_t *a, const hs_out_t *b,
                                        const char *what)
{
    bool ok = a->n == b->n;
    for (size_t i = 0; ok && i < a->n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n && !found; j++)
            found = hs_str_eq(a->r[i].key, b->r[j].key) &&
                    hs_str_eq(a->r[i].value, b->r[j].value);
        ok = found;
    }
    if (!ok) {
        static char ga[16384], gb[16384];
        hs_fmt_out(a, ga, sizeof(ga));
        hs_fmt_out(b, gb, sizeof(gb));
        cr_assert(false, "%s differ:\n  first:%s\n  second:%s", what, ga,
                  gb);
    }
}

/* ---- store reads through the driver ------------------------------------ */

/* Assert that key-value store \p store holds \p value (a string; NULL:
 * absent) under \p key, read with kstream_test_driver_store_get(). */
static inline void hs_store_is(kstream_test_driver_t *drv, const char *store,
                               const char *key, const char *value)
{
    kstream_bytes_t v = {NULL, 0};
    kstream_err_t err = kstream_test_driver_store_get(drv, store, key,
                                                      strlen(key), &v);
    char vb[256];
    if (value == NULL) {
        cr_assert(err == KSTREAM_ERR_NOT_FOUND,
                  "store %s key %s: %s (value '%s'), expected NOT_FOUND",
                  store, key, kstream_err2name(err),
                  err == KSTREAM_OK ? h_bytes_fmt(v, vb, sizeof(vb)) : "");
        return;
    }
    cr_assert(err == KSTREAM_OK, "store %s key %s: %s", store, key,
              kstream_err2name(err));
    hs_text(v.data, v.len, vb, sizeof(vb));
    cr_assert(h_bytes_is(v, value), "store %s key %s is '%s' (%zu bytes), "
              "expected '%s'", store, key, vb, v.len, value);
}

/* As hs_store_is() for a Kafka long. */
static inline void hs_store_is_long(kstream_test_driver_t *drv,
                                    const char *store, const char *key,
                                    int64_t n)
{
    kstream_bytes_t v = {NULL, 0};
    kstream_err_t err = kstream_test_driver_store_get(drv, store, key,
                                                      strlen(key), &v);
    cr_assert(err == KSTREAM_OK, "store %s key %s: %s", store, key,
              kstream_err2name(err));
    char vb[256];
    hs_render_value(v, HS_V_LONG, vb, sizeof(vb));
    cr_assert(hs_bytes_is_long(v, n), "store %s key %s is %s, expected "
              "the long %" PRId64, store, key, vb, n);
}

/* Render every entry of an iterator as "key@start-end=value;" (ends as
 * kstream_iter_window() gives them) into \p out, and close it. Values are
 * rendered with \p vmode. */
static inline void hs_iter_render(kstream_iter_t *it, int vmode, char *out,
                                  size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    kstream_bytes_t k, v;
    kstream_err_t err;
    while ((err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK) {
        char kt[128], vt[128];
        int64_t start = -2, end = -2;
        kstream_err_t werr = kstream_iter_window(it, &start, &end);
        hs_text(k.data, k.len, kt, sizeof(kt));
        hs_render_value(v, vmode, vt, sizeof(vt));
        int w;
        if (werr != KSTREAM_OK)
            w = snprintf(out + used, size - used, "%s@<%s>=%s;", kt,
                         kstream_err2name(werr), vt);
        else if (start == -1 && end == -1)
            w = snprintf(out + used, size - used, "%s=%s;", kt, vt);
        else
            w = snprintf(out + used, size - used,
                         "%s@%" PRId64 "-%" PRId64 "=%s;", kt, start, end,
                         vt);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    if (err != KSTREAM_OK && err != KSTREAM_ERR_EMPTY)
        snprintf(out + used, size - used, "<%s>", kstream_err2name(err));
    kstream_iter_close(it);
}

/* ---- aggregation callbacks ---------------------------------------------- */

static inline kstream_err_t hs_buf_puts(kstream_buf_t *out, const char *s)
{
    return kstream_buf_append(out, s, strlen(s));
}

static inline kstream_err_t hs_buf_printf_i64(kstream_buf_t *out, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    return hs_buf_puts(out, tmp);
}

/* Initializer: "0". */
static inline kstream_err_t hs_init_zero(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return hs_buf_puts(out, "0");
}

/* Initializer: "i". */
static inline kstream_err_t hs_init_i(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return hs_buf_puts(out, "i");
}

/* Aggregator: agg + value, both decimal. */
static inline kstream_err_t hs_agg_sum(const kstream_record_t *rec,
                                       kstream_bytes_t agg,
                                       kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return hs_buf_printf_i64(out, hs_parse(agg) +
                                          hs_parse(kstream_record_value(rec)));
}

/* Aggregator (subtractor): agg - value, both decimal. */
static inline kstream_err_t hs_agg_sub(const kstream_record_t *rec,
                                       kstream_bytes_t agg,
                                       kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return hs_buf_printf_i64(out, hs_parse(agg) -
                                          hs_parse(kstream_record_value(rec)));
}

/* agg followed by \p sep and the record's value. */
static inline kstream_err_t hs_append_sep(const kstream_record_t *rec,
                                          kstream_bytes_t agg,
                                          kstream_buf_t *out, char sep)
{
    kstream_bytes_t v = kstream_record_value(rec);
    kstream_err_t err = KSTREAM_OK;
    if (agg.data != NULL && agg.len > 0)
        err = kstream_buf_append(out, agg.data, agg.len);
    if (err == KSTREAM_OK)
        err = kstream_buf_append(out, &sep, 1);
    if (err == KSTREAM_OK && v.data != NULL && v.len > 0)
        err = kstream_buf_append(out, v.data, v.len);
    return err;
}

/* Reducer / aggregator: agg + "+" + value. */
static inline kstream_err_t hs_agg_concat(const kstream_record_t *rec,
                                          kstream_bytes_t agg,
                                          kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    return hs_append_sep(rec, agg, out, '+');
}

/* Aggregator: agg + "-" + value. */
static inline kstream_err_t hs_agg_concat_minus(const kstream_record_t *rec,
                                                kstream_bytes_t agg,
                                                kstream_buf_t *out,
                                                void *opaque)
{
    (void)opaque;
    return hs_append_sep(rec, agg, out, '-');
}

/* Session merger: agg1 + agg2, both decimal. */
static inline kstream_err_t hs_merge_sum(kstream_bytes_t key,
                                         kstream_bytes_t agg1,
                                         kstream_bytes_t agg2,
                                         kstream_buf_t *out, void *opaque)
{
    (void)key;
    (void)opaque;
    return hs_buf_printf_i64(out, hs_parse(agg1) + hs_parse(agg2));
}

/* Mapper (group_by / select_key style): the new key is the value up to
 * its first ':' (the whole value when there is none). */
static inline kstream_err_t hs_key_from_value(const kstream_record_t *in,
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

/* Mapper (table group_by): "region:amount" -> key region, value amount. */
static inline kstream_err_t hs_split_key_value(const kstream_record_t *in,
                                               kstream_record_t *out,
                                               void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL)
        return KSTREAM_OK;
    const char *colon = memchr(v.data, ':', v.len);
    if (colon == NULL)
        return kstream_record_set_key(out, v.data, v.len);
    size_t n = (size_t)(colon - (const char *)v.data);
    kstream_err_t err = kstream_record_set_key(out, v.data, n);
    if (err == KSTREAM_OK)
        err = kstream_record_set_value(out, colon + 1, v.len - n - 1);
    return err;
}

/* ---- bad names ---------------------------------------------------------- */

/* Assert that \p b (consumed) fails to build with a message containing
 * one of the words (case-insensitive). */
static inline void hs_build_fails_naming(kstream_builder_t *b,
                                         const char *what, const char *w1,
                                         const char *w2)
{
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, w1) || (w2 && h_contains_ci(errstr, w2)),
              "%s: build error does not name the operator (%s%s%s): %s",
              what, w1, w2 ? "/" : "", w2 ? w2 : "", errstr);
}

#endif /* KSTREAM_TESTS_DRIVER_HELPERS_STATE_H */
