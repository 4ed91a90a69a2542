/* test_registry.c - the schema registry client against a local registry
 * (registry_server.py, started per test on a free port and killed after
 * it): register / look up / by id / latest, the caches (one request per id
 * and per subject and schema, also from several threads), errors (404 with
 * Confluent's codes, 401 without or with wrong credentials, non-Avro
 * schemas), outages (503, closed connections, refused connections) retried
 * with backoff then reported naming the URL, failover over several URLs,
 * and the serde through the registry for every type. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cases.h"

static t_server_t srv;

static void teardown(void) {
    t_server_stop(&srv);
}
TestSuite(avro_registry, .fini = teardown, .timeout = 60);

static const char *const FAST[] = {"schema.registry.retry.backoff.ms", "5",
                                   "schema.registry.max.retries", "3", NULL};

static const char *SCHEMA_A =
        "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"t\",\"fields\":["
        "{\"name\":\"x\",\"type\":\"int\"}]}";
static const char *SCHEMA_A2 =
        "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"t\",\"fields\":["
        "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\","
        "\"default\":\"d\"}]}";

Test(avro_registry, register_lookup_by_id_latest) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a, *a2, *got = NULL;
    int32_t id1 = -1, id2 = -1, id, version;
    char err[512] = "";

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, FAST);
    a = t_schema(SCHEMA_A);
    a2 = t_schema(SCHEMA_A2);
    cr_assert_eq(kstream_avro_registry_register(reg, "a-value", a, &id1, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(id1, 1);
    cr_assert_eq(kstream_avro_registry_register(reg, "a-value", a2, &id2, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(id2, 2);
    cr_assert_eq(kstream_avro_registry_lookup(reg, "a-value", a, &id, err,
                                              sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(id, 1);
    cr_assert_eq(kstream_avro_registry_latest(reg, "a-value", &id, &version,
                                              &got, err, sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(id, 2);
    cr_assert_eq(version, 2);
    cr_assert(kstream_avro_schema_equal(got, a2));
    kstream_avro_schema_destroy(got);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 1, &got, err,
                                                    sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert(kstream_avro_schema_equal(got, a));
    kstream_avro_schema_destroy(got);
    /* the same schema under another subject: the same id */
    cr_assert_eq(kstream_avro_registry_register(reg, "other", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK);
    cr_assert_eq(id, 1);
    kstream_avro_schema_destroy(a);
    kstream_avro_schema_destroy(a2);
    kstream_avro_registry_destroy(reg);
}

Test(avro_registry, asked_once_per_id_and_per_subject_schema) {
    kstream_avro_registry_t *reg, *reader;
    kstream_avro_schema_t *a, *got;
    int32_t id;
    int i;

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, FAST);
    reader = t_registry(srv.url, FAST);
    a = t_schema(SCHEMA_A);
    for (i = 0; i < 5; i++) {
        cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, NULL, 0),
                     KSTREAM_OK);
        cr_assert_eq(kstream_avro_registry_lookup(reg, "s", a, &id, NULL, 0),
                     KSTREAM_OK); /* answered from the same cache entry */
    }
    cr_assert_eq(t_server_path_count(&srv, "POST /subjects/s/versions"), 1);
    cr_assert_eq(t_server_path_count(&srv, "POST /subjects/s"), 0);
    /* the client that registered knows the id's schema already */
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, id, &got, NULL, 0),
                 KSTREAM_OK);
    kstream_avro_schema_destroy(got);
    cr_assert_eq(t_server_path_count(&srv, "GET /schemas/ids/N"), 0);
    for (i = 0; i < 5; i++) {
        cr_assert_eq(kstream_avro_registry_schema_by_id(reader, id, &got,
                                                        NULL, 0),
                     KSTREAM_OK);
        kstream_avro_schema_destroy(got);
    }
    cr_assert_eq(t_server_path_count(&srv, "GET /schemas/ids/N"), 1);
    kstream_avro_schema_destroy(a);
    kstream_avro_registry_destroy(reg);
    kstream_avro_registry_destroy(reader);
}

