/* avro_default.c - field defaults (the JSON "default" of a record field),
 * checked when a resolution plan needs them and applied to the reader's
 * value when the writer's schema lacks the field. Avro's JSON encoding:
 * bytes and fixed as strings of code points 0-255, unions by their first
 * branch (any branch the JSON fits is accepted, as several writers do). */
#include "serde/avro_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int derr(char *errstr, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int derr(char *errstr, size_t size, const char *fmt, ...) {
    va_list ap;

    if (errstr && size) {
        va_start(ap, fmt);
        vsnprintf(errstr, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A JSON string of code points 0-255 -> bytes in \p out (malloc'd). */
static int latin1(const json_t *j, uint8_t **out, size_t *len) {
    const uint8_t *s = (const uint8_t *)json_string_value(j);
    size_t n = json_string_length(j), i = 0, o = 0;
    uint8_t *b = malloc(n + 1);

    if (!b)
        return -1;
    while (i < n) {
        if (s[i] < 0x80) {
            b[o++] = s[i++];
        } else if ((s[i] & 0xe0) == 0xc0 && i + 1 < n && s[i] <= 0xc3) {
            b[o++] = (uint8_t)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
            i += 2;
        } else {
            free(b);
            return -1; /* a code point above 255 */
        }
    }
    *out = b;
    *len = o;
    return 0;
}

static int apply(const ks_avro_node_t *n, const json_t *d, avro_value_t *dst,
                 char *errstr, size_t size);

static int apply_record(const ks_avro_node_t *n, const json_t *d,
                        avro_value_t *dst, char *errstr, size_t size) {
    size_t i;

    if (!json_is_object(d))
        return derr(errstr, size, "%s needs a JSON object", n->fullname);
    for (i = 0; i < n->n; i++) {
        const json_t *fd = json_object_get(d, n->fields[i].name);
        avro_value_t child, *cp = NULL;
        if (!fd)
            fd = n->fields[i].def;
        if (!fd)
            return derr(errstr, size, "no value for field \"%s\" of %s",
                        n->fields[i].name, n->fullname);
        if (dst) {
            if (avro_value_get_by_index(dst, i, &child, NULL))
                return derr(errstr, size, "Avro-C record field");
            cp = &child;
        }
        if (apply(n->fields[i].type, fd, cp, errstr, size))
            return -1;
    }
    return 0;
}

static int apply_union(const ks_avro_node_t *n, const json_t *d,
                       avro_value_t *dst, char *errstr, size_t size) {
    char tmp[KS_AVRO_ERRSIZE];
    avro_value_t branch;
    size_t i;

    for (i = 0; i < n->n; i++) {
        if (apply(n->branches[i], d, NULL, tmp, sizeof(tmp)))
            continue;
        if (!dst)
            return 0;
        if (avro_value_set_branch(dst, (int)i, &branch))
            return derr(errstr, size, "Avro-C union branch");
        return apply(n->branches[i], d, &branch, errstr, size);
    }
    return derr(errstr, size, "the default fits no branch of the union "
                              "(first: %s)",
                n->n ? ks_avro_node_name(n->branches[0]) : "none");
}

static int apply(const ks_avro_node_t *n, const json_t *d, avro_value_t *dst,
                 char *errstr, size_t size) {
    const char *tn = ks_avro_node_name(n);
    uint8_t *bytes;
    size_t len, i;
    int rc = 0;

    switch (n->type) {
    case KSTREAM_AVRO_NULL:
        if (!json_is_null(d))
            return derr(errstr, size, "null needs JSON null");
        return dst ? avro_value_set_null(dst) : 0;
    case KSTREAM_AVRO_BOOLEAN:
        if (!json_is_boolean(d))
            return derr(errstr, size, "boolean needs true or false");
        return dst ? avro_value_set_boolean(dst, json_is_true(d)) : 0;
    case KSTREAM_AVRO_INT:
        if (!json_is_integer(d) || json_integer_value(d) < INT32_MIN ||
            json_integer_value(d) > INT32_MAX)
            return derr(errstr, size, "int needs a 32-bit integer");
        return dst ? avro_value_set_int(dst, (int32_t)json_integer_value(d))
                   : 0;
    case KSTREAM_AVRO_LONG:
        if (!json_is_integer(d))
            return derr(errstr, size, "long needs an integer");
        return dst ? avro_value_set_long(dst, json_integer_value(d)) : 0;
    case KSTREAM_AVRO_FLOAT:
    case KSTREAM_AVRO_DOUBLE:
        if (!json_is_number(d))
            return derr(errstr, size, "%s needs a number", tn);
        if (!dst)
            return 0;
        return n->type == KSTREAM_AVRO_FLOAT
                       ? avro_value_set_float(dst,
                                              (float)json_number_value(d))
                       : avro_value_set_double(dst, json_number_value(d));
    case KSTREAM_AVRO_STRING:
        if (!json_is_string(d))
            return derr(errstr, size, "string needs a JSON string");
        /* jansson's strings end with a NUL: the size with it is safe. */
        return dst ? avro_value_set_string_len(dst, json_string_value(d),
                                               json_string_length(d) + 1)
                   : 0;
    case KSTREAM_AVRO_BYTES:
    case KSTREAM_AVRO_FIXED:
        if (!json_is_string(d) || latin1(d, &bytes, &len))
            return derr(errstr, size, "%s needs a string of code points "
                                      "0-255",
                        tn);
        if (n->type == KSTREAM_AVRO_FIXED && (int64_t)len != n->size)
            rc = derr(errstr, size, "%s needs %lld bytes, the default has "
                                    "%zu",
                      tn, (long long)n->size, len);
        else if (dst)
            rc = n->type == KSTREAM_AVRO_BYTES
                         ? avro_value_set_bytes(dst, bytes, len)
                         : avro_value_set_fixed(dst, bytes, len);
        free(bytes);
        return rc;
    case KSTREAM_AVRO_ENUM:
        if (json_is_string(d))
            for (i = 0; i < n->n; i++)
                if (!strcmp(n->symbols[i], json_string_value(d)))
                    return dst ? avro_value_set_enum(dst, (int)i) : 0;
        return derr(errstr, size, "%s needs one of its symbols", tn);
    case KSTREAM_AVRO_ARRAY:
    case KSTREAM_AVRO_MAP: {
        bool arr = n->type == KSTREAM_AVRO_ARRAY;
        const char *key;
        json_t *item;
        avro_value_t child, *cp = dst ? &child : NULL;

        if (arr ? !json_is_array(d) : !json_is_object(d))
            return derr(errstr, size, "%s needs a JSON %s", tn,
                        arr ? "array" : "object");
        if (dst && avro_value_reset(dst))
            return derr(errstr, size, "Avro-C reset");
        if (arr) {
            json_array_foreach(d, i, item) {
                if (dst && avro_value_append(dst, &child, NULL))
                    return derr(errstr, size, "Avro-C append");
                if (apply(n->items, item, cp, errstr, size))
                    return -1;
            }
        } else {
            json_object_foreach((json_t *)d, key, item) {
                if (dst && avro_value_add(dst, key, &child, NULL, NULL))
                    return derr(errstr, size, "Avro-C map add");
                if (apply(n->items, item, cp, errstr, size))
                    return -1;
            }
        }
        return 0;
    }
    case KSTREAM_AVRO_RECORD:
        return apply_record(n, d, dst, errstr, size);
    case KSTREAM_AVRO_UNION:
        return apply_union(n, d, dst, errstr, size);
    }
    return derr(errstr, size, "unknown type");
}

int ks_avro_default_apply(const ks_avro_node_t *node, const json_t *def,
                          avro_value_t *dest, char *errstr,
                          size_t errstr_size) {
    if (apply(node, def, dest, errstr, errstr_size)) {
        if (errstr && errstr_size && !errstr[0])
            snprintf(errstr, errstr_size, "Avro-C refused the default");
        return -1;
    }
    return 0;
}
