/* avro_stub.c - placeholders for the Avro API while it is being built:
 * every call fails with KSTREAM_ERR_SERDE (or NULL). Replaced file by file. */
#include "serde/serde.h"

kstream_avro_schema_t * kstream_avro_schema_new(const char *json, char *errstr, size_t errstr_size) {
    (void)json;
    (void)errstr;
    (void)errstr_size;
    return NULL;
}

kstream_avro_schema_t * kstream_avro_schema_ref(const kstream_avro_schema_t *schema) {
    (void)schema;
    return NULL;
}

void kstream_avro_schema_destroy(kstream_avro_schema_t *schema) {
    (void)schema;
}

const char * kstream_avro_schema_json(const kstream_avro_schema_t *schema) {
    (void)schema;
    return NULL;
}

const char * kstream_avro_schema_name(const kstream_avro_schema_t *schema) {
    (void)schema;
    return NULL;
}

kstream_avro_type_t kstream_avro_schema_type(const kstream_avro_schema_t *schema) {
    (void)schema;
    return KSTREAM_AVRO_NULL;
}

bool kstream_avro_schema_equal(const kstream_avro_schema_t *a, const kstream_avro_schema_t *b) {
    (void)a;
    (void)b;
    return false;
}

struct avro_obj_t * kstream_avro_schema_avro(const kstream_avro_schema_t *schema) {
    (void)schema;
    return NULL;
}

kstream_avro_value_t * kstream_avro_value_new(const kstream_avro_schema_t *schema, char *errstr, size_t errstr_size) {
    (void)schema;
    (void)errstr;
    (void)errstr_size;
    return NULL;
}

void kstream_avro_value_destroy(kstream_avro_value_t *v) {
    (void)v;
}

kstream_err_t kstream_avro_value_reset(kstream_avro_value_t *v) {
    (void)v;
    return KSTREAM_ERR_SERDE;
}

const kstream_avro_schema_t * kstream_avro_value_schema(const kstream_avro_value_t *v) {
    (void)v;
    return NULL;
}

struct avro_value * kstream_avro_value_avro(kstream_avro_value_t *v) {
    (void)v;
    return NULL;
}

const char * kstream_avro_value_error(const kstream_avro_value_t *v) {
    (void)v;
    return NULL;
}

int32_t kstream_avro_value_schema_id(const kstream_avro_value_t *v) {
    (void)v;
    return -1;
}