Test(avro_registry, not_found_errors) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a, *a2, *got = NULL;
    char err[512] = "";
    int32_t id;

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, (const char *const[]){
                                      "missing.id.cache.ttl.ms", "60000",
                                      NULL});
    a = t_schema(SCHEMA_A);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 42, &got, err,
                                                    sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert(strstr(err, "HTTP 404 (error 40403): Schema 42 not found"), "%s",
              err);
    cr_assert(strstr(err, srv.url), "%s", err);
    cr_assert_null(got);
    /* remembered: not asked again within missing.id.cache.ttl.ms */
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 42, &got, err,
                                                    sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert(strstr(err, "40403"), "%s", err);
    cr_assert_eq(t_server_path_count(&srv, "GET /schemas/ids/N"), 1);
    cr_assert_eq(kstream_avro_registry_lookup(reg, "nosuch", a, &id, err,
                                              sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert(strstr(err, "40401") && strstr(err, "Subject 'nosuch' not "
                                                  "found"),
              "%s", err);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK);
    a2 = t_schema(SCHEMA_A2);
    cr_assert_eq(kstream_avro_registry_lookup(reg, "s", a2, &id, err,
                                              sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND);
    kstream_avro_schema_destroy(a2);
    cr_assert(strstr(err, "40403") && strstr(err, "Schema not found"), "%s",
              err);
    cr_assert_eq(kstream_avro_registry_latest(reg, "nosuch", &id, NULL, NULL,
                                              err, sizeof(err)),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert(strstr(err, "40401"), "%s", err);
    kstream_avro_schema_destroy(a);
    kstream_avro_registry_destroy(reg);
}

Test(avro_registry, unknown_id_asked_again_without_ttl) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *got;

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, (const char *const[]){
                                      "missing.id.cache.ttl.ms", "0", NULL});
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 9, &got, NULL, 0),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 9, &got, NULL, 0),
                 KSTREAM_ERR_NOT_FOUND);
    cr_assert_eq(t_server_path_count(&srv, "GET /schemas/ids/N"), 2);
    kstream_avro_registry_destroy(reg);
}

Test(avro_registry, basic_auth) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a = t_schema(SCHEMA_A);
    char err[512] = "", url[128];
    int32_t id;

    t_server_start(&srv, (const char *const[]){"--user", "alice:s3cret",
                                               NULL});
    reg = t_registry(srv.url, FAST);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "HTTP 401") && strstr(err, "Unauthorized") &&
                      strstr(err, "no credentials configured"),
              "%s", err);
    kstream_avro_registry_destroy(reg);

    reg = t_registry(srv.url, (const char *const[]){
                                      "basic.auth.user.info", "alice:wrong",
                                      NULL});
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "credentials were refused"), "%s", err);
    cr_assert_null(strstr(err, "wrong"), "%s", err);
    kstream_avro_registry_destroy(reg);

    reg = t_registry(srv.url, (const char *const[]){
                                      "basic.auth.credentials.source",
                                      "USER_INFO", "basic.auth.user.info",
                                      "alice:s3cret", NULL});
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    kstream_avro_registry_destroy(reg);

    /* credentials in the URL; never shown in messages */
    snprintf(url, sizeof(url), "http://alice:s3cret@127.0.0.1:%d", srv.port);
    reg = t_registry(url, (const char *const[]){
                                  "basic.auth.credentials.source", "URL",
                                  NULL});
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 77, NULL, err,
                                                    sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    kstream_avro_registry_destroy(reg);
    snprintf(url, sizeof(url), "http://alice:bad@127.0.0.1:%d", srv.port);
    reg = t_registry(url, (const char *const[]){
                                  "basic.auth.credentials.source", "URL",
                                  NULL});
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "401"), "%s", err);
    cr_assert_null(strstr(err, "bad@"), "%s", err);
    kstream_avro_registry_destroy(reg);
    kstream_avro_schema_destroy(a);
}

