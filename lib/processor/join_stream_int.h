/* join_stream_int.h - the stream-stream join's internals, shared by
 *   join_stream.c        the join and merge nodes (the semantics)
 *   join_stream_codec.c  the formats of its stored values and of the
 *                        shared store's keys
 * See join_stream.c for both. */
#ifndef KS_JOIN_STREAM_INT_H
#define KS_JOIN_STREAM_INT_H

#include "processor/join_stream.h"
#include "util/util.h"

enum { SIDE_RIGHT = 0, SIDE_LEFT = 1 };

/* A stored record, decoded into the arena. */
typedef struct js_rec {
    int side;
    int64_t ts;
    uint32_t seq;
    kstream_bytes_t key;
    kstream_bytes_t value;
    kstream_header_t *headers;
    size_t nheaders;
} js_rec_t;


/* A record's value as stored: its headers, then its value, in the arena
 * (*len bytes); NULL on out-of-memory or too many or too large headers. */
uint8_t *ks_js_value_encode(ks_arena_t *arena, const kstream_record_t *rec,
                            size_t *len);
/* Decode a stored value (borrowed from a store) into r's headers and
 * value, copying it into the arena. KSTREAM_ERR_STORE: malformed. */
kstream_err_t ks_js_value_decode(ks_arena_t *arena, const void *data,
                                 size_t len, js_rec_t *r);
/* A shared-store key: time | side | key | seq, in the arena. */
uint8_t *ks_js_skey_encode(ks_arena_t *arena, int64_t ts, int side,
                           const void *key, size_t klen, uint32_t seq,
                           size_t *len);
/* r's time, side, key (pointing into skey) and seq; false: malformed. */
bool ks_js_skey_decode(const void *skey, size_t len, js_rec_t *r);

#endif /* KS_JOIN_STREAM_INT_H */
