/* cdc_int.h - internal: CDC formats (the object behind kstream_cdc_format_t)
 * and decoded change events. A format turns the bytes of one event into
 * the envelope as a JSON object; cdc_event.c checks the envelope and
 * writes what the table or the change stream needs, the same way for
 * every format. The DSL operators (lib/dsl/cdc.c) run it per record. */
#ifndef KS_CDC_INT_H
#define KS_CDC_INT_H

#include "serde/json_int.h"

typedef struct ks_cdc_ops {
    const char *name;
    /* The {"schema":...,"payload":...} wrapper may surround the envelope. */
    bool wrapper;
    /* Per-task decoding state, used by one thread at a time (NULL:
     * none needed). */
    kstream_err_t (*state_new)(const kstream_cdc_format_t *fmt, void **state,
                               char *errstr, size_t errstr_size);
    void (*state_free)(void *state);
    /* Decode data (non-NULL, len bytes) into the envelope (returned:
     * json_decref()). Bad input: KSTREAM_ERR_SERDE with a message. */
    kstream_err_t (*decode)(const kstream_cdc_format_t *fmt, void *state,
                            const void *data, size_t len, json_t **envelope,
                            char *errstr, size_t errstr_size);
    /* Free the format's own data (impl); NULL: nothing to free. */
    void (*free_impl)(void *impl);
} ks_cdc_ops_t;

/* Formats are immutable after creation; refs counts the caller's handle
 * and each operator's reference (atomic: topologies may be destroyed on
 * any thread). A static format has refs 0 and is never freed. */
struct kstream_cdc_format_s {
    const ks_cdc_ops_t *ops;
    int refs;
    bool is_static;
    void *impl;
};

/* Take / release a reference (no-ops for static formats). */
kstream_cdc_format_t *ks_cdc_format_ref(const kstream_cdc_format_t *fmt);
void ks_cdc_format_unref(kstream_cdc_format_t *fmt);

/* One decoded event. op: 'c', 'r', 'u' or 'd', or 0 for a tombstone. The
 * parts are borrowed from root (NULL when absent). */
typedef struct ks_cdc_event {
    char op;
    json_t *root; /* owned: ks_cdc_event_clear() */
    const json_t *before, *after, *ts_ms, *source;
} ks_cdc_event_t;

/* Decode one event (data NULL: a tombstone) with fmt and its per-task
 * state (NULL when the format needs none, or for a one-off decode with a
 * temporary state). On failure ev is cleared. */
kstream_err_t ks_cdc_decode(const kstream_cdc_format_t *fmt, void *state,
                            const void *data, size_t len, ks_cdc_event_t *ev,
                            char *errstr, size_t errstr_size);
void ks_cdc_event_clear(ks_cdc_event_t *ev);

/* The Avro value v (decoded) as plain JSON (cdc_avro_json.c): *out
 * returned. KSTREAM_ERR_SERDE with a message naming the field. */
kstream_err_t ks_cdc_avro_to_json(kstream_avro_value_t *v, json_t **out,
                                  char *errstr, size_t errstr_size);

/* The table value of ev: after as compact JSON (*tombstone false), or
 * *tombstone true for a delete or a tombstone. 0, or -1 on oom. */
int ks_cdc_write_after(const ks_cdc_event_t *ev, ks_buf_t *out,
                       bool *tombstone);
/* The normalized change {"op","before","after","ts_ms","source"} as
 * compact JSON, or *tombstone true for a tombstone. 0, or -1 on oom. */
int ks_cdc_write_change(const ks_cdc_event_t *ev, ks_buf_t *out,
                        bool *tombstone);
/* The normalized change as a new object (NULL on oom); ev not a
 * tombstone. */
json_t *ks_cdc_change_json(const ks_cdc_event_t *ev);

#endif /* KS_CDC_INT_H */
