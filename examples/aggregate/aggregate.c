/* aggregate.c - the aggregate example's topology (see aggregate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

const char *const aggregate_segments[AGGREGATE_NSEGMENTS] = {"new", "regular",
                                                             "vip"};
const char *const aggregate_types[AGGREGATE_NTYPES] = {"view", "click",
                                                       "purchase", "refund"};

void aggregate_opts_default(aggregate_opts_t *o)
{
    if (!o)
        return;
    o->input_topic = AGGREGATE_INPUT_TOPIC;
    o->output_topic = AGGREGATE_OUTPUT_TOPIC;
    o->dlq_topic = AGGREGATE_DLQ_TOPIC;
    o->totals_store = AGGREGATE_TOTALS_STORE;
    o->window_ms = 60000;
    o->grace_ms = 10000;
}

static const char *one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, set[i]))
            return set[i];
    return NULL;
}

kstream_err_t aggregate_parse(const void *value, size_t len,
                              aggregate_event_t *ev, char *errstr,
                              size_t errstr_size)
{
    if (!ev || (errstr_size && !errstr))
        return KSTREAM_ERR_INVALID_ARG;
    if (!value) {
        snprintf(errstr, errstr_size, "a tombstone is not an event");
        return KSTREAM_ERR_SERDE;
    }
    kstream_json_t *v = NULL;
    kstream_err_t err = kstream_json_parse(value, len, &v, errstr,
                                           errstr_size);
    if (err)
        return err == KSTREAM_ERR_INVALID_ARG ? err : KSTREAM_ERR_SERDE;
    const char *s, *type, *segment;
    int64_t orders, total;
    kstream_json_type_t t;
    if ((err = kstream_json_type(v, "", &t, errstr, errstr_size)) ||
        t != KSTREAM_JSON_OBJECT) {
        if (!err)
            snprintf(errstr, errstr_size, "not a JSON object");
        err = KSTREAM_ERR_SERDE;
    } else if ((err = kstream_json_get_string(v, "event_id", &s, NULL, errstr,
                                              errstr_size)) ||
               (err = kstream_json_get_string(v, "user_id", &s, NULL, errstr,
                                              errstr_size)) ||
               (err = kstream_json_get_string(v, "type", &type, NULL, errstr,
                                              errstr_size)) ||
               (err = kstream_json_get_string(v, "segment", &segment, NULL,
                                              errstr, errstr_size)) ||
               (err = kstream_json_get_int64(v, "amount", &ev->amount, errstr,
                                             errstr_size)) ||
               (err = kstream_json_get_int64(v, "ts", &ev->ts, errstr,
                                             errstr_size)) ||
               (err = kstream_json_get_int64(v, "order_count", &orders, errstr,
                                             errstr_size)) ||
               (err = kstream_json_get_int64(v, "total_cents", &total, errstr,
                                             errstr_size))) {
        err = KSTREAM_ERR_SERDE;
    } else if (!(ev->type = one_of(type, aggregate_types, AGGREGATE_NTYPES))) {
        snprintf(errstr, errstr_size, "field type: unknown type '%.40s'",
                 type);
        err = KSTREAM_ERR_SERDE;
    } else if (!(ev->segment = one_of(segment, aggregate_segments,
                                      AGGREGATE_NSEGMENTS))) {
        snprintf(errstr, errstr_size, "field segment: unknown segment '%.40s'",
                 segment);
        err = KSTREAM_ERR_SERDE;
    } else if (ev->ts < 0 || orders < 0) {
        snprintf(errstr, errstr_size, "field %s: negative",
                 ev->ts < 0 ? "ts" : "order_count");
        err = KSTREAM_ERR_SERDE;
    }
    kstream_json_destroy(v);
    return err;
}

/* ---- callbacks ------------------------------------------------------------- */
/* validate: a valid event is re-keyed "type|segment" (value unchanged);
 * an invalid one fails, and the dlq handler writes it out. */
static kstream_err_t key_by_type_segment(const kstream_record_t *in,
                                         kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    aggregate_event_t ev;
    char err[256], key[32];
    if (aggregate_parse(v.data, v.len, &ev, err, sizeof err))
        return KSTREAM_ERR_USER;
    int n = snprintf(key, sizeof key, "%s|%s", ev.type, ev.segment);
    return kstream_record_set_key(out, key, (size_t)n);
}

/* The segment of a "type|segment" key. */
static kstream_err_t key_by_segment(const kstream_record_t *in,
                                    kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t k = kstream_record_key(in);
    const char *bar = k.data ? memchr(k.data, '|', k.len) : NULL;
    if (!bar)
        return KSTREAM_ERR_USER;
    size_t off = (size_t)(bar + 1 - (const char *)k.data);
    return kstream_record_set_key(out, bar + 1, k.len - off);
}

static void put_be64(uint8_t *p, int64_t v)
{
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
        p[i] = (uint8_t)v;
}

static int64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

kstream_err_t aggregate_total_decode(const void *data, size_t len,
                                     int64_t *count, int64_t *amount)
{
    if (!data || !count || !amount)
        return KSTREAM_ERR_INVALID_ARG;
    if (len != 16)
        return KSTREAM_ERR_SERDE;
    *count = get_be64(data);
    *amount = get_be64((const uint8_t *)data + 8);
    return KSTREAM_OK;
}

