/* kstream/processor.h - part of the public API: the processor API.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_PROCESSOR_H
#define KSTREAM_PROCESSOR_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/processor.h>"
#endif

/**
 * @name Processor API
 * A user processor is three callbacks run per task (a task is one partition
 * of a sub-topology): init (optional), process, close (optional). The
 * context forwards records, gives times and metadata, and schedules
 * punctuators. All of it runs on the stream thread that owns the task.
 * @{
 */
typedef struct kstream_ctx_s kstream_ctx_t;

typedef struct kstream_processor_s {
    /** Make the per-task state. Optional: without it, state is opaque. */
    kstream_err_t (*init)(kstream_ctx_t *ctx, void *opaque, void **state);
    /** Process one record (required). */
    kstream_err_t (*process)(kstream_ctx_t *ctx, const kstream_record_t *rec,
                             void *state);
    /** Free the per-task state. Optional. */
    void (*close)(kstream_ctx_t *ctx, void *state);
} kstream_processor_t;

typedef enum kstream_punctuation_type_e {
    /** Fires as stream time (the largest record timestamp the task has
     *  seen) passes each multiple of the interval, at most once per
     *  record, after the record is processed. */
    KSTREAM_PUNCTUATE_STREAM_TIME = 0,
    /** Fires every interval of wall-clock time, from when scheduled. */
    KSTREAM_PUNCTUATE_WALL_CLOCK = 1
} kstream_punctuation_type_t;

/** \p timestamp is the stream time or the wall-clock time that fired it. */
typedef kstream_err_t(kstream_punctuator_cb)(kstream_ctx_t *ctx,
                                             int64_t timestamp, void *opaque);

/** Run \p proc on each record. \p proc copied. \p stores: names of stores
 *  the processor uses (copied; none before the state issue's stores). */
KSTREAM_EXPORT kstream_stream_t *
kstream_stream_process(kstream_stream_t *s, const kstream_processor_t *proc,
                       void *opaque, kstream_free_cb *opaque_free,
                       const char *const *stores, size_t nstores,
                       const char *name);

/** Forward \p rec to every child. \p rec may be the input record or one
 *  made by kstream_ctx_record_new(). */
KSTREAM_EXPORT kstream_err_t kstream_ctx_forward(kstream_ctx_t *ctx,
                                                 const kstream_record_t *rec);
/** Forward \p rec to the child called \p child only.
 *  @returns KSTREAM_ERR_UNKNOWN_NAME when it is not a child. */
KSTREAM_EXPORT kstream_err_t kstream_ctx_forward_to(kstream_ctx_t *ctx,
                                                    const kstream_record_t *rec,
                                                    const char *child);
/** A new engine-owned record: a copy of \p from, or when \p from is NULL
 *  a record with NULL key and value, no headers and the current record's
 *  timestamp (in a punctuator: the punctuation time). Valid until the
 *  current process or punctuate call returns. */
KSTREAM_EXPORT kstream_record_t *
kstream_ctx_record_new(kstream_ctx_t *ctx, const kstream_record_t *from);
/** Fail the current record (or, in a punctuator, the punctuation) with a
 *  message, as kstream_fail() does for DSL callbacks: return
 *  kstream_ctx_fail(ctx, KSTREAM_ERR_USER, "amount %d < 0", n) from
 *  process() or a punctuator. The message goes to
 *  "processing.exception.handler" (log, fail message, the dead-letter
 *  header __kstream.error.message). @returns \p err;
 *  KSTREAM_ERR_INVALID_ARG for a NULL \p ctx or \p fmt, or \p err
 *  KSTREAM_OK. */
KSTREAM_EXPORT kstream_err_t kstream_ctx_fail(kstream_ctx_t *ctx,
                                              kstream_err_t err,
                                              const char *fmt, ...);
/** @returns the task's stream time (-1 before its first record). */
KSTREAM_EXPORT int64_t kstream_ctx_stream_time(const kstream_ctx_t *ctx);
/** @returns the wall-clock time in ms (virtual in the test driver), read
 *  when the current batch of records began: a stream thread reads the
 *  clock once per processing pass and every 256 records, not per
 *  record. */
KSTREAM_EXPORT int64_t kstream_ctx_wall_clock(const kstream_ctx_t *ctx);
/** @returns the task's partition. */
KSTREAM_EXPORT int32_t kstream_ctx_partition(const kstream_ctx_t *ctx);
/** @returns the task's sub-topology number. */
KSTREAM_EXPORT int kstream_ctx_subtopology(const kstream_ctx_t *ctx);
/** @returns the application.id. */
KSTREAM_EXPORT const char *kstream_ctx_application_id(const kstream_ctx_t *ctx);
/** @returns this processor's node name. */
KSTREAM_EXPORT const char *kstream_ctx_node_name(const kstream_ctx_t *ctx);
/** Schedule \p cb every \p interval_ms (> 0). Stream-time punctuators are
 *  aligned to 0; wall-clock ones start one interval from now.
 *  @param id out: a handle for kstream_ctx_cancel() (may be NULL). */
KSTREAM_EXPORT kstream_err_t
kstream_ctx_schedule(kstream_ctx_t *ctx, int64_t interval_ms,
                     kstream_punctuation_type_t type, kstream_punctuator_cb *cb,
                     void *opaque, uint64_t *id);
/** Cancel a punctuator. @returns KSTREAM_ERR_NOT_FOUND for an unknown id. */
KSTREAM_EXPORT kstream_err_t kstream_ctx_cancel(kstream_ctx_t *ctx,
                                                uint64_t id);
/** @} */

#endif /* KSTREAM_PROCESSOR_H */
