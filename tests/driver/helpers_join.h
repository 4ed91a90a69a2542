/* helpers_join.h - helpers for the driver tests of joins
 * (tests/driver/test_join_*.c). Builds on helpers_state.h (expected
 * sequences as {key, value, timestamp} tables, hs_driver() with a store
 * backend and the cache on or off); everything is static inline.
 *
 * Conventions of the join tests:
 *  - hj_joiner() writes "<left value>/<right value>", "null" for a
 *    missing side, so every result says which records it combined;
 *  - keys are derived from values with hs_key_from_value() ("u1:book" has
 *    the key "u1"), and foreign keys with hj_fk();
 *  - tests run once per "default.dsl.store" (HS_BACKEND_PARAMS) or once
 *    per store backend and cache setting (HJ_BACKEND_CACHE_PARAMS).
 */
#ifndef KSTREAM_TESTS_DRIVER_HELPERS_JOIN_H
#define KSTREAM_TESTS_DRIVER_HELPERS_JOIN_H

#include "helpers_state.h"

/* ---- parameters ---------------------------------------------------------- */

/* Four runs: idx % 2 is the store backend (hs_backend_name()), idx / 2
 * the cache (0 off, 1 on). Plain ints: Criterion copies parameters into
 * the test's process. */
#define HJ_BACKEND_CACHE_PARAMS(suite, test)                                \
    ParameterizedTestParameters(suite, test)                                \
    {                                                                       \
        static int hj_p_[4] = {0, 1, 2, 3};                                 \
        return cr_make_param_array(int, hj_p_, 4);                          \
    }

static inline int hj_backend(int idx) { return idx % 2; }
static inline bool hj_cache(int idx) { return idx / 2 == 1; }

/* ---- joiners, mappers, extractors ---------------------------------------- */

/* Append the value of \p rec to \p buf at \p *used, "null" for a missing
 * record or a NULL value. */
static inline void hj_side_text(const kstream_record_t *rec, char *buf,
                                size_t size, size_t *used)
{
    kstream_bytes_t v = kstream_record_value(rec);
    const char *data = rec != NULL && v.data != NULL ? (const char *)v.data
                                                     : "null";
    size_t len = rec != NULL && v.data != NULL ? v.len : 4;
    if (*used + len + 2 > size) /* room for '/' and the NUL */
        len = size - *used - 2;
    memcpy(buf + *used, data, len);
    *used += len;
    buf[*used] = '\0';
}

/* Joiner: "<left value>/<right value>" ("null" for a missing side). */
static inline kstream_err_t hj_joiner(const kstream_record_t *left,
                                      const kstream_record_t *right,
                                      kstream_record_t *out, void *opaque)
{
    (void)opaque;
    char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    hj_side_text(left, buf, sizeof(buf), &used);
    buf[used++] = '/';
    buf[used] = '\0';
    hj_side_text(right, buf, sizeof(buf), &used);
    return kstream_record_set_value(out, buf, used);
}

/* Joiner: as hj_joiner(), but leaves the value NULL (a delete of the
 * result row) when the right value is "hide". */
static inline kstream_err_t hj_joiner_hide(const kstream_record_t *left,
                                           const kstream_record_t *right,
                                           kstream_record_t *out,
                                           void *opaque)
{
    if (right != NULL && h_bytes_is(kstream_record_value(right), "hide"))
        return KSTREAM_OK;
    return hj_joiner(left, right, out, opaque);
}

/* Key extractor (global-table key or foreign key): the value up to its
 * first ':'; KSTREAM_ERR_NOT_FOUND ("no key") when there is no ':'. */
static inline kstream_err_t hj_fk(const kstream_record_t *rec,
                                  kstream_buf_t *key, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (v.data == NULL)
        return KSTREAM_ERR_NOT_FOUND;
    const char *colon = memchr(v.data, ':', v.len);
    if (colon == NULL)
        return KSTREAM_ERR_NOT_FOUND;
    return kstream_buf_append(key, v.data,
                              (size_t)(colon - (const char *)v.data));
}

/* flat_map: one record, keyed by the value up to its first ':'. */
static inline kstream_err_t hj_flat_key_from_value(const kstream_record_t *in,
                                                   kstream_records_t *out,
                                                   void *opaque)
{
    kstream_record_t *r = kstream_records_add(out);
    if (r == NULL)
        return KSTREAM_ERR_USER;
    return hs_key_from_value(in, r, opaque);
}

/* process(): forward a copy keyed by the value up to its first ':'. */
static inline kstream_err_t hj_proc_rekey(kstream_ctx_t *ctx,
                                          const kstream_record_t *rec,
                                          void *state)
{
    (void)state;
    kstream_record_t *r = kstream_ctx_record_new(ctx, rec);
    if (r == NULL)
        return KSTREAM_ERR_USER;
    kstream_err_t err = hs_key_from_value(rec, r, NULL);
    if (err == KSTREAM_OK)
        err = kstream_ctx_forward(ctx, r);
    return err;
}

static const kstream_processor_t hj_rekey_proc = {NULL, hj_proc_rekey, NULL};

/* ---- topics and piping ----------------------------------------------------- */

