/* sim_cluster.c - the simulated cluster's data: topics as partitioned logs
 * and the visible order of each topic. Consumer groups and transactions
 * (the coordinators) are in sim_txn.c, the clients in sim_client.c and
 * sim_client_txn.c.
 *
 * Storage. A record is copied in one piece (header array, key, value,
 * header names and values) into the current data chunk: chunks never move
 * and are freed only with the sim, so every pointer handed out stays valid
 * for the sim's life. Each partition keeps an index of record descriptors
 * (offset = position in the index; commit and abort markers take a
 * descriptor, with no data); each topic of several partitions, or that
 * ever had a transaction, also keeps the (partition, offset) of every
 * record in the order it became visible (ks_sim_read_appended; otherwise
 * the idx-th is offset idx). Index arrays grow by doubling. So an
 * append costs no malloc in the steady state: only a new chunk now and
 * then, or a doubling.
 *
 * Footprint. The test driver keeps every record it was ever given, so a
 * long run (the benchmarks pipe millions of records) touches fresh memory
 * all along, and each new 4 KiB page costs a page fault (~2 us in the VMs
 * we measure on: a sixth of driver_count_memory's time). Hence descriptors
 * of 32 bytes (not 56), record data aligned to 8 bytes only (what the
 * header array needs; 120 bytes, not 128, for a 16-byte key and a 100-byte
 * value), no append-order array for one-partition topics, and chunk sizes
 * doubling from 64 KiB to 8 MiB so that small sims stay small; full-size
 * chunks are populated ahead by a helper thread (sim_prefault.c). (Huge
 * pages through madvise were tried twice: faulting them in was slower and
 * more erratic there.)
 *
 * Single-threaded and deterministic: no clock, no randomness, no globals
 * (the prefault helper only maps memory). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testdriver/sim_int.h"

#define KS_SIM_CHUNK_MIN ((size_t)64 << 10) /* first data chunk */
#define KS_SIM_CHUNK_MAX ((size_t)8 << 20)  /* chunks double up to this */
#define KS_SIM_CHUNK_MAP ((size_t)1 << 20)  /* chunks this big are mmap'd */
#define KS_SIM_ALIGN 8 /* record data: enough for the header array */
#define KS_SIM_MAX_LEN UINT32_MAX

/* One chunk of record data; data[] is 8-byte aligned (KS_SIM_ALIGN). */
struct sim_chunk {
    struct sim_chunk *next;
    size_t used, cap;
    size_t mapped; /* 1: mmap'd (sim_chunk_new), 0: malloc'd (a size_t:
                      data stays 8-byte aligned) */
    char data[];
};
_Static_assert(offsetof(sim_chunk_t, data) % KS_SIM_ALIGN == 0,
               "chunk data must be aligned for headers");

/* ---- storage ------------------------------------------------------------ */

/* A chunk of cap data bytes. Big chunks are mapped with their pages
 * populated at once: the log only grows, and faulting its pages in one by
 * one as appends reach them cost more than the appends' copying. Once the
 * chunks reach full size, a helper thread populates the next one ahead
 * (sim_prefault.c). */
static sim_chunk_t *sim_chunk_new(ks_sim_t *sim, size_t cap) {
    sim_chunk_t *n;
    size_t mapped = 0;

    if (cap > SIZE_MAX - sizeof(*n))
        return NULL;
    n = NULL;
    if (cap >= KS_SIM_CHUNK_MAP) {
        void *m = NULL;
        /* Full-size chunks come from the helper (sim_prefault.c). */
        if (cap == KS_SIM_CHUNK_MAX) {
            if (!sim->prefault && !sim->prefault_failed) {
                sim->prefault = ks_sim_prefault_new();
                sim->prefault_failed = !sim->prefault;
            }
            if (sim->prefault)
                m = ks_sim_prefault_take(sim->prefault, sizeof(*n) + cap);
        }
        if (!m)
            m = ks_sim_map_populated(sizeof(*n) + cap);
        if (m) {
            n = m;
            mapped = 1;
        }
    }
    if (!n)
        n = malloc(sizeof(*n) + cap);
    if (!n)
        return NULL;
    n->mapped = mapped;
    sim->allocs++;
    n->used = 0;
    n->cap = cap;
    n->next = NULL;
    return n;
}

/* len bytes aligned to KS_SIM_ALIGN, from the chunks; NULL on
 * out-of-memory. */
