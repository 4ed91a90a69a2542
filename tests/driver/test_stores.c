/* test_stores.c - state stores through the test driver: user stores added
 * with kstream_builder_add_store() and reached from processors by name
 * (key-value, window, session), their operations (get, put, put_if_absent,
 * delete, range, prefix, all, approximate count, window put/get/fetch,
 * session put/find), changelog topics "<application.id>-<store>-changelog"
 * with every change (none when logging is disabled, one per key and
 * commit with caching), DSL store changelogs, iterators left open at
 * close, store reads through the driver, global tables (every partition,
 * read from any task, tombstones, read only), both backends; bad
 * arguments.
 *
 * A command processor drives the stores: each input record's value is a
 * command run on the record's key, and its result is forwarded as the
 * value of a record to "out" (see run_command()). */
#include "helpers_state.h"

TestSuite(stores, .timeout = 20);

static kstream_store_backend_t backend_of(int idx)
{
    return idx == 0 ? KSTREAM_STORE_ROCKSDB : KSTREAM_STORE_MEMORY;
}

/* ---- the command processor -------------------------------------------------- */

static kstream_err_t emit(kstream_ctx_t *ctx, const kstream_record_t *rec,
                          const char *text)
{
    kstream_record_t *out = kstream_ctx_record_new(ctx, rec);
    if (out == NULL)
        return KSTREAM_ERR_NO_MEMORY;
    kstream_err_t err = kstream_record_set_value(out, text, strlen(text));
    if (err != KSTREAM_OK)
        return err;
    return kstream_ctx_forward(ctx, out);
}

static const char *bytes_str(kstream_bytes_t b, char *buf, size_t size)
{
    if (b.data == NULL)
        return "null";
    hs_text(b.data, b.len, buf, size);
    return buf;
}

/* Commands (on the record's key K):
 *   put=V  putnull  get  del  pia=V  range=FROM,TO (empty: open)
 *   prefix=P  all  count  type  other
 *   wput=START:V  wdel=START  wget=START  wfetch=FROM,TO
 *   sput=START,END:V  sdel=START,END  sfind=EARLIEST_END,LATEST_START
 *   leak (open an iterator on "kv" and never close it)
 *   gget (get K's value from the global store "glob")  gput=V */
