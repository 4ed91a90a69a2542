/* conf_props.c - the property table (StreamsConfig's CONFIG definitions):
 * every key kstream knows, with type, default, range and description. It
 * is the single source for validation (conf.c) and for
 * docs/configuration.md (ks_props_markdown(), run by tools/gen_conf_doc).
 * After changing a row, run `make docs`; `make test` fails while the
 * committed document differs from the table. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

#define KS_2P31M1 INT64_C(2147483647)
#define KS_2P40 (INT64_C(1) << 40)
#define KS_2P62 (INT64_C(1) << 62)

/* Row helpers, so each row reads as name, type, default, range, scope. */
#define KS_STRING(name, def, scope, desc)                                    \
    {name, KS_PROP_STRING, def, 0, 0, NULL, scope, desc}
#define KS_INT(name, def, min, max, scope, desc)                             \
    {name, KS_PROP_INT, def, min, max, NULL, scope, desc}
#define KS_ENUM(name, def, enums, scope, desc)                               \
    {name, KS_PROP_ENUM, def, 0, 0, enums, scope, desc}

#define KS_HANDLER_VALUES "fail|continue|dlq"

const ks_prop_t ks_props[] = {
        KS_STRING("application.id", NULL, "all",
                  "An identifier for the stream processing application, "
                  "unique within the Kafka cluster. It is the consumer "
                  "group id of the application's instances and the prefix "
                  "of every internal topic it creates (repartition and "
                  "changelog topics), so changing it starts a new "
                  "application with no committed offsets and no state. "
                  "Required by the Kafka runtime; the test driver uses "
                  "`kstream-test` when it is not set."),

        KS_STRING("bootstrap.servers", NULL, "app",
                  "A comma-separated list of `host:port` pairs used to make "
                  "the initial connection to the Kafka cluster. The clients "
                  "discover the rest of the cluster from these brokers, so "
                  "the list need not name every broker, but it should name "
                  "more than one in case a broker is down. Required by the "
                  "Kafka runtime."),

        KS_STRING("client.id", NULL, "app",
                  "A prefix for the `client.id` of the librdkafka clients "
                  "the application creates, which brokers show in their "
                  "logs, metrics and quotas. Each client adds what it is "
                  "to the prefix, for example `<client.id>-admin` for the "
                  "admin client that checks and creates topics at start. "
                  "Unset, the prefix is the `application.id`."),

        KS_INT("default.api.timeout.ms", "60000", 1, KS_2P31M1, "app",
               "How long, in milliseconds, start-up and administrative "
               "calls wait for the Kafka cluster: reaching the brokers and "
               "reading the topic metadata, and creating the missing "
               "internal topics. When the cluster does not answer in "
               "time, `kstream_start()` fails with `KSTREAM_ERR_TIMEOUT` "
               "and a message naming `bootstrap.servers`."),

        KS_INT("num.stream.threads", "1", 1, 64, "app",
               "The number of stream threads that run the application's "
               "tasks. A task processes one partition of one sub-topology "
               "and belongs to one thread at a time, so threads beyond the "
               "number of tasks across all instances of the application "
               "stay idle."),

        KS_ENUM("processing.guarantee", "at_least_once",
                "at_least_once|exactly_once_v2", "all",
                "The processing guarantee. With `at_least_once`, input "
                "offsets are committed after the output and state updates "
                "they caused have been flushed, so after a failure records "
                "processed since the last commit are processed again and "
                "their output may appear twice. With `exactly_once_v2`, "
                "output records, changelog updates and input offsets are "
                "written in one Kafka transaction per thread and commit, so "
                "consumers reading with `isolation.level=read_committed` "
                "see the effects of each record exactly once; it also "
                "lowers the default of `commit.interval.ms` to 100."),

        KS_INT("commit.interval.ms", "30000", 1, 86400000, "all",
               "How often, in milliseconds, to save the position of the "
               "processor: flush state stores and buffered output, then "
               "commit the input offsets (under `exactly_once_v2`, commit "
               "the transaction). A shorter interval means less "
               "reprocessing after a failure and, under exactly-once, "
               "lower latency for `read_committed` consumers, at the cost "
               "of more commit overhead. The default is 30000, or 100 when "
               "`processing.guarantee` is `exactly_once_v2` and this "
               "property is not set explicitly."),

        KS_STRING("state.dir", "/tmp/kstream", "all",
                  "Directory for the local state of persistent state "
                  "stores. Each application gets a subdirectory named "
                  "after its `application.id`, with one directory per "
                  "task. It must be writable and should be on local disk; "
                  "two instances of the same application on one machine "
                  "need different directories. The default, under `/tmp`, "
                  "is for development only: state kept there may be "
                  "removed by the operating system and then has to be "
                  "restored from the changelog topics."),

        KS_INT("cache.max.bytes.buffering", "10485760", 0, KS_2P40, "all",
               "Maximum number of bytes of memory used for record caches, "
               "shared by all threads (each stream thread gets an equal "
               "part, as in Kafka Streams). Caches sit in front of state stores "
               "and combine consecutive updates to the same key, so "
               "downstream operators and changelog topics see fewer "
               "updates; cached updates are forwarded when the cache is "
               "full and at every commit. 0 turns caching off, so every "
               "update is forwarded at once."),

        KS_INT("rocksdb.memory.bytes", "67108864", 1048576, KS_2P40, "all",
               "Upper bound, in bytes, on the memory that RocksDB stores "
               "use for their block cache and write buffers together. The "
               "budget covers every RocksDB store of the application "
               "instance, so memory use does not grow with the number of "
               "stores or tasks: each stream thread gets an equal part, "
               "shared by the stores of its tasks (at least 1 MiB per "
               "thread)."),

        KS_INT("replication.factor", "-1", -1, 32767, "app",
               "The replication factor of the internal topics "
               "(repartition and changelog topics) the application "
               "creates. -1 uses the broker's `default.replication.factor`. "
               "Use at least 3 in production, so that state survives the "
               "loss of a broker."),

        KS_INT("statistics.interval.ms", "0", 0, 86400000, "app",
               "How often, in milliseconds, the application gathers "
               "statistics from its threads and tasks (records processed "
               "and produced, commits, errors, consumer lag, restores, "
               "store sizes) as JSON and hands them to the callback set "
               "with kstream_set_stats_cb(). 0, or no callback, turns "
               "them off; kstream_stats_json() gives the same JSON at any "
               "time."),

        KS_INT("log.level", "6", 0, 7, "all",
               "The most detailed log level delivered to the log callback, "
               "on the syslog scale: 0 (emergency) to 7 (debug). 3 "
               "delivers errors only, 4 adds warnings, 6 adds informational "
               "messages such as state changes and rebalances, and 7 adds "
               "debugging detail."),

        KS_ENUM("default.deserialization.exception.handler", "fail",
                KS_HANDLER_VALUES, "all",
                "What to do with an input record that the source cannot "
                "take: its timestamp extractor fails or gives a negative "
                "timestamp. (Sources pass bytes on: a serde that fails "
                "inside a callback fails the record as a processing "
                "error, see `processing.exception.handler`.) `fail` stops "
                "processing with an error naming the record's topic, "
                "partition and offset; the "
                "record's offset is not committed, so a restarted "
                "application meets the record again. `continue` logs the "
                "error, counts the record as dropped and skips it. `dlq` "
                "writes the record as it was read to the topic named by "
                "`errors.deadletterqueue.topic.name`, with headers that "
                "describe the error and where the record came from, and "
                "then skips it."),

        KS_ENUM("processing.exception.handler", "fail", KS_HANDLER_VALUES,
                "all",
                "What to do when an operator or a user callback fails a "
                "record (returns an error, such as KSTREAM_ERR_SERDE when "
                "a serde cannot decode the value; kstream_fail() adds a "
                "message). `fail` stops processing with the error and a "
                "message naming the node and the record's topic, "
                "partition and offset. `continue` logs the error, counts "
                "the record "
                "as dropped and goes on with the next record; what was "
                "already done for the failed record, such as records "
                "forwarded or stores updated before the failure, is kept. "
                "`dlq` writes the input record to the topic named by "
                "`errors.deadletterqueue.topic.name` (key, value, "
                "timestamp and headers as read, plus the headers "
                "`__kstream.error.kind`, `.code`, `.message`, `.node` and "
                "`__kstream.source.topic`, `.partition`, `.offset`), and "
                "then goes on as `continue` does."),

        KS_ENUM("default.production.exception.handler", "fail",
                KS_HANDLER_VALUES, "all",
                "What to do when an output record cannot be written, for "
                "example because it cannot be serialized or is too large "
                "for the topic. Retriable errors are retried by the "
                "producer and never reach this handler. `fail` stops "
                "processing with the error. `continue` logs the error, "
                "counts the record as dropped and goes on. `dlq` writes "
                "the record to the topic named by "
                "`errors.deadletterqueue.topic.name`, with headers that "
                "describe the error, and goes on."),

        KS_STRING("errors.deadletterqueue.topic.name", NULL, "all",
                  "The dead letter queue: the topic to which exception "
                  "handlers set to `dlq` write the records they skip. "
                  "Required when any of "
                  "`default.deserialization.exception.handler`, "
                  "`processing.exception.handler` or "
                  "`default.production.exception.handler` is `dlq`."),

        KS_ENUM("late.records.handler", "drop", "drop|dlq", "all",
                "What happens to a record that arrives after its window "
                "closed (later than window end plus grace). `drop` skips "
                "it and counts it (the `late-records-dropped` metric), as "
                "Kafka Streams does. `dlq` writes the input record to the "
                "topic named by `errors.deadletterqueue.topic.name`, with "
                "headers naming the reason (`__kstream.error.kind` is "
                "`late`), and counts it too (also in `dlq-records`)."),

        KS_ENUM("default.dsl.store", "rocksdb", "rocksdb|in_memory", "all",
                "Where the stores that DSL operators create (tables, "
                "aggregations, windows, joins) keep their data: `rocksdb` "
                "(persistent, under `state.dir`) or `in_memory`. Either way "
                "every change is also written to the store's changelog "
                "topic, from which it is restored."),

        KS_INT("window.idle.close.ms", "-1", -1, KS_2P40, "all",
               "Stream time moves only when records arrive, so when an "
               "input goes quiet the last windows of a windowed operation "
               "never close and their final results are never emitted. "
               "When this is set, a task that has processed no record for "
               "this many milliseconds of wall-clock time (and has none "
               "waiting) closes the windows that could have been open when "
               "its input went quiet, and nothing else: with S its stream "
               "time and T = S plus the wall-clock time since its last "
               "record, its caches are flushed, then every window that "
               "starts at or before S and would be closed at stream time T "
               "is closed, and suppression emits the final results of those "
               "windows. A record that arrives later for such a window is "
               "late; records for newer windows open them as usual, even "
               "with timestamps below T. The stream time itself stays S: "
               "stream-time punctuators do not fire, and deduplication and "
               "store expiry go by the records' stream time. -1 turns this "
               "off: windows close by stream time only, as in Kafka "
               "Streams."),

        KS_INT("max.task.idle.ms", "0", -1, KS_2P40, "app",
               "How long, in milliseconds, a task that has buffered "
               "records for some but not all of its input partitions "
               "waits for the others before it processes what it has. "
               "Waiting lets joins and merges see records of all inputs "
               "in timestamp order. 0 does not wait for new records to be "
               "produced, but does wait until records already on the "
               "brokers have been fetched; -1 never waits, and processes "
               "whatever is buffered, possibly out of order across "
               "partitions."),

        KS_INT("buffered.records.per.partition", "1000", 1, KS_2P31M1, "app",
               "The maximum number of records to buffer per input "
               "partition. When a partition's buffer is full, fetching "
               "from it pauses until the task has processed some of its "
               "records, which bounds memory use when one partition is "
               "far ahead of the others."),

        KS_INT("poll.ms", "100", 0, 60000, "app",
               "The longest time, in milliseconds, a stream thread blocks "
               "waiting for input when it has nothing to process. Shorter "
               "waits make the thread notice shutdown and wall-clock "
               "punctuation sooner, at the cost of more wake-ups."),

        KS_INT("test.wall.clock.start.ms", "0", 0, KS_2P62, "test",
               "The initial virtual wall-clock time of the test driver, in "
               "milliseconds since the epoch. Wall-clock time in the "
               "driver moves only with "
               "`kstream_test_driver_advance_wall_clock()`; wall-clock "
               "punctuators and `kstream_ctx_wall_clock()` see this time "
               "until then. Ignored by the Kafka runtime."),

        {NULL, KS_PROP_STRING, NULL, 0, 0, NULL, NULL, NULL}};

