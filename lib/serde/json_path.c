/* json_path.c - paths into JSON values ("after.items[2].sku"): the step
 * reader, the lookup of the getters and the walk of the setters, with the
 * messages that name the field and where it went wrong. The syntax is
 * documented in include/kstream/json.h. */
#include "serde/json_int.h"

#include <stdio.h>

/* Bytes a name ends at when not escaped. */
static bool special(char c)
{
    return c == '.' || c == '[' || c == ']' || c == '\\';
}

static int bad_path(const char *path, size_t at, char *errstr,
                    size_t errstr_size, const char *what)
{
    /* Long paths are cut in the message so that what is wrong fits. */
    ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                "path '%.64s%s': %s at offset %zu", path,
                strlen(path) > 64 ? "..." : "", what, at);
    return -1;
}

static int read_index(const char *path, size_t *pos, ks_json_step_t *step,
                      char *errstr, size_t errstr_size)
{
    size_t i = *pos + 1, start = i; /* past '[' */
    size_t v = 0;
    while (path[i] >= '0' && path[i] <= '9') {
        if (i - start >= 9)
            return bad_path(path, start, errstr, errstr_size,
                            "array index too large");
        v = v * 10 + (size_t)(path[i] - '0');
        i++;
    }
    if (i == start)
        return bad_path(path, i, errstr, errstr_size,
                        "expected digits after '['");
    if (path[i] != ']')
        return bad_path(path, i, errstr, errstr_size, "expected ']'");
    step->is_index = true;
    step->index = v;
    step->start = *pos;
    step->name = NULL;
    step->name_len = 0;
    *pos = i + 1;
    step->end = *pos;
    return 1;
}

static int read_name(const char *path, size_t *pos, ks_json_step_t *step,
                     char *errstr, size_t errstr_size)
{
    size_t i = *pos, n = 0;
    bool escaped = false;
    while (path[i] && path[i] != '.' && path[i] != '[') {
        char c = path[i];
        if (c == ']')
            return bad_path(path, i, errstr, errstr_size,
                            "']' in a name must be written '\\]'");
        if (c == '\\') {
            if (!special(path[i + 1]))
                return bad_path(path, i, errstr, errstr_size,
                                "'\\' must be followed by '.', '[', ']' "
                                "or '\\'");
            escaped = true;
            i++;
            c = path[i];
        }
        if (n < sizeof(step->buf))
            step->buf[n] = c; /* used only when the name has escapes */
        n++;
        i++;
    }
    if (i == *pos)
        return bad_path(path, i, errstr, errstr_size, "empty member name");
    if (escaped && n > sizeof(step->buf))
        return bad_path(path, *pos, errstr, errstr_size,
                        "escaped name too long (over 256 bytes)");
    step->is_index = false;
    step->index = 0;
    step->start = *pos;
    if (escaped) {
        step->name = step->buf;
        step->name_len = n;
    } else {
        step->name = path + *pos;
        step->name_len = i - *pos;
    }
    *pos = i;
    step->end = i;
    return 1;
}

int ks_json_step_next(const char *path, size_t *pos, ks_json_step_t *step,
                      char *errstr, size_t errstr_size)
{
    size_t i = *pos;
    if (path[i] == '\0')
        return 0;
    if (path[i] == '[')
        return read_index(path, pos, step, errstr, errstr_size);
    if (i == 0)
        return read_name(path, pos, step, errstr, errstr_size);
    if (path[i] != '.')
        return bad_path(path, i, errstr, errstr_size,
                        "expected '.' or '[' after ']'");
    *pos = i + 1;
    return read_name(path, pos, step, errstr, errstr_size);
}

/* Check the whole path's syntax and step count first, so that walks never
 * stop half-way on a bad path. */
static kstream_err_t path_check(const char *path, size_t *nsteps,
                                char *errstr, size_t errstr_size)
{
    ks_json_step_t step;
    size_t pos = 0, n = 0;
    int r;
    while ((r = ks_json_step_next(path, &pos, &step, errstr, errstr_size)) ==
           1) {
        if (++n > KSTREAM_JSON_MAX_DEPTH)
            return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                               "path '%s': more than %d steps", path,
                               KSTREAM_JSON_MAX_DEPTH);
    }
    if (r < 0)
        return KSTREAM_ERR_INVALID_ARG;
    *nsteps = n;
    return KSTREAM_OK;
}

kstream_err_t ks_json_path_steps(const char *path, size_t *nsteps,
                                 char *errstr, size_t errstr_size)
{
    return path_check(path, nsteps, errstr, errstr_size);
}

/* ---- lookup ---------------------------------------------------------------- */

/* The field text for messages: the path up to `end`, or "(root)". */
static int prefix_len(size_t end)
{
    return end > 4096 ? 4096 : (int)end;
}

static kstream_err_t wrong_container(const char *path, size_t at,
                                     const ks_json_step_t *step,
                                     const json_t *cur, char *errstr,
                                     size_t errstr_size)
{
    const char *want = step->is_index ? "an array" : "an object";
    if (at == 0)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                           "field %s: (root): expected %s, got %s", path,
                           want, ks_json_type_name(cur));
    return ks_json_err(errstr, errstr_size, KSTREAM_ERR_SERDE,
                       "field %s: %.*s: expected %s, got %s", path,
                       prefix_len(at), path, want, ks_json_type_name(cur));
}

