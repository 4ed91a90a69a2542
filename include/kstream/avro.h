/* kstream/avro.h - part of the public API: Avro schemas and values (on
 * Avro-C), the Confluent wire format, a schema registry client and the Avro
 * serde. Include <kstream.h>, not this file. */
#ifndef KSTREAM_AVRO_H
#define KSTREAM_AVRO_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/avro.h>"
#endif

/**
 * @name Avro
 * Avro values with Confluent's schema registry, so that C services read
 * what Java and Python services write and the other way round.
 *
 *  - kstream_avro_schema_t: a schema parsed from its JSON text (named
 *    types, namespaces, recursion, defaults, aliases and logical types are
 *    kept). Immutable and reference counted: any thread.
 *  - kstream_avro_value_t: a generic value of a schema, wrapping an Avro-C
 *    generic avro_value_t (kstream_avro_value_avro() gives it to code that
 *    includes <avro.h>). Fields are read and set by path (below). A value
 *    is used by one thread at a time; it also holds the decoder's
 *    reusable memory and caches, so a value reused from record to record
 *    decodes without allocating in the steady state (except where Avro-C's
 *    generic arrays re-create their elements: an array that shrinks, and
 *    map entries).
 *  - kstream_avro_conf_t: registry and serde settings, Confluent's names.
 *  - kstream_avro_registry_t: the schema registry client (HTTP, or
 *    "mock://" in memory) with its caches. Any thread.
 *  - kstream_avro_serde_new(): a kstream_serde_t in the Confluent wire
 *    format: serialize takes a kstream_avro_value_t *, deserialize fills
 *    one.
 *
 * Wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id
 * (big-endian), then the Avro binary encoding of the value, and nothing
 * after it.
 *
 * Decoding resolves the writer's schema into the value's schema (schema
 * evolution, Avro's resolution rules): fields the reader lacks are
 * skipped, fields the writer lacks take the reader's default, int/long/
 * float promote to long/float/double, string and bytes convert, enum
 * symbols and union branches match by name. A value made without a schema
 * takes the writer's schema. Every length and count in the input is checked
 * against the bytes left before anything is allocated; truncated, garbage
 * or over-long input gives KSTREAM_ERR_SERDE with a message naming the
 * field and the offset, never an out-of-bounds read.
 *
 * Errors. Functions that work on a value (decode, encode, paths) return a
 * kstream_err_t and leave their message in the value, read with
 * kstream_avro_value_error(): a value belongs to one thread, and the
 * kstream_serde_t interface has no error buffer. Constructors, the
 * configuration and the registry calls, which may be shared by threads,
 * write their message into the caller's \p errstr (NULL, or size 0, is
 * allowed).
 *
 * Paths. Value helpers take a path from the value to a field: field names
 * separated by dots ("source.ts_ms"), array elements by index and map
 * entries by key in brackets ("items[0].sku", "attrs[color]"; a key runs to
 * the next ']'). NULL or "" is the value itself. A union on the way is
 * entered through its current branch (reading a field under a null branch
 * gives KSTREAM_ERR_SERDE "... is null"); when setting, the branch the
 * rest of the path needs is selected (the current one when it fits, else
 * the first that does). A union at the end of a path is entered the same
 * way by the typed getters and setters (set_string on ["null","string"]
 * selects "string"); kstream_avro_value_get_branch() and
 * kstream_avro_value_set_branch() work on the union itself. Setting
 * "arr[N]" with N the array's size appends; setting "map[key]" adds the
 * key. Unknown fields, keys and indexes give KSTREAM_ERR_NOT_FOUND; a value
 * of another type KSTREAM_ERR_SERDE (the numeric accessors convert where no
 * precision is lost: int <-> long when it fits, float <-> double, int/long
 * read as double).
 * @{
 */
typedef struct kstream_avro_schema_s kstream_avro_schema_t;
typedef struct kstream_avro_value_s kstream_avro_value_t;
typedef struct kstream_avro_conf_s kstream_avro_conf_t;
typedef struct kstream_avro_registry_s kstream_avro_registry_t;

/* Avro-C's types, for kstream_avro_schema_avro() / kstream_avro_value_avro()
 * (avro_schema_t is struct avro_obj_t *, avro_value_t is struct
 * avro_value). Include <avro.h> to use them. */
