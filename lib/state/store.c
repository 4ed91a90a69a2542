/* store.c - helpers over any store layer (Kafka Streams' KeyValueStore
 * default methods): put_if_absent, all, and the byte order every store
 * shares. */
#include "state/store.h"

#include <string.h>

int ks_key_cmp(const void *a, size_t alen, const void *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = 0;

    /* memcmp with a NULL pointer is undefined even for 0 bytes. */
    if (n > 0)
        c = memcmp(a, b, n);
    if (c != 0)
        return c < 0 ? -1 : 1;
    if (alen == blen)
        return 0;
    return alen < blen ? -1 : 1;
}

/* Kafka's putIfAbsent: when the key has a value, *existing is that value
 * (borrowed until the next call on the store; data never NULL) and nothing
 * is written. Otherwise the value is written and *existing is {NULL, 0}.
 * existing may be NULL. */
kstream_err_t ks_store_put_if_absent(ks_store_t *s, const void *key,
                                     size_t klen, const void *value,
                                     size_t vlen, kstream_bytes_t *existing) {
    kstream_bytes_t cur = {NULL, 0};
    kstream_err_t err;

    err = s->ops->get(s, key, klen, &cur);
    if (err == KSTREAM_OK) {
        if (existing)
            *existing = cur;
        return KSTREAM_OK;
    }
    if (err != KSTREAM_ERR_NOT_FOUND)
        return err;
    if (existing) {
        existing->data = NULL;
        existing->len = 0;
    }
    return s->ops->put(s, key, klen, value, vlen);
}

kstream_err_t ks_store_all(ks_store_t *s, ks_iter_t **it) {
    return s->ops->range(s, NULL, 0, NULL, 0, it);
}
