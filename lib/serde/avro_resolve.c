/* avro_resolve.c - schema resolution (Java's ResolvingGrammarGenerator):
 * a plan to decode data written with one schema into values of another,
 * by Avro's rules. Fields only the writer has are skipped, fields only the
 * reader has take their default, numbers promote (int -> long -> float ->
 * double), string and bytes convert, enum symbols and union branches match
 * by name. A mismatch that data may never reach (a union branch, an enum
 * symbol) becomes a FAIL plan that errors only when the data reaches it, as
 * the specification asks. Plans are built once per schema pair and shared
 * read-only by any number of threads. */
#include "serde/avro_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rctx {
    ks_avro_resolver_t *res;
    ks_map_t *memo; /* "writer-node:reader-node" -> plan (recursion) */
    char err[KS_AVRO_ERRSIZE];
} rctx_t;

static ks_avro_plan_t *plan_new(rctx_t *c, ks_avro_op_t op,
                                const ks_avro_node_t *w,
                                const ks_avro_node_t *r) {
    ks_avro_plan_t *p = calloc(1, sizeof(*p));

    if (!p || ks_vec_push(&c->res->plans, p)) {
        free(p);
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    p->op = op;
    p->w = w;
    p->r = r;
    return p;
}

static void plan_free(ks_avro_plan_t *p) {
    free(p->wfields);
    free(p->defaults);
    free(p->enum_map);
    free(p->branch_map);
    free(p->branch_plans);
    free(p->fail);
    free(p);
}

static ks_avro_plan_t *plan_fail(rctx_t *c, const ks_avro_node_t *w,
                                 const ks_avro_node_t *r, const char *fmt,
                                 ...) __attribute__((format(printf, 4, 5)));
static ks_avro_plan_t *plan_fail(rctx_t *c, const ks_avro_node_t *w,
                                 const ks_avro_node_t *r, const char *fmt,
                                 ...) {
    ks_avro_plan_t *p = plan_new(c, KS_OP_FAIL, w, r);
    char msg[KS_AVRO_ERRSIZE];
    va_list ap;

    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->fail = ks_strdup(msg);
    if (!p->fail) {
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    return p;
}

static const char *short_name(const char *full) {
    const char *dot = strrchr(full, '.');
    return dot ? dot + 1 : full;
}

/* Named types match by full name, by unqualified name, or through one of
 * the reader's aliases. */
static bool names_match(const ks_avro_node_t *w, const ks_avro_node_t *r) {
    size_t i;

    if (!strcmp(w->fullname, r->fullname) || !strcmp(w->name, r->name))
        return true;
    for (i = 0; i < r->naliases; i++)
        if (!strcmp(r->aliases[i], w->fullname) ||
            !strcmp(short_name(r->aliases[i]), w->name))
            return true;
    return false;
}

/* The promotion op from writer type \p wt to reader type \p rt, or -1. */
static int prim_op(kstream_avro_type_t wt, kstream_avro_type_t rt) {
    switch (wt) {
    case KSTREAM_AVRO_NULL:
        return rt == wt ? KS_OP_NULL : -1;
    case KSTREAM_AVRO_BOOLEAN:
        return rt == wt ? KS_OP_BOOLEAN : -1;
    case KSTREAM_AVRO_INT:
        return rt == KSTREAM_AVRO_INT      ? KS_OP_INT
               : rt == KSTREAM_AVRO_LONG   ? KS_OP_INT_LONG
               : rt == KSTREAM_AVRO_FLOAT  ? KS_OP_INT_FLOAT
               : rt == KSTREAM_AVRO_DOUBLE ? KS_OP_INT_DOUBLE
                                           : -1;
    case KSTREAM_AVRO_LONG:
        return rt == KSTREAM_AVRO_LONG     ? KS_OP_LONG
               : rt == KSTREAM_AVRO_FLOAT  ? KS_OP_LONG_FLOAT
               : rt == KSTREAM_AVRO_DOUBLE ? KS_OP_LONG_DOUBLE
                                           : -1;
    case KSTREAM_AVRO_FLOAT:
        return rt == KSTREAM_AVRO_FLOAT    ? KS_OP_FLOAT
               : rt == KSTREAM_AVRO_DOUBLE ? KS_OP_FLOAT_DOUBLE
                                           : -1;
    case KSTREAM_AVRO_DOUBLE:
        return rt == wt ? KS_OP_DOUBLE : -1;
    case KSTREAM_AVRO_BYTES:
        return rt == KSTREAM_AVRO_BYTES    ? KS_OP_BYTES
               : rt == KSTREAM_AVRO_STRING ? KS_OP_BYTES_STRING
                                           : -1;
    case KSTREAM_AVRO_STRING:
        return rt == KSTREAM_AVRO_STRING  ? KS_OP_STRING
               : rt == KSTREAM_AVRO_BYTES ? KS_OP_STRING_BYTES
                                          : -1;
    default:
        return -1;
    }
}

/* Does writer \p w match reader \p r at the top (the test for picking a
 * reader union branch)? exact: same type (and name); else promotable. */
static bool matches(const ks_avro_node_t *w, const ks_avro_node_t *r,
                    bool exact) {
    if (w->type != r->type)
        return !exact && prim_op(w->type, r->type) >= 0;
    switch (w->type) {
    case KSTREAM_AVRO_RECORD:
    case KSTREAM_AVRO_ENUM:
    case KSTREAM_AVRO_FIXED:
        return names_match(w, r);
    default:
        return true;
    }
}

static int reader_branch(const ks_avro_node_t *w, const ks_avro_node_t *ru) {
    size_t i;

    for (i = 0; i < ru->n; i++)
        if (matches(w, ru->branches[i], true))
            return (int)i;
    for (i = 0; i < ru->n; i++)
        if (matches(w, ru->branches[i], false))
            return (int)i;
    return -1;
}

static ks_avro_plan_t *build(rctx_t *c, const ks_avro_node_t *w,
                             const ks_avro_node_t *r);

static int field_index(const ks_avro_node_t *r, const char *wname) {
    size_t i, k;

    for (i = 0; i < r->n; i++)
        if (!strcmp(r->fields[i].name, wname))
            return (int)i;
    for (i = 0; i < r->n; i++)
        for (k = 0; k < r->fields[i].naliases; k++)
            if (!strcmp(r->fields[i].aliases[k], wname))
                return (int)i;
    return -1;
}

static ks_avro_plan_t *build_record(rctx_t *c, ks_avro_plan_t *p) {
    const ks_avro_node_t *w = p->w, *r = p->r;
    bool *seen;
    size_t i;

    p->wfields = calloc(w->n + 1, sizeof(*p->wfields));
    p->defaults = calloc(r->n + 1, sizeof(*p->defaults));
    seen = calloc(r->n + 1, sizeof(*seen));
    if (!p->wfields || !p->defaults || !seen) {
        free(seen);
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    for (i = 0; i < w->n; i++) {
        int ri = field_index(r, w->fields[i].name);
        p->wfields[i].rindex = ri;
        if (ri < 0 || seen[ri]) {
            p->wfields[i].rindex = -1;
            continue;
        }
        seen[ri] = true;
        p->wfields[i].plan = build(c, w->fields[i].type,
                                   r->fields[ri].type);
        if (!p->wfields[i].plan) {
            free(seen);
            return NULL;
        }
    }
    for (i = 0; i < r->n; i++) {
        char msg[KS_AVRO_ERRSIZE];
        if (seen[i])
            continue;
        if (!r->fields[i].def) {
            p->op = KS_OP_FAIL;
            snprintf(msg, sizeof(msg),
                     "field \"%s\" of the reader's %s is not in the "
                     "writer's schema and has no default",
                     r->fields[i].name, r->fullname);
            p->fail = ks_strdup(msg);
            break;
        }
        if (ks_avro_default_apply(r->fields[i].type, r->fields[i].def, NULL,
                                  msg, sizeof(msg))) {
            char full[KS_AVRO_ERRSIZE];
            p->op = KS_OP_FAIL;
            snprintf(full, sizeof(full), "default of field \"%s\" of %s: %.300s",
                     r->fields[i].name, r->fullname, msg);
            p->fail = ks_strdup(full);
            break;
        }
        p->defaults[p->ndefaults].rindex = (int)i;
        p->defaults[p->ndefaults++].field = &r->fields[i];
    }
    free(seen);
    if (p->op == KS_OP_FAIL && !p->fail) {
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    return p;
}

static ks_avro_plan_t *build_enum(rctx_t *c, ks_avro_plan_t *p) {
    const ks_avro_node_t *w = p->w, *r = p->r;
    size_t i, k;

    p->enum_map = calloc(w->n + 1, sizeof(int));
    if (!p->enum_map) {
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    for (i = 0; i < w->n; i++) {
        p->enum_map[i] = r->enum_default; /* -1: no default */
        for (k = 0; k < r->n; k++)
            if (!strcmp(w->symbols[i], r->symbols[k]))
                p->enum_map[i] = (int)k;
    }
    return p;
}

static ks_avro_plan_t *build_wunion(rctx_t *c, ks_avro_plan_t *p) {
    const ks_avro_node_t *w = p->w, *r = p->r;
    size_t i;

    p->branch_map = calloc(w->n + 1, sizeof(int));
    p->branch_plans = calloc(w->n + 1, sizeof(*p->branch_plans));
    if (!p->branch_map || !p->branch_plans) {
        snprintf(c->err, sizeof(c->err), "out of memory");
        return NULL;
    }
    for (i = 0; i < w->n; i++) {
        const ks_avro_node_t *wb = w->branches[i];
        if (r->type == KSTREAM_AVRO_UNION) {
            int rb = reader_branch(wb, r);
            p->branch_map[i] = rb;
            p->branch_plans[i] =
                    rb < 0 ? plan_fail(c, wb, r,
                                       "the writer's union branch %s has no "
                                       "match in the reader's union",
                                       ks_avro_node_name(wb))
                           : build(c, wb, r->branches[rb]);
        } else {
            p->branch_map[i] = -1;
            p->branch_plans[i] = build(c, wb, r);
        }
        if (!p->branch_plans[i])
            return NULL;
    }
    return p;
}

static ks_avro_plan_t *build(rctx_t *c, const ks_avro_node_t *w,
                             const ks_avro_node_t *r) {
    char key[64];
    ks_avro_plan_t *p;
    int op;

    snprintf(key, sizeof(key), "%p:%p", (const void *)w, (const void *)r);
    p = ks_map_get(c->memo, key);
    if (p)
        return p;
    if (w->type == KSTREAM_AVRO_UNION) {
        p = plan_new(c, KS_OP_WUNION, w, r);
        if (!p || ks_map_put(c->memo, key, p))
            return NULL;
        return build_wunion(c, p);
    }
    if (r->type == KSTREAM_AVRO_UNION) {
        int rb = reader_branch(w, r);
        if (rb < 0)
            return plan_fail(c, w, r, "the writer's %s has no match in the "
                                      "reader's union",
                             ks_avro_node_name(w));
        p = plan_new(c, KS_OP_RUNION, w, r);
        if (!p || ks_map_put(c->memo, key, p))
            return NULL;
        p->rbranch = rb;
        p->inner = build(c, w, r->branches[rb]);
        return p->inner ? p : NULL;
    }
    op = prim_op(w->type, r->type);
    if (op >= 0) {
        p = plan_new(c, (ks_avro_op_t)op, w, r);
        if (p && ks_map_put(c->memo, key, p))
            return NULL;
        return p;
    }
    if (w->type != r->type)
        return plan_fail(c, w, r, "the writer's %s cannot be read as %s",
                         ks_avro_node_name(w), ks_avro_node_name(r));
    if (w->fullname && !names_match(w, r))
        return plan_fail(c, w, r, "the writer's %s does not match the "
                                  "reader's %s",
                         w->fullname, r->fullname);
    switch (w->type) {
    case KSTREAM_AVRO_FIXED:
        if (w->size != r->size)
            return plan_fail(c, w, r, "fixed %s has size %lld in the writer's "
                                      "schema, %lld in the reader's",
                             w->fullname, (long long)w->size,
                             (long long)r->size);
        p = plan_new(c, KS_OP_FIXED, w, r);
        if (p && ks_map_put(c->memo, key, p))
            return NULL;
        return p;
    case KSTREAM_AVRO_ENUM:
        p = plan_new(c, KS_OP_ENUM, w, r);
        if (!p || ks_map_put(c->memo, key, p))
            return NULL;
        return build_enum(c, p);
    case KSTREAM_AVRO_ARRAY:
    case KSTREAM_AVRO_MAP:
        p = plan_new(c, w->type == KSTREAM_AVRO_ARRAY ? KS_OP_ARRAY
                                                      : KS_OP_MAP,
                     w, r);
        if (!p || ks_map_put(c->memo, key, p))
            return NULL;
        p->items = build(c, w->items, r->items);
        return p->items ? p : NULL;
    case KSTREAM_AVRO_RECORD:
        p = plan_new(c, KS_OP_RECORD, w, r);
        if (!p || ks_map_put(c->memo, key, p))
            return NULL;
        return build_record(c, p);
    default:
        return plan_fail(c, w, r, "the writer's %s cannot be read as %s",
                         ks_avro_node_name(w), ks_avro_node_name(r));
    }
}

ks_avro_resolver_t *ks_avro_resolver_new(kstream_avro_schema_t *writer,
                                         kstream_avro_schema_t *reader,
                                         bool identity, char *errstr,
                                         size_t errstr_size) {
    ks_avro_resolver_t *res = calloc(1, sizeof(*res));
    rctx_t c;

    memset(&c, 0, sizeof(c));
    c.memo = ks_map_new();
    if (!res || !c.memo) {
        free(res);
        ks_map_destroy(c.memo);
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    atomic_init(&res->refs, 1);
    res->identity = identity;
    c.res = res;
    res->root = build(&c, writer->root, reader->root);
    ks_map_destroy(c.memo);
    if (!res->root) {
        ks_errstr(errstr, errstr_size, "%s", c.err);
        res->identity = true; /* holds no references yet */
        ks_avro_resolver_unref(res);
        return NULL;
    }
    /* A schema's own plan must not reference the schema (a cycle). */
    if (!identity) {
        res->writer = kstream_avro_schema_ref(writer);
        res->reader = kstream_avro_schema_ref(reader);
    }
    return res;
}

ks_avro_resolver_t *ks_avro_resolver_ref(ks_avro_resolver_t *res) {
    atomic_fetch_add(&res->refs, 1);
    return res;
}

void ks_avro_resolver_unref(ks_avro_resolver_t *res) {
    size_t i;

    if (!res || atomic_fetch_sub(&res->refs, 1) != 1)
        return;
    for (i = 0; i < res->plans.len; i++)
        plan_free(res->plans.items[i]);
    ks_vec_free(&res->plans);
    if (!res->identity) {
        kstream_avro_schema_destroy(res->writer);
        kstream_avro_schema_destroy(res->reader);
    }
    free(res);
}

ks_avro_resolver_t *ks_avro_resolver_get(kstream_avro_schema_t *writer,
                                         kstream_avro_schema_t *reader,
                                         char *errstr, size_t errstr_size) {
    /* Same canonical form: the same layout, the reader's own plan. */
    if (writer == reader || !strcmp(writer->canon, reader->canon))
        return ks_avro_resolver_ref(reader->self);
    return ks_avro_resolver_new(writer, reader, false, errstr, errstr_size);
}
