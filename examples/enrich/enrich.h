/* enrich.h - the enrich example's reusable part: the topology, its
 * configuration, a deterministic input generator and the model of the
 * expected output (see examples/enrich/README.md).
 *
 *   events.user (Avro, schema registry)  cdc.orders (Debezium JSON)
 *        |                                     |
 *   validate-events (bad -> events.dlq)    CDC table "orders"
 *        |                                     |
 *   dedup-events (event_id, 10 min)        group by user_id (cancelled rows
 *        |                                 count nothing) -> aggregate
 *        |                                 "user-order-stats" (adder and
 *        |                                 subtractor: count, total cents)
 *        '------------ left join ---------------'
 *                          |
 *                    events.enriched (JSON)
 *
 * Every function checks its arguments and reports errors with a message;
 * nothing here prints. */
#ifndef ENRICH_H
#define ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kstream.h"

/* The contract's defaults. */
#define ENRICH_EVENTS_TOPIC "events.user"
#define ENRICH_ORDERS_TOPIC "cdc.orders"
#define ENRICH_OUTPUT_TOPIC "events.enriched"
#define ENRICH_DLQ_TOPIC "events.dlq"
#define ENRICH_REGISTRY_URL "mock://kstream-examples"
#define ENRICH_DEDUP_WINDOW_MS (10 * 60 * 1000)
#define ENRICH_VIP_CENTS 100000
/* The longest event_id and user_id accepted, in bytes. */
#define ENRICH_ID_MAX 128
/* The subject the generator registers UserEvent under (TopicNameStrategy). */
#define ENRICH_EVENTS_SUBJECT "events.user-value"

/* Names of the topology's stores and operators (for queries and tests). */
#define ENRICH_ORDERS_STORE "orders"
#define ENRICH_STATS_STORE "user-order-stats"
#define ENRICH_DEDUP_STORE "dedup-events"
#define ENRICH_VALIDATE_NODE "validate-events"
#define ENRICH_REGROUP_NAME "orders-by-user"

/* The Avro schema of events.user (UserEvent). */
extern const char *const enrich_user_event_schema;

typedef struct enrich_opts {
    const char *events_topic; /* ENRICH_EVENTS_TOPIC */
    const char *orders_topic; /* ENRICH_ORDERS_TOPIC */
    const char *output_topic; /* ENRICH_OUTPUT_TOPIC */
    const char *dlq_topic;    /* ENRICH_DLQ_TOPIC (enrich_conf_set) */
    int64_t dedup_window_ms;  /* ENRICH_DEDUP_WINDOW_MS, > 0 */
    int64_t vip_cents;        /* ENRICH_VIP_CENTS, > 0 */
    /* Required: the schema registry client that decodes events.user (with
     * "mock://..." it must be the client the producer registered with: a
     * mock registry is private to its client). Borrowed by
     * enrich_topology(): the topology keeps it alive itself. */
    kstream_avro_registry_t *registry;
    /* Optional: called on the stream thread for each enriched record just
     * before it is written (progress and samples in main.c). It must be
     * thread-safe when num.stream.threads > 1; a non-OK return fails the
     * record. */
    kstream_foreach_cb *on_output;
    void *on_output_opaque;
} enrich_opts_t;

/* Fill \p o with the defaults (registry NULL, no on_output). */
void enrich_opts_init(enrich_opts_t *o);

/* Build the topology. @returns it, or NULL with a message in \p errstr. */
kstream_topology_t *enrich_topology(const enrich_opts_t *o, char *errstr,
                                    size_t errstr_size);

/* Set what the topology needs in \p conf: both record error handlers to
 * dlq with o->dlq_topic, and the record cache off (each order change
 * reaches the statistics before the next record: the model's rule).
 * @returns KSTREAM_OK or KSTREAM_ERR_CONF with a message. */
kstream_err_t enrich_conf_set(kstream_conf_t *conf, const enrich_opts_t *o,
                              char *errstr, size_t errstr_size);

/* ---- values ------------------------------------------------------------- */

/* A user event (strings borrowed). */
typedef struct enrich_event {
    const char *event_id;
    const char *user_id;
    const char *type; /* "view", "click", "purchase", "refund" */
    int64_t amount;   /* cents */
    int64_t ts;       /* ms */
} enrich_event_t;

/* Per-user order statistics. */
typedef struct enrich_stats {
    int64_t order_count;
    int64_t total_cents;
} enrich_stats_t;

/* The segment of \p s: "new", "vip" or "regular". */
const char *enrich_segment(const enrich_stats_t *s, int64_t vip_cents);

/* Append the events.enriched value of \p ev with \p s (compact JSON, the
 * contract's field order) to \p out. */
kstream_err_t enrich_format_output(const enrich_event_t *ev,
                                   const enrich_stats_t *s, int64_t vip_cents,
                                   kstream_buf_t *out);

