/* arena.c - chunked bump allocator, reset after each input record.
 *
 * Allocations are carved from the head chunk, 16-byte aligned. A request
 * larger than the chunk size gets a chunk of its own (linked after the head,
 * so the head keeps serving small requests). On reset, an arena that needed
 * more than one chunk replaces them with a single chunk as large as
 * everything that was used (the high-water mark); the same workload then fits
 * in that one chunk and steady state makes no malloc call. */
#include "util/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KS_ARENA_ALIGN 16
#define KS_ARENA_DEFAULT_CHUNK (64 * 1024)

struct ks_arena_chunk {
    struct ks_arena_chunk *next;
    size_t cap;   /* usable bytes at data */
    size_t used;  /* bytes handed out (multiple of KS_ARENA_ALIGN) */
    uint8_t *data; /* KS_ARENA_ALIGN-aligned, inside this allocation */
};

struct ks_arena {
    struct ks_arena_chunk *head; /* current bump chunk; NULL until first use */
    size_t chunk_size;
    uint64_t mallocs;
};

static size_t align_up(size_t n) {
    return (n + (KS_ARENA_ALIGN - 1)) & ~(size_t)(KS_ARENA_ALIGN - 1);
}

static struct ks_arena_chunk *chunk_new(ks_arena_t *a, size_t cap) {
    size_t total;
    struct ks_arena_chunk *c;
    uintptr_t p;

    if (cap > (size_t)PTRDIFF_MAX - sizeof(*c) - KS_ARENA_ALIGN)
        return NULL;
    total = sizeof(*c) + KS_ARENA_ALIGN + cap;
    c = malloc(total);
    a->mallocs++;
    if (!c)
        return NULL;
    p = (uintptr_t)(c + 1);
    p = (p + (KS_ARENA_ALIGN - 1)) & ~(uintptr_t)(KS_ARENA_ALIGN - 1);
    c->data = (uint8_t *)p;
    c->cap = cap;
    c->used = 0;
    c->next = NULL;
    return c;
}

ks_arena_t *ks_arena_new(size_t chunk_size) {
    ks_arena_t *a = malloc(sizeof(*a));
    if (!a)
        return NULL;
    a->head = NULL;
    a->chunk_size = align_up(chunk_size ? chunk_size : KS_ARENA_DEFAULT_CHUNK);
    a->mallocs = 1;
    return a;
}

static void chunks_free(struct ks_arena_chunk *c) {
    while (c) {
        struct ks_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void ks_arena_destroy(ks_arena_t *a) {
    if (!a)
        return;
    chunks_free(a->head);
    free(a);
}

void *ks_arena_alloc(ks_arena_t *a, size_t len) {
    struct ks_arena_chunk *c;
    size_t need;
    void *p;

    if (len > (size_t)PTRDIFF_MAX - KS_ARENA_ALIGN)
        return NULL;
    /* len 0 still takes one slot, so every result is distinct. */
    need = align_up(len ? len : 1);

    c = a->head;
    if (c && c->cap - c->used >= need) {
        p = c->data + c->used;
        c->used += need;
        return p;
    }

    if (need > a->chunk_size) {
        /* Own chunk, linked after the head: the head keeps its free room. */
        c = chunk_new(a, need);
        if (!c)
            return NULL;
        c->used = need;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            a->head = c;
        }
        return c->data;
    }

    c = chunk_new(a, a->chunk_size);
    if (!c)
        return NULL;
    c->next = a->head;
    a->head = c;
    c->used = need;
    return c->data;
}

void *ks_arena_memdup(ks_arena_t *a, const void *p, size_t len) {
    void *d = ks_arena_alloc(a, len);
    if (d && len)
        memcpy(d, p, len);
    return d;
}

char *ks_arena_strdup(ks_arena_t *a, const char *s) {
    size_t n;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    return ks_arena_memdup(a, s, n);
}

void ks_arena_reset(ks_arena_t *a) {
    struct ks_arena_chunk *c, *one;
    size_t total = 0;

    if (!a->head)
        return;
    if (!a->head->next) {
        a->head->used = 0;
        return;
    }
    /* Several chunks: coalesce into one sized to the high-water mark. */
    for (c = a->head; c; c = c->next) {
        if (total > SIZE_MAX - c->used) {
            total = SIZE_MAX;
            break;
        }
        total += c->used;
    }
    if (total < a->chunk_size)
        total = a->chunk_size;
    one = chunk_new(a, total);
    if (!one) {
        /* Out of memory: keep the old chunks, all empty again. */
        for (c = a->head; c; c = c->next)
            c->used = 0;
        return;
    }
    chunks_free(a->head);
    a->head = one;
}

uint64_t ks_arena_mallocs(const ks_arena_t *a) {
    return a->mallocs;
}
