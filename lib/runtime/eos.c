/* eos.c - exactly_once_v2 on a stream thread (Kafka Streams' EOS-v2
 * StreamsProducer and TaskManager's handling of corrupted and migrated
 * tasks): one transactional producer per thread, a transaction opened by
 * the first record of a commit interval, and recovery when a transaction
 * fails. The commit itself is in commit.c.
 *
 * Recovery, by the error a transaction ends with:
 *   KSTREAM_ERR_TXN_ABORTABLE  abort it;
 *   KSTREAM_ERR_FENCED         (another producer took the transactional
 *                              id over, or the group moved on) and
 *   KSTREAM_ERR_TXN_UNKNOWN    (a commit whose outcome is unknown): make
 *                              the producer again and register it, which
 *                              completes or aborts what the old one left;
 *   KSTREAM_ERR_FATAL          stop the thread with the error.
 * Then every task is closed dirty - its caches and the transactional
 * layers of its stores drop what the transaction wrote, so local state is
 * that of the last commit - and made again: its stores restore what they
 * miss from their changelogs (read committed), its input is read again
 * from the group's committed offsets. */
#include <string.h>

#include "runtime/runtime.h"

bool ks_err_txn(kstream_err_t err)
{
    return err == KSTREAM_ERR_TXN_ABORTABLE || err == KSTREAM_ERR_FENCED ||
           err == KSTREAM_ERR_TXN_UNKNOWN || err == KSTREAM_ERR_FATAL;
}

static kstream_err_t fail(ks_thread_t *th, kstream_err_t err,
                          const char *what)
{
    if (!th->failed) {
        th->failed = true;
        th->error_code = err;
        /* The client's own words (librdkafka's error, the call that
         * failed), so that the message names the cause. */
        const char *why = th->client && th->client->ops->txn_error
                                  ? th->client->ops->txn_error(th->client)
                                  : "";
        snprintf(th->error, sizeof(th->error), "%s: %s%s%s%s", what,
                 kstream_err2str(err), *why ? " (" : "", why,
                 *why ? ")" : "");
        ks_log(&th->log, KS_LOG_ERR, "EOS", "%s", th->error);
    }
    return th->error_code;
}

kstream_err_t ks_thread_txn_begin(ks_thread_t *th)
{
    kstream_err_t err = th->client->ops->txn_begin(th->client);
    if (!err) {
        th->txn_open = true;
        return KSTREAM_OK;
    }
    if (ks_err_txn(err))
        return err;
    /* Not an outcome the runtime knows how to recover from: a bug or a
     * client in a state it should not be in. */
    fail(th, err, "beginning a transaction failed");
    return KSTREAM_ERR_FATAL;
}

kstream_err_t ks_thread_produce(ks_thread_t *th, const ks_out_t *out)
{
    if (th->eos) {
        if (th->closing_dirty)
            return KSTREAM_ERR_STATE;
        if (!th->txn_open) {
            kstream_err_t err = ks_thread_txn_begin(th);
            if (err)
                return err;
        }
    }
    return th->client->ops->produce(th->client, out);
}

kstream_err_t ks_thread_eos_init(ks_thread_t *th)
{
    if (!th->eos)
        return KSTREAM_OK;
    if (!th->client->ops->txn_init)
        return fail(th, KSTREAM_ERR_STATE,
                    "processing.guarantee is exactly_once_v2 but the "
                    "thread's client is not transactional");
    kstream_err_t err = th->client->ops->txn_init(th->client,
                                                  (int)th->api_timeout_ms);
    if (err)
        return fail(th, err, "registering the transactional producer "
                             "(InitProducerId) failed");
    return KSTREAM_OK;
}

kstream_err_t ks_thread_eos_recover(ks_thread_t *th, kstream_err_t err,
                                    bool again)
{
    ks_client_t *c = th->client;
    int timeout = (int)th->api_timeout_ms;
    if (th->failed)
        return th->error_code;
    if (err == KSTREAM_ERR_FATAL || !ks_err_txn(err))
        return fail(th, err, "the transaction failed");
    if (th->txn_open)
        th->m.txn_aborts++;
    if (err == KSTREAM_ERR_TXN_ABORTABLE && th->txn_open) {
        kstream_err_t aerr = c->ops->txn_abort(c, timeout);
        if (aerr == KSTREAM_ERR_FATAL || (aerr && !ks_err_txn(aerr)))
            return fail(th, aerr, "aborting the transaction failed");
        if (aerr) /* fenced or unknown: the producer is made again */
            err = aerr;
    }
    th->txn_open = false;
    ks_log(&th->log, KS_LOG_WARNING, "EOS",
           "transaction failed (%s): aborted; tasks closed and their input "
           "rewound to the committed offsets",
           kstream_err2str(err));
    if (err != KSTREAM_ERR_TXN_ABORTABLE) {
        kstream_err_t rerr = c->ops->txn_reset(c);
        if (!rerr)
            rerr = c->ops->txn_init(c, timeout);
        if (rerr)
            return fail(th, rerr, "making the transactional producer again "
                                  "failed");
    }
    kstream_err_t rerr = ks_thread_revive_tasks(th, again);
    if (rerr)
        return fail(th, rerr, "making the tasks again after an aborted "
                              "transaction failed");
    return KSTREAM_OK;
}
