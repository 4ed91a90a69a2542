/* test_eos_faults.h - the harness of the exactly-once fault tests (see
 * test_eos_faults_run.c). */
#ifndef TEST_EOS_FAULTS_H
#define TEST_EOS_FAULTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "it.h"

#define EOS_IN "ein"
#define EOS_OUT "eout"
#define EOS_PARTITIONS 4
#define EOS_KEYS 20
#define EOS_PROCESS_ID "0123456789abcdef0123456789abcdef"
#define EOS_LOG_MAX (512 * 1024)

/* Broker ids of the layout. */
#define EOS_B_IN 1
#define EOS_B_GROUP 1
#define EOS_B_OUT 2
#define EOS_B_TXN 3

/* Kafka ApiKeys. */
#define API_PRODUCE 0
#define API_INIT_PRODUCER_ID 22
#define API_ADD_PARTITIONS_TO_TXN 24
#define API_ADD_OFFSETS_TO_TXN 25
#define API_END_TXN 26
#define API_TXN_OFFSET_COMMIT 28

typedef struct eos_run {
    rd_kafka_t *mrk; /* owns the mock */
    rd_kafka_mock_cluster_t *mc;
    const char *bs;
    char *dir;
    char app_id[64];
    char txn_id[160]; /* thread 0's transactional id */
    kstream_topology_t *t;
    kstream_t *app;
    int produced; /* input records so far */
    pthread_mutex_t mu;
    char *log; /* "<level> <facility> <message>\n" lines */
    size_t loglen;
} eos_run_t;

/* The cluster, and the count app (ein -> count -> eout) under
 * exactly_once_v2 with these extra "key", "value" settings (NULL
 * terminated list, or NULL), RUNNING. */
void eos_start(eos_run_t *r, const char *app_id, const char *const *kv);
/* kstream_close (bounded, returning want_close), then free everything. */
void eos_end(eos_run_t *r, kstream_err_t want_close);

/* n more input records, keys k0..k<EOS_KEYS-1> in turn. */
void eos_produce(eos_run_t *r, int n);
/* Every input record so far counted (at least once), within timeout_ms. */
void eos_expect_all_counted(eos_run_t *r, int timeout_ms);
/* The statistics' `name` summed over threads. */
long long eos_stat(eos_run_t *r, const char *name);

bool eos_log_has(eos_run_t *r, const char *needle);
bool eos_wait_log(eos_run_t *r, const char *needle, int timeout_ms);
void eos_expect_log(eos_run_t *r, const char *needle);
void eos_process_id_read(eos_run_t *r, char *out, size_t size);

/* The next `count` requests `api` to `broker` fail with code (after
 * rtt_ms). */
void eos_push_errors(eos_run_t *r, int broker, int16_t api,
                     rd_kafka_resp_err_t code, int count, int rtt_ms);
/* true once `broker` has answered every error pushed for `api`. */
bool eos_wait_errors_used(eos_run_t *r, int broker, int16_t api,
                          int timeout_ms);
void eos_broker(eos_run_t *r, int broker, bool up);

#endif /* TEST_EOS_FAULTS_H */
