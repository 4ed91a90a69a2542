/* enrich.c - the enrich topology: user events (Avro) validated,
 * deduplicated by event_id and left-joined with per-user order statistics
 * aggregated from a CDC table of orders (see enrich.h and README.md). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

const char *const enrich_user_event_schema =
        "{\"type\":\"record\",\"name\":\"UserEvent\","
        "\"namespace\":\"kstream.examples\",\"fields\":["
        "{\"name\":\"event_id\",\"type\":\"string\"},"
        "{\"name\":\"user_id\",\"type\":\"string\"},"
        "{\"name\":\"type\",\"type\":\"string\"},"
        "{\"name\":\"amount\",\"type\":\"long\"},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\","
        "\"logicalType\":\"timestamp-millis\"}}]}";

#define ID_MAX ENRICH_ID_MAX

void enrich_opts_init(enrich_opts_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));
    o->events_topic = ENRICH_EVENTS_TOPIC;
    o->orders_topic = ENRICH_ORDERS_TOPIC;
    o->output_topic = ENRICH_OUTPUT_TOPIC;
    o->dlq_topic = ENRICH_DLQ_TOPIC;
    o->dedup_window_ms = ENRICH_DEDUP_WINDOW_MS;
    o->vip_cents = ENRICH_VIP_CENTS;
}

/* ---- small encodings ------------------------------------------------------ */
static void put_be64(uint8_t *p, int64_t v)
{
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
        p[i] = (uint8_t)((uint64_t)v & 0xff);
}

static int64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

kstream_err_t enrich_stats_decode(const void *data, size_t len,
                                  enrich_stats_t *s)
{
    if (!data || !s || len != 16)
        return data && s ? KSTREAM_ERR_SERDE : KSTREAM_ERR_INVALID_ARG;
    s->order_count = get_be64(data);
    s->total_cents = get_be64((const uint8_t *)data + 8);
    return KSTREAM_OK;
}

const char *enrich_segment(const enrich_stats_t *s, int64_t vip_cents)
{
    if (!s || s->order_count == 0)
        return "new";
    return s->total_cents >= vip_cents ? "vip" : "regular";
}

kstream_err_t enrich_format_output(const enrich_event_t *ev,
                                   const enrich_stats_t *s, int64_t vip_cents,
                                   kstream_buf_t *out)
{
    if (!ev || !ev->event_id || !ev->user_id || !ev->type || !s || !out)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_json_t *j = kstream_json_new_object();
    if (!j)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = kstream_json_set_string(j, "event_id", ev->event_id,
                                                NULL, 0);
    if (!err)
        err = kstream_json_set_string(j, "user_id", ev->user_id, NULL, 0);
    if (!err)
        err = kstream_json_set_string(j, "type", ev->type, NULL, 0);
    if (!err)
        err = kstream_json_set_int64(j, "amount", ev->amount, NULL, 0);
    if (!err)
        err = kstream_json_set_int64(j, "ts", ev->ts, NULL, 0);
    if (!err)
        err = kstream_json_set_int64(j, "order_count", s->order_count, NULL,
                                     0);
    if (!err)
        err = kstream_json_set_int64(j, "total_cents", s->total_cents, NULL,
                                     0);
    if (!err)
        err = kstream_json_set_string(j, "segment",
                                      enrich_segment(s, vip_cents), NULL, 0);
    if (!err)
        err = kstream_json_dump(j, out);
    kstream_json_destroy(j);
    return err;
}

/* ---- validation ------------------------------------------------------------ */
/* The validated event between validate-events and the join (never written
 * to a topic): [u16 len][event_id][u16 len][user_id][u8 len][type]
 * [i64 amount][i64 ts], big-endian. The dedup id is the event_id slice. */
static size_t vev_size(size_t idl, size_t ul, size_t tl)
{
    return 2 + idl + 2 + ul + 1 + tl + 16;
}

static int vev_decode(const uint8_t *p, size_t len, enrich_event_t *ev,
                      char id[ID_MAX + 1], char user[ID_MAX + 1],
                      char type[16])
{
    size_t off = 0, l;
    char *dst[3] = {id, user, type};
    size_t lim[3] = {ID_MAX, ID_MAX, 15};
    for (int f = 0; f < 3; f++) {
        size_t w = f < 2 ? 2 : 1;
        if (off + w > len)
            return -1;
        l = w == 2 ? (size_t)p[off] << 8 | p[off + 1] : p[off];
        off += w;
        if (l > lim[f] || off + l > len)
            return -1;
        memcpy(dst[f], p + off, l);
        dst[f][l] = '\0';
        off += l;
    }
    if (off + 16 != len)
        return -1;
    ev->event_id = id;
    ev->user_id = user;
    ev->type = type;
    ev->amount = get_be64(p + off);
    ev->ts = get_be64(p + off + 8);
    return 0;
}