static int64_t now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(avro_registry, outage_retried_then_recovers) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a = t_schema(SCHEMA_A);
    char err[512] = "";
    int32_t id;

    t_server_start(&srv, (const char *const[]){"--outage", "2", NULL});
    reg = t_registry(srv.url, FAST);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(id, 1);
    /* closed connections are retried too */
    t_server_outage(&srv, 2, "close");
    cr_assert_eq(kstream_avro_registry_register(reg, "s2", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    kstream_avro_schema_destroy(a);
    kstream_avro_registry_destroy(reg);
}

Test(avro_registry, outage_reported_after_the_retries) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a = t_schema(SCHEMA_A), *got;
    char err[512] = "";
    int64_t t0, dt;
    int32_t id;

    t_server_start(&srv, (const char *const[]){"--outage", "100", NULL});
    reg = t_registry(srv.url, (const char *const[]){
                                      "schema.registry.retry.backoff.ms",
                                      "40", "schema.registry.max.retries",
                                      "3", NULL});
    t0 = now_ms();
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_SERDE);
    dt = now_ms() - t0;
    cr_assert(strstr(err, srv.url) && strstr(err, "unreachable after 4 "
                                                  "attempts") &&
                      strstr(err, "HTTP 503"),
              "%s", err);
    /* exponential backoff: 40 + 80 + 160 ms */
    cr_assert(dt >= 270, "took %lld ms", (long long)dt);
    /* a decode through the serde reports it as a serde error */
    {
        kstream_avro_value_t *v = t_value(NULL);
        static const unsigned char msg[] = {0, 0, 0, 0, 5, 2};
        cr_assert_eq(kstream_avro_registry_decode(reg, msg, sizeof(msg), v),
                     KSTREAM_ERR_SERDE);
        cr_assert(strstr(kstream_avro_value_error(v), "schema id 5") &&
                          strstr(kstream_avro_value_error(v), "unreachable"),
                  "%s", kstream_avro_value_error(v));
        kstream_avro_value_destroy(v);
    }
    /* not cached: once the registry is back, it works */
    t_server_outage(&srv, 0, "503");
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, id, &got, err,
                                                    sizeof(err)),
                 KSTREAM_OK);
    kstream_avro_schema_destroy(got);
    kstream_avro_schema_destroy(a);
    kstream_avro_registry_destroy(reg);
}

Test(avro_registry, connection_refused_and_failover) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *a = t_schema(SCHEMA_A);
    char err[512] = "", url[160];
    int32_t id;
    int dead = t_dead_port();

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", dead);
    reg = t_registry(url, FAST);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, url) && strstr(err, "unreachable") &&
                      (strstr(err, "onnect") || strstr(err, "refused")),
              "%s", err);
    kstream_avro_registry_destroy(reg);

    t_server_start(&srv, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/, %s", dead, srv.url);
    reg = t_registry(url, FAST);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_OK, "%s", err);
    kstream_avro_registry_destroy(reg);
    kstream_avro_schema_destroy(a);
}

/* A schema the registry says is not Avro. */
static size_t sink(char *p, size_t s, size_t n, void *ud) {
    (void)p;
    (void)ud;
    return s * n;
}

Test(avro_registry, non_avro_schema_refused) {
    kstream_avro_registry_t *reg;
    kstream_avro_schema_t *got;
    char err[512] = "", url[128];
    CURL *h = curl_easy_init();

    t_server_start(&srv, NULL);
    snprintf(url, sizeof(url), "%s/subjects/p/versions", srv.url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                     "{\"schemaType\":\"PROTOBUF\",\"schema\":"
                     "\"{\\\"syntax\\\":3}\"}");
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    reg = t_registry(srv.url, FAST);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, 1, &got, err,
                                                    sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "PROTOBUF schema, not Avro"), "%s", err);
    kstream_avro_registry_destroy(reg);
}

/* Several threads share one client: one request per id. */
typedef struct dec_job {
    kstream_avro_registry_t *reg;
    kstream_bytes_t msgs[3];
    int ok;
} dec_job_t;

static void *decoder(void *arg) {
    dec_job_t *job = arg;
    kstream_avro_value_t *v = kstream_avro_value_new(NULL, NULL, 0);
    int i;

    for (i = 0; v && i < 300; i++)
        if (kstream_avro_registry_decode(job->reg, job->msgs[i % 3].data,
                                         job->msgs[i % 3].len,
                                         v) == KSTREAM_OK)
            __atomic_add_fetch(&job->ok, 1, __ATOMIC_RELAXED);
    kstream_avro_value_destroy(v);
    return NULL;
}

Test(avro_registry, shared_by_threads) {
    kstream_avro_registry_t *writer, *reg;
    kstream_serde_t *serde;
    kstream_buf_t *bufs[3];
    dec_job_t job;
    pthread_t th[4];
    int i;

    t_server_start(&srv, NULL);
    writer = t_registry(srv.url, FAST);
    serde = kstream_avro_serde_new(writer, NULL, "mt", false, NULL, 0);
    cr_assert(serde);
    for (i = 0; i < 3; i++) {
        kstream_avro_schema_t *s = type_cases[i + 16].schema
                                           ? t_schema(type_cases[i + 16].schema)
                                           : t_order_schema();
        kstream_avro_value_t *v = t_value(s);
        type_cases[i + 16].fill(v);
        bufs[i] = kstream_buf_new();
        cr_assert_eq(kstream_serde_serialize(serde, v, bufs[i]), KSTREAM_OK,
                     "%s", kstream_avro_value_error(v));
        job.msgs[i] = kstream_buf_bytes(bufs[i]);
        kstream_avro_value_destroy(v);
        kstream_avro_schema_destroy(s);
    }
    reg = t_registry(srv.url, FAST); /* a fresh cache */
    job.reg = reg;
    job.ok = 0;
    for (i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, decoder, &job), 0);
    for (i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(job.ok, 1200);
    cr_assert_eq(t_server_path_count(&srv, "GET /schemas/ids/N"), 3);
    for (i = 0; i < 3; i++)
        kstream_buf_destroy(bufs[i]);
    kstream_serde_destroy(serde);
    kstream_avro_registry_destroy(writer);
    kstream_avro_registry_destroy(reg);
}

