/* prim.c - the built-in serdes (Java Serdes.ByteArray/String/Integer/Long/
 * Double) with Kafka's wire encodings: fixed-size big-endian integers and
 * IEEE 754 doubles. Static const instances: no allocation, any thread. */
#include "serde/serde.h"

#include <math.h>
#include <string.h>

static kstream_err_t put(kstream_buf_t *out, const void *p, size_t len) {
    return kstream_buf_append(out, p, len);
}

static void be_put(uint8_t *b, uint64_t v, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t be_get(const uint8_t *b, size_t n) {
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        v = (v << 8) | b[i];
    return v;
}

/* ---- bytes ------------------------------------------------------------- */

static kstream_err_t bytes_ser(const void *value, kstream_buf_t *out,
                               void *opaque) {
    const kstream_bytes_t *v = value;
    (void)opaque;
    if (!v)
        return KSTREAM_ERR_INVALID_ARG;
    if (!v->data && v->len)
        return KSTREAM_ERR_SERDE;
    return put(out, v->data, v->len);
}

/* bytes and string: the slice borrows data; a null stays null. */
static kstream_err_t bytes_de(const void *data, size_t len, void *value,
                              void *opaque) {
    kstream_bytes_t *v = value;
    (void)opaque;
    v->data = data;
    v->len = data ? len : 0;
    return KSTREAM_OK;
}

/* ---- string ------------------------------------------------------------ */

static kstream_err_t string_ser(const void *value, kstream_buf_t *out,
                                void *opaque) {
    (void)opaque;
    if (!value)
        return KSTREAM_ERR_INVALID_ARG;
    return put(out, value, strlen(value));
}

/* ---- int32 / int64 ----------------------------------------------------- */

static kstream_err_t int32_ser(const void *value, kstream_buf_t *out,
                               void *opaque) {
    uint8_t b[4];
    int32_t v;
    (void)opaque;
    if (!value)
        return KSTREAM_ERR_INVALID_ARG;
    memcpy(&v, value, sizeof(v));
    be_put(b, (uint32_t)v, 4);
    return put(out, b, 4);
}

static kstream_err_t int32_de(const void *data, size_t len, void *value,
                              void *opaque) {
    int32_t v;
    (void)opaque;
    if (!data || len != 4)
        return KSTREAM_ERR_SERDE;
    v = (int32_t)(uint32_t)be_get(data, 4);
    memcpy(value, &v, sizeof(v));
    return KSTREAM_OK;
}

static kstream_err_t int64_ser(const void *value, kstream_buf_t *out,
                               void *opaque) {
    uint8_t b[8];
    int64_t v;
    (void)opaque;
    if (!value)
        return KSTREAM_ERR_INVALID_ARG;
    memcpy(&v, value, sizeof(v));
    be_put(b, (uint64_t)v, 8);
    return put(out, b, 8);
}

static kstream_err_t int64_de(const void *data, size_t len, void *value,
                              void *opaque) {
    int64_t v;
    (void)opaque;
    if (!data || len != 8)
        return KSTREAM_ERR_SERDE;
    v = (int64_t)be_get(data, 8);
    memcpy(value, &v, sizeof(v));
    return KSTREAM_OK;
}

/* ---- double: the IEEE 754 bits as a big-endian int64 ------------------- */
/* Like Java's Double.doubleToLongBits (used by Kafka's DoubleSerializer),
 * every NaN is written as the canonical 0x7ff8000000000000. */

static kstream_err_t double_ser(const void *value, kstream_buf_t *out,
                                void *opaque) {
    uint8_t b[8];
    uint64_t bits;
    double d;
    (void)opaque;
    if (!value)
        return KSTREAM_ERR_INVALID_ARG;
    memcpy(&d, value, sizeof(d));
    if (isnan(d))
        bits = 0x7ff8000000000000ull;
    else
        memcpy(&bits, &d, sizeof(bits));
    be_put(b, bits, 8);
    return put(out, b, 8);
}

static kstream_err_t double_de(const void *data, size_t len, void *value,
                               void *opaque) {
    uint64_t bits;
    (void)opaque;
    if (!data || len != 8)
        return KSTREAM_ERR_SERDE;
    bits = be_get(data, 8);
    memcpy(value, &bits, sizeof(bits));
    return KSTREAM_OK;
}

/* ---- the instances ----------------------------------------------------- */

_Static_assert(sizeof(double) == 8, "double must be IEEE 754 binary64");

static const kstream_serde_t serde_bytes = {
        {"bytes", bytes_ser, bytes_de}, NULL, NULL, true};
static const kstream_serde_t serde_string = {
        {"string", string_ser, bytes_de}, NULL, NULL, true};
static const kstream_serde_t serde_int32 = {
        {"int32", int32_ser, int32_de}, NULL, NULL, true};
static const kstream_serde_t serde_int64 = {
        {"int64", int64_ser, int64_de}, NULL, NULL, true};
static const kstream_serde_t serde_double = {
        {"double", double_ser, double_de}, NULL, NULL, true};

const kstream_serde_t *kstream_serde_bytes(void) {
    return &serde_bytes;
}
const kstream_serde_t *kstream_serde_string(void) {
    return &serde_string;
}
const kstream_serde_t *kstream_serde_int32(void) {
    return &serde_int32;
}
const kstream_serde_t *kstream_serde_int64(void) {
    return &serde_int64;
}
const kstream_serde_t *kstream_serde_double(void) {
    return &serde_double;
}
