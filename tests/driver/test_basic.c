/* test_basic.c - stateless DSL operators through the test driver: source
 * and sink, NULL keys/values, empty values, filter, filter_not, map,
 * map_values, select_key, flat_map, flat_map_values, peek, foreach,
 * several source topics, dynamic topics, print, timestamps, metrics. */
#include "helpers.h"

TestSuite(stateless, .timeout = 10);

/* ---- source and sink -------------------------------------------------- */

static kstream_builder_t *pass_through(void)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(b != NULL);
    kstream_stream_t *s = kstream_builder_stream(b, "in", "src");
    cr_assert(s != NULL);
    cr_assert(eq(int, kstream_stream_to(s, "out", "sink"), KSTREAM_OK));
    return b;
}

Test(stateless, source_to_sink_copies_key_value_and_timestamp)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    h_pipe_ok(drv, "in", "k1", "v1", 42);
    h_pipe_ok(drv, "in", "k2", "v2", 43);
    h_expect_ts(drv, "out", "k1", "v1", 42);
    h_expect_ts(drv, "out", "k2", "v2", 43);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(stateless, null_key_and_null_value_pass_through_as_nulls)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    h_pipe_ok(drv, "in", NULL, NULL, 1);
    h_pipe_ok(drv, "in", NULL, "v", 2);
    h_pipe_ok(drv, "in", "k", NULL, 3);
    const kstream_record_t *rec = h_expect(drv, "out", NULL, NULL);
    cr_assert(kstream_record_key(rec).data == NULL);
    cr_assert(kstream_record_value(rec).data == NULL);
    h_expect(drv, "out", NULL, "v");
    h_expect(drv, "out", "k", NULL);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(stateless, empty_value_and_key_are_not_nulls)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    h_pipe_ok(drv, "in", "", "", 1);
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(k.data != NULL, "an empty key became a NULL key");
    cr_assert(eq(sz, k.len, 0));
    cr_assert(v.data != NULL, "an empty value became a tombstone");
    cr_assert(eq(sz, v.len, 0));
    kstream_test_driver_destroy(drv);
}

Test(stateless, binary_bytes_with_nul_pass_unchanged)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    const char key[] = {'a', '\0', 'b'};
    const char val[] = {'\0', '\x01', '\xff', '\0'};
    cr_assert(eq(int,
                 kstream_test_driver_pipe(drv, "in", key, sizeof(key), val,
                                          sizeof(val), 5),
                 KSTREAM_OK));
    const kstream_record_t *rec = h_read(drv, "out");
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    cr_assert(eq(sz, k.len, sizeof(key)));
    cr_assert(memcmp(k.data, key, sizeof(key)) == 0);
    cr_assert(eq(sz, v.len, sizeof(val)));
    cr_assert(memcmp(v.data, val, sizeof(val)) == 0);
    kstream_test_driver_destroy(drv);
}

Test(stateless, output_topic_is_empty_before_any_write)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), NULL);
    cr_assert(kstream_test_driver_is_empty(drv, "out"));
    const kstream_record_t *rec = NULL;
    cr_assert(kstream_test_driver_read(drv, "out", &rec) != KSTREAM_OK);
    kstream_test_driver_destroy(drv);
}

/* ---- filter / filter_not --------------------------------------------- */

Test(stateless, filter_keeps_only_matching_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, h_pred_value_prefix, (void *)"keep", NULL,
                              "flt");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "keep-1", 1);
    h_pipe_ok(drv, "in", "b", "drop-1", 2);
    h_pipe_ok(drv, "in", "c", NULL, 3);
    h_pipe_ok(drv, "in", "d", "keep-2", 4);
    h_expect(drv, "out", "a", "keep-1");
    h_expect(drv, "out", "d", "keep-2");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(stateless, filter_not_drops_matching_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter_not(s, h_pred_value_prefix, (void *)"drop",
                                  NULL, "fltn");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "keep-1", 1);
    h_pipe_ok(drv, "in", "b", "drop-1", 2);
    h_pipe_ok(drv, "in", "c", NULL, 3);
    h_expect(drv, "out", "a", "keep-1");
    h_expect(drv, "out", "c", NULL);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t pred_key_is_null(const kstream_record_t *rec,
                                      bool *match, void *opaque)
{
    (void)opaque;
    *match = kstream_record_key(rec).data == NULL;
    return KSTREAM_OK;
}