static void *sim_store(ks_sim_t *sim, size_t len) {
    sim_chunk_t *ch = sim->chunks;
    size_t at = ch ? (ch->used + KS_SIM_ALIGN - 1) &
                             ~(size_t)(KS_SIM_ALIGN - 1)
                   : 0;

    if (!ch || at > ch->cap || ch->cap - at < len) {
        /* A record bigger than a quarter chunk gets a chunk of its own,
         * linked behind the head so the head keeps filling up. */
        if (sim->next_chunk == 0)
            sim->next_chunk = KS_SIM_CHUNK_MIN;
        bool own = len > sim->next_chunk / 4;
        sim_chunk_t *n = sim_chunk_new(sim, own ? len : sim->next_chunk);
        if (!n)
            return NULL;
        if (own && ch) {
            n->next = ch->next;
            ch->next = n;
            n->used = len;
            return n->data;
        }
        if (!own && sim->next_chunk < KS_SIM_CHUNK_MAX)
            sim->next_chunk *= 2;
        n->next = ch;
        sim->chunks = n;
        ch = n;
        at = 0;
    }
    ch->used = at + len;
    return ch->data + at;
}

/* Make room for one more element in a doubling array. 0 ok, -1 oom. */
int ks_sim_grow(ks_sim_t *sim, void **arr, size_t *cap, size_t n,
                size_t elem) {
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / elem)
        return -1;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    sim->allocs++;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Copy the record's bytes into the chunks and fill *rec. */
static kstream_err_t sim_copy(ks_sim_t *sim, const ks_out_t *out,
                              sim_rec_t *rec) {
    size_t klen = out->key ? out->key_len : 0;
    size_t vlen = out->value ? out->value_len : 0;
    size_t total = out->nheaders * sizeof(kstream_header_t) + klen + vlen;
    for (size_t i = 0; i < out->nheaders; i++)
        total += strlen(out->headers[i].name) + 1 + out->headers[i].len;
    if (klen > KS_SIM_MAX_LEN || vlen > KS_SIM_MAX_LEN ||
        out->nheaders > KS_SIM_MAX_LEN)
        return KSTREAM_ERR_TOO_LARGE;

    char *p = sim_store(sim, total);
    if (!p)
        return KSTREAM_ERR_NO_MEMORY;

    rec->data = p;
    kstream_header_t *hdrs = (kstream_header_t *)(void *)p;
    p += out->nheaders * sizeof(*hdrs);
    /* Empty but non-NULL slices point into the chunk: still non-NULL. */
    if (klen)
        memcpy(p, out->key, klen);
    p += klen;
    if (vlen)
        memcpy(p, out->value, vlen);
    p += vlen;
    for (size_t i = 0; i < out->nheaders; i++) {
        const kstream_header_t *h = &out->headers[i];
        size_t nlen = strlen(h->name) + 1;
        memcpy(p, h->name, nlen);
        hdrs[i].name = p;
        p += nlen;
        hdrs[i].value = NULL;
        hdrs[i].len = 0;
        if (h->value) {
            memcpy(p, h->value, h->len);
            hdrs[i].value = p;
            hdrs[i].len = h->len;
            p += h->len;
        }
    }
    rec->key_len = (uint32_t)klen;
    rec->value_len = (uint32_t)vlen;
    rec->nheaders = (uint32_t)out->nheaders;
    rec->flags = (out->key ? REC_KEY : 0) | (out->value ? REC_VALUE : 0);
    rec->timestamp = out->timestamp;
    return KSTREAM_OK;
}

/* ---- sim ---------------------------------------------------------------- */

ks_sim_t *ks_sim_new(void) {
    ks_sim_t *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return NULL;
    sim->topics = ks_map_new();
    sim->groups = ks_map_new();
    sim->txns = ks_map_new();
    if (!sim->topics || !sim->groups || !sim->txns) {
        ks_map_destroy(sim->topics);
        ks_map_destroy(sim->groups);
        ks_map_destroy(sim->txns);
        free(sim);
        return NULL;
    }
    sim->auto_create = true;
    sim->auto_partitions = 1;
    return sim;
}

static void sim_topic_free(ks_sim_topic_t *t) {
    for (int32_t p = 0; p < t->nparts; p++)
        free(t->parts[p].recs);
    free(t->parts);
    free(t->order);
    free(t->name);
    free(t);
}

void ks_sim_destroy(ks_sim_t *sim) {
    if (!sim)
        return;
    size_t it = 0;
    const char *key;
    void *val;
    while (ks_map_next(sim->topics, &it, &key, &val))
        sim_topic_free(val);
    ks_map_destroy(sim->topics);
    ks_sim_coord_free(sim);
    ks_sim_prefault_destroy(sim->prefault);
    while (sim->chunks) {
        sim_chunk_t *next = sim->chunks->next;
        if (sim->chunks->mapped)
            munmap(sim->chunks, sizeof(*sim->chunks) + sim->chunks->cap);
        else
            free(sim->chunks);
        sim->chunks = next;
    }
    free(sim);
}

