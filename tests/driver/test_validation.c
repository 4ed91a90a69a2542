/* test_validation.c - what kstream_builder_build() rejects, and with which
 * message: duplicate names, unknown store names, a topic used as a source
 * twice, a repartition without a name, cycles through topics, bad operator
 * arguments (sticky builder errors). Also describe() text and Mermaid. */
#include "helpers.h"

#include <criterion/parameterized.h>

TestSuite(validation, .timeout = 10);

/* ---- names ------------------------------------------------------------ */

Test(validation, duplicate_node_names_fail_naming_the_duplicate)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_t *f = kstream_stream_filter(s, h_pred_true, NULL, NULL,
                                                "twin-name");
    kstream_stream_t *m = kstream_stream_map(f, h_map_identity, NULL, NULL,
                                             "twin-name");
    kstream_stream_to(m, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "twin-name") != NULL, "errstr: %s", errstr);
}

Test(validation, a_sink_may_not_reuse_a_source_name)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "same-node");
    kstream_stream_to(s, "out", "same-node");
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "same-node") != NULL, "errstr: %s", errstr);
}

Test(validation, duplicate_names_in_separate_branches_fail)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s1 = kstream_builder_stream(b, "in1", NULL);
    kstream_stream_t *s2 = kstream_builder_stream(b, "in2", NULL);
    kstream_stream_peek(s1, h_foreach_nop, NULL, NULL, "peeker");
    kstream_stream_foreach(s2, h_foreach_nop, NULL, NULL, "peeker");
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "peeker") != NULL, "errstr: %s", errstr);
}

Test(validation, unknown_store_name_in_process_fails_naming_it)
{
    const char *stores[] = {"no-such-store"};
    kstream_processor_t proc = {NULL, h_proc_forward, NULL};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_stream_process(s, &proc, NULL, NULL, stores, 1, "uses-store");
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "no-such-store") != NULL, "errstr: %s", errstr);
}

Test(validation, unique_names_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", "n1");
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, "n2");
    s = kstream_stream_map(s, h_map_identity, NULL, NULL, "n3");
    kstream_stream_to(s, "out", "n4");
    kstream_topology_destroy(h_build(b));
}

/* ---- source topics ------------------------------------------------------ */

Test(validation, a_topic_used_as_a_source_twice_fails_naming_it)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s1 = kstream_builder_stream(b, "twice-topic", NULL);
    kstream_stream_t *s2 = kstream_builder_stream(b, "twice-topic", NULL);
    kstream_stream_to(s1, "out1", NULL);
    kstream_stream_to(s2, "out2", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "twice-topic") != NULL, "errstr: %s", errstr);
}

Test(validation, a_topic_listed_twice_in_one_source_fails)
{
    const char *topics[] = {"dup-topic", "other", "dup-topic"};
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream_topics(b, topics, 3, NULL);
    if (s != NULL)
        kstream_stream_to(s, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "dup-topic") != NULL, "errstr: %s", errstr);
}

Test(validation, a_topic_in_a_single_and_a_multi_topic_source_fails)
{
    const char *topics[] = {"a-topic", "shared-topic"};
    kstream_builder_t *b = kstream_builder_new();
    kstream_builder_stream(b, "shared-topic", NULL);
    kstream_builder_stream_topics(b, topics, 2, NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(strstr(errstr, "shared-topic") != NULL, "errstr: %s", errstr);
}

/* ---- repartition ------------------------------------------------------- */

Test(validation, repartition_without_a_name_fails)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    /* the operator may fail at once (sticky error) or let the build fail
     * ("stateful operators without a name") */
    kstream_stream_t *r = kstream_stream_repartition(s, 0, NULL);
    if (r != NULL)
        kstream_stream_to(r, "out", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, "repartition"), "errstr: %s", errstr);
}

Test(validation, repartition_with_negative_partitions_fails)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(kstream_stream_repartition(s, -1, "rp") == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

/* ---- cycles ---------------------------------------------------------------- */

Test(validation, writing_a_stream_back_to_its_source_topic_is_a_cycle)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "loop-topic", NULL);
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, NULL);
    kstream_stream_to(s, "loop-topic", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "loop-topic") ||
                      h_contains_ci(errstr, "cycle"),
              "errstr: %s", errstr);
}

