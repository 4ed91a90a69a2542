/* avro_path.c - paths into a value ("source.ts_ms", "items[2].sku",
 * "attrs[color]") and the getters that read through them. The walk goes
 * down Avro-C's value and the schema's nodes side by side, so the node at
 * the end gives names, logical types and union branch names. Setting walks
 * select union branches, append at arr[size] and add map keys
 * (avro_set.c). */
#include "serde/avro_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_index(const char *s, size_t len, size_t *out) {
    size_t i, v = 0;

    if (len == 0 || len > 18)
        return false;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static int field_of(const ks_avro_node_t *rec, const char *name, size_t len) {
    size_t i;

    for (i = 0; i < rec->n; i++)
        if (strlen(rec->fields[i].name) == len &&
            !memcmp(rec->fields[i].name, name, len))
            return (int)i;
    return -1;
}

/* Can a step (a field name, or a bracket) go into node \p n? */
static bool step_fits(const ks_avro_node_t *n, bool bracket, const char *tok,
                      size_t len) {
    size_t idx;

    if (!bracket)
        return n->type == KSTREAM_AVRO_RECORD && field_of(n, tok, len) >= 0;
    if (n->type == KSTREAM_AVRO_MAP)
        return true;
    return n->type == KSTREAM_AVRO_ARRAY && is_index(tok, len, &idx);
}

/* Go through the union at \p at towards the next step. */
static kstream_err_t through_union(kstream_avro_value_t *v, const char *fn,
                                   const char *path, size_t plen, bool set,
                                   bool bracket, const char *tok, size_t len,
                                   ks_avro_at_t *at) {
    const ks_avro_node_t *u = at->node;
    avro_value_t branch;
    int d = -1, pick = -1;
    size_t i;

    if (avro_value_get_discriminant(&at->val, &d))
        d = -1;
    if (!set) {
        if (d < 0 || u->branches[d]->type == KSTREAM_AVRO_NULL)
            return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): \"%.*s\" "
                                                      "is null",
                                fn, path, (int)plen, path);
        if (avro_value_get_current_branch(&at->val, &branch))
            return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s: Avro-C branch",
                                fn);
        at->val = branch;
        at->node = u->branches[d];
        return KSTREAM_OK;
    }
    if (d >= 0 && step_fits(u->branches[d], bracket, tok, len))
        pick = d;
    for (i = 0; pick < 0 && i < u->n; i++)
        if (step_fits(u->branches[i], bracket, tok, len))
            pick = (int)i;
    if (pick < 0)
        return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND,
                            "%s(\"%s\"): no branch of the union at \"%.*s\" "
                            "has %s%.*s%s",
                            fn, path, (int)plen, path,
                            bracket ? "entry [" : "field \"", (int)len, tok,
                            bracket ? "]" : "\"");
    if (avro_value_set_branch(&at->val, pick, &branch))
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s: Avro-C branch", fn);
    at->val = branch;
    at->node = u->branches[pick];
    return KSTREAM_OK;
}

static const char *kind(const ks_avro_node_t *n) {
    static const char *k[] = {"null", "boolean", "int",    "long", "float",
                              "double", "bytes", "string", "fixed", "enum",
                              "array", "map",    "record", "union"};
    return k[n->type];
}