Test(stateless, predicate_sees_null_key_as_null)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, pred_key_is_null, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "", "empty-key", 1);
    h_pipe_ok(drv, "in", NULL, "null-key", 2);
    h_expect(drv, "out", NULL, "null-key");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* ---- map family -------------------------------------------------------- */

/* key "k" value "v" -> key "K:k" value "V:v" timestamp ts*10. "del" makes a
 * tombstone, "empty" an empty value, "nullkey" a NULL key. */
static kstream_err_t map_kv(const kstream_record_t *in, kstream_record_t *out,
                            void *opaque)
{
    (void)opaque;
    kstream_bytes_t k = kstream_record_key(in), v = kstream_record_value(in);
    char buf[128];
    if (h_bytes_is(v, "del"))
        return kstream_record_set_value(out, NULL, 0);
    if (h_bytes_is(v, "empty"))
        return kstream_record_set_value(out, "", 0);
    if (h_bytes_is(v, "nullkey"))
        return kstream_record_set_key(out, NULL, 0);
    int n = snprintf(buf, sizeof(buf), "K:%.*s", (int)k.len,
                     k.data ? (const char *)k.data : "");
    kstream_err_t err = kstream_record_set_key(out, buf, (size_t)n);
    if (err)
        return err;
    n = snprintf(buf, sizeof(buf), "V:%.*s", (int)v.len,
                 v.data ? (const char *)v.data : "");
    err = kstream_record_set_value(out, buf, (size_t)n);
    if (err)
        return err;
    return kstream_record_set_timestamp(out,
                                        kstream_record_timestamp(in) * 10);
}

Test(stateless, map_changes_key_value_and_timestamp)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, map_kv, NULL, NULL, "mapper");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 7);
    h_expect_ts(drv, "out", "K:a", "V:1", 70);
    kstream_test_driver_destroy(drv);
}

Test(stateless, map_can_make_tombstone_empty_value_and_null_key)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, map_kv, NULL, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "del", 1);
    h_pipe_ok(drv, "in", "b", "empty", 2);
    h_pipe_ok(drv, "in", "c", "nullkey", 3);
    h_expect_ts(drv, "out", "a", NULL, 1);
    const kstream_record_t *rec = h_expect_ts(drv, "out", "b", "", 2);
    cr_assert(kstream_record_value(rec).data != NULL,
              "set_value(\"\", 0) made a tombstone, not an empty value");
    h_expect_ts(drv, "out", NULL, "nullkey", 3);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* Records the result of set_key / alloc_key on the out record. */
typedef struct ro_probe {
    kstream_err_t set_key_err;
    bool alloc_key_null;
    kstream_err_t set_value_err;
    bool alloc_value_null;
    int calls;
} ro_probe_t;

static kstream_err_t map_values_upper(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    ro_probe_t *p = (ro_probe_t *)opaque;
    if (p != NULL) { /* probe the read-only key */
        p->calls++;
        p->set_key_err = kstream_record_set_key(out, "hacked", 6);
        p->alloc_key_null = kstream_record_alloc_key(out, 3) == NULL;
    }
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL)
        return KSTREAM_OK;
    char *dst = (char *)kstream_record_alloc_value(out, v.len);
    if (dst == NULL)
        return KSTREAM_ERR_USER;
    for (size_t i = 0; i < v.len; i++) {
        char c = ((const char *)v.data)[i];
        dst[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    return KSTREAM_OK;
}

Test(stateless, map_values_changes_value_and_keeps_key)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, map_values_upper, NULL, NULL, "mv");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "key", "hello", 5);
    h_pipe_ok(drv, "in", NULL, "x", 6);
    h_expect_ts(drv, "out", "key", "HELLO", 5);
    h_expect_ts(drv, "out", NULL, "X", 6);
    kstream_test_driver_destroy(drv);
}

