/* cdc_format.c - CDC formats as values: references, names, and the
 * one-off decode of kstream_cdc_decode() (outside a topology). */
#include "serde/cdc_int.h"

#include <stdlib.h>

kstream_cdc_format_t *ks_cdc_format_ref(const kstream_cdc_format_t *fmt)
{
    kstream_cdc_format_t *f = (kstream_cdc_format_t *)fmt;
    if (!f->is_static)
        __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
    return f;
}

void ks_cdc_format_unref(kstream_cdc_format_t *fmt)
{
    if (!fmt || fmt->is_static)
        return;
    if (__atomic_sub_fetch(&fmt->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (fmt->ops->free_impl)
        fmt->ops->free_impl(fmt->impl);
    free(fmt);
}

void kstream_cdc_format_destroy(kstream_cdc_format_t *fmt)
{
    ks_cdc_format_unref(fmt);
}

const char *kstream_cdc_format_name(const kstream_cdc_format_t *fmt)
{
    return fmt ? fmt->ops->name : NULL;
}

kstream_err_t kstream_cdc_decode(const kstream_cdc_format_t *fmt,
                                 const void *data, size_t len,
                                 kstream_json_t **change, char *errstr,
                                 size_t errstr_size)
{
    if (!fmt || !change || (!data && len))
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_INVALID_ARG,
                           "kstream_cdc_decode: %s",
                           !fmt      ? "fmt is NULL"
                           : !change ? "change is NULL"
                                     : "data is NULL with a length");
    *change = NULL;
    void *state = NULL;
    kstream_err_t err = KSTREAM_OK;
    if (data && fmt->ops->state_new)
        err = fmt->ops->state_new(fmt, &state, errstr, errstr_size);
    ks_cdc_event_t ev;
    if (!err)
        err = ks_cdc_decode(fmt, state, data, len, &ev, errstr, errstr_size);
    if (state)
        fmt->ops->state_free(state);
    if (err)
        return err;
    if (ev.op == 0) {
        ks_cdc_event_clear(&ev); /* a wrapped null payload holds a root */
        return KSTREAM_OK;
    }
    json_t *obj = ks_cdc_change_json(&ev);
    ks_cdc_event_clear(&ev);
    if (!obj)
        return ks_json_err(errstr, errstr_size, KSTREAM_ERR_NO_MEMORY,
                           "out of memory");
    *change = ks_jv(obj);
    return KSTREAM_OK;
}
