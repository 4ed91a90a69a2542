/* kstream/testdriver.h - part of the public API: the test driver.
 * Include <kstream.h>, not this file. */
#ifndef KSTREAM_TESTDRIVER_H
#define KSTREAM_TESTDRIVER_H
#ifndef KSTREAM_H
#error "include <kstream.h>, not <kstream/testdriver.h>"
#endif

/**
 * @name Test driver
 * Runs a topology's tasks in memory on a simulated Kafka cluster, with no
 * broker and no threads: the runtime is the same one that runs against
 * Kafka. Deterministic: the same calls give the same outputs, byte for
 * byte. Topics have partitions; keyed records go to partition
 * murmur2(key) % partitions, NULL keys round-robin. Time is virtual: stream
 * time follows records, wall-clock time moves only with
 * kstream_test_driver_advance_wall_clock() (it starts at
 * "test.wall.clock.start.ms"). Source topics not created before the first
 * record get 1 partition. Output topics are created on first write.
 * The driver starts with one application instance (index 0); more join
 * the same group with kstream_test_driver_add_instance() (see "Several
 * instances" below). Each call runs every live instance until all of
 * them are idle.
 * All functions: application thread, one thread at a time.
 * @{
 */
typedef struct kstream_test_driver_s kstream_test_driver_t;
/* kstream_restore_listener_t (app.h, included after this file). */
struct kstream_restore_listener_s;

/**
 * @param topology consumed on success; still the caller's on failure.
 * @param conf     consumed on success (NULL: defaults); the caller's on
 *                 failure. "application.id" defaults to "kstream-test".
 * @returns the driver, or NULL with a message in \p errstr.
 */
KSTREAM_EXPORT kstream_test_driver_t *
kstream_test_driver_new(kstream_topology_t *topology, kstream_conf_t *conf,
                        char *errstr, size_t errstr_size);
/** Close every task (processors' close) and free the driver. NULL is a
 *  no-op. */
KSTREAM_EXPORT void kstream_test_driver_destroy(kstream_test_driver_t *drv);
/** Create a topic with \p partitions (>= 1). Source topics must be created
 *  before the first record is piped. @returns KSTREAM_ERR_DUPLICATE_NAME if
 *  it exists, KSTREAM_ERR_STATE for a source topic after the start. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_create_topic(
        kstream_test_driver_t *drv, const char *topic, int32_t partitions);
/** Pipe one record (key and value copied; NULL data is a Kafka null) and
 *  process everything it causes, repartition topics included.
 *  @returns KSTREAM_OK, or the error that failed processing (with
 *  "processing.exception.handler=fail" the driver then stays failed and
 *  later calls return KSTREAM_ERR_FAILED); the message is in
 *  kstream_test_driver_last_error(). */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_pipe(kstream_test_driver_t *drv, const char *topic,
                         const void *key, size_t key_len, const void *value,
                         size_t value_len, int64_t timestamp);
/** As kstream_test_driver_pipe(), with a partition (-1: by key) and
 *  headers (copied). */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_pipe_ex(
        kstream_test_driver_t *drv, const char *topic, int32_t partition,
        const void *key, size_t key_len, const void *value, size_t value_len,
        int64_t timestamp, const kstream_header_t *headers, size_t nheaders);
/** One record of kstream_test_driver_pipe_list(): as the arguments of
 *  kstream_test_driver_pipe_ex(). */