Test(stateless, map_values_rejects_key_changes)
{
    ro_probe_t probe = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map_values(s, map_values_upper, &probe, NULL, "mv");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "key", "v", 5);
    cr_assert(eq(int, probe.calls, 1));
    cr_assert(eq(int, probe.set_key_err, KSTREAM_ERR_INVALID_ARG));
    cr_assert(probe.alloc_key_null, "alloc_key allowed in map_values");
    h_expect(drv, "out", "key", "V");
    kstream_test_driver_destroy(drv);
}

static kstream_err_t select_key_from_value(const kstream_record_t *in,
                                           kstream_record_t *out,
                                           void *opaque)
{
    ro_probe_t *p = (ro_probe_t *)opaque;
    if (p != NULL) { /* probe the read-only value */
        p->calls++;
        p->set_value_err = kstream_record_set_value(out, "hacked", 6);
        p->alloc_value_null = kstream_record_alloc_value(out, 3) == NULL;
    }
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL)
        return kstream_record_set_key(out, NULL, 0);
    return kstream_record_set_key(out, v.data, v.len > 1 ? 1 : v.len);
}

Test(stateless, select_key_changes_key_and_keeps_value)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, select_key_from_value, NULL, NULL,
                                  "sk");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "old", "apple", 9);
    h_pipe_ok(drv, "in", "old", NULL, 10);
    h_expect_ts(drv, "out", "a", "apple", 9);
    h_expect_ts(drv, "out", NULL, NULL, 10);
    kstream_test_driver_destroy(drv);
}

Test(stateless, select_key_rejects_value_changes)
{
    ro_probe_t probe = {0};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_select_key(s, select_key_from_value, &probe, NULL,
                                  "sk");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "old", "banana", 9);
    cr_assert(eq(int, probe.calls, 1));
    cr_assert(eq(int, probe.set_value_err, KSTREAM_ERR_INVALID_ARG));
    cr_assert(probe.alloc_value_null, "alloc_value allowed in select_key");
    h_expect(drv, "out", "b", "banana");
    kstream_test_driver_destroy(drv);
}

/* ---- flat_map / flat_map_values -------------------------------------- */

/* Split the value on ',' : each part becomes a record with key = part and
 * value = part + "!". An empty value gives no record. */
static kstream_err_t flat_split(const kstream_record_t *in,
                                kstream_records_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    if (v.data == NULL || v.len == 0)
        return KSTREAM_OK;
    const char *p = (const char *)v.data, *end = p + v.len;
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        kstream_record_t *r = kstream_records_add(out);
        if (r == NULL)
            return KSTREAM_ERR_USER;
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "%.*s!", (int)(q - p), p);
        kstream_err_t err = kstream_record_set_key(r, p, (size_t)(q - p));
        if (err)
            return err;
        err = kstream_record_set_value(r, buf, (size_t)n);
        if (err)
            return err;
        p = q + 1;
    }
    return KSTREAM_OK;
}

Test(stateless, flat_map_emits_n_records_in_order_with_input_timestamp)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map(s, flat_split, NULL, NULL, "fm");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "a,b,c", 77);
    h_expect_ts(drv, "out", "a", "a!", 77);
    h_expect_ts(drv, "out", "b", "b!", 77);
    h_expect_ts(drv, "out", "c", "c!", 77);
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

Test(stateless, flat_map_emits_zero_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map(s, flat_split, NULL, NULL, "fm");
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "", 1);
    h_pipe_ok(drv, "in", "k", NULL, 2);
    h_expect_empty(drv, "out");
    h_pipe_ok(drv, "in", "k", "z", 3);
    h_expect(drv, "out", "z", "z!");
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}

/* flat_map_values: N copies of the input with values "<v>-<i>"; records
 * the result of set_key on the added records. */
static kstream_err_t flat_values_repeat(const kstream_record_t *in,
                                        kstream_records_t *out, void *opaque)
{
    ro_probe_t *p = (ro_probe_t *)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    int n = (v.data && v.len) ? ((const char *)v.data)[0] - '0' : 0;
    for (int i = 0; i < n; i++) {
        kstream_record_t *r = kstream_records_add(out);
        if (r == NULL)
            return KSTREAM_ERR_USER;
        p->calls++;
        p->set_key_err = kstream_record_set_key(r, "hacked", 6);
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%d-%d", n, i);
        kstream_err_t err = kstream_record_set_value(r, buf, (size_t)len);
        if (err)
            return err;
    }
    return KSTREAM_OK;
}