/* Create topics: (const char *name, int partitions) pairs, then NULL. */
static inline __attribute__((sentinel)) void
hj_topics(kstream_test_driver_t *drv, ...)
{
    va_list ap;
    va_start(ap, drv);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        int n = va_arg(ap, int);
        kstream_err_t err = kstream_test_driver_create_topic(drv, name, n);
        cr_assert(err == KSTREAM_OK, "create_topic(%s, %d): %s", name, n,
                  kstream_err2name(err));
    }
    va_end(ap);
}

/* Pipe a record with one header \p hname = \p hvalue and assert success. */
static inline void hj_pipe_h_ok(kstream_test_driver_t *drv, const char *topic,
                                const char *key, const char *value,
                                int64_t ts, const char *hname,
                                const char *hvalue)
{
    kstream_header_t h = {hname, hvalue, strlen(hvalue)};
    kstream_err_t err = kstream_test_driver_pipe_ex(
            drv, topic, -1, key, key ? strlen(key) : 0, value,
            value ? strlen(value) : 0, ts, &h, 1);
    cr_assert(err == KSTREAM_OK, "pipe_ex(%s, %s, %s, %lld): %s: %s", topic,
              key ? key : "null", value ? value : "null", (long long)ts,
              kstream_err2name(err), kstream_test_driver_last_error(drv));
}

/* Assert that \p rec has exactly \p count headers and that the last one
 * called \p name is \p value. */
static inline void hj_header_is(const kstream_record_t *rec, size_t count,
                                const char *name, const char *value)
{
    cr_assert(eq(sz, kstream_record_header_count(rec), count),
              "the result has %zu headers, expected %zu",
              kstream_record_header_count(rec), count);
    kstream_bytes_t v = {NULL, 0};
    kstream_err_t err = kstream_record_header_last(rec, name, &v);
    cr_assert(err == KSTREAM_OK, "no header '%s' on the result", name);
    char vb[128];
    cr_assert(h_bytes_is(v, value), "header '%s' is '%s', expected '%s'",
              name, h_bytes_fmt(v, vb, sizeof(vb)), value);
}

/* Records dropped for any reason a join has (a NULL key, or lateness). */
static inline int64_t hj_dropped(const kstream_test_driver_t *drv)
{
    return h_metric(drv, "records-dropped") +
           h_metric(drv, "late-records-dropped");
}

/* Pipe a record that must fail because the join's inputs are not
 * co-partitioned: the error must name both topics. */
static inline void hj_pipe_fails_naming(kstream_test_driver_t *drv,
                                        const char *topic, const char *key,
                                        const char *t1, const char *t2)
{
    kstream_err_t err = h_pipe(drv, topic, key, "v", 1);
    const char *msg = kstream_test_driver_last_error(drv);
    cr_assert(err != KSTREAM_OK,
              "the first pipe succeeded although the join's inputs are not "
              "co-partitioned (%s, %s)", t1, t2);
    cr_assert(h_contains(msg, t1) && h_contains(msg, t2),
              "the error does not name both topics '%s' and '%s': %s", t1,
              t2, msg);
    cr_assert(ne(int, h_pipe(drv, topic, key, "v", 2), KSTREAM_OK),
              "a later pipe succeeded after the start failed");
}

/* ---- table outputs step by step ------------------------------------------- */

/* The history of a result table's output (what was kept of it). Tables may
 * send a tombstone for a key they do not hold (Kafka Streams does); such
 * tombstones are dropped before comparing, needed ones are checked. */
typedef struct hj_hist {
    hs_out_t *seen;
} hj_hist_t;

static inline bool hj_hist_has_row(const hs_out_t *seen, const char *key)
{
    for (size_t j = seen->n; j-- > 0;)
        if (strcmp(seen->r[j].key, key) == 0)
            return !seen->r[j].tombstone;
    return false;
}

/* Read the unread records of \p topic, drop redundant tombstones, add the
 * rest to \p h and assert they are exactly \p exp (in order, or in any
 * order when \p any_order: one input record that changes several rows). */
static inline void hj_step(kstream_test_driver_t *drv, const char *topic,
                           hj_hist_t *h, const hs_exp_t *exp, size_t n,
                           bool any_order, const char *what)
{
    if (h->seen == NULL)
        h->seen = hs_out_new();
    hs_out_t *o = hs_collect(drv, topic, HS_K_PLAIN, HS_V_STR);
    size_t w = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (o->r[i].tombstone && !hj_hist_has_row(h->seen, o->r[i].key))
            continue;
        cr_assert(h->seen->n < HS_MAX_RECS);
        h->seen->r[h->seen->n++] = o->r[i];
        o->r[w++] = o->r[i];
    }
    o->n = w;
    if (any_order)
        hs_assert_set(o, what, exp, n);
    else
        hs_assert_seq(o, what, exp, n);
    free(o);
}

static inline void hj_hist_free(hj_hist_t *h)
{
    free(h->seen);
    h->seen = NULL;
}

