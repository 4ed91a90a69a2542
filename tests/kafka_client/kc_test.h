/* kc_test.h - helpers of the librdkafka client tests: a mock cluster per
 * test process, a kstream conf pointing at it, and copies of polled
 * records (so assertions run after the messages are released). */
#ifndef KC_TEST_H
#define KC_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/kafka.h"

typedef struct kc_mock kc_mock_t;

/* A one-broker mock cluster with these topics (name, partitions, ...,
 * NULL), created before any client names them. */
kc_mock_t *kc_mock_new(const char *topic, int partitions, ...);
const char *kc_mock_bootstraps(const kc_mock_t *m);
void kc_mock_destroy(kc_mock_t *m);

/* application.id app_id, bootstrap.servers of m and the fast group
 * settings of DEV-CLUSTER.md. */
kstream_conf_t *kc_conf_new(const kc_mock_t *m, const char *app_id);
void kc_conf_set(kstream_conf_t *conf, const char *key, const char *value);

/* What the events of a client saw. */
typedef struct kc_events {
    ks_client_t *client; /* set after creation: committed() in assigned */
    int assigned_calls, revoked_calls;
    int nassigned, nrevoked; /* partitions in the last event */
    int first_nrevoked;      /* partitions in the first revoke event */
    int32_t assigned_parts[64];
    int64_t committed_in_assign[64]; /* committed() read in the event */
    bool commit_on_revoke; /* commit offset 2 of each revoked partition */
    int revoke_commits;     /* commits tried in revoke events */
    int revoke_commit_err;  /* first error of those commits */
    int delivery_failed;
    kstream_err_t last_failed_err;
    int32_t last_failed_partition;
} kc_events_t;

ks_client_events_t kc_events_of(kc_events_t *ev);

/* A polled record, copied. */
typedef struct kc_rec {
    char topic[64];
    int32_t partition;
    int64_t offset, timestamp;
    bool has_key, has_value;
    char key[64], value[64];
    int nheaders;
    char hname[4][16];
    char hvalue[4][16];
    bool hnull[4];
} kc_rec_t;

/* Poll c (releasing every message) until want records were copied into
 * recs or timeout_ms passed. @returns the number copied. */
int kc_poll_records(ks_client_t *c, kc_rec_t *recs, int want,
                    int timeout_ms);

/* Poll c for about ms, counting records (released at once). */
int kc_poll_count(ks_client_t *c, int ms);

/* Poll until pred(ev) or timeout; @returns pred's last answer. */
bool kc_poll_until(ks_client_t *c, kc_events_t *ev,
                   bool (*pred)(const kc_events_t *ev), int timeout_ms);

/* A client of this kind (asserting it was made). */
ks_client_t *kc_client_new(const kstream_conf_t *conf, ks_client_kind_t kind);

/* n records "<prefix><i>" to partition p of topic, acknowledged. */
void kc_fill(ks_client_t *producer, const char *topic, int32_t p, int n,
             const char *prefix);

/* Produce a record with string key/value (NULL: Kafka null). */
kstream_err_t kc_produce(ks_client_t *c, const char *topic, int32_t partition,
                         const char *key, const char *value, int64_t ts);

#endif /* KC_TEST_H */
