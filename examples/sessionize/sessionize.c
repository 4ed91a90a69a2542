/* sessionize.c - the sessionize example's topology (see sessionize.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionize.h"

void sessionize_opts_default(sessionize_opts_t *o)
{
    if (!o)
        return;
    o->input_topic = SESSIONIZE_INPUT_TOPIC;
    o->sessions_topic = SESSIONIZE_SESSIONS_TOPIC;
    o->alerts_topic = SESSIONIZE_ALERTS_TOPIC;
    o->dlq_topic = SESSIONIZE_DLQ_TOPIC;
    o->gap_ms = 30000;
    o->grace_ms = 10000;
    o->dedup_window_ms = 600000;
    o->threshold = 90.0;
    o->max_session_ms = 300000;
}

static kstream_err_t check_opts(const sessionize_opts_t *o, char *errstr,
                                size_t errstr_size)
{
    const char *names[] = {o->input_topic, o->sessions_topic, o->alerts_topic,
                           o->dlq_topic};
    for (size_t i = 0; i < 4; i++)
        if (!names[i] || !*names[i]) {
            snprintf(errstr, errstr_size,
                     "sessionize: every topic name is required");
            return KSTREAM_ERR_INVALID_ARG;
        }
    if (o->gap_ms <= 0 || o->grace_ms < 0 || o->dedup_window_ms <= 0 ||
        o->max_session_ms < 0 || !isfinite(o->threshold)) {
        snprintf(errstr, errstr_size,
                 "sessionize: gap and dedup window must be > 0, grace and "
                 "max session >= 0, the threshold finite");
        return KSTREAM_ERR_INVALID_ARG;
    }
    return KSTREAM_OK;
}

int64_t sessionize_timestamp(const void *value, size_t vlen, int64_t record_ts)
{
    kstream_json_t *v = NULL;
    int64_t ts;
    if (!value || kstream_json_parse(value, vlen, &v, NULL, 0) ||
        kstream_json_get_int64(v, "ts", &ts, NULL, 0) || ts < 0)
        ts = record_ts;
    kstream_json_destroy(v);
    return ts;
}

kstream_err_t sessionize_parse(const void *key, size_t klen,
                               const void *value, size_t vlen,
                               sessionize_reading_t *r, kstream_json_t **json,
                               char *errstr, size_t errstr_size)
{
    if (!r || !json || (errstr_size && !errstr))
        return KSTREAM_ERR_INVALID_ARG;
    *json = NULL;
    if (!value) {
        snprintf(errstr, errstr_size, "a tombstone is not a reading");
        return KSTREAM_ERR_SERDE;
    }
    kstream_json_t *v;
    kstream_err_t err = kstream_json_parse(value, vlen, &v, errstr,
                                           errstr_size);
    if (err)
        return KSTREAM_ERR_SERDE;
    if ((err = kstream_json_get_string(v, "msg_id", &r->msg_id,
                                       &r->msg_id_len, errstr,
                                       errstr_size)) ||
        (err = kstream_json_get_string(v, "device_id", &r->device_id,
                                       &r->device_id_len, errstr,
                                       errstr_size)) ||
        (err = kstream_json_get_int64(v, "ts", &r->ts, errstr,
                                      errstr_size)) ||
        (err = kstream_json_get_double(v, "reading", &r->reading, errstr,
                                       errstr_size))) {
        err = KSTREAM_ERR_SERDE;
    } else if (r->ts < 0) {
        snprintf(errstr, errstr_size, "field ts: negative");
        err = KSTREAM_ERR_SERDE;
    } else if (!r->msg_id_len) {
        snprintf(errstr, errstr_size, "field msg_id: empty");
        err = KSTREAM_ERR_SERDE;
    } else if (!key || klen != r->device_id_len ||
               memcmp(key, r->device_id, klen)) {
        snprintf(errstr, errstr_size, "the key is not the device_id");
        err = KSTREAM_ERR_SERDE;
    }
    if (err) {
        kstream_json_destroy(v);
        return err;
    }
    *json = v;
    return KSTREAM_OK;
}

/* ---- output values ------------------------------------------------------- */
static kstream_err_t dump_free(kstream_json_t *o, kstream_err_t err,
                               kstream_buf_t *out)
{
    if (!err)
        err = kstream_json_dump(o, out);
    kstream_json_destroy(o);
    return err;
}