Test(stateless, flat_map_values_keeps_key_and_rejects_key_changes)
{
    ro_probe_t probe = {0};
    probe.set_key_err = KSTREAM_OK;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_flat_map_values(s, flat_values_repeat, &probe, NULL,
                                       "fmv");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "key", "3", 4);
    h_pipe_ok(drv, "in", "key", "0", 5);
    h_expect_ts(drv, "out", "key", "3-0", 4);
    h_expect_ts(drv, "out", "key", "3-1", 4);
    h_expect_ts(drv, "out", "key", "3-2", 4);
    h_expect_empty(drv, "out");
    cr_assert(eq(int, probe.calls, 3));
    cr_assert(eq(int, probe.set_key_err, KSTREAM_ERR_INVALID_ARG));
    kstream_test_driver_destroy(drv);
}

/* ---- peek / foreach ----------------------------------------------------- */

static kstream_err_t log_record(const kstream_record_t *rec, void *opaque)
{
    h_log_t *log = (h_log_t *)opaque;
    char kb[64], vb[64];
    h_logf(log, "%s=%s@%lld;",
           h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb)),
           h_bytes_fmt(kstream_record_value(rec), vb, sizeof(vb)),
           (long long)kstream_record_timestamp(rec));
    return KSTREAM_OK;
}

Test(stateless, peek_sees_each_record_and_passes_it_on_unchanged)
{
    h_log_t log = {{0}};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_peek(s, log_record, &log, NULL, "pk");
    cr_assert(s != NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 10);
    h_pipe_ok(drv, "in", NULL, NULL, 11);
    cr_assert(eq(str, log.text, "a=1@10;null=null@11;"));
    h_expect_ts(drv, "out", "a", "1", 10);
    h_expect_ts(drv, "out", NULL, NULL, 11);
    kstream_test_driver_destroy(drv);
}

Test(stateless, foreach_is_called_for_each_record_in_order)
{
    h_log_t log = {{0}};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int, kstream_stream_foreach(s, log_record, &log, NULL, "fe"),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 1);
    h_pipe_ok(drv, "in", "b", "", 2);
    h_pipe_ok(drv, "in", "c", "3", 3);
    cr_assert(eq(str, log.text, "a=1@1;b=@2;c=3@3;"));
    kstream_test_driver_destroy(drv);
}

/* ---- several source topics ------------------------------------------------ */

static kstream_err_t log_topic(const kstream_record_t *rec, void *opaque)
{
    h_log_t *log = (h_log_t *)opaque;
    const char *t = kstream_record_topic(rec);
    h_logf(log, "%s/%d/%lld;", t ? t : "(null)",
           (int)kstream_record_partition(rec),
           (long long)kstream_record_offset(rec));
    return KSTREAM_OK;
}

Test(stateless, stream_from_several_topics_reads_each_with_its_metadata)
{
    h_log_t log = {{0}};
    const char *topics[] = {"t1", "t2"};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s =
            kstream_builder_stream_topics(b, topics, 2, "multi-src");
    cr_assert(s != NULL);
    s = kstream_stream_peek(s, log_topic, &log, NULL, NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "t1", "a", "1", 1);
    h_pipe_ok(drv, "t2", "b", "2", 2);
    h_pipe_ok(drv, "t1", "c", "3", 3);
    h_expect(drv, "out", "a", "1");
    h_expect(drv, "out", "b", "2");
    h_expect(drv, "out", "c", "3");
    h_expect_empty(drv, "out");
    cr_assert(eq(str, log.text, "t1/0/0;t2/0/0;t1/0/1;"));
    kstream_test_driver_destroy(drv);
}

