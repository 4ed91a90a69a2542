/* avro_encode.c - the Avro binary encoder (Java's GenericDatumWriter +
 * BinaryEncoder): walks an Avro-C value with its schema's nodes and
 * appends the encoding to a growable buffer (no size pass, no copy).
 * Refuses what it cannot encode faithfully: a union with no branch
 * selected, an enum index out of range, a fixed of the wrong size. */
#include "serde/avro_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct wr {
    ks_buf_t *b;
    uint8_t *p, *end; /* the write cursor in b's spare room */
    int depth;
    char msg[KS_AVRO_ERRSIZE];
    char path[200];
} wr_t;

static int fail(wr_t *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int fail(wr_t *w, const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_avro(wr_t *w, const char *what) {
    ks_avro_c_error(w->msg, sizeof(w->msg), what);
    return -1;
}

/* Prefix the path while unwinding ("items" then "[2]" then ".sku"). */
static void where(wr_t *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void where(wr_t *w, const char *fmt, ...) {
    char pre[96];
    size_t plen, len = strlen(w->path);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    plen = strlen(pre);
    if (plen + len + 2 > sizeof(w->path))
        return;
    if (len && w->path[0] != '[') {
        memmove(w->path + plen + 1, w->path, len + 1);
        w->path[plen] = '.';
    } else {
        memmove(w->path + plen, w->path, len + 1);
    }
    memcpy(w->path, pre, plen);
}

/* Room for \p n more bytes at the cursor (the buffer grows by doubling,
 * and at least 256 bytes, so this is rare). */
static int grow(wr_t *w, size_t n) {
    w->b->len = (size_t)(w->p - w->b->data);
    if (ks_buf_reserve(w->b, n < 256 ? 256 : n))
        return fail(w, "out of memory");
    w->p = w->b->data + w->b->len;
    w->end = w->b->data + w->b->cap;
    return 0;
}

static inline int room(wr_t *w, size_t n) {
    return w->p && (size_t)(w->end - w->p) >= n ? 0 : grow(w, n);
}

static inline int put_long(wr_t *w, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t *p;

    if (room(w, 10))
        return -1;
    p = w->p;
    while (z >= 0x80) {
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    w->p = p;
    return 0;
}

/* A length and the bytes. */
static inline int put_bytes(wr_t *w, const void *data, size_t len) {
    if (put_long(w, (int64_t)len) || room(w, len))
        return -1;
    ks_avro_copy(w->p, data, len);
    w->p += len;
    return 0;
}

static inline int put_raw(wr_t *w, const void *data, size_t len) {
    if (room(w, len))
        return -1;
    ks_avro_copy(w->p, data, len);
    w->p += len;
    return 0;
}

static int enc(wr_t *w, const ks_avro_node_t *n, const avro_value_t *val);

static int enc_items(wr_t *w, const ks_avro_node_t *n,
                     const avro_value_t *val) {
    avro_value_t child;
    const char *key;
    size_t count, i;

    if (avro_value_get_size(val, &count))
        return fail_avro(w, "size");
    if (count) {
        if (put_long(w, (int64_t)count))
            return -1;
        for (i = 0; i < count; i++) {
            key = NULL;
            if (avro_value_get_by_index(val, i, &child, &key))
                return fail_avro(w, "element");
            if (n->type == KSTREAM_AVRO_MAP && put_bytes(w, key, strlen(key)))
                return -1;
            if (enc(w, n->items, &child)) {
                if (n->type == KSTREAM_AVRO_MAP)
                    where(w, "[%.60s]", key);
                else
                    where(w, "[%zu]", i);
                return -1;
            }
        }
    }
    return put_long(w, 0);
}

static int enc(wr_t *w, const ks_avro_node_t *n, const avro_value_t *val) {
    const void *data;
    const char *str;
    avro_value_t child;
    size_t size, i;
    int32_t i32;
    int64_t i64;
    float f;
    double d;
    int b, rc;

    switch (n->type) {
    case KSTREAM_AVRO_NULL:
        return 0;
    case KSTREAM_AVRO_BOOLEAN:
        if (avro_value_get_boolean(val, &b))
            return fail_avro(w, "boolean");
        if (room(w, 1))
            return -1;
        *w->p++ = b ? 1 : 0;
        return 0;
    case KSTREAM_AVRO_INT:
        if (avro_value_get_int(val, &i32))
            return fail_avro(w, "int");
        return put_long(w, i32);
    case KSTREAM_AVRO_LONG:
        if (avro_value_get_long(val, &i64))
            return fail_avro(w, "long");
        return put_long(w, i64);
    case KSTREAM_AVRO_FLOAT:
        if (avro_value_get_float(val, &f))
            return fail_avro(w, "float");
        if (room(w, 4))
            return -1;
        memcpy(w->p, &f, 4); /* little-endian, as the host */
        w->p += 4;
        return 0;
    case KSTREAM_AVRO_DOUBLE:
        if (avro_value_get_double(val, &d))
            return fail_avro(w, "double");
        if (room(w, 8))
            return -1;
        memcpy(w->p, &d, 8);
        w->p += 8;
        return 0;
    case KSTREAM_AVRO_BYTES:
        if (avro_value_get_bytes(val, &data, &size))
            return fail_avro(w, "bytes");
        return put_bytes(w, data, size);
    case KSTREAM_AVRO_STRING:
        if (avro_value_get_string(val, &str, &size))
            return fail_avro(w, "string");
        size = size ? size - 1 : 0; /* Avro-C counts the NUL */
        return put_bytes(w, str, size);
    case KSTREAM_AVRO_FIXED:
        if (avro_value_get_fixed(val, &data, &size))
            return fail_avro(w, "fixed");
        if ((int64_t)size != n->size)
            return fail(w, "fixed %s holds %zu bytes, not %lld", n->fullname,
                        size, (long long)n->size);
        return put_raw(w, data, size);
    case KSTREAM_AVRO_ENUM:
        if (avro_value_get_enum(val, &b))
            return fail_avro(w, "enum");
        if (b < 0 || (size_t)b >= n->n)
            return fail(w, "enum %s index %d is out of range", n->fullname,
                        b);
        return put_long(w, b);
    default:
        break;
    }
    if (++w->depth > KS_AVRO_MAX_DEPTH)
        return fail(w, "nested deeper than %d", KS_AVRO_MAX_DEPTH);
    rc = 0;
    switch (n->type) {
    case KSTREAM_AVRO_ARRAY:
    case KSTREAM_AVRO_MAP:
        rc = enc_items(w, n, val);
        break;
    case KSTREAM_AVRO_RECORD:
        for (i = 0; i < n->n && !rc; i++) {
            if (avro_value_get_by_index(val, i, &child, NULL)) {
                rc = fail_avro(w, "record field");
            } else if (enc(w, n->fields[i].type, &child)) {
                where(w, "%s", n->fields[i].name);
                rc = -1;
            }
        }
        break;
    case KSTREAM_AVRO_UNION:
        if (avro_value_get_discriminant(val, &b))
            return fail_avro(w, "union");
        if (b < 0 || (size_t)b >= n->n) {
            rc = fail(w, "the union has no branch selected (set one of its "
                         "branches first)");
            break;
        }
        if (avro_value_get_current_branch(val, &child))
            return fail_avro(w, "union branch");
        rc = put_long(w, b);
        if (!rc)
            rc = enc(w, n->branches[b], &child);
        break;
    default:
        rc = fail(w, "unknown type");
    }
    w->depth--;
    return rc;
}

kstream_err_t ks_avro_encode(kstream_avro_value_t *v,
                             const ks_avro_node_t *node,
                             const avro_value_t *val, ks_buf_t *out) {
    size_t start = out->len;
    wr_t w;

    w.b = out;
    w.p = out->data ? out->data + out->len : NULL;
    w.end = out->data ? out->data + out->cap : NULL;
    w.depth = 0;
    w.msg[0] = '\0';
    w.path[0] = '\0';
    if (enc(&w, node, val) == 0) {
        if (w.p)
            out->len = (size_t)(w.p - out->data);
        return KSTREAM_OK;
    }
    out->len = start; /* nothing half-written stays */
    return ks_avro_verr(v, KSTREAM_ERR_SERDE, "Avro encode: %s%s%s%s",
                        w.path[0] ? "at " : "", w.path,
                        w.path[0] ? ": " : "", w.msg);
}
