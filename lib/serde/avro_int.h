/* avro_int.h - internal: the Avro serde's structures, shared by the
 * lib/serde/avro*.c files (the only files that include <avro.h>).
 *
 *  schema    kstream_avro_schema_t: the JSON text, a tree of ks_avro_node_t
 *            parsed from it by avro_schema.c (names, defaults, aliases and
 *            logical types, which Avro-C drops), and Avro-C's parse of the
 *            same text (for generic values), checked to have the same
 *            shape so that field, branch and symbol indexes agree.
 *  resolver  ks_avro_resolver_t: a decoding plan for (writer, reader)
 *            schemas (avro_resolve.c), run by avro_decode.c.
 *  value     kstream_avro_value_t: Avro-C's generic value plus the
 *            reusable memory of the decoder and the last message.
 */
#ifndef KS_AVRO_INT_H
#define KS_AVRO_INT_H

#include <avro.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"
#include "serde/serde.h"

/* Decoding limits: nesting deeper than this (recursive schemas) and more
 * zero-byte items (nulls, empty records) in one message than this are
 * refused as garbage before any memory is taken for them. */
#define KS_AVRO_MAX_DEPTH 128
#define KS_AVRO_MAX_ZERO_ITEMS (1u << 20)
#define KS_AVRO_ERRSIZE 512
/* Entries of a value's decode caches. */
#define KS_AVRO_VALUE_CACHE 4

/* ---- schema nodes --------------------------------------------------------
 * One node per type occurrence; named types are one node referenced from
 * every use (a recursive schema is a cyclic graph). All nodes of a schema
 * are owned by it (kstream_avro_schema_s.nodes) and freed together. */
typedef struct ks_avro_node ks_avro_node_t;

typedef struct ks_avro_field {
    char *name;
    ks_avro_node_t *type;
    json_t *def;     /* the default (a reference), or NULL: none */
    char **aliases;  /* naliases names */
    size_t naliases;
} ks_avro_field_t;

struct ks_avro_node {
    kstream_avro_type_t type;
    char *fullname;   /* named types: "ns.Name"; else NULL */
    char *name;       /* named types: "Name" */
    char **aliases;   /* named types: full names */
    size_t naliases;
    char *logical;    /* logicalType when valid for the type, else NULL */
    int precision;    /* decimal */
    int scale;        /* decimal */
    size_t n;         /* record fields, enum symbols, union branches */
    ks_avro_field_t *fields;   /* record */
    char **symbols;            /* enum */
    int enum_default;          /* enum: index of its default, or -1 */
    ks_avro_node_t **branches; /* union */
    ks_avro_node_t *items;     /* array items, map values */
    int64_t size;              /* fixed */
    bool zero_size;  /* can encode in zero bytes (null, empty record...) */
};

struct ks_avro_resolver;

struct kstream_avro_schema_s {
    atomic_int refs;
    char *json;        /* the text as given */
    json_t *doc;       /* its parse; nodes borrow defaults from it */
    char *norm;        /* the JSON re-serialised (sorted keys, compact) */
    char *canon;       /* Parsing Canonical Form */
    ks_avro_node_t *root;
    ks_vec_t nodes;    /* every node, owned */
    avro_schema_t avro;          /* Avro-C's parse, owned reference */
    avro_value_iface_t *iface;   /* generic class of avro, owned */
    struct ks_avro_resolver *self; /* the identity plan (writer = reader) */
};

/* The node graph of \p doc, its nodes owned by \p s (s->nodes); NULL with
 * a message naming where the schema is wrong. (avro_parse.c) */
ks_avro_node_t *ks_avro_parse_nodes(kstream_avro_schema_t *s, json_t *doc,
                                    char *errstr, size_t errstr_size);
void ks_avro_node_free(ks_avro_node_t *node);
/* Parse; NULL with a message. (avro_schema.c) */
kstream_avro_schema_t *ks_avro_schema_parse(const char *json, char *errstr,
                                            size_t errstr_size);
/* The type name of a node ("string", "ns.Rec"), for messages and branch
 * names. */