static kstream_err_t run_command(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec, void *state)
{
    (void)state;
    char cmd[256], res[1024], tmp[256];
    kstream_bytes_t kb = kstream_record_key(rec);
    kstream_bytes_t vb = kstream_record_value(rec);
    const char *k = kb.data ? (const char *)kb.data : "";
    size_t kl = kb.data ? kb.len : 0;
    if (vb.data == NULL || vb.len >= sizeof(cmd))
        return emit(ctx, rec, "bad command");
    memcpy(cmd, vb.data, vb.len);
    cmd[vb.len] = '\0';
    char *arg = strchr(cmd, '=');
    if (arg)
        *arg++ = '\0';
    kstream_store_t *kv = kstream_ctx_store(ctx, "kv");
    kstream_store_t *win = kstream_ctx_store(ctx, "win");
    kstream_store_t *sess = kstream_ctx_store(ctx, "sess");
    kstream_bytes_t v = {NULL, 0};
    kstream_iter_t *it = NULL;
    kstream_err_t err;
    long long a = 0, c = 0;
    res[0] = '\0';

    if (!strcmp(cmd, "put")) {
        err = kstream_store_put(kv, k, kl, arg, strlen(arg));
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "putnull")) {
        err = kstream_store_put(kv, k, kl, NULL, 0);
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "get")) {
        err = kstream_store_get(kv, k, kl, &v);
        snprintf(res, sizeof(res), "%s",
                 err == KSTREAM_OK ? bytes_str(v, tmp, sizeof(tmp))
                                   : kstream_err2name(err));
    } else if (!strcmp(cmd, "del")) {
        err = kstream_store_delete(kv, k, kl, &v);
        if (err == KSTREAM_OK)
            snprintf(res, sizeof(res), "old=%s",
                     bytes_str(v, tmp, sizeof(tmp)));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "pia")) {
        err = kstream_store_put_if_absent(kv, k, kl, arg, strlen(arg), &v);
        if (err == KSTREAM_OK)
            snprintf(res, sizeof(res), "inserted");
        else if (err == KSTREAM_ERR_DUPLICATE_NAME)
            snprintf(res, sizeof(res), "exists=%s",
                     bytes_str(v, tmp, sizeof(tmp)));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "range")) {
        char *to = strchr(arg, ',');
        *to++ = '\0';
        err = kstream_store_range(kv, *arg ? arg : NULL, strlen(arg),
                                  *to ? to : NULL, strlen(to), &it);
        if (err == KSTREAM_OK)
            hs_iter_render(it, HS_V_STR, res, sizeof(res));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "prefix")) {
        err = kstream_store_prefix(kv, arg, strlen(arg), &it);
        if (err == KSTREAM_OK)
            hs_iter_render(it, HS_V_STR, res, sizeof(res));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "all")) {
        err = kstream_store_all(kv, &it);
        if (err == KSTREAM_OK)
            hs_iter_render(it, HS_V_STR, res, sizeof(res));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "count")) {
        uint64_t n = 0;
        err = kstream_store_approximate_count(kv, &n);
        snprintf(res, sizeof(res), "%s%llu",
                 err ? kstream_err2name(err) : "", (unsigned long long)n);
    } else if (!strcmp(cmd, "type")) {
        snprintf(res, sizeof(res), "%s:%d %s:%d %s:%d",
                 kstream_store_name(kv) ? kstream_store_name(kv) : "-",
                 kstream_store_type(kv),
                 kstream_store_name(win) ? kstream_store_name(win) : "-",
                 kstream_store_type(win),
                 kstream_store_name(sess) ? kstream_store_name(sess) : "-",
                 kstream_store_type(sess));
    } else if (!strcmp(cmd, "other")) {
        snprintf(res, sizeof(res), "%s/%s",
                 kstream_ctx_store(ctx, "other") ? "other" : "none",
                 kstream_ctx_store(ctx, "no-such-store") ? "found" : "none");
    } else if (!strcmp(cmd, "wput")) {
        char *val = strchr(arg, ':');
        *val++ = '\0';
        err = kstream_window_store_put(win, k, kl, atoll(arg), val,
                                       strlen(val));
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "wdel")) {
        err = kstream_window_store_put(win, k, kl, atoll(arg), NULL, 0);
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "wget")) {
        err = kstream_window_store_get(win, k, kl, atoll(arg), &v);
        snprintf(res, sizeof(res), "%s",
                 err == KSTREAM_OK ? bytes_str(v, tmp, sizeof(tmp))
                                   : kstream_err2name(err));
    } else if (!strcmp(cmd, "wfetch")) {
        sscanf(arg, "%lld,%lld", &a, &c);
        err = kstream_window_store_fetch(win, k, kl, a, c, &it);
        if (err == KSTREAM_OK)
            hs_iter_render(it, HS_V_STR, res, sizeof(res));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "sput") || !strcmp(cmd, "sdel")) {
        char *val = strchr(arg, ':');
        if (val)
            *val++ = '\0';
        sscanf(arg, "%lld,%lld", &a, &c);
        err = kstream_session_store_put(sess, k, kl, a, c, val,
                                        val ? strlen(val) : 0);
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "sfind")) {
        sscanf(arg, "%lld,%lld", &a, &c);
        err = kstream_session_store_find(sess, k, kl, a, c, &it);
        if (err == KSTREAM_OK)
            hs_iter_render(it, HS_V_STR, res, sizeof(res));
        else
            snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else if (!strcmp(cmd, "leak")) {
        err = kstream_store_all(kv, &it); /* never closed */
        snprintf(res, sizeof(res), "%s", err ? kstream_err2name(err) : "ok");
    } else if (!strcmp(cmd, "gget")) {
        kstream_store_t *g = kstream_ctx_store(ctx, "glob");
        if (g == NULL) {
            snprintf(res, sizeof(res), "nostore");
        } else {
            err = kstream_store_get(g, k, kl, &v);
            snprintf(res, sizeof(res), "%s",
                     err == KSTREAM_OK ? bytes_str(v, tmp, sizeof(tmp))
                                       : kstream_err2name(err));
        }
    } else if (!strcmp(cmd, "gput")) {
        err = kstream_store_put(kstream_ctx_store(ctx, "glob"), k, kl, arg,
                                strlen(arg));
        snprintf(res, sizeof(res), "%s", kstream_err2name(err));
    } else {
        snprintf(res, sizeof(res), "unknown command");
    }
    return emit(ctx, rec, res);
}

static const kstream_processor_t command_proc = {NULL, run_command, NULL};

/* in -> process (stores) -> out. */
static kstream_builder_t *command_topology(kstream_builder_t *b,
                                           const char *const *stores,
                                           size_t nstores)
{
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    s = kstream_stream_process(s, &command_proc, NULL, NULL, stores, nstores,
                               "cmd");
    cr_assert(s != NULL, "process: %s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    return b;
}

static kstream_builder_t *kv_topology(kstream_store_backend_t backend,
                                      int flags)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "kv", KSTREAM_STORE_KEY_VALUE,
                                           backend, flags, 0, 0),
                 KSTREAM_OK));
    static const char *const stores[] = {"kv"};
    return command_topology(b, stores, 1);
}

/* Pipe a command and assert its result. */
static void cmd_is(kstream_test_driver_t *drv, const char *key,
                   const char *command, const char *result)
{
    h_pipe_ok(drv, "in", key, command, 1);
    const kstream_record_t *rec = h_read(drv, "out");
    char got[1024];
    kstream_bytes_t v = kstream_record_value(rec);
    hs_text(v.data, v.len, got, sizeof(got));
    cr_assert(h_bytes_is(v, result), "%s on %s gave '%s', expected '%s'",
              command, key, got, result);
}

/* ---- key-value stores ------------------------------------------------------------ */