struct avro_obj_t;
struct avro_value;

/** The Avro types (logical types are annotations on these). */
typedef enum kstream_avro_type_e {
    KSTREAM_AVRO_NULL = 0,
    KSTREAM_AVRO_BOOLEAN = 1,
    KSTREAM_AVRO_INT = 2,
    KSTREAM_AVRO_LONG = 3,
    KSTREAM_AVRO_FLOAT = 4,
    KSTREAM_AVRO_DOUBLE = 5,
    KSTREAM_AVRO_BYTES = 6,
    KSTREAM_AVRO_STRING = 7,
    KSTREAM_AVRO_FIXED = 8,
    KSTREAM_AVRO_ENUM = 9,
    KSTREAM_AVRO_ARRAY = 10,
    KSTREAM_AVRO_MAP = 11,
    KSTREAM_AVRO_RECORD = 12,
    KSTREAM_AVRO_UNION = 13
} kstream_avro_type_t;

/** The Confluent wire format's magic byte and header size. */
#define KSTREAM_AVRO_MAGIC 0
#define KSTREAM_AVRO_HEADER_SIZE 5

/* ---- schemas ------------------------------------------------------------ */

/**
 * Parse a schema from its JSON text (Avro specification 1.11).
 * @param json NUL-terminated, copied.
 * @returns the schema (returned: release with kstream_avro_schema_destroy()),
 *          or NULL with a message naming what is wrong in \p errstr.
 * @locality any thread.
 */
KSTREAM_EXPORT kstream_avro_schema_t *
kstream_avro_schema_new(const char *json, char *errstr, size_t errstr_size);
/** Take another reference to \p schema (returned: release it with
 *  kstream_avro_schema_destroy()). @returns \p schema (NULL for NULL).
 *  @locality any thread. */
KSTREAM_EXPORT kstream_avro_schema_t *
kstream_avro_schema_ref(const kstream_avro_schema_t *schema);
/** Release a reference; the last one frees the schema. NULL is a no-op.
 *  @locality any thread. */
KSTREAM_EXPORT void kstream_avro_schema_destroy(kstream_avro_schema_t *schema);
/** @returns the JSON text as given (borrowed for the schema's life), or
 *  NULL for NULL. */
KSTREAM_EXPORT const char *
kstream_avro_schema_json(const kstream_avro_schema_t *schema);
/** @returns the full name of a named schema ("ns.OrderPlaced"), else the
 *  type's name ("string", "array", "union"); borrowed; NULL for NULL. */
KSTREAM_EXPORT const char *
kstream_avro_schema_name(const kstream_avro_schema_t *schema);
/** @returns the schema's type (KSTREAM_AVRO_NULL for NULL). */
KSTREAM_EXPORT kstream_avro_type_t
kstream_avro_schema_type(const kstream_avro_schema_t *schema);
/** @returns true when both parse to the same schema (Avro's Parsing
 *  Canonical Form: names, types, order; docs and defaults aside). */
KSTREAM_EXPORT bool kstream_avro_schema_equal(const kstream_avro_schema_t *a,
                                              const kstream_avro_schema_t *b);
/** @returns Avro-C's avro_schema_t for \p schema (borrowed for the schema's
 *  life; take your own reference with avro_schema_incref()), or NULL. */
KSTREAM_EXPORT struct avro_obj_t *
kstream_avro_schema_avro(const kstream_avro_schema_t *schema);

/* ---- values ------------------------------------------------------------- */

/**
 * Create a value of \p schema, every field zero / empty and every union
 * without a branch (set the fields before encoding).
 * @param schema referenced (the caller keeps its own reference); NULL makes
 *               a value that takes the writer's schema at each decode.
 * @returns the value (returned: free with kstream_avro_value_destroy()), or
 *          NULL with a message in \p errstr.
 * @locality any thread; the value is then used by one thread at a time.
 */
KSTREAM_EXPORT kstream_avro_value_t *
kstream_avro_value_new(const kstream_avro_schema_t *schema, char *errstr,
                       size_t errstr_size);
