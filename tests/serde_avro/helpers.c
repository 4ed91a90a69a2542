/* helpers.c - see helpers.h. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

char *t_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert(f, "cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

kstream_avro_schema_t *t_schema(const char *json) {
    char err[512] = "";
    kstream_avro_schema_t *s = kstream_avro_schema_new(json, err, sizeof(err));

    cr_assert(s, "schema refused: %s\n%s", err, json);
    return s;
}

kstream_avro_schema_t *t_order_schema(void) {
    const char *path = access(ORDER_AVSC, R_OK) == 0
                               ? ORDER_AVSC
                               : TEST_DIR "/OrderPlaced.avsc";
    char *json = t_read_file(path);
    kstream_avro_schema_t *s = t_schema(json);

    free(json);
    return s;
}

kstream_avro_value_t *t_value(const kstream_avro_schema_t *schema) {
    char err[512] = "";
    kstream_avro_value_t *v = kstream_avro_value_new(schema, err, sizeof(err));

    cr_assert(v, "value: %s", err);
    return v;
}

#define OK(call)                                                             \
    cr_assert_eq((call), KSTREAM_OK, "%s: %s", #call,                        \
                 kstream_avro_value_error(v))

void t_fill_order(kstream_avro_value_t *v, int n) {
    char buf[64], path[64];
    int i, items = 1 + n % 4;

    snprintf(buf, sizeof(buf), "order-%06d", n);
    OK(kstream_avro_value_set_string(v, "order_id", buf));
    snprintf(buf, sizeof(buf), "user-%d", n % 97);
    OK(kstream_avro_value_set_string(v, "user_id", buf));
    OK(kstream_avro_value_clear(v, "items"));
    for (i = 0; i < items; i++) {
        snprintf(path, sizeof(path), "items[%d].sku", i);
        snprintf(buf, sizeof(buf), "SKU-%d-%d", n % 13, i);
        OK(kstream_avro_value_set_string(v, path, buf));
        snprintf(path, sizeof(path), "items[%d].quantity", i);
        OK(kstream_avro_value_set_int(v, path, 1 + (n + i) % 5));
        snprintf(path, sizeof(path), "items[%d].price", i);
        OK(kstream_avro_value_set_double(v, path, 0.25 * (n % 400) + i));
    }
    OK(kstream_avro_value_set_double(v, "total", 12.5 * items));
    OK(kstream_avro_value_set_long(v, "timestamp",
                                   1700000000000LL + (int64_t)n * 1000));
}

/* ---- normalized JSON --------------------------------------------------- */

static json_t *hex(const void *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = data;
    char *s = malloc(len * 2 + 1);
    json_t *j;
    size_t i;

    cr_assert(s);
    for (i = 0; i < len; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * len] = '\0';
    j = json_string(s);
    free(s);
    return j;
}

static char *sub_path(const char *path, const char *fmt, const char *part) {
    size_t n = strlen(path) + strlen(part) + 4;
    char *p = malloc(n);

    cr_assert(p);
    snprintf(p, n, fmt, path, *path ? "." : "", part);
    return p;
}

json_t *t_norm(kstream_avro_value_t *v, const char *path) {
    kstream_avro_type_t type;
    const char *s, *lt;
    const void *data;
    size_t len, n, i;
    json_t *j;
    char buf[512];
    int32_t i32;
    int64_t i64;
    float f;
    double d;
    bool b;

    OK(kstream_avro_value_type(v, path, &type));
    OK(kstream_avro_value_logical_type(v, path, &lt));
    switch (type) {
    case KSTREAM_AVRO_NULL:
    case KSTREAM_AVRO_UNION: /* no branch */
        return json_null();
    case KSTREAM_AVRO_BOOLEAN:
        OK(kstream_avro_value_get_boolean(v, path, &b));
        return json_boolean(b);
    case KSTREAM_AVRO_INT:
        OK(kstream_avro_value_get_int(v, path, &i32));
        return json_integer(i32);
    case KSTREAM_AVRO_LONG:
        OK(kstream_avro_value_get_long(v, path, &i64));
        return json_integer(i64);
    case KSTREAM_AVRO_FLOAT:
        OK(kstream_avro_value_get_float(v, path, &f));
        return json_real((double)f);
    case KSTREAM_AVRO_DOUBLE:
        OK(kstream_avro_value_get_double(v, path, &d));
        return json_real(d);
    case KSTREAM_AVRO_STRING:
        OK(kstream_avro_value_get_string(v, path, &s, &len));
        return json_stringn(s, len);
    case KSTREAM_AVRO_BYTES:
    case KSTREAM_AVRO_FIXED:
        if (lt && !strcmp(lt, "decimal")) {
            len = sizeof(buf);
            OK(kstream_avro_value_get_decimal(v, path, buf, &len));
            return json_string(buf);
        }
        OK(kstream_avro_value_get_bytes(v, path, &data, &len));
        return hex(data, len);
    case KSTREAM_AVRO_ENUM:
        OK(kstream_avro_value_get_enum(v, path, &s));
        return json_string(s);
    case KSTREAM_AVRO_ARRAY:
        j = json_array();
        OK(kstream_avro_value_size(v, path, &n));
        for (i = 0; i < n; i++) {
            char *p = malloc(strlen(path) + 24);
            cr_assert(p);
            sprintf(p, "%s[%zu]", path, i);
            json_array_append_new(j, t_norm(v, p));
            free(p);
        }
        return j;
    case KSTREAM_AVRO_MAP:
    case KSTREAM_AVRO_RECORD:
        j = json_object();
        OK(kstream_avro_value_size(v, path, &n));
        for (i = 0; i < n; i++) {
            char *key, *p;
            OK(kstream_avro_value_key_at(v, path, i, &s));
            key = strdup(s); /* borrowed until v changes */
            p = type == KSTREAM_AVRO_MAP ? sub_path(path, "%s%.0s[%s]", key)
                                         : sub_path(path, "%s%s%s", key);
            json_object_set_new(j, key, t_norm(v, p));
            free(p);
            free(key);
        }
        return j;
    }
    cr_assert_fail("unknown type %d", type);
    return NULL;
}

