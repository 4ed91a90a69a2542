/* core.h - internal interface of lib/core: configuration access, logging,
 * error strings. Shared by every layer above core. */
#ifndef KS_CORE_H
#define KS_CORE_H

#include <stdarg.h>
#include <stdint.h>

#include "kstream.h"

/* A property's value type in the property table (conf_props.c). */
typedef enum ks_prop_type {
    KS_PROP_STRING,
    KS_PROP_INT,  /* int64 with min/max */
    KS_PROP_BOOL, /* "true" / "false" */
    KS_PROP_ENUM  /* one of a '|'-separated list, e.g. "fail|continue" */
} ks_prop_type_t;

/* One row of the property table. The table is const and shared. */
typedef struct ks_prop {
    const char *name;
    ks_prop_type_t type;
    const char *def;   /* default as text; NULL: unset */
    int64_t min, max;  /* KS_PROP_INT only */
    const char *enums; /* KS_PROP_ENUM only: "a|b|c" */
    const char *scope; /* "all", "app" (Kafka runtime), "test" (driver) */
    const char *desc;  /* one paragraph of markdown */
} ks_prop_t;

/* The table, terminated by a row with name NULL. */
extern const ks_prop_t ks_props[];

/* Typed getters. The property must be in the table (assert); the value is
 * the one set or the default. Strings are borrowed from conf; an unset
 * string without default gives NULL. */
const char *ks_conf_str(const kstream_conf_t *conf, const char *name);
int64_t ks_conf_int(const kstream_conf_t *conf, const char *name);
int ks_conf_bool(const kstream_conf_t *conf, const char *name);

/* Pass-through properties with the given prefix ("consumer.", ...), in the
 * order set. Calls fn(key without prefix, value, opaque) for each; stops and
 * returns fn's first non-zero result. */
int ks_conf_foreach_prefixed(const kstream_conf_t *conf, const char *prefix,
                             int (*fn)(const char *key, const char *value,
                                       void *opaque),
                             void *opaque);

/* Logging. A logger is a small value copied out of a conf: callback
 * (default: stderr), opaque and level ("log.level"). */
typedef struct ks_logger {
    kstream_log_cb *cb; /* never NULL after ks_conf_logger() */
    void *opaque;
    int level;
} ks_logger_t;

void ks_conf_logger(const kstream_conf_t *conf, ks_logger_t *out);
/* Format and deliver a message when level <= lg->level. */
void ks_log(const ks_logger_t *lg, int level, const char *facility,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define KS_LOG_ERR 3
#define KS_LOG_WARNING 4
#define KS_LOG_NOTICE 5
#define KS_LOG_INFO 6
#define KS_LOG_DEBUG 7

/* snprintf into errstr when errstr is non-NULL and errstr_size > 0. */
void ks_errstr(char *errstr, size_t errstr_size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Print the property table as markdown (docs/configuration.md). */
void ks_props_markdown(FILE *out);

#endif /* KS_CORE_H */