Test(stateless, record_metadata_gives_source_topic_partition_and_offset)
{
    h_log_t log = {{0}};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_foreach(s, log_topic, &log, NULL, NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    for (int i = 0; i < 3; i++)
        h_pipe_ok(drv, "in", "k", "v", i);
    cr_assert(eq(str, log.text, "in/0/0;in/0/1;in/0/2;"));
    kstream_test_driver_destroy(drv);
}

/* ---- dynamic topic choice --------------------------------------------------- */

static kstream_err_t topic_by_parity(const kstream_record_t *rec,
                                     const char **topic, void *opaque)
{
    int *calls = (int *)opaque;
    (*calls)++;
    kstream_bytes_t v = kstream_record_value(rec);
    int digit = (v.data && v.len) ? ((const char *)v.data)[0] - '0' : 0;
    *topic = (digit % 2) ? "odd" : "even";
    return KSTREAM_OK;
}

Test(stateless, to_dynamic_writes_each_record_to_the_chosen_topic)
{
    int calls = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int,
                 kstream_stream_to_dynamic(s, topic_by_parity, &calls, NULL,
                                           "dyn"),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 1);
    h_pipe_ok(drv, "in", "b", "2", 2);
    h_pipe_ok(drv, "in", "c", "3", 3);
    h_pipe_ok(drv, "in", "d", "4", 4);
    cr_assert(eq(int, calls, 4));
    h_expect_ts(drv, "odd", "a", "1", 1);
    h_expect_ts(drv, "odd", "c", "3", 3);
    h_expect_empty(drv, "odd");
    h_expect_ts(drv, "even", "b", "2", 2);
    h_expect_ts(drv, "even", "d", "4", 4);
    h_expect_empty(drv, "even");
    kstream_test_driver_destroy(drv);
}

Test(stateless, one_stream_can_feed_several_sinks)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_to(s, "out1", NULL);
    kstream_stream_to(s, "out2", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 1);
    h_expect(drv, "out1", "a", "1");
    h_expect(drv, "out2", "a", "1");
    kstream_test_driver_destroy(drv);
}

/* ---- print ------------------------------------------------------------------ */

Test(stateless, print_writes_label_key_value_with_nulls)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    cr_assert(out != NULL);
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int, kstream_stream_print(s, out, "lbl", "printer"),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k1", "v1", 1);
    h_pipe_ok(drv, "in", NULL, NULL, 2);
    h_pipe_ok(drv, "in", "k3", "", 3);
    kstream_test_driver_destroy(drv);
    fclose(out);
    cr_assert(buf != NULL);
    const char *l1 = strstr(buf, "[lbl]: k1, v1");
    const char *l2 = strstr(buf, "[lbl]: null, null");
    const char *l3 = strstr(buf, "[lbl]: k3, ");
    cr_assert(l1 != NULL, "print output: '%s'", buf);
    cr_assert(l2 != NULL, "print output: '%s'", buf);
    cr_assert(l3 != NULL, "print output: '%s'", buf);
    cr_assert(l1 < l2 && l2 < l3, "print order wrong: '%s'", buf);
    int lines = 0;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    cr_assert(eq(int, lines, 3), "print output: '%s'", buf);
    free(buf);
}

Test(stateless, print_without_label_uses_the_node_name)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    cr_assert(out != NULL);
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int, kstream_stream_print(s, out, NULL, "my-printer"),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 1);
    kstream_test_driver_destroy(drv);
    fclose(out);
    cr_assert(buf != NULL && strstr(buf, "[my-printer]: k, v") != NULL,
              "print output: '%s'", buf ? buf : "(null)");
    free(buf);
}

Test(stateless, print_escapes_non_printable_bytes)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    cr_assert(out != NULL);
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_print(s, out, "p", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    const char val[] = {'a', '\x01', '\0', 'z'};
    cr_assert(eq(int,
                 kstream_test_driver_pipe(drv, "in", "k", 1, val, sizeof(val),
                                          1),
                 KSTREAM_OK));
    kstream_test_driver_destroy(drv);
    fclose(out);
    cr_assert(buf != NULL);
    cr_assert(strstr(buf, "[p]: k, a") != NULL, "print output: '%s'", buf);
    cr_assert(memchr(buf, '\x01', size) == NULL,
              "a raw control byte was printed");
    cr_assert(eq(sz, strlen(buf), size), "a raw NUL byte was printed");
    cr_assert(strchr(buf, 'z') != NULL, "print stopped at the NUL byte");
    free(buf);
}