/** Free \p v. NULL is a no-op. */
KSTREAM_EXPORT void kstream_avro_value_destroy(kstream_avro_value_t *v);
/** Make every field zero / empty again; a union keeps its branch, reset
 *  (Avro-C's avro_value_reset()). Decoding does not need it: it
 *  overwrites.
 *  @returns KSTREAM_OK, KSTREAM_ERR_INVALID_ARG. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_reset(kstream_avro_value_t *v);
/** @returns the value's schema (borrowed until the value is destroyed or,
 *  for a value made without a schema, decoded again), or NULL before the
 *  first decode of such a value. */
KSTREAM_EXPORT const kstream_avro_schema_t *
kstream_avro_value_schema(const kstream_avro_value_t *v);
/** @returns the Avro-C generic value (borrowed, same lifetime as the
 *  schema above) for use with Avro-C's API, or NULL when there is none
 *  yet. Do not change its schema or free it. */
KSTREAM_EXPORT struct avro_value *
kstream_avro_value_avro(kstream_avro_value_t *v);
/** @returns the message of the last failed call on \p v ("" after a
 *  success), borrowed until the next call on \p v; "" for NULL. */
KSTREAM_EXPORT const char *
kstream_avro_value_error(const kstream_avro_value_t *v);
/** @returns the schema id of the Confluent message last decoded into or
 *  encoded from \p v through the registry, or -1. */
KSTREAM_EXPORT int32_t
kstream_avro_value_schema_id(const kstream_avro_value_t *v);

/**
 * Decode the Avro binary encoding of a value (no framing) written with
 * \p writer_schema into \p v, resolving it into v's schema (or taking
 * \p writer_schema when \p v has none). Needs no registry.
 * @param data borrowed; exactly one value, no trailing byte.
 * @returns KSTREAM_OK, KSTREAM_ERR_SERDE (bad input, or schemas that do
 *          not resolve; \p v is then valid but its content unspecified),
 *          KSTREAM_ERR_INVALID_ARG; the message in
 *          kstream_avro_value_error().
 */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_decode(
        kstream_avro_value_t *v, const kstream_avro_schema_t *writer_schema,
        const void *data, size_t len);
/** Append the Avro binary encoding (no framing) of \p v, or of the part at
 *  \p path (a union at the end of a path: its current branch), to \p out;
 *  nothing is appended on failure. @returns KSTREAM_OK, KSTREAM_ERR_SERDE
 *  (e.g. a union without a branch), KSTREAM_ERR_NOT_FOUND,
 *  KSTREAM_ERR_INVALID_ARG. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_encode(
        kstream_avro_value_t *v, const char *path, kstream_buf_t *out);
/** Append Avro's JSON encoding of \p v, or of the part at \p path (as
 *  above), on one line (Avro-C's avro_value_to_json()), to \p out (no
 *  NUL). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_to_json(
        kstream_avro_value_t *v, const char *path, kstream_buf_t *out);

/** The type at \p path (a union at the end: its current branch's type; a
 *  union without a branch: KSTREAM_AVRO_UNION). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_type(kstream_avro_value_t *v,
                                                     const char *path,
                                                     kstream_avro_type_t *type);
/** The logical type at \p path ("decimal", "uuid", "date", "time-millis",
 *  "time-micros", "timestamp-millis", "timestamp-micros", ... as the schema
 *  says; borrowed for the schema's life), or NULL in \p *name when none. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_logical_type(
        kstream_avro_value_t *v, const char *path, const char **name);
/** \p *is_null: the value at \p path is null (type null, or a union on
 *  its null branch or with no branch). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_is_null(
        kstream_avro_value_t *v, const char *path, bool *is_null);
/** \p *n: the number of elements of an array or map, or fields of a
 *  record, at \p path. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_size(kstream_avro_value_t *v,
                                                     const char *path,
                                                     size_t *n);
/** \p *name: the name of field \p idx of a record, or the key of entry
 *  \p idx of a map, at \p path (borrowed until \p v changes). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_key_at(
        kstream_avro_value_t *v, const char *path, size_t idx,
        const char **name);

/* Typed getters. Each returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND (no such
 * field, key or index), KSTREAM_ERR_SERDE (another type, or null: the
 * message says which) or KSTREAM_ERR_INVALID_ARG (NULL \p v or output, bad
 * path). Strings and bytes are borrowed until \p v changes. */

