/* kafka_client_produce.c - the producing half of the librdkafka client
 * (Java's RecordCollector): produce with backpressure, delivery reports,
 * the acknowledged offset of each partition written, flush. */
#include <stdlib.h>
#include <string.h>

#include "runtime/kafka_client_int.h"

/* rd_kafka_vu_t slots of a record besides its headers: topic, partition,
 * flags, key, value, timestamp, opaque. Records with a few headers fit on the
 * stack. */
#define KC_VU_FIXED 7
#define KC_VU_STACK 24

/* ---- topics produced to ------------------------------------------------ */

/* o's handle on the current producer, made when it has none. */
static kstream_err_t kc_out_handle(ks_kafka_client_t *c, ks_kafka_out_t *o) {
    rd_kafka_resp_err_t code;

    if (o->rkt || (o->rkt = rd_kafka_topic_new(c->producer, o->name, NULL)))
        return KSTREAM_OK;
    code = rd_kafka_last_error();
    ks_log(&c->opaque.log, KS_LOG_WARNING, "PRODUCER", "topic '%s': %s",
           o->name, rd_kafka_err2str(code));
    return ks_kafka_err(code);
}

/* The entry of topic, with a handle on the current producer (NULL with
 * *err set: out of memory, or librdkafka refused the topic). Records come
 * in runs of one topic: the last entry is tried first. */
static ks_kafka_out_t *kc_out(ks_kafka_client_t *c, const char *topic,
                              kstream_err_t *err) {
    ks_kafka_out_t *o = c->out_last;

    if (!o || strcmp(o->name, topic) != 0) {
        if (!c->outs && !(c->outs = ks_map_new()))
            goto oom;
        if (!(o = ks_map_get(c->outs, topic))) {
            size_t len = strlen(topic) + 1;
            if (!(o = calloc(1, sizeof(*o) + len)))
                goto oom;
            memcpy(o->name, topic, len);
            o->written = ks_written_topic(&c->written, topic);
            if (!o->written || ks_map_put(c->outs, o->name, o)) {
                free(o);
                goto oom;
            }
        }
        c->out_last = o;
    }
    return (*err = kc_out_handle(c, o)) == KSTREAM_OK ? o : NULL;
oom:
    *err = KSTREAM_ERR_NO_MEMORY;
    return NULL;
}

void ks_kafka_outs_release(ks_kafka_client_t *c) {
    size_t it = 0;
    const char *k;
    void *v;

    while (c->outs && ks_map_next(c->outs, &it, &k, &v)) {
        ks_kafka_out_t *o = v;
        if (o->rkt)
            rd_kafka_topic_destroy(o->rkt);
        o->rkt = NULL;
    }
}

void ks_kafka_outs_free(ks_kafka_client_t *c) {
    size_t it = 0;
    const char *k;
    void *v;

    ks_kafka_outs_release(c);
    while (c->outs && ks_map_next(c->outs, &it, &k, &v))
        free(v);
    ks_map_destroy(c->outs);
    c->outs = NULL;
    c->out_last = NULL;
}

/* ---- written offsets ---------------------------------------------------- */

/* Note that offset of partition was acknowledged (o: the record's
 * opaque, its topic's entry). */
static void kc_written_note(ks_kafka_client_t *c, ks_kafka_out_t *o,
                            int32_t partition, int64_t offset) {
    if (ks_written_note_in(o->written, partition, offset) != 0)
        /* A checkpoint then lags behind, which only costs restore time. */
        ks_log(&c->opaque.log, KS_LOG_WARNING, "PRODUCER",
               "out of memory noting the offset written to %s [%d]",
               o->name, (int)partition);
}

kstream_err_t ks_kafka_written_offset(ks_client_t *base, const ks_tp_t *tp,
                                      int64_t *offset) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;

    if (!c || !tp || !tp->topic || !offset)
        return KSTREAM_ERR_INVALID_ARG;
    *offset = ks_written_get(&c->written, tp->topic, tp->partition);
    return KSTREAM_OK;
}

/* ---- delivery reports --------------------------------------------------- */

/* The headers of a reported record as an array (NULL when it has none or
 * memory is short: the report still goes out, without them). */
static kstream_header_t *kc_dr_headers(const rd_kafka_message_t *rkm,
                                       size_t *n) {
    rd_kafka_headers_t *hdrs;
    kstream_header_t *v;
    size_t cnt, i;

    *n = 0;
    if (rd_kafka_message_headers(rkm, &hdrs))
        return NULL;
    cnt = rd_kafka_header_cnt(hdrs);
    v = cnt ? malloc(cnt * sizeof(*v)) : NULL;
    if (!v)
        return NULL;
    for (i = 0; i < cnt; i++) {
        const void *val;
        size_t size;
        rd_kafka_header_get_all(hdrs, i, &v[i].name, &val, &size);
        v[i].value = val;
        v[i].len = size;
    }
    *n = cnt;
    return v;
}