typedef struct kstream_test_record_s {
    const void *key;    /**< NULL: a Kafka null key */
    size_t key_len;
    const void *value;  /**< NULL: a Kafka null value (tombstone) */
    size_t value_len;
    int64_t timestamp;  /**< ms, >= 0 */
    int32_t partition;  /**< -1: by key */
    const kstream_header_t *headers; /**< copied; may be NULL if none */
    size_t nheaders;
} kstream_test_record_t;
/** Pipe \p n records to \p topic in order (Java's
 *  TestInputTopic.pipeRecordList): each is stored and everything it causes
 *  processed before the next, exactly as by as many
 *  kstream_test_driver_pipe_ex() calls. Knowing the records ahead, the
 *  driver has the state stores start fetching their entries early, as a
 *  stream thread does with a polled batch: large inputs run faster.
 *  Stops at the first record that fails (its arguments or its
 *  processing); \p piped (may be NULL) is set to the number of records
 *  piped before it, so recs[*piped] is the one that failed. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_pipe_list(
        kstream_test_driver_t *drv, const char *topic,
        const kstream_test_record_t *recs, size_t n, size_t *piped);
/** Read the next output record of \p topic, in the order they were
 *  written. \p rec is borrowed until the next call on \p drv.
 *  @returns KSTREAM_OK, or KSTREAM_ERR_EMPTY when none is left. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_read(
        kstream_test_driver_t *drv, const char *topic,
        const kstream_record_t **rec);
/** @returns true when \p topic has no unread record (also when \p drv or
 *  \p topic is NULL or unknown). */
KSTREAM_EXPORT bool kstream_test_driver_is_empty(kstream_test_driver_t *drv,
                                                 const char *topic);
/** Move wall-clock time forward by \p ms (>= 0), firing wall-clock
 *  punctuators, and commit when "commit.interval.ms" has passed. */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_advance_wall_clock(kstream_test_driver_t *drv, int64_t ms);
/** @returns the virtual wall-clock time (ms), or -1 for NULL. */
KSTREAM_EXPORT int64_t kstream_test_driver_wall_clock(
        const kstream_test_driver_t *drv);
/** Commit now: flush what operators buffer (caches, whose updates may
 *  feed later sub-topologies, whose caches are flushed in turn), then
 *  commit input offsets. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_commit(
        kstream_test_driver_t *drv);
/** Read a counter, summed over the instances that have a thread
 *  (running, or failed and not restarted yet; with one instance: its
 *  counters): "records-processed", "records-produced",
 *  "records-dropped" (skipped by an error handler, or by an operator that
 *  needs a key), "late-records-dropped", "duplicates-dropped",
 *  "dlq-records", "process-errors", "production-errors",
 *  "deserialization-errors", "punctuations", "commits",
 *  "records-restored" (changelog records applied by restores),
 *  "transactions-committed", "transactions-aborted" (exactly_once_v2).
 *  A stopped or restarted instance's counters are gone.
 *  @returns KSTREAM_ERR_NOT_FOUND for an unknown name. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_metric(
        const kstream_test_driver_t *drv, const char *name, int64_t *value);
/** The store \p name of the task for \p partition (ignored for global
 *  tables: instance 0's copy, else the first running instance's), on
 *  whichever instance runs that task, to read and check in tests; NULL
 *  when there is none (yet). Values of DSL stores read as the operators
 *  wrote them (for count(): a Kafka long). Borrowed until the instance
 *  closes the task (a rebalance, a stop or restart) or the driver is
 *  destroyed. */
KSTREAM_EXPORT kstream_store_t *kstream_test_driver_store(
        kstream_test_driver_t *drv, const char *name, int32_t partition);
/** Look \p key up in the key-value store \p name of whichever task holds
 *  it, on whichever instance runs that task. @returns KSTREAM_OK, KSTREAM_ERR_NOT_FOUND, or
 *  KSTREAM_ERR_UNKNOWN_NAME for an unknown store. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_store_get(
        kstream_test_driver_t *drv, const char *name, const void *key,
        size_t klen, kstream_bytes_t *value);
/**
 * Restart application instance 0, as a process restart would: close it
 * cleanly (commit, write the checkpoint files, close the tasks, leave the
 * group), then start a new instance on the same simulated cluster, group
 * and state directory, which restores its stores from their changelogs -
 * persistent (RocksDB) stores only from their checkpointed offsets,
 * in-memory stores from the beginning - before processing (restore
 * listener callbacks and "records-restored" show what was restored).
 * Counters start again from 0; output read positions, the wall clock and
 * the restore listener stay. A failed instance is closed without a
 * commit, as after a crash, and runs again; a stopped one starts again.
 * The same as kstream_test_driver_restart_instance(drv, 0, wipe_state).
 * @param wipe_state remove the state directory first (a new machine): every
 *                   store restores from the beginning.
 * @returns KSTREAM_OK, KSTREAM_ERR_INVALID_ARG for a NULL \p drv, or the
 *          error that failed the new instance's start.
 */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_restart(
        kstream_test_driver_t *drv, bool wipe_state);
