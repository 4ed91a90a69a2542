/* wkeys_dup.c - composite keys of window stores that keep duplicates
 * (Kafka Streams' WindowKeySchema with a sequence number, the binary form
 * of the stores of stream-stream joins, whose retainDuplicates is true):
 *
 *   key bytes | time (8 bytes, big-endian) | seq (4 bytes, big-endian)
 *
 * A plain window key (wkeys.c) holds one value per (key, time); the
 * sequence number tells apart records of one key with the same time, so
 * that every one of them is kept. Times are >= 0, so the bytewise order
 * of the composite keys of one record key is (time, seq). As with plain
 * window keys the record key has no length prefix (see store.h): a range
 * [K | from | 0 .. K | to | 0xffffffff] over one key K can also return
 * keys of other record keys whose bytes continue K; decode each and keep
 * those whose record key length is klen.
 *
 * ks_wkey_dup_time gives the time the segmented store files a key under
 * (ks_segmented_new's key_time): the time, or -1 for a key too short to
 * hold it (or with a negative time). */
#include "state/store.h"

#include <assert.h>
#include <string.h>

#define TIME_LEN 8
#define SEQ_LEN 4
#define SUFFIX_LEN (TIME_LEN + SEQ_LEN)

static void put_be(uint8_t *p, uint64_t v, int n) {
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int n) {
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

size_t ks_wkey_dup_encode(uint8_t *buf, const void *key, size_t klen,
                          int64_t time, uint32_t seq) {
    assert(time >= 0);
    if (klen > 0)
        memcpy(buf, key, klen);
    put_be(buf + klen, (uint64_t)time, TIME_LEN);
    put_be(buf + klen + TIME_LEN, seq, SEQ_LEN);
    return klen + SUFFIX_LEN;
}

bool ks_wkey_dup_decode(const void *dkey, size_t len, kstream_bytes_t *key,
                        int64_t *time, uint32_t *seq) {
    const uint8_t *p = dkey;
    uint64_t t;

    if (len < SUFFIX_LEN)
        return false;
    t = get_be(p + len - SUFFIX_LEN, TIME_LEN);
    if (t > INT64_MAX)
        return false;
    key->data = p;
    key->len = len - SUFFIX_LEN;
    *time = (int64_t)t;
    *seq = (uint32_t)get_be(p + len - SEQ_LEN, SEQ_LEN);
    return true;
}

int64_t ks_wkey_dup_time(const void *dkey, size_t len) {
    const uint8_t *p = dkey;
    uint64_t t;

    if (len < SUFFIX_LEN)
        return -1;
    t = get_be(p + len - SUFFIX_LEN, TIME_LEN);
    return t > INT64_MAX ? -1 : (int64_t)t;
}