kstream_err_t sessionize_session_json(kstream_buf_t *out, const char *device,
                                      size_t dlen, int64_t start, int64_t end,
                                      int64_t count, double min, double max,
                                      double sum)
{
    if (!out || !device || count <= 0)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_json_t *o = kstream_json_new_object();
    if (!o)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err;
    if ((err = kstream_json_set_stringn(o, "device_id", device, dlen, NULL,
                                        0)) ||
        (err = kstream_json_set_int64(o, "start", start, NULL, 0)) ||
        (err = kstream_json_set_int64(o, "end", end, NULL, 0)) ||
        (err = kstream_json_set_int64(o, "count", count, NULL, 0)) ||
        (err = kstream_json_set_double(o, "min", min, NULL, 0)) ||
        (err = kstream_json_set_double(o, "max", max, NULL, 0)))
        ;
    else
        err = kstream_json_set_double(o, "mean", sum / (double)count, NULL, 0);
    return dump_free(o, err, out);
}

kstream_err_t sessionize_threshold_json(kstream_buf_t *out,
                                        const sessionize_reading_t *r,
                                        double threshold)
{
    if (!out || !r)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_json_t *o = kstream_json_new_object();
    if (!o)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err;
    if ((err = kstream_json_set_stringn(o, "device_id", r->device_id,
                                        r->device_id_len, NULL, 0)) ||
        (err = kstream_json_set_string(o, "kind", "threshold", NULL, 0)) ||
        (err = kstream_json_set_int64(o, "ts", r->ts, NULL, 0)) ||
        (err = kstream_json_set_stringn(o, "msg_id", r->msg_id,
                                        r->msg_id_len, NULL, 0)) ||
        (err = kstream_json_set_double(o, "reading", r->reading, NULL, 0)))
        ;
    else
        err = kstream_json_set_double(o, "threshold", threshold, NULL, 0);
    return dump_free(o, err, out);
}

kstream_err_t sessionize_long_session_json(kstream_buf_t *out,
                                           const char *device, size_t dlen,
                                           int64_t start, int64_t end,
                                           int64_t max_ms)
{
    if (!out || !device)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_json_t *o = kstream_json_new_object();
    if (!o)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err;
    if ((err = kstream_json_set_stringn(o, "device_id", device, dlen, NULL,
                                        0)) ||
        (err = kstream_json_set_string(o, "kind", "long_session", NULL, 0)) ||
        (err = kstream_json_set_int64(o, "ts", end, NULL, 0)) ||
        (err = kstream_json_set_int64(o, "start", start, NULL, 0)) ||
        (err = kstream_json_set_int64(o, "end", end, NULL, 0)) ||
        (err = kstream_json_set_int64(o, "duration_ms", end - start, NULL,
                                      0)))
        ;
    else
        err = kstream_json_set_int64(o, "max_duration_ms", max_ms, NULL, 0);
    return dump_free(o, err, out);
}

/* ---- callbacks ------------------------------------------------------------- */
static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_double(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put_be64(p, u);
}

