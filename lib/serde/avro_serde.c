/* avro_serde.c - the Avro serde in Confluent's wire format (Java's
 * KafkaAvroSerializer / KafkaAvroDeserializer) as a kstream_serde_t.
 *
 * Serialize: the subject from the strategy, the value schema's id from the
 * registry (registered, looked up, or the subject's latest version), then
 * the header and the encoding straight into the output buffer. The id of
 * each schema seen is kept in a few slots read without a lock (an entry is
 * published once and never changed), so the steady state takes no lock and
 * allocates nothing.
 * Deserialize: framing, the writer schema by id (the value caches the last
 * id, the registry the rest), then the resolving decoder into the value. */
#include "serde/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8

typedef struct enc_entry {
    kstream_avro_schema_t *schema; /* the value's schema, referenced */
    int32_t id;                    /* the id written */
    kstream_avro_schema_t *target; /* use.latest.version: the latest schema
                                      when it differs, else NULL */
} enc_entry_t;

typedef struct avro_serde {
    kstream_avro_registry_t *reg; /* referenced */
    char *topic;
    bool is_key;
    ks_strategy_t strategy;
    bool auto_register;
    bool use_latest;
    pthread_mutex_t lock; /* serialises slot publication */
    _Atomic(enc_entry_t *) slots[SLOTS];
} avro_serde_t;

static void entry_free(enc_entry_t *e) {
    if (!e)
        return;
    kstream_avro_schema_destroy(e->schema);
    kstream_avro_schema_destroy(e->target);
    free(e);
}

static void serde_free(void *opaque) {
    avro_serde_t *s = opaque;
    size_t i;

    for (i = 0; i < SLOTS; i++)
        entry_free(atomic_load(&s->slots[i]));
    ks_registry_unref(s->reg);
    pthread_mutex_destroy(&s->lock);
    free(s->topic);
    free(s);
}

/* The published entry for \p schema: the same object, else the same
 * schema text. */
static enc_entry_t *find(avro_serde_t *s, const kstream_avro_schema_t *sc) {
    enc_entry_t *e;
    size_t i;

    for (i = 0; i < SLOTS; i++) {
        e = atomic_load_explicit(&s->slots[i], memory_order_acquire);
        if (!e)
            break;
        if (e->schema == sc)
            return e;
    }
    for (i = 0; i < SLOTS; i++) {
        e = atomic_load_explicit(&s->slots[i], memory_order_acquire);
        if (!e)
            break;
        if (!strcmp(e->schema->norm, sc->norm))
            return e;
    }
    return NULL;
}

