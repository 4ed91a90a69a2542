/* cdc.c - CDC tables and change streams in the DSL, built from the
 * existing operators: a source, a decoding step (a processor: per-task
 * decoder state, and a failure detail naming what is wrong with the
 * event), then to_table for the table, so that CDC tables get stores,
 * changelogs, caching, restore and test-driver support like any table.
 * The decoding keeps the key, so the step does not count as key-changing
 * (no repartition before the table). */
#include <stdio.h>
#include <stdlib.h>

#include "dsl/dsl.h"
#include "serde/cdc_int.h"

/* The decoding step's parameters (shared by its tasks; immutable). */
typedef struct cdc_params {
    kstream_cdc_format_t *fmt; /* a reference */
    bool changes;              /* the normalized change, else after */
} cdc_params_t;

/* Per task (one stream thread). */
typedef struct cdc_task {
    const cdc_params_t *p;
    void *dec; /* the format's decoder state, or NULL */
} cdc_task_t;

static void params_free(void *opaque)
{
    cdc_params_t *p = opaque;
    if (!p)
        return;
    ks_cdc_format_unref(p->fmt);
    free(p);
}

static kstream_err_t cdc_init(kstream_ctx_t *ctx, void *opaque, void **state)
{
    const cdc_params_t *p = opaque;
    char msg[256] = "";
    cdc_task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return KSTREAM_ERR_NO_MEMORY;
    t->p = p;
    if (p->fmt->ops->state_new) {
        kstream_err_t err = p->fmt->ops->state_new(p->fmt, &t->dec, msg,
                                                   sizeof(msg));
        if (err) {
            ks_log(ctx->env->log, KS_LOG_ERR, "CDC", "'%s': %s",
                   ctx->node->name, msg);
            free(t);
            return err;
        }
    }
    *state = t;
    return KSTREAM_OK;
}

static void cdc_close(kstream_ctx_t *ctx, void *state)
{
    cdc_task_t *t = state;
    (void)ctx;
    if (!t)
        return;
    if (t->dec)
        t->p->fmt->ops->state_free(t->dec);
    free(t);
}

static kstream_err_t cdc_process(kstream_ctx_t *ctx,
                                 const kstream_record_t *rec, void *state)
{
    const cdc_task_t *t = state;
    const cdc_params_t *p = t->p;
    char msg[224];
    ks_cdc_event_t ev;
    kstream_err_t err = ks_cdc_decode(p->fmt, t->dec, rec->value,
                                      rec->value_len, &ev, msg, sizeof(msg));
    if (err)
        return ks_fail(ctx, KS_FAIL_PROCESSING, err, "CDC %s event: %s",
                       p->fmt->ops->name, msg);
    kstream_record_t *out = kstream_ctx_record_new(ctx, rec);
    kstream_buf_t kb;
    ks_kbuf_init_arena(&kb, ctx->env->arena);
    bool tombstone = false;
    int rc = -1;
    if (out)
        rc = p->changes ? ks_cdc_write_change(&ev, &kb.b, &tombstone)
                        : ks_cdc_write_after(&ev, &kb.b, &tombstone);
    ks_cdc_event_clear(&ev);
    if (rc)
        return ks_fail(ctx, KS_FAIL_PROCESSING, KSTREAM_ERR_NO_MEMORY, NULL);
    /* The bytes are in the task's arena, which lives as long as out. */
    out->value = tombstone ? NULL : kb.b.data;
    out->value_len = tombstone ? 0 : kb.b.len;
    return kstream_ctx_forward(ctx, out);
}

static const kstream_processor_t cdc_processor = {
        .init = cdc_init, .process = cdc_process, .close = cdc_close};

static kstream_stream_t *decode_step(kstream_stream_t *s,
                                     const kstream_cdc_format_t *fmt,
                                     bool changes, const char *name)
{
    cdc_params_t *p = calloc(1, sizeof(*p));
    if (!p)
        return ks_dsl_error(s->b, "out of memory");
    p->fmt = ks_cdc_format_ref(fmt);
    p->changes = changes;
    /* process() takes p (freed by params_free on failure too). */
    kstream_stream_t *out = kstream_stream_process(s, &cdc_processor, p,
                                                   params_free, NULL, 0, name);
    if (out)
        out->key_changed = s->key_changed;
    return out;
}

kstream_table_t *kstream_stream_cdc_table(kstream_stream_t *s,
                                          const kstream_cdc_format_t *fmt,
                                          const char *name)
{
    if (!s)
        return NULL;
    if (!fmt)
        return ks_dsl_error(s->b, "cdc_table after '%s': format is NULL",
                            s->node->name);
    if (!name || !ks_dsl_topic_valid(name))
        return ks_dsl_error(s->b, "cdc_table after '%s': a table needs a "
                                  "name usable in a topic name (it names "
                                  "the store and its changelog)",
                            s->node->name);
    char step[300];
    snprintf(step, sizeof(step), "%s-cdc-decode", name);
    kstream_stream_t *rows = decode_step(s, fmt, false, step);
    if (!rows)
        return NULL;
    return kstream_stream_to_table(rows, name);
}

kstream_table_t *kstream_builder_cdc_table(kstream_builder_t *b,
                                           const char *topic,
                                           const kstream_cdc_format_t *fmt,
                                           const char *name)
{
    if (!b)
        return NULL;
    if (!fmt)
        return ks_dsl_error(b, "cdc_table of '%s': format is NULL",
                            topic ? topic : "(null)");
    if (!name || !ks_dsl_topic_valid(name))
        return ks_dsl_error(b, "cdc_table of '%s': a table needs a name "
                               "usable in a topic name",
                            topic ? topic : "(null)");
    char src[300];
    snprintf(src, sizeof(src), "%s-source", name);
    kstream_stream_t *s = kstream_builder_stream(b, topic, src);
    if (!s)
        return NULL;
    return kstream_stream_cdc_table(s, fmt, name);
}

kstream_stream_t *kstream_stream_cdc_changes(kstream_stream_t *s,
                                             const kstream_cdc_format_t *fmt,
                                             const char *name)
{
    if (!s)
        return NULL;
    if (!fmt)
        return ks_dsl_error(s->b, "cdc_changes after '%s': format is NULL",
                            s->node->name);
    return decode_step(s, fmt, true, name);
}