static kstream_err_t zero(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    uint8_t *p = kstream_buf_reserve(out, 16);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    memset(p, 0, 16);
    return KSTREAM_OK;
}

/* (count, amount) + this event. */
static kstream_err_t add_event(const kstream_record_t *rec,
                               kstream_bytes_t agg, kstream_buf_t *out,
                               void *opaque)
{
    (void)opaque;
    int64_t count, amount;
    aggregate_event_t ev;
    kstream_bytes_t v = kstream_record_value(rec);
    if (aggregate_total_decode(agg.data, agg.len, &count, &amount) ||
        aggregate_parse(v.data, v.len, &ev, NULL, 0))
        return KSTREAM_ERR_USER;
    uint8_t *p = kstream_buf_reserve(out, 16);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    put_be64(p, count + 1);
    put_be64(p + 8, (int64_t)((uint64_t)amount + (uint64_t)ev.amount));
    return KSTREAM_OK;
}

/* A final window (key "type|segment" + 8-byte start, value the total) as
 * its events.per-minute record. */
static kstream_err_t format_row(const kstream_record_t *in,
                                kstream_record_t *out, void *opaque)
{
    const aggregate_opts_t *o = opaque;
    kstream_bytes_t k = kstream_record_key(in), v = kstream_record_value(in);
    int64_t count, amount;
    if (!k.data || k.len < 9 ||
        aggregate_total_decode(v.data, v.len, &count, &amount))
        return KSTREAM_ERR_USER;
    size_t klen = k.len - 8;
    int64_t start = get_be64((const uint8_t *)k.data + klen);
    const char *bar = memchr(k.data, '|', klen);
    if (!bar)
        return KSTREAM_ERR_USER;
    int tlen = (int)(bar - (const char *)k.data);
    char json[256];
    int n = snprintf(json, sizeof json,
                     "{\"window_start\":%lld,\"window_end\":%lld,"
                     "\"type\":\"%.*s\",\"segment\":\"%.*s\",\"count\":%lld,"
                     "\"amount\":%lld}",
                     (long long)start, (long long)(start + o->window_ms), tlen,
                     (const char *)k.data, (int)(klen - (size_t)tlen - 1),
                     bar + 1, (long long)count, (long long)amount);
    if (n < 0 || (size_t)n >= sizeof json)
        return KSTREAM_ERR_TOO_LARGE;
    kstream_err_t err = kstream_record_set_key(out, k.data, klen);
    return err ? err : kstream_record_set_value(out, json, (size_t)n);
}

static kstream_err_t check_opts(const aggregate_opts_t *o, char *errstr,
                                size_t errstr_size)
{
    if (!o->input_topic || !*o->input_topic || !o->output_topic ||
        !*o->output_topic || !o->dlq_topic || !*o->dlq_topic ||
        !o->totals_store || !*o->totals_store) {
        snprintf(errstr, errstr_size, "aggregate: every topic and store name "
                                      "is required");
        return KSTREAM_ERR_INVALID_ARG;
    }
    if (o->window_ms <= 0 || o->grace_ms < 0) {
        snprintf(errstr, errstr_size, "aggregate: window must be > 0 and "
                                      "grace >= 0");
        return KSTREAM_ERR_INVALID_ARG;
    }
    return KSTREAM_OK;
}

kstream_topology_t *aggregate_build(const aggregate_opts_t *opts, char *errstr,
                                    size_t errstr_size)
{
    aggregate_opts_t def;
    if (!opts) {
        aggregate_opts_default(&def);
        opts = &def;
    }
    if ((errstr_size && !errstr) || check_opts(opts, errstr, errstr_size))
        return NULL;
    aggregate_opts_t *o = malloc(sizeof *o);
    kstream_builder_t *b = kstream_builder_new();
    if (!o || !b) {
        free(o);
        kstream_builder_destroy(b);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    *o = *opts; /* the strings must outlive the topology */
    kstream_stream_t *in = kstream_builder_stream(b, o->input_topic,
                                                  "enriched");
    kstream_stream_t *valid = kstream_stream_map(in, key_by_type_segment,
                                                 NULL, NULL, "validate");
    kstream_table_t *windows = kstream_windowed_aggregate(
            kstream_grouped_windowed_by(
                    kstream_stream_group_by_key(valid),
                    kstream_windows_tumbling(o->window_ms, o->grace_ms)),
            zero, add_event, NULL, NULL, NULL, "per-minute");
    kstream_table_t *final = kstream_table_suppress_until_window_closes(
            windows, 0, 0, KSTREAM_BUFFER_EMIT_EARLY, "per-minute-final");
    kstream_stream_t *rows = kstream_stream_map(
            kstream_table_to_stream(final, "final-rows"), format_row, o, free,
            "format");
    kstream_stream_to(rows, o->output_topic, "to-per-minute");
    kstream_grouped_aggregate(
            kstream_stream_group_by(valid, key_by_segment, NULL, NULL,
                                    "by-segment"),
            zero, add_event, NULL, NULL, o->totals_store);
    return kstream_builder_build(b, errstr, errstr_size);
}

kstream_err_t aggregate_configure(kstream_conf_t *conf,
                                  const aggregate_opts_t *o, char *errstr,
                                  size_t errstr_size)
{
    aggregate_opts_t def;
    if (!o) {
        aggregate_opts_default(&def);
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
