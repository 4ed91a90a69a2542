/* json_set.c - building values by path: the setters (objects and arrays
 * created on the way, appends at the end of arrays) and removal. Every
 * setter keeps the value within KSTREAM_JSON_MAX_DEPTH. */
#include "serde/json_int.h"

#include <math.h>

static const char *field(const char *path)
{
    return *path ? path : "(root)";
}

/* Put `value` (given: freed here on any failure) at path in v. */
static kstream_err_t put(const char *fn, kstream_json_t *v, const char *path,
                         json_t *value, const char *value_problem,
                         char *errstr, size_t errstr_size)
{
    if (!v || !path) {
        json_decref(value);
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "%s: %s is NULL", fn, !v ? "the value" : "path");
    }
    size_t n = 0;
    kstream_err_t err = ks_json_path_steps(path, &n, errstr, errstr_size);
    if (err) {
        json_decref(value);
        return err;
    }
    if (!value)
        return ks_json_err(errstr, errstr_size,
                           value_problem ? KSTREAM_ERR_SERDE
                                         : KSTREAM_ERR_NO_MEMORY,
                           "field %s: %s", field(path),
                           value_problem ? value_problem : "out of memory");
    /* The value sits inside n containers (the root and n - 1 on the way):
     * refuse before anything is created. */
    if (n + ks_json_depth(value, KSTREAM_JSON_MAX_DEPTH) >
        KSTREAM_JSON_MAX_DEPTH) {
        json_decref(value);
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field %s: the value would be nested too deep "
                           "(more than %d arrays/objects)",
                           field(path), KSTREAM_JSON_MAX_DEPTH);
    }
    ks_json_step_t steps[2], *last = NULL;
    json_t *parent = NULL;
    err = ks_json_walk_parent(ks_json(v), path, true, steps, &last, &parent,
                              &n, errstr, errstr_size);
    if (err) {
        json_decref(value);
        return err;
    }
    int rc;
    if (last->is_index) {
        size_t size = json_array_size(parent);
        if (last->index > size) {
            json_decref(value);
            /* The array's own path ends where this step starts. */
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NOT_FOUND,
                               "field %s: index %zu is past the end (%s%.*s "
                               "has %zu elements; index %zu appends)",
                               path, last->index, last->start ? "" : "(root)",
                               (int)last->start, path, size, size);
        }
        rc = last->index == size
                     ? json_array_append_new(parent, value)
                     : json_array_set_new(parent, last->index, value);
    } else {
        rc = json_object_setn_new(parent, last->name, last->name_len, value);
        if (rc)
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                               "field %s: the member name is not valid "
                               "UTF-8",
                               path);
    }
    /* jansson frees value when it fails. */
    return rc ? ks_json_err(errstr, errstr_size, KSTREAM_ERR_NO_MEMORY,
                            "field %s: out of memory", path)
              : KSTREAM_OK;
}

kstream_err_t kstream_json_set_string(kstream_json_t *v, const char *path,
                                      const char *s, char *errstr,
                                      size_t errstr_size)
{
    if (!s)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_set_string: s is NULL");
    return kstream_json_set_stringn(v, path, s, strlen(s), errstr,
                                    errstr_size);
}

kstream_err_t kstream_json_set_stringn(kstream_json_t *v, const char *path,
                                       const void *s, size_t len,
                                       char *errstr, size_t errstr_size)
{
    if (!s)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_set_stringn: s is NULL");
    /* json_stringn() checks UTF-8: NULL is bad text (or no memory). */
    return put("kstream_json_set_stringn", v, path, json_stringn(s, len),
               "the string is not valid UTF-8", errstr, errstr_size);
}

kstream_err_t kstream_json_set_int64(kstream_json_t *v, const char *path,
                                     int64_t i, char *errstr,
                                     size_t errstr_size)
{
    return put("kstream_json_set_int64", v, path,
               json_integer((json_int_t)i), NULL, errstr, errstr_size);
}

kstream_err_t kstream_json_set_double(kstream_json_t *v, const char *path,
                                      double d, char *errstr,
                                      size_t errstr_size)
{
    const char *problem = isfinite(d) ? NULL
                                      : "NaN and infinities are not JSON "
                                        "numbers";
    return put("kstream_json_set_double", v, path,
               isfinite(d) ? json_real(d) : NULL, problem, errstr,
               errstr_size);
}

kstream_err_t kstream_json_set_bool(kstream_json_t *v, const char *path,
                                    bool b, char *errstr, size_t errstr_size)
{
    return put("kstream_json_set_bool", v, path, json_boolean(b), NULL,
               errstr, errstr_size);
}

kstream_err_t kstream_json_set_null(kstream_json_t *v, const char *path,
                                    char *errstr, size_t errstr_size)
{
    return put("kstream_json_set_null", v, path, json_null(), NULL, errstr,
               errstr_size);
}

kstream_err_t kstream_json_set(kstream_json_t *v, const char *path,
                               const kstream_json_t *value, char *errstr,
                               size_t errstr_size)
{
    if (!value)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_set: value is NULL");
    /* Copy first: value may be a part of v that the set replaces. */
    return put("kstream_json_set", v, path,
               json_deep_copy(ks_cjson(value)), NULL, errstr, errstr_size);
}

kstream_err_t kstream_json_remove(kstream_json_t *v, const char *path,
                                  char *errstr, size_t errstr_size)
{
    if (!v || !path)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_remove: %s is NULL",
                           !v ? "the value" : "path");
    ks_json_step_t steps[2], *last = NULL;
    json_t *parent = NULL;
    size_t n = 0;
    kstream_err_t err = ks_json_walk_parent(ks_json(v), path, false, steps,
                                            &last, &parent, &n, errstr,
                                            errstr_size);
    if (err)
        return err;
    int rc = last->is_index
                     ? (last->index < json_array_size(parent)
                                ? json_array_remove(parent, last->index)
                                : -1)
                     : json_object_deln(parent, last->name, last->name_len);
    if (rc)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NOT_FOUND,
                           "field %s: not found", path);
    return KSTREAM_OK;
}
