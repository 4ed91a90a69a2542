/* test_thread_hooks.c - stream-thread hooks the Kafka app uses
 * (lib/runtime/thread.c): delivery failures through the production
 * handler, the recursive thread lock, and the assigned_once and restoring
 * flags. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "runtime/runtime.h"
#include "testdriver/sim.h"

static ks_sim_t *sim;
static kstream_topology_t *topo;
static ks_thread_t *th;

static int64_t zero_clock(void *opaque)
{
    (void)opaque;
    return 0;
}

/* A thread over in -> out with the production handler set to `handler`,
 * its client a sim group member. */
static void start(const char *handler)
{
    sim = ks_sim_new();
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "in", NULL), "out", NULL);
    char err[512] = "";
    topo = kstream_builder_build(b, err, sizeof(err));
    cr_assert_not_null(topo, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(kstream_conf_set(conf, "default.production.exception.handler",
                               handler, err, sizeof(err)) == KSTREAM_CONF_OK);
    cr_assert(kstream_conf_set(conf, "errors.deadletterqueue.topic.name",
                               "dlq", err, sizeof(err)) == KSTREAM_CONF_OK);
    th = ks_thread_new(topo, conf, "app", zero_clock, NULL, err, sizeof(err));
    kstream_conf_destroy(conf);
    cr_assert_not_null(th, "%s", err);
    ks_client_events_t ev = ks_thread_events(th);
    cr_assert(ev.delivery_failed != NULL);
    cr_assert(eq(int, ks_sim_create_topic(sim, "in", 1), KSTREAM_OK));
    ks_client_t *c = ks_sim_client_new(sim, "app", &ev);
    cr_assert(eq(int, ks_thread_attach(th, c), KSTREAM_OK));
}

static void stop(void)
{
    ks_thread_destroy(th);
    kstream_topology_destroy(topo);
    ks_sim_destroy(sim);
}

TestSuite(thread_hooks, .fini = stop, .timeout = 10);

static void fail_delivery(void)
{
    ks_out_t out = {.topic = "out",
                    .partition = 3,
                    .key = "k",
                    .key_len = 1,
                    .value = "v",
                    .value_len = 1,
                    .timestamp = 5};
    ks_client_events_t ev = ks_thread_events(th);
    ev.delivery_failed(ev.owner, &out, KSTREAM_ERR_KAFKA, "broker said no");
}

Test(thread_hooks, delivery_failure_fails_the_thread_naming_the_topic)
{
    start("fail");
    fail_delivery();
    cr_assert(th->failed);
    cr_assert(eq(int, th->error_code, KSTREAM_ERR_KAFKA));
    cr_assert(strstr(th->error, "'out' [3]") != NULL, "%s", th->error);
    cr_assert(strstr(th->error, "broker said no") != NULL, "%s", th->error);
    cr_assert(eq(u64, th->m.errors[KS_ERRK_PRODUCTION], 1));
    bool worked;
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked),
                 KSTREAM_ERR_FAILED));
}

Test(thread_hooks, delivery_failure_with_continue_is_counted)
{
    start("continue");
    fail_delivery();
    cr_assert_not(th->failed);
    cr_assert(eq(u64, th->m.errors[KS_ERRK_PRODUCTION], 1));
    cr_assert(eq(u64, th->m.dropped, 1));
}

Test(thread_hooks, delivery_failure_with_dlq_dead_letters_the_record)
{
    start("dlq");
    fail_delivery();
    cr_assert_not(th->failed, "%s", th->error);
    cr_assert(eq(u64, th->m.dlq, 1));
    ks_msg_t m;
    cr_assert(eq(int, ks_sim_read_appended(sim, "dlq", 0, &m), KSTREAM_OK));
    cr_assert(eq(sz, m.value_len, 1));
    cr_assert(eq(int, memcmp(m.value, "v", 1), 0));
}

