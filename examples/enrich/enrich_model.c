/* enrich_model.c - the expected output of the enrich topology for
 * generated input, computed without Kafka, Avro or the DSL: the orders
 * table, the per-user statistics and the dedup rule kept in plain maps,
 * applied in the order the records are processed.
 *
 * The rule (README.md, "What the model expects"): each record is applied
 * in turn; a valid event is enriched with the statistics of the orders
 * applied before it; it is a duplicate when a valid event with the same
 * event_id was seen (kept or dropped) at a time within the dedup window
 * of its own, before or after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"

/* ---- a string-keyed hash map (open addressing) --------------------------- */
typedef struct slot {
    char *key;
    void *val;
} slot_t;

typedef struct map {
    slot_t *slots;
    size_t cap, len;
} map_t;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static slot_t *find(map_t *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
        if (!m->slots[i].key || !strcmp(m->slots[i].key, key))
            return &m->slots[i];
}

static void *map_get(map_t *m, const char *key)
{
    slot_t *s = find(m, key);
    return s && s->key ? s->val : NULL;
}

/* Insert key -> val (key copied). @returns 0 or -1 (out of memory). */
static int map_put(map_t *m, const char *key, void *val)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        slot_t *old = m->slots;
        size_t oldcap = m->cap;
        if (!(m->slots = calloc(cap, sizeof(*m->slots)))) {
            m->slots = old;
            return -1;
        }
        m->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key)
                *find(m, old[i].key) = old[i];
        free(old);
    }
    slot_t *s = find(m, key);
    if (!s->key) {
        if (!(s->key = strdup(key)))
            return -1;
        m->len++;
    }
    s->val = val;
    return 0;
}

static void map_free(map_t *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        free(m->slots[i].val);
    }
    free(m->slots);
}

/* ---- the model ------------------------------------------------------------ */
typedef struct order {
    char user[ENRICH_ID_MAX + 1];
    bool counted; /* not cancelled */
    int64_t cents;
    bool live;
} order_t;

typedef struct sightings {
    size_t n, cap;
    int64_t *ts;
} sightings_t;

typedef struct outs {
    enrich_expected_t *items;
    size_t n, cap;
} outs_t;

struct enrich_model {
    int64_t window_ms, vip_cents;
    map_t orders; /* "<order_id>" -> order_t */
    map_t users;  /* user_id -> enrich_stats_t */
    map_t seen;   /* event_id -> sightings_t */
    outs_t out, dlq;
    size_t duplicates;
};

enrich_model_t *enrich_model_new(const enrich_opts_t *o)
{
    enrich_opts_t def;
    enrich_opts_init(&def);
    if (!o)
        o = &def;
    if (o->dedup_window_ms <= 0 || o->vip_cents <= 0)
        return NULL;
    enrich_model_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->window_ms = o->dedup_window_ms;
    m->vip_cents = o->vip_cents;
    return m;
}

static void outs_free(outs_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->items[i].key);
        free(o->items[i].value);
    }
    free(o->items);
}

void enrich_model_destroy(enrich_model_t *m)
{
    if (!m)
        return;
    map_free(&m->orders);
    map_free(&m->users);
    for (size_t i = 0; i < m->seen.cap; i++)
        if (m->seen.slots[i].key)
            free(((sightings_t *)m->seen.slots[i].val)->ts);
    map_free(&m->seen);
    outs_free(&m->out);
    outs_free(&m->dlq);
    free(m);
}

static char *dupmem(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static int outs_add(outs_t *o, const void *key, size_t klen,
                    const void *value, size_t vlen, int64_t ts)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        enrich_expected_t *p = realloc(o->items, cap * sizeof(*p));
        if (!p)
            return -1;
        o->items = p;
        o->cap = cap;
    }
    enrich_expected_t *e = &o->items[o->n];
    memset(e, 0, sizeof(*e));
    e->null_key = key == NULL;
    e->key = dupmem(key ? key : "", key ? klen : 0);
    e->key_len = key ? klen : 0;
    e->value = value ? dupmem(value, vlen) : NULL;
    e->value_len = value ? vlen : 0;
    e->timestamp = ts;
    if (!e->key || (value && !e->value)) {
        free(e->key);
        free(e->value);
        return -1;
    }
    o->n++;
    return 0;
}

static enrich_stats_t *user_stats(enrich_model_t *m, const char *user)
{
    enrich_stats_t *s = map_get(&m->users, user);
    if (s)
        return s;
    if (!(s = calloc(1, sizeof(*s))) || map_put(&m->users, user, s)) {
        free(s);
        return NULL;
    }
    return s;
}

