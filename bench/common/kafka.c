/* kafka.c - see kafka.h. Helpers of the Kafka-runtime benchmarks.
 *
 * Settings. DEV-CLUSTER.md's fast settings: TCP_NODELAY, fetch.wait.max.ms
 * 10 (the mock does not wake a parked fetch), consumer queue limits above
 * a run's input (see the table for the librdkafka 2.0.2 stall this
 * avoids), linger.ms 5, and 3 s sessions with 300 ms heartbeats for quick
 * group joins. Producers learn their output topic's metadata before the
 * run (kb_producer_prime; the app's threads do it by themselves), not by
 * a short metadata refresh interval: 2.0.2's main thread spins through
 * the last millisecond before each timer, so a 10 ms refresh kept every
 * producer's main thread busy. The same table goes to the raw
 * clients and, as "consumer."/"producer." pass-through keys, to the app's
 * clients; rows marked raw-only repeat what the app sets by itself
 * (kafka_conf.c), so that the raw clients behave as the app's do.
 *
 * The reader. The end of a run is when the last output record can be read
 * back from the cluster: a consumer of its own (assign from the beginning,
 * never committing) reads the output topic while the pipe runs and notes
 * the time at which it has read every expected record (KB_READ_RECORDS)
 * or, for a count, at which the latest count of every key sums to the
 * number of input records (KB_READ_COUNTS). It runs alike for the raw pipe
 * and the app, in the same process, so both pay for it. */
#include "kafka.h"
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAW_ONLY 4 /* the app sets this itself */
#define C KB_CONSUMER
#define P KB_PRODUCER

typedef struct kb_setting_s {
    const char *key, *value;
    int role; /* KB_CONSUMER or KB_PRODUCER, | RAW_ONLY */
} kb_setting_t;

static const kb_setting_t kb_settings[] = {
        {"socket.nagle.disable", "true", C},
        {"socket.nagle.disable", "true", P},
        {"reconnect.backoff.max.ms", "1000", C},
        {"reconnect.backoff.max.ms", "1000", P},
        {"fetch.wait.max.ms", "10", C},
        /* 2.0.2 stops fetching once the consumer's queue holds this many
         * messages or bytes (the partitions' fetch queues forward into one
         * queue, so the whole consumer counts) and wakes up to fetch again
         * only up to 1 s later: the app's 100000 is hit by any backlog
         * larger than that. Above the input of a run: prefetch it all. */
        {"queued.min.messages", "10000000", C},
        {"queued.max.messages.kbytes", "2097151", C},
        {"session.timeout.ms", "3000", C},
        {"heartbeat.interval.ms", "300", C},
        {"linger.ms", "5", P},
        {"batch.num.messages", "10000", P},
        /* What the app's clients get by default (kafka_conf.c). */
        {"enable.auto.commit", "false", C | RAW_ONLY},
        {"enable.auto.offset.store", "false", C | RAW_ONLY},
        {"auto.offset.reset", "earliest", C | RAW_ONLY},
        {"enable.partition.eof", "false", C | RAW_ONLY},
        {"partition.assignment.strategy", "range", C | RAW_ONLY},
        {"partitioner", "murmur2_random", P | RAW_ONLY},
};
#define KB_NSETTINGS (sizeof(kb_settings) / sizeof(kb_settings[0]))

static void rdset(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        bench_die("librdkafka %s=%s: %s", k, v, err);
}

rd_kafka_conf_t *kb_rdconf(const char *bootstrap, kb_role_t role,
                           const char *group)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rdset(c, "bootstrap.servers", bootstrap);
    rdset(c, "log_level", "3");
    for (size_t i = 0; i < KB_NSETTINGS; i++)
        if ((kb_settings[i].role & ~RAW_ONLY) == (int)role)
            rdset(c, kb_settings[i].key, kb_settings[i].value);
    if (group)
        rdset(c, "group.id", group);
    return c;
}

void kb_print_settings(const char *name)
{
    printf("%s: client settings (raw clients and app alike):", name);
    for (size_t i = 0; i < KB_NSETTINGS; i++)
        if (!(kb_settings[i].role & RAW_ONLY))
            printf(" %s.%s=%s",
                   kb_settings[i].role == KB_CONSUMER ? "consumer"
                                                      : "producer",
                   kb_settings[i].key, kb_settings[i].value);
    printf("; commit every %d ms\n", KB_COMMIT_MS);
}

