/* kafka.h - shared by the Kafka-runtime benchmarks (kafka_pipe, restore,
 * memory): the embedded dev cluster, the client settings given alike to
 * the raw librdkafka clients and to the kstream app, a loader that writes
 * the input with a raw producer, a reader thread that reads an output
 * topic back and notes when the last expected record arrived, and
 * process-wide time, CPU and RSS probes. See kafka.c. Linked into every
 * benchmark (the Makefile's BENCH_COMMON). */
#ifndef KSTREAM_BENCH_KAFKA_H
#define KSTREAM_BENCH_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kstream.h>
#include <librdkafka/rdkafka.h>

/* ---- client settings ------------------------------------------------------
 * One table of librdkafka properties (kafka.c), applied to the raw clients
 * of the ceilings and, through the "consumer." / "producer." pass-through
 * prefixes, to the app's clients: the ratio compares the same client
 * configuration. The table also repeats, for the raw clients only, what
 * the app sets on its own (manual offset commits, earliest, range,
 * murmur2_random) so that they match it. */
typedef enum kb_role_e { KB_CONSUMER, KB_PRODUCER } kb_role_t;

/* A rd_kafka_conf_t for a raw client of \p role on \p bootstrap, with the
 * table applied (bench_die on error). \p group: group.id (consumers). */
rd_kafka_conf_t *kb_rdconf(const char *bootstrap, kb_role_t role,
                           const char *group);
/* Print the table (one line) for the human-readable output. */
void kb_print_settings(const char *name);

/* An app conf for the dev cluster: application.id, bootstrap.servers,
 * state.dir, commit.interval.ms (KB_COMMIT_MS: the ceiling's), log.level
 * 3, the group session settings, and, when \p fast, the rest of the table
 * as consumer./producer. keys (the memory bench runs the library's own
 * client defaults). */
kstream_conf_t *kb_app_conf(const char *bootstrap, const char *app_id,
                            const char *state_dir, bool fast);
void kb_conf_set(kstream_conf_t *conf, const char *key, const char *value);

/* The commit interval of the app and of the raw pipe. */
#define KB_COMMIT_MS 100

/* ---- records ------------------------------------------------------------- */
#define KB_KEY_LEN 16
#define KB_VALUE_LEN 100
/* The key of index k: 12 pseudo-random bytes, then k big-endian (as
 * count_make_key, for any k < 2^32). kb_key_index gives k back, or
 * UINT32_MAX when the bytes are not such a key. */
void kb_make_key(uint32_t k, unsigned char *out);
uint32_t kb_key_index(const void *key, size_t len);

/* ---- cluster and topics -------------------------------------------------- */
kstream_dev_cluster_t *kb_cluster(int brokers);
void kb_create_topic(kstream_dev_cluster_t *dc, const char *topic,
                     int32_t partitions);

/* A raw producer with the table's settings (loading the input); the
 * second with batch.size set as well (NULL: librdkafka's). */
rd_kafka_t *kb_producer(const char *bootstrap);
rd_kafka_t *kb_producer_batched(const char *bootstrap,
                                const char *batch_size);
/* Produce one record (copied) to \p topic, partition by the partitioner
 * when \p partition is RD_KAFKA_PARTITION_UA, \p timestamp 0: now. A full
 * queue is waited out serving delivery reports (rd_kafka_poll 10 ms), as
 * the app's client does; otherwise reports are served by kb_flush. */
void kb_produce(rd_kafka_t *p, const char *topic, int32_t partition,
                const void *key, size_t klen, const void *value,
                size_t vlen, int64_t timestamp);
/* Fetch \p topic's metadata into producer \p p. librdkafka 2.0.2 keeps
 * the first records for a topic its producer has no metadata for in the
 * unassigned queue until its next 1 s topic scan: without this, a run's
 * first output waits up to 1 s. */
