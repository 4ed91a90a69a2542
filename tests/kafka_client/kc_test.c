/* kc_test.c - helpers of the librdkafka client tests (see kc_test.h). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kc_test.h"
#include "util/util.h"

struct kc_mock {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mcluster;
};

kc_mock_t *kc_mock_new(const char *topic, int partitions, ...) {
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kc_mock_t *m = calloc(1, sizeof(*m));
    va_list ap;

    cr_assert(m != NULL);
    cr_assert(rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                                sizeof(errstr)) == RD_KAFKA_CONF_OK);
    /* The mock's own handle logs nothing useful to a test. */
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    cr_assert(m->rk != NULL, "%s", errstr);
    m->mcluster = rd_kafka_mock_cluster_new(m->rk, 1);
    cr_assert(m->mcluster != NULL);
    va_start(ap, partitions);
    while (topic) {
        cr_assert(rd_kafka_mock_topic_create(m->mcluster, topic, partitions,
                                             1) == 0);
        topic = va_arg(ap, const char *);
        if (topic)
            partitions = va_arg(ap, int);
    }
    va_end(ap);
    return m;
}

const char *kc_mock_bootstraps(const kc_mock_t *m) {
    return rd_kafka_mock_cluster_bootstraps(m->mcluster);
}

void kc_mock_destroy(kc_mock_t *m) {
    if (!m)
        return;
    rd_kafka_mock_cluster_destroy(m->mcluster);
    rd_kafka_destroy(m->rk);
    free(m);
}

void kc_conf_set(kstream_conf_t *conf, const char *key, const char *value) {
    char errstr[256] = "";

    cr_assert(kstream_conf_set(conf, key, value, errstr, sizeof(errstr)) ==
                      KSTREAM_CONF_OK,
              "%s: %s", key, errstr);
}

kstream_conf_t *kc_conf_new(const kc_mock_t *m, const char *app_id) {
    kstream_conf_t *conf = kstream_conf_new();

    cr_assert(conf != NULL);
    kc_conf_set(conf, "application.id", app_id);
    kc_conf_set(conf, "bootstrap.servers", m ? kc_mock_bootstraps(m)
                                             : "localhost:1");
    kc_conf_set(conf, "consumer.session.timeout.ms", "3000");
    kc_conf_set(conf, "consumer.heartbeat.interval.ms", "300");
    kc_conf_set(conf, "consumer.fetch.wait.max.ms", "10");
    kc_conf_set(conf, "log.level", "4");
    /* KC_TEST_DEBUG=cgrp,fetch,...: librdkafka's debug contexts, logged. */
    if (getenv("KC_TEST_DEBUG")) {
        kc_conf_set(conf, "consumer.debug", getenv("KC_TEST_DEBUG"));
        kc_conf_set(conf, "log.level", "7");
    }
    return conf;
}

/* ---- events ------------------------------------------------------------- */

static void ev_assigned(void *owner, const ks_tp_t *tps, size_t n) {
    kc_events_t *ev = owner;

    ev->assigned_calls++;
    ev->nassigned = (int)n;
    for (size_t i = 0; i < n && i < 64; i++) {
        ev->assigned_parts[i] = tps[i].partition;
        ev->committed_in_assign[i] = -2;
        /* What thread.c does: read the committed offset in the event. */
        if (ev->client &&
            ev->client->ops->committed(ev->client, &tps[i],
                                       &ev->committed_in_assign[i]))
            ev->committed_in_assign[i] = -3;
    }
}

static void ev_revoked(void *owner, const ks_tp_t *tps, size_t n) {
    kc_events_t *ev = owner;

    if (ev->revoked_calls++ == 0)
        ev->first_nrevoked = (int)n;
    ev->nrevoked = (int)n;
    /* What thread.c does: commit while the partitions are still ours. */
    for (size_t i = 0; ev->commit_on_revoke && i < n; i++) {
        ks_tp_offset_t off = {tps[i].topic, tps[i].partition, 2};
        kstream_err_t err = ev->client->ops->commit(ev->client, &off, 1);
        ev->revoke_commits++;
        if (err && !ev->revoke_commit_err)
            ev->revoke_commit_err = err;
    }
}

static void ev_failed(void *owner, const ks_out_t *out, kstream_err_t err,
                      const char *reason) {
    kc_events_t *ev = owner;

    (void)reason;
    ev->delivery_failed++;
    ev->last_failed_err = err;
    ev->last_failed_partition = out->partition;
}

