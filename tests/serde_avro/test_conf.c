/* test_conf.c - kstream_avro_conf_t: defaults, values, refusals, copies,
 * and docs/serde.md lists every property with its default. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "serde/registry.h"

static kstream_avro_conf_t *conf;
static void setup(void) {
    conf = kstream_avro_conf_new();
    cr_assert(conf);
}
static void teardown(void) {
    kstream_avro_conf_destroy(conf);
}
TestSuite(avro_conf, .init = setup, .fini = teardown, .timeout = 10);

static const char *get(const kstream_avro_conf_t *c, const char *name) {
    static char buf[256];
    size_t n = sizeof(buf);

    cr_assert_eq(kstream_avro_conf_get(c, name, buf, &n), KSTREAM_OK, "%s",
                 name);
    return buf;
}

Test(avro_conf, defaults) {
    cr_assert_str_eq(get(conf, "schema.registry.url"), "");
    cr_assert_str_eq(get(conf, "auto.register.schemas"), "true");
    cr_assert_str_eq(get(conf, "use.latest.version"), "false");
    cr_assert_str_eq(get(conf, "value.subject.name.strategy"),
                     "TopicNameStrategy");
    cr_assert_str_eq(get(conf, "basic.auth.credentials.source"),
                     "USER_INFO");
    cr_assert_str_eq(get(conf, "schema.registry.max.retries"), "3");
    cr_assert_str_eq(get(conf, "schema.registry.retry.backoff.ms"), "100");
    cr_assert_str_eq(get(conf, "schema.registry.request.timeout.ms"),
                     "10000");
    cr_assert_str_eq(
            get(conf, "schema.registry.ssl.endpoint.identification.algorithm"),
            "https");
}

Test(avro_conf, values_and_refusals) {
    char err[256] = "";

    cr_assert_eq(kstream_avro_conf_set(conf, "schema.registry.url",
                                       "http://a:1,http://b:2", err,
                                       sizeof(err)),
                 KSTREAM_CONF_OK);
    cr_assert_str_eq(get(conf, "schema.registry.url"),
                     "http://a:1,http://b:2");
    cr_assert_eq(kstream_avro_conf_set(
                         conf, "key.subject.name.strategy",
                         "io.confluent.kafka.serializers.subject."
                         "TopicRecordNameStrategy",
                         err, sizeof(err)),
                 KSTREAM_CONF_OK, "%s", err);
    cr_assert_str_eq(get(conf, "key.subject.name.strategy"),
                     "TopicRecordNameStrategy");
    cr_assert_eq(kstream_avro_conf_set(conf, "value.subject.name.strategy",
                                       "Bogus", err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert(strstr(err, "unknown strategy \"Bogus\""), "%s", err);
    cr_assert_eq(kstream_avro_conf_set(conf, "auto.register.schemas", "nah",
                                       err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert(strstr(err, "not true or false"), "%s", err);
    cr_assert_eq(kstream_avro_conf_set(conf, "auto.register.schemas", "FALSE",
                                       err, sizeof(err)),
                 KSTREAM_CONF_OK);
    cr_assert_str_eq(get(conf, "auto.register.schemas"), "false");
    cr_assert_eq(kstream_avro_conf_set(conf, "schema.registry.max.retries",
                                       "-1", err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert(strstr(err, "0..100"), "%s", err);
    cr_assert_eq(kstream_avro_conf_set(conf, "schema.registry.max.retries",
                                       "12x", err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert_eq(kstream_avro_conf_set(conf, "basic.auth.credentials.source",
                                       "SASL_INHERIT", err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert(strstr(err, "USER_INFO or URL"), "%s", err);
    cr_assert_eq(kstream_avro_conf_set(conf, "no.such", "1", err,
                                       sizeof(err)),
                 KSTREAM_CONF_UNKNOWN);
    cr_assert(strstr(err, "no.such"), "%s", err);
    cr_assert_eq(kstream_avro_conf_set(NULL, "a", "b", err, sizeof(err)),
                 KSTREAM_CONF_INVALID);
    cr_assert_eq(kstream_avro_conf_set(conf, "a", NULL, NULL, 0),
                 KSTREAM_CONF_INVALID);
}

Test(avro_conf, get_sizes_and_copies) {
    kstream_avro_conf_t *dup;
    char small[4];
    size_t n = sizeof(small);

    cr_assert_eq(kstream_avro_conf_set(conf, "basic.auth.user.info", "u:p",
                                       NULL, 0),
                 KSTREAM_CONF_OK);
    cr_assert_eq(kstream_avro_conf_get(conf, "basic.auth.user.info", small,
                                       &n),
                 KSTREAM_OK);
    cr_assert_str_eq(small, "u:p");
    n = 2;
    cr_assert_eq(kstream_avro_conf_get(conf, "basic.auth.user.info", small,
                                       &n),
                 KSTREAM_ERR_TOO_LARGE);
    cr_assert_eq(n, 4);
    n = 0;
    cr_assert_eq(kstream_avro_conf_get(conf, "basic.auth.user.info", NULL,
                                       &n),
                 KSTREAM_OK);
    cr_assert_eq(n, 4);
    n = sizeof(small);
    cr_assert_eq(kstream_avro_conf_get(conf, "nope", small, &n),
                 KSTREAM_ERR_NOT_FOUND);
    dup = kstream_avro_conf_dup(conf);
    cr_assert(dup);
    kstream_avro_conf_set(conf, "basic.auth.user.info", "changed", NULL, 0);
    cr_assert_str_eq(get(dup, "basic.auth.user.info"), "u:p");
    kstream_avro_conf_destroy(dup);
    cr_assert_null(kstream_avro_conf_dup(NULL));
    kstream_avro_conf_destroy(NULL);
}

Test(avro_conf, registry_needs_a_valid_url) {
    char err[256] = "";

    cr_assert_null(kstream_avro_registry_new(conf, err, sizeof(err)));
    cr_assert(strstr(err, "schema.registry.url is not set"), "%s", err);
    kstream_avro_conf_set(conf, "schema.registry.url", "ftp://x", NULL, 0);
    cr_assert_null(kstream_avro_registry_new(conf, err, sizeof(err)));
    cr_assert(strstr(err, "not an http:// or https:// URL"), "%s", err);
    kstream_avro_conf_set(conf, "schema.registry.url",
                          "http://u:secret@h:1,ftp://u:secret@x", NULL, 0);
    cr_assert_null(kstream_avro_registry_new(conf, err, sizeof(err)));
    cr_assert_null(strstr(err, "secret"), "%s", err);
    kstream_avro_conf_set(conf, "schema.registry.url", " , ", NULL, 0);
    cr_assert_null(kstream_avro_registry_new(conf, err, sizeof(err)));
    cr_assert(strstr(err, "has no URL"), "%s", err);
}

/* docs/serde.md carries the property table the code has. */
Test(avro_conf, documented) {
    char *doc = t_read_file("docs/serde.md");
    ks_buf_t b;
    char *rows, *line, *save = NULL;

    ks_buf_init(&b, NULL);
    ks_avro_conf_markdown(&b);
    rows = ks_buf_cstr(&b);
    cr_assert(rows);
    for (line = strtok_r(rows, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        cr_assert(strstr(doc, line),
                  "docs/serde.md lacks the row (regenerate the table):\n%s",
                  line);
    ks_buf_free(&b);
    free(doc);
}
