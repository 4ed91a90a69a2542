/* avro_parse.c - the schema parser (Java's Schema.Parser): the JSON text
 * into a graph of nodes that keeps what Avro-C drops (defaults, aliases,
 * logical types). Names and namespaces follow the specification: a name
 * with dots is a full name, else it takes the enclosing namespace; a named
 * type is registered before its body, so that the body may refer to it
 * (recursive types share the node). */
#include "serde/avro_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pctx {
    kstream_avro_schema_t *s;
    ks_map_t *names; /* fullname -> ks_avro_node_t * */
    char err[KS_AVRO_ERRSIZE];
} pctx_t;

static int perr(pctx_t *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int perr(pctx_t *c, const char *fmt, ...) {
    va_list ap;

    if (c->err[0])
        return -1;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* Put "where: " in front of the message while the error unwinds. */
static void pwhere(pctx_t *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void pwhere(pctx_t *c, const char *fmt, ...) {
    char pre[160];
    size_t plen, mlen;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    plen = strlen(pre);
    mlen = strlen(c->err);
    if (plen + mlen + 1 > sizeof(c->err))
        mlen = sizeof(c->err) - plen - 1;
    memmove(c->err + plen, c->err, mlen);
    memcpy(c->err, pre, plen);
    c->err[plen + mlen] = '\0';
}

static ks_avro_node_t *node_new(pctx_t *c, kstream_avro_type_t type) {
    ks_avro_node_t *n = calloc(1, sizeof(*n));

    if (!n || ks_vec_push(&c->s->nodes, n)) {
        free(n);
        perr(c, "out of memory");
        return NULL;
    }
    n->type = type;
    n->enum_default = -1;
    return n;
}

void ks_avro_node_free(ks_avro_node_t *n) {
    size_t i, j;

    free(n->fullname);
    free(n->name);
    for (i = 0; i < n->naliases; i++)
        free(n->aliases[i]);
    free(n->aliases);
    free(n->logical);
    if (n->type == KSTREAM_AVRO_RECORD) {
        for (i = 0; i < n->n; i++) {
            free(n->fields[i].name);
            for (j = 0; j < n->fields[i].naliases; j++)
                free(n->fields[i].aliases[j]);
            free(n->fields[i].aliases);
        }
    }
    free(n->fields);
    if (n->type == KSTREAM_AVRO_ENUM)
        for (i = 0; i < n->n; i++)
            free(n->symbols[i]);
    free(n->symbols);
    free(n->branches);
    free(n);
}

static const struct {
    const char *name;
    kstream_avro_type_t type;
} prims[] = {
        {"null", KSTREAM_AVRO_NULL},     {"boolean", KSTREAM_AVRO_BOOLEAN},
        {"int", KSTREAM_AVRO_INT},       {"long", KSTREAM_AVRO_LONG},
        {"float", KSTREAM_AVRO_FLOAT},   {"double", KSTREAM_AVRO_DOUBLE},
        {"bytes", KSTREAM_AVRO_BYTES},   {"string", KSTREAM_AVRO_STRING},
};

static int prim_type(const char *name) {
    size_t i;

    for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
        if (!strcmp(prims[i].name, name))
            return (int)prims[i].type;
    return -1;
}

const char *ks_avro_node_name(const ks_avro_node_t *node) {
    static const char *names[] = {"null",  "boolean", "int",   "long",
                                  "float", "double",  "bytes", "string",
                                  "fixed", "enum",    "array", "map",
                                  "record", "union"};
    if (node->fullname)
        return node->fullname;
    return names[node->type];
}

/* [A-Za-z_][A-Za-z0-9_]* */
static bool valid_ident(const char *s, size_t len) {
    size_t i;

    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

/* Dot-separated identifiers. */
static bool valid_fullname(const char *s) {
    const char *dot;

    for (;;) {
        dot = strchr(s, '.');
        if (!valid_ident(s, dot ? (size_t)(dot - s) : strlen(s)))
            return false;
        if (!dot)
            return true;
        s = dot + 1;
    }
}

static char *join_name(const char *ns, const char *name) {
    size_t a, b;
    char *s;

    if (!ns || !*ns || strchr(name, '.'))
        return ks_strdup(name);
    a = strlen(ns);
    b = strlen(name);
    s = malloc(a + b + 2);
    if (!s)
        return NULL;
    memcpy(s, ns, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

static const char *json_str(const json_t *obj, const char *key) {
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static ks_avro_node_t *parse(pctx_t *c, json_t *j, const char *ns);

/* A reference to a named type, relative to \p ns. */
static ks_avro_node_t *lookup_name(pctx_t *c, const char *name,
                                   const char *ns) {
    ks_avro_node_t *n = NULL;
    char *full;

    if (!strchr(name, '.') && ns && *ns) {
        full = join_name(ns, name);
        if (!full) {
            perr(c, "out of memory");
            return NULL;
        }
        n = ks_map_get(c->names, full);
        free(full);
    }
    if (!n)
        n = ks_map_get(c->names, name);
    if (!n)
        perr(c, "unknown type \"%s\"", name);
    return n;
}

/* name, namespace and aliases of a named type; registers it before its
 * body is parsed, so that the body may refer to it (recursion). Sets
 * \p *ns_out to the type's namespace (borrowed from the node). */
static int named(pctx_t *c, ks_avro_node_t *n, json_t *j, const char *ns,
                 const char **ns_out) {
    const char *name = json_str(j, "name");
    const json_t *jns = json_object_get(j, "namespace");
    const json_t *al = json_object_get(j, "aliases");
    const char *own_ns = ns, *dot;
    size_t i;

    if (!name)
        return perr(c, "a %s needs a \"name\"", ks_avro_node_name(n));
    if (json_is_string(jns))
        own_ns = json_string_value(jns);
    else if (jns && !json_is_null(jns))
        return perr(c, "\"namespace\" of \"%s\" is not a string", name);
    n->fullname = join_name(own_ns, name);
    if (!n->fullname)
        return perr(c, "out of memory");
    if (!valid_fullname(n->fullname))
        return perr(c, "invalid name \"%s\"", n->fullname);
    dot = strrchr(n->fullname, '.');
    n->name = ks_strdup(dot ? dot + 1 : n->fullname);
    if (!n->name)
        return perr(c, "out of memory");
    if (prim_type(n->fullname) >= 0)
        return perr(c, "\"%s\" cannot be redefined", n->fullname);
    if (ks_map_get(c->names, n->fullname))
        return perr(c, "\"%s\" is defined twice", n->fullname);
    if (ks_map_put(c->names, n->fullname, n))
        return perr(c, "out of memory");
    if (al && !json_is_array(al))
        return perr(c, "\"aliases\" of \"%s\" is not an array", name);
    if (al && json_array_size(al)) {
        n->aliases = calloc(json_array_size(al), sizeof(char *));
        if (!n->aliases)
            return perr(c, "out of memory");
        for (i = 0; i < json_array_size(al); i++) {
            const json_t *a = json_array_get(al, i);
            char *ans;
            if (!json_is_string(a))
                return perr(c, "an alias of \"%s\" is not a string", name);
            /* Aliases are relative to the type's namespace. */
            ans = dot ? strndup(n->fullname, (size_t)(dot - n->fullname))
                      : NULL;
            if (dot && !ans)
                return perr(c, "out of memory");
            n->aliases[n->naliases] = join_name(ans, json_string_value(a));
            free(ans);
            if (!n->aliases[n->naliases++])
                return perr(c, "out of memory");
        }
    }
    *ns_out = n->fullname;
    return 0;
}

/* The namespace part of a full name, in \p buf (NULL when none). */
static const char *ns_of(const char *fullname, char *buf, size_t size) {
    const char *dot = strrchr(fullname, '.');
    size_t len;

    if (!dot)
        return NULL;
    len = (size_t)(dot - fullname);
    if (len >= size)
        len = size - 1;
    memcpy(buf, fullname, len);
    buf[len] = '\0';
    return buf;
}

static int parse_record(pctx_t *c, ks_avro_node_t *n, json_t *j,
                        const char *ns) {
    char nsbuf[512];
    const char *full = NULL, *inner_ns;
    json_t *fields = json_object_get(j, "fields");
    size_t i, k;

    if (named(c, n, j, ns, &full))
        return -1;
    inner_ns = ns_of(full, nsbuf, sizeof(nsbuf));
    if (!json_is_array(fields))
        return perr(c, "record \"%s\" needs a \"fields\" array", full);
    n->fields = calloc(json_array_size(fields) + 1, sizeof(*n->fields));
    if (!n->fields)
        return perr(c, "out of memory");
    for (i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        ks_avro_field_t *fd = &n->fields[i];
        const char *fname = json_is_object(f) ? json_str(f, "name") : NULL;
        const json_t *al;

        if (!fname || !valid_ident(fname, strlen(fname)))
            return perr(c, "record \"%s\": field %zu needs a valid "
                           "\"name\"", full, i);
        for (k = 0; k < i; k++)
            if (!strcmp(n->fields[k].name, fname))
                return perr(c, "record \"%s\": field \"%s\" appears "
                               "twice", full, fname);
        fd->name = ks_strdup(fname);
        if (!fd->name)
            return perr(c, "out of memory");
        n->n = i + 1;
        if (!json_object_get(f, "type"))
            return perr(c, "record \"%s\": field \"%s\" has no \"type\"",
                        full, fname);
        fd->type = parse(c, json_object_get(f, "type"), inner_ns);
        if (!fd->type) {
            pwhere(c, "record \"%s\", field \"%s\": ", full, fname);
            return -1;
        }
        fd->def = json_object_get(f, "default");
        al = json_object_get(f, "aliases");
        if (json_is_array(al) && json_array_size(al)) {
            fd->aliases = calloc(json_array_size(al), sizeof(char *));
            if (!fd->aliases)
                return perr(c, "out of memory");
            for (k = 0; k < json_array_size(al); k++) {
                const json_t *a = json_array_get(al, k);
                if (!json_is_string(a))
                    continue;
                fd->aliases[fd->naliases] = ks_strdup(json_string_value(a));
                if (!fd->aliases[fd->naliases++])
                    return perr(c, "out of memory");
            }
        }
    }
    return 0;
}

static int parse_enum(pctx_t *c, ks_avro_node_t *n, json_t *j,
                      const char *ns) {
    const char *full = NULL, *def;
    json_t *syms = json_object_get(j, "symbols");
    size_t i, k;

    if (named(c, n, j, ns, &full))
        return -1;
    if (!json_is_array(syms))
        return perr(c, "enum \"%s\" needs a \"symbols\" array", full);
    n->symbols = calloc(json_array_size(syms) + 1, sizeof(char *));
    if (!n->symbols)
        return perr(c, "out of memory");
    for (i = 0; i < json_array_size(syms); i++) {
        const json_t *s = json_array_get(syms, i);
        const char *sym = json_is_string(s) ? json_string_value(s) : NULL;
        if (!sym || !valid_ident(sym, strlen(sym)))
            return perr(c, "enum \"%s\": symbol %zu is not a valid name",
                        full, i);
        for (k = 0; k < i; k++)
            if (!strcmp(n->symbols[k], sym))
                return perr(c, "enum \"%s\": symbol \"%s\" appears twice",
                            full, sym);
        n->symbols[i] = ks_strdup(sym);
        if (!n->symbols[i])
            return perr(c, "out of memory");
        n->n = i + 1;
    }
    def = json_str(j, "default");
    if (def) {
        for (i = 0; i < n->n; i++)
            if (!strcmp(n->symbols[i], def))
                n->enum_default = (int)i;
        if (n->enum_default < 0)
            return perr(c, "enum \"%s\": default \"%s\" is not a symbol",
                        full, def);
    }
    return 0;
}

static int parse_fixed(pctx_t *c, ks_avro_node_t *n, json_t *j,
                       const char *ns) {
    const char *full = NULL;
    const json_t *size = json_object_get(j, "size");

    if (named(c, n, j, ns, &full))
        return -1;
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > INT32_MAX)
        return perr(c, "fixed \"%s\" needs a \"size\" >= 0", full);
    n->size = json_integer_value(size);
    return 0;
}

/* Keep a logicalType when it is valid for its type (else the spec says to
 * ignore it); unknown logical types are kept as annotations. */
static int logical(pctx_t *c, ks_avro_node_t *n, const json_t *j) {
    const char *lt = json_str(j, "logicalType");
    const json_t *jp, *js;
    bool ok = true;
    kstream_avro_type_t t = n->type;

    if (!lt || n->logical)
        return 0;
    if (!strcmp(lt, "decimal")) {
        jp = json_object_get(j, "precision");
        js = json_object_get(j, "scale");
        ok = (t == KSTREAM_AVRO_BYTES || t == KSTREAM_AVRO_FIXED) &&
             json_is_integer(jp) && json_integer_value(jp) > 0 &&
             json_integer_value(jp) <= 1000 &&
             (!js || (json_is_integer(js) && json_integer_value(js) >= 0 &&
                      json_integer_value(js) <= json_integer_value(jp)));
        if (ok && t == KSTREAM_AVRO_FIXED) {
            /* Digits that fit in size bytes of two's complement:
             * floor(log10(2^(8 size - 1) - 1)) ~ (8 size - 1) * log10(2). */
            double digits = (double)(8 * n->size - 1) * 0.30102999566;
            ok = n->size > 0 && json_integer_value(jp) <= (long long)digits;
        }
        if (ok) {
            n->precision = (int)json_integer_value(jp);
            n->scale = js ? (int)json_integer_value(js) : 0;
        }
    } else if (!strcmp(lt, "uuid")) {
        ok = t == KSTREAM_AVRO_STRING ||
             (t == KSTREAM_AVRO_FIXED && n->size == 16);
    } else if (!strcmp(lt, "date") || !strcmp(lt, "time-millis")) {
        ok = t == KSTREAM_AVRO_INT;
    } else if (!strcmp(lt, "time-micros") ||
               !strcmp(lt, "timestamp-millis") ||
               !strcmp(lt, "timestamp-micros") ||
               !strcmp(lt, "local-timestamp-millis") ||
               !strcmp(lt, "local-timestamp-micros")) {
        ok = t == KSTREAM_AVRO_LONG;
    } else if (!strcmp(lt, "duration")) {
        ok = t == KSTREAM_AVRO_FIXED && n->size == 12;
    }
    if (ok && !(n->logical = ks_strdup(lt)))
        return perr(c, "out of memory");
    return 0;
}

static ks_avro_node_t *parse_union(pctx_t *c, json_t *j, const char *ns) {
    ks_avro_node_t *n = node_new(c, KSTREAM_AVRO_UNION);
    size_t i, k;

    if (!n)
        return NULL;
    n->branches = calloc(json_array_size(j) + 1, sizeof(*n->branches));
    if (!n->branches) {
        perr(c, "out of memory");
        return NULL;
    }
    for (i = 0; i < json_array_size(j); i++) {
        ks_avro_node_t *b = parse(c, json_array_get(j, i), ns);
        if (!b) {
            pwhere(c, "union branch %zu: ", i);
            return NULL;
        }
        if (b->type == KSTREAM_AVRO_UNION) {
            perr(c, "a union cannot hold a union directly (branch %zu)", i);
            return NULL;
        }
        for (k = 0; k < i; k++)
            if (!strcmp(ks_avro_node_name(n->branches[k]),
                        ks_avro_node_name(b))) {
                perr(c, "union has \"%s\" twice", ks_avro_node_name(b));
                return NULL;
            }
        n->branches[i] = b;
        n->n = i + 1;
    }
    return n;
}

static ks_avro_node_t *parse(pctx_t *c, json_t *j, const char *ns) {
    ks_avro_node_t *n;
    const char *type;
    json_t *jt;
    int pt;

    if (json_is_string(j)) {
        pt = prim_type(json_string_value(j));
        if (pt >= 0)
            return node_new(c, (kstream_avro_type_t)pt);
        return lookup_name(c, json_string_value(j), ns);
    }
    if (json_is_array(j))
        return parse_union(c, j, ns);
    if (!json_is_object(j)) {
        perr(c, "a schema is a string, an object or an array");
        return NULL;
    }
    jt = json_object_get(j, "type");
    if (json_is_array(jt) || json_is_object(jt))
        return parse(c, jt, ns); /* {"type": {...}}: the inner schema */
    if (!json_is_string(jt)) {
        perr(c, "a schema object needs a \"type\"");
        return NULL;
    }
    type = json_string_value(jt);
    pt = prim_type(type);
    if (pt >= 0) {
        n = node_new(c, (kstream_avro_type_t)pt);
    } else if (!strcmp(type, "record") || !strcmp(type, "error")) {
        n = node_new(c, KSTREAM_AVRO_RECORD);
        if (n && parse_record(c, n, j, ns))
            return NULL;
    } else if (!strcmp(type, "enum")) {
        n = node_new(c, KSTREAM_AVRO_ENUM);
        if (n && parse_enum(c, n, j, ns))
            return NULL;
    } else if (!strcmp(type, "fixed")) {
        n = node_new(c, KSTREAM_AVRO_FIXED);
        if (n && parse_fixed(c, n, j, ns))
            return NULL;
    } else if (!strcmp(type, "array") || !strcmp(type, "map")) {
        bool arr = type[0] == 'a';
        json_t *it = json_object_get(j, arr ? "items" : "values");
        n = node_new(c, arr ? KSTREAM_AVRO_ARRAY : KSTREAM_AVRO_MAP);
        if (!n)
            return NULL;
        if (!it) {
            perr(c, "%s needs \"%s\"", type, arr ? "items" : "values");
            return NULL;
        }
        n->items = parse(c, it, ns);
        if (!n->items) {
            pwhere(c, "%s %s: ", type, arr ? "items" : "values");
            return NULL;
        }
    } else {
        /* {"type": "Name"}: a reference. */
        return lookup_name(c, type, ns);
    }
    if (n && logical(c, n, j))
        return NULL;
    return n;
}

ks_avro_node_t *ks_avro_parse_nodes(kstream_avro_schema_t *s, json_t *doc,
                                    char *errstr, size_t errstr_size) {
    ks_avro_node_t *root = NULL;
    pctx_t c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.names = ks_map_new();
    if (!c.names)
        perr(&c, "out of memory");
    else
        root = parse(&c, doc, NULL);
    ks_map_destroy(c.names);
    if (!root)
        snprintf(errstr, errstr_size, "%s", c.err);
    return root;
}
