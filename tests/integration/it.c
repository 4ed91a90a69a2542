/* it.c - integration test helpers (see it.h). */
#include "it.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int64_t it_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

kstream_dev_cluster_t *it_cluster(const char *const *topics)
{
    char errstr[512] = "";
    kstream_dev_cluster_t *dc = kstream_dev_cluster_new(3, errstr,
                                                        sizeof(errstr));
    cr_assert(dc != NULL, "dev cluster: %s", errstr);
    for (size_t i = 0; topics && topics[i]; i++) {
        char name[256];
        int parts = 1;
        const char *colon = strchr(topics[i], ':');
        size_t len = colon ? (size_t)(colon - topics[i]) : strlen(topics[i]);
        snprintf(name, sizeof(name), "%.*s", (int)len, topics[i]);
        if (colon)
            parts = atoi(colon + 1);
        cr_assert_eq(kstream_dev_cluster_create_topic(dc, name, parts),
                     KSTREAM_OK, "create topic %s", name);
    }
    return dc;
}

void it_set(kstream_conf_t *conf, const char *key, const char *value)
{
    char errstr[512] = "";
    cr_assert_eq(kstream_conf_set(conf, key, value, errstr, sizeof(errstr)),
                 KSTREAM_CONF_OK, "%s=%s: %s", key, value, errstr);
}

kstream_conf_t *it_conf(const kstream_dev_cluster_t *dc, const char *app_id,
                        const char *state_dir)
{
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(conf != NULL);
    it_set(conf, "application.id", app_id);
    it_set(conf, "bootstrap.servers", kstream_dev_cluster_bootstrap(dc));
    it_set(conf, "state.dir", state_dir);
    it_set(conf, "commit.interval.ms", "200");
    it_set(conf, "poll.ms", "50");
    it_set(conf, "default.api.timeout.ms", "10000");
    it_set(conf, "log.level", getenv("IT_DEBUG") ? "7" : "3");
    it_set(conf, "consumer.session.timeout.ms", "3000");
    it_set(conf, "consumer.heartbeat.interval.ms", "300");
    it_set(conf, "consumer.fetch.wait.max.ms", "10");
    it_set(conf, "consumer.reconnect.backoff.max.ms", "1000");
    it_set(conf, "producer.reconnect.backoff.max.ms", "1000");
    return conf;
}

char *it_tmpdir(void)
{
    char *d = strdup("/tmp/kstream-it-XXXXXX");
    cr_assert(d && mkdtemp(d), "mkdtemp");
    return d;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void it_rmdir(char *dir)
{
    if (!dir)
        return;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* ---- kcat ---------------------------------------------------------------- */
void it_produce_lines(const char *bootstrap, const char *topic,
                      const char *lines)
{
    char path[] = "/tmp/kstream-it-in-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    size_t len = strlen(lines);
    cr_assert_eq(write(fd, lines, len), (ssize_t)len);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "kcat -b '%s' -t '%s' -P -K: -z none "
             "-X topic.partitioner=murmur2_random -l '%s' 2>&1",
             bootstrap, topic, path);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    char out[512] = "";
    size_t got = fread(out, 1, sizeof(out) - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    unlink(path);
    cr_assert_eq(rc, 0, "kcat produce failed: %s", out);
}

void it_produce_keys(const char *bootstrap, const char *topic, int first,
                     int n, int nkeys)
{
    size_t cap = (size_t)n * 32 + 1, len = 0;
    char *buf = malloc(cap);
    cr_assert(buf != NULL);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "k%d:v%d\n",
                                (first + i) % nkeys, first + i);
    it_produce_lines(bootstrap, topic, buf);
    free(buf);
}

char *it_consume(const char *bootstrap, const char *topic,
                 bool value_is_long, size_t *nrecords)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "kcat -b '%s' -t '%s' -C -o beginning -e -q %s "
             "-f '%%k\\t%%s\\n' 2>/dev/null",
             bootstrap, topic, value_is_long ? "-s value='>q'" : "");
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    cr_assert(buf != NULL);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf != NULL);
        }
    }
    buf[len] = '\0';
    pclose(p);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    if (nrecords)
        *nrecords = n;
    return buf;
}

void it_max_counts(const char *bootstrap, const char *topic, int nkeys,
                   int64_t *counts)
{
    for (int i = 0; i < nkeys; i++)
        counts[i] = -1;
    char *all = it_consume(bootstrap, topic, true, NULL);
    char *save = NULL;
    for (char *line = strtok_r(all, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int k;
        long long c;
        if (sscanf(line, "k%d\t%lld", &k, &c) == 2 && k >= 0 && k < nkeys &&
            c > counts[k])
            counts[k] = c;
    }
    free(all);
}

bool it_wait_counts(const char *bootstrap, const char *topic, int nkeys,
                    const int64_t *want, bool exact, int timeout_ms)
{
    int64_t until = it_now_ms() + timeout_ms;
    int64_t got[IT_MAX_KEYS];
    cr_assert(nkeys <= IT_MAX_KEYS);
    for (;;) {
        it_max_counts(bootstrap, topic, nkeys, got);
        bool ok = true;
        for (int i = 0; i < nkeys && ok; i++)
            ok = exact ? got[i] == want[i] : got[i] >= want[i];
        if (ok)
            return true;
        if (it_now_ms() > until) {
            for (int i = 0; i < nkeys; i++)
                if (exact ? got[i] != want[i] : got[i] < want[i])
                    cr_log_error("key k%d: count %" PRId64 ", want %s%" PRId64,
                                 i, got[i], exact ? "" : ">= ", want[i]);
            return false;
        }
        it_sleep_ms(300);
    }
}

bool it_wait_state(kstream_t *app, kstream_state_t want, int timeout_ms)
{
    int64_t until = it_now_ms() + timeout_ms;
    while (kstream_state(app) != want) {
        if (it_now_ms() > until)
            return false;
        it_sleep_ms(20);
    }
    return true;
}

kstream_topology_t *it_count_topology(const char *in, const char *out)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, in, NULL);
    kstream_grouped_t *g = kstream_stream_group_by_key(s);
    kstream_table_t *t = kstream_grouped_count(g, "counts");
    kstream_stream_to(kstream_table_to_stream(t, NULL), out, NULL);
    char errstr[512] = "";
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    cr_assert(topo != NULL, "build: %s", errstr); /* b consumed */
    return topo;
}
