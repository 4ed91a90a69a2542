/* aggregate.h - the aggregate example's reusable part: per-minute counts
 * and amounts of enriched events by (type, segment), a running total per
 * segment, a deterministic generator of events.enriched records and a
 * model that computes the exact expected outputs of any input.
 *
 *   events.enriched -> validate (invalid: DLQ) -> key "type|segment"
 *     -> tumbling windows (1 min, grace 10 s) -> count + sum(amount)
 *     -> suppress until the window closes -> events.per-minute
 *   validated -> key "segment" -> count + sum(amount) -> store
 *     "segment-totals" (queryable)
 *
 * Records (events.enriched, the contract of the examples): key = user_id,
 * value = {"event_id","user_id","type","amount","ts","order_count",
 * "total_cents","segment"}, record timestamp = ts. A record is valid when
 * its value is a JSON object with event_id and user_id strings, type one
 * of view/click/purchase/refund, segment one of new/regular/vip, and
 * integers amount, ts (>= 0), order_count (>= 0) and total_cents.
 * Invalid records go to the dead-letter topic (processing handler dlq);
 * records later than their window's end + grace go there too
 * (late.records.handler=dlq), with key "type|segment" and the original
 * value. Late records still count in the running totals (those are not
 * windowed).
 *
 * events.per-minute: key "type|segment", value
 * {"window_start":S,"window_end":E,"type":T,"segment":G,"count":N,
 *  "amount":A} (E = S + window, exclusive), timestamp = the largest record
 * timestamp in the window; one record per window, once stream time
 * reaches E + grace.
 *
 * All functions: any thread; handles are used by one thread at a time. */
#ifndef EXAMPLES_AGGREGATE_H
#define EXAMPLES_AGGREGATE_H

#include <kstream.h>

#define AGGREGATE_INPUT_TOPIC "events.enriched"
#define AGGREGATE_OUTPUT_TOPIC "events.per-minute"
#define AGGREGATE_DLQ_TOPIC "events.per-minute.dlq"
#define AGGREGATE_TOTALS_STORE "segment-totals"

typedef struct aggregate_opts_s {
    const char *input_topic;  /**< AGGREGATE_INPUT_TOPIC */
    const char *output_topic; /**< AGGREGATE_OUTPUT_TOPIC */
    const char *dlq_topic;    /**< AGGREGATE_DLQ_TOPIC */
    const char *totals_store; /**< AGGREGATE_TOTALS_STORE */
    int64_t window_ms;        /**< 60000 */
    int64_t grace_ms;         /**< 10000 */
} aggregate_opts_t;

/** Fill \p o with the defaults above. */
void aggregate_opts_default(aggregate_opts_t *o);

/** Build the topology. \p o NULL: the defaults. @returns NULL with a
 *  message in \p errstr on bad options. */
kstream_topology_t *aggregate_build(const aggregate_opts_t *o, char *errstr,
                                    size_t errstr_size);

/** Set what the topology needs in \p conf: processing.exception.handler
 *  and late.records.handler dlq, errors.deadletterqueue.topic.name. */
kstream_err_t aggregate_configure(kstream_conf_t *conf,
                                  const aggregate_opts_t *o, char *errstr,
                                  size_t errstr_size);

/** The segments, in the order the live table prints them. */
#define AGGREGATE_NSEGMENTS 3
extern const char *const aggregate_segments[AGGREGATE_NSEGMENTS];
#define AGGREGATE_NTYPES 4
extern const char *const aggregate_types[AGGREGATE_NTYPES];

/** A running total as the store holds it: 16 bytes, count then amount,
 *  both big-endian int64. @returns KSTREAM_ERR_SERDE for another size. */
kstream_err_t aggregate_total_decode(const void *data, size_t len,
                                     int64_t *count, int64_t *amount);

/** A parsed enriched event (strings point into the caller's buffers). */
typedef struct aggregate_event_s {
    const char *type;    /**< one of aggregate_types */
    const char *segment; /**< one of aggregate_segments */
    int64_t amount, ts;
} aggregate_event_t;

/** Validate an enriched value (borrowed). @returns KSTREAM_OK, or
 *  KSTREAM_ERR_SERDE with the reason in \p errstr. */
