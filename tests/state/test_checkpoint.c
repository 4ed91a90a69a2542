/* test_checkpoint.c - lib/state/checkpoint.c: a task's checkpoint file
 * written, read back, and refused when missing, truncated or corrupt. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state/checkpoint.h"
#include "tmpdir.h"

static char dir[256];
static char path[512];

static void setup(void)
{
    kt_tmpdir_make(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, KS_CHECKPOINT_FILE);
}

static void teardown(void)
{
    kt_tmpdir_remove(dir);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static void write_two(void)
{
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_set(&cp, "app-counts-changelog", 0, 42) == 0);
    cr_assert(ks_checkpoint_set(&cp, "app-other-changelog", 3,
                                9000000000LL) == 0);
    char err[256] = "";
    cr_assert(ks_checkpoint_write(path, &cp, err, sizeof(err)) == KSTREAM_OK,
              "%s", err);
    ks_checkpoint_clear(&cp);
}

static char *file_text(size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f != NULL);
    static char buf[4096];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void put_text(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert(fwrite(text, 1, len, f) == len);
    fclose(f);
}

Test(checkpoint, write_then_read)
{
    write_two();
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_OK);
    cr_assert(cp.n == 2);
    cr_assert(ks_checkpoint_get(&cp, "app-counts-changelog", 0) == 42);
    cr_assert(ks_checkpoint_get(&cp, "app-other-changelog", 3) ==
              9000000000LL);
    cr_assert(ks_checkpoint_get(&cp, "app-counts-changelog", 1) == -1);
    cr_assert(ks_checkpoint_get(&cp, "nope", 0) == -1);
    ks_checkpoint_clear(&cp);
    /* No temporary file is left behind. */
    char tmp[600];
    struct stat st;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    cr_assert(stat(tmp, &st) != 0);
}

Test(checkpoint, set_replaces)
{
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_set(&cp, "t", 0, 1) == 0);
    cr_assert(ks_checkpoint_set(&cp, "t", 0, 7) == 0);
    cr_assert(cp.n == 1);
    cr_assert(ks_checkpoint_get(&cp, "t", 0) == 7);
    ks_checkpoint_clear(&cp);
}

Test(checkpoint, empty_map_round_trips)
{
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_write(path, &cp, NULL, 0) == KSTREAM_OK);
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_OK);
    cr_assert(cp.n == 0);
}

Test(checkpoint, rewrite_replaces_the_file)
{
    write_two();
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_set(&cp, "x", 1, 5) == 0);
    cr_assert(ks_checkpoint_write(path, &cp, NULL, 0) == KSTREAM_OK);
    ks_checkpoint_clear(&cp);
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_OK);
    cr_assert(cp.n == 1);
    cr_assert(ks_checkpoint_get(&cp, "x", 1) == 5);
    cr_assert(ks_checkpoint_get(&cp, "app-counts-changelog", 0) == -1);
    ks_checkpoint_clear(&cp);
}

Test(checkpoint, missing)
{
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_MISSING);
    cr_assert(cp.n == 0);
}

Test(checkpoint, truncated_at_every_length_is_corrupt)
{
    write_two();
    size_t len = 0;
    char *text = file_text(&len);
    char *copy = malloc(len);
    memcpy(copy, text, len);
    for (size_t cut = 0; cut < len; cut++) {
        put_text(copy, cut);
        ks_checkpoint_t cp = {0};
        cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_CORRUPT,
                  "cut at %zu of %zu read as valid", cut, len);
        cr_assert(cp.n == 0);
    }
    free(copy);
}

Test(checkpoint, any_flipped_byte_is_corrupt)
{
    write_two();
    size_t len = 0;
    char *text = file_text(&len);
    char *copy = malloc(len);
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, text, len);
        copy[i] ^= 0x01;
        put_text(copy, len);
        ks_checkpoint_t cp = {0};
        cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_CORRUPT,
                  "byte %zu flipped read as valid", i);
    }
    free(copy);
}

Test(checkpoint, garbage_and_appended_data_are_corrupt)
{
    const char *junk = "hello\n";
    put_text(junk, strlen(junk));
    ks_checkpoint_t cp = {0};
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_CORRUPT);
    write_two();
    size_t len = 0;
    char *text = file_text(&len);
    char buf[4200];
    memcpy(buf, text, len);
    memcpy(buf + len, "t 0 1\n", 6);
    put_text(buf, len + 6);
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_CORRUPT);
}

/* The format is the one checkpoint.h documents (people read these files
 * when debugging a restore). */
Test(checkpoint, format_is_documented_text)
{
    write_two();
    size_t len = 0;
    char *text = file_text(&len);
    cr_assert(strncmp(text, "kstream-checkpoint 1\n2\n", 23) == 0, "%s",
              text);
    cr_assert(strstr(text, "app-counts-changelog 0 42\n") != NULL);
    cr_assert(strstr(text, "\ncrc32 ") != NULL);
}

Test(checkpoint, unwritable_directory_fails_and_keeps_old_file)
{
    write_two();
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/no/such/dir/.checkpoint", dir);
    ks_checkpoint_t cp = {0};
    char err[256] = "";
    cr_assert(ks_checkpoint_write(bad, &cp, err, sizeof(err)) ==
              KSTREAM_ERR_STORE);
    cr_assert(strstr(err, "cannot write checkpoint") != NULL, "%s", err);
    cr_assert(ks_checkpoint_read(path, &cp) == KS_CHECKPOINT_OK);
    cr_assert(cp.n == 2);
    ks_checkpoint_clear(&cp);
}
