/* record.c - kstream_record_t: accessors, setters of engine-owned output
 * records (copying into the task arena), and kstream_records_t (flat_map
 * outputs). Kafka Streams' Record / Headers. */
#include <string.h>

#include "processor/processor.h"
#include "serde/serde.h"

void ks_record_from_msg(kstream_record_t *rec, const ks_msg_t *msg)
{
    rec->key = msg->key;
    rec->key_len = msg->key ? msg->key_len : 0;
    rec->value = msg->value;
    rec->value_len = msg->value ? msg->value_len : 0;
    rec->timestamp = msg->timestamp;
    rec->headers = msg->headers;
    rec->nheaders = msg->nheaders;
    rec->hcap = 0;
    rec->topic = msg->topic;
    rec->partition = msg->partition;
    rec->offset = msg->offset;
    rec->arena = NULL;
    rec->flags = 0;
    rec->old_value = NULL;
    rec->old_value_len = 0;
}

kstream_record_t *ks_record_new(ks_arena_t *arena,
                                const kstream_record_t *from, int64_t ts)
{
    kstream_record_t *rec = ks_arena_alloc(arena, sizeof(*rec));
    if (!rec)
        return NULL;
    if (from) {
        *rec = *from;
    } else {
        memset(rec, 0, sizeof(*rec));
        rec->timestamp = ts;
        rec->partition = -1;
        rec->offset = -1;
    }
    rec->hcap = 0;
    rec->arena = arena;
    rec->flags = KS_REC_WRITABLE;
    return rec;
}

static const kstream_bytes_t null_bytes = {NULL, 0};

kstream_bytes_t kstream_record_key(const kstream_record_t *rec)
{
    if (!rec)
        return null_bytes;
    return (kstream_bytes_t){rec->key, rec->key_len};
}

kstream_bytes_t kstream_record_value(const kstream_record_t *rec)
{
    if (!rec)
        return null_bytes;
    return (kstream_bytes_t){rec->value, rec->value_len};
}

int64_t kstream_record_timestamp(const kstream_record_t *rec)
{
    return rec ? rec->timestamp : -1;
}

const char *kstream_record_topic(const kstream_record_t *rec)
{
    return rec ? rec->topic : NULL;
}

int32_t kstream_record_partition(const kstream_record_t *rec)
{
    return rec ? rec->partition : -1;
}

int64_t kstream_record_offset(const kstream_record_t *rec)
{
    return rec ? rec->offset : -1;
}

size_t kstream_record_header_count(const kstream_record_t *rec)
{
    return rec ? rec->nheaders : 0;
}

kstream_err_t kstream_record_header_at(const kstream_record_t *rec,
                                       size_t idx, const char **name,
                                       kstream_bytes_t *value)
{
    if (!rec)
        return KSTREAM_ERR_INVALID_ARG;
    if (idx >= rec->nheaders)
        return KSTREAM_ERR_NOT_FOUND;
    const kstream_header_t *h = &rec->headers[idx];
    if (name)
        *name = h->name;
    if (value)
        *value = (kstream_bytes_t){h->value, h->value ? h->len : 0};
    return KSTREAM_OK;
}

kstream_err_t kstream_record_header_last(const kstream_record_t *rec,
                                         const char *name,
                                         kstream_bytes_t *value)
{
    if (!rec || !name)
        return KSTREAM_ERR_INVALID_ARG;
    for (size_t i = rec->nheaders; i-- > 0;) {
        const kstream_header_t *h = &rec->headers[i];
        if (strcmp(h->name, name) == 0) {
            if (value)
                *value = (kstream_bytes_t){h->value, h->value ? h->len : 0};
            return KSTREAM_OK;
        }
    }
    return KSTREAM_ERR_NOT_FOUND;
}

static bool writable(const kstream_record_t *rec)
{
    return rec && (rec->flags & KS_REC_WRITABLE) && rec->arena;
}

static kstream_err_t set_bytes(kstream_record_t *rec, const void *data,
                               size_t len, const void **dst, size_t *dst_len)
{
    if (!data) {
        *dst = NULL;
        *dst_len = 0;
        return KSTREAM_OK;
    }
    void *p = ks_arena_memdup(rec->arena, data, len);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    *dst = p;
    *dst_len = len;
    return KSTREAM_OK;
}

kstream_err_t kstream_record_set_key(kstream_record_t *rec, const void *data,
                                     size_t len)
{
    if (!writable(rec) || (rec->flags & KS_REC_KEY_RO))
        return KSTREAM_ERR_INVALID_ARG;
    return set_bytes(rec, data, len, &rec->key, &rec->key_len);
}

kstream_err_t kstream_record_set_value(kstream_record_t *rec, const void *data,
                                       size_t len)
{
    if (!writable(rec) || (rec->flags & KS_REC_VALUE_RO))
        return KSTREAM_ERR_INVALID_ARG;
    return set_bytes(rec, data, len, &rec->value, &rec->value_len);
}

void *kstream_record_alloc_key(kstream_record_t *rec, size_t len)
{
    if (!writable(rec) || (rec->flags & KS_REC_KEY_RO))
        return NULL;
    void *p = ks_arena_alloc(rec->arena, len);
    if (p) {
        rec->key = p;
        rec->key_len = len;
    }
    return p;
}

void *kstream_record_alloc_value(kstream_record_t *rec, size_t len)
{
    if (!writable(rec) || (rec->flags & KS_REC_VALUE_RO))
        return NULL;
    void *p = ks_arena_alloc(rec->arena, len);
    if (p) {
        rec->value = p;
        rec->value_len = len;
    }
    return p;
}

