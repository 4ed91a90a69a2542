/* cdc_avro_json.c - an Avro value as plain JSON, the way Kafka Connect's
 * JsonConverter writes a Debezium row without schemas: records become
 * objects (fields in schema order), unions their branch's value, enums
 * their symbol, decimals their text ("12.50"), other bytes and fixed
 * base64 text, arrays and maps as such; non-finite floats become null.
 * Walks the value through the public path API of include/kstream/avro.h
 * (no <avro.h> here), within KSTREAM_JSON_MAX_DEPTH like every JSON
 * value. */
#include "serde/cdc_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct walk {
    kstream_avro_value_t *v;
    ks_buf_t path; /* NUL-terminated current path */
    char *errstr;
    size_t errstr_size;
} walk_t;

/* The current path for messages (the buffer moves as it grows: read it
 * again after each change). */
static const char *field(const walk_t *w)
{
    return w->path.len ? (const char *)w->path.data : "(root)";
}

static kstream_err_t avro_failed(walk_t *w, kstream_err_t err)
{
    const char *msg = kstream_avro_value_error(w->v);
    return ks_json_err(w->errstr, w->errstr_size,
                       err == KSTREAM_ERR_NO_MEMORY ? err : KSTREAM_ERR_SERDE,
                       "field %s: %s", field(w),
                       *msg ? msg : kstream_err2str(err));
}

static json_t *base64(const uint8_t *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                              "vwxyz0123456789+/";
    size_t out_len = 4 * ((n + 2) / 3);
    char *s = malloc(out_len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t b = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            b |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            b |= p[i + 2];
        s[o++] = abc[(b >> 18) & 63];
        s[o++] = abc[(b >> 12) & 63];
        s[o++] = i + 1 < n ? abc[(b >> 6) & 63] : '=';
        s[o++] = i + 2 < n ? abc[b & 63] : '=';
    }
    json_t *j = json_stringn(s, o);
    free(s);
    return j;
}

static kstream_err_t convert(walk_t *w, int depth, json_t **out);

/* Convert the child at path + suffix (suffix printf-style). */
static kstream_err_t child(walk_t *w, int depth, json_t **out,
                           const char *fmt, const char *name, size_t idx)
{
    size_t mark = w->path.len;
    int rc = name ? ks_buf_appendf(&w->path, fmt, name)
                  : ks_buf_appendf(&w->path, fmt, idx);
    if (rc || !ks_buf_cstr(&w->path))
        return ks_json_err(w->errstr, w->errstr_size, KSTREAM_ERR_NO_MEMORY,
                           "out of memory");
    kstream_err_t err = convert(w, depth, out);
    w->path.len = mark;
    ks_buf_cstr(&w->path); /* (room exists: it held more) */
    return err;
}

static kstream_err_t container(walk_t *w, kstream_avro_type_t type,
                               int depth, json_t **out)
{
    if (depth >= KSTREAM_JSON_MAX_DEPTH)
        return ks_json_err(w->errstr, w->errstr_size, KSTREAM_ERR_SERDE,
                           "field %s: nested too deep (more than %d "
                           "records/arrays/maps)",
                           field(w), KSTREAM_JSON_MAX_DEPTH);
    size_t n = 0;
    kstream_err_t err = kstream_avro_value_size(
            w->v, (const char *)w->path.data, &n);
    if (err)
        return avro_failed(w, err);
    json_t *c = type == KSTREAM_AVRO_ARRAY ? json_array() : json_object();
    if (!c)
        return ks_json_err(w->errstr, w->errstr_size, KSTREAM_ERR_NO_MEMORY,
                           "out of memory");
    for (size_t i = 0; i < n && !err; i++) {
        json_t *e = NULL;
        const char *name = NULL;
        if (type == KSTREAM_AVRO_ARRAY) {
            err = child(w, depth + 1, &e, "[%zu]", NULL, i);
            if (!err && json_array_append_new(c, e))
                err = KSTREAM_ERR_NO_MEMORY;
            continue;
        }
        err = kstream_avro_value_key_at(w->v, (const char *)w->path.data, i,
                                        &name);
        if (err) {
            err = avro_failed(w, err);
            break;
        }
        /* The name is borrowed until the value changes: reading does not
         * change it, but copy it before the path buffer grows anyway. */
        char *key = ks_strdup(name);
        if (!key) {
            err = KSTREAM_ERR_NO_MEMORY;
            break;
        }
        if (type == KSTREAM_AVRO_MAP && strchr(key, ']'))
            err = ks_json_err(w->errstr, w->errstr_size, KSTREAM_ERR_SERDE,
                              "field %s: map key \"%.32s\" holds ']', "
                              "which paths cannot name",
                              field(w), key);
        else if (type == KSTREAM_AVRO_MAP)
            err = child(w, depth + 1, &e, "[%s]", key, 0);
        else
            err = child(w, depth + 1, &e, w->path.len ? ".%s" : "%s", key, 0);
        if (!err && json_object_set_new(c, key, e))
            err = ks_json_err(w->errstr, w->errstr_size, KSTREAM_ERR_SERDE,
                              "field %s: name \"%.32s\" is not UTF-8",
                              field(w), key);
        free(key);
    }
    if (err) {
        json_decref(c);
        return err;
    }
    *out = c;
    return KSTREAM_OK;
}

