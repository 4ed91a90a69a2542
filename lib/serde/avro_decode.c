/* avro_decode.c - the Avro binary decoder (Java's ResolvingDecoder +
 * GenericDatumReader): runs a resolution plan over the input and fills an
 * Avro-C value through its setters.
 *
 * Every length and count is checked against the bytes left before it is
 * used, varints longer than their type allows are refused, nesting and
 * zero-byte items are bounded (KS_AVRO_MAX_DEPTH, KS_AVRO_MAX_ZERO_ITEMS),
 * and the value must end exactly at the end of the input. On failure the
 * message names the path of the field ("items[2].sku"), what was wrong and
 * the byte offset; the path is collected while the error unwinds, so the
 * successful path pays nothing for it.
 *
 * The value is overwritten in place rather than reset (a record's fields,
 * a union's branch, an array's existing elements), so that strings and
 * elements already allocated are reused from one message to the next. */
#include "serde/avro_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_FRAMES 24

typedef struct frame {
    const char *name; /* field name or map key (not NUL-terminated) */
    size_t len;       /* of name */
    int64_t index;    /* array index when name is NULL */
    bool key;         /* name is a map key */
} frame_t;

typedef struct rd {
    const uint8_t *start, *p, *end;
    kstream_avro_value_t *v;
    size_t zero_items;
    int depth;
    size_t err_off;
    char msg[KS_AVRO_ERRSIZE];
    frame_t frames[MAX_FRAMES];
    int nframes;
} rd_t;