void kb_conf_set(kstream_conf_t *conf, const char *key, const char *value)
{
    char errstr[512];
    if (kstream_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
        KSTREAM_CONF_OK)
        bench_die("conf %s=%s: %s", key, value, errstr);
}

kstream_conf_t *kb_app_conf(const char *bootstrap, const char *app_id,
                            const char *state_dir, bool fast)
{
    char key[256], ms[32];
    kstream_conf_t *conf = kstream_conf_new();
    if (!conf)
        bench_die("out of memory");
    snprintf(ms, sizeof(ms), "%d", KB_COMMIT_MS);
    kb_conf_set(conf, "application.id", app_id);
    kb_conf_set(conf, "bootstrap.servers", bootstrap);
    kb_conf_set(conf, "state.dir", state_dir);
    kb_conf_set(conf, "commit.interval.ms", ms);
    kb_conf_set(conf, "default.api.timeout.ms", "20000");
    kb_conf_set(conf, "log.level", "3");
    for (size_t i = 0; i < KB_NSETTINGS; i++) {
        const kb_setting_t *s = &kb_settings[i];
        bool group = strstr(s->key, "session.timeout") ||
                     strstr(s->key, "heartbeat");
        if (s->role & RAW_ONLY || !(fast || group))
            continue;
        snprintf(key, sizeof(key), "%s.%s",
                 s->role == KB_CONSUMER ? "consumer" : "producer", s->key);
        kb_conf_set(conf, key, s->value);
    }
    return conf;
}

/* ---- records ------------------------------------------------------------- */
static uint64_t kb_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void kb_make_key(uint32_t k, unsigned char *out)
{
    uint64_t a = kb_mix((uint64_t)k * 0x9e3779b97f4a7c15ull + 20240617u);
    uint64_t b = kb_mix(a);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 4);
    out[12] = (unsigned char)(k >> 24);
    out[13] = (unsigned char)(k >> 16);
    out[14] = (unsigned char)(k >> 8);
    out[15] = (unsigned char)k;
}

uint32_t kb_key_index(const void *key, size_t len)
{
    const unsigned char *p = key;
    unsigned char want[KB_KEY_LEN];
    if (!p || len != KB_KEY_LEN)
        return UINT32_MAX;
    uint32_t k = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 |
                 (uint32_t)p[14] << 8 | p[15];
    kb_make_key(k, want);
    return memcmp(p, want, KB_KEY_LEN) == 0 ? k : UINT32_MAX;
}

/* ---- cluster, producer, loader ------------------------------------------- */
kstream_dev_cluster_t *kb_cluster(int brokers)
{
    char errstr[512];
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(brokers, errstr,
                                                        sizeof(errstr));
    if (!dc)
        bench_die("dev cluster: %s", errstr);
    return dc;
}

void kb_create_topic(kstream_dev_cluster_t *dc, const char *topic,
                     int32_t partitions)
{
    kstream_err_t err = kstream_dev_cluster_create_topic(dc, topic,
                                                         partitions);
    if (err)
        bench_die("create topic %s: %s", topic, kstream_err2name(err));
}

static void kb_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                     void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        bench_die("delivery to %s [%d] failed: %s",
                  rd_kafka_topic_name(m->rkt), (int)m->partition,
                  rd_kafka_err2str(m->err));
}

rd_kafka_t *kb_producer(const char *bootstrap)
{
    return kb_producer_batched(bootstrap, NULL);
}

rd_kafka_t *kb_producer_batched(const char *bootstrap, const char *batch_size)
{
    char err[512];
    rd_kafka_conf_t *c = kb_rdconf(bootstrap, KB_PRODUCER, NULL);
    if (batch_size)
        rdset(c, "batch.size", batch_size);
    rd_kafka_conf_set_dr_msg_cb(c, kb_dr_cb);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!p)
        bench_die("producer: %s", err);
    return p;
}

