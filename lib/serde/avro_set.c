/* avro_set.c - the setters of kstream_avro_value_t by path: a union at the
 * end gets the branch the value fits (the current one when it does, else
 * the first of the same type, else the first it converts to), numbers
 * convert without loss (int -> long, long -> int when it fits, float <->
 * double), bytes go to bytes or a fixed of their size. */
#include "serde/avro_int.h"

#include <stdio.h>
#include <string.h>

typedef enum want {
    W_NULL,
    W_BOOLEAN,
    W_INT,
    W_LONG,
    W_FLOAT,
    W_DOUBLE,
    W_STRING,
    W_BYTES,
    W_ENUM,
    W_DECIMAL
} want_t;

typedef struct arg {
    want_t w;
    int64_t i;
    double d;
    const void *p; /* string, bytes, symbol, decimal text */
    size_t len;
} arg_t;

static const char *want_name[] = {"null",   "boolean", "int",   "long",
                                  "float",  "double",  "string", "bytes",
                                  "enum symbol", "decimal"};

static bool has_symbol(const ks_avro_node_t *n, const char *sym, int *idx) {
    size_t i;

    for (i = 0; i < n->n; i++)
        if (!strcmp(n->symbols[i], sym)) {
            if (idx)
                *idx = (int)i;
            return true;
        }
    return false;
}

static bool fits(const ks_avro_node_t *n, const arg_t *a, bool exact) {
    kstream_avro_type_t t = n->type;

    switch (a->w) {
    case W_NULL:
        return t == KSTREAM_AVRO_NULL;
    case W_BOOLEAN:
        return t == KSTREAM_AVRO_BOOLEAN;
    case W_INT:
        return t == KSTREAM_AVRO_INT || (!exact && t == KSTREAM_AVRO_LONG);
    case W_LONG:
        return t == KSTREAM_AVRO_LONG ||
               (!exact && t == KSTREAM_AVRO_INT && a->i >= INT32_MIN &&
                a->i <= INT32_MAX);
    case W_FLOAT:
        return t == KSTREAM_AVRO_FLOAT || (!exact && t == KSTREAM_AVRO_DOUBLE);
    case W_DOUBLE:
        return t == KSTREAM_AVRO_DOUBLE || (!exact && t == KSTREAM_AVRO_FLOAT);
    case W_STRING:
        return t == KSTREAM_AVRO_STRING;
    case W_BYTES:
        return t == KSTREAM_AVRO_BYTES ||
               (t == KSTREAM_AVRO_FIXED && (int64_t)a->len == n->size);
    case W_ENUM:
        return t == KSTREAM_AVRO_ENUM && has_symbol(n, a->p, NULL);
    case W_DECIMAL:
        return (t == KSTREAM_AVRO_BYTES || t == KSTREAM_AVRO_FIXED) &&
               n->logical && !strcmp(n->logical, "decimal");
    }
    return false;
}

/* Pick the branch of union \p u for \p a; -1 when none fits. */
static int pick_branch(const ks_avro_node_t *u, int current, const arg_t *a) {
    int pass;
    size_t i;

    for (pass = 0; pass < 2; pass++) {
        bool exact = pass == 0;
        if (current >= 0 && fits(u->branches[current], a, exact))
            return current;
        for (i = 0; i < u->n; i++)
            if (fits(u->branches[i], a, exact))
                return (int)i;
    }
    return -1;
}