/* A record accepted by produce() that librdkafka gave up on: the owner
 * gets it back (its production exception handler decides). */
static void kc_dr_failed(ks_kafka_client_t *c, const rd_kafka_message_t *rkm) {
    ks_out_t out;
    kstream_header_t *hdrs;
    const char *reason = rd_kafka_err2str(rkm->err);

    memset(&out, 0, sizeof(out));
    out.topic = rd_kafka_topic_name(rkm->rkt);
    out.partition = rkm->partition;
    out.key = rkm->key;
    out.key_len = rkm->key_len;
    out.value = rkm->payload;
    out.value_len = rkm->len;
    out.timestamp = rd_kafka_message_timestamp(rkm, NULL);
    if (!c->base.events.delivery_failed) {
        ks_log(&c->opaque.log, KS_LOG_ERR, "PRODUCER",
               "record to %s [%d] not delivered: %s", out.topic,
               (int)out.partition, reason);
        return;
    }
    hdrs = kc_dr_headers(rkm, &out.nheaders);
    out.headers = hdrs;
    c->base.events.delivery_failed(c->base.events.owner, &out,
                                   ks_kafka_err(rkm->err), reason);
    free(hdrs);
}

void ks_kafka_dr_report(ks_kafka_client_t *c, const rd_kafka_message_t *rkm) {
    if (rkm->err)
        kc_dr_failed(c, rkm);
    else if (rkm->_private) /* every record of ks_kafka_produce() */
        kc_written_note(c, rkm->_private, rkm->partition, rkm->offset);
}

/* Served inside rd_kafka_poll()/rd_kafka_flush() on the producer, on the
 * stream thread: once per record, so the success path is a few stores. */
void ks_kafka_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque) {
    ks_kafka_client_t *c = ((ks_kafka_opaque_t *)opaque)->client;

    (void)rk;
    if (c->unacked)
        c->unacked--;
    ks_kafka_dr_report(c, rkm);
}

/* ---- produce and flush -------------------------------------------------- */

/* The record as produceva() arguments, vus holding KC_VU_FIXED +
 * nheaders slots: to o's handle, with o as its opaque. Payloads are
 * copied by librdkafka (F_COPY). */
static void kc_out_vus(const ks_out_t *out, ks_kafka_out_t *o,
                       rd_kafka_vu_t *vus) {
    size_t i;

    memset(vus, 0, (KC_VU_FIXED + out->nheaders) * sizeof(*vus));
    vus[0].vtype = RD_KAFKA_VTYPE_RKT;
    vus[0].u.rkt = o->rkt;
    vus[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[1].u.i32 = out->partition < 0 ? RD_KAFKA_PARTITION_UA
                                      : out->partition;
    vus[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[2].u.i = RD_KAFKA_MSG_F_COPY;
    vus[3].vtype = RD_KAFKA_VTYPE_KEY;
    vus[3].u.mem.ptr = (void *)out->key; /* copied, never written */
    vus[3].u.mem.size = out->key ? out->key_len : 0;
    vus[4].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[4].u.mem.ptr = (void *)out->value;
    vus[4].u.mem.size = out->value ? out->value_len : 0;
    vus[5].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vus[5].u.i64 = out->timestamp;
    vus[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[6].u.ptr = o;
    for (i = 0; i < out->nheaders; i++) {
        rd_kafka_vu_t *vu = &vus[KC_VU_FIXED + i];
        vu->vtype = RD_KAFKA_VTYPE_HEADER;
        vu->u.header.name = out->headers[i].name;
        vu->u.header.val = out->headers[i].value;
        vu->u.header.size =
                out->headers[i].value ? (ssize_t)out->headers[i].len : 0;
    }
}

void ks_kafka_produce_window(ks_client_t *base, size_t records) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;

    if (c)
        c->window = records;
}

/* produceva() until accepted. A full queue, or a full window, is waited
 * out while serving delivery reports (backpressure, like Java's send()
 * blocking), for at most default.api.timeout.ms (Java's max.block.ms). */
static kstream_err_t kc_produce_vus(ks_kafka_client_t *c, const ks_out_t *out,
                                    const rd_kafka_vu_t *vus, size_t cnt) {
    int64_t deadline = -1; /* read on the first full queue */
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR__QUEUE_FULL;

    for (;;) {
        if (!c->window || c->unacked < c->window) {
            error = rd_kafka_produceva(c->producer, vus, cnt);
            if (!error) {
                c->unacked++;
                return KSTREAM_OK;
            }
            code = rd_kafka_error_code(error);
            if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
        }
        if (deadline < 0)
            deadline = ks_clock_mono_ms() + c->api_timeout_ms;
        else if (ks_clock_mono_ms() >= deadline)
            break;
        if (error)
            rd_kafka_error_destroy(error);
        error = NULL;
        rd_kafka_poll(c->producer, 10);
    }
    ks_log(&c->opaque.log, KS_LOG_WARNING, "PRODUCER",
           "cannot produce to %s [%d]: %s", out->topic, (int)out->partition,
           error ? rd_kafka_error_string(error)
                 : "records not acknowledged for default.api.timeout.ms");
    if (error)
        rd_kafka_error_destroy(error);
    return code == RD_KAFKA_RESP_ERR__QUEUE_FULL ? KSTREAM_ERR_TIMEOUT
                                                 : ks_kafka_err(code);
}

/* ---- metadata of the topics produced to ------------------------------- */

/* librdkafka 2.0.2 sends a record for a topic its producer has no metadata
 * for to the topic's unassigned queue, and asks for that metadata only at
 * its next topic scan (every second) or periodic refresh: without this,
 * the first records to every topic wait up to a second. A topic handle
 * makes the topic known to the producer; a Metadata request for the known
 * topics then gives each its partitions and leaders before the first
 * record. The wait is bounded: producing works without it. */
#define KC_PREPARE_TIMEOUT_MS 5000

kstream_err_t ks_kafka_learn_produce_topics(ks_kafka_client_t *c) {
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err;
    size_t it = 0;
    const char *k;
    void *v;

    if (!c->producer || !c->outs || !ks_map_count(c->outs))
        return KSTREAM_OK;
    while (ks_map_next(c->outs, &it, &k, &v)) {
        kstream_err_t e = kc_out_handle(c, v);
        if (e)
            return e;
    }
    int timeout = c->api_timeout_ms < KC_PREPARE_TIMEOUT_MS
                          ? c->api_timeout_ms
                          : KC_PREPARE_TIMEOUT_MS;
    err = rd_kafka_metadata(c->producer, 0 /* the known topics */, NULL, &md,
                            timeout);
    if (err) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "PRODUCER",
               "metadata of the %zu topic(s) produced to: %s (the first "
               "records may wait for it)",
               ks_map_count(c->outs), rd_kafka_err2str(err));
        return ks_kafka_err(err);
    }
    rd_kafka_metadata_destroy(md);
    return KSTREAM_OK;
}

