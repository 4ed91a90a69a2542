/* enrich_gen.c - the enrich example's input: Avro user events and
 * Debezium change events of an orders table, generated deterministically
 * from a seed, with invalid, duplicate, late and deleted records. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

/* ---- encodings ------------------------------------------------------------- */
kstream_err_t enrich_event_encode(kstream_avro_value_t *v, int32_t schema_id,
                                  const enrich_event_t *ev,
                                  kstream_buf_t *out)
{
    if (!v || schema_id < 0 || !ev || !ev->event_id || !ev->user_id ||
        !ev->type || !out)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = kstream_avro_value_set_string(v, "event_id",
                                                      ev->event_id);
    if (!err)
        err = kstream_avro_value_set_string(v, "user_id", ev->user_id);
    if (!err)
        err = kstream_avro_value_set_string(v, "type", ev->type);
    if (!err)
        err = kstream_avro_value_set_long(v, "amount", ev->amount);
    if (!err)
        err = kstream_avro_value_set_long(v, "ts", ev->ts);
    if (!err)
        err = kstream_avro_frame_write(out, schema_id);
    if (!err)
        err = kstream_avro_value_encode(v, NULL, out);
    return err;
}

static kstream_err_t put(kstream_buf_t *b, const char *s)
{
    return kstream_buf_append(b, s, strlen(s));
}

/* A JSON string (escaped). */
static kstream_err_t put_str(kstream_buf_t *b, const char *s)
{
    kstream_err_t err = put(b, "\"");
    for (; !err && *s; s++) {
        char e[8];
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            snprintf(e, sizeof(e), "\\%c", c);
        else if (c < 0x20)
            snprintf(e, sizeof(e), "\\u%04x", c);
        else
            snprintf(e, sizeof(e), "%c", c);
        err = put(b, e);
    }
    return err ? err : put(b, "\"");
}

/* A total as Java's Double.toString writes it for 2 decimals: 19.9, 20.0. */
static void total_text(int64_t cents, char *dst, size_t size)
{
    snprintf(dst, size, "%.2f", (double)cents / 100.0);
    size_t n = strlen(dst);
    if (n > 3 && dst[n - 1] == '0' && dst[n - 3] == '.')
        dst[n - 1] = '\0';
}

static kstream_err_t put_row(kstream_buf_t *b, const enrich_order_t *o)
{
    if (!o)
        return put(b, "null");
    if (!o->user_id || !o->status)
        return KSTREAM_ERR_INVALID_ARG;
    char num[64];
    snprintf(num, sizeof(num), "{\"order_id\":%" PRId64 ",\"user_id\":",
             o->order_id);
    kstream_err_t err = put(b, num);
    if (!err)
        err = put_str(b, o->user_id);
    if (!err)
        err = put(b, ",\"status\":");
    if (!err)
        err = put_str(b, o->status);
    total_text(o->total_cents, num, sizeof(num));
    if (!err)
        err = put(b, ",\"total\":");
    if (!err)
        err = put(b, num);
    return err ? err : put(b, "}");
}

#define ROW_SCHEMA(field)                                                   \
    "{\"type\":\"struct\",\"fields\":["                                      \
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"order_id\"},"       \
    "{\"type\":\"string\",\"optional\":false,\"field\":\"user_id\"},"       \
    "{\"type\":\"string\",\"optional\":false,\"field\":\"status\"},"        \
    "{\"type\":\"double\",\"optional\":false,\"field\":\"total\"}],"        \
    "\"optional\":true,\"name\":\"shop.public.orders.Value\","              \
    "\"field\":\"" field "\"}"

/* What Debezium's JsonConverter (schemas.enable=true) writes. */
static const char *const ENVELOPE_SCHEMA =
        "{\"type\":\"struct\",\"fields\":[" ROW_SCHEMA("before") ","
        ROW_SCHEMA("after") ","
        "{\"type\":\"struct\",\"fields\":["
        "{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
        "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"table\"}],"
        "\"optional\":false,\"name\":\"io.debezium.connector.postgresql."
        "Source\",\"field\":\"source\"},"
        "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
        "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}],"
        "\"optional\":false,\"name\":\"shop.public.orders.Envelope\","
        "\"version\":1}";

