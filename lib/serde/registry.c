/* registry.c - the schema registry client (Confluent's
 * CachedSchemaRegistryClient): register, look up, schema by id, latest
 * version, with caches so that the registry is asked once per schema id and
 * once per (subject, schema). The caches are behind one mutex; a key being
 * fetched is marked pending and other threads wait for it (the request
 * itself runs without the lock). Unknown ids are remembered for
 * missing.id.cache.ttl.ms. */
#include "serde/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { E_PENDING, E_READY, E_MISSING };

typedef struct ks_reg_entry {
    int state;
    int32_t id;
    kstream_avro_schema_t *schema; /* "i:" entries, referenced */
    int64_t expires_ms;            /* E_MISSING */
    char *msg;                     /* E_MISSING: the registry's message */
} ks_reg_entry_t;

static void entry_free(ks_reg_entry_t *e) {
    kstream_avro_schema_destroy(e->schema);
    free(e->msg);
    free(e);
}

kstream_avro_registry_t *ks_registry_ref(kstream_avro_registry_t *reg) {
    atomic_fetch_add(&reg->refs, 1);
    return reg;
}

void ks_registry_unref(kstream_avro_registry_t *reg) {
    size_t it = 0;
    void *val;

    if (!reg || atomic_fetch_sub(&reg->refs, 1) != 1)
        return;
    while (reg->cache && ks_map_next(reg->cache, &it, NULL, &val))
        entry_free(val);
    ks_map_destroy(reg->cache);
    ks_mock_registry_destroy(reg->mock);
    ks_registry_http_free(reg);
    pthread_mutex_destroy(&reg->lock);
    pthread_cond_destroy(&reg->cond);
    kstream_avro_conf_destroy(reg->conf);
    free(reg);
}

kstream_avro_registry_t *kstream_avro_registry_new(
        const kstream_avro_conf_t *conf, char *errstr, size_t errstr_size) {
    kstream_avro_registry_t *reg;

    if (!conf) {
        ks_errstr(errstr, errstr_size, "kstream_avro_registry_new: conf is "
                                       "NULL");
        return NULL;
    }
    if (!conf->url || !*conf->url) {
        ks_errstr(errstr, errstr_size, "schema.registry.url is not set");
        return NULL;
    }
    reg = calloc(1, sizeof(*reg));
    if (!reg) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    atomic_init(&reg->refs, 1);
    atomic_init(&reg->good_url, 0);
    pthread_mutex_init(&reg->lock, NULL);
    pthread_cond_init(&reg->cond, NULL);
    reg->conf = kstream_avro_conf_dup(conf);
    reg->cache = ks_map_new();
    if (!reg->conf || !reg->cache) {
        ks_errstr(errstr, errstr_size, "out of memory");
        ks_registry_unref(reg);
        return NULL;
    }
    if (!strncmp(conf->url, "mock://", 7)) {
        reg->mock = ks_mock_registry_new();
        if (!reg->mock) {
            ks_errstr(errstr, errstr_size, "out of memory");
            ks_registry_unref(reg);
            return NULL;
        }
    } else if (ks_registry_http_init(reg, errstr, errstr_size)) {
        ks_registry_unref(reg);
        return NULL;
    }
    return reg;
}

void kstream_avro_registry_destroy(kstream_avro_registry_t *reg) {
    ks_registry_unref(reg);
}

/* ---- requests ------------------------------------------------------------ */

static int request(kstream_avro_registry_t *reg, const char *method,
                   const char *path, const char *body, ks_reg_resp_t *resp,
                   char *errstr, size_t errstr_size) {
    memset(resp, 0, sizeof(*resp));
    if (reg->mock) {
        snprintf(resp->url, sizeof(resp->url), "%s", reg->conf->url);
        if (ks_mock_registry_handle(reg->mock, method, path, body, resp)) {
            ks_errstr(errstr, errstr_size, "out of memory");
            return -1;
        }
        return 0;
    }
    return ks_registry_http(reg, method, path, body, resp, errstr,
                            errstr_size);
}