kstream_err_t aggregate_parse(const void *value, size_t len,
                              aggregate_event_t *ev, char *errstr,
                              size_t errstr_size);

/* ---- generator ----------------------------------------------------------- */
/** Receives one generated record (all borrowed for the call). Non-OK stops
 *  the generator, which returns that code. */
typedef kstream_err_t(aggregate_emit_cb)(const char *topic, const void *key,
                                         size_t klen, const void *value,
                                         size_t vlen, int64_t timestamp,
                                         void *opaque);

/** The number of records the generator adds after the \p n it is asked
 *  for: one per (type, segment), AGGREGATE_FLUSH_MS after the last, so
 *  that stream time passes every earlier window's close on every task. */
#define AGGREGATE_FLUSH_RECORDS (AGGREGATE_NTYPES * AGGREGATE_NSEGMENTS)
#define AGGREGATE_FLUSH_MS 180000

/**
 * Generate \p n events.enriched records (then AGGREGATE_FLUSH_RECORDS
 * more), the same for the same seed: 50 users, events every 0-600 ms from
 * 2023-11-14T22:14:00Z, about 3% invalid (bad JSON, missing or mistyped
 * fields, tombstones), 3% out of order by up to 5 s (within the default
 * grace), 2% late by 3-4 minutes (each right after an event of the same
 * user, type and segment at the current time, so it is late on whatever
 * task it meets), and an event exactly on every minute boundary.
 * @returns KSTREAM_OK, KSTREAM_ERR_INVALID_ARG, or what \p emit returned.
 */
kstream_err_t aggregate_generate(uint64_t seed, size_t n,
                                 aggregate_emit_cb *emit, void *opaque);

/* ---- model ---------------------------------------------------------------- */
/** An expected output record (owned by the model). */
typedef struct aggregate_rec_s {
    char *key;   /**< NUL-terminated; NULL for a NULL key */
    size_t klen;
    char *value; /**< NUL-terminated; NULL for a tombstone */
    size_t vlen;
    int64_t timestamp;
} aggregate_rec_t;

typedef struct aggregate_model_s aggregate_model_t;

/**
 * The expected outputs of the topology for input records given in the
 * order one task processes them: one stream time for the windows (the
 * largest timestamp of the valid records so far). That is exactly what a
 * run with one partition does (the tests); with several partitions each
 * task has its own stream time and the order across partitions is not
 * fixed, so the model is exact when no record sits near its window's
 * close (the generator's records never do: see aggregate_generate()).
 * @returns NULL on bad options or out of memory.
 */
aggregate_model_t *aggregate_model_new(const aggregate_opts_t *o);
void aggregate_model_destroy(aggregate_model_t *m);
/** Add one input record (copied as needed). */
kstream_err_t aggregate_model_add(aggregate_model_t *m, const void *key,
                                  size_t klen, const void *value, size_t vlen,
                                  int64_t timestamp);
/** Expected events.per-minute records, in emission order. */
size_t aggregate_model_rows(const aggregate_model_t *m);
const aggregate_rec_t *aggregate_model_row(const aggregate_model_t *m,
                                           size_t i);
/** Expected dead-letter records: invalid inputs (as given), then, apart,
 *  late ones (key "type|segment", the original value). */
size_t aggregate_model_invalid(const aggregate_model_t *m);
const aggregate_rec_t *aggregate_model_invalid_at(const aggregate_model_t *m,
                                                  size_t i);
size_t aggregate_model_late(const aggregate_model_t *m);
const aggregate_rec_t *aggregate_model_late_at(const aggregate_model_t *m,
                                               size_t i);
/** Windows still open at the end (not emitted yet). */
size_t aggregate_model_open_windows(const aggregate_model_t *m);
/** The running total of \p segment (every valid record, late ones too).
 *  @returns KSTREAM_ERR_NOT_FOUND for an unknown segment. */
kstream_err_t aggregate_model_total(const aggregate_model_t *m,
                                    const char *segment, int64_t *count,
                                    int64_t *amount);

#endif /* EXAMPLES_AGGREGATE_H */
