/* kafka_check.c - validate the librdkafka side of a configuration up
 * front: every role's rd_kafka_conf_t is built once and dropped, so that a
 * misspelled "consumer." or "producer." property fails kstream_new() and
 * not a stream thread later. */
#include <librdkafka/rdkafka.h>

#include "runtime/kafka.h"

kstream_err_t ks_kafka_conf_check(const kstream_conf_t *conf, char *errstr,
                                  size_t errstr_size)
{
    if (!conf)
        return KSTREAM_ERR_INVALID_ARG;
    static const ks_kafka_role_t roles[] = {
            KS_KAFKA_CONSUMER, KS_KAFKA_RESTORE_CONSUMER,
            KS_KAFKA_GLOBAL_CONSUMER, KS_KAFKA_PRODUCER, KS_KAFKA_ADMIN};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        rd_kafka_conf_t *c = ks_kafka_conf_new(conf, roles[i], "kstream-check",
                                               errstr, errstr_size);
        if (!c)
            return KSTREAM_ERR_CONF;
        rd_kafka_conf_destroy(c);
    }
    return KSTREAM_OK;
}
