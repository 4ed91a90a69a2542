/* print.c - the print operator (Kafka Streams' Printed / KStreamPrint):
 * "[label]: key, value" per record, bytes as text with non-printable bytes
 * escaped as \xNN, nulls as "null". */
#include <ctype.h>
#include <stdlib.h>

#include "processor/processor.h"

static void put_bytes(FILE *out, const void *data, size_t len)
{
    if (!data) {
        fputs("null", out);
        return;
    }
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        if (isprint(p[i]) && p[i] != '\\')
            fputc(p[i], out);
        else
            fprintf(out, "\\x%02x", p[i]);
    }
}

static kstream_err_t print_process(kstream_ctx_t *ctx,
                                   const kstream_record_t *rec)
{
    const ks_print_params_t *pp = ctx->node->params;
    FILE *out = pp->out ? pp->out : stdout;
    fprintf(out, "[%s]: ", pp->label ? pp->label : ctx->node->name);
    put_bytes(out, rec->key, rec->key_len);
    fputs(", ", out);
    put_bytes(out, rec->value, rec->value_len);
    fputc('\n', out);
    return ks_forward(ctx, rec);
}

static void print_free(void *p)
{
    ks_print_params_t *pp = p;
    if (!pp)
        return;
    free(pp->label);
    free(pp);
}

const ks_proc_class_t ks_class_print = {
        .kind = "print", .process = print_process, .free_params = print_free};