kstream_err_t enrich_order_key(int64_t order_id, kstream_buf_t *key)
{
    if (!key)
        return KSTREAM_ERR_INVALID_ARG;
    char s[320];
    snprintf(s, sizeof(s),
             "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
             "\"int64\",\"optional\":false,\"field\":\"order_id\"}],"
             "\"optional\":false,\"name\":\"shop.public.orders.Key\"},"
             "\"payload\":{\"order_id\":%" PRId64 "}}",
             order_id);
    return put(key, s);
}

kstream_err_t enrich_order_change(char op, const enrich_order_t *before,
                                  const enrich_order_t *after, int64_t ts_ms,
                                  kstream_buf_t *value)
{
    if (!value || !strchr("crud", op) || op == 0 || ts_ms < 0)
        return KSTREAM_ERR_INVALID_ARG;
    char s[256];
    kstream_err_t err = put(value, "{\"schema\":");
    if (!err)
        err = put(value, ENVELOPE_SCHEMA);
    if (!err)
        err = put(value, ",\"payload\":{\"before\":");
    if (!err)
        err = put_row(value, before);
    if (!err)
        err = put(value, ",\"after\":");
    if (!err)
        err = put_row(value, after);
    snprintf(s, sizeof(s),
             ",\"source\":{\"version\":\"2.5.0.Final\",\"connector\":"
             "\"postgresql\",\"name\":\"shop\",\"ts_ms\":%" PRId64
             ",\"db\":\"shop\",\"schema\":\"public\",\"table\":\"orders\"},"
             "\"op\":\"%c\",\"ts_ms\":%" PRId64 "}}",
             ts_ms > 5 ? ts_ms - 5 : 0, op, ts_ms);
    return err ? err : put(value, s);
}

/* ---- the generator ------------------------------------------------------- */
static const char *const TYPES[] = {"view", "click", "purchase", "refund"};
static const char *const STATUS[] = {"pending", "paid", "shipped"};

typedef struct order_row {
    int64_t id;
    char user[16];
    const char *status;
    int64_t cents;
} order_row_t;

typedef struct past_event {
    char id[24];
    char user[16];
    int type;
    int64_t amount;
    int64_t ts_first; /* its time, for retries (same bytes) */
    int64_t ts_last;  /* the latest time it was sent */
} past_event_t;

typedef struct gen {
    uint64_t rng;
    int64_t clock;
    size_t nusers;
    order_row_t *orders;
    size_t norders;
    int64_t next_order;
    past_event_t *past;
    size_t npast;
    uint64_t next_event;
    kstream_avro_value_t *good, *missing, *badtype;
    int32_t good_id, missing_id, badtype_id;
    kstream_buf_t *key, *val;
    enrich_emit_cb *emit;
    void *opaque;
    size_t left; /* records still to emit */
    int cb_rc;   /* what emit returned, when not 0 */
} gen_t;

