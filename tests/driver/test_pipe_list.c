/* test_pipe_list.c - kstream_test_driver_pipe_list(): the same results as
 * piping the records one by one (records processed in order, each before
 * the next), its argument checks, and where it stops on a bad record. */
#include "helpers.h"

TestSuite(pipe_list, .timeout = 20);

#define N 300

/* Re-key by the value's first character. */
static kstream_err_t by_first_char(const kstream_record_t *in,
                                   kstream_record_t *out, void *opaque)
{
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(in);
    return kstream_record_set_key(out, v.data, v.len ? 1 : 0);
}

/* The latest value wins: any change of the processing order shows. */
static kstream_err_t keep_latest(const kstream_record_t *rec,
                                 kstream_bytes_t agg, kstream_buf_t *out,
                                 void *opaque)
{
    (void)agg;
    (void)opaque;
    kstream_bytes_t v = kstream_record_value(rec);
    return kstream_buf_append(out, v.data, v.len);
}

/* in (4 partitions) -> out as is, and -> re-key -> latest per key
 * (repartition topic, cached store) -> latest, and count -> counts. */
static kstream_test_driver_t *driver(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int, kstream_stream_to(s, "out", NULL), KSTREAM_OK));
    kstream_table_t *latest = kstream_grouped_reduce(
            kstream_stream_group_by(s, by_first_char, NULL, NULL, "rekey"),
            keep_latest, NULL, NULL, "latest");
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(latest, NULL),
                                   "latest", NULL),
                 KSTREAM_OK));
    kstream_table_t *counts =
            kstream_grouped_count(kstream_stream_group_by_key(s), "counts");
    cr_assert(eq(int,
                 kstream_stream_to(kstream_table_to_stream(counts, NULL),
                                   "counts", NULL),
                 KSTREAM_OK));
    kstream_test_driver_t *drv = h_driver(b, "commit.interval.ms", "50", NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 4),
                 KSTREAM_OK));
    return drv;
}

typedef struct input {
    char keys[N][16], values[N][16];
    kstream_header_t hdr;
    kstream_test_record_t recs[N];
} input_t;

/* Keys from 23, values from 7 first characters, rising timestamps but
 * out of order every fifth record, an explicit partition and a header
 * now and then, a null key now and then. */
static void make_input(input_t *in)
{
    in->hdr = (kstream_header_t){.name = "h", .value = "x", .len = 1};
    for (int i = 0; i < N; i++) {
        snprintf(in->keys[i], sizeof(in->keys[i]), "k%d", (i * 7) % 23);
        snprintf(in->values[i], sizeof(in->values[i]), "%c%d",
                 'a' + (i * 5) % 7, i);
        kstream_test_record_t *r = &in->recs[i];
        *r = (kstream_test_record_t){
                .key = i % 29 == 3 ? NULL : in->keys[i],
                .key_len = strlen(in->keys[i]),
                .value = in->values[i],
                .value_len = strlen(in->values[i]),
                .timestamp = i % 5 == 4 ? i * 10 - 35 : i * 10,
                .partition = i % 11 == 0 ? 2 : -1,
                .headers = i % 13 == 0 ? &in->hdr : NULL,
                .nheaders = i % 13 == 0 ? 1 : 0};
    }
}

/* Every record of topic as "partition/key=value@ts#headers;". */
static void dump(kstream_test_driver_t *drv, const char *topic, char *buf,
                 size_t size)
{
    size_t used = 0;
    const kstream_record_t *rec;
    buf[0] = '\0';
    while (kstream_test_driver_read(drv, topic, &rec) == KSTREAM_OK) {
        char kb[64], vb[64];
        int w = snprintf(buf + used, size - used, "%d/%s=%s@%lld#%zu;",
                         (int)kstream_record_partition(rec),
                         h_bytes_fmt(kstream_record_key(rec), kb, sizeof(kb)),
                         h_bytes_fmt(kstream_record_value(rec), vb,
                                     sizeof(vb)),
                         (long long)kstream_record_timestamp(rec),
                         kstream_record_header_count(rec));
        cr_assert(w > 0 && (size_t)w < size - used, "dump buffer too small");
        used += (size_t)w;
    }
}