static kstream_err_t not_found(const char *path, size_t at,
                               const ks_json_step_t *step, const json_t *cur,
                               char *errstr, size_t errstr_size)
{
    char size_note[96] = "";
    if (step->is_index) {
        if (at == 0)
            snprintf(size_note, sizeof(size_note),
                     " ((root) has %zu elements)", json_array_size(cur));
        else
            snprintf(size_note, sizeof(size_note), " (%.*s has %zu elements)",
                     prefix_len(at) > 48 ? 48 : prefix_len(at), path,
                     json_array_size(cur));
    }
    if (path[step->end] == '\0')
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NOT_FOUND,
                           "field %s: not found%s", path, size_note);
    return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NOT_FOUND,
                       "field %s: %.*s not found%s", path,
                       prefix_len(step->end), path, size_note);
}

/* One step down from cur (an object or array). NULL: not there. */
static json_t *child(const json_t *cur, const ks_json_step_t *step)
{
    if (step->is_index)
        return json_array_get(cur, step->index);
    return json_object_getn(cur, step->name, step->name_len);
}

static bool fits(const json_t *cur, const ks_json_step_t *step)
{
    return step->is_index ? json_is_array(cur) : json_is_object(cur);
}

kstream_err_t ks_json_lookup(const json_t *root, const char *path,
                             bool lenient, const json_t **out, char *errstr,
                             size_t errstr_size)
{
    ks_json_step_t step;
    const json_t *cur = root;
    size_t pos = 0, at = 0, n = 0;
    kstream_err_t err = path_check(path, &n, errstr, errstr_size);
    if (err)
        return err;
    while (ks_json_step_next(path, &pos, &step, NULL, 0) == 1) {
        if (lenient && json_is_null(cur)) {
            *out = NULL; /* a null on the way: the field is null */
            return KSTREAM_OK;
        }
        if (!fits(cur, &step))
            return wrong_container(path, at, &step, cur, errstr, errstr_size);
        const json_t *next = child(cur, &step);
        if (!next) {
            if (!lenient)
                return not_found(path, at, &step, cur, errstr, errstr_size);
            *out = NULL; /* absent counts as null */
            return KSTREAM_OK;
        }
        cur = next;
        at = step.end;
    }
    *out = lenient && json_is_null(cur) ? NULL : cur;
    return KSTREAM_OK;
}

/* ---- the setters' walk ---------------------------------------------------------- */

/* An empty container for the step that follows. */
static json_t *container_for(const ks_json_step_t *next)
{
    return next->is_index ? json_array() : json_object();
}

/* Put a new container for `next` at `step` of cur (a missing member, a
 * null, or the end of an array). Returns it (borrowed), or NULL. */
static json_t *create_at(json_t *cur, const ks_json_step_t *step,
                         const ks_json_step_t *next)
{
    json_t *c = container_for(next);
    if (!c)
        return NULL;
    int rc;
    if (step->is_index)
        rc = step->index == json_array_size(cur)
                     ? json_array_append_new(cur, c)
                     : json_array_set_new(cur, step->index, c);
    else
        rc = json_object_setn_new(cur, step->name, step->name_len, c);
    return rc ? NULL : c; /* on failure jansson freed c */
}

kstream_err_t ks_json_walk_parent(json_t *root, const char *path, bool create,
                                  ks_json_step_t steps[2],
                                  ks_json_step_t **last, json_t **parent,
                                  size_t *nsteps, char *errstr,
                                  size_t errstr_size)
{
    ks_json_step_t *cur_step = &steps[0], *next = &steps[1];
    size_t pos = 0, at = 0, n = 0;
    kstream_err_t err = path_check(path, &n, errstr, errstr_size);
    if (err)
        return err;
    if (n == 0)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "path is empty: a value cannot replace itself");
    ks_json_step_next(path, &pos, cur_step, NULL, 0);
    json_t *cur = root;
    while (ks_json_step_next(path, &pos, next, NULL, 0) == 1) {
        if (!fits(cur, cur_step))
            return wrong_container(path, at, cur_step, cur, errstr,
                                   errstr_size);
        json_t *c = child(cur, cur_step);
        if (!c || json_is_null(c)) {
            bool can = create && (!cur_step->is_index ||
                                  cur_step->index <= json_array_size(cur));
            if (!can)
                return not_found(path, at, cur_step, cur, errstr,
                                 errstr_size);
            if (!(c = create_at(cur, cur_step, next)))
                return ks_json_err(errstr, errstr_size,
                                   cur_step->is_index ? KSTREAM_ERR_NO_MEMORY
                                                      : KSTREAM_ERR_SERDE,
                                   "field %s: cannot create %.*s (a name "
                                   "that is not UTF-8, or out of memory)",
                                   path, prefix_len(cur_step->end), path);
        }
        cur = c;
        at = cur_step->end;
        ks_json_step_t *t = cur_step;
        cur_step = next;
        next = t;
    }
    if (!fits(cur, cur_step))
        return wrong_container(path, at, cur_step, cur, errstr, errstr_size);
    *last = cur_step;
    *parent = cur;
    *nsteps = n;
    return KSTREAM_OK;
}