HS_BACKEND_PARAMS(stores, kv_store_get_put_delete_from_a_processor)
ParameterizedTest(int *backend, stores,
                  kv_store_get_put_delete_from_a_processor)
{
    kstream_test_driver_t *drv =
            hs_driver(kv_topology(backend_of(*backend), 0), 1, false, NULL);
    cmd_is(drv, "A", "get", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "A", "put=1", "ok");
    cmd_is(drv, "A", "get", "1");
    cmd_is(drv, "A", "put=2", "ok");
    cmd_is(drv, "A", "get", "2");
    cmd_is(drv, "A", "del", "old=2");
    cmd_is(drv, "A", "get", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "A", "del", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "A", "pia=3", "inserted");
    cmd_is(drv, "A", "pia=4", "exists=3");
    cmd_is(drv, "A", "get", "3");
    cmd_is(drv, "A", "putnull", "ok");
    cmd_is(drv, "A", "get", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "E", "put=", "ok"); /* empty value, not a delete */
    cmd_is(drv, "E", "get", "");
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(stores, kv_store_ranges_are_inclusive_and_ordered)
ParameterizedTest(int *backend, stores,
                  kv_store_ranges_are_inclusive_and_ordered)
{
    kstream_test_driver_t *drv =
            hs_driver(kv_topology(backend_of(*backend), 0), 1, false, NULL);
    const char *keys[] = {"c", "ab", "ba", "a", "b"};
    for (int i = 0; i < 5; i++) {
        char cmd[16];
        snprintf(cmd, sizeof(cmd), "put=%d", i);
        cmd_is(drv, keys[i], cmd, "ok");
    }
    cmd_is(drv, "x", "all", "a=3;ab=1;b=4;ba=2;c=0;");
    cmd_is(drv, "x", "range=a,b", "a=3;ab=1;b=4;");
    cmd_is(drv, "x", "range=ab,ba", "ab=1;b=4;ba=2;");
    cmd_is(drv, "x", "range=,ab", "a=3;ab=1;");
    cmd_is(drv, "x", "range=b,", "b=4;ba=2;c=0;");
    cmd_is(drv, "x", "range=,", "a=3;ab=1;b=4;ba=2;c=0;");
    cmd_is(drv, "x", "range=bb,bz", "");
    cmd_is(drv, "x", "prefix=b", "b=4;ba=2;");
    cmd_is(drv, "x", "prefix=a", "a=3;ab=1;");
    cmd_is(drv, "x", "prefix=z", "");
    if (backend_of(*backend) == KSTREAM_STORE_MEMORY)
        cmd_is(drv, "x", "count", "5");
    kstream_test_driver_destroy(drv);
}

Test(stores, default_backend_follows_default_dsl_store)
{
    for (int be = 0; be < HS_NBACKENDS; be++) {
        kstream_test_driver_t *drv = hs_driver(
                kv_topology(KSTREAM_STORE_DEFAULT, 0), be, false, NULL);
        cmd_is(drv, "A", "put=1", "ok");
        cmd_is(drv, "A", "get", "1");
        kstream_test_driver_destroy(drv);
    }
}

Test(stores, processor_reaches_only_connected_stores)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "kv", KSTREAM_STORE_KEY_VALUE,
                                           KSTREAM_STORE_MEMORY, 0, 0, 0),
                 KSTREAM_OK));
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "other",
                                           KSTREAM_STORE_KEY_VALUE,
                                           KSTREAM_STORE_MEMORY, 0, 0, 0),
                 KSTREAM_OK));
    static const char *const stores[] = {"kv"};
    command_topology(b, stores, 1);
    static const char *const others[] = {"other"};
    kstream_stream_t *s2 = kstream_builder_stream(b, "in2", NULL);
    s2 = kstream_stream_process(s2, &command_proc, NULL, NULL, others, 1,
                                "cmd2");
    cr_assert(s2 != NULL, "%s", kstream_builder_error(b));
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    cmd_is(drv, "A", "other", "none/none");
    cmd_is(drv, "A", "type", "kv:0 -:-1 -:-1");
    kstream_test_driver_destroy(drv);
}

/* A processor that finds its store in init and, on a wall-clock
 * punctuator, forwards every entry of it (a common Kafka Streams
 * pattern). */
typedef struct scan_state {
    kstream_store_t *kv;
    bool found_in_init;
} scan_state_t;

static kstream_err_t scan_punct(kstream_ctx_t *ctx, int64_t ts, void *opaque)
{
    (void)ts;
    scan_state_t *st = (scan_state_t *)opaque;
    kstream_iter_t *it = NULL;
    kstream_err_t err = kstream_store_all(st->kv, &it);
    if (err != KSTREAM_OK)
        return err;
    kstream_bytes_t k, v;
    while ((err = kstream_iter_next(it, &k, &v)) == KSTREAM_OK) {
        kstream_record_t *out = kstream_ctx_record_new(ctx, NULL);
        if (out == NULL || kstream_record_set_key(out, k.data, k.len) ||
            kstream_record_set_value(out, v.data, v.len) ||
            kstream_ctx_forward(ctx, out)) {
            kstream_iter_close(it);
            return KSTREAM_ERR_USER;
        }
    }
    kstream_iter_close(it);
    return err == KSTREAM_ERR_EMPTY ? KSTREAM_OK : err;
}

static kstream_err_t scan_init(kstream_ctx_t *ctx, void *opaque,
                               void **state)
{
    scan_state_t *st = (scan_state_t *)opaque;
    st->kv = kstream_ctx_store(ctx, "kv");
    st->found_in_init = st->kv != NULL;
    *state = st;
    return kstream_ctx_schedule(ctx, 1000, KSTREAM_PUNCTUATE_WALL_CLOCK,
                                scan_punct, st, NULL);
}

static kstream_err_t scan_process(kstream_ctx_t *ctx,
                                  const kstream_record_t *rec, void *state)
{
    (void)ctx;
    scan_state_t *st = (scan_state_t *)state;
    kstream_bytes_t k = kstream_record_key(rec);
    kstream_bytes_t v = kstream_record_value(rec);
    return kstream_store_put(st->kv, k.data, k.len, v.data, v.len);
}

