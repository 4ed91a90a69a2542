/* avro_get.c - the getters of kstream_avro_value_t by path (Java's
 * GenericRecord.get() without the casts): typed reads with the lossless
 * conversions (int <-> long when it fits, float <-> double, int and long as
 * double), and the shape of a value (type, logical type, null, size, field
 * names and map keys, union branch) for code that walks values it does not
 * know. */
#include "serde/avro_int.h"

#include <stdio.h>
#include <string.h>

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
    int32_t i32 = 0;
    float f = 0;
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
