/* join_stream_codec.c - the stream-stream join's stored formats (see
 * join_stream.c's top comment):
 *   values (all three stores): header count (4 bytes BE), per header its
 *     name length (4), name, value length (4; 0xffffffff: NULL) and
 *     value, then the record value;
 *   shared-store keys: time (8 bytes BE) | side (1) | record key | seq (4
 *     bytes BE), so that the store orders its records by time, then side,
 *     key and arrival. */
#include <stdint.h>
#include <string.h>

#include "processor/join_stream_int.h"

#define SKEY_FIXED 13 /* time, side, seq */

/* ---- values: headers and the record value ------------------------------ */
uint8_t *ks_js_value_encode(ks_arena_t *arena, const kstream_record_t *rec,
                            size_t *len)
{
    size_t n = 4 + rec->value_len;
    if (rec->nheaders > UINT32_MAX)
        return NULL;
    for (size_t i = 0; i < rec->nheaders; i++) {
        const kstream_header_t *h = &rec->headers[i];
        size_t vl = h->value ? h->len : 0;
        size_t nl = strlen(h->name);
        if (nl >= UINT32_MAX || vl >= UINT32_MAX)
            return NULL;
        n += 8 + nl + vl;
    }
    uint8_t *buf = ks_arena_alloc(arena, n);
    if (!buf)
        return NULL;
    uint8_t *p = buf;
    ks_put_be32(p, (uint32_t)rec->nheaders);
    p += 4;
    for (size_t i = 0; i < rec->nheaders; i++) {
        const kstream_header_t *h = &rec->headers[i];
        size_t nl = strlen(h->name);
        ks_put_be32(p, (uint32_t)nl);
        memcpy(p + 4, h->name, nl);
        p += 4 + nl;
        ks_put_be32(p, h->value ? (uint32_t)h->len : UINT32_MAX);
        p += 4;
        if (h->value && h->len) {
            memcpy(p, h->value, h->len);
            p += h->len;
        }
    }
    if (rec->value_len)
        memcpy(p, rec->value, rec->value_len);
    *len = n;
    return buf;
}

/* Decode a stored value (borrowed from a store) into r, copying it into
 * the arena. Returns KSTREAM_ERR_STORE for a malformed value. */
kstream_err_t ks_js_value_decode(ks_arena_t *arena, const void *data,
                                 size_t len, js_rec_t *r)
{
    if (len < 4)
        return KSTREAM_ERR_STORE;
    const uint8_t *p = ks_arena_memdup(arena, data, len);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;
    const uint8_t *end = p + len;
    uint32_t nh = ks_get_be32(p);
    p += 4;
    r->headers = NULL;
    r->nheaders = nh;
    if (nh > (size_t)(end - p) / 8)
        return KSTREAM_ERR_STORE;
    if (nh) {
        r->headers = ks_arena_alloc(arena, nh * sizeof(*r->headers));
        if (!r->headers)
            return KSTREAM_ERR_NO_MEMORY;
    }
    for (uint32_t i = 0; i < nh; i++) {
        if (end - p < 4)
            return KSTREAM_ERR_STORE;
        uint32_t nl = ks_get_be32(p);
        p += 4;
        if ((size_t)(end - p) < (size_t)nl + 4)
            return KSTREAM_ERR_STORE;
        char *name = ks_arena_alloc(arena, (size_t)nl + 1);
        if (!name)
            return KSTREAM_ERR_NO_MEMORY;
        memcpy(name, p, nl);
        name[nl] = '\0';
        p += nl;
        uint32_t vl = ks_get_be32(p);
        p += 4;
        kstream_header_t *h = &r->headers[i];
        h->name = name;
        if (vl == UINT32_MAX) {
            h->value = NULL;
            h->len = 0;
            continue;
        }
        if ((size_t)(end - p) < vl)
            return KSTREAM_ERR_STORE;
        h->value = p;
        h->len = vl;
        p += vl;
    }
    r->value.data = p;
    r->value.len = (size_t)(end - p);
    return KSTREAM_OK;
}

/* ---- shared-store keys: time | side | key | seq ---------------------------- */
uint8_t *ks_js_skey_encode(ks_arena_t *arena, int64_t ts, int side,
                           const void *key, size_t klen, uint32_t seq,
                           size_t *len)
{
    uint8_t *buf = ks_arena_alloc(arena, klen + SKEY_FIXED);
    if (!buf)
        return NULL;
    ks_put_be64(buf, ts);
    buf[8] = (uint8_t)side;
    if (klen)
        memcpy(buf + 9, key, klen);
    ks_put_be32(buf + 9 + klen, seq);
    *len = klen + SKEY_FIXED;
    return buf;
}

bool ks_js_skey_decode(const void *skey, size_t len, js_rec_t *r)
{
    const uint8_t *p = skey;
    if (len < SKEY_FIXED || p[8] > SIDE_LEFT)
        return false;
    r->ts = ks_get_be64(p);
    if (r->ts < 0)
        return false;
    r->side = p[8];
    r->key.data = p + 9;
    r->key.len = len - SKEY_FIXED;
    r->seq = ks_get_be32(p + len - 4);
    return true;
}

