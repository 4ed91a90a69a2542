/* cdc_avro.c - the Avro CDC format (Debezium with Confluent's
 * AvroConverter): Confluent-framed Avro envelopes, each writer schema
 * fetched by id through the registry client once and cached. The format
 * holds an Avro serde of the client (which keeps the client alive); each
 * task decodes into its own Avro value (values belong to one thread, and
 * reusing one decodes without allocating), then the envelope becomes JSON
 * (cdc_avro_json.c) for the checks every format shares (cdc_event.c). */
#include "serde/cdc_int.h"

#include <stdio.h>
#include <stdlib.h>

static kstream_err_t avro_state_new(const kstream_cdc_format_t *fmt,
                                    void **state, char *errstr,
                                    size_t errstr_size)
{
    (void)fmt;
    /* No schema: each decode takes the writer's schema. */
    *state = kstream_avro_value_new(NULL, errstr, errstr_size);
    return *state ? KSTREAM_OK : KSTREAM_ERR_NO_MEMORY;
}

static void avro_state_free(void *state)
{
    kstream_avro_value_destroy(state);
}

static kstream_err_t avro_decode(const kstream_cdc_format_t *fmt, void *state,
                                 const void *data, size_t len,
                                 json_t **envelope, char *errstr,
                                 size_t errstr_size)
{
    kstream_avro_value_t *v = state;
    kstream_err_t err = kstream_serde_deserialize(fmt->impl, data, len, v);
    if (err) {
        const char *msg = kstream_avro_value_error(v);
        return ks_json_err(errstr, errstr_size,
                           err == KSTREAM_ERR_NO_MEMORY ? err
                                                        : KSTREAM_ERR_SERDE,
                           "%s", *msg ? msg : kstream_err2str(err));
    }
    return ks_cdc_avro_to_json(v, envelope, errstr, errstr_size);
}

static void avro_free_impl(void *impl)
{
    kstream_serde_destroy(impl);
}

static const ks_cdc_ops_t avro_ops = {.name = "avro",
                                      .wrapper = false,
                                      .state_new = avro_state_new,
                                      .state_free = avro_state_free,
                                      .decode = avro_decode,
                                      .free_impl = avro_free_impl};

kstream_cdc_format_t *kstream_cdc_format_avro(kstream_avro_registry_t *reg,
                                              char *errstr,
                                              size_t errstr_size)
{
    if (!reg) {
        ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                    "kstream_cdc_format_avro: reg is NULL");
        return NULL;
    }
    kstream_cdc_format_t *fmt = calloc(1, sizeof(*fmt));
    if (!fmt) {
        ks_json_err(errstr, errstr_size, KSTREAM_ERR_NO_MEMORY,
                    "out of memory");
        return NULL;
    }
    /* A value serde: decoding takes the writer's schema by the id in the
     * framing; the topic names subjects for encoding only, never done. */
    fmt->impl = kstream_avro_serde_new(reg, NULL, "cdc", false, errstr,
                                       errstr_size);
    if (!fmt->impl) {
        free(fmt);
        return NULL;
    }
    fmt->ops = &avro_ops;
    fmt->refs = 1;
    return fmt;
}
