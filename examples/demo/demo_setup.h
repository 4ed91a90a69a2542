/* demo_setup.h - the demo's topics and apps (demo_setup.c). */
#ifndef DEMO_SETUP_H
#define DEMO_SETUP_H

#include "demo.h"

#define DEMO_NTOPICS 10

/* Name the topics: \p prefix + each example's default, in \p buf.
 * @returns 0, or -1 when \p buf is too small. */
int demo_topics_init(demo_topics_t *t, const char *prefix, char *buf,
                     size_t size);
/* Topic \p i: events, orders, enriched, enrich_dlq, per_minute,
 * aggregate_dlq, telemetry, sessions, alerts, telemetry_dlq. */
const char *demo_topic_at(const demo_topics_t *t, size_t i);
/* Create every topic on \p dc, or through the Admin API of \p bootstrap
 * when \p dc is NULL (existing topics are kept). @returns 0 or -1. */
int demo_create_topics(kstream_dev_cluster_t *dc, const char *bootstrap,
                       const demo_topics_t *t);

typedef kstream_err_t(demo_configure_fn)(kstream_conf_t *conf,
                                         const void *opts, char *errstr,
                                         size_t errstr_size);
typedef struct demo_app_spec {
    const char *app_id, *bootstrap;
    kstream_dev_cluster_t *dc; /* NULL: a real cluster */
    const kstream_topology_t *topology;
    demo_configure_fn *configure;
    const void *opts;
} demo_app_spec_t;

/* Make \p state_dir (a mkdtemp template), create the app's internal topics
 * on the embedded cluster, and start the app under exactly_once_v2.
 * @returns the running app, or NULL with the error printed. */
kstream_t *demo_app_new(const demo_app_spec_t *s, char *state_dir);
/* rm -rf a directory demo_app_new() made. */
void demo_remove_dir(const char *dir);

#endif /* DEMO_SETUP_H */
