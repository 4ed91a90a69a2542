/* it.h - helpers of the integration tests on the embedded development
 * cluster. Input goes in and output comes back through kcat, an
 * independent Kafka client, so the tests check what another client sees. */
#ifndef IT_H
#define IT_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#include "kstream.h"

#define IT_MAX_KEYS 256

/* A dev cluster of 3 brokers, with these topics (NULL-terminated
 * "name:partitions" list). */
kstream_dev_cluster_t *it_cluster(const char *const *topics);
/* A configuration for fast tests (short sessions, commits, polls) with
 * application.id, bootstrap.servers and a fresh state.dir. */
kstream_conf_t *it_conf(const kstream_dev_cluster_t *dc, const char *app_id,
                        const char *state_dir);
void it_set(kstream_conf_t *conf, const char *key, const char *value);
/* A fresh temporary directory (removed by it_rmdir). */
char *it_tmpdir(void);
void it_rmdir(char *dir);

/* Produce "key:value" lines with kcat (murmur2_random partitioner). */
void it_produce_lines(const char *bootstrap, const char *topic,
                      const char *lines);
/* Produce n records "k<i % nkeys>" -> "v<first + i>". */
void it_produce_keys(const char *bootstrap, const char *topic, int first,
                     int n, int nkeys);

/* Every record of topic, read with kcat from the beginning to the end:
 * "key\tvalue\n" lines (value as text, or as a number when
 * value_is_long: Kafka's 8-byte big-endian long). Returned: free(). */
char *it_consume(const char *bootstrap, const char *topic,
                 bool value_is_long, size_t *nrecords);

/* Counts per key "k<i>": the largest count seen per key in `topic`
 * (Kafka longs). counts[i] for key k<i>, -1 when absent. */
void it_max_counts(const char *bootstrap, const char *topic, int nkeys,
                   int64_t *counts);
/* Wait until every key k0..k<nkeys-1> has a count >= want[i] (or ==
 * when exact) in topic, up to timeout_ms. Returns true on success. */
bool it_wait_counts(const char *bootstrap, const char *topic, int nkeys,
                    const int64_t *want, bool exact, int timeout_ms);

/* Wait for the app's state, up to timeout_ms. */
bool it_wait_state(kstream_t *app, kstream_state_t want, int timeout_ms);

/* in -> group_by_key -> count "counts" -> to_stream -> out */
kstream_topology_t *it_count_topology(const char *in, const char *out);

void it_sleep_ms(int ms);
int64_t it_now_ms(void);

#endif /* IT_H */
