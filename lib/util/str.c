/* str.c - string helpers. */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

char *ks_strdup(const char *s) {
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
