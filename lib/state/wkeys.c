/* wkeys.c - composite keys of window and session stores (Kafka Streams'
 * WindowKeySchema and SessionKeySchema, the binary forms):
 *
 *   window key:  key bytes | start (8 bytes, big-endian)
 *   session key: key bytes | end (8 bytes, BE) | start (8 bytes, BE)
 *
 * Times are >= 0, so their big-endian bytes sort like the numbers and the
 * stores' bytewise order is (key bytes, then time). The record key has no
 * length prefix: see store.h for what that means to a range over one key.
 *
 * The _time functions give the time a segmented store files the key under
 * (ks_segmented_new's key_time): the window start, the session end; -1
 * for a key too short to hold it (or with a negative time). */
#include "state/store.h"

#include <assert.h>
#include <string.h>

#define TIME_LEN 8

/* Byte by byte: compilers make these one byte swap and one load/store. */
static void put_be64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v;

    p[0] = (uint8_t)(u >> 56);
    p[1] = (uint8_t)(u >> 48);
    p[2] = (uint8_t)(u >> 40);
    p[3] = (uint8_t)(u >> 32);
    p[4] = (uint8_t)(u >> 24);
    p[5] = (uint8_t)(u >> 16);
    p[6] = (uint8_t)(u >> 8);
    p[7] = (uint8_t)u;
}

static int64_t get_be64(const uint8_t *p) {
    uint64_t u = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
                 (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
                 (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
                 (uint64_t)p[6] << 8 | (uint64_t)p[7];

    /* Conversion of values > INT64_MAX is implementation-defined; times
     * are >= 0, and decode rejects the rest by sign. */
    return (int64_t)u;
}

/* ---- window keys --------------------------------------------------------- */

size_t ks_wkey_encode(uint8_t *buf, const void *key, size_t klen,
                      int64_t start) {
    assert(start >= 0);
    if (klen > 0)
        memcpy(buf, key, klen);
    put_be64(buf + klen, start);
    return klen + TIME_LEN;
}

bool ks_wkey_decode(const void *wkey, size_t len, kstream_bytes_t *key,
                    int64_t *start) {
    const uint8_t *p = wkey;
    int64_t t;

    if (len < TIME_LEN)
        return false;
    t = get_be64(p + len - TIME_LEN);
    if (t < 0)
        return false;
    key->data = p;
    key->len = len - TIME_LEN;
    *start = t;
    return true;
}

int64_t ks_wkey_time(const void *wkey, size_t len) {
    const uint8_t *p = wkey;

    int64_t t;

    if (len < TIME_LEN)
        return -1;
    t = get_be64(p + len - TIME_LEN);
    return t < 0 ? -1 : t;
}

/* ---- session keys -------------------------------------------------------- */

size_t ks_skey_encode(uint8_t *buf, const void *key, size_t klen,
                      int64_t start, int64_t end) {
    assert(start >= 0 && end >= 0);
    if (klen > 0)
        memcpy(buf, key, klen);
    put_be64(buf + klen, end);
    put_be64(buf + klen + TIME_LEN, start);
    return klen + 2 * TIME_LEN;
}

bool ks_skey_decode(const void *skey, size_t len, kstream_bytes_t *key,
                    int64_t *start, int64_t *end) {
    const uint8_t *p = skey;
    int64_t s, e;

    if (len < 2 * TIME_LEN)
        return false;
    e = get_be64(p + len - 2 * TIME_LEN);
    s = get_be64(p + len - TIME_LEN);
    if (s < 0 || e < 0)
        return false;
    key->data = p;
    key->len = len - 2 * TIME_LEN;
    *start = s;
    *end = e;
    return true;
}

int64_t ks_skey_time(const void *skey, size_t len) {
    const uint8_t *p = skey;

    int64_t t;

    if (len < 2 * TIME_LEN)
        return -1;
    t = get_be64(p + len - 2 * TIME_LEN);
    return t < 0 ? -1 : t;
}
