/* hash.c - Kafka's murmur2 (Java client Utils.murmur2, used by the default
 * partitioner) and FNV-1a for hash tables. */
#include "util/util.h"

int32_t ks_murmur2(const void *data, size_t len) {
    const uint8_t *p = data;
    const uint32_t seed = 0x9747b28cu;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    /* Java takes the length as an int; keys are far below 2 GiB. */
    uint32_t h = seed ^ (uint32_t)len;
    size_t nblocks = len / 4;
    size_t i;

    for (i = 0; i < nblocks; i++) {
        const uint8_t *b = p + i * 4;
        uint32_t k = (uint32_t)b[0] | ((uint32_t)b[1] << 8) |
                     ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }

    p += nblocks * 4;
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)p[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)p[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)p[0];
        h *= m;
        break;
    default:
        break;
    }

    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t ks_partition_for_key(const void *key, size_t len, int32_t n) {
    if (n <= 0)
        return -1;
    if (n == 1)
        return 0; /* whatever the hash */
    return (int32_t)(((uint32_t)ks_murmur2(key, len) & 0x7fffffffu) %
                     (uint32_t)n);
}

uint64_t ks_hash_bytes(const void *data, size_t len) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