/* Read the 16-byte value of the statistics store (count, cents; both
 * 8-byte big-endian). @returns KSTREAM_ERR_SERDE for another size. */
kstream_err_t enrich_stats_decode(const void *data, size_t len,
                                  enrich_stats_t *s);

/* Append a Confluent-framed UserEvent (schema id \p schema_id) to \p out.
 * \p v is a value of enrich_user_event_schema, reused by the caller. */
kstream_err_t enrich_event_encode(kstream_avro_value_t *v, int32_t schema_id,
                                  const enrich_event_t *ev,
                                  kstream_buf_t *out);

/* A Debezium JSON change event of the orders table, with the
 * {"schema":...,"payload":...} wrapper: the key {"order_id":N} into
 * \p key, and the envelope with op \p op ('c', 'r', 'u' or 'd') into
 * \p value (\p before / \p after NULL: null). */
typedef struct enrich_order {
    int64_t order_id;
    const char *user_id;
    const char *status; /* "pending", "paid", "shipped", "cancelled" */
    int64_t total_cents; /* written as the double total_cents / 100 */
} enrich_order_t;
kstream_err_t enrich_order_key(int64_t order_id, kstream_buf_t *key);
kstream_err_t enrich_order_change(char op, const enrich_order_t *before,
                                  const enrich_order_t *after, int64_t ts_ms,
                                  kstream_buf_t *value);

/* ---- the generator ------------------------------------------------------ */

/* What a generated record is (the generator's knowledge, for the model). */
typedef enum enrich_kind {
    ENRICH_EVENT = 0,     /* a valid event (maybe a repeat of an event_id) */
    ENRICH_EVENT_INVALID, /* an event the topology must dead-letter */
    ENRICH_ORDER_UPSERT,  /* op c, r or u: .order is the row after */
    ENRICH_ORDER_DELETE,  /* op d: .order holds the order_id */
    ENRICH_ORDER_TOMBSTONE, /* the null value Debezium writes after a d */
    ENRICH_ORDER_INVALID  /* a change event that is not one (dead-lettered) */
} enrich_kind_t;

typedef struct enrich_gen_record {
    const char *topic;
    const void *key; /* NULL: a null key */
    size_t key_len;
    const void *value; /* NULL: a tombstone */
    size_t value_len;
    int64_t timestamp;
    enrich_kind_t kind;
    enrich_event_t event; /* ENRICH_EVENT */
    enrich_order_t order; /* ENRICH_ORDER_UPSERT, _DELETE, _TOMBSTONE */
    /* How it came about: "new", "late", "retry" (a re-send of an event,
     * same time), "replay" (the same event_id later), "snapshot",
     * "create", "update", "move" (the order changes user), "cancel",
     * "delete", "tombstone", "missing-field", "bad-type", "bad-value",
     * "garbage", "unknown-schema", "bad-cdc". */
    const char *note;
} enrich_gen_record_t;

/* Called for each record, in order; everything in \p rec is borrowed for
 * the call. A non-zero return stops the generator (which returns it). */
typedef int(enrich_emit_cb)(const enrich_gen_record_t *rec, void *opaque);

/* Generate \p n records (events.user and cdc.orders interleaved, times
 * increasing from 1700000000000 but for late and retried events, each
 * at most 2 minutes behind), the same for the same \p seed. Registers
 * UserEvent (and, for invalid events, two broken versions of it) with
 * \p reg. @returns 0, what \p emit returned, or -1 with a message. */
int enrich_generate(kstream_avro_registry_t *reg, uint64_t seed, size_t n,
                    enrich_emit_cb *emit, void *opaque, char *errstr,
                    size_t errstr_size);

/* ---- the model ------------------------------------------------------------- */

/* An expected output record (bytes owned by the model). */
typedef struct enrich_expected {
    char *key;
    size_t key_len;
    char *value; /* NULL: a null value */
    size_t value_len;
    int64_t timestamp;
    bool null_key;
} enrich_expected_t;

typedef struct enrich_model enrich_model_t;

/* A model with \p o's dedup window and VIP threshold (NULL: defaults). */
enrich_model_t *enrich_model_new(const enrich_opts_t *o);
void enrich_model_destroy(enrich_model_t *m);
/* Feed a generated record, in the order the topology processes them.
 * @returns 0, or -1 on out-of-memory or a bad record. */
int enrich_model_add(enrich_model_t *m, const enrich_gen_record_t *rec);
/* The expected events.enriched and events.dlq records, in order. */
size_t enrich_model_output_count(const enrich_model_t *m);
const enrich_expected_t *enrich_model_output(const enrich_model_t *m,
                                             size_t i);
size_t enrich_model_dlq_count(const enrich_model_t *m);
const enrich_expected_t *enrich_model_dlq(const enrich_model_t *m, size_t i);
/* How many valid events were dropped as duplicates. */
size_t enrich_model_duplicates(const enrich_model_t *m);

#endif /* ENRICH_H */
