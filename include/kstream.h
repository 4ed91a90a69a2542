/*
 * kstream - Kafka Streams for C.
 *
 * This is the one public header. Anything not declared here is private.
 *
 * Conventions used in the comments below:
 *  - Memory words:
 *      borrowed: valid until the callback returns, or until the next call on
 *                the same handle when the function says so;
 *      copied:   kstream copies the data; the caller keeps its buffer;
 *      given:    kstream takes ownership and frees it with the given function;
 *      returned: the caller frees it with the named function.
 *  - @locality says which thread may call a function:
 *      any thread;
 *      application thread (not concurrently with destruction of the handle);
 *      stream thread only (inside callbacks).
 *  - Byte slices (kstream_bytes_t) are never assumed to be NUL-terminated.
 *    A slice whose data is NULL is a Kafka null (a NULL key, or a tombstone
 *    value); a slice with non-NULL data and length 0 is an empty value.
 *  - The API is split over the files of include/kstream/, one per section,
 *    all included here: version, errors and configuration (base.h), records and
 *    serdes (record.h), the DSL (dsl.h), the processor API (processor.h),
 *    state stores (state.h), tables and aggregations (table.h), joins
 *    (join.h), the test driver (testdriver.h), the running application
 *    and interactive queries (app.h) and the embedded development cluster
 *    (devcluster.h).
 *  - Every function that takes a handle checks it: a NULL handle or another
 *    bad argument gives KSTREAM_ERR_INVALID_ARG (or NULL), never a crash.
 */
#ifndef KSTREAM_H
#define KSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KSTREAM_EXPORT
#if defined(KSTREAM_BUILDING) && defined(__GNUC__)
#define KSTREAM_EXPORT __attribute__((visibility("default")))
#else
#define KSTREAM_EXPORT
#endif
#endif

/* Version macros stay here: the build reads them from this file. */
#define KSTREAM_VERSION_MAJOR 0
#define KSTREAM_VERSION_MINOR 1
#define KSTREAM_VERSION_PATCH 0

#include "kstream/base.h"
#include "kstream/record.h"
#include "kstream/dsl.h"
#include "kstream/processor.h"
#include "kstream/state.h"
#include "kstream/table.h"
#include "kstream/join.h"
#include "kstream/testdriver.h"
#include "kstream/app.h"
#include "kstream/devcluster.h"
#include "kstream/avro.h"
#include "kstream/json.h"
#include "kstream/cdc.h"

#ifdef __cplusplus
}
#endif
#endif /* KSTREAM_H */
