/* util.h - small containers and helpers shared by every layer: arena,
 * growable buffer, Kafka's murmur2, a string-keyed hash map, a pointer
 * vector. Depends on nothing but libc. Out-of-memory is reported by return
 * values (NULL / -1), never by aborting. */
#ifndef KS_UTIL_H
#define KS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- arena: bump allocator reset after each input record ------------- */
/* Chunks are kept across resets, so steady-state use does not call malloc:
 * after a reset the arena keeps its largest chunk(s) and reuses them. */
typedef struct ks_arena ks_arena_t;

ks_arena_t *ks_arena_new(size_t chunk_size); /* 0: 64 KiB */
void ks_arena_destroy(ks_arena_t *a);
/* 16-byte aligned; NULL on out-of-memory. len 0 gives a valid pointer. */
void *ks_arena_alloc(ks_arena_t *a, size_t len);
void *ks_arena_memdup(ks_arena_t *a, const void *p, size_t len);
char *ks_arena_strdup(ks_arena_t *a, const char *s);
/* Forget every allocation; keep memory for reuse. */
void ks_arena_reset(ks_arena_t *a);
/* Number of malloc calls the arena made since creation (for tests/bench). */
uint64_t ks_arena_mallocs(const ks_arena_t *a);

/* ---- buf: growable byte buffer ---------------------------------------- */
/* Public kstream_buf_t is this struct (see lib/serde). When `arena` is set,
 * growth takes memory from the arena instead of malloc (engine-owned
 * buffers inside callbacks). */
typedef struct ks_buf {
    uint8_t *data;
    size_t len, cap;
    ks_arena_t *arena; /* NULL: heap */
} ks_buf_t;

void ks_buf_init(ks_buf_t *b, ks_arena_t *arena);
void ks_buf_free(ks_buf_t *b); /* heap buffers only; arena: no-op */
int ks_buf_reserve(ks_buf_t *b, size_t extra); /* 0 ok, -1 oom */
int ks_buf_append(ks_buf_t *b, const void *p, size_t len);
int ks_buf_appendf(ks_buf_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int ks_buf_putc(ks_buf_t *b, char c);
/* NUL-terminate (not counted in len); returns data or NULL on oom. */
char *ks_buf_cstr(ks_buf_t *b);
/* Hand the data to the caller (to free()), NUL-terminated, leaving b empty;
 * an arena buffer gives a heap copy. NULL on oom. */
char *ks_buf_steal(ks_buf_t *b);

/* ---- hashing ------------------------------------------------------------ */
/* Kafka's murmur2 (the Java client's Utils.murmur2, seed 0x9747b28c). */
int32_t ks_murmur2(const void *data, size_t len);
/* Kafka's default partition for a key: (murmur2(key) & 0x7fffffff) % n.
 * n <= 0 gives -1. */
int32_t ks_partition_for_key(const void *key, size_t len, int32_t n);
/* FNV-1a 64, for hash tables. */
uint64_t ks_hash_bytes(const void *data, size_t len);

/* a[0..n) == b[0..n), inline for the short keys of hash lookups (a memcmp
 * call costs more than comparing 16 bytes). */
static inline bool ks_bytes_eq(const void *a, const void *b, size_t n) {
    const uint8_t *p = a, *q = b;
    uint64_t x, y;

    while (n >= 8) {
        memcpy(&x, p, 8);
        memcpy(&y, q, 8);
        if (x != y)
            return false;
        p += 8;
        q += 8;
        n -= 8;
    }
    while (n > 0) {
        if (*p++ != *q++)
            return false;
        n--;
    }
    return true;
}

/* ---- map: string (or byte) key -> void* (open addressing) -------------- */
typedef struct ks_map ks_map_t;
ks_map_t *ks_map_new(void);
/* Does not free values; keys are copied and freed by the map. */
void ks_map_destroy(ks_map_t *m);
int ks_map_put(ks_map_t *m, const char *key, void *val); /* 0 ok, -1 oom */
void *ks_map_get(const ks_map_t *m, const char *key);    /* NULL: absent */
int ks_map_del(ks_map_t *m, const char *key);           /* 0 ok, -1 absent */
size_t ks_map_count(const ks_map_t *m);
/* Iterate: *it starts at 0; returns false at the end. Order unspecified.
 * Deleting the key just returned is allowed during iteration; puts are not.
 * key / val may be NULL. */
bool ks_map_next(const ks_map_t *m, size_t *it, const char **key, void **val);

/* ---- vec: growable array of pointers ----------------------------------- */
typedef struct ks_vec {
    void **items;
    size_t len, cap;
} ks_vec_t;
#define KS_VEC_INIT {NULL, 0, 0}
int ks_vec_push(ks_vec_t *v, void *item); /* 0 ok, -1 oom */
void ks_vec_free(ks_vec_t *v);            /* frees the array, not items */

/* ---- strings ------------------------------------------------------------ */
char *ks_strdup(const char *s); /* NULL-safe: NULL gives NULL */
/* Current monotonic and wall-clock time in ms. */
int64_t ks_clock_mono_ms(void);
int64_t ks_clock_wall_ms(void);

/* Give the heap's free pages back to the system (release.c) if the last
 * time, in this process, was KS_RELEASE_INTERVAL_MS or more before now_ms
 * (a monotonic clock); @returns whether it did. */
#define KS_RELEASE_INTERVAL_MS 100
bool ks_memory_release(int64_t now_ms);

#endif /* KS_UTIL_H */
