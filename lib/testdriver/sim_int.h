/* sim_int.h - the simulated cluster's structures, shared by sim_cluster.c
 * (logs) and sim_txn.c (groups and transactions) only. See sim_cluster.c
 * for the storage layout. */
#ifndef KS_SIM_INT_H
#define KS_SIM_INT_H

#include "testdriver/sim.h"
#include "util/util.h"

/* A stored record; its offset is its index in the partition's array
 * (markers take an index too). Its bytes are at data: nheaders headers,
 * then the key, then the value. */
enum {
    REC_KEY = 1,     /* non-NULL key */
    REC_VALUE = 2,   /* non-NULL value */
    REC_TXN = 4,     /* written in a transaction */
    REC_PENDING = 8, /* ... still open */
    REC_ABORTED = 16, /* ... aborted */
    REC_MARKER = 32, /* a commit or abort marker (no data) */
    REC_COMMIT = 64  /* with REC_MARKER: a commit marker */
};
typedef struct sim_rec {
    const char *data;
    int64_t timestamp;
    uint32_t key_len, value_len;
    uint32_t nheaders;
    uint32_t flags; /* REC_* */
} sim_rec_t;

typedef struct sim_part {
    sim_rec_t *recs;
    size_t n, cap;
    size_t stable; /* records below it are in the topic's visible order */
    uint32_t open; /* open transactions that wrote here */
} sim_part_t;

/* Where the idx-th visible record of a topic is. */
typedef struct sim_pos {
    int32_t partition;
    int64_t offset;
} sim_pos_t;

struct ks_sim_topic {
    char *name;
    int32_t nparts;
    sim_part_t *parts;
    int32_t rr_next; /* next partition for a NULL key */
    /* The visible order (ks_sim_read_appended). Kept in `order` when the
     * topic has several partitions or ever had a transaction; otherwise
     * the idx-th entry is offset idx of partition 0 (no array). */
    bool ordered;
    sim_pos_t *order;
    size_t norder, order_cap;
};

struct ks_sim_group {
    char *name;
    ks_map_t *offsets; /* topic name -> int64_t[partitions], -1: none */
    void **members;    /* sorted by orders[] */
    uint64_t *orders;
    uint64_t *synced;  /* each member's generation (0: never synced) */
    size_t nmembers, members_cap;
    uint64_t epoch;
};

typedef struct sim_chunk sim_chunk_t;
typedef struct ks_sim_prefault ks_sim_prefault_t;

struct ks_sim {
    ks_map_t *topics; /* name -> ks_sim_topic_t */
    ks_map_t *groups; /* name -> ks_sim_group_t */
    ks_map_t *txns;   /* transactional id -> ks_sim_txn_t */
    ks_sim_txn_t **open_txns; /* the open ones, oldest first */
    size_t nopen, open_cap;
    sim_chunk_t *chunks; /* head: the one being filled */
    size_t next_chunk;   /* size of the next regular chunk */
    ks_sim_prefault_t *prefault; /* started with the first full chunk */
    bool prefault_failed;        /* could not start: map in place */
    ks_sim_topic_t *last_append; /* topic of the last append (a cache) */
    uint64_t allocs;     /* storage malloc/realloc calls */
    uint64_t topics_epoch;
    uint64_t seq;
    int64_t now; /* ks_sim_tick() */
    uint64_t steps;
    ks_sim_crash_cb *crash_cb;
    void *crash_opaque;
    bool auto_create;
    int32_t auto_partitions;
};

/* ---- sim_prefault.c ---- */
/* len bytes of anonymous memory, populated; NULL on failure. */
void *ks_sim_map_populated(size_t len);
/* A helper thread that populates mappings ahead; NULL if it cannot start. */
ks_sim_prefault_t *ks_sim_prefault_new(void);
/* A populated mapping of len bytes made ahead (munmap it), or NULL when
 * none is ready; either way the next one of len bytes is asked for. */
void *ks_sim_prefault_take(ks_sim_prefault_t *pf, size_t len);
/* Stop the helper and unmap what it made and was not taken. NULL: no-op. */
void ks_sim_prefault_destroy(ks_sim_prefault_t *pf);

/* ---- sim_cluster.c ---- */
/* Append (everything copied); with txn, flagged pending and not yet
 * visible. *topic, *partition, *offset get where it went. */
kstream_err_t ks_sim_append_rec(ks_sim_t *sim, const ks_out_t *rec, bool txn,
                                ks_sim_topic_t **topic, int32_t *partition,
                                int64_t *offset);
/* Append a commit or abort marker. */
kstream_err_t ks_sim_append_marker(ks_sim_t *sim, ks_sim_topic_t *t,
                                   int32_t partition, bool commit);
/* Move the partition's records below its last stable offset into the
 * topic's visible order (skipping markers and aborted records). */
kstream_err_t ks_sim_publish(ks_sim_t *sim, ks_sim_topic_t *t,
                             int32_t partition);
/* Make the topic keep its visible order in an array. */
kstream_err_t ks_sim_topic_ordered(ks_sim_t *sim, ks_sim_topic_t *t);
/* Make room for one more element in a doubling array. 0 ok, -1 oom. */
int ks_sim_grow(ks_sim_t *sim, void **arr, size_t *cap, size_t n,
                size_t elem);

/* ---- sim_txn.c ---- */
void ks_sim_coord_free(ks_sim_t *sim); /* groups and transactions */

#endif /* KS_SIM_INT_H */