void kb_produce(rd_kafka_t *p, const char *topic, int32_t partition,
                const void *key, size_t klen, const void *value, size_t vlen,
                int64_t timestamp)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY(key, klen),
                RD_KAFKA_V_VALUE((void *)value, vlen),
                RD_KAFKA_V_TIMESTAMP(timestamp),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!err)
            return;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            bench_die("produce to %s: %s", topic, rd_kafka_err2str(err));
        rd_kafka_poll(p, 10); /* as the app's client does */
    }
}

void kb_producer_prime(rd_kafka_t *p, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p, topic, NULL);
    if (!rkt)
        bench_die("topic %s: %s", topic,
                  rd_kafka_err2str(rd_kafka_last_error()));
    rd_kafka_resp_err_t err = rd_kafka_metadata(p, 0, rkt, &md, 10000);
    if (err)
        bench_die("metadata of %s: %s", topic, rd_kafka_err2str(err));
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt); /* the producer keeps the topic */
}

void kb_flush(rd_kafka_t *p)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p, 60000);
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    rd_kafka_poll(p, 0);
}

void kb_check_topic(const char *bootstrap, const char *topic,
                    int32_t partitions, uint64_t n)
{
    rd_kafka_t *h = kb_producer(bootstrap);
    uint64_t sum = 0;
    for (int32_t i = 0; i < partitions; i++) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                h, topic, i, &lo, &hi, 10000);
        if (err)
            bench_die("watermarks of %s [%d]: %s", topic, (int)i,
                      rd_kafka_err2str(err));
        if (lo != 0)
            bench_die("%s [%d] lost its oldest records to the mock's "
                      "retention (low watermark %lld): use more partitions",
                      topic, (int)i, (long long)lo);
        sum += (uint64_t)hi;
    }
    rd_kafka_destroy(h);
    if (sum != n)
        bench_die("%s holds %llu records, expected %llu", topic,
                  (unsigned long long)sum, (unsigned long long)n);
}

#define KB_NVALUES 4096

double kb_load(const char *name, const char *bootstrap, const char *topic,
               int32_t partitions, uint64_t n, const uint32_t *seq)
{
    return kb_load_batched(name, bootstrap, topic, partitions, n, seq, NULL);
}

double kb_load_batched(const char *name, const char *bootstrap,
                       const char *topic, int32_t partitions, uint64_t n,
                       const uint32_t *seq, const char *batch_size)
{
    uint64_t st = 1234567;
    unsigned char *values = malloc((size_t)KB_NVALUES * KB_VALUE_LEN);
    if (!values)
        bench_die("out of memory");
    bench_fill(&st, values, (size_t)KB_NVALUES * KB_VALUE_LEN);
    rd_kafka_t *p = kb_producer_batched(bootstrap, batch_size);
    kb_producer_prime(p, topic);
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        unsigned char key[KB_KEY_LEN];
        kb_make_key(seq ? seq[i] : (uint32_t)i, key);
        kb_produce(p, topic, RD_KAFKA_PARTITION_UA, key, KB_KEY_LEN,
                   values + (i % KB_NVALUES) * KB_VALUE_LEN, KB_VALUE_LEN, 0);
        if (i % 1024 == 0)
            rd_kafka_poll(p, 0);
    }
    kb_flush(p);
    uint64_t t1 = bench_now_ns();
    rd_kafka_destroy(p);
    free(values);
    kb_check_topic(bootstrap, topic, partitions, n);
    double rate = (double)n * 1e9 / (double)(t1 - t0);
    printf("%s: loaded %llu records (16 B keys, 100 B values) into %s "
           "(%d partitions) with a raw producer%s%s%s: %.2f s, "
           "%.0f k rec/s\n",
           name, (unsigned long long)n, topic, (int)partitions,
           batch_size ? " (batch.size " : "", batch_size ? batch_size : "",
           batch_size ? ")" : "", (double)(t1 - t0) / 1e9, rate / 1e3);
    fflush(stdout);
    return rate;
}

