/* conf.c - kstream_conf_t (Java's StreamsConfig): string properties checked
 * against the one property table (conf_props.c), pass-through keys for
 * librdkafka, typed getters for the layers above.
 *
 * Values are stored as text, normalised when set (ints in plain decimal),
 * so kstream_conf_get() and the typed getters read the same thing. A
 * property never set has no stored value and reads as its default, which
 * for commit.interval.ms depends on processing.guarantee. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_int.h"

/* Keys with these prefixes go to librdkafka (prefix removed by the runtime).
 * "restore.consumer." does not start with "consumer.", so a key matches at
 * most one of them. */
static const char *const ks_pass_prefixes[] = {"consumer.", "producer.",
                                               "restore.consumer.", "admin."};

/* Length of the pass-through prefix name starts with, or 0. */
static size_t ks_pass_prefix_len(const char *name) {
    size_t i;

    for (i = 0; i < sizeof(ks_pass_prefixes) / sizeof(ks_pass_prefixes[0]);
         i++) {
        size_t len = strlen(ks_pass_prefixes[i]);
        if (!strncmp(name, ks_pass_prefixes[i], len))
            return len;
    }
    return 0;
}

const ks_prop_t *ks_prop_find(const char *name) {
    const ks_prop_t *prop;

    for (prop = ks_props; prop->name; prop++)
        if (!strcmp(prop->name, name))
            return prop;
    return NULL;
}

size_t ks_props_count(void) {
    size_t n = 0;

    while (ks_props[n].name)
        n++;
    return n;
}

/* ---- value checks ------------------------------------------------------- */

/* Parse a whole string as a decimal int64. strtoll alone would accept
 * leading blanks and stop at trailing junk; both are rejected here.
 * @returns 0, -1 for not a number, -2 for a number outside int64. */
static int ks_parse_int64(const char *s, int64_t *out) {
    const char *p = s;
    char *end;
    long long v;

    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return -1;
    if (errno == ERANGE)
        return -2;
    *out = (int64_t)v;
    return 0;
}

/* Is value one of the '|'-separated words of list? */
static int ks_enum_has(const char *list, const char *value) {
    size_t vlen = strlen(value);
    const char *p = list;

    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && !strncmp(p, value, len))
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

