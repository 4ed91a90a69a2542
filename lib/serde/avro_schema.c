/* avro_schema.c - kstream_avro_schema_t (Java's Schema): the JSON text,
 * the node graph parsed from it (avro_parse.c), its Parsing Canonical Form
 * (equality, caches) and Avro-C's own parse of the same text, checked to
 * have the same shape so that field, branch and symbol indexes agree
 * between the two (values are Avro-C generic values of that parse). */
#include "serde/avro_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sctx {
    char err[KS_AVRO_ERRSIZE];
} sctx_t;

static int perr(sctx_t *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int perr(sctx_t *c, const char *fmt, ...) {
    va_list ap;

    if (c->err[0])
        return -1;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- zero-size types -------------------------------------------------- */
static void mark_zero(kstream_avro_schema_t *s) {
    bool changed = true;
    size_t i, k;

    /* A fixpoint from "nothing is zero-size": cycles stay non-zero (a
     * recursive type always goes through a union, array or map). */
    while (changed) {
        changed = false;
        for (i = 0; i < s->nodes.len; i++) {
            ks_avro_node_t *n = s->nodes.items[i];
            bool z;
            if (n->zero_size)
                continue;
            switch (n->type) {
            case KSTREAM_AVRO_NULL:
                z = true;
                break;
            case KSTREAM_AVRO_FIXED:
                z = n->size == 0;
                break;
            case KSTREAM_AVRO_RECORD:
                z = true;
                for (k = 0; k < n->n; k++)
                    z = z && n->fields[k].type->zero_size;
                break;
            default:
                z = false;
            }
            if (z) {
                n->zero_size = true;
                changed = true;
            }
        }
    }
}

/* ---- Parsing Canonical Form ------------------------------------------- */
static int canon(ks_buf_t *b, const ks_avro_node_t *n, ks_map_t *seen) {
    size_t i;
    int rc = 0;

    if (n->fullname) {
        if (ks_map_get(seen, n->fullname))
            return ks_buf_appendf(b, "\"%s\"", n->fullname);
        if (ks_map_put(seen, n->fullname, (void *)n))
            return -1;
    }
    switch (n->type) {
    case KSTREAM_AVRO_RECORD:
        rc |= ks_buf_appendf(b, "{\"name\":\"%s\",\"type\":\"record\","
                                "\"fields\":[", n->fullname);
        for (i = 0; i < n->n; i++) {
            rc |= ks_buf_appendf(b, "%s{\"name\":\"%s\",\"type\":",
                                 i ? "," : "", n->fields[i].name);
            rc |= canon(b, n->fields[i].type, seen);
            rc |= ks_buf_putc(b, '}');
        }
        return rc | ks_buf_append(b, "]}", 2);
    case KSTREAM_AVRO_ENUM:
        rc |= ks_buf_appendf(b, "{\"name\":\"%s\",\"type\":\"enum\","
                                "\"symbols\":[", n->fullname);
        for (i = 0; i < n->n; i++)
            rc |= ks_buf_appendf(b, "%s\"%s\"", i ? "," : "", n->symbols[i]);
        return rc | ks_buf_append(b, "]}", 2);
    case KSTREAM_AVRO_FIXED:
        return ks_buf_appendf(b, "{\"name\":\"%s\",\"type\":\"fixed\","
                                 "\"size\":%lld}", n->fullname,
                              (long long)n->size);
    case KSTREAM_AVRO_ARRAY:
    case KSTREAM_AVRO_MAP:
        rc |= ks_buf_appendf(b, "{\"type\":\"%s\",\"%s\":",
                             n->type == KSTREAM_AVRO_ARRAY ? "array" : "map",
                             n->type == KSTREAM_AVRO_ARRAY ? "items"
                                                           : "values");
        rc |= canon(b, n->items, seen);
        return rc | ks_buf_putc(b, '}');
    case KSTREAM_AVRO_UNION:
        rc |= ks_buf_putc(b, '[');
        for (i = 0; i < n->n; i++) {
            if (i)
                rc |= ks_buf_putc(b, ',');
            rc |= canon(b, n->branches[i], seen);
        }
        return rc | ks_buf_putc(b, ']');
    default:
        return ks_buf_appendf(b, "\"%s\"", ks_avro_node_name(n));
    }
}

/* ---- the shape check against Avro-C's parse --------------------------- */
static avro_schema_t unlink_avro(avro_schema_t a) {
    while (a && is_avro_link(a))
        a = avro_schema_link_target(a);
    return a;
}

static int same_shape(sctx_t *c, const ks_avro_node_t *n, avro_schema_t a,
                      ks_map_t *checked) {
    static const avro_type_t want[] = {
            AVRO_NULL,   AVRO_BOOLEAN, AVRO_INT32, AVRO_INT64, AVRO_FLOAT,
            AVRO_DOUBLE, AVRO_BYTES,   AVRO_STRING, AVRO_FIXED, AVRO_ENUM,
            AVRO_ARRAY,  AVRO_MAP,     AVRO_RECORD, AVRO_UNION};
    size_t i;

    a = unlink_avro(a);
    if (!a || avro_typeof(a) != want[n->type])
        return perr(c, "Avro-C reads %s differently", ks_avro_node_name(n));
    if (n->fullname) {
        if (ks_map_get(checked, n->fullname))
            return 0;
        if (ks_map_put(checked, n->fullname, (void *)n))
            return perr(c, "out of memory");
        if (strcmp(avro_schema_name(a), n->name))
            return perr(c, "Avro-C names %s \"%s\"", n->fullname,
                        avro_schema_name(a));
    }
    switch (n->type) {
    case KSTREAM_AVRO_RECORD:
        if (avro_schema_record_size(a) != n->n)
            return perr(c, "Avro-C reads record %s differently",
                        n->fullname);
        for (i = 0; i < n->n; i++) {
            if (strcmp(avro_schema_record_field_name(a, (int)i),
                       n->fields[i].name))
                return perr(c, "Avro-C reads record %s differently",
                            n->fullname);
            if (same_shape(c, n->fields[i].type,
                           avro_schema_record_field_get_by_index(a, (int)i),
                           checked))
                return -1;
        }
        return 0;
    case KSTREAM_AVRO_ENUM:
        if ((size_t)avro_schema_enum_number_of_symbols(a) != n->n)
            return perr(c, "Avro-C reads enum %s differently", n->fullname);
        for (i = 0; i < n->n; i++)
            if (strcmp(avro_schema_enum_get(a, (int)i), n->symbols[i]))
                return perr(c, "Avro-C reads enum %s differently",
                            n->fullname);
        return 0;
    case KSTREAM_AVRO_FIXED:
        if (avro_schema_fixed_size(a) != n->size)
            return perr(c, "Avro-C reads fixed %s differently", n->fullname);
        return 0;
    case KSTREAM_AVRO_ARRAY:
        return same_shape(c, n->items, avro_schema_array_items(a), checked);
    case KSTREAM_AVRO_MAP:
        return same_shape(c, n->items, avro_schema_map_values(a), checked);
    case KSTREAM_AVRO_UNION:
        if (avro_schema_union_size(a) != n->n)
            return perr(c, "Avro-C reads a union differently");
        for (i = 0; i < n->n; i++)
            if (same_shape(c, n->branches[i],
                           avro_schema_union_branch(a, (int)i), checked))
                return -1;
        return 0;
    default:
        return 0;
    }
}

void ks_avro_c_error(char *dest, size_t size, const char *what) {
    /* avro_strerror() is one static buffer unless Avro-C was built
     * thread-safe: copy it at once. */
    const char *e = avro_strerror();
    if (dest && size)
        snprintf(dest, size, "%s: %s", what, e && *e ? e : "(no detail)");
}

/* ---- public ------------------------------------------------------------ */
static void schema_free(kstream_avro_schema_t *s) {
    size_t i;

    if (s->self)
        ks_avro_resolver_unref(s->self);
    if (s->iface)
        avro_value_iface_decref(s->iface);
    if (s->avro)
        avro_schema_decref(s->avro);
    for (i = 0; i < s->nodes.len; i++)
        ks_avro_node_free(s->nodes.items[i]);
    ks_vec_free(&s->nodes);
    if (s->doc)
        json_decref(s->doc);
    free(s->json);
    free(s->norm);
    free(s->canon);
    free(s);
}

kstream_avro_schema_t *ks_avro_schema_parse(const char *json, char *errstr,
                                            size_t errstr_size) {
    kstream_avro_schema_t *s;
    json_error_t jerr;
    ks_map_t *names = NULL;
    ks_buf_t b;
    sctx_t c;

    c.err[0] = '\0';
    s = calloc(1, sizeof(*s));
    if (!s) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->json = ks_strdup(json);
    if (!s->json) {
        perr(&c, "out of memory");
        goto fail;
    }
    s->doc = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!s->doc) {
        perr(&c, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
             jerr.column);
        goto fail;
    }
    s->root = ks_avro_parse_nodes(s, s->doc, c.err, sizeof(c.err));
    if (!s->root)
        goto fail;
    mark_zero(s);
    s->norm = json_dumps(s->doc, JSON_COMPACT | JSON_SORT_KEYS |
                                         JSON_ENCODE_ANY);
    names = ks_map_new();
    ks_buf_init(&b, NULL);
    if (!s->norm || !names || canon(&b, s->root, names) ||
        !(s->canon = ks_buf_steal(&b))) {
        ks_buf_free(&b);
        perr(&c, "out of memory");
        goto fail;
    }
    ks_map_destroy(names);
    /* Avro-C's parse, for generic values; it must agree with ours. */
    if (avro_schema_from_json_length(s->json, strlen(s->json), &s->avro)) {
        ks_avro_c_error(c.err, sizeof(c.err), "Avro-C refuses the schema");
        s->avro = NULL;
        goto fail;
    }
    names = ks_map_new();
    if (!names) {
        perr(&c, "out of memory");
        goto fail;
    }
    if (same_shape(&c, s->root, s->avro, names))
        goto fail;
    s->iface = avro_generic_class_from_schema(s->avro);
    if (!s->iface) {
        ks_avro_c_error(c.err, sizeof(c.err), "Avro-C generic class");
        goto fail;
    }
    s->self = ks_avro_resolver_new(s, s, true, c.err, sizeof(c.err));
    if (!s->self)
        goto fail;
    ks_map_destroy(names);
    return s;
fail:
    ks_errstr(errstr, errstr_size, "invalid Avro schema: %s", c.err);
    ks_map_destroy(names);
    schema_free(s);
    return NULL;
}

kstream_avro_schema_t *kstream_avro_schema_new(const char *json, char *errstr,
                                               size_t errstr_size) {
    if (!json) {
        ks_errstr(errstr, errstr_size, "kstream_avro_schema_new: json is "
                                       "NULL");
        return NULL;
    }
    return ks_avro_schema_parse(json, errstr, errstr_size);
}

kstream_avro_schema_t *
kstream_avro_schema_ref(const kstream_avro_schema_t *schema) {
    kstream_avro_schema_t *s = (kstream_avro_schema_t *)schema;

    if (s)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

void kstream_avro_schema_destroy(kstream_avro_schema_t *schema) {
    if (schema && atomic_fetch_sub(&schema->refs, 1) == 1)
        schema_free(schema);
}

const char *kstream_avro_schema_json(const kstream_avro_schema_t *schema) {
    return schema ? schema->json : NULL;
}

const char *kstream_avro_schema_name(const kstream_avro_schema_t *schema) {
    return schema ? ks_avro_node_name(schema->root) : NULL;
}

kstream_avro_type_t
kstream_avro_schema_type(const kstream_avro_schema_t *schema) {
    return schema ? schema->root->type : KSTREAM_AVRO_NULL;
}

bool kstream_avro_schema_equal(const kstream_avro_schema_t *a,
                               const kstream_avro_schema_t *b) {
    if (!a || !b)
        return false;
    return a == b || !strcmp(a->canon, b->canon);
}

struct avro_obj_t *kstream_avro_schema_avro(const kstream_avro_schema_t *schema) {
    return schema ? schema->avro : NULL;
}
