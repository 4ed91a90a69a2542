/* serde.h - internal: serde and output-buffer structs behind the public
 * kstream_serde_t / kstream_buf_t, and helpers for engine code. */
#ifndef KS_SERDE_H
#define KS_SERDE_H

#include "kstream.h"
#include "util/util.h"

struct kstream_serde_s {
    kstream_serde_ops_t ops; /* ops.name owned (strdup) for user serdes */
    void *opaque;
    kstream_free_cb *opaque_free; /* called on destroy when set */
    bool builtin;                 /* static instance: destroy is a no-op */
};

/* A public output buffer. heap: the struct itself came from
 * kstream_buf_new() (kstream_buf_destroy() frees it); otherwise it lives on
 * the engine's stack or in an arena and destroy is a no-op. */
struct kstream_buf_s {
    ks_buf_t b;
    bool heap;
};

/* Make an engine-owned buffer (e.g. on the stack) whose data grows in
 * \p arena (NULL: on the heap; then release it with ks_buf_free(&kb->b)). */
void ks_kbuf_init_arena(kstream_buf_t *kb, ks_arena_t *arena);

#endif /* KS_SERDE_H */