Test(validation, a_cycle_through_two_topics_fails)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *a = kstream_builder_stream(b, "topic-a", NULL);
    kstream_stream_t *c = kstream_builder_stream(b, "topic-b", NULL);
    kstream_stream_to(kstream_stream_map(a, h_map_identity, NULL, NULL, NULL),
                      "topic-b", NULL);
    kstream_stream_to(kstream_stream_peek(c, h_foreach_nop, NULL, NULL, NULL),
                      "topic-a", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains(errstr, "topic-a") || h_contains(errstr, "topic-b") ||
                      h_contains_ci(errstr, "cycle"),
              "errstr: %s", errstr);
}

Test(validation, a_cycle_through_three_topics_fails)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "c1", NULL), "c2", NULL);
    kstream_stream_to(kstream_builder_stream(b, "c2", NULL), "c3", NULL);
    kstream_stream_to(kstream_builder_stream(b, "c3", NULL), "c1", NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(validation, a_chain_through_topics_is_not_a_cycle)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_to(kstream_builder_stream(b, "c1", NULL), "c2", NULL);
    kstream_stream_to(kstream_builder_stream(b, "c2", NULL), "c3", NULL);
    kstream_stream_t *s = kstream_builder_stream(b, "c0", NULL);
    kstream_stream_to(s, "c1", NULL);
    kstream_stream_to(s, "c3", NULL);
    kstream_test_driver_t *drv = h_driver(b, NULL);
    h_pipe_ok(drv, "c0", "k", "v", 1);
    h_expect(drv, "c3", "k", "v"); /* directly */
    h_expect(drv, "c3", "k", "v"); /* through c1 and c2 */
    h_expect_empty(drv, "c3");
    kstream_test_driver_destroy(drv);
}

Test(validation, a_diamond_of_split_and_merge_is_not_a_cycle)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_split_t *sp = kstream_stream_split(s, "sp");
    kstream_stream_t *x = kstream_split_branch(sp, h_pred_value_prefix,
                                               (void *)"x", NULL, "x");
    kstream_stream_t *d = kstream_split_default(sp, "d");
    kstream_stream_to(kstream_stream_merge(x, d, NULL), "out", NULL);
    kstream_topology_destroy(h_build(b));
}

/* ---- bad operator arguments: sticky errors -------------------------------- */

typedef struct bad_op {
    char op[24];    /* the operator given a NULL callback */
    char word1[24]; /* the message names the node or the operator: */
    char word2[24]; /* one of these words must appear */
} bad_op_t;