/** A boolean into \p *out. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_boolean(
        kstream_avro_value_t *v, const char *path, bool *out);
/** An int, or a long that fits 32 bits, into \p *out. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_int(
        kstream_avro_value_t *v, const char *path, int32_t *out);
/** A long or an int into \p *out. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_long(
        kstream_avro_value_t *v, const char *path, int64_t *out);
/** A float, or a double rounded to float, into \p *out. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_float(
        kstream_avro_value_t *v, const char *path, float *out);
/** A double, float, long or int into \p *out. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_double(
        kstream_avro_value_t *v, const char *path, double *out);
/** A string: \p *str is NUL-terminated (borrowed); \p len (may be NULL)
 *  gets its length without the NUL. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_string(
        kstream_avro_value_t *v, const char *path, const char **str,
        size_t *len);
/** The content of a bytes or fixed (borrowed; \p len may be NULL). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_bytes(
        kstream_avro_value_t *v, const char *path, const void **data,
        size_t *len);
/** The enum's symbol (borrowed for the schema's life). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_enum(
        kstream_avro_value_t *v, const char *path, const char **symbol);
/** A decimal (logical type on bytes or fixed) as text, "-12.340" for
 *  unscaled -12340 with scale 3, into \p dest (NUL-terminated).
 *  @param dest_size in: size of \p dest; out: size needed with the NUL.
 *  @returns KSTREAM_ERR_TOO_LARGE when \p dest is too small. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_decimal(
        kstream_avro_value_t *v, const char *path, char *dest,
        size_t *dest_size);
/** The union at \p path: \p *index its current branch (-1: none) and
 *  \p *type_name (may be NULL) the branch's full name or type name
 *  ("null", "string", "ns.Item"), NULL when none. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_get_branch(
        kstream_avro_value_t *v, const char *path, int *index,
        const char **type_name);

/* Setters. Values are copied. Each returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND,
 * KSTREAM_ERR_SERDE (another type, out of range: the message says which)
 * or KSTREAM_ERR_INVALID_ARG (NULL \p v or value, bad path). A union at the
 * end of the path gets the branch the value fits. A setter that fails may
 * have selected union branches or appended elements on its way. */

/** Null (a null type, or a union's null branch). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_null(
        kstream_avro_value_t *v, const char *path);
/** A boolean. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_boolean(
        kstream_avro_value_t *v, const char *path, bool val);
/** An int (or a long). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_int(
        kstream_avro_value_t *v, const char *path, int32_t val);
/** A long (or an int, when \p val fits 32 bits). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_long(
        kstream_avro_value_t *v, const char *path, int64_t val);
/** A float (or a double). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_float(
        kstream_avro_value_t *v, const char *path, float val);
/** A double (or a float, rounded). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_double(
        kstream_avro_value_t *v, const char *path, double val);
/** A string; \p str NUL-terminated. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_string(
        kstream_avro_value_t *v, const char *path, const char *str);
/** A bytes, or a fixed (then \p len must be the fixed size); \p data may
 *  be NULL when \p len is 0. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_bytes(
        kstream_avro_value_t *v, const char *path, const void *data,
        size_t len);
/** An enum, by \p symbol. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_enum(
        kstream_avro_value_t *v, const char *path, const char *symbol);
/** A decimal from text ("-12.34", "1e3" not accepted): at most the
 *  schema's scale of fraction digits (fewer are padded), within its
 *  precision (and the fixed size). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_decimal(
        kstream_avro_value_t *v, const char *path, const char *text);
/** Select branch \p index of the union at \p path (its content is reset
 *  when the branch changes). */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_set_branch(
        kstream_avro_value_t *v, const char *path, int index);
/** Append a zero / empty element to the array at \p path; \p index (may
 *  be NULL) gets its index, for paths such as "items[3].sku". */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_append(
        kstream_avro_value_t *v, const char *path, size_t *index);
/** Empty the array or map at \p path. */
KSTREAM_EXPORT kstream_err_t kstream_avro_value_clear(kstream_avro_value_t *v,
                                                      const char *path);

/* ---- the Confluent wire format -------------------------------------------- */

