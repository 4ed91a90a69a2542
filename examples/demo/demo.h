/* demo.h - the demo's helpers (examples/demo): record lists and their
 * comparison, the read_committed reader of the output topics, and the
 * feeder that produces the generated input of enrich and sessionize.
 * Everything here runs on the main thread but the enrich output tap. */
#ifndef DEMO_H
#define DEMO_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate/aggregate.h"
#include "enrich/enrich.h"
#include "sessionize/sessionize.h"

/* ---- record lists (demo_records.c) ------------------------------------ */
typedef struct demo_rec {
    char *key; /* NUL-terminated copy; NULL: a null key */
    size_t klen;
    char *value; /* NUL-terminated copy; NULL: a null value */
    size_t vlen;
    int64_t ts;
} demo_rec_t;

typedef struct demo_recs {
    demo_rec_t *v;
    size_t n, cap;
} demo_recs_t;

/* Append a copy (\p key / \p value NULL: null). @returns 0 or -1 (memory). */
int demo_recs_add(demo_recs_t *l, const void *key, size_t klen,
                  const void *value, size_t vlen, int64_t ts);
void demo_recs_free(demo_recs_t *l);
/* Compare \p got with \p want as multisets of (key, value, timestamp):
 * print each difference (at most \p max_print, then a count) under the
 * name \p what. @returns the number of differences. */
size_t demo_recs_diff(const char *what, const demo_recs_t *want,
                      const demo_recs_t *got, size_t max_print);

/* ---- the reader of the output topics (demo_reader.c) ------------------ */
typedef struct demo_reader demo_reader_t;

/* A read_committed consumer of \p topics (each from the beginning).
 * @returns NULL with a message in \p errstr. */
demo_reader_t *demo_reader_new(const char *bootstrap,
                               const char *const *topics, size_t ntopics,
                               char *errstr, size_t errstr_size);
void demo_reader_destroy(demo_reader_t *r);
/* Read what is there, waiting at most \p timeout_ms for the first record.
 * @returns 0, or -1 on a consumer error (printed). */
int demo_reader_poll(demo_reader_t *r, int timeout_ms);
/* Read until every partition is at its end (or \p timeout_ms). @returns
 * 0 when everything was read, -1 otherwise. */
int demo_reader_drain(demo_reader_t *r, int timeout_ms);
/* The records of topic \p i (the index into the topics given). */
const demo_recs_t *demo_reader_records(const demo_reader_t *r, size_t i);

/* ---- the enrich output tap -------------------------------------------- */
typedef struct demo_tap {
    pthread_mutex_t mu;
    long enriched;
} demo_tap_t;
kstream_foreach_cb demo_tap_cb; /* opaque: a demo_tap_t */
long demo_tap_count(demo_tap_t *t);

/* ---- the input (demo_feed.c) ------------------------------------------ */
/* The generated input of enrich, the processing order the demo feeds it
 * in, and the models' expected output. */
typedef struct demo_input demo_input_t;

typedef struct demo_topics {
    const char *events, *orders, *enriched, *enrich_dlq; /* enrich */
    const char *per_minute, *aggregate_dlq;              /* aggregate */
    const char *telemetry, *sessions, *alerts, *telemetry_dlq;
} demo_topics_t;

/* Generate \p n enrich records and \p n sessionize records (seed \p seed)
 * and run the models. @returns NULL with a message in \p errstr. */
demo_input_t *demo_input_new(kstream_avro_registry_t *reg, uint64_t seed,
                             size_t n, const enrich_opts_t *eo,
                             const aggregate_opts_t *ao,
                             const sessionize_opts_t *so, char *errstr,
                             size_t errstr_size);
void demo_input_destroy(demo_input_t *in);
const enrich_model_t *demo_input_enrich(const demo_input_t *in);
const aggregate_model_t *demo_input_aggregate(const demo_input_t *in);
const sessionize_model_t *demo_input_sessionize(const demo_input_t *in);
/* Records generated: enrich (with the closing event), sessionize. */
void demo_input_sizes(const demo_input_t *in, size_t *enrich,
                      size_t *sessionize);

/* Called while the feeder waits (progress, reading): \p opaque given. */
typedef void(demo_tick_fn)(void *opaque);

typedef struct demo_feed_ctx {
    const char *bootstrap;
    const demo_topics_t *topics;
    kstream_t *enrich_app;
    demo_tap_t *tap;
    demo_tick_fn *tick;
    void *tick_opaque;
    volatile sig_atomic_t *stop; /* set by a signal */
    int timeout_ms;     /* for each wait */
} demo_feed_ctx_t;

/* Produce the sessionize input at once, then the enrich input chunk by
 * chunk: a chunk's order changes, a wait until the statistics store holds
 * what they make, its events, a wait until they are processed. @returns 0,
 * or -1 with a message printed. */
int demo_feed(demo_input_t *in, const demo_feed_ctx_t *ctx);

/* Sum of a per-thread counter of \p app's statistics (records_processed,
 * dlq_records...). */
long long demo_stat_sum(kstream_t *app, const char *field);

/* ---- printing (demo_report.c) ----------------------------------------- */
/* \p p (NULL: "null"), non-printable bytes as \xNN, at most \p max. */
void demo_print_bytes(const char *p, size_t len, size_t max);
/* The count of \p l and its first \p k records. */
void demo_print_samples(const char *topic, const demo_recs_t *l, size_t k);
/* The last minutes of events.per-minute rows: counts by type and segment. */
void demo_print_per_minute(const demo_recs_t *rows);
void demo_print_totals(const int64_t *count, const int64_t *amount);
void demo_print_sessions(const demo_recs_t *sessions,
                         const demo_recs_t *alerts);

#endif /* DEMO_H */