HS_BACKEND_PARAMS(stores, a_punctuator_scans_a_store_found_in_init)
ParameterizedTest(int *backend, stores,
                  a_punctuator_scans_a_store_found_in_init)
{
    static const kstream_processor_t proc = {scan_init, scan_process, NULL};
    scan_state_t st = {NULL, false};
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "kv", KSTREAM_STORE_KEY_VALUE,
                                           backend_of(*backend), 0, 0, 0),
                 KSTREAM_OK));
    static const char *const stores[] = {"kv"};
    kstream_stream_t *s = kstream_stream_process(
            kstream_builder_stream(b, "in", NULL), &proc, &st, NULL, stores,
            1, "scan");
    cr_assert(s != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "b", "2", 1);
    h_pipe_ok(drv, "in", "a", "1", 2);
    h_pipe_ok(drv, "in", "b", "3", 3);
    h_expect_empty(drv, "out");
    cr_assert(st.found_in_init, "kstream_ctx_store() gave NULL in init");
    cr_assert(eq(int, kstream_test_driver_advance_wall_clock(drv, 1000),
                 KSTREAM_OK));
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_STR, {"a", "1", HS_ANY_TS},
              {"b", "3", HS_ANY_TS});
    kstream_test_driver_destroy(drv);
}

/* ---- changelogs ------------------------------------------------------------------ */

HS_BACKEND_PARAMS(stores, changelog_topic_gets_every_change)
ParameterizedTest(int *backend, stores, changelog_topic_gets_every_change)
{
    kstream_test_driver_t *drv =
            hs_driver(kv_topology(backend_of(*backend), 0), 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "put=1", 10);
    h_pipe_ok(drv, "in", "B", "put=x", 11);
    h_pipe_ok(drv, "in", "A", "put=2", 12);
    h_pipe_ok(drv, "in", "A", "get", 13); /* reads change nothing */
    h_pipe_ok(drv, "in", "A", "del", 14);
    HS_EXPECT(drv, "app-kv-changelog", HS_K_PLAIN, HS_V_STR, {"A", "1", 10},
              {"B", "x", 11}, {"A", "2", 12}, {"A", NULL, 14});
    kstream_test_driver_destroy(drv);
}

Test(stores, logging_disabled_writes_no_changelog)
{
    kstream_test_driver_t *drv = hs_driver(
            kv_topology(KSTREAM_STORE_MEMORY, KSTREAM_STORE_LOGGING_DISABLED),
            1, false, NULL);
    cmd_is(drv, "A", "put=1", "ok");
    cmd_is(drv, "A", "get", "1");
    cr_assert(kstream_test_driver_is_empty(drv, "app-kv-changelog"));
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    cr_assert(kstream_test_driver_is_empty(drv, "app-kv-changelog"));
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(stores, caching_store_logs_the_latest_value_on_commit)
ParameterizedTest(int *backend, stores,
                  caching_store_logs_the_latest_value_on_commit)
{
    kstream_test_driver_t *drv = hs_driver(
            kv_topology(backend_of(*backend), KSTREAM_STORE_CACHING_ENABLED),
            1, true, NULL);
    h_pipe_ok(drv, "in", "A", "put=1", 10);
    h_pipe_ok(drv, "in", "A", "put=2", 11);
    h_pipe_ok(drv, "in", "B", "put=b", 12);
    h_pipe_ok(drv, "in", "A", "put=3", 13);
    cr_assert(eq(int, h_drain(drv, "out"), 4));
    cmd_is(drv, "A", "get", "3"); /* reads see the cache */
    cr_assert(kstream_test_driver_is_empty(drv, "app-kv-changelog"),
              "the cache sent changes before the commit");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT_SET(drv, "app-kv-changelog", HS_K_PLAIN, HS_V_STR,
                  {"A", "3", 13}, {"B", "b", 12});
    /* a delete of a cached key is logged as a tombstone */
    h_pipe_ok(drv, "in", "A", "del", 14);
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    HS_EXPECT(drv, "app-kv-changelog", HS_K_PLAIN, HS_V_STR,
              {"A", NULL, 14});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(stores, a_caching_store_reads_merge_cache_and_store)
ParameterizedTest(int *backend, stores,
                  a_caching_store_reads_merge_cache_and_store)
{
    kstream_test_driver_t *drv = hs_driver(
            kv_topology(backend_of(*backend), KSTREAM_STORE_CACHING_ENABLED),
            1, true, NULL);
    cmd_is(drv, "a", "put=1", "ok");
    cmd_is(drv, "c", "put=3", "ok");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    /* now in the store below the cache; change it in the cache only */
    cmd_is(drv, "a", "del", "old=1");
    cmd_is(drv, "b", "put=2", "ok");
    cmd_is(drv, "c", "put=33", "ok");
    cmd_is(drv, "x", "all", "b=2;c=33;");
    cmd_is(drv, "x", "range=a,b", "b=2;");
    cmd_is(drv, "x", "prefix=c", "c=33;");
    cmd_is(drv, "a", "get", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "a", "pia=4", "inserted");
    cmd_is(drv, "a", "pia=5", "exists=4");
    cmd_is(drv, "a", "get", "4");
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    cmd_is(drv, "x", "all", "a=4;b=2;c=33;");
    kstream_test_driver_destroy(drv);
}

Test(stores, caching_flag_with_the_cache_size_zero_logs_every_change)
{
    kstream_test_driver_t *drv = hs_driver(
            kv_topology(KSTREAM_STORE_MEMORY, KSTREAM_STORE_CACHING_ENABLED),
            1, false, NULL);
    h_pipe_ok(drv, "in", "A", "put=1", 10);
    h_pipe_ok(drv, "in", "A", "put=2", 11);
    HS_EXPECT(drv, "app-kv-changelog", HS_K_PLAIN, HS_V_STR, {"A", "1", 10},
              {"A", "2", 11});
    kstream_test_driver_destroy(drv);
}

HS_BACKEND_PARAMS(stores, dsl_store_changelog_gets_every_update)
ParameterizedTest(int *backend, stores, dsl_store_changelog_gets_every_update)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, *backend, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "B", "x", 2);
    h_pipe_ok(drv, "in", "A", "x", 3);
    hs_out_t *o = hs_collect(drv, "app-cnt-changelog", HS_K_PLAIN, HS_V_STR);
    cr_assert(eq(sz, o->n, 3), "one changelog record per update");
    cr_assert(eq(str, o->r[0].key, "A"));
    cr_assert(eq(str, o->r[1].key, "B"));
    cr_assert(eq(str, o->r[2].key, "A"));
    free(o);
    kstream_test_driver_destroy(drv);
}

