/* driver_pipe.c - piping records into the test driver: one at a time
 * (kstream_test_driver_pipe, _pipe_ex) or a list of them
 * (kstream_test_driver_pipe_list, Java's TestInputTopic.pipeRecordList).
 * Either way each record is stored in its topic and everything it causes
 * is processed before the next one is piped.
 *
 * Hints (runtime/hint.c): the stores a record will touch are told its key
 * before it is processed, so that their entries are being fetched from
 * memory meanwhile. A single pipe can only hint its own record, just
 * before processing it; a list hints the records ahead as the stream
 * thread does with its queues (task.c): the hash slot of the record four
 * ahead, the entry of the record two ahead. A hint never changes
 * behaviour. */
#include <stdlib.h>
#include <string.h>

#include "dsl/dsl.h"
#include "testdriver/driver_int.h"

#define LIST_DEEP 2    /* records ahead whose store entries are fetched */
#define LIST_SHALLOW 4 /* records ahead whose hash slots are fetched */

/* Arguments of one record; the topic is checked by the caller. */
static kstream_err_t check_record(kstream_test_driver_t *drv,
                                  const kstream_test_record_t *r)
{
    if (r->partition < -1)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                            "partition %d is invalid", (int)r->partition);
    if (r->timestamp < 0)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_TIMESTAMP,
                            "timestamp %lld is negative",
                            (long long)r->timestamp);
    if (r->nheaders && !r->headers)
        return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG, "headers is NULL");
    for (size_t i = 0; i < r->nheaders; i++)
        if (!r->headers[i].name)
            return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                                "header %zu has no name", i);
    return KSTREAM_OK;
}

static kstream_err_t check_topic(kstream_test_driver_t *drv, const char *topic)
{
    /* Pipes mostly go to one topic: its name is checked once. */
    if (!topic || !topic[0] || strcmp(topic, drv->piped) != 0) {
        if (!topic || !ks_dsl_topic_valid(topic))
            return ks_drv_error(drv, KSTREAM_ERR_INVALID_ARG,
                                "invalid topic name");
        snprintf(drv->piped, sizeof(drv->piped), "%s", topic);
    }
    return KSTREAM_OK;
}

/* The partition a record goes to: its own, or by key (-1 when unknown: a
 * NULL key, or a topic the sim does not have yet). parts is the topic's
 * partition count when the caller knows it (sim topics never go away nor
 * change their count), else 0: a lookup by name. */
static int32_t record_partition(kstream_test_driver_t *drv, const char *topic,
                                int32_t parts, const kstream_test_record_t *r)
{
    if (!r->key || r->partition >= 0)
        return r->key ? r->partition : -1;
    if (parts <= 0)
        return ks_sim_key_partition(drv->sim, topic, r->key, r->key_len);
    return parts == 1 ? 0 : ks_partition_for_key(r->key, r->key_len, parts);
}

/* The queue of the live instance that will process a record with this key
 * in partition p, for hints; NULL when there is none. */
static const ks_rqueue_t *hint_queue(kstream_test_driver_t *drv,
                                     const char *topic, int32_t p)
{
    for (size_t i = 0; p >= 0 && i < drv->insts.len; i++) {
        ks_drv_inst_t *in = drv->insts.items[i];
        const ks_rqueue_t *q = ks_drv_inst_live(in)
                                       ? ks_thread_hint_queue(in->th, topic, p)
                                       : NULL;
        if (q)
            return q;
    }
    return NULL;
}

static void hint(kstream_test_driver_t *drv, const char *topic, int32_t parts,
                 const kstream_test_record_t *r, bool deep)
{
    const ks_rqueue_t *q =
            hint_queue(drv, topic, record_partition(drv, topic, parts, r));
    if (q)
        ks_rqueue_hint(q, r->key, r->key_len, deep);
}

/* Store one checked record, hinting it around the store when hint_own, and
 * process everything it causes. */
