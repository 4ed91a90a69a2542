/* test_tls.c - the registry over HTTPS: the TLS settings reach libcurl
 * (CA, host name check, client certificate and key, key password).
 * Certificates are made for each test with the openssl program (skipped
 * when it is not installed) and the local registry serves HTTPS with them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static t_server_t srv;
static char dir[64];

static void teardown(void) {
    t_server_stop(&srv);
    if (dir[0]) {
        const char *argv[] = {"rm", "-rf", dir, NULL};
        t_run(argv, NULL);
    }
}
TestSuite(avro_tls, .fini = teardown, .timeout = 60);

#define KEY "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "

/* A CA; server certificates for 127.0.0.1 ("good") and for another name
 * ("bad"); a client certificate, also with an encrypted key. */
static void make_certs(void) {
    static const char script[] =
            "set -e; cd \"$0\"; "
            "openssl req -x509 " KEY "-keyout ca.key -out ca.pem -days 2 "
            "-subj /CN=kstream-test-ca; "
            "printf 'subjectAltName=IP:127.0.0.1\\n' > good.ext; "
            "printf 'subjectAltName=DNS:elsewhere.invalid\\n' > bad.ext; "
            "printf 'extendedKeyUsage=clientAuth\\n' > client.ext; "
            "for n in good bad client; do "
            "openssl req " KEY "-keyout $n.key -out $n.csr -subj /CN=$n; "
            "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
            "-CAcreateserial -out $n.pem -days 2 -extfile $n.ext; done; "
            "openssl pkey -in client.key -aes256 -passout pass:pw "
            "-out client-enc.key";
    const char *probe[] = {"openssl", "version", NULL};
    const char *argv[] = {"/bin/sh", "-c", script, dir, NULL};

    if (t_run(probe, NULL) != 0)
        cr_skip_test("the openssl program is not installed");
    snprintf(dir, sizeof(dir), "/tmp/kstream-tls-XXXXXX");
    cr_assert(mkdtemp(dir));
    cr_assert_eq(t_run(argv, NULL), 0, "openssl could not make the "
                                       "certificates");
}

static const char *file(const char *name) {
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static void start(const char *cert, bool client_ca) {
    char c[128], k[128], ca[128];
    const char *args[8];
    int i = 0;

    snprintf(c, sizeof(c), "%s/%s.pem", dir, cert);
    snprintf(k, sizeof(k), "%s/%s.key", dir, cert);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    args[i++] = "--tls-cert";
    args[i++] = c;
    args[i++] = "--tls-key";
    args[i++] = k;
    if (client_ca) {
        args[i++] = "--tls-client-ca";
        args[i++] = ca;
    }
    args[i] = NULL;
    t_server_start(&srv, args);
    snprintf(srv.url, sizeof(srv.url), "https://127.0.0.1:%d", srv.port);
}

/* Register a schema; the error (if any) in err. */
static kstream_err_t try_register(const char *const *kv, char *err,
                                  size_t size) {
    kstream_avro_registry_t *reg = t_registry(srv.url, kv);
    kstream_avro_schema_t *s = t_schema("\"string\"");
    int32_t id;
    kstream_err_t rc;

    err[0] = '\0';
    rc = kstream_avro_registry_register(reg, "s", s, &id, err, size);
    kstream_avro_schema_destroy(s);
    kstream_avro_registry_destroy(reg);
    return rc;
}

Test(avro_tls, server_verified_with_the_ca) {
    char err[512];

    make_certs();
    start("good", false);
    cr_assert_eq(try_register((const char *const[]){
                                      "schema.registry.ssl.ca.location",
                                      file("ca.pem"), NULL},
                              err, sizeof(err)),
                 KSTREAM_OK, "%s", err);
    /* without the CA, the certificate is not trusted (and not retried) */
    cr_assert_eq(try_register(NULL, err, sizeof(err)), KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, srv.url) && (strstr(err, "certificate") ||
                                       strstr(err, "SSL")),
              "%s", err);
    cr_assert_null(strstr(err, "attempts"), "%s", err);
    /* a CA file that does not exist */
    cr_assert_eq(try_register((const char *const[]){
                                      "schema.registry.ssl.ca.location",
                                      "/nonexistent/ca.pem", NULL},
                              err, sizeof(err)),
                 KSTREAM_ERR_SERDE);
}

Test(avro_tls, host_name_check) {
    char err[512];

    make_certs();
    start("bad", false);
    cr_assert_eq(try_register((const char *const[]){
                                      "schema.registry.ssl.ca.location",
                                      file("ca.pem"), NULL},
                              err, sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert(strstr(err, "127.0.0.1") || strstr(err, "name"), "%s", err);
    cr_assert_eq(
            try_register((const char *const[]){
                                 "schema.registry.ssl.ca.location",
                                 file("ca.pem"),
                                 "schema.registry.ssl.endpoint."
                                 "identification.algorithm",
                                 "", NULL},
                         err, sizeof(err)),
            KSTREAM_OK, "%s", err);
}

Test(avro_tls, client_certificate) {
    char err[512];

    make_certs();
    start("good", true);
    cr_assert_eq(try_register((const char *const[]){
                                      "schema.registry.ssl.ca.location",
                                      file("ca.pem"), NULL},
                              err, sizeof(err)),
                 KSTREAM_ERR_SERDE);
    cr_assert_eq(
            try_register((const char *const[]){
                                 "schema.registry.ssl.ca.location",
                                 file("ca.pem"),
                                 "schema.registry.ssl.certificate.location",
                                 file("client.pem"),
                                 "schema.registry.ssl.key.location",
                                 file("client.key"), NULL},
                         err, sizeof(err)),
            KSTREAM_OK, "%s", err);
    cr_assert_eq(
            try_register((const char *const[]){
                                 "schema.registry.ssl.ca.location",
                                 file("ca.pem"),
                                 "schema.registry.ssl.certificate.location",
                                 file("client.pem"),
                                 "schema.registry.ssl.key.location",
                                 file("client-enc.key"),
                                 "schema.registry.ssl.key.password", "pw",
                                 NULL},
                         err, sizeof(err)),
            KSTREAM_OK, "%s", err);
    cr_assert_eq(
            try_register((const char *const[]){
                                 "schema.registry.ssl.ca.location",
                                 file("ca.pem"),
                                 "schema.registry.ssl.certificate.location",
                                 file("client.pem"),
                                 "schema.registry.ssl.key.location",
                                 file("client-enc.key"),
                                 "schema.registry.ssl.key.password", "nope",
                                 NULL},
                         err, sizeof(err)),
            KSTREAM_ERR_SERDE);
}