/**
 * @name Crash injection (exactly-once proofs)
 * Every operation of the instance's clients that talks to the simulated
 * cluster is a numbered step (from 1, across restarts): a poll, a
 * produce, an offset commit, and under exactly_once_v2 registering the
 * transactional producer, sending offsets to a transaction, a commit
 * request, a commit response (after the cluster committed, before the
 * instance learns it) and an abort. Crashing at a step leaves the cluster
 * exactly as it was at that point (an open transaction stays open until
 * the restarted instance, which has the same transactional id, fences
 * it, or until it times out: 10 s of wall clock), and the call that was
 * running returns KSTREAM_ERR_FATAL with "the instance crashed at step N
 * (kind)" in kstream_test_driver_last_error(). The driver stays failed
 * until kstream_test_driver_restart() (or, for any instance,
 * kstream_test_driver_restart_instance()), which then closes the crashed
 * instance without committing anything and starts a new one, on the same
 * state directory or an empty one, or until
 * kstream_test_driver_stop_instance() removes it. Until then the crashed
 * instance stays a member of the group holding its partitions, as a
 * process that died before its session timed out. Records piped before
 * or during the crash are in their topics: the new instance (or, after a
 * stop, the instances that take its tasks over) processes what its
 * predecessor did not commit.
 *
 * Under exactly_once_v2 each driver call ends with a commit (as Kafka
 * Streams' TopologyTestDriver does), and kstream_test_driver_read()
 * returns committed records only, in commit order.
 * @{
 */
/** @returns the number of steps taken so far (0 for NULL). */
KSTREAM_EXPORT uint64_t
kstream_test_driver_steps(const kstream_test_driver_t *drv);
/** Crash the instance that takes step \p step (> the steps taken so far)
 *  when it is reached, whichever it is; 0 disarms. A crash happens once.
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL or a step already past. */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_crash_at(kstream_test_driver_t *drv, uint64_t step);
/** @returns whether an instance crashed (until it is restarted or
 *  stopped). */
KSTREAM_EXPORT bool
kstream_test_driver_crashed(const kstream_test_driver_t *drv);
/** Crash instance \p index at the next step one of its clients takes
 *  numbered \p step or later (a step already past: its next step); 0
 *  disarms. A crash happens once; it stays armed across restarts until
 *  it fires.
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL or an unknown \p index. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_crash_instance_at(
        kstream_test_driver_t *drv, int index, uint64_t step);
/** @returns whether instance \p index crashed (until it is restarted or
 *  stopped); false for NULL or an unknown index. */
KSTREAM_EXPORT bool kstream_test_driver_instance_crashed(
        const kstream_test_driver_t *drv, int index);
/** Zombies: the group drops instance \p index's member, as after a
 *  session timeout, just before the operation of the next step its main
 *  client takes numbered \p step or later (0 disarms). The instance does
 *  not know and runs on: the others rebalance and take its partitions
 *  over, and under exactly_once_v2 its transactional offset commit is
 *  fenced (KSTREAM_ERR_FENCED, KIP-447), so it aborts its transaction,
 *  closes its tasks dirty and rejoins the group at its next poll. A drop
 *  before a poll is a plain rejoin.
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL or an unknown \p index. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_expel_instance_at(
        kstream_test_driver_t *drv, int index, uint64_t step);
/** @} */

