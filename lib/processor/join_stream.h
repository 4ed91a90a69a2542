/* join_stream.h - the node kinds of the windowed stream-stream join
 * (join_stream.c; Kafka Streams' KStreamKStreamJoinLeftSide and
 * KStreamKStreamJoinRightSide, and the PassThrough that merges them). See
 * join_stream.c for the semantics and the formats of the three stores. */
#ifndef KS_JOIN_STREAM_H
#define KS_JOIN_STREAM_H

#include "processor/processor.h"

/* The params of one of the two join nodes. Both nodes get the same
 * joiner and opaque; only the left node's params own the opaque
 * (opaque_free NULL in the right node's). */
typedef struct ks_join_stream_params {
    kstream_join_kind_t kind;
    bool left_side; /* this node takes the left input */
    kstream_joiner_cb *joiner;
    void *opaque;
    kstream_free_cb *opaque_free;
    int64_t before, after, grace; /* the join windows (validated) */
    char this_store[300];   /* this node's records (a window store that
                               keeps duplicates) */
    char other_store[300];  /* the other node's records */
    char shared_store[300]; /* unmatched records of the sides that emit
                               them (left and outer joins); "": none */
} ks_join_stream_params_t;
void ks_join_stream_params_free(void *p);

/* A join node (left or right input, per its params). */
extern const ks_proc_class_t ks_class_join_stream;
/* The merge of the two join nodes' outputs (a passthrough; it also holds
 * the state the two nodes of a task share). */
extern const ks_proc_class_t ks_class_join_stream_merge;

#endif /* KS_JOIN_STREAM_H */
