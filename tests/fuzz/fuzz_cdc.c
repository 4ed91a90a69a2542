/* fuzz_cdc.c - libFuzzer target for the CDC envelope decoder (the JSON
 * format, as the table and change-stream steps run it): any bytes either
 * decode to an event whose table value and normalized change are valid
 * JSON, or fail with a serde error and a message. The first input byte
 * picks the format when there is more than one; the rest is the value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/cdc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_cdc: invariant broken: %s\n", what);
        abort();
    }
}

/* out must hold one valid JSON object. */
static void valid_object(const ks_buf_t *out)
{
    char err[256];
    kstream_json_t *v = NULL;
    check(kstream_json_parse(out->data, out->len, &v, err, sizeof(err)) ==
                  KSTREAM_OK,
          "written values parse");
    kstream_json_type_t t;
    check(kstream_json_type(v, "", &t, NULL, 0) == KSTREAM_OK &&
                  t == KSTREAM_JSON_OBJECT,
          "written values are objects");
    kstream_json_destroy(v);
}

static void run(const kstream_cdc_format_t *fmt, const uint8_t *data,
                size_t size)
{
    char err[256] = "";
    ks_cdc_event_t ev;
    kstream_err_t rc = ks_cdc_decode(fmt, NULL, data, size, &ev, err,
                                     sizeof(err));
    if (rc != KSTREAM_OK) {
        check(rc == KSTREAM_ERR_SERDE || rc == KSTREAM_ERR_NO_MEMORY,
              "bad events are serde errors");
        check(err[0] != '\0', "bad events have a message");
        check(ev.root == NULL, "a failed decode holds nothing");
    } else {
        /* op 0: a tombstone written as {"schema":...,"payload":null}. */
        check(ev.op == 0 || ev.op == 'c' || ev.op == 'r' || ev.op == 'u' ||
                      ev.op == 'd',
              "decoded events have a known op");
        check(ev.op == 0 || ev.op == 'd' || ev.after != NULL,
              "c/r/u events have after");
        ks_buf_t out;
        bool tombstone = false;
        ks_buf_init(&out, NULL);
        check(ks_cdc_write_after(&ev, &out, &tombstone) == 0, "after");
        check(tombstone == (ev.op == 'd' || ev.op == 0),
              "only deletes and tombstones remove keys");
        if (!tombstone)
            valid_object(&out);
        out.len = 0;
        check(ks_cdc_write_change(&ev, &out, &tombstone) == 0, "change");
        check(tombstone == (ev.op == 0), "only tombstones stay tombstones");
        if (!tombstone)
            valid_object(&out);
        ks_buf_free(&out);
        ks_cdc_event_clear(&ev);
    }
    /* The public decode agrees. */
    kstream_json_t *change = NULL;
    kstream_err_t rc2 = kstream_cdc_decode(fmt, data, size, &change, err,
                                           sizeof(err));
    check(rc == rc2, "kstream_cdc_decode agrees with the operators");
    kstream_json_destroy(change);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!data)
        return 0; /* NULL would be a tombstone; fuzz bytes only */
    run(kstream_cdc_format_json(), data, size);
    return 0;
}
