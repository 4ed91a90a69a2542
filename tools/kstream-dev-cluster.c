/* kstream-dev-cluster - run the embedded development cluster (librdkafka's
 * mock brokers) as a program, for demos and for clients in other
 * processes (kcat, Java or Python clients, kstream apps).
 *
 *   kstream-dev-cluster [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Starts N brokers (default 1) on loopback, creates the topics, prints
 * "bootstrap.servers=<list>" on stdout and runs until SIGINT or SIGTERM.
 * Exit status: 0 after a signal, 1 when the cluster or a topic cannot be
 * created, 2 on bad arguments. See docs/dev-cluster.md. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kstream.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *out)
{
    fputs("usage: kstream-dev-cluster [--brokers N] "
          "[--topic NAME:PARTITIONS]...\n"
          "\n"
          "Run kstream's embedded development cluster (librdkafka's mock\n"
          "brokers on 127.0.0.1) until SIGINT or SIGTERM. Prints\n"
          "\"bootstrap.servers=<host:port,...>\" on stdout once the\n"
          "brokers are up and the topics are created.\n"
          "\n"
          "  --brokers N                 number of brokers, 1..16 "
          "(default 1)\n"
          "  --topic NAME:PARTITIONS     create a topic (repeatable); the\n"
          "                              mock has no Admin API, so create\n"
          "                              every topic a client will use\n"
          "  --help                      this text\n"
          "\n"
          "Not a Kafka broker: no compaction, no topic configs, about\n"
          "5 MiB kept per partition, transactions not enforced.\n",
          out);
}

/* A decimal in [min, max], or -1. */
static long parse_num(const char *s, long min, long max)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    return v;
}

typedef struct topic_arg {
    char name[256];
    int32_t partitions;
} topic_arg_t;

/* "NAME:PARTITIONS" (the last ':' splits). 0 ok, -1 bad. */
static int parse_topic(const char *arg, topic_arg_t *out)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(out->name))
        return -1;
    long n = parse_num(colon + 1, 1, INT32_MAX);
    if (n < 0)
        return -1;
    memcpy(out->name, arg, (size_t)(colon - arg));
    out->name[colon - arg] = '\0';
    out->partitions = (int32_t)n;
    return 0;
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "kstream-dev-cluster: ");
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    long brokers = 1;
    topic_arg_t *topics = calloc((size_t)argc, sizeof(*topics));
    size_t ntopics = 0;
    if (!topics) {
        fputs("kstream-dev-cluster: out of memory\n", stderr);
        return 1;
    }
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(topics);
            return 0;
        } else if (strcmp(a, "--brokers") == 0) {
            if (i + 1 >= argc)
                rc = bad_usage("%s needs a value", a);
            else if ((brokers = parse_num(argv[++i], 1, 16)) < 0)
                rc = bad_usage("--brokers must be 1..16, not '%s'", argv[i]);
        } else if (strcmp(a, "--topic") == 0) {
            if (i + 1 >= argc)
                rc = bad_usage("%s needs a value", a);
            else if (parse_topic(argv[++i], &topics[ntopics]) != 0)
                rc = bad_usage("--topic wants NAME:PARTITIONS (PARTITIONS "
                               ">= 1), not '%s'",
                               argv[i]);
            else
                ntopics++;
        } else {
            rc = bad_usage("unknown argument '%s'", a);
        }
    }
    if (rc) {
        free(topics);
        return rc;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char errstr[512];
    kstream_dev_cluster_t *dc =
            kstream_dev_cluster_new((int)brokers, errstr, sizeof(errstr));
    if (!dc) {
        fprintf(stderr, "kstream-dev-cluster: %s\n", errstr);
        free(topics);
        return 1;
    }
    for (size_t i = 0; i < ntopics && !rc; i++) {
        kstream_err_t err = kstream_dev_cluster_create_topic(
                dc, topics[i].name, topics[i].partitions);
        if (err) {
            fprintf(stderr, "kstream-dev-cluster: topic '%s' (%d "
                            "partitions): %s\n",
                    topics[i].name, (int)topics[i].partitions,
                    err == KSTREAM_ERR_DUPLICATE_NAME
                            ? "given twice with different partition counts"
                            : kstream_err2str(err));
            rc = err == KSTREAM_ERR_INVALID_ARG ||
                                 err == KSTREAM_ERR_DUPLICATE_NAME
                         ? 2
                         : 1;
        } else {
            fprintf(stderr, "kstream-dev-cluster: topic %s: %d "
                            "partition(s)\n",
                    topics[i].name, (int)topics[i].partitions);
        }
    }
    free(topics);
    if (rc) {
        if (rc == 2)
            usage(stderr);
        kstream_dev_cluster_destroy(dc);
        return rc;
    }
    printf("bootstrap.servers=%s\n", kstream_dev_cluster_bootstrap(dc));
    fflush(stdout);
    fprintf(stderr, "kstream-dev-cluster: %ld broker(s) up; SIGINT or "
                    "SIGTERM stops\n",
            brokers);
    while (!stop_signal) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "kstream-dev-cluster: %s, stopping\n",
            stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    kstream_dev_cluster_destroy(dc);
    return 0;
}