static uint64_t rnd(gen_t *g)
{ /* splitmix64 */
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t below(gen_t *g, int64_t n)
{
    return (int64_t)(rnd(g) % (uint64_t)n);
}

/* Hand r to the callback; its non-zero result stops the generator. */
static int emit(gen_t *g, enrich_gen_record_t *r)
{
    g->left--;
    g->cb_rc = g->emit(r, g->opaque);
    return g->cb_rc ? -1 : 0;
}

/* r's key and value from the key and value buffers. */
static int emit_bufs(gen_t *g, enrich_gen_record_t *r)
{
    kstream_bytes_t k = kstream_buf_bytes(g->key);
    kstream_bytes_t v = kstream_buf_bytes(g->val);
    r->key = k.data ? k.data : "";
    r->key_len = k.len;
    r->value = v.data ? v.data : "";
    r->value_len = v.len;
    return emit(g, r);
}

/* ---- orders ---------------------------------------------------------------- */
static int order_change(gen_t *g, char op, const order_row_t *before,
                        const order_row_t *after, const char *note)
{
    enrich_order_t b, a;
    const order_row_t *row = after ? after : before;
    if (before)
        b = (enrich_order_t){before->id, before->user, before->status,
                             before->cents};
    if (after)
        a = (enrich_order_t){after->id, after->user, after->status,
                             after->cents};
    kstream_buf_reset(g->key);
    kstream_buf_reset(g->val);
    if (enrich_order_key(row->id, g->key) ||
        enrich_order_change(op, before ? &b : NULL, after ? &a : NULL,
                            g->clock, g->val))
        return -1;
    enrich_gen_record_t r = {.topic = ENRICH_ORDERS_TOPIC,
                             .timestamp = g->clock,
                             .kind = op == 'd' ? ENRICH_ORDER_DELETE
                                               : ENRICH_ORDER_UPSERT,
                             .order = after ? a : b,
                             .note = note};
    return emit_bufs(g, &r);
}

static int gen_order(gen_t *g, bool snapshot)
{
    int64_t roll = below(g, 100);
    if (snapshot || g->norders == 0 || roll < 40) { /* a new order */
        order_row_t *o = &g->orders[g->norders++];
        o->id = g->next_order++;
        snprintf(o->user, sizeof(o->user), "u-%04d",
                 (int)below(g, (int64_t)g->nusers));
        o->status = STATUS[below(g, 2)];
        o->cents = 100 + below(g, 150000);
        return order_change(g, snapshot ? 'r' : 'c', NULL, o,
                            snapshot ? "snapshot" : "create");
    }
    size_t i = (size_t)below(g, (int64_t)g->norders);
    order_row_t *o = &g->orders[i], old = *o;
    if (roll >= 85 && g->left >= 2) { /* delete, then the tombstone */
        if (order_change(g, 'd', &old, NULL, "delete"))
            return -1;
        kstream_buf_reset(g->key);
        if (enrich_order_key(old.id, g->key))
            return -1;
        kstream_bytes_t k = kstream_buf_bytes(g->key);
        enrich_gen_record_t r = {.topic = ENRICH_ORDERS_TOPIC,
                                 .key = k.data,
                                 .key_len = k.len,
                                 .timestamp = g->clock,
                                 .kind = ENRICH_ORDER_TOMBSTONE,
                                 .order = {old.id, NULL, NULL, 0},
                                 .note = "tombstone"};
        g->orders[i] = g->orders[--g->norders];
        return emit(g, &r);
    }
    const char *note = "update";
    int64_t what = below(g, 100);
    if (what < 15) {
        snprintf(o->user, sizeof(o->user), "u-%04d",
                 (int)below(g, (int64_t)g->nusers));
        note = "move";
    } else if (what < 35) {
        o->status = "cancelled";
        note = "cancel";
    } else if (what < 60)
        o->cents = 100 + below(g, 150000);
    else
        o->status = STATUS[1 + below(g, 2)];
    return order_change(g, 'u', &old, o, note);
}

static int gen_bad_cdc(gen_t *g)
{
    kstream_buf_reset(g->key);
    kstream_buf_reset(g->val);
    enrich_gen_record_t r = {.topic = ENRICH_ORDERS_TOPIC,
                             .timestamp = g->clock,
                             .kind = ENRICH_ORDER_INVALID,
                             .note = "bad-cdc"};
    if (below(g, 2) == 0) { /* Debezium's truncate event: no row, no key */
        r.value = "{\"schema\":null,\"payload\":{\"before\":null,"
                  "\"after\":null,\"op\":\"t\",\"ts_ms\":1}}";
        r.value_len = strlen(r.value);
        return emit(g, &r);
    }
    /* A change event cut in half (a broken producer). */
    enrich_order_t o = {g->next_order++, "u-0000", "paid", 100};
    if (enrich_order_key(o.order_id, g->key) ||
        enrich_order_change('c', NULL, &o, g->clock, g->val))
        return -1;
    kstream_bytes_t k = kstream_buf_bytes(g->key);
    kstream_bytes_t v = kstream_buf_bytes(g->val);
    r.key = k.data;
    r.key_len = k.len;
    r.value = v.data;
    r.value_len = v.len / 2;
    return emit(g, &r);
}

/* ---- events ------------------------------------------------------------------ */
static int send_event(gen_t *g, const past_event_t *p, int64_t ts,
                      const char *note)
{
    enrich_event_t ev = {p->id, p->user, TYPES[p->type], p->amount, ts};
    kstream_buf_reset(g->key);
    kstream_buf_reset(g->val);
    if (put(g->key, p->user) ||
        enrich_event_encode(g->good, g->good_id, &ev, g->val))
        return -1;
    enrich_gen_record_t r = {.topic = ENRICH_EVENTS_TOPIC,
                             .timestamp = ts,
                             .kind = ENRICH_EVENT,
                             .event = ev,
                             .note = note};
    return emit_bufs(g, &r);
}

static void new_event(gen_t *g, past_event_t *p)
{
    snprintf(p->id, sizeof(p->id), "e-%06" PRIu64, g->next_event++);
    snprintf(p->user, sizeof(p->user), "u-%04d",
             (int)below(g, (int64_t)g->nusers));
    p->type = (int)below(g, 4);
    p->amount = p->type >= 2 ? 100 + below(g, 50000) : 0;
}

/* An invalid event: each kind the topology must dead-letter. */
static int gen_invalid(gen_t *g)
{
    past_event_t p;
    new_event(g, &p);
    enrich_event_t ev = {p.id, p.user, TYPES[p.type], p.amount, g->clock};
    enrich_gen_record_t r = {.topic = ENRICH_EVENTS_TOPIC,
                             .timestamp = g->clock,
                             .kind = ENRICH_EVENT_INVALID};
    kstream_buf_reset(g->key);
    kstream_buf_reset(g->val);
    kstream_err_t err = put(g->key, p.user);
    char text[160];
    switch (below(g, 6)) {
    case 0: /* a writer schema without "amount" */
        r.note = "missing-field";
        if (!err)
            err = kstream_avro_value_set_string(g->missing, "event_id", p.id);
        if (!err)
            err = kstream_avro_value_set_string(g->missing, "user_id", p.user);
        if (!err)
            err = kstream_avro_value_set_string(g->missing, "type",
                                                TYPES[p.type]);
        if (!err)
            err = kstream_avro_value_set_long(g->missing, "ts", g->clock);
        if (!err)
            err = kstream_avro_frame_write(g->val, g->missing_id);
        if (!err)
            err = kstream_avro_value_encode(g->missing, NULL, g->val);
        break;
    case 1: /* "amount" written as a string */
        r.note = "bad-type";
        snprintf(text, sizeof(text), "%" PRId64 ".00", p.amount);
        if (!err)
            err = kstream_avro_value_set_string(g->badtype, "event_id", p.id);
        if (!err)
            err = kstream_avro_value_set_string(g->badtype, "user_id",
                                                p.user);
        if (!err)
            err = kstream_avro_value_set_string(g->badtype, "type",
                                                TYPES[p.type]);
        if (!err)
            err = kstream_avro_value_set_string(g->badtype, "amount", text);
        if (!err)
            err = kstream_avro_value_set_long(g->badtype, "ts", g->clock);
        if (!err)
            err = kstream_avro_frame_write(g->val, g->badtype_id);
        if (!err)
            err = kstream_avro_value_encode(g->badtype, NULL, g->val);
        break;
    case 2: /* an unknown type, or a negative amount */
        r.note = "bad-value";
        if (below(g, 2))
            ev.type = "share";
        else
            ev.amount = -1 - p.amount;
        if (!err)
            err = enrich_event_encode(g->good, g->good_id, &ev, g->val);
        break;
    case 3: /* JSON where Avro was expected */
        r.note = "garbage";
        snprintf(text, sizeof(text),
                 "{\"event_id\":\"%s\",\"user_id\":\"%s\",\"type\":\"%s\"}",
                 p.id, p.user, TYPES[p.type]);
        if (!err)
            err = put(g->val, text);
        break;
    case 4: /* binary junk after a bad magic byte */
        r.note = "garbage";
        for (int i = 0, n = 1 + (int)below(g, 30); !err && i < n; i++) {
            uint8_t c = i == 0 ? 0xff : (uint8_t)below(g, 256);
            err = kstream_buf_append(g->val, &c, 1);
        }
        break;
    default: /* a good body framed with an id the registry does not know */
        r.note = "unknown-schema";
        if (!err)
            err = enrich_event_encode(g->good, 999999, &ev, g->val);
        break;
    }
    return err ? -1 : emit_bufs(g, &r);
}

static int gen_event(gen_t *g)
{
    int64_t roll = below(g, 1000);
    int64_t w = ENRICH_DEDUP_WINDOW_MS;
    if (roll < 35) { /* a retry: a recent event sent again, same bytes */
        for (size_t i = g->npast, k = 0; i-- > 0 && k < 50; k++) {
            past_event_t *p = &g->past[i];
            if (p->ts_last < g->clock - 5 * 60 * 1000)
                break;
            if (below(g, 3) == 0)
                return send_event(g, p, p->ts_last, "retry");
        }
    } else if (roll < 50 && g->npast > 0) { /* replay, > window later */
        past_event_t *p = &g->past[below(g, (int64_t)g->npast)];
        if (p->ts_last < g->clock - w - 1000) {
            p->ts_last = g->clock;
            return send_event(g, p, g->clock, "replay");
        }
    } else if (roll < 120)
        return gen_invalid(g);
    past_event_t *p = &g->past[g->npast++];
    new_event(g, p);
    int64_t ts = g->clock;
    const char *note = "new";
    if (roll >= 120 && roll < 140) { /* late: up to 2 minutes behind */
        ts -= 1 + below(g, 120000);
        note = "late";
    }
    p->ts_first = p->ts_last = ts;
    return send_event(g, p, ts, note);
}

/* ---- setup ------------------------------------------------------------------- */
/* Register a variant of UserEvent: amount dropped or made a string. */
static int variant(kstream_avro_registry_t *reg, const char *subject,
                   const char *from, const char *to,
                   kstream_avro_value_t **v, int32_t *id, char *errstr,
                   size_t errstr_size)
{
    char json[1024];
    const char *base = enrich_user_event_schema;
    const char *at = from ? strstr(base, from) : NULL;
    if (from && !at) {
        snprintf(errstr, errstr_size, "schema variant: '%s' not found", from);
        return -1;
    }
    if (at)
        snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - base), base, to,
                 at + strlen(from));
    else
        snprintf(json, sizeof(json), "%s", base);
    kstream_avro_schema_t *s = kstream_avro_schema_new(json, errstr,
                                                       errstr_size);
    if (!s)
        return -1;
    int rc = kstream_avro_registry_register(reg, subject, s, id, errstr,
                                            errstr_size)
                     ? -1
                     : 0;
    if (!rc && !(*v = kstream_avro_value_new(s, errstr, errstr_size)))
        rc = -1;
    kstream_avro_schema_destroy(s);
    return rc;
}

