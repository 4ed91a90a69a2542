/* serde.c - Serde (Java Serde<T>): user serdes, the dispatch to a serde's
 * ops, and the public output buffer kstream_buf_t. */
#include "serde/serde.h"

#include <stdlib.h>
#include <string.h>

/* ---- serdes ------------------------------------------------------------ */

kstream_serde_t *kstream_serde_new(const kstream_serde_ops_t *ops,
                                   void *opaque,
                                   kstream_free_cb *opaque_free) {
    kstream_serde_t *serde;
    char *name;

    if (!ops || !ops->serialize || !ops->deserialize)
        return NULL;
    serde = calloc(1, sizeof(*serde));
    if (!serde)
        return NULL;
    /* ops are copied, the name with them: the caller's may be transient. */
    name = ks_strdup(ops->name ? ops->name : "user");
    if (!name) {
        free(serde);
        return NULL;
    }
    serde->ops = *ops;
    serde->ops.name = name;
    serde->opaque = opaque;
    serde->opaque_free = opaque_free;
    serde->builtin = false;
    return serde;
}

void kstream_serde_destroy(kstream_serde_t *serde) {
    if (!serde || serde->builtin)
        return;
    if (serde->opaque_free)
        serde->opaque_free(serde->opaque);
    free((char *)serde->ops.name);
    free(serde);
}

const char *kstream_serde_name(const kstream_serde_t *serde) {
    return serde ? serde->ops.name : NULL;
}

kstream_err_t kstream_serde_serialize(const kstream_serde_t *serde,
                                      const void *value, kstream_buf_t *out) {
    if (!serde || !out)
        return KSTREAM_ERR_INVALID_ARG;
    /* value may be NULL: a user serde may encode a null; the built-ins
     * reject it. */
    return serde->ops.serialize(value, out, serde->opaque);
}

kstream_err_t kstream_serde_deserialize(const kstream_serde_t *serde,
                                        const void *data, size_t len,
                                        void *value) {
    if (!serde || !value || (!data && len))
        return KSTREAM_ERR_INVALID_ARG;
    return serde->ops.deserialize(data, len, value, serde->opaque);
}

/* ---- output buffers ---------------------------------------------------- */

void ks_kbuf_init_arena(kstream_buf_t *kb, ks_arena_t *arena) {
    ks_buf_init(&kb->b, arena);
    kb->heap = false;
}

kstream_buf_t *kstream_buf_new(void) {
    kstream_buf_t *kb = malloc(sizeof(*kb));
    if (!kb)
        return NULL;
    ks_buf_init(&kb->b, NULL);
    kb->heap = true;
    return kb;
}

void kstream_buf_destroy(kstream_buf_t *buf) {
    /* Engine-owned buffers (heap false) are not the caller's to free. */
    if (!buf || !buf->heap)
        return;
    ks_buf_free(&buf->b);
    free(buf);
}

kstream_err_t kstream_buf_append(kstream_buf_t *buf, const void *data,
                                 size_t len) {
    if (!buf || (!data && len))
        return KSTREAM_ERR_INVALID_ARG;
    if (ks_buf_append(&buf->b, data, len))
        return KSTREAM_ERR_NO_MEMORY;
    return KSTREAM_OK;
}

void *kstream_buf_reserve(kstream_buf_t *buf, size_t len) {
    void *p;

    if (!buf)
        return NULL;
    /* At least one byte of room, so len 0 still gives a valid pointer. */
    if (ks_buf_reserve(&buf->b, len ? len : 1))
        return NULL;
    p = buf->b.data + buf->b.len;
    buf->b.len += len;
    return p;
}

kstream_bytes_t kstream_buf_bytes(const kstream_buf_t *buf) {
    /* An empty buffer is an empty value, never a Kafka null: data is
     * non-NULL whenever buf is. */
    static const uint8_t empty[1] = {0};
    kstream_bytes_t bytes = {NULL, 0};

    if (!buf)
        return bytes;
    bytes.data = buf->b.data ? (const void *)buf->b.data : (const void *)empty;
    bytes.len = buf->b.len;
    return bytes;
}

void kstream_buf_reset(kstream_buf_t *buf) {
    if (buf)
        buf->b.len = 0;
}