Test(stores, dsl_store_changelog_has_plain_values_and_record_timestamps)
{
    /* Kafka Streams logs a timestamped store's value without its
     * timestamp, which goes in the record's timestamp. */
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_grouped_count(
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL)),
            "cnt");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 3);
    HS_EXPECT(drv, "app-cnt-changelog", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1},
              {"A", "2", 3});
    kstream_test_driver_destroy(drv);
}

Test(stores, windowed_and_session_dsl_stores_have_changelogs)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_grouped_t *g =
            kstream_stream_group_by_key(kstream_builder_stream(b, "in", NULL));
    kstream_table_t *w = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_tumbling(10, 0)),
            "wc");
    kstream_table_t *s = kstream_windowed_count(
            kstream_grouped_windowed_by(g, kstream_windows_session(5, 0)),
            "sc");
    cr_assert(w != NULL && s != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(w, NULL), "out", NULL);
    kstream_stream_to(kstream_table_to_stream(s, NULL), "out2", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 1, false, NULL);
    h_pipe_ok(drv, "in", "A", "x", 1);
    h_pipe_ok(drv, "in", "A", "x", 2); /* window update; session merge */
    cr_assert(eq(int, h_drain(drv, "app-wc-changelog"), 2));
    /* [1,1]; then [1,1] removed and [1,2] put */
    cr_assert(eq(int, h_drain(drv, "app-sc-changelog"), 3));
    kstream_test_driver_destroy(drv);
}

Test(stores, source_table_store_has_a_changelog)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_test_driver_t *drv = hs_driver(b, 0, false, NULL);
    h_pipe_ok(drv, "in", "A", "a", 1);
    h_pipe_ok(drv, "in", "A", NULL, 2);
    HS_EXPECT(drv, "app-tbl-changelog", HS_K_PLAIN, HS_V_STR, {"A", "a", 1},
              {"A", NULL, 2});
    kstream_test_driver_destroy(drv);
}

/* ---- window stores ----------------------------------------------------------------- */

static kstream_builder_t *window_topology(kstream_store_backend_t backend)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "win", KSTREAM_STORE_WINDOW,
                                           backend, 0, 1000, 10),
                 KSTREAM_OK));
    static const char *const stores[] = {"win"};
    return command_topology(b, stores, 1);
}

HS_BACKEND_PARAMS(stores, window_store_from_a_processor_and_the_driver)
ParameterizedTest(int *backend, stores,
                  window_store_from_a_processor_and_the_driver)
{
    kstream_test_driver_t *drv =
            hs_driver(window_topology(backend_of(*backend)), 1, false, NULL);
    cmd_is(drv, "A", "wput=10:a10", "ok");
    cmd_is(drv, "A", "wput=0:a0", "ok");
    cmd_is(drv, "B", "wput=0:b0", "ok");
    cmd_is(drv, "A", "wput=20:a20", "ok");
    cmd_is(drv, "A", "wget=20", "a20");
    cmd_is(drv, "A", "wget=5", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "A", "wfetch=0,10", "A@0-10=a0;A@10-20=a10;");
    cmd_is(drv, "A", "wfetch=11,19", "");

    kstream_store_t *st = kstream_test_driver_store(drv, "win", 0);
    cr_assert(st != NULL);
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_WINDOW));
    cr_assert(eq(str, (char *)kstream_store_name(st), "win"));
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 100, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-10=a0;A@10-20=a10;A@20-30=a20;"));
    cr_assert(eq(int, kstream_window_store_fetch_all(st, 0, 0, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-10=a0;B@0-10=b0;"));

    /* a key that another key prefixes keeps its own windows */
    cmd_is(drv, "AB", "wput=10:ab10", "ok");
    cmd_is(drv, "A", "wfetch=0,9223372036854775807",
           "A@0-10=a0;A@10-20=a10;A@20-30=a20;");
    cmd_is(drv, "A", "wfetch=20,10", ""); /* from > to */
    cr_assert(eq(int,
                 kstream_window_store_fetch(st, "A", 1, INT64_MIN, INT64_MAX,
                                            &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@0-10=a0;A@10-20=a10;A@20-30=a20;"));
    cmd_is(drv, "AB", "wdel=10", "ok");

    cmd_is(drv, "A", "wput=10:new", "ok"); /* replaces */
    cmd_is(drv, "A", "wdel=0", "ok");
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 100, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "A@10-20=new;A@20-30=a20;"));
    cr_assert(eq(int, h_drain(drv, "app-win-changelog"), 8),
              "one changelog record per window put or delete");
    kstream_test_driver_destroy(drv);
}

Test(stores, window_store_drops_windows_older_than_its_retention)
{
    /* retention 1000: once the store has seen a window at 100000, the
     * window at 0 is long expired (Kafka Streams: neither kept nor
     * returned), and a put that old is ignored */
    kstream_test_driver_t *drv =
            hs_driver(window_topology(KSTREAM_STORE_MEMORY), 1, false, NULL);
    cmd_is(drv, "A", "wput=0:old", "ok");
    cmd_is(drv, "A", "wput=100000:new", "ok");
    cmd_is(drv, "A", "wfetch=0,200000", "A@100000-100010=new;");
    cmd_is(drv, "A", "wget=0", "KSTREAM_ERR_NOT_FOUND");
    h_pipe_ok(drv, "in", "A", "wput=5:too-old", 1);
    (void)h_read(drv, "out");
    cmd_is(drv, "A", "wfetch=0,200000", "A@100000-100010=new;");
    kstream_test_driver_destroy(drv);
}

/* ---- session stores ----------------------------------------------------------------- */

static kstream_builder_t *session_topology(kstream_store_backend_t backend)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "sess", KSTREAM_STORE_SESSION,
                                           backend, 0, 1000, 0),
                 KSTREAM_OK));
    static const char *const stores[] = {"sess"};
    return command_topology(b, stores, 1);
}

