/* test_tool.c - the kstream-dev-cluster program: it prints its bootstrap
 * servers, serves kcat (metadata, produce, consume) and stops cleanly on
 * SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "helpers.h"

TestSuite(tool, .timeout = 25);

/* build/tools/kstream-dev-cluster, next to this binary's build/tests/. */
static void tool_path(char *buf, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    cr_assert(n > 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    cr_assert(slash != NULL);
    *slash = '\0';
    snprintf(buf, size, "%s/../tools/kstream-dev-cluster", self);
    cr_assert(access(buf, X_OK) == 0, "%s is missing: run make first", buf);
}

/* Start the tool with args; *out reads its stdout. */
static pid_t spawn(char *const argv[], FILE **out, bool quiet)
{
    int fds[2];
    cr_assert(pipe(fds) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        if (quiet) {
            FILE *null = fopen("/dev/null", "w");
            if (null)
                dup2(fileno(null), STDERR_FILENO);
        }
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    *out = fdopen(fds[0], "r");
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool exited = WIFEXITED(status);
    cr_assert(exited, "status %d", status);
    return WEXITSTATUS(status);
}

/* Run a shell command, its stdout into buf. */
static int sh(const char *cmd, char *buf, size_t size)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    return pclose(p);
}

Test(tool, serves_kcat_and_stops_on_sigterm)
{
    char path[PATH_MAX + 32];
    tool_path(path, sizeof(path));
    char *argv[] = {path, "--brokers", "2", "--topic", "orders:3",
                    "--topic", "dc.test_x:1", NULL};
    FILE *out = NULL;
    pid_t pid = spawn(argv, &out, true);
    char line[512] = "";
    cr_assert(fgets(line, sizeof(line), out) != NULL);
    cr_assert(strncmp(line, "bootstrap.servers=127.0.0.1:", 28) == 0, "%s",
              line);
    line[strcspn(line, "\n")] = '\0';
    const char *bs = line + strlen("bootstrap.servers=");

    char cmd[2048], buf[16384];
    snprintf(cmd, sizeof(cmd), "kcat -b '%s' -L -J 2>/dev/null", bs);
    cr_assert(eq(int, sh(cmd, buf, sizeof(buf)), 0), "%s", buf);
    cr_assert(strstr(buf, "\"topic\":\"orders\"") != NULL, "%s", buf);
    cr_assert(strstr(buf, "\"topic\":\"dc.test_x\"") != NULL, "%s", buf);

    snprintf(cmd, sizeof(cmd),
             "printf 'k1:hello\\n' | kcat -b '%s' -P -t orders -p 1 -K: "
             "2>&1 && kcat -b '%s' -C -t orders -p 1 -o beginning -c 1 -e "
             "-f '%%k=%%s\\n' 2>/dev/null",
             bs, bs);
    cr_assert(eq(int, sh(cmd, buf, sizeof(buf)), 0), "%s", buf);
    cr_assert(eq(str, buf, "k1=hello\n"));

    cr_assert(kill(pid, SIGTERM) == 0);
    cr_assert(eq(int, wait_exit(pid), 0));
    fclose(out);
}

Test(tool, stops_on_sigint)
{
    char path[PATH_MAX + 32];
    tool_path(path, sizeof(path));
    char *argv[] = {path, NULL};
    FILE *out = NULL;
    pid_t pid = spawn(argv, &out, true);
    char line[512] = "";
    cr_assert(fgets(line, sizeof(line), out) != NULL);
    cr_assert(strncmp(line, "bootstrap.servers=", 18) == 0, "%s", line);
    cr_assert(kill(pid, SIGINT) == 0);
    cr_assert(eq(int, wait_exit(pid), 0));
    fclose(out);
}

Test(tool, bad_arguments_exit_2_with_usage_and_help_exits_0)
{
    char path[PATH_MAX + 32];
    tool_path(path, sizeof(path));
    char cmd[PATH_MAX + 128], buf[4096];
    const char *bad[] = {"--brokers 0", "--brokers", "--topic orders",
                         "--topic orders:0", "--topic 'a b:1'", "--nope",
                         "--topic t:1 --topic t:2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1 >/dev/null", path, bad[i]);
        int st = sh(cmd, buf, sizeof(buf));
        bool two = WIFEXITED(st) && WEXITSTATUS(st) == 2;
        cr_assert(two, "%s: status %d", bad[i], st);
        cr_assert(strstr(buf, "usage: kstream-dev-cluster") != NULL, "%s: %s",
                  bad[i], buf);
    }
    snprintf(cmd, sizeof(cmd), "'%s' --help", path);
    int st = sh(cmd, buf, sizeof(buf));
    bool zero = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    cr_assert(zero, "status %d", st);
    cr_assert(strstr(buf, "--topic NAME:PARTITIONS") != NULL, "%s", buf);
}
