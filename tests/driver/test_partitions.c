/* test_partitions.c - multiple partitions through the test driver: explicit
 * partitions, Kafka's murmur2 partitioner for piped and produced records,
 * NULL keys, repartition topics, and determinism across drivers. */
#include "helpers.h"

TestSuite(partitions, .timeout = 10);

typedef struct plog {
    h_log_t log;
} plog_t;

/* Logs "<key>@<subtopology>_<partition>;" */
static kstream_err_t log_task(kstream_ctx_t *ctx, const kstream_record_t *rec,
                              void *state)
{
    plog_t *p = (plog_t *)state;
    char kb[64];
    h_logf(&p->log, "%s@%d_%d;",
           h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb)),
           kstream_ctx_subtopology(ctx), (int)kstream_ctx_partition(ctx));
    return kstream_ctx_forward(ctx, rec);
}

static const kstream_processor_t log_proc = {NULL, log_task, NULL};

Test(partitions, the_helper_murmur2_matches_kafka)
{
    /* vectors from Kafka's UtilsTest */
    cr_assert(eq(i32, h_murmur2("21", 2), -973932308));
    cr_assert(eq(i32, h_murmur2("foobar", 6), -790332482));
    cr_assert(eq(i32, h_murmur2("a-little-bit-long-string", 24), -985981536));
    cr_assert(eq(i32, h_murmur2("a-little-bit-longer-string", 26),
                 -1486304829));
    cr_assert(eq(i32, h_murmur2("abc", 3), 479470107));
}

static kstream_builder_t *logged(plog_t *p)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &log_proc, p, NULL, NULL, 0, "log");
    kstream_stream_to(s, "out", NULL);
    return b;
}

Test(partitions, pipe_with_an_explicit_partition_reaches_that_task)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 3, "a", "v", 1);
    h_pipe_p_ok(drv, "in", 0, "b", "v", 2);
    h_pipe_p_ok(drv, "in", 3, "c", "v", 3);
    cr_assert(eq(str, p.log.text, "a@0_3;b@0_0;c@0_3;"));
    kstream_test_driver_destroy(drv);
}

Test(partitions, keyed_pipes_go_to_the_murmur2_partition)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    h_log_t want = {{0}};
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof(key), "key-%d", i);
        h_pipe_ok(drv, "in", key, "v", i);
        h_logf(&want, "%s@0_%d;", key, (int)h_partition_of(key, 4));
    }
    cr_assert(eq(str, p.log.text, want.text));
    kstream_test_driver_destroy(drv);
}

Test(partitions, null_keyed_pipes_are_spread_round_robin)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    for (int i = 0; i < 4; i++)
        h_pipe_ok(drv, "in", NULL, "v", i);
    bool seen[4] = {false, false, false, false};
    for (const char *q = p.log.text; (q = strstr(q, "null@0_")) != NULL;) {
        q += 7;
        int part = *q - '0';
        cr_assert(part >= 0 && part < 4);
        seen[part] = true;
    }
    cr_assert(seen[0] && seen[1] && seen[2] && seen[3],
              "4 NULL keys should use 4 partitions: %s", p.log.text);
    kstream_test_driver_destroy(drv);
}

Test(partitions, sinks_partition_by_murmur2_of_the_key)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "out", 4),
                 KSTREAM_OK));
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof(key), "user-%d", i);
        h_pipe_ok(drv, "in", key, "v", i);
    }
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof(key), "user-%d", i);
        const kstream_record_t *rec = h_expect(drv, "out", key, "v");
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(key, 4)),
                  "%s", key);
    }
    kstream_test_driver_destroy(drv);
}

Test(partitions, the_same_key_always_lands_on_the_same_partition)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "in", NULL), "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "out", 5),
                 KSTREAM_OK));
    for (int i = 0; i < 3; i++)
        h_pipe_p_ok(drv, "in", i, "sticky", "v", i);
    int32_t first = -1;
    int64_t last_offset = -1;
    for (int i = 0; i < 3; i++) {
        const kstream_record_t *rec = h_expect(drv, "out", "sticky", "v");
        if (first < 0)
            first = kstream_record_partition(rec);
        cr_assert(eq(i32, kstream_record_partition(rec), first));
        cr_assert(kstream_record_offset(rec) > last_offset,
                  "offsets must grow in a partition");
        last_offset = kstream_record_offset(rec);
    }
    cr_assert(eq(i32, first, h_partition_of("sticky", 5)));
    kstream_test_driver_destroy(drv);
}