static void gen_free(gen_t *g)
{
    kstream_avro_value_destroy(g->good);
    kstream_avro_value_destroy(g->missing);
    kstream_avro_value_destroy(g->badtype);
    kstream_buf_destroy(g->key);
    kstream_buf_destroy(g->val);
    free(g->orders);
    free(g->past);
}

int enrich_generate(kstream_avro_registry_t *reg, uint64_t seed, size_t n,
                    enrich_emit_cb *emit_cb, void *opaque, char *errstr,
                    size_t errstr_size)
{
    char dummy[1];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = '\0';
    if (!reg || !emit_cb || n > (SIZE_MAX / 2) / sizeof(past_event_t)) {
        snprintf(errstr, errstr_size,
                 "enrich_generate: a registry and an emit callback are "
                 "needed (and a sane count)");
        return -1;
    }
    gen_t g = {.rng = seed, .clock = 1700000000000, .next_order = 1001,
               .emit = emit_cb, .opaque = opaque, .left = n};
    g.nusers = n / 25 < 4 ? 4 : n / 25;
    g.orders = calloc(n + 1, sizeof(*g.orders));
    g.past = calloc(n + 1, sizeof(*g.past));
    g.key = kstream_buf_new();
    g.val = kstream_buf_new();
    int rc = 0;
    if (!g.orders || !g.past || !g.key || !g.val) {
        snprintf(errstr, errstr_size, "enrich_generate: out of memory");
        rc = -1;
    }
    /* The amount field as written, to make the broken variants. */
    const char *amount = "{\"name\":\"amount\",\"type\":\"long\"},";
    if (!rc)
        rc = variant(reg, ENRICH_EVENTS_SUBJECT, NULL, NULL, &g.good,
                     &g.good_id, errstr, errstr_size);
    if (!rc)
        rc = variant(reg, "events.user.legacy-value", amount, "",
                     &g.missing, &g.missing_id, errstr, errstr_size);
    if (!rc)
        rc = variant(reg, "events.user.broken-value", amount,
                     "{\"name\":\"amount\",\"type\":\"string\"},",
                     &g.badtype, &g.badtype_id, errstr, errstr_size);
    size_t snapshot = n / 10 < 20 ? n / 10 : 20;
    while (!rc && g.left > 0) {
        if (n - g.left < snapshot)
            rc = gen_order(&g, true);
        else {
            int64_t roll = below(&g, 1000);
            rc = roll < 280   ? gen_order(&g, false)
                 : roll < 288 ? gen_bad_cdc(&g)
                              : gen_event(&g);
        }
        g.clock += 100 + below(&g, 2900);
    }
    if (rc && g.cb_rc)
        rc = g.cb_rc;
    else if (rc && !errstr[0])
        snprintf(errstr, errstr_size,
                 "enrich_generate: encoding a record failed");
    gen_free(&g);
    return rc;
}
