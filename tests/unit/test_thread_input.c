/* test_thread_input.c - a stream thread's input (lib/runtime/input.c):
 * after a poll's records are queued, a partition whose queue holds
 * buffered.records.per.partition records or more is paused, and it is
 * resumed when processing has taken its queue down to half. The client is
 * a sim group member, wrapped to record the calls. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"
#include "testdriver/sim.h"

#define LIMIT 100 /* buffered.records.per.partition */

static ks_sim_t *sim;
static kstream_topology_t *topo;
static ks_thread_t *th;

/* What the wrapped client saw. */
static ks_client_ops_t wrapped;
static const ks_client_ops_t *inner;
static int polls, pauses[2], resumes[2];
static int64_t polled[2];          /* records handed out, by partition */
static size_t queued_at_pause[2];  /* its queue's length at the pause */
static size_t queued_at_resume[2]; /* its queue's length at the resume */

static kstream_err_t rec_poll(ks_client_t *c, ks_msg_t *msgs, size_t max,
                              size_t *n, int timeout_ms)
{
    kstream_err_t err = inner->poll(c, msgs, max, n, timeout_ms);
    polls++;
    for (size_t i = 0; i < *n; i++)
        polled[msgs[i].partition]++;
    return err;
}

static const ks_rqueue_t *queue_of(int32_t partition);

static kstream_err_t rec_pause(ks_client_t *c, const ks_tp_t *tp)
{
    pauses[tp->partition]++;
    const ks_rqueue_t *q = queue_of(tp->partition);
    cr_assert_not_null(q);
    queued_at_pause[tp->partition] = q->n;
    return inner->pause(c, tp);
}

static const ks_rqueue_t *queue_of(int32_t partition)
{
    for (size_t t = 0; t < th->tasks.len; t++) {
        const ks_task_t *task = th->tasks.items[t];
        for (size_t i = 0; i < task->nqueues; i++)
            if (task->queues[i]->partition == partition)
                return task->queues[i];
    }
    return NULL;
}

static kstream_err_t rec_resume(ks_client_t *c, const ks_tp_t *tp)
{
    resumes[tp->partition]++;
    const ks_rqueue_t *q = queue_of(tp->partition);
    cr_assert_not_null(q);
    queued_at_resume[tp->partition] = q->n;
    return inner->resume(c, tp);
}

static int64_t zero_clock(void *opaque)
{
    (void)opaque;
    return 0;
}

static void append(int32_t partition, int n)
{
    for (int i = 0; i < n; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        ks_out_t rec = {.topic = "in",
                        .partition = partition,
                        .value = v,
                        .value_len = strlen(v),
                        .timestamp = 1};
        cr_assert(eq(int, ks_sim_append(sim, &rec, NULL, NULL), KSTREAM_OK));
    }
}

/* A thread over in (2 partitions) -> out. */
static void start(void)
{
    char err[512] = "";
    sim = ks_sim_new();
    cr_assert(eq(int, ks_sim_create_topic(sim, "in", 2), KSTREAM_OK));
    cr_assert(eq(int, ks_sim_create_topic(sim, "out", 2), KSTREAM_OK));
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "in", NULL), "out", NULL);
    topo = kstream_builder_build(b, err, sizeof(err));
    cr_assert_not_null(topo, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", LIMIT);
    cr_assert(kstream_conf_set(conf, "buffered.records.per.partition", limit,
                               err, sizeof(err)) == KSTREAM_CONF_OK);
    th = ks_thread_new(topo, conf, "app", zero_clock, NULL, err, sizeof(err));
    kstream_conf_destroy(conf);
    cr_assert_not_null(th, "%s", err);
    ks_client_events_t ev = ks_thread_events(th);
    ks_client_t *c = ks_sim_client_new(sim, "app", &ev);
    inner = c->ops;
    wrapped = *inner;
    wrapped.poll = rec_poll;
    wrapped.pause = rec_pause;
    wrapped.resume = rec_resume;
    c->ops = &wrapped;
    cr_assert(eq(int, ks_thread_attach(th, c), KSTREAM_OK));
}

static void stop(void)
{
    ks_thread_destroy(th);
    kstream_topology_destroy(topo);
    ks_sim_destroy(sim);
}

TestSuite(thread_input, .init = start, .fini = stop, .timeout = 10);

Test(thread_input, a_full_queue_pauses_after_the_poll_and_resumes_at_half)
{
    bool worked;
    /* The first loop joins the group and takes the assignment. */
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(sz, th->tasks.len, 2));
    append(0, 1000);
    append(1, 30);
    polls = 0;
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(worked);
    /* One poll of 512 records (the thread's batch), all processed. */
    cr_assert(eq(int, polls, 1));
    cr_assert(eq(i64, polled[0] + polled[1], 512));
    cr_assert(eq(u64, th->m.processed, 512));
    /* Partition 0 had 100 or more queued: paused once the poll's records
     * were queued, not while they were; resumed with 50 still queued. */
    cr_assert(eq(int, pauses[0], 1));
    cr_assert(eq(sz, queued_at_pause[0], (size_t)polled[0]));
    cr_assert(eq(int, resumes[0], 1));
    cr_assert(eq(sz, queued_at_resume[0], LIMIT / 2));
    for (int i = 0; i < 10 && th->m.processed < 1030; i++)
        cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(u64, th->m.processed, 1030));
    cr_assert(eq(sz, ks_sim_appended_count(sim, "out"), 1030));
    cr_assert(eq(int, pauses[0], resumes[0]), "every pause was lifted");
    /* Partition 1 never held 100. */
    cr_assert(eq(int, pauses[1], 0));
    cr_assert(eq(int, resumes[1], 0));
}

Test(thread_input, a_resumed_partition_is_read_again)
{
    bool worked;
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    append(0, 300);
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(int, pauses[0], 1));
    cr_assert(eq(int, resumes[0], 1));
    append(0, 40);
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(eq(i64, polled[0], 340));
    cr_assert(eq(u64, th->m.processed, 340));
    cr_assert(eq(int, pauses[0], 1), "40 < 100: not paused again");
    /* Every record once, in order. */
    for (int64_t off = 0; off < 340; off++) {
        ks_msg_t m;
        cr_assert(eq(int, ks_sim_read_appended(sim, "out", (size_t)off, &m),
                     KSTREAM_OK));
        char want[16];
        snprintf(want, sizeof(want), "v%d", (int)(off < 300 ? off : off - 300));
        cr_assert(eq(sz, m.value_len, strlen(want)));
        cr_assert(eq(int, memcmp(m.value, want, m.value_len), 0));
    }
}