static kstream_err_t set_value(kstream_avro_value_t *v, const char *fn,
                               const char *path, const arg_t *a) {
    ks_avro_at_t at;
    avro_value_t branch;
    kstream_err_t err;
    uint8_t *dec;
    size_t declen;
    int d = -1, rc = 0, idx = 0;

    err = ks_avro_path_walk(v, fn, path, true, &at);
    if (err)
        return err;
    if (at.node->type == KSTREAM_AVRO_UNION) {
        if (avro_value_get_discriminant(&at.val, &d))
            d = -1;
        d = pick_branch(at.node, d, a);
        if (d < 0)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "%s(\"%s\"): no branch of the union takes "
                                "a%s %s",
                                fn, path ? path : "",
                                a->w == W_INT || a->w == W_ENUM ? "n" : "",
                                want_name[a->w]);
        if (avro_value_set_branch(&at.val, d, &branch))
            goto avro_fail;
        at.val = branch;
        at.node = at.node->branches[d];
    }
    if (!fits(at.node, a, false)) {
        if (a->w == W_ENUM && at.node->type == KSTREAM_AVRO_ENUM)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "%s(\"%s\"): \"%s\" is not a symbol of %s",
                                fn, path ? path : "", (const char *)a->p,
                                at.node->fullname);
        if (a->w == W_BYTES && at.node->type == KSTREAM_AVRO_FIXED)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "%s(\"%s\"): %s takes exactly %lld bytes, "
                                "not %zu",
                                fn, path ? path : "", at.node->fullname,
                                (long long)at.node->size, a->len);
        if (a->w == W_LONG && at.node->type == KSTREAM_AVRO_INT)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "%s(\"%s\"): %lld does not fit an int", fn,
                                path ? path : "", (long long)a->i);
        return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                            "%s(\"%s\"): the field is %s, not %s", fn,
                            path ? path : "", ks_avro_node_name(at.node),
                            want_name[a->w]);
    }
    switch (at.node->type) {
    case KSTREAM_AVRO_NULL:
        rc = avro_value_set_null(&at.val);
        break;
    case KSTREAM_AVRO_BOOLEAN:
        rc = avro_value_set_boolean(&at.val, a->i != 0);
        break;
    case KSTREAM_AVRO_INT:
        rc = avro_value_set_int(&at.val, (int32_t)a->i);
        break;
    case KSTREAM_AVRO_LONG:
        rc = avro_value_set_long(&at.val, a->i);
        break;
    case KSTREAM_AVRO_FLOAT:
        rc = avro_value_set_float(&at.val, (float)a->d);
        break;
    case KSTREAM_AVRO_DOUBLE:
        rc = avro_value_set_double(&at.val, a->d);
        break;
    case KSTREAM_AVRO_STRING:
        rc = avro_value_set_string_len(&at.val, a->p, a->len + 1);
        break;
    case KSTREAM_AVRO_ENUM:
        has_symbol(at.node, a->p, &idx);
        rc = avro_value_set_enum(&at.val, idx);
        break;
    case KSTREAM_AVRO_BYTES:
    case KSTREAM_AVRO_FIXED:
        if (a->w == W_DECIMAL) {
            char msg[KS_AVRO_ERRSIZE];
            if (ks_avro_decimal_encode(at.node, a->p, &v->scratch, msg,
                                       sizeof(msg)))
                return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): %s",
                                    fn, path ? path : "", msg);
            dec = v->scratch.data;
            declen = v->scratch.len;
        } else {
            dec = (uint8_t *)a->p;
            declen = a->len;
        }
        if (!dec)
            dec = (uint8_t *)"";
        rc = at.node->type == KSTREAM_AVRO_BYTES
                     ? avro_value_set_bytes(&at.val, dec, declen)
                     : avro_value_set_fixed(&at.val, dec, declen);
        break;
    default:
        break;
    }
    if (!rc)
        return KSTREAM_OK;
avro_fail:
    ks_avro_c_error(v->err, sizeof(v->err), fn);
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_null(kstream_avro_value_t *v,
                                          const char *path) {
    arg_t a = {W_NULL, 0, 0, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_null", path, &a);
}

kstream_err_t kstream_avro_value_set_boolean(kstream_avro_value_t *v,
                                             const char *path, bool val) {
    arg_t a = {W_BOOLEAN, val, 0, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_boolean", path, &a);
}

kstream_err_t kstream_avro_value_set_int(kstream_avro_value_t *v,
                                         const char *path, int32_t val) {
    arg_t a = {W_INT, val, 0, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_int", path, &a);
}

kstream_err_t kstream_avro_value_set_long(kstream_avro_value_t *v,
                                          const char *path, int64_t val) {
    arg_t a = {W_LONG, val, 0, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_long", path, &a);
}

kstream_err_t kstream_avro_value_set_float(kstream_avro_value_t *v,
                                           const char *path, float val) {
    arg_t a = {W_FLOAT, 0, val, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_float", path, &a);
}

kstream_err_t kstream_avro_value_set_double(kstream_avro_value_t *v,
                                            const char *path, double val) {
    arg_t a = {W_DOUBLE, 0, val, NULL, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    return set_value(v, "kstream_avro_value_set_double", path, &a);
}

kstream_err_t kstream_avro_value_set_string(kstream_avro_value_t *v,
                                            const char *path,
                                            const char *str) {
    arg_t a = {W_STRING, 0, 0, str, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!str)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_set_string: str is NULL");
    a.len = strlen(str);
    return set_value(v, "kstream_avro_value_set_string", path, &a);
}

kstream_err_t kstream_avro_value_set_bytes(kstream_avro_value_t *v,
                                           const char *path, const void *data,
                                           size_t len) {
    arg_t a = {W_BYTES, 0, 0, data, len};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!data && len)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_set_bytes: data is NULL");
    return set_value(v, "kstream_avro_value_set_bytes", path, &a);
}

kstream_err_t kstream_avro_value_set_enum(kstream_avro_value_t *v,
                                          const char *path,
                                          const char *symbol) {
    arg_t a = {W_ENUM, 0, 0, symbol, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!symbol)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_set_enum: symbol is NULL");
    return set_value(v, "kstream_avro_value_set_enum", path, &a);
}

kstream_err_t kstream_avro_value_set_decimal(kstream_avro_value_t *v,
                                             const char *path,
                                             const char *text) {
    arg_t a = {W_DECIMAL, 0, 0, text, 0};
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!text)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_set_decimal: text is NULL");
    return set_value(v, "kstream_avro_value_set_decimal", path, &a);
}

kstream_err_t kstream_avro_value_get_decimal(kstream_avro_value_t *v,
                                             const char *path, char *dest,
                                             size_t *dest_size) {
    static const char fn[] = "kstream_avro_value_get_decimal";
    ks_avro_at_t at;
    const void *data = NULL;
    size_t len = 0;
    kstream_err_t err;
    int rc;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!dest_size || (!dest && *dest_size))
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "%s: dest_size is NULL (or dest NULL with a "
                            "size)",
                            fn);
    err = ks_avro_path_get(v, path, true, &at);
    if (err)
        return err;
    if (!at.node->logical || strcmp(at.node->logical, "decimal"))
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): %s is not a "
                                                  "decimal",
                            fn, path ? path : "", ks_avro_node_name(at.node));
    rc = at.node->type == KSTREAM_AVRO_BYTES
                 ? avro_value_get_bytes(&at.val, &data, &len)
                 : avro_value_get_fixed(&at.val, &data, &len);
    if (rc) {
        ks_avro_c_error(v->err, sizeof(v->err), fn);
        return KSTREAM_ERR_SERDE;
    }
    if (ks_avro_decimal_text(data, len, at.node->scale, &v->scratch))
        return ks_avro_verr(v, KSTREAM_ERR_NO_MEMORY, "out of memory");
    if (*dest_size < v->scratch.len + 1) {
        *dest_size = v->scratch.len + 1;
        return ks_avro_verr(v, KSTREAM_ERR_TOO_LARGE,
                            "%s: %zu bytes needed", fn, *dest_size);
    }
    memcpy(dest, v->scratch.data, v->scratch.len);
    dest[v->scratch.len] = '\0';
    *dest_size = v->scratch.len + 1;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_set_branch(kstream_avro_value_t *v,
                                            const char *path, int index) {
    static const char fn[] = "kstream_avro_value_set_branch";
    ks_avro_at_t at;
    avro_value_t branch;
    kstream_err_t err;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    err = ks_avro_path_walk(v, fn, path, true, &at);
    if (err)
        return err;
    if (at.node->type != KSTREAM_AVRO_UNION)
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): %s is not a "
                                                  "union",
                            fn, path ? path : "", ks_avro_node_name(at.node));
    if (index < 0 || (size_t)index >= at.node->n)
        return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND, "%s(\"%s\"): the union "
                                                      "has %zu branches",
                            fn, path ? path : "", at.node->n);
    if (avro_value_set_branch(&at.val, index, &branch)) {
        ks_avro_c_error(v->err, sizeof(v->err), fn);
        return KSTREAM_ERR_SERDE;
    }
    return KSTREAM_OK;
}