kstream_err_t ks_avro_path_walk(kstream_avro_value_t *v, const char *fn,
                                const char *path, bool set,
                                ks_avro_at_t *at) {
    const char *p, *tok;
    avro_value_t child;
    size_t len, idx, size;
    bool bracket;
    kstream_err_t err;
    int fi, rc;

    if (!v->has_value)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "%s: the value has no schema yet", fn);
    at->val = v->value;
    at->node = v->schema->root;
    if (!path)
        path = "";
    p = path;
    while (*p) {
        /* the path up to this step, without the '.' before it */
        size_t plen = (size_t)(p - path) -
                      (p > path && p[-1] == '.' ? 1 : 0);
        if (*p == '[') {
            const char *q = strchr(p, ']');
            if (!q)
                return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                                    "%s(\"%s\"): '[' without ']'", fn, path);
            tok = p + 1;
            len = (size_t)(q - tok);
            bracket = true;
            p = q + 1;
        } else {
            tok = p;
            len = strcspn(p, ".[");
            bracket = false;
            p += len;
            if (len == 0)
                return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                                    "%s(\"%s\"): empty field name", fn, path);
        }
        if (*p == '.') {
            p++;
            if (!*p || *p == '.' || *p == '[')
                return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                                    "%s(\"%s\"): a '.' must be followed by "
                                    "a field name",
                                    fn, path);
        } else if (*p && *p != '[') {
            return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                                "%s(\"%s\"): bad path", fn, path);
        }
        if (at->node->type == KSTREAM_AVRO_UNION) {
            err = through_union(v, fn, path, plen, set, bracket, tok, len,
                                at);
            if (err)
                return err;
        }
        if (!bracket) {
            if (at->node->type != KSTREAM_AVRO_RECORD)
                return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                    "%s(\"%s\"): \"%.*s\" is %s %s, not a "
                                    "record",
                                    fn, path, (int)plen, path,
                                    at->node->type == KSTREAM_AVRO_ARRAY ||
                                                    at->node->type ==
                                                            KSTREAM_AVRO_ENUM
                                            ? "an"
                                            : "a",
                                    kind(at->node));
            fi = field_of(at->node, tok, len);
            if (fi < 0)
                return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND,
                                    "%s(\"%s\"): %s has no field \"%.*s\"",
                                    fn, path, at->node->fullname, (int)len,
                                    tok);
            if (avro_value_get_by_index(&at->val, (size_t)fi, &child, NULL))
                return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s: Avro-C field",
                                    fn);
            at->val = child;
            at->node = at->node->fields[fi].type;
            continue;
        }
        if (at->node->type == KSTREAM_AVRO_ARRAY) {
            if (!is_index(tok, len, &idx))
                return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                                    "%s(\"%s\"): \"%.*s\" is not an array "
                                    "index",
                                    fn, path, (int)len, tok);
            if (avro_value_get_size(&at->val, &size))
                return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s: Avro-C size",
                                    fn);
            if (set && idx == size)
                rc = avro_value_append(&at->val, &child, NULL);
            else if (idx < size)
                rc = avro_value_get_by_index(&at->val, idx, &child, NULL);
            else
                return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND,
                                    "%s(\"%s\"): index %zu is past the "
                                    "array's %zu elements",
                                    fn, path, idx, size);
            if (rc)
                return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                    "%s: Avro-C element", fn);
        } else if (at->node->type == KSTREAM_AVRO_MAP) {
            char *key;
            v->scratch.len = 0;
            if (ks_buf_append(&v->scratch, tok, len) ||
                !(key = ks_buf_cstr(&v->scratch)))
                return ks_avro_verr(v, KSTREAM_ERR_NO_MEMORY,
                                    "out of memory");
            if (set)
                rc = avro_value_add(&at->val, key, &child, NULL, NULL);
            else if (avro_value_get_by_name(&at->val, key, &child, NULL) ||
                     !child.iface)
                return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND,
                                    "%s(\"%s\"): no key \"%.*s\" in the map",
                                    fn, path, (int)len, tok);
            else
                rc = 0;
            if (rc)
                return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                    "%s: Avro-C map add", fn);
        } else {
            return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                                "%s(\"%s\"): \"%.*s\" is %s %s, not an array "
                                "or a map",
                                fn, path, (int)plen, path,
                                at->node->type == KSTREAM_AVRO_ENUM ? "an"
                                                                    : "a",
                                kind(at->node));
        }
        at->val = child;
        at->node = at->node->items;
    }
    return KSTREAM_OK;
}

