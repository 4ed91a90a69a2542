/* kstream/cdc.h - part of the public API: tables and change streams fed by
 * change-data-capture topics (Debezium-style envelopes).
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_CDC_H
#define KSTREAM_CDC_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/cdc.h>"
#endif

/**
 * @name Change data capture
 * A CDC topic carries one change event per row change, keyed by the row's
 * primary key, in Debezium's envelope:
 *
 *     {"before": {...} | null, "after": {...} | null,
 *      "op": "c" | "r" | "u" | "d", "ts_ms": 1700000000000,
 *      "source": {...}}
 *
 * as JSON (bare, or inside Kafka Connect's {"schema": ..., "payload": ...}
 * wrapper) or as Avro in the Confluent framing. A CDC table applies the
 * events: "c" (create), "r" (read: a snapshot row) and "u" (update) upsert
 * "after" under the record key; "d" (delete) and tombstones (a null
 * value, which Debezium writes after each delete for compaction) remove
 * the key. The record key is kept as it is.
 *
 * Bad events are serde errors (KSTREAM_ERR_SERDE) whose message names what
 * is wrong: a value that is not an envelope, no "op", an unknown op (also
 * Debezium's "t" truncate and "m" message events), "after" missing or
 * null for c/r/u, invalid or truncated JSON. Inside a topology the record
 * then goes to "processing.exception.handler" (the decoding step is a
 * processor): fail stops the app with the message, continue logs it and
 * counts the record ("records-dropped"), dlq writes the original record to
 * the dead-letter topic with headers naming the error. Either way the
 * record is counted ("process-errors"); it is never applied half-way.
 *
 * A format is a value: the JSON format is static; formats that hold
 * resources are reference-counted, so operators keep their own reference
 * and the caller may destroy its handle after passing it.
 * @{
 */
typedef struct kstream_cdc_format_s kstream_cdc_format_t;

/** The JSON format: the envelope as JSON, with or without the
 *  {"schema":...,"payload":...} wrapper (a wrapper whose payload is null is
 *  a tombstone). Static, never destroyed. "after" is kept as JSON: table
 *  values are its compact JSON text. @locality any thread. */
KSTREAM_EXPORT const kstream_cdc_format_t *kstream_cdc_format_json(void);
/**
 * The Avro format: Confluent-framed Avro envelopes (Debezium with
 * Confluent's AvroConverter), each writer schema fetched from \p reg by
 * the id in the framing, once, and cached. The envelope's parts become
 * JSON as Kafka Connect's JsonConverter writes them without schemas:
 * records as objects, unions as their branch's value (null for the null
 * branch), enums as their symbol, decimals as their text ("12.50"), other
 * bytes and fixed as base64 text. So table values and changes read the
 * same as with the JSON format, and the JSON helpers read them.
 * Framing, registry and Avro errors (bad magic byte, unknown schema id,
 * truncated or garbage bodies) are serde errors with the Avro message.
 * @param reg referenced: the format keeps the client alive; the caller
 *            may destroy its own handle.
 * @returns the format (returned: kstream_cdc_format_destroy(); operators
 *          keep their own reference), or NULL with a message in \p errstr.
 * @locality any thread; the format may be used by any number of threads.
 */
KSTREAM_EXPORT kstream_cdc_format_t *
kstream_cdc_format_avro(kstream_avro_registry_t *reg, char *errstr,
                        size_t errstr_size);
/** Release the caller's reference to \p fmt. NULL and the static formats
 *  are no-ops. */
KSTREAM_EXPORT void kstream_cdc_format_destroy(kstream_cdc_format_t *fmt);
/** @returns the format's name ("json", "avro"), or NULL for NULL. */
KSTREAM_EXPORT const char *
kstream_cdc_format_name(const kstream_cdc_format_t *fmt);

/**
 * A table of the change events of \p topic (a source named
 * "<name>-source", a decoding step "<name>-cdc-decode" and a table
 * materialized in the store \p name, with its changelog and cache like any
 * table: Kafka Streams' builder.table() of the unwrapped rows).
 * @param fmt  the events' format (copied: kstream keeps a reference).
 * @param name required; names the store and its changelog.
 * @returns the table (owned by the builder), or NULL with the error
 *          recorded in the builder.
 */
KSTREAM_EXPORT kstream_table_t *
kstream_builder_cdc_table(kstream_builder_t *b, const char *topic,
                          const kstream_cdc_format_t *fmt, const char *name);
/** As kstream_builder_cdc_table(), from a stream of change events (for
 *  example to also take kstream_stream_cdc_changes() of the same topic).
 *  The key is not changed, so no repartition is added unless an operator
 *  upstream changed the key. */
KSTREAM_EXPORT kstream_table_t *
kstream_stream_cdc_table(kstream_stream_t *s, const kstream_cdc_format_t *fmt,
                         const char *name);
/**
 * The change events of \p s as a stream of normalized changes: for each
 * event, a record with the same key, timestamp and headers whose value is
 * the compact JSON object
 *
 *     {"op":"u","before":{...}|null,"after":{...}|null,
 *      "ts_ms":<integer>|null,"source":{...}|null}
 *
 * (the envelope without any wrapper, whatever the format). Tombstones
 * stay tombstones. Read it with the JSON helpers ("op", "before.total").
 * \p name NULL: a generated name.
 */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_cdc_changes(kstream_stream_t *s, const kstream_cdc_format_t *fmt,
                           const char *name);

/**
 * Decode one event outside a topology, as the operators do.
 * @param data  borrowed, \p len bytes; NULL (a tombstone) gives \p *change
 *              NULL and KSTREAM_OK.
 * @param change out: the normalized change described at
 *               kstream_stream_cdc_changes(), returned
 *               (kstream_json_destroy()).
 * @returns KSTREAM_OK, KSTREAM_ERR_SERDE with a message, or
 *          KSTREAM_ERR_INVALID_ARG.
 * @locality any thread.
 */
KSTREAM_EXPORT kstream_err_t
kstream_cdc_decode(const kstream_cdc_format_t *fmt, const void *data,
                   size_t len, kstream_json_t **change, char *errstr,
                   size_t errstr_size);
/** @} */

#endif /* KSTREAM_CDC_H */
