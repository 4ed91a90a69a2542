/* join_fk_int.h - what the two halves of the foreign-key join share
 * (join_fk.c: params, the left side; join_fk_right.c: the right side):
 * the record formats of join_fk.c's comment and two helpers. */
#ifndef KSTREAM_PROCESSOR_JOIN_FK_INT_H
#define KSTREAM_PROCESSOR_JOIN_FK_INT_H

#include "processor/join_fk.h"
#include "serde/serde.h"

enum { FK_VERSION = 0 };

/* Subscription instructions (Kafka's SubscriptionWrapper.Instruction). */
enum {
    FK_DELETE_AND_PROPAGATE = 0,
    FK_DELETE_NO_PROPAGATE = 1,
    FK_PROPAGATE_NULL_IF_NO_FK_VAL = 2,
    FK_PROPAGATE_ONLY_IF_FK_VAL = 3
};

enum { FK_HAS_HASH = 1, FK_HAS_RIGHT = 2 };

#define SUB_HDR 15  /* registration value before the PK */
#define RESP_HDR 22 /* response value before the FK */
#define SUBV_LEN 12 /* subscription store value after the timestamp */

/* Fail the record for out-of-memory. */
kstream_err_t ks_fk_oom(kstream_ctx_t *ctx);
/* The row of key in a timestamped store, copied into the arena; *found
 * false (and KSTREAM_OK) when there is none. */
kstream_err_t ks_fk_read_row(kstream_ctx_t *ctx, ks_task_store_t *ts,
                             const void *key, size_t klen, bool *found,
                             kstream_bytes_t *row, int64_t *row_ts);

#endif