void ks_sim_set_auto_create(ks_sim_t *sim, bool on, int32_t partitions) {
    sim->auto_create = on;
    sim->auto_partitions = partitions < 1 ? 1 : partitions;
}

uint64_t ks_sim_storage_allocs(const ks_sim_t *sim) {
    return sim->allocs;
}

uint64_t ks_sim_topics_epoch(const ks_sim_t *sim) {
    return sim->topics_epoch;
}

uint64_t ks_sim_next_seq(ks_sim_t *sim) {
    return ++sim->seq;
}

/* ---- topics ------------------------------------------------------------- */

kstream_err_t ks_sim_create_topic(ks_sim_t *sim, const char *topic,
                                  int32_t partitions) {
    if (!sim || !topic || partitions < 1)
        return KSTREAM_ERR_INVALID_ARG;
    if (ks_map_get(sim->topics, topic))
        return KSTREAM_ERR_DUPLICATE_NAME;
    ks_sim_topic_t *t = calloc(1, sizeof(*t));
    if (!t)
        return KSTREAM_ERR_NO_MEMORY;
    t->name = ks_strdup(topic);
    t->parts = calloc((size_t)partitions, sizeof(*t->parts));
    t->nparts = partitions;
    t->ordered = partitions > 1;
    if (!t->name || !t->parts || ks_map_put(sim->topics, topic, t) != 0) {
        sim_topic_free(t);
        return KSTREAM_ERR_NO_MEMORY;
    }
    sim->topics_epoch++;
    return KSTREAM_OK;
}

ks_sim_topic_t *ks_sim_topic_find(const ks_sim_t *sim, const char *topic) {
    return ks_map_get(sim->topics, topic);
}

const char *ks_sim_topic_name(const ks_sim_topic_t *t) {
    return t->name;
}

int32_t ks_sim_topic_partitions(const ks_sim_topic_t *t) {
    return t->nparts;
}

int64_t ks_sim_topic_end(const ks_sim_topic_t *t, int32_t partition) {
    assert(partition >= 0 && partition < t->nparts);
    return (int64_t)t->parts[partition].n;
}

void ks_sim_topic_msg(const ks_sim_topic_t *t, int32_t partition,
                      int64_t offset, ks_msg_t *out) {
    assert(partition >= 0 && partition < t->nparts);
    assert(offset >= 0 && (size_t)offset < t->parts[partition].n);
    const sim_rec_t *rec = &t->parts[partition].recs[offset];
    assert(!(rec->flags & REC_MARKER));
    out->topic = t->name;
    out->partition = partition;
    out->offset = offset;
    const char *p = rec->data + rec->nheaders * sizeof(kstream_header_t);
    out->timestamp = rec->timestamp;
    out->key = rec->flags & REC_KEY ? p : NULL;
    out->key_len = rec->key_len;
    out->value = rec->flags & REC_VALUE ? p + rec->key_len : NULL;
    out->value_len = rec->value_len;
    out->headers = rec->nheaders ?
                           (const kstream_header_t *)(const void *)rec->data :
                           NULL;
    out->nheaders = rec->nheaders;
    out->handle = NULL;
}

bool ks_sim_topic_visible(const ks_sim_topic_t *t, int32_t partition,
                          int64_t offset, bool read_committed) {
    uint32_t f = t->parts[partition].recs[offset].flags;
    return !(f & REC_MARKER) && !(read_committed && (f & REC_ABORTED));
}

int32_t ks_sim_partitions(const ks_sim_t *sim, const char *topic) {
    const ks_sim_topic_t *t = sim && topic ? ks_sim_topic_find(sim, topic)
                                           : NULL;
    return t ? t->nparts : -1;
}

static bool sim_out_valid(const ks_out_t *rec) {
    if (!rec || !rec->topic)
        return false;
    if ((!rec->key && rec->key_len) || (!rec->value && rec->value_len))
        return false;
    if (rec->nheaders && !rec->headers)
        return false;
    for (size_t i = 0; i < rec->nheaders; i++) {
        const kstream_header_t *h = &rec->headers[i];
        if (!h->name || (!h->value && h->len))
            return false;
    }
    return true;
}

