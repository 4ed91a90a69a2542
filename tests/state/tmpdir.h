/* tmpdir.h - scratch directories for store tests: created under /tmp with
 * mkdtemp, removed (recursively) at teardown. */
#ifndef KS_TEST_TMPDIR_H
#define KS_TEST_TMPDIR_H

#include <stddef.h>

/* Create /tmp/kstream-test-XXXXXX into dir (size >= 64); fails the test on
 * error. */
void kt_tmpdir_make(char *dir, size_t size);
/* Remove dir and everything below it; "" is a no-op. Leaves dir "". */
void kt_tmpdir_remove(char *dir);

#endif /* KS_TEST_TMPDIR_H */
