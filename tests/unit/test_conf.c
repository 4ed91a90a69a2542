/* test_conf.c - kstream_conf_t: the property table, value checks,
 * pass-through keys, kstream_conf_get() semantics, derived defaults, dup,
 * NULL arguments, the typed getters and the logger. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_int.h"
#include "kstream.h"

#define P40 "1099511627776"
#define P62 "4611686018427387904"

/* The properties as the brief specifies them, written out independently
 * of conf_props.c so that a typo in the table fails here. */
typedef struct want_prop {
    const char *name;
    ks_prop_type_t type;
    const char *def; /* NULL: none */
    const char *min, *max;
    const char *enums;
    const char *scope;
} want_prop_t;

static const want_prop_t want_props[] = {
        {"application.id", KS_PROP_STRING, NULL, NULL, NULL, NULL, "all"},
        {"bootstrap.servers", KS_PROP_STRING, NULL, NULL, NULL, NULL, "app"},
        {"client.id", KS_PROP_STRING, NULL, NULL, NULL, NULL, "app"},
        {"default.api.timeout.ms", KS_PROP_INT, "60000", "1", "2147483647",
         NULL, "app"},
        {"num.stream.threads", KS_PROP_INT, "1", "1", "64", NULL, "app"},
        {"processing.guarantee", KS_PROP_ENUM, "at_least_once", NULL, NULL,
         "at_least_once|exactly_once_v2", "all"},
        {"commit.interval.ms", KS_PROP_INT, "30000", "1", "86400000", NULL,
         "all"},
        {"state.dir", KS_PROP_STRING, "/tmp/kstream", NULL, NULL, NULL, "all"},
        {"cache.max.bytes.buffering", KS_PROP_INT, "10485760", "0", P40, NULL,
         "all"},
        {"rocksdb.memory.bytes", KS_PROP_INT, "67108864", "1048576", P40, NULL,
         "all"},
        {"replication.factor", KS_PROP_INT, "-1", "-1", "32767", NULL, "app"},
        {"statistics.interval.ms", KS_PROP_INT, "0", "0", "86400000", NULL,
         "app"},
        {"log.level", KS_PROP_INT, "6", "0", "7", NULL, "all"},
        {"default.deserialization.exception.handler", KS_PROP_ENUM, "fail",
         NULL, NULL, "fail|continue|dlq", "all"},
        {"processing.exception.handler", KS_PROP_ENUM, "fail", NULL, NULL,
         "fail|continue|dlq", "all"},
        {"default.production.exception.handler", KS_PROP_ENUM, "fail", NULL,
         NULL, "fail|continue|dlq", "all"},
        {"errors.deadletterqueue.topic.name", KS_PROP_STRING, NULL, NULL,
         NULL, NULL, "all"},
        {"late.records.handler", KS_PROP_ENUM, "drop", NULL, NULL, "drop|dlq",
         "all"},
        {"default.dsl.store", KS_PROP_ENUM, "rocksdb", NULL, NULL,
         "rocksdb|in_memory", "all"},
        {"window.idle.close.ms", KS_PROP_INT, "-1", "-1", P40, NULL, "all"},
        {"max.task.idle.ms", KS_PROP_INT, "0", "-1", P40, NULL, "app"},
        {"buffered.records.per.partition", KS_PROP_INT, "1000", "1",
         "2147483647", NULL, "app"},
        {"poll.ms", KS_PROP_INT, "100", "0", "60000", NULL, "app"},
        {"test.wall.clock.start.ms", KS_PROP_INT, "0", "0", P62, NULL, "test"},
};
#define N_WANT (sizeof(want_props) / sizeof(want_props[0]))

static kstream_conf_t *conf;
static char errstr[512];

static void setup(void) {
    conf = kstream_conf_new();
    cr_assert(not(eq(ptr, conf, NULL)));
    errstr[0] = '\0';
}
static void teardown(void) {
    kstream_conf_destroy(conf);
}

