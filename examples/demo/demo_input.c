/* demo_input.c - the demo's generated input and the models' expected
 * output.
 *
 * The enrich model applies records in the order the topology processes
 * them. On Kafka an event and an order change processed by the same task
 * race (the change goes through a repartition topic first), so the demo
 * feeds enrich in chunks of DEMO_CHUNKS: a chunk's order changes, then
 * (once the statistics store holds what they make) its events, in their
 * generated order. The model gets the records in that order, so each
 * event's statistics are exact. A last event, two minutes after every
 * other, closes aggregate's windows (a window closes when stream time
 * passes its end + grace). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "demo_int.h"

#define DEMO_CHUNKS 10

static void erec_free(demo_erec_t *e)
{
    free(e->key);
    free(e->value);
    free(e->s[0]);
    free(e->s[1]);
    free(e->s[2]);
}

void demo_input_destroy(demo_input_t *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->ne; i++)
        erec_free(&in->e[i]);
    free(in->e);
    free(in->chunk_out);
    free(in->chunk_dlq);
    demo_recs_free(&in->tele);
    enrich_model_destroy(in->em);
    aggregate_model_destroy(in->am);
    sessionize_model_destroy(in->sm);
    free(in);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Keep a deep copy of a generated enrich record. */
static int keep(const enrich_gen_record_t *r, void *opaque)
{
    demo_input_t *in = opaque;
    if (in->ne == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 1024;
        demo_erec_t *e = realloc(in->e, cap * sizeof(*e));
        if (!e)
            return -1;
        in->e = e;
        in->cap = cap;
    }
    demo_erec_t *e = &in->e[in->ne];
    memset(e, 0, sizeof(*e));
    e->r = *r;
    e->orders = !strcmp(r->topic, ENRICH_ORDERS_TOPIC);
    if ((r->key && !(e->key = malloc(r->key_len + 1))) ||
        (r->value && !(e->value = malloc(r->value_len + 1))))
        goto fail;
    if (r->key)
        memcpy(e->key, r->key, r->key_len);
    if (r->value)
        memcpy(e->value, r->value, r->value_len);
    e->r.key = e->key;
    e->r.value = e->value;
    if (r->kind == ENRICH_EVENT || r->kind == ENRICH_EVENT_INVALID) {
        e->s[0] = dup_or_null(r->event.event_id);
        e->s[1] = dup_or_null(r->event.user_id);
        e->s[2] = dup_or_null(r->event.type);
        e->r.event.event_id = e->s[0];
        e->r.event.user_id = e->s[1];
        e->r.event.type = e->s[2];
    } else {
        e->s[1] = dup_or_null(r->order.user_id);
        e->s[2] = dup_or_null(r->order.status);
        e->r.order.user_id = e->s[1];
        e->r.order.status = e->s[2];
    }
    if (in->max_ts < r->timestamp)
        in->max_ts = r->timestamp;
    in->ne++;
    return 0;
fail:
    erec_free(e);
    return -1;
}

/* The last event: late enough to close every window before it. */
static int closing_event(demo_input_t *in, kstream_avro_registry_t *reg,
                         char *errstr, size_t errstr_size)
{
    kstream_avro_schema_t *s = kstream_avro_schema_new(
            enrich_user_event_schema, errstr, errstr_size);
    kstream_avro_value_t *v = s ? kstream_avro_value_new(s, errstr,
                                                         errstr_size)
                                : NULL;
    kstream_buf_t *val = kstream_buf_new();
    int32_t id = -1;
    int rc = -1;
    enrich_event_t ev = {"e-closing", "u-0000", "view", 0,
                         in->max_ts + 120000};
    if (v && val &&
        !kstream_avro_registry_lookup(reg, ENRICH_EVENTS_SUBJECT, s, &id,
                                      errstr, errstr_size) &&
        !enrich_event_encode(v, id, &ev, val)) {
        kstream_bytes_t b = kstream_buf_bytes(val);
        enrich_gen_record_t r = {.topic = ENRICH_EVENTS_TOPIC,
                                 .key = ev.user_id,
                                 .key_len = strlen(ev.user_id),
                                 .value = b.data,
                                 .value_len = b.len,
                                 .timestamp = ev.ts,
                                 .kind = ENRICH_EVENT,
                                 .event = ev,
                                 .note = "closing"};
        rc = keep(&r, in);
        if (rc)
            snprintf(errstr, errstr_size, "out of memory");
    } else if (s && v && val && !errstr[0])
        snprintf(errstr, errstr_size, "cannot encode the closing event");
    kstream_buf_destroy(val);
    kstream_avro_value_destroy(v);
    kstream_avro_schema_destroy(s);
    return rc;
}

