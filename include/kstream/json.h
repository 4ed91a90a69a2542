/* kstream/json.h - part of the public API: JSON values, the JSON serde and
 * field access by path. Include <kstream.h>, not this file. */
#ifndef KSTREAM_JSON_H
#define KSTREAM_JSON_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/json.h>"
#endif

/**
 * @name JSON
 * JSON values (on jansson), a serde that validates JSON and hands out a
 * value, and helpers that read and set fields by path, so that callbacks
 * need no boilerplate:
 *
 *     int64_t user;
 *     if (kstream_json_get_int64(v, "after.user_id", &user, err, sizeof err))
 *         return KSTREAM_ERR_SERDE;            (err says what was wrong)
 *
 * Paths. A path names a value inside another, step by step:
 *  - a member name: "after", then ".name" for each further member
 *    ("after.user_id");
 *  - an array index in brackets, decimal from 0: "items[2]", "items[2].sku",
 *    "matrix[1][0]"; a path may start with one ("[0].id" in a top-level
 *    array);
 *  - the empty path "" is the value itself;
 *  - in names, '.', '[', ']' and '\' are written "\.", "\[", "\]", "\\"
 *    (the member "a.b" is "a\\.b" in a C literal); names are matched byte
 *    for byte (UTF-8); an empty member name cannot be written;
 *  - at most KSTREAM_JSON_MAX_DEPTH steps; an escaped name at most 255
 *    bytes.
 * A path that breaks these rules gives KSTREAM_ERR_INVALID_ARG.
 *
 * Errors. Every function checks its arguments (KSTREAM_ERR_INVALID_ARG)
 * and, on failure, writes a NUL-terminated message into \p errstr (which
 * may be NULL, with \p errstr_size 0) naming the field and what was wrong,
 * e.g. "field after.total: expected a number, got string". Codes:
 *  - KSTREAM_ERR_SERDE: bad data: invalid, truncated or too deeply nested
 *    JSON, or a value of the wrong type (also when a path steps into a
 *    value that is not an object or array);
 *  - KSTREAM_ERR_NOT_FOUND: the path leads nowhere (a missing member, an
 *    index past the end);
 *  - KSTREAM_ERR_INVALID_ARG: a bad argument or path;
 *  - KSTREAM_ERR_NO_MEMORY.
 *
 * Limits. Input nested deeper than KSTREAM_JSON_MAX_DEPTH arrays/objects
 * is rejected before it is parsed (no recursion on untrusted depth), and
 * setters refuse to build deeper values. Input is read with its explicit
 * length, never assumed to be NUL-terminated. Strings may contain
 * "\u0000": string getters return the length too. Duplicate member names
 * are accepted; the last one wins.
 *
 * Numbers. Integers are 64-bit; a larger integer is a serde error. Reals
 * are doubles and are written back in the shortest form that reads back
 * as the same double ("19.99", not "19.989999999999998").
 *
 * Ownership. Values from kstream_json_parse(), the serde, _new_ and _dup
 * are returned: free them with kstream_json_destroy(). Values and strings
 * read from a value are borrowed from it: valid until it is changed or
 * destroyed. Setters copy what they are given.
 *
 * @locality any thread; a value is used by one thread at a time.
 * @{
 */
typedef struct kstream_json_s kstream_json_t;

/** The deepest nesting of arrays and objects accepted. */
#define KSTREAM_JSON_MAX_DEPTH 64

typedef enum kstream_json_type_e {
    KSTREAM_JSON_NULL = 0,
    KSTREAM_JSON_BOOL = 1,
    KSTREAM_JSON_INTEGER = 2,
    KSTREAM_JSON_REAL = 3,
    KSTREAM_JSON_STRING = 4,
    KSTREAM_JSON_ARRAY = 5,
    KSTREAM_JSON_OBJECT = 6
} kstream_json_type_t;

/**
 * The JSON serde (static, never destroyed; name "json").
 *  - serialize(const kstream_json_t *value): compact JSON (NULL value:
 *    KSTREAM_ERR_INVALID_ARG);
 *  - deserialize(data, len, kstream_json_t **value): validates and parses
 *    any JSON value (returned to the caller); a Kafka null (data NULL)
 *    gives *value NULL and KSTREAM_OK; bad data gives KSTREAM_ERR_SERDE.
 * For the message of a failure, use kstream_json_parse().
 * @locality any thread.
 */
KSTREAM_EXPORT const kstream_serde_t *kstream_serde_json(void);