Test(thread_hooks, lock_is_recursive_and_flags_follow_assignment)
{
    start("fail");
    th->locking = true; /* as the app sets it */
    ks_thread_lock(th);
    ks_thread_lock(th);
    ks_thread_unlock(th);
    ks_thread_unlock(th);
    cr_assert_not(th->assigned_once);
    cr_assert_not(ks_thread_restoring(th));
    bool worked;
    cr_assert(eq(int, ks_thread_run_once(th, 0, &worked), KSTREAM_OK));
    cr_assert(th->assigned_once);
    cr_assert(eq(sz, th->tasks.len, 1));
    cr_assert_not(ks_thread_restoring(th));
}

/* ---- the topics a thread prepares its client to produce to ------------- */

static ks_client_ops_t recording_ops;
static char prepared[8][128];
static size_t nprepared;
static int prepare_calls;

static kstream_err_t record_prepare(ks_client_t *c, const char *const *topics,
                                    size_t n)
{
    (void)c;
    prepare_calls++;
    cr_assert(n <= 8);
    for (size_t i = 0; i < n; i++)
        snprintf(prepared[i], sizeof(prepared[i]), "%s", topics[i]);
    nprepared = n;
    return KSTREAM_OK;
}

static bool was_prepared(const char *topic)
{
    for (size_t i = 0; i < nprepared; i++)
        if (strcmp(prepared[i], topic) == 0)
            return true;
    return false;
}

static kstream_err_t rekey(const kstream_record_t *in, kstream_record_t *out,
                           void *opaque)
{
    (void)in;
    (void)out;
    (void)opaque;
    return KSTREAM_OK;
}

static kstream_err_t to_b(const kstream_record_t *rec, const char **topic,
                          void *opaque)
{
    (void)rec;
    (void)opaque;
    *topic = "b";
    return KSTREAM_OK;
}

/* Fixed sinks, the repartition topic, the changelog of a logged store and
 * the dead-letter topic, each once; not a dynamic sink's topics (known
 * per record), nor source topics. */
Test(thread_hooks, attach_prepares_the_topics_produced_to)
{
    sim = ks_sim_new();
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *in = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *counts = kstream_grouped_count(
            kstream_stream_group_by(in, rekey, NULL, NULL, "by-x"), "counts");
    kstream_stream_t *changes = kstream_table_to_stream(counts, NULL);
    cr_assert(eq(int, kstream_stream_to(changes, "out", NULL), KSTREAM_OK));
    cr_assert(eq(int, kstream_stream_to(in, "out", NULL), KSTREAM_OK));
    cr_assert(eq(int, kstream_stream_to_dynamic(in, to_b, NULL, NULL, NULL),
                 KSTREAM_OK));
    char err[512] = "";
    topo = kstream_builder_build(b, err, sizeof(err));
    cr_assert_not_null(topo, "%s", err);
    kstream_conf_t *conf = kstream_conf_new();
    cr_assert(kstream_conf_set(conf, "errors.deadletterqueue.topic.name",
                               "dlq", err, sizeof(err)) == KSTREAM_CONF_OK);
    th = ks_thread_new(topo, conf, "app", zero_clock, NULL, err, sizeof(err));
    kstream_conf_destroy(conf);
    cr_assert_not_null(th, "%s", err);
    ks_client_events_t ev = ks_thread_events(th);
    cr_assert(eq(int, ks_sim_create_topic(sim, "in", 1), KSTREAM_OK));
    ks_client_t *c = ks_sim_client_new(sim, "app", &ev);
    recording_ops = *c->ops;
    recording_ops.prepare_produce = record_prepare;
    c->ops = &recording_ops;

    cr_assert(eq(int, ks_thread_attach(th, c), KSTREAM_OK));
    cr_assert(eq(int, prepare_calls, 1));
    cr_assert(eq(sz, nprepared, 4));
    cr_assert(was_prepared("out"));
    cr_assert(was_prepared("app-by-x-repartition"));
    cr_assert(was_prepared("app-counts-changelog"));
    cr_assert(was_prepared("dlq"));
}
