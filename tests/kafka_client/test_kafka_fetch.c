/* test_kafka_fetch.c - a consumer whose queue limits are small keeps
 * fetching (kafka_client_fetch.c): librdkafka 2.0.2's broker threads stop
 * at a full queue, and at a partition paused everywhere, and look again
 * only a second later unless something wakes them. The client wakes them
 * when a poll empties a queue it found full, and when it resumes a
 * partition. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc_test.h"
#include "runtime/kafka_client_int.h"

TestSuite(kafka_fetch, .timeout = 60);

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kc_sleep_ms(int ms) {
    usleep((useconds_t)ms * 1000);
}



/* Poll until `want` records came or deadline_ms passed; each partition's
 * offsets must follow each other from 0 (nothing lost, nothing twice).
 * @returns the records read. */
static int read_all(ks_client_t *c, int want, int64_t deadline_ms,
                    int64_t next[2]) {
    ks_msg_t msgs[256];
    int got = 0;

    while (got < want && now_ms() < deadline_ms) {
        size_t n = 0;
        cr_assert(eq(int, c->ops->poll(c, msgs, 256, &n, 50), KSTREAM_OK));
        for (size_t i = 0; i < n; i++) {
            cr_assert(eq(i64, msgs[i].offset, next[msgs[i].partition]),
                      "partition %d", (int)msgs[i].partition);
            next[msgs[i].partition]++;
        }
        c->ops->release(c, msgs, n);
        got += (int)n;
    }
    return got;
}

/* Rounds of: the consumer's queue fills up to its limit (its broker
 * thread stops fetching), more records are written, everything is read.
 * Without a wake-up the second half of each round waits for the broker
 * thread's one-second timer; with one it is a round trip. */
Test(kafka_fetch, a_queue_found_full_and_emptied_wakes_the_fetchers) {
    kc_mock_t *m = kc_mock_new("big", 2, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-fetch");
    kc_conf_set(conf, "consumer.queued.min.messages", "500");
    ks_client_t *w = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_client_t *r = kc_client_new(conf, KS_CLIENT_RESTORE);
    ks_kafka_client_t *rc = (ks_kafka_client_t *)r;
    ks_tp_offset_t from[2] = {{"big", 0, 0}, {"big", 1, 0}};
    int64_t next[2] = {0, 0}, reading = 0;

    cr_assert(eq(int, r->ops->assign(r, from, 2), KSTREAM_OK));
    for (int round = 0; round < 5; round++) {
        kc_fill(w, "big", round % 2, 1000, "v");
        /* Fetched up to the limit (a fetch takes whole batches): the
         * broker thread has stopped. */
        int64_t deadline = now_ms() + 10000;
        while (rd_kafka_queue_length(rc->fetch.queue) < 500 &&
               now_ms() < deadline)
            kc_sleep_ms(5);
        cr_assert(ge(sz, rd_kafka_queue_length(rc->fetch.queue), 500));
        kc_fill(w, "big", round % 2, 1000, "v");
        int64_t t0 = now_ms();
        cr_assert(eq(int, read_all(r, 2000, t0 + 10000, next), 2000));
        reading += now_ms() - t0;
    }
    cr_assert(lt(i64, reading, 2500),
              "5 rounds read in %lld ms: the fetchers waited",
              (long long)reading);
    cr_assert(rc->fetch.wakes >= 5, "woken %llu times",
              (unsigned long long)rc->fetch.wakes);
    cr_assert(eq(i64, next[0], 6000));
    cr_assert(eq(i64, next[1], 4000));

    r->ops->destroy(r);
    w->ops->destroy(w);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}

/* A broker thread whose only partition is paused sleeps for a second at a
 * time; a resume (served by librdkafka's main thread) does not wake it.
 * Paused for 1.2 s, the thread's next look is ~0.8 s after the resume;
 * the client's seek makes the records come at once. */
Test(kafka_fetch, a_resumed_partition_is_fetched_at_once) {
    kc_mock_t *m = kc_mock_new("one", 1, NULL);
    kstream_conf_t *conf = kc_conf_new(m, "kc-resume");
    ks_client_t *w = kc_client_new(conf, KS_CLIENT_MAIN);
    ks_client_t *r = kc_client_new(conf, KS_CLIENT_RESTORE);
    ks_tp_offset_t from = {"one", 0, 0};
    ks_tp_t p0 = {"one", 0};
    int64_t next[2] = {0, 0};

    kc_fill(w, "one", 0, 10, "v");
    cr_assert(eq(int, r->ops->assign(r, &from, 1), KSTREAM_OK));
    cr_assert(eq(int, read_all(r, 10, now_ms() + 10000, next), 10));
    cr_assert(eq(int, r->ops->pause(r, &p0), KSTREAM_OK));
    kc_fill(w, "one", 0, 10, "v");
    cr_assert(eq(int, kc_poll_count(r, 1200), 0), "paused");
    uint64_t wakes = ((ks_kafka_client_t *)r)->fetch.wakes;
    cr_assert(eq(int, r->ops->resume(r, &p0), KSTREAM_OK));
    cr_assert(eq(u64, ((ks_kafka_client_t *)r)->fetch.wakes, wakes + 1));
    int64_t t0 = now_ms();
    cr_assert(eq(int, read_all(r, 10, t0 + 10000, next), 10));
    int64_t took = now_ms() - t0;
    cr_assert(lt(i64, took, 500), "the resumed partition came after %lld ms",
              (long long)took);
    cr_assert(eq(i64, next[0], 20), "from where it was paused, once");

    r->ops->destroy(r);
    w->ops->destroy(w);
    kstream_conf_destroy(conf);
    kc_mock_destroy(m);
}
