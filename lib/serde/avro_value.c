/* avro_value.c - kstream_avro_value_t (Java's GenericRecord): an Avro-C
 * generic value with its schema, the decoder's reusable memory and caches,
 * and the last error message; decode, encode and JSON on it. */
#include "serde/avro_int.h"
#include "serde/registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kstream_err_t ks_avro_verr(kstream_avro_value_t *v, kstream_err_t err,
                           const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v->err, sizeof(v->err), fmt, ap);
    va_end(ap);
    return err;
}

static void drop_value(kstream_avro_value_t *v) {
    if (v->has_value)
        avro_value_decref(&v->value);
    v->has_value = false;
}

int ks_avro_value_adopt(kstream_avro_value_t *v,
                        kstream_avro_schema_t *schema) {
    if (v->schema == schema)
        return 0;
    /* The same layout: keep the value and its memory. */
    if (v->schema && v->has_value && !strcmp(v->schema->canon, schema->canon)) {
        kstream_avro_schema_destroy(v->schema);
        v->schema = kstream_avro_schema_ref(schema);
        return 0;
    }
    drop_value(v);
    kstream_avro_schema_destroy(v->schema);
    v->schema = NULL;
    if (avro_generic_value_new(schema->iface, &v->value)) {
        ks_avro_c_error(v->err, sizeof(v->err), "Avro-C generic value");
        return -1;
    }
    v->has_value = true;
    v->schema = kstream_avro_schema_ref(schema);
    return 0;
}

kstream_avro_value_t *kstream_avro_value_new(
        const kstream_avro_schema_t *schema, char *errstr,
        size_t errstr_size) {
    kstream_avro_value_t *v = calloc(1, sizeof(*v));

    if (!v) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    ks_buf_init(&v->scratch, NULL);
    v->schema_id = -1;
    v->adaptive = schema == NULL;
    if (schema && ks_avro_value_adopt(v, (kstream_avro_schema_t *)schema)) {
        ks_errstr(errstr, errstr_size, "%s", v->err);
        kstream_avro_value_destroy(v);
        return NULL;
    }
    return v;
}

void ks_avro_value_forget(kstream_avro_value_t *v) {
    size_t i;

    for (i = 0; i < KS_AVRO_VALUE_CACHE; i++) {
        kstream_avro_schema_destroy(v->plans[i].writer);
        ks_avro_resolver_unref(v->plans[i].res);
        v->plans[i].writer = NULL;
        v->plans[i].res = NULL;
        kstream_avro_schema_destroy(v->ids[i].writer);
        v->ids[i].writer = NULL;
    }
    ks_registry_unref(v->reg);
    v->reg = NULL;
}

void kstream_avro_value_destroy(kstream_avro_value_t *v) {
    if (!v)
        return;
    drop_value(v);
    kstream_avro_schema_destroy(v->schema);
    ks_avro_value_forget(v);
    ks_buf_free(&v->scratch);
    free(v);
}

kstream_err_t kstream_avro_value_reset(kstream_avro_value_t *v) {
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (v->has_value && avro_value_reset(&v->value)) {
        ks_avro_c_error(v->err, sizeof(v->err), "Avro-C reset");
        return KSTREAM_ERR_SERDE;
    }
    return KSTREAM_OK;
}

const kstream_avro_schema_t *
kstream_avro_value_schema(const kstream_avro_value_t *v) {
    return v ? v->schema : NULL;
}

struct avro_value *kstream_avro_value_avro(kstream_avro_value_t *v) {
    return v && v->has_value ? &v->value : NULL;
}

const char *kstream_avro_value_error(const kstream_avro_value_t *v) {
    return v ? v->err : "";
}

int32_t kstream_avro_value_schema_id(const kstream_avro_value_t *v) {
    return v ? v->schema_id : -1;
}

/* The plan for data of \p writer into v: the cached one when the writer
 * is the last one seen. */
kstream_err_t ks_avro_value_decode_with(kstream_avro_value_t *v,
                                        kstream_avro_schema_t *writer,
                                        const void *data, size_t len) {
    ks_avro_resolver_t *res;
    char msg[KS_AVRO_ERRSIZE];
    size_t i;

    if (v->adaptive && ks_avro_value_adopt(v, writer))
        return KSTREAM_ERR_SERDE;
    /* A value's reader schema is fixed (or, adaptive, follows the
     * writer), so the writer alone keys the cache. */
    for (i = 0; i < KS_AVRO_VALUE_CACHE; i++)
        if (v->plans[i].writer == writer)
            return ks_avro_decode(v, v->plans[i].res, data, len);
    msg[0] = '\0';
    res = ks_avro_resolver_get(writer, v->schema, msg, sizeof(msg));
    if (!res)
        return ks_avro_verr(v, KSTREAM_ERR_SERDE, "Avro: %s", msg);
    i = v->next_plan++ % KS_AVRO_VALUE_CACHE;
    ks_avro_resolver_unref(v->plans[i].res);
    kstream_avro_schema_destroy(v->plans[i].writer);
    v->plans[i].res = res;
    v->plans[i].writer = kstream_avro_schema_ref(writer);
    return ks_avro_decode(v, res, data, len);
}

kstream_err_t kstream_avro_value_decode(
        kstream_avro_value_t *v, const kstream_avro_schema_t *writer_schema,
        const void *data, size_t len) {
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!writer_schema || (!data && len))
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_decode: %s is NULL",
                            writer_schema ? "data" : "writer_schema");
    if (!data)
        data = "";
    return ks_avro_value_decode_with(v, (kstream_avro_schema_t *)writer_schema,
                                     data, len);
}

/* The value and node at path for encode / JSON: the whole value for an
 * empty path, else as the getters see it (a union entered). */
static kstream_err_t part(kstream_avro_value_t *v, const char *path,
                          const char *fn, ks_avro_at_t *at) {
    if (!v->has_value)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "%s: the value has no schema yet", fn);
    if (!path || !*path) {
        at->val = v->value;
        at->node = v->schema->root;
        return KSTREAM_OK;
    }
    return ks_avro_path_get(v, path, true, at);
}

kstream_err_t kstream_avro_value_encode(kstream_avro_value_t *v,
                                        const char *path,
                                        kstream_buf_t *out) {
    ks_avro_at_t at;
    kstream_err_t err;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!out)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_encode: out is NULL");
    err = part(v, path, "kstream_avro_value_encode", &at);
    if (err)
        return err;
    return ks_avro_encode(v, at.node, &at.val, &out->b);
}

kstream_err_t kstream_avro_value_to_json(kstream_avro_value_t *v,
                                         const char *path,
                                         kstream_buf_t *out) {
    ks_avro_at_t at;
    kstream_err_t err;
    char *json = NULL;

    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    v->err[0] = '\0';
    if (!out)
        return ks_avro_verr(v, KSTREAM_ERR_INVALID_ARG,
                            "kstream_avro_value_to_json: out is NULL");
    err = part(v, path, "kstream_avro_value_to_json", &at);
    if (err)
        return err;
    if (avro_value_to_json(&at.val, 1, &json)) {
        ks_avro_c_error(v->err, sizeof(v->err), "Avro-C to JSON");
        return KSTREAM_ERR_SERDE;
    }
    err = kstream_buf_append(out, json, strlen(json));
    free(json);
    if (err)
        return ks_avro_verr(v, err, "out of memory");
    return KSTREAM_OK;
}