Test(pipe_list, gives_what_piping_one_by_one_gives)
{
    static input_t in;
    make_input(&in);
    kstream_test_driver_t *one = driver(), *list = driver();
    /* In chunks of 37 with wall-clock time (commits) between them. */
    for (size_t from = 0; from < N; from += 37) {
        size_t n = N - from < 37 ? N - from : 37, piped = 99;
        for (size_t i = from; i < from + n; i++) {
            const kstream_test_record_t *r = &in.recs[i];
            cr_assert(eq(int,
                         kstream_test_driver_pipe_ex(
                                 one, "in", r->partition, r->key, r->key_len,
                                 r->value, r->value_len, r->timestamp,
                                 r->headers, r->nheaders),
                         KSTREAM_OK));
        }
        cr_assert(eq(int,
                     kstream_test_driver_pipe_list(list, "in", in.recs + from,
                                                   n, &piped),
                     KSTREAM_OK));
        cr_assert(eq(sz, piped, n));
        cr_assert(eq(int, kstream_test_driver_advance_wall_clock(one, 30),
                     KSTREAM_OK));
        cr_assert(eq(int, kstream_test_driver_advance_wall_clock(list, 30),
                     KSTREAM_OK));
    }
    cr_assert(eq(int, kstream_test_driver_commit(one), KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_commit(list), KSTREAM_OK));
    static char a[64 * 1024], b[64 * 1024];
    const char *topics[] = {"out", "latest", "counts"};
    for (int t = 0; t < 3; t++) {
        dump(one, topics[t], a, sizeof(a));
        dump(list, topics[t], b, sizeof(b));
        cr_assert(strlen(a) > 0, "%s is empty", topics[t]);
        cr_assert(eq(str, a, b), "%s differs", topics[t]);
    }
    kstream_test_driver_destroy(one);
    kstream_test_driver_destroy(list);
}

Test(pipe_list, stops_at_the_first_bad_record_and_says_where)
{
    kstream_test_driver_t *drv = driver();
    kstream_test_record_t recs[4] = {
            {.key = "a", .key_len = 1, .value = "a1", .value_len = 2,
             .timestamp = 1, .partition = -1},
            {.key = "b", .key_len = 1, .value = "b1", .value_len = 2,
             .timestamp = 2, .partition = -1},
            {.key = "c", .key_len = 1, .value = "c1", .value_len = 2,
             .timestamp = -1, .partition = -1},
            {.key = "d", .key_len = 1, .value = "d1", .value_len = 2,
             .timestamp = 4, .partition = -1}};
    size_t piped = 99;
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "in", recs, 4, &piped),
                 KSTREAM_ERR_INVALID_TIMESTAMP));
    cr_assert(eq(sz, piped, 2));
    cr_assert(h_contains(kstream_test_driver_last_error(drv), "negative"));
    cr_assert(eq(int, h_drain(drv, "out"), 2));

    recs[2].timestamp = 3;
    recs[3].partition = -2;
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "in", recs + 2, 2,
                                                    &piped),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(sz, piped, 1));
    recs[3].partition = 1;
    recs[3].nheaders = 1; /* headers NULL */
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "in", recs + 3, 1,
                                                    NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, h_drain(drv, "out"), 1));
    kstream_test_driver_destroy(drv);
}

Test(pipe_list, checks_its_arguments)
{
    kstream_test_driver_t *drv = driver();
    kstream_test_record_t r = {.key = "a", .key_len = 1, .value = "v",
                               .value_len = 1, .timestamp = 1,
                               .partition = -1};
    size_t piped = 99;
    cr_assert(eq(int, kstream_test_driver_pipe_list(NULL, "in", &r, 1, &piped),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(sz, piped, 0));
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "in", NULL, 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, NULL, &r, 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "bad topic!", &r, 1,
                                                    NULL),
                 KSTREAM_ERR_INVALID_ARG));
    piped = 99;
    cr_assert(eq(int, kstream_test_driver_pipe_list(drv, "in", NULL, 0, &piped),
                 KSTREAM_OK));
    cr_assert(eq(sz, piped, 0));
    h_expect_empty(drv, "out");
    kstream_test_driver_destroy(drv);
}
