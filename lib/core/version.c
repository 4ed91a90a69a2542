/* version.c - run-time version of the library (libuv's uv_version()).
 * The numbers come from the public header, so the compile-time macros and
 * the run-time answers cannot drift apart. */
#include "kstream.h"

#define KS_STR_(x) #x
#define KS_STR(x) KS_STR_(x)

int kstream_version(void) {
    return KSTREAM_VERSION;
}

const char *kstream_version_str(void) {
    return KS_STR(KSTREAM_VERSION_MAJOR) "." KS_STR(
            KSTREAM_VERSION_MINOR) "." KS_STR(KSTREAM_VERSION_PATCH);
}
