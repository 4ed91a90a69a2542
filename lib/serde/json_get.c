/* json_get.c - reading fields by path: kstream_json_get() and the typed
 * getters, with type errors that name the field, the type wanted and the
 * type found ("field after.total: expected a number, got string"). */
#include "serde/json_int.h"

#include <math.h>

static const char *field(const char *path)
{
    return *path ? path : "(root)";
}

/* Check the arguments and look the path up (strictly). */
static kstream_err_t find(const char *fn, const kstream_json_t *v,
                          const char *path, const void *out,
                          const json_t **j, char *errstr, size_t errstr_size)
{
    if (!v || !path || !out)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "%s: %s is NULL", fn,
                           !v ? "the value" : !path ? "path" : "out");
    return ks_json_lookup(ks_cjson(v), path, false, j, errstr, errstr_size);
}

static kstream_err_t wrong_type(const char *path, const char *want,
                                const json_t *j, char *errstr,
                                size_t errstr_size)
{
    if (json_is_real(j))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field %s: expected %s, got real %g", field(path),
                           want, json_real_value(j));
    return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                       "field %s: expected %s, got %s", field(path), want,
                       ks_json_type_name(j));
}

kstream_err_t kstream_json_get(const kstream_json_t *v, const char *path,
                               const kstream_json_t **out, char *errstr,
                               size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_get", v, path, out, &j, errstr,
                             errstr_size);
    if (!err)
        *out = (const kstream_json_t *)j;
    return err;
}

kstream_err_t kstream_json_type(const kstream_json_t *v, const char *path,
                                kstream_json_type_t *type, char *errstr,
                                size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_type", v, path, type, &j, errstr,
                             errstr_size);
    if (err)
        return err;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        *type = KSTREAM_JSON_OBJECT;
        break;
    case JSON_ARRAY:
        *type = KSTREAM_JSON_ARRAY;
        break;
    case JSON_STRING:
        *type = KSTREAM_JSON_STRING;
        break;
    case JSON_INTEGER:
        *type = KSTREAM_JSON_INTEGER;
        break;
    case JSON_REAL:
        *type = KSTREAM_JSON_REAL;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        *type = KSTREAM_JSON_BOOL;
        break;
    case JSON_NULL:
    default:
        *type = KSTREAM_JSON_NULL;
        break;
    }
    return KSTREAM_OK;
}

kstream_err_t kstream_json_get_string(const kstream_json_t *v,
                                      const char *path, const char **s,
                                      size_t *len, char *errstr,
                                      size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_get_string", v, path, s, &j,
                             errstr, errstr_size);
    if (err)
        return err;
    if (!json_is_string(j))
        return wrong_type(path, "a string", j, errstr, errstr_size);
    *s = json_string_value(j);
    if (len)
        *len = json_string_length(j);
    return KSTREAM_OK;
}

kstream_err_t kstream_json_get_int64(const kstream_json_t *v,
                                     const char *path, int64_t *out,
                                     char *errstr, size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_get_int64", v, path, out, &j,
                             errstr, errstr_size);
    if (err)
        return err;
    if (json_is_integer(j)) {
        *out = (int64_t)json_integer_value(j);
        return KSTREAM_OK;
    }
    if (json_is_real(j)) {
        /* 2.0 is an integer written as a real; 2.5 and 1e300 are not.
         * -2^63 <= d < 2^63 keeps the conversion defined. */
        double d = json_real_value(j);
        if (d == floor(d) && d >= -9223372036854775808.0 &&
            d < 9223372036854775808.0) {
            *out = (int64_t)d;
            return KSTREAM_OK;
        }
    }
    return wrong_type(path, "an integer", j, errstr, errstr_size);
}

kstream_err_t kstream_json_get_double(const kstream_json_t *v,
                                      const char *path, double *out,
                                      char *errstr, size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_get_double", v, path, out, &j,
                             errstr, errstr_size);
    if (err)
        return err;
    if (!json_is_number(j))
        return wrong_type(path, "a number", j, errstr, errstr_size);
    *out = json_number_value(j);
    return KSTREAM_OK;
}

kstream_err_t kstream_json_get_bool(const kstream_json_t *v, const char *path,
                                    bool *out, char *errstr,
                                    size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_get_bool", v, path, out, &j,
                             errstr, errstr_size);
    if (err)
        return err;
    if (!json_is_boolean(j))
        return wrong_type(path, "a boolean", j, errstr, errstr_size);
    *out = json_is_true(j);
    return KSTREAM_OK;
}

kstream_err_t kstream_json_is_null(const kstream_json_t *v, const char *path,
                                   bool *is_null, char *errstr,
                                   size_t errstr_size)
{
    if (!v || !path || !is_null)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_is_null: %s is NULL",
                           !v ? "the value" : !path ? "path" : "is_null");
    const json_t *j = NULL;
    kstream_err_t err = ks_json_lookup(ks_cjson(v), path, true, &j, errstr,
                                       errstr_size);
    if (!err)
        *is_null = j == NULL;
    return err;
}

kstream_err_t kstream_json_size(const kstream_json_t *v, const char *path,
                                size_t *n, char *errstr, size_t errstr_size)
{
    const json_t *j = NULL;
    kstream_err_t err = find("kstream_json_size", v, path, n, &j, errstr,
                             errstr_size);
    if (err)
        return err;
    if (json_is_array(j))
        *n = json_array_size(j);
    else if (json_is_object(j))
        *n = json_object_size(j);
    else
        return wrong_type(path, "an array or an object", j, errstr,
                          errstr_size);
    return KSTREAM_OK;
}