/* Valid UTF-8 without NUL bytes (JSON output needs UTF-8). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        if (c == 0)
            return false;
        if (c < 0x80)
            k = 0;
        else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
            k = 1;
        else if ((c & 0xf0) == 0xe0)
            k = 2;
        else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
            k = 3;
        else
            return false;
        if (k > n - i - 1)
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

typedef struct validate_ctx {
    kstream_serde_t *serde; /* decodes with the registry; keeps it alive */
    kstream_avro_schema_t *schema; /* the reader's schema */
    pthread_mutex_t mu;             /* guards the pool */
    kstream_avro_value_t **pool;    /* values not in use */
    size_t npool, cap;
} validate_ctx_t;

static void validate_ctx_free(void *opaque)
{
    validate_ctx_t *vc = opaque;
    if (!vc)
        return;
    for (size_t i = 0; i < vc->npool; i++)
        kstream_avro_value_destroy(vc->pool[i]);
    free(vc->pool);
    kstream_avro_schema_destroy(vc->schema);
    kstream_serde_destroy(vc->serde);
    pthread_mutex_destroy(&vc->mu);
    free(vc);
}

/* A decoding value for this call: one per concurrent caller, reused. */
static kstream_avro_value_t *value_get(validate_ctx_t *vc)
{
    kstream_avro_value_t *v = NULL;
    pthread_mutex_lock(&vc->mu);
    if (vc->npool)
        v = vc->pool[--vc->npool];
    pthread_mutex_unlock(&vc->mu);
    return v ? v : kstream_avro_value_new(vc->schema, NULL, 0);
}

static void value_put(validate_ctx_t *vc, kstream_avro_value_t *v)
{
    pthread_mutex_lock(&vc->mu);
    if (vc->npool == vc->cap) {
        size_t cap = vc->cap ? vc->cap * 2 : 4;
        kstream_avro_value_t **p = realloc(vc->pool, cap * sizeof(*p));
        if (!p) {
            pthread_mutex_unlock(&vc->mu);
            kstream_avro_value_destroy(v);
            return;
        }
        vc->pool = p;
        vc->cap = cap;
    }
    vc->pool[vc->npool++] = v;
    pthread_mutex_unlock(&vc->mu);
}

static bool type_valid(const char *t)
{
    return !strcmp(t, "view") || !strcmp(t, "click") ||
           !strcmp(t, "purchase") || !strcmp(t, "refund");
}

/* Decode and check one event; write the validated form into out.
 * KSTREAM_ERR_SERDE: not a UserEvent (framing, unknown schema id, a
 * missing field, a field of another type, garbage); KSTREAM_ERR_USER: a
 * UserEvent with a bad value. Either way the handler dead-letters it. */
static kstream_err_t check_event(kstream_avro_value_t *v,
                                 const kstream_record_t *in,
                                 kstream_record_t *out)
{
    const char *id, *user, *type;
    size_t idl, ul, tl;
    int64_t amount, ts;
    if (kstream_avro_value_get_string(v, "event_id", &id, &idl) ||
        kstream_avro_value_get_string(v, "user_id", &user, &ul) ||
        kstream_avro_value_get_string(v, "type", &type, &tl) ||
        kstream_avro_value_get_long(v, "amount", &amount) ||
        kstream_avro_value_get_long(v, "ts", &ts))
        return KSTREAM_ERR_SERDE;
    kstream_bytes_t key = kstream_record_key(in);
    if (idl == 0 || idl > ID_MAX || ul == 0 || ul > ID_MAX ||
        !utf8_valid((const unsigned char *)id, idl) ||
        !utf8_valid((const unsigned char *)user, ul) || !type_valid(type) ||
        amount < 0 || ts < 0 || !key.data || key.len != ul ||
        memcmp(key.data, user, ul) != 0)
        return KSTREAM_ERR_USER;
    uint8_t *p = kstream_record_alloc_value(out, vev_size(idl, ul, tl));
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    *p++ = (uint8_t)(idl >> 8);
    *p++ = (uint8_t)idl;
    memcpy(p, id, idl);
    p += idl;
    *p++ = (uint8_t)(ul >> 8);
    *p++ = (uint8_t)ul;
    memcpy(p, user, ul);
    p += ul;
    *p++ = (uint8_t)tl;
    memcpy(p, type, tl);
    p += tl;
    put_be64(p, amount);
    put_be64(p + 8, ts);
    return KSTREAM_OK;
}