/* Write "a, b, c" for the list "a|b|c" into out (truncated to size). */
static void ks_enum_pretty(const char *list, char *out, size_t size) {
    size_t o = 0;
    const char *p;

    for (p = list; *p && o + 3 < size; p++) {
        if (*p == '|') {
            out[o++] = ',';
            out[o++] = ' ';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static char *ks_strdup_(const char *s) {
    size_t len = strlen(s) + 1;
    char *d = malloc(len);

    if (d)
        memcpy(d, s, len);
    return d;
}

kstream_conf_res_t ks_prop_validate(const ks_prop_t *prop, const char *value,
                                    char **canon, char *errstr,
                                    size_t errstr_size) {
    char text[32];
    const char *norm = value;
    int64_t v;
    int rc;

    switch (prop->type) {
    case KS_PROP_STRING:
        if (!*value) {
            ks_errstr(errstr, errstr_size,
                      "Configuration property \"%s\" must not be empty",
                      prop->name);
            return KSTREAM_CONF_INVALID;
        }
        break;

    case KS_PROP_INT:
        rc = ks_parse_int64(value, &v);
        if (rc == -1) {
            ks_errstr(errstr, errstr_size,
                      "Invalid value \"%s\" for configuration property "
                      "\"%s\": expected an integer",
                      value, prop->name);
            return KSTREAM_CONF_INVALID;
        }
        if (rc == -2 || v < prop->min || v > prop->max) {
            ks_errstr(errstr, errstr_size,
                      "Configuration property \"%s\" value %s is outside "
                      "the allowed range %lld..%lld",
                      prop->name, value, (long long)prop->min,
                      (long long)prop->max);
            return KSTREAM_CONF_INVALID;
        }
        snprintf(text, sizeof(text), "%lld", (long long)v);
        norm = text;
        break;

    case KS_PROP_BOOL:
        if (strcmp(value, "true") && strcmp(value, "false")) {
            ks_errstr(errstr, errstr_size,
                      "Invalid value \"%s\" for configuration property "
                      "\"%s\": expected true or false",
                      value, prop->name);
            return KSTREAM_CONF_INVALID;
        }
        break;

    case KS_PROP_ENUM:
        if (!ks_enum_has(prop->enums, value)) {
            char allowed[256];
            ks_enum_pretty(prop->enums, allowed, sizeof(allowed));
            ks_errstr(errstr, errstr_size,
                      "Invalid value \"%s\" for configuration property "
                      "\"%s\": allowed values are %s",
                      value, prop->name, allowed);
            return KSTREAM_CONF_INVALID;
        }
        break;
    }

    if (canon)
        *canon = ks_strdup_(norm);
    return KSTREAM_CONF_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* The default of prop in conf. Defaults that depend on another property
 * live here: like Kafka Streams, exactly-once lowers the commit interval to
 * 100 ms unless the user chose one. */
static const char *ks_conf_default(const kstream_conf_t *conf,
                                   const ks_prop_t *prop) {
    if (!strcmp(prop->name, "commit.interval.ms")) {
        const char *pg = ks_conf_str(conf, "processing.guarantee");
        if (pg && !strcmp(pg, "exactly_once_v2"))
            return "100";
    }
    return prop->def;
}

/* The effective text of prop: the value set, else the default (NULL when
 * there is neither). Borrowed from conf or from the const table. */
static const char *ks_conf_value(const kstream_conf_t *conf,
                                 const ks_prop_t *prop) {
    size_t idx = (size_t)(prop - ks_props);

    assert(idx < conf->nprops);
    if (conf->vals[idx])
        return conf->vals[idx];
    return ks_conf_default(conf, prop);
}

static ks_conf_kv_t *ks_conf_pass_find(const kstream_conf_t *conf,
                                       const char *key) {
    size_t i;

    for (i = 0; i < conf->npass; i++)
        if (!strcmp(conf->pass[i].key, key))
            return &conf->pass[i];
    return NULL;
}

const char *ks_conf_str(const kstream_conf_t *conf, const char *name) {
    const ks_prop_t *prop = ks_prop_find(name);

    assert(conf && prop);
    return ks_conf_value(conf, prop);
}

int64_t ks_conf_int(const kstream_conf_t *conf, const char *name) {
    const ks_prop_t *prop = ks_prop_find(name);
    const char *text;
    int64_t v = 0;
    int rc;

    assert(conf && prop && prop->type == KS_PROP_INT);
    text = ks_conf_value(conf, prop);
    /* Every int property has a default and set values were validated. */
    assert(text);
    rc = ks_parse_int64(text, &v);
    assert(rc == 0);
    (void)rc;
    return v;
}

int ks_conf_bool(const kstream_conf_t *conf, const char *name) {
    const ks_prop_t *prop = ks_prop_find(name);
    const char *text;

    assert(conf && prop && prop->type == KS_PROP_BOOL);
    text = ks_conf_value(conf, prop);
    return text && !strcmp(text, "true");
}

int ks_conf_foreach_prefixed(const kstream_conf_t *conf, const char *prefix,
                             int (*fn)(const char *key, const char *value,
                                       void *opaque),
                             void *opaque) {
    size_t plen, i;

    assert(conf && prefix && fn);
    plen = strlen(prefix);
    for (i = 0; i < conf->npass; i++) {
        const ks_conf_kv_t *kv = &conf->pass[i];
        int rc;
        if (strncmp(kv->key, prefix, plen))
            continue;
        rc = fn(kv->key + plen, kv->value, opaque);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- public API --------------------------------------------------------- */

kstream_conf_t *kstream_conf_new(void) {
    kstream_conf_t *conf = calloc(1, sizeof(*conf));

    if (!conf)
        return NULL;
    conf->nprops = ks_props_count();
    conf->vals = calloc(conf->nprops ? conf->nprops : 1, sizeof(char *));
    if (!conf->vals) {
        free(conf);
        return NULL;
    }
    return conf;
}

void kstream_conf_destroy(kstream_conf_t *conf) {
    size_t i;

    if (!conf)
        return;
    for (i = 0; i < conf->nprops; i++)
        free(conf->vals[i]);
    free(conf->vals);
    for (i = 0; i < conf->npass; i++) {
        free(conf->pass[i].key);
        free(conf->pass[i].value);
    }
    free(conf->pass);
    free(conf);
}

kstream_conf_t *kstream_conf_dup(const kstream_conf_t *conf) {
    kstream_conf_t *dup;
    size_t i;

    if (!conf)
        return NULL;
    dup = kstream_conf_new();
    if (!dup)
        return NULL;
    for (i = 0; i < conf->nprops; i++) {
        if (!conf->vals[i])
            continue;
        dup->vals[i] = ks_strdup_(conf->vals[i]);
        if (!dup->vals[i])
            goto fail;
    }
    if (conf->npass) {
        dup->pass = calloc(conf->npass, sizeof(*dup->pass));
        if (!dup->pass)
            goto fail;
        dup->passcap = conf->npass;
        for (i = 0; i < conf->npass; i++) {
            dup->pass[i].key = ks_strdup_(conf->pass[i].key);
            dup->pass[i].value = ks_strdup_(conf->pass[i].value);
            dup->npass++;
            if (!dup->pass[i].key || !dup->pass[i].value)
                goto fail;
        }
    }
    dup->log_cb = conf->log_cb;
    dup->log_opaque = conf->log_opaque;
    return dup;

fail:
    kstream_conf_destroy(dup);
    return NULL;
}

/* Set or replace a pass-through key; a replaced key keeps its position. */
static kstream_conf_res_t ks_conf_set_pass(kstream_conf_t *conf,
                                           const char *name, const char *value,
                                           char *errstr, size_t errstr_size) {
    ks_conf_kv_t *kv = ks_conf_pass_find(conf, name);
    char *v = ks_strdup_(value);

    if (!v)
        goto oom;
    if (kv) {
        free(kv->value);
        kv->value = v;
        return KSTREAM_CONF_OK;
    }
    if (conf->npass == conf->passcap) {
        size_t cap = conf->passcap ? conf->passcap * 2 : 8;
        ks_conf_kv_t *p = realloc(conf->pass, cap * sizeof(*p));
        if (!p)
            goto oom;
        conf->pass = p;
        conf->passcap = cap;
    }
    kv = &conf->pass[conf->npass];
    kv->key = ks_strdup_(name);
    if (!kv->key)
        goto oom;
    kv->value = v;
    conf->npass++;
    return KSTREAM_CONF_OK;

oom:
    free(v);
    ks_errstr(errstr, errstr_size, "Out of memory setting \"%s\"", name);
    return KSTREAM_CONF_INVALID;
}

kstream_conf_res_t kstream_conf_set(kstream_conf_t *conf, const char *name,
                                    const char *value, char *errstr,
                                    size_t errstr_size) {
    const ks_prop_t *prop;
    size_t plen;
    char *canon = NULL;
    kstream_conf_res_t res;

    if (!conf || !name || !value) {
        ks_errstr(errstr, errstr_size, "kstream_conf_set: %s is NULL",
                  !conf ? "conf" : !name ? "name" : "value");
        return KSTREAM_CONF_INVALID;
    }

    plen = ks_pass_prefix_len(name);
    if (plen) {
        if (!name[plen]) {
            ks_errstr(errstr, errstr_size,
                      "Configuration property \"%s\" needs a librdkafka "
                      "property name after the prefix",
                      name);
            return KSTREAM_CONF_INVALID;
        }
        return ks_conf_set_pass(conf, name, value, errstr, errstr_size);
    }

    prop = ks_prop_find(name);
    if (!prop) {
        ks_errstr(errstr, errstr_size,
                  "No such configuration property: \"%s\"", name);
        return KSTREAM_CONF_UNKNOWN;
    }
    res = ks_prop_validate(prop, value, &canon, errstr, errstr_size);
    if (res != KSTREAM_CONF_OK)
        return res;
    if (!canon) {
        ks_errstr(errstr, errstr_size, "Out of memory setting \"%s\"", name);
        return KSTREAM_CONF_INVALID;
    }
    free(conf->vals[prop - ks_props]);
    conf->vals[prop - ks_props] = canon;
    return KSTREAM_CONF_OK;
}

kstream_err_t kstream_conf_get(const kstream_conf_t *conf, const char *name,
                               char *dest, size_t *dest_size) {
    const char *value = NULL;
    size_t need;

    if (!conf || !name || !dest_size)
        return KSTREAM_ERR_INVALID_ARG;

    if (ks_pass_prefix_len(name)) {
        const ks_conf_kv_t *kv = ks_conf_pass_find(conf, name);
        if (kv)
            value = kv->value;
    } else {
        const ks_prop_t *prop = ks_prop_find(name);
        if (prop)
            value = ks_conf_value(conf, prop);
    }
    /* Unknown key, unset pass-through key, or a string property that has
     * no default and was never set. */
    if (!value)
        return KSTREAM_ERR_NOT_FOUND;

    need = strlen(value) + 1;
    if (!dest) {
        *dest_size = need;
        return KSTREAM_OK;
    }
    if (*dest_size < need) {
        if (*dest_size > 0)
            dest[0] = '\0';
        *dest_size = need;
        return KSTREAM_ERR_TOO_LARGE;
    }
    memcpy(dest, value, need);
    *dest_size = need;
    return KSTREAM_OK;
}

kstream_err_t kstream_conf_set_log_cb(kstream_conf_t *conf, kstream_log_cb *cb,
                                      void *opaque) {
    if (!conf)
        return KSTREAM_ERR_INVALID_ARG;
    conf->log_cb = cb;
    conf->log_opaque = cb ? opaque : NULL;
    return KSTREAM_OK;
}