Test(partitions, pipe_to_a_missing_partition_fails_without_failing_driver)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    cr_assert(ne(int, h_pipe_p(drv, "in", 2, "k", "v", 1), KSTREAM_OK));
    cr_assert(ne(int, h_pipe_p(drv, "in", -2, "k", "v", 1), KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 1, "k", "v", 2);
    cr_assert(eq(str, p.log.text, "k@0_1;"));
    kstream_test_driver_destroy(drv);
}

Test(partitions, an_uncreated_source_topic_has_one_partition)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(ne(int, h_pipe_p(drv, "in", 1, "k", "v", 2), KSTREAM_OK));
    h_pipe_p_ok(drv, "in", 0, "k2", "v", 3);
    cr_assert(eq(str, p.log.text, "k@0_0;k2@0_0;"));
    kstream_test_driver_destroy(drv);
}

Test(partitions, create_topic_rejects_duplicates_and_late_source_topics)
{
    plog_t p = {{{0}}};
    kstream_test_driver_t *drv = h_driver(logged(&p), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_ERR_DUPLICATE_NAME));
    h_pipe_ok(drv, "in", "k", "v", 1);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "side", 3),
                 KSTREAM_OK), "a non-source topic may be made any time");
    kstream_test_driver_destroy(drv);

    plog_t p2 = {{{0}}};
    kstream_builder_t *b = kstream_builder_new();
    const char *topics[] = {"src-a", "src-b"};
    kstream_stream_t *s = kstream_builder_stream_topics(b, topics, 2, NULL);
    kstream_stream_process(s, &log_proc, &p2, NULL, NULL, 0, "log");
    drv = h_driver(b, NULL);
    h_pipe_ok(drv, "src-a", "k", "v", 1);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "src-b", 1),
                 KSTREAM_ERR_STATE));
    kstream_test_driver_destroy(drv);
}

/* ---- repartition ---------------------------------------------------------- */

static kstream_err_t key_from_value(const kstream_record_t *in,
                                    kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len);
}

/* in (4 partitions) -> log "before" -> select_key(value) -> repartition
 * "rp" (partitions) -> log "after" -> out */
static kstream_builder_t *rekeyed(plog_t *before, plog_t *after,
                                  int32_t partitions)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &log_proc, before, NULL, NULL, 0, "before");
    s = kstream_stream_select_key(s, key_from_value, NULL, NULL, "rekey");
    s = kstream_stream_repartition(s, partitions, "rp");
    cr_assert(s != NULL, "repartition: %s", kstream_builder_error(b));
    s = kstream_stream_process(s, &log_proc, after, NULL, NULL, 0, "after");
    kstream_stream_to(s, "out", NULL);
    return b;
}