/**
 * Parse \p len bytes of JSON (any value: object, array, string, number,
 * true, false, null).
 * @param data  borrowed; read up to \p len, not NUL-terminated.
 * @param out   out: the value, returned (kstream_json_destroy()).
 * @returns KSTREAM_OK; KSTREAM_ERR_SERDE for invalid, empty, truncated or
 *          too deeply nested input ("invalid JSON at line 1, column 9
 *          (byte 8): ..."); KSTREAM_ERR_INVALID_ARG when \p data is NULL
 *          or \p out is NULL.
 */
KSTREAM_EXPORT kstream_err_t kstream_json_parse(const void *data, size_t len,
                                                kstream_json_t **out,
                                                char *errstr,
                                                size_t errstr_size);
/**
 * Parse a record's value (or key): kstream_json_parse() with the record's
 * bytes. A Kafka null gives \p *out NULL and KSTREAM_OK (test for it).
 * @param out out: returned (kstream_json_destroy()).
 * @locality stream thread (inside callbacks), or any thread for a record
 *           the caller holds.
 */
KSTREAM_EXPORT kstream_err_t
kstream_json_record_value(const kstream_record_t *rec, kstream_json_t **out,
                          char *errstr, size_t errstr_size);
KSTREAM_EXPORT kstream_err_t
kstream_json_record_key(const kstream_record_t *rec, kstream_json_t **out,
                        char *errstr, size_t errstr_size);

/** @returns a new empty object, returned, or NULL on out-of-memory. */
KSTREAM_EXPORT kstream_json_t *kstream_json_new_object(void);
/** @returns a new empty array, returned, or NULL on out-of-memory. */
KSTREAM_EXPORT kstream_json_t *kstream_json_new_array(void);
/** @returns a deep copy of \p v (returned), or NULL when \p v is NULL or
 *  on out-of-memory. \p v may be borrowed (from kstream_json_get()). */
KSTREAM_EXPORT kstream_json_t *kstream_json_dup(const kstream_json_t *v);
/** Free a value made by parse, the serde, _new_ or _dup. NULL is a no-op.
 *  Never pass a borrowed value (from kstream_json_get()). */
KSTREAM_EXPORT void kstream_json_destroy(kstream_json_t *v);

/** Append \p v as compact JSON (no spaces, members in insertion order) to
 *  \p out. @returns KSTREAM_OK, KSTREAM_ERR_INVALID_ARG,
 *  KSTREAM_ERR_NO_MEMORY. */
KSTREAM_EXPORT kstream_err_t kstream_json_dump(const kstream_json_t *v,
                                               kstream_buf_t *out);
/** @returns true when \p a and \p b are equal JSON values (members in any
 *  order; 1 and 1.0 differ); false when either is NULL. */
KSTREAM_EXPORT bool kstream_json_equal(const kstream_json_t *a,
                                       const kstream_json_t *b);

/* ---- reading ------------------------------------------------------------- */
/**
 * The value at \p path (borrowed from \p v).
 * @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND, KSTREAM_ERR_SERDE (the path
 *          steps into a scalar), KSTREAM_ERR_INVALID_ARG (bad path).
 */
KSTREAM_EXPORT kstream_err_t kstream_json_get(const kstream_json_t *v,
                                              const char *path,
                                              const kstream_json_t **out,
                                              char *errstr,
                                              size_t errstr_size);
/** The type of the value at \p path. Errors as kstream_json_get(). */
KSTREAM_EXPORT kstream_err_t kstream_json_type(const kstream_json_t *v,
                                               const char *path,
                                               kstream_json_type_t *type,
                                               char *errstr,
                                               size_t errstr_size);
/**
 * The string at \p path: \p s borrowed from \p v (NUL-terminated), \p len
 * its length in bytes (may be NULL; the string may hold NUL bytes).
 * @returns KSTREAM_ERR_SERDE when the value is not a string (null
 *          included); else as kstream_json_get().
 */
KSTREAM_EXPORT kstream_err_t kstream_json_get_string(const kstream_json_t *v,
                                                     const char *path,
                                                     const char **s,
                                                     size_t *len,
                                                     char *errstr,
                                                     size_t errstr_size);
/** The integer at \p path. A real with an integral value in range (2.0)
 *  is accepted; another real, or any other type, is KSTREAM_ERR_SERDE. */