/**
 * @name Several instances
 * Instances of the same application (same topology, configuration and
 * group), numbered from 0 in the order they were made. Each has its own
 * state directory and, under exactly_once_v2, its own transactional id
 * (process id "<index>", thread 0: "<application.id>-<index>-0"). The
 * group gives each member a range of every source topic's partitions
 * (by the order members joined; co-partitioned topics go together), so
 * tasks spread over the instances; members joining or leaving move tasks
 * (eager rebalance: every member commits and closes its tasks, then
 * takes its new ones, restoring their stores from their changelogs).
 * Every driver call runs the live instances in index order, one pass
 * each, until all are idle, so rebalances happen inside the calls.
 * kstream_test_driver_store(), _store_get() and _metric() look across
 * instances; kstream_test_driver_restart() acts on instance 0.
 * While an instance is failed (a crash, a processing error with
 * "processing.exception.handler=fail") the driver is failed: calls return
 * KSTREAM_ERR_FAILED until that instance is restarted or stopped.
 * @{
 */
/** Start another instance and let the group rebalance (its tasks restore
 *  first). \p index gets its number (-1 on failure).
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL arguments, the driver's
 *  failure, or the error that failed the new instance's start. */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_add_instance(kstream_test_driver_t *drv, int *index);
/** Stop instance \p index as kstream_close() would (commit, checkpoints,
 *  close its tasks, leave the group), or, when it failed or crashed,
 *  without committing (the group drops its member, as after a session
 *  timeout); then the others rebalance and take its tasks over. Its state
 *  directory stays until kstream_test_driver_restart_instance() starts it
 *  again. A transaction a crashed instance left open holds back the
 *  offsets of its partitions until it times out (10 s of wall clock) or
 *  the instance restarts.
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL or an unknown \p index,
 *  KSTREAM_ERR_STATE when it is stopped already, KSTREAM_ERR_FATAL when
 *  an armed crash hit its final commit (it is stopped all the same), or
 *  an error of the instances that took its tasks over. */
KSTREAM_EXPORT kstream_err_t
kstream_test_driver_stop_instance(kstream_test_driver_t *drv, int index);
/** Restart instance \p index as kstream_test_driver_restart() does for
 *  instance 0 (its own state directory, wiped when \p wipe_state), or
 *  start it again after a stop; the group rebalances.
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL or an unknown \p index, or
 *  the error that failed its start. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_restart_instance(
        kstream_test_driver_t *drv, int index, bool wipe_state);
/** @returns the number of instances made (stopped ones included: indexes
 *  0 to n-1), 0 for NULL. */
KSTREAM_EXPORT int
kstream_test_driver_instances(const kstream_test_driver_t *drv);
/** @returns whether instance \p index runs: started (by the driver's
 *  first call), not stopped, not failed. False for NULL or an unknown
 *  index. */
KSTREAM_EXPORT bool kstream_test_driver_instance_running(
        const kstream_test_driver_t *drv, int index);
/** The store \p name of instance \p index's task for \p partition (its
 *  copy of a global table), as kstream_test_driver_store(); NULL when
 *  that instance does not run the task, is stopped, or for bad
 *  arguments. */
KSTREAM_EXPORT kstream_store_t *kstream_test_driver_instance_store(
        kstream_test_driver_t *drv, int index, const char *name,
        int32_t partition);
/** Read a counter of instance \p index alone (names as
 *  kstream_test_driver_metric(); a stopped instance reads 0).
 *  @returns KSTREAM_ERR_INVALID_ARG for NULL arguments or an unknown
 *  \p index, KSTREAM_ERR_NOT_FOUND for an unknown name. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_instance_metric(
        const kstream_test_driver_t *drv, int index, const char *name,
        int64_t *value);
/** @} */

/** Call \p listener (copied; its callbacks may be NULL) with \p opaque
 *  for each store partition the instance restores, now and after
 *  restarts. @returns KSTREAM_ERR_INVALID_ARG when \p drv or \p listener
 *  is NULL. */
KSTREAM_EXPORT kstream_err_t kstream_test_driver_set_restore_listener(
        kstream_test_driver_t *drv,
        const struct kstream_restore_listener_s *listener, void *opaque);
/** @returns the message of the last error, or "" (borrowed). */
KSTREAM_EXPORT const char *
kstream_test_driver_last_error(const kstream_test_driver_t *drv);
/** @} */

#endif /* KSTREAM_TESTDRIVER_H */