HS_BACKEND_PARAMS(stores, session_store_from_a_processor_and_the_driver)
ParameterizedTest(int *backend, stores,
                  session_store_from_a_processor_and_the_driver)
{
    kstream_test_driver_t *drv =
            hs_driver(session_topology(backend_of(*backend)), 1, false, NULL);
    cmd_is(drv, "A", "sput=0,5:s1", "ok");
    cmd_is(drv, "A", "sput=10,20:s2", "ok");
    cmd_is(drv, "B", "sput=3,4:s3", "ok");
    cmd_is(drv, "A", "sfind=0,100", "A@0-5=s1;A@10-20=s2;");
    cmd_is(drv, "A", "sfind=6,9", "");
    cmd_is(drv, "A", "sfind=5,10", "A@0-5=s1;A@10-20=s2;"); /* touching */
    cmd_is(drv, "A", "sfind=21,30", "");
    cmd_is(drv, "A", "sfind=20,20", "A@10-20=s2;");

    kstream_store_t *st = kstream_test_driver_store(drv, "sess", 0);
    cr_assert(st != NULL);
    cr_assert(eq(int, kstream_store_type(st), KSTREAM_STORE_SESSION));
    kstream_iter_t *it = NULL;
    char got[512];
    cr_assert(eq(int, kstream_session_store_find(st, "B", 1, 0, 100, &it),
                 KSTREAM_OK));
    hs_iter_render(it, HS_V_STR, got, sizeof(got));
    cr_assert(eq(str, got, "B@3-4=s3;"));

    /* a key that another key prefixes keeps its own sessions */
    cmd_is(drv, "AB", "sput=1,2:ab", "ok");
    cmd_is(drv, "A", "sfind=0,9223372036854775807",
           "A@0-5=s1;A@10-20=s2;");
    cmd_is(drv, "AB", "sdel=1,2", "ok");

    cmd_is(drv, "A", "sdel=0,5", "ok");
    cmd_is(drv, "A", "sfind=0,100", "A@10-20=s2;");
    cr_assert(eq(int, h_drain(drv, "app-sess-changelog"), 6));
    kstream_test_driver_destroy(drv);
}

/* ---- iterators left open -------------------------------------------------------------- */

typedef struct log_probe {
    int warnings_about_iterators;
} log_probe_t;

static void capture_log(int level, const char *facility, const char *message,
                        void *opaque)
{
    log_probe_t *p = (log_probe_t *)opaque;
    if (level <= 4 && (h_contains_ci(message, "iter") ||
                       h_contains_ci(facility, "iter")))
        p->warnings_about_iterators++;
}

HS_BACKEND_PARAMS(stores, an_iterator_left_open_is_closed_at_close)
ParameterizedTest(int *backend, stores,
                  an_iterator_left_open_is_closed_at_close)
{
    log_probe_t lp = {0};
    kstream_topology_t *t = h_build(kv_topology(backend_of(*backend), 0));
    kstream_conf_t *conf = h_conf("application.id", "app", NULL);
    cr_assert(eq(int, kstream_conf_set_log_cb(conf, capture_log, &lp),
                 KSTREAM_OK));
    char errstr[512];
    kstream_test_driver_t *drv =
            kstream_test_driver_new(t, conf, errstr, sizeof(errstr));
    cr_assert(drv != NULL, "%s", errstr);
    cmd_is(drv, "A", "put=1", "ok");
    cmd_is(drv, "B", "put=2", "ok");
    cmd_is(drv, "A", "leak", "ok");
    cmd_is(drv, "A", "leak", "ok");
    cmd_is(drv, "C", "put=3", "ok"); /* the store still works */
    cmd_is(drv, "C", "get", "3");
    kstream_test_driver_destroy(drv); /* must not crash or leak */
    cr_assert(lp.warnings_about_iterators >= 1,
              "no warning about the iterators left open");
}

/* ---- global tables ---------------------------------------------------------------------- */

