/* registry.h - internal: the schema registry client (Confluent's
 * CachedSchemaRegistryClient) and the Avro serde configuration.
 *
 *  avro_conf.c      kstream_avro_conf_t: the property table
 *  registry.c       the client: caches (one mutex), the public calls
 *  registry_http.c  the transport over libcurl: retries with backoff,
 *                   failover over the URLs, auth and TLS
 *  registry_mock.c  "mock://": the same REST API answered in memory
 *  avro_serde.c     the kstream_serde_t in the Confluent wire format
 */
#ifndef KS_REGISTRY_H
#define KS_REGISTRY_H

#include "serde/avro_int.h"

/* ---- configuration -------------------------------------------------------- */
typedef enum ks_strategy {
    KS_STRATEGY_TOPIC = 0,
    KS_STRATEGY_RECORD = 1,
    KS_STRATEGY_TOPIC_RECORD = 2
} ks_strategy_t;

struct kstream_avro_conf_s {
    char *url;            /* schema.registry.url (NULL: unset) */
    bool cred_url;        /* basic.auth.credentials.source=URL */
    char *user_info;      /* basic.auth.user.info */
    char *ssl_ca;         /* schema.registry.ssl.ca.location */
    char *ssl_cert;       /* schema.registry.ssl.certificate.location */
    char *ssl_key;        /* schema.registry.ssl.key.location */
    char *ssl_key_password;
    char *ssl_ident;      /* ...endpoint.identification.algorithm */
    int request_timeout_ms;
    int connect_timeout_ms;
    int max_retries;
    int backoff_ms;
    int backoff_max_ms;
    int missing_ttl_ms;
    bool auto_register;
    bool use_latest;
    ks_strategy_t key_strategy;
    ks_strategy_t value_strategy;
};

/* The property table as markdown rows (docs/serde.md is written from the
 * same text; a test compares them). */
void ks_avro_conf_markdown(ks_buf_t *out);

/* ---- the client ------------------------------------------------------------ */
typedef struct ks_mock_registry ks_mock_registry_t;

/* An HTTP-like answer: status and body (NUL-terminated, malloc'd). */
typedef struct ks_reg_resp {
    long status;
    char *body;
    char url[256]; /* the registry URL that answered (no credentials) */
} ks_reg_resp_t;

struct kstream_avro_registry_s {
    atomic_int refs;
    kstream_avro_conf_t *conf;  /* copy */
    ks_mock_registry_t *mock;   /* mock:// (else HTTP) */
    char **urls;                /* HTTP base URLs, no trailing '/' */
    size_t nurls;
    atomic_size_t good_url;     /* the URL that answered last */
    pthread_mutex_t lock;       /* guards the caches and the condition */
    pthread_cond_t cond;        /* a pending fetch finished */
    ks_map_t *cache;            /* "i:<id>" / "s:<subject>\n<norm>" ->
                                   ks_reg_entry_t * */
};

/* Send one request (retried on outages). 0 with \p resp filled (any status
 * the registry answered), or -1 with a message (unreachable after the
 * retries, naming the URL and the cause). \p path starts with '/'. */
int ks_registry_http(kstream_avro_registry_t *reg, const char *method,
                     const char *path, const char *body, ks_reg_resp_t *resp,
                     char *errstr, size_t errstr_size);
/* Split and check schema.registry.url for HTTP. 0 or -1 with a message. */
int ks_registry_http_init(kstream_avro_registry_t *reg, char *errstr,
                          size_t errstr_size);
void ks_registry_http_free(kstream_avro_registry_t *reg);

ks_mock_registry_t *ks_mock_registry_new(void);
void ks_mock_registry_destroy(ks_mock_registry_t *mock);
/* Answer a request as the REST API would (status + JSON body). */
int ks_mock_registry_handle(ks_mock_registry_t *mock, const char *method,
                            const char *path, const char *body,
                            ks_reg_resp_t *resp);

kstream_avro_registry_t *ks_registry_ref(kstream_avro_registry_t *reg);
void ks_registry_unref(kstream_avro_registry_t *reg);

/* The writer schema of \p id (cached), referenced: release it. */
kstream_err_t ks_registry_schema(kstream_avro_registry_t *reg, int32_t id,
                                 kstream_avro_schema_t **schema, char *errstr,
                                 size_t errstr_size);
/* The subject name for \p schema under \p strategy. Malloc'd or NULL with
 * a message. */
char *ks_registry_subject(ks_strategy_t strategy, const char *topic,
                          bool is_key, const kstream_avro_schema_t *schema,
                          char *errstr, size_t errstr_size);

#endif /* KS_REGISTRY_H */