const char *ks_avro_node_name(const ks_avro_node_t *node);
/* Apply the JSON default \p def of \p node to \p dest (also used to check
 * a default once, with dest NULL). 0 ok, -1 with a message. */
int ks_avro_default_apply(const ks_avro_node_t *node, const json_t *def,
                          avro_value_t *dest, char *errstr,
                          size_t errstr_size);

/* ---- resolution plans ----------------------------------------------------- */
typedef enum ks_avro_op {
    KS_OP_NULL,
    KS_OP_BOOLEAN,
    KS_OP_INT,
    KS_OP_INT_LONG,
    KS_OP_INT_FLOAT,
    KS_OP_INT_DOUBLE,
    KS_OP_LONG,
    KS_OP_LONG_FLOAT,
    KS_OP_LONG_DOUBLE,
    KS_OP_FLOAT,
    KS_OP_FLOAT_DOUBLE,
    KS_OP_DOUBLE,
    KS_OP_BYTES,
    KS_OP_BYTES_STRING,
    KS_OP_STRING,
    KS_OP_STRING_BYTES,
    KS_OP_FIXED,
    KS_OP_ENUM,
    KS_OP_ARRAY,
    KS_OP_MAP,
    KS_OP_RECORD,
    KS_OP_WUNION,  /* the writer's union: one plan per writer branch */
    KS_OP_RUNION,  /* a writer non-union into one branch of the reader's */
    KS_OP_FAIL     /* no resolution: fails when the data reaches it */
} ks_avro_op_t;

typedef struct ks_avro_plan ks_avro_plan_t;

typedef struct ks_avro_wfield {
    int rindex;            /* reader field index, -1: skip */
    ks_avro_plan_t *plan;  /* NULL when skipped */
} ks_avro_wfield_t;

typedef struct ks_avro_rdefault {
    int rindex;
    const ks_avro_field_t *field; /* the reader's field (with default) */
} ks_avro_rdefault_t;

struct ks_avro_plan {
    ks_avro_op_t op;
    const ks_avro_node_t *w; /* writer node */
    const ks_avro_node_t *r; /* reader node (the reader's union for RUNION) */
    ks_avro_plan_t *items;   /* array / map */
    ks_avro_wfield_t *wfields; /* record: w->n */
    ks_avro_rdefault_t *defaults;
    size_t ndefaults;
    int *enum_map;           /* enum: writer symbol -> reader, -1 */
    int *branch_map;         /* WUNION: writer branch -> reader branch, or
                                -1 when the reader is not a union */
    ks_avro_plan_t **branch_plans; /* WUNION: per writer branch */
    int rbranch;             /* RUNION: the reader's branch */
    ks_avro_plan_t *inner;   /* RUNION: the plan into that branch */
    char *fail;              /* FAIL: why */
};

/* A plan for (writer, reader): owns its plans, holds references to both
 * schemas unless it is a schema's own identity plan. Reference counted. */
typedef struct ks_avro_resolver {
    atomic_int refs;
    kstream_avro_schema_t *writer; /* referenced unless identity */
    kstream_avro_schema_t *reader; /* referenced unless identity */
    bool identity;
    ks_avro_plan_t *root;
    ks_vec_t plans; /* every plan, owned */
} ks_avro_resolver_t;

/* Build the plan to decode \p writer data into \p reader values; NULL with
 * a message on out-of-memory only: mismatches become FAIL plans, which
 * fail the records that reach them. */
ks_avro_resolver_t *ks_avro_resolver_new(kstream_avro_schema_t *writer,
                                         kstream_avro_schema_t *reader,
                                         bool identity, char *errstr,
                                         size_t errstr_size);
ks_avro_resolver_t *ks_avro_resolver_ref(ks_avro_resolver_t *res);
void ks_avro_resolver_unref(ks_avro_resolver_t *res);
/* The resolver for (writer, reader): the reader's identity plan when the
 * two are the same schema, else a new one. */
ks_avro_resolver_t *ks_avro_resolver_get(kstream_avro_schema_t *writer,
                                         kstream_avro_schema_t *reader,
                                         char *errstr, size_t errstr_size);

/* ---- values ---------------------------------------------------------------- */
struct kstream_avro_registry_s;

