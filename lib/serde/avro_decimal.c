/* avro_decimal.c - the decimal logical type (Java's
 * Conversions.DecimalConversion): an unscaled integer in big-endian two's
 * complement (minimal length on bytes, sign-extended on fixed) and a scale
 * from the schema, to and from text such as "-12.340". */
#include "serde/avro_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ks_avro_decimal_text(const void *data, size_t len, int scale,
                         ks_buf_t *out) {
    const uint8_t *b = data;
    uint8_t *mag = NULL;
    char *digits = NULL;
    size_t nd = 0, i, cap;
    bool neg = len > 0 && (b[0] & 0x80);
    bool nonzero = false;
    int rc = -1;

    out->len = 0;
    mag = malloc(len + 1);
    cap = len * 3 + 16; /* 2.41 digits per byte, in 9-digit chunks */
    digits = malloc(cap);
    if (!mag || !digits)
        goto done;
    memcpy(mag, b, len);
    if (neg) { /* magnitude = two's complement negation */
        unsigned carry = 1;
        for (i = len; i-- > 0;) {
            unsigned x = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    /* Repeated division by 10^9, least significant chunk first. */
    for (;;) {
        uint64_t rem = 0;
        bool any = false;
        for (i = 0; i < len; i++) {
            uint64_t cur = (rem << 8) | mag[i];
            mag[i] = (uint8_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
            any = any || mag[i];
        }
        for (i = 0; i < 9; i++) {
            digits[nd++] = (char)('0' + rem % 10);
            nonzero = nonzero || rem % 10;
            rem /= 10;
        }
        if (!any)
            break;
    }
    /* digits[] is reversed: drop leading zeros, keep scale + 1 digits. */
    while (nd > (size_t)scale + 1 && digits[nd - 1] == '0')
        nd--;
    while (nd < (size_t)scale + 1) {
        if (nd >= cap)
            goto done;
        digits[nd++] = '0';
    }
    if (neg && nonzero && ks_buf_putc(out, '-'))
        goto done;
    for (i = nd; i-- > 0;) {
        if (i + 1 == (size_t)scale && scale > 0 && ks_buf_putc(out, '.'))
            goto done;
        if (ks_buf_putc(out, digits[i]))
            goto done;
    }
    rc = 0;
done:
    free(mag);
    free(digits);
    return rc;
}

int ks_avro_decimal_encode(const ks_avro_node_t *n, const char *text,
                           ks_buf_t *out, char *errstr, size_t errstr_size) {
    const char *p = text;
    bool neg = false;
    size_t intd = 0, fracd = 0, nd, w, i, start;
    uint8_t *b;
    char *digits;
    int rc = -1;

    out->len = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    while (p[intd] >= '0' && p[intd] <= '9')
        intd++;
    if (p[intd] == '.')
        while (p[intd + 1 + fracd] >= '0' && p[intd + 1 + fracd] <= '9')
            fracd++;
    if ((intd == 0 && fracd == 0) ||
        p[intd + (p[intd] == '.' ? 1 + fracd : 0)] != '\0') {
        snprintf(errstr, errstr_size, "\"%.40s\" is not a decimal number "
                                      "(digits, an optional '.' and "
                                      "sign)",
                 text);
        return -1;
    }
    if (fracd > (size_t)n->scale) {
        snprintf(errstr, errstr_size, "\"%.40s\" has %zu fraction digits, "
                                      "the scale is %d",
                 text, fracd, n->scale);
        return -1;
    }
    /* The unscaled digits: integer part, fraction, zeros up to scale. */
    digits = malloc(intd + (size_t)n->scale + 1);
    if (!digits) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    memcpy(digits, p, intd);
    memcpy(digits + intd, p + intd + 1, fracd);
    memset(digits + intd + fracd, '0', (size_t)n->scale - fracd);
    nd = intd + (size_t)n->scale;
    for (start = 0; start + 1 < nd && digits[start] == '0'; start++)
        ;
    if (nd - start > (size_t)n->precision && !(nd - start == 1 &&
                                                digits[start] == '0')) {
        snprintf(errstr, errstr_size, "\"%.40s\" has more than the %d "
                                      "digits of the precision",
                 text, n->precision);
        free(digits);
        return -1;
    }
    /* Big-endian magnitude: each digit, b = b * 10 + d. One byte of room
     * for the sign. */
    w = (nd - start) * 415 / 1000 + 3;
    if (n->type == KSTREAM_AVRO_FIXED && (size_t)n->size > w)
        w = (size_t)n->size;
    if (ks_buf_reserve(out, w)) {
        snprintf(errstr, errstr_size, "out of memory");
        free(digits);
        return -1;
    }
    b = out->data;
    memset(b, 0, w);
    for (i = start; i < nd; i++) {
        unsigned carry = (unsigned)(digits[i] - '0');
        size_t k;
        for (k = w; k-- > 0;) {
            unsigned x = b[k] * 10u + carry;
            b[k] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    free(digits);
    if (neg) {
        unsigned carry = 1;
        for (i = w; i-- > 0;) {
            unsigned x = (uint8_t)~b[i] + carry;
            b[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    /* Minimal two's complement: drop sign bytes that repeat the next
     * byte's top bit. */
    for (start = 0; start + 1 < w; start++) {
        if (!((b[start] == 0x00 && !(b[start + 1] & 0x80)) ||
              (b[start] == 0xff && (b[start + 1] & 0x80))))
            break;
    }
    if (n->type == KSTREAM_AVRO_FIXED) {
        if (w - start > (size_t)n->size) {
            snprintf(errstr, errstr_size, "\"%.40s\" does not fit %s (%lld "
                                          "bytes)",
                     text, n->fullname, (long long)n->size);
            return -1;
        }
        start = w - (size_t)n->size; /* sign-extended to the size */
    }
    memmove(b, b + start, w - start);
    out->len = w - start;
    rc = 0;
    return rc;
}
