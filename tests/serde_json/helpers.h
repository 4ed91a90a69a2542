/* helpers.h - shared helpers of the JSON serde tests (public API only). */
#ifndef KSTREAM_TESTS_SERDE_JSON_HELPERS_H
#define KSTREAM_TESTS_SERDE_JSON_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "kstream.h"

/* Parse a C string (without its NUL), asserting success. */
static inline kstream_json_t *j_parse(const char *text)
{
    char err[256] = "";
    kstream_json_t *v = NULL;
    kstream_err_t rc = kstream_json_parse(text, strlen(text), &v, err,
                                          sizeof(err));
    cr_assert(eq(int, rc, KSTREAM_OK), "parse of %s: %s: %s", text,
              kstream_err2name(rc), err);
    cr_assert(v != NULL);
    return v;
}

/* Compact JSON of v as a malloc'd C string. */
static inline char *j_dump(const kstream_json_t *v)
{
    kstream_buf_t *buf = kstream_buf_new();
    cr_assert(buf != NULL);
    cr_assert(eq(int, kstream_json_dump(v, buf), KSTREAM_OK));
    kstream_bytes_t b = kstream_buf_bytes(buf);
    char *s = malloc(b.len + 1);
    cr_assert(s != NULL);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    kstream_buf_destroy(buf);
    return s;
}

/* Assert that v dumps to exactly want. */
static inline void j_expect_dump(const kstream_json_t *v, const char *want)
{
    char *got = j_dump(v);
    cr_assert(eq(str, got, (char *)want));
    free(got);
}

/* Parse text and assert it dumps to want (want NULL: to text itself). */
static inline void j_round_trip(const char *text, const char *want)
{
    kstream_json_t *v = j_parse(text);
    j_expect_dump(v, want ? want : text);
    kstream_json_destroy(v);
}

/* Assert that parsing text (len bytes) fails with a serde error whose
 * message contains each of the NULL-terminated needles. */
static inline void j_parse_fails(const void *text, size_t len,
                                 const char *needle)
{
    char err[256] = "";
    kstream_json_t *v = (kstream_json_t *)0x1;
    kstream_err_t rc = kstream_json_parse(text, len, &v, err, sizeof(err));
    cr_assert(eq(int, rc, KSTREAM_ERR_SERDE), "got %s for %.*s",
              kstream_err2name(rc), (int)len, (const char *)text);
    cr_assert(v == NULL, "out must be NULL on failure");
    cr_assert(err[0] != '\0', "no message");
    if (needle)
        cr_assert(strstr(err, needle) != NULL, "'%s' not in: %s", needle,
                  err);
}

#endif