/* The array (or map) at path; a final union: its current branch when that
 * is one, else the first branch that is, selected. */
static bool is_container(const ks_avro_node_t *n, bool array_only) {
    return n->type == KSTREAM_AVRO_ARRAY ||
           (!array_only && n->type == KSTREAM_AVRO_MAP);
}

static kstream_err_t container(kstream_avro_value_t *v, const char *fn,
                               const char *path, bool array_only,
                               ks_avro_at_t *at) {
    const ks_avro_node_t *u;
    avro_value_t branch;
    kstream_err_t err = ks_avro_path_walk(v, fn, path, true, at);
    int d = -1;
    size_t i;

    if (err)
        return err;
    if (at->node->type == KSTREAM_AVRO_UNION) {
        u = at->node;
        if (avro_value_get_discriminant(&at->val, &d) || d < 0 ||
            !is_container(u->branches[d], array_only)) {
            d = -1;
            for (i = 0; i < u->n && d < 0; i++)
                if (is_container(u->branches[i], array_only))
                    d = (int)i;
        }
        if (d >= 0 && !avro_value_set_branch(&at->val, d, &branch)) {
            at->val = branch;
            at->node = u->branches[d];
        }
    }
    if (is_container(at->node, array_only))
        return KSTREAM_OK;
    return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): %s is not an "
                                              "array%s",
                        fn, path ? path : "", ks_avro_node_name(at->node),
                        array_only ? "" : " or a map");
}

kstream_err_t kstream_avro_value_append(kstream_avro_value_t *v,
                                        const char *path, size_t *index) {
    static const char fn[] = "kstream_avro_value_append";
    ks_avro_at_t at;
    avro_value_t child;
    kstream_err_t err;
    size_t idx;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    err = container(v, fn, path, true, &at);
    if (err)
        return err;
    if (avro_value_append(&at.val, &child, &idx)) {
        ks_avro_c_error(v->err, sizeof(v->err), fn);
        return KSTREAM_ERR_SERDE;
    }
    if (index)
        *index = idx;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_clear(kstream_avro_value_t *v,
                                       const char *path) {
    static const char fn[] = "kstream_avro_value_clear";
    ks_avro_at_t at;
    kstream_err_t err;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    err = container(v, fn, path, false, &at);
    if (err)
        return err;
    if (avro_value_reset(&at.val)) {
        ks_avro_c_error(v->err, sizeof(v->err), fn);
        return KSTREAM_ERR_SERDE;
    }
    return KSTREAM_OK;
}
