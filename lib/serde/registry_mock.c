/* registry_mock.c - "mock://NAME": a schema registry in memory (Confluent's
 * MockSchemaRegistryClient idea), answering the same REST requests with
 * the same status codes and error bodies as the real one, so the client
 * code above the transport is the same. Private to one client (no shared
 * scopes: no global state); no compatibility checks. */
#include "serde/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mock_schema {
    int32_t id;
    char *text; /* as registered */
    char *norm; /* identity of a schema */
} mock_schema_t;

typedef struct mock_subject {
    ks_vec_t versions; /* mock_schema_t *, version = index + 1 */
} mock_subject_t;

struct ks_mock_registry {
    pthread_mutex_t lock;
    ks_vec_t schemas;   /* mock_schema_t *, id = index + 1 */
    ks_map_t *subjects; /* subject -> mock_subject_t * */
};

ks_mock_registry_t *ks_mock_registry_new(void) {
    ks_mock_registry_t *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->subjects = ks_map_new();
    if (!m->subjects) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void ks_mock_registry_destroy(ks_mock_registry_t *m) {
    size_t i, it = 0;
    void *val;

    if (!m)
        return;
    for (i = 0; i < m->schemas.len; i++) {
        mock_schema_t *s = m->schemas.items[i];
        free(s->text);
        free(s->norm);
        free(s);
    }
    ks_vec_free(&m->schemas);
    while (ks_map_next(m->subjects, &it, NULL, &val)) {
        ks_vec_free(&((mock_subject_t *)val)->versions);
        free(val);
    }
    ks_map_destroy(m->subjects);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int answer(ks_reg_resp_t *resp, long status, json_t *j) {
    resp->status = status;
    resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return resp->body ? 0 : -1;
}

static int error(ks_reg_resp_t *resp, long status, int code,
                 const char *msg) {
    return answer(resp, status,
                  json_pack("{s:i,s:s}", "error_code", code, "message", msg));
}

static char *url_decode(const char *s, size_t len) {
    char *d = malloc(len + 1), *o = d;
    size_t i;

    if (!d)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return d;
}

/* The schema of a request body, parsed (422 when it is not valid). */
static kstream_avro_schema_t *body_schema(const char *body,
                                          ks_reg_resp_t *resp, int *rc) {
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *text = json_string_value(json_object_get(j, "schema"));
    char msg[KS_AVRO_ERRSIZE];
    kstream_avro_schema_t *s = NULL;

    if (!text)
        *rc = error(resp, 422, 42201, "Invalid schema: no \"schema\"");
    else if (!(s = ks_avro_schema_parse(text, msg, sizeof(msg))))
        *rc = error(resp, 422, 42201, msg);
    json_decref(j);
    return s;
}

static mock_schema_t *find_schema(ks_mock_registry_t *m, const char *norm) {
    size_t i;

    for (i = 0; i < m->schemas.len; i++) {
        mock_schema_t *s = m->schemas.items[i];
        if (!strcmp(s->norm, norm))
            return s;
    }
    return NULL;
}

static int version_of(const mock_subject_t *sub, const mock_schema_t *s) {
    size_t i;

    for (i = 0; sub && i < sub->versions.len; i++)
        if (sub->versions.items[i] == s)
            return (int)i + 1;
    return 0;
}

static int subject_answer(ks_reg_resp_t *resp, const char *subject,
                          const mock_schema_t *s, int version) {
    return answer(resp, 200,
                  json_pack("{s:s,s:i,s:i,s:s}", "subject", subject, "id",
                            s->id, "version", version, "schema", s->text));
}

static int do_register(ks_mock_registry_t *m, const char *subject,
                       const char *body, ks_reg_resp_t *resp) {
    kstream_avro_schema_t *parsed;
    mock_subject_t *sub;
    mock_schema_t *s;
    int rc = 0;

    parsed = body_schema(body, resp, &rc);
    if (!parsed)
        return rc;
    s = find_schema(m, parsed->norm);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s || !(s->text = ks_strdup(parsed->json)) ||
            !(s->norm = ks_strdup(parsed->norm)) ||
            ks_vec_push(&m->schemas, s)) {
            if (s) {
                free(s->text);
                free(s->norm);
            }
            free(s);
            kstream_avro_schema_destroy(parsed);
            return -1;
        }
        s->id = (int32_t)m->schemas.len;
    }
    kstream_avro_schema_destroy(parsed);
    sub = ks_map_get(m->subjects, subject);
    if (!sub) {
        sub = calloc(1, sizeof(*sub));
        if (!sub || ks_map_put(m->subjects, subject, sub)) {
            free(sub);
            return -1;
        }
    }
    if (!version_of(sub, s) && ks_vec_push(&sub->versions, s))
        return -1;
    return answer(resp, 200, json_pack("{s:i}", "id", s->id));
}