static kstream_builder_t *global_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, "countries", "glob"),
                 KSTREAM_OK));
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    /* global stores are not connected: every processor may read them */
    s = kstream_stream_process(s, &command_proc, NULL, NULL, NULL, 0, "cmd");
    cr_assert(s != NULL, "%s", kstream_builder_error(b));
    kstream_stream_to(s, "out", NULL);
    return b;
}

HS_BACKEND_PARAMS(stores, global_table_is_read_from_every_task)
ParameterizedTest(int *backend, stores, global_table_is_read_from_every_task)
{
    kstream_test_driver_t *drv = hs_driver(global_topology(), *backend,
                                           false, NULL);
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "countries", 3),
                 KSTREAM_OK));
    cr_assert(eq(int, kstream_test_driver_create_topic(drv, "in", 2),
                 KSTREAM_OK));
    /* one row on each partition of the global topic */
    h_pipe_p_ok(drv, "countries", 0, "de", "Germany", 1);
    h_pipe_p_ok(drv, "countries", 1, "fr", "France", 2);
    h_pipe_p_ok(drv, "countries", 2, "it", "Italy", 3);
    /* every task (both partitions of "in") sees every row */
    const char *codes[] = {"de", "fr", "it"};
    const char *names[] = {"Germany", "France", "Italy"};
    for (int p = 0; p < 2; p++) {
        for (int i = 0; i < 3; i++) {
            h_pipe_p_ok(drv, "in", p, codes[i], "gget", 10);
            const kstream_record_t *rec = h_read(drv, "out");
            char got[128];
            hs_text(kstream_record_value(rec).data,
                    kstream_record_value(rec).len, got, sizeof(got));
            cr_assert(h_bytes_is(kstream_record_value(rec), names[i]),
                      "task %d: %s gave %s", p, codes[i], got);
        }
    }
    hs_store_is(drv, "glob", "fr", "France");
    kstream_store_t *st = kstream_test_driver_store(drv, "glob", 7);
    cr_assert(st != NULL, "the global store for any partition");
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_store_get(st, "it", 2, &v), KSTREAM_OK));
    cr_assert(h_bytes_is(v, "Italy"));
    kstream_test_driver_destroy(drv);
}

Test(stores, global_table_tombstones_delete_and_updates_replace)
{
    kstream_test_driver_t *drv = hs_driver(global_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "countries", "de", "Germany", 1);
    h_pipe_ok(drv, "countries", "fr", "France", 2);
    cmd_is(drv, "fr", "gget", "France");
    h_pipe_ok(drv, "countries", "fr", NULL, 3);
    h_pipe_ok(drv, "countries", "de", "Deutschland", 4);
    cmd_is(drv, "fr", "gget", "KSTREAM_ERR_NOT_FOUND");
    cmd_is(drv, "de", "gget", "Deutschland");
    hs_store_is(drv, "glob", "fr", NULL);
    kstream_test_driver_destroy(drv);
}

Test(stores, global_table_skips_null_keys)
{
    kstream_test_driver_t *drv = hs_driver(global_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "countries", NULL, "Nowhere", 1);
    h_pipe_ok(drv, "countries", "de", "Germany", 2);
    cmd_is(drv, "de", "gget", "Germany");
    kstream_store_t *st = kstream_test_driver_store(drv, "glob", 0);
    cr_assert(st != NULL);
    uint64_t n = 0;
    cr_assert(eq(int, kstream_store_approximate_count(st, &n), KSTREAM_OK));
    cr_assert(n <= 1, "a NULL key made a row (%llu rows)",
              (unsigned long long)n);
    kstream_test_driver_destroy(drv);
}

Test(stores, global_table_is_read_only_for_processors)
{
    kstream_test_driver_t *drv = hs_driver(global_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "countries", "de", "Germany", 1);
    h_pipe_ok(drv, "in", "de", "gput=changed", 2);
    const kstream_record_t *rec = h_read(drv, "out");
    bool wrote = h_bytes_is(kstream_record_value(rec), "KSTREAM_OK");
    cr_assert(wrote == false, "a processor wrote to a global store");
    cmd_is(drv, "de", "gget", "Germany");
    kstream_test_driver_destroy(drv);
}

Test(stores, global_table_writes_no_changelog_of_its_own)
{
    kstream_test_driver_t *drv = hs_driver(global_topology(), 1, false,
                                           NULL);
    h_pipe_ok(drv, "countries", "de", "Germany", 1);
    cr_assert(kstream_test_driver_is_empty(drv, "app-glob-changelog"));
    kstream_test_driver_destroy(drv);
}

/* ---- bad arguments ------------------------------------------------------------------------ */

