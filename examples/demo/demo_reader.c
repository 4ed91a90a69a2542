/* demo_reader.c - one read_committed consumer of every output topic, from
 * the beginning, with no consumer group (partitions assigned directly). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

typedef struct rtopic {
    char *name;
    int32_t partitions;
    bool *at_end; /* per partition: reached its end, nothing since */
    demo_recs_t recs;
} rtopic_t;

struct demo_reader {
    rd_kafka_t *rk;
    rtopic_t *t;
    size_t nt;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void demo_reader_destroy(demo_reader_t *r)
{
    if (!r)
        return;
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    for (size_t i = 0; i < r->nt; i++) {
        free(r->t[i].name);
        free(r->t[i].at_end);
        demo_recs_free(&r->t[i].recs);
    }
    free(r->t);
    free(r);
}

/* The partition count of \p topic from the cluster's metadata. */
static int32_t partitions_of(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    if (rkt && !rd_kafka_metadata(rk, 0, rkt, &md, 10000) &&
        md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return n;
}

demo_reader_t *demo_reader_new(const char *bootstrap,
                               const char *const *topics, size_t ntopics,
                               char *errstr, size_t errstr_size)
{
    static const char *const kv[][2] = {
            {"group.id", "kstream-demo-reader"},
            {"enable.auto.commit", "false"},
            {"isolation.level", "read_committed"},
            {"enable.partition.eof", "true"},
            {"auto.offset.reset", "earliest"}};
    demo_reader_t *r = calloc(1, sizeof(*r));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!r || !conf || !bootstrap || !topics || !ntopics ||
        !(r->t = calloc(ntopics, sizeof(*r->t)))) {
        snprintf(errstr, errstr_size, "reader: bad arguments or no memory");
        goto fail;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                          errstr_size))
        goto fail;
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, errstr_size))
            goto fail;
    if (!(r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
                               errstr_size)))
        goto fail;
    conf = NULL; /* the consumer owns it */
    rd_kafka_poll_set_consumer(r->rk);
    rd_kafka_topic_partition_list_t *tps =
            rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < ntopics; i++, r->nt++) {
        rtopic_t *t = &r->t[i];
        t->name = strdup(topics[i]);
        t->partitions = partitions_of(r->rk, topics[i]);
        if (!t->name || t->partitions < 1 ||
            !(t->at_end = calloc((size_t)t->partitions, sizeof(bool)))) {
            snprintf(errstr, errstr_size, "reader: no topic %s", topics[i]);
            r->nt++;
            rd_kafka_topic_partition_list_destroy(tps);
            goto fail;
        }
        for (int32_t p = 0; p < t->partitions; p++)
            rd_kafka_topic_partition_list_add(tps, topics[i], p)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(r->rk, tps);
    rd_kafka_topic_partition_list_destroy(tps);
    if (err) {
        snprintf(errstr, errstr_size, "reader: assign: %s",
                 rd_kafka_err2str(err));
        goto fail;
    }
    return r;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    demo_reader_destroy(r);
    return NULL;
}

static rtopic_t *find(demo_reader_t *r, const char *name)
{
    for (size_t i = 0; i < r->nt; i++)
        if (!strcmp(r->t[i].name, name))
            return &r->t[i];
    return NULL;
}

/* One message (or event). @returns 1 for a record or an end, 0 for none,
 * -1 on an error. */
static int read_one(demo_reader_t *r, int timeout_ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, timeout_ms);
    if (!m)
        return 0;
    rtopic_t *t = m->rkt ? find(r, rd_kafka_topic_name(m->rkt)) : NULL;
    int rc = 1;
    bool in = t && m->partition >= 0 && m->partition < t->partitions;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (in)
            t->at_end[m->partition] = true;
    } else if (m->err) {
        fprintf(stderr, "reader: %s\n", rd_kafka_message_errstr(m));
        rc = -1;
    } else if (in) {
        t->at_end[m->partition] = false;
        rd_kafka_timestamp_type_t tt;
        if (demo_recs_add(&t->recs, m->key, m->key_len, m->payload, m->len,
                          rd_kafka_message_timestamp(m, &tt))) {
            fprintf(stderr, "reader: out of memory\n");
            rc = -1;
        }
    }
    rd_kafka_message_destroy(m);
    return rc;
}

int demo_reader_poll(demo_reader_t *r, int timeout_ms)
{
    if (!r)
        return -1;
    int rc = read_one(r, timeout_ms);
    for (int i = 0; rc == 1 && i < 100000; i++)
        rc = read_one(r, 0);
    return rc < 0 ? -1 : 0;
}

static bool all_at_end(const demo_reader_t *r)
{
    for (size_t i = 0; i < r->nt; i++)
        for (int32_t p = 0; p < r->t[i].partitions; p++)
            if (!r->t[i].at_end[p])
                return false;
    return true;
}

int demo_reader_drain(demo_reader_t *r, int timeout_ms)
{
    if (!r)
        return -1;
    /* An end seen earlier is only stale when records came after it, and
     * those arrive within a few fetches: read for 1.5 s at least, until
     * every partition is at its end and nothing came for 0.5 s. */
    int64_t start = mono_ms(), last = start;
    while (mono_ms() < start + timeout_ms) {
        int rc = read_one(r, 100);
        if (rc < 0)
            return -1;
        if (rc > 0)
            last = mono_ms();
        if (all_at_end(r) && mono_ms() - start >= 1500 &&
            mono_ms() - last >= 500)
            return 0;
    }
    return -1;
}

const demo_recs_t *demo_reader_records(const demo_reader_t *r, size_t i)
{
    return r && i < r->nt ? &r->t[i].recs : NULL;
}