/**
 * Check the framing of a Confluent message (magic byte, id, body).
 * @param schema_id out: the schema id.
 * @param body      out: the Avro body (borrowed from \p data; may be empty).
 * @returns KSTREAM_OK, or KSTREAM_ERR_SERDE (a Kafka null, fewer than 5
 *          bytes, another magic byte) with the reason in \p errstr;
 *          KSTREAM_ERR_INVALID_ARG. @locality any thread.
 */
KSTREAM_EXPORT kstream_err_t kstream_avro_frame_parse(
        const void *data, size_t len, int32_t *schema_id,
        kstream_bytes_t *body, char *errstr, size_t errstr_size);
/** Append the 5-byte header for \p schema_id (>= 0) to \p out.
 *  @locality any thread. */
KSTREAM_EXPORT kstream_err_t kstream_avro_frame_write(kstream_buf_t *out,
                                                      int32_t schema_id);

/* ---- configuration ------------------------------------------------------ */

/**
 * Registry and serde settings, Confluent's names (docs/serde.md lists every
 * key with its default):
 *  - schema.registry.url: "http://host:port" or https, a comma-separated
 *    list (tried in turn), or "mock://NAME" for a registry in memory.
 *  - basic.auth.credentials.source (USER_INFO or URL), basic.auth.user.info
 *    ("user:password").
 *  - schema.registry.ssl.ca.location, .certificate.location,
 *    .key.location, .key.password, .endpoint.identification.algorithm.
 *  - schema.registry.request.timeout.ms, .connect.timeout.ms,
 *    .max.retries, .retry.backoff.ms, .retry.backoff.max.ms,
 *    missing.id.cache.ttl.ms.
 *  - auto.register.schemas, use.latest.version, key.subject.name.strategy,
 *    value.subject.name.strategy (TopicNameStrategy, RecordNameStrategy,
 *    TopicRecordNameStrategy, or Confluent's Java class names
 *    io.confluent.kafka.serializers.subject.*).
 * @{
 */
/** @returns a configuration with every default, or NULL on out-of-memory.
 *  @locality any thread. */
KSTREAM_EXPORT kstream_avro_conf_t *kstream_avro_conf_new(void);
/** @returns a deep copy, or NULL for NULL. */
KSTREAM_EXPORT kstream_avro_conf_t *
kstream_avro_conf_dup(const kstream_avro_conf_t *conf);
/** Free \p conf. NULL is a no-op. */
KSTREAM_EXPORT void kstream_avro_conf_destroy(kstream_avro_conf_t *conf);
/**
 * Set a property (\p name and \p value copied).
 * @returns KSTREAM_CONF_OK, KSTREAM_CONF_INVALID (bad value, or a NULL
 *          argument) or KSTREAM_CONF_UNKNOWN, with a message in \p errstr.
 * @locality one thread at a time per \p conf.
 */
KSTREAM_EXPORT kstream_conf_res_t kstream_avro_conf_set(
        kstream_avro_conf_t *conf, const char *name, const char *value,
        char *errstr, size_t errstr_size);
/** Read a property as text (its default when never set), as
 *  kstream_conf_get(). @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND (unknown
 *  name), KSTREAM_ERR_TOO_LARGE, KSTREAM_ERR_INVALID_ARG. */
KSTREAM_EXPORT kstream_err_t kstream_avro_conf_get(
        const kstream_avro_conf_t *conf, const char *name, char *dest,
        size_t *dest_size);
/** @} */

/* ---- the schema registry client ------------------------------------------ */

/**
 * Create a registry client. The registry is asked once per schema id and
 * once per (subject, schema); answers are cached for the client's life
 * (an unknown id for missing.id.cache.ttl.ms). Connection failures, time-
 * outs and 5xx answers are retried with exponential backoff, then
 * reported.
 * @param conf copied; needs schema.registry.url.
 * @returns the client (returned: free with kstream_avro_registry_destroy()),
 *          or NULL with a message in \p errstr. @locality any thread; the
 *          client may be shared by any number of threads.
 */
KSTREAM_EXPORT kstream_avro_registry_t *
kstream_avro_registry_new(const kstream_avro_conf_t *conf, char *errstr,
                          size_t errstr_size);