Test(stores, add_store_rejects_bad_arguments)
{
    cr_assert(eq(int,
                 kstream_builder_add_store(NULL, "s", KSTREAM_STORE_KEY_VALUE,
                                           KSTREAM_STORE_DEFAULT, 0, 0, 0),
                 KSTREAM_ERR_INVALID_ARG));
    struct {
        const char *name;
        int type, backend, flags;
        int64_t retention, size;
    } bad[] = {
            {NULL, KSTREAM_STORE_KEY_VALUE, 0, 0, 0, 0},
            {"", KSTREAM_STORE_KEY_VALUE, 0, 0, 0, 0},
            {"s", 7, 0, 0, 0, 0},
            {"s", -1, 0, 0, 0, 0},
            {"s", KSTREAM_STORE_KEY_VALUE, 9, 0, 0, 0},
            {"s", KSTREAM_STORE_WINDOW, 0, 0, 1000, 0},
            {"s", KSTREAM_STORE_WINDOW, 0, 0, 1000, -10},
            {"s", KSTREAM_STORE_WINDOW, 0, 0, 5, 10},
            {"s", KSTREAM_STORE_WINDOW, 0, 0, -1, 10},
            {"s", KSTREAM_STORE_SESSION, 0, 0, -1, 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kstream_builder_t *b = kstream_builder_new();
        kstream_err_t err = kstream_builder_add_store(
                b, bad[i].name, (kstream_store_type_t)bad[i].type,
                (kstream_store_backend_t)bad[i].backend, bad[i].flags,
                bad[i].retention, bad[i].size);
        cr_assert(eq(int, err, KSTREAM_ERR_INVALID_ARG), "case %zu: %s", i,
                  kstream_err2name(err));
        cr_assert(kstream_builder_error(b) != NULL,
                  "case %zu: not recorded in the builder", i);
        char errstr[512];
        h_build_fails(b, errstr, sizeof(errstr));
    }
}

Test(stores, add_store_rejects_a_duplicate_name)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "s", KSTREAM_STORE_KEY_VALUE,
                                           KSTREAM_STORE_MEMORY, 0, 0, 0),
                 KSTREAM_OK));
    cr_assert(eq(int,
                 kstream_builder_add_store(b, "s", KSTREAM_STORE_WINDOW,
                                           KSTREAM_STORE_MEMORY, 0, 100, 10),
                 KSTREAM_ERR_DUPLICATE_NAME));
    kstream_builder_destroy(b);
}

Test(stores, a_user_store_may_not_reuse_a_dsl_store_name)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_table_t *t = kstream_builder_table(b, "in", "tbl");
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    kstream_err_t err = kstream_builder_add_store(
            b, "tbl", KSTREAM_STORE_KEY_VALUE, KSTREAM_STORE_MEMORY, 0, 0, 0);
    if (err == KSTREAM_OK) {
        char errstr[512];
        h_build_fails(b, errstr, sizeof(errstr));
        cr_assert(h_contains(errstr, "tbl"), "errstr: %s", errstr);
    } else {
        cr_assert(eq(int, err, KSTREAM_ERR_DUPLICATE_NAME));
        kstream_builder_destroy(b);
    }
}

Test(stores, global_table_rejects_bad_arguments)
{
    cr_assert(eq(int, kstream_builder_global_table(NULL, "t", "g"),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(eq(int, kstream_builder_global_table(b, NULL, "g"),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_builder_destroy(b);
    b = kstream_builder_new();
    cr_assert(kstream_builder_global_table(b, "t", NULL) != KSTREAM_OK);
    hs_build_fails_naming(b, "global table", "global", "table");
}

Test(stores, store_functions_reject_null_stores)
{
    kstream_bytes_t v;
    kstream_iter_t *it = NULL;
    uint64_t n;
    int64_t s, e;
    cr_assert(kstream_ctx_store(NULL, "kv") == NULL);
    cr_assert(eq(int, kstream_store_type(NULL), -1));
    cr_assert(kstream_store_name(NULL) == NULL);
    cr_assert(eq(int, kstream_store_get(NULL, "k", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put(NULL, "k", 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_put_if_absent(NULL, "k", 1, "v", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_delete(NULL, "k", 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_range(NULL, "a", 1, "b", 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_prefix(NULL, "a", 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_all(NULL, &it), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_approximate_count(NULL, &n),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_put(NULL, "k", 1, 0, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_get(NULL, "k", 1, 0, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch(NULL, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_window_store_fetch_all(NULL, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_put(NULL, "k", 1, 0, 1, "v", 1),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(NULL, "k", 1, 0, 1, &it),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_bytes_t k;
    cr_assert(eq(int, kstream_iter_next(NULL, &k, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_iter_window(NULL, &s, &e),
                 KSTREAM_ERR_INVALID_ARG));
    kstream_iter_close(NULL);
}

Test(stores, store_functions_reject_bad_arguments_on_a_real_store)
{
    kstream_test_driver_t *drv =
            hs_driver(kv_topology(KSTREAM_STORE_MEMORY, 0), 1, false, NULL);
    cmd_is(drv, "A", "put=1", "ok");
    kstream_store_t *st = kstream_test_driver_store(drv, "kv", 0);
    cr_assert(st != NULL);
    kstream_bytes_t v;
    cr_assert(eq(int, kstream_store_get(st, NULL, 1, &v),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_get(st, "A", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_range(st, "a", 1, "b", 1, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_all(st, NULL), KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_store_approximate_count(st, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    /* a key-value store is not a window or session store */
    kstream_iter_t *it = NULL;
    cr_assert(eq(int, kstream_window_store_fetch(st, "A", 1, 0, 10, &it),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_session_store_find(st, "A", 1, 0, 10, &it),
                 KSTREAM_ERR_INVALID_ARG));
    /* a key-value iterator has no window */
    cr_assert(eq(int, kstream_store_all(st, &it), KSTREAM_OK));
    kstream_bytes_t k;
    cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_OK));
    int64_t s = 0, e = 0;
    cr_assert(eq(int, kstream_iter_window(it, &s, &e), KSTREAM_OK));
    cr_assert(eq(i64, s, -1));
    cr_assert(eq(i64, e, -1));
    cr_assert(eq(int, kstream_iter_next(it, &k, &v), KSTREAM_ERR_EMPTY));
    kstream_iter_close(it);
    kstream_test_driver_destroy(drv);
}
