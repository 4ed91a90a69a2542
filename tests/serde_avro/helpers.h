/* helpers.h - shared by the tests of the Avro serde: schemas, values as
 * normalized JSON (the form interop.py uses too), the local registry server
 * (registry_server.py) started as a child process, and Python. */
#ifndef KS_TEST_AVRO_HELPERS_H
#define KS_TEST_AVRO_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "kstream.h"

#define TEST_DIR "tests/serde_avro"
#define ORDER_AVSC "/work/shared/schemas/OrderPlaced.avsc"

/* The file's content (malloc'd, NUL-terminated); fails the test when it
 * cannot be read. */
char *t_read_file(const char *path);
/* Parse or fail the test. */
kstream_avro_schema_t *t_schema(const char *json);
/* OrderPlaced from the seed (tests/serde_avro's copy when the shared one is
 * missing). */
kstream_avro_schema_t *t_order_schema(void);
/* A value of \p schema or fail the test. */
kstream_avro_value_t *t_value(const kstream_avro_schema_t *schema);
/* Fill an OrderPlaced value: order \p n with 1 + n % 4 items. */
void t_fill_order(kstream_avro_value_t *v, int n);

/* The value (or the part at path) as normalized JSON: records and maps as
 * objects, arrays as lists, unions as their branch's value, bytes and fixed
 * as lowercase hex, decimals as text with the schema's scale, enums as
 * symbols, float and double as reals. Returned: json_decref(). */
json_t *t_norm(kstream_avro_value_t *v, const char *path);
/* Compact JSON text of t_norm() (malloc'd). */
char *t_norm_text(kstream_avro_value_t *v);

/* Encode \p v (no framing) into a new buffer or fail the test. */
kstream_buf_t *t_encode(kstream_avro_value_t *v);

/* The python3 that has the avro package (interop), else "python3". */
const char *t_python(void);

/* The local registry server. */
typedef struct t_server {
    pid_t pid;
    int port;
    char url[64];
} t_server_t;

/* Start registry_server.py with \p args (NULL-terminated, may be NULL) and
 * wait for its port; fails the test on error. The child is killed if the
 * test process dies (PR_SET_PDEATHSIG). */
void t_server_start(t_server_t *s, const char *const *args);
/* Kill and reap it (no-op when not started). */
void t_server_stop(t_server_t *s);
/* API requests the server answered so far. */
long t_server_requests(const t_server_t *s);
/* Answers of one path ("GET /schemas/ids/N", "POST /subjects/x/versions"). */
long t_server_path_count(const t_server_t *s, const char *key);
/* Make the next \p count requests fail ("503" or "close"). */
void t_server_outage(const t_server_t *s, int count, const char *mode);
/* A port on which nothing listens. */
int t_dead_port(void);

/* A registry client for \p url with extra settings (name, value pairs,
 * NULL-terminated), or fail the test. */
kstream_avro_registry_t *t_registry(const char *url, const char *const *kv);

/* Run a command (argv, NULL-terminated); its stdout into *out (malloc'd,
 * may be NULL). @returns the exit status (-1 when it did not exit). */
int t_run(const char *const *argv, char **out);

#endif