/* A union at the end: its current branch. false when it has none. */
bool ks_avro_enter(ks_avro_at_t *at) {
    avro_value_t branch;
    int d;

    if (at->node->type != KSTREAM_AVRO_UNION)
        return true;
    if (avro_value_get_discriminant(&at->val, &d) || d < 0 ||
        avro_value_get_current_branch(&at->val, &branch))
        return false;
    at->val = branch;
    at->node = at->node->branches[d];
    return true;
}

kstream_err_t ks_avro_path_get(kstream_avro_value_t *v, const char *path,
                               bool enter_union, ks_avro_at_t *at) {
    kstream_err_t err = ks_avro_path_walk(v, "kstream_avro", path, false, at);

    if (!err && enter_union && !ks_avro_enter(at))
        return ks_avro_verr(v, KSTREAM_ERR_SERDE,
                            "\"%s\" is a union with no branch selected",
                            path ? path : "");
    return err;
}

/* ---- getters ----------------------------------------------------------- */

/* Common start of a getter: check, walk, enter a final union. */
static kstream_err_t get_at(kstream_avro_value_t *v, const char *fn,
                            const char *path, const void *out,
                            ks_avro_at_t *at) {
    kstream_err_t err;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!out)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "%s: the output argument is NULL", fn);
    err = ks_avro_path_walk(v, fn, path, false, at);
    if (err)
        return err;
    if (!ks_avro_enter(at) || at->node->type == KSTREAM_AVRO_NULL)
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): the value is "
                                                  "null",
                            fn, path ? path : "");
    return KSTREAM_OK;
}

static kstream_err_t mismatch(kstream_avro_value_t *v, const char *fn,
                              const char *path, const ks_avro_at_t *at) {
    return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): the value is %s "
                                              "%s",
                        fn, path ? path : "",
                        at->node->type == KSTREAM_AVRO_INT ||
                                        at->node->type == KSTREAM_AVRO_ENUM ||
                                        at->node->type == KSTREAM_AVRO_ARRAY
                                ? "an"
                                : "a",
                        ks_avro_node_name(at->node));
}

