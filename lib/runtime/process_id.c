/* process_id.c - the identity of an application instance across restarts
 * (Kafka Streams' process id, kept in its state directory): 32 hex digits,
 * random on first use, then read back from <state dir>/kstream.process-id.
 * It names the transactional producers under exactly_once_v2
 * (KS_TXN_ID_FMT), so a restarted instance fences what its predecessor
 * left open and two instances never share an id. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "runtime/runtime.h"

#define KS_PROCESS_ID_FILE "kstream.process-id"

static bool valid_id(const char *s, size_t len)
{
    if (len != KS_PROCESS_ID_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int read_id(const char *path, char *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[64];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    if (!valid_id(buf, n))
        return -1;
    memcpy(out, buf, n);
    out[n] = '\0';
    return 0;
}

static int new_id(char *out)
{
    unsigned char r[KS_PROCESS_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

kstream_err_t ks_process_id(const char *dir, char *out, char *errstr,
                            size_t errstr_size)
{
    char path[1100], tmp[1120];
    if (ks_mkdirs(dir) != 0) {
        ks_errstr(errstr, errstr_size,
                  "cannot create the state directory '%s': %s", dir,
                  strerror(errno));
        return KSTREAM_ERR_IO;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, KS_PROCESS_ID_FILE);
    if (read_id(path, out) == 0)
        return KSTREAM_OK;
    if (new_id(out) != 0) {
        ks_errstr(errstr, errstr_size, "cannot make a process id: %s",
                  strerror(errno));
        return KSTREAM_ERR_IO;
    }
    /* Written whole or not at all (a torn file would read as invalid and
     * be replaced, which is safe: only restarts lose the fast fencing). */
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fprintf(f, "%s\n", out) > 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        ks_errstr(errstr, errstr_size, "cannot write '%s': %s", path,
                  strerror(errno));
        unlink(tmp);
        return KSTREAM_ERR_IO;
    }
    return KSTREAM_OK;
}
