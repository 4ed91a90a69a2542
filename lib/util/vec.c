/* vec.c - growable array of pointers. */
#include "util/util.h"

#include <stdlib.h>

int ks_vec_push(ks_vec_t *v, void *item) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **items;
        if (cap > SIZE_MAX / sizeof(*items))
            return -1;
        items = realloc(v->items, cap * sizeof(*items));
        if (!items)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = item;
    return 0;
}

void ks_vec_free(ks_vec_t *v) {
    free(v->items);
    v->items = NULL;
    v->len = 0;
    v->cap = 0;
}
