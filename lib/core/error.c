/* error.c - names and messages of kstream_err_t, generated from the one
 * KSTREAM_ERR_MAP table in kstream.h (libuv's UV_ERRNO_MAP idea), plus the
 * errstr helper every layer uses to fill caller-supplied buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

const char *kstream_err2name(kstream_err_t err) {
    switch (err) {
#define KS_ERR_NAME_(name, code, msg)                                        \
    case KSTREAM_##name:                                                     \
        return "KSTREAM_" #name;
        KSTREAM_ERR_MAP(KS_ERR_NAME_)
#undef KS_ERR_NAME_
    }
    /* Not in the table: a value cast from an int, or a retired code. */
    return "KSTREAM_ERR_UNKNOWN";
}

const char *kstream_err2str(kstream_err_t err) {
    switch (err) {
#define KS_ERR_STR_(name, code, msg)                                         \
    case KSTREAM_##name:                                                     \
        return msg;
        KSTREAM_ERR_MAP(KS_ERR_STR_)
#undef KS_ERR_STR_
    }
    return "Unknown error code";
}

void kstream_free(void *ptr) {
    free(ptr);
}

void ks_errstr(char *errstr, size_t errstr_size, const char *fmt, ...) {
    va_list ap;

    if (!errstr || errstr_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
}
