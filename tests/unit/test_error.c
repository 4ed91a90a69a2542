/* test_error.c - error names and messages (every code and unknown values),
 * stable code numbers, kstream_free(), ks_errstr(), version functions. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kstream.h"

TestSuite(error, .timeout = 10);
TestSuite(version, .timeout = 10);

Test(error, every_code_has_its_name_and_message) {
#define CHECK_(name, code, msg)                                              \
    cr_assert(eq(str, (char *)kstream_err2name(KSTREAM_##name),              \
                 "KSTREAM_" #name));                                         \
    cr_assert(eq(str, (char *)kstream_err2str(KSTREAM_##name), msg));
    KSTREAM_ERR_MAP(CHECK_)
#undef CHECK_
}

/* Codes are never renumbered: written out here, not taken from the map. */
Test(error, codes_keep_their_numbers) {
    static const struct {
        kstream_err_t err;
        int code;
        const char *name;
    } codes[] = {
            {KSTREAM_OK, 0, "KSTREAM_OK"},
            {KSTREAM_ERR_INVALID_ARG, 1, "KSTREAM_ERR_INVALID_ARG"},
            {KSTREAM_ERR_NO_MEMORY, 2, "KSTREAM_ERR_NO_MEMORY"},
            {KSTREAM_ERR_UNKNOWN_NAME, 3, "KSTREAM_ERR_UNKNOWN_NAME"},
            {KSTREAM_ERR_DUPLICATE_NAME, 4, "KSTREAM_ERR_DUPLICATE_NAME"},
            {KSTREAM_ERR_CYCLE, 5, "KSTREAM_ERR_CYCLE"},
            {KSTREAM_ERR_MISSING_NAME, 6, "KSTREAM_ERR_MISSING_NAME"},
            {KSTREAM_ERR_INVALID_TOPOLOGY, 7, "KSTREAM_ERR_INVALID_TOPOLOGY"},
            {KSTREAM_ERR_STATE, 8, "KSTREAM_ERR_STATE"},
            {KSTREAM_ERR_EMPTY, 9, "KSTREAM_ERR_EMPTY"},
            {KSTREAM_ERR_NOT_FOUND, 10, "KSTREAM_ERR_NOT_FOUND"},
            {KSTREAM_ERR_SERDE, 11, "KSTREAM_ERR_SERDE"},
            {KSTREAM_ERR_USER, 12, "KSTREAM_ERR_USER"},
            {KSTREAM_ERR_INVALID_TIMESTAMP, 13,
             "KSTREAM_ERR_INVALID_TIMESTAMP"},
            {KSTREAM_ERR_UNKNOWN_TOPIC, 14, "KSTREAM_ERR_UNKNOWN_TOPIC"},
            {KSTREAM_ERR_UNKNOWN_PARTITION, 15,
             "KSTREAM_ERR_UNKNOWN_PARTITION"},
            {KSTREAM_ERR_TIMEOUT, 16, "KSTREAM_ERR_TIMEOUT"},
            {KSTREAM_ERR_FAILED, 17, "KSTREAM_ERR_FAILED"},
            {KSTREAM_ERR_CONF, 18, "KSTREAM_ERR_CONF"},
            {KSTREAM_ERR_TOO_LARGE, 19, "KSTREAM_ERR_TOO_LARGE"},
            {KSTREAM_ERR_IO, 20, "KSTREAM_ERR_IO"},
            {KSTREAM_ERR_KAFKA, 21, "KSTREAM_ERR_KAFKA"},
            {KSTREAM_ERR_STORE, 22, "KSTREAM_ERR_STORE"},
    };
    size_t i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        cr_assert(eq(int, (int)codes[i].err, codes[i].code), "%s",
                  codes[i].name);
        cr_assert(eq(str, (char *)kstream_err2name((kstream_err_t)codes[i].code),
                     (char *)codes[i].name));
    }
}

Test(error, names_are_unique_and_messages_not_empty) {
    static const kstream_err_t all[] = {
#define ALL_(name, code, msg) KSTREAM_##name,
            KSTREAM_ERR_MAP(ALL_)
#undef ALL_
    };
    size_t n = sizeof(all) / sizeof(all[0]), i, j;

    for (i = 0; i < n; i++) {
        cr_assert(lt(sz, 0, strlen(kstream_err2str(all[i]))));
        cr_assert(ne(str, (char *)kstream_err2name(all[i]),
                     "KSTREAM_ERR_UNKNOWN"));
        for (j = i + 1; j < n; j++) {
            cr_assert(ne(int, (int)all[i], (int)all[j]));
            cr_assert(ne(str, (char *)kstream_err2name(all[i]),
                         (char *)kstream_err2name(all[j])));
        }
    }
}

Test(error, unknown_values_get_a_generic_answer) {
    static const int unknown[] = {-1, 29, 99, 1000, -1000000, 0x7fffffff};
    size_t i;

    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        kstream_err_t err = (kstream_err_t)unknown[i];
        cr_assert(eq(str, (char *)kstream_err2name(err),
                     "KSTREAM_ERR_UNKNOWN"));
        cr_assert(eq(str, (char *)kstream_err2str(err),
                     "Unknown error code"));
    }
}

Test(error, kstream_free_accepts_null_and_heap_memory) {
    kstream_free(NULL);
    kstream_free(malloc(16));
}

Test(error, errstr_formats_and_truncates) {
    char buf[8];

    ks_errstr(buf, sizeof(buf), "%s-%d", "abc", 12345);
    cr_assert(eq(str, buf, "abc-123"));
    ks_errstr(buf, sizeof(buf), "%d", 7);
    cr_assert(eq(str, buf, "7"));
    buf[0] = 'z';
    ks_errstr(buf, 0, "%d", 7);
    cr_assert(eq(chr, buf[0], 'z'));
    ks_errstr(NULL, 100, "%d", 7);
    ks_errstr(buf, 1, "%d", 7);
    cr_assert(eq(str, buf, ""));
}

Test(version, runtime_matches_the_header) {
    char want[32];

    snprintf(want, sizeof(want), "%d.%d.%d", KSTREAM_VERSION_MAJOR,
             KSTREAM_VERSION_MINOR, KSTREAM_VERSION_PATCH);
    cr_assert(eq(int, kstream_version(), KSTREAM_VERSION));
    cr_assert(eq(str, (char *)kstream_version_str(), want));
}

Test(version, hex_form_is_major_minor_patch) {
    cr_assert(eq(int, (KSTREAM_VERSION >> 16) & 0xff, KSTREAM_VERSION_MAJOR));
    cr_assert(eq(int, (KSTREAM_VERSION >> 8) & 0xff, KSTREAM_VERSION_MINOR));
    cr_assert(eq(int, KSTREAM_VERSION & 0xff, KSTREAM_VERSION_PATCH));
    cr_assert(eq(int, kstream_version() >> 16, KSTREAM_VERSION_MAJOR));
}