static int fail(rd_t *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int fail(rd_t *r, const char *fmt, ...) {
    va_list ap;

    r->err_off = (size_t)(r->p - r->start);
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_avro(rd_t *r, const char *what) {
    r->err_off = (size_t)(r->p - r->start);
    ks_avro_c_error(r->msg, sizeof(r->msg), what);
    return -1;
}

static void frame_name(rd_t *r, const char *name, size_t len, bool key) {
    if (r->nframes < MAX_FRAMES) {
        r->frames[r->nframes].name = name;
        r->frames[r->nframes].len = len;
        r->frames[r->nframes].key = key;
        r->nframes++;
    }
}

static void frame_index(rd_t *r, int64_t index) {
    if (r->nframes < MAX_FRAMES) {
        r->frames[r->nframes].name = NULL;
        r->frames[r->nframes].index = index;
        r->nframes++;
    }
}

static inline size_t left(const rd_t *r) {
    return (size_t)(r->end - r->p);
}

static int rd_long(rd_t *r, int64_t *out, const char *what) {
    const uint8_t *p = r->p;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        if (p >= r->end)
            return fail(r, "truncated %s (the input ends inside it)", what);
        b = *p++;
        if (shift == 63 && b > 1)
            return fail(r, "%s is not a valid varint (too long)", what);
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    r->p = p;
    *out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
    return 0;
}

static int rd_int(rd_t *r, int32_t *out, const char *what) {
    const uint8_t *p = r->p;
    uint32_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        if (p >= r->end)
            return fail(r, "truncated %s (the input ends inside it)", what);
        b = *p++;
        if (shift == 28 && b > 0x0f)
            return fail(r, "%s is not a valid int varint (too long)", what);
        v |= (uint32_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    r->p = p;
    *out = (int32_t)((v >> 1) ^ (~(v & 1) + 1));
    return 0;
}

static int rd_fixed(rd_t *r, size_t n, const uint8_t **out,
                    const char *what) {
    if (left(r) < n)
        return fail(r, "truncated %s: needs %zu bytes, %zu left", what, n,
                    left(r));
    *out = r->p;
    r->p += n;
    return 0;
}

/* A length-prefixed string or bytes. */
static int rd_len(rd_t *r, const uint8_t **out, size_t *len,
                  const char *what) {
    int64_t n;

    if (rd_long(r, &n, what))
        return -1;
    if (n < 0)
        return fail(r, "%s has a negative length (%" PRId64 ")", what, n);
    if ((uint64_t)n > left(r))
        return fail(r, "%s of %" PRId64 " bytes, only %zu left (truncated "
                       "or garbage)",
                    what, n, left(r));
    *out = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* A block count of an array or map; a negative count is followed by the
 * block's size in bytes. Checked against what is left: every item takes at
 * least a byte (a map entry has its key) unless the array's item type can
 * be empty, whose items are counted against KS_AVRO_MAX_ZERO_ITEMS. */
static int rd_count(rd_t *r, const ks_avro_node_t *w, size_t *count,
                    const char *what) {
    int64_t n, bytes;

    if (rd_long(r, &n, what))
        return -1;
    if (n < 0) {
        if (n == INT64_MIN)
            return fail(r, "%s block count is out of range", what);
        n = -n;
        if (rd_long(r, &bytes, what))
            return -1;
        if (bytes < 0 || (uint64_t)bytes > left(r))
            return fail(r, "%s block size %" PRId64 " does not fit the %zu "
                           "bytes left",
                        what, bytes, left(r));
    }
    if (w->type == KSTREAM_AVRO_ARRAY && w->items->zero_size) {
        if ((uint64_t)n > KS_AVRO_MAX_ZERO_ITEMS - r->zero_items)
            return fail(r, "%s has more than %u empty items", what,
                        KS_AVRO_MAX_ZERO_ITEMS);
        r->zero_items += (size_t)n;
    } else if ((uint64_t)n > left(r)) {
        return fail(r, "%s block count %" PRId64 " exceeds the %zu bytes "
                       "left (truncated or garbage)",
                    what, n, left(r));
    }
    *count = (size_t)n;
    return 0;
}

static int skip(rd_t *r, const ks_avro_node_t *w);

static int skip_items(rd_t *r, const ks_avro_node_t *w) {
    const uint8_t *s;
    size_t count, i, klen;
    int64_t idx = 0;

    for (;;) {
        if (rd_count(r, w, &count, ks_avro_node_name(w)))
            return -1;
        if (count == 0)
            return 0;
        for (i = 0; i < count; i++, idx++) {
            if (w->type == KSTREAM_AVRO_MAP &&
                rd_len(r, &s, &klen, "map key"))
                return -1;
            if (skip(r, w->items)) {
                frame_index(r, idx);
                return -1;
            }
        }
    }
}

/* Skip a value of the writer's type (a field the reader does not have),
 * checking it as the decoder would. */
static int skip(rd_t *r, const ks_avro_node_t *w) {
    const uint8_t *s = NULL;
    size_t len, i;
    int64_t l;
    int32_t x;

    switch (w->type) {
    case KSTREAM_AVRO_NULL:
        return 0;
    case KSTREAM_AVRO_BOOLEAN:
        if (rd_fixed(r, 1, &s, "boolean"))
            return -1;
        if (*s > 1)
            return fail(r, "boolean byte 0x%02x is neither 0 nor 1", *s);
        return 0;
    case KSTREAM_AVRO_INT:
        return rd_int(r, &x, "int");
    case KSTREAM_AVRO_LONG:
        return rd_long(r, &l, "long");
    case KSTREAM_AVRO_FLOAT:
        return rd_fixed(r, 4, &s, "float");
    case KSTREAM_AVRO_DOUBLE:
        return rd_fixed(r, 8, &s, "double");
    case KSTREAM_AVRO_BYTES:
    case KSTREAM_AVRO_STRING:
        return rd_len(r, &s, &len, ks_avro_node_name(w));
    case KSTREAM_AVRO_FIXED:
        return rd_fixed(r, (size_t)w->size, &s, w->fullname);
    case KSTREAM_AVRO_ENUM:
        if (rd_int(r, &x, "enum index"))
            return -1;
        if (x < 0 || (size_t)x >= w->n)
            return fail(r, "enum %s index %d is out of range (%zu symbols)",
                        w->fullname, x, w->n);
        return 0;
    case KSTREAM_AVRO_ARRAY:
    case KSTREAM_AVRO_MAP:
    case KSTREAM_AVRO_RECORD:
    case KSTREAM_AVRO_UNION:
        if (++r->depth > KS_AVRO_MAX_DEPTH)
            return fail(r, "nested deeper than %d", KS_AVRO_MAX_DEPTH);
        if (w->type == KSTREAM_AVRO_RECORD) {
            for (i = 0; i < w->n; i++)
                if (skip(r, w->fields[i].type)) {
                    frame_name(r, w->fields[i].name,
                               strlen(w->fields[i].name), false);
                    return -1;
                }
        } else if (w->type == KSTREAM_AVRO_UNION) {
            if (rd_long(r, &l, "union branch"))
                return -1;
            if (l < 0 || (uint64_t)l >= w->n)
                return fail(r, "union branch %" PRId64 " is out of range "
                               "(%zu branches)",
                            l, w->n);
            if (skip(r, w->branches[l]))
                return -1;
        } else if (skip_items(r, w)) {
            return -1;
        }
        r->depth--;
        return 0;
    }
    return fail(r, "unknown type");
}

static int dec(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst);

/* A NUL-terminated copy of s[0..len) in the value's scratch buffer (the
 * input is not NUL-terminated, and Avro-C strings are). */
static const char *cstr(rd_t *r, const uint8_t *s, size_t len) {
    ks_buf_t *b = &r->v->scratch;

    b->len = 0;
    if (ks_buf_reserve(b, len + 1))
        return NULL;
    ks_avro_copy(b->data, s, len);
    b->data[len] = '\0';
    return (const char *)b->data;
}

static int dec_array(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst) {
    const ks_avro_node_t *w = pl->w;
    size_t have = 0, count, i, idx = 0;
    avro_value_t child;

    if (avro_value_get_size(dst, &have))
        return fail_avro(r, "array size");
    if (rd_count(r, w, &count, "array"))
        return -1;
    /* Fewer items than the value holds: start empty. Otherwise overwrite
     * the elements it has (a later block only adds more). */
    if (count < have) {
        if (avro_value_reset(dst))
            return fail_avro(r, "array reset");
        have = 0;
    }
    while (count) {
        for (i = 0; i < count; i++, idx++) {
            int rc = idx < have ? avro_value_get_by_index(dst, idx, &child,
                                                          NULL)
                                : avro_value_append(dst, &child, NULL);
            if (rc)
                return fail_avro(r, "array element");
            if (dec(r, pl->items, &child)) {
                frame_index(r, (int64_t)idx);
                return -1;
            }
        }
        if (rd_count(r, w, &count, "array"))
            return -1;
    }
    return 0;
}

static int dec_map(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst) {
    const uint8_t *k;
    size_t count, i, klen;
    avro_value_t child;
    const char *key;

    if (avro_value_reset(dst))
        return fail_avro(r, "map reset");
    for (;;) {
        if (rd_count(r, pl->w, &count, "map"))
            return -1;
        if (!count)
            return 0;
        for (i = 0; i < count; i++) {
            if (rd_len(r, &k, &klen, "map key"))
                return -1;
            key = cstr(r, k, klen);
            if (!key)
                return fail(r, "out of memory");
            if (avro_value_add(dst, key, &child, NULL, NULL))
                return fail_avro(r, "map add");
            if (dec(r, pl->items, &child)) {
                frame_name(r, (const char *)k, klen, true);
                return -1;
            }
        }
    }
}

static int dec_record(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst) {
    const ks_avro_node_t *w = pl->w;
    avro_value_t child;
    size_t i;

    for (i = 0; i < w->n; i++) {
        const ks_avro_wfield_t *wf = &pl->wfields[i];
        int rc;
        if (wf->rindex < 0) {
            rc = skip(r, w->fields[i].type);
        } else {
            if (avro_value_get_by_index(dst, (size_t)wf->rindex, &child,
                                        NULL))
                return fail_avro(r, "record field");
            rc = dec(r, wf->plan, &child);
        }
        if (rc) {
            frame_name(r, w->fields[i].name, strlen(w->fields[i].name), false);
            return -1;
        }
    }
    for (i = 0; i < pl->ndefaults; i++) {
        const ks_avro_rdefault_t *d = &pl->defaults[i];
        if (avro_value_get_by_index(dst, (size_t)d->rindex, &child, NULL) ||
            ks_avro_default_apply(d->field->type, d->field->def, &child,
                                  r->msg, sizeof(r->msg))) {
            r->err_off = (size_t)(r->p - r->start);
            frame_name(r, d->field->name, strlen(d->field->name), false);
            return -1;
        }
    }
    return 0;
}

static int dec_wunion(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst) {
    avro_value_t child;
    int64_t b;

    if (rd_long(r, &b, "union branch"))
        return -1;
    if (b < 0 || (uint64_t)b >= pl->w->n)
        return fail(r, "union branch %" PRId64 " is out of range (%zu "
                       "branches)",
                    b, pl->w->n);
    if (pl->branch_map[b] < 0)
        return dec(r, pl->branch_plans[b], dst);
    if (avro_value_set_branch(dst, pl->branch_map[b], &child))
        return fail_avro(r, "union branch");
    return dec(r, pl->branch_plans[b], &child);
}

static int dec(rd_t *r, const ks_avro_plan_t *pl, avro_value_t *dst) {
    const uint8_t *s = NULL;
    const char *str;
    size_t len;
    avro_value_t child;
    int64_t l;
    int32_t i;
    float f;
    double d;
    int rc;

    switch (pl->op) {
    case KS_OP_NULL:
        rc = avro_value_set_null(dst);
        break;
    case KS_OP_BOOLEAN:
        if (rd_fixed(r, 1, &s, "boolean"))
            return -1;
        if (*s > 1) {
            r->p--;
            return fail(r, "boolean byte 0x%02x is neither 0 nor 1", *s);
        }
        rc = avro_value_set_boolean(dst, *s);
        break;
    case KS_OP_INT:
    case KS_OP_INT_LONG:
    case KS_OP_INT_FLOAT:
    case KS_OP_INT_DOUBLE:
        if (rd_int(r, &i, "int"))
            return -1;
        rc = pl->op == KS_OP_INT        ? avro_value_set_int(dst, i)
             : pl->op == KS_OP_INT_LONG ? avro_value_set_long(dst, i)
             : pl->op == KS_OP_INT_FLOAT
                     ? avro_value_set_float(dst, (float)i)
                     : avro_value_set_double(dst, i);
        break;
    case KS_OP_LONG:
    case KS_OP_LONG_FLOAT:
    case KS_OP_LONG_DOUBLE:
        if (rd_long(r, &l, "long"))
            return -1;
        rc = pl->op == KS_OP_LONG ? avro_value_set_long(dst, l)
             : pl->op == KS_OP_LONG_FLOAT
                     ? avro_value_set_float(dst, (float)l)
                     : avro_value_set_double(dst, (double)l);
        break;
    case KS_OP_FLOAT:
    case KS_OP_FLOAT_DOUBLE:
        if (rd_fixed(r, 4, &s, "float"))
            return -1;
        memcpy(&f, s, 4); /* little-endian, as the host */
        rc = pl->op == KS_OP_FLOAT ? avro_value_set_float(dst, f)
                                   : avro_value_set_double(dst, f);
        break;
    case KS_OP_DOUBLE:
        if (rd_fixed(r, 8, &s, "double"))
            return -1;
        memcpy(&d, s, 8);
        rc = avro_value_set_double(dst, d);
        break;
    case KS_OP_STRING:
    case KS_OP_BYTES_STRING:
        if (rd_len(r, &s, &len, ks_avro_node_name(pl->w)))
            return -1;
        str = cstr(r, s, len);
        if (!str)
            return fail(r, "out of memory");
        rc = avro_value_set_string_len(dst, str, len + 1);
        break;
    case KS_OP_BYTES:
    case KS_OP_STRING_BYTES:
        if (rd_len(r, &s, &len, ks_avro_node_name(pl->w)))
            return -1;
        rc = avro_value_set_bytes(dst, (void *)s, len);
        break;
    case KS_OP_FIXED:
        if (rd_fixed(r, (size_t)pl->w->size, &s, pl->w->fullname))
            return -1;
        rc = avro_value_set_fixed(dst, (void *)s, (size_t)pl->w->size);
        break;
    case KS_OP_ENUM:
        if (rd_int(r, &i, "enum index"))
            return -1;
        if (i < 0 || (size_t)i >= pl->w->n)
            return fail(r, "enum %s index %d is out of range (%zu symbols)",
                        pl->w->fullname, i, pl->w->n);
        if (pl->enum_map[i] < 0)
            return fail(r, "enum symbol %s is not in the reader's %s, which "
                           "has no default",
                        pl->w->symbols[i], pl->r->fullname);
        rc = avro_value_set_enum(dst, pl->enum_map[i]);
        break;
    case KS_OP_ARRAY:
    case KS_OP_MAP:
    case KS_OP_RECORD:
    case KS_OP_WUNION:
        if (++r->depth > KS_AVRO_MAX_DEPTH)
            return fail(r, "nested deeper than %d", KS_AVRO_MAX_DEPTH);
        rc = pl->op == KS_OP_ARRAY    ? dec_array(r, pl, dst)
             : pl->op == KS_OP_MAP    ? dec_map(r, pl, dst)
             : pl->op == KS_OP_RECORD ? dec_record(r, pl, dst)
                                      : dec_wunion(r, pl, dst);
        r->depth--;
        return rc;
    case KS_OP_RUNION:
        if (avro_value_set_branch(dst, pl->rbranch, &child))
            return fail_avro(r, "union branch");
        return dec(r, pl->inner, &child);
    case KS_OP_FAIL:
    default:
        return fail(r, "%s", pl->fail ? pl->fail : "no resolution");
    }
    if (rc)
        return fail_avro(r, "Avro-C setter");
    return 0;
}

/* "items[2].sku" from the frames collected while unwinding. */
static void path_str(const rd_t *r, char *out, size_t size) {
    size_t o = 0;
    int i;

    out[0] = '\0';
    for (i = r->nframes - 1; i >= 0 && o + 1 < size; i--) {
        const frame_t *f = &r->frames[i];
        int n;
        if (!f->name)
            n = snprintf(out + o, size - o, "[%" PRId64 "]", f->index);
        else if (f->key)
            n = snprintf(out + o, size - o, "[%.*s]",
                         (int)(f->len > 64 ? 64 : f->len), f->name);
        else
            n = snprintf(out + o, size - o, "%s%.*s", o ? "." : "",
                         (int)(f->len > 64 ? 64 : f->len), f->name);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    if (o >= size)
        out[size - 1] = '\0';
}

kstream_err_t ks_avro_decode(kstream_avro_value_t *v,
                             const ks_avro_resolver_t *res, const void *data,
                             size_t len) {
    rd_t r;
    char path[200];

    r.start = r.p = data;
    r.end = r.start + len;
    r.v = v;
    r.zero_items = 0;
    r.depth = 0;
    r.nframes = 0;
    r.msg[0] = '\0';
    if (dec(&r, res->root, &v->value) == 0) {
        if (r.p == r.end)
            return KSTREAM_OK;
        return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                            "Avro: %zu trailing bytes after the value "
                            "(it ends at offset %zu of %zu)",
                            (size_t)(r.end - r.p), (size_t)(r.p - r.start),
                            len);
    }
    path_str(&r, path, sizeof(path));
    return ks_avro_verr(v, KSTREAM_ERR_SERDE, "Avro: %s%s%s%s (offset %zu of "
                                              "%zu)",
                        path[0] ? "at " : "", path, path[0] ? ": " : "",
                        r.msg, r.err_off, len);
}
