/* cdc_json.c - the JSON CDC format (Debezium with Kafka Connect's
 * JsonConverter, schemas enabled or not): the event is a JSON document,
 * parsed with the JSON serde's limits. Static: no state, any thread. */
#include "serde/cdc_int.h"

static kstream_err_t json_decode(const kstream_cdc_format_t *fmt,
                                 void *state, const void *data, size_t len,
                                 json_t **envelope, char *errstr,
                                 size_t errstr_size)
{
    (void)fmt;
    (void)state;
    return ks_json_parse(data, len, envelope, errstr, errstr_size);
}

static const ks_cdc_ops_t json_ops = {.name = "json",
                                      .wrapper = true,
                                      .decode = json_decode};

static const kstream_cdc_format_t json_format = {.ops = &json_ops,
                                                 .is_static = true};

const kstream_cdc_format_t *kstream_cdc_format_json(void)
{
    return &json_format;
}