ParameterizedTestParameters(validation, null_callback_fails_naming_operator)
{
    static bad_op_t cases[] = {
            {"filter", "filter", "filter"},
            {"filter_not", "filter_not", "filter-not"},
            {"map", "map", "map"},
            {"map_values", "map_values", "map-values"},
            {"select_key", "select_key", "select-key"},
            {"flat_map", "flat_map", "flat-map"},
            {"flat_map_values", "flat_map_values", "flat-map-values"},
            {"peek", "peek", "peek"},
            {"foreach", "foreach", "for-each"},
            {"to_dynamic", "to_dynamic", "dynamic"},
            {"split_branch", "branch", "split"},
            {"process", "process", "processor"},
            {"process_fn", "process", "processor"},
    };
    return cr_make_param_array(bad_op_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(bad_op_t *c, validation, null_callback_fails_naming_operator)
{
    char node[64];
    snprintf(node, sizeof(node), "bad-%s", c->op);
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    const char *op = c->op;
    static const kstream_processor_t no_fn = {NULL, NULL, NULL};
    void *res = (void *)1;
    kstream_err_t err = KSTREAM_ERR_INVALID_ARG;
    if (!strcmp(op, "filter"))
        res = kstream_stream_filter(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "filter_not"))
        res = kstream_stream_filter_not(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "map"))
        res = kstream_stream_map(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "map_values"))
        res = kstream_stream_map_values(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "select_key"))
        res = kstream_stream_select_key(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "flat_map"))
        res = kstream_stream_flat_map(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "flat_map_values"))
        res = kstream_stream_flat_map_values(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "peek"))
        res = kstream_stream_peek(s, NULL, NULL, NULL, node);
    else if (!strcmp(op, "foreach")) {
        res = NULL;
        err = kstream_stream_foreach(s, NULL, NULL, NULL, node);
    } else if (!strcmp(op, "to_dynamic")) {
        res = NULL;
        err = kstream_stream_to_dynamic(s, NULL, NULL, NULL, node);
    } else if (!strcmp(op, "split_branch")) {
        kstream_split_t *sp = kstream_stream_split(s, node);
        cr_assert(sp != NULL);
        res = kstream_split_branch(sp, NULL, NULL, NULL, "br");
    } else if (!strcmp(op, "process"))
        res = kstream_stream_process(s, NULL, NULL, NULL, NULL, 0, node);
    else if (!strcmp(op, "process_fn"))
        res = kstream_stream_process(s, &no_fn, NULL, NULL, NULL, 0, node);
    cr_assert(res == NULL, "%s with a NULL callback returned a stream", op);
    cr_assert(eq(int, err, KSTREAM_ERR_INVALID_ARG));
    const char *berr = kstream_builder_error(b);
    cr_assert(berr != NULL, "%s: no sticky builder error", op);
    cr_assert(h_contains_ci(berr, c->word1) || h_contains_ci(berr, c->word2),
              "%s: builder error does not name the operator: %s", op, berr);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, c->word1) ||
                      h_contains_ci(errstr, c->word2),
              "%s: errstr does not name the operator: %s", op, errstr);
}

Test(validation, the_first_operator_error_is_kept)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(kstream_builder_error(b) == NULL);
    cr_assert(kstream_stream_map_values(s, NULL, NULL, NULL, "first-bad") ==
              NULL);
    char first[512];
    const char *e1 = kstream_builder_error(b);
    cr_assert(e1 != NULL);
    snprintf(first, sizeof(first), "%s", e1);
    cr_assert(kstream_stream_peek(s, NULL, NULL, NULL, "second-bad") == NULL);
    cr_assert(eq(str, (char *)kstream_builder_error(b), first));
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
    cr_assert(h_contains_ci(errstr, "first-bad") ||
                      h_contains_ci(errstr, "map_values") ||
                      h_contains_ci(errstr, "map-values"),
              "errstr: %s", errstr);
}

Test(validation, a_null_sink_topic_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    cr_assert(eq(int, kstream_stream_to(s, NULL, "nullsink"),
                 KSTREAM_ERR_INVALID_ARG));
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(validation, a_null_or_empty_source_topic_fails_the_build)
{
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_builder_stream(b, NULL, NULL) == NULL);
    cr_assert(kstream_builder_stream(b, "", NULL) == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(validation, bad_topic_lists_fail_the_build)
{
    const char *with_null[] = {"ok-topic", NULL};
    kstream_builder_t *b = kstream_builder_new();
    cr_assert(kstream_builder_stream_topics(b, NULL, 1, NULL) == NULL);
    cr_assert(kstream_builder_stream_topics(b, with_null, 0, NULL) == NULL);
    cr_assert(kstream_builder_stream_topics(b, with_null, 2, NULL) == NULL);
    char errstr[512];
    h_build_fails(b, errstr, sizeof(errstr));
}

Test(validation, merging_streams_of_two_builders_fails)
{
    kstream_builder_t *b1 = kstream_builder_new();
    kstream_builder_t *b2 = kstream_builder_new();
    kstream_stream_t *s1 = kstream_builder_stream(b1, "in1", NULL);
    kstream_stream_t *s2 = kstream_builder_stream(b2, "in2", NULL);
    cr_assert(kstream_stream_merge(s1, s2, NULL) == NULL);
    cr_assert(kstream_builder_error(b1) != NULL ||
                      kstream_builder_error(b2) != NULL,
              "no builder recorded the error");
    kstream_builder_destroy(b1);
    kstream_builder_destroy(b2);
}

Test(validation, build_with_no_errstr_buffer_does_not_crash)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "x", NULL);
    kstream_stream_to(s, "x", NULL);
    cr_assert(kstream_builder_build(b, NULL, 0) == NULL);
}