static double get_double(const uint8_t *p)
{
    uint64_t u = get_be64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static kstream_err_t extract_ts(const kstream_record_t *rec,
                                int64_t partition_time, int64_t *ts,
                                void *opaque)
{
    (void)partition_time;
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    *ts = sessionize_timestamp(v.data, v.len, kstream_record_timestamp(rec));
    return KSTREAM_OK;
}

/* parse: the value becomes 8-byte reading (IEEE, BE) + msg_id; an invalid
 * record fails and the dlq handler writes it out as read. */
static kstream_err_t parse_value(const kstream_record_t *in,
                                 kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t k = kstream_record_key(in), v = kstream_record_value(in);
    sessionize_reading_t r;
    kstream_json_t *json;
    if (sessionize_parse(k.data, k.len, v.data, v.len, &r, &json, NULL, 0))
        return KSTREAM_ERR_USER;
    uint8_t *p = kstream_record_alloc_value(out, 8 + r.msg_id_len);
    if (p) {
        put_double(p, r.reading);
        memcpy(p + 8, r.msg_id, r.msg_id_len);
    }
    kstream_json_destroy(json);
    return p ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
}

static kstream_err_t msg_id_of(const kstream_record_t *rec,
                               kstream_bytes_t *id, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (!v.data || v.len <= 8)
        return KSTREAM_ERR_USER;
    *id = (kstream_bytes_t){(const uint8_t *)v.data + 8, v.len - 8};
    return KSTREAM_OK;
}

static kstream_err_t over_threshold(const kstream_record_t *rec, bool *match,
                                    void *opaque)
{
    const sessionize_opts_t *o = opaque;
    *match = get_double(kstream_record_value(rec).data) > o->threshold;
    return KSTREAM_OK;
}

static kstream_err_t threshold_alert(const kstream_record_t *in,
                                     kstream_record_t *out, void *opaque)
{
    const sessionize_opts_t *o = opaque;
    kstream_bytes_t k = kstream_record_key(in), v = kstream_record_value(in);
    sessionize_reading_t r = {.msg_id = (const char *)v.data + 8,
                              .msg_id_len = v.len - 8,
                              .device_id = k.data,
                              .device_id_len = k.len,
                              .ts = kstream_record_timestamp(in),
                              .reading = get_double(v.data)};
    kstream_buf_t *buf = kstream_buf_new();
    if (!buf)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = sessionize_threshold_json(buf, &r, o->threshold);
    if (!err) {
        kstream_bytes_t j = kstream_buf_bytes(buf);
        err = kstream_record_set_value(out, j.data, j.len);
    }
    kstream_buf_destroy(buf);
    return err;
}

/* Aggregates: count (int64), min, max, sum (doubles), 32 bytes BE. */
static kstream_err_t agg_init(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    uint8_t *p = kstream_buf_reserve(out, 32);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    put_be64(p, 0);
    put_double(p + 8, INFINITY);
    put_double(p + 16, -INFINITY);
    put_double(p + 24, 0.0);
    return KSTREAM_OK;
}

static kstream_err_t combine(const uint8_t *a, uint64_t count, double min,
                             double max, double sum, kstream_buf_t *out)
{
    uint8_t *p = kstream_buf_reserve(out, 32);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    double amin = get_double(a + 8), amax = get_double(a + 16);
    put_be64(p, get_be64(a) + count);
    put_double(p + 8, min < amin ? min : amin);
    put_double(p + 16, max > amax ? max : amax);
    put_double(p + 24, get_double(a + 24) + sum);
    return KSTREAM_OK;
}

static kstream_err_t agg_add(const kstream_record_t *rec, kstream_bytes_t agg,
                             kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    if (agg.len != 32 || !v.data || v.len < 8)
        return KSTREAM_ERR_USER;
    double d = get_double(v.data);
    return combine(agg.data, 1, d, d, d, out);
}

static kstream_err_t agg_merge(kstream_bytes_t key, kstream_bytes_t a,
                               kstream_bytes_t b, kstream_buf_t *out,
                               void *opaque)
{
    (void)key;
    (void)opaque;
    if (a.len != 32 || b.len != 32)
        return KSTREAM_ERR_USER;
    const uint8_t *q = b.data;
    return combine(a.data, get_be64(q), get_double(q + 8),
                   get_double(q + 16), get_double(q + 24), out);
}

/* A final session: windowed key (device + 8-byte end + 8-byte start). */
static kstream_err_t session_of(const kstream_record_t *rec,
                                kstream_bytes_t *dev, int64_t *start,
                                int64_t *end)
{
    kstream_bytes_t k = kstream_record_key(rec), v = kstream_record_value(rec);
    if (!k.data || k.len < 16 || !v.data || v.len != 32)
        return KSTREAM_ERR_USER;
    const uint8_t *p = k.data;
    *dev = (kstream_bytes_t){p, k.len - 16};
    *end = (int64_t)get_be64(p + k.len - 16);
    *start = (int64_t)get_be64(p + k.len - 8);
    return KSTREAM_OK;
}

static kstream_err_t set_json(kstream_record_t *out, kstream_bytes_t dev,
                              kstream_buf_t *buf, kstream_err_t err)
{
    if (!err)
        err = kstream_record_set_key(out, dev.data, dev.len);
    if (!err) {
        kstream_bytes_t j = kstream_buf_bytes(buf);
        err = kstream_record_set_value(out, j.data, j.len);
    }
    kstream_buf_destroy(buf);
    return err;
}

static kstream_err_t format_session(const kstream_record_t *in,
                                    kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t dev;
    int64_t start, end;
    kstream_err_t err = session_of(in, &dev, &start, &end);
    if (err)
        return err;
    const uint8_t *a = kstream_record_value(in).data;
    kstream_buf_t *buf = kstream_buf_new();
    if (!buf)
        return KSTREAM_ERR_NO_MEMORY;
    return set_json(out, dev, buf,
                    sessionize_session_json(buf, dev.data, dev.len, start, end,
                                            (int64_t)get_be64(a),
                                            get_double(a + 8),
                                            get_double(a + 16),
                                            get_double(a + 24)));
}

static kstream_err_t is_long(const kstream_record_t *rec, bool *match,
                             void *opaque)
{
    const sessionize_opts_t *o = opaque;
    kstream_bytes_t dev;
    int64_t start, end;
    kstream_err_t err = session_of(rec, &dev, &start, &end);
    *match = !err && end - start > o->max_session_ms;
    return err;
}

static kstream_err_t long_alert(const kstream_record_t *in,
                                kstream_record_t *out, void *opaque)
{
    const sessionize_opts_t *o = opaque;
    kstream_bytes_t dev;
    int64_t start, end;
    kstream_err_t err = session_of(in, &dev, &start, &end);
    if (err)
        return err;
    kstream_buf_t *buf = kstream_buf_new();
    if (!buf)
        return KSTREAM_ERR_NO_MEMORY;
    return set_json(out, dev, buf,
                    sessionize_long_session_json(buf, dev.data, dev.len, start,
                                                 end, o->max_session_ms));
}

kstream_topology_t *sessionize_build(const sessionize_opts_t *opts,
                                     char *errstr, size_t errstr_size)
{
    sessionize_opts_t def;
    if (!opts) {
        sessionize_opts_default(&def);
        opts = &def;
    }
    if ((errstr_size && !errstr) || check_opts(opts, errstr, errstr_size))
        return NULL;
    sessionize_opts_t *o = malloc(sizeof *o);
    kstream_builder_t *b = kstream_builder_new();
    if (!o || !b) {
        free(o);
        kstream_builder_destroy(b);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    *o = *opts;
    kstream_stream_t *in = kstream_builder_stream(b, o->input_topic,
                                                  "telemetry");
    kstream_stream_set_timestamp_extractor(in, extract_ts, NULL, NULL);
    /* o is freed with the first operator that holds it. */
    kstream_stream_t *parsed = kstream_stream_map_values(in, parse_value, o,
                                                         free, "parse");
    kstream_stream_t *unique = kstream_stream_deduplicate(
            parsed, msg_id_of, NULL, NULL, o->dedup_window_ms, "dedup");
    kstream_stream_to(kstream_stream_map_values(
                              kstream_stream_filter(unique, over_threshold, o,
                                                    NULL, "over-threshold"),
                              threshold_alert, o, NULL, "threshold-alert"),
                      o->alerts_topic, "to-threshold-alerts");
    kstream_table_t *sessions = kstream_windowed_aggregate(
            kstream_grouped_windowed_by(
                    kstream_stream_group_by_key(unique),
                    kstream_windows_session(o->gap_ms, o->grace_ms)),
            agg_init, agg_add, agg_merge, NULL, NULL, "sessions");
    kstream_stream_t *final = kstream_table_to_stream(
            kstream_table_suppress_until_window_closes(
                    sessions, 0, 0, KSTREAM_BUFFER_EMIT_EARLY,
                    "sessions-final"),
            "final-sessions");
    kstream_stream_to(kstream_stream_map(final, format_session, NULL, NULL,
                                         "format-session"),
                      o->sessions_topic, "to-sessions");
    kstream_stream_to(kstream_stream_map(kstream_stream_filter(final, is_long,
                                                               o, NULL,
                                                               "long-session"),
                                         long_alert, o, NULL,
                                         "long-session-alert"),
                      o->alerts_topic, "to-long-session-alerts");
    return kstream_builder_build(b, errstr, errstr_size);
}

kstream_err_t sessionize_configure(kstream_conf_t *conf,
                                   const sessionize_opts_t *o, char *errstr,
                                   size_t errstr_size)
{
    sessionize_opts_t def;
    if (!o) {
        sessionize_opts_default(&def);
        o = &def;
    }
    if (!conf || (errstr_size && !errstr))
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = check_opts(o, errstr, errstr_size);
    if (err)
        return err;
    if (kstream_conf_set(conf, "processing.exception.handler", "dlq", errstr,
                         errstr_size) != KSTREAM_CONF_OK ||
        kstream_conf_set(conf, "late.records.handler", "dlq", errstr,
                         errstr_size) != KSTREAM_CONF_OK ||
        kstream_conf_set(conf, "errors.deadletterqueue.topic.name",
                         o->dlq_topic, errstr,
                         errstr_size) != KSTREAM_CONF_OK)
        return KSTREAM_ERR_CONF;
    return KSTREAM_OK;
}
