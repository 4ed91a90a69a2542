/* avro_conf.c - kstream_avro_conf_t: the schema registry client's and the
 * Avro serde's settings, with Confluent's names. One table gives each
 * property's type, range, default and description; docs/serde.md lists the
 * same (tests compare them). */
#include "serde/registry.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum ptype { P_STRING, P_BOOL, P_INT, P_STRATEGY, P_CREDSRC } ptype_t;

typedef struct prop {
    const char *name;
    ptype_t type;
    size_t off;
    int min, max;
    const char *def; /* as text; NULL: unset */
    const char *doc;
} prop_t;

#define OFF(f) offsetof(struct kstream_avro_conf_s, f)

static const prop_t props[] = {
        {"schema.registry.url", P_STRING, OFF(url), 0, 0, NULL,
         "Registry URL: `http(s)://host:port`, a comma-separated list "
         "(tried in turn), or `mock://NAME` for an in-memory registry "
         "private to the client. Required."},
        {"basic.auth.credentials.source", P_CREDSRC, OFF(cred_url), 0, 0,
         "USER_INFO",
         "Where basic-auth credentials come from: `USER_INFO` "
         "(basic.auth.user.info) or `URL` (`http://user:password@host`)."},
        {"basic.auth.user.info", P_STRING, OFF(user_info), 0, 0, NULL,
         "`user:password` for HTTP basic authentication."},
        {"schema.registry.ssl.ca.location", P_STRING, OFF(ssl_ca), 0, 0, NULL,
         "CA certificate file (PEM) to verify the registry's certificate."},
        {"schema.registry.ssl.certificate.location", P_STRING, OFF(ssl_cert),
         0, 0, NULL, "Client certificate file (PEM) for TLS client "
                     "authentication."},
        {"schema.registry.ssl.key.location", P_STRING, OFF(ssl_key), 0, 0,
         NULL, "Client private key file (PEM)."},
        {"schema.registry.ssl.key.password", P_STRING, OFF(ssl_key_password),
         0, 0, NULL, "Password of the client private key."},
        {"schema.registry.ssl.endpoint.identification.algorithm", P_STRING,
         OFF(ssl_ident), 0, 0, "https",
         "`https` checks the registry's host name against its certificate; "
         "empty turns the check off."},
        {"schema.registry.request.timeout.ms", P_INT, OFF(request_timeout_ms),
         1, INT_MAX, "10000", "Timeout of one HTTP request (ms)."},
        {"schema.registry.connect.timeout.ms", P_INT, OFF(connect_timeout_ms),
         1, INT_MAX, "5000", "Timeout to connect to the registry (ms)."},
        {"schema.registry.max.retries", P_INT, OFF(max_retries), 0, 100, "3",
         "Retries of a request after a connection failure, a timeout or a "
         "5xx answer, before the call fails."},
        {"schema.registry.retry.backoff.ms", P_INT, OFF(backoff_ms), 0,
         INT_MAX, "100",
         "Wait before the first retry (ms); doubles at each retry."},
        {"schema.registry.retry.backoff.max.ms", P_INT, OFF(backoff_max_ms), 0,
         INT_MAX, "5000", "Longest wait between retries (ms)."},
        {"missing.id.cache.ttl.ms", P_INT, OFF(missing_ttl_ms), 0, INT_MAX,
         "10000",
         "How long an unknown schema id (404) is remembered before the "
         "registry is asked again (ms); 0: not remembered."},
        {"auto.register.schemas", P_BOOL, OFF(auto_register), 0, 0, "true",
         "The serializer registers the value's schema under the subject. "
         "When false it looks the schema up and fails when it is not "
         "registered."},
        {"use.latest.version", P_BOOL, OFF(use_latest), 0, 0, "false",
         "The serializer writes with the subject's latest schema (the value "
         "is converted to it by schema resolution) instead of registering "
         "its own."},
        {"key.subject.name.strategy", P_STRATEGY, OFF(key_strategy), 0, 0,
         "TopicNameStrategy",
         "Subject of key schemas: `TopicNameStrategy` (`<topic>-key`), "
         "`RecordNameStrategy` (the record's full name) or "
         "`TopicRecordNameStrategy` (`<topic>-<record full name>`); "
         "Confluent's Java class names "
         "(`io.confluent.kafka.serializers.subject.*`) are accepted."},
        {"value.subject.name.strategy", P_STRATEGY, OFF(value_strategy), 0, 0,
         "TopicNameStrategy",
         "Subject of value schemas, as above (`<topic>-value` for "
         "`TopicNameStrategy`)."},
};

