/* test_wkeys_dup.c - window keys that keep duplicates (lib/state/
 * wkeys_dup.c): round trips, order, the segment time, malformed keys, and
 * a segmented in-memory store filing them by time. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>
#include <string.h>

#include "state/store.h"

TestSuite(wkeys_dup, .timeout = 10);

Test(wkeys_dup, round_trips_key_time_and_seq)
{
    uint8_t buf[64];
    size_t n = ks_wkey_dup_encode(buf, "abc", 3, 0x0102030405060708LL,
                                  0xa0b0c0d0u);
    cr_assert(eq(sz, n, 15));
    kstream_bytes_t key;
    int64_t t;
    uint32_t seq;
    cr_assert(ks_wkey_dup_decode(buf, n, &key, &t, &seq));
    cr_assert(eq(sz, key.len, 3));
    cr_assert(memcmp(key.data, "abc", 3) == 0);
    cr_assert(eq(i64, t, 0x0102030405060708LL));
    cr_assert(eq(u32, seq, 0xa0b0c0d0u));
    cr_assert(eq(i64, ks_wkey_dup_time(buf, n), 0x0102030405060708LL));
    /* An empty key. */
    n = ks_wkey_dup_encode(buf, NULL, 0, 7, 1);
    cr_assert(eq(sz, n, 12));
    cr_assert(ks_wkey_dup_decode(buf, n, &key, &t, &seq));
    cr_assert(eq(sz, key.len, 0));
    cr_assert(eq(i64, t, 7));
    cr_assert(eq(u32, seq, 1));
}

Test(wkeys_dup, sorts_by_time_then_seq)
{
    uint8_t a[32], b[32];
    size_t na = ks_wkey_dup_encode(a, "k", 1, 5, UINT32_MAX);
    size_t nb = ks_wkey_dup_encode(b, "k", 1, 6, 0);
    cr_assert(lt(int, ks_key_cmp(a, na, b, nb), 0));
    na = ks_wkey_dup_encode(a, "k", 1, 6, 1);
    nb = ks_wkey_dup_encode(b, "k", 1, 6, 2);
    cr_assert(lt(int, ks_key_cmp(a, na, b, nb), 0));
    na = ks_wkey_dup_encode(a, "k", 1, 255, 0);
    nb = ks_wkey_dup_encode(b, "k", 1, 256, 0);
    cr_assert(lt(int, ks_key_cmp(a, na, b, nb), 0));
}

Test(wkeys_dup, short_or_negative_keys_have_no_time)
{
    uint8_t buf[16];
    kstream_bytes_t key;
    int64_t t;
    uint32_t seq;
    memset(buf, 0, sizeof(buf));
    cr_assert(not(ks_wkey_dup_decode(buf, 11, &key, &t, &seq)));
    cr_assert(eq(i64, ks_wkey_dup_time(buf, 11), -1));
    memset(buf, 0xff, sizeof(buf));
    cr_assert(not(ks_wkey_dup_decode(buf, 12, &key, &t, &seq)));
    cr_assert(eq(i64, ks_wkey_dup_time(buf, 12), -1));
}

static ks_store_t *open_mem(void *opaque, const char *segment, char *errstr,
                            size_t errstr_size)
{
    (void)opaque;
    (void)segment;
    (void)errstr;
    (void)errstr_size;
    return ks_kv_mem_new();
}

Test(wkeys_dup, a_segmented_store_keeps_every_duplicate_until_expiry)
{
    ks_store_t *s = ks_segmented_new(open_mem, NULL, NULL, NULL, 100, 50,
                                     ks_wkey_dup_time);
    cr_assert(s != NULL);
    uint8_t k[32];
    for (uint32_t seq = 0; seq < 3; seq++) {
        size_t n = ks_wkey_dup_encode(k, "k", 1, 10, seq);
        cr_assert(eq(int, s->ops->put(s, k, n, "v", 1), KSTREAM_OK));
    }
    size_t n = ks_wkey_dup_encode(k, "k", 1, 100, 0);
    cr_assert(eq(int, s->ops->put(s, k, n, "w", 1), KSTREAM_OK));
    uint8_t lo[32], hi[32];
    size_t nlo = ks_wkey_dup_encode(lo, "k", 1, 0, 0);
    size_t nhi = ks_wkey_dup_encode(hi, "k", 1, 200, UINT32_MAX);
    ks_iter_t *it = NULL;
    cr_assert(eq(int, s->ops->range(s, lo, nlo, hi, nhi, &it), KSTREAM_OK));
    kstream_bytes_t kk, v;
    int count = 0;
    while (it->ops->next(it, &kk, &v) == KSTREAM_OK)
        count++;
    it->ops->close(it);
    cr_assert(eq(int, count, 4));
    /* Stream time 130: time 10 expires (live from 130 - 100 + 1). */
    ks_store_observe_time(s, 130);
    cr_assert(eq(int, s->ops->range(s, lo, nlo, hi, nhi, &it), KSTREAM_OK));
    count = 0;
    while (it->ops->next(it, &kk, &v) == KSTREAM_OK)
        count++;
    it->ops->close(it);
    cr_assert(eq(int, count, 1));
    s->ops->close(s);
}
