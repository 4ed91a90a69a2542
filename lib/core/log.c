/* log.c - log delivery. A ks_logger_t is a small value copied out of a conf
 * when a handle is made, so logging never touches the conf again and needs
 * no lock: the callback is called on whichever thread logs. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/conf_int.h"

/* syslog level names, indexed by level (0..7). */
static const char *const ks_level_names[] = {
        "EMERG", "ALERT", "CRIT", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};

static const char *ks_level_name(int level) {
    if (level < 0 || level > 7)
        return "LOG";
    return ks_level_names[level];
}

/* The default callback: one line per message on stderr, e.g.
 * "INFO|kstream|THREAD| stream thread 0 started". One fprintf call, so
 * lines from concurrent threads do not interleave within a line. */
static void ks_log_stderr(int level, const char *facility, const char *message,
                          void *opaque) {
    (void)opaque;
    fprintf(stderr, "%s|kstream|%s| %s\n", ks_level_name(level),
            facility ? facility : "-", message);
}

void ks_log(const ks_logger_t *lg, int level, const char *facility,
            const char *fmt, ...) {
    char small[512];
    char *msg = small;
    va_list ap;
    int n;

    assert(lg && lg->cb);
    if (level > lg->level)
        return;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(small)) {
        /* Long message: format again into a heap buffer; on out-of-memory
         * deliver the truncated text rather than nothing. */
        char *big = malloc((size_t)n + 1);
        if (big) {
            va_start(ap, fmt);
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            va_end(ap);
            msg = big;
        }
    }
    lg->cb(level, facility, msg, lg->opaque);
    if (msg != small)
        free(msg);
}

kstream_log_cb *ks_log_default_cb(void) {
    return ks_log_stderr;
}

void ks_conf_logger(const kstream_conf_t *conf, ks_logger_t *out) {
    assert(conf && out);
    out->cb = conf->log_cb ? conf->log_cb : ks_log_stderr;
    out->opaque = conf->log_cb ? conf->log_opaque : NULL;
    out->level = (int)ks_conf_int(conf, "log.level");
}
