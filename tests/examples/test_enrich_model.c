/* test_enrich_model.c - the enrich generator run through the topology on
 * the test driver: the whole output and the whole dead-letter topic must
 * be what the model computes, record for record; the generator is
 * deterministic and makes every kind of record it promises; bad options
 * are refused. */
#include "helpers_enrich.h"

TestSuite(enrich_model, .timeout = 240);

typedef struct run {
    kstream_test_driver_t *drv;
    enrich_model_t *model;
    size_t notes[32];
    const char *names[32];
    size_t nnames;
    size_t n, restart_at;
    uint64_t digest; /* of every generated record */
} run_t;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static void count_note(run_t *r, const char *note)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (!strcmp(r->names[i], note)) {
            r->notes[i]++;
            return;
        }
    cr_assert(r->nnames < 32);
    r->names[r->nnames] = note;
    r->notes[r->nnames++] = 1;
}

static size_t notes_of(const run_t *r, const char *note)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (!strcmp(r->names[i], note))
            return r->notes[i];
    return 0;
}

static int on_record(const enrich_gen_record_t *rec, void *opaque)
{
    run_t *r = opaque;
    cr_assert(rec->note, "every record says what it is");
    count_note(r, rec->note);
    r->digest = fnv(r->digest, rec->topic, strlen(rec->topic));
    if (rec->key)
        r->digest = fnv(r->digest, rec->key, rec->key_len);
    if (rec->value)
        r->digest = fnv(r->digest, rec->value, rec->value_len);
    r->digest = fnv(r->digest, &rec->timestamp, sizeof(rec->timestamp));
    if (r->model)
        cr_assert_eq(enrich_model_add(r->model, rec), 0);
    if (r->drv) {
        kstream_err_t err = kstream_test_driver_pipe(
                r->drv, rec->topic, rec->key, rec->key_len, rec->value,
                rec->value_len, rec->timestamp);
        cr_assert_eq(err, KSTREAM_OK, "%s",
                     kstream_test_driver_last_error(r->drv));
    }
    if (++r->n == r->restart_at && r->drv)
        cr_assert_eq(kstream_test_driver_restart(r->drv, false), KSTREAM_OK,
                     "%s", kstream_test_driver_last_error(r->drv));
    return 0;
}

/* Compare a topic's records with the model's, in order. */
static void compare(kstream_test_driver_t *drv, const char *topic,
                    const enrich_expected_t *(*get)(const enrich_model_t *,
                                                    size_t),
                    size_t count, const enrich_model_t *m, bool check_ts)
{
    const kstream_record_t *rec;
    size_t i = 0;
    for (; kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK; i++) {
        cr_assert_lt(i, count, "%s: more records than the model's %zu",
                     topic, count);
        const enrich_expected_t *e = get(m, i);
        kstream_bytes_t k = kstream_record_key(rec);
        kstream_bytes_t v = kstream_record_value(rec);
        cr_assert_eq(k.data == NULL, e->null_key, "%s #%zu: key", topic, i);
        cr_assert(e->null_key ||
                          (k.len == e->key_len &&
                           !memcmp(k.data, e->key, k.len)),
                  "%s #%zu: key %.*s, model %s", topic, i, (int)k.len,
                  (const char *)k.data, e->key);
        cr_assert_eq(v.data == NULL, e->value == NULL, "%s #%zu", topic, i);
        cr_assert(!e->value || (v.len == e->value_len &&
                                !memcmp(v.data, e->value, v.len)),
                  "%s #%zu:\n got   %.*s\n model %.*s", topic, i,
                  (int)v.len, (const char *)v.data, (int)e->value_len,
                  e->value);
        if (check_ts)
            cr_assert_eq(kstream_record_timestamp(rec), e->timestamp,
                         "%s #%zu: time", topic, i);
    }
    cr_assert_eq(i, count, "%s: %zu records, the model has %zu", topic, i,
                 count);
}