void kb_producer_prime(rd_kafka_t *p, const char *topic);
/* Flush and check that every record was delivered. */
void kb_flush(rd_kafka_t *p);

/* Load \p n records into \p topic with a raw producer: key index seq(i)
 * (keys of kb_make_key), value from a pool of random 100-byte values
 * (seq NULL: key index i). Then check that no partition lost its oldest
 * records to the mock's ~5 MiB retention (low watermark 0). Prints one
 * line; returns the producer's records/s. */
double kb_load(const char *name, const char *bootstrap, const char *topic,
               int32_t partitions, uint64_t n, const uint32_t *seq);
/* The same, the producer's batch.size set to \p batch_size (NULL: as
 * kb_load): the mock answers a fetch with one batch of each partition,
 * whatever its size, so the batches written set what a fetch brings. */
double kb_load_batched(const char *name, const char *bootstrap,
                       const char *topic, int32_t partitions, uint64_t n,
                       const uint32_t *seq, const char *batch_size);

/* Low watermark of every partition 0 and their high watermarks summing to
 * \p n (bench_die otherwise). */
void kb_check_topic(const char *bootstrap, const char *topic,
                    int32_t partitions, uint64_t n);

/* ---- the reader: reads an output topic back ---------------------------- */
typedef enum kb_read_mode_e {
    KB_READ_RECORDS, /* progress: output records read */
    KB_READ_COUNTS   /* values are 8-byte counts of kb keys < nkeys;
                      * progress: the latest counts summed (every input
                      * record counted and its update read back) */
} kb_read_mode_t;

typedef struct kb_reader_s kb_reader_t;

/* When the reader's progress reached the warm-up mark and the target:
 * monotonic time (ns, 0: never) and the process's CPU time then. */
typedef struct kb_read_result_s {
    uint64_t warm_ns, warm_cpu;
    uint64_t end_ns, end_cpu;
    uint64_t records; /* output records read */
} kb_read_result_t;

/* Start a thread reading \p topic from the beginning (assign, no group
 * join), noting when its progress reaches \p warm and \p target. */
kb_reader_t *kb_reader_start(const char *bootstrap, const char *topic,
                             int32_t partitions, kb_read_mode_t mode,
                             uint64_t warm, uint64_t target, uint32_t nkeys);
/* true once the target was reached (any thread). */
bool kb_reader_done(kb_reader_t *r);
/* Wait up to \p timeout_ms for the target (then 50 ms more, to see any
 * duplicate), stop and free the reader. */
void kb_reader_finish(kb_reader_t *r, int timeout_ms, kb_read_result_t *res);

/* ---- the app ------------------------------------------------------------- */
/* Wraps a kstream_t: a state listener noting when RUNNING was first
 * reached (monotonic ns) and whether ERROR was. */
typedef struct kb_app_s {
    kstream_t *app;
    uint64_t running_ns; /* written by the listener */
    int error;
} kb_app_t;

/* kstream_new + listener + kstream_start; bench_die on error. \p rl:
 * restore listener (NULL: none). */
void kb_app_start(kb_app_t *a, const kstream_topology_t *topo,
                  const kstream_conf_t *conf,
                  const kstream_restore_listener_t *rl, void *rl_opaque);
/* Sum of "records_processed" over the stream threads of the statistics
 * JSON (the app's own count of processed records). */
uint64_t kb_app_processed(kb_app_t *a);
/* Close (bench_die when it fails) and destroy. */
void kb_app_stop(kb_app_t *a);

/* ---- probes -------------------------------------------------------------- */
/* CPU time of the whole process (every thread: app, clients, brokers). */
uint64_t kb_proc_cpu_ns(void);
/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), -1 if absent. */
long kb_status_kib(const char *field);
/* Sleep \p ms milliseconds. */
void kb_sleep_ms(int ms);
/* A temp directory under /tmp removed at exit (nftw). */
char *kb_tmpdir(const char *tag);

#endif /* KSTREAM_BENCH_KAFKA_H */
