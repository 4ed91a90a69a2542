/* sessionize.h - the sessionize example's reusable part: telemetry
 * readings deduplicated by message id, grouped into session windows per
 * device, emitted once per closed session, with alerts; a deterministic
 * generator of telemetry.raw records and a model of the exact outputs.
 *
 *   telemetry.raw (timestamps from the "ts" field) -> parse (invalid: DLQ)
 *     -> deduplicate by msg_id (10 min)
 *        |-> reading > threshold -> alert "threshold" -> alerts
 *        '-> session windows per device (gap 30 s, grace 10 s)
 *            -> count/min/max/sum -> suppress until the session closes
 *               |-> telemetry.sessions
 *               '-> end - start > max duration -> alert "long_session"
 *
 * telemetry.raw: key = device_id, value {"msg_id": string, "device_id":
 * string, "ts": long ms, "reading": number}. Valid: a JSON object with
 * those fields, ts >= 0, the key equal to device_id. Invalid records go to
 * the DLQ (processing handler dlq) as they were read; readings later than
 * their session's close (late.records.handler=dlq) too. A record's
 * timestamp is its "ts" field (the record's own timestamp when the value
 * has no valid ts), so stream time moves with every record, invalid and
 * duplicate ones included.
 *
 * telemetry.sessions: key device_id, value {"device_id","start","end",
 * "count","min","max","mean"}, timestamp = end; emitted once stream time
 * reaches end + gap + grace + 1. alerts: key device_id, value
 * {"device_id","kind":"threshold","ts","msg_id","reading","threshold"}
 * (one per reading above the threshold, timestamp ts; late readings
 * alert too: the alert does not wait for the session) or
 * {"device_id","kind":"long_session","ts":end,"start","end",
 * "duration_ms","max_duration_ms"} (timestamp end). */
#ifndef EXAMPLES_SESSIONIZE_H
#define EXAMPLES_SESSIONIZE_H

#include <kstream.h>

#define SESSIONIZE_INPUT_TOPIC "telemetry.raw"
#define SESSIONIZE_SESSIONS_TOPIC "telemetry.sessions"
#define SESSIONIZE_ALERTS_TOPIC "alerts"
#define SESSIONIZE_DLQ_TOPIC "telemetry.dlq"

typedef struct sessionize_opts_s {
    const char *input_topic;    /**< SESSIONIZE_INPUT_TOPIC */
    const char *sessions_topic; /**< SESSIONIZE_SESSIONS_TOPIC */
    const char *alerts_topic;   /**< SESSIONIZE_ALERTS_TOPIC */
    const char *dlq_topic;      /**< SESSIONIZE_DLQ_TOPIC */
    int64_t gap_ms;             /**< inactivity gap, 30000 */
    int64_t grace_ms;           /**< 10000 */
    int64_t dedup_window_ms;    /**< 600000 */
    double threshold;           /**< alert when reading > this, 90.0 */
    int64_t max_session_ms;     /**< alert when end - start > this, 300000 */
} sessionize_opts_t;

void sessionize_opts_default(sessionize_opts_t *o);
/** Build the topology (\p o NULL: defaults). @returns NULL with a message
 *  in \p errstr on bad options. */
kstream_topology_t *sessionize_build(const sessionize_opts_t *o,
                                     char *errstr, size_t errstr_size);
/** processing.exception.handler and late.records.handler dlq,
 *  errors.deadletterqueue.topic.name. */
kstream_err_t sessionize_configure(kstream_conf_t *conf,
                                   const sessionize_opts_t *o, char *errstr,
                                   size_t errstr_size);

/** A parsed reading (strings borrowed from \p *json, freed by the caller
 *  with kstream_json_destroy()). */
typedef struct sessionize_reading_s {
    const char *msg_id, *device_id;
    size_t msg_id_len, device_id_len;
    int64_t ts;
    double reading;
} sessionize_reading_t;

/** Validate a telemetry.raw record (key and value borrowed). On success
 *  \p *json holds the parsed value. @returns KSTREAM_OK or
 *  KSTREAM_ERR_SERDE with the reason. */
kstream_err_t sessionize_parse(const void *key, size_t klen,
                               const void *value, size_t vlen,
                               sessionize_reading_t *r, kstream_json_t **json,
                               char *errstr, size_t errstr_size);