/* A non-2xx answer as an error: Confluent's {"error_code", "message"}. */
static kstream_err_t answer_error(kstream_avro_registry_t *reg,
                                  const ks_reg_resp_t *resp, const char *what,
                                  char *errstr, size_t errstr_size) {
    json_t *j = resp->body ? json_loads(resp->body, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    long code = (long)json_integer_value(json_object_get(j, "error_code"));
    const char *hint = "";

    if (resp->status == 401 || resp->status == 403)
        hint = reg->conf->user_info || reg->conf->cred_url
                       ? " (the credentials were refused)"
                       : " (no credentials configured: set "
                         "basic.auth.user.info)";
    if (msg)
        ks_errstr(errstr, errstr_size,
                  "schema registry %s: %s: HTTP %ld (error %ld): %s%s",
                  resp->url, what, resp->status, code, msg, hint);
    else
        ks_errstr(errstr, errstr_size,
                  "schema registry %s: %s: HTTP %ld: %.120s%s", resp->url,
                  what, resp->status, resp->body ? resp->body : "", hint);
    json_decref(j);
    return resp->status == 404 ? KSTREAM_ERR_NOT_FOUND : KSTREAM_ERR_SERDE;
}

/* The JSON body of a 200 answer, or NULL with a message. */
static json_t *answer_json(const ks_reg_resp_t *resp, const char *what,
                           char *errstr, size_t errstr_size) {
    json_error_t jerr;
    json_t *j = resp->body ? json_loads(resp->body, 0, &jerr) : NULL;

    if (!json_is_object(j)) {
        ks_errstr(errstr, errstr_size, "schema registry %s: %s: the answer "
                                       "is not a JSON object: %.80s",
                  resp->url, what, resp->body ? resp->body : "");
        json_decref(j);
        return NULL;
    }
    return j;
}

/* "/subjects/<percent-encoded subject><suffix>" */
static char *subject_path(const char *subject, const char *suffix) {
    static const char hex[] = "0123456789ABCDEF";
    ks_buf_t b;
    const unsigned char *s;

    ks_buf_init(&b, NULL);
    ks_buf_appendf(&b, "/subjects/");
    for (s = (const unsigned char *)subject; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
            (*s >= '0' && *s <= '9') || strchr("-._~", *s)) {
            ks_buf_putc(&b, (char)*s);
        } else {
            ks_buf_putc(&b, '%');
            ks_buf_putc(&b, hex[*s >> 4]);
            ks_buf_putc(&b, hex[*s & 15]);
        }
    }
    if (ks_buf_appendf(&b, "%s", suffix)) {
        ks_buf_free(&b);
        return NULL;
    }
    return ks_buf_steal(&b);
}

/* {"schema": "<text>"} */
static char *schema_body(const kstream_avro_schema_t *schema) {
    json_t *j = json_pack("{s:s}", "schema", schema->json);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    return s;
}

/* Parse the "schema" of an answer (Avro only). */
static kstream_avro_schema_t *answer_schema(const ks_reg_resp_t *resp,
                                            json_t *j, const char *what,
                                            char *errstr,
                                            size_t errstr_size) {
    const char *text = json_string_value(json_object_get(j, "schema"));
    const char *type = json_string_value(json_object_get(j, "schemaType"));
    char msg[KS_AVRO_ERRSIZE];
    kstream_avro_schema_t *s;

    if (type && strcmp(type, "AVRO")) {
        ks_errstr(errstr, errstr_size, "schema registry %s: %s is a %s "
                                       "schema, not Avro",
                  resp->url, what, type);
        return NULL;
    }
    if (!text) {
        ks_errstr(errstr, errstr_size, "schema registry %s: %s: the answer "
                                       "has no \"schema\"",
                  resp->url, what);
        return NULL;
    }
    s = ks_avro_schema_parse(text, msg, sizeof(msg));
    if (!s)
        ks_errstr(errstr, errstr_size, "schema registry %s: %s: %s",
                  resp->url, what, msg);
    return s;
}

/* ---- the cache ------------------------------------------------------------- */

/* The entry of \p key: an existing one (ready or missing), or a new pending
 * one that the caller must fill and publish (*mine). Waits while another
 * thread fetches the key. Called without the lock; returns with it held. */