TestSuite(conf, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(conf_get, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(conf_pass, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(conf_props, .timeout = 10);
TestSuite(conf_log, .init = setup, .fini = teardown, .timeout = 10);

static kstream_conf_res_t set(const char *name, const char *value) {
    errstr[0] = '\0';
    return kstream_conf_set(conf, name, value, errstr, sizeof(errstr));
}

/* The value of name read through kstream_conf_get(); "<err N>" on error.
 * Returns a static buffer: fine inside one test process. */
static const char *get(const kstream_conf_t *c, const char *name) {
    static char buf[128];
    size_t size = sizeof(buf);
    kstream_err_t err = kstream_conf_get(c, name, buf, &size);

    if (err != KSTREAM_OK)
        snprintf(buf, sizeof(buf), "<err %d>", (int)err);
    return buf;
}

static void assert_set_ok(const char *name, const char *value) {
    kstream_conf_res_t res = set(name, value);
    cr_assert(eq(int, res, KSTREAM_CONF_OK), "%s=%s: %s", name, value,
              errstr);
}

static void assert_set_invalid(const char *name, const char *value) {
    char before[128];
    size_t size = sizeof(before);
    kstream_err_t gerr = kstream_conf_get(conf, name, before, &size);
    kstream_conf_res_t res = set(name, value);

    cr_assert(eq(int, res, KSTREAM_CONF_INVALID), "%s=\"%s\" accepted", name,
              value);
    cr_assert(ne(str, errstr, ""), "%s=\"%s\": no message", name, value);
    cr_assert(not(eq(ptr, strstr(errstr, name), NULL)),
              "message does not name the property: %s", errstr);
    /* A rejected value leaves the previous one in place. */
    if (gerr == KSTREAM_OK)
        cr_assert(eq(str, (char *)get(conf, name), before));
}

/* ---- the table ---------------------------------------------------------- */

Test(conf_props, table_matches_the_specification) {
    size_t i;

    cr_assert(eq(sz, ks_props_count(), N_WANT));
    for (i = 0; i < N_WANT; i++) {
        const want_prop_t *w = &want_props[i];
        const ks_prop_t *p = ks_prop_find(w->name);
        cr_assert(not(eq(ptr, (void *)p, NULL)), "%s missing", w->name);
        cr_assert(eq(int, p->type, w->type), "%s type", w->name);
        if (w->def)
            cr_assert(eq(str, (char *)p->def, (char *)w->def), "%s", w->name);
        else
            cr_assert(eq(ptr, (void *)p->def, NULL), "%s", w->name);
        if (w->type == KS_PROP_INT) {
            cr_assert(eq(i64, p->min, strtoll(w->min, NULL, 10)), "%s",
                      w->name);
            cr_assert(eq(i64, p->max, strtoll(w->max, NULL, 10)), "%s",
                      w->name);
        }
        if (w->type == KS_PROP_ENUM)
            cr_assert(eq(str, (char *)p->enums, (char *)w->enums), "%s",
                      w->name);
        cr_assert(eq(str, (char *)p->scope, (char *)w->scope), "%s", w->name);
    }
}

Test(conf_props, rows_are_well_formed) {
    const ks_prop_t *p, *q;

    for (p = ks_props; p->name; p++) {
        cr_assert(not(eq(ptr, (void *)p->desc, NULL)), "%s", p->name);
        cr_assert(lt(sz, 40, strlen(p->desc)), "%s: description too short",
                  p->name);
        cr_assert(eq(ptr, strchr(p->desc, '\n'), NULL), "%s", p->name);
        cr_assert(eq(ptr, strchr(p->desc, '|'), NULL), "%s", p->name);
        cr_assert(eq(ptr, (void *)ks_prop_find(p->name), (void *)p),
                  "%s is not unique", p->name);
        for (q = ks_props; q->name; q++)
            cr_assert(q == p || strcmp(q->name, p->name));
        if (p->def) {
            char *canon = NULL;
            kstream_conf_res_t res = ks_prop_validate(p, p->def, &canon,
                                                      errstr, sizeof(errstr));
            cr_assert(eq(int, res, KSTREAM_CONF_OK), "%s default: %s",
                      p->name, errstr);
            cr_assert(eq(str, canon, (char *)p->def), "%s", p->name);
            free(canon);
        }
        if (p->type == KS_PROP_INT) {
            cr_assert(not(eq(ptr, (void *)p->def, NULL)), "%s", p->name);
            cr_assert(le(i64, p->min, p->max), "%s", p->name);
        }
    }
}

Test(conf_props, lookup_is_exact) {
    cr_assert(eq(ptr, (void *)ks_prop_find("application"), NULL));
    cr_assert(eq(ptr, (void *)ks_prop_find("Application.Id"), NULL));
    cr_assert(eq(ptr, (void *)ks_prop_find("application.id.x"), NULL));
    cr_assert(eq(ptr, (void *)ks_prop_find(""), NULL));
}

Test(conf_props, markdown_documents_every_property_and_prefix) {
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    const ks_prop_t *p;
    char heading[128];

    cr_assert(not(eq(ptr, f, NULL)));
    ks_props_markdown(f);
    fclose(f);
    for (p = ks_props; p->name; p++) {
        snprintf(heading, sizeof(heading), "\n### %s\n", p->name);
        cr_assert(not(eq(ptr, strstr(doc, heading), NULL)), "%s", p->name);
        cr_assert(not(eq(ptr, strstr(doc, p->desc), NULL)), "%s", p->name);
    }
    cr_assert(not(eq(ptr, strstr(doc, "`consumer.`"), NULL)));
    cr_assert(not(eq(ptr, strstr(doc, "`producer.`"), NULL)));
    cr_assert(not(eq(ptr, strstr(doc, "`restore.consumer.`"), NULL)));
    cr_assert(not(eq(ptr, strstr(doc, "`admin.`"), NULL)));
    /* Enum lists must not break the markdown table. */
    cr_assert(eq(ptr, strstr(doc, "fail|continue"), NULL));
    free(doc);
}

/* ---- defaults ----------------------------------------------------------- */

Test(conf_get, new_conf_reads_every_default) {
    size_t i;

    for (i = 0; i < N_WANT; i++) {
        const want_prop_t *w = &want_props[i];
        if (w->def)
            cr_assert(eq(str, (char *)get(conf, w->name), (char *)w->def),
                      "%s", w->name);
        else
            cr_assert(eq(str, (char *)get(conf, w->name), "<err 10>"),
                      "%s: unset, no default: NOT_FOUND", w->name);
    }
}

Test(conf_get, typed_getters_read_defaults) {
    cr_assert(eq(ptr, (void *)ks_conf_str(conf, "application.id"), NULL));
    cr_assert(eq(str, (char *)ks_conf_str(conf, "state.dir"),
                 "/tmp/kstream"));
    cr_assert(eq(str, (char *)ks_conf_str(conf, "processing.guarantee"),
                 "at_least_once"));
    cr_assert(eq(i64, ks_conf_int(conf, "num.stream.threads"), 1));
    cr_assert(eq(i64, ks_conf_int(conf, "replication.factor"), -1));
    cr_assert(eq(i64, ks_conf_int(conf, "cache.max.bytes.buffering"),
                 10485760));
    cr_assert(eq(i64, ks_conf_int(conf, "commit.interval.ms"), 30000));
    cr_assert(eq(i64, ks_conf_int(conf, "log.level"), 6));
}

Test(conf_get, typed_getters_read_set_values) {
    assert_set_ok("application.id", "enrich");
    assert_set_ok("test.wall.clock.start.ms", P62);
    assert_set_ok("max.task.idle.ms", "-1");
    cr_assert(eq(str, (char *)ks_conf_str(conf, "application.id"),
                 "enrich"));
    cr_assert(eq(i64, ks_conf_int(conf, "test.wall.clock.start.ms"),
                 INT64_C(1) << 62));
    cr_assert(eq(i64, ks_conf_int(conf, "max.task.idle.ms"), -1));
}

/* ---- kstream_conf_get() ------------------------------------------------- */

Test(conf_get, null_dest_asks_the_size) {
    size_t size = 0;

    assert_set_ok("application.id", "abc");
    cr_assert(eq(int, kstream_conf_get(conf, "application.id", NULL, &size),
                 KSTREAM_OK));
    cr_assert(eq(sz, size, 4));
    size = 12345; /* in-value ignored when dest is NULL */
    cr_assert(eq(int, kstream_conf_get(conf, "state.dir", NULL, &size),
                 KSTREAM_OK));
    cr_assert(eq(sz, size, strlen("/tmp/kstream") + 1));
}

Test(conf_get, small_buffer_is_too_large_and_says_size) {
    char buf[4] = "xyz";
    size_t size = sizeof(buf);

    assert_set_ok("application.id", "abcd");
    cr_assert(eq(int, kstream_conf_get(conf, "application.id", buf, &size),
                 KSTREAM_ERR_TOO_LARGE));
    cr_assert(eq(sz, size, 5));
    cr_assert(eq(str, buf, ""), "no partial value is left in dest");

    size = 0;
    cr_assert(eq(int, kstream_conf_get(conf, "application.id", buf, &size),
                 KSTREAM_ERR_TOO_LARGE));
    cr_assert(eq(sz, size, 5));
}

Test(conf_get, exact_size_fits) {
    char buf[5];
    size_t size = sizeof(buf);

    assert_set_ok("application.id", "abcd");
    cr_assert(eq(int, kstream_conf_get(conf, "application.id", buf, &size),
                 KSTREAM_OK));
    cr_assert(eq(str, buf, "abcd"));
    cr_assert(eq(sz, size, 5));
}

Test(conf_get, unknown_key_is_not_found) {
    char buf[16];
    size_t size = sizeof(buf);

    cr_assert(eq(int, kstream_conf_get(conf, "no.such", buf, &size),
                 KSTREAM_ERR_NOT_FOUND));
    cr_assert(eq(int, kstream_conf_get(conf, "no.such", NULL, &size),
                 KSTREAM_ERR_NOT_FOUND));
}

Test(conf_get, null_arguments_are_invalid) {
    char buf[16];
    size_t size = sizeof(buf);

    cr_assert(eq(int, kstream_conf_get(NULL, "log.level", buf, &size),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_conf_get(conf, NULL, buf, &size),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_conf_get(conf, "log.level", buf, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(int, kstream_conf_get(conf, "log.level", NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
}

/* ---- derived default: commit.interval.ms -------------------------------- */

Test(conf_get, commit_interval_is_100_under_exactly_once) {
    assert_set_ok("processing.guarantee", "exactly_once_v2");
    cr_assert(eq(str, (char *)get(conf, "commit.interval.ms"), "100"));
    cr_assert(eq(i64, ks_conf_int(conf, "commit.interval.ms"), 100));
    assert_set_ok("processing.guarantee", "at_least_once");
    cr_assert(eq(str, (char *)get(conf, "commit.interval.ms"), "30000"));
    cr_assert(eq(i64, ks_conf_int(conf, "commit.interval.ms"), 30000));
}

Test(conf_get, explicit_commit_interval_wins_over_exactly_once) {
    assert_set_ok("commit.interval.ms", "5000");
    assert_set_ok("processing.guarantee", "exactly_once_v2");
    cr_assert(eq(str, (char *)get(conf, "commit.interval.ms"), "5000"));
    cr_assert(eq(i64, ks_conf_int(conf, "commit.interval.ms"), 5000));
}

Test(conf_get, explicit_default_commit_interval_stays_under_exactly_once) {
    /* Set to the default value: still "set explicitly". */
    assert_set_ok("processing.guarantee", "exactly_once_v2");
    assert_set_ok("commit.interval.ms", "30000");
    cr_assert(eq(str, (char *)get(conf, "commit.interval.ms"), "30000"));
    cr_assert(eq(i64, ks_conf_int(conf, "commit.interval.ms"), 30000));
}

/* ---- setting valid values ----------------------------------------------- */

Test(conf, every_property_accepts_valid_values) {
    size_t i;

    for (i = 0; i < N_WANT; i++) {
        const want_prop_t *w = &want_props[i];
        switch (w->type) {
        case KS_PROP_STRING:
            assert_set_ok(w->name, "some-value");
            cr_assert(eq(str, (char *)get(conf, w->name), "some-value"));
            assert_set_ok(w->name, "x");
            cr_assert(eq(str, (char *)get(conf, w->name), "x"));
            break;
        case KS_PROP_INT: {
            char mid[32];
            long long lo = strtoll(w->min, NULL, 10);
            long long hi = strtoll(w->max, NULL, 10);
            snprintf(mid, sizeof(mid), "%lld", lo + (hi - lo) / 2);
            assert_set_ok(w->name, w->min);
            cr_assert(eq(str, (char *)get(conf, w->name), (char *)w->min));
            assert_set_ok(w->name, w->max);
            cr_assert(eq(str, (char *)get(conf, w->name), (char *)w->max));
            assert_set_ok(w->name, mid);
            cr_assert(eq(str, (char *)get(conf, w->name), mid));
            cr_assert(eq(i64, ks_conf_int(conf, w->name),
                         lo + (hi - lo) / 2));
            assert_set_ok(w->name, w->def);
            cr_assert(eq(str, (char *)get(conf, w->name), (char *)w->def));
            break;
        }
        case KS_PROP_ENUM: {
            char vals[128], *save = NULL, *tok;
            snprintf(vals, sizeof(vals), "%s", w->enums);
            for (tok = strtok_r(vals, "|", &save); tok;
                 tok = strtok_r(NULL, "|", &save)) {
                assert_set_ok(w->name, tok);
                cr_assert(eq(str, (char *)get(conf, w->name), tok));
                cr_assert(eq(str, (char *)ks_conf_str(conf, w->name), tok));
            }
            break;
        }
        case KS_PROP_BOOL:
            assert_set_ok(w->name, "true");
            assert_set_ok(w->name, "false");
            break;
        }
    }
}

Test(conf, set_replaces_the_previous_value) {
    assert_set_ok("poll.ms", "5");
    assert_set_ok("poll.ms", "7");
    cr_assert(eq(str, (char *)get(conf, "poll.ms"), "7"));
}

Test(conf, ints_are_stored_normalised) {
    assert_set_ok("poll.ms", "+5");
    cr_assert(eq(str, (char *)get(conf, "poll.ms"), "5"));
    assert_set_ok("poll.ms", "007");
    cr_assert(eq(str, (char *)get(conf, "poll.ms"), "7"));
    assert_set_ok("replication.factor", "-0");
    cr_assert(eq(str, (char *)get(conf, "replication.factor"), "0"));
}

/* ---- rejecting invalid values ------------------------------------------- */

Test(conf, bad_ints_are_rejected) {
    static const char *const bad[] = {"",    "abc", "12abc", " 12", "12 ",
                                      "1.5", "0x10", "1e3",  "+",   "-",
                                      "--1", "١٢"};
    size_t i, j;

    for (i = 0; i < N_WANT; i++) {
        if (want_props[i].type != KS_PROP_INT)
            continue;
        for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
            assert_set_invalid(want_props[i].name, bad[j]);
    }
}

Test(conf, out_of_range_ints_are_rejected) {
    size_t i;

    for (i = 0; i < N_WANT; i++) {
        const want_prop_t *w = &want_props[i];
        char below[32], above[32];
        if (w->type != KS_PROP_INT)
            continue;
        snprintf(below, sizeof(below), "%lld", strtoll(w->min, NULL, 10) - 1);
        snprintf(above, sizeof(above), "%lld", strtoll(w->max, NULL, 10) + 1);
        assert_set_invalid(w->name, below);
        assert_set_invalid(w->name, above);
        assert_set_invalid(w->name, "99999999999999999999999");
        assert_set_invalid(w->name, "-99999999999999999999999");
        assert_set_invalid(w->name, "9223372036854775808");
    }
}

Test(conf, out_of_range_message_gives_the_range) {
    cr_assert(eq(int, set("num.stream.threads", "65"), KSTREAM_CONF_INVALID));
    cr_assert(not(eq(ptr, strstr(errstr, "1..64"), NULL)), "%s", errstr);
}

Test(conf, bad_enums_are_rejected_with_the_allowed_values) {
    static const char *const bad[] = {"",     "FAIL",  "fail ", " fail",
                                      "dlq|", "fail|continue", "exactly_once",
                                      "at_least_once_v2", "x"};
    size_t i, j;

    for (i = 0; i < N_WANT; i++) {
        const want_prop_t *w = &want_props[i];
        if (w->type != KS_PROP_ENUM)
            continue;
        for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
            assert_set_invalid(w->name, bad[j]);
            cr_assert(not(eq(ptr, strstr(errstr, "allowed values"), NULL)),
                      "%s", errstr);
        }
    }
    cr_assert(eq(int, set("processing.guarantee", "exactly_once"),
                 KSTREAM_CONF_INVALID));
    cr_assert(not(eq(ptr, strstr(errstr, "at_least_once, exactly_once_v2"),
                     NULL)),
              "%s", errstr);
}

Test(conf, empty_strings_are_rejected) {
    size_t i;

    for (i = 0; i < N_WANT; i++)
        if (want_props[i].type == KS_PROP_STRING)
            assert_set_invalid(want_props[i].name, "");
}

/* No table row is a bool today; the checker is tested on its own row. */
Test(conf, bad_bools_are_rejected) {
    static const ks_prop_t row = {"test.bool", KS_PROP_BOOL, "false", 0, 0,
                                  NULL, "all", "A bool."};
    static const char *const bad[] = {"", "TRUE", "True", "1", "0", "yes",
                                      "no", "on", "truee", " true"};
    size_t j;
    char *canon = NULL;

    for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
        errstr[0] = '\0';
        canon = NULL;
        cr_assert(eq(int, ks_prop_validate(&row, bad[j], &canon, errstr,
                                           sizeof(errstr)),
                     KSTREAM_CONF_INVALID),
                  "\"%s\" accepted", bad[j]);
        cr_assert(eq(ptr, canon, NULL));
        cr_assert(not(eq(ptr, strstr(errstr, "test.bool"), NULL)));
    }
    cr_assert(eq(int, ks_prop_validate(&row, "true", &canon, errstr,
                                       sizeof(errstr)),
                 KSTREAM_CONF_OK));
    cr_assert(eq(str, canon, "true"));
    free(canon);
    cr_assert(eq(int, ks_prop_validate(&row, "false", NULL, NULL, 0),
                 KSTREAM_CONF_OK));
}

Test(conf, unknown_property_is_rejected_with_message) {
    static const char *const unknown[] = {
            "no.such", "application", "Application.Id", "application.id.",
            "", "consumer", "producer", "restore.consumer", "admin",
            "restore.", "streams.consumer.x", " application.id"};
    size_t i;

    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        cr_assert(eq(int, set(unknown[i], "1"), KSTREAM_CONF_UNKNOWN), "%s",
                  unknown[i]);
        cr_assert(not(eq(ptr, strstr(errstr, unknown[i]), NULL)), "%s",
                  errstr);
        cr_assert(ne(str, errstr, ""));
    }
}

Test(conf, messages_are_truncated_to_errstr_size) {
    char small[8];

    memset(small, 'x', sizeof(small));
    cr_assert(eq(int, kstream_conf_set(conf, "no.such.property.at.all", "1",
                                       small, sizeof(small)),
                 KSTREAM_CONF_UNKNOWN));
    cr_assert(eq(sz, strlen(small), sizeof(small) - 1));
    /* No errstr at all is fine too. */
    cr_assert(eq(int, kstream_conf_set(conf, "no.such", "1", NULL, 0),
                 KSTREAM_CONF_UNKNOWN));
    cr_assert(eq(int, kstream_conf_set(conf, "poll.ms", "x", small, 0),
                 KSTREAM_CONF_INVALID));
    cr_assert(eq(int, kstream_conf_set(conf, "poll.ms", "1", NULL, 0),
                 KSTREAM_CONF_OK));
}

Test(conf, null_arguments_are_invalid_with_message) {
    cr_assert(eq(int, kstream_conf_set(NULL, "poll.ms", "1", errstr,
                                       sizeof(errstr)),
                 KSTREAM_CONF_INVALID));
    cr_assert(ne(str, errstr, ""));
    errstr[0] = '\0';
    cr_assert(eq(int, kstream_conf_set(conf, NULL, "1", errstr,
                                       sizeof(errstr)),
                 KSTREAM_CONF_INVALID));
    cr_assert(ne(str, errstr, ""));
    errstr[0] = '\0';
    cr_assert(eq(int, kstream_conf_set(conf, "poll.ms", NULL, errstr,
                                       sizeof(errstr)),
                 KSTREAM_CONF_INVALID));
    cr_assert(ne(str, errstr, ""));
    cr_assert(eq(int, kstream_conf_set(conf, "consumer.x", NULL, NULL, 0),
                 KSTREAM_CONF_INVALID));
    cr_assert(eq(int, kstream_conf_set(NULL, NULL, NULL, NULL, 0),
                 KSTREAM_CONF_INVALID));
    cr_assert(eq(int, kstream_conf_set_log_cb(NULL, NULL, NULL),
                 KSTREAM_ERR_INVALID_ARG));
    cr_assert(eq(ptr, kstream_conf_dup(NULL), NULL));
    kstream_conf_destroy(NULL);
}

/* ---- dup ---------------------------------------------------------------- */

static void dummy_log(int level, const char *fac, const char *msg,
                      void *opaque) {
    (void)level, (void)fac, (void)msg, (void)opaque;
}

Test(conf, dup_is_a_deep_independent_copy) {
    kstream_conf_t *dup;
    ks_logger_t lg;
    int token;

    assert_set_ok("application.id", "orig");
    assert_set_ok("processing.guarantee", "exactly_once_v2");
    assert_set_ok("consumer.fetch.max.bytes", "1000");
    cr_assert(eq(int, kstream_conf_set_log_cb(conf, dummy_log, &token),
                 KSTREAM_OK));

    dup = kstream_conf_dup(conf);
    cr_assert(not(eq(ptr, dup, NULL)));
    cr_assert(eq(str, (char *)get(dup, "application.id"), "orig"));
    cr_assert(eq(str, (char *)get(dup, "commit.interval.ms"), "100"));
    cr_assert(eq(str, (char *)get(dup, "consumer.fetch.max.bytes"), "1000"));
    ks_conf_logger(dup, &lg);
    cr_assert(eq(ptr, (void *)lg.cb, (void *)dummy_log));
    cr_assert(eq(ptr, lg.opaque, &token));

    /* Changes on either side do not show on the other. */
    assert_set_ok("application.id", "changed");
    assert_set_ok("consumer.fetch.max.bytes", "2000");
    assert_set_ok("producer.linger.ms", "5");
    cr_assert(eq(str, (char *)get(dup, "application.id"), "orig"));
    cr_assert(eq(str, (char *)get(dup, "consumer.fetch.max.bytes"), "1000"));
    cr_assert(eq(str, (char *)get(dup, "producer.linger.ms"), "<err 10>"));
    cr_assert(eq(int, kstream_conf_set(dup, "state.dir", "/var/ks", NULL, 0),
                 KSTREAM_CONF_OK));
    cr_assert(eq(str, (char *)get(conf, "state.dir"), "/tmp/kstream"));

    /* Destroying the original leaves the copy whole. */
    kstream_conf_destroy(conf);
    conf = NULL;
    cr_assert(eq(str, (char *)get(dup, "application.id"), "orig"));
    cr_assert(eq(str, (char *)get(dup, "state.dir"), "/var/ks"));
    kstream_conf_destroy(dup);
}

Test(conf, dup_of_a_fresh_conf_has_defaults) {
    kstream_conf_t *dup = kstream_conf_dup(conf);

    cr_assert(not(eq(ptr, dup, NULL)));
    cr_assert(eq(str, (char *)get(dup, "log.level"), "6"));
    cr_assert(eq(str, (char *)get(dup, "application.id"), "<err 10>"));
    kstream_conf_destroy(dup);
}

/* ---- pass-through keys -------------------------------------------------- */

typedef struct collected {
    char keys[16][64];
    char vals[16][64];
    int n;
    int stop_after; /* return non-zero after this many (0: never) */
} collected_t;

static int collect(const char *key, const char *value, void *opaque) {
    collected_t *c = opaque;

    snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s", key);
    snprintf(c->vals[c->n], sizeof(c->vals[0]), "%s", value);
    c->n++;
    return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

Test(conf_pass, prefixed_keys_are_stored_raw) {
    assert_set_ok("consumer.fetch.max.bytes", "1048576");
    assert_set_ok("producer.compression.type", "lz4");
    assert_set_ok("restore.consumer.fetch.max.bytes", "2");
    assert_set_ok("admin.socket.timeout.ms", " anything goes ");
    assert_set_ok("consumer.empty.value", "");
    cr_assert(eq(str, (char *)get(conf, "consumer.fetch.max.bytes"),
                 "1048576"));
    cr_assert(eq(str, (char *)get(conf, "producer.compression.type"), "lz4"));
    cr_assert(eq(str, (char *)get(conf, "restore.consumer.fetch.max.bytes"),
                 "2"));
    cr_assert(eq(str, (char *)get(conf, "admin.socket.timeout.ms"),
                 " anything goes "));
    cr_assert(eq(str, (char *)get(conf, "consumer.empty.value"), ""));
}

Test(conf_pass, unset_prefixed_key_is_not_found) {
    size_t size = 0;

    cr_assert(eq(int, kstream_conf_get(conf, "consumer.fetch.max.bytes", NULL,
                                       &size),
                 KSTREAM_ERR_NOT_FOUND));
    assert_set_ok("producer.fetch.max.bytes", "1");
    cr_assert(eq(int, kstream_conf_get(conf, "consumer.fetch.max.bytes", NULL,
                                       &size),
                 KSTREAM_ERR_NOT_FOUND));
}

Test(conf_pass, prefix_alone_is_invalid) {
    static const char *const bare[] = {"consumer.", "producer.",
                                       "restore.consumer.", "admin."};
    size_t i;

    for (i = 0; i < 4; i++) {
        cr_assert(eq(int, set(bare[i], "1"), KSTREAM_CONF_INVALID), "%s",
                  bare[i]);
        cr_assert(not(eq(ptr, strstr(errstr, bare[i]), NULL)), "%s", errstr);
    }
}

Test(conf_pass, foreach_gives_keys_without_prefix_in_set_order) {
    collected_t c = {.n = 0};

    assert_set_ok("consumer.b", "1");
    assert_set_ok("producer.x", "p");
    assert_set_ok("consumer.a", "2");
    assert_set_ok("restore.consumer.r", "3");
    assert_set_ok("consumer.c", "4");
    assert_set_ok("consumer.b", "5"); /* replaces, keeps its place */

    cr_assert(eq(int, ks_conf_foreach_prefixed(conf, "consumer.", collect, &c),
                 0));
    cr_assert(eq(int, c.n, 3));
    cr_assert(eq(str, c.keys[0], "b"));
    cr_assert(eq(str, c.vals[0], "5"));
    cr_assert(eq(str, c.keys[1], "a"));
    cr_assert(eq(str, c.vals[1], "2"));
    cr_assert(eq(str, c.keys[2], "c"));
    cr_assert(eq(str, c.vals[2], "4"));

    memset(&c, 0, sizeof(c));
    ks_conf_foreach_prefixed(conf, "restore.consumer.", collect, &c);
    cr_assert(eq(int, c.n, 1));
    cr_assert(eq(str, c.keys[0], "r"));

    memset(&c, 0, sizeof(c));
    ks_conf_foreach_prefixed(conf, "producer.", collect, &c);
    cr_assert(eq(int, c.n, 1));
    cr_assert(eq(str, c.keys[0], "x"));
    cr_assert(eq(str, c.vals[0], "p"));

    memset(&c, 0, sizeof(c));
    ks_conf_foreach_prefixed(conf, "admin.", collect, &c);
    cr_assert(eq(int, c.n, 0));
}

Test(conf_pass, foreach_stops_at_the_first_non_zero_result) {
    collected_t c = {.n = 0, .stop_after = 2};

    assert_set_ok("consumer.a", "1");
    assert_set_ok("consumer.b", "2");
    assert_set_ok("consumer.c", "3");
    cr_assert(eq(int, ks_conf_foreach_prefixed(conf, "consumer.", collect, &c),
                 42));
    cr_assert(eq(int, c.n, 2));
}

Test(conf_pass, many_keys) {
    char key[64], val[64];
    collected_t c;
    int i;

    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "producer.k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        assert_set_ok(key, val);
    }
    for (i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "producer.k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        cr_assert(eq(str, (char *)get(conf, key), val));
    }
    memset(&c, 0, sizeof(c));
    c.stop_after = 16;
    cr_assert(eq(int, ks_conf_foreach_prefixed(conf, "producer.", collect, &c),
                 42));
    cr_assert(eq(str, c.keys[15], "k15"));
}

/* ---- logger ------------------------------------------------------------- */

typedef struct log_capture {
    int count;
    int level;
    char facility[32];
    char message[2048];
} log_capture_t;

static void capture_log(int level, const char *facility, const char *message,
                        void *opaque) {
    log_capture_t *lc = opaque;

    lc->count++;
    lc->level = level;
    snprintf(lc->facility, sizeof(lc->facility), "%s", facility);
    snprintf(lc->message, sizeof(lc->message), "%s", message);
}

Test(conf_log, default_logger_has_a_callback_and_level_6) {
    ks_logger_t lg;

    ks_conf_logger(conf, &lg);
    cr_assert(not(eq(ptr, (void *)lg.cb, NULL)));
    cr_assert(eq(int, lg.level, 6));
}

Test(conf_log, messages_above_the_level_are_not_delivered) {
    log_capture_t lc = {0};
    ks_logger_t lg;

    cr_assert(eq(int, kstream_conf_set_log_cb(conf, capture_log, &lc),
                 KSTREAM_OK));
    assert_set_ok("log.level", "4");
    ks_conf_logger(conf, &lg);
    ks_log(&lg, KS_LOG_INFO, "TEST", "info %d", 1);
    ks_log(&lg, KS_LOG_DEBUG, "TEST", "debug");
    cr_assert(eq(int, lc.count, 0));
    ks_log(&lg, KS_LOG_WARNING, "TEST", "warn %s", "x");
    cr_assert(eq(int, lc.count, 1));
    cr_assert(eq(int, lc.level, KS_LOG_WARNING));
    cr_assert(eq(str, lc.facility, "TEST"));
    cr_assert(eq(str, lc.message, "warn x"));
    ks_log(&lg, KS_LOG_ERR, "TEST", "err");
    cr_assert(eq(int, lc.count, 2));
}

Test(conf_log, long_messages_are_delivered_whole) {
    log_capture_t lc = {0};
    ks_logger_t lg;
    char big[1500];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    kstream_conf_set_log_cb(conf, capture_log, &lc);
    ks_conf_logger(conf, &lg);
    ks_log(&lg, KS_LOG_ERR, "TEST", "<%s>", big);
    cr_assert(eq(sz, strlen(lc.message), sizeof(big) + 1));
    cr_assert(eq(chr, lc.message[0], '<'));
    cr_assert(eq(chr, lc.message[sizeof(big)], '>'));
}

Test(conf_log, null_callback_restores_the_default) {
    log_capture_t lc = {0};
    ks_logger_t lg, def;

    ks_conf_logger(conf, &def);
    kstream_conf_set_log_cb(conf, capture_log, &lc);
    cr_assert(eq(int, kstream_conf_set_log_cb(conf, NULL, &lc), KSTREAM_OK));
    ks_conf_logger(conf, &lg);
    cr_assert(eq(ptr, (void *)lg.cb, (void *)def.cb));
    cr_assert(eq(ptr, lg.opaque, NULL));
}

Test(conf_log, default_logger_prints_to_stderr, .init = cr_redirect_stderr) {
    kstream_conf_t *c = kstream_conf_new();
    ks_logger_t lg;

    ks_conf_logger(c, &lg);
    ks_log(&lg, KS_LOG_WARNING, "CONF", "hello %d", 42);
    ks_log(&lg, KS_LOG_DEBUG, "CONF", "not shown");
    kstream_conf_destroy(c);
    fflush(stderr);
    cr_assert_stderr_eq_str("WARNING|kstream|CONF| hello 42\n");
}