/** Release the client; serdes made from it, and values that decoded
 *  through it, keep it alive until they are destroyed. NULL is a no-op. */
KSTREAM_EXPORT void kstream_avro_registry_destroy(kstream_avro_registry_t *reg);
/**
 * Register \p schema under \p subject (POST /subjects/{subject}/versions);
 * registering it again gives the same id.
 * @param id out: the schema's id.
 * @returns KSTREAM_OK; KSTREAM_ERR_SERDE (refused, e.g. 409 incompatible or
 *          401, or unreachable after the retries) with the registry's URL
 *          and message in \p errstr; KSTREAM_ERR_INVALID_ARG.
 */
KSTREAM_EXPORT kstream_err_t kstream_avro_registry_register(
        kstream_avro_registry_t *reg, const char *subject,
        const kstream_avro_schema_t *schema, int32_t *id, char *errstr,
        size_t errstr_size);
/** Find the id of \p schema under \p subject without registering it (POST
 *  /subjects/{subject}). @returns as above, KSTREAM_ERR_NOT_FOUND when the
 *  subject or the schema is not registered. */
KSTREAM_EXPORT kstream_err_t kstream_avro_registry_lookup(
        kstream_avro_registry_t *reg, const char *subject,
        const kstream_avro_schema_t *schema, int32_t *id, char *errstr,
        size_t errstr_size);
/** The schema with id \p id (GET /schemas/ids/{id}).
 *  @param schema out, returned: release with kstream_avro_schema_destroy().
 *  @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND (40403), KSTREAM_ERR_SERDE,
 *           KSTREAM_ERR_INVALID_ARG. */
KSTREAM_EXPORT kstream_err_t kstream_avro_registry_schema_by_id(
        kstream_avro_registry_t *reg, int32_t id,
        kstream_avro_schema_t **schema, char *errstr, size_t errstr_size);
/** The latest version of \p subject (GET /subjects/{subject}/versions/
 *  latest; not cached: it changes). \p id, \p version and \p schema
 *  (returned, release it) may each be NULL. @returns as above. */
KSTREAM_EXPORT kstream_err_t kstream_avro_registry_latest(
        kstream_avro_registry_t *reg, const char *subject, int32_t *id,
        int32_t *version, kstream_avro_schema_t **schema, char *errstr,
        size_t errstr_size);
/** Decode a Confluent message (framing checked, writer schema by id,
 *  resolved into v's schema) into \p v, without a serde.
 *  @returns as kstream_avro_value_decode(); the message in \p v. */
KSTREAM_EXPORT kstream_err_t kstream_avro_registry_decode(
        kstream_avro_registry_t *reg, const void *data, size_t len,
        kstream_avro_value_t *v);

/* ---- the serde -------------------------------------------------------- */

/**
 * An Avro serde in the Confluent wire format, for kstream_serde_serialize()
 * (value: kstream_avro_value_t *; its schema is registered, looked up, or
 * replaced by the subject's latest version as auto.register.schemas and
 * use.latest.version say, under the subject the strategy names) and
 * kstream_serde_deserialize() (value: kstream_avro_value_t * to fill; a
 * Kafka null gives KSTREAM_ERR_SERDE). Failures leave their message in the
 * value. Every failure, registry outages included, is KSTREAM_ERR_SERDE.
 * @param reg   referenced: the serde keeps the client alive.
 * @param conf  serde settings (auto.register.schemas, use.latest.version,
 *              the strategies), copied; NULL: the client's.
 * @param topic the topic, for the subject name (may be NULL with
 *              RecordNameStrategy); copied.
 * @param is_key key serde (key.subject.name.strategy, "<topic>-key") or
 *              value serde.
 * @returns the serde (returned: free with kstream_serde_destroy()), or NULL
 *          with a message in \p errstr. @locality any thread; the serde may
 *          be used by any number of threads, each with its own values.
 */
KSTREAM_EXPORT kstream_serde_t *kstream_avro_serde_new(
        kstream_avro_registry_t *reg, const kstream_avro_conf_t *conf,
        const char *topic, bool is_key, char *errstr, size_t errstr_size);
/** @} */

#endif /* KSTREAM_AVRO_H */