/* ---- timestamps ----------------------------------------------------------------- */

static kstream_err_t map_ts_plus_1000(const kstream_record_t *in,
                                      kstream_record_t *out, void *opaque)
{
    (void)opaque;
    return kstream_record_set_timestamp(out,
                                        kstream_record_timestamp(in) + 1000);
}

Test(stateless, timestamps_flow_through_operators_and_map_can_set_them)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_t *f = kstream_stream_filter(s, h_pred_true, NULL, NULL,
                                                NULL);
    kstream_stream_to(f, "same", NULL);
    kstream_stream_t *m =
            kstream_stream_map_values(s, map_ts_plus_1000, NULL, NULL, NULL);
    kstream_stream_to(m, "later", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "k", "v", 0);
    h_pipe_ok(drv, "in", "k", "v", 123456789012LL);
    h_expect_ts(drv, "same", "k", "v", 0);
    h_expect_ts(drv, "same", "k", "v", 123456789012LL);
    h_expect_ts(drv, "later", "k", "v", 1000);
    h_expect_ts(drv, "later", "k", "v", 123456789012LL + 1000);
    kstream_test_driver_destroy(drv);
}

/* ---- metrics ---------------------------------------------------------------------- */

Test(stateless, metrics_count_processed_and_produced_records)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, h_pred_value_prefix, (void *)"y", NULL,
                              NULL);
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "y1", 1);
    h_pipe_ok(drv, "in", "b", "n2", 2);
    h_pipe_ok(drv, "in", "c", "y3", 3);
    cr_assert(eq(i64, h_metric(drv, "records-processed"), 3));
    cr_assert(eq(i64, h_metric(drv, "records-produced"), 2));
    cr_assert(eq(i64, h_metric(drv, "records-dropped"), 0));
    cr_assert(eq(i64, h_metric(drv, "process-errors"), 0));
    cr_assert(eq(i64, h_metric(drv, "deserialization-errors"), 0));
    kstream_test_driver_destroy(drv);
}

Test(stateless, commit_and_commit_interval_count_commits)
{
    kstream_test_driver_t *drv = h_driver(pass_through(), "commit.interval.ms",
                                          "1000", NULL);
    h_pipe_ok(drv, "in", "a", "1", 1);
    int64_t c0 = h_metric(drv, "commits");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    int64_t c1 = h_metric(drv, "commits");
    cr_assert(c1 > c0, "commit did not count: %lld -> %lld", (long long)c0,
              (long long)c1);
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1500),
                 KSTREAM_OK));
    int64_t c2 = h_metric(drv, "commits");
    cr_assert(c2 > c1, "commit.interval.ms passed without a commit");
    kstream_test_driver_destroy(drv);
}

/* ---- opaque_free ------------------------------------------------------------------- */

static void count_free(void *opaque)
{
    (*(int *)opaque)++;
}

Test(stateless, opaque_free_runs_when_the_driver_destroys_the_topology)
{
    int freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_filter(s, h_pred_true, &freed, count_free, NULL);
    kstream_stream_foreach(s, h_foreach_nop, &freed, count_free, NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "in", "a", "1", 1);
    cr_assert(eq(int, freed, 0), "opaque freed while still in use");
    kstream_test_driver_destroy(drv);
    cr_assert(eq(int, freed, 2));
}

Test(stateless, opaque_free_runs_when_the_builder_is_destroyed)
{
    int freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_map(s, h_map_identity, &freed, count_free, NULL);
    kstream_builder_destroy(b);
    cr_assert(eq(int, freed, 1));
}

Test(stateless, opaque_free_runs_when_the_topology_is_destroyed)
{
    int freed = 0;
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_peek(s, h_foreach_nop, &freed, count_free, NULL);
    kstream_topology_t *t = h_build(b);
    cr_assert(eq(int, freed, 0));
    kstream_topology_destroy(t);
    cr_assert(eq(int, freed, 1));
}
