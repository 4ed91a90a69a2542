/* demo_int.h - what demo_input.c and demo_feed.c share. */
#ifndef DEMO_INT_H
#define DEMO_INT_H

#include "demo.h"

/* A generated enrich record, copied (the generator's are borrowed). */
typedef struct demo_erec {
    enrich_gen_record_t r; /* pointing into the fields below */
    char *key, *value;
    char *s[3]; /* event_id, user_id, type / -, user_id, status */
    int orders; /* 1: cdc.orders, 0: events.user */
} demo_erec_t;

struct demo_input {
    demo_erec_t *e; /* enrich's records, as generated, then the closing one */
    size_t ne, cap;
    int64_t max_ts;
    size_t nchunks, chunk_size;
    size_t *chunk_out, *chunk_dlq; /* expected totals after each chunk */
    demo_recs_t tele;              /* sessionize's records */
    enrich_model_t *em;
    aggregate_model_t *am;
    sessionize_model_t *sm;
};

#endif /* DEMO_INT_H */
