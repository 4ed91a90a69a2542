/* At-least-once through a SIGKILL: the count app runs as a process of its
 * own (tests/apps/count_app), is killed in the middle of a run, and a
 * restart on the same state directory loses no input record: every key's
 * count reaches at least its number of inputs (duplicates allowed). */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it.h"

extern char **environ;

TestSuite(kill, .timeout = 150);

/* build/tests/integration -> build/tests/apps/count_app */
static void app_path(char *out, size_t size)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    cr_assert(n > 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    cr_assert(slash != NULL);
    *slash = '\0';
    snprintf(out, size, "%s/apps/count_app", self);
    cr_assert(access(out, X_OK) == 0, "%s missing: run make test", out);
}

static pid_t spawn_app(const char *bs, const char *dir)
{
    char path[1100];
    app_path(path, sizeof(path));
    char *argv[] = {path, (char *)bs, "kill-app", (char *)dir, NULL};
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0);
    return pid;
}

Test(kill, sigkill_mid_run_loses_no_input)
{
    const char *topics[] = {"in:4", "out:4", NULL};
    kstream_dev_cluster_t *dc = it_cluster(topics);
    const char *bs = kstream_dev_cluster_bootstrap(dc);
    char *dir = it_tmpdir();
    kstream_topology_t *t = it_count_topology("in", "out");
    char errstr[512] = "";
    cr_assert_eq(kstream_dev_cluster_create_internal_topics(
                         dc, t, "kill-app", errstr, sizeof(errstr)),
                 KSTREAM_OK, "%s", errstr);
    pid_t pid = spawn_app(bs, dir);
    int64_t want[40];
    for (int i = 0; i < 40; i++)
        want[i] = 10;
    it_produce_keys(bs, "in", 0, 400, 40);
    cr_assert(it_wait_counts(bs, "out", 40, want, false, 40000));
    /* More input, and the kill while it is being processed. */
    it_produce_keys(bs, "in", 400, 2000, 40);
    it_sleep_ms(150);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status));
    pid = spawn_app(bs, dir);
    it_produce_keys(bs, "in", 2400, 400, 40);
    for (int i = 0; i < 40; i++)
        want[i] = 70; /* 2800 inputs over 40 keys */
    bool ok = it_wait_counts(bs, "out", 40, want, false, 60000);
    kill(pid, SIGTERM);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(ok, "counts lost input after the SIGKILL");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "clean close after SIGTERM failed (status %d)", status);
    kstream_topology_destroy(t);
    kstream_dev_cluster_destroy(dc);
    it_rmdir(dir);
}