kstream_err_t kstream_record_set_timestamp(kstream_record_t *rec, int64_t ts)
{
    if (!writable(rec) || ts < 0)
        return KSTREAM_ERR_INVALID_ARG;
    rec->timestamp = ts;
    return KSTREAM_OK;
}

/* Make the headers array the record's own, with room for `extra` more. */
static kstream_err_t own_headers(kstream_record_t *rec, size_t extra)
{
    if ((rec->flags & KS_REC_HDR_OWNED) && rec->nheaders + extra <= rec->hcap)
        return KSTREAM_OK;
    size_t cap = rec->nheaders + extra;
    cap = cap < 4 ? 4 : cap * 2;
    kstream_header_t *h = ks_arena_alloc(rec->arena, cap * sizeof(*h));
    if (!h)
        return KSTREAM_ERR_NO_MEMORY;
    if (rec->nheaders)
        memcpy(h, rec->headers, rec->nheaders * sizeof(*h));
    rec->headers = h;
    rec->hcap = cap;
    rec->flags |= KS_REC_HDR_OWNED;
    return KSTREAM_OK;
}

kstream_err_t kstream_record_header_add(kstream_record_t *rec,
                                        const char *name, const void *value,
                                        size_t len)
{
    if (!writable(rec) || !name)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = own_headers(rec, 1);
    if (err)
        return err;
    char *n = ks_arena_strdup(rec->arena, name);
    const void *v = value ? ks_arena_memdup(rec->arena, value, len) : NULL;
    if (!n || (value && !v))
        return KSTREAM_ERR_NO_MEMORY;
    kstream_header_t *h = (kstream_header_t *)&rec->headers[rec->nheaders++];
    h->name = n;
    h->value = v;
    h->len = value ? len : 0;
    return KSTREAM_OK;
}

kstream_err_t kstream_record_header_remove(kstream_record_t *rec,
                                           const char *name)
{
    if (!writable(rec) || !name)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = own_headers(rec, 0);
    if (err)
        return err;
    kstream_header_t *h = (kstream_header_t *)rec->headers;
    size_t out = 0;
    for (size_t i = 0; i < rec->nheaders; i++)
        if (strcmp(h[i].name, name) != 0)
            h[out++] = h[i];
    rec->nheaders = out;
    return KSTREAM_OK;
}

kstream_err_t kstream_record_headers_clear(kstream_record_t *rec)
{
    if (!writable(rec))
        return KSTREAM_ERR_INVALID_ARG;
    rec->headers = NULL;
    rec->nheaders = 0;
    rec->hcap = 0;
    rec->flags &= ~(unsigned)KS_REC_HDR_OWNED;
    return KSTREAM_OK;
}

kstream_record_t *kstream_records_add(kstream_records_t *out)
{
    if (!out || !out->arena)
        return NULL;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        kstream_record_t **r = ks_arena_alloc(out->arena, cap * sizeof(*r));
        if (!r)
            return NULL;
        if (out->n)
            memcpy(r, out->recs, out->n * sizeof(*r));
        out->recs = r;
        out->cap = cap;
    }
    kstream_record_t *rec = ks_record_new(out->arena, out->in, 0);
    if (!rec)
        return NULL;
    rec->flags |= out->ro_flags;
    out->recs[out->n++] = rec;
    return rec;
}

/* ---- typed access through serdes ---------------------------------------- */
static kstream_err_t serialize_into(kstream_record_t *rec,
                                    const kstream_serde_t *serde,
                                    const void *value, const void **dst,
                                    size_t *dst_len)
{
    kstream_buf_t kb;
    ks_kbuf_init_arena(&kb, rec->arena);
    kstream_err_t err = kstream_serde_serialize(serde, value, &kb);
    if (err)
        return err;
    kstream_bytes_t b = kstream_buf_bytes(&kb);
    /* An empty encoding is an empty (non-null) value. */
    *dst = b.data ? b.data : ks_arena_alloc(rec->arena, 0);
    *dst_len = b.len;
    return *dst ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
}

kstream_err_t kstream_record_set_key_serde(kstream_record_t *rec,
                                           const kstream_serde_t *serde,
                                           const void *value)
{
    if (!writable(rec) || (rec->flags & KS_REC_KEY_RO) || !serde)
        return KSTREAM_ERR_INVALID_ARG;
    return serialize_into(rec, serde, value, &rec->key, &rec->key_len);
}

kstream_err_t kstream_record_set_value_serde(kstream_record_t *rec,
                                             const kstream_serde_t *serde,
                                             const void *value)
{
    if (!writable(rec) || (rec->flags & KS_REC_VALUE_RO) || !serde)
        return KSTREAM_ERR_INVALID_ARG;
    return serialize_into(rec, serde, value, &rec->value, &rec->value_len);
}

kstream_err_t kstream_record_key_deserialize(const kstream_record_t *rec,
                                             const kstream_serde_t *serde,
                                             void *value)
{
    if (!rec || !serde || !value)
        return KSTREAM_ERR_INVALID_ARG;
    return kstream_serde_deserialize(serde, rec->key, rec->key_len, value);
}

kstream_err_t kstream_record_value_deserialize(const kstream_record_t *rec,
                                               const kstream_serde_t *serde,
                                               void *value)
{
    if (!rec || !serde || !value)
        return KSTREAM_ERR_INVALID_ARG;
    return kstream_serde_deserialize(serde, rec->value, rec->value_len, value);
}