static kstream_err_t avro_fail(kstream_avro_value_t *v, const char *fn) {
    ks_avro_c_error(v->err, sizeof(v->err), fn);
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_boolean(kstream_avro_value_t *v,
                                             const char *path, bool *out) {
    static const char fn[] = "kstream_avro_value_get_boolean";
    ks_avro_at_t at;
    kstream_err_t err = get_at(v, fn, path, out, &at);
    int b;

    if (err)
        return err;
    if (at.node->type != KSTREAM_AVRO_BOOLEAN)
        return mismatch(v, fn, path, &at);
    if (avro_value_get_boolean(&at.val, &b))
        return avro_fail(v, fn);
    *out = b != 0;
    return KSTREAM_OK;
}

/* int, long, float and double through one reader. */
static kstream_err_t get_num(kstream_avro_value_t *v, const char *fn,
                             const char *path, const void *out,
                             ks_avro_at_t *at, int64_t *i, double *d,
                             bool *is_int) {
    kstream_err_t err = get_at(v, fn, path, out, at);
    int32_t i32;
    float f;
    int rc;

    if (err)
        return err;
    switch (at->node->type) {
    case KSTREAM_AVRO_INT:
        rc = avro_value_get_int(&at->val, &i32);
        *i = i32;
        *is_int = true;
        break;
    case KSTREAM_AVRO_LONG:
        rc = avro_value_get_long(&at->val, i);
        *is_int = true;
        break;
    case KSTREAM_AVRO_FLOAT:
        rc = avro_value_get_float(&at->val, &f);
        *d = f;
        *is_int = false;
        break;
    case KSTREAM_AVRO_DOUBLE:
        rc = avro_value_get_double(&at->val, d);
        *is_int = false;
        break;
    default:
        return mismatch(v, fn, path, at);
    }
    return rc ? avro_fail(v, fn) : KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_int(kstream_avro_value_t *v,
                                         const char *path, int32_t *out) {
    static const char fn[] = "kstream_avro_value_get_int";
    ks_avro_at_t at;
    int64_t i = 0;
    double d = 0;
    bool is_int;
    kstream_err_t err = get_num(v, fn, path, out, &at, &i, &d, &is_int);

    if (err)
        return err;
    if (!is_int)
        return mismatch(v, fn, path, &at);
    if (i < INT32_MIN || i > INT32_MAX)
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): %lld does "
                                                  "not fit an int",
                            fn, path ? path : "", (long long)i);
    *out = (int32_t)i;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_long(kstream_avro_value_t *v,
                                          const char *path, int64_t *out) {
    static const char fn[] = "kstream_avro_value_get_long";
    ks_avro_at_t at;
    int64_t i = 0;
    double d = 0;
    bool is_int;
    kstream_err_t err = get_num(v, fn, path, out, &at, &i, &d, &is_int);

    if (err)
        return err;
    if (!is_int)
        return mismatch(v, fn, path, &at);
    *out = i;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_float(kstream_avro_value_t *v,
                                           const char *path, float *out) {
    static const char fn[] = "kstream_avro_value_get_float";
    ks_avro_at_t at;
    int64_t i = 0;
    double d = 0;
    bool is_int;
    kstream_err_t err = get_num(v, fn, path, out, &at, &i, &d, &is_int);

    if (err)
        return err;
    if (is_int)
        return mismatch(v, fn, path, &at);
    *out = (float)d;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_double(kstream_avro_value_t *v,
                                            const char *path, double *out) {
    static const char fn[] = "kstream_avro_value_get_double";
    ks_avro_at_t at;
    int64_t i = 0;
    double d = 0;
    bool is_int;
    kstream_err_t err = get_num(v, fn, path, out, &at, &i, &d, &is_int);

    if (err)
        return err;
    *out = is_int ? (double)i : d;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_string(kstream_avro_value_t *v,
                                            const char *path,
                                            const char **str, size_t *len) {
    static const char fn[] = "kstream_avro_value_get_string";
    ks_avro_at_t at;
    kstream_err_t err = get_at(v, fn, path, str, &at);
    size_t size;

    if (err)
        return err;
    if (at.node->type != KSTREAM_AVRO_STRING)
        return mismatch(v, fn, path, &at);
    if (avro_value_get_string(&at.val, str, &size))
        return avro_fail(v, fn);
    if (len)
        *len = size ? size - 1 : 0;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_bytes(kstream_avro_value_t *v,
                                           const char *path,
                                           const void **data, size_t *len) {
    static const char fn[] = "kstream_avro_value_get_bytes";
    ks_avro_at_t at;
    kstream_err_t err = get_at(v, fn, path, data, &at);
    size_t size;
    int rc;

    if (err)
        return err;
    if (at.node->type == KSTREAM_AVRO_BYTES)
        rc = avro_value_get_bytes(&at.val, data, &size);
    else if (at.node->type == KSTREAM_AVRO_FIXED)
        rc = avro_value_get_fixed(&at.val, data, &size);
    else
        return mismatch(v, fn, path, &at);
    if (rc)
        return avro_fail(v, fn);
    if (!*data)
        *data = "";
    if (len)
        *len = size;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_enum(kstream_avro_value_t *v,
                                          const char *path,
                                          const char **symbol) {
    static const char fn[] = "kstream_avro_value_get_enum";
    ks_avro_at_t at;
    kstream_err_t err = get_at(v, fn, path, symbol, &at);
    int i;

    if (err)
        return err;
    if (at.node->type != KSTREAM_AVRO_ENUM)
        return mismatch(v, fn, path, &at);
    if (avro_value_get_enum(&at.val, &i))
        return avro_fail(v, fn);
    if (i < 0 || (size_t)i >= at.node->n)
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "%s(\"%s\"): index %d is "
                                                  "not a symbol",
                            fn, path ? path : "", i);
    *symbol = at.node->symbols[i];
    return KSTREAM_OK;
}

/* ---- shape -------------------------------------------------------------- */

/* Walk without entering the final union. */
static kstream_err_t at_path(kstream_avro_value_t *v, const char *fn,
                             const char *path, const void *out,
                             ks_avro_at_t *at) {
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!out)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "%s: the output argument is NULL", fn);
    return ks_avro_path_walk(v, fn, path, false, at);
}

kstream_err_t kstream_avro_value_type(kstream_avro_value_t *v,
                                      const char *path,
                                      kstream_avro_type_t *type) {
    ks_avro_at_t at;
    kstream_err_t err = at_path(v, "kstream_avro_value_type", path, type, &at);

    if (err)
        return err;
    ks_avro_enter(&at);
    *type = at.node->type;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_logical_type(kstream_avro_value_t *v,
                                              const char *path,
                                              const char **name) {
    ks_avro_at_t at;
    kstream_err_t err =
            at_path(v, "kstream_avro_value_logical_type", path, name, &at);

    if (err)
        return err;
    ks_avro_enter(&at);
    *name = at.node->logical;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_is_null(kstream_avro_value_t *v,
                                         const char *path, bool *is_null) {
    ks_avro_at_t at;
    kstream_err_t err =
            at_path(v, "kstream_avro_value_is_null", path, is_null, &at);

    if (err)
        return err;
    *is_null = !ks_avro_enter(&at) || at.node->type == KSTREAM_AVRO_NULL;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_size(kstream_avro_value_t *v,
                                      const char *path, size_t *n) {
    static const char fn[] = "kstream_avro_value_size";
    ks_avro_at_t at;
    kstream_err_t err = get_at(v, fn, path, n, &at);

    if (err)
        return err;
    if (at.node->type == KSTREAM_AVRO_RECORD) {
        *n = at.node->n;
        return KSTREAM_OK;
    }
    if (at.node->type != KSTREAM_AVRO_ARRAY &&
        at.node->type != KSTREAM_AVRO_MAP)
        return mismatch(v, fn, path, &at);
    return avro_value_get_size(&at.val, n) ? avro_fail(v, fn) : KSTREAM_OK;
}

kstream_err_t kstream_avro_value_key_at(kstream_avro_value_t *v,
                                        const char *path, size_t idx,
                                        const char **name) {
    static const char fn[] = "kstream_avro_value_key_at";
    ks_avro_at_t at;
    avro_value_t child;
    kstream_err_t err = get_at(v, fn, path, name, &at);
    size_t n = 0;

    if (err)
        return err;
    if (at.node->type == KSTREAM_AVRO_RECORD) {
        if (idx >= at.node->n)
            return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND, "%s: %s has %zu "
                                                          "fields",
                                fn, at.node->fullname, at.node->n);
        *name = at.node->fields[idx].name;
        return KSTREAM_OK;
    }
    if (at.node->type != KSTREAM_AVRO_MAP)
        return mismatch(v, fn, path, &at);
    if (avro_value_get_size(&at.val, &n))
        return avro_fail(v, fn);
    if (idx >= n)
        return ks_avro_verr(v, KSTREAM_ERR_NOT_FOUND, "%s: the map has %zu "
                                                      "entries",
                            fn, n);
    if (avro_value_get_by_index(&at.val, idx, &child, name))
        return avro_fail(v, fn);
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_value_get_branch(kstream_avro_value_t *v,
                                            const char *path, int *index,
                                            const char **type_name) {
    static const char fn[] = "kstream_avro_value_get_branch";
    ks_avro_at_t at;
    kstream_err_t err = at_path(v, fn, path, index, &at);
    int d;

    if (err)
        return err;
    if (at.node->type != KSTREAM_AVRO_UNION)
        return mismatch(v, fn, path, &at);
    if (avro_value_get_discriminant(&at.val, &d))
        return avro_fail(v, fn);
    *index = d < 0 ? -1 : d;
    if (type_name)
        *type_name = d < 0 ? NULL : ks_avro_node_name(at.node->branches[d]);
    return KSTREAM_OK;
}
