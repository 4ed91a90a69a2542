/* quickstart - a stateless kstream topology run on the in-memory test
 * driver: order events ("order_id,user_id,total") are validated, invalid
 * ones go to a dead-letter topic, the rest are re-keyed by user and split
 * into large and small orders.
 *
 *   orders.raw -> filter(valid) -> select_key(user) -> split
 *                                                     |-> orders.large
 *                                                     '-> orders.small
 *
 * Usage: quickstart [--records N] [--describe]
 * Exits 0 when every generated order is accounted for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstream.h"

/* Field i (0-based) of a comma-separated value, as a slice. */
static int field(kstream_bytes_t v, int i, const char **p, size_t *len)
{
    const char *s = v.data, *end = s + v.len;
    if (!s)
        return -1;
    for (; i > 0; i--) {
        s = memchr(s, ',', (size_t)(end - s));
        if (!s)
            return -1;
        s++;
    }
    const char *e = memchr(s, ',', (size_t)(end - s));
    *p = s;
    *len = (size_t)((e ? e : end) - s);
    return *len ? 0 : -1;
}

static double total_of(const kstream_record_t *rec)
{
    const char *p;
    size_t len;
    char buf[32];
    if (field(kstream_record_value(rec), 2, &p, &len) || len >= sizeof(buf))
        return -1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    double d = strtod(buf, &end);
    return *end ? -1 : d;
}

/* An order is valid when it has three fields and a total >= 0; an invalid
 * one fails the record, so the dlq handler routes it. */
static kstream_err_t check_valid(const kstream_record_t *rec, bool *match,
                                 void *opaque)
{
    (void)opaque;
    const char *p;
    size_t len;
    if (field(kstream_record_value(rec), 1, &p, &len) || total_of(rec) < 0)
        return KSTREAM_ERR_USER;
    *match = true;
    return KSTREAM_OK;
}

static kstream_err_t key_by_user(const kstream_record_t *in,
                                 kstream_record_t *out, void *opaque)
{
    (void)opaque;
    const char *p;
    size_t len;
    if (field(kstream_record_value(in), 1, &p, &len))
        return KSTREAM_ERR_USER;
    return kstream_record_set_key(out, p, len);
}

static kstream_err_t is_large(const kstream_record_t *rec, bool *match,
                              void *opaque)
{
    *match = total_of(rec) >= *(const double *)opaque;
    return KSTREAM_OK;
}

static kstream_topology_t *build(char *errstr, size_t size)
{
    static const double threshold = 100.0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *orders = kstream_builder_stream(b, "orders.raw",
                                                      "orders");
    kstream_stream_t *valid = kstream_stream_filter(orders, check_valid, NULL,
                                                    NULL, "validate");
    kstream_stream_t *by_user = kstream_stream_select_key(
            valid, key_by_user, NULL, NULL, "key-by-user");
    kstream_split_t *sp = kstream_stream_split(by_user, "size");
    kstream_stream_to(kstream_split_branch(sp, is_large, (void *)&threshold,
                                           NULL, "large"),
                      "orders.large", "to-large");
    kstream_stream_to(kstream_split_default(sp, "small"), "orders.small",
                      "to-small");
    return kstream_builder_build(b, errstr, size); /* consumes b */
}

int main(int argc, char **argv)
{
    long n = 20;
    int describe = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--records") && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--describe"))
            describe = 1;
        else {
            fprintf(stderr, "usage: %s [--records N] [--describe]\n",
                    argv[0]);
            return 2;
        }
    }
    char errstr[512];
    kstream_topology_t *t = build(errstr, sizeof(errstr));
    if (!t) {
        fprintf(stderr, "build failed: %s\n", errstr);
        return 1;
    }
    if (describe) {
        char *d = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
        char *m = kstream_topology_describe(t, KSTREAM_DESCRIBE_MERMAID);
        printf("%s\n%s\n", d ? d : "", m ? m : "");
        kstream_free(d);
        kstream_free(m);
    }
    kstream_conf_t *conf = kstream_conf_new();
    if (kstream_conf_set(conf, "application.id", "quickstart", errstr,
                         sizeof(errstr)) != KSTREAM_CONF_OK ||
        /* dead-lettering logs a warning per record: keep the demo quiet */
        kstream_conf_set(conf, "log.level", "3", errstr, sizeof(errstr)) !=
                KSTREAM_CONF_OK ||
        kstream_conf_set(conf, "processing.exception.handler", "dlq", errstr,
                         sizeof(errstr)) != KSTREAM_CONF_OK ||
        kstream_conf_set(conf, "errors.deadletterqueue.topic.name",
                         "orders.dlq", errstr,
                         sizeof(errstr)) != KSTREAM_CONF_OK) {
        fprintf(stderr, "conf: %s\n", errstr);
        kstream_conf_destroy(conf);
        kstream_topology_destroy(t);
        return 1;
    }
    kstream_test_driver_t *drv = kstream_test_driver_new(t, conf, errstr,
                                                         sizeof(errstr));
    if (!drv) {
        fprintf(stderr, "driver: %s\n", errstr);
        kstream_conf_destroy(conf);
        kstream_topology_destroy(t);
        return 1;
    }
    long want_large = 0, want_small = 0, want_bad = 0;
    for (long i = 0; i < n; i++) {
        char key[32], value[96];
        snprintf(key, sizeof(key), "order-%ld", i);
        if (i % 7 == 3) { /* invalid: no user */
            snprintf(value, sizeof(value), "order-%ld", i);
            want_bad++;
        } else {
            double total = (double)((i * 37) % 250);
            snprintf(value, sizeof(value), "order-%ld,user-%ld,%.2f", i,
                     i % 5, total);
            if (total >= 100.0)
                want_large++;
            else
                want_small++;
        }
        kstream_err_t err = kstream_test_driver_pipe(
                drv, "orders.raw", key, strlen(key), value, strlen(value),
                1700000000000 + i * 1000);
        if (err) {
            fprintf(stderr, "pipe: %s\n", kstream_test_driver_last_error(drv));
            kstream_test_driver_destroy(drv);
            return 1;
        }
    }
    const char *topics[] = {"orders.large", "orders.small", "orders.dlq"};
    long got[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        const kstream_record_t *rec;
        while (kstream_test_driver_read(drv, topics[k], &rec) == KSTREAM_OK) {
            kstream_bytes_t key = kstream_record_key(rec);
            kstream_bytes_t val = kstream_record_value(rec);
            if (got[k]++ < 3)
                printf("%-13s key=%.*s value=%.*s\n", topics[k],
                       (int)key.len, (const char *)key.data, (int)val.len,
                       (const char *)val.data);
        }
    }
    printf("orders: %ld, large: %ld, small: %ld, dead-lettered: %ld\n", n,
           got[0], got[1], got[2]);
    int ok = got[0] == want_large && got[1] == want_small &&
             got[2] == want_bad;
    printf("%s\n", ok ? "PASS" : "FAIL: counts differ from the generator's");
    kstream_test_driver_destroy(drv);
    return ok ? 0 : 1;
}
