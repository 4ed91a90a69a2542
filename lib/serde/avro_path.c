/* avro_path.c - paths into a value ("source.ts_ms", "items[2].sku",
 * "attrs[color]"). The walk goes down Avro-C's value and the schema's
 * nodes side by side, so the node at the end gives names, logical types
 * and union branch names. Reading walks (avro_get.c) enter unions through
 * their current branch; setting walks (avro_set.c) select union branches,
 * append at arr[size] and add map keys. */
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
