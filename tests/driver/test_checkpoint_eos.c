/* test_checkpoint_eos.c - checkpoint files under exactly_once_v2: a
 * commit hands the checkpointed stores' memtables to RocksDB's background
 * flushes and writes its checkpoint file at the next commit, once they
 * are on disk (commit.c); a clean close writes the last one at once. The
 * test driver checkpoints at every commit. */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers_state.h"
#include "state/checkpoint.h"

static char g_dir[256];

static kstream_builder_t *count_topology(void)
{
    kstream_builder_t *b = kstream_builder_new();
    kstream_stream_t *s = kstream_builder_stream(b, "in", NULL);
    kstream_table_t *t =
            kstream_grouped_count(kstream_stream_group_by_key(s), "cnt");
    cr_assert(t != NULL, "count: %s", kstream_builder_error(b));
    kstream_stream_to(kstream_table_to_stream(t, NULL), "out", NULL);
    return b;
}

/* The offset task 0_0's checkpoint file gives the changelog, -1 when the
 * file is missing. */
static int64_t checkpointed(void)
{
    char path[700] = "";
    DIR *d = opendir(g_dir);
    cr_assert(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "app-", 4) == 0)
            snprintf(path, sizeof(path), "%s/%s/0_0/.checkpoint", g_dir,
                     e->d_name);
    closedir(d);
    cr_assert(path[0] != '\0', "no driver directory in %s", g_dir);
    ks_checkpoint_t cp = {0};
    ks_checkpoint_res_t res = ks_checkpoint_read(path, &cp);
    if (res == KS_CHECKPOINT_MISSING)
        return -1;
    cr_assert(eq(int, res, KS_CHECKPOINT_OK));
    int64_t off = ks_checkpoint_get(&cp, "app-cnt-changelog", 0);
    ks_checkpoint_clear(&cp);
    return off;
}

Test(checkpoint_eos, a_commits_checkpoint_is_written_at_the_next_one)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/kstream-ckpt-eos-XXXXXX");
    cr_assert(mkdtemp(g_dir) != NULL);
    kstream_test_driver_t *drv = hs_driver(
            count_topology(), 0 /* rocksdb */, 0, "state.dir", g_dir,
            "processing.guarantee", "exactly_once_v2", NULL);
    /* Under exactly-once the driver commits after every pipe; each
     * transaction writes one changelog record and a commit marker. */
    h_pipe_ok(drv, "in", "A", "x", 1);
    cr_assert(eq(i64, checkpointed(), -1)); /* deferred */
    h_pipe_ok(drv, "in", "A", "x", 2);
    cr_assert(eq(i64, checkpointed(), 1)); /* the first commit's */
    /* A commit with nothing to commit still writes the last one's. */
    cr_assert(eq(int, kstream_test_driver_commit(drv), KSTREAM_OK));
    cr_assert(eq(i64, checkpointed(), 3));
    h_pipe_ok(drv, "in", "B", "x", 3);
    cr_assert(eq(i64, checkpointed(), 3));
    /* A clean close writes its own at once. */
    cr_assert(eq(int, kstream_test_driver_restart(drv, false), KSTREAM_OK),
              "%s", kstream_test_driver_last_error(drv));
    cr_assert(eq(i64, checkpointed(), 5));
    hs_store_is_long(drv, "cnt", "A", 2);
    hs_store_is_long(drv, "cnt", "B", 1);
    h_pipe_ok(drv, "in", "A", "x", 4);
    HS_EXPECT(drv, "out", HS_K_PLAIN, HS_V_LONG, {"A", "1", 1},
              {"A", "2", 2}, {"B", "1", 3}, {"A", "3", 4});
    kstream_test_driver_destroy(drv);
    rmdir(g_dir); /* the driver removed its own directory inside */
}