static kstream_err_t keep_telemetry(const char *topic, const void *key,
                                    size_t klen, const void *value,
                                    size_t vlen, int64_t ts, void *opaque)
{
    (void)topic;
    demo_input_t *in = opaque;
    if (demo_recs_add(&in->tele, key, klen, value, vlen, ts))
        return KSTREAM_ERR_NO_MEMORY;
    return sessionize_model_add(in->sm, key, klen, value, vlen, ts);
}

/* Feed the enrich model chunk by chunk (orders, then events), noting the
 * outputs expected after each chunk; then aggregate's model with them. */
static int run_models(demo_input_t *in)
{
    in->nchunks = DEMO_CHUNKS;
    in->chunk_size = (in->ne + DEMO_CHUNKS - 1) / DEMO_CHUNKS;
    in->chunk_out = calloc(DEMO_CHUNKS, sizeof(size_t));
    in->chunk_dlq = calloc(DEMO_CHUNKS, sizeof(size_t));
    if (!in->chunk_out || !in->chunk_dlq)
        return -1;
    for (size_t c = 0; c < in->nchunks; c++) {
        size_t lo = c * in->chunk_size, hi = lo + in->chunk_size;
        for (int phase = 1; phase >= 0; phase--)
            for (size_t i = lo; i < hi && i < in->ne; i++)
                if (in->e[i].orders == phase &&
                    enrich_model_add(in->em, &in->e[i].r))
                    return -1;
        in->chunk_out[c] = enrich_model_output_count(in->em);
        in->chunk_dlq[c] = enrich_model_dlq_count(in->em);
    }
    for (size_t i = 0; i < enrich_model_output_count(in->em); i++) {
        const enrich_expected_t *x = enrich_model_output(in->em, i);
        if (aggregate_model_add(in->am, x->null_key ? NULL : x->key,
                                x->key_len, x->value, x->value_len,
                                x->timestamp))
            return -1;
    }
    return 0;
}

demo_input_t *demo_input_new(kstream_avro_registry_t *reg, uint64_t seed,
                             size_t n, const enrich_opts_t *eo,
                             const aggregate_opts_t *ao,
                             const sessionize_opts_t *so, char *errstr,
                             size_t errstr_size)
{
    demo_input_t *in = calloc(1, sizeof(*in));
    errstr[0] = '\0';
    if (!in || !(in->em = enrich_model_new(eo)) ||
        !(in->am = aggregate_model_new(ao)) ||
        !(in->sm = sessionize_model_new(so))) {
        snprintf(errstr, errstr_size, "out of memory");
        demo_input_destroy(in);
        return NULL;
    }
    kstream_err_t err;
    if (enrich_generate(reg, seed, n, keep, in, errstr, errstr_size) ||
        closing_event(in, reg, errstr, errstr_size))
        ;
    else if ((err = sessionize_generate(seed, n, keep_telemetry, in)))
        snprintf(errstr, errstr_size, "sessionize_generate: %s",
                 kstream_err2str(err));
    else if (run_models(in))
        snprintf(errstr, errstr_size, "the models failed (out of memory?)");
    else
        return in;
    if (!errstr[0])
        snprintf(errstr, errstr_size, "generating the input failed");
    demo_input_destroy(in);
    return NULL;
}

const enrich_model_t *demo_input_enrich(const demo_input_t *in)
{
    return in ? in->em : NULL;
}
const aggregate_model_t *demo_input_aggregate(const demo_input_t *in)
{
    return in ? in->am : NULL;
}
const sessionize_model_t *demo_input_sessionize(const demo_input_t *in)
{
    return in ? in->sm : NULL;
}
void demo_input_sizes(const demo_input_t *in, size_t *enrich,
                      size_t *sessionize)
{
    *enrich = in ? in->ne : 0;
    *sessionize = in ? in->tele.n : 0;
}
