/* cases.h - one value of every Avro type (and logical type), shared by the
 * round-trip tests (plain, framed through mock:// and through the local
 * registry server). */
#ifndef KS_TEST_AVRO_CASES_H
#define KS_TEST_AVRO_CASES_H

#include "helpers.h"

typedef struct type_case {
    const char *name;
    const char *schema;
    void (*fill)(kstream_avro_value_t *v);
    const char *json; /* the expected t_norm_text(), compact, sorted keys */
} type_case_t;

extern const type_case_t type_cases[];
extern const size_t n_type_cases;

#endif
