/* demo_feed.c - producing the generated input (see demo_input.c for the
 * order enrich's records are produced in and why). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo_int.h"

long long demo_stat_sum(kstream_t *app, const char *field)
{
    char *s = kstream_stats_json(app), path[96];
    kstream_json_t *j = NULL;
    long long sum = 0;
    size_t n = 0;
    if (s && !kstream_json_parse(s, strlen(s), &j, NULL, 0) &&
        !kstream_json_size(j, "threads", &n, NULL, 0))
        for (size_t i = 0; i < n; i++) {
            int64_t v = 0;
            snprintf(path, sizeof(path), "threads[%zu].%s", i, field);
            if (!kstream_json_get_int64(j, path, &v, NULL, 0))
                sum += v;
        }
    kstream_json_destroy(j);
    kstream_free(s);
    return sum;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct feeder {
    const demo_feed_ctx_t *ctx;
    rd_kafka_t *rk;
    long failed; /* delivery failures */
    /* The current orders (for the statistics the store must reach). */
    enrich_order_t *orders;
    char (*users)[ENRICH_ID_MAX + 1];
    size_t norders;
} feeder_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    if (m->err)
        ((feeder_t *)opaque)->failed++;
}

static int produce(feeder_t *f, const char *topic, const void *key,
                   size_t klen, const void *value, size_t vlen, int64_t ts)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
                f->rk, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY((void *)key, key ? klen : 0),
                RD_KAFKA_V_VALUE((void *)value, value ? vlen : 0),
                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err)
                fprintf(stderr, "produce to %s: %s\n", topic,
                        rd_kafka_err2str(err));
            return err ? -1 : 0;
        }
        rd_kafka_poll(f->rk, 100);
    }
}

static int flush(feeder_t *f)
{
    if (rd_kafka_flush(f->rk, 30000) || f->failed) {
        fprintf(stderr, "input: %ld records not delivered\n",
                f->failed ? f->failed : (long)rd_kafka_outq_len(f->rk));
        return -1;
    }
    return 0;
}

/* ---- the statistics the store must hold ---------------------------------- */
static void apply_order(feeder_t *f, const enrich_gen_record_t *r)
{
    size_t i = 0;
    while (i < f->norders && f->orders[i].order_id != r->order.order_id)
        i++;
    if (r->kind == ENRICH_ORDER_UPSERT) {
        if (i == f->norders)
            f->norders++;
        f->orders[i] = r->order;
        snprintf(f->users[i], sizeof(f->users[i]), "%s", r->order.user_id);
        f->orders[i].user_id = f->users[i];
        f->orders[i].status = !strcmp(r->order.status, "cancelled")
                                      ? "cancelled"
                                      : "counted";
    } else if ((r->kind == ENRICH_ORDER_DELETE ||
                r->kind == ENRICH_ORDER_TOMBSTONE) &&
               i < f->norders) {
        f->norders--;
        f->orders[i] = f->orders[f->norders];
        memcpy(f->users[i], f->users[f->norders], sizeof(f->users[i]));
        f->orders[i].user_id = f->users[i];
    }
}

/* What the store holds for \p user: (0, 0) when it has nothing. */
static enrich_stats_t want_stats(const feeder_t *f, const char *user,
                                 size_t len)
{
    enrich_stats_t s = {0, 0};
    for (size_t i = 0; i < f->norders; i++)
        if (strlen(f->users[i]) == len && !memcmp(f->users[i], user, len) &&
            strcmp(f->orders[i].status, "cancelled") != 0) {
            s.order_count++;
            s.total_cents += f->orders[i].total_cents;
        }
    return s;
}

typedef struct check {
    const feeder_t *f;
    size_t differ, seen_nonzero;
} check_t;

