/* json.c - JSON values (kstream_json_t over jansson's json_t) and the JSON
 * serde (Kafka's JsonSerializer/JsonDeserializer, with a value instead of
 * a Jackson tree): parsing with a depth limit and explicit lengths,
 * lifetime, dump, equality, messages. Paths are in json_path.c, getters in
 * json_get.c, setters in json_set.c, the writer in json_write.c. */
#include "serde/json_int.h"

#include <stdarg.h>
#include <stdio.h>

kstream_err_t ks_json_err(char *errstr, size_t errstr_size, kstream_err_t err,
                          const char *fmt, ...)
{
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

const char *ks_json_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

/* ---- parsing ------------------------------------------------------------ */

/* The deepest nesting of [ and { outside strings, scanning at most len
 * bytes and stopping as soon as it passes the limit: jansson's parser
 * recurses per level, so depth is checked before it runs. Unbalanced or
 * otherwise invalid input is left for jansson to report. */
static bool too_deep(const unsigned char *p, size_t len, size_t *at)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped byte (may pass len: loop ends) */
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > KSTREAM_JSON_MAX_DEPTH) {
                *at = i;
                return true;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

kstream_err_t ks_json_parse(const void *data, size_t len, json_t **out,
                            char *errstr, size_t errstr_size)
{
    size_t at = 0;
    *out = NULL;
    if (len == 0)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "invalid JSON: empty value");
    if (too_deep(data, len, &at))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "invalid JSON: nested too deep (more than %d "
                           "arrays/objects) at byte %zu",
                           KSTREAM_JSON_MAX_DEPTH, at);
    json_error_t jerr;
    json_t *j = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NO_MEMORY,
                               "out of memory parsing JSON");
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "invalid JSON at line %d, column %d (byte %d): %s",
                           jerr.line, jerr.column, jerr.position, jerr.text);
    }
    *out = j;
    return KSTREAM_OK;
}

kstream_err_t kstream_json_parse(const void *data, size_t len,
                                 kstream_json_t **out, char *errstr,
                                 size_t errstr_size)
{
    if (!out)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_parse: out is NULL");
    *out = NULL;
    if (!data)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_parse: data is NULL (a Kafka null "
                           "is not JSON)");
    json_t *j = NULL;
    kstream_err_t err = ks_json_parse(data, len, &j, errstr, errstr_size);
    *out = ks_jv(j);
    return err;
}

static kstream_err_t record_part(kstream_bytes_t b, kstream_json_t **out,
                                 char *errstr, size_t errstr_size)
{
    if (!b.data)
        return KSTREAM_OK; /* a Kafka null: *out stays NULL */
    json_t *j = NULL;
    kstream_err_t err = ks_json_parse(b.data, b.len, &j, errstr, errstr_size);
    *out = ks_jv(j);
    return err;
}

kstream_err_t kstream_json_record_value(const kstream_record_t *rec,
                                        kstream_json_t **out, char *errstr,
                                        size_t errstr_size)
{
    if (!rec || !out)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_record_value: %s is NULL",
                           !rec ? "rec" : "out");
    *out = NULL;
    return record_part(kstream_record_value(rec), out, errstr, errstr_size);
}

kstream_err_t kstream_json_record_key(const kstream_record_t *rec,
                                      kstream_json_t **out, char *errstr,
                                      size_t errstr_size)
{
    if (!rec || !out)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_json_record_key: %s is NULL",
                           !rec ? "rec" : "out");
    *out = NULL;
    return record_part(kstream_record_key(rec), out, errstr, errstr_size);
}

/* ---- the serde ------------------------------------------------------------ */

static kstream_err_t json_ser(const void *value, kstream_buf_t *out,
                              void *opaque)
{
    (void)opaque;
    return kstream_json_dump(value, out);
}

static kstream_err_t json_de(const void *data, size_t len, void *value,
                             void *opaque)
{
    json_t **out = value;
    (void)opaque;
    *out = NULL;
    if (!data)
        return KSTREAM_OK;
    return ks_json_parse(data, len, out, NULL, 0);
}

static const kstream_serde_t json_serde = {
        .ops = {.name = "json", .serialize = json_ser, .deserialize = json_de},
        .builtin = true};

const kstream_serde_t *kstream_serde_json(void)
{
    return &json_serde;
}

/* ---- lifetime, dump, equality ------------------------------------------------ */

kstream_json_t *kstream_json_new_object(void)
{
    return ks_jv(json_object());
}

kstream_json_t *kstream_json_new_array(void)
{
    return ks_jv(json_array());
}

kstream_json_t *kstream_json_dup(const kstream_json_t *v)
{
    /* Depth is bounded by KSTREAM_JSON_MAX_DEPTH, so jansson's recursive
     * copy is safe. */
    return v ? ks_jv(json_deep_copy(ks_cjson(v))) : NULL;
}

void kstream_json_destroy(kstream_json_t *v)
{
    if (v)
        json_decref(ks_json(v));
}

kstream_err_t kstream_json_dump(const kstream_json_t *v, kstream_buf_t *out)
{
    if (!v || !out)
        return KSTREAM_ERR_INVALID_ARG;
    size_t mark = out->b.len;
    if (ks_json_write(ks_cjson(v), &out->b)) {
        out->b.len = mark; /* leave nothing half-written */
        return KSTREAM_ERR_NO_MEMORY;
    }
    return KSTREAM_OK;
}

bool kstream_json_equal(const kstream_json_t *a, const kstream_json_t *b)
{
    if (!a || !b)
        return false;
    return json_equal(ks_cjson(a), ks_cjson(b)) != 0;
}

size_t ks_json_depth(const json_t *j, size_t limit)
{
    size_t best = 0;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j) && best <= limit; i++) {
            size_t d = ks_json_depth(json_array_get(j, i), limit);
            if (d > best)
                best = d;
        }
    } else if (json_is_object(j)) {
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)j, key, m) {
            size_t d = ks_json_depth(m, limit);
            if (d > best)
                best = d;
            if (best > limit)
                break;
        }
    } else {
        return 0;
    }
    return best + 1;
}