KSTREAM_EXPORT kstream_err_t kstream_json_get_int64(const kstream_json_t *v,
                                                    const char *path,
                                                    int64_t *out,
                                                    char *errstr,
                                                    size_t errstr_size);
/** The number (integer or real) at \p path, as a double. */
KSTREAM_EXPORT kstream_err_t kstream_json_get_double(const kstream_json_t *v,
                                                     const char *path,
                                                     double *out,
                                                     char *errstr,
                                                     size_t errstr_size);
/** The boolean at \p path. */
KSTREAM_EXPORT kstream_err_t kstream_json_get_bool(const kstream_json_t *v,
                                                   const char *path, bool *out,
                                                   char *errstr,
                                                   size_t errstr_size);
/**
 * Null check: \p is_null true when the value at \p path is null or absent
 * (a missing member, an index past the end, or a null on the way, as in
 * "after.id" of a delete event whose after is null).
 * @returns KSTREAM_OK; KSTREAM_ERR_SERDE when the path steps into a
 *          string, number or boolean; KSTREAM_ERR_INVALID_ARG.
 */
KSTREAM_EXPORT kstream_err_t kstream_json_is_null(const kstream_json_t *v,
                                                  const char *path,
                                                  bool *is_null, char *errstr,
                                                  size_t errstr_size);
/** The number of elements (array) or members (object) at \p path.
 *  @returns KSTREAM_ERR_SERDE for any other type. */
KSTREAM_EXPORT kstream_err_t kstream_json_size(const kstream_json_t *v,
                                               const char *path, size_t *n,
                                               char *errstr,
                                               size_t errstr_size);

/* ---- building -------------------------------------------------------------- */
/*
 * Setters put a value at \p path in \p v (an object or array), replacing
 * what is there. Missing members on the way are created: as an object,
 * or as an array when the next step is an index; a null on the way is
 * replaced the same way. An index may name an existing element (replaced)
 * or the end of the array (appended); past the end is
 * KSTREAM_ERR_NOT_FOUND. Stepping into a string, number or boolean is
 * KSTREAM_ERR_SERDE. The empty path is KSTREAM_ERR_INVALID_ARG (a value
 * cannot replace itself). On failure \p v may have gained the empty
 * containers created on the way, and nothing else.
 */
/** Set a string (\p s copied, NUL-terminated, valid UTF-8). */
KSTREAM_EXPORT kstream_err_t kstream_json_set_string(kstream_json_t *v,
                                                     const char *path,
                                                     const char *s,
                                                     char *errstr,
                                                     size_t errstr_size);
/** Set a string of \p len bytes (copied; valid UTF-8; may hold NULs). */
KSTREAM_EXPORT kstream_err_t
kstream_json_set_stringn(kstream_json_t *v, const char *path, const void *s,
                         size_t len, char *errstr, size_t errstr_size);
KSTREAM_EXPORT kstream_err_t kstream_json_set_int64(kstream_json_t *v,
                                                    const char *path,
                                                    int64_t i, char *errstr,
                                                    size_t errstr_size);
/** Set a real. NaN and infinities are KSTREAM_ERR_SERDE (not JSON). */
KSTREAM_EXPORT kstream_err_t kstream_json_set_double(kstream_json_t *v,
                                                     const char *path,
                                                     double d, char *errstr,
                                                     size_t errstr_size);
KSTREAM_EXPORT kstream_err_t kstream_json_set_bool(kstream_json_t *v,
                                                   const char *path, bool b,
                                                   char *errstr,
                                                   size_t errstr_size);
KSTREAM_EXPORT kstream_err_t kstream_json_set_null(kstream_json_t *v,
                                                   const char *path,
                                                   char *errstr,
                                                   size_t errstr_size);
/** Set a copy of \p value (deep copy; \p value may be borrowed, even from
 *  \p v itself). @returns KSTREAM_ERR_SERDE when the result would be
 *  nested deeper than KSTREAM_JSON_MAX_DEPTH. */
KSTREAM_EXPORT kstream_err_t kstream_json_set(kstream_json_t *v,
                                              const char *path,
                                              const kstream_json_t *value,
                                              char *errstr,
                                              size_t errstr_size);
/** Remove the member or element at \p path (later elements move down).
 *  @returns KSTREAM_ERR_NOT_FOUND when there is none. */
KSTREAM_EXPORT kstream_err_t kstream_json_remove(kstream_json_t *v,
                                                 const char *path,
                                                 char *errstr,
                                                 size_t errstr_size);
/** @} */

#endif /* KSTREAM_JSON_H */