/* Take order o out of its user's statistics (a delete or the old row). */
static int order_remove(enrich_model_t *m, order_t *o)
{
    if (o->live && o->counted) {
        enrich_stats_t *s = user_stats(m, o->user);
        if (!s)
            return -1;
        s->order_count--;
        s->total_cents -= o->cents;
    }
    o->live = false;
    return 0;
}

static int order_apply(enrich_model_t *m, const enrich_gen_record_t *r)
{
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)r->order.order_id);
    order_t *o = map_get(&m->orders, id);
    if (!o) {
        if (!(o = calloc(1, sizeof(*o))) || map_put(&m->orders, id, o)) {
            free(o);
            return -1;
        }
    }
    if (order_remove(m, o))
        return -1;
    if (r->kind != ENRICH_ORDER_UPSERT)
        return 0;
    if (!r->order.user_id || !r->order.status ||
        strlen(r->order.user_id) >= sizeof(o->user))
        return -1;
    snprintf(o->user, sizeof(o->user), "%s", r->order.user_id);
    o->cents = r->order.total_cents;
    o->counted = strcmp(r->order.status, "cancelled") != 0;
    o->live = true;
    if (o->counted) {
        enrich_stats_t *s = user_stats(m, o->user);
        if (!s)
            return -1;
        s->order_count++;
        s->total_cents += o->cents;
    }
    return 0;
}

/* Whether event_id was seen within the window of ts; remember ts. */
static int sighting(enrich_model_t *m, const char *event_id, int64_t ts,
                    bool *dup)
{
    sightings_t *s = map_get(&m->seen, event_id);
    if (!s) {
        if (!(s = calloc(1, sizeof(*s))) || map_put(&m->seen, event_id, s)) {
            free(s);
            return -1;
        }
    }
    *dup = false;
    for (size_t i = 0; i < s->n && !*dup; i++)
        *dup = s->ts[i] >= ts - m->window_ms && s->ts[i] <= ts + m->window_ms;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 2;
        int64_t *p = realloc(s->ts, cap * sizeof(*p));
        if (!p)
            return -1;
        s->ts = p;
        s->cap = cap;
    }
    s->ts[s->n++] = ts;
    return 0;
}

static int event_apply(enrich_model_t *m, const enrich_gen_record_t *r)
{
    const enrich_event_t *ev = &r->event;
    if (!ev->event_id || !ev->user_id || !ev->type)
        return -1;
    bool dup;
    if (sighting(m, ev->event_id, r->timestamp, &dup))
        return -1;
    if (dup) {
        m->duplicates++;
        return 0;
    }
    enrich_stats_t zero = {0, 0};
    enrich_stats_t *s = map_get(&m->users, ev->user_id);
    kstream_buf_t *buf = kstream_buf_new();
    if (!buf || enrich_format_output(ev, s ? s : &zero, m->vip_cents, buf)) {
        kstream_buf_destroy(buf);
        return -1;
    }
    kstream_bytes_t v = kstream_buf_bytes(buf);
    int rc = outs_add(&m->out, ev->user_id, strlen(ev->user_id), v.data,
                      v.len, ev->ts);
    kstream_buf_destroy(buf);
    return rc;
}

int enrich_model_add(enrich_model_t *m, const enrich_gen_record_t *r)
{
    if (!m || !r)
        return -1;
    switch (r->kind) {
    case ENRICH_EVENT:
        return event_apply(m, r);
    case ENRICH_EVENT_INVALID:
    case ENRICH_ORDER_INVALID:
        return outs_add(&m->dlq, r->key, r->key_len, r->value, r->value_len,
                        r->timestamp);
    case ENRICH_ORDER_UPSERT:
    case ENRICH_ORDER_DELETE:
    case ENRICH_ORDER_TOMBSTONE:
        return order_apply(m, r);
    }
    return -1;
}

size_t enrich_model_output_count(const enrich_model_t *m)
{
    return m ? m->out.n : 0;
}

const enrich_expected_t *enrich_model_output(const enrich_model_t *m,
                                             size_t i)
{
    return m && i < m->out.n ? &m->out.items[i] : NULL;
}

size_t enrich_model_dlq_count(const enrich_model_t *m)
{
    return m ? m->dlq.n : 0;
}

const enrich_expected_t *enrich_model_dlq(const enrich_model_t *m, size_t i)
{
    return m && i < m->dlq.n ? &m->dlq.items[i] : NULL;
}

size_t enrich_model_duplicates(const enrich_model_t *m)
{
    return m ? m->duplicates : 0;
}
