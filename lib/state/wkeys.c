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

static void put_be64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v;
    int i;

    for (i = TIME_LEN - 1; i >= 0; i--) {
        p[i] = (uint8_t)(u & 0xff);
        u >>= 8;
    }
}

static int64_t get_be64(const uint8_t *p) {
    uint64_t u = 0;
    int i;

    for (i = 0; i < TIME_LEN; i++)
        u = (u << 8) | p[i];
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