/* ---- markdown ----------------------------------------------------------- */

static const char *ks_type_name(ks_prop_type_t type) {
    switch (type) {
    case KS_PROP_STRING:
        return "string";
    case KS_PROP_INT:
        return "int";
    case KS_PROP_BOOL:
        return "bool";
    case KS_PROP_ENUM:
        return "enum";
    }
    return "?";
}

/* Print text for a table cell: '|' would end the cell, so escape it. */
static void ks_md_cell(FILE *out, const char *text) {
    for (; *text; text++) {
        if (*text == '|')
            fputc('\\', out);
        fputc(*text, out);
    }
}

/* "1 .. 64", "`fail`, `continue`, `dlq`", "`true`, `false`" or "". */
static void ks_md_range(FILE *out, const ks_prop_t *prop) {
    const char *p;

    switch (prop->type) {
    case KS_PROP_INT:
        fprintf(out, "%lld .. %lld", (long long)prop->min,
                (long long)prop->max);
        break;
    case KS_PROP_BOOL:
        fputs("`true`, `false`", out);
        break;
    case KS_PROP_ENUM:
        fputc('`', out);
        for (p = prop->enums; *p; p++) {
            if (*p == '|')
                fputs("`, `", out);
            else
                fputc(*p, out);
        }
        fputc('`', out);
        break;
    case KS_PROP_STRING:
        break;
    }
}

