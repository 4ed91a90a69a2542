/* sessionize_model.c - the exact expected outputs of the sessionize
 * topology for a list of telemetry.raw records (see sessionize.h). It
 * follows the library's rules: deduplication within the window either
 * way; a session store search for sessions of the key with end >= ts - gap
 * and start <= ts + gap that are still live (end > stream time - (gap +
 * grace)), merged oldest end first, the reading folded in last; late when
 * the merged session ends before stream time - grace - gap; suppression
 * emitting a session once stream time >= end + gap + grace + 1, by due
 * time then windowed key (device, end, start big-endian). */
#include <stdlib.h>
#include <string.h>

#include "sessionize.h"

typedef struct sess {
    char *dev;
    size_t dlen;
    int64_t start, end, count;
    double min, max, sum;
} sess_t;

typedef struct seen {
    char *id;
    size_t len;
    int64_t ts;
} seen_t;

typedef struct recs {
    sessionize_rec_t *v;
    size_t n, cap;
} recs_t;

struct sessionize_model_s {
    sessionize_opts_t o;
    int64_t stream_time;
    sess_t *s;
    size_t ns, caps;
    seen_t *seen;
    size_t nseen, capseen;
    recs_t sessions, alerts, dlq;
    size_t invalid, late, dups;
};

sessionize_model_t *sessionize_model_new(const sessionize_opts_t *o)
{
    sessionize_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (o)
        m->o = *o;
    else
        sessionize_opts_default(&m->o);
    if (m->o.gap_ms <= 0 || m->o.grace_ms < 0 || m->o.dedup_window_ms <= 0 ||
        m->o.max_session_ms < 0) {
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

void sessionize_model_destroy(sessionize_model_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ns; i++)
        free(m->s[i].dev);
    for (size_t i = 0; i < m->nseen; i++)
        free(m->seen[i].id);
    free(m->s);
    free(m->seen);
    recs_free(&m->sessions);
    recs_free(&m->alerts);
    recs_free(&m->dlq);
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

static kstream_err_t grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return KSTREAM_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return KSTREAM_ERR_NO_MEMORY;
    *v = nv;
    *cap = ncap;
    return KSTREAM_OK;
}

static kstream_err_t recs_add(recs_t *r, const void *key, size_t klen,
                              const void *value, size_t vlen, int64_t ts)
{
    if (grow((void **)&r->v, &r->cap, r->n, sizeof *r->v))
        return KSTREAM_ERR_NO_MEMORY;
    sessionize_rec_t *e = &r->v[r->n];
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

static kstream_err_t add_buf(recs_t *r, const char *key, size_t klen,
                             kstream_buf_t *buf, kstream_err_t err,
                             int64_t ts)
{
    if (!err) {
        kstream_bytes_t j = kstream_buf_bytes(buf);
        err = recs_add(r, key, klen, j.data, j.len, ts);
    }
    kstream_buf_destroy(buf);
    return err;
}

/* A duplicate: an id seen within the window either way. Every sighting is
 * remembered, duplicates too, as the library does. */
static kstream_err_t dedup(sessionize_model_t *m, const sessionize_reading_t *r,
                           bool *dup)
{
    *dup = false;
    for (size_t i = 0; i < m->nseen && !*dup; i++) {
        const seen_t *s = &m->seen[i];
        int64_t d = s->ts > r->ts ? s->ts - r->ts : r->ts - s->ts;
        *dup = s->len == r->msg_id_len && !memcmp(s->id, r->msg_id, s->len) &&
               d <= m->o.dedup_window_ms;
    }
    if (grow((void **)&m->seen, &m->capseen, m->nseen, sizeof *m->seen))
        return KSTREAM_ERR_NO_MEMORY;
    seen_t *s = &m->seen[m->nseen];
    if (!(s->id = dup_bytes(r->msg_id, r->msg_id_len)))
        return KSTREAM_ERR_NO_MEMORY;
    s->len = r->msg_id_len;
    s->ts = r->ts;
    m->nseen++;
    return KSTREAM_OK;
}

/* Byte i of a session's windowed key: device, end, start (big-endian). */
static unsigned char wkey_byte(const sess_t *x, size_t i)
{
    if (i < x->dlen)
        return (unsigned char)x->dev[i];
    i -= x->dlen;
    uint64_t v = (uint64_t)(i < 8 ? x->end : x->start);
    return (unsigned char)(v >> (56 - 8 * (i % 8)));
}

/* The order of two sessions' windowed keys (bytes, shorter first). */
static int wkey_cmp(const sess_t *x, const sess_t *y)
{
    size_t nx = x->dlen + 16, ny = y->dlen + 16;
    for (size_t i = 0; i < nx && i < ny; i++) {
        unsigned char a = wkey_byte(x, i), b = wkey_byte(y, i);
        if (a != b)
            return a < b ? -1 : 1;
    }
    return nx < ny ? -1 : nx > ny;
}

static int due_cmp(const void *a, const void *b)
{
    const sess_t *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return wkey_cmp(x, y);
}

static kstream_err_t emit_due(sessionize_model_t *m)
{
    if (m->ns)
        qsort(m->s, m->ns, sizeof *m->s, due_cmp);
    size_t keep = 0;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < m->ns; i++) {
        sess_t *s = &m->s[i];
        if (err || s->end + m->o.gap_ms + m->o.grace_ms + 1 > m->stream_time) {
            m->s[keep++] = *s;
            continue;
        }
        kstream_buf_t *buf = kstream_buf_new();
        err = buf ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
        if (!err)
            err = add_buf(&m->sessions, s->dev, s->dlen, buf,
                          sessionize_session_json(buf, s->dev, s->dlen,
                                                  s->start, s->end, s->count,
                                                  s->min, s->max, s->sum),
                          s->end);
        if (!err && s->end - s->start > m->o.max_session_ms) {
            buf = kstream_buf_new();
            err = buf ? add_buf(&m->alerts, s->dev, s->dlen, buf,
                                sessionize_long_session_json(
                                        buf, s->dev, s->dlen, s->start, s->end,
                                        m->o.max_session_ms),
                                s->end)
                      : KSTREAM_ERR_NO_MEMORY;
        }
        free(s->dev);
    }
    m->ns = keep;
    return err;
}

/* Fold reading r into the sessions of its device (or find it late). */
static kstream_err_t sessionize_reading(sessionize_model_t *m,
                                        const sessionize_reading_t *r,
                                        bool *late)
{
    int64_t gap = m->o.gap_ms, now = m->stream_time;
    int64_t earliest_end = r->ts - gap < 0 ? 0 : r->ts - gap;
    int64_t live_from = now - (gap + m->o.grace_ms) + 1;
    sess_t merged = {.start = r->ts, .end = r->ts, .min = r->reading,
                     .max = r->reading};
    double sum = 0.0;
    int64_t count = 0;
    /* Found sessions, oldest end (then start) first. */
    if (m->ns)
        qsort(m->s, m->ns, sizeof *m->s, due_cmp);
    bool *take = calloc(m->ns ? m->ns : 1, sizeof *take);
    if (!take)
        return KSTREAM_ERR_NO_MEMORY;
    for (size_t i = 0; i < m->ns; i++) {
        const sess_t *s = &m->s[i];
        if (s->dlen != r->device_id_len ||
            memcmp(s->dev, r->device_id, s->dlen) || s->end < earliest_end ||
            s->start > r->ts + gap || s->end < live_from)
            continue;
        take[i] = true;
        sum += s->sum;
        count += s->count;
        if (s->min < merged.min)
            merged.min = s->min;
        if (s->max > merged.max)
            merged.max = s->max;
        if (s->start < merged.start)
            merged.start = s->start;
        if (s->end > merged.end)
            merged.end = s->end;
    }
    *late = merged.end < now - m->o.grace_ms - gap;
    if (*late) {
        free(take);
        return KSTREAM_OK;
    }
    size_t keep = 0;
    for (size_t i = 0; i < m->ns; i++) {
        if (take[i])
            free(m->s[i].dev);
        else
            m->s[keep++] = m->s[i];
    }
    m->ns = keep;
    free(take);
    merged.sum = sum + r->reading;
    merged.count = count + 1;
    merged.dlen = r->device_id_len;
    if (!(merged.dev = dup_bytes(r->device_id, r->device_id_len)) ||
        grow((void **)&m->s, &m->caps, m->ns, sizeof *m->s)) {
        free(merged.dev);
        return KSTREAM_ERR_NO_MEMORY;
    }
    m->s[m->ns++] = merged;
    return KSTREAM_OK;
}

kstream_err_t sessionize_model_add(sessionize_model_t *m, const void *key,
                                   size_t klen, const void *value,
                                   size_t vlen, int64_t timestamp)
{
    if (!m)
        return KSTREAM_ERR_INVALID_ARG;
    int64_t ts = sessionize_timestamp(value, vlen, timestamp);
    if (ts < 0)
        return KSTREAM_ERR_INVALID_ARG; /* the library would fail it too */
    if (ts > m->stream_time)
        m->stream_time = ts;
    sessionize_reading_t r;
    kstream_json_t *json = NULL;
    kstream_err_t err = KSTREAM_OK;
    bool dup = false, late = false;
    if (sessionize_parse(key, klen, value, vlen, &r, &json, NULL, 0)) {
        m->invalid++;
        err = recs_add(&m->dlq, key, klen, value, vlen, timestamp);
    } else if (!(err = dedup(m, &r, &dup)) && dup) {
        m->dups++;
    } else if (!err) {
        if (r.reading > m->o.threshold) {
            kstream_buf_t *buf = kstream_buf_new();
            err = buf ? add_buf(&m->alerts, r.device_id, r.device_id_len, buf,
                                sessionize_threshold_json(buf, &r,
                                                          m->o.threshold),
                                r.ts)
                      : KSTREAM_ERR_NO_MEMORY;
        }
        if (!err)
            err = sessionize_reading(m, &r, &late);
        if (!err && late) {
            m->late++;
            err = recs_add(&m->dlq, key, klen, value, vlen, timestamp);
        }
    }
    kstream_json_destroy(json);
    return err ? err : emit_due(m);
}

size_t sessionize_model_sessions(const sessionize_model_t *m)
{
    return m ? m->sessions.n : 0;
}

const sessionize_rec_t *sessionize_model_session(const sessionize_model_t *m,
                                                 size_t i)
{
    return m && i < m->sessions.n ? &m->sessions.v[i] : NULL;
}

size_t sessionize_model_alerts(const sessionize_model_t *m)
{
    return m ? m->alerts.n : 0;
}

const sessionize_rec_t *sessionize_model_alert(const sessionize_model_t *m,
                                               size_t i)
{
    return m && i < m->alerts.n ? &m->alerts.v[i] : NULL;
}

size_t sessionize_model_dlq(const sessionize_model_t *m)
{
    return m ? m->dlq.n : 0;
}

const sessionize_rec_t *sessionize_model_dlq_at(const sessionize_model_t *m,
                                                size_t i)
{
    return m && i < m->dlq.n ? &m->dlq.v[i] : NULL;
}

void sessionize_model_counts(const sessionize_model_t *m, size_t *invalid,
                             size_t *late, size_t *duplicates,
                             size_t *open_sessions)
{
    if (invalid)
        *invalid = m ? m->invalid : 0;
    if (late)
        *late = m ? m->late : 0;
    if (duplicates)
        *duplicates = m ? m->dups : 0;
    if (open_sessions)
        *open_sessions = m ? m->ns : 0;
}