static kstream_err_t validate(const kstream_record_t *in,
                              kstream_record_t *out, void *opaque)
{
    validate_ctx_t *vc = opaque;
    kstream_bytes_t val = kstream_record_value(in);
    if (!val.data)
        return KSTREAM_ERR_SERDE; /* a null is no event */
    kstream_avro_value_t *v = value_get(vc);
    if (!v)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = kstream_serde_deserialize(vc->serde, val.data,
                                                  val.len, v);
    if (!err)
        err = check_event(v, in, out);
    value_put(vc, v);
    return err;
}

static kstream_err_t event_id_of(const kstream_record_t *rec,
                                 kstream_bytes_t *id, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    const uint8_t *p = v.data;
    if (!p || v.len < 2)
        return KSTREAM_ERR_SERDE;
    size_t l = (size_t)p[0] << 8 | p[1];
    if (2 + l > v.len)
        return KSTREAM_ERR_SERDE;
    id->data = p + 2;
    id->len = l;
    return KSTREAM_OK;
}

/* ---- order statistics ------------------------------------------------------ */
/* Row (key: the Debezium key, value: "after" as JSON) -> key user_id,
 * value the order's cents (8 bytes), or NULL for a cancelled order (it
 * counts nothing). */
static kstream_err_t by_user(const kstream_record_t *in,
                             kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_json_t *row = NULL;
    const char *user, *status;
    size_t ul;
    double total;
    kstream_err_t err = kstream_json_record_value(in, &row, NULL, 0);
    if (!err && !row)
        err = KSTREAM_ERR_SERDE;
    if (!err)
        err = kstream_json_get_string(row, "user_id", &user, &ul, NULL, 0);
    if (!err)
        err = kstream_json_get_string(row, "status", &status, NULL, NULL, 0);
    if (!err)
        err = kstream_json_get_double(row, "total", &total, NULL, 0);
    if (err && err != KSTREAM_ERR_NO_MEMORY)
        err = KSTREAM_ERR_SERDE; /* a row that is not an order */
    if (!err && (ul == 0 || !isfinite(total) || fabs(total) > 9e13))
        err = KSTREAM_ERR_USER;
    if (!err)
        err = kstream_record_set_key(out, user, ul);
    if (!err && !strcmp(status, "cancelled"))
        err = kstream_record_set_value(out, NULL, 0);
    else if (!err) {
        uint8_t cents[8];
        put_be64(cents, (int64_t)llround(total * 100.0));
        err = kstream_record_set_value(out, cents, sizeof(cents));
    }
    kstream_json_destroy(row);
    return err;
}

static kstream_err_t stats_init(kstream_buf_t *out, void *opaque)
{
    (void)opaque;
    uint8_t zero[16] = {0};
    return kstream_buf_append(out, zero, sizeof(zero));
}

static kstream_err_t stats_apply(const kstream_record_t *rec,
                                 kstream_bytes_t agg, kstream_buf_t *out,
                                 int sign)
{
    enrich_stats_t s;
    kstream_bytes_t v = kstream_record_value(rec);
    if (enrich_stats_decode(agg.data, agg.len, &s) || !v.data || v.len != 8)
        return KSTREAM_ERR_SERDE;
    uint8_t res[16];
    put_be64(res, s.order_count + sign);
    put_be64(res + 8, s.total_cents + sign * get_be64(v.data));
    return kstream_buf_append(out, res, sizeof(res));
}

static kstream_err_t stats_add(const kstream_record_t *rec,
                               kstream_bytes_t agg, kstream_buf_t *out,
                               void *opaque)
{
    (void)opaque;
    return stats_apply(rec, agg, out, 1);
}

static kstream_err_t stats_sub(const kstream_record_t *rec,
                               kstream_bytes_t agg, kstream_buf_t *out,
                               void *opaque)
{
    (void)opaque;
    return stats_apply(rec, agg, out, -1);
}

/* ---- the join ---------------------------------------------------------------- */
typedef struct join_ctx {
    int64_t vip_cents;
    kstream_foreach_cb *on_output;
    void *on_output_opaque;
} join_ctx_t;

static kstream_err_t joiner(const kstream_record_t *left,
                            const kstream_record_t *right,
                            kstream_record_t *out, void *opaque)
{
    const join_ctx_t *jc = opaque;
    char id[ID_MAX + 1], user[ID_MAX + 1], type[16];
    enrich_event_t ev;
    enrich_stats_t s = {0, 0};
    kstream_bytes_t lv = kstream_record_value(left);
    if (!lv.data || vev_decode(lv.data, lv.len, &ev, id, user, type))
        return KSTREAM_ERR_SERDE;
    if (right) {
        kstream_bytes_t rv = kstream_record_value(right);
        kstream_err_t err = enrich_stats_decode(rv.data, rv.len, &s);
        if (err)
            return err;
    }
    kstream_buf_t *buf = kstream_buf_new();
    if (!buf)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = enrich_format_output(&ev, &s, jc->vip_cents, buf);
    if (!err) {
        kstream_bytes_t b = kstream_buf_bytes(buf);
        err = kstream_record_set_value(out, b.data, b.len);
    }
    kstream_buf_destroy(buf);
    if (!err) /* the contract: the record's time is the event's ts */
        err = kstream_record_set_timestamp(out, ev.ts);
    if (!err && jc->on_output)
        err = jc->on_output(out, jc->on_output_opaque);
    return err;
}