ks_client_events_t kc_events_of(kc_events_t *ev) {
    ks_client_events_t e = {ev_assigned, ev_revoked, ev_failed, ev};
    return e;
}

/* ---- polling ------------------------------------------------------------ */

static void copy_str(char *dst, size_t size, const void *src, size_t len) {
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void copy_rec(kc_rec_t *r, const ks_msg_t *m) {
    memset(r, 0, sizeof(*r));
    copy_str(r->topic, sizeof(r->topic), m->topic, strlen(m->topic));
    r->partition = m->partition;
    r->offset = m->offset;
    r->timestamp = m->timestamp;
    r->has_key = m->key != NULL;
    r->has_value = m->value != NULL;
    if (m->key)
        copy_str(r->key, sizeof(r->key), m->key, m->key_len);
    if (m->value)
        copy_str(r->value, sizeof(r->value), m->value, m->value_len);
    r->nheaders = (int)m->nheaders;
    for (size_t i = 0; i < m->nheaders && i < 4; i++) {
        copy_str(r->hname[i], 16, m->headers[i].name,
                 strlen(m->headers[i].name));
        r->hnull[i] = m->headers[i].value == NULL;
        if (m->headers[i].value)
            copy_str(r->hvalue[i], 16, m->headers[i].value,
                     m->headers[i].len);
    }
}

int kc_poll_records(ks_client_t *c, kc_rec_t *recs, int want,
                    int timeout_ms) {
    int64_t end = ks_clock_mono_ms() + timeout_ms;
    ks_msg_t msgs[16];
    int got = 0;

    while (got < want && ks_clock_mono_ms() < end) {
        size_t n = 0;
        cr_assert(eq(int, c->ops->poll(c, msgs, 16, &n, 50), KSTREAM_OK));
        for (size_t i = 0; i < n; i++)
            if (got < want)
                copy_rec(&recs[got++], &msgs[i]);
        c->ops->release(c, msgs, n);
    }
    return got;
}

int kc_poll_count(ks_client_t *c, int ms) {
    int64_t end = ks_clock_mono_ms() + ms;
    ks_msg_t msgs[16];
    int got = 0;

    while (ks_clock_mono_ms() < end) {
        size_t n = 0;
        cr_assert(eq(int, c->ops->poll(c, msgs, 16, &n, 20), KSTREAM_OK));
        got += (int)n;
        c->ops->release(c, msgs, n);
    }
    return got;
}

bool kc_poll_until(ks_client_t *c, kc_events_t *ev,
                   bool (*pred)(const kc_events_t *ev), int timeout_ms) {
    int64_t end = ks_clock_mono_ms() + timeout_ms;
    ks_msg_t msgs[16];

    while (!pred(ev) && ks_clock_mono_ms() < end) {
        size_t n = 0;
        cr_assert(eq(int, c->ops->poll(c, msgs, 16, &n, 50), KSTREAM_OK));
        c->ops->release(c, msgs, n);
    }
    return pred(ev);
}

kstream_err_t kc_produce(ks_client_t *c, const char *topic, int32_t partition,
                         const char *key, const char *value, int64_t ts) {
    ks_out_t out = {.topic = topic,
                    .partition = partition,
                    .key = key,
                    .key_len = key ? strlen(key) : 0,
                    .value = value,
                    .value_len = value ? strlen(value) : 0,
                    .timestamp = ts};
    return c->ops->produce(c, &out);
}

ks_client_t *kc_client_new(const kstream_conf_t *conf, ks_client_kind_t kind) {
    char errstr[512] = "";
    ks_client_t *c = ks_kafka_client_new(conf, kind, 1, NULL, NULL, errstr,
                                         sizeof(errstr));
    cr_assert(c != NULL, "%s", errstr);
    return c;
}

void kc_fill(ks_client_t *producer, const char *topic, int32_t p, int n,
             const char *prefix) {
    char value[32];

    for (int i = 0; i < n; i++) {
        snprintf(value, sizeof(value), "%s%d", prefix, i);
        cr_assert(eq(int, kc_produce(producer, topic, p, NULL, value, 10 + i),
                     KSTREAM_OK));
    }
    cr_assert(eq(int, producer->ops->flush(producer, 20000), KSTREAM_OK));
}
