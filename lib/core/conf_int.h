/* conf_int.h - private to lib/core: the layout of kstream_conf_t and the
 * helpers conf.c, conf_props.c and log.c share. Other layers use core.h. */
#ifndef KS_CONF_INT_H
#define KS_CONF_INT_H

#include "core/core.h"

/* One pass-through property ("consumer.fetch.max.bytes"), full key kept. */
typedef struct ks_conf_kv {
    char *key;
    char *value;
} ks_conf_kv_t;

/* A configuration. Owned by the application until a constructor consumes
 * it; not thread-safe (application thread only), read-only once consumed. */
struct kstream_conf_s {
    char **vals;  /* one per ks_props row; NULL: not set (default applies) */
    size_t nprops;
    ks_conf_kv_t *pass; /* pass-through keys in the order first set */
    size_t npass, passcap;
    kstream_log_cb *log_cb; /* NULL: the default (stderr) */
    void *log_opaque;
};

/* The row called name, or NULL. */
const ks_prop_t *ks_prop_find(const char *name);
/* Number of rows in ks_props (without the terminator). */
size_t ks_props_count(void);

/* Check value against the row's type and range. On success returns
 * KSTREAM_CONF_OK and, when canon is non-NULL, *canon is a malloc'd
 * normalised copy of the value (ints in plain decimal); NULL in *canon with
 * KSTREAM_CONF_OK means out of memory. On failure returns
 * KSTREAM_CONF_INVALID with a message naming the property. */
kstream_conf_res_t ks_prop_validate(const ks_prop_t *prop, const char *value,
                                    char **canon, char *errstr,
                                    size_t errstr_size);

/* The default log callback (stderr). */
kstream_log_cb *ks_log_default_cb(void);

#endif /* KS_CONF_INT_H */