/** The timestamp the topology gives a record: its "ts" field when the
 *  value is a JSON object with an integer ts >= 0, else \p record_ts. */
int64_t sessionize_timestamp(const void *value, size_t vlen,
                             int64_t record_ts);

/** The output values (appended to \p out). */
kstream_err_t sessionize_session_json(kstream_buf_t *out, const char *device,
                                      size_t dlen, int64_t start, int64_t end,
                                      int64_t count, double min, double max,
                                      double sum);
kstream_err_t sessionize_threshold_json(kstream_buf_t *out,
                                        const sessionize_reading_t *r,
                                        double threshold);
kstream_err_t sessionize_long_session_json(kstream_buf_t *out,
                                           const char *device, size_t dlen,
                                           int64_t start, int64_t end,
                                           int64_t max_ms);

/* ---- generator ----------------------------------------------------------- */
typedef kstream_err_t(sessionize_emit_cb)(const char *topic, const void *key,
                                          size_t klen, const void *value,
                                          size_t vlen, int64_t timestamp,
                                          void *opaque);
#define SESSIONIZE_NDEVICES 20
/** After the \p n records asked for, one per device at the last time +
 *  SESSIONIZE_FLUSH_MS: stream time passes every earlier session's close
 *  on every partition (the tail's own sessions stay open). */
#define SESSIONIZE_FLUSH_RECORDS SESSIONIZE_NDEVICES
#define SESSIONIZE_FLUSH_MS 120000
/**
 * \p n telemetry.raw records (+ SESSIONIZE_FLUSH_RECORDS), the same for
 * the same seed: 20 devices reading every 1-5 s in bursts of 10-400 s
 * separated by 31-120 s of silence (bursts over 300 s make long-session
 * alerts), readings in steps of 0.25 (exact sums in any order) with about
 * 2% above 90, 3% duplicates of a device's previous message, 2% invalid,
 * 2% delayed by 1-3 s, readings that arrive late and bridge a device's
 * last two sessions (within grace: the sessions merge), and 2% late past
 * grace by 60-120 s (right after a reading of the same device at the
 * current time, and never next to one of its live sessions, so they are
 * late on any partition). Defaults of sessionize_opts_t assumed.
 */
kstream_err_t sessionize_generate(uint64_t seed, size_t n,
                                  sessionize_emit_cb *emit, void *opaque);

/* ---- model ---------------------------------------------------------------- */
typedef struct sessionize_rec_s {
    char *key;
    size_t klen;
    char *value; /**< NUL-terminated; NULL: a tombstone */
    size_t vlen;
    int64_t timestamp;
} sessionize_rec_t;

typedef struct sessionize_model_s sessionize_model_t;
/**
 * The expected outputs for records given in the order one task processes
 * them (one stream time): exact for one partition; with several, each
 * partition's records in its order give the same outputs when, as in the
 * generator's data, no decision depends on another device's readings
 * (stream time: late readings follow a reading of their own device) and
 * every partition gets the tail. Deduplication is exact for records at
 * most dedup_window_ms behind stream time (older ids may have expired).
 */
sessionize_model_t *sessionize_model_new(const sessionize_opts_t *o);
void sessionize_model_destroy(sessionize_model_t *m);
kstream_err_t sessionize_model_add(sessionize_model_t *m, const void *key,
                                   size_t klen, const void *value,
                                   size_t vlen, int64_t timestamp);
/** Expected telemetry.sessions, alerts (threshold and long-session
 *  interleaved as the topology writes them), and DLQ records (invalid
 *  and late, in input order). */
size_t sessionize_model_sessions(const sessionize_model_t *m);
const sessionize_rec_t *sessionize_model_session(const sessionize_model_t *m,
                                                 size_t i);
size_t sessionize_model_alerts(const sessionize_model_t *m);
const sessionize_rec_t *sessionize_model_alert(const sessionize_model_t *m,
                                               size_t i);
size_t sessionize_model_dlq(const sessionize_model_t *m);
const sessionize_rec_t *sessionize_model_dlq_at(const sessionize_model_t *m,
                                                size_t i);
/** Counts: invalid, late and duplicate records seen; sessions still open. */
void sessionize_model_counts(const sessionize_model_t *m, size_t *invalid,
                             size_t *late, size_t *duplicates,
                             size_t *open_sessions);

#endif /* EXAMPLES_SESSIONIZE_H */
