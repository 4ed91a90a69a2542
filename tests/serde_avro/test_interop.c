/* test_interop.c - interop with an independent Avro implementation
 * (Apache Avro's Python library, python3-avro) in Confluent's wire format
 * through the local registry: what Python writes decodes in kstream to the
 * same values, and what kstream writes decodes in Python to the same values
 * (interop.py; both sides compare normalized JSON). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"

static t_server_t srv;
static char tmp[64];

static void teardown(void) {
    t_server_stop(&srv);
    if (tmp[0])
        unlink(tmp);
}
TestSuite(avro_interop, .fini = teardown, .timeout = 120);

static char *tmp_file(void) {
    int fd;

    snprintf(tmp, sizeof(tmp), "/tmp/kstream-interop-XXXXXX");
    fd = mkstemp(tmp);
    cr_assert(fd >= 0);
    close(fd);
    return tmp;
}

static unsigned char *unhex(const char *s, size_t *len) {
    size_t n = strlen(s) / 2, i;
    unsigned char *b = malloc(n ? n : 1);

    cr_assert(b);
    for (i = 0; i < n; i++) {
        unsigned x;
        cr_assert_eq(sscanf(s + 2 * i, "%2x", &x), 1);
        b[i] = (unsigned char)x;
    }
    *len = n;
    return b;
}

Test(avro_interop, python_writes_kstream_reads) {
    const char *argv[6];
    kstream_avro_registry_t *reg;
    kstream_avro_value_t *v = t_value(NULL);
    char *out = NULL, *data, *line, *save = NULL;
    int rc, n = 0;

    t_server_start(&srv, NULL);
    argv[0] = t_python();
    argv[1] = TEST_DIR "/interop.py";
    argv[2] = "write";
    argv[3] = srv.url;
    argv[4] = tmp_file();
    argv[5] = NULL;
    rc = t_run(argv, &out);
    cr_assert_eq(rc, 0, "interop.py write failed (%d): %s", rc, out);
    free(out);
    reg = t_registry(srv.url, NULL);
    data = t_read_file(tmp);
    for (line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL), *got;
        const char *name = json_string_value(json_object_get(j, "case"));
        size_t len;
        unsigned char *msg =
                unhex(json_string_value(json_object_get(j, "hex")), &len);
        char *gs, *ws;

        cr_assert_eq(kstream_avro_registry_decode(reg, msg, len, v),
                     KSTREAM_OK, "%s: %s", name, kstream_avro_value_error(v));
        got = t_norm(v, "");
        gs = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        ws = json_dumps(json_object_get(j, "expect"),
                        JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        cr_assert(json_equal(got, json_object_get(j, "expect")),
                  "%s: kstream read %s, python wrote %s", name, gs, ws);
        free(gs);
        free(ws);
        json_decref(got);
        free(msg);
        json_decref(j);
        n++;
    }
    cr_assert_eq(n, 8);
    free(data);
    kstream_avro_registry_destroy(reg);
    kstream_avro_value_destroy(v);
}

Test(avro_interop, kstream_writes_python_reads) {
    kstream_avro_registry_t *reg;
    const char *argv[6];
    char *out = NULL, err[512] = "";
    FILE *f;
    size_t i, k;
    int rc;

    t_server_start(&srv, NULL);
    reg = t_registry(srv.url, NULL);
    f = fopen(tmp_file(), "w");
    cr_assert(f);
    for (i = 0; i < n_type_cases; i++) {
        const type_case_t *c = &type_cases[i];
        kstream_avro_schema_t *s = c->schema ? t_schema(c->schema)
                                             : t_order_schema();
        kstream_avro_value_t *v = t_value(s);
        char topic[64];
        kstream_serde_t *serde;
        kstream_buf_t *b = kstream_buf_new();
        kstream_bytes_t by;
        json_t *line;
        char *text, *hex;

        snprintf(topic, sizeof(topic), "c-%s", c->name);
        serde = kstream_avro_serde_new(reg, NULL, topic, false, err,
                                       sizeof(err));
        cr_assert(serde, "%s", err);
        c->fill(v);
        cr_assert_eq(kstream_serde_serialize(serde, v, b), KSTREAM_OK, "%s",
                     kstream_avro_value_error(v));
        by = kstream_buf_bytes(b);
        hex = malloc(by.len * 2 + 1);
        for (k = 0; k < by.len; k++)
            sprintf(hex + 2 * k, "%02x", ((const unsigned char *)by.data)[k]);
        hex[2 * by.len] = '\0';
        line = json_pack("{s:s,s:s,s:o}", "case", c->name, "hex", hex,
                         "expect", t_norm(v, ""));
        text = json_dumps(line, JSON_COMPACT);
        fprintf(f, "%s\n", text);
        free(text);
        json_decref(line);
        free(hex);
        kstream_buf_destroy(b);
        kstream_serde_destroy(serde);
        kstream_avro_value_destroy(v);
        kstream_avro_schema_destroy(s);
    }
    fclose(f);
    argv[0] = t_python();
    argv[1] = TEST_DIR "/interop.py";
    argv[2] = "read";
    argv[3] = srv.url;
    argv[4] = tmp;
    argv[5] = NULL;
    rc = t_run(argv, &out);
    cr_assert_eq(rc, 0, "python could not read what kstream wrote:\n%s", out);
    cr_assert(strstr(out, "OK"), "%s", out);
    free(out);
    kstream_avro_registry_destroy(reg);
}