#define NPROPS (sizeof(props) / sizeof(props[0]))

static const char *strategies[] = {"TopicNameStrategy", "RecordNameStrategy",
                                   "TopicRecordNameStrategy"};
#define JAVA_PREFIX "io.confluent.kafka.serializers.subject."

static const prop_t *find(const char *name) {
    size_t i;

    for (i = 0; i < NPROPS; i++)
        if (!strcmp(props[i].name, name))
            return &props[i];
    return NULL;
}

static kstream_conf_res_t set_prop(kstream_avro_conf_t *conf,
                                   const prop_t *p, const char *value,
                                   char *errstr, size_t errstr_size) {
    char *field = (char *)conf + p->off;
    char *end, *copy;
    long l;
    size_t i;

    switch (p->type) {
    case P_STRING:
        copy = ks_strdup(value);
        if (!copy) {
            ks_errstr(errstr, errstr_size, "out of memory");
            return KSTREAM_CONF_INVALID;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return KSTREAM_CONF_OK;
    case P_BOOL:
        if (strcasecmp(value, "true") && strcasecmp(value, "false")) {
            ks_errstr(errstr, errstr_size, "%s: \"%s\" is not true or false",
                      p->name, value);
            return KSTREAM_CONF_INVALID;
        }
        *(bool *)field = !strcasecmp(value, "true");
        return KSTREAM_CONF_OK;
    case P_INT:
        errno = 0;
        l = strtol(value, &end, 10);
        if (errno || end == value || *end || l < p->min || l > p->max) {
            ks_errstr(errstr, errstr_size, "%s: \"%s\" is not an integer in "
                                           "%d..%d",
                      p->name, value, p->min, p->max);
            return KSTREAM_CONF_INVALID;
        }
        *(int *)field = (int)l;
        return KSTREAM_CONF_OK;
    case P_STRATEGY:
        if (!strncmp(value, JAVA_PREFIX, strlen(JAVA_PREFIX)))
            value += strlen(JAVA_PREFIX);
        for (i = 0; i < 3; i++)
            if (!strcmp(value, strategies[i])) {
                *(ks_strategy_t *)field = (ks_strategy_t)i;
                return KSTREAM_CONF_OK;
            }
        ks_errstr(errstr, errstr_size, "%s: unknown strategy \"%s\" (use "
                                       "TopicNameStrategy, RecordNameStrategy "
                                       "or TopicRecordNameStrategy)",
                  p->name, value);
        return KSTREAM_CONF_INVALID;
    case P_CREDSRC:
        if (!strcasecmp(value, "USER_INFO") || !strcasecmp(value, "URL")) {
            *(bool *)field = !strcasecmp(value, "URL");
            return KSTREAM_CONF_OK;
        }
        ks_errstr(errstr, errstr_size, "%s: \"%s\" is not supported (use "
                                       "USER_INFO or URL)",
                  p->name, value);
        return KSTREAM_CONF_INVALID;
    }
    return KSTREAM_CONF_INVALID;
}

kstream_avro_conf_t *kstream_avro_conf_new(void) {
    kstream_avro_conf_t *conf = calloc(1, sizeof(*conf));
    size_t i;

    if (!conf)
        return NULL;
    for (i = 0; i < NPROPS; i++)
        if (props[i].def &&
            set_prop(conf, &props[i], props[i].def, NULL, 0) !=
                    KSTREAM_CONF_OK) {
            kstream_avro_conf_destroy(conf);
            return NULL;
        }
    return conf;
}

kstream_avro_conf_t *kstream_avro_conf_dup(const kstream_avro_conf_t *conf) {
    kstream_avro_conf_t *d;
    size_t i;

    if (!conf)
        return NULL;
    d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    *d = *conf;
    for (i = 0; i < NPROPS; i++) {
        char **f = (char **)((char *)d + props[i].off);
        if (props[i].type != P_STRING)
            continue;
        if (*f && !(*f = ks_strdup(*f))) {
            /* Unset the copies not made yet before freeing the rest. */
            size_t k;
            for (k = i + 1; k < NPROPS; k++)
                if (props[k].type == P_STRING)
                    *(char **)((char *)d + props[k].off) = NULL;
            kstream_avro_conf_destroy(d);
            return NULL;
        }
    }
    return d;
}

void kstream_avro_conf_destroy(kstream_avro_conf_t *conf) {
    size_t i;

    if (!conf)
        return;
    for (i = 0; i < NPROPS; i++)
        if (props[i].type == P_STRING)
            free(*(char **)((char *)conf + props[i].off));
    free(conf);
}

kstream_conf_res_t kstream_avro_conf_set(kstream_avro_conf_t *conf,
                                         const char *name, const char *value,
                                         char *errstr, size_t errstr_size) {
    const prop_t *p;

    if (!conf || !name || !value) {
        ks_errstr(errstr, errstr_size, "kstream_avro_conf_set: %s is NULL",
                  !conf ? "conf" : !name ? "name" : "value");
        return KSTREAM_CONF_INVALID;
    }
    p = find(name);
    if (!p) {
        ks_errstr(errstr, errstr_size, "unknown Avro / schema registry "
                                       "property \"%s\"",
                  name);
        return KSTREAM_CONF_UNKNOWN;
    }
    return set_prop(conf, p, value, errstr, errstr_size);
}

static void render(const kstream_avro_conf_t *conf, const prop_t *p,
                   char *buf, size_t size) {
    const char *field = (const char *)conf + p->off;

    switch (p->type) {
    case P_STRING:
        snprintf(buf, size, "%s",
                 *(char *const *)field ? *(char *const *)field : "");
        break;
    case P_BOOL:
        snprintf(buf, size, "%s", *(const bool *)field ? "true" : "false");
        break;
    case P_INT:
        snprintf(buf, size, "%d", *(const int *)field);
        break;
    case P_STRATEGY:
        snprintf(buf, size, "%s", strategies[*(const ks_strategy_t *)field]);
        break;
    case P_CREDSRC:
        snprintf(buf, size, "%s", *(const bool *)field ? "URL" : "USER_INFO");
        break;
    }
}

kstream_err_t kstream_avro_conf_get(const kstream_avro_conf_t *conf,
                                    const char *name, char *dest,
                                    size_t *dest_size) {
    const prop_t *p;
    const char *s;
    char buf[64] = "";
    size_t need;

    if (!conf || !name || !dest_size || (!dest && *dest_size))
        return KSTREAM_ERR_INVALID_ARG;
    p = find(name);
    if (!p)
        return KSTREAM_ERR_NOT_FOUND;
    if (p->type == P_STRING) {
        s = *(char *const *)((const char *)conf + p->off);
        if (!s)
            s = "";
    } else {
        render(conf, p, buf, sizeof(buf));
        s = buf;
    }
    need = strlen(s) + 1;
    if (!dest || *dest_size < need) {
        *dest_size = need;
        return dest ? KSTREAM_ERR_TOO_LARGE : KSTREAM_OK;
    }
    memcpy(dest, s, need);
    *dest_size = need;
    return KSTREAM_OK;
}

void ks_avro_conf_markdown(ks_buf_t *out) {
    size_t i;

    ks_buf_appendf(out, "| Property | Default | Description |\n"
                        "|---|---|---|\n");
    for (i = 0; i < NPROPS; i++)
        ks_buf_appendf(out, "| `%s` | %s%s%s | %s |\n", props[i].name,
                       props[i].def ? "`" : "",
                       props[i].def ? (*props[i].def ? props[i].def : "")
                                    : "(unset)",
                       props[i].def ? "`" : "", props[i].doc);
}
