/* aggregate_gen.c - the aggregate example's generator of events.enriched
 * records and its model of the expected outputs (see aggregate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define T0 1700000040000LL /* 2023-11-14T22:14:00Z, a minute boundary */
#define NUSERS 50

/* splitmix64: the same numbers for the same seed everywhere. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

typedef struct user {
    char id[32];
    int64_t orders, total_cents;
} user_t;

/* The segment the contract derives from a user's order statistics. */
static const char *segment_of(int64_t orders, int64_t total_cents)
{
    if (orders == 0)
        return "new";
    return total_cents >= 100000 ? "vip" : "regular";
}

typedef struct gen {
    uint64_t rng, seed;
    size_t seq;
    aggregate_emit_cb *emit;
    void *opaque;
} gen_t;

static kstream_err_t emit_event(gen_t *g, const char *user_id, int64_t orders,
                                int64_t total_cents, const char *type,
                                int64_t amount, int64_t ts)
{
    char value[320];
    int n = snprintf(value, sizeof value,
                     "{\"event_id\":\"e-%llu-%zu\",\"user_id\":\"%s\","
                     "\"type\":\"%s\",\"amount\":%lld,\"ts\":%lld,"
                     "\"order_count\":%lld,\"total_cents\":%lld,"
                     "\"segment\":\"%s\"}",
                     (unsigned long long)g->seed, g->seq++, user_id, type,
                     (long long)amount, (long long)ts, (long long)orders,
                     (long long)total_cents, segment_of(orders, total_cents));
    return g->emit(AGGREGATE_INPUT_TOPIC, user_id, strlen(user_id), value,
                   (size_t)n, ts, g->opaque);
}

static const char *pick_type(gen_t *g)
{
    unsigned r = (unsigned)(next_rand(&g->rng) % 100);
    return aggregate_types[r < 50 ? 0 : r < 80 ? 1 : r < 95 ? 2 : 3];
}

static int64_t amount_of(gen_t *g, const char *type)
{
    if (!strcmp(type, "purchase"))
        return 100 + (int64_t)(next_rand(&g->rng) % 49901);
    if (!strcmp(type, "refund"))
        return 100 + (int64_t)(next_rand(&g->rng) % 19901);
    return 0;
}

static kstream_err_t emit_user_event(gen_t *g, const user_t *u,
                                     const char *type, int64_t ts)
{
    return emit_event(g, u->id, u->orders, u->total_cents, type,
                      amount_of(g, type), ts);
}

/* One invalid record of five kinds. */
static kstream_err_t emit_invalid(gen_t *g, const user_t *u, int64_t ts)
{
    char value[256];
    int n;
    switch (next_rand(&g->rng) % 5) {
    case 0: /* truncated JSON */
        n = snprintf(value, sizeof value, "{\"event_id\":\"e-%zu\",\"user",
                     g->seq++);
        break;
    case 1: /* no segment */
        n = snprintf(value, sizeof value,
                     "{\"event_id\":\"e-%zu\",\"user_id\":\"%s\",\"type\":"
                     "\"view\",\"amount\":0,\"ts\":%lld,\"order_count\":0,"
                     "\"total_cents\":0}",
                     g->seq++, u->id, (long long)ts);
        break;
    case 2: /* unknown type */
        n = snprintf(value, sizeof value,
                     "{\"event_id\":\"e-%zu\",\"user_id\":\"%s\",\"type\":"
                     "\"hover\",\"amount\":0,\"ts\":%lld,\"order_count\":0,"
                     "\"total_cents\":0,\"segment\":\"new\"}",
                     g->seq++, u->id, (long long)ts);
        break;
    case 3: /* amount as a string */
        n = snprintf(value, sizeof value,
                     "{\"event_id\":\"e-%zu\",\"user_id\":\"%s\",\"type\":"
                     "\"purchase\",\"amount\":\"12.50\",\"ts\":%lld,"
                     "\"order_count\":1,\"total_cents\":1250,\"segment\":"
                     "\"regular\"}",
                     g->seq++, u->id, (long long)ts);
        break;
    default: /* a tombstone */
        return g->emit(AGGREGATE_INPUT_TOPIC, u->id, strlen(u->id), NULL, 0,
                       ts, g->opaque);
    }
    return g->emit(AGGREGATE_INPUT_TOPIC, u->id, strlen(u->id), value,
                   (size_t)n, ts, g->opaque);
}

