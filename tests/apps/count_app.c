/* count_app - the integration tests' count application as a process of its
 * own, so that a test can SIGKILL it mid-run or run several instances.
 *
 *   count_app BOOTSTRAP APP_ID STATE_DIR [THREADS]
 *
 * Counts "in" by key into "out" (store "counts") until SIGTERM/SIGINT,
 * then closes cleanly (exit 0); exit 1 on any error. With IT_DEBUG set,
 * logs everything and says when the app first reaches RUNNING. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kstream.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int set(kstream_conf_t *c, const char *k, const char *v)
{
    char errstr[256];
    if (kstream_conf_set(c, k, v, errstr, sizeof(errstr)) != KSTREAM_CONF_OK) {
        fprintf(stderr, "count_app: %s\n", errstr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: count_app BOOTSTRAP APP_ID STATE_DIR "
                        "[THREADS]\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    char errstr[512];
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *t = kstream_grouped_count(kstream_stream_group_by_key(s),
                                               "counts");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_topology_t *topo = kstream_builder_build(b, errstr,
                                                     sizeof(errstr));
    if (!topo) {
        fprintf(stderr, "count_app: %s\n", errstr);
        return 1;
    }
    kstream_conf_t *c = kstream_conf_new();
    if (set(c, "bootstrap.servers", argv[1]) ||
        set(c, "application.id", argv[2]) || set(c, "state.dir", argv[3]) ||
        set(c, "num.stream.threads", argc > 4 ? argv[4] : "1") ||
        set(c, "commit.interval.ms", "200") || set(c, "poll.ms", "50") ||
        set(c, "log.level", getenv("IT_DEBUG") ? "7" : "3") ||
        set(c, "consumer.session.timeout.ms", "3000") ||
        set(c, "consumer.heartbeat.interval.ms", "300") ||
        set(c, "consumer.fetch.wait.max.ms", "10") ||
        set(c, "consumer.reconnect.backoff.max.ms", "1000"))
        return 1;
    kstream_t *app = kstream_new(topo, c, errstr, sizeof(errstr));
    if (!app || kstream_start(app, errstr, sizeof(errstr)) != KSTREAM_OK) {
        fprintf(stderr, "count_app: %s\n", errstr);
        return 1;
    }
    bool said = false;
    while (!stop) {
        kstream_state_t st = kstream_state(app);
        if (st == KSTREAM_STATE_ERROR)
            break;
        if (st == KSTREAM_STATE_RUNNING && !said && getenv("IT_DEBUG")) {
            fprintf(stderr, "count_app: RUNNING\n");
            said = true;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kstream_err_t err = kstream_close(app, 30000);
    if (err)
        kstream_last_error(app, errstr, sizeof(errstr));
    kstream_destroy(app);
    kstream_conf_destroy(c);
    kstream_topology_destroy(topo);
    if (err) {
        fprintf(stderr, "count_app: %s\n", errstr);
        return 1;
    }
    return 0;
}
