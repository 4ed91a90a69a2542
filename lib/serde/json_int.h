/* json_int.h - internal: the JSON values behind kstream_json_t, paths,
 * messages, parsing with a depth limit and the compact writer. Only
 * lib/serde/json*.c and cdc*.c include <jansson.h>. */
#ifndef KS_JSON_INT_H
#define KS_JSON_INT_H

#include <jansson.h>

#include "serde/serde.h"

/* A kstream_json_t is a jansson json_t: the handle is the pointer, so
 * borrowed values (kstream_json_get()) cost nothing. */
static inline json_t *ks_json(kstream_json_t *v)
{
    return (json_t *)v;
}
static inline const json_t *ks_cjson(const kstream_json_t *v)
{
    return (const json_t *)v;
}
static inline kstream_json_t *ks_jv(json_t *j)
{
    return (kstream_json_t *)j;
}

/* Write a message into errstr (may be NULL) and return err. */
kstream_err_t ks_json_err(char *errstr, size_t errstr_size, kstream_err_t err,
                          const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "object", "array", "string", "integer", "real", "boolean", "null". */
const char *ks_json_type_name(const json_t *j);

/* Parse len bytes (any JSON value, NULs allowed in strings), refusing
 * nesting deeper than KSTREAM_JSON_MAX_DEPTH before jansson sees it. */
kstream_err_t ks_json_parse(const void *data, size_t len, json_t **out,
                            char *errstr, size_t errstr_size);
/* Nesting depth of containers: 0 for a scalar, 1 for [] or {}. Stops
 * counting once past limit (then returns some value above limit). */
size_t ks_json_depth(const json_t *j, size_t limit);
/* Append j as compact JSON. 0, or -1 on out-of-memory. */
int ks_json_write(const json_t *j, ks_buf_t *out);

/* ---- paths (json_path.c) ---------------------------------------------- */
#define KS_JSON_NAME_MAX 256

/* One step of a path: a member name or an array index. */
typedef struct ks_json_step {
    bool is_index;
    size_t index;
    const char *name; /* into the path, or into buf when escaped */
    size_t name_len;
    size_t start; /* offsets in the path: the step's first byte ('[' or */
    size_t end;   /* the name's), and the byte after it (for messages) */
    char buf[KS_JSON_NAME_MAX];
} ks_json_step_t;

/* Read the step at *pos of path. 1: *step filled and *pos moved past it;
 * 0: end of path; -1: bad syntax (message in errstr). */
int ks_json_step_next(const char *path, size_t *pos, ks_json_step_t *step,
                      char *errstr, size_t errstr_size);

/* Check path's syntax; *nsteps: its number of steps (at most
 * KSTREAM_JSON_MAX_DEPTH, else KSTREAM_ERR_INVALID_ARG). */
kstream_err_t ks_json_path_steps(const char *path, size_t *nsteps,
                                 char *errstr, size_t errstr_size);

/* The value at path. lenient: a missing member, an index past the end or
 * a null on the way give KSTREAM_OK with *out NULL (the null check);
 * otherwise they are KSTREAM_ERR_NOT_FOUND / KSTREAM_ERR_SERDE. */
kstream_err_t ks_json_lookup(const json_t *root, const char *path,
                             bool lenient, const json_t **out, char *errstr,
                             size_t errstr_size);

/* Walk to the container holding the last step of path. create: missing
 * members (and nulls) on the way become objects, or arrays before an
 * index; an index equal to an array's size appends. steps is scratch for
 * two steps; *last points at the last one. *nsteps: steps in the path.
 * Errors: KSTREAM_ERR_INVALID_ARG (bad or empty path), _NOT_FOUND,
 * _SERDE (stepping into a scalar), _NO_MEMORY. */
kstream_err_t ks_json_walk_parent(json_t *root, const char *path, bool create,
                                  ks_json_step_t steps[2],
                                  ks_json_step_t **last, json_t **parent,
                                  size_t *nsteps, char *errstr,
                                  size_t errstr_size);

#endif /* KS_JSON_INT_H */