/* Ask the registry for the id of the value's schema; NULL with v->err. */
static enc_entry_t *resolve_id(avro_serde_t *s, kstream_avro_value_t *v,
                               bool *cached) {
    char msg[KS_AVRO_ERRSIZE], *subject;
    kstream_avro_schema_t *latest = NULL;
    enc_entry_t *e;
    kstream_err_t err;
    int32_t id = -1;
    size_t i;

    msg[0] = '\0';
    subject = ks_registry_subject(s->strategy, s->topic, s->is_key, v->schema,
                                  msg, sizeof(msg));
    if (!subject) {
        ks_avro_verr(v, KSTREAM_ERR_SERDE, "Avro serializer: %s", msg);
        return NULL;
    }
    if (s->use_latest)
        err = kstream_avro_registry_latest(s->reg, subject, &id, NULL,
                                           &latest, msg, sizeof(msg));
    else if (s->auto_register)
        err = kstream_avro_registry_register(s->reg, subject, v->schema, &id,
                                             msg, sizeof(msg));
    else
        err = kstream_avro_registry_lookup(s->reg, subject, v->schema, &id,
                                           msg, sizeof(msg));
    if (err) {
        ks_avro_verr(v, KSTREAM_ERR_SERDE,
                     "Avro serializer, subject \"%s\": %s%s", subject, msg,
                     err == KSTREAM_ERR_NOT_FOUND && !s->use_latest
                             ? " (auto.register.schemas is false)"
                             : "");
        free(subject);
        return NULL;
    }
    free(subject);
    e = calloc(1, sizeof(*e));
    if (!e) {
        kstream_avro_schema_destroy(latest);
        ks_avro_verr(v, KSTREAM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    e->schema = kstream_avro_schema_ref(v->schema);
    e->id = id;
    if (latest && strcmp(latest->canon, v->schema->canon))
        e->target = latest;
    else
        kstream_avro_schema_destroy(latest);
    /* Publish it in a free slot (once; entries never change), unless
     * another thread published the same meanwhile. */
    *cached = false;
    pthread_mutex_lock(&s->lock);
    for (i = 0; i < SLOTS && !*cached; i++) {
        enc_entry_t *cur = atomic_load(&s->slots[i]);
        if (cur && cur->schema == e->schema && cur->id == e->id &&
            !cur->target == !e->target) {
            entry_free(e);
            e = cur;
            *cached = true;
        } else if (!cur) {
            atomic_store_explicit(&s->slots[i], e, memory_order_release);
            *cached = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* use.latest.version with another schema: the value converted to it by
 * schema resolution (encode, then decode into a value of the latest). */
static kstream_err_t encode_converted(kstream_avro_value_t *v,
                                      const enc_entry_t *e, ks_buf_t *out) {
    kstream_avro_value_t *conv;
    kstream_err_t err;
    ks_buf_t tmp;

    conv = kstream_avro_value_new(e->target, v->err, sizeof(v->err));
    if (!conv)
        return KSTREAM_ERR_NO_MEMORY;
    ks_buf_init(&tmp, NULL);
    err = ks_avro_encode(v, v->schema->root, &v->value, &tmp);
    if (!err) {
        err = ks_avro_value_decode_with(conv, v->schema, tmp.data ? tmp.data
                                                                  : (void *)"",
                                        tmp.len);
        if (err)
            ks_avro_verr(v, err, "Avro serializer: the value does not "
                                 "convert to the subject's latest schema "
                                 "(id %d): %s",
                         e->id, conv->err);
    }
    if (!err && (err = ks_avro_encode(conv, e->target->root, &conv->value,
                                      out)))
        ks_avro_verr(v, err, "%s", conv->err);
    ks_buf_free(&tmp);
    kstream_avro_value_destroy(conv);
    return err;
}

static kstream_err_t serialize(const void *value, kstream_buf_t *out,
                               void *opaque) {
    avro_serde_t *s = opaque;
    kstream_avro_value_t *v = (kstream_avro_value_t *)value;
    enc_entry_t *e;
    kstream_err_t err;
    bool cached = true;
    uint8_t *hdr;
    size_t start;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!v->has_value)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "Avro serializer: the value has no schema");
    e = find(s, v->schema);
    if (!e && !(e = resolve_id(s, v, &cached)))
        return KSTREAM_ERR_SERDE;
    start = out->b.len;
    /* The header, written in place (room for a typical body with it). */
    if (ks_buf_reserve(&out->b, 256)) {
        err = ks_avro_verr(v, KSTREAM_ERR_NO_MEMORY, "out of memory");
    } else {
        hdr = out->b.data + start;
        hdr[0] = KSTREAM_AVRO_MAGIC;
        hdr[1] = (uint8_t)((uint32_t)e->id >> 24);
        hdr[2] = (uint8_t)((uint32_t)e->id >> 16);
        hdr[3] = (uint8_t)((uint32_t)e->id >> 8);
        hdr[4] = (uint8_t)e->id;
        out->b.len += KSTREAM_AVRO_HEADER_SIZE;
        err = e->target ? encode_converted(v, e, &out->b)
                        : ks_avro_encode(v, v->schema->root, &v->value,
                                         &out->b);
    }
    if (err)
        out->b.len = start;
    else
        v->schema_id = e->id;
    if (!cached)
        entry_free(e);
    return err ? KSTREAM_ERR_SERDE : KSTREAM_OK;
}

kstream_err_t kstream_avro_registry_decode(kstream_avro_registry_t *reg,
                                           const void *data, size_t len,
                                           kstream_avro_value_t *v) {
    char msg[KS_AVRO_ERRSIZE];
    kstream_avro_schema_t *writer = NULL;
    kstream_bytes_t body;
    kstream_err_t err;
    int32_t id;
    size_t i;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!reg)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_registry_decode: reg is NULL");
    err = kstream_avro_frame_parse(data, len, &id, &body, v->err,
                                   sizeof(v->err));
    if (err)
        return err;
    /* The ids this value decoded lately: no lock, no lookup. */
    if (v->reg == reg)
        for (i = 0; i < KS_AVRO_VALUE_CACHE && !writer; i++)
            if (v->ids[i].writer && v->ids[i].id == id)
                writer = v->ids[i].writer;
    if (!writer) {
        msg[0] = '\0';
        err = ks_registry_schema(reg, id, &writer, msg, sizeof(msg));
        if (err)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "Avro: schema id %d: %s", id, msg);
        if (v->reg != reg) { /* another registry: its ids are others */
            for (i = 0; i < KS_AVRO_VALUE_CACHE; i++) {
                kstream_avro_schema_destroy(v->ids[i].writer);
                v->ids[i].writer = NULL;
            }
            ks_registry_unref(v->reg);
            v->reg = ks_registry_ref(reg);
        }
        i = v->next_id++ % KS_AVRO_VALUE_CACHE;
        kstream_avro_schema_destroy(v->ids[i].writer);
        v->ids[i].writer = writer; /* the reference from the registry */
        v->ids[i].id = id;
    }
    v->schema_id = id;
    return ks_avro_value_decode_with(v, writer, body.data, body.len);
}

static kstream_err_t deserialize(const void *data, size_t len, void *value,
                                 void *opaque) {
    avro_serde_t *s = opaque;

    return kstream_avro_registry_decode(s->reg, data, len, value);
}

kstream_serde_t *kstream_avro_serde_new(kstream_avro_registry_t *reg,
                                        const kstream_avro_conf_t *conf,
                                        const char *topic, bool is_key,
                                        char *errstr, size_t errstr_size) {
    static const kstream_serde_ops_t ops = {"avro", serialize, deserialize};
    kstream_serde_t *serde;
    avro_serde_t *s;
    size_t i;

    if (!reg) {
        ks_errstr(errstr, errstr_size, "kstream_avro_serde_new: reg is NULL");
        return NULL;
    }
    if (!conf)
        conf = reg->conf;
    s = calloc(1, sizeof(*s));
    if (!s || (topic && !(s->topic = ks_strdup(topic)))) {
        free(s);
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->is_key = is_key;
    s->strategy = is_key ? conf->key_strategy : conf->value_strategy;
    s->auto_register = conf->auto_register;
    s->use_latest = conf->use_latest;
    if (s->strategy != KS_STRATEGY_RECORD && (!topic || !*topic)) {
        ks_errstr(errstr, errstr_size, "kstream_avro_serde_new: the %s "
                                       "subject name strategy needs a topic",
                  s->strategy == KS_STRATEGY_TOPIC ? "TopicNameStrategy"
                                                   : "TopicRecordNameStrategy");
        free(s->topic);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    for (i = 0; i < SLOTS; i++)
        atomic_init(&s->slots[i], NULL);
    s->reg = ks_registry_ref(reg);
    serde = kstream_serde_new(&ops, s, serde_free);
    if (!serde) {
        serde_free(s);
        ks_errstr(errstr, errstr_size, "out of memory");
    }
    return serde;
}
