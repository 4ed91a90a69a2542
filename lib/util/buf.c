/* buf.c - growable byte buffer, on the heap or in an arena. */
#include "util/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KS_BUF_MIN_CAP 64

void ks_buf_init(ks_buf_t *b, ks_arena_t *arena) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->arena = arena;
}

void ks_buf_free(ks_buf_t *b) {
    if (!b->arena)
        free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int ks_buf_reserve(ks_buf_t *b, size_t extra) {
    size_t need, cap;
    uint8_t *d;

    /* No object may exceed PTRDIFF_MAX: refuse before calling malloc. */
    if (extra > (size_t)PTRDIFF_MAX - b->len)
        return -1;
    need = b->len + extra;
    if (need <= b->cap && b->data)
        return 0;
    cap = b->cap ? b->cap : KS_BUF_MIN_CAP;
    while (cap < need) {
        if (cap > (size_t)PTRDIFF_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    if (b->arena) {
        /* The old block is abandoned; the arena reclaims it on reset. */
        d = ks_arena_alloc(b->arena, cap);
        if (!d)
            return -1;
        if (b->len)
            memcpy(d, b->data, b->len);
    } else {
        d = realloc(b->data, cap);
        if (!d)
            return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

int ks_buf_append(ks_buf_t *b, const void *p, size_t len) {
    if (!len)
        return 0;
    if (ks_buf_reserve(b, len))
        return -1;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return 0;
}

int ks_buf_appendf(ks_buf_t *b, const char *fmt, ...) {
    va_list ap;
    int n;
    size_t room;

    /* First try in the room left, then grow to the exact size needed. */
    room = b->data ? b->cap - b->len : 0;
    va_start(ap, fmt);
    n = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < room) {
        b->len += (size_t)n;
        return 0;
    }
    if (ks_buf_reserve(b, (size_t)n + 1))
        return -1;
    va_start(ap, fmt);
    n = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    b->len += (size_t)n;
    return 0;
}

int ks_buf_putc(ks_buf_t *b, char c) {
    return ks_buf_append(b, &c, 1);
}

char *ks_buf_cstr(ks_buf_t *b) {
    if (ks_buf_reserve(b, 1))
        return NULL;
    b->data[b->len] = '\0';
    return (char *)b->data;
}

char *ks_buf_steal(ks_buf_t *b) {
    char *s;

    if (b->arena) {
        /* Arena memory cannot be handed out: give a heap copy. */
        s = malloc(b->len + 1);
        if (!s)
            return NULL;
        if (b->len)
            memcpy(s, b->data, b->len);
        s[b->len] = '\0';
        ks_buf_init(b, b->arena);
        return s;
    }
    if (!ks_buf_cstr(b))
        return NULL;
    s = (char *)b->data;
    ks_buf_init(b, NULL);
    return s;
}