static kstream_err_t check_store(kstream_store_t *store, int32_t partition,
                                 void *opaque)
{
    (void)partition;
    check_t *c = opaque;
    kstream_iter_t *it;
    kstream_bytes_t k, v;
    kstream_err_t err = kstream_store_all(store, &it);
    if (err)
        return err;
    while ((err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK) {
        enrich_stats_t got = {0, 0};
        if (v.data && enrich_stats_decode(v.data, v.len, &got)) {
            c->differ++;
            continue;
        }
        enrich_stats_t want = want_stats(c->f, k.data, k.len);
        c->differ += got.order_count != want.order_count ||
                     got.total_cents != want.total_cents;
        c->seen_nonzero += want.order_count != 0;
    }
    kstream_iter_close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

/* The number of users with orders (each must be in the store). */
static size_t users_with_orders(const feeder_t *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->norders; i++) {
        if (!strcmp(f->orders[i].status, "cancelled"))
            continue;
        size_t j = 0; /* count each user once: at its first counted order */
        while (j < i && (strcmp(f->users[j], f->users[i]) ||
                         !strcmp(f->orders[j].status, "cancelled")))
            j++;
        n += j == i;
    }
    return n;
}

static bool store_done(feeder_t *f)
{
    check_t c = {f, 0, 0};
    kstream_err_t err = kstream_query(f->ctx->enrich_app, ENRICH_STATS_STORE,
                                      -1, check_store, &c);
    return !err && c.differ == 0 && c.seen_nonzero == users_with_orders(f);
}

static bool events_done(feeder_t *f, size_t want_out, size_t want_dlq)
{
    return demo_tap_count(f->ctx->tap) >= (long)want_out &&
           demo_stat_sum(f->ctx->enrich_app, "dlq_records") >=
                   (long long)want_dlq;
}

/* Wait for \p done (what is awaited in \p what). */
static int wait_for(feeder_t *f, bool (*done)(feeder_t *, size_t, size_t),
                    size_t a, size_t b, const char *what)
{
    int64_t deadline = mono_ms() + f->ctx->timeout_ms;
    while (!done(f, a, b)) {
        if (*f->ctx->stop)
            return -1;
        if (mono_ms() > deadline ||
            kstream_state(f->ctx->enrich_app) == KSTREAM_STATE_ERROR) {
            fprintf(stderr, "input: enrich did not process %s in time\n",
                    what);
            return -1;
        }
        f->ctx->tick(f->ctx->tick_opaque); /* about 100 ms */
    }
    return 0;
}

static bool store_done_ab(feeder_t *f, size_t a, size_t b)
{
    (void)a;
    (void)b;
    return store_done(f);
}

/* ---- feeding ---------------------------------------------------------------- */
static int feed_enrich(demo_input_t *in, feeder_t *f)
{
    const demo_topics_t *t = f->ctx->topics;
    for (size_t c = 0; c < in->nchunks; c++) {
        size_t lo = c * in->chunk_size, hi = lo + in->chunk_size;
        for (int phase = 1; phase >= 0; phase--) {
            for (size_t i = lo; i < hi && i < in->ne; i++) {
                const demo_erec_t *e = &in->e[i];
                if (e->orders != phase)
                    continue;
                if (produce(f, phase ? t->orders : t->events, e->r.key,
                            e->r.key_len, e->r.value, e->r.value_len,
                            e->r.timestamp))
                    return -1;
                if (phase)
                    apply_order(f, &e->r);
            }
            if (flush(f))
                return -1;
            if (phase ? wait_for(f, store_done_ab, 0, 0, "the order changes")
                      : wait_for(f, events_done, in->chunk_out[c],
                                 in->chunk_dlq[c], "the events"))
                return -1;
        }
    }
    return 0;
}

int demo_feed(demo_input_t *in, const demo_feed_ctx_t *ctx)
{
    char err[512];
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    feeder_t f = {.ctx = ctx};
    if (!in || !ctx || !pc)
        return -1;
    /* murmur2 like Java producers and kstream's sinks: co-partitioning. */
    if (rd_kafka_conf_set(pc, "bootstrap.servers", ctx->bootstrap, err,
                          sizeof(err)) ||
        rd_kafka_conf_set(pc, "partitioner", "murmur2_random", err,
                          sizeof(err)) ||
        rd_kafka_conf_set(pc, "linger.ms", "5", err, sizeof(err))) {
        fprintf(stderr, "producer: %s\n", err);
        rd_kafka_conf_destroy(pc);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_opaque(pc, &f);
    if (!(f.rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof(err)))) {
        fprintf(stderr, "producer: %s\n", err);
        rd_kafka_conf_destroy(pc);
        return -1;
    }
    int rc = 0;
    f.orders = calloc(in->ne + 1, sizeof(*f.orders));
    f.users = calloc(in->ne + 1, sizeof(*f.users));
    if (!f.orders || !f.users) {
        fprintf(stderr, "input: out of memory\n");
        rc = -1;
    }
    /* sessionize's input at once: nothing races there. */
    for (size_t i = 0; !rc && i < in->tele.n; i++) {
        const demo_rec_t *r = &in->tele.v[i];
        rc = produce(&f, ctx->topics->telemetry, r->key, r->klen, r->value,
                     r->vlen, r->ts);
    }
    if (!rc)
        rc = flush(&f);
    if (!rc)
        rc = feed_enrich(in, &f);
    rd_kafka_destroy(f.rk);
    free(f.orders);
    free(f.users);
    return rc;
}