char *t_norm_text(kstream_avro_value_t *v) {
    json_t *j = t_norm(v, "");
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

    json_decref(j);
    return s;
}

kstream_buf_t *t_encode(kstream_avro_value_t *v) {
    kstream_buf_t *b = kstream_buf_new();

    cr_assert(b);
    OK(kstream_avro_value_encode(v, NULL, b));
    return b;
}

/* ---- processes ---------------------------------------------------------- */

const char *t_python(void) {
    static const char *const probe[] = {"/usr/bin/python3", "-c",
                                        "import avro.schema", NULL};
    static const char *const probe2[] = {"python3", "-c",
                                         "import avro.schema", NULL};
    if (t_run(probe2, NULL) == 0)
        return "python3";
    if (access("/usr/bin/python3", X_OK) == 0 && t_run(probe, NULL) == 0)
        return "/usr/bin/python3";
    return "python3";
}

int t_run(const char *const *argv, char **out) {
    int fd[2], status;
    pid_t pid;
    size_t len = 0, cap = 4096;
    char *buf = NULL;
    ssize_t n;

    cr_assert(pipe(fd) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (!out) {
            int nul = open("/dev/null", O_WRONLY);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    buf = malloc(cap);
    cr_assert(buf);
    while ((n = read(fd[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf);
        }
    }
    buf[len] = '\0';
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void t_server_start(t_server_t *s, const char *const *args) {
    const char *argv[16];
    int fd[2], i = 0, k;
    char line[64];
    size_t len = 0;
    ssize_t n;

    memset(s, 0, sizeof(*s));
    argv[i++] = t_python();
    argv[i++] = TEST_DIR "/registry_server.py";
    for (k = 0; args && args[k] && i < 15; k++)
        argv[i++] = args[k];
    argv[i] = NULL;
    cr_assert(pipe(fd) == 0);
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    /* "PORT <n>\n" */
    while (len < sizeof(line) - 1 &&
           (n = read(fd[0], line + len, 1)) == 1 && line[len] != '\n')
        len++;
    line[len] = '\0';
    close(fd[0]);
    if (sscanf(line, "PORT %d", &s->port) != 1) {
        t_server_stop(s);
        cr_assert_fail("registry server did not start (said \"%s\")", line);
    }
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

void t_server_stop(t_server_t *s) {
    int status;

    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->pid = 0;
}

static size_t collect(char *p, size_t size, size_t n, void *ud) {
    size_t len = size * n, have = strlen(ud);

    if (have + len < 4095) {
        memcpy((char *)ud + have, p, len);
        ((char *)ud)[have + len] = '\0';
    }
    return len;
}

static json_t *hook(const t_server_t *s, const char *path, const char *body) {
    char url[128], resp[4096] = "";
    CURL *h = curl_easy_init();
    json_t *j;

    cr_assert(h);
    snprintf(url, sizeof(url), "%s%s", s->url, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    j = json_loads(resp, 0, NULL);
    cr_assert(j, "hook %s answered %s", path, resp);
    return j;
}

long t_server_requests(const t_server_t *s) {
    json_t *j = hook(s, "/__stats", NULL);
    long n = (long)json_integer_value(json_object_get(j, "requests"));

    json_decref(j);
    return n;
}

long t_server_path_count(const t_server_t *s, const char *key) {
    json_t *j = hook(s, "/__stats", NULL);
    long n = (long)json_integer_value(
            json_object_get(json_object_get(j, "paths"), key));

    json_decref(j);
    return n;
}

void t_server_outage(const t_server_t *s, int count, const char *mode) {
    char body[96];

    snprintf(body, sizeof(body), "{\"count\": %d, \"mode\": \"%s\"}", count,
             mode);
    json_decref(hook(s, "/__outage", body));
}

int t_dead_port(void) {
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    port = ntohs(a.sin_port);
    close(fd); /* nothing listens there now */
    return port;
}

kstream_avro_registry_t *t_registry(const char *url, const char *const *kv) {
    kstream_avro_conf_t *conf = kstream_avro_conf_new();
    kstream_avro_registry_t *reg;
    char err[512] = "";
    size_t i;

    cr_assert(conf);
    cr_assert_eq(kstream_avro_conf_set(conf, "schema.registry.url", url, err,
                                       sizeof(err)),
                 KSTREAM_CONF_OK, "%s", err);
    for (i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kstream_avro_conf_set(conf, kv[i], kv[i + 1], err,
                                           sizeof(err)),
                     KSTREAM_CONF_OK, "%s=%s: %s", kv[i], kv[i + 1], err);
    reg = kstream_avro_registry_new(conf, err, sizeof(err));
    kstream_avro_conf_destroy(conf);
    cr_assert(reg, "registry: %s", err);
    return reg;
}