static int do_lookup(ks_mock_registry_t *m, const char *subject,
                     const char *body, ks_reg_resp_t *resp) {
    mock_subject_t *sub = ks_map_get(m->subjects, subject);
    kstream_avro_schema_t *parsed;
    mock_schema_t *s;
    char msg[300];
    int rc = 0, version;

    if (!sub) {
        snprintf(msg, sizeof(msg), "Subject '%s' not found.", subject);
        return error(resp, 404, 40401, msg);
    }
    parsed = body_schema(body, resp, &rc);
    if (!parsed)
        return rc;
    s = find_schema(m, parsed->norm);
    kstream_avro_schema_destroy(parsed);
    version = s ? version_of(sub, s) : 0;
    if (!version)
        return error(resp, 404, 40403, "Schema not found");
    return subject_answer(resp, subject, s, version);
}

int ks_mock_registry_handle(ks_mock_registry_t *m, const char *method,
                            const char *path, const char *body,
                            ks_reg_resp_t *resp) {
    char msg[300], *subject = NULL;
    const char *rest;
    long id;
    int rc;

    pthread_mutex_lock(&m->lock);
    if (!strcmp(method, "GET") && !strncmp(path, "/schemas/ids/", 13)) {
        id = strtol(path + 13, NULL, 10);
        if (id < 1 || (size_t)id > m->schemas.len) {
            snprintf(msg, sizeof(msg), "Schema %ld not found", id);
            rc = error(resp, 404, 40403, msg);
        } else {
            rc = answer(resp, 200,
                        json_pack("{s:s}", "schema",
                                  ((mock_schema_t *)m->schemas.items[id - 1])
                                          ->text));
        }
    } else if (!strncmp(path, "/subjects/", 10)) {
        rest = path + 10 + strcspn(path + 10, "/");
        subject = url_decode(path + 10, (size_t)(rest - path - 10));
        if (!subject) {
            rc = -1;
        } else if (!strcmp(method, "POST") && !strcmp(rest, "/versions")) {
            rc = do_register(m, subject, body, resp);
        } else if (!strcmp(method, "POST") && !*rest) {
            rc = do_lookup(m, subject, body, resp);
        } else if (!strcmp(method, "GET") &&
                   !strcmp(rest, "/versions/latest")) {
            mock_subject_t *sub = ks_map_get(m->subjects, subject);
            if (!sub) {
                snprintf(msg, sizeof(msg), "Subject '%s' not found.",
                         subject);
                rc = error(resp, 404, 40401, msg);
            } else {
                rc = subject_answer(resp, subject,
                                    sub->versions.items[sub->versions.len - 1],
                                    (int)sub->versions.len);
            }
        } else {
            rc = error(resp, 404, 404, "HTTP 404 Not Found");
        }
    } else {
        rc = error(resp, 404, 404, "HTTP 404 Not Found");
    }
    pthread_mutex_unlock(&m->lock);
    free(subject);
    return rc;
}
