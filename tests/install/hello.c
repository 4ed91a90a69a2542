/* hello.c - a small program built against an installed kstream (see
 * run.sh). It uses only the public header: it checks the version and the
 * configuration API, then runs a filter topology in the test driver and
 * prints what comes out. */
#include <kstream.h>
#include <stdio.h>
#include <string.h>

static int check_version(void) {
    char want[32];

    snprintf(want, sizeof(want), "%d.%d.%d", KSTREAM_VERSION_MAJOR,
             KSTREAM_VERSION_MINOR, KSTREAM_VERSION_PATCH);
    if (kstream_version() != KSTREAM_VERSION ||
        strcmp(kstream_version_str(), want)) {
        fprintf(stderr, "version mismatch: header %s, library %s\n", want,
                kstream_version_str());
        return -1;
    }
    printf("version: ok\n");
    return 0;
}

static int check_conf(void) {
    char errstr[256] = "";
    char value[64];
    size_t size = sizeof(value);
    kstream_conf_t *conf = kstream_conf_new();
    int rc = -1;

    if (!conf) {
        fprintf(stderr, "kstream_conf_new failed\n");
        return -1;
    }
    if (kstream_conf_set(conf, "application.id", "hello", errstr,
                         sizeof(errstr)) != KSTREAM_CONF_OK) {
        fprintf(stderr, "conf_set: %s\n", errstr);
        goto done;
    }
    if (kstream_conf_get(conf, "application.id", value, &size) != KSTREAM_OK) {
        fprintf(stderr, "conf_get failed\n");
        goto done;
    }
    printf("application.id: %s\n", value);
    if (kstream_conf_set(conf, "no.such.key", "1", errstr, sizeof(errstr)) !=
        KSTREAM_CONF_UNKNOWN) {
        fprintf(stderr, "unknown key accepted\n");
        goto done;
    }
    printf("%s: %s\n", kstream_err2name(KSTREAM_ERR_NOT_FOUND),
           kstream_err2str(KSTREAM_ERR_NOT_FOUND));
    rc = 0;
done:
    kstream_conf_destroy(conf);
    return rc;
}

/* Keep the records whose value is longer than *opaque bytes. */
static kstream_err_t longer_than(const kstream_record_t *rec, bool *match,
                                 void *opaque) {
    kstream_bytes_t value = kstream_record_value(rec);

    *match = value.data && value.len > *(const size_t *)opaque;
    return KSTREAM_OK;
}

static int run_filter(void) {
    static const char *const fruit[] = {"apple", "fig", "banana", "kiwi"};
    static size_t min_len = 4;
    char errstr[256] = "";
    kstream_builder_t *b = kstream_builder_new();
    kstream_conf_t *conf = kstream_conf_new();
    kstream_topology_t *topology = NULL;
    kstream_test_driver_t *drv = NULL;
    kstream_stream_t *s;
    const kstream_record_t *rec;
    kstream_err_t err;
    size_t i;
    int rc = -1;

    if (!b || !conf) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    if (kstream_conf_set(conf, "application.id", "hello", errstr,
                         sizeof(errstr)) != KSTREAM_CONF_OK) {
        fprintf(stderr, "conf_set: %s\n", errstr);
        goto done;
    }
    s = kstream_builder_stream(b, "words", "source");
    s = kstream_stream_filter(s, longer_than, &min_len, NULL, "long-words");
    if (!s || kstream_stream_to(s, "long", "sink") != KSTREAM_OK) {
        fprintf(stderr, "builder: %s\n", kstream_builder_error(b));
        goto done;
    }
    topology = kstream_builder_build(b, errstr, sizeof(errstr));
    b = NULL; /* consumed */
    if (!topology) {
        fprintf(stderr, "build: %s\n", errstr);
        goto done;
    }
    drv = kstream_test_driver_new(topology, conf, errstr, sizeof(errstr));
    if (!drv) {
        fprintf(stderr, "driver: %s\n", errstr);
        goto done;
    }
    topology = NULL; /* consumed */
    conf = NULL;

    for (i = 0; i < sizeof(fruit) / sizeof(fruit[0]); i++) {
        err = kstream_test_driver_pipe(drv, "words", "k", 1, fruit[i],
                                       strlen(fruit[i]), (int64_t)i * 10);
        if (err != KSTREAM_OK) {
            fprintf(stderr, "pipe: %s: %s\n", kstream_err2name(err),
                    kstream_test_driver_last_error(drv));
            goto done;
        }
    }
    while ((err = kstream_test_driver_read(drv, "long", &rec)) ==
           KSTREAM_OK) {
        kstream_bytes_t value = kstream_record_value(rec);
        printf("long: %.*s @%lld\n", (int)value.len,
               (const char *)value.data,
               (long long)kstream_record_timestamp(rec));
    }
    if (err != KSTREAM_ERR_EMPTY) {
        fprintf(stderr, "read: %s\n", kstream_err2name(err));
        goto done;
    }
    rc = 0;
done:
    kstream_test_driver_destroy(drv);
    kstream_topology_destroy(topology);
    kstream_builder_destroy(b);
    kstream_conf_destroy(conf);
    return rc;
}

int main(void) {
    if (check_version() || check_conf() || run_filter())
        return 1;
    return 0;
}