/* ---- the reader ---------------------------------------------------------- */
struct kb_reader_s {
    pthread_t tid;
    rd_kafka_t *rk;
    kb_read_mode_t mode;
    uint64_t warm, target;
    uint32_t nkeys;
    uint64_t *latest; /* KB_READ_COUNTS: latest count by key */
    uint64_t sum;     /* of latest[] */
    kb_read_result_t res; /* warm_* and end_* atomic */
    int stop;             /* atomic */
};

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void reader_count(kb_reader_t *r, const rd_kafka_message_t *m)
{
    uint32_t k = kb_key_index(m->key, m->key_len);
    if (k >= r->nkeys)
        bench_die("reader: a count of an unknown key (%zu bytes)",
                  m->key_len);
    if (!m->payload || m->len != 8)
        bench_die("reader: a count value of %zu bytes", m->len);
    uint64_t c = be64(m->payload);
    if (c > r->latest[k]) {
        r->sum += c - r->latest[k];
        r->latest[k] = c;
    }
}

static void reader_mark(uint64_t *ns, uint64_t *cpu)
{
    if (__atomic_load_n(ns, __ATOMIC_ACQUIRE))
        return;
    __atomic_store_n(cpu, kb_proc_cpu_ns(), __ATOMIC_RELAXED);
    __atomic_store_n(ns, bench_now_ns(), __ATOMIC_RELEASE);
}

static void *reader_main(void *arg)
{
    kb_reader_t *r = arg;
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(r->rk);
    rd_kafka_message_t *msgs[1024];
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        /* Waits until 1024 messages or 1 ms: the end is seen within 1 ms
         * of the last record's arrival. */
        ssize_t n = rd_kafka_consume_batch_queue(q, 1, msgs, 1024);
        if (n < 0)
            bench_die("reader: %s", rd_kafka_err2str(rd_kafka_last_error()));
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "reader: %s\n",
                            rd_kafka_message_errstr(m));
            } else {
                r->res.records++;
                if (r->mode == KB_READ_COUNTS)
                    reader_count(r, m);
            }
            rd_kafka_message_destroy(m);
        }
        uint64_t have = r->mode == KB_READ_COUNTS ? r->sum : r->res.records;
        if (have >= r->warm)
            reader_mark(&r->res.warm_ns, &r->res.warm_cpu);
        if (have >= r->target)
            reader_mark(&r->res.end_ns, &r->res.end_cpu);
    }
    rd_kafka_queue_destroy(q);
    return NULL;
}

kb_reader_t *kb_reader_start(const char *bootstrap, const char *topic,
                             int32_t partitions, kb_read_mode_t mode,
                             uint64_t warm, uint64_t target, uint32_t nkeys)
{
    char err[512];
    kb_reader_t *r = calloc(1, sizeof(*r));
    if (!r)
        bench_die("out of memory");
    r->mode = mode;
    r->warm = warm;
    r->target = target;
    r->nkeys = nkeys;
    if (mode == KB_READ_COUNTS &&
        !(r->latest = calloc(nkeys, sizeof(*r->latest))))
        bench_die("out of memory");
    /* assign() wants a group.id in 2.0.2; the reader never commits. */
    char group[300];
    snprintf(group, sizeof(group), "bench-reader-%s", topic);
    rd_kafka_conf_t *c = kb_rdconf(bootstrap, KB_CONSUMER, group);
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!r->rk)
        bench_die("reader: %s", err);
    rd_kafka_poll_set_consumer(r->rk);
    rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(partitions);
    for (int32_t i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        bench_die("reader: assign: %s", rd_kafka_err2str(e));
    if (pthread_create(&r->tid, NULL, reader_main, r))
        bench_die("reader: pthread_create failed");
    return r;
}

bool kb_reader_done(kb_reader_t *r)
{
    return __atomic_load_n(&r->res.end_ns, __ATOMIC_ACQUIRE) != 0;
}

void kb_reader_finish(kb_reader_t *r, int timeout_ms, kb_read_result_t *res)
{
    uint64_t until = bench_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (!kb_reader_done(r) && bench_now_ns() < until)
        kb_sleep_ms(1);
    /* A little longer: duplicates (at-least-once) would show up here. */
    if (kb_reader_done(r))
        kb_sleep_ms(50);
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    pthread_join(r->tid, NULL);
    *res = r->res;
    if (!res->end_ns)
        fprintf(stderr, "reader: %llu of %llu after %d ms\n",
                (unsigned long long)(r->mode == KB_READ_COUNTS
                                             ? r->sum
                                             : r->res.records),
                (unsigned long long)r->target, timeout_ms);
    rd_kafka_consumer_close(r->rk);
    rd_kafka_destroy(r->rk);
    free(r->latest);
    free(r);
}

