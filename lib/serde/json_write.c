/* json_write.c - the compact JSON writer: no spaces, members in insertion
 * order, strings escaped (quote, backslash, control bytes; UTF-8 passes
 * through), reals in the shortest form that reads back as the same double
 * and always with a '.' or an exponent, so they stay reals. Writes straight
 * into the output buffer; recursion is bounded by KSTREAM_JSON_MAX_DEPTH,
 * which every value obeys. */
#include "serde/json_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int write_string(ks_buf_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (ks_buf_putc(out, '"'))
        return -1;
    size_t run = 0; /* start of bytes copied as they are */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (ks_buf_append(out, s + run, i - run))
            return -1;
        run = i + 1;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
            break;
        }
        if (ks_buf_append(out, esc, n))
            return -1;
    }
    if (ks_buf_append(out, s + run, len - run))
        return -1;
    return ks_buf_putc(out, '"');
}

/* The shortest of %.15g, %.16g, %.17g that reads back exactly (17 always
 * does). The C locale's decimal point may not be '.': strtod reads what
 * snprintf wrote in the same locale, then the point becomes '.'. */
static int write_real(ks_buf_t *out, double d)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    bool point = false;
    for (char *p = tmp; *p; p++) {
        if (*p == 'e' || *p == 'E') {
            point = true;
        } else if (!(*p >= '0' && *p <= '9') && *p != '-' && *p != '+') {
            *p = '.';
            point = true;
        }
    }
    if (ks_buf_append(out, tmp, strlen(tmp)))
        return -1;
    return point ? 0 : ks_buf_append(out, ".0", 2);
}

int ks_json_write(const json_t *j, ks_buf_t *out)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *m;
        bool first = true;
        if (ks_buf_putc(out, '{'))
            return -1;
        json_object_keylen_foreach((json_t *)j, key, key_len, m) {
            if (!first && ks_buf_putc(out, ','))
                return -1;
            first = false;
            if (write_string(out, key, key_len) || ks_buf_putc(out, ':') ||
                ks_json_write(m, out))
                return -1;
        }
        return ks_buf_putc(out, '}');
    }
    case JSON_ARRAY: {
        if (ks_buf_putc(out, '['))
            return -1;
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i && ks_buf_putc(out, ','))
                return -1;
            if (ks_json_write(json_array_get(j, i), out))
                return -1;
        }
        return ks_buf_putc(out, ']');
    }
    case JSON_STRING:
        return write_string(out, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return ks_buf_appendf(out, "%" PRId64,
                              (int64_t)json_integer_value(j));
    case JSON_REAL:
        return write_real(out, json_real_value(j));
    case JSON_TRUE:
        return ks_buf_append(out, "true", 4);
    case JSON_FALSE:
        return ks_buf_append(out, "false", 5);
    case JSON_NULL:
    default:
        return ks_buf_append(out, "null", 4);
    }
}