kstream_err_t ks_kafka_prepare_produce(ks_client_t *base,
                                       const char *const *topics, size_t n) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    kstream_err_t err;
    size_t i;

    if (!c || (n && !topics))
        return KSTREAM_ERR_INVALID_ARG;
    for (i = 0; i < n; i++)
        if (!topics[i] || !*topics[i])
            return KSTREAM_ERR_INVALID_ARG;
    if (!c->producer)
        return KSTREAM_ERR_STATE;
    if (!n)
        return KSTREAM_OK;
    for (i = 0; i < n; i++)
        if (!kc_out(c, topics[i], &err))
            return err;
    return ks_kafka_learn_produce_topics(c);
}

kstream_err_t ks_kafka_produce(ks_client_t *base, const ks_out_t *out) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_vu_t stack[KC_VU_STACK], *vus = stack;
    ks_kafka_out_t *o;
    size_t cnt, i;
    kstream_err_t err;

    if (!c || !out || !out->topic || (out->nheaders && !out->headers))
        return KSTREAM_ERR_INVALID_ARG;
    for (i = 0; i < out->nheaders; i++)
        if (!out->headers[i].name)
            return KSTREAM_ERR_INVALID_ARG;
    if (out->timestamp < 0)
        return KSTREAM_ERR_INVALID_TIMESTAMP;
    if (!c->producer)
        return KSTREAM_ERR_STATE;
    if (!(o = kc_out(c, out->topic, &err)))
        return err;
    cnt = KC_VU_FIXED + out->nheaders;
    if (cnt > KC_VU_STACK && !(vus = malloc(cnt * sizeof(*vus))))
        return KSTREAM_ERR_NO_MEMORY;
    kc_out_vus(out, o, vus);
    err = kc_produce_vus(c, out, vus, cnt);
    if (vus != stack)
        free(vus);
    return err;
}

kstream_err_t ks_kafka_flush(ks_client_t *base, int timeout_ms) {
    ks_kafka_client_t *c = (ks_kafka_client_t *)base;
    rd_kafka_resp_err_t err;

    if (!c)
        return KSTREAM_ERR_INVALID_ARG;
    if (!c->producer)
        return KSTREAM_OK; /* nothing is ever queued */
    err = rd_kafka_flush(c->producer, timeout_ms);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        ks_log(&c->opaque.log, KS_LOG_WARNING, "PRODUCER",
               "flush: %d record(s) still queued after %d ms",
               rd_kafka_outq_len(c->producer), timeout_ms);
        return KSTREAM_ERR_TIMEOUT;
    }
    return ks_kafka_err(err);
}