/* The partition of a keyed record appended with partition -1. */
static int32_t key_partition(const ks_sim_topic_t *t, const void *key,
                             size_t klen) {
    return t->nparts == 1 ? 0 : ks_partition_for_key(key, klen, t->nparts);
}

int32_t ks_sim_key_partition(ks_sim_t *sim, const char *topic,
                             const void *key, size_t klen) {
    ks_sim_topic_t *t = sim->last_append;
    if (!t || strcmp(t->name, topic) != 0)
        t = ks_sim_topic_find(sim, topic);
    if (!t || !key)
        return -1;
    sim->last_append = t;
    return key_partition(t, key, klen);
}

/* Room for one more entry of the visible order. */
static int sim_order_room(ks_sim_t *sim, ks_sim_topic_t *t) {
    return t->ordered ? ks_sim_grow(sim, (void **)&t->order, &t->order_cap,
                                    t->norder, sizeof(*t->order))
                      : 0;
}

static void sim_order_push(ks_sim_topic_t *t, int32_t p, int64_t off) {
    if (t->ordered) {
        t->order[t->norder].partition = p;
        t->order[t->norder].offset = off;
    }
    t->norder++;
}

kstream_err_t ks_sim_topic_ordered(ks_sim_t *sim, ks_sim_topic_t *t) {
    if (t->ordered)
        return KSTREAM_OK;
    /* One partition so far: the idx-th visible record is offset idx. */
    size_t cap = t->norder < 64 ? 64 : t->norder;
    sim_pos_t *order = malloc(cap * sizeof(*order));
    if (!order)
        return KSTREAM_ERR_NO_MEMORY;
    sim->allocs++;
    for (size_t i = 0; i < t->norder; i++) {
        order[i].partition = 0;
        order[i].offset = (int64_t)i;
    }
    t->order = order;
    t->order_cap = cap;
    t->ordered = true;
    return KSTREAM_OK;
}

