/* avro_frame.c - Confluent's wire format around an Avro body: magic byte 0,
 * then the schema id as a 4-byte big-endian integer. */
#include "serde/avro_int.h"

kstream_err_t kstream_avro_frame_parse(const void *data, size_t len,
                                       int32_t *schema_id,
                                       kstream_bytes_t *body, char *errstr,
                                       size_t errstr_size) {
    const uint8_t *b = data;
    uint32_t id;

    if (!schema_id || !body || (!data && len)) {
        ks_errstr(errstr, errstr_size, "kstream_avro_frame_parse: %s is "
                                       "NULL",
                  !schema_id ? "schema_id" : !body ? "body" : "data");
        return KSTREAM_ERR_INVALID_ARG;
    }
    if (!data) {
        ks_errstr(errstr, errstr_size, "Confluent framing: a Kafka null "
                                       "(tombstone) is not an Avro message");
        return KSTREAM_ERR_SERDE;
    }
    if (len < KSTREAM_AVRO_HEADER_SIZE) {
        ks_errstr(errstr, errstr_size, "Confluent framing: %zu byte%s, "
                                       "shorter than the 5-byte header "
                                       "(magic byte and schema id)",
                  len, len == 1 ? "" : "s");
        return KSTREAM_ERR_SERDE;
    }
    if (b[0] != KSTREAM_AVRO_MAGIC) {
        ks_errstr(errstr, errstr_size, "Confluent framing: unknown magic "
                                       "byte 0x%02x (expected 0x00): not "
                                       "Confluent's wire format",
                  b[0]);
        return KSTREAM_ERR_SERDE;
    }
    id = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 |
         b[4];
    if (id > INT32_MAX) {
        ks_errstr(errstr, errstr_size, "Confluent framing: schema id %u is "
                                       "out of range",
                  id);
        return KSTREAM_ERR_SERDE;
    }
    *schema_id = (int32_t)id;
    body->data = b + KSTREAM_AVRO_HEADER_SIZE;
    body->len = len - KSTREAM_AVRO_HEADER_SIZE;
    return KSTREAM_OK;
}

kstream_err_t kstream_avro_frame_write(kstream_buf_t *out, int32_t schema_id) {
    uint8_t h[KSTREAM_AVRO_HEADER_SIZE];

    if (!out || schema_id < 0)
        return KSTREAM_ERR_INVALID_ARG;
    h[0] = KSTREAM_AVRO_MAGIC;
    h[1] = (uint8_t)((uint32_t)schema_id >> 24);
    h[2] = (uint8_t)((uint32_t)schema_id >> 16);
    h[3] = (uint8_t)((uint32_t)schema_id >> 8);
    h[4] = (uint8_t)schema_id;
    return kstream_buf_append(out, h, sizeof(h));
}
