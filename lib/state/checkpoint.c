/* checkpoint.c - reading and writing a task's checkpoint file (format in
 * checkpoint.h). Files are tiny (one line per store of a task): read whole,
 * checked whole. */
#include "state/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "util/util.h"

#define CK_MAGIC "kstream-checkpoint 1\n"
/* Far more than any task has stores; a bigger file is not ours. */
#define CK_MAX_BYTES (4u << 20)

/* CRC-32 (IEEE, reflected, as zlib's crc32()). Bitwise: the files are a
 * few hundred bytes, a table would not pay for itself. */
static uint32_t crc32_of(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

void ks_checkpoint_clear(ks_checkpoint_t *cp)
{
    for (size_t i = 0; i < cp->n; i++)
        free(cp->v[i].topic);
    free(cp->v);
    cp->v = NULL;
    cp->n = cp->cap = 0;
}

int64_t ks_checkpoint_get(const ks_checkpoint_t *cp, const char *topic,
                          int32_t partition)
{
    for (size_t i = 0; i < cp->n; i++)
        if (cp->v[i].partition == partition &&
            strcmp(cp->v[i].topic, topic) == 0)
            return cp->v[i].offset;
    return -1;
}

int ks_checkpoint_set(ks_checkpoint_t *cp, const char *topic,
                      int32_t partition, int64_t offset)
{
    for (size_t i = 0; i < cp->n; i++) {
        if (cp->v[i].partition == partition &&
            strcmp(cp->v[i].topic, topic) == 0) {
            cp->v[i].offset = offset;
            return 0;
        }
    }
    if (cp->n == cp->cap) {
        size_t cap = cp->cap ? cp->cap * 2 : 4;
        ks_checkpoint_entry_t *v = realloc(cp->v, cap * sizeof(*v));
        if (!v)
            return -1;
        cp->v = v;
        cp->cap = cap;
    }
    char *t = ks_strdup(topic);
    if (!t)
        return -1;
    cp->v[cp->n++] = (ks_checkpoint_entry_t){t, partition, offset};
    return 0;
}

/* ---- reading ------------------------------------------------------------- */
static ks_checkpoint_res_t slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? KS_CHECKPOINT_MISSING
                               : KS_CHECKPOINT_CORRUPT;
    size_t cap = 512, n = 0;
    char *buf = malloc(cap + 1);
    ks_checkpoint_res_t res = KS_CHECKPOINT_OK;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap >= CK_MAX_BYTES)
            break;
        char *b = realloc(buf, cap * 2 + 1);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    if (!buf)
        res = KS_CHECKPOINT_NO_MEMORY;
    else if (ferror(f) || n >= CK_MAX_BYTES)
        res = KS_CHECKPOINT_CORRUPT;
    fclose(f);
    if (res) {
        free(buf);
        return res;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return KS_CHECKPOINT_OK;
}

/* A decimal integer without sign, spaces or leading junk; *p moves past
 * it. */
