/* cdc_event.c - Debezium's change-event envelope (io.debezium.data.Envelope:
 * before, after, op, ts_ms, source), whatever format carried it: the
 * checks that make a bad event a serde error naming what is wrong, and
 * what a table (the "after" row, or a delete) and a change stream (the
 * normalized envelope) take from it. */
#include "serde/cdc_int.h"

#include <stdlib.h>

static const char *op_note(const char *op)
{
    if (op[0] && !op[1] && op[0] == 't')
        return " (truncate events are not row changes)";
    if (op[0] && !op[1] && op[0] == 'm')
        return " (message events are not row changes)";
    return "";
}

/* The envelope inside Kafka Connect's {"schema":...,"payload":...}
 * wrapper (JsonConverter with schemas.enable=true), or root itself. A
 * root with "op" is a bare envelope even if a column is called payload. */
static const json_t *unwrap(const json_t *root)
{
    if (json_object_get(root, "op"))
        return root;
    const json_t *payload = json_object_get(root, "payload");
    if (payload && json_object_get(root, "schema"))
        return payload;
    return root;
}

/* A part that must be an object or null (or absent). */
static kstream_err_t object_or_null(const json_t *env, const char *name,
                                    const json_t **out, char *errstr,
                                    size_t errstr_size)
{
    const json_t *j = json_object_get(env, name);
    if (j && !json_is_object(j) && !json_is_null(j))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field %s: expected an object or null, got %s",
                           name, ks_json_type_name(j));
    *out = j && json_is_object(j) ? j : NULL;
    return KSTREAM_OK;
}

static kstream_err_t check_envelope(const json_t *root, bool wrapper,
                                    ks_cdc_event_t *ev, char *errstr,
                                    size_t errstr_size)
{
    if (!json_is_object(root))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "not a change event: expected an object, got %s",
                           ks_json_type_name(root));
    const json_t *env = wrapper ? unwrap(root) : root;
    if (env != root) {
        if (json_is_null(env)) {
            ev->op = 0; /* {"schema":...,"payload":null}: a tombstone */
            return KSTREAM_OK;
        }
        if (!json_is_object(env))
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                               "field payload: expected an object, got %s",
                               ks_json_type_name(env));
    }
    const json_t *op = json_object_get(env, "op");
    if (!op || json_is_null(op))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "no \"op\" field: not a change event (an "
                           "envelope has before, after, op, ts_ms, "
                           "source)");
    if (!json_is_string(op))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field op: expected a string, got %s",
                           ks_json_type_name(op));
    const char *o = json_string_value(op);
    if (json_string_length(op) != 1 ||
        (o[0] != 'c' && o[0] != 'r' && o[0] != 'u' && o[0] != 'd'))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "unknown op \"%.16s\"%s: expected \"c\", \"r\", "
                           "\"u\" or \"d\"",
                           o, op_note(o));
    ev->op = o[0];

    kstream_err_t err = object_or_null(env, "before", &ev->before, errstr,
                                       errstr_size);
    if (!err)
        err = object_or_null(env, "source", &ev->source, errstr,
                             errstr_size);
    if (err)
        return err;
    const json_t *after = json_object_get(env, "after");
    if (ev->op != 'd') {
        if (!after)
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                               "op \"%c\" without an \"after\" field",
                               ev->op);
        if (json_is_null(after))
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                               "op \"%c\" with a null \"after\"", ev->op);
    }
    err = object_or_null(env, "after", &ev->after, errstr, errstr_size);
    if (err)
        return err;
    const json_t *ts = json_object_get(env, "ts_ms");
    if (ts && !json_is_integer(ts) && !json_is_null(ts))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field ts_ms: expected an integer, got %s",
                           ks_json_type_name(ts));
    ev->ts_ms = ts && json_is_integer(ts) ? ts : NULL;
    return KSTREAM_OK;
}

kstream_err_t ks_cdc_decode(const kstream_cdc_format_t *fmt, void *state,
                            const void *data, size_t len, ks_cdc_event_t *ev,
                            char *errstr, size_t errstr_size)
{
    memset(ev, 0, sizeof(*ev));
    if (!data)
        return KSTREAM_OK; /* a tombstone: op 0 */
    json_t *root = NULL;
    kstream_err_t err = fmt->ops->decode(fmt, state, data, len, &root, errstr,
                                         errstr_size);
    if (err)
        return err;
    ev->root = root;
    err = check_envelope(root, fmt->ops->wrapper, ev, errstr, errstr_size);
    if (err)
        ks_cdc_event_clear(ev);
    return err;
}

void ks_cdc_event_clear(ks_cdc_event_t *ev)
{
    json_decref(ev->root);
    memset(ev, 0, sizeof(*ev));
}

int ks_cdc_write_after(const ks_cdc_event_t *ev, ks_buf_t *out,
                       bool *tombstone)
{
    *tombstone = ev->op == 0 || ev->op == 'd';
    if (*tombstone)
        return 0;
    return ks_json_write(ev->after, out);
}

/* A part of the change, or null. */
static int write_part(ks_buf_t *out, const char *member, const json_t *j)
{
    if (ks_buf_appendf(out, ",\"%s\":", member))
        return -1;
    return j ? ks_json_write(j, out) : ks_buf_append(out, "null", 4);
}

int ks_cdc_write_change(const ks_cdc_event_t *ev, ks_buf_t *out,
                        bool *tombstone)
{
    *tombstone = ev->op == 0;
    if (*tombstone)
        return 0;
    if (ks_buf_appendf(out, "{\"op\":\"%c\"", ev->op) ||
        write_part(out, "before", ev->before) ||
        write_part(out, "after", ev->after) ||
        write_part(out, "ts_ms", ev->ts_ms) ||
        write_part(out, "source", ev->source))
        return -1;
    return ks_buf_putc(out, '}');
}

/* Set member name of obj to a copy of j (null when j is NULL). */
static int set_part(json_t *obj, const char *name, const json_t *j)
{
    json_t *v = j ? json_deep_copy(j) : json_null();
    return v ? json_object_set_new(obj, name, v) : -1;
}

json_t *ks_cdc_change_json(const ks_cdc_event_t *ev)
{
    char op[2] = {ev->op, '\0'};
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, "op", json_string(op)) ||
        set_part(obj, "before", ev->before) ||
        set_part(obj, "after", ev->after) ||
        set_part(obj, "ts_ms", ev->ts_ms) ||
        set_part(obj, "source", ev->source)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
