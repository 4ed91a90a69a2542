/* join_fk.h - the node kinds of the foreign-key table-table join
 * (join_fk.c; Kafka Streams' KIP-213 processors). See join_fk.c for the
 * data flow and the formats of the two internal topics. */
#ifndef KS_JOIN_FK_H
#define KS_JOIN_FK_H

#include "processor/processor.h"

/* Shared by every node of one join (refcounted: each node holds a
 * reference, freed by its class's free_params; the last one frees the
 * opaque). The topology is built and destroyed by one thread, so the
 * count needs no atomics. */
typedef struct ks_fk_params {
    int refs;
    kstream_join_kind_t kind; /* INNER or LEFT */
    kstream_key_extractor_cb *fk;
    kstream_joiner_cb *joiner;
    void *opaque;
    kstream_free_cb *opaque_free;
    char left_store[256];  /* materializes the left table */
    char right_store[256]; /* materializes the right table */
    char sub_store[256];   /* subscriptions: [4 BE len FK][FK][PK] -> ... */
} ks_fk_params_t;

/* A new params with one reference (the caller's), taking opaque. NULL on
 * out-of-memory (opaque then still the caller's). */
ks_fk_params_t *ks_fk_params_new(kstream_join_kind_t kind,
                                 kstream_key_extractor_cb *fk,
                                 kstream_joiner_cb *joiner, void *opaque,
                                 kstream_free_cb *opaque_free);
/* Another reference (for a node about to be created); returns p. */
ks_fk_params_t *ks_fk_params_ref(ks_fk_params_t *p);
/* Drop a reference (a free_params). */
void ks_fk_params_unref(void *p);

/* Left side: left table updates -> subscriptions (child: the
 * registration sink), and, for a left join, results of rows without a
 * foreign key straight to the resolver (also a child). */
extern const ks_proc_class_t ks_class_fk_send;
/* Right side: subscriptions -> subscription store and a response from
 * the right table's current row. */
extern const ks_proc_class_t ks_class_fk_receive;
/* Right side: right table updates -> a response to every subscriber of
 * the key. */
extern const ks_proc_class_t ks_class_fk_foreign;
/* Right side: a sink (KS_NODE_SINK) writing responses to the partition
 * held in the record's `partition` (the subscriber's left partition). */
extern const ks_proc_class_t ks_class_fk_response_sink;
/* Left side: responses -> join results (drops stale ones). */
extern const ks_proc_class_t ks_class_fk_resolve;

#endif /* KS_JOIN_FK_H */