static kstream_err_t pipe_one(kstream_test_driver_t *drv, const char *topic,
                              const kstream_test_record_t *r, bool hint_own)
{
    const ks_rqueue_t *hq =
            hint_own ? hint_queue(drv, topic,
                                  record_partition(drv, topic, 0, r))
                     : NULL;
    if (hq)
        ks_rqueue_hint(hq, r->key, r->key_len, false);
    ks_out_t out = {.topic = topic,
                    .partition = r->partition,
                    .key = r->key,
                    .key_len = r->key ? r->key_len : 0,
                    .value = r->value,
                    .value_len = r->value ? r->value_len : 0,
                    .timestamp = r->timestamp,
                    .headers = r->headers,
                    .nheaders = r->nheaders};
    kstream_err_t err = ks_sim_append(drv->sim, &out, NULL, NULL);
    if (err)
        return ks_drv_error(drv, err, "pipe to '%s' [%d]: %s", topic,
                            (int)r->partition, kstream_err2str(err));
    if (hq)
        ks_rqueue_hint(hq, r->key, r->key_len, true);
    return ks_drv_settle(drv);
}

kstream_err_t kstream_test_driver_pipe_ex(kstream_test_driver_t *drv,
                                          const char *topic,
                                          int32_t partition, const void *key,
                                          size_t key_len, const void *value,
                                          size_t value_len, int64_t timestamp,
                                          const kstream_header_t *headers,
                                          size_t nheaders)
{
    if (!drv)
        return KSTREAM_ERR_INVALID_ARG;
    kstream_test_record_t r = {.key = key,
                               .key_len = key_len,
                               .value = value,
                               .value_len = value_len,
                               .timestamp = timestamp,
                               .partition = partition,
                               .headers = headers,
                               .nheaders = nheaders};
    kstream_err_t err = check_topic(drv, topic);
    if (!err)
        err = check_record(drv, &r);
    if (!err)
        err = ks_drv_start(drv);
    if (err)
        return err;
    return pipe_one(drv, topic, &r, true);
}

kstream_err_t kstream_test_driver_pipe(kstream_test_driver_t *drv,
                                       const char *topic, const void *key,
                                       size_t key_len, const void *value,
                                       size_t value_len, int64_t timestamp)
{
    return kstream_test_driver_pipe_ex(drv, topic, -1, key, key_len, value,
                                       value_len, timestamp, NULL, 0);
}

kstream_err_t kstream_test_driver_pipe_list(kstream_test_driver_t *drv,
                                            const char *topic,
                                            const kstream_test_record_t *recs,
                                            size_t n, size_t *piped)
{
    if (piped)
        *piped = 0;
    if (!drv || (n && !recs))
        return KSTREAM_ERR_INVALID_ARG;
    kstream_err_t err = check_topic(drv, topic);
    if (!err && n)
        err = ks_drv_start(drv);
    if (err)
        return err;
    /* The topic's partition count, once it exists (a pipe may create
     * it), so that the hints ahead do not look it up by name. */
    int32_t parts = ks_sim_partitions(drv->sim, topic);
    /* The first records are hinted before the loop reaches them. */
    for (size_t k = 0; k < n && k < LIST_SHALLOW; k++)
        hint(drv, topic, parts, &recs[k], k < LIST_DEEP);
    for (size_t i = 0; i < n; i++) {
        if ((err = check_record(drv, &recs[i])) != KSTREAM_OK)
            return err;
        if (parts <= 0)
            parts = ks_sim_partitions(drv->sim, topic);
        if (i + LIST_SHALLOW < n)
            hint(drv, topic, parts, &recs[i + LIST_SHALLOW], false);
        if (i + LIST_DEEP < n)
            hint(drv, topic, parts, &recs[i + LIST_DEEP], true);
        if ((err = pipe_one(drv, topic, &recs[i], false)) != KSTREAM_OK)
            return err;
        if (piped)
            *piped = i + 1;
    }
    return KSTREAM_OK;
}