kstream_err_t aggregate_generate(uint64_t seed, size_t n,
                                 aggregate_emit_cb *emit, void *opaque)
{
    if (!emit)
        return KSTREAM_ERR_INVALID_ARG;
    gen_t g = {.rng = seed, .seed = seed, .emit = emit, .opaque = opaque};
    user_t users[NUSERS];
    for (int i = 0; i < NUSERS; i++) {
        snprintf(users[i].id, sizeof users[i].id, "user-%02d", i);
        users[i].orders = i % 5 == 0 ? 0 : 1 + i % 4; /* 1 in 5 are new */
        users[i].total_cents = i % 5 == 0 ? 0 : i % 3 == 0 ? 120000 + i * 100
                                                           : 2500 * (i % 7 + 1);
    }
    int64_t clock = T0;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < n && !err;) {
        int64_t prev = clock;
        clock += (int64_t)(next_rand(&g.rng) % 601);
        if (i == n / 2) /* halfway, users 0-4 place an order */
            for (int k = 0; k < 5; k++) {
                users[k].orders++;
                users[k].total_cents += 30000;
            }
        user_t *u = &users[next_rand(&g.rng) % NUSERS];
        if (clock / 60000 != prev / 60000) { /* exactly on the boundary */
            err = emit_user_event(&g, u, pick_type(&g),
                                  clock / 60000 * 60000);
            i++;
            continue;
        }
        unsigned r = (unsigned)(next_rand(&g.rng) % 100);
        if (r < 3) {
            err = emit_invalid(&g, u, clock);
            i++;
        } else if (r < 6) { /* out of order, within the grace */
            int64_t ts = clock - 1 - (int64_t)(next_rand(&g.rng) % 5000);
            err = emit_user_event(&g, u, pick_type(&g), ts < T0 ? T0 : ts);
            i++;
        } else if (r < 8 && i + 2 <= n && clock - T0 >= 240000) {
            /* late: after an event of the same key at the current time */
            const char *type = pick_type(&g);
            err = emit_user_event(&g, u, type, clock);
            int64_t late = clock - 180000 -
                           (int64_t)(next_rand(&g.rng) % 60000);
            if (!err)
                err = emit_user_event(&g, u, type, late);
            i += 2;
        } else {
            err = emit_user_event(&g, u, pick_type(&g), clock);
            i++;
        }
    }
    /* The tail: every (type, segment) well past the last window's close. */
    static const struct {
        const char *id;
        int64_t orders, total_cents;
    } flush[AGGREGATE_NSEGMENTS] = {{"flush-new", 0, 0},
                                    {"flush-regular", 1, 5000},
                                    {"flush-vip", 5, 150000}};
    for (int s = 0; s < AGGREGATE_NSEGMENTS && !err; s++)
        for (int t = 0; t < AGGREGATE_NTYPES && !err; t++)
            err = emit_event(&g, flush[s].id, flush[s].orders,
                             flush[s].total_cents, aggregate_types[t],
                             t == 2 ? 1000 : 0, clock + AGGREGATE_FLUSH_MS);
    return err;
}

/* ---- model ------------------------------------------------------------------ */
typedef struct win {
    char key[32];
    int64_t start, count, amount, ts;
} win_t;

typedef struct recs {
    aggregate_rec_t *v;
    size_t n, cap;
} recs_t;

struct aggregate_model_s {
    aggregate_opts_t o;
    int64_t stream_time;
    win_t *open;
    size_t nopen, capopen;
    recs_t rows, invalid, late;
    int64_t tot_count[AGGREGATE_NSEGMENTS], tot_amount[AGGREGATE_NSEGMENTS];
};

aggregate_model_t *aggregate_model_new(const aggregate_opts_t *o)
{
    aggregate_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (o)
        m->o = *o;
    else
        aggregate_opts_default(&m->o);
    if (m->o.window_ms <= 0 || m->o.grace_ms < 0) {
        free(m);
        return NULL;
    }
    m->stream_time = -1;
    return m;
}

static void recs_free(recs_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].key);
        free(r->v[i].value);
    }
    free(r->v);
}

void aggregate_model_destroy(aggregate_model_t *m)
{
    if (!m)
        return;
    recs_free(&m->rows);
    recs_free(&m->invalid);
    recs_free(&m->late);
    free(m->open);
    free(m);
}

static char *dup_bytes(const void *p, size_t len)
{
    if (!p)
        return NULL;
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

static kstream_err_t recs_add(recs_t *r, const void *key, size_t klen,
                              const void *value, size_t vlen, int64_t ts)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        aggregate_rec_t *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return KSTREAM_ERR_NO_MEMORY;
        r->v = v;
        r->cap = cap;
    }
    aggregate_rec_t *e = &r->v[r->n];
    e->key = dup_bytes(key, klen);
    e->value = dup_bytes(value, vlen);
    if ((key && !e->key) || (value && !e->value)) {
        free(e->key);
        free(e->value);
        return KSTREAM_ERR_NO_MEMORY;
    }
    e->klen = key ? klen : 0;
    e->vlen = value ? vlen : 0;
    e->timestamp = ts;
    r->n++;
    return KSTREAM_OK;
}

/* Suppression's order: due time, then the windowed key's bytes (key, then
 * the big-endian start, which is the same for windows due together). */
static int win_cmp(const void *a, const void *b)
{
    const win_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    size_t lx = strlen(x->key), ly = strlen(y->key);
    int c = memcmp(x->key, y->key, lx < ly ? lx : ly);
    return c ? c : lx < ly ? -1 : lx > ly;
}