/* Every type through the serde and the registry, decoded by a second
 * client (the writer's schema fetched by id). */
Test(avro_registry, every_type_through_the_registry) {
    kstream_avro_registry_t *wreg, *rreg;
    char err[512] = "";
    size_t i;

    t_server_start(&srv, NULL);
    wreg = t_registry(srv.url, FAST);
    rreg = t_registry(srv.url, FAST);
    for (i = 0; i < n_type_cases; i++) {
        const type_case_t *c = &type_cases[i];
        kstream_avro_schema_t *s = c->schema ? t_schema(c->schema)
                                             : t_order_schema();
        kstream_avro_value_t *v = t_value(s), *back = t_value(NULL);
        char topic[64], *want, *got;
        kstream_serde_t *ser, *de;
        kstream_buf_t *b = kstream_buf_new();
        kstream_bytes_t by;

        snprintf(topic, sizeof(topic), "types-%s", c->name);
        ser = kstream_avro_serde_new(wreg, NULL, topic, false, err,
                                     sizeof(err));
        de = kstream_avro_serde_new(rreg, NULL, topic, false, err,
                                    sizeof(err));
        cr_assert(ser && de, "%s", err);
        c->fill(v);
        cr_assert_eq(kstream_serde_serialize(ser, v, b), KSTREAM_OK, "%s: %s",
                     c->name, kstream_avro_value_error(v));
        by = kstream_buf_bytes(b);
        cr_assert_eq(kstream_serde_deserialize(de, by.data, by.len, back),
                     KSTREAM_OK, "%s: %s", c->name,
                     kstream_avro_value_error(back));
        want = t_norm_text(v);
        got = t_norm_text(back);
        cr_assert_str_eq(got, want, "%s", c->name);
        free(want);
        free(got);
        kstream_buf_destroy(b);
        kstream_serde_destroy(ser);
        kstream_serde_destroy(de);
        kstream_avro_value_destroy(v);
        kstream_avro_value_destroy(back);
        kstream_avro_schema_destroy(s);
    }
    kstream_avro_registry_destroy(wreg);
    kstream_avro_registry_destroy(rreg);
}

Test(avro_registry, bad_arguments) {
    kstream_avro_registry_t *reg = t_registry("mock://args", NULL);
    kstream_avro_schema_t *a = t_schema(SCHEMA_A), *got;
    char err[256] = "";
    int32_t id;

    cr_assert_eq(kstream_avro_registry_register(NULL, "s", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(err, "reg is NULL"), "%s", err);
    cr_assert_eq(kstream_avro_registry_register(reg, "", a, &id, err,
                                                sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert(strstr(err, "empty"), "%s", err);
    cr_assert_eq(kstream_avro_registry_register(reg, "s", NULL, &id, NULL,
                                                0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_registry_lookup(reg, "s", a, NULL, NULL, 0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_registry_schema_by_id(reg, -1, &got, err,
                                                    sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(kstream_avro_registry_latest(reg, NULL, &id, NULL, NULL,
                                              NULL, 0),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_null(kstream_avro_registry_new(NULL, err, sizeof(err)));
    cr_assert_null(kstream_avro_serde_new(NULL, NULL, "t", false, err,
                                          sizeof(err)));
    cr_assert(strstr(err, "reg is NULL"), "%s", err);
    cr_assert_null(kstream_avro_serde_new(reg, NULL, NULL, false, err,
                                          sizeof(err)));
    cr_assert(strstr(err, "needs a topic"), "%s", err);
    kstream_avro_registry_destroy(NULL);
    kstream_avro_schema_destroy(a);
    kstream_avro_registry_destroy(reg);
}