/* The records one step must add to a result table, in order. */
#define HJ_STEP(drv, topic, hist, what, ...)                                \
    do {                                                                    \
        static const hs_exp_t hj_e_[] = {__VA_ARGS__};                      \
        hj_step((drv), (topic), (hist), hj_e_,                              \
                sizeof(hj_e_) / sizeof(hj_e_[0]), false, (what));           \
    } while (0)

/* As HJ_STEP, in any order. */
#define HJ_STEP_SET(drv, topic, hist, what, ...)                            \
    do {                                                                    \
        static const hs_exp_t hj_e_[] = {__VA_ARGS__};                      \
        hj_step((drv), (topic), (hist), hj_e_,                              \
                sizeof(hj_e_) / sizeof(hj_e_[0]), true, (what));            \
    } while (0)

/* A step that must change no row of the result table. */
#define HJ_STEP_NONE(drv, topic, hist, what)                                \
    hj_step((drv), (topic), (hist), NULL, 0, false, (what))

/* ---- describe ------------------------------------------------------------- */

/* The describe() text of \p t (freed with kstream_free()). */
static inline char *hj_describe(const kstream_topology_t *t)
{
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL, "describe() returned NULL");
    return text;
}

/* true when one line of \p text contains both \p a and \p b. */
static inline bool hj_line_has(const char *text, const char *a, const char *b)
{
    const char *line = text;
    while (line != NULL && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        if (len >= sizeof(buf))
            len = sizeof(buf) - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (strstr(buf, a) != NULL && strstr(buf, b) != NULL)
            return true;
        line = end ? end + 1 : NULL;
    }
    return false;
}

/* true when a describe() line whose node part (before "stores: [")
 * contains \p node lists a store containing \p store. */
static inline bool hj_node_lists_store(const char *text, const char *node,
                                       const char *store)
{
    const char *line = text;
    while (line != NULL && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        if (len >= sizeof(buf))
            len = sizeof(buf) - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        char *stores = strstr(buf, "stores: [");
        if (stores != NULL) {
            *stores = '\0';
            if (strstr(buf, node) != NULL &&
                strstr(stores + 1, store) != NULL)
                return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

/* Collect into \p names (up to \p max, each < 128 bytes) the distinct
 * stores that describe() lists for nodes whose name contains \p node and
 * whose own name starts with \p prefix. @returns how many. */
static inline size_t hj_stores_of(const char *text, const char *node,
                                  const char *prefix, char names[][128],
                                  size_t max)
{
    size_t n = 0;
    const char *line = text;
    while (line != NULL && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        if (len >= sizeof(buf))
            len = sizeof(buf) - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        char *stores = strstr(buf, "stores: [");
        if (stores != NULL) {
            *stores = '\0';
            char *p = stores + 9;
            char *close = strchr(p, ']');
            if (close != NULL)
                *close = '\0';
            if (strstr(buf, node) != NULL) {
                for (char *tok = strtok(p, ", "); tok != NULL;
                     tok = strtok(NULL, ", ")) {
                    if (strncmp(tok, prefix, strlen(prefix)) != 0)
                        continue;
                    bool seen = false;
                    for (size_t i = 0; i < n && !seen; i++)
                        seen = strcmp(names[i], tok) == 0;
                    if (!seen && n < max)
                        snprintf(names[n++], 128, "%s", tok);
                }
            }
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

/* Assert that every store describe() lists for the join \p name (the
 * nodes and stores named after it) has a non-empty changelog topic
 * "app-<store>-changelog" in \p drv. @returns how many stores. */
static inline size_t hj_assert_join_changelogs(kstream_test_driver_t *drv,
                                               const char *text,
                                               const char *name)
{
    char names[8][128];
    size_t n = hj_stores_of(text, name, name, names, 8);
    for (size_t i = 0; i < n; i++) {
        char topic[200];
        snprintf(topic, sizeof(topic), "app-%s-changelog", names[i]);
        cr_assert(kstream_test_driver_is_empty(drv, topic) == false,
                  "the store %s of join %s wrote nothing to %s", names[i],
                  name, topic);
    }
    return n;
}

/* The number of "Sub-topology" headings in a describe() text. */
static inline int hj_subtopologies(const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "Sub-topology")) != NULL; p++)
        n++;
    return n;
}

/* ---- builder errors -------------------------------------------------------- */

/* Assert that an operator returned NULL with a sticky error, and that the
 * build (which consumes \p b) fails; \p word, when not NULL, must appear in
 * the message (case-insensitive) together with \p alt as an alternative. */
static inline void hj_rejected(kstream_builder_t *b, const void *result,
                               const char *what, const char *word,
                               const char *alt)
{
    cr_assert(result == NULL, "%s: the operator accepted it", what);
    const char *berr = kstream_builder_error(b);
    cr_assert(berr != NULL && berr[0] != '\0',
              "%s: no error recorded in the builder", what);
    if (word != NULL)
        cr_assert(h_contains_ci(berr, word) ||
                          (alt != NULL && h_contains_ci(berr, alt)),
                  "%s: the message does not say why (%s%s%s): %s", what,
                  word, alt ? "/" : "", alt ? alt : "", berr);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

#endif /* KSTREAM_TESTS_DRIVER_HELPERS_JOIN_H */