static void ks_md_default(FILE *out, const ks_prop_t *prop) {
    if (prop->def) {
        fputc('`', out);
        ks_md_cell(out, prop->def);
        fputc('`', out);
    } else {
        fputs("(none)", out);
    }
}

void ks_props_markdown(FILE *out) {
    const ks_prop_t *prop;

    fputs("# kstream configuration\n"
          "\n"
          "<!-- Generated by tools/gen_conf_doc from lib/core/conf_props.c;"
          " do not edit.\n"
          "     Change the table and run `make docs`. -->\n"
          "\n"
          "Properties are strings set with `kstream_conf_set()` and read "
          "with\n"
          "`kstream_conf_get()`; they use the names of Kafka Streams' "
          "`StreamsConfig`\n"
          "where one exists. A value is checked when it is set: integers "
          "must be plain\n"
          "decimal numbers inside the range, enums one of the listed "
          "values, strings\n"
          "not empty. A property that is never set has its default.\n"
          "\n"
          "Scope says who reads a property: `all` - both the Kafka runtime "
          "and the test\n"
          "driver; `app` - the Kafka runtime only; `test` - the test driver "
          "only.\n"
          "\n"
          "| Property | Type | Range or values | Default | Scope |\n"
          "| --- | --- | --- | --- | --- |\n",
          out);
    for (prop = ks_props; prop->name; prop++) {
        fputs("| `", out);
        ks_md_cell(out, prop->name);
        fprintf(out, "` | %s | ", ks_type_name(prop->type));
        ks_md_range(out, prop);
        fputs(" | ", out);
        ks_md_default(out, prop);
        fprintf(out, " | %s |\n", prop->scope);
    }

    fputs("\n## Properties\n", out);
    for (prop = ks_props; prop->name; prop++) {
        fprintf(out, "\n### %s\n\n", prop->name);
        fprintf(out, "Type: %s", ks_type_name(prop->type));
        if (prop->type != KS_PROP_STRING) {
            fputs(prop->type == KS_PROP_INT ? "; range: " : "; values: ",
                  out);
            ks_md_range(out, prop);
        }
        fputs("; default: ", out);
        ks_md_default(out, prop);
        fprintf(out, "; scope: %s.\n\n%s\n", prop->scope, prop->desc);
    }

    fputs("\n## Pass-through properties\n"
          "\n"
          "Keys with one of these prefixes are not checked by kstream: "
          "they are stored\n"
          "as given, in the order first set (setting a key again replaces "
          "its value),\n"
          "and passed with the prefix removed to the librdkafka client "
          "named by the\n"
          "prefix, where librdkafka checks them when the client is "
          "created. Something\n"
          "must follow the prefix. `kstream_conf_get()` returns their "
          "value, or\n"
          "`KSTREAM_ERR_NOT_FOUND` when the key was never set.\n"
          "\n"
          "| Prefix | Passed to |\n"
          "| --- | --- |\n"
          "| `consumer.` | the main consumer of each stream thread |\n"
          "| `restore.consumer.` | the consumer that restores state stores "
          "from changelog topics |\n"
          "| `producer.` | the producer of each stream thread |\n"
          "| `admin.` | the admin client that creates internal topics |\n"
          "\n"
          "For example `consumer.fetch.max.bytes=1048576` sets librdkafka's "
          "`fetch.max.bytes`\n"
          "on the main consumers only.\n",
          out);
}