/* ---- the topology ------------------------------------------------------------ */
static validate_ctx_t *validate_ctx_new(kstream_avro_registry_t *reg,
                                        const char *topic, char *errstr,
                                        size_t errstr_size)
{
    validate_ctx_t *vc = calloc(1, sizeof(*vc));
    if (!vc) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&vc->mu, NULL);
    vc->schema = kstream_avro_schema_new(enrich_user_event_schema, errstr,
                                         errstr_size);
    if (vc->schema)
        vc->serde = kstream_avro_serde_new(reg, NULL, topic, false, errstr,
                                           errstr_size);
    if (!vc->serde) {
        validate_ctx_free(vc);
        return NULL;
    }
    return vc;
}

static bool topic_ok(const char *t)
{
    return t && *t;
}

kstream_topology_t *enrich_topology(const enrich_opts_t *o, char *errstr,
                                    size_t errstr_size)
{
    char dummy[1];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    if (!o || !o->registry || !topic_ok(o->events_topic) ||
        !topic_ok(o->orders_topic) || !topic_ok(o->output_topic) ||
        o->dedup_window_ms <= 0 || o->vip_cents <= 0) {
        snprintf(errstr, errstr_size,
                 "enrich: options need a registry, the events, orders and "
                 "output topics, and a dedup window and VIP threshold > 0");
        return NULL;
    }
    validate_ctx_t *vc = validate_ctx_new(o->registry, o->events_topic,
                                          errstr, errstr_size);
    join_ctx_t *jc = calloc(1, sizeof(*jc));
    kstream_builder_t *b = kstream_builder_new();
    if (!vc || !jc || !b) {
        if (vc && (!jc || !b))
            snprintf(errstr, errstr_size, "out of memory");
        validate_ctx_free(vc);
        free(jc);
        kstream_builder_destroy(b);
        return NULL;
    }
    jc->vip_cents = o->vip_cents;
    jc->on_output = o->on_output;
    jc->on_output_opaque = o->on_output_opaque;

    /* Orders: CDC table -> per-user statistics. */
    kstream_table_t *orders = kstream_builder_cdc_table(
            b, o->orders_topic, kstream_cdc_format_json(),
            ENRICH_ORDERS_STORE);
    kstream_grouped_table_t *g = kstream_table_group_by(
            orders, by_user, NULL, NULL, ENRICH_REGROUP_NAME);
    kstream_table_t *stats = kstream_grouped_table_aggregate(
            g, stats_init, stats_add, stats_sub, NULL, NULL,
            ENRICH_STATS_STORE);

    /* Events: validate -> dedup -> left join -> output. The operators
     * own vc and jc from here (they free them on failure too). */
    kstream_stream_t *events = kstream_builder_stream(b, o->events_topic,
                                                      "events-source");
    kstream_stream_t *valid = kstream_stream_map_values(
            events, validate, vc, validate_ctx_free, ENRICH_VALIDATE_NODE);
    kstream_stream_t *unique = kstream_stream_deduplicate(
            valid, event_id_of, NULL, NULL, o->dedup_window_ms,
            ENRICH_DEDUP_STORE);
    kstream_stream_t *joined = kstream_stream_join_table(
            unique, stats, KSTREAM_JOIN_LEFT, joiner, jc, free,
            "enrich-join");
    kstream_stream_to(joined, o->output_topic, "to-enriched");
    return kstream_builder_build(b, errstr, errstr_size);
}

kstream_err_t enrich_conf_set(kstream_conf_t *conf, const enrich_opts_t *o,
                              char *errstr, size_t errstr_size)
{
    if (!conf || !o || !topic_ok(o->dlq_topic)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size,
                     "enrich_conf_set: conf and a DLQ topic are needed");
        return KSTREAM_ERR_INVALID_ARG;
    }
    const char *kv[][2] = {
            {"processing.exception.handler", "dlq"},
            {"default.deserialization.exception.handler", "dlq"},
            {"errors.deadletterqueue.topic.name", o->dlq_topic},
            {"cache.max.bytes.buffering", "0"}};
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (kstream_conf_set(conf, kv[i][0], kv[i][1], errstr,
                             errstr_size) != KSTREAM_CONF_OK)
            return KSTREAM_ERR_CONF;
    return KSTREAM_OK;
}