kstream_err_t ks_sim_append_rec(ks_sim_t *sim, const ks_out_t *rec, bool txn,
                                ks_sim_topic_t **topic, int32_t *partition,
                                int64_t *offset) {
    if (!sim || !sim_out_valid(rec))
        return KSTREAM_ERR_INVALID_ARG;
    if (rec->timestamp < 0)
        return KSTREAM_ERR_INVALID_TIMESTAMP;

    /* Topics live as long as the sim: the last one appended to is kept to
     * skip the lookup when the next append goes to the same topic. */
    ks_sim_topic_t *t = sim->last_append;
    if (!t || strcmp(t->name, rec->topic) != 0)
        t = ks_sim_topic_find(sim, rec->topic);
    if (!t) {
        if (!sim->auto_create)
            return KSTREAM_ERR_UNKNOWN_TOPIC;
        kstream_err_t err =
                ks_sim_create_topic(sim, rec->topic, sim->auto_partitions);
        if (err)
            return err;
        t = ks_sim_topic_find(sim, rec->topic);
    }
    sim->last_append = t;

    int32_t p = rec->partition;
    if (p == -1) {
        if (rec->key) {
            p = key_partition(t, rec->key, rec->key_len);
        } else {
            p = t->rr_next;
            t->rr_next = (t->rr_next + 1) % t->nparts;
        }
    } else if (p < 0 || p >= t->nparts) {
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    }

    sim_part_t *part = &t->parts[p];
    if ((txn && ks_sim_topic_ordered(sim, t) != KSTREAM_OK) ||
        ks_sim_grow(sim, (void **)&part->recs, &part->cap, part->n,
                    sizeof(*part->recs)) != 0 ||
        sim_order_room(sim, t) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = sim_copy(sim, rec, &part->recs[part->n]);
    if (err)
        return err;
    if (txn)
        part->recs[part->n].flags |= REC_TXN | REC_PENDING;

    int64_t off = (int64_t)part->n++;
    /* Visible at once unless a transaction holds the partition back (the
     * transaction publishes it when it ends). */
    if (!txn && part->open == 0 && part->stable == (size_t)off) {
        sim_order_push(t, p, off);
        part->stable++;
    }
    if (topic)
        *topic = t;
    if (partition)
        *partition = p;
    if (offset)
        *offset = off;
    return KSTREAM_OK;
}

kstream_err_t ks_sim_append(ks_sim_t *sim, const ks_out_t *rec,
                            int32_t *partition, int64_t *offset) {
    return ks_sim_append_rec(sim, rec, false, NULL, partition, offset);
}

kstream_err_t ks_sim_append_marker(ks_sim_t *sim, ks_sim_topic_t *t,
                                   int32_t partition, bool commit) {
    sim_part_t *part = &t->parts[partition];
    if (ks_sim_grow(sim, (void **)&part->recs, &part->cap, part->n,
                    sizeof(*part->recs)) != 0)
        return KSTREAM_ERR_NO_MEMORY;
    sim_rec_t *rec = &part->recs[part->n++];
    memset(rec, 0, sizeof(*rec));
    rec->flags = REC_MARKER | REC_TXN | (commit ? REC_COMMIT : 0);
    return KSTREAM_OK;
}

kstream_err_t ks_sim_publish(ks_sim_t *sim, ks_sim_topic_t *t,
                             int32_t partition) {
    sim_part_t *part = &t->parts[partition];
    int64_t lso = ks_sim_topic_lso(sim, t, partition);
    for (; (int64_t)part->stable < lso; part->stable++) {
        if (!ks_sim_topic_visible(t, partition, (int64_t)part->stable, true))
            continue;
        if (sim_order_room(sim, t) != 0)
            return KSTREAM_ERR_NO_MEMORY;
        sim_order_push(t, partition, (int64_t)part->stable);
    }
    return KSTREAM_OK;
}

int64_t ks_sim_end_offset(const ks_sim_t *sim, const char *topic,
                          int32_t partition) {
    const ks_sim_topic_t *t = sim && topic ? ks_sim_topic_find(sim, topic)
                                           : NULL;
    if (!t || partition < 0 || partition >= t->nparts)
        return -1;
    return (int64_t)t->parts[partition].n;
}

kstream_err_t ks_sim_read(const ks_sim_t *sim, const char *topic,
                          int32_t partition, int64_t offset, ks_msg_t *out) {
    if (!sim || !topic || !out)
        return KSTREAM_ERR_INVALID_ARG;
    const ks_sim_topic_t *t = ks_sim_topic_find(sim, topic);
    if (!t)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    if (partition < 0 || partition >= t->nparts)
        return KSTREAM_ERR_UNKNOWN_PARTITION;
    if (offset < 0 || (size_t)offset >= t->parts[partition].n ||
        (t->parts[partition].recs[offset].flags & REC_MARKER))
        return KSTREAM_ERR_NOT_FOUND;
    ks_sim_topic_msg(t, partition, offset, out);
    return KSTREAM_OK;
}

kstream_err_t ks_sim_read_appended(const ks_sim_t *sim, const char *topic,
                                   size_t idx, ks_msg_t *out) {
    if (!sim || !topic || !out)
        return KSTREAM_ERR_INVALID_ARG;
    const ks_sim_topic_t *t = ks_sim_topic_find(sim, topic);
    if (!t)
        return KSTREAM_ERR_UNKNOWN_TOPIC;
    if (idx >= t->norder)
        return KSTREAM_ERR_NOT_FOUND;
    if (!t->ordered)
        ks_sim_topic_msg(t, 0, (int64_t)idx, out);
    else
        ks_sim_topic_msg(t, t->order[idx].partition, t->order[idx].offset,
                         out);
    return KSTREAM_OK;
}

size_t ks_sim_appended_count(const ks_sim_t *sim, const char *topic) {
    const ks_sim_topic_t *t = sim && topic ? ks_sim_topic_find(sim, topic)
                                           : NULL;
    return t ? t->norder : 0;
}

ks_sim_rec_state_t ks_sim_rec_state(const ks_sim_t *sim, const char *topic,
                                    int32_t partition, int64_t offset) {
    const ks_sim_topic_t *t = sim && topic ? ks_sim_topic_find(sim, topic)
                                           : NULL;
    if (!t || partition < 0 || partition >= t->nparts || offset < 0 ||
        (size_t)offset >= t->parts[partition].n)
        return KS_SIM_REC_NONE;
    uint32_t f = t->parts[partition].recs[offset].flags;
    if (f & REC_MARKER)
        return KS_SIM_REC_MARKER;
    if (!(f & REC_TXN))
        return KS_SIM_REC_PLAIN;
    if (f & REC_PENDING)
        return KS_SIM_REC_PENDING;
    return f & REC_ABORTED ? KS_SIM_REC_ABORTED : KS_SIM_REC_COMMITTED;
}

int64_t ks_sim_lso(const ks_sim_t *sim, const char *topic,
                   int32_t partition) {
    const ks_sim_topic_t *t = sim && topic ? ks_sim_topic_find(sim, topic)
                                           : NULL;
    if (!t || partition < 0 || partition >= t->nparts)
        return -1;
    return ks_sim_topic_lso(sim, t, partition);
}