Test(validation, build_with_a_tiny_errstr_buffer_truncates)
{
    char errstr[8];
    memset(errstr, 'Z', sizeof(errstr));
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "x", NULL);
    kstream_stream_to(s, "x", NULL);
    cr_assert(kstream_builder_build(b, errstr, 4) == NULL);
    cr_assert(memchr(errstr, '\0', 4) != NULL, "errstr not terminated");
    cr_assert(eq(chr, errstr[4], 'Z'), "wrote past errstr_size");
}

Test(validation, build_of_null_fails_with_a_message)
{
    char errstr[512] = "";
    cr_assert(kstream_builder_build(NULL, errstr, sizeof(errstr)) == NULL);
    cr_assert(errstr[0] != '\0');
}

/* ---- describe --------------------------------------------------------- */

static kstream_topology_t *described(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "orders", "order-source");
    s = kstream_stream_filter(s, h_pred_true, NULL, NULL, "only-valid");
    kstream_stream_t *u = kstream_stream_map_values(s, h_map_identity, NULL,
                                                    NULL, NULL);
    kstream_stream_to(s, "valid-orders", "valid-sink");
    kstream_stream_t *r = kstream_stream_repartition(u, 0, "by-user");
    kstream_stream_to(r, "per-user", "user-sink");
    return h_build(b);
}

Test(validation, describe_text_lists_subtopologies_sources_processors_sinks)
{
    kstream_topology_t *t = described();
    char *text = kstream_topology_describe(t, KSTREAM_DESCRIBE_TEXT);
    cr_assert(text != NULL);
    const char *want[] = {"Sub-topology", "Source",       "Processor",
                          "Sink",         "order-source", "only-valid",
                          "valid-sink",   "user-sink",    "orders",
                          "valid-orders", "per-user",     "by-user",
                          "KSTREAM-"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(text, want[i]) != NULL, "no '%s' in:\n%s", want[i],
                  text);
    int subs = 0;
    for (const char *p = text; (p = strstr(p, "Sub-topology")) != NULL; p++)
        subs++;
    cr_assert(eq(int, subs, 2), "a repartition splits in two:\n%s", text);
    cr_assert(strstr(text, "by-user-repartition") != NULL,
              "no repartition topic in:\n%s", text);
    kstream_free(text);
    kstream_topology_destroy(t);
}

Test(validation, describe_text_is_stable)
{
    kstream_topology_t *t1 = described();
    kstream_topology_t *t2 = described();
    char *a = kstream_topology_describe(t1, KSTREAM_DESCRIBE_TEXT);
    char *a2 = kstream_topology_describe(t1, KSTREAM_DESCRIBE_TEXT);
    char *c = kstream_topology_describe(t2, KSTREAM_DESCRIBE_TEXT);
    cr_assert(a != NULL && a2 != NULL && c != NULL);
    cr_assert(eq(str, a, a2));
    cr_assert(eq(str, a, c));
    kstream_free(a);
    kstream_free(a2);
    kstream_free(c);
    kstream_topology_destroy(t1);
    kstream_topology_destroy(t2);
}

Test(validation, describe_mermaid_is_a_flowchart)
{
    kstream_topology_t *t = described();
    char *m = kstream_topology_describe(t, KSTREAM_DESCRIBE_MERMAID);
    cr_assert(m != NULL);
    cr_assert(strncmp(m, "flowchart", 9) == 0, "mermaid:\n%s", m);
    cr_assert(strstr(m, "only-valid") != NULL, "mermaid:\n%s", m);
    cr_assert(strstr(m, "orders") != NULL, "mermaid:\n%s", m);
    cr_assert(strstr(m, "-->") != NULL, "mermaid without edges:\n%s", m);
    kstream_free(m);
    kstream_topology_destroy(t);
}

Test(validation, describe_rejects_bad_arguments)
{
    cr_assert(kstream_topology_describe(NULL, KSTREAM_DESCRIBE_TEXT) == NULL);
    kstream_topology_t *t = described();
    cr_assert(kstream_topology_describe(t, (kstream_describe_format_t)42) ==
              NULL);
    kstream_topology_destroy(t);
}