/* bytes and fixed: a decimal's text, else base64. */
static kstream_err_t bytes_value(walk_t *w, json_t **out)
{
    const char *path = (const char *)w->path.data;
    const char *logical = NULL;
    kstream_err_t err = kstream_avro_value_logical_type(w->v, path, &logical);
    if (err)
        return avro_failed(w, err);
    if (logical && !strcmp(logical, "decimal")) {
        char text[128];
        size_t size = sizeof(text);
        err = kstream_avro_value_get_decimal(w->v, path, text, &size);
        if (err)
            return avro_failed(w, err);
        *out = json_string(text);
        return *out ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
    }
    const void *data = NULL;
    size_t len = 0;
    err = kstream_avro_value_get_bytes(w->v, path, &data, &len);
    if (err)
        return avro_failed(w, err);
    *out = base64(data, len);
    return *out ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
}

static kstream_err_t scalar(walk_t *w, kstream_avro_type_t type, json_t **out)
{
    const char *path = (const char *)w->path.data;
    kstream_err_t err = KSTREAM_OK;
    union {
        bool b;
        int32_t i;
        int64_t l;
        float f;
        double d;
    } u;
    const char *s = NULL;
    size_t len = 0;
    switch (type) {
    case KSTREAM_AVRO_BOOLEAN:
        if (!(err = kstream_avro_value_get_boolean(w->v, path, &u.b)))
            *out = json_boolean(u.b);
        break;
    case KSTREAM_AVRO_INT:
        if (!(err = kstream_avro_value_get_int(w->v, path, &u.i)))
            *out = json_integer(u.i);
        break;
    case KSTREAM_AVRO_LONG:
        if (!(err = kstream_avro_value_get_long(w->v, path, &u.l)))
            *out = json_integer((json_int_t)u.l);
        break;
    case KSTREAM_AVRO_FLOAT:
    case KSTREAM_AVRO_DOUBLE:
        if (!(err = kstream_avro_value_get_double(w->v, path, &u.d)))
            *out = isfinite(u.d) ? json_real(u.d) : json_null();
        break;
    case KSTREAM_AVRO_STRING:
        if (!(err = kstream_avro_value_get_string(w->v, path, &s, &len))) {
            *out = json_stringn(s, len);
            if (!*out)
                return ks_json_err(w->errstr, w->errstr_size,
                                   KSTREAM_ERR_SERDE,
                                   "field %s: string is not UTF-8",
                                   field(w));
        }
        break;
    case KSTREAM_AVRO_ENUM:
        if (!(err = kstream_avro_value_get_enum(w->v, path, &s)))
            *out = json_string(s);
        break;
    case KSTREAM_AVRO_BYTES:
    case KSTREAM_AVRO_FIXED:
        return bytes_value(w, out);
    case KSTREAM_AVRO_NULL:
    case KSTREAM_AVRO_UNION: /* a union without a branch */
    default:
        *out = json_null();
        break;
    }
    if (err)
        return avro_failed(w, err);
    return *out ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
}

static kstream_err_t convert(walk_t *w, int depth, json_t **out)
{
    kstream_avro_type_t type;
    kstream_err_t err = kstream_avro_value_type(
            w->v, (const char *)w->path.data, &type);
    if (err)
        return avro_failed(w, err);
    if (type == KSTREAM_AVRO_RECORD || type == KSTREAM_AVRO_ARRAY ||
        type == KSTREAM_AVRO_MAP)
        return container(w, type, depth, out);
    return scalar(w, type, out);
}

kstream_err_t ks_cdc_avro_to_json(kstream_avro_value_t *v, json_t **out,
                                  char *errstr, size_t errstr_size)
{
    walk_t w = {.v = v, .errstr = errstr, .errstr_size = errstr_size};
    ks_buf_init(&w.path, NULL);
    *out = NULL;
    kstream_err_t err = ks_buf_cstr(&w.path) ? convert(&w, 0, out)
                                             : KSTREAM_ERR_NO_MEMORY;
    ks_buf_free(&w.path);
    return err;
}