/* Emit the windows due at the stream time, in suppression's order. */
static kstream_err_t emit_due(aggregate_model_t *m)
{
    qsort(m->open, m->nopen, sizeof *m->open, win_cmp);
    size_t keep = 0;
    for (size_t i = 0; i < m->nopen; i++) {
        win_t *w = &m->open[i];
        int64_t end = w->start + m->o.window_ms;
        if (end + m->o.grace_ms > m->stream_time) {
            m->open[keep++] = *w;
            continue;
        }
        const char *bar = strchr(w->key, '|');
        char json[256];
        int n = snprintf(json, sizeof json,
                         "{\"window_start\":%lld,\"window_end\":%lld,"
                         "\"type\":\"%.*s\",\"segment\":\"%s\",\"count\":%lld,"
                         "\"amount\":%lld}",
                         (long long)w->start, (long long)end,
                         (int)(bar - w->key), w->key, bar + 1,
                         (long long)w->count, (long long)w->amount);
        kstream_err_t err = recs_add(&m->rows, w->key, strlen(w->key), json,
                                     (size_t)n, w->ts);
        if (err)
            return err;
    }
    m->nopen = keep;
    return KSTREAM_OK;
}

kstream_err_t aggregate_model_add(aggregate_model_t *m, const void *key,
                                  size_t klen, const void *value, size_t vlen,
                                  int64_t ts)
{
    if (!m || ts < 0)
        return KSTREAM_ERR_INVALID_ARG;
    aggregate_event_t ev;
    if (aggregate_parse(value, vlen, &ev, NULL, 0))
        return recs_add(&m->invalid, key, klen, value, vlen, ts);
    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
        if (!strcmp(ev.segment, aggregate_segments[s])) {
            m->tot_count[s]++;
            m->tot_amount[s] = (int64_t)((uint64_t)m->tot_amount[s] +
                                         (uint64_t)ev.amount);
        }
    if (ts > m->stream_time)
        m->stream_time = ts;
    char wkey[32];
    snprintf(wkey, sizeof wkey, "%s|%s", ev.type, ev.segment);
    int64_t start = ts - ts % m->o.window_ms;
    if (start + m->o.window_ms <= m->stream_time - m->o.grace_ms)
        return recs_add(&m->late, wkey, strlen(wkey), value, vlen, ts);
    win_t *w = NULL;
    for (size_t i = 0; i < m->nopen && !w; i++)
        if (m->open[i].start == start && !strcmp(m->open[i].key, wkey))
            w = &m->open[i];
    if (!w) {
        if (m->nopen == m->capopen) {
            size_t cap = m->capopen ? m->capopen * 2 : 16;
            win_t *v = realloc(m->open, cap * sizeof *v);
            if (!v)
                return KSTREAM_ERR_NO_MEMORY;
            m->open = v;
            m->capopen = cap;
        }
        w = &m->open[m->nopen++];
        memset(w, 0, sizeof *w);
        memcpy(w->key, wkey, sizeof wkey);
        w->start = start;
        w->ts = ts;
    }
    w->count++;
    w->amount = (int64_t)((uint64_t)w->amount + (uint64_t)ev.amount);
    if (ts > w->ts)
        w->ts = ts;
    return emit_due(m);
}

size_t aggregate_model_rows(const aggregate_model_t *m)
{
    return m ? m->rows.n : 0;
}

const aggregate_rec_t *aggregate_model_row(const aggregate_model_t *m,
                                           size_t i)
{
    return m && i < m->rows.n ? &m->rows.v[i] : NULL;
}

size_t aggregate_model_invalid(const aggregate_model_t *m)
{
    return m ? m->invalid.n : 0;
}

const aggregate_rec_t *aggregate_model_invalid_at(const aggregate_model_t *m,
                                                  size_t i)
{
    return m && i < m->invalid.n ? &m->invalid.v[i] : NULL;
}

size_t aggregate_model_late(const aggregate_model_t *m)
{
    return m ? m->late.n : 0;
}

const aggregate_rec_t *aggregate_model_late_at(const aggregate_model_t *m,
                                               size_t i)
{
    return m && i < m->late.n ? &m->late.v[i] : NULL;
}

size_t aggregate_model_open_windows(const aggregate_model_t *m)
{
    return m ? m->nopen : 0;
}

kstream_err_t aggregate_model_total(const aggregate_model_t *m,
                                    const char *segment, int64_t *count,
                                    int64_t *amount)
{
    if (!m || !segment || !count || !amount)
        return KSTREAM_ERR_INVALID_ARG;
    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
        if (!strcmp(segment, aggregate_segments[s])) {
            *count = m->tot_count[s];
            *amount = m->tot_amount[s];
            return KSTREAM_OK;
        }
    return KSTREAM_ERR_NOT_FOUND;
}