static void run_and_compare(uint64_t seed, size_t n, size_t restart_at)
{
    char err[512];
    run_t r = {.restart_at = restart_at, .digest = 1469598103934665603ULL};
    kstream_avro_registry_t *reg = he_registry();
    r.drv = he_driver(reg, NULL);
    r.model = enrich_model_new(NULL);
    cr_assert(r.model);
    cr_assert_eq(enrich_generate(reg, seed, n, on_record, &r, err,
                                 sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(r.n, n);
    compare(r.drv, ENRICH_OUTPUT_TOPIC, enrich_model_output,
            enrich_model_output_count(r.model), r.model, true);
    compare(r.drv, ENRICH_DLQ_TOPIC, enrich_model_dlq,
            enrich_model_dlq_count(r.model), r.model, false);
    if (!restart_at) { /* counters restart from 0 with the instance */
        int64_t dups = -1;
        cr_assert_eq(kstream_test_driver_metric(r.drv, "duplicates-dropped",
                                                &dups),
                     KSTREAM_OK);
        cr_assert_eq((size_t)dups, enrich_model_duplicates(r.model));
    }
    /* The share of each kind is realistic, and none is missing. */
    const char *kinds[] = {"new",       "late",          "retry",
                           "replay",    "snapshot",      "create",
                           "update",    "move",          "cancel",
                           "delete",    "tombstone",     "missing-field",
                           "bad-type",  "bad-value",     "garbage",
                           "unknown-schema", "bad-cdc"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        cr_assert_gt(notes_of(&r, kinds[i]), 0, "no '%s' record", kinds[i]);
    cr_assert_gt(notes_of(&r, "new"), n / 3);
    cr_assert_lt(enrich_model_dlq_count(r.model), n / 8);
    cr_assert_gt(enrich_model_duplicates(r.model), 0);
    cr_assert_gt(enrich_model_output_count(r.model), n / 3);
    enrich_model_destroy(r.model);
    kstream_test_driver_destroy(r.drv);
    kstream_avro_registry_destroy(reg);
}

Test(enrich_model, generated_input_matches_the_model)
{
    run_and_compare(42, 3000, 0);
}

Test(enrich_model, another_seed_with_a_restart_midway)
{
    run_and_compare(7, 2500, 1200);
}

static uint64_t digest_of(uint64_t seed, size_t n)
{
    char err[512];
    run_t r = {.digest = 1469598103934665603ULL};
    kstream_avro_registry_t *reg = he_registry();
    cr_assert_eq(enrich_generate(reg, seed, n, on_record, &r, err,
                                 sizeof(err)),
                 0, "%s", err);
    kstream_avro_registry_destroy(reg);
    cr_assert_eq(r.n, n);
    return r.digest;
}

Test(enrich_model, generator_is_deterministic)
{
    cr_assert_eq(digest_of(1, 500), digest_of(1, 500));
    cr_assert_neq(digest_of(1, 500), digest_of(2, 500));
    cr_assert_eq(digest_of(3, 0), digest_of(4, 0)); /* nothing at all */
}

static int stop_after_ten(const enrich_gen_record_t *rec, void *opaque)
{
    (void)rec;
    return ++*(int *)opaque == 10 ? 77 : 0;
}

Test(enrich_model, emit_can_stop_the_generator)
{
    char err[512];
    int seen = 0;
    kstream_avro_registry_t *reg = he_registry();
    cr_assert_eq(enrich_generate(reg, 1, 100, stop_after_ten, &seen, err,
                                 sizeof(err)),
                 77);
    cr_assert_eq(seen, 10);
    kstream_avro_registry_destroy(reg);
}

Test(enrich_model, bad_arguments)
{
    char err[512];
    enrich_opts_t o;
    enrich_opts_init(&o);
    cr_assert_null(enrich_topology(&o, err, sizeof(err)), "no registry");
    cr_assert(strstr(err, "registry"), "%s", err);
    cr_assert_null(enrich_topology(NULL, NULL, 0));
    kstream_avro_registry_t *reg = he_registry();
    o.registry = reg;
    o.dedup_window_ms = 0;
    cr_assert_null(enrich_topology(&o, err, sizeof(err)));
    o.dedup_window_ms = 1;
    o.output_topic = "";
    cr_assert_null(enrich_topology(&o, err, sizeof(err)));
    o.output_topic = o.events_topic; /* a cycle through events.user */
    cr_assert_null(enrich_topology(&o, err, sizeof(err)));
    cr_assert_eq(enrich_generate(NULL, 1, 1, stop_after_ten, NULL, err,
                                 sizeof(err)),
                 -1);
    cr_assert_eq(enrich_generate(reg, 1, 1, NULL, NULL, err, sizeof(err)),
                 -1);
    cr_assert_eq(enrich_conf_set(NULL, &o, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    kstream_conf_t *conf = kstream_conf_new();
    o.dlq_topic = NULL;
    cr_assert_eq(enrich_conf_set(conf, &o, err, sizeof(err)),
                 KSTREAM_ERR_INVALID_ARG);
    kstream_conf_destroy(conf);
    o.vip_cents = 0;
    cr_assert_null(enrich_model_new(&o));
    cr_assert_eq(enrich_model_add(NULL, NULL), -1);
    cr_assert_eq(enrich_model_output_count(NULL), 0);
    cr_assert_null(enrich_model_output(NULL, 0));
    enrich_stats_t s;
    cr_assert_eq(enrich_stats_decode("abc", 3, &s), KSTREAM_ERR_SERDE);
    cr_assert_eq(enrich_stats_decode(NULL, 16, &s), KSTREAM_ERR_INVALID_ARG);
    kstream_buf_t *b = kstream_buf_new();
    cr_assert_eq(enrich_order_change('t', NULL, NULL, 1, b),
                 KSTREAM_ERR_INVALID_ARG);
    cr_assert_eq(enrich_format_output(NULL, &s, 1, b),
                 KSTREAM_ERR_INVALID_ARG);
    kstream_buf_destroy(b);
    kstream_avro_registry_destroy(reg);
}