struct kstream_avro_value_s {
    kstream_avro_schema_t *schema; /* referenced; NULL until adopted */
    bool adaptive;                 /* made without a schema */
    bool has_value;                /* value below is live */
    avro_value_t value;            /* generic value of schema->iface */
    char err[KS_AVRO_ERRSIZE];     /* last message */
    int32_t schema_id;             /* last framed message's id, or -1 */
    ks_buf_t scratch;              /* NUL-terminated string copies */
    /* Decode caches (a few entries: topics mix writer versions during a
     * schema roll-out): writer schema -> plan into this value, and, for
     * the registry the value last decoded through, id -> writer schema.
     * Replaced round-robin. */
    struct {
        kstream_avro_schema_t *writer; /* referenced */
        ks_avro_resolver_t *res;       /* referenced */
    } plans[KS_AVRO_VALUE_CACHE];
    unsigned next_plan;
    struct kstream_avro_registry_s *reg; /* referenced */
    struct {
        int32_t id;
        kstream_avro_schema_t *writer; /* referenced, NULL: free slot */
    } ids[KS_AVRO_VALUE_CACHE];
    unsigned next_id;
};

/* Set v->err (printf style); returns \p err for "return ks_avro_verr(...)". */
kstream_err_t ks_avro_verr(kstream_avro_value_t *v, kstream_err_t err,
                           const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Make \p v a value of \p schema (adaptive values; keeps it when it is
 * already). 0 ok, -1 with v->err set. */
int ks_avro_value_adopt(kstream_avro_value_t *v,
                        kstream_avro_schema_t *schema);
/* Release the value's decode caches. */
void ks_avro_value_forget(kstream_avro_value_t *v);
/* Decode \p data written with \p writer into v (adopting it when v is
 * adaptive), through v's cached plan. */
kstream_err_t ks_avro_value_decode_with(kstream_avro_value_t *v,
                                        kstream_avro_schema_t *writer,
                                        const void *data, size_t len);
/* Decode \p data with \p res into v->value (exact length). */
kstream_err_t ks_avro_decode(kstream_avro_value_t *v,
                             const ks_avro_resolver_t *res, const void *data,
                             size_t len);
/* Encode \p val of \p node into \p out. */
kstream_err_t ks_avro_encode(kstream_avro_value_t *v,
                             const ks_avro_node_t *node,
                             const avro_value_t *val, ks_buf_t *out);
/* Small copies inline (a call to memcpy costs more than the copy for the
 * few bytes of most strings); reads exactly n bytes of src. */
static inline void ks_avro_copy(uint8_t *d, const void *src, size_t n) {
    const uint8_t *s = src;

    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Copy Avro-C's current error text into \p dest (it may be a single
 * static buffer: copy at once). */
void ks_avro_c_error(char *dest, size_t size, const char *what);

/* Decimals (avro_decimal.c): two's complement big-endian <-> text.
 * text: the digits with the scale's '.' into \p out (not NUL-terminated);
 * encode: the bytes for node \p n (bytes: minimal; fixed: its size). */
int ks_avro_decimal_text(const void *data, size_t len, int scale,
                         ks_buf_t *out);
int ks_avro_decimal_encode(const ks_avro_node_t *n, const char *text,
                           ks_buf_t *out, char *errstr, size_t errstr_size);

/* Path resolution (avro_path.c): the value and node at \p path. */
typedef struct ks_avro_at {
    avro_value_t val;
    const ks_avro_node_t *node;
} ks_avro_at_t;
/* Walk \p path (messages name \p fn); \p set selects union branches on
 * the way, appends at arr[size] and adds map keys. A union at the end is
 * not entered. */
kstream_err_t ks_avro_path_walk(kstream_avro_value_t *v, const char *fn,
                                const char *path, bool set,
                                ks_avro_at_t *at);
/* A union at \p at: its current branch (false when it has none). */
bool ks_avro_enter(ks_avro_at_t *at);
/* Walk for reading, entering a final union when \p enter_union. */
kstream_err_t ks_avro_path_get(kstream_avro_value_t *v, const char *path,
                               bool enter_union, ks_avro_at_t *at);

#endif /* KS_AVRO_INT_H */