static bool parse_num(const char **p, int64_t max, int64_t *out)
{
    const char *s = *p;
    int64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (max - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

/* One "<topic> <partition> <offset>\n" line at *p. */
static ks_checkpoint_res_t parse_entry(const char **p, ks_checkpoint_t *cp)
{
    const char *s = *p, *sp = strchr(s, ' ');
    if (!sp || sp == s || memchr(s, '\n', (size_t)(sp - s)))
        return KS_CHECKPOINT_CORRUPT;
    char topic[256];
    size_t tlen = (size_t)(sp - s);
    if (tlen >= sizeof(topic))
        return KS_CHECKPOINT_CORRUPT;
    memcpy(topic, s, tlen);
    topic[tlen] = '\0';
    s = sp + 1;
    int64_t part = 0, off = 0;
    if (!parse_num(&s, INT32_MAX, &part) || *s++ != ' ' ||
        !parse_num(&s, INT64_MAX, &off) || *s++ != '\n')
        return KS_CHECKPOINT_CORRUPT;
    *p = s;
    return ks_checkpoint_set(cp, topic, (int32_t)part, off)
                   ? KS_CHECKPOINT_NO_MEMORY
                   : KS_CHECKPOINT_OK;
}

static ks_checkpoint_res_t parse(const char *buf, size_t len,
                                 ks_checkpoint_t *cp)
{
    /* The last line is the checksum of everything before it. */
    if (len < 2 || buf[len - 1] != '\n' || strlen(buf) != len)
        return KS_CHECKPOINT_CORRUPT;
    const char *last = buf + len - 1;
    while (last > buf && last[-1] != '\n')
        last--;
    unsigned crc = 0;
    char tail;
    if (sscanf(last, "crc32 %8x%c", &crc, &tail) != 2 || tail != '\n' ||
        (size_t)(buf + len - last) != strlen("crc32 ") + 9 ||
        crc != crc32_of(buf, (size_t)(last - buf)))
        return KS_CHECKPOINT_CORRUPT;
    if (strncmp(buf, CK_MAGIC, strlen(CK_MAGIC)) != 0)
        return KS_CHECKPOINT_CORRUPT;
    const char *p = buf + strlen(CK_MAGIC);
    int64_t n = 0;
    if (!parse_num(&p, INT32_MAX, &n) || *p++ != '\n')
        return KS_CHECKPOINT_CORRUPT;
    for (int64_t i = 0; i < n; i++) {
        if (p >= last)
            return KS_CHECKPOINT_CORRUPT;
        ks_checkpoint_res_t res = parse_entry(&p, cp);
        if (res)
            return res;
    }
    return p == last ? KS_CHECKPOINT_OK : KS_CHECKPOINT_CORRUPT;
}

ks_checkpoint_res_t ks_checkpoint_read(const char *path, ks_checkpoint_t *cp)
{
    ks_checkpoint_clear(cp);
    char *buf = NULL;
    size_t len = 0;
    ks_checkpoint_res_t res = slurp(path, &buf, &len);
    if (res)
        return res;
    res = parse(buf, len, cp);
    free(buf);
    if (res)
        ks_checkpoint_clear(cp);
    return res;
}

/* ---- writing --------------------------------------------------------------- */
/* The text of cp, malloc'ed (NULL: out of memory). */
static char *render(const ks_checkpoint_t *cp, size_t *len)
{
    size_t cap = strlen(CK_MAGIC) + 32 + 32;
    for (size_t i = 0; i < cp->n; i++)
        cap += strlen(cp->v[i].topic) + 48;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t n = (size_t)snprintf(buf, cap, "%s%zu\n", CK_MAGIC, cp->n);
    for (size_t i = 0; i < cp->n; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s %d %" PRId64 "\n",
                              cp->v[i].topic, (int)cp->v[i].partition,
                              cp->v[i].offset);
    n += (size_t)snprintf(buf + n, cap - n, "crc32 %08x\n",
                          (unsigned)crc32_of(buf, n));
    *len = n;
    return buf;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The rename is durable once the directory is synced (best effort: some
 * file systems refuse fsync on a directory). */
static void sync_dir(const char *path)
{
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

kstream_err_t ks_checkpoint_write(const char *path, const ks_checkpoint_t *cp,
                                  char *errstr, size_t errstr_size)
{
    size_t len = 0;
    char *buf = render(cp, &len);
    if (!buf)
        return KSTREAM_ERR_NO_MEMORY;
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : write_all(fd, buf, len);
    if (rc == 0)
        rc = fsync(fd);
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = rename(tmp, path);
    int e = errno;
    free(buf);
    if (rc != 0) {
        ks_errstr(errstr, errstr_size, "cannot write checkpoint '%s': %s",
                  path, strerror(e));
        if (fd >= 0)
            unlink(tmp);
        return KSTREAM_ERR_STORE;
    }
    sync_dir(path);
    return KSTREAM_OK;
}