/* ---- the app ------------------------------------------------------------- */
static void kb_state_cb(kstream_state_t now, kstream_state_t old,
                        void *opaque)
{
    kb_app_t *a = opaque;
    (void)old;
    if (now == KSTREAM_STATE_RUNNING &&
        !__atomic_load_n(&a->running_ns, __ATOMIC_ACQUIRE))
        __atomic_store_n(&a->running_ns, bench_now_ns(), __ATOMIC_RELEASE);
    if (now == KSTREAM_STATE_ERROR)
        __atomic_store_n(&a->error, 1, __ATOMIC_RELEASE);
}

void kb_app_start(kb_app_t *a, const kstream_topology_t *topo,
                  const kstream_conf_t *conf,
                  const kstream_restore_listener_t *rl, void *rl_opaque)
{
    char errstr[1024];
    memset(a, 0, sizeof(*a));
    a->app = kstream_new(topo, conf, errstr, sizeof(errstr));
    if (!a->app)
        bench_die("kstream_new: %s", errstr);
    kstream_err_t err = kstream_set_state_listener(a->app, kb_state_cb, a);
    if (!err && rl)
        err = kstream_set_restore_listener(a->app, rl, rl_opaque);
    if (err)
        bench_die("listener: %s", kstream_err2name(err));
    err = kstream_start(a->app, errstr, sizeof(errstr));
    if (err)
        bench_die("kstream_start: %s: %s", kstream_err2name(err), errstr);
}

uint64_t kb_app_processed(kb_app_t *a)
{
    static const char field[] = "\"records_processed\":";
    char *json = kstream_stats_json(a->app);
    uint64_t sum = 0;
    if (!json)
        return 0;
    for (const char *p = strstr(json, field); p; p = strstr(p, field)) {
        p += sizeof(field) - 1;
        sum += strtoull(p, NULL, 10);
    }
    kstream_free(json);
    return sum;
}

static void kb_app_check(kb_app_t *a)
{
    char buf[1024];
    if (__atomic_load_n(&a->error, __ATOMIC_ACQUIRE) ||
        kstream_state(a->app) == KSTREAM_STATE_ERROR) {
        kstream_err_t err = kstream_last_error(a->app, buf, sizeof(buf));
        bench_die("the app failed: %s: %s", kstream_err2name(err), buf);
    }
}

void kb_app_stop(kb_app_t *a)
{
    kb_app_check(a);
    kstream_err_t err = kstream_close(a->app, 30000);
    if (err)
        bench_die("kstream_close: %s", kstream_err2name(err));
    kstream_destroy(a->app);
    a->app = NULL;
}

/* ---- probes -------------------------------------------------------------- */
uint64_t kb_proc_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

long kb_status_kib(const char *field)
{
    char line[256];
    size_t flen = strlen(field);
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            v = strtol(line + flen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

void kb_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

#define KB_MAX_TMPDIRS 8
static char *kb_tmpdirs[KB_MAX_TMPDIRS];
static pid_t kb_tmp_owner;

static int kb_rm(const char *path, const struct stat *sb, int type,
                 struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void kb_rm_tmpdirs(void)
{
    if (getpid() != kb_tmp_owner) /* a forked child leaves them */
        return;
    for (int i = 0; i < KB_MAX_TMPDIRS; i++)
        if (kb_tmpdirs[i])
            nftw(kb_tmpdirs[i], kb_rm, 16, FTW_DEPTH | FTW_PHYS);
}

char *kb_tmpdir(const char *tag)
{
    char tmpl[256];
    snprintf(tmpl, sizeof(tmpl), "/tmp/kstream-bench-%s-XXXXXX", tag);
    if (!mkdtemp(tmpl))
        bench_die("mkdtemp %s: %s", tmpl, strerror(errno));
    for (int i = 0; i < KB_MAX_TMPDIRS; i++) {
        if (kb_tmpdirs[i])
            continue;
        if (!(kb_tmpdirs[i] = strdup(tmpl)))
            bench_die("out of memory");
        if (!kb_tmp_owner) {
            kb_tmp_owner = getpid();
            atexit(kb_rm_tmpdirs);
        }
        return kb_tmpdirs[i];
    }
    bench_die("too many temp directories");
}
