/* tmpdir.c - scratch directories for store tests (see tmpdir.h). */
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

void kt_tmpdir_make(char *dir, size_t size) {
    cr_assert(size >= 64);
    snprintf(dir, size, "/tmp/kstream-test-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL, "mkdtemp failed");
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void kt_tmpdir_remove(char *dir) {
    if (!dir[0])
        return;
    /* Depth first, without following symlinks. */
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}