static ks_reg_entry_t *claim(kstream_avro_registry_t *reg, const char *key,
                             bool *mine) {
    ks_reg_entry_t *e;

    *mine = false;
    pthread_mutex_lock(&reg->lock);
    for (;;) {
        e = ks_map_get(reg->cache, key);
        if (e && e->state == E_PENDING) {
            pthread_cond_wait(&reg->cond, &reg->lock);
            continue;
        }
        if (e && e->state == E_MISSING && ks_clock_mono_ms() >= e->expires_ms) {
            ks_map_del(reg->cache, key);
            entry_free(e);
            e = NULL;
        }
        if (e)
            return e;
        e = calloc(1, sizeof(*e));
        if (!e || ks_map_put(reg->cache, key, e)) {
            free(e);
            return NULL;
        }
        e->state = E_PENDING;
        *mine = true;
        return e;
    }
}

/* Finish a claimed entry: ready, missing (kept until it expires) or failed
 * (removed). Takes the lock. */
static void publish(kstream_avro_registry_t *reg, const char *key,
                    ks_reg_entry_t *e, int state) {
    pthread_mutex_lock(&reg->lock);
    if (state == E_PENDING) { /* failed */
        ks_map_del(reg->cache, key);
        entry_free(e);
    } else {
        e->state = state;
    }
    pthread_cond_broadcast(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
}

/* Cache "i:<id>" -> schema when absent (after a register or latest). */
static void remember_id(kstream_avro_registry_t *reg, int32_t id,
                        kstream_avro_schema_t *schema) {
    char key[32];
    ks_reg_entry_t *e;

    snprintf(key, sizeof(key), "i:%d", id);
    pthread_mutex_lock(&reg->lock);
    if (!ks_map_get(reg->cache, key) && (e = calloc(1, sizeof(*e)))) {
        e->state = E_READY;
        e->id = id;
        e->schema = kstream_avro_schema_ref(schema);
        if (ks_map_put(reg->cache, key, e))
            entry_free(e);
    }
    pthread_mutex_unlock(&reg->lock);
}

static kstream_err_t fetch_id(kstream_avro_registry_t *reg, int32_t id,
                              ks_reg_entry_t *e, char *errstr,
                              size_t errstr_size) {
    char path[48], what[48];
    ks_reg_resp_t resp;
    kstream_err_t err = KSTREAM_ERR_SERDE;
    json_t *j;

    snprintf(path, sizeof(path), "/schemas/ids/%d", id);
    snprintf(what, sizeof(what), "schema id %d", id);
    if (request(reg, "GET", path, NULL, &resp, errstr, errstr_size))
        return KSTREAM_ERR_SERDE;
    if (resp.status != 200) {
        err = answer_error(reg, &resp, what, errstr, errstr_size);
        if (err == KSTREAM_ERR_NOT_FOUND)
            e->msg = ks_strdup(errstr);
    } else if ((j = answer_json(&resp, what, errstr, errstr_size))) {
        e->schema = answer_schema(&resp, j, what, errstr, errstr_size);
        e->id = id;
        err = e->schema ? KSTREAM_OK : KSTREAM_ERR_SERDE;
        json_decref(j);
    }
    free(resp.body);
    return err;
}

kstream_err_t ks_registry_schema(kstream_avro_registry_t *reg, int32_t id,
                                 kstream_avro_schema_t **schema, char *errstr,
                                 size_t errstr_size) {
    char key[32];
    ks_reg_entry_t *e;
    kstream_err_t err;
    bool mine;

    snprintf(key, sizeof(key), "i:%d", id);
    e = claim(reg, key, &mine);
    if (!e) {
        pthread_mutex_unlock(&reg->lock);
        ks_errstr(errstr, errstr_size, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    if (!mine) {
        if (e->state == E_READY) {
            *schema = kstream_avro_schema_ref(e->schema);
            err = KSTREAM_OK;
        } else {
            ks_errstr(errstr, errstr_size, "%s", e->msg ? e->msg : "");
            err = KSTREAM_ERR_NOT_FOUND;
        }
        pthread_mutex_unlock(&reg->lock);
        return err;
    }
    pthread_mutex_unlock(&reg->lock);
    err = fetch_id(reg, id, e, errstr, errstr_size);
    if (err == KSTREAM_OK) {
        *schema = kstream_avro_schema_ref(e->schema);
        publish(reg, key, e, E_READY);
    } else if (err == KSTREAM_ERR_NOT_FOUND &&
               reg->conf->missing_ttl_ms > 0) {
        e->expires_ms = ks_clock_mono_ms() + reg->conf->missing_ttl_ms;
        publish(reg, key, e, E_MISSING);
    } else {
        publish(reg, key, e, E_PENDING);
    }
    return err;
}

/* register (POST .../versions) or lookup (POST /subjects/{s}) */
static kstream_err_t subject_id(kstream_avro_registry_t *reg,
                                const char *subject,
                                const kstream_avro_schema_t *schema,
                                bool do_register, int32_t *id, char *errstr,
                                size_t errstr_size) {
    char *key = NULL, *path = NULL, *body = NULL;
    ks_reg_entry_t *e;
    ks_reg_resp_t resp;
    kstream_err_t err = KSTREAM_ERR_NO_MEMORY;
    bool mine;
    json_t *j;
    ks_buf_t kb;

    ks_buf_init(&kb, NULL);
    if (ks_buf_appendf(&kb, "s:%s\n%s", subject, schema->norm) ||
        !(key = ks_buf_steal(&kb))) {
        ks_buf_free(&kb);
        ks_errstr(errstr, errstr_size, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    e = claim(reg, key, &mine);
    if (!e || !mine) {
        err = e ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
        if (e)
            *id = e->id;
        else
            ks_errstr(errstr, errstr_size, "out of memory");
        pthread_mutex_unlock(&reg->lock);
        free(key);
        return err;
    }
    pthread_mutex_unlock(&reg->lock);
    path = subject_path(subject, do_register ? "/versions" : "");
    body = schema_body(schema);
    resp.body = NULL;
    if (!path || !body) {
        ks_errstr(errstr, errstr_size, "out of memory");
    } else if (request(reg, "POST", path, body, &resp, errstr,
                       errstr_size)) {
        err = KSTREAM_ERR_SERDE;
    } else if (resp.status != 200) {
        char what[300];
        snprintf(what, sizeof(what), "%s the schema under subject \"%s\"",
                 do_register ? "registering" : "looking up", subject);
        err = answer_error(reg, &resp, what, errstr, errstr_size);
    } else if ((j = answer_json(&resp, "register", errstr, errstr_size))) {
        const json_t *jid = json_object_get(j, "id");
        if (json_is_integer(jid) && json_integer_value(jid) >= 0 &&
            json_integer_value(jid) <= INT32_MAX) {
            e->id = (int32_t)json_integer_value(jid);
            err = KSTREAM_OK;
        } else {
            ks_errstr(errstr, errstr_size, "schema registry %s: subject "
                                           "\"%s\": the answer has no valid "
                                           "\"id\"",
                      resp.url, subject);
            err = KSTREAM_ERR_SERDE;
        }
        json_decref(j);
    } else {
        err = KSTREAM_ERR_SERDE;
    }
    free(resp.body);
    free(path);
    free(body);
    if (err == KSTREAM_OK) {
        *id = e->id;
        publish(reg, key, e, E_READY);
        remember_id(reg, *id, (kstream_avro_schema_t *)schema);
    } else {
        publish(reg, key, e, E_PENDING);
    }
    free(key);
    return err;
}

/* ---- public ----------------------------------------------------------------- */

static bool bad_args(const void *reg, const char *subject, const void *schema,
                     const void *out, const char *fn, char *errstr,
                     size_t errstr_size) {
    if (reg && subject && *subject && schema && out)
        return false;
    ks_errstr(errstr, errstr_size, "%s: %s is NULL%s", fn,
              !reg       ? "reg"
              : !subject ? "subject"
              : !schema  ? "schema"
              : !out     ? "the output"
                         : "subject",
              subject && !*subject ? " or empty" : "");
    return true;
}

kstream_err_t kstream_avro_registry_register(
        kstream_avro_registry_t *reg, const char *subject,
        const kstream_avro_schema_t *schema, int32_t *id, char *errstr,
        size_t errstr_size) {
    kstream_err_t err;

    if (bad_args(reg, subject, schema, id, "kstream_avro_registry_register",
                 errstr, errstr_size))
        return KSTREAM_ERR_INVALID_ARG;
    err = subject_id(reg, subject, schema, true, id, errstr, errstr_size);
    /* A 404 while registering is not "not found": the call failed. */
    return err == KSTREAM_ERR_NOT_FOUND ? KSTREAM_ERR_SERDE : err;
}

kstream_err_t kstream_avro_registry_lookup(
        kstream_avro_registry_t *reg, const char *subject,
        const kstream_avro_schema_t *schema, int32_t *id, char *errstr,
        size_t errstr_size) {
    if (bad_args(reg, subject, schema, id, "kstream_avro_registry_lookup",
                 errstr, errstr_size))
        return KSTREAM_ERR_INVALID_ARG;
    return subject_id(reg, subject, schema, false, id, errstr, errstr_size);
}

kstream_err_t kstream_avro_registry_schema_by_id(
        kstream_avro_registry_t *reg, int32_t id,
        kstream_avro_schema_t **schema, char *errstr, size_t errstr_size) {
    if (!reg || !schema || id < 0) {
        ks_errstr(errstr, errstr_size, "kstream_avro_registry_schema_by_id: "
                                       "%s",
                  !reg ? "reg is NULL" : !schema ? "schema is NULL"
                                                 : "negative id");
        return KSTREAM_ERR_INVALID_ARG;
    }
    *schema = NULL;
    return ks_registry_schema(reg, id, schema, errstr, errstr_size);
}

kstream_err_t kstream_avro_registry_latest(kstream_avro_registry_t *reg,
                                           const char *subject, int32_t *id,
                                           int32_t *version,
                                           kstream_avro_schema_t **schema,
                                           char *errstr, size_t errstr_size) {
    char *path, what[300];
    ks_reg_resp_t resp;
    kstream_err_t err = KSTREAM_ERR_SERDE;
    kstream_avro_schema_t *s;
    json_t *j, *jid, *jver;

    if (bad_args(reg, subject, "", "", "kstream_avro_registry_latest",
                 errstr, errstr_size))
        return KSTREAM_ERR_INVALID_ARG;
    if (schema)
        *schema = NULL;
    path = subject_path(subject, "/versions/latest");
    if (!path) {
        ks_errstr(errstr, errstr_size, "out of memory");
        return KSTREAM_ERR_NO_MEMORY;
    }
    snprintf(what, sizeof(what), "latest version of subject \"%s\"",
             subject);
    if (request(reg, "GET", path, NULL, &resp, errstr, errstr_size)) {
        free(path);
        return KSTREAM_ERR_SERDE;
    }
    free(path);
    if (resp.status != 200) {
        err = answer_error(reg, &resp, what, errstr, errstr_size);
    } else if ((j = answer_json(&resp, what, errstr, errstr_size))) {
        jid = json_object_get(j, "id");
        jver = json_object_get(j, "version");
        s = answer_schema(&resp, j, what, errstr, errstr_size);
        if (s && json_is_integer(jid) && json_integer_value(jid) >= 0 &&
            json_integer_value(jid) <= INT32_MAX) {
            int32_t sid = (int32_t)json_integer_value(jid);
            remember_id(reg, sid, s);
            if (id)
                *id = sid;
            if (version)
                *version = (int32_t)json_integer_value(jver);
            if (schema)
                *schema = kstream_avro_schema_ref(s);
            err = KSTREAM_OK;
        } else if (s) {
            ks_errstr(errstr, errstr_size, "schema registry %s: %s: the "
                                           "answer has no valid \"id\"",
                      resp.url, what);
        }
        kstream_avro_schema_destroy(s);
        json_decref(j);
    }
    free(resp.body);
    return err;
}

char *ks_registry_subject(ks_strategy_t strategy, const char *topic,
                          bool is_key, const kstream_avro_schema_t *schema,
                          char *errstr, size_t errstr_size) {
    const char *name = kstream_avro_schema_name(schema);
    ks_buf_t b;
    int rc;

    if (strategy != KS_STRATEGY_RECORD && (!topic || !*topic)) {
        ks_errstr(errstr, errstr_size, "the subject name strategy needs a "
                                       "topic");
        return NULL;
    }
    ks_buf_init(&b, NULL);
    if (strategy == KS_STRATEGY_TOPIC)
        rc = ks_buf_appendf(&b, "%s-%s", topic, is_key ? "key" : "value");
    else if (strategy == KS_STRATEGY_RECORD)
        rc = ks_buf_appendf(&b, "%s", name);
    else
        rc = ks_buf_appendf(&b, "%s-%s", topic, name);
    if (rc) {
        ks_buf_free(&b);
        ks_errstr(errstr, errstr_size, "out of memory");
        return NULL;
    }
    return ks_buf_steal(&b);
}