Test(partitions, repartition_topic_is_named_after_application_and_operator)
{
    plog_t before = {{{0}}}, after = {{{0}}};
    kstream_test_driver_t *drv = h_driver(rekeyed(&before, &after, 0),
                                          "application.id", "app", NULL);
    kstream_header_t h = {"trace", "x", 1};
    cr_assert(eq(int,
                 kstream_test_driver_pipe_ex(drv, "in", -1, "old", 3, "new",
                                             3, 42, &h, 1),
                 KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    const kstream_record_t *rec =
            h_expect_ts(drv, "app-rp-repartition", "new", "new", 42);
    cr_assert(eq(sz, kstream_record_header_count(rec), 1));
    h_expect_empty(drv, "app-rp-repartition");
    rec = h_expect_ts(drv, "out", "new", "new", 42);
    cr_assert(eq(sz, kstream_record_header_count(rec), 1),
              "headers survive the repartition topic");
    kstream_test_driver_destroy(drv);
}

Test(partitions, repartition_moves_records_to_the_partition_of_their_key)
{
    plog_t before = {{{0}}}, after = {{{0}}};
    kstream_test_driver_t *drv = h_driver(rekeyed(&before, &after, 0),
                                          "application.id", "app", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    h_log_t want_before = {{0}}, want_after = {{0}};
    for (int i = 0; i < 12; i++) {
        char key[32];
        snprintf(key, sizeof(key), "nk-%d", i);
        h_pipe_p_ok(drv, "in", 0, "same", key, i);
        h_logf(&want_before, "same@0_0;");
        h_logf(&want_after, "%s@1_%d;", key, (int)h_partition_of(key, 4));
    }
    cr_assert(eq(str, before.log.text, want_before.text));
    cr_assert(eq(str, after.log.text, want_after.text));
    for (int i = 0; i < 12; i++) {
        char key[32];
        snprintf(key, sizeof(key), "nk-%d", i);
        const kstream_record_t *rec =
                h_expect(drv, "app-rp-repartition", key, key);
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(key, 4)));
    }
    kstream_test_driver_destroy(drv);
}

Test(partitions, repartition_with_an_explicit_partition_count)
{
    plog_t before = {{{0}}}, after = {{{0}}};
    kstream_test_driver_t *drv = h_driver(rekeyed(&before, &after, 3), NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    h_log_t want_after = {{0}};
    for (int i = 0; i < 12; i++) {
        char key[32];
        snprintf(key, sizeof(key), "nk-%d", i);
        h_pipe_p_ok(drv, "in", i % 4, "same", key, i);
        h_logf(&want_after, "%s@1_%d;", key, (int)h_partition_of(key, 3));
    }
    cr_assert(eq(str, after.log.text, want_after.text));
    for (int i = 0; i < 12; i++) {
        char key[32];
        snprintf(key, sizeof(key), "nk-%d", i);
        const kstream_record_t *rec =
                h_expect(drv, "kstream-test-rp-repartition", key, key);
        cr_assert(eq(i32, kstream_record_partition(rec),
                     h_partition_of(key, 3)));
    }
    kstream_test_driver_destroy(drv);
}

/* ---- determinism ------------------------------------------------------ */

static kstream_err_t flat_two(const kstream_record_t *in,
                              kstream_records_t *out, void *opaque)
{
    (void)opaque;
    for (int i = 0; i < 2; i++) {
        kstream_record_t *r = kstream_records_add(out);
        if (r == NULL)
            return KSTREAM_ERR_USER;
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", i);
        kstream_err_t err = kstream_record_header_add(r, "i", buf, (size_t)n);
        if (err)
            return err;
        if (i == 1 && kstream_record_key(in).data != NULL)
            err = kstream_record_set_key(r, NULL, 0);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

static kstream_test_driver_t *determinism_driver(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map(s, flat_two, NULL, NULL, NULL);
    s = kstream_stream_repartition(s, 0, "mix");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, "application.id", "det", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "out", 4),
                 KSTREAM_OK));
    for (int i = 0; i < 30; i++) {
        char key[32], val[32];
        snprintf(key, sizeof(key), "k%d", i % 7);
        snprintf(val, sizeof(val), "v%d", i);
        kstream_err_t err = h_pipe(drv, "in", (i % 5) ? key : NULL, val,
                                   1000 + (i * 37) % 11);
        cr_assert(err == KSTREAM_OK);
    }
    return drv;
}

static void append_bytes(kstream_buf_t *buf, kstream_bytes_t b)
{
    uint64_t len = b.data ? (uint64_t)b.len : UINT64_MAX;
    kstream_buf_append(buf, &len, sizeof(len));
    if (b.data)
        kstream_buf_append(buf, b.data, b.len);
}

/* Serialize every output record of topic into buf, byte for byte. */
static size_t dump_topic(kstream_test_driver_t *drv, const char *topic,
                         kstream_buf_t *buf)
{
    size_t n = 0;
    const kstream_record_t *rec = NULL;
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        int64_t meta[3] = {kstream_record_timestamp(rec),
                           kstream_record_partition(rec),
                           kstream_record_offset(rec)};
        kstream_buf_append(buf, meta, sizeof(meta));
        append_bytes(buf, kstream_record_key(rec));
        append_bytes(buf, kstream_record_value(rec));
        size_t nh = kstream_record_header_count(rec);
        for (size_t i = 0; i < nh; i++) {
            const char *name = NULL;
            kstream_bytes_t v;
            kstream_record_header_at(rec, i, &name, &v);
            kstream_buf_append(buf, name, strlen(name) + 1);
            append_bytes(buf, v);
        }
        n++;
    }
    return n;
}

Test(partitions, two_drivers_given_the_same_input_give_identical_output)
{
    kstream_test_driver_t *d1 = determinism_driver();
    kstream_test_driver_t *d2 = determinism_driver();
    const char *topics[] = {"out", "det-mix-repartition"};
    for (int t = 0; t < 2; t++) {
        kstream_buf_t *b1 = kstream_buf_new();
        kstream_buf_t *b2 = kstream_buf_new();
        size_t n1 = dump_topic(d1, topics[t], b1);
        size_t n2 = dump_topic(d2, topics[t], b2);
        cr_assert(eq(sz, n1, 60), "%s: %zu records", topics[t], n1);
        cr_assert(eq(sz, n1, n2));
        kstream_bytes_t x1 = kstream_buf_bytes(b1);
        kstream_bytes_t x2 = kstream_buf_bytes(b2);
        cr_assert(eq(sz, x1.len, x2.len));
        cr_assert(memcmp(x1.data, x2.data, x1.len) == 0,
                  "%s differs between two drivers", topics[t]);
        kstream_buf_destroy(b1);
        kstream_buf_destroy(b2);
    }
    kstream_test_driver_destroy(d1);
    kstream_test_driver_destroy(d2);
}