kstream_err_t kstream_avro_value_decode( kstream_avro_value_t *v, const kstream_avro_schema_t *writer_schema, const void *data, size_t len) {
    (void)v;
    (void)writer_schema;
    (void)data;
    (void)len;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_encode( kstream_avro_value_t *v, const char *path, kstream_buf_t *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_to_json( kstream_avro_value_t *v, const char *path, kstream_buf_t *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_type(kstream_avro_value_t *v, const char *path, kstream_avro_type_t *type) {
    (void)v;
    (void)path;
    (void)type;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_logical_type( kstream_avro_value_t *v, const char *path, const char **name) {
    (void)v;
    (void)path;
    (void)name;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_is_null( kstream_avro_value_t *v, const char *path, bool *is_null) {
    (void)v;
    (void)path;
    (void)is_null;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_size(kstream_avro_value_t *v, const char *path, size_t *n) {
    (void)v;
    (void)path;
    (void)n;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_key_at( kstream_avro_value_t *v, const char *path, size_t idx, const char **name) {
    (void)v;
    (void)path;
    (void)idx;
    (void)name;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_boolean( kstream_avro_value_t *v, const char *path, bool *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_int( kstream_avro_value_t *v, const char *path, int32_t *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_long( kstream_avro_value_t *v, const char *path, int64_t *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_float( kstream_avro_value_t *v, const char *path, float *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_double( kstream_avro_value_t *v, const char *path, double *out) {
    (void)v;
    (void)path;
    (void)out;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_string( kstream_avro_value_t *v, const char *path, const char **str, size_t *len) {
    (void)v;
    (void)path;
    (void)str;
    (void)len;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_bytes( kstream_avro_value_t *v, const char *path, const void **data, size_t *len) {
    (void)v;
    (void)path;
    (void)data;
    (void)len;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_enum( kstream_avro_value_t *v, const char *path, const char **symbol) {
    (void)v;
    (void)path;
    (void)symbol;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_decimal( kstream_avro_value_t *v, const char *path, char *dest, size_t *dest_size) {
    (void)v;
    (void)path;
    (void)dest;
    (void)dest_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_get_branch( kstream_avro_value_t *v, const char *path, int *index, const char **type_name) {
    (void)v;
    (void)path;
    (void)index;
    (void)type_name;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_null( kstream_avro_value_t *v, const char *path) {
    (void)v;
    (void)path;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_boolean( kstream_avro_value_t *v, const char *path, bool val) {
    (void)v;
    (void)path;
    (void)val;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_int( kstream_avro_value_t *v, const char *path, int32_t val) {
    (void)v;
    (void)path;
    (void)val;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_long( kstream_avro_value_t *v, const char *path, int64_t val) {
    (void)v;
    (void)path;
    (void)val;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_float( kstream_avro_value_t *v, const char *path, float val) {
    (void)v;
    (void)path;
    (void)val;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_double( kstream_avro_value_t *v, const char *path, double val) {
    (void)v;
    (void)path;
    (void)val;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_string( kstream_avro_value_t *v, const char *path, const char *str) {
    (void)v;
    (void)path;
    (void)str;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_bytes( kstream_avro_value_t *v, const char *path, const void *data, size_t len) {
    (void)v;
    (void)path;
    (void)data;
    (void)len;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_enum( kstream_avro_value_t *v, const char *path, const char *symbol) {
    (void)v;
    (void)path;
    (void)symbol;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_decimal( kstream_avro_value_t *v, const char *path, const char *text) {
    (void)v;
    (void)path;
    (void)text;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_set_branch( kstream_avro_value_t *v, const char *path, int index) {
    (void)v;
    (void)path;
    (void)index;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_append( kstream_avro_value_t *v, const char *path, size_t *index) {
    (void)v;
    (void)path;
    (void)index;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_value_clear(kstream_avro_value_t *v, const char *path) {
    (void)v;
    (void)path;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_frame_parse( const void *data, size_t len, int32_t *schema_id, kstream_bytes_t *body, char *errstr, size_t errstr_size) {
    (void)data;
    (void)len;
    (void)schema_id;
    (void)body;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_frame_write(kstream_buf_t *out, int32_t schema_id) {
    (void)out;
    (void)schema_id;
    return KSTREAM_ERR_SERDE;
}

kstream_avro_conf_t * kstream_avro_conf_new(void) {
    return NULL;
}

kstream_avro_conf_t * kstream_avro_conf_dup(const kstream_avro_conf_t *conf) {
    (void)conf;
    return NULL;
}

void kstream_avro_conf_destroy(kstream_avro_conf_t *conf) {
    (void)conf;
}

kstream_conf_res_t kstream_avro_conf_set( kstream_avro_conf_t *conf, const char *name, const char *value, char *errstr, size_t errstr_size) {
    (void)conf;
    (void)name;
    (void)value;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_CONF_UNKNOWN;
}

kstream_err_t kstream_avro_conf_get( const kstream_avro_conf_t *conf, const char *name, char *dest, size_t *dest_size) {
    (void)conf;
    (void)name;
    (void)dest;
    (void)dest_size;
    return KSTREAM_ERR_SERDE;
}

kstream_avro_registry_t * kstream_avro_registry_new(const kstream_avro_conf_t *conf, char *errstr, size_t errstr_size) {
    (void)conf;
    (void)errstr;
    (void)errstr_size;
    return NULL;
}

void kstream_avro_registry_destroy(kstream_avro_registry_t *reg) {
    (void)reg;
}

kstream_err_t kstream_avro_registry_register( kstream_avro_registry_t *reg, const char *subject, const kstream_avro_schema_t *schema, int32_t *id, char *errstr, size_t errstr_size) {
    (void)reg;
    (void)subject;
    (void)schema;
    (void)id;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_registry_lookup( kstream_avro_registry_t *reg, const char *subject, const kstream_avro_schema_t *schema, int32_t *id, char *errstr, size_t errstr_size) {
    (void)reg;
    (void)subject;
    (void)schema;
    (void)id;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_registry_schema_by_id( kstream_avro_registry_t *reg, int32_t id, kstream_avro_schema_t **schema, char *errstr, size_t errstr_size) {
    (void)reg;
    (void)id;
    (void)schema;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_registry_latest( kstream_avro_registry_t *reg, const char *subject, int32_t *id, int32_t *version, kstream_avro_schema_t **schema, char *errstr, size_t errstr_size) {
    (void)reg;
    (void)subject;
    (void)id;
    (void)version;
    (void)schema;
    (void)errstr;
    (void)errstr_size;
    return KSTREAM_ERR_SERDE;
}

kstream_err_t kstream_avro_registry_decode( kstream_avro_registry_t *reg, const void *data, size_t len, kstream_avro_value_t *v) {
    (void)reg;
    (void)data;
    (void)len;
    (void)v;
    return KSTREAM_ERR_SERDE;
}

kstream_serde_t * kstream_avro_serde_new( kstream_avro_registry_t *reg, const kstream_avro_conf_t *conf, const char *topic, bool is_key, char *errstr, size_t errstr_size) {
    (void)reg;
    (void)conf;
    (void)topic;
    (void)is_key;
    (void)errstr;
    (void)errstr_size;
    return NULL;
}
