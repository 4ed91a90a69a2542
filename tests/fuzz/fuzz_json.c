/* fuzz_json.c - libFuzzer target for the JSON serde: any bytes are parsed
 * (never read past the input: the buffer libFuzzer gives is exactly
 * `size` bytes); what parses must dump, parse back to an equal value and
 * dump to the same text again; the bytes are also tried as a path on a
 * fixed document (get, is_null, set, remove). Any crash, sanitizer
 * report, leak or broken invariant is a finding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
        abort();
    }
}

static void round_trip(const uint8_t *data, size_t size)
{
    char err[256];
    kstream_json_t *v = NULL;
    kstream_err_t rc = kstream_json_parse(data, size, &v, err, sizeof(err));
    if (rc != KSTREAM_OK) {
        check(v == NULL, "a failed parse returns NULL");
        check(rc == KSTREAM_ERR_SERDE || rc == KSTREAM_ERR_NO_MEMORY,
              "parse errors are serde errors");
        check(err[0] != '\0', "parse errors have a message");
        return;
    }
    kstream_buf_t *once = kstream_buf_new(), *twice = kstream_buf_new();
    check(kstream_json_dump(v, once) == KSTREAM_OK, "dump");
    kstream_bytes_t b1 = kstream_buf_bytes(once);
    kstream_json_t *w = NULL;
    rc = kstream_json_parse(b1.data, b1.len, &w, err, sizeof(err));
    if (rc != KSTREAM_OK)
        fprintf(stderr, "reparse of %.*s: %s\n", (int)b1.len,
                (const char *)b1.data, err);
    check(rc == KSTREAM_OK, "what was parsed parses again once dumped");
    check(kstream_json_equal(v, w), "the round trip keeps the value");
    check(kstream_json_dump(w, twice) == KSTREAM_OK, "dump again");
    kstream_bytes_t b2 = kstream_buf_bytes(twice);
    check(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0,
          "dumping is stable");
    /* Typed reads of the whole value never crash. */
    const char *s;
    size_t n;
    int64_t i;
    double d;
    bool flag;
    kstream_json_get_string(v, "", &s, &n, err, sizeof(err));
    kstream_json_get_int64(v, "", &i, err, sizeof(err));
    kstream_json_get_double(v, "", &d, err, sizeof(err));
    kstream_json_get_bool(v, "", &flag, err, sizeof(err));
    kstream_json_size(v, "", &n, err, sizeof(err));
    kstream_json_is_null(v, "after.id", &flag, err, sizeof(err));
    kstream_json_get_int64(v, "[0]", &i, err, sizeof(err));
    kstream_buf_destroy(once);
    kstream_buf_destroy(twice);
    kstream_json_destroy(w);
    kstream_json_destroy(v);
}

static kstream_json_t *doc;

static void as_path(const uint8_t *data, size_t size)
{
    char path[512], err[256];
    size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
    memcpy(path, data, n);
    path[n] = '\0'; /* a path is a C string: it ends at the first NUL */
    if (!doc) {
        const char *text = "{\"after\":{\"id\":1,\"items\":[{\"sku\":\"A\"},"
                           "[1,[2]]],\"a.b\":{\"c[0]\":null}},\"op\":\"c\"}";
        if (kstream_json_parse(text, strlen(text), &doc, err, sizeof(err)))
            abort();
    }
    const kstream_json_t *sub;
    bool is_null;
    kstream_json_get(doc, path, &sub, err, sizeof(err));
    kstream_json_is_null(doc, path, &is_null, err, sizeof(err));
    kstream_json_t *copy = kstream_json_dup(doc);
    check(copy != NULL, "dup");
    if (kstream_json_set_int64(copy, path, 7, err, sizeof(err)) ==
        KSTREAM_OK) {
        int64_t i = 0;
        check(kstream_json_get_int64(copy, path, &i, err, sizeof(err)) ==
                      KSTREAM_OK &&
                      i == 7,
              "a value set at a path reads back there");
        check(kstream_json_remove(copy, path, err, sizeof(err)) ==
                      KSTREAM_OK,
              "a value set at a path can be removed");
    }
    /* Everything built stays within the depth limit: it parses back. */
    kstream_buf_t *buf = kstream_buf_new();
    check(kstream_json_dump(copy, buf) == KSTREAM_OK, "dump copy");
    kstream_bytes_t b = kstream_buf_bytes(buf);
    kstream_json_t *back = NULL;
    check(kstream_json_parse(b.data, b.len, &back, err, sizeof(err)) ==
                  KSTREAM_OK,
          "built values parse back");
    kstream_json_destroy(back);
    kstream_buf_destroy(buf);
    kstream_json_destroy(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!data)
        return 0; /* (an empty input may come without a buffer) */
    round_trip(data, size);
    as_path(data, size);
    return 0;
}
